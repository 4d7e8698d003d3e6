#!/bin/bash
# host.sh: what pmutrace does on this machine, whose kernel refuses BPF
# tracing programs, and with bad input. Prints "ok ..." / "FAIL ..." lines.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/build/$(uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')/pmutrace
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect NAME CODE ARGS...: pmutrace ARGS exits CODE with exactly one line
# on stderr, nothing on stdout.
expect() {
	local name=$1 code=$2 rc
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -eq "$code" ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && [ ! -s "$tmp/out" ]; then
		echo "ok   host: $name: exit $rc, one line: $(cat "$tmp/err")"
	else
		echo "FAIL host: $name: exit $rc (want $code), stderr $(wc -l <"$tmp/err") lines: $(head -c 300 "$tmp/err")"
	fi
}
# Unprivileged runs go through setpriv: uid/gid nobody, no capabilities.
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"; }

if [ "$(uname -m)" = aarch64 ] && [ -e /dev/kvm ]; then
	echo "ok   host: arm64 KVM host: the refusal test does not apply here"
else
	expect "this kernel refuses tracing programs" 4 "$bin" -d 1
	grep -q 'refuses BPF tracing programs' "$tmp/err" ||
		echo "FAIL host: refusal message does not say why: $(cat "$tmp/err")"
fi
expect "not root" 3 nobody "$bin" -d 1
expect "duration not a number" 2 "$bin" -d abc
expect "duration zero" 2 "$bin" -d 0
expect "interval negative" 2 "$bin" -i -1
expect "interval longer than duration" 2 "$bin" -d 1 -i 5
expect "bad function name" 2 "$bin" -f 'x;y'
expect "function given twice" 2 "$bin" -f misc_open -f misc_open
expect "nine functions" 2 "$bin" -f a1 -f a2 -f a3 -f a4 -f a5 -f a6 -f a7 -f a8 -f a9
expect "--no-lock with --lock" 2 "$bin" --no-lock -l misc_mtx
expect "stray argument" 2 "$bin" extra
expect "unknown option" 2 "$bin" --bogus
expect "option without its value" 2 "$bin" -d
expect "unwritable output directory" 7 "$bin" -o /nonexistent/dir/out.json
mkdir "$tmp/ro" && chmod 555 "$tmp/ro"
expect "read-only output directory (not root)" 7 nobody "$bin" -o "$tmp/ro/out.json"
if [ -z "$(ls -A "$tmp/ro")" ] && ! ls "$tmp"/.pmutrace.* >/dev/null 2>&1; then
	echo "ok   host: failed runs leave no output or temporary file"
else
	echo "FAIL host: failed runs left files: $(ls -A "$tmp" "$tmp/ro")"
fi
"$bin" --help >"$tmp/help" 2>&1
if grep -q 'EVERY mutex' "$tmp/help" && grep -q 'Exit status: 0 ok' "$tmp/help"; then
	echo "ok   host: --help explains the cost of --hold and the exit codes"
else
	echo "FAIL host: --help lacks the cost of --hold or the exit codes"
fi
if "$bin" --version | grep -q '^pmutrace '; then
	echo "ok   host: --version"
else
	echo "FAIL host: --version"
fi

# compare needs no privileges and no tracing kernel.
fx=$top/tests/fixtures
if nobody "$bin" compare "$fx/sid-default.json" "$fx/trixie-default.json" >"$tmp/cmp" 2>&1 &&
	grep -q 'warning: kernels differ' "$tmp/cmp" &&
	grep -q 'warning: kvm_supports_guest_pmuv3 is absent on one side' "$tmp/cmp"; then
	echo "ok   host: compare runs unprivileged and warns about differing kernels and attach modes"
else
	echo "FAIL host: compare: $(head -c 300 "$tmp/cmp")"
fi
expect "compare with one file" 2 "$bin" compare "$fx/sid-default.json"
expect "compare, nothing in common" 8 "$bin" compare "$fx/sid-default.json" "$fx/sid-generic.json"
expect "compare, unwritable output" 7 "$bin" compare -o /nonexistent/x.md "$fx/sid-default.json" "$fx/sid-default.json"
expect "compare, unknown format" 2 "$bin" compare -f pdf "$fx/sid-default.json" "$fx/sid-default.json"
expect "compare, unknown option" 2 "$bin" compare -x "$fx/sid-default.json" "$fx/sid-default.json"
expect "compare, option without its value" 2 "$bin" compare "$fx/sid-default.json" "$fx/sid-default.json" -f
expect "compare -r 2^32+1 (not 1 resample)" 2 "$bin" compare -r 4294967297 "$fx/sid-default.json" "$fx/sid-default.json"
head -c 700 "$fx/sid-default.json" >"$tmp/trunc.json"
expect "compare, truncated input" 8 "$bin" compare "$tmp/trunc.json" "$fx/sid-default.json"
"$bin" compare -f svg "$fx/sid-default.json" "$fx/sid-default.json" >"$tmp/cmp.svg"
if /usr/bin/python3 -c 'import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]); assert d.documentElement.tagName == "svg" and len(d.getElementsByTagName("polyline")) >= 4' "$tmp/cmp.svg"; then
	echo "ok   host: compare -f svg is well-formed SVG with both histograms per panel"
else
	echo "FAIL host: compare -f svg is not well-formed SVG"
fi

# Packaging and style.
if groff -man -ww -z "$top/docs/pmutrace.8" 2>"$tmp/groff" && [ ! -s "$tmp/groff" ]; then
	echo "ok   host: the man page renders without warnings"
else
	echo "FAIL host: man page: $(head -c 300 "$tmp/groff")"
fi
missing=$("$bin" --help | grep -o -- '--[a-z-]*' | sort -u | while read -r opt; do
	grep -q -- "${opt//-/\\\\-}" "$top/docs/pmutrace.8" || grep -q -- "$opt" "$top/docs/pmutrace.8" || echo "$opt"
done | tr '\n' ' ')
if [ -z "$missing" ]; then
	echo "ok   host: every option of --help is in the man page"
else
	echo "FAIL host: the man page lacks $missing"
fi
if make -s -C "$top" install DESTDIR="$tmp/inst" PREFIX=/usr >/dev/null 2>&1 &&
	[ "$(cd "$tmp/inst" && find . -type f | sort | tr '\n' ' ')" = "./usr/libexec/pmutrace/pmu-stress ./usr/sbin/pmutrace ./usr/share/man/man8/pmutrace.8 ./usr/share/pmutrace/pmutrace.schema.json " ]; then
	echo "ok   host: make install DESTDIR=... PREFIX=/usr installs the binary, the workload, the man page and the schema"
else
	echo "FAIL host: make install: $(cd "$tmp/inst" 2>/dev/null && find . -type f | tr '\n' ' ')"
fi
if make -s -C "$top" check-format >"$tmp/fmt" 2>&1; then
	echo "ok   host: C sources follow the kernel's clang-format style"
else
	echo "FAIL host: make check-format: $(head -c 300 "$tmp/fmt")"
fi
