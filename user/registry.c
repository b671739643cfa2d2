// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "registry.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Used when registry_new() is given 0: large enough for every label set a healthy host
 * produces, small enough that a label explosion cannot take the scrape down with it. */
#define REGISTRY_FALLBACK_BUDGET 2000
/* The overflow counter has one series per registered metric, so it can never fold. */
#define OVERFLOW_BUDGET 65536
#define TABLE_MIN 16

static bool valid_metric_name(const char *s)
{
	if (!s || !*s)
		return false;
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' || *s == ':'))
		return false;
	for (s++; *s; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == ':'))
			return false;
	}
	return true;
}

static bool valid_label_name(const char *s, enum metric_type type)
{
	const char *p = s;

	if (!s || !*s)
		return false;
	/* Prometheus reserves __* for its own use; le is how histogram buckets are told apart. */
	if (!strncmp(s, "__", 2) || (type == METRIC_HISTOGRAM && !strcmp(s, "le")))
		return false;
	if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_'))
		return false;
	for (p++; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	}
	return true;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

/* A histogram named x also owns x_bucket, x_sum and x_count in the exposition: a metric
 * with one of those names would make the output ambiguous. */
static bool histogram_clash(const struct metric *hist, const char *name)
{
	static const char *const suffix[] = { "_bucket", "_sum", "_count" };
	size_t n = strlen(hist->desc.name);

	if (strncmp(name, hist->desc.name, n))
		return false;
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		if (!strcmp(name + n, suffix[i]))
			return true;
	}
	return false;
}

static bool name_taken(struct registry *reg, const char *name, enum metric_type type)
{
	for (struct metric *m = reg->first; m; m = m->next) {
		if (!strcmp(m->desc.name, name))
			return true;
		if (m->desc.type == METRIC_HISTOGRAM && histogram_clash(m, name))
			return true;
		if (type == METRIC_HISTOGRAM) {
			struct metric tmp = { .desc.name = name };

			if (histogram_clash(&tmp, m->desc.name))
				return true;
		}
	}
	return false;
}

static int check_desc(struct registry *reg, const struct metric_desc *d, unsigned int *nlabels)
{
	unsigned int n = 0;

	if (!valid_metric_name(d->name))
		return -EINVAL;
	if (d->type != METRIC_COUNTER && d->type != METRIC_GAUGE && d->type != METRIC_HISTOGRAM)
		return -EINVAL;
	if (d->type == METRIC_COUNTER && !has_suffix(d->name, "_total"))
		return -EINVAL;
	while (n <= METRIC_MAX_LABELS && d->labels[n])
		n++;
	if (n > METRIC_MAX_LABELS)
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++) {
		if (!valid_label_name(d->labels[i], d->type))
			return -EINVAL;
		for (unsigned int j = 0; j < i; j++) {
			if (!strcmp(d->labels[i], d->labels[j]))
				return -EINVAL;
		}
	}
	if (d->type == METRIC_HISTOGRAM) {
		if (!d->bounds || !d->nbounds || d->nbounds > METRIC_MAX_BOUNDS)
			return -EINVAL;
		/* +Inf is implicit: an explicit infinite bound would print le="+Inf" twice. */
		for (unsigned int i = 0; i < d->nbounds; i++) {
			if (!isfinite(d->bounds[i]) || (i && d->bounds[i] <= d->bounds[i - 1]))
				return -EINVAL;
		}
	}
	if (name_taken(reg, d->name, d->type))
		return -EEXIST;
	*nlabels = n;
	return 0;
}

struct metric *registry_add(struct registry *reg, const struct metric_desc *desc)
{
	struct metric *m;
	double *bounds = NULL;
	unsigned int nlabels;

