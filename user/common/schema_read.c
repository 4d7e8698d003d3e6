// SPDX-License-Identifier: GPL-2.0
/*
 * Reading a pmutrace/1 or /2 document back, for compare. Input is untrusted: every
 * field is checked for presence, type and range, and the first problem is
 * reported as one line naming the file and the field.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "schema.h"
#include "text.h"

/*
 * Limits, so that json-c's memory is bounded by what a real document needs
 * (it takes about 800 bytes per empty object: 17 GB for a 63 MB file of
 * {}). The largest document pmutrace can write (8 targets with every bucket
 * and errno, the lock with --hold, 127-byte names) is 784 KB with 25,102
 * values, 5,986 of them objects, at depth 7; a real one is 7-80 KB.
 * MAX_DOC leaves room for 5 times that (a re-indented copy), the others for
 * 4 times as many values and objects: json-c then stays under about 25 MB.
 */
#define MAX_DOC (4 << 20)
#define MAX_VALUES 100000
#define MAX_OBJECTS 24000
#define MAX_DEPTH 16

struct reader {
	const char *path;
	char *err;
	size_t errlen;
	bool failed;
};

static void __attribute__((format(printf, 3, 4)))
bad(struct reader *rd, const char *where, const char *fmt, ...)
{
	char raw[1024];
	va_list ap;
	size_t n;

	if (rd->failed)
		return;
	rd->failed = true;
	n = snprintf(raw, sizeof(raw), "%s: %s: ", rd->path, where);
	if (n < sizeof(raw)) {
		va_start(ap, fmt);
		vsnprintf(raw + n, sizeof(raw) - n, fmt, ap);
		va_end(ap);
	}
	/* Values from the document (a schema, a name) reach a terminal:
	 * ESC or BEL only as \xNN. */
	text_escape(rd->err, rd->errlen, raw);
}

static struct json_object *field(struct reader *rd, struct json_object *o,
				 const char *where, const char *key,
				 enum json_type type, bool nullable)
{
	struct json_object *v = NULL;
	char path[256];

	snprintf(path, sizeof(path), "%s.%s", where, key);
	if (rd->failed)
		return NULL;
	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v)) {
		bad(rd, path, "missing");
		return NULL;
	}
	if (!v && nullable)
		return NULL;
	if (!json_object_is_type(v, type) &&
	    !(type == json_type_double &&
	      json_object_is_type(v, json_type_int))) {
		bad(rd, path, "should be %s, is %s", json_type_to_name(type),
		    json_type_to_name(json_object_get_type(v)));
		return NULL;
	}
	return v;
}

static __u64 u64_field(struct reader *rd, struct json_object *o,
		       const char *where, const char *key, bool nullable)
{
	struct json_object *v =
		field(rd, o, where, key, json_type_int, nullable);

	if (!v)
		return 0;
	if (json_object_get_int64(v) < 0 && json_object_get_uint64(v) == 0) {
		bad(rd, where, "%s is negative", key);
		return 0;
	}
	return json_object_get_uint64(v);
}

/* Names and labels go into every output: whole, valid UTF-8, no control
 * characters, or the document is refused. */
static void str_field(struct reader *rd, struct json_object *o,
		      const char *where, const char *key, char *buf, size_t len,
		      bool nullable)
{
	struct json_object *v =
		field(rd, o, where, key, json_type_string, nullable);
	size_t n;

	buf[0] = '\0';
	if (!v)
		return;
	n = json_object_get_string_len(v);
	if (n >= len) {
		bad(rd, where, "%s is longer than %zu bytes", key, len - 1);
		return;
	}
	if (!text_is_clean(json_object_get_string(v), n)) {
		bad(rd, where,
		    "%s is not UTF-8 text without control characters", key);
		return;
	}
	memcpy(buf, json_object_get_string(v), n);
	buf[n] = '\0';
}

/*
 * Before json-c sees the text: the number of values (at most 1 + commas +
 * brackets and braces) is bounded here, NUL bytes are refused, and so are
 * integers beyond 64 bits, which json-c silently clamps to the limits.
 */
static void prescan(struct reader *rd, const char *text, size_t len)
{
	bool in_string = false, escaped = false;
	size_t values = 1, objects = 0;

	for (size_t i = 0; i < len && !rd->failed; i++) {
		char c = text[i];
		size_t j = i;
		bool integer = true;

		if (!c) {
			bad(rd, "not JSON", "NUL byte at byte %zu", i);
		} else if (in_string) {
			in_string = escaped || c != '"';
			escaped = !escaped && c == '\\';
		} else if (c == '"') {
			in_string = true;
		} else if (c == '{' || c == '[' || c == ',') {
			values++;
			objects += c == '{';
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			for (; j < len && text[j] &&
			       strchr("0123456789+-.eE", text[j]);
			     j++)
				integer &= !strchr(".eE", text[j]);
			errno = 0;
			if (integer && c == '-')
				strtoll(text + i, NULL, 10);
			else if (integer)
				strtoull(text + i, NULL, 10);
			if (integer && errno == ERANGE)
				bad(rd, "not JSON",
				    "integer at byte %zu is beyond 64 bits", i);
			i = j - 1;
		}
	}
	if (!rd->failed && (values > MAX_VALUES || objects > MAX_OBJECTS))
		bad(rd, "size", "more than %d values or %d objects", MAX_VALUES,
		    MAX_OBJECTS);
}

