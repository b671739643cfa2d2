// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "k8s.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "tls_cgroup.h"

/* Budgets: what a node's files can make the agent hold or read. */
#define K8S_MAX_ENTRIES 16384 /* log links, pod directories, Docker names */
#define K8S_PATH_MAX 4096
#define K8S_MAX_COMPONENTS 64
#define K8S_PROC_CGROUP_MAX 16384 /* bytes of /proc/PID/cgroup read */
#define K8S_DOCKER_JSON_MAX (1 << 20)
#define K8S_SHORT_ID 12
#define K8S_SWEEP_S 30 /* seconds between walks that forget gone cgroups */

/* ---- parsers (no state: unit-tested in tests/unit/test_k8s.c) ---- */

static bool hex_run(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return n > 0;
}

/* A pod UID as cgroup names write it: 8-4-4-4-12 hex digits with sep between the groups
 * ('-' under cgroupfs, '_' under systemd), or 32 hex digits (a static pod's hash). */
static bool uid_take(const char *s, size_t n, char sep, char out[K8S_UID_LEN])
{
	if (n == 32 && hex_run(s, n)) {
		memcpy(out, s, n);
		out[n] = '\0';
		return true;
	}
	if (n != 36)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != sep : !hex_run(s + i, 1))
			return false;
		out[i] = dash ? '-' : s[i];
	}
	out[n] = '\0';
	return true;
}

static bool starts(const char *s, size_t n, const char *prefix)
{
	size_t p = strlen(prefix);

	return n >= p && !memcmp(s, prefix, p);
}

static bool ends(const char *s, size_t n, const char *suffix)
{
	size_t p = strlen(suffix);

	return n >= p && !memcmp(s + n - p, suffix, p);
}

/* "podUID" (cgroupfs driver) or "kubepods[-QOS]-podUID_WITH_UNDERSCORES.slice" (systemd). */
static bool pod_component(const char *c, size_t n, char uid[K8S_UID_LEN])
{
	if (starts(c, n, "pod"))
		return uid_take(c + 3, n - 3, '-', uid);
	if (starts(c, n, "kubepods-") && ends(c, n, ".slice")) {
		size_t body = n - 6;

		for (size_t i = body; i-- > 8;)
			if (!memcmp(c + i, "-pod", 4))
				return uid_take(c + i + 4, body - i - 4, '_', uid);
	}
	return false;
}

/* "cri-containerd-ID.scope", "crio-ID.scope", "crio-ID", "docker-ID.scope" name their
 * runtime; a bare "ID" is a cgroupfs-driver container (containerd or Docker alike), taken
 * only where the caller knows it is one (under a pod, or under "docker"). */
static enum k8s_runtime container_component(const char *c, size_t n, bool bare_ok,
					    char id[K8S_ID_LEN])
{
	static const struct {
		const char *prefix;
		enum k8s_runtime rt;
	} named[] = {
		{ "cri-containerd-", K8S_RT_CONTAINERD },
		{ "crio-", K8S_RT_CRIO },
		{ "docker-", K8S_RT_DOCKER },
	};

	if (n == 64 && hex_run(c, n)) {
		if (!bare_ok)
			return K8S_RT_NONE;
		memcpy(id, c, 64);
		id[64] = '\0';
		return K8S_RT_BARE;
	}
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		size_t p = strlen(named[i].prefix), len;

		if (!starts(c, n, named[i].prefix))
			continue;
		len = n - p;
		if (ends(c, n, ".scope"))
			len -= 6;
		else if (named[i].rt != K8S_RT_CRIO)
			continue; /* only CRI-O's cgroupfs names have no .scope */
		/* "crio-conmon-ID.scope" is CRI-O's monitor, not the container */
		if (len != 64 || !hex_run(c + p, len))
			continue;
		memcpy(id, c + p, 64);
		id[64] = '\0';
		return named[i].rt;
	}
	return K8S_RT_NONE;
}

