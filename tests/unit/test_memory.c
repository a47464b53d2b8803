/*
 * test_memory.c - page tables, faults, COW, reverse map, page cache and THP
 * of the VM model (engine/pgtable.c, memory.c, rmap.c, filemap.c,
 * huge_memory.c) driven through the real VMA layer (mmap.c, vma.c) and the
 * real page allocator: every phase ends with pgtable_check, vma_check,
 * buddy_check and a stale-TLB-entry check, teardown checks that every page
 * went back, and seeded random operation sequences run all of it together.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "engine/cma.h"
#include "engine/compaction.h"
#include "engine/huge_memory.h"
#include "engine/mm.h"
#include "engine/page_alloc.h"
#include "engine/pgtable.h"
#include "engine/phys.h"
#include "engine/prng.h"
#include "engine/rmap.h"
#include "engine/tlb.h"

static phys_t pm;
static vmsys_t vs;
static struct vm_config vcfg;
static tlb_t tlb;
static uint64_t free_at_start;

#define MiB (1ull << 20)

/* Pages free in the buddy lists and on the per-CPU lists. */
static uint64_t nr_free_total(void)
{
	uint64_t n = 0;

	for (unsigned z = 0; z < pm.nr_zones; z++) {
		n += pm.zones[z].nr_free_pages;
		for (unsigned c = 0; c < pm.nr_cpus; c++)
			n += (uint64_t)pm.zones[z].pcp[c].count;
	}
	return n;
}

/*
 * No TLB entry outlives what it caches: every valid entry of every CPU
 * names a live mm whose tables map the page now (a PTE for a 4 KiB entry, a
 * huge PMD for a 2 MiB one), executable for an iTLB entry.  Returns 0 or
 * -1 with the entry in msg.
 */
static int tlb_stale_check(char *msg, size_t len)
{
	for (unsigned c = 0; vs.tlb && c < tlb.nr_cpus; c++) {
		const struct tlb_array *arrays[] = { &tlb.cpus[c].dtlb, &tlb.cpus[c].dtlb_2m,
						     &tlb.cpus[c].itlb, &tlb.cpus[c].stlb };

		for (unsigned k = 0; k < 4; k++) {
			const struct tlb_array *ta = arrays[k];

			for (uint64_t i = 0; i < (uint64_t)(ta->set_mask + 1) * ta->ways; i++) {
				uint64_t key = ta->key[i], va, *e, *pmd;
				bool huge = key & TLB_KEY_HUGE;
				uint16_t asid = tlb_key_asid(key);
				struct mm_struct *mm;

				if (!(key & TLB_KEY_VALID))
					continue;
				mm = asid < vs.nr_mms ? vs.mms[asid] : NULL;
				va = tlb_key_vpn(key) << (huge ? PMD_SHIFT : PAGE_SHIFT);
				e = mm ? pte_lookup(&vs, mm, va, &pmd) : NULL;
				if (huge)
					e = pmd && pmd_huge(*pmd) ? pmd : NULL;
				if (!e || !(*e & PTE_PRESENT) || (k == 2 && (*e & PTE_NX))) {
					snprintf(msg, len, "cpu %u array %u: stale %s entry asid %u va %#llx", c, k,
						 huge ? "2M" : "4K", asid, (unsigned long long)va);
					return -1;
				}
			}
		}
	}
	return 0;
}

#define CHECK(phase) do {							\
		char msg_[512] = "";						\
		cr_assert_eq(tlb_stale_check(msg_, sizeof msg_), 0,		\
			     "%s: %s", (phase), msg_);				\
		cr_assert_eq(pgtable_check(&vs, msg_, sizeof msg_), 0,		\
			     "%s: pgtable_check: %s", (phase), msg_);		\
		cr_assert_eq(buddy_check(&pm, msg_, sizeof msg_), 0,		\
			     "%s: buddy_check: %s", (phase), msg_);		\
		for (uint32_t i_ = 0; i_ < vs.nr_mms; i_++)			\
			if (vs.mms[i_])						\
				cr_assert_eq(vma_check(vs.mms[i_], msg_, sizeof msg_), 0, \
					     "%s: vma_check: %s", (phase), msg_); \
	} while (0)

/* Machine of 256 MiB, 2 CPUs; the VM side with cfg as the test sets it. */
static void start(unsigned levels, enum thp_mode thp, bool with_tlb)
{
	struct phys_config pcfg;
	char err[256] = "";

	phys_config_default(&pcfg);
	pcfg.mem_bytes = 256 * MiB;
	pcfg.nr_cpus = 2;
	pcfg.nr_cma = 0;
	cr_assert_eq(phys_init(&pm, &pcfg, err, sizeof err), 0, "phys_init: %s", err);
	vm_config_default(&vcfg);
	vcfg.pgtable_levels = levels;
	vcfg.thp = thp;
	vcfg.page_cache_warm = false;   /* the file tests count page-cache misses; file_mapping_warm_cache sets it */
	if (with_tlb) {
		struct tlb_config tcfg;

		tlb_config_default(&tcfg);
		cr_assert_eq(tlb_init(&tlb, &tcfg, pm.nr_cpus, &pm, err, sizeof err), 0, "tlb_init: %s", err);
	}
	free_at_start = nr_free_total();
	cr_assert_eq(vmsys_init(&vs, &pm, &vcfg, with_tlb ? &tlb : NULL, err, sizeof err), 0,
		     "vmsys_init: %s", err);
}

static void teardown(void)
{
	if (vs.pm) {
		CHECK("teardown");
		vmsys_destroy(&vs);
		cr_expect_eq(nr_free_total(), free_at_start, "pages leaked: %llu free, %llu at start",
			     (unsigned long long)nr_free_total(), (unsigned long long)free_at_start);
	}
	tlb_destroy(&tlb);
	phys_destroy(&pm);
}

TestSuite(memory, .fini = teardown);

static uint64_t map_anon(struct mm_struct *mm, uint64_t len, uint32_t prot, uint32_t flags)
{
	int64_t a = do_mmap(&vs, mm, 0, len, prot, MM_MAP_PRIVATE | MM_MAP_ANONYMOUS | flags,
			    VM_FILE_NONE, 0, 0);

	cr_assert_gt(a, 0, "do_mmap: %lld", (long long)a);
	return (uint64_t)a;
}

static uint64_t pte_of(struct mm_struct *mm, uint64_t addr)
{
	uint64_t *pte = pte_lookup(&vs, mm, addr, NULL);

	return pte ? *pte : 0;
}

#define RW (MM_PROT_READ | MM_PROT_WRITE)

/* ---------------------------------------------------------------- anonymous faults */

static void anon_write_fault(unsigned levels)
{
	struct mm_struct *mm;
	uint64_t a, e, before;
	pfn_t pfn;

	start(levels, THP_NEVER, false);
	mm = mm_create(&vs, 1);
	cr_assert_not_null(mm);
	cr_assert_eq(mm->pgtables_bytes, PAGE_SIZE, "the PGD");
	a = map_anon(mm, 1 * MiB, RW, 0);
	before = nr_free_total();
	cr_assert_eq(handle_mm_fault(&vs, mm, a + 5 * PAGE_SIZE + 17, FAULT_FLAG_WRITE, 0), FAULT_ANON);
	/* one data page and the table chain below the PGD: PUD, PMD, PTE (+ P4D with 5 levels) */
	cr_assert_eq(mm->pgtables_bytes, levels * PAGE_SIZE);
	cr_assert_eq(before - nr_free_total(), 1 + (levels - 1));
	cr_assert_eq(vs.ev.pgtable_alloc, levels);
	cr_assert_eq(mm->rss_stat[MM_ANONPAGES], 1);
	cr_assert_eq(mm->hiwater_rss, 1);
	e = pte_of(mm, a + 5 * PAGE_SIZE);
	cr_assert_eq(e & (PTE_PRESENT | PTE_RW | PTE_USER | PTE_DIRTY),
		     PTE_PRESENT | PTE_RW | PTE_USER | PTE_DIRTY, "pte %#llx", (unsigned long long)e);
	cr_assert(e & PTE_NX, "no VM_EXEC: NX");
	pfn = pte_pfn(e);
	cr_assert_eq(page_owner_kind(&pm.mem_map[pfn]), OWNER_ANON);
	cr_assert(pm.mem_map[pfn].flags & PG_lru, "anonymous pages are movable");
	cr_assert_eq(get_pageblock_migratetype(&pm, pfn), MIGRATE_MOVABLE);
	cr_assert_eq(pm.mem_map[pfn].mapcount, 1);
	cr_assert_eq(pm.mem_map[pfn].refcount, 1);
	cr_assert_eq(mm->nr_faults[FAULT_ANON], 1);
	cr_assert_eq(vs.ev.nr_faults[FAULT_ANON], 1);
	cr_assert_eq(vs.ev.pgfault, 1);
	/* the same write again is spurious; a second page reuses the tables */
	cr_assert_eq(handle_mm_fault(&vs, mm, a + 5 * PAGE_SIZE, FAULT_FLAG_WRITE, 0), FAULT_SPURIOUS);
	cr_assert_eq(handle_mm_fault(&vs, mm, a + 6 * PAGE_SIZE, FAULT_FLAG_WRITE, 1), FAULT_ANON);
	cr_assert_eq(mm->pgtables_bytes, levels * PAGE_SIZE);
	CHECK("anon write");
}

