// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Drop layer (all OSI layers), userspace half: load and attach bpf/drop.bpf.c, turn its
 * per-CPU (netns, reason, device) counters (the hash and the slots, see drop.h) into
 * osiscope_skb_drops_total with reason names from the kernel's BTF (drop_names.c), and
 * decode its events for trace. Without drop reasons (before v5.17) the layer comes
 * from the drop location's kernel symbol. */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "drop.h"
#include "drop.skel.h"
#include "ksyms.h"
#include "drop_names.h"
#include "collector.h"
#include "log.h"

#define DROPS_METRIC "osiscope_skb_drops_total"
#define DEVICE_LABEL_LEN (IFNAMSIZ + 8)
#define FORGOTTEN_MAX 256

enum { SLOT_EMPTY = 0, SLOT_USED, SLOT_DEAD };

/* What was last handed to the registry for one key of the kernel map. */
struct drop_prev {
	struct drop_key key;
	uint8_t state;
	bool folded; /* device label "_other": the budget for per-device series was spent */
	bool named; /* the device was found in its namespace's device list once */
	bool fresh; /* created in this collection, labels not made yet */
	uint64_t count;
	uint64_t cur; /* this collection's reading: hash + slot */
	uint64_t round; /* the collection cur is from */
	uint64_t created_gen; /* collection that first saw it */
	const char *layer;
	char reason[64];
	char device[DEVICE_LABEL_LEN];
};

/* Open addressing by drop_key, linear probing; rebuilt when half full. */
struct prev_table {
	struct drop_prev *v;
	size_t cap, used, dead;
};

/* A slot of the kernel's table (drop.h), as userspace follows it. */
enum { DSLOT_FREE = 0, DSLOT_USED, DSLOT_RETIRED };

struct drop_slot {
	uint32_t netns, ifindex; /* when used */
	uint8_t state;
	bool swept; /* a series of its pair was deleted in this collection */
	uint64_t released; /* the epoch it was taken back in */
	uint64_t *last; /* per reason: the sum over the CPUs last read */
	uint64_t *base; /* per reason: what deleted series had counted of it */
};

struct drop_priv {
	struct drop_bpf *skel;
	struct bpf_link *links[1];
	int nlinks;
	int ncpus;
	uint64_t *percpu; /* lookup buffer, ncpus values */
	struct prev_table prev;
	struct drop_names names;
	struct hook hooks[1];
	bool reasons; /* the attached program passes the kernel's reason */
	uint64_t uncounted; /* last value handed over */
	bool uncounted_warned;
	struct ksyms ksyms;
	bool ksyms_tried;
	struct metric *drops, *uncounted_m;
	uint32_t forgotten[FORGOTTEN_MAX]; /* namespaces the agent saw go, newest last */
	size_t nforgotten;
	uint32_t nreasons; /* counters per slot (drop_slot_reasons); 0: slots unused */
	struct drop_slot slots[DROP_SLOTS];
	uint64_t *slotmem; /* last and base of every slot */
	uint64_t *slotbuf; /* lookup buffer: ncpus x nreasons */
	uint64_t round; /* collections so far */
	uint64_t epoch; /* collections and maintenance passes so far */
	bool ksyms_warned;
};

/* --- the table of what was handed over --- */

static uint64_t key_hash(const struct drop_key *k)
{
	uint64_t h = ((uint64_t)k->netns << 32 | k->ifindex) ^
		     ((uint64_t)k->reason * 0x9E3779B97F4A7C15ULL);

	h ^= h >> 31;
	h *= 0xBF58476D1CE4E5B9ULL;
	h ^= h >> 29;
	return h;
}

static bool key_eq(const struct drop_key *a, const struct drop_key *b)
{
	return a->netns == b->netns && a->reason == b->reason && a->ifindex == b->ifindex;
}

