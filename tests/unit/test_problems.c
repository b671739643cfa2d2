// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* diagnose's problem engine (user/problems.c) on hand-made windows of events. */
#include <arpa/inet.h>
#include <errno.h>

#include "problems.h"
#include "test.h"

#define NS_CLI 4026532001u
#define NS_SRV 4026532002u
#define SEC 1000000000ULL

static struct record_addr ip4(const char *s, int port)
{
	struct record_addr a;

	memset(&a, 0xa5, sizeof(a)); /* padding as random as a real event's */
	memset(a.addr, 0, sizeof(a.addr));
	a.family = 2;

	inet_pton(AF_INET, s, a.addr);
	a.has_port = port > 0;
	a.port = (uint16_t)(port > 0 ? port : 0);
	return a;
}

static struct diag_event ev(uint64_t t, uint32_t netns, const char *collector, const char *type)
{
	struct diag_event e = {
		.ts_ns = t * SEC, .netns = netns, .collector = collector, .type = type, .osi = "l3"
	};

	return e;
}

static struct diag_event drop(uint64_t t, uint32_t netns, const char *reason, const char *where,
			      const char *src, int sport, const char *dst, int dport,
			      const char *proto)
{
	struct diag_event e = ev(t, netns, "drop", "drop");

	snprintf(e.reason, sizeof(e.reason), "%s", reason);
	snprintf(e.where, sizeof(e.where), "%s", where);
	snprintf(e.proto, sizeof(e.proto), "%s", proto);
	snprintf(e.device, sizeof(e.device), "eth0");
	e.src = ip4(src, sport);
	e.dst = ip4(dst, dport);
	return e;
}

static struct diag_event tcp(uint64_t t, uint32_t netns, const char *type, const char *dst,
			     int port, int err)
{
	struct diag_event e = ev(t, netns, "tcp", type);

	e.src = ip4("192.0.2.1", 40000 + (int)t);
	e.dst = ip4(dst, port);
	e.err = err;
	snprintf(e.comm, sizeof(e.comm), "curl");
	e.pid = 42;
	return e;
}

static struct diag_event dns(uint64_t t, const char *type, const char *name, const char *server)
{
	struct diag_event e = ev(t, NS_CLI, "dns", type);

	e.src = ip4("192.0.2.1", 50000);
	e.dst = ip4(server, 53);
	snprintf(e.name, sizeof(e.name), "%s", name);
	return e;
}

static bool run(const struct diag_event *v, size_t n, const struct diag_link *links, size_t nl,
		struct diag_result *r)
{
	struct diag_input in = { .ev = v, .nev = n, .links = links, .nlinks = nl };

	return ASSERT_OK(diag_analyze(&in, r), "diag_analyze");
}

static bool any_line(char (*lines)[DIAG_LINE], unsigned int n, const char *needle)
{
	for (unsigned int i = 0; i < n; i++)
		if (strstr(lines[i], needle))
			return true;
	return false;
}

/* What a healthy exchange leaves: purged queues on close, unjoined multicast, resets
 * on close, retransmits and an answer. */
TEST(problems_healthy_none)
{
	struct diag_event v[] = {
		drop(1, NS_SRV, "QUEUE_PURGE", "sk_stream_kill_queues+0x57", "192.0.2.2", 80,
		     "192.0.2.1", 40000, "tcp"),
		drop(1, NS_SRV, "NOT_SPECIFIED", "ip6_mc_input+0xd4", "192.0.2.2", 0, "192.0.2.1",
		     0, "0"),
		tcp(2, NS_CLI, "reset_sent", "192.0.2.2", 443, 0),
		tcp(2, NS_CLI, "reset_received", "192.0.2.2", 443, 0),
		tcp(3, NS_CLI, "retransmit", "192.0.2.2", 443, 0),
		dns(4, "dns_answer", "known.test", "192.0.2.2"),
		drop(5, NS_SRV, "NO_SOCKET", "tcp_v4_rcv+0x10", "192.0.2.1", 40000, "192.0.2.2", 80,
		     "tcp"),
	};
	struct diag_result r;

	if (!run(v, sizeof(v) / sizeof(v[0]), NULL, 0, &r))
		return;
	ASSERT_EQ(r.n, 0, "problems");
	ASSERT_EQ(r.benign, 3, "benign drops");
	diag_result_free(&r);
}

