// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Baselines of counters that collectors read as absolute values (kernel map sums, a
 * namespace's MIB counters): the registry turns each reading into the delta its
 * monotonic series needs, and renews or forgets a namespace's baselines in one place.
 * They live apart from the series: a namespace's series are dropped when its inode is
 * reused, while a kernel map's baseline under that inode must stay.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"

struct baseline {
	struct baseline *next;
	uint64_t hash;
	const struct metric *m;
	enum counter_origin origin;
	uint32_t netns; /* the value of the metric's netns label, 0 if it has none */
	unsigned int n; /* values: 1 for a counter, nbounds + 2 for a histogram (sum last) */
	size_t keylen;
	char *key; /* label values, each ending in \x1f */
	uint64_t v[];
};

struct baselines {
	struct baseline **table;
	size_t nbuckets, n;
	bool first; /* the agent's first collection is under way */
};

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++) {
		h ^= c[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static struct baselines *get(struct registry *reg)
{
	if (!reg->base)
		reg->base = calloc(1, sizeof(*reg->base));
	return reg->base;
}

void baselines_free(struct baselines *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->nbuckets; i++) {
		for (struct baseline *e = b->table[i], *next; e; e = next) {
			next = e->next;
			free(e->key);
			free(e);
		}
	}
	free(b->table);
	free(b);
}

void registry_first_collection(struct registry *reg, bool first)
{
	struct baselines *b = get(reg);

	if (b)
		b->first = first;
}

static int grow(struct baselines *b)
{
	size_t n = b->nbuckets ? b->nbuckets * 2 : 256;
	struct baseline **t = calloc(n, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < b->nbuckets; i++) {
		for (struct baseline *e = b->table[i], *next; e; e = next) {
			next = e->next;
			e->next = t[e->hash % n];
			t[e->hash % n] = e;
		}
	}
	free(b->table);
	b->table = t;
	b->nbuckets = n;
	return 0;
}

/* The baseline of (m, values), made at zero (*made set) when there is none. */
static struct baseline *lookup(struct registry *reg, const struct metric *m,
			       const char *const *values, unsigned int n, enum counter_origin o,
			       bool *made)
{
	struct baselines *b = get(reg);
	char key[1024];
	size_t len = 0;
	uint32_t netns = 0;
	struct baseline *e;
	uint64_t h;

	*made = false;
	if (!b)
		return NULL;
	for (unsigned int i = 0; i < m->nlabels; i++) {
		size_t l = strlen(values[i]);

		if (len + l + 1 > sizeof(key))
			return NULL;
		memcpy(key + len, values[i], l);
		key[len + l] = '\x1f';
		len += l + 1;
		if (!strcmp(m->desc.labels[i], "netns"))
			netns = (uint32_t)strtoul(values[i], NULL, 10);
	}
	h = fnv(fnv(14695981039346656037ULL, &m, sizeof(m)), key, len);
	if (b->nbuckets) {
		for (e = b->table[h % b->nbuckets]; e; e = e->next)
			if (e->hash == h && e->m == m && e->keylen == len &&
			    !memcmp(e->key, key, len))
				return e;
	}
	if (b->n >= b->nbuckets && grow(b))
		return NULL;
	e = calloc(1, sizeof(*e) + n * sizeof(uint64_t));
	if (!e || !(e->key = malloc(len + 1))) {
		free(e);
		return NULL;
	}
	memcpy(e->key, key, len);
	e->key[len] = '\0';
	e->keylen = len;
	e->hash = h;
	e->m = m;
	e->origin = o;
	e->netns = netns;
	e->n = n;
	e->next = b->table[h % b->nbuckets];
	b->table[h % b->nbuckets] = e;
	b->n++;
	*made = true;
	return e;
}

/* What a counter gained since its baseline; one that went backwards was made anew (a
 * map entry deleted and recreated, a namespace reset): it counts afresh from zero. */
static uint64_t gain(uint64_t now, uint64_t before)
{
	return now >= before ? now - before : now;
}

/* A reading seen for the first time counts whole, except a namespace's own counter at
 * the agent's first collection: what the namespace had before the agent is not ours. */
static bool first_is_baseline(struct registry *reg, enum counter_origin o)
{
	return o == ORIGIN_NETNS && reg->base && reg->base->first;
}

int metric_counter_observe(struct metric *m, const char *const *values, uint64_t now,
			   enum counter_origin o)
{
	struct baseline *e;
	bool made;

	if (o == ORIGIN_ABSENT)
		return metric_counter_add(m, values, 0);
	e = lookup(m->reg, m, values, 1, o, &made);

	if (!e)
		return -ENOMEM;
	if (made && first_is_baseline(m->reg, o))
		e->v[0] = now;
	metric_counter_add(m, values, (double)gain(now, e->v[0]));
	e->v[0] = now;
	return 0;
}

int metric_hist_observe(struct metric *m, const char *const *values, const uint64_t *buckets,
			uint64_t sum, double sum_scale, enum counter_origin o)
{
	unsigned int nb = m->desc.nbounds + 1;
	uint64_t d[METRIC_MAX_BOUNDS + 1] = { 0 };
	struct baseline *e;
	bool made;

	if (o == ORIGIN_ABSENT)
		return metric_hist_add(m, values, d, 0);
	e = lookup(m->reg, m, values, nb + 1, o, &made);

	if (!e)
		return -ENOMEM;
	if (made && first_is_baseline(m->reg, o)) {
		memcpy(e->v, buckets, nb * sizeof(uint64_t));
		e->v[nb] = sum;
	}
	for (unsigned int i = 0; i < nb; i++)
		d[i] = gain(buckets[i], e->v[i]);
	metric_hist_add(m, values, d, (double)gain(sum, e->v[nb]) * sum_scale);
	memcpy(e->v, buckets, nb * sizeof(uint64_t));
	e->v[nb] = sum;
	return 0;
}

static void each_netns(struct registry *reg, uint32_t netns, bool renew)
{
	struct baselines *b = reg->base;

	if (!b || !netns)
		return;
	for (size_t i = 0; i < b->nbuckets; i++) {
		struct baseline **pp = &b->table[i];

		while (*pp) {
			struct baseline *e = *pp;

			if (e->netns != netns) {
				pp = &e->next;
			} else if (renew && e->origin == ORIGIN_MAP) {
				pp = &e->next; /* the map goes on counting under the inode */
			} else if (renew) {
				/* a new namespace's own counters start at zero */
				memset(e->v, 0, e->n * sizeof(uint64_t));
				pp = &e->next;
			} else {
				*pp = e->next;
				free(e->key);
				free(e);
				b->n--;
			}
		}
	}
}

void registry_netns_renew(struct registry *reg, uint32_t netns)
{
	each_netns(reg, netns, true);
}

void registry_netns_forget(struct registry *reg, uint32_t netns)
{
	each_netns(reg, netns, false);
}