static int prev_grow(struct prev_table *t)
{
	size_t cap = t->cap ? t->cap : 256;
	struct drop_prev *old = t->v, *v;
	size_t oldcap = t->cap;

	if (t->used * 2 >= cap) /* rebuilding alone would not make room */
		cap *= 2;
	v = calloc(cap, sizeof(*v));
	if (!v)
		return -ENOMEM;
	t->v = v;
	t->cap = cap;
	t->used = t->dead = 0;
	for (size_t i = 0; i < oldcap; i++) {
		if (old[i].state != SLOT_USED)
			continue;
		size_t j = key_hash(&old[i].key) & (cap - 1);

		while (v[j].state == SLOT_USED)
			j = (j + 1) & (cap - 1);
		v[j] = old[i];
		t->used++;
	}
	free(old);
	return 0;
}

/* The entry for key; a new one (state SLOT_USED, zeroed) when create. NULL if absent. */
static struct drop_prev *prev_get(struct prev_table *t, const struct drop_key *key, bool create,
				  bool *created)
{
	size_t i, tomb = SIZE_MAX;

	*created = false;
	if (create && (t->used + t->dead + 1) * 2 > t->cap && prev_grow(t))
		return NULL;
	if (!t->cap)
		return NULL;
	for (i = key_hash(key) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		struct drop_prev *e = &t->v[i];

		if (e->state == SLOT_EMPTY)
			break;
		if (e->state == SLOT_DEAD) {
			if (tomb == SIZE_MAX)
				tomb = i;
			continue;
		}
		if (key_eq(&e->key, key))
			return e;
	}
	if (!create)
		return NULL;
	if (tomb != SIZE_MAX) {
		i = tomb;
		t->dead--;
	}
	memset(&t->v[i], 0, sizeof(t->v[i]));
	t->v[i].key = *key;
	t->v[i].state = SLOT_USED;
	t->used++;
	*created = true;
	return &t->v[i];
}

static void prev_del(struct prev_table *t, struct drop_prev *e)
{
	e->state = SLOT_DEAD;
	t->used--;
	t->dead++;
}

/* --- the slots (see drop.h) --- */

static uint64_t owner_get(const struct drop_priv *p, size_t i)
{
	return __atomic_load_n(&p->skel->bss->drop_owner[i].owner, __ATOMIC_ACQUIRE);
}

static void owner_set(struct drop_priv *p, size_t i, uint64_t v)
{
	__atomic_store_n(&p->skel->bss->drop_owner[i].owner, v, __ATOMIC_RELEASE);
}

/* The inode the claimer wrote after the owner (0: not yet). */
static uint32_t owner_netns(const struct drop_priv *p, size_t i)
{
	return __atomic_load_n(&p->skel->bss->drop_owner[i].netns, __ATOMIC_ACQUIRE);
}

/*
 * Follows the table: a slot a program claimed is adopted (its counters start from the
 * zero they were cleared to), and a slot taken back in an epoch before the last one
 * is cleared and freed for claiming.
 */
static void slots_sync(struct drop_priv *p)
{
	for (uint32_t i = 0; p->nreasons && i < DROP_SLOTS; i++) {
		struct drop_slot *s = &p->slots[i];
		uint64_t o = owner_get(p, i);

		if (s->state == DSLOT_RETIRED) {
			if (p->epoch <= s->released + 1)
				continue;
			memset(p->slotbuf, 0, sizeof(uint64_t) * p->nreasons * (size_t)p->ncpus);
			if (bpf_map_update_elem(bpf_map__fd(p->skel->maps.drop_slots), &i,
						p->slotbuf, BPF_ANY))
				continue; /* stays retired: never claimed with stale counts */
			p->skel->bss->drop_owner[i].net = 0;
			__atomic_store_n(&p->skel->bss->drop_owner[i].netns, 0, __ATOMIC_RELAXED);
			owner_set(p, i, 0);
			s->state = DSLOT_FREE;
		} else if (s->state == DSLOT_FREE && o && o != DROP_SLOT_RETIRED &&
			   owner_netns(p, i)) {
			s->state = DSLOT_USED;
			s->netns = owner_netns(p, i);
			s->ifindex = (uint32_t)o;
			s->swept = false;
			memset(s->last, 0, sizeof(uint64_t) * p->nreasons);
			memset(s->base, 0, sizeof(uint64_t) * p->nreasons);
		}
	}
}

