// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* TCP layer (L4/L5), userspace half: load and attach bpf/tcp.bpf.c, turn its per-netns
 * per-CPU counters into metrics, add what the kernel counts without a hook (listen
 * queue overflows, socket states), and decode its events. */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "btf_names.h"
#include "collector.h"
#include "log.h"
#include "netns.h"
#include "tcp.h"
#include "tcp.skel.h"

/* What is kept per namespace: the registry keeps the counters' baselines. */
struct tcp_prev {
	uint32_t netns;
	uint64_t emitted_gen; /* collection that last handed its counters over */
	/* Full sockets by state are the kernel's counts (struct tcp_netns_stats, states)
	 * plus base, taken from one sock_diag dump when the namespace was first seen */
	bool seeded;
	uint64_t base[TCP_STATE_MAX];
	/* the last dump of timewait and request sockets: the namespace's state changes
	 * and SYN-ACK retransmits as they stood then, and the requests it found */
	uint64_t hidden_gen;
	uint64_t hidden_req;
	/* the kernel's counters of the collection under way (sum_gen): its slot's and
	 * its hash entry's, added */
	uint64_t sum_gen;
	struct tcp_netns_stats sum;
	/* the namespace's cookie, as this collection's visit read it (cookie_gen): a slot
	 * held under its inode with another key is a gone namespace's */
	uint64_t cookie, cookie_gen;
	/* what the slots of gone namespaces with this inode counted until they were taken
	 * back: it stays in the inode's sums, whose baselines the registry keeps */
	struct tcp_netns_stats carry;
};

/* Above this many TCP sockets on the host (all namespaces, at the last scrape), no
 * namespace is dumped to tell its timewait and request sockets apart: each dump walks
 * all of them. Timewait sockets then all count as time_wait (sockstat's tally). */
#define TCP_HOST_DUMP_MAX 16384

struct tcp_priv {
	struct tcp_bpf *skel;
	struct bpf_link *links[10];
	int nlinks;
	struct nstab prev; /* struct tcp_prev by namespace */
	const struct collect_ctx *cx; /* of the collection under way */
	uint64_t gen; /* collection number */
	uint64_t host_sockets, host_next; /* TCP sockets on the host: last scrape, this one */
	/* the kernel's slot owners as last read, and its count of claims then */
	struct tcp_ns_owner owners[TCP_NS_SLOTS];
	uint64_t owners_claimed;
	bool owners_read;
	bool by_cookie; /* slots are keyed by the namespace's cookie, not its inode */
	struct hook hooks[5];
	struct fhook fhooks[2]; /* resets with no socket, before v6.10 */
	/* resets sent read from the namespace's TcpOutRsts: the kernel's tracepoint misses
	 * some and no program could fill them in */
	bool rst_mib;
	/* metrics */
	struct metric *retrans, *syn_retrans, *rst_sent, *rst_recv, *connects, *connect_dur,
		*active, *passive, *overflows, *drops, *sockets, *lifetime, *sent, *received;
	double lat_bounds[HIST_SLOTS - 1], life_bounds[HIST_SLOTS - 1];
};

static const char *const connect_results[TCP_CONNECT_RESULTS] = {
	"ok", "refused", "timeout", "unreachable", "other",
};

static struct tcp_prev *prev_get(struct tcp_priv *p, uint32_t netns, bool create)
{
	return nstab_get(&p->prev, netns, create);
}

