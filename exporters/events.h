/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef OSISCOPE_EVENTS_H
#define OSISCOPE_EVENTS_H

#include <stdint.h>

#include "record.h"
#include "../user/strbuf.h"

/* Renders one event as a JSON object on one line (with the newline). wall_offset_ns
 * turns the kernel's monotonic timestamp into wall-clock time. */
void events_json(struct strbuf *out, const struct event_record *ev, int64_t wall_offset_ns);
/* The header line and one row of the columns view. */
void events_columns_header(struct strbuf *out);
void events_columns(struct strbuf *out, const struct event_record *ev, int64_t wall_offset_ns);
/* The record's fields as one "key=value ..." line of at most len - 1 bytes; cut, it ends
 * in "..." where the record asks for that (mark_cut). */
const char *events_detail(const struct event_record *ev, char *buf, size_t len);

#endif
