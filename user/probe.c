// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "probe.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "log.h"

static const struct bpf_insn ret0[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

const char *probe_strerror(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case EPERM:
		return "permission denied (EPERM)";
	case EACCES:
		return "refused by the verifier or permission denied (EACCES)";
	case ENOENT:
		return "not found in this kernel (ENOENT)";
	case EINVAL:
		return "not supported by this kernel (EINVAL)";
	case 524: /* the kernel's internal ENOTSUPP leaks to userspace from BPF */
		return "not supported by this kernel (ENOTSUPP)";
	case EOPNOTSUPP:
		return "not supported (EOPNOTSUPP)";
	default:
		return strerror(err);
	}
}

static void set(struct probe_result *r, int err, const char *fmt, const char *arg)
{
	r->ok = err == 0;
	r->err = err;
	if (err == 0)
		snprintf(r->why, sizeof(r->why), "ok");
	else if (fmt)
		snprintf(r->why, sizeof(r->why), fmt, arg);
	else
		snprintf(r->why, sizeof(r->why), "%s", probe_strerror(err));
}

const struct btf *probe_kernel_btf(void)
{
	static struct btf *btf;
	static bool tried;

	if (!tried) {
		tried = true;
		btf = btf__load_vmlinux_btf();
		if (!btf) {
			btf = NULL;
			pr_debug("kernel BTF: %s", strerror(errno));
		}
	}
	return btf;
}

int probe_tp_nargs(const char *tp)
{
	const struct btf *btf = probe_kernel_btf();
	const struct btf_type *t;
	char name[128];
	int id;

	if (!btf)
		return -1;
	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, id);
	t = btf__type_by_id(btf, t->type); /* PTR */
	if (!t || !btf_is_ptr(t))
		return -1;
	t = btf__type_by_id(btf, t->type); /* FUNC_PROTO */
	if (!t || !btf_is_func_proto(t))
		return -1;
	return btf_vlen(t) - 1; /* the first one is the tracepoint's void *data */
}

static int load_tracing(enum bpf_attach_type type, int btf_id)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = type,
		    .attach_btf_id = btf_id);
	int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "osiscope_probe", "GPL", ret0, 2, &opts);

	return fd < 0 ? -errno : fd;
}

void probe_tp_btf(const char *tp, struct probe_result *r)
{
	const struct btf *btf = probe_kernel_btf();
	char name[128];
	int id, fd, lfd;

	if (!btf) {
		set(r, -ENOENT, "no kernel BTF (/sys/kernel/btf/vmlinux)%s", "");
		return;
	}
	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id < 0) {
		set(r, -ENOENT, "tracepoint %s not in kernel BTF", tp);
		return;
	}
	fd = load_tracing(BPF_TRACE_RAW_TP, id);
	if (fd < 0) {
		set(r, fd, NULL, NULL);
		return;
	}
	lfd = bpf_raw_tracepoint_open(NULL, fd);
	set(r, lfd < 0 ? -errno : 0, NULL, NULL);
	if (lfd >= 0)
		close(lfd);
	close(fd);
}

void probe_raw_tp(const char *tp, struct probe_result *r)
{
	int fd, lfd;

	fd = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "osiscope_probe", "GPL", ret0, 2, NULL);
	if (fd < 0) {
		set(r, -errno, NULL, NULL);
		return;
	}
	lfd = bpf_raw_tracepoint_open(tp, fd);
	set(r, lfd < 0 ? -errno : 0, NULL, NULL);
	if (lfd >= 0)
		close(lfd);
	close(fd);
}

void probe_tracefs_mount(void)
{
	static bool tried;

	if (tried)
		return;
	tried = true;
	if (access("/sys/kernel/tracing/events", F_OK) == 0 ||
	    access("/sys/kernel/debug/tracing/events", F_OK) == 0)
		return;
	/* a minimal host or a container without it: mount it where the kernel expects it
	 * (left mounted on exit, as systemd would have it; something else may use it) */
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0)
		pr_info("mounted tracefs on /sys/kernel/tracing: classic tracepoints need it");
	else
		pr_debug("mount tracefs on /sys/kernel/tracing: %s", strerror(errno));
}

