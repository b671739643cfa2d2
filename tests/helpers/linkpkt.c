// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Frames and BPF checks for the link scenarios, with exact counts of what it did
 * (raw syscalls only: no libbpf, no ping or arping package needed):
 *   linkpkt ping DST N [SIZE [DF]]     N ICMP echo requests, 1 s for each reply
 *                                      prints: sent=N replies=R
 *   linkpkt arp DEV SRC_IP DST_IP N    N broadcast ARP requests for DST_IP
 *   linkpkt raw DEV DST_MAC ETHERTYPE N   N frames of 60 bytes to DST_MAC
 *   linkpkt tcx DEV                    programs on DEV's tcx chains (6.6+)
 *                                      prints: ingress=N egress=M ids=ID,ID...
 *   linkpkt xdp-attach DEV             loads an XDP program that passes everything and
 *                                      attaches it (generic mode, netlink: it stays)
 *                                      prints: id=ID
 *   linkpkt testrun PROG_ID N IFINDEX GSO_SEGS HEX
 *                                      runs the tc program N times on the frame HEX as
 *                                      if it came from IFINDEX (BPF_PROG_TEST_RUN)
 * Run it inside the namespace it is about (ip netns exec). Exit 0 when it did it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* enum bpf_attach_type of 6.6 (uapi, stable): absent from older headers */
#define TCX_INGRESS 46
#define TCX_EGRESS 47

static int die(const char *what)
{
	perror(what);
	return 1;
}

static long num(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || *end || v < 0) {
		fprintf(stderr, "linkpkt: bad number %s\n", s);
		exit(2);
	}
	return v;
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static uint16_t csum(const void *p, size_t len)
{
	const uint16_t *w = p;
	uint32_t s = 0;

	for (; len > 1; len -= 2)
		s += *w++;
	if (len)
		s += *(const uint8_t *)w;
	s = (s >> 16) + (s & 0xffff);
	s += s >> 16;
	return (uint16_t)~s;
}

