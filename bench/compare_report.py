#!/usr/bin/env python3
"""The report of bench/compare.sh: from the raw lines of the alternated runs,
per cell the ratio PMDK time / our time (above 1.00: ours faster).

Raw input, one line per cell and run (side_by_side's output behind the
library and the round):

    <pmdk|ours> <round> <granularity> <op> <flags> <size> <median ns> <batches>

Each round runs every section ABBA, so a round holds two runs of each
library taken close together in time; the host's slower spells hit both
alike. The round's ratio of a cell is the mean of PMDK's two runs over the
mean of ours. Per cell the report gives the median of the rounds' ratios
and their spread (lowest and highest), marks cells whose spread crosses 1.0
(the sign of the difference is not settled by these rounds), and says from
which round on the figures stopped moving:

  * a cell is stable from round k when the median of rounds 1..j stays
    within STABLE_CELL of the final median for every j >= k;
  * the geometric mean is stable from round k when the geometric mean of
    the cells' running medians stays within STABLE_GM of the final one.

usage: compare_report.py RAW_FILE
"""
import math
import statistics
import sys
from collections import defaultdict

STABLE_CELL = 0.02
STABLE_GM = 0.01


def fmt_size(n):
    for unit, s in (("M", 1 << 20), ("K", 1 << 10)):
        if n >= s and n % s == 0:
            return f"{n // s}{unit}"
    return str(n)


def fmt_ns(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f}ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.1f}us"
    return f"{ns:.0f}ns"


def gmean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def load(lines):
    """{cell: {round: {lib: [ns, ...]}}}, cell = (gran, op, flags, size)."""
    runs = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    for line in lines:
        f = line.split()
        if len(f) < 7:
            continue
        lib, rnd, gran, op, flags, size, ns = f[:7]
        runs[(gran, op, flags, int(size))][int(rnd)][lib].append(float(ns))
    return runs


def round_ratios(per_round):
    """The cell's ratio in each round that has runs of both libraries."""
    out = []
    for rnd in sorted(per_round):
        libs = per_round[rnd]
        if libs.get("pmdk") and libs.get("ours"):
            out.append(statistics.mean(libs["pmdk"]) / statistics.mean(libs["ours"]))
    return out


def stable_from(series, tolerance):
    """First 1-based index k such that every running value from k on is
    within `tolerance` (relative) of the last one."""
    final = series[-1]
    k = len(series)
    for j in range(len(series) - 1, -1, -1):
        if abs(series[j] / final - 1) <= tolerance:
            k = j + 1
        else:
            break
    return k


def analyse(runs):
    cells = {}
    for cell, per_round in runs.items():
        r = round_ratios(per_round)
        if not r:
            continue
        running = [statistics.median(r[: j + 1]) for j in range(len(r))]
        medians = {lib: statistics.median([ns for libs in per_round.values() for ns in libs.get(lib, [])])
                   for lib in ("pmdk", "ours")}
        cells[cell] = {
            "ratios": r,
            "median": running[-1],
            "low": min(r),
            "high": max(r),
            "running": running,
            "stable": stable_from(running, STABLE_CELL),
            "ns": medians,
        }
    return cells


def report(cells, out=sys.stdout):
    if not cells:
        print("no cell has runs of both libraries", file=out)
        return
    sizes = sorted({c[3] for c in cells})
    rows = []
    for c in sorted(cells):
        if c[:3] not in rows:
            rows.append(c[:3])
    nrounds = max(len(v["ratios"]) for v in cells.values())

    def table(title, fmt):
        print(file=out)
        print(title, file=out)
        print("| granularity | op | flags | " + " | ".join(fmt_size(s) for s in sizes) + " |", file=out)
        print("|---|---|---|" + "---:|" * len(sizes), file=out)
        for row in rows:
            vals = [fmt(cells[row + (s,)]) if row + (s,) in cells else "" for s in sizes]
            print(f"| {row[0]} | {row[1]} | {row[2]} | " + " | ".join(vals) + " |", file=out)

    def mark(v):
        return "*" if v["low"] < 1.0 < v["high"] else ""

    table(f"median ratio over {nrounds} rounds, PMDK time / our time (above 1.00: ours faster;"
          " * the rounds' spread crosses 1.00)",
          lambda v: f"{v['median']:.2f}{mark(v)}")
    table("spread: lowest-highest round ratio", lambda v: f"{v['low']:.2f}-{v['high']:.2f}")
    table("absolute medians of all runs, PMDK / ours", lambda v: f"{fmt_ns(v['ns']['pmdk'])} / {fmt_ns(v['ns']['ours'])}")

    print(file=out)
    for gran in sorted({c[0] for c in cells}):
        sub = {c: v for c, v in cells.items() if c[0] == gran}
        worst = min(sub.items(), key=lambda kv: kv[1]["median"])
        print(f"{gran}: geometric mean {gmean([v['median'] for v in sub.values()]):.3f}x over {len(sub)} cells;"
              f" {sum(v['median'] < 1.0 for v in sub.values())} below 1.00 by the median;"
              f" worst {worst[1]['median']:.2f} ({worst[0][1]} {worst[0][2]} {fmt_size(worst[0][3])})", file=out)
    all_gm = gmean([v["median"] for v in cells.values()])
    print(f"\nall: geometric mean {all_gm:.3f}x over {len(cells)} cells", file=out)

    below = sorted((c for c, v in cells.items() if v["median"] < 1.0), key=lambda c: cells[c]["median"])
    print(f"\nbelow 1.00 by the median: {len(below)} cells", file=out)
    for c in below:
        v = cells[c]
        print(f"  {c[0]} {c[1]} {c[2]} {fmt_size(c[3])}: {v['median']:.2f} [{v['low']:.2f}-{v['high']:.2f}]", file=out)
    crossing = [c for c, v in cells.items() if mark(v)]
    print(f"spread crossing 1.00: {len(crossing)} cells", file=out)
    slow = sorted(c for c, v in cells.items() if v["high"] < 1.0)
    print(f"slower in every round: {len(slow)} cells", file=out)
    for c in slow:
        v = cells[c]
        print(f"  {c[0]} {c[1]} {c[2]} {fmt_size(c[3])}: " + " ".join(f"{x:.2f}" for x in v["ratios"]), file=out)

    # Stability: the geometric mean of the cells' running medians round by
    # round, and how many rounds each cell needed.
    full = [c for c, v in cells.items() if len(v["ratios"]) == nrounds]
    gm_series = [gmean([cells[c]["running"][j] for c in full]) for j in range(nrounds)]
    gm_k = stable_from(gm_series, STABLE_GM)
    stab = sorted(v["stable"] for v in cells.values())
    p90 = stab[min(len(stab) - 1, math.ceil(0.9 * len(stab)) - 1)]
    print(f"\nstability: geometric mean after each round " + " ".join(f"{x:.3f}" for x in gm_series), file=out)
    print(f"stability: the geometric mean stays within {STABLE_GM:.0%} of its final value from round {gm_k}"
          f" of {nrounds}; 90% of the cells' medians stay within {STABLE_CELL:.0%} of theirs from round {p90},"
          f" all of them from round {stab[-1]}", file=out)


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        report(analyse(load(f)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
