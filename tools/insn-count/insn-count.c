// SPDX-License-Identifier: GPL-2.0
/*
 * insn-count: a QEMU TCG plugin that counts the guest instructions executed
 * between two marker instructions, HINT #126 (start) and HINT #127 (stop),
 * which are NOPs on real hardware. pmu-stress --markers puts them around its
 * loop. Every stop after a start appends "window=N insns=COUNT" to the file
 * given as out=FILE (default stderr).
 *
 * Address ranges, given as range=NAME:START:END (END exclusive, numbers as
 * strtoull base 0 reads them) or ranges=FILE (lines "NAME START END", '#'
 * comments), add to that line " NAME=COUNT NAME.entries=COUNT" per range in
 * the order given: the instructions executed in the window whose PC lies in
 * the range, and how many of them were at START (calls, when the range is a
 * function). The check is done once per instruction at translation time: an
 * instruction outside every range gets no extra code, one inside gets one
 * inline add per range (and one more at START). Markers should lie outside
 * the ranges.
 *
 * span=NAME (NAME a range given before it) also counts the range as a
 * function with its callees: from an execution of START up to and including
 * the next RET whose PC lies in the range, every instruction the vCPU ran
 * (callees, and interrupts taken meanwhile, too). It adds " NAME.calls=N
 * NAME.incl=COUNT" and, per other range R, " NAME.in.R=COUNT
 * NAME.in.R.entries=COUNT": R's instructions and calls inside the spans (a
 * callee's share, e.g. a lock's). A function that leaves by a tail call
 * ends its span at the callee's RET only if that lies in the range: check
 * the disassembly. Spans do not nest (the function is not recursive).
 *
 * pair=NAME:ENTRY:EXIT[:EXIT...] counts an inline body as an entry and exit
 * kprobe pair times it: from an execution of ENTRY up to, not including, the
 * next execution of any EXIT, every instruction the vCPU ran (callees too).
 * It adds " NAME.pairs=N NAME.body=COUNT NAME.min=M NAME.max=X": the pairs
 * closed in the window, their instructions, the least and the most of one.
 *
 * Counting is inline (one add per translated block), so it needs one vCPU
 * thread: run the guest with -smp 1 -accel tcg,thread=single. A block's
 * add runs when it is entered, so at a marker the count already includes
 * the block's instructions after it; the marker callbacks take those off,
 * which makes a window exactly the instructions from the start marker up to
 * and including the stop marker.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define MARK_START 0xd5032fdfu /* hint #126 */
#define MARK_STOP 0xd5032fffu /* hint #127 */

#define MAX_RANGES 64
#define MAX_PAIRS 8
#define MAX_EXITS 8
#define OP_RET 0xd65f03c0u /* ret (x30) */
#define OP_RETAA 0xd65f0bffu
#define OP_RETAB 0xd65f0fffu

/* The inclusive counts of a span range. */
struct span {
	uint64_t at; /* count before the entry of the open span */
	uint64_t calls, incl, calls0, incl0;
	uint64_t in_insns[MAX_RANGES], in_entries[MAX_RANGES]; /* totals */
	uint64_t in_insns0[MAX_RANGES], in_entries0[MAX_RANGES]; /* at start */
	uint64_t snap_insns[MAX_RANGES],
		snap_entries[MAX_RANGES]; /* at entry */
	int open;
};

struct range {
	char name[48];
	uint64_t lo, hi; /* [lo, hi) */
	uint64_t insns, entries; /* the inline adds' counters */
	uint64_t insns0, entries0; /* their values at the start marker */
	struct span *span; /* span=NAME */
};

/* pair=NAME:ENTRY:EXIT...: an inline body, entry to exit. */
struct pair {
	char name[48];
	uint64_t entry, exits[MAX_EXITS];
	int n_exits, open;
	uint64_t at; /* count before the open pair's entry */
	struct {
		uint64_t pairs, body, min, max;
	} w; /* in the window */
};

