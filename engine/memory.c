/*
 * memory.c - page faults and the page-range operations of the VM model
 * (mm/memory.c, arch/x86/mm/fault.c, mm/mprotect.c, mm/mremap.c): the
 * vmsys set-up, handle_mm_fault and its do_*_page handlers, mm_access (TLB
 * lookup and page walk in front of the fault), zap_page_range,
 * change_protection, move_page_tables, copy_page_range, populate_range.
 *
 * References: a mapped user page holds one reference per mapping (rmap
 * item) plus, for page-cache pages, the cache's own; it goes back to the
 * buddy allocator with its last reference (put_page).  The shared zero page
 * is never counted.  Shared anonymous mappings (shmem in the kernel) are
 * modeled as anonymous pages: they are shared with a child only once
 * faulted in before the fork.  File mappings behave as tmpfs files: no
 * writenotify, so a shared writable mapping maps writable on a read fault.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/huge_memory.h"
#include "engine/page_alloc.h"
#include "engine/pgtable.h"
#include "engine/rmap.h"
#include "engine/tlb.h"

const char *const fault_class_names[NR_FAULT_CLASSES] = {
	[FAULT_ANON] = "anon",
	[FAULT_ZERO] = "zero",
	[FAULT_FILE_READ] = "file_read",
	[FAULT_FILE_COW] = "file_cow",
	[FAULT_FILE_SHARED] = "file_shared",
	[FAULT_WP_COPY] = "wp_copy",
	[FAULT_WP_REUSE] = "wp_reuse",
	[FAULT_THP] = "thp",
	[FAULT_SPURIOUS] = "spurious",
	[FAULT_SIGSEGV] = "sigsegv",
	[FAULT_OOM] = "oom",
};

/* ---------------------------------------------------------------- set-up */

int vmsys_init(vmsys_t *vs, phys_t *pm, const struct vm_config *cfg, struct tlb *tlb,
	       char *err, size_t errlen)
{
	memset(vs, 0, sizeof(*vs));
	if (cfg->pgtable_levels != 4 && cfg->pgtable_levels != 5)
		return mm_error(err, errlen, -MM_EINVAL, "vm: pgtable_levels %u: must be 4 or 5",
				cfg->pgtable_levels);
	if (cfg->thp > THP_ALWAYS)
		return mm_error(err, errlen, -MM_EINVAL, "vm: thp mode %d out of range", (int)cfg->thp);
	if (cfg->fault_around_pages > PTRS_PER_TABLE)
		return mm_error(err, errlen, -MM_EINVAL, "vm: fault_around_pages %u above %u",
				cfg->fault_around_pages, PTRS_PER_TABLE);
	vs->pm = pm;
	vs->cfg = *cfg;
	vs->tlb = tlb;
	vs->zero_pfn = PFN_NONE;
	vs->cpu_mm = calloc(pm->nr_cpus ? pm->nr_cpus : 1, sizeof(*vs->cpu_mm));
	if (!vs->cpu_mm || pgtable_pool_init(vs) || rmap_pool_init(vs) || page_cache_init(vs))
		goto nomem;
	if (rmap_register_owners(vs)) {
		vmsys_destroy(vs);
		return mm_error(err, errlen, -MM_EINVAL, "vm: cannot register page owner kinds");
	}
	/* ZERO_PAGE(0): a kernel page, never movable, never refcounted by mappings */
	vs->zero_pfn = alloc_pages(pm, GFP_KERNEL | GFP_F_ZERO, 0, 0);
	if (vs->zero_pfn == PFN_NONE)
		goto nomem;
	return 0;
nomem:
	vmsys_destroy(vs);
	return mm_error(err, errlen, -MM_ENOMEM, "vm: out of memory setting up");
}

void vmsys_destroy(vmsys_t *vs)
{
	if (!vs->pm)
		return;
	for (uint32_t i = 0; i < vs->nr_mms; i++)
		if (vs->mms && vs->mms[i])
			mm_destroy(vs, vs->mms[i]);
	free(vs->mms);
	page_cache_destroy(vs);
	if (vs->zero_pfn != PFN_NONE)
		free_pages(vs->pm, vs->zero_pfn, 0, 0);
	rmap_pool_destroy(vs);
	pgtable_pool_destroy(vs);
	free(vs->cpu_mm);
	/* no page of these kinds is left; the callbacks would point at a dead vmsys */
	memset(&vs->pm->owner[OWNER_ANON], 0, sizeof(vs->pm->owner[OWNER_ANON]));
	memset(&vs->pm->owner[OWNER_FILE], 0, sizeof(vs->pm->owner[OWNER_FILE]));
	memset(&vs->pm->owner[OWNER_PGTABLE], 0, sizeof(vs->pm->owner[OWNER_PGTABLE]));
	memset(vs, 0, sizeof(*vs));
}

/* ---------------------------------------------------------------- helpers */

static inline unsigned vm_cpu(const vmsys_t *vs, unsigned cpu)
{
	return cpu < vs->pm->nr_cpus ? cpu : cpu % vs->pm->nr_cpus;
}

