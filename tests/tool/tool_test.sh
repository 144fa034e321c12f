#!/usr/bin/env bash
# Runs the built pmem2 tool the way users and scripts do.
#   tool_test.sh CASE PATH_TO_PMEM2 [DIR_OF_THE_SEEDED_CHECK_PROGRAMS]
# Exit 0 pass, 1 fail, 77 skip.
set -uo pipefail
case_name=$1
PMEM2=$2
PROGS=${3:-}
work=$(mktemp -d "${PMEM2_TEST_DIR:-/tmp}/pmem2-tool-XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0

# The seeded programs come from the ctest fixture check_programs, which
# skips without pkg-config: so do the cases that run them.
case $case_name in
check_help | check_usage | check_recover_usage | check_pmdk_built) ;;
check_*)
	[ -x "$PROGS/persist_ok" ] || {
		echo "SKIP: no seeded programs in '$PROGS' (the fixture check_programs did not build them)"
		exit 77
	}
	;;
esac

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# expect RC CMD...: runs CMD, keeps stdout/stderr in $out/$err, checks the status.
expect() {
	local want=$1
	shift
	out=$("$@" 2>"$work/stderr")
	rc=$?
	err=$(cat "$work/stderr")
	if [ "$rc" -ne "$want" ]; then
		fail "'$*' exited $rc, expected $want; stderr: $err"
	fi
}

contains() { # contains TEXT NEEDLE WHAT
	case "$1" in
	*"$2"*) ;;
	*) fail "$3: '$2' not found in: $1" ;;
	esac
}

# json_get JSON PYTHON_EXPR: evaluates EXPR with j = the parsed object.
json_get() {
	python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"
}

zeros() { # zeros FILE BYTES: a file the seeded programs' stores all change
	head -c "$2" /dev/zero >"$1"
}

have_python() { command -v python3 >/dev/null 2>&1; }

gen() { # gen FILE BYTES
	head -c "$2" /dev/urandom >"$1"
}

case "$case_name" in
help)
	expect 0 "$PMEM2" --help
	contains "$out" "usage: pmem2 <command>" "pmem2 --help"
	for c in info cp bench; do
		expect 0 "$PMEM2" "$c" --help
		contains "$out" "usage: pmem2 $c" "pmem2 $c --help"
	done
	;;
usage)
	expect 2 "$PMEM2"
	expect 2 "$PMEM2" frobnicate
	contains "$err" "unknown command" "unknown command"
	expect 2 "$PMEM2" cp only-one
	contains "$err" "missing SRC or DST" "cp with one path"
	expect 2 "$PMEM2" cp a b c
	expect 2 "$PMEM2" cp --chunk 1Q a b
	contains "$err" "--chunk" "bad chunk"
	expect 2 "$PMEM2" cp --threads 0 a b
	expect 2 "$PMEM2" cp --mover warp a b
	expect 2 "$PMEM2" cp --inflight
	expect 2 "$PMEM2" info --bogus
	expect 2 "$PMEM2" info a b
	expect 2 "$PMEM2" info --dsa-root
	contains "$err" "--dsa-root needs a value" "--dsa-root without a value"
	expect 2 "$PMEM2" info --dsa-root=
	contains "$err" "--dsa-root needs a directory" "--dsa-root with an empty value"
	expect 2 "$PMEM2" bench --file-size 1K
	expect 2 "$PMEM2" bench --granularity huge
	contains "$err" "--granularity" "bad granularity"
	expect 2 "$PMEM2" bench --no-pmdk --pmdk /x
	contains "$err" "exclude each other" "--pmdk with --no-pmdk"
	expect 2 "$PMEM2" bench --pmdk=
	;;
info)
	gen "$work/f" 1048576
	expect 0 "$PMEM2" info
	contains "$out" "memmove kernel:" "info"
	contains "$out" "flush:" "info"
	expect 0 "$PMEM2" info "$work/f"
	contains "$out" "size:           1048576" "info PATH size"
	contains "$out" "granularity:    " "info PATH granularity"
	contains "$out" "MAP_SYNC:" "info PATH"
	contains "$out" "eADR:" "info PATH"
	expect 0 "$PMEM2" info --json "$work/f"
	if have_python; then
		[ "$(json_get "$out" 'j["path"]["size"]')" = 1048576 ] || fail "json size: $out"
		kind=$(json_get "$out" 'j["path"]["kind"]')
		case "$kind" in "regular file" | "DAX file" | "tmpfs" | "device DAX") ;; *) fail "json kind $kind" ;; esac
		g=$(json_get "$out" 'j["path"]["granularity"]')
		case "$g" in page | cache_line | byte) ;; *) fail "json granularity $g" ;; esac
		[ -n "$(json_get "$out" 'j["kernels"]["memmove"]')" ] || fail "json kernel"
		json_get "$out" 'j["cpu"]["features"]["sse2"]' >/dev/null || fail "json cpu"
	fi
	: >"$work/empty"
	expect 0 "$PMEM2" info "$work/empty"
	contains "$out" "size:           0" "info empty file"
	expect 1 "$PMEM2" info "$work/missing"
	contains "$err" "cannot open" "info missing"
	expect 1 "$PMEM2" info --json "$work/missing"
	if have_python; then
		[ "$(json_get "$out" 'j["status"]')" = error ] || fail "json error: $out"
	fi
	# DSA work queues: none in an empty tree; a saved tree's queues listed
	# with their attributes and whether this process could submit to them.
	mkdir -p "$work/nodsa"
	expect 0 "$PMEM2" info --dsa-root "$work/nodsa"
	contains "$out" "DSA:            no work queue" "info without DSA"
	contains "$out" "DSA discovery:  sysfs" "info --dsa-root reads sysfs"
	t="$work/dsa"
	mkdir -p "$t/sys/bus/dsa/devices/dsa0" "$t/sys/bus/dsa/devices/wq0.0" "$t/sys/bus/dsa/devices/wq0.1" "$t/dev/dsa"
	echo 1 >"$t/sys/bus/dsa/devices/dsa0/numa_node"
	for a in "mode dedicated" "type user" "state enabled" "size 128" "max_transfer_size 2147483648" "max_batch_size 1024"; do
		set -- $a
		echo "$2" >"$t/sys/bus/dsa/devices/wq0.0/$1"
		echo "$2" >"$t/sys/bus/dsa/devices/wq0.1/$1"
	done
	echo disabled >"$t/sys/bus/dsa/devices/wq0.1/state"
	: >"$t/dev/dsa/wq0.0"
	expect 0 "$PMEM2" info --dsa-root="$t"
	contains "$out" "DSA:            wq0.0 (dsa0): dedicated, type user, enabled, 128 entries, max transfer 2.0 GiB, NUMA node 1; " "info DSA queue"
	contains "$out" "DSA:            wq0.1 (dsa0): dedicated, type user, disabled, 128 entries, max transfer 2.0 GiB, NUMA node 1; wq0.1 is not enabled (state \"disabled\")" "info DSA disabled queue"
	if grep -qw movdir64b /proc/cpuinfo; then
		contains "$out" "usable by this process" "info DSA usable"
	else
		contains "$out" "wq0.0 is dedicated and this CPU has no MOVDIR64B" "info DSA without MOVDIR64B"
	fi
	expect 0 "$PMEM2" info --json --dsa-root "$t"
	if have_python; then
		[ "$(json_get "$out" 'len(j["dsa_work_queues"])')" = 2 ] || fail "json dsa: $out"
		[ "$(json_get "$out" 'j["dsa_work_queues"][0]["name"]')" = wq0.0 ] || fail "json dsa name"
		[ "$(json_get "$out" 'j["dsa_work_queues"][0]["numa_node"]')" = 1 ] || fail "json dsa numa"
		[ "$(json_get "$out" 'j["dsa_work_queues"][0]["max_transfer_size"]')" = 2147483648 ] || fail "json dsa max"
		[ "$(json_get "$out" 'j["dsa_work_queues"][1]["usable"]')" = False ] || fail "json dsa usable"
	fi
	;;
