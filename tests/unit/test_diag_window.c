// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* diagnose's rolling window (user/diag_window.c) and the agent URL parser. */
#include <errno.h>
#include <stdlib.h>

#include "diag_client.h"
#include "diag_window.h"
#include "test.h"

#define SEC 1000000000ULL

TEST(diag_window_ring_drops_oldest)
{
	struct diag_window w;
	struct diag_event e = { 0 }, *out;
	long n;

	if (!ASSERT_OK(diag_window_init(&w, 3, 0), "init"))
		return;
	for (int i = 1; i <= 5; i++) {
		e.ts_ns = (uint64_t)i * SEC;
		diag_window_add(&w, &e);
	}
	ASSERT_EQ(w.dropped, 2, "the two oldest pushed out, counted");
	n = diag_window_since(&w, 0, &out);
	if (ASSERT_EQ(n, 3, "three kept") && n == 3) {
		ASSERT_EQ(out[0].ts_ns, 3 * SEC, "oldest kept first");
		ASSERT_EQ(out[2].ts_ns, 5 * SEC, "newest last");
	}
	free(out);
	n = diag_window_since(&w, 4 * SEC, &out);
	ASSERT_EQ(n, 2, "since 4 s");
	free(out);
	diag_window_free(&w);
	/* a window of no event only counts */
	ASSERT_OK(diag_window_init(&w, 0, 0), "init 0");
	diag_window_add(&w, &e);
	ASSERT_EQ(w.dropped, 1, "cap 0: dropped");
	ASSERT_EQ(diag_window_since(&w, 0, &out), 0, "cap 0: nothing");
	diag_window_free(&w);
}

TEST(diag_window_counter_deltas)
{
	struct diag_window w;
	struct diag_count c[4];

	if (!ASSERT_OK(diag_window_init(&w, 1, 0), "init"))
		return;
	diag_window_count(&w, 7, "no_route_ipv4", 0, 1 * SEC);
	diag_window_count(&w, 7, "no_route_ipv4", 5, 10 * SEC);
	diag_window_count(&w, 7, "no_route_ipv4", 5, 20 * SEC); /* unchanged: not kept */
	diag_window_count(&w, 7, "no_route_ipv4", 9, 30 * SEC);
	ASSERT_EQ(diag_window_counts(&w, 0, c, 4), 1, "one counter");
	ASSERT_EQ(c[0].delta, 9, "since the start");
	diag_window_counts(&w, 15 * SEC, c, 4);
	ASSERT_EQ(c[0].delta, 4, "since 15 s: from the value noted at 10 s");
	ASSERT_EQ(diag_window_counts(&w, 31 * SEC, c, 4), 0, "nothing since 31 s");
	diag_window_free(&w);
}

TEST(diag_client_urls)
{
	char host[64], port[8];

	ASSERT_OK(diag_client_parse_url("http://127.0.0.1:10700", host, sizeof(host), port,
					sizeof(port)),
		  "v4");
	ASSERT_STREQ(host, "127.0.0.1", "v4 host");
	ASSERT_STREQ(port, "10700", "v4 port");
	ASSERT_OK(diag_client_parse_url("http://[::1]:9/", host, sizeof(host), port, sizeof(port)),
		  "v6");
	ASSERT_STREQ(host, "::1", "v6 host");
	ASSERT_STREQ(port, "9", "v6 port");
	ASSERT_OK(diag_client_parse_url("http://agent", host, sizeof(host), port, sizeof(port)),
		  "no port");
	ASSERT_STREQ(port, "80", "default port");
	ASSERT_EQ(diag_client_parse_url("https://x:1", host, sizeof(host), port, sizeof(port)),
		  -EINVAL, "https refused");
	ASSERT_EQ(diag_client_parse_url("http://x:1a", host, sizeof(host), port, sizeof(port)),
		  -EINVAL, "bad port");
	ASSERT_EQ(diag_client_parse_url("http://[::1", host, sizeof(host), port, sizeof(port)),
		  -EINVAL, "open bracket");
	ASSERT_EQ(diag_client_parse_url("http://:80", host, sizeof(host), port, sizeof(port)),
		  -EINVAL, "no host");
}
