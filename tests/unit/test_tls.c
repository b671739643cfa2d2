// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* TLS layer: /proc/PID/maps parsing, ELF symbol lookup, probe placement, the
 * SSL_version decoder, OpenSSL's names, cgroup2 mount discovery. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "test.h"
#include "tls_cgroup.h"
#include "tls_discover.h"
#include "tls_elf.h"
#include "tls_util.h"

TEST(tls_maps_parse)
{
	char l1[] = "7f4b1c400000-7f4b1c45e000 r-xp 00021000 fd:01 1234567                    "
		    "/usr/lib/x86_64-linux-gnu/libssl.so.3\n";
	char l2[] =
		"7f4b1c400000-7f4b1c45e000 r--p 00000000 00:2d 42 /tmp/a dir/libssl.so.3 (deleted)";
	char l3[] =
		"7ffd5a3c1000-7ffd5a3e2000 rw-p 00000000 00:00 0                          [stack]";
	char l4[] = "7ffd5a3c1000-7ffd5a3e2000 rw-p 00000000 00:00 0";
	char bad1[] = "garbage";
	char bad2[] = "2000-1000 r-xp 00000000 fd:01 1 /x";
	struct tls_maps_entry e;

	if (!ASSERT_OK(tls_maps_parse(l1, &e), "libssl line"))
		return;
	ASSERT_EQ(e.start, 0x7f4b1c400000ULL, "start");
	ASSERT_EQ(e.end, 0x7f4b1c45e000ULL, "end");
	ASSERT_EQ(e.offset, 0x21000, "offset");
	ASSERT_EQ(e.dev, (0xfdu << 20) | 1, "dev as the kernel's dev_t");
	ASSERT_EQ(e.ino, 1234567, "inode");
	ASSERT_STREQ(e.perms, "r-xp", "perms");
	ASSERT_STREQ(e.path, "/usr/lib/x86_64-linux-gnu/libssl.so.3", "path, newline cut");
	ASSERT_OK(tls_maps_parse(l2, &e), "deleted, space in path");
	ASSERT_STREQ(e.path, "/tmp/a dir/libssl.so.3 (deleted)", "path with spaces");
	ASSERT_EQ(e.dev, 0x2d, "minor only");
	ASSERT_OK(tls_maps_parse(l3, &e), "stack");
	ASSERT_STREQ(e.path, "[stack]", "pseudo path");
	ASSERT_OK(tls_maps_parse(l4, &e), "anonymous");
	ASSERT_STREQ(e.path, "", "no path");
	ASSERT_ERR(tls_maps_parse(bad1, &e), "garbage");
	ASSERT_ERR(tls_maps_parse(bad2, &e), "end before start");
}

TEST(tls_lib_kind)
{
	ASSERT_EQ(tls_lib_kind("/usr/lib/x86_64-linux-gnu/libssl.so.3"), TLS_LIB_SSL, "libssl 3");
	ASSERT_EQ(tls_lib_kind("/lib64/libssl.so.1.1"), TLS_LIB_SSL, "libssl 1.1");
	ASSERT_EQ(tls_lib_kind("/opt/py/site-packages/libssl-8a9b.so.3"), TLS_LIB_SSL, "bundled");
	ASSERT_EQ(tls_lib_kind("libssl.so"), TLS_LIB_SSL, "bare name");
	ASSERT_EQ(tls_lib_kind("/usr/lib/libcrypto.so.3 (deleted)"), TLS_LIB_CRYPTO, "libcrypto");
	ASSERT_EQ(tls_lib_kind("/usr/lib/libssl.a"), 0, "static archive");
	ASSERT_EQ(tls_lib_kind("/usr/lib/libcurl.so.4"), 0, "other library");
	ASSERT_EQ(tls_lib_kind("/opt/libssl.so.3/libfoo.so"), 0, "only the file name counts");
}

TEST(tls_probe_skip)
{
	static const uint8_t push[] = { 0x53, 0x48, 0x83, 0xec, 0x30 };
	static const uint8_t ssl_free[] = { 0x48, 0x85, 0xff, 0x0f, 0x84, 0x97, 0x03, 0x00, 0x00 };
	static const uint8_t short_je[] = { 0x48, 0x85, 0xff, 0x74, 0x10, 0x53 };
	static const uint8_t endbr_push[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x55, 0x48 };
	static const uint8_t endbr_test[] = {
		0xf3, 0x0f, 0x1e, 0xfa, 0x48, 0x85, 0xff, 0x75, 0x02
	};
	static const uint8_t test_mov[] = { 0x48, 0x85, 0xff, 0x48, 0x89, 0xf8 };
	static const uint8_t test_rsi[] = { 0x48, 0x85, 0xf6, 0x74, 0x10 };

	ASSERT_EQ(tls_probe_skip(TLS_ARCH_X86_64, push, sizeof(push)), 0, "push is emulated");
	ASSERT_EQ(tls_probe_skip(TLS_ARCH_X86_64, ssl_free, sizeof(ssl_free)), 3, "test; je rel32");
	ASSERT_EQ(tls_probe_skip(TLS_ARCH_X86_64, short_je, sizeof(short_je)), 3, "test; je rel8");
	ASSERT_EQ(tls_probe_skip(TLS_ARCH_X86_64, endbr_push, sizeof(endbr_push)), 4, "endbr64");
	ASSERT_EQ(tls_probe_skip(TLS_ARCH_X86_64, endbr_test, sizeof(endbr_test)), 7,
		  "endbr64; test; jne");
	ASSERT_EQ(tls_probe_skip(TLS_ARCH_X86_64, test_mov, sizeof(test_mov)), 0,
		  "test without a jump after it");
	ASSERT_EQ(tls_probe_skip(TLS_ARCH_X86_64, test_rsi, sizeof(test_rsi)), 0,
		  "test of another register");
	ASSERT_EQ(tls_probe_skip(TLS_ARCH_X86_64, ssl_free, 4), 0, "truncated code");
	ASSERT_EQ(tls_probe_skip(TLS_ARCH_ARM64, ssl_free, sizeof(ssl_free)), 0, "arm64: never");
}

