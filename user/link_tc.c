// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Attaching the link layer's packet programs: tcx links, classic tc filters, XDP links.
 * See link_tc.h for the rules that keep them beside other people's programs. */
#include "link_tc.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "link.h"
#include "log.h"
#include "nlmsg.h"
#include "probe.h"

/* include/uapi/linux/bpf.h of 6.6 (tcx and the mprog attach flags): absent from the
 * uapi headers of older distributions, so spelt here; the attach types themselves are
 * read from the kernel's BTF. */
#ifndef BPF_F_BEFORE
#define BPF_F_BEFORE (1U << 3)
#endif

bool tc_handle_is_ours(uint32_t prio, uint32_t handle)
{
	return prio == LINK_TC_PRIO && handle > LINK_TC_HANDLE_BASE &&
	       handle <= LINK_TC_HANDLE_BASE + LINK_TC_SLOTS;
}

bool link_owner_stale(const struct link_owner *o, size_t len, uint64_t now_ns)
{
	/* anything we cannot read as an owner record is someone else's: never stale */
	if (len < sizeof(*o) || o->magic != LINK_OWNER_MAGIC)
		return false;
	return now_ns > o->heartbeat_ns && now_ns - o->heartbeat_ns > LINK_STALE_NS;
}

bool link_name_listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	if (!n)
		return false;
	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == n && !strncmp(p, name, n))
			return true;
		p = end ? end + 1 : NULL;
	}
	return false;
}

static bool btf_enum_value(const char *type, const char *name, uint32_t *v)
{
	const struct btf *btf = probe_kernel_btf();
	const struct btf_type *t;
	int id;

	if (!btf)
		return false;
	id = btf__find_by_name_kind(btf, type, BTF_KIND_ENUM);
	if (id < 0)
		return false;
	t = btf__type_by_id(btf, id);
	for (int i = 0; i < btf_vlen(t); i++) {
		const struct btf_enum *e = &btf_enum(t)[i];

		if (!strcmp(btf__name_by_offset(btf, e->name_off), name)) {
			*v = (uint32_t)e->val;
			return true;
		}
	}
	return false;
}

bool tcx_supported(uint32_t *ingress_type, uint32_t *egress_type)
{
	return btf_enum_value("bpf_attach_type", "BPF_TCX_INGRESS", ingress_type) &&
	       btf_enum_value("bpf_attach_type", "BPF_TCX_EGRESS", egress_type);
}

int tcx_attach(int prog_fd, int ifindex, uint32_t attach_type)
{
	union bpf_attr attr;
	int fd;

	/* libbpf 1.1 has no tcx wrapper. link_create.tcx (relative_fd, expected_revision)
	 * follows flags in the 6.6 layout and stays zero: with BPF_F_BEFORE and no
	 * relative program, the link goes first in the chain. */
	memset(&attr, 0, sizeof(attr));
	attr.link_create.prog_fd = (uint32_t)prog_fd;
	attr.link_create.target_ifindex = (uint32_t)ifindex;
	attr.link_create.attach_type = attach_type;
	attr.link_create.flags = BPF_F_BEFORE;
	fd = (int)syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}

/* --- rtnetlink dumps of qdiscs and filters --- */

static void tc_dump_msg(struct tc_dump_counts *c, const struct nlmsghdr *h)
{
	const struct tcmsg *t = NLMSG_DATA(h);
	const struct rtattr *a;
	int len;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*t)) || t->tcm_ifindex != c->ifindex)
		return;
	if (h->nlmsg_type == RTM_NEWQDISC) {
		len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*t));
		for (a = (const struct rtattr *)((const char *)t + NLMSG_ALIGN(sizeof(*t)));
		     RTA_OK(a, len); a = RTA_NEXT(a, len))
			if (a->rta_type == TCA_KIND && RTA_PAYLOAD(a) >= 7 &&
			    !memcmp(RTA_DATA(a), "clsact", 7))
				c->clsact++;
	} else if (h->nlmsg_type == RTM_NEWTFILTER && t->tcm_handle) {
		/* one message per filter, and one with handle 0 per priority */
		if (tc_handle_is_ours(TC_H_MAJ(t->tcm_info) >> 16, t->tcm_handle))
			c->osiscope++;
		else
			c->others++;
	}
}

