// SPDX-License-Identifier: GPL-2.0
/* The inline-site table's one reader and one writer (sitetab.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "sitetab.h"

const char *const insn_class_names[NR_CLASSES] = { "simulated", "stepped",
						   "call" };

/* getcpu(&cpu, &node, NULL) reaches its per-CPU node look-up (an ADRP
 * on Debian's kernels; not in an allnoconfig build, which has one in
 * times() and uname()); getppid starts with plain loads and stores;
 * sched_yield's handler calls do_sched_yield (a BL to a traceable function:
 * a kprobe in a notrace one is refused) before it yields. */
const struct calib_func calib_funcs[NR_CALIB_FUNCS] = {
	{ "__arm64_sys_getcpu", CLASS_SIMULATED },
	{ "__arm64_sys_times", CLASS_SIMULATED },
	{ "__arm64_sys_newuname", CLASS_SIMULATED },
	{ "__arm64_sys_getppid", CLASS_STEPPED },
	{ "__arm64_sys_sched_yield", CLASS_CALL },
};

int sitetab_add(struct sitetab *t, const struct site *s)
{
	if (t->n == t->cap) {
		int cap = t->cap ? 2 * t->cap : 16;
		struct site *p = realloc(t->sites, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		t->sites = p;
		t->cap = cap;
	}
	t->sites[t->n++] = *s;
	return 0;
}

void sitetab_free(struct sitetab *t)
{
	free(t->sites);
	memset(t, 0, sizeof(*t));
}

void build_id_hex(const __u8 *id, int len, char *buf, size_t buflen)
{
	buf[0] = 0;
	for (int i = 0; i < len && 2 * (size_t)i + 2 < buflen; i++)
		snprintf(buf + 2 * i, 3, "%02x", id[i]);
}

static int parse_build_id(const char *hex, struct sitetab *t)
{
	size_t n = strlen(hex);

	if (n == 0 || n % 2 || n / 2 > SITETAB_MAX_BUILD_ID ||
	    strspn(hex, "0123456789abcdef") != n)
		return -1;
	for (size_t i = 0; i < n / 2; i++)
		sscanf(hex + 2 * i, "%2hhx", &t->build_id[i]);
	t->build_id_len = n / 2;
	return 0;
}

/* SYMBOL+0xOFF into symbol and *offset; -1 if it is not that. */
static int parse_where(const char *where, char *symbol, __u64 *offset)
{
	const char *plus = strrchr(where, '+');
	char *end;

	if (!plus || plus == where || strncmp(plus, "+0x", 3) ||
	    plus - where >= SITE_NAME_LEN)
		return -1;
	errno = 0;
	*offset = strtoull(plus + 3, &end, 16);
	if (errno || *end || end == plus + 3)
		return -1;
	memcpy(symbol, where, plus - where);
	symbol[plus - where] = 0;
	return 0;
}

int insn_class_of(const char *name)
{
	for (int c = 0; c < NR_CLASSES; c++)
		if (!strcmp(name, insn_class_names[c]))
			return c;
	return -1;
}

#define CALIB_FORMAT                                                      \
	"not 'calib simulated|stepped SYMBOL+0xOFF INSN' or 'calib call " \
	"SYMBOL+0xOFF INSN EXIT_SYMBOL+0xOFF'"

/* A site or calib line into s: NULL, or what is wrong with it. */
static const char *parse_site(const char *line, struct site *s)
{
	char kind[8], where[2 * SITE_NAME_LEN], exit[2 * SITE_NAME_LEN];
	int used = 0, n, c;

	memset(s, 0, sizeof(*s));
	if (strncmp(line, "calib ", 6)) {
		if (sscanf(line, "site %127s %u %7s %255s %x%n", s->function,
			   &s->instance, kind, where, &s->insn, &used) != 5 ||
		    line[used] != 0 ||
		    (strcmp(kind, "entry") && strcmp(kind, "exit")) ||
		    parse_where(where, s->symbol, &s->offset))
			return "not a site, calib or build-id line";
		s->exit = !strcmp(kind, "exit");
		return NULL;
	}
	s->calib = true;
	n = sscanf(line, "calib %127s %255s %x %255s%n", s->function, where,
		   &s->insn, exit, &used);
	if (n == 3)
		sscanf(line, "calib %*s %*s %*x%n", &used);
	c = insn_class_of(s->function);
	if (n < 3 || line[used] != 0 || c < 0 ||
	    parse_where(where, s->symbol, &s->offset))
		return CALIB_FORMAT;
	if ((n == 4) != (c == CLASS_CALL))
		return c == CLASS_CALL ?
			       "a calib call line needs its exit, EXIT_SYMBOL+0xOFF" :
			       "only a calib call line has an exit";
	if (c != CLASS_CALL) {
		memcpy(s->exit_symbol, s->symbol, sizeof(s->symbol));
		s->exit_offset = s->offset + 4;
	} else if (parse_where(exit, s->exit_symbol, &s->exit_offset)) {
		return "a calib call line's exit is not EXIT_SYMBOL+0xOFF";
	}
	return NULL;
}

int sitetab_read(FILE *f, struct sitetab *t, char *err, size_t errlen)
{
	char line[1024], hex[2 * SITETAB_MAX_BUILD_ID + 2];
	const char *why;
	int lineno = 0;
	struct site s;

	memset(t, 0, sizeof(*t));
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);

		lineno++;
		why = "longer than 1023 characters";
		if (n && line[n - 1] == '\n')
			line[--n] = 0;
		else if (!feof(f))
			goto bad;
		why = "not a site, calib or build-id line";
		if (lineno == 1) {
			if (strcmp(line, SITETAB_MAGIC))
				goto bad;
		} else if (!n || line[0] == '#') {
			continue;
		} else if (!strncmp(line, "build-id ", 9)) {
			if (t->build_id_len ||
			    sscanf(line + 9, "%41s", hex) != 1 ||
			    parse_build_id(hex, t))
				goto bad;
		} else if ((why = parse_site(line, &s)) || sitetab_add(t, &s)) {
			why = why ? why : "out of memory";
			goto bad;
		}
	}
	if (lineno == 0 || !t->build_id_len) {
		snprintf(err, errlen, "%s",
			 lineno ? "no build-id line" : "empty");
		sitetab_free(t);
		return -1;
	}
	return 0;
