// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* UDP layer (L4), userspace half: load and attach bpf/udp.bpf.c (datagrams a bound socket
 * could not queue, by port), read what the kernel counts per namespace without a hook
 * (its UDP MIB, and the receive queues of its sockets through sock_diag), and decode the
 * drop events. */
#include <bpf/bpf.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/socket.h>
#include <unistd.h>

#include "collector.h"
#include "log.h"
#include "netns.h"
#include "nlmsg.h"
#include "udp.h"
#include "udp.skel.h"

/* Receive queues shown: the fullest sockets of the host (sockets of one port in one
 * namespace summed, as a reuseport group serves one port). */
#define UDP_TOP_QUEUES 10
/* Ports of one namespace summed per visit; sockets beyond them are ranked one by one. */
#define UDP_VISIT_PORTS 256

enum udp_mib_idx {
	MIB_IN,
	MIB_OUT,
	MIB_NOPORTS,
	MIB_INERRORS,
	MIB_RCVBUF,
	MIB_SNDBUF,
	MIB_CSUM,
	MIB_COUNT
};

/* What is kept per namespace: the registry keeps the counters' baselines. */
struct udp_prev {
	uint32_t netns;
	uint64_t other[UDP_FAMILIES]; /* kind="other" as last handed over */
};

struct udp_queue {
	uint32_t netns;
	uint16_t port;
	uint8_t family;
	uint64_t bytes;
};

struct udp_priv {
	struct udp_bpf *skel;
	struct bpf_link *links[1];
	int nlinks;
	struct hook hooks[1];
	struct nstab prev; /* struct udp_prev by namespace */
	const struct collect_ctx *cx;
	struct udp_queue top[UDP_TOP_QUEUES]; /* fullest first */
	size_t ntop;
	struct udp_queue visit[UDP_VISIT_PORTS];
	size_t nvisit;
	struct metric *datagrams, *errors, *drops, *queue;
};

static const char *const families[UDP_FAMILIES] = { "ipv4", "ipv6" };

static int register_metrics(struct udp_priv *p, struct registry *reg)
{
	const struct metric_desc descs[] = {
		{ "osiscope_udp_datagrams_total",
		  "UDP datagrams received (counted when an application reads them, as the kernel "
		  "does) and sent (kernel MIB UdpInDatagrams, UdpOutDatagrams; Udp6InDatagrams, "
		  "Udp6OutDatagrams).",
		  METRIC_COUNTER,
		  { "netns", "family", "direction", NULL } },
		{ "osiscope_udp_errors_total",
		  "UDP datagrams lost, by kind: receive_buffer, a socket's receive buffer was "
		  "full (UdpRcvbufErrors); send_buffer, a send found the socket's send buffer "
		  "full or the device queue dropped it (UdpSndbufErrors); no_port, no socket "
		  "bound to the port (UdpNoPorts); checksum, a bad checksum (UdpInCsumErrors); "
		  "other, the rest of UdpInErrors (memory limits, socket filters, encapsulation). "
		  "IPv6: the Udp6 counters.",
		  METRIC_COUNTER,
		  { "netns", "family", "kind", NULL } },
		{ "osiscope_udp_socket_drops_total",
		  "Datagrams a bound UDP socket could not queue (receive buffer full, or UDP "
		  "memory over net.ipv4.udp_mem), by the socket's local port (tracepoint "
		  "udp_fail_queue_rcv_skb); family is the datagram's.",
		  METRIC_COUNTER,
		  { "netns", "family", "port", NULL },
		  .budget = 512 },
		{ "osiscope_udp_receive_queue_bytes",
		  "Bytes waiting to be read at the UDP sockets with the fullest receive queues "
		  "(the 10 fullest ports of the host; sockets sharing a port summed), as ss "
		  "shows Recv-Q (sock_diag).",
		  METRIC_GAUGE,
		  { "netns", "family", "port", NULL } },
	};
	struct metric **const out[] = { &p->datagrams, &p->errors, &p->drops, &p->queue };

	return metrics_register(reg, descs, sizeof(descs) / sizeof(descs[0]), out);
}

