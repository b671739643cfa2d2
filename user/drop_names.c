// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Drop reason names from the running kernel's BTF, and their OSI layers (see
 * drop_names.h). Built into every binary: the unit tests use it without the collector. */
#include "drop_names.h"

#include <bpf/btf.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btf_names.h"
#include "log.h"

#define CORE_PREFIX "SKB_DROP_REASON_"
#define SUBSYS_PREFIX "SKB_DROP_REASON_SUBSYS_"

/*
 * The layer rule set: the first rule whose name (exact) or prefix matches decides. A
 * subsystem reason is matched by its subsystem's name. Order matters where one prefix
 * holds another (IPV6_NDISC_ before IPV6).
 */
struct layer_rule {
	const char *match;
	bool prefix;
	const char *layer;
};

static const struct layer_rule layer_rules[] = {
	/* the name says nothing of where it happened */
	{ "NOT_SPECIFIED", false, "unknown" },
	{ "NOT_DROPPED_YET", false, "unknown" },
	{ "NOMEM", false, "unknown" },
	{ "PFMEMALLOC", false, "unknown" },
	{ "QUEUE_PURGE", false, "unknown" },
	{ "PKT_TOO_SMALL", false, "unknown" }, /* IP, TCP and UDP header length checks */
	{ "HDR_TRUNC", false, "unknown" },
	/* l1: the device, its driver and the queues between it and the protocols */
	{ "DEV_", true, "l1" },
	{ "FULL_RING", false, "l1" },
	{ "CPU_BACKLOG", false, "l1" },
	{ "XDP", true, "l1" },
	{ "TAP_", true, "l1" },
	{ "SKB_", true, "l1" }, /* checksum, GSO, copy and headroom work on the device path */
	{ "RECURSION_LIMIT", false, "l1" },
	/* l2: link-layer addressing, neighbours, bridging, tunnels of frames, traffic
	 * control on the device */
	{ "IPV6_NDISC_", true, "l2" },
	{ "NEIGH_", true, "l2" },
	{ "ARP_", true, "l2" },
	{ "MAC_", true, "l2" },
	{ "LOCAL_MAC", false, "l2" },
	{ "OTHERHOST", false, "l2" },
	{ "UNICAST_IN_L2_MULTICAST", false, "l2" },
	{ "UNHANDLED_PROTO", false, "l2" },
	{ "BRIDGE_", true, "l2" },
	{ "VLAN", true, "l2" },
	{ "VXLAN", true, "l2" },
	{ "NO_TX_TARGET", false, "l2" },
	{ "PACKET_SOCK_", true, "l2" },
	{ "CAN_", true, "l2" },
	{ "CANFD_", true, "l2" },
	{ "CANXL_", true, "l2" },
	{ "TC_", true, "l2" },
	{ "QDISC", true, "l2" },
	{ "CAKE_", true, "l2" },
	{ "FQ_", true, "l2" },
	{ "DUALPI2_", true, "l2" },
	{ "MAC80211", true, "l2" },
	{ "OPENVSWITCH", true, "l2" },
	/* l3: IP, routing, filtering, fragments, IPsec, IP tunnels */
	{ "NETFILTER_", true, "l3" },
	{ "IP_", true, "l3" },
	{ "IPV6", true, "l3" },
	{ "ICMP", true, "l3" },
	{ "XFRM_", true, "l3" },
	{ "BPF_CGROUP_", true, "l3" },
	{ "FRAG_", true, "l3" },
	{ "DUP_FRAG", false, "l3" },
	{ "PKT_TOO_BIG", false, "l3" },
	{ "INVALID_PROTO", false, "l3" },
	{ "TUNNEL_", true, "l3" },
	{ "ROUTE", true, "l3" },
	/* l4: transports and sockets */
	{ "TCP_", true, "l4" },
	{ "UDP_", true, "l4" },
	{ "SOCKET_", true, "l4" },
	{ "NO_SOCKET", false, "l4" },
	{ "PROTO_MEM", false, "l4" },
	{ "UNIX_", true, "l4" },
	{ "SECURITY_HOOK", false, "l4" },
	{ "PSP_", true, "l4" },
};

