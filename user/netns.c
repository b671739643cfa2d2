// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "netns.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/magic.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

const char *const tcp_state_names[TCP_STATE_MAX] = {
	[1] = "established", [2] = "syn_sent",   [3] = "syn_recv",   [4] = "fin_wait1",
	[5] = "fin_wait2",   [6] = "time_wait",  [7] = "close",      [8] = "close_wait",
	[9] = "last_ack",    [10] = "listen",    [11] = "closing",   [12] = "new_syn_recv",
};

static int list_add(struct netns_list *list, uint32_t inode, const char *path)
{
	for (size_t i = 0; i < list->n; i++)
		if (list->v[i].inode == inode)
			return 0;
	if (list->n == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 32;
		struct netns_entry *v = realloc(list->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		list->v = v;
		list->cap = cap;
	}
	list->v[list->n].inode = inode;
	snprintf(list->v[list->n].path, sizeof(list->v[0].path), "%s", path);
	list->n++;
	return 0;
}

static void scan_mounts(struct netns_list *list, const char *dir)
{
	struct dirent *de;
	struct statfs fs;
	struct stat st;
	char path[64];
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		/* only a bind-mounted namespace: ip-netns leaves plain files behind */
		if (statfs(path, &fs) == 0 && fs.f_type == NSFS_MAGIC && stat(path, &st) == 0)
			list_add(list, (uint32_t)st.st_ino, path);
	}
	closedir(d);
}

uint32_t netns_self(void)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st))
		return 0;
	return (uint32_t)st.st_ino;
}

int netns_scan(struct netns_list *list)
{
	struct dirent *de;
	struct stat st;
	char path[64];
	DIR *d;

	list->n = 0;
	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%.16s/ns/net", de->d_name);
		if (stat(path, &st) == 0) /* processes come and go: skip the gone */
			list_add(list, (uint32_t)st.st_ino, path);
	}
	closedir(d);
	scan_mounts(list, "/run/netns");
	scan_mounts(list, "/var/run/netns");
	scan_mounts(list, "/run/docker/netns");
	return 0;
}

void netns_list_free(struct netns_list *list)
{
	free(list->v);
	memset(list, 0, sizeof(*list));
}

int netns_run(const struct netns_entry *ns, int (*fn)(void *ctx), void *ctx)
{
	int self, target, err;
	struct stat st;

	target = open(ns->path, O_RDONLY | O_CLOEXEC);
	if (target < 0)
		return -errno;
	/* the path may now name another namespace (pid reused): check the inode */
	if (fstat(target, &st) || (uint32_t)st.st_ino != ns->inode) {
		close(target);
		return -ESTALE;
	}
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0) {
		err = -errno;
		close(target);
		return err;
	}
	if (setns(target, CLONE_NEWNET)) {
		err = -errno;
		close(target);
		close(self);
		return err;
	}
	err = fn(ctx);
	if (setns(self, CLONE_NEWNET)) {
		/* cannot happen for our own namespace; if it did, this thread would count
		 * the wrong namespace from now on, so stop hard */
		perror("osiscope: setns back to own network namespace");
		abort();
	}
	close(target);
	close(self);
	return err;
}

static int sockdiag_dump(int fd, int family, uint64_t counts[TCP_STATE_MAX])
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg = {
		.nlh = { .nlmsg_len = sizeof(msg), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.req = { .sdiag_family = family, .sdiag_protocol = IPPROTO_TCP,
			 .idiag_states = 0xfff /* every state, no bound-inactive */ },
	};
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	static __thread char buf[32768];

	if (sendto(fd, &msg, sizeof(msg), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			struct inet_diag_msg *m;

			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				/* no IPv6 in this kernel or namespace: nothing to count */
				return e->error == -ENOENT ? 0 : e->error;
			}
			m = NLMSG_DATA(h);
			if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(*m)) && m->idiag_state < TCP_STATE_MAX)
				counts[m->idiag_state]++;
		}
	}
}

int sockdiag_tcp_states(uint64_t counts[TCP_STATE_MAX])
{
	int fd, err;

	memset(counts, 0, sizeof(uint64_t) * TCP_STATE_MAX);
	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	err = sockdiag_dump(fd, AF_INET, counts);
	if (!err)
		err = sockdiag_dump(fd, AF_INET6, counts);
	close(fd);
	return err;
}

int mib_read(const char *group, const char *name, uint64_t *v)
{
	static const char *const files[] = { "/proc/thread-self/net/netstat",
					     "/proc/thread-self/net/snmp" };
	size_t glen = strlen(group);
	char *hdr = NULL, *val = NULL;
	size_t hcap = 0, vcap = 0;

	for (size_t f = 0; f < 2; f++) {
		FILE *fp = fopen(files[f], "re");

		if (!fp)
			continue;
		/* pairs of lines: "Group: Name1 Name2 ..." then "Group: v1 v2 ..." */
		while (getline(&hdr, &hcap, fp) > 0 && getline(&val, &vcap, fp) > 0) {
			char *hs, *vs, *h, *x;

			if (strncmp(hdr, group, glen) || hdr[glen] != ':')
				continue;
			h = strtok_r(hdr + glen + 1, " \n", &hs);
			x = strtok_r(val + glen + 1, " \n", &vs);
			for (; h && x; h = strtok_r(NULL, " \n", &hs), x = strtok_r(NULL, " \n", &vs)) {
				if (!strcmp(h, name)) {
					*v = strtoull(x, NULL, 10);
					fclose(fp);
					free(hdr);
					free(val);
					return 0;
				}
			}
		}
		fclose(fp);
	}
	free(hdr);
	free(val);
	return -ENOENT;
}