static const char *const udp_event_types[] = {
	[UDP_EV_SOCKET_DROP] = "udp_socket_drop",
};

static bool udp_decode(struct collector *l, const void *event, struct event_record *r)
{
	const struct udp_event *e = event;

	record_addr_set(&r->src, e->family, e->saddr, e->sport != 0, e->sport);
	record_addr_set(&r->dst, e->family, e->daddr, true, e->dport);
	/* what __udp_enqueue_schedule_skb() returned */
	if (e->err == -ENOMEM)
		record_str(r, "reason", "receive_buffer");
	else if (e->err == -ENOBUFS)
		record_str(r, "reason", "memory"); /* net.ipv4.udp_mem */
	else
		record_str(r, "reason", "error_%d", -e->err);
	record_uint(r, "rcvbuf", e->rcvbuf);
	record_uint(r, "queued", e->rmem);
	if (e->len)
		record_uint(r, "len", e->len);
	return true;
}

/*
 * What this kernel's udp:udp_fail_queue_rcv_skb leaves out, said once at start so that
 * no series or event field is silently missing: the packet argument (and with it the
 * sender's address) came in v6.10; the call for IPv6 sockets in v6.5 (before, their
 * drops are only in the MIB, kind="receive_buffer", and no per-port series appears).
 */
static void udp_say_kernel_gaps(const struct hook *h)
{
	struct utsname u;
	unsigned int major = 0, minor = 0;

	if (h->chosen == h->btf_short || h->chosen == h->raw_short)
		pr_info("udp: udp:udp_fail_queue_rcv_skb has no packet argument on this kernel "
			"(before 6.10): drop events carry the socket's own address and port, not "
			"the sender's");
	if (uname(&u) == 0 && sscanf(u.release, "%u.%u", &major, &minor) == 2 &&
	    (major < 6 || (major == 6 && minor < 5)))
		pr_info("udp: before 6.5 the kernel does not call udp:udp_fail_queue_rcv_skb for "
			"IPv6 sockets: their drops are counted in the MIB (kind=\"receive_buffer\"), "
			"not by port, and send no event");
}

static int udp_open(struct collector *l, const struct collector_opts *opts)
{
	struct udp_priv *p;
	struct udp_bpf *s;
	int err;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	l->priv = p;
	nstab_init(&p->prev, sizeof(struct udp_prev));
	s = p->skel = udp_bpf__open();
	if (!s)
		return collector_failed(l, -errno, "open BPF object");
	l->obj = s->obj;
	COLLECTOR_SET_EVENTS(s, opts);

	/* not required: the MIB and the queues work without it */
	p->hooks[0] = (struct hook){ "udp",
				     "udp_fail_queue_rcv_skb",
				     3,
				     false,
				     s->progs.udp_fail_btf,
				     s->progs.udp_fail_btf_short,
				     s->progs.udp_fail_raw,
				     s->progs.udp_fail_raw_short,
				     NULL };
	l->hooks = p->hooks;
	l->nhooks = 1;
	hooks_select(p->hooks, l->nhooks, opts->cfg->attach);
	if (!p->hooks[0].chosen && !p->hooks[0].why[0])
		snprintf(p->hooks[0].why, sizeof(p->hooks[0].why), "%s",
			 "no classic tracepoint flavour: its record lacks the socket's namespace");
	if (!opts->events)
		bpf_map__set_max_entries(s->maps.udp_events, 4096); /* never written */

	err = udp_bpf__load(s);
	if (err)
		return collector_failed(l, err, "load BPF object");
	err = collector_attach_hooks(l, p->links, &p->nlinks);
	if (err)
		return err;
	if (!p->hooks[0].chosen)
		pr_info("udp: drops at a socket are not counted by port (no hook), only in the "
			"MIB");
	else
		udp_say_kernel_gaps(&p->hooks[0]);
	if (opts->events) {
		err = collector_events_open(l, s->maps.udp_events);
		if (err)
			return err;
	}
	return 0;
}

/* --- the MIB --- */

