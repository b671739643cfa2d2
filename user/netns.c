// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "netns.h"
#include "netns_id.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/magic.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "nlmsg.h"

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

bool netns_recheck(uint32_t pid, uint64_t scan, uint32_t first_s, uint32_t now_s)
{
	return now_s - first_s < NETNS_YOUNG_S ||
	       pid % NETNS_RECHECK_EVERY == scan % NETNS_RECHECK_EVERY;
}

int netns_scan(struct netns_list *list)
{
	size_t old = 0, nnext = 0;
	struct dirent *de;
	struct netns_pid *swap;
	struct timespec ts;
	struct stat st;
	uint32_t now_s;
	char path[64];
	DIR *d;

	list->n = 0;
	d = opendir("/proc");
	if (!d)
		return -errno;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now_s = (uint32_t)ts.tv_sec;
	list->scans++;
	while ((de = readdir(d))) {
		uint32_t pid, inode, first_s = now_s;
		bool seen, looked = true;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		pid = (uint32_t)strtoul(de->d_name, NULL, 10);
		snprintf(path, sizeof(path), "/proc/%u/ns/net", pid);
		/* /proc lists pids in ascending order, and so is the previous scan */
		while (old < list->npids && list->pids[old].pid < pid)
			old++;
		seen = old < list->npids && list->pids[old].pid == pid &&
		       list->pids[old].dino == (uint64_t)de->d_ino;
		if (seen)
			first_s = list->pids[old].first_s;
		if (seen && !netns_recheck(pid, list->scans, first_s, now_s)) {
			inode = list->pids[old].inode;
			looked = false;
		} else if (stat(path, &st) == 0) {
			inode = (uint32_t)st.st_ino;
		} else {
			continue; /* processes come and go: skip the gone */
		}
		if (nnext == list->capnext) {
			size_t cap = list->capnext ? list->capnext * 2 : 256;
			struct netns_pid *v = realloc(list->next, cap * sizeof(*v));

			if (!v)
				break;
			list->next = v;
			list->capnext = cap;
		}
		list->next[nnext++] = (struct netns_pid){ .pid = pid,
							  .inode = inode,
							  .dino = (uint64_t)de->d_ino,
							  .first_s = first_s,
							  .looked = looked };
		list_add(list, inode, path);
	}
	closedir(d);
	/* the two buffers trade places, capacities with them */
	swap = list->pids;
	list->pids = list->next;
	list->next = swap;
	list->npids = nnext;
	nnext = list->cappids;
	list->cappids = list->capnext;
	list->capnext = nnext;
	scan_mounts(list, "/run/netns");
	scan_mounts(list, "/var/run/netns");
	scan_mounts(list, "/run/docker/netns");
	return 0;
}

void netns_list_free(struct netns_list *list)
{
	free(list->v);
	free(list->pids);
	free(list->next);
	memset(list, 0, sizeof(*list));
}

int netns_run(const struct netns_entry *ns, int (*fn)(void *ctx), void *ctx)
{
	/* every thread of the agent lives in the namespace it started in: keep that one
	 * open for the way back */
	static int self = -1;
	int target, err;
	struct stat st;

	target = open(ns->path, O_RDONLY | O_CLOEXEC);
	if (target < 0)
		return -errno;
	/* the path may now name another namespace (pid reused): check the inode */
	if (fstat(target, &st) || (uint32_t)st.st_ino != ns->inode) {
		close(target);
		return -ESTALE;
	}
	if (self < 0)
		self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0) {
		err = -errno;
		close(target);
		return err;
	}
	if (setns(target, CLONE_NEWNET)) {
		err = -errno;
		close(target);
		return err;
	}
	mib_invalidate();
	err = fn(ctx);
	mib_invalidate();
	if (setns(self, CLONE_NEWNET)) {
		/* cannot happen for our own namespace; if it did, this thread would count
		 * the wrong namespace from now on, so stop hard */
		perror("osiscope: setns back to own network namespace");
		abort();
	}
	close(target);
	return err;
}