static int tc_dump_one(const struct nlmsghdr *h, void *ctx)
{
	tc_dump_msg(ctx, h);
	return 0;
}

int tc_dump_parse(struct tc_dump_counts *c, const void *buf, size_t len)
{
	return nl_walk(buf, len, tc_dump_one, c);
}

static int tc_dump(uint16_t type, int ifindex, uint32_t parent, struct tc_dump_counts *c)
{
	struct {
		struct nlmsghdr nlh;
		struct tcmsg t;
	} req = {
		.nlh = { .nlmsg_len = sizeof(req),
			 .nlmsg_type = type,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			 .nlmsg_seq = 1 },
		.t = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex, .tcm_parent = parent },
	};
	int fd, err;

	c->ifindex = ifindex;
	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	err = nl_dump(fd, &req, sizeof(req), tc_dump_one, c);
	close(fd);
	return err;
}

static uint32_t clsact_parent(enum link_tc_dir dir)
{
	return TC_H_MAKE(TC_H_CLSACT, dir == LINK_TC_INGRESS ? TC_H_MIN_INGRESS : TC_H_MIN_EGRESS);
}

int tc_filters_count(int ifindex, int *osiscope, int *others)
{
	struct tc_dump_counts c = { .ifindex = ifindex };
	int err = tc_dump(RTM_GETTFILTER, ifindex, clsact_parent(LINK_TC_INGRESS), &c);

	if (!err)
		err = tc_dump(RTM_GETTFILTER, ifindex, clsact_parent(LINK_TC_EGRESS), &c);
	*osiscope = c.osiscope;
	*others = c.others;
	return err;
}

int tc_clsact_ensure(int ifindex, bool *created, bool *osiscope_only)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	struct tc_dump_counts c = { .ifindex = ifindex };
	int err, ours, others;

	*created = *osiscope_only = false;
	err = tc_dump(RTM_GETQDISC, ifindex, 0, &c);
	if (err)
		return err;
	if (!c.clsact) {
		err = bpf_tc_hook_create(&hook);
		if (!err) {
			*created = true;
			return 0;
		}
		if (err != -EEXIST)
			return err;
		/* created by someone else since the dump, or an ingress qdisc is in the
		 * way (then egress fails, and says so) */
	}
	if (tc_filters_count(ifindex, &ours, &others) == 0)
		*osiscope_only = ours > 0 && others == 0;
	return 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Whether the program behind a filter is an osiscope link program whose agent stopped
 * beating: its object's .bss holds the owner record (link.h). */
static bool filter_stale(uint32_t prog_id, uint64_t *pid)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info), map_ids[16];
	bool stale = false;
	int pfd;

	pfd = bpf_prog_get_fd_by_id(prog_id);
	if (pfd < 0)
		return false;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = sizeof(map_ids) / sizeof(map_ids[0]);
	info.map_ids = (uint64_t)(unsigned long)map_ids;
	if (bpf_obj_get_info_by_fd(pfd, &info, &len) || strncmp(info.name, "link_tc_", 8))
		goto out;
	for (uint32_t i = 0; i < info.nr_map_ids && i < sizeof(map_ids) / sizeof(map_ids[0]); i++) {
		struct bpf_map_info mi;
		uint32_t mlen = sizeof(mi), key = 0;
		size_t nlen;
		void *v;
		int mfd = bpf_map_get_fd_by_id(map_ids[i]);

		if (mfd < 0)
			continue;
		memset(&mi, 0, sizeof(mi));
		nlen = 0;
		if (!bpf_obj_get_info_by_fd(mfd, &mi, &mlen))
			nlen = strlen(mi.name);
		if (nlen > 4 && !strcmp(mi.name + nlen - 4, ".bss") &&
		    mi.type == BPF_MAP_TYPE_ARRAY && mi.value_size >= sizeof(struct link_owner) &&
		    mi.value_size <= 4096 && (v = calloc(1, mi.value_size))) {
			if (!bpf_map_lookup_elem(mfd, &key, v)) {
				stale = link_owner_stale(v, mi.value_size, mono_ns());
				*pid = ((struct link_owner *)v)->pid;
			}
			free(v);
		}
		close(mfd);
	}