static inline uint16_t mm_asid(const struct mm_struct *mm)
{
	return (uint16_t)(mm->id & 0xffff);
}

void vm_flush_range(vmsys_t *vs, struct mm_struct *mm, uint64_t start, uint64_t end,
		    bool freed_tables, unsigned cpu)
{
	unsigned others = 0;

	for (unsigned w = 0; w < MAX_NR_CPUS / 64; w++)
		others += (unsigned)__builtin_popcountll(mm->cpu_mask[w]);
	if (mm->cpu_mask[cpu / 64] & (1ull << (cpu % 64)))
		others--;
	vs->ev.tlb_shootdowns += others;
	if (vs->tlb)
		tlb_flush_range(vs->tlb, mm->cpu_mask, cpu, mm_asid(mm), start, end, freed_tables);
}

static inline void add_mm_counter(struct mm_struct *mm, unsigned member, int64_t n)
{
	mm->rss_stat[member] += (uint64_t)n;
}

/* update_hiwater_rss(): raise the VmHWM peak to the current RSS. */
static inline void update_hiwater_rss(struct mm_struct *mm)
{
	uint64_t rss = get_mm_rss(mm);

	if (rss > mm->hiwater_rss)
		mm->hiwater_rss = rss;
}

/* The counter a page's mappings count in (mm_counter()). */
static inline unsigned mm_counter(const vmsys_t *vs, pfn_t head)
{
	return page_owner_kind(&vs->pm->mem_map[head]) == OWNER_FILE ? MM_FILEPAGES : MM_ANONPAGES;
}

static void put_page(vmsys_t *vs, pfn_t head, unsigned cpu)
{
	struct page *page = &vs->pm->mem_map[head];

	cost_add(vs->pm, COST_PAGE_TOUCH, 1);
	if (--page->refcount == 0)
		free_pages(vs->pm, head, page->order, cpu);
}

/*
 * Entry bits for a mapping with vma's flags (vm_get_page_prot): private
 * writable mappings map read-only until written (COW), PROT_NONE maps
 * PAGE_NONE (_PAGE_PROTNONE, not present to the CPU).
 */
uint64_t vm_page_prot(const struct vm_area_struct *vma)
{
	uint64_t f = vma->vm_flags, prot;

	if (!(f & (VM_READ | VM_WRITE | VM_EXEC)))
		return PTE_PROTNONE | PTE_ACCESSED;
	prot = PTE_PRESENT | PTE_USER | PTE_ACCESSED;
	if ((f & (VM_WRITE | VM_SHARED)) == (VM_WRITE | VM_SHARED))
		prot |= PTE_RW;
	if (!(f & VM_EXEC))
		prot |= PTE_NX;
	return prot;
}

/*
 * PageAnonExclusive, as far as the model tracks it: an anonymous page (or
 * THP) mapped once and referenced once, so a write may reuse it.
 */
bool page_anon_exclusive(const vmsys_t *vs, pfn_t head)
{
	const struct page *page = &vs->pm->mem_map[head];

	return page_owner_kind(page) == OWNER_ANON && page->mapcount == 1 && page->refcount == 1;
}

/*
 * Drop the mapping that entry e held at addr in mm (page_remove_rmap,
 * dec_mm_counter, put_page); the entry itself is the caller's.
 */
static void unmap_pte_page(vmsys_t *vs, struct mm_struct *mm, uint64_t addr, uint64_t e, unsigned cpu)
{
	pfn_t pfn = pte_pfn(e), head;

	if (pfn == vs->zero_pfn)
		return;
	head = page_head(vs, pfn);
	add_mm_counter(mm, mm_counter(vs, head), -1);
	if (head != pfn || (vs->pm->mem_map[head].flags & PG_compound)) {
		if (thp_unmap_subpage(vs, mm, head, addr - ((uint64_t)(pfn - head) << PAGE_SHIFT)))
			put_page(vs, head, cpu);
		return;
	}
	page_remove_rmap(vs, head, mm->id, addr);
	put_page(vs, head, cpu);
}

void zap_pte_entry(vmsys_t *vs, struct mm_struct *mm, uint64_t addr, uint64_t *ptep, unsigned cpu)
{
	uint64_t e = *ptep;

	set_pte(vs, ptep, 0);
	if (pte_mapped(e))
		unmap_pte_page(vs, mm, addr, e, cpu);
}

/*
 * Map the page at pfn by *ptep at addr: reference, rmap item, RSS (the
 * common part of do_set_pte / set_pte_at).  Returns 0 or -MM_ENOMEM.
 */
static int map_page(vmsys_t *vs, struct mm_struct *mm, uint64_t addr, uint64_t *ptep, pfn_t pfn,
		    uint64_t prot)
{
	if (pfn != vs->zero_pfn) {
		if (page_add_rmap(vs, pfn, mm->id, addr))
			return -MM_ENOMEM;
		add_mm_counter(mm, mm_counter(vs, pfn), 1);
	}
	set_pte(vs, ptep, pfn_pte(pfn, prot));
	return 0;
}

