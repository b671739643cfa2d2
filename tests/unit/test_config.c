// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "../../user/config.h"
#include "layer.h"
#include "test.h"

/* The collector's bit in config.collectors */
static unsigned int bit(const char *name)
{
	int c = collector_from_name(name);

	return c < 0 ? 0 : 1u << c;
}

static int parse(struct config *cfg, char *err, const char *a1, const char *a2, const char *a3)
{
	char *argv[5] = { "osiscope", (char *)a1, (char *)a2, (char *)a3, NULL };
	int argc = 1 + !!a1 + !!a2 + !!a3;

	return config_parse(argc, argv, cfg, err, 256);
}

TEST(config_defaults)
{
	struct config c;
	char err[256];

	if (!ASSERT_OK(parse(&c, err, NULL, NULL, NULL), "no arguments"))
		return;
	ASSERT_EQ(c.cmd, CMD_RUN, "default command");
	ASSERT_STREQ(c.listen, ":10700", "default listen address");
	unsigned int built = 0;

	for (size_t i = 0; i < collectors_count(); i++)
		if (collector_at(i)->open)
			built |= 1u << i;
	ASSERT_TRUE(built & (bit("tcp")), "tcp is built");
	ASSERT_EQ(c.collectors, built, "every built collector on by default");
	ASSERT_EQ(c.series_budget, 2000, "series budget");
	ASSERT_EQ(c.bpf_stats, BPF_STATS_SAMPLED, "bpf stats sampled by default");
	ASSERT_EQ(c.log_level, LOG_INFO, "log level");
}

TEST(config_run_flags)
{
	struct config c;
	char err[256];

	ASSERT_OK(parse(&c, err, "run", "--web.listen-address=127.0.0.1:9100", "--log.level=debug"),
		  "run flags");
	ASSERT_STREQ(c.listen, "127.0.0.1:9100", "listen");
	ASSERT_EQ(c.log_level, LOG_DEBUG, "debug");
	ASSERT_OK(parse(&c, err, "--web.listen-address", "[::1]:9100", NULL), "separate value");
	ASSERT_STREQ(c.listen, "[::1]:9100", "listen v6");
	ASSERT_OK(parse(&c, err, "--no-collector.tcp", "--no-collector.dns", NULL), "collectors off");
	ASSERT_TRUE(!(c.collectors & (bit("tcp") | bit("dns"))), "tcp and dns off");
	ASSERT_OK(parse(&c, err, "--no-collector.tcp", "--collector.tcp", NULL), "off, then on");
	ASSERT_TRUE(c.collectors & (bit("tcp")), "the last one wins");
	ASSERT_OK(parse(&c, err, "--log.format=json", "--bpf.stats=off", "-v"), "format, stats, -v");
	ASSERT_EQ(c.log_format, LOG_JSON, "json logs");
	ASSERT_EQ(c.bpf_stats, BPF_STATS_OFF, "stats off");
	ASSERT_EQ(c.verbose, 1, "verbose");
}

TEST(config_trace_flags)
{
	struct config c;
	char err[256];
	char *argv[] = { "osiscope", "trace", "-l", "tcp", "-ojson", "-p", "42", "--netns=4026531840",
			 "--duration", "2.5s", NULL };

	if (!ASSERT_OK(config_parse(10, argv, &c, err, sizeof(err)), "trace"))
		return;
	ASSERT_EQ(c.cmd, CMD_TRACE, "trace command");
	ASSERT_EQ(c.trace_layers, bit("tcp"), "layer");
	ASSERT_EQ(c.output, OUT_JSON, "json");
	ASSERT_EQ(c.pid, 42, "pid");
	ASSERT_EQ(c.netns, 4026531840ULL, "netns");
	ASSERT_TRUE(c.duration == 2.5, "duration 2.5 s");
	ASSERT_OK(parse(&c, err, "trace", "-l", "l4"), "OSI layer name");
	ASSERT_EQ(c.trace_layers, bit("tcp") | bit("udp"), "l4 is tcp and udp");
	ASSERT_OK(parse(&c, err, "trace", "-l", "l2"), "OSI layer 2");
	ASSERT_EQ(c.trace_layers, bit("link") | bit("neigh"), "l2 is link and neigh");
	ASSERT_ERR(parse(&c, err, "trace", "-l", "l8"), "no OSI layer 8");
	ASSERT_OK(parse(&c, err, "trace", NULL, NULL), "trace defaults");
	ASSERT_EQ(c.output, OUT_COLUMNS, "columns by default");
	ASSERT_OK(parse(&c, err, "diagnose", NULL, NULL), "diagnose");
	ASSERT_TRUE(c.duration == 10, "diagnose watches 10 s by default");
	ASSERT_EQ(c.output, OUT_TEXT, "text by default");
}

TEST(config_rejects)
{
	static const char *const bad[][3] = {
		{ "--bogus", NULL, NULL },
		{ "frobnicate", NULL, NULL },
		{ "--web.listen-address=nohost", NULL, NULL },
		{ "--web.listen-address", NULL, NULL },
		{ "--log.level=loud", NULL, NULL },
		{ "--log.format=xml", NULL, NULL },
		{ "--collector.nonsense", NULL, NULL },
		{ "--metrics.series-budget=12x", NULL, NULL },
		{ "--metrics.series-budget=-5", NULL, NULL },
		{ "--metrics.series-budget=1", NULL, NULL },
		{ "--events.rate=99999999999", NULL, NULL },
		{ "--bpf.stats=maybe", NULL, NULL },
		{ "trace", "-p", "0" },
		{ "trace", "-p", "12abc" },
		{ "trace", "-p", NULL },
		{ "trace", "--netns=-1", NULL },
		{ "trace", "--duration=-1", NULL },
		{ "trace", "--duration=nan", NULL },
		{ "trace", "-o", "yaml" },
		{ "trace", "-l", "l9" },
		{ "probe", "-o", "columns" },
		{ "run", "-p", "1" },
		{ "run", "-o", "json" },
		{ "probe", "--web.listen-address=:1", NULL },
	};
	struct config c;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (!ASSERT_ERR(parse(&c, err, bad[i][0], bad[i][1], bad[i][2]), bad[i][0]))
			fprintf(stderr, "    accepted: %s %s %s\n", bad[i][0], bad[i][1] ? bad[i][1] : "",
				bad[i][2] ? bad[i][2] : "");
		ASSERT_TRUE(err[0] != '\0', "a reason is given");
	}
}

TEST(config_help_version)
{
	struct config c;
	char err[256];

	ASSERT_OK(parse(&c, err, "--help", NULL, NULL), "--help");
	ASSERT_EQ(c.cmd, CMD_HELP, "help");
	ASSERT_OK(parse(&c, err, "trace", "-h", NULL), "trace -h");
	ASSERT_EQ(c.cmd, CMD_HELP, "help from a command");
	ASSERT_OK(parse(&c, err, "--version", NULL, NULL), "--version");
	ASSERT_EQ(c.cmd, CMD_VERSION, "version");
}
