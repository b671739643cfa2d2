// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Link layer (L1/L2), userspace half. Device counters, carrier and operational state
 * come from the rtnetlink dump the agent makes per namespace and collection
 * (cx->ifaces, the source of `ip -s link`); bpf/link.bpf.c adds the protocol mix and
 * broadcast/multicast frames per device and direction, and transmit timeouts.
 *
 * Devices are followed as they come and go: every namespace visit (each scrape, and
 * every MAINTAIN_PERIOD_S from the event loop) attaches the tc programs to devices seen
 * for the first time, and lets go of what belonged to devices that are gone. How they
 * go on a device, and come off again, is user/link_tc.c's.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if_arp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "collector.h"
#include "link.h"
#include "link.skel.h"
#include "link_tc.h"
#include "log.h"
#include "netns.h"

static const char *const hook_names[HK_COUNT] = {
	"tcx_ingress", "tcx_egress", "tc_ingress", "tc_egress", "xdp",
};
static const char *const dir_names[LINK_DIRS] = { "receive", "transmit" };
static const char *const proto_names[LINK_PROTOS] = {
	[LINK_P_IPV4_TCP] = "ipv4/tcp",
	[LINK_P_IPV4_UDP] = "ipv4/udp",
	[LINK_P_IPV4_ICMP] = "ipv4/icmp",
	[LINK_P_IPV4_OTHER] = "ipv4/other",
	[LINK_P_IPV6_TCP] = "ipv6/tcp",
	[LINK_P_IPV6_UDP] = "ipv6/udp",
	[LINK_P_IPV6_ICMP] = "ipv6/icmpv6",
	[LINK_P_IPV6_OTHER] = "ipv6/other",
	[LINK_P_ARP] = "arp",
	[LINK_P_OTHER] = "other",
};

/* One device of one namespace: what was last handed to the registry, and what of ours
 * is attached to it. */
struct link_dev {
	uint32_t ifindex;
	char name[IFNAMSIZ];
	uint64_t seen; /* pass that last found it present */
	bool have_prev; /* prev holds the baseline */
	bool checked, ethernet; /* device type looked at; tc/XDP can parse its frames */
	bool tc_tried, xdp_tried, registered;
	uint16_t slot; /* 1 + the slot the programs count it in (link.h); 0: the hash */
	struct link_tc_dev att; /* what of ours is on it */
	struct rtnl_link_stats64 prev;
	uint32_t carrier_prev;
	uint64_t txto_prev;
	struct link_dev_stats bpf_prev;
};

struct link_ns {
	uint32_t netns; /* first: nstab key */
	int fd; /* the namespace, held while classic filters of ours are in it; -1 */
	bool classic;
	struct link_dev *v;
	size_t n, cap;
};

struct txto_entry {
	struct link_key k;
	uint64_t n;
};

