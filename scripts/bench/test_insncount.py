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


def qemu(plugin, *args):
    """qemu-system-aarch64 with the plugin given plugin (its arguments)."""
    return subprocess.run(["qemu-system-aarch64", "-M", "virt", "-nographic", "-nic", "none",
                           "-plugin", ",".join([PLUGIN] + plugin)] + list(args),
                          capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


class Span(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        """The plugin (a fresh clone has none yet) and span.S's ELF, once."""
        subprocess.run(["make", "-s", "-C", TOP, "build/insn-count/insn-count.so"], check=True)
        cls.tmp = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.elf = os.path.join(cls.tmp.name, "span.elf")
        subprocess.run(["aarch64-linux-gnu-gcc", "-nostdlib", "-static",
                        "-Wl,-Ttext=0x40080000", "-Wl,--build-id=none",
                        os.path.join(TOP, "tests", "bench", "insn-count", "span.S"),
                        "-o", cls.elf], check=True)
        nm = subprocess.run(["aarch64-linux-gnu-nm", cls.elf], check=True, capture_output=True,
                            text=True).stdout
        cls.sym = {f[2]: "0x" + f[0] for f in (line.split() for line in nm.splitlines())}

    def run_span(self, args):
        """span.S in QEMU with the plugin given args; the window's line."""
        out = os.path.join(self.tmp.name, "insns.txt")
        qemu(["out=" + out] + args, "-cpu", "max", "-smp", "1", "-accel", "tcg,thread=single",
             "-icount", "shift=0,sleep=off", "-kernel", self.elf).check_returncode()
        with open(out) as f:
            return f.read().strip()

    def test_span_counts_callees_and_their_share(self):
        sym = self.sym
        line = self.run_span(["range=f:%s:%s" % (sym["f"], sym["g"]),
                              "range=g:%s:%s" % (sym["g"], sym["end"]), "span=f"])
        # bl f, f's 4 + g's 3, twice, and the stop marker.
        self.assertEqual(line, "window=1 insns=17 f=8 f.entries=2 g=6 g.entries=2 "
                         "f.calls=2 f.incl=14 f.in.g=6 f.in.g.entries=2")

    def test_pair_counts_entry_to_exit_with_callees(self):
        # f's first 2 and g's 3 (entry f, exit at f+8: the mov after bl g),
        # twice; a second exit that never runs changes nothing.
        sym = self.sym
        line = self.run_span(["pair=b:%s:%s:%s" % (sym["f"], hex(int(sym["f"], 16) + 8),
                                                   sym["end"])])
        self.assertEqual(line, "window=1 insns=17 b.pairs=2 b.body=10 b.min=5 b.max=5")

    def test_a_bad_pair_is_refused(self):
        for arg in ("pair=b", "pair=b:0x10", "pair=:0x10:0x20", "pair=b:0x10:x"):
            r = qemu([arg])
            self.assertNotEqual(r.returncode, 0, arg)
            self.assertIn("insn-count: bad " + arg, r.stderr)

    def test_span_of_an_unknown_range_is_refused(self):
        r = qemu(["span=f"])
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("insn-count: bad span=f (give its range first)", r.stderr)


if __name__ == "__main__":
    unittest.main()
