// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* DNS layer (L7), userspace half: attach bpf/dns.bpf.c to the root of the cgroup v2
 * hierarchy, start its timeout sweep, turn its per-netns per-CPU counters into metrics
 * and decode its events (names in wire format, parsed here with bounds on everything). */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dns.h"
#include "dns.skel.h"
#include "collector.h"
#include "log.h"
#include "tls_cgroup.h"

/* --- names of the protocol's constants --- */

struct dns_const {
	uint16_t v;
	const char *name;
};

/* IANA "Resource Record (RR) TYPEs", the ones a question may carry or that are seen. */
static const struct dns_const qtypes[] = {
	{ 1, "A" },	  { 2, "NS" },		{ 5, "CNAME" },	   { 6, "SOA" },
	{ 12, "PTR" },	  { 13, "HINFO" },	{ 15, "MX" },	   { 16, "TXT" },
	{ 17, "RP" },	  { 18, "AFSDB" },	{ 24, "SIG" },	   { 25, "KEY" },
	{ 28, "AAAA" },	  { 29, "LOC" },	{ 33, "SRV" },	   { 35, "NAPTR" },
	{ 36, "KX" },	  { 37, "CERT" },	{ 39, "DNAME" },   { 41, "OPT" },
	{ 42, "APL" },	  { 43, "DS" },		{ 44, "SSHFP" },   { 45, "IPSECKEY" },
	{ 46, "RRSIG" },  { 47, "NSEC" },	{ 48, "DNSKEY" },  { 49, "DHCID" },
	{ 50, "NSEC3" },  { 51, "NSEC3PARAM" }, { 52, "TLSA" },	   { 53, "SMIMEA" },
	{ 55, "HIP" },	  { 59, "CDS" },	{ 60, "CDNSKEY" }, { 61, "OPENPGPKEY" },
	{ 62, "CSYNC" },  { 63, "ZONEMD" },	{ 64, "SVCB" },	   { 65, "HTTPS" },
	{ 99, "SPF" },	  { 108, "EUI48" },	{ 109, "EUI64" },  { 249, "TKEY" },
	{ 250, "TSIG" },  { 251, "IXFR" },	{ 252, "AXFR" },   { 253, "MAILB" },
	{ 254, "MAILA" }, { 255, "ANY" },	{ 256, "URI" },	   { 257, "CAA" },
	{ 32768, "TA" },  { 32769, "DLV" },
};

/* IANA "DNS RCODEs" that fit the 4-bit header field. */
static const char *const rcodes[DNS_RCODES] = {
	"NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
	"YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE", "DSOTYPENI",
};

const char *dns_qtype_name(uint16_t qtype, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof(qtypes) / sizeof(qtypes[0]); i++)
		if (qtypes[i].v == qtype)
			return qtypes[i].name;
	snprintf(buf, len, "%u", qtype);
	return buf;
}

const char *dns_rcode_name(uint8_t rcode, char *buf, size_t len)
{
	if (rcode < DNS_RCODES && rcodes[rcode])
		return rcodes[rcode];
	snprintf(buf, len, "%u", rcode);
	return buf;
}

/* Appends s (n bytes) if it fits with room for "..." and the terminator after it. */
static bool put(char *out, size_t outlen, size_t *o, const char *s, size_t n)
{
	if (*o + n + 4 > outlen)
		return false;
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = '\0';
	return true;
}

int dns_name_to_text(const uint8_t *wire, size_t len, char *out, size_t outlen)
{
	size_t i = 0, o = 0;
	int ret = DNS_NAME_CUT;

	if (!outlen)
		return DNS_NAME_CUT;
	out[0] = '\0';
	if (outlen < 4) /* no room for text and "..." */
		return DNS_NAME_CUT;
	if (len && wire[0] == 0) {
		put(out, outlen, &o, ".", 1);
		return DNS_NAME_OK;
	}
	while (i < len) {
		uint8_t l = wire[i];

		if (l == 0) {
			ret = DNS_NAME_OK;
			break;
		}
		if (l & 0xc0 || i + 1 + l + 1 > DNS_NAME_MAX)
			return DNS_NAME_BAD;
		if (i && !put(out, outlen, &o, ".", 1))
			goto cut;
		i++;
		for (uint8_t k = 0; k < l; k++, i++) {
			char esc[5];
			size_t n;
			uint8_t c;

			if (i >= len)
				goto cut; /* the copy ends inside the label */
			c = wire[i];
			if (c == '.' || c == '\\' || c == '"')
				n = (size_t)snprintf(esc, sizeof(esc), "\\%c", c);
			else if (c > 0x20 && c < 0x7f)
				n = (size_t)snprintf(esc, sizeof(esc), "%c", c);
			else
				n = (size_t)snprintf(esc, sizeof(esc), "\\%03u", c);
			if (!put(out, outlen, &o, esc, n))
				goto cut;
		}
	}
	if (ret == DNS_NAME_OK)
		return ret;
cut:
	/* put() always leaves room for this */
	memcpy(out + o, "...", 4);
	return DNS_NAME_CUT;
}

