// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "prometheus.h"
#include "registry.h"
#include "strbuf.h"
#include "test.h"

static const char *render(const struct registry *reg, struct strbuf *sb)
{
	strbuf_reset(sb);
	prom_render(reg, sb);
	return sb->failed ? NULL : sb->buf;
}

static double overflow_of(struct registry *reg, const char *metric)
{
	for (struct series *s = reg->overflow->first; s; s = s->order) {
		if (!strcmp(s->values[0], metric))
			return s->value;
	}
	return -1;
}

TEST(registry_counter)
{
	const struct metric_desc d = {
		.name = "osiscope_tcp_connects_total",
		.help = "Connections attempted.",
		.type = METRIC_COUNTER,
		.labels = { "netns", "result" },
	};
	struct registry *reg = registry_new(100);
	struct strbuf sb;
	struct metric *m;

	strbuf_init(&sb);
	if (!ASSERT_OK_PTR(reg, "registry_new"))
		return;
	m = registry_add(reg, &d);
	if (!ASSERT_OK_PTR(m, "registry_add"))
		goto out;
	ASSERT_TRUE(registry_find(reg, "osiscope_tcp_connects_total") == m, "registry_find");
	ASSERT_TRUE(registry_find(reg, "nope_total") == NULL, "registry_find missing");
	ASSERT_OK(metric_counter_add(m, (const char *[]){ "4026531840", "ok" }, 3), "add");
	ASSERT_OK(metric_counter_add(m, (const char *[]){ "4026531840", "refused" }, 1), "add");
	ASSERT_OK(metric_counter_add(m, (const char *[]){ "4026531840", "ok" }, 2), "add again");
	ASSERT_EQ(metric_counter_add(m, (const char *[]){ "1", "ok" }, -1), -EINVAL, "negative");
	ASSERT_EQ(metric_counter_add(m, (const char *[]){ "1", "ok" }, NAN), -EINVAL, "NaN");
	ASSERT_EQ(metric_counter_add(m, NULL, 1), -EINVAL, "NULL values");
	ASSERT_EQ(metric_counter_add(m, (const char *[]){ "1", NULL }, 1), -EINVAL, "NULL value");
	ASSERT_EQ(metric_gauge_set(m, (const char *[]){ "1", "ok" }, 1), -EINVAL, "wrong type");
	ASSERT_EQ(m->nseries, 2, "nseries");
	ASSERT_EQ(registry_series_total(reg), 2, "series total");
	ASSERT_STREQ(render(reg, &sb),
		     "# HELP osiscope_series_overflow_total Samples that did not fit a metric's "
		     "series budget and were folded into the series whose labels are _other.\n"
		     "# TYPE osiscope_series_overflow_total counter\n"
		     "# HELP osiscope_tcp_connects_total Connections attempted.\n"
		     "# TYPE osiscope_tcp_connects_total counter\n"
		     "osiscope_tcp_connects_total{netns=\"4026531840\",result=\"ok\"} 5\n"
		     "osiscope_tcp_connects_total{netns=\"4026531840\",result=\"refused\"} 1\n",
		     "render");
out:
	strbuf_free(&sb);
	registry_free(reg);
}

TEST(registry_unlabeled_and_gauge)
{
	const struct metric_desc c = {
		.name = "osiscope_events_total",
		.help = "Events.",
		.type = METRIC_COUNTER,
		.budget = 1,
	};
	const struct metric_desc g = {
		.name = "osiscope_temperature_celsius",
		.help = "Help with \\ and\nnewline.",
		.type = METRIC_GAUGE,
	};
	struct registry *reg = registry_new(10);
	struct metric *mc, *mg;
	struct strbuf sb;

	strbuf_init(&sb);
	if (!ASSERT_OK_PTR(reg, "registry_new"))
		return;
	mc = registry_add(reg, &c);
	mg = registry_add(reg, &g);
	if (!ASSERT_OK_PTR(mc, "add counter") || !ASSERT_OK_PTR(mg, "add gauge"))
		goto out;
	/* No labels: one series, never folded even with a budget of 1. */
	ASSERT_OK(metric_counter_add(mc, NULL, 1.5), "add");
	ASSERT_OK(metric_counter_add(mc, NULL, 2), "add");
	ASSERT_OK(metric_gauge_set(mg, NULL, -3.25), "set");
	ASSERT_OK(metric_gauge_set(mg, NULL, 21.5), "set again");
	ASSERT_EQ(mc->nseries, 1, "counter nseries");
	ASSERT_TRUE(mc->other == NULL, "no fold");
	ASSERT_CONTAINS(render(reg, &sb), "\nosiscope_events_total 3.5\n", "counter sample");
	ASSERT_CONTAINS(sb.buf,
			"# HELP osiscope_temperature_celsius Help with \\\\ and\\nnewline.\n"
			"# TYPE osiscope_temperature_celsius gauge\n"
			"osiscope_temperature_celsius 21.5\n",
			"gauge");
out:
	strbuf_free(&sb);
	registry_free(reg);
}