/* NOT_SPECIFIED elsewhere than ip6_mc_input is not in the table */
TEST(problems_benign_where)
{
	struct diag_event a = drop(1, NS_SRV, "NOT_SPECIFIED", "ip6_mc_input+0xd4", "192.0.2.2", 0,
				   "192.0.2.1", 0, "0");
	struct diag_event b = drop(1, NS_SRV, "NOT_SPECIFIED", "ip6_mc_input_x+0x4", "192.0.2.2", 0,
				   "192.0.2.1", 0, "0");

	ASSERT_TRUE(diag_benign_match(&a) != NULL, "ip6_mc_input");
	ASSERT_TRUE(diag_benign_match(&b) == NULL, "another function");
	/* before 6.7 a purge has no reason of its own: the ICMP errors a failed connect
	 * left in its socket's error queue, freed at close */
	a = drop(1, NS_CLI, "NOT_SPECIFIED", "skb_queue_purge+0x15", "192.0.2.254", 0, "192.0.2.1",
		 0, "0");
	ASSERT_TRUE(diag_benign_match(&a) != NULL, "skb_queue_purge");
	/* a failed connect to a unix socket (seen from 5.10 to 6.1 in the guests) */
	a = drop(1, NS_SRV, "NOT_SPECIFIED", "unix_stream_connect+0x1f8", "", 0, "", 0, "0");
	ASSERT_TRUE(diag_benign_match(&a) != NULL, "unix_stream_connect");
	/* what 5.10 frees without a reason where newer kernels say QUEUE_PURGE, OTHERHOST,
	 * or nothing (neighbour discovery handled), as 90 saw in the 5.10 guest */
	a = drop(1, NS_SRV, "NOT_SPECIFIED", "sk_stream_kill_queues+0x50", "192.0.2.1", 43922,
		 "192.0.2.2", 8080, "0");
	ASSERT_TRUE(diag_benign_match(&a) != NULL, "sk_stream_kill_queues");
	a = drop(1, NS_CLI, "NOT_SPECIFIED", "icmpv6_rcv+0x1e3", "2001:db8::2", 0, "2001:db8::1",
		 0, "0");
	ASSERT_TRUE(diag_benign_match(&a) != NULL, "icmpv6_rcv");
	a = drop(1, NS_SRV, "NOT_SPECIFIED", "ip_rcv_core+0x200", "203.0.113.1", 60449,
		 "203.0.113.2", 9, "0");
	ASSERT_TRUE(diag_benign_match(&a) != NULL, "ip_rcv_core");
	/* with a reason of its own, a drop there is not benign for its site */
	a = drop(1, NS_SRV, "IP_CSUM", "ip_rcv_core+0x1b0", "203.0.113.1", 0, "203.0.113.2", 0,
		 "0");
	ASSERT_TRUE(diag_benign_match(&a) == NULL, "ip_rcv_core: IP_CSUM");
	for (size_t i = 0; i < diag_benign_count; i++)
		ASSERT_TRUE(strlen(diag_benign_table[i].why) > 20, "every entry says why");
}

/* Before drop reasons, the IPv4 socket's full receive buffer is udp_socket_drop's alone;
 * IPv6's (no tracepoint before 6.5) stays a drop problem */
TEST(problems_udp_enqueue_before_reasons)
{
	struct diag_event v4 = drop(1, NS_SRV, "NOT_SPECIFIED", "udp_queue_rcv_one_skb+0x39e",
				    "192.0.2.1", 45404, "192.0.2.2", 5003, "udp");
	struct diag_event v6 = drop(1, NS_SRV, "NOT_SPECIFIED", "udpv6_queue_rcv_one_skb+0x3a",
				    "192.0.2.1", 45404, "192.0.2.2", 5003, "udp");
	struct diag_result r;

	if (!run(&v4, 1, NULL, 0, &r))
		return;
	ASSERT_EQ(r.n, 0, "IPv4 enqueue drop: no problem of its own");
	diag_result_free(&r);
	if (!run(&v6, 1, NULL, 0, &r))
		return;
	ASSERT_EQ(r.n, 1, "IPv6 enqueue drop: a drop problem");
	diag_result_free(&r);
}

