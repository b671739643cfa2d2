/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Definitions shared by every layer, on both sides (kernel and userspace). */
#ifndef OSISCOPE_COMMON_H
#define OSISCOPE_COMMON_H

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

#endif
