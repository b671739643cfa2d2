// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "selfstats.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "revision.h" /* generated: $(OUTPUT)/revision.h */

struct prog_prev {
	uint32_t id;
	uint64_t run_ns, runs, misses;
};

struct selfstats {
	const struct config *cfg;
	struct metric *build, *up, *run_seconds, *runs, *misses, *insert_failed, *lost, *stats_on, *stats_secs, *map_mem,
		*cpu, *rss, *vsz, *start, *fds, *maxfds;
	struct prog_prev *prev;
	size_t nprev, capprev;
	uint64_t lost_prev[COLLECTORS_MAX][LOST_REASONS];
	uint64_t insert_prev[COLLECTORS_MAX];
	double map_bytes[COLLECTORS_MAX]; /* maps are sized at load: read once */
	double stats_prev;
	double boot_time;
};

static struct metric *add(struct registry *reg, const struct metric_desc d)
{
	struct metric *m = registry_find(reg, d.name);

	return m ? m : registry_add(reg, &d);
}

static double read_boot_time(void)
{
	char *line = NULL;
	size_t cap = 0;
	double bt = 0;
	FILE *f = fopen("/proc/stat", "re");

	if (!f)
		return 0;
	while (getline(&line, &cap, f) > 0)
		if (!strncmp(line, "btime ", 6))
			bt = strtod(line + 6, NULL);
	free(line);
	fclose(f);
	return bt;
}

struct selfstats *selfstats_new(struct registry *reg, const struct config *cfg)
{
	struct selfstats *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->cfg = cfg;
	s->boot_time = read_boot_time();
	s->build = add(reg, (struct metric_desc){
				    "osiscope_build_info",
				    "Always 1; the labels say which build is running on which kernel.",
				    METRIC_GAUGE,
				    { "version", "revision", "libbpf", "kernel", NULL } });
	s->up = add(reg, (struct metric_desc){
				 "osiscope_layer_up",
				 "1 when the collector's BPF object is loaded and attached, 0 when it "
				 "could not be (see the agent's log for why).",
				 METRIC_GAUGE,
				 { "layer", NULL } });
	s->run_seconds = add(reg, (struct metric_desc){
				      "osiscope_bpf_program_run_seconds_total",
				      "Kernel time spent in the program while BPF run-time statistics "
				      "were on (bpf_prog_info run_time_ns; see "
				      "osiscope_bpf_stats_enabled_seconds_total).",
				      METRIC_COUNTER,
				      { "layer", "program", NULL } });
	s->runs = add(reg, (struct metric_desc){
			       "osiscope_bpf_program_runs_total",
			       "Runs of the program while BPF run-time statistics were on "
			       "(bpf_prog_info run_cnt).",
			       METRIC_COUNTER,
			       { "layer", "program", NULL } });
	s->misses = add(reg, (struct metric_desc){
				 "osiscope_bpf_program_recursion_misses_total",
				 "Times the kernel skipped the program because it was already running on "
				 "that CPU (a softirq interrupting it on the same hook): what it would "
				 "have counted then is missing (bpf_prog_info recursion_misses).",
				 METRIC_COUNTER,
				 { "layer", "program", NULL } });
	s->insert_failed = add(reg, (struct metric_desc){
					"osiscope_bpf_map_insert_failures_total",
					"Counts the collector's kernel side could not keep because a new "
					"map entry could not be made (the map full, or no memory for it): "
					"what they would have counted is missing.",
					METRIC_COUNTER,
					{ "layer", NULL } });
	s->lost = add(reg, (struct metric_desc){
			       "osiscope_events_lost_total",
			       "Events the kernel side could not hand to userspace: over the per-CPU "
			       "rate limit, or ring buffer full.",
			       METRIC_COUNTER,
			       { "layer", "reason", NULL } });
	s->stats_on = add(reg, (struct metric_desc){
				   "osiscope_bpf_stats_enabled",
				   "1 while kernel BPF run-time statistics are on.", METRIC_GAUGE });
	s->stats_secs = add(reg, (struct metric_desc){
				     "osiscope_bpf_stats_enabled_seconds_total",
				     "Time BPF run-time statistics were on, by this agent's request. "
				     "run_seconds / runs gives the cost per run whatever the sampling.",
				     METRIC_COUNTER });
	s->map_mem = add(reg, (struct metric_desc){
				      "osiscope_bpf_map_memory_bytes",
				      "Kernel memory charged to the collector's BPF maps (fdinfo memlock).",
				      METRIC_GAUGE,
				      { "layer", NULL } });
	s->cpu = add(reg, (struct metric_desc){ "process_cpu_seconds_total",
						"Total user and system CPU time spent in seconds.",
						METRIC_COUNTER });
	s->rss = add(reg, (struct metric_desc){ "process_resident_memory_bytes",
						"Resident memory size in bytes.", METRIC_GAUGE });
	s->vsz = add(reg, (struct metric_desc){ "process_virtual_memory_bytes",
						"Virtual memory size in bytes.", METRIC_GAUGE });
	s->start = add(reg, (struct metric_desc){
				    "process_start_time_seconds",
				    "Start time of the process since unix epoch in seconds.",
				    METRIC_GAUGE });
	s->fds = add(reg, (struct metric_desc){ "process_open_fds",
						"Number of open file descriptors.", METRIC_GAUGE });
	s->maxfds = add(reg, (struct metric_desc){ "process_max_fds",
						   "Maximum number of open file descriptors.",
						   METRIC_GAUGE });
	if (!s->build || !s->up || !s->run_seconds || !s->runs || !s->misses || !s->insert_failed || !s->lost || !s->stats_on ||
	    !s->stats_secs || !s->map_mem || !s->cpu || !s->rss || !s->vsz || !s->start ||
	    !s->fds || !s->maxfds) {
		pr_err("selfstats: cannot register metrics");
		free(s);
		return NULL;
	}
	return s;
}