/* before drop reasons (5.17): NOT_SPECIFIED where neigh_invalidate() has it freed */
static void neigh_explains_unreachable(const char *reason, const char *where)
{
	struct diag_event n1 = ev(3, NS_CLI, "neigh", "resolution_failed");
	struct diag_event v[5];
	struct diag_result r;

	n1.dst = ip4("192.0.2.9", 0);
	snprintf(n1.device, sizeof(n1.device), "eth0");
	v[0] = n1;
	v[1] = drop(3, NS_CLI, reason, where, "192.0.2.1", 40000, "192.0.2.9", 80, "tcp");
	v[2] = tcp(3, NS_CLI, "connect_unreachable", "192.0.2.9", 80, EHOSTUNREACH);
	v[3] = tcp(4, NS_CLI, "connect_unreachable", "192.0.2.9", 80, EHOSTUNREACH);
	v[4] = tcp(5, NS_CLI, "connect_unreachable", "192.0.2.9", 80, EHOSTUNREACH);
	if (!run(v, 5, NULL, 0, &r))
		return;
	if (!ASSERT_EQ(r.n, 1, "one problem"))
		goto out;
	ASSERT_STREQ(r.v[0].layer, "l2", "layer");
	ASSERT_STREQ(r.v[0].cause, "neigh_failed", "cause");
	ASSERT_STREQ(r.v[0].target, "192.0.2.9", "target");
	ASSERT_STREQ(r.v[0].device, "eth0", "device");
	ASSERT_EQ(r.v[0].netns, NS_CLI, "netns");
	ASSERT_EQ(r.v[0].affected, 5, "affected: 1 failure, 1 drop, 3 connects");
	ASSERT_TRUE(any_line(r.v[0].symptoms, r.v[0].nsymptoms, "3 TCP connects to 192.0.2.9:80"),
		    "the connects are a symptom");
	ASSERT_CONTAINS(r.v[0].check, "ip neigh show nud failed", "check");
out:
	diag_result_free(&r);
}

TEST(problems_neigh_explains_unreachable)
{
	neigh_explains_unreachable("NEIGH_FAILED", "neigh_invalidate+0x9");
	neigh_explains_unreachable("NOT_SPECIFIED", "arp_error_report+0x3c");
	neigh_explains_unreachable("NOT_SPECIFIED", "neigh_invalidate+0x7f"); /* 5.10's */
}

/* the drop in the server's namespace, the timeout in the client's; before drop reasons
 * (5.17) the same drops are NOT_SPECIFIED at nf_hook_slow */
static void netfilter_across_namespaces(const char *reason)
{
	struct diag_event v[6];
	struct diag_result r;

	v[0] = drop(1, NS_SRV, reason, "nf_hook_slow+0x9c", "192.0.2.1", 40001,
		    "192.0.2.2", 8080, "tcp");
	v[1] = drop(2, NS_SRV, reason, "nf_hook_slow+0x9c", "192.0.2.1", 40001,
		    "192.0.2.2", 8080, "tcp");
	v[2] = tcp(2, NS_CLI, "retransmit", "192.0.2.2", 8080, 0);
	snprintf(v[2].state, sizeof(v[2].state), "SYN_SENT");
	v[3] = tcp(3, NS_CLI, "connect_timeout", "192.0.2.2", 8080, ETIMEDOUT);
	/* another port of the same peer is not explained by that rule */
	v[4] = tcp(3, NS_CLI, "connect_refused", "192.0.2.2", 9999, ECONNREFUSED);
	v[5] = tcp(4, NS_CLI, "connect_refused", "192.0.2.2", 9999, ECONNREFUSED);
	if (!run(v, 6, NULL, 0, &r))
		return;
	if (!ASSERT_EQ(r.n, 2, "two problems"))
		goto out;
	ASSERT_STREQ(r.v[0].cause, "netfilter_drop", "first: the drop (3 affected)");
	ASSERT_STREQ(r.v[0].layer, "l3", "layer");
	ASSERT_EQ(r.v[0].netns, NS_SRV, "netns of the drop");
	ASSERT_STREQ(r.v[0].target, "192.0.2.2:8080", "target");
	ASSERT_TRUE(any_line(r.v[0].symptoms, r.v[0].nsymptoms, "timed out"), "symptom");
	ASSERT_TRUE(any_line(r.v[0].evidence, r.v[0].nevidence, "1 SYN retransmit"), "evidence");
	ASSERT_STREQ(r.v[1].cause, "connect_refused", "second");
	ASSERT_STREQ(r.v[1].layer, "l4", "refused layer");
	ASSERT_EQ(r.v[1].count, 2, "refused count");
out:
	diag_result_free(&r);
}

