// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The TLS layer's handshake state machine entry points (tls_statem.h). */
#include "tls_statem.h"

#include <elf.h>
#include <errno.h>
#include <string.h>

#define TLS_ANY_VERSION 0x10000
/* offsets in SSL_METHOD (ssl/ssl_local.h): int, unsigned, unsigned long, 3 pointers */
#define METHOD_SSL_ACCEPT 40
#define METHOD_SSL_CONNECT 48
/* Relocation sections (.rela.dyn, .rela.plt) and entries looked at, at most: a hostile
 * file's headers may all point at one huge table. */
#define MAX_RELA_SECTIONS 4
#define MAX_RELA_ENTRIES (1u << 22)

struct image {
	const uint8_t *base;
	size_t size;
	const Elf64_Ehdr *eh;
	const Elf64_Phdr *ph;
};

static bool inside(uint64_t off, uint64_t len, size_t size)
{
	return off <= size && len <= size - off;
}

/* The file offset of n bytes at virtual address va, within one loaded segment's file
 * contents (and executable ones only with exec); false if there is none. */
static bool va_to_off(const struct image *im, uint64_t va, uint64_t n, bool exec, uint64_t *off)
{
	for (unsigned int i = 0; i < im->eh->e_phnum; i++) {
		const Elf64_Phdr *p = &im->ph[i];

		if (p->p_type != PT_LOAD || (exec && !(p->p_flags & PF_X)) || va < p->p_vaddr ||
		    va - p->p_vaddr > p->p_filesz || n > p->p_filesz - (va - p->p_vaddr))
			continue;
		*off = p->p_offset + (va - p->p_vaddr);
		return inside(*off, n, im->size);
	}
	return false;
}

static bool off_to_va(const struct image *im, uint64_t off, uint64_t *va)
{
	for (unsigned int i = 0; i < im->eh->e_phnum; i++) {
		const Elf64_Phdr *p = &im->ph[i];

		if (p->p_type == PT_LOAD && off >= p->p_offset && off - p->p_offset < p->p_filesz) {
			*va = p->p_vaddr + (off - p->p_offset);
			return true;
		}
	}
	return false;
}

static uint64_t le(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* The pointer stored at va once loaded: a R_X86_64_RELATIVE relocation's addend (a
 * shared library, a static PIE), else the bytes in the file (a static non-PIE). */
static bool pointer_at(const struct image *im, uint64_t va, uint64_t *ptr)
{
	const Elf64_Ehdr *eh = im->eh;
	const Elf64_Shdr *sh;
	uint64_t off, budget = MAX_RELA_ENTRIES;
	unsigned int tables = 0;

	if (inside(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr), im->size) &&
	    eh->e_shentsize == sizeof(Elf64_Shdr) && !(eh->e_shoff % _Alignof(Elf64_Shdr))) {
		sh = (const Elf64_Shdr *)(im->base + eh->e_shoff);
		for (unsigned int i = 0; i < eh->e_shnum && tables < MAX_RELA_SECTIONS; i++) {
			const Elf64_Rela *r;
			uint64_t n;

			if (sh[i].sh_type != SHT_RELA || sh[i].sh_entsize != sizeof(Elf64_Rela) ||
			    !inside(sh[i].sh_offset, sh[i].sh_size, im->size) ||
			    sh[i].sh_offset % _Alignof(Elf64_Rela))
				continue;
			tables++;
			r = (const Elf64_Rela *)(im->base + sh[i].sh_offset);
			n = sh[i].sh_size / sizeof(Elf64_Rela);
			if (n > budget)
				n = budget;
			budget -= n;
			for (uint64_t k = 0; k < n; k++) {
				if (r[k].r_offset != va)
					continue;
				if (ELF64_R_TYPE(r[k].r_info) != R_X86_64_RELATIVE)
					return false; /* a symbol's: not a function of this file */
				*ptr = (uint64_t)r[k].r_addend;
				return true;
			}
		}
	}
	if (!va_to_off(im, va, 8, false, &off))
		return false;
	*ptr = le(im->base + off, 8);
	return *ptr != 0;
}

