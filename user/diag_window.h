/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef OSISCOPE_DIAG_WINDOW_H
#define OSISCOPE_DIAG_WINDOW_H

/*
 * What diagnose looks at, kept while the agent runs: the last events (a ring of at most
 * cap, the oldest dropped first and counted) and, per device, when its carrier last
 * changed. Bounded: cap events and one entry per device. Callers serialize (the agent
 * holds the registry lock for both adding and reading).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ifaces.h"
#include "problems.h"

struct diag_dev {
	uint32_t netns;
	uint32_t ifindex;
	char name[16];
	uint32_t carrier_changes; /* last reading */
	uint64_t changed_ns; /* when a reading last differed from the one before; 0 never */
	uint32_t changes; /* by how much it did */
	uint64_t seen_gen;
};

/* The history of one counter without events: its value whenever it changed. */
#define DIAG_HIST 32
struct diag_hist {
	uint32_t netns;
	char what[24];
	unsigned int n; /* samples, oldest first */
	struct {
		uint64_t ts_ns, v;
	} s[DIAG_HIST];
};

struct diag_window {
	struct diag_event *ev;
	size_t cap, head, n; /* ring: n events ending before head */
	uint64_t dropped; /* events pushed out before anyone could see them */
	uint64_t start_ns; /* when it started keeping */
	struct diag_dev *dev;
	size_t ndev, devcap;
	uint64_t gen;
	struct diag_hist *hist;
	size_t nhist, histcap;
};

/* 0 or -ENOMEM; cap 0 keeps no event (a window that only says it has none). */
int diag_window_init(struct diag_window *w, size_t cap, uint64_t now_ns);
void diag_window_free(struct diag_window *w);
void diag_window_add(struct diag_window *w, const struct diag_event *e);
/* The events since since_ns, oldest first, into a new array (*out, caller frees).
 * Returns how many, or -ENOMEM. */
long diag_window_since(const struct diag_window *w, uint64_t since_ns, struct diag_event **out);
/* Takes a reading of every device of c (after a link dump): carrier changes are noted
 * with the time. Devices not in c any more are forgotten. */
void diag_window_devices(struct diag_window *w, const struct iface_cache *c, uint64_t now_ns);
/* The devices as the engine wants them: carrier changes within [since_ns, now]. Returns
 * how many were written into out (at most max). */
size_t diag_window_links(const struct diag_window *w, const struct iface_cache *c,
			 uint64_t since_ns, struct diag_link *out, size_t max);

/* Notes a counter's value (from zero at the agent's start) at now_ns. */
void diag_window_count(struct diag_window *w, uint32_t netns, const char *what, uint64_t v,
		       uint64_t now_ns);
/* Each counter's change since since_ns (from the last value noted at or before it; the
 * oldest kept, or zero, when none was), into out (at most max); returns how many. */
size_t diag_window_counts(const struct diag_window *w, uint64_t since_ns, struct diag_count *out,
			  size_t max);

#endif
