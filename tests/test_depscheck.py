"""Unit tests of tests/depscheck.py (python3 -m unittest discover -s tests)."""

import contextlib
import io
import os
import sys
import unittest
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import depscheck  # noqa: E402


def cmds(text):
    return [c for c, _ in depscheck.Scanner().scan(text)]


class ScannerTest(unittest.TestCase):
    def test_pipes_lists_and_substitutions(self):
        self.assertEqual(cmds("a x | b && c || d; e &\nf"), list("abcdef"))
        self.assertEqual(cmds('x=$(g "$(h)") ; i <(j) >(k)'), list("ghijk"))
        self.assertEqual(cmds('echo "$(jq -r .x f | tr a b)" `wc`'),
                         ["echo", "jq", "tr", "wc"])
        self.assertEqual(cmds("tally < <(u)\nstep 'v w'"), ["tally", "u", "step"])

    def test_arguments_are_not_commands(self):
        self.assertEqual(cmds("grep -q 'sed x' file >out 2>&1 <in"), ["grep"])
        self.assertEqual(cmds("[[ $a == b ]] && c"), ["c"])
        self.assertEqual(cmds("for x in p q r; do s; done"), ["s"])
        self.assertEqual(cmds("local a=(p q) b; t"), ["local", "t"])
        self.assertEqual(cmds("A=1 B=(x y) cmd arg # comment z\n"), ["cmd"])
        self.assertEqual(cmds("echo $((1 + 2)) ${v:-w}"), ["echo"])

    def test_heredoc_bodies_are_skipped(self):
        self.assertEqual(cmds("cat <<EOF >f\nnot a command\nEOF\nafter"), ["cat", "after"])
        self.assertEqual(cmds("python3 - <<'PY'\nimport os\nPY\nz"), ["python3", "z"])
        self.assertEqual(cmds("cat <<-X\n\tbody\n\tX\nz"), ["cat", "z"])

    def test_case_patterns(self):
        text = "case $1 in\na | b) c ;;\n*.xz) d x ;;\nesac\ne"
        self.assertEqual(cmds(text), ["c", "d", "e"])

    def test_wrappers_run_commands(self):
        self.assertEqual(cmds("timeout -k 10 300 qemu x"), ["timeout", "qemu"])
        self.assertEqual(cmds("command -v gnuplot >/dev/null"), ["command", "gnuplot"])
        self.assertEqual(cmds('check "what it is" grep -q x f'), ["check", "grep"])
        self.assertEqual(cmds('check "-o x: refused" is x.rc 7'), ["check", "is"])
        self.assertEqual(cmds('sh -c "a x && b y"'), ["sh", "a", "b"])
        self.assertEqual(cmds("xargs -I{} cp {} d"), ["xargs", "cp"])

    def test_functions_are_recorded(self):
        s = depscheck.Scanner()
        s.scan("ok() { echo x; }\nfunction two { :; }\nok")
        self.assertIn("ok", s.functions)

    def test_makefile_recipes(self):
        path = os.path.join(depscheck.TOP, "Makefile")
        text, extra = depscheck.make_text(path)
        found = set(cmds(text)) | set(extra)
        self.assertTrue({"clang", "bpftool", "gcc", "aarch64-linux-gnu-gcc"} <= found, found)


class CheckTest(unittest.TestCase):
    def run_main(self, used):
        out = io.StringIO()
        with mock.patch.object(depscheck, "used_commands", return_value=used), \
                contextlib.redirect_stdout(out):
            depscheck.main()
        return out.getvalue()

    def test_a_new_command_fails(self):
        out = self.run_main({"frobnicate": ["scripts/x.sh:3"], "cat": ["a:1"]})
        self.assertIn("FAIL deps: 'frobnicate' (scripts/x.sh:3) is not in COMMANDS", out)

    def test_a_package_missing_from_install_deps_fails(self):
        with mock.patch.dict(depscheck.COMMANDS, {"cat": "no-such-package-xyz"}), \
                mock.patch.object(depscheck, "dpkg_owner", return_value="no-such-package-xyz"):
            out = self.run_main({"cat": ["a:1"]})
        self.assertIn("FAIL deps: package no-such-package-xyz (cat) is neither", out)

    def test_the_table_must_agree_with_dpkg(self):
        with mock.patch.dict(depscheck.COMMANDS, {"cat": "sed"}):
            out = self.run_main({"cat": ["a:1"]})
        self.assertIn("FAIL deps: 'cat' comes from coreutils (dpkg -S)", out)

    def test_install_deps_is_read(self):
        deps, build = depscheck.install_deps_packages()
        self.assertIn("patch", deps)
        self.assertIn("libbpf-dev", deps)  # also the :arm64 one, without :arch
        self.assertIn("flex", build)


if __name__ == "__main__":
    unittest.main()
