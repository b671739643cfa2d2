// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "ksyms.h"

#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One line "ffffffff81e884f0 T nf_hook_slow [module]": 0 with addr, type and the
 * name's start and length, -1 for a line that is not a symbol. */
static int parse_line(const char *line, uint64_t *addr, char *type, const char **name,
		      size_t *len)
{
	char *end;

	errno = 0;
	*addr = strtoull(line, &end, 16);
	if (errno || end == line || end[0] != ' ' || !end[1] || end[2] != ' ')
		return -1;
	*type = end[1];
	*name = end + 3;
	*len = strcspn(*name, " \t\n");
	return *len ? 0 : -1;
}

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int add(struct ksyms *k, uint64_t addr, const char *name, size_t len)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 4096;
		struct ksym *v = realloc(k->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		k->v = v;
		k->cap = cap;
	}
	if (k->nlen + len + 1 > k->ncap) {
		size_t cap = k->ncap ? k->ncap * 2 : 65536;
		char *s;

		while (cap < k->nlen + len + 1)
			cap *= 2;
		s = realloc(k->names, cap);
		if (!s)
			return -ENOMEM;
		k->names = s;
		k->ncap = cap;
	}
	memcpy(k->names + k->nlen, name, len);
	k->names[k->nlen + len] = '\0';
	k->v[k->n].addr = addr;
	k->v[k->n].name = (uint32_t)k->nlen;
	k->n++;
	k->nlen += len + 1;
	return 0;
}

int ksyms_load(struct ksyms *k, const char *path)
{
	char line[512];
	bool nonzero = false;
	FILE *f;
	int err = 0;

	memset(k, 0, sizeof(*k));
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		const char *name;
		uint64_t addr;
		size_t len;
		char type;

		if (parse_line(line, &addr, &type, &name, &len) || (type != 't' && type != 'T') ||
		    len > 255)
			continue;
		nonzero |= addr != 0;
		err = add(k, addr, name, len);
		if (err)
			break;
	}
	fclose(f);
	if (!err && !nonzero)
		err = k->n ? -EPERM : -ENOENT;
	if (err) {
		ksyms_free(k);
		return err;
	}
	qsort(k->v, k->n, sizeof(*k->v), ksym_cmp);
	return 0;
}

void ksyms_free(struct ksyms *k)
{
	free(k->v);
	free(k->names);
	memset(k, 0, sizeof(*k));
}

const char *ksyms_format(const struct ksyms *k, uint64_t addr, char *buf, size_t len)
{
	size_t lo = 0, hi = k ? k->n : 0;

	/* the last symbol at or below addr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->v[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || !addr)
		snprintf(buf, len, "0x%" PRIx64, addr);
	else
		snprintf(buf, len, "%s+0x%" PRIx64, k->names + k->v[lo - 1].name,
			 addr - k->v[lo - 1].addr);
	return buf;
}

int ksyms_ranges(FILE *f, const char *const *names, size_t n, uint64_t *start,
			  uint64_t *end)
{
	uint64_t *addrs = NULL;
	size_t naddrs = 0, cap = 0;
	char line[512];
	int found = 0;

	for (size_t i = 0; i < n; i++)
		start[i] = end[i] = 0;
	while (fgets(line, sizeof(line), f)) {
		const char *name;
		uint64_t addr;
		size_t len;
		char type;

		if (parse_line(line, &addr, &type, &name, &len) || !addr)
			continue;
		if (naddrs == cap) {
			size_t ncap = cap ? cap * 2 : 65536;
			uint64_t *v = realloc(addrs, ncap * sizeof(*v));

			if (!v)
				break;
			addrs = v;
			cap = ncap;
		}
		addrs[naddrs++] = addr;
		if (type != 't' && type != 'T')
			continue;
		for (size_t i = 0; i < n; i++)
			if (!start[i] && strlen(names[i]) == len && !strncmp(name, names[i], len))
				start[i] = addr;
	}
	/* each function ends where the closest symbol above it starts (modules are listed
	 * after the kernel and not sorted, so every address is looked at) */
	for (size_t k = 0; k < naddrs; k++)
		for (size_t i = 0; i < n; i++)
			if (start[i] && addrs[k] > start[i] && (!end[i] || addrs[k] < end[i]))
				end[i] = addrs[k];
	free(addrs);
	for (size_t i = 0; i < n; i++) {
		if (!start[i] || !end[i])
			start[i] = end[i] = 0;
		else
			found++;
	}
	return found;
}
