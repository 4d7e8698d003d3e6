#!/bin/bash
# attrib-host.sh: attribution's options with bad input, on the build host:
# each is refused in one line with exit 2 before anything loads. Prints
# "ok ..." / "FAIL ..." lines.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/build/$(uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')/pmutrace
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect() { # expect NAME ARGS...: exit 2, one line on stderr, no stdout
	local name=$1 rc
	shift
	"$bin" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && [ ! -s "$tmp/out" ]; then
		echo "ok   attrib-host: $name: exit 2, one line: $(cat "$tmp/err")"
	else
		echo "FAIL attrib-host: $name: exit $rc (want 2), stderr $(wc -l <"$tmp/err") lines: $(head -c 300 "$tmp/err")"
	fi
}
expect "pid zero" -p 0
expect "pid not a number" -p abc
expect "pid too large" -p 99999999
expect "nine pids" -p 1 -p 2 -p 3 -p 4 -p 5 -p 6 -p 7 -p 8 -p 9
expect "empty cgroup" -c ''
expect "by what" --by thread
expect "top zero" --top 0
expect "by-entries too small" --by-entries 3
expect "owners without a lock" --no-lock --owners
if "$bin" --help | grep -- '--owners' >/dev/null; then
	echo "ok   attrib-host: --help lists the attribution options"
else
	echo "FAIL attrib-host: --help does not list --owners"
fi
