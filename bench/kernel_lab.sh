#!/bin/sh
# The floor of the side-by-side cells: bench_kernel_lab over the cells of
# the comparison (CACHE_LINE memcpy, flags 0, NODRAIN, NONTEMPORAL and
# TEMPORAL, 64 B to 16 MiB by default), then kernel_lab_report.py: per cell
# our function, PMDK's, and the fastest loop shape making the same stores.
#
# usage: kernel_lab.sh KERNEL_LAB [rounds (default 5)] [flag sets] [sizes] [ops]
set -eu
[ $# -ge 1 ] || { sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }
LAB=$1
rounds=${2:-5}
flag_sets=${3:-0,NODRAIN,NONTEMPORAL,TEMPORAL}
sizes=${4:-64,256,1024,4096,65536,1048576,16777216}
ops=${5:-memcpy}
raw=$(mktemp)
trap 'rm -f "$raw"' EXIT
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo "machine: $cpu, $(nproc) cores, $(uname -sr)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for f in $(echo "$flag_sets" | tr ',' ' '); do
	PMEM2_FORCE_GRANULARITY=CACHE_LINE "$LAB" -r "$rounds" -o "$ops" -f "$f" -s "$sizes" >>"$raw"
done
# The floors of a single drained line.
PMEM2_FORCE_GRANULARITY=CACHE_LINE "$LAB" -r "$rounds" -o memcpy -f 0 -s 64 -c fence,line_clwb,line_nt |
	sed 's/ memcpy 0 64 / memcpy floor 64 /' >>"$raw"
python3 "$(dirname "$0")/kernel_lab_report.py" "$raw"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
