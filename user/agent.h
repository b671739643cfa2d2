/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef OSISCOPE_AGENT_H
#define OSISCOPE_AGENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "netns.h"
#include "collector.h"
#include "k8s.h"
#include "registry.h"
#include "selfstats.h"
#include "strbuf.h"

struct agent {
	const struct config *cfg;
	struct registry *reg;
	struct selfstats *self;
	struct collector collectors[COLLECTORS_MAX];
	size_t ncollectors;
	atomic_bool ready;
	int epfd, sigfd, tfd;
	int64_t wall_offset_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC */
	/* BPF run-time statistics (--bpf.stats) */
	int stats_fd;
	double stats_seconds;
	uint64_t stats_since_ns;
	bool stats_failed;
	uint64_t ticks;
	/* namespaces seen, for telling when one is gone */
	struct netns_list netns;
	struct iface_cache ifaces; /* devices per namespace, for the collectors that want them */
	struct netns_tracker tracker; /* which are gone, or replaced */
	struct k8s *k8s; /* pod names (--kubernetes), NULL when off */
	struct metric *k8s_gauges[3]; /* what its tables hold: pods, containers, namespaces */
	uint64_t gen;
	bool events_quiet; /* events are for diagnose only (collector_opts.events_quiet) */
	/* called from the event loop after every maintain (registry locked) */
	void (*on_maintain)(void *ctx);
	void *on_maintain_ctx;
	/* trace output */
	struct strbuf out;
	uint64_t events_seen;
};

/* Sets up signals, timer and registry; no BPF yet. 0 or -errno (logged). */
int agent_init(struct agent *a, const struct config *cfg);
/* Opens every enabled collector (or, with only, those in that mask); a collector that
 * fails is logged and left down. Returns how many are up. */
int agent_open_collectors(struct agent *a, unsigned int only, bool events, event_sink_fn sink,
		      void *sink_ctx);
/* Runs the event loop until a signal, or for duration seconds when > 0. */
int agent_loop(struct agent *a, double duration);
/* Collects every collector into the registry; the caller holds the registry lock. */
void agent_collect(struct agent *a);
/* Reads what every collector's ring buffer holds now, into the sinks (registry locked):
 * a program may queue events without waking the loop, which then drains each tick. */
void agent_drain_events(struct agent *a);
/* Runs the collectors' maintain hooks (following new devices, processes); registry locked. */
void agent_maintain(struct agent *a);
void agent_fini(struct agent *a);

/* Logs why and returns -1 when this process cannot load BPF programs. */
int agent_need_bpf(void);

int cmd_run(const struct config *cfg);
int cmd_trace(const struct config *cfg);
int cmd_probe(const struct config *cfg);
int cmd_diagnose(const struct config *cfg);

#endif
