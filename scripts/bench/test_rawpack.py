# SPDX-License-Identifier: GPL-2.0
"""Unit tests of scripts/bench/rawpack.py on small fixed folders."""
import contextlib
import io
import os
import tarfile
import tempfile
import threading
import unittest
from unittest import mock

from scripts.bench import rawpack

TREE = {
    "host.txt": b"date=2026-12-02 01:09 UTC\n",
    "samples.txt": b"sample none ce 1 100\n",
    "insns/k1/boot1/insns.txt": b"window 1 2\n",
    "insns/k1/boot2/insns.txt": b"window 3 4\n",
    "insns/k2/boot1/insns.txt": b"window 5 6\n",
    "rt/k1/t1-r1.json": b"{}\n",
}


def write_tree(root, files):
    for p, data in files.items():
        full = os.path.join(root, p)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


class Rawpack(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.t = self.tmp.name
        self.src = os.path.join(self.t, "src")
        write_tree(self.src, TREE)
        self.arc = os.path.join(self.t, "raw.tar.xz")
        rawpack.pack(self.src, self.arc)

    def tearDown(self):
        self.tmp.cleanup()

    def test_pack_is_deterministic_and_normalised(self):
        first = read(self.arc)
        # Other mtimes and modes, files written in another order: same bytes.
        other = os.path.join(self.t, "other")
        write_tree(other, dict(reversed(list(TREE.items()))))
        os.utime(os.path.join(other, "host.txt"), (12345, 12345))
        os.chmod(os.path.join(other, "samples.txt"), 0o600)
        arc2 = os.path.join(self.t, "again.tar.xz")
        rawpack.pack(other, arc2)
        self.assertEqual(read(arc2), first)
        with tarfile.open(self.arc) as tar:
            ms = tar.getmembers()
        names = [m.name for m in ms]
        self.assertEqual(names, sorted(names))
        self.assertEqual(names[0], "raw")
        self.assertIn("raw/insns/k1/boot1/insns.txt", names)
        for m in ms:
            self.assertEqual((m.mtime, m.uid, m.gid, m.uname, m.gname), (0, 0, 0, "", ""))
            self.assertEqual(m.mode, 0o755 if m.isdir() else 0o644)
        self.assertEqual(os.stat(self.arc).st_mode & 0o777, 0o644)
        # --exclude leaves out names (the report's console logs).
        write_tree(other, {"insns/k1/boot1.console.log": b"long\n"})
        self.assertEqual(rawpack.main(["pack", other, arc2, "--exclude", "*.console.log"]), 0)
        self.assertEqual(read(arc2), first)

    def test_extract_and_opened_give_the_files_back(self):
        into = os.path.join(self.t, "x")
        os.mkdir(into)
        rawpack.extract(self.arc, into)
        self.assertEqual(rawpack.read_folder(os.path.join(into, "raw")), TREE)
        with rawpack.opened(self.arc) as d:
            self.assertEqual(rawpack.read_folder(d), TREE)
            kept = d
        self.assertFalse(os.path.exists(kept))
        with rawpack.opened(self.src) as d:
            self.assertEqual(d, self.src)
        with self.assertRaises(ValueError):
            with rawpack.opened(os.path.join(self.t, "nothing")):
                pass

    def test_update_replaces_one_subtree(self):
        new = os.path.join(self.t, "new")
        write_tree(new, {"boot1/insns.txt": b"new\n"})
        self.assertEqual(rawpack.main(["update", self.arc, "insns/k1", new]), 0)
        want = dict(TREE)
        del want["insns/k1/boot1/insns.txt"], want["insns/k1/boot2/insns.txt"]
        want["insns/k1/boot1/insns.txt"] = b"new\n"
        self.assertEqual(rawpack.read_archive(self.arc), want)
        # A new kernel's subtree is added; so is a missing archive.
        rawpack.update(self.arc, "rt/k9", new)
        self.assertEqual(rawpack.read_archive(self.arc)["rt/k9/boot1/insns.txt"], b"new\n")
        fresh = os.path.join(self.t, "docs", "performance", "raw.tar.xz")
        rawpack.update(fresh, "insns/k1", new)
        self.assertEqual(rawpack.read_archive(fresh), {"insns/k1/boot1/insns.txt": b"new\n"})

    def test_update_of_the_top_level_files_keeps_the_named_folders(self):
        new = os.path.join(self.t, "timing")
        write_tree(new, {"host.txt": b"date=later\n", "errors.txt": b"\n"})
        rawpack.update(self.arc, ".", new, keep=("insns", "rt"))
        want = {p: d for p, d in TREE.items() if p.startswith(("insns/", "rt/"))}
        want.update({"host.txt": b"date=later\n", "errors.txt": b"\n"})
        self.assertEqual(rawpack.read_archive(self.arc), want)
        # Updating with the files already there gives the same bytes back.
        before = read(self.arc)
        with rawpack.opened(self.arc) as d:
            rawpack.update(self.arc, "insns/k2", os.path.join(d, "insns", "k2"))
        self.assertEqual(read(self.arc), before)

    def test_concurrent_updates_both_land(self):
        # bench-rt.sh may run beside bench-insns.sh: the lock serialises them.
        folders = []
        for i in range(6):
            f = os.path.join(self.t, "c%d" % i)
            write_tree(f, {"x.txt": b"%d\n" % i})
            folders.append(f)
        threads = [threading.Thread(target=rawpack.update, args=(self.arc, "rt/n%d" % i, f))
                   for i, f in enumerate(folders)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        files = rawpack.read_archive(self.arc)
        self.assertEqual([files.get("rt/n%d/x.txt" % i) for i in range(6)],
                         [b"%d\n" % i for i in range(6)])

    def test_a_failed_update_leaves_the_old_archive(self):
        before = read(self.arc)
        empty = os.path.join(self.t, "empty")
        os.mkdir(empty)
        with self.assertRaises(ValueError):
            rawpack.update(self.arc, "insns/k1", empty)
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            self.assertEqual(rawpack.main(["update", self.arc, "../up", self.src]), 1)
        self.assertIn("not a path inside the archive", err.getvalue())
        with mock.patch.object(rawpack, "packed", side_effect=RuntimeError("disk full")):
            with self.assertRaises(RuntimeError):
                rawpack.update(self.arc, "insns/k1", self.src)
        self.assertEqual(read(self.arc), before)
        self.assertEqual(sorted(os.listdir(self.t)), ["empty", "raw.tar.xz", "src"])

    def test_unsafe_archives_are_refused(self):
        evil = os.path.join(self.t, "evil.tar")
        with tarfile.open(evil, "w") as tar:
            info = tarfile.TarInfo("../escape")
            info.size = 1
            tar.addfile(info, io.BytesIO(b"x"))
        into = os.path.join(self.t, "x")
        os.mkdir(into)
        with self.assertRaises(ValueError):
            rawpack.extract(evil, into)
        link = os.path.join(self.t, "link.tar")
        with tarfile.open(link, "w") as tar:
            info = tarfile.TarInfo("raw/l")
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tar.addfile(info)
        with self.assertRaises(ValueError):
            rawpack.read_archive(link)
        self.assertEqual(os.listdir(into), [])
        junk = os.path.join(self.t, "junk.tar.xz")
        with open(junk, "wb") as f:
            f.write(b"not an archive\n")
        with self.assertRaisesRegex(ValueError, "not a readable archive"):
            with rawpack.opened(junk):
                pass


if __name__ == "__main__":
    unittest.main()
