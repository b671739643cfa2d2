/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef OSISCOPE_PROBLEMS_H
#define OSISCOPE_PROBLEMS_H

/*
 * The problem engine of diagnose: pure logic over the events of a window and a few
 * device readings, no BPF (unit-tested in tests/unit/test_problems.c).
 *
 * Events are grouped per network namespace, peer (address, port, DNS name) and device,
 * then linked along the OSI stack: a group that a lower one explains (connects to X
 * failing after ARP for X failed) becomes a symptom of it, so each fault is reported
 * once, at its layer, with what it caused above. Drops the kernel makes in normal
 * operation (one table, diag_benign_table) are never problems on their own.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../exporters/record.h"

/* What the engine keeps of one event: small, so the agent's window stays cheap. */
struct diag_event {
	uint64_t ts_ns; /* CLOCK_MONOTONIC */
	uint32_t netns;
	uint32_t pid;
	const char *collector; /* static: "tcp" */
	const char *type; /* static: "connect_timeout" */
	const char *osi; /* static: the layer of the event ("l3" for a drop in IP) */
	struct record_addr src, dst;
	int err; /* tcp connect_*: the errno */
	uint32_t mtu; /* icmp_frag_needed_sent */
	char device[16];
	char comm[17];
	char state[15]; /* tcp state at the event ("SYN_SENT"), neigh state */
	char reason[96]; /* drop reason, TLS reason text, route kind, reset reason */
	char where[64]; /* drop location (symbol+offset); tls role */
	char proto[16]; /* drop: tcp, udp, icmp... */
	char name[256]; /* DNS question name */
};

/* Fills e from a decoded record (the one place that knows the collectors' field keys). */
void diag_event_from_record(struct diag_event *e, const struct event_record *r);

/* A device as the link collector reads it at the end of the window. */
struct diag_link {
	uint32_t netns;
	char device[16];
	bool admin_up; /* IFF_UP */
	bool carrier;
	uint64_t carrier_changes; /* within the window */
};

/* A kernel counter of a namespace that has no event, as its change in the window. */
struct diag_count {
	uint32_t netns;
	/* "no_route_ipv4", "no_route_ipv6" (IpOutNoRoutes), "icmp_unreach_CODE" (ICMP
	 * destination unreachable sent), "udp_no_port_ipv4", "udp_no_port_ipv6" (UdpNoPorts) */
	char what[24];
	uint64_t delta;
};

struct diag_input {
	const struct diag_event *ev; /* in time order */
	size_t nev;
	const struct diag_link *links;
	size_t nlinks;
	const struct diag_count *counts;
	size_t ncounts;
	uint64_t start_ns, end_ns; /* the window (CLOCK_MONOTONIC) */
};

#define DIAG_LINES 6 /* evidence and symptom lines kept per problem */
#define DIAG_LINE 200

struct diag_problem {
	const char *layer; /* "l1".."l7": where the fault is */
	const char *collector; /* whose events show it */
	const char *cause; /* short stable id: "neigh_failed" */
	uint32_t netns;
	char namespace[64], pod[64]; /* Kubernetes, when the namespace is a pod's */
	char device[16];
	char target[272]; /* address, address:port or DNS name */
	uint64_t count; /* events of the fault itself */
	uint64_t affected; /* count plus what its symptoms count: the order of the report */
	uint64_t first_ns, last_ns;
	uint32_t pid; /* a process of the namespace, for the check command; 0 unknown */
	char summary[256];
	char check[320]; /* the command that confirms it */
	char evidence[DIAG_LINES][DIAG_LINE];
	unsigned int nevidence;
	char symptoms[DIAG_LINES][DIAG_LINE];
	unsigned int nsymptoms;
	uint64_t more_evidence, more_symptoms; /* lines that did not fit */
};

struct diag_result {
	struct diag_problem *v;
	size_t n;
	uint64_t benign; /* drops the benign table matched */
};

/* Groups, links and orders; out is owned by the caller (diag_result_free). 0 or -ENOMEM. */
int diag_analyze(const struct diag_input *in, struct diag_result *out);
void diag_result_free(struct diag_result *r);

/* One kind of drop the kernel makes in normal operation. */
struct diag_benign {
	const char *reason; /* drop reason name, without SKB_DROP_REASON_ */
	const char *where; /* location symbol it must be in, or NULL for any */
	const char *why; /* why it is normal, from the kernel source */
	bool (*cond)(const struct diag_event *e); /* and only when this holds, if set */
};
extern const struct diag_benign diag_benign_table[];
extern const size_t diag_benign_count;
/* The entry that makes this drop event normal, or NULL. */
const struct diag_benign *diag_benign_match(const struct diag_event *e);

#endif
