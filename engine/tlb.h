/*
 * tlb.h - the translation caches of the simulated CPUs: per-CPU L1 dTLB and
 * iTLB, the unified second-level STLB, and the page-walk (paging-structure)
 * caches, with PCID/ASID tags and the kernel's flush rules
 * (arch/x86/mm/tlb.c: flush_tlb_mm_range, switch_mm_irqs_off,
 * choose_new_asid).
 *
 * Glossary:
 *   ASID   the address-space tag of an entry: the mm's id (mm_struct.id).
 *          With PCID the kernel keeps TLB_NR_DYN_ASIDS (6) mms per CPU
 *          tagged at once; switching to a seventh reuses a slot round-robin
 *          and flushes the entries of the mm that held it.
 *   vpn    virtual page number: va >> 12 for a 4 KiB entry, va >> 21 for a
 *          2 MiB one.  Set index = vpn & (sets - 1) (sets are powers of two).
 *   STLB   the unified L2 TLB: 4 KiB and 2 MiB entries in one array, as
 *          Skylake's 1536-entry 12-way STLB.
 *   PWC    paging-structure caches (Intel SDM vol. 3, 4.10.3): the PML4E
 *          cache (keyed by va[56:39]), PDPTE cache (va[56:30]) and PDE
 *          cache (va[56:21]) hold non-leaf entries, so that a walk starts
 *          from the deepest cached level.  The PML5E cache of 5-level
 *          paging is not modeled (a PML4E hit skips the PML5 reference too).
 *
 * Arrays: every set is kept in recency order, most recently used way
 * first, invalid ways (key 0) last.  That is true LRU (the victim is the
 * last way), deterministic, and an L1 hit on the most recent way writes
 * nothing.  The walk caches, fully associative, keep last-use stamps
 * instead (struct tlb_array): the same LRU, without moving keys on a hit.
 * An entry key packs (vpn, ASID, size) with a valid bit, so one 64-bit
 * compare matches all three.
 *
 * The L1 dTLB has one array per page size (as Skylake: 64 x 4 KiB, 32 x
 * 2 MiB); the L1 iTLB is one array holding both sizes.  L1 and STLB are
 * non-inclusive: an STLB eviction leaves L1 alone.  An STLB hit refills L1.
 *
 * Work goes to pm->cost[] (engine/cost.h): COST_TLB_STLB_HIT per L1 miss
 * served by the STLB, COST_TLB_WALK + COST_PWALK_REF per reference per walk,
 * COST_TLB_FLUSH_PAGE per local invlpg, COST_TLB_FLUSH_MM per local full
 * flush of an address space, COST_TLB_SHOOTDOWN per remote CPU flushed
 * (the IPI and its wait; the remote CPU's own invalidation is not counted
 * again).
 *
 * Not thread-safe: a tlb_t belongs to the thread that owns its phys_t.
 */
#ifndef MMBENCH_TLB_H
#define MMBENCH_TLB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/phys.h"

#define TLB_MAX_WAYS		4096    /* largest associativity a config may ask for */
#define TLB_MAX_ENTRIES		(1u << 20)
#define TLB_MAX_DYN_ASIDS	64      /* largest nr_asids */
#define TLB_NR_PWC		3       /* PDE, PDPTE, PML4E caches */

/* Page-walk cache indices: the table level whose entries they hold (leaf PTE = level 1). */
enum { TLB_PWC_PDE, TLB_PWC_PDPTE, TLB_PWC_PML4E };

/*
 * The TLB knobs of a policy ([tlb] section).  Sizes in entries;
 * entries / ways sets, a power of two; walk caches are fully associative.
 */
struct tlb_config {
	bool enabled;                   /* model the TLB at all (the VM side passes no tlb_t when false) */
	unsigned dtlb_entries;          /* L1 dTLB, 4 KiB pages */
	unsigned dtlb_ways;
	unsigned dtlb_2m_entries;       /* L1 dTLB, 2 MiB pages */
	unsigned dtlb_2m_ways;
	unsigned itlb_entries;          /* L1 iTLB (both page sizes) */
	unsigned itlb_ways;
	unsigned stlb_entries;          /* unified L2 STLB (both page sizes) */
	unsigned stlb_ways;
	unsigned pwc_entries[TLB_NR_PWC]; /* PDE, PDPTE, PML4E cache entries; 0 = no such cache */
	bool pcid;                      /* X86_FEATURE_PCID: tagged entries survive tlb_switch_mm */
	unsigned nr_asids;              /* TLB_NR_DYN_ASIDS: mms tagged at once per CPU with pcid (6) */
	unsigned flush_ceiling;         /* tlb_single_page_flush_ceiling, pages (33) */
};