	if (!reg || !desc || check_desc(reg, desc, &nlabels))
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->desc = *desc;
	if (desc->type == METRIC_HISTOGRAM) {
		/* Callers build bounds with metric_log2_bounds() on their stack: keep a copy. */
		bounds = malloc(desc->nbounds * sizeof(*bounds));
		if (!bounds)
			goto err;
		memcpy(bounds, desc->bounds, desc->nbounds * sizeof(*bounds));
		m->desc.bounds = bounds;
	} else {
		m->desc.bounds = NULL;
		m->desc.nbounds = 0;
	}
	if (!m->desc.help)
		m->desc.help = "";
	m->nlabels = nlabels;
	m->budget = desc->budget ? desc->budget : reg->default_budget;
	m->nbuckets = nlabels ? TABLE_MIN : 1;
	m->table = calloc(m->nbuckets, sizeof(*m->table));
	if (!m->table)
		goto err;
	m->reg = reg;
	if (reg->last)
		reg->last->next = m;
	else
		reg->first = m;
	reg->last = m;
	return m;
err:
	free(bounds);
	free(m);
	return NULL;
}

struct metric *registry_find(struct registry *reg, const char *name)
{
	if (!reg || !name)
		return NULL;
	for (struct metric *m = reg->first; m; m = m->next) {
		if (!strcmp(m->desc.name, name))
			return m;
	}
	return NULL;
}

struct registry *registry_new(unsigned int default_budget)
{
	const struct metric_desc overflow = {
		.name = "osiscope_series_overflow_total",
		.help = "Samples that did not fit a metric's series budget and were folded into "
			"the series whose labels are _other.",
		.type = METRIC_COUNTER,
		.labels = { "metric" },
		.budget = OVERFLOW_BUDGET,
	};
	struct registry *reg;

	reg = calloc(1, sizeof(*reg));
	if (!reg)
		return NULL;
	if (pthread_mutex_init(&reg->lock, NULL)) {
		free(reg);
		return NULL;
	}
	reg->default_budget = default_budget ? default_budget : REGISTRY_FALLBACK_BUDGET;
	reg->overflow = registry_add(reg, &overflow);
	if (!reg->overflow) {
		registry_free(reg);
		return NULL;
	}
	return reg;
}

void registry_free(struct registry *reg)
{
	struct metric *m, *mnext;
	struct series *s, *snext;

	if (!reg)
		return;
	for (m = reg->first; m; m = mnext) {
		mnext = m->next;
		for (s = m->first; s; s = snext) {
			snext = s->order;
			free(s);
		}
		free(m->table);
		free((void *)m->desc.bounds);
		free(m);
	}
	baselines_free(reg->base);
	pthread_mutex_destroy(&reg->lock);
	free(reg);
}

void registry_lock(struct registry *reg)
{
	pthread_mutex_lock(&reg->lock);
}

void registry_unlock(struct registry *reg)
{
	pthread_mutex_unlock(&reg->lock);
}

