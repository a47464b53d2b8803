/*
 * test_vm_check.c - vm_check() (engine/vm_check.c): a clean machine that
 * went through faults, fork/COW, file mappings, mprotect, munmap and TLB
 * traffic passes; then each invariant is broken on purpose, one at a time,
 * and vm_check must fail naming it; repaired, it passes again.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "engine/mm.h"
#include "engine/pgtable.h"
#include "engine/phys.h"
#include "engine/rmap.h"
#include "engine/tlb.h"

static phys_t pm;
static vmsys_t vs;
static tlb_t tlb;

#define MiB (1ull << 20)
#define RW (MM_PROT_READ | MM_PROT_WRITE)

/* Machine of 128 MiB, 2 CPUs, 4-level tables, the default TLB. */
static void start(void)
{
	struct phys_config pcfg;
	struct vm_config vcfg;
	struct tlb_config tcfg;
	char err[256] = "";

	phys_config_default(&pcfg);
	pcfg.mem_bytes = 128 * MiB;
	pcfg.nr_cpus = 2;
	pcfg.nr_cma = 0;
	cr_assert_eq(phys_init(&pm, &pcfg, err, sizeof err), 0, "phys_init: %s", err);
	vm_config_default(&vcfg);
	vcfg.thp = THP_NEVER;
	tlb_config_default(&tcfg);
	cr_assert_eq(tlb_init(&tlb, &tcfg, pm.nr_cpus, &pm, err, sizeof err), 0, "tlb_init: %s", err);
	cr_assert_eq(vmsys_init(&vs, &pm, &vcfg, &tlb, err, sizeof err), 0, "vmsys_init: %s", err);
}

static void teardown(void)
{
	if (vs.pm)
		vmsys_destroy(&vs);
	tlb_destroy(&tlb);
	phys_destroy(&pm);
}

TestSuite(vm_check, .init = start, .fini = teardown);

static uint64_t map(struct mm_struct *mm, uint64_t len, uint32_t prot, uint32_t flags, uint32_t file,
		    uint64_t pgoff)
{
	int64_t a = do_mmap(&vs, mm, 0, len, prot, flags | (file == VM_FILE_NONE ? MM_MAP_ANONYMOUS : 0),
			    file, pgoff, 0);

	cr_assert_gt(a, 0, "do_mmap: %lld", (long long)a);
	return (uint64_t)a;
}

static uint64_t *pte_at(struct mm_struct *mm, uint64_t addr)
{
	uint64_t *pte = pte_lookup(&vs, mm, addr, NULL);

	cr_assert_not_null(pte, "no PTE at %#llx", (unsigned long long)addr);
	return pte;
}

#define EXPECT_OK(what) do {							\
		char m_[512] = "";						\
		cr_assert_eq(vm_check(&vs, m_, sizeof m_), 0, "%s: %s", (what), m_); \
	} while (0)

/* vm_check must fail with a message containing needle. */
#define EXPECT_BAD(needle) do {							\
		char m_[512] = "";						\
		cr_assert_eq(vm_check(&vs, m_, sizeof m_), -1, "not caught: %s", (needle)); \
		cr_assert(strstr(m_, (needle)), "message '%s' lacks '%s'", m_, (needle)); \
	} while (0)

/* One process with an anonymous region written through the TLB. */
static struct mm_struct *one_process(uint64_t *a)
{
	struct mm_struct *mm = mm_create(&vs, 100);

	cr_assert_not_null(mm);
	*a = map(mm, 16 * PAGE_SIZE, RW, MM_MAP_PRIVATE, VM_FILE_NONE, 0);
	for (unsigned i = 0; i < 8; i++)
		cr_assert_eq(mm_access(&vs, mm, *a + i * PAGE_SIZE, FAULT_FLAG_WRITE, 0), FAULT_ANON);
	EXPECT_OK("one process");
	return mm;
}

