# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# osiscope: bpf/*.bpf.c -> .output/*.bpf.o -> .output/*.skel.h -> ./osiscope
.DELETE_ON_ERROR:
.SECONDARY:
.DEFAULT_GOAL := all

OUTPUT      ?= .output
CLANG       ?= clang
LLVM_STRIP  ?= llvm-strip
BPFTOOL     ?= bpftool
CC          ?= cc
ARCH        := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VMLINUX_DIR := vmlinux/$(ARCH)
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
VERSION     := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GIT_REV     := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

# Collectors: bpf/NAME.bpf.c + bpf/NAME.h + user/NAME.c each, found by their files (each
# user/NAME.c registers itself: see COLLECTOR_REGISTER in user/collector.h). `make
# LAYERS="tcp dns"` builds only those (the others report "not built"); BIN and OUTPUT
# let several trees of the same checkout build side by side.
BIN         ?= osiscope
ALL_LAYERS  := $(patsubst bpf/%.bpf.c,%,$(wildcard bpf/*.bpf.c))
LAYERS      ?= $(ALL_LAYERS)
override LAYERS := $(filter $(ALL_LAYERS),$(LAYERS))
UNBUILT     := $(filter-out $(LAYERS),$(ALL_LAYERS))
BPF_SRCS    := $(patsubst %,bpf/%.bpf.c,$(LAYERS))
BPF_OBJS    := $(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.bpf.o,$(BPF_SRCS))
# the agent's own programs, no collector's (bpf/agent/NAME.bpf.c -> .output/NAME.skel.h)
AGENT_SKELS := $(patsubst bpf/agent/%.bpf.c,$(OUTPUT)/%.skel.h,$(wildcard bpf/agent/*.bpf.c))
SKELS       := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS)) $(AGENT_SKELS)

CORE_SRCS   := $(filter-out user/main.c $(ALL_LAYERS:%=user/%.c),$(wildcard user/*.c))
LIB_SRCS    := $(CORE_SRCS) $(LAYERS:%=user/%.c) $(wildcard exporters/*.c)
LIB_OBJS    := $(patsubst %.c,$(OUTPUT)/%.o,$(LIB_SRCS))
MAIN_OBJ    := $(OUTPUT)/user/main.o
UNIT_SRCS   := $(wildcard tests/unit/*.c)
UNIT_OBJS   := $(patsubst %.c,$(OUTPUT)/%.o,$(UNIT_SRCS))
HELPER_SRCS := $(wildcard tests/helpers/*.c)
HELPERS     := $(patsubst tests/helpers/%.c,$(OUTPUT)/helpers/%,$(HELPER_SRCS))

WARN        := -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	-Wno-format-truncation -Werror
CFLAGS      ?= -O2 -g
override CFLAGS += $(WARN) -std=gnu11 -D_GNU_SOURCE -MMD -MP -I$(OUTPUT) -Iuser -Iexporters -Ibpf \
	-DOSISCOPE_VERSION='"$(VERSION)"' \
	-DOSISCOPE_UNBUILT='"$(UNBUILT)"'
LDLIBS      := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf -lelf -lz) \
	-lmicrohttpd -lz -lpthread
BPF_CFLAGS  := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror -MMD -MP \
	-I$(VMLINUX_DIR) -Ibpf -I$(OUTPUT)

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.PHONY: all deps run test test-kernels unit bench vmlinux format clean fuzz fuzz-deps install image
all: $(BIN)

deps:
	$(Q)scripts/deps.sh

$(OUTPUT) $(OUTPUT)/bpf $(OUTPUT)/user $(OUTPUT)/exporters $(OUTPUT)/tests/unit $(OUTPUT)/helpers:
	$(Q)mkdir -p $@

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MF $(@:.o=.d) -MT $@ -c $< -o $@.tmp
	$(Q)$(LLVM_STRIP) -g $@.tmp -o $@ 2>/dev/null || mv $@.tmp $@
	$(Q)rm -f $@.tmp

$(OUTPUT)/%.skel.h: $(OUTPUT)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

$(AGENT_SKELS): $(OUTPUT)/%.skel.h: $(OUTPUT)/bpf/agent/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

# make bench: empty programs on the collectors' hooks, the floor to compare against
$(OUTPUT)/bench:
	$(Q)mkdir -p $@

$(OUTPUT)/bench/floor.bpf.o: bench/floor.bpf.c | $(OUTPUT)/bench
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MF $(@:.o=.d) -MT $@ -c $< -o $@

$(OUTPUT)/bench/floor.skel.h: $(OUTPUT)/bench/floor.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name floor_bpf > $@

# the floor attaches tc the way the link collector does (user/link_tc.c)
FLOOR_OBJS  := $(addprefix $(OUTPUT)/user/,link_tc.o log.o nlmsg.o probe.o strbuf.o) \
	$(OUTPUT)/exporters/escape.o
$(OUTPUT)/bench/floor: bench/floor.c $(OUTPUT)/bench/floor.skel.h $(FLOOR_OBJS)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -I$(OUTPUT)/bench $< $(FLOOR_OBJS) $(LDLIBS) -o $@

# collector.o names the tree's collectors this build leaves out (OSISCOPE_UNBUILT): built
# again whenever that list changes, not only when a source does.
$(OUTPUT)/unbuilt.stamp: FORCE | $(OUTPUT)
	$(Q)echo '$(UNBUILT)' | cmp -s - $@ 2>/dev/null || echo '$(UNBUILT)' > $@
$(OUTPUT)/user/collector.o: $(OUTPUT)/unbuilt.stamp
# The revision in a header rewritten only when it changes: main.c and selfstats.c, in
# every build directory, are built again after a commit, and nothing else is. (A -D flag
# left the revision of their last build in the binary.)
$(OUTPUT)/revision.h: FORCE | $(OUTPUT)
	$(Q)printf '#define OSISCOPE_REVISION "%s"\n' '$(GIT_REV)' | cmp -s - $@ 2>/dev/null || \
		{ printf '#define OSISCOPE_REVISION "%s"\n' '$(GIT_REV)' >$@.$$$$ && mv $@.$$$$ $@; }
$(foreach d,$(OUTPUT) $(OUTPUT)/asan $(OUTPUT)/fuzz,$(d)/user/main.o $(d)/user/selfstats.o): \
	$(OUTPUT)/revision.h
.PHONY: FORCE
FORCE:

# Every userspace object may include any skeleton: generate them first.
$(OUTPUT)/user/%.o: user/%.c $(SKELS) | $(OUTPUT)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUTPUT)/exporters/%.o: exporters/%.c | $(OUTPUT)/exporters
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUTPUT)/tests/unit/%.o: tests/unit/%.c | $(OUTPUT)/tests/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BIN): $(MAIN_OBJ) $(LIB_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/unit-tests: $(UNIT_OBJS) $(LIB_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/helpers/%: tests/helpers/%.c | $(OUTPUT)/helpers
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -lpthread -o $@

unit: $(OUTPUT)/unit-tests
	$(Q)$(OUTPUT)/unit-tests

# Untrusted input (issue 12): tests/fuzz/fuzz_NAME.c is a libFuzzer harness per parser.
# make test builds the unit tests and each harness (with tests/fuzz/driver.c, replaying
# tests/fuzz/corpus/NAME and tests/fuzz/regress/NAME) under ASan+UBSan in $(OUTPUT)/asan;
# make fuzz builds them with libFuzzer in $(OUTPUT)/fuzz, and with FUZZ_SECONDS=N runs
# each for N seconds (scripts/fuzz.sh).
SAN_FLAGS   := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
ASAN_DIR    := $(OUTPUT)/asan
FUZZ_DIR    := $(OUTPUT)/fuzz
FUZZ_SRCS   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES  := $(patsubst tests/fuzz/%.c,%,$(FUZZ_SRCS))
# whole objects, no archive: collectors register themselves and nothing calls them
ASAN_LIB    := $(patsubst %.c,$(ASAN_DIR)/%.o,$(LIB_SRCS))
FUZZ_LIB    := $(patsubst %.c,$(FUZZ_DIR)/%.o,$(LIB_SRCS))
ASAN_FUZZ   := $(addprefix $(ASAN_DIR)/,$(FUZZ_NAMES))
FUZZ_BINS   := $(addprefix $(FUZZ_DIR)/,$(FUZZ_NAMES))
FUZZ_SECONDS ?=
FUZZ_CFLAGS  = $(CFLAGS) -O1 -Itests/fuzz -Wno-unknown-warning-option \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined

$(ASAN_DIR)/%.o: %.c $(SKELS)
	$(call msg,CC-ASAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -O1 -Itests/fuzz $(SAN_FLAGS) -c $< -o $@

$(ASAN_DIR)/unit-tests: $(patsubst %.c,$(ASAN_DIR)/%.o,$(UNIT_SRCS)) $(ASAN_LIB)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) $^ $(LDLIBS) -o $@

$(ASAN_DIR)/fuzz_%: $(ASAN_DIR)/tests/fuzz/fuzz_%.o $(ASAN_DIR)/tests/fuzz/driver.o $(ASAN_LIB)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) $^ $(LDLIBS) -o $@

$(FUZZ_DIR)/%.o: %.c $(SKELS) | fuzz-deps
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/tests/fuzz/fuzz_%.o $(FUZZ_LIB)
	$(call msg,BINARY,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $^ $(LDLIBS) -o $@

fuzz-deps:
	$(Q)scripts/deps.sh fuzz

fuzz: fuzz-deps $(FUZZ_BINS)
	$(Q)$(if $(FUZZ_SECONDS),scripts/fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_NAMES))

run: deps all
	./$(BIN) run $(ARGS)

test: deps all $(OUTPUT)/unit-tests $(ASAN_DIR)/unit-tests $(ASAN_FUZZ) $(HELPERS)
	$(Q)OUTPUT=$(OUTPUT) OSI_BIN=$(abspath $(BIN)) tests/run.sh

# Debian's 5.10, 6.1 and 6.12 under qemu (TCG); FULL=1 every scenario, else the quick set
test-kernels: deps all $(OUTPUT)/unit-tests $(HELPERS)
	$(Q)OUTPUT=$(OUTPUT) scripts/test-kernels.sh $(KERNELS)

bench: deps all $(HELPERS) $(OUTPUT)/bench/floor
	$(Q)OUTPUT=$(OUTPUT) OSI_BIN=$(abspath $(BIN)) scripts/bench.sh

# make install [PREFIX=/usr/local] [DESTDIR=]: the binary, the systemd unit (its
# ExecStart at the installed binary) and the man page
PREFIX      ?= /usr/local
SBINDIR     := $(PREFIX)/sbin
MANDIR      := $(PREFIX)/share/man/man8
UNITDIR     ?= $(PREFIX)/lib/systemd/system
install: $(BIN)
	$(call msg,INSTALL,$(DESTDIR)$(SBINDIR)/osiscope)
	$(Q)install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR) $(DESTDIR)$(UNITDIR)
	$(Q)install -m 0755 $(BIN) $(DESTDIR)$(SBINDIR)/osiscope
	$(Q)install -m 0644 doc/osiscope.8 $(DESTDIR)$(MANDIR)/osiscope.8
	$(Q)sed 's|^ExecStart=/usr/local/sbin/osiscope|ExecStart=$(SBINDIR)/osiscope|' \
		deploy/systemd/osiscope.service > $(DESTDIR)$(UNITDIR)/osiscope.service
	$(Q)chmod 0644 $(DESTDIR)$(UNITDIR)/osiscope.service

# make image [IMAGE=osiscope:VERSION] [BASE=debian:12]: deploy/Dockerfile with docker,
# else podman. BASE may be a local image (made with debootstrap where no registry is).
IMAGE       ?= osiscope:$(VERSION)
BASE        ?= debian:12
CONTAINER   ?= $(shell command -v docker 2>/dev/null || command -v podman 2>/dev/null)
image:
	$(if $(CONTAINER),,$(error make image: neither docker nor podman found))
	$(call msg,IMAGE,$(IMAGE))
	$(Q)$(CONTAINER) build -f deploy/Dockerfile --build-arg BASE=$(BASE) -t $(IMAGE) .

vmlinux:
	$(call msg,GEN,$(VMLINUX_DIR)/vmlinux.h)
	$(Q)mkdir -p $(VMLINUX_DIR)
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $(VMLINUX_DIR)/vmlinux.h

format:
	$(Q)clang-format -i $(wildcard bpf/*.c bpf/*.h bpf/agent/*.c user/*.c user/*.h exporters/*.c exporters/*.h tests/unit/*.c tests/unit/*.h tests/helpers/*.c tests/fuzz/*.c tests/fuzz/*.h)

clean:
	$(call msg,CLEAN)
	$(Q)rm -rf $(OUTPUT) $(BIN)

-include $(wildcard $(OUTPUT)/*/*.d $(OUTPUT)/*/*/*.d $(OUTPUT)/*/*/*/*.d)