static int register_metrics(struct tcp_priv *p, struct registry *reg)
{
#define NS { "netns", NULL }
	const struct metric_desc descs[] = {
		{ "osiscope_tcp_retransmitted_segments_total",
		  "TCP segments retransmitted, SYN-ACKs included (kernel MIB TcpRetransSegs).",
		  METRIC_COUNTER, NS },
		{ "osiscope_tcp_syn_retransmits_total",
		  "SYN and SYN-ACK retransmits (kernel MIB TcpExtTCPSynRetrans).", METRIC_COUNTER,
		  NS },
		{ "osiscope_tcp_resets_sent_total", "TCP resets sent (kernel MIB TcpOutRsts).",
		  METRIC_COUNTER, NS },
		{ "osiscope_tcp_resets_received_total",
		  "TCP resets received and accepted by a socket (tracepoint tcp_receive_reset).",
		  METRIC_COUNTER, NS },
		{ "osiscope_tcp_connects_total",
		  "Active connects that finished, by result: ok, refused (RST), timeout, "
		  "unreachable (ICMP), other (e.g. closed by the application first).",
		  METRIC_COUNTER, { "netns", "result", NULL } },
		{ "osiscope_tcp_connect_duration_seconds",
		  "Time from SYN sent to ESTABLISHED for successful active connects.",
		  METRIC_HISTOGRAM, NS, 0, p->lat_bounds, HIST_SLOTS - 1 },
		{ "osiscope_tcp_active_opens_total",
		  "Connects that sent a SYN (kernel MIB TcpActiveOpens).", METRIC_COUNTER, NS },
		{ "osiscope_tcp_passive_opens_total",
		  "Connections accepted from a listener's SYN queue (kernel MIB TcpPassiveOpens).",
		  METRIC_COUNTER, NS },
		{ "osiscope_tcp_listen_overflows_total",
		  "Times a listener's accept queue was full (kernel MIB TcpExtListenOverflows).",
		  METRIC_COUNTER, NS },
		{ "osiscope_tcp_listen_drops_total",
		  "Connection requests dropped by a listener, overflows included (kernel MIB "
		  "TcpExtListenDrops).",
		  METRIC_COUNTER, NS },
		{ "osiscope_tcp_sockets",
		  "TCP sockets by state, as ss counts them: counted in the kernel from state "
		  "changes, timewait and request sockets from sock_diag; above 16384 TCP "
		  "sockets on the host, timewait ones all count as time_wait (sockstat's tw) "
		  "and request sockets are not counted.",
		  METRIC_GAUGE, { "netns", "state", NULL } },
		{ "osiscope_tcp_connection_duration_seconds",
		  "Lifetime of established TCP connections, from first handshake state to close.",
		  METRIC_HISTOGRAM, NS, 0, p->life_bounds, HIST_SLOTS - 1 },
		{ "osiscope_tcp_sent_bytes_total",
		  "Bytes sent and acknowledged by the peer, counted when the connection closes "
		  "(tcp_sock bytes_acked).",
		  METRIC_COUNTER, NS },
		{ "osiscope_tcp_received_bytes_total",
		  "Bytes received, counted when the connection closes (tcp_sock bytes_received).",
		  METRIC_COUNTER, NS },
	};
#undef NS
	struct metric **const out[] = { &p->retrans,	 &p->syn_retrans, &p->rst_sent,	 &p->rst_recv,
				  &p->connects,	 &p->connect_dur, &p->active,	 &p->passive,
				  &p->overflows, &p->drops,	  &p->sockets,	 &p->lifetime,
				  &p->sent,	 &p->received };

	metric_log2_bounds(p->lat_bounds, HIST_SLOTS - 1, 1e-6);
	metric_log2_bounds(p->life_bounds, HIST_SLOTS - 1, 1e-3);
	return metrics_register(reg, descs, sizeof(descs) / sizeof(descs[0]), out);
}

static const char *const tcp_event_types[] = {
	[TCP_EV_RESET_SENT] = "reset_sent",
	[TCP_EV_RESET_RECEIVED] = "reset_received",
	[TCP_EV_CONNECT_REFUSED] = "connect_refused",
	[TCP_EV_CONNECT_TIMEOUT] = "connect_timeout",
	[TCP_EV_CONNECT_UNREACHABLE] = "connect_unreachable",
	[TCP_EV_RETRANSMIT] = "retransmit",
};

