// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for what `pmutrace compare` does with an untrusted
 * pmutrace/1 document: load_run() reads it from a path (here a memfd named
 * through /proc/self/fd), then the document is merged with itself as a
 * repeat would be, every histogram is compared with itself (a 10-resample
 * bootstrap) and the comparison is rendered in all four formats to
 * /dev/null. None of it may crash, leak or hit undefined behaviour.
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

/* A run merged with itself holds exactly twice its figures, or is refused. */
static void check_doubled(const struct loaded_run *two,
			  const struct loaded_run *one)
{
#define TWICE(f) ((unsigned __int128)two->f != 2 * (unsigned __int128)one->f)
	for (int i = 0; i < one->ntargets; i++)
		if (TWICE(t[i].count) || TWICE(t[i].errors) ||
		    TWICE(t[i].lock_acquired) || TWICE(t[i].lat.count) ||
		    TWICE(t[i].lat.sum))
			abort();
	if (TWICE(contended) || TWICE(wait.count) || TWICE(wait.sum))
		abort();
#undef TWICE
}

/* Figures of a comparison: a ratio or -1, never NaN; lo <= hi. */
static void check_cmp(const struct hist_cmp *h)
{
	for (int s = 0; s < CMP_STATS; s++) {
		const struct stat_cmp *st = &h->s[s];

		if (isnan(st->before) || isnan(st->after) || isnan(st->ratio) ||
		    isnan(st->lo) || isnan(st->hi) || st->lo > st->hi)
			abort();
	}
}

/* What build_comparison() in compare.c does for a run against itself. */
static void compare_with_itself(struct comparison *c,
				const struct loaded_run *r)
{
	memset(c, 0, sizeof(*c));
	c->before = c->after = r;
	c->resamples = 10;
	c->seed = 1;
	c->lock_per_call = true;
	for (int i = 0; i < r->ntargets; i++) {
		const struct loaded_target *t = &r->t[i];
		struct hist_cmp *h = &c->h[c->n];

		if (!strcmp(t->mode, "absent"))
			continue;
		snprintf(h->name, sizeof(h->name), "%s", t->name);
		h->before = h->after = &t->lat;
		c->lock_per_call &= t->has_lock;
		c->per_call_before[c->n] = c->per_call_after[c->n] =
			t->count ? (double)t->lock_acquired / t->count : -1;
		c->n++;
	}
	c->ntargets = c->n;
	if (r->has_lock) {
		struct hist_cmp *h = &c->h[c->n++];

		snprintf(h->name, sizeof(h->name), "%s wait", r->lock_name);
		h->before = h->after = &r->wait;
	}
	for (int i = 0; i < c->n; i++) {
		compare_hists(&c->h[i], c->resamples, c->seed);
		check_cmp(&c->h[i]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct loaded_run run, again;
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
	if (run.ntargets > 0) {
		/* The first target's latency against itself. */
		struct hist_cmp h = { .before = &run.t[0].lat,
				      .after = &run.t[0].lat };

		compare_hists(&h, 10, 1);
		check_cmp(&h);
	}
	compare_with_itself(&c, &run);
	for (int f = FMT_TEXT; f <= FMT_JSON; f++)
		render_comparison(devnull, &c, f);
	/* A document is a repeat of itself, unless its sums would overflow. */
	again = run;
	memset(err, 'X', sizeof(err));
	if (merge_run(&again, &run, err, sizeof(err))) {
		if (!memchr(err, '\0', sizeof(err)))
			abort();
		return 0;
	}
	check_run(&again);
	check_doubled(&again, &run);
	compare_with_itself(&c, &again);
	for (int f = FMT_TEXT; f <= FMT_JSON; f++)
		render_comparison(devnull, &c, f);
	return 0;
}
