#!/usr/bin/env bash
# The Debian packages scripts/package builds from this build tree, checked
# without installing them: the machine's own PMDK packages stay (the
# comparison benchmarks link them).
#  1. The set: libpmem2-1, libpmem2-dev, libminiasync0, libminiasync-dev,
#     libminiasync-vdm-dml0 when the DSA mover is built (x86-64),
#     pmem2-tools when the tool is.
#  2. The files: each package holds only what belongs to it (the runtime
#     packages their library and nothing else, no header), every file
#     `cmake --install` installs is in exactly one package, all owned by
#     root:root, shared libraries not executable, md5sums right.
#  3. The control fields: one version, above Debian's libpmem2 and
#     libpmem2-dev; each -dev on its runtime at exactly that version;
#     libpmem2-1 in place of Debian's libpmem2; Depends from dpkg-shlibdeps;
#     apt, simulating (apt-get install -s), takes them over this machine's
#     packages removing only Debian's libpmem2.
#  4. Unpacked with dpkg-deb -x into a scratch root: durable_copy.c, built
#     through pkg-config against the root's headers and libraries and run
#     with the root's libraries, maps a file, copies into it durably (sync
#     and async) and reads it back; the C++ API compiles from the root;
#     find_package(pmem2) resolves into the root; man finds the pages
#     through their link names.
#  5. lintian reports no error (every tag is printed).
#   package_test.sh SOURCE_DIR BUILD_DIR
# CMAKE names the cmake to use (default: the one on PATH).
set -uo pipefail
[ $# -eq 2 ] || { echo "usage: package_test.sh SOURCE_DIR BUILD_DIR" >&2; exit 2; }
skip() {
	echo "********************************************************************"
	echo "SKIP: $*"
	echo "********************************************************************"
	exit 77
}
for t in dpkg-deb dpkg-gencontrol dpkg-shlibdeps pkg-config; do
	command -v "$t" >/dev/null ||
		skip "$t is not installed (scripts/deps installs dpkg-dev and pkg-config): the Debian packages were neither built nor checked"
done
src=$(realpath "$1") build=$(realpath "$2")
cmake=${CMAKE:-cmake}
start=$SECONDS
tmp=$(mktemp -d "${TMPDIR:-/tmp}/package_test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
cache() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }

CMAKE=$cmake "$src/scripts/package" "$build" "$tmp/out" >"$tmp/package.log" 2>&1 ||
	{ cat "$tmp/package.log"; echo "FAIL: scripts/package $build"; exit 1; }
cat "$tmp/package.log"
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
L=usr/lib/$ma

# 1. The set.
expected=(libpmem2-1 libpmem2-dev libminiasync0 libminiasync-dev)
dml=0
[ -e "$build/src/vdm_dml/libminiasync-vdm-dml.so.0" ] && { dml=1; expected+=(libminiasync-vdm-dml0); }
[ "$(cache PMEM2_BUILD_TOOLS)" = ON ] && expected+=(pmem2-tools)
declare -A deb
for f in "$tmp"/out/*.deb; do deb[$(dpkg-deb -f "$f" Package)]=$f; done
got=$(printf '%s\n' "${!deb[@]}" | sort)
want=$(printf '%s\n' "${expected[@]}" | sort)
[ "$got" = "$want" ] || bad "packages built: $(echo $got); expected: $(echo $want)"

# 2. The files, by package: what may be there, and what must.
man='usr/share/man/man[37]/[A-Za-z0-9_]+\.[37]\.gz'
declare -A allowed required
allowed[libpmem2-1]="$L/libpmem2\.so\.1(\.[0-9]+)*"
required[libpmem2-1]="$L/libpmem2.so.1"
allowed[libminiasync0]="$L/libminiasync\.so\.0(\.[0-9]+)*"
required[libminiasync0]="$L/libminiasync.so.0"
allowed[libminiasync-vdm-dml0]="$L/libminiasync-vdm-dml\.so\.0(\.[0-9]+)*"
required[libminiasync-vdm-dml0]="$L/libminiasync-vdm-dml.so.0"
allowed[libpmem2-dev]="usr/include/libpmem2\.h|usr/include/libpmem2/[a-z0-9_]+\.h|usr/include/pmem2/[a-z0-9_]+\.hpp|$L/libpmem2\.so|$L/pkgconfig/libpmem2\.pc|$L/cmake/pmem2/pmem2-[a-z-]+\.cmake|usr/share/man/man[37]/(libpmem2|pmem2_|PMEM2_)[A-Za-z0-9_]*\.[37]\.gz"
required[libpmem2-dev]="usr/include/libpmem2.h usr/include/libpmem2/base.h usr/include/pmem2/pmem2.hpp $L/libpmem2.so $L/pkgconfig/libpmem2.pc $L/cmake/pmem2/pmem2-config.cmake"
allowed[libminiasync-dev]="usr/include/libminiasync(-vdm-dml)?\.h|usr/include/libminiasync(-vdm-dml)?/[a-z0-9_]+\.h|$L/libminiasync(-vdm-dml)?\.so|$L/pkgconfig/libminiasync(-vdm-dml)?\.pc|$man"
required[libminiasync-dev]="usr/include/libminiasync.h usr/include/libminiasync/future.h $L/libminiasync.so $L/pkgconfig/libminiasync.pc"
[ $dml -eq 0 ] || required[libminiasync-dev]+=" usr/include/libminiasync-vdm-dml.h $L/libminiasync-vdm-dml.so"
allowed[pmem2-tools]="usr/bin/pmem2|usr/share/man/man1/pmem2[A-Za-z0-9_-]*\.1\.gz"
required[pmem2-tools]="usr/bin/pmem2"

mkdir -p "$tmp/root" "$tmp/control"
: >"$tmp/packaged"
for p in "${!deb[@]}"; do
	f=${deb[$p]}
	# "mode owner size date time ./path[ -> target]"; directories end in /.
	dpkg-deb --fsys-tarfile "$f" | tar --numeric-owner -tvf - >"$tmp/$p.list"
	awk '$2 != "0/0" { print }' "$tmp/$p.list" | grep -q . && bad "$p: files not owned by root:root: $(awk '$2 != "0/0" { print $6 }' "$tmp/$p.list")"
	awk '$6 !~ /\/$/ { print $6 }' "$tmp/$p.list" | sed 's|^\./||' >"$tmp/$p.files"
	re="^(${allowed[$p]:-(nothing)}|usr/share/doc/$p/(copyright|changelog\.Debian\.gz)|usr/share/lintian/overrides/$p)\$"
	extra=$(grep -vE "$re" "$tmp/$p.files")
	[ -z "$extra" ] || bad "$p holds files that are not its own: $(echo $extra)"
	for r in ${required[$p]:-} usr/share/doc/$p/copyright usr/share/doc/$p/changelog.Debian.gz; do
		grep -qxF "$r" "$tmp/$p.files" || bad "$p lacks $r"
	done
	if [ "$p" = libminiasync-dev ]; then
		wrong=$(grep -E '^usr/share/man/man[37]/(libpmem2|pmem2_|PMEM2_)' "$tmp/$p.files")
		[ -z "$wrong" ] || bad "libminiasync-dev holds libpmem2's pages: $(echo $wrong)"
	fi
	# Shared libraries 0644, commands 0755.
	awk -v L="./$L/" '$1 ~ /^-/ && index($6, L) == 1 && $6 ~ /\.so\.[0-9.]+$/ && $1 != "-rw-r--r--" { print $6 }' "$tmp/$p.list" |
		grep . && bad "$p: shared libraries not mode 0644"
	awk '$1 ~ /^-/ && $6 ~ /^\.\/usr\/bin\// && $1 != "-rwxr-xr-x" { print $6 }' "$tmp/$p.list" |
		grep . && bad "$p: commands not mode 0755"
	grep -vE '^usr/share/(doc|lintian)/' "$tmp/$p.files" >>"$tmp/packaged"
	dpkg-deb -x "$f" "$tmp/root"
	dpkg-deb -e "$f" "$tmp/control/$p"
	(cd "$tmp/root" && md5sum --quiet -c "$tmp/control/$p/md5sums") || bad "$p: md5sums do not match its files"
	[ "$(wc -l <"$tmp/control/$p/md5sums")" -eq "$(awk '$1 ~ /^-/' "$tmp/$p.list" | wc -l)" ] ||
		bad "$p: md5sums does not list every regular file"
done

# Every installed file in exactly one package: the packages' files against
# a fresh `cmake --install`, libraries compared by name (the packages move
# them into usr/lib/$ma), man pages with .gz.
DESTDIR=$tmp/stage "$cmake" --install "$build" --prefix /usr >/dev/null || bad "cmake --install $build"
norm() { sed -E "s|^usr/lib/($ma/)?|usr/lib/|; s|^(usr/share/man/.*)\.gz$|\1|" | LC_ALL=C sort; }
installed=$(cd "$tmp/stage" && find . \( -type f -o -type l \) -printf '%P\n' | norm)
packaged=$(norm <"$tmp/packaged")
diff <(echo "$installed") <(echo "$packaged") >"$tmp/files.diff" ||
	bad "installed files (<) and packaged files (>) differ:$(sed -n 's/^[<>] /\n  &/p' "$tmp/files.diff" | tr -d '\n')"
dup=$(echo "$packaged" | uniq -d)
[ -z "$dup" ] || bad "in more than one package: $(echo $dup)"

# 3. The control fields.
field() { dpkg-deb -f "${deb[$1]}" "$2"; }
has() { # has PACKAGE FIELD RELATION: the relation is one of the field's entries
	local list
	list=$(field "$1" "$2" | tr ',' '\n' | sed 's/^ *//; s/ *$//')
	grep -qxF "$3" <<<"$list" || bad "$1: $2 lacks \"$3\" (it is: $(field "$1" "$2"))"
}
version=$(field libpmem2-1 Version)
upstream=${version%-*}
for p in "${!deb[@]}"; do
	[ "$(field "$p" Version)" = "$version" ] || bad "$p: Version $(field "$p" Version), libpmem2-1's is $version"
	[ "$(field "$p" Architecture)" = "$arch" ] || bad "$p: Architecture $(field "$p" Architecture), not $arch"
	for k in Maintainer Section Priority Description Installed-Size Multi-Arch; do
		[ -n "$(field "$p" $k)" ] || bad "$p: no $k"
	done
