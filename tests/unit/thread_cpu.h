/* SPDX-License-Identifier: GPL-2.0 */
/* The CPU time of threads by name, for the figures and checks of the
 * metrics server's tests. */
#ifndef THREAD_CPU_H
#define THREAD_CPU_H

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* CPU seconds used by the threads named name of process pid (0: this
 * one), summed; -1 when there is none. */
static inline double thread_cpu(int pid, const char *name)
{
	char dir[64], path[320], comm[32];
	DIR *d;
	struct dirent *e;
	double cpu = -1;

	if (pid)
		snprintf(dir, sizeof(dir), "/proc/%d/task", pid);
	else
		snprintf(dir, sizeof(dir), "/proc/self/task");
	d = opendir(dir);
	while (d && (e = readdir(d))) {
		unsigned long ut, st;
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s/comm", dir, e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
		comm[strcspn(comm, "\n")] = '\0';
		if (strcmp(comm, name))
			continue;
		snprintf(path, sizeof(path), "%s/%s/stat", dir, e->d_name);
		f = fopen(path, "r");
		/* utime and stime: fields 14 and 15; comm has no space here. */
		if (f &&
		    fscanf(f,
			   "%*d %*s %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			   &ut, &st) == 2)
			cpu = (cpu < 0 ? 0 : cpu) +
			      (double)(ut + st) / sysconf(_SC_CLK_TCK);
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return cpu;
}

/* The metrics server thread's. */
static inline double server_cpu(void)
{
	return thread_cpu(0, "pmutrace-http");
}

#endif /* THREAD_CPU_H */
