# shellcheck shell=sh
# The guest half of tests/outputs-e2e.sh: output files of a live trace run.
# Each step leaves what the host checks in /out.
# shellcheck source=tests/guest/lib.sh
. /bin/lib.sh
mkdir -p /tmp/o /tmp/d

# 1. SIGKILL while tracing with -o: no file, no .default.json.XXXXXXXX.
trace_start killed -j -o /tmp/o/killed.json
# The positive control: the run holds a file in /tmp/o open.
for fd in /proc/"$trace_pid"/fd/*; do readlink "$fd"; done | grep -c '^/tmp/o/' >/out/killed.open
kill -KILL "$trace_pid"
wait "$trace_pid"
ls -A /tmp/o >/out/killed.ls

# 2. A whole run: the existing file's mode (600) kept, nothing else left.
label=$(printf 'caf\303\251 \342\234\223')
echo old >/tmp/o/kept.json
chmod 600 /tmp/o/kept.json
pmutrace -j -d 1 -o /tmp/o/kept.json --label "$label" 2>/out/kept.err
echo $? >/out/kept.rc
stat -c %a /tmp/o/kept.json >/out/kept.mode
ls -A /tmp/o >/out/kept.ls
cp /tmp/o/kept.json /out/kept.json
pmutrace -j -d 1 --label "$label" >/out/label.json 2>/out/label.err
echo $? >/out/label.rc

# 3. Refused before tracing: a device node, a directory, the same file twice.
pmutrace -j -d 1 -o /dev/null 2>/out/devnull.err
echo $? >/out/devnull.rc
[ -c /dev/null ] && echo char >/out/devnull.kind
pmutrace -d 1 --textfile /tmp/d 2>/out/dir.err
echo $? >/out/dir.rc

# 4. Write errors on stdout: text and JSON into a full device.
pmutrace -d 1 >/dev/full 2>/out/full-text.err
echo $? >/out/full-text.rc
pmutrace -j -d 1 >/dev/full 2>/out/full-json.err
echo $? >/out/full-json.rc

# 5. Run by hand as root with -o and --textfile: once attached the worker
# is nobody (65534, as this guest has no /etc/passwd) with CAP_BPF only;
# the files are its child's, the monitor, root with CAP_DAC_OVERRIDE only.
# They land root's, in a sticky directory too, and the monitor ends with
# the run.
mkdir -p /tmp/s
chmod 1777 /tmp/s
trace_start uid -j -o /tmp/o/uid.json --textfile /tmp/s/uid.prom
grep -E '^(Uid|Gid|Groups|CapEff|CapPrm):' /proc/"$trace_pid"/status >/out/uid.status
mon=$(child_of "$trace_pid")
grep -E '^(Uid|CapEff|CapBnd):' /proc/"${mon:-none}"/status >/out/uid.monitor
trace_stop uid
if [ -n "$mon" ] && [ -d /proc/"$mon" ]; then echo alive; else echo gone; fi >/out/uid.monitor-after
stat -c '%u:%g' /tmp/o/uid.json /tmp/s/uid.prom >/out/uid.owner
cp /tmp/o/uid.json /out/uid.json
rm -f /tmp/o/uid.json /tmp/s/uid.prom
pmutrace -j -d 1 -o /tmp/s/r.json --textfile /tmp/s/m.prom 2>/out/sticky.err
echo $? >/out/sticky.rc
ls -A /tmp/s >/out/sticky.ls
grep -c '^pmutrace_up ' /tmp/s/m.prom >/out/sticky.up
cp /tmp/s/r.json /out/sticky.json