Test(memory, anon_write_fault_4level)
{
	anon_write_fault(4);
}

Test(memory, anon_write_fault_5level)
{
	struct mm_struct *mm;
	int64_t a;

	anon_write_fault(5);
	/* an address above the 47-bit boundary, reachable only with 5 levels */
	mm = vs.mms[0];
	a = do_mmap(&vs, mm, 1ull << 50, 64 * PAGE_SIZE, RW,
		    MM_MAP_PRIVATE | MM_MAP_ANONYMOUS | MM_MAP_FIXED, VM_FILE_NONE, 0, 0);
	cr_assert_eq(a, (int64_t)(1ull << 50));
	cr_assert_eq(handle_mm_fault(&vs, mm, 1ull << 50, FAULT_FLAG_WRITE, 0), FAULT_ANON);
	cr_assert_eq(mm->pgtables_bytes, 9 * PAGE_SIZE, "a second chain: P4D, PUD, PMD, PTE");
	CHECK("5-level high address");
}

Test(memory, read_maps_zero_page_then_write_copies)
{
	struct mm_struct *mm;
	uint64_t a, e, zero_cost, copy_cost;

	start(4, THP_NEVER, false);
	mm = mm_create(&vs, 1);
	a = map_anon(mm, 64 * PAGE_SIZE, RW, 0);
	cr_assert_eq(handle_mm_fault(&vs, mm, a, 0, 0), FAULT_ZERO);
	e = pte_of(mm, a);
	cr_assert_eq(pte_pfn(e), vs.zero_pfn);
	cr_assert(!(e & PTE_RW), "the zero page is mapped read-only");
	cr_assert_eq(get_mm_rss(mm), 0);
	CHECK("zero page");
	/* a read of the zero page is spurious, a write copies (a fresh zeroed page) */
	cr_assert_eq(handle_mm_fault(&vs, mm, a, 0, 0), FAULT_SPURIOUS);
	zero_cost = pm.cost[COST_PAGE_ZERO];
	copy_cost = pm.cost[COST_PAGE_COPY];
	cr_assert_eq(handle_mm_fault(&vs, mm, a, FAULT_FLAG_WRITE, 0), FAULT_WP_COPY);
	cr_assert_eq(pm.cost[COST_PAGE_ZERO], zero_cost + 1);
	cr_assert_eq(pm.cost[COST_PAGE_COPY], copy_cost);
	e = pte_of(mm, a);
	cr_assert_neq(pte_pfn(e), vs.zero_pfn);
	cr_assert(e & PTE_RW);
	cr_assert_eq(mm->rss_stat[MM_ANONPAGES], 1);
	cr_assert_eq(vs.ev.cow_copies, 1);
	CHECK("zero page copied");
}

Test(memory, zero_page_off_allocates_on_read)
{
	struct mm_struct *mm;
	struct phys_config pcfg;
	char err[256];
	uint64_t a;

	phys_config_default(&pcfg);
	pcfg.mem_bytes = 128 * MiB;
	pcfg.nr_cpus = 1;
	cr_assert_eq(phys_init(&pm, &pcfg, err, sizeof err), 0);
	vm_config_default(&vcfg);
	vcfg.zero_page = false;
	free_at_start = nr_free_total();
	cr_assert_eq(vmsys_init(&vs, &pm, &vcfg, NULL, err, sizeof err), 0);
	mm = mm_create(&vs, 1);
	a = map_anon(mm, 16 * PAGE_SIZE, MM_PROT_READ, 0);
	cr_assert_eq(handle_mm_fault(&vs, mm, a, 0, 0), FAULT_ANON);
	cr_assert(!(pte_of(mm, a) & PTE_RW));
	CHECK("read fault without the zero page");
}

Test(memory, bad_config_rejected)
{
	struct phys_config pcfg;
	char err[256] = "";

	phys_config_default(&pcfg);
	pcfg.mem_bytes = 64 * MiB;
	cr_assert_eq(phys_init(&pm, &pcfg, err, sizeof err), 0);
	vm_config_default(&vcfg);
	vcfg.pgtable_levels = 3;
	cr_assert_eq(vmsys_init(&vs, &pm, &vcfg, NULL, err, sizeof err), -MM_EINVAL);
	cr_assert(strstr(err, "pgtable_levels"), "%s", err);
	cr_assert_null(vs.pm);
}

/* ---------------------------------------------------------------- fork and COW */

Test(memory, fork_cow_copy_then_reuse)
{
	struct mm_struct *parent, *child;
	uint64_t a;
	pfn_t pfn, cpfn;

	start(4, THP_NEVER, false);
	parent = mm_create(&vs, 1);
	a = map_anon(parent, 16 * PAGE_SIZE, RW, 0);
	cr_assert_eq(handle_mm_fault(&vs, parent, a, FAULT_FLAG_WRITE, 0), FAULT_ANON);
	cr_assert_eq(handle_mm_fault(&vs, parent, a + PAGE_SIZE, 0, 0), FAULT_ZERO);
	pfn = pte_pfn(pte_of(parent, a));
	child = mm_fork(&vs, parent, 2);
	cr_assert_not_null(child);
	CHECK("fork");
	cr_assert(!(pte_of(parent, a) & PTE_RW), "parent write-protected");
	cr_assert(!(pte_of(child, a) & PTE_RW), "child write-protected");
	cr_assert_eq(pte_pfn(pte_of(child, a)), pfn);
	cr_assert_eq(pte_pfn(pte_of(child, a + PAGE_SIZE)), vs.zero_pfn, "zero page shared");
	cr_assert_eq(pm.mem_map[pfn].mapcount, 2);
	cr_assert_eq(pm.mem_map[pfn].refcount, 2);
	cr_assert_eq(child->rss_stat[MM_ANONPAGES], 1);
	cr_assert_eq(child->pgtables_bytes, parent->pgtables_bytes);

	/* the child writes: its own copy */
	cr_assert_eq(handle_mm_fault(&vs, child, a, FAULT_FLAG_WRITE, 1), FAULT_WP_COPY);
	cpfn = pte_pfn(pte_of(child, a));
	cr_assert_neq(cpfn, pfn);
	cr_assert_eq(pm.mem_map[pfn].mapcount, 1);
	cr_assert_eq(vs.ev.cow_copies, 1);
	CHECK("child COW");
	/* the parent, now the only mapper, reuses its page */
	cr_assert_eq(handle_mm_fault(&vs, parent, a, FAULT_FLAG_WRITE, 0), FAULT_WP_REUSE);
	cr_assert_eq(pte_pfn(pte_of(parent, a)), pfn);
	cr_assert(pte_of(parent, a) & PTE_RW);

	/* fork again, the child exits untouched: the parent's write reuses */
	child = mm_fork(&vs, parent, 3);
	cr_assert_not_null(child);
	cr_assert(!(pte_of(parent, a) & PTE_RW));
	mm_destroy(&vs, child);
	CHECK("child exit");
	cr_assert_eq(pm.mem_map[pfn].mapcount, 1);
	cr_assert_eq(handle_mm_fault(&vs, parent, a, FAULT_FLAG_WRITE, 0), FAULT_WP_REUSE);
	cr_assert_eq(pte_pfn(pte_of(parent, a)), pfn);
	cr_assert_eq(vs.ev.cow_copies, 1);
	CHECK("reuse");
}