static struct known_netns *known_get(struct netns_tracker *t, uint32_t inode, unsigned int absent)
{
	for (size_t k = 0; k < t->nknown; k++)
		if (t->known[k].inode == inode)
			return &t->known[k];
	if (t->nknown == t->capknown) {
		size_t cap = t->capknown ? t->capknown * 2 : 32;
		struct known_netns *v = realloc(t->known, cap * sizeof(*v));

		if (!v)
			return NULL;
		t->known = v;
		t->capknown = cap;
	}
	t->known[t->nknown] = (struct known_netns){ inode, absent, 0 };
	return &t->known[t->nknown++];
}

void netns_tracker_note(struct netns_tracker *t, uint32_t inode)
{
	/* a namespace seen only in what the kernel counted (it came and went between two
	 * scans): known as absent once, so that the next scan without it forgets it */
	if (inode)
		known_get(t, inode, 1);
}

/* A namespace not found by two scans in a row is gone: on a Kubernetes node they come
 * and go with pods, and their series must not pile up. */
void netns_tracker_scan_done(struct netns_tracker *t, const struct netns_list *list,
			     netns_gone_fn fn, void *ctx)
{
	size_t i = 0;

	for (size_t k = 0; k < t->nknown; k++)
		t->known[k].absent++;
	for (size_t n = 0; n < list->n; n++) {
		struct known_netns *k = known_get(t, list->v[n].inode, 0);

		if (k)
			k->absent = 0;
	}
	while (i < t->nknown) {
		if (t->known[i].absent < 2) {
			i++;
			continue;
		}
		fn(ctx, t->known[i].inode, false);
		t->known[i] = t->known[--t->nknown];
	}
}

void netns_tracker_check_id(struct netns_tracker *t, uint32_t inode, uint64_t id, netns_gone_fn fn,
			    void *ctx)
{
	struct known_netns *k = known_get(t, inode, 0);

	/* the kernel gives a dead namespace's inode to the next one at once: what was
	 * kept for the old one must not become the new one's */
	if (k && id) {
		if (k->id && k->id != id) {
			fn(ctx, inode, true);
			k = known_get(t, inode, 0);
		}
		if (k)
			k->id = id;
	}
}

uint64_t netns_tracker_cookie(const struct netns_tracker *t, uint32_t inode)
{
	if (netns_id_kind(NULL, 0) != NETNS_ID_COOKIE)
		return 0;
	for (size_t k = 0; k < t->nknown; k++)
		if (t->known[k].inode == inode)
			return t->known[k].id;
	return 0;
}

void netns_tracker_free(struct netns_tracker *t)
{
	free(t->known);
	memset(t, 0, sizeof(*t));
}

/* A full socket's message always carries INET_DIAG_SHUTDOWN; a request socket's (which
 * the kernel reports as SYN_RECV) never does. h->nlmsg_len lies inside the buffer. */
static bool diag_full_socket(const struct nlmsghdr *h)
{
	size_t off = NLMSG_LENGTH(sizeof(struct inet_diag_msg));

	while (off + sizeof(struct rtattr) <= h->nlmsg_len) {
		struct rtattr a;

		memcpy(&a, (const char *)h + off, sizeof(a));
		if (a.rta_len < sizeof(a) || a.rta_len > h->nlmsg_len - off)
			break;
		if (a.rta_type == INET_DIAG_SHUTDOWN)
			return true;
		off += RTA_ALIGN(a.rta_len);
	}
	return false;
}

static int sockdiag_msg(const struct nlmsghdr *h, void *ctx)
{
	struct tcp_dump *d = ctx;
	struct inet_diag_msg m;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(m)))
		return 0;
	memcpy(&m, NLMSG_DATA(h), sizeof(m));
	if (m.idiag_state >= TCP_STATE_MAX)
		return 0;
	if (m.idiag_timer == 3) /* the timewait timer: timewait sockets only */
		d->tw[m.idiag_state]++;
	else if ((m.idiag_state == 3 || m.idiag_state == 12) && !diag_full_socket(h))
		d->req++;
	else
		d->full[m.idiag_state]++;
	return 0;
}

