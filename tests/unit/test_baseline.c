// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Baselines of counters read as absolute values: what each kind of reading counts, and
 * what a namespace's renewal and removal do to them. */
#include "registry.h"
#include "test.h"

static double value_of(struct metric *m, const char *netns)
{
	for (struct series *s = m->first; s; s = s->order)
		if (!strcmp(s->values[0], netns))
			return s->value;
	return -1;
}

static struct metric *counter(struct registry *reg)
{
	static const struct metric_desc d = {
		.name = "osiscope_test_total", .help = "t", .type = METRIC_COUNTER,
		.labels = { "netns", NULL },
	};

	return registry_add(reg, &d);
}

TEST(baseline_map_counts_whole_and_survives_renew)
{
	struct registry *reg = registry_new(100);
	struct metric *m = reg ? counter(reg) : NULL;
	const char *ns[] = { "4026531840" };

	if (!ASSERT_OK_PTR(m, "metric"))
		goto out;
	registry_first_collection(reg, true);
	metric_counter_observe(m, ns, 5, ORIGIN_MAP); /* the map counted since load */
	registry_first_collection(reg, false);
	ASSERT_EQ(value_of(m, ns[0]), 5, "first map reading counts whole");
	metric_counter_observe(m, ns, 12, ORIGIN_MAP);
	ASSERT_EQ(value_of(m, ns[0]), 12, "then the gain");
	/* a new namespace under the inode: its series go, the map's baseline stays */
	registry_netns_renew(reg, 4026531840u);
	registry_drop_label_value(reg, "netns", ns[0]);
	metric_counter_observe(m, ns, 15, ORIGIN_MAP);
	ASSERT_EQ(value_of(m, ns[0]), 3, "after renew: only what came since");
	metric_counter_observe(m, ns, 2, ORIGIN_MAP); /* entry made anew */
	ASSERT_EQ(value_of(m, ns[0]), 5, "a reading that went back counts afresh");
	registry_netns_forget(reg, 4026531840u);
	registry_drop_label_value(reg, "netns", ns[0]);
	metric_counter_observe(m, ns, 7, ORIGIN_MAP);
	ASSERT_EQ(value_of(m, ns[0]), 7, "after forget: counts whole again");
out:
	registry_free(reg);
}

TEST(baseline_netns_first_collection_and_renew)
{
	struct registry *reg = registry_new(100);
	struct metric *m = reg ? counter(reg) : NULL;
	const char *old[] = { "1" }, *born[] = { "2" };

	if (!ASSERT_OK_PTR(m, "metric"))
		goto out;
	registry_first_collection(reg, true);
	metric_counter_observe(m, old, 100, ORIGIN_NETNS);
	registry_first_collection(reg, false);
	ASSERT_EQ(value_of(m, "1"), 0, "what a namespace had before the agent is not counted");
	metric_counter_observe(m, old, 104, ORIGIN_NETNS);
	ASSERT_EQ(value_of(m, "1"), 4, "its gain is");
	metric_counter_observe(m, born, 3, ORIGIN_NETNS);
	ASSERT_EQ(value_of(m, "2"), 3, "a namespace born later counts whole");
	registry_netns_renew(reg, 1);
	registry_drop_label_value(reg, "netns", "1");
	metric_counter_observe(m, old, 6, ORIGIN_NETNS);
	ASSERT_EQ(value_of(m, "1"), 6, "a new namespace under a reused inode counts from zero");
	ASSERT_EQ(value_of(m, "2"), 3, "others untouched");
out:
	registry_free(reg);
}

TEST(baseline_histogram)
{
	static const double bounds[] = { 1, 2 };
	static const struct metric_desc d = {
		.name = "osiscope_test_seconds", .help = "t", .type = METRIC_HISTOGRAM,
		.labels = { "netns", NULL }, .bounds = bounds, .nbounds = 2,
	};
	struct registry *reg = registry_new(100);
	struct metric *m = reg ? registry_add(reg, &d) : NULL;
	const char *ns[] = { "9" };
	uint64_t b1[3] = { 1, 0, 2 }, b2[3] = { 1, 3, 2 };

	if (!ASSERT_OK_PTR(m, "metric"))
		goto out;
	metric_hist_observe(m, ns, b1, 2000000000ULL, 1e-9, ORIGIN_MAP);
	metric_hist_observe(m, ns, b2, 5000000000ULL, 1e-9, ORIGIN_MAP);
	ASSERT_EQ(m->first->buckets[0], 1, "bucket 0");
	ASSERT_EQ(m->first->buckets[1], 3, "bucket 1 gained 3");
	ASSERT_EQ(m->first->buckets[2], 2, "+Inf");
	ASSERT_EQ(m->first->sum, 5, "sum in seconds");
out:
	registry_free(reg);
}

TEST(baseline_absent_reading_keeps_the_baseline)
{
	struct registry *reg = registry_new(100);
	struct metric *m = reg ? counter(reg) : NULL;
	const char *ns[] = { "5" }, *fresh[] = { "6" };

	if (!ASSERT_OK_PTR(m, "metric"))
		goto out;
	metric_counter_observe(m, ns, 10, ORIGIN_MAP);
	/* the map could not be read this time: nothing is counted again afterwards */
	metric_counter_observe(m, ns, 0, ORIGIN_ABSENT);
	ASSERT_EQ(value_of(m, "5"), 10, "an absent reading adds nothing");
	metric_counter_observe(m, ns, 11, ORIGIN_MAP);
	ASSERT_EQ(value_of(m, "5"), 11, "and leaves the baseline: only the gain of 1 counts");
	metric_counter_observe(m, fresh, 0, ORIGIN_ABSENT);
	ASSERT_EQ(value_of(m, "6"), 0, "a namespace with no entry yet has its series at zero");
out:
	registry_free(reg);
}
