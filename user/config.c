// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "config.h"
#include "layer.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool collector_implemented(int c)
{
	const struct collector_desc *d = collector_at((size_t)c);

	return d && d->open;
}

int collector_from_name(const char *name)
{
	for (size_t i = 0; i < collectors_count(); i++)
		if (!strcmp(name, collector_at(i)->name))
			return (int)i;
	return -1;
}

unsigned int collector_mask_from_name(const char *name)
{
	unsigned int mask = 0;
	int c = collector_from_name(name);

	if (c >= 0)
		return 1u << c;
	/* an OSI layer: the collectors that see it (drop reasons, every layer's, are asked
	 * for as -l drop) */
	if (name[0] == 'l' && name[1] >= '1' && name[1] <= '7' && !name[2])
		for (size_t i = 0; i < collectors_count(); i++)
			if (collector_at(i)->layers & (1u << (name[1] - '0')))
				mask |= 1u << i;
	return mask;
}

static void built_list(char *out, size_t len, bool built)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t c = 0; c < collectors_count() && o < len; c++)
		if (collector_implemented((int)c) == built)
			o += (size_t)snprintf(out + o, len - o, "%s%s", o ? " " : "",
					      collector_at(c)->name);
}

void config_usage(FILE *f)
{
	char built[96], planned[96];

	built_list(built, sizeof(built), true);
	built_list(planned, sizeof(planned), false);
	fprintf(f,
		"Usage:\n"
		"  osiscope [run] [--web.listen-address=[HOST]:PORT] [--collector.NAME | --no-collector.NAME]\n"
		"                 [--log.level=debug|info|warn|error] [--log.format=logfmt|json] [-v]\n"
		"                 [--metrics.series-budget=N] [--events.rate=N] [--bpf.stats=off|sampled|on]\n"
		"                 [--bpf.attach=auto|tp_btf|raw_tp|tracepoint] [--dns.timeout=S]\n"
		"                 [--link.tc=on|off|classic] [--link.xdp=DEV[,DEV]...]\n"
		"                 [--tls.data-path=off|on]\n"
		"  osiscope trace    [-l LAYER]... [-o columns|json] [-p PID] [--netns INODE] [--duration S]\n"
		"  osiscope diagnose [--duration S] [-o text|json]\n"
		"  osiscope probe    [-o text|json]\n"
		"  osiscope --version | --help\n"
		"\n"
		"Commands:\n"
		"  run       load the collectors and serve /metrics, /-/ready, /-/healthy (default)\n"
		"  trace     stream notable events (resets, refused connects, drops, neighbour\n"
		"            failures, failed handshakes, DNS errors...) as columns or JSON lines\n"
		"  diagnose  watch for a while, then print a per-layer health report\n"
		"  probe     print which hooks and layers work on this kernel, and why not\n"
		"\n"
		"Options:\n"
		"  --web.listen-address=[HOST]:PORT  where to serve HTTP (default :10700)\n"
		"  --collector.NAME, --no-collector.NAME\n"
		"                        enable or disable a collector: link neigh route drop tcp udp\n"
		"                        tls dns. Built in this version: %s%s%s%s\n"
		"  --log.level=LEVEL     debug, info (default), warn or error\n"
		"  --log.format=FORMAT   logfmt (default) or json, on stderr\n"
		"  -v, --verbose         also show libbpf's own debug output\n"
		"  --metrics.series-budget=N\n"
		"                        most series per metric before folding into _other (default 2000)\n"
		"  --events.rate=N       most events per second per CPU sent to userspace (default 1000)\n"
		"  --bpf.stats=MODE      kernel BPF run-time statistics behind\n"
		"                        osiscope_bpf_program_run_seconds_total: off, sampled (default:\n"
		"                        on 1 s in every 30 s) or on (always; costs every BPF program on\n"
		"                        the host two clock reads per run)\n"
		"  --bpf.attach=MODE     cheapest hook flavour to use: auto (= tp_btf), raw_tp or\n"
		"                        tracepoint; a flavour the kernel lacks falls back to the next\n"
		"  --dns.timeout=S       a DNS query unanswered for S seconds is a timeout (default 5)\n"
		"  --link.tc=MODE        tc programs on every device for the protocol mix and\n"
		"                        broadcast/multicast counts: on (default: tcx links where the\n"
		"                        kernel has them, 6.6+, else clsact filters), classic (clsact\n"
		"                        filters only) or off; they sit beside any other tc program,\n"
		"                        never replacing one\n"
		"  --link.xdp=DEV,...    also count in XDP on these devices (opt-in; a device that\n"
		"                        already has an XDP program is left alone)\n"
		"  --tls.data-path=off|on\n"
		"                        probe SSL_read/SSL_write for bytes per TLS connection (default\n"
		"                        off: each call then costs microseconds; payload never read)\n"
		"  -l, --layer=LAYER     trace: only this collector (tcp, dns...) or OSI layer (l1...l7);\n"
		"                        repeatable\n"
		"  -o, --output=FORMAT   trace: columns (default) or json; diagnose, probe: text or json\n"
		"  -p, --pid=PID         trace: only events of this process\n"
		"  --netns=INODE         trace: only this network namespace (readlink /proc/PID/ns/net)\n"
		"  --duration=S          trace, diagnose: stop after S seconds (diagnose default 10)\n"
		"  -h, --help            this text\n"
		"  --version             version and build\n",
		built, planned[0] ? ".\n                        Planned (osiscope_layer_up 0 when asked for): " : "",
		planned, "");
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return -1;
	if (*end == 's' && end[1] == '\0')
		end++;
	if (*end)
		return -1;
	*out = v;
	return 0;
}

