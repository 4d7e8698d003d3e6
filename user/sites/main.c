// SPDX-License-Identifier: GPL-2.0
/*
 * pmutrace-sites: the inline-site table of a kernel, from its vmlinux with
 * DWARF, for `pmutrace --sites FILE` (or --sites auto, from the cache).
 * Runs where the 400 MB debug file is, or where it can be fetched by
 * build-id (locate.c); the table is a few hundred bytes per function.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <getopt.h>
#include <sys/stat.h>
#include <unistd.h>
#include "atomic_file.h"
#include "locate.h"
#include "pmu_domain.h"
#include "sitedir.h"
#include "sites.h"

/* Exit codes: 0 every function has an instance (without FUNCTIONs: one
 * of the PMU readers does); 1 one has none (it is not inlined in this
 * kernel); 2 usage; 3 bad vmlinux or DWARF; 4 the output; 5 no vmlinux
 * with the build-id (not under the debug root, not from debuginfod). */
enum { EXIT_NO_VMLINUX = 5 };

static const char usage[] =
	"usage: pmutrace-sites [-o FILE | --cache] [VMLINUX] [FUNCTION...]\n"
	"       pmutrace-sites [-o FILE | --cache] --build-id HEX [FUNCTION...]\n"
	"Writes the entry and exit sites of every inline instance of each\n"
	"FUNCTION (default: the PMU readers) as a pmutrace-sites table.\n"
	"VMLINUX is a kernel with DWARF (a path, or a file that exists);\n"
	"without it, the vmlinux of --build-id, or of the running kernel, is\n"
	"looked for under the debug root (.build-id/xx/rest.debug, then\n"
	"boot/vmlinux-*, as Debian's -dbg package installs it), then fetched\n"
	"from debuginfod when DEBUGINFOD_URLS is set.\n"
	"  -o FILE           write the table to FILE (default: stdout)\n"
	"  --cache           write it as BUILDID.sites in $" SITES_DIR_ENV
	" (default " SITES_CACHE_DIR "), where pmutrace --sites auto looks\n"
	"  --build-id HEX    the kernel's GNU build-id\n"
	"  --debug-root DIR  where -dbg packages install (default " DEBUG_ROOT
	")\n"
	"Exit: 0 ok, 1 a FUNCTION is not inlined, 2 usage, 3 bad vmlinux or\n"
	"DWARF, 4 cannot write, 5 no vmlinux with the build-id.\n";

struct args {
	const char *out, *vmlinux, *root;
	bool cache;
	__u8 id[SITETAB_MAX_BUILD_ID];
	int id_len; /* 0: none given */
	const char *const *funcs;
	int nfuncs;
	bool defaults; /* funcs are the PMU readers */
};

static int usage_error(const char *what)
{
	fprintf(stderr, "pmutrace-sites: %s (-h for help)\n", what);
	return 2;
}

static int parse_hex(const char *hex, __u8 *id)
{
	size_t n = strlen(hex);

	if (!n || n % 2 || n / 2 > SITETAB_MAX_BUILD_ID ||
	    strspn(hex, "0123456789abcdefABCDEF") != n)
		return -1;
	for (size_t i = 0; i < n / 2; i++)
		sscanf(hex + 2 * i, "%2hhx", &id[i]);
	return n / 2;
}

