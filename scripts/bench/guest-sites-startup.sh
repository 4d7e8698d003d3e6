# The guest half of scripts/bench/sites-startup.sh: the start-up of two
# tracers (/bin/pmutrace-old, /bin/pmutrace-new) with the same site table,
# three rounds, alternating; PMUTRACE_STEPS=1 times each start-up step.
# shellcheck shell=sh
for i in 1 2 3; do
	for b in old new; do
		PMUTRACE_STEPS=1 "/bin/pmutrace-$b" --sites /bin/sites.txt --no-lock -d 0.1 \
			>/dev/null 2>"/out/$b.$i.err"
		echo $? >"/out/$b.$i.rc"
	done
done
