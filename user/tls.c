// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* TLS layer (L6, OpenSSL), userspace half: find every OpenSSL file on the host
 * (user/tls_discover.c), attach bpf/tls.bpf.c's uprobes once per file, turn the
 * per-CPU counters into metrics labelled with OpenSSL's own reason texts and cgroup
 * paths, and decode failed-handshake events. */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <pthread.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "collector.h"
#include "log.h"
#include "tls.h"
#include "tls.skel.h"
#include "tls_cgroup.h"
#include "tls_discover.h"
#include "tls_elf.h"
#include "tls_util.h"

#define MAX_FILE_PROBES 20
#define SCAN_BUDGET 1000 /* new processes looked at per maintain */
#define CGROUP_SWEEP_EVERY 15 /* maintains: 30 s */

struct tls_att {
	struct bpf_link *links[MAX_FILE_PROBES];
	unsigned int n;
	bool statem; /* the handshake state machine is probed, not SSL_do_handshake */
};

struct prev_stats {
	struct tls_key k;
	struct tls_stats s;
};

struct prev_fail {
	struct tls_fail_key k;
	uint64_t n;
};

/* What a scrape shows of a probed file (osiscope_tls_libraries), copied out by the
 * discovery thread after each of its rounds. */
struct tls_lib_row {
	unsigned int kind, nprobes;
	struct tls_file_key key;
	char path[256];
};

/*
 * Discovery opens and reads files that any container can shape, so it runs in a thread
 * of its own and never under the registry lock: a slow file delays the next discovery
 * round, not a scrape. The thread alone touches disc, the exec records' ring and the
 * exec table after tls_open(); the rest of the collector asks it for scans (scan_due,
 * then a write to efd) and reads its results, under mu.
 */
struct tls_disc_thread {
	pthread_t tid;
	bool started, stop, scan_due;
	pthread_mutex_t mu;
	int efd, epfd;
	struct ring_buffer *rb; /* tls_disc: exec records */
	struct tls_exec_table *table; /* what the kernel's exec_seen holds */
	struct tls_lib_row *libs;
	size_t nlibs;
};

struct tls_priv {
	struct tls_bpf *skel;
	struct tls_disc disc;
	struct tls_disc_thread dt;
	struct tls_cgroups cg;
	struct registry *reg;
	struct bpf_link *links[1];
	int nlinks;
	struct hook hooks[1];
	int ncpus;
	bool events, data_path, cookies;
	unsigned int ticks;
	uint64_t disc_lost;
	void *prev_stats, *prev_fails; /* tsearch trees */
	struct metric *handshakes, *duration, *versions, *unobserved, *bytes, *libraries;
	double bounds[HIST_SLOTS - 1];
};

static const char *const role_names[TLS_ROLES] = { "unknown", "client", "server" };

static const char *role_name(__u8 role)
{
	return role < TLS_ROLES ? role_names[role] : "unknown";
}

/* --- attaching to one file --- */

static bool attach_one(struct tls_priv *p, struct tls_att *a, struct bpf_program *prog,
		       const char *path, const struct tls_file *f, const struct tls_sym *syms,
		       enum tls_sym_id id, bool ret, __u64 cookie)
{
	LIBBPF_OPTS(bpf_uprobe_opts, o, .retprobe = ret, .bpf_cookie = cookie);
	const struct tls_sym *s = &syms[id];
	struct bpf_link *link;
	size_t off;

	if (!prog || !s->found || a->n >= MAX_FILE_PROBES)
		return false;
	off = s->off + tls_probe_skip(tls_arch_host(), s->code, s->ncode);
	link = bpf_program__attach_uprobe_opts(prog, -1, path, off, &o);
	if (!link) {
		pr_warn("tls: attach %s %s in %s: %s", ret ? "uretprobe" : "uprobe",
			tls_sym_names[id], f->path, probe_strerror(-errno));
		return false;
	}
	a->links[a->n++] = link;
	return true;
}

static void release(struct tls_att *a)
{
	for (unsigned int i = 0; i < a->n; i++)
		bpf_link__destroy(a->links[i]);
	a->n = 0;
}