int sockdiag_parse(const void *buf, size_t len, struct tcp_dump *d)
{
	return nl_walk(buf, len, sockdiag_msg, d);
}

static int sockdiag_dump(int fd, int family, uint32_t states, struct tcp_dump *d)
{
	return nl_sockdiag_dump(fd, family, IPPROTO_TCP, states, sockdiag_msg, d);
}

/* "TCP: inuse 3 orphan 0 tw 25 alloc 5 mem 1": inuse counts hashed IPv4 sockets (all
 * states but TIME_WAIT), tw is the namespace's TIME_WAIT count of both families
 * (tcp_death_row.tw_refcount); sockstat6's "TCP6: inuse" counts the IPv6 sockets. */
int sockstat_field(const char *path, const char *prefix, const char *key, uint64_t *v)
{
	char line[256];
	FILE *f = fopen(path, "re");
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, key);

		if (!strncmp(line, prefix, strlen(prefix)) && p) {
			*v = strtoull(p + strlen(key), NULL, 10);
			err = 0;
			break;
		}
	}
	fclose(f);
	return err;
}

int sockstat_tcp(uint64_t *inuse4, uint64_t *inuse6, uint64_t *tw)
{
	int err;

	*inuse4 = *inuse6 = *tw = 0;
	/* tcp_prot only: IPv6 sockets are tcpv6_prot's */
	err = sockstat_field("/proc/thread-self/net/sockstat", "TCP:", " inuse ", inuse4);
	if (!err)
		err = sockstat_field("/proc/thread-self/net/sockstat", "TCP:", " tw ", tw);
	if (err)
		return err;
	/* no IPv6 in this kernel: every socket is IPv4 */
	if (sockstat_field("/proc/thread-self/net/sockstat6", "TCP6:", " inuse ", inuse6))
		*inuse6 = 0;
	return 0;
}

int sockdiag_tcp_dump(struct tcp_dump *d, bool hidden_only, bool v4, bool v6)
{
	/* every state but the bound-inactive pseudo-state; or what no state change tells:
	 * timewait sockets (by substate: TIME_WAIT, FIN_WAIT2) and request sockets (which
	 * the kernel matches with SYN_RECV) */
	uint32_t states = hidden_only ? (1u << 6) | (1u << 5) | (1u << 3) | (1u << 12) : 0x1fff;
	int fd, err = 0;

	memset(d, 0, sizeof(*d));
	if (!v4 && !v6)
		return 0;
	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	/* A dump walks every bucket of the host-wide established hash, empty or not
	 * (262144 of them on a 24 GiB machine: ~0.15 ms), and every socket of the host:
	 * only the families the namespace has sockets of */
	if (v4)
		err = sockdiag_dump(fd, AF_INET, states, d);
	if (!err && v6)
		err = sockdiag_dump(fd, AF_INET6, states, d);
	close(fd);
	return err;
}

/*
 * The kernel formats the whole of /proc/net/netstat (TcpExt, IpExt, MPTcpExt: some 300
 * counters) on every read, which costs more than anything else a visit does. Each file
 * is read at most once per namespace visit and kept for every mib_read() of that visit:
 * netns_run() starts a new visit.
 */
static __thread unsigned long mib_visit = 1;

struct mib_file {
	const char *path;
	unsigned long visit; /* of the cached text */
	char *text;
	size_t len, cap;
};

static __thread struct mib_file mib_files[3] = {
	{ .path = "/proc/thread-self/net/netstat" },
	{ .path = "/proc/thread-self/net/snmp" },
	{ .path = "/proc/thread-self/net/snmp6" },
};