struct link_priv {
	struct link_bpf *skel;
	struct registry *reg;
	const struct config *cfg;
	struct bpf_link *links[1];
	int nlinks;
	struct hook hooks[1];
	int ncpus;
	void *percpu; /* lookup buffer: ncpus link_dev_stats */
	struct nstab ns; /* struct link_ns */
	bool cast; /* programs reading the context through bpf_cast_to_kern_ctx (6.3+) */
	bool txto_hooked;
	struct link_tc_progs att; /* for link_tc_dev_attach_*() */
	uint32_t tc_only[8]; /* OSISCOPE_LINK_TC_MODE=classic:INODE,...: tc only there */
	size_t ntc_only;
	uint64_t pass, maintains;
	bool reap; /* this maintenance pass looks for dead agents' classic filters */
	struct txto_entry *txto;
	size_t ntxto, captxto;
	bool slot_used[LINK_SLOTS];
	uint64_t slot_freed[LINK_SLOTS]; /* the maintenance pass it was freed in */
	struct metric *m_up, *carrier, *txto_m, *packets, *bytes, *drops, *errors, *proto, *bcast,
		*mcast, *attached;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int register_metrics(struct link_priv *p, struct registry *reg)
{
	/* clang-format off */
#define DEV { "netns", "device", NULL }
#define DIR { "netns", "device", "direction", NULL }
	/* clang-format on */
	const struct metric_desc descs[] = {
		{ "osiscope_link_up",
		  "1 when the device is administratively up and has carrier (ip link: UP and "
		  "LOWER_UP), else 0.",
		  METRIC_GAUGE, DEV },
		{ "osiscope_link_carrier_changes_total",
		  "Carrier changes of the device, up and down, since the agent first saw it "
		  "(rtnetlink IFLA_CARRIER_CHANGES).",
		  METRIC_COUNTER, DEV },
		{ "osiscope_link_tx_timeouts_total",
		  "Transmit queue timeouts: the watchdog found a queue stopped too long and reset "
		  "it (tracepoint net:net_dev_xmit_timeout).",
		  METRIC_COUNTER, DEV },
		{ "osiscope_link_packets_total",
		  "Packets received and transmitted by the device (rtnetlink IFLA_STATS64 "
		  "rx_packets, tx_packets; ip -s link).",
		  METRIC_COUNTER, DIR },
		{ "osiscope_link_bytes_total",
		  "Bytes received and transmitted by the device (IFLA_STATS64 rx_bytes, tx_bytes).",
		  METRIC_COUNTER, DIR },
		{ "osiscope_link_drops_total",
		  "Packets the device dropped (IFLA_STATS64 rx_dropped, tx_dropped; ip -s link "
		  "dropped).",
		  METRIC_COUNTER, DIR },
		{ "osiscope_link_errors_total",
		  "Receive and transmit errors of the device (IFLA_STATS64 rx_errors, tx_errors).",
		  METRIC_COUNTER, DIR },
		{ "osiscope_link_protocol_packets_total",
		  "Frames by protocol as the tc (or XDP) program of the collector saw them: "
		  "EtherType, then IP protocol; a GSO/GRO packet counts its segments.",
		  METRIC_COUNTER,
		  { "netns", "device", "direction", "protocol", NULL },
		  reg->default_budget * LINK_PROTOS },
		{ "osiscope_link_broadcast_packets_total",
		  "Frames to the broadcast address ff:ff:ff:ff:ff:ff (tc/XDP program).",
		  METRIC_COUNTER, DIR },
		{ "osiscope_link_multicast_packets_total",
		  "Frames to a multicast address (group bit set, broadcast excluded; tc/XDP "
		  "program).",
		  METRIC_COUNTER, DIR },
		{ "osiscope_link_bpf_attached",
		  "1 for each program of the collector attached to the device, by hook: "
		  "tcx_ingress, tcx_egress (links, 6.6+), tc_ingress, tc_egress (classic clsact "
		  "filters), xdp.",
		  METRIC_GAUGE,
		  { "netns", "device", "hook", NULL } },
	};
#undef DEV
#undef DIR
	struct metric **const out[] = { &p->m_up,  &p->carrier, &p->txto_m,  &p->packets,
					&p->bytes, &p->drops,	&p->errors,  &p->proto,
					&p->bcast, &p->mcast,	&p->attached };

	return metrics_register(reg, descs, sizeof(descs) / sizeof(descs[0]), out);
}

/* --- per-namespace device records --- */

static struct link_ns *ns_get(struct link_priv *p, uint32_t netns, bool create)
{
	struct link_ns *ln = nstab_get(&p->ns, netns, false);

	if (ln || !create)
		return ln;
	ln = nstab_get(&p->ns, netns, true);
	if (ln)
		ln->fd = -1;
	return ln;
}

static struct link_dev *dev_get(struct link_ns *ln, uint32_t ifindex, bool create)
{
	struct link_dev *d;