Test(memory, fork_out_of_memory_leaves_parent_whole)
{
	struct mm_struct *parent, *child;
	uint64_t a;

	start(4, THP_NEVER, false);
	parent = mm_create(&vs, 1);
	a = map_anon(parent, 64 * PAGE_SIZE, RW, 0);
	for (unsigned i = 0; i < 64; i++)
		handle_mm_fault(&vs, parent, a + i * PAGE_SIZE, FAULT_FLAG_WRITE, 0);
	phys_fail_nth(&pm, 3, 1);       /* the child's PGD and PUD, then nothing */
	child = mm_fork(&vs, parent, 2);
	phys_fail_nth(&pm, 0, 0);
	cr_assert_null(child);
	cr_assert_eq(parent->rss_stat[MM_ANONPAGES], 64);
	CHECK("failed fork");
}

/* ---------------------------------------------------------------- munmap gives everything back */

Test(memory, munmap_returns_pages_and_tables)
{
	struct mm_struct *mm;
	uint64_t a, after_create;

	start(4, THP_NEVER, false);
	mm = mm_create(&vs, 1);
	after_create = nr_free_total();
	a = map_anon(mm, 8 * MiB, RW, 0);
	for (uint64_t off = 0; off < 8 * MiB; off += PAGE_SIZE)
		cr_assert_eq(handle_mm_fault(&vs, mm, a + off, FAULT_FLAG_WRITE, off & 1), FAULT_ANON);
	cr_assert_eq(mm->rss_stat[MM_ANONPAGES], 2048);
	cr_assert_geq(mm->pgtables_bytes, 7 * PAGE_SIZE, "PGD, PUD, PMD and at least 4 PTE tables");
	CHECK("written");
	cr_assert_eq(do_munmap(&vs, mm, a, 8 * MiB, 0), 0);
	cr_assert_eq(get_mm_rss(mm), 0);
	cr_assert_eq(mm->pgtables_bytes, PAGE_SIZE, "only the PGD is left");
	cr_assert_eq(nr_free_total(), after_create);
	cr_assert_eq(vs.ev.pgtable_free, vs.ev.pgtable_alloc - 1);
	CHECK("unmapped");
	cr_assert_eq(mm->hiwater_rss, 2048);
	mm_destroy(&vs, mm);
	cr_assert_eq(nr_free_total(), free_at_start - 1, "all but the zero page");
}

Test(memory, partial_munmap_keeps_neighbour_tables)
{
	struct mm_struct *mm;
	uint64_t a;

	start(4, THP_NEVER, false);
	mm = mm_create(&vs, 1);
	a = map_anon(mm, 32 * PAGE_SIZE, RW, 0);
	for (unsigned i = 0; i < 32; i++)
		handle_mm_fault(&vs, mm, a + i * PAGE_SIZE, FAULT_FLAG_WRITE, 0);
	cr_assert_eq(do_munmap(&vs, mm, a + 8 * PAGE_SIZE, 8 * PAGE_SIZE, 0), 0);
	cr_assert_eq(mm->rss_stat[MM_ANONPAGES], 24);
	cr_assert_eq(pte_of(mm, a + 8 * PAGE_SIZE), 0);
	cr_assert(pte_of(mm, a + 16 * PAGE_SIZE) & PTE_PRESENT);
	cr_assert_eq(handle_mm_fault(&vs, mm, a + 8 * PAGE_SIZE, 0, 0), FAULT_SIGSEGV);
	cr_assert_eq(vs.ev.sigsegv, 1);
	CHECK("hole");
	/* MADV_DONTNEED drops pages but keeps the mapping: the next read is the zero page */
	cr_assert_eq(do_madvise(&vs, mm, a, 4 * PAGE_SIZE, MM_MADV_DONTNEED, 0), 0);
	cr_assert_eq(mm->rss_stat[MM_ANONPAGES], 20);
	cr_assert_eq(handle_mm_fault(&vs, mm, a, 0, 0), FAULT_ZERO);
	CHECK("dontneed");
	cr_assert_eq(do_munmap(&vs, mm, a, 32 * PAGE_SIZE, 0), 0);
	cr_assert_eq(mm->pgtables_bytes, PAGE_SIZE);

	/* two VMAs sharing one PTE table: it goes with the second munmap */
	{
		int64_t x = do_mmap(&vs, mm, 1ull << 32, 4 * PAGE_SIZE, RW,
				    MM_MAP_PRIVATE | MM_MAP_ANONYMOUS | MM_MAP_FIXED, VM_FILE_NONE, 0, 0);
		int64_t y = do_mmap(&vs, mm, (1ull << 32) + 8 * PAGE_SIZE, 4 * PAGE_SIZE, MM_PROT_READ,
				    MM_MAP_PRIVATE | MM_MAP_ANONYMOUS | MM_MAP_FIXED, VM_FILE_NONE, 0, 0);

		cr_assert_eq(x, (int64_t)(1ull << 32));
		cr_assert_eq(y, (int64_t)((1ull << 32) + 8 * PAGE_SIZE));
		handle_mm_fault(&vs, mm, (uint64_t)x, FAULT_FLAG_WRITE, 0);
		handle_mm_fault(&vs, mm, (uint64_t)y, 0, 0);
		cr_assert_eq(mm->pgtables_bytes, 4 * PAGE_SIZE);
		cr_assert_eq(do_munmap(&vs, mm, (uint64_t)x, 4 * PAGE_SIZE, 0), 0);
		cr_assert_eq(mm->pgtables_bytes, 4 * PAGE_SIZE, "the table still maps y");
		cr_assert_eq(do_munmap(&vs, mm, (uint64_t)y, 4 * PAGE_SIZE, 0), 0);
		cr_assert_eq(mm->pgtables_bytes, PAGE_SIZE);
	}
	CHECK("shared table freed");
}

/* ---------------------------------------------------------------- protection */

Test(memory, mprotect_read_only_then_write_is_sigsegv)
{
	struct mm_struct *mm;
	uint64_t a, e;

	start(4, THP_NEVER, false);
	mm = mm_create(&vs, 1);
	a = map_anon(mm, 4 * PAGE_SIZE, RW, 0);
	cr_assert_eq(handle_mm_fault(&vs, mm, a, FAULT_FLAG_WRITE, 0), FAULT_ANON);
	cr_assert_eq(do_mprotect(&vs, mm, a, 4 * PAGE_SIZE, MM_PROT_READ, 0), 0);
	e = pte_of(mm, a);
	cr_assert(!(e & PTE_RW));
	CHECK("read-only");
	cr_assert_eq(handle_mm_fault(&vs, mm, a, FAULT_FLAG_WRITE, 0), FAULT_SIGSEGV);
	cr_assert_eq(pte_of(mm, a), e, "a refused access changes nothing");
	cr_assert_eq(vs.ev.sigsegv, 1);
	cr_assert_eq(vs.ev.pgfault, 1, "PGFAULT counts handled faults only");
	cr_assert_eq(mm->nr_faults[FAULT_SIGSEGV], 1);
	cr_assert_eq(handle_mm_fault(&vs, mm, a, FAULT_FLAG_INSTRUCTION, 0), FAULT_SIGSEGV, "no VM_EXEC");
	cr_assert_eq(handle_mm_fault(&vs, mm, a, 0, 0), FAULT_SPURIOUS);
	/* PROT_NONE keeps the page but not the access */
	cr_assert_eq(do_mprotect(&vs, mm, a, 4 * PAGE_SIZE, 0, 0), 0);
	e = pte_of(mm, a);
	cr_assert(!(e & PTE_PRESENT) && (e & PTE_PROTNONE));
	cr_assert_eq(mm->rss_stat[MM_ANONPAGES], 1);
	cr_assert_eq(handle_mm_fault(&vs, mm, a, 0, 0), FAULT_SIGSEGV);
	CHECK("prot none");
	/* writable again: the exclusive page is writable at once (can_change_pte_writable) */
	cr_assert_eq(do_mprotect(&vs, mm, a, 4 * PAGE_SIZE, RW, 0), 0);
	cr_assert(pte_of(mm, a) & PTE_RW);
	cr_assert_eq(handle_mm_fault(&vs, mm, a, FAULT_FLAG_WRITE, 0), FAULT_SPURIOUS);
	CHECK("writable again");
}

