/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Pod and container names from the node's own files, with no API server:
 *  - a process's cgroup path names its pod UID and container ID (containerd, CRI-O, Docker
 *    and cri-dockerd; the kubelet's systemd and cgroupfs drivers; cgroup v1 and v2; paths
 *    relative to the agent's cgroup namespace, "/../../kubepods/...", too);
 *  - the kubelet's log links, /var/log/containers/POD_NAMESPACE_CONTAINER-ID.log (pointing
 *    into /var/log/pods/NAMESPACE_POD_UID/CONTAINER/), name the pod, its namespace and the
 *    container of an ID; re-read only when the directory changes;
 *  - a network namespace is a pod's when a process in it is in that pod's cgroups (its
 *    sandbox); the host's namespace, shared by host-network pods, is no pod's.
 * On a plain Docker host a container is named from Docker's config.v2.json, else by its
 * short ID. Lookups never scan anything: refresh() does the work, once per collection.
 */
#ifndef OSISCOPE_K8S_H
#define OSISCOPE_K8S_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netns.h"

#define K8S_NS_LEN 64 /* a namespace is a DNS label: 63 characters */
#define K8S_POD_LEN 254 /* a pod name is a DNS subdomain: 253 */
#define K8S_CTR_LEN 254 /* a container name: a DNS label, or Docker's longer names */
#define K8S_UID_LEN 37 /* 8-4-4-4-12, or 32 hex digits for static pods */
#define K8S_ID_LEN 65 /* container IDs: 64 hex digits */

enum k8s_runtime { K8S_RT_NONE, K8S_RT_CONTAINERD, K8S_RT_CRIO, K8S_RT_DOCKER, K8S_RT_BARE };

/* What one cgroup path says: either part may be empty. */
struct k8s_cgroup_ref {
	char pod_uid[K8S_UID_LEN]; /* with dashes, as the API and /var/log/pods write it */
	char container_id[K8S_ID_LEN];
	enum k8s_runtime runtime; /* of the container ID */
};

/* One cgroup path, as /proc/PID/cgroup or a walk of the hierarchy gives it. 0 when it
 * names a pod or a container, -ENOENT when neither, -EINVAL when too long. */
int k8s_parse_cgroup_path(const char *path, struct k8s_cgroup_ref *ref);
/* The text of /proc/PID/cgroup (len bytes, every hierarchy's line): the line that says
 * most (pod and container over pod alone) wins. 0, -ENOENT or -EINVAL as above. */
int k8s_parse_proc_cgroup(const char *text, size_t len, struct k8s_cgroup_ref *ref);

struct k8s_log_name {
	char ns[K8S_NS_LEN];
	char pod[K8S_POD_LEN];
	char container[K8S_CTR_LEN];
	char id[K8S_ID_LEN];
};
/* A /var/log/containers entry, "POD_NAMESPACE_CONTAINER-ID.log". 0, or -EINVAL. */
int k8s_parse_log_name(const char *name, struct k8s_log_name *out);
/* A /var/log/pods entry, "NAMESPACE_POD_UID". 0, or -EINVAL. */
int k8s_parse_pod_dir(const char *name, char ns[K8S_NS_LEN], char pod[K8S_POD_LEN],
		      char uid[K8S_UID_LEN]);
/* Docker's config.v2.json: the container's "Name" without its leading '/'. 0, -ENOENT. */
int k8s_parse_docker_name(const char *json, size_t len, char *out, size_t outlen);

struct k8s;

struct k8s_opts {
	const char *root; /* where the node's files are: ROOT/var/log/containers... ("/") */
	const char *proc; /* "/proc" */
};

/* NULL with errno on ENOMEM. */
struct k8s *k8s_new(const struct k8s_opts *o);
void k8s_free(struct k8s *k);
/* Whether ROOT/var/log/containers or ROOT/var/lib/docker/containers exists: what
 * --kubernetes=auto turns on for. */
bool k8s_detect(const char *root);

/* Once per collection: re-reads the log directories if they changed, reads the cgroups of
 * the processes new since the last scan (list->pids of a netns_scan()) and maps network
 * namespaces to pods. Pods gone from the files or with no process left are forgotten. */
void k8s_refresh(struct k8s *k, const struct netns_list *list);

/* Label values: each 0 when found (empty strings for what is not known: a pod's
 * container, a Docker container's pod), -ENOENT when the thing is no pod's or
 * container's (all outputs ""). Thread safe. */
int k8s_lookup_netns(struct k8s *k, uint64_t netns_ino, char *ns, size_t nslen, char *pod,
		     size_t podlen);
/* -EAGAIN: a cgroup not known yet (made since the last walk, which ran too recently to
 * walk again): ask by the process instead. */
int k8s_lookup_cgroup_id(struct k8s *k, uint64_t cgroup_id, char *ns, size_t nslen, char *pod,
			 size_t podlen, char *ctr, size_t ctrlen);
int k8s_lookup_cgroup_path(struct k8s *k, const char *path, char *ns, size_t nslen, char *pod,
			   size_t podlen, char *ctr, size_t ctrlen);
int k8s_lookup_pid(struct k8s *k, uint32_t pid, char *ns, size_t nslen, char *pod, size_t podlen,
		   char *ctr, size_t ctrlen);

/* How many of each the tables hold, for tests and the debug log. */
struct k8s_stats {
	size_t containers, pods, pids, netns, rereads;
};
void k8s_stats(struct k8s *k, struct k8s_stats *s);

/* The agent's instance, for what has no handle to pass (diagnose problems): set by the
 * agent, NULL when --kubernetes is off. */
void k8s_set_global(struct k8s *k);
struct k8s *k8s_global(void);
int k8s_pod_of_netns(uint64_t netns_ino, char *ns, size_t nslen, char *pod, size_t podlen);
int k8s_of_cgroup(uint64_t cgroup_id, char *ns, size_t nslen, char *pod, size_t podlen, char *ctr,
		  size_t ctrlen);

#endif