out:
	close(pfd);
	return stale;
}

int tc_classic_attach(int ifindex, enum link_tc_dir dir, int prog_fd, uint32_t own_prog_id,
		      struct tc_classic *out, const char *what)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = dir == LINK_TC_INGRESS ? BPF_TC_INGRESS : BPF_TC_EGRESS);
	int err = -EBUSY;

	for (uint32_t slot = 1; slot <= LINK_TC_SLOTS; slot++) {
		uint32_t handle = LINK_TC_HANDLE_BASE + slot;
		LIBBPF_OPTS(bpf_tc_opts, q, .handle = handle, .priority = LINK_TC_PRIO);
		LIBBPF_OPTS(bpf_tc_opts, a, .prog_fd = prog_fd, .handle = handle,
			    .priority = LINK_TC_PRIO);
		uint64_t pid = 0;

		/* not found comes back as ENOENT or, with no filter on the hook at all, as
		 * EINVAL ("Cannot find specified filter chain"): either way the attach
		 * below says what is wrong, and it never replaces */
		if (bpf_tc_query(&hook, &q) == 0) {
			if (q.prog_id == own_prog_id) {
				out->handle = handle;
				out->prog_id = q.prog_id;
				return 0;
			}
			/* another agent's: alive, or gone without cleaning up */
			if (!filter_stale(q.prog_id, &pid))
				continue;
			LIBBPF_OPTS(bpf_tc_opts, d, .handle = handle, .priority = LINK_TC_PRIO);
			if (bpf_tc_detach(&hook, &d))
				continue;
			pr_info("link: %s: removed the tc filter (handle 0x%x, program id %u) of "
				"an "
				"osiscope agent that is gone (pid %llu, no heartbeat for %llu s)",
				what, handle, q.prog_id, (unsigned long long)pid,
				(unsigned long long)(LINK_STALE_NS / 1000000000ULL));
		}
		err = bpf_tc_attach(&hook, &a);
		if (err == -EEXIST)
			continue; /* another agent took the slot just now */
		if (err)
			return err;
		out->handle = handle;
		out->prog_id = a.prog_id;
		return 0;
	}
	return err == -EEXIST || err == 0 ? -EBUSY : err;
}

int tc_classic_reap(int ifindex, enum link_tc_dir dir, uint32_t own_handle, const char *what)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = dir == LINK_TC_INGRESS ? BPF_TC_INGRESS : BPF_TC_EGRESS);
	int reaped = 0;

	for (uint32_t slot = 1; slot <= LINK_TC_SLOTS; slot++) {
		uint32_t handle = LINK_TC_HANDLE_BASE + slot;
		LIBBPF_OPTS(bpf_tc_opts, q, .handle = handle, .priority = LINK_TC_PRIO);
		LIBBPF_OPTS(bpf_tc_opts, d, .handle = handle, .priority = LINK_TC_PRIO);
		uint64_t pid = 0;

		if (handle == own_handle || bpf_tc_query(&hook, &q) ||
		    !filter_stale(q.prog_id, &pid))
			continue;
		if (bpf_tc_detach(&hook, &d))
			continue;
		reaped++;
		pr_info("link: %s: removed the tc filter (handle 0x%x, program id %u) of an "
			"osiscope agent that is gone (pid %llu, no heartbeat for %llu s)",
			what, handle, q.prog_id, (unsigned long long)pid,
			(unsigned long long)(LINK_STALE_NS / 1000000000ULL));
	}
	return reaped;
}

int tc_classic_detach(int ifindex, enum link_tc_dir dir, const struct tc_classic *f)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = dir == LINK_TC_INGRESS ? BPF_TC_INGRESS : BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, q, .handle = f->handle, .priority = LINK_TC_PRIO);
	int err;

	if (!f->handle)
		return 0;
	err = bpf_tc_query(&hook, &q);
	if (err)
		return err;
	if (q.prog_id != f->prog_id)
		return -ESTALE; /* not ours any more: leave it */
	LIBBPF_OPTS(bpf_tc_opts, d, .handle = f->handle, .priority = LINK_TC_PRIO);
	return bpf_tc_detach(&hook, &d);
}