static struct pair pairs[MAX_PAIRS];
static int n_pairs;
static struct range ranges[MAX_RANGES];
static int n_ranges;
static uint64_t count;
static uint64_t start;
static int started;
static unsigned long windows;
static FILE *out;

/* userdata: the instructions of the block after the marker. */
static void on_start(unsigned int vcpu, void *after)
{
	(void)vcpu;
	start = count - (uintptr_t)after;
	for (int r = 0; r < n_ranges; r++) {
		ranges[r].insns0 = ranges[r].insns;
		ranges[r].entries0 = ranges[r].entries;
		if (ranges[r].span) {
			struct span *sp = ranges[r].span;

			sp->calls0 = sp->calls;
			sp->incl0 = sp->incl;
			memcpy(sp->in_insns0, sp->in_insns,
			       sizeof(sp->in_insns));
			memcpy(sp->in_entries0, sp->in_entries,
			       sizeof(sp->in_entries));
		}
	}
	for (int p = 0; p < n_pairs; p++)
		memset(&pairs[p].w, 0, sizeof(pairs[p].w));
	started = 1;
}

static void on_stop(unsigned int vcpu, void *after)
{
	(void)vcpu;
	if (!started)
		return;
	started = 0;
	fprintf(out, "window=%lu insns=%" PRIu64, ++windows,
		count - (uintptr_t)after - start);
	for (int r = 0; r < n_ranges; r++)
		fprintf(out, " %s=%" PRIu64 " %s.entries=%" PRIu64,
			ranges[r].name, ranges[r].insns - ranges[r].insns0,
			ranges[r].name, ranges[r].entries - ranges[r].entries0);
	for (int r = 0; r < n_ranges; r++) {
		struct span *sp = ranges[r].span;

		if (!sp)
			continue;
		fprintf(out, " %s.calls=%" PRIu64 " %s.incl=%" PRIu64,
			ranges[r].name, sp->calls - sp->calls0, ranges[r].name,
			sp->incl - sp->incl0);
		for (int q = 0; q < n_ranges; q++)
			if (q != r)
				fprintf(out,
					" %s.in.%s=%" PRIu64
					" %s.in.%s.entries=%" PRIu64,
					ranges[r].name, ranges[q].name,
					sp->in_insns[q] - sp->in_insns0[q],
					ranges[r].name, ranges[q].name,
					sp->in_entries[q] - sp->in_entries0[q]);
	}
	for (int p = 0; p < n_pairs; p++)
		fprintf(out,
			" %s.pairs=%" PRIu64 " %s.body=%" PRIu64
			" %s.min=%" PRIu64 " %s.max=%" PRIu64,
			pairs[p].name, pairs[p].w.pairs, pairs[p].name,
			pairs[p].w.body, pairs[p].name, pairs[p].w.min,
			pairs[p].name, pairs[p].w.max);
	fputc('\n', out);
	fflush(out);
}

/* userdata: the range's index << 16 | the block's instructions after this one. */
static void on_span_entry(unsigned int vcpu, void *ud)
{
	struct span *sp = ranges[(uintptr_t)ud >> 16].span;

	(void)vcpu;
	if (sp->open)
		return;
	sp->open = 1;
	sp->at = count - ((uintptr_t)ud & 0xffff) - 1;
	for (int q = 0; q < n_ranges; q++) {
		sp->snap_insns[q] = ranges[q].insns;
		sp->snap_entries[q] = ranges[q].entries;
	}
}

static void on_span_ret(unsigned int vcpu, void *ud)
{
	struct span *sp = ranges[(uintptr_t)ud >> 16].span;

	(void)vcpu;
	if (!sp->open)
		return;
	sp->open = 0;
	sp->calls++;
	sp->incl += count - ((uintptr_t)ud & 0xffff) - sp->at;
	for (int q = 0; q < n_ranges; q++) {
		sp->in_insns[q] += ranges[q].insns - sp->snap_insns[q];
		sp->in_entries[q] += ranges[q].entries - sp->snap_entries[q];
	}
}

