// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Neighbour layer (L2: ARP, NDP), userspace half: load and attach bpf/neigh.bpf.c,
 * turn its per-device per-CPU counters into metrics, read the NDP message counts the
 * kernel keeps per device (/proc/net/dev_snmp6), and decode its events. */
#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
#include "log.h"
#include "neigh.h"
#include "neigh.skel.h"
#include "ksyms.h"
#include "neigh_parse.h"

/* What was last handed to the registry for one device. */
struct neigh_dev {
	uint32_t ifindex;
	bool mib_seen;
	uint64_t emitted_gen; /* collection that last handed its kernel counters over */
	uint64_t gone_gen; /* collection that first found it missing, 0 while present */
	char label[IFNAMSIZ]; /* the device label its series have */
	struct neigh_dev_stats s;
	uint64_t ndp[NDP_COUNTERS]; /* MIB baseline / last value */
};

struct neigh_ns {
	uint32_t netns;
	struct neigh_dev *v;
	size_t n, cap;
};

struct neigh_priv {
	struct neigh_bpf *skel;
	struct bpf_link *links[8];
	int nlinks;
	struct nstab ns; /* struct neigh_ns by namespace */
	struct registry *reg;
	uint64_t gen;
	struct hook hooks[6];
	struct metric *arp, *ndp, *failures, *lladdr, *unres;
};

static const char *const dir_names[NEIGH_DIRS] = { "receive", "transmit" };
static const char *const op_names[NEIGH_ARP_OPS] = { "request", "reply", "gratuitous" };
static const char *const family_names[NEIGH_FAMILIES] = { "ipv4", "ipv6" };

static int register_metrics(struct neigh_priv *p, struct registry *reg)
{
	const struct metric_desc descs[] = {
		{ "osiscope_arp_packets_total",
		  "ARP packets on the device by direction (tracepoints netif_receive_skb and "
		  "net_dev_start_xmit) and op; gratuitous (sender IP = target IP, request or "
		  "reply) are counted there only. The kernel keeps no ARP counter.",
		  METRIC_COUNTER,
		  { "netns", "device", "direction", "op", NULL } },
		{ "osiscope_ndp_packets_total",
		  "IPv6 neighbour discovery messages the kernel received or sent on the device "
		  "(kernel per-device MIB Icmp6InNeighborSolicits, Icmp6OutNeighborSolicits, "
		  "...Advertisements, ...RouterSolicits, ...RouterAdvertisements, ...Redirects "
		  "in /proc/net/dev_snmp6/DEV).",
		  METRIC_COUNTER,
		  { "netns", "device", "direction", "type", NULL } },
		{ "osiscope_neigh_resolution_failures_total",
		  "Neighbour entries that went to FAILED because every solicitation went "
		  "unanswered (the host-wide neighbour table statistic res_failed in "
		  "/proc/net/stat/arp_cache and ndisc_cache also counts unresolved entries "
		  "deleted by hand).",
		  METRIC_COUNTER,
		  { "netns", "device", "family", NULL } },
		{ "osiscope_neigh_lladdr_changes_total",
		  "Times a valid neighbour entry took a different link-layer address: a "
		  "duplicate IP, MAC flapping, a failover, or a change by hand (ip neigh). "
		  "The kernel keeps no counter.",
		  METRIC_COUNTER,
		  { "netns", "device", "family", NULL } },
		{ "osiscope_neigh_unresolved_drops_total",
		  "Packets dropped while waiting for neighbour resolution: the entry failed, "
		  "its queue was full (unres_qlen_bytes) or it was removed (kernel drop reasons "
		  "NEIGH_FAILED, NEIGH_QUEUEFULL, NEIGH_DEAD; the queue-full part is the "
		  "host-wide unres_discards of /proc/net/stat/arp_cache and ndisc_cache).",
		  METRIC_COUNTER,
		  { "netns", "device", "family", NULL } },
	};
	struct metric **const out[] = { &p->arp, &p->ndp, &p->failures, &p->lladdr, &p->unres };

	return metrics_register(reg, descs, sizeof(descs) / sizeof(descs[0]), out);
}

/* --- per-namespace, per-device records --- */

static struct neigh_ns *ns_get(struct neigh_priv *p, uint32_t netns, bool create)
{
	return nstab_get(&p->ns, netns, create);
}