TEST(problems_netfilter_across_namespaces)
{
	netfilter_across_namespaces("NETFILTER_DROP");
	netfilter_across_namespaces("NOT_SPECIFIED");
}

TEST(problems_nxdomain_search_path)
{
	struct diag_event v[] = {
		dns(1, "dns_nxdomain", "api.default.svc.cluster.local", "192.0.2.2"),
		dns(1, "dns_nxdomain", "api.svc.cluster.local", "192.0.2.2"),
		dns(1, "dns_answer", "api", "192.0.2.2"),
		dns(2, "dns_nxdomain", "nope.test.svc.cluster.local", "192.0.2.2"),
		dns(2, "dns_nxdomain", "nope.test", "192.0.2.2"),
	};
	struct diag_result r;

	if (!run(v, sizeof(v) / sizeof(v[0]), NULL, 0, &r))
		return;
	if (!ASSERT_EQ(r.n, 1, "only the name that never resolved"))
		goto out;
	ASSERT_STREQ(r.v[0].layer, "l7", "layer");
	ASSERT_STREQ(r.v[0].cause, "dns_nxdomain", "cause");
	ASSERT_STREQ(r.v[0].target, "nope.test", "the base name");
	ASSERT_EQ(r.v[0].affected, 2, "its expansion folded in");
out:
	diag_result_free(&r);
}

TEST(problems_carrier_explains_neigh)
{
	struct diag_link links[] = {
		{ NS_CLI, "eth0", true, false, 1 },
		{ NS_CLI, "eth1", false, false, 1 }, /* set down on purpose: not a fault */
		{ NS_CLI, "eth2", true, true, 2 }, /* flapped, up again */
	};
	struct diag_event n1 = ev(3, NS_CLI, "neigh", "resolution_failed");
	struct diag_event v[2];
	struct diag_result r;

	n1.dst = ip4("192.0.2.2", 0);
	snprintf(n1.device, sizeof(n1.device), "eth0");
	v[0] = n1;
	v[1] = tcp(3, NS_CLI, "connect_unreachable", "192.0.2.2", 80, EHOSTUNREACH);
	if (!run(v, 2, links, 3, &r))
		return;
	if (!ASSERT_EQ(r.n, 1, "one problem"))
		goto out;
	ASSERT_STREQ(r.v[0].layer, "l1", "layer");
	ASSERT_STREQ(r.v[0].cause, "carrier_lost", "cause");
	ASSERT_STREQ(r.v[0].device, "eth0", "device");
	ASSERT_EQ(r.v[0].nsymptoms, 2, "neigh failure and connect");
out:
	diag_result_free(&r);
}

TEST(problems_dns_port_closed)
{
	struct diag_event v[] = {
		drop(1, NS_SRV, "NO_SOCKET", "__udp4_lib_rcv+0x1", "192.0.2.1", 50000, "192.0.2.3",
		     53, "udp"),
		dns(6, "dns_timeout", "known.test", "192.0.2.3"),
		/* another server that just does not answer */
		dns(6, "dns_timeout", "known.test", "192.0.2.4"),
	};
	struct diag_result r;

	if (!run(v, sizeof(v) / sizeof(v[0]), NULL, 0, &r))
		return;
	if (!ASSERT_EQ(r.n, 2, "two problems"))
		goto out;
	ASSERT_STREQ(r.v[0].cause, "port_closed", "first: explains one more");
	ASSERT_STREQ(r.v[0].layer, "l4", "layer");
	ASSERT_STREQ(r.v[1].cause, "dns_no_answer", "second");
	ASSERT_STREQ(r.v[1].target, "192.0.2.4:53", "target");
out:
	diag_result_free(&r);
}

/*
 * Before drop reasons (5.17) a datagram to a closed port is NOT_SPECIFIED at
 * __udp4_lib_rcv(), where checksum errors and unwanted broadcasts are dropped too (5.10:
 * +0x992, +0x21b, +0xa53): the place whose drops are as many as UdpNoPorts rose in the
 * namespace is the closed-port one. Three queries to a closed port, four datagrams with a
 * bad checksum; ncounts of counts, the namespace's UdpNoPorts first.
 */