	for (size_t i = 0; i < ln->n; i++)
		if (ln->v[i].ifindex == ifindex)
			return &ln->v[i];
	if (!create)
		return NULL;
	if (ln->n == ln->cap) {
		size_t cap = ln->cap ? ln->cap * 2 : 8;
		struct link_dev *v = realloc(ln->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		ln->v = v;
		ln->cap = cap;
	}
	d = &ln->v[ln->n++];
	memset(d, 0, sizeof(*d));
	d->ifindex = ifindex;
	d->att.tcx[0] = d->att.tcx[1] = -1;
	return d;
}

/* Whether another device of the namespace, present in this pass, has the name: then
 * the series are its own now (a device recreated, or renamed, under the same name). */
static bool name_taken(const struct link_priv *p, const struct link_ns *ln,
		       const struct link_dev *self, const char *name)
{
	for (size_t i = 0; ln && i < ln->n; i++)
		if (&ln->v[i] != self && ln->v[i].seen == p->pass && !strcmp(ln->v[i].name, name))
			return true;
	return false;
}

static void drop_series(struct link_priv *p, uint32_t netns, const char *name)
{
	char ns[16];
	const char *labels[] = { "netns", "device" };
	const char *values[] = { ns, name };

	struct metric *const own[] = { p->m_up,    p->carrier, p->txto_m, p->packets,
				       p->bytes,   p->drops,   p->errors, p->proto,
				       p->bcast,   p->mcast,   p->attached };

	snprintf(ns, sizeof(ns), "%u", netns);
	/* only ours: another collector may still show a last count of the device */
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		metric_drop_labels(own[i], labels, values, 2);
}

/* Gives a device being registered a slot if one of its two places is free: counters
 * zeroed first, then the owner, so no program counts on stale values. */
static void slot_take(struct link_priv *p, uint32_t netns, struct link_dev *d)
{
	uint64_t owner = (uint64_t)netns << 32 | d->ifindex;
	uint32_t i = link_slot_index(netns, d->ifindex);

	for (int n = 0; n < 2; n++, i = (i + 1) & (LINK_SLOTS - 1)) {
		if (p->slot_used[i] || (p->slot_freed[i] && p->maintains <= p->slot_freed[i] + 1))
			continue;
		memset(p->percpu, 0, sizeof(struct link_dev_stats) * (size_t)p->ncpus);
		if (bpf_map_update_elem(bpf_map__fd(p->skel->maps.link_slots), &i, p->percpu,
					BPF_ANY) ||
		    bpf_map_update_elem(bpf_map__fd(p->skel->maps.link_slot_owner), &i, &owner,
					BPF_ANY))
			return;
		p->slot_used[i] = true;
		d->slot = (uint16_t)(i + 1);
		return;
	}
}

static void slot_free(struct link_priv *p, struct link_dev *d)
{
	uint32_t i = d->slot - 1u;
	uint64_t none = 0;

	if (!d->slot)
		return;
	bpf_map_update_elem(bpf_map__fd(p->skel->maps.link_slot_owner), &i, &none, BPF_ANY);
	p->slot_used[i] = false;
	p->slot_freed[i] = p->maintains ? p->maintains : 1;
	d->slot = 0;
}

/* The device's counters summed over the CPUs: its slot plus whatever the hash holds
 * (frames a program counted before the device was registered). */
static int dev_stats_read(struct link_priv *p, uint32_t netns, const struct link_dev *d,
			  struct link_dev_stats *sum)
{
	struct link_key k = { netns, d->ifindex };
	struct link_dev_stats part;
	int err;

	memset(sum, 0, sizeof(*sum));
	err = bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.link_stats), &k, p->percpu);
	if (!err)
		percpu_sum_u64(p->percpu, p->ncpus, sizeof(*sum), sum);
	if (d->slot) {
		uint32_t i = d->slot - 1u;

		if (bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.link_slots), &i, p->percpu))
			return err ? -errno : 0;
		percpu_sum_u64(p->percpu, p->ncpus, sizeof(part), &part);
		for (size_t w = 0; w < sizeof(part) / sizeof(uint64_t); w++)
			((uint64_t *)sum)[w] += ((const uint64_t *)&part)[w];
		return 0;
	}
	return err;
}

/* Lets go of the links of a device and of its map entries (its classic filters went
 * with it, or are removed at close inside its namespace). */
static void dev_release(struct link_priv *p, uint32_t netns, struct link_dev *d)
{
	struct link_key k = { netns, d->ifindex };

	link_tc_dev_release(&d->att);
	slot_free(p, d);
	if (d->registered)
		bpf_map_delete_elem(bpf_map__fd(p->skel->maps.link_stats), &k);
	bpf_map_delete_elem(bpf_map__fd(p->skel->maps.link_txto), &k);
}

static void dev_remove(struct link_priv *p, struct link_ns *ln, size_t i)
{
	dev_release(p, ln->netns, &ln->v[i]);
	if (ln->v[i].name[0] && !name_taken(p, ln, &ln->v[i], ln->v[i].name))
		drop_series(p, ln->netns, ln->v[i].name);
	ln->v[i] = ln->v[--ln->n];
}

/* --- attaching, inside the device's namespace --- */

/* The programs parse an Ethernet header: other link types (tun, wireguard, ipip, ...)
 * keep their device counters but get no program. */
static bool dev_is_ethernet(const char *name)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool eth = false;

	if (fd < 0)
		return false;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == 0)
		eth = ifr.ifr_hwaddr.sa_family == ARPHRD_ETHER;
	close(fd);
	return eth;
}

/* Something of ours in this namespace needs removing at exit: keep a way in. */
static void ln_hold(struct link_ns *ln)
{
	ln->classic = true;
	if (ln->fd < 0)
		ln->fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
}

static bool tc_allowed(const struct link_priv *p, uint32_t netns)
{
	for (size_t i = 0; i < p->ntc_only; i++)
		if (p->tc_only[i] == netns)
			return true;
	return p->ntc_only == 0;
}