/*
 * Before v5.17 the kernel passes no reason, only where it freed the skb: the layer
 * comes from that function's name. The sites are the kfree_skb() calls of v5.10's
 * net/ (and its helpers inlined into them); the first rule that matches decides.
 * Purges and list frees say nothing of where the packet was.
 */
static const struct layer_rule location_rules[] = {
	{ "skb_queue_purge", true, "unknown" },
	{ "__skb_queue_purge", true, "unknown" },
	{ "kfree_skb", true, "unknown" }, /* kfree_skb_list(): qdiscs, GSO segments */
	{ "skb_release", true, "unknown" },
	/* l1: the device, its driver, the per-CPU backlog, XDP */
	{ "enqueue_to_backlog", false, "l1" },
	{ "netif_rx", true, "l1" },
	{ "do_xdp_generic", false, "l1" },
	{ "netif_receive_generic_xdp", false, "l1" },
	{ "veth_", true, "l1" },
	{ "tun_", true, "l1" },
	{ "virtnet_", true, "l1" },
	{ "skb_checksum_help", false, "l1" },
	{ "validate_xmit", true, "l1" },
	{ "dev_hard_start_xmit", false, "l1" },
	{ "sch_direct_xmit", false, "l1" },
	/* l2: the device's queueing discipline and tc, frame protocols, neighbours */
	{ "__dev_queue_xmit", false, "l2" },
	{ "dev_queue_xmit", true, "l2" },
	{ "__netif_receive_skb", true, "l2" },
	{ "netif_receive_skb", true, "l2" },
	{ "__dev_forward_skb", false, "l2" },
	{ "dev_forward_skb", false, "l2" },
	{ "qdisc_", true, "l2" },
	{ "__qdisc_", true, "l2" },
	{ "pfifo_", true, "l2" },
	{ "tcf_", true, "l2" },
	{ "tc_", true, "l2" },
	{ "sch_", true, "l2" },
	{ "neigh_", true, "l2" },
	{ "__neigh_", true, "l2" },
	{ "arp_", true, "l2" },
	{ "ndisc_", true, "l2" },
	{ "br_", true, "l2" },
	{ "vlan_", true, "l2" },
	{ "packet_", true, "l2" },
	{ "eth_", true, "l2" },
	/* l3: IP in, out and forwarded, fragments, ICMP, netfilter, routes, IPsec, IP tunnels */
	{ "nf_", true, "l3" },
	{ "nft_", true, "l3" },
	{ "ip_", true, "l3" },
	{ "ip6_", true, "l3" },
	{ "ipv6_", true, "l3" },
	{ "ipv4_", true, "l3" },
	{ "__ip_", true, "l3" },
	{ "__ip6_", true, "l3" },
	{ "icmp", true, "l3" },
	{ "igmp", true, "l3" },
	{ "mld_", true, "l3" },
	{ "fib", true, "l3" },
	{ "xfrm", true, "l3" },
	{ "inet_frag", true, "l3" },
	{ "ipip", true, "l3" },
	{ "ipgre", true, "l3" },
	{ "ip_tunnel", true, "l3" },
	/* l4: transports and sockets */
	{ "tcp_", true, "l4" },
	{ "__tcp_", true, "l4" },
	{ "udp", true, "l4" },
	{ "__udp", true, "l4" },
	{ "sctp_", true, "l4" },
	{ "sk_", true, "l4" },
	{ "__sk_", true, "l4" },
	{ "sock_", true, "l4" },
	{ "__sock_", true, "l4" },
	{ "inet_", true, "l4" },
	{ "inet6_", true, "l4" },
	{ "unix_", true, "l4" },
	{ "raw", true, "l4" }, /* raw sockets: raw_rcv(), rawv6_rcv() */
};