static bool tcp_decode(struct collector *l, const void *event, struct event_record *r)
{
	const struct tcp_event *e = event;
	char name[64];

	if (e->family) {
		record_addr_set(&r->src, e->family, e->saddr, true, e->sport);
		record_addr_set(&r->dst, e->family, e->daddr, true, e->dport);
	}
	if (e->state && e->state < TCP_STATE_MAX && tcp_state_names[e->state])
		r->state = tcp_state_names[e->state];
	switch (e->hdr.type) {
	case TCP_EV_RESET_SENT:
		if (btf_enum_name("sk_rst_reason", e->detail, "SK_RST_REASON_", name, sizeof(name)))
			record_str(r, "reason", "%s", name);
		break;
	case TCP_EV_CONNECT_REFUSED:
	case TCP_EV_CONNECT_TIMEOUT:
	case TCP_EV_CONNECT_UNREACHABLE:
		record_errno(r, "error", (int)e->detail);
		break;
	case TCP_EV_RETRANSMIT:
		record_uint(r, "segments", e->detail);
		break;
	}
	return true;
}

static int tcp_open(struct collector *l, const struct collector_opts *opts)
{
	struct tcp_priv *p;
	struct tcp_bpf *s;
	int err, missing;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	l->priv = p;
	nstab_init(&p->prev, sizeof(struct tcp_prev));
	s = p->skel = tcp_bpf__open();
	if (!s)
		return collector_failed(l, -errno, "open BPF object");
	l->obj = s->obj;
	COLLECTOR_SET_EVENTS(s, opts);

	struct hook hooks[] = {
		{ "sock", "inet_sock_set_state", 3, true, s->progs.tcp_state_btf, NULL,
		  s->progs.tcp_state_raw, NULL, s->progs.tcp_state_tp },
		{ "tcp", "tcp_retransmit_skb", 3, false, s->progs.tcp_retransmit_btf,
		  s->progs.tcp_retransmit_btf2, s->progs.tcp_retransmit_raw,
		  s->progs.tcp_retransmit_raw2, s->progs.tcp_retransmit_tp },
		{ "tcp", "tcp_retransmit_synack", 2, false, s->progs.tcp_synack_btf, NULL,
		  s->progs.tcp_synack_raw, NULL, s->progs.tcp_synack_tp },
		{ "tcp", "tcp_send_reset", 3, false, s->progs.tcp_send_reset_btf,
		  s->progs.tcp_send_reset_btf2, s->progs.tcp_send_reset_raw,
		  s->progs.tcp_send_reset_raw2, s->progs.tcp_send_reset_tp },
		{ "tcp", "tcp_receive_reset", 1, false, s->progs.tcp_receive_reset_btf, NULL,
		  s->progs.tcp_receive_reset_raw, NULL, s->progs.tcp_receive_reset_tp },
	};
	memcpy(p->hooks, hooks, sizeof(hooks));
	l->hooks = p->hooks;
	l->nhooks = sizeof(hooks) / sizeof(hooks[0]);

	missing = hooks_select(p->hooks, l->nhooks, opts->cfg->attach);
	if (missing < 0) {
		snprintf(l->why, sizeof(l->why), "no usable hook for sock:inet_sock_set_state: %s",
			 p->hooks[0].why);
		return -EOPNOTSUPP;
	}
	/*
	 * Before v6.10 tcp_send_reset has two arguments (no reason) and fires only for
	 * resets of a socket; a closed port's reset goes out with none. Fill that in from
	 * the functions that send them, else read the namespace's TcpOutRsts.
	 */
	struct fhook fh[] = {
		{ "tcp_v4_send_reset", s->progs.tcp_v4_rst_fentry, s->progs.tcp_v4_rst_kprobe },
		{ "tcp_v6_send_reset", s->progs.tcp_v6_rst_fentry, s->progs.tcp_v6_rst_kprobe },
	};
	size_t nfh = sizeof(fh) / sizeof(fh[0]);
	bool socketless = probe_tp_nargs("tcp_send_reset") >= 3;

	memcpy(p->fhooks, fh, sizeof(fh));
	l->fhooks = p->fhooks;
	l->nfhooks = nfh;
	fhooks_select(p->fhooks, nfh, !socketless,
		      "tcp_send_reset traces resets with no socket on this kernel");
	if (!opts->events) { /* never written */
		bpf_map__set_max_entries(s->maps.tcp_events, 4096);
		bpf_map__set_max_entries(s->maps.sk_tasks, 1);
	}
	s->rodata->netns_by_cookie = p->by_cookie = probe_netns_cookie_made();
	/* the program chosen for tp_btf, with or without compare-and-swap */
	if (p->hooks[0].chosen == s->progs.tcp_state_btf && !probe_atomic_cmpxchg()) {
		bpf_program__set_autoload(s->progs.tcp_state_btf, false);
		bpf_program__set_autoload(s->progs.tcp_state_btf_lru, true);
		p->hooks[0].chosen = s->progs.tcp_state_btf_lru;
		pr_info("tcp: no atomic compare-and-exchange in this kernel's BPF (5.12+): "
			"socket start times are kept in a hash map only");
	} else {
		bpf_program__set_autoload(s->progs.tcp_state_btf_lru, false);
	}
	err = tcp_bpf__load(s);
	if (err)
		return collector_failed(l, err, "load BPF object");
	err = collector_attach_hooks(l, p->links, &p->nlinks);
	if (err)
		return err;
	for (size_t i = 0; i < nfh; i++)
		if (p->fhooks[i].wanted && !p->fhooks[i].chosen)
			p->rst_mib = true;
	if (p->rst_mib)
		pr_info("tcp: resets sent read from each namespace's TcpOutRsts: tcp_send_reset "
			"misses resets with no socket on this kernel and no program fills them "
			"in (%s)",
			p->fhooks[0].chosen ? p->fhooks[1].why : p->fhooks[0].why);
	if (opts->events) {
		err = collector_events_open(l, s->maps.tcp_events);
		if (err)
			return err;
	}
	return 0;
}

