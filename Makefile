# SPDX-License-Identifier: GPL-2.0
#
#   make                 host build: build/<host-arch>/pmutrace and
#                        pmutrace-compare (+ unit tests)
#   make ARCH=arm64      static arm64 pmutrace, pmutrace-compare and pmu-stress
#   make test            the whole suite (see tests/run)
#   make deb             the arm64 Debian package (scripts/package/build-deb.sh)
#
# The BPF object is compiled once (it is the same on every architecture:
# CO-RE relocates it at load time) and embedded with bpftool's skeleton.

HOST_ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
ARCH ?= $(HOST_ARCH)
OUTPUT := build/$(ARCH)
BPF_OUT := build/bpf

CLANG ?= clang
BPFTOOL ?= bpftool
CLANG_FORMAT ?= clang-format

ifeq ($(ARCH),$(HOST_ARCH))
CC := gcc
LIBDIR :=
LDFLAGS ?=
else ifeq ($(ARCH),arm64)
CC := aarch64-linux-gnu-gcc
# scripts/install-deps.sh unpacks arm64 GSL here (it is not multiarch).
PMUTRACE_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/pmutrace
LDFLAGS ?= -static -L$(PMUTRACE_CACHE)/arm64-gsl/usr/lib/aarch64-linux-gnu
else
$(error ARCH=$(ARCH): only the host architecture and arm64 are supported)
endif

VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
# Rewritten only when the version changes, so what prints it is rebuilt.
VERSION_FILE := build/version
$(shell mkdir -p build; echo '$(VERSION)' | cmp -s - $(VERSION_FILE) || echo '$(VERSION)' > $(VERSION_FILE))
CFLAGS ?= -O2 -g
# snprintf truncating names to their buffers is intended, not a bug.
# The loader's folders (docs/ARCHITECTURE.md): each one part, headers beside
# the code. Header dependencies come from the compiler (-MMD), per object.
USER_DIRS := user/common user/trace user/export user/compare
CFLAGS += -Wall -Wextra -Werror -Wno-format-truncation -std=gnu11 -D_GNU_SOURCE \
	  -Iinclude $(addprefix -I,$(USER_DIRS)) -I$(BPF_OUT) -DPMUTRACE_VERSION='"$(VERSION)"'
DEPFLAGS = -MMD -MP
# libpsx makes libcap's changes (capabilities, bounding set, securebits,
# no_new_privs) apply to every thread, not just the caller: it must see each
# pthread_create, hence the wrap. -lpsx comes first so that, in a dynamic
# link, its psx_load_syscalls is found before libcap's weak one; -u pulls
# it into a static link even before any object starts a thread.
# OpenSSL (TLS, base64, SHA-256), libyaml and libcrypt (bcrypt) serve
# --web-config; all three have static archives for the arm64 build.
TRACER_LIBS := -lbpf -ljson-c -lelf -lz -lssl -lcrypto -lyaml -lcrypt \
	-lpsx -lcap -pthread -Wl,-wrap,pthread_create -Wl,-u,__wrap_pthread_create -lm
ifneq ($(filter -static,$(LDFLAGS)),)
TRACER_LIBS += -lzstd
endif
# pmutrace-compare (pmutrace compare, which the tracer execs): JSON in and
# out, GSL's distributions and bootstrap; no libbpf, no libelf.
COMPARE_LIBS := -ljson-c -lgsl -lgslcblas -lm
# The unit tests link every object: both.
LIBS := $(COMPARE_LIBS) $(TRACER_LIBS)
# Whatever links the tracer's objects: libbpf's load takes the kernel BTF
# that start-up parsed instead of parsing it again (btf_lookup.c).
BTF_WRAP := -Wl,--wrap=btf__load_vmlinux_btf

# -fms-extensions: 7.x kernels embed tagged structs (struct foo;) in others.
BPF_CFLAGS := -g -O2 -target bpf -Wall -Werror -fms-extensions \
	      -Wno-microsoft-anon-tag \
	      -Iinclude -I.
# clang's object has DWARF that libbpf never reads (1.1 MB of 1.6 MB):
# bpftool's linker keeps BTF and line info and leaves it out, as bcc's
# libbpf-tools do, so the skeletons embed only what is loaded.
BPF_LINK = $(BPFTOOL) gen object $@ $@.tmp.o && rm -f $@.tmp.o

