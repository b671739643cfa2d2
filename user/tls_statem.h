/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* TLS layer: where OpenSSL's handshake state machine starts, for probes that see every
 * handshake, also those run inside SSL_read, SSL_write and SSL_peek (pure functions on
 * an ELF image: unit tested). */
#ifndef OSISCOPE_TLS_STATEM_H
#define OSISCOPE_TLS_STATEM_H

#include <stddef.h>

#include "tls_elf.h"

/*
 * Every handshake of a TLS connection, whoever starts it, runs in the function that
 * SSL_set_accept_state / SSL_set_connect_state put in the object's handshake_func:
 * SSL_do_handshake calls it, and so do ssl3_read_bytes (SSL_read, SSL_peek) and
 * ssl3_write_bytes (SSL_write) while the connection is still in its handshake; after
 * it, it runs only for renegotiations and TLS 1.3 post-handshake messages. These are
 * ossl_statem_accept and ossl_statem_connect (OpenSSL 1.1 and 3.x), internal symbols
 * that stripped libraries do not name. TLS_method() does: it returns its SSL_METHOD,
 * which starts { int version; unsigned flags; unsigned long mask; ssl_new; ssl_clear;
 * ssl_free; ssl_accept; ssl_connect; ... }, the pointers relocated at load.
 *
 * From syms[TLS_SYM_TLS_METHOD], fills syms[TLS_SYM_STATEM_ACCEPT] and
 * [TLS_SYM_STATEM_CONNECT] (off: where to probe; code: the bytes there) when the image
 * is x86-64, TLS_method is `lea disp(%rip),%rax; ret`, the method's version is
 * TLS_ANY_VERSION (the layout guess holds) and both pointers land in executable code.
 * The probe goes past a leading `mov $imm,%esi` / `xor %esi,%esi` to the jump that
 * tail-calls the state machine: the kernel emulates a jump, but single-steps a mov.
 * Bounded: never reads outside [img, img + size), and looks at no more than 4
 * relocation sections and 2^22 entries (twice: one per pointer). Returns 0, or -ENOENT,
 * -EINVAL or -EOPNOTSUPP (other architectures) and leaves them not found.
 */
int tls_statem_resolve(const void *img, size_t size, unsigned int machine,
		       struct tls_sym syms[TLS_SYM_COUNT]);

#endif
