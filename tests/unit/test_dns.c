// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* DNS names from the wire (user/dns.c): hostile and cut names, escaping, bounds; and
 * the names of qtypes and rcodes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/types.h>

#include "dns.h"
#include "test.h"

/* A build without the dns collector (make LAYERS=...) links no user/dns.c. */
#pragma weak dns_name_to_text
#pragma weak dns_qtype_name
#pragma weak dns_rcode_name

static bool have_dns(void)
{
	if (dns_name_to_text && dns_qtype_name && dns_rcode_name)
		return true;
	fprintf(stderr, "  dns collector not built: nothing to test\n");
	return false;
}

static int to_text(const void *wire, size_t len, char *out, size_t outlen)
{
	return dns_name_to_text(wire, len, out, outlen);
}

TEST(dns_name_plain)
{
	char out[300];

	if (!have_dns())
		return;
	ASSERT_EQ(to_text("\x03www\x07"
			  "example\x03"
			  "com\x00",
			  17, out, sizeof(out)),
		  DNS_NAME_OK, "www.example.com");
	ASSERT_STREQ(out, "www.example.com", "text");
	ASSERT_EQ(to_text("\x00", 1, out, sizeof(out)), DNS_NAME_OK, "root");
	ASSERT_STREQ(out, ".", "root text");
	/* bytes after the root label are not part of the name */
	ASSERT_EQ(to_text("\x01"
			  "a\x00\x00\x01\x00\x01",
			  7, out, sizeof(out)),
		  DNS_NAME_OK, "name then type");
	ASSERT_STREQ(out, "a", "name then type text");
}

TEST(dns_name_escaping)
{
	char out[300];

	if (!have_dns())
		return;
	ASSERT_EQ(to_text("\x03"
			  "a.b\x02\\\"\x00",
			  8, out, sizeof(out)),
		  DNS_NAME_OK, "dot, backslash, quote");
	ASSERT_STREQ(out, "a\\.b.\\\\\\\"", "escaped with a backslash");
	ASSERT_EQ(to_text("\x06 \x00\x7f\xff\x1b;\x00", 8, out, sizeof(out)), DNS_NAME_OK,
		  "unprintable");
	ASSERT_STREQ(out, "\\032\\000\\127\\255\\027;", "escaped as \\DDD");
	/* the worst case: every byte of a 255-byte name escaped fits the event buffer */
	{
		uint8_t w[255];
		char big[255 * 4 + 4];

		for (int l = 0; l < 4; l++) {
			int ll = l < 3 ? 63 : 61;

			w[l * 64] = (uint8_t)ll;
			memset(w + l * 64 + 1, 0xff, (size_t)ll);
		}
		w[254] = 0;
		ASSERT_EQ(to_text(w, sizeof(w), big, sizeof(big)), DNS_NAME_OK,
			  "255 bytes, all escaped");
		ASSERT_EQ(strlen(big), 250 * 4 + 3, "its length");
	}
}

TEST(dns_name_hostile)
{
	char out[300];
	uint8_t w[300];

	if (!have_dns())
		return;
	ASSERT_EQ(to_text("\xc0\x0c", 2, out, sizeof(out)), DNS_NAME_BAD, "compression pointer");
	ASSERT_EQ(to_text("\x01"
			  "a\xc0\x0c",
			  4, out, sizeof(out)),
		  DNS_NAME_BAD, "pointer after a label");
	ASSERT_EQ(to_text("\x41"
			  "a\x00",
			  3, out, sizeof(out)),
		  DNS_NAME_BAD, "label type 0x40");
	ASSERT_EQ(to_text("\x81"
			  "a\x00",
			  3, out, sizeof(out)),
		  DNS_NAME_BAD, "label type 0x80");
	/* the longest legal name, and one byte more */
	for (int l = 0; l < 4; l++) {
		w[l * 64] = 63;
		memset(w + l * 64 + 1, 'x', 63);
	}
	w[192] = 61;
	w[254] = 0;
	ASSERT_EQ(to_text(w, 255, out, sizeof(out)), DNS_NAME_OK, "255 bytes");
	ASSERT_EQ(strlen(out), 63 * 3 + 61 + 3, "255 bytes: text length");
	w[192] = 62;
	w[255] = 0;
	ASSERT_EQ(to_text(w, 256, out, sizeof(out)), DNS_NAME_BAD, "256 bytes");
	w[192] = 63;
	w[256] = 0;
	ASSERT_EQ(to_text(w, 257, out, sizeof(out)), DNS_NAME_BAD, "257 bytes");
	ASSERT_EQ(to_text(w, 300, out, sizeof(out)), DNS_NAME_BAD, "over 255, no root in sight");
}

