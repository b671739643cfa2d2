/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef OSISCOPE_REGISTRY_H
#define OSISCOPE_REGISTRY_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Metric registry: the one place collected values live between the collectors
 * (user/<layer>.c, which read BPF maps) and the exporters (which only format).
 *
 * Counters only ever grow: collectors hand in deltas, so a series folded into
 * "_other" by the series budget stays monotonic too. Gauges are set whole once
 * per collection cycle (metric_gauge_reset() first, then metric_gauge_set()).
 * Histograms take per-bucket deltas on fixed bounds.
 *
 * Not thread safe by itself: the caller holds registry->lock around a collection
 * cycle and around rendering (see registry_lock()).
 */

#define METRIC_MAX_LABELS 6
#define METRIC_OTHER "_other"
#define METRIC_MAX_BOUNDS 64 /* histogram buckets, +Inf aside */

enum metric_type {
	METRIC_COUNTER,
	METRIC_GAUGE,
	METRIC_HISTOGRAM,
};

struct metric_desc {
	const char *name; /* full name, counters end in _total */
	const char *help;
	enum metric_type type;
	const char *labels[METRIC_MAX_LABELS + 1]; /* NULL terminated */
	unsigned int budget; /* max series, 0 = registry default */
	const double *bounds; /* histogram upper bounds, ascending, base units */
	unsigned int nbounds;
};

struct series {
	struct series *next; /* hash chain */
	struct series *order; /* insertion order, for stable output */
	uint64_t hash;
	char **values; /* one per label */
	double value; /* counter or gauge */
	uint64_t *buckets; /* histogram: nbounds + 1 non-cumulative counts, last is +Inf */
	double sum;
	bool touched; /* gauge set in the current cycle */
};

struct metric {
	struct metric *next;
	struct metric_desc desc;
	unsigned int nlabels;
	unsigned int budget;
	unsigned int nseries;
	size_t nbuckets; /* hash table size */
	struct series **table;
	struct series *first, *last;
	struct series *other; /* the fold series, counted in nseries once it exists */
	struct registry *reg;
};

struct baselines;

/*
 * Labels shown beside a series' own and computed from one of them each time the series is
 * rendered or visited: on a Kubernetes node "namespace" and "pod" from "netns". They make
 * no series of their own (the budget and the baselines see only the series' own labels),
 * and follow what their source names now: a namespace that becomes a pod's shows the pod
 * from the next scrape on. fn writes one value per name into out.
 */
#define DERIVED_MAX_LABELS 3
#define DERIVED_VALUE_LEN 256
typedef void (*label_derive_fn)(void *ctx, const char *value, char (*out)[DERIVED_VALUE_LEN]);
struct label_derivation {
	const char *from; /* static */
	const char *names[DERIVED_MAX_LABELS]; /* static */
	unsigned int n;
	label_derive_fn fn;
	void *ctx;
};
#define REGISTRY_MAX_DERIVATIONS 4

struct registry {
	pthread_mutex_t lock;
	struct baselines *base; /* of counters read as absolute values (baseline.c) */
	struct metric *first, *last;
	unsigned int default_budget;
	struct metric *overflow; /* osiscope_series_overflow_total{metric} */
	struct label_derivation derive[REGISTRY_MAX_DERIVATIONS];
	unsigned int nderive;
};

struct registry *registry_new(unsigned int default_budget);
void registry_free(struct registry *reg);
void registry_lock(struct registry *reg);
void registry_unlock(struct registry *reg);

/* desc is copied (strings are not: they must be static). NULL on bad desc or ENOMEM. */
struct metric *registry_add(struct registry *reg, const struct metric_desc *desc);
struct metric *registry_find(struct registry *reg, const char *name);

/* values: one per label, in desc order. A value never seen before creates a series
 * unless the budget is spent, in which case it goes to the "_other" series and the
 * fold is counted. Return 0, or -ENOMEM / -EINVAL. */
int metric_counter_add(struct metric *m, const char *const *values, double delta);
int metric_gauge_set(struct metric *m, const char *const *values, double v);
/* bucket_deltas has nbounds + 1 entries (the last one is above every bound). */
int metric_hist_add(struct metric *m, const char *const *values, const uint64_t *bucket_deltas,
		    double sum_delta);
/* Start a gauge cycle: every series is forgotten unless set again before rendering. */
void metric_gauge_reset(struct metric *m);

/* Forgets every series, in every metric that has the label, whose label is value: for
 * a namespace, device or process that is gone. Memory and budget slots come back; a
 * series folded into _other stays there. Returns how many series were dropped. */