/* Matches "--name=value", "--name value" and, for short, "-x value" / "-xvalue".
 * Returns 1 when matched (value set, *i advanced past a separate value), 0 when not
 * this option, -1 when the value is missing. */
static int take_opt(int argc, char **argv, int *i, const char *lng, const char *shrt,
		    const char **value)
{
	const char *a = argv[*i];
	size_t n = strlen(lng);

	if (!strncmp(a, lng, n) && (a[n] == '=' || a[n] == '\0')) {
		if (a[n] == '=') {
			*value = a + n + 1;
			return 1;
		}
	} else if (shrt && !strncmp(a, shrt, 2)) {
		if (a[2]) {
			*value = a + 2;
			return 1;
		}
	} else {
		return 0;
	}
	if (*i + 1 >= argc)
		return -1;
	*value = argv[++*i];
	return 1;
}

static void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->cmd = CMD_RUN;
	snprintf(cfg->listen, sizeof(cfg->listen), ":10700");
	for (size_t c = 0; c < collectors_count(); c++)
		if (collector_implemented((int)c))
			cfg->collectors |= 1u << c;
	cfg->log_level = LOG_INFO;
	cfg->log_format = LOG_LOGFMT;
	cfg->series_budget = 2000;
	cfg->events_per_sec = 1000;
	cfg->bpf_stats = BPF_STATS_SAMPLED;
	cfg->dns_timeout = 5;
	cfg->link_tc = true;
	cfg->output = OUT_DEFAULT;
}