/* ---------------------------------------------------------------- mremap */

Test(memory, mremap_moves_entries)
{
	struct mm_struct *mm;
	uint64_t a, b;
	pfn_t pfns[8];
	int64_t r;

	start(4, THP_NEVER, false);
	mm = mm_create(&vs, 1);
	a = map_anon(mm, 8 * PAGE_SIZE, RW, 0);
	b = map_anon(mm, 64 * PAGE_SIZE, RW, 0);      /* a destination to move to */
	cr_assert_eq(do_munmap(&vs, mm, b, 64 * PAGE_SIZE, 0), 0);
	for (unsigned i = 0; i < 8; i++) {
		handle_mm_fault(&vs, mm, a + i * PAGE_SIZE, FAULT_FLAG_WRITE, 0);
		pfns[i] = pte_pfn(pte_of(mm, a + i * PAGE_SIZE));
	}
	r = do_mremap(&vs, mm, a, 8 * PAGE_SIZE, 16 * PAGE_SIZE, MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED,
		      b + 3 * PAGE_SIZE, 0);
	cr_assert_eq(r, (int64_t)(b + 3 * PAGE_SIZE), "mremap: %lld", (long long)r);
	for (unsigned i = 0; i < 8; i++) {
		cr_assert_eq(pte_pfn(pte_of(mm, b + (3 + i) * PAGE_SIZE)), pfns[i]);
		cr_assert_eq(pte_of(mm, a + i * PAGE_SIZE), 0);
	}
	cr_assert_eq(mm->rss_stat[MM_ANONPAGES], 8);
	CHECK("moved");
	/* an untouched range moves with no tables behind it */
	a = map_anon(mm, 4 * PAGE_SIZE, RW, 0);
	r = do_mremap(&vs, mm, a, 4 * PAGE_SIZE, 4 * PAGE_SIZE, MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED,
		      1ull << 40, 0);
	cr_assert_eq(r, (int64_t)(1ull << 40), "mremap of an untouched range: %lld", (long long)r);
	cr_assert_eq(handle_mm_fault(&vs, mm, 1ull << 40, FAULT_FLAG_WRITE, 0), FAULT_ANON);
	CHECK("moved untouched");
}

Test(memory, populate_exec_and_shared_anon)
{
	struct mm_struct *mm, *child;
	int64_t x, s;
	uint64_t a;

	start(4, THP_NEVER, false);
	mm = mm_create(&vs, 1);
	/* MAP_POPULATE of a private writable mapping write-faults every page */
	a = map_anon(mm, 32 * PAGE_SIZE, RW, MM_MAP_POPULATE);
	cr_assert_eq(mm->rss_stat[MM_ANONPAGES], 32);
	cr_assert_eq(mm->nr_faults[FAULT_ANON], 32);
	cr_assert(pte_of(mm, a + 31 * PAGE_SIZE) & PTE_RW);
	/* an executable mapping: fetches allowed, entries without NX */
	x = do_mmap(&vs, mm, 0, 4 * PAGE_SIZE, MM_PROT_READ | MM_PROT_EXEC,
		    MM_MAP_PRIVATE | MM_MAP_ANONYMOUS, VM_FILE_NONE, 0, 0);
	cr_assert_gt(x, 0);
	cr_assert_eq(handle_mm_fault(&vs, mm, (uint64_t)x, FAULT_FLAG_INSTRUCTION, 0), FAULT_ZERO);
	cr_assert(!(pte_of(mm, (uint64_t)x) & PTE_NX));
	cr_assert_eq(mm_access(&vs, mm, (uint64_t)x, FAULT_FLAG_INSTRUCTION, 0), FAULT_SPURIOUS);
	/* MAP_SHARED|MAP_ANONYMOUS: pages faulted before fork stay shared, writable */
	s = do_mmap(&vs, mm, 0, 4 * PAGE_SIZE, RW, MM_MAP_SHARED | MM_MAP_ANONYMOUS, VM_FILE_NONE, 0, 0);
	cr_assert_gt(s, 0);
	cr_assert_eq(handle_mm_fault(&vs, mm, (uint64_t)s, FAULT_FLAG_WRITE, 0), FAULT_ANON);
	child = mm_fork(&vs, mm, 2);
	cr_assert_not_null(child);
	cr_assert_eq(pte_pfn(pte_of(child, (uint64_t)s)), pte_pfn(pte_of(mm, (uint64_t)s)));
	cr_assert(pte_of(mm, (uint64_t)s) & PTE_RW, "shared: no COW");
	cr_assert_eq(handle_mm_fault(&vs, child, (uint64_t)s, FAULT_FLAG_WRITE, 0), FAULT_SPURIOUS);
	CHECK("populate, exec, shared anon");
}

Test(memory, pgtable_check_finds_corruption)
{
	struct mm_struct *mm;
	char msg[256] = "";
	uint64_t a, *pte;
	pfn_t pfn;

	start(4, THP_NEVER, false);
	mm = mm_create(&vs, 1);
	a = map_anon(mm, 4 * PAGE_SIZE, RW, 0);
	handle_mm_fault(&vs, mm, a, FAULT_FLAG_WRITE, 0);
	pfn = pte_pfn(pte_of(mm, a));
	pm.mem_map[pfn].mapcount++;
	cr_assert_eq(pgtable_check(&vs, msg, sizeof msg), -1);
	cr_assert(strstr(msg, "mapcount"), "%s", msg);
	pm.mem_map[pfn].mapcount--;
	mm->rss_stat[MM_ANONPAGES]++;
	cr_assert_eq(pgtable_check(&vs, msg, sizeof msg), -1);
	cr_assert(strstr(msg, "RSS"), "%s", msg);
	mm->rss_stat[MM_ANONPAGES]--;
	pte = pte_lookup(&vs, mm, a + PAGE_SIZE, NULL);
	*pte = pfn_pte(pfn, PTE_PRESENT | PTE_USER);    /* a second mapping the rmap does not know */
	cr_assert_eq(pgtable_check(&vs, msg, sizeof msg), -1);
	cr_assert(strstr(msg, "rmap"), "%s", msg);
	*pte = 0;
	mm->pgtables_bytes += PAGE_SIZE;
	cr_assert_eq(pgtable_check(&vs, msg, sizeof msg), -1);
	cr_assert(strstr(msg, "pgtables_bytes"), "%s", msg);
	mm->pgtables_bytes -= PAGE_SIZE;
	CHECK("repaired");
}

/* ---------------------------------------------------------------- file mappings */