/* Per-CPU event counts (counts of events, not cycles). */
struct tlb_stats {
	uint64_t l1_hits;               /* tlb_lookup served by L1 */
	uint64_t stlb_hits;             /* tlb_lookup served by the STLB */
	uint64_t misses;                /* tlb_lookup that missed both */
	uint64_t walks;                 /* tlb_walk calls */
	uint64_t walk_refs;             /* memory references of those walks */
	uint64_t flushes_local_pages;   /* single-page invalidations (invlpg) run on this CPU */
	uint64_t flushes_local_full;    /* full address-space flushes run on this CPU */
	uint64_t shootdowns_sent;       /* remote CPUs this CPU asked to flush */
	uint64_t shootdowns_received;   /* flush requests from other CPUs */
};

/*
 * One set-associative array of one CPU.  A walk cache (one fully
 * associative set) keeps its order differently: its nr_valid keys fill ways
 * 0..nr_valid-1 in no order, each with the value of the array's clock at
 * its last use in stamp[]; the LRU way is the smallest stamp.  A hit then
 * writes one stamp instead of moving up to ways - 1 keys.  A search compares
 * one tag byte per way, eight a step, without a branch on the result, then
 * the key of the way whose tag matched.  Hits, misses and victims are those
 * of the recency-ordered set.
 */
struct tlb_array {
	uint64_t *key;                  /* [sets * ways], each set MRU first (walk caches: above), 0 = invalid */
	uint64_t *stamp;                /* walk caches: [ways], last use of each valid way; else NULL */
	uint8_t *tag;                   /* walk caches: [ways rounded up to 8], a hash byte of each valid key */
	uint64_t clock;                 /* walk caches: uses so far */
	uint32_t nr_valid;              /* walk caches: valid ways, all before the invalid ones */
	uint32_t set_mask;              /* sets - 1 */
	uint32_t ways;
	uint32_t nr_huge;               /* valid 2 MiB keys in the array: a 2 MiB lookup skips it at 0 */
};

/* One CPU's translation caches; one cache-line-aligned block per CPU. */
struct tlb_cpu {
	struct tlb_array dtlb;          /* L1 dTLB, 4 KiB */
	struct tlb_array dtlb_2m;       /* L1 dTLB, 2 MiB */
	struct tlb_array itlb;          /* L1 iTLB, both sizes */
	struct tlb_array stlb;          /* L2 STLB, both sizes */
	struct tlb_array pwc[TLB_NR_PWC]; /* walk caches (one set each; ways 0 when absent) */
	struct tlb_stats stats;
	uint64_t miss_key;              /* 4 KiB key of the last lookup that missed, 0 after a fill */
	bool miss_exec;                 /* ... and whether it was a fetch */
	int32_t loaded_asid;            /* ASID last switched to, -1 before any */
	uint32_t next_asid;             /* round-robin slot for choose_new_asid */
	int32_t asid_slot[TLB_MAX_DYN_ASIDS]; /* ASIDs tagged on this CPU, -1 = free */
} __attribute__((aligned(64)));

typedef struct tlb {
	struct tlb_config cfg;          /* as given */
	unsigned nr_cpus;
	phys_t *pm;                     /* where costs are counted */
	struct tlb_cpu *cpus;           /* [nr_cpus] */
	uint64_t *keys;                 /* backing store of every array */
	uint64_t *stamps;               /* ... and of the walk caches' stamps */
	uint8_t *tags;                  /* ... and tags */
	size_t keys_per_cpu;            /* keys of one CPU's arrays, a multiple of 8 (64 bytes) */
} tlb_t;

enum tlb_result { TLB_L1_HIT, TLB_STLB_HIT, TLB_MISS };

#define TLB_KEY_VALID		(1ull << 63)
#define TLB_KEY_HUGE		1ull
#define TLB_VPN_MASK		((1ull << 45) - 1)      /* 57-bit VA, 4 KiB pages */