/* Takes a slot back: the programs stop counting in it once they see the owner go. */
static void slot_release(struct drop_priv *p, struct drop_slot *s)
{
	owner_set(p, (size_t)(s - p->slots), DROP_SLOT_RETIRED);
	s->state = DSLOT_RETIRED;
	s->released = p->epoch;
}

/* A series is deleted: what the pair's slots hold for it is no longer anybody's (a
 * pair has two slots only when two CPUs claimed at once). The slots' place comes from
 * a key userspace may not know (the cookie, see drop.h): every slot is looked at. */
static void slot_forget_key(struct drop_priv *p, const struct drop_key *k)
{
	for (uint32_t i = 0; i < DROP_SLOTS; i++) {
		struct drop_slot *s = &p->slots[i];

		if (s->state != DSLOT_USED || s->netns != k->netns || s->ifindex != k->ifindex)
			continue;
		if (k->reason < p->nreasons && !k->where_hi)
			s->base[k->reason] = s->last[k->reason];
		s->swept = true;
	}
}

static bool pair_has_series(const struct drop_priv *p, uint32_t netns, uint32_t ifindex)
{
	for (size_t i = 0; i < p->prev.cap; i++) {
		const struct drop_prev *e = &p->prev.v[i];

		if (e->state == SLOT_USED && e->key.netns == netns && e->key.ifindex == ifindex)
			return true;
	}
	return false;
}

/* --- metrics --- */

static int register_metrics(struct drop_priv *p, struct registry *reg)
{
	const struct metric_desc descs[] = {
		{ DROPS_METRIC,
		  "Packets the kernel dropped (tracepoint skb:kfree_skb), by drop reason (the "
		  "kernel's enum skb_drop_reason name without SKB_DROP_REASON_, from its BTF), "
		  "the reason's OSI layer and the device where known. Before v5.17 the kernel "
		  "gives no reason: every drop is NOT_SPECIFIED and its layer is that of the "
		  "kernel function that dropped it.",
		  METRIC_COUNTER,
		  { "netns", "layer", "reason", "device", NULL } },
		{ "osiscope_skb_drops_uncounted_total",
		  "Drops seen by the kfree_skb hook but missing from osiscope_skb_drops_total "
		  "because its kernel map of (netns, reason, device) entries was full.",
		  METRIC_COUNTER,
		  { NULL } },
	};
	struct metric **const out[] = { &p->drops, &p->uncounted_m };

	return metrics_register(reg, descs, sizeof(descs) / sizeof(descs[0]), out);
}

/* A device label follows the device's name while it is known; one never seen in its
 * namespace is "if<N>", and a device that went away keeps the name it had. */
static void device_label(const struct collect_ctx *cx, struct drop_prev *pv)
{
	const struct iface *d;

	if (!pv->key.ifindex) {
		pv->device[0] = '\0';
		return;
	}
	d = ifaces_find(cx->ifaces, pv->key.netns, pv->key.ifindex);
	if (d && d->name[0]) {
		snprintf(pv->device, sizeof(pv->device), "%s", d->name);
		pv->named = true;
	} else if (!pv->device[0]) {
		snprintf(pv->device, sizeof(pv->device), "if%u", pv->key.ifindex);
	}
}

static void emit(struct drop_priv *p, struct registry *reg, struct drop_prev *pv, uint64_t now)
{
	uint64_t delta = now >= pv->count ? now - pv->count : now;
	char ns[16];
	const char *lab[] = { ns, pv->layer, pv->reason, pv->folded ? METRIC_OTHER : pv->device };

	snprintf(ns, sizeof(ns), "%u", pv->key.netns);
	metric_counter_add(p->drops, lab, (double)delta);
	if (pv->folded && delta) {
		const char *name = DROPS_METRIC;

		metric_counter_add(reg->overflow, &name, 1);
	}
	pv->count = now;
}