const char *drop_location_layer(const char *func)
{
	for (size_t i = 0; func && i < sizeof(location_rules) / sizeof(location_rules[0]); i++) {
		const struct layer_rule *r = &location_rules[i];

		if (r->prefix ? !strncmp(func, r->match, strlen(r->match)) : !strcmp(func, r->match))
			return r->layer;
	}
	return "unknown";
}

const char *drop_reason_layer(const char *name, const char *subsys)
{
	const char *s = subsys ? subsys : name;

	if (!s)
		return "unknown";
	for (size_t i = 0; i < sizeof(layer_rules) / sizeof(layer_rules[0]); i++) {
		const struct layer_rule *r = &layer_rules[i];

		if (r->prefix ? !strncmp(s, r->match, strlen(r->match)) : !strcmp(s, r->match))
			return r->layer;
	}
	return "unknown";
}

/* --- BTF enums --- */

static bool enum_at(const struct btf *btf, const struct btf_type *t, int i, const char **name,
		    int64_t *val)
{
	if (btf_is_enum(t)) {
		const struct btf_enum *e = btf_enum(t) + i;

		*name = btf__name_by_offset(btf, e->name_off);
		*val = btf_kflag(t) ? (int64_t)(int32_t)e->val : (int64_t)(uint32_t)e->val;
	} else if (btf_is_enum64(t)) {
		const struct btf_enum64 *e = btf_enum64(t) + i;

		*name = btf__name_by_offset(btf, e->name_off);
		*val = (int64_t)btf_enum64_value(e);
	} else {
		return false;
	}
	return *name != NULL;
}

static const struct btf_type *find_enum(const struct btf *btf, const char *name)
{
	int id;

	if (!btf)
		return NULL;
	id = btf__find_by_name_kind(btf, name, BTF_KIND_ENUM);
	if (id < 0)
		id = btf__find_by_name_kind(btf, name, BTF_KIND_ENUM64);
	return id < 0 ? NULL : btf__type_by_id(btf, id);
}

int drop_names_init(struct drop_names *dn, const struct btf *vmlinux, const char *btf_dir)
{
	const struct btf_type *t;

	memset(dn, 0, sizeof(*dn));
	dn->vmlinux = vmlinux;
	snprintf(dn->btf_dir, sizeof(dn->btf_dir), "%s", btf_dir ? btf_dir : "/sys/kernel/btf");
	t = find_enum(vmlinux, "skb_drop_reason");
	dn->has_reasons = t != NULL;
	for (int i = 0; t && i < btf_vlen(t); i++) {
		const char *name;
		int64_t val;

		if (!enum_at(vmlinux, t, i, &name, &val))
			continue;
		if (!strcmp(name, CORE_PREFIX "SUBSYS_MASK"))
			dn->mask = (uint32_t)val;
		else if (!strcmp(name, CORE_PREFIX "MAX"))
			dn->core_max = (uint32_t)val;
		else if (!strncmp(name, CORE_PREFIX, strlen(CORE_PREFIX)) &&
			 strcmp(name, CORE_PREFIX "MAX"))
			dn->ncore++;
	}
	if (dn->mask)
		dn->shift = (unsigned int)__builtin_ctz(dn->mask);
	return 0;
}

void drop_names_free(struct drop_names *dn)
{
	free(dn->v);
	free(dn->scanned);
	memset(dn, 0, sizeof(*dn));
}

static struct drop_reason_entry *entry_find(struct drop_names *dn, uint32_t value)
{
	for (size_t i = 0; i < dn->n; i++)
		if (dn->v[i].value == value)
			return &dn->v[i];
	return NULL;
}

static size_t leading_underscores(const char *s)
{
	size_t n = 0;

	while (s[n] == '_')
		n++;
	return n;
}

/* Adds or renames: of two enumerators with one value (mac80211 has ___RX_DROP_X and
 * RX_DROP_X) the one with fewer leading underscores names it. */
