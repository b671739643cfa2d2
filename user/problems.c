// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * diagnose's problem engine: events of a window -> problems, one per fault, at the
 * layer of the fault, with what it explains above attached. See problems.h.
 *
 * Three passes: group the events (per namespace, peer and device), link each group to
 * the lowest group that explains it, then turn every group nothing explains into a
 * problem and order them: most affected first, a lower layer first among equals.
 */
#include "problems.h"
#include "k8s.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* --- the benign table --- */

/*
 * Drops the kernel makes in normal operation. Each stays visible in
 * osiscope_skb_drops_total and in trace; only diagnose leaves it out. The reasons are
 * the kernel's (include/net/dropreason-core.h), the places where it frees them as cited.
 */
/* IPv6 traffic of neighbour discovery, MLD and DAD: link-local or :: source, or to a
 * multicast group. */
static bool ipv6_autoconf(const struct diag_event *e)
{
	const uint8_t *s = e->src.addr, *d = e->dst.addr;
	static const uint8_t zero[16];

	if (e->src.family != 10)
		return false;
	return (s[0] == 0xfe && (s[1] & 0xc0) == 0x80) || !memcmp(s, zero, 16) || d[0] == 0xff;
}

const struct diag_benign diag_benign_table[] = {
	{ "QUEUE_PURGE", NULL,
	  "a socket closed with data still queued: sk_stream_kill_queues() and the queue purges "
	  "free it as QUEUE_PURGE (\"bulk free\", dropreason-core.h), nothing was lost in flight" },
	{ "SOCKET_CLOSE", NULL,
	  "data left in a socket's queues when it closed (\"socket is closed\", "
	  "dropreason-core.h)" },
	{ "NOT_SPECIFIED", "ip6_mc_input",
	  "IPv6 multicast for a group no socket joined (MLD reports to ff02::16, neighbour "
	  "solicitations for other nodes): ip6_mc_input() frees what it does not deliver" },
	{ "NOT_SPECIFIED", "skb_queue_purge",
	  "a queue freed whole when its owner closed, before 6.7 without a reason (since then "
	  "QUEUE_PURGE): a socket's error queue holding the ICMP errors its connect already "
	  "reported (IP_RECVERR), or what a closing socket or device still held" },
	{ "NOT_SPECIFIED", "sk_stream_kill_queues",
	  "a TCP socket closed with data still queued, before 6.7 freed without a reason "
	  "(since then QUEUE_PURGE): sk_stream_kill_queues() purges its queues" },
	{ "NOT_SPECIFIED", "icmpv6_rcv",
	  "neighbour discovery (solicitations, advertisements, router messages) before 6.2: "
	  "icmpv6_rcv() handed them to ndisc_rcv() and then freed every one without a reason "
	  "(IPv6 checksum errors end there too: Icmp6InCsumErrors counts them)" },
	{ "NOT_SPECIFIED", "unix_stream_connect",
	  "a connect() to a local (unix) socket that failed, nothing listening there (libc "
	  "asking nscd, a syslog client): unix_stream_connect() frees the skb it allocated "
	  "for the connection, no packet of any network" },
	/* before drop reasons (5.17): where 5.10 frees what newer kernels name */
	{ "NOT_SPECIFIED", "ip_rcv_core",
	  "a frame for another host on a shared segment, before drop reasons (OTHERHOST "
	  "since): ip_rcv_core() frees it at the one place it frees malformed IPv4 headers "
	  "too, which IpInHdrErrors, IpInCsumErrors and IpInTruncatedPkts count" },
	{ "NOT_SPECIFIED", "netlink_release",
	  "a netlink socket closed with messages still queued: netlink_release() purges its "
	  "queue (ip, ss and every netlink client do this)" },
	{ "IP_INNOROUTES", "ip6_pkt_discard",
	  "IPv6 autoconfiguration of a link coming up (link-local or unspecified source, or a "
	  "multicast destination) before its routes exist: ip6_pkt_discard() of the null "
	  "route, IPSTATS_MIB_INNOROUTES",
	  ipv6_autoconf },
	{ "OTHERHOST", NULL,
	  "a frame for another host on a shared segment (PACKET_OTHERHOST, promiscuous mode): "
	  "ip_rcv_core()/ipv6_rcv() free it, \"packet don't belong to current host\"" },
	{ "IPV6_NDISC_NS_OTHERHOST", NULL,
	  "a neighbour solicitation for another node's address, seen on a shared segment "
	  "(ndisc_recv_ns())" },
	{ "UNICAST_IN_L2_MULTICAST", NULL,
	  "unicast IP in a link-layer broadcast, refused as RFC 1122 3.3.6 asks" },
	{ "PKT_TOO_BIG", "ip_forward",
	  "a router dropped a packet too big for the next hop after answering it with ICMP "
	  "fragmentation-needed (ip_forward(), IPSTATS_MIB_FRAGFAILS): path MTU discovery at "
	  "work; when the sender never shrinks its packets it is an mtu_blackhole problem" },
	{ "PKT_TOO_BIG", "ip6_forward",
	  "the IPv6 router's packet-too-big (ip6_forward()): path MTU discovery at work" },
	{ "TCP_OLD_DATA", NULL,
	  "a retransmission of data already received (a spurious retransmit, "
	  "LINUX_MIB_DELAYEDACKLOST): the data is there" },
	{ "TCP_OFOMERGE", NULL,
	  "out-of-order data already queued (LINUX_MIB_TCPOFOMERGE): the data is there" },
	{ "TCP_ABORT_ON_DATA", NULL,
	  "data for a socket its application already closed (tcp_rcv_state_process() in "
	  "FIN_WAIT: \"abort on data\", answered with a reset): a client's TLS close_notify "
	  "or HTTP pipelining after the server closed, routine" },
	{ "TCP_OLD_SEQUENCE", NULL,
	  "a segment or ACK older than what the socket already has (tcp_validate_incoming(), "
	  "\"old ACK/SEQ\"): reordering and duplicate ACKs of bulk transfers" },
	{ "NOT_SPECIFIED", "tcp_v4_rcv",
	  "a segment for a connection in TIME_WAIT (tcp_v4_rcv()'s do_time_wait: the last "
	  "ACK or a retransmitted FIN is answered, then freed without a reason)" },
	{ "NOT_SPECIFIED", "tcp_v6_rcv",
	  "a segment for a connection in TIME_WAIT (tcp_v6_rcv()'s do_time_wait)" },
	{ "NOT_SPECIFIED", "virtio_transport_recv_pkt",
	  "a vsock packet (the hypervisor's channel, not IP) freed by "
	  "virtio_transport_recv_pkt() once handled or for no socket" },
	{ "TCP_CLOSE", NULL,
	  "a segment for a socket already in CLOSE (late FIN/ACK after close): routine" },
	{ "NO_SOCKET", NULL,
	  "a segment for a connection already gone, or for a port nobody listens on: routine "
	  "alone; a refused connect or unanswered query it explains is reported with it" },
};
const size_t diag_benign_count = sizeof(diag_benign_table) / sizeof(diag_benign_table[0]);