# Everything but the two programs' main.c, so the unit tests can link it.
# The tracer takes all but user/compare, compare all but user/trace and
# user/export: each links only its own libraries.
MAIN_SRCS := user/trace/main.c user/compare/main.c
LOADER_SRCS := $(filter-out $(MAIN_SRCS),$(wildcard $(addsuffix /*.c,$(USER_DIRS))))
LOADER_OBJS := $(patsubst user/%.c,$(OUTPUT)/%.o,$(LOADER_SRCS)) $(OUTPUT)/trace/tracer_sess.o
TRACER_OBJS := $(filter-out $(OUTPUT)/compare/%,$(LOADER_OBJS))
COMPARE_OBJS := $(filter $(OUTPUT)/common/% $(OUTPUT)/compare/%,$(LOADER_OBJS))
UNIT_TESTS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(wildcard tests/unit/test_*.c))

.PHONY: all clean test format check-format report report-render calibration-broken bench bench-timing bench-rt bench-inline-insns inline-truth install install-sites asan fuzz deb sites-tables
GUEST_TOOLS := $(OUTPUT)/pmu-stress $(OUTPUT)/bpf-progs
all: $(OUTPUT)/pmutrace $(OUTPUT)/pmutrace-compare $(GUEST_TOOLS) \
	$(if $(filter $(ARCH),$(HOST_ARCH)),$(UNIT_TESTS) $(OUTPUT)/pmutrace-sites)

$(BPF_OUT) $(OUTPUT)/tests:
	mkdir -p $@

# bpf/pmutrace.bpf.c and what it includes; every build of it depends on all.
PMUTRACE_BPF_SRCS := bpf/pmutrace.bpf.c bpf/attrib.bpf.h bpf/kprobe.bpf.h bpf/lock.bpf.h bpf/sites.bpf.h \
	bpf/task_state.h include/pmutrace.h include/pmutrace_attrib.h vmlinux.h

$(BPF_OUT)/pmutrace.bpf.o: $(PMUTRACE_BPF_SRCS) | $(BPF_OUT)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp.o && $(BPF_LINK)

$(BPF_OUT)/pmutrace.skel.h: $(BPF_OUT)/pmutrace.bpf.o
	$(BPFTOOL) gen skeleton $< name pmutrace_bpf > $@.tmp
	mv $@.tmp $@

# The kernel's symbol index (bpf/ksym_lookup.bpf.c): start-up's lookups.
$(BPF_OUT)/ksym_lookup.bpf.o: bpf/ksym_lookup.bpf.c include/pmutrace_ksym.h vmlinux.h | $(BPF_OUT)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp.o && $(BPF_LINK)

$(BPF_OUT)/ksym_lookup.skel.h: $(BPF_OUT)/ksym_lookup.bpf.o
	$(BPFTOOL) gen skeleton $< name ksym_lookup_bpf > $@.tmp
	mv $@.tmp $@

$(OUTPUT)/trace/ksym_kernel.o: $(BPF_OUT)/ksym_lookup.skel.h

$(OUTPUT)/%.o: user/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

$(OUTPUT)/trace/cli.o $(OUTPUT)/trace/schema_write.o $(OUTPUT)/export/prometheus.o: $(VERSION_FILE)
$(OUTPUT)/trace/tracer.o $(OUTPUT)/trace/attrib.o $(OUTPUT)/trace/attrib_read.o: $(BPF_OUT)/pmutrace.skel.h

# The fsession programs' object (7.x), apart: see bpf/pmutrace.bpf.c. Same
# skeleton name, so tracer.c builds against either; its own folder first.
$(BPF_OUT)/sess/pmutrace.bpf.o: $(PMUTRACE_BPF_SRCS)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -DPMUTRACE_SESSION_OBJ -c $< -o $@.tmp.o && $(BPF_LINK)

$(BPF_OUT)/sess/pmutrace.skel.h: $(BPF_OUT)/sess/pmutrace.bpf.o
	$(BPFTOOL) gen skeleton $< name pmutrace_bpf > $@.tmp
	mv $@.tmp $@

$(OUTPUT)/trace/tracer_sess.o: user/trace/tracer.c $(BPF_OUT)/sess/pmutrace.skel.h
	@mkdir -p $(@D)
	$(CC) -I$(BPF_OUT)/sess $(CFLAGS) -DPMUTRACE_SESSION_OBJ $(DEPFLAGS) -c $< -o $@

$(OUTPUT)/pmutrace: $(OUTPUT)/trace/main.o $(TRACER_OBJS)
	$(CC) $(LDFLAGS) $^ $(TRACER_LIBS) $(BTF_WRAP) -o $@

$(OUTPUT)/pmutrace-compare: $(OUTPUT)/compare/main.o $(COMPARE_OBJS)
	$(CC) $(LDFLAGS) $^ $(COMPARE_LIBS) -o $@

# pmutrace-sites (host only): the inline-site table from a vmlinux's DWARF.
# libdw stays out of the tracer, which reads the table it writes.
# libdebuginfod finds a vmlinux by build-id (host only, like libdw).
SITES_OBJS := $(OUTPUT)/sites/sites.o $(OUTPUT)/sites/locate.o
SITES_LIBS := -ldw -lelf -ldebuginfod
$(OUTPUT)/sites/%.o: CFLAGS += -Iuser/sites
$(OUTPUT)/pmutrace-sites: $(OUTPUT)/sites/main.o $(SITES_OBJS) $(OUTPUT)/common/sitetab.o \
		$(OUTPUT)/common/atomic_file.o $(OUTPUT)/common/a64_branch.o \
		$(OUTPUT)/common/sitedir.o $(OUTPUT)/common/pmu_domain.o
	$(CC) $(LDFLAGS) $^ $(SITES_LIBS) -o $@

$(OUTPUT)/pmu-stress: tools/pmu-stress/pmu-stress.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -pthread $< -o $@

$(OUTPUT)/bpf-progs: tests/guest/bpf-progs.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(TRACER_LIBS) -o $@

-include $(LOADER_OBJS:.o=.d) $(OUTPUT)/trace/main.d $(OUTPUT)/compare/main.d

$(OUTPUT)/tests/%: tests/unit/%.c tests/unit/unit.h tests/unit/unit_helpers.h tests/unit/thread_cpu.h tests/unit/http_client.h $(LOADER_OBJS) | $(OUTPUT)/tests
	$(CC) $(CFLAGS) -Itests/unit $< $(LOADER_OBJS) $(LIBS) $(BTF_WRAP) -o $@

# test_sites_run counts kallsyms and /proc/kcore reads (link seams).
SITES_RUN_WRAP := -Wl,--wrap=ksyms_lookup -Wl,--wrap=pread
$(OUTPUT)/tests/test_sites_run: BTF_WRAP += $(SITES_RUN_WRAP)

# test_sites: the decoder and the extraction, with libdw.
$(OUTPUT)/tests/test_sites: tests/unit/test_sites.c tests/unit/unit.h $(SITES_OBJS) $(LOADER_OBJS) | $(OUTPUT)/tests
	$(CC) $(CFLAGS) -Itests/unit -Iuser/sites $< $(SITES_OBJS) $(LOADER_OBJS) $(LIBS) $(SITES_LIBS) $(BTF_WRAP) -o $@

# test_run drives main.c's run with fakes for what it calls in the tracer,
# the exporter, setup and privileges (link seams): main.c is built as
# pmutrace_main and the objects the fakes replace are left out.
RUN_FAKED := trace/tracer.o trace/setup.o trace/privileges.o trace/check.o \
	export/exporter.o
$(OUTPUT)/tests/test_run: tests/unit/test_run.c tests/unit/unit.h $(OUTPUT)/trace/main.o \
		$(filter-out $(addprefix $(OUTPUT)/,$(RUN_FAKED)),$(LOADER_OBJS)) | $(OUTPUT)/tests
	$(CC) $(CFLAGS) -Dmain=pmutrace_main -c user/trace/main.c -o $(@D)/../trace/main_for_test.o
	$(CC) $(CFLAGS) -Itests/unit $< $(@D)/../trace/main_for_test.o \
		$(filter-out $(addprefix $(OUTPUT)/,$(RUN_FAKED)),$(LOADER_OBJS)) $(LIBS) $(BTF_WRAP) -o $@

test:
	tests/run

# The arm64 Debian package, dynamically linked (debian/, build/deb/).
deb:
	scripts/package/build-deb.sh

# The inline-site tables the package ships (data/sites/), from the -dbg
# vmlinux of each Debian kernel: SITES_KERNELS="sid trixie:arm64 ..."
# (default: the kernels the lab boots, scripts/package/sites-tables.sh).
sites-tables:
	scripts/package/sites-tables.sh $(SITES_KERNELS)

# The before/after report of the RCU patch: builds two kernels, boots them.
report:
	scripts/report/report.sh

# make calibration-broken: the calibration (tests/unit/test_calibration.c)
# built with one of compare's fixes taken out at a time: Brunner-Munzel
# (spread), the call-count rule (counts), Benjamini-Hochberg (family). Each
# must print FAIL: the calibration can fail when a verdict path breaks.
# CALIB_FLAGS: e.g. tests/run's smaller count of null comparisons.
BROKEN := SPREAD COUNTS FAMILY
CALIB_FLAGS ?=
calibration-broken: $(LOADER_OBJS)
	@for b in $(BROKEN); do \
		mkdir -p $(OUTPUT)/broken-$$b && \
		$(CC) $(CFLAGS) $(CALIB_FLAGS) -DCMP_BREAK_$$b -Itests/unit tests/unit/test_calibration.c \
			$(filter-out $(OUTPUT)/compare/%,$(LOADER_OBJS)) user/compare/[!m]*.c \
			$(LIBS) $(BTF_WRAP) -o $(OUTPUT)/broken-$$b/test_calibration || exit 1; \
		n=$$($(OUTPUT)/broken-$$b/test_calibration | tee $(OUTPUT)/broken-$$b/out | grep -c '^FAIL'); \
		grep '^FAIL' $(OUTPUT)/broken-$$b/out | sed "s/^/broken $$b: /"; \
		if [ "$$n" -gt 0 ]; then echo "ok   calibration-broken: without the $$b fix $$n FAIL lines"; \
		else echo "FAIL calibration-broken: without the $$b fix the calibration still passes"; fi; \
	done

# docs/report/README.md, summary.txt (also into README.md's report section)
# and the SVGs again, from the committed raw archives only.
report-render: $(OUTPUT)/pmutrace $(OUTPUT)/pmutrace-compare
	rm -f docs/report/*.svg
	python3 scripts/report/render.py --pmutrace $(OUTPUT)/pmutrace -o docs/report \
		--insns docs/performance/raw.tar.xz --inline docs/inline/patch --readme README.md \
		docs/report/raw.tar.xz

# Every benchmark of docs/performance.md in one run: overhead in time against
# the empty-program floor and bcc's tools, instructions per call and per
# unrelated operation, and PREEMPT_RT's untimed calls. Each replaces its part
# of docs/performance/raw.tar.xz and renders the page again.
bench: bench-timing bench-insns bench-rt

bench-timing:
	scripts/bench/bench.sh

bench-rt:
	scripts/bench/bench-rt.sh

# The inline part of bench-insns alone (its last step): instructions per
# SET_PMU call and per vCPU init with no tracer, with the inlined readers
# timed through their callers, and at their inline sites (kprobes; the table
# from sid's -dbg vmlinux): 5 boots of 3 rotated rounds, raw/insns/<release>-inline/
# of docs/performance/raw.tar.xz. Then the same booted with nokaslr and
# counted inside kvm_arch_vcpu_ioctl too (its addresses from the vmlinux),
# which holds both operations' tracer work: a vCPU init's whole window
# drifts by more than a tracer costs (<release>-nokaslr-inline/).
INLINE_INSNS := BENCH_VARIANTS="none caller inline" BENCH_WORKLOADS="sp vi" \
	BENCH_SITES="kvm_arm_pmu_v3_set_pmu kvm_pmu_probe_armpmu"
bench-inline-insns:
	$(INLINE_INSNS) BENCH_RAW_SUFFIX=-inline scripts/bench/bench-insns.sh sid
	$(INLINE_INSNS) BENCH_RAW_SUFFIX=-nokaslr-inline BENCH_SPANS=kvm_arch_vcpu_ioctl \
		scripts/bench/bench-insns.sh sid

# The inline sites' ground truth of tests/inline-patch-e2e.sh, RUNS boots of
# each before/after kernel, alternating: raw files in docs/inline/patch/runs/,
# then the README's tables from them (scripts/report/inline_truth.py).
RUNS ?= 5
inline-truth: all
	$(MAKE) ARCH=arm64
	scripts/report/inline-truth.sh $(RUNS)

# The floor of the benchmark: empty fentry/fexit programs.
$(BPF_OUT)/bench_empty.bpf.o: tests/bench/bench_empty.bpf.c vmlinux.h | $(BPF_OUT)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp.o && $(BPF_LINK)

$(BPF_OUT)/bench_empty.skel.h: $(BPF_OUT)/bench_empty.bpf.o
	$(BPFTOOL) gen skeleton $< name bench_empty_bpf > $@.tmp
	mv $@.tmp $@

$(OUTPUT)/empty_probe: tests/bench/empty_probe.c tests/bench/probe_common.h $(BPF_OUT)/bench_empty.skel.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(LIBS) -o $@

FORMAT_FILES = bpf/*.c bpf/*.h $(addsuffix /*.[ch],$(USER_DIRS) user/sites) include/*.h tests/unit/*.[ch] tools/*/*.c
format:
	$(CLANG_FORMAT) -i $(wildcard $(FORMAT_FILES))

check-format:
	$(CLANG_FORMAT) --dry-run --Werror $(wildcard $(FORMAT_FILES))

clean:
	rm -rf build

# ---------------------------------------------------------------------------
# Sanitizers and fuzzing (host only), and installation.

# make asan: the unit tests built with ASan + UBSan (LeakSanitizer on) in
# build/asan, apart from the normal objects, then run with the BTF of
# Debian's sid and trixie arm64 kernels as tests/run gives them. Prints the
# tests' ok/FAIL lines, and a FAIL line for a binary that exits non-zero
# (every sanitizer report does: nothing recovers).
ASAN_OUT := build/asan
ASAN_CC ?= gcc
ASAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	      -fno-omit-frame-pointer
ASAN_OBJS := $(patsubst user/%.c,$(ASAN_OUT)/%.o,$(LOADER_SRCS)) $(ASAN_OUT)/trace/tracer_sess.o
ASAN_TESTS := $(patsubst tests/unit/%.c,$(ASAN_OUT)/tests/%,$(wildcard tests/unit/test_*.c))
# The calibration's counts are the plain build's to judge; under the
# sanitizers one seed of 200 comparisons walks the same code in seconds.
$(ASAN_OUT)/tests/test_calibration: ASAN_FLAGS += -DSEEDS=1 -DNULL_CMPS=200

# test_tracer_cpus answers libbpf_num_possible_cpus itself (a link seam).
$(OUTPUT)/tests/test_tracer_cpus $(ASAN_OUT)/tests/test_tracer_cpus: \
	LIBS += -Wl,--wrap=libbpf_num_possible_cpus

ASAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

$(ASAN_OUT) $(ASAN_OUT)/tests:
	mkdir -p $@

$(ASAN_OUT)/%.o: user/%.c
	@mkdir -p $(@D)
	$(ASAN_CC) $(CFLAGS) $(DEPFLAGS) $(ASAN_FLAGS) -c $< -o $@

$(ASAN_OUT)/trace/cli.o $(ASAN_OUT)/trace/schema_write.o $(ASAN_OUT)/export/prometheus.o: $(VERSION_FILE)
$(ASAN_OUT)/trace/tracer.o $(ASAN_OUT)/trace/attrib.o $(ASAN_OUT)/trace/attrib_read.o: $(BPF_OUT)/pmutrace.skel.h
$(ASAN_OUT)/trace/ksym_kernel.o: $(BPF_OUT)/ksym_lookup.skel.h
$(ASAN_OUT)/trace/tracer_sess.o: user/trace/tracer.c $(BPF_OUT)/sess/pmutrace.skel.h
	@mkdir -p $(@D)
	$(ASAN_CC) -I$(BPF_OUT)/sess $(CFLAGS) -DPMUTRACE_SESSION_OBJ $(ASAN_FLAGS) -c $< -o $@
-include $(ASAN_OBJS:.o=.d)

$(ASAN_OUT)/tests/%: tests/unit/%.c tests/unit/unit.h tests/unit/unit_helpers.h tests/unit/thread_cpu.h tests/unit/http_client.h $(ASAN_OBJS) | $(ASAN_OUT)/tests
	$(ASAN_CC) $(CFLAGS) $(ASAN_FLAGS) -Itests/unit $< $(ASAN_OBJS) $(LIBS) $(BTF_WRAP) -o $@

$(ASAN_OUT)/tests/test_run: tests/unit/test_run.c tests/unit/unit.h user/trace/main.c \
		$(filter-out $(addprefix $(ASAN_OUT)/,$(RUN_FAKED)),$(ASAN_OBJS)) | $(ASAN_OUT)/tests
	$(ASAN_CC) $(CFLAGS) $(ASAN_FLAGS) -Dmain=pmutrace_main -c user/trace/main.c -o $(@D)/../trace/main_for_test.o
	$(ASAN_CC) $(CFLAGS) $(ASAN_FLAGS) -Itests/unit $< $(@D)/../trace/main_for_test.o \
		$(filter-out $(addprefix $(ASAN_OUT)/,$(RUN_FAKED)),$(ASAN_OBJS)) $(LIBS) $(BTF_WRAP) -o $@

$(ASAN_OUT)/tests/test_sites_run: BTF_WRAP += $(SITES_RUN_WRAP)
ASAN_SITES := $(patsubst $(OUTPUT)/%,$(ASAN_OUT)/%,$(SITES_OBJS))
$(ASAN_OUT)/sites/%.o: CFLAGS += -Iuser/sites
$(ASAN_OUT)/tests/test_sites: tests/unit/test_sites.c tests/unit/unit.h $(ASAN_SITES) $(ASAN_OBJS) | $(ASAN_OUT)/tests
	$(ASAN_CC) $(CFLAGS) $(ASAN_FLAGS) -Itests/unit -Iuser/sites $< $(ASAN_SITES) $(ASAN_OBJS) \
		$(LIBS) $(SITES_LIBS) $(BTF_WRAP) -o $@

asan: $(ASAN_OBJS) $(ASAN_TESTS)
	@sid=$${PMUTRACE_BTF_SID:-$$(scripts/lab/fetch-kernel.sh sid)/btf} || exit 1; \
	trixie=$${PMUTRACE_BTF_TRIXIE:-$$(scripts/lab/fetch-kernel.sh trixie)/btf} || exit 1; \
	rc=0; \
	for t in $(ASAN_TESTS); do \
		PMUTRACE_BTF_SID=$$sid PMUTRACE_BTF_TRIXIE=$$trixie $(ASAN_ENV) \
			$$t 2>&1 || { echo "FAIL $$t exited non-zero (sanitizer report above)"; rc=1; }; \
	done; \
	exit $$rc

# make fuzz [FUZZ_SECONDS=60]: libFuzzer on the JSON reader behind
# pmutrace compare (tests/fuzz/README.md). It works on a copy of the seeds
# in build/fuzz/corpus: tests/fixtures/*.json, tests/fuzz/corpus, and two
# made here that pass the reader's value and size limits. tests/fuzz/corpus
# only changes by hand; a crashing input lands in build/fuzz/artifacts/.
# -max_len: above the reader's 4 MiB cap (schema_read.c MAX_DOC), so inputs
# can reach every limit; libFuzzer's default is 4 KB.
FUZZ_OUT := build/fuzz
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_MAX_LEN := 4259840
FUZZ_SRCS := tests/fuzz/fuzz_report_read.c \
	     $(filter-out user/compare/main.c,$(wildcard user/compare/*.c)) \
	     $(addprefix user/,common/schema_read.c common/stats.c common/pmu_domain.c common/text.c \
	     common/atomic_file.c common/names.c)
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	      -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE -Iinclude $(addprefix -I,$(USER_DIRS)) -I$(BPF_OUT) \
	      -DPMUTRACE_VERSION='"fuzz"'

$(FUZZ_OUT)/fuzz_report_read: $(FUZZ_SRCS) $(wildcard $(addsuffix /*.h,$(USER_DIRS))) include/pmutrace.h
	mkdir -p $(FUZZ_OUT)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(FUZZ_SRCS) -lbpf -ljson-c -lgsl -lgslcblas -lm -o $@

fuzz: $(FUZZ_OUT)/fuzz_report_read
	@rm -rf $(FUZZ_OUT)/corpus $(FUZZ_OUT)/artifacts
	@mkdir -p $(FUZZ_OUT)/corpus $(FUZZ_OUT)/artifacts
	@cp tests/fixtures/*.json tests/fuzz/corpus/* $(FUZZ_OUT)/corpus/
	@{ printf '['; yes '1,' | head -n 100000 | tr -d '\n'; printf '1]'; } \
		>$(FUZZ_OUT)/corpus/limit-values.json
	@{ printf '{'; head -c 4194304 /dev/zero | tr '\0' ' '; printf '}'; } \
		>$(FUZZ_OUT)/corpus/limit-size.json
	@echo "fuzz: $(FUZZ_SECONDS) s, log in $(FUZZ_OUT)/fuzz.log"
	@$< -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
		-max_len=$(FUZZ_MAX_LEN) \
		-dict=tests/fuzz/pmutrace.dict -print_final_stats=1 \
		-artifact_prefix=$(FUZZ_OUT)/artifacts/ $(FUZZ_OUT)/corpus \
		>$(FUZZ_OUT)/fuzz.log 2>&1 || { \
		tail -n 40 $(FUZZ_OUT)/fuzz.log; \
		echo "fuzz: FAILED, input in $$(ls $(FUZZ_OUT)/artifacts/* 2>/dev/null | head -n 1)"; \
		exit 1; }
	@echo "fuzz: $$(sed -n 's/^stat::number_of_executed_units: *//p' $(FUZZ_OUT)/fuzz.log) execs," \
		"$$(sed -n 's/^stat::average_exec_per_sec: *//p' $(FUZZ_OUT)/fuzz.log) execs/s, no crash"

# make install [PREFIX=/usr/local] [DESTDIR=]: the build of ARCH (the host's
# by default; ARCH=arm64 stages the static arm64 binaries) into
# $(DESTDIR)$(PREFIX). pmu-stress is a test workload that creates VMs, not a
# command for PATH, so it goes to libexec/pmutrace.
# The inline-site tables (data/sites/) go where pmutrace --sites auto looks,
# whatever PREFIX: the one directory compiled in (user/common/sitedir.h), as
# the package installs them (make install-sites DESTDIR=...).
PREFIX ?= /usr/local
INSTALL ?= install
SITES_SHIPPED_DIR := $(shell sed -n 's/^\#define SITES_SHIPPED_DIR "\(.*\)"$$/\1/p' user/common/sitedir.h)

install-sites:
	$(INSTALL) -d $(DESTDIR)$(SITES_SHIPPED_DIR)
	$(INSTALL) -m 0644 data/sites/*.sites $(DESTDIR)$(SITES_SHIPPED_DIR)/

install: $(OUTPUT)/pmutrace $(OUTPUT)/pmutrace-compare $(OUTPUT)/pmu-stress install-sites
	$(INSTALL) -D -m 0755 $(OUTPUT)/pmutrace $(DESTDIR)$(PREFIX)/sbin/pmutrace
	$(INSTALL) -D -m 0755 $(OUTPUT)/pmutrace-compare $(DESTDIR)$(PREFIX)/sbin/pmutrace-compare
	$(INSTALL) -D -m 0755 $(OUTPUT)/pmu-stress $(DESTDIR)$(PREFIX)/libexec/pmutrace/pmu-stress
	$(INSTALL) -D -m 0644 docs/pmutrace.8 $(DESTDIR)$(PREFIX)/share/man/man8/pmutrace.8
	$(INSTALL) -D -m 0644 docs/pmutrace.schema.json \
		$(DESTDIR)$(PREFIX)/share/pmutrace/pmutrace.schema.json

# make fuzz-http, make fuzz-webconfig [FUZZ_SECONDS=60]: libFuzzer on what
# the metrics server reads from the network and from --web-config, each
# on a copy of its seed corpus (tests/fuzz/corpus-http, corpus-webconfig)
# in build/fuzz/<name>/; a crashing input lands in its artifacts/.
FUZZ_NET_LIBS := -lssl -lcrypto -lyaml -lcrypt
$(FUZZ_OUT)/fuzz_http_request: tests/fuzz/fuzz_http_request.c user/export/http_request.c user/export/http_request.h
	mkdir -p $(FUZZ_OUT)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(filter %.c,$^) $(FUZZ_NET_LIBS) -o $@

$(FUZZ_OUT)/fuzz_webconfig: tests/fuzz/fuzz_webconfig.c user/export/webconfig.c user/export/http_request.c user/export/webconfig.h
	mkdir -p $(FUZZ_OUT)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(filter %.c,$^) $(FUZZ_NET_LIBS) -o $@

# run_fuzzer NAME BINARY CORPUS
define run_fuzzer
	@rm -rf $(FUZZ_OUT)/$(1)
	@mkdir -p $(FUZZ_OUT)/$(1)/corpus $(FUZZ_OUT)/$(1)/artifacts
	@cp $(3)/* $(FUZZ_OUT)/$(1)/corpus/
	@echo "fuzz-$(1): $(FUZZ_SECONDS) s, log in $(FUZZ_OUT)/$(1)/fuzz.log"
	@$(2) -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
		-max_len=16384 -print_final_stats=1 \
		-artifact_prefix=$(FUZZ_OUT)/$(1)/artifacts/ $(FUZZ_OUT)/$(1)/corpus \
		>$(FUZZ_OUT)/$(1)/fuzz.log 2>&1 || { \
		tail -n 40 $(FUZZ_OUT)/$(1)/fuzz.log; \
		echo "fuzz-$(1): FAILED, input in $$(ls $(FUZZ_OUT)/$(1)/artifacts/* 2>/dev/null | head -n 1)"; \
		exit 1; }
	@echo "fuzz-$(1): $$(sed -n 's/^stat::number_of_executed_units: *//p' $(FUZZ_OUT)/$(1)/fuzz.log) execs," \
		"$$(sed -n 's/^stat::average_exec_per_sec: *//p' $(FUZZ_OUT)/$(1)/fuzz.log) execs/s, no crash"
endef

.PHONY: fuzz-http fuzz-webconfig
fuzz-http: $(FUZZ_OUT)/fuzz_http_request
	$(call run_fuzzer,http,$<,tests/fuzz/corpus-http)

fuzz-webconfig: $(FUZZ_OUT)/fuzz_webconfig
	$(call run_fuzzer,webconfig,$<,tests/fuzz/corpus-webconfig)

# The limit of the instruction benchmark: the minimal latency tracer.
$(BPF_OUT)/bench_limit.bpf.o: tests/bench/bench_limit.bpf.c include/pmutrace.h vmlinux.h | $(BPF_OUT)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp.o && $(BPF_LINK)

$(BPF_OUT)/bench_limit.skel.h: $(BPF_OUT)/bench_limit.bpf.o
	$(BPFTOOL) gen skeleton $< name bench_limit_bpf > $@.tmp
	mv $@.tmp $@

$(BPF_OUT)/bench_limit_sess.bpf.o: tests/bench/bench_limit.bpf.c include/pmutrace.h vmlinux.h | $(BPF_OUT)
	$(CLANG) $(BPF_CFLAGS) -DLIMIT_SESSION -c $< -o $@.tmp.o && $(BPF_LINK)

$(BPF_OUT)/bench_limit_sess.skel.h: $(BPF_OUT)/bench_limit_sess.bpf.o
	$(BPFTOOL) gen skeleton $< name bench_limit_sess_bpf > $@.tmp
	mv $@.tmp $@

$(OUTPUT)/limit_probe: tests/bench/limit_probe.c tests/bench/probe_common.h $(BPF_OUT)/bench_limit.skel.h $(BPF_OUT)/bench_limit_sess.skel.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(LIBS) -o $@

# tools/insn-count: the QEMU TCG plugin that counts guest instructions
# between pmu-stress's markers (header from Debian's QEMU source).
build/insn-count/insn-count.so: tools/insn-count/insn-count.c
	@mkdir -p $(@D)
	hdr=$$(tools/insn-count/fetch-header.sh) && \
		gcc -O2 -Wall -Wextra -Werror -shared -fPIC -I"$$hdr" $< -o $@

.PHONY: bench-insns
# Instructions per traced call and per unrelated operation
# (docs/performance.md); scripts/bench/bench-insns.sh. Then sid's PREEMPT_RT
# kernel, where default mode uses kprobes: the limits of fsession, kprobes
# and kprobe.multi, and pmutrace default, forced fsession and single. Then
# trixie's 6.12 (fentry/fexit) and bookworm's 6.1 (kprobes), which have no
# kvm_supports_guest_pmuv3: SET_PMU on kvm_arm_pmu_v3_set_attr, against the
# minimal tracer of the same probe kind with task storage. Last, inline sites
# against the caller fallback (bench-inline-insns).
RT_INSN_VARIANTS := none empty empty_default limit limit_kprobe limit_kmulti default fsession single
bench-insns:
	scripts/bench/bench-insns.sh
	BENCH_VARIANTS="$(RT_INSN_VARIANTS)" scripts/bench/bench-insns.sh \
		$$(scripts/lab/fetch-kernel.sh sid rt-arm64)
	BENCH_TARGET=kvm_arm_pmu_v3_set_attr BENCH_WORKLOADS=sp \
		BENCH_VARIANTS="none empty limit_fentry default single" scripts/bench/bench-insns.sh trixie
	BENCH_TARGET=kvm_arm_pmu_v3_set_attr BENCH_WORKLOADS=sp \
		BENCH_VARIANTS="none limit_kprobe default single" scripts/bench/bench-insns.sh bookworm
	$(MAKE) bench-inline-insns

# The breakdown's builds (scripts/bench/bench-insns.sh): pmutrace with parts of
# the per-call work compiled out, -DPMUTRACE_BENCH_SKIP=<BENCH_SKIP_* bits>.
BENCH_SKIPS := 1 2 4 8 15
.PHONY: bench-skip
bench-skip: $(foreach n,$(BENCH_SKIPS),$(OUTPUT)/bench/pmutrace-skip$(n))

$(BPF_OUT)/skip%/pmutrace.bpf.o: $(PMUTRACE_BPF_SRCS)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -DPMUTRACE_SESSION_OBJ -DPMUTRACE_BENCH_SKIP=$* -c $< -o $@.tmp.o && $(BPF_LINK)

$(BPF_OUT)/skip%/pmutrace.skel.h: $(BPF_OUT)/skip%/pmutrace.bpf.o
	$(BPFTOOL) gen skeleton $< name pmutrace_bpf > $@.tmp
	mv $@.tmp $@

# Its own skeleton first in the include path.
$(OUTPUT)/bench/skip%/tracer_sess.o: user/trace/tracer.c $(BPF_OUT)/skip%/pmutrace.skel.h
	@mkdir -p $(@D)
	$(CC) -I$(BPF_OUT)/skip$* $(CFLAGS) -DPMUTRACE_SESSION_OBJ -c $< -o $@

$(OUTPUT)/bench/pmutrace-skip%: $(OUTPUT)/trace/main.o $(filter-out $(OUTPUT)/trace/tracer_sess.o,$(TRACER_OBJS)) $(OUTPUT)/bench/skip%/tracer_sess.o
	$(CC) $(LDFLAGS) $^ $(TRACER_LIBS) $(BTF_WRAP) -o $@

.PHONY: bench-rcu-insns
# Issue 10: instructions per reader call before vs after the RCU patch, no
# tracer, 1 vCPU, 5 boots of 3 rounds each (docs/performance.md, "rcu"
# section); and of them, those in the lock's functions and their RCU
# replacement (uncontended, so the slow paths should count 0). Names missing
# from a kernel's System.map are left out (scripts/bench/ranges.py). The
# readers themselves (READER_FUNCS, with kvm_pmu_probe_armpmu inlined into
# kvm_arm_set_default_pmu and kvm_arm_pmu_v3_set_pmu into _set_attr) are
# counted with their callees: path length per call and the lock's share.
LOCK_FUNCS := mutex_lock mutex_lock_killable mutex_lock_interruptible \
	mutex_lock_io mutex_trylock mutex_unlock __mutex_lock_slowpath \
	__mutex_lock_killable_slowpath __mutex_lock_interruptible_slowpath \
	__mutex_lock.constprop.0 __mutex_unlock_slowpath.constprop.0 \
	__rcu_read_lock __rcu_read_unlock rcu_read_unlock_special
READER_FUNCS := kvm_supports_guest_pmuv3 kvm_arm_pmu_v3_set_attr kvm_arm_set_default_pmu
bench-rcu-insns:
	k=$$(scripts/lab/build-kernels.sh | sed -n 's/^ *\(before\|after\): *\([^ ]*\).*/\2/p') && \
	BENCH_BOOTS=$${BENCH_BOOTS:-5} BENCH_ROUNDS=$${BENCH_ROUNDS:-3} BENCH_VARIANTS=none \
		BENCH_WORKLOADS="ce sp vi" BENCH_RANGES="$(LOCK_FUNCS)" BENCH_SPANS="$(READER_FUNCS)" \
		scripts/bench/bench-insns.sh $$k