static void attach_file(void *ctx, struct tls_file *f, const char *path,
			const struct tls_sym syms[TLS_SYM_COUNT])
{
	struct tls_priv *p = ctx;
	struct tls_bpf *s = p->skel;
	struct tls_att *a = calloc(1, sizeof(*a));

	if (!a)
		return;
	if (f->kind & TLS_KIND_SSL) {
		int vf = tls_version_field(tls_arch_host(), syms[TLS_SYM_VERSION].code,
					   syms[TLS_SYM_VERSION].ncode);
		bool ok;

		struct bpf_program *exit_prog =
			p->cookies ? s->progs.tls_hs_exit : s->progs.tls_hs_exit_nocookie;
		__u64 cookie = p->cookies && vf >= 0 ? (__u64)vf + 1 : 0;

		/* the state machine, where every handshake runs (also inside SSL_read and
		 * SSL_write); else SSL_do_handshake, which misses those. The return probe
		 * first: a call that the entry probe sees must come back. */
		ok = syms[TLS_SYM_STATEM_ACCEPT].found && syms[TLS_SYM_STATEM_CONNECT].found &&
		     attach_one(p, a, exit_prog, path, f, syms, TLS_SYM_STATEM_ACCEPT, true,
				cookie) &&
		     attach_one(p, a, s->progs.tls_statem_accept, path, f, syms,
				TLS_SYM_STATEM_ACCEPT, false, 0) &&
		     attach_one(p, a, exit_prog, path, f, syms, TLS_SYM_STATEM_CONNECT, true,
				cookie) &&
		     attach_one(p, a, s->progs.tls_statem_connect, path, f, syms,
				TLS_SYM_STATEM_CONNECT, false, 0);
		if (ok) {
			a->statem = true;
		} else {
			release(a);
			pr_info("tls: %s: handshake state machine not found, probing "
				"SSL_do_handshake: handshakes inside SSL_read/SSL_write show as "
				"unobserved",
				f->path);
			ok = attach_one(p, a, exit_prog, path, f, syms, TLS_SYM_DO_HANDSHAKE, true,
					cookie) &&
			     attach_one(p, a, s->progs.tls_hs_enter, path, f, syms,
					TLS_SYM_DO_HANDSHAKE, false, 0);
		}
		if (!ok) {
			release(a);
		} else {
			if (vf < 0)
				pr_info("tls: %s: SSL_version is not a plain field read, "
					"negotiated "
					"versions show as unknown",
					f->path);
			attach_one(p, a, s->progs.tls_set_connect, path, f, syms,
				   TLS_SYM_SET_CONNECT_STATE, false, 0);
			attach_one(p, a, s->progs.tls_set_accept, path, f, syms,
				   TLS_SYM_SET_ACCEPT_STATE, false, 0);
			attach_one(p, a, s->progs.tls_free, path, f, syms, TLS_SYM_FREE, false, 0);
			if (p->events)
				attach_one(p, a, s->progs.tls_set_fd, path, f, syms, TLS_SYM_SET_FD,
					   false, 0);
			if (p->data_path) {
				static const struct {
					enum tls_sym_id id;
					bool ex, sent;
				} io[] = {
					{ TLS_SYM_READ, false, false },
					{ TLS_SYM_WRITE, false, true },
					{ TLS_SYM_READ_EX, true, false },
					{ TLS_SYM_WRITE_EX, true, true },
				};

				for (size_t i = 0; i < sizeof(io) / sizeof(io[0]); i++) {
					struct bpf_program *enter =
						io[i].ex ? (io[i].sent ? s->progs.tls_write_ex_enter
								       : s->progs.tls_read_ex_enter)
							 : (io[i].sent ? s->progs.tls_write_enter
								       : s->progs.tls_read_enter);

					if (attach_one(p, a, s->progs.tls_io_exit, path, f, syms,
						       io[i].id, true, 0))
						attach_one(p, a, enter, path, f, syms, io[i].id,
							   false, 0);
				}
			}
		}
	}
	if (f->kind & TLS_KIND_CRYPTO) {
		if (syms[TLS_SYM_ERR_VSET_ERROR].found)
			attach_one(p, a, s->progs.tls_err3, path, f, syms, TLS_SYM_ERR_VSET_ERROR,
				   false, 0);
		else
			attach_one(p, a, s->progs.tls_err11, path, f, syms, TLS_SYM_ERR_PUT_ERROR,
				   false, 0);
	}
	if (!a->n) {
		free(a);
		return;
	}
	f->attach = a;
	f->nprobes = a->n;
}

static void detach_file(void *ctx, struct tls_file *f)
{
	struct tls_att *a = f->attach;

	if (!a)
		return;
	release(a);
	free(a);
	f->attach = NULL;
	f->nprobes = 0;
}