/* A new anonymous page for a fault: movable, owned by the rmap; zeroed or about to be copied into. */
static pfn_t alloc_anon_page(vmsys_t *vs, bool zero, unsigned cpu)
{
	pfn_t pfn = alloc_pages(vs->pm, GFP_HIGHUSER_MOVABLE | (zero ? GFP_F_ZERO : 0), 0, cpu);

	if (pfn != PFN_NONE)
		phys_set_owner(vs->pm, pfn, OWNER_ANON, 0, /* movable */ true);
	return pfn;
}

/* ---------------------------------------------------------------- fault handlers */

/* do_anonymous_page(): zero page on a read, a new zeroed page on a write. */
static enum fault_class do_anonymous_page(vmsys_t *vs, struct vm_area_struct *vma, uint64_t addr,
					  uint64_t *pte, unsigned flags, unsigned cpu)
{
	uint64_t prot = vm_page_prot(vma);
	pfn_t pfn;

	/* the zero page only for private mappings (shared anonymous memory is shmem) */
	if (!(flags & FAULT_FLAG_WRITE) && vs->cfg.zero_page && !(vma->vm_flags & VM_SHARED)) {
		set_pte(vs, pte, pfn_pte(vs->zero_pfn, prot & ~PTE_RW));
		return FAULT_ZERO;
	}
	pfn = alloc_anon_page(vs, true, cpu);   /* vma_alloc_zeroed_movable_folio */
	if (pfn == PFN_NONE)
		return FAULT_OOM;
	if (vma->vm_flags & VM_WRITE)
		prot |= PTE_RW | PTE_DIRTY;
	if (map_page(vs, vma->vm_mm, addr, pte, pfn, prot)) {
		put_page(vs, pfn, cpu);
		return FAULT_OOM;
	}
	return FAULT_ANON;
}

/* Map a page-cache page (do_set_pte / filemap_map_pages): it gains a reference. */
static int map_file_page(vmsys_t *vs, struct vm_area_struct *vma, uint64_t addr, uint64_t *pte,
			 pfn_t pfn, uint64_t prot)
{
	if (map_page(vs, vma->vm_mm, addr, pte, pfn, prot))
		return -MM_ENOMEM;
	vs->pm->mem_map[pfn].refcount++;
	cost_add(vs->pm, COST_PAGE_TOUCH, 1);
	return 0;
}

/*
 * do_fault_around() / filemap_map_pages(): map the cached pages of the
 * fault_around_pages-aligned window around addr (inside the VMA and the
 * PTE table) whose entries are empty; with a warm cache every page of the
 * window is cached (filemap_map_find).
 */
static void do_fault_around(vmsys_t *vs, struct vm_area_struct *vma, uint64_t addr, uint64_t *pmd,
			    unsigned cpu)
{
	uint64_t nr = vs->cfg.fault_around_pages, start, end;
	uint64_t prot = vm_page_prot(vma);

	if (nr <= 1)
		return;
	start = addr & ~(nr * PAGE_SIZE - 1);
	end = start + nr * PAGE_SIZE;
	if (start < vma->vm_start)
		start = vma->vm_start;
	if (start < (addr & HPAGE_PMD_MASK))
		start = addr & HPAGE_PMD_MASK;
	if (end > vma->vm_end)
		end = vma->vm_end;
	if (end > (addr & HPAGE_PMD_MASK) + HPAGE_PMD_SIZE)
		end = (addr & HPAGE_PMD_MASK) + HPAGE_PMD_SIZE;
	for (uint64_t a = start; a < end; a += PAGE_SIZE) {
		uint64_t *pte = pte_offset(vs, *pmd, a);
		pfn_t pfn;

		if (*pte)
			continue;
		pfn = filemap_map_find(vs, vma->vm_file, linear_page_index(vma, a), cpu);
		if (pfn != PFN_NONE && map_file_page(vs, vma, a, pte, pfn, prot))
			return;
	}
}

/* do_read_fault(): fault-around first; the page itself from the cache (a major fault on a miss). */
static enum fault_class do_read_fault(vmsys_t *vs, struct vm_area_struct *vma, uint64_t addr,
				      uint64_t *pmd, uint64_t *pte, unsigned cpu)
{
	bool major;
	pfn_t pfn;

	do_fault_around(vs, vma, addr, pmd, cpu);
	if (pte_mapped(*pte))
		return FAULT_FILE_READ;
	pfn = filemap_get_page(vs, vma->vm_file, linear_page_index(vma, addr), cpu, &major);
	if (pfn == PFN_NONE || map_file_page(vs, vma, addr, pte, pfn, vm_page_prot(vma)))
		return FAULT_OOM;
	return FAULT_FILE_READ;
}

