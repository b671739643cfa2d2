// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * osiscope diagnose: what went wrong in a window, as problems, root cause first
 * (user/problems.c), from the running agent's window (GET /api/v1/diagnose) or, when
 * none answers, from programs loaded here for --duration seconds.
 */
#include "diagnose.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../exporters/report.h"
#include "agent.h"
#include "diag_client.h"
#include "log.h"
#include "strbuf.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* --- layers: per collector, up or why not, and the counters that moved --- */

struct finding_walk {
	const struct finding *fd;
	struct report_node *findings;
};

/* The netns label holds an inode number, which JSON shows as a number; one that is not
 * (the _other fold) stays a string so that the JSON still parses. */
static void add_netns(struct report_node *f, const char *v)
{
	unsigned long long n;
	char back[24], *end;

	errno = 0;
	n = strtoull(v, &end, 10);
	snprintf(back, sizeof(back), "%llu", n);
	if (!errno && !*end && !strcmp(back, v) && n <= 1ULL << 53)
		report_num(f, "netns", (double)n, 0);
	else
		report_str(f, "netns", v);
}

static int add_series(void *ctx, const struct series_view *s)
{
	struct finding_walk *w = ctx;
	const struct finding *fd = w->fd;
	const char *netns = series_label(s, "netns");
	const char *picked = fd->label ? series_label(s, fd->label) : NULL;
	struct report_node *f, *labels;

	if (s->value <= 0 || s->type != METRIC_COUNTER)
		return 0;
	if (picked && strcmp(picked, fd->value))
		return 0;
	f = report_obj(w->findings, NULL);
	if (netns)
		add_netns(f, netns);
	labels = report_obj(f, "labels");
	for (unsigned int k = 0; k < s->nlabels; k++)
		report_str(labels, s->label_names[k], s->label_values[k]);
	report_str(f, "what", fd->what);
	report_num(f, "count", s->value, 0);
	report_str(f, "hint", fd->hint);
	return 0;
}

/* One collector's status. Its findings (counters since the agent started) are for the
 * JSON only: the text is the problems. */
static void add_layer(struct report_node *layers, struct registry *reg, const struct collector *l)
{
	struct report_node *lo = report_obj(layers, NULL);
	struct finding_walk w = { 0 };

	report_set_head(lo, "{layer} ({osi}): {up}{detail}");
	report_str(lo, "layer", l->name);
	report_set_flags(report_str(lo, "osi", l->desc->osi), REPORT_TEXT_ONLY);
	report_set_words(report_bool(lo, "up", l->up), "up", "unavailable: ");
	report_str(lo, "detail", l->up ? "" : l->why);
	w.findings = report_set_flags(report_list(lo, "findings"), REPORT_JSON_ONLY);
	if (!l->up)
		return;
	for (size_t f = 0; f < l->desc->nfindings; f++) {
		w.fd = &l->desc->findings[f];
		/* a metric the layer did not register in this build has nothing to say */
		registry_each_series(reg, w.fd->metric, add_series, &w);
	}
}

/* --- problems --- */

static void wall_text(const struct agent *a, uint64_t mono, char *buf, size_t len)
{
	int64_t wall = (int64_t)mono + a->wall_offset_ns;
	time_t secs = (time_t)(wall / 1000000000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)((wall % 1000000000) / 1000));
}

static void add_lines(struct report_node *p, const char *key, const char *heading,
		      char (*lines)[DIAG_LINE], unsigned int n, uint64_t more)
{
	struct report_node *l = report_list(p, key);
	char buf[64];

	report_set_head(l, heading);
	for (unsigned int i = 0; i < n; i++)
		report_str(l, NULL, lines[i]);
	if (more) {
		snprintf(buf, sizeof(buf), "... and %llu more", (unsigned long long)more);
		report_str(l, NULL, buf);
	}
	if (!n)
		report_set_flags(l, REPORT_JSON_ONLY);
}