static void exec_set_push(void *ctx, unsigned int set)
{
	struct tls_priv *p = ctx;
	struct tls_exec_set v;
	__u32 k = set;
	int err;

	tls_exec_table_get(p->dt.table, set, &v);
	err = bpf_map_update_elem(bpf_map__fd(p->skel->maps.exec_seen), &k, &v, BPF_ANY);
	if (err)
		pr_debug("tls: exec table set %u: %s", set, strerror(-err));
}

static void exec_seen(void *ctx, uint32_t mntns, const struct tls_file_key *exe)
{
	struct tls_priv *p = ctx;
	int set = tls_exec_table_add(p->dt.table, mntns, exe);

	if (set >= 0)
		exec_set_push(p, (unsigned int)set);
}

static void exec_forget(void *ctx, uint32_t mntns, const struct tls_file_key *exe)
{
	struct tls_priv *p = ctx;

	tls_exec_table_forget(p->dt.table, mntns, exe, exec_set_push, p);
}

static void ns_scanned(void *ctx, uint32_t inode, bool scanned)
{
	struct tls_priv *p = ctx;
	int set = tls_exec_table_ns(p->dt.table, inode, scanned);
	__u32 k = (__u32)set;
	int err;

	if (set < 0)
		return;
	err = bpf_map_update_elem(bpf_map__fd(p->skel->maps.known_ns), &k, &p->dt.table->ns[set],
				  BPF_ANY);
	if (err)
		pr_debug("tls: namespace table set %d: %s", set, strerror(-err));
}

static const struct tls_disc_ops disc_ops = {
	.attach = attach_file,
	.detach = detach_file,
	.exec_seen = exec_seen,
	.exec_forget = exec_forget,
	.ns_scanned = ns_scanned,
};

/* --- metrics --- */

static int register_metrics(struct tls_priv *p, struct registry *reg)
{
	const struct metric_desc descs[] = {
		{ "osiscope_tls_handshakes_total",
		  "TLS handshakes through OpenSSL (SSL_do_handshake, SSL_connect, SSL_accept, or "
		  "inside SSL_read, SSL_write, SSL_peek: the handshake state machine) by role "
		  "(SSL_set_connect_state / SSL_set_accept_state), result, and for failures "
		  "OpenSSL's text of the first error raised in the failing call "
		  "(ERR_reason_error_string); \"incomplete\": freed before it ended.",
		  METRIC_COUNTER,
		  { "role", "result", "reason", "comm", "cgroup", NULL } },
		{ "osiscope_tls_handshake_duration_seconds",
		  "Time from the first call into the handshake on a connection (SSL_do_handshake, "
		  "SSL_connect, SSL_accept, SSL_read, SSL_write...) to its success.",
		  METRIC_HISTOGRAM,
		  { "role", "comm", "cgroup", NULL },
		  0,
		  p->bounds,
		  HIST_SLOTS - 1 },
		{ "osiscope_tls_protocol_versions_total",
		  "Successful TLS handshakes by negotiated protocol version (SSL_version).",
		  METRIC_COUNTER,
		  { "role", "version", "comm", "cgroup", NULL } },
		{ "osiscope_tls_handshakes_unobserved_total",
		  "SSL connections freed without a handshake seen: none was started (the "
		  "connection failed first), or, in an OpenSSL whose handshake state machine was "
		  "not found (SSL_do_handshake probed instead), it ran inside SSL_read/SSL_write.",
		  METRIC_COUNTER,
		  { "role", "comm", "cgroup", NULL } },
		{ "osiscope_tls_probed_libraries",
		  "OpenSSL files with uprobes attached (one attachment covers every process "
		  "mapping the file): kind libssl, libcrypto or static; value: uprobes.",
		  METRIC_GAUGE,
		  { "kind", "path", "device", "inode", NULL } },
		{ "osiscope_tls_data_bytes_total",
		  "Application bytes through SSL_read/SSL_write/SSL_read_ex/SSL_write_ex "
		  "(--tls.data-path=on).",
		  METRIC_COUNTER,
		  { "role", "direction", "comm", "cgroup", NULL } },
	};
	struct metric **const out[] = { &p->handshakes, &p->duration,  &p->versions,
					&p->unobserved, &p->libraries, &p->bytes };

	metric_log2_bounds(p->bounds, HIST_SLOTS - 1, 1e-6);
	/* the data-path metric only exists when its probes do */
	return metrics_register(reg, descs, sizeof(descs) / sizeof(descs[0]) - !p->data_path, out);
}

