/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One netlink receive path for every dump the agent reads (rtnetlink links and tc
 * objects, sock_diag). A datagram is walked by offsets checked against what recv()
 * returned: a message shorter than its header, longer than what is left, or an
 * NLMSG_ERROR too short for its error code ends the walk with -EBADMSG, never a read
 * past the buffer (NLMSG_OK/NLMSG_NEXT on a signed length that went negative did).
 */
#ifndef OSISCOPE_NLMSG_H
#define OSISCOPE_NLMSG_H

#include <stddef.h>
#include <stdint.h>

struct nlmsghdr;

/* Called for each message that is neither NLMSG_DONE nor NLMSG_ERROR; h->nlmsg_len is
 * at least sizeof(*h) and lies inside the buffer. 0: go on; > 0: stop, the dump is done;
 * < 0: stop with that error. */
typedef int (*nl_msg_fn)(const struct nlmsghdr *h, void *ctx);

/*
 * Walks one datagram of len bytes at buf (4-byte aligned). Returns 0 when it ended
 * without the dump's end (read the next one), 1 at NLMSG_DONE, at an NLMSG_ERROR
 * acknowledgement (error 0) or when fn asked to stop, the negative errno of an
 * NLMSG_ERROR, fn's error, or -EBADMSG for a malformed datagram.
 */
int nl_walk(const void *buf, size_t len, nl_msg_fn fn, void *ctx);

/*
 * Sends the request (a struct nlmsghdr and its payload) on fd and reads the reply until
 * the dump ends, each message to fn. Datagrams from anyone but the kernel are ignored,
 * a datagram larger than buf is an error (-EMSGSIZE). 0 or -errno.
 */
int nl_dump(int fd, const void *req, size_t reqlen, nl_msg_fn fn, void *ctx);

/*
 * One sock_diag dump (fd a NETLINK_SOCK_DIAG socket) of the sockets of family and protocol
 * whose state bit is in states, each message to fn. A family the kernel or namespace does
 * not have (-ENOENT) is an empty dump: 0. Else as nl_dump.
 */
int nl_sockdiag_dump(int fd, int family, int protocol, uint32_t states, nl_msg_fn fn,
		     void *ctx);

#endif