/* userdata: the pair's index << 16 | the block's instructions after this one. */
static void on_pair_entry(unsigned int vcpu, void *ud)
{
	struct pair *p = &pairs[(uintptr_t)ud >> 16];

	(void)vcpu;
	p->open = 1; /* an entry without an exit restarts the body */
	p->at = count - ((uintptr_t)ud & 0xffff) - 1;
}

static void on_pair_exit(unsigned int vcpu, void *ud)
{
	struct pair *p = &pairs[(uintptr_t)ud >> 16];
	uint64_t n = count - ((uintptr_t)ud & 0xffff) - 1 - p->at;

	(void)vcpu;
	if (!p->open)
		return;
	p->open = 0;
	if (!started)
		return;
	if (!p->w.pairs || n < p->w.min)
		p->w.min = n;
	if (n > p->w.max)
		p->w.max = n;
	p->w.pairs++;
	p->w.body += n;
}

/* Exec callbacks at PC for the pairs entered or left there. */
static void pair_cbs(struct qemu_plugin_insn *insn, uint64_t pc, size_t after)
{
	for (int p = 0; p < n_pairs; p++) {
		uintptr_t ud = (uintptr_t)p << 16 | after;

		if (pc == pairs[p].entry)
			qemu_plugin_register_vcpu_insn_exec_cb(
				insn, on_pair_entry, QEMU_PLUGIN_CB_NO_REGS,
				(void *)ud);
		for (int e = 0; e < pairs[p].n_exits; e++)
			if (pc == pairs[p].exits[e])
				qemu_plugin_register_vcpu_insn_exec_cb(
					insn, on_pair_exit,
					QEMU_PLUGIN_CB_NO_REGS, (void *)ud);
	}
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);

	(void)id;
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
						 &count, n);
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint64_t pc = qemu_plugin_insn_vaddr(insn);
		uint32_t op;

		if (qemu_plugin_insn_size(insn) == 4)
			memcpy(&op, qemu_plugin_insn_data(insn), 4);
		else
			op = 0;
		pair_cbs(insn, pc, n - 1 - i);
		for (int r = 0; r < n_ranges; r++) {
			uintptr_t ud = (uintptr_t)r << 16 | (n - 1 - i);

			if (pc < ranges[r].lo || pc >= ranges[r].hi)
				continue;
			/* Before the range's own adds: a span's snapshot at entry. */
			if (ranges[r].span && pc == ranges[r].lo)
				qemu_plugin_register_vcpu_insn_exec_cb(
					insn, on_span_entry,
					QEMU_PLUGIN_CB_NO_REGS, (void *)ud);
			if (ranges[r].span &&
			    (op == OP_RET || op == OP_RETAA || op == OP_RETAB))
				qemu_plugin_register_vcpu_insn_exec_cb(
					insn, on_span_ret,
					QEMU_PLUGIN_CB_NO_REGS, (void *)ud);
			qemu_plugin_register_vcpu_insn_exec_inline(
				insn, QEMU_PLUGIN_INLINE_ADD_U64,
				&ranges[r].insns, 1);
			if (pc == ranges[r].lo)
				qemu_plugin_register_vcpu_insn_exec_inline(
					insn, QEMU_PLUGIN_INLINE_ADD_U64,
					&ranges[r].entries, 1);
		}
		if (op != MARK_START && op != MARK_STOP)
			continue;
		qemu_plugin_register_vcpu_insn_exec_cb(
			insn, op == MARK_START ? on_start : on_stop,
			QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)(n - 1 - i));
	}
}

static void at_exit(qemu_plugin_id_t id, void *p)
{
	(void)id;
	(void)p;
	if (out != stderr)
		fclose(out);
}