/* The namespace's map entry, or with o ORIGIN_ABSENT its series at zero. */
static void emit_counters(struct tcp_priv *p, uint32_t netns, const struct tcp_netns_stats *n,
			  enum counter_origin o)
{
	char ns[16];
	const char *lab[] = { ns, NULL };

	snprintf(ns, sizeof(ns), "%u", netns);
	metric_counter_observe(p->retrans, lab, n->retrans_segs + n->synack_retrans, o);
	metric_counter_observe(p->syn_retrans, lab, n->syn_retrans + n->synack_retrans, o);
	if (!p->rst_mib)
		metric_counter_observe(p->rst_sent, lab, n->rst_sent, o);
	metric_counter_observe(p->rst_recv, lab, n->rst_received, o);
	metric_counter_observe(p->active, lab, n->active_opens, o);
	metric_counter_observe(p->passive, lab, n->passive_opens, o);
	metric_counter_observe(p->sent, lab, n->bytes_sent, o);
	metric_counter_observe(p->received, lab, n->bytes_received, o);
	for (int r = 0; r < TCP_CONNECT_RESULTS; r++) {
		const char *cl[] = { ns, connect_results[r] };

		metric_counter_observe(p->connects, cl, n->connects[r], o);
	}
	metric_hist_observe(p->connect_dur, lab, (const uint64_t *)n->connect_hist,
			    n->connect_sum_ns, 1e-9, o);
	metric_hist_observe(p->lifetime, lab, (const uint64_t *)n->lifetime_hist,
			    n->lifetime_sum_ns, 1e-9, o);
}

static void tcp_begin(struct collector *l, struct registry *reg, const struct collect_ctx *cx)
{
	struct tcp_priv *p = l->priv;

	if (!p->retrans && register_metrics(p, reg))
		return;
	metric_gauge_reset(p->sockets);
	p->host_sockets = p->host_next;
	p->host_next = 0;
}

_Static_assert(sizeof(struct tcp_netns_stats) % sizeof(uint64_t) == 0, "counters only");

static void stats_add(struct tcp_netns_stats *to, const struct tcp_netns_stats *v)
{
	uint64_t *t = (uint64_t *)to;
	const uint64_t *f = (const uint64_t *)v;

	for (size_t i = 0; i < sizeof(*to) / sizeof(uint64_t); i++)
		t[i] += f[i];
}

