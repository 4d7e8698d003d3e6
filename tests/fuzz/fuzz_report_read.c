// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for what `pmutrace compare` does with an untrusted
 * pmutrace/1 document: load_run() reads it from a path (here a memfd named
 * through /proc/self/fd), then it is compared with itself as compare_build()
 * does for one run a side (a 10-resample bootstrap within the run) and for
 * four runs a side (the rank test over runs), and each comparison is
 * rendered in all four formats to /dev/null. None of it may crash, leak or
 * hit undefined behaviour.
 *
 *   make fuzz [FUZZ_SECONDS=60]      (see tests/fuzz/README.md)
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "compare.h"
#include "text.h"

static int memfd = -1;
static char memfd_path[64];
static FILE *devnull;

static int setup(void)
{
	memfd = memfd_create("pmutrace-fuzz", MFD_CLOEXEC);
	if (memfd < 0)
		return -1;
	snprintf(memfd_path, sizeof(memfd_path), "/proc/self/fd/%d", memfd);
	devnull = fopen("/dev/null", "w");
	return devnull ? 0 : -1;
}

/* The document's bytes, in the file that load_run() opens. */
static int put_input(const uint8_t *data, size_t size)
{
	size_t done = 0;

	if (ftruncate(memfd, 0) || lseek(memfd, 0, SEEK_SET))
		return -1;
	while (done < size) {
		ssize_t n = write(memfd, data + done, size - done);

		if (n <= 0)
			return -1;
		done += n;
	}
	return 0;
}

/*
 * What the reader promises of a document it accepts: the buckets hold
 * exactly count samples (no wrap-around), min <= max, at most
 * PMUTRACE_MAX_TARGETS targets. A broken promise aborts, as a crash would.
 */
static void check_hist(const struct loaded_hist *h)
{
	unsigned __int128 total = 0;

	for (__u32 i = 0; i < HIST_BUCKETS; i++)
		total += h->h.slots[i];
	if (total != h->count || (h->count && h->min > h->max))
		abort();
}

/* Every string it accepts is valid UTF-8 without control characters. */
static void check_text(const char *s)
{
	if (!text_is_clean(s, strlen(s)))
		abort();
}

static void check_run(const struct loaded_run *r)
{
	if (r->ntargets < 0 || r->ntargets > PMUTRACE_MAX_TARGETS)
		abort();
	for (int i = 0; i < r->ntargets; i++) {
		check_hist(&r->t[i].lat);
		check_text(r->t[i].name);
		check_text(r->t[i].mode);
		check_text(r->t[i].function);
	}
	check_hist(&r->wait);
	check_text(r->release);
	check_text(r->machine);
	check_text(r->label);
	check_text(r->patch_side);
	check_text(r->lock_name);
}

/* Figures of a comparison: never NaN; lo <= hi; a verdict has an interval. */
static void check_cmp(const struct hist_cmp *h)
{
	for (int s = 0; s < h->nstats; s++) {
		const struct stat_cmp *st = &h->s[s];

		if (isnan(st->before) || isnan(st->after) || isnan(st->ratio) ||
		    isnan(st->lo) || isnan(st->hi) || isnan(st->p) ||
		    st->lo > st->hi || (st->verdict && st->lo < 0))
			abort();
		for (int i = 0; i < st->nb; i++)
			if (isnan(st->vb[i]) || st->vb[i] < 0)
				abort();
	}
}

static struct family fam;

/* The run against itself, k copies a side, as the command line does. */
static void compare_with_itself(struct comparison *c,
				const struct loaded_run *r, int k)
{
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < k; i++)
		c->before[i] = c->after[i] = r;
	c->nb = c->na = k;
	c->resamples = 10;
	c->seed = 1;
	if (compare_build(c))
		return;
	for (int i = 0; i < c->n; i++) {
		check_cmp(&c->h[i]);
		/* The same runs on both sides never differ. */
		for (int s = 0; s < c->h[i].nstats; s++)
			if (c->h[i].s[s].verdict == VERDICT_LOWER ||
			    c->h[i].s[s].verdict == VERDICT_HIGHER)
				abort();
	}
	fam.n = 0;
	fam.name = "fuzz";
	family_add_comparison(&fam, c);
	family_adjust(&fam);
	for (int f = FMT_TEXT; f <= FMT_JSON; f++)
		render_comparison(devnull, c, &fam, f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct loaded_run run;
	static struct comparison c;
	char err[512];

	if (memfd < 0 && setup())
		abort();
	if (put_input(data, size))
		abort();
	memset(err, 'X', sizeof(err));
	if (load_run(memfd_path, &run, err, sizeof(err))) {
		/* A refusal must come with its reason, terminated. */
		if (!memchr(err, '\0', sizeof(err)))
			abort();
		return 0;
	}
	check_run(&run);
	compare_with_itself(&c, &run, 1);
	compare_with_itself(&c, &run, 4);
	return 0;
}