int tc_clsact_release(int ifindex)
{
	/* both attach points: with one alone, libbpf flushes every filter of that hook */
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	int ours, others, err;

	err = tc_filters_count(ifindex, &ours, &others);
	if (err)
		return err;
	if (ours || others)
		return -ENOTEMPTY;
	return bpf_tc_hook_destroy(&hook);
}

int xdp_current(int ifindex, uint32_t *id, char *name, size_t len, const char **mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info;
	uint32_t ilen = sizeof(info);
	int err, fd;

	*id = 0;
	*mode = "";
	if (len)
		name[0] = '\0';
	err = bpf_xdp_query(ifindex, 0, &q);
	if (err)
		return err;
	switch (q.attach_mode) {
	case XDP_ATTACHED_NONE:
		return 0;
	case XDP_ATTACHED_DRV:
		*mode = "native";
		break;
	case XDP_ATTACHED_SKB:
		*mode = "generic";
		break;
	case XDP_ATTACHED_HW:
		*mode = "offloaded";
		break;
	default:
		*mode = "several modes";
		break;
	}
	*id = q.prog_id	      ? q.prog_id
	      : q.drv_prog_id ? q.drv_prog_id
	      : q.skb_prog_id ? q.skb_prog_id
			      : q.hw_prog_id;
	fd = bpf_prog_get_fd_by_id(*id);
	if (fd >= 0) {
		memset(&info, 0, sizeof(info));
		if (!bpf_obj_get_info_by_fd(fd, &info, &ilen))
			snprintf(name, len, "%s", info.name);
		close(fd);
	}
	return 0;
}

/* --- the link collector's devices --- */

static bool vanished(int err)
{
	return err == -ENODEV || err == -ENOENT || err == -ENXIO;
}

void link_tc_dev_attach_xdp(const struct link_tc_progs *pr, struct link_tc_dev *d, uint32_t netns,
			    uint32_t ifindex, const char *dev)
{
	const char *mode;
	char name[32];
	uint32_t id;
	int err;

	err = xdp_current((int)ifindex, &id, name, sizeof(name), &mode);
	if (err) {
		if (!vanished(err))
			pr_warn("link: --link.xdp: netns %u device %s: query XDP: %s", netns, dev,
				probe_strerror(err));
		return;
	}
	if (id) {
		pr_warn("link: --link.xdp: netns %u device %s already has an XDP program (id %u, "
			"name %s, %s): left in place; %s",
			netns, dev, id, name[0] ? name : "?", mode,
			pr->tc ? "its receive side is counted with tc instead"
			       : "its receive side is not counted");
		return;
	}
	d->xdp = bpf_program__attach_xdp(pr->xdp_prog, (int)ifindex);
	if (!d->xdp) {
		err = -errno;
		if (err == -EBUSY || err == -EEXIST)
			pr_warn("link: --link.xdp: netns %u device %s: an XDP program appeared "
				"meanwhile: left in place",
				netns, dev);
		else if (!vanished(err))
			pr_warn("link: --link.xdp: netns %u device %s: attach XDP: %s", netns, dev,
				probe_strerror(err));
		return;
	}
	d->counting[LINK_RX] = d->hooked[HK_XDP] = true;
	pr_info("link: netns %u device %s: XDP program attached (receive side)", netns, dev);
}

static int attach_classic(const struct link_tc_progs *pr, struct link_tc_dev *d, uint32_t netns,
			  uint32_t ifindex, const char *dev, int dir, bool *hold)
{
	char what[64];
	bool created, osiscope_only;
	int err;

	snprintf(what, sizeof(what), "netns %u device %s %s", netns, dev,
		 dir == LINK_RX ? "ingress" : "egress");
	if (!d->classic[0].handle && !d->classic[1].handle) {
		err = tc_clsact_ensure((int)ifindex, &created, &osiscope_only);
		if (err)
			return err;
		d->qdisc_ours = created || osiscope_only;
		if (d->qdisc_ours)
			*hold = true;
	}
	err = tc_classic_attach((int)ifindex, dir == LINK_RX ? LINK_TC_INGRESS : LINK_TC_EGRESS,
				bpf_program__fd(pr->tc_prog[dir]), pr->tc_prog_id[dir],
				&d->classic[dir], what);
	if (err)
		return err;
	*hold = true;
	return 0;
}

