// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* osiscope probe: what works on this kernel, in text or JSON, each "no" with its why. */
#include <bpf/libbpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "agent.h"
#include "log.h"
#include "probe.h"
#include "strbuf.h"

struct item {
	const char *kind;
	const char *name;
	struct probe_result r;
};

static void item_out(struct strbuf *out, bool json, bool *first, const char *kind,
		     const char *name, bool ok, const char *why)
{
	if (json) {
		strbuf_puts(out, *first ? "\n    {" : ",\n    {");
		strbuf_puts(out, "\"kind\":");
		strbuf_json_str(out, kind);
		strbuf_puts(out, ",\"name\":");
		strbuf_json_str(out, name);
		strbuf_printf(out, ",\"ok\":%s,\"detail\":", ok ? "true" : "false");
		strbuf_json_str(out, why);
		strbuf_putc(out, '}');
	} else {
		strbuf_printf(out, "  %-10s %-36s %-4s %s\n", kind, name, ok ? "yes" : "no",
			      ok && !strcmp(why, "ok") ? "" : why);
	}
	*first = false;
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
	bool json = cfg->output == OUT_JSON, first = true;
	struct probe_result r, bpf;
	struct strbuf out;
	struct utsname u;
	struct agent a;
	char what[128];

	strbuf_init(&out);
	uname(&u);
	probe_bpf_syscall(&bpf);
	if (json) {
		strbuf_puts(&out, "{\"kernel\":");
		strbuf_json_str(&out, u.release);
		strbuf_puts(&out, ",\"machine\":");
		strbuf_json_str(&out, u.machine);
		strbuf_puts(&out, ",\"features\":[");
	} else {
		strbuf_printf(&out, "kernel %s %s, libbpf %s\n\nfeatures and hooks:\n", u.release,
			      u.machine, libbpf_version_string());
	}
	item_out(&out, json, &first, "feature", "bpf syscall", bpf.ok, bpf.why);
	item_out(&out, json, &first, "feature", "kernel BTF", probe_kernel_btf() != NULL,
		 probe_kernel_btf() ? "ok" : "no /sys/kernel/btf/vmlinux (CONFIG_DEBUG_INFO_BTF)");
	if (bpf.ok) {
		probe_map_type(BPF_MAP_TYPE_RINGBUF, &r);
		item_out(&out, json, &first, "feature", "ring buffer map", r.ok, r.why);
		probe_map_type(BPF_MAP_TYPE_SK_STORAGE, &r);
		item_out(&out, json, &first, "feature", "socket storage map", r.ok, r.why);
		probe_bpf_stats(&r);
		item_out(&out, json, &first, "feature", "run-time statistics", r.ok, r.why);
		probe_kprobe(&r);
		item_out(&out, json, &first, "feature", "kprobe", r.ok, r.why);
		probe_fentry("tcp_conn_request", &r);
		item_out(&out, json, &first, "feature", "fentry", r.ok, r.why);
		for (size_t i = 0; i < sizeof(tps) / sizeof(tps[0]); i++) {
			snprintf(what, sizeof(what), "%s", tps[i][1]);
			probe_tp_btf(tps[i][1], &r);
			item_out(&out, json, &first, "tp_btf", what, r.ok, r.why);
			probe_raw_tp(tps[i][1], &r);
			item_out(&out, json, &first, "raw_tp", what, r.ok, r.why);
			snprintf(what, sizeof(what), "%s/%s", tps[i][0], tps[i][1]);
			probe_tracepoint(tps[i][0], tps[i][1], &r);
			item_out(&out, json, &first, "tracepoint", what, r.ok, r.why);
		}
	}
	strbuf_puts(&out, json ? "\n  ],\n  \"layers\":[" : "\nlayers:\n");
	first = true;

	/* A layer works when its object really loads and attaches: do exactly that. */
	struct config lc = *cfg;
	lc.collectors = (1u << COLL_COUNT) - 1;
	log_setup(LOG_ERROR, cfg->log_format); /* the table says it all */
	if (bpf.ok && agent_init(&a, &lc) == 0) {
		agent_open_layers(&a, 0, false, NULL, NULL);
		for (int i = 0; i < COLL_COUNT; i++) {
			struct layer *l = &a.layers[i];
			struct strbuf why;

			strbuf_init(&why);
			if (l->up) {
				char more[512];

				strbuf_puts(&why, "hooks:");
				for (size_t h = 0; h < l->nhooks; h++)
					strbuf_printf(&why, " %s/%s", l->hooks[h].chosen ? l->hooks[h].mode : "none",
						      l->hooks[h].name);
				if (l->describe) {
					more[0] = '\0';
					l->describe(l, more, sizeof(more));
					if (more[0])
						strbuf_printf(&why, "; %s", more);
				}
			} else {
				strbuf_puts(&why, l->why);
			}
			snprintf(what, sizeof(what), "%s (%s)", l->name, l->osi);
			item_out(&out, json, &first, "layer", what, l->up, why.buf ? why.buf : "");
			strbuf_free(&why);
		}
		agent_fini(&a);
	} else {
		item_out(&out, json, &first, "layer", "all", false, bpf.ok ? "agent setup failed" : bpf.why);
	}
	log_setup(cfg->log_level, cfg->log_format);
	strbuf_puts(&out, json ? "\n  ]\n}\n" : "");
	fwrite(out.buf, 1, out.len, stdout);
	strbuf_free(&out);
	return bpf.ok ? 0 : 1;
}
