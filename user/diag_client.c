// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* diagnose asks the running agent: a minimal HTTP/1.0 GET, bounded in time and size. */
#include "diag_client.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CONNECT_MS 2000
#define TOTAL_MS 30000
#define MAX_ANSWER (16u << 20)

int diag_client_parse_url(const char *url, char *host, size_t hostlen, char *port, size_t portlen)
{
	const char *h, *end, *p = NULL;
	size_t n;

	if (strncmp(url, "http://", 7))
		return -EINVAL;
	h = url + 7;
	if (*h == '[') {
		end = strchr(h, ']');
		if (!end)
			return -EINVAL;
		n = (size_t)(end - h - 1);
		h++;
		p = end[1] == ':' ? end + 2 : NULL;
		if (!p && end[1] && end[1] != '/')
			return -EINVAL;
	} else {
		n = strcspn(h, ":/");
		p = h[n] == ':' ? h + n + 1 : NULL;
	}
	if (!n || n >= hostlen)
		return -EINVAL;
	memcpy(host, h, n);
	host[n] = '\0';
	n = p ? strcspn(p, "/") : 0;
	if (p && (!n || n >= portlen || strspn(p, "0123456789") != n))
		return -EINVAL;
	snprintf(port, portlen, "%.*s", (int)(p ? n : 2), p ? p : "80");
	return 0;
}

static long ms_left(const struct timespec *start, long budget)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return budget -
	       ((now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000);
}

static int connect_to(const char *host, const char *port, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int fd = -1, rc;

	rc = getaddrinfo(host, port, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "%s: %s", host, gai_strerror(rc));
		return -1;
	}
	snprintf(err, errlen, "no address");
	for (ai = res; ai; ai = ai->ai_next) {
		struct pollfd pfd;
		socklen_t sl = sizeof(rc);

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) && errno != EINPROGRESS) {
			snprintf(err, errlen, "%s", strerror(errno));
			goto next;
		}
		pfd = (struct pollfd){ .fd = fd, .events = POLLOUT };
		if (poll(&pfd, 1, CONNECT_MS) != 1) {
			snprintf(err, errlen, "connect: no answer within %d ms", CONNECT_MS);
			goto next;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &rc, &sl) || rc) {
			snprintf(err, errlen, "%s", strerror(rc ? rc : errno));
			goto next;
		}
		break;
	next:
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

int diag_client_get(const char *url, const char *path, struct strbuf *body, int *status, char *err,
		    size_t errlen)
{
	char host[256], port[8], buf[8192];
	struct strbuf req, ans;
	struct timespec start;
	const char *hdr_end;
	int fd, ret = -1;
	size_t off = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	if (diag_client_parse_url(url, host, sizeof(host), port, sizeof(port))) {
		snprintf(err, errlen, "not http://HOST[:PORT]");
		return -1;
	}
	fd = connect_to(host, port, err, errlen);
	if (fd < 0)
		return -1;
	strbuf_init(&req);
	strbuf_init(&ans);
	strbuf_printf(&req, "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: osiscope-diagnose\r\n\r\n",
		      path, host);
	while (off < req.len) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		ssize_t n;

		if (ms_left(&start, TOTAL_MS) <= 0 ||
		    poll(&pfd, 1, (int)ms_left(&start, TOTAL_MS)) != 1) {
			snprintf(err, errlen, "send: timed out");
			goto out;
		}
		n = send(fd, req.buf + off, req.len - off, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			snprintf(err, errlen, "send: %s", strerror(errno));
			goto out;
		}
		off += n > 0 ? (size_t)n : 0;
	}
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long left = ms_left(&start, TOTAL_MS);
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left) != 1) {
			snprintf(err, errlen, "no full answer within %d s", TOTAL_MS / 1000);
			goto out;
		}
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			snprintf(err, errlen, "receive: %s", strerror(errno));
			goto out;
		}
		if (ans.len + (size_t)n > MAX_ANSWER) {
			snprintf(err, errlen, "answer larger than %u bytes", MAX_ANSWER);
			goto out;
		}
		strbuf_append(&ans, buf, (size_t)n);
	}
	if (ans.failed || !ans.buf || sscanf(ans.buf, "HTTP/1.%*1[01] %3d", status) != 1 ||
	    !(hdr_end = strstr(ans.buf, "\r\n\r\n"))) {
		snprintf(err, errlen, "what answered is no HTTP server");
		goto out;
	}
	hdr_end += 4;
	strbuf_append(body, hdr_end, ans.len - (size_t)(hdr_end - ans.buf));
	ret = body->failed ? -1 : 0;
	if (ret)
		snprintf(err, errlen, "out of memory");
out:
	close(fd);
	strbuf_free(&req);
	strbuf_free(&ans);
	return ret;
}
