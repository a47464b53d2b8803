/*
 * pgtable.h - user page tables of the VM model: entry bits, table pages and
 * walks (arch/x86/include/asm/pgtable_types.h, mm/memory.c, mm/pgalloc).
 *
 * Every table page is a real page of the simulated page allocator (order 0,
 * GFP_KERNEL | __GFP_ZERO, unmovable, owner OWNER_PGTABLE) whose 512 64-bit
 * entries live in host memory: page.private is the index of a 4 KiB host
 * table in a pool of chunks that never move, so an entry pointer stays valid
 * while other tables are allocated.  Levels are numbered as the page walk
 * goes down: 5 = PGD with la57, 4 = PGD (or P4D), 3 = PUD, 2 = PMD, 1 = PTE;
 * each resolves 9 bits of the address above bit 12 + 9 * (level - 1).
 *
 * Entries follow the x86-64 layout; a PMD with PTE_PSE maps a 2 MiB
 * compound page (THP).  PTE_PROTNONE (the kernel's _PAGE_PROTNONE, the
 * global bit) marks an entry of a PROT_NONE mapping that keeps its page but
 * is not present to the hardware; pte_mapped() is the kernel's pte_present().
 * A huge PMD keeps a pre-allocated PTE table "deposited" beside it
 * (pgtable_trans_huge_deposit), so splitting it never allocates.
 *
 * Internal to the engine's VM files (memory.c, rmap.c, filemap.c,
 * huge_memory.c, pgtable.c); the rest of the project uses engine/mm.h.
 */
#ifndef MMBENCH_PGTABLE_H
#define MMBENCH_PGTABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/mm.h"

/* Entry bits (arch/x86/include/asm/pgtable_types.h) */
#define PTE_PRESENT		0x001ull
#define PTE_RW			0x002ull
#define PTE_USER		0x004ull
#define PTE_ACCESSED		0x020ull
#define PTE_DIRTY		0x040ull
#define PTE_PSE			0x080ull        /* huge PMD */
#define PTE_PROTNONE		0x100ull        /* _PAGE_PROTNONE: mapped, not present to the CPU */
#define PTE_NX			(1ull << 63)
#define PTE_PFN_MASK		0x000ffffffffff000ull   /* bits 12..51 */
#define PTE_TABLE		(PTE_PRESENT | PTE_RW | PTE_USER | PTE_ACCESSED | PTE_DIRTY) /* _PAGE_TABLE */

#define PTRS_PER_TABLE		512
#define PMD_SHIFT		21
#define HPAGE_PMD_ORDER		9
#define HPAGE_PMD_NR		(1u << HPAGE_PMD_ORDER)
#define HPAGE_PMD_SIZE		(1ull << PMD_SHIFT)             /* bytes */
#define HPAGE_PMD_MASK		(~(HPAGE_PMD_SIZE - 1))

static inline pfn_t pte_pfn(uint64_t e) { return (pfn_t)((e & PTE_PFN_MASK) >> PAGE_SHIFT); }
static inline bool pte_mapped(uint64_t e) { return (e & (PTE_PRESENT | PTE_PROTNONE)) != 0; }
static inline bool pmd_huge(uint64_t e) { return pte_mapped(e) && (e & PTE_PSE); }
static inline uint64_t pfn_pte(pfn_t pfn, uint64_t prot)
{
	return ((uint64_t)pfn << PAGE_SHIFT) | prot;
}

/* Bytes one entry of a table at `level` covers. */
static inline uint64_t pt_level_size(unsigned level)
{
	return 1ull << (PAGE_SHIFT + 9 * (level - 1));
}

static inline unsigned pt_index(uint64_t addr, unsigned level)
{
	return (unsigned)(addr >> (PAGE_SHIFT + 9 * (level - 1))) & (PTRS_PER_TABLE - 1);
}

#define PGTABLE_CHUNK_SHIFT	8       /* 256 host tables (1 MiB) per chunk */

struct pgtable_pool {
	uint64_t (**chunks)[PTRS_PER_TABLE];    /* [nr_chunks] chunks of 256 tables */
	uint32_t **deposit;             /* [nr_chunks << CHUNK_SHIFT]: per PMD table, PTE tables deposited per slot */
	uint32_t nr_chunks;
	uint32_t nr_tables;             /* host tables handed out (high-water) */
	uint32_t *free_idx;             /* host tables given back, reused first */
	uint32_t nr_free, cap_free;
};

