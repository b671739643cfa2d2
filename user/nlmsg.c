// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "nlmsg.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <string.h>
#include <sys/socket.h>

int nl_walk(const void *buf, size_t len, nl_msg_fn fn, void *ctx)
{
	const char *p = buf;
	size_t off = 0;

	if ((uintptr_t)buf % NLMSG_ALIGNTO)
		return -EINVAL;
	while (off < len) {
		const struct nlmsghdr *h = (const struct nlmsghdr *)(p + off);
		size_t left = len - off;
		int err;

		if (left < sizeof(*h) || h->nlmsg_len < sizeof(*h) || h->nlmsg_len > left)
			return -EBADMSG;
		if (h->nlmsg_type == NLMSG_DONE)
			return 1;
		if (h->nlmsg_type == NLMSG_ERROR) {
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(err)))
				return -EBADMSG;
			memcpy(&err, NLMSG_DATA(h), sizeof(err));
			if (!err)
				return 1; /* an acknowledgement */
			/* an errno, negated: anything else is not one */
			return err < 0 && err > -4096 ? err : -EBADMSG;
		}
		err = fn(h, ctx);
		if (err)
			return err;
		/* the last message's length need not be a multiple of 4 */
		if (NLMSG_ALIGN((size_t)h->nlmsg_len) >= left)
			break;
		off += NLMSG_ALIGN((size_t)h->nlmsg_len);
	}
	return 0;
}

int nl_dump(int fd, const void *req, size_t reqlen, nl_msg_fn fn, void *ctx)
{
	static __thread union {
		struct nlmsghdr h;
		char b[65536];
	} buf;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	if (sendto(fd, req, reqlen, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	for (;;) {
		struct iovec iov = { .iov_base = buf.b, .iov_len = sizeof(buf.b) };
		struct msghdr mh = {
			.msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov, .msg_iovlen = 1
		};
		ssize_t n = recvmsg(fd, &mh, 0);
		int err;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		if (mh.msg_flags & MSG_TRUNC)
			return -EMSGSIZE;
		/* a unicast from another process to our port: not the kernel's reply */
		if (mh.msg_namelen < sizeof(sa) || sa.nl_pid != 0)
			continue;
		err = nl_walk(buf.b, (size_t)n, fn, ctx);
		if (err)
			return err < 0 ? err : 0;
	}
}

int nl_sockdiag_dump(int fd, int family, int protocol, uint32_t states, nl_msg_fn fn,
		     void *ctx)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg = {
		.nlh = { .nlmsg_len = sizeof(msg), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.req = { .sdiag_family = family, .sdiag_protocol = protocol,
			 .idiag_states = states },
	};
	int err = nl_dump(fd, &msg, sizeof(msg), fn, ctx);

	return err == -ENOENT ? 0 : err;
}
