// SPDX-License-Identifier: GPL-2.0
/*
 * The pmutrace/1 reader's limits: the largest document pmutrace writes
 * loads, and what no writer produces is refused with one reason: too big,
 * too many values, too deep, integers json-c would clamp, NaN, Infinity,
 * trailing garbage, NUL, invalid UTF-8, control characters, long names,
 * and a sum, min or max that the buckets cannot hold.
 */
#include <stdlib.h>
#include <unistd.h>
#include "schema.h"
#include "unit.h"

static char path[] = "/tmp/pmutrace-schema-XXXXXX";

static int load_bytes(const char *text, size_t len, char *err, size_t elen)
{
	static struct loaded_run run;
	FILE *f = fopen(path, "w");

	fwrite(text, 1, len, f);
	fclose(f);
	err[0] = '\0';
	return load_run(path, &run, err, elen);
}

static int load_text(const char *text, char *err, size_t elen)
{
	return load_bytes(text, strlen(text), err, elen);
}

/* The largest document: every target, bucket and errno, the longest
 * names, the lock with --hold; counts of 1000 so the sums stay exact. */
static void largest(void)
{
	static struct run_result r;
	static char label[NAME_LEN], err[512];
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	memset(r.release, 'r', NAME_LEN - 1);
	memset(r.machine, 'm', sizeof(r.machine) - 1);
	memset(label, 'l', NAME_LEN - 1);
	r.label = label;
	r.ntargets = PMUTRACE_MAX_TARGETS;
	for (int i = 0; i < r.ntargets; i++) {
		struct target *t = &r.targets[i];
		struct target_stats *s = &r.res[i].s;

		memset(t->name, 'a' + i, NAME_LEN - 1);
		memset(t->function, 'f', NAME_LEN - 1);
		memset(t->filter, 'x', NAME_LEN - 1);
		memset(t->reason, 'y', sizeof(t->reason) - 1);
		t->mode = ATTACH_CALLER;
		t->ret_kind = RET_INT32;
		t->ret_type = "int";
		for (__u32 b = 0; b < HIST_BUCKETS; b++) {
			s->latency.slots[b] = 1000;
			s->sum_ns += 1000 * hist_bucket_low(b);
		}
		s->count = s->timed = 1000ULL * HIST_BUCKETS;
		s->max_ns = hist_bucket_low(HIST_BUCKETS - 1);
		for (int e = 1; e <= PMUTRACE_MAX_ERRNO; e++)
			s->ret_errno[e] = 1000;
	}
	r.lock.traced = r.lock.hold = true;
	memset(r.lock.name, 'k', NAME_LEN - 1);
	r.lock_stats.wait = r.res[0].s.latency;
	r.lock_stats.contended = r.res[0].s.count;
	r.lock_stats.wait_sum_ns = r.res[0].s.sum_ns;
	r.lock_stats.wait_max_ns = r.res[0].s.max_ns;
	r.lock_stats.hold = r.lock_stats.wait;
	r.lock_stats.held = r.lock_stats.contended;
	write_json(f, &r);
	fclose(f);
	CHECK(len > 600000, "the largest document is %zu bytes", len);
	CHECK(load_bytes(buf, len, err, sizeof(err)) == 0,
	      "the largest document pmutrace writes loads: %s", err);
	free(buf);
}

/* A document of n copies of item inside [ ], for the size limits. */
static char *repeat(const char *item, size_t n, size_t *len)
{
	size_t l = strlen(item);
	char *s = malloc(n * (l + 1) + 3), *p = s;

	*p++ = '[';
	for (size_t i = 0; i < n; i++) {
		memcpy(p, item, l);
		p += l;
		*p++ = i + 1 < n ? ',' : ']';
	}
	*len = p - s;
	return s;
}

static void limits(void)
{
	static const struct {
		const char *what, *item;
		size_t n;
		bool loads_as_json;
	} cases[] = {
		{ "24,000 empty objects", "{}", 24000, true },
		{ "24,001 empty objects", "{}", 24001, false },
		{ "99,999 numbers", "1", 99999, true },
		{ "100,000 numbers", "1", 100000, false },
	};
	char err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len;
		char *s = repeat(cases[i].item, cases[i].n, &len);

		CHECK(load_bytes(s, len, err, sizeof(err)) == -1 &&
			      !strstr(err, "size") == cases[i].loads_as_json,
		      "%s: %s", cases[i].what, err);
		free(s);
	}
	{
		size_t len = (4 << 20) + 1;
		char *s = malloc(len);

		memset(s, ' ', len);
		s[0] = '{';
		s[len - 1] = '}';
		CHECK(load_bytes(s, len, err, sizeof(err)) == -1 &&
			      strstr(err, "larger than 4 MiB"),
		      "4 MiB and a byte: %s", err);
		free(s);
	}
}

#define HEAD                                                        \
	"{\"schema\":\"pmutrace/1\",\"kernel\":{\"release\":\"r\"," \
	"\"machine\":\"m\"},\"locks\":[],"
#define TARGET(name, hist)                                                     \
	"\"targets\":[{\"name\":\"" name "\",\"attach\":{\"mode\":\"direct\"," \
	"\"function\":\"f\"},\"count\":2,\"errors\":0,\"latency_ns\":" hist    \
	"}]"
#define HIST(count, min, max, sum)                                          \
	"{\"count\":" count ",\"min\":" min ",\"max\":" max ",\"sum\":" sum \
	",\"buckets\":[{\"low\":16,\"high\":16,\"count\":1},"               \
	"{\"low\":17,\"high\":17,\"count\":1}]}"