static void add_problem(struct report_node *list, const struct agent *a,
			const struct diag_problem *p)
{
	struct report_node *o = report_obj(list, NULL), *about;
	char layer[4], t1[40], t2[40];
	struct strbuf sb;

	snprintf(layer, sizeof(layer), "L%c", p->layer[1]);
	wall_text(a, p->first_ns, t1, sizeof(t1));
	wall_text(a, p->last_ns, t2, sizeof(t2));
	report_set_head(o, "{L} {cause}: {summary}");
	report_set_foot(o, "  check: {check}");
	report_set_flags(report_str(o, "L", layer), REPORT_TEXT_ONLY);
	report_str(o, "layer", p->layer);
	report_str(o, "collector", p->collector);
	report_str(o, "cause", p->cause);
	report_num(o, "netns", p->netns, 0);
	report_str(o, "namespace", p->namespace);
	report_str(o, "pod", p->pod);
	report_str(o, "device", p->device);
	report_str(o, "target", p->target);
	report_num(o, "count", (double)p->count, 0);
	report_str(o, "first", t1);
	report_str(o, "last", t2);
	report_str(o, "summary", p->summary);
	report_str(o, "check", p->check);

	/* text: where and how many, then the evidence and symptoms */
	about = report_set_flags(report_list(o, "about"), REPORT_TEXT_ONLY);
	strbuf_init(&sb);
	strbuf_printf(&sb, "where: netns %u", p->netns);
	if (p->namespace[0])
		strbuf_printf(&sb, ", namespace %s, pod %s", p->namespace, p->pod);
	if (p->device[0])
		strbuf_printf(&sb, ", device %s", p->device);
	if (p->target[0] && strcmp(p->target, p->device))
		strbuf_printf(&sb, ", %s %s", p->cause[0] == 'd' ? "name/server" : "peer",
			      p->target);
	report_str(about, NULL, sb.buf ? sb.buf : "");
	strbuf_reset(&sb);
	strbuf_printf(&sb, "how many: %llu", (unsigned long long)p->count);
	if (p->affected > p->count)
		strbuf_printf(&sb, " (%llu events with what it explains)",
			      (unsigned long long)p->affected);
	strbuf_printf(&sb, ", %s to %s", t1 + 11, t2 + 11);
	report_str(about, NULL, sb.buf ? sb.buf : "");
	strbuf_free(&sb);
	add_lines(o, "evidence", "evidence:", (char(*)[DIAG_LINE])p->evidence, p->nevidence,
		  p->more_evidence);
	add_lines(o, "symptoms", "explains:", (char(*)[DIAG_LINE])p->symptoms, p->nsymptoms,
		  p->more_symptoms);
}

/*
 * The check as a command to run from the host: inside the problem's namespace through
 * its name (ip netns exec) or a process in it (nsenter), as the last scan found it.
 */
static void check_in_netns(const struct agent *a, struct diag_problem *p, uint32_t self)
{
	const char *path = NULL, *name;
	char cmd[sizeof(p->check)], pre[96];
	unsigned int pid;
	bool many = strchr(p->check, ';') != NULL;

	if (!p->check[0] || p->netns == self || !strncmp(p->check, "osiscope ", 9))
		return;
	for (size_t i = 0; i < a->netns.n && !path; i++)
		if (a->netns.v[i].inode == p->netns)
			path = a->netns.v[i].path;
	if (!path)
		return;
	if (!strncmp(path, "/run/netns/", 11) && (name = path + 11)[0] && !strchr(name, '/'))
		snprintf(pre, sizeof(pre), "ip netns exec %s", name);
	else if (sscanf(path, "/proc/%u/ns/net", &pid) == 1)
		snprintf(pre, sizeof(pre), "nsenter -t %u -n", pid);
	else
		snprintf(pre, sizeof(pre), "nsenter --net=%s", path);
	snprintf(cmd, sizeof(cmd), "%s %s%s%s", pre, many ? "sh -c '" : "", p->check,
		 many ? "'" : "");
	snprintf(p->check, sizeof(p->check), "%s", cmd);
}

#define DIAG_MAX_LINKS 1024
#define DIAG_MAX_COUNTS 1024

struct sample_walk {
	struct diag_window *w;
	uint64_t now;
};