done
# Above every libpmem2 and libpmem2-dev apt knows (Debian 12: 1.12.1-2), so
# ours replace them by an ordinary upgrade.
debian=$( { echo 1.12.1-2; for p in libpmem2 libpmem2-1 libpmem2-dev; do
	apt-cache show "$p" 2>/dev/null | sed -n 's/^Version: //p'; done; } | sort -u)
for v in $debian; do
	dpkg --compare-versions "$version" gt "$v" || bad "our version $version does not sort above Debian's $v"
done
# apt's own answer, simulated (-s: nothing is installed): the packages
# install together over this machine's, removing at most Debian's libpmem2
# (and its debug build, which depends on it exactly).
if command -v apt-get >/dev/null; then
	if sim=$(apt-get install -s -o Debug::NoLocking=1 "${deb[@]}" 2>&1); then
		removed=$(sed -n 's/^Remv \([^ ]*\) .*/\1/p' <<<"$sim" | grep -vxE 'libpmem2|libpmem2-debug')
		[ -z "$removed" ] || bad "apt would remove more than Debian's libpmem2: $(echo $removed)"
		echo "apt-get install -s: $(grep -cE '^Inst ' <<<"$sim") to install, removing: $(sed -n 's/^Remv \([^ ]*\) .*/\1/p' <<<"$sim" | tr '\n' ' ')"
	else
		bad "apt-get install -s refuses the packages: $(tail -5 <<<"$sim")"
	fi
