# SPDX-License-Identifier: GPL-2.0
#
#   make                 host build: build/<host-arch>/pmutrace (+ unit tests)
#   make ARCH=arm64      static arm64 pmutrace and pmu-stress for the guest
#   make test            the whole suite (see tests/run)
#   make deb             the arm64 Debian package (scripts/build-deb.sh)
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
LIBS := -lbpf -ljson-c -lgsl -lgslcblas -lelf -lz -lm
ifneq ($(filter -static,$(LDFLAGS)),)
LIBS += -lzstd -pthread
endif

# -fms-extensions: 7.x kernels embed tagged structs (struct foo;) in others.
BPF_CFLAGS := -g -O2 -target bpf -Wall -Werror -fms-extensions \
	      -Wno-microsoft-anon-tag -D__TARGET_ARCH_arm64 \
	      -Iinclude -I.

# Everything but main.c, so the unit tests can link it.
LOADER_SRCS := $(filter-out user/trace/main.c,$(wildcard $(addsuffix /*.c,$(USER_DIRS))))
LOADER_OBJS := $(patsubst user/%.c,$(OUTPUT)/%.o,$(LOADER_SRCS))
UNIT_TESTS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(wildcard tests/unit/test_*.c))

.PHONY: all clean test format check-format report bench install asan fuzz deb
GUEST_TOOLS := $(OUTPUT)/pmu-stress $(OUTPUT)/bpf-progs
all: $(OUTPUT)/pmutrace $(GUEST_TOOLS) $(if $(filter $(ARCH),$(HOST_ARCH)),$(UNIT_TESTS))

$(BPF_OUT) $(OUTPUT)/tests:
	mkdir -p $@

$(BPF_OUT)/pmutrace.bpf.o: bpf/pmutrace.bpf.c include/pmutrace.h vmlinux.h | $(BPF_OUT)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BPF_OUT)/pmutrace.skel.h: $(BPF_OUT)/pmutrace.bpf.o
	$(BPFTOOL) gen skeleton $< name pmutrace_bpf > $@.tmp
	mv $@.tmp $@

$(OUTPUT)/%.o: user/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

$(OUTPUT)/trace/cli.o $(OUTPUT)/common/schema_write.o $(OUTPUT)/export/prometheus.o: $(VERSION_FILE)
$(OUTPUT)/trace/tracer.o: $(BPF_OUT)/pmutrace.skel.h

$(OUTPUT)/pmutrace: $(OUTPUT)/trace/main.o $(LOADER_OBJS)
	$(CC) $(LDFLAGS) $^ $(LIBS) -o $@

$(OUTPUT)/pmu-stress: tools/pmu-stress/pmu-stress.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -pthread $< -o $@

$(OUTPUT)/bpf-progs: tests/guest/bpf-progs.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(LIBS) -o $@

-include $(LOADER_OBJS:.o=.d) $(OUTPUT)/trace/main.d

$(OUTPUT)/tests/%: tests/unit/%.c tests/unit/unit.h $(LOADER_OBJS) | $(OUTPUT)/tests
	$(CC) $(CFLAGS) -Itests/unit $< $(LOADER_OBJS) $(LIBS) -o $@

test:
	tests/run

# The arm64 Debian package, dynamically linked (debian/, build/deb/).
deb:
	scripts/build-deb.sh

# The before/after report of the RCU patch: builds two kernels, boots them.
report:
	scripts/report.sh

# Overhead against the empty-program floor and bcc's tools (docs/performance.md).
bench:
	scripts/bench.sh

# The floor of the benchmark: empty fentry/fexit programs.
$(BPF_OUT)/bench_empty.bpf.o: tests/bench/bench_empty.bpf.c vmlinux.h | $(BPF_OUT)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BPF_OUT)/bench_empty.skel.h: $(BPF_OUT)/bench_empty.bpf.o
	$(BPFTOOL) gen skeleton $< name bench_empty_bpf > $@.tmp
	mv $@.tmp $@

$(OUTPUT)/empty_probe: tests/bench/empty_probe.c $(BPF_OUT)/bench_empty.skel.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(LIBS) -o $@

FORMAT_FILES = bpf/*.c $(addsuffix /*.[ch],$(USER_DIRS)) include/*.h tests/unit/*.[ch]
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
ASAN_OBJS := $(patsubst user/%.c,$(ASAN_OUT)/%.o,$(LOADER_SRCS))
ASAN_TESTS := $(patsubst tests/unit/%.c,$(ASAN_OUT)/tests/%,$(wildcard tests/unit/test_*.c))
ASAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

$(ASAN_OUT) $(ASAN_OUT)/tests:
	mkdir -p $@

$(ASAN_OUT)/%.o: user/%.c
	@mkdir -p $(@D)
	$(ASAN_CC) $(CFLAGS) $(DEPFLAGS) $(ASAN_FLAGS) -c $< -o $@

$(ASAN_OUT)/trace/cli.o $(ASAN_OUT)/common/schema_write.o $(ASAN_OUT)/export/prometheus.o: $(VERSION_FILE)
$(ASAN_OUT)/trace/tracer.o: $(BPF_OUT)/pmutrace.skel.h
-include $(ASAN_OBJS:.o=.d)

$(ASAN_OUT)/tests/%: tests/unit/%.c tests/unit/unit.h $(ASAN_OBJS) | $(ASAN_OUT)/tests
	$(ASAN_CC) $(CFLAGS) $(ASAN_FLAGS) -Itests/unit $< $(ASAN_OBJS) $(LIBS) -o $@

asan: $(ASAN_OBJS) $(ASAN_TESTS)
	@sid=$${PMUTRACE_BTF_SID:-$$(scripts/fetch-kernel.sh sid)/btf} || exit 1; \
	trixie=$${PMUTRACE_BTF_TRIXIE:-$$(scripts/fetch-kernel.sh trixie)/btf} || exit 1; \
	rc=0; \
	for t in $(ASAN_TESTS); do \
		PMUTRACE_BTF_SID=$$sid PMUTRACE_BTF_TRIXIE=$$trixie $(ASAN_ENV) \
			$$t 2>&1 || { echo "FAIL $$t exited non-zero (sanitizer report above)"; rc=1; }; \
	done; \
	exit $$rc

# make fuzz [FUZZ_SECONDS=60]: libFuzzer on the JSON reader behind
# pmutrace compare (tests/fuzz/README.md). It works on a copy of the seed
# corpus in build/fuzz/corpus, so tests/fuzz/corpus only changes by hand;
# a crashing input lands in build/fuzz/artifacts/.
FUZZ_OUT := build/fuzz
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SRCS := tests/fuzz/fuzz_report_read.c \
	     $(addprefix user/,common/schema_read.c compare/compare.c compare/compare_render.c \
	     common/stats.c trace/render.c trace/resolve.c)
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	      -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE -Iinclude $(addprefix -I,$(USER_DIRS)) -I$(BPF_OUT) \
	      -DPMUTRACE_VERSION='"fuzz"'

$(FUZZ_OUT)/fuzz_report_read: $(FUZZ_SRCS) $(wildcard $(addsuffix /*.h,$(USER_DIRS))) include/pmutrace.h
	mkdir -p $(FUZZ_OUT)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(FUZZ_SRCS) -lbpf -ljson-c -lgsl -lgslcblas -lm -o $@

fuzz: $(FUZZ_OUT)/fuzz_report_read
	@rm -rf $(FUZZ_OUT)/corpus $(FUZZ_OUT)/artifacts
	@mkdir -p $(FUZZ_OUT)/corpus $(FUZZ_OUT)/artifacts
	@cp tests/fuzz/corpus/* $(FUZZ_OUT)/corpus/
	@echo "fuzz: $(FUZZ_SECONDS) s, log in $(FUZZ_OUT)/fuzz.log"
	@$< -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
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
PREFIX ?= /usr/local
INSTALL ?= install

install: $(OUTPUT)/pmutrace $(OUTPUT)/pmu-stress
	$(INSTALL) -D -m 0755 $(OUTPUT)/pmutrace $(DESTDIR)$(PREFIX)/sbin/pmutrace
	$(INSTALL) -D -m 0755 $(OUTPUT)/pmu-stress $(DESTDIR)$(PREFIX)/libexec/pmutrace/pmu-stress
	$(INSTALL) -D -m 0644 docs/pmutrace.8 $(DESTDIR)$(PREFIX)/share/man/man8/pmutrace.8
	$(INSTALL) -D -m 0644 docs/pmutrace.schema.json \
		$(DESTDIR)$(PREFIX)/share/pmutrace/pmutrace.schema.json
