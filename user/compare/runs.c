// SPDX-License-Identifier: GPL-2.0
/*
 * compare's inputs: the runs of a side from files and folders, and the
 * refusal of a run given twice. A run is one replicate (one boot): the same
 * file twice, or two documents of one boot and scenario, would be a
 * verdict from fewer boots than it claims (pseudo-replication).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "compare.h"
#include "text.h"

/* Runs of one side must be repeats of one scenario, as the first one. */
int compare_check_repeat(const struct loaded_run *first,
			 const struct loaded_run *r, char *err, size_t errlen)
{
	bool same = !strcmp(first->release, r->release) &&
		    !strcmp(first->label, r->label) &&
		    first->ntargets == r->ntargets &&
		    first->has_lock == r->has_lock &&
		    !strcmp(first->lock_name, r->lock_name);

	for (int i = 0; same && i < r->ntargets; i++)
		same = !strcmp(first->t[i].name, r->t[i].name) &&
		       !strcmp(first->t[i].mode, r->t[i].mode) &&
		       !strcmp(first->t[i].function, r->t[i].function);
	if (same)
		return 0;
	snprintf(
		err, errlen,
		"%s: not a repeat of %s (kernel, label, targets, attach modes or lock differ)",
		r->path, first->path);
	return -1;
}

static int load_one(const char *path, const struct loaded_run **runs, int *n,
		    char *err, size_t errlen)
{
	struct loaded_run *r;

	if (*n == CMP_MAX_RUNS) {
		snprintf(err, errlen, "more than %d runs on a side",
			 CMP_MAX_RUNS);
		return -1;
	}
	r = malloc(sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	runs[(*n)++] = r;
	return load_run(path, r, err, errlen) ||
			       (*n > 1 &&
				compare_check_repeat(runs[0], r, err, errlen)) ?
		       -1 :
		       0;
}

static int json_file(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return d->d_name[0] != '.' && len > 5 &&
	       !strcmp(d->d_name + len - 5, ".json");
}

int compare_each_json(const char *dir, compare_json_fn each, void *arg,
		      char *err, size_t errlen)
{
	struct dirent **names;
	int k = scandir(dir, &names, json_file, alphasort), rc = 0;

	if (k < 0) {
		snprintf(err, errlen, "%s: cannot list: %m", dir);
		return -1;
	}
	if (!k) {
		snprintf(err, errlen, "%s: no *.json file in this folder", dir);
		rc = -1;
	}
	for (int i = 0; i < k; i++) {
		const char *name = names[i]->d_name;
		char *path;

		/* Names reach every output: only clean ones. */
		if (!rc && !text_is_clean(name, strlen(name))) {
			snprintf(
				err, errlen,
				"%s: a file name that is not UTF-8 text without control characters",
				dir);
			rc = -1;
		}
		if (!rc && asprintf(&path, "%s/%s", dir, name) < 0)
			rc = -1;
		else if (!rc)
			rc = each(path, name, arg, err, errlen);
		free(names[i]);
	}
	free(names);
	return rc;
}

struct side {
	const struct loaded_run **runs;
	int *n;
};

static int load_listed(char *path, const char *name, void *arg, char *err,
		       size_t errlen)
{
	struct side *s = arg;

	(void)name;
	return load_one(path, s->runs, s->n, err, errlen);
}

int compare_load_side(char *const *paths, int npaths,
		      const struct loaded_run **runs, int *n, char *err,
		      size_t errlen)
{
	for (int i = 0; i < npaths; i++) {
		struct stat st;
		struct side side = { runs, n };
		int rc = !stat(paths[i], &st) && S_ISDIR(st.st_mode) ?
				 compare_each_json(paths[i], load_listed, &side,
						   err, errlen) :
				 load_one(paths[i], runs, n, err, errlen);

		if (rc)
			return -1;
	}
	if (*n)
		return 0;
	snprintf(err, errlen, "a side names no run");
	return -1;
}

/* FNV-1a of what a run holds, all but its path: the same run re-indented
 * or re-saved is still the same run (load_run zeroes the struct first). */
static unsigned long long run_hash(const struct loaded_run *r)
{
	const unsigned char *p = (const unsigned char *)r + sizeof(r->path);
	unsigned long long h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < sizeof(*r) - sizeof(r->path); i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

/* The boot a run was made in: boot_id= of meta.txt beside it (the report's
 * boot folders), "" when there is none. */
static void boot_of(const char *path, char *id, size_t len)
{
	char meta[4096], line[256];
	const char *slash = strrchr(path, '/');
	FILE *f;

	id[0] = '\0';
	snprintf(meta, sizeof(meta), "%.*s%smeta.txt",
		 slash ? (int)(slash - path + 1) : 0, path, "");
	f = fopen(meta, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "boot_id=", 8)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(id, len, "%s", line + 8);
		}
	fclose(f);
}

int compare_check_duplicates(const struct loaded_run *const *runs, int n,
			     char *err, size_t errlen)
{
	static unsigned long long h[2 * CMP_MAX_RUNS];
	static char boot[2 * CMP_MAX_RUNS][64];
	char a[256], b[256];

	for (int i = 0; i < n; i++) {
		h[i] = run_hash(runs[i]);
		if (runs[i]->boot_id[0])
			snprintf(boot[i], sizeof(boot[i]), "%s",
				 runs[i]->boot_id);
		else
			boot_of(runs[i]->path, boot[i], sizeof(boot[i]));
		for (int j = 0; j < i; j++) {
			const char *why = NULL;
			/* Under the instruction-driven clock two boots can give
			 * identical figures: identical content is one run only
			 * when the two boots are not both known and different. */
			int two_boots = boot[i][0] && boot[j][0] &&
					strcmp(boot[i], boot[j]);

			if (!two_boots && h[i] == h[j] &&
			    !memcmp(runs[i]->release, runs[j]->release,
				    sizeof(*runs[i]) - sizeof(runs[i]->path)))
				why = "the same content";
			else if (boot[i][0] && !strcmp(boot[i], boot[j]) &&
				 !strcmp(runs[i]->label, runs[j]->label))
				why = "the same boot (kernel.boot_id, or meta.txt's) and label";
			if (!why)
				continue;
			text_escape(a, sizeof(a), runs[j]->path);
			text_escape(b, sizeof(b), runs[i]->path);
			snprintf(
				err, errlen,
				"%s and %s are one run given twice (%s): each run must be its own boot",
				a, b, why);
			return -1;
		}
	}
	return 0;
}