static const char *const mib4[MIB_COUNT] = {
	[MIB_IN] = "InDatagrams",    [MIB_OUT] = "OutDatagrams",    [MIB_NOPORTS] = "NoPorts",
	[MIB_INERRORS] = "InErrors", [MIB_RCVBUF] = "RcvbufErrors", [MIB_SNDBUF] = "SndbufErrors",
	[MIB_CSUM] = "InCsumErrors",
};

struct mib6_ctx {
	uint64_t *v;
	int found;
};

static void mib6_pair(void *ctx, const char *name, size_t nlen, uint64_t v)
{
	struct mib6_ctx *c = ctx;

	if (nlen <= 4 || strncmp(name, "Udp6", 4))
		return;
	for (int i = 0; i < MIB_COUNT; i++) {
		if (nlen - 4 == strlen(mib4[i]) && !strncmp(name + 4, mib4[i], nlen - 4)) {
			c->v[i] = v;
			c->found++;
		}
	}
}

static void emit_mib(struct udp_priv *p, uint32_t netns, int f, const uint64_t *v)
{
	struct udp_prev *pv = nstab_get(&p->prev, netns, true);
	const enum counter_origin o = ORIGIN_NETNS;
	const char *fam = families[f];
	uint64_t other;
	char ns[16];
	struct {
		const char *kind;
		uint64_t v;
	} errs[] = { { "receive_buffer", v[MIB_RCVBUF] },
		     { "send_buffer", v[MIB_SNDBUF] },
		     { "no_port", v[MIB_NOPORTS] },
		     { "checksum", v[MIB_CSUM] },
		     { "other", 0 } };

	snprintf(ns, sizeof(ns), "%u", netns);
	/* InErrors counts receive buffer and checksum errors too; the three are read
	 * CPU by CPU, not at one instant, so the rest never goes back */
	other = v[MIB_INERRORS] > v[MIB_RCVBUF] + v[MIB_CSUM]
			? v[MIB_INERRORS] - v[MIB_RCVBUF] - v[MIB_CSUM]
			: 0;
	if (pv) {
		if (other < pv->other[f])
			other = pv->other[f];
		pv->other[f] = other;
	}
	errs[4].v = other;
	metric_counter_observe(p->datagrams, (const char *[]){ ns, fam, "receive" }, v[MIB_IN], o);
	metric_counter_observe(p->datagrams, (const char *[]){ ns, fam, "transmit" }, v[MIB_OUT],
			       o);
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		metric_counter_observe(p->errors, (const char *[]){ ns, fam, errs[i].kind },
				       errs[i].v, o);
}

/* --- receive queues --- */

static void top_offer(struct udp_priv *p, const struct udp_queue *q)
{
	size_t i = p->ntop;

	if (i == UDP_TOP_QUEUES && p->top[i - 1].bytes >= q->bytes)
		return;
	if (i == UDP_TOP_QUEUES)
		i--;
	else
		p->ntop++;
	/* insertion into a list of at most UDP_TOP_QUEUES */
	while (i > 0 && p->top[i - 1].bytes < q->bytes) {
		p->top[i] = p->top[i - 1];
		i--;
	}
	p->top[i] = *q;
}

static void visit_add(struct udp_priv *p, uint32_t netns, uint8_t family, uint16_t port,
		      uint64_t bytes)
{
	struct udp_queue q = { netns, port, family, bytes };

	for (size_t i = 0; i < p->nvisit; i++) {
		if (p->visit[i].port == port && p->visit[i].family == family) {
			p->visit[i].bytes += bytes;
			return;
		}
	}
	if (p->nvisit < UDP_VISIT_PORTS)
		p->visit[p->nvisit++] = q;
	else
		top_offer(p, &q);
}

struct queues_ctx {
	struct udp_priv *p;
	uint32_t netns;
	uint8_t family;
};

static int queue_msg(const struct nlmsghdr *h, void *ctx)
{
	struct queues_ctx *c = ctx;
	const struct inet_diag_msg *m = NLMSG_DATA(h);

	if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(*m)) && m->idiag_rqueue)
		visit_add(c->p, c->netns, c->family, ntohs(m->id.idiag_sport), m->idiag_rqueue);
	return 0;
}