static struct neigh_dev *dev_get(struct neigh_ns *ns, uint32_t ifindex, bool create)
{
	for (size_t i = 0; i < ns->n; i++)
		if (ns->v[i].ifindex == ifindex)
			return &ns->v[i];
	if (!create)
		return NULL;
	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? ns->cap * 2 : 8;
		struct neigh_dev *v = realloc(ns->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		ns->v = v;
		ns->cap = cap;
	}
	memset(&ns->v[ns->n], 0, sizeof(ns->v[0]));
	ns->v[ns->n].ifindex = ifindex;
	return &ns->v[ns->n++];
}

/* Whether a device of the namespace other than ifindex is called name now. */
static bool name_in_use(const struct collect_ctx *cx, uint32_t netns, uint32_t ifindex,
			const char *name)
{
	const struct iface_ns *ins = ifaces_ns(cx->ifaces, netns);

	for (size_t i = 0; ins && i < ins->n; i++)
		if (ins->v[i].present && ins->v[i].ifindex != ifindex &&
		    !strcmp(ins->v[i].name, name))
			return true;
	return false;
}

/* Series labelled with a name no device has any more go (a rename, a device gone):
 * in every metric, as a device is gone for every collector. */
static void drop_label(struct neigh_priv *p, const struct collect_ctx *cx, uint32_t netns,
		       const struct neigh_dev *d)
{
	static const char *const labels[] = { "netns", "device" };
	char ns[16];
	const char *values[] = { ns, d->label };

	if (!d->label[0] || name_in_use(cx, netns, d->ifindex, d->label))
		return;
	struct metric *const own[] = { p->arp, p->ndp, p->failures, p->lladdr, p->unres };

	snprintf(ns, sizeof(ns), "%u", netns);
	/* only ours: another collector may still show a last count of the device */
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		metric_drop_labels(own[i], labels, values, 2);
}

/* The device label for the series about to be emitted: the current name. */
static void dev_label(struct neigh_priv *p, const struct collect_ctx *cx, uint32_t netns,
		      struct neigh_dev *d, const char *name)
{
	if (!strcmp(d->label, name))
		return;
	drop_label(p, cx, netns, d);
	snprintf(d->label, sizeof(d->label), "%s", name);
}

static void dev_remove(struct neigh_priv *p, const struct collect_ctx *cx, struct neigh_ns *ns,
		       size_t i)
{
	struct neigh_key key = { ns->netns, ns->v[i].ifindex };

	bpf_map_delete_elem(bpf_map__fd(p->skel->maps.neigh_stats), &key);
	drop_label(p, cx, ns->netns, &ns->v[i]);
	ns->v[i] = ns->v[--ns->n];
}

/* Devices that have neighbours at all: not loopback, not NOARP (tunnels, ifb). */
static bool dev_has_neighbours(const struct iface *d)
{
	return d->present && !(d->flags & (IFF_LOOPBACK | IFF_NOARP));
}

/* --- kernel counters --- */

static void emit_kernel(struct neigh_priv *p, uint32_t netns, struct neigh_dev *d,
			const struct neigh_dev_stats *n)
{
	const struct neigh_dev_stats *o = &d->s;
	char ns[16];

	snprintf(ns, sizeof(ns), "%u", netns);
	for (int dir = 0; dir < NEIGH_DIRS; dir++)
		for (int op = 0; op < NEIGH_ARP_OPS; op++) {
			const char *lab[] = { ns, d->label, dir_names[dir], op_names[op] };

			counter_delta(p->arp, lab, n->arp[dir][op], o->arp[dir][op]);
		}
	for (int f = 0; f < NEIGH_FAMILIES; f++) {
		const char *lab[] = { ns, d->label, family_names[f] };

		counter_delta(p->failures, lab, n->res_failed[f], o->res_failed[f]);
		counter_delta(p->lladdr, lab, n->lladdr_changes[f], o->lladdr_changes[f]);
		counter_delta(p->unres, lab, n->unres_drops[f], o->unres_drops[f]);
	}
	d->s = *n;
	d->emitted_gen = p->gen;
}

/* --- NDP from the per-device ICMPv6 MIB --- */

