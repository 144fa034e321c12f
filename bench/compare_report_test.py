#!/usr/bin/env python3
"""compare_report.py on raw runs made up for the purpose: the round ratios,
their median and spread, the crossing mark, the cells slower in every
round, and the round from which the figures are stable."""
import io
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_report as cr  # noqa: E402


def raw(cells):
    """cells: {(gran, op, flags, size): [(pmdk_a, ours_b, ours_b2, pmdk_a2), ...]}
    one ABBA quartet per round, in run order."""
    lines = []
    for (g, o, f, s), rounds in cells.items():
        for r, (p1, o1, o2, p2) in enumerate(rounds, 1):
            for lib, ns in (("pmdk", p1), ("ours", o1), ("ours", o2), ("pmdk", p2)):
                lines.append(f"{lib} {r} {g} {o} {f} {s} {ns} 100")
    return lines


class Report(unittest.TestCase):
    def test_round_ratio_is_the_mean_of_each_librarys_two_runs(self):
        cells = cr.analyse(cr.load(raw({("CACHE_LINE", "memcpy", "0", 64): [(100, 40, 60, 120)]})))
        v = cells[("CACHE_LINE", "memcpy", "0", 64)]
        self.assertAlmostEqual(v["ratios"][0], 110 / 50)

    def test_median_spread_and_crossing(self):
        rounds = [(105, 100, 100, 105), (90, 100, 100, 90), (110, 100, 100, 110)]
        cells = cr.analyse(cr.load(raw({("BYTE", "memset", "NODRAIN", 4096): rounds})))
        v = cells[("BYTE", "memset", "NODRAIN", 4096)]
        self.assertAlmostEqual(v["median"], 1.05)
        self.assertAlmostEqual(v["low"], 0.90)
        self.assertAlmostEqual(v["high"], 1.10)
        out = io.StringIO()
        cr.report(cells, out)
        text = out.getvalue()
        self.assertIn("| BYTE | memset | NODRAIN | 1.05* |", text)
        self.assertIn("0.90-1.10", text)
        self.assertIn("spread crossing 1.00: 1 cells", text)
        self.assertIn("slower in every round: 0 cells", text)

    def test_slower_in_every_round_and_below_one(self):
        rounds = [(95, 100, 100, 95), (97, 100, 100, 97)]
        cells = cr.analyse(cr.load(raw({("PAGE", "memcpy", "0", 1 << 20): rounds})))
        out = io.StringIO()
        cr.report(cells, out)
        text = out.getvalue()
        self.assertIn("below 1.00 by the median: 1 cells", text)
        self.assertIn("slower in every round: 1 cells", text)
        self.assertIn("PAGE memcpy 0 1M: 0.95 0.97", text)
        self.assertIn("| PAGE | memcpy | 0 | 0.96 |", text)

    def test_stability_round(self):
        # Running medians 2.0, 1.5, 1.2, 1.15, 1.2: round 3 is at the final
        # 1.2, but round 4 is 4% off it, so stable from round 5 only.
        ratios = [2.0, 1.0, 1.2, 1.1, 1.3]
        rounds = [(100 * r, 100, 100, 100 * r) for r in ratios]
        cells = cr.analyse(cr.load(raw({("CACHE_LINE", "memmove", "WB", 256): rounds})))
        v = cells[("CACHE_LINE", "memmove", "WB", 256)]
        self.assertEqual([round(x, 3) for x in v["running"]], [2.0, 1.5, 1.2, 1.15, 1.2])
        self.assertEqual(v["stable"], 5)
        self.assertEqual(cr.stable_from([1.0, 1.3, 1.01, 1.0], 0.02), 3)
        self.assertEqual(cr.stable_from([1.0], 0.02), 1)

    def test_rounds_with_one_library_only_are_ignored(self):
        lines = raw({("BYTE", "memcpy", "0", 64): [(10, 10, 10, 10)]})
        lines.append("ours 2 BYTE memcpy 0 64 5 100")
        cells = cr.analyse(cr.load(lines))
        self.assertEqual(cells[("BYTE", "memcpy", "0", 64)]["ratios"], [1.0])

    def test_geometric_mean_line(self):
        cells = cr.analyse(cr.load(raw({
            ("BYTE", "memcpy", "0", 64): [(200, 100, 100, 200)],
            ("BYTE", "memcpy", "0", 256): [(50, 100, 100, 50)],
        })))
        out = io.StringIO()
        cr.report(cells, out)
        self.assertIn("all: geometric mean 1.000x over 2 cells", out.getvalue())


if __name__ == "__main__":
    unittest.main()
