// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* osiscope trace: events as they happen, in columns or JSON lines. */
#include <stdio.h>
#include <string.h>

#include "../exporters/events.h"
#include "agent.h"
#include "log.h"

static void trace_event(void *ctx, const struct event_record *ev)
{
	struct agent *a = ctx;
	const struct config *cfg = a->cfg;

	if (cfg->pid && ev->pid != cfg->pid)
		return;
	if (cfg->netns && ev->netns != cfg->netns)
		return;
	if (cfg->trace_namespace[0] && strcmp(ev->namespace, cfg->trace_namespace))
		return;
	if (cfg->trace_pod[0] &&
	    (strcmp(ev->namespace, cfg->trace_pod_namespace) || strcmp(ev->pod, cfg->trace_pod)))
		return;
	a->events_seen++;
	if (cfg->output == OUT_JSON)
		events_json(&a->out, ev, a->wall_offset_ns);
	else
		events_columns(&a->out, ev, a->wall_offset_ns);
}

int cmd_trace(const struct config *cfg)
{
	struct agent a;
	int up, ret = 1;

	if (agent_need_bpf())
		return 1;
	if (agent_init(&a, cfg))
		goto out;
	if ((cfg->trace_namespace[0] || cfg->trace_pod[0]) && !a.k8s) {
		pr_err("trace: --pod and --namespace need pod names, and --kubernetes is off "
		       "here (no /var/log/containers): try --kubernetes=on");
		goto out;
	}
	up = agent_open_collectors(&a, cfg->trace_layers, true, trace_event, &a);
	if (!up) {
		pr_err("trace: no collector could be loaded");
		goto out;
	}
	pr_info("tracing; Ctrl-C to stop");
	if (cfg->output != OUT_JSON) {
		events_columns_header(&a.out);
		fwrite(a.out.buf, 1, a.out.len, stdout);
		fflush(stdout);
		strbuf_reset(&a.out);
	}
	ret = agent_loop(&a, cfg->duration) ? 1 : 0;
	/* what is still queued in the ring buffers belongs to the trace too */
	agent_drain_events(&a);
	if (a.out.len)
		fwrite(a.out.buf, 1, a.out.len, stdout);
	fflush(stdout);
	for (size_t i = 0; i < a.ncollectors; i++) {
		uint64_t lost[LOST_REASONS];

		if (a.collectors[i].up && collector_read_lost(&a.collectors[i], "events_lost", lost) == 0 &&
		    (lost[LOST_RATELIMIT] || lost[LOST_RINGBUF]))
			pr_warn("%s: %llu events lost over the rate limit (--events.rate), %llu with "
				"the ring buffer full",
				a.collectors[i].name, (unsigned long long)lost[LOST_RATELIMIT],
				(unsigned long long)lost[LOST_RINGBUF]);
	}
out:
	agent_fini(&a);
	return ret;
}