static void dev_attach(struct link_priv *p, struct link_ns *ln, struct link_dev *d,
		       const struct iface *in)
{
	if (!d->checked) {
		d->checked = true;
		d->ethernet = !(in->flags & IFF_LOOPBACK) && dev_is_ethernet(in->name);
	}
	if (!d->ethernet || (!p->att.tc && !p->att.xdp) || (d->tc_tried && d->xdp_tried))
		return;
	if (!d->registered) {
		struct link_key k = { ln->netns, d->ifindex };

		/* zeroed before any program can count on it: the baseline is zero */
		slot_take(p, ln->netns, d);
		if (!d->slot) {
			memset(p->percpu, 0, sizeof(struct link_dev_stats) * (size_t)p->ncpus);
			bpf_map_update_elem(bpf_map__fd(p->skel->maps.link_stats), &k, p->percpu,
					    BPF_NOEXIST);
		}
		d->registered = true;
	}
	if (p->att.xdp && !d->xdp_tried) {
		if (link_name_listed(p->cfg->link_xdp, in->name))
			link_tc_dev_attach_xdp(&p->att, &d->att, ln->netns, d->ifindex, d->name);
		d->xdp_tried = true;
	}
	if (p->att.tc && !d->tc_tried && tc_allowed(p, ln->netns)) {
		bool hold = false;

		link_tc_dev_attach_tc(&p->att, &d->att, ln->netns, d->ifindex, d->name, &hold);
		if (hold)
			ln_hold(ln);
	}
	d->tc_tried = d->xdp_tried = true;
}

/* --- reading --- */

static uint64_t txto_of(struct link_priv *p, uint32_t netns, uint32_t ifindex)
{
	for (size_t i = 0; i < p->ntxto; i++)
		if (p->txto[i].k.netns == netns && p->txto[i].k.ifindex == ifindex)
			return p->txto[i].n;
	return 0;
}

static void txto_entry(void *ctx, const void *key, const void *sum)
{
	struct link_priv *p = ctx;

	if (p->ntxto == p->captxto) {
		size_t cap = p->captxto ? p->captxto * 2 : 16;
		struct txto_entry *v = realloc(p->txto, cap * sizeof(*v));

		if (!v)
			return;
		p->txto = v;
		p->captxto = cap;
	}
	p->txto[p->ntxto++] = (struct txto_entry){ *(const struct link_key *)key,
						   *(const uint64_t *)sum };
}

static void read_txto(struct link_priv *p)
{
	p->ntxto = 0;
	percpu_map_each(bpf_map__fd(p->skel->maps.link_txto), sizeof(struct link_key),
			sizeof(uint64_t), txto_entry, p);
}

static void emit_dev(struct link_priv *p, struct link_ns *ln, struct link_dev *d,
		     const struct iface *in, const struct collect_ctx *cx)
{
	const struct rtnl_link_stats64 *s = &in->stats, *o = &d->prev;
	char ns[16];
	const char *lab[] = { ns, d->name, NULL, NULL };

	snprintf(ns, sizeof(ns), "%u", ln->netns);
	if (!d->have_prev) {
		/* a device there when the agent started counts from then; one that came
		 * later (or a namespace found later) from its creation */
		d->have_prev = true;
		memset(&d->prev, 0, sizeof(d->prev));
		if (cx->first)
			d->prev = in->stats;
	}
	metric_gauge_set(p->m_up, lab, (in->flags & IFF_UP) && in->carrier ? 1 : 0);
	counter_delta(p->carrier, lab, in->carrier_changes, d->carrier_prev);
	d->carrier_prev = in->carrier_changes;
	if (p->txto_hooked) {
		uint64_t n = txto_of(p, ln->netns, d->ifindex);

		counter_delta(p->txto_m, lab, n, d->txto_prev);
		d->txto_prev = n;
	}
	if (in->has_stats) {
		const uint64_t now[4][2] = { { s->rx_packets, s->tx_packets },
					     { s->rx_bytes, s->tx_bytes },
					     { s->rx_dropped, s->tx_dropped },
					     { s->rx_errors, s->tx_errors } };
		const uint64_t before[4][2] = { { o->rx_packets, o->tx_packets },
						{ o->rx_bytes, o->tx_bytes },
						{ o->rx_dropped, o->tx_dropped },
						{ o->rx_errors, o->tx_errors } };
		struct metric *const m[4] = { p->packets, p->bytes, p->drops, p->errors };

		for (int i = 0; i < 4; i++)
			for (int dir = 0; dir < LINK_DIRS; dir++) {
				lab[2] = dir_names[dir];
				counter_delta(m[i], lab, now[i][dir], before[i][dir]);
			}
		d->prev = in->stats;
	}
	for (int h = 0; h < HK_COUNT; h++) {
		if (!d->att.hooked[h])
			continue;
		lab[2] = hook_names[h];
		metric_gauge_set(p->attached, lab, 1);
	}
	if (d->att.counting[LINK_RX] || d->att.counting[LINK_TX]) {
		struct link_dev_stats sum;

		if (dev_stats_read(p, ln->netns, d, &sum))
			return;
		for (int dir = 0; dir < LINK_DIRS; dir++) {
			const struct link_dir_stats *n = &sum.dir[dir], *b = &d->bpf_prev.dir[dir];

			if (!d->att.counting[dir])
				continue;
			lab[2] = dir_names[dir];
			counter_delta(p->bcast, lab, n->broadcast, b->broadcast);
			counter_delta(p->mcast, lab, n->multicast, b->multicast);
			for (int i = 0; i < LINK_PROTOS; i++) {
				lab[3] = proto_names[i];
				counter_delta(p->proto, lab, n->proto[i], b->proto[i]);
			}
		}
		d->bpf_prev = sum;
	}
}