static int cmp_stats(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct tls_key));
}

static int cmp_fails(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct tls_fail_key));
}

static void comm_of(char *out, const char *comm)
{
	memcpy(out, comm, COMM_LEN);
	out[COMM_LEN] = '\0';
}

static void emit_stats(struct tls_priv *p, const struct tls_key *k, const struct tls_stats *n,
		       struct tls_stats *o)
{
	char comm[COMM_LEN + 1], cg[256], ver[16];
	const char *role = role_name(k->role);

	if (!tls_cgroup_name(&p->cg, k->cgroup_id, cg, sizeof(cg)))
		return; /* next collection: the cgroup walk just ran */
	comm_of(comm, k->comm);
	if (n->ok) {
		const char *hl[] = { role, "ok", "", comm, cg };
		const char *vl[] = { role, tls_version_name(k->version, ver, sizeof(ver)), comm,
				     cg };
		const char *dl[] = { role, comm, cg };

		counter_delta(p->handshakes, hl, n->ok, o->ok);
		counter_delta(p->versions, vl, n->ok, o->ok);
		hist_delta(p->duration, dl, (const uint64_t *)n->hist, (const uint64_t *)o->hist,
			   n->sum_ns, o->sum_ns, 1e-9);
	}
	if (n->unobserved) {
		const char *ul[] = { role, comm, cg };

		counter_delta(p->unobserved, ul, n->unobserved, o->unobserved);
	}
	if (p->bytes && n->bytes_received) {
		const char *bl[] = { role, "receive", comm, cg };

		counter_delta(p->bytes, bl, n->bytes_received, o->bytes_received);
	}
	if (p->bytes && n->bytes_sent) {
		const char *bl[] = { role, "transmit", comm, cg };

		counter_delta(p->bytes, bl, n->bytes_sent, o->bytes_sent);
	}
	*o = *n;
}

/* The previous value of a key, created at zero the first time. */
static void *prev_of(void **tree, const void *key, size_t ksize, size_t size,
		     int (*cmp)(const void *, const void *))
{
	void **slot = tfind(key, tree, cmp), *pv;

	if (slot)
		return *slot;
	pv = calloc(1, size);
	if (!pv)
		return NULL;
	memcpy(pv, key, ksize);
	slot = tsearch(pv, tree, cmp);
	if (!slot || *slot != pv) {
		free(pv);
		return NULL;
	}
	return pv;
}

static void stats_one(void *ctx, const void *key, const void *sum)
{
	struct tls_priv *p = ctx;
	struct prev_stats *pv =
		prev_of(&p->prev_stats, key, sizeof(struct tls_key), sizeof(*pv), cmp_stats);

	if (pv)
		emit_stats(p, key, sum, &pv->s);
}

static void fails_one(void *ctx, const void *key, const void *sum)
{
	const struct tls_fail_key *k = key;
	struct tls_priv *p = ctx;
	struct prev_fail *pv = prev_of(&p->prev_fails, key, sizeof(*k), sizeof(*pv), cmp_fails);
	char comm[COMM_LEN + 1], cg[256], reason[256];
	uint64_t n;

	if (!pv || !tls_cgroup_name(&p->cg, k->cgroup_id, cg, sizeof(cg)))
		return; /* the cgroup walk just ran: next collection */
	memcpy(&n, sum, sizeof(n));
	comm_of(comm, k->comm);
	const char *labels[] = { role_name(k->role), "failed",
				 tls_reason_text(k->lib, k->reason, reason, sizeof(reason)), comm,
				 cg };

	counter_delta(p->handshakes, labels, n, pv->n);
	pv->n = n;
}

static void collect_libraries(struct tls_priv *p)
{
	pthread_mutex_lock(&p->dt.mu);
	for (size_t i = 0; i < p->dt.nlibs; i++) {
		const struct tls_lib_row *f = &p->dt.libs[i];
		char dev[24], ino[24];

		snprintf(dev, sizeof(dev), "%u:%u", f->key.dev >> 20, f->key.dev & 0xfffff);
		snprintf(ino, sizeof(ino), "%llu", (unsigned long long)f->key.ino);
		const char *labels[] = { f->kind & TLS_KIND_EXE	  ? "static"
					 : f->kind & TLS_KIND_SSL ? "libssl"
								  : "libcrypto",
					 f->path, dev, ino };

		metric_gauge_set(p->libraries, labels, (double)f->nprobes);
	}
	pthread_mutex_unlock(&p->dt.mu);
}