void probe_tracepoint(const char *category, const char *tp, struct probe_result *r)
{
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char path[256];

	probe_tracefs_mount();
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		snprintf(path, sizeof(path), "%s/events/%s/%s/id", roots[i], category, tp);
		if (access(path, R_OK) == 0) {
			if (!libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACEPOINT, NULL)) {
				set(r, -EOPNOTSUPP, "BPF tracepoint programs not supported%s", "");
				return;
			}
			set(r, 0, NULL, NULL);
			return;
		}
	}
	snprintf(path, sizeof(path), "%s/%s", category, tp);
	set(r, -ENOENT, "tracepoint %s not found in tracefs (is tracefs mounted?)", path);
}

void probe_fentry(const char *func, struct probe_result *r)
{
	const struct btf *btf = probe_kernel_btf();
	int id, fd, lfd;

	if (!btf) {
		set(r, -ENOENT, "no kernel BTF%s", "");
		return;
	}
	id = btf__find_by_name_kind(btf, func, BTF_KIND_FUNC);
	if (id < 0) {
		set(r, -ENOENT, "function %s not in kernel BTF", func);
		return;
	}
	fd = load_tracing(BPF_TRACE_FENTRY, id);
	if (fd < 0) {
		set(r, fd, NULL, NULL);
		return;
	}
	lfd = bpf_raw_tracepoint_open(NULL, fd);
	set(r, lfd < 0 ? -errno : 0, NULL, NULL);
	if (lfd >= 0)
		close(lfd);
	close(fd);
}

void probe_kprobe(struct probe_result *r)
{
	if (access("/sys/bus/event_source/devices/kprobe/type", R_OK) == 0)
		set(r, 0, NULL, NULL);
	else
		set(r, -ENOENT,
		    "no kprobe PMU (/sys/bus/event_source/devices/kprobe): CONFIG_KPROBES unset%s",
		    "");
}

void probe_map_type(enum bpf_map_type type, struct probe_result *r)
{
	int ret = libbpf_probe_bpf_map_type(type, NULL);

	if (ret == 1)
		set(r, 0, NULL, NULL);
	else
		set(r, ret < 0 ? ret : -EOPNOTSUPP, NULL, NULL);
}

void probe_bpf_stats(struct probe_result *r)
{
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	if (fd < 0) {
		set(r, -errno, NULL, NULL);
		return;
	}
	close(fd);
	set(r, 0, NULL, NULL);
}

void probe_bpf_syscall(struct probe_result *r)
{
	int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "osiscope_probe", "GPL", ret0, 2, NULL);

	if (fd < 0) {
		int err = -errno;

		set(r, err,
		    err == -EPERM ? "loading BPF needs root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN)%s"
				  : NULL,
		    "");
		return;
	}
	close(fd);
	set(r, 0, NULL, NULL);
}

static void disable(struct bpf_program *p)
{
	if (p)
		bpf_program__set_autoload(p, false);
}

int hooks_select(struct hook *hooks, size_t n, int first_mode)
{
	int missing = 0;
	bool required_missing = false;

	for (size_t i = 0; i < n; i++) {
		struct hook *h = &hooks[i];
		struct probe_result r;
		int nargs = probe_tp_nargs(h->name);
		bool full = nargs < 0 || nargs >= h->nargs;

		h->chosen = NULL;
		h->mode = NULL;
		h->why[0] = '\0';
		if ((h->btf || h->btf_short) && first_mode <= 0) {
			probe_tp_btf(h->name, &r);
			if (r.ok && (full ? h->btf : h->btf_short)) {
				h->chosen = full ? h->btf : h->btf_short;
				h->mode = "tp_btf";
			} else if (!r.ok) {
				snprintf(h->why, sizeof(h->why), "tp_btf: %s", r.why);
			}
		}
		if (!h->chosen && (h->raw || h->raw_short) && first_mode <= 1) {
			probe_raw_tp(h->name, &r);
			if (r.ok && (full ? h->raw : h->raw_short)) {
				h->chosen = full ? h->raw : h->raw_short;
				h->mode = "raw_tp";
			} else if (!r.ok) {
				size_t len = strlen(h->why);

				snprintf(h->why + len, sizeof(h->why) - len, "%sraw_tp: %s",
					 len ? "; " : "", r.why);
			}
		}
		if (!h->chosen && h->tp) {
			probe_tracepoint(h->category, h->name, &r);
			if (r.ok) {
				h->chosen = h->tp;
				h->mode = "tracepoint";
			} else {
				size_t len = strlen(h->why);

				snprintf(h->why + len, sizeof(h->why) - len, "%stracepoint: %s",
					 len ? "; " : "", r.why);
			}
		}
		struct bpf_program *all[] = { h->btf, h->btf_short, h->raw, h->raw_short, h->tp };
		for (size_t k = 0; k < sizeof(all) / sizeof(all[0]); k++)
			if (all[k] != h->chosen)
				disable(all[k]);
		if (!h->chosen) {
			missing++;
			if (h->required)
				required_missing = true;
		}
	}
	return required_missing ? -1 : missing;
}

