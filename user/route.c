// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Route layer (L3), userspace half: load and attach bpf/route.bpf.c, turn its per-netns
 * per-CPU counters into metrics, add what the kernel counts per namespace without a
 * hook (lookups that found no route, ICMP by type), and decode its events. */
#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
#include "log.h"
#include "netns.h"
#include "route.h"
#include "route.skel.h"
#include "route_mib.h"

/* What is kept per namespace: the registry keeps the counters' baselines. */
struct route_prev {
	uint32_t netns;
	uint64_t emitted_gen; /* collection that last handed the map's counters over */
	/* The ICMP error types a hook counts by code (rows of icmp_sent, icmp6_sent): the
	 * MIB's count of each, read at the visit of mib_gen; the hook's, from the map (what
	 * it counted under the inode before a new namespace took it: hooked_base); and the
	 * rest last handed over with the code empty (route_mib_rest). */
	uint64_t mib_gen;
	bool mib_has[ROUTE_FAMILIES];
	uint64_t mib_out[ROUTE_FAMILIES][ICMP_ROWS];
	uint64_t hooked[ROUTE_FAMILIES][ICMP_ROWS], hooked_base[ROUTE_FAMILIES][ICMP_ROWS];
	uint64_t rest[ROUTE_FAMILIES][ICMP_ROWS];
};
_Static_assert((int)ICMP6_ROWS <= (int)ICMP_ROWS, "rows of route_prev");

enum { H_FIB, H_FIB6, H_ICMP, H_SEND, H_COUNT };

/* optional fentry/fexit/kprobe programs */
enum { F_SEND, F_SEND6, F_ICMP_RCV, F_ICMP6_RCV, F_ICMP6_SENT, F_REJECT_IN, F_COUNT };

struct route_priv {
	struct route_bpf *skel;
	struct bpf_link *links[H_COUNT + F_COUNT];
	int nlinks;
	struct nstab prev; /* struct route_prev by namespace */
	const struct collect_ctx *cx; /* of the collection under way */
	uint64_t gen;
	struct hook hooks[H_COUNT];
	struct fhook fhooks[F_COUNT];
	bool icmp_hooked; /* ICMPv4 errors come from the tracepoint, with their code */
	bool send_hooked; /* send failures are counted (else their series are absent) */
	bool rcv_hooked[ROUTE_FAMILIES]; /* ICMP received by type and code, not from the MIB */
	bool icmp6_hooked; /* ICMPv6 errors sent come with their code, not from the MIB */
	struct metric *lookups, *sends, *sent, *received;
};

static const char *const families[ROUTE_FAMILIES] = { "ipv4", "ipv6" };
static const char *const kinds[ROUTE_KINDS] = { "unreachable", "prohibit", "blackhole" };
static const char *const send_errors[ROUTE_SEND_ERRORS] = { "ENETUNREACH", "EHOSTUNREACH" };
/* ICMP type of each row of route_netns_stats.icmp_sent (bpf/route.h) */
static const int row_type[ICMP_ROWS] = { 3, 11, 12, 5, 4, -1 };
/* ICMPv6 type of each row of route_netns_stats.icmp6_sent */
static const int row6_type[ICMP6_ROWS] = { 1, 2, 3, 4 };
static char num[256][4]; /* "0".."255": type and code labels */

static const char *num_label(int v)
{
	return v >= 0 && v < 256 ? num[v] : "other";
}