/* --- the discovery thread --- */

/* Copies what scrapes show of the probed files; called by the thread (or before it). */
static void libs_publish(struct tls_priv *p)
{
	struct tls_lib_row *v = calloc(p->disc.nfiles ? p->disc.nfiles : 1, sizeof(*v));
	size_t n = 0;

	if (!v)
		return;
	for (size_t i = 0; i < p->disc.nfiles; i++) {
		const struct tls_file *f = p->disc.files[i];

		if (!f->nprobes)
			continue;
		v[n] = (struct tls_lib_row){ f->kind, f->nprobes, f->key, "" };
		snprintf(v[n].path, sizeof(v[n].path), "%s", f->path);
		n++;
	}
	pthread_mutex_lock(&p->dt.mu);
	free(p->dt.libs);
	p->dt.libs = v;
	p->dt.nlibs = n;
	pthread_mutex_unlock(&p->dt.mu);
}

static int on_disc(void *ctx, void *data, size_t size)
{
	struct tls_priv *p = ctx;

	if (size < sizeof(struct tls_disc_event)) {
		pr_warn("tls: short exec record of %zu bytes, want %zu: agent and BPF object "
			"differ",
			size, sizeof(struct tls_disc_event));
		return 0;
	}
	const struct tls_disc_event *e = data;

	pr_debug("tls: pid %u exec'ed a program new to its mount namespace %u", e->pid, e->mntns);
	tls_disc_on_exec(&p->disc, e);
	return 0;
}

/* Reads the exec records: how many. */
static int disc_consume(struct tls_priv *p)
{
	int n = ring_buffer__consume(p->dt.rb);

	return n > 0 ? n : 0;
}

/*
 * Records are read and acted on here. Those that may find something at once wake the
 * thread; the exec hook sends the others without a wakeup (bpf/tls.bpf.c), and they are
 * read with the next one that wakes it, or when the maintain's scan request does, every
 * 2 s.
 */
static void *disc_main(void *arg)
{
	struct tls_priv *p = arg;

	for (;;) {
		struct epoll_event ev[2];
		bool scan, fresh;
		uint64_t v;

		pthread_mutex_lock(&p->dt.mu);
		if (p->dt.stop) {
			pthread_mutex_unlock(&p->dt.mu);
			break;
		}
		scan = p->dt.scan_due;
		p->dt.scan_due = false;
		pthread_mutex_unlock(&p->dt.mu);

		fresh = disc_consume(p) > 0;
		if (scan)
			tls_disc_scan(&p->disc, SCAN_BUDGET);
		if (scan || fresh)
			libs_publish(p);
		if (epoll_wait(p->dt.epfd, ev, 2, -1) < 0 && errno != EINTR) {
			pr_warn("tls: discovery thread: epoll_wait: %s", strerror(errno));
			break;
		}
		while (read(p->dt.efd, &v, sizeof(v)) > 0)
			;
	}
	return NULL;
}

static void disc_thread_wake(struct tls_priv *p)
{
	uint64_t one = 1;

	if (write(p->dt.efd, &one, sizeof(one)) < 0)
		pr_debug("tls: wake the discovery thread: %s", strerror(errno));
}

/* Bit offset of the member called name in t, looked for through anonymous structs and
 * unions (depth levels at most); -1 if none. */
static long member_bits(const struct btf *btf, const struct btf_type *t, const char *name,
			int depth)
{
	for (int i = 0; t && (btf_is_struct(t) || btf_is_union(t)) && i < btf_vlen(t); i++) {
		const struct btf_member *m = btf_members(t) + i;
		const char *n = btf__name_by_offset(btf, m->name_off);
		long in;

		if (n && !strcmp(n, name))
			return (long)btf_member_bit_offset(t, i);
		if ((n && *n) || depth <= 0)
			continue;
		in = member_bits(btf, btf__type_by_id(btf, m->type), name, depth - 1);
		if (in >= 0)
			return (long)btf_member_bit_offset(t, i) + in;
	}
	return -1;
}

/* Where an array map's values start in its allocation (struct bpf_array's value, a
 * flexible array in anonymous unions and structs), from the kernel's BTF; 0 if it does
 * not say. */
static size_t array_value_offset(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	long bits = -1;
	int id;

	if (!btf)
		return 0;
	id = btf__find_by_name_kind(btf, "bpf_array", BTF_KIND_STRUCT);
	if (id > 0)
		bits = member_bits(btf, btf__type_by_id(btf, id), "value", 3);
	btf__free(btf);
	return bits > 0 ? (size_t)bits / 8 : 0;
}