static int sample_series(void *ctx, const struct series_view *s)
{
	struct sample_walk *sw = ctx;
	const char *kind = series_label(s, "kind"), *fam = series_label(s, "family");
	const char *ns = series_label(s, "netns");
	char what[24], *end;
	unsigned long n;

	const char *type = series_label(s, "type"), *code = series_label(s, "code");

	if (!fam || !ns || s->value < 0)
		return 0;
	if (kind && !strcmp(kind, "no_route"))
		snprintf(what, sizeof(what), "no_route_%s", fam);
	else if (kind && !strcmp(kind, "no_port")) /* osiscope_udp_errors_total */
		snprintf(what, sizeof(what), "udp_no_port_%s", fam);
	else if (type && code && !strcmp(type, "3") && !strcmp(fam, "ipv4"))
		snprintf(what, sizeof(what), "icmp_unreach_%s", code);
	else
		return 0;
	errno = 0;
	n = strtoul(ns, &end, 10);
	if (errno || *end || n > UINT32_MAX)
		return 0;
	diag_window_count(sw->w, (uint32_t)n, what, (uint64_t)s->value, sw->now);
	return 0;
}

void diag_sample(struct diag_window *w, struct registry *reg)
{
	struct sample_walk sw = { w, mono_ns() };

	registry_each_series(reg, "osiscope_route_lookup_failures_total", sample_series, &sw);
	registry_each_series(reg, "osiscope_icmp_sent_total", sample_series, &sw);
	/* UdpNoPorts: which UDP drops were to closed ports, before drop reasons */
	registry_each_series(reg, "osiscope_udp_errors_total", sample_series, &sw);
}

int diag_render(struct agent *a, struct diag_window *w, double window_s, bool json,
		struct strbuf *out)
{
	uint64_t now = mono_ns(), since;
	struct diag_result res = { 0 };
	struct diag_event *ev = NULL;
	struct diag_link *links;
	struct diag_count *counts;
	struct report_node *problems, *layers;
	struct report rep;
	long nev;
	int err;

	/* no more than the window has seen */
	if (window_s * 1e9 > (double)(now - w->start_ns))
		window_s = (double)(now - w->start_ns) / 1e9;
	since = now - (uint64_t)(window_s * 1e9);
	agent_collect(a);
	diag_window_devices(w, &a->ifaces, now);
	diag_sample(w, a->reg);
	links = calloc(DIAG_MAX_LINKS, sizeof(*links));
	counts = calloc(DIAG_MAX_COUNTS, sizeof(*counts));
	nev = diag_window_since(w, since, &ev);
	if (!links || !counts || nev < 0) {
		free(links);
		free(counts);
		free(ev);
		return -ENOMEM;
	}
	{
		struct diag_input in = { .ev = ev,
					 .nev = (size_t)nev,
					 .links = links,
					 .counts = counts,
					 .start_ns = since,
					 .end_ns = now };

		in.nlinks = diag_window_links(w, &a->ifaces, since, links, DIAG_MAX_LINKS);
		in.ncounts = diag_window_counts(w, since, counts, DIAG_MAX_COUNTS);
		err = diag_analyze(&in, &res);
	}
	free(ev);
	free(links);
	free(counts);
	if (err)
		return err;

	report_init(&rep);
	report_set_head(&rep.root, "osiscope diagnose: the last {duration_seconds} s");
	report_num(&rep.root, "duration_seconds", (double)(long long)(window_s * 10 + 0.5) / 10,
		   -1);
	problems = report_list(&rep.root, "problems");
	report_set_flags(problems, REPORT_LINES);
	report_set_empty(problems, "no problem found");
	for (size_t i = 0; i < res.n; i++) {
		check_in_netns(a, &res.v[i], netns_self());
		add_problem(problems, a, &res.v[i]);
	}
	layers = report_set_flags(report_list(&rep.root, "layers"), REPORT_LINES);
	report_set_head(layers, "collectors:");
	for (size_t i = 0; i < a->ncollectors; i++)
		if (a->cfg->collectors & (1u << i))
			add_layer(layers, a->reg, &a->collectors[i]);
	report_set_foot(&rep.root, "{nproblems}{quiet}");
	report_set_flags(report_set_words(report_num(&rep.root, "nproblems", (double)res.n, 0),
					  "problem", "problems"),
			 REPORT_TEXT_ONLY);
	{
		char quiet[160];

		snprintf(quiet, sizeof(quiet),
			 " (%llu drops the kernel makes in normal operation left out%s)",
			 (unsigned long long)res.benign,
			 w->dropped ? "; the window was full, its oldest events are gone" : "");
		report_set_flags(report_str(&rep.root, "quiet", quiet), REPORT_TEXT_ONLY);
	}
	diag_result_free(&res);
	err = json ? report_json(&rep, out) : report_text(&rep, out);
	report_free(&rep);
	return err;
}

