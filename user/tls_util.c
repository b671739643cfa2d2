// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "tls_util.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

/* Headers only, for OpenSSL's constants and prototypes: the library itself is opened
 * at run time, so the agent runs on hosts without OpenSSL 3. */
#include <openssl/dtls1.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/tls1.h>

#include <linux/types.h>

#include "tls.h"

int tls_maps_parse(char *line, struct tls_maps_entry *e)
{
	unsigned long long start, end, off, ino;
	unsigned int maj, min;
	char perms[5];
	int pos = -1;
	size_t len;

	memset(e, 0, sizeof(*e));
	len = strlen(line);
	if (len && line[len - 1] == '\n')
		line[--len] = '\0';
	if (sscanf(line, "%llx-%llx %4s %llx %x:%x %llu %n", &start, &end, perms, &off, &maj, &min,
		   &ino, &pos) < 7 ||
	    pos < 0 || end < start || maj > 0xfff || min > 0xfffff)
		return -EINVAL;
	e->start = start;
	e->end = end;
	e->offset = off;
	e->dev = tls_kdev(maj, min);
	e->ino = ino;
	memcpy(e->perms, perms, sizeof(e->perms));
	e->path = line + pos;
	return 0;
}

int tls_lib_kind(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	if (!strncmp(base, "libssl", 6) && strstr(base + 6, ".so"))
		return TLS_LIB_SSL;
	if (!strncmp(base, "libcrypto", 9) && strstr(base + 9, ".so"))
		return TLS_LIB_CRYPTO;
	return 0;
}

const char *tls_version_name(unsigned int version, char *buf, size_t len)
{
	const char *name = NULL;

	switch (version) {
	case 0:
		name = "unknown";
		break;
	case TLS1_3_VERSION:
		name = "TLSv1.3";
		break;
	case TLS1_2_VERSION:
		name = "TLSv1.2";
		break;
	case TLS1_1_VERSION:
		name = "TLSv1.1";
		break;
	case TLS1_VERSION:
		name = "TLSv1";
		break;
	case SSL3_VERSION:
		name = "SSLv3";
		break;
	case DTLS1_VERSION:
		name = "DTLSv1";
		break;
	case DTLS1_2_VERSION:
		name = "DTLSv1.2";
		break;
	case DTLS1_BAD_VER:
		name = "DTLSv0.9";
		break;
	}
	if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "0x%04x", version);
	return buf;
}

unsigned int tls_err_lib_ssl(void)
{
	return ERR_LIB_SSL;
}

static struct {
	pthread_once_t once;
	__typeof__(ERR_reason_error_string) *reason_string;
} ossl = { PTHREAD_ONCE_INIT, NULL };

static void ossl_open(void)
{
	__typeof__(OPENSSL_init_ssl) *init;
	void *h = dlopen("libssl.so.3", RTLD_NOW | RTLD_LOCAL);

	if (!h)
		return;
	init = (__typeof__(init))dlsym(h, "OPENSSL_init_ssl");
	ossl.reason_string = (__typeof__(ossl.reason_string))dlsym(h, "ERR_reason_error_string");
	/* error strings are only there once loaded */
	if (!init || !init(OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS, NULL))
		ossl.reason_string = NULL;
}

const char *tls_reason_text(uint32_t lib, uint32_t reason, char *buf, size_t len)
{
	const char *s = NULL;

	if (lib == 0) {
		switch (reason) {
		case TLS_REASON_NONE_RAISED:
			s = "unknown";
			break;
		case TLS_REASON_INCOMPLETE:
			s = "incomplete";
			break;
		}
	} else {
		pthread_once(&ossl.once, ossl_open);
		if (ossl.reason_string)
			s = ossl.reason_string(ERR_PACK(lib, 0, reason));
	}
	if (s)
		snprintf(buf, len, "%s", s);
	else
		snprintf(buf, len, "lib %" PRIu32 " reason %" PRIu32, lib, reason);
	return buf;
}

static int open_walk(int rootfd, const char *path, int flags)
{
	char comp[NAME_MAX + 1];
	int cur = rootfd;

	for (const char *p = path;;) {
		const char *end;
		size_t len;
		int next;

		while (*p == '/')
			p++;
		end = strchrnul(p, '/');
		len = (size_t)(end - p);
		if (len > NAME_MAX) {
			next = -ENAMETOOLONG;
		} else if (!len || (len == 1 && *p == '.')) {
			next = -EINVAL; /* "", "/" or "." components: not a file's path */
		} else if (len == 2 && p[0] == '.' && p[1] == '.') {
			next = -EXDEV;
		} else {
			memcpy(comp, p, len);
			comp[len] = '\0';
			while (*end == '/')
				end++;
			/* a symlink opened with O_PATH|O_NOFOLLOW is no directory: ENOTDIR */
			next = openat(cur, comp,
				      *end ? O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC
					   : flags | O_NOFOLLOW | O_CLOEXEC);
			if (next < 0)
				next = -errno;
		}
		if (cur != rootfd)
			close(cur);
		if (next < 0 || !*end)
			return next;
		cur = next;
		p = end;
	}
}

