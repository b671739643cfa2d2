/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Putting the link layer's packet programs on a device beside whatever else is there,
 * and taking exactly ours away again. All of these act on the calling thread's network
 * namespace (enter the device's first).
 *
 * tcx (6.6+): a BPF link per direction, placed first in the device's tcx chain so it
 * sees every frame before anyone's verdict. Links detach themselves when their last fd
 * closes, so even a SIGKILLed agent leaves nothing behind; other programs on the chain
 * are never touched. Classic tc (older kernels): a cls_bpf filter on the clsact qdisc at
 * LINK_TC_PRIO with a handle of LINK_TC_HANDLE_BASE+1..+LINK_TC_SLOTS, never replacing:
 * a slot held by a live agent is skipped, one whose owner's heartbeat stopped (a
 * SIGKILLed agent's leftover) is taken back. XDP (opt-in): a BPF link, which the kernel
 * refuses on a device that already has an XDP program; we check first, to say so.
 */
#ifndef OSISCOPE_LINK_TC_H
#define OSISCOPE_LINK_TC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LINK_TC_PRIO 49 /* early among filters, and not 1 (libbpf's and many tools' default) */
#define LINK_TC_HANDLE_BASE 0x05c0e000u
#define LINK_TC_SLOTS 8 /* agents on one host at once, in classic mode */
/* a heartbeat older than this means the filter's agent is gone */
#define LINK_STALE_NS (15ULL * 1000000000ULL) /* beats every MAINTAIN_PERIOD_S */

enum link_tc_dir { LINK_TC_INGRESS = 0, LINK_TC_EGRESS = 1 };

/* Kernel support for tcx links, from the kernel's BTF (enum bpf_attach_type): fills the
 * attach type numbers. false on kernels before 6.6. */
bool tcx_supported(uint32_t *ingress_type, uint32_t *egress_type);
/* A tcx link first in the chain of the device. Returns the link fd or -errno. */
int tcx_attach(int prog_fd, int ifindex, uint32_t attach_type);

/* Classic tc. */
struct tc_classic {
	uint32_t handle; /* 0: none of ours */
	uint32_t prog_id;
};
/* Creates clsact if absent (*created = true, and then it is ours to remove), or finds it
 * and says whether only osiscope filters are on it (*osiscope_only: it was probably
 * created by another osiscope agent, and the last one out removes it). */
int tc_clsact_ensure(int ifindex, bool *created, bool *osiscope_only);
/* Attaches prog in the first free slot of ours, taking back stale ones (logged). */
int tc_classic_attach(int ifindex, enum link_tc_dir dir, int prog_fd, uint32_t own_prog_id,
		      struct tc_classic *out, const char *what);
/* Removes the filters in our slots, other than own_handle, whose agent is gone (an
 * agent restarted right after a SIGKILL finds them still beating, and takes the next
 * slot: this takes the old ones away later). Returns how many. */
int tc_classic_reap(int ifindex, enum link_tc_dir dir, uint32_t own_handle, const char *what);
/* Removes our filter if it is still the program we put there. */
int tc_classic_detach(int ifindex, enum link_tc_dir dir, const struct tc_classic *f);
/* Filters on the clsact qdisc, by owner: ours (prio and handle range) and others'.
 * -errno if the dump fails (-EINVAL when there is no clsact). */
int tc_filters_count(int ifindex, int *osiscope, int *others);
/* Removes clsact if no filter at all is left on it. */
int tc_clsact_release(int ifindex);

/* The XDP program already on the device, if any: *id 0 when none. */
int xdp_current(int ifindex, uint32_t *id, char *name, size_t len, const char **mode);

/*
 * What the link collector puts on each device: its tc programs on both directions (the
 * receive side only where XDP counts nothing), as tcx links where the kernel has them and
 * classic filters otherwise; its XDP program where --link.xdp names the device.
 */
struct bpf_link;
struct bpf_program;

/* The hooks a device can have ours on (link_tc_dev.hooked, osiscope_link_bpf_attached) */
enum link_hook_kind { HK_TCX_IN, HK_TCX_OUT, HK_TC_IN, HK_TC_OUT, HK_XDP, HK_COUNT };

/* The collector's packet programs, loaded, and how they go on devices. */
struct link_tc_progs {
	bool tc, tcx, xdp; /* tc at all, as tcx links rather than filters; XDP where asked */
	uint32_t tcx_type[2]; /* by direction, from tcx_supported() */
	struct bpf_program *tc_prog[2], *xdp_prog;
	uint32_t tc_prog_id[2];
};

/* What of ours is on one device. */
struct link_tc_dev {
	bool qdisc_ours; /* the clsact: created by us, or holding only osiscope filters */
	bool counting[2]; /* by direction (LINK_RX, LINK_TX): a program of ours counts it */
	bool hooked[HK_COUNT];
	int tcx[2]; /* link fds, -1 */
	struct tc_classic classic[2];
	struct bpf_link *xdp;
};

/* These act inside the device's namespace; netns and dev (its name) are for the log. A
 * device that vanishes meanwhile is left quietly. */
void link_tc_dev_attach_xdp(const struct link_tc_progs *pr, struct link_tc_dev *d, uint32_t netns,
			    uint32_t ifindex, const char *dev);
/* *hold is set when a classic filter or a clsact of ours went on the device: the
 * namespace must be entered again at exit to remove them (link_tc_dev_remove). */
void link_tc_dev_attach_tc(const struct link_tc_progs *pr, struct link_tc_dev *d, uint32_t netns,
			   uint32_t ifindex, const char *dev, bool *hold);
/* Takes back the classic filters of agents that are gone from the device's slots. */
void link_tc_dev_reap(const struct link_tc_dev *d, uint32_t netns, uint32_t ifindex,
		      const char *dev);
/* Removes our classic filters, and the clsact if it is ours and nothing is left on it. */
void link_tc_dev_remove(struct link_tc_dev *d, uint32_t netns, uint32_t ifindex, const char *dev);
/* Closes the tcx and XDP links, which detaches them (anywhere: no need to enter the
 * namespace). Classic filters stay: see link_tc_dev_remove. */
void link_tc_dev_release(struct link_tc_dev *d);

/* The pure parts, exported for the unit tests. */
struct tc_dump_counts {
	int ifindex; /* only messages about this device count */
	int clsact; /* RTM_NEWQDISC of kind clsact */
	int osiscope, others; /* RTM_NEWTFILTER filters (handle != 0), by owner */
};
/* Counts one buffer of an rtnetlink qdisc or filter dump into c: 1 at the end of the
 * dump, 0 if more is to come, -errno for an error reply or a truncated one. */
int tc_dump_parse(struct tc_dump_counts *c, const void *buf, size_t len);
bool tc_handle_is_ours(uint32_t prio, uint32_t handle);
/* Whether an owner record read from another agent's map says it is gone. */
struct link_owner;
bool link_owner_stale(const struct link_owner *o, size_t len, uint64_t now_ns);
/* "eth0,eth1" contains name (exact, comma-separated). */
bool link_name_listed(const char *list, const char *name);

#endif