info_cxl)
	# A file on pmem1, a namespace of nd region 1 that the cxl_pmem bridge
	# made of CXL region 0 over mem0 and mem1, in a fake sysfs laid out as
	# the kernel lays it out; then the same file on an NVDIMM region.
	gen "$work/f" 65536
	t="$work/root"
	port="$t/sys/devices/platform/ACPI0017:00/root0"
	bus="$port/nvdimm-bridge0/ndbus1"
	mkdir -p "$port/decoder0.0/region0/pmem_region0" "$bus/region1/namespace1.0/block/pmem1" \
		"$t/sys/bus/cxl/devices" "$t/sys/bus/nd/devices" "$t/sys/dev/block"
	echo 0x4080000000 >"$port/decoder0.0/region0/resource"
	echo 0x4080000000 >"$bus/region1/resource"
	echo 1 >"$bus/region1/numa_node"
	echo >"$bus/region1/persistence_domain"
	ln -s "$port/decoder0.0/region0" "$t/sys/bus/cxl/devices/region0"
	ln -s "$bus/region1" "$t/sys/bus/nd/devices/region1"
	for k in 0 1; do
		mem="$t/sys/devices/pci0000:0c/0000:0c:00.0/0000:0d:0$k.0/mem$k"
		mkdir -p "$mem/pmem$k" "$bus/nmem$k/cxl"
		echo "0x1a2b$k" >"$mem/serial"
		ln -s "$mem" "$t/sys/bus/cxl/devices/mem$k"
		ln -s "$mem/pmem$k" "$t/sys/bus/cxl/devices/pmem$k"
		echo "pmem$k" >"$bus/nmem$k/cxl/provider"
		ln -s "$bus/nmem$k" "$t/sys/bus/nd/devices/nmem$k"
		echo "nmem$k,0,268435456,$k" >"$bus/region1/mapping$k"
	done
	ln -s "$bus/region1/namespace1.0/block/pmem1" "$t/sys/dev/block/$(stat -c '%Hd:%Ld' "$work/f")"
	expect 0 "$PMEM2" info --sys-root "$t" "$work/f"
	contains "$out" "region:         region1 (CXL region0)" "info CXL region"
	contains "$out" "persistence:    not reported by the region" "info CXL domain"
	contains "$out" "memory device:  nmem0 (mem0), serial 0x1a2b0" "info CXL mem0"
	contains "$out" "memory device:  nmem1 (mem1), serial 0x1a2b1" "info CXL mem1"
	contains "$out" "device id:      0x1a2b00x1a2b1" "info CXL device id"
	contains "$out" "NUMA node:      1" "info CXL NUMA node"
	expect 0 "$PMEM2" info --json --sys-root="$t" "$work/f"
	if have_python; then
		[ "$(json_get "$out" 'j["path"]["region"]["id"]')" = 1 ] || fail "json region: $out"
		[ "$(json_get "$out" 'j["path"]["region"]["cxl"]')" = True ] || fail "json cxl"
		[ "$(json_get "$out" 'j["path"]["region"]["cxl_region"]')" = region0 ] || fail "json cxl region"
		[ "$(json_get "$out" 'j["path"]["region"]["persistence_domain"]')" = None ] || fail "json domain"
		[ "$(json_get "$out" 'j["path"]["region"]["memory_devices"][1]["memdev"]')" = mem1 ] || fail "json memdev"
		[ "$(json_get "$out" 'j["path"]["region"]["memory_devices"][1]["serial"]')" = 0x1a2b1 ] || fail "json serial"
	fi
	# A serial the kernel does not give: listed as unknown, no device id.
	rm "$t/sys/devices/pci0000:0c/0000:0c:00.0/0000:0d:01.0/mem1/serial"
	expect 0 "$PMEM2" info --sys-root "$t" "$work/f"
	contains "$out" "memory device:  nmem1 (mem1), serial unknown" "info CXL without serial"
	contains "$out" "device id:      n/a" "info CXL device id without serial"
	# NVDIMM: the region under an NFIT bus, DIMM ids from nfit/id.
	n="$work/nv"
	nb="$n/sys/devices/platform/ndbus0"
	mkdir -p "$nb/region3/namespace3.0/block/pmem3" "$nb/nmem4/nfit" "$n/sys/bus/nd/devices" "$n/sys/dev/block"
	echo memory_controller >"$nb/region3/persistence_domain"
	echo 0 >"$nb/region3/numa_node"
	echo "nmem4,0,268435456,0" >"$nb/region3/mapping0"
	echo 8089-a2-1837-00000a1b >"$nb/nmem4/nfit/id"
	ln -s "$nb/region3" "$n/sys/bus/nd/devices/region3"
	ln -s "$nb/nmem4" "$n/sys/bus/nd/devices/nmem4"
	ln -s "$nb/region3/namespace3.0/block/pmem3" "$n/sys/dev/block/$(stat -c '%Hd:%Ld' "$work/f")"
	expect 0 "$PMEM2" info --sys-root "$n" "$work/f"
	contains "$out" "region:         region3 (NVDIMM)" "info NVDIMM region"
	contains "$out" "persistence:    memory_controller" "info NVDIMM domain"
	contains "$out" "memory device:  nmem4, id 8089-a2-1837-00000a1b" "info NVDIMM DIMM"
	# Off every region.
	expect 0 "$PMEM2" info --sys-root "$work" "$work/f"
	contains "$out" "region:         none" "info without region"
	expect 2 "$PMEM2" info --sys-root=
	contains "$err" "--sys-root needs a directory" "--sys-root with an empty value"
	expect 2 "$PMEM2" info --sys-root "$work/missing" "$work/f"
	contains "$err" "--sys-root '$work/missing': No such file or directory" "--sys-root missing"
	expect 2 "$PMEM2" info --sys-root="$work/f" "$work/f"
	contains "$err" "--sys-root '$work/f': not a directory" "--sys-root on a file"
	expect 2 "$PMEM2" info --dsa-root "$work/missing" "$work/f"
	contains "$err" "--dsa-root '$work/missing': No such file or directory" "--dsa-root missing"
	;;
cp_verify)
	size=$((32 * 1048576 + 123)) # not a multiple of the page size
	gen "$work/src" "$size"
	expect 0 "$PMEM2" cp --verify --json "$work/src" "$work/dst"
	cmp -s "$work/src" "$work/dst" || fail "dst differs from src"
	[ "$(stat -c %s "$work/dst")" = "$size" ] || fail "dst size $(stat -c %s "$work/dst")"
	if have_python; then
		[ "$(json_get "$out" 'j["status"]')" = done ] || fail "status: $out"
		[ "$(json_get "$out" 'j["bytes"]')" = "$size" ] || fail "bytes: $out"
		[ "$(json_get "$out" 'j["verified"]')" = True ] || fail "verified: $out"
		[ "$(json_get "$out" 'j["durable"]')" = True ] || fail "durable: $out"
		json_get "$out" 'j["gbps"] > 0 and j["seconds"] > 0' | grep -q True || fail "rate: $out"
	fi
	for mover in default sync threads; do
		rm -f "$work/dst"
		expect 0 "$PMEM2" cp --progress --mover "$mover" --chunk 64K --inflight 16 --threads 3 "$work/src" "$work/dst"
		contains "$out" "done:" "cp --mover $mover"
		contains "$out" "GB/s" "cp summary"
		contains "$err" "100%" "progress bar"
		cmp -s "$work/src" "$work/dst" || fail "dst differs from src with --mover $mover"
	done
	;;
