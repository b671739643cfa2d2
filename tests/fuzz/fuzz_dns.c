// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* DNS names in wire format (user/dns.c): what queries and responses carry, as the kernel
 * copied it (possibly cut). The text is ASCII and never overflows. */
#include "dns.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t outlens[] = { 1, 2, 8, 64, DNS_NAME_MAX * 4 + 4 };
	char out[DNS_NAME_MAX * 4 + 4], qt[8];

	for (size_t i = 0; i < sizeof(outlens) / sizeof(outlens[0]); i++) {
		int r = dns_name_to_text(data, size, out, outlens[i]);

		FUZZ_CHECK(strlen(out) < outlens[i], "text past its buffer");
		for (const char *p = out; r != DNS_NAME_BAD && *p; p++)
			FUZZ_CHECK(*p >= 0x20 && *p < 0x7f, "non-printable byte in a name");
	}
	if (size >= 2)
		dns_qtype_name((uint16_t)(data[0] << 8 | data[1]), qt, sizeof(qt));
	return 0;
}