static int cmd_ping(const char *dst, long n, long size, int df)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	uint16_t id = (uint16_t)getpid();
	long replies = 0;
	char buf[65536];
	int fd;

	if (inet_pton(AF_INET, dst, &to.sin_addr) != 1 || size < 8 || size > 60000) {
		fprintf(stderr, "linkpkt ping: bad address or size\n");
		return 2;
	}
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (fd < 0)
		return die("socket");
	if (df) {
		int v = IP_PMTUDISC_DO;

		setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof(v));
	}
	for (long i = 0; i < n; i++) {
		struct icmphdr *h = (struct icmphdr *)buf;
		struct timespec t0, t;

		memset(buf, 0, (size_t)size);
		h->type = ICMP_ECHO;
		h->un.echo.id = htons(id);
		h->un.echo.sequence = htons((uint16_t)i);
		h->checksum = csum(buf, (size_t)size);
		if (sendto(fd, buf, (size_t)size, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
			continue; /* e.g. EMSGSIZE: counted as sent-but-unanswered below */
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (;;) {
			struct pollfd pfd = { fd, POLLIN, 0 };
			long ms;
			ssize_t r;

			clock_gettime(CLOCK_MONOTONIC, &t);
			ms = 1000 -
			     ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
			if (ms <= 0 || poll(&pfd, 1, (int)ms) <= 0)
				break;
			r = recv(fd, buf, sizeof(buf), 0);
			if (r >= (ssize_t)(sizeof(struct iphdr) + sizeof(struct icmphdr))) {
				const struct iphdr *ip = (const struct iphdr *)buf;
				const struct icmphdr *e =
					(const struct icmphdr *)(buf + ip->ihl * 4);

				if (e->type == ICMP_ECHOREPLY && ntohs(e->un.echo.id) == id &&
				    ntohs(e->un.echo.sequence) == (uint16_t)i) {
					replies++;
					break;
				}
			}
		}
	}
	printf("sent=%ld replies=%ld\n", n, replies);
	close(fd);
	return 0;
}

static int packet_socket(const char *dev, struct sockaddr_ll *ll, uint8_t mac[6])
{
	struct ifreq ifr;
	int fd = socket(AF_PACKET, SOCK_RAW, 0);

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		close(fd);
		return -1;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	memset(ll, 0, sizeof(*ll));
	ll->sll_family = AF_PACKET;
	ll->sll_ifindex = (int)if_nametoindex(dev);
	ll->sll_halen = 6;
	return fd;
}

static int cmd_arp(const char *dev, const char *src, const char *dst, long n)
{
	struct sockaddr_ll ll;
	uint8_t f[42], mac[6];
	struct in_addr s, d;
	int fd;

	if (inet_pton(AF_INET, src, &s) != 1 || inet_pton(AF_INET, dst, &d) != 1) {
		fprintf(stderr, "linkpkt arp: bad address\n");
		return 2;
	}
	fd = packet_socket(dev, &ll, mac);
	if (fd < 0)
		return die(dev);
	memset(f, 0, sizeof(f));
	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	f[12] = 0x08, f[13] = 0x06; /* ARP */
	f[14] = 0, f[15] = 1; /* Ethernet */
	f[16] = 0x08, f[17] = 0x00; /* IPv4 */
	f[18] = 6, f[19] = 4;
	f[20] = 0, f[21] = 1; /* request */
	memcpy(f + 22, mac, 6);
	memcpy(f + 28, &s, 4);
	memcpy(f + 38, &d, 4);
	memset(ll.sll_addr, 0xff, 6);
	for (long i = 0; i < n; i++)
		if (sendto(fd, f, sizeof(f), 0, (struct sockaddr *)&ll, sizeof(ll)) != sizeof(f))
			return die("sendto");
	printf("sent=%ld\n", n);
	close(fd);
	return 0;
}

static int cmd_raw(const char *dev, const char *dst, const char *type, long n)
{
	struct sockaddr_ll ll;
	uint8_t f[60], mac[6];
	unsigned int m[6];
	long et = num(type);
	int fd;

	if (sscanf(dst, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6 ||
	    et > 0xffff) {
		fprintf(stderr, "linkpkt raw: bad MAC or EtherType\n");
		return 2;
	}
	fd = packet_socket(dev, &ll, mac);
	if (fd < 0)
		return die(dev);
	memset(f, 0, sizeof(f));
	for (int i = 0; i < 6; i++)
		f[i] = (uint8_t)m[i];
	memcpy(f + 6, mac, 6);
	f[12] = (uint8_t)(et >> 8), f[13] = (uint8_t)et;
	memcpy(ll.sll_addr, f, 6);
	for (long i = 0; i < n; i++)
		if (sendto(fd, f, sizeof(f), 0, (struct sockaddr *)&ll, sizeof(ll)) != sizeof(f))
			return die("sendto");
	printf("sent=%ld\n", n);
	close(fd);
	return 0;
}

static int tcx_query(int ifindex, uint32_t type, uint32_t *ids, uint32_t cap)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.query.target_fd = (uint32_t)ifindex; /* target_ifindex in 6.6 */
	a.query.attach_type = type;
	a.query.prog_ids = (uint64_t)(unsigned long)ids;
	a.query.prog_cnt = cap;
	if (sys_bpf(BPF_PROG_QUERY, &a))
		return -errno;
	return (int)a.query.prog_cnt;
}

static int cmd_tcx(const char *dev)
{
	int ifindex = (int)if_nametoindex(dev);
	uint32_t in[64], out[64];
	int ni, no;

	if (!ifindex)
		return die(dev);
	ni = tcx_query(ifindex, TCX_INGRESS, in, 64);
	no = tcx_query(ifindex, TCX_EGRESS, out, 64);
	if (ni < 0 || no < 0) {
		fprintf(stderr, "linkpkt tcx: BPF_PROG_QUERY: %s\n", strerror(ni < 0 ? -ni : -no));
		return 1;
	}
	printf("ingress=%d egress=%d ids=", ni, no);
	for (int i = 0; i < ni && i < 64; i++)
		printf("%s%u", i ? "," : "", in[i]);
	for (int i = 0; i < no && i < 64; i++)
		printf("%s%u", ni || i ? "," : "", out[i]);
	printf("\n");
	return 0;
}

static int cmd_xdp_attach(const char *dev)
{
	static const struct bpf_insn pass[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		char attrs[64];
	} req;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct bpf_prog_info info;
	union bpf_attr a;
	struct rtattr *xdp, *at;
	char resp[4096];
	int pfd, fd, ifindex = (int)if_nametoindex(dev);
	uint32_t flags = XDP_FLAGS_SKB_MODE;

	if (!ifindex)
		return die(dev);
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_XDP;
	a.insns = (uint64_t)(unsigned long)pass;
	a.insn_cnt = 2;
	a.license = (uint64_t)(unsigned long)"GPL";
	snprintf(a.prog_name, sizeof(a.prog_name), "someone_xdp");
	pfd = sys_bpf(BPF_PROG_LOAD, &a);
	if (pfd < 0)
		return die("BPF_PROG_LOAD");
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_type = RTM_SETLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.ifi.ifi_family = AF_UNSPEC;
	req.ifi.ifi_index = ifindex;
	xdp = (struct rtattr *)req.attrs;
	xdp->rta_type = IFLA_XDP | NLA_F_NESTED;
	at = (struct rtattr *)((char *)xdp + RTA_LENGTH(0));
	at->rta_type = IFLA_XDP_FD;
	at->rta_len = RTA_LENGTH(sizeof(int));
	memcpy(RTA_DATA(at), &pfd, sizeof(int));
	at = (struct rtattr *)((char *)at + RTA_ALIGN(at->rta_len));
	at->rta_type = IFLA_XDP_FLAGS;
	at->rta_len = RTA_LENGTH(sizeof(flags));
	memcpy(RTA_DATA(at), &flags, sizeof(flags));
	xdp->rta_len = (unsigned short)(RTA_LENGTH(0) + 2 * RTA_ALIGN(RTA_LENGTH(4)));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifi)) + RTA_ALIGN(xdp->rta_len);
	fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	if (fd < 0 ||
	    sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    recv(fd, resp, sizeof(resp), 0) < 0)
		return die("RTM_SETLINK");
	{
		struct nlmsghdr *h = (struct nlmsghdr *)resp;
		struct nlmsgerr *e = NLMSG_DATA(h);

		if (h->nlmsg_type == NLMSG_ERROR && e->error) {
			fprintf(stderr, "linkpkt xdp-attach: %s\n", strerror(-e->error));
			return 1;
		}
	}
	memset(&info, 0, sizeof(info));
	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = (uint32_t)pfd;
	a.info.info_len = sizeof(info);
	a.info.info = (uint64_t)(unsigned long)&info;
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a))
		return die("BPF_OBJ_GET_INFO_BY_FD");
	printf("id=%u\n", info.id);
	return 0;
}

