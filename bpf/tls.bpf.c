// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * TLS layer (L6, OpenSSL 3 and 1.1). Counts handshakes per process name, cgroup and
 * role: ok ones with their latency and negotiated version, failed ones by OpenSSL's
 * reason. The userspace half attaches these uprobes once per distinct library file
 * (pid -1: every process mapping it, present and future).
 *
 * Handshake probes stay off the data path: the handshake state machine's entry and
 * return (ossl_statem_accept / ossl_statem_connect, found from TLS_method: see
 * user/tls_statem.h), which every handshake runs in, whether SSL_do_handshake,
 * SSL_connect, SSL_accept, or SSL_read, SSL_write, SSL_peek started it (a BIO-based
 * server's); where they cannot be found, SSL_do_handshake's. Then
 * SSL_set_connect_state/SSL_set_accept_state for the role, SSL_free, and the error
 * raisers ERR_vset_error (3.x) / ERR_put_error (1.1) in libcrypto, which only run when
 * something goes wrong. SSL_read/SSL_write are probed only with --tls.data-path.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "osiscope.bpf.h"
#include "tls.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define AF_INET 2
#define AF_INET6 10
#define S_IFMT 00170000
#define S_IFSOCK 0140000

/* Set by the loader from <openssl/err.h>. */
const volatile __u32 err_lib_ssl = 20;
/* Discovery records per second per CPU; more wait for the periodic /proc scan. */
const volatile __u32 disc_per_sec = 200;

enum hs_phase {
	HS_NEW = 0, /* role known, no handshake call yet */
	HS_RUNNING, /* SSL_do_handshake called, not finished */
	HS_DONE, /* finished (ok or failed): later calls are no-ops or renegotiations */
};

struct hs_key {
	__u64 ssl; /* the SSL object's address in the process */
	__u32 tgid;
	__u32 pad;
};

struct hs_val {
	__u64 start_ns; /* first SSL_do_handshake call */
	__s32 fd; /* from SSL_set_fd, -1 if unknown */
	__u8 role;
	__u8 phase;
	__u8 handshook; /* SSL_do_handshake was called on it at least once */
	__u8 pad;
};

/*
 * Per SSL object, from set_*_state to SSL_free. An LRU so that objects whose
 * SSL_free was missed (freed before their library was probed) age out; beyond this
 * many live objects the oldest finished ones go first, which only matters if they
 * handshake again.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct hs_key);
	__type(value, struct hs_val);
} hs SEC(".maps");

/* One SSL_do_handshake call in flight, per thread: the object, and the first error
 * raised during the call (OpenSSL's own library first, any other as a fallback). */
struct hs_call {
	__u64 ssl;
	__u32 lib, reason;
	__u32 any_lib, any_reason;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64); /* pid_tgid */
	__type(value, struct hs_call);
} calls SEC(".maps");

/* One SSL_read/SSL_write call in flight, per thread (--tls.data-path). */
struct io_call {
	__u64 ssl;
	__u64 outp; /* size_t * of the _ex variants, 0 for SSL_read/SSL_write */
	__u8 sent;
	__u8 pad[7];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct io_call);
} io_calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, struct tls_key);
	__type(value, struct tls_stats);
} tls_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, struct tls_fail_key);
	__type(value, __u64);
} tls_fails SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} tls_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} tls_disc SEC(".maps");

/* Pairs userspace has looked at (bpf/tls.h). A plain array, read-only here: no
 * per-CPU copy (vmalloc'd), no hash, no write. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TLS_EXEC_SETS);
	__type(key, __u32);
	__type(value, struct tls_exec_set);
} exec_seen SEC(".maps");

/* The first way of a set in the cache line that holds most of it, from where this
 * kernel's array values start (user/tls.c: the same, for the order it fills ways in).
 * A relocated constant: a global (.rodata) would cost every exec a vmalloc'd line. */