/* NaN, Infinity and numbers that overflow a double, anywhere. */
static void check_finite(struct reader *rd, struct json_object *o)
{
	if (rd->failed)
		return;
	if (json_object_is_type(o, json_type_double) &&
	    !isfinite(json_object_get_double(o))) {
		bad(rd, "not JSON", "a number is NaN or infinite");
	} else if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++)
			check_finite(rd, json_object_array_get_idx(o, i));
	} else if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, key, v)
		{
			(void)key;
			check_finite(rd, v);
		}
	}
}

static void read_hist(struct reader *rd, struct json_object *o,
		      const char *where, struct loaded_hist *h)
{
	unsigned __int128 sum_lo = 0, sum_hi = 0;
	__u32 first = HIST_BUCKETS, last = 0;
	struct json_object *b;
	bool open_ended = false;
	__u64 total = 0;

	memset(h, 0, sizeof(*h));
	h->count = u64_field(rd, o, where, "count", false);
	h->min = u64_field(rd, o, where, "min", true);
	h->max = u64_field(rd, o, where, "max", true);
	h->sum = u64_field(rd, o, where, "sum", false);
	b = field(rd, o, where, "buckets", json_type_array, false);
	for (size_t i = 0; b && i < json_object_array_length(b); i++) {
		struct json_object *e = json_object_array_get_idx(b, i);
		char at[200];
		__u64 low, high, n;
		__u32 idx;

		snprintf(at, sizeof(at), "%s.buckets[%zu]", where, i);
		low = u64_field(rd, e, at, "low", false);
		high = u64_field(rd, e, at, "high", true);
		n = u64_field(rd, e, at, "count", false);
		if (rd->failed)
			return;
		idx = hist_bucket(low);
		if (hist_bucket_low(idx) != low ||
		    (idx + 1 < HIST_BUCKETS &&
		     high != hist_bucket_low(idx + 1) - 1)) {
			bad(rd, at, "%llu..%llu is not a pmutrace bucket",
			    (unsigned long long)low, (unsigned long long)high);
			return;
		}
		if (h->h.slots[idx]) {
			bad(rd, at, "bucket %llu listed twice",
			    (unsigned long long)low);
			return;
		}
		if (__builtin_add_overflow(total, n, &total)) {
			bad(rd, at, "bucket counts add up to more than 2^64");
			return;
		}
		h->h.slots[idx] = n;
		if (!n)
			continue;
		first = idx < first ? idx : first;
		last = idx > last ? idx : last;
		sum_lo += (unsigned __int128)n * low;
		sum_hi += (unsigned __int128)n * high;
		open_ended |= idx + 1 == HIST_BUCKETS;
	}
	if (rd->failed)
		return;
	if (total != h->count)
		bad(rd, where, "buckets hold %llu samples, count says %llu",
		    (unsigned long long)total, (unsigned long long)h->count);
	else if (h->count && h->min > h->max)
		bad(rd, where, "min is above max");
	else if (h->sum < sum_lo || (!open_ended && h->sum > sum_hi))
		bad(rd, where, "sum %llu is not what the buckets hold",
		    (unsigned long long)h->sum);
	else if (h->count &&
		 (hist_bucket(h->min) != first || hist_bucket(h->max) != last))
		bad(rd, where, "min or max is outside the buckets");
}

static void read_target(struct reader *rd, struct json_object *o, int i,
			struct loaded_target *t)
{
	struct json_object *a, *lat, *lock = NULL, *m = NULL;
	char where[64];

	snprintf(where, sizeof(where), "targets[%d]", i);
	str_field(rd, o, where, "name", t->name, sizeof(t->name), false);
	a = field(rd, o, where, "attach", json_type_object, false);
	str_field(rd, a, "attach", "mode", t->mode, sizeof(t->mode), false);
	str_field(rd, a, "attach", "function", t->function, sizeof(t->function),
		  true);
	t->count = u64_field(rd, o, where, "count", false);
	t->errors = u64_field(rd, o, where, "errors", false);
	lat = field(rd, o, where, "latency_ns", json_type_object, false);
	if (lat)
		read_hist(rd, lat, where, &t->lat);
	/* Optional for compare: older documents lack it. */
	if (!rd->failed && json_object_object_get_ex(o, "missed", &m) && m) {
		t->has_missed = true;
		t->missed_entry = u64_field(rd, m, where, "entry", false);
		t->missed_exit = u64_field(rd, m, where, "exit", false);
	}
	if (!rd->failed && json_object_object_get_ex(o, "lock", &lock) &&
	    lock) {
		t->has_lock = true;
		t->lock_acquired =
			u64_field(rd, lock, where, "acquired", false);
	}
}