static int cmd_testrun(long id, long n, long ifindex, long segs, const char *hex)
{
	uint8_t data[256];
	struct __sk_buff ctx;
	union bpf_attr a;
	size_t len = strlen(hex) / 2;
	int fd;

	if (strlen(hex) % 2 || len < 14 || len > sizeof(data)) {
		fprintf(stderr, "linkpkt testrun: want 14 to %zu bytes of hex\n", sizeof(data));
		return 2;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned int b;

		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			return 2;
		data[i] = (uint8_t)b;
	}
	memset(&a, 0, sizeof(a));
	a.prog_id = (uint32_t)id;
	fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
	if (fd < 0)
		return die("BPF_PROG_GET_FD_BY_ID");
	memset(&ctx, 0, sizeof(ctx));
	ctx.ifindex = (uint32_t)ifindex;
	ctx.gso_segs = (uint32_t)segs;
	memset(&a, 0, sizeof(a));
	a.test.prog_fd = (uint32_t)fd;
	a.test.data_in = (uint64_t)(unsigned long)data;
	a.test.data_size_in = (uint32_t)len;
	a.test.ctx_in = (uint64_t)(unsigned long)&ctx;
	a.test.ctx_size_in = sizeof(ctx);
	a.test.repeat = (uint32_t)n;
	if (sys_bpf(BPF_PROG_TEST_RUN, &a))
		return die("BPF_PROG_TEST_RUN");
	printf("retval=%d runs=%ld\n", (int)a.test.retval, n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "ping"))
		return cmd_ping(argv[2], num(argv[3]), argc > 4 ? num(argv[4]) : 56,
				argc > 5 && !strcmp(argv[5], "DF"));
	if (argc == 6 && !strcmp(argv[1], "arp"))
		return cmd_arp(argv[2], argv[3], argv[4], num(argv[5]));
	if (argc == 6 && !strcmp(argv[1], "raw"))
		return cmd_raw(argv[2], argv[3], argv[4], num(argv[5]));
	if (argc == 3 && !strcmp(argv[1], "tcx"))
		return cmd_tcx(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "xdp-attach"))
		return cmd_xdp_attach(argv[2]);
	if (argc == 7 && !strcmp(argv[1], "testrun"))
		return cmd_testrun(num(argv[2]), num(argv[3]), num(argv[4]), num(argv[5]), argv[6]);
	fprintf(stderr, "usage: see the comment at the top of tests/helpers/linkpkt.c\n");
	return 2;
}
