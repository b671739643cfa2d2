/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef OSISCOPE_CONFIG_H
#define OSISCOPE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "log.h"

enum command { CMD_RUN, CMD_TRACE, CMD_DIAGNOSE, CMD_PROBE, CMD_VERSION, CMD_HELP };

enum output_format { OUT_DEFAULT, OUT_TEXT, OUT_COLUMNS, OUT_JSON };
enum bpf_stats_mode { BPF_STATS_OFF, BPF_STATS_SAMPLED, BPF_STATS_ON };
/* The cheapest hook flavour the loader may use; later ones remain as fallbacks. */
enum attach_mode { ATTACH_TP_BTF, ATTACH_RAW_TP, ATTACH_TRACEPOINT };
/* --kubernetes: auto turns pod attribution on where the node's files are (user/k8s.h) */
enum k8s_mode { K8S_AUTO, K8S_OFF, K8S_ON };

/* Every option of every command, read-only once parsed. */
struct config {
	enum command cmd;
	char listen[256];
	unsigned int collectors; /* bit per collector (collector_at()): enabled */
	enum log_level log_level;
	enum log_format log_format;
	int verbose;
	unsigned int series_budget;
	unsigned int events_per_sec; /* per CPU */
	enum bpf_stats_mode bpf_stats;
	enum attach_mode attach;
	/* collector options (run, trace, diagnose) */
	double dns_timeout; /* seconds: a query unanswered this long is a timeout */
	bool link_tc; /* tc programs on every device: protocol mix, broadcast/multicast */
	bool link_tc_classic; /* as classic clsact filters even where tcx links exist */
	char link_xdp[256]; /* comma-separated device names for the opt-in XDP program */
	bool tls_data_path; /* SSL_read/SSL_write probes: bytes per TLS connection */
	enum k8s_mode kubernetes;
	char k8s_root[256]; /* where the node's /var/log and /var/lib/docker are ("/") */
	/* trace, diagnose, probe */
	enum output_format output;
	unsigned int trace_layers; /* bit per collector; 0 = all */
	uint32_t pid;
	uint64_t netns;
	char trace_namespace[64]; /* trace --namespace */
	char trace_pod_namespace[64]; /* trace --pod NAMESPACE/NAME: the namespace */
	char trace_pod[254]; /* trace --pod NAMESPACE/NAME: the name */
	double duration; /* seconds, 0 = until interrupted */
	/* diagnose: the agent to ask first ("off": never); run: the window it keeps */
	char agent[256];
	double diag_window; /* seconds of events and device readings the agent keeps */
	unsigned int diag_events; /* at most this many events in it (the oldest go first) */
};

/* Collectors by their index in collector_at() (collector.h). Whether this build has the
 * collector (the others are planned or left out by make LAYERS=..., see README). */
bool collector_implemented(int c);
/* "tcp" -> its index in collector_at(), -1 if unknown. */
int collector_from_name(const char *name);
/* For trace -l: a collector name, or an OSI layer ("l2" -> link and neigh), as a
 * mask of collectors; 0 if unknown. */
unsigned int collector_mask_from_name(const char *name);

/* Parses argv into cfg. 0 on success; -1 with a one-line reason in err (the caller
 * prints it with the usage and exits 2). */
int config_parse(int argc, char **argv, struct config *cfg, char *err, size_t errlen);
void config_usage(FILE *f);
/* The i-th option's flags as --help shows them ("-o, --output=FORMAT") into buf, which it
 * returns; NULL past the last option. */
const char *config_option_flags(size_t i, char *buf, size_t len);

#endif
