#!/usr/bin/env bash
# Source compatibility with PMDK: builds PMDK's own libpmem2 example
# programs (basic, advanced, redo, ringbuf, map_multiple_files,
# unsafe_shutdown), unchanged, from the Debian
# package's documentation directory twice: against our installed headers
# and library (through pkg-config), and against PMDK's static libpmem2.a.
# Both builds run the same scenarios on identical scratch files; stdout,
# exit status and the resulting file contents must be identical.
#   run.sh <cmake> <build dir>
set -euo pipefail
cmake=$1 build=$2
examples=${PMEM2_PMDK_EXAMPLES:-/usr/share/doc/libpmem2-dev/examples}
pmdk_lib=${PMEM2_PMDK_STATIC_LIB:-/usr/lib/x86_64-linux-gnu/libpmem2.a}
cc=${CC:-cc}

skip() { echo "SKIP: $*"; exit 77; }
[ -d "$examples" ] || skip "$examples is absent (Debian package libpmem2-dev)"
[ -f "$pmdk_lib" ] || skip "$pmdk_lib is absent (Debian package libpmem2-dev)"
command -v pkg-config >/dev/null || skip "pkg-config is not installed"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pmem2-compat.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$cmake" --install "$build" --prefix "$tmp/prefix" >/dev/null
export PKG_CONFIG_PATH=$(ls -d "$tmp"/prefix/lib*/pkgconfig | head -n1)
ours_flags=$(pkg-config --define-prefix --cflags --libs libpmem2)
export LD_LIBRARY_PATH="$(dirname "$PKG_CONFIG_PATH")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# PMDK's static library needs libndctl/libdaxctl; the runtime packages may
# ship only the versioned names.
pmdk_deps=()
for l in ndctl daxctl; do
	if ls /usr/lib/x86_64-linux-gnu/lib$l.so >/dev/null 2>&1; then
		pmdk_deps+=(-l$l)
	elif f=$(ls /usr/lib/x86_64-linux-gnu/lib$l.so.* 2>/dev/null | head -n1) && [ -n "$f" ]; then
		pmdk_deps+=("$f")
	fi
done

san=${PMEM2_TEST_SANITIZE_FLAGS:-}
# In sanitizer builds the examples' own leaks (they exit without freeing on
# error paths) are not ours to report; our library's are checked elsewhere.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
programs=(basic advanced redo ringbuf map_multiple_files unsafe_shutdown)
for p in "${programs[@]}"; do
	src="$examples/$p/$p.c"
	[ -f "$src" ] || skip "$src is absent"
	# Ours: only our headers and library, found through pkg-config.
	$cc -O1 -w $san -o "$tmp/ours_$p" "$src" $ours_flags -lpthread
	deps=$(ldd "$tmp/ours_$p")
	if ! grep -q "$tmp/prefix/.*libpmem2.so.1" <<<"$deps"; then
		echo "ours_$p does not load the installed libpmem2"; echo "$deps"; exit 1
	fi
	# PMDK: its own header (system include path) and static library.
	if ! $cc -O1 -w -o "$tmp/pmdk_$p" "$src" "$pmdk_lib" "${pmdk_deps[@]}" -lpthread 2>"$tmp/link.log"; then
		cat "$tmp/link.log"
		skip "cannot link PMDK's $pmdk_lib (libndctl/libdaxctl missing?)"
	fi
done

failures=0
scratch=$tmp	# where scenario files live
seq 1 200000 >"$tmp/text"	# about 1.3 MB of varied bytes
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# Timing lines differ between any two runs of ringbuf; nothing else may.
filter() { grep -v -e '^Time elapsed: ' -e '^Bandwidth: ' || true; }

