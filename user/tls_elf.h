/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* TLS layer: what osiscope reads out of an OpenSSL library or executable before it
 * places uprobes in it (pure functions, no BPF: unit tested). */
#ifndef OSISCOPE_TLS_ELF_H
#define OSISCOPE_TLS_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The OpenSSL functions the TLS layer looks for, in this order. */
enum tls_sym_id {
	TLS_SYM_DO_HANDSHAKE,
	TLS_SYM_SET_CONNECT_STATE,
	TLS_SYM_SET_ACCEPT_STATE,
	TLS_SYM_FREE,
	TLS_SYM_SET_FD,
	TLS_SYM_VERSION,
	TLS_SYM_READ,
	TLS_SYM_WRITE,
	TLS_SYM_READ_EX,
	TLS_SYM_WRITE_EX,
	TLS_SYM_ERR_VSET_ERROR, /* 3.x */
	TLS_SYM_ERR_PUT_ERROR, /* 1.1 */
	TLS_SYM_COUNT,
};

extern const char *const tls_sym_names[TLS_SYM_COUNT];

struct tls_sym {
	bool found;
	uint64_t off; /* file offset of the function: what a uprobe takes */
	uint8_t code[16]; /* its first bytes, fewer if the section ends first */
	size_t ncode;
};

/* What a lookup takes at most: a file (libcrypto is 5 MB, node with OpenSSL linked in
 * 100 MB), and symbols looked at in it (.symtab then .dynsym). */
#define TLS_ELF_MAX_SIZE (512ULL << 20)
#define TLS_ELF_MAX_SYMS (4U << 20)

/*
 * Looks the functions of tls_sym_names up in an ELF64 image (the whole file, mapped)
 * built for this machine, in .symtab and .dynsym: defined functions only, so a program
 * that merely imports SSL_do_handshake does not match. Bounded: a truncated or hostile
 * file gives -EINVAL, never a read outside [img, img + size); a file larger than
 * TLS_ELF_MAX_SIZE -EFBIG. The first table of each kind only, at most TLS_ELF_MAX_SYMS
 * symbols in all: work linear in the file. Returns how many were found.
 */
int tls_elf_lookup(const void *img, size_t size, struct tls_sym syms[TLS_SYM_COUNT]);
/* The same for an explicit machine (EM_X86_64, EM_AARCH64), for tests. */
int tls_elf_lookup_machine(const void *img, size_t size, unsigned int machine,
			   struct tls_sym syms[TLS_SYM_COUNT]);
/* ... and how many symbols it looked at (for tests of the budget). */
int tls_elf_lookup_work(const void *img, size_t size, unsigned int machine,
			struct tls_sym syms[TLS_SYM_COUNT], uint64_t *examined);

enum tls_arch { TLS_ARCH_X86_64, TLS_ARCH_ARM64, TLS_ARCH_OTHER };
enum tls_arch tls_arch_host(void);

/*
 * How many bytes into a function to place its probe. A uprobe costs a trap, and on
 * x86 a second one (single-stepping the displaced instruction, ~10 us here) unless
 * the kernel emulates that instruction (push, jumps, calls: ~1 us). Skips an endbr64
 * and a leading `test %rdi,%rdi` that a conditional jump follows (SSL_free in
 * OpenSSL 3.0): neither changes a register but the flags, nor the stack pointer, so
 * entry and return probes see the same arguments and return address there.
 */
size_t tls_probe_skip(enum tls_arch arch, const uint8_t *code, size_t n);

/*
 * Where SSL_version() reads the negotiated version in the SSL object, if its code is
 * exactly one load from its argument and a return (OpenSSL 1.1 and 3.0/3.1: the
 * struct is opaque, and this is the library's own answer). -1 for anything else, e.g.
 * OpenSSL 3.2+, whose SSL_version branches on the object's type.
 */
int tls_version_field(enum tls_arch arch, const uint8_t *code, size_t n);

#endif