static bool closed_port_510(const struct diag_count *c, size_t nc, const char *csum_where,
			    struct diag_result *r)
{
	struct diag_event v[10];
	struct diag_input in = { .ev = v, .nev = 10, .counts = c, .ncounts = nc };
	size_t n = 0;

	for (int i = 0; i < 3; i++) {
		v[n++] = drop(1 + i, NS_SRV, "NOT_SPECIFIED", "__udp4_lib_rcv+0x992", "192.0.2.1",
			      50000, "192.0.2.3", 53, "udp");
		v[n++] = dns(2 + i, "dns_timeout", "known.test", "192.0.2.3");
	}
	for (int i = 0; i < 4; i++)
		v[n++] = drop(5, NS_SRV, "NOT_SPECIFIED", csum_where, "192.0.2.1", 40000,
			      "192.0.2.3", 54, "udp");
	return ASSERT_OK(diag_analyze(&in, r), "diag_analyze");
}

TEST(problems_udp_closed_port_before_reasons)
{
	struct diag_count c[] = { { NS_SRV, "udp_no_port_ipv4", 3 },
				  { NS_SRV, "no_route_ipv4", 0 } };
	struct diag_result r;

	if (!closed_port_510(c, 2, "__udp4_lib_rcv+0x21b", &r))
		return;
	if (!ASSERT_EQ(r.n, 2, "two problems"))
		goto out;
	/* what 6.x says with NO_SOCKET: the port, the queries its symptom */
	ASSERT_STREQ(r.v[0].cause, "port_closed", "first: the closed port");
	ASSERT_STREQ(r.v[0].layer, "l4", "its layer");
	ASSERT_STREQ(r.v[0].target, "192.0.2.3:53", "its target");
	ASSERT_EQ(r.v[0].netns, NS_SRV, "the server's namespace");
	ASSERT_EQ(r.v[0].count, 3, "its drops");
	ASSERT_TRUE(any_line(r.v[0].symptoms, r.v[0].nsymptoms,
			     "3 DNS queries to 192.0.2.3:53 unanswered"),
		    "the unanswered queries are its symptom");
	ASSERT_TRUE(any_line(r.v[0].evidence, r.v[0].nevidence,
			     "drops at __udp4_lib_rcv+0x992 are as many as UdpNoPorts rose"),
		    "the MIB is its evidence");
	/* the checksum errors' place stays without a reason */
	ASSERT_STREQ(r.v[1].cause, "packet_drops", "second: the other drops");
	ASSERT_EQ(r.v[1].count, 4, "all four");
	ASSERT_TRUE(strstr(r.v[1].summary, "NOT_SPECIFIED") != NULL, "not named");
out:
	diag_result_free(&r);
}

/* What does not decide leaves the drops NOT_SPECIFIED, the timeouts a problem of their own */
static void closed_port_undecided(const struct diag_count *c, size_t nc, const char *csum_where,
				  const char *what)
{
	struct diag_result r;

	if (!closed_port_510(c, nc, csum_where, &r))
		return;
	for (size_t i = 0; i < r.n; i++)
		if (!ASSERT_TRUE(strcmp(r.v[i].cause, "port_closed"), what))
			goto out;
	ASSERT_TRUE(r.n >= 2, what);
	for (size_t i = 0; i < r.n; i++)
		if (!strcmp(r.v[i].cause, "dns_no_answer"))
			ASSERT_EQ(r.v[i].count, 3, what);
out:
	diag_result_free(&r);
}

