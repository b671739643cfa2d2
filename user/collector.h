/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef OSISCOPE_COLLECTOR_H
#define OSISCOPE_COLLECTOR_H

#include <bpf/libbpf.h>
#include <stdbool.h>
#include <stdint.h>

#include "common.h"
#include "config.h"
#include "ifaces.h"
#include "netns.h"
#include "probe.h"
#include "registry.h"

#include "../exporters/record.h"

typedef void (*event_sink_fn)(void *ctx, const struct event_record *ev);

struct collector;

/* What one collection cycle knows, shared by every collector. */
struct collect_ctx {
	const struct netns_list *netns; /* every namespace found this cycle */
	const struct iface_cache *ifaces; /* devices of every namespace, see ifaces.h */
	struct netns_tracker *tracker; /* for collect_note_netns() */
	uint64_t gen; /* collection number, from 1 */
	bool first; /* the collection right after the collectors attached */
};

struct collector_opts {
	const struct config *cfg;
	struct registry *reg;
	bool events; /* send events to userspace at all (enrich.c hands them on) */
	bool events_quiet; /* only for diagnose: leave out what is never a problem there */
};

/* One line of the diagnose report: a counter of the collector's that should stay at zero,
 * and what to check first when it does not. */
struct finding {
	const char *metric;
	const char *label, *value; /* optional: only series whose label has this value */
	const char *what;
	const char *hint;
};

/* OSI layers, as bits of collector_desc.layers */
#define OSI_L1 (1u << 1)
#define OSI_L2 (1u << 2)
#define OSI_L3 (1u << 3)
#define OSI_L4 (1u << 4)
#define OSI_L5 (1u << 5)
#define OSI_L6 (1u << 6)
#define OSI_L7 (1u << 7)

/*
 * The events of a collector: every record starts with struct event_hdr (bpf/common.h),
 * which enrich.c decodes for all of them; decode() adds the collector's own fields.
 */
struct event_desc {
	size_t size; /* of the collector's event struct: shorter records are refused */
	/* event_hdr.ifindex is how its events name their device: while events flow, the
	 * agent keeps the devices of every namespace fresh between collections */
	bool names_devices;
	const char *osi; /* "l4"; decode() may say otherwise for one event */
	const char *const *types; /* name by event_hdr.type; NULL: not shown */
	size_t ntypes;
	/* Fills r (header fields and type already set) from the event; false drops it. */
	bool (*decode)(struct collector *l, const void *event, struct event_record *r);
};

/*
 * What a collector is: one constant description in user/<name>.c, registered with
 * COLLECTOR_REGISTER(). Its run-time state is struct collector.
 */
struct collector_desc {
	const char *name; /* "tcp": --collector.tcp, the layer label of self metrics */
	const char *osi; /* OSI layers covered, for display: "l4/l5" */
	unsigned int layers; /* OSI_L* bits: trace -l lN selects the collector */
	unsigned int rank; /* order of display: the lowest OSI layer first */
	bool wants_ifaces; /* cx->ifaces must be fresh at collect (see ifaces.h) */
	const struct finding *findings; /* for diagnose */
	size_t nfindings;
	struct event_desc events;
	/* Loads and attaches; on failure leaves a reason in l->why (collector_failed()). */
	int (*open)(struct collector *l, const struct collector_opts *opts);
	/*
	 * One collection (at every scrape, and before diagnose reports), all with the
	 * registry locked, in this order: begin (optional: reset gauges), visit_netns
	 * inside every namespace, collect (reads the kernel maps into reg). Devices in
	 * cx->ifaces are fresh by collect.
	 */
	void (*begin)(struct collector *l, struct registry *reg, const struct collect_ctx *cx);
	/* Optional: called inside each namespace of cx->netns in turn (the thread has
	 * entered it), for what the kernel keeps per namespace without a hook. */
	void (*visit_netns)(struct collector *l, struct registry *reg, const struct netns_entry *ns,
			    const struct collect_ctx *cx);
	void (*collect)(struct collector *l, struct registry *reg, const struct collect_ctx *cx);
	/*
	 * Optional, for following what appears while the agent runs (devices, processes):
	 * maintain every MAINTAIN_PERIOD_S seconds from the event loop, then
	 * maintain_netns inside each namespace (the thread has entered it). The registry is
	 * locked, cx->netns freshly scanned and cx->ifaces fresh when wants_ifaces.
	 */
	void (*maintain)(struct collector *l, const struct collect_ctx *cx);
	void (*maintain_netns)(struct collector *l, const struct netns_entry *ns,
			       const struct collect_ctx *cx);
	/* Optional: the namespace is gone; drop what is kept for it. The agent then drops
	 * every series labelled with it. */
	void (*forget_netns)(struct collector *l, uint32_t netns);
	/* Optional: the inode now names a new namespace (the kernel reuses them at once).
	 * Keep the baselines of what the kernel maps count under the inode, so that their
	 * deltas from now on are the new namespace's; reset readings of the namespace
	 * itself (MIB counters start again at zero). Without it, forget_netns is called
	 * and what the new namespace did before the agent noticed is lost. The agent then
	 * drops every series labelled with it. */
	void (*renew_netns)(struct collector *l, uint32_t netns);
	/* Optional: what `probe` adds about the collector once it is up (modes chosen, names
	 * found), one line into buf. */
	void (*describe)(struct collector *l, char *buf, size_t len);
	void (*close)(struct collector *l);
};