/* The ring and the means to wait on it and on requests; before the first scan. */
static int disc_thread_init(struct tls_priv *p)
{
	struct epoll_event ev = { .events = EPOLLIN };

	p->dt.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	p->dt.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (p->dt.efd < 0 || p->dt.epfd < 0)
		return -errno;
	p->dt.table = malloc(sizeof(*p->dt.table));
	if (!p->dt.table)
		return -ENOMEM;
	/* the order the exec hook scans a set in (bpf/tls.bpf.c, exec_way0) */
	tls_exec_table_init(p->dt.table, tls_exec_way0(array_value_offset()));
	p->dt.rb = ring_buffer__new(bpf_map__fd(p->skel->maps.tls_disc), on_disc, p, NULL);
	if (!p->dt.rb)
		return -errno;
	if (epoll_ctl(p->dt.epfd, EPOLL_CTL_ADD, p->dt.efd, &ev) ||
	    epoll_ctl(p->dt.epfd, EPOLL_CTL_ADD, ring_buffer__epoll_fd(p->dt.rb), &ev))
		return -errno;
	return 0;
}

static int disc_thread_start(struct tls_priv *p)
{
	int err = pthread_create(&p->dt.tid, NULL, disc_main, p);

	if (err)
		return -err;
	p->dt.started = true;
	return 0;
}

static void disc_thread_stop(struct tls_priv *p)
{
	if (p->dt.started) {
		pthread_mutex_lock(&p->dt.mu);
		p->dt.stop = true;
		pthread_mutex_unlock(&p->dt.mu);
		disc_thread_wake(p);
		pthread_join(p->dt.tid, NULL);
		p->dt.started = false;
	}
	ring_buffer__free(p->dt.rb);
	if (p->dt.epfd >= 0)
		close(p->dt.epfd);
	if (p->dt.efd >= 0)
		close(p->dt.efd);
	free(p->dt.table);
	free(p->dt.libs);
	p->dt.rb = NULL;
	p->dt.epfd = p->dt.efd = -1;
	p->dt.table = NULL;
	p->dt.libs = NULL;
	p->dt.nlibs = 0;
}

static void tls_begin(struct collector *l, struct registry *reg, const struct collect_ctx *cx)
{
	struct tls_priv *p = l->priv;

	if (!p->handshakes && register_metrics(p, reg))
		return;
	metric_gauge_reset(p->libraries);
}

static void tls_collect(struct collector *l, struct registry *reg, const struct collect_ctx *cx)
{
	struct tls_priv *p = l->priv;

	if (!p->handshakes)
		return;
	percpu_map_each(bpf_map__fd(p->skel->maps.tls_stats), sizeof(struct tls_key),
			sizeof(struct tls_stats), stats_one, p);
	percpu_map_each(bpf_map__fd(p->skel->maps.tls_fails), sizeof(struct tls_fail_key),
			sizeof(uint64_t), fails_one, p);
	collect_libraries(p);
}

/* --- a cgroup that is gone: its map entries and series go too --- */

struct gone {
	struct tls_priv *p;
	uint64_t id;
};

/* Both key types start with the cgroup id; their previous values go with them. */
static bool stats_key_gone(void *ctx, const void *key)
{
	struct gone *g = ctx;
	void **slot;

	if (((const struct tls_key *)key)->cgroup_id != g->id)
		return false;
	slot = tfind(key, &g->p->prev_stats, cmp_stats);
	if (slot) {
		void *pv = *slot;

		tdelete(pv, &g->p->prev_stats, cmp_stats);
		free(pv);
	}
	return true;
}

static bool fail_key_gone(void *ctx, const void *key)
{
	struct gone *g = ctx;
	void **slot;

	if (((const struct tls_fail_key *)key)->cgroup_id != g->id)
		return false;
	slot = tfind(key, &g->p->prev_fails, cmp_fails);
	if (slot) {
		void *pv = *slot;

		tdelete(pv, &g->p->prev_fails, cmp_fails);
		free(pv);
	}
	return true;
}