static int read_snmp6(const char *dev, uint32_t *ifindex, uint64_t v[NDP_COUNTERS])
{
	char path[64 + IFNAMSIZ], buf[8192];
	ssize_t n;
	int fd;

	/* thread-self: this thread has entered the namespace, the process has not */
	snprintf(path, sizeof(path), "/proc/thread-self/net/dev_snmp6/%s", dev);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno; /* ENOENT: no IPv6 on the device, or it just went */
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return -errno;
	return neigh_parse_snmp6(buf, (size_t)n, ifindex, v) == NDP_COUNTERS ? 0 : -EINVAL;
}

static void emit_ndp(struct neigh_priv *p, uint32_t netns, struct neigh_dev *d,
		     const uint64_t now[NDP_COUNTERS], bool first)
{
	char ns[16];

	if (!d->mib_seen) {
		/* a device there when the agent started counts from what it had then; one
		 * created later counts from its start */
		d->mib_seen = true;
		if (first)
			memcpy(d->ndp, now, sizeof(d->ndp));
	}
	snprintf(ns, sizeof(ns), "%u", netns);
	for (int dir = 0; dir < NEIGH_DIRS; dir++)
		for (int t = 0; t < NDP_TYPES; t++) {
			const char *lab[] = { ns, d->label, dir_names[dir], ndp_type_names[t] };
			int i = dir * NDP_TYPES + t;

			counter_delta(p->ndp, lab, now[i], d->ndp[i]);
		}
	memcpy(d->ndp, now, sizeof(d->ndp));
}

static void neigh_begin(struct collector *l, struct registry *reg, const struct collect_ctx *cx)
{
	struct neigh_priv *p = l->priv;

	p->gen = cx->gen;
	if (!p->arp)
		register_metrics(p, reg);
}

static void neigh_visit_netns(struct collector *l, struct registry *reg,
			      const struct netns_entry *nse, const struct collect_ctx *cx)
{
	struct neigh_priv *p = l->priv;
	const struct iface_ns *ins = ifaces_ns(cx->ifaces, nse->inode);
	struct neigh_ns *ns;

	if (!p->arp || !ins || ins->gen != cx->gen)
		return; /* no fresh device list: nothing to name the counters with */
	for (size_t i = 0; i < ins->n; i++) {
		const struct iface *dv = &ins->v[i];
		uint64_t now[NDP_COUNTERS];
		struct neigh_dev *d;
		uint32_t ifindex;

		if (!dev_has_neighbours(dv) || read_snmp6(dv->name, &ifindex, now))
			continue;
		if (ifindex != dv->ifindex) /* renamed between the dump and now */
			continue;
		ns = ns_get(p, nse->inode, true);
		d = ns ? dev_get(ns, dv->ifindex, true) : NULL;
		if (!d)
			return;
		dev_label(p, cx, nse->inode, d, dv->name);
		emit_ndp(p, nse->inode, d, now, cx->first);
	}
}

/* Kernel counters of one device; false when it cannot be named yet. */
static bool collect_one(struct neigh_priv *p, const struct collect_ctx *cx,
			const struct neigh_key *key, const struct neigh_dev_stats *sum)
{
	const struct iface *dv = ifaces_find(cx->ifaces, key->netns, key->ifindex);
	const struct iface_ns *ins = ifaces_ns(cx->ifaces, key->netns);
	struct neigh_ns *ns = ns_get(p, key->netns, true);
	struct neigh_dev *d = ns ? dev_get(ns, key->ifindex, true) : NULL;
	char name[IFNAMSIZ];

	if (!d)
		return true;
	if (!dv && ins) {
		/* newer than the namespace's last device list: named next time; still
		 * unknown then, it came and went between two lists, nameless */
		if (d->gone_gen && d->gone_gen < p->gen) {
			pr_debug("neigh: netns %u ifindex %u: gone before it could be named",
				 key->netns, key->ifindex);
			dev_remove(p, cx, ns, (size_t)(d - ns->v));
			return false;
		}
		if (!d->gone_gen)
			d->gone_gen = p->gen;
		return false;
	}
	dev_label(p, cx, key->netns, d,
		  ifaces_name(cx->ifaces, key->netns, key->ifindex, name, sizeof(name)));
	emit_kernel(p, key->netns, d, sum);
	return true;
}