/* --- collector --- */

/* What is kept per namespace: the registry keeps the counters' baselines. */
struct dns_prev {
	uint32_t netns; /* first: the nstab key */
	uint64_t emitted_gen; /* collection that last handed its counters over */
	uint64_t swept; /* timeouts the agent's own sweep counted (kernels without bpf_timer) */
};

struct dns_priv {
	struct dns_bpf *skel;
	struct bpf_link *links[4];
	int nlinks;
	struct nstab prev; /* struct dns_prev by namespace */
	const struct collect_ctx *cx; /* of the collection under way */
	uint64_t gen;
	struct hook hooks[2];
	struct fhook fhooks[2]; /* senders of queries, where cgroup_skb has no current task */
	char cgroup_root[256];
	/* before v5.15 (no bpf_timer, no syscall programs): the agent sweeps the queries in
	 * flight itself, every MAINTAIN_PERIOD_S and at each collection (user_sweep()) */
	bool user_sweep;
	bool events; /* events are on: the sweep sends its timeouts as events too */
	uint64_t timeout_ns;
	/* metrics */
	struct metric *queries, *responses, *duration, *timeouts, *malformed, *unmatched,
		*untracked, *truncated, *tcp_queries, *tcp_unparsed;
	double lat_bounds[HIST_SLOTS - 1];
};

static int register_metrics(struct dns_priv *p, struct registry *reg)
{
#define NS                    \
	{                     \
		"netns", NULL \
	}
	const struct metric_desc descs[] = {
		{ "osiscope_dns_queries_total",
		  "DNS queries sent to port 53 by UDP and TCP sockets of the namespace, by "
		  "question type (no kernel counter; over UDP each is one of the namespace's "
		  "UdpOutDatagrams).",
		  METRIC_COUNTER,
		  { "netns", "qtype", NULL } },
		{ "osiscope_dns_responses_total",
		  "DNS responses from port 53 received by UDP and TCP sockets of the namespace, by "
		  "header RCODE (no kernel counter; over UDP each is one of UdpInDatagrams once "
		  "read).",
		  METRIC_COUNTER,
		  { "netns", "rcode", NULL } },
		{ "osiscope_dns_request_duration_seconds",
		  "Time from a DNS query to its response (same id, addresses and ports), for "
		  "responses within the timeout.",
		  METRIC_HISTOGRAM, NS, 0, p->lat_bounds, HIST_SLOTS - 1 },
		{ "osiscope_dns_timeouts_total",
		  "DNS queries that got no response within the timeout (--dns.timeout).",
		  METRIC_COUNTER, NS },
		{ "osiscope_dns_malformed_total",
		  "Packets to or from port 53 that are no well-formed DNS query or response "
		  "(short header, no question, a bad question name, a query or response on the "
		  "wrong side), by direction: transmit (sent to a server), receive (from one).",
		  METRIC_COUNTER,
		  { "netns", "direction", NULL } },
		{ "osiscope_dns_unmatched_responses_total",
		  "DNS responses for which no query was in flight: duplicates, responses after "
		  "the query timed out, responses to untracked queries, or spoofing attempts.",
		  METRIC_COUNTER, NS },
		{ "osiscope_dns_untracked_queries_total",
		  "DNS queries whose latency and timeout were not followed, by reason: "
		  "table_full (the in-flight table was full), in_flight (sent again with the "
		  "same id, addresses and ports while the first was in flight: a retry).",
		  METRIC_COUNTER,
		  { "netns", "reason", NULL } },
		{ "osiscope_dns_truncated_responses_total",
		  "DNS responses with the TC bit set: the answer did not fit, and the client "
		  "retries over TCP.",
		  METRIC_COUNTER, NS },
		{ "osiscope_dns_tcp_queries_total",
		  "DNS queries sent over TCP (also in osiscope_dns_queries_total).", METRIC_COUNTER,
		  NS },
		{ "osiscope_dns_tcp_unparsed_total",
		  "TCP segments to or from port 53 where a DNS message starts that could not be "
		  "read: its length prefix, header or question split over segments, out of step "
		  "after a lost or reordered segment (the rest of that connection in that "
		  "direction is not read), or more than 4 messages in one segment.",
		  METRIC_COUNTER,
		  { "netns", "direction", NULL } },
	};
#undef NS
	struct metric **const out[] = {
		&p->queries,   &p->responses, &p->duration,  &p->timeouts,    &p->malformed,
		&p->unmatched, &p->untracked, &p->truncated, &p->tcp_queries, &p->tcp_unparsed,
	};

	metric_log2_bounds(p->lat_bounds, HIST_SLOTS - 1, 1e-6);
	return metrics_register(reg, descs, sizeof(descs) / sizeof(descs[0]), out);
}

