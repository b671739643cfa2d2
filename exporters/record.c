// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Filling an event record's typed fields: what collectors call from their decoders. */
#include "record.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void record_addr_set(struct record_addr *a, unsigned int family, const void *addr, bool has_port,
		     unsigned int port)
{
	a->family = (uint16_t)family;
	memcpy(a->addr, addr, sizeof(a->addr));
	a->has_port = has_port;
	a->port = (uint16_t)port;
}

static struct record_field *field_add(struct event_record *r, const char *key,
				      enum record_kind kind)
{
	struct record_field *f;

	if (r->nfields >= RECORD_MAX_FIELDS)
		return NULL;
	f = &r->fields[r->nfields++];
	memset(f, 0, sizeof(*f));
	f->key = key;
	f->kind = kind;
	return f;
}

/* Copies text into the record's own storage; a text that does not fit is cut. */
static const char *text_add(struct event_record *r, const char *s, size_t n)
{
	size_t room = sizeof(r->text) - r->textlen;
	char *dst = r->text + r->textlen;

	if (!room)
		return "";
	if (n >= room)
		n = room - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	r->textlen += n + 1;
	return dst;
}

static void field_text(struct event_record *r, const char *key, enum record_kind kind,
		       const char *fmt, va_list ap)
{
	struct record_field *f = field_add(r, key, kind);
	char buf[RECORD_TEXT];
	int n;

	if (!f)
		return;
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n < 0)
		n = 0;
	f->text = text_add(r, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

void record_str(struct event_record *r, const char *key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	field_text(r, key, RECORD_STR, fmt, ap);
	va_end(ap);
}

static void quoted(struct event_record *r, const char *key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	field_text(r, key, RECORD_QUOTED, fmt, ap);
	va_end(ap);
}

void record_quoted(struct event_record *r, const char *key, const char *text)
{
	quoted(r, key, "%s", text);
}

void record_uint(struct event_record *r, const char *key, uint64_t v)
{
	struct record_field *f = field_add(r, key, RECORD_UINT);

	if (f)
		f->u = v;
}

void record_errno(struct event_record *r, const char *key, int err)
{
	struct record_field *f = field_add(r, key, RECORD_ERRNO);

	if (f)
		f->u = (uint64_t)(uint32_t)err;
}

void record_ip(struct event_record *r, const char *key, unsigned int family, const void *addr)
{
	struct record_field *f = field_add(r, key, RECORD_IP);

	if (!f)
		return;
	f->len = (uint8_t)family;
	memcpy(f->bytes, addr, 16);
}

void record_mac(struct event_record *r, const char *key, const uint8_t *mac, size_t len)
{
	struct record_field *f = field_add(r, key, RECORD_MAC);

	if (!f)
		return;
	if (len > sizeof(f->bytes))
		len = sizeof(f->bytes);
	f->len = (uint8_t)len;
	memcpy(f->bytes, mac, len);
}

void record_seconds(struct event_record *r, const char *key, double s, unsigned int decimals)
{
	struct record_field *f = field_add(r, key, RECORD_SECONDS);

	if (!f)
		return;
	f->seconds = s;
	f->len = (uint8_t)decimals;
}

const char *record_addr_text(const struct record_addr *a, char *out, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (!a->family) {
		out[0] = '\0';
		return out;
	}
	if (!inet_ntop(a->family == 10 ? AF_INET6 : AF_INET, a->addr, ip, sizeof(ip)))
		snprintf(ip, sizeof(ip), "?");
	if (!a->has_port)
		snprintf(out, len, "%s", ip);
	else if (a->family == 10)
		snprintf(out, len, "[%s]:%u", ip, a->port);
	else
		snprintf(out, len, "%s:%u", ip, a->port);
	return out;
}

const char *record_errno_name(int err)
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