TEST(tls_version_field)
{
	/* OpenSSL 3.0 on Debian 12: mov (%rdi),%eax; xor %edi,%edi; ret */
	static const uint8_t deb12[] = { 0x8b, 0x07, 0x31, 0xff, 0xc3, 0x66, 0x2e };
	static const uint8_t disp8[] = { 0x8b, 0x47, 0x10, 0xc3 };
	static const uint8_t disp32[] = { 0xf3, 0x0f, 0x1e, 0xfa, 0x8b, 0x87, 0x00, 0x01,
					  0x00, 0x00, 0x45, 0x31, 0xc0, 0xf3, 0xc3 };
	static const uint8_t zero_eax[] = { 0x8b, 0x07, 0x31, 0xc0, 0xc3 };
	static const uint8_t rex_w[] = { 0x48, 0x8b, 0x07, 0xc3 };
	static const uint8_t calls[] = { 0x8b, 0x07, 0xe8, 0x00, 0x00, 0x00, 0x00, 0xc3 };
	static const uint8_t branches[] = { 0x48, 0x85, 0xff, 0x74, 0x10, 0x8b, 0x07, 0xc3 };
	static const uint8_t no_ret[] = { 0x8b, 0x07, 0x31, 0xff };
	static const uint8_t negative[] = { 0x8b, 0x47, 0xf8, 0xc3 };
	/* arm64: ldr w0, [x0]; ret / bti c; ldr w0, [x0, #8]; mov x1, #0; ret */
	static const uint8_t a64[] = { 0x00, 0x00, 0x40, 0xb9, 0xc0, 0x03, 0x5f, 0xd6 };
	static const uint8_t a64_off[] = { 0x5f, 0x24, 0x03, 0xd5, 0x00, 0x08, 0x40, 0xb9,
					   0x01, 0x00, 0x80, 0xd2, 0xc0, 0x03, 0x5f, 0xd6 };
	static const uint8_t a64_x[] = { 0x00, 0x00, 0x40, 0xf9, 0xc0, 0x03, 0x5f, 0xd6 };
	static const uint8_t a64_other[] = { 0x00, 0x04, 0x40, 0xb9, 0x00, 0x00, 0x00, 0x94 };

	ASSERT_EQ(tls_version_field(TLS_ARCH_X86_64, deb12, sizeof(deb12)), 0, "Debian 12's");
	ASSERT_EQ(tls_version_field(TLS_ARCH_X86_64, disp8, sizeof(disp8)), 16, "disp8");
	ASSERT_EQ(tls_version_field(TLS_ARCH_X86_64, disp32, sizeof(disp32)), 256,
		  "endbr64, disp32, xor %r8d, rep ret");
	ASSERT_EQ(tls_version_field(TLS_ARCH_X86_64, zero_eax, sizeof(zero_eax)), -1,
		  "the result zeroed");
	ASSERT_EQ(tls_version_field(TLS_ARCH_X86_64, rex_w, sizeof(rex_w)), -1, "64-bit load");
	ASSERT_EQ(tls_version_field(TLS_ARCH_X86_64, calls, sizeof(calls)), -1, "a call");
	ASSERT_EQ(tls_version_field(TLS_ARCH_X86_64, branches, sizeof(branches)), -1,
		  "OpenSSL 3.2+: a branch first");
	ASSERT_EQ(tls_version_field(TLS_ARCH_X86_64, no_ret, sizeof(no_ret)), -1, "truncated");
	ASSERT_EQ(tls_version_field(TLS_ARCH_X86_64, negative, sizeof(negative)), -1,
		  "negative offset");
	ASSERT_EQ(tls_version_field(TLS_ARCH_ARM64, a64, sizeof(a64)), 0, "arm64 ldr");
	ASSERT_EQ(tls_version_field(TLS_ARCH_ARM64, a64_off, sizeof(a64_off)), 8,
		  "arm64 bti, ldr #8, mov x1 #0");
	ASSERT_EQ(tls_version_field(TLS_ARCH_ARM64, a64_x, sizeof(a64_x)), -1, "arm64 64-bit load");
	ASSERT_EQ(tls_version_field(TLS_ARCH_ARM64, a64_other, sizeof(a64_other)), -1,
		  "arm64 a call after");
	ASSERT_EQ(tls_version_field(TLS_ARCH_OTHER, deb12, sizeof(deb12)), -1, "other arch");
}