/* NAME START END, from range=NAME:START:END or a line of ranges=FILE. */
static int add_range(const char *name, size_t len, const char *lo,
		     const char *hi)
{
	struct range *r = &ranges[n_ranges];
	char *end;

	/* The name goes into "NAME=COUNT": no '=', no white space. */
	if (n_ranges == MAX_RANGES || !len || len >= sizeof(r->name) ||
	    strcspn(name, "= \t") < len)
		return -1;
	memcpy(r->name, name, len);
	r->name[len] = 0;
	r->lo = strtoull(lo, &end, 0);
	if (end == lo || (*end && *end != ':'))
		return -1;
	r->hi = strtoull(hi, &end, 0);
	if (end == hi || *end || r->hi <= r->lo)
		return -1;
	n_ranges++;
	return 0;
}

static int parse_range(const char *arg)
{
	const char *c1 = strchr(arg, ':');
	const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

	if (!c2)
		return -1;
	return add_range(arg, c1 - arg, c1 + 1, c2 + 1);
}

static int read_ranges(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256], name[48], lo[32], hi[32];
	int rc = 0;

	if (!f) {
		perror(path);
		return -1;
	}
	while (!rc && fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || line[strspn(line, " \t\n")] == 0)
			continue;
		if (sscanf(line, "%47s %31s %31s", name, lo, hi) != 3 ||
		    add_range(name, strlen(name), lo, hi))
			rc = -1;
	}
	fclose(f);
	if (rc)
		fprintf(stderr, "insn-count: %s: bad line: %s", path, line);
	return rc;
}

/* span=NAME: NAME's range, counted with its callees too. */
static int add_span(const char *name)
{
	for (int r = 0; r < n_ranges; r++) {
		if (strcmp(ranges[r].name, name))
			continue;
		if (!ranges[r].span)
			ranges[r].span = calloc(1, sizeof(struct span));
		return ranges[r].span ? 0 : -1;
	}
	return -1;
}

/* pair=NAME:ENTRY:EXIT[:EXIT...] */
static int add_pair(const char *arg)
{
	struct pair *p = &pairs[n_pairs < MAX_PAIRS ? n_pairs : 0];
	const char *c = strchr(arg, ':');
	char *end;

	if (n_pairs == MAX_PAIRS)
		return -1;
	memset(p, 0, sizeof(*p));
	if (!c || c == arg || (size_t)(c - arg) >= sizeof(p->name) ||
	    strcspn(arg, "= \t") < (size_t)(c - arg))
		return -1;
	memcpy(p->name, arg, c - arg);
	p->entry = strtoull(c + 1, &end, 0);
	if (end == c + 1 || *end != ':')
		return -1;
	while (*end == ':' && p->n_exits < MAX_EXITS) {
		c = end + 1;
		p->exits[p->n_exits++] = strtoull(c, &end, 0);
		if (end == c)
			return -1;
	}
	if (*end)
		return -1;
	n_pairs++;
	return 0;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info, int argc,
					   char **argv)
{
	out = stderr;
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "range=", 6)) {
			if (parse_range(argv[i] + 6)) {
				fprintf(stderr, "insn-count: bad %s\n",
					argv[i]);
				return -1;
			}
			continue;
		}
		if (!strncmp(argv[i], "span=", 5)) {
			if (add_span(argv[i] + 5)) {
				fprintf(stderr,
					"insn-count: bad %s (give its range first)\n",
					argv[i]);
				return -1;
			}
			continue;
		}
		if (!strncmp(argv[i], "pair=", 5)) {
			if (add_pair(argv[i] + 5)) {
				fprintf(stderr, "insn-count: bad %s\n",
					argv[i]);
				return -1;
			}
			continue;
		}
		if (!strncmp(argv[i], "ranges=", 7)) {
			if (read_ranges(argv[i] + 7))
				return -1;
			continue;
		}
		if (strncmp(argv[i], "out=", 4)) {
			fprintf(stderr, "insn-count: unknown argument %s\n",
				argv[i]);
			return -1;
		}
		out = fopen(argv[i] + 4, "w");
		if (!out) {
			perror(argv[i] + 4);
			return -1;
		}
	}
	if (info->system_emulation && info->system.smp_vcpus != 1)
		fprintf(stderr,
			"insn-count: %d vCPUs; counts are exact with one (-smp 1 -accel tcg,thread=single)\n",
			info->system.smp_vcpus);
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