/* Puts a collector's description in the list every command walks: no central list to
 * edit. The section is gathered by the linker (as tests/unit/test.h does for tests). */
#define COLLECTOR_REGISTER(desc)                                                            \
	static const struct collector_desc *const __collector_##desc                        \
		__attribute__((used, section("osiscope_collectors"))) = &(desc)

/* The collectors of this build and the planned ones, in rank order (planned ones have
 * no open()). At most COLLECTORS_MAX, each a bit of config.collectors. */
#define COLLECTORS_MAX 32
size_t collectors_count(void);
const struct collector_desc *collector_at(size_t i);

/* A collector's run-time state beside its description. */
struct collector {
	const struct collector_desc *desc;
	const char *name; /* desc->name */
	unsigned int idx; /* its bit in config.collectors */
	bool up;
	char why[512];
	struct hook *hooks;
	size_t nhooks;
	struct fhook *fhooks; /* optional fentry/kprobe programs */
	size_t nfhooks;
	struct bpf_object *obj;
	struct ring_buffer *rb;
	void *priv;
	/* where decoded events go (enrich.c) */
	event_sink_fn sink;
	void *sink_ctx;
	const struct iface_cache *ifaces;
	struct k8s *k8s; /* pod names for events (enrich.c); NULL when --kubernetes is off */
	bool said_short;
	/* events made in userspace (collector_event_emit()): the kernel's per-CPU budget
	 * (--events.rate) for one more source, its window, and what it held back */
	uint32_t events_per_sec;
	uint64_t user_window_ns;
	uint32_t user_count;
	uint64_t user_lost[LOST_REASONS]; /* added to the events_lost map's by collector_read_lost() */
};

/* All collectors in rank order, state zeroed; returns how many. */
size_t collectors_init(struct collector *c, size_t max);

/* Reads a per-CPU array map of LOST_REASONS u64 counters, summed over CPUs, plus what
 * userspace held back (user_lost). */
int collector_read_lost(struct collector *l, const char *map_name,
			uint64_t *lost /* [LOST_REASONS] */);
/* Reads the n u64 counters of a per-CPU array map of the collector's object, summed over
 * CPUs; -ENOENT when the object has no such map. */
int collector_read_percpu_array(struct collector *l, const char *map_name, uint64_t *v, uint32_t n);

/* A collector that finds a namespace in its kernel map notes it, so that one that came and
 * went between two scans is forgotten too (its series dropped). */
static inline void collect_note_netns(const struct collect_ctx *cx, uint32_t netns)
{
	if (cx->tracker)
		netns_tracker_note(cx->tracker, netns);
}

/* Every MAINTAIN_PERIOD_S seconds the agent calls the collectors' maintain hooks. */
#define MAINTAIN_PERIOD_S 2

/* --- helpers for the collectors' userspace halves (user/collector.c) --- */

/* Attaches the chosen program of each of l->hooks, then of l->fhooks (optional: one that
 * fails is logged and left out); a hook that fails is logged and
 * dropped (its chosen set to NULL) unless it is required, which fails the collector with
 * l->why set. links has room for l->nhooks + l->nfhooks. Returns 0 or -errno. */