struct collect_arg {
	struct neigh_priv *p;
	const struct collect_ctx *cx;
};

static void collect_entry(void *ctx, const void *key, const void *sum)
{
	struct collect_arg *a = ctx;

	collect_note_netns(a->cx, ((const struct neigh_key *)key)->netns);
	collect_one(a->p, a->cx, key, sum);
}

static void neigh_collect(struct collector *l, struct registry *reg, const struct collect_ctx *cx)
{
	struct neigh_priv *p = l->priv;
	struct collect_arg a = { p, cx };

	if (!p->arp)
		return;
	percpu_map_each(bpf_map__fd(p->skel->maps.neigh_stats), sizeof(struct neigh_key),
			sizeof(struct neigh_dev_stats), collect_entry, &a);
	/* every device gets its series from the start, at zero, so that rate() sees the
	 * first increment; devices gone since the last collection go */
	for (size_t n = 0; n < cx->netns->n; n++) {
		uint32_t netns = cx->netns->v[n].inode;
		const struct iface_ns *ins = ifaces_ns(cx->ifaces, netns);
		struct neigh_ns *ns;

		if (!ins || ins->gen != cx->gen)
			continue;
		for (size_t i = 0; i < ins->n; i++) {
			struct neigh_dev *d;

			if (!dev_has_neighbours(&ins->v[i]))
				continue;
			ns = ns_get(p, netns, true);
			d = ns ? dev_get(ns, ins->v[i].ifindex, true) : NULL;
			if (!d)
				break;
			d->gone_gen = 0;
			if (d->emitted_gen != p->gen) {
				dev_label(p, cx, netns, d, ins->v[i].name);
				emit_kernel(p, netns, d, &d->s);
			}
		}
		ns = ns_get(p, netns, false);
		for (size_t i = 0; ns && i < ns->n;) {
			const struct iface *dv = ifaces_find(cx->ifaces, netns, ns->v[i].ifindex);

			if (dv && dv->present) {
				i++;
				continue;
			}
			/* its last counts are in the scrape that first misses it */
			if (ns->v[i].gone_gen && ns->v[i].gone_gen < p->gen) {
				dev_remove(p, cx, ns, i);
				continue;
			}
			if (!ns->v[i].gone_gen)
				ns->v[i].gone_gen = p->gen;
			i++;
		}
	}
}

static void neigh_forget_netns(struct collector *l, uint32_t netns)
{
	struct neigh_priv *p = l->priv;
	struct neigh_ns *ns = ns_get(p, netns, false);

	map_delete_netns(bpf_map__fd(p->skel->maps.neigh_stats), sizeof(struct neigh_key),
			 offsetof(struct neigh_key, netns), netns);
	if (ns) {
		free(ns->v);
		nstab_del(&p->ns, netns);
	}
}

/*
 * The inode names a new namespace now (the old one is dead, so counts no more): the map
 * entries counting under the inode stay, with the readings its series were last given,
 * so that the new namespace's series (the agent drops the old one's) start with what it
 * did since, even before the agent noticed, which forget_netns would delete. An old
 * device's entry under an ifindex no new device has goes as a gone device's
 * (neigh_collect). The NDP counts are the devices' own MIB: the new ones' start at zero.
 */
static void neigh_renew_netns(struct collector *l, uint32_t netns)
{
	struct neigh_priv *p = l->priv;
	struct neigh_ns *ns = ns_get(p, netns, false);

	for (size_t i = 0; ns && i < ns->n; i++) {
		struct neigh_dev *d = &ns->v[i];

		d->label[0] = '\0'; /* the old device's name: no series of it is left */
		d->mib_seen = false;
		memset(d->ndp, 0, sizeof(d->ndp));
	}
}

/* --- events --- */

static const char *const neigh_event_types[] = {
	[NEIGH_EV_RESOLUTION_FAILED] = "resolution_failed",
	[NEIGH_EV_LLADDR_CHANGED] = "lladdr_changed",
};