TEST(registry_label_escaping)
{
	const struct metric_desc d = {
		.name = "osiscope_tls_handshakes_total",
		.help = "TLS handshakes.",
		.type = METRIC_COUNTER,
		.labels = { "comm" },
	};
	struct registry *reg = registry_new(10);
	struct strbuf sb;
	struct metric *m;

	strbuf_init(&sb);
	m = registry_add(reg, &d);
	if (!ASSERT_OK_PTR(m, "registry_add"))
		goto out;
	ASSERT_OK(metric_counter_add(m, (const char *[]){ "a\\b\"c\nd" }, 1), "add");
	/* 0xff is never UTF-8 and a lone 0xc3 is cut short: both become \xNN. */
	ASSERT_OK(metric_counter_add(m, (const char *[]){ "x\xffy\xc3" }, 1), "add bad utf8");
	ASSERT_OK(metric_counter_add(m, (const char *[]){ "caf\xc3\xa9 \xe2\x82\xac" }, 1),
		  "add utf8");
	render(reg, &sb);
	/* a backslash is doubled in the display form, and again by the text format */
	ASSERT_CONTAINS(sb.buf,
			"osiscope_tls_handshakes_total{comm=\"a\\\\\\\\b\\\"c\\nd\"} 1\n",
			"escaped");
	ASSERT_CONTAINS(sb.buf, "osiscope_tls_handshakes_total{comm=\"x\\\\xffy\\\\xc3\"} 1\n",
			"invalid UTF-8 as \\xNN");
	ASSERT_CONTAINS(sb.buf, "{comm=\"caf\xc3\xa9 \xe2\x82\xac\"} 1\n", "UTF-8 kept");

	strbuf_reset(&sb);
	prom_escape_label(&sb, "plain");
	ASSERT_STREQ(sb.buf, "plain", "plain");
	strbuf_reset(&sb);
	prom_escape_label(&sb, "\\\\\"\n\t");
	ASSERT_STREQ(sb.buf, "\\\\\\\\\\\\\\\\\\\"\\n\t", "specials");
	strbuf_reset(&sb);
	/* Overlong '/', a UTF-16 surrogate, past U+10FFFF. */
	prom_escape_label(&sb, "\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80");
	ASSERT_STREQ(sb.buf,
		     "\\\\xc0\\\\xaf|\\\\xed\\\\xa0\\\\x80|\\\\xf4\\\\x90\\\\x80\\\\x80",
		     "invalid sequences");
out:
	strbuf_free(&sb);
	registry_free(reg);
}