int tls_open_in_root(int rootfd, const char *path, int flags, bool walk)
{
	static int no_openat2; /* the kernel said ENOSYS once */
	struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC),
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS |
					   RESOLVE_NO_MAGICLINKS };
	int fd;

	if (!walk && !__atomic_load_n(&no_openat2, __ATOMIC_RELAXED)) {
		while (*path == '/')
			path++;
		fd = (int)syscall(SYS_openat2, rootfd, *path ? path : ".", &how, sizeof(how));
		if (fd >= 0)
			return fd;
		if (errno != ENOSYS && errno != E2BIG)
			return -errno;
		__atomic_store_n(&no_openat2, 1, __ATOMIC_RELAXED);
	}
	return open_walk(rootfd, path, flags);
}

void tls_exec_table_init(struct tls_exec_table *t, unsigned int way0)
{
	memset(t, 0, sizeof(*t));
	t->way0 = way0 % TLS_EXEC_WAYS;
}

int tls_exec_table_add(struct tls_exec_table *t, uint32_t mntns, const struct tls_file_key *exe)
{
	__u64 fp = tls_exec_fp(mntns, exe->dev, exe->ino);
	unsigned int set = (unsigned int)(fp & (TLS_EXEC_SETS - 1)), w, free = TLS_EXEC_WAYS;
	struct tls_exec_way *ways = t->sets[set];

	for (unsigned int i = 0; i < TLS_EXEC_WAYS; i++) {
		w = (t->way0 + i) % TLS_EXEC_WAYS;
		if (ways[w].fp == fp)
			return -1;
		if (!ways[w].fp && free == TLS_EXEC_WAYS)
			free = w;
	}
	if (free == TLS_EXEC_WAYS) {
		free = (t->way0 + t->evict[set]) % TLS_EXEC_WAYS;
		t->evict[set] = (uint8_t)((t->evict[set] + 1) % TLS_EXEC_WAYS);
	}
	ways[free] = (struct tls_exec_way){ .fp = fp, .mntns = mntns, .exe = *exe };
	return (int)set;
}

size_t tls_exec_table_forget(struct tls_exec_table *t, uint32_t mntns,
			     const struct tls_file_key *exe,
			     void (*changed)(void *ctx, unsigned int set), void *ctx)
{
	size_t n = 0;

	for (unsigned int s = 0; s < TLS_EXEC_SETS; s++) {
		bool dirty = false;

		for (unsigned int w = 0; w < TLS_EXEC_WAYS; w++) {
			struct tls_exec_way *x = &t->sets[s][w];

			if (!x->fp || (exe ? x->exe.ino != exe->ino || x->exe.dev != exe->dev
					   : x->mntns != mntns))
				continue;
			memset(x, 0, sizeof(*x));
			dirty = true;
			n++;
		}
		if (dirty && changed)
			changed(ctx, s);
	}
	return n;
}

void tls_exec_table_get(const struct tls_exec_table *t, unsigned int set, struct tls_exec_set *out)
{
	for (unsigned int w = 0; w < TLS_EXEC_WAYS; w++)
		out->fp[w] = t->sets[set % TLS_EXEC_SETS][w].fp;
}

int tls_exec_table_ns(struct tls_exec_table *t, uint32_t inum, bool scanned)
{
	unsigned int set = tls_ns_set(inum), free = TLS_NS_WAYS;
	struct tls_ns_set *s = &t->ns[set];

	if (!inum)
		return -1;
	for (unsigned int w = 0; w < TLS_NS_WAYS; w++) {
		if (s->inum[w] == inum) {
			if (scanned)
				return -1;
			s->inum[w] = 0;
			return (int)set;
		}
		if (!s->inum[w] && free == TLS_NS_WAYS)
			free = w;
	}
	if (!scanned)
		return -1;
	if (free == TLS_NS_WAYS) {
		free = t->ns_evict[set];
		t->ns_evict[set] = (uint8_t)((free + 1) % TLS_NS_WAYS);
	}
	s->inum[free] = inum;
	return (int)set;
}

unsigned int tls_exec_way0(size_t off)
{
	size_t head = (64 - off % 64) % 64; /* bytes of a set before the next line starts */

	/* the set spans [0, head) in one line and [head, 64) in the next */
	return head * 2 > 64 ? 0 : (unsigned int)(head / 8);
}