static __always_inline __u32 exec_way0(void)
{
	__u32 off = 0, head;

	if (bpf_core_field_exists(struct bpf_array, value))
		off = bpf_core_field_offset(struct bpf_array, value);
	head = (64 - off % 64) % 64;
	return head * 2 > 64 ? 0 : head / 8;
}

/* Namespaces userspace has scanned (bpf/tls.h); read only for an exec not in exec_seen. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TLS_NS_SETS);
	__type(key, __u32);
	__type(value, struct tls_ns_set);
} known_ns SEC(".maps");

/* Per CPU: the rate limit of exec records, and the pairs reported in its current
 * second, so that the execs of one pair before userspace has read its first record
 * (a script's loop) are reported once, not each. */
#define DISC_RECENT 4
struct disc_state {
	__u64 window_start;
	__u32 count;
	__u32 next;
	__u64 recent[DISC_RECENT];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct disc_state);
} disc_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} disc_lost SEC(".maps");

static const struct tls_stats zero_stats;
static const __u64 zero_count;

/*
 * Counters are per CPU, but unlike tracepoint programs a uprobe program runs in the
 * task with only migration disabled: on a preemptible kernel another task can run the
 * same program on this CPU between a load and its store. So the increments are atomic;
 * next to the uprobe's trap they cost nothing.
 */

static __always_inline void fill_task(__u64 *cgroup_id, char *comm)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct task_struct *leader = BPF_CORE_READ(t, group_leader);

	*cgroup_id = bpf_get_current_cgroup_id();
	/* the process name: worker threads often carry names of their own */
	if (bpf_core_read_str(comm, COMM_LEN, &leader->comm) < 0)
		bpf_get_current_comm(comm, COMM_LEN);
}

static __always_inline struct tls_stats *stats_for(__u8 role, __u16 version)
{
	struct tls_key k = { .role = role, .version = version };

	fill_task(&k.cgroup_id, k.comm);
	return map_lookup_or_init(&tls_stats, &k, &zero_stats);
}

static __always_inline struct hs_val *hs_get(__u64 ssl, __u32 tgid, bool create)
{
	struct hs_key k = { .ssl = ssl, .tgid = tgid };
	struct hs_val init = { .fd = -1 };

	if (!create)
		return bpf_map_lookup_elem(&hs, &k);
	return map_lookup_or_init(&hs, &k, &init);
}

/* The socket behind fd in the current process: its addresses and namespace. Rare
 * (failed handshakes only), so everything goes through CO-RE probe reads. */
static __always_inline bool event_socket(struct tls_event *e, int fd)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;
	struct socket *sock;
	struct sock *sk;
	__u16 mode;

	if (fd < 0 || (__u32)fd >= BPF_CORE_READ(fdt, max_fds))
		return false;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return false;
	mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return false;
	sock = BPF_CORE_READ(f, private_data);
	sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return false;
	e->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (e->family != AF_INET && e->family != AF_INET6) {
		e->family = 0;
		return false;
	}
	e->hdr.netns = sk_netns_inum(sk, false);
	e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (e->family == AF_INET6) {
		BPF_CORE_READ_INTO(&e->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&e->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	} else {
		BPF_CORE_READ_INTO((__u32 *)e->saddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)e->daddr, sk, __sk_common.skc_daddr);
	}
	return true;
}

static __always_inline void handshake_failed(const struct hs_val *v, __u32 lib, __u32 reason,
					     __u8 type)
{
	struct tls_fail_key k = { .lib = lib, .reason = reason, .role = v->role };
	struct tls_event *e;
	__u64 *n;

	fill_task(&k.cgroup_id, k.comm);
	n = map_lookup_or_init(&tls_fails, &k, &zero_count);
	if (n)
		__sync_fetch_and_add(n, 1);

	e = event_new_hdr(&tls_events, sizeof(*e), type, 0);
	if (!e)
		return;
	e->role = v->role;
	e->lib = lib;
	e->reason = reason;
	e->hdr.pid = bpf_get_current_pid_tgid() >> 32;
	e->hdr.cgroup_id = k.cgroup_id;
	__builtin_memcpy(e->hdr.comm, k.comm, sizeof(e->hdr.comm));
	if (!event_socket(e, v->fd)) {
		struct task_struct *t = (struct task_struct *)bpf_get_current_task();

		e->hdr.netns = BPF_CORE_READ(t, nsproxy, net_ns, ns.inum);
	}
	event_submit(&tls_events, e);
}