TEST(registry_histogram)
{
	double bounds[4];
	struct metric_desc d = {
		.name = "osiscope_tcp_connect_duration_seconds",
		.help = "Connect latency.",
		.type = METRIC_HISTOGRAM,
		.labels = { "netns" },
		.bounds = bounds,
		.nbounds = 4,
	};
	struct registry *reg = registry_new(10);
	struct strbuf sb;
	struct metric *m;

	strbuf_init(&sb);
	metric_log2_bounds(bounds, 4, 0.001);
	ASSERT_TRUE(bounds[0] == 0.001 && bounds[1] == 0.002 && bounds[3] == 0.008, "log2");
	m = registry_add(reg, &d);
	if (!ASSERT_OK_PTR(m, "registry_add"))
		goto out;
	/* The registry keeps its own copy of the bounds. */
	bounds[0] = 99;
	ASSERT_OK(metric_hist_add(m, (const char *[]){ "7" }, (const uint64_t[]){ 1, 0, 2, 0, 1 },
				  0.125),
		  "hist add");
	ASSERT_OK(metric_hist_add(m, (const char *[]){ "7" }, (const uint64_t[]){ 0, 3, 0, 0, 0 },
				  0.0625),
		  "hist add again");
	ASSERT_EQ(metric_hist_add(m, (const char *[]){ "7" }, NULL, 0), -EINVAL, "NULL buckets");
	ASSERT_EQ(metric_counter_add(m, (const char *[]){ "7" }, 1), -EINVAL, "wrong type");
	ASSERT_EQ(registry_series_total(reg), 1, "one series per histogram series");
	ASSERT_CONTAINS(render(reg, &sb),
			"# TYPE osiscope_tcp_connect_duration_seconds histogram\n"
			"osiscope_tcp_connect_duration_seconds_bucket{netns=\"7\",le=\"0.001\"} 1\n"
			"osiscope_tcp_connect_duration_seconds_bucket{netns=\"7\",le=\"0.002\"} 4\n"
			"osiscope_tcp_connect_duration_seconds_bucket{netns=\"7\",le=\"0.004\"} 6\n"
			"osiscope_tcp_connect_duration_seconds_bucket{netns=\"7\",le=\"0.008\"} 6\n"
			"osiscope_tcp_connect_duration_seconds_bucket{netns=\"7\",le=\"+Inf\"} 7\n"
			"osiscope_tcp_connect_duration_seconds_sum{netns=\"7\"} 0.1875\n"
			"osiscope_tcp_connect_duration_seconds_count{netns=\"7\"} 7\n",
			"histogram");
out:
	strbuf_free(&sb);
	registry_free(reg);
}

TEST(registry_histogram_unlabeled)
{
	double bounds[2];
	struct metric_desc d = {
		.name = "osiscope_dns_request_duration_seconds",
		.help = "DNS latency.",
		.type = METRIC_HISTOGRAM,
		.bounds = bounds,
		.nbounds = 2,
	};
	struct registry *reg = registry_new(10);
	struct strbuf sb;
	struct metric *m;

	strbuf_init(&sb);
	metric_log2_bounds(bounds, 2, 1e-6);
	m = registry_add(reg, &d);
	if (!ASSERT_OK_PTR(m, "registry_add"))
		goto out;
	ASSERT_OK(metric_hist_add(m, NULL, (const uint64_t[]){ 0, 0, 0 }, 0), "zero add");
	ASSERT_CONTAINS(render(reg, &sb),
			"osiscope_dns_request_duration_seconds_bucket{le=\"1e-06\"} 0\n"
			"osiscope_dns_request_duration_seconds_bucket{le=\"2e-06\"} 0\n"
			"osiscope_dns_request_duration_seconds_bucket{le=\"+Inf\"} 0\n"
			"osiscope_dns_request_duration_seconds_sum 0\n"
			"osiscope_dns_request_duration_seconds_count 0\n",
			"histogram without labels");
out:
	strbuf_free(&sb);
	registry_free(reg);
}