static int register_metrics(struct route_priv *p, struct registry *reg)
{
	const struct metric_desc descs[] = {
		{ "osiscope_route_lookup_failures_total",
		  "Route lookups that failed, by kind. no_route: no route matched, after the "
		  "policy rules (kernel MIB IpOutNoRoutes + IpExtInNoRoutes, Ip6OutNoRoutes + "
		  "Ip6InNoRoutes); unreachable, prohibit, blackhole: the lookup ended on a "
		  "reject route of that type (tracepoints fib_table_lookup, fib6_table_lookup; "
		  "IPv4: lookups made by a task, e.g. connect and sendmsg, and received packets "
		  "to forward where an optional fentry/kprobe on ip_error runs).",
		  METRIC_COUNTER,
		  { "netns", "family", "kind", NULL } },
		{ "osiscope_route_send_failures_total",
		  "Socket sends (sendmsg, sendto, send, write) that returned ENETUNREACH or "
		  "EHOSTUNREACH (tracepoint sock_send_length); failed connects are not included.",
		  METRIC_COUNTER,
		  { "netns", "family", "error", NULL } },
		{ "osiscope_icmp_sent_total",
		  "ICMP messages sent, by ICMP type and code as numbers (RFC 792, RFC 4443). "
		  "IPv4 errors the kernel generates (types 3, 4, 5, 11, 12) come from tracepoint "
		  "icmp_send with their code; ICMPv6 errors (types 1 to 4) from an optional "
		  "fentry/kprobe on icmpv6_push_pending_frames with their code; every other "
		  "type, those where no hook runs, and what the MIB counts of a hooked type "
		  "beyond the hook (errors sent from raw sockets) from the kernel MIB IcmpMsg "
		  "OutType<N> / Icmp6OutType<N>, whose code is empty: a type's series add up "
		  "to its MIB counter.",
		  METRIC_COUNTER,
		  { "netns", "family", "type", "code", NULL } },
		{ "osiscope_icmp_received_total",
		  "ICMP messages received, by ICMP type and code as numbers: from an optional "
		  "fentry/kprobe on icmp_rcv / icmpv6_rcv where the kernel allows one, else from "
		  "the kernel MIB IcmpMsg InType<N> / Icmp6InType<N> with the code empty.",
		  METRIC_COUNTER,
		  { "netns", "family", "type", "code", NULL } },
	};
	struct metric **const out[] = { &p->lookups, &p->sends, &p->sent, &p->received };

	return metrics_register(reg, descs, sizeof(descs) / sizeof(descs[0]), out);
}

static const char *const route_event_types[] = {
	[ROUTE_EV_LOOKUP_FAILED] = "route_lookup_failed",
	[ROUTE_EV_TTL_EXCEEDED] = "icmp_ttl_exceeded_sent",
	[ROUTE_EV_FRAG_NEEDED] = "icmp_frag_needed_sent",
};

static bool route_decode(struct collector *l, const void *event, struct event_record *r)
{
	const struct route_event *e = event;

	record_addr_set(&r->src, e->family, e->saddr, false, 0);
	record_addr_set(&r->dst, e->family, e->daddr, false, 0);
	switch (e->hdr.type) {
	case ROUTE_EV_LOOKUP_FAILED:
		record_str(r, "family", "%s", families[e->family == 10]);
		record_str(r, "kind", "%s", e->kind < ROUTE_KINDS ? kinds[e->kind] : "?");
		if (e->table) /* 0: a received packet's input route (ip_error) */
			record_uint(r, "table", e->table);
		record_uint(r, "ifindex", e->ifindex);
		break;
	case ROUTE_EV_TTL_EXCEEDED:
		record_uint(r, "type", e->icmp_type);
		record_uint(r, "code", e->icmp_code);
		record_uint(r, "ttl", e->ttl);
		record_uint(r, "proto", e->proto);
		record_uint(r, "len", e->len);
		record_uint(r, "in_ifindex", e->ifindex);
		break;
	case ROUTE_EV_FRAG_NEEDED:
		record_uint(r, "type", e->icmp_type);
		record_uint(r, "code", e->icmp_code);
		record_uint(r, "mtu", e->mtu);
		record_uint(r, "len", e->len);
		record_uint(r, "proto", e->proto);
		record_uint(r, "in_ifindex", e->ifindex);
		break;
	}
	return true;
}