/* The key of (vpn, asid, huge): valid | vpn << 17 | asid << 1 | huge. */
static inline uint64_t tlb_key(uint64_t vpn, uint16_t asid, bool huge)
{
	return TLB_KEY_VALID | (vpn & TLB_VPN_MASK) << 17 | (uint64_t)asid << 1 | (huge ? TLB_KEY_HUGE : 0);
}

static inline uint16_t tlb_key_asid(uint64_t key)
{
	return (uint16_t)(key >> 1);
}

static inline uint64_t tlb_key_vpn(uint64_t key)
{
	return (key >> 17) & TLB_VPN_MASK;
}

/*
 * Skylake-like defaults, each with its source in tlb.c: L1 dTLB 64 x 4-way
 * (4 KiB) and 32 x 4-way (2 MiB), L1 iTLB 128 x 8-way, STLB 1536 x 12-way,
 * walk caches 32 / 4 / 2 entries, PCID on with 6 ASIDs, ceiling 33 pages.
 */
void tlb_config_default(struct tlb_config *cfg);

/*
 * Build empty TLBs for nr_cpus CPUs (1..MAX_NR_CPUS) counting into pm.
 * Returns 0; -MM_EINVAL with a message naming the field in err[errlen]
 * when the config is out of range (entries not a multiple of ways, sets
 * not a power of two, ...); -MM_ENOMEM.  On error *t is left zeroed and
 * tlb_destroy() is optional.
 */
int tlb_init(tlb_t *t, const struct tlb_config *cfg, unsigned nr_cpus, phys_t *pm,
	     char *err, size_t errlen);

/* Free what tlb_init() allocated and zero *t; safe on a zeroed tlb_t. */
void tlb_destroy(tlb_t *t);

/* The part of tlb_lookup() after an L1 miss: the STLB, with L1 refill. */
enum tlb_result tlb_lookup_slow(tlb_t *t, unsigned cpu, uint16_t asid, uint64_t va, bool exec);

/*
 * Index of key in the set, or -1.  Four ways a test, their compares OR-ed
 * without a branch each; the way itself is found inside the matching four.
 */
static inline int tlb_set_find(const uint64_t *set, uint32_t ways, uint64_t key)
{
	uint32_t i = 0;

	for (; i + 4 <= ways; i += 4)
		if ((set[i] == key) | (set[i + 1] == key) | (set[i + 2] == key) | (set[i + 3] == key))
			break;
	for (; i < ways; i++)
		if (set[i] == key)
			return (int)i;
	return -1;
}

/*
 * Make way i the most recently used: ways 0..i-1 move down one.  Written as
 * a rotation through one register, which the compiler keeps inline (a
 * plain shift loop becomes a memmove() call, slow for the few ways moved).
 */
static inline void tlb_set_touch(uint64_t *set, int i)
{
	uint64_t carry = set[0];

	for (int j = 1; j <= i; j++) {
		uint64_t next = set[j];

		set[j] = carry;
		carry = next;
	}
	set[0] = carry;
}

/* Look key up in array a at set index vpn (way 0 first: the repeat hit); on a hit make it MRU. */
static inline bool tlb_array_lookup(struct tlb_array *a, uint64_t vpn, uint64_t key)
{
	uint64_t *set = a->key + (size_t)(vpn & a->set_mask) * a->ways;
	int i;

	if (set[0] == key)
		return true;
	i = tlb_set_find(set + 1, a->ways - 1, key);
	if (i < 0)
		return false;
	tlb_set_touch(set, i + 1);
	return true;
}

/*
 * A translation lookup on cpu for va (bytes) in address space asid, an
 * instruction fetch when exec: the L1 dTLB (4 KiB then 2 MiB array) or the
 * L1 iTLB (both sizes), then the STLB; an STLB hit refills L1 and counts
 * COST_TLB_STLB_HIT.  A miss counts nothing but stats.misses: the caller
 * walks (tlb_walk) and fills (tlb_insert).  The L1-hit path is inline.
 */