static const char *const dns_event_types[] = {
	[DNS_EV_NXDOMAIN] = "dns_nxdomain",
	[DNS_EV_SERVFAIL] = "dns_servfail",
	[DNS_EV_REFUSED] = "dns_refused",
	[DNS_EV_TIMEOUT] = "dns_timeout",
	[DNS_EV_ANSWER] = "dns_answer",
};

static bool dns_decode(struct collector *l, const void *event, struct event_record *r)
{
	const struct dns_event *e = event;
	/* the longest name, every byte escaped as \DDD */
	char name[DNS_NAME_MAX * 4 + 4], qt[8], rc[8];
	size_t copied;

	if (e->family == 2 || e->family == 10) {
		record_addr_set(&r->src, e->family, e->client, true, e->cport);
		record_addr_set(&r->dst, e->family, e->server, true, e->sport);
	}
	/* the kernel vouched for qname_len bytes of name, of which it copied at most 128 */
	copied = e->qname_len < DNS_NAME_COPY ? e->qname_len : DNS_NAME_COPY;
	if (!e->qname_len)
		snprintf(name, sizeof(name), "-");
	else if (dns_name_to_text(e->qname, copied, name, sizeof(name)) == DNS_NAME_BAD)
		snprintf(name, sizeof(name), "(malformed)");
	if (e->proto == 6) /* IPPROTO_TCP: UDP, the usual, goes unsaid */
		record_str(r, "proto", "tcp");
	record_str(r, "qtype", "%s", dns_qtype_name(e->qtype, qt, sizeof(qt)));
	record_uint(r, "id", e->id);
	if (e->hdr.type != DNS_EV_TIMEOUT) {
		if (e->latency_ns)
			record_seconds(r, "latency", (double)e->latency_ns / 1e9, 6);
	} else if (e->late) {
		record_seconds(r, "late", (double)e->latency_ns / 1e9, 6);
		record_str(r, "rcode", "%s", dns_rcode_name(e->rcode, rc, sizeof(rc)));
	} else {
		record_seconds(r, "after", (double)e->latency_ns / 1e9, 3);
	}
	/* the name is the query's; say so when the response asked about another, or when
	 * no query was matched and the name is only what the response claims */
	if (e->name_src == DNS_NAME_SRC_DIFFERS)
		record_str(r, "question", "differs");
	else if (e->name_src == DNS_NAME_SRC_RESPONSE && e->hdr.type != DNS_EV_TIMEOUT)
		record_str(r, "question", "unverified");
	/* the name last: a long one is what gets cut, and shows it was */
	record_str(r, "name", "%s", name);
	r->mark_cut = true;
	return true;
}

/* Unescapes mountinfo's \ooo (space, tab, newline, backslash) into out. */
static void mountinfo_unescape(char *out, size_t len, const char *in)
{
	size_t o = 0;

	for (size_t i = 0; in[i] && o + 1 < len; i++) {
		if (in[i] == '\\' && in[i + 1] >= '0' && in[i + 1] <= '3' && in[i + 2] >= '0' &&
		    in[i + 2] <= '7' && in[i + 3] >= '0' && in[i + 3] <= '7') {
			out[o++] = (char)((in[i + 1] - '0') * 64 + (in[i + 2] - '0') * 8 +
					  (in[i + 3] - '0'));
			i += 3;
		} else {
			out[o++] = in[i];
		}
	}
	out[o] = '\0';
}

