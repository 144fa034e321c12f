#!/usr/bin/env python3
"""kernel_lab_report.py on made-up lab output: which shapes count for a
cell (the stores the rules select), the fastest of them, and the verdict."""
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kernel_lab_report as kr  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


class Eligibility(unittest.TestCase):
    def test_store_kind_follows_the_flags_and_the_threshold(self):
        self.assertTrue(kr.eligible("t_g4", "memcpy", "0", 64))
        self.assertFalse(kr.eligible("nt_g4_p0", "memcpy", "0", 64))
        self.assertTrue(kr.eligible("nt_g8_p512", "memcpy", "0", 256))
        self.assertTrue(kr.eligible("nt_g8_p512", "memcpy", "NONTEMPORAL", 64))
        self.assertTrue(kr.eligible("t_g32", "memcpy", "TEMPORAL", 1 << 20))
        self.assertFalse(kr.eligible("nt_g8_p512", "memcpy", "TEMPORAL", 1 << 20))
        self.assertTrue(kr.eligible("set_nt_g8", "memset", "NODRAIN", 4096))
        self.assertFalse(kr.eligible("t_g4", "memset", "NODRAIN", 4096))
        self.assertFalse(kr.eligible("line_clwb", "memcpy", "0", 64))


class Report(unittest.TestCase):
    def run_report(self, lines):
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write("\n".join(lines) + "\n")
        try:
            return subprocess.run([sys.executable, os.path.join(HERE, "kernel_lab_report.py"), f.name],
                                  capture_output=True, text=True, check=True).stdout
        finally:
            os.unlink(f.name)

    def test_verdicts_and_fastest_shape(self):
        out = self.run_report([
            "ours 1 memcpy 0 4096 100", "ours 2 memcpy 0 4096 102", "ours 3 memcpy 0 4096 101",
            "pmdk 1 memcpy 0 4096 110", "nt_g4_p0 1 memcpy 0 4096 100.5",
            "t_g4 1 memcpy 0 4096 50",  # regular stores: not this cell's stores
            "ours 1 memcpy TEMPORAL 4096 120", "t_g8 1 memcpy TEMPORAL 4096 100",
            "line_clwb 1 memcpy floor 64 150",
        ])
        self.assertIn("| memcpy | 0 | 4K | 101.0 | 110.0 | nt_g4_p0 100.5 | 1.005 | 1.095 | at the floor |", out)
        self.assertIn("| memcpy | TEMPORAL | 4K | 120.0 | - | t_g8 100.0 | 1.200 | - | above the floor |", out)
        self.assertIn("1 of 2 cells", out)
        self.assertIn("floor of one drained 64 B call, line_clwb: 150.0 ns", out)


if __name__ == "__main__":
    unittest.main()
