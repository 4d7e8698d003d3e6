/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The inline-site table: where each inlined instance of a function is
 * entered and left, per kernel build-id. pmutrace-sites writes it from the
 * kernel's DWARF; the tracer reads it and attaches a kprobe at each site.
 * The format lives here only (docs/pmutrace.8, FILES):
 *
 *   pmutrace-sites 1
 *   build-id HEX
 *   site FUNCTION INSTANCE entry|exit SYMBOL+0xOFF INSN
 *   calib simulated|stepped SYMBOL+0xOFF INSN
 *   calib call SYMBOL+0xOFF INSN EXIT_SYMBOL+0xOFF
 *
 * INSTANCE numbers the function's inline instances from 0; SYMBOL+0xOFF is
 * the site as kallsyms names it; INSN the instruction word there in the
 * vmlinux (hex), which the live kernel's must equal.
 *
 * A calib line is a kprobe pair in a system call the tracer makes itself
 * (calib_funcs), where the pair measures its own cost: arm64 kprobes
 * simulate some instructions (branches, ADR/ADRP, literal loads) and
 * single-step the rest, which costs more, and a BL's simulation (a call)
 * costs less than an ADRP's, so each entry is corrected by the pair of its
 * own class. A simulated or stepped pair is two adjacent instructions (OFF
 * and OFF + 4). A call pair enters at a BL and leaves at its callee's first
 * instruction past the NOPs ftrace patches at its entry, EXIT_SYMBOL+0xOFF
 * (the callee must have them: trace_kprobe refuses a kprobe anywhere in a
 * function ftrace cannot trace). So its span holds 2 NOPs more than an
 * adjacent pair's, which are not subtracted: 2 instructions under the
 * instruction clock (a BL entry's body reads that much low), about free on
 * hardware.
 */
#ifndef PMUTRACE_SITETAB_H
#define PMUTRACE_SITETAB_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#define SITETAB_MAGIC "pmutrace-sites 1"
#define SITE_NAME_LEN 128
#define SITETAB_MAX_BUILD_ID 20

struct site {
	/* the inlined function; a calib line's class */
	char function[SITE_NAME_LEN];
	bool calib;
	__u32 instance;
	bool exit; /* else the instance's entry */
	char symbol[SITE_NAME_LEN]; /* the caller, as kallsyms names it */
	__u64 offset;
	__u32 insn;
	/* a calib line's exit: OFF + 4, or a call pair's EXIT_SYMBOL+0xOFF */
	char exit_symbol[SITE_NAME_LEN];
	__u64 exit_offset;
};

struct sitetab {
	__u8 build_id[SITETAB_MAX_BUILD_ID];
	int build_id_len;
	int n, cap;
	struct site *sites;
};

enum insn_class { CLASS_SIMULATED, CLASS_STEPPED, CLASS_CALL, NR_CLASSES };
extern const char *const insn_class_names[NR_CLASSES];
/* The class named name, or -1. */
int insn_class_of(const char *name);

/* The system calls calibration pairs are looked for in, in this order
 * for each class: pmutrace-sites takes the first that has a pair, and
 * pmutrace makes the call (calib_trigger, tracer_sites.c). */
struct calib_func {
	const char *symbol;
	enum insn_class class;
};
#define NR_CALIB_FUNCS 5
extern const struct calib_func calib_funcs[NR_CALIB_FUNCS];

/* 0, or -1 with a one-line reason in err (line number and what is wrong). */
int sitetab_read(FILE *f, struct sitetab *t, char *err, size_t errlen);
int sitetab_write(FILE *f, const struct sitetab *t);
int sitetab_add(struct sitetab *t, const struct site *s);
void sitetab_free(struct sitetab *t);
/* Instances of function in t (highest instance number + 1). */
int sitetab_instances(const struct sitetab *t, const char *function);
void build_id_hex(const __u8 *id, int len, char *buf, size_t buflen);

#endif