static int route_open(struct collector *l, const struct collector_opts *opts)
{
	struct route_priv *p;
	struct route_bpf *s;
	int err;

	for (int i = 0; i < 256; i++)
		snprintf(num[i], sizeof(num[i]), "%d", i);
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	l->priv = p;
	nstab_init(&p->prev, sizeof(struct route_prev));
	s = p->skel = route_bpf__open();
	if (!s)
		return collector_failed(l, -errno, "open BPF object");
	l->obj = s->obj;
	COLLECTOR_SET_EVENTS(s, opts);

	/* none is required: the MIB half (no_route, ICMP by type) works without them */
	struct hook hooks[H_COUNT] = {
		[H_FIB] = { "fib", "fib_table_lookup", 4, false, s->progs.route_fib_btf, NULL,
			    s->progs.route_fib_raw, NULL, NULL },
		[H_FIB6] = { "fib6", "fib6_table_lookup", 4, false, s->progs.route_fib6_btf, NULL,
			     s->progs.route_fib6_raw, NULL, NULL },
		[H_ICMP] = { "icmp", "icmp_send", 3, false, s->progs.route_icmp_btf, NULL,
			     s->progs.route_icmp_raw, NULL, s->progs.route_icmp_tp },
		[H_SEND] = { "sock", "sock_send_length", 3, false, s->progs.route_send_btf, NULL,
			     s->progs.route_send_raw, NULL, s->progs.route_send_tp },
	};
	memcpy(p->hooks, hooks, sizeof(hooks));
	l->hooks = p->hooks;
	l->nhooks = H_COUNT;

	hooks_select(p->hooks, l->nhooks, opts->cfg->attach);
	/* the classic tracepoints of the lookups lack what attribution needs */
	for (int h = H_FIB; h <= H_FIB6; h++)
		if (!p->hooks[h].chosen && !p->hooks[h].why[0])
			snprintf(p->hooks[h].why, sizeof(p->hooks[h].why), "%s",
				 h == H_FIB ? "no classic tracepoint flavour: it cannot tell a "
					      "task's lookup from a softirq's"
					    : "no classic tracepoint flavour: its record lacks the "
					      "namespace");
	/* send failures before v6.3: inet{,6}_sendmsg()'s return instead of sock_send_length */
	struct fhook fh[F_COUNT] = {
		[F_SEND] = { "inet_sendmsg", s->progs.route_send_fexit, NULL, true },
		[F_SEND6] = { "inet6_sendmsg", s->progs.route_send6_fexit, NULL, true },
		[F_ICMP_RCV] = { "icmp_rcv", s->progs.route_icmp_rcv_fentry,
				 s->progs.route_icmp_rcv_kprobe },
		[F_ICMP6_RCV] = { "icmpv6_rcv", s->progs.route_icmp6_rcv_fentry,
				  s->progs.route_icmp6_rcv_kprobe },
		[F_ICMP6_SENT] = { "icmpv6_push_pending_frames", s->progs.route_icmp6_sent_fentry,
				   s->progs.route_icmp6_sent_kprobe },
		[F_REJECT_IN] = { "ip_error", s->progs.route_reject_in_fentry,
				  s->progs.route_reject_in_kprobe },
	};
	memcpy(p->fhooks, fh, sizeof(fh));
	l->fhooks = p->fhooks;
	l->nfhooks = F_COUNT;
	fhooks_select(&p->fhooks[F_SEND], 2, !p->hooks[H_SEND].chosen,
		      "sock:sock_send_length counts them on this kernel");
	/* ICMP received by type and code: no tracepoint sees them on any kernel */
	fhooks_select(&p->fhooks[F_ICMP_RCV], 2, true, "");
	/* ICMPv6 errors sent with their code, and IPv4 reject routes met by received
	 * packets (looked up in softirq): no tracepoint says either */
	fhooks_select(&p->fhooks[F_ICMP6_SENT], 2, true, "");
	if (!opts->events)
		bpf_map__set_max_entries(s->maps.route_events, 4096); /* never written */

	err = route_bpf__load(s);
	if (err)
		return collector_failed(l, err, "load BPF object");
	err = collector_attach_hooks(l, p->links, &p->nlinks);
	if (err)
		return err;
	p->icmp_hooked = p->hooks[H_ICMP].chosen != NULL;
	p->send_hooked = p->hooks[H_SEND].chosen ||
			 (p->fhooks[F_SEND].chosen && p->fhooks[F_SEND6].chosen);
	p->rcv_hooked[ROUTE_IPV4] = p->fhooks[F_ICMP_RCV].chosen != NULL;
	p->rcv_hooked[ROUTE_IPV6] = p->fhooks[F_ICMP6_RCV].chosen != NULL;
	p->icmp6_hooked = p->fhooks[F_ICMP6_SENT].chosen != NULL;
	if (!p->send_hooked)
		pr_warn("route: osiscope_route_send_failures_total is absent: no sock:sock_send_length "
			"(v6.3+) and no program on inet_sendmsg/inet6_sendmsg (%s)",
			p->fhooks[F_SEND].chosen ? p->fhooks[F_SEND6].why : p->fhooks[F_SEND].why);
	if (!p->icmp_hooked)
		pr_info("route: ICMPv4 errors sent are counted by type only (kernel MIB), "
			"without their code");
	if (opts->events) {
		err = collector_events_open(l, s->maps.route_events);
		if (err)
			return err;
	}
	return 0;
}