fi
has libpmem2-1 Provides "libpmem2 (= $version)"
has libpmem2-1 Conflicts libpmem2
has libpmem2-1 Replaces libpmem2
has libpmem2-dev Depends "libpmem2-1 (= $version)"
has libpmem2-dev Depends "libminiasync-dev (= $version)"
has libminiasync-dev Depends "libminiasync0 (= $version)"
[ $dml -eq 0 ] || has libminiasync-dev Depends "libminiasync-vdm-dml0 (= $version)"
for p in libpmem2-1 libminiasync0 libminiasync-vdm-dml0; do
	[ -n "${deb[$p]:-}" ] || continue
	field "$p" Depends | grep -q 'libc6 (>=' || bad "$p: Depends has no libc6 (dpkg-shlibdeps did not run?): $(field "$p" Depends)"
	[ -s "$tmp/control/$p/shlibs" ] || bad "$p: no shlibs file"
	grep -qx 'activate-noawait ldconfig' "$tmp/control/$p/triggers" 2>/dev/null || bad "$p: no ldconfig trigger"
done
# The command on each of our libraries it loads (it links libpmem2 and
# libminiasync statically, for the internals `pmem2 info` shows).
if [ -n "${deb[pmem2-tools]:-}" ]; then
	needed=$(readelf -d "$tmp/root/usr/bin/pmem2" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p')
	for so in libpmem2.so.1:libpmem2-1 libminiasync.so.0:libminiasync0 libminiasync-vdm-dml.so.0:libminiasync-vdm-dml0; do
		grep -qxF "${so%%:*}" <<<"$needed" && has pmem2-tools Depends "${so#*:} (>= $upstream)"
	done
	grep -qE '\((RPATH|RUNPATH)\)' <<<"$(readelf -d "$tmp/root/usr/bin/pmem2")" && bad "usr/bin/pmem2 keeps an RPATH"
fi

# 4. Build and run against the unpacked root, through pkg-config.
export PKG_CONFIG_SYSROOT_DIR=$tmp/root PKG_CONFIG_LIBDIR=$tmp/root/$L/pkgconfig
# pkg-config drops -I/usr/include and -L/usr/lib/$ma as system paths; here
# they are the root's, and without them the compiler would find this
# machine's own PMDK headers and libraries.
export PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 PKG_CONFIG_ALLOW_SYSTEM_LIBS=1
unset PKG_CONFIG_PATH
if flags=$(pkg-config --cflags --libs libpmem2 libminiasync); then
	case "$flags" in
	*"-I$tmp/root/usr/include"*"-L$tmp/root/$L"*) ;;
	*) bad "pkg-config flags do not point into the unpacked root: $flags" ;;
	esac
	# PMDK 1.13 marks its asynchronous API deprecated; our headers keep the mark.
	${CC:-cc} -std=c11 -Wall -Wextra -Werror -Wno-deprecated-declarations -o "$tmp/durable_copy" "$src/tests/package/durable_copy.c" $flags ||
		bad "durable_copy.c does not build against the unpacked packages"
	if [ -x "$tmp/durable_copy" ]; then
		export LD_LIBRARY_PATH=$tmp/root/$L
		# Read whole before matching: with pipefail, grep -q leaving early
		# would fail the pipeline through ldd's SIGPIPE.
		loaded=$(ldd "$tmp/durable_copy")
		for so in libpmem2.so.1 libminiasync.so.0; do
			grep -q "$so => $tmp/root/$L/$so" <<<"$loaded" ||
				bad "durable_copy does not load $so from the unpacked root: $(grep "$so" <<<"$loaded")"
		done
		"$tmp/durable_copy" "$tmp/durable_copy.file" || bad "durable_copy failed against the unpacked packages"
		unset LD_LIBRARY_PATH
	fi
	printf '#include <pmem2/pmem2.hpp>\nint main() { return 0; }\n' >"$tmp/cpp_api.cpp"
	${CXX:-c++} -std=c++20 -fsyntax-only $(pkg-config --cflags libpmem2 libminiasync) "$tmp/cpp_api.cpp" ||
		bad "<pmem2/pmem2.hpp> does not compile from the unpacked packages"
