// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Drop reason naming from BTF (the kernel's and modules'), the layer rule set, and the
 * kallsyms reader of the drop collector. Synthetic BTF stands in for kernels we do not
 * run on: one with subsystem reasons in two modules, one without reasons at all. */
#include <bpf/btf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ksyms.h"
#include "drop_names.h"
#include "test.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct ev {
	const char *name;
	long long val;
};

static int add_enum(struct btf *btf, const char *name, const struct ev *v, size_t n)
{
	int id = btf__add_enum(btf, name, 4);

	if (id < 0)
		return id;
	for (size_t i = 0; i < n; i++) {
		int err = btf__add_enum_value(btf, v[i].name, v[i].val);

		if (err)
			return err;
	}
	return id;
}

/* A vmlinux of a kernel with subsystem reasons (core part cut short). */
static struct btf *fake_vmlinux(void)
{
	static const struct ev reasons[] = {
		{ "SKB_NOT_DROPPED_YET", 0 },
		{ "SKB_CONSUMED", 1 },
		{ "SKB_DROP_REASON_NOT_SPECIFIED", 2 },
		{ "SKB_DROP_REASON_NO_SOCKET", 3 },
		{ "SKB_DROP_REASON_NETFILTER_DROP", 4 },
		{ "SKB_DROP_REASON_SKB_CSUM", 5 }, /* its own name starts with SKB_ */
		{ "SKB_DROP_REASON_MAX", 6 },
		{ "SKB_DROP_REASON_SUBSYS_MASK", 0xffff0000LL },
	};
	static const struct ev subsys[] = {
		{ "SKB_DROP_REASON_SUBSYS_CORE", 0 },
		{ "SKB_DROP_REASON_SUBSYS_MAC80211_UNUSABLE", 1 },
		{ "SKB_DROP_REASON_SUBSYS_OPENVSWITCH", 2 },
		{ "SKB_DROP_REASON_SUBSYS_QDISC", 3 },
		{ "SKB_DROP_REASON_SUBSYS_NUM", 4 },
	};
	/* a built-in subsystem: its enum is in vmlinux */
	static const struct ev qdisc[] = {
		{ "QDISC_DROP_UNSPEC", 0 },
		{ "__QDISC_DROP_REASON", 0x30000 },
		{ "QDISC_DROP_GENERIC", 0x30001 },
		{ "QDISC_DROP_OVERLIMIT", 0x30002 },
	};
	struct btf *btf = btf__new_empty();

	if (!btf)
		return NULL;
	btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	if (add_enum(btf, "skb_drop_reason", reasons, NELEM(reasons)) < 0 ||
	    add_enum(btf, "skb_drop_reason_subsys", subsys, NELEM(subsys)) < 0 ||
	    add_enum(btf, "qdisc_drop_reason", qdisc, NELEM(qdisc)) < 0) {
		btf__free(btf);
		return NULL;
	}
	return btf;
}

/* Writes a module's split BTF with one enum (and optionally a second) into dir/name. */
static int write_module(struct btf *base, const char *dir, const char *name, const char *e1,
			const struct ev *v1, size_t n1, const char *e2, const struct ev *v2,
			size_t n2)
{
	struct btf *m = btf__new_empty_split(base);
	char path[256];
	const void *raw;
	__u32 size;
	FILE *f;
	int err = 0;

	if (!m)
		return -ENOMEM;
	if (add_enum(m, e1, v1, n1) < 0 || (e2 && add_enum(m, e2, v2, n2) < 0)) {
		btf__free(m);
		return -EINVAL;
	}
	raw = btf__raw_data(m, &size);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || !raw || fwrite(raw, 1, size, f) != size)
		err = -EIO;
	if (f)
		fclose(f);
	btf__free(m);
	return err;
}