static inline enum tlb_result tlb_lookup(tlb_t *t, unsigned cpu, uint16_t asid, uint64_t va,
					 bool exec)
{
	struct tlb_cpu *c = &t->cpus[cpu];
	struct tlb_array *l1 = exec ? &c->itlb : &c->dtlb;
	struct tlb_array *l1_2m = exec ? l1 : &c->dtlb_2m;
	uint64_t vpn = va >> 12;

	if (tlb_array_lookup(l1, vpn, tlb_key(vpn, asid, false)) ||
	    (l1_2m->nr_huge && tlb_array_lookup(l1_2m, va >> 21, tlb_key(va >> 21, asid, true)))) {
		c->stats.l1_hits++;
		return TLB_L1_HIT;
	}
	return tlb_lookup_slow(t, cpu, asid, va, exec);
}

/*
 * The page walk after an STLB miss for va on a levels-level table (4 or
 * 5) whose leaf is at leaf_level (1: PTE, 2: huge PMD).  The walk starts
 * below the deepest walk-cache hit (PDE cache: 1 reference left for a PTE
 * leaf; PDPTE: 2 for PTE, 1 for PMD; PML4E: 3 for PTE, 2 for PMD; none:
 * levels - leaf_level + 1) and fills the caches of the non-leaf levels it
 * read.  Counts COST_TLB_WALK once and COST_PWALK_REF per reference.
 * Returns the memory references (1..levels).
 */
unsigned tlb_walk(tlb_t *t, unsigned cpu, uint16_t asid, uint64_t va, unsigned levels,
		  unsigned leaf_level);

/*
 * After a walk: put the translation of va (page_shift 12 or 21) into the
 * STLB and the L1 array for its size (the iTLB when exec) as the most
 * recently used entry, evicting the LRU way of a full set.  When it fills
 * the last lookup that missed on cpu (same page, asid, exec), the sets are
 * not searched again: that lookup found neither key, and only a fill adds one.
 */
void tlb_insert(tlb_t *t, unsigned cpu, uint16_t asid, uint64_t va, unsigned page_shift, bool exec);

/*
 * flush_tlb_mm_range(): drop asid's entries for [start, end) (bytes) on
 * this_cpu and on every other CPU whose bit is set in cpu_mask (MAX_NR_CPUS
 * bits in uint64_t words; bits of CPUs >= nr_cpus ignored).  Up to
 * flush_ceiling pages go page by page (an invlpg drops the 4 KiB and 2 MiB
 * entries containing the page), more flush the whole ASID.  freed_tables
 * also drops asid's walk-cache entries overlapping the range (hardware
 * drops more: an invlpg invalidates every paging-structure-cache entry of
 * the PCID, SDM vol. 3 4.10.4.1; the model keeps the walk caches of a
 * flush that frees no tables, as a warm-PWC bound).  Each remote
 * CPU is one shootdown (stats on both sides, COST_TLB_SHOOTDOWN).
 */
void tlb_flush_range(tlb_t *t, const uint64_t *cpu_mask, unsigned this_cpu, uint16_t asid,
		     uint64_t start, uint64_t end, bool freed_tables);

/* Drop every entry of asid (walk caches included) on this_cpu and the CPUs of cpu_mask. */
void tlb_flush_mm(tlb_t *t, const uint64_t *cpu_mask, unsigned this_cpu, uint16_t asid);

/*
 * switch_mm_irqs_off(): cpu now runs asid.  Without pcid every switch to
 * another ASID flushes the CPU (all ASIDs, walk caches included).  With
 * pcid an ASID among the CPU's nr_asids slots keeps its entries; a new one
 * takes the next slot round-robin (choose_new_asid) and the ASID that held
 * it loses its entries.  A flush counts COST_TLB_FLUSH_MM.
 */
void tlb_switch_mm(tlb_t *t, unsigned cpu, uint16_t asid);

/* The per-CPU stats added up over all CPUs. */
void tlb_stats_sum(const tlb_t *t, struct tlb_stats *sum);

/*
 * Structural invariants: every key in the set its vpn indexes and of the
 * array's page size, no duplicate key in a set, valid ways before invalid
 * ones (the LRU order), ASID slots distinct, shootdowns sent = received,
 * walks <= walk_refs <= 5 * walks.  Returns 0, or -1 with the first
 * violation in msg.
 */
int tlb_check(const tlb_t *t, char *msg, size_t msglen);

#endif /* MMBENCH_TLB_H */
