/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef OSISCOPE_DIAGNOSE_H
#define OSISCOPE_DIAGNOSE_H

#include <stdbool.h>

#include "../exporters/record.h"
#include "diag_window.h"
#include "strbuf.h"

struct agent;

/* The diagnose report of the last window_s seconds of w (capped at what w has seen), as
 * JSON (the contract of DESIGN.md) or text, appended to out. Collects first: the caller
 * holds the registry lock. 0 or -errno. */
int diag_render(struct agent *a, struct diag_window *w, double window_s, bool json,
		struct strbuf *out);
/* Notes the counters diagnose reads without events (no route) into w; after a
 * collection, registry locked. */
struct registry;
void diag_sample(struct diag_window *w, struct registry *reg);
/* An event_sink_fn adding every event to the window ctx. */
void diag_window_sink(void *ctx, const struct event_record *ev);

#endif