/* The host entries of the table page at pfn (page.private is the pool index). */
static inline uint64_t *pt_table(const vmsys_t *vs, pfn_t pfn)
{
	uint32_t idx = vs->pm->mem_map[pfn].private;

	return vs->pgtables->chunks[idx >> PGTABLE_CHUNK_SHIFT][idx & ((1u << PGTABLE_CHUNK_SHIFT) - 1)];
}

/* pgtable.c */

/* Set up / free the host pool behind table pages; init returns 0 or -MM_ENOMEM. */
int pgtable_pool_init(vmsys_t *vs);
void pgtable_pool_destroy(vmsys_t *vs);

/*
 * A zeroed table page for mm (pte_alloc_one / __pud_alloc ...): counted in
 * mm->pgtables_bytes, vs->ev.pgtable_alloc and COST_PGTABLE_ALLOC (the page
 * allocator counts the zeroing).  Returns its pfn, or PFN_NONE.
 */
pfn_t pgtable_alloc(vmsys_t *vs, struct mm_struct *mm, unsigned cpu);

/* Give a table page back (pte_free / free_pte_range); COST_PGTABLE_FREE. */
void pgtable_free(vmsys_t *vs, struct mm_struct *mm, pfn_t pfn, unsigned cpu);

/*
 * The PMD entry for addr, or NULL when an upper level is missing; then
 * *next (if not NULL) is the first address past the hole, 0 on wrap.
 * *table (if not NULL) is the PMD table's pfn.
 */
uint64_t *pmd_lookup(const vmsys_t *vs, const struct mm_struct *mm, uint64_t addr,
		     uint64_t *next, pfn_t *table);

/* As pmd_lookup(), allocating missing upper tables; NULL on allocation failure. */
uint64_t *pmd_alloc(vmsys_t *vs, struct mm_struct *mm, uint64_t addr, unsigned cpu, pfn_t *table);

/* The PTE for addr under a PMD that points to a table (not huge, not none). */
static inline uint64_t *pte_offset(const vmsys_t *vs, uint64_t pmd, uint64_t addr)
{
	return &pt_table(vs, pte_pfn(pmd))[pt_index(addr, 1)];
}

/* The PTE for addr under *pmd, allocating its PTE table (__pte_alloc); NULL on failure. */
uint64_t *pte_alloc(vmsys_t *vs, struct mm_struct *mm, uint64_t *pmd, uint64_t addr, unsigned cpu);

/* The PTE for addr, or NULL if absent or mapped by a huge PMD (then *pmdp is it). */
uint64_t *pte_lookup(const vmsys_t *vs, const struct mm_struct *mm, uint64_t addr, uint64_t **pmdp);

/*
 * pgtable_trans_huge_deposit / _withdraw: the PTE table page pte_table kept
 * beside the huge PMD at slot idx (0..511) of the PMD table page pmd_table.
 * Deposit returns 0 or -MM_ENOMEM; withdraw returns the table's pfn and
 * forgets it, or PFN_NONE when none is deposited.
 */
int pgtable_deposit(vmsys_t *vs, pfn_t pmd_table, unsigned idx, pfn_t pte_table);
pfn_t pgtable_withdraw(vmsys_t *vs, pfn_t pmd_table, unsigned idx);

/* Write one entry and count COST_PTE_WRITE. */
static inline void set_pte(vmsys_t *vs, uint64_t *ptep, uint64_t e)
{
	*ptep = e;
	cost_add(vs->pm, COST_PTE_WRITE, 1);
}

/* memory.c: drop what one mapped PTE or huge PMD holds (rmap, refs, RSS) and clear it. */
void zap_pte_entry(vmsys_t *vs, struct mm_struct *mm, uint64_t addr, uint64_t *ptep, unsigned cpu);
void zap_huge_pmd(vmsys_t *vs, struct mm_struct *mm, uint64_t addr, uint64_t *pmdp, pfn_t pmd_table,
		  unsigned cpu);

/* Bytes of user address space the tables reach: 2^48 or 2^57. */
static inline uint64_t pt_va_limit(const vmsys_t *vs)
{
	return 1ull << (PAGE_SHIFT + 9 * vs->cfg.pgtable_levels);
}

/*
 * memory.c: flush [start, end) (bytes) of mm from every TLB that may hold it
 * (flush_tlb_mm_range) and count the remote CPUs of mm->cpu_mask in
 * vs->ev.tlb_shootdowns; freed_tables also drops walk-cache entries.
 */
void vm_flush_range(vmsys_t *vs, struct mm_struct *mm, uint64_t start, uint64_t end,
		    bool freed_tables, unsigned cpu);

#endif /* MMBENCH_PGTABLE_H */
