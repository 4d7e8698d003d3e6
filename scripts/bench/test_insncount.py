# SPDX-License-Identifier: GPL-2.0
"""tools/insn-count on a bare-metal program (tests/bench/insn-count/span.S) in
QEMU: the window, the ranges and a span= (a function with its callees).
python3 -m unittest discover -s scripts/bench -t ."""
import os
import subprocess
import tempfile
import unittest

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
PLUGIN = os.path.join(TOP, "build", "insn-count", "insn-count.so")


def run_span(args):
    """span.S in QEMU with the plugin given args(symbols); the window's line."""
    subprocess.run(["make", "-s", "-C", TOP, "build/insn-count/insn-count.so"], check=True)
    with tempfile.TemporaryDirectory() as t:
        elf = os.path.join(t, "span.elf")
        subprocess.run(["aarch64-linux-gnu-gcc", "-nostdlib", "-static",
                        "-Wl,-Ttext=0x40080000", "-Wl,--build-id=none",
                        os.path.join(TOP, "tests", "bench", "insn-count", "span.S"),
                        "-o", elf], check=True)
        nm = subprocess.run(["aarch64-linux-gnu-nm", elf], check=True, capture_output=True,
                            text=True).stdout
        sym = {f[2]: "0x" + f[0] for f in (line.split() for line in nm.splitlines())}
        out = os.path.join(t, "insns.txt")
        plugin = ",".join([PLUGIN, "out=" + out] + args(sym))
        subprocess.run(["qemu-system-aarch64", "-M", "virt", "-cpu", "max", "-smp", "1",
                        "-accel", "tcg,thread=single", "-icount", "shift=0,sleep=off",
                        "-nographic", "-nic", "none", "-kernel", elf, "-plugin", plugin],
                       check=True, timeout=60, stdin=subprocess.DEVNULL,
                       capture_output=True)
        with open(out) as f:
            line = f.read().strip()
    return line


class Span(unittest.TestCase):
    def test_span_counts_callees_and_their_share(self):
        line = run_span(lambda sym: ["range=f:%s:%s" % (sym["f"], sym["g"]),
                                     "range=g:%s:%s" % (sym["g"], sym["end"]), "span=f"])
        # bl f, f's 4 + g's 3, twice, and the stop marker.
        self.assertEqual(line, "window=1 insns=17 f=8 f.entries=2 g=6 g.entries=2 "
                         "f.calls=2 f.incl=14 f.in.g=6 f.in.g.entries=2")

    def test_pair_counts_entry_to_exit_with_callees(self):
        # f's first 2 and g's 3 (entry f, exit at f+8: the mov after bl g),
        # twice; a second exit that never runs changes nothing.
        line = run_span(lambda sym: ["pair=b:%s:%s:%s" % (sym["f"], hex(int(sym["f"], 16) + 8),
                                                          sym["end"])])
        self.assertEqual(line, "window=1 insns=17 b.pairs=2 b.body=10 b.min=5 b.max=5")

    def test_a_bad_pair_is_refused(self):
        # First in the run's order: on a fresh clone the plugin is not built yet.
        subprocess.run(["make", "-s", "-C", TOP, "build/insn-count/insn-count.so"], check=True)
        for arg in ("pair=b", "pair=b:0x10", "pair=:0x10:0x20", "pair=b:0x10:x"):
            r = subprocess.run(["qemu-system-aarch64", "-M", "virt", "-nographic", "-nic", "none",
                                "-plugin", PLUGIN + "," + arg], capture_output=True, text=True,
                               timeout=60, stdin=subprocess.DEVNULL)
            self.assertNotEqual(r.returncode, 0, arg)
            self.assertIn("insn-count: bad " + arg, r.stderr)

    def test_span_of_an_unknown_range_is_refused(self):
        subprocess.run(["make", "-s", "-C", TOP, "build/insn-count/insn-count.so"], check=True)
        r = subprocess.run(["qemu-system-aarch64", "-M", "virt", "-nographic", "-nic", "none",
                            "-plugin", PLUGIN + ",span=f"], capture_output=True, text=True,
                           timeout=60, stdin=subprocess.DEVNULL)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("insn-count: bad span=f (give its range first)", r.stderr)


if __name__ == "__main__":
    unittest.main()