/*
 * The kernel's table of slot owners (bpf/tcp.bpf.c, stats_for), read again when it
 * counted a claim since the last read, or with force. The count is read first: a claim
 * made while the table is read shows at the next call.
 */
static void owners_read(struct tcp_priv *p, bool force)
{
	uint64_t claimed = __atomic_load_n(&p->skel->bss->tcp_slot_claimed, __ATOMIC_ACQUIRE);
	int fd = bpf_map__fd(p->skel->maps.tcp_slot_owner);

	if (!force && p->owners_read && claimed == p->owners_claimed)
		return;
	p->owners_claimed = claimed;
	p->owners_read = true;
	/* a failed read keeps the last one: a slot left out of the sum would read as a
	 * counter reset, and its counts come back twice at the next good read */
	for (uint32_t i = 0; i < TCP_NS_SLOTS; i++) {
		struct tcp_ns_owner o;

		if (bpf_map_lookup_elem(fd, &i, &o) == 0)
			p->owners[i] = o;
	}
}

/* The namespace that holds slot i of the kernel's per-CPU array, as last read; 0 if none. */
static uint32_t slot_owner(struct tcp_priv *p, uint32_t i)
{
	return p->owners[i].key ? p->owners[i].netns : 0;
}

/* The namespace's kernel counts, summed over CPUs, its slots' and its hash entry's
 * (bpf/tcp.bpf.c, stats_for), and what gone namespaces of its inode left (carry): zero
 * when it has none yet. Its slot is found by the table of owners (a namespace that
 * replaced a gone one of the same inode may hold a slot beside the gone one's until the
 * next collection takes that one back). */
static void kernel_counts(struct tcp_priv *p, const struct tcp_prev *pv, struct tcp_netns_stats *k)
{
	uint32_t netns = pv->netns;
	struct tcp_netns_stats v;

	*k = pv->carry;
	owners_read(p, false);
	if (percpu_map_lookup_sum(bpf_map__fd(p->skel->maps.tcp_stats), &netns, sizeof(v), &v) == 0)
		stats_add(k, &v);
	for (uint32_t i = 0; i < TCP_NS_SLOTS; i++)
		if (slot_owner(p, i) == netns &&
		    percpu_map_lookup_sum(bpf_map__fd(p->skel->maps.tcp_slot_stats), &i, sizeof(v),
					  &v) == 0)
			stats_add(k, &v);
}

/*
 * TCP sockets by state in the current namespace, as ss counts them, without walking the
 * host's sockets at every scrape (a sock_diag dump walks all of them, whatever their
 * namespace). Full sockets: the kernel counts every state change (bpf/tcp.bpf.c), which
 * one dump turns into counts when the namespace is first seen, taken while no state
 * changed. Timewait and request sockets change with no state change to tell: timewait
 * ones from sockstat, split into TIME_WAIT and orphaned FIN_WAIT2 by a dump of only
 * those while the host is small enough; request sockets from that dump when something
 * changed since the last one or it found some.
 */