/* The kernel's symbols, read once when first needed (drop locations). */
static bool ksyms_ready(struct drop_priv *p)
{
	if (!p->ksyms_tried) {
		int err = ksyms_load(&p->ksyms, "/proc/kallsyms");

		p->ksyms_tried = true;
		if (err)
			pr_info("drop: /proc/kallsyms: %s; drop locations are shown as addresses%s",
				err == -EPERM ? "addresses hidden by kernel.kptr_restrict"
					      : strerror(-err),
				p->names.has_reasons ? "" : " and their layer is unknown");
	}
	return p->ksyms.n > 0;
}

/*
 * The layer of a key: its reason's, or on a kernel without reasons the layer of the
 * function that freed the skb (the key holds its address, see drop.h), "unknown" when
 * the symbols cannot be read.
 */
static const char *key_layer(struct drop_priv *p, const struct drop_key *k, const char *by_reason)
{
	uint64_t addr = (uint64_t)k->where_hi << 32 | k->reason;
	char func[192], *plus;

	if (p->names.has_reasons || !addr)
		return by_reason;
	if (!ksyms_ready(p))
		return "unknown";
	ksyms_format(&p->ksyms, addr, func, sizeof(func));
	plus = strchr(func, '+');
	if (!plus)
		return "unknown"; /* not inside a known function */
	*plus = '\0';
	return drop_location_layer(func);
}

static void new_entry(struct drop_priv *p, const struct collect_ctx *cx, struct drop_prev *pv)
{
	const struct drop_reason_entry *r = drop_reason_get(&p->names, pv->key.reason);

	snprintf(pv->reason, sizeof(pv->reason), "%s", r->name);
	pv->layer = key_layer(p, &pv->key, r->layer);
	pv->created_gen = cx->gen;
	/*
	 * reasons x devices x namespaces can outgrow any budget: past half of the metric's
	 * series budget a new combination keeps its namespace, layer and reason but not
	 * its device, so the registry's own fold to _other comes last.
	 */
	pv->folded = pv->key.ifindex && p->drops->nseries >= p->drops->budget / 2;
	device_label(cx, pv);
}

static bool device_label_in_use(struct drop_priv *p, const struct collect_ctx *cx,
				const struct drop_prev *except)
{
	const struct iface_ns *ns = ifaces_ns(cx->ifaces, except->key.netns);

	for (size_t i = 0; ns && i < ns->n; i++)
		if (ns->v[i].present && !strcmp(ns->v[i].name, except->device))
			return true;
	for (size_t i = 0; i < p->prev.cap; i++) {
		const struct drop_prev *e = &p->prev.v[i];

		if (e != except && e->state == SLOT_USED && !e->folded &&
		    e->key.netns == except->key.netns && !strcmp(e->device, except->device))
			return true;
	}
	return false;
}

/*
 * Devices come and go (a veth per container): once a device is gone and its last count
 * has been exposed once, its map entries are deleted and its series dropped, so neither
 * the map nor the registry fills with the dead. Only namespaces whose devices were
 * listed in this collection are judged, and only devices once found there: an ifindex
 * never listed in the namespace (a socket's drop with the skb_iif of a device
 * elsewhere) keeps its "if<N>" series rather than flapping.
 */
static void sweep_gone_devices(struct drop_priv *p, struct registry *reg,
			       const struct collect_ctx *cx)
{
	int fd = bpf_map__fd(p->skel->maps.drops);

	for (size_t i = 0; i < p->prev.cap; i++) {
		struct drop_prev *pv = &p->prev.v[i];
		const struct iface_ns *ns;
		const struct iface *d;

		if (pv->state != SLOT_USED || !pv->key.ifindex || pv->created_gen >= cx->gen)
			continue;
		ns = ifaces_ns(cx->ifaces, pv->key.netns);
		if (!ns || ns->gen != cx->gen)
			continue;
		d = ifaces_find(cx->ifaces, pv->key.netns, pv->key.ifindex);
		if (d ? d->present || d->gone_gen >= cx->gen : !pv->named)
			continue;
		bpf_map_delete_elem(fd, &pv->key);
		slot_forget_key(p, &pv->key);
		if (!pv->folded && !device_label_in_use(p, cx, pv)) {
			char nsl[16];
			const char *labels[] = { "netns", "device" };
			const char *values[] = { nsl, pv->device };

			snprintf(nsl, sizeof(nsl), "%u", pv->key.netns);
			metric_drop_labels(p->drops, labels, values, 2);
		}
		prev_del(&p->prev, pv);
	}
	/* a pair whose every series went gives its slot back */
	for (size_t i = 0; i < DROP_SLOTS; i++) {
		struct drop_slot *s = &p->slots[i];

		if (s->state == DSLOT_USED && s->swept) {
			s->swept = false;
			if (!pair_has_series(p, s->netns, s->ifindex))
				slot_release(p, s);
		}
	}
}

