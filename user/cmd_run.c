// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* osiscope run: the agent, serving /metrics until a signal. */
#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include "../exporters/events.h"
#include "../exporters/prometheus.h"
#include "agent.h"
#include "diagnose.h"
#include "log.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>

/* What the agent serves /api/v1/diagnose from. */
/* a first: the HTTP server's ctx is both the agent (scrape, ready) and the run */
struct run {
	struct agent a;
	struct diag_window w;
	bool window; /* keeping one (--diagnose.events > 0) */
};

static int scrape(void *ctx, struct strbuf *out)
{
	struct agent *a = ctx;

	registry_lock(a->reg);
	/* the first collection takes the baselines of every collector: it is
	 * agent_open_collectors()'s, and a scrape before it only shows what there is */
	if (atomic_load(&a->ready)) {
		agent_collect(a);
		/* what diagnose reads from counters, noted at every collection */
		if (((struct run *)ctx)->window)
			diag_sample(&((struct run *)ctx)->w, a->reg);
	}
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
	struct run *r = ctx;
	struct agent *a = &r->a;
	struct strbuf line;

	if (r->window)
		diag_window_sink(&r->w, ev);
	if (log_get_level() != LOG_DEBUG)
		return;
	strbuf_init(&line);
	events_json(&line, ev, a->wall_offset_ns);
	if (line.len)
		line.buf[--line.len] = '\0';
	pr_debug("event %s", line.buf ? line.buf : "");
	strbuf_free(&line);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void on_maintain(void *ctx)
{
	struct run *r = ctx;

	diag_window_devices(&r->w, &r->a.ifaces, mono_ns());
}

/* GET /api/v1/diagnose: window (seconds) and format checked, the report from the window. */
static int api_diagnose(void *ctx, const char *window, const char *format, struct strbuf *out,
			char *err, size_t errlen)
{
	struct run *r = ctx;
	double s = r->a.cfg->diag_window;
	char *end;
	int rc;

	if (window) {
		errno = 0;
		s = strtod(window, &end);
		if (errno || end == window || (*end && strcmp(end, "s")) || !isfinite(s) ||
		    s <= 0) {
			snprintf(err, errlen,
				 "window=%.40s: want seconds greater than 0, e.g. window=60",
				 window);
			return -EINVAL;
		}
		if (s > r->a.cfg->diag_window)
			s = r->a.cfg->diag_window; /* no more than the agent keeps */
	}
	if (format && strcmp(format, "json") && strcmp(format, "text")) {
		snprintf(err, errlen, "format=%.40s: want json or text", format);
		return -EINVAL;
	}
	if (!r->window) {
		snprintf(err, errlen, "this agent keeps no window (--diagnose.events=0)");
		return -EAGAIN;
	}
	if (!atomic_load(&r->a.ready)) {
		snprintf(err, errlen, "not ready: the collectors are still attaching");
		return -EAGAIN;
	}
	registry_lock(r->a.reg);
	agent_drain_events(&r->a); /* the last tick's events too */
	rc = diag_render(&r->a, &r->w, s, !format || !strcmp(format, "json"), out);
	registry_unlock(r->a.reg);
	return rc;
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
	struct prom_server_ops ops = { .scrape = scrape, .ready = ready, .diagnose = api_diagnose };
	struct prom_server *srv = NULL;
	struct run *r;
	struct agent *a;
	char err[256];
	int up, ret = 1;

	if (agent_need_bpf())
		return 1;
	raise_nofile();
	/* big (the window): not on the stack */
	r = calloc(1, sizeof(*r));
	if (!r || diag_window_init(&r->w, cfg->diag_events, mono_ns())) {
		pr_err("diagnose window of %u events: %s", cfg->diag_events, strerror(ENOMEM));
		free(r);
		return 1;
	}
	r->window = cfg->diag_events > 0;
	a = &r->a;
	if (agent_init(a, cfg))
		goto out;
	ops.ctx = a;
	srv = prom_server_start(cfg->listen, &ops, err, sizeof(err));
	if (!srv) {
		pr_err("%s", err);
		goto out;
	}
	pr_info("serving /metrics on %s", cfg->listen);
	a->on_maintain = r->window ? on_maintain : NULL;
	a->events_quiet = log_get_level() != LOG_DEBUG; /* the debug log shows every event */
	a->on_maintain_ctx = r;
	/* events feed the diagnose window (and the debug log); with neither, the kernel
	 * side does not even reserve ring-buffer space */
	up = agent_open_collectors(a, 0, r->window || log_get_level() == LOG_DEBUG, log_event, r);
	r->w.start_ns = mono_ns();
	atomic_store(&a->ready, true);
	pr_info("ready: %d collector%s up", up, up == 1 ? "" : "s");
	ret = agent_loop(a, 0) ? 1 : 0;
out:
	prom_server_stop(srv); /* before the collectors go: no scrape during teardown */
	agent_fini(a);
	diag_window_free(&r->w);
	free(r);
	return ret;
}
