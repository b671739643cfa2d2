/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* TLS layer: parsing /proc/PID/maps, and OpenSSL's own names for what the kernel side
 * counts (pure functions: unit tested). */
#ifndef OSISCOPE_TLS_UTIL_H
#define OSISCOPE_TLS_UTIL_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tls.h"

/* One line of /proc/PID/maps. path points into the parsed line ("" if anonymous). */
struct tls_maps_entry {
	uint64_t start, end, offset;
	uint32_t dev; /* kernel dev_t: major << 20 | minor */
	uint64_t ino;
	char perms[5];
	const char *path;
};

/* Parses one line (a trailing newline is cut off in place). 0 or -EINVAL. */
int tls_maps_parse(char *line, struct tls_maps_entry *e);

#define TLS_LIB_SSL 1
#define TLS_LIB_CRYPTO 2
/* Whether a path names an OpenSSL library by its file name: libssl*.so* (libssl.so.3,
 * libssl.so.1.1, a bundled libssl-1a2b3c.so.3) or libcrypto*.so*; 0 otherwise.
 * NSS's libssl3.so also matches: its symbols then tell it apart. */
int tls_lib_kind(const char *path);

/* The kernel's dev_t of a major:minor pair, as BPF programs see inode->i_sb->s_dev. */
static inline uint32_t tls_kdev(unsigned int major, unsigned int minor)
{
	return (uint32_t)(major << 20) | (minor & 0xfffff);
}

/*
 * Userspace's copy of the exec hook's table (bpf/tls.h, exec_seen), with the pair
 * behind each fingerprint so that pairs can be forgotten by namespace or executable.
 * A full set gives up its ways in turn. Ways are taken from way0 on, the order the hook
 * scans them in.
 */
struct tls_exec_way {
	__u64 fp; /* 0: free */
	uint32_t mntns;
	struct tls_file_key exe;
};

struct tls_exec_table {
	struct tls_exec_way sets[TLS_EXEC_SETS][TLS_EXEC_WAYS];
	uint8_t evict[TLS_EXEC_SETS]; /* the next way a full set gives up */
	unsigned int way0;
	/* the namespaces scanned (bpf/tls.h, known_ns): a full set gives up its oldest */
	struct tls_ns_set ns[TLS_NS_SETS];
	uint8_t ns_evict[TLS_NS_SETS];
};

void tls_exec_table_init(struct tls_exec_table *t, unsigned int way0);
/* Adds the pair: the set that changed, or -1 if it was there already. */
int tls_exec_table_add(struct tls_exec_table *t, uint32_t mntns, const struct tls_file_key *exe);
/* Removes every pair of mntns (exe NULL) or of exe (mntns 0), calling changed() once per
 * set that changed. Returns how many pairs went. */
size_t tls_exec_table_forget(struct tls_exec_table *t, uint32_t mntns,
			     const struct tls_file_key *exe,
			     void (*changed)(void *ctx, unsigned int set), void *ctx);
/* A set as the kernel side holds it. */
void tls_exec_table_get(const struct tls_exec_table *t, unsigned int set, struct tls_exec_set *out);
/* Adds or removes a scanned namespace: the set of t->ns that changed, or -1. */
int tls_exec_table_ns(struct tls_exec_table *t, uint32_t inum, bool scanned);
/* Which way the hook scans first, for an array whose values start off bytes into a
 * 64-byte aligned allocation (struct bpf_array): the ways in the cache line holding
 * most of a 64-byte set. */
unsigned int tls_exec_way0(size_t off);

/* OpenSSL's name of a protocol version (SSL_get_version): "TLSv1.3", ...; "unknown"
 * for 0, "0x...." for anything OpenSSL does not name. */
const char *tls_version_name(unsigned int version, char *buf, size_t len);

/*
 * OpenSSL's text for an error (ERR_reason_error_string), e.g. lib ERR_LIB_SSL,
 * reason SSL_R_CERTIFICATE_VERIFY_FAILED -> "certificate verify failed", read from
 * the host's libssl.so.3 opened with dlopen on first use; "unknown" and "incomplete"
 * for the layer's own reasons (lib 0); "lib L reason R" when OpenSSL has no text or
 * the library cannot be opened.
 */
const char *tls_reason_text(uint32_t lib, uint32_t reason, char *buf, size_t len);

/* ERR_LIB_SSL of the OpenSSL headers the agent was built with. */
unsigned int tls_err_lib_ssl(void);

/*
 * Opens path (absolute, as a container sees it) inside the tree of rootfd (its
 * /proc/PID/root), following no symlink on the way and never going above rootfd: a
 * container's absolute symlink or ".." cannot lead the agent out of it. openat2 with
 * RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS (5.6+); else, or with walk set (tests), one
 * component at a time with O_NOFOLLOW, ".." refused. A trailing symlink opened with
 * O_PATH is the link itself: the caller checks what fstat() says. fd or -errno.
 */
int tls_open_in_root(int rootfd, const char *path, int flags, bool walk);

#endif