static void collect_uncounted(struct drop_priv *p)
{
	int fd = bpf_map__fd(p->skel->maps.drops_uncounted);
	uint64_t sum = 0;
	uint32_t zero = 0;

	if (bpf_map_lookup_elem(fd, &zero, p->percpu))
		return;
	for (int c = 0; c < p->ncpus; c++)
		sum += p->percpu[c];
	if (sum && !p->uncounted_warned) {
		pr_warn("drop: the kernel map of (netns, reason, device) is full (%u entries): "
			"further new combinations count only in osiscope_skb_drops_uncounted_total",
			bpf_map__max_entries(p->skel->maps.drops));
		p->uncounted_warned = true;
	}
	counter_delta(p->uncounted_m, NULL, sum, p->uncounted);
	p->uncounted = sum;
}

/*
 * A namespace the agent has seen go can still drop a few skbs while the kernel tears it
 * down (queues purged when its devices and sockets are freed). Such a late key gets no
 * series: it would outlive the namespace for good. An inode the kernel has given to a
 * new namespace is in this collection's scan and counts as usual.
 */
static bool netns_forgotten(const struct drop_priv *p, const struct collect_ctx *cx, uint32_t netns)
{
	bool forgotten = false;

	for (size_t i = 0; i < p->nforgotten && !forgotten; i++)
		forgotten = p->forgotten[i] == netns;
	for (size_t i = 0; forgotten && i < cx->netns->n; i++)
		if (cx->netns->v[i].inode == netns)
			return false;
	return forgotten;
}

struct collect_arg {
	struct drop_priv *p;
	struct registry *reg;
	const struct collect_ctx *cx;
};

/* Adds v to this collection's reading of key (a key may count in the hash and in its
 * pair's slot). false when the key's namespace is gone (see netns_forgotten). */
static bool count_add(struct collect_arg *a, const struct drop_key *key, uint64_t v)
{
	struct drop_priv *p = a->p;
	struct drop_prev *pv;
	bool created;

	pv = prev_get(&p->prev, key, true, &created);
	if (!pv)
		return false;
	if (created && netns_forgotten(p, a->cx, key->netns)) {
		bpf_map_delete_elem(bpf_map__fd(p->skel->maps.drops), key);
		prev_del(&p->prev, pv);
		return false;
	}
	pv->fresh |= created;
	if (pv->round != p->round) {
		pv->round = p->round;
		pv->cur = 0;
	}
	pv->cur += v;
	return true;
}

static void collect_entry(void *ctx, const void *k, const void *v)
{
	count_add(ctx, k, *(const uint64_t *)v);
}

static void collect_slots(struct collect_arg *a)
{
	struct drop_priv *p = a->p;
	int fd = bpf_map__fd(p->skel->maps.drop_slots);

	for (uint32_t i = 0; i < DROP_SLOTS; i++) {
		struct drop_slot *s = &p->slots[i];

		if (s->state != DSLOT_USED)
			continue;
		if (netns_forgotten(p, a->cx, s->netns)) { /* claimed while it was torn down */
			slot_release(p, s);
			continue;
		}
		/* a failed read counts what the slot held at the last good one: left out,
		 * the pair's counts would read as a reset and come back twice after */
		bool fresh = bpf_map_lookup_elem(fd, &i, p->slotbuf) == 0;

		for (uint32_t r = 0; r < p->nreasons; r++) {
			struct drop_key key = { .netns = s->netns, .reason = r, .ifindex = s->ifindex };
			uint64_t sum = 0;

			if (!fresh) {
				sum = s->last[r];
			} else {
				for (int c = 0; c < p->ncpus; c++)
					sum += p->slotbuf[(size_t)c * p->nreasons + r];
				s->last[r] = sum;
			}
			if (sum > s->base[r])
				count_add(a, &key, sum - s->base[r]);
		}
	}
}