TEST(registry_budget_fold)
{
	const struct metric_desc c = {
		.name = "osiscope_skb_drops_total",
		.help = "Drops.",
		.type = METRIC_COUNTER,
		.labels = { "netns", "reason" },
		.budget = 3,
	};
	double bounds[1] = { 1 };
	const struct metric_desc h = {
		.name = "osiscope_dns_request_duration_seconds",
		.help = "DNS latency.",
		.type = METRIC_HISTOGRAM,
		.labels = { "netns" },
		.budget = 2,
		.bounds = bounds,
		.nbounds = 1,
	};
	struct registry *reg = registry_new(10);
	struct metric *m, *mh;
	struct strbuf sb;

	strbuf_init(&sb);
	m = registry_add(reg, &c);
	mh = registry_add(reg, &h);
	if (!ASSERT_OK_PTR(m, "add counter") || !ASSERT_OK_PTR(mh, "add histogram"))
		goto out;
	/* Budget 3: two real series, the third slot is kept for _other. */
	ASSERT_OK(metric_counter_add(m, (const char *[]){ "1", "A" }, 1), "a");
	ASSERT_OK(metric_counter_add(m, (const char *[]){ "1", "B" }, 2), "b");
	ASSERT_OK(metric_counter_add(m, (const char *[]){ "1", "C" }, 4), "c folds");
	ASSERT_OK(metric_counter_add(m, (const char *[]){ "2", "D" }, 8), "d folds");
	/* A zero delta that would fold creates nothing and counts nothing. */
	ASSERT_OK(metric_counter_add(m, (const char *[]){ "3", "E" }, 0), "zero fold");
	/* Existing series keep counting after the budget is spent. */
	ASSERT_OK(metric_counter_add(m, (const char *[]){ "1", "A" }, 16), "a again");
	ASSERT_EQ(m->nseries, 3, "nseries at budget");
	ASSERT_TRUE(m->other != NULL, "other exists");
	ASSERT_TRUE(m->other && m->other->value == 12, "other value");
	ASSERT_TRUE(overflow_of(reg, "osiscope_skb_drops_total") == 2, "overflow count");
	render(reg, &sb);
	ASSERT_CONTAINS(sb.buf, "osiscope_skb_drops_total{netns=\"1\",reason=\"A\"} 17\n", "A");
	ASSERT_CONTAINS(sb.buf, "osiscope_skb_drops_total{netns=\"_other\",reason=\"_other\"} 12\n",
			"other");
	ASSERT_CONTAINS(sb.buf,
			"osiscope_series_overflow_total{metric=\"osiscope_skb_drops_total\"} 2\n",
			"overflow rendered");
	ASSERT_TRUE(strstr(sb.buf, "reason=\"C\"") == NULL, "C not rendered");

	ASSERT_OK(metric_hist_add(mh, (const char *[]){ "1" }, (const uint64_t[]){ 1, 0 }, 0.5),
		  "h1");
	ASSERT_OK(metric_hist_add(mh, (const char *[]){ "2" }, (const uint64_t[]){ 0, 0 }, 0),
		  "h2 empty fold");
	ASSERT_TRUE(mh->other == NULL, "empty fold creates nothing");
	ASSERT_OK(metric_hist_add(mh, (const char *[]){ "2" }, (const uint64_t[]){ 0, 2 }, 5),
		  "h2 folds");
	ASSERT_TRUE(overflow_of(reg, "osiscope_dns_request_duration_seconds") == 1,
		    "histogram overflow");
	ASSERT_CONTAINS(render(reg, &sb),
			"osiscope_dns_request_duration_seconds_count{netns=\"_other\"} 2\n",
			"histogram other");
	/* overflow has two series, skb_drops three, the histogram two. */
	ASSERT_EQ(registry_series_total(reg), 7, "series total");
out:
	strbuf_free(&sb);
	registry_free(reg);
}

TEST(registry_gauge_cycles)
{
	const struct metric_desc d = {
		.name = "osiscope_tcp_sockets",
		.help = "Sockets by state.",
		.type = METRIC_GAUGE,
		.labels = { "netns", "state" },
		.budget = 3,
	};
	struct registry *reg = registry_new(10);
	struct strbuf sb;
	struct metric *m;

	strbuf_init(&sb);
	m = registry_add(reg, &d);
	if (!ASSERT_OK_PTR(m, "registry_add"))
		goto out;
	metric_gauge_reset(m);
	ASSERT_OK(metric_gauge_set(m, (const char *[]){ "1", "established" }, 5), "set");
	ASSERT_OK(metric_gauge_set(m, (const char *[]){ "1", "time_wait" }, 2), "set");
	ASSERT_OK(metric_gauge_set(m, (const char *[]){ "1", "listen" }, 3), "fold");
	ASSERT_OK(metric_gauge_set(m, (const char *[]){ "1", "close_wait" }, 4), "fold");
	ASSERT_TRUE(m->other && m->other->value == 7, "other sums what folded");
	ASSERT_TRUE(overflow_of(reg, "osiscope_tcp_sockets") == 2, "overflow per folded set");
	ASSERT_EQ(registry_series_total(reg), 4, "series total");

	/* Cycle 2: time_wait and the fold are not set again. */
	metric_gauge_reset(m);
	ASSERT_EQ(m->nseries, 3, "kept until the next reset");
	ASSERT_TRUE(m->other && m->other->value == 0, "other restarts at 0");
	ASSERT_OK(metric_gauge_set(m, (const char *[]){ "1", "established" }, 6), "set");
	render(reg, &sb);
	ASSERT_CONTAINS(sb.buf, "osiscope_tcp_sockets{netns=\"1\",state=\"established\"} 6\n",
			"established");
	ASSERT_TRUE(strstr(sb.buf, "time_wait") == NULL, "unset series not rendered");
	ASSERT_TRUE(strstr(sb.buf, "osiscope_tcp_sockets{netns=\"_other\"") == NULL,
		    "unset other not rendered");
	ASSERT_EQ(registry_series_total(reg), 2, "series total after cycle 2");

	/* Cycle 3: the reset frees what cycle 2 did not set, making room again. */
	metric_gauge_reset(m);
	ASSERT_EQ(m->nseries, 1, "unset series freed");
	ASSERT_TRUE(m->other == NULL, "fold series freed");
	ASSERT_OK(metric_gauge_set(m, (const char *[]){ "1", "established" }, 1), "set");
	ASSERT_OK(metric_gauge_set(m, (const char *[]){ "1", "syn_sent" }, 8), "new series");
	ASSERT_TRUE(m->other == NULL, "no fold");
	ASSERT_CONTAINS(render(reg, &sb),
			"osiscope_tcp_sockets{netns=\"1\",state=\"established\"} 1\n"
			"osiscope_tcp_sockets{netns=\"1\",state=\"syn_sent\"} 8\n",
			"cycle 3");
	ASSERT_EQ(m->nseries, 2, "nseries");

	/* A metric reset many times with fresh label sets stays within its budget. */
	for (int cycle = 0; cycle < 50; cycle++) {
		char v[16];

		metric_gauge_reset(m);
		snprintf(v, sizeof(v), "%d", cycle);
		metric_gauge_set(m, (const char *[]){ v, "established" }, cycle);
		ASSERT_TRUE(m->nseries <= 3, "bounded");
	}
out:
	strbuf_free(&sb);
	registry_free(reg);
}

