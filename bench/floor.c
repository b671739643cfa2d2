// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Loads and attaches bench/floor.bpf.c until SIGINT/SIGTERM or for SECS seconds, and
 * prints "ready" once attached:
 *   floor SECS [--cgroup DIR] [--tc NETNS_PATH:DEV]
 * Tracepoints this kernel lacks are left out (and named on stderr); --cgroup attaches
 * the cgroup_skb pair to DIR (the cgroup v2 root, as the dns collector does); --tc puts
 * the tc pair first in DEV's tcx chains inside that namespace, as the link collector
 * does.
 */
#include <bpf/btf.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "floor.skel.h"
#include "link_tc.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

/* "tp_btf/NAME" programs whose tracepoint is not in this kernel's BTF do not load */
static void drop_missing(struct floor_bpf *skel)
{
	struct btf *btf = btf__load_vmlinux_btf();
	struct bpf_program *prog;
	char name[160];

	bpf_object__for_each_program(prog, skel->obj) {
		const char *sec = bpf_program__section_name(prog);

		if (strncmp(sec, "tp_btf/", 7))
			continue;
		snprintf(name, sizeof(name), "btf_trace_%s", sec + 7);
		if (!btf || btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF) < 0) {
			fprintf(stderr, "floor: no tracepoint %s here, left out\n", sec + 7);
			bpf_program__set_autoload(prog, false);
		}
	}
	btf__free(btf);
}

static int attach_tc(struct floor_bpf *skel, const char *spec, int *fds)
{
	char path[256];
	const char *colon = strrchr(spec, ':');
	uint32_t in, out;
	int self, ns, ifindex, err = 0;

	if (!colon || (size_t)(colon - spec) >= sizeof(path))
		return -EINVAL;
	snprintf(path, sizeof(path), "%.*s", (int)(colon - spec), spec);
	if (!tcx_supported(&in, &out))
		return -EOPNOTSUPP;
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ns = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || ns < 0 || setns(ns, CLONE_NEWNET)) {
		err = -errno;
		goto out;
	}
	ifindex = (int)if_nametoindex(colon + 1);
	if (!ifindex) {
		err = -errno;
	} else {
		fds[0] = tcx_attach(bpf_program__fd(skel->progs.floor_tc_in), ifindex, in);
		fds[1] = tcx_attach(bpf_program__fd(skel->progs.floor_tc_out), ifindex, out);
		if (fds[0] < 0 || fds[1] < 0)
			err = fds[0] < 0 ? fds[0] : fds[1];
	}
	if (setns(self, CLONE_NEWNET)) /* the links stay: they are fds */
		err = err ? err : -errno;
out:
	if (self >= 0)
		close(self);
	if (ns >= 0)
		close(ns);
	return err;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	double secs = argc > 1 ? atof(argv[1]) : 3600;
	const char *cgroup = NULL, *tc = NULL;
	struct bpf_link *cg[2] = { NULL, NULL };
	int tcfd[2] = { -1, -1 }, cgfd = -1, ret = 1;
	struct floor_bpf *skel;

	for (int i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--cgroup"))
			cgroup = argv[i + 1];
		else if (!strcmp(argv[i], "--tc"))
			tc = argv[i + 1];
		else {
			fprintf(stderr, "usage: floor SECS [--cgroup DIR] [--tc NETNS_PATH:DEV]\n");
			return 2;
		}
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	skel = floor_bpf__open();
	if (!skel) {
		fprintf(stderr, "floor: cannot open the BPF object\n");
		return 1;
	}
	drop_missing(skel);
	if (floor_bpf__load(skel) || floor_bpf__attach(skel)) {
		fprintf(stderr, "floor: cannot load or attach\n");
		goto out;
	}
	if (cgroup) {
		cgfd = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		cg[0] = cgfd < 0 ? NULL : bpf_program__attach_cgroup(skel->progs.floor_cg_egress, cgfd);
		cg[1] = cgfd < 0 ? NULL : bpf_program__attach_cgroup(skel->progs.floor_cg_ingress, cgfd);
		if (!cg[0] || !cg[1]) {
			fprintf(stderr, "floor: attach cgroup_skb to %s: %s\n", cgroup, strerror(errno));
			goto out;
		}
	}
	if (tc) {
		int err = attach_tc(skel, tc, tcfd);

		if (err) {
			fprintf(stderr, "floor: tcx on %s: %s\n", tc, strerror(-err));
			goto out;
		}
	}
	printf("ready\n");
	fflush(stdout);
	for (int i = 0; i < secs * 10 && !stop; i++)
		usleep(100000);
	ret = 0;
out:
	for (int i = 0; i < 2; i++) {
		bpf_link__destroy(cg[i]);
		if (tcfd[i] >= 0)
			close(tcfd[i]);
	}
	if (cgfd >= 0)
		close(cgfd);
	floor_bpf__destroy(skel);
	return ret;
}