/* A minimal ELF64 image: null, .text, .symtab, .strtab, .data. */
struct mini_elf {
	Elf64_Ehdr eh;
	uint8_t text[32];
	Elf64_Sym syms[6];
	char strtab[96];
	Elf64_Shdr sh[5];
};

static size_t mini_elf(struct mini_elf *m, unsigned int machine)
{
	static const char names[] = "\0SSL_do_handshake\0SSL_free\0ERR_vset_error\0SSL_version\0"
				    "SSL_set_fd";
	size_t text_off = offsetof(struct mini_elf, text);

	memset(m, 0, sizeof(*m));
	memcpy(m->eh.e_ident, ELFMAG, SELFMAG);
	m->eh.e_ident[EI_CLASS] = ELFCLASS64;
	m->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	m->eh.e_machine = (Elf64_Half)machine;
	m->eh.e_shoff = offsetof(struct mini_elf, sh);
	m->eh.e_shentsize = sizeof(Elf64_Shdr);
	m->eh.e_shnum = 5;
	for (int i = 0; i < 32; i++)
		m->text[i] = (uint8_t)(0x50 + i);
	memcpy(m->strtab, names, sizeof(names));
	/* .text at address 0x1000 */
	m->sh[1] = (Elf64_Shdr){ .sh_type = SHT_PROGBITS,
				 .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
				 .sh_addr = 0x1000,
				 .sh_offset = text_off,
				 .sh_size = 32 };
	m->sh[2] = (Elf64_Shdr){ .sh_type = SHT_SYMTAB,
				 .sh_link = 3,
				 .sh_offset = offsetof(struct mini_elf, syms),
				 .sh_size = sizeof(m->syms),
				 .sh_entsize = sizeof(Elf64_Sym) };
	m->sh[3] = (Elf64_Shdr){ .sh_type = SHT_STRTAB,
				 .sh_offset = offsetof(struct mini_elf, strtab),
				 .sh_size = sizeof(names) };
	m->sh[4] = (Elf64_Shdr){ .sh_type = SHT_PROGBITS,
				 .sh_flags = SHF_ALLOC | SHF_WRITE,
				 .sh_addr = 0x2000,
				 .sh_offset = text_off,
				 .sh_size = 32 };
	/* SSL_do_handshake at 0x1004, SSL_free imported, ERR_vset_error an object,
	 * SSL_version 2 bytes before the end of .text, SSL_set_fd in a data section */
	m->syms[1] = (Elf64_Sym){ .st_name = 1,
				  .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
				  .st_shndx = 1,
				  .st_value = 0x1004 };
	m->syms[2] = (Elf64_Sym){ .st_name = 18,
				  .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
				  .st_shndx = SHN_UNDEF };
	m->syms[3] = (Elf64_Sym){ .st_name = 27,
				  .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT),
				  .st_shndx = 1,
				  .st_value = 0x1008 };
	m->syms[4] = (Elf64_Sym){ .st_name = 42,
				  .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
				  .st_shndx = 1,
				  .st_value = 0x101e };
	m->syms[5] = (Elf64_Sym){ .st_name = 54,
				  .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
				  .st_shndx = 4,
				  .st_value = 0x2000 };
	return sizeof(*m);
}