static int tcp_socket_states(struct tcp_priv *p, struct tcp_prev *pv, uint64_t out[TCP_STATE_MAX])
{
	struct tcp_netns_stats k, again;
	uint64_t in4, in6, tw, full[TCP_STATE_MAX];
	struct tcp_dump d;
	bool dumped = false;
	int err;

	kernel_counts(p, pv, &k);
	err = sockstat_tcp(&in4, &in6, &tw);
	if (err)
		return err;
	p->host_next += in4 + in6 + tw;
	for (int try = 0; !pv->seeded && try < 3; try++) {
		/* a namespace with no TCP socket needs no dump: its counts are zero */
		err = sockdiag_tcp_dump(&d, false, in4 || tw, in6 || tw);
		if (err)
			return err;
		dumped = true;
		kernel_counts(p, pv, &again);
		if (again.state_changes == k.state_changes) {
			for (int s = 0; s < TCP_STATE_MAX; s++)
				pv->base[s] = d.full[s] - k.states[s];
			pv->seeded = true;
			pv->hidden_gen = k.state_changes + k.synack_retrans;
			pv->hidden_req = d.req;
		} else {
			k = again;
			if ((err = sockstat_tcp(&in4, &in6, &tw)))
				return err;
		}
	}
	for (int s = 0; s < TCP_STATE_MAX; s++)
		full[s] = pv->seeded ? pv->base[s] + k.states[s] : d.full[s];
	if (!dumped && tw + full[10] && p->host_sockets <= TCP_HOST_DUMP_MAX) {
		uint64_t gen = k.state_changes + k.synack_retrans;

		/* listeners' request sockets come with no state change; a SYN-ACK
		 * retransmit (after 1 s), the handshake's end or a reset do */
		if (tw || gen != pv->hidden_gen || pv->hidden_req) {
			err = sockdiag_tcp_dump(&d, true, in4 || tw, in6 || tw);
			if (err)
				return err;
			dumped = true;
			pv->hidden_gen = gen;
			pv->hidden_req = d.req;
		}
	}
	if (!dumped) {
		memset(&d, 0, sizeof(d));
		d.tw[6] = tw;
	}
	for (int s = 0; s < TCP_STATE_MAX; s++)
		out[s] = full[s] + d.tw[s];
	/* the kernel's request sockets are what ss shows as SYN-RECV */
	out[3] += d.req;
	return 0;
}

static void tcp_visit_netns(struct collector *l, struct registry *reg, const struct netns_entry *ns,
			   const struct collect_ctx *cx)
{
	struct tcp_priv *p = l->priv;
	struct tcp_prev *pv = prev_get(p, ns->inode, true);
	uint64_t states[TCP_STATE_MAX];
	char nsl[16];

	if (!pv || !p->retrans)
		return;
	snprintf(nsl, sizeof(nsl), "%u", ns->inode);
	if (p->by_cookie && cx->tracker) { /* read on entering it (agent.c), 0 before v5.14 */
		pv->cookie = netns_tracker_cookie(cx->tracker, ns->inode);
		pv->cookie_gen = cx->gen;
	}
	if (tcp_socket_states(p, pv, states) == 0) {
		for (int s = 1; s < 12; s++) {
			const char *lab[] = { nsl, tcp_state_names[s] };

			metric_gauge_set(p->sockets, lab, (double)states[s]);
		}
	}
	static const char *const names[] = { "ListenOverflows", "ListenDrops" };
	static const char *const rsts[] = { "OutRsts" };
	uint64_t mib[2];

	if (p->rst_mib && mib_read("Tcp", rsts, mib, 1) == 1) {
		const char *lab[] = { nsl };

		metric_counter_observe(p->rst_sent, lab, mib[0], ORIGIN_NETNS);
	}

	if (mib_read("TcpExt", names, mib, 2) == 2) {
		const char *lab[] = { nsl };

		metric_counter_observe(p->overflows, lab, mib[0], ORIGIN_NETNS);
		metric_counter_observe(p->drops, lab, mib[1], ORIGIN_NETNS);
	}
}

static void tcp_describe(struct collector *l, char *buf, size_t len)
{
	struct tcp_priv *p = l->priv;

	if (p && p->rst_mib)
		snprintf(buf, len,
			 "resets sent from TcpOutRsts (no program for resets with no "
			 "socket: %s)",
			 p->fhooks[0].chosen ? p->fhooks[1].why : p->fhooks[0].why);
}

/*
 * Frees slot i: no longer its namespace's, zeroed, then free for the next one to claim.
 * With carry, what it counted goes there first (its namespace is gone: nothing counts in
 * it any more). false when the slot is still its owner's.
 */
