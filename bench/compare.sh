#!/bin/sh
# Side-by-side: bench/side_by_side.c built against PMDK's libpmem2 and
# against ours, run alternately (ABBA per section, several rounds) in one
# invocation; prints the machine and a table of ratios PMDK time / our time
# (above 1.00: ours is faster) of the per-cell medians, and the cells where
# ours is slower in every round's ABBA quartet (slower beyond noise). A
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
echo "method: $rounds rounds x ABBA per section, ${budget} ms per cell and run, median of batch means per run, median over runs; memcpy source shift $shift_arg"

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

python3 - "$raw" <<'EOF'
import math, statistics, sys
from collections import defaultdict

runs = defaultdict(list)
by_round = defaultdict(list)
for line in open(sys.argv[1]):
    lib, rnd, gran, op, flags, size, ns, _ = line.split()
    runs[(gran, op, flags, int(size), lib)].append(float(ns))
    by_round[(gran, op, flags, int(size), lib, int(rnd))].append(float(ns))

med = {k: statistics.median(v) for k, v in runs.items()}
cells = sorted({k[:4] for k in med})
sizes = sorted({k[3] for k in cells})
rows = []
for c in cells:
    if (c[:3]) not in rows:
        rows.append(c[:3])

def fmt_size(n):
    for unit, s in (("M", 1 << 20), ("K", 1 << 10)):
        if n >= s and n % s == 0:
            return f"{n // s}{unit}"
    return str(n)

def fmt_ns(ns):
    if ns >= 1e6: return f"{ns / 1e6:.2f}ms"
    if ns >= 1e3: return f"{ns / 1e3:.1f}us"
    return f"{ns:.0f}ns"

def table(title, cell):
    """One row per (granularity, op, flags), one column per size; cell(p, o)
    formats a cell from PMDK's and our medians."""
    print()
    print(title)
    print("| granularity | op | flags | " + " | ".join(fmt_size(s) for s in sizes) + " |")
    print("|---|---|---|" + "---:|" * len(sizes))
    for row in rows:
        out = []
        for s in sizes:
            p = med.get(row + (s, "pmdk"))
            o = med.get(row + (s, "ours"))
            out.append("" if p is None or o is None else cell(p, o))
        print(f"| {row[0]} | {row[1]} | {row[2]} | " + " | ".join(out) + " |")

table("ratio = PMDK time / our time (above 1.00: ours faster)", lambda p, o: f"{p / o:.2f}")
table("absolute medians, PMDK / ours:", lambda p, o: f"{fmt_ns(p)} / {fmt_ns(o)}")

ratios = []
for row in rows:
    for s in sizes:
        p = med.get(row + (s, "pmdk"))
        o = med.get(row + (s, "ours"))
        if p is not None and o is not None:
            ratios.append((p / o, row, s))

if ratios:
    for gran in sorted({r[1][0] for r in ratios}):
        sub = [r for r in ratios if r[1][0] == gran]
        gm = math.exp(sum(math.log(r[0]) for r in sub) / len(sub))
        worst = min(sub, key=lambda r: r[0])
        below = sum(1 for r in sub if r[0] < 0.95)
        print(f"\n{gran}: geometric mean {gm:.3f}x over {len(sub)} cells; "
              f"{below} cells below 0.95; worst {worst[0]:.2f} "
              f"({worst[1][1]} {worst[1][2]} {fmt_size(worst[2])})")
    gm = math.exp(sum(math.log(r[0]) for r in ratios) / len(ratios))
    print(f"\nall: geometric mean {gm:.3f}x over {len(ratios)} cells")

    # Beyond noise: the two runs of each library in one ABBA quartet are
    # adjacent in time, so the host's slower spells hit both alike. A cell
    # where ours is more than 3% slower in every round's quartet is slower
    # consistently, not by a noisy median.
    rounds_seen = sorted({k[5] for k in by_round})
    slow = []
    for r in ratios:
        row, s = r[1], r[2]
        per = []
        for rnd in rounds_seen:
            p = by_round.get(row + (s, "pmdk", rnd))
            o = by_round.get(row + (s, "ours", rnd))
            if p and o:
                per.append(statistics.mean(p) / statistics.mean(o))
        if len(per) >= 2 and all(x < 0.97 for x in per):
            slow.append((row, s, per))
    print(f"\nslower in every round (ours > 3% slower in each ABBA quartet): {len(slow)} cells")
    for row, s, per in slow:
        print(f"  {row[0]} {row[1]} {row[2]} {fmt_size(s)}: " +
              " ".join(f"{x:.2f}" for x in per))
EOF
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg); took $((end - start)) s"
