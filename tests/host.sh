#!/bin/bash
# host.sh: what pmutrace does on this machine, whose kernel refuses BPF
# tracing programs, and with bad input. Prints "ok ..." / "FAIL ..." lines.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# PMUTRACE_BIN: another build to try, e.g. an older one these checks should catch.
bin=${PMUTRACE_BIN:-$top/build/$(uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')/pmutrace}
tmp=$(mktemp -d) pub=
trap 'rm -rf "$tmp" ${pub:+"$pub"}' EXIT

HOST_TEST=host
# shellcheck source=tests/host-lib.sh
. "$top/tests/host-lib.sh"
# Unprivileged runs go through setpriv: uid/gid nobody, no capabilities.
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"; }

# Output paths are checked before anything is traced: only regular files are
# replaced, and no run leaves a temporary file, not even one killed mid-way.
output_checks() {
	local o=$tmp/outs pid fd
	mkdir -p "$o/dir"
	ln -s /dev/stdout "$o/stdout"
	expect "-o a directory" 7 "$bin" -o "$o/dir" -d 1
	expect "--textfile a directory" 7 "$bin" --textfile "$o/dir" -d 1
	expect "-o a symlink (to /dev/stdout)" 7 "$bin" -o "$o/stdout" -d 1
	[ -L "$o/stdout" ] || echo "FAIL host: the symlink given to -o was replaced"
	if mknod "$o/null" c 1 3 2>/dev/null; then
		expect "-o a device node (as /dev/null)" 7 "$bin" -o "$o/null" -d 1
		expect "--textfile a device node" 7 "$bin" --textfile "$o/null" -d 1
		if [ -c "$o/null" ]; then
			echo "ok   host: the device node given to -o is still a device node"
		else
			echo "FAIL host: the device node given to -o was replaced: $(ls -l "$o/null")"
		fi
		rm -f "$o/null"
	else
		echo "skip host: -o a device node: mknod needs root"
	fi
	expect "-o X --textfile X" 2 "$bin" -o "$o/x.json" --textfile "$o/x.json" -d 1
	expect "--user an unknown name" 2 "$bin" --user no-such-user-here -d 1
	expect "--user root" 2 "$bin" --user root -d 1
	expect "--user 0:0" 2 "$bin" --user 0:0 -d 1
	expect "--user 12x" 2 "$bin" --user 12x -d 1
	expect "-o X --textfile ./X" 2 "$bin" -o "$o/dir/x" --textfile "$o/dir/../dir/x" -d 1
	rm -f "$o/stdout"
	rmdir "$o/dir"

	# A writable directory: the output is opened first, then the run fails.
	expect "-o in a writable directory, run fails later" 4 "$bin" -o "$o/out.json" -d 1
	if [ -z "$(ls -A "$o")" ]; then
		echo "ok   host: a run that failed after opening -o leaves no file"
	else
		echo "FAIL host: a failed run left: $(ls -A "$o")"
	fi
	# SIGKILL while the output is open: stderr is a full pipe, so the run
	# blocks on its error line with the output open, and is killed there.
	mkfifo "$tmp/pipe"
	exec 3<>"$tmp/pipe"
	# Fill it whatever its size (64 KiB with 4 KiB pages, more with larger).
	/usr/bin/python3 -c 'import fcntl, os
fl = fcntl.fcntl(3, fcntl.F_GETFL)
fcntl.fcntl(3, fcntl.F_SETFL, fl | os.O_NONBLOCK)
for chunk in (4096, 1):
    try:
        while True:
            os.write(3, b"x" * chunk)
    except BlockingIOError:
        pass
fcntl.fcntl(3, fcntl.F_SETFL, fl)'
	"$bin" -o "$o/out.json" -d 1 2>&3 &
	pid=$!
	for _ in $(seq 100); do
		grep -q pipe_write "/proc/$pid/wchan" 2>/dev/null && break
		sleep 0.1
	done
	# The positive control: the run holds a file in $o open when killed.
	if for fd in /proc/"$pid"/fd/*; do readlink "$fd"; done 2>/dev/null | grep -q "^$o/"; then
		kill -9 "$pid"
		wait "$pid" 2>/dev/null
		if [ -z "$(ls -A "$o")" ]; then
			echo "ok   host: a run killed with SIGKILL while -o was open leaves no file"
		else
			echo "FAIL host: a run killed with SIGKILL left: $(ls -A "$o")"
		fi
	else
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		echo "FAIL host: SIGKILL check: the run did not hold its output open in $o"
	fi
	exec 3>&-
	rm -f "$tmp/pipe"
}

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
expect "interval below the minimum (a busy loop)" 2 "$bin" -i 1e-9
expect "interval just below the minimum" 2 "$bin" -i 0.09
expect "--lock at a user-space address" 2 "$bin" -l 0x1234567890
expect "--lock at a bare user-space address" 2 "$bin" -l deadbeef00
expect "--lock at a misaligned address" 2 "$bin" -l 0xffff800081300004
expect "check takes no trace option (-d)" 2 "$bin" check -d 1
expect "check takes no trace option (--json)" 2 "$bin" check --json
expect "check takes no argument" 2 "$bin" check extra
expect "check, --lock at a user-space address" 2 "$bin" check -l 0x1234567890
"$bin" check --help >"$tmp/chelp" 2>&1
if grep -q 'pmutrace check' "$tmp/chelp" && grep -q -- '--no-lock' "$tmp/chelp" &&
	! grep -q -- '--duration' "$tmp/chelp"; then
	echo "ok   host: check --help is check's own help"
else
	echo "FAIL host: check --help: $(head -c 300 "$tmp/chelp")"
fi
"$bin" check -v >/dev/null 2>"$tmp/cverbose"
if grep -q '^libbpf: ' "$tmp/cverbose"; then
	echo "ok   host: check -v shows libbpf's log ($(grep -c '^libbpf: ' "$tmp/cverbose") lines)"
else
	echo "FAIL host: check -v shows no libbpf log: $(head -c 300 "$tmp/cverbose")"
fi
expect "unwritable output directory" 7 "$bin" -o /nonexistent/dir/out.json
mkdir "$tmp/ro" && chmod 555 "$tmp/ro"
expect "read-only output directory (not root)" 7 nobody "$bin" -o "$tmp/ro/out.json"
[ -z "$(ls -A "$tmp/ro")" ] || echo "FAIL host: read-only directory: files in it: $(ls -A "$tmp/ro")"
output_checks
"$bin" --help >"$tmp/help" 2>&1
if grep -q 'EVERY mutex' "$tmp/help" && grep -q 'Exit status: 0 ok' "$tmp/help"; then
	echo "ok   host: --help explains the cost of --hold and the exit codes"
else
	echo "FAIL host: --help lacks the cost of --hold or the exit codes"
fi
if tr '\n' ' ' <"$tmp/help" | grep -q '1\. function: .* 2\. inline: .* 3\. caller:'; then
	echo "ok   host: --help states the order: function, inline sites, caller"
else
	echo "FAIL host: --help lacks the order function, inline sites, caller"
fi
expect "--attach with an unknown way" 2 "$bin" --attach sideways -d 1
# Inline sites are filtered and attributed: -p, -c and --by are no usage
# error with --sites; the run goes on to the kernel, which refuses here.
expect "--sites with -p, -c and --by: past the options, to the kernel" 4 \
	"$bin" --sites /dev/null -p 1 -c / --by process -d 1
sites=$(dirname "$bin")/pmutrace-sites
expect "pmutrace-sites on a file that is not ELF" 3 "$sites" /etc/hostname kvm_arm_set_pmu
expect "pmutrace-sites with an unknown option" 2 "$sites" -x /etc/hostname f
if "$bin" --version | grep '^pmutrace ' >/dev/null; then
	echo "ok   host: --version"
else
	echo "FAIL host: --version"
fi

# compare needs no privileges and no tracing kernel. nobody gets copies in
# a folder it may read: the clone may sit where it may not (/root is 0700).
fx=$top/tests/fixtures
# A second run like sid-default.json: one run given twice is refused (exit 9).
/usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1])); d["locks"][0]["missed"] += 1
json.dump(d, open(sys.argv[2], "w"))' "$fx/sid-default.json" "$tmp/sid-again.json"
pub=$(mktemp -d)
chmod 755 "$pub" && cp "$bin" "$(dirname "$bin")/pmutrace-compare" "$fx/sid-default.json" "$fx/trixie-default.json" "$pub/"
if nobody "$pub/pmutrace" compare "$pub/sid-default.json" "$pub/trixie-default.json" >"$tmp/cmp" 2>&1 &&
	grep -q 'warning: kernels differ' "$tmp/cmp" &&
	grep -q 'warning: kvm_supports_guest_pmuv3 is absent on one side' "$tmp/cmp"; then
	echo "ok   host: compare runs unprivileged and warns about differing kernels and attach modes"
else
	echo "FAIL host: compare: $(head -c 300 "$tmp/cmp")"
fi
expect "compare with one file" 2 "$bin" compare "$fx/sid-default.json"
# compare is a program of its own that pmutrace execs (pmutrace-compare,
# beside it): the tracer links no GSL, compare no libbpf or libelf.
"$bin" compare --help >"$tmp/cmphelp" 2>&1
if [ $? -eq 0 ] && head -n 1 "$tmp/cmphelp" | grep -q '^Usage: pmutrace compare ' &&
	grep -q 'Brunner-Munzel' "$tmp/cmphelp"; then
	echo "ok   host: pmutrace compare --help runs pmutrace-compare through the tracer"
else
	echo "FAIL host: pmutrace compare --help: $(head -c 300 "$tmp/cmphelp")"
fi
mkdir "$tmp/alone" && cp "$bin" "$tmp/alone/"
expect "compare without pmutrace-compare beside pmutrace" 127 "$tmp/alone/pmutrace" compare --help
# links BINARY: its symbols (unstripped builds: the static arm64 one too)
# and the shared libraries it needs, for the checks below.
links() { nm "$1" 2>/dev/null; readelf -d "$1" 2>/dev/null | grep NEEDED; }
for b in "$bin" "$top/build/arm64/pmutrace"; do
	if [ ! -x "$b" ]; then
		echo "skip host: ${b#"$top"/}'s libraries: not built (make ARCH=arm64)"
		continue
	fi
	c=$(dirname "$b")/pmutrace-compare
	gsl=$(links "$b" | grep -c -E ' gsl_| cblas_|libgsl')
	bpf=$(links "$c" | grep -c -E ' (libbpf_|bpf_object__|bpf_map__|elf_)|libbpf|libelf')
	if [ "$(links "$b" | grep -c ' libbpf_')" -gt 0 ] && [ "$(links "$c" | grep -c ' gsl_')" -gt 0 ] &&
		[ "$gsl" -eq 0 ] && [ "$bpf" -eq 0 ]; then
		echo "ok   host: ${b#"$top"/} has no GSL symbol or library, pmutrace-compare beside it no libbpf or libelf"
	else
		echo "FAIL host: ${b#"$top"/}: $gsl GSL symbols or libraries in the tracer, $bpf libbpf/libelf ones in pmutrace-compare"
	fi
done
expect "compare, nothing in common" 8 "$bin" compare "$fx/sid-default.json" "$fx/sid-generic.json"
expect "compare, unwritable output" 7 "$bin" compare -o /nonexistent/x.md "$fx/sid-default.json" "$tmp/sid-again.json"
to_full() { "$@" >/dev/full; }
for f in text json svg; do
	expect "compare -f $f, stdout full" 7 to_full "$bin" compare -f "$f" "$fx/sid-default.json" "$tmp/sid-again.json"
done
echo precious >"$tmp/victim"
ln -s "$tmp/victim" "$tmp/planted.md"
expect "compare -o a planted symlink" 7 "$bin" compare -o "$tmp/planted.md" "$fx/sid-default.json" "$tmp/sid-again.json"
if [ -L "$tmp/planted.md" ] && [ "$(cat "$tmp/victim")" = precious ]; then
	echo "ok   host: compare -o leaves a planted symlink and its target alone"
else
	echo "FAIL host: compare -o followed or replaced a planted symlink"
fi
rm -f "$tmp/planted.md" "$tmp/victim"
mkdir "$tmp/cmpout"
echo old >"$tmp/cmpout/report.md"
chmod 600 "$tmp/cmpout/report.md"
if "$bin" compare -f markdown -o "$tmp/cmpout/report.md" "$fx/sid-default.json" "$tmp/sid-again.json" &&
	grep -q '^## pmutrace compare' "$tmp/cmpout/report.md" &&
	[ "$(stat -c %a "$tmp/cmpout/report.md")" = 600 ] && [ "$(ls -A "$tmp/cmpout")" = report.md ]; then
	echo "ok   host: compare -o replaces a file whole, keeps its mode, leaves no temporary"
else
	echo "FAIL host: compare -o: $(ls -lA "$tmp/cmpout")"
fi
expect "compare -o a directory" 7 "$bin" compare -o "$tmp/cmpout" "$fx/sid-default.json" "$tmp/sid-again.json"
# Another user's file: its mode is not kept; in a sticky directory (as
# /tmp) the rename at the end would fail, so it is refused at start-up.
if [ "$(id -u)" = 0 ]; then
	install -m 666 -o 65534 -g 65534 /dev/null "$tmp/cmpout/theirs.md"
	if (umask 022 && "$bin" compare -o "$tmp/cmpout/theirs.md" "$fx/sid-default.json" "$tmp/sid-again.json") &&
		[ "$(stat -c %a:%u "$tmp/cmpout/theirs.md")" = 644:0 ]; then
		echo "ok   host: compare -o over nobody's file of mode 666: root's, mode 644 (the umask)"
	else
		echo "FAIL host: compare -o over nobody's file of mode 666 left $(stat -c %a:%U "$tmp/cmpout/theirs.md")"
	fi
	mkdir -m 1777 "$tmp/sticky"
	install -m 644 /dev/null "$tmp/sticky/root.md"
	chmod 755 "$tmp"
	expect "compare -o, as nobody, over root's file in a sticky directory" 7 \
		nobody "$bin" compare -o "$tmp/sticky/root.md" "$fx/sid-default.json" "$tmp/sid-again.json"
	chown 65534:65534 "$tmp/sticky" "$tmp/sticky/root.md"
	expect "pmutrace -o over nobody's file in nobody's sticky directory: refused before tracing" 7 \
		"$bin" -o "$tmp/sticky/root.md" -d 1
	if [ "$(ls -A "$tmp/sticky")" = root.md ] && [ ! -s "$tmp/sticky/root.md" ]; then
		echo "ok   host: the refused file is untouched, nothing beside it"
	else
		echo "FAIL host: the sticky directory holds $(ls -lA "$tmp/sticky")"
	fi
else
	echo "skip host: another user's output file: needs root to make one"
fi
expect "compare, unknown format" 2 "$bin" compare -f pdf "$fx/sid-default.json" "$tmp/sid-again.json"
expect "compare, unknown option" 2 "$bin" compare -x "$fx/sid-default.json" "$tmp/sid-again.json"
expect "compare, option without its value" 2 "$bin" compare "$fx/sid-default.json" "$tmp/sid-again.json" -f
expect "compare -r 2^32+1 (not 1 resample)" 2 "$bin" compare -r 4294967297 "$fx/sid-default.json" "$tmp/sid-again.json"
# Issue 19: runs as arguments or folders; one run never counts twice.
expect "compare, one run given twice" 9 "$bin" compare "$fx/sid-default.json,$fx/sid-default.json" "$tmp/sid-again.json"
expect "compare, one run twice on one side" 9 "$bin" compare --before "$fx/sid-default.json" --after "$tmp/sid-again.json" "$tmp/sid-again.json"
/usr/bin/python3 -c 'import json, sys; json.dump(json.load(open(sys.argv[1])), open(sys.argv[2], "w"), indent=4)' "$fx/sid-default.json" "$tmp/reindented.json"
expect "compare, one run and its re-indented copy" 9 "$bin" compare "$fx/sid-default.json" "$tmp/reindented.json"
# Identical figures from two boots whose meta.txt names two boot_ids are two
# runs (the instruction-driven clock repeats a boot); the same copies without
# a boot identity are one run given twice.
for b in 1 2 3; do mkdir -p "$tmp/boot$b" && cp "$fx/sid-default.json" "$tmp/boot$b/run.json"; done
echo boot_id=icount-a >"$tmp/boot1/meta.txt" && echo boot_id=icount-b >"$tmp/boot2/meta.txt"
if "$bin" compare --before "$tmp/boot1/run.json" "$tmp/boot2/run.json" --after "$tmp/sid-again.json" >"$tmp/out" 2>"$tmp/err"; then
	echo "ok   host: compare takes identical figures of two known boots as two runs"
else
	echo "FAIL host: compare, identical figures of two known boots: $(head -c 300 "$tmp/err")"
fi
expect "compare, identical copies, one without a boot identity" 9 "$bin" compare --before "$tmp/boot1/run.json" "$tmp/boot3/run.json" --after "$tmp/sid-again.json"
mkdir -p "$tmp/runs" && cp "$fx/sid-default.json" "$tmp/runs/run,1.json" && cp "$tmp/sid-again.json" "$tmp/runs/2.json"
if "$bin" compare "$tmp/runs/run,1.json" "$tmp/runs/2.json" >"$tmp/comma" 2>&1 && grep -q 'run,1.json' "$tmp/comma"; then
	echo "ok   host: compare takes a file named run,1.json as one run"
else
	echo "FAIL host: compare run,1.json: $(head -c 300 "$tmp/comma")"
fi
cp "$fx/sid-default.json" "$tmp/runs/run" && cp "$fx/trixie-default.json" "$tmp/runs/1.json"
expect "compare, run,1.json that is also the list run + 1.json" 2 sh -c 'cd "$1" && "$2" compare run,1.json 2.json' sh "$tmp/runs" "$bin"
rm "$tmp/runs/run" "$tmp/runs/1.json" "$tmp/runs/run,1.json"
cp "$fx/sid-default.json" "$tmp/runs/1.json"
if "$bin" compare -f json --before "$tmp/runs" --after "$fx/trixie-default.json" >"$tmp/dir.json" 2>/dev/null &&
	/usr/bin/python3 -c 'import json, sys; assert json.load(open(sys.argv[1]))["before"]["runs"] == 2' "$tmp/dir.json"; then
	echo "ok   host: compare --before FOLDER reads its *.json files as runs"
else
	echo "FAIL host: compare --before FOLDER: $(head -c 300 "$tmp/dir.json")"
fi
# Issue 20 item 10: what a message quotes from an input reaches no terminal raw.
printf '{"schema":"\\u001b]0;title\\u0007"}' >"$tmp/title.json"
expect "compare, ESC and BEL in the schema value" 8 "$bin" compare "$tmp/title.json" "$fx/sid-default.json"
if grep -q $'\e' "$tmp/err" || ! grep -qF '\x1b]0;title\x07' "$tmp/err"; then
	echo "FAIL host: compare's error passed ESC or BEL through: $(cat -v "$tmp/err")"
else
	echo "ok   host: compare's error shows ESC and BEL as \\xNN"
fi
expect "tracer -o a name with ESC" 7 "$bin" -o $'/nonexistent/\e[31mred' -d 1
if grep -q $'\e' "$tmp/err"; then
	echo "FAIL host: the tracer's error passed ESC through: $(cat -v "$tmp/err")"
else
	echo "ok   host: the tracer's error shows ESC as \\xNN"
fi
# 2 MB of {} made json-c take 546 MB: the reader bounds values before parsing.
{ printf '['; yes '{},' | head -n 700000 | tr -d '\n'; printf '{}]'; } >"$tmp/objects.json"
expect "compare, 700,000 empty objects" 8 "$bin" compare "$tmp/objects.json" "$fx/sid-default.json"
head -c 700 "$fx/sid-default.json" >"$tmp/trunc.json"
expect "compare, truncated input" 8 "$bin" compare "$tmp/trunc.json" "$fx/sid-default.json"
"$bin" compare -f svg "$fx/sid-default.json" "$tmp/sid-again.json" >"$tmp/cmp.svg"
if /usr/bin/python3 -c 'import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]); assert d.documentElement.tagName == "svg" and len(d.getElementsByTagName("polyline")) >= 4' "$tmp/cmp.svg"; then
	echo "ok   host: compare -f svg is well-formed SVG with both histograms per panel"
else
	echo "FAIL host: compare -f svg is not well-formed SVG"
fi

# Names and labels from an input file reach SVG, Markdown, JSON and terminals.
# mkdoc NAME PYTHON: the sid fixture with d changed by PYTHON, as $tmp/NAME.json.
mkdoc() {
	/usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
exec(sys.argv[3])
open(sys.argv[2], "wb").write(json.dumps(d, ensure_ascii=False).encode("utf-8", "surrogateescape"))
d["locks"][0]["missed"] += 1 # a second boot of it: compare refuses one run twice
open(sys.argv[2][:-5] + "-again.json", "wb").write(json.dumps(d, ensure_ascii=False).encode("utf-8", "surrogateescape"))' \
		"$fx/sid-default.json" "$tmp/$1.json" "$2"
}
mkdoc script 'for t in d["targets"]: t["name"] = "</text><script>alert(1)</script><text>" + t["name"]
d["locks"][0]["name"] = "<script>x</script>"'
"$bin" compare -f svg "$tmp/script.json" "$tmp/script-again.json" >"$tmp/script.svg"
if /usr/bin/python3 -c 'import sys, xml.dom.minidom as m
d = m.parse(sys.argv[1])
assert not d.getElementsByTagName("script")
assert any(n.nodeType == n.TEXT_NODE and n.data.startswith("</text><script>") for t in d.getElementsByTagName("text") for n in t.childNodes)' "$tmp/script.svg" 2>/dev/null; then
	echo "ok   host: compare -f svg: a target named </text><script>... stays text, no script element"
else
	echo "FAIL host: compare -f svg: a target name makes markup: $(grep -m1 -o '.\{20\}script.\{20\}' "$tmp/script.svg")"
fi
"$bin" compare -f markdown "$tmp/script.json" "$tmp/script-again.json" >"$tmp/script.md"
if ! grep -q '<script>' "$tmp/script.md" && grep -q '\\<script\\>' "$tmp/script.md"; then
	echo "ok   host: compare -f markdown escapes < > | in names"
else
	echo "FAIL host: compare -f markdown: raw markup from a name: $(grep -m1 script "$tmp/script.md")"
fi
mkdoc pipe 'd["label"] = "a | b"'
"$bin" compare -f markdown "$tmp/pipe.json" "$tmp/pipe-again.json" >"$tmp/pipe.md"
if grep -q 'a \\| b' "$tmp/pipe.md"; then
	echo "ok   host: compare -f markdown escapes | in labels"
else
	echo "FAIL host: compare -f markdown: a label's | unescaped: $(grep -m1 'a .*b' "$tmp/pipe.md")"
fi
mkdoc utf8 'd["label"] = "bad \udcff byte"'
expect "compare, a label of invalid UTF-8" 8 "$bin" compare -f json "$tmp/utf8.json" "$tmp/utf8.json"
mkdoc esc 'd["label"] = "\x1b]0;owned\x07\x1b[2J"'
expect "compare, ESC and BEL in a label" 8 "$bin" compare "$tmp/esc.json" "$tmp/esc-again.json"
mkdoc newline 'd["targets"][0]["name"] = "x\nwarning: all is well"'
expect "compare, a newline in a target name" 8 "$bin" compare "$tmp/newline.json" "$tmp/newline-again.json"
mkdoc unicode 'd["label"] = "caf\u00e9 \u2713 \u4e2d"'
if "$bin" compare -f json "$tmp/unicode.json" "$tmp/unicode-again.json" >"$tmp/unicode.out" &&
	/usr/bin/python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["before"]["label"] == "caf\u00e9 \u2713 \u4e2d"' "$tmp/unicode.out"; then
	echo "ok   host: a UTF-8 label goes through compare -f json as valid JSON"
else
	echo "FAIL host: a UTF-8 label: compare -f json is not valid JSON: $(head -c 200 "$tmp/unicode.out")"
fi
expect "--label of invalid UTF-8" 2 "$bin" --label $'bad \xff byte' -d 1
expect "--label with ESC" 2 "$bin" --label $'\e[2J' -d 1
expect "--label with a newline" 2 "$bin" --label $'a\nb' -d 1
expect "compare, a file name with ESC" 2 "$bin" compare $'\e[2J.json' "$fx/sid-default.json"

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
# The inline-site tables go where pmutrace looks for them whatever PREFIX
# (user/common/sitedir.h), as in the package.
sites_inst=$(cd "$top/data/sites" && printf './usr/share/pmutrace/sites/%s ' *.sites)
if make -s -C "$top" install DESTDIR="$tmp/inst" PREFIX=/usr/local >/dev/null 2>&1 &&
	[ "$(cd "$tmp/inst" && find . -type f | sort | tr '\n' ' ')" = "./usr/local/libexec/pmutrace/pmu-stress ./usr/local/sbin/pmutrace ./usr/local/sbin/pmutrace-compare ./usr/local/share/man/man8/pmutrace.8 ./usr/local/share/pmutrace/pmutrace.schema.json $sites_inst" ]; then
	echo "ok   host: make install DESTDIR=... PREFIX=/usr/local installs the tracer and compare, the workload, the man page and the schema, and the $(echo "$sites_inst" | wc -w) inline-site tables into /usr/share/pmutrace/sites"
else
	echo "FAIL host: make install: $(cd "$tmp/inst" 2>/dev/null && find . -type f | tr '\n' ' ')"
fi
if make -s -C "$top" check-format >"$tmp/fmt" 2>&1; then
	echo "ok   host: C sources follow the kernel's clang-format style"
else
	echo "FAIL host: make check-format: $(head -c 300 "$tmp/fmt")"
fi