size_t registry_drop_label_value(struct registry *reg, const char *label, const char *value);
/* The same for series whose n labels all have these values, in every metric that has
 * all n labels: for a device that is gone, {"netns", "device"} = {"4026532", "eth0"}. */
size_t registry_drop_labels(struct registry *reg, const char *const *labels,
			    const char *const *values, size_t n);
/* The same within one metric: a collector dropping its own series of a device leaves
 * other collectors' series of that device to them (they may still show a last count). */
size_t metric_drop_labels(struct metric *m, const char *const *labels, const char *const *values,
			  size_t n);

/* Adds a derivation (see struct label_derivation): n names computed from the label from.
 * 0, or -EINVAL (too many names or derivations). */
int registry_derive_labels(struct registry *reg, const char *from, const char *const *names,
			   unsigned int n, label_derive_fn fn, void *ctx);
/* The derivation that applies to m, with *src the index of its source label among m's
 * labels; NULL when none does (or a derived name is one of m's own labels). */
const struct label_derivation *metric_derivation(const struct metric *m, unsigned int *src);

/* Fills bounds[i] = first * 2^i for i < n: the fixed log2 buckets. */
void metric_log2_bounds(double *bounds, unsigned int n, double first);

size_t registry_series_total(const struct registry *reg);

/*
 * Counters read as absolute values (user/baseline.c): the registry keeps what each
 * reading is counted from and hands the series the gain. Where a reading comes from
 * decides its baseline:
 */
enum counter_origin {
	/* a kernel map of the agent's, counting since it loaded: the first reading counts
	 * whole; the map goes on counting under a reused namespace inode, so a renewal
	 * keeps the baseline */
	ORIGIN_MAP,
	/* a counter the namespace keeps itself (its MIB): what it had at the agent's first
	 * collection is not counted, a namespace born later counts whole, and a new
	 * namespace under a reused inode starts again from zero */
	ORIGIN_NETNS,
	/* no reading this time (the map has no entry for the namespace yet, or could not be
	 * read): the series is made at zero so that rate() sees its first increment, and
	 * the baseline is left as it is */
	ORIGIN_ABSENT,
};
/* A reading below its baseline counts afresh from zero (the counter was made anew). A
 * collector that observes ORIGIN_MAP readings has a renew_netns (collector.h): without
 * one the agent forgets the namespace's map entries when its inode is reused, while the
 * registry keeps their baselines. */
int metric_counter_observe(struct metric *m, const char *const *values, uint64_t now,
			   enum counter_origin o);
/* The same for a histogram: nbounds + 1 bucket counts and their sum, which is
 * multiplied by sum_scale into the metric's unit. */
int metric_hist_observe(struct metric *m, const char *const *values, const uint64_t *buckets,
			uint64_t sum, double sum_scale, enum counter_origin o);
/* Marks the agent's first collection (see ORIGIN_NETNS). */
void registry_first_collection(struct registry *reg, bool first);
/* The inode names a new namespace now: its own counters' baselines go to zero. */
void registry_netns_renew(struct registry *reg, uint32_t netns);
/* The namespace is gone: its baselines go. */
void registry_netns_forget(struct registry *reg, uint32_t netns);
void baselines_free(struct baselines *b);

/* One series as a visitor sees it: read-only, valid only during the call. */
struct series_view {
	const struct metric *metric;
	const char *name; /* the metric's */
	enum metric_type type;
	unsigned int nlabels;
	const char *const *label_names; /* in desc order */
	const char *const *label_values; /* one per label */
	double value; /* counter or gauge; a histogram's count of observations */
	double sum; /* histogram: the sum of its observations */
	/* labels derived from the series' own (struct label_derivation), after them in
	 * label_names/label_values: nlabels counts them too, own_labels does not */
	unsigned int own_labels;
};

/* A non-zero return stops the walk, and the walk returns it. fn must not change the
 * registry. */
typedef int (*series_visit_fn)(void *ctx, const struct series_view *s);

/*
 * Calls fn for each series of m in the order the series appeared, the _other fold
 * included; a gauge series only if it was set in the current cycle, as /metrics shows
 * it. The caller holds the registry lock. Returns 0 or what fn returned.
 */
int metric_each_series(const struct metric *m, series_visit_fn fn, void *ctx);
/* The same for the metric called name: -ENOENT when there is none. */
int registry_each_series(const struct registry *reg, const char *name, series_visit_fn fn,
			 void *ctx);
/* The value of the series' label called name; NULL when its metric has no such label. */
const char *series_label(const struct series_view *s, const char *name);

#endif
