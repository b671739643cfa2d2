// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Loads and attaches bench/floor.bpf.c until SIGINT/SIGTERM or for ARGV[1] seconds;
 * prints "ready" once attached. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "floor.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	double secs = argc > 1 ? atof(argv[1]) : 3600;
	struct floor_bpf *skel;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	skel = floor_bpf__open_and_load();
	if (!skel || floor_bpf__attach(skel)) {
		fprintf(stderr, "floor: cannot load or attach\n");
		floor_bpf__destroy(skel);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (int i = 0; i < secs * 10 && !stop; i++)
		usleep(100000);
	floor_bpf__destroy(skel);
	return 0;
}
