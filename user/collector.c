// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "log.h"

/* The descriptions COLLECTOR_REGISTER() put in the section; the linker defines these
 * two. Weak: a build with no collector has no section. */
extern const struct collector_desc *const __start_osiscope_collectors[] __attribute__((weak));
extern const struct collector_desc *const __stop_osiscope_collectors[] __attribute__((weak));

/* In the interface contract (DESIGN.md) but not written yet: known by name, so that
 * asking for one reports it as not built rather than unknown. None at present. */
static const struct collector_desc *const planned[] = { NULL };

#ifndef OSISCOPE_UNBUILT
#define OSISCOPE_UNBUILT "" /* make LAYERS=...: the tree's collectors this build leaves out */
#endif

static struct {
	bool done;
	size_t n;
	const struct collector_desc *v[COLLECTORS_MAX];
	struct collector_desc unbuilt[COLLECTORS_MAX];
	char names[sizeof(OSISCOPE_UNBUILT)];
} all;

static bool known(const char *name)
{
	for (size_t i = 0; i < all.n; i++)
		if (!strcmp(all.v[i]->name, name))
			return true;
	return false;
}

static void add(const struct collector_desc *d)
{
	if (all.n < COLLECTORS_MAX && !known(d->name))
		all.v[all.n++] = d;
}