TEST(problems_udp_closed_port_undecided)
{
	struct diag_count none[] = { { NS_SRV, "no_route_ipv4", 1 } };
	struct diag_count fewer[] = { { NS_SRV, "udp_no_port_ipv4", 2 } };
	struct diag_count more[] = { { NS_SRV, "udp_no_port_ipv4", 5 } };
	struct diag_count other_ns[] = { { NS_CLI, "udp_no_port_ipv4", 3 } };
	struct diag_count ipv6[] = { { NS_SRV, "udp_no_port_ipv6", 3 } };
	struct diag_count three[] = { { NS_SRV, "udp_no_port_ipv4", 3 } };

	closed_port_undecided(none, 1, "__udp4_lib_rcv+0x21b", "UdpNoPorts did not rise");
	closed_port_undecided(fewer, 1, "__udp4_lib_rcv+0x21b", "UdpNoPorts rose by fewer");
	/* events lost, or a reading of the counter from before the window */
	closed_port_undecided(more, 1, "__udp4_lib_rcv+0x21b", "UdpNoPorts rose by more");
	closed_port_undecided(other_ns, 1, "__udp4_lib_rcv+0x21b", "another namespace's");
	closed_port_undecided(ipv6, 1, "__udp4_lib_rcv+0x21b", "IPv6's counter");
	/* two places with as many drops: which is which is not known */
	{
		struct diag_event v[7];
		struct diag_input in = { .ev = v, .nev = 7, .counts = three, .ncounts = 1 };
		struct diag_result r;
		size_t n = 0;

		for (int i = 0; i < 3; i++) {
			v[n++] = drop(1, NS_SRV, "NOT_SPECIFIED", "__udp4_lib_rcv+0x992",
				      "192.0.2.1", 50000, "192.0.2.3", 53, "udp");
			v[n++] = drop(1, NS_SRV, "NOT_SPECIFIED", "__udp4_lib_rcv+0xa53",
				      "192.0.2.1", 50000, "192.0.2.255", 53, "udp");
		}
		v[n++] = dns(2, "dns_timeout", "known.test", "192.0.2.3");
		if (!ASSERT_OK(diag_analyze(&in, &r), "diag_analyze"))
			return;
		for (size_t i = 0; i < r.n; i++)
			ASSERT_TRUE(strcmp(r.v[i].cause, "port_closed"), "two places with 3 drops");
		diag_result_free(&r);
	}
}

/* IPv6: __udp6_lib_rcv() and Udp6NoPorts */
TEST(problems_udp6_closed_port_before_reasons)
{
	struct diag_count c[] = { { NS_SRV, "udp_no_port_ipv6", 2 },
				  { NS_SRV, "udp_no_port_ipv4", 5 } };
	struct diag_event v[4];
	struct diag_input in = { .ev = v, .nev = 4, .counts = c, .ncounts = 2 };
	struct diag_result r;

	for (int i = 0; i < 2; i++) {
		struct diag_event *d = &v[2 * i], *q = &v[2 * i + 1];

		*d = drop(1, NS_SRV, "NOT_SPECIFIED", "__udp6_lib_rcv+0x6ef", "192.0.2.1", 50000,
			  "192.0.2.3", 53, "udp");
		*q = dns(2, "dns_timeout", "known.test", "192.0.2.3");
		d->src.family = d->dst.family = q->src.family = q->dst.family = 10;
		memset(d->dst.addr, 0, 16);
		inet_pton(AF_INET6, "2001:db8::3", d->dst.addr);
		memcpy(q->dst.addr, d->dst.addr, 16);
	}
	if (!ASSERT_OK(diag_analyze(&in, &r), "diag_analyze"))
		return;
	if (ASSERT_EQ(r.n, 1, "one problem")) {
		ASSERT_STREQ(r.v[0].cause, "port_closed", "the closed port");
		ASSERT_STREQ(r.v[0].target, "[2001:db8::3]:53", "its target");
		ASSERT_TRUE(any_line(r.v[0].evidence, r.v[0].nevidence, "Udp6NoPorts"),
			    "Udp6NoPorts its evidence");
	}
	diag_result_free(&r);
}

TEST(problems_mtu_blackhole)
{
	struct diag_event f = ev(1, NS_SRV, "route", "icmp_frag_needed_sent");
	struct diag_event v[3];
	struct diag_result r;

	f.src = ip4("192.0.2.1", 0);
	f.dst = ip4("198.51.100.2", 0);
	f.mtu = 1280;
	v[0] = f;
	if (!run(v, 1, NULL, 0, &r))
		return;
	ASSERT_EQ(r.n, 0, "one frag-needed: path MTU discovery at work");
	diag_result_free(&r);
	v[1] = drop(1, NS_CLI, "NETFILTER_DROP", "nf_hook_slow+0x9c", "192.0.2.254", 0, "192.0.2.1",
		    0, "icmp");
	v[2] = tcp(2, NS_CLI, "retransmit", "198.51.100.2", 80, 0);
	v[2].src = ip4("192.0.2.1", 40000);
	if (!run(v, 3, NULL, 0, &r))
		return;
	if (!ASSERT_EQ(r.n, 1, "one problem"))
		goto out;
	ASSERT_STREQ(r.v[0].cause, "mtu_blackhole", "cause");
	ASSERT_STREQ(r.v[0].layer, "l3", "layer");
	ASSERT_TRUE(any_line(r.v[0].evidence, r.v[0].nevidence, "netfilter"), "the lost ICMP");
	ASSERT_TRUE(any_line(r.v[0].symptoms, r.v[0].nsymptoms, "1 TCP retransmit"), "symptom");
out:
	diag_result_free(&r);
}