Test(memory, file_mapping_shared_by_two_mms)
{
	struct mm_struct *a, *b;
	int64_t va, vb;
	pfn_t pfn;

	start(4, THP_NEVER, false);
	a = mm_create(&vs, 1);
	b = mm_create(&vs, 2);
	/* 64 KiB-aligned: the fault-around window (16 pages) starts at the mapping */
	va = do_mmap(&vs, a, 1ull << 32, 32 * PAGE_SIZE, MM_PROT_READ, MM_MAP_SHARED | MM_MAP_FIXED, 7, 0, 0);
	vb = do_mmap(&vs, b, 2ull << 32, 32 * PAGE_SIZE, MM_PROT_READ, MM_MAP_SHARED | MM_MAP_FIXED, 7, 0, 0);
	cr_assert_eq(va, (int64_t)(1ull << 32));
	cr_assert_eq(vb, (int64_t)(2ull << 32));
	/* a reads pages 0..7: each a page-cache miss */
	for (unsigned i = 0; i < 8; i++)
		cr_assert_eq(handle_mm_fault(&vs, a, (uint64_t)va + i * PAGE_SIZE, 0, 0), FAULT_FILE_READ);
	cr_assert_eq(vs.ev.pgmajfault, 8);
	cr_assert_eq(a->rss_stat[MM_FILEPAGES], 8);
	/* b reads page 0: a minor fault, and fault-around maps the other cached 7 */
	cr_assert_eq(handle_mm_fault(&vs, b, (uint64_t)vb, 0, 0), FAULT_FILE_READ);
	cr_assert_eq(vs.ev.pgmajfault, 8);
	cr_assert_eq(b->rss_stat[MM_FILEPAGES], 8);
	cr_assert_eq(mm_access(&vs, b, (uint64_t)vb + 5 * PAGE_SIZE, 0, 0), FAULT_SPURIOUS);
	pfn = pte_pfn(pte_of(a, (uint64_t)va));
	cr_assert_eq(pte_pfn(pte_of(b, (uint64_t)vb)), pfn, "one page-cache page");
	cr_assert_eq(pm.mem_map[pfn].mapcount, 2);
	cr_assert_eq(pm.mem_map[pfn].refcount, 3, "two mappings and the cache");
	cr_assert_eq(page_owner_kind(&pm.mem_map[pfn]), OWNER_FILE);
	CHECK("shared file");
	/* unmapped, the page stays cached: a new mapping finds it (no major fault) */
	cr_assert_eq(do_munmap(&vs, a, (uint64_t)va, 32 * PAGE_SIZE, 0), 0);
	cr_assert_eq(pm.mem_map[pfn].refcount, 2);
	va = do_mmap(&vs, a, 0, 32 * PAGE_SIZE, MM_PROT_READ, MM_MAP_SHARED, 7, 0, 0);
	cr_assert_eq(handle_mm_fault(&vs, a, (uint64_t)va + 3 * PAGE_SIZE, 0, 0), FAULT_FILE_READ);
	cr_assert_eq(vs.ev.pgmajfault, 8);
	CHECK("cached after unmap");
}

Test(memory, file_mapping_warm_cache)
{
	struct mm_struct *mm;
	int64_t va;

	start(4, THP_NEVER, false);
	vs.cfg.page_cache_warm = true;
	mm = mm_create(&vs, 1);
	/* 20 pages from a 64 KiB boundary: windows [0, 16) and [16, 20) */
	va = do_mmap(&vs, mm, 1ull << 32, 20 * PAGE_SIZE, MM_PROT_READ | MM_PROT_EXEC,
		     MM_MAP_PRIVATE | MM_MAP_FIXED, 5, 0, 0);
	cr_assert_eq(va, (int64_t)(1ull << 32));
	/* an exec fault on page 3 maps the whole window: every page is cached, none read */
	cr_assert_eq(handle_mm_fault(&vs, mm, (uint64_t)va + 3 * PAGE_SIZE, FAULT_FLAG_INSTRUCTION, 0),
		     FAULT_FILE_READ);
	cr_assert_eq(vs.ev.pgmajfault, 0);
	cr_assert_eq(mm->rss_stat[MM_FILEPAGES], 16);
	cr_assert_eq(get_mm_rss(mm), 16);
	cr_assert_eq(mm_access(&vs, mm, (uint64_t)va + 15 * PAGE_SIZE, 0, 0), FAULT_SPURIOUS);
	/* the second window stops at the VMA's end */
	cr_assert_eq(handle_mm_fault(&vs, mm, (uint64_t)va + 17 * PAGE_SIZE, 0, 0), FAULT_FILE_READ);
	cr_assert_eq(mm->rss_stat[MM_FILEPAGES], 20);
	cr_assert_eq(mm->hiwater_rss, 20);
	cr_assert_eq(vs.ev.pgfault, 2);
	cr_assert_eq(vs.ev.pgmajfault, 0);
	CHECK("warm file");
}

Test(memory, file_private_write_copies_shared_write_dirties)
{
	struct mm_struct *mm;
	int64_t p, s;
	uint64_t copies;
	pfn_t cache;

	start(4, THP_NEVER, false);
	mm = mm_create(&vs, 1);
	p = do_mmap(&vs, mm, 0, 16 * PAGE_SIZE, RW, MM_MAP_PRIVATE, 9, 0, 0);
	s = do_mmap(&vs, mm, 0, 16 * PAGE_SIZE, RW, MM_MAP_SHARED, 9, 0, 0);
	cr_assert_gt(p, 0);
	cr_assert_gt(s, 0);
	copies = pm.cost[COST_PAGE_COPY];
	cr_assert_eq(handle_mm_fault(&vs, mm, (uint64_t)p, FAULT_FLAG_WRITE, 0), FAULT_FILE_COW);
	cr_assert_eq(pm.cost[COST_PAGE_COPY], copies + 1);
	cr_assert_eq(mm->rss_stat[MM_ANONPAGES], 1);
	cr_assert_eq(mm->rss_stat[MM_FILEPAGES], 0);
	cache = filemap_find(&vs, 9, 0);
	cr_assert_neq(cache, PFN_NONE);
	cr_assert_neq(pte_pfn(pte_of(mm, (uint64_t)p)), cache);
	cr_assert_eq(pm.mem_map[cache].refcount, 1, "only the cache holds it");
	/* a read of page 1 maps the cache page read-only; the write then copies it */
	cr_assert_eq(handle_mm_fault(&vs, mm, (uint64_t)p + PAGE_SIZE, 0, 0), FAULT_FILE_READ);
	cr_assert(!(pte_of(mm, (uint64_t)p + PAGE_SIZE) & PTE_RW));
	cr_assert_eq(handle_mm_fault(&vs, mm, (uint64_t)p + PAGE_SIZE, FAULT_FLAG_WRITE, 0), FAULT_WP_COPY);
	cr_assert_eq(mm->rss_stat[MM_FILEPAGES], 0);
	cr_assert_eq(mm->rss_stat[MM_ANONPAGES], 2);
	/* the shared mapping of the same file writes the cache page itself */
	cr_assert_eq(handle_mm_fault(&vs, mm, (uint64_t)s, FAULT_FLAG_WRITE, 0), FAULT_FILE_SHARED);
	cr_assert_eq(pte_pfn(pte_of(mm, (uint64_t)s)), cache);
	cr_assert(pte_of(mm, (uint64_t)s) & PTE_DIRTY);
	cr_assert_eq(mm->rss_stat[MM_FILEPAGES], 1);
	CHECK("file COW and shared");
}

/* ---------------------------------------------------------------- THP */