/* A path (a slash in it, or a file that exists), not a function name. */
static bool is_path(const char *s)
{
	return strchr(s, '/') || !access(s, F_OK);
}

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option longs[] = {
		{ "cache", no_argument, NULL, 'C' },
		{ "build-id", required_argument, NULL, 'B' },
		{ "debug-root", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	static const char *readers[PMU_NREADERS];
	int c;

	a->root = DEBUG_ROOT;
	while ((c = getopt_long(argc, argv, "ho:", longs, NULL)) != -1) {
		if (c == 'o')
			a->out = optarg;
		else if (c == 'C')
			a->cache = true;
		else if (c == 'R')
			a->root = optarg;
		else if (c == 'B' && (a->id_len = parse_hex(optarg, a->id)) < 0)
			return usage_error(
				"--build-id: give the GNU build-id in hex");
		else if (c == 'h')
			return fputs(usage, stdout), -1;
		else if (c != 'B')
			return 2; /* getopt said which, in one line */
	}
	if (a->out && a->cache)
		return usage_error("-o and --cache both say where to write");
	if (!a->id_len && optind < argc && is_path(argv[optind]))
		a->vmlinux = argv[optind++];
	a->funcs = (const char *const *)argv + optind;
	a->nfuncs = argc - optind;
	if (!a->nfuncs) {
		for (int i = 0; i < PMU_NREADERS; i++)
			readers[i] = pmu_readers[i].name;
		a->funcs = readers;
		a->nfuncs = PMU_NREADERS;
		a->defaults = true;
	}
	return 0;
}

/* The vmlinux to read: given, or found by build-id. */
static int find_vmlinux(struct args *a, char *path, size_t len)
{
	char err[1024];

	if (a->vmlinux) {
		snprintf(path, len, "%s", a->vmlinux);
		return 0;
	}
	if (!a->id_len) {
		a->id_len = kernel_build_id(a->id, sizeof(a->id));
		if (a->id_len < 0) {
			fprintf(stderr,
				"pmutrace-sites: this kernel shows no build-id in %s: give a VMLINUX or --build-id\n",
				SYS_NOTES);
			return EXIT_NO_VMLINUX;
		}
	}
	if (vmlinux_locate(a->root, a->id, a->id_len, path, len, err,
			   sizeof(err))) {
		fprintf(stderr, "pmutrace-sites: %s\n", err);
		return EXIT_NO_VMLINUX;
	}
	fprintf(stderr, "pmutrace-sites: %s\n", path);
	return 0;
}

/* Every function's instances into t: 0, 1 (one has none) or 3. */
static int find_all(struct vmlinux *v, const struct args *a, struct sitetab *t)
{
	int rc = 0, any = 0;
	char err[512];

	for (int i = 0; i < a->nfuncs; i++) {
		int n = sites_find(v, a->funcs[i], t, err, sizeof(err));

		if (n < 0) {
			fprintf(stderr, "pmutrace-sites: %s: %s\n", a->funcs[i],
				err);
			return 3;
		}
		fprintf(stderr, "pmutrace-sites: %s: %d instance%s%s\n",
			a->funcs[i], n, n == 1 ? "" : "s",
			n ? "" : " (not inlined here)");
		any += n > 0;
		if (!n && !a->defaults)
			rc = 1;
	}
	return any ? rc : 1;
}

/* Where the table goes: -o, the cache by its build-id, or stdout. */
static const char *out_path(const struct args *a, const struct sitetab *t,
			    char *buf, size_t len)
{
	char hex[2 * SITETAB_MAX_BUILD_ID + 1];

	if (!a->cache)
		return a->out;
	build_id_hex(t->build_id, t->build_id_len, hex, sizeof(hex));
	if (mkdir(sites_dir(0), 0755) && errno != EEXIST)
		return NULL;
	return sites_table_path(sites_dir(0), hex, buf, len) ? NULL : buf;
}

int main(int argc, char **argv)
{
	char err[512], path[4096], cached[4096];
	struct sitetab t = { 0 };
	struct atomic_file out;
	struct args a = { 0 };
	const char *to;
	struct vmlinux *v;
	int c, rc;

	rc = parse_args(argc, argv, &a);
	if (rc)
		return rc < 0 ? 0 : rc;
	rc = find_vmlinux(&a, path, sizeof(path));
	if (rc)
		return rc;
	v = vmlinux_open(path, err, sizeof(err));
	if (!v) {
		fprintf(stderr, "pmutrace-sites: %s\n", err);
		return 3;
	}
	rc = find_all(v, &a, &t);
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
	to = out_path(&a, &t, cached, sizeof(cached));
	c = a.cache && !to ? -1 : atomic_file_open(&out, to);
	if (c || sitetab_write(out.f, &t) || atomic_file_close(&out, true)) {
		if (!c)
			atomic_file_close(&out, false);
		fprintf(stderr, "pmutrace-sites: cannot write %s\n",
			a.cache ? sites_dir(0) :
			to	? to :
				  "stdout");
		rc = 4;
	} else if (a.cache) {
		fprintf(stderr, "pmutrace-sites: wrote %s\n", to);
	}
	sitetab_free(&t);
	return rc;
}
