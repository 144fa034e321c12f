#!/bin/sh
# Side-by-side: bench/side_by_side.c built against PMDK's libpmem2 and
# against ours, run alternately (ABBA per section, several rounds) in one
# invocation; prints the machine, its load, and the report of
# compare_report.py: per cell the median over the rounds of the ratio PMDK
# time / our time (above 1.00: ours is faster), its spread, the cells whose
# spread crosses 1.00, and from which round the figures were stable. A
# section is one granularity and operation with all its flags and sizes, in
# one process.
#
# usage: compare.sh PMDK_BINARY OUR_BINARY [options]
#   -r N        rounds (default 3; each round runs every section twice, ABBA)
#   -t MS       time budget per cell and run (default 10)
#   -g LIST     granularities, comma separated (default CACHE_LINE,PAGE,BYTE;
#               PAGE and BYTE rows use flags 0 and NODRAIN only)
#   -o LIST     operations (default memcpy,memmove,memset,persist)
#   -f LIST     flags for CACHE_LINE (default: all nine)
#   -s LIST     sizes in bytes (default 64 B .. 16 MiB, powers of four)
#   -a SHIFT    memcpy source offset relative to the destination, mod 4096
#               (default 0: same low 12 address bits, as page-aligned buffers)
#   -d DIR      where the scratch file goes (default /dev/shm)
#   -k FILE     keep the raw results in FILE
set -eu

if [ $# -lt 2 ]; then
	sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'
	exit 2
fi
PMDK=$1
OURS=$2
shift 2

rounds=3
budget=10
grans=CACHE_LINE,PAGE,BYTE
ops=memcpy,memmove,memset,persist
flags=0,NODRAIN,NONTEMPORAL,TEMPORAL,NOFLUSH,WC,WB,NT_NODRAIN,T_NODRAIN
sizes=
dir=/dev/shm
keep=
shift_arg=0
while getopts r:t:g:o:f:s:a:d:k: opt; do
	case $opt in
	r) rounds=$OPTARG ;;
	t) budget=$OPTARG ;;
	g) grans=$OPTARG ;;
	o) ops=$OPTARG ;;
	f) flags=$OPTARG ;;
	s) sizes=$OPTARG ;;
	a) shift_arg=$OPTARG ;;
	d) dir=$OPTARG ;;
	k) keep=$OPTARG ;;
	*) exit 2 ;;
	esac
done

for b in "$PMDK" "$OURS"; do
	[ -x "$b" ] || { echo "compare.sh: $b is not an executable" >&2; exit 2; }
done

raw=$(mktemp)
trap 'rm -f "$raw"' EXIT

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
cores=$(nproc)
isa=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' |
	grep -E '^(avx|avx2|avx512f|clflushopt|clwb|movdir64b)$' | tr '\n' ' ')
echo "machine: $cpu, $cores cores, $(uname -sr), ${isa% }"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "method: $rounds rounds x ABBA per section, ${budget} ms per cell and run, median of batch means per run; a round's ratio is the mean of PMDK's two runs over ours; median and spread over the rounds; memcpy source shift $shift_arg"

start=$(date +%s)
sizearg=
[ -n "$sizes" ] && sizearg="-s $sizes"

run() {	# lib binary granularity op flags
	# shellcheck disable=SC2086
	PMEM2_FORCE_GRANULARITY=$3 "$2" -d "$dir" -a "$shift_arg" -o "$4" -f "$5" -t "$budget" $sizearg |
		sed "s/^/$1 $r /" >> "$raw"
}

r=1
while [ "$r" -le "$rounds" ]; do
	for g in $(echo "$grans" | tr ',' ' '); do
		if [ "$g" = CACHE_LINE ]; then fl=$flags; else fl=0,NODRAIN; fi
		for o in $(echo "$ops" | tr ',' ' '); do
			run pmdk "$PMDK" "$g" "$o" "$fl"
			run ours "$OURS" "$g" "$o" "$fl"
			run ours "$OURS" "$g" "$o" "$fl"
			run pmdk "$PMDK" "$g" "$o" "$fl"
		done
	done
	r=$((r + 1))
done
end=$(date +%s)
[ -n "$keep" ] && cp "$raw" "$keep"

python3 "$(dirname "$0")/compare_report.py" "$raw"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg); took $((end - start)) s"