static void cgroup_gone(void *ctx, uint64_t id, const char *path)
{
	struct tls_priv *p = ctx;
	struct gone g = { p, id };
	size_t dropped;

	map_delete_matching(bpf_map__fd(p->skel->maps.tls_stats), sizeof(struct tls_key),
			    stats_key_gone, &g);
	map_delete_matching(bpf_map__fd(p->skel->maps.tls_fails), sizeof(struct tls_fail_key),
			    fail_key_gone, &g);
	dropped = p->reg ? registry_drop_label_value(p->reg, "cgroup", path) : 0;
	pr_debug("tls: cgroup %s is gone: dropped %zu series", path, dropped);
}

static void tls_maintain(struct collector *l, const struct collect_ctx *cx)
{
	struct tls_priv *p = l->priv;
	__u32 zero = 0;
	__u64 *lost = calloc(p->ncpus, sizeof(*lost));

	pthread_mutex_lock(&p->dt.mu);
	p->dt.scan_due = true;
	pthread_mutex_unlock(&p->dt.mu);
	disc_thread_wake(p);
	if (++p->ticks % CGROUP_SWEEP_EVERY == 0)
		tls_cgroups_sweep(&p->cg, cgroup_gone, p);
	if (lost && !bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.disc_lost), &zero, lost)) {
		uint64_t sum = 0;

		for (int c = 0; c < p->ncpus; c++)
			sum += lost[c];
		if (sum != p->disc_lost)
			pr_debug("tls: %llu exec records over the rate limit: those processes "
				 "wait for the periodic scan",
				 (unsigned long long)(sum - p->disc_lost));
		p->disc_lost = sum;
	}
	free(lost);
}

/* --- events --- */

static const char *const tls_event_types[] = {
	[TLS_EV_HANDSHAKE_FAILED] = "handshake_failed",
	[TLS_EV_HANDSHAKE_INCOMPLETE] = "handshake_incomplete",
};

static bool tls_decode(struct collector *l, const void *event, struct event_record *r)
{
	struct tls_priv *p = l->priv;
	const struct tls_event *e = event;
	char reason[256], cg[256];

	if (e->family) {
		record_addr_set(&r->src, e->family, e->saddr, true, e->sport);
		record_addr_set(&r->dst, e->family, e->daddr, true, e->dport);
	}
	if (!tls_cgroup_name(&p->cg, e->hdr.cgroup_id, cg, sizeof(cg)))
		snprintf(cg, sizeof(cg), "%llu", (unsigned long long)e->hdr.cgroup_id);
	record_str(r, "role", "%s", role_name(e->role));
	record_quoted(r, "reason", tls_reason_text(e->lib, e->reason, reason, sizeof(reason)));
	record_str(r, "cgroup", "%s", cg);
	return true;
}

/* --- lifecycle --- */

static bool have_uprobes(void)
{
	return access("/sys/bus/event_source/devices/uprobe/type", F_OK) == 0 ||
	       access("/sys/kernel/tracing/uprobe_events", F_OK) == 0 ||
	       access("/sys/kernel/debug/tracing/uprobe_events", F_OK) == 0;
}

