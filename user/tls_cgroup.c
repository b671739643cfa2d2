// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "tls_cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define WALK_MAX_DEPTH 32
#define WALK_MAX_CGROUPS 200000

void tls_cgroups_init(struct tls_cgroups *c)
{
	memset(c, 0, sizeof(*c));
	c->min_walk_ms = 200;
}

void tls_cgroups_free(struct tls_cgroups *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].path);
	free(c->v);
	c->v = NULL;
	c->n = c->cap = 0;
}

bool cgroup2_mount_of_root(const char *root)
{
	if (!strcmp(root, "/"))
		return true;
	for (; *root; root += 3)
		if (strncmp(root, "/..", 3))
			return false;
	return true;
}

int tls_cgroup2_root(const char *mountinfo, char *out, size_t len)
{
	FILE *f = fopen(mountinfo, "re");
	char line[4096];

	if (len)
		out[0] = '\0';
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		/* "36 25 0:31 / /sys/fs/cgroup/unified rw,... shared:9 - cgroup2 cgroup2 rw" */
		char *sep = strstr(line, " - "), *fields[5], *save = NULL, *tok;
		int n = 0;

		if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
			continue;
		*sep = '\0';
		for (tok = strtok_r(line, " ", &save); tok && n < 5;
		     tok = strtok_r(NULL, " ", &save))
			fields[n++] = tok;
		/* only a mount of the hierarchy's root names every cgroup by its full path; in
		 * a cgroup namespace that root shows as "/.." once per level above ours */
		if (n < 5 || !cgroup2_mount_of_root(fields[3]))
			continue;
		snprintf(out, len, "%s", fields[4]);
		break;
	}
	fclose(f);
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool cgroup_id_of(const char *path, uint64_t *id)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + 64];
	} h;
	int mount_id;

	h.fh.handle_bytes = 64;
	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0) || h.fh.handle_bytes < 8)
		return false;
	memcpy(id, h.fh.f_handle, sizeof(*id));
	return true;
}

static struct tls_cgroup_ent *find(struct tls_cgroups *c, uint64_t id, size_t *at)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->v[mid].id == id)
			return &c->v[mid];
		if (c->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (at)
		*at = lo;
	return NULL;
}

static void learn(struct tls_cgroups *c, uint64_t id, const char *rel)
{
	struct tls_cgroup_ent *e;
	size_t at;

	e = find(c, id, &at);
	if (e) {
		e->seen = true;
		return;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct tls_cgroup_ent *v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			return;
		c->v = v;
		c->cap = cap;
	}
	char *p = strdup(rel);

	if (!p)
		return;
	memmove(&c->v[at + 1], &c->v[at], (c->n - at) * sizeof(*c->v));
	c->v[at] = (struct tls_cgroup_ent){ id, p, true };
	c->n++;
}

/* Depth-first over the directories under root; rel is the path below it. */
static int walk(struct tls_cgroups *c, char *path, size_t plen, size_t cap, int depth,
		unsigned int *count)
{
	struct dirent *de;
	uint64_t id;
	DIR *d;

	if (cgroup_id_of(path, &id)) {
		learn(c, id, plen > strlen(c->root) ? path + strlen(c->root) : "/");
		(*count)++;
	}
	if (depth >= WALK_MAX_DEPTH || *count >= WALK_MAX_CGROUPS)
		return 0;
	d = opendir(path);
	if (!d)
		return 0; /* removed under us, or not allowed: not an error */
	while ((de = readdir(d))) {
		size_t nlen = strlen(de->d_name);

		if (de->d_type != DT_DIR || de->d_name[0] == '.' || plen + 1 + nlen + 1 > cap)
			continue;
		path[plen] = '/';
		memcpy(path + plen + 1, de->d_name, nlen + 1);
		walk(c, path, plen + 1 + nlen, cap, depth + 1, count);
		path[plen] = '\0';
	}
	closedir(d);
	return 0;
}

static int walk_all(struct tls_cgroups *c)
{
	char path[4096];
	unsigned int count = 0;

	if (!c->root_looked) {
		c->root_looked = true;
		tls_cgroup2_root("/proc/self/mountinfo", c->root, sizeof(c->root));
	}
	c->last_walk_ns = now_ms();
	if (!c->root[0])
		return -ENOENT;
	for (size_t i = 0; i < c->n; i++)
		c->v[i].seen = false;
	snprintf(path, sizeof(path), "%s", c->root);
	walk(c, path, strlen(path), sizeof(path), 0, &count);
	return (int)count;
}

const char *tls_cgroup_name(struct tls_cgroups *c, uint64_t id, char *buf, size_t len)
{
	struct tls_cgroup_ent *e = find(c, id, NULL);

	if (!e) {
		char num[24];

		/* the task was in the cgroup when the kernel counted, so a walk from now
		 * on finds it unless it is already gone (or outside our view) */
		if (c->last_walk_ns && now_ms() - c->last_walk_ns < c->min_walk_ms)
			return NULL;
		walk_all(c);
		e = find(c, id, NULL);
		if (!e) {
			snprintf(num, sizeof(num), "%" PRIu64, id);
			learn(c, id, num);
			e = find(c, id, NULL);
			if (!e)
				return NULL;
			e->seen = false;
		}
	}
	snprintf(buf, len, "%s", e->path);
	return buf;
}

int tls_cgroups_sweep(struct tls_cgroups *c, void (*gone)(void *ctx, uint64_t id, const char *path),
		      void *ctx)
{
	int found = walk_all(c);
	size_t k = 0;

	if (found <= 0)
		return found; /* nothing walked: nothing can be said gone */
	for (size_t i = 0; i < c->n; i++) {
		if (c->v[i].seen) {
			c->v[k++] = c->v[i];
			continue;
		}
		if (gone)
			gone(ctx, c->v[i].id, c->v[i].path);
		free(c->v[i].path);
	}
	c->n = k;
	return found;
}