/* do_cow_fault(): a private write to a file page: copy it into a new anonymous page. */
static enum fault_class do_cow_fault(vmsys_t *vs, struct vm_area_struct *vma, uint64_t addr,
				     uint64_t *pte, unsigned cpu)
{
	bool major;
	pfn_t src = filemap_get_page(vs, vma->vm_file, linear_page_index(vma, addr), cpu, &major);
	pfn_t pfn;

	if (src == PFN_NONE)
		return FAULT_OOM;
	pfn = alloc_anon_page(vs, false, cpu);
	if (pfn == PFN_NONE)
		return FAULT_OOM;
	cost_add(vs->pm, COST_PAGE_COPY, 1);    /* copy_user_highpage */
	if (map_page(vs, vma->vm_mm, addr, pte, pfn, vm_page_prot(vma) | PTE_RW | PTE_DIRTY)) {
		put_page(vs, pfn, cpu);
		return FAULT_OOM;
	}
	return FAULT_FILE_COW;
}

/* do_shared_fault(): a shared write maps the cache page writable and dirty. */
static enum fault_class do_shared_fault(vmsys_t *vs, struct vm_area_struct *vma, uint64_t addr,
					uint64_t *pte, unsigned cpu)
{
	bool major;
	pfn_t pfn = filemap_get_page(vs, vma->vm_file, linear_page_index(vma, addr), cpu, &major);

	if (pfn == PFN_NONE ||
	    map_file_page(vs, vma, addr, pte, pfn, vm_page_prot(vma) | PTE_RW | PTE_DIRTY))
		return FAULT_OOM;
	return FAULT_FILE_SHARED;
}

/*
 * do_wp_page(): a write to a present read-only entry of a writable VMA.
 * Shared mappings just become writable (wp_page_shared); an exclusive
 * order-0 anonymous page is reused (wp_page_reuse); anything else -- a
 * page shared after fork, a subpage of a PTE-mapped THP, a page-cache page,
 * the zero page (copied as a fresh zeroed page) -- is copied into a new
 * anonymous page (wp_page_copy).
 */
enum fault_class do_wp_page(vmsys_t *vs, struct vm_area_struct *vma, uint64_t addr, uint64_t *pte,
			    unsigned cpu)
{
	struct mm_struct *mm = vma->vm_mm;
	uint64_t e = *pte;
	pfn_t old = pte_pfn(e), pfn;
	bool zero = old == vs->zero_pfn;

	/* wp_can_reuse_anon_folio() of v6.6: subpages of a large folio are never reused */
	if (((vma->vm_flags & VM_SHARED) && !zero) ||
	    (!zero && !(vs->pm->mem_map[page_head(vs, old)].flags & PG_compound) &&
	     page_anon_exclusive(vs, old))) {
		set_pte(vs, pte, e | PTE_RW | PTE_DIRTY | PTE_ACCESSED);
		return FAULT_WP_REUSE;
	}
	pfn = alloc_anon_page(vs, zero, cpu);
	if (pfn == PFN_NONE)
		return FAULT_OOM;
	e = *pte;               /* the allocation may have migrated the old page (compaction) */
	if (!zero)
		cost_add(vs->pm, COST_PAGE_COPY, 1);
	if (page_add_rmap(vs, pfn, mm->id, addr)) {
		put_page(vs, pfn, cpu);
		return FAULT_OOM;
	}
	add_mm_counter(mm, MM_ANONPAGES, 1);
	unmap_pte_page(vs, mm, addr, e, cpu);
	set_pte(vs, pte, pfn_pte(pfn, vm_page_prot(vma) | PTE_RW | PTE_DIRTY)); /* ptep_clear_flush + set */
	vm_flush_range(vs, mm, addr, addr + PAGE_SIZE, false, cpu);
	vs->ev.cow_copies++;
	return FAULT_WP_COPY;
}

/* access_error() of arch/x86/mm/fault.c, with exec checked against VM_EXEC. */
static bool access_error(const struct vm_area_struct *vma, unsigned flags)
{
	if (flags & FAULT_FLAG_WRITE)
		return !(vma->vm_flags & VM_WRITE);
	if (flags & FAULT_FLAG_INSTRUCTION)
		return !(vma->vm_flags & VM_EXEC);
	return !(vma->vm_flags & (VM_READ | VM_WRITE | VM_EXEC));      /* vma_is_accessible */
}

/* Do the entry's bits allow the access (what the CPU checks)? */
static inline bool pte_allows(uint64_t e, unsigned flags)
{
	if (!(e & PTE_PRESENT))
		return false;
	if ((flags & FAULT_FLAG_WRITE) && !(e & PTE_RW))
		return false;
	if ((flags & FAULT_FLAG_INSTRUCTION) && (e & PTE_NX))
		return false;
	return true;
}

/* Accessed and dirty bits the hardware sets on an allowed access; no cost (the walker's work). */
static inline void pte_mkyoung(uint64_t *e, unsigned flags)
{
	*e |= PTE_ACCESSED | ((flags & FAULT_FLAG_WRITE) ? PTE_DIRTY : 0);
}

