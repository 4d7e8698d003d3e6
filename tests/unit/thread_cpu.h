/* SPDX-License-Identifier: GPL-2.0 */
/* The CPU time of one thread of this process, by name, for the figures
 * the metrics server's tests print. */
#ifndef THREAD_CPU_H
#define THREAD_CPU_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* CPU seconds the server thread (named pmutrace-http) has used, or -1. */
static inline double server_cpu(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	double cpu = -1;

	while (d && (e = readdir(d))) {
		char path[300], comm[32] = "";
		unsigned long ut, st;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
			 e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
		if (strcmp(comm, "pmutrace-http\n"))
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/stat",
			 e->d_name);
		f = fopen(path, "r");
		/* utime and stime: fields 14 and 15; comm has no space here. */
		if (f &&
		    fscanf(f,
			   "%*d %*s %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			   &ut, &st) == 2)
			cpu = (double)(ut + st) / sysconf(_SC_CLK_TCK);
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return cpu;
}

#endif /* THREAD_CPU_H */
