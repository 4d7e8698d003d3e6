// SPDX-License-Identifier: GPL-2.0
/* The one-line error every command ends a failure with; start-up steps. */
#include <stdarg.h>
#include <stdlib.h>
#include "pmutrace_user.h"
#include "text.h"

/* A message on stderr as one line: whatever it quotes (a file name, an
 * option's value, a symbol) shows ESC, BEL or a newline only as \xNN. */
void error_line(const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fputs("pmutrace: ", stderr);
	text_put_term(stderr, msg);
}

int report_error(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_line(fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

/* This process's VmRSS and VmHWM (peak), -1 where /proc does not say. */
static void rss_kb(long *now, long *peak)
{
	char line[128];
	FILE *f = fopen("/proc/self/status", "r");

	*now = *peak = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", peak) != 1)
			sscanf(line, "VmRSS: %ld kB", now);
	if (f)
		fclose(f);
}

/*
 * PMUTRACE_STEPS=1: the time since the first step, the RSS and its peak at each
 * start-up step, on stderr (docs/performance.md breaks start-up down with it).
 */
void startup_step(const char *what)
{
	static int on = -1;
	static __u64 t0;
	long rss, peak;
	__u64 now;

	if (on < 0) {
		const char *e = getenv("PMUTRACE_STEPS");

		on = e && *e == '1';
		t0 = monotonic_ns();
	}
	if (!on)
		return;
	now = monotonic_ns();
	rss_kb(&rss, &peak);
	fprintf(stderr, "pmutrace: step %.1f ms, RSS %ld kB, peak %ld kB: %s\n",
		(double)(now - t0) / 1e6, rss, peak, what);
}