TEST(registry_many_series)
{
	const struct metric_desc d = {
		.name = "osiscope_icmp_sent_total",
		.help = "ICMP sent.",
		.type = METRIC_COUNTER,
		.labels = { "netns", "type" },
		.budget = 5000,
	};
	struct registry *reg = registry_new(10);
	struct metric *m;
	struct series *s;
	char a[16], b[16];
	int i, bad = 0;

	m = registry_add(reg, &d);
	if (!ASSERT_OK_PTR(m, "registry_add"))
		goto out;
	/* Enough series to grow the hash table several times; twice each. */
	for (int pass = 0; pass < 2; pass++) {
		for (i = 0; i < 4000; i++) {
			snprintf(a, sizeof(a), "%d", i % 97);
			snprintf(b, sizeof(b), "%d", i);
			if (metric_counter_add(m, (const char *[]){ a, b }, i))
				bad++;
		}
	}
	ASSERT_EQ(bad, 0, "errors");
	ASSERT_EQ(m->nseries, 4000, "nseries");
	ASSERT_TRUE(m->nbuckets >= 4000, "table grew");
	/* Insertion order is output order. */
	for (i = 0, s = m->first; s; s = s->order, i++) {
		snprintf(b, sizeof(b), "%d", i);
		if (strcmp(s->values[1], b) || s->value != 2.0 * i)
			bad++;
	}
	ASSERT_EQ(i, 4000, "ordered walk");
	ASSERT_EQ(bad, 0, "order and values");
	/* The separator keeps {"1","23"} and {"12","3"} apart. */
	ASSERT_OK(metric_counter_add(m, (const char *[]){ "x1", "23" }, 1), "a");
	ASSERT_OK(metric_counter_add(m, (const char *[]){ "x12", "3" }, 1), "b");
	ASSERT_EQ(m->nseries, 4002, "distinct");
out:
	registry_free(reg);
}

