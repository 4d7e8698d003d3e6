"""scripts/lib.sh's Debian mirror (python3 -m unittest discover -s tests):
taken from apt's own reading of the sources, PMUTRACE_MIRROR winning."""

import os
import shutil
import subprocess
import tempfile
import unittest

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIB = os.path.join(TOP, "scripts", "lib.sh")
SECURITY = """Types: deb
URIs: http://security.debian.org/debian-security
Suites: bookworm-security
Components: main
"""


def bash(script, env=None):
    """Run script after sourcing lib.sh; its stdout, stripped."""
    e = dict(os.environ, PMUTRACE_CACHE="/nonexistent")
    e.pop("PMUTRACE_MIRROR", None)
    e.update(env or {})
    return subprocess.run(["bash", "-c", '. "$0" && ' + script, LIB], env=e,
                          check=True, capture_output=True, text=True).stdout.strip()


@unittest.skipIf(shutil.which("apt-get") is None, "no apt-get")
class HostMirrorTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.parts = os.path.join(self.dir, "sources.list.d")
        os.mkdir(self.parts)
        self.list = os.path.join(self.dir, "sources.list")
        open(self.list, "w").close()

    def tearDown(self):
        shutil.rmtree(self.dir)

    def part(self, name, text):
        with open(os.path.join(self.parts, name), "w") as f:
            f.write(text)

    def mirror(self, codename="bookworm"):
        return bash('host_mirror "$1" -o Dir::Etc::sourcelist="$2" '
                    '-o Dir::Etc::sourceparts="$3"'.replace("$1", codename)
                    .replace("$2", self.list).replace("$3", self.parts))

    def test_one_line_format(self):
        with open(self.list, "w") as f:
            f.write("# a comment\n"
                    "deb http://security.debian.org/debian-security bookworm-security main\n"
                    "deb [arch=amd64 signed-by=/k.gpg] http://ftp.fr.debian.org/debian/ bookworm main contrib\n"
                    "deb-src http://src.example/debian bookworm main\n")
        self.assertEqual(self.mirror(), "http://ftp.fr.debian.org/debian")

    def test_deb822(self):
        self.part("debian.sources", SECURITY + """
Types: deb deb-src
URIs: http://mirror.example.org/debian/
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
""")
        self.assertEqual(self.mirror(), "http://mirror.example.org/debian")

    def test_proxy_style_mirror(self):
        self.part("proxy.list",
                  "deb http://apt-cacher.lan:3142/deb.debian.org/debian trixie main\n")
        self.assertEqual(self.mirror("trixie"),
                         "http://apt-cacher.lan:3142/deb.debian.org/debian")

    def test_disabled_and_foreign_sources_are_not_taken(self):
        self.part("nodesource.sources", """Types: deb
URIs: https://deb.nodesource.com/node_20.x
Suites: nodistro
Components: main
""")
        self.part("off.sources", """Enabled: no
Types: deb
URIs: http://disabled.example/debian
Suites: bookworm
Components: main
""")
        self.part("x.list.disabled", "deb http://ignored.example/debian bookworm main\n")
        self.assertEqual(self.mirror(), "")
        self.part("sid.list", "deb http://sid.example/debian sid main\n")
        self.assertEqual(self.mirror(), "http://sid.example/debian")

    def test_the_codename_beats_a_plain_suite(self):
        self.part("a.list", "deb http://plain.example/debian stable main\n"
                            "deb http://own.example/debian bookworm main\n")
        self.assertEqual(self.mirror(), "http://own.example/debian")


@unittest.skipIf(shutil.which("apt-get") is None, "no apt-get")
class DebianMirrorTest(unittest.TestCase):
    def test_the_override_wins(self):
        self.assertEqual(bash('echo "$DEBIAN_MIRROR"',
                              {"PMUTRACE_MIRROR": "http://override.example/debian"}),
                         "http://override.example/debian")

    def test_without_override_the_hosts_apt_decides(self):
        """apt's configuration (APT_CONFIG here, as a host's own would)
        names the mirror: nothing hard-coded takes its place."""
        codename = bash('. /etc/os-release; echo "$VERSION_CODENAME"')
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "sources.list"), "w") as f:
                f.write(f"deb http://corp.example:8080/debian {codename} main\n")
            with open(os.path.join(d, "apt.conf"), "w") as f:
                f.write(f'Dir::Etc::sourcelist "{d}/sources.list";\n'
                        f'Dir::Etc::sourceparts "{d}/none";\n')
            env = {"APT_CONFIG": os.path.join(d, "apt.conf")}
            self.assertEqual(bash('echo "$DEBIAN_MIRROR"', env),
                             "http://corp.example:8080/debian")
            env["PMUTRACE_MIRROR"] = "http://override.example/debian"
            self.assertEqual(bash('echo "$DEBIAN_MIRROR"', env),
                             "http://override.example/debian")

if __name__ == "__main__":
    unittest.main()