static bool neigh_decode(struct collector *l, const void *event, struct event_record *r)
{
	const struct neigh_event *e = event;
	size_t len;

	memcpy(r->device, e->ifname, sizeof(e->ifname));
	r->device[sizeof(r->device) - 1] = '\0';
	record_addr_set(&r->dst, e->family, e->addr, false, 0);
	r->state = neigh_state_name(e->new_state);
	record_ip(r, "ip", e->family, e->addr);
	switch (e->hdr.type) {
	case NEIGH_EV_RESOLUTION_FAILED:
		record_uint(r, "probes", e->probes);
		break;
	case NEIGH_EV_LLADDR_CHANGED:
		len = e->lladdr_len < NEIGH_MAX_ADDR_LEN ? e->lladdr_len : NEIGH_MAX_ADDR_LEN;
		record_mac(r, "old", e->old_lladdr, len);
		record_mac(r, "new", e->new_lladdr, len);
		record_str(r, "old_state", "%s", neigh_state_name(e->old_state));
		if (e->hdr.pid)
			record_str(r, "via", "netlink");
		break;
	}
	return true;
}

/* --- load and attach --- */

/* Where packets waiting for resolution are freed without a drop reason (IPv6 on 6.18,
 * everything before v5.17): their address ranges, for the drop program. */
static void find_drop_fns(struct neigh_bpf *s)
{
	static const char *const names[NEIGH_DROP_FNS] = {
		[NEIGH_FN_INVALIDATE] = "neigh_invalidate",
		[NEIGH_FN_ARP_ERROR] = "arp_error_report",
		[NEIGH_FN_NDISC_ERROR] = "ndisc_error_report",
		[NEIGH_FN_EVENT_SEND] = "__neigh_event_send",
	};
	uint64_t start[NEIGH_DROP_FNS], end[NEIGH_DROP_FNS];
	FILE *f = fopen("/proc/kallsyms", "re");
	int found;

	if (!f) {
		pr_warn("neigh: open /proc/kallsyms: %s; packets dropped when an IPv6 neighbour "
			"fails are not counted",
			strerror(errno));
		return;
	}
	found = ksyms_ranges(f, names, NEIGH_DROP_FNS, start, end);
	fclose(f);
	if (!start[NEIGH_FN_INVALIDATE] && !start[NEIGH_FN_NDISC_ERROR])
		pr_warn("neigh: neigh_invalidate and ndisc_error_report not in /proc/kallsyms "
			"(kptr_restrict?); packets dropped when an IPv6 neighbour fails are not "
			"counted");
	pr_debug("neigh: %d of %d drop sites found in /proc/kallsyms", found, NEIGH_DROP_FNS);
	for (int i = 0; i < NEIGH_DROP_FNS; i++) {
		s->rodata->drop_fn_start[i] = start[i];
		s->rodata->drop_fn_end[i] = end[i];
	}
}

