#!/usr/bin/env bash
# The check mode's cost on a persistence-heavy program: bench_check_log run
# plain and under `pmem2 check`, alternated ROUNDS times per record size, at
# CACHE_LINE granularity on /dev/shm; prints per size the medians and their
# ratio (docs/PERFORMANCE.md, "The check mode").
#   bench/check_slowdown.sh BUILD_DIR [RECORDS [ROUNDS]]
set -euo pipefail
build=${1:?usage: check_slowdown.sh BUILD_DIR [RECORDS [ROUNDS]]}
records=${2:-20000}
rounds=${3:-5}
log=$build/bench/bench_check_log
tool=$build/tools/pmem2/pmem2
file=$(mktemp /dev/shm/check_log.XXXXXX)
trap 'rm -f "$file"' EXIT
export PMEM2_FORCE_GRANULARITY=CACHE_LINE
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
echo "size plain_us checked_us ratio"
for size in 64 256 4096; do
	plain=() checked=()
	for _ in $(seq "$rounds"); do
		plain+=("$("$log" "$file" "$records" "$size")")
		checked+=("$("$tool" check -- "$log" "$file" "$records" "$size" | sed -n 1p)")
	done
	p=$(printf '%s\n' "${plain[@]}" | median)
	c=$(printf '%s\n' "${checked[@]}" | median)
	echo "$size $p $c $(awk -v p="$p" -v c="$c" 'BEGIN {printf "%.2f", c / p}')"
done