Test(memory, thp_always_one_huge_page_per_aligned_range)
{
	struct mm_struct *mm;
	uint64_t a, h, before;
	uint64_t *pmd;
	pfn_t head;

	start(4, THP_ALWAYS, false);
	mm = mm_create(&vs, 1);
	a = map_anon(mm, 8 * MiB, RW, 0);
	h = (a + HPAGE_PMD_SIZE - 1) & HPAGE_PMD_MASK;
	before = nr_free_total();
	cr_assert_eq(handle_mm_fault(&vs, mm, h + 12345, FAULT_FLAG_WRITE, 0), FAULT_THP);
	cr_assert_eq(vs.ev.thp_fault_alloc, 1);
	cr_assert_eq(mm->rss_stat[MM_ANONPAGES], HPAGE_PMD_NR);
	pmd = pmd_lookup(&vs, mm, h, NULL, NULL);
	cr_assert(pmd && pmd_huge(*pmd) && (*pmd & PTE_RW));
	head = pte_pfn(*pmd);
	cr_assert_eq(head & (HPAGE_PMD_NR - 1), 0);
	cr_assert_eq(pm.mem_map[head].order, HPAGE_PMD_ORDER);
	cr_assert(pm.mem_map[head].flags & PG_compound);
	/* 512 data pages, PUD + PMD tables and the deposited PTE table */
	cr_assert_eq(before - nr_free_total(), HPAGE_PMD_NR + 3);
	/* more accesses in that range are spurious; the next range gets its own */
	cr_assert_eq(handle_mm_fault(&vs, mm, h + 100 * PAGE_SIZE, FAULT_FLAG_WRITE, 0), FAULT_SPURIOUS);
	cr_assert_eq(handle_mm_fault(&vs, mm, h + HPAGE_PMD_SIZE, 0, 0), FAULT_THP);
	cr_assert_eq(vs.ev.thp_fault_alloc, 2);
	CHECK("two THPs");

	/* order 9 fails: fall back to a 4 KiB page */
	phys_fail_nth(&pm, 1, 0);
	cr_assert_eq(handle_mm_fault(&vs, mm, h + 2 * HPAGE_PMD_SIZE, FAULT_FLAG_WRITE, 0), FAULT_ANON);
	cr_assert_eq(vs.ev.thp_fault_fallback, 1);
	pmd = pmd_lookup(&vs, mm, h + 2 * HPAGE_PMD_SIZE, NULL, NULL);
	cr_assert(pmd && !pmd_huge(*pmd));
	CHECK("fallback");

	/* munmap of part of a THP splits it: the rest stays mapped through PTEs */
	cr_assert_eq(do_munmap(&vs, mm, h + 16 * PAGE_SIZE, 16 * PAGE_SIZE, 0), 0);
	pmd = pmd_lookup(&vs, mm, h, NULL, NULL);
	cr_assert(pmd && !pmd_huge(*pmd), "split");
	cr_assert_eq(pte_pfn(pte_of(mm, h + 40 * PAGE_SIZE)), head + 40);
	cr_assert_eq(pm.mem_map[head].order, HPAGE_PMD_ORDER, "the compound page is kept");
	cr_assert_eq(mm->rss_stat[MM_ANONPAGES], 2 * HPAGE_PMD_NR + 1 - 16);
	CHECK("split");
	/* a write-protect fault on a subpage after fork copies 4 KiB */
	{
		struct mm_struct *child = mm_fork(&vs, mm, 2);

		cr_assert_not_null(child);
		CHECK("fork of THPs");
		cr_assert_eq(handle_mm_fault(&vs, child, h + HPAGE_PMD_SIZE, FAULT_FLAG_WRITE, 1),
			     FAULT_WP_COPY);
		cr_assert_eq(handle_mm_fault(&vs, child, h + 40 * PAGE_SIZE, FAULT_FLAG_WRITE, 1),
			     FAULT_WP_COPY);
		CHECK("COW of THP subpages");
		mm_destroy(&vs, child);
	}
	/* a PTE-mapped THP subpage is copied even when exclusive (v6.6 never reuses large folios) */
	cr_assert_eq(handle_mm_fault(&vs, mm, h + 41 * PAGE_SIZE, FAULT_FLAG_WRITE, 0), FAULT_WP_COPY);
	cr_assert_neq(pte_pfn(pte_of(mm, h + 41 * PAGE_SIZE)), head + 41);
	CHECK("subpage copied");
	/* the parent's second THP is exclusive again: reused whole */
	cr_assert_eq(handle_mm_fault(&vs, mm, h + HPAGE_PMD_SIZE, FAULT_FLAG_WRITE, 0), FAULT_WP_REUSE,
		     "the split in the child left the parent's PMD alone");
	cr_assert(pmd_huge(*pmd_lookup(&vs, mm, h + HPAGE_PMD_SIZE, NULL, NULL)));
	cr_assert_eq(do_munmap(&vs, mm, a, 8 * MiB, 0), 0);
	cr_assert_eq(get_mm_rss(mm), 0);
	cr_assert_eq(mm->pgtables_bytes, PAGE_SIZE);
	CHECK("all unmapped");
}

Test(memory, thp_madvise_needs_vm_hugepage)
{
	struct mm_struct *mm;
	uint64_t a, h;

	start(4, THP_MADVISE, false);
	mm = mm_create(&vs, 1);
	a = map_anon(mm, 8 * MiB, RW, 0);
	h = (a + HPAGE_PMD_SIZE - 1) & HPAGE_PMD_MASK;
	cr_assert_eq(handle_mm_fault(&vs, mm, h, FAULT_FLAG_WRITE, 0), FAULT_ANON);
	cr_assert_eq(do_madvise(&vs, mm, h + HPAGE_PMD_SIZE, HPAGE_PMD_SIZE, MM_MADV_HUGEPAGE, 0), 0);
	cr_assert_eq(handle_mm_fault(&vs, mm, h + HPAGE_PMD_SIZE, FAULT_FLAG_WRITE, 0), FAULT_THP);
	/* mprotect of the whole huge PMD rewrites it, of part of it splits it */
	cr_assert_eq(do_mprotect(&vs, mm, h + HPAGE_PMD_SIZE, HPAGE_PMD_SIZE, MM_PROT_READ, 0), 0);
	cr_assert(pmd_huge(*pmd_lookup(&vs, mm, h + HPAGE_PMD_SIZE, NULL, NULL)));
	cr_assert(!(*pmd_lookup(&vs, mm, h + HPAGE_PMD_SIZE, NULL, NULL) & PTE_RW));
	cr_assert_eq(do_mprotect(&vs, mm, h + HPAGE_PMD_SIZE, PAGE_SIZE, RW, 0), 0);
	cr_assert(!pmd_huge(*pmd_lookup(&vs, mm, h + HPAGE_PMD_SIZE, NULL, NULL)));
	CHECK("mprotect THP");
	/* MADV_DONTNEED of all the subpages gives the compound page back */
	{
		uint64_t free0 = nr_free_total();

		cr_assert_eq(do_madvise(&vs, mm, h + HPAGE_PMD_SIZE, HPAGE_PMD_SIZE, MM_MADV_DONTNEED, 0), 0);
		cr_assert_eq(nr_free_total(), free0 + HPAGE_PMD_NR);
		cr_assert_eq(mm->rss_stat[MM_ANONPAGES], 1);
	}
	CHECK("THP dropped");
	/* the empty PTE table left behind keeps the range at 4 KiB (no khugepaged) */
	cr_assert_eq(handle_mm_fault(&vs, mm, h + HPAGE_PMD_SIZE, FAULT_FLAG_WRITE, 0), FAULT_ANON);
	/* mremap of a whole huge PMD to an aligned address keeps it huge */
	a = map_anon(mm, 2 * HPAGE_PMD_SIZE, RW, 0);
	h = (a + HPAGE_PMD_SIZE - 1) & HPAGE_PMD_MASK;
	cr_assert_eq(do_madvise(&vs, mm, h, HPAGE_PMD_SIZE, MM_MADV_HUGEPAGE, 0), 0);
	cr_assert_eq(handle_mm_fault(&vs, mm, h, FAULT_FLAG_WRITE, 0), FAULT_THP);
	{
		pfn_t head = pte_pfn(*pmd_lookup(&vs, mm, h, NULL, NULL));
		int64_t r = do_mremap(&vs, mm, h, HPAGE_PMD_SIZE, HPAGE_PMD_SIZE,
				      MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED, 1ull << 40, 0);
		uint64_t *pmd;

		cr_assert_eq(r, (int64_t)(1ull << 40));
		pmd = pmd_lookup(&vs, mm, 1ull << 40, NULL, NULL);
		cr_assert(pmd && pmd_huge(*pmd) && pte_pfn(*pmd) == head);
		CHECK("THP moved");
		/* and to an unaligned one it is split and moved page by page */
		r = do_mremap(&vs, mm, 1ull << 40, HPAGE_PMD_SIZE, HPAGE_PMD_SIZE,
			      MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED, (2ull << 40) + 5 * PAGE_SIZE, 0);
		cr_assert_eq(r, (int64_t)((2ull << 40) + 5 * PAGE_SIZE));
		cr_assert_eq(pte_pfn(pte_of(mm, (2ull << 40) + 5 * PAGE_SIZE)), head);
		cr_assert_eq(pte_pfn(pte_of(mm, (2ull << 40) + 516 * PAGE_SIZE)), head + 511);
		CHECK("THP split and moved");
	}
	/* a VMA boundary inside a THP: the next fault there splits it, or split_huge_pmd_address */
	a = map_anon(mm, 6 * MiB, RW, 0);
	h = (a + HPAGE_PMD_SIZE - 1) & HPAGE_PMD_MASK;
	cr_assert_eq(do_madvise(&vs, mm, a, 6 * MiB, MM_MADV_HUGEPAGE, 0), 0);
	cr_assert_eq(handle_mm_fault(&vs, mm, h, FAULT_FLAG_WRITE, 0), FAULT_THP);
	cr_assert_eq(handle_mm_fault(&vs, mm, h + HPAGE_PMD_SIZE, FAULT_FLAG_WRITE, 0), FAULT_THP);
	cr_assert_eq(do_madvise(&vs, mm, h, HPAGE_PMD_SIZE / 2, MM_MADV_NOHUGEPAGE, 0), 0);
	CHECK("THP straddling two VMAs");
	cr_assert_eq(handle_mm_fault(&vs, mm, h + HPAGE_PMD_SIZE / 2 + PAGE_SIZE, 0, 0), FAULT_SPURIOUS);
	cr_assert(!pmd_huge(*pmd_lookup(&vs, mm, h, NULL, NULL)), "split by the fault");
	split_huge_pmd_address(&vs, mm, h + HPAGE_PMD_SIZE + 7 * PAGE_SIZE, 0);
	cr_assert(!pmd_huge(*pmd_lookup(&vs, mm, h + HPAGE_PMD_SIZE, NULL, NULL)));
	cr_assert_eq(mm_access(&vs, mm, h + HPAGE_PMD_SIZE + 9 * PAGE_SIZE, FAULT_FLAG_WRITE, 0), FAULT_SPURIOUS);
	CHECK("THPs split at VMA boundaries");
}

