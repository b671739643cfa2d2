// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* diagnose's rolling window: a ring of events and the devices' carrier history. */
#include "diag_window.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int diag_window_init(struct diag_window *w, size_t cap, uint64_t now_ns)
{
	memset(w, 0, sizeof(*w));
	w->start_ns = now_ns;
	if (!cap)
		return 0;
	w->ev = calloc(cap, sizeof(*w->ev));
	if (!w->ev)
		return -ENOMEM;
	w->cap = cap;
	return 0;
}

void diag_window_free(struct diag_window *w)
{
	free(w->ev);
	free(w->dev);
	free(w->hist);
	memset(w, 0, sizeof(*w));
}

void diag_window_add(struct diag_window *w, const struct diag_event *e)
{
	if (!w->cap) {
		w->dropped++;
		return;
	}
	if (w->n == w->cap)
		w->dropped++;
	else
		w->n++;
	w->ev[w->head] = *e;
	w->head = (w->head + 1) % w->cap;
}

long diag_window_since(const struct diag_window *w, uint64_t since_ns, struct diag_event **out)
{
	size_t first = (w->head + w->cap - w->n) % (w->cap ? w->cap : 1), k = 0;

	*out = NULL;
	if (!w->n)
		return 0;
	*out = malloc(w->n * sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < w->n; i++) {
		const struct diag_event *e = &w->ev[(first + i) % w->cap];

		if (e->ts_ns >= since_ns)
			(*out)[k++] = *e;
	}
	return (long)k;
}

static struct diag_dev *dev_get(struct diag_window *w, uint32_t netns, uint32_t ifindex,
				bool *fresh)
{
	*fresh = false;
	for (size_t i = 0; i < w->ndev; i++)
		if (w->dev[i].netns == netns && w->dev[i].ifindex == ifindex)
			return &w->dev[i];
	*fresh = true;
	if (w->ndev == w->devcap) {
		size_t cap = w->devcap ? w->devcap * 2 : 16;
		struct diag_dev *v = realloc(w->dev, cap * sizeof(*v));

		if (!v)
			return NULL;
		w->dev = v;
		w->devcap = cap;
	}
	memset(&w->dev[w->ndev], 0, sizeof(w->dev[0]));
	w->dev[w->ndev].netns = netns;
	w->dev[w->ndev].ifindex = ifindex;
	return &w->dev[w->ndev++];
}

void diag_window_devices(struct diag_window *w, const struct iface_cache *c, uint64_t now_ns)
{
	size_t k = 0;

	w->gen++;
	for (size_t n = 0; n < c->n; n++) {
		const struct iface_ns *ns = &c->ns[n];

		for (size_t i = 0; i < ns->n; i++) {
			const struct iface *f = &ns->v[i];
			struct diag_dev *d;
			bool fresh;

			if (!f->present)
				continue;
			d = dev_get(w, ns->netns, f->ifindex, &fresh);
			if (!d)
				return;
			/* a device seen for the first time: its count so far is no change */
			if (!fresh && f->carrier_changes != d->carrier_changes) {
				d->changes = f->carrier_changes - d->carrier_changes;
				d->changed_ns = now_ns;
			}
			d->carrier_changes = f->carrier_changes;
			snprintf(d->name, sizeof(d->name), "%s", f->name);
			d->seen_gen = w->gen;
		}
	}
	for (size_t i = 0; i < w->ndev; i++)
		if (w->dev[i].seen_gen == w->gen)
			w->dev[k++] = w->dev[i];
	w->ndev = k;
	/* counters of namespaces that are gone */
	k = 0;
	for (size_t i = 0; i < w->nhist; i++)
		if (ifaces_ns(c, w->hist[i].netns))
			w->hist[k++] = w->hist[i];
	w->nhist = k;
}

size_t diag_window_links(const struct diag_window *w, const struct iface_cache *c,
			 uint64_t since_ns, struct diag_link *out, size_t max)
{
	size_t k = 0;

	for (size_t i = 0; i < w->ndev && k < max; i++) {
		const struct diag_dev *d = &w->dev[i];
		const struct iface *f = ifaces_find(c, d->netns, d->ifindex);

		if (!f || !f->present || !d->changed_ns || d->changed_ns < since_ns)
			continue;
		out[k].netns = d->netns;
		snprintf(out[k].device, sizeof(out[k].device), "%s", d->name);
		out[k].admin_up = f->flags & IFF_UP;
		out[k].carrier = f->carrier;
		out[k].carrier_changes = d->changes;
		k++;
	}
	return k;
}

void diag_window_count(struct diag_window *w, uint32_t netns, const char *what, uint64_t v,
		       uint64_t now_ns)
{
	struct diag_hist *h = NULL;

	for (size_t i = 0; i < w->nhist && !h; i++)
		if (w->hist[i].netns == netns && !strcmp(w->hist[i].what, what))
			h = &w->hist[i];
	if (!h) {
		if (w->nhist == w->histcap) {
			size_t cap = w->histcap ? w->histcap * 2 : 8;
			struct diag_hist *nv = realloc(w->hist, cap * sizeof(*nv));

			if (!nv)
				return;
			w->hist = nv;
			w->histcap = cap;
		}
		h = &w->hist[w->nhist++];
		memset(h, 0, sizeof(*h));
		h->netns = netns;
		snprintf(h->what, sizeof(h->what), "%s", what);
		/* counters start at zero with the agent */
		h->s[0].ts_ns = w->start_ns;
		h->n = 1;
	}
	if (h->s[h->n - 1].v == v)
		return;
	if (h->n == DIAG_HIST) {
		memmove(&h->s[0], &h->s[1], (DIAG_HIST - 1) * sizeof(h->s[0]));
		h->n--;
	}
	h->s[h->n].ts_ns = now_ns;
	h->s[h->n].v = v;
	h->n++;
}

size_t diag_window_counts(const struct diag_window *w, uint64_t since_ns, struct diag_count *out,
			  size_t max)
{
	size_t k = 0;

	for (size_t i = 0; i < w->nhist && k < max; i++) {
		const struct diag_hist *h = &w->hist[i];
		uint64_t base = h->s[0].v;

		for (unsigned int j = 0; j < h->n && h->s[j].ts_ns <= since_ns; j++)
			base = h->s[j].v;
		if (h->s[h->n - 1].v <= base)
			continue;
		out[k].netns = h->netns;
		snprintf(out[k].what, sizeof(out[k].what), "%s", h->what);
		out[k].delta = h->s[h->n - 1].v - base;
		k++;
	}
	return k;
}