TEST(registry_invalid_desc)
{
	static const double asc[] = { 1, 2 }, flat[] = { 1, 1 }, down[] = { 2, 1 };
	static const double inf[] = { 1, INFINITY };
	const struct metric_desc bad[] = {
		{ .name = NULL, .type = METRIC_GAUGE },
		{ .name = "", .type = METRIC_GAUGE },
		{ .name = "1abc", .type = METRIC_GAUGE },
		{ .name = "osiscope-dash", .type = METRIC_GAUGE },
		{ .name = "osiscope space", .type = METRIC_GAUGE },
		{ .name = "osiscope_no_suffix", .type = METRIC_COUNTER },
		{ .name = "osiscope_up", .type = (enum metric_type)7 },
		{ .name = "osiscope_h_seconds", .type = METRIC_HISTOGRAM },
		{ .name = "osiscope_h_seconds", .type = METRIC_HISTOGRAM, .bounds = asc },
		{ .name = "osiscope_h_seconds",
		  .type = METRIC_HISTOGRAM,
		  .bounds = flat,
		  .nbounds = 2 },
		{ .name = "osiscope_h_seconds",
		  .type = METRIC_HISTOGRAM,
		  .bounds = down,
		  .nbounds = 2 },
		{ .name = "osiscope_h_seconds",
		  .type = METRIC_HISTOGRAM,
		  .bounds = inf,
		  .nbounds = 2 },
		{ .name = "osiscope_h_seconds",
		  .type = METRIC_HISTOGRAM,
		  .bounds = asc,
		  .nbounds = 2,
		  .labels = { "le" } },
		{ .name = "osiscope_g", .type = METRIC_GAUGE, .labels = { "__name" } },
		{ .name = "osiscope_g", .type = METRIC_GAUGE, .labels = { "1x" } },
		{ .name = "osiscope_g", .type = METRIC_GAUGE, .labels = { "a:b" } },
		{ .name = "osiscope_g", .type = METRIC_GAUGE, .labels = { "" } },
		{ .name = "osiscope_g", .type = METRIC_GAUGE, .labels = { "a", "b", "a" } },
		{ .name = "osiscope_g",
		  .type = METRIC_GAUGE,
		  .labels = { "a", "b", "c", "d", "e", "f", "g" } },
		/* Already registered, or clashing with the histogram's own series. */
		{ .name = "osiscope_series_overflow_total", .type = METRIC_COUNTER },
		{ .name = "osiscope_ok_seconds", .type = METRIC_GAUGE },
		{ .name = "osiscope_ok_seconds_count", .type = METRIC_GAUGE },
		{ .name = "osiscope_rtt", .type = METRIC_HISTOGRAM, .bounds = asc, .nbounds = 2 },
	};
	const struct metric_desc good[] = {
		{ .name = "osiscope_ok_seconds",
		  .type = METRIC_HISTOGRAM,
		  .bounds = asc,
		  .nbounds = 2,
		  .labels = { "netns" } },
		{ .name = "osiscope_ok_sum_total", .type = METRIC_COUNTER },
		{ .name = "osiscope_rtt_count", .type = METRIC_GAUGE },
		{ .name = "ns:name_total", .type = METRIC_COUNTER, .labels = { "_a", "le" } },
		{ .name = "osiscope_six",
		  .type = METRIC_GAUGE,
		  .labels = { "a", "b", "c", "d", "e", "f" } },
	};
	struct registry *reg = registry_new(10);

	if (!ASSERT_OK_PTR(reg, "registry_new"))
		return;
	ASSERT_TRUE(registry_add(NULL, &good[0]) == NULL, "NULL registry");
	ASSERT_TRUE(registry_add(reg, NULL) == NULL, "NULL desc");
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (!ASSERT_OK_PTR(registry_add(reg, &good[i]), "good desc"))
			fprintf(stderr, "  good[%zu] %s\n", i, good[i].name);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!ASSERT_TRUE(registry_add(reg, &bad[i]) == NULL, "bad desc rejected"))
			fprintf(stderr, "  bad[%zu] %s\n", i, bad[i].name ? bad[i].name : "");
	}
	registry_free(reg);
	registry_free(NULL);
}