/*
 * One pass over a namespace's devices, inside it: new ones get our programs, renamed
 * ones their new name, gone ones are let go of; with emit, every present one hands its
 * counters to the registry.
 */
static void ns_pass(struct link_priv *p, const struct netns_entry *ns, const struct collect_ctx *cx,
		    bool emit)
{
	const struct iface_ns *in = ifaces_ns(cx->ifaces, ns->inode);
	uint64_t pass = ++p->pass;
	struct link_ns *ln;

	if (!in || in->gen != cx->gen)
		return;
	if (!p->m_up)
		emit = false; /* metrics not registered: attach only */ /* no fresh dump of this
									   namespace: leave
									   everything as it was */
	ln = ns_get(p, ns->inode, true);
	if (!ln)
		return;
	for (size_t i = 0; i < in->n; i++) {
		const struct iface *f = &in->v[i];
		struct link_dev *d;

		if (!f->present)
			continue;
		d = dev_get(ln, f->ifindex, true);
		if (!d)
			continue;
		if (!d->seen) {
			/* carrier changes count from first sight, even for a device created
			 * later: the kernel counts two for every new veth (carrier off at
			 * creation, on at the first up), and those are no flaps */
			d->carrier_prev = f->carrier_changes;
		}
		d->seen = pass;
		if (strcmp(d->name, f->name)) {
			if (d->name[0] && !name_taken(p, ln, d, d->name))
				drop_series(p, ln->netns, d->name);
			snprintf(d->name, sizeof(d->name), "%s", f->name);
		}
		dev_attach(p, ln, d, f);
		if (emit)
			emit_dev(p, ln, d, f, cx);
	}
	for (size_t i = 0; i < ln->n;) {
		if (ln->v[i].seen != pass) {
			pr_debug("link: netns %u device %s is gone", ln->netns, ln->v[i].name);
			dev_remove(p, ln, i);
			continue;
		}
		i++;
	}
}

/* --- collector hooks --- */

static void link_begin(struct collector *l, struct registry *reg, const struct collect_ctx *cx)
{
	struct link_priv *p = l->priv;

	if (!p->m_up && register_metrics(p, reg))
		return;
	if (p->skel->bss)
		p->skel->bss->link_owner.heartbeat_ns = mono_ns();
	metric_gauge_reset(p->m_up);
	metric_gauge_reset(p->attached);
	if (p->txto_hooked)
		read_txto(p);
}

static void link_visit_netns(struct collector *l, struct registry *reg,
			     const struct netns_entry *ns, const struct collect_ctx *cx)
{
	ns_pass(l->priv, ns, cx, true);
}

static void link_maintain_netns(struct collector *l, const struct netns_entry *ns,
				const struct collect_ctx *cx)
{
	struct link_priv *p = l->priv;
	struct link_ns *ln;

	ns_pass(p, ns, cx, false);
	ln = p->reap ? ns_get(p, ns->inode, false) : NULL;
	for (size_t i = 0; ln && ln->classic && i < ln->n; i++) {
		struct link_dev *d = &ln->v[i];

		link_tc_dev_reap(&d->att, ln->netns, d->ifindex, d->name);
	}
}

static bool ns_listed(const struct netns_list *list, uint32_t inode)
{
	for (size_t i = 0; i < list->n; i++)
		if (list->v[i].inode == inode)
			return true;
	return false;
}

/* Entries of the stats map that no known device owns: frames counted on a device after
 * we let go of it. */