cp_rerun)
	gen "$work/src" 3000000
	gen "$work/dst" 9000000 # larger, unrelated content
	expect 0 "$PMEM2" cp "$work/src" "$work/dst"
	cmp -s "$work/src" "$work/dst" || fail "first run"
	expect 0 "$PMEM2" cp --verify "$work/src" "$work/dst"
	cmp -s "$work/src" "$work/dst" || fail "second run"
	contains "$out" "durable and verified" "second run"
	: >"$work/empty"
	expect 0 "$PMEM2" cp "$work/empty" "$work/dst"
	[ "$(stat -c %s "$work/dst")" = 0 ] || fail "empty copy leaves $(stat -c %s "$work/dst") bytes"
	;;
cp_errors)
	gen "$work/src" 100000
	expect 1 "$PMEM2" cp "$work/missing" "$work/dst"
	contains "$err" "cannot open source" "missing source"
	contains "$err" "No such file or directory" "missing source"
	[ -e "$work/dst" ] && fail "a failed copy created DST"
	expect 1 "$PMEM2" cp --json "$work/missing" "$work/dst"
	if have_python; then
		[ "$(json_get "$out" 'j["status"]')" = error ] || fail "json error: $out"
		[ "$(json_get "$out" 'j["code"]')" = -2 ] || fail "json code: $out"
	fi
	expect 1 "$PMEM2" cp "$work/src" "$work/no/such/dir/dst"
	contains "$err" "cannot open destination" "DST in a missing directory"
	mkdir "$work/d"
	expect 1 "$PMEM2" cp "$work/src" "$work/d"
	contains "$err" "destination" "DST is a directory"
	expect 1 "$PMEM2" cp "$work/d" "$work/dst2"
	contains "$err" "source" "SRC is a directory"
	expect 1 "$PMEM2" cp "$work/src" /dev/null
	contains "$err" "cannot be mapped" "DST not mappable"
	expect 1 "$PMEM2" cp "$work/src" "$work/src"
	contains "$err" "same file" "SRC is DST"
	# The DSA mover: where no work queue is usable, the copy fails before DST
	# is touched (an existing DST keeps its bytes, a new one is not made).
	printf 'old bytes' >"$work/kept"
	if [ ! -e /dev/dsa ]; then
		expect 1 "$PMEM2" cp --mover dsa "$work/src" "$work/kept"
		contains "$err" "cannot use the DSA mover: data_mover_dml_new(DATA_MOVER_DML_HARDWARE): " "--mover dsa without DSA"
		[ "$(cat "$work/kept")" = "old bytes" ] || fail "a failed --mover dsa copy changed DST"
		expect 1 "$PMEM2" cp --json --mover dsa "$work/src" "$work/new_dst"
		[ -e "$work/new_dst" ] && fail "a failed --mover dsa copy created DST"
		if have_python; then
			[ "$(json_get "$out" 'j["code"]')" = -19 ] || fail "json code for --mover dsa: $out"
		fi
	else
		echo "note: /dev/dsa exists; --mover dsa is run as a copy" >&2
		expect 0 "$PMEM2" cp --mover dsa --verify "$work/src" "$work/kept"
		cmp -s "$work/src" "$work/kept" || fail "--mover dsa copy differs"
	fi
	# A file size limit: the destination cannot grow.
	expect 1 bash -c "ulimit -f 16; exec \"$PMEM2\" cp \"$work/src\" \"$work/limited\""
	contains "$err" "File too large" "size limit"
	if [ "$(id -u)" -ne 0 ]; then
		touch "$work/ro" && chmod 444 "$work/ro"
		expect 1 "$PMEM2" cp "$work/src" "$work/ro"
		contains "$err" "Permission denied" "read-only DST"
		chmod 000 "$work/src"
		expect 1 "$PMEM2" cp "$work/src" "$work/dst3"
		contains "$err" "Permission denied" "unreadable SRC"
		chmod 644 "$work/src"
	fi
	# A full file system, where one can be mounted.
	mkdir "$work/small"
	if mount -t tmpfs -o size=1m tmpfs "$work/small" 2>/dev/null; then
		gen "$work/big" 4000000
		expect 1 "$PMEM2" cp "$work/big" "$work/small/dst"
		contains "$err" "No space left on device" "full file system"
		[ -e "$work/small/dst" ] && fail "a copy that did not fit left a new DST behind"
		umount "$work/small"
	else
		echo "note: cannot mount a small tmpfs; ENOSPC case not run" >&2
	fi
	;;
kill_rerun)
	gen "$work/src" $((48 * 1048576))
	killed=0
	for i in 1 2 3 4; do
		rm -f "$work/dst"
		if [ $((i % 2)) -eq 0 ]; then mover=threads; else mover=default; fi
		"$PMEM2" cp --mover "$mover" --chunk 64K --inflight 4 "$work/src" "$work/dst" >"$work/out" 2>&1 &
		pid=$!
		sleep "0.0$((RANDOM % 9 + 1))"
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		status=$?
		if [ "$status" -ne 0 ]; then
			killed=$((killed + 1))
			grep -q "done" "$work/out" && fail "killed run $i reported done"
		fi
		expect 0 "$PMEM2" cp --verify "$work/src" "$work/dst"
		contains "$out" "durable and verified" "rerun $i"
		cmp -s "$work/src" "$work/dst" || fail "rerun $i: dst differs"
	done
	[ "$killed" -gt 0 ] || fail "no copy was interrupted: the test did not test anything"
	;;
bench)
	mkdir "$work/b"
	expect 0 "$PMEM2" bench --time 5 --file-size 8M --dir "$work/b"
	contains "$out" "PMDK: " "bench"
	contains "$out" "async rows: ours only" "bench"
	contains "$out" "threads" "bench rows"
	contains "$out" "persist" "bench rows"
	# DSA rows where a work queue is usable; elsewhere the report says why.
	if [ -d /dev/dsa ]; then
		contains "$out" "DSA: rows on wq" "bench DSA rows"
	else
		contains "$out" "DSA: no rows (data_mover_dml_new_config(DATA_MOVER_DML_HARDWARE): " "bench without DSA"
	fi
	expect 0 "$PMEM2" bench --json --time 5 --file-size 8M --dir "$work/b" --no-pmdk
	if have_python; then
		n=$(json_get "$out" 'len(j["rows"])')
		[ "$n" -ge 15 ] || fail "bench rows: $n"
		# The extensions' rows: batches, copy + CRC32C, the caller's CPU
		# time of an asynchronous persist.
		for op in batch copy_crc32c 'memcpy,fence,crc32c' persist; do
			json_get "$out" "any(r['op'] == '$op' for r in j['rows'])" | grep -q True ||
				fail "bench: no $op row"
		done
		status=$(json_get "$out" 'j["dsa"]["status"]')
		dsa_rows=$(json_get "$out" 'sum(r["mover"] == "dsa" for r in j["rows"])')
		case $status in
		measured) [ "$dsa_rows" -gt 0 ] || fail "bench: DSA measured without rows" ;;
		unavailable) [ "$dsa_rows" -eq 0 ] || fail "bench: DSA rows without a queue"
			json_get "$out" 'j["dsa"]["reason"]' | grep -q "DSA work queue" || fail "bench: DSA reason" ;;
		*) fail "bench: dsa status '$status'" ;;
		esac
		json_get "$out" 'all(r["gbps"] > 0 and r["latency_us"] > 0 for r in j["rows"])' | grep -q True ||
			fail "bench numbers: $out"
	fi
	[ -z "$(ls "$work/b")" ] || fail "bench left files: $(ls "$work/b")"
	expect 1 "$PMEM2" bench --dir "$work/missing"
	contains "$err" "cannot create a scratch file" "bench in a missing dir"
	;;
