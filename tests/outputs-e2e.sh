#!/bin/bash
# outputs-e2e.sh SUITE [KERNEL_DIR]: the output files of live trace runs in
# the guest (tests/guest/outputs.sh): a SIGKILL while -o is open leaves
# nothing, an existing file's mode is kept, a UTF-8 --label gives valid JSON,
# /dev/null and a directory are refused before tracing, write errors on
# stdout exit 7, and a run started as root is nobody with CAP_BPF only once
# attached, its -o and --textfile written by a root monitor that keeps
# CAP_DAC_OVERRIDE only (into a sticky directory too). Prints ok/FAIL lines.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
suite=${1:-sid}
kdir=${2:-$("$top/scripts/lab/fetch-kernel.sh" "$suite")}
out=${E2E_OUT:-$top/build/e2e}/outputs-$suite
schema=$top/docs/pmutrace.schema.json

TEST_NAME="outputs[$suite]"
# shellcheck source=tests/e2e-lib.sh
. "$top/tests/e2e-lib.sh"
is() { [ "$(cat "$out/$1" 2>/dev/null)" = "$2" ]; }
one_line() { [ "$(wc -l <"$out/$1")" -eq 1 ] && ! grep -q '^Tracing' "$out/$1"; }

rm -rf "$out"
if ! "$top/scripts/lab/run-guest.sh" -k "$kdir" -s "$top/tests/guest/outputs.sh" -o "$out" -t 300 \
	"$top/build/arm64/pmutrace" "$top/build/arm64/pmu-stress" "$top/build/arm64/bpf-progs" \
	"$top/tests/guest/lib.sh"; then
	bad "guest ran the scenario to its end (see $out/console.log)"
	exit 1
fi
check "SIGKILL: the run held its output open when killed" is killed.open 1
check "SIGKILL while -o was open leaves no file ($(tr '\n' ' ' <"$out/killed.ls"))" \
	test ! -s "$out/killed.ls"
check "-o over a file of mode 600: exit 0, mode kept, nothing else left" \
	sh -c "[ \"\$(cat '$out/kept.rc')\" = 0 ] && [ \"\$(cat '$out/kept.mode')\" = 600 ] &&
		[ \"\$(cat '$out/kept.ls')\" = kept.json ]"
for doc in kept label; do
	check "$doc: a UTF-8 --label gives JSON valid against the schema" \
		/usr/bin/python3 "$top/tests/validate-json.py" "$schema" "$out/$doc.json"
	check "$doc: the label comes back as given" \
		/usr/bin/python3 -c 'import json, sys; assert json.load(open(sys.argv[1]))["label"] == "caf\u00e9 \u2713"' "$out/$doc.json"
done
check "-o /dev/null: exit 7 before tracing, still a device ($(cat "$out/devnull.err"))" \
	sh -c "[ \"\$(cat '$out/devnull.rc')\" = 7 ] && [ \"\$(cat '$out/devnull.kind')\" = char ]" && one_line devnull.err
check "--textfile DIR: exit 7 before tracing ($(cat "$out/dir.err"))" is dir.rc 7
check "--textfile DIR: one line, no Tracing" one_line dir.err
for f in text json; do
	check "stdout full ($f): exit 7 ($(tail -n 1 "$out/full-$f.err"))" is "full-$f.rc" 7
done
# Issue 20 item 9: a run by hand as root is not uid 0 once attached, with
# -o and --textfile too: those are the monitor's, which is nothing else.
ids_ok() {
	local f=$out/uid.status
	awk '/^Uid:/ { for (i = 2; i <= 5; i++) if ($i != 65534) exit 1; u = 1 }
		/^Gid:/ { for (i = 2; i <= 5; i++) if ($i != 65534) exit 1; g = 1 }
		/^Groups:/ { if (NF > 1) exit 1 }
		END { exit !(u && g) }' "$f" &&
		[ "$(sed -n 's/^CapEff:[[:space:]]*//p' "$f")" = 0000008000000000 ] &&
		[ "$(sed -n 's/^CapPrm:[[:space:]]*//p' "$f")" = 0000008000000000 ]
}
monitor_ok() {
	local f=$out/uid.monitor
	awk '/^Uid:/ { for (i = 2; i <= 5; i++) if ($i != 0) exit 1; u = 1 }
		END { exit !u }' "$f" &&
		[ "$(sed -n 's/^CapEff:[[:space:]]*//p' "$f")" = 0000000000000002 ] &&
		[ "$(sed -n 's/^CapBnd:[[:space:]]*//p' "$f")" = 0000000000000002 ]
}
check "root's run with -o and --textfile is nobody once attached, CAP_BPF only: root's files are shut to it ($(tr '\n\t' '  ' <"$out/uid.status"))" ids_ok
check "its file monitor is root with CAP_DAC_OVERRIDE only ($(tr '\n\t' '  ' <"$out/uid.monitor"))" monitor_ok
check "a run with -o and --textfile ended by SIGINT: exit 0" is uid.rc 0
check "the monitor ended with the run" is uid.monitor-after gone
check "-o and --textfile written by the monitor are root's ($(tr '\n' ' ' <"$out/uid.owner"))" \
	sh -c "[ \"\$(tr '\n' ' ' <'$out/uid.owner')\" = '0:0 0:0 ' ]"
check "uid: the -o file is JSON valid against the schema" \
	/usr/bin/python3 "$top/tests/validate-json.py" "$schema" "$out/uid.json"
check "-o and --textfile into a sticky directory: exit 0, both files, nothing else ($(tr '\n' ' ' <"$out/sticky.ls"); $(head -c 200 "$out/sticky.err" | grep -v '^Tracing'))" \
	sh -c "[ \"\$(cat '$out/sticky.rc')\" = 0 ] && [ \"\$(tr '\n' ' ' <'$out/sticky.ls')\" = 'm.prom r.json ' ] &&
		[ \"\$(cat '$out/sticky.up')\" = 1 ]"
check "sticky: the -o file is JSON valid against the schema" \
	/usr/bin/python3 "$top/tests/validate-json.py" "$schema" "$out/sticky.json"
