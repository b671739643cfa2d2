// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The one event path: every collector's ring-buffer record starts with struct
 * event_hdr. Here it is checked, its header decoded, the collector's decoder called for
 * its own fields, and the record enriched with what userspace knows (the device's name
 * from its ifindex) before it goes to the sink (trace, the debug log). A record a
 * collector made in userspace comes in here too (collector_event_emit()).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "collector.h"
#include "k8s.h"
#include "log.h"

/* A record shorter than the struct this agent was built with: agent and BPF object
 * differ. Said once per collector. */
static bool fits(struct collector *l, size_t size, size_t want)
{
	if (size >= want)
		return true;
	if (!l->said_short)
		pr_warn("%s: short event of %zu bytes, want %zu: agent and BPF object differ",
			l->name, size, want);
	l->said_short = true;
	return false;
}

/* The pod and container: by the socket's or task's cgroup v2 id first (what a
 * container's process did; for a cgroup newer than the last walk, by the process's own
 * cgroups), else the pod by the network namespace (a kernel event with no task, a process
 * already gone) and, in a pod's namespace only, the container by the process's own
 * cgroups (a v1 layout): no file is read for the host's processes in known cgroups. */
static void enrich_pod(struct k8s *k, struct event_record *r)
{
	char ns[sizeof(r->namespace)], pod[sizeof(r->pod)];
	int err = k8s_lookup_cgroup_id(k, r->cgroup_id, r->namespace, sizeof(r->namespace), r->pod,
				       sizeof(r->pod), r->container, sizeof(r->container));

	if (!err)
		return;
	/* a cgroup newer than the last walk: the process's own file says, while it lives */
	if (err == -EAGAIN && !k8s_lookup_pid(k, r->pid, r->namespace, sizeof(r->namespace), r->pod,
					      sizeof(r->pod), r->container, sizeof(r->container)))
		return;
	if (k8s_lookup_netns(k, r->netns, r->namespace, sizeof(r->namespace), r->pod,
			     sizeof(r->pod)))
		return;
	/* the process's container, if it is of the namespace's pod */
	if (!k8s_lookup_pid(k, r->pid, ns, sizeof(ns), pod, sizeof(pod), r->container,
			    sizeof(r->container)) &&
	    (strcmp(ns, r->namespace) || strcmp(pod, r->pod)))
		r->container[0] = '\0';
}

static void enrich(struct collector *l, struct event_record *r)
{
	if (l->k8s)
		enrich_pod(l->k8s, r);
	if (!r->device[0] && r->ifindex) {
		if (l->ifaces)
			ifaces_name(l->ifaces, r->netns, r->ifindex, r->device, sizeof(r->device));
		else
			snprintf(r->device, sizeof(r->device), "if%u", r->ifindex);
	}
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct collector *l = ctx;
	const struct event_desc *ed = &l->desc->events;
	const struct event_hdr *h = data;
	struct event_record r;

	if (!fits(l, size, ed->size > sizeof(*h) ? ed->size : sizeof(*h)) || !l->sink)
		return 0;
	if (h->type >= ed->ntypes || !ed->types[h->type])
		return 0;
	memset(&r, 0, offsetof(struct event_record, text));
	r.textlen = 0;
	r.ts_ns = h->ts_ns;
	r.cgroup_id = h->cgroup_id;
	r.netns = h->netns;
	r.pid = h->pid;
	r.ifindex = h->ifindex;
	r.collector = l->name;
	r.osi = ed->osi;
	r.type = ed->types[h->type];
	memcpy(r.comm, h->comm, COMM_LEN);
	r.comm[COMM_LEN] = '\0';
	if (ed->decode && !ed->decode(l, data, &r))
		return 0;
	enrich(l, &r);
	l->sink(l->sink_ctx, &r);
	return 0;
}

void collector_event_emit(struct collector *l, const void *event, size_t size)
{
	const struct event_hdr *h = event;

	if (!l->sink || size < sizeof(*h))
		return;
	/* as event_allowed() (bpf/osiscope.bpf.h): a fixed one-second window */
	if (h->ts_ns - l->user_window_ns >= 1000000000ULL) {
		l->user_window_ns = h->ts_ns;
		l->user_count = 0;
	}
	if (l->user_count >= l->events_per_sec) {
		l->user_lost[LOST_RATELIMIT]++;
		return;
	}
	l->user_count++;
	on_record(l, (void *)event, size);
}

int collector_events_open(struct collector *l, struct bpf_map *map)
{
	l->rb = ring_buffer__new(bpf_map__fd(map), on_record, l, NULL);
	return l->rb ? 0 : collector_failed(l, -errno, "ring buffer");
}

int collector_events_add(struct collector *l, struct bpf_map *map)
{
	int err = ring_buffer__add(l->rb, bpf_map__fd(map), on_record, l);

	return err ? collector_failed(l, err, "ring buffer") : 0;
}