static enum fault_class handle_pte_fault(vmsys_t *vs, struct vm_area_struct *vma, uint64_t addr,
					 uint64_t *pmd, unsigned flags, unsigned cpu)
{
	uint64_t *pte = pte_alloc(vs, vma->vm_mm, pmd, addr, cpu);
	bool write = flags & FAULT_FLAG_WRITE;
	uint64_t e;

	if (!pte)
		return FAULT_OOM;
	e = *pte;
	if (!pte_mapped(e)) {
		if (vma->vm_file == VM_FILE_NONE)
			return do_anonymous_page(vs, vma, addr, pte, flags, cpu);
		if (!write)
			return do_read_fault(vs, vma, addr, pmd, pte, cpu);
		if (!(vma->vm_flags & VM_SHARED))
			return do_cow_fault(vs, vma, addr, pte, cpu);
		return do_shared_fault(vs, vma, addr, pte, cpu);
	}
	if (!(e & PTE_PRESENT)) {
		/* a PROT_NONE entry left behind by a protection the VMA no longer has */
		e = (e & (PTE_PFN_MASK | PTE_DIRTY | PTE_RW)) | vm_page_prot(vma);
		set_pte(vs, pte, e);
	}
	if (write && !(e & PTE_RW))
		return do_wp_page(vs, vma, addr, pte, cpu);
	if ((e & (PTE_ACCESSED | (write ? PTE_DIRTY : 0))) != (PTE_ACCESSED | (write ? PTE_DIRTY : 0))) {
		pte_mkyoung(&e, flags);
		set_pte(vs, pte, e);            /* ptep_set_access_flags */
	}
	return FAULT_SPURIOUS;
}

enum fault_class handle_mm_fault(vmsys_t *vs, struct mm_struct *mm, uint64_t addr,
				 unsigned flags, unsigned cpu)
{
	struct vm_area_struct *vma;
	enum fault_class c;
	uint64_t *pmd;
	pfn_t pmd_table;

	cpu = vm_cpu(vs, cpu);
	vs->this_cpu = cpu;
	mm->cpu_mask[cpu / 64] |= 1ull << (cpu % 64);
	cost_add(vs->pm, COST_FAULT_ENTRY, 1);
	vma = find_vma(mm, addr);
	if (!vma || addr < vma->vm_start || access_error(vma, flags)) {
		vs->ev.sigsegv++;       /* bad_area(): handle_mm_fault, and PGFAULT, never reached */
		c = FAULT_SIGSEGV;
		goto out;
	}
	vs->ev.pgfault++;
	addr &= ~(PAGE_SIZE - 1);
	pmd = pmd_alloc(vs, mm, addr, cpu, &pmd_table);
	if (!pmd) {
		c = FAULT_OOM;
		goto out;
	}
	if (!*pmd && thp_vma_suitable(vs, vma, addr)) {
		c = do_huge_pmd_anonymous_page(vs, vma, addr, pmd, pmd_table, cpu);
		if (c != NR_FAULT_CLASSES)
			goto out;
	}
	if (pmd_huge(*pmd)) {
		uint64_t haddr = addr & HPAGE_PMD_MASK;

		/* a VMA split nobody told us about (split_huge_pmd_address) */
		if (haddr < vma->vm_start || haddr + HPAGE_PMD_SIZE > vma->vm_end)
			split_huge_pmd(vs, mm, pmd, pmd_table, haddr, cpu);
		else if ((c = huge_pmd_fault(vs, vma, addr, pmd, pmd_table, flags, cpu)) != NR_FAULT_CLASSES)
			goto out;
	}
	c = handle_pte_fault(vs, vma, addr, pmd, flags, cpu);
out:
	mm->nr_faults[c]++;
	vs->ev.nr_faults[c]++;
	update_hiwater_rss(mm);
	return c;
}

/*
 * The hardware page walk of addr in mm, without side effects: the leaf
 * entry (a PTE, possibly empty, or a huge PMD) or NULL when an upper entry
 * is missing; *level is the level of the last entry read (1 PTE, 2 PMD,
 * ... pgtable_levels), what tlb_walk() counts references to.
 */
static uint64_t *walk_entry(const vmsys_t *vs, const struct mm_struct *mm, uint64_t addr,
			    unsigned *level)
{
	pfn_t t = mm->pgd;

	*level = vs->cfg.pgtable_levels;
	if (t == PFN_NONE)
		return NULL;
	for (unsigned l = vs->cfg.pgtable_levels;; l--) {
		uint64_t *ep = &pt_table(vs, t)[pt_index(addr, l)];

		*level = l;
		if (l == 1 || (l == 2 && pmd_huge(*ep)))
			return ep;
		if (!(*ep & PTE_PRESENT))
			return NULL;
		t = pte_pfn(*ep);
	}
}