int k8s_parse_cgroup_path(const char *path, struct k8s_cgroup_ref *ref)
{
	const char *c = path, *prev = NULL;
	size_t prevlen = 0;
	unsigned int ncomp = 0;
	bool pod = false;

	memset(ref, 0, sizeof(*ref));
	if (strnlen(path, K8S_PATH_MAX) >= K8S_PATH_MAX)
		return -EINVAL;
	while (*c && ncomp++ < K8S_MAX_COMPONENTS) {
		size_t n = strcspn(c, "/");
		char uid[K8S_UID_LEN];

		/* "/../../kubepods/...": relative to the reader's cgroup namespace, whose
		 * ancestors show as ".."; the names below are what count */
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && !memcmp(c, "..", 2))) {
			c += n + (c[n] == '/');
			continue;
		}
		if (!ref->container_id[0] && pod_component(c, n, uid)) {
			memcpy(ref->pod_uid, uid, sizeof(uid));
			pod = true;
		} else if (!ref->container_id[0]) {
			bool under_docker = prev && prevlen == 6 && !memcmp(prev, "docker", 6);

			ref->runtime =
				container_component(c, n, pod || under_docker, ref->container_id);
		}
		prev = c;
		prevlen = n;
		c += n + (c[n] == '/');
	}
	if (*c)
		return -EINVAL; /* more components than any runtime makes */
	return ref->pod_uid[0] || ref->container_id[0] ? 0 : -ENOENT;
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

int k8s_parse_proc_cgroup(const char *text, size_t len, struct k8s_cgroup_ref *ref)
{
	struct k8s_cgroup_ref best = { 0 }, cur;
	int best_score = 0;
	const char *p = text, *end = text + len;
	char path[K8S_PATH_MAX];

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		/* "ID:CONTROLLERS:PATH"; PATH may itself hold ':' */
		const char *c1 = memchr(p, ':', (size_t)(eol - p));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(eol - c1 - 1)) : NULL;

		/* The kernel prints a cgroup's name unescaped, and a name may hold '\n': a
		 * container that can make cgroups could forge a line. A real line starts with
		 * the hierarchy's number and its path with '/', which no name can hold. */
		if (c1 && c2 && c1 > p && all_digits(p, (size_t)(c1 - p)) && c2 + 1 < eol &&
		    c2[1] == '/' && (size_t)(eol - c2 - 1) < sizeof(path)) {
			size_t n = (size_t)(eol - c2 - 1);
			int score;

			memcpy(path, c2 + 1, n);
			path[n] = '\0';
			if (!k8s_parse_cgroup_path(path, &cur)) {
				score = (cur.pod_uid[0] ? 2 : 0) + (cur.container_id[0] ? 1 : 0);
				if (score > best_score) {
					best = cur;
					best_score = score;
				}
			}
		}
		p = eol + 1;
	}
	*ref = best;
	return best_score ? 0 : -ENOENT;
}

/* Kubernetes object names: a DNS label ([a-z0-9-], 63 at most) or, dots allowed, a DNS
 * subdomain (253). */
static bool dns_name(const char *s, size_t n, bool dots, size_t max)
{
	if (n == 0 || n > max || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
		      (dots && ch == '.')))
			return false;
	}
	return true;
}

static void put(char *dst, const char *s, size_t n)
{
	memcpy(dst, s, n);
	dst[n] = '\0';
}

int k8s_parse_log_name(const char *name, struct k8s_log_name *out)
{
	size_t n = strnlen(name, 512);
	const char *dash, *u1, *u2;

	memset(out, 0, sizeof(*out));
	if (n >= 512 || !ends(name, n, ".log"))
		return -EINVAL;
	n -= 4;
	/* the ID is the last 64 characters before ".log", after a '-' */
	if (n < 65 + 5 || name[n - 65] != '-' || !hex_run(name + n - 64, 64))
		return -EINVAL;
	dash = name + n - 65;
	u1 = memchr(name, '_', (size_t)(dash - name));
	u2 = u1 ? memchr(u1 + 1, '_', (size_t)(dash - u1 - 1)) : NULL;
	if (!u2 || memchr(u2 + 1, '_', (size_t)(dash - u2 - 1)))
		return -EINVAL;
	if (!dns_name(name, (size_t)(u1 - name), true, K8S_POD_LEN - 1) ||
	    !dns_name(u1 + 1, (size_t)(u2 - u1 - 1), false, K8S_NS_LEN - 1) ||
	    !dns_name(u2 + 1, (size_t)(dash - u2 - 1), false, 63))
		return -EINVAL;
	put(out->pod, name, (size_t)(u1 - name));
	put(out->ns, u1 + 1, (size_t)(u2 - u1 - 1));
	put(out->container, u2 + 1, (size_t)(dash - u2 - 1));
	put(out->id, dash + 1, 64);
	return 0;
}