/* The namespace's map entry, or with o ORIGIN_ABSENT its series at zero. */
static void emit_map(struct route_priv *p, struct route_prev *pv, const struct route_netns_stats *n,
		     enum counter_origin o)
{
	char ns[16];

	snprintf(ns, sizeof(ns), "%u", pv->netns);
	for (int f = 0; f < ROUTE_FAMILIES; f++) {
		for (int k = 0; k < ROUTE_KINDS; k++) {
			const char *lab[] = { ns, families[f], kinds[k] };
			uint64_t v = n->lookup_failures[f][k];

			if (f == ROUTE_IPV4) /* zero where nothing runs on ip_error */
				v += n->input_failures[k];
			metric_counter_observe(p->lookups, lab, v, o);
		}
		for (int e = 0; p->send_hooked && e < ROUTE_SEND_ERRORS; e++) {
			const char *lab[] = { ns, families[f], send_errors[e] };

			metric_counter_observe(p->sends, lab, n->send_failures[f][e], o);
		}
	}
	if (p->icmp_hooked) {
		for (int r = 0; r < ICMP_ROWS; r++) {
			for (int c = 0; c < ICMP_CODES; c++) {
				/* port unreachable, frag needed and TTL exceeded from the start */
				bool always = (r == ICMP_ROW_DEST_UNREACH && (c == 3 || c == 4)) ||
					      (r == ICMP_ROW_TIME_EXCEEDED && c == 0);
				const char *lab[] = { ns, "ipv4", num_label(row_type[r]),
						      c <= ICMP_CODE_MAX ? num[c] : "other" };

				if (n->icmp_sent[r][c] || always)
					metric_counter_observe(p->sent, lab, n->icmp_sent[r][c], o);
			}
		}
	}
	for (int r = 0; o == ORIGIN_MAP && r < ICMP_ROWS; r++) {
		pv->hooked[ROUTE_IPV4][r] = 0;
		pv->hooked[ROUTE_IPV6][r] = 0;
		for (int c = 0; c < ICMP_CODES; c++) {
			pv->hooked[ROUTE_IPV4][r] += n->icmp_sent[r][c];
			if (r < ICMP6_ROWS)
				pv->hooked[ROUTE_IPV6][r] += n->icmp6_sent[r][c];
		}
	}
	for (int r = 0; p->icmp6_hooked && r < ICMP6_ROWS; r++) {
		for (int c = 0; c < ICMP_CODES; c++) {
			/* port unreachable, packet too big, hop limit exceeded from the start */
			bool always = (r == ICMP6_ROW_DEST_UNREACH && c == 4) ||
				      (r == ICMP6_ROW_PKT_TOOBIG && c == 0) ||
				      (r == ICMP6_ROW_TIME_EXCEED && c == 0);
			const char *lab[] = { ns, "ipv6", num_label(row6_type[r]),
					      c <= ICMP_CODE_MAX ? num[c] : "other" };

			if (n->icmp6_sent[r][c] || always)
				metric_counter_observe(p->sent, lab, n->icmp6_sent[r][c], o);
		}
	}
	pv->emitted_gen = p->gen;
}

