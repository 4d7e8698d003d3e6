# SPDX-License-Identifier: GPL-2.0
"""Raw result archives (docs/performance/raw.tar.xz): one .tar.xz instead of a
folder of small files in git.

Every file sits under one top folder, raw/, so that `tar -xJf
docs/performance/raw.tar.xz -C docs/performance` unpacks docs/performance/raw/.
Packing is deterministic: entries sorted by name, folders 0755 and files 0644,
mtime 0, uid/gid 0 and no user names, so the same files give the same bytes
(empty folders are not kept). An update writes a temporary file beside the
archive and renames it over the old one, under a lock on the archive's folder:
a failed or concurrent run never leaves half an archive.

    python3 -m scripts.bench.rawpack pack FOLDER ARCHIVE [--exclude GLOB]...
        FOLDER's content becomes the archive (under raw/), but for the files
        whose name matches a GLOB (docs/report/raw.tar.xz: *.console.log).
    python3 -m scripts.bench.rawpack extract ARCHIVE DIR
        Unpacks ARCHIVE into DIR (DIR/raw/...).
    python3 -m scripts.bench.rawpack update ARCHIVE DEST FOLDER [--keep NAME]...
        Replaces the subtree DEST of the archive (a path under raw/: insns/KERNEL,
        rt/KERNEL, or . for the whole) with FOLDER's content; the entries named
        by --keep directly under DEST stay. The timing benchmark's top-level
        files: update ARCHIVE . FOLDER --keep insns --keep rt.
Exit 0, 1 when an archive or folder cannot be read or written, 2 bad usage.
"""
import argparse
import contextlib
import fcntl
import fnmatch
import io
import lzma
import os
import shutil
import sys
import tarfile
import tempfile

TOP = "raw"


@contextlib.contextmanager
def _open(archive):
    """tarfile.open(ARCHIVE), its errors as ValueError."""
    try:
        with tarfile.open(archive) as tar:
            yield tar
    except (tarfile.TarError, lzma.LZMAError, EOFError) as e:
        raise ValueError("%s: not a readable archive (%s)" % (archive, e)) from e


def _safe_members(tar, archive):
    members = tar.getmembers()
    for m in members:
        name = os.path.normpath(m.name)
        if name.startswith("..") or os.path.isabs(name):
            raise ValueError("%s: unsafe path %s" % (archive, m.name))
        if not (m.isfile() or m.isdir()):
            raise ValueError("%s: %s is not a plain file" % (archive, m.name))
    return members


def extract(archive, into):
    """Unpack ARCHIVE (.tar, .tar.xz, ...) into the folder INTO; only plain
    files and folders inside INTO, else ValueError."""
    with _open(archive) as tar:
        members = _safe_members(tar, archive)
        kw = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(into, members, **kw)


@contextlib.contextmanager
def opened(path):
    """A folder of raw data: PATH itself when it is a folder, else ARCHIVE
    unpacked into a temporary folder (its raw/), removed afterwards."""
    if os.path.isdir(path):
        yield path
        return
    if not os.path.isfile(path):
        raise ValueError("%s: not a folder or an archive" % path)
    tmp = tempfile.mkdtemp(prefix="pmutrace-raw-")
    try:
        extract(path, tmp)
        top = os.path.join(tmp, TOP)
        if not os.path.isdir(top):
            raise ValueError("%s: no top folder %s/" % (path, TOP))
        yield top
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def read_archive(archive):
    """{path under raw/: bytes} of ARCHIVE's files."""
    files = {}
    with _open(archive) as tar:
        for m in _safe_members(tar, archive):
            name = os.path.normpath(m.name)
            if not m.isfile():
                continue
            if not name.startswith(TOP + "/"):
                raise ValueError("%s: %s is not under %s/" % (archive, m.name, TOP))
            files[name[len(TOP) + 1:]] = tar.extractfile(m).read()
    return files


