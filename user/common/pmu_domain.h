/* SPDX-License-Identifier: GPL-2.0 */
/* The PMU domain facts, in one place (pmu_domain.c). */
#ifndef PMUTRACE_PMU_DOMAIN_H
#define PMUTRACE_PMU_DOMAIN_H

#include "pmutrace_user.h"

#define PMU_LOCK "arm_pmus_lock"
#define PMU_NREADERS 3

struct pmu_reader {
	const char *name;
	const char *caller; /* stands in where name is inlined; NULL: none */
	enum filter_kind filter; /* which of the caller's calls reach name */
	__u64 filter_value;
	const char *filter_desc; /* the filter for people, "" for none */
};

extern const struct pmu_reader pmu_readers[PMU_NREADERS];

const struct pmu_reader *pmu_reader_find(const char *name);
bool pmu_is_lock_name(const char *name);
const char *patch_side(const struct run_result *r, char *why, size_t len);

#endif /* PMUTRACE_PMU_DOMAIN_H */