static const char *mib_text(struct mib_file *f)
{
	int fd;

	if (f->visit == mib_visit)
		return f->len ? f->text : NULL;
	f->visit = mib_visit;
	f->len = 0;
	if (f->text)
		f->text[0] = '\0'; /* never another namespace's text, whatever fails below */
	fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	for (;;) {
		ssize_t n;

		if (f->cap - f->len < 4096) {
			size_t cap = f->cap ? f->cap * 2 : 16384;
			char *t = realloc(f->text, cap);

			if (!t)
				break;
			f->text = t;
			f->cap = cap;
		}
		n = read(fd, f->text + f->len, f->cap - f->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		f->len += (size_t)n;
	}
	close(fd);
	if (!f->text)
		return NULL;
	f->text[f->len] = '\0';
	return f->text;
}

void mib_invalidate(void)
{
	mib_visit++;
}

const char *mib_snmp6_text(void)
{
	return mib_text(&mib_files[2]);
}

int mib_pairs(const char *text, size_t len,
	      void (*fn)(void *ctx, const char *name, size_t nlen, uint64_t v), void *ctx)
{
	const char *p = text, *end = text + len;
	int n = 0;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *name = p, *q;
		char num[24];
		size_t nlen, k = 0;
		unsigned long long v;

		if (!eol)
			eol = end;
		for (q = p; q < eol && *q != ' ' && *q != '\t'; q++)
			;
		nlen = (size_t)(q - name);
		while (q < eol && (*q == ' ' || *q == '\t'))
			q++;
		while (q < eol && k < sizeof(num) - 1 && *q >= '0' && *q <= '9')
			num[k++] = *q++;
		num[k] = '\0';
		p = eol + 1;
		/* no number, a sign, or more digits than 64 bits hold */
		if (!nlen || !k || (q < eol && *q != ' ' && *q != '\t' && *q != '\r'))
			continue;
		errno = 0;
		v = strtoull(num, NULL, 10);
		if (errno)
			continue;
		fn(ctx, name, nlen, (uint64_t)v);
		n++;
	}
	return n;
}

int mib_read_each(const char *group,
		  void (*fn)(void *ctx, const char *name, size_t nlen, uint64_t v), void *ctx)
{
	size_t glen = strlen(group);
	int found = 0;

	for (size_t f = 0; f < 2 && !found; f++) {
		const char *t = mib_text(&mib_files[f]), *hdr, *val, *hend, *vend;

		/* pairs of lines: "Group: Name1 Name2 ..." then "Group: v1 v2 ..." */
		for (hdr = t; hdr && *hdr; hdr = vend + 1) {
			hend = strchr(hdr, '\n');
			if (!hend)
				break;
			val = hend + 1;
			vend = strchr(val, '\n');
			if (!vend)
				break;
			if (strncmp(hdr, group, glen) || hdr[glen] != ':')
				continue;
			/* walk the names and the values side by side */
			const char *h = hdr + glen + 1, *x = val + glen + 1;

			while (h < hend && x < vend) {
				size_t hl, xl;

				while (*h == ' ')
					h++;
				while (*x == ' ')
					x++;
				hl = strcspn(h, " \n");
				xl = strcspn(x, " \n");
				if (!hl || !xl)
					break;
				fn(ctx, h, hl, strtoull(x, NULL, 10));
				found++;
				h += hl;
				x += xl;
			}
			break;
		}
	}
	return found;
}

struct mib_names {
	const char *const *names;
	uint64_t *v;
	size_t n;
	int found;
};

static void mib_name_value(void *ctx, const char *name, size_t nlen, uint64_t v)
{
	struct mib_names *m = ctx;

	for (size_t i = 0; i < m->n; i++) {
		if (strlen(m->names[i]) == nlen && !strncmp(name, m->names[i], nlen)) {
			m->v[i] = v;
			m->found++;
		}
	}
}

int mib_read(const char *group, const char *const *names, uint64_t *v, size_t n)
{
	struct mib_names m = { names, v, n, 0 };

	mib_read_each(group, mib_name_value, &m);
	return m.found;
}