Test(vm_check, clean_machine_passes)
{
	struct mm_struct *mm, *child;
	uint64_t a, f, s;

	mm = one_process(&a);
	f = map(mm, 8 * PAGE_SIZE, RW, MM_MAP_PRIVATE, 3, 2);
	s = map(mm, 4 * PAGE_SIZE, RW, MM_MAP_SHARED, 3, 0);
	cr_assert_eq(mm_access(&vs, mm, f, 0, 0), FAULT_FILE_READ);
	/* fault-around mapped it read-only: the write copies (do_wp_page) */
	cr_assert_eq(mm_access(&vs, mm, f + PAGE_SIZE, FAULT_FLAG_WRITE, 1), FAULT_WP_COPY);
	cr_assert_eq(mm_access(&vs, mm, s, FAULT_FLAG_WRITE, 1), FAULT_FILE_SHARED);
	EXPECT_OK("file faults");
	child = mm_fork(&vs, mm, 101);
	cr_assert_not_null(child);
	EXPECT_OK("fork");
	cr_assert_eq(mm_access(&vs, child, a, FAULT_FLAG_WRITE, 1), FAULT_WP_COPY);
	cr_assert_eq(mm_access(&vs, mm, a, FAULT_FLAG_WRITE, 0), FAULT_WP_REUSE);
	EXPECT_OK("COW");
	cr_assert_eq(do_mprotect(&vs, mm, a, 4 * PAGE_SIZE, MM_PROT_READ, 0), 0);
	cr_assert_eq(do_mprotect(&vs, mm, a + 4 * PAGE_SIZE, 2 * PAGE_SIZE, 0, 0), 0);
	EXPECT_OK("mprotect");
	cr_assert_eq(do_munmap(&vs, mm, a, 16 * PAGE_SIZE, 0), 0);
	EXPECT_OK("munmap");
	mm_destroy(&vs, child);
	EXPECT_OK("exit");
}

/* ---------------------------------------------------------------- the module checkers run */

Test(vm_check, runs_vma_check_of_every_mm)
{
	uint64_t a;
	struct mm_struct *mm = one_process(&a);

	mm->map_count++;
	EXPECT_BAD("vma_check: pid 100");
	mm->map_count--;
	EXPECT_OK("repaired");
}

Test(vm_check, runs_pgtable_check)
{
	uint64_t a;
	struct mm_struct *mm = one_process(&a);
	pfn_t pfn = pte_pfn(*pte_at(mm, a));

	pm.mem_map[pfn].mapcount++;
	EXPECT_BAD("pgtable_check");
	pm.mem_map[pfn].mapcount--;
	EXPECT_OK("repaired");
}

Test(vm_check, runs_tlb_check)
{
	uint64_t a;
	struct tlb_array *d = &tlb.cpus[0].dtlb;
	uint64_t *set, saved;

	one_process(&a);
	set = d->key + (size_t)((a >> PAGE_SHIFT) & d->set_mask) * d->ways;
	cr_assert(set[0] & TLB_KEY_VALID, "the last access is cached");
	saved = set[1];
	set[1] = set[0];                /* the same entry in two ways */
	EXPECT_BAD("tlb_check");
	set[1] = saved;
	EXPECT_OK("repaired");
}

/* ---------------------------------------------------------------- entries against VMAs */

Test(vm_check, present_entry_in_prot_none_vma)
{
	uint64_t a, *pte;
	struct mm_struct *mm = one_process(&a);

	cr_assert_eq(do_mprotect(&vs, mm, a, PAGE_SIZE, 0, 0), 0);
	pte = pte_at(mm, a);
	cr_assert(pte_mapped(*pte) && !(*pte & PTE_PRESENT), "PROT_NONE keeps the page, not present");
	EXPECT_OK("PROT_NONE");
	*pte |= PTE_PRESENT;
	EXPECT_BAD("PROT_NONE VMA");
	*pte &= ~PTE_PRESENT;
	EXPECT_OK("repaired");
}

Test(vm_check, executable_entry_without_vm_exec)
{
	uint64_t a, *pte;
	struct mm_struct *mm = one_process(&a);

	pte = pte_at(mm, a + PAGE_SIZE);
	*pte &= ~PTE_NX;
	EXPECT_BAD("without VM_EXEC");
	*pte |= PTE_NX;
	EXPECT_OK("repaired");
}

Test(vm_check, writable_entry_of_a_cow_shared_page)
{
	uint64_t a, *pte;
	struct mm_struct *mm = one_process(&a);

	cr_assert_not_null(mm_fork(&vs, mm, 101));
	pte = pte_at(mm, a);
	cr_assert(!(*pte & PTE_RW), "fork write-protects");
	*pte |= PTE_RW;                 /* the VMA is writable: pgtable_check accepts it */
	EXPECT_BAD("COW missed");
	*pte &= ~PTE_RW;
	EXPECT_OK("repaired");
}