/* The one event sink of diagnose and of the agent's window. */
void diag_window_sink(void *ctx, const struct event_record *ev)
{
	struct diag_event e;

	diag_event_from_record(&e, ev);
	diag_window_add(ctx, &e);
}

/* --- the command --- */

struct local {
	struct agent *a;
	struct diag_window *w;
};

static void on_maintain(void *ctx)
{
	struct local *l = ctx;

	diag_window_devices(l->w, &l->a->ifaces, mono_ns());
}

static int from_agent(const struct config *cfg, bool *answered)
{
	struct strbuf body;
	char path[96], err[256];
	int status = 0, ret = 1;

	*answered = false;
	snprintf(path, sizeof(path), "/api/v1/diagnose?window=%g&format=%s", cfg->duration,
		 cfg->output == OUT_JSON ? "json" : "text");
	strbuf_init(&body);
	if (diag_client_get(cfg->agent, path, &body, &status, err, sizeof(err))) {
		fprintf(stderr, "no agent answers at %s (%s): loading the programs here\n",
			cfg->agent, err);
		goto out;
	}
	if (status != 200) {
		/* an older agent (404), one that keeps no window, one not ready yet */
		while (body.len &&
		       (body.buf[body.len - 1] == '\n' || body.buf[body.len - 1] == '\r'))
			body.buf[--body.len] = '\0';
		fprintf(stderr, "the agent at %s answered %d%s%.*s: loading the programs here\n",
			cfg->agent, status, body.len ? ", " : "",
			body.len > 200 ? 200 : (int)body.len, body.buf ? body.buf : "");
		goto out;
	}
	*answered = true;
	fprintf(stderr, "watching for %g s... (the window of the agent at %s)\n", cfg->duration,
		cfg->agent);
	fwrite(body.buf, 1, body.len, stdout);
	ret = 0;
out:
	strbuf_free(&body);
	return ret;
}

int cmd_diagnose(const struct config *cfg)
{
	struct diag_window w;
	struct strbuf out;
	struct local l;
	struct agent a;
	bool answered;
	int ret = 1, err;

	if (strcmp(cfg->agent, "off")) {
		ret = from_agent(cfg, &answered);
		if (answered)
			return ret;
	}
	strbuf_init(&out);
	if (diag_window_init(&w, cfg->diag_events ? cfg->diag_events : 4096, mono_ns()))
		return 1;
	/* a report: the collectors' attach lines are noise unless asked for */
	if (log_get_level() == LOG_INFO)
		log_setup(LOG_WARN, cfg->log_format);
	if (agent_init(&a, cfg))
		goto done;
	if (agent_need_bpf())
		goto done;
	l.a = &a;
	l.w = &w;
	a.on_maintain = on_maintain;
	a.events_quiet = true;
	a.on_maintain_ctx = &l;
	agent_open_collectors(&a, 0, true, diag_window_sink, &w);
	atomic_store(&a.ready, true);
	w.start_ns = mono_ns();
	diag_window_devices(&w, &a.ifaces, w.start_ns);
	fprintf(stderr, "watching for %g s...\n", cfg->duration);
	if (agent_loop(&a, cfg->duration))
		goto done;
	registry_lock(a.reg);
	agent_drain_events(&a); /* what is still queued belongs to the window */
	err = diag_render(&a, &w, cfg->duration, cfg->output == OUT_JSON, &out);
	registry_unlock(a.reg);
	if (err) {
		pr_err("diagnose: %s", strerror(-err));
		goto done;
	}
	fwrite(out.buf, 1, out.len, stdout);
	ret = 0;
done:
	agent_fini(&a);
	diag_window_free(&w);
	strbuf_free(&out);
	return ret;
}
