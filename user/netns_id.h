/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef OSISCOPE_NETNS_ID_H
#define OSISCOPE_NETNS_ID_H

#include <stddef.h>
#include <stdint.h>

/*
 * Which network namespace the calling thread is in, as an identity that no later
 * namespace takes over, unlike the inode, which the kernel hands to the next namespace
 * as soon as one dies: SO_NETNS_COOKIE (v5.14+), else the namespace's hash_mix (random,
 * drawn when it is made) with its inode, read by a BPF test run in the calling thread
 * (bpf/agent/netns_id.bpf.c; v5.10+). Chosen once per process, so that every identity
 * it gives is of one kind. OSI_NETNS_ID=hash_mix in the environment passes over the
 * cookie (a test knob).
 */
enum netns_id_kind {
	NETNS_ID_NONE, /* a namespace that takes a gone one's inode is taken for it */
	NETNS_ID_COOKIE,
	NETNS_ID_HASH_MIX,
};

/* The identity of the namespace the thread is in, which has inode inode (0 if it is
 * not in that one any more, or none can be had). */
uint64_t netns_id(uint32_t inode);
/* The kind netns_id() gives, and in why (when not NULL) how, or why none. */
enum netns_id_kind netns_id_kind(char *why, size_t len);

#endif