static const uint8_t endbr64[] = { 0xf3, 0x0f, 0x1e, 0xfa };

/* Fills out from the function at va: the probe past a mov/xor of %esi before a jump. */
static bool take_function(const struct image *im, uint64_t va, struct tls_sym *out)
{
	const uint8_t *c;
	uint64_t off;
	size_t skip = 0, avail;

	if (!va_to_off(im, va, 1, true, &off))
		return false;
	avail = im->size - off;
	c = im->base + off;
	if (avail >= 4 && !memcmp(c, endbr64, 4))
		skip = 4;
	if (avail >= skip + 6 && c[skip] == 0xbe && (c[skip + 5] == 0xe9 || c[skip + 5] == 0xeb))
		skip += 5; /* mov $imm32,%esi; jmp */
	else if (avail >= skip + 3 && c[skip] == 0x31 && c[skip + 1] == 0xf6 &&
		 (c[skip + 2] == 0xe9 || c[skip + 2] == 0xeb))
		skip += 2; /* xor %esi,%esi; jmp */
	off += skip;
	avail -= skip;
	out->found = true;
	out->off = off;
	out->ncode = avail < sizeof(out->code) ? avail : sizeof(out->code);
	memcpy(out->code, im->base + off, out->ncode);
	return true;
}

int tls_statem_resolve(const void *img, size_t size, unsigned int machine,
		       struct tls_sym syms[TLS_SYM_COUNT])
{
	const struct tls_sym *m = &syms[TLS_SYM_TLS_METHOD];
	struct image im = { img, size, img, NULL };
	uint64_t va, method, ptr[2], off;
	size_t i = 0;
	const uint8_t *c;

	syms[TLS_SYM_STATEM_ACCEPT].found = syms[TLS_SYM_STATEM_CONNECT].found = false;
	if (machine != EM_X86_64)
		return -EOPNOTSUPP;
	if (!m->found || !img || size < sizeof(Elf64_Ehdr))
		return -ENOENT;
	if (im.eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    !inside(im.eh->e_phoff, (uint64_t)im.eh->e_phnum * sizeof(Elf64_Phdr), size) ||
	    im.eh->e_phoff % _Alignof(Elf64_Phdr))
		return -EINVAL;
	im.ph = (const Elf64_Phdr *)(im.base + im.eh->e_phoff);
	/* TLS_method: [endbr64] lea disp32(%rip),%rax (48 8d 05); ret */
	c = m->code;
	if (m->ncode >= 4 && !memcmp(c, endbr64, 4))
		i = 4;
	if (m->ncode < i + 8 || c[i] != 0x48 || c[i + 1] != 0x8d || c[i + 2] != 0x05 ||
	    c[i + 7] != 0xc3 || !off_to_va(&im, m->off, &va))
		return -ENOENT;
	method = va + i + 7 + (uint64_t)(int64_t)(int32_t)le(c + i + 3, 4);
	if (!va_to_off(&im, method, METHOD_SSL_CONNECT + 8, false, &off) ||
	    le(im.base + off, 4) != TLS_ANY_VERSION)
		return -ENOENT;
	if (!pointer_at(&im, method + METHOD_SSL_ACCEPT, &ptr[0]) ||
	    !pointer_at(&im, method + METHOD_SSL_CONNECT, &ptr[1]) || ptr[0] == ptr[1])
		return -ENOENT;
	if (!take_function(&im, ptr[0], &syms[TLS_SYM_STATEM_ACCEPT]) ||
	    !take_function(&im, ptr[1], &syms[TLS_SYM_STATEM_CONNECT])) {
		syms[TLS_SYM_STATEM_ACCEPT].found = false;
		return -ENOENT;
	}
	return 0;
}
