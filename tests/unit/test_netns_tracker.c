// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Telling when a namespace is gone: two scans in a row without it, or one scan after it
 * was seen only in a kernel map. The cookie check needs a real namespace switch and is
 * covered by scenario 14. */
#include "netns.h"
#include "test.h"

struct gone {
	uint32_t inode[8];
	int n;
};

static void on_gone(void *ctx, uint32_t inode, bool renew)
{
	struct gone *g = ctx;

	if (!renew && g->n < 8)
		g->inode[g->n++] = inode;
}

static void scan(struct netns_tracker *t, struct gone *g, const uint32_t *inodes, size_t n)
{
	struct netns_entry v[4] = {};
	struct netns_list list = { .v = v, .n = n };

	for (size_t i = 0; i < n; i++)
		v[i].inode = inodes[i];
	g->n = 0;
	netns_tracker_scan_done(t, &list, on_gone, g);
}

TEST(netns_tracker_gone_after_two_scans)
{
	struct netns_tracker t = {};
	struct gone g;

	scan(&t, &g, (uint32_t[]){ 1, 2 }, 2);
	ASSERT_EQ(g.n, 0, "first scan: nothing gone");
	scan(&t, &g, (uint32_t[]){ 1 }, 1);
	ASSERT_EQ(g.n, 0, "one scan without 2 may be a race with its creation");
	scan(&t, &g, (uint32_t[]){ 1 }, 1);
	if (ASSERT_EQ(g.n, 1, "the second scan without 2"))
		ASSERT_EQ(g.inode[0], 2, "2 is gone");
	scan(&t, &g, (uint32_t[]){ 1 }, 1);
	ASSERT_EQ(g.n, 0, "said once");
	netns_tracker_free(&t);
}

TEST(netns_tracker_noted_from_map)
{
	struct netns_tracker t = {};
	struct gone g;

	scan(&t, &g, (uint32_t[]){ 1 }, 1);
	/* a namespace that came and went between scans, found in a kernel map */
	netns_tracker_note(&t, 7);
	netns_tracker_note(&t, 0); /* no namespace: ignored */
	scan(&t, &g, (uint32_t[]){ 1 }, 1);
	if (ASSERT_EQ(g.n, 1, "forgotten at the next scan"))
		ASSERT_EQ(g.inode[0], 7, "the noted one");
	/* noted while a scan still finds it: it stays */
	netns_tracker_note(&t, 1);
	scan(&t, &g, (uint32_t[]){ 1 }, 1);
	ASSERT_EQ(g.n, 0, "a namespace the scan finds stays");
	netns_tracker_free(&t);
}