else
	bad "pkg-config finds no libpmem2 and libminiasync in the unpacked root"
fi
unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_LIBDIR

# The man pages (when the build has them): every link resolves, and man
# finds a page through a link name as `man pmem2_memmove_async` would.
if [ -d "$tmp/root/usr/share/man" ]; then
	broken=$(cd "$tmp/root" && find usr/share/man -xtype l)
	[ -z "$broken" ] || bad "man page links that point nowhere: $(echo $broken)"
	if command -v man >/dev/null && [ -e "$tmp/root/usr/share/man/man3/pmem2_memmove_async.3.gz" ]; then
		page=$(MANPATH=$tmp/root/usr/share/man man -w pmem2_memmove_async 2>&1)
		[ "$page" = "$tmp/root/usr/share/man/man3/pmem2_memcpy_async.3.gz" ] ||
			bad "man -w pmem2_memmove_async: $page, not the root's pmem2_memcpy_async.3.gz"
		MANPATH=$tmp/root/usr/share/man MANPAGER=cat MANWIDTH=80 man pmem2_memmove_async 2>/dev/null |
			grep -q 'pmem2_memcpy_async, pmem2_memmove_async' || bad "man pmem2_memmove_async does not render its page"
	fi
fi

# find_package(pmem2) from the root: the CMake package was moved into
# usr/lib/$ma, its imported libraries must resolve there.
mkdir -p "$tmp/cmake"
cat >"$tmp/cmake/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.24)
project(package_probe NONE)
find_package(pmem2 REQUIRED)
foreach(t pmem2::pmem2 pmem2::miniasync)
	get_target_property(loc ${t} LOCATION)
	message(STATUS "import ${t} ${loc}")
