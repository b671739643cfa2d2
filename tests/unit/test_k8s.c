// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Pod attribution: cgroup paths of every runtime and driver, the kubelet's log names, and
 * the tables built from a node laid out in a temporary directory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../exporters/prometheus.h"
#include "k8s.h"
#include "registry.h"
#include "strbuf.h"
#include "test.h"

#define ID_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID_B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define UID_A "5f0ba0a1-7b2c-4f5e-9d1a-0123456789ab"
#define UID_A_ "5f0ba0a1_7b2c_4f5e_9d1a_0123456789ab"

static void expect_ref(const char *path, int want_ret, const char *uid, const char *id,
		       enum k8s_runtime rt)
{
	struct k8s_cgroup_ref r;
	int ret = k8s_parse_cgroup_path(path, &r);

	if (!ASSERT_EQ(ret, want_ret, path))
		return;
	ASSERT_STREQ(r.pod_uid, uid, path);
	ASSERT_STREQ(r.container_id, id, path);
	if (id[0])
		ASSERT_EQ(r.runtime, rt, path);
}

TEST(k8s_cgroup_paths)
{
	/* systemd driver, containerd, v2 and v1 alike */
	expect_ref("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_A_
		   ".slice/cri-containerd-" ID_A ".scope",
		   0, UID_A, ID_A, K8S_RT_CONTAINERD);
	/* guaranteed pods have no QOS level */
	expect_ref("/kubepods.slice/kubepods-pod" UID_A_ ".slice/crio-" ID_A ".scope", 0, UID_A,
		   ID_A, K8S_RT_CRIO);
	expect_ref("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_A_
		   ".slice/docker-" ID_A ".scope",
		   0, UID_A, ID_A, K8S_RT_DOCKER);
	/* cgroupfs driver */
	expect_ref("/kubepods/besteffort/pod" UID_A "/" ID_A, 0, UID_A, ID_A, K8S_RT_BARE);
	expect_ref("/kubepods/pod" UID_A "/crio-" ID_A, 0, UID_A, ID_A, K8S_RT_CRIO);
	/* relative to the agent's cgroup namespace: "kubepods" itself may be cut away */
	expect_ref("/../../../burstable/pod" UID_A "/" ID_A, 0, UID_A, ID_A, K8S_RT_BARE);
	expect_ref("/../../kubepods.slice/kubepods-pod" UID_A_ ".slice/cri-containerd-" ID_A
		   ".scope",
		   0, UID_A, ID_A, K8S_RT_CONTAINERD);
	/* the pod's own cgroup, and a static pod's 32-digit UID */
	expect_ref("/kubepods/burstable/pod" UID_A, 0, UID_A, "", 0);
	expect_ref("/kubepods/podd41d8cd98f00b204e9800998ecf8427e", 0,
		   "d41d8cd98f00b204e9800998ecf8427e", "", 0);
	/* plain Docker, both drivers */
	expect_ref("/docker/" ID_B, 0, "", ID_B, K8S_RT_BARE);
	expect_ref("/system.slice/docker-" ID_B ".scope", 0, "", ID_B, K8S_RT_DOCKER);
	/* processes below the container's cgroup belong to it */
	expect_ref("/kubepods/pod" UID_A "/" ID_A "/init.scope", 0, UID_A, ID_A, K8S_RT_BARE);
	/* CRI-O's monitor is the pod's, not a container */
	expect_ref("/kubepods.slice/kubepods-pod" UID_A_ ".slice/crio-conmon-" ID_A ".scope", 0,
		   UID_A, "", 0);
	/* an unknown runtime under a pod: the pod, no container */
	expect_ref("/kubepods/pod" UID_A "/runsc-sandbox-42", 0, UID_A, "", 0);
}