#define GOOD_HIST HIST("2", "16", "17", "33")
#define DOC(extra, name, hist) HEAD extra TARGET(name, hist) "}"

static void refusals(void)
{
	static const struct {
		const char *what, *text, *says;
	} cases[] = {
		{ "17 levels deep", "[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]",
		  "nesting too deep" },
		{ "2^64", DOC("\"x\":18446744073709551616,", "f", GOOD_HIST),
		  "beyond 64 bits" },
		{ "a count of 2^64",
		  DOC("", "f", HIST("18446744073709551616", "16", "17", "33")),
		  "beyond 64 bits" },
		{ "-2^63-1", DOC("\"x\":-9223372036854775809,", "f", GOOD_HIST),
		  "beyond 64 bits" },
		{ "NaN", DOC("\"duration_s\":NaN,", "f", GOOD_HIST),
		  "NaN or infinite" },
		{ "Infinity", DOC("\"duration_s\":Infinity,", "f", GOOD_HIST),
		  "NaN or infinite" },
		{ "-Infinity", DOC("\"duration_s\":-Infinity,", "f", GOOD_HIST),
		  "NaN or infinite" },
		{ "1e400", DOC("\"duration_s\":1e400,", "f", GOOD_HIST),
		  "NaN or infinite" },
		{ "trailing garbage", DOC("", "f", GOOD_HIST) " x",
		  "not JSON" },
		{ "a second document", DOC("", "f", GOOD_HIST) "{}",
		  "not JSON" },
		{ "a trailing comma", DOC("\"x\":[1,],", "f", GOOD_HIST),
		  "not JSON" },
		{ "invalid UTF-8 in a label",
		  DOC("\"label\":\"a\xff\",", "f", GOOD_HIST), "utf-8" },
		{ "a truncated UTF-8 sequence in a name",
		  DOC("", "f\xc3", GOOD_HIST), "utf-8" },
		{ "ESC in a label",
		  DOC("\"label\":\"\\u001b[31m\",", "f", GOOD_HIST),
		  "control characters" },
		{ "a newline in a name", DOC("", "f\\nwarning: x", GOOD_HIST),
		  "control characters" },
		{ "NUL escaped in a name", DOC("", "f\\u0000g", GOOD_HIST),
		  "control characters" },
		{ "C1 control in a name", DOC("", "f\\u009b", GOOD_HIST),
		  "control characters" },
		{ "a name of 128 bytes",
		  DOC("",
		      "0123456789012345678901234567890123456789012345678901234567890123"
		      "0123456789012345678901234567890123456789012345678901234567890123",
		      GOOD_HIST),
		  "longer than 127" },
		{ "sum below the buckets",
		  DOC("", "f", HIST("2", "16", "17", "32")), "sum 32" },
		{ "sum above the buckets",
		  DOC("", "f", HIST("2", "16", "17", "34")), "sum 34" },
		{ "min below the buckets",
		  DOC("", "f", HIST("2", "3", "17", "33")), "min or max" },
		{ "max above the buckets",
		  DOC("", "f", HIST("2", "16", "900", "33")), "min or max" },
	};
	char err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(load_text(cases[i].text, err, sizeof(err)) == -1 &&
			      strstr(err, cases[i].says) && strstr(err, path) &&
			      !strchr(err, '\n'),
		      "%s: got '%s'", cases[i].what, err);
	CHECK(load_bytes(DOC("", "f", GOOD_HIST) "\0",
			 sizeof(DOC("", "f", GOOD_HIST)), err,
			 sizeof(err)) == -1 &&
		      strstr(err, "NUL byte"),
	      "a NUL byte after the document: %s", err);
	CHECK(load_text(DOC("\"label\":\"caf\xc3\xa9 \xe2\x9c\x93\",", "f",
			    GOOD_HIST) "\n",
			err, sizeof(err)) == 0,
	      "UTF-8 names and labels load: %s", err);
}

/* pmutrace/1 and /2 (which adds "attribution") load, other versions not. */
static void versions(void)
{
	static const char doc2[] =
		"{\"schema\":\"pmutrace/2\",\"kernel\":{\"release\":\"r\","
		"\"machine\":\"m\"},\"locks\":[],\"attribution\":{\"by\":"
		"\"process\",\"rows\":[{\"id\":1,\"count\":2}]}," TARGET(
			"f", GOOD_HIST) "}";
	static const char doc3[] =
		"{\"schema\":\"pmutrace/3\",\"kernel\":{\"release\":\"r\","
		"\"machine\":\"m\"},\"locks\":[]," TARGET("f", GOOD_HIST) "}";
	char err[512];

	CHECK(load_text(DOC("", "f", GOOD_HIST), err, sizeof(err)) == 0,
	      "pmutrace/1 loads: %s", err);
	CHECK(load_text(doc2, err, sizeof(err)) == 0,
	      "pmutrace/2 with attribution loads: %s", err);
	CHECK(load_text(doc3, err, sizeof(err)) == -1 &&
		      strstr(err, "pmutrace/1 and pmutrace/2"),
	      "pmutrace/3 is refused: %s", err);
}

static void fixtures(void)
{
	static const char *const names[] = {
		"tests/fixtures/sid-default.json",
		"tests/fixtures/sid-generic.json",
		"tests/fixtures/trixie-default.json"
	};
	static struct loaded_run run;
	char err[512];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		CHECK(load_run(names[i], &run, err, sizeof(err)) == 0,
		      "%s loads: %s", names[i], err);
}

int main(void)
{
	int fd = mkstemp(path);

	close(fd);
	fixtures();
	largest();
	limits();
	refusals();
	versions();
	unlink(path);
	UNIT_EXIT();
}
