// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* osiscope diagnose: watch for --duration seconds, then say per layer and namespace
 * what went wrong, with the likely cause an SRE would check first. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../exporters/report.h"
#include "agent.h"
#include "log.h"
#include "strbuf.h"

struct finding_walk {
	const struct finding *fd;
	struct report_node *findings;
	int issues;
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
	struct strbuf where;

	if (s->value <= 0 || s->type != METRIC_COUNTER)
		return 0;
	if (picked && strcmp(picked, fd->value))
		return 0;
	w->issues++;
	/* where it happened: the namespace, then the other labels */
	strbuf_init(&where);
	if (netns)
		strbuf_printf(&where, "netns %s", netns);
	for (unsigned int k = 0; k < s->nlabels; k++) {
		if (!strcmp(s->label_names[k], "netns") ||
		    (picked && !strcmp(s->label_names[k], fd->label)) || !s->label_values[k][0])
			continue;
		strbuf_printf(&where, "%s%s=%s", where.len ? " " : "", s->label_names[k],
			      s->label_values[k]);
	}
	f = report_obj(w->findings, NULL);
	report_set_head(f, "{where:-28} {count:8} {what:-26} {hint}");
	report_set_flags(report_str(f, "where", where.buf), REPORT_TEXT_ONLY);
	strbuf_free(&where);
	if (netns)
		add_netns(f, netns);
	labels = report_set_flags(report_obj(f, "labels"), REPORT_JSON_ONLY);
	for (unsigned int k = 0; k < s->nlabels; k++)
		report_str(labels, s->label_names[k], s->label_values[k]);
	report_str(f, "what", fd->what);
	report_num(f, "count", s->value, 0);
	report_str(f, "hint", fd->hint);
	return 0;
}

static void add_layer(struct report_node *layers, struct registry *reg, const struct collector *l,
		      int *issues)
{
	struct report_node *lo = report_obj(layers, NULL);
	struct finding_walk w = { .issues = 0 };

	report_set_head(lo, "{layer} ({osi}): {up}{detail}");
	report_str(lo, "layer", l->name);
	report_set_flags(report_str(lo, "osi", l->desc->osi), REPORT_TEXT_ONLY);
	report_set_words(report_bool(lo, "up", l->up), "up", "unavailable: ");
	report_str(lo, "detail", l->up ? "" : l->why);
	w.findings = report_list(lo, "findings");
	if (!l->up)
		return;
	report_set_empty(w.findings, "nothing wrong seen");
	for (size_t f = 0; f < l->desc->nfindings; f++) {
		w.fd = &l->desc->findings[f];
		/* a metric the layer did not register in this build has nothing to say */
		registry_each_series(reg, w.fd->metric, add_series, &w);
	}
	*issues += w.issues;
}

int cmd_diagnose(const struct config *cfg)
{
	struct report_node *layers;
	struct report rep;
	struct strbuf out;
	struct agent a;
	int issues = 0, ret = 1, err;

	report_init(&rep);
	strbuf_init(&out);
	/* a report: the collectors' attach lines are noise unless asked for */
	if (log_get_level() == LOG_INFO)
		log_setup(LOG_WARN, cfg->log_format);
	if (agent_init(&a, cfg))
		goto done;
	if (agent_need_bpf())
		goto done;
	agent_open_collectors(&a, 0, false, NULL, NULL);
	atomic_store(&a.ready, true);
	if (cfg->output != OUT_JSON)
		fprintf(stderr, "watching for %g s...\n", cfg->duration);
	if (agent_loop(&a, cfg->duration))
		goto done;
	registry_lock(a.reg);
	agent_collect(&a);

	report_set_head(&rep.root, "osiscope diagnose: {duration_seconds} s");
	report_num(&rep.root, "duration_seconds", cfg->duration, -1);
	layers = report_list(&rep.root, "layers");
	for (size_t i = 0; i < a.ncollectors; i++) {
		if (cfg->collectors & (1u << i))
			add_layer(layers, a.reg, &a.collectors[i], &issues);
	}
	registry_unlock(a.reg);
	report_set_foot(&rep.root, "{issues}");
	report_set_words(report_num(&rep.root, "issues", issues, 0), "issue", "issues");

	err = cfg->output == OUT_JSON ? report_json(&rep, &out) : report_text(&rep, &out);
	if (err) {
		pr_err("diagnose: %s", strerror(-err));
		goto done;
	}
	fwrite(out.buf, 1, out.len, stdout);
	ret = 0;
done:
	agent_fini(&a);
	report_free(&rep);
	strbuf_free(&out);
	return ret;
}
