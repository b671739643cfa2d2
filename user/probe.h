/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef OSISCOPE_PROBE_H
#define OSISCOPE_PROBE_H

#include <bpf/libbpf.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Feature probes: each really tries the thing (load a two-instruction program and
 * attach it) instead of guessing from the kernel version, and says why not.
 */
struct probe_result {
	bool ok;
	int err; /* negative errno */
	char why[160];
};

/* Kernel BTF is needed for CO-RE; NULL-safe cached handle, do not free. */
const struct btf *probe_kernel_btf(void);
void probe_tp_btf(const char *tp, struct probe_result *r);
void probe_raw_tp(const char *tp, struct probe_result *r);
/* Mounts tracefs on /sys/kernel/tracing if no tracefs is mounted (once, quietly). */
void probe_tracefs_mount(void);
void probe_tracepoint(const char *category, const char *tp, struct probe_result *r);
void probe_fentry(const char *func, struct probe_result *r);
void probe_kprobe(struct probe_result *r);
void probe_map_type(enum bpf_map_type type, struct probe_result *r);
void probe_bpf_stats(struct probe_result *r);
/* Whether this process may load BPF at all (root or CAP_BPF+CAP_PERFMON). */
void probe_bpf_syscall(struct probe_result *r);
/* Number of arguments of a tracepoint from its BTF prototype, or -1. */
int probe_tp_nargs(const char *tp);
/* Whether programs may use the atomic compare-and-exchange instruction (5.12+, "bpf: Add
 * BPF_CMPXCHG instruction"): loads a four-instruction program once and remembers. */
bool probe_atomic_cmpxchg(void);
/* Whether struct net's cookie is a plain u64, set when the namespace is made (v5.12+;
 * before, an atomic64_t made on first use): then the programs may tell namespaces apart
 * by it, on a cache line the kernel leaves alone (see netns_key in bpf/tcp.bpf.c). */
bool probe_netns_cookie_made(void);

/*
 * One logical hook of a layer, offered in up to five program flavours. Flavours whose
 * program is NULL do not exist. nargs is what the full flavours read; the "short"
 * ones serve kernels whose tracepoint has fewer arguments.
 */
struct hook {
	const char *category; /* tracefs category: "tcp", "sock" */
	const char *name; /* tracepoint name */
	int nargs;
	bool required; /* the layer cannot work without it */
	struct bpf_program *btf, *btf_short, *raw, *raw_short, *tp;
	/* result */
	struct bpf_program *chosen;
	const char *mode; /* "tp_btf", "raw_tp", "tracepoint" or NULL */
	char why[256]; /* why no flavour works, or why a cheaper one was passed over */
};

/* Picks the cheapest working flavour of each hook and disables autoload of every other
 * program. Call between open and load. Returns the number of hooks left without a
 * flavour; -1 if a required one is among them. */
int hooks_select(struct hook *hooks, size_t n, int first_mode /* enum attach_mode */);

/*
 * An optional hook on a kernel function, for what no tracepoint shows: fentry where the
 * kernel allows it (BTF of the function, trampolines), else a kprobe, else none. Never
 * required: the collector works without it and says what is missing.
 */
struct fhook {
	const char *func; /* kernel function */
	struct bpf_program *fentry, *kprobe; /* fentry may be an fexit program */
	bool fexit; /* the fentry slot holds an fexit program: shown as such */
	/* result */
	bool wanted; /* false: the kernel's tracepoints already cover it */
	struct bpf_program *chosen;
	const char *mode; /* "fentry", "fexit", "kprobe" or NULL */
	char why[200]; /* why none, or why not wanted */
};

/* Picks fentry, then kprobe, for each hook (wanted false: neither, why_not saying why),
 * and disables autoload of every other program. Call between open and load. Returns
 * how many got a flavour. */
int fhooks_select(struct fhook *f, size_t n, bool wanted, const char *why_not);

const char *probe_strerror(int err);

#endif