/* ---------------------------------------------------------------- migration */

Test(memory, compaction_migrates_mapped_pages_through_rmap)
{
	struct mm_struct *mm, *child;
	uint64_t a, n = 4096, moved = 0;
	pfn_t *before = calloc(n, sizeof(*before));

	start(4, THP_NEVER, false);
	mm = mm_create(&vs, 1);
	a = map_anon(mm, n * PAGE_SIZE, RW, 0);
	for (uint64_t i = 0; i < n; i++)
		handle_mm_fault(&vs, mm, a + i * PAGE_SIZE, FAULT_FLAG_WRITE, 0);
	/* free three of every four pages: holes under the remaining ones */
	for (uint64_t i = 0; i < n; i += 4)
		cr_assert_eq(do_madvise(&vs, mm, a + (i + 1) * PAGE_SIZE, 3 * PAGE_SIZE,
					MM_MADV_DONTNEED, 0), 0);
	child = mm_fork(&vs, mm, 2);    /* two mappers per page: both PTEs must follow */
	cr_assert_not_null(child);
	for (uint64_t i = 0; i < n; i += 4)
		before[i] = pte_pfn(pte_of(mm, a + i * PAGE_SIZE));
	CHECK("before compaction");
	compact_memory(&pm, 0);
	cr_assert_gt(vs.ev.user_pages_migrated, 0);
	for (uint64_t i = 0; i < n; i += 4) {
		pfn_t now = pte_pfn(pte_of(mm, a + i * PAGE_SIZE));

		cr_assert_eq(pte_pfn(pte_of(child, a + i * PAGE_SIZE)), now, "both mappers follow");
		if (now != before[i]) {
			moved++;
			cr_assert_eq(page_owner_kind(&pm.mem_map[now]), OWNER_ANON);
			cr_assert_eq(pm.mem_map[now].mapcount, 2);
		}
		/* still reachable without a fault */
		cr_assert_eq(mm_access(&vs, mm, a + i * PAGE_SIZE, 0, 0), FAULT_SPURIOUS);
	}
	cr_assert_gt(moved, 0);
	cr_assert_eq(moved, vs.ev.user_pages_migrated);
	CHECK("after compaction");
	free(before);
}

Test(memory, cma_alloc_migrates_user_pages_out_refuses_thp)
{
	struct phys_config pcfg;
	struct mm_struct *mm;
	char err[256] = "";
	uint64_t a, n = 8192, in_cma = 0, thp_in_cma = 0;
	const struct cma *cma;
	pfn_t got;

	phys_config_default(&pcfg);
	pcfg.mem_bytes = 256 * MiB;
	pcfg.nr_cpus = 2;
	pcfg.nr_cma = 1;
	strcpy(pcfg.cma[0].name, "reserved");
	pcfg.cma[0].base = 0;           /* top of memory */
	pcfg.cma[0].size = 160 * MiB;   /* most of it: movable allocations use CMA */
	cr_assert_eq(phys_init(&pm, &pcfg, err, sizeof err), 0, "phys_init: %s", err);
	vm_config_default(&vcfg);
	vcfg.thp = THP_NEVER;
	free_at_start = nr_free_total();
	cr_assert_eq(vmsys_init(&vs, &pm, &vcfg, NULL, err, sizeof err), 0, "%s", err);
	cma = &pm.cma[0];
	mm = mm_create(&vs, 1);
	a = map_anon(mm, n * PAGE_SIZE, RW, 0);
	for (uint64_t i = 0; i < n; i++)
		cr_assert_eq(handle_mm_fault(&vs, mm, a + i * PAGE_SIZE, FAULT_FLAG_WRITE, i & 1), FAULT_ANON);
	for (uint64_t i = 0; i < n; i++) {
		pfn_t pfn = pte_pfn(pte_of(mm, a + i * PAGE_SIZE));

		in_cma += pfn >= cma->base_pfn && pfn < cma->base_pfn + cma->count;
	}
	cr_assert_gt(in_cma, 0, "no user page landed in the CMA area");
	CHECK("before cma_alloc");
	got = cma_alloc(&pm, 0, cma->count, 0, 0);
	cr_assert_neq(got, PFN_NONE, "cma_alloc of the whole area");
	cr_assert_eq(vs.ev.user_pages_migrated, in_cma);
	for (uint64_t i = 0; i < n; i++) {
		pfn_t pfn = pte_pfn(pte_of(mm, a + i * PAGE_SIZE));

		cr_assert(pfn < cma->base_pfn || pfn >= cma->base_pfn + cma->count, "page %llu still in CMA",
			  (unsigned long long)i);
	}
	CHECK("after cma_alloc");
	cr_assert_eq(cma_release(&pm, 0, got, cma->count, 0), 0);

	/* a THP in the area cannot be migrated by the model: that range stays busy */
	do_munmap(&vs, mm, a, n * PAGE_SIZE, 0);
	vs.cfg.thp = THP_ALWAYS;
	a = map_anon(mm, 64 * MiB, RW, 0);
	for (uint64_t h = (a + HPAGE_PMD_SIZE - 1) & HPAGE_PMD_MASK; h + HPAGE_PMD_SIZE <= a + 64 * MiB;
	     h += HPAGE_PMD_SIZE) {
		cr_assert_eq(handle_mm_fault(&vs, mm, h, FAULT_FLAG_WRITE, 0), FAULT_THP);
		thp_in_cma += pte_pfn(*pmd_lookup(&vs, mm, h, NULL, NULL)) >= cma->base_pfn;
	}
	cr_assert_gt(thp_in_cma, 0);
	cr_assert_eq(cma_alloc(&pm, 0, cma->count, 0, 0), PFN_NONE, "a THP pins its range");
	cr_assert_gt(cma->nr_busy_retry, 0);
	CHECK("THPs refused");
}

/* ---------------------------------------------------------------- out of memory */

Test(memory, allocation_failure_is_fault_oom)
{
	struct mm_struct *mm;
	uint64_t a, free0;

	start(4, THP_NEVER, false);
	mm = mm_create(&vs, 1);
	a = map_anon(mm, 16 * PAGE_SIZE, RW, 0);
	free0 = nr_free_total();
	for (unsigned nth = 1; nth <= 4; nth++) {     /* PUD, PMD, PTE table, then the page */
		phys_fail_nth(&pm, nth, 0);
		cr_assert_eq(handle_mm_fault(&vs, mm, a, FAULT_FLAG_WRITE, 0), FAULT_OOM, "nth %u", nth);
		phys_fail_nth(&pm, 0, 0);
		CHECK("oom");
		cr_assert_eq(get_mm_rss(mm), 0);
		free_pgtables(&vs, mm, 0, 0);
	}
	cr_assert_eq(nr_free_total(), free0);
	cr_assert_eq(vs.ev.nr_faults[FAULT_OOM], 4);
	cr_assert_eq(handle_mm_fault(&vs, mm, a, FAULT_FLAG_WRITE, 0), FAULT_ANON);
}

