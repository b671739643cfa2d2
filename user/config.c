// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "config.h"
#include "collector.h"

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

/*
 * Options. One table drives both the parser and the Options part of --help, in the manner
 * of xdp-tools' params.h, so that no flag is accepted without being documented.
 */

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* Bits of struct opt.cmds: the commands that take an option. */
#define C_RUN (1u << CMD_RUN)
#define C_TRACE (1u << CMD_TRACE)
#define C_DIAGNOSE (1u << CMD_DIAGNOSE)
#define C_PROBE (1u << CMD_PROBE)
#define C_ANY (C_RUN | C_TRACE | C_DIAGNOSE | C_PROBE)

/* Where an option's value lands in struct config. */
#define FIELD(f) .off = offsetof(struct config, f), .size = sizeof(((struct config *)0)->f)
/* One entry of opts[], the rest of struct opt by name. A macro, because clang-format gives
 * each field of a braced entry a line of its own. */
/* clang-format off */
#define OPT(_lng, _kind, ...) { .lng = _lng, .kind = _kind, __VA_ARGS__ }
/* clang-format on */
/* OPT_ENUM's names and values, in the order its errors list them */
#define NAMES(...) ((const struct opt_name[]){ __VA_ARGS__, { NULL, 0 } })

enum opt_kind {
	OPT_FLAG, /* no value: the field is set to val */
	OPT_STOP, /* no value: the command becomes val and nothing after is parsed */
	OPT_UINT, /* whole number from min to max; the field is 4 or 8 bytes unsigned */
	OPT_SECONDS, /* "2.5" or "2.5s", from secs_min to secs_max, into a double */
	OPT_ENUM, /* one of names[], into an enum field */
	OPT_BOOL, /* off or on */
	OPT_STRING, /* into a char array, after check() if there is one */
	OPT_MASK, /* repeatable: each value ORs mask_of(value) into an unsigned int */
	OPT_COLLECTOR, /* --collector.NAME sets, --no-collector.NAME clears a bit */
	OPT_FUNC, /* handle() does it all */
};

struct opt_name {
	const char *name;
	int val;
};

struct opt {
	const char *lng; /* OPT_COLLECTOR: the prefix, "--collector." */
	const char *shrt; /* or NULL */
	const char *meta; /* the value as --help names it; NULL for none */
	unsigned int cmds; /* C_* */
	/* Each '\n' goes on in the help column; a leading one starts the text there, for
	 * flags too wide to share a line with it. */
	const char *help;
	void (*help_more)(char *buf, size_t len); /* appended to help, known only at run time */
	enum opt_kind kind;
	size_t off, size; /* FIELD() */
	int val; /* OPT_FLAG, OPT_STOP */
	unsigned long long min, max; /* OPT_UINT */
	double secs_min, secs_max; /* OPT_SECONDS */
	const struct opt_name *names; /* OPT_ENUM; ends with a NULL name */
	unsigned int (*mask_of)(const char *v); /* OPT_MASK; 0 refuses v */
	int (*check)(const struct opt *o, const char *v, char *err, size_t errlen); /* OPT_STRING */
	int (*handle)(const struct opt *o, const char *v, struct config *cfg, char *err,
		      size_t errlen); /* OPT_FUNC; v is NULL when missing */
	/* The error for a missing value ("-o needs a format"), given before the command
	 * check. Without it a missing value is told what a bad value is, after that check. */
	const char *needs;
	const char *bad; /* the error for a bad value; without it one is made from the kind */
	bool echo; /* that error repeats the value as given: "-o yaml", "--log.level=loud" */
};

/* The command words, their --help lines, and the names option errors use for them. */
static const struct {
	const char *name;
	const char *help;
} commands[] = {
	[CMD_RUN] = { "run",
		      "load the collectors and serve /metrics, /-/ready, /-/healthy (default)" },
	[CMD_TRACE] = { "trace",
			"stream notable events (resets, refused connects, drops, neighbour\n"
			"failures, failed handshakes, DNS errors...) as columns or JSON lines" },
	[CMD_DIAGNOSE] = { "diagnose", "watch for a while, then print a per-layer health report" },
	[CMD_PROBE] = { "probe", "print which hooks and layers work on this kernel, and why not" },
};

/* Written out rather than made from the table: which options each command's line shows,
 * and where the lines wrap, is a matter of editing. */
