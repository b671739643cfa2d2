/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef OSISCOPE_SELFSTATS_H
#define OSISCOPE_SELFSTATS_H

#include "config.h"
#include "collector.h"
#include "registry.h"

/* The agent's own metrics: build_info, layer_up, BPF program cost, lost events,
 * series overflow (kept by the registry itself) and the process_* family. */
struct selfstats;

struct selfstats *selfstats_new(struct registry *reg, const struct config *cfg);
void selfstats_free(struct selfstats *s);
/* Called with the registry locked. stats_seconds: how long BPF run-time statistics
 * have been on in total. */
void selfstats_collect(struct selfstats *s, struct collector *layers, int ncollectors,
		       double stats_seconds, bool stats_on);

#endif