static void drop_collect(struct collector *l, struct registry *reg, const struct collect_ctx *cx)
{
	struct drop_priv *p = l->priv;
	struct collect_arg a = { p, reg, cx };

	if (!p->drops && register_metrics(p, reg))
		return;
	p->round++;
	p->epoch++;
	slots_sync(p);
	percpu_map_each(bpf_map__fd(p->skel->maps.drops), sizeof(struct drop_key),
			sizeof(uint64_t), collect_entry, &a);
	collect_slots(&a);
	for (size_t i = 0; i < p->prev.cap; i++) {
		struct drop_prev *pv = &p->prev.v[i];

		if (pv->state != SLOT_USED || pv->round != p->round)
			continue;
		collect_note_netns(cx, pv->key.netns);
		if (pv->fresh) /* one at a time: the series budget counts the ones before */
			new_entry(p, cx, pv);
		else
			device_label(cx, pv);
		pv->fresh = false;
		emit(p, reg, pv, pv->cur);
	}
	sweep_gone_devices(p, reg, cx);
	collect_uncounted(p);
}

/* Between scrapes: retired slots are cleared and freed for the next pair. */
static void drop_maintain(struct collector *l, const struct collect_ctx *cx)
{
	struct drop_priv *p = l->priv;

	(void)cx;
	p->epoch++;
	slots_sync(p);
}

static void drop_forget_netns(struct collector *l, uint32_t netns)
{
	struct drop_priv *p = l->priv;
	int fd = bpf_map__fd(p->skel->maps.drops);

	for (size_t i = 0; i < p->prev.cap; i++) {
		struct drop_prev *pv = &p->prev.v[i];

		if (pv->state != SLOT_USED || pv->key.netns != netns)
			continue;
		bpf_map_delete_elem(fd, &pv->key);
		prev_del(&p->prev, pv);
	}
	for (size_t i = 0; i < DROP_SLOTS; i++)
		if (p->slots[i].state == DSLOT_USED && p->slots[i].netns == netns)
			slot_release(p, &p->slots[i]);
	if (p->nforgotten == FORGOTTEN_MAX) {
		memmove(p->forgotten, p->forgotten + 1,
			(FORGOTTEN_MAX - 1) * sizeof(p->forgotten[0]));
		p->nforgotten--;
	}
	p->forgotten[p->nforgotten++] = netns;
}

/* --- events --- */

static const char *l4_name(unsigned int proto, char *buf, size_t len)
{
	switch (proto) {
	case 1:
		return "icmp";
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 58:
		return "icmpv6";
	case 132:
		return "sctp";
	default:
		snprintf(buf, len, "%u", proto);
		return buf;
	}
}

static const char *const drop_event_types[] = { "drop" };

static bool drop_decode(struct collector *l, const void *event, struct event_record *r)
{
	struct drop_priv *p = l->priv;
	const struct drop_event *e = event;
	const struct drop_reason_entry *reason;
	char where[192], proto[32];

	ksyms_ready(p);
	reason = drop_reason_get(&p->names, e->reason);
	r->osi = reason->layer;
	if (!p->names.has_reasons) {
		struct drop_key k = { .reason = (uint32_t)e->location,
				      .where_hi = (uint32_t)(e->location >> 32) };

		r->osi = key_layer(p, &k, reason->layer);
	}
	if (e->family == 2 || e->family == 10) {
		bool ports = e->l4proto == 6 || e->l4proto == 17;

		record_addr_set(&r->src, e->family, e->saddr, ports, e->sport);
		record_addr_set(&r->dst, e->family, e->daddr, ports, e->dport);
		snprintf(proto, sizeof(proto), "%s", l4_name(e->l4proto, where, sizeof(where)));
	} else if (e->protocol == 0x0806) {
		snprintf(proto, sizeof(proto), "arp");
	} else {
		snprintf(proto, sizeof(proto), "ethertype=0x%04x", e->protocol);
	}
	ksyms_format(p->ksyms.n ? &p->ksyms : NULL, e->location, where, sizeof(where));
	record_str(r, "reason", "%s", reason->name);
	record_str(r, "proto", "%s", proto);
	record_str(r, "location", "%s", where);
	return true;
}