bench_pmdk)
	# The side-by-side rows through PMDK's libpmem2, and its absence.
	have_python || exit 77
	mkdir "$work/b"
	quick=(--time 2 --file-size 4M --granularity cache_line --dir "$work/b")
	system=/usr/lib/x86_64-linux-gnu/libpmem2.so.1
	# json_checks WHAT EXPR...: every EXPR (j = the output) must hold; one python run.
	json_checks() {
		local what=$1
		shift
		local bad
		bad=$(python3 -c '
import json, os, sys
j = json.loads(sys.argv[1])
system = os.path.realpath(sys.argv[2])
def is_system(): return os.path.realpath(j["pmdk"]["file"]) == system
def no_pmdk_rows(): return not any("pmdk" in r or "ratio" in r for r in j["rows"])
def sync_compared():
	return all(("pmdk" in r) == (r["mode"] == "sync") for r in j["rows"]) and all(
		r["pmdk"]["latency_us"] > 0 and r["pmdk"]["gbps"] > 0 and r["pmdk"]["ops"] >= 8 and r["ratio"] > 0
		for r in j["rows"] if r["mode"] == "sync")
for e in sys.argv[3:]:
	try:
		ok = eval(e)
	except Exception as x:
		ok = False
	if not ok:
		print(e)
' "$out" "$system" "$@" 2>&1)
		[ -z "$bad" ] || fail "$what: does not hold: $bad; output: $out"
	}

	expect 0 "$PMEM2" bench --json --no-pmdk "${quick[@]}"
	json_checks "--no-pmdk" 'j["pmdk"]["status"] == "disabled"' 'no_pmdk_rows()'
	expect 0 "$PMEM2" bench --no-pmdk "${quick[@]}"
	contains "$out" "PMDK: disabled" "--no-pmdk text"
	case "$out" in *ratio*) fail "--no-pmdk text has ratios: $out" ;; esac

	# A missing library: reported, ours measured, exit 0.
	for how in option env; do
		if [ $how = option ]; then
			expect 0 "$PMEM2" bench --json --pmdk "$work/nonexistent.so" "${quick[@]}"
		else
			expect 0 env PMEM2_BENCH_PMDK="$work/nonexistent.so" "$PMEM2" bench --json "${quick[@]}"
		fi
		json_checks "missing PMDK ($how)" 'j["pmdk"]["status"] == "not found"' \
			"'$work/nonexistent.so' in j['pmdk']['reason']" 'no_pmdk_rows()' 'len(j["rows"]) >= 15'
		contains "$err" "not loaded" "missing PMDK warning ($how)"
	done
	expect 0 "$PMEM2" bench --pmdk "$work/nonexistent.so" "${quick[@]}"
	contains "$out" "PMDK: not found ($work/nonexistent.so" "missing PMDK text"
	# Not a libpmem2 at all.
	libc=$(ldd "$PMEM2" 2>/dev/null | awk '/libc\.so/ {print $3}')
	if [ -n "$libc" ]; then
		expect 0 "$PMEM2" bench --json --pmdk "$libc" "${quick[@]}"
		json_checks "--pmdk libc" 'j["pmdk"]["status"] == "not found"' '"no symbol" in j["pmdk"]["reason"]'
	fi
	# A libpmem2 that is not PMDK's (exports the API, lacks PMDK's version
	# string), as this project's own library would be.
	stub=
	if command -v cc >/dev/null 2>&1; then
		mkdir "$work/stub"
		{
			for f in config_new config_delete config_set_required_store_granularity source_from_fd \
				source_delete map_new map_delete map_get_address map_get_size \
				map_get_store_granularity get_memcpy_fn get_memset_fn get_persist_fn errormsg; do
				echo "void *pmem2_$f(void) { return 0; }"
			done
		} >"$work/stub/stub.c"
		if cc -shared -fPIC -o "$work/stub/libpmem2.so.1" "$work/stub/stub.c" 2>/dev/null; then
			stub=$work/stub/libpmem2.so.1
			expect 0 "$PMEM2" bench --json --pmdk "$stub" "${quick[@]}"
			json_checks "--pmdk stub" 'j["pmdk"]["status"] == "not found"' \
				'"not PMDK'"'"'s libpmem2" in j["pmdk"]["reason"]' 'no_pmdk_rows()'
		fi
	fi
	[ -n "$stub" ] || echo "note: no C compiler; the not-PMDK libpmem2 case not run" >&2

	if [ ! -e "$system" ]; then
		echo "note: $system missing; PMDK side-by-side rows not checked" >&2
		[ -z "$(ls "$work/b")" ] || fail "bench left files: $(ls "$work/b")"
		[ "$failures" -eq 0 ] && exit 77
	else
		expect 0 "$PMEM2" bench --json "${quick[@]}"
		json_checks "PMDK used" 'j["pmdk"]["status"] == "used"' 'is_system()' 'j["pmdk"]["version"] != ""' \
			'sync_compared()' 'j["pmdk"]["rows"] == 12' 'j["pmdk"]["geomean_ratio"] > 0' \
			'j["pmdk"]["granularity"] == j["granularity"] == "cache_line"'
		expect 0 "$PMEM2" bench "${quick[@]}"
		contains "$out" "PMDK: " "text"
		contains "$out" "version " "text version"
		contains "$out" "ratio" "text ratio column"
		contains "$out" "geometric mean ratio over 12 sync rows" "text summary"
		contains "$out" "$(readlink -f "$system")" "text path"
		# The same through the option and the environment.
		expect 0 "$PMEM2" bench --json --pmdk "$system" "${quick[@]}"
		json_checks "--pmdk $system" 'is_system()' 'sync_compared()'
		expect 0 env PMEM2_BENCH_PMDK="$system" "$PMEM2" bench --json "${quick[@]}"
		json_checks "PMEM2_BENCH_PMDK=$system" 'is_system()' 'sync_compared()'
		# Another libpmem2.so.1 first on the search path is passed over.
		if [ -n "$stub" ]; then
			expect 0 env LD_LIBRARY_PATH="$work/stub" "$PMEM2" bench --json "${quick[@]}"
			json_checks "stub on LD_LIBRARY_PATH" 'is_system()' 'sync_compared()'
		fi
		# Default granularity (page here, unless the file system is DAX).
		expect 0 "$PMEM2" bench --json --time 1 --file-size 1M --dir "$work/b"
		json_checks "default granularity" 'j["pmdk"]["granularity"] == j["granularity"]' 'sync_compared()'
	fi
	[ -z "$(ls "$work/b")" ] || fail "bench left files: $(ls "$work/b")"
	;;
