// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "events.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "escape.h"

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

/* "192.0.2.1" / "2001:db8::1" from an address in a 16-byte field (IPv4 in the first 4
 * bytes); family is the kernel's AF_INET (2) or AF_INET6 (10). */
static const char *format_ip(char *out, size_t len, unsigned int family, const void *addr)
{
	if (!inet_ntop(family == 10 ? AF_INET6 : AF_INET, addr, out, (socklen_t)len))
		snprintf(out, len, "?");
	return out;
}

/* "192.0.2.1:80" / "[2001:db8::1]:80", or the address alone; "" for none. */
static const char *format_addr(char *out, size_t len, const struct record_addr *a)
{
	char ip[INET6_ADDRSTRLEN];

	if (!a->family) {
		out[0] = '\0';
		return out;
	}
	format_ip(ip, sizeof(ip), a->family, a->addr);
	if (!a->has_port)
		snprintf(out, len, "%s", ip);
	else if (a->family == 10)
		snprintf(out, len, "[%s]:%u", ip, a->port);
	else
		snprintf(out, len, "%s:%u", ip, a->port);
	return out;
}

static const char *format_mac(char *out, size_t len, const uint8_t *mac, size_t maclen)
{
	size_t o = 0;

	if (len)
		out[0] = '\0';
	for (size_t i = 0; i < maclen && o + 3 < len; i++)
		o += (size_t)snprintf(out + o, len - o, i ? ":%02x" : "%02x", mac[i]);
	return out;
}

/* The errno values events carry, by name. */
static const char *errno_name(int err)
{
	switch (err < 0 ? -err : err) {
	case ECONNREFUSED:
		return "ECONNREFUSED";
	case ETIMEDOUT:
		return "ETIMEDOUT";
	case EHOSTUNREACH:
		return "EHOSTUNREACH";
	case ENETUNREACH:
		return "ENETUNREACH";
	case ECONNRESET:
		return "ECONNRESET";
	case EACCES:
		return "EACCES";
	case EPERM:
		return "EPERM";
	case EINVAL:
		return "EINVAL";
	case ENOBUFS:
		return "ENOBUFS";
	default:
		return NULL;
	}
}

static void field_value(char *out, size_t len, const struct record_field *f)
{
	const char *en;

	switch (f->kind) {
	case RECORD_STR:
		snprintf(out, len, "%s", f->text ? f->text : "");
		break;
	case RECORD_QUOTED:
		snprintf(out, len, "\"%s\"", f->text ? f->text : "");
		break;
	case RECORD_UINT:
		snprintf(out, len, "%llu", (unsigned long long)f->u);
		break;
	case RECORD_ERRNO:
		en = errno_name((int)f->u);
		if (en)
			snprintf(out, len, "%s", en);
		else
			snprintf(out, len, "%u", (unsigned int)f->u);
		break;
	case RECORD_IP:
		format_ip(out, len, f->len, f->bytes);
		break;
	case RECORD_MAC:
		format_mac(out, len, f->bytes, f->len);
		break;
	case RECORD_SECONDS:
		snprintf(out, len, "%.*fs", (int)f->len, f->seconds);
		break;
	}
}

const char *events_detail(const struct event_record *ev, char *buf, size_t len)
{
	char v[RECORD_TEXT + 3];
	size_t o = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (unsigned int i = 0; i < ev->nfields; i++) {
		int n;

		field_value(v, sizeof(v), &ev->fields[i]);
		n = snprintf(buf + o, len - o, "%s%s=%s", i ? " " : "", ev->fields[i].key, v);
		if (n < 0)
			break;
		if ((size_t)n >= len - o) {
			/* cut: the last field (a DNS name, say) is what a long detail loses */
			if (ev->mark_cut && len >= 4)
				memcpy(buf + len - 4, "...", 4);
			break;
		}
		o += (size_t)n;
	}
	return buf;
}

static void kv(struct strbuf *out, const char *k, const char *v)
{
	strbuf_printf(out, ",\"%s\":", k);
	strbuf_json_str(out, v);
}

void events_json(struct strbuf *out, const struct event_record *ev, int64_t wall_offset_ns)
{
	char when[96], src[64], dst[64], detail[160];

	format_time(when, sizeof(when), ev->ts_ns, wall_offset_ns, true);
	format_addr(src, sizeof(src), &ev->src);
	format_addr(dst, sizeof(dst), &ev->dst);
	events_detail(ev, detail, sizeof(detail));
	strbuf_puts(out, "{\"time\":");
	strbuf_json_str(out, when);
	kv(out, "layer", ev->collector);
	kv(out, "osi", ev->osi);
	kv(out, "type", ev->type);
	strbuf_printf(out, ",\"netns\":%u", ev->netns);
	if (ev->pid) {
		strbuf_printf(out, ",\"pid\":%u", ev->pid);
		kv(out, "comm", ev->comm);
	}
	if (ev->cgroup_id)
		strbuf_printf(out, ",\"cgroup_id\":%llu", (unsigned long long)ev->cgroup_id);
	if (src[0])
		kv(out, "src", src);
	if (dst[0])
		kv(out, "dst", dst);
	if (ev->state && ev->state[0])
		kv(out, "state", ev->state);
	if (ev->device[0])
		kv(out, "device", ev->device);
	if (detail[0])
		kv(out, "detail", detail);
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
	char when[96], pid[12], src[64], dst[64], detail[160], comm[72], device[72], shown[640];
	const char *state = ev->state && ev->state[0] ? ev->state : "-";

	format_time(when, sizeof(when), ev->ts_ns, wall_offset_ns, false);
	format_addr(src, sizeof(src), &ev->src);
	format_addr(dst, sizeof(dst), &ev->dst);
	events_detail(ev, detail, sizeof(detail));
	if (ev->pid)
		snprintf(pid, sizeof(pid), "%u", ev->pid);
	else
		snprintf(pid, sizeof(pid), "-");
	/* names and details come from processes and containers: no terminal escapes */
	esc_column(comm, sizeof(comm), ev->comm);
	esc_column(device, sizeof(device), ev->device);
	esc_column(shown, sizeof(shown), detail);
	strbuf_printf(out, "%-15s %-5s %-20s %-10u %-7s %-16s %-24s %-24s %-12s %s%s%s%s\n",
		      when, ev->osi, ev->type, ev->netns, pid, comm[0] ? comm : "-",
		      src[0] ? src : "-", dst[0] ? dst : "-", state, device[0] ? "dev=" : "",
		      device, device[0] && shown[0] ? " " : "", shown);
}
