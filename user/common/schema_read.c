// SPDX-License-Identifier: GPL-2.0
/*
 * Reading a pmutrace/1 document back, for compare. Input is untrusted: every
 * field is checked for presence, type and range, and the first problem is
 * reported as one line naming the file and the field.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "schema.h"

#define MAX_DOC (64 << 20)

struct reader {
	const char *path;
	char *err;
	size_t errlen;
	bool failed;
};

static void __attribute__((format(printf, 3, 4)))
bad(struct reader *rd, const char *where, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (rd->failed)
		return;
	rd->failed = true;
	n = snprintf(rd->err, rd->errlen, "%s: %s: ", rd->path, where);
	if (n >= rd->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(rd->err + n, rd->errlen - n, fmt, ap);
	va_end(ap);
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

static void str_field(struct reader *rd, struct json_object *o,
		      const char *where, const char *key, char *buf, size_t len,
		      bool nullable)
{
	struct json_object *v =
		field(rd, o, where, key, json_type_string, nullable);

	buf[0] = '\0';
	if (v)
		snprintf(buf, len, "%s", json_object_get_string(v));
}

static void read_hist(struct reader *rd, struct json_object *o,
		      const char *where, struct loaded_hist *h)
{
	struct json_object *b;
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
	}
	if (!rd->failed && total != h->count)
		bad(rd, where, "buckets hold %llu samples, count says %llu",
		    (unsigned long long)total, (unsigned long long)h->count);
	if (!rd->failed && h->count && h->min > h->max)
		bad(rd, where, "min is above max");
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

static char *read_file(const char *path, struct reader *rd)
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
		if (cap >= MAX_DOC) {
			bad(rd, "size", "larger than %d MiB", MAX_DOC >> 20);
			goto fail;
		}
		cap *= 2;
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
	struct json_tokener *tok;
	char *text;

	memset(run, 0, sizeof(*run));
	run->path = path;
	text = read_file(path, &rd);
	if (!text)
		return -1;
	tok = json_tokener_new();
	if (tok) {
		doc = json_tokener_parse_ex(tok, text, strlen(text) + 1);
		jerr = json_tokener_get_error(tok);
	}
	if (!doc) {
		bad(&rd, "not JSON", "%s at byte %zu",
		    tok ? json_tokener_error_desc(jerr) : "out of memory",
		    tok ? json_tokener_get_parse_end(tok) : 0);
		goto out;
	}
	schema = field(&rd, doc, "document", "schema", json_type_string, false);
	if (schema && strcmp(json_object_get_string(schema), "pmutrace/1")) {
		bad(&rd, "schema", "is '%s', this pmutrace reads pmutrace/1",
		    json_object_get_string(schema));
		goto out;
	}
	k = field(&rd, doc, "document", "kernel", json_type_object, false);
	str_field(&rd, k, "kernel", "release", run->release,
		  sizeof(run->release), false);
	str_field(&rd, k, "kernel", "machine", run->machine,
		  sizeof(run->machine), false);
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
	json_tokener_free(tok);
	free(text);
	return rd.failed ? -1 : 0;
}
