/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attribution, read back from the BPF maps of bpf/attrib.bpf.h: per process
 * or cgroup, who held the lock and where the waiters were, which VM got
 * which host PMU. Outputs show the top rows and sum the rest as "other".
 */
#ifndef PMUTRACE_ATTRIB_USER_H
#define PMUTRACE_ATTRIB_USER_H

#include "attrib_result.h"

struct pmutrace_bpf;
struct bpf_program;
struct btf;

/* setup: options to a result, before loading; exit code or 0. */
int attrib_prepare(const struct options *o, struct run_result *r,
		   const struct btf *btf);
void attrib_free(struct run_result *r);
/* Does the per-call path attribute (--by, -p, -c)? Then the slot programs
 * are the attrib_ twins. */
bool attrib_per_call(const struct run_result *r);
/* tracer: before load, after load, attach, detach, read. */
int attrib_configure(struct pmutrace_bpf *s, const struct run_result *r,
		     struct bpf_program **used, int *n);
int attrib_loaded(struct pmutrace_bpf *s, const struct run_result *r);
int attrib_attach(struct pmutrace_bpf *s, struct run_result *r);
void attrib_detach(void);
int attrib_collect(struct pmutrace_bpf *s, struct run_result *r);

/* Most calls first; most total wait first. */
void attrib_sort_rows(struct attrib_result *a);
void attrib_sort_owners(struct attrib_result *a);

/* attrib_interval.c: the rows and owners since the last call (the start,
 * the first time), as a result to render and free; NULL without
 * attribution or memory. */
struct attrib_result *attrib_interval(struct attrib_result *a);
void attrib_interval_free(struct attrib_result *d);

/* The frame of a waiter's stack that called into the mutex, or NULL. */
int attrib_caller_frame(const struct attrib_stack *s,
			const struct ksym_table *t);
/* Its first mutex frame: the text output starts waiter stacks there. */
int attrib_first_mutex_frame(const struct attrib_stack *s,
			     const struct ksym_table *t);

/* attrib_json.c: the "attribution" object, NULL when none was asked for */
struct json_object;
struct json_object *attrib_json(const struct run_result *r);

/* attrib_render.c: the whole run's, or (a->interval) one interval's */
void render_attrib(FILE *out, const struct run_result *r);

#endif /* PMUTRACE_ATTRIB_USER_H */