static int by_rank(const void *a, const void *b)
{
	const struct collector_desc *x = *(const struct collector_desc *const *)a;
	const struct collector_desc *y = *(const struct collector_desc *const *)b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void collectors_gather(void)
{
	size_t nu = 0;
	char *save = NULL;

	if (all.done)
		return;
	all.done = true;
	for (const struct collector_desc *const *d = __start_osiscope_collectors;
	     d && d < __stop_osiscope_collectors; d++)
		add(*d);
	for (size_t i = 0; planned[i]; i++)
		add(planned[i]);
	memcpy(all.names, OSISCOPE_UNBUILT, sizeof(all.names));
	for (char *n = strtok_r(all.names, " ", &save); n && nu < COLLECTORS_MAX;
	     n = strtok_r(NULL, " ", &save)) {
		all.unbuilt[nu] = (struct collector_desc){ .name = n, .osi = "", .rank = 1000 };
		add(&all.unbuilt[nu++]);
	}
	qsort(all.v, all.n, sizeof(all.v[0]), by_rank);
}

size_t collectors_count(void)
{
	collectors_gather();
	return all.n;
}

const struct collector_desc *collector_at(size_t i)
{
	collectors_gather();
	return i < all.n ? all.v[i] : NULL;
}

size_t collectors_init(struct collector *c, size_t max)
{
	size_t n = collectors_count();

	if (n > max)
		n = max;
	memset(c, 0, sizeof(*c) * max);
	for (size_t i = 0; i < n; i++) {
		c[i].desc = collector_at(i);
		c[i].name = c[i].desc->name;
		c[i].idx = (unsigned int)i;
	}
	return n;
}

int collector_read_percpu_array(struct collector *l, const char *map_name, uint64_t *out,
				uint32_t n)
{
	struct bpf_map *map = l->obj ? bpf_object__find_map_by_name(l->obj, map_name) : NULL;
	int ncpus = libbpf_num_possible_cpus();
	uint64_t *vals;
	int fd;

	memset(out, 0, sizeof(uint64_t) * n);
	if (!map || ncpus <= 0)
		return -ENOENT;
	fd = bpf_map__fd(map);
	if (fd < 0)
		return -ENOENT;
	vals = calloc(ncpus, sizeof(uint64_t));
	if (!vals)
		return -ENOMEM;
	for (uint32_t k = 0; k < n; k++) {
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (int c = 0; c < ncpus; c++)
			out[k] += vals[c];
	}
	free(vals);
	return 0;
}

int collector_read_lost(struct collector *l, const char *map_name, uint64_t *lost)
{
	int err = collector_read_percpu_array(l, map_name, lost, LOST_REASONS);

	for (int r = 0; r < LOST_REASONS && !err; r++)
		lost[r] += l->user_lost[r];
	return err;
}

int collector_attach_hooks(struct collector *l, struct bpf_link **links, int *nlinks)
{
	for (size_t i = 0; i < l->nhooks; i++) {
		struct hook *h = &l->hooks[i];
		struct bpf_link *link;
		int err;

		if (!h->chosen) {
			pr_warn("%s: %s:%s unavailable, what it counts stays at zero: %s", l->name,
				h->category, h->name, h->why);
			continue;
		}
		link = bpf_program__attach(h->chosen);
		if (!link) {
			err = -errno;
			pr_warn("%s: attach %s/%s: %s", l->name, h->mode, h->name,
				probe_strerror(err));
			if (h->required) {
				snprintf(l->why, sizeof(l->why), "attach %s/%s: %s", h->mode,
					 h->name, probe_strerror(err));
				return err;
			}
			h->chosen = NULL;
			continue;
		}
		links[(*nlinks)++] = link;
		pr_debug("%s: attached %s/%s", l->name, h->mode, h->name);
	}
	collector_attach_fhooks(l, links, nlinks);
	return 0;
}

void collector_attach_fhooks(struct collector *l, struct bpf_link **links, int *nlinks)
{
	for (size_t i = 0; i < l->nfhooks; i++) {
		struct fhook *f = &l->fhooks[i];
		struct bpf_link *link;

		if (!f->chosen) {
			if (f->wanted)
				pr_info("%s: no program on %s: %s", l->name, f->func, f->why);
			continue;
		}
		link = bpf_program__attach(f->chosen);
		if (!link) {
			int err = -errno;

			pr_warn("%s: attach %s/%s: %s", l->name, f->mode, f->func, probe_strerror(err));
			snprintf(f->why, sizeof(f->why), "attach %s: %s", f->mode, probe_strerror(err));
			f->chosen = NULL;
			f->mode = NULL;
			continue;
		}
		links[(*nlinks)++] = link;
		pr_debug("%s: attached %s/%s", l->name, f->mode, f->func);
	}
}

int collector_failed(struct collector *l, int err, const char *what)
{
	snprintf(l->why, sizeof(l->why), "%s: %s", what, probe_strerror(err));
	return err;
}

void collector_release(struct collector *l, struct bpf_link **links, int n)
{
	ring_buffer__free(l->rb);
	l->rb = NULL;
	for (int i = 0; i < n; i++)
		bpf_link__destroy(links[i]);
	l->obj = NULL;
}

int metrics_register(struct registry *reg, const struct metric_desc *descs, size_t n,
		     struct metric **const *out)
{
	for (size_t i = 0; i < n; i++) {
		*out[i] = registry_find(reg, descs[i].name);
		if (!*out[i])
			*out[i] = registry_add(reg, &descs[i]);
		if (!*out[i]) {
			pr_err("cannot register metric %s", descs[i].name);
			return -EINVAL;
		}
	}
	return 0;
}

void percpu_sum_u64(const void *percpu, int ncpus, size_t size, void *out)
{
	size_t stride = (size + 7) & ~(size_t)7, n = size / sizeof(uint64_t);
	uint64_t *dst = out;

	memset(out, 0, size);
	for (int c = 0; c < ncpus; c++) {
		const uint64_t *src = (const uint64_t *)((const char *)percpu + (size_t)c * stride);

		for (size_t i = 0; i < n; i++)
			dst[i] += src[i];
	}
}

int percpu_map_each(int fd, size_t ksize, size_t vsize,
		    void (*fn)(void *ctx, const void *key, const void *sum), void *ctx)
{
	int ncpus = libbpf_num_possible_cpus(), n = 0;
	size_t stride = (vsize + 7) & ~(size_t)7;
	char *key, *next, *vals, *sum;
	bool have = false;

	if (ncpus <= 0)
		return -EINVAL;
	key = malloc(ksize * 2 + stride * (size_t)ncpus + vsize);
	if (!key)
		return -ENOMEM;
	next = key + ksize;
	vals = next + ksize;
	sum = vals + stride * (size_t)ncpus;
	/* the next key is taken before fn sees this one, so fn may delete it: a walk
	 * would start over from a key that is gone */
	have = bpf_map_get_next_key(fd, NULL, key) == 0;
	while (have) {
		bool more = bpf_map_get_next_key(fd, key, next) == 0;

		if (bpf_map_lookup_elem(fd, key, vals) == 0) {
			percpu_sum_u64(vals, ncpus, vsize, sum);
			fn(ctx, key, sum);
			n++;
		} /* else deleted under us */
		memcpy(key, next, ksize);
		have = more;
	}
	free(key);
	return n;
}

int percpu_map_lookup_sum(int fd, const void *key, size_t vsize, void *out)
{
	static __thread char *vals;
	static __thread size_t cap;
	int ncpus = libbpf_num_possible_cpus();
	size_t need, stride = (vsize + 7) & ~(size_t)7;

	if (ncpus <= 0)
		return -EINVAL;
	need = stride * (size_t)ncpus;
	if (need > cap) {
		char *v = realloc(vals, need);

		if (!v)
			return -ENOMEM;
		vals = v;
		cap = need;
	}
	if (bpf_map_lookup_elem(fd, key, vals))
		return -errno;
	percpu_sum_u64(vals, ncpus, vsize, out);
	return 0;
}

int map_delete_matching(int fd, size_t ksize, bool (*match)(void *ctx, const void *key),
			void *ctx)
{
	char *key = malloc(ksize * 2), *next;
	bool have = false;
	int n = 0;

	if (!key)
		return -ENOMEM;
	next = key + ksize;
	/* a key is deleted only once the next one is known: get_next_key of a missing key
	 * starts the walk over */
	while (bpf_map_get_next_key(fd, have ? key : NULL, next) == 0) {
		if (have && match(ctx, key))
			n += bpf_map_delete_elem(fd, key) == 0;
		memcpy(key, next, ksize);
		have = true;
	}
	if (have && match(ctx, key))
		n += bpf_map_delete_elem(fd, key) == 0;
	free(key);
	return n;
}

struct netns_match {
	size_t off;
	uint32_t netns;
};

static bool netns_matches(void *ctx, const void *key)
{
	const struct netns_match *m = ctx;
	uint32_t v;

	memcpy(&v, (const char *)key + m->off, sizeof(v));
	return v == m->netns;
}

int map_delete_netns(int fd, size_t ksize, size_t netns_off, uint32_t netns)
{
	struct netns_match m = { netns_off, netns };

	if (netns_off + sizeof(uint32_t) > ksize)
		return -EINVAL;
	return map_delete_matching(fd, ksize, netns_matches, &m);
}

void counter_delta(struct metric *m, const char *const *labels, uint64_t now, uint64_t before)
{
	metric_counter_add(m, labels, (double)(now >= before ? now - before : now));
}

void hist_delta(struct metric *m, const char *const *labels, const uint64_t *now,
		const uint64_t *before, uint64_t sum_now, uint64_t sum_before, double sum_scale)
{
	uint64_t d[HIST_SLOTS];

	for (int i = 0; i < HIST_SLOTS; i++)
		d[i] = now[i] >= before[i] ? now[i] - before[i] : now[i];
	metric_hist_add(m, labels, d,
			(double)(sum_now >= sum_before ? sum_now - sum_before : sum_now) * sum_scale);
}

void nstab_init(struct nstab *t, size_t esize)
{
	memset(t, 0, sizeof(*t));
	t->esize = esize;
}

void *nstab_at(struct nstab *t, size_t i)
{
	return t->v + i * t->esize;
}

void *nstab_get(struct nstab *t, uint32_t netns, bool create)
{
	void *e;

	for (size_t i = 0; i < t->n; i++)
		if (t->keys[i] == netns)
			return nstab_at(t, i);
	if (!create)
		return NULL;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		uint32_t *k = realloc(t->keys, cap * sizeof(*k));
		char *v;

		if (!k)
			return NULL;
		t->keys = k;
		v = realloc(t->v, cap * t->esize);
		if (!v)
			return NULL;
		t->v = v;
		t->cap = cap;
	}
	e = nstab_at(t, t->n);
	memset(e, 0, t->esize);
	memcpy(e, &netns, sizeof(netns));
	t->keys[t->n++] = netns;
	return e;
}

void nstab_del(struct nstab *t, uint32_t netns)
{
	for (size_t i = 0; i < t->n; i++) {
		if (t->keys[i] != netns)
			continue;
		t->n--;
		if (i != t->n) {
			t->keys[i] = t->keys[t->n];
			memcpy(nstab_at(t, i), nstab_at(t, t->n), t->esize);
		}
		return;
	}
}

void nstab_free(struct nstab *t)
{
	free(t->keys);
	free(t->v);
	nstab_init(t, t->esize);
}