# scenario NAME PROGRAM INIT_SIZE INIT_KIND STEP...
# Each STEP is a quoted argument list; @F stands for the scratch file.
scenario() {
	local name=$1 prog=$2 size=$3 kind=$4
	shift 4
	local init="$tmp/$name.init"
	case $kind in
	zero) head -c "$size" /dev/zero >"$init" ;;
	text) head -c "$size" "$tmp/text" >"$init" ;;
	none) : >"$init"; rm -f "$init" ;;
	esac
	local side
	for side in ours pmdk; do
		rm -f "$scratch/$name.$side"
		[ -e "$init" ] && cp "$init" "$scratch/$name.$side"
	done
	local i=0 step
	for step in "$@"; do
		i=$((i + 1))
		local t0=$SECONDS
		for side in ours pmdk; do
			local args=${step//@F/$scratch/$name.$side}
			set +e
			# shellcheck disable=SC2086
			"$tmp/${side}_$prog" $args >"$tmp/$name.$side.out" 2>"$tmp/$name.$side.err"
			echo $? >"$tmp/$name.$side.rc"
			set -e
		done
		local what="$name step $i ($prog $step)"
		if ! cmp -s "$tmp/$name.ours.rc" "$tmp/$name.pmdk.rc"; then
			fail "$what: exit status ours=$(cat "$tmp/$name.ours.rc") pmdk=$(cat "$tmp/$name.pmdk.rc")"
			sed 's/^/  ours stderr: /' "$tmp/$name.ours.err"
			sed 's/^/  pmdk stderr: /' "$tmp/$name.pmdk.err"
		fi
		if ! diff <(filter <"$tmp/$name.ours.out") <(filter <"$tmp/$name.pmdk.out") >"$tmp/diff" ; then
			fail "$what: stdout differs"; head -n 20 "$tmp/diff"
		fi
		if [ -e "$scratch/$name.ours" ] || [ -e "$scratch/$name.pmdk" ]; then
			if ! cmp "$scratch/$name.ours" "$scratch/$name.pmdk"; then
				fail "$what: file contents differ"
			fi
		fi
		echo "ok: $what (exit $(cat "$tmp/$name.ours.rc"), $(wc -l <"$tmp/$name.ours.out") lines, $((SECONDS - t0)) s)"
	done
}

scenario basic basic 65536 zero "@F"
scenario basic_unaligned basic 5000 text "@F"
scenario basic_empty basic 0 zero "@F"
scenario basic_missing basic 0 none "@F" ""
scenario advanced advanced 65536 text "@F 100 300" "@F 4096 16" "@F 4000 200" "@F 0 65536"
scenario advanced_errors advanced 8192 text "@F 8192 16" "@F 0 9000" "@F 100"
scenario redo redo $((1 << 20)) zero \
	"add @F 1 10 2 20 3 30" "print @F" "add @F 4 40 1 11" "check @F" "print @F" "dump @F" \
	"add @F 5" "bogus @F"
scenario redo_small redo 4096 zero "add @F 1 1" "print @F"
# ringbuf persists every entry: on a disk-backed file each op is an msync
# that reaches the device, so keep those runs short; tmpfs gets a longer one.
scenario ringbuf ringbuf $((1 << 20)) zero "@F 64 150" "@F 64 100" "@F 128 10"
scenario ringbuf_big ringbuf $((4 << 20)) zero "@F 4096 30"
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	scratch=$(mktemp -d /dev/shm/pmem2-compat.XXXXXX)
	trap 'rm -rf "$tmp" "$scratch"' EXIT
	scenario ringbuf_shm ringbuf $((1 << 20)) zero "@F 64 20000" "@F 64 5000"
	scenario redo_shm redo $((1 << 20)) zero "add @F 7 70 8 80" "print @F"
	scratch=$tmp
fi
scenario ringbuf_args ringbuf 65536 zero "@F 0 10" "@F 64 0" "@F 64"
# map_multiple_files: files side by side in one vm reservation, filled
# through the first map. @F is compared by scenario(); the others here.
for side in ours pmdk; do
	head -c 16384 "$tmp/text" >"$scratch/mmf.$side.2"
	head -c 4096 "$tmp/text" >"$scratch/mmf.$side.3"
	head -c 5000 "$tmp/text" >"$scratch/mmf_odd.$side.2"
done
scenario mmf map_multiple_files 8192 text "@F @F.2 @F.3" "@F"
for i in 2 3; do
	cmp "$scratch/mmf.ours.$i" "$scratch/mmf.pmdk.$i" || fail "map_multiple_files: file $i differs"
done
scenario mmf_odd map_multiple_files 8192 text "@F @F.2" "@F @F.missing" ""
# unsafe_shutdown: deep flush and the unsafe-shutdown/device-id queries
# (not supported off NVDIMMs, which the example tolerates).
scenario usc unsafe_shutdown 65536 zero "read @F" "write @F hello" "read @F" "write @F" \
	"write @F again" "read @F" "bogus @F" "read"
scenario usc_small unsafe_shutdown 4096 zero "write @F x" "read @F"

if [ "$failures" -ne 0 ]; then
	echo "$failures mismatch(es) between our libpmem2 and PMDK's"
	exit 1
fi
echo "PMDK examples behave identically with our libpmem2"