int k8s_parse_pod_dir(const char *name, char ns[K8S_NS_LEN], char pod[K8S_POD_LEN],
		      char uid[K8S_UID_LEN])
{
	size_t n = strnlen(name, 512);
	const char *u1 = memchr(name, '_', n), *u2 = n ? memrchr(name, '_', n) : NULL;

	if (n >= 512 || !u1 || u2 == u1 || !u2)
		return -EINVAL;
	if (!dns_name(name, (size_t)(u1 - name), false, K8S_NS_LEN - 1) ||
	    !dns_name(u1 + 1, (size_t)(u2 - u1 - 1), true, K8S_POD_LEN - 1) ||
	    !uid_take(u2 + 1, n - (size_t)(u2 + 1 - name), '-', uid))
		return -EINVAL;
	put(ns, name, (size_t)(u1 - name));
	put(pod, u1 + 1, (size_t)(u2 - u1 - 1));
	return 0;
}

int k8s_parse_docker_name(const char *json, size_t len, char *out, size_t outlen)
{
	static const char key[] = "\"Name\":\"";
	const char *p = json, *end = json + len;

	if (outlen)
		out[0] = '\0';
	while (p < end) {
		const char *k = memmem(p, (size_t)(end - p), key, sizeof(key) - 1);
		const char *v, *q;

		if (!k)
			break;
		v = k + sizeof(key) - 1;
		/* the container's own "Name" is "/NAME"; other objects' (volumes) have no '/' */
		if (v >= end || *v != '/') {
			p = v;
			continue;
		}
		v++;
		for (q = v;
		     q < end && (isalnum((unsigned char)*q) || *q == '_' || *q == '.' || *q == '-');
		     q++)
			;
		/* a plain name closed by its quote; "Name" keys of nested objects that do not
		 * look like one are passed over */
		if (q < end && *q == '"' && q > v && (size_t)(q - v) < outlen) {
			put(out, v, (size_t)(q - v));
			return 0;
		}
		p = v;
	}
	return -ENOENT;
}

/* ---- the node's state ---- */

struct ctr_ent {
	char id[K8S_ID_LEN];
	char uid[K8S_UID_LEN]; /* from the link's target, "" when it has none */
	char ns[K8S_NS_LEN];
	char pod[K8S_POD_LEN];
	char name[K8S_CTR_LEN];
};

struct pod_ent {
	char uid[K8S_UID_LEN];
	char ns[K8S_NS_LEN];
	char pod[K8S_POD_LEN];
};

struct pid_ent {
	uint32_t pid, netns;
	uint64_t dino;
	struct k8s_cgroup_ref ref; /* empty for a process that is no container's */
};

struct netns_ent {
	uint32_t inode;
	bool ambiguous; /* processes of two pods in it: no pod's rather than a wrong one */
	char uid[K8S_UID_LEN];
};

struct docker_ent {
	char id[K8S_ID_LEN];
	char name[K8S_CTR_LEN]; /* "" when Docker's files do not say */
};

struct dir_watch {
	char path[512];
	struct timespec mtime;
	ino_t ino;
	bool present;
	bool said_full;
};

struct k8s {
	pthread_mutex_t lock;
	char root[256], proc[256];
	struct dir_watch logs, pods, docker;
	struct ctr_ent *ctrs; /* sorted by id */
	size_t nctrs;
	struct pod_ent *pods_v; /* sorted by uid */
	size_t npods;
	struct pid_ent *pids; /* sorted by pid, as netns_list.pids */
	size_t npids;
	struct netns_ent *nets; /* sorted by inode */
	size_t nnets;
	struct docker_ent *dockers; /* sorted by id; cleared when Docker's directory changes */
	size_t ndockers, capdockers;
	uint32_t host_netns;
	struct tls_cgroups cg; /* cgroup ids to paths */
	time_t last_sweep;
	int cg_mount_fd, cg_handle_type; /* for cgroup_path_by_id() */
	size_t rereads;
};

static struct k8s *global;

static void join_path(char *out, size_t len, const char *root, const char *rel)
{
	size_t r = strlen(root);

	while (r > 0 && root[r - 1] == '/')
		r--;
	snprintf(out, len, "%.*s%s", (int)r, root, rel);
}

bool k8s_detect(const char *root)
{
	char p[512];
	struct stat st;

	join_path(p, sizeof(p), root, "/var/log/containers");
	if (!stat(p, &st) && S_ISDIR(st.st_mode))
		return true;
	join_path(p, sizeof(p), root, "/var/lib/docker/containers");
	return !stat(p, &st) && S_ISDIR(st.st_mode);
}

static uint32_t ns_inode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (uint32_t)st.st_ino;
}

struct k8s *k8s_new(const struct k8s_opts *o)
{
	struct k8s *k = calloc(1, sizeof(*k));
	char p[300];

