#!/usr/bin/env python3
"""The report of bench/kernel_lab.sh: per cell, our function, PMDK's, and the
fastest of the lab's loop shapes that make the same stores as a CACHE_LINE
call with those flags (streaming or regular stores with CLWB, drained or
not). That fastest shape is the cell's floor as far as these shapes know
it: a library within FLOOR_BAND of it has nothing left for another loop
shape to win on this machine.

Input: kernel_lab's lines, `<candidate> <round> <op> <flags> <size> <ns>`.
Each cell's figure per candidate is the median over the rounds.

usage: kernel_lab_report.py RAW_FILE
"""
import statistics
import sys
from collections import defaultdict

FLOOR_BAND = 0.02
THRESHOLD = 256  # the non-temporal threshold of an unhinted call


def fmt_size(n):
    for unit, s in (("M", 1 << 20), ("K", 1 << 10)):
        if n >= s and n % s == 0:
            return f"{n // s}{unit}"
    return str(n)


def streams(op, flags, size):
    """Whether a CACHE_LINE call with these flags uses streaming stores."""
    if "NONTEMPORAL" in flags or flags == "NT_NODRAIN" or flags == "WC":
        return True
    if flags in ("TEMPORAL", "T_NODRAIN", "WB", "NOFLUSH"):
        return False
    return size >= THRESHOLD


def eligible(name, op, flags, size):
    """A lab shape that makes the stores the rules select for the cell."""
    nt = streams(op, flags, size)
    if op == "memcpy":
        return name.startswith("nt_g") if nt else name.startswith("t_g")
    if op == "memset":
        return name.startswith("set_nt_g") if nt else name.startswith("set_t_g")
    return False


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    runs = defaultdict(list)
    for line in open(sys.argv[1]):
        f = line.split()
        if len(f) == 6:
            runs[(f[2], f[3], int(f[4]), f[0])].append(float(f[5]))
    med = {k: statistics.median(v) for k, v in runs.items()}
    cells = sorted({k[:3] for k in med}, key=lambda c: (c[0], c[1], c[2]))
    print(f"| op | flags | size | ours | PMDK | fastest lab shape | ours / fastest | PMDK / fastest | ours |")
    print("|---|---|---:|---:|---:|---|---:|---:|---|")
    at_floor = counted = 0
    for c in cells:
        ours = med.get(c + ("ours",))
        pmdk = med.get(c + ("pmdk",))
        shapes = [(v, k[3]) for k, v in med.items() if k[:3] == c and eligible(k[3], *c)]
        if ours is None or not shapes:
            continue
        counted += 1
        best, name = min(shapes + [(ours, "ours")] + ([(pmdk, "pmdk")] if pmdk else []))
        verdict = "at the floor" if ours <= best * (1 + FLOOR_BAND) else "above the floor"
        at_floor += verdict == "at the floor"
        p = f"{pmdk:.1f}" if pmdk else "-"
        pr = f"{pmdk / best:.3f}" if pmdk else "-"
        print(f"| {c[0]} | {c[1]} | {fmt_size(c[2])} | {ours:.1f} | {p} | {name} {best:.1f} | "
              f"{ours / best:.3f} | {pr} | {verdict} |")
    print(f"\n{at_floor} of {counted} cells: ours within {FLOOR_BAND:.0%} of the fastest shape "
          "(the libraries' own functions count as shapes)")
    floors = [(k, v) for k, v in med.items() if k[3] in ("fence", "line_clwb", "line_nt") and k[2] == 64]
    for k, v in sorted(floors, key=lambda kv: kv[1]):
        print(f"floor of one drained 64 B call, {k[3]}: {v:.1f} ns")
    return 0


if __name__ == "__main__":
    sys.exit(main())