int collector_attach_hooks(struct collector *l, struct bpf_link **links, int *nlinks);
/* Only the optional l->fhooks (collector_attach_hooks() does them too). */
void collector_attach_fhooks(struct collector *l, struct bpf_link **links, int *nlinks);

/* Sets l->why to "what: <reason>" and returns err (negative errno): the one way a
 * collector's open() says why it failed. */
int collector_failed(struct collector *l, int err, const char *what);
/* The event switches osiscope.bpf.h gives every BPF object, set before load. */
#define COLLECTOR_SET_EVENTS(skel, opts)                                                        \
	do {                                                                                \
		(skel)->rodata->events_enabled = (opts)->events;                            \
		(skel)->rodata->events_per_sec = (opts)->cfg->events_per_sec;               \
		(skel)->rodata->events_quiet = (opts)->events_quiet;                        \
	} while (0)
/* Opens l->rb on the ring-buffer map of the collector's events (struct event_desc): records
 * are decoded and enriched (enrich.c) and go to the sink the agent gave it. */
int collector_events_open(struct collector *l, struct bpf_map *map);
/* An event a collector made in userspace, where the kernel cannot (the dns collector's
 * sweep of queries in flight before bpf_timer): a record laid out as its BPF events are,
 * header included, handed on by the same path ring-buffer records take (decode, enrich,
 * sink) within the same budget. Nothing when events are off. */
void collector_event_emit(struct collector *l, const void *event, size_t size);
/* Adds the events map to a ring buffer l already has (opened on another map). */
int collector_events_add(struct collector *l, struct bpf_map *map);
/* The common part of close(): the ring buffer and the links (n of them). */
void collector_release(struct collector *l, struct bpf_link **links, int n);

/* Finds or adds n metrics: *out[i] for descs[i]. -EINVAL if one cannot be added. */
int metrics_register(struct registry *reg, const struct metric_desc *descs, size_t n,
		     struct metric **const *out);

/* Sums ncpus per-CPU copies (each size bytes, as libbpf returns them: rounded up to 8)
 * of a value made only of u64 counters into out. */
void percpu_sum_u64(const void *percpu, int ncpus, size_t size, void *out);

/* Calls fn for every entry of a per-CPU hash map whose values are made of u64 counters,
 * with the value summed over the CPUs. fn may delete the key it is given; entries
 * deleted meanwhile are skipped. Returns how many entries were seen, or -errno. */
int percpu_map_each(int fd, size_t ksize, size_t vsize,
		    void (*fn)(void *ctx, const void *key, const void *sum), void *ctx);
/* One entry of a per-CPU map of u64 counters, summed over the CPUs into out (vsize
 * bytes). 0, or -errno (-ENOENT: no such key). */
int percpu_map_lookup_sum(int fd, const void *key, size_t vsize, void *out);
/* Deletes every key of a map that match() picks; returns how many. */
int map_delete_matching(int fd, size_t ksize, bool (*match)(void *ctx, const void *key),
			void *ctx);
/* The common case: keys whose uint32_t at netns_off is netns. */
int map_delete_netns(int fd, size_t ksize, size_t netns_off, uint32_t netns);

/* Hands a kernel counter to the registry as the delta from before. A counter that
 * went backwards means its map entry was recreated: it counts afresh from zero. */
void counter_delta(struct metric *m, const char *const *labels, uint64_t now, uint64_t before);
/* The same for a log2 histogram of HIST_SLOTS u64 buckets; sums are multiplied by
 * sum_scale into the metric's base unit (1e-9 for nanoseconds to seconds). */
void hist_delta(struct metric *m, const char *const *labels, const uint64_t *now,
		const uint64_t *before, uint64_t sum_now, uint64_t sum_before, double sum_scale);

/*
 * Per-namespace records of a collector (what it keeps of a namespace): fixed
 * size entries whose first member is the uint32_t netns inode. Pointers are valid until
 * the next nstab_get(create) or nstab_del.
 */
struct nstab {
	size_t esize;
	size_t n, cap;
	uint32_t *keys; /* scanned on lookup: dense, so a thousand namespaces stay cheap */
	char *v;
};
void nstab_init(struct nstab *t, size_t esize);
void *nstab_get(struct nstab *t, uint32_t netns, bool create);
void *nstab_at(struct nstab *t, size_t i);
void nstab_del(struct nstab *t, uint32_t netns);
void nstab_free(struct nstab *t);

#endif