void link_tc_dev_attach_tc(const struct link_tc_progs *pr, struct link_tc_dev *d, uint32_t netns,
			   uint32_t ifindex, const char *dev, bool *hold)
{
	for (int dir = 0; dir < LINK_DIRS; dir++) {
		const char *how = "tc";
		int err = -EOPNOTSUPP;

		if (dir == LINK_RX && d->xdp)
			continue; /* XDP counts this side */
		if (pr->tcx) {
			int fd = tcx_attach(bpf_program__fd(pr->tc_prog[dir]), (int)ifindex,
					    pr->tcx_type[dir]);

			if (fd >= 0) {
				d->tcx[dir] = fd;
				d->counting[dir] =
					d->hooked[dir == LINK_RX ? HK_TCX_IN : HK_TCX_OUT] = true;
				continue;
			}
			err = fd;
			how = "tcx";
			if (vanished(err))
				return;
			pr_debug("link: netns %u device %s: tcx %s: %s; trying a classic tc filter",
				 netns, dev, dir == LINK_RX ? "ingress" : "egress",
				 probe_strerror(err));
		}
		err = attach_classic(pr, d, netns, ifindex, dev, dir, hold);
		if (!err) {
			d->counting[dir] = d->hooked[dir == LINK_RX ? HK_TC_IN : HK_TC_OUT] = true;
			continue;
		}
		how = "classic tc";
		if (vanished(err))
			return;
		pr_warn("link: netns %u device %s: attach %s %s: %s; its protocol mix is not "
			"counted",
			netns, dev, how, dir == LINK_RX ? "ingress" : "egress",
			err == -EBUSY ? "every osiscope filter slot is taken by live agents"
				      : probe_strerror(err));
	}
	if (d->qdisc_ours && !d->classic[0].handle && !d->classic[1].handle) {
		/* we made a clsact for nothing: take it away again */
		tc_clsact_release((int)ifindex);
		d->qdisc_ours = false;
	}
	if (d->counting[0] || d->counting[1])
		pr_debug("link: netns %u device %s: programs attached", netns, dev);
}

void link_tc_dev_reap(const struct link_tc_dev *d, uint32_t netns, uint32_t ifindex,
		      const char *dev)
{
	for (int dir = 0; dir < LINK_DIRS; dir++) {
		char what[64];

		if (!d->classic[dir].handle)
			continue;
		snprintf(what, sizeof(what), "netns %u device %s %s", netns, dev,
			 dir == LINK_RX ? "ingress" : "egress");
		tc_classic_reap((int)ifindex, dir == LINK_RX ? LINK_TC_INGRESS : LINK_TC_EGRESS,
				d->classic[dir].handle, what);
	}
}

void link_tc_dev_remove(struct link_tc_dev *d, uint32_t netns, uint32_t ifindex, const char *dev)
{
	for (int dir = 0; dir < 2; dir++) {
		int err;

		if (!d->classic[dir].handle)
			continue;
		err = tc_classic_detach((int)ifindex,
					dir == LINK_RX ? LINK_TC_INGRESS : LINK_TC_EGRESS,
					&d->classic[dir]);
		if (err && !vanished(err))
			pr_warn("link: netns %u device %s: remove tc filter 0x%x: %s", netns, dev,
				d->classic[dir].handle,
				err == -ESTALE ? "it is no longer ours, left alone"
					       : probe_strerror(err));
		d->classic[dir].handle = 0;
	}
	if (d->qdisc_ours) {
		int err = tc_clsact_release((int)ifindex);

		if (err && err != -ENOTEMPTY && !vanished(err))
			pr_warn("link: netns %u device %s: remove clsact qdisc: %s", netns, dev,
				probe_strerror(err));
	}
}

void link_tc_dev_release(struct link_tc_dev *d)
{
	for (int i = 0; i < 2; i++) {
		if (d->tcx[i] >= 0)
			close(d->tcx[i]);
		d->tcx[i] = -1;
	}
	bpf_link__destroy(d->xdp);
	d->xdp = NULL;
}