static __always_inline void set_role(__u64 ssl, __u8 role)
{
	struct hs_val *v = hs_get(ssl, bpf_get_current_pid_tgid() >> 32, true);

	if (!v)
		return;
	/* a fresh connection on this object (new, or reused after SSL_clear); curl also
	 * calls SSL_set_connect_state before SSL_free, hence handshook */
	v->role = role;
	v->phase = HS_NEW;
	v->start_ns = 0;
}

SEC("uprobe")
int BPF_KPROBE(tls_set_connect, void *ssl)
{
	set_role((__u64)ssl, TLS_ROLE_CLIENT);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(tls_set_accept, void *ssl)
{
	set_role((__u64)ssl, TLS_ROLE_SERVER);
	return 0;
}

/* Attached only when events are wanted: the peer address of failed handshakes. */
SEC("uprobe")
int BPF_KPROBE(tls_set_fd, void *ssl, int fd)
{
	struct hs_val *v = hs_get((__u64)ssl, bpf_get_current_pid_tgid() >> 32, true);

	if (v)
		v->fd = fd;
	return 0;
}

/* role: what the state machine entered says (accept: server), or unknown */
static __always_inline int hs_enter(void *ssl, __u8 role)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct hs_call c = { .ssl = (__u64)ssl };
	struct hs_val *v = hs_get(c.ssl, id >> 32, true);

	if (!v || v->phase == HS_DONE)
		return 0;
	if (v->role == TLS_ROLE_UNKNOWN)
		v->role = role; /* set up before the library was probed */
	if (v->phase == HS_NEW) {
		v->start_ns = bpf_ktime_get_ns();
		v->phase = HS_RUNNING;
		v->handshook = 1;
	}
	bpf_map_update_elem(&calls, &id, &c, BPF_ANY);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(tls_hs_enter, void *ssl)
{
	return hs_enter(ssl, TLS_ROLE_UNKNOWN);
}

SEC("uprobe")
int BPF_KPROBE(tls_statem_accept, void *ssl)
{
	return hs_enter(ssl, TLS_ROLE_SERVER);
}

SEC("uprobe")
int BPF_KPROBE(tls_statem_connect, void *ssl)
{
	return hs_enter(ssl, TLS_ROLE_CLIENT);
}

/* Whether v looks like a protocol version OpenSSL negotiates: SSL 3 / TLS 1.x
 * (0x03xx), DTLS (0xfexx) or DTLS1_BAD_VER (0x0100). Anything else means the layout
 * guess was wrong, and is not exported. */
static __always_inline bool plausible_version(__u32 v)
{
	return (v >> 8) == 0x03 || (v >> 8) == 0xfe || v == 0x0100;
}

static __always_inline int hs_exit(struct pt_regs *ctx, __u64 version_at)
{
	__u64 id = bpf_get_current_pid_tgid();
	int ret = (int)PT_REGS_RC(ctx);
	struct hs_call c, *cp;
	struct tls_stats *s;
	struct hs_val *v;
	__u32 version = 0;
	__u64 d;

	cp = bpf_map_lookup_elem(&calls, &id);
	if (!cp)
		return 0;
	c = *cp;
	bpf_map_delete_elem(&calls, &id);
	v = hs_get(c.ssl, id >> 32, false);
	if (!v || v->phase != HS_RUNNING)
		return 0;
	if (ret == 1) {
		/* version_at: 1 + offset of the field SSL_version() returns (see
		 * user/tls_elf.c), 0 when that accessor is not a plain load */
		if (version_at && bpf_probe_read_user(&version, sizeof(version),
						      (void *)(c.ssl + version_at - 1)))
			version = 0;
		if (!plausible_version(version))
			version = 0;
		v->phase = HS_DONE;
		s = stats_for(v->role, (__u16)version);
		if (!s)
			return 0;
		d = bpf_ktime_get_ns() - v->start_ns;
		__sync_fetch_and_add(&s->ok, 1);
		__sync_fetch_and_add(&s->sum_ns, d);
		__sync_fetch_and_add(&s->hist[hist_slot(d / 1000)], 1);
		return 0;
	}
	/* below zero with no error of libssl's raised: SSL_ERROR_WANT_READ/WRITE of a
	 * non-blocking socket (more calls follow), or a socket error, which SSL_free then
	 * counts as incomplete */
	if (ret < 0 && !c.lib)
		return 0;
	v->phase = HS_DONE;
	if (c.lib)
		handshake_failed(v, c.lib, c.reason, TLS_EV_HANDSHAKE_FAILED);
	else if (c.any_lib)
		handshake_failed(v, c.any_lib, c.any_reason, TLS_EV_HANDSHAKE_FAILED);
	else
		handshake_failed(v, 0, TLS_REASON_NONE_RAISED, TLS_EV_HANDSHAKE_FAILED);
	return 0;
}

/* The cookie carries where SSL_version() reads the version (kernel 5.15+). */
SEC("uretprobe")
int BPF_KRETPROBE(tls_hs_exit)
{
	return hs_exit(ctx, bpf_get_attach_cookie(ctx));
}

/* The same without bpf_get_attach_cookie, for older kernels: no version. */
SEC("uretprobe")
int BPF_KRETPROBE(tls_hs_exit_nocookie)
{
	return hs_exit(ctx, 0);
}

static __always_inline void on_error(__u32 lib, __u32 reason)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct hs_call *c = bpf_map_lookup_elem(&calls, &id);

	if (!c) /* not inside a handshake: nothing of ours */
		return;
	if (lib == err_lib_ssl) {
		if (!c->lib) {
			c->lib = lib;
			c->reason = reason;
		}
	} else if (!c->any_lib) {
		c->any_lib = lib;
		c->any_reason = reason;
	}
}

