// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* TLS layer: the handshake state machine found from TLS_method (tls_statem.h), on a
 * small image built here: a shared library's (relocated pointers) and a static
 * executable's (pointers in the data). */
#include <elf.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "test.h"
#include "tls_statem.h"

/* One PT_LOAD at address 0x1000 holding the whole file, TLS_method at text, its
 * SSL_METHOD at method, the two state machines at accept/connect, and a RELA section. */
struct statem_img {
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	uint8_t text[16];
	uint8_t method[64];
	uint8_t accept[16];
	uint8_t connect[16];
	Elf64_Rela rela[2];
	Elf64_Shdr sh[2];
};

#define VA(field) (0x1000 + offsetof(struct statem_img, field))

static void put(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void statem_img(struct statem_img *m, bool relocated, struct tls_sym *syms)
{
	static const uint8_t tls_method[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x48, 0x8d,
					      0x05, 0,	  0,	0,    0,    0xc3 };
	static const uint8_t acc[] = { 0xbe, 0x01, 0, 0, 0, 0xe9, 1, 2, 3, 4 };
	static const uint8_t con[] = { 0x31, 0xf6, 0xe9, 1, 2, 3, 4 };

	memset(m, 0, sizeof(*m));
	memcpy(m->eh.e_ident, ELFMAG, SELFMAG);
	m->eh.e_ident[EI_CLASS] = ELFCLASS64;
	m->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	m->eh.e_machine = EM_X86_64;
	m->eh.e_phoff = offsetof(struct statem_img, ph);
	m->eh.e_phentsize = sizeof(Elf64_Phdr);
	m->eh.e_phnum = 1;
	m->eh.e_shoff = offsetof(struct statem_img, sh);
	m->eh.e_shentsize = sizeof(Elf64_Shdr);
	m->eh.e_shnum = 2;
	m->ph = (Elf64_Phdr){ .p_type = PT_LOAD,
			      .p_flags = PF_R | PF_X,
			      .p_vaddr = 0x1000,
			      .p_filesz = sizeof(*m),
			      .p_memsz = sizeof(*m) };
	memcpy(m->text, tls_method, sizeof(tls_method));
	/* lea: relative to the end of the instruction, 11 bytes into TLS_method */
	put(m->text + 7, VA(method) - (VA(text) + 11), 4);
	put(m->method, 0x10000, 4); /* TLS_ANY_VERSION */
	memcpy(m->accept, acc, sizeof(acc));
	memcpy(m->connect, con, sizeof(con));
	if (relocated) {
		m->rela[0] = (Elf64_Rela){ VA(method) + 40, ELF64_R_INFO(0, R_X86_64_RELATIVE),
					   (int64_t)VA(accept) };
		m->rela[1] = (Elf64_Rela){ VA(method) + 48, ELF64_R_INFO(0, R_X86_64_RELATIVE),
					   (int64_t)VA(connect) };
		m->sh[1] = (Elf64_Shdr){ .sh_type = SHT_RELA,
					 .sh_offset = offsetof(struct statem_img, rela),
					 .sh_size = sizeof(m->rela),
					 .sh_entsize = sizeof(Elf64_Rela) };
	} else {
		put(m->method + 40, VA(accept), 8);
		put(m->method + 48, VA(connect), 8);
	}
	memset(syms, 0, sizeof(*syms) * TLS_SYM_COUNT);
	syms[TLS_SYM_TLS_METHOD].found = true;
	syms[TLS_SYM_TLS_METHOD].off = offsetof(struct statem_img, text);
	syms[TLS_SYM_TLS_METHOD].ncode = sizeof(m->text);
	memcpy(syms[TLS_SYM_TLS_METHOD].code, m->text, sizeof(m->text));
}

TEST(tls_statem_resolve)
{
	struct tls_sym syms[TLS_SYM_COUNT];
	struct statem_img m;

	for (int relocated = 0; relocated <= 1; relocated++) {
		const char *what = relocated ? "shared library" : "static executable";

		statem_img(&m, relocated, syms);
		ASSERT_OK(tls_statem_resolve(&m, sizeof(m), EM_X86_64, syms), what);
		ASSERT_TRUE(syms[TLS_SYM_STATEM_ACCEPT].found, what);
		ASSERT_EQ(syms[TLS_SYM_STATEM_ACCEPT].off, offsetof(struct statem_img, accept) + 5,
			  "accept: on the jump, past mov $1,%esi");
		ASSERT_EQ(syms[TLS_SYM_STATEM_ACCEPT].code[0], 0xe9, "accept: the jump's bytes");
		ASSERT_EQ(syms[TLS_SYM_STATEM_CONNECT].off,
			  offsetof(struct statem_img, connect) + 2,
			  "connect: on the jump, past xor %esi,%esi");
	}
	statem_img(&m, true, syms);
	ASSERT_EQ(tls_statem_resolve(&m, sizeof(m), EM_AARCH64, syms), -EOPNOTSUPP, "arm64");
	ASSERT_TRUE(!syms[TLS_SYM_STATEM_ACCEPT].found, "left not found");
	put(m.method, 0x0304, 4);
	ASSERT_EQ(tls_statem_resolve(&m, sizeof(m), EM_X86_64, syms), -ENOENT,
		  "a method whose version is not TLS_ANY_VERSION: another layout");
	statem_img(&m, true, syms);
	syms[TLS_SYM_TLS_METHOD].code[11] = 0x90;
	ASSERT_EQ(tls_statem_resolve(&m, sizeof(m), EM_X86_64, syms), -ENOENT,
		  "TLS_method not lea; ret");
	statem_img(&m, true, syms);
	put(syms[TLS_SYM_TLS_METHOD].code + 7, 0x7fff0000, 4);
	ASSERT_EQ(tls_statem_resolve(&m, sizeof(m), EM_X86_64, syms), -ENOENT,
		  "method outside the image");
	statem_img(&m, true, syms);
	m.rela[0].r_addend = 0x900000;
	ASSERT_EQ(tls_statem_resolve(&m, sizeof(m), EM_X86_64, syms), -ENOENT,
		  "pointer outside the code");
	statem_img(&m, true, syms);
	m.ph.p_flags = PF_R;
	ASSERT_EQ(tls_statem_resolve(&m, sizeof(m), EM_X86_64, syms), -ENOENT,
		  "pointer into a segment that is not executable");
	statem_img(&m, true, syms);
	m.sh[1].sh_size = 1 << 20;
	ASSERT_EQ(tls_statem_resolve(&m, sizeof(m), EM_X86_64, syms), -ENOENT,
		  "relocations past the end are not read (and the data holds no pointer)");
	statem_img(&m, true, syms);
	ASSERT_EQ(tls_statem_resolve(&m, offsetof(struct statem_img, method) + 8, EM_X86_64, syms),
		  -ENOENT, "image cut short");
	ASSERT_EQ(tls_statem_resolve(&m, 10, EM_X86_64, syms), -ENOENT, "shorter than a header");
}