/* The cgroup v2 mount that shows the hierarchy's root: /sys/fs/cgroup on unified
 * hosts, /sys/fs/cgroup/unified on hybrid ones. */
static int cgroup2_root(char *out, size_t len)
{
	char *line = NULL;
	size_t cap = 0;
	int err = -ENOENT;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char root[256], mnt[256], fstype[32], *sep = strstr(line, " - ");

		/* fields: id parent maj:min root mountpoint ... - fstype source options */
		if (!sep || sscanf(sep, " - %31s", fstype) != 1 || strcmp(fstype, "cgroup2"))
			continue;
		if (sscanf(line, "%*s %*s %*s %255s %255s", root, mnt) != 2 ||
		    !cgroup2_mount_of_root(root))
			continue;
		mountinfo_unescape(out, len, mnt);
		/* 1: the host's hierarchy mounted into a cgroup namespace (root "/.."):
		 * attaching at its root sees every process */
		err = strcmp(root, "/") ? 1 : 0;
		break;
	}
	free(line);
	fclose(f);
	return err;
}

/* In a cgroup namespace of its own (a container's), "the root" we attach to is that
 * namespace's: the sockets of processes outside it are not seen. Say so. */
static void warn_cgroup_namespace(const char *root)
{
	struct stat self, init;

	if (stat("/proc/self/ns/cgroup", &self) || stat("/proc/1/ns/cgroup", &init))
		return;
	if (self.st_ino != init.st_ino)
		pr_warn("dns: this process has a cgroup namespace of its own: %s is its root, "
			"and DNS of processes outside it is not seen (run in the host's cgroup "
			"namespace)",
			root);
}

static bool kernel_has_kfunc(const char *name)
{
	const struct btf *btf = probe_kernel_btf();

	return btf && btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) > 0;
}

static bool helper_ok(enum bpf_func_id id)
{
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_CGROUP_SKB, id, NULL) == 1;
}