cp_special)
	# Neither SRC nor DST may be anything but a regular file or a device DAX;
	# such a copy fails at once (exit 1, not a timeout), leaving DST as it was.
	gen "$work/src" 100000
	gen "$work/dst" 70000
	cp "$work/dst" "$work/dst.orig"
	unchanged() { # unchanged WHAT
		[ "$(stat -c %s "$work/dst")" = 70000 ] || fail "$1: DST size now $(stat -c %s "$work/dst")"
		cmp -s "$work/dst" "$work/dst.orig" || fail "$1: DST bytes changed"
	}
	mkfifo "$work/fifo"
	mkdir "$work/dir"
	specials=("$work/fifo:FIFO" "$work/dir:directory" "/dev/null:not a device DAX")
	if have_python; then
		python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$work/sock" &&
			specials+=("$work/sock:socket")
	fi
	for s in "${specials[@]}"; do
		path=${s%%:*} kind=${s#*:}
		expect 1 timeout 10 "$PMEM2" cp "$path" "$work/dst"
		[ "$rc" -eq 124 ] && fail "cp from $kind hangs"
		contains "$err" "source '$path' cannot be mapped" "cp from $kind"
		contains "$err" "$kind" "cp from $kind"
		contains "$err" "only regular files and device DAX" "cp from $kind"
		unchanged "cp from $kind"
		expect 1 timeout 10 "$PMEM2" cp "$path" "$work/new"
		[ -e "$work/new" ] && fail "cp from $kind created DST" && rm -f "$work/new"
		expect 1 timeout 10 "$PMEM2" cp --json "$path" "$work/dst"
		if have_python; then
			[ "$(json_get "$out" 'j["status"]')" = error ] || fail "cp --json from $kind: $out"
			[ "$(json_get "$out" 'j["code"]')" = -100005 ] || fail "cp --json from $kind code: $out"
		fi
		unchanged "cp --json from $kind"
		expect 1 timeout 10 "$PMEM2" cp "$work/src" "$path"
		[ "$rc" -eq 124 ] && fail "cp to $kind hangs"
		contains "$err" "destination '$path' cannot be mapped" "cp to $kind"
		contains "$err" "$kind" "cp to $kind"
		expect 1 timeout 10 "$PMEM2" info "$path"
		[ "$rc" -eq 124 ] && fail "info of $kind hangs"
		contains "$err" "'$path' cannot be mapped" "info of $kind"
		contains "$err" "$kind" "info of $kind"
	done
	[ -p "$work/fifo" ] || fail "the FIFO is gone"
	# A FIFO only readable: opened read-only, which blocks without O_NONBLOCK.
	mkfifo -m 444 "$work/rofifo"
	if [ "$(id -u)" -ne 0 ]; then
		expect 1 timeout 10 "$PMEM2" info "$work/rofifo"
		[ "$rc" -eq 124 ] && fail "info of a read-only FIFO hangs"
	fi
	# Through a symbolic link, too.
	ln -s "$work/fifo" "$work/link"
	expect 1 timeout 10 "$PMEM2" cp "$work/link" "$work/dst"
	contains "$err" "FIFO" "cp from a link to a FIFO"
	unchanged "cp from a link to a FIFO"
	;;
json_utf8)
	# Every --json output is UTF-8 JSON, whatever bytes the file names hold.
	have_python || exit 77
	name=$'n\xff\xfe-\x01\x1f-"q"-\\b-\t-\xc3\xa9-\xe2\x82-end'
	gen "$work/$name" 5000
	# strict_json WHAT: $out must be strict UTF-8 JSON; prints nothing when it is.
	strict_json() {
		printf '%s' "$out" | python3 -c 'import json,sys; json.loads(sys.stdin.buffer.read().decode("utf-8"))' ||
			fail "$1: not UTF-8 JSON: $(printf '%s' "$out" | od -c | head -5)"
	}
	# The name as a reader sees it: invalid bytes become U+FFFD.
	want=$(python3 -c 'import os,sys; print(ascii(os.fsencode(sys.argv[1]).decode("utf-8","replace")))' "$work/$name")
	is_name() { # is_name WHAT EXPR
		local got
		got=$(printf '%s' "$out" | python3 -c 'import json,sys; j=json.loads(sys.stdin.buffer.read().decode("utf-8")); print(ascii(eval(sys.argv[1])))' "$2")
		[ "$got" = "$want" ] || fail "$1: name $got, expected $want"
	}
	expect 0 "$PMEM2" info --json "$work/$name"
	strict_json "info --json"
	is_name "info --json" 'j["path"]["path"]'
	expect 0 "$PMEM2" cp --json "$work/$name" "$work/$name.copy"
	strict_json "cp --json"
	is_name "cp --json" 'j["src"]'
	cmp -s "$work/$name" "$work/$name.copy" || fail "copy differs"
	# Errors name the file too.
	expect 1 "$PMEM2" info --json "$work/$name.missing"
	strict_json "info --json error"
	expect 1 "$PMEM2" cp --json "$work/$name.missing" "$work/dst"
	strict_json "cp --json error"
	mkfifo "$work/$name.fifo"
	expect 1 timeout 10 "$PMEM2" cp --json "$work/$name.fifo" "$work/dst"
	strict_json "cp --json error (FIFO)"
	expect 1 timeout 10 "$PMEM2" cp --json "$work/$name" "$work/$name.fifo"
	strict_json "cp --json error (FIFO DST)"
	# A scratch directory with such a name shows in bench's "file".
	mkdir "$work/$name.d"
	expect 0 "$PMEM2" bench --json --time 1 --file-size 1M --no-pmdk --dir "$work/$name.d"
	strict_json "bench --json"
	;;
cp_full_fs)
	# A copy onto an existing DST that does not fit: nothing about DST
	# changes (size, bytes), and once there is room a rerun completes it.
	mkdir "$work/small"
	if ! mount -t tmpfs -o size=1m tmpfs "$work/small" 2>"$work/mount.err"; then
		echo "SKIP: cp_full_fs needs a 1 MiB tmpfs (run as root): mount failed: $(cat "$work/mount.err")" >&2
		exit 77
	fi
	trap 'umount "$work/small" 2>/dev/null; rm -rf "$work"' EXIT
	gen "$work/src" 921600          # 900 KB
	gen "$work/small/dst" 512000    # 500 KB, known bytes
	cp "$work/small/dst" "$work/dst.orig"
	head -c 2M /dev/zero >"$work/small/fill" 2>/dev/null # fills the rest
	[ "$(df --output=avail -B1 "$work/small" | tail -1)" -lt 409600 ] || fail "the file system is not full"
	for json in "" --json; do
		expect 1 "$PMEM2" cp $json "$work/src" "$work/small/dst"
		contains "$err" "No space left on device" "cp $json onto a full file system"
		contains "$err" "$work/small/dst" "cp $json onto a full file system"
		[ "$(stat -c %s "$work/small/dst")" = 512000 ] ||
			fail "cp $json: DST size now $(stat -c %s "$work/small/dst"), was 512000"
		cmp -s "$work/small/dst" "$work/dst.orig" || fail "cp $json: DST bytes changed"
	done
	if have_python; then
		[ "$(json_get "$out" 'j["code"]')" = -28 ] || fail "json code: $out"
	fi
	rm -f "$work/small/fill"
	expect 0 "$PMEM2" cp --verify "$work/src" "$work/small/dst"
	contains "$out" "durable and verified" "rerun with room"
	cmp -s "$work/src" "$work/small/dst" || fail "rerun: DST differs from SRC"
	;;
check_help)
	expect 0 "$PMEM2" check --help
	contains "$out" "usage: pmem2 check" "check --help"
	contains "$out" "--recover 'CMD {}'" "check --help names --recover"
	contains "$out" "--recover-timeout" "check --help names --recover-timeout"
	expect 0 "$PMEM2" --help
	contains "$out" "check PROGRAM" "pmem2 --help lists check"
	;;
check_usage)
	expect 2 "$PMEM2" check
	contains "$err" "missing PROGRAM" "check without PROGRAM"
	expect 2 "$PMEM2" check --json --
	contains "$err" "missing PROGRAM" "check -- without PROGRAM"
	expect 2 "$PMEM2" check --ignore /f:1 -- true
	contains "$err" "is not FILE:OFFSET:LENGTH" "bad --ignore"
	expect 2 "$PMEM2" check --ignore /f:1:0 true
	contains "$err" "bad LENGTH" "--ignore of length 0"
	expect 2 "$PMEM2" check --frob true
	contains "$err" "unknown option" "unknown option"
	expect 2 "$PMEM2" check -- "$work/no-such-program"
	contains "$err" "cannot run '$work/no-such-program': No such file or directory" "missing PROGRAM"
	: >"$work/not-exec"
	expect 2 "$PMEM2" check "$work/not-exec"
	contains "$err" "Permission denied" "PROGRAM not executable"
	;;
check_clean)
	zeros "$work/f" 65536
	expect 0 "$PMEM2" check -- "$PROGS/persist_ok" "$work/f"
	contains "$out" "0 findings" "correct program"
	# a program that maps nothing, and one that fails: no findings, its status said
	expect 0 "$PMEM2" check true
	expect 0 "$PMEM2" check -- sh -c 'exit 5'
	contains "$out" "exited with status 5" "program's own status"
	;;