static bool key_unowned(void *ctx, const void *k)
{
	const struct link_key *key = k;
	struct link_ns *ln = ns_get(ctx, key->netns, false);

	return !ln || !dev_get(ln, key->ifindex, false);
}

static void sweep_map(struct link_priv *p, int fd)
{
	map_delete_matching(fd, sizeof(struct link_key), key_unowned, p);
}

static void link_maintain(struct collector *l, const struct collect_ctx *cx)
{
	struct link_priv *p = l->priv;

	if (p->skel->bss)
		p->skel->bss->link_owner.heartbeat_ns = mono_ns();
	/* a namespace we hold open only for the filters in it: let it go once nothing
	 * else holds it, or we would keep it (and its devices) alive */
	for (size_t i = 0; i < p->ns.n; i++) {
		struct link_ns *ln = nstab_at(&p->ns, i);

		if (ln->fd >= 0 && cx->netns->n && !ns_listed(cx->netns, ln->netns)) {
			close(ln->fd);
			ln->fd = -1;
		}
	}
	/* about every LINK_STALE_NS: a dead agent's filters go within twice that */
	p->reap = ++p->maintains % (LINK_STALE_NS / 1000000000ULL / MAINTAIN_PERIOD_S) == 0;
	if (p->maintains % 15 == 0) {
		sweep_map(p, bpf_map__fd(p->skel->maps.link_stats));
		sweep_map(p, bpf_map__fd(p->skel->maps.link_txto));
	}
}

static void ns_free(struct link_priv *p, struct link_ns *ln)
{
	for (size_t i = 0; i < ln->n; i++)
		dev_release(p, ln->netns, &ln->v[i]);
	free(ln->v);
	ln->v = NULL;
	ln->n = ln->cap = 0;
	if (ln->fd >= 0)
		close(ln->fd);
	ln->fd = -1;
}

static void link_forget_netns(struct collector *l, uint32_t netns)
{
	struct link_priv *p = l->priv;
	struct link_ns *ln = ns_get(p, netns, false);

	if (!ln)
		return;
	ns_free(p, ln);
	nstab_del(&p->ns, netns);
}

static const char *const link_event_types[] = { [LINK_EV_TX_TIMEOUT] = "tx_timeout" };

static bool link_decode(struct collector *l, const void *event, struct event_record *r)
{
	const struct link_event *e = event;

	/* the name the device had then, not what the index names now */
	memcpy(r->device, e->name, sizeof(e->name));
	r->device[sizeof(r->device) - 1] = '\0';
	record_uint(r, "queue", e->queue);
	record_uint(r, "ifindex", e->hdr.ifindex);
	return true;
}

/* --- open / close --- */

static bool kernel_has_func(const char *name)
{
	const struct btf *btf = probe_kernel_btf();

	return btf && btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) >= 0;
}

static int load(struct collector *l, const struct collector_opts *opts, bool cast)
{
	struct link_priv *p = l->priv;
	const struct config *cfg = opts->cfg;
	struct link_bpf *s;
	int err;

	s = p->skel = link_bpf__open();
	if (!s)
		return collector_failed(l, -errno, "open BPF object");
	l->obj = s->obj;
	COLLECTOR_SET_EVENTS(s, opts);
	p->cast = cast;
	p->att.tc = cfg->link_tc;
	p->att.xdp = cfg->link_xdp[0] != '\0';
	p->att.tc_prog[LINK_RX] = cast ? s->progs.link_tc_in : s->progs.link_tc_in_pr;
	p->att.tc_prog[LINK_TX] = cast ? s->progs.link_tc_out : s->progs.link_tc_out_pr;
	p->att.xdp_prog = cast ? s->progs.link_xdp : s->progs.link_xdp_pr;
	struct bpf_program *all[] = { s->progs.link_tc_in,    s->progs.link_tc_out,
				      s->progs.link_tc_in_pr, s->progs.link_tc_out_pr,
				      s->progs.link_xdp,      s->progs.link_xdp_pr };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		bool want = (p->att.tc &&
			     (all[i] == p->att.tc_prog[0] || all[i] == p->att.tc_prog[1])) ||
			    (p->att.xdp && all[i] == p->att.xdp_prog);

		bpf_program__set_autoload(all[i], want);
	}
	struct hook hooks[] = {
		{ "net", "net_dev_xmit_timeout", 2, false, s->progs.link_txto_btf, NULL,
		  s->progs.link_txto_raw, NULL, NULL },
	};
	memcpy(p->hooks, hooks, sizeof(hooks));
	l->hooks = p->hooks;
	l->nhooks = sizeof(hooks) / sizeof(hooks[0]);
	hooks_select(p->hooks, l->nhooks, cfg->attach);
	if (!p->hooks[0].chosen && !p->hooks[0].why[0])
		snprintf(p->hooks[0].why, sizeof(p->hooks[0].why),
			 "its classic tracepoint carries the device's name but not its namespace, "
			 "so only tp_btf and raw_tp are offered; no tx timeout series");
	if (!opts->events)
		bpf_map__set_max_entries(s->maps.link_events, 4096); /* never written */
	err = link_bpf__load(s);
	if (err)
		return collector_failed(l, err, "load BPF object");
	return 0;
}