endforeach()
EOF
if out=$("$cmake" -S "$tmp/cmake" -B "$tmp/cmake/build" -G "$(cache CMAKE_GENERATOR)" \
	-Dpmem2_DIR="$tmp/root/$L/cmake/pmem2" 2>&1); then
	for lib in libpmem2.so.1 libminiasync.so.0; do
		grep -q "^-- import pmem2::[a-z0-9_]* $tmp/root/$L/$lib" <<<"$out" ||
			bad "find_package(pmem2) does not import $tmp/root/$L/$lib:$(grep -- '-- import' <<<"$out")"
	done
else
	bad "find_package(pmem2) fails in the unpacked root: $out"
fi

# 5. lintian.
lintian_missing=0
if command -v lintian >/dev/null; then
	lintian --tag-display-limit 0 --display-info "${deb[@]}" >"$tmp/lintian.log" 2>&1
	echo "lintian:"
	if [ -s "$tmp/lintian.log" ]; then sed 's/^/  /' "$tmp/lintian.log"; else echo "  no tags"; fi
	grep -q '^E: ' "$tmp/lintian.log" && bad "lintian reports errors"
	grep -qE '^(E|W|I|N|P|X|O): ' "$tmp/lintian.log" || [ ! -s "$tmp/lintian.log" ] ||
		bad "lintian did not run: $(head -5 "$tmp/lintian.log")"
else
	lintian_missing=1
fi

echo "package_test: $((SECONDS - start)) s"
[ $fail -eq 0 ] || exit 1
[ $lintian_missing -eq 0 ] ||
	skip "lintian is not installed (scripts/deps installs it): the packages passed every other check, but lintian did not look at them"
echo "package_test: ${#deb[@]} packages, their files, relations and a durable copy through them all right; lintian: no errors"