check_never)
	zeros "$work/f" 65536
	real=$(realpath "$work/f")
	for how in delete exit; do
		zeros "$work/f" 65536
		expect 1 "$PMEM2" check "$PROGS/never_persisted" "$work/f" "$how"
		contains "$out" "never made durable: $real offset 12388 length 64" "never persisted ($how)"
		contains "$out" "1 finding" "never persisted ($how): one finding"
		[ "$(grep -c "never made durable" <<<"$out")" -eq 1 ] || fail "never persisted ($how): not exactly one finding: $out"
	done
	# the ignored range is not reported (hex and decimal)
	zeros "$work/f" 65536
	expect 0 "$PMEM2" check --ignore "$real:0x3064:64" -- "$PROGS/never_persisted" "$work/f"
	contains "$out" "0 findings" "ignored range"
	zeros "$work/f" 65536
	expect 1 "$PMEM2" check --ignore="$real:12388:32" "$PROGS/never_persisted" "$work/f"
	contains "$out" "never made durable: $real offset 12420 length 32" "half ignored"
	# without PMEM2_CHECK nothing is checked or written
	zeros "$work/f" 65536
	expect 0 env -u PMEM2_CHECK "$PROGS/never_persisted" "$work/f"
	[ -z "$err" ] || fail "no check mode: stderr not empty: $err"
	;;
check_deleted)
	# A file deleted while mapped: the findings name it as /proc/self/fd
	# named the map's descriptor at pmem2_map_new. Unlinked after the map
	# (also replaced by another file): its name; unlinked before (opened,
	# unlinked, mapped): the name Linux gives it, "PATH (deleted)".
	zeros "$work/f" 65536
	real=$(realpath "$work/f")
	for how in delete exit; do
		for when in after-map replaced before-map; do
			zeros "$work/f" 65536
			expect 1 "$PMEM2" check "$PROGS/deleted" "$work/f" $when $how
			name=$real
			[ $when != before-map ] || name="$real (deleted)"
			[ "$out" = "never made durable: $name offset 12388 length 64
1 finding" ] || fail "deleted $when ($how): $out"
			[ -z "$err" ] || fail "deleted $when ($how): stderr: $err"
			case $when in
			replaced) [ "$(head -c 1 "$work/f" | od -An -tx1 | tr -d ' ')" = ff ] || fail "replaced: not the new file" ;;
			*) [ ! -e "$work/f" ] || fail "deleted $when: $work/f still there" ;;
			esac
		done
	done
	# --ignore and --json take the name as the finding gives it
	zeros "$work/f" 65536
	expect 0 "$PMEM2" check --ignore "$real (deleted):12388:64" -- "$PROGS/deleted" "$work/f" before-map
	[ "$out" = "0 findings" ] || fail "deleted, ignored: $out"
	if have_python; then
		zeros "$work/f" 65536
		expect 1 "$PMEM2" check --json "$PROGS/deleted" "$work/f" before-map exit
		[ "$(json_get "$out" '[[f[k] for k in ("kind","path","offset","length")] for f in j["findings"]]')" = "[['never-durable', '$real (deleted)', 12388, 64]]" ] ||
			fail "deleted, json: $out"
	fi
	;;
check_from_existing)
	# maps of pmem2_map_from_existing are tracked: the file offset of the
	# map's address from /proc/self/maps (the program maps file offset
	# 8192 and makes the map 4096 bytes in), "anonymous" for an
	# anonymous source
	zeros "$work/f" 65536
	real=$(realpath "$work/f")
	for how in delete exit; do
		zeros "$work/f" 65536
		expect 1 "$PMEM2" check "$PROGS/from_existing" "$work/f" file $how
		[ "$out" = "never made durable: $real offset 12388 length 64
1 finding" ] || fail "from_existing, file ($how): $out"
		expect 1 "$PMEM2" check "$PROGS/from_existing" "$work/f" anon $how
		[ "$out" = "never made durable: anonymous offset 100 length 64
1 finding" ] || fail "from_existing, anonymous ($how): $out"
	done
	# its msync is a persistence point; the image holds the map's durable
	# bytes at their file offset
	zeros "$work/f" 65536
	expect 1 "$PMEM2" check --keep "$work/kept" --recover 'false {}' -- "$PROGS/from_existing" "$work/f" file
	contains "$out" "crash states: 1 points in the run, 1 examined [0], 1 images, 1 failed" "from_existing, crash states"
	contains "$out" "durable image of $real: CMD exited with status 1" "from_existing, the image's file"
	cmp -s "$work/kept/p0-f0.img" <(head -c 65536 /dev/zero) || fail "from_existing: point 0 is not the durable (all zero) image"
	;;
check_nodrain)
	zeros "$work/f" 65536
	real=$(realpath "$work/f")
	export PMEM2_FORCE_GRANULARITY=CACHE_LINE
	zeros "$work/f" 65536
	expect 1 "$PMEM2" check "$PROGS/nodrain" "$work/f" none
	contains "$out" "never made durable: $real offset 256 length 64" "NODRAIN without drain"
	zeros "$work/f" 65536
	expect 0 "$PMEM2" check "$PROGS/nodrain" "$work/f" drain
	zeros "$work/f" 65536
	expect 1 "$PMEM2" check "$PROGS/nodrain" "$work/f" restore
	contains "$out" "not durable at return of pmem2_memcpy+pmem2_drain: $real offset 256 length 1" "store before drain"
	contains "$out" "never made durable: $real offset 256 length 1" "store before drain, at delete"
	# at PAGE granularity a NODRAIN copy is synced by its msync already
	export PMEM2_FORCE_GRANULARITY=PAGE
	zeros "$work/f" 65536
	expect 0 "$PMEM2" check "$PROGS/nodrain" "$work/f" none
	unset PMEM2_FORCE_GRANULARITY
	;;
check_json)
	have_python || { echo "SKIP: python3 needed"; exit 77; }
	zeros "$work/f" 65536
	real=$(realpath "$work/f")
	expect 1 "$PMEM2" check --json "$PROGS/never_persisted" "$work/f"
	[ "$(json_get "$out" 'j["status"]')" = findings ] || fail "json status: $out"
	[ "$(json_get "$out" 'j["exit_code"]')" = 0 ] || fail "json exit_code: $out"
	[ "$(json_get "$out" 'j["signal"]')" = None ] || fail "json signal: $out"
	[ "$(json_get "$out" 'len(j["findings"])')" = 1 ] || fail "json findings: $out"
	[ "$(json_get "$out" '[j["findings"][0][k] for k in ("kind","path","offset","length")]')" = "['never-durable', '$real', 12388, 64]" ] ||
		fail "json finding: $out"
	# the program's stdout does not mix into the document
	expect 0 "$PMEM2" check --json -- sh -c 'echo hello'
	[ "$(json_get "$out" 'j["status"]')" = clean ] || fail "json clean: $out"
	contains "$err" "hello" "program stdout on stderr"
	expect 2 "$PMEM2" check --json /no/such/program
	[ "$(json_get "$out" 'j["status"]')" = error ] || fail "json error: $out"
	;;
check_crash)
	zeros "$work/f" 65536
	expect 2 "$PMEM2" check "$PROGS/crash" "$work/f"
	contains "$out" "killed by signal 6" "crash reported"
	contains "$out" "0 findings" "crash: no findings"
	# findings written before the crash still count
	zeros "$work/f" 65536
	expect 1 "$PMEM2" check -- sh -c '"$0" "$1" delete; kill -ABRT $$' "$PROGS/never_persisted" "$work/f"
	contains "$out" "killed by signal 6" "crash after findings"
	contains "$out" "1 finding" "crash after findings: counted"
	;;