TEST(k8s_cgroup_paths_malformed)
{
	char longp[5000];

	expect_ref("/", -ENOENT, "", "", 0);
	expect_ref("", -ENOENT, "", "", 0);
	expect_ref("/system.slice/sshd.service", -ENOENT, "", "", 0);
	/* a bare ID outside a pod or docker is nobody's */
	expect_ref("/user.slice/" ID_A, -ENOENT, "", "", 0);
	/* UIDs one digit short, with a wrong separator, in capitals */
	expect_ref("/kubepods/pod5f0ba0a1-7b2c-4f5e-9d1a-0123456789a/" ID_A, -ENOENT, "", "", 0);
	expect_ref("/kubepods/pod" UID_A_ "/" ID_A, -ENOENT, "", "", 0);
	expect_ref("/kubepods/pod5F0BA0A1-7B2C-4F5E-9D1A-0123456789AB", -ENOENT, "", "", 0);
	expect_ref("/kubepods.slice/kubepods-burstable-pod" UID_A ".slice", -ENOENT, "", "", 0);
	expect_ref("/kubepods.slice/kubepods-burstable-pod.slice", -ENOENT, "", "", 0);
	/* IDs of the wrong length or alphabet */
	expect_ref("/system.slice/docker-" ID_A "0.scope", -ENOENT, "", "", 0);
	expect_ref("/system.slice/cri-containerd-xyz.scope", -ENOENT, "", "", 0);
	expect_ref("/docker/0123", -ENOENT, "", "", 0);
	/* too long, too deep */
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	longp[0] = '/';
	expect_ref(longp, -EINVAL, "", "", 0);
	longp[0] = '\0';
	for (int i = 0; i < 70; i++)
		strcat(longp, "/x");
	expect_ref(longp, -EINVAL, "", "", 0);
}

TEST(k8s_proc_cgroup)
{
	/* a hybrid host: v1 lines name the pod, the v2 line only systemd's scope */
	static const char text[] = "12:pids:/kubepods/besteffort/pod" UID_A "/" ID_A "\n"
				   "11:memory:/kubepods/besteffort/pod" UID_A "\n"
				   "1:name=systemd:/system.slice/containerd.service\n"
				   "0::/system.slice/containerd.service\n";
	static const char junk[] = "garbage\n::\n1:x\n0::/\n";
	struct k8s_cgroup_ref r;

	ASSERT_OK(k8s_parse_proc_cgroup(text, sizeof(text) - 1, &r), "hybrid");
	ASSERT_STREQ(r.pod_uid, UID_A, "uid");
	ASSERT_STREQ(r.container_id, ID_A, "id");
	ASSERT_EQ(k8s_parse_proc_cgroup(junk, sizeof(junk) - 1, &r), -ENOENT, "junk");
	ASSERT_EQ(k8s_parse_proc_cgroup(text, 0, &r), -ENOENT, "empty");
	/* a line cut short (the read budget) is parsed as far as it goes, nothing more */
	ASSERT_OK(k8s_parse_proc_cgroup(text, 79, &r), "cut");
	ASSERT_STREQ(r.pod_uid, UID_A, "cut: the pod");
	ASSERT_STREQ(r.container_id, "", "cut: no id");
	ASSERT_EQ(k8s_parse_proc_cgroup(text, 40, &r), -ENOENT, "cut in the uid");
	/* a cgroup named "x\n0::kubepods-podUID.slice" by a container that may make cgroups:
	 * the forged line names a pod, and must not win over the real line */
	{
		static const char forged[] = "0::/docker/" ID_A "/x\n0::kubepods-pod" UID_A_
					     ".slice\n";

		ASSERT_OK(k8s_parse_proc_cgroup(forged, sizeof(forged) - 1, &r), "forged");
		ASSERT_STREQ(r.pod_uid, "", "forged: no pod from the forged line");
		ASSERT_STREQ(r.container_id, ID_A, "forged: the real container");
	}
}

