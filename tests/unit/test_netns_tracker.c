// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Telling when a namespace is gone: two scans in a row without it, or one scan after it
 * was seen only in a kernel map; and when its inode names a new one (another identity).
 * Where the identity comes from (netns_id(): a cookie, or hash_mix by BPF) needs a real
 * namespace switch and is covered by scenario 14, with and without OSI_NETNS_ID. */
#include "netns.h"
#include "test.h"

struct gone {
	uint32_t inode[8];
	int n;
	uint32_t renewed[8];
	int nrenewed;
};

static void on_gone(void *ctx, uint32_t inode, bool renew)
{
	struct gone *g = ctx;

	if (!renew && g->n < 8)
		g->inode[g->n++] = inode;
	if (renew && g->nrenewed < 8)
		g->renewed[g->nrenewed++] = inode;
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
	struct gone g = {};

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
	struct gone g = {};

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

TEST(netns_tracker_renewed_by_identity)
{
	struct netns_tracker t = {};
	struct gone g = {};

	netns_tracker_check_id(&t, 5, 0x1234000000000005ULL, on_gone, &g);
	ASSERT_EQ(g.nrenewed, 0, "first identity of inode 5: nothing to renew");
	netns_tracker_check_id(&t, 5, 0x1234000000000005ULL, on_gone, &g);
	ASSERT_EQ(g.nrenewed, 0, "the same namespace again");
	netns_tracker_check_id(&t, 5, 0, on_gone, &g);
	ASSERT_EQ(g.nrenewed, 0, "an unknown identity (a failed read) renews nothing");
	netns_tracker_check_id(&t, 6, 0x9999000000000006ULL, on_gone, &g);
	ASSERT_EQ(g.nrenewed, 0, "another inode is another namespace");
	netns_tracker_check_id(&t, 5, 0x4321000000000005ULL, on_gone, &g);
	if (ASSERT_EQ(g.nrenewed, 1, "a new namespace under inode 5"))
		ASSERT_EQ(g.renewed[0], 5, "inode 5 renewed");
	ASSERT_EQ(g.n, 0, "renewed, not gone");
	netns_tracker_check_id(&t, 5, 0x4321000000000005ULL, on_gone, &g);
	ASSERT_EQ(g.nrenewed, 1, "the new one is known now: renewed once");
	/* still tracked for the scans: gone after two without it */
	scan(&t, &g, (uint32_t[]){ 6 }, 1);
	scan(&t, &g, (uint32_t[]){ 6 }, 1);
	if (ASSERT_EQ(g.n, 1, "inode 5 gone after two scans without it"))
		ASSERT_EQ(g.inode[0], 5, "5 is gone");
	netns_tracker_free(&t);
}

/* A process seen before is looked at again: on every scan while young, and on one scan in
 * NETNS_RECHECK_EVERY afterwards, so a move after its first sight is seen within that many
 * scans and each scan reads only a slice of the old ones. */
TEST(netns_recheck_bounded)
{
	uint32_t first = 1000, old = first + NETNS_YOUNG_S;

	for (uint64_t scan = 1; scan <= 2 * NETNS_RECHECK_EVERY; scan++)
		ASSERT_TRUE(netns_recheck(77, scan, first, first + NETNS_YOUNG_S - 1), "young");
	for (uint32_t pid = 1; pid <= 200; pid++) {
		int looks = 0;

		for (uint64_t scan = 5; scan < 5 + NETNS_RECHECK_EVERY; scan++)
			looks += netns_recheck(pid, scan, first, old);
		ASSERT_EQ(looks, 1, "an old process: once in NETNS_RECHECK_EVERY scans");
	}
	/* the monotonic second wraps around as a uint32 would */
	ASSERT_TRUE(netns_recheck(3, 1, UINT32_MAX - 1, 2), "young across the wrap");
}
