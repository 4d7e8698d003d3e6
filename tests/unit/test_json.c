// SPDX-License-Identifier: GPL-2.0
/* The JSON document: schema fields, percentiles, buckets, empty histograms. */
#include <errno.h>
#include <json-c/json.h>
#include "pmutrace_user.h"
#include "unit.h"

static struct json_object *get(struct json_object *o, const char *path)
{
	char buf[256], *save, *key;

	snprintf(buf, sizeof(buf), "%s", path);
	for (key = strtok_r(buf, ".", &save); key && o;
	     key = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array))
			o = json_object_array_get_idx(o, atoi(key));
		else if (!json_object_object_get_ex(o, key, &o))
			return NULL;
	}
	return o;
}

static __u64 u64_at(struct json_object *o, const char *path)
{
	return json_object_get_uint64(get(o, path));
}

int main(void)
{
	static struct run_result r;
	struct target_stats *s = &r.res[0].s;
	struct json_object *o, *b;
	__u64 sum = 0;

	snprintf(r.release, sizeof(r.release), "7.2.13+deb14-cloud-arm64");
	snprintf(r.machine, sizeof(r.machine), "aarch64");
	r.duration_s = 2.5;
	r.ntargets = 2;
	snprintf(r.targets[0].name, NAME_LEN, "kvm_arm_pmu_v3_set_pmu");
	r.targets[0].mode = ATTACH_CALLER;
	snprintf(r.targets[0].function, NAME_LEN, "kvm_arm_pmu_v3_set_attr");
	snprintf(r.targets[0].filter, NAME_LEN,
		 "attr->attr == KVM_ARM_VCPU_PMU_V3_SET_PMU");
	r.targets[0].ret_kind = RET_INT32;
	r.targets[0].ret_type = "int";
	snprintf(r.targets[1].name, NAME_LEN, "kvm_supports_guest_pmuv3");
	r.targets[1].mode = ATTACH_ABSENT;
	/* 1000 calls: 900 at 10us, 100 at 100us; 3 returned -EBUSY. */
	s->count = s->timed = 1000;
	s->latency.slots[hist_bucket(10000)] = 900;
	s->latency.slots[hist_bucket(100000)] = 100;
	s->min_ns = 10000;
	s->max_ns = 100000;
	s->sum_ns = 900 * 10000ULL + 100 * 100000ULL;
	s->ret_zero = 997;
	s->ret_errno[EBUSY] = 3;
	r.res[0].missed_exit = 4;
	r.lock.traced = true;
	r.lock.addr = 0xffff800081300000ULL;
	snprintf(r.lock.name, NAME_LEN, "arm_pmus_lock");
	r.lock_stats.contended = 0;

	o = result_to_json(&r);
	CHECK(!strcmp(json_object_get_string(get(o, "schema")),
		      PMUTRACE_SCHEMA),
	      "schema");
	CHECK(!strcmp(json_object_get_string(get(o, "kernel.release")),
		      r.release),
	      "release");
	CHECK(!strcmp(json_object_get_string(get(o, "targets.0.attach.mode")),
		      "caller"),
	      "mode");
	CHECK(!strcmp(json_object_get_string(
			      get(o, "targets.0.attach.function")),
		      "kvm_arm_pmu_v3_set_attr"),
	      "function");
	CHECK(u64_at(o, "targets.0.count") == 1000 &&
		      u64_at(o, "targets.0.errors") == 3,
	      "counts");
	CHECK(u64_at(o, "targets.0.returns.errno.EBUSY") == 3, "errno by name");
	CHECK(u64_at(o, "targets.0.missed.exit") == 4, "missed");
	CHECK(u64_at(o, "targets.0.latency_ns.min") == 10000 &&
		      u64_at(o, "targets.0.latency_ns.max") == 100000,
	      "min max");
	{
		__u64 p50 = u64_at(o, "targets.0.latency_ns.p50"),
		      p99 = u64_at(o, "targets.0.latency_ns.p99");

		CHECK(p50 >= 9700 && p50 <= 10300, "p50 %llu near 10us",
		      (unsigned long long)p50);
		CHECK(p99 >= 97000 && p99 <= 100000, "p99 %llu near 100us",
		      (unsigned long long)p99);
	}
	b = get(o, "targets.0.latency_ns.buckets");
	CHECK(json_object_array_length(b) == 2, "only non-empty buckets");
	for (size_t i = 0; i < json_object_array_length(b); i++) {
		struct json_object *e = json_object_array_get_idx(b, i);

		sum += u64_at(e, "count");
		CHECK(u64_at(e, "low") <= u64_at(e, "high"),
		      "bucket bounds ordered");
	}
	CHECK(sum == 1000, "bucket counts add up to the timed calls");
	CHECK(!strcmp(json_object_get_string(get(o, "targets.1.attach.mode")),
		      "absent") &&
		      get(o, "targets.1.latency_ns.p50") == NULL &&
		      json_object_array_length(
			      get(o, "targets.1.latency_ns.buckets")) == 0,
	      "absent target: null percentiles, no buckets");
	CHECK(!strcmp(json_object_get_string(get(o, "locks.0.address")),
		      "0xffff800081300000"),
	      "address");
	CHECK(u64_at(o, "locks.0.contended") == 0 &&
		      get(o, "locks.0.wait_ns.p99") == NULL,
	      "empty wait histogram");
	CHECK(get(o, "targets.0.lock") == NULL,
	      "no hold figures without hold mode");
	json_object_put(o);

	/* The text rendering of the same run keeps empty histograms visible. */
	{
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		render_text(f, &r, false);
		fclose(f);
		CHECK(strstr(text, "no contended acquisition seen") != NULL,
		      "empty lock histogram said");
		CHECK(strstr(text, "kvm_supports_guest_pmuv3: absent") != NULL,
		      "absent target said");
		CHECK(strstr(text, "caller via kvm_arm_pmu_v3_set_attr") !=
			      NULL,
		      "attach mode said");
		CHECK(strstr(text, "-EBUSY x3") != NULL, "errors by name");
		free(text);
	}
	UNIT_EXIT();
}