/* OpenSSL 3.x: every ERR_raise and SSLfatal ends in ERR_vset_error(lib, reason, ...) */
SEC("uprobe")
int BPF_KPROBE(tls_err3, int lib, int reason)
{
	on_error((__u32)lib, (__u32)reason);
	return 0;
}

/* OpenSSL 1.1: ERR_put_error(lib, func, reason, file, line) */
SEC("uprobe")
int BPF_KPROBE(tls_err11, int lib, int func, int reason)
{
	on_error((__u32)lib, (__u32)reason);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(tls_free, void *ssl)
{
	struct hs_key k = { .ssl = (__u64)ssl, .tgid = bpf_get_current_pid_tgid() >> 32 };
	struct hs_val *v = bpf_map_lookup_elem(&hs, &k);
	struct tls_stats *s;

	if (!v)
		return 0;
	if (v->phase == HS_RUNNING) {
		/* the peer went away, a socket error, or the application gave up */
		handshake_failed(v, 0, TLS_REASON_INCOMPLETE, TLS_EV_HANDSHAKE_INCOMPLETE);
	} else if (v->phase == HS_NEW && !v->handshook && v->role != TLS_ROLE_UNKNOWN) {
		/* no handshake seen: none started (the connection failed first), or where
		 * the state machine is not probed, one inside SSL_read/SSL_write */
		s = stats_for(v->role, 0);
		if (s)
			__sync_fetch_and_add(&s->unobserved, 1);
	}
	bpf_map_delete_elem(&hs, &k);
	return 0;
}

/* --- data path, --tls.data-path only --- */
static __always_inline void io_enter(void *ssl, __u8 sent, void *outp)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct io_call c = { .ssl = (__u64)ssl, .outp = (__u64)outp, .sent = sent };

	bpf_map_update_elem(&io_calls, &id, &c, BPF_ANY);
}