static int dns_open(struct collector *l, const struct collector_opts *opts)
{
	LIBBPF_OPTS(bpf_test_run_opts, run);
	double timeout = opts->cfg->dns_timeout, sweep;
	struct dns_priv *p;
	struct dns_bpf *s;
	int err, cgfd;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	l->priv = p;
	nstab_init(&p->prev, sizeof(struct dns_prev));
	err = cgroup2_root(p->cgroup_root, sizeof(p->cgroup_root));
	if (err < 0) {
		snprintf(
			l->why, sizeof(l->why),
			"no cgroup v2 hierarchy mounted (mount -t cgroup2 none /sys/fs/cgroup): %s",
			strerror(-err));
		return err;
	}
	if (!err)
		warn_cgroup_namespace(p->cgroup_root);

	/* typed context reads where the kernel lets cgroup_skb programs call the kfunc;
	 * its BTF may have the kfunc without allowing it to them (6.12): probe reads then */
	bool kern_ctx = kernel_has_kfunc("bpf_cast_to_kern_ctx"), retried = false;
	/* libbpf 1.1's probe takes "program of this type cannot use helper" for a yes
	 * (6.12 has pid_tgid but not comm for cgroup_skb): a refused load tries without */
	bool task = helper_ok(BPF_FUNC_get_current_pid_tgid) &&
		    helper_ok(BPF_FUNC_get_current_comm);
	bool said_task = false;
again:
	s = p->skel = dns_bpf__open();
	if (!s)
		return collector_failed(l, -errno, "open BPF object");
	l->obj = s->obj;
	COLLECTOR_SET_EVENTS(s, opts);
	s->rodata->timeout_ns = (uint64_t)(timeout * 1e9);
	/* a timeout is seen at most a quarter of it late, and the sweep stays rare */
	sweep = timeout / 4;
	sweep = sweep < 0.01 ? 0.01 : sweep > 1.0 ? 1.0 : sweep;
	s->rodata->sweep_ns = (uint64_t)(sweep * 1e9);
	s->rodata->have_current_task = task;
	struct fhook fh[] = {
		{ "udp_sendmsg", s->progs.dns_owner_fentry, s->progs.dns_owner_kprobe },
		{ "udpv6_sendmsg", s->progs.dns_owner6_fentry, s->progs.dns_owner6_kprobe },
	};
	memcpy(p->fhooks, fh, sizeof(fh));
	l->fhooks = p->fhooks;
	l->nfhooks = 2;
	int owners = fhooks_select(p->fhooks, 2, !s->rodata->have_current_task,
				   "cgroup_skb programs have the sending task here");

	s->rodata->have_owner = !s->rodata->have_current_task && owners == 2;
	if (!s->rodata->have_owner)
		bpf_map__set_max_entries(s->maps.dns_owners, 1);
	if (!task && !said_task) {
		said_task = true;
		pr_info("dns: this kernel gives cgroup_skb programs no current task: %s",
			s->rodata->have_owner ? "the sender of a query comes from udp_sendmsg"
					      : "events carry no pid/comm");
	}
	s->rodata->have_kern_ctx = kern_ctx;
	if (!opts->events) { /* never written */
		bpf_map__set_max_entries(s->maps.dns_events, 4096);
		bpf_map__set_max_entries(s->maps.dns_names, 1);
		bpf_map__set_max_entries(s->maps.dns_nx_recent, 1);
	}

	struct hook hooks[] = {
		{ "cgroup", "egress", 0, true, .chosen = s->progs.dns_egress,
		  .mode = "cgroup_skb" },
		{ "cgroup", "ingress", 0, true, .chosen = s->progs.dns_ingress,
		  .mode = "cgroup_skb" },
	};
	memcpy(p->hooks, hooks, sizeof(hooks));
	l->hooks = p->hooks;
	l->nhooks = sizeof(hooks) / sizeof(hooks[0]);

	p->timeout_ns = s->rodata->timeout_ns;
	p->events = opts->events;
	p->user_sweep = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SYSCALL, NULL) != 1 ||
			libbpf_probe_bpf_helper(BPF_PROG_TYPE_SYSCALL, BPF_FUNC_timer_init, NULL) != 1;
	if (p->user_sweep) {
		bpf_program__set_autoload(s->progs.dns_sweep_start, false);
		if (!retried)
			pr_info("dns: no bpf_timer in this kernel (v5.15+): the agent sweeps "
				"timed-out queries itself every %d s and at every collection",
				MAINTAIN_PERIOD_S);
	}
	err = dns_bpf__load(s);
	if (err && kern_ctx) {
		pr_info("dns: programs with bpf_cast_to_kern_ctx did not load (%s); trying the "
			"probe-read ones",
			probe_strerror(err));
		dns_bpf__destroy(s);
		p->skel = NULL;
		l->obj = NULL;
		kern_ctx = false;
		retried = true;
		goto again;
	}
	if (err && task) {
		pr_info("dns: programs that read the current task did not load (%s); trying "
			"without",
			probe_strerror(err));
		dns_bpf__destroy(s);
		p->skel = NULL;
		l->obj = NULL;
		task = false;
		retried = true;
		goto again;
	}
	if (err)
		return collector_failed(l, err, "load BPF object");
	err = p->user_sweep ? 0 : bpf_prog_test_run_opts(bpf_program__fd(s->progs.dns_sweep_start), &run);
	if (err || run.retval) {
		err = err ? -errno : (int)run.retval;
		snprintf(l->why, sizeof(l->why), "start the timeout sweep (bpf_timer): %s",
			 probe_strerror(err));
		return err;
	}

	/* collector_attach_hooks() cannot serve here: cgroup programs attach to a cgroup fd,
	 * which bpf_program__attach() has no way to be given */
	cgfd = open(p->cgroup_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0) {
		err = -errno;
		snprintf(l->why, sizeof(l->why), "open %s: %s", p->cgroup_root, strerror(-err));
		return err;
	}
	for (size_t i = 0; i < l->nhooks; i++) {
		struct hook *h = &p->hooks[i];
		struct bpf_link *link = bpf_program__attach_cgroup(h->chosen, cgfd);

		if (!link) {
			err = -errno;
			snprintf(l->why, sizeof(l->why), "attach cgroup_skb/%s to %s: %s", h->name,
				 p->cgroup_root, probe_strerror(err));
			close(cgfd);
			return err;
		}
		p->links[p->nlinks++] = link;
	}
	close(cgfd);
	collector_attach_fhooks(l, p->links, &p->nlinks);
	pr_debug("dns: cgroup_skb attached to the cgroup v2 root %s; timeout %g s, swept every "
		 "%g s",
		 p->cgroup_root, timeout, sweep);
	if (opts->events) {
		err = collector_events_open(l, s->maps.dns_events);
		if (err)
			return err;
	}
	return 0;
}

