// SPDX-License-Identifier: GPL-2.0
/*
 * A64 branch decoding (Arm ARM, C4.1.65 "Branches, Exception Generating and
 * System instructions"): the immediate forms' offsets are signed words from
 * the branch's own address.
 */
#include "a64_branch.h"

/* Bits [lo, lo + len) of insn as a signed word offset from pc. */
static __u64 rel(__u32 insn, __u64 pc, int lo, int len)
{
	long long imm = (insn >> lo) & ((1u << len) - 1);

	if (imm & (1ll << (len - 1)))
		imm -= 1ll << len;
	return pc + (__u64)(imm * 4);
}

enum a64_kind a64_decode(__u32 insn, __u64 pc, __u64 *target)
{
	*target = 0;
	if ((insn & 0x7c000000) == 0x14000000) { /* B, BL: x00101 imm26 */
		*target = rel(insn, pc, 0, 26);
		return insn & 0x80000000 ? A64_BL : A64_B;
	}
	if ((insn & 0xff000000) == 0x54000000) { /* B.cond, BC.cond */
		*target = rel(insn, pc, 5, 19);
		return A64_BCOND;
	}
	if ((insn & 0x7e000000) == 0x34000000) { /* CBZ, CBNZ: x011010 */
		*target = rel(insn, pc, 5, 19);
		return A64_CB;
	}
	if ((insn & 0x7e000000) == 0x36000000) { /* TBZ, TBNZ: b5 011011 */
		*target = rel(insn, pc, 5, 14);
		return A64_TB;
	}
	/* Unconditional branch (register): 1101011 opc op2=11111 op3 Rn op4 */
	if ((insn & 0xfe1f0000) != 0xd61f0000)
		return A64_OTHER;
	switch ((insn >> 21) & 0xf) { /* opc */
	case 0: /* BR, BRAAZ, BRABZ */
	case 8: /* BRAA, BRAB */
		return A64_BR;
	case 1: /* BLR, BLRAAZ, BLRABZ */
	case 9: /* BLRAA, BLRAB */
		return A64_BLR;
	case 2: /* RET, RETAA, RETAB */
		return A64_RET;
	}
	return A64_OTHER; /* ERET, DRPS and the rest: not in kernel bodies */
}

bool a64_kprobe_simulates(__u32 insn)
{
	__u64 to;

	return a64_decode(insn, 0, &to) != A64_OTHER ||
	       (insn & 0x1f000000) == 0x10000000 || /* ADR, ADRP */
	       (insn & 0x3b000000) == 0x18000000; /* LDR, LDRSW (literal) */
}