/* Types the tracepoint (IPv4) or the program on icmpv6_push_pending_frames (IPv6) counts
 * with their code are left out of the MIB's. */
static bool traced_type(const struct route_priv *p, int f, int t)
{
	bool hooked = f == ROUTE_IPV4 ? p->icmp_hooked : p->icmp6_hooked;
	int rows = f == ROUTE_IPV4 ? ICMP_ROWS : ICMP6_ROWS;

	for (int r = 0; hooked && r < rows; r++)
		if ((f == ROUTE_IPV4 ? row_type : row6_type)[r] == t)
			return true;
	return false;
}

/* What the MIB counted of the types a hook counts by code beyond what the hook saw, with
 * the code empty: each such type's series then add up to its MIB counter. */
static void emit_rest(struct route_priv *p, struct route_prev *pv)
{
	char ns[16];

	snprintf(ns, sizeof(ns), "%u", pv->netns);
	for (int f = 0; f < ROUTE_FAMILIES; f++) {
		bool hooked = f == ROUTE_IPV4 ? p->icmp_hooked : p->icmp6_hooked;
		int rows = f == ROUTE_IPV4 ? ICMP_ROWS : ICMP6_ROWS;
		const int *types = f == ROUTE_IPV4 ? row_type : row6_type;

		for (int r = 0; hooked && pv->mib_has[f] && r < rows; r++) {
			const char *lab[] = { ns, families[f], num_label(types[r]), "" };
			uint64_t h = pv->hooked[f][r], base = pv->hooked_base[f][r];
			uint64_t had = pv->rest[f][r], rest;

			if (types[r] < 0)
				continue;
			rest = route_mib_rest(pv->mib_out[f][r], h > base ? h - base : 0,
					      &pv->rest[f][r]);
			if (rest || had)
				metric_counter_observe(p->sent, lab, rest, ORIGIN_NETNS);
		}
	}
}

static void emit_mib(struct route_priv *p, uint32_t netns, const struct route_mib *n)
{
	const enum counter_origin o = ORIGIN_NETNS;
	char ns[16];

	snprintf(ns, sizeof(ns), "%u", netns);
	for (int f = 0; f < ROUTE_FAMILIES; f++) {
		const char *lab[] = { ns, families[f], "no_route" };
		/* always there: destination unreachable, packet too big (v6), time exceeded */
		int zero_v4[] = { 3, 11, -1 }, zero_v6[] = { 1, 2, 3, -1 };
		const int *zero = f == ROUTE_IPV4 ? zero_v4 : zero_v6;

		if (!n->has[f])
			continue;
		metric_counter_observe(p->lookups, lab, n->noroute[f], o);
		for (int t = 0; t < ROUTE_ICMP_TYPES; t++) {
			bool always = false;
			const char *tl[] = { ns, families[f], num[t], "" };

			for (int z = 0; zero[z] >= 0; z++)
				always |= zero[z] == t;
			if ((n->in[f][t] || always) && !p->rcv_hooked[f])
				metric_counter_observe(p->received, tl, n->in[f][t], o);
			if (traced_type(p, f, t))
				continue;
			if (n->out[f][t] || always)
				metric_counter_observe(p->sent, tl, n->out[f][t], o);
		}
	}
}

