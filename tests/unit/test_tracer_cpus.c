// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 9 #16: when libbpf cannot tell the possible CPUs (it reads
 * /sys/devices/system/cpu/possible), tracer_start reports libbpf's own
 * error, not ENOMEM, and loads nothing. Linked with
 * -Wl,--wrap=libbpf_num_possible_cpus, so the answer is this file's.
 */
#include <errno.h>
#include "unit.h"
#include "pmutrace_user.h"

static int possible_cpus;

int __wrap_libbpf_num_possible_cpus(void);
int __wrap_libbpf_num_possible_cpus(void)
{
	return possible_cpus;
}

int main(void)
{
	static struct run_result r;
	struct tracer *tr;
	int err;

	r.probe = PROBE_FENTRY;
	possible_cpus = -EIO;
	err = 0;
	tr = tracer_start(&r, &err);
	CHECK(!tr && err == -EIO, "a negative count gives %d, want %d (EIO)",
	      err, -EIO);
	possible_cpus = 0;
	err = 0;
	tr = tracer_start(&r, &err);
	CHECK(!tr && err == -EINVAL, "no CPU gives %d, want %d (EINVAL)", err,
	      -EINVAL);
	r.probe = PROBE_SESSION;
	possible_cpus = -ENOENT;
	err = 0;
	tr = tracer_start(&r, &err);
	CHECK(!tr && err == -ENOENT,
	      "session mode, then its fentry fallback: %d, want %d (ENOENT)",
	      err, -ENOENT);
	UNIT_EXIT();
}
