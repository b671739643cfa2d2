// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The agent's core: collectors, the one event loop (signals, timer, ring buffers), and
 * BPF run-time statistics sampling. */
#include "agent.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "log.h"
#include "netns_id.h"
#include "probe.h"

/* Sampled BPF statistics: on for STATS_ON_S seconds in every STATS_PERIOD_S. */
#define STATS_PERIOD_S 30
#define STATS_ON_S 1

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int epoll_add(int epfd, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

#define TAG_SIGNAL 1000
#define TAG_TIMER 1001

/* Labels derived at rendering (registry.h): a namespace's pod, a cgroup's container. */
static void derive_netns(void *ctx, const char *value, char (*out)[DERIVED_VALUE_LEN])
{
	char *end;
	unsigned long long ino;

	errno = 0;
	ino = strtoull(value, &end, 10);
	if (errno || *end || end == value)
		ino = 0; /* "_other" */
	k8s_lookup_netns(ctx, ino, out[0], DERIVED_VALUE_LEN, out[1], DERIVED_VALUE_LEN);
}

static void derive_cgroup(void *ctx, const char *value, char (*out)[DERIVED_VALUE_LEN])
{
	char *end;
	unsigned long long id;

	/* a path, or the id in decimal where no walk found the cgroup (tls_cgroup.h) */
	errno = 0;
	id = strtoull(value, &end, 10);
	if (!errno && !*end && end != value)
		k8s_lookup_cgroup_id(ctx, id, out[0], DERIVED_VALUE_LEN, out[1], DERIVED_VALUE_LEN,
				     out[2], DERIVED_VALUE_LEN);
	else
		k8s_lookup_cgroup_path(ctx, value, out[0], DERIVED_VALUE_LEN, out[1],
				       DERIVED_VALUE_LEN, out[2], DERIVED_VALUE_LEN);
}

static int agent_k8s_init(struct agent *a)
{
	static const char *const pod_labels[] = { "namespace", "pod" };
	static const char *const ctr_labels[] = { "namespace", "pod", "container" };
	const char *root = a->cfg->k8s_root[0] ? a->cfg->k8s_root : "/";

	if (a->cfg->kubernetes == K8S_OFF)
		return 0;
	if (a->cfg->kubernetes == K8S_AUTO && !k8s_detect(root)) {
		pr_debug("kubernetes: no %s/var/log/containers nor Docker's containers: off",
			 strcmp(root, "/") ? root : "");
		return 0;
	}
	a->k8s = k8s_new(&(struct k8s_opts){ .root = root });
	if (!a->k8s)
		return -ENOMEM;
	k8s_set_global(a->k8s);
	if (registry_derive_labels(a->reg, "netns", pod_labels, 2, derive_netns, a->k8s) ||
	    registry_derive_labels(a->reg, "cgroup", ctr_labels, 3, derive_cgroup, a->k8s))
		return -EINVAL;
	static const char *const gauge[3][2] = {
		{ "osiscope_kubernetes_pods", "Pods named by the node's files (/var/log/pods, the "
					      "log links)." },
		{ "osiscope_kubernetes_containers", "Containers named by the kubelet's log links "
						    "(/var/log/containers)." },
		{ "osiscope_kubernetes_pod_netns", "Network namespaces known to be a pod's (its "
						   "sandbox is in them)." },
	};

	for (size_t i = 0; i < 3; i++) {
		struct metric_desc d = { .name = gauge[i][0],
					 .help = gauge[i][1],
					 .type = METRIC_GAUGE };

		a->k8s_gauges[i] = registry_add(a->reg, &d);
		if (!a->k8s_gauges[i])
			return -EINVAL;
	}
	pr_info("kubernetes: pod names from the node's files under %s", root);
	return 0;
}

/* What the pod tables hold: they follow the node's files and processes, never grow with
 * churn. The registry is locked. */
static void agent_k8s_collect(struct agent *a)
{
	struct k8s_stats st;
	double v[3];

	k8s_stats(a->k8s, &st);
	v[0] = (double)st.pods;
	v[1] = (double)st.containers;
	v[2] = (double)st.netns;
	for (size_t i = 0; i < 3; i++) {
		metric_gauge_reset(a->k8s_gauges[i]);
		metric_gauge_set(a->k8s_gauges[i], NULL, v[i]);
	}
}

int agent_init(struct agent *a, const struct config *cfg)
{
	struct itimerspec its = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
	sigset_t mask;
	int err = 0;

	memset(a, 0, sizeof(*a));
	a->cfg = cfg;
	a->epfd = a->sigfd = a->tfd = a->stats_fd = -1;
	atomic_store(&a->ready, false);
	strbuf_init(&a->out);
	a->ncollectors = collectors_init(a->collectors, COLLECTORS_MAX);
	a->wall_offset_ns = (int64_t)(now_ns(CLOCK_REALTIME) - now_ns(CLOCK_MONOTONIC));

	/* Block the signals in every thread (the HTTP server's inherits this mask) and
	 * read them from a signalfd in the one event loop: no async handler at all. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);

	a->reg = registry_new(cfg->series_budget);
	if (!a->reg)
		return -ENOMEM;
	a->self = selfstats_new(a->reg, cfg);
	if (!a->self)
		return -ENOMEM;
	err = agent_k8s_init(a);
	if (err)
		return err;
	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	a->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	a->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (a->epfd < 0 || a->sigfd < 0 || a->tfd < 0) {
		err = -errno;
		pr_err("event loop setup: %s", strerror(-err));
		return err;
	}
	if (timerfd_settime(a->tfd, 0, &its, NULL) || (err = epoll_add(a->epfd, a->sigfd, TAG_SIGNAL)) ||
	    (err = epoll_add(a->epfd, a->tfd, TAG_TIMER))) {
		err = err ? err : -errno;
		pr_err("event loop setup: %s", strerror(-err));
		return err;
	}
	return 0;
}

int agent_open_collectors(struct agent *a, unsigned int only, bool events, event_sink_fn sink,
		      void *sink_ctx)
{
	struct collector_opts opts = { .cfg = a->cfg,
				       .reg = a->reg,
				       .events = events,
				       .events_quiet = a->events_quiet };
	int up = 0;

	/* a scrape waits until every collector is open and the baselines are taken */
	registry_lock(a->reg);
	for (size_t i = 0; i < a->ncollectors; i++) {
		struct collector *l = &a->collectors[i];
		int err;

		if (!(a->cfg->collectors & (1u << i)) || (only && !(only & (1u << i))))
			continue;
		if (!l->desc->open) {
			snprintf(l->why, sizeof(l->why), "not built in this version of osiscope");
			pr_warn("collector %s: %s", l->name, l->why);
			continue;
		}
		/* the one event path (enrich.c) hands the collector's events on */
		l->sink = events ? sink : NULL;
		l->sink_ctx = sink_ctx;
		l->events_per_sec = a->cfg->events_per_sec;
		l->ifaces = &a->ifaces;
		l->k8s = a->k8s;
		err = l->desc->open(l, &opts);
		if (err) {
			if (!l->why[0])
				snprintf(l->why, sizeof(l->why), "%s", strerror(-err));
			pr_warn("collector %s unavailable: %s", l->name, l->why);
			l->desc->close(l);
			continue;
		}
		l->up = true;
		up++;
		if (l->rb && (err = epoll_add(a->epfd, ring_buffer__epoll_fd(l->rb), (uint64_t)i))) {
			pr_warn("collector %s: cannot watch its ring buffer: %s", l->name,
				strerror(-err));
		}
		for (size_t h = 0; h < l->nhooks; h++)
			if (l->hooks[h].chosen)
				pr_info("collector %s: %s/%s attached", l->name, l->hooks[h].mode,
					l->hooks[h].name);
	}
	/* how a namespace is told from the one that had its inode before: said once */
	char how[240];
	enum netns_id_kind id = netns_id_kind(how, sizeof(how));

	if (id == NETNS_ID_NONE)
		pr_warn("network namespaces: %s", how);
	else
		pr_info("network namespaces told apart by %s", how);
	/* First collection right away: counters start at zero here and baselines of
	 * kernel counters read without a hook are taken now, not at the first scrape. */
	agent_collect(a);
	registry_unlock(a->reg);
	return up;
}

/* Lets every collector, the device table and the registry forget a namespace; renew:
 * the inode names a new one now (see renew_netns in collector.h). */
static void forget_netns(void *ctx, uint32_t inode, bool renew)
{
	struct agent *a = ctx;
	const char *why = renew ? "was replaced by a new namespace" : "is gone";
	char ns[16];

	for (size_t l = 0; l < a->ncollectors; l++) {
		struct collector *ly = &a->collectors[l];

		if (!ly->up)
			continue;
		if (renew && ly->desc->renew_netns)
			ly->desc->renew_netns(ly, inode);
		else if (ly->desc->forget_netns)
			ly->desc->forget_netns(ly, inode);
	}
	/* counter baselines: a map's stay with a renewed inode, the namespace's own go */
	if (renew)
		registry_netns_renew(a->reg, inode);
	else
		registry_netns_forget(a->reg, inode);
	ifaces_forget(&a->ifaces, inode);
	snprintf(ns, sizeof(ns), "%u", inode);
	pr_debug("netns %u %s: dropped %zu series", inode, why,
		 registry_drop_label_value(a->reg, "netns", ns));
}

struct visit {
	struct agent *a;
	const struct netns_entry *ns;
	const struct collect_ctx *cx;
	bool ifaces, maintain;
};

static int visit_collectors(void *ctx)
{
	struct visit *v = ctx;

	netns_tracker_check_id(&v->a->tracker, v->ns->inode, netns_id(v->ns->inode), forget_netns,
			       v->a);
	if (v->ifaces) {
		/* between collections (maintain), a device that went is first shown missing
		 * by the next collection: its last count must reach a scrape */
		int err = ifaces_dump(&v->a->ifaces, v->ns->inode, v->cx->gen,
				      v->cx->gen + (v->maintain ? 1 : 0));

		if (err)
			pr_debug("netns %u: link dump: %s", v->ns->inode, strerror(-err));
	}
	for (size_t i = 0; i < v->a->ncollectors; i++) {
		struct collector *l = &v->a->collectors[i];

		if (!l->up)
			continue;
		if (v->maintain && l->desc->maintain_netns)
			l->desc->maintain_netns(l, v->ns, v->cx);
		else if (!v->maintain && l->desc->visit_netns)
			l->desc->visit_netns(l, v->a->reg, v->ns, v->cx);
	}
	return 0;
}

/* Enters every namespace of the last scan in turn and runs the collectors' visits there. */
static void visit_all(struct agent *a, const struct collect_ctx *cx, bool ifaces, bool maintain)
{
	for (size_t n = 0; n < a->netns.n; n++) {
		struct visit v = { a, &a->netns.v[n], cx, ifaces, maintain };
		int err = netns_run(&a->netns.v[n], visit_collectors, &v);

		/* a namespace may vanish between the scan and the visit: not an error; any
		 * other failure (out of descriptors...) hides a namespace: say so, now and
		 * then */
		if (err && err != -ENOENT && err != -ESTALE) {
			static uint64_t said_ns;
			uint64_t now = now_ns(CLOCK_MONOTONIC);

			if (now - said_ns > 60ULL * 1000000000ULL) {
				pr_warn("netns %u (%s): cannot enter: %s (its readings are missing "
					"from this collection)",
					a->netns.v[n].inode, a->netns.v[n].path, strerror(-err));
				said_ns = now;
			}
		}
	}
}

void agent_collect(struct agent *a)
{
	struct collect_ctx cx = { .netns = &a->netns,
				  .ifaces = &a->ifaces,
				  .tracker = &a->tracker,
				  .gen = ++a->gen,
				  .first = a->gen == 1 };
	bool visits = false, ifaces = false, scanned;
	double on = a->stats_seconds;

	if (a->stats_fd >= 0)
		on += (double)(now_ns(CLOCK_MONOTONIC) - a->stats_since_ns) / 1e9;
	scanned = netns_scan(&a->netns) == 0;
	if (!scanned)
		a->netns.n = 0;
	else if (a->k8s) {
		k8s_refresh(a->k8s, &a->netns);
		agent_k8s_collect(a);
	}
	registry_first_collection(a->reg, cx.first);
	for (size_t i = 0; i < a->ncollectors; i++) {
		struct collector *l = &a->collectors[i];

		if (!l->up)
			continue;
		if (l->desc->begin)
			l->desc->begin(l, a->reg, &cx);
		visits |= l->desc->visit_netns != NULL;
		ifaces |= l->desc->wants_ifaces;
	}
	if (visits || ifaces)
		visit_all(a, &cx, ifaces, false);
	for (size_t i = 0; i < a->ncollectors; i++) {
		struct collector *l = &a->collectors[i];

		if (l->up && l->desc->collect)
			l->desc->collect(l, a->reg, &cx);
	}
	registry_first_collection(a->reg, false);
	if (scanned)
		netns_tracker_scan_done(&a->tracker, &a->netns, forget_netns, a);
	selfstats_collect(a->self, a->collectors, a->ncollectors, on, a->stats_fd >= 0);
}

void agent_maintain(struct agent *a)
{
	struct collect_ctx cx = {
		.netns = &a->netns, .ifaces = &a->ifaces, .tracker = &a->tracker, .gen = a->gen
	};
	bool any = false, per_ns = false, ifaces = false;

	for (size_t i = 0; i < a->ncollectors; i++) {
		struct collector *l = &a->collectors[i];
		/* events that name their device by index want the names fresh */
		bool names = l->sink && l->desc->events.names_devices;

		if (!l->up || (!l->desc->maintain && !l->desc->maintain_netns && !names))
			continue;
		any = true;
		per_ns |= l->desc->maintain_netns != NULL || names;
		ifaces |= l->desc->wants_ifaces || names;
	}
	/* pod names follow pods as they come for events between collections too */
	if (!any && !a->k8s)
		return;
	if (netns_scan(&a->netns)) {
		a->netns.n = 0;
	} else { /* namespaces that come and go between two scrapes too */
		netns_tracker_scan_done(&a->tracker, &a->netns, forget_netns, a);
		if (a->k8s)
			k8s_refresh(a->k8s, &a->netns);
	}
	if (!any)
		return;
	for (size_t i = 0; i < a->ncollectors; i++)
		if (a->collectors[i].up && a->collectors[i].desc->maintain)
			a->collectors[i].desc->maintain(&a->collectors[i], &cx);
	if (per_ns)
		visit_all(a, &cx, ifaces, true);
}

/* Turning the statistics on or off patches the kernel's code at every BPF program run
 * site (a static key): the system call can take a while, so it is made outside the
 * registry's lock, which only guards what a collection reads. Only the main thread
 * calls this, so stats_fd does not change under it. */
static void stats_set(struct agent *a, bool on)
{
	int fd;

	if (on && a->stats_fd < 0) {
		fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (fd < 0) {
			if (!a->stats_failed)
				pr_warn("BPF run-time statistics: %s; "
					"osiscope_bpf_program_* stay at zero",
					probe_strerror(-errno));
			a->stats_failed = true;
			return;
		}
		registry_lock(a->reg);
		a->stats_fd = fd;
		a->stats_since_ns = now_ns(CLOCK_MONOTONIC);
		registry_unlock(a->reg);
	} else if (!on && a->stats_fd >= 0) {
		registry_lock(a->reg);
		fd = a->stats_fd;
		a->stats_fd = -1;
		a->stats_seconds += (double)(now_ns(CLOCK_MONOTONIC) - a->stats_since_ns) / 1e9;
		registry_unlock(a->reg);
		/* closing the last such fd in the system turns the statistics off */
		close(fd);
	}
}

void agent_drain_events(struct agent *a)
{
	for (size_t i = 0; i < a->ncollectors; i++)
		if (a->collectors[i].rb)
			ring_buffer__consume(a->collectors[i].rb);
}

static void on_tick(struct agent *a)
{
	uint64_t n;

	if (read(a->tfd, &n, sizeof(n)) != sizeof(n))
		return;
	a->ticks += n;
	/* events a program queued without waking us (see drop.bpf.c) wait at most a tick */
	registry_lock(a->reg);
	agent_drain_events(a);
	registry_unlock(a->reg);
	if (a->ticks % MAINTAIN_PERIOD_S == 0) {
		registry_lock(a->reg);
		agent_maintain(a);
		if (a->on_maintain)
			a->on_maintain(a->on_maintain_ctx);
		registry_unlock(a->reg);
	}
	switch (a->cfg->bpf_stats) {
	case BPF_STATS_ON:
		stats_set(a, true);
		break;
	case BPF_STATS_SAMPLED:
		stats_set(a, a->ticks % STATS_PERIOD_S < STATS_ON_S);
		break;
	case BPF_STATS_OFF:
		break;
	}
}

int agent_loop(struct agent *a, double duration)
{
	uint64_t deadline = duration > 0 ? now_ns(CLOCK_MONOTONIC) + (uint64_t)(duration * 1e9) : 0;
	struct epoll_event evs[16];

	if (a->cfg->bpf_stats == BPF_STATS_ON || a->cfg->bpf_stats == BPF_STATS_SAMPLED)
		stats_set(a, true);
	for (;;) {
		int timeout = -1, n;

		if (deadline) {
			uint64_t now = now_ns(CLOCK_MONOTONIC);

			if (now >= deadline)
				return 0;
			timeout = (int)((deadline - now) / 1000000) + 1;
		}
		n = epoll_wait(a->epfd, evs, 16, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			pr_err("epoll_wait: %s", strerror(errno));
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			uint64_t tag = evs[i].data.u64;

			if (tag == TAG_SIGNAL) {
				struct signalfd_siginfo si;

				if (read(a->sigfd, &si, sizeof(si)) == sizeof(si)) {
					pr_info("received %s, shutting down", strsignal((int)si.ssi_signo));
					return 0;
				}
			} else if (tag == TAG_TIMER) {
				on_tick(a);
			} else if (tag < a->ncollectors && a->collectors[tag].rb) {
				/* event callbacks may touch what collections read */
				registry_lock(a->reg);
				ring_buffer__consume(a->collectors[tag].rb);
				registry_unlock(a->reg);
			}
		}
		if (a->out.len) {
			fwrite(a->out.buf, 1, a->out.len, stdout);
			fflush(stdout);
			strbuf_reset(&a->out);
		}
	}
}

void agent_fini(struct agent *a)
{
	stats_set(a, false);
	for (size_t i = 0; i < a->ncollectors; i++) {
		if (a->collectors[i].up && a->collectors[i].desc->close)
			a->collectors[i].desc->close(&a->collectors[i]);
		a->collectors[i].up = false;
	}
	selfstats_free(a->self);
	registry_free(a->reg);
	k8s_free(a->k8s);
	a->k8s = NULL;
	netns_list_free(&a->netns);
	ifaces_free(&a->ifaces);
	netns_tracker_free(&a->tracker);
	strbuf_free(&a->out);
	if (a->epfd >= 0)
		close(a->epfd);
	if (a->sigfd >= 0)
		close(a->sigfd);
	if (a->tfd >= 0)
		close(a->tfd);
}

int agent_need_bpf(void)
{
	struct probe_result r;

	probe_bpf_syscall(&r);
	if (!r.ok) {
		pr_err("cannot use BPF: %s", r.why);
		return -1;
	}
	if (!probe_kernel_btf())
		pr_warn("no kernel BTF at /sys/kernel/btf/vmlinux (CONFIG_DEBUG_INFO_BTF): "
			"CO-RE programs cannot be relocated, collectors will fail");
	return 0;
}
