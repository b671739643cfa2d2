// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <bpf/libbpf.h>
#include <stdio.h>

#include "agent.h"
#include "config.h"
#include "log.h"
#include "revision.h" /* generated: $(OUTPUT)/revision.h */

int main(int argc, char **argv)
{
	struct config cfg;
	char err[256];

	if (config_parse(argc, argv, &cfg, err, sizeof(err))) {
		fprintf(stderr, "osiscope: %s\n\n", err);
		config_usage(stderr);
		return 2;
	}
	log_setup(cfg.log_level, cfg.log_format);
	log_setup_libbpf(cfg.verbose);
	setvbuf(stdout, NULL, _IOLBF, 0);

	switch (cfg.cmd) {
	case CMD_HELP:
		config_usage(stdout);
		return 0;
	case CMD_VERSION:
		printf("osiscope %s (revision %s, libbpf %s)\n", OSISCOPE_VERSION, OSISCOPE_REVISION,
		       libbpf_version_string());
		return 0;
	case CMD_RUN:
		return cmd_run(&cfg);
	case CMD_TRACE:
		return cmd_trace(&cfg);
	case CMD_PROBE:
		return cmd_probe(&cfg);
	case CMD_DIAGNOSE:
		return cmd_diagnose(&cfg);
	}
	return 2;
}