static char *read_file(const char *path, struct reader *rd, size_t *size)
{
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap + 1), *more;
	FILE *f = fopen(path, "r");

	if (!f || !buf) {
		bad(rd, "open", "%s", strerror(errno));
		goto fail;
	}
	for (;;) {
		size_t n = fread(buf + len, 1, cap - len, f);

		len += n;
		if (len < cap)
			break;
		if (cap > MAX_DOC) {
			bad(rd, "size", "larger than %d MiB", MAX_DOC >> 20);
			goto fail;
		}
		cap = cap * 2 > MAX_DOC ? MAX_DOC + 1 : cap * 2;
		more = realloc(buf, cap + 1);
		if (!more) {
			bad(rd, "read", "out of memory");
			goto fail;
		}
		buf = more;
	}
	if (ferror(f)) {
		bad(rd, "read", "%s", strerror(errno));
		goto fail;
	}
	fclose(f);
	buf[len] = '\0';
	*size = len;
	return buf;
fail:
	if (f)
		fclose(f);
	free(buf);
	return NULL;
}

int load_run(const char *path, struct loaded_run *run, char *err, size_t errlen)
{
	struct reader rd = { .path = path, .err = err, .errlen = errlen };
	struct json_object *doc = NULL, *k, *t, *l, *schema;
	enum json_tokener_error jerr = json_tokener_success;
	struct json_tokener *tok = NULL;
	size_t len = 0;
	char *text;

	memset(run, 0, sizeof(*run));
	run->path = path;
	text = read_file(path, &rd, &len);
	if (!text)
		return -1;
	prescan(&rd, text, len);
	if (rd.failed)
		goto out;
	/* Strict: standard JSON only, nothing after the document; UTF-8. */
	tok = json_tokener_new_ex(MAX_DEPTH);
	if (tok) {
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
						    JSON_TOKENER_VALIDATE_UTF8);
		doc = json_tokener_parse_ex(tok, text, len);
		jerr = json_tokener_get_error(tok);
		if (doc && jerr == json_tokener_success &&
		    json_tokener_get_parse_end(tok) < len)
			jerr = json_tokener_error_parse_unexpected;
	}
	if (!doc || jerr != json_tokener_success) {
		bad(&rd, "not JSON", "%s at byte %zu",
		    tok ? json_tokener_error_desc(jerr) : "out of memory",
		    tok ? json_tokener_get_parse_end(tok) : 0);
		goto out;
	}
	check_finite(&rd, doc);
	if (rd.failed)
		goto out;
	schema = field(&rd, doc, "document", "schema", json_type_string, false);
	if (schema && strcmp(json_object_get_string(schema), "pmutrace/1") &&
	    strcmp(json_object_get_string(schema), PMUTRACE_SCHEMA)) {
		bad(&rd, "schema",
		    "is '%s', this pmutrace reads pmutrace/1 and " PMUTRACE_SCHEMA,
		    json_object_get_string(schema));
		goto out;
	}
	k = field(&rd, doc, "document", "kernel", json_type_object, false);
	str_field(&rd, k, "kernel", "release", run->release,
		  sizeof(run->release), false);
	str_field(&rd, k, "kernel", "machine", run->machine,
		  sizeof(run->machine), false);
	if (!rd.failed && json_object_object_get_ex(k, "boot_id", &l) && l)
		str_field(&rd, k, "kernel", "boot_id", run->boot_id,
			  sizeof(run->boot_id), false);
	if (!rd.failed && json_object_object_get_ex(doc, "label", &l) && l)
		str_field(&rd, doc, "document", "label", run->label,
			  sizeof(run->label), true);
	if (!rd.failed && json_object_object_get_ex(doc, "patch_side", &l) && l)
		str_field(&rd, l, "patch_side", "side", run->patch_side,
			  sizeof(run->patch_side), false);
	t = field(&rd, doc, "document", "targets", json_type_array, false);
	if (t && json_object_array_length(t) > PMUTRACE_MAX_TARGETS)
		bad(&rd, "targets", "more than %d", PMUTRACE_MAX_TARGETS);
	for (int i = 0; !rd.failed && t && i < (int)json_object_array_length(t);
	     i++) {
		read_target(&rd, json_object_array_get_idx(t, i), i,
			    &run->t[i]);
		run->ntargets = i + 1;
	}
	l = field(&rd, doc, "document", "locks", json_type_array, false);
	if (l && json_object_array_length(l) > 0) {
		struct json_object *lk = json_object_array_get_idx(l, 0), *w;

		run->has_lock = true;
		str_field(&rd, lk, "locks[0]", "name", run->lock_name,
			  sizeof(run->lock_name), false);
		run->contended =
			u64_field(&rd, lk, "locks[0]", "contended", false);
		if (!rd.failed && json_object_object_get_ex(lk, "missed", &w) &&
		    w) {
			run->has_lock_missed = true;
			run->lock_missed =
				u64_field(&rd, lk, "locks[0]", "missed", false);
		}
		w = field(&rd, lk, "locks[0]", "wait_ns", json_type_object,
			  false);
		if (w)
			read_hist(&rd, w, "locks[0].wait_ns", &run->wait);
	}
out:
	json_object_put(doc);
	if (tok)
		json_tokener_free(tok);
	free(text);
	return rd.failed ? -1 : 0;
}