void selfstats_free(struct selfstats *s)
{
	if (!s)
		return;
	free(s->prev);
	free(s);
}

static struct prog_prev *prog_prev(struct selfstats *s, uint32_t id)
{
	for (size_t i = 0; i < s->nprev; i++)
		if (s->prev[i].id == id)
			return &s->prev[i];
	if (s->nprev == s->capprev) {
		size_t cap = s->capprev ? s->capprev * 2 : 32;
		struct prog_prev *v = realloc(s->prev, cap * sizeof(*v));

		if (!v)
			return NULL;
		s->prev = v;
		s->capprev = cap;
	}
	memset(&s->prev[s->nprev], 0, sizeof(s->prev[0]));
	s->prev[s->nprev].id = id;
	return &s->prev[s->nprev++];
}

static uint64_t fd_memlock(int fd)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	uint64_t v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (getline(&line, &cap, f) > 0)
		if (!strncmp(line, "memlock:", 8))
			v = strtoull(line + 8, NULL, 10);
	free(line);
	fclose(f);
	return v;
}

static void collect_process(struct selfstats *s)
{
	long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	unsigned long utime = 0, stime = 0, vsize = 0;
	unsigned long long starttime = 0;
	long rss = 0;
	char buf[1024], *p;
	struct rlimit rl;
	struct dirent *de;
	double nfds = 0;
	size_t n;
	FILE *f;
	DIR *d;

	f = fopen("/proc/self/stat", "re");
	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		fclose(f);
		p = strrchr(buf, ')'); /* comm may hold spaces */
		if (p && sscanf(p + 2,
				"%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d "
				"%*d %*d %*d %llu %lu %ld",
				&utime, &stime, &starttime, &vsize, &rss) == 5) {
			static double cpu_prev;
			double cpu = (double)(utime + stime) / (double)tck;

			metric_counter_add(s->cpu, NULL, cpu > cpu_prev ? cpu - cpu_prev : 0);
			cpu_prev = cpu > cpu_prev ? cpu : cpu_prev;
			metric_gauge_reset(s->rss);
			metric_gauge_set(s->rss, NULL, (double)rss * (double)page);
			metric_gauge_reset(s->vsz);
			metric_gauge_set(s->vsz, NULL, (double)vsize);
			metric_gauge_reset(s->start);
			metric_gauge_set(s->start, NULL, s->boot_time + (double)starttime / (double)tck);
		}
	}
	d = opendir("/proc/self/fd");
	if (d) {
		while ((de = readdir(d)))
			if (de->d_name[0] != '.')
				nfds++;
		closedir(d);
		metric_gauge_reset(s->fds);
		metric_gauge_set(s->fds, NULL, nfds - 1); /* less the one opendir holds */
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		metric_gauge_reset(s->maxfds);
		metric_gauge_set(s->maxfds, NULL, (double)rl.rlim_cur);
	}
}

