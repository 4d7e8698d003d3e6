/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The arm64 instructions that leave straight-line code: enough of the A64
 * branch classes to find where an inlined body can be left.
 */
#ifndef PMUTRACE_A64_BRANCH_H
#define PMUTRACE_A64_BRANCH_H

#include <stdbool.h>
#include <linux/types.h>

enum a64_kind {
	A64_OTHER, /* falls through to the next instruction */
	A64_B, /* B: unconditional, direct */
	A64_BCOND, /* B.cond, BC.cond */
	A64_CB, /* CBZ, CBNZ */
	A64_TB, /* TBZ, TBNZ */
	A64_BL, /* BL: a call, it comes back */
	A64_BLR, /* BLR and its pointer-authenticated forms: a call */
	A64_BR, /* BR and BRAA, BRAB, BRAAZ, BRABZ: indirect jump */
	A64_RET, /* RET, RETAA, RETAB */
};

/* Whether an arm64 kprobe at insn simulates it (branches, ADR/ADRP,
 * literal loads: arch/arm64/kernel/probes/decode-insn.c) rather than
 * single-stepping it out of line, which costs more. */
bool a64_kprobe_simulates(__u32 insn);

/* Decode insn at pc; for a direct branch or call, *target is where it goes. */
enum a64_kind a64_decode(__u32 insn, __u64 pc, __u64 *target);

/* A branch that can go somewhere other than the next instruction (calls
 * excluded: they return). */
static inline bool a64_is_jump(enum a64_kind k)
{
	return k != A64_OTHER && k != A64_BL && k != A64_BLR;
}

/* Control never falls through to the next instruction. */
static inline bool a64_is_unconditional(enum a64_kind k)
{
	return k == A64_B || k == A64_BR || k == A64_RET;
}

/* Target known from the instruction alone. */
static inline bool a64_is_direct(enum a64_kind k)
{
	return k == A64_B || k == A64_BCOND || k == A64_CB || k == A64_TB ||
	       k == A64_BL;
}

#endif