TEST(k8s_log_names)
{
	struct k8s_log_name n;
	char pd_ns[K8S_NS_LEN], pd_pod[K8S_POD_LEN], pd_uid[K8S_UID_LEN], dn[64];
	static const char json[] = "{\"Config\":{\"Name\":\"not/this\"},\"Name\":\"/web-1\","
				   "\"Driver\":\"overlay2\"}";

	if (ASSERT_OK(k8s_parse_log_name(
			      "coredns-5d78c9869d-abcde_kube-system_coredns-" ID_A ".log", &n),
		      "coredns")) {
		ASSERT_STREQ(n.pod, "coredns-5d78c9869d-abcde", "pod");
		ASSERT_STREQ(n.ns, "kube-system", "ns");
		ASSERT_STREQ(n.container, "coredns", "container");
		ASSERT_STREQ(n.id, ID_A, "id");
	}
	ASSERT_OK(k8s_parse_log_name("web.v1-0_default_side-car-" ID_A ".log", &n), "dots, dashes");
	ASSERT_STREQ(n.container, "side-car", "dashed container");
	/* malformed: each is refused */
	ASSERT_EQ(k8s_parse_log_name("web_default_app-" ID_A, &n), -EINVAL, "no .log");
	ASSERT_EQ(k8s_parse_log_name("web_default_app_x-" ID_A ".log", &n), -EINVAL, "4 parts");
	ASSERT_EQ(k8s_parse_log_name("web_default-app-" ID_A ".log", &n), -EINVAL, "2 parts");
	ASSERT_EQ(k8s_parse_log_name("web_default_app-" ID_A "0.log", &n), -EINVAL, "long id");
	ASSERT_EQ(k8s_parse_log_name("web_default_app" ID_A ".log", &n), -EINVAL, "no dash");
	ASSERT_EQ(k8s_parse_log_name("Web_default_app-" ID_A ".log", &n), -EINVAL, "capitals");
	ASSERT_EQ(k8s_parse_log_name("_default_app-" ID_A ".log", &n), -EINVAL, "empty pod");
	ASSERT_EQ(k8s_parse_log_name("web__app-" ID_A ".log", &n), -EINVAL, "empty ns");
	ASSERT_EQ(k8s_parse_log_name("web_de.fault_app-" ID_A ".log", &n), -EINVAL, "dot in ns");
	ASSERT_EQ(k8s_parse_log_name(".log", &n), -EINVAL, "short");
	ASSERT_STREQ(n.pod, "", "cleared on error");

	ASSERT_OK(k8s_parse_pod_dir("kube-system_coredns-5d78_" UID_A, pd_ns, pd_pod, pd_uid),
		  "pod dir");
	ASSERT_STREQ(pd_pod, "coredns-5d78", "pod dir pod");
	ASSERT_STREQ(pd_uid, UID_A, "pod dir uid");
	ASSERT_EQ(k8s_parse_pod_dir("kube-system_" UID_A, pd_ns, pd_pod, pd_uid), -EINVAL,
		  "no pod");
	ASSERT_EQ(k8s_parse_pod_dir("a_b_notauid", pd_ns, pd_pod, pd_uid), -EINVAL, "bad uid");

	ASSERT_OK(k8s_parse_docker_name(json, sizeof(json) - 1, dn, sizeof(dn)), "docker name");
	ASSERT_STREQ(dn, "web-1", "docker name value");
	ASSERT_EQ(k8s_parse_docker_name("{\"Name\":\"/unterminated", 22, dn, sizeof(dn)), -ENOENT,
		  "unterminated");
	ASSERT_EQ(k8s_parse_docker_name("{\"Name\":\"volume\"}", 17, dn, sizeof(dn)), -ENOENT,
		  "a volume's name");
}

/* A node in a directory: log links, pod directories, and /proc files for three pids. */
static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

