/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Definitions shared by every layer, on both sides (kernel and userspace). */
#ifndef OSISCOPE_COMMON_H
#define OSISCOPE_COMMON_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Fixed log2 histogram: slot s counts values v with 2^(s-1) <= v < 2^s (slot 0 is
 * v == 0), in the histogram's own unit; the last slot takes everything above. */
#define HIST_SLOTS 32

/* Ring-buffer events that could not be delivered, by cause. */
enum lost_reason {
	LOST_RATELIMIT = 0, /* over the per-CPU event budget */
	LOST_RINGBUF = 1, /* ring buffer full: userspace too slow */
	LOST_REASONS,
};

#define COMM_LEN 16

/*
 * Every ring-buffer event starts with this header: what attribution needs, decoded
 * once in userspace for every collector (user/enrich.c). A collector's own fields
 * follow it. ifindex, where set, is named in userspace from the namespace's devices.
 */
struct event_hdr {
	__u64 ts_ns; /* bpf_ktime_get_ns() */
	__u64 cgroup_id; /* 0 if unknown */
	__u32 netns; /* network namespace inode */
	__u32 pid; /* tgid, 0 where no task context */
	__u32 ifindex; /* the device the event is about, 0 if none */
	__u8 type; /* the collector's event type */
	__u8 __pad[3];
	char comm[COMM_LEN]; /* of pid, when set */
};

_Static_assert(sizeof(struct event_hdr) == 48, "event_hdr layout");

#endif