TEST(tls_elf_lookup)
{
	struct tls_sym syms[TLS_SYM_COUNT];
	struct mini_elf m;
	size_t size = mini_elf(&m, EM_X86_64);

	ASSERT_EQ(tls_elf_lookup_machine(&m, size, EM_X86_64, syms), 2, "found");
	ASSERT_TRUE(syms[TLS_SYM_DO_HANDSHAKE].found, "defined function");
	ASSERT_EQ(syms[TLS_SYM_DO_HANDSHAKE].off, offsetof(struct mini_elf, text) + 4,
		  "file offset, not address");
	ASSERT_EQ(syms[TLS_SYM_DO_HANDSHAKE].ncode, 16, "first bytes");
	ASSERT_EQ(syms[TLS_SYM_DO_HANDSHAKE].code[0], 0x54, "its bytes");
	ASSERT_TRUE(!syms[TLS_SYM_FREE].found, "imported only");
	ASSERT_TRUE(!syms[TLS_SYM_ERR_VSET_ERROR].found, "not a function");
	ASSERT_TRUE(!syms[TLS_SYM_SET_FD].found, "not in code");
	ASSERT_EQ(syms[TLS_SYM_VERSION].ncode, 2, "bytes up to the section's end");

	ASSERT_EQ(tls_elf_lookup_machine(&m, size, EM_AARCH64, syms), -EINVAL, "other machine");
	ASSERT_EQ(tls_elf_lookup_machine(&m, size - 8, EM_X86_64, syms), -EINVAL,
		  "section headers cut off");
	ASSERT_EQ(tls_elf_lookup_machine(&m, 10, EM_X86_64, syms), -EINVAL,
		  "shorter than a header");
	m.sh[2].sh_size = 1 << 30;
	ASSERT_EQ(tls_elf_lookup_machine(&m, size, EM_X86_64, syms), 0,
		  "symbol table past the end");
	mini_elf(&m, EM_X86_64);
	m.syms[1].st_name = 4000;
	ASSERT_EQ(tls_elf_lookup_machine(&m, size, EM_X86_64, syms), 1,
		  "name past the string table");
	mini_elf(&m, EM_X86_64);
	m.sh[3].sh_size = 5; /* "SSL_do_handshake" runs past it */
	ASSERT_EQ(tls_elf_lookup_machine(&m, size, EM_X86_64, syms), 0, "unterminated name");
	mini_elf(&m, EM_X86_64);
	m.syms[1].st_value = 0x9000;
	ASSERT_EQ(tls_elf_lookup_machine(&m, size, EM_X86_64, syms), 1,
		  "address outside its section");
	memcpy(m.eh.e_ident, "\177ELG", 4);
	ASSERT_EQ(tls_elf_lookup_machine(&m, size, EM_X86_64, syms), -EINVAL, "not ELF");
}

/*
 * Issue 12, finding 1: 65,535 section headers that all say SHT_SYMTAB and point at one
 * table of 4,096 symbols (4.3 MB) took 22 s per lookup. One table of each kind is
 * read, once: 4,096 symbols looked at, not 268 million.
 */
TEST(tls_elf_quadratic_headers)
{
	const unsigned int nsh = 65535, nsym = 4096;
	size_t symoff = sizeof(Elf64_Ehdr), stroff = symoff + nsym * sizeof(Elf64_Sym);
	size_t shoff = (stroff + 64 + 7) & ~(size_t)7, size = shoff + nsh * sizeof(Elf64_Shdr);
	uint8_t *img = calloc(1, size);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	Elf64_Shdr *sh = (Elf64_Shdr *)(img + shoff);
	Elf64_Sym *sy = (Elf64_Sym *)(img + symoff);
	struct tls_sym syms[TLS_SYM_COUNT];
	uint64_t examined = 0;

	if (!ASSERT_OK_PTR(img, "image"))
		return;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_machine = EM_X86_64;
	eh->e_shoff = shoff;
	eh->e_shentsize = sizeof(Elf64_Shdr);
	eh->e_shnum = (Elf64_Half)nsh;
	memcpy(img + stroff, "\0SSL_free", 10);
	for (unsigned int s = 0; s < nsym; s++)
		sy[s] = (Elf64_Sym){ .st_name = 1, .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC) };
	sh[1] = (Elf64_Shdr){ .sh_type = SHT_STRTAB, .sh_offset = stroff, .sh_size = 64 };
	for (unsigned int i = 2; i < nsh; i++)
		sh[i] = (Elf64_Shdr){ .sh_type = i % 2 ? SHT_SYMTAB : SHT_DYNSYM,
				      .sh_link = 1,
				      .sh_offset = symoff,
				      .sh_size = nsym * sizeof(Elf64_Sym),
				      .sh_entsize = sizeof(Elf64_Sym) };
	ASSERT_EQ(tls_elf_lookup_work(img, size, EM_X86_64, syms, &examined), 0, "nothing defined");
	ASSERT_EQ(examined, 2 * nsym, "one .symtab and one .dynsym looked at");
	ASSERT_EQ(tls_elf_lookup_work(img, TLS_ELF_MAX_SIZE + 1, EM_X86_64, syms, &examined),
		  -EFBIG, "larger than a library can be");
	free(img);
}

/* The host's libssl, when there is one: what the collector will see in it. */
TEST(tls_elf_host_libssl)
{
	static const char *const paths[] = { "/usr/lib/x86_64-linux-gnu/libssl.so.3",
					     "/usr/lib/aarch64-linux-gnu/libssl.so.3",
					     "/usr/lib64/libssl.so.3", "/usr/lib/libssl.so.3" };
	struct tls_sym syms[TLS_SYM_COUNT];
	struct stat st;
	void *img;
	int fd = -1;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]) && fd < 0; i++)
		fd = open(paths[i], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "  no libssl.so.3 here: nothing to check\n");
		return;
	}
	if (!ASSERT_OK(fstat(fd, &st), "fstat"))
		goto out;
	img = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (!ASSERT_TRUE(img != MAP_FAILED, "mmap"))
		goto out;
	ASSERT_TRUE(tls_elf_lookup(img, (size_t)st.st_size, syms) >= 8, "most functions found");
	ASSERT_TRUE(syms[TLS_SYM_DO_HANDSHAKE].found && syms[TLS_SYM_SET_CONNECT_STATE].found &&
			    syms[TLS_SYM_SET_ACCEPT_STATE].found && syms[TLS_SYM_FREE].found,
		    "the handshake probes' functions");
	ASSERT_TRUE(!syms[TLS_SYM_ERR_VSET_ERROR].found, "ERR_vset_error is libcrypto's");
	if (OPENSSL_VERSION_MAJOR == 3 && OPENSSL_VERSION_MINOR < 2)
		ASSERT_TRUE(tls_version_field(tls_arch_host(), syms[TLS_SYM_VERSION].code,
					      syms[TLS_SYM_VERSION].ncode) >= 0,
			    "SSL_version of 3.0/3.1 decoded");
	munmap(img, (size_t)st.st_size);
