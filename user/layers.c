// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "layer.h"

static const char *const osi_of[COLL_COUNT] = {
	[COLL_LINK] = "l1/l2", [COLL_NEIGH] = "l2", [COLL_ROUTE] = "l3", [COLL_DROP] = "all",
	[COLL_TCP] = "l4/l5",  [COLL_UDP] = "l4",   [COLL_TLS] = "l6",	 [COLL_DNS] = "l7",
};

void layers_init(struct layer *layers)
{
	memset(layers, 0, sizeof(*layers) * COLL_COUNT);
	for (int i = 0; i < COLL_COUNT; i++) {
		layers[i].id = (enum collector)i;
		layers[i].name = collector_names[i];
		layers[i].osi = osi_of[i];
	}
	for (int i = 0; i < COLL_COUNT; i++)
		if (layer_ctor(i))
			layer_ctor(i)(&layers[i]);
}

layer_ctor_fn layer_ctor(enum collector c)
{
	static const layer_ctor_fn ctors[COLL_COUNT] = {
		[COLL_LINK] = link_layer_init, [COLL_NEIGH] = neigh_layer_init,
		[COLL_ROUTE] = route_layer_init, [COLL_DROP] = drop_layer_init,
		[COLL_TCP] = tcp_layer_init,	 [COLL_UDP] = udp_layer_init,
		[COLL_TLS] = tls_layer_init,	 [COLL_DNS] = dns_layer_init,
	};

	return c < COLL_COUNT ? ctors[c] : NULL;
}

int layer_read_lost(struct layer *l, const char *map_name, uint64_t *lost)
{
	struct bpf_map *map = bpf_object__find_map_by_name(l->obj, map_name);
	int ncpus = libbpf_num_possible_cpus();
	uint64_t *vals;
	int fd;

	memset(lost, 0, sizeof(uint64_t) * LOST_REASONS);
	if (!map || ncpus <= 0)
		return -ENOENT;
	fd = bpf_map__fd(map);
	if (fd < 0)
		return -ENOENT;
	vals = calloc(ncpus, sizeof(uint64_t));
	if (!vals)
		return -ENOMEM;
	for (uint32_t k = 0; k < LOST_REASONS; k++) {
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (int c = 0; c < ncpus; c++)
			lost[k] += vals[c];
	}
	free(vals);
	return 0;
}
