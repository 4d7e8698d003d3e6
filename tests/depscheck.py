#!/usr/bin/python3
"""Does scripts/install-deps.sh install every command the scripts call?

A brand-new Debian 12 root has only its Essential and Priority: required
packages; everything else a script, the Makefile or the kernel build runs
must come from scripts/install-deps.sh. This reads the host-side shell
scripts and the Makefile's recipes, finds the words in command position,
and checks each against COMMANDS (command -> Debian package):

- a command missing from COMMANDS fails (so a new one is caught: add it);
- COMMANDS must agree with `dpkg -S` for what is installed here;
- every package must be Essential/required or listed by install-deps.sh.

Prints one "ok   deps: ..." or "FAIL deps: ..." line per check (tests/run
counts them) and exits 0; python3 -m unittest tests/test_depscheck.py
tests the scanner.
"""

import os
import re
import shutil
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Scripts that run inside the busybox guest (or on the arm64 host being
# measured, with only pmutrace's static binaries), not on the build host.
GUEST = re.compile(r"^(tests/guest/|scripts/[a-z]+/guest-|scripts/report/native-run\.sh$|"
                   r"scripts/lab/root/)")

# command -> the Debian (bookworm) package that brings it: the one that
# ships it, or the one install-deps.sh names that depends on that one.
COMMANDS = {
    "awk": "mawk",
    "bc": "bc",
    "bison": "bison",
    "bpftool": "bpftool",
    "clang": "clang",
    "llvm-objdump": "llvm",
    "clang-format": "clang-format",
    "cpio": "cpio",
    "curl": "curl",
    "flex": "flex",
    "debootstrap": "debootstrap",
    "gcc": "gcc",
    "git": "git",
    "gnuplot": "gnuplot-nox",
    "grep": "grep",
    "groff": "groff-base",
    "gzip": "gzip",
    "jq": "jq",
    "make": "make",
    "man": "man-db",
    "pahole": "dwarves",
    "patch": "patch",
    "htpasswd": "apache2-utils",
    "nm": "binutils",
    "openssl": "openssl",
    "perl": "perl-base",
    "python3": "python3",
    "qemu-system-aarch64": "qemu-system-arm",
    "readelf": "binutils",
    "rsync": "rsync",
    "sed": "sed",
    "sh": "dash",
    "shellcheck": "shellcheck",
    "tar": "tar",
    "xz": "xz-utils",
    "zstd": "zstd",
    "modinfo": "kmod",
}
for _pkg, _cmds in {
    "apt": "apt-cache apt-get",
    "coreutils": "base64 basename cat chmod chown cp cut date dirname du env head id "
        "install ln ls mkdir mkfifo mknod mktemp mv nproc od paste "
        "nice readlink realpath rm rmdir seq sha256sum sleep sort stat tail "
        "sync tee timeout touch tr uname uniq wc yes",
    "diffutils": "cmp diff",
    "dpkg": "dpkg dpkg-deb dpkg-query",
    "dpkg-dev": "dpkg-buildpackage dpkg-checkbuilddeps dpkg-parsechangelog",
    "e2fsprogs": "debugfs e2fsck mke2fs",
    "lintian": "lintian",
    "findutils": "find xargs",
    "gcc-aarch64-linux-gnu": "aarch64-linux-gnu-gcc aarch64-linux-gnu-ld aarch64-linux-gnu-nm "
        "aarch64-linux-gnu-objcopy",
    "procps": "ps uptime",
    "prometheus": "prometheus promtool",
    "util-linux": "flock setpriv setsid unshare",
}.items():
    COMMANDS.update(dict.fromkeys(_cmds.split(), _pkg))

# What the kernel build of scripts/lab/build-kernels.sh runs (kbuild, not our
# scripts): checked like the scripts' own commands.
KERNEL_BUILD = ["make", "gcc", "aarch64-linux-gnu-gcc", "aarch64-linux-gnu-ld",
                "aarch64-linux-gnu-nm", "aarch64-linux-gnu-objcopy", "flex",
                "bison", "bc", "perl", "pahole", "python3", "xz", "patch"]

KEYWORDS = set("""if then else elif fi for while until do done case esac in
function select time ! { } [[ ]] coproc""".split())
BUILTINS = set("""alias bg bind break builtin caller cd command compgen
complete continue declare dirs disown echo enable eval exec exit export false
fc fg getopts hash help history jobs kill let local logout mapfile popd printf
pushd pwd read readarray readonly return set shift shopt source suspend test [
times trap true type typeset ulimit umask unalias unset wait . :""".split())

# Commands that run another command: how many words to pass over first
# (options are passed over too; OPTARGS take a value).
WRAPPERS = {"command": 0, "exec": 0, "env": 0, "nice": 0, "nohup": 0,
            "xargs": 0, "timeout": 1, "chroot": 1, "setsid": 0,
            "sudo": 0, "check": 1, "papt": 1}
OPTARGS = {"timeout": {"-k", "-s"}, "xargs": {"-I", "-n", "-P", "-d"},
           "nice": {"-n"}}
# Our own wrappers take no options: their first words may start with "-".
NOOPTS = {"check", "papt"}

SEPARATORS = {";", ";;", "&", "&&", "|", "||", "|&", "(", ")", "`"}


class Scanner:
    """Finds the words in command position of a shell text (a heuristic
    tokenizer: quotes, $(...), heredocs, case patterns, [[ ]], assignments).
    """

    def __init__(self):
        self.found = []  # (command, line)
        self.functions = set()

    def scan(self, text):
        self.text = text
        self.i = 0
        self.line = 1
        self.heredocs = []
        self._parse(None)
        return self.found

    # -- characters ------------------------------------------------------
    def _peek(self, k=0):
        j = self.i + k
        return self.text[j] if j < len(self.text) else "\0"

    def _adv(self, n=1):
        for _ in range(n):
            if self._peek() == "\n":
                self.line += 1
            self.i += 1

    def _skip_heredocs(self):
        # at the start of the line after "<<EOF": skip each body
        for delim, strip in self.heredocs:
            while self.i < len(self.text):
                end = self.text.find("\n", self.i)
                end = len(self.text) if end < 0 else end
                body = self.text[self.i:end]
                self._adv(end - self.i + 1)
                if (body.lstrip("\t") if strip else body) == delim:
                    break
        self.heredocs = []

    def _skip_balanced(self, open_, close):
        depth = 1
        while self.i < len(self.text) and depth:
            c = self._peek()
            if c == "\\":
                self._adv(2)
                continue
            if c == "'":
                self._adv()
                while self.i < len(self.text) and self._peek() != "'":
                    self._adv()
            depth += (c == open_) - (c == close)
            self._adv()

    # -- words -----------------------------------------------------------
    def _word(self):
        """Read one word; command substitutions inside it are parsed."""
        out = []
        while self.i < len(self.text):
            c = self._peek()
            if c in " \t\n;&|()<>`":
                break
            if c == "\\":
                if self._peek(1) == "\n":
                    self._adv(2)
                    break
                out.append(self._peek(1))
                self._adv(2)
            elif c == "'":
                self._adv()
                while self.i < len(self.text) and self._peek() != "'":
                    out.append(self._peek())
                    self._adv()
                self._adv()
            elif c == '"':
                self._adv()
                while self.i < len(self.text) and self._peek() != '"':
                    if self._peek() == "\\":
                        out.append(self._peek(1))
                        self._adv(2)
                    elif self._peek() == "$":
                        out.append(self._dollar())
                    elif self._peek() == "`":
                        self._adv()
                        self._parse("`")
                        out.append("$")
                    else:
                        out.append(self._peek())
                        self._adv()
                self._adv()
            elif c == "$":
                out.append(self._dollar())
            else:
                out.append(c)
                self._adv()
        return "".join(out)

    def _dollar(self):
        """At "$": parse $(...), pass over $((...)) and ${...}; "$"."""
        self._adv()
        if self._peek() == "(" and self._peek(1) == "(":
            self._adv(2)
            self._skip_balanced("(", ")")
            self._adv()
        elif self._peek() == "(":
            self._adv()
            self._parse(")")
        elif self._peek() == "{":
            self._adv()
            self._skip_balanced("{", "}")
        return "$"

    # -- commands --------------------------------------------------------
    def _parse(self, end):
        """Parse commands until END (")" or "`") or the end of the text."""
        cmd_pos = True
        wrap = None  # [name, words to pass over]
        after_redir = False
        case_pat = []  # a stack: True while reading case patterns
        skip_words = False  # for/select: words up to the separator
        while self.i < len(self.text):
            c = self._peek()
            if c == "\n":
                self._adv()
                if self.heredocs:
                    self._skip_heredocs()
                if not (case_pat and case_pat[-1]):
                    cmd_pos, wrap, skip_words = True, None, False
                continue
            if c in " \t":
                self._adv()
                continue
            if c == "\\" and self._peek(1) == "\n":
                self._adv(2)
                continue
            if c == "#":
                while self.i < len(self.text) and self._peek() != "\n":
                    self._adv()
                continue
            if end and c == end:
                self._adv()
                return
            if c in "<>" or (c.isdigit() and self._peek(1) in "<>"):
                if c.isdigit():
                    self._adv()
                op = self._peek()
                self._adv()
                if op == "<" and self._peek() == "<" and self._peek(1) != "<":
                    self._adv()
                    strip = self._peek() == "-"
                    if strip:
                        self._adv()
                    while self._peek() in " \t":
                        self._adv()
                    self.heredocs.append((self._word(), strip))
                    continue
                if self._peek() == "(":  # process substitution
                    self._adv()
                    self._parse(")")
                    after_redir = False
                    continue
                while self._peek() in "<>&":
                    self._adv()
                after_redir = True
                continue
            if c in ";&|()`":
                op = c
                self._adv()
                if self._peek() in "&|;" and op in "&|;":
                    op += self._peek()
                    self._adv()
                if op == ")" and case_pat and case_pat[-1]:
                    case_pat[-1] = False
                elif op == ";;" and case_pat:
                    case_pat[-1] = True
                elif op == "`":
                    self._parse("`")
                    continue
                cmd_pos, wrap, skip_words = True, None, False
                continue
            line = self.line
            w = self._word()
            if not w:
                self._adv()
                continue
            if after_redir:
                after_redir = False
                continue
            if w.endswith("=") and self._peek() == "(":  # arr=(...)
                self._adv()
                self._skip_balanced("(", ")")
                continue
            if case_pat and case_pat[-1]:
                if w == "esac":
                    case_pat.pop()
                    cmd_pos = False
                continue
            if skip_words:
                continue
            if wrap:
                name, n = wrap
                if w.startswith("-") and name not in NOOPTS:
                    if w in OPTARGS.get(name, ()):
                        wrap = [name, n + 1]
                    continue
                if n > 0:
                    wrap = [name, n - 1]
                    continue
                wrap = None
                cmd_pos = True
            if not cmd_pos:
                continue
            if w == "case":
                self._word_after_case()
                case_pat.append(True)
                continue
            if w in ("for", "select"):
                skip_words = True
                continue
            if w == "[[":
                self._skip_to_word("]]")
                cmd_pos = False
                continue
            if w == "function":
                continue
            if w in KEYWORDS:
                continue
            if re.match(r"^[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=", w):
                continue
            if self.text.startswith("()", self.i) or \
                    self.text.startswith(" ()", self.i):
                self.functions.add(w)
                self.i = self.text.index(")", self.i) + 1
                continue
            cmd_pos = False
            self.found.append((w, line))
            if w in WRAPPERS:
                wrap = [w, WRAPPERS[w]]
            elif w in ("sh", "bash") and self._next_is("-c"):
                while self._peek() in " \t":
                    self._adv()
                self._word()
                while self._peek() in " \t":
                    self._adv()
                inner = Scanner()
                inner.scan(self._word())
                self.found += [(x, line) for x, _ in inner.found]
                self.functions |= inner.functions
        return

    def _next_is(self, s):
        j = self.i
        while j < len(self.text) and self.text[j] in " \t":
            j += 1
        return self.text.startswith(s + " ", j)

    def _word_after_case(self):
        while self._peek() in " \t":
            self._adv()
        self._word()  # the subject
        while self._peek() in " \t":
            self._adv()
        self._word()  # "in"

    def _skip_to_word(self, stop):
        while self.i < len(self.text):
            if self._peek() in " \t\n":
                self._adv()
                continue
            if self._word() == stop:
                return
            if self._peek() in ";&|()<>`":
                self._adv()


def read(name):
    with open(os.path.join(TOP, name), errors="replace") as f:
        return f.read()


def shell_files():
    """Host-side shell scripts tracked by git (shebang or .sh)."""
    try:
        names = subprocess.run(["git", "-C", TOP, "ls-files", "--cached", "--others",
                                "--exclude-standard"], check=True,
                               capture_output=True, text=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):  # not a clone: a tarball
        names = [os.path.relpath(os.path.join(d, f), TOP)
                 for d, dirs, files in os.walk(TOP) for f in files
                 if not os.path.relpath(d, TOP).startswith(("build", ".git"))]
    for n in names:
        if GUEST.match(n) or n.startswith(("docs/", "patches/")):
            continue
        path = os.path.join(TOP, n)
        if not os.path.isfile(path):
            continue
        with open(path, errors="replace") as f:
            first = f.readline()
        if n.endswith(".sh") or re.match(r"#!.*\b(ba)?sh\b", first):
            yield n


def make_text(path):
    """The shell of a Makefile: its recipes and $(shell ...) calls, with
    single-word variables (CC := gcc) put in."""
    with open(path) as f:
        lines = f.read().replace("\\\n", " ").split("\n")
    values = {}
    for ln in lines:
        m = re.match(r"^([A-Z_]+)\s*[:?]?=\s*(\S+)\s*$", ln)
        if m and "$" not in m.group(2):
            values.setdefault(m.group(1), []).append(m.group(2))
    out = []
    for ln in lines:
        for m in re.finditer(r"\$\(shell ([^()]*(\([^()]*\)[^()]*)*)\)", ln):
            out.append(m.group(1))
        if ln.startswith("\t"):
            out.append(ln.lstrip("\t").lstrip("@-+"))
    text = "\n".join(out).replace("$$", "\0")

    def expand(m):
        return values.get(m.group(1), ["$" + m.group(1)])[0]
    text = re.sub(r"\$\(([A-Z_]+)\)", expand, text)
    # the other values of a variable (CC: gcc, aarch64-linux-gnu-gcc)
    extra = [v for vs in values.values() if len(vs) > 1 for v in vs[1:]]
    # make functions nest ($(filter-out $(addprefix ...),...)): innermost first
    while True:
        text, n = re.subn(r"\$\([^()]*\)", "$MAKE_EXPANSION", text)
        if not n:
            break
    text = text.replace("\0", "$")
    return text, extra


def used_commands():
    """{command: [where, ...]} over the scripts, the Makefile, kbuild."""
    used, functions = {}, set()
    scans = [(n, read(n)) for n in shell_files()]
    mk, extra = make_text(os.path.join(TOP, "Makefile"))
    scans.append(("Makefile", mk))
    for name, text in scans:
        s = Scanner()
        for cmd, line in s.scan(text):
            used.setdefault(cmd, []).append(f"{name}:{line}")
        functions |= s.functions
    for cmd in extra:
        if cmd in COMMANDS:
            used.setdefault(cmd, []).append("Makefile")
    for cmd in KERNEL_BUILD:
        used.setdefault(cmd, []).append("kernel build")
    out = {}
    for cmd, where in used.items():
        if cmd.startswith(("/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/")):
            cmd = os.path.basename(cmd)
        elif "$" in cmd or "/" in cmd or cmd in functions or \
                cmd in BUILTINS or cmd in KEYWORDS or not cmd or \
                re.fullmatch(r"\{\w+\}", cmd):  # exec {fd}<>FILE
            continue
        out.setdefault(cmd, []).extend(where)
    return out


def install_deps_packages():
    """The packages scripts/install-deps.sh installs (its *_PKGS arrays,
    without :arch), and scripts/lab/build-kernels.sh's BUILD_PKGS."""
    def arrays(path, names):
        text = read(path)
        pkgs = set()
        for m in re.finditer(r"^(\w+)=\(([^)]*)\)", text, re.M):
            if m.group(1) in names:
                pkgs |= {p.split(":")[0] for p in m.group(2).split()}
        return pkgs
    return (arrays("scripts/install-deps.sh", {"HOST_PKGS", "ARM64_PKGS"}),
            arrays("scripts/lab/build-kernels.sh", {"BUILD_PKGS"}))


def dpkg_owner(cmd):
    """The package that ships the command found on PATH here, or None."""
    path = shutil.which(cmd, path="/usr/sbin:/usr/bin:/sbin:/bin")  # Debian's, not pyenv's
    if not path:
        return None
    cands = [path, os.path.realpath(path)]
    for p in list(cands):  # merged /usr: dpkg may know /bin/x or /usr/bin/x
        if p.startswith("/usr/"):
            cands.append(p[4:])
        else:
            cands.append("/usr" + p)
    for p in cands:
        r = subprocess.run(["dpkg", "-S", p], capture_output=True, text=True)
        for ln in r.stdout.splitlines():
            pkg, _, f = ln.partition(": ")
            if f == p and not pkg.startswith("diversion by"):
                return pkg.split(":")[0].split(",")[0]
    return None


def brings(pkg, depth=3):
    """PKG and what it depends on, DEPTH levels down (installed ones)."""
    seen, todo = {pkg}, [pkg]
    for _ in range(depth):
        if not todo:
            break
        r = subprocess.run(["dpkg-query", "-W", "-f=${Depends}, ${Pre-Depends}\n"] + todo,
                           capture_output=True, text=True)
        todo = []
        for alt in re.split(r"[,|]", r.stdout):
            name = alt.strip().split(" ")[0].split(":")[0]
            if name and name not in seen:
                seen.add(name)
                todo.append(name)
    return seen


def base_packages(pkgs):
    """Those of PKGS that a brand-new Debian root has: Essential: yes or
    Priority: required (debootstrap installs those)."""
    r = subprocess.run(["dpkg-query", "-W", "-f=${Package} ${Essential} ${Priority}\n"]
                       + sorted(pkgs), capture_output=True, text=True)
    base = set()
    for ln in r.stdout.splitlines():
        f = ln.split()
        if len(f) == 3 and (f[1] == "yes" or f[2] == "required"):
            base.add(f[0])
    return base


def main():
    def ok(msg):
        print("ok   deps: " + msg)

    def bad(msg):
        print("FAIL deps: " + msg)

    used = used_commands()
    unknown = sorted(c for c in used if c not in COMMANDS)
    for c in unknown:
        bad(f"'{c}' ({', '.join(used[c][:3])}) is not in COMMANDS of tests/depscheck.py: "
            "add it with its Debian package, and the package to scripts/install-deps.sh")
    if not unknown:
        ok(f"{len(used)} commands found in the scripts, the Makefile and the kernel build, "
           "each with its package in tests/depscheck.py")

    known = sorted(c for c in used if c in COMMANDS)
    wrong = 0
    for c in known:
        owner = dpkg_owner(c)
        if owner is None:
            bad(f"'{c}' ({used[c][0]}) is not installed here: scripts/install-deps.sh must install "
                f"{COMMANDS[c]}")
            wrong += 1
        elif owner not in brings(COMMANDS[c]):
            bad(f"'{c}' comes from {owner} (dpkg -S), which {COMMANDS[c]} (tests/depscheck.py) "
                "does not bring")
            wrong += 1
    if not wrong:
        ok(f"dpkg -S agrees with tests/depscheck.py on all {len(known)} commands")

    deps, build = install_deps_packages()
    need = {COMMANDS[c] for c in known}
    base = base_packages(need)
    missing = sorted(p for p in need - base if p not in deps)
    for p in missing:
        cmds = sorted(c for c in known if COMMANDS[c] == p)
        bad(f"package {p} ({', '.join(cmds)}) is neither Essential/required nor in "
            "scripts/install-deps.sh")
    if not missing:
        ok(f"{len(need)} packages: {len(need & base)} in every Debian root, "
           "the others installed by scripts/install-deps.sh")
    late = sorted(build - deps)
    if late:
        bad("scripts/lab/build-kernels.sh's BUILD_PKGS are not in scripts/install-deps.sh: "
            + " ".join(late))
    else:
        ok(f"scripts/lab/build-kernels.sh's {len(build)} BUILD_PKGS are all in scripts/install-deps.sh")
    return 0


if __name__ == "__main__":
    sys.exit(main())