/* clang-format off */
static const char synopsis[] =
	"Usage:\n"
	"  osiscope [run] [--web.listen-address=[HOST]:PORT] [--collector.NAME | --no-collector.NAME]\n"
	"                 [--log.level=debug|info|warn|error] [--log.format=logfmt|json] [-v]\n"
	"                 [--metrics.series-budget=N] [--events.rate=N] [--bpf.stats=off|sampled|on]\n"
	"                 [--bpf.attach=auto|tp_btf|raw_tp|tracepoint] [--dns.timeout=S]\n"
	"                 [--link.tc=on|off|classic] [--link.xdp=DEV[,DEV]...]\n"
	"                 [--tls.data-path=off|on] [--kubernetes=auto|off|on] [--kubernetes.root=DIR]\n"
	"                 [--diagnose.window=S] [--diagnose.events=N]\n"
	"  osiscope trace    [-l LAYER]... [-o columns|json] [-p PID] [--netns INODE] [--duration S]\n"
	"                    [--pod NAMESPACE/NAME] [--namespace NAME]\n"
	"  osiscope diagnose [--duration S] [-o text|json] [--agent URL|off]\n"
	"  osiscope probe    [-o text|json]\n"
	"  osiscope --version | --help\n";
/* clang-format on */

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

static const char *opt_name(const struct opt *o)
{
	return o->shrt ? o->shrt : o->lng;
}

/* "a", "a or b", "a, b or c" after prefix */
static void join(char *buf, size_t len, const char *prefix, const char *const *w, size_t n,
		 const char *last)
{
	size_t o = (size_t)snprintf(buf, len, "%s", prefix);

	for (size_t k = 0; k < n && o < len; k++) {
		const char *sep = k == 0 ? "" : k + 1 < n ? ", " : last;

		o += (size_t)snprintf(buf + o, len - o, "%s%s", sep, w[k]);
	}
}

static void opt_want(const struct opt *o, char *buf, size_t len)
{
	const char *w[16];
	size_t n = 0;

	if (o->bad) {
		snprintf(buf, len, "%s", o->bad);
		return;
	}
	switch (o->kind) {
	case OPT_UINT:
		snprintf(buf, len, "want a whole number from %llu to %llu", o->min, o->max);
		break;
	case OPT_BOOL:
		snprintf(buf, len, "want off or on");
		break;
	case OPT_ENUM:
		while (n < ARRAY_SIZE(w) && o->names[n].name) {
			w[n] = o->names[n].name;
			n++;
		}
		join(buf, len, "want ", w, n, " or ");
		break;
	default:
		snprintf(buf, len, "bad value");
		break;
	}
}

static int bad_value(const struct opt *o, const char *v, char *err, size_t errlen)
{
	char want[160];

	opt_want(o, want, sizeof(want));
	if (o->echo && v)
		return fail(err, errlen, "%s%s%s: %s", opt_name(o), o->shrt ? " " : "=", v, want);
	return fail(err, errlen, "%s: %s", opt_name(o), want);
}

/* "-l: only for trace", or where all commands but one take it, "--link.tc: not an option
 * of probe". */
static int wrong_command(const char *name, unsigned int cmds, char *err, size_t errlen)
{
	const char *w[ARRAY_SIZE(commands)];
	size_t n = 0, odd = 0;
	char list[64];

	for (size_t c = 0; c < ARRAY_SIZE(commands); c++) {
		if (cmds & 1u << c)
			w[n++] = commands[c].name;
		else
			odd = c;
	}
	if (n + 1 == ARRAY_SIZE(commands))
		return fail(err, errlen, "%s: not an option of %s", name, commands[odd].name);
	join(list, sizeof(list), "", w, n, " and ");
	return fail(err, errlen, "%s: only for %s", name, list);
}

static int check_listen(const struct opt *o, const char *v, char *err, size_t errlen)
{
	return strrchr(v, ':') ? 0 : bad_value(o, v, err, errlen);
}

static int check_agent(const struct opt *o, const char *v, char *err, size_t errlen)
{
	if (!strcmp(v, "off") || (!strncmp(v, "http://", 7) && v[7] && strlen(v) < 200))
		return 0;
	return bad_value(o, v, err, errlen);
}