TEST(dns_name_cut)
{
	char out[300];

	if (!have_dns())
		return;
	ASSERT_EQ(to_text("\x03www\x07"
			  "exa",
			  8, out, sizeof(out)),
		  DNS_NAME_CUT, "input ends inside a label");
	ASSERT_STREQ(out, "www.exa...", "cut inside a label");
	ASSERT_EQ(to_text("\x03www", 4, out, sizeof(out)), DNS_NAME_CUT,
		  "input ends before the root");
	ASSERT_STREQ(out, "www...", "cut before the root");
	ASSERT_EQ(to_text("\x03", 1, out, sizeof(out)), DNS_NAME_CUT, "only a length byte");
	ASSERT_STREQ(out, "...", "nothing but the cut");
	ASSERT_EQ(to_text("", 0, out, sizeof(out)), DNS_NAME_CUT, "no input");
	/* output too small: cut, terminated, within bounds */
	ASSERT_EQ(to_text("\x03www\x07"
			  "example\x03"
			  "com\x00",
			  17, out, 10),
		  DNS_NAME_CUT, "output of 10");
	ASSERT_STREQ(out, "www.ex...", "cut to the output");
	ASSERT_EQ(to_text("\x03www\x00", 5, out, 7), DNS_NAME_OK, "exactly fits with room");
	ASSERT_STREQ(out, "www", "fits");
	ASSERT_EQ(to_text("\x03www\x00", 5, out, 4), DNS_NAME_CUT, "room for \"...\" only");
	ASSERT_STREQ(out, "...", "only the cut");
	ASSERT_EQ(to_text("\x03www\x00", 5, out, 3), DNS_NAME_CUT, "no room even for \"...\"");
	ASSERT_STREQ(out, "", "empty when nothing fits");
	memset(out, 'Z', 4);
	ASSERT_EQ(to_text("\x03www\x00", 5, out, 0), DNS_NAME_CUT, "output of 0");
	ASSERT_EQ(out[0], 'Z', "output of 0 is not written");
	/* an escape is never split: \DDD goes whole or not at all */
	ASSERT_EQ(to_text("\x04"
			  "ab\x01\x02\x00",
			  6, out, 9),
		  DNS_NAME_CUT, "escape at the edge");
	ASSERT_STREQ(out, "ab...", "escape left out whole");
}

/* Random input at the very end of a mapping: any read past len faults, and a canary
 * after outlen catches any write past it. */
TEST(dns_name_bounds_fuzz)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *map, *end;
	char out[1100];
	unsigned int seed = 12345;

	if (!have_dns())
		return;
	map = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		   0);
	if (!ASSERT_TRUE(map != MAP_FAILED, "mmap"))
		return;
	if (!ASSERT_OK(mprotect(map + page, (size_t)page, PROT_NONE), "guard page"))
		goto out;
	end = map + page;
	for (int iter = 0; iter < 200000; iter++) {
		size_t len = (size_t)rand_r(&seed) % 300, outlen = (size_t)rand_r(&seed) % 1030;
		uint8_t *in = end - len;
		int ret;

		for (size_t i = 0; i < len; i++) {
			unsigned int r = (unsigned int)rand_r(&seed);

			/* mostly short labels, sometimes anything */
			in[i] = (uint8_t)(r % 4 == 0   ? r >> 8
					  : r % 4 == 1 ? (r >> 8) % 8
						       : 'a' + (r >> 8) % 26);
		}
		memset(out, 'Z', sizeof(out));
		ret = dns_name_to_text(in, len, out, outlen);
		if (out[outlen] != 'Z' && outlen < sizeof(out)) {
			TEST_FAIL("iteration %d: wrote past outlen %zu", iter, outlen);
			break;
		}
		if (outlen && !memchr(out, '\0', outlen)) {
			TEST_FAIL("iteration %d: output not terminated", iter);
			break;
		}
		if (ret != DNS_NAME_OK && ret != DNS_NAME_CUT && ret != DNS_NAME_BAD) {
			TEST_FAIL("iteration %d: returned %d", iter, ret);
			break;
		}
	}
out:
	munmap(map, (size_t)page * 2);
}

TEST(dns_qtype_rcode_names)
{
	char b[8];

	if (!have_dns())
		return;
	ASSERT_STREQ(dns_qtype_name(1, b, sizeof(b)), "A", "qtype 1");
	ASSERT_STREQ(dns_qtype_name(28, b, sizeof(b)), "AAAA", "qtype 28");
	ASSERT_STREQ(dns_qtype_name(12, b, sizeof(b)), "PTR", "qtype 12");
	ASSERT_STREQ(dns_qtype_name(33, b, sizeof(b)), "SRV", "qtype 33");
	ASSERT_STREQ(dns_qtype_name(65, b, sizeof(b)), "HTTPS", "qtype 65");
	ASSERT_STREQ(dns_qtype_name(255, b, sizeof(b)), "ANY", "qtype 255");
	ASSERT_STREQ(dns_qtype_name(32769, b, sizeof(b)), "DLV", "qtype 32769");
	ASSERT_STREQ(dns_qtype_name(0, b, sizeof(b)), "0", "qtype 0: a number");
	ASSERT_STREQ(dns_qtype_name(65535, b, sizeof(b)), "65535", "qtype 65535: a number");
	ASSERT_STREQ(dns_qtype_name(4242, b, 3), "42", "a number cut to the buffer");
	ASSERT_STREQ(dns_rcode_name(0, b, sizeof(b)), "NOERROR", "rcode 0");
	ASSERT_STREQ(dns_rcode_name(1, b, sizeof(b)), "FORMERR", "rcode 1");
	ASSERT_STREQ(dns_rcode_name(2, b, sizeof(b)), "SERVFAIL", "rcode 2");
	ASSERT_STREQ(dns_rcode_name(3, b, sizeof(b)), "NXDOMAIN", "rcode 3");
	ASSERT_STREQ(dns_rcode_name(4, b, sizeof(b)), "NOTIMP", "rcode 4");
	ASSERT_STREQ(dns_rcode_name(5, b, sizeof(b)), "REFUSED", "rcode 5");
	ASSERT_STREQ(dns_rcode_name(11, b, sizeof(b)), "DSOTYPENI", "rcode 11");
	ASSERT_STREQ(dns_rcode_name(12, b, sizeof(b)), "12", "rcode 12: unassigned");
	ASSERT_STREQ(dns_rcode_name(15, b, sizeof(b)), "15", "rcode 15: unassigned");
	ASSERT_STREQ(dns_rcode_name(200, b, sizeof(b)), "200", "rcode past the header's 4 bits");
}
