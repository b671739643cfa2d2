// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* osiscope probe: what works on this kernel, in text or JSON, each "no" with its why. */
#include <bpf/libbpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "../exporters/report.h"
#include "agent.h"
#include "log.h"
#include "netns_id.h"
#include "probe.h"
#include "strbuf.h"

static void item(struct report_node *list, const char *kind, const char *name, bool ok,
		 const char *why)
{
	struct report_node *row = report_obj(list, NULL);

	report_set_head(row, "{kind:-10} {name:-36} {ok:-4} {detail}");
	report_str(row, "kind", kind);
	report_str(row, "name", name);
	report_set_words(report_bool(row, "ok", ok), "yes", "no");
	/* in the table, "ok" says no more than the yes beside it */
	report_set_text(report_str(row, "detail", why), ok && !strcmp(why, "ok") ? "" : NULL);
}

int cmd_probe(const struct config *cfg)
{
	/* the tracepoints the collectors use */
	static const char *const tps[][2] = {
		{ "sock", "inet_sock_set_state" },   { "tcp", "tcp_retransmit_skb" },
		{ "tcp", "tcp_retransmit_synack" },  { "tcp", "tcp_send_reset" },
		{ "tcp", "tcp_receive_reset" },	     { "skb", "kfree_skb" },
		{ "neigh", "neigh_update" },	     { "neigh", "neigh_update_done" },
		{ "neigh", "neigh_timer_handler" },  { "net", "netif_receive_skb" },
		{ "net", "net_dev_start_xmit" },     { "net", "net_dev_xmit_timeout" },
		{ "fib", "fib_table_lookup" },	     { "fib6", "fib6_table_lookup" },
		{ "icmp", "icmp_send" },	     { "sock", "sock_send_length" },
		{ "sched", "sched_process_exec" },
	};
	struct report_node *features, *layers;
	struct probe_result r, bpf;
	struct report rep;
	struct strbuf out;
	struct utsname u;
	struct agent a;
	char what[128], how[240];
	int err;

	report_init(&rep);
	strbuf_init(&out);
	uname(&u);
	probe_bpf_syscall(&bpf);
	report_set_head(&rep.root, "kernel {kernel} {machine}, libbpf {libbpf}");
	report_str(&rep.root, "kernel", u.release);
	report_str(&rep.root, "machine", u.machine);
	report_set_flags(report_str(&rep.root, "libbpf", libbpf_version_string()),
			 REPORT_TEXT_ONLY);
	features = report_set_flags(report_list(&rep.root, "features"), REPORT_LINES);
	report_set_head(features, "features and hooks:");
	item(features, "feature", "bpf syscall", bpf.ok, bpf.why);
	item(features, "feature", "kernel BTF", probe_kernel_btf() != NULL,
	     probe_kernel_btf() ? "ok" : "no /sys/kernel/btf/vmlinux (CONFIG_DEBUG_INFO_BTF)");
	if (bpf.ok) {
		probe_map_type(BPF_MAP_TYPE_RINGBUF, &r);
		item(features, "feature", "ring buffer map", r.ok, r.why);
		probe_map_type(BPF_MAP_TYPE_SK_STORAGE, &r);
		item(features, "feature", "socket storage map", r.ok, r.why);
		probe_bpf_stats(&r);
		item(features, "feature", "run-time statistics", r.ok, r.why);
		probe_kprobe(&r);
		item(features, "feature", "kprobe", r.ok, r.why);
		item(features, "feature", "namespace identity",
		     netns_id_kind(how, sizeof(how)) != NETNS_ID_NONE, how);
		probe_fentry("tcp_conn_request", &r);
		item(features, "feature", "fentry", r.ok, r.why);
		for (size_t i = 0; i < sizeof(tps) / sizeof(tps[0]); i++) {
			probe_tp_btf(tps[i][1], &r);
			item(features, "tp_btf", tps[i][1], r.ok, r.why);
			probe_raw_tp(tps[i][1], &r);
			item(features, "raw_tp", tps[i][1], r.ok, r.why);
			snprintf(what, sizeof(what), "%s/%s", tps[i][0], tps[i][1]);
			probe_tracepoint(tps[i][0], tps[i][1], &r);
			item(features, "tracepoint", what, r.ok, r.why);
		}
	}
	layers = report_set_flags(report_list(&rep.root, "layers"), REPORT_LINES);
	report_set_head(layers, "layers:");

	/* A layer works when its object really loads and attaches: do exactly that. */
	struct config lc = *cfg;
	lc.collectors = ~0u; /* every collector there is */
	log_setup(LOG_ERROR, cfg->log_format); /* the table says it all */
	if (bpf.ok && agent_init(&a, &lc) == 0) {
		agent_open_collectors(&a, 0, false, NULL, NULL);
		for (size_t i = 0; i < a.ncollectors; i++) {
			struct collector *l = &a.collectors[i];
			struct strbuf why;

			strbuf_init(&why);
			if (l->up) {
				char more[512];

				strbuf_puts(&why, "hooks:");
				for (size_t h = 0; h < l->nhooks; h++)
					strbuf_printf(&why, " %s/%s", l->hooks[h].chosen ? l->hooks[h].mode : "none",
						      l->hooks[h].name);
				for (size_t h = 0; h < l->nfhooks; h++) {
					const struct fhook *f = &l->fhooks[h];

					if (f->chosen)
						strbuf_printf(&why, " %s/%s", f->mode, f->func);
					else if (f->wanted)
						strbuf_printf(&why, " none/%s (%s)", f->func, f->why);
				}
				if (l->desc->describe) {
					more[0] = '\0';
					l->desc->describe(l, more, sizeof(more));
					if (more[0])
						strbuf_printf(&why, "; %s", more);
				}
			} else {
				strbuf_puts(&why, l->why);
			}
			snprintf(what, sizeof(what), "%s (%s)", l->name, l->desc->osi);
			item(layers, "layer", what, l->up, why.buf ? why.buf : "");
			strbuf_free(&why);
		}
		agent_fini(&a);
	} else {
		item(layers, "layer", "all", false, bpf.ok ? "agent setup failed" : bpf.why);
	}
	log_setup(cfg->log_level, cfg->log_format);
	err = cfg->output == OUT_JSON ? report_json(&rep, &out) : report_text(&rep, &out);
	if (err)
		pr_err("probe: %s", strerror(-err));
	else
		fwrite(out.buf, 1, out.len, stdout);
	report_free(&rep);
	strbuf_free(&out);
	return bpf.ok && !err ? 0 : 1;
}