static bool slot_free(struct tcp_priv *p, uint32_t i, struct tcp_netns_stats *carry)
{
	int ncpus = libbpf_num_possible_cpus();
	const struct tcp_ns_owner none = { 0 };
	struct tcp_netns_stats v;
	void *zero;
	bool ok;

	if (carry &&
	    percpu_map_lookup_sum(bpf_map__fd(p->skel->maps.tcp_slot_stats), &i, sizeof(v), &v))
		return false;
	zero = ncpus > 0 ? calloc((size_t)ncpus, sizeof(struct tcp_netns_stats)) : NULL;
	if (!zero ||
	    bpf_map_update_elem(bpf_map__fd(p->skel->maps.tcp_slot_owner), &i, &none, BPF_ANY)) {
		free(zero);
		return false;
	}
	p->owners[i] = none;
	if (carry)
		stats_add(carry, &v);
	/* a slot left unzeroed keeps its claim: never handed to another namespace */
	ok = bpf_map_update_elem(bpf_map__fd(p->skel->maps.tcp_slot_stats), &i, zero, BPF_ANY) == 0;
	if (ok)
		bpf_map_delete_elem(bpf_map__fd(p->skel->maps.tcp_slot_claims), &i);
	free(zero);
	return true;
}

/*
 * The kernel gives a gone namespace's inode to the next one at once (pods replaced on a
 * node), and slots are keyed by the namespace's cookie, which the new one does not share:
 * it claims a slot of its own. A slot held under a visited namespace's inode with another
 * key is a gone namespace's, taken back here; else every replacement would hold one for
 * as long as its inode lives, until new namespaces found none free. Its counts stay in
 * the inode's sums.
 */
static void release_gone_slots(struct tcp_priv *p)
{
	for (uint32_t i = 0; i < TCP_NS_SLOTS; i++) {
		uint32_t netns = slot_owner(p, i);
		struct tcp_prev *pv = netns ? prev_get(p, netns, false) : NULL;

		if (pv && pv->cookie && pv->cookie_gen == p->gen && p->owners[i].key != pv->cookie)
			slot_free(p, i, &pv->carry);
	}
}

static void tcp_forget_netns(struct collector *l, uint32_t netns)
{
	struct tcp_priv *p = l->priv;

	bpf_map_delete_elem(bpf_map__fd(p->skel->maps.tcp_stats), &netns);
	owners_read(p, true);
	for (uint32_t i = 0; i < TCP_NS_SLOTS; i++)
		if (slot_owner(p, i) == netns)
			slot_free(p, i, NULL);
	nstab_del(&p->prev, netns);
}

static void tcp_renew_netns(struct collector *l, uint32_t netns)
{
	struct tcp_priv *p = l->priv;
	struct tcp_prev *pv = prev_get(p, netns, false);

	/* counter baselines are the registry's; the socket states are the new one's */
	if (pv)
		pv->seeded = false;
}

/* Adds v to the namespace's sum of this collection, which starts from its carry. */
static void sum_add(struct tcp_priv *p, struct tcp_prev *pv, const struct tcp_netns_stats *v)
{
	if (pv->sum_gen != p->gen) {
		pv->sum = pv->carry;
		pv->sum_gen = p->gen;
	}
	stats_add(&pv->sum, v);
}

static void collect_netns(void *ctx, const void *key, const void *sum)
{
	struct tcp_priv *p = ctx;
	struct tcp_prev *pv = prev_get(p, *(const uint32_t *)key, true);

	collect_note_netns(p->cx, *(const uint32_t *)key);

	if (pv) {
		sum_add(p, pv, sum); /* after its slots' */
		emit_counters(p, pv->netns, &pv->sum, ORIGIN_MAP);
		pv->emitted_gen = p->gen;
	}
}