static void route_begin(struct collector *l, struct registry *reg, const struct collect_ctx *cx)
{
	struct route_priv *p = l->priv;

	if (!p->lookups)
		register_metrics(p, reg);
}

static void route_visit_netns(struct collector *l, struct registry *reg,
			      const struct netns_entry *ns, const struct collect_ctx *cx)
{
	struct route_priv *p = l->priv;
	struct route_prev *pv;
	struct route_mib m;

	if (!p->lookups)
		return;
	if (route_mib_read(&m) < 0)
		return; /* the namespace went away under us */
	emit_mib(p, ns->inode, &m);
	/* before the map is read (route_collect): see route_mib_rest */
	pv = nstab_get(&p->prev, ns->inode, true);
	if (!pv)
		return;
	for (int f = 0; f < ROUTE_FAMILIES; f++) {
		const int *types = f == ROUTE_IPV4 ? row_type : row6_type;
		int rows = f == ROUTE_IPV4 ? ICMP_ROWS : ICMP6_ROWS;

		pv->mib_has[f] = m.has[f];
		for (int r = 0; r < rows; r++)
			pv->mib_out[f][r] = types[r] >= 0 ? m.out[f][types[r]] : 0;
	}
	pv->mib_gen = cx->gen;
}

static void collect_netns(void *ctx, const void *key, const void *sum)
{
	struct route_priv *p = ctx;
	struct route_prev *pv = nstab_get(&p->prev, *(const uint32_t *)key, true);

	collect_note_netns(p->cx, *(const uint32_t *)key);

	if (pv)
		emit_map(p, pv, sum, ORIGIN_MAP);
}

static void collect_icmp_rcvd(void *ctx, const void *key, const void *sum)
{
	struct route_priv *p = ctx;
	const struct icmp_code_key *k = key;
	char ns[16];
	const char *lab[] = { ns, k->family < ROUTE_FAMILIES ? families[k->family] : "other",
			      num[k->type], num[k->code] };

	snprintf(ns, sizeof(ns), "%u", k->netns);
	collect_note_netns(p->cx, k->netns);
	metric_counter_observe(p->received, lab, *(const uint64_t *)sum, ORIGIN_MAP);
}

static void route_collect(struct collector *l, struct registry *reg, const struct collect_ctx *cx)
{
	struct route_priv *p = l->priv;

	if (!p->lookups)
		return;
	p->gen = cx->gen;
	p->cx = cx;
	percpu_map_each(bpf_map__fd(p->skel->maps.route_stats), sizeof(uint32_t),
			sizeof(struct route_netns_stats), collect_netns, p);
	if (p->rcv_hooked[ROUTE_IPV4] || p->rcv_hooked[ROUTE_IPV6])
		percpu_map_each(bpf_map__fd(p->skel->maps.icmp_rcvd), sizeof(struct icmp_code_key),
				sizeof(uint64_t), collect_icmp_rcvd, p);
	/* every namespace gets its series from the start, at zero */
	for (size_t i = 0; i < cx->netns->n; i++) {
		struct route_prev *pv = nstab_get(&p->prev, cx->netns->v[i].inode, true);

		if (pv && pv->emitted_gen != p->gen) {
			static const struct route_netns_stats none;

			emit_map(p, pv, &none, ORIGIN_ABSENT);
		}
		if (pv && pv->mib_gen == p->gen)
			emit_rest(p, pv);
	}
}

/* The registry renews the counters' baselines (the map's stay, the MIB's go to zero):
 * unlike forget_netns, the map's entry must stay. The rest of a hooked type starts again
 * from the new namespace's MIB, beside what the hook counted under the inode so far (as
 * last read: what the old one sent after that counts as the new one's). */