out:
	close(fd);
}

TEST(tls_names)
{
	char buf[128];

	ASSERT_STREQ(tls_version_name(0x0304, buf, sizeof(buf)), "TLSv1.3", "1.3");
	ASSERT_STREQ(tls_version_name(0x0303, buf, sizeof(buf)), "TLSv1.2", "1.2");
	ASSERT_STREQ(tls_version_name(0xfefd, buf, sizeof(buf)), "DTLSv1.2", "DTLS 1.2");
	ASSERT_STREQ(tls_version_name(0, buf, sizeof(buf)), "unknown", "none");
	ASSERT_STREQ(tls_version_name(0x0305, buf, sizeof(buf)), "0x0305", "not named");
	ASSERT_STREQ(tls_reason_text(0, 1, buf, sizeof(buf)), "unknown", "no error raised");
	ASSERT_STREQ(tls_reason_text(0, 2, buf, sizeof(buf)), "incomplete", "freed mid-handshake");
	ASSERT_STREQ(tls_reason_text(0, 77, buf, sizeof(buf)), "lib 0 reason 77", "ours, unknown");
	ASSERT_EQ(tls_err_lib_ssl(), ERR_LIB_SSL, "ERR_LIB_SSL");
	tls_reason_text(ERR_LIB_SSL, SSL_R_CERTIFICATE_VERIFY_FAILED, buf, sizeof(buf));
	/* from the host's libssl.so.3 when it can be opened, else the numbers */
	if (strcmp(buf, "lib 20 reason 134"))
		ASSERT_STREQ(buf, "certificate verify failed", "OpenSSL's text");
	tls_reason_text(ERR_LIB_SSL, 1000 + SSL_AD_PROTOCOL_VERSION, buf, sizeof(buf));
	if (strncmp(buf, "lib ", 4))
		ASSERT_STREQ(buf, "tlsv1 alert protocol version", "an alert received");
	ASSERT_STREQ(tls_reason_text(ERR_LIB_SSL, 0x7ffff, buf, sizeof(buf)),
		     "lib 20 reason 524287", "no such reason");
}

TEST(tls_cgroup2_root)
{
	char path[] = "/tmp/osiscope-unit-mountinfo.XXXXXX", root[256];
	int fd = mkstemp(path);
	FILE *f;

	if (!ASSERT_TRUE(fd >= 0, "mkstemp"))
		return;
	f = fdopen(fd, "w");
	fputs("25 30 0:23 / /sys rw,nosuid shared:7 - sysfs sysfs rw\n"
	      "40 25 0:35 /kubepods /sys/fs/cgroup/pod rw - cgroup2 cgroup2 rw\n"
	      "36 25 0:31 / /sys/fs/cgroup/unified rw,nosuid,nodev shared:9 - cgroup2 cgroup2 "
	      "rw,nsdelegate\n"
	      "37 25 0:32 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n",
	      f);
	fclose(f);
	ASSERT_OK(tls_cgroup2_root(path, root, sizeof(root)), "parse");
	ASSERT_STREQ(root, "/sys/fs/cgroup/unified", "the hierarchy's root, not a subtree mount");
	f = fopen(path, "w");
	fputs("37 25 0:32 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n", f);
	fclose(f);
	ASSERT_OK(tls_cgroup2_root(path, root, sizeof(root)), "v1 only");
	ASSERT_STREQ(root, "", "no cgroup2");
	unlink(path);
	ASSERT_TRUE(tls_cgroup2_root("/nonexistent/mountinfo", root, sizeof(root)) < 0, "no file");
}