TEST(problems_tls_both_ends)
{
	struct diag_event c = ev(1, NS_CLI, "tls", "handshake_failed");
	struct diag_event s = ev(1, NS_SRV, "tls", "handshake_failed");
	struct diag_event v[2];
	struct diag_result r;

	c.src = ip4("192.0.2.1", 40000);
	c.dst = ip4("192.0.2.2", 4433);
	snprintf(c.reason, sizeof(c.reason), "certificate verify failed");
	snprintf(c.where, sizeof(c.where), "client");
	s.src = ip4("192.0.2.2", 4433);
	s.dst = ip4("192.0.2.1", 40000);
	snprintf(s.reason, sizeof(s.reason), "tlsv1 alert unknown ca");
	snprintf(s.where, sizeof(s.where), "server");
	v[0] = c;
	v[1] = s;
	if (!run(v, 2, NULL, 0, &r))
		return;
	if (!ASSERT_EQ(r.n, 1, "one problem"))
		goto out;
	ASSERT_STREQ(r.v[0].layer, "l6", "layer");
	ASSERT_STREQ(r.v[0].cause, "tls_cert_verify", "cause");
	ASSERT_EQ(r.v[0].netns, NS_CLI, "the client's namespace");
	ASSERT_CONTAINS(r.v[0].summary, "certificate verify failed", "OpenSSL's reason");
	ASSERT_TRUE(any_line(r.v[0].evidence, r.v[0].nevidence, "unknown ca"), "server's view");
out:
	diag_result_free(&r);
}

/* path MTU discovery that works: two frag-needed at once, the sender's smaller
 * retransmits, the router's PKT_TOO_BIG drops */
TEST(problems_pmtu_working)
{
	struct diag_event v[5];
	struct diag_result r;

	for (int i = 0; i < 2; i++) {
		v[i] = ev(1, NS_SRV, "route", "icmp_frag_needed_sent");
		v[i].src = ip4("192.0.2.1", 0);
		v[i].dst = ip4("198.51.100.2", 0);
		v[i].mtu = 1280;
		v[2 + i] = drop(1, NS_SRV, "PKT_TOO_BIG", "ip_forward+0x2c0", "192.0.2.1", 40000,
				"198.51.100.2", 9000, "tcp");
	}
	v[4] = tcp(1, NS_CLI, "retransmit", "198.51.100.2", 9000, 0);
	if (!run(v, 5, NULL, 0, &r))
		return;
	ASSERT_EQ(r.n, 0, "no problem");
	ASSERT_EQ(r.benign, 2, "the router's drops are benign");
	diag_result_free(&r);
	/* the sender keeps sending too big for seconds: a black hole, no ICMP drop seen */
	v[2] = v[0];
	v[2].ts_ns += 3 * SEC;
	if (!run(v, 3, NULL, 0, &r))
		return;
	if (ASSERT_EQ(r.n, 1, "one problem"))
		ASSERT_STREQ(r.v[0].cause, "mtu_blackhole", "cause");
	diag_result_free(&r);
}

/* no route: a count only; a router's forwarding drop takes its kind from its ICMP */
TEST(problems_counts)
{
	struct diag_count c[] = {
		{ NS_CLI, "no_route_ipv4", 3 },
		{ NS_SRV, "icmp_unreach_13", 2 },
		{ NS_SRV, "no_route_ipv4", 0 },
	};
	struct diag_event v[2];
	struct diag_input in = { .ev = v, .nev = 2, .counts = c, .ncounts = 3 };
	struct diag_result r;

	v[0] = drop(1, NS_SRV, "NOT_SPECIFIED", "ip_error+0x94", "192.0.2.1", 40000, "203.0.113.5",
		    80, "tcp");
	v[1] = drop(2, NS_SRV, "NOT_SPECIFIED", "ip_error+0x94", "192.0.2.1", 40001, "203.0.113.5",
		    80, "tcp");
	if (!ASSERT_OK(diag_analyze(&in, &r), "diag_analyze"))
		return;
	if (!ASSERT_EQ(r.n, 2, "two problems"))
		goto out;
	ASSERT_STREQ(r.v[0].cause, "no_route", "first: 3 lookups");
	ASSERT_EQ(r.v[0].netns, NS_CLI, "its namespace");
	ASSERT_EQ(r.v[0].count, 3, "its count");
	ASSERT_STREQ(r.v[1].cause, "route_prohibit", "the router's kind, from ICMP code 13");
	ASSERT_STREQ(r.v[1].target, "203.0.113.5", "the destination");
	ASSERT_EQ(r.v[1].count, 2, "both drops");
out:
	diag_result_free(&r);
}

