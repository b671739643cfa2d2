// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* osiscope diagnose: watch for --duration seconds, then say per layer and namespace
 * what went wrong, with the likely cause an SRE would check first. */
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "log.h"
#include "strbuf.h"

static int label_index(const struct metric *m, const char *name)
{
	for (unsigned int i = 0; i < m->nlabels; i++)
		if (!strcmp(m->desc.labels[i], name))
			return (int)i;
	return -1;
}

int cmd_diagnose(const struct config *cfg)
{
	bool json = cfg->output == OUT_JSON, first = true;
	struct strbuf out;
	struct agent a;
	int issues = 0, ret = 1;

	strbuf_init(&out);
	/* a report: the collectors' attach lines are noise unless asked for */
	if (log_get_level() == LOG_INFO)
		log_setup(LOG_WARN, cfg->log_format);
	if (agent_init(&a, cfg))
		goto done;
	if (agent_need_bpf())
		goto done;
	agent_open_layers(&a, 0, false, NULL, NULL);
	atomic_store(&a.ready, true);
	if (!json)
		fprintf(stderr, "watching for %g s...\n", cfg->duration);
	if (agent_loop(&a, cfg->duration))
		goto done;
	registry_lock(a.reg);
	agent_collect(&a);

	strbuf_printf(&out, json ? "{\"duration_seconds\":%g,\"layers\":[" : "osiscope diagnose: %g s\n\n",
		      cfg->duration);
	for (int i = 0; i < COLL_COUNT; i++) {
		struct layer *l = &a.layers[i];

		if (!(cfg->collectors & (1u << i)))
			continue;
		if (json) {
			strbuf_printf(&out, "%s{\"layer\":", first ? "" : ",");
			strbuf_json_str(&out, l->name);
			strbuf_printf(&out, ",\"up\":%s,\"detail\":", l->up ? "true" : "false");
			strbuf_json_str(&out, l->up ? "" : l->why);
			strbuf_puts(&out, ",\"findings\":[");
		} else {
			strbuf_printf(&out, "%s (%s): %s%s\n", l->name, l->osi, l->up ? "up" : "unavailable: ",
				      l->up ? "" : l->why);
		}
		first = false;
		bool ffirst = true;
		int before = issues;

		for (size_t f = 0; l->up && f < l->nfindings; f++) {
			const struct finding *fd = &l->findings[f];
			struct metric *m = registry_find(a.reg, fd->metric);
			int ns_i, lab_i;

			if (!m)
				continue;
			ns_i = label_index(m, "netns");
			lab_i = fd->label ? label_index(m, fd->label) : -1;
			for (struct series *s = m->first; s; s = s->order) {
				struct strbuf where;

				if (s->value <= 0 || m->desc.type != METRIC_COUNTER)
					continue;
				if (lab_i >= 0 && strcmp(s->values[lab_i], fd->value))
					continue;
				issues++;
				/* where it happened: the namespace, then the other labels */
				strbuf_init(&where);
				if (ns_i >= 0)
					strbuf_printf(&where, "netns %s", s->values[ns_i]);
				for (unsigned int k = 0; k < m->nlabels; k++) {
					if ((int)k == ns_i || (int)k == lab_i || !s->values[k][0])
						continue;
					strbuf_printf(&where, "%s%s=%s", where.len ? " " : "",
						      m->desc.labels[k], s->values[k]);
				}
				if (json) {
					strbuf_puts(&out, ffirst ? "{" : ",{");
					if (ns_i >= 0)
						strbuf_printf(&out, "\"netns\":%s,", s->values[ns_i]);
					strbuf_puts(&out, "\"labels\":{");
					for (unsigned int k = 0; k < m->nlabels; k++) {
						strbuf_printf(&out, "%s", k ? "," : "");
						strbuf_json_str(&out, m->desc.labels[k]);
						strbuf_putc(&out, ':');
						strbuf_json_str(&out, s->values[k]);
					}
					strbuf_puts(&out, "},\"what\":");
					strbuf_json_str(&out, fd->what);
					strbuf_printf(&out, ",\"count\":%.0f,\"hint\":", s->value);
					strbuf_json_str(&out, fd->hint);
					strbuf_putc(&out, '}');
				} else {
					strbuf_printf(&out, "  %-28s %8.0f %-26s %s\n",
						      where.buf ? where.buf : "", s->value, fd->what,
						      fd->hint);
				}
				strbuf_free(&where);
				ffirst = false;
			}
		}
		if (json)
			strbuf_puts(&out, "]}");
		else if (l->up && issues == before)
			strbuf_puts(&out, "  nothing wrong seen\n");
	}
	registry_unlock(a.reg);
	if (json)
		strbuf_printf(&out, "],\"issues\":%d}\n", issues);
	else
		strbuf_printf(&out, "\n%d issue%s\n", issues, issues == 1 ? "" : "s");
	fwrite(out.buf, 1, out.len, stdout);
	ret = 0;
done:
	agent_fini(&a);
	strbuf_free(&out);
	return ret;
}