TEST(tls_cgroup_name)
{
	struct tls_cgroups c;
	char root[256], buf[256];
	union {
		struct file_handle fh;
		char raw[sizeof(struct file_handle) + 64];
	} h;
	uint64_t id;
	int mnt;

	tls_cgroup2_root("/proc/self/mountinfo", root, sizeof(root));
	h.fh.handle_bytes = 64;
	if (!root[0] || name_to_handle_at(AT_FDCWD, root, &h.fh, &mnt, 0) ||
	    h.fh.handle_bytes < 8) {
		fprintf(stderr, "  no cgroup2 hierarchy here: nothing to check\n");
		return;
	}
	memcpy(&id, h.fh.f_handle, sizeof(id));
	tls_cgroups_init(&c);
	ASSERT_STREQ(tls_cgroup_name(&c, id, buf, sizeof(buf)), "/", "the root cgroup");
	/* an id no cgroup has: a walk just ran, so ask again later */
	ASSERT_TRUE(tls_cgroup_name(&c, UINT64_MAX - 1, buf, sizeof(buf)) == NULL,
		    "unknown right after a walk");
	c.min_walk_ms = 0;
	ASSERT_STREQ(tls_cgroup_name(&c, UINT64_MAX - 1, buf, sizeof(buf)), "18446744073709551614",
		     "unknown after a walk of its own: the number, from then on");
	ASSERT_TRUE(tls_cgroups_sweep(&c, NULL, NULL) > 0, "sweep walks");
	ASSERT_STREQ(tls_cgroup_name(&c, id, buf, sizeof(buf)), "/", "the root stays");
	tls_cgroups_free(&c);
}

struct guarded_lookup {
	const void *img;
	size_t size;
	struct tls_sym syms[TLS_SYM_COUNT];
};

static void guarded_lookup(void *ctx)
{
	struct guarded_lookup *g = ctx;

	tls_elf_lookup(g->img, g->size, g->syms);
}

/* A library truncated while it is mapped and read (any container may do that to what
 * is in its own /usr/lib): the read past the new end faults, and the guard turns the
 * SIGBUS into an error instead of the agent's death. */
TEST(tls_truncated_while_read)
{
	char path[] = "/tmp/osiscope-tls-trunc.XXXXXX";
	size_t size = 1 << 20;
	Elf64_Ehdr eh = { .e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB,
				       EV_CURRENT },
			  .e_type = ET_DYN,
			  .e_machine = EM_X86_64,
			  .e_version = EV_CURRENT,
			  .e_ehsize = sizeof(Elf64_Ehdr),
			  .e_shentsize = sizeof(Elf64_Shdr),
			  .e_shnum = 12,
			  .e_shstrndx = 11 };
	struct guarded_lookup g = { .size = size };
	int fd = mkstemp(path);
	void *img;

	if (!ASSERT_TRUE(fd >= 0, "temporary file"))
		return;
	unlink(path);
	eh.e_shoff = size - 12 * sizeof(Elf64_Shdr); /* section headers at the very end */
	eh.e_machine = tls_arch_host() == TLS_ARCH_ARM64 ? EM_AARCH64 : EM_X86_64;
	if (!ASSERT_EQ(pwrite(fd, &eh, sizeof(eh), 0), sizeof(eh), "header") ||
	    !ASSERT_OK(ftruncate(fd, (off_t)size), "grow")) {
		close(fd);
		return;
	}
	img = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (!ASSERT_TRUE(img != MAP_FAILED, "map")) {
		close(fd);
		return;
	}
	g.img = img;
	ASSERT_OK(tls_read_guarded(guarded_lookup, &g), "read while whole");
	ASSERT_OK(ftruncate(fd, 4096), "shrink under the mapping");
	ASSERT_EQ(tls_read_guarded(guarded_lookup, &g), -EFAULT, "read past the new end");
	ASSERT_OK(tls_read_guarded(guarded_lookup, &g) == -EFAULT ? 0 : -1, "and again");
	munmap(img, size);
	close(fd);
}

/*
 * Issue 12, finding 2: a container's libssl that is a symlink out of it, a directory
 * symlink, "..", or a FIFO. tls_open_in_root() resolves inside the root, by openat2
 * and by the component walk of kernels without it; neither follows a symlink.
 */
static bool regular_in_root(int rootfd, const char *path, bool walk)
{
	struct stat st;
	int fd = tls_open_in_root(rootfd, path, O_PATH | O_NOFOLLOW, walk);
	bool ok;

	if (fd < 0)
		return false;
	ok = !fstat(fd, &st) && S_ISREG(st.st_mode);
	close(fd);
	return ok;
}

