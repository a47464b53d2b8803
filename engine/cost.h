/*
 * cost.h - the engine's work counters: what each operation did, counted, never
 * timed.
 *
 * Every engine module adds to one array of cumulative counters
 * (uint64_t cost[NR_COST_ITEMS]) as it works: a free-list insertion is one
 * COST_FREELIST_OP, reading or writing a struct page one COST_PAGE_TOUCH, and
 * so on.  The replay driver snapshots the array before and after each event
 * and multiplies the differences by the cost weights of the policy (cycles
 * per item) to get the event's modeled latency.  Nothing here reads a clock,
 * so the modeled figures are the same on every machine.
 */
#ifndef MMBENCH_COST_H
#define MMBENCH_COST_H

#include <stdint.h>

enum cost_item {
	COST_FREELIST_OP,       /* list_add/list_del on a buddy free list */
	COST_PCP_LIST_OP,       /* list_add/list_del on a per-CPU page list */
	COST_PAGE_TOUCH,        /* struct page read-modify-write */
	COST_ZONE_LOCK,         /* zone->lock acquisition */
	COST_PCP_LOCK,          /* pcp->lock acquisition (pcp_spin_trylock) */
	COST_PAGE_ZERO,         /* 4 KiB page cleared (__GFP_ZERO, anonymous fault) */
	COST_PAGE_COPY,         /* 4 KiB page copied (migration, COW) */
	COST_PAGEBLOCK_OP,      /* pageblock migratetype change (steal, isolate, CMA) */
	COST_COMPACT_SCAN,      /* pfn visited by a compaction or isolation scanner */
	COST_MIGRATE,           /* page migrated: unmap, copy bookkeeping, remap */
	COST_WMARK_CHECK,       /* zone_watermark_ok() evaluation */
	NR_COST_ITEMS
};

/* Short names, for results and policy keys ("freelist_op", ...). */
extern const char *const cost_item_names[NR_COST_ITEMS];

#endif /* MMBENCH_COST_H */
