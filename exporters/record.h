/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef OSISCOPE_RECORD_H
#define OSISCOPE_RECORD_H

/*
 * One event, decoded and enriched (user/enrich.c), typed for the exporters: addresses,
 * numbers and names stay values here and are formatted only by exporters/events.c. A
 * collector fills the fields that are its own with the record_* helpers below.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RECORD_MAX_FIELDS 10
#define RECORD_TEXT 512 /* bytes for the text of all fields of one record */

/* An endpoint: family 0 when the event has none. */
struct record_addr {
	uint16_t family; /* AF_INET (2) or AF_INET6 (10) */
	uint16_t port;
	bool has_port;
	uint8_t addr[16]; /* IPv4 in the first 4 bytes */
};

enum record_kind {
	RECORD_STR, /* text: key=text */
	RECORD_QUOTED, /* text that may hold spaces: key="text" */
	RECORD_UINT, /* key=123 */
	RECORD_ERRNO, /* key=ECONNREFUSED, or the number for an errno without a name */
	RECORD_IP, /* key=192.0.2.1 */
	RECORD_MAC, /* key=aa:bb:cc:dd:ee:ff */
	RECORD_SECONDS, /* key=0.001234s, with prec decimals */
};

struct record_field {
	const char *key; /* static */
	enum record_kind kind;
	uint8_t len; /* RECORD_MAC: bytes; RECORD_SECONDS: decimals; RECORD_IP: family */
	const char *text; /* RECORD_STR, RECORD_QUOTED: in the record's text */
	uint64_t u; /* RECORD_UINT, RECORD_ERRNO */
	double seconds;
	uint8_t bytes[32]; /* RECORD_IP, RECORD_MAC */
};

struct event_record {
	uint64_t ts_ns; /* CLOCK_MONOTONIC, as bpf_ktime_get_ns() */
	uint64_t cgroup_id;
	uint32_t netns;
	uint32_t pid;
	uint32_t ifindex;
	const char *collector; /* "tcp" */
	const char *osi; /* "l4" */
	const char *type; /* "reset_sent", ... */
	char comm[17];
	struct record_addr src, dst;
	const char *state; /* static name, or NULL */
	char device[16]; /* interface name, where the event has one */
	/* Kubernetes: the pod's namespace and name, and the container, where the node's
	 * files tell them (user/k8s.h); "" otherwise */
	char namespace[64];
	char pod[254];
	char container[254];
	struct record_field fields[RECORD_MAX_FIELDS]; /* the detail, in order */
	unsigned int nfields;
	bool mark_cut; /* a detail too long to show ends in "..." (else it is cut plainly) */
	char text[RECORD_TEXT];
	size_t textlen;
};

void record_addr_set(struct record_addr *a, unsigned int family, const void *addr, bool has_port,
		     unsigned int port);
/* Each adds one field to the detail; a field past RECORD_MAX_FIELDS, or text past
 * RECORD_TEXT, is cut without a mark. */
void record_str(struct event_record *r, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void record_quoted(struct event_record *r, const char *key, const char *text);
void record_uint(struct event_record *r, const char *key, uint64_t v);
void record_errno(struct event_record *r, const char *key, int err);
void record_ip(struct event_record *r, const char *key, unsigned int family, const void *addr);
void record_mac(struct event_record *r, const char *key, const uint8_t *mac, size_t len);
void record_seconds(struct event_record *r, const char *key, double s, unsigned int decimals);

/* "192.0.2.1:80" / "[2001:db8::1]:80", or the address alone; "" for none. Returns out. */
const char *record_addr_text(const struct record_addr *a, char *out, size_t len);
/* The name of an errno value events carry ("EHOSTUNREACH"), or NULL. */
const char *record_errno_name(int err);

#endif