TEST(tls_open_in_root)
{
	char root[] = "/tmp/osiscope-unit-root-XXXXXX", p[256];
	int rootfd;

	if (!ASSERT_OK_PTR(mkdtemp(root), "mkdtemp"))
		return;
	snprintf(p, sizeof(p), "%s/usr", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/usr/lib", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/usr/lib/libssl.so.3", root);
	close(open(p, O_CREAT | O_WRONLY, 0644));
	snprintf(p, sizeof(p), "%s/usr/lib/libssl.so.1.1", root);
	ASSERT_OK(symlink("/etc/hostname", p), "symlink out of the root");
	snprintf(p, sizeof(p), "%s/usr/lib/libcrypto.so.3", root);
	ASSERT_OK(mkfifo(p, 0600), "fifo");
	snprintf(p, sizeof(p), "%s/escape", root);
	ASSERT_OK(symlink("/", p), "directory symlink to /");
	snprintf(p, sizeof(p), "%s/lib", root);
	ASSERT_OK(symlink("usr/lib", p), "relative directory symlink");
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (int walk = 0; walk < 2 && ASSERT_TRUE(rootfd >= 0, "root"); walk++) {
		ASSERT_TRUE(regular_in_root(rootfd, "/usr/lib/libssl.so.3", walk), "plain file");
		ASSERT_TRUE(!regular_in_root(rootfd, "/usr/lib/libssl.so.1.1", walk),
			    "trailing symlink");
		ASSERT_TRUE(!regular_in_root(rootfd, "/usr/lib/libcrypto.so.3", walk), "fifo");
		ASSERT_TRUE(!regular_in_root(rootfd, "/escape/etc/hostname", walk),
			    "through a symlink to /");
		ASSERT_TRUE(!regular_in_root(rootfd, "/lib/libssl.so.3", walk),
			    "through a relative directory symlink");
		ASSERT_TRUE(!regular_in_root(rootfd, "/../../../../etc/hostname", walk),
			    "above the root");
		ASSERT_TRUE(!regular_in_root(rootfd, "/usr/../../etc/hostname", walk),
			    "above the root from below");
		int dfd = tls_open_in_root(rootfd, "/usr/lib", O_RDONLY | O_DIRECTORY, walk);

		ASSERT_TRUE(dfd >= 0, "a directory");
		if (dfd >= 0)
			close(dfd);
	}
	if (rootfd >= 0)
		close(rootfd);
	snprintf(p, sizeof(p), "rm -rf '%s'", root);
	ASSERT_OK(system(p), "clean up");
}

static void count_set(void *ctx, unsigned int set)
{
	(*(unsigned int *)ctx)++;
}

/* The exec table: what the hook finds is what userspace added, a full set gives up its
 * ways in turn, and forgetting by namespace or executable leaves the rest. */
TEST(tls_exec_table)
{
	static struct tls_exec_table t;
	struct tls_file_key a = { .ino = 11, .dev = 0x800001 }, b = { .ino = 12, .dev = 0x800001 };
	struct tls_exec_set v;
	unsigned int changed = 0, set, n = 0;
	__u64 fp;
	int s;

	tls_exec_table_init(&t, 1);
	s = tls_exec_table_add(&t, 4026531841U, &a);
	fp = tls_exec_fp(4026531841U, a.dev, a.ino);
	ASSERT_EQ(s, (int)(fp & (TLS_EXEC_SETS - 1)), "set of the pair");
	ASSERT_EQ(tls_exec_table_add(&t, 4026531841U, &a), -1, "added twice: no change");
	tls_exec_table_get(&t, (unsigned int)s, &v);
	ASSERT_EQ(v.fp[1], fp, "first way taken: way0");
	ASSERT_EQ(v.fp[0], 0, "way before way0 free");
	ASSERT_TRUE(tls_exec_fp(1, 2, 3) != tls_exec_fp(2, 2, 3), "namespace in the fingerprint");
	ASSERT_TRUE(tls_exec_fp(1, 2, 3) != tls_exec_fp(1, 3, 3), "device in the fingerprint");

	/* fill one set past its ways: pairs of other namespaces landing in it */
	set = (unsigned int)s;
	for (uint32_t ns = 1; n < TLS_EXEC_WAYS + 2 && ns < 1000000; ns++)
		if ((tls_exec_fp(ns, b.dev, b.ino) & (TLS_EXEC_SETS - 1)) == set) {
			tls_exec_table_add(&t, ns, &b);
			n++;
		}
	ASSERT_EQ(n, TLS_EXEC_WAYS + 2, "pairs found for one set");
	tls_exec_table_get(&t, set, &v);
	for (unsigned int w = 0; w < TLS_EXEC_WAYS; w++)
		ASSERT_TRUE(v.fp[w] != 0, "full set");
	ASSERT_TRUE(v.fp[1] != fp && v.fp[2] != fp, "the oldest ways given up first");

	ASSERT_EQ(tls_exec_table_forget(&t, 0, &b, count_set, &changed), TLS_EXEC_WAYS,
		  "forget an executable: its pairs");
	ASSERT_EQ(changed, 1, "one set changed");
	tls_exec_table_add(&t, 4026531841U, &a);
	tls_exec_table_add(&t, 4026531841U, &b);
	tls_exec_table_add(&t, 4026531842U, &a);
	ASSERT_EQ(tls_exec_table_forget(&t, 4026531841U, NULL, NULL, NULL), 2,
		  "forget a namespace: its pairs");
	ASSERT_EQ(tls_exec_table_add(&t, 4026531842U, &a), -1, "the other namespace's stays");
}

/* The ways the hook scans first are those in the cache line holding most of a set. */
TEST(tls_exec_way0)
{
	ASSERT_EQ(tls_exec_way0(0), 0, "aligned");
	ASSERT_EQ(tls_exec_way0(312), 1, "6.18's struct bpf_array: 8 bytes, then 56");
	ASSERT_EQ(tls_exec_way0(64 + 16), 0, "48 bytes, then 16");
	ASSERT_EQ(tls_exec_way0(40), 3, "24 bytes, then 40");
}