static struct drop_reason_entry *entry_add(struct drop_names *dn, uint32_t value, const char *name,
					   const char *layer)
{
	struct drop_reason_entry *e = entry_find(dn, value);

	if (e) {
		if (leading_underscores(name) < leading_underscores(e->name))
			snprintf(e->name, sizeof(e->name), "%s", name);
		return e;
	}
	if (dn->n == dn->cap) {
		size_t cap = dn->cap ? dn->cap * 2 : 64;
		struct drop_reason_entry *v = realloc(dn->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		dn->v = v;
		dn->cap = cap;
	}
	e = &dn->v[dn->n++];
	e->value = value;
	e->layer = layer;
	snprintf(e->name, sizeof(e->name), "%s", name);
	return e;
}

static void subsys_name(struct drop_names *dn, uint32_t sub, char *out, size_t len)
{
	if (!btf_enum_name_in(dn->vmlinux, "skb_drop_reason_subsys", sub, SUBSYS_PREFIX, out, len))
		snprintf(out, len, "SUBSYS%u", sub);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

/*
 * Takes from btf (types from first_id on) every enum that is a subsystem's drop
 * reasons: named "*drop_reason" and holding the subsystem's base value. Returns how
 * many such enums it found.
 */
static int scan_subsys_enums(struct drop_names *dn, const struct btf *btf, int first_id,
			     uint32_t sub, const char *subname)
{
	uint32_t base = sub << dn->shift;
	int n = btf__type_cnt(btf), found = 0;

	for (int id = first_id; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *tname, *name;
		bool has_base = false;
		int64_t val;

		if (!t || (!btf_is_enum(t) && !btf_is_enum64(t)))
			continue;
		tname = btf__name_by_offset(btf, t->name_off);
		if (!tname || !ends_with(tname, "drop_reason") || !strcmp(tname, "skb_drop_reason"))
			continue;
		for (int i = 0; i < btf_vlen(t) && !has_base; i++)
			has_base = enum_at(btf, t, i, &name, &val) && val == (int64_t)base;
		if (!has_base)
			continue;
		found++;
		for (int i = 0; i < btf_vlen(t); i++) {
			if (!enum_at(btf, t, i, &name, &val) || val < 0 || val > UINT32_MAX ||
			    (((uint32_t)val & dn->mask) >> dn->shift) != sub)
				continue;
			entry_add(dn, (uint32_t)val, name, drop_reason_layer(name, subname));
		}
	}
	return found;
}

/* "openvswitch" for OPENVSWITCH, "mac80211" for MAC80211_UNUSABLE: the modules likely
 * to hold the subsystem's enum, looked at first. */
static bool module_matches(const char *module, const char *subname)
{
	size_t i;

	for (i = 0; module[i] && subname[i]; i++)
		if (tolower((unsigned char)module[i]) != tolower((unsigned char)subname[i]))
			return false;
	return !module[i] && (!subname[i] || subname[i] == '_');
}

static int scan_modules(struct drop_names *dn, uint32_t sub, const char *subname)
{
	int base_cnt = btf__type_cnt(dn->vmlinux);

	for (int pass = 0; pass < 2; pass++) {
		DIR *d = opendir(dn->btf_dir);
		struct dirent *de;

		if (!d) {
			pr_debug("drop: %s: %s", dn->btf_dir, strerror(errno));
			return 0;
		}
		while ((de = readdir(d))) {
			char path[512];
			struct btf *mod;
			int found;

			if (de->d_name[0] == '.' || !strcmp(de->d_name, "vmlinux") ||
			    module_matches(de->d_name, subname) != (pass == 0))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dn->btf_dir, de->d_name);
			mod = btf__parse_split(path, (struct btf *)dn->vmlinux);
			if (!mod) {
				pr_debug("drop: BTF of module %s: %s", de->d_name, strerror(errno));
				continue;
			}
			found = scan_subsys_enums(dn, mod, base_cnt, sub, subname);
			btf__free(mod);
			if (found) {
				closedir(d);
				return found;
			}
		}
		closedir(d);
	}
	return 0;
}

static bool subsys_scanned(struct drop_names *dn, uint32_t sub)
{
	for (size_t i = 0; i < dn->nscanned; i++)
		if (dn->scanned[i] == sub)
			return true;
	if (dn->nscanned == dn->capscanned) {
		size_t cap = dn->capscanned ? dn->capscanned * 2 : 8;
		uint32_t *v = realloc(dn->scanned, cap * sizeof(*v));

		if (!v)
			return true; /* do not retry a scan per lookup under memory pressure */
		dn->scanned = v;
		dn->capscanned = cap;
	}
	dn->scanned[dn->nscanned++] = sub;
	return false;
}

const struct drop_reason_entry *drop_reason_get(struct drop_names *dn, uint32_t value)
{
	static struct drop_reason_entry unnamed = { 0, "unknown", "unnamed" };
	struct drop_reason_entry *e;
	char name[64], subname[48];
	uint32_t sub;

	if (!dn->has_reasons)
		value = 0;
	e = entry_find(dn, value);
	if (e)
		return e;
	if (!dn->has_reasons) {
		e = entry_add(dn, value, "NOT_SPECIFIED", drop_reason_layer("NOT_SPECIFIED", NULL));
		return e ? e : &unnamed;
	}
	sub = dn->mask ? (value & dn->mask) >> dn->shift : 0;
	if (!sub) {
		char raw[sizeof(name)];
		const char *s = btf_enum_name_in(dn->vmlinux, "skb_drop_reason", value, NULL, raw,
						 sizeof(raw));

		/* SKB_NOT_DROPPED_YET and SKB_CONSUMED lack the long prefix */
		if (s && !strncmp(s, CORE_PREFIX, strlen(CORE_PREFIX)))
			s += strlen(CORE_PREFIX);
		else if (s && !strncmp(s, "SKB_", 4))
			s += 4;
		if (s)
			snprintf(name, sizeof(name), "%s", s);
		else
			snprintf(name, sizeof(name), "CORE:%u", value);
		e = entry_add(dn, value, name, drop_reason_layer(name, NULL));
		return e ? e : &unnamed;
	}
	subsys_name(dn, sub, subname, sizeof(subname));
	if (!subsys_scanned(dn, sub)) {
		/* a built-in subsystem's enum is in vmlinux (qdisc), a module's in its BTF */
		if (!scan_subsys_enums(dn, dn->vmlinux, 1, sub, subname))
			scan_modules(dn, sub, subname);
		e = entry_find(dn, value);
		if (e)
			return e;
	}
	snprintf(name, sizeof(name), "%s:%u", subname, value & ~dn->mask);
	e = entry_add(dn, value, name, drop_reason_layer(name, subname));
	return e ? e : &unnamed;
}

const char *drop_names_summary(const struct btf *vmlinux, char *buf, size_t len)
{
	const struct btf_type *t = find_enum(vmlinux, "skb_drop_reason_subsys");
	struct drop_names dn;
	size_t o;

	drop_names_init(&dn, vmlinux, NULL);
	if (!vmlinux) {
		snprintf(buf, len, "no kernel BTF: drop reasons cannot be named");
		return buf;
	}
	if (!dn.has_reasons) {
		snprintf(buf, len,
			 "no drop reasons in this kernel (enum skb_drop_reason, v5.17+): every "
			 "drop is counted as NOT_SPECIFIED, its layer from the drop location's "
			 "kernel symbol");
		return buf;
	}
	o = (size_t)snprintf(buf, len, "drop reasons from BTF: %u core (enum skb_drop_reason)",
			     dn.ncore);
	for (int i = 0, k = 0; t && i < btf_vlen(t) && o < len; i++) {
		const char *name;
		int64_t val;

		if (!enum_at(vmlinux, t, i, &name, &val) || !val ||
		    strncmp(name, SUBSYS_PREFIX, strlen(SUBSYS_PREFIX)) ||
		    !strcmp(name, SUBSYS_PREFIX "NUM"))
			continue;
		o += (size_t)snprintf(buf + o, len - o, "%s%s",
				      k++ ? ", " : "; subsystems: ", name + strlen(SUBSYS_PREFIX));
	}
	drop_names_free(&dn);
	return buf;
}