/* --- lifecycle --- */

static int drop_open(struct collector *l, const struct collector_opts *opts)
{
	struct drop_priv *p;
	struct drop_bpf *s;
	int err, nargs;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	l->priv = p;
	p->ncpus = libbpf_num_possible_cpus();
	if (p->ncpus <= 0) {
		snprintf(l->why, sizeof(l->why), "cannot count possible CPUs");
		return -EINVAL;
	}
	p->percpu = calloc(p->ncpus, sizeof(*p->percpu));
	if (!p->percpu)
		return -ENOMEM;

	s = p->skel = drop_bpf__open();
	if (!s)
		return collector_failed(l, -errno, "open BPF object");
	l->obj = s->obj;
	COLLECTOR_SET_EVENTS(s, opts);

	/*
	 * One program per prototype of the tracepoint (see drop.bpf.c), chosen from the
	 * kernel's BTF; without it (nargs < 0) the newest, whose CO-RE reads then fail at
	 * load with a message saying so.
	 */
	struct bpf_program *btf[] = { s->progs.drop_btf2, s->progs.drop_btf3, s->progs.drop_btf };
	struct bpf_program *raw[] = { s->progs.drop_raw2, s->progs.drop_raw3, s->progs.drop_raw };
	int v;

	nargs = probe_tp_nargs("kfree_skb");
	v = nargs < 0 || nargs >= 4 ? 2 : nargs == 3 ? 1 : 0;
	for (int i = 0; i < 3; i++) {
		if (i == v)
			continue;
		bpf_program__set_autoload(btf[i], false);
		bpf_program__set_autoload(raw[i], false);
	}
	p->reasons = v > 0;
	p->hooks[0] = (struct hook){
		.category = "skb",
		.name = "kfree_skb",
		.nargs = v + 2,
		.required = true,
		.btf = btf[v],
		.raw = raw[v],
		.tp = s->progs.drop_tp,
	};
	l->hooks = p->hooks;
	l->nhooks = 1;
	if (hooks_select(p->hooks, l->nhooks, opts->cfg->attach) < 0) {
		snprintf(l->why, sizeof(l->why), "no usable hook for skb:kfree_skb: %s",
			 p->hooks[0].why);
		return -EOPNOTSUPP;
	}
	if (!opts->events)
		bpf_map__set_max_entries(s->maps.drop_events, 4096); /* never written */

	/* slots hold the core reasons (below SKB_DROP_REASON_MAX), one counter each */
	drop_names_init(&p->names, probe_kernel_btf(), NULL);
	if (p->reasons && p->names.has_reasons && p->names.core_max)
		p->nreasons = p->names.core_max < DROP_SLOT_REASONS_MAX ? p->names.core_max
									: DROP_SLOT_REASONS_MAX;
	s->rodata->drop_slot_reasons = p->nreasons;
	s->rodata->netns_by_cookie = probe_netns_cookie_made();
	err = bpf_map__set_value_size(s->maps.drop_slots,
				      sizeof(uint64_t) * (p->nreasons ? p->nreasons : 1));
	p->slotmem = calloc((size_t)DROP_SLOTS * 2 * (p->nreasons ? p->nreasons : 1),
			    sizeof(uint64_t));
	p->slotbuf = calloc((size_t)p->ncpus * (p->nreasons ? p->nreasons : 1), sizeof(uint64_t));
	if (err || !p->slotmem || !p->slotbuf)
		return collector_failed(l, err ? err : -ENOMEM, "size the drop slots");
	for (size_t i = 0; i < DROP_SLOTS; i++) {
		p->slots[i].last = p->slotmem + i * 2 * p->nreasons;
		p->slots[i].base = p->slots[i].last + p->nreasons;
	}

	err = drop_bpf__load(s);
	if (err)
		return collector_failed(l, err, "load BPF object");
	if (!p->reasons || !p->names.has_reasons) {
		p->names.has_reasons = false;
		pr_info("drop: this kernel passes no drop reason to skb:kfree_skb (before v5.17): "
			"every drop is counted as reason NOT_SPECIFIED, its layer taken from the "
			"kernel symbol of the drop location");
	} else {
		pr_debug("drop: %u core drop reasons in BTF, subsystem mask 0x%x", p->names.ncore,
			 p->names.mask);
	}
	err = collector_attach_hooks(l, p->links, &p->nlinks);
	if (err)
		return err;
	if (opts->events) {
		err = collector_events_open(l, s->maps.drop_events);
		if (err)
			return err;
	}
	return 0;
}

