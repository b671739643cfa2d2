// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdlib.h>

#include "../../user/config.h"
#include "collector.h"
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

static char *usage_text(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	config_usage(f);
	fclose(f);
	return buf;
}

TEST(config_help_lists_every_option)
{
	char *help = usage_text(), flags[64], line[80];
	size_t n = 0;

	if (!ASSERT_OK_PTR(help, "usage text"))
		return;
	for (; config_option_flags(n, flags, sizeof(flags)); n++) {
		snprintf(line, sizeof(line), "\n  %s", flags);
		ASSERT_CONTAINS(help, line, "option listed in --help");
		ASSERT_TRUE(strstr(help, line) == strstr(strstr(help, "\nOptions:\n"), line),
			    "listed under Options");
	}
	ASSERT_TRUE(n >= 20, "every option of today is in the table");
	ASSERT_CONTAINS(help, "\n  -o, --output=FORMAT   trace: columns", "help in column 24");
	ASSERT_CONTAINS(help, "\n  --tls.data-path=off|on\n                        probe SSL_read",
			"a leading line break puts the help under its flags");
	ASSERT_CONTAINS(help, "\n  --web.listen-address=[HOST]:PORT  where",
			"two spaces after flags too wide for the column");
	free(help);
}

TEST(config_help_lists_built_collectors)
{
	char *help = usage_text(), built[128] = "Built in this version: ", planned[128] = "";

	if (!ASSERT_OK_PTR(help, "usage text"))
		return;
	for (size_t c = 0; c < collectors_count(); c++) {
		char *list = collector_at(c)->open ? built : planned;
		size_t n = strlen(list);

		snprintf(list + n, sizeof(built) - n, "%s%s", n && list[n - 1] != ' ' ? " " : "",
			 collector_at(c)->name);
	}
	ASSERT_CONTAINS(help, built, "built collectors");
	if (planned[0]) {
		ASSERT_CONTAINS(help, "Planned (osiscope_layer_up 0 when asked for): ",
				"planned collectors");
		ASSERT_CONTAINS(help, planned, "planned collectors");
	}
	free(help);
}

/* Each kind of option refuses what it cannot take, in words tests/scenario and users
 * already rely on. */
TEST(config_errors_by_kind)
{
	static const struct {
		const char *arg[3];
		const char *err;
	} cases[] = {
		{ { "--bogus" }, "unknown option '--bogus'" },
		{ { "frobnicate" }, "unknown command 'frobnicate'" },
		{ { "--verbose=1" }, "unknown option '--verbose=1'" },
		{ { "-vv" }, "unknown option '-vv'" },
		/* whole numbers */
		{ { "--metrics.series-budget=1" },
		  "--metrics.series-budget: want a whole number from 2 to 10000000" },
		{ { "--events.rate=1000001" },
		  "--events.rate: want a whole number from 0 to 1000000" },
		{ { "--events.rate" }, "--events.rate: want a whole number from 0 to 1000000" },
		{ { "trace", "-p", "12abc" }, "-p: want a process id" },
		{ { "trace", "--netns=0" },
		  "--netns: want a namespace inode number (readlink /proc/PID/ns/net)" },
		/* seconds */
		{ { "--dns.timeout=0.001" },
		  "--dns.timeout: want seconds from 0.01 to 3600, e.g. 5 or 1.5" },
		{ { "trace", "--duration", "nan" }, "--duration: want seconds, e.g. 30 or 2.5" },
		/* names */
		{ { "--log.level=loud" }, "--log.level=loud: want debug, info, warn or error" },
		{ { "--log.format", "xml" }, "--log.format=xml: want logfmt or json" },
		{ { "--bpf.stats=maybe" }, "--bpf.stats=maybe: want off, sampled or on" },
		{ { "--bpf.attach=kprobe" },
		  "--bpf.attach=kprobe: want auto, tp_btf, raw_tp or tracepoint" },
		{ { "--log.level" }, "--log.level needs a value" },
		{ { "--tls.data-path=yes" }, "--tls.data-path: want off or on" },
		{ { "--link.tc=tcx" }, "--link.tc: want on, off or classic" },
		/* strings */
		{ { "--web.listen-address=nohost" },
		  "--web.listen-address=nohost: want [HOST]:PORT" },
		{ { "--web.listen-address=" }, "--web.listen-address needs [HOST]:PORT" },
		{ { "--link.xdp=" }, "--link.xdp: want device names, e.g. eth0,eth1" },
		{ { "--link.xdp=eth0,,eth1" },
		  "--link.xdp=eth0,,eth1: a device name is 1 to 15 characters" },
		/* repeatable layers, collectors, output formats */
		{ { "trace", "-l", "l9" }, "-l l9: unknown layer (a collector name or l1 to l7)" },
		{ { "--collector.nonsense" },
		  "--collector.nonsense: unknown collector 'nonsense'" },
		{ { "trace", "-o", "yaml" }, "-o yaml: want columns or json" },
		{ { "probe", "-ocolumns" }, "-o columns: want text or json" },
		/* options of other commands */
		{ { "run", "-p", "1" }, "-p: only for trace" },
		{ { "--duration=1" }, "--duration: only for trace and diagnose" },
		{ { "trace", "--no-collector.tcp" },
		  "--no-collector.tcp: only for run and diagnose" },
		{ { "probe", "--web.listen-address=:1" }, "--web.listen-address: only for run" },
		{ { "probe", "--dns.timeout=5" }, "--dns.timeout: not an option of probe" },
		{ { "run", "-o", "json" }, "-o: not an option of run" },
		/* a missing value comes before the command check only where it has its words */
		{ { "run", "-o" }, "-o needs a format" },
		{ { "run", "-l" }, "-l needs a layer" },
		{ { "run", "-p" }, "-p: only for trace" },
	};
	struct config c;
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		ASSERT_ERR(parse(&c, err, cases[i].arg[0], cases[i].arg[1], cases[i].arg[2]),
			   cases[i].err);
		ASSERT_STREQ(err, cases[i].err, "error message");
	}
}

