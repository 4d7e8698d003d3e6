/* SPDX-License-Identifier: GPL-2.0 */
/* The pmutrace/1 and /2 document: written by a trace run (schema_write.c), read back
 * by compare (schema_read.c). docs/pmutrace.schema.json describes it. */
#ifndef PMUTRACE_SCHEMA_H
#define PMUTRACE_SCHEMA_H

#include "pmutrace_user.h"

/* A histogram read back from JSON: the fine buckets and exact figures. */
struct loaded_hist {
	struct hist h;
	__u64 count, min, max, sum;
};

struct loaded_target {
	char name[NAME_LEN];
	char mode[16];
	char function[NAME_LEN];
	__u64 count, errors;
	struct loaded_hist lat;
	bool has_lock; /* hold mode figures present */
	__u64 lock_acquired;
	bool has_missed; /* missed.entry/exit present */
	__u64 missed_entry, missed_exit;
};

struct loaded_run {
	const char *path;
	char release[NAME_LEN];
	char machine[65];
	char boot_id[40]; /* kernel.boot_id, "" when the document has none */
	char label[NAME_LEN]; /* --label, "" when none */
	char patch_side[16];
	double duration_s;
	int ntargets;
	struct loaded_target t[PMUTRACE_MAX_TARGETS];
	bool has_lock;
	char lock_name[NAME_LEN];
	__u64 contended;
	bool has_lock_missed;
	__u64 lock_missed;
	struct loaded_hist wait;
};

/* schema_read.c: 0, or -1 with a one-line reason in err. */
int load_run(const char *path, struct loaded_run *run, char *err,
	     size_t errlen);

#endif /* PMUTRACE_SCHEMA_H */