static int check_devices(const struct opt *o, const char *v, char *err, size_t errlen)
{
	for (const char *d = v; *d;) {
		size_t n = strcspn(d, ",");

		/* IFNAMSIZ counts the NUL */
		if (n == 0 || n >= 16)
			return fail(err, errlen, "%s=%s: a device name is 1 to 15 characters",
				    o->lng, v);
		d += n + (d[n] == ',');
	}
	return 0;
}

/* classic is "on" too, only without tcx links: two fields */
static int parse_link_tc(const struct opt *o, const char *v, struct config *cfg, char *err,
			 size_t errlen)
{
	if (!v || (strcmp(v, "on") && strcmp(v, "off") && strcmp(v, "classic")))
		return bad_value(o, v, err, errlen);
	cfg->link_tc = strcmp(v, "off") != 0;
	cfg->link_tc_classic = !strcmp(v, "classic");
	return 0;
}

/* NAMESPACE/NAME: a DNS label and a DNS subdomain, as Kubernetes names them */
static int parse_pod(const struct opt *o, const char *v, struct config *cfg, char *err,
		     size_t errlen)
{
	const char *slash = v ? strchr(v, '/') : NULL;
	size_t nl = slash ? (size_t)(slash - v) : 0;

	if (!slash || nl == 0 || nl >= sizeof(cfg->trace_pod_namespace) || !slash[1] ||
	    strlen(slash + 1) >= sizeof(cfg->trace_pod) || strchr(slash + 1, '/'))
		return fail(err, errlen, "%s %s: want NAMESPACE/NAME, e.g. default/web-0",
			    opt_name(o), v ? v : "");
	memcpy(cfg->trace_pod_namespace, v, nl);
	cfg->trace_pod_namespace[nl] = '\0';
	snprintf(cfg->trace_pod, sizeof(cfg->trace_pod), "%s", slash + 1);
	return 0;
}

static int check_namespace(const struct opt *o, const char *v, char *err, size_t errlen)
{
	return strchr(v, '/') ? fail(err, errlen,
				     "%s %s: a namespace has no '/' (use --pod "
				     "NAMESPACE/NAME for a pod)",
				     o->lng, v)
			      : 0;
}

/* The formats depend on the command: trace writes columns, the reports text. */
static int parse_output(const struct opt *o, const char *v, struct config *cfg, char *err,
			size_t errlen)
{
	bool trace = cfg->cmd == CMD_TRACE;

	if (!strcmp(v, trace ? "columns" : "text"))
		cfg->output = trace ? OUT_COLUMNS : OUT_TEXT;
	else if (!strcmp(v, "json"))
		cfg->output = OUT_JSON;
	else
		return fail(err, errlen, "%s %s: want %s", opt_name(o), v,
			    trace ? "columns or json" : "text or json");
	return 0;
}

/* The collectors are known only at run time (they register themselves; make LAYERS=...
 * leaves some out): every name, wrapped at HELP_TEXT_WIDTH, then which are built. */
#define HELP_TEXT_WIDTH 60
static void collectors_built(char *buf, size_t len)
{
	static const char head[] = "enable or disable a collector:";
	char built[96], planned[96];
	size_t o = 0, col = sizeof(head) - 1;

	buf[0] = '\0';
	for (size_t c = 0; c < collectors_count() && o < len; c++) {
		const char *name = collector_at(c)->name;
		bool wrap = col + 1 + strlen(name) > HELP_TEXT_WIDTH;

		o += (size_t)snprintf(buf + o, len - o, "%s%s", wrap ? "\n" : " ", name);
		col = wrap ? strlen(name) : col + 1 + strlen(name);
	}
	built_list(built, sizeof(built), true);
	built_list(planned, sizeof(planned), false);
	if (o < len)
		snprintf(buf + o, len - o, ". Built in this version: %s%s%s", built,
			 planned[0] ? ".\nPlanned (osiscope_layer_up 0 when asked for): " : "",
			 planned);
}