bad:
	snprintf(err, errlen, "line %d: %s", lineno,
		 lineno == 1 ? "not a pmutrace-sites 1 table" : why);
	sitetab_free(t);
	return -1;
}

int sitetab_write(FILE *f, const struct sitetab *t)
{
	char hex[2 * SITETAB_MAX_BUILD_ID + 1];

	build_id_hex(t->build_id, t->build_id_len, hex, sizeof(hex));
	fprintf(f, "%s\nbuild-id %s\n", SITETAB_MAGIC, hex);
	fprintf(f, "# FUNCTION INSTANCE entry|exit SYMBOL+OFFSET INSN\n");
	for (int i = 0; i < t->n; i++) {
		const struct site *s = &t->sites[i];

		if (s->calib) {
			fprintf(f, "calib %s %s+0x%llx %08x", s->function,
				s->symbol, (unsigned long long)s->offset,
				s->insn);
			if (insn_class_of(s->function) == CLASS_CALL)
				fprintf(f, " %s+0x%llx", s->exit_symbol,
					(unsigned long long)s->exit_offset);
			fputc('\n', f);
		} else {
			fprintf(f, "site %s %u %s %s+0x%llx %08x\n",
				s->function, s->instance,
				s->exit ? "exit" : "entry", s->symbol,
				(unsigned long long)s->offset, s->insn);
		}
	}
	return ferror(f) ? -1 : 0;
}

int sitetab_instances(const struct sitetab *t, const char *function)
{
	int n = 0;

	for (int i = 0; i < t->n; i++)
		if (!t->sites[i].calib &&
		    !strcmp(t->sites[i].function, function) &&
		    (int)t->sites[i].instance >= n)
			n = t->sites[i].instance + 1;
	return n;
}