	if (!k)
		return NULL;
	pthread_mutex_init(&k->lock, NULL);
	snprintf(k->root, sizeof(k->root), "%s", o && o->root && *o->root ? o->root : "/");
	snprintf(k->proc, sizeof(k->proc), "%s", o && o->proc ? o->proc : "/proc");
	join_path(k->logs.path, sizeof(k->logs.path), k->root, "/var/log/containers");
	join_path(k->pods.path, sizeof(k->pods.path), k->root, "/var/log/pods");
	join_path(k->docker.path, sizeof(k->docker.path), k->root, "/var/lib/docker/containers");
	tls_cgroups_init(&k->cg);
	k->cg_mount_fd = -1; /* opened at the first lookup by id */
	/* a miss (a cgroup made since the last walk) walks at most five times a second: a
	 * walk of a node's few thousand cgroups costs a few milliseconds */
	k->cg.min_walk_ms = 200;
	/* the host's namespace (pid 1's, with hostPID) is shared by host-network pods */
	snprintf(p, sizeof(p), "%s/1/ns/net", k->proc);
	k->host_netns = ns_inode_of(p);
	if (!k->host_netns)
		k->host_netns = netns_self();
	return k;
}

void k8s_free(struct k8s *k)
{
	if (!k)
		return;
	if (global == k)
		global = NULL;
	tls_cgroups_free(&k->cg);
	if (k->cg_mount_fd >= 0)
		close(k->cg_mount_fd);
	free(k->ctrs);
	free(k->pods_v);
	free(k->pids);
	free(k->nets);
	free(k->dockers);
	pthread_mutex_destroy(&k->lock);
	free(k);
}

void k8s_set_global(struct k8s *k)
{
	global = k;
}

struct k8s *k8s_global(void)
{
	return global;
}

/* Whether the directory changed since it was last read. A change within the same clock
 * tick as the read could hide behind an unchanged mtime: a directory modified in the last
 * two seconds is read again. */
static bool dir_changed(struct dir_watch *w)
{
	struct stat st;
	struct timespec now;

	if (stat(w->path, &st) || !S_ISDIR(st.st_mode)) {
		bool was = w->present;

		w->present = false;
		return was;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	if (w->present && st.st_ino == w->ino && st.st_mtim.tv_sec == w->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == w->mtime.tv_nsec && now.tv_sec - st.st_mtim.tv_sec > 2)
		return false;
	w->present = true;
	w->ino = st.st_ino;
	w->mtime = st.st_mtim;
	return true;
}

static int cmp_ctr(const void *a, const void *b)
{
	return strcmp(((const struct ctr_ent *)a)->id, ((const struct ctr_ent *)b)->id);
}

static int cmp_pod(const void *a, const void *b)
{
	return strcmp(((const struct pod_ent *)a)->uid, ((const struct pod_ent *)b)->uid);
}

static int cmp_net(const void *a, const void *b)
{
	uint32_t x = ((const struct netns_ent *)a)->inode, y = ((const struct netns_ent *)b)->inode;

	return x < y ? -1 : x > y;
}

static void say_full(struct dir_watch *w)
{
	if (!w->said_full)
		pr_warn("kubernetes: more than %d entries in %s: the rest are not named",
			K8S_MAX_ENTRIES, w->path);
	w->said_full = true;
}

/* The log links: names by container ID, and pods by UID where the link's target says it
 * (/var/log/pods/NAMESPACE_POD_UID/CONTAINER/N.log). */
static void read_logs(struct k8s *k, struct pod_ent **pods, size_t *npods, size_t *cappods)
{
	struct ctr_ent *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d = opendir(k->logs.path);

	while (d && (de = readdir(d))) {
		struct k8s_log_name ln;
		struct ctr_ent *e;
		char link[1024], target[1024];
		ssize_t tl;

		if (de->d_name[0] == '.')
			continue;
		if (k8s_parse_log_name(de->d_name, &ln)) {
			pr_debug("kubernetes: %s/%s: not POD_NAMESPACE_CONTAINER-ID.log, skipped",
				 k->logs.path, de->d_name);
			continue;
		}
		if (n >= K8S_MAX_ENTRIES) {
			say_full(&k->logs);
			break;
		}
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct ctr_ent *nv = realloc(v, nc * sizeof(*nv));

			if (!nv)
				break;
			v = nv;
			cap = nc;
		}
		e = &v[n++];
		memset(e, 0, sizeof(*e));
		memcpy(e->id, ln.id, sizeof(e->id));
		memcpy(e->ns, ln.ns, sizeof(e->ns));
		memcpy(e->pod, ln.pod, sizeof(e->pod));
		snprintf(e->name, sizeof(e->name), "%s", ln.container);
		snprintf(link, sizeof(link), "%s/%s", k->logs.path, de->d_name);
		tl = readlink(link, target, sizeof(target) - 1);
		if (tl > 0) {
			/* ".../NAMESPACE_POD_UID/CONTAINER/N.log": the component two up */
			char *s2, *s1, ns[K8S_NS_LEN], pod[K8S_POD_LEN];

			target[tl] = '\0';
			s2 = strrchr(target, '/');
			if (s2) {
				*s2 = '\0';
				s1 = strrchr(target, '/');
				if (s1) {
					*s1 = '\0';
					s2 = strrchr(target, '/');
					if (!k8s_parse_pod_dir(s2 ? s2 + 1 : target, ns, pod,
							       e->uid) &&
					    (strcmp(ns, e->ns) || strcmp(pod, e->pod)))
						e->uid[0] =
							'\0'; /* the two disagree: trust neither */
				}
			}
		}
		if (e->uid[0] && *npods < K8S_MAX_ENTRIES) {
			if (*npods == *cappods) {
				size_t nc = *cappods ? *cappods * 2 : 64;
				struct pod_ent *np = realloc(*pods, nc * sizeof(*np));

				if (!np)
					continue;
				*pods = np;
				*cappods = nc;
			}
			struct pod_ent *p = &(*pods)[(*npods)++];

			memcpy(p->uid, e->uid, sizeof(p->uid));
			memcpy(p->ns, e->ns, sizeof(p->ns));
			memcpy(p->pod, e->pod, sizeof(p->pod));
		}
	}
	if (d)
		closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_ctr);
	free(k->ctrs);
	k->ctrs = v;
	k->nctrs = n;
}