/* a router's unreachable route where the lookup is seen (a program on ip_error(), kernels
 * before 6.10 without icmp:icmp_send): the router's drop and lookup are one problem, the
 * client's connects through it its symptom */
TEST(problems_router_lookup)
{
	struct diag_event v[5];
	struct diag_result r;

	for (int i = 0; i < 2; i++) {
		v[2 * i] = ev(1 + i, NS_SRV, "route", "route_lookup_failed");
		v[2 * i].src = ip4("192.0.2.1", 0);
		v[2 * i].dst = ip4("203.0.113.5", 0);
		snprintf(v[2 * i].reason, sizeof(v[2 * i].reason), "unreachable");
		v[2 * i + 1] = drop(1 + i, NS_SRV, "NOT_SPECIFIED", "ip_error+0x7d", "192.0.2.1",
				    40000 + i, "203.0.113.5", 80, "tcp");
	}
	v[4] = tcp(2, NS_CLI, "connect_unreachable", "203.0.113.5", 80, EHOSTUNREACH);
	if (!run(v, 5, NULL, 0, &r))
		return;
	if (!ASSERT_EQ(r.n, 1, "one problem"))
		goto out;
	ASSERT_STREQ(r.v[0].cause, "route_unreachable", "the lookup's kind");
	ASSERT_EQ(r.v[0].netns, NS_SRV, "the router's namespace");
	ASSERT_STREQ(r.v[0].target, "203.0.113.5", "the destination");
	ASSERT_EQ(r.v[0].count, 2, "both drops");
	ASSERT_TRUE(any_line(r.v[0].symptoms, r.v[0].nsymptoms, "EHOSTUNREACH"),
		    "the client's connect its symptom");
out:
	diag_result_free(&r);
}

/* curl does its I/O through its own BIO: no addresses on either side's events */
TEST(problems_tls_no_addresses)
{
	struct diag_event c = ev(1, NS_CLI, "tls", "handshake_failed");
	struct diag_event s = ev(1, NS_SRV, "tls", "handshake_failed");
	struct diag_event v[2];
	struct diag_result r;

	snprintf(c.reason, sizeof(c.reason), "certificate verify failed");
	snprintf(c.where, sizeof(c.where), "client");
	snprintf(c.comm, sizeof(c.comm), "curl");
	c.pid = 7;
	snprintf(s.reason, sizeof(s.reason), "tlsv1 alert unknown ca");
	snprintf(s.where, sizeof(s.where), "server");
	v[0] = c;
	v[1] = s;
	if (!run(v, 2, NULL, 0, &r))
		return;
	if (!ASSERT_EQ(r.n, 1, "one problem"))
		goto out;
	ASSERT_STREQ(r.v[0].cause, "tls_cert_verify", "cause");
	ASSERT_STREQ(r.v[0].target, "", "no target");
	ASSERT_STREQ(r.v[0].summary, "TLS handshakes of curl fail: certificate verify failed",
		     "named by process");
	diag_result_free(&r);
	/* ten seconds apart: not the same handshake */
	v[1].ts_ns += 10 * SEC;
	if (!run(v, 2, NULL, 0, &r))
		return;
	ASSERT_EQ(r.n, 2, "two problems");
out:
	diag_result_free(&r);
}

/* IPv6's no-route count alone is bring-up noise, not a problem */
TEST(problems_no_route_ipv6_alone)
{
	struct diag_count c[] = { { NS_CLI, "no_route_ipv6", 1 } };
	struct diag_input in = { .counts = c, .ncounts = 1 };
	struct diag_result r;

	if (!ASSERT_OK(diag_analyze(&in, &r), "diag_analyze"))
		return;
	ASSERT_EQ(r.n, 0, "no problem");
	diag_result_free(&r);
}
