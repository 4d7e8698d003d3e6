# shellcheck shell=bash
# What the host tests share. Set HOST_TEST (the lines' prefix) and tmp.

# expect NAME CODE ARGS...: ARGS exits CODE with exactly one line on stderr,
# nothing on stdout.
expect() {
	local name=$1 code=$2 rc
	shift 2
	"$@" >"${tmp:?}/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -eq "$code" ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && [ ! -s "$tmp/out" ]; then
		echo "ok   $HOST_TEST: $name: exit $rc, one line: $(cat "$tmp/err")"
	else
		echo "FAIL $HOST_TEST: $name: exit $rc (want $code), stderr $(wc -l <"$tmp/err") lines: $(head -c 300 "$tmp/err")"
	fi
}