static void route_renew_netns(struct collector *l, uint32_t netns)
{
	struct route_priv *p = l->priv;
	struct route_prev *pv = nstab_get(&p->prev, netns, false);

	if (!pv)
		return;
	memcpy(pv->hooked_base, pv->hooked, sizeof(pv->hooked));
	memset(pv->rest, 0, sizeof(pv->rest));
}

static void route_forget_netns(struct collector *l, uint32_t netns)
{
	struct route_priv *p = l->priv;

	bpf_map_delete_elem(bpf_map__fd(p->skel->maps.route_stats), &netns);
	map_delete_netns(bpf_map__fd(p->skel->maps.icmp_rcvd), sizeof(struct icmp_code_key),
			 offsetof(struct icmp_code_key, netns), netns);
	nstab_del(&p->prev, netns);
}

static void route_close(struct collector *l)
{
	struct route_priv *p = l->priv;

	if (!p)
		return;
	collector_release(l, p->links, p->nlinks);
	route_bpf__destroy(p->skel);
	nstab_free(&p->prev);
	free(p);
	l->priv = NULL;
}

static const struct finding route_findings[] = {
	{ "osiscope_route_lookup_failures_total", "kind", "no_route", "lookups with no route",
	  "no route covers the destination: a missing default route or prefix route" },
	{ "osiscope_route_lookup_failures_total", "kind", "unreachable",
	  "lookups ended on an unreachable route", "an `unreachable` route matched: ip route" },
	{ "osiscope_route_lookup_failures_total", "kind", "prohibit",
	  "lookups ended on a prohibit route", "a `prohibit` route matched: ip route" },
	{ "osiscope_route_lookup_failures_total", "kind", "blackhole",
	  "lookups ended on a blackhole route",
	  "a `blackhole` route (or nexthop) matched: traffic vanishes without an error" },
	{ "osiscope_route_send_failures_total", NULL, NULL, "sends failed for lack of a route",
	  "the application got ENETUNREACH/EHOSTUNREACH: routing, or an ICMP unreachable" },
	{ "osiscope_icmp_sent_total", "code", "3", "ICMP port unreachables sent (IPv4)",
	  "datagrams to closed UDP ports here" },
	{ "osiscope_icmp_sent_total", "code", "4", "ICMP fragmentation needed sent (IPv4)",
	  "DF packets bigger than the next hop's MTU; if ICMP is filtered on the way back, an "
	  "MTU black hole" },
	{ "osiscope_icmp_sent_total", "type", "11", "ICMP time exceeded sent (IPv4)",
	  "packets ran out of TTL here: a routing loop, a too low TTL, or traceroute" },
	{ "osiscope_icmp_sent_total", "type", "2", "ICMPv6 packet too big sent",
	  "IPv6 packets bigger than the next hop's MTU" },
	{ "osiscope_icmp_received_total", "type", "11", "ICMP time exceeded received (IPv4)",
	  "our packets ran out of TTL on the way: a routing loop, or traceroute" },
	{ "osiscope_icmp_received_total", "type", "2", "ICMPv6 packet too big received",
	  "the path MTU is below ours: check MTUs and tunnels on the way" },
};

static const struct collector_desc route_collector = {
	.name = "route",
	.osi = "l3",
	.layers = OSI_L3,
	.rank = 30,
	.findings = route_findings,
	.nfindings = sizeof(route_findings) / sizeof(route_findings[0]),
	.events = { .size = sizeof(struct route_event),
		    .osi = "l3",
		    .types = route_event_types,
		    .ntypes = sizeof(route_event_types) / sizeof(route_event_types[0]),
		    .decode = route_decode },
	.open = route_open,
	.begin = route_begin,
	.visit_netns = route_visit_netns,
	.collect = route_collect,
	.forget_netns = route_forget_netns,
	.renew_netns = route_renew_netns,
	.close = route_close,
};
COLLECTOR_REGISTER(route_collector);
