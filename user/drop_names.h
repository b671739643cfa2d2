/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef OSISCOPE_DROP_NAMES_H
#define OSISCOPE_DROP_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Names and OSI layers of the kernel's drop reasons, for the drop collector. Every name
 * comes from the running kernel's BTF:
 *  - core reasons from enum skb_drop_reason, without the SKB_DROP_REASON_ prefix
 *    ("NO_SOCKET");
 *  - a reason with subsystem bits (SKB_DROP_REASON_SUBSYS_MASK, v6.4+) from the
 *    subsystem's own enum, found in vmlinux or in the module's BTF under
 *    /sys/kernel/btf: an enum named "*drop_reason" holding the subsystem's base value
 *    (subsystem id << shift), e.g. enum ovs_drop_reason -> "OVS_DROP_LAST_ACTION";
 *  - what BTF does not name is shown as "<SUBSYSTEM>:<code>" ("CORE:200",
 *    "OPENVSWITCH:7", "SUBSYS9:1"), never dropped.
 * The layer comes from one rule table (drop_names.c, documented in the README).
 */
struct btf;

struct drop_reason_entry {
	uint32_t value;
	const char *layer; /* "l1".."l4" or "unknown": a static string */
	char name[64];
};

struct drop_names {
	const struct btf *vmlinux; /* borrowed */
	char btf_dir[128]; /* where module BTF lives: /sys/kernel/btf */
	bool has_reasons; /* the kernel has enum skb_drop_reason (v5.17+) */
	uint32_t mask; /* SKB_DROP_REASON_SUBSYS_MASK, 0 if the kernel has no subsystems */
	unsigned int shift; /* its lowest set bit: SKB_DROP_REASON_SUBSYS_SHIFT */
	unsigned int ncore; /* core reasons named by the enum (SKB_DROP_REASON_*, MAX aside) */
	uint32_t core_max; /* SKB_DROP_REASON_MAX: core reasons are below it; 0 if absent */
	struct drop_reason_entry *v; /* names resolved so far */
	size_t n, cap;
	uint32_t *scanned; /* subsystems whose enum was searched for already */
	size_t nscanned, capscanned;
};

/* vmlinux may be NULL (no kernel BTF: nothing can be named). btf_dir NULL means
 * /sys/kernel/btf. Returns 0 or -ENOMEM. */
int drop_names_init(struct drop_names *dn, const struct btf *vmlinux, const char *btf_dir);
void drop_names_free(struct drop_names *dn);

/* The name and layer of a reason value as the kfree_skb tracepoint passed it. On a
 * kernel without reasons every value is NOT_SPECIFIED. The entry stays valid until the
 * next call. Never NULL (an allocation failure gives a static "unnamed" entry). */
const struct drop_reason_entry *drop_reason_get(struct drop_names *dn, uint32_t value);

/* The OSI layer of a drop location's function name ("nf_hook_slow"), for kernels
 * without drop reasons: "unknown" when no rule matches. */
const char *drop_location_layer(const char *func);

/* The OSI layer of a reason name; for a subsystem reason pass the subsystem's name
 * ("OPENVSWITCH") as subsys, which the rules then match instead. "unknown" when no
 * rule matches. */
const char *drop_reason_layer(const char *name, const char *subsys);

/* One line for `osiscope probe`: which reasons this kernel names, e.g. "drop reasons
 * from BTF: 127 core reasons (enum skb_drop_reason), subsystems: MAC80211_UNUSABLE,
 * OPENVSWITCH" or "no drop reasons in this kernel (before v5.17): every drop is counted
 * as NOT_SPECIFIED". Returns buf. */
const char *drop_names_summary(const struct btf *vmlinux, char *buf, size_t len);

#endif