def read_folder(folder, exclude=()):
    """{path relative to FOLDER: bytes} of FOLDER's files (no links), but for
    those whose name matches a glob in EXCLUDE."""
    files = {}
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for n in names:
            if any(fnmatch.fnmatchcase(n, g) for g in exclude):
                continue
            full = os.path.join(root, n)
            if os.path.islink(full) or not os.path.isfile(full):
                raise ValueError("%s: not a plain file" % full)
            with open(full, "rb") as f:
                files[os.path.relpath(full, folder).replace(os.sep, "/")] = f.read()
    return files


def packed(files):
    """The deterministic .tar.xz bytes of {path under raw/: bytes}."""
    paths = {TOP}
    for p in files:
        parts = p.split("/")
        paths.update("/".join([TOP] + parts[:i]) for i in range(1, len(parts)))
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(paths | {TOP + "/" + p for p in files}):
            info = tarfile.TarInfo(name)
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            data = files.get(name[len(TOP) + 1:]) if name != TOP else None
            if name in paths:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                info.mode, info.size = 0o644, len(data)
                tar.addfile(info, io.BytesIO(data))
    return lzma.compress(buf.getvalue(), format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64,
                         preset=9 | lzma.PRESET_EXTREME)


@contextlib.contextmanager
def _locked(archive):
    """An exclusive lock on the archive's folder, made if missing (the archive
    itself is replaced, so a lock on it would not hold)."""
    d = os.path.dirname(os.path.abspath(archive))
    os.makedirs(d, exist_ok=True)
    fd = os.open(d, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _write(archive, files):
    d = os.path.dirname(os.path.abspath(archive))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(archive) + ".", dir=d)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(packed(files))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, archive)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def pack(folder, archive, exclude=()):
    """ARCHIVE from FOLDER's content (under raw/), but for the names EXCLUDE matches."""
    files = read_folder(folder, exclude)
    with _locked(archive):
        _write(archive, files)


def _subtree(dest):
    d = os.path.normpath(dest).replace(os.sep, "/")
    if d == ".":
        return ""
    if d.startswith("..") or os.path.isabs(d):
        raise ValueError("%s: not a path inside the archive" % dest)
    return d + "/"


def replace(files, dest, new, keep=()):
    """FILES with the subtree DEST replaced by NEW (both {path: bytes}); the
    names in KEEP directly under DEST stay."""
    prefix = _subtree(dest)
    out = {}
    for p, data in files.items():
        if p.startswith(prefix) and p[len(prefix):].split("/")[0] not in keep:
            continue
        out[p] = data
    for p, data in new.items():
        if p.split("/")[0] in keep:
            raise ValueError("%s is kept, but the new content has %s" % (p.split("/")[0], p))
        out[prefix + p] = data
    return out


def update(archive, dest, folder, keep=()):
    """Replace the subtree DEST of ARCHIVE (made if missing) by FOLDER's content."""
    new = read_folder(folder)
    if not new:
        raise ValueError("%s: no files (the archive is left as it is)" % folder)
    with _locked(archive):
        files = read_archive(archive) if os.path.exists(archive) else {}
        _write(archive, replace(files, dest, new, keep))


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m scripts.bench.rawpack",
                                 description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pack")
    p.add_argument("folder")
    p.add_argument("archive")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB")
    p = sub.add_parser("extract")
    p.add_argument("archive")
    p.add_argument("into")
    p = sub.add_parser("update")
    p.add_argument("archive")
    p.add_argument("dest")
    p.add_argument("folder")
    p.add_argument("--keep", action="append", default=[], metavar="NAME")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "pack":
            pack(args.folder, args.archive, args.exclude)
        elif args.cmd == "extract":
            os.makedirs(args.into, exist_ok=True)
            extract(args.archive, args.into)
        else:
            update(args.archive, args.dest, args.folder, args.keep)
    except (OSError, ValueError) as e:
        print("rawpack: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