const struct diag_benign *diag_benign_match(const struct diag_event *e)
{
	if (strcmp(e->type, "drop"))
		return NULL;
	for (size_t i = 0; i < diag_benign_count; i++) {
		const struct diag_benign *b = &diag_benign_table[i];
		size_t n;

		if (strcmp(b->reason, e->reason) || (b->cond && !b->cond(e)))
			continue;
		if (!b->where)
			return b;
		n = strlen(b->where);
		if (!strncmp(e->where, b->where, n) && (e->where[n] == '+' || !e->where[n]))
			return b;
	}
	return NULL;
}

/* --- events from records --- */

static const struct record_field *field(const struct event_record *r, const char *key)
{
	for (unsigned int i = 0; i < r->nfields; i++)
		if (!strcmp(r->fields[i].key, key))
			return &r->fields[i];
	return NULL;
}

static void field_text(const struct event_record *r, const char *key, char *out, size_t len)
{
	const struct record_field *f = field(r, key);

	if (f && f->text)
		snprintf(out, len, "%s", f->text);
}

void diag_event_from_record(struct diag_event *e, const struct event_record *r)
{
	const struct record_field *f;

	memset(e, 0, sizeof(*e));
	e->ts_ns = r->ts_ns;
	e->netns = r->netns;
	e->pid = r->pid;
	e->collector = r->collector;
	e->type = r->type;
	e->osi = r->osi;
	e->src = r->src;
	e->dst = r->dst;
	snprintf(e->device, sizeof(e->device), "%s", r->device);
	snprintf(e->comm, sizeof(e->comm), "%s", r->comm);
	if (r->state)
		snprintf(e->state, sizeof(e->state), "%s", r->state);
	if ((f = field(r, "error")))
		e->err = (int)f->u;
	if ((f = field(r, "mtu")))
		e->mtu = (uint32_t)f->u;
	field_text(r, "reason", e->reason, sizeof(e->reason));
	if (!e->reason[0])
		field_text(r, "kind", e->reason, sizeof(e->reason));
	field_text(r, "location", e->where, sizeof(e->where));
	if (!e->where[0])
		field_text(r, "role", e->where, sizeof(e->where));
	field_text(r, "proto", e->proto, sizeof(e->proto));
	field_text(r, "name", e->name, sizeof(e->name));
}

/* --- groups --- */

enum gkind {
	G_CARRIER, /* l1: a device lost its carrier */
	G_TXTIMEOUT, /* l1: a transmit queue timed out */
	G_NEIGH, /* l2: ARP/NDP resolution failed */
	G_ROUTE, /* l3: no route, unreachable, prohibit, blackhole */
	G_NETFILTER, /* l3: a netfilter rule dropped packets */
	G_MTU, /* l3: frag-needed sent for a flow that keeps sending big packets */
	G_NOSOCK, /* l4: UDP to a port nobody listens on (only when it explains something) */
	G_RCVBUF, /* l4: a UDP socket's receive buffer full: its reader is too slow */
	G_REFUSED, /* l4 */
	G_UNREACH, /* connect failed on an ICMP error / local error: l3 unless explained */
	G_TIMEOUT, /* l4: SYN never answered */
	G_TLS, /* l6 */
	G_NXDOMAIN, /* l7 */
	G_DNS_TIMEOUT, /* l7: the server does not answer */
	G_DNS_FAIL, /* l7: SERVFAIL / REFUSED */
	G_DROP, /* other drops at their reason's layer */
};

struct grp {
	enum gkind kind;
	uint32_t netns;
	char device[16];
	struct record_addr a, b; /* what the kind keys on: see group_of() */
	char key[256]; /* reason, kind, DNS name */
	const char *osi;
	int err;
	uint32_t mtu;
	bool server; /* tls: seen by the server */
	bool standalone; /* may be a problem by itself (else only when it explains) */
	bool explains; /* explains some other group */
	uint64_t count, first, last;
	uint32_t pid;
	char comm[17];
	char name[256]; /* dns: a name queried; neigh: state */
	char where[64];
	struct record_addr fa, fb; /* the first event's addresses */
	struct grp *root;
	size_t idx;
};

/* A place in __udp4_lib_rcv()/__udp6_lib_rcv() where drops without a reason were seen,
 * per namespace (see udp_sites()). */
struct udp_site {
	uint32_t netns;
	int family; /* 4 or 6 */
	char where[64];
	uint64_t count; /* drops there in the window */
	bool no_port; /* the closed-port one */
};

struct engine {
	const struct diag_input *in;
	struct grp *g;
	size_t n, cap;
	uint64_t benign;
	struct udp_site *us;
	size_t nus;
};

static bool addr_eq(const struct record_addr *x, const struct record_addr *y)
{
	if (!x->family || x->family != y->family)
		return false;
	return !memcmp(x->addr, y->addr, x->family == 10 ? 16 : 4);
}

/* The same endpoint: address, and port when both have one. */
static bool ep_eq(const struct record_addr *x, const struct record_addr *y)
{
	return addr_eq(x, y) && (!x->has_port || !y->has_port || x->port == y->port);
}

static struct record_addr no_port(const struct record_addr *a)
{
	struct record_addr r = *a;

	r.has_port = false;
	r.port = 0;
	return r;
}

