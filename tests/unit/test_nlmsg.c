// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The one netlink receive walk (user/nlmsg.c) fed with crafted datagrams: lengths that
 * are short, too long, unaligned at the end, and an NLMSG_ERROR cut short. Under ASan
 * (make test) a read past the buffer is a failure by itself; each buffer is a heap
 * allocation of exactly the datagram's size so that ASan sees its end. */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <stdlib.h>

#include "netns.h"
#include "nlmsg.h"
#include "test.h"

static int count_msg(const struct nlmsghdr *h, void *ctx)
{
	(*(int *)ctx)++;
	return 0;
}

/* A heap copy of exactly len bytes, so that a read past it is ASan's to catch. */
static int walk_exact(const void *src, size_t len, int *seen)
{
	void *b = malloc(len ? len : 1);
	int r;

	memcpy(b, src, len);
	*seen = 0;
	r = nl_walk(b, len, count_msg, seen);
	free(b);
	return r;
}

static size_t put(uint8_t *buf, size_t off, uint16_t type, uint32_t len)
{
	struct nlmsghdr h = { .nlmsg_len = len, .nlmsg_type = type };

	memcpy(buf + off, &h, sizeof(h));
	return off + NLMSG_ALIGN(len);
}

TEST(nlmsg_walk_well_formed)
{
	uint8_t buf[256] = { 0 };
	size_t off = 0;
	int seen;

	off = put(buf, off, 16, NLMSG_LENGTH(8));
	off = put(buf, off, 16, NLMSG_LENGTH(4));
	ASSERT_EQ(walk_exact(buf, off, &seen), 0, "no end yet");
	ASSERT_EQ(seen, 2, "both messages");
	off = put(buf, off, NLMSG_DONE, NLMSG_LENGTH(4));
	ASSERT_EQ(walk_exact(buf, off, &seen), 1, "done");
	ASSERT_EQ(seen, 2, "messages before the end");
}

TEST(nlmsg_walk_unaligned_last)
{
	uint8_t buf[64] = { 0 };
	int seen;

	/* the last message 21 bytes long: no padding after it in the datagram */
	put(buf, 0, 16, NLMSG_LENGTH(5));
	ASSERT_EQ(walk_exact(buf, NLMSG_LENGTH(5), &seen), 0, "unaligned last message");
	ASSERT_EQ(seen, 1, "it is seen once");
	put(buf, 0, 16, NLMSG_LENGTH(8));
	put(buf, NLMSG_LENGTH(8), 16, NLMSG_LENGTH(1));
	ASSERT_EQ(walk_exact(buf, NLMSG_LENGTH(8) + NLMSG_LENGTH(1), &seen), 0, "two");
	ASSERT_EQ(seen, 2, "both");
}

TEST(nlmsg_walk_bad_lengths)
{
	uint8_t buf[64] = { 0 };
	int seen;

	put(buf, 0, 16, 8); /* shorter than its own header */
	ASSERT_EQ(walk_exact(buf, 32, &seen), -EBADMSG, "length below the header");
	ASSERT_EQ(seen, 0, "not handed on");
	put(buf, 0, 16, 0);
	ASSERT_EQ(walk_exact(buf, 32, &seen), -EBADMSG, "length 0 (would loop)");
	put(buf, 0, 16, 0xffffffff); /* negative as an int */
	ASSERT_EQ(walk_exact(buf, 32, &seen), -EBADMSG, "length 2^32-1");
	put(buf, 0, 16, 40);
	ASSERT_EQ(walk_exact(buf, 32, &seen), -EBADMSG, "longer than the datagram");
	put(buf, 0, 16, 16);
	ASSERT_EQ(walk_exact(buf, 24, &seen), -EBADMSG, "8 trailing bytes: half a header");
	ASSERT_EQ(seen, 1, "the whole message before them");
	ASSERT_EQ(walk_exact(buf, 0, &seen), 0, "empty datagram");
	ASSERT_EQ(walk_exact(buf, 3, &seen), -EBADMSG, "3 bytes");
}

TEST(nlmsg_walk_error_messages)
{
	uint8_t buf[64] = { 0 };
	int err = -EPERM, seen;

	put(buf, 0, NLMSG_ERROR, 16); /* a bare header at the end: no error code */
	ASSERT_EQ(walk_exact(buf, 16, &seen), -EBADMSG, "16-byte NLMSG_ERROR");
	put(buf, 0, NLMSG_ERROR, 19);
	ASSERT_EQ(walk_exact(buf, 19, &seen), -EBADMSG, "error code cut short");
	put(buf, 0, NLMSG_ERROR, NLMSG_LENGTH(4));
	memcpy(buf + 16, &err, 4);
	ASSERT_EQ(walk_exact(buf, 20, &seen), -EPERM, "error code alone");
	err = 0;
	memcpy(buf + 16, &err, 4);
	ASSERT_EQ(walk_exact(buf, 20, &seen), 1, "an acknowledgement ends the dump");
	err = 5;
	memcpy(buf + 16, &err, 4);
	ASSERT_EQ(walk_exact(buf, 20, &seen), -EBADMSG, "a positive error is not an errno");
	err = INT32_MIN;
	memcpy(buf + 16, &err, 4);
	ASSERT_EQ(walk_exact(buf, 20, &seen), -EBADMSG, "nor is INT_MIN");
}

