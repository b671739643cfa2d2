// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "events.h"

#include <stdio.h>
#include <time.h>

static void format_time(char *buf, size_t len, uint64_t ts_ns, int64_t offset, bool date)
{
	int64_t wall = (int64_t)ts_ns + offset;
	time_t sec = (time_t)(wall / 1000000000);
	struct tm tm;

	gmtime_r(&sec, &tm);
	if (date)
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 (long)((wall % 1000000000) / 1000));
	else
		snprintf(buf, len, "%02d:%02d:%02d.%06ld", tm.tm_hour, tm.tm_min, tm.tm_sec,
			 (long)((wall % 1000000000) / 1000));
}

static void kv(struct strbuf *out, const char *k, const char *v)
{
	strbuf_printf(out, ",\"%s\":", k);
	strbuf_json_str(out, v);
}

void events_json(struct strbuf *out, const struct event_record *ev, int64_t wall_offset_ns)
{
	char when[96];

	format_time(when, sizeof(when), ev->ts_ns, wall_offset_ns, true);
	strbuf_puts(out, "{\"time\":");
	strbuf_json_str(out, when);
	kv(out, "layer", ev->layer);
	kv(out, "osi", ev->osi);
	kv(out, "type", ev->type);
	strbuf_printf(out, ",\"netns\":%u", ev->netns);
	if (ev->pid) {
		strbuf_printf(out, ",\"pid\":%u", ev->pid);
		kv(out, "comm", ev->comm);
	}
	if (ev->cgroup_id)
		strbuf_printf(out, ",\"cgroup_id\":%llu", (unsigned long long)ev->cgroup_id);
	if (ev->src[0])
		kv(out, "src", ev->src);
	if (ev->dst[0])
		kv(out, "dst", ev->dst);
	if (ev->state[0])
		kv(out, "state", ev->state);
	if (ev->device[0])
		kv(out, "device", ev->device);
	if (ev->detail[0])
		kv(out, "detail", ev->detail);
	strbuf_puts(out, "}\n");
}

void events_columns_header(struct strbuf *out)
{
	strbuf_printf(out, "%-15s %-5s %-20s %-10s %-7s %-16s %-24s %-24s %-12s %s\n", "TIME",
		      "OSI", "EVENT", "NETNS", "PID", "COMM", "SOURCE", "DESTINATION", "STATE",
		      "DETAIL");
}

void events_columns(struct strbuf *out, const struct event_record *ev, int64_t wall_offset_ns)
{
	char when[96], pid[12];

	format_time(when, sizeof(when), ev->ts_ns, wall_offset_ns, false);
	if (ev->pid)
		snprintf(pid, sizeof(pid), "%u", ev->pid);
	else
		snprintf(pid, sizeof(pid), "-");
	strbuf_printf(out, "%-15s %-5s %-20s %-10u %-7s %-16s %-24s %-24s %-12s %s%s%s%s\n",
		      when, ev->osi, ev->type, ev->netns, pid, ev->comm[0] ? ev->comm : "-",
		      ev->src[0] ? ev->src : "-", ev->dst[0] ? ev->dst : "-",
		      ev->state[0] ? ev->state : "-", ev->device[0] ? "dev=" : "", ev->device,
		      ev->device[0] && ev->detail[0] ? " " : "", ev->detail);
}