void selfstats_collect(struct selfstats *s, struct collector *layers, int ncollectors,
		       double stats_seconds, bool stats_on)
{
	struct utsname u;

	uname(&u);
	metric_gauge_reset(s->build);
	metric_gauge_set(s->build,
			 (const char *[]){ OSISCOPE_VERSION, OSISCOPE_REVISION,
					   libbpf_version_string(), u.release },
			 1);
	metric_gauge_reset(s->up);
	metric_gauge_reset(s->map_mem);
	for (int i = 0; i < ncollectors; i++) {
		struct collector *l = &layers[i];
		struct bpf_program *prog;
		struct bpf_map *map;
		uint64_t lost[LOST_REASONS];
		double mem = 0;

		if (!(s->cfg->collectors & (1u << l->idx)))
			continue;
		metric_gauge_set(s->up, (const char *[]){ l->name }, l->up);
		if (!l->up || !l->obj)
			continue;
		bpf_object__for_each_program(prog, l->obj) {
			struct bpf_prog_info info;
			uint32_t len = sizeof(info);
			struct prog_prev *pp;
			int fd = bpf_program__fd(prog);
			const char *lab[] = { l->name, bpf_program__name(prog) };

			if (fd < 0)
				continue; /* a flavour not loaded on this kernel */
			memset(&info, 0, sizeof(info));
			if (bpf_obj_get_info_by_fd(fd, &info, &len))
				continue;
			pp = prog_prev(s, info.id);
			if (!pp)
				continue;
			metric_counter_add(s->run_seconds, lab,
					   (double)(info.run_time_ns - pp->run_ns) / 1e9);
			metric_counter_add(s->runs, lab, (double)(info.run_cnt - pp->runs));
			metric_counter_add(s->misses, lab, (double)(info.recursion_misses - pp->misses));
			pp->run_ns = info.run_time_ns;
			pp->runs = info.run_cnt;
			pp->misses = info.recursion_misses;
		}
		if (!s->map_bytes[l->idx]) {
			bpf_object__for_each_map(map, l->obj) {
				int fd = bpf_map__fd(map);

				if (fd >= 0)
					mem += (double)fd_memlock(fd);
			}
			s->map_bytes[l->idx] = mem;
		}
		metric_gauge_set(s->map_mem, (const char *[]){ l->name }, s->map_bytes[l->idx]);
		uint64_t ins;

		if (collector_read_percpu_array(l, "insert_failed", &ins, 1) == 0) {
			counter_delta(s->insert_failed, (const char *[]){ l->name }, ins,
				      s->insert_prev[l->idx]);
			s->insert_prev[l->idx] = ins;
		}
		if (collector_read_lost(l, "events_lost", lost) == 0) {
			static const char *const reasons[LOST_REASONS] = { "ratelimit", "ringbuf" };

			for (int r = 0; r < LOST_REASONS; r++) {
				uint64_t before = s->lost_prev[l->idx][r];

				metric_counter_add(s->lost, (const char *[]){ l->name, reasons[r] },
						   (double)(lost[r] >= before ? lost[r] - before : 0));
				s->lost_prev[l->idx][r] = lost[r];
			}
		}
	}
	metric_gauge_reset(s->stats_on);
	metric_gauge_set(s->stats_on, NULL, stats_on);
	metric_counter_add(s->stats_secs, NULL, stats_seconds - s->stats_prev);
	s->stats_prev = stats_seconds;
	collect_process(s);
}