/* ---------------------------------------------------------------- TLB */

Test(memory, mm_access_through_the_tlb)
{
	struct mm_struct *mm, *other;
	struct tlb_stats st;
	uint64_t a;

	start(4, THP_NEVER, true);
	mm = mm_create(&vs, 1);
	other = mm_create(&vs, 2);
	a = map_anon(mm, 16 * PAGE_SIZE, RW, 0);
	cr_assert_eq(mm_access(&vs, mm, a, FAULT_FLAG_WRITE, 0), FAULT_ANON);
	tlb_stats_sum(&tlb, &st);
	cr_assert_eq(st.walk_refs, 1, "the walk before the fault stopped at the empty PGD entry");
	cr_assert_eq(mm_access(&vs, mm, a, FAULT_FLAG_WRITE, 0), FAULT_SPURIOUS);
	cr_assert_eq(mm_access(&vs, mm, a, 0, 0), FAULT_SPURIOUS);
	{
		char msg[256] = "";
		uint64_t *pte = pte_lookup(&vs, mm, a, NULL), saved = *pte;

		*pte = 0;               /* cleared without a flush: the checker must see it */
		cr_assert_eq(tlb_stale_check(msg, sizeof msg), -1);
		cr_assert(strstr(msg, "stale 4K"), "%s", msg);
		*pte = saved;
	}
	tlb_stats_sum(&tlb, &st);
	cr_assert_eq(st.l1_hits, 2);
	cr_assert_eq(st.walks, 1);
	cr_assert_eq(vs.ev.pgfault, 1);
	/* the same mm on the other CPU: a miss, a walk, no fault */
	cr_assert_eq(mm_access(&vs, mm, a, 0, 1), FAULT_SPURIOUS);
	cr_assert_eq(vs.ev.pgfault, 1);
	tlb_stats_sum(&tlb, &st);
	cr_assert_eq(st.walk_refs, 1 + 4, "a full 4-level walk on the cold CPU");
	cr_assert(mm->cpu_mask[0] == 3);
	/* fork write-protects: the parent's cached writable entry must go */
	mm_destroy(&vs, mm_fork(&vs, mm, 3));
	cr_assert(!(pte_of(mm, a) & PTE_RW));
	cr_assert_eq(mm_access(&vs, mm, a, FAULT_FLAG_WRITE, 0), FAULT_WP_REUSE);
	cr_assert_eq(mm_access(&vs, mm, a, FAULT_FLAG_WRITE, 0), FAULT_SPURIOUS);
	tlb_stats_sum(&tlb, &st);
	cr_assert_gt(st.shootdowns_sent, 0, "CPU 1 ran the mm: flushes reach it");
	cr_assert_gt(vs.ev.tlb_shootdowns, 0);
	/* munmap flushes: the next access is refused, not a stale hit */
	cr_assert_eq(do_munmap(&vs, mm, a, 16 * PAGE_SIZE, 0), 0);
	cr_assert_eq(mm_access(&vs, mm, a, 0, 0), FAULT_SIGSEGV);
	cr_assert_eq(mm_access(&vs, other, a, 0, 0), FAULT_SIGSEGV);
	CHECK("tlb");
	cr_assert_eq(tlb_check(&tlb, NULL, 0), 0);
}

/* ---------------------------------------------------------------- random operations */

/*
 * Random mmap / munmap / mprotect / mremap / madvise / fork / exit /
 * accesses / compaction over a few address spaces in a 16 MiB window (so
 * that operations overlap), with every checker after every step and every
 * page back at the end (teardown).  Seeds vary THP, levels and the TLB.
 */
static void random_ops(uint64_t seed)
{
	enum { NR_MM = 4, STEPS = 1500 };
	struct mm_struct *mms[NR_MM] = { 0 };
	const uint64_t base = 1ull << 32, window = 16 * MiB;
	prng_t r;

	prng_seed(&r, seed);
	start(seed % 3 == 2 ? 5 : 4, (enum thp_mode)(seed % 3), seed & 1);
	mms[0] = mm_create(&vs, 1);
	for (unsigned step = 0; step < STEPS; step++) {
		unsigned k = (unsigned)prng_below(&r, NR_MM);
		struct mm_struct *mm = mms[k];
		uint64_t a = base + (prng_below(&r, window >> PAGE_SHIFT) << PAGE_SHIFT);
		uint64_t len = (1 + prng_below(&r, prng_below(&r, 4) ? 16 : 1024)) << PAGE_SHIFT;
		unsigned op = (unsigned)prng_below(&r, 100), cpu = (unsigned)prng_below(&r, 2);
		char phase[64];

		if (!mm) {
			if (op < 30)
				mms[k] = mm_fork(&vs, mms[0], 100 + step);
			continue;
		}
		if (op < 45) {                  /* accesses */
			for (unsigned i = 0; i < 8; i++) {
				unsigned fl = prng_below(&r, 2) ? FAULT_FLAG_WRITE : 0;

				mm_access(&vs, mm, a + prng_below(&r, len), fl, cpu);
			}
		} else if (op < 55) {
			uint32_t prot = prng_below(&r, 4) ? RW : MM_PROT_READ;
			uint32_t file = prng_below(&r, 3) ? VM_FILE_NONE : (uint32_t)prng_below(&r, 3);
			uint32_t flags = (file == VM_FILE_NONE ? MM_MAP_ANONYMOUS : 0) | MM_MAP_FIXED |
					 (prng_below(&r, 4) ? MM_MAP_PRIVATE : MM_MAP_SHARED) |
					 (prng_below(&r, 8) ? 0 : MM_MAP_POPULATE);

			do_mmap(&vs, mm, a, len, prot, flags, file, prng_below(&r, 64), cpu);
		} else if (op < 65) {
			do_munmap(&vs, mm, a, len, cpu);
		} else if (op < 73) {
			do_mprotect(&vs, mm, a, len, (uint32_t)prng_below(&r, 8) & (RW | MM_PROT_EXEC), cpu);
		} else if (op < 80) {
			uint64_t to = base + (prng_below(&r, window >> PAGE_SHIFT) << PAGE_SHIFT);
			struct vm_area_struct *vma = find_vma(mm, a);

			if (vma && vma->vm_start <= a)
				do_mremap(&vs, mm, a, len, len + (prng_below(&r, 2) ? 0 : len),
					  MM_MREMAP_MAYMOVE | (prng_below(&r, 2) ? MM_MREMAP_FIXED : 0), to, cpu);
		} else if (op < 87) {
			static const uint32_t adv[] = { MM_MADV_DONTNEED, MM_MADV_FREE, MM_MADV_HUGEPAGE,
							MM_MADV_NOHUGEPAGE };

			do_madvise(&vs, mm, a, len, adv[prng_below(&r, 4)], cpu);
		} else if (op < 91) {
			if (k && !prng_below(&r, 3)) {
				mm_destroy(&vs, mm);
				mms[k] = NULL;
			} else if (!mms[(k + 1) % NR_MM]) {
				mms[(k + 1) % NR_MM] = mm_fork(&vs, mm, 200 + step);
			}
		} else if (op < 93) {
			compact_memory(&pm, cpu);
		} else if (op < 95) {
			phys_fail_nth(&pm, 1 + prng_below(&r, 4), 0);   /* an OOM somewhere in the next calls */
			for (unsigned i = 0; i < 4; i++)
				handle_mm_fault(&vs, mm, a + prng_below(&r, len), FAULT_FLAG_WRITE, cpu);
			phys_fail_nth(&pm, 0, 0);
		} else {
			struct vm_area_struct *vma = find_vma(mm, a);

			if (vma)
				populate_range(&vs, vma, vma->vm_start, vma->vm_end, cpu);
		}
		snprintf(phase, sizeof phase, "seed %llu step %u op %u", (unsigned long long)seed, step, op);
		CHECK(phase);
	}
	cr_assert_gt(vs.ev.pgfault, 100);
}

Test(memory, random_ops_seed1)
{
	random_ops(1);
}

Test(memory, random_ops_seed2)
{
	random_ops(2);
}

Test(memory, random_ops_seed3)
{
	random_ops(3);
}

Test(memory, random_ops_seed4)
{
	random_ops(4);
}