/* One sock_diag dump of the namespace's UDP sockets of a family. */
static int queues_dump(struct udp_priv *p, int fd, int family, uint32_t netns)
{
	struct queues_ctx c = { p, netns, family == AF_INET6 ? UDP_IPV6 : UDP_IPV4 };

	return nl_sockdiag_dump(fd, family, IPPROTO_UDP, ~0u, queue_msg, &c);
}

/* sockstat's "UDP: inuse N" (sockstat6: "UDP6: inuse N"): the namespace's sockets of the
 * family, so that a namespace without any needs no dump. 1 when it cannot tell. */
static uint64_t sockstat_inuse(const char *path, const char *prefix)
{
	uint64_t v;
	int err = sockstat_field(path, prefix, " inuse ", &v);

	if (err == -ENOENT && access(path, F_OK)) /* no sockstat6: no IPv6 */
		return 0;
	return err ? 1 : v;
}

static void read_queues(struct udp_priv *p, uint32_t netns)
{
	bool v4 = sockstat_inuse("/proc/thread-self/net/sockstat", "UDP: ") > 0;
	bool v6 = sockstat_inuse("/proc/thread-self/net/sockstat6", "UDP6: ") > 0;
	int fd, err = 0;

	if (!v4 && !v6)
		return;
	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0) {
		pr_debug("udp: sock_diag socket in netns %u: %s", netns, strerror(errno));
		return;
	}
	p->nvisit = 0;
	if (v4)
		err = queues_dump(p, fd, AF_INET, netns);
	if (!err && v6)
		err = queues_dump(p, fd, AF_INET6, netns);
	close(fd);
	if (err)
		pr_debug("udp: sock_diag dump in netns %u: %s", netns, strerror(-err));
	for (size_t i = 0; i < p->nvisit; i++)
		top_offer(p, &p->visit[i]);
}

static void udp_begin(struct collector *l, struct registry *reg, const struct collect_ctx *cx)
{
	struct udp_priv *p = l->priv;

	if (!p->datagrams)
		register_metrics(p, reg);
	if (p->queue)
		metric_gauge_reset(p->queue);
	p->ntop = 0;
}

static void udp_visit_netns(struct collector *l, struct registry *reg, const struct netns_entry *ns,
			    const struct collect_ctx *cx)
{
	struct udp_priv *p = l->priv;
	uint64_t v[MIB_COUNT] = { 0 };
	const char *snmp6;

	if (!p->datagrams)
		return;
	if (mib_read("Udp", mib4, v, MIB_COUNT) < MIB_COUNT - 1)
		return; /* the namespace went away under us (InCsumErrors: v3.10+) */
	emit_mib(p, ns->inode, UDP_IPV4, v);
	snmp6 = mib_snmp6_text(); /* none where IPv6 is disabled */
	if (snmp6) {
		struct mib6_ctx c = { v, 0 };

		memset(v, 0, sizeof(v));
		mib_pairs(snmp6, strlen(snmp6), mib6_pair, &c);
		if (c.found)
			emit_mib(p, ns->inode, UDP_IPV6, v);
	}
	read_queues(p, ns->inode);
}

static void collect_port(void *ctx, const void *key, const void *sum)
{
	struct udp_priv *p = ctx;
	const struct udp_port_key *k = key;
	char ns[16], port[8];

	collect_note_netns(p->cx, k->netns);
	if (k->family >= UDP_FAMILIES)
		return;
	snprintf(ns, sizeof(ns), "%u", k->netns);
	snprintf(port, sizeof(port), "%u", k->port);
	metric_counter_observe(p->drops, (const char *[]){ ns, families[k->family], port },
			       *(const uint64_t *)sum, ORIGIN_MAP);
}