static void drop_close(struct collector *l)
{
	struct drop_priv *p = l->priv;

	if (!p)
		return;
	collector_release(l, p->links, p->nlinks);
	drop_bpf__destroy(p->skel);
	drop_names_free(&p->names);
	ksyms_free(&p->ksyms);
	free(p->prev.v);
	free(p->percpu);
	free(p->slotmem);
	free(p->slotbuf);
	free(p);
	l->priv = NULL;
}

static const struct finding drop_findings[] = {
	{ DROPS_METRIC, "layer", "l1", "drops at the device",
	  "rings full (FULL_RING), device down (DEV_READY), per-CPU backlog full (CPU_BACKLOG: "
	  "net.core.netdev_max_backlog), XDP; check ip -s link, ethtool -S" },
	{ DROPS_METRIC, "layer", "l2", "link-layer drops",
	  "the next hop does not answer ARP/NDP (NEIGH_*: ip neigh), qdisc or tc drops "
	  "(QDISC_*, TC_*: tc -s qdisc, tc filter), bridge/VLAN/tunnel checks" },
	{ DROPS_METRIC, "layer", "l3", "IP-layer drops",
	  "a firewall rule (NETFILTER_DROP: nft list ruleset, iptables -vL), no route "
	  "(IP_*NOROUTES: ip route), rp_filter, bad headers or fragments" },
	{ DROPS_METRIC, "layer", "l4", "transport and socket drops",
	  "nothing bound to the port (NO_SOCKET), receive buffer full (SOCKET_RCVBUFF, "
	  "PROTO_MEM: the application reads too slowly), TCP checks; check ss -tuanp, nstat" },
	{ DROPS_METRIC, "layer", "unknown", "drops the reason does not place",
	  "NOT_SPECIFIED (a kfree_skb() without a reason) or memory pressure (NOMEM); "
	  "osiscope trace -l drop shows where in the kernel" },
	{ "osiscope_skb_drops_uncounted_total", NULL, NULL, "drops not counted by reason",
	  "the drop map was full: too many (namespace, reason, device) combinations" },
};

static void drop_describe(struct collector *l, char *buf, size_t len)
{
	drop_names_summary(probe_kernel_btf(), buf, len);
}

static const struct collector_desc drop_collector = {
	.name = "drop",
	.osi = "all",
	.layers = 0, /* its events span every layer: trace -l drop asks for them */
	.rank = 35,
	.wants_ifaces = true,
	.findings = drop_findings,
	.nfindings = sizeof(drop_findings) / sizeof(drop_findings[0]),
	.events = { .size = sizeof(struct drop_event),
		    .names_devices = true,
		    .osi = "l1",
		    .types = drop_event_types,
		    .ntypes = sizeof(drop_event_types) / sizeof(drop_event_types[0]),
		    .decode = drop_decode },
	.open = drop_open,
	.collect = drop_collect,
	.maintain = drop_maintain,
	.forget_netns = drop_forget_netns,
	.describe = drop_describe,
	.close = drop_close,
};
COLLECTOR_REGISTER(drop_collector);