TEST(registry_drop_label_value)
{
	static const struct metric_desc c = { "t_drop_total", "h", METRIC_COUNTER, { "netns", "r", NULL } };
	static const struct metric_desc g = { "t_drop_gauge", "h", METRIC_GAUGE, { "netns", NULL } };
	static const struct metric_desc n = { "t_other_total", "h", METRIC_COUNTER, { "x", NULL } };
	struct registry *reg = registry_new(100);
	struct metric *mc, *mg, *mn;

	if (!ASSERT_OK_PTR(reg, "registry"))
		return;
	mc = registry_add(reg, &c);
	mg = registry_add(reg, &g);
	mn = registry_add(reg, &n);
	metric_counter_add(mc, (const char *[]){ "1", "a" }, 1);
	metric_counter_add(mc, (const char *[]){ "1", "b" }, 1);
	metric_counter_add(mc, (const char *[]){ "2", "a" }, 5);
	metric_gauge_set(mg, (const char *[]){ "1" }, 3);
	metric_gauge_set(mg, (const char *[]){ "2" }, 4);
	metric_counter_add(mn, (const char *[]){ "1" }, 1);
	ASSERT_EQ(registry_drop_label_value(reg, "netns", "1"), 3, "dropped series");
	ASSERT_EQ(mc->nseries, 1, "counter series left");
	ASSERT_STREQ(mc->first->values[0], "2", "the other namespace stays");
	ASSERT_EQ(mc->first->value, 5, "its value is untouched");
	ASSERT_EQ(mg->nseries, 1, "gauge series left");
	ASSERT_EQ(mn->nseries, 1, "a metric without the label is untouched");
	/* the freed slot and hash chain work: the label set comes back from zero */
	metric_counter_add(mc, (const char *[]){ "1", "a" }, 2);
	ASSERT_EQ(mc->nseries, 2, "recreated");
	ASSERT_EQ(mc->last->value, 2, "recreated from zero");
	registry_free(reg);
}

TEST(registry_drop_labels)
{
	static const struct metric_desc c = { "t_dev_total", "h", METRIC_COUNTER,
					      { "netns", "device", "dir", NULL } };
	static const struct metric_desc g = { "t_ns_gauge", "h", METRIC_GAUGE, { "netns", NULL } };
	const char *const keys[] = { "netns", "device" };
	struct registry *reg = registry_new(100);
	struct metric *mc, *mg;

	if (!ASSERT_OK_PTR(reg, "registry"))
		return;
	mc = registry_add(reg, &c);
	mg = registry_add(reg, &g);
	metric_counter_add(mc, (const char *[]){ "1", "eth0", "rx" }, 1);
	metric_counter_add(mc, (const char *[]){ "1", "eth0", "tx" }, 1);
	metric_counter_add(mc, (const char *[]){ "1", "eth1", "rx" }, 1);
	metric_counter_add(mc, (const char *[]){ "2", "eth0", "rx" }, 7);
	metric_gauge_set(mg, (const char *[]){ "1" }, 3);
	ASSERT_EQ(registry_drop_labels(reg, keys, (const char *[]){ "1", "eth0" }, 2), 2,
		  "both directions of eth0 in netns 1");
	ASSERT_EQ(mc->nseries, 2, "eth1 and the other namespace's eth0 stay");
	ASSERT_EQ(mg->nseries, 1, "a metric without the device label is untouched");
	ASSERT_EQ(registry_drop_labels(reg, keys, (const char *[]){ "3", "eth0" }, 2), 0,
		  "nothing matches");
	registry_free(reg);
}

struct visit {
	struct strbuf sb; /* "name{label=value,...} value" per series */
	int calls;
	int stop_after; /* 0: never */
};

static int visit_series(void *ctx, const struct series_view *s)
{
	struct visit *v = ctx;

	strbuf_printf(&v->sb, "%s%s{", v->calls ? "; " : "", s->name);
	for (unsigned int i = 0; i < s->nlabels; i++)
		strbuf_printf(&v->sb, "%s%s=%s", i ? "," : "", s->label_names[i],
			      s->label_values[i]);
	strbuf_printf(&v->sb, "} %g", s->value);
	if (s->type == METRIC_HISTOGRAM)
		strbuf_printf(&v->sb, " sum %g", s->sum);
	v->calls++;
	return v->calls == v->stop_after ? 42 : 0;
}

