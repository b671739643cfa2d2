// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "tls_elf.h"

#include <elf.h>
#include <errno.h>
#include <string.h>

const char *const tls_sym_names[TLS_SYM_COUNT] = {
	[TLS_SYM_DO_HANDSHAKE] = "SSL_do_handshake",
	[TLS_SYM_SET_CONNECT_STATE] = "SSL_set_connect_state",
	[TLS_SYM_SET_ACCEPT_STATE] = "SSL_set_accept_state",
	[TLS_SYM_FREE] = "SSL_free",
	[TLS_SYM_SET_FD] = "SSL_set_fd",
	[TLS_SYM_VERSION] = "SSL_version",
	[TLS_SYM_READ] = "SSL_read",
	[TLS_SYM_WRITE] = "SSL_write",
	[TLS_SYM_READ_EX] = "SSL_read_ex",
	[TLS_SYM_WRITE_EX] = "SSL_write_ex",
	[TLS_SYM_ERR_VSET_ERROR] = "ERR_vset_error",
	[TLS_SYM_ERR_PUT_ERROR] = "ERR_put_error",
};

enum tls_arch tls_arch_host(void)
{
#if defined(__x86_64__)
	return TLS_ARCH_X86_64;
#elif defined(__aarch64__)
	return TLS_ARCH_ARM64;
#else
	return TLS_ARCH_OTHER;
#endif
}

static unsigned int host_machine(void)
{
	switch (tls_arch_host()) {
	case TLS_ARCH_X86_64:
		return EM_X86_64;
	case TLS_ARCH_ARM64:
		return EM_AARCH64;
	default:
		return EM_NONE;
	}
}

/* [off, off + len) lies inside an image of size bytes */
static bool inside(uint64_t off, uint64_t len, size_t size)
{
	return off <= size && len <= size - off;
}

static void take(const uint8_t *base, size_t size, const Elf64_Shdr *shdrs, unsigned int shnum,
		 const Elf64_Sym *sym, struct tls_sym *out)
{
	const Elf64_Shdr *sec;
	uint64_t rel, off, avail;

	if (sym->st_shndx == SHN_UNDEF || sym->st_shndx >= shnum)
		return; /* imported, absolute or special */
	sec = &shdrs[sym->st_shndx];
	if (sec->sh_type != SHT_PROGBITS || !(sec->sh_flags & SHF_EXECINSTR))
		return;
	if (sym->st_value < sec->sh_addr || sym->st_value - sec->sh_addr >= sec->sh_size)
		return;
	rel = sym->st_value - sec->sh_addr;
	off = sec->sh_offset + rel;
	if (!inside(sec->sh_offset, sec->sh_size, size))
		return;
	avail = sec->sh_size - rel;
	out->found = true;
	out->off = off;
	out->ncode = avail < sizeof(out->code) ? (size_t)avail : sizeof(out->code);
	memcpy(out->code, base + off, out->ncode);
}

/* Looks one symbol table up; *budget: symbols left to look at for this file. */
static int scan_symtab(const uint8_t *base, size_t size, const Elf64_Ehdr *eh,
		       const Elf64_Shdr *shdrs, const Elf64_Shdr *sh, uint64_t *budget,
		       struct tls_sym syms[TLS_SYM_COUNT])
{
	const Elf64_Shdr *str;
	const Elf64_Sym *sy;
	uint64_t nsyms;
	int found = 0;