enum fault_class mm_access(vmsys_t *vs, struct mm_struct *mm, uint64_t addr, unsigned flags,
			   unsigned cpu)
{
	bool exec = flags & FAULT_FLAG_INSTRUCTION;
	unsigned level = 1;
	uint64_t *e;
	enum fault_class c;

	cpu = vm_cpu(vs, cpu);
	mm->cpu_mask[cpu / 64] |= 1ull << (cpu % 64);
	if (vs->tlb) {
		uint16_t asid = mm_asid(mm);

		if (vs->cpu_mm[cpu] != mm->id + 1) {
			tlb_switch_mm(vs->tlb, cpu, asid);
			vs->cpu_mm[cpu] = mm->id + 1;
		}
		if (tlb_lookup(vs->tlb, cpu, asid, addr, exec) != TLB_MISS) {
			/*
			 * A cached translation allows reads (and fetches, from
			 * the iTLB): every change that takes a right away
			 * flushes.  A write must find the entry writable and
			 * dirty it, as the CPU's locked update does.
			 */
			if (!(flags & FAULT_FLAG_WRITE))
				return FAULT_SPURIOUS;
			e = walk_entry(vs, mm, addr, &level);
			if (e && pte_allows(*e, flags)) {
				pte_mkyoung(e, flags);
				return FAULT_SPURIOUS;
			}
		} else {
			e = walk_entry(vs, mm, addr, &level);
			tlb_walk(vs->tlb, cpu, asid, addr, vs->cfg.pgtable_levels, level);
			if (e && pte_allows(*e, flags)) {
				pte_mkyoung(e, flags);
				tlb_insert(vs->tlb, cpu, asid, addr, level == 2 ? PMD_SHIFT : PAGE_SHIFT, exec);
				return FAULT_SPURIOUS;
			}
		}
		c = handle_mm_fault(vs, mm, addr, flags, cpu);
		if (c != FAULT_SIGSEGV && c != FAULT_OOM) {
			e = walk_entry(vs, mm, addr, &level);
			if (e && pte_allows(*e, flags))
				tlb_insert(vs->tlb, cpu, asid, addr, level == 2 ? PMD_SHIFT : PAGE_SHIFT, exec);
		}
		return c;
	}
	e = walk_entry(vs, mm, addr, &level);
	if (e && pte_allows(*e, flags)) {
		pte_mkyoung(e, flags);
		return FAULT_SPURIOUS;
	}
	return handle_mm_fault(vs, mm, addr, flags, cpu);
}

/* ---------------------------------------------------------------- range operations */

/*
 * Iterate the PMDs of [start, end) of mm: *pmd for each one present, with
 * [addr, next) the part of the range it covers; holes in the upper levels
 * are skipped whole.  Returns false at the end.
 */
struct pmd_iter {
	uint64_t addr, next, end;       /* bytes */
	uint64_t *pmd;
	pfn_t table;                    /* the PMD's table page */
};

static bool pmd_iter_next(const vmsys_t *vs, const struct mm_struct *mm, struct pmd_iter *it)
{
	while (it->next < it->end) {
		uint64_t skip;

		it->addr = it->next;
		it->pmd = pmd_lookup(vs, mm, it->addr, &skip, &it->table);
		if (!it->pmd) {
			if (!skip || skip <= it->addr)
				return false;
			it->next = skip;
			continue;
		}
		it->next = (it->addr & HPAGE_PMD_MASK) + HPAGE_PMD_SIZE;
		if (it->next > it->end || it->next < it->addr)
			it->next = it->end;
		if (*it->pmd)
			return true;
	}
	return false;
}

void zap_page_range(vmsys_t *vs, struct vm_area_struct *vma, uint64_t start, uint64_t end,
		    unsigned cpu)
{
	struct mm_struct *mm = vma->vm_mm;
	struct pmd_iter it = { .next = start, .end = end };
	bool any = false;

	cpu = vm_cpu(vs, cpu);
	vs->this_cpu = cpu;
	if (mm->zapped_start >= mm->zapped_end) {       /* for free_pgtables() */
		mm->zapped_start = start;
		mm->zapped_end = end;
	} else {
		if (start < mm->zapped_start)
			mm->zapped_start = start;
		if (end > mm->zapped_end)
			mm->zapped_end = end;
	}
	while (pmd_iter_next(vs, mm, &it)) {
		if (pmd_huge(*it.pmd)) {
			any = true;
			if (it.next - it.addr == HPAGE_PMD_SIZE) {
				zap_huge_pmd(vs, mm, it.addr, it.pmd, it.table, cpu);
				continue;
			}
			split_huge_pmd(vs, mm, it.pmd, it.table, it.addr & HPAGE_PMD_MASK, cpu);
		}
		for (uint64_t a = it.addr; a < it.next; a += PAGE_SIZE) {
			uint64_t *pte = pte_offset(vs, *it.pmd, a);

			if (*pte) {
				zap_pte_entry(vs, mm, a, pte, cpu);
				any = true;
			}
		}
	}
	if (any)
		vm_flush_range(vs, mm, start, end, false, cpu);
}

/*
 * The protection an existing entry gets under vma's flags
 * (change_pte_range): vm_page_prot, keeping dirty, writable where
 * can_change_pte_writable() allows (an exclusive anonymous page).
 */
static uint64_t new_prot(const vmsys_t *vs, const struct vm_area_struct *vma, uint64_t e, pfn_t head)
{
	uint64_t prot = vm_page_prot(vma) | (e & PTE_DIRTY);

	if ((vma->vm_flags & VM_WRITE) && !(vma->vm_flags & VM_SHARED) && (prot & PTE_PRESENT) &&
	    head != vs->zero_pfn && page_anon_exclusive(vs, head))
		prot |= PTE_RW;
	return prot;
}