TEST(registry_each_series)
{
	static const struct metric_desc c = {
		"t_conn_total", "h", METRIC_COUNTER, { "netns", "result", NULL }
	};
	static const struct metric_desc g = { "t_sockets", "h", METRIC_GAUGE, { "state", NULL } };
	static const struct metric_desc n = { "t_plain_total", "h", METRIC_COUNTER };
	static const double bounds[] = { 1, 2 };
	const struct metric_desc h = { .name = "t_wait_seconds",
				       .type = METRIC_HISTOGRAM,
				       .labels = { "netns" },
				       .bounds = bounds,
				       .nbounds = 2 };
	struct registry *reg = registry_new(100);
	struct metric *mc, *mg, *mn, *mh;
	struct visit v = { .calls = 0 };

	strbuf_init(&v.sb);
	if (!ASSERT_OK_PTR(reg, "registry"))
		return;
	mc = registry_add(reg, &c);
	mg = registry_add(reg, &g);
	mn = registry_add(reg, &n);
	mh = registry_add(reg, &h);
	if (!ASSERT_TRUE(mc && mg && mn && mh, "registry_add"))
		goto out;
	metric_counter_add(mc, (const char *[]){ "1", "refused" }, 3);
	metric_counter_add(mc, (const char *[]){ "2", "ok" }, 1);
	metric_counter_add(mc, (const char *[]){ "1", "refused" }, 2);
	metric_counter_add(mn, NULL, 7);
	metric_hist_add(mh, (const char *[]){ "1" }, (const uint64_t[]){ 1, 2, 3 }, 9.5);

	ASSERT_OK(registry_each_series(reg, "t_conn_total", visit_series, &v), "walk");
	ASSERT_STREQ(v.sb.buf,
		     "t_conn_total{netns=1,result=refused} 5; t_conn_total{netns=2,result=ok} 1",
		     "every series in the order it appeared");

	/* a gauge shows what was set in the current cycle only */
	metric_gauge_set(mg, (const char *[]){ "established" }, 4);
	metric_gauge_set(mg, (const char *[]){ "time_wait" }, 2);
	metric_gauge_reset(mg);
	metric_gauge_set(mg, (const char *[]){ "time_wait" }, 1);
	metric_gauge_reset(mg);
	metric_gauge_set(mg, (const char *[]){ "established" }, 6);
	strbuf_reset(&v.sb);
	v.calls = 0;
	ASSERT_OK(metric_each_series(mg, visit_series, &v), "gauge walk");
	ASSERT_STREQ(v.sb.buf, "t_sockets{state=established} 6", "gauges of this cycle");

	strbuf_reset(&v.sb);
	v.calls = 0;
	ASSERT_OK(registry_each_series(reg, "t_plain_total", visit_series, &v), "no labels");
	ASSERT_OK(registry_each_series(reg, "t_wait_seconds", visit_series, &v), "histogram");
	ASSERT_STREQ(v.sb.buf, "t_plain_total{} 7; t_wait_seconds{netns=1} 6 sum 9.5",
		     "no labels; a histogram's count and sum");

	strbuf_reset(&v.sb);
	v.calls = 0;
	v.stop_after = 1;
	ASSERT_EQ(registry_each_series(reg, "t_conn_total", visit_series, &v), 42,
		  "fn's return stops the walk");
	ASSERT_EQ(v.calls, 1, "one call");
	ASSERT_EQ(registry_each_series(reg, "t_nope_total", visit_series, &v), -ENOENT,
		  "no such metric");
	ASSERT_EQ(registry_each_series(NULL, "t_conn_total", visit_series, &v), -ENOENT,
		  "no registry");
out:
	strbuf_free(&v.sb);
	registry_free(reg);
}

static int visit_labels(void *ctx, const struct series_view *s)
{
	struct visit *v = ctx;
	const char *r = series_label(s, "result"), *x = series_label(s, "nope");

	strbuf_printf(&v->sb, "%s%s/%s/%s", v->calls++ ? "; " : "", series_label(s, "netns"),
		      r ? r : "(none)", x ? x : "(none)");
	return 0;
}

TEST(registry_series_label)
{
	static const struct metric_desc c = {
		"t_conn_total", "h", METRIC_COUNTER, { "netns", "result", NULL }
	};
	struct registry *reg = registry_new(3);
	struct visit v = { .calls = 0 };
	struct metric *m;

	strbuf_init(&v.sb);
	if (!ASSERT_OK_PTR(reg, "registry"))
		return;
	m = registry_add(reg, &c);
	metric_counter_add(m, (const char *[]){ "1", "refused" }, 1);
	metric_counter_add(m, (const char *[]){ "2", "ok" }, 1);
	/* past the budget of 3: the fold is visited too, with its _other values */
	metric_counter_add(m, (const char *[]){ "3", "ok" }, 1);
	metric_counter_add(m, (const char *[]){ "4", "ok" }, 1);
	ASSERT_OK(metric_each_series(m, visit_labels, &v), "walk");
	ASSERT_STREQ(v.sb.buf, "1/refused/(none); 2/ok/(none); _other/_other/(none)",
		     "labels by name");
	strbuf_free(&v.sb);
	registry_free(reg);
}