/* What alerts are written on gets a series at zero, the rest once it happens. */
static bool rcode_always_shown(int r)
{
	return r == 0 || r == 2 || r == 3 || r == 5;
}

/* The namespace's map entry, or with o ORIGIN_ABSENT its series at zero. */
static void emit_counters(struct dns_priv *p, struct dns_prev *pv, const struct dns_netns_stats *n,
			  enum counter_origin o)
{
	static const char *const dirs[DNS_DIRS] = { "transmit", "receive" };
	static const uint16_t qtypes_shown[] = { 1, 28 }; /* A, AAAA */
	char ns[16], rc[8], qt[8];
	const char *lab[] = { ns, NULL };

	snprintf(ns, sizeof(ns), "%u", pv->netns);
	metric_counter_observe(p->timeouts, lab, n->timeouts + pv->swept, o);
	metric_counter_observe(p->unmatched, lab, n->unmatched, o);
	metric_counter_observe(p->truncated, lab, n->truncated, o);
	metric_counter_observe(p->tcp_queries, lab, n->tcp_queries, o);
	for (int d = 0; d < DNS_DIRS; d++) {
		const char *dl[] = { ns, dirs[d] };

		metric_counter_observe(p->malformed, dl, n->malformed[d], o);
		metric_counter_observe(p->tcp_unparsed, dl, n->tcp_unparsed[d], o);
	}
	{
		const char *full[] = { ns, "table_full" }, *again[] = { ns, "in_flight" };

		metric_counter_observe(p->untracked, full, n->untracked_full, o);
		metric_counter_observe(p->untracked, again, n->untracked_in_flight, o);
	}
	for (int r = 0; r < DNS_RCODES; r++) {
		const char *rl[] = { ns, dns_rcode_name(r, rc, sizeof(rc)) };

		if (n->responses[r] || rcode_always_shown(r))
			metric_counter_observe(p->responses, rl, n->responses[r], o);
	}
	if (n->queries_unlabelled) {
		const char *ql[] = { ns, METRIC_OTHER };

		metric_counter_observe(p->queries, ql, n->queries_unlabelled, o);
	}
	for (size_t i = 0; i < sizeof(qtypes_shown) / sizeof(qtypes_shown[0]); i++) {
		const char *ql[] = { ns, dns_qtype_name(qtypes_shown[i], qt, sizeof(qt)) };

		metric_counter_add(p->queries, ql, 0);
	}
	metric_hist_observe(p->duration, lab, (const uint64_t *)n->latency_hist, n->latency_sum_ns,
			    1e-9, o);
	pv->emitted_gen = p->gen;
}

static void collect_qtype(void *ctx, const void *k, const void *v)
{
	struct dns_priv *p = ctx;
	const struct dns_qtype_key *key = k;
	uint64_t sum = *(const uint64_t *)v;
	char ns[16], qt[8];
	const char *lab[] = { ns, NULL };

	snprintf(ns, sizeof(ns), "%u", key->netns);
	lab[1] = dns_qtype_name(key->qtype, qt, sizeof(qt));
	metric_counter_observe(p->queries, lab, sum, ORIGIN_MAP);
}

static void collect_netns(void *ctx, const void *key, const void *sum)
{
	struct dns_priv *p = ctx;
	struct dns_prev *pv = nstab_get(&p->prev, *(const uint32_t *)key, true);

	collect_note_netns(p->cx, *(const uint32_t *)key);

	if (pv)
		emit_counters(p, pv, sum, ORIGIN_MAP);
}

/* The timeout event of a query the agent's sweep took out: what sweep_one() in
 * bpf/dns.bpf.c sends, from the entry as it was (name: the query's, or none). */