check_future)
	# a future relied on before it completed, and one never run
	real=$(realpath "$work/f")
	for mover in default threads; do
		zeros "$work/f" 65536
		expect 0 "$PMEM2" check -- "$PROGS/future" "$work/f" ok $mover
		contains "$out" "0 findings" "future ok ($mover)"
		zeros "$work/f" 65536
		expect 1 "$PMEM2" check -- "$PROGS/future" "$work/f" dropped $mover
		contains "$out" "future of pmem2_memcpy_async never completed: $real offset 0 length 64" "dropped future ($mover)"
		contains "$out" "1 finding" "dropped future ($mover): one finding"
		# relied on early: the future completes later, so only a crash
		# state shows the flag without its record
		zeros "$work/f" 65536
		expect 0 "$PMEM2" check -- "$PROGS/future" "$work/f" early $mover
		zeros "$work/f" 65536
		expect 0 "$PMEM2" check --recover "$PROGS/log_check {}" -- "$PROGS/future" "$work/f" ok $mover
		contains "$out" "0 failed" "future ok, crash states ($mover)"
		zeros "$work/f" 65536
		expect 1 "$PMEM2" check --recover "$PROGS/log_check {}" -- "$PROGS/future" "$work/f" early $mover
		contains "$out" "1 failed" "future relied on early ($mover)"
		contains "$err" "entry 0: flag set, record not written" "future relied on early ($mover): recovery's message"
	done
	# the completion is a persistence point named by its call
	zeros "$work/f" 65536
	expect 0 "$PMEM2" check --recover "$PROGS/log_check {}" -- "$PROGS/future" "$work/f" ok
	contains "$out" "crash states: 3 points in the run" "record msync, completion, flag msync"
	if have_python; then
		zeros "$work/f" 65536
		expect 1 "$PMEM2" check --json -- "$PROGS/future" "$work/f" dropped
		[ "$(json_get "$out" '[(f["kind"], f["call"], f["offset"], f["length"]) for f in j["findings"]]')" = "[('incomplete-future', 'pmem2_memcpy_async', 0, 64)]" ] ||
			fail "json incomplete future: $out"
	fi
	;;
check_foreign_mover)
	# a program's own mover streams on its own thread and does not fence
	real=$(realpath "$work/f")
	zeros "$work/f" 65536
	expect 1 env PMEM2_FORCE_GRANULARITY=CACHE_LINE "$PMEM2" check -- "$PROGS/foreign_mover" "$work/f" unfenced
	contains "$out" "not durable at completion of pmem2_memcpy_async: $real offset 0 length 4096" "unfenced mover"
	contains "$out" "never made durable: $real offset 0 length 4096" "unfenced mover, at delete"
	contains "$out" "2 findings" "unfenced mover: two findings"
	for g in CACHE_LINE BYTE PAGE; do
		zeros "$work/f" 65536
		expect 0 env PMEM2_FORCE_GRANULARITY=$g "$PMEM2" check -- "$PROGS/foreign_mover" "$work/f" fenced
		contains "$out" "0 findings" "fenced mover at $g"
	done
	# at BYTE and PAGE libpmem2's streaming kernels fence themselves
	for g in BYTE PAGE; do
		zeros "$work/f" 65536
		expect 0 env PMEM2_FORCE_GRANULARITY=$g "$PMEM2" check -- "$PROGS/foreign_mover" "$work/f" unfenced
	done
	;;
check_pmdk_built)
	# a program built against PMDK's header and linked with PMDK's
	# libpmem2: checked when ours is loaded in its place
	src=${PMEM2_CHECK_PROGRAMS_SRC:?}
	ours=${PMEM2_OUR_LIBDIR:?}
	[ -f /usr/include/libpmem2.h ] || { echo "SKIP: PMDK's header is absent (Debian package libpmem2-dev)"; exit 77; }
	${CC:-cc} -std=c11 -Wall -Wextra -Werror ${PMEM2_TEST_SANITIZE_FLAGS:-} -o "$work/np" "$src/never_persisted.c" -lpmem2 ||
		{ fail "cannot build never_persisted.c against PMDK's header"; exit 1; }
	ldd "$work/np" | grep -q "=> /.*lib/x86_64-linux-gnu/libpmem2.so.1" || fail "not linked with PMDK's libpmem2: $(ldd "$work/np")"
	real=$(realpath "$work/f")
	zeros "$work/f" 65536
	expect 1 env LD_LIBRARY_PATH="$ours" "$PMEM2" check -- "$work/np" "$work/f"
	contains "$out" "never made durable: $real offset 12388 length 64" "PMDK-built program, our library"
	# PMDK's own library loaded: it runs, nothing is checked
	if [ -z "${PMEM2_TEST_SANITIZE_FLAGS:-}" ]; then
		zeros "$work/f" 65536
		expect 0 env -u LD_LIBRARY_PATH "$PMEM2" check -- "$work/np" "$work/f"
		contains "$out" "0 findings" "PMDK-built program, PMDK's library"
	fi
	;;
check_recover_usage)
	expect 2 "$PMEM2" check --recover 'true' -- true
	contains "$err" "CMD must hold {}" "--recover without {}"
	expect 2 "$PMEM2" check --reorder -- true
	contains "$err" "need --recover" "--reorder without --recover"
	expect 2 "$PMEM2" check --recover 'true {}' --crash-points 0 -- true
	contains "$err" "not 1..64" "--crash-points 0"
	expect 2 "$PMEM2" check --recover 'true {}' --crash-points 65 -- true
	contains "$err" "not 1..64" "--crash-points 65"
	expect 2 "$PMEM2" check --recover 'true {}' --recover-timeout x -- true
	contains "$err" "not a number of seconds" "bad --recover-timeout"
	expect 2 "$PMEM2" check --recover 'true {}' --seed -1 -- true
	contains "$err" "not a whole number" "bad --seed"
	: >"$work/file"
	expect 2 "$PMEM2" check --recover 'true {}' --keep "$work/file/sub" -- true
	contains "$err" "--keep $work/file/sub" "--keep that cannot be made"
	# a program that maps nothing: no crash states, no findings
	expect 0 "$PMEM2" check --recover 'false {}' -- true
	contains "$out" "crash states: unknown points in the run, 0 examined" "nothing mapped: no libpmem2 map, no points line"
	;;
check_recover_log)
	# correct log: every crash state recovers, also reordered
	zeros "$work/f" 65536
	expect 0 "$PMEM2" check --recover "$PROGS/log_check {}" -- "$PROGS/log" "$work/f" ok
	contains "$out" "crash states: 2 points in the run, 2 examined [0,1], 2 images, 0 failed" "ok log"
	zeros "$work/f" 65536
	expect 0 "$PMEM2" check --reorder --recover "$PROGS/log_check {}" -- "$PROGS/log" "$work/f" ok
	contains "$out" "0 failed" "ok log, reordered"
	# flag persisted before its record: the crash at the record's msync
	real=$(realpath "$work/f")
	zeros "$work/f" 65536
	expect 1 "$PMEM2" check --recover "$PROGS/log_check {}" -- "$PROGS/log" "$work/f" flag-first
	contains "$out" "crash state fails recovery: point 1 (msync, thread " "flag first: the point"
	contains "$out" "durable image of $real: CMD exited with status 1" "flag first: the image and status"
	contains "$out" "1 failed" "flag first: only point 1"
	contains "$err" "entry 0: flag set, record not written" "recovery's own message"
	# without --recover the same program has no finding
	zeros "$work/f" 65536
	expect 0 "$PMEM2" check -- "$PROGS/log" "$work/f" flag-first
	# --json
	if have_python; then
		zeros "$work/f" 65536
		expect 1 "$PMEM2" check --json --recover "$PROGS/log_check {}" -- "$PROGS/log" "$work/f" flag-first
		[ "$(json_get "$out" '[(f["point"], f["call"], f["choice"], f["kept"]) for f in j["crash_states"]["failures"]]')" = "[(1, 'msync', 'durable', None)]" ] ||
			fail "json crash failure: $out"
		[ "$(json_get "$out" 'j["crash_states"]["points"]')" = 2 ] || fail "json points: $out"
	fi
	;;