/* In --help order. */
static const struct opt opts[] = {
	OPT("--web.listen-address", OPT_STRING, FIELD(listen), .meta = "[HOST]:PORT", .cmds = C_RUN,
	    .check = check_listen, .needs = "[HOST]:PORT", .bad = "want [HOST]:PORT", .echo = true,
	    .help = "where to serve HTTP (default :10700)"),
	OPT("--collector.", OPT_COLLECTOR, FIELD(collectors), .meta = "NAME",
	    .cmds = C_RUN | C_DIAGNOSE, .help_more = collectors_built,
	    .help = "\nenable or disable a collector:"),
	OPT("--log.level", OPT_ENUM, FIELD(log_level), .meta = "LEVEL", .cmds = C_ANY,
	    .names = NAMES({ "debug", LOG_DEBUG }, { "info", LOG_INFO }, { "warn", LOG_WARN },
			   { "error", LOG_ERROR }),
	    .needs = "a value", .echo = true, .help = "debug, info (default), warn or error"),
	OPT("--log.format", OPT_ENUM, FIELD(log_format), .meta = "FORMAT", .cmds = C_ANY,
	    .names = NAMES({ "logfmt", LOG_LOGFMT }, { "json", LOG_JSON }), .needs = "a value",
	    .echo = true, .help = "logfmt (default) or json, on stderr"),
	OPT("--verbose", OPT_FLAG, FIELD(verbose), .shrt = "-v", .cmds = C_ANY, .val = 1,
	    .help = "also show libbpf's own debug output"),
	OPT("--metrics.series-budget", OPT_UINT, FIELD(series_budget), .meta = "N", .cmds = C_ANY,
	    .min = 2, .max = 10000000,
	    .help = "\nmost series per metric before folding into _other (default 2000)"),
	OPT("--events.rate", OPT_UINT, FIELD(events_per_sec), .meta = "N", .cmds = C_ANY,
	    .max = 1000000,
	    .help = "most events per second per CPU sent to userspace (default 1000)"),
	OPT("--bpf.stats", OPT_ENUM, FIELD(bpf_stats), .meta = "MODE", .cmds = C_ANY,
	    .names = NAMES({ "off", BPF_STATS_OFF }, { "sampled", BPF_STATS_SAMPLED },
			   { "on", BPF_STATS_ON }),
	    .needs = "a value", .echo = true,
	    .help = "kernel BPF run-time statistics behind\n"
		    "osiscope_bpf_program_run_seconds_total: off, sampled (default:\n"
		    "on 1 s in every 30 s) or on (always; costs every BPF program on\n"
		    "the host two clock reads per run)"),
	OPT("--bpf.attach", OPT_ENUM, FIELD(attach), .meta = "MODE", .cmds = C_ANY,
	    .names = NAMES({ "auto", ATTACH_TP_BTF }, { "tp_btf", ATTACH_TP_BTF },
			   { "raw_tp", ATTACH_RAW_TP }, { "tracepoint", ATTACH_TRACEPOINT }),
	    .needs = "a value", .echo = true,
	    .help = "cheapest hook flavour to use: auto (= tp_btf), raw_tp or\n"
		    "tracepoint; a flavour the kernel lacks falls back to the next"),
	OPT("--dns.timeout", OPT_SECONDS, FIELD(dns_timeout), .meta = "S",
	    .cmds = C_RUN | C_TRACE | C_DIAGNOSE, .secs_min = 0.01, .secs_max = 3600,
	    .bad = "want seconds from 0.01 to 3600, e.g. 5 or 1.5",
	    .help = "a DNS query unanswered for S seconds is a timeout (default 5)"),
	OPT("--link.tc", OPT_FUNC, .handle = parse_link_tc, .meta = "MODE",
	    .cmds = C_RUN | C_TRACE | C_DIAGNOSE, .bad = "want on, off or classic",
	    .help = "tc programs on every device for the protocol mix and\n"
		    "broadcast/multicast counts: on (default: tcx links where the\n"
		    "kernel has them, 6.6+, else clsact filters), classic (clsact\n"
		    "filters only) or off; they sit beside any other tc program,\n"
		    "never replacing one"),
	OPT("--link.xdp", OPT_STRING, FIELD(link_xdp), .meta = "DEV,...",
	    .cmds = C_RUN | C_TRACE | C_DIAGNOSE, .check = check_devices,
	    .bad = "want device names, e.g. eth0,eth1",
	    .help = "also count in XDP on these devices (opt-in; a device that\n"
		    "already has an XDP program is left alone)"),
	OPT("--tls.data-path", OPT_BOOL, FIELD(tls_data_path), .meta = "off|on",
	    .cmds = C_RUN | C_TRACE | C_DIAGNOSE,
	    .help = "\nprobe SSL_read/SSL_write for bytes per TLS connection (default\n"
		    "off: each call then costs microseconds; payload never read)"),
	OPT("--kubernetes", OPT_ENUM, FIELD(kubernetes), .meta = "MODE",
	    .cmds = C_RUN | C_TRACE | C_DIAGNOSE,
	    .names = NAMES({ "auto", K8S_AUTO }, { "off", K8S_OFF }, { "on", K8S_ON }),
	    .needs = "a value", .echo = true,
	    .help = "pod and container names from the node's files (cgroups,\n"
		    "/var/log/containers links, Docker's): namespace and pod labels\n"
		    "beside netns, container beside cgroup, and on events. auto\n"
		    "(default): on where /var/log/containers or\n"
		    "/var/lib/docker/containers exists"),
	OPT("--kubernetes.root", OPT_STRING, FIELD(k8s_root), .meta = "DIR",
	    .cmds = C_RUN | C_TRACE | C_DIAGNOSE, .bad = "want a directory",
	    .help = "\nwhere the node's /var/log and /var/lib/docker are (default /)"),
	OPT("--layer", OPT_MASK, FIELD(trace_layers), .shrt = "-l", .meta = "LAYER",
	    .cmds = C_TRACE, .mask_of = collector_mask_from_name, .needs = "a layer",
	    .bad = "unknown layer (a collector name or l1 to l7)", .echo = true,
	    .help = "trace: only this collector (tcp, dns...) or OSI layer (l1...l7);\n"
		    "repeatable"),
	OPT("--output", OPT_FUNC, .handle = parse_output, .shrt = "-o", .meta = "FORMAT",
	    .cmds = C_TRACE | C_DIAGNOSE | C_PROBE, .needs = "a format",
	    .help = "trace: columns (default) or json; diagnose, probe: text or json"),
	OPT("--pid", OPT_UINT, FIELD(pid), .shrt = "-p", .meta = "PID", .cmds = C_TRACE, .min = 1,
	    .max = 4194304 /* PID_MAX_LIMIT */, .bad = "want a process id",
	    .help = "trace: only events of this process"),
	OPT("--netns", OPT_UINT, FIELD(netns), .meta = "INODE", .cmds = C_TRACE, .min = 1,
	    .max = UINT32_MAX, .bad = "want a namespace inode number (readlink /proc/PID/ns/net)",
	    .help = "trace: only this network namespace (readlink /proc/PID/ns/net)"),
	OPT("--pod", OPT_FUNC, .handle = parse_pod, .meta = "NS/NAME", .cmds = C_TRACE,
	    .needs = "NAMESPACE/NAME", .help = "trace: only events of this pod"),
	OPT("--namespace", OPT_STRING, FIELD(trace_namespace), .meta = "NAME", .cmds = C_TRACE,
	    .check = check_namespace, .bad = "want a namespace name",
	    .help = "trace: only events of pods in this Kubernetes namespace"),
	OPT("--duration", OPT_SECONDS, FIELD(duration), .meta = "S", .cmds = C_TRACE | C_DIAGNOSE,
	    .secs_max = 86400 * 365, .bad = "want seconds, e.g. 30 or 2.5",
	    .help = "trace, diagnose: stop after S seconds (diagnose default 10)"),
	OPT("--agent", OPT_STRING, FIELD(agent), .meta = "URL", .cmds = C_DIAGNOSE,
	    .check = check_agent, .bad = "want http://HOST:PORT or off",
	    .help = "diagnose: ask this agent for its last S seconds (default\n"
		    "http://127.0.0.1:10700); when none answers, load the programs\n"
		    "here and watch; off: always load them here"),
	OPT("--diagnose.window", OPT_SECONDS, FIELD(diag_window), .meta = "S", .cmds = C_RUN,
	    .secs_min = 1, .secs_max = 3600, .bad = "want seconds from 1 to 3600",
	    .help = "run: keep S seconds of events for /api/v1/diagnose (default 300)"),
	OPT("--diagnose.events", OPT_UINT, FIELD(diag_events), .meta = "N", .cmds = C_RUN, .min = 0,
	    .max = 1000000, .bad = "want a number of events, 0 to 1000000",
	    .help = "run: at most N events in that window, the oldest dropped first\n"
		    "(default 4096, about 2 MB; 0 turns the window off)"),
	OPT("--help", OPT_STOP, FIELD(cmd), .shrt = "-h", .cmds = C_ANY, .val = CMD_HELP,
	    .help = "this text"),
	OPT("--version", OPT_STOP, FIELD(cmd), .cmds = C_ANY, .val = CMD_VERSION,
	    .help = "version and build"),
};