static int neigh_open(struct collector *l, const struct collector_opts *opts)
{
	struct neigh_priv *p;
	struct neigh_bpf *s;
	int err, missing, mode = opts->cfg->attach;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	l->priv = p;
	nstab_init(&p->ns, sizeof(struct neigh_ns));
	p->reg = opts->reg;
again:
	s = p->skel = neigh_bpf__open();
	if (!s)
		return collector_failed(l, -errno, "open BPF object");
	l->obj = s->obj;
	COLLECTOR_SET_EVENTS(s, opts);
	find_drop_fns(s);

	/* No classic tracepoint flavour for the neigh ones: their records carry the
	 * device's name but neither its namespace nor its ifindex. None is required:
	 * what the others count stays useful without it. */
	struct hook hooks[] = {
		{ "neigh", "neigh_timer_handler", 2, false, s->progs.neigh_timer_btf, NULL,
		  s->progs.neigh_timer_raw, NULL, NULL },
		{ "neigh", "neigh_update", 5, false, s->progs.neigh_upd_btf, NULL,
		  s->progs.neigh_upd_raw, NULL, NULL },
		{ "neigh", "neigh_update_done", 2, false, s->progs.neigh_done_btf, NULL,
		  s->progs.neigh_done_raw, NULL, NULL },
		{ "net", "netif_receive_skb", 1, false, s->progs.neigh_rx_btf, NULL,
		  s->progs.neigh_rx_raw, NULL, s->progs.neigh_rx_tp },
		{ "net", "net_dev_start_xmit", 2, false, s->progs.neigh_tx_btf, NULL,
		  s->progs.neigh_tx_raw, NULL, s->progs.neigh_tx_tp },
		/* the reason argument came in v5.17; before it only the classic tracepoint
		 * (which then counts by drop site alone) fits */
		{ "skb", "kfree_skb", 3, false, s->progs.neigh_drop_btf, NULL,
		  s->progs.neigh_drop_raw, NULL, s->progs.neigh_drop_tp },
	};
	memcpy(p->hooks, hooks, sizeof(hooks));
	l->hooks = p->hooks;
	l->nhooks = sizeof(hooks) / sizeof(hooks[0]);

	missing = hooks_select(p->hooks, l->nhooks, mode);
	for (size_t i = 0; i < l->nhooks; i++)
		if (!p->hooks[i].chosen && !p->hooks[i].why[0])
			snprintf(
				p->hooks[i].why, sizeof(p->hooks[i].why),
				"no classic tracepoint flavour (its record has neither the "
				"namespace nor the ifindex) and --bpf.attach rules out the others");
	if (missing < 0 || (size_t)missing == l->nhooks) {
		snprintf(l->why, sizeof(l->why), "no usable hook: neigh:neigh_timer_handler: %s",
			 p->hooks[0].why);
		return -EOPNOTSUPP;
	}
	if (!opts->events)
		bpf_map__set_max_entries(s->maps.neigh_events, 4096); /* never written */

	err = neigh_bpf__load(s);
	if (err && mode == ATTACH_TP_BTF) {
		/* an older verifier may refuse a typed walk the newer ones allow (5.10):
		 * the probe-read flavours then */
		pr_info("neigh: tp_btf programs did not load (%s); trying raw_tp",
			probe_strerror(err));
		neigh_bpf__destroy(s);
		p->skel = NULL;
		l->obj = NULL;
		mode = ATTACH_RAW_TP;
		goto again;
	}
	if (err)
		return collector_failed(l, err, "load BPF object");
	err = collector_attach_hooks(l, p->links, &p->nlinks);
	if (err)
		return err;
	if (opts->events) {
		err = collector_events_open(l, s->maps.neigh_events);
		if (err)
			return err;
	}
	return 0;
}

static void neigh_close(struct collector *l)
{
	struct neigh_priv *p = l->priv;

	if (!p)
		return;
	collector_release(l, p->links, p->nlinks);
	neigh_bpf__destroy(p->skel);
	for (size_t i = 0; i < p->ns.n; i++)
		free(((struct neigh_ns *)nstab_at(&p->ns, i))->v);
	nstab_free(&p->ns);
	free(p);
	l->priv = NULL;
}

static const struct finding neigh_findings[] = {
	{ "osiscope_neigh_resolution_failures_total", NULL, NULL, "neighbour resolution failures",
	  "an on-link address nobody answers for: a host down, a wrong subnet or route, or "
	  "ARP/NDP filtered (ip neigh show nud failed)" },
	{ "osiscope_neigh_unresolved_drops_total", NULL, NULL,
	  "packets dropped waiting for ARP/NDP",
	  "traffic to a neighbour that does not answer, or bursts larger than "
	  "unres_qlen_bytes to a neighbour not yet resolved" },
	{ "osiscope_neigh_lladdr_changes_total", NULL, NULL, "neighbour MAC address changes",
	  "two hosts answering for one IP (duplicate address) or a flapping MAC: "
	  "osiscope trace -l neigh shows the IP and both MACs" },
};

static const struct collector_desc neigh_collector = {
	.name = "neigh",
	.osi = "l2",
	.layers = OSI_L2,
	.rank = 20,
	.wants_ifaces = true,
	.findings = neigh_findings,
	.nfindings = sizeof(neigh_findings) / sizeof(neigh_findings[0]),
	.events = { .size = sizeof(struct neigh_event),
		    .osi = "l2",
		    .types = neigh_event_types,
		    .ntypes = sizeof(neigh_event_types) / sizeof(neigh_event_types[0]),
		    .decode = neigh_decode },
	.open = neigh_open,
	.begin = neigh_begin,
	.visit_netns = neigh_visit_netns,
	.collect = neigh_collect,
	.forget_netns = neigh_forget_netns,
	.renew_netns = neigh_renew_netns,
	.close = neigh_close,
};
COLLECTOR_REGISTER(neigh_collector);
