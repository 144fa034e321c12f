#!/bin/sh
# Installs the build into a temporary prefix, then builds c_pmem2.c as C99
# (-pedantic) and pmem2_header_cxx.cpp as C++ against the installed headers and
# library through pkg-config, and runs both.
#   run.sh <cmake> <build dir> <this source dir>
set -eu
cmake=$1 build=$2 here=$3
command -v pkg-config >/dev/null || { echo "SKIP: pkg-config not installed"; exit 77; }
cc=${CC:-cc} cxx=${CXX:-c++}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/c_pmem2.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$cmake" --install "$build" --prefix "$tmp/prefix" >/dev/null
libdir=$(ls -d "$tmp"/prefix/lib*/pkgconfig | head -n1)
export PKG_CONFIG_PATH="$libdir"
# --define-prefix: the .pc file records the configure-time prefix; derive
# the prefix from where the file was installed instead.
flags=$(pkg-config --define-prefix --cflags --libs libpmem2)
case "$flags" in *"$tmp/prefix"*) ;; *) echo "pkg-config flags do not point at $tmp/prefix: $flags"; exit 1;; esac
# The ABI of the installed pair: the public nodes exactly, the private
# ones (test seams) only from the internal namespaces, nothing else.
lib="$(dirname "$libdir")/libpmem2.so.1"
malib="$(dirname "$libdir")/libminiasync.so.0"
dmllib="$(dirname "$libdir")/libminiasync-vdm-dml.so.0"
rc=0
sh "$here/abi.sh" "$lib" "$malib" "$here/../../src" "$dmllib" || rc=$?
[ $rc -eq 0 ] || [ $rc -eq 77 ] || exit 1
# Sanitizer builds: the test programs need the runtime the library uses.
san=${PMEM2_TEST_SANITIZE_FLAGS:-}
set -x
$cc -std=c99 -pedantic -Wall -Wextra -Werror $san -o "$tmp/c_pmem2" "$here/c_pmem2.c" $flags
for std in c++11 c++17 c++20; do
	$cxx -std=$std -pedantic -Wall -Wextra -Werror $san -o "$tmp/header_$std" "$here/pmem2_header_cxx.cpp" $flags
done
set +x
export LD_LIBRARY_PATH="$(dirname "$libdir")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
ldd "$tmp/c_pmem2" | grep -q "$tmp/prefix/.*libpmem2.so.1" || { echo "c_pmem2 does not load the installed libpmem2"; ldd "$tmp/c_pmem2"; exit 1; }
"$tmp/c_pmem2" "$tmp"
for std in c++11 c++17 c++20; do
	"$tmp/header_$std"
done
echo "header compiles and runs as C++11/17/20"

# libminiasync the same way: the plain-C miniasync program and the
# asynchronous pmem2 example built through pkg-config against the install.
maflags=$(pkg-config --define-prefix --cflags --libs libminiasync)
both=$(pkg-config --define-prefix --cflags --libs libpmem2 libminiasync)
set -x
$cc -std=c11 -pedantic -Wall -Wextra -Werror $san -o "$tmp/c_miniasync" "$here/c_miniasync.c" $maflags
$cc -std=c11 -Wall -Wextra -Werror -Wno-deprecated-declarations $san -o "$tmp/async_copy" "$here/../../examples/async_copy.c" $both
$cc -std=c11 -Wall -Wextra -Werror $san -o "$tmp/durable_pair" "$here/durable_pair.c" $both -lpthread -ldl
set +x
ldd "$tmp/c_miniasync" | grep -q "$tmp/prefix/.*libminiasync.so.0" || { echo "c_miniasync does not load the installed libminiasync"; exit 1; }
"$tmp/c_miniasync"
"$tmp/async_copy" "$tmp/async.pmem" | grep -q "copied 65536 bytes durably"
# libminiasync-vdm-dml through its own pkg-config file (which requires
# libminiasync's).
dmlflags=$(pkg-config --define-prefix --cflags --libs libminiasync-vdm-dml)
case "$dmlflags" in *-lminiasync-vdm-dml*-lminiasync*) ;; *) echo "libminiasync-vdm-dml.pc: $dmlflags"; exit 1;; esac
set -x
$cc -std=c11 -pedantic -Wall -Wextra -Werror $san -o "$tmp/c_vdm_dml" "$here/c_vdm_dml.c" $dmlflags
set +x
ldd "$tmp/c_vdm_dml" | grep -q "$tmp/prefix/.*libminiasync-vdm-dml.so.0" || { echo "c_vdm_dml does not load the installed library"; exit 1; }
"$tmp/c_vdm_dml"
echo "libminiasync C program and the async example run against the install"
# The durable protocol as a user meets it (map delete under a running
# operation, a mover claiming every capability, a worker's failed msync).
mkdir -p "$tmp/pair"
"$tmp/durable_pair" "$tmp/pair"

# The CMake package: a consumer project finds the libraries.
mkdir -p "$tmp/consumer"
cat >"$tmp/consumer/CMakeLists.txt" <<'CMK'
cmake_minimum_required(VERSION 3.20)
project(consumer C)
find_package(pmem2 REQUIRED)
add_executable(async_copy async_copy.c)
target_compile_options(async_copy PRIVATE -Wno-deprecated-declarations)
target_link_libraries(async_copy PRIVATE pmem2::pmem2 pmem2::miniasync)
add_executable(c_vdm_dml c_vdm_dml.c)
target_link_libraries(c_vdm_dml PRIVATE pmem2::miniasync_vdm_dml)
CMK
cp "$here/../../examples/async_copy.c" "$here/c_vdm_dml.c" "$tmp/consumer/"
"$cmake" -S "$tmp/consumer" -B "$tmp/consumer/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
	-DCMAKE_C_FLAGS="$san" -DCMAKE_EXE_LINKER_FLAGS="$san" >/dev/null
"$cmake" --build "$tmp/consumer/build" >/dev/null
"$tmp/consumer/build/async_copy" "$tmp/consumer.pmem" | grep -q "copied 65536 bytes durably"
"$tmp/consumer/build/c_vdm_dml" | grep -q "every function, type and flag"
echo "find_package(pmem2) consumer builds and runs"

