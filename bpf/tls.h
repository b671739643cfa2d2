/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* TLS layer (L6, OpenSSL): structures shared by bpf/tls.bpf.c and user/tls.c. */
#ifndef OSISCOPE_TLS_H
#define OSISCOPE_TLS_H

#include "common.h"

enum tls_role {
	TLS_ROLE_UNKNOWN = 0, /* the SSL object was set up before its library was probed */
	TLS_ROLE_CLIENT = 1, /* SSL_set_connect_state, also called by SSL_connect */
	TLS_ROLE_SERVER = 2, /* SSL_set_accept_state, also called by SSL_accept */
	TLS_ROLES,
};

/* Failure reasons of our own, with lib 0 (OpenSSL numbers its libraries from 1). */
enum tls_reason {
	TLS_REASON_NONE_RAISED = 1, /* the handshake returned failure without raising an error */
	TLS_REASON_INCOMPLETE = 2, /* SSL_free before the handshake finished or failed */
};

/* Key of the per-CPU handshake statistics. */
struct tls_key {
	__u64 cgroup_id; /* cgroup v2 id of the task (bpf_get_current_cgroup_id) */
	char comm[COMM_LEN]; /* process name: the thread group leader's comm */
	__u16 version; /* negotiated protocol of ok handshakes (0x0304 = TLS 1.3), 0 if none */
	__u8 role; /* enum tls_role */
	__u8 __pad[5];
};

_Static_assert(sizeof(struct tls_key) == 32, "tls_key layout");

struct tls_stats {
	/* per CPU, atomic increments: see bpf/tls.bpf.c */
	__u64 ok; /* SSL_do_handshake returned 1 (its uretprobe) */
	__u64 unobserved; /* SSL_free of an object with a role that never called SSL_do_handshake */
	__u64 bytes_received; /* SSL_read/SSL_read_ex, --tls.data-path only */
	__u64 bytes_sent; /* SSL_write/SSL_write_ex, --tls.data-path only */
	__u64 sum_ns; /* of ok handshakes: first SSL_do_handshake call to its return of 1 */
	__u64 hist[HIST_SLOTS]; /* the same in microseconds, log2 slots */
};

/* Key of the per-CPU failure counters (value: __u64 count). */
struct tls_fail_key {
	__u64 cgroup_id;
	char comm[COMM_LEN];
	__u32 lib; /* OpenSSL error library (ERR_LIB_SSL, ...), 0 for enum tls_reason */
	__u32 reason; /* OpenSSL reason code as raised, or enum tls_reason */
	__u8 role;
	__u8 __pad[7];
};

_Static_assert(sizeof(struct tls_fail_key) == 40, "tls_fail_key layout");

enum tls_event_type {
	TLS_EV_HANDSHAKE_FAILED = 1,
	TLS_EV_HANDSHAKE_INCOMPLETE,
};

/* Ring-buffer record of a failed handshake: largest fields first, fixed size. */
struct tls_event {
	struct event_hdr
		hdr; /* type: enum tls_event_type; netns: of the socket, else of the process */
	__u8 saddr[16]; /* local address of the connection's socket, IPv4 in the first 4 bytes */
	__u8 daddr[16]; /* peer address */
	__u32 lib;
	__u32 reason;
	__u16 sport; /* host byte order, 0 when the socket is unknown */
	__u16 dport;
	__u16 family; /* AF_INET or AF_INET6, 0 when the socket is unknown */
	__u8 role;
	__u8 __pad[1];
};

_Static_assert(sizeof(struct tls_event) == 96, "tls_event layout");

/* A file as the kernel knows it: the superblock's dev_t (MKDEV: major << 20 | minor,
 * what /proc/PID/maps prints as major:minor) and the inode number. */
struct tls_file_key {
	__u64 ino;
	__u32 dev;
	__u32 __pad;
};

_Static_assert(sizeof(struct tls_file_key) == 16, "tls_file_key layout");

/*
 * The exec hook's table of (mount namespace, executable) pairs userspace has looked at:
 * an exec of a pair in it costs the hook one cache line, any other is reported. Only
 * userspace writes it. A set is one array element; its ways are 64-bit fingerprints of
 * pairs (tls_exec_fp), scanned from way exec_way0 on (the ways in one cache line
 * first: see user/tls.c). 256 sets of 64 bytes keep the array under the size the kernel
 * takes from kmalloc, so its memory is in the direct map, not vmalloc's 4 KiB pages
 * (a TLB miss costs far more than the cache miss in a virtual machine).
 */
#define TLS_EXEC_SETS 256
#define TLS_EXEC_WAYS 8

struct tls_exec_set {
	__u64 fp[TLS_EXEC_WAYS]; /* 0: free */
};

/* A pair's fingerprint (never 0); its set is the low bits. Two pairs with the same
 * one (odds 2^-64 per pair) share their fate: the second is never reported, and the
 * periodic scan finds its process. */
static inline __u64 tls_exec_fp(__u32 mntns, __u32 dev, __u64 ino)
{
	__u64 h = (ino ^ (((__u64)dev << 32 | mntns) * 0xC2B2AE3D27D4EB4FULL)) *
		  0x9E3779B97F4A7C15ULL;

	h ^= h >> 29;
	h *= 0xBF58476D1CE4E5B9ULL;
	h ^= h >> 32;
	return h ? h : 1;
}

/*
 * Mount namespaces userspace has scanned (their library directories), by inode number,
 * for the exec hook to tell whether a record must wake userspace at once: a set is one
 * array element of TLS_NS_WAYS numbers (0: free), chosen by tls_ns_set. Only userspace
 * writes it.
 */
#define TLS_NS_SETS 256
#define TLS_NS_WAYS 16

struct tls_ns_set {
	__u32 inum[TLS_NS_WAYS];
};

static inline __u32 tls_ns_set(__u32 inum)
{
	return (__u32)(((__u64)inum * 0x9E3779B97F4A7C15ULL) >> 56) & (TLS_NS_SETS - 1);
}

/* A program smaller than this cannot have OpenSSL's TLS code linked in (libssl.so.3
 * alone is some 700 KiB; a static TLS client with libcrypto 4 MiB): its record need not
 * wake userspace. */
#define TLS_EXE_MIN_OPENSSL (256 * 1024)

/* Exec record, from sched_process_exec: a pair not in the table. */
struct tls_disc_event {
	__u64 exe_ino;
	__u32 exe_dev;
	__u32 mntns;
	__u32 pid;
	__u32 __pad;
};

_Static_assert(sizeof(struct tls_disc_event) == 24, "tls_disc_event layout");

#endif