static void udp_collect(struct collector *l, struct registry *reg, const struct collect_ctx *cx)
{
	struct udp_priv *p = l->priv;

	if (!p->datagrams)
		return;
	p->cx = cx;
	percpu_map_each(bpf_map__fd(p->skel->maps.udp_drops), sizeof(struct udp_port_key),
			sizeof(uint64_t), collect_port, p);
	for (size_t i = 0; i < p->ntop; i++) {
		char ns[16], port[8];

		snprintf(ns, sizeof(ns), "%u", p->top[i].netns);
		snprintf(port, sizeof(port), "%u", p->top[i].port);
		metric_gauge_set(p->queue, (const char *[]){ ns, families[p->top[i].family], port },
				 (double)p->top[i].bytes);
	}
}

/* The registry renews the counters' baselines (the map's stay, the MIB's go to zero):
 * unlike forget_netns, the map's entries must stay. */
static void udp_renew_netns(struct collector *l, uint32_t netns)
{
	struct udp_priv *p = l->priv;

	nstab_del(&p->prev, netns);
}

static void udp_forget_netns(struct collector *l, uint32_t netns)
{
	struct udp_priv *p = l->priv;

	map_delete_netns(bpf_map__fd(p->skel->maps.udp_drops), sizeof(struct udp_port_key),
			 offsetof(struct udp_port_key, netns), netns);
	nstab_del(&p->prev, netns);
}

static void udp_describe(struct collector *l, char *buf, size_t len)
{
	struct udp_priv *p = l->priv;

	snprintf(buf, len, "MIB and sock_diag per namespace; drops by port: %s",
		 p->hooks[0].chosen ? p->hooks[0].mode : "off (no hook)");
}

static void udp_close(struct collector *l)
{
	struct udp_priv *p = l->priv;

	if (!p)
		return;
	collector_release(l, p->links, p->nlinks);
	udp_bpf__destroy(p->skel);
	nstab_free(&p->prev);
	free(p);
	l->priv = NULL;
}

static const struct finding udp_findings[] = {
	{ "osiscope_udp_errors_total", "kind", "receive_buffer",
	  "UDP datagrams dropped: a socket's receive buffer was full",
	  "a reader slower than its traffic: see osiscope_udp_socket_drops_total by port and "
	  "osiscope_udp_receive_queue_bytes; raise SO_RCVBUF / net.core.rmem_max, or read faster" },
	{ "osiscope_udp_errors_total", "kind", "send_buffer",
	  "UDP sends failed: the socket's send buffer was full or the device queue dropped them",
	  "a sender faster than its device or qdisc: raise SO_SNDBUF, or pace the sender" },
	{ "osiscope_udp_errors_total", "kind", "checksum", "UDP datagrams with a bad checksum",
	  "corruption on the way, or a NIC checksum offload problem" },
	{ "osiscope_udp_errors_total", "kind", "other",
	  "UDP datagrams dropped for other reasons (memory, socket filters)",
	  "net.ipv4.udp_mem limits, or a socket filter; see osiscope_skb_drops_total" },
	{ "osiscope_udp_errors_total", "kind", "no_port", "UDP datagrams to closed ports",
	  "nothing listens on the port: a service down, or a scan (also ICMP port unreachables "
	  "sent)" },
	{ "osiscope_udp_socket_drops_total", NULL, NULL, "datagrams dropped at a bound socket",
	  "the port's reader is too slow for its receive buffer" },
};

static const struct collector_desc udp_collector = {
	.name = "udp",
	.osi = "l4",
	.layers = OSI_L4,
	.rank = 45,
	.findings = udp_findings,
	.nfindings = sizeof(udp_findings) / sizeof(udp_findings[0]),
	.events = { .size = sizeof(struct udp_event),
		    .osi = "l4",
		    .types = udp_event_types,
		    .ntypes = sizeof(udp_event_types) / sizeof(udp_event_types[0]),
		    .decode = udp_decode },
	.open = udp_open,
	.begin = udp_begin,
	.visit_netns = udp_visit_netns,
	.collect = udp_collect,
	.forget_netns = udp_forget_netns,
	.renew_netns = udp_renew_netns,
	.describe = udp_describe,
	.close = udp_close,
};
COLLECTOR_REGISTER(udp_collector);
