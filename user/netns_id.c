// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The identity of the calling thread's network namespace: see netns_id.h. */
#include "netns_id.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netns_id.skel.h"
#include "probe.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71 /* v5.14, asm-generic/socket.h */
#endif

static pthread_once_t chosen = PTHREAD_ONCE_INIT;
static enum netns_id_kind kind;
static char kind_why[240];
static struct netns_id_bpf *skel; /* kept for the process's life */
static int prog_fd = -1;

/* SO_NETNS_COOKIE of the thread's namespace: 0 and errno set if the kernel has none. */
static uint64_t cookie(void)
{
	uint64_t c = 0;
	socklen_t len = sizeof(c);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), err;

	if (fd < 0)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &c, &len))
		c = 0;
	err = errno;
	close(fd);
	errno = err;
	return c;
}

/* 0 with errno set when the run fails, or the program says the thread is not in
 * inode's namespace (EXDEV) */
static uint64_t hash_mix(uint32_t inode)
{
	__u64 ctx[1] = { inode };
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = ctx, .ctx_size_in = sizeof(ctx));

	if (bpf_prog_test_run_opts(prog_fd, &o))
		return 0;
	if (!o.retval) {
		errno = EXDEV;
		return 0;
	}
	return (uint64_t)o.retval << 32 | inode;
}

static void choose(void)
{
	const char *knob = getenv("OSI_NETNS_ID");
	bool passed_over = knob && !strcmp(knob, "hash_mix");
	char no_cookie[96];
	struct stat st;
	int err;

	if (!passed_over && cookie()) {
		kind = NETNS_ID_COOKIE;
		snprintf(kind_why, sizeof(kind_why), "SO_NETNS_COOKIE");
		return;
	}
	snprintf(no_cookie, sizeof(no_cookie), "no SO_NETNS_COOKIE (5.14+): %s",
		 passed_over ? "passed over (OSI_NETNS_ID=hash_mix)" : strerror(errno));
	kind = NETNS_ID_NONE;
	skel = netns_id_bpf__open_and_load();
	if (!skel) {
		err = -errno;
		snprintf(kind_why, sizeof(kind_why),
			 "none (%s; load of bpf/agent/netns_id.bpf.c: %s): a namespace that takes "
			 "a gone one's inode continues its series",
			 no_cookie, probe_strerror(err));
		return;
	}
	prog_fd = bpf_program__fd(skel->progs.netns_hash_mix);
	/* it really runs, in this thread, and finds its namespace */
	if (stat("/proc/thread-self/ns/net", &st) || !hash_mix((uint32_t)st.st_ino)) {
		err = -errno;
		snprintf(kind_why, sizeof(kind_why),
			 "none (%s; BPF test run of a raw_tp program (5.10+): %s): a namespace "
			 "that takes a gone one's inode continues its series",
			 no_cookie,
			 err == -EXDEV ? "no hash_mix in struct net" : probe_strerror(err));
		netns_id_bpf__destroy(skel);
		skel = NULL;
		prog_fd = -1;
		return;
	}
	kind = NETNS_ID_HASH_MIX;
	snprintf(kind_why, sizeof(kind_why),
		 "struct net's hash_mix and inode, by a BPF test run (%s)", no_cookie);
}

uint64_t netns_id(uint32_t inode)
{
	pthread_once(&chosen, choose);
	switch (kind) {
	case NETNS_ID_COOKIE:
		return cookie();
	case NETNS_ID_HASH_MIX:
		return hash_mix(inode);
	default:
		return 0;
	}
}

enum netns_id_kind netns_id_kind(char *why, size_t len)
{
	pthread_once(&chosen, choose);
	if (why && len)
		snprintf(why, len, "%s", kind_why);
	return kind;
}