static void rm_dir(const char *dir, const char *const *files, size_t n)
{
	char path[256];

	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

TEST(drop_layer_rules)
{
	static const char *const cases[][2] = {
		{ "NETFILTER_DROP", "l3" },
		{ "NEIGH_FAILED", "l2" },
		{ "NEIGH_QUEUEFULL", "l2" },
		{ "NO_SOCKET", "l4" },
		{ "TCP_CSUM", "l4" },
		{ "UDP_CSUM", "l4" },
		{ "SOCKET_RCVBUFF", "l4" },
		{ "PROTO_MEM", "l4" },
		{ "IP_INNOROUTES", "l3" },
		{ "IPV6DISABLED", "l3" },
		{ "IPV6_NDISC_FRAG", "l2" },
		{ "ICMP_CSUM", "l3" },
		{ "FRAG_REASM_TIMEOUT", "l3" },
		{ "TC_INGRESS", "l2" },
		{ "TCP_FLAGS", "l4" },
		{ "QDISC_DROP", "l2" },
		{ "CPU_BACKLOG", "l1" },
		{ "FULL_RING", "l1" },
		{ "DEV_READY", "l1" },
		{ "XDP", "l1" },
		{ "OTHERHOST", "l2" },
		{ "UNHANDLED_PROTO", "l2" },
		{ "NOT_SPECIFIED", "unknown" },
		{ "NOMEM", "unknown" },
		{ "A_REASON_OF_2030", "unknown" },
		{ "CORE:200", "unknown" },
	};

	for (size_t i = 0; i < NELEM(cases); i++)
		ASSERT_STREQ(drop_reason_layer(cases[i][0], NULL), cases[i][1], cases[i][0]);
	/* a subsystem reason is placed by its subsystem, whatever its own name */
	ASSERT_STREQ(drop_reason_layer("OVS_DROP_LAST_ACTION", "OPENVSWITCH"), "l2", "ovs");
	ASSERT_STREQ(drop_reason_layer("RX_DROP_U_MIC_FAIL", "MAC80211_UNUSABLE"), "l2", "wifi");
	ASSERT_STREQ(drop_reason_layer("X_1", "SUBSYS9"), "unknown", "unknown subsystem");
	ASSERT_STREQ(drop_reason_layer(NULL, NULL), "unknown", "NULL");
}

/* Before v5.17: the layer of the function that freed the skb (the kfree_skb() call
 * sites of v5.10's net/). */
TEST(drop_location_layer_rules)
{
	static const char *const cases[][2] = {
		{ "nf_hook_slow", "l3" },
		{ "ip_rcv_core", "l3" },
		{ "ip_rcv_finish_core", "l3" },
		{ "ip_forward", "l3" },
		{ "ip6_pkt_discard", "l3" },
		{ "ip6_mc_input", "l3" },
		{ "ipv6_rcv", "l3" },
		{ "icmp_rcv", "l3" },
		{ "tcp_v4_rcv", "l4" },
		{ "tcp_v6_rcv", "l4" },
		{ "udp_queue_rcv_one_skb", "l4" },
		{ "__udp4_lib_rcv", "l4" },
		{ "__udp6_lib_rcv", "l4" },
		{ "sock_queue_rcv_skb", "l4" },
		{ "raw_rcv", "l4" },
		{ "__dev_queue_xmit", "l2" },
		{ "__netif_receive_skb_core", "l2" },
		{ "__neigh_event_send", "l2" },
		{ "arp_rcv", "l2" },
		{ "br_handle_frame", "l2" },
		{ "enqueue_to_backlog", "l1" },
		{ "veth_xmit", "l1" },
		{ "skb_queue_purge", "unknown" },
		{ "kfree_skb_list", "unknown" },
		{ "something_else", "unknown" },
	};

	for (size_t i = 0; i < NELEM(cases); i++)
		ASSERT_STREQ(drop_location_layer(cases[i][0]), cases[i][1], cases[i][0]);
	ASSERT_STREQ(drop_location_layer(NULL), "unknown", "NULL");
}

TEST(drop_names_core_and_subsystems)
{
	static const struct ev ovs[] = {
		{ "__OVS_DROP_REASON", 0x20000 },
		{ "OVS_DROP_LAST_ACTION", 0x20001 },
		{ "OVS_DROP_ACTION_ERROR", 0x20002 },
		{ "OVS_DROP_MAX", 0x20003 },
	};
	/* mac80211 names every reason twice; the one without underscores wins */
	static const struct ev wifi_raw[] = {
		{ "___RX_CONTINUE", 1 },
		{ "___RX_DROP_UNUSABLE", 0x10000 },
		{ "___RX_DROP_U_MIC_FAIL", 0x10001 },
	};
	static const struct ev wifi[] = {
		{ "RX_DROP_UNUSABLE", 0x10000 },
		{ "RX_DROP_U_MIC_FAIL", 0x10001 },
	};
	/* same values, but no drop reason enum: must not name anything */
	static const struct ev decoy[] = { { "DECOY_FLAG_A", 0x20000 },
					   { "DECOY_FLAG_B", 0x20007 } };
	static const char *const files[] = { "openvswitch", "mac80211", "decoy" };
	char dir[] = "/tmp/osiscope-unit-btf.XXXXXX";
	struct btf *vm = fake_vmlinux();
	struct drop_names dn;
	const struct drop_reason_entry *e;

	if (!ASSERT_OK_PTR(vm, "fake vmlinux") || !ASSERT_OK_PTR(mkdtemp(dir), "mkdtemp"))
		goto out_btf;
	if (!ASSERT_OK(write_module(vm, dir, "decoy", "decoy_flags", decoy, 2, NULL, NULL, 0),
		       "decoy module") ||
	    !ASSERT_OK(
		    write_module(vm, dir, "openvswitch", "ovs_drop_reason", ovs, 4, NULL, NULL, 0),
		    "ovs module") ||
	    !ASSERT_OK(write_module(vm, dir, "mac80211", "___mac80211_drop_reason", wifi_raw, 3,
				    "mac80211_drop_reason", wifi, 2),
		       "mac80211 module"))
		goto out;
	ASSERT_OK(drop_names_init(&dn, vm, dir), "init");
	ASSERT_TRUE(dn.has_reasons, "has reasons");
	ASSERT_EQ(dn.mask, 0xffff0000u, "subsystem mask from BTF");
	ASSERT_EQ(dn.shift, 16, "shift from the mask");
	ASSERT_EQ(dn.ncore, 4, "core reasons (MAX and the mask aside)");

	e = drop_reason_get(&dn, 3);
	ASSERT_STREQ(e->name, "NO_SOCKET", "core name without prefix");
	ASSERT_STREQ(e->layer, "l4", "core layer");
	e = drop_reason_get(&dn, 4);
	ASSERT_STREQ(e->name, "NETFILTER_DROP", "netfilter");
	ASSERT_STREQ(e->layer, "l3", "netfilter layer");
	e = drop_reason_get(&dn, 5);
	ASSERT_STREQ(e->name, "SKB_CSUM", "only SKB_DROP_REASON_ is taken off");
	ASSERT_STREQ(e->layer, "l1", "SKB_CSUM layer");
	e = drop_reason_get(&dn, 0);
	ASSERT_STREQ(e->name, "NOT_DROPPED_YET", "value 0 keeps its kernel name");
	e = drop_reason_get(&dn, 200);
	ASSERT_STREQ(e->name, "CORE:200", "core value BTF does not name");
	ASSERT_STREQ(e->layer, "unknown", "unnamed core layer");

	e = drop_reason_get(&dn, 0x20001);
	ASSERT_STREQ(e->name, "OVS_DROP_LAST_ACTION", "module subsystem reason");
	ASSERT_STREQ(e->layer, "l2", "ovs layer");
	e = drop_reason_get(&dn, 0x20002);
	ASSERT_STREQ(e->name, "OVS_DROP_ACTION_ERROR", "second ovs reason, from the cache");
	e = drop_reason_get(&dn, 0x20007);
	ASSERT_STREQ(e->name, "OPENVSWITCH:7", "ovs code the module does not name");
	e = drop_reason_get(&dn, 0x10001);
	ASSERT_STREQ(e->name, "RX_DROP_U_MIC_FAIL", "mac80211, fewest underscores");
	e = drop_reason_get(&dn, 0x10000);
	ASSERT_STREQ(e->name, "RX_DROP_UNUSABLE", "the subsystem's base value is a reason too");
	e = drop_reason_get(&dn, 0x30002);
	ASSERT_STREQ(e->name, "QDISC_DROP_OVERLIMIT", "built-in subsystem from vmlinux");
	ASSERT_STREQ(e->layer, "l2", "qdisc layer");
	e = drop_reason_get(&dn, 0x90001);
	ASSERT_STREQ(e->name, "SUBSYS9:1", "unknown subsystem");
	ASSERT_STREQ(e->layer, "unknown", "unknown subsystem layer");
	drop_names_free(&dn);

	/* a module loaded after nothing was found stays unscanned for that subsystem: the
	 * label, once given, does not change */
	ASSERT_OK(drop_names_init(&dn, vm, "/nonexistent"), "init without modules");
	e = drop_reason_get(&dn, 0x20001);
	ASSERT_STREQ(e->name, "OPENVSWITCH:1", "no module BTF");
	drop_names_free(&dn);
out:
	rm_dir(dir, files, NELEM(files));
out_btf:
	btf__free(vm);
}

TEST(drop_names_reasonless_kernel)
{
	struct btf *vm = btf__new_empty();
	struct drop_names dn;
	char buf[256];

	if (!ASSERT_OK_PTR(vm, "btf"))
		return;
	btf__add_int(vm, "int", 4, BTF_INT_SIGNED);
	ASSERT_OK(drop_names_init(&dn, vm, "/nonexistent"), "init");
	ASSERT_TRUE(!dn.has_reasons, "no enum skb_drop_reason");
	ASSERT_STREQ(drop_reason_get(&dn, 0)->name, "NOT_SPECIFIED", "every drop");
	ASSERT_STREQ(drop_reason_get(&dn, 7)->name, "NOT_SPECIFIED", "whatever the value");
	ASSERT_STREQ(drop_reason_get(&dn, 7)->layer, "unknown", "layer");
	ASSERT_EQ(dn.n, 1, "one entry");
	drop_names_free(&dn);
	ASSERT_CONTAINS(drop_names_summary(vm, buf, sizeof(buf)),
			"every drop is counted as NOT_SPECIFIED, its layer from the drop "
			"location", "probe line");
	ASSERT_CONTAINS(drop_names_summary(NULL, buf, sizeof(buf)), "no kernel BTF", "no BTF");
	btf__free(vm);
}

TEST(drop_names_summary_line)
{
	struct btf *vm = fake_vmlinux();
	char buf[256];

	if (!ASSERT_OK_PTR(vm, "fake vmlinux"))
		return;
	ASSERT_STREQ(drop_names_summary(vm, buf, sizeof(buf)),
		     "drop reasons from BTF: 4 core (enum skb_drop_reason); subsystems: "
		     "MAC80211_UNUSABLE, OPENVSWITCH, QDISC",
		     "probe line");
	btf__free(vm);
}

/* On the running kernel, when it has BTF: the netfilter reason exists and is l3, and
 * every name is unique (two reasons never share a label). */
TEST(drop_names_running_kernel)
{
	struct btf *vm = btf__load_vmlinux_btf();
	struct drop_names dn;
	char **seen;

	if (!vm) {
		printf("  (no kernel BTF: skipped)\n");
		return;
	}
	drop_names_init(&dn, vm, NULL);
	if (!dn.has_reasons) {
		printf("  (kernel without drop reasons: skipped)\n");
		drop_names_free(&dn);
		btf__free(vm);
		return;
	}
	/* SKB_NOT_DROPPED_YET, SKB_CONSUMED (6.2+), then the SKB_DROP_REASON_ names, then
	 * MAX: the slots hold one counter per value below it */
	ASSERT_TRUE(dn.core_max == dn.ncore + 1 || dn.core_max == dn.ncore + 2,
		    "SKB_DROP_REASON_MAX right after the core reasons");
	seen = calloc(dn.ncore + 2, sizeof(*seen));
	if (!ASSERT_OK_PTR(seen, "calloc"))
		goto out;
	for (uint32_t v = 2; v < dn.ncore + 2; v++) {
		const struct drop_reason_entry *e = drop_reason_get(&dn, v);

		seen[v] = strdup(e->name);
		if (!strcmp(e->name, "NETFILTER_DROP"))
			ASSERT_STREQ(e->layer, "l3", "NETFILTER_DROP on this kernel");
		ASSERT_TRUE(strncmp(e->name, "CORE:", 5), "core value named");
		for (uint32_t u = 2; u < v; u++)
			if (seen[u] && seen[v] && !strcmp(seen[u], seen[v]))
				TEST_FAIL("two values named %s", seen[v]);
	}
	for (uint32_t v = 0; v < dn.ncore + 2; v++)
		free(seen[v]);
	free(seen);
out:
	drop_names_free(&dn);
	btf__free(vm);
}

TEST(drop_ksyms)
{
	char path[] = "/tmp/osiscope-unit-ksyms.XXXXXX";
	struct ksyms k;
	char buf[128];
	int fd = mkstemp(path);
	FILE *f;

	if (!ASSERT_TRUE(fd >= 0, "mkstemp"))
		return;
	f = fdopen(fd, "w");
	fputs("ffffffff81000000 T _stext\n"
	      "ffffffff81e884f0 T sock_rfree\n"
	      "ffffffff81e86e40 t sock_wfree\n"
	      "ffffffff82000000 D some_data\n"
	      "ffffffffc0001000 t nft_do_chain\t[nf_tables]\n"
	      "garbage line\n",
	      f);
	fclose(f);
	ASSERT_OK(ksyms_load(&k, path), "load");
	ASSERT_EQ(k.n, 4, "text symbols only");
	ASSERT_STREQ(ksyms_format(&k, 0xffffffff81e884f0ULL + 0x1c, buf, sizeof(buf)),
		     "sock_rfree+0x1c", "inside a function");
	ASSERT_STREQ(ksyms_format(&k, 0xffffffff81e86e40ULL, buf, sizeof(buf)), "sock_wfree+0x0",
		     "at its start");
	ASSERT_STREQ(ksyms_format(&k, 0xffffffffc0001010ULL, buf, sizeof(buf)), "nft_do_chain+0x10",
		     "module symbol");
	ASSERT_STREQ(ksyms_format(&k, 0x1000, buf, sizeof(buf)), "0x1000", "below every symbol");
	ASSERT_STREQ(ksyms_format(NULL, 0xffffffff81000010ULL, buf, sizeof(buf)),
		     "0xffffffff81000010", "no table");
	ksyms_free(&k);

	/* kptr_restrict: every address reads as zero */
	f = fopen(path, "w");
	fputs("0000000000000000 T _stext\n0000000000000000 T sock_rfree\n", f);
	fclose(f);
	ASSERT_EQ(ksyms_load(&k, path), -EPERM, "hidden addresses");
	ASSERT_EQ(ksyms_load(&k, "/nonexistent/kallsyms"), -ENOENT, "missing file");
	unlink(path);
}