static int tls_open(struct collector *l, const struct collector_opts *opts)
{
	struct tls_priv *p;
	struct tls_bpf *s;
	int err;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	l->priv = p;
	p->reg = opts->reg;
	p->events = opts->events;
	p->data_path = opts->cfg->tls_data_path;
	tls_disc_init(&p->disc, &disc_ops, p);
	pthread_mutex_init(&p->dt.mu, NULL);
	p->dt.efd = p->dt.epfd = -1;
	tls_cgroups_init(&p->cg);
	p->ncpus = libbpf_num_possible_cpus();
	if (p->ncpus <= 0) {
		snprintf(l->why, sizeof(l->why), "cannot count possible CPUs");
		return -EINVAL;
	}
	if (!have_uprobes()) {
		snprintf(l->why, sizeof(l->why),
			 "kernel without uprobes (no uprobe PMU, no tracefs uprobe_events: "
			 "CONFIG_UPROBE_EVENTS)");
		return -EOPNOTSUPP;
	}

	s = p->skel = tls_bpf__open();
	if (!s)
		return collector_failed(l, -errno, "open BPF object");
	l->obj = s->obj;
	COLLECTOR_SET_EVENTS(s, opts);
	s->rodata->err_lib_ssl = tls_err_lib_ssl();
	/* namespaces with the agent's root need not wake discovery (bpf/tls.bpf.c) */
	struct stat root;

	if (stat("/", &root) == 0) {
		s->rodata->agent_root_dev = tls_kdev(major(root.st_dev), minor(root.st_dev));
		s->rodata->agent_root_ino = root.st_ino;
	}

	/* the attach cookie tells the return probe where SSL_version reads (5.15+) */
	p->cookies =
		libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_get_attach_cookie, NULL) > 0;
	bpf_program__set_autoload(p->cookies ? s->progs.tls_hs_exit_nocookie : s->progs.tls_hs_exit,
				  false);
	if (!p->cookies)
		pr_info("tls: no bpf_get_attach_cookie on this kernel: negotiated versions show "
			"as unknown");
	bpf_program__set_autoload(s->progs.tls_set_fd, p->events);
	struct bpf_program *io[] = { s->progs.tls_read_enter, s->progs.tls_write_enter,
				     s->progs.tls_read_ex_enter, s->progs.tls_write_ex_enter,
				     s->progs.tls_io_exit };
	for (size_t i = 0; i < sizeof(io) / sizeof(io[0]); i++)
		bpf_program__set_autoload(io[i], p->data_path);
	if (!opts->events)
		bpf_map__set_max_entries(s->maps.tls_events, 4096); /* never written */

	struct hook hooks[] = {
		{ "sched", "sched_process_exec", 3, false, s->progs.tls_exec_btf, NULL,
		  s->progs.tls_exec_raw, NULL, s->progs.tls_exec_tp },
	};
	memcpy(p->hooks, hooks, sizeof(hooks));
	l->hooks = p->hooks;
	l->nhooks = sizeof(hooks) / sizeof(hooks[0]);
	hooks_select(p->hooks, l->nhooks, opts->cfg->attach);

	err = tls_bpf__load(s);
	if (err)
		return collector_failed(l, err, "load BPF object");
	/* without the exec hook, new namespaces and programs wait for the periodic scan */
	err = collector_attach_hooks(l, p->links, &p->nlinks);
	if (err)
		return err;
	/* exec records feed the discovery thread; failed handshakes go out as events, only
	 * when asked for */
	err = disc_thread_init(p);
	if (err)
		return collector_failed(l, err, "exec records' ring buffer");
	if (opts->events && (err = collector_events_open(l, s->maps.tls_events)))
		return err;
	tls_disc_scan(&p->disc, 0);
	size_t probed = 0, probes = 0;

	for (size_t i = 0; i < p->disc.nfiles; i++) {
		probed += p->disc.files[i]->nprobes > 0;
		probes += p->disc.files[i]->nprobes;
	}
	pr_info("tls: %zu OpenSSL files probed (%zu uprobes) in %zu mount namespaces", probed,
		probes, tls_disc_mntns_count(&p->disc));
	libs_publish(p);
	err = disc_thread_start(p);
	if (err)
		return collector_failed(l, err, "start the discovery thread");
	return 0;
}

static void free_node(void *n)
{
	free(n);
}

static void tls_close(struct collector *l)
{
	struct tls_priv *p = l->priv;

	if (!p)
		return;
	disc_thread_stop(p); /* first: it alone touches disc and the exec table */
	tls_disc_free(&p->disc); /* every uprobe */
	collector_release(l, p->links, p->nlinks);
	tls_bpf__destroy(p->skel);
	tls_cgroups_free(&p->cg);
	tdestroy(p->prev_stats, free_node);
	tdestroy(p->prev_fails, free_node);
	free(p);
	l->priv = NULL;
}

static const struct finding tls_findings[] = {
	{ "osiscope_tls_handshakes_total", "result", "failed", "TLS handshakes failed",
	  "by reason: 'certificate verify failed' = this side does not trust the peer's chain "
	  "(CA bundle, expiry, name); '... alert ...' = the peer refused, its own reason says "
	  "why; 'unsupported protocol' / 'alert protocol version' = no TLS version in common; "
	  "'incomplete' = connection lost or given up mid-handshake" },
};

static const struct collector_desc tls_collector = {
	.name = "tls",
	.osi = "l6",
	.layers = OSI_L6,
	.rank = 60,
	.findings = tls_findings,
	.nfindings = sizeof(tls_findings) / sizeof(tls_findings[0]),
	.events = { .size = sizeof(struct tls_event),
		    .osi = "l6",
		    .types = tls_event_types,
		    .ntypes = sizeof(tls_event_types) / sizeof(tls_event_types[0]),
		    .decode = tls_decode },
	.open = tls_open,
	.begin = tls_begin,
	.collect = tls_collect,
	.maintain = tls_maintain,
	.close = tls_close,
};
COLLECTOR_REGISTER(tls_collector);