Test(vm_check, page_cache_page_at_the_wrong_offset)
{
	uint64_t a, f;
	struct mm_struct *mm = one_process(&a);
	struct vm_area_struct *vma;

	f = map(mm, 4 * PAGE_SIZE, MM_PROT_READ, MM_MAP_PRIVATE, 5, 7);
	cr_assert_eq(mm_access(&vs, mm, f + PAGE_SIZE, 0, 0), FAULT_FILE_READ);
	EXPECT_OK("file read");
	vma = find_vma_uncounted(mm, f);
	vma->vm_pgoff++;
	EXPECT_BAD("page-cache pfn");
	vma->vm_pgoff--;
	EXPECT_OK("repaired");
}

Test(vm_check, writable_page_cache_page_in_a_private_mapping)
{
	uint64_t a, f, *pte;
	struct mm_struct *mm = one_process(&a);

	f = map(mm, 4 * PAGE_SIZE, RW, MM_MAP_PRIVATE, 5, 0);
	cr_assert_eq(mm_access(&vs, mm, f, 0, 0), FAULT_FILE_READ);
	pte = pte_at(mm, f);
	cr_assert(!(*pte & PTE_RW), "a private file page maps read-only until written");
	*pte |= PTE_RW;
	EXPECT_BAD("writable at");
	*pte &= ~PTE_RW;
	EXPECT_OK("repaired");
}

/* ---------------------------------------------------------------- page-table pages */

Test(vm_check, table_page_reachable_from_no_mm)
{
	uint64_t a;
	struct mm_struct *mm = one_process(&a);
	pfn_t lost = pgtable_alloc(&vs, mm, 0);

	cr_assert_neq(lost, PFN_NONE);
	mm->pgtables_bytes -= PAGE_SIZE;        /* counted nowhere: pgtable_check is content */
	EXPECT_BAD("OWNER_PGTABLE pages");
	mm->pgtables_bytes += PAGE_SIZE;
	pgtable_free(&vs, mm, lost, 0);
	EXPECT_OK("repaired");
}

Test(vm_check, host_table_pool_leak)
{
	uint64_t a;

	one_process(&a);
	vs.pgtables->nr_tables++;
	EXPECT_BAD("host tables");
	vs.pgtables->nr_tables--;
	EXPECT_OK("repaired");
}

/* ---------------------------------------------------------------- TLB against the tables */

/* A stale entry: the page under it is not mapped (never was, or unmapped without a flush). */
Test(vm_check, tlb_entry_never_mapped)
{
	uint64_t a;
	struct mm_struct *mm = one_process(&a);

	tlb_insert(&tlb, 1, (uint16_t)mm->id, a + 12 * PAGE_SIZE, PAGE_SHIFT, false);
	EXPECT_BAD("not mapped by the tables");
}

Test(vm_check, tlb_entry_of_a_dead_mm)
{
	uint64_t a;

	one_process(&a);
	tlb_insert(&tlb, 0, 77, a, PAGE_SHIFT, false);
	EXPECT_BAD("ASID of no live mm");
}

Test(vm_check, huge_tlb_entry_over_4k_ptes)
{
	uint64_t a;
	struct mm_struct *mm = one_process(&a);

	tlb_insert(&tlb, 0, (uint16_t)mm->id, a, PMD_SHIFT, false);
	EXPECT_BAD("2 MiB");
}

Test(vm_check, itlb_entry_of_a_non_executable_page)
{
	uint64_t a;
	struct mm_struct *mm = one_process(&a);

	tlb_insert(&tlb, 0, (uint16_t)mm->id, a, PAGE_SHIFT, /* exec */ true);
	EXPECT_BAD("iTLB entry for a non-executable");
}

Test(vm_check, walk_cache_entry_of_a_freed_table)
{
	uint64_t a;
	struct mm_struct *mm = one_process(&a);

	/* a walk of an address 1 GiB below whose PMD and PTE tables do not exist */
	tlb_walk(&tlb, 0, (uint16_t)mm->id, a - (1ull << 30), vs.cfg.pgtable_levels, 1);
	EXPECT_BAD("walk cache");
}
