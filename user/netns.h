/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef OSISCOPE_NETNS_H
#define OSISCOPE_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Network namespaces on the host: every one that a process is in (/proc/PID/ns/net)
 * or that is bind-mounted where ip-netns, Docker and CNI plugins keep them. A
 * namespace held only by an open file descriptor elsewhere is not found.
 */
struct netns_entry {
	uint32_t inode;
	char path[64]; /* something to open() for setns(): /proc/PID/ns/net or a mount */
};

struct netns_pid {
	uint32_t pid, inode;
	uint64_t dino; /* of /proc/PID: a reused pid comes with a new procfs inode */
	uint32_t first_s; /* CLOCK_MONOTONIC second the scans first saw it */
	bool looked; /* its namespace read by this scan, not taken from the last: what
		      * depends on where a process is (its cgroup) is worth reading again */
};

struct netns_list {
	struct netns_entry *v;
	size_t n, cap;
	/* each process's namespace from the previous scan, by pid: a process seen before
	 * is mostly not looked up again, see netns_recheck() */
	struct netns_pid *pids, *next;
	size_t npids, cappids, capnext;
	uint64_t scans;
};

/*
 * Whether a scan looks again at a process it saw before. A process moves after it was
 * first seen: `ip netns exec`, nsenter and a container runtime's init join a namespace
 * (and the runtime a cgroup) a moment after the fork, and a scan may fall in between.
 * Young processes (first seen less than NETNS_YOUNG_S ago) are looked at on every scan,
 * and every other one on one scan in NETNS_RECHECK_EVERY: each scan reads about
 * 1/NETNS_RECHECK_EVERY of the old ones, and a move is seen within that many scans.
 */
#define NETNS_YOUNG_S 10
#define NETNS_RECHECK_EVERY 16
bool netns_recheck(uint32_t pid, uint64_t scan, uint32_t first_s, uint32_t now_s);

int netns_scan(struct netns_list *list);
void netns_list_free(struct netns_list *list);
uint32_t netns_self(void);

/* Runs fn inside the namespace on the calling thread, then returns to the thread's
 * own namespace. -errno if the namespace cannot be entered (it may just have gone). */
int netns_run(const struct netns_entry *ns, int (*fn)(void *ctx), void *ctx);

/*
 * Which namespaces the agent has seen, for telling when one is gone (two scans in a row
 * without it) or replaced (its inode names a new namespace now: the kernel reuses them
 * at once).
 */
struct known_netns {
	uint32_t inode;
	unsigned int absent; /* scans in a row that did not find it */
	uint64_t id; /* netns_id(): inodes are reused at once, these never; 0 unknown */
};

struct netns_tracker {
	struct known_netns *known;
	size_t nknown, capknown;
};

/* Called for a namespace that is gone, or with renew when its inode names a new one. */
typedef void (*netns_gone_fn)(void *ctx, uint32_t inode, bool renew);

/* A namespace found elsewhere than by a scan (in a kernel map): if no scan finds it, the
 * next one forgets it. */
void netns_tracker_note(struct netns_tracker *t, uint32_t inode);
/* After a successful scan: fn for every namespace gone, which is then forgotten. */
void netns_tracker_scan_done(struct netns_tracker *t, const struct netns_list *list,
			     netns_gone_fn fn, void *ctx);
/* The namespace of inode has identity id now (netns_id(), 0 if unknown): fn with renew
 * when it is not the namespace known under that inode before. */
void netns_tracker_check_id(struct netns_tracker *t, uint32_t inode, uint64_t id, netns_gone_fn fn,
			    void *ctx);
/* The cookie of the namespace known under inode, as its last visit read it: 0 if unknown,
 * or if netns_id() gives another kind of identity (before v5.14). */
uint64_t netns_tracker_cookie(const struct netns_tracker *t, uint32_t inode);
void netns_tracker_free(struct netns_tracker *t);

/* TCP sockets of the current namespace, IPv4 and IPv6, from NETLINK_SOCK_DIAG (the
 * source ss reads), by kind and state (index = kernel TCP state, 1..12): full sockets;
 * timewait ones by their substate (TIME_WAIT, or FIN_WAIT2 for an orphan, which ss
 * shows as FIN-WAIT-2); request sockets (ss's SYN-RECV). A dump walks every socket of
 * the host, whatever its namespace. hidden_only: timewait and request sockets only
 * (what no state change tells). v4, v6: the families to dump. */
#define TCP_STATE_MAX 13
struct tcp_dump {
	uint64_t full[TCP_STATE_MAX];
	uint64_t tw[TCP_STATE_MAX];
	uint64_t req;
};
int sockdiag_tcp_dump(struct tcp_dump *d, bool hidden_only, bool v4, bool v6);
/* The current namespace's /proc/net/sockstat{,6}: hashed TCP sockets of each family (all
 * states but timewait) and timewait sockets of both. */
int sockstat_tcp(uint64_t *inuse4, uint64_t *inuse6, uint64_t *tw);
/* Adds the sockets of one sock_diag reply datagram to d: nl_walk()'s result. */
int sockdiag_parse(const void *buf, size_t len, struct tcp_dump *d);
/* In a sockstat file (path), the number after key on the line starting with prefix
 * ("TCP:", " inuse "). 0, -ENOENT when no such line, or -errno of the open. */
int sockstat_field(const char *path, const char *prefix, const char *key, uint64_t *v);
extern const char *const tcp_state_names[TCP_STATE_MAX];

/* Reads counters of one group of /proc/thread-self/net/{netstat,snmp} in the current
 * namespace, e.g. ("TcpExt", {"ListenOverflows", "ListenDrops"}): one pass over the
 * files. Returns how many of the n names were found (v[i] set for those). */
int mib_read(const char *group, const char *const *names, uint64_t *v, size_t n);
/* The same, calling fn for every counter of the group; returns how many. */
int mib_read_each(const char *group,
		  void (*fn)(void *ctx, const char *name, size_t nlen, uint64_t v), void *ctx);
/* Each file is read once per visit (netns_run) and shared by every mib_read() in it;
 * call this to read afresh within a visit. */
void mib_invalidate(void);
/* The namespace's /proc/net/snmp6, read once per visit like the others; NULL without
 * IPv6. */
const char *mib_snmp6_text(void);
/* /proc/net/snmp6 and dev_snmp6/DEV are "Name   value" lines: calls fn for each one
 * (within len bytes) whose value is an unsigned decimal that fits in 64 bits; other
 * lines are skipped. Returns how many lines went to fn. */
int mib_pairs(const char *text, size_t len,
	      void (*fn)(void *ctx, const char *name, size_t nlen, uint64_t v), void *ctx);

#endif