/* Exactly the same endpoint (a struct compare would see padding). */
static bool same(const struct record_addr *x, const struct record_addr *y)
{
	return x->family == y->family && x->has_port == y->has_port && x->port == y->port &&
	       !memcmp(x->addr, y->addr, sizeof(x->addr));
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static struct grp *grp_get(struct engine *en, const struct grp *want)
{
	struct grp *g;

	for (size_t i = 0; i < en->n; i++) {
		g = &en->g[i];
		if (g->kind == want->kind && g->netns == want->netns && g->server == want->server &&
		    g->err == want->err && !strcmp(g->device, want->device) &&
		    !strcmp(g->key, want->key) && same(&g->a, &want->a) && same(&g->b, &want->b))
			return g;
	}
	if (en->n == en->cap) {
		size_t cap = en->cap ? en->cap * 2 : 32;
		struct grp *v = realloc(en->g, cap * sizeof(*v));

		if (!v)
			return NULL;
		en->g = v;
		en->cap = cap;
	}
	g = &en->g[en->n];
	*g = *want;
	g->idx = en->n++;
	return g;
}

static bool is_neigh_drop(const char *reason)
{
	return !strncmp(reason, "NEIGH_", 6);
}

static bool is_route_drop(const char *reason)
{
	return !strcmp(reason, "IP_OUTNOROUTES") || !strcmp(reason, "IP_INNOROUTES");
}

/*
 * Before drop reasons (5.17) every drop is NOT_SPECIFIED: where the kernel freed it tells
 * the reason for the sites diagnose reasons about (v5.10's kfree_skb() calls). A drop
 * with a reason of its own keeps it.
 */
static const char *drop_reason(const struct diag_event *e)
{
	static const struct {
		const char *site, *reason;
	} sites[] = {
		{ "nf_hook_slow+", "NETFILTER_DROP" }, /* NF_DROP */
		/* neigh_invalidate(): the queue of a neighbour that failed to resolve (5.10
		 * frees it there, or in the protocol's error_report) */
		{ "neigh_invalidate+", "NEIGH_FAILED" },
		{ "arp_error_report+", "NEIGH_FAILED" },
		{ "ndisc_error_report+", "NEIGH_FAILED" },
		/* its queue full, or the neighbour dead */
		{ "__neigh_event_send+", "NEIGH_QUEUEFULL" },
		/* an IPv4 datagram its socket could not queue, where udp:udp_fail_queue_rcv_skb
		 * fires (__udp_queue_rcv_skb(), inlined in 5.10): the udp collector's
		 * udp_socket_drop names it. The site's rarer drops (checksum, socket filter)
		 * are in the udp collector's MIB errors. IPv6's site stays a plain drop: its
		 * tracepoint call came only in 6.5. */
		{ "udp_queue_rcv_one_skb+", "SOCKET_RCVBUFF" },
		{ "__udp_queue_rcv_skb+", "SOCKET_RCVBUFF" },
	};

	if (strcmp(e->reason, "NOT_SPECIFIED"))
		return e->reason;
	for (size_t i = 0; i < sizeof(sites) / sizeof(sites[0]); i++)
		if (!strncmp(e->where, sites[i].site, strlen(sites[i].site)))
			return sites[i].reason;
	return e->reason;
}

/* 4 or 6 for a UDP drop without a reason in __udp4_lib_rcv() / __udp6_lib_rcv(), else 0. */
static int udp_rcv_family(const struct diag_event *e)
{
	if (strcmp(e->reason, "NOT_SPECIFIED") || strcmp(e->proto, "udp"))
		return 0;
	if (!strncmp(e->where, "__udp4_lib_rcv+", 15))
		return 4;
	if (!strncmp(e->where, "__udp6_lib_rcv+", 15))
		return 6;
	return 0;
}

static uint64_t count_of(const struct diag_input *in, uint32_t netns, const char *what)
{
	for (size_t i = 0; i < in->ncounts; i++)
		if (in->counts[i].netns == netns && !strcmp(in->counts[i].what, what))
			return in->counts[i].delta;
	return 0;
}

/*
 * Before drop reasons (5.17) __udp4_lib_rcv() frees with kfree_skb() a datagram to a
 * closed port, one with a bad checksum or length, and a broadcast no socket wanted (its
 * multicast delivery inlined there), each from a call of its own: on Debian's 5.10
 * +0x992, +0x21b and +0xa53, and __udp6_lib_rcv() likewise. The kernel counts each
 * closed-port datagram once in UdpNoPorts (Udp6NoPorts; the udp collector's
 * kind="no_port"), right before that drop. So in a namespace, the one place whose drops
 * in the window are exactly as many as that counter rose is the closed-port call (the
 * window holding every drop there: none lost to --events.rate). No rise, no place with
 * that many (events lost, a window that begins between two readings of the counter), or
 * two of them: the drops stay NOT_SPECIFIED.
 */
static int udp_sites(struct engine *en)
{
	const struct diag_input *in = en->in;
	size_t cap = 0;

	for (size_t i = 0; i < in->nev; i++) {
		const struct diag_event *e = &in->ev[i];
		int fam = udp_rcv_family(e);
		struct udp_site *u = NULL;

		if (!fam)
			continue;
		for (size_t k = 0; k < en->nus && !u; k++)
			if (en->us[k].netns == e->netns && en->us[k].family == fam &&
			    !strcmp(en->us[k].where, e->where))
				u = &en->us[k];
		if (!u) {
			if (en->nus == cap) {
				size_t c = cap ? cap * 2 : 8;
				struct udp_site *v = realloc(en->us, c * sizeof(*v));

				if (!v)
					return -ENOMEM;
				en->us = v;
				cap = c;
			}
			u = &en->us[en->nus++];
			memset(u, 0, sizeof(*u));
			u->netns = e->netns;
			u->family = fam;
			snprintf(u->where, sizeof(u->where), "%s", e->where);
		}
		u->count++;
	}
	for (size_t k = 0; k < en->nus; k++) {
		struct udp_site *u = &en->us[k];
		uint64_t np = count_of(in, u->netns,
				       u->family == 4 ? "udp_no_port_ipv4" : "udp_no_port_ipv6");
		unsigned int same_count = 0;

		if (!np || u->count != np)
			continue;
		for (size_t j = 0; j < en->nus; j++)
			same_count += en->us[j].netns == u->netns && en->us[j].family == u->family &&
				      en->us[j].count == np;
		u->no_port = same_count == 1;
	}
	return 0;
}

/* Whether a drop without a reason is one udp_sites() found to be to a closed port. */
static bool udp_no_port(const struct engine *en, const struct diag_event *e)
{
	int fam = udp_rcv_family(e);

	for (size_t k = 0; fam && k < en->nus; k++)
		if (en->us[k].netns == e->netns && en->us[k].family == fam &&
		    !strcmp(en->us[k].where, e->where))
			return en->us[k].no_port;
	return false;
}

/* The group an event belongs to, in want; false when it opens none (evidence only). */
static bool group_of(struct engine *en, const struct diag_event *e, struct grp *w)
{
	memset(w, 0, sizeof(*w));
	w->netns = e->netns;
	w->standalone = true;
	w->osi = e->osi;
	if (!strcmp(e->type, "drop")) {
		bool benign = diag_benign_match(e) != NULL;
		bool mib_no_port = udp_no_port(en, e);
		const char *reason = mib_no_port ? "NO_SOCKET" : drop_reason(e);

		en->benign += benign;
		if (!strcmp(reason, "NETFILTER_DROP")) {
			w->kind = G_NETFILTER;
			snprintf(w->device, sizeof(w->device), "%s", e->device);
			w->a = no_port(&e->src);
			w->b = e->dst;
			/* ICMP has no ports; the ICMP of an MTU black hole keys on addresses */
			snprintf(w->key, sizeof(w->key), "%s", e->proto);
		} else if (!strcmp(reason, "SOCKET_RCVBUFF") && !strcmp(e->proto, "udp")) {
			/* the udp collector's udp_socket_drop names the same datagram, with the
			 * socket's port, on every kernel (drop reasons are 5.17+) */
			return false;
		} else if (!strcmp(reason, "NO_SOCKET") && !strcmp(e->proto, "udp")) {
			w->kind = G_NOSOCK;
			w->b = e->dst;
			w->standalone = false;
			/* named by the MIB (see udp_sites()): said in the evidence */
			if (mib_no_port)
				snprintf(w->key, sizeof(w->key), "%s",
					 e->where[5] == '6' ? "Udp6NoPorts" : "UdpNoPorts");
		} else if (benign) {
			return false;
		} else if (!strncmp(e->where, "ip_error+", 9)) {
			/* a router found no usable route for a packet it was to forward: the
			 * lookup's own event cannot name the router's namespace (softirq) */
			w->kind = G_ROUTE;
			w->b = no_port(&e->dst);
			snprintf(w->key, sizeof(w->key), "forward");
		} else {
			w->kind = G_DROP;
			snprintf(w->device, sizeof(w->device), "%s", e->device);
			snprintf(w->key, sizeof(w->key), "%s", reason);
			if (is_route_drop(e->reason))
				w->b = no_port(&e->dst);
		}
		return true;
	}
	if (!strcmp(e->type, "udp_socket_drop")) {
		w->kind = G_RCVBUF;
		w->b = e->dst;
		snprintf(w->key, sizeof(w->key), "%s", e->reason);
		return true;
	}
	if (!strcmp(e->type, "resolution_failed")) {
		w->kind = G_NEIGH;
		snprintf(w->device, sizeof(w->device), "%s", e->device);
		w->a = no_port(&e->dst);
		return true;
	}
	if (!strcmp(e->type, "route_lookup_failed")) {
		w->kind = G_ROUTE;
		w->b = no_port(&e->dst);
		snprintf(w->key, sizeof(w->key), "%s", e->reason);
		return true;
	}
	if (!strcmp(e->type, "icmp_frag_needed_sent")) {
		w->kind = G_MTU;
		w->a = no_port(&e->src);
		w->b = no_port(&e->dst);
		w->standalone = false; /* PMTU discovery working as designed, unless it repeats */
		return true;
	}
	if (!strcmp(e->type, "connect_refused") || !strcmp(e->type, "connect_timeout") ||
	    !strcmp(e->type, "connect_unreachable")) {
		w->kind = e->type[8] == 'r' ? G_REFUSED : e->type[8] == 't' ? G_TIMEOUT : G_UNREACH;
		w->a = no_port(&e->src);
		w->b = e->dst;
		if (w->kind == G_UNREACH)
			w->err = e->err;
		return true;
	}
	if (!strcmp(e->type, "handshake_failed") || !strcmp(e->type, "handshake_incomplete")) {
		w->kind = G_TLS;
		w->server = !strcmp(e->where, "server");
		/* a client keys on the server it called, a server on its own endpoint */
		w->a = w->server ? e->src : no_port(&e->src);
		w->b = w->server ? no_port(&e->dst) : e->dst;
		snprintf(w->key, sizeof(w->key), "%s",
			 e->type[10] == 'i' ? "handshake incomplete" : e->reason);
		return true;
	}
	if (!strcmp(e->type, "dns_nxdomain")) {
		w->kind = G_NXDOMAIN;
		snprintf(w->key, sizeof(w->key), "%s", e->name);
		if (ends_with(w->key, ".") && strlen(w->key) > 1)
			w->key[strlen(w->key) - 1] = '\0';
		return true;
	}
	if (!strcmp(e->type, "dns_timeout")) {
		w->kind = G_DNS_TIMEOUT;
		w->a = no_port(&e->src);
		w->b = e->dst;
		return true;
	}
	if (!strcmp(e->type, "dns_servfail") || !strcmp(e->type, "dns_refused")) {
		w->kind = G_DNS_FAIL;
		w->b = e->dst;
		snprintf(w->key, sizeof(w->key), "%s", e->type + 4);
		return true;
	}
	if (!strcmp(e->type, "tx_timeout")) {
		w->kind = G_TXTIMEOUT;
		snprintf(w->device, sizeof(w->device), "%s", e->device);
		return true;
	}
	return false;
}

static void group_add(struct grp *g, const struct diag_event *e)
{
	if (!g->count++) {
		g->first = e->ts_ns;
		g->fa = e->src;
		g->fb = e->dst;
	}
	if (e->ts_ns < g->first)
		g->first = e->ts_ns;
	if (e->ts_ns > g->last)
		g->last = e->ts_ns;
	if (!g->pid && e->pid) {
		g->pid = e->pid;
		snprintf(g->comm, sizeof(g->comm), "%s", e->comm);
	}
	if (!g->name[0] && e->name[0])
		snprintf(g->name, sizeof(g->name), "%s", e->name);
	if (!g->name[0] && e->state[0])
		snprintf(g->name, sizeof(g->name), "%s", e->state);
	if (!g->where[0] && e->where[0])
		snprintf(g->where, sizeof(g->where), "%s", e->where);
	if (e->mtu && (!g->mtu || e->mtu < g->mtu))
		g->mtu = e->mtu;
}

/* --- linking --- */

static const char *const layer_of[] = {
	[G_CARRIER] = "l1",	[G_TXTIMEOUT] = "l1", [G_NEIGH] = "l2",	 [G_ROUTE] = "l3",
	[G_NETFILTER] = "l3",	[G_MTU] = "l3",	      [G_NOSOCK] = "l4", [G_RCVBUF] = "l4", [G_REFUSED] = "l4",
	[G_UNREACH] = "l3",	[G_TIMEOUT] = "l4",   [G_TLS] = "l6",	 [G_NXDOMAIN] = "l7",
	[G_DNS_TIMEOUT] = "l7", [G_DNS_FAIL] = "l7",  [G_DROP] = NULL,
};

static const char *grp_layer(const struct grp *g)
{
	if (g->kind == G_DROP)
		return g->osi && g->osi[0] == 'l' ? g->osi : "l3";
	return layer_of[g->kind];
}

/* Within slack of each other in time: what an explanation must be. */
static bool near(const struct grp *x, const struct grp *y, uint64_t slack)
{
	return x->first <= y->last + slack && y->first <= x->last + slack;
}

#define SEC 1000000000ULL

/* Whether lower group e explains group s (s happened because of e). */
static bool explains(const struct grp *e, const struct grp *s)
{
	switch (e->kind) {
	case G_CARRIER:
		if (s->netns != e->netns)
			return false;
		if (s->kind == G_NEIGH || s->kind == G_DROP || s->kind == G_TXTIMEOUT)
			return !strcmp(s->device, e->device);
		return s->kind == G_TIMEOUT || s->kind == G_UNREACH || s->kind == G_DNS_TIMEOUT;
	case G_NEIGH:
		if (s->netns != e->netns)
			return false;
		if (s->kind == G_DROP)
			return is_neigh_drop(s->key) && !strcmp(s->device, e->device);
		if (s->kind != G_UNREACH && s->kind != G_TIMEOUT && s->kind != G_DNS_TIMEOUT &&
		    !(s->kind == G_TLS && !strcmp(s->key, "handshake incomplete")))
			return false;
		/* the peer itself, or a gateway to it: EHOSTUNREACH at the same time */
		return addr_eq(&s->b, &e->a) ||
		       (s->kind == G_UNREACH && s->err == EHOSTUNREACH && near(e, s, 2 * SEC));
	case G_ROUTE:
		if (s->kind == G_DROP)
			return is_route_drop(s->key) && addr_eq(&s->b, &e->b);
		if (s->kind != G_UNREACH && s->kind != G_TIMEOUT && s->kind != G_DNS_TIMEOUT)
			return false;
		/* no route (a count, no destination): what failed for it in the namespace */
		if (!e->b.family)
			return s->netns == e->netns && s->kind == G_UNREACH &&
			       s->err == ENETUNREACH;
		/* in the namespace that looked it up, or one whose packets it routes */
		return addr_eq(&s->b, &e->b);
	case G_NETFILTER:
		if (!strcmp(e->key, "icmp") || !strcmp(e->key, "icmpv6"))
			return false;
		if (s->kind != G_TIMEOUT && s->kind != G_REFUSED && s->kind != G_UNREACH &&
		    s->kind != G_DNS_TIMEOUT && s->kind != G_TLS)
			return false;
		/* the packets out to the peer, or its answers back (either namespace) */
		if (s->kind == G_TLS && s->server)
			return ep_eq(&e->b, &s->a) && (!s->b.family || addr_eq(&e->a, &s->b));
		if (ep_eq(&e->b, &s->b) && (!s->a.family || addr_eq(&e->a, &s->a)))
			return true;
		return addr_eq(&e->a, &s->b) && addr_eq(&e->b, &s->a);
	case G_MTU:
		/* the frag-needed ICMP dropped on its way back to the sender */
		return s->kind == G_NETFILTER &&
		       (!strcmp(s->key, "icmp") || !strcmp(s->key, "icmpv6")) &&
		       addr_eq(&s->b, &e->a);
	case G_NOSOCK:
		return (s->kind == G_DNS_TIMEOUT || s->kind == G_UNREACH) && ep_eq(&e->b, &s->b) &&
		       e->b.has_port && s->b.has_port;
	case G_NXDOMAIN:
		/* a search-path expansion of a name that failed itself */
		if (s->kind != G_NXDOMAIN || s->netns != e->netns)
			return false;
		{
			size_t n = strlen(e->key);

			return !strncasecmp(s->key, e->key, n) && s->key[n] == '.' &&
			       strlen(s->key) > n + 1;
		}
	case G_TLS:
		/* the server's view of a client's failed handshake; a server whose socket
		 * addresses were not read: the same moment */
		if (s->kind != G_TLS || !s->server || e->server)
			return false;
		if (!s->a.family)
			return near(e, s, SEC);
		return ep_eq(&s->a, &e->b) && (!e->a.family || addr_eq(&s->b, &e->a));
	default:
		return false;
	}
}

/* How many retransmits (events) went from a to b (b's port when it has one). */
static uint64_t retransmits(const struct diag_input *in, const struct record_addr *a,
			    const struct record_addr *b, bool syn_only)
{
	uint64_t n = 0;

	for (size_t i = 0; i < in->nev; i++) {
		const struct diag_event *e = &in->ev[i];

		if (strcmp(e->type, "retransmit") || (syn_only && strcasecmp(e->state, "syn_sent")))
			continue;
		if (ep_eq(&e->dst, b) && (!a->family || addr_eq(&e->src, a)))
			n++;
	}
	return n;
}

/*
 * A confirmed MTU black hole: the frag-needed was seen dropped on its way back, or the
 * sender kept sending packets too big for more than a second after it. Path MTU
 * discovery that works takes one round trip (a few frag-needed at once, then the
 * sender's smaller retransmits).
 */
static bool mtu_confirmed(const struct grp *g)
{
	return g->explains || (g->count >= 3 && g->last - g->first >= SEC);
}

/* Search-path NXDOMAIN: the name is base.suffix and base was answered in the namespace. */
static bool search_expansion(const struct diag_input *in, const struct grp *g)
{
	for (size_t i = 0; i < in->nev; i++) {
		const struct diag_event *e = &in->ev[i];
		size_t n = strlen(e->name);

		if (strcmp(e->type, "dns_answer") || e->netns != g->netns || !n)
			continue;
		if (e->name[n - 1] == '.')
			n--;
		if (n && !strncasecmp(g->key, e->name, n) && g->key[n] == '.' &&
		    e->ts_ns + 5 * SEC >= g->first)
			return true;
	}
	return false;
}

/* --- problems --- */

static void line(char (*lines)[DIAG_LINE], unsigned int *n, uint64_t *more, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void line(char (*lines)[DIAG_LINE], unsigned int *n, uint64_t *more, const char *fmt, ...)
{
	va_list ap;

	if (*n >= DIAG_LINES) {
		(*more)++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(lines[*n], DIAG_LINE, fmt, ap);
	va_end(ap);
	(*n)++;
}

#define EVIDENCE(p, ...) line((p)->evidence, &(p)->nevidence, &(p)->more_evidence, __VA_ARGS__)
#define SYMPTOM(p, ...) line((p)->symptoms, &(p)->nsymptoms, &(p)->more_symptoms, __VA_ARGS__)

static const char *addr_s(const struct record_addr *a, char *buf, size_t len)
{
	record_addr_text(a, buf, len);
	if (!buf[0])
		snprintf(buf, len, "?");
	return buf;
}

static const char *plural(uint64_t n, const char *one, const char *more)
{
	return n == 1 ? one : more;
}

/* One line saying what group g is, for a symptom or the first line of evidence. */
static void describe(const struct grp *g, char *out, size_t len)
{
	char a[64], b[64], by[48] = "";
	const char *errn;

	if (g->comm[0])
		snprintf(by, sizeof(by), ", %s", g->comm);
	addr_s(&g->a, a, sizeof(a));
	addr_s(&g->b, b, sizeof(b));
	switch (g->kind) {
	case G_CARRIER:
		snprintf(out, len, "%s has no carrier (%llu carrier %s in the window)", g->device,
			 (unsigned long long)g->count, plural(g->count, "change", "changes"));
		break;
	case G_TXTIMEOUT:
		snprintf(out, len, "%llu transmit %s on %s (netns %u)",
			 (unsigned long long)g->count, plural(g->count, "timeout", "timeouts"),
			 g->device, g->netns);
		break;
	case G_NEIGH:
		snprintf(out, len, "%s resolution of %s failed %llu %s on %s (netns %u)",
			 g->a.family == 10 ? "NDP" : "ARP", a, (unsigned long long)g->count,
			 plural(g->count, "time", "times"), g->device, g->netns);
		break;
	case G_ROUTE:
		if (!g->b.family) {
			snprintf(out, len,
				 "%llu %s route %s found no route (IpOutNoRoutes, netns %u)",
				 (unsigned long long)g->count, g->name,
				 plural(g->count, "lookup", "lookups"), g->netns);
			break;
		}
		if (!strncmp(g->where, "ip_error+", 9)) {
			snprintf(out, len,
				 "%llu %s to %s dropped in forwarding: route %s (at %s, netns %u)",
				 (unsigned long long)g->count,
				 plural(g->count, "packet", "packets"), b, g->key, g->where,
				 g->netns);
			break;
		}
		snprintf(out, len, "%llu route %s for %s: %s (netns %u)",
			 (unsigned long long)g->count, plural(g->count, "lookup", "lookups"), b,
			 g->key, g->netns);
		break;
	case G_NETFILTER:
		snprintf(out, len, "%llu %s %s %s -> %s dropped by a netfilter rule (netns %u)",
			 (unsigned long long)g->count, g->key,
			 plural(g->count, "packet", "packets"), a, b, g->netns);
		break;
	case G_MTU:
		snprintf(out, len,
			 "%llu ICMP fragmentation-needed (mtu %u) sent to %s for packets to %s "
			 "(netns %u)",
			 (unsigned long long)g->count, g->mtu, a, b, g->netns);
		break;
	case G_NOSOCK:
		snprintf(out, len, "%llu UDP %s to %s: no socket listens (netns %u)",
			 (unsigned long long)g->count, plural(g->count, "datagram", "datagrams"), b,
			 g->netns);
		break;
	case G_RCVBUF:
		snprintf(out, len, "%llu UDP %s to %s dropped at the socket: %s (netns %u)",
			 (unsigned long long)g->count, plural(g->count, "datagram", "datagrams"), b,
			 !strcmp(g->key, "receive_buffer") ? "its receive buffer was full"
							   : g->key,
			 g->netns);
		break;
	case G_REFUSED:
	case G_TIMEOUT:
	case G_UNREACH:
		errn = record_errno_name(g->err);
		snprintf(out, len, "%llu TCP %s to %s %s%s%s (netns %u%s)",
			 (unsigned long long)g->count, plural(g->count, "connect", "connects"), b,
			 g->kind == G_REFUSED	? "refused"
			 : g->kind == G_TIMEOUT ? "timed out"
						: "failed: ",
			 g->kind == G_UNREACH ? (errn ? errn : "error") : "", "", g->netns, by);
		break;
	case G_TLS:
		if (g->server && !g->a.family)
			snprintf(out, len, "%llu TLS %s failed on the server: %s (netns %u%s)",
				 (unsigned long long)g->count,
				 plural(g->count, "handshake", "handshakes"), g->key, g->netns, by);
		else if (!g->server && !g->b.family)
			snprintf(out, len, "%llu TLS %s failed: %s (netns %u%s)",
				 (unsigned long long)g->count,
				 plural(g->count, "handshake", "handshakes"), g->key, g->netns, by);
		else if (g->server)
			snprintf(out, len,
				 "%llu TLS %s on %s from %s failed: %s (server, netns %u%s)",
				 (unsigned long long)g->count,
				 plural(g->count, "handshake", "handshakes"), a, b, g->key,
				 g->netns, by);
		else
			snprintf(out, len, "%llu TLS %s with %s failed: %s (netns %u%s)",
				 (unsigned long long)g->count,
				 plural(g->count, "handshake", "handshakes"), b, g->key, g->netns,
				 by);
		break;
	case G_NXDOMAIN:
		snprintf(out, len, "%llu NXDOMAIN for %s (netns %u%s)",
			 (unsigned long long)g->count, g->key, g->netns, by);
		break;
	case G_DNS_TIMEOUT:
		snprintf(out, len, "%llu DNS %s to %s unanswered%s%s (netns %u%s)",
			 (unsigned long long)g->count, plural(g->count, "query", "queries"), b,
			 g->name[0] ? ", e.g. " : "", g->name, g->netns, by);
		break;
	case G_DNS_FAIL:
		snprintf(out, len, "%llu DNS %s from %s for %s (netns %u%s)",
			 (unsigned long long)g->count, g->key, b, g->name, g->netns, by);
		break;
	case G_DROP:
		snprintf(out, len, "%llu %s dropped: %s%s%s%s%s, first %s -> %s (netns %u)",
			 (unsigned long long)g->count, plural(g->count, "packet", "packets"),
			 g->key, g->device[0] ? " on " : "", g->device, g->where[0] ? " at " : "",
			 g->where, addr_s(&g->fa, a, sizeof(a)), addr_s(&g->fb, b, sizeof(b)),
			 g->netns);
		break;
	}
}

static const char *const cause_of[] = {
	[G_CARRIER] = "carrier_lost",
	[G_TXTIMEOUT] = "tx_timeout",
	[G_NEIGH] = "neigh_failed",
	[G_ROUTE] = NULL, /* route_<kind> */
	[G_NETFILTER] = "netfilter_drop",
	[G_MTU] = "mtu_blackhole",
	[G_NOSOCK] = "port_closed",
	[G_RCVBUF] = "udp_receive_buffer",
	[G_REFUSED] = "connect_refused",
	[G_UNREACH] = "host_unreachable",
	[G_TIMEOUT] = "connect_timeout",
	[G_TLS] = NULL, /* tls_cert_verify, tls_handshake */
	[G_NXDOMAIN] = "dns_nxdomain",
	[G_DNS_TIMEOUT] = "dns_no_answer",
	[G_DNS_FAIL] = NULL, /* dns_servfail, dns_refused */
	[G_DROP] = "packet_drops",
};

static const char *const collector_of[] = {
	[G_CARRIER] = "link",	 [G_TXTIMEOUT] = "link", [G_NEIGH] = "neigh", [G_ROUTE] = "route",
	[G_NETFILTER] = "drop",	 [G_MTU] = "route",	 [G_NOSOCK] = "drop", [G_RCVBUF] = "udp", [G_REFUSED] = "tcp",
	[G_UNREACH] = "tcp",	 [G_TIMEOUT] = "tcp",	 [G_TLS] = "tls",     [G_NXDOMAIN] = "dns",
	[G_DNS_TIMEOUT] = "dns", [G_DNS_FAIL] = "dns",	 [G_DROP] = "drop",
};

static void fill(struct diag_problem *p, const struct grp *g, const struct diag_input *in)
{
	char a[64], b[64], what[DIAG_LINE];
	uint64_t n;

	p->layer = grp_layer(g);
	p->collector = collector_of[g->kind];
	p->cause = cause_of[g->kind];
	p->netns = g->netns;
	/* the pod whose sandbox holds the namespace, from the node's files (k8s.c) */
	k8s_pod_of_netns(g->netns, p->namespace, sizeof(p->namespace), p->pod, sizeof(p->pod));
	snprintf(p->device, sizeof(p->device), "%s", g->kind == G_TLS ? "" : g->device);
	p->count = g->count;
	p->affected = g->count;
	p->first_ns = g->first;
	p->last_ns = g->last;
	p->pid = g->pid;
	addr_s(&g->a, a, sizeof(a));
	addr_s(&g->b, b, sizeof(b));
	describe(g, what, sizeof(what));
	EVIDENCE(p, "%s", what);
	switch (g->kind) {
	case G_CARRIER:
		snprintf(p->target, sizeof(p->target), "%s", g->device);
		snprintf(p->summary, sizeof(p->summary), "%s lost its carrier (link down)",
			 g->device);
		snprintf(p->check, sizeof(p->check), "ip link show dev %s", g->device);
		break;
	case G_TXTIMEOUT:
		snprintf(p->target, sizeof(p->target), "%s", g->device);
		snprintf(p->summary, sizeof(p->summary), "transmit queue of %s timed out",
			 g->device);
		snprintf(p->check, sizeof(p->check), "ip -s link show dev %s", g->device);
		break;
	case G_NEIGH:
		snprintf(p->target, sizeof(p->target), "%s", a);
		snprintf(p->summary, sizeof(p->summary), "%s does not answer %s on %s", a,
			 g->a.family == 10 ? "neighbour solicitations (NDP)" : "ARP", g->device);
		snprintf(p->check, sizeof(p->check), "ip neigh show nud failed dev %s", g->device);
		break;
	case G_ROUTE:
		p->cause = !strcmp(g->key, "forward")	    ? "route_failed"
			   : !strcmp(g->key, "no_route")    ? "no_route"
			   : !strcmp(g->key, "unreachable") ? "route_unreachable"
			   : !strcmp(g->key, "prohibit")    ? "route_prohibit"
			   : !strcmp(g->key, "blackhole")   ? "route_blackhole"
							    : "route_failed";
		if (!g->b.family) {
			snprintf(p->summary, sizeof(p->summary),
				 "no route: %s sends found no route to their destination", g->name);
			snprintf(p->check, sizeof(p->check), "ip %sroute show; nstat -az %s",
				 !strcmp(g->name, "ipv6") ? "-6 " : "",
				 !strcmp(g->name, "ipv6") ? "Ip6OutNoRoutes" : "IpOutNoRoutes");
			break;
		}
		snprintf(p->target, sizeof(p->target), "%s", b);
		snprintf(p->summary, sizeof(p->summary), "%s to %s",
			 !strcmp(g->key, "no_route") ? "no route" : g->key, b);
		snprintf(p->check, sizeof(p->check), "ip route get %s", b);
		break;
	case G_NETFILTER:
		snprintf(p->target, sizeof(p->target), "%s", b);
		snprintf(p->summary, sizeof(p->summary), "a netfilter rule drops %s from %s to %s",
			 g->key, a, b);
		snprintf(p->check, sizeof(p->check), "nft list ruleset; iptables-save -c");
		n = retransmits(in, &g->a, &g->b, true);
		if (n)
			EVIDENCE(p, "%llu SYN %s from %s to %s", (unsigned long long)n,
				 plural(n, "retransmit", "retransmits"), a, b);
		break;
	case G_MTU:
		snprintf(p->target, sizeof(p->target), "%s", b);
		snprintf(p->summary, sizeof(p->summary),
			 "MTU black hole: packets from %s to %s exceed mtu %u and the sender does "
			 "not shrink them (ICMP fragmentation-needed lost or filtered)",
			 a, b, g->mtu);
		snprintf(p->check, sizeof(p->check), "tracepath -n %s (from %s); nft list ruleset",
			 b, a);
		n = retransmits(in, &g->a, &g->b, false);
		if (n)
			SYMPTOM(p, "%llu TCP %s from %s to %s", (unsigned long long)n,
				plural(n, "retransmit", "retransmits"), a, b);
		p->affected += n;
		break;
	case G_NOSOCK:
		snprintf(p->target, sizeof(p->target), "%s", b);
		snprintf(p->summary, sizeof(p->summary), "nothing listens on udp %s", b);
		snprintf(p->check, sizeof(p->check), "ss -lun 'sport = :%u'", g->b.port);
		if (g->key[0])
			EVIDENCE(p,
				 "no drop reason in this kernel (before 5.17): the drops at %s are "
				 "as many as %s rose in the namespace",
				 g->where, g->key);
		break;
	case G_REFUSED:
		snprintf(p->target, sizeof(p->target), "%s", b);
		snprintf(p->summary, sizeof(p->summary),
			 "connection refused by %s: nothing listens", b);
		snprintf(p->check, sizeof(p->check), "ss -ltn 'sport = :%u'  (on %s)", g->b.port,
			 a);
		break;
	case G_UNREACH:
		snprintf(p->target, sizeof(p->target), "%s", b);
		snprintf(p->summary, sizeof(p->summary), "%s is unreachable (%s)", b,
			 record_errno_name(g->err) ? record_errno_name(g->err) : "error");
		{
			struct record_addr h = no_port(&g->b);

			addr_s(&h, a, sizeof(a));
			snprintf(p->check, sizeof(p->check), "ip route get %s; ping -c 3 %s", a, a);
		}
		break;
	case G_TIMEOUT:
		snprintf(p->target, sizeof(p->target), "%s", b);
		snprintf(p->summary, sizeof(p->summary),
			 "connects to %s time out: no answer to SYN, no cause seen below", b);
		snprintf(p->check, sizeof(p->check), "ss -tn state syn-sent dst %s", b);
		n = retransmits(in, &g->a, &g->b, true);
		if (n)
			EVIDENCE(p, "%llu SYN %s to %s", (unsigned long long)n,
				 plural(n, "retransmit", "retransmits"), b);
		break;
	case G_TLS:
		p->cause = strstr(g->key, "certificate verify failed") ? "tls_cert_verify"
			   : !strcmp(g->key, "handshake incomplete")   ? "tls_handshake_incomplete"
								       : "tls_handshake_failed";
		if (!(g->server ? g->a.family : g->b.family)) {
			/* the library did the I/O itself (its own BIO): no socket to read */
			snprintf(p->summary, sizeof(p->summary), "TLS handshakes %s %s fail: %s",
				 g->server ? "served by" : "of", g->comm[0] ? g->comm : "a process",
				 g->key);
			snprintf(p->check, sizeof(p->check), "osiscope trace -l tls --netns %u",
				 g->netns);
			break;
		}
		snprintf(p->target, sizeof(p->target), "%s", g->server ? a : b);
		snprintf(p->summary, sizeof(p->summary), "TLS handshake %s %s fails: %s",
			 g->server ? "on" : "with", g->server ? a : b, g->key);
		snprintf(p->check, sizeof(p->check),
			 "openssl s_client -connect %s -verify_return_error </dev/null",
			 g->server ? a : b);
		break;
	case G_NXDOMAIN:
		snprintf(p->target, sizeof(p->target), "%s", g->key);
		snprintf(p->summary, sizeof(p->summary), "%s does not exist (NXDOMAIN)", g->key);
		snprintf(p->check, sizeof(p->check), "getent ahosts %s", g->key);
		break;
	case G_DNS_TIMEOUT:
		snprintf(p->target, sizeof(p->target), "%s", b);
		snprintf(p->summary, sizeof(p->summary), "DNS server %s does not answer", b);
		{
			struct record_addr h = no_port(&g->b);

			addr_s(&h, a, sizeof(a));
			snprintf(p->check, sizeof(p->check), "dig @%s %s +tries=1", a,
				 g->name[0] ? g->name : ".");
		}
		break;
	case G_DNS_FAIL:
		p->cause = !strcmp(g->key, "servfail") ? "dns_servfail" : "dns_refused";
		snprintf(p->target, sizeof(p->target), "%s", g->name[0] ? g->name : b);
		snprintf(p->summary, sizeof(p->summary), "DNS server %s answers %s", b,
			 !strcmp(g->key, "servfail") ? "SERVFAIL" : "REFUSED");
		{
			struct record_addr h = no_port(&g->b);

			addr_s(&h, a, sizeof(a));
			snprintf(p->check, sizeof(p->check), "dig @%s %s", a,
				 g->name[0] ? g->name : ".");
		}
		break;
	case G_RCVBUF:
		snprintf(p->target, sizeof(p->target), "%s", b);
		snprintf(p->summary, sizeof(p->summary),
			 "the UDP socket on %s drops datagrams: its receive buffer is full (the "
			 "reader is too slow, or SO_RCVBUF too small)",
			 b);
		snprintf(p->check, sizeof(p->check), "ss -uamn 'sport = :%u'", g->b.port);
		break;
	case G_DROP:
		snprintf(p->target, sizeof(p->target), "%s", g->device);
		snprintf(p->summary, sizeof(p->summary), "packets dropped: %s", g->key);
		snprintf(p->check, sizeof(p->check), "osiscope trace -l drop --netns %u", g->netns);
		break;
	}
}

static int by_importance(const void *x, const void *y)
{
	const struct diag_problem *a = x, *b = y;
	int la = a->layer[1], lb = b->layer[1];

	if (a->affected != b->affected)
		return a->affected > b->affected ? -1 : 1;
	if (la != lb)
		return la - lb;
	return a->first_ns < b->first_ns ? -1 : a->first_ns > b->first_ns;
}

/* The group nothing explains above g, following the links. */
static struct grp *root_of(struct grp *g)
{
	for (int hops = 0; g->root && hops < 16; hops++)
		g = g->root;
	return g;
}

int diag_analyze(const struct diag_input *in, struct diag_result *out)
{
	struct engine en = { .in = in };
	struct grp w, *g;
	size_t nroots = 0, k = 0;
	int err = -ENOMEM;

	memset(out, 0, sizeof(*out));
	if (udp_sites(&en))
		goto out;
	for (size_t i = 0; i < in->nlinks; i++) {
		const struct diag_link *l = &in->links[i];

		/* up by the administrator, no carrier, and it changed in the window */
		if (!l->admin_up || l->carrier || !l->carrier_changes)
			continue;
		memset(&w, 0, sizeof(w));
		w.kind = G_CARRIER;
		w.netns = l->netns;
		w.standalone = true;
		snprintf(w.device, sizeof(w.device), "%s", l->device);
		if (!(g = grp_get(&en, &w)))
			goto out;
		g->count = l->carrier_changes;
		g->first = in->start_ns;
		g->last = in->end_ns;
	}
	for (size_t i = 0; i < in->ncounts; i++) {
		const struct diag_count *c = &in->counts[i];

		/* no route: the MIB counts it, no hook sees the destination */
		if (strncmp(c->what, "no_route_", 9) || !c->delta)
			continue;
		memset(&w, 0, sizeof(w));
		w.kind = G_ROUTE;
		w.netns = c->netns;
		/* IPv6 counts some in normal operation: MLD and router solicitations of a
		 * link coming up before its routes exist, happy eyeballs on IPv4-only
		 * networks. Only IPv4's is a problem by itself. */
		w.standalone = !strcmp(c->what, "no_route_ipv4");
		snprintf(w.key, sizeof(w.key), "no_route");
		snprintf(w.name, sizeof(w.name), "%s", c->what + 9);
		if (!(g = grp_get(&en, &w)))
			goto out;
		g->count += c->delta;
		g->first = in->start_ns;
		g->last = in->end_ns;
	}
	for (size_t i = 0; i < in->nev; i++) {
		if (!group_of(&en, &in->ev[i], &w))
			continue;
		if (!(g = grp_get(&en, &w)))
			goto out;
		group_add(g, &in->ev[i]);
	}
	/* a router's drop and the route lookup before it are one fault: the kind from the
	 * lookup, the namespace from the drop (its device's). Once it has its kind, f is
	 * such a lookup group itself: skip it (the lookup is seen, from a program on
	 * ip_error(), where a kernel has fentry or kprobes) */
	for (size_t i = 0; i < en.n; i++) {
		struct grp *f = &en.g[i];

		if (f->kind != G_ROUTE || strcmp(f->key, "forward"))
			continue;
		for (size_t j = 0; j < en.n; j++) {
			g = &en.g[j];
			if (j == i || g->kind != G_ROUTE || !g->count || !addr_eq(&g->b, &f->b) ||
			    !strcmp(g->key, "forward"))
				continue;
			snprintf(f->key, sizeof(f->key), "%s", g->key);
			g->count = 0;
		}
	}
	/* no lookup event (it ran in softirq): the kind from the ICMP the router sent */
	for (size_t i = 0; i < en.n; i++) {
		struct grp *f = &en.g[i];

		if (f->kind != G_ROUTE || strcmp(f->key, "forward"))
			continue;
		for (size_t j = 0; j < in->ncounts; j++) {
			const struct diag_count *c = &in->counts[j];
			const char *kind = !strcmp(c->what, "icmp_unreach_0")	 ? "no_route"
					   : !strcmp(c->what, "icmp_unreach_1")	 ? "unreachable"
					   : !strcmp(c->what, "icmp_unreach_13") ? "prohibit"
										 : NULL;

			if (kind && c->netns == f->netns && c->delta)
				snprintf(f->key, sizeof(f->key), "%s", kind);
		}
	}
	/* a search-path expansion followed by an answer for the base name is no problem */
	for (size_t i = 0; i < en.n; i++)
		if (en.g[i].kind == G_NXDOMAIN && search_expansion(in, &en.g[i]))
			en.g[i].standalone = false, en.g[i].count = 0;

	/* each group to the lowest group that explains it (kinds are in layer order) */
	for (size_t i = 0; i < en.n; i++) {
		struct grp *s = &en.g[i], *best = NULL;

		if (!s->count)
			continue;
		for (size_t j = 0; j < en.n; j++) {
			struct grp *e = &en.g[j];

			if (i == j || !e->count || !explains(e, s))
				continue;
			if (!best || e->kind < best->kind)
				best = e;
		}
		if (best) {
			s->root = best;
			best->explains = true;
		}
	}
	/* an MTU group is a problem when confirmed; a NOSOCK one only when it explains */
	for (size_t i = 0; i < en.n; i++) {
		g = &en.g[i];
		if (g->kind == G_MTU && mtu_confirmed(g))
			g->standalone = true;
		if (g->kind == G_NOSOCK && g->explains)
			g->standalone = true;
	}
	/* a link through a group that is no problem itself does not hold */
	for (size_t i = 0; i < en.n; i++)
		if (en.g[i].root && !en.g[i].root->standalone)
			en.g[i].root = NULL;
	for (size_t i = 0; i < en.n; i++)
		nroots += !en.g[i].root && en.g[i].standalone && en.g[i].count;
	out->benign = en.benign;
	if (!nroots) {
		err = 0;
		goto out;
	}
	out->v = calloc(nroots, sizeof(*out->v));
	if (!out->v)
		goto out;
	for (size_t i = 0; i < en.n; i++) {
		g = &en.g[i];
		if (g->root || !g->standalone || !g->count)
			continue;
		fill(&out->v[k], g, in);
		g->idx = k++;
	}
	/* symptoms to their roots, in the order they were seen */
	for (size_t i = 0; i < en.n; i++) {
		struct grp *r;
		struct diag_problem *p;
		char what[DIAG_LINE];

		g = &en.g[i];
		if (!g->root || !g->count)
			continue;
		r = root_of(g);
		if (r->root || !r->standalone || !r->count)
			continue;
		p = &out->v[r->idx];
		describe(g, what, sizeof(what));
		/* the same fault seen from elsewhere is evidence, a consequence a symptom */
		if (g->kind == G_DROP || g->kind == G_NETFILTER || g->kind == G_MTU ||
		    g->kind == G_NOSOCK || (g->kind == G_TLS && g->server) || g->kind == G_NXDOMAIN)
			EVIDENCE(p, "%s", what);
		else
			SYMPTOM(p, "%s", what);
		p->affected += g->count;
		if (g->first < p->first_ns)
			p->first_ns = g->first;
		if (g->last > p->last_ns)
			p->last_ns = g->last;
	}
	out->n = k;
	qsort(out->v, out->n, sizeof(*out->v), by_importance);
	err = 0;
out:
	free(en.g);
	free(en.us);
	if (err)
		diag_result_free(out);
	return err;
}

void diag_result_free(struct diag_result *r)
{
	free(r->v);
	r->v = NULL;
	r->n = 0;
}
