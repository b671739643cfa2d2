/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * cgroup v2 ids (what bpf_get_current_cgroup_id() returns) to paths relative to the
 * cgroup2 mount, e.g. "/system.slice/nginx.service": found by walking the mounted
 * hierarchy and asking name_to_handle_at() for each directory's id (a cgroup2 file
 * handle is its id). A path once given to an id stays its name until the id is
 * forgotten, so a label never changes under a series.
 */
#ifndef OSISCOPE_TLS_CGROUP_H
#define OSISCOPE_TLS_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tls_cgroup_ent {
	uint64_t id;
	char *path;
	bool seen; /* found by the last walk */
};

struct tls_cgroups {
	char root[256]; /* cgroup2 mount point, "" when there is none */
	bool root_looked;
	struct tls_cgroup_ent *v; /* sorted by id */
	size_t n, cap;
	uint64_t last_walk_ns;
	unsigned int min_walk_ms; /* at most one walk on a miss per this long */
};

void tls_cgroups_init(struct tls_cgroups *c);
void tls_cgroups_free(struct tls_cgroups *c);

/* Whether a cgroup2 mount whose root field in mountinfo is root shows the whole hierarchy:
 * "/", or in a cgroup namespace "/.." once per level above the namespace's root. */
bool cgroup2_mount_of_root(const char *root);

/* The cgroup2 mount point in a mountinfo file ("" if none). 0, or -errno. */
int tls_cgroup2_root(const char *mountinfo, char *out, size_t len);

/* Label value of a cgroup id: its path, or the id in decimal when a walk made after
 * the id was first asked for did not find it (outside the agent's view, or already
 * gone), from then on. NULL when a walk ran less than min_walk_ms ago: ask again at
 * the next collection, so that a label is never first a number and then a path. */
const char *tls_cgroup_name(struct tls_cgroups *c, uint64_t id, char *buf, size_t len);

/* Walks now and calls gone(ctx, id, path) for every known id the walk did not find
 * (cgroup ids are never reused: it was removed), then forgets it. Returns how many
 * cgroups the walk found, or -errno. */
int tls_cgroups_sweep(struct tls_cgroups *c, void (*gone)(void *ctx, uint64_t id, const char *path),
		      void *ctx);

#endif