	if (sh->sh_entsize != sizeof(Elf64_Sym) || sh->sh_link >= eh->e_shnum ||
	    !inside(sh->sh_offset, sh->sh_size, size) || sh->sh_offset % _Alignof(Elf64_Sym))
		return 0;
	str = &shdrs[sh->sh_link];
	if (str->sh_type != SHT_STRTAB || !inside(str->sh_offset, str->sh_size, size))
		return 0;
	sy = (const Elf64_Sym *)(base + sh->sh_offset);
	nsyms = sh->sh_size / sizeof(Elf64_Sym);
	if (nsyms > *budget)
		nsyms = *budget;
	*budget -= nsyms;
	for (uint64_t s = 0; s < nsyms; s++) {
		const char *name;
		size_t room;

		if (ELF64_ST_TYPE(sy[s].st_info) != STT_FUNC || sy[s].st_name >= str->sh_size)
			continue;
		name = (const char *)base + str->sh_offset + sy[s].st_name;
		room = str->sh_size - sy[s].st_name;
		/* every name we want starts with S or E: skip the rest cheaply */
		if (name[0] != 'S' && name[0] != 'E')
			continue;
		for (int k = 0; k < TLS_SYM_COUNT; k++) {
			size_t len = strlen(tls_sym_names[k]);

			if (syms[k].found || len >= room || name[len] ||
			    memcmp(name, tls_sym_names[k], len))
				continue;
			take(base, size, shdrs, eh->e_shnum, &sy[s], &syms[k]);
			if (syms[k].found)
				found++;
			break;
		}
	}
	return found;
}

int tls_elf_lookup_machine(const void *img, size_t size, unsigned int machine,
			   struct tls_sym syms[TLS_SYM_COUNT])
{
	uint64_t examined;

	return tls_elf_lookup_work(img, size, machine, syms, &examined);
}

int tls_elf_lookup_work(const void *img, size_t size, unsigned int machine,
			struct tls_sym syms[TLS_SYM_COUNT], uint64_t *examined)
{
	const uint8_t *base = img;
	const Elf64_Ehdr *eh = img;
	const Elf64_Shdr *shdrs, *symtab = NULL, *dynsym = NULL;
	uint64_t budget = TLS_ELF_MAX_SYMS;
	int found = 0;

	*examined = 0;
	memset(syms, 0, sizeof(*syms) * TLS_SYM_COUNT);
	if (size > TLS_ELF_MAX_SIZE)
		return -EFBIG;
	if (!img || size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != machine || eh->e_shentsize != sizeof(Elf64_Shdr) || !eh->e_shnum ||
	    !inside(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr), size) ||
	    eh->e_shoff % _Alignof(Elf64_Shdr))
		return -EINVAL;
	shdrs = (const Elf64_Shdr *)(base + eh->e_shoff);
	/*
	 * An object has at most one table of each kind (gABI). Taking the first of each
	 * keeps the work linear in the file: 65,535 headers that all point at one table
	 * of 4,096 symbols once cost 22 s per lookup.
	 */
	for (unsigned int i = 0; i < eh->e_shnum && !(symtab && dynsym); i++) {
		if (shdrs[i].sh_type == SHT_SYMTAB && !symtab)
			symtab = &shdrs[i];
		else if (shdrs[i].sh_type == SHT_DYNSYM && !dynsym)
			dynsym = &shdrs[i];
	}
	if (symtab)
		found += scan_symtab(base, size, eh, shdrs, symtab, &budget, syms);
	if (dynsym)
		found += scan_symtab(base, size, eh, shdrs, dynsym, &budget, syms);
	*examined = TLS_ELF_MAX_SYMS - budget;
	return found;
}

int tls_elf_lookup(const void *img, size_t size, struct tls_sym syms[TLS_SYM_COUNT])
{
	return tls_elf_lookup_machine(img, size, host_machine(), syms);
}

static const uint8_t endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };

size_t tls_probe_skip(enum tls_arch arch, const uint8_t *code, size_t n)
{
	size_t i = 0;

	if (arch != TLS_ARCH_X86_64)
		return 0;
	if (n >= 4 && !memcmp(code, endbr64, 4))
		i = 4;
	/* test %rdi,%rdi (48 85 ff), then je/jne rel8 (74/75) or rel32 (0f 84/85) */
	if (n >= i + 5 && code[i] == 0x48 && code[i + 1] == 0x85 && code[i + 2] == 0xff &&
	    (code[i + 3] == 0x74 || code[i + 3] == 0x75 ||
	     (code[i + 3] == 0x0f && (code[i + 4] == 0x84 || code[i + 4] == 0x85))))
		i += 3;
	return i;
}