static void tcp_collect(struct collector *l, struct registry *reg, const struct collect_ctx *cx)
{
	struct tcp_priv *p = l->priv;

	if (!p->retrans)
		return;
	uint32_t owners[TCP_NS_SLOTS];

	p->gen = cx->gen;
	p->cx = cx;
	/* the namespaces with a slot (some may hold two), then the hash (which adds to
	 * them), then the slots' namespaces that have no hash entry. The table is read
	 * again at every collection: the claim counter is not ordered with the owner's key
	 * on every CPU (a relaxed add on arm64), so it only says when to read it between
	 * collections. */
	owners_read(p, true);
	release_gone_slots(p);
	for (uint32_t i = 0; i < TCP_NS_SLOTS; i++) {
		struct tcp_netns_stats v;
		struct tcp_prev *pv;

		owners[i] = slot_owner(p, i);
		if (!owners[i] || !(pv = prev_get(p, owners[i], true)))
			continue;
		collect_note_netns(cx, owners[i]);
		if (percpu_map_lookup_sum(bpf_map__fd(p->skel->maps.tcp_slot_stats), &i, sizeof(v),
					  &v))
			continue;
		sum_add(p, pv, &v);
	}
	percpu_map_each(bpf_map__fd(p->skel->maps.tcp_stats), sizeof(uint32_t),
			sizeof(struct tcp_netns_stats), collect_netns, p);
	for (uint32_t i = 0; i < TCP_NS_SLOTS; i++) {
		struct tcp_prev *pv = owners[i] ? prev_get(p, owners[i], false) : NULL;

		if (pv && pv->sum_gen == p->gen && pv->emitted_gen != p->gen) {
			emit_counters(p, pv->netns, &pv->sum, ORIGIN_MAP);
			pv->emitted_gen = p->gen;
		}
	}
	/* every namespace gets its series from the start, at zero, so that rate() sees
	 * the first increment */
	for (size_t i = 0; i < cx->netns->n; i++) {
		struct tcp_prev *pv = prev_get(p, cx->netns->v[i].inode, true);

		if (pv && pv->emitted_gen != p->gen) {
			static const struct tcp_netns_stats none;

			/* what gone namespaces of its inode left is in the sum, as ever */
			if (memcmp(&pv->carry, &none, sizeof(none)))
				emit_counters(p, pv->netns, &pv->carry, ORIGIN_MAP);
			else
				emit_counters(p, pv->netns, &none, ORIGIN_ABSENT);
			pv->emitted_gen = p->gen;
		}
	}
}

static void tcp_close(struct collector *l)
{
	struct tcp_priv *p = l->priv;

	if (!p)
		return;
	collector_release(l, p->links, p->nlinks);
	tcp_bpf__destroy(p->skel);
	nstab_free(&p->prev);
	free(p);
	l->priv = NULL;
}

static const struct finding tcp_findings[] = {
	{ "osiscope_tcp_connects_total", "result", "refused", "connects refused",
	  "nothing listens on the port, or a firewall answers with a reset" },
	{ "osiscope_tcp_connects_total", "result", "timeout", "connects timed out",
	  "SYNs unanswered: a firewall dropping them, or the host is down" },
	{ "osiscope_tcp_connects_total", "result", "unreachable", "connects unreachable",
	  "an ICMP unreachable came back: routing or a reject rule on the path" },
	{ "osiscope_tcp_retransmitted_segments_total", NULL, NULL, "segments retransmitted",
	  "loss or congestion on the path" },
	{ "osiscope_tcp_syn_retransmits_total", NULL, NULL, "SYN retransmits",
	  "handshakes that needed another try" },
	{ "osiscope_tcp_listen_overflows_total", NULL, NULL, "listen queue overflows",
	  "an application accepts too slowly: check its accept loop and backlog" },
	{ "osiscope_tcp_resets_sent_total", NULL, NULL, "resets sent",
	  "connections to closed ports, or aborted by an application" },
	{ "osiscope_tcp_resets_received_total", NULL, NULL, "resets received",
	  "peers aborting connections" },
};

static const struct collector_desc tcp_collector = {
	.name = "tcp",
	.osi = "l4/l5",
	.layers = OSI_L4 | OSI_L5,
	.rank = 40,
	.findings = tcp_findings,
	.nfindings = sizeof(tcp_findings) / sizeof(tcp_findings[0]),
	.events = { .size = sizeof(struct tcp_event),
		    .osi = "l4",
		    .types = tcp_event_types,
		    .ntypes = sizeof(tcp_event_types) / sizeof(tcp_event_types[0]),
		    .decode = tcp_decode },
	.open = tcp_open,
	.begin = tcp_begin,
	.visit_netns = tcp_visit_netns,
	.collect = tcp_collect,
	.describe = tcp_describe,
	.forget_netns = tcp_forget_netns,
	.renew_netns = tcp_renew_netns,
	.close = tcp_close,
};
COLLECTOR_REGISTER(tcp_collector);