void change_protection(vmsys_t *vs, struct vm_area_struct *vma, uint64_t start, uint64_t end,
		       unsigned cpu)
{
	struct mm_struct *mm = vma->vm_mm;
	struct pmd_iter it = { .next = start, .end = end };
	bool changed = false;

	cpu = vm_cpu(vs, cpu);
	vs->this_cpu = cpu;
	while (pmd_iter_next(vs, mm, &it)) {
		if (pmd_huge(*it.pmd)) {
			if (it.next - it.addr == HPAGE_PMD_SIZE) {     /* change_huge_pmd */
				pfn_t head = pte_pfn(*it.pmd);
				uint64_t e = pfn_pte(head, new_prot(vs, vma, *it.pmd, head) | PTE_PSE);

				if (e != *it.pmd) {
					set_pte(vs, it.pmd, e);
					changed = true;
				}
				continue;
			}
			split_huge_pmd(vs, mm, it.pmd, it.table, it.addr & HPAGE_PMD_MASK, cpu);
			changed = true;
		}
		for (uint64_t a = it.addr; a < it.next; a += PAGE_SIZE) {
			uint64_t *pte = pte_offset(vs, *it.pmd, a), e;
			pfn_t pfn;

			if (!pte_mapped(*pte))
				continue;
			pfn = pte_pfn(*pte);
			e = pfn_pte(pfn, new_prot(vs, vma, *pte, pfn == vs->zero_pfn ? pfn : page_head(vs, pfn)));
			if (pfn == vs->zero_pfn)
				e &= ~PTE_RW;
			if (e != *pte) {
				set_pte(vs, pte, e);
				changed = true;
			}
		}
	}
	if (changed)
		vm_flush_range(vs, mm, start, end, false, cpu);
}

/* Move the rmap of the mapping at old to new (same mm); compound subpages move their item's count. */
static int rmap_move(vmsys_t *vs, struct mm_struct *mm, uint64_t e, uint64_t old, uint64_t new)
{
	pfn_t pfn = pte_pfn(e), head;
	uint32_t i;

	if (pfn == vs->zero_pfn)
		return 0;
	head = page_head(vs, pfn);
	if (vs->pm->mem_map[head].flags & PG_compound) {
		uint64_t off = (uint64_t)(pfn - head) << PAGE_SHIFT;

		if (thp_map_subpage(vs, mm, head, new - off))
			return -MM_ENOMEM;
		if (thp_unmap_subpage(vs, mm, head, old - off))
			put_page(vs, head, vs->this_cpu);
		return 0;
	}
	i = rmap_find(vs, head, mm->id, old);
	if (i) {
		rmap_item(vs, i)->addr = new;
		cost_add(vs->pm, COST_RMAP_OP, 2);
	}
	return 0;
}

uint64_t move_page_tables(vmsys_t *vs, struct vm_area_struct *vma, uint64_t old_addr,
			  struct vm_area_struct *new_vma, uint64_t new_addr, uint64_t len, unsigned cpu)
{
	struct mm_struct *mm = vma->vm_mm;
	uint64_t moved = 0;
	bool any = false;

	(void)new_vma;
	cpu = vm_cpu(vs, cpu);
	vs->this_cpu = cpu;
	while (moved < len) {
		uint64_t old = old_addr + moved, new = new_addr + moved, next, extent;
		uint64_t *pmd, *new_pmd;
		pfn_t table, new_table;

		pmd = pmd_lookup(vs, mm, old, &next, &table);
		if (!pmd) {             /* nothing mapped up to next: moved as it is */
			moved = !next || next - old_addr >= len ? len : next - old_addr;
			continue;
		}
		extent = (old & HPAGE_PMD_MASK) + HPAGE_PMD_SIZE - old;
		if (extent > (new & HPAGE_PMD_MASK) + HPAGE_PMD_SIZE - new)
			extent = (new & HPAGE_PMD_MASK) + HPAGE_PMD_SIZE - new;
		if (extent > len - moved)
			extent = len - moved;
		if (!*pmd) {
			moved += extent;
			continue;
		}
		new_pmd = pmd_alloc(vs, mm, new, cpu, &new_table);
		if (!new_pmd)
			break;
		if (pmd_huge(*pmd)) {
			if (extent == HPAGE_PMD_SIZE && !*new_pmd) {   /* move_huge_pmd */
				if (move_huge_pmd(vs, mm, old, pmd, table, new, new_pmd, new_table))
					break;
				any = true;
				moved += extent;
				continue;
			}
			split_huge_pmd(vs, mm, pmd, table, old & HPAGE_PMD_MASK, cpu);
		}
		if (pmd_huge(*new_pmd))
			break;
		for (uint64_t off = 0; off < extent; off += PAGE_SIZE) {
			uint64_t *pte = pte_offset(vs, *pmd, old + off), *npte;

			if (!*pte)
				continue;
			npte = pte_alloc(vs, mm, new_pmd, new + off, cpu);
			if (!npte || rmap_move(vs, mm, *pte, old + off, new + off))
				goto out;
			set_pte(vs, npte, *pte);        /* move_ptes */
			set_pte(vs, pte, 0);
			any = true;
		}
		moved += extent;
	}
out:
	if (any)
		vm_flush_range(vs, mm, old_addr, old_addr + len, false, cpu);
	return moved > len ? len : moved;
}