static void unload(struct collector *l)
{
	struct link_priv *p = l->priv;

	link_bpf__destroy(p->skel);
	p->skel = NULL;
	l->obj = NULL;
}

static int prog_id(struct bpf_program *prog)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
		return 0;
	return (int)info.id;
}

static int link_open(struct collector *l, const struct collector_opts *opts)
{
	const char *mode = getenv("OSISCOPE_LINK_TC_MODE");
	struct link_priv *p;
	int err;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	l->priv = p;
	nstab_init(&p->ns, sizeof(struct link_ns));
	p->reg = opts->reg;
	p->cfg = opts->cfg;
	p->ncpus = libbpf_num_possible_cpus();
	if (p->ncpus <= 0) {
		snprintf(l->why, sizeof(l->why), "cannot count possible CPUs");
		return -EINVAL;
	}
	p->percpu = calloc((size_t)p->ncpus, sizeof(struct link_dev_stats));
	if (!p->percpu)
		return -ENOMEM;

	/* typed context reads where the kernel has the kfunc (6.3+), probe reads before;
	 * --bpf.attach=raw_tp or tracepoint passes over the typed ones here too, as it
	 * does tp_btf */
	err = load(l, opts,
		   opts->cfg->attach == ATTACH_TP_BTF && kernel_has_func("bpf_cast_to_kern_ctx"));
	if (err && p->cast) {
		pr_info("link: programs with bpf_cast_to_kern_ctx did not load (%s); trying "
			"the probe-read ones",
			l->why);
		unload(l);
		l->why[0] = '\0';
		err = load(l, opts, false);
	}
	if (err)
		return err;
	err = collector_attach_hooks(l, p->links, &p->nlinks);
	if (err)
		return err;
	p->txto_hooked = p->hooks[0].chosen != NULL;
	if (p->att.tc || p->att.xdp)
		pr_info("link: packet programs read the device %s",
			p->cast ? "through bpf_cast_to_kern_ctx (typed loads)"
				: "with bpf_probe_read_kernel (kernels before 6.3, or "
				  "--bpf.attach)");
	if (p->skel->bss) {
		p->skel->bss->link_owner.magic = LINK_OWNER_MAGIC;
		p->skel->bss->link_owner.heartbeat_ns = mono_ns();
		p->skel->bss->link_owner.pid = (uint64_t)getpid();
	}
	if (p->att.tc) {
		p->att.tc_prog_id[0] = (uint32_t)prog_id(p->att.tc_prog[0]);
		p->att.tc_prog_id[1] = (uint32_t)prog_id(p->att.tc_prog[1]);
		p->att.tcx = tcx_supported(&p->att.tcx_type[0], &p->att.tcx_type[1]);
		if (opts->cfg->link_tc_classic)
			p->att.tcx = false;
		if (mode && !strncmp(mode, "classic", 7)) {
			/* tests of the fallback, on a host whose other tests must not see
			 * our filters: classic tc, optionally only in the namespaces
			 * listed (classic:INODE,INODE) */
			const char *c = mode + 7;

			p->att.tcx = false;
			while (*c == ':' || *c == ',') {
				char *end;
				unsigned long v = strtoul(c + 1, &end, 10);

				if (end == c + 1 || v > UINT32_MAX || p->ntc_only == 8)
					break;
				p->tc_only[p->ntc_only++] = (uint32_t)v;
				c = end;
			}
			pr_info("link: OSISCOPE_LINK_TC_MODE=%s: classic tc forced%s", mode,
				p->ntc_only ? ", only in the namespaces listed" : "");
		}
		if (p->att.tcx)
			pr_info("link: tc programs as tcx links, first in each device's chain "
				"(nothing stays attached if the agent dies)");
		else
			pr_info("link: tc programs as classic clsact filters (priority %u, handles "
				"0x%x-0x%x); a SIGKILLed agent leaves them until the next agent "
				"takes them back",
				LINK_TC_PRIO, LINK_TC_HANDLE_BASE + 1,
				LINK_TC_HANDLE_BASE + LINK_TC_SLOTS);
	}
	if (opts->events) {
		err = collector_events_open(l, p->skel->maps.link_events);
		if (err)
			return err;
	}
	return 0;
}