static void sweep_event(struct collector *l, const struct dns_query_key *k,
			const struct dns_pending *v, const struct dns_qname *name, uint64_t now)
{
	struct dns_event e;

	memset(&e, 0, sizeof(e));
	e.hdr.ts_ns = now;
	e.hdr.type = DNS_EV_TIMEOUT;
	e.hdr.netns = k->netns;
	e.hdr.cgroup_id = v->cgroup_id;
	e.hdr.pid = v->pid;
	memcpy(e.hdr.comm, v->comm, sizeof(e.hdr.comm));
	e.latency_ns = now - v->ts_ns;
	memcpy(e.client, k->client, sizeof(e.client));
	memcpy(e.server, v->server, sizeof(e.server));
	e.cport = k->cport;
	e.sport = v->sport;
	e.family = k->family;
	e.id = k->id;
	e.proto = k->proto;
	e.qtype = v->qtype;
	if (name) {
		memcpy(e.qname, name->b, sizeof(e.qname));
		e.qname_len = v->qname_len;
	}
	collector_event_emit(l, &e, sizeof(e));
}

/*
 * Kernels without bpf_timer: what the kernel's sweep does (bpf/dns.bpf.c sweep_one), from
 * here, at every maintain and every collection (so that a scrape or a diagnose report
 * counts every query older than the timeout). Each query is counted, and its event sent,
 * by whoever deletes its entry: this sweep, or a late response (on_response(), which
 * sends its own event). An entry is looked at again just before its delete, so that a
 * key a newer query took meanwhile (a response came, and the client sent again from the
 * same port with the same id) stays, but for the microseconds between the two.
 */
static void user_sweep(struct collector *l)
{
	struct dns_priv *p = l->priv;
	int fd, names_fd;
	struct dns_query_key key, next, *old;
	struct dns_pending v;
	struct dns_qname name;
	struct timespec ts;
	uint64_t now;
	size_t n = 0, cap = 0;

	if (!p->user_sweep || !p->skel)
		return;
	fd = bpf_map__fd(p->skel->maps.dns_pending);
	names_fd = bpf_map__fd(p->skel->maps.dns_names);
	clock_gettime(CLOCK_MONOTONIC, &ts); /* bpf_ktime_get_ns()'s clock */
	now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	old = NULL;
	/* collect first, delete after: deleting while walking would restart the walk */
	for (int r = bpf_map_get_next_key(fd, NULL, &next); r == 0;
	     r = bpf_map_get_next_key(fd, &key, &next)) {
		key = next;
		if (bpf_map_lookup_elem(fd, &key, &v) || now <= v.ts_ns ||
		    now - v.ts_ns <= p->timeout_ns)
			continue;
		if (n == cap) {
			size_t c = cap ? cap * 2 : 64;
			struct dns_query_key *o = c <= 16384 ? realloc(old, c * sizeof(*o)) : NULL;

			if (!o)
				break;
			old = o;
			cap = c;
		}
		old[n++] = key;
	}
	for (size_t i = 0; i < n; i++) {
		struct dns_prev *pv;
		bool named;

		if (bpf_map_lookup_elem(fd, &old[i], &v) || now <= v.ts_ns ||
		    now - v.ts_ns <= p->timeout_ns)
			continue;
		/* the name before the delete: a newer query may take the key right after */
		named = p->events && !bpf_map_lookup_elem(names_fd, &old[i], &name);
		if (bpf_map_delete_elem(fd, &old[i]))
			continue; /* a response took it: counted there */
		if (p->events)
			bpf_map_delete_elem(names_fd, &old[i]);
		pv = nstab_get(&p->prev, old[i].netns, true);
		if (pv)
			pv->swept++;
		if (p->events)
			sweep_event(l, &old[i], &v, named ? &name : NULL, now);
	}
	free(old);
}

static void dns_maintain(struct collector *l, const struct collect_ctx *cx)
{
	user_sweep(l);
}

static void dns_collect(struct collector *l, struct registry *reg, const struct collect_ctx *cx)
{
	struct dns_priv *p = l->priv;

	if (!p->queries && register_metrics(p, reg))
		return;
	p->gen = cx->gen;
	p->cx = cx;
	user_sweep(l); /* before the counts are read: its timeouts are in this collection */
	percpu_map_each(bpf_map__fd(p->skel->maps.dns_stats), sizeof(uint32_t),
			sizeof(struct dns_netns_stats), collect_netns, p);
	percpu_map_each(bpf_map__fd(p->skel->maps.dns_qtypes), sizeof(struct dns_qtype_key),
			sizeof(uint64_t), collect_qtype, p);
	/* every namespace gets its series from the start, at zero, so that rate() sees
	 * the first increment */
	for (size_t i = 0; i < cx->netns->n; i++) {
		struct dns_prev *pv = nstab_get(&p->prev, cx->netns->v[i].inode, true);

		if (pv && pv->emitted_gen != p->gen) {
			static const struct dns_netns_stats none;

			emit_counters(p, pv, &none, ORIGIN_ABSENT);
		}
	}
}