int copy_page_range(vmsys_t *vs, struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma,
		    unsigned cpu)
{
	struct mm_struct *src = src_vma->vm_mm, *dst = dst_vma->vm_mm;
	bool cow = (src_vma->vm_flags & (VM_SHARED | VM_MAYWRITE)) == VM_MAYWRITE; /* is_cow_mapping */
	struct pmd_iter it = { .next = src_vma->vm_start, .end = src_vma->vm_end };
	bool wrprotected = false;
	int rc = 0;

	cpu = vm_cpu(vs, cpu);
	vs->this_cpu = cpu;
	while (pmd_iter_next(vs, src, &it)) {
		pfn_t dst_table;
		uint64_t *dst_pmd = pmd_alloc(vs, dst, it.addr, cpu, &dst_table);

		if (!dst_pmd) {
			rc = -MM_ENOMEM;
			break;
		}
		if (pmd_huge(*it.pmd)) {
			if (it.next - it.addr == HPAGE_PMD_SIZE) {
				rc = copy_huge_pmd(vs, dst, src, it.addr, dst_pmd, dst_table, it.pmd, cow, cpu);
				if (rc)
					break;
				wrprotected |= cow;
				continue;
			}
			split_huge_pmd(vs, src, it.pmd, it.table, it.addr & HPAGE_PMD_MASK, cpu);
		}
		/*
		 * copy_pte_range(): both PTE tables are looked up once (the
		 * child's allocated at the first mapped entry), then indexed.
		 */
		uint64_t *src_tab = pt_table(vs, pte_pfn(*it.pmd)), *dst_tab = NULL;

		for (uint64_t a = it.addr; a < it.next; a += PAGE_SIZE) {
			unsigned idx = pt_index(a, 1);
			uint64_t *pte = &src_tab[idx], *dpte, e = *pte;
			pfn_t pfn, head;

			if (!pte_mapped(e))
				continue;
			if (!dst_tab) {
				dpte = pte_alloc(vs, dst, dst_pmd, a, cpu);
				if (!dpte) {
					rc = -MM_ENOMEM;
					goto out;
				}
				dst_tab = dpte - idx;
				e = *pte;       /* compaction in the table allocation may have moved the page */
			}
			dpte = &dst_tab[idx];
			if (cow && (e & PTE_RW)) {      /* copy_present_pte: wrprotect both */
				e &= ~PTE_RW;
				set_pte(vs, pte, e);
				wrprotected = true;
			}
			if (src_vma->vm_flags & VM_SHARED)
				e &= ~PTE_DIRTY;
			pfn = pte_pfn(e);
			if (pfn != vs->zero_pfn) {
				head = page_head(vs, pfn);
				if (vs->pm->mem_map[head].flags & PG_compound) {
					if (thp_map_subpage(vs, dst, head, a - ((uint64_t)(pfn - head) << PAGE_SHIFT))) {
						rc = -MM_ENOMEM;
						goto out;
					}
				} else {
					if (page_add_rmap(vs, head, dst->id, a)) {
						rc = -MM_ENOMEM;
						goto out;
					}
					vs->pm->mem_map[head].refcount++;
				}
				cost_add(vs->pm, COST_PAGE_TOUCH, 1);
				add_mm_counter(dst, mm_counter(vs, head), 1);
			}
			set_pte(vs, dpte, e);
		}
	}
out:
	if (wrprotected)
		vm_flush_range(vs, src, src_vma->vm_start, src_vma->vm_end, false, cpu);
	update_hiwater_rss(dst);
	return rc;
}

void populate_range(vmsys_t *vs, struct vm_area_struct *vma, uint64_t start, uint64_t end,
		    unsigned cpu)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned flags = FAULT_FLAG_USER;

	/* populate_vma_page_range(): FOLL_WRITE breaks COW in private writable mappings */
	if ((vma->vm_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE)
		flags |= FAULT_FLAG_WRITE;
	if (!(vma->vm_flags & (VM_READ | VM_WRITE | VM_EXEC)))
		return;
	if (start < vma->vm_start)
		start = vma->vm_start;
	if (end > vma->vm_end)
		end = vma->vm_end;
	for (uint64_t a = start & ~(PAGE_SIZE - 1); a < end;) {
		unsigned level;
		uint64_t *e = walk_entry(vs, mm, a, &level);
		enum fault_class c;

		if (!e || !pte_allows(*e, flags)) {
			c = handle_mm_fault(vs, mm, a, flags, cpu);
			if (c == FAULT_OOM || c == FAULT_SIGSEGV)
				return;
			e = walk_entry(vs, mm, a, &level);
		}
		a = e && level == 2 ? (a & HPAGE_PMD_MASK) + HPAGE_PMD_SIZE : a + PAGE_SIZE;
	}
}