int config_parse(int argc, char **argv, struct config *cfg, char *err, size_t errlen)
{
	unsigned long long u;
	const char *v;
	int i = 1, r;

	config_defaults(cfg);
	if (i < argc && argv[i][0] != '-') {
		if (!strcmp(argv[i], "run"))
			cfg->cmd = CMD_RUN;
		else if (!strcmp(argv[i], "trace"))
			cfg->cmd = CMD_TRACE;
		else if (!strcmp(argv[i], "diagnose"))
			cfg->cmd = CMD_DIAGNOSE;
		else if (!strcmp(argv[i], "probe"))
			cfg->cmd = CMD_PROBE;
		else
			return fail(err, errlen, "unknown command '%s'", argv[i]);
		i++;
	}
	if (cfg->cmd == CMD_DIAGNOSE)
		cfg->duration = 10;

	for (; i < argc; i++) {
		const char *a = argv[i];
		bool run = cfg->cmd == CMD_RUN, trace = cfg->cmd == CMD_TRACE;
		bool diag = cfg->cmd == CMD_DIAGNOSE, probe = cfg->cmd == CMD_PROBE;

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			cfg->cmd = CMD_HELP;
			return 0;
		}
		if (!strcmp(a, "--version")) {
			cfg->cmd = CMD_VERSION;
			return 0;
		}
		if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			cfg->verbose = 1;
			continue;
		}
		if (!strncmp(a, "--collector.", 12) || !strncmp(a, "--no-collector.", 15)) {
			bool on = a[2] != 'n';
			const char *name = a + (on ? 12 : 15);
			int c = collector_from_name(name);

			if (!run && !diag)
				return fail(err, errlen, "%s: only for run and diagnose", a);
			if (c < 0)
				return fail(err, errlen, "%s: unknown collector '%s'", a, name);
			if (on)
				cfg->collectors |= 1u << c;
			else
				cfg->collectors &= ~(1u << c);
			continue;
		}
		if ((r = take_opt(argc, argv, &i, "--web.listen-address", NULL, &v))) {
			if (r < 0 || !*v)
				return fail(err, errlen, "--web.listen-address needs [HOST]:PORT");
			if (!run)
				return fail(err, errlen, "--web.listen-address: only for run");
			if (strlen(v) >= sizeof(cfg->listen) || !strrchr(v, ':'))
				return fail(err, errlen, "--web.listen-address=%s: want [HOST]:PORT",
					    v);
			snprintf(cfg->listen, sizeof(cfg->listen), "%s", v);
			continue;
		}
		if ((r = take_opt(argc, argv, &i, "--log.level", NULL, &v))) {
			static const char *const lv[] = { "debug", "info", "warn", "error" };
			int k;

			if (r < 0)
				return fail(err, errlen, "--log.level needs a value");
			for (k = 0; k < 4 && strcmp(v, lv[k]); k++)
				;
			if (k == 4)
				return fail(err, errlen,
					    "--log.level=%s: want debug, info, warn or error", v);
			cfg->log_level = (enum log_level)k;
			continue;
		}
		if ((r = take_opt(argc, argv, &i, "--log.format", NULL, &v))) {
			if (r < 0)
				return fail(err, errlen, "--log.format needs a value");
			if (!strcmp(v, "logfmt"))
				cfg->log_format = LOG_LOGFMT;
			else if (!strcmp(v, "json"))
				cfg->log_format = LOG_JSON;
			else
				return fail(err, errlen, "--log.format=%s: want logfmt or json", v);
			continue;
		}
		if ((r = take_opt(argc, argv, &i, "--metrics.series-budget", NULL, &v))) {
			if (r < 0 || parse_uint(v, 10000000, &u) || u < 2)
				return fail(err, errlen,
					    "--metrics.series-budget: want a whole number from 2 to 10000000");
			cfg->series_budget = (unsigned int)u;
			continue;
		}
		if ((r = take_opt(argc, argv, &i, "--events.rate", NULL, &v))) {
			if (r < 0 || parse_uint(v, 1000000, &u))
				return fail(err, errlen,
					    "--events.rate: want a whole number from 0 to 1000000");
			cfg->events_per_sec = (unsigned int)u;
			continue;
		}
		if ((r = take_opt(argc, argv, &i, "--bpf.stats", NULL, &v))) {
			if (r < 0)
				return fail(err, errlen, "--bpf.stats needs a value");
			if (!strcmp(v, "off"))
				cfg->bpf_stats = BPF_STATS_OFF;
			else if (!strcmp(v, "sampled"))
				cfg->bpf_stats = BPF_STATS_SAMPLED;
			else if (!strcmp(v, "on"))
				cfg->bpf_stats = BPF_STATS_ON;
			else
				return fail(err, errlen, "--bpf.stats=%s: want off, sampled or on", v);
			continue;
		}
		if ((r = take_opt(argc, argv, &i, "--bpf.attach", NULL, &v))) {
			if (r < 0)
				return fail(err, errlen, "--bpf.attach needs a value");
			if (!strcmp(v, "auto") || !strcmp(v, "tp_btf"))
				cfg->attach = ATTACH_TP_BTF;
			else if (!strcmp(v, "raw_tp"))
				cfg->attach = ATTACH_RAW_TP;
			else if (!strcmp(v, "tracepoint"))
				cfg->attach = ATTACH_TRACEPOINT;
			else
				return fail(err, errlen,
					    "--bpf.attach=%s: want auto, tp_btf, raw_tp or tracepoint", v);
			continue;
		}
		if ((r = take_opt(argc, argv, &i, "--dns.timeout", NULL, &v))) {
			if (probe)
				return fail(err, errlen, "--dns.timeout: not an option of probe");
			if (r < 0 || parse_seconds(v, &cfg->dns_timeout) || cfg->dns_timeout < 0.01 ||
			    cfg->dns_timeout > 3600)
				return fail(err, errlen,
					    "--dns.timeout: want seconds from 0.01 to 3600, e.g. 5 or 1.5");
			continue;
		}
		if ((r = take_opt(argc, argv, &i, "--link.tc", NULL, &v))) {
			if (probe)
				return fail(err, errlen, "--link.tc: not an option of probe");
			if (r < 0 || (strcmp(v, "on") && strcmp(v, "off") && strcmp(v, "classic")))
				return fail(err, errlen, "--link.tc: want on, off or classic");
			cfg->link_tc = strcmp(v, "off") != 0;
			cfg->link_tc_classic = !strcmp(v, "classic");
			continue;
		}
		if ((r = take_opt(argc, argv, &i, "--link.xdp", NULL, &v))) {
			if (probe)
				return fail(err, errlen, "--link.xdp: not an option of probe");
			if (r < 0 || !*v || strlen(v) >= sizeof(cfg->link_xdp))
				return fail(err, errlen, "--link.xdp: want device names, e.g. eth0,eth1");
			for (const char *d = v; *d;) {
				size_t n = strcspn(d, ",");

				if (n == 0 || n >= 16)
					return fail(err, errlen,
						    "--link.xdp=%s: a device name is 1 to 15 characters", v);
				d += n + (d[n] == ',');
			}
			snprintf(cfg->link_xdp, sizeof(cfg->link_xdp), "%s", v);
			continue;
		}
		if ((r = take_opt(argc, argv, &i, "--tls.data-path", NULL, &v))) {
			if (probe)
				return fail(err, errlen, "--tls.data-path: not an option of probe");
			if (r < 0 || (strcmp(v, "on") && strcmp(v, "off")))
				return fail(err, errlen, "--tls.data-path: want off or on");
			cfg->tls_data_path = !strcmp(v, "on");
			continue;
		}
		if ((r = take_opt(argc, argv, &i, "--output", "-o", &v))) {
			if (r < 0)
				return fail(err, errlen, "-o needs a format");
			if (trace && !strcmp(v, "columns"))
				cfg->output = OUT_COLUMNS;
			else if ((diag || probe) && !strcmp(v, "text"))
				cfg->output = OUT_TEXT;
			else if ((trace || diag || probe) && !strcmp(v, "json"))
				cfg->output = OUT_JSON;
			else if (run)
				return fail(err, errlen, "-o: not an option of run");
			else
				return fail(err, errlen, "-o %s: want %s", v,
					    trace ? "columns or json" : "text or json");
			continue;
		}
		if ((r = take_opt(argc, argv, &i, "--layer", "-l", &v))) {
			unsigned int m;

			if (r < 0)
				return fail(err, errlen, "-l needs a layer");
			if (!trace)
				return fail(err, errlen, "-l: only for trace");
			m = collector_mask_from_name(v);
			if (!m)
				return fail(err, errlen,
					    "-l %s: unknown layer (a collector name or l1 to l7)", v);
			cfg->trace_layers |= m;
			continue;
		}
		if ((r = take_opt(argc, argv, &i, "--pid", "-p", &v))) {
			if (!trace)
				return fail(err, errlen, "-p: only for trace");
			if (r < 0 || parse_uint(v, 4194304, &u) || u == 0)
				return fail(err, errlen, "-p: want a process id");
			cfg->pid = (uint32_t)u;
			continue;
		}
		if ((r = take_opt(argc, argv, &i, "--netns", NULL, &v))) {
			if (!trace)
				return fail(err, errlen, "--netns: only for trace");
			if (r < 0 || parse_uint(v, UINT32_MAX, &u) || u == 0)
				return fail(err, errlen,
					    "--netns: want a namespace inode number (readlink /proc/PID/ns/net)");
			cfg->netns = u;
			continue;
		}
		if ((r = take_opt(argc, argv, &i, "--duration", NULL, &v))) {
			if (!trace && !diag)
				return fail(err, errlen, "--duration: only for trace and diagnose");
			if (r < 0 || parse_seconds(v, &cfg->duration) || cfg->duration > 86400 * 365)
				return fail(err, errlen, "--duration: want seconds, e.g. 30 or 2.5");
			continue;
		}
		return fail(err, errlen, "unknown option '%s'", a);
	}
	if (cfg->output == OUT_DEFAULT)
		cfg->output = cfg->cmd == CMD_TRACE ? OUT_COLUMNS : OUT_TEXT;
	return 0;
}
