// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* osiscope run: the agent, serving /metrics until a signal. */
#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include "../exporters/events.h"
#include "../exporters/prometheus.h"
#include "agent.h"
#include "log.h"

static int scrape(void *ctx, struct strbuf *out)
{
	struct agent *a = ctx;

	registry_lock(a->reg);
	/* the first collection takes the baselines of every collector: it is
	 * agent_open_collectors()'s, and a scrape before it only shows what there is */
	if (atomic_load(&a->ready))
		agent_collect(a);
	prom_render(a->reg, out);
	registry_unlock(a->reg);
	return out->failed ? -ENOMEM : 0;
}

static bool ready(void *ctx)
{
	struct agent *a = ctx;

	return atomic_load(&a->ready);
}

static void log_event(void *ctx, const struct event_record *ev)
{
	struct agent *a = ctx;
	struct strbuf line;

	strbuf_init(&line);
	events_json(&line, ev, a->wall_offset_ns);
	if (line.len)
		line.buf[--line.len] = '\0';
	pr_debug("event %s", line.buf ? line.buf : "");
	strbuf_free(&line);
}

/* Every device of every namespace can hold a few descriptors (tcx links, namespace
 * fds): take the hard limit rather than fail at the soft one (often 1024). */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			pr_warn("raise the open-files limit to %llu: %s",
				(unsigned long long)rl.rlim_max, strerror(errno));
	}
}

int cmd_run(const struct config *cfg)
{
	struct prom_server_ops ops = { .scrape = scrape, .ready = ready };
	struct prom_server *srv = NULL;
	struct agent a;
	char err[256];
	int up, ret = 1;

	if (agent_need_bpf())
		return 1;
	raise_nofile();
	if (agent_init(&a, cfg))
		goto out;
	ops.ctx = &a;
	srv = prom_server_start(cfg->listen, &ops, err, sizeof(err));
	if (!srv) {
		pr_err("%s", err);
		goto out;
	}
	pr_info("serving /metrics on %s", cfg->listen);
	/* events are only decoded for the debug log: with nobody reading, the kernel side
	 * does not even reserve ring-buffer space */
	up = agent_open_collectors(&a, 0, log_get_level() == LOG_DEBUG, log_event, &a);
	atomic_store(&a.ready, true);
	pr_info("ready: %d collector%s up", up, up == 1 ? "" : "s");
	ret = agent_loop(&a, 0) ? 1 : 0;
out:
	prom_server_stop(srv); /* before the collectors go: no scrape during teardown */
	agent_fini(&a);
	return ret;
}
