/*
 * policy.h - policies: the named engine configurations users compare.
 *
 * A policy is an .ini file (parsed with libinih) whose keys map one to one
 * onto the engine's configuration structs and the cost weights of the
 * modeled latency:
 *
 *   include = linux-default       ; load another policy first (any line, in order)
 *   description = one line for `mmbench policies` (at most 167 bytes, UTF-8)
 *   [machine]    mem, nodes, cpus, zone_dma, zone_dma32, movablecore, memmap_reserve
 *   [memblock]   reserve = BASE SIZE   (repeatable; replaces the default list)
 *   [buddy]      max_order, pageblock_order, mobility_grouping, min_free_kbytes,
 *                watermark_scale_factor, lowmem_reserve_ratio = "256 256 32 0"
 *   [pcp]        enabled, high, batch, high_fraction, thp
 *   [compaction] enabled, extfrag_threshold
 *   [cma], [cma.1] ... [cma.7]   size, base, order_per_bit, name (one area each)
 *   [slub]       min_objects, max_order, min_order, cpu_partial, kmalloc_dma,
 *                kmalloc_cgroup, cache_line_size
 *   [vmalloc]    size, lazy_max_pages, lazy_purge
 *   [vm]         pgtable_levels, thp, placement, mmap_legacy, mmap_min_addr,
 *                stack_guard_gap, zero_page, fault_around_pages
 *   [tlb]        enabled and the TLB geometry (see the key table in policy.c)
 *   [cost]       cpu_mhz, and cycles per work item: one key per engine/cost.h item
 *   [replay]     seed
 *
 * Lines are at most 199 bytes (libinih's INI_MAX_LINE) and hold no NUL byte.
 * Sizes take the kernel's memparse suffixes (K, M, G, T: binary).  Booleans
 * are true/false, yes/no, on/off, 1/0.  An unknown section or key, a
 * malformed value or one out of range is an error naming the file, the line
 * and the key.  `policy_write_ini` prints every resolved value in this same
 * form, so its output loads back to an identical policy.
 *
 * Policies are looked up by name in the policies directory: $MMBENCH_POLICIES,
 * else `policies/` next to the build directory of the running mmbench
 * (BIN/../policies, BIN/../../policies), else ./policies.
 */
#ifndef MMBENCH_POLICY_H
#define MMBENCH_POLICY_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/cost.h"
#include "engine/phys.h"
#include "engine/slub.h"
#include "engine/mm.h"
#include "engine/tlb.h"
#include "engine/vmalloc.h"

#define POLICY_MAX_INCLUDE_DEPTH 8

struct policy {
	char name[64];                  /* file name without ".ini" */
	char path[PATH_MAX];            /* file it was loaded from */
	char description[256];          /* the description key */
	struct phys_config phys;        /* machine and page allocator */
	struct slub_config slub;        /* SLUB and kmalloc */
	struct vmalloc_config vmalloc;  /* vmalloc */
	struct vm_config vm;            /* address spaces, page tables, faults, THP */
	struct tlb_config tlb;          /* the TLB model */
	unsigned cpu_mhz;               /* converts modeled cycles to ns */
	uint32_t cost_cycles[NR_COST_ITEMS]; /* cycles per work item (engine/cost.h) */
	uint64_t seed;                  /* the engine PRNG's seed */
	struct {
		char file[256];         /* file of the area's first key, for errors */
		int line;               /* its line, 0 when the area was never named */
	} cma_src[PHYS_MAX_CMA];
};

/* The built-in defaults (what policies/linux-default.ini spells out). */
void policy_default(struct policy *p);

/*
 * Load NAME (looked up in the policies directory as NAME.ini) or a path (any
 * argument with a '/' or ending in ".ini") over the built-in defaults.
 * Returns 0, or -1 with "FILE:LINE: [section] key: reason" (or
 * "FILE: reason") in err.
 */
int policy_load(struct policy *p, const char *name_or_path, char *err, size_t errlen);

/* The policies directory, as described above, into buf.  Returns buf. */
char *policy_dir(char *buf, size_t len);

/* Print every resolved value as a loadable .ini file. */
void policy_write_ini(const struct policy *p, FILE *f);

/* Every resolved value as {"name", "path", "description", SECTION: {KEY: value}}; NULL when out of memory. */
json_t *policy_json(const struct policy *p);

/* Modeled ns of `cycles` at the policy's cpu_mhz, rounded down (deterministic integer arithmetic). */
static inline uint64_t policy_cycles_to_ns(const struct policy *p, uint64_t cycles)
{
	return cycles * 1000u / p->cpu_mhz;
}

#endif /* MMBENCH_POLICY_H */
