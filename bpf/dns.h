/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* DNS layer (L7): structures shared by bpf/dns.bpf.c and user/dns.c. */
#ifndef OSISCOPE_DNS_H
#define OSISCOPE_DNS_H

#include "common.h"

#define DNS_PORT 53
#define DNS_HDR_LEN 12
/* RFC 1035 3.1: a name is at most 255 bytes on the wire, root label included */
#define DNS_NAME_MAX 255
/* Bytes of a question's name kept for events: longer names are shown cut. */
#define DNS_NAME_COPY 128
/* The 4-bit header RCODE (extended RCODEs live in EDNS and are not read). */
#define DNS_RCODES 16

enum dns_direction {
	DNS_DIR_TRANSMIT = 0, /* sent by a socket of the namespace: queries */
	DNS_DIR_RECEIVE = 1, /* received by one: responses */
	DNS_DIRS,
};

/* Per network namespace, per CPU: userspace sums the CPUs. Counted from the client's
 * side: queries sent by sockets of the namespace and the responses they receive. */
struct dns_netns_stats {
	__u64 responses[DNS_RCODES]; /* by header RCODE */
	__u64 malformed[DNS_DIRS]; /* port-53 packets that are no DNS query / response */
	__u64 queries_unlabelled; /* queries whose qtype found no room in dns_qtypes */
	__u64 timeouts; /* no response within the timeout */
	__u64 unmatched; /* responses with no query in flight */
	__u64 untracked_full; /* queries not followed: the in-flight table was full */
	__u64 untracked_in_flight; /* sent again (same id, addresses, ports) while in flight */
	__u64 truncated; /* responses with the TC bit: the client retries over TCP */
	__u64 latency_sum_ns;
	__u64 latency_hist[HIST_SLOTS]; /* query -> response, microseconds */
};

/* Queries by question type, per CPU. */
struct dns_qtype_key {
	__u32 netns;
	__u16 qtype;
	__u16 __pad;
};

/* A query in flight, seen from the client: matched by id and the 5-tuple (the protocol
 * is always UDP). */
struct dns_flow_key {
	__u8 client[16]; /* IPv4 in the first 4 bytes, the rest zero */
	__u8 server[16];
	__u32 netns;
	__u16 cport; /* host byte order */
	__u16 sport;
	__u16 id;
	__u16 family; /* AF_INET or AF_INET6 */
};

_Static_assert(sizeof(struct dns_flow_key) == 44, "dns_flow_key layout");

/*
 * A query in flight is found again by its client side only: the client's address, port
 * and query id. The server's side may be rewritten between the two hooks: the egress
 * hook runs after OUTPUT DNAT (Docker's 127.0.0.11:53 goes out to another port, a
 * ClusterIP to a pod), the ingress hook after conntrack has undone it.
 */
struct dns_query_key {
	__u8 client[16]; /* IPv4 in the first 4 bytes, the rest zero */
	__u32 netns;
	__u16 cport; /* host byte order */
	__u16 id;
	__u16 family;
	__u16 __pad;
};

_Static_assert(sizeof(struct dns_query_key) == 28, "dns_query_key layout");

struct dns_pending {
	__u64 ts_ns; /* bpf_ktime_get_ns() when the query left */
	__u64 cgroup_id; /* of the sending socket */
	__u8 server[16]; /* where it went, as it left (after any DNAT) */
	__u32 pid; /* tgid of the sender: UDP sends run in the sender's context */
	__u16 qtype;
	__u16 qname_len; /* wire length of the name, root label included */
	__u16 sport; /* the server's port */
	__u8 __pad[6];
	char comm[COMM_LEN];
};

_Static_assert(sizeof(struct dns_pending) == 64, "dns_pending layout");

/* The question's name of a query in flight, kept apart (and only while events are on)
 * so that the hot path's values stay small. */
struct dns_qname {
	__u8 b[DNS_NAME_COPY]; /* wire format */
};

enum dns_event_type {
	DNS_EV_NXDOMAIN = 1,
	DNS_EV_SERVFAIL,
	DNS_EV_REFUSED,
	DNS_EV_TIMEOUT,
};

/* An event's name is the one the client asked for, from the query in flight: a server,
 * or a spoofer that guessed id and port, cannot make it name a domain never asked for. */
enum dns_name_src {
	DNS_NAME_SRC_QUERY = 0, /* the query's, and the response repeated it */
	DNS_NAME_SRC_DIFFERS = 1, /* the query's; the response's question was another */
	DNS_NAME_SRC_RESPONSE = 2, /* no query's name known: the response's own */
};

/* Ring-buffer record: largest fields first, explicit padding, fixed size. */
struct dns_event {
	/* type: enum dns_event_type; cgroup_id: of the querying socket; pid/comm: the task
	 * that sent the query */
	struct event_hdr hdr;
	__u64 latency_ns; /* query to response, or age of the query when it timed out */
	__u8 client[16]; /* IPv4 in the first 4 bytes */
	__u8 server[16];
	__u16 cport; /* host byte order */
	__u16 sport;
	__u16 family; /* AF_INET or AF_INET6 */
	__u16 qtype;
	__u16 qname_len; /* wire length of the whole name; 0: unknown */
	__u16 id;
	__u8 rcode; /* of the response; for a timeout, of a late response if one came */
	__u8 late; /* timeout: a response did come, after the timeout */
	__u8 name_src; /* enum dns_name_src: where qname and qtype come from */
	__u8 __pad;
	__u8 qname[DNS_NAME_COPY]; /* wire format, the first qname_len bytes (at most 128) */
};

_Static_assert(sizeof(struct dns_event) == 232, "dns_event layout");

#ifndef __bpf__
#include <stddef.h>
#include <stdint.h>

/*
 * Userspace helpers of user/dns.c, unit-tested in tests/unit/test_dns.c.
 *
 * dns_name_to_text() turns a wire-format name (as copied by the kernel: possibly cut
 * short at len bytes) into presentation text: labels joined by dots, "." for the root,
 * printable bytes as is, '.', '\\' and '"' escaped with a backslash, anything else as
 * \DDD. It never reads past wire + len nor writes past out + outlen (out is always
 * terminated when outlen > 0). Returns DNS_NAME_OK, DNS_NAME_CUT when the input or the
 * output ran out before the end of the name (the text then ends in "..."), or
 * DNS_NAME_BAD for what is not a question name: a compression pointer or reserved
 * label type, or a name over DNS_NAME_MAX bytes.
 */
enum { DNS_NAME_OK = 0, DNS_NAME_CUT = 1, DNS_NAME_BAD = -1 };
int dns_name_to_text(const uint8_t *wire, size_t len, char *out, size_t outlen);

/* Mnemonics of the protocol's own constants (IANA registries; not kernel-defined).
 * Unknown values come back as their decimal number, written into buf. */
const char *dns_qtype_name(uint16_t qtype, char *buf, size_t len);
const char *dns_rcode_name(uint8_t rcode, char *buf, size_t len);
#endif

#endif