static int ns_cleanup(void *ctx)
{
	struct link_ns *ln = ctx;

	for (size_t i = 0; i < ln->n; i++) {
		struct link_dev *d = &ln->v[i];

		link_tc_dev_remove(&d->att, ln->netns, d->ifindex, d->name);
	}
	return 0;
}

static void link_close(struct collector *l)
{
	struct link_priv *p = l->priv;
	struct netns_list scan = { 0 };
	bool scanned = false;

	if (!p)
		return;
	ring_buffer__free(l->rb);
	l->rb = NULL;
	for (size_t i = 0; p->skel && i < p->ns.n; i++) {
		struct link_ns *ln = nstab_at(&p->ns, i);
		struct netns_entry e = { .inode = ln->netns };
		int err = -ENOENT;

		if (ln->classic) {
			if (ln->fd >= 0) {
				snprintf(e.path, sizeof(e.path), "/proc/self/fd/%d", ln->fd);
				err = netns_run(&e, ns_cleanup, ln);
			} else {
				if (!scanned)
					scanned = netns_scan(&scan) == 0;
				for (size_t k = 0; scanned && k < scan.n; k++)
					if (scan.v[k].inode == ln->netns)
						err = netns_run(&scan.v[k], ns_cleanup, ln);
			}
			/* not found: the namespace is gone, and its filters with its devices */
			if (err && err != -ENOENT && err != -ESTALE)
				pr_warn("link: netns %u: cannot enter to remove our tc filters: %s",
					ln->netns, strerror(-err));
		}
		ns_free(p, ln);
	}
	netns_list_free(&scan);
	for (int i = 0; i < p->nlinks; i++)
		bpf_link__destroy(p->links[i]);
	if (p->skel)
		unload(l);
	free(p->percpu);
	free(p->txto);
	nstab_free(&p->ns);
	free(p);
	l->priv = NULL;
}

static const struct finding link_findings[] = {
	{ "osiscope_link_drops_total", "direction", "receive", "receive drops",
	  "the stack had no room or no taker: backlog or ring full (ethtool -S, ip -s -s link), "
	  "an unknown protocol, or an XDP/tc drop" },
	{ "osiscope_link_drops_total", "direction", "transmit", "transmit drops",
	  "the driver or qdisc dropped them: a full queue, a peer that is down (veth), or a "
	  "packet larger than the peer's MTU" },
	{ "osiscope_link_errors_total", NULL, NULL, "device errors",
	  "CRC/frame errors point at the cable, optics or a duplex mismatch: ethtool -S" },
	{ "osiscope_link_carrier_changes_total", NULL, NULL, "carrier changes",
	  "cable, switch port or autonegotiation; for a veth, its peer went down" },
	{ "osiscope_link_tx_timeouts_total", NULL, NULL, "tx queue timeouts",
	  "the NIC stopped sending and the driver reset it: check dmesg for NETDEV WATCHDOG, "
	  "firmware and driver" },
};

static void link_describe(struct collector *l, char *buf, size_t len)
{
	struct link_priv *p = l->priv;

	snprintf(buf, len, "tc: %s; packet programs read the device %s; xdp: %s",
		 !p->att.tc   ? "off (--link.tc=off)"
		 : p->att.tcx ? "tcx links (6.6+: detach themselves if the agent dies)"
			      : "classic clsact filters",
		 p->cast ? "with typed loads (bpf_cast_to_kern_ctx)" : "with probe reads",
		 p->cfg->link_xdp[0] ? p->cfg->link_xdp : "off (opt-in: --link.xdp=DEV)");
}

static const struct collector_desc link_collector = {
	.name = "link",
	.osi = "l1/l2",
	.layers = OSI_L1 | OSI_L2,
	.rank = 10,
	.wants_ifaces = true,
	.findings = link_findings,
	.nfindings = sizeof(link_findings) / sizeof(link_findings[0]),
	.events = { .size = sizeof(struct link_event),
		    .osi = "l1",
		    .types = link_event_types,
		    .ntypes = sizeof(link_event_types) / sizeof(link_event_types[0]),
		    .decode = link_decode },
	.open = link_open,
	.begin = link_begin,
	.visit_netns = link_visit_netns,
	.maintain = link_maintain,
	.maintain_netns = link_maintain_netns,
	.forget_netns = link_forget_netns,
	.describe = link_describe,
	.close = link_close,
};
COLLECTOR_REGISTER(link_collector);
