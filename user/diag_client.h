/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef OSISCOPE_DIAG_CLIENT_H
#define OSISCOPE_DIAG_CLIENT_H

#include <stddef.h>

#include "strbuf.h"

/*
 * GET http://HOST[:PORT]<path> (HTTP/1.0, no redirects): the status into *status and
 * the body into body. Bounded: 2 s to connect, 30 s in all, 16 MiB of answer. 0, or -1
 * with the reason in err (nothing answers, or what answered is no HTTP server).
 */
int diag_client_get(const char *url, const char *path, struct strbuf *body, int *status, char *err,
		    size_t errlen);
/* Splits "http://HOST[:PORT][/...]" (HOST may be [v6]); 0 or -EINVAL. */
int diag_client_parse_url(const char *url, char *host, size_t hostlen, char *port, size_t portlen);

#endif
