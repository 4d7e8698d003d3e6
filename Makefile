# SPDX-License-Identifier: GPL-2.0
#
#   make                 host build: build/<host-arch>/pmutrace (+ unit tests)
#   make ARCH=arm64      static arm64 pmutrace and pmu-stress for the guest
#   make test            the whole suite (see tests/run)
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
CFLAGS += -Wall -Wextra -Werror -Wno-format-truncation -std=gnu11 -D_GNU_SOURCE \
	  -Iinclude -Iuser -I$(BPF_OUT) -DPMUTRACE_VERSION='"$(VERSION)"'
LIBS := -lbpf -ljson-c -lgsl -lgslcblas -lelf -lz -lm
ifneq ($(filter -static,$(LDFLAGS)),)
LIBS += -lzstd -pthread
endif

# -fms-extensions: 7.x kernels embed tagged structs (struct foo;) in others.
BPF_CFLAGS := -g -O2 -target bpf -Wall -Werror -fms-extensions \
	      -Wno-microsoft-anon-tag -D__TARGET_ARCH_arm64 \
	      -Iinclude -I.

LOADER_SRCS := cli.c setup.c check.c resolve.c kallsyms.c stats.c render.c json_out.c tracer.c \
	       report_read.c compare.c compare_render.c prometheus.c exporter.c
LOADER_OBJS := $(addprefix $(OUTPUT)/,$(LOADER_SRCS:.c=.o))
UNIT_TESTS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(wildcard tests/unit/test_*.c))

.PHONY: all clean test format check-format report
GUEST_TOOLS := $(OUTPUT)/pmu-stress $(OUTPUT)/bpf-progs
all: $(OUTPUT)/pmutrace $(GUEST_TOOLS) $(if $(filter $(ARCH),$(HOST_ARCH)),$(UNIT_TESTS))

$(BPF_OUT) $(OUTPUT) $(OUTPUT)/tests:
	mkdir -p $@

$(BPF_OUT)/pmutrace.bpf.o: bpf/pmutrace.bpf.c include/pmutrace.h vmlinux.h | $(BPF_OUT)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BPF_OUT)/pmutrace.skel.h: $(BPF_OUT)/pmutrace.bpf.o
	$(BPFTOOL) gen skeleton $< name pmutrace_bpf > $@.tmp
	mv $@.tmp $@

$(OUTPUT)/%.o: user/%.c user/*.h include/pmutrace.h | $(OUTPUT)
	$(CC) $(CFLAGS) -c $< -o $@

$(OUTPUT)/cli.o $(OUTPUT)/json_out.o $(OUTPUT)/prometheus.o: $(VERSION_FILE)

$(OUTPUT)/tracer.o: user/tracer.c $(BPF_OUT)/pmutrace.skel.h user/*.h include/pmutrace.h | $(OUTPUT)
	$(CC) $(CFLAGS) -c $< -o $@

$(OUTPUT)/pmutrace: $(OUTPUT)/main.o $(LOADER_OBJS)
	$(CC) $(LDFLAGS) $^ $(LIBS) -o $@

$(OUTPUT)/pmu-stress: user/pmu-stress.c | $(OUTPUT)
	$(CC) $(CFLAGS) $(LDFLAGS) -pthread $< -o $@

$(OUTPUT)/bpf-progs: tests/guest/bpf-progs.c | $(OUTPUT)
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(LIBS) -o $@

$(OUTPUT)/tests/%: tests/unit/%.c tests/unit/unit.h $(LOADER_OBJS) | $(OUTPUT)/tests
	$(CC) $(CFLAGS) -Itests/unit $< $(LOADER_OBJS) $(LIBS) -o $@

test:
	tests/run

# The before/after report of the RCU patch: builds two kernels, boots them.
report:
	scripts/report.sh

format:
	$(CLANG_FORMAT) -i bpf/*.c user/*.c user/*.h include/*.h tests/unit/*.c tests/unit/*.h

check-format:
	$(CLANG_FORMAT) --dry-run --Werror bpf/*.c user/*.c user/*.h include/*.h tests/unit/*.c tests/unit/*.h

clean:
	rm -rf build