/* --x=v, --x v, -x v and -xv are one option */
TEST(config_value_forms)
{
	static const char *const forms[][4] = {
		{ "--pid=42", "--pid 42", "-p 42", "-p42" },
		{ "--output=json", "--output json", "-o json", "-ojson" },
		{ "--layer=l2", "--layer l2", "-l l2", "-ll2" },
		{ "--netns=7", "--netns 7", NULL, NULL },
		{ "--duration=1.5s", "--duration 1.5s", NULL, NULL },
		{ "--link.tc=classic", "--link.tc classic", NULL, NULL },
		{ "--bpf.attach=raw_tp", "--bpf.attach raw_tp", NULL, NULL },
	};
	struct config first, c;
	char err[256], buf[64];

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		for (size_t k = 0; k < 4 && forms[i][k]; k++) {
			char *val;

			snprintf(buf, sizeof(buf), "%s", forms[i][k]);
			val = strchr(buf, ' ');
			if (val)
				*val++ = '\0';
			if (!ASSERT_OK(parse(k ? &c : &first, err, "trace", buf, val), forms[i][k]))
				continue;
			if (k)
				ASSERT_TRUE(!memcmp(&first, &c, sizeof(c)), forms[i][k]);
		}
	}
	ASSERT_OK(parse(&c, err, "trace", "--link.tc=classic", NULL), "classic");
	ASSERT_TRUE(c.link_tc && c.link_tc_classic, "classic is tc on, without tcx links");
	ASSERT_OK(parse(&c, err, "--bpf.attach=auto", NULL, NULL), "auto");
	ASSERT_EQ(c.attach, ATTACH_TP_BTF, "auto is tp_btf");
	ASSERT_OK(parse(&c, err, "trace", "-l", "tcp"), "one layer");
	ASSERT_OK(parse(&c, err, "trace", "-ltcp", "--layer=dns"), "two layers");
	ASSERT_EQ(c.trace_layers, bit("tcp") | bit("dns"), "layers add up");
}

TEST(config_kubernetes)
{
	struct config c;
	char err[256];

	ASSERT_OK(parse(&c, err, NULL, NULL, NULL), "defaults");
	ASSERT_EQ(c.kubernetes, K8S_AUTO, "auto by default");
	ASSERT_OK(parse(&c, err, "--kubernetes=off", "--kubernetes.root=/host", NULL), "off, root");
	ASSERT_EQ(c.kubernetes, K8S_OFF, "off");
	ASSERT_STREQ(c.k8s_root, "/host", "root");
	ASSERT_ERR(parse(&c, err, "--kubernetes=maybe", NULL, NULL), "bad mode");
	ASSERT_STREQ(err, "--kubernetes=maybe: want auto, off or on", "bad mode error");
	ASSERT_OK(parse(&c, err, "trace", "--pod", "shop/web-0"), "trace --pod");
	ASSERT_STREQ(c.trace_pod_namespace, "shop", "pod's namespace");
	ASSERT_STREQ(c.trace_pod, "web-0", "pod's name");
	ASSERT_OK(parse(&c, err, "trace", "--namespace=shop", "--pod=shop/web-0"), "both agree");
	ASSERT_ERR(parse(&c, err, "trace", "--namespace=shop", "--pod=kube-system/x"), "disagree");
	ASSERT_CONTAINS(err, "not in --namespace shop", "disagree error");
	ASSERT_ERR(parse(&c, err, "trace", "--pod=kube-system/x", "--namespace=shop"),
		   "disagree, namespace last");
	ASSERT_ERR(parse(&c, err, "trace", "--namespace=default", "--pod=def/x"),
		   "a prefix of the namespace is another namespace");
	ASSERT_ERR(parse(&c, err, "trace", "--pod", "web-0"), "no namespace");
	ASSERT_CONTAINS(err, "want NAMESPACE/NAME", "no namespace error");
	ASSERT_ERR(parse(&c, err, "trace", "--pod", "a/b/c"), "two slashes");
	ASSERT_ERR(parse(&c, err, "trace", "--namespace", "a/b"), "slash in namespace");
	ASSERT_ERR(parse(&c, err, "run", "--pod", "a/b"), "--pod is trace's");
	ASSERT_STREQ(err, "--pod: only for trace", "--pod on run");
}