static void read_pod_dirs(struct k8s *k, struct pod_ent **pods, size_t *npods, size_t *cappods)
{
	struct dirent *de;
	DIR *d = opendir(k->pods.path);

	while (d && (de = readdir(d))) {
		struct pod_ent e;

		if (de->d_name[0] == '.')
			continue;
		if (k8s_parse_pod_dir(de->d_name, e.ns, e.pod, e.uid)) {
			pr_debug("kubernetes: %s/%s: not NAMESPACE_POD_UID, skipped", k->pods.path,
				 de->d_name);
			continue;
		}
		if (*npods >= K8S_MAX_ENTRIES) {
			say_full(&k->pods);
			break;
		}
		if (*npods == *cappods) {
			size_t nc = *cappods ? *cappods * 2 : 64;
			struct pod_ent *np = realloc(*pods, nc * sizeof(*np));

			if (!np)
				break;
			*pods = np;
			*cappods = nc;
		}
		(*pods)[(*npods)++] = e;
	}
	if (d)
		closedir(d);
}

static void read_names(struct k8s *k)
{
	struct pod_ent *pods = NULL;
	size_t npods = 0, cappods = 0, w = 0;
	/* both are read when either changed: a pod's entry may come from either */
	bool logs = dir_changed(&k->logs), poddirs = dir_changed(&k->pods);

	if (dir_changed(&k->docker))
		k->ndockers = 0;
	if (!logs && !poddirs)
		return;
	k->rereads++;
	read_logs(k, &pods, &npods, &cappods);
	read_pod_dirs(k, &pods, &npods, &cappods);
	if (npods)
		qsort(pods, npods, sizeof(*pods), cmp_pod);
	/* one entry per UID; should the two sources disagree, the UID names no pod */
	for (size_t i = 0; i < npods; i++) {
		if (w && !strcmp(pods[w - 1].uid, pods[i].uid)) {
			if (strcmp(pods[w - 1].ns, pods[i].ns) ||
			    strcmp(pods[w - 1].pod, pods[i].pod))
				pods[w - 1].pod[0] = '\0';
			continue;
		}
		pods[w++] = pods[i];
	}
	free(k->pods_v);
	k->pods_v = pods;
	k->npods = w;
}

static const struct pod_ent *pod_find(const struct k8s *k, const char *uid)
{
	struct pod_ent key;
	const struct pod_ent *p;

	snprintf(key.uid, sizeof(key.uid), "%s", uid);
	p = k->npods ? bsearch(&key, k->pods_v, k->npods, sizeof(key), cmp_pod) : NULL;
	return p && p->pod[0] ? p : NULL;
}

static const struct ctr_ent *ctr_find(const struct k8s *k, const char *id)
{
	struct ctr_ent key;

	snprintf(key.id, sizeof(key.id), "%s", id);
	return k->nctrs ? bsearch(&key, k->ctrs, k->nctrs, sizeof(key), cmp_ctr) : NULL;
}