/* Everything dns keeps is counted by the kernel under the inode: the registry keeps the
 * baselines, and forget_netns would delete the entries. */
static void dns_renew_netns(struct collector *l, uint32_t netns)
{
}

static void dns_forget_netns(struct collector *l, uint32_t netns)
{
	struct dns_priv *p = l->priv;
	struct dns_bpf *s = p->skel;

	/* queries still in flight would time out later and bring the namespace back */
	map_delete_netns(bpf_map__fd(s->maps.dns_pending), sizeof(struct dns_query_key),
			 offsetof(struct dns_query_key, netns), netns);
	map_delete_netns(bpf_map__fd(s->maps.dns_names), sizeof(struct dns_query_key),
			 offsetof(struct dns_query_key, netns), netns);
	map_delete_netns(bpf_map__fd(s->maps.dns_qtypes), sizeof(struct dns_qtype_key),
			 offsetof(struct dns_qtype_key, netns), netns);
	bpf_map_delete_elem(bpf_map__fd(s->maps.dns_stats), &netns);
	nstab_del(&p->prev, netns);
}

static void dns_close(struct collector *l)
{
	struct dns_priv *p = l->priv;

	if (!p)
		return;
	collector_release(l, p->links, p->nlinks);
	/* freeing the maps cancels the sweep timer */
	dns_bpf__destroy(p->skel);
	nstab_free(&p->prev);
	free(p);
	l->priv = NULL;
}

static const struct finding dns_findings[] = {
	{ "osiscope_dns_responses_total", "rcode", "NXDOMAIN", "DNS names that do not exist",
	  "a typo or stale name in configuration, or search domains tried first (ndots): "
	  "trace -l dns names them" },
	{ "osiscope_dns_responses_total", "rcode", "SERVFAIL", "DNS server failures",
	  "the resolver cannot reach the authoritative servers, or DNSSEC validation fails" },
	{ "osiscope_dns_responses_total", "rcode", "REFUSED", "DNS queries refused",
	  "the server does not serve this client or zone: check its access lists" },
	{ "osiscope_dns_timeouts_total", NULL, NULL, "DNS queries timed out",
	  "server down or unreachable, or port 53 dropped on the way: trace -l dns names it" },
	{ "osiscope_dns_malformed_total", NULL, NULL, "malformed DNS packets",
	  "something on port 53 that does not speak DNS, or hostile traffic" },
	{ "osiscope_dns_untracked_queries_total", "reason", "table_full",
	  "DNS queries not followed",
	  "more queries in flight than the table holds: timeouts and latency undercount" },
	{ "osiscope_dns_tcp_unparsed_total", NULL, NULL, "DNS over TCP not read",
	  "messages split oddly over segments, or segments lost or reordered: those queries "
	  "and responses are not counted" },
};

static void dns_describe(struct collector *l, char *buf, size_t len)
{
	struct dns_priv *p = l->priv;

	snprintf(buf, len,
		 "cgroup_skb on the cgroup v2 root %s (every namespace's UDP and TCP sockets)",
		 p->cgroup_root);
}

static const struct collector_desc dns_collector = {
	.name = "dns",
	.osi = "l7",
	.layers = OSI_L7,
	.rank = 70,
	.findings = dns_findings,
	.nfindings = sizeof(dns_findings) / sizeof(dns_findings[0]),
	.events = { .size = sizeof(struct dns_event),
		    .osi = "l7",
		    .types = dns_event_types,
		    .ntypes = sizeof(dns_event_types) / sizeof(dns_event_types[0]),
		    .decode = dns_decode },
	.open = dns_open,
	.collect = dns_collect,
	.maintain = dns_maintain,
	.forget_netns = dns_forget_netns,
	.renew_netns = dns_renew_netns,
	.describe = dns_describe,
	.close = dns_close,
};
COLLECTOR_REGISTER(dns_collector);
