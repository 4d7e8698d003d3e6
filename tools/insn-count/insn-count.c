// SPDX-License-Identifier: GPL-2.0
/*
 * insn-count: a QEMU TCG plugin that counts the guest instructions executed
 * between two marker instructions, HINT #126 (start) and HINT #127 (stop),
 * which are NOPs on real hardware. pmu-stress --markers puts them around its
 * loop. Every stop after a start appends "window=N insns=COUNT" to the file
 * given as out=FILE (default stderr).
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
	started = 1;
}

static void on_stop(unsigned int vcpu, void *after)
{
	(void)vcpu;
	if (!started)
		return;
	started = 0;
	fprintf(out, "window=%lu insns=%" PRIu64 "\n", ++windows,
		count - (uintptr_t)after - start);
	fflush(out);
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);

	(void)id;
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
						 &count, n);
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint32_t op;

		if (qemu_plugin_insn_size(insn) != 4)
			continue;
		memcpy(&op, qemu_plugin_insn_data(insn), 4);
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

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info, int argc,
					   char **argv)
{
	out = stderr;
	for (int i = 0; i < argc; i++) {
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
