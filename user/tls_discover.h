/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * TLS layer: finding every OpenSSL on the host. A uprobe belongs to a file (inode),
 * and one attachment with pid -1 covers every process that maps the file, now or
 * later. So the unit here is the distinct library file, by (device, inode) as the
 * kernel's mappings show it, from three sources:
 *
 *  - the library directories (/usr/lib/<triplet>, /lib, ...) of every mount namespace
 *    a process is in, through /proc/PID/root: a short-lived client that loads the
 *    distribution's or a container image's libssl is covered before it starts;
 *  - /proc/PID/maps of each new process: libssl/libcrypto at other paths, opened
 *    through /proc/PID/map_files so that a deleted (upgraded) file still is the one;
 *  - each new executable's own symbols: OpenSSL linked in statically.
 *
 * A file is dropped (and its probes released) once no process of the last scan maps
 * it, no live namespace's library directory holds it, and it is no longer at the path
 * a process had it at (deleted, replaced, or that mount namespace is gone).
 */
#ifndef OSISCOPE_TLS_DISCOVER_H
#define OSISCOPE_TLS_DISCOVER_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tls.h"
#include "tls_elf.h"

#define TLS_KIND_SSL 0x1 /* has SSL_do_handshake: libssl, or OpenSSL linked in */
#define TLS_KIND_CRYPTO 0x2 /* has ERR_vset_error (3.x) or ERR_put_error (1.1) */
#define TLS_KIND_EXE 0x4 /* found as a process's executable */

struct tls_file {
	struct tls_file_key key; /* what the mappings show: what uprobes attach to */
	unsigned int kind; /* TLS_KIND_*; 0: not OpenSSL (NSS's libssl3.so), never probed */
	char path[256]; /* as the process or namespace it was found in sees it */
	unsigned int mappers; /* processes of the last scan that map it */
	unsigned int ondisk; /* library directories of live mount namespaces holding it */
	/* where a process had it (maps, executable): kept while still there, so that the
	 * next short-lived run of the same program is covered from its start */
	bool has_src;
	uint32_t src_mntns;
	struct tls_file_key src_stat; /* what stat() of the path gave */
	uint32_t mntns; /* mount namespace it was found in, for the quota */
	void *attach; /* the layer's attachment */
	unsigned int nprobes; /* uprobes attached */
};

struct tls_disc_ops {
	/* Probe f; path opens it ("/proc/self/fd/N", valid during the call). */
	void (*attach)(void *ctx, struct tls_file *f, const char *path,
		       const struct tls_sym syms[TLS_SYM_COUNT]);
	void (*detach)(void *ctx, struct tls_file *f);
	/* The kernel side reports an exec unless its (mount namespace, executable) pair
	 * was looked at (bpf/tls.bpf.c): exec_seen says one was, exec_forget that the
	 * pairs of a namespace (exe NULL) or of an executable (mntns 0) are to be reported
	 * again. exe: the file as the kernel's inode shows it. */
	void (*exec_seen)(void *ctx, uint32_t mntns, const struct tls_file_key *exe);
	void (*exec_forget)(void *ctx, uint32_t mntns, const struct tls_file_key *exe);
	/* A namespace's library directories are scanned (or it is gone): a record of an
	 * exec there need not wake the agent unless the program may hold OpenSSL. */
	void (*ns_scanned)(void *ctx, uint32_t inode, bool scanned);
};

struct tls_proc;
struct tls_mntns;
struct tls_exe;

struct tls_disc {
	const struct tls_disc_ops *ops;
	void *ctx;
	struct tls_proc *procs; /* the last listing of /proc, by pid */
	size_t nprocs, capprocs;
	struct tls_mntns **ns;
	size_t nns, capns;
	struct tls_file **files;
	size_t nfiles, capfiles;
	struct tls_exe *exes; /* executables looked at, by the inode stat() shows */
	size_t nexes, capexes;
	uint32_t *rescan; /* pids that exec'ed since their last scan */
	size_t nrescan, caprescan;
	size_t nssl, nother; /* files[] with kind != 0, == 0 */
	uint32_t self_mntns; /* the agent's: no quota */
	bool full_warned;
};

/* Runs fn(ctx), which reads a mapped file: -EFAULT instead of the process's death when
 * the file shrank under it and a page read past its end (SIGBUS), else 0. */
int tls_read_guarded(void (*fn)(void *ctx), void *ctx);

void tls_disc_init(struct tls_disc *d, const struct tls_disc_ops *ops, void *ctx);
/* Detaches everything and frees. */
void tls_disc_free(struct tls_disc *d);

/*
 * Lists /proc, scans at most budget new processes (0: all; the rest wait for the next
 * call), rescans those that exec'ed (at two calls), rechecks every namespace's library
 * directories (a changed directory mtime: a library installed or replaced) and drops the
 * files no one holds. Processes that vanish meanwhile are skipped, not errors.
 */
void tls_disc_scan(struct tls_disc *d, unsigned int budget);

/* A record of the kernel side's (a process exec'ed a pair not looked at yet): scans
 * that namespace's directories if it is new (or its number was given to a new one) and
 * that executable if it is new, now, and the process's mappings at the next two
 * tls_disc_scan calls (its libraries are not loaded yet, or not all); then marks the
 * pair seen, unless its namespace or its executable could not be looked at (the process
 * gone first, and no earlier run of the program looked at). */
void tls_disc_on_exec(struct tls_disc *d, const struct tls_disc_event *e);

/* Namespaces being watched, for logs and tests. */
size_t tls_disc_mntns_count(const struct tls_disc *d);

#endif