static void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->cmd = CMD_RUN;
	snprintf(cfg->listen, sizeof(cfg->listen), ":10700");
	snprintf(cfg->agent, sizeof(cfg->agent), "http://127.0.0.1:10700");
	cfg->diag_window = 300;
	cfg->diag_events = 4096;
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

/* Whether argv[*i] is option o. Sets *v to its value (NULL when missing) and moves *i past
 * a value given as the next argument. */
static bool opt_match(const struct opt *o, int argc, char **argv, int *i, const char **v)
{
	const char *a = argv[*i];
	size_t n = strlen(o->lng);

	*v = NULL;
	switch (o->kind) {
	case OPT_FLAG:
	case OPT_STOP:
		return !strcmp(a, o->lng) || (o->shrt && !strcmp(a, o->shrt));
	case OPT_COLLECTOR:
		if (!strncmp(a, o->lng, n))
			*v = a + n;
		else if (!strncmp(a, "--no-", 5) && !strncmp(a + 5, o->lng + 2, n - 2))
			*v = a + 5 + n - 2;
		return *v != NULL;
	default:
		return take_opt(argc, argv, i, o->lng, o->shrt, v) != 0;
	}
}

/* Enums, ints, bools and unsigned fields of either width: each written at its own width. */
static void set_uint(struct config *cfg, const struct opt *o, uint64_t v)
{
	char *p = (char *)cfg + o->off;
	uint32_t v32 = (uint32_t)v;
	uint8_t v8 = (uint8_t)v;

	if (o->size == sizeof(v8))
		memcpy(p, &v8, sizeof(v8));
	else if (o->size == sizeof(v32))
		memcpy(p, &v32, sizeof(v32));
	else if (o->size == sizeof(v))
		memcpy(p, &v, sizeof(v));
}