/* x86-64: [endbr64] mov disp(%rdi),%eax, then only self-xors of other registers
 * (-fzero-call-used-regs) and ret. */
static int version_field_x86(const uint8_t *c, size_t n)
{
	size_t i = 0;
	long disp;

	if (n >= 4 && !memcmp(c, endbr64, 4))
		i = 4;
	if (n < i + 2 || c[i] != 0x8b)
		return -1;
	/* ModRM: reg = eax (000), rm = rdi (111) */
	switch (c[i + 1]) {
	case 0x07:
		disp = 0;
		i += 2;
		break;
	case 0x47:
		if (n < i + 3)
			return -1;
		disp = (int8_t)c[i + 2];
		i += 3;
		break;
	case 0x87:
		if (n < i + 6)
			return -1;
		disp = (int32_t)((uint32_t)c[i + 2] | (uint32_t)c[i + 3] << 8 |
				 (uint32_t)c[i + 4] << 16 | (uint32_t)c[i + 5] << 24);
		i += 6;
		break;
	default:
		return -1;
	}
	if (disp < 0 || disp > 0xffff)
		return -1;
	for (int insns = 0; insns < 8 && i < n; insns++) {
		uint8_t rex = 0, modrm;

		if (c[i] == 0xc3 || (c[i] == 0xf3 && i + 1 < n && c[i + 1] == 0xc3))
			return (int)disp;
		if (c[i] >= 0x40 && c[i] <= 0x4f)
			rex = c[i++];
		if (i + 1 >= n || (c[i] != 0x31 && c[i] != 0x33))
			return -1;
		modrm = c[i + 1];
		/* a register with itself, and never %eax, which holds the result */
		if ((modrm >> 6) != 3 || ((modrm >> 3) & 7) != (modrm & 7) ||
		    ((rex & 0x4) != 0) != ((rex & 0x1) != 0) || (!(rex & 0x5) && (modrm & 7) == 0))
			return -1;
		i += 2;
	}
	return -1;
}

/* arm64: [bti c] ldr w0, [x0, #imm] (or ldur), then only register zeroing and ret. */
static int version_field_arm64(const uint8_t *c, size_t n)
{
	size_t i = 0;
	uint32_t insn;
	int disp;

#define WORD(at)                                                                      \
	((uint32_t)c[at] | (uint32_t)c[(at) + 1] << 8 | (uint32_t)c[(at) + 2] << 16 | \
	 (uint32_t)c[(at) + 3] << 24)
	if (n < 8)
		return -1;
	insn = WORD(0);
	if (insn == 0xd503245f) { /* bti c */
		i = 4;
		insn = WORD(4);
	}
	if ((insn & 0xffc003ff) == 0xb9400000) /* ldr w0, [x0, #imm12 * 4] */
		disp = (int)((insn >> 10) & 0xfff) * 4;
	else if ((insn & 0xffe00fff) == 0xb8400000) /* ldur w0, [x0, #simm9] */
		disp = (int)((int32_t)(insn << 11) >> 23);
	else
		return -1;
	if (disp < 0)
		return -1;
	for (i += 4; i + 4 <= n; i += 4) {
		insn = WORD(i);
		if (insn == 0xd65f03c0) /* ret */
			return disp;
		/* mov xN/wN, #0 or mov wN, wzr with N != 0 */
		if (((insn & 0x7fffffe0) == 0x52800000 || (insn & 0x7fffffe0) == 0x2a1f03e0) &&
		    (insn & 0x1f))
			continue;
		return -1;
	}
#undef WORD
	return -1;
}

int tls_version_field(enum tls_arch arch, const uint8_t *code, size_t n)
{
	switch (arch) {
	case TLS_ARCH_X86_64:
		return version_field_x86(code, n);
	case TLS_ARCH_ARM64:
		return version_field_arm64(code, n);
	default:
		return -1;
	}
}