/* The scanned namespaces: added once, a full set gives up its oldest, removed on demand. */
TEST(tls_exec_table_ns)
{
	static struct tls_exec_table t;
	unsigned int set = tls_ns_set(4026531841U), n = 0;
	uint32_t first = 0, in[TLS_NS_WAYS + 1];

	tls_exec_table_init(&t, 0);
	ASSERT_EQ(tls_exec_table_ns(&t, 4026531841U, true), (int)set, "added");
	ASSERT_EQ(tls_exec_table_ns(&t, 4026531841U, true), -1, "added twice: no change");
	ASSERT_EQ(tls_exec_table_ns(&t, 0, true), -1, "0 is no namespace");
	ASSERT_EQ(tls_exec_table_ns(&t, 4026531841U, false), (int)set, "removed");
	ASSERT_EQ(tls_exec_table_ns(&t, 4026531841U, false), -1, "removed twice: no change");
	for (uint32_t i = 4026531840U; n < TLS_NS_WAYS + 1 && i < 4026531840U + 1000000; i++)
		if (tls_ns_set(i) == set)
			in[n++] = i;
	ASSERT_EQ(n, TLS_NS_WAYS + 1, "numbers found for one set");
	for (unsigned int i = 0; i < n; i++)
		tls_exec_table_ns(&t, in[i], true);
	first = t.ns[set].inum[0];
	ASSERT_EQ(first, in[TLS_NS_WAYS], "the oldest way taken by the newest");
	for (unsigned int w = 1; w < TLS_NS_WAYS; w++)
		ASSERT_EQ(t.ns[set].inum[w], in[w], "the others stay");
}

/* What tls_disc_on_exec marks seen in the kernel's table (test_exec_*). */
static struct {
	unsigned int n;
	uint32_t mntns;
	struct tls_file_key exe;
} seen_calls;

static void test_exec_attach(void *ctx, struct tls_file *f, const char *path,
			     const struct tls_sym syms[TLS_SYM_COUNT])
{
}

static void test_exec_detach(void *ctx, struct tls_file *f)
{
}

static void test_exec_seen(void *ctx, uint32_t mntns, const struct tls_file_key *exe)
{
	seen_calls.n++;
	seen_calls.mntns = mntns;
	seen_calls.exe = *exe;
}

static void test_exec_forget(void *ctx, uint32_t mntns, const struct tls_file_key *exe)
{
}

static void test_ns_scanned(void *ctx, uint32_t inode, bool scanned)
{
}

/* An exec record whose process is gone before it is read marks its pair seen only when
 * the program was looked at before: else no later run of it would be reported. */
TEST(tls_exec_gone_process)
{
	static const struct tls_disc_ops ops = { test_exec_attach, test_exec_detach,
						 test_exec_seen, test_exec_forget,
						 test_ns_scanned };
	static struct tls_disc d;
	struct tls_disc_event e = { 0 };
	struct tls_file_key self;
	struct stat st;
	uint32_t mntns;
	pid_t child;

	if (!ASSERT_TRUE(stat("/proc/self/ns/mnt", &st) == 0, "own mount namespace"))
		return;
	mntns = (uint32_t)st.st_ino;
	if (!ASSERT_TRUE(stat("/proc/self/exe", &st) == 0, "own executable"))
		return;
	self = (struct tls_file_key){ .ino = st.st_ino,
				      .dev = tls_kdev(major(st.st_dev), minor(st.st_dev)) };
	child = fork();
	if (child == 0)
		_exit(0);
	if (!ASSERT_TRUE(child > 0 && waitpid(child, NULL, 0) == child, "a pid that is gone"))
		return;

	tls_disc_init(&d, &ops, NULL);
	/* a live process: its namespace and program looked at, the pair seen */
	e = (struct tls_disc_event){ .exe_ino = self.ino, .exe_dev = self.dev, .mntns = mntns,
				     .pid = (uint32_t)getpid() };
	tls_disc_on_exec(&d, &e);
	ASSERT_EQ(seen_calls.n, 1, "live process: pair seen");
	ASSERT_EQ(seen_calls.mntns, mntns, "in its namespace");
	ASSERT_EQ(seen_calls.exe.ino, self.ino, "its program");
	/* gone before it was read, its program never looked at: reported again next time */
	e = (struct tls_disc_event){ .exe_ino = self.ino + 1000003, .exe_dev = self.dev,
				     .mntns = mntns, .pid = (uint32_t)child };
	tls_disc_on_exec(&d, &e);
	ASSERT_EQ(seen_calls.n, 1, "gone process, program not looked at: not seen");
	/* gone, but its program was looked at in an earlier run */
	e.exe_ino = self.ino;
	tls_disc_on_exec(&d, &e);
	ASSERT_EQ(seen_calls.n, 2, "gone process, program looked at before: seen");
	/* gone, in a namespace never looked at */
	e.mntns = mntns + 1;
	tls_disc_on_exec(&d, &e);
	ASSERT_EQ(seen_calls.n, 2, "gone process, namespace not looked at: not seen");
	tls_disc_free(&d);
}