int fhooks_select(struct fhook *f, size_t n, bool wanted, const char *why_not)
{
	struct probe_result fe, kp;
	/* a test knob: the kprobe flavours, which kernels that refuse fentry would run */
	const char *mode = getenv("OSI_FHOOKS");
	bool kprobe_only = mode && !strcmp(mode, "kprobe");
	int got = 0;

	probe_kprobe(&kp);
	for (size_t i = 0; i < n; i++) {
		struct fhook *h = &f[i];

		h->wanted = wanted;
		h->chosen = NULL;
		h->mode = NULL;
		snprintf(h->why, sizeof(h->why), "%s", wanted ? "" : why_not);
		if (wanted && h->fentry && kprobe_only) {
			snprintf(h->why, sizeof(h->why), "%s: passed over (OSI_FHOOKS=kprobe)",
				 h->fexit ? "fexit" : "fentry");
		} else if (wanted && h->fentry) {
			probe_fentry(h->func, &fe);
			if (fe.ok) {
				h->chosen = h->fentry;
				h->mode = h->fexit ? "fexit" : "fentry";
			} else {
				snprintf(h->why, sizeof(h->why), "%s: %s", h->fexit ? "fexit" : "fentry",
					 fe.why);
			}
		}
		if (wanted && !h->chosen && h->kprobe) {
			if (kp.ok) {
				h->chosen = h->kprobe;
				h->mode = "kprobe";
			} else {
				size_t len = strlen(h->why);

				snprintf(h->why + len, sizeof(h->why) - len, "%skprobe: %s",
					 len ? "; " : "", kp.why);
			}
		}
		if (h->fentry != h->chosen)
			disable(h->fentry);
		if (h->kprobe != h->chosen)
			disable(h->kprobe);
		got += h->chosen != NULL;
	}
	return got;
}

bool probe_atomic_cmpxchg(void)
{
	static int known = -1; /* -1 not probed yet */
	/* *(u64 *)(r10 - 8) = 0; r0 = 0; r1 = 1; cmpxchg (r10 - 8), r0 -> r1; exit */
	const struct bpf_insn insns[] = {
		{ .code = BPF_ST | BPF_DW | BPF_MEM, .dst_reg = BPF_REG_10, .off = -8, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = 1 },
		{ .code = BPF_STX | BPF_DW | BPF_ATOMIC, .dst_reg = BPF_REG_10, .src_reg = BPF_REG_1,
		  .off = -8, .imm = BPF_CMPXCHG },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd;

	if (known >= 0)
		return known;
	fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, NULL, "GPL", insns,
			   sizeof(insns) / sizeof(insns[0]), NULL);
	known = fd >= 0;
	if (fd >= 0)
		close(fd);
	return known;
}

bool probe_netns_cookie_made(void)
{
	const struct btf *btf = probe_kernel_btf();
	const struct btf_type *t;
	int id;

	if (!btf || (id = btf__find_by_name_kind(btf, "net", BTF_KIND_STRUCT)) < 0)
		return false;
	t = btf__type_by_id(btf, id);
	for (int i = 0; i < btf_vlen(t); i++) {
		const struct btf_member *m = btf_members(t) + i;
		const struct btf_type *mt;

		if (strcmp(btf__name_by_offset(btf, m->name_off), "net_cookie"))
			continue;
		id = btf__resolve_type(btf, m->type);
		mt = id < 0 ? NULL : btf__type_by_id(btf, id);
		return mt && btf_is_int(mt) && mt->size == 8;
	}
	return false;
}