/* FNV-1a; the 0xff separator (never valid UTF-8) keeps {"ab","c"} and {"a","bc"} apart. */
static uint64_t hash_values(const struct metric *m, const char *const *values)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (unsigned int i = 0; i < m->nlabels; i++) {
		for (const unsigned char *p = (const unsigned char *)values[i]; *p; p++) {
			h ^= *p;
			h *= 0x100000001b3ULL;
		}
		h ^= 0xff;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static bool same_values(const struct metric *m, const struct series *s, const char *const *values)
{
	for (unsigned int i = 0; i < m->nlabels; i++) {
		if (strcmp(s->values[i], values[i]))
			return false;
	}
	return true;
}

static struct series *lookup(const struct metric *m, const char *const *values, uint64_t h)
{
	for (struct series *s = m->table[h % m->nbuckets]; s; s = s->next) {
		if (s->hash == h && same_values(m, s, values))
			return s;
	}
	return NULL;
}

static void table_grow(struct metric *m)
{
	size_t n = m->nbuckets * 2;
	struct series **t;

	/* Without a bigger table lookups only get slower, so ENOMEM here is not an error. */
	t = calloc(n, sizeof(*t));
	if (!t)
		return;
	for (struct series *s = m->first; s; s = s->order) {
		s->next = t[s->hash % n];
		t[s->hash % n] = s;
	}
	free(m->table);
	m->table = t;
	m->nbuckets = n;
}

/* One allocation per series: the struct, the value pointers, the buckets, the strings. */
static struct series *series_new(struct metric *m, const char *const *values, uint64_t h)
{
	size_t nb = m->desc.type == METRIC_HISTOGRAM ? m->desc.nbounds + 1 : 0;
	size_t size = sizeof(struct series) + m->nlabels * sizeof(char *) + nb * sizeof(uint64_t);
	size_t len[METRIC_MAX_LABELS];
	struct series *s;
	char *p;

	for (unsigned int i = 0; i < m->nlabels; i++) {
		len[i] = strlen(values[i]) + 1;
		size += len[i];
	}
	s = calloc(1, size);
	if (!s)
		return NULL;
	s->hash = h;
	s->values = (char **)(s + 1);
	if (nb)
		s->buckets = (uint64_t *)(s->values + m->nlabels);
	p = (char *)(s->values + m->nlabels) + nb * sizeof(uint64_t);
	for (unsigned int i = 0; i < m->nlabels; i++) {
		memcpy(p, values[i], len[i]);
		s->values[i] = p;
		p += len[i];
	}

	if (m->nseries >= m->nbuckets && m->nlabels)
		table_grow(m);
	s->next = m->table[h % m->nbuckets];
	m->table[h % m->nbuckets] = s;
	if (m->last)
		m->last->order = s;
	else
		m->first = s;
	m->last = s;
	m->nseries++;
	return s;
}

static bool all_other(const struct metric *m, const char *const *values)
{
	for (unsigned int i = 0; i < m->nlabels; i++) {
		if (strcmp(values[i], METRIC_OTHER))
			return false;
	}
	return true;
}

static struct series *other_series(struct metric *m)
{
	const char *values[METRIC_MAX_LABELS];

	if (m->other)
		return m->other;
	for (unsigned int i = 0; i < m->nlabels; i++)
		values[i] = METRIC_OTHER;
	m->other = series_new(m, values, hash_values(m, values));
	return m->other;
}

/*
 * Finds or creates the series for values. A sample that does not fit the budget goes to
 * the _other series; the fold is counted only when it carries something (a zero delta
 * creates nothing), so *out may be NULL with a 0 return.
 */
static int series_get(struct metric *m, const char *const *values, bool nonzero,
		      struct series **out)
{
	unsigned int regular;
	struct series *s;
	uint64_t h;

	*out = NULL;
	if (!m || (m->nlabels && !values))
		return -EINVAL;
	for (unsigned int i = 0; i < m->nlabels; i++) {
		if (!values[i])
			return -EINVAL;
	}
	h = hash_values(m, values);
	s = lookup(m, values, h);
	if (s) {
		*out = s;
		return 0;
	}
	if (m->nlabels && all_other(m, values)) {
		*out = other_series(m);
		return *out ? 0 : -ENOMEM;
	}
	/*
	 * A gauge series not set in the last cycle still holds its slot until the next
	 * metric_gauge_reset(): series that exist stay put, new ones wait a cycle. Evicting
	 * instead would let the fold victim change with the order collectors iterate in.
	 */
	regular = m->nseries - (m->other ? 1 : 0);
	if (m->nlabels && regular + 1 >= m->budget) {
		if (!nonzero)
			return 0;
		if (!other_series(m))
			return -ENOMEM;
		if (m != m->reg->overflow) {
			const char *name = m->desc.name;

			metric_counter_add(m->reg->overflow, &name, 1);
		}
		*out = m->other;
		return 0;
	}
	*out = series_new(m, values, h);
	return *out ? 0 : -ENOMEM;
}

int metric_counter_add(struct metric *m, const char *const *values, double delta)
{
	struct series *s;
	int err;

	if (!m || m->desc.type != METRIC_COUNTER || isnan(delta) || delta < 0)
		return -EINVAL;
	err = series_get(m, values, delta != 0, &s);
	if (err || !s)
		return err;
	s->value += delta;
	return 0;
}

int metric_gauge_set(struct metric *m, const char *const *values, double v)
{
	struct series *s;
	int err;

	if (!m || m->desc.type != METRIC_GAUGE)
		return -EINVAL;
	err = series_get(m, values, true, &s);
	if (err)
		return err;
	/* _other stands for every set that did not fit: their sum is what it reports. */
	if (s == m->other)
		s->value += v;
	else
		s->value = v;
	s->touched = true;
	return 0;
}

int metric_hist_add(struct metric *m, const char *const *values, const uint64_t *bucket_deltas,
		    double sum_delta)
{
	bool nonzero = sum_delta != 0;
	struct series *s;
	int err;

	if (!m || m->desc.type != METRIC_HISTOGRAM || !bucket_deltas || isnan(sum_delta))
		return -EINVAL;
	for (unsigned int i = 0; i <= m->desc.nbounds; i++)
		nonzero |= bucket_deltas[i] != 0;
	err = series_get(m, values, nonzero, &s);
	if (err || !s)
		return err;
	for (unsigned int i = 0; i <= m->desc.nbounds; i++)
		s->buckets[i] += bucket_deltas[i];
	s->sum += sum_delta;
	return 0;
}

static void series_unlink(struct metric *m, struct series *s, struct series *prev)
{
	struct series **pp = &m->table[s->hash % m->nbuckets];

	while (*pp != s)
		pp = &(*pp)->next;
	*pp = s->next;
	if (prev)
		prev->order = s->order;
	else
		m->first = s->order;
	if (m->last == s)
		m->last = prev;
	if (m->other == s)
		m->other = NULL;
	m->nseries--;
}

void metric_gauge_reset(struct metric *m)
{
	struct series *s, *prev = NULL, *next;

	if (!m || m->desc.type != METRIC_GAUGE)
		return;
	/* Whatever was not set during the cycle that just ended is gone: free its slot. */
	for (s = m->first; s; s = next) {
		next = s->order;
		if (!s->touched) {
			series_unlink(m, s, prev);
			free(s);
			continue;
		}
		s->touched = false;
		if (s == m->other)
			s->value = 0;
		prev = s;
	}
}

size_t metric_drop_labels(struct metric *m, const char *const *labels, const char *const *values,
			  size_t n)
{
	struct series *s, *prev = NULL, *next;
	int idx[METRIC_MAX_LABELS];
	size_t dropped = 0;

	if (!m || n > METRIC_MAX_LABELS)
		return 0;
	for (size_t k = 0; k < n; k++) {
		idx[k] = -1;
		for (unsigned int i = 0; i < m->nlabels; i++)
			if (!strcmp(m->desc.labels[i], labels[k]))
				idx[k] = (int)i;
		if (idx[k] < 0)
			return 0;
	}
	for (s = m->first; s; s = next) {
		size_t k;

		next = s->order;
		for (k = 0; k < n && !strcmp(s->values[idx[k]], values[k]); k++)
			;
		if (s != m->other && k == n) {
			series_unlink(m, s, prev);
			free(s);
			dropped++;
			continue;
		}
		prev = s;
	}
	return dropped;
}

size_t registry_drop_labels(struct registry *reg, const char *const *labels,
			    const char *const *values, size_t n)
{
	size_t dropped = 0;

	for (struct metric *m = reg->first; m; m = m->next)
		dropped += metric_drop_labels(m, labels, values, n);
	return dropped;
}

size_t registry_drop_label_value(struct registry *reg, const char *label, const char *value)
{
	return registry_drop_labels(reg, &label, &value, 1);
}

void metric_log2_bounds(double *bounds, unsigned int n, double first)
{
	/* Doubling is exact in binary floating point: no error piles up along the way. */
	for (unsigned int i = 0; i < n; i++, first *= 2)
		bounds[i] = first;
}

size_t registry_series_total(const struct registry *reg)
{
	size_t n = 0;

	if (!reg)
		return 0;
	for (const struct metric *m = reg->first; m; m = m->next) {
		if (m->desc.type != METRIC_GAUGE) {
			n += m->nseries;
			continue;
		}
		for (const struct series *s = m->first; s; s = s->order)
			n += s->touched;
	}
	return n;
}

int registry_derive_labels(struct registry *reg, const char *from, const char *const *names,
			   unsigned int n, label_derive_fn fn, void *ctx)
{
	struct label_derivation *d;

	if (!reg || !from || !fn || n == 0 || n > DERIVED_MAX_LABELS ||
	    reg->nderive >= REGISTRY_MAX_DERIVATIONS)
		return -EINVAL;
	d = &reg->derive[reg->nderive++];
	memset(d, 0, sizeof(*d));
	d->from = from;
	for (unsigned int i = 0; i < n; i++)
		d->names[i] = names[i];
	d->n = n;
	d->fn = fn;
	d->ctx = ctx;
	return 0;
}

static int label_index(const struct metric *m, const char *name)
{
	for (unsigned int i = 0; i < m->nlabels; i++)
		if (!strcmp(m->desc.labels[i], name))
			return (int)i;
	return -1;
}

const struct label_derivation *metric_derivation(const struct metric *m, unsigned int *src)
{
	const struct registry *reg = m->reg;

	for (unsigned int k = 0; reg && k < reg->nderive; k++) {
		const struct label_derivation *d = &reg->derive[k];
		int i = label_index(m, d->from);
		bool clash = false;

		if (i < 0)
			continue;
		for (unsigned int j = 0; j < d->n; j++)
			clash |= label_index(m, d->names[j]) >= 0;
		if (clash)
			continue;
		*src = (unsigned int)i;
		return d;
	}
	return NULL;
}

int metric_each_series(const struct metric *m, series_visit_fn fn, void *ctx)
{
	const char *names[METRIC_MAX_LABELS + DERIVED_MAX_LABELS];
	const char *values[METRIC_MAX_LABELS + DERIVED_MAX_LABELS];
	char derived[DERIVED_MAX_LABELS][DERIVED_VALUE_LEN];
	unsigned int src = 0;
	const struct label_derivation *d = metric_derivation(m, &src);
	struct series_view v = {
		.metric = m,
		.name = m->desc.name,
		.type = m->desc.type,
		.nlabels = m->nlabels + (d ? d->n : 0),
		.own_labels = m->nlabels,
		.label_names = names,
		.label_values = values,
	};
	int ret;

	for (unsigned int i = 0; i < m->nlabels; i++)
		names[i] = m->desc.labels[i];
	for (unsigned int i = 0; d && i < d->n; i++) {
		names[m->nlabels + i] = d->names[i];
		values[m->nlabels + i] = derived[i];
	}
	for (const struct series *s = m->first; s; s = s->order) {
		if (m->desc.type == METRIC_GAUGE && !s->touched)
			continue;
		for (unsigned int i = 0; i < m->nlabels; i++)
			values[i] = s->values[i];
		if (d)
			d->fn(d->ctx, s->values[src], derived);
		v.value = s->value;
		v.sum = s->sum;
		if (m->desc.type == METRIC_HISTOGRAM) {
			v.value = 0;
			for (unsigned int i = 0; i <= m->desc.nbounds; i++)
				v.value += (double)s->buckets[i];
		}
		ret = fn(ctx, &v);
		if (ret)
			return ret;
	}
	return 0;
}

int registry_each_series(const struct registry *reg, const char *name, series_visit_fn fn,
			 void *ctx)
{
	if (!reg || !name)
		return -ENOENT;
	for (const struct metric *m = reg->first; m; m = m->next) {
		if (!strcmp(m->desc.name, name))
			return metric_each_series(m, fn, ctx);
	}
	return -ENOENT;
}

const char *series_label(const struct series_view *s, const char *name)
{
	for (unsigned int i = 0; i < s->nlabels; i++) {
		if (!strcmp(s->label_names[i], name))
			return s->label_values[i];
	}
	return NULL;
}