/* Applies o, given as the argument a with the value v: 0 to go on, 1 when nothing after is
 * to be parsed, -1 with the reason in err. */
static int opt_apply(const struct opt *o, const char *a, const char *v, struct config *cfg,
		     char *err, size_t errlen)
{
	/* a collector option is named as typed, there being one per collector */
	const char *name = o->kind == OPT_COLLECTOR ? a : opt_name(o);
	void *field = (char *)cfg + o->off;
	unsigned long long u;
	unsigned int m;
	double d;
	int c;

	/* an empty address or device list is as good as none */
	if (o->kind == OPT_STRING && v && !*v)
		v = NULL;
	if (!v && o->needs)
		return fail(err, errlen, "%s needs %s", name, o->needs);
	if (!(o->cmds & 1u << cfg->cmd))
		return wrong_command(name, o->cmds, err, errlen);

	switch (o->kind) {
	case OPT_FLAG:
		set_uint(cfg, o, (uint64_t)o->val);
		return 0;
	case OPT_STOP:
		set_uint(cfg, o, (uint64_t)o->val);
		return 1;
	case OPT_UINT:
		if (parse_uint(v, o->max, &u) || u < o->min)
			return bad_value(o, v, err, errlen);
		set_uint(cfg, o, u);
		return 0;
	case OPT_SECONDS:
		if (parse_seconds(v, &d) || d < o->secs_min || d > o->secs_max)
			return bad_value(o, v, err, errlen);
		*(double *)field = d;
		return 0;
	case OPT_ENUM:
		for (const struct opt_name *e = o->names; v && e->name; e++) {
			if (!strcmp(v, e->name)) {
				set_uint(cfg, o, (uint64_t)e->val);
				return 0;
			}
		}
		return bad_value(o, v, err, errlen);
	case OPT_BOOL:
		if (!v || (strcmp(v, "off") && strcmp(v, "on")))
			return bad_value(o, v, err, errlen);
		*(bool *)field = !strcmp(v, "on");
		return 0;
	case OPT_STRING:
		if (!v || strlen(v) >= o->size)
			return bad_value(o, v, err, errlen);
		if (o->check && o->check(o, v, err, errlen))
			return -1;
		memcpy(field, v, strlen(v) + 1);
		return 0;
	case OPT_MASK:
		m = v ? o->mask_of(v) : 0;
		if (!m)
			return bad_value(o, v, err, errlen);
		*(unsigned int *)field |= m;
		return 0;
	case OPT_COLLECTOR:
		c = collector_from_name(v);
		if (c < 0)
			return fail(err, errlen, "%s: unknown collector '%s'", a, v);
		if (!strncmp(a, o->lng, strlen(o->lng)))
			*(unsigned int *)field |= 1u << c;
		else
			*(unsigned int *)field &= ~(1u << c);
		return 0;
	case OPT_FUNC:
		return o->handle(o, v, cfg, err, errlen);
	}
	return fail(err, errlen, "%s: no parser", name);
}