SEC("uprobe")
int BPF_KPROBE(tls_read_enter, void *ssl)
{
	io_enter(ssl, 0, NULL);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(tls_write_enter, void *ssl)
{
	io_enter(ssl, 1, NULL);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(tls_read_ex_enter, void *ssl, void *buf, __u64 num, __u64 *readbytes)
{
	io_enter(ssl, 0, readbytes);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(tls_write_ex_enter, void *ssl, const void *buf, __u64 num, __u64 *written)
{
	io_enter(ssl, 1, written);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(tls_io_exit)
{
	__u64 id = bpf_get_current_pid_tgid();
	int ret = (int)PT_REGS_RC(ctx);
	struct io_call c, *cp;
	struct tls_stats *s;
	struct hs_val *v;
	__u64 n = 0;

	cp = bpf_map_lookup_elem(&io_calls, &id);
	if (!cp)
		return 0;
	c = *cp;
	bpf_map_delete_elem(&io_calls, &id);
	if (c.outp) { /* _ex: 1 and the count in *outp */
		if (ret != 1 || bpf_probe_read_user(&n, sizeof(n), (void *)c.outp))
			return 0;
	} else if (ret > 0) {
		n = (__u64)ret;
	}
	if (!n)
		return 0;
	v = hs_get(c.ssl, id >> 32, false);
	s = stats_for(v ? v->role : TLS_ROLE_UNKNOWN, 0);
	if (!s)
		return 0;
	if (c.sent)
		__sync_fetch_and_add(&s->bytes_sent, n);
	else
		__sync_fetch_and_add(&s->bytes_received, n);
	return 0;
}

/* --- discovery: a process in a new mount namespace, or a new executable --- */
/* Whether a record of fp is to be sent: not sent in this second, and under the rate. */
static __always_inline bool disc_allowed(__u64 fp)
{
	__u32 zero = 0;
	struct disc_state *st = bpf_map_lookup_elem(&disc_state, &zero);
	__u64 now, *lost;

	if (!st)
		return false;
	now = bpf_ktime_get_ns();
	if (now - st->window_start >= 1000000000ULL) {
		__builtin_memset(st, 0, sizeof(*st));
		st->window_start = now;
	}
#pragma unroll
	for (int i = 0; i < DISC_RECENT; i++)
		if (st->recent[i] == fp)
			return false;
	if (st->count >= disc_per_sec) {
		lost = bpf_map_lookup_elem(&disc_lost, &zero);
		if (lost)
			(*lost)++;
		return false;
	}
	st->count++;
	st->recent[st->next & (DISC_RECENT - 1)] = fp;
	st->next++;
	return true;
}

/* Whether userspace has scanned this namespace's library directories. */
static __always_inline bool ns_known(__u32 mntns)
{
	__u32 set = tls_ns_set(mntns);
	struct tls_ns_set *s = bpf_map_lookup_elem(&known_ns, &set);

	if (!s)
		return false;
#pragma unroll
	for (int i = 0; i < TLS_NS_WAYS; i++)
		if (s->inum[i] == mntns)
			return true;
	return false;
}

/*
 * The agent's root directory, set by the loader (device as the kernel numbers it, and
 * inode). A mount namespace copied from the agent's (ip netns exec, unshare -m, a
 * systemd sandbox) has the same root and, unless something is mounted over a library
 * directory, the same library files, which are probed by inode wherever they are mapped.
 */
const volatile __u32 agent_root_dev = 0;
const volatile __u64 agent_root_ino = 0;

/* Whether task t's root is the agent's: read only for an exec in a namespace not scanned. */
static __always_inline bool root_is_agents(const struct task_struct *t, const bool btf)
{
	const struct fs_struct *fs;
	const struct dentry *root;
	const struct inode *inode;
	const struct super_block *sb;

	if (!agent_root_ino)
		return false;
	fs = READ(btf, t, fs);
	root = fs ? READ(btf, fs, root.dentry) : NULL;
	if (!root)
		return false;
	inode = READ(btf, root, d_inode);
	sb = READ(btf, root, d_sb);
	return inode && sb && READ(btf, inode, i_ino) == agent_root_ino &&
	       READ(btf, sb, s_dev) == agent_root_dev;
}

/*
 * An exec of a pair userspace has not looked at is reported. The record wakes userspace
 * (irq_work, an IPI, the scheduler: some 15 us of this exec in a virtual machine) only
 * when looking at once can find something: a namespace not scanned yet whose root is not
 * the agent's, or a program big enough to have OpenSSL linked in. The others (a small
 * program new to a scanned namespace, or the first ones of a namespace with the agent's
 * root) wait for the next record that wakes it, or its scan every 2 s: `ip netns exec`
 * makes a mount namespace for every command it runs, and woke userspace each time.
 */
static __always_inline void on_exec(__u32 mntns, __u32 dev, __u64 ino, __s64 size,
				    const struct task_struct *t, const bool btf)
{
	__u64 fp = tls_exec_fp(mntns, dev, ino);
	__u32 set = (__u32)fp & (TLS_EXEC_SETS - 1), way0 = exec_way0();
	struct tls_disc_event *e;
	struct tls_exec_set *s;

	s = bpf_map_lookup_elem(&exec_seen, &set);
	if (!s)
		return;
#pragma unroll
	for (int i = 0; i < TLS_EXEC_WAYS; i++)
		if (s->fp[(way0 + i) & (TLS_EXEC_WAYS - 1)] == fp)
			return;
	/* new to userspace: a process in a namespace not scanned yet, or a program not
	 * looked at, or a known one somewhere new */
	if (!disc_allowed(fp))
		return;
	e = bpf_ringbuf_reserve(&tls_disc, sizeof(*e), 0);
	if (!e) {
		__u32 zero = 0;
		__u64 *lost = bpf_map_lookup_elem(&disc_lost, &zero);

		if (lost)
			(*lost)++;
		return;
	}
	e->exe_ino = ino;
	e->exe_dev = dev;
	e->mntns = mntns;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->__pad = 0;
	/* forced: records sent without a wakeup may be waiting ahead of this one */
	bpf_ringbuf_submit(e, size >= TLS_EXE_MIN_OPENSSL ||
				      (!ns_known(mntns) && !root_is_agents(t, btf))
			      ? BPF_RB_FORCE_WAKEUP
			      : BPF_RB_NO_WAKEUP);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(tls_exec_btf, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct inode *inode = bprm->file->f_inode;

	on_exec(p->nsproxy->mnt_ns->ns.inum, inode->i_sb->s_dev, inode->i_ino, inode->i_size, p,
		true);
	return 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(tls_exec_raw, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct inode *inode = BPF_CORE_READ(bprm, file, f_inode);

	on_exec(BPF_CORE_READ(p, nsproxy, mnt_ns, ns.inum), BPF_CORE_READ(inode, i_sb, s_dev),
		BPF_CORE_READ(inode, i_ino), BPF_CORE_READ(inode, i_size), p, false);
	return 0;
}

SEC("tracepoint/sched/sched_process_exec")
int tls_exec_tp(struct trace_event_raw_sched_process_exec *ctx)
{
	/* current is the task that just exec'ed: its new mm has the executable */
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct inode *inode = BPF_CORE_READ(t, mm, exe_file, f_inode);

	on_exec(BPF_CORE_READ(t, nsproxy, mnt_ns, ns.inum), BPF_CORE_READ(inode, i_sb, s_dev),
		BPF_CORE_READ(inode, i_ino), BPF_CORE_READ(inode, i_size), t, false);
	return 0;
}