TEST(nlmsg_walk_every_cut)
{
	uint8_t buf[128] = { 0 };
	size_t off = 0, ends[4];
	int seen;

	off = ends[0] = put(buf, off, 16, NLMSG_LENGTH(12));
	off = ends[1] = put(buf, off, 16, NLMSG_LENGTH(3));
	off = ends[2] = put(buf, off, 16, NLMSG_LENGTH(20));
	off = ends[3] = put(buf, off, NLMSG_DONE, NLMSG_LENGTH(4));
	for (size_t cut = 0; cut <= off; cut++) {
		int r = walk_exact(buf, cut, &seen), want = -EBADMSG;

		for (int i = 0; i < 4; i++)
			if (cut == ends[i] || cut == 0)
				want = cut == ends[3] ? 1 : 0;
		/* the unaligned second message may also end where its bytes end */
		if (cut == ends[0] + NLMSG_LENGTH(3))
			want = 0;
		if (!ASSERT_EQ(r, want, "cut datagram"))
			break;
	}
}

TEST(nlmsg_sockdiag_counts)
{
	struct {
		struct nlmsghdr h;
		struct inet_diag_msg m;
	} msg[3];
	struct tcp_dump d = { 0 };

	memset(msg, 0, sizeof(msg));
	for (int i = 0; i < 3; i++) {
		msg[i].h.nlmsg_len = sizeof(msg[i]);
		msg[i].h.nlmsg_type = 20; /* SOCK_DIAG_BY_FAMILY */
		msg[i].m.idiag_state = 1;
	}
	msg[1].m.idiag_state = 200; /* no such state: not counted, not an index */
	msg[2].h.nlmsg_len = NLMSG_LENGTH(8); /* shorter than an inet_diag_msg */
	ASSERT_EQ(sockdiag_parse(msg, NLMSG_ALIGN(msg[2].h.nlmsg_len) + 2 * sizeof(msg[0]), &d),
		  0, "three messages");
	ASSERT_EQ(d.full[1], 1, "one established socket counted");
	ASSERT_EQ(d.req, 0, "no request socket");
}

/* What no state change tells apart: timewait sockets (the timewait timer, 3) by
 * substate, and request sockets (SYN_RECV without the INET_DIAG_SHUTDOWN attribute that
 * every full socket's message carries). */
TEST(nlmsg_sockdiag_kinds)
{
	struct {
		struct nlmsghdr h;
		struct inet_diag_msg m;
		struct rtattr a;
		uint8_t shutdown, pad[3];
	} msg[4];
	struct tcp_dump d = { 0 };

	memset(msg, 0, sizeof(msg));
	for (int i = 0; i < 4; i++) {
		msg[i].h.nlmsg_len = sizeof(msg[i]);
		msg[i].h.nlmsg_type = 20; /* SOCK_DIAG_BY_FAMILY */
		msg[i].a.rta_len = RTA_LENGTH(1);
		msg[i].a.rta_type = INET_DIAG_SHUTDOWN;
	}
	msg[0].m.idiag_state = 5; /* a timewait socket, orphaned FIN_WAIT2 */
	msg[0].m.idiag_timer = 3;
	msg[0].h.nlmsg_len = NLMSG_LENGTH(sizeof(msg[0].m));
	msg[1].m.idiag_state = 3; /* a request socket: no attribute */
	msg[1].m.idiag_timer = 1;
	msg[1].h.nlmsg_len = NLMSG_LENGTH(sizeof(msg[1].m));
	msg[2].m.idiag_state = 3; /* a full socket in SYN_RECV (TCP Fast Open) */
	msg[2].m.idiag_timer = 1;
	msg[3].m.idiag_state = 5; /* a full FIN_WAIT2 socket */
	/* the two short messages are followed, aligned, by the next ones */
	char buf[sizeof(msg)];
	size_t off = 0;

	for (int i = 0; i < 4; i++) {
		memcpy(buf + off, &msg[i], msg[i].h.nlmsg_len);
		off += NLMSG_ALIGN(msg[i].h.nlmsg_len);
	}
	ASSERT_EQ(sockdiag_parse(buf, off, &d), 0, "four messages");
	ASSERT_EQ(d.tw[5], 1, "timewait FIN_WAIT2");
	ASSERT_EQ(d.req, 1, "request socket");
	ASSERT_EQ(d.full[3], 1, "full SYN_RECV socket");
	ASSERT_EQ(d.full[5], 1, "full FIN_WAIT2 socket");
}
