// SPDX-License-Identifier: GPL-2.0
/*
 * pmutrace-sites: the inline-site table of a kernel, from its vmlinux with
 * DWARF, for `pmutrace --sites FILE`. Runs where the 400 MB debug file is
 * (a build host); the table is a few hundred bytes per function.
 */
#include <stdlib.h>
#include <string.h>
#include <getopt.h>
#include "atomic_file.h"
#include "sites.h"

/* Exit codes: 0 every function has an instance; 1 one has none (it is not
 * inlined in this kernel); 2 usage; 3 bad vmlinux or DWARF; 4 the output. */
static const char usage[] =
	"usage: pmutrace-sites [-o FILE] VMLINUX FUNCTION...\n"
	"Writes the entry and exit sites of every inline instance of each\n"
	"FUNCTION in VMLINUX (a kernel with DWARF, e.g. Debian's\n"
	"/usr/lib/debug/vmlinux-$(uname -r)) as a pmutrace-sites table.\n";

int main(int argc, char **argv)
{
	struct sitetab t = { 0 };
	struct atomic_file out;
	const char *path = NULL;
	struct vmlinux *v;
	char err[512];
	int c, rc = 0;

	while ((c = getopt(argc, argv, "ho:")) != -1) {
		if (c == 'o') {
			path = optarg;
		} else if (c == 'h') {
			fputs(usage, stdout);
			return 0;
		} else {
			return 2; /* getopt said which, in one line */
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr,
			"pmutrace-sites: give a VMLINUX and at least one FUNCTION (-h for help)\n");
		return 2;
	}
	v = vmlinux_open(argv[optind], err, sizeof(err));
	if (!v) {
		fprintf(stderr, "pmutrace-sites: %s\n", err);
		return 3;
	}
	for (int i = optind + 1; i < argc && rc != 3; i++) {
		int n = sites_find(v, argv[i], &t, err, sizeof(err));

		if (n < 0) {
			fprintf(stderr, "pmutrace-sites: %s: %s\n", argv[i],
				err);
			rc = 3;
		} else if (n == 0) {
			fprintf(stderr,
				"pmutrace-sites: %s: no inline instance\n",
				argv[i]);
			rc = 1;
		} else {
			fprintf(stderr, "pmutrace-sites: %s: %d instance%s\n",
				argv[i], n, n == 1 ? "" : "s");
		}
	}
	/* Without a class's pair the tracer says so and does not correct
	 * those sites: a warning, not a failure. */
	c = rc != 3 ? sites_calib(v, &t, err, sizeof(err)) : 0;
	if (c)
		fprintf(stderr, "pmutrace-sites: %s%s\n",
			c < 0 ? "" : "warning: ",
			c < 0 ? "out of memory" : err);
	if (c < 0)
		rc = 3;
	vmlinux_close(v);
	if (rc == 3) {
		sitetab_free(&t);
		return rc;
	}
	c = atomic_file_open(&out, path);
	if (c || sitetab_write(out.f, &t) || atomic_file_close(&out, true)) {
		if (!c)
			atomic_file_close(&out, false);
		fprintf(stderr, "pmutrace-sites: cannot write %s\n",
			path ? path : "stdout");
		rc = 4;
	}
	sitetab_free(&t);
	return rc;
}