TEST(k8s_tables)
{
	char root[] = "/tmp/osiscope-k8s-unit-XXXXXX", p[512], t[512];
	char ns[K8S_NS_LEN], pod[K8S_POD_LEN], ctr[K8S_CTR_LEN];
	struct netns_pid pids[3] = {
		{ .pid = 10, .inode = 4026530000u, .dino = 1 }, /* pod A's sandbox */
		{ .pid = 11, .inode = 4026530000u, .dino = 2 }, /* pod A's container */
		{ .pid = 12, .inode = 4026530001u, .dino = 3 }, /* a host process */
	};
	struct netns_list list = { .pids = pids, .npids = 3 };
	struct k8s_stats st;
	struct k8s *k;

	if (!ASSERT_OK_PTR(mkdtemp(root), "mkdtemp"))
		return;
	snprintf(p, sizeof(p), "%s/var", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/var/log", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/var/log/containers", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/var/log/pods", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/var/log/pods/shop_web-0_" UID_A, root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/var/log/containers/web-0_shop_app-" ID_A ".log", root);
	snprintf(t, sizeof(t), "/var/log/pods/shop_web-0_" UID_A "/app/0.log");
	ASSERT_OK(symlink(t, p), "link");
	/* malformed names are skipped */
	snprintf(p, sizeof(p), "%s/var/log/containers/garbage_x.log", root);
	put_file(p, "");
	snprintf(p, sizeof(p), "%s/proc", root);
	mkdir(p, 0755);
	for (int i = 10; i <= 12; i++) {
		snprintf(p, sizeof(p), "%s/proc/%d", root, i);
		mkdir(p, 0755);
	}
	snprintf(p, sizeof(p), "%s/proc/10/cgroup", root);
	put_file(p, "0::/kubepods/besteffort/pod" UID_A "/" ID_B "\n");
	snprintf(p, sizeof(p), "%s/proc/11/cgroup", root);
	put_file(p, "0::/kubepods/besteffort/pod" UID_A "/" ID_A "\n");
	snprintf(p, sizeof(p), "%s/proc/12/cgroup", root);
	put_file(p, "0::/system.slice/cron.service\n");

	snprintf(p, sizeof(p), "%s/proc", root);
	k = k8s_new(&(struct k8s_opts){ .root = root, .proc = p });
	if (!ASSERT_OK_PTR(k, "k8s_new"))
		return;
	ASSERT_TRUE(k8s_detect(root), "detect");
	k8s_refresh(k, &list);
	k8s_stats(k, &st);
	ASSERT_EQ(st.containers, 1, "containers");
	ASSERT_EQ(st.pods, 1, "pods");
	ASSERT_EQ(st.netns, 1, "netns");

	ASSERT_OK(k8s_lookup_netns(k, 4026530000u, ns, sizeof(ns), pod, sizeof(pod)), "netns");
	ASSERT_STREQ(ns, "shop", "netns ns");
	ASSERT_STREQ(pod, "web-0", "netns pod");
	ASSERT_EQ(k8s_lookup_netns(k, 4026530001u, ns, sizeof(ns), pod, sizeof(pod)), -ENOENT,
		  "host process netns");
	ASSERT_STREQ(pod, "", "no pod");
	ASSERT_OK(k8s_lookup_pid(k, 11, ns, sizeof(ns), pod, sizeof(pod), ctr, sizeof(ctr)), "pid");
	ASSERT_STREQ(ctr, "app", "container");
	/* the sandbox: the pod, no container name */
	ASSERT_OK(k8s_lookup_pid(k, 10, ns, sizeof(ns), pod, sizeof(pod), ctr, sizeof(ctr)), "pid");
	ASSERT_STREQ(pod, "web-0", "sandbox pod");
	ASSERT_STREQ(ctr, "", "sandbox container");
	ASSERT_OK(k8s_lookup_cgroup_path(k, "/kubepods/besteffort/pod" UID_A "/" ID_A, ns,
					 sizeof(ns), pod, sizeof(pod), ctr, sizeof(ctr)),
		  "path");
	ASSERT_STREQ(ctr, "app", "path container");
	/* a Docker container with no Docker directory: its short ID */
	ASSERT_OK(k8s_lookup_cgroup_path(k, "/docker/" ID_B, ns, sizeof(ns), pod, sizeof(pod), ctr,
					 sizeof(ctr)),
		  "docker");
	ASSERT_STREQ(ctr, "fedcba987654", "short id");
	ASSERT_STREQ(pod, "", "docker: no pod");

	/* the pod is deleted: its files go, its processes stay a moment longer */
	snprintf(p, sizeof(p), "%s/var/log/containers/web-0_shop_app-" ID_A ".log", root);
	unlink(p);
	snprintf(p, sizeof(p), "%s/var/log/pods/shop_web-0_" UID_A, root);
	rmdir(p);
	k8s_refresh(k, &list);
	ASSERT_EQ(k8s_lookup_netns(k, 4026530000u, ns, sizeof(ns), pod, sizeof(pod)), -ENOENT,
		  "deleted pod's netns");
	ASSERT_STREQ(pod, "", "deleted: empty");
	ASSERT_EQ(k8s_lookup_pid(k, 11, ns, sizeof(ns), pod, sizeof(pod), ctr, sizeof(ctr)),
		  -ENOENT, "deleted pod's pid");
	/* its processes gone too: the namespace maps to nothing */
	list.npids = 1;
	list.pids = &pids[2];
	k8s_refresh(k, &list);
	k8s_stats(k, &st);
	ASSERT_EQ(st.netns, 0, "netns forgotten");
	ASSERT_EQ(st.pids, 1, "pids");
	k8s_free(k);
	snprintf(p, sizeof(p), "rm -rf '%s'", root);
	ASSERT_OK(system(p), "cleanup");
}

/* A sandbox seen by a scan before it joined its pod's cgroup and namespace (`ip netns
 * exec`, a runtime's init between fork and setns): its cgroup is read again when the scan
 * looked at it again, and its namespace becomes the pod's. */
TEST(k8s_process_moves_after_first_sight)
{
	char root[] = "/tmp/osiscope-k8s-unit-XXXXXX", p[512], proc[512];
	char ns[K8S_NS_LEN], pod[K8S_POD_LEN];
	struct netns_pid pids[1] = { { .pid = 10, .inode = 4026530001u, .dino = 1 } };
	struct netns_list list = { .pids = pids, .npids = 1 };
	struct k8s_stats st;
	struct k8s *k;

	if (!ASSERT_OK_PTR(mkdtemp(root), "mkdtemp"))
		return;
	const char *dirs[] = { "var",
			       "var/log",
			       "var/log/containers",
			       "var/log/pods",
			       "var/log/pods/shop_web-0_" UID_A,
			       "proc",
			       "proc/10" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", root, dirs[i]);
		mkdir(p, 0755);
	}
	snprintf(p, sizeof(p), "%s/proc/10/cgroup", root);
	put_file(p, "0::/user.slice\n");
	snprintf(proc, sizeof(proc), "%s/proc", root);
	k = k8s_new(&(struct k8s_opts){ .root = root, .proc = proc });
	if (!ASSERT_OK_PTR(k, "k8s_new"))
		return;
	k8s_refresh(k, &list);
	k8s_stats(k, &st);
	ASSERT_EQ(st.netns, 0, "first sight: no pod's yet");
	/* it moves: cgroup and namespace */
	put_file(p, "0::/kubepods/besteffort/pod" UID_A "/" ID_B "\n");
	pids[0].inode = 4026530000u;
	k8s_refresh(k, &list);
	k8s_stats(k, &st);
	ASSERT_EQ(st.netns, 0, "a scan that did not look again: its cgroup as it was");
	pids[0].looked = true;
	k8s_refresh(k, &list);
	k8s_stats(k, &st);
	ASSERT_EQ(st.netns, 1, "looked at again: its pod's namespace");
	ASSERT_OK(k8s_lookup_netns(k, 4026530000u, ns, sizeof(ns), pod, sizeof(pod)), "netns");
	ASSERT_STREQ(pod, "web-0", "netns pod");
	k8s_free(k);
	snprintf(p, sizeof(p), "rm -rf '%s'", root);
	ASSERT_OK(system(p), "cleanup");
}

/* Labels derived at rendering: namespace and pod beside netns, no series of their own. */
static void fake_pods(void *ctx, const char *value, char (*out)[DERIVED_VALUE_LEN])
{
	bool pod = !strcmp(value, "42");

	snprintf(out[0], DERIVED_VALUE_LEN, "%s", pod ? "shop" : "");
	snprintf(out[1], DERIVED_VALUE_LEN, "%s", pod ? "web-0" : "");
}

static int count_view(void *ctx, const struct series_view *v)
{
	int *n = ctx;

	if (v->nlabels == 3 && v->own_labels == 1 && !strcmp(v->label_names[2], "pod"))
		(*n)++;
	return 0;
}

TEST(k8s_derived_labels)
{
	static const char *const names[] = { "namespace", "pod" };
	struct metric_desc d = { .name = "t_total",
				 .help = "h",
				 .type = METRIC_COUNTER,
				 .labels = { "netns" },
				 .budget = 3 };
	struct metric_desc other = {
		.name = "u_total", .help = "h", .type = METRIC_COUNTER, .labels = { "device" }
	};
	struct registry *reg = registry_new(0);
	struct strbuf sb;
	struct metric *m, *u;
	int views = 0;

	if (!ASSERT_OK_PTR(reg, "registry"))
		return;
	ASSERT_OK(registry_derive_labels(reg, "netns", names, 2, fake_pods, NULL), "derive");
	ASSERT_ERR(registry_derive_labels(reg, "netns", names, 4, fake_pods, NULL), "4 names");
	m = registry_add(reg, &d);
	u = registry_add(reg, &other);
	metric_counter_add(m, (const char *[]){ "42" }, 3);
	metric_counter_add(m, (const char *[]){ "7" }, 1);
	metric_counter_add(u, (const char *[]){ "eth0" }, 1);
	strbuf_init(&sb);
	prom_render(reg, &sb);
	ASSERT_CONTAINS(sb.buf, "t_total{netns=\"42\",namespace=\"shop\",pod=\"web-0\"} 3\n",
			"pod's series");
	ASSERT_CONTAINS(sb.buf, "t_total{netns=\"7\",namespace=\"\",pod=\"\"} 1\n", "no pod's");
	ASSERT_CONTAINS(sb.buf, "u_total{device=\"eth0\"} 1\n", "no netns: nothing added");
	ASSERT_EQ(m->nseries, 2, "derived labels make no series");
	ASSERT_OK(metric_each_series(m, count_view, &views), "visit");
	ASSERT_EQ(views, 2, "visitors see the derived labels");
	strbuf_free(&sb);
	registry_free(reg);
}