static ssize_t read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	ssize_t r = 0;

	if (fd < 0)
		return -errno;
	while (got < len && (r = read(fd, buf + got, len - got)) > 0)
		got += (size_t)r;
	close(fd);
	return r < 0 ? -errno : (ssize_t)got;
}

static int read_proc_cgroup(const struct k8s *k, uint32_t pid, struct k8s_cgroup_ref *ref)
{
	char path[300], buf[K8S_PROC_CGROUP_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%u/cgroup", k->proc, pid);
	n = read_file(path, buf, sizeof(buf));
	if (n < 0) {
		memset(ref, 0, sizeof(*ref));
		return (int)n;
	}
	return k8s_parse_proc_cgroup(buf, (size_t)n, ref);
}

/* A Docker container's name from its config.v2.json, remembered (also when unreadable)
 * until Docker's directory changes. */
static const char *docker_name(struct k8s *k, const char *id)
{
	struct docker_ent key, *e;
	char path[700];
	char *buf;
	ssize_t n;
	size_t at;

	snprintf(key.id, sizeof(key.id), "%s", id);
	e = k->ndockers ? bsearch(&key, k->dockers, k->ndockers, sizeof(key),
				  (int (*)(const void *, const void *))strcmp)
			: NULL;
	if (e)
		return e->name;
	if (!k->docker.present)
		return "";
	key.name[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s/config.v2.json", k->docker.path, id);
	buf = malloc(K8S_DOCKER_JSON_MAX);
	if (buf) {
		n = read_file(path, buf, K8S_DOCKER_JSON_MAX);
		if (n > 0)
			k8s_parse_docker_name(buf, (size_t)n, key.name, sizeof(key.name));
		free(buf);
	}
	if (k->ndockers >= K8S_MAX_ENTRIES)
		k->ndockers = 0; /* a cache: start again rather than grow */
	if (k->ndockers == k->capdockers) {
		size_t nc = k->capdockers ? k->capdockers * 2 : 16;
		struct docker_ent *nv = realloc(k->dockers, nc * sizeof(*nv));

		if (!nv)
			return "";
		k->dockers = nv;
		k->capdockers = nc;
	}
	for (at = 0; at < k->ndockers && strcmp(k->dockers[at].id, id) < 0; at++)
		;
	memmove(&k->dockers[at + 1], &k->dockers[at], (k->ndockers - at) * sizeof(key));
	k->dockers[at] = key;
	k->ndockers++;
	return k->dockers[at].name;
}

static void out3(char *ns, size_t nslen, const char *a, char *pod, size_t podlen, const char *b,
		 char *ctr, size_t ctrlen, const char *c)
{
	if (ns && nslen)
		snprintf(ns, nslen, "%s", a);
	if (pod && podlen)
		snprintf(pod, podlen, "%s", b);
	if (ctr && ctrlen)
		snprintf(ctr, ctrlen, "%s", c);
}

/* Names of what a cgroup says; the caller holds the lock. */
static int names_of_ref(struct k8s *k, const struct k8s_cgroup_ref *ref, char *ns, size_t nslen,
			char *pod, size_t podlen, char *ctr, size_t ctrlen)
{
	const struct ctr_ent *c = ref->container_id[0] ? ctr_find(k, ref->container_id) : NULL;

	out3(ns, nslen, "", pod, podlen, "", ctr, ctrlen, "");
	if (ref->pod_uid[0]) {
		const struct pod_ent *p = pod_find(k, ref->pod_uid);

		/* a pod whose files are gone (deleted between two reads) is named by no one */
		if (!p)
			return -ENOENT;
		/* a log link of another pod for this ID is not believed */
		if (c && c->uid[0] && strcmp(c->uid, p->uid))
			c = NULL;
		if (c && !c->uid[0] && (strcmp(c->ns, p->ns) || strcmp(c->pod, p->pod)))
			c = NULL;
		out3(ns, nslen, p->ns, pod, podlen, p->pod, ctr, ctrlen, c ? c->name : "");
		return 0;
	}
	if (!ref->container_id[0])
		return -ENOENT;
	if (c) {
		out3(ns, nslen, c->ns, pod, podlen, c->pod, ctr, ctrlen, c->name);
		return 0;
	}
	/* a container of no pod: Docker's name for it, else its short ID */
	const char *dn = ref->runtime == K8S_RT_DOCKER || ref->runtime == K8S_RT_BARE
				 ? docker_name(k, ref->container_id)
				 : "";

	if (ctr && ctrlen) {
		if (*dn)
			snprintf(ctr, ctrlen, "%s", dn);
		else
			snprintf(ctr, ctrlen, "%.*s", K8S_SHORT_ID, ref->container_id);
	}
	return 0;
}

void k8s_refresh(struct k8s *k, const struct netns_list *list)
{
	struct pid_ent *nv;
	struct netns_ent *nets;
	struct timespec now;
	size_t old = 0, n = 0, nn = 0;

	pthread_mutex_lock(&k->lock);
	read_names(k);
	/* every process of the scan: the cgroups of those not seen before, and of those the
	 * scan looked at again (a process joins its pod's cgroup and namespace a moment after
	 * it starts: seen in between, it would stay no pod's) */
	nv = list->npids ? calloc(list->npids, sizeof(*nv)) : NULL;
	for (size_t i = 0; nv && i < list->npids; i++) {
		const struct netns_pid *p = &list->pids[i];

		while (old < k->npids && k->pids[old].pid < p->pid)
			old++;
		if (!p->looked && old < k->npids && k->pids[old].pid == p->pid &&
		    k->pids[old].dino == p->dino) {
			nv[n] = k->pids[old];
		} else {
			nv[n].pid = p->pid;
			nv[n].dino = p->dino;
			read_proc_cgroup(k, p->pid, &nv[n].ref);
		}
		nv[n++].netns = p->inode;
	}
	if (nv || !list->npids) {
		free(k->pids);
		k->pids = nv;
		k->npids = n;
	}
	/* namespaces to pods, afresh: a pod gone takes its namespace's mapping with it */
	nets = k->npids ? malloc(k->npids * sizeof(*nets)) : NULL;
	for (size_t i = 0; nets && i < k->npids; i++) {
		const struct pid_ent *p = &k->pids[i];

		if (!p->ref.pod_uid[0] || !p->netns || p->netns == k->host_netns)
			continue;
		nets[nn].inode = p->netns;
		nets[nn].ambiguous = false;
		memcpy(nets[nn].uid, p->ref.pod_uid, sizeof(nets[nn].uid));
		nn++;
	}
	if (nn)
		qsort(nets, nn, sizeof(*nets), cmp_net);
	size_t w = 0;

	for (size_t i = 0; i < nn; i++) {
		if (w && nets[w - 1].inode == nets[i].inode) {
			if (strcmp(nets[w - 1].uid, nets[i].uid))
				nets[w - 1].ambiguous = true;
			continue;
		}
		nets[w++] = nets[i];
	}
	free(k->nets);
	k->nets = nets;
	k->nnets = nets ? w : 0;
	/* cgroup ids: a walk now and then forgets the cgroups that are gone (one made since
	 * is found by the walk a lookup's miss makes) */
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!k->last_sweep || now.tv_sec - k->last_sweep >= K8S_SWEEP_S) {
		tls_cgroups_sweep(&k->cg, NULL, NULL);
		k->last_sweep = now.tv_sec;
	}
	pthread_mutex_unlock(&k->lock);
}

int k8s_lookup_netns(struct k8s *k, uint64_t netns_ino, char *ns, size_t nslen, char *pod,
		     size_t podlen)
{
	struct netns_ent key = { .inode = (uint32_t)netns_ino }, *e;
	int ret = -ENOENT;

	out3(ns, nslen, "", pod, podlen, "", NULL, 0, "");
	if (!k || !netns_ino || netns_ino > UINT32_MAX)
		return -ENOENT;
	pthread_mutex_lock(&k->lock);
	e = k->nnets ? bsearch(&key, k->nets, k->nnets, sizeof(key), cmp_net) : NULL;
	if (e && !e->ambiguous) {
		const struct pod_ent *p = pod_find(k, e->uid);

		if (p) {
			out3(ns, nslen, p->ns, pod, podlen, p->pod, NULL, 0, "");
			ret = 0;
		}
	}
	pthread_mutex_unlock(&k->lock);
	return ret;
}

int k8s_lookup_cgroup_path(struct k8s *k, const char *path, char *ns, size_t nslen, char *pod,
			   size_t podlen, char *ctr, size_t ctrlen)
{
	struct k8s_cgroup_ref ref;
	int ret;

	out3(ns, nslen, "", pod, podlen, "", ctr, ctrlen, "");
	if (!k || !path || k8s_parse_cgroup_path(path, &ref))
		return -ENOENT;
	pthread_mutex_lock(&k->lock);
	ret = names_of_ref(k, &ref, ns, nslen, pod, podlen, ctr, ctrlen);
	pthread_mutex_unlock(&k->lock);
	return ret;
}

/* The path of a cgroup the walk has not seen yet, below the cgroup2 mount, by its id: a
 * cgroup2 file handle is the id (what name_to_handle_at gives), so open_by_handle_at()
 * opens the directory and /proc/self/fd names it. One open, no walk. The caller holds the
 * lock. */
static const char *cgroup_path_by_id(struct k8s *k, uint64_t id, char *out, size_t len)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + 64];
	} h;
	char link[64], full[K8S_PATH_MAX];
	size_t rl = strlen(k->cg.root);
	ssize_t n;
	int fd, mount_id;

	if (!k->cg.root[0])
		return NULL;
	if (k->cg_mount_fd < 0) {
		/* the handle type is learnt with the mount's fd: keep neither without the other,
		 * so that a failure here is retried at the next lookup */
		h.fh.handle_bytes = 64;
		if (name_to_handle_at(AT_FDCWD, k->cg.root, &h.fh, &mount_id, 0))
			return NULL;
		k->cg_handle_type = h.fh.handle_type;
		k->cg_mount_fd = open(k->cg.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (k->cg_mount_fd < 0)
			return NULL;
	}
	h.fh.handle_bytes = sizeof(id);
	h.fh.handle_type = k->cg_handle_type;
	memcpy(h.fh.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(k->cg_mount_fd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, full, sizeof(full) - 1);
	close(fd);
	if (n <= 0 || (size_t)n < rl || memcmp(full, k->cg.root, rl))
		return NULL;
	full[n] = '\0';
	snprintf(out, len, "%s", full[rl] ? full + rl : "/");
	return out;
}

int k8s_lookup_cgroup_id(struct k8s *k, uint64_t cgroup_id, char *ns, size_t nslen, char *pod,
			 size_t podlen, char *ctr, size_t ctrlen)
{
	char path[K8S_PATH_MAX];
	const char *p;

	out3(ns, nslen, "", pod, podlen, "", ctr, ctrlen, "");
	if (!k || !cgroup_id)
		return -ENOENT;
	pthread_mutex_lock(&k->lock);
	p = tls_cgroup_name(&k->cg, cgroup_id, path, sizeof(path));
	if (!p)
		p = cgroup_path_by_id(k, cgroup_id, path, sizeof(path));
	pthread_mutex_unlock(&k->lock);
	/* a cgroup made since the last walk, when a walk ran too recently to walk again */
	if (!p)
		return -EAGAIN;
	return k8s_lookup_cgroup_path(k, p, ns, nslen, pod, podlen, ctr, ctrlen);
}

int k8s_lookup_pid(struct k8s *k, uint32_t pid, char *ns, size_t nslen, char *pod, size_t podlen,
		   char *ctr, size_t ctrlen)
{
	struct k8s_cgroup_ref ref;
	size_t lo = 0, hi;
	int ret;

	out3(ns, nslen, "", pod, podlen, "", ctr, ctrlen, "");
	if (!k || !pid)
		return -ENOENT;
	pthread_mutex_lock(&k->lock);
	hi = k->npids;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->pids[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* a process newer than the last scan: its own file, once */
	if (lo < k->npids && k->pids[lo].pid == pid)
		ref = k->pids[lo].ref;
	else
		read_proc_cgroup(k, pid, &ref);
	ret = ref.pod_uid[0] || ref.container_id[0]
		      ? names_of_ref(k, &ref, ns, nslen, pod, podlen, ctr, ctrlen)
		      : -ENOENT;
	pthread_mutex_unlock(&k->lock);
	return ret;
}

void k8s_stats(struct k8s *k, struct k8s_stats *s)
{
	memset(s, 0, sizeof(*s));
	if (!k)
		return;
	pthread_mutex_lock(&k->lock);
	s->containers = k->nctrs;
	s->pods = k->npods;
	s->pids = k->npids;
	s->netns = k->nnets;
	s->rereads = k->rereads;
	pthread_mutex_unlock(&k->lock);
}

int k8s_pod_of_netns(uint64_t netns_ino, char *ns, size_t nslen, char *pod, size_t podlen)
{
	return k8s_lookup_netns(global, netns_ino, ns, nslen, pod, podlen);
}

int k8s_of_cgroup(uint64_t cgroup_id, char *ns, size_t nslen, char *pod, size_t podlen, char *ctr,
		  size_t ctrlen)
{
	int err = k8s_lookup_cgroup_id(global, cgroup_id, ns, nslen, pod, podlen, ctr, ctrlen);

	return err ? -ENOENT : 0;
}
