// SPDX-License-Identifier: GPL-2.0
/* The one-line error every command ends a failure with; start-up steps. */
#include <stdarg.h>
#include <stdlib.h>
#include "pmutrace_user.h"

int report_error(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pmutrace: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

/* VmHWM of this process, -1 when /proc does not say. */
static long peak_rss_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/*
 * PMUTRACE_STEPS=1: the time since the first step and the peak RSS at each
 * start-up step, on stderr (docs/performance.md breaks start-up down with it).
 */
void startup_step(const char *what)
{
	static int on = -1;
	static __u64 t0;
	__u64 now;

	if (on < 0) {
		const char *e = getenv("PMUTRACE_STEPS");

		on = e && *e == '1';
		t0 = monotonic_ns();
	}
	if (!on)
		return;
	now = monotonic_ns();
	fprintf(stderr, "pmutrace: step %.1f ms, peak RSS %ld kB: %s\n",
		(double)(now - t0) / 1e6, peak_rss_kb(), what);
}
