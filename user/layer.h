/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef OSISCOPE_LAYER_H
#define OSISCOPE_LAYER_H

#include <bpf/libbpf.h>
#include <stdbool.h>
#include <stdint.h>

#include "common.h"
#include "config.h"
#include "netns.h"
#include "probe.h"
#include "registry.h"

/* One event decoded for display; exporters/events.c renders it. */
struct event_record {
	uint64_t ts_ns; /* CLOCK_MONOTONIC, as bpf_ktime_get_ns() */
	uint64_t cgroup_id;
	uint32_t netns;
	uint32_t pid;
	const char *layer; /* collector name */
	const char *osi; /* "l4" */
	const char *type; /* "reset_sent", ... */
	char comm[17];
	char src[64]; /* "192.0.2.1:80", "[2001:db8::1]:80" */
	char dst[64];
	char state[16];
	char detail[96];
};

typedef void (*event_sink_fn)(void *ctx, const struct event_record *ev);

/* What one collection cycle knows, shared by every collector. */
struct collect_ctx {
	const struct netns_list *netns; /* every namespace found this cycle */
	uint64_t gen; /* collection number, from 1 */
	bool first; /* the collection right after the collectors attached */
};

struct layer_opts {
	const struct config *cfg;
	bool events; /* send events to userspace at all */
	event_sink_fn sink;
	void *sink_ctx;
};

/*
 * A collector: one BPF object and its userspace half. open() loads and attaches; on
 * failure it leaves up false and a reason in why, and the agent goes on without it.
 */
struct layer {
	enum collector id;
	const char *name;
	const char *osi; /* OSI layers covered, for display: "l4/l5" */
	bool up;
	char why[512];
	struct hook *hooks;
	size_t nhooks;
	struct bpf_object *obj;
	struct ring_buffer *rb;
	void *priv;
	int (*open)(struct layer *l, const struct layer_opts *opts);
	/* Reads the kernel maps into reg. Called with the registry locked. */
	void (*collect)(struct layer *l, struct registry *reg, const struct collect_ctx *cx);
	/* Optional: called inside each namespace of cx->netns in turn (the thread has
	 * entered it), for what the kernel keeps per namespace without a hook. */
	void (*visit_netns)(struct layer *l, struct registry *reg, const struct netns_entry *ns,
			    const struct collect_ctx *cx);
	/* Optional: the namespace is gone; drop what is kept for it. The agent then drops
	 * every series labelled with it. */
	void (*forget_netns)(struct layer *l, uint32_t netns);
	void (*close)(struct layer *l);
};

/* Constructors, one per collector, defined in user/<collector>.c. Weak: a build
 * without a collector (make LAYERS=...) has it NULL and reports it as not built. */
#define LAYER_CTOR(name) void name##_layer_init(struct layer *l) __attribute__((weak))
LAYER_CTOR(link);
LAYER_CTOR(neigh);
LAYER_CTOR(route);
LAYER_CTOR(drop);
LAYER_CTOR(tcp);
LAYER_CTOR(udp);
LAYER_CTOR(tls);
LAYER_CTOR(dns);
#undef LAYER_CTOR
typedef void (*layer_ctor_fn)(struct layer *l);
/* NULL when this build lacks the collector. */
layer_ctor_fn layer_ctor(enum collector c);

/* All collectors in enum order; unimplemented ones have open == NULL. */
void layers_init(struct layer *layers);

/* Reads a per-CPU array map of LOST_REASONS u64 counters, summed over CPUs. */
int layer_read_lost(struct layer *l, const char *map_name, uint64_t *lost /* [LOST_REASONS] */);

#endif