int config_parse(int argc, char **argv, struct config *cfg, char *err, size_t errlen)
{
	int i = 1, r;

	config_defaults(cfg);
	if (i < argc && argv[i][0] != '-') {
		for (r = 0; r < (int)ARRAY_SIZE(commands) && strcmp(argv[i], commands[r].name); r++)
			;
		if (r == (int)ARRAY_SIZE(commands))
			return fail(err, errlen, "unknown command '%s'", argv[i]);
		cfg->cmd = (enum command)r;
		i++;
	}
	if (cfg->cmd == CMD_DIAGNOSE)
		cfg->duration = 10;

	for (; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		size_t k = 0;

		while (k < ARRAY_SIZE(opts) && !opt_match(&opts[k], argc, argv, &i, &v))
			k++;
		if (k == ARRAY_SIZE(opts))
			return fail(err, errlen, "unknown option '%s'", a);
		r = opt_apply(&opts[k], a, v, cfg, err, errlen);
		if (r < 0)
			return -1;
		if (r > 0)
			return 0;
	}
	/* in whichever order they came: a pod outside the namespace could match nothing */
	if (cfg->trace_pod[0] && cfg->trace_namespace[0] &&
	    strcmp(cfg->trace_pod_namespace, cfg->trace_namespace))
		return fail(err, errlen, "--pod %s/%s: not in --namespace %s", cfg->trace_pod_namespace,
			    cfg->trace_pod, cfg->trace_namespace);
	if (cfg->output == OUT_DEFAULT)
		cfg->output = cfg->cmd == CMD_TRACE ? OUT_COLUMNS : OUT_TEXT;
	return 0;
}

static void opt_flags(const struct opt *o, char *buf, size_t len)
{
	if (o->kind == OPT_COLLECTOR)
		snprintf(buf, len, "%s%s, --no-%s%s", o->lng, o->meta, o->lng + 2, o->meta);
	else
		snprintf(buf, len, "%s%s%s%s%s", o->shrt ? o->shrt : "", o->shrt ? ", " : "",
			 o->lng, o->meta ? "=" : "", o->meta ? o->meta : "");
}

static void put_help(FILE *f, const char *s, int width)
{
	for (; *s; s++) {
		fputc(*s, f);
		if (*s == '\n')
			fprintf(f, "%*s", width, "");
	}
}

/* "  name    help", the help starting in column width: two spaces after a name too wide for
 * that, or on the next line when the help starts with a line break. */
static void help_item(FILE *f, const char *name, const char *help, const char *more, int width)
{
	int n = fprintf(f, "  %s", name);

	if (*help != '\n')
		fprintf(f, "%*s", n + 2 <= width ? width - n : 2, "");
	put_help(f, help, width);
	put_help(f, more, width);
	fputc('\n', f);
}

void config_usage(FILE *f)
{
	char flags[64], more[256];

	fputs(synopsis, f);
	fputs("\nCommands:\n", f);
	for (size_t c = 0; c < ARRAY_SIZE(commands); c++)
		help_item(f, commands[c].name, commands[c].help, "", 12);
	fputs("\nOptions:\n", f);
	for (size_t k = 0; k < ARRAY_SIZE(opts); k++) {
		more[0] = '\0';
		if (opts[k].help_more)
			opts[k].help_more(more, sizeof(more));
		opt_flags(&opts[k], flags, sizeof(flags));
		help_item(f, flags, opts[k].help, more, 24);
	}
}

const char *config_option_flags(size_t i, char *buf, size_t len)
{
	if (i >= ARRAY_SIZE(opts))
		return NULL;
	opt_flags(&opts[i], buf, len);
	return buf;
}
