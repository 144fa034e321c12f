#!/bin/sh
# The ctest fixture `check_programs`: installs the build into PREFIX, then
# compiles every seeded program of tests/check/programs (*.c) into OUT as a
# user builds one, through pkg-config against the installed libpmem2 and
# libminiasync, and checks that each loads the installed libpmem2.so.1.
# The tool tests `tool_check_*` run them with LD_LIBRARY_PATH on PREFIX's
# library directory (tests/tool/CMakeLists.txt).
#   build_programs.sh <cmake> <build dir> <programs source dir> <prefix> <out dir>
set -eu
cmake=$1 build=$2 src=$3 prefix=$4 out=$5
# Nothing of an earlier run is left to be taken for this one's.
rm -rf "$prefix" "$out"
command -v pkg-config >/dev/null || {
	echo "SKIP: pkg-config not installed (scripts/deps installs it): the seeded programs of $src are not built"
	exit 77
}
cc=${CC:-cc}
mkdir -p "$out"
"$cmake" --install "$build" --prefix "$prefix" >/dev/null
libdir=$(ls -d "$prefix"/lib*/pkgconfig | head -n1)
libdir=$(dirname "$libdir")
export PKG_CONFIG_PATH="$libdir/pkgconfig"
# --define-prefix: the prefix is where the .pc files were installed, not
# the configure-time one.
flags=$(pkg-config --define-prefix --cflags --libs libpmem2 libminiasync)
case "$flags" in *"$prefix"*) ;; *) echo "pkg-config flags do not point at $prefix: $flags"; exit 1;; esac
# Sanitizer builds: the programs need the runtime the library uses.
san=${PMEM2_TEST_SANITIZE_FLAGS:-}
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
n=0
for c in "$src"/*.c; do
	p=$(basename "$c" .c)
	set -x
	# shellcheck disable=SC2086 # the flags are words
	$cc -std=c11 -Wall -Wextra -Werror $san -o "$out/$p" "$c" $flags
	{ set +x; } 2>/dev/null
	# log_check needs no libpmem2 (the linker may drop it): the others must
	# load the installed one, not the build tree's or PMDK's.
	if nm -u "$out/$p" | grep -q ' pmem2_'; then
		ldd "$out/$p" | grep -q "$prefix/.*libpmem2.so.1" ||
			{ echo "$p does not load the installed libpmem2:"; ldd "$out/$p"; exit 1; }
	fi
	n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "no programs in $src"; exit 1; }
echo "check programs: $n built in $out against $prefix through pkg-config"