check_recover_reorder)
	# record and flag flushed, then one drain: no crash at a persistence
	# point shows the flag without its record; a reordered image does
	real=$(realpath "$work/f")
	for g in CACHE_LINE PAGE; do
		zeros "$work/f" 65536
		expect 0 env PMEM2_FORCE_GRANULARITY=$g "$PMEM2" check --recover "$PROGS/log_check {}" -- "$PROGS/log" "$work/f" unfenced
		contains "$out" "0 failed" "unfenced at $g without --reorder"
		zeros "$work/f" 65536
		expect 1 env PMEM2_FORCE_GRANULARITY=$g "$PMEM2" check --reorder --recover "$PROGS/log_check {}" -- "$PROGS/log" "$work/f" unfenced
		contains "$out" "1 failed" "unfenced at $g with --reorder: one state"
	done
	# at PAGE: the record's msync, the flag's page written back early
	contains "$out" "point 0 (msync, thread " "unfenced at PAGE: the record's msync"
	contains "$out" "early=4096+4096 image of $real" "unfenced at PAGE: the flag's page early"
	# at CACHE_LINE: the one fence, the flag's line written back alone
	zeros "$work/f" 65536
	expect 1 env PMEM2_FORCE_GRANULARITY=CACHE_LINE "$PMEM2" check --reorder --recover "$PROGS/log_check {}" -- "$PROGS/log" "$work/f" unfenced
	contains "$out" "point 0 (fence, thread " "unfenced at CACHE_LINE: the fence"
	contains "$out" "early=4096+64 image of $real" "unfenced at CACHE_LINE: the flag's line early"
	;;
check_recover_cmd)
	# a recovery command that hangs is killed at the timeout, one that
	# crashes is reported with its signal; --keep keeps the failing images
	zeros "$work/f" 65536
	start=$(date +%s)
	expect 1 "$PMEM2" check --recover-timeout 1 --recover 'sleep 100; : {}' -- "$PROGS/log" "$work/f" ok
	[ $(($(date +%s) - start)) -lt 20 ] || fail "hanging recovery not killed in time"
	contains "$out" "CMD timed out after 1 s (killed)" "hang"
	contains "$out" "2 failed" "hang: both points"
	pgrep -f 'sleep 100; : ' >/dev/null && fail "the hanging recovery's shell survived"
	zeros "$work/f" 65536
	expect 1 "$PMEM2" check --keep "$work/kept" --recover 'kill -SEGV $$; : {}' -- "$PROGS/log" "$work/f" ok
	contains "$out" "CMD was killed by signal 11" "crash"
	contains "$out" "kept $work/kept/p0-f0.img" "kept image named"
	[ "$(ls "$work/kept" | wc -l)" -eq 2 ] || fail "--keep: not 2 images: $(ls "$work/kept")"
	cmp -s "$work/kept/p0-f0.img" <(head -c 65536 /dev/zero) || fail "--keep: point 0 is not the durable (all zero) image"
	zeros "$work/f" 65536
	expect 1 "$PMEM2" check --keep "$work/kept2" --recover "$PROGS/log_check {}" -- "$PROGS/log" "$work/f" flag-first
	[ "$(ls "$work/kept2")" = p1-f0.img ] || fail "--keep: only the failing image: $(ls "$work/kept2")"
	"$PROGS/log_check" "$work/kept2/p1-f0.img" 2>/dev/null && fail "the kept image does not fail recovery"
	# images are not left behind without --keep
	zeros "$work/f" 65536
	export TMPDIR="$work/tmp"
	mkdir -p "$TMPDIR"
	expect 1 "$PMEM2" check --recover "$PROGS/log_check {}" -- "$PROGS/log" "$work/f" flag-first
	[ -z "$(ls "$TMPDIR")" ] || fail "images left in TMPDIR: $(ls -R "$TMPDIR")"
	unset TMPDIR
	;;
check_recover_deleted)
	# crash states of a file deleted while mapped: the images come from the
	# durable image, zeros outside the mapping when the path no longer names
	# the mapped file (deleted, or replaced: the new file's bytes are not
	# taken)
	zeros "$work/zeros" 65536
	zeros "$work/f" 65536
	real=$(realpath "$work/f")
	for when in after-map replaced before-map; do
		zeros "$work/f" 65536
		name=$real
		[ $when != before-map ] || name="$real (deleted)"
		expect 1 "$PMEM2" check --recover "cmp {} '$work/zeros'" -- "$PROGS/deleted" "$work/f" $when
		[ "$out" = "never made durable: $name offset 12388 length 64
crash states: 1 points in the run, 1 examined [0], 1 images, 0 failed
1 finding" ] || fail "recover, deleted $when: $out"
		zeros "$work/f" 65536
		expect 1 "$PMEM2" check --recover "false {}" -- "$PROGS/deleted" "$work/f" $when exit
		contains "$out" "durable image of $name: CMD exited with status 1" "recover, deleted $when: the file"
		contains "$out" "1 failed" "recover, deleted $when: one state"
	done
	;;
check_recover_points)
	# 8 entries: 16 points; every one examined by default (exhaustive,
	# every reorder subset too), N of them spread by the seed
	zeros "$work/f" 65536
	expect 0 "$PMEM2" check --reorder --recover "$PROGS/log_check {}" -- "$PROGS/log" "$work/f" ok 8
	contains "$out" "crash states: 16 points in the run, 16 examined [0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15], 32 images, 0 failed" "exhaustive"
	zeros "$work/f" 65536
	expect 1 "$PMEM2" check --recover "$PROGS/log_check {}" -- "$PROGS/log" "$work/f" flag-first 8
	contains "$out" "16 examined" "exhaustive, flag first"
	contains "$out" "8 failed" "exhaustive, flag first: every record's msync"
	for p in 1 3 5 7 9 11 13 15; do
		contains "$out" "point $p (msync, thread " "exhaustive, flag first: point $p"
	done
	# reordered, also the flag's own msync: its page written back early
	zeros "$work/f" 65536
	expect 1 "$PMEM2" check --reorder --recover "$PROGS/log_check {}" -- "$PROGS/log" "$work/f" flag-first 8
	contains "$out" "16 failed" "exhaustive reordered, flag first"
	picked() { sed -n 's/.* examined \[\([0-9,]*\)\].*/\1/p' <<<"$out"; }
	zeros "$work/f" 65536
	expect 0 "$PMEM2" check --crash-points 4 --seed 7 --recover "$PROGS/log_check {}" -- "$PROGS/log" "$work/f" ok 8
	contains "$out" "16 points in the run, 4 examined" "4 of 16"
	a=$(picked)
	zeros "$work/f" 65536
	expect 0 "$PMEM2" check --crash-points 4 --seed 7 --recover "$PROGS/log_check {}" -- "$PROGS/log" "$work/f" ok 8
	[ "$(picked)" = "$a" ] || fail "--seed 7 twice: $a then $(picked)"
	zeros "$work/f" 65536
	expect 0 "$PMEM2" check --crash-points 4 --seed 8 --recover "$PROGS/log_check {}" -- "$PROGS/log" "$work/f" ok 8
	[ "$(picked)" != "$a" ] || fail "--seed 8 picks what --seed 7 did: $a"
	;;
*)
	echo "unknown case $case_name" >&2
	exit 1
	;;
esac

if [ "$failures" -ne 0 ]; then
	echo "$case_name: $failures failure(s)" >&2
	exit 1
fi
echo "$case_name: ok"
