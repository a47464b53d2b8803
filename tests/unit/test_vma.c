/*
 * test_vma.c - the VMA layer (engine/vma.c, engine/mmap.c) against the
 * kernel's rules (mm/mmap.c, mm/mremap.c, mm/mprotect.c, mm/madvise.c,
 * arch/x86/mm/mmap.c): placement top-down and bottom-up, hints, MAP_FIXED
 * and MAP_FIXED_NOREPLACE, munmap splits, mprotect split and merge, mremap
 * in place and moved, brk, madvise, fork, the maps dump, errno returns, the
 * map-count limit, and a long random run checked after every call with
 * vma_check() and against a page-granular reference that predicts every
 * result and every placement.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/cost.h"
#include "engine/mm.h"
#include "engine/phys.h"
#include "engine/prng.h"

#define P		PAGE_SIZE
#define TASK_SIZE	((1ull << 47) - PAGE_SIZE)
#define MMAP_BASE	(TASK_SIZE - (128ull << 20))    /* 0x7ffff7fff000 */
#define ANON		(MM_MAP_PRIVATE | MM_MAP_ANONYMOUS)
#define RW		(MM_PROT_READ | MM_PROT_WRITE)
#define RO		MM_PROT_READ

static phys_t pm;
static vmsys_t vs;
static bool booted;

static void teardown(void)
{
	if (booted) {
		vmsys_destroy(&vs);
		phys_destroy(&pm);
		booted = false;
	}
}

TestSuite(vma, .fini = teardown);

/* A 256 MiB machine and its VM side with cfg (NULL: vm_config_default). */
static void boot(const struct vm_config *cfg)
{
	struct phys_config pc;
	struct vm_config def;
	char err[256] = "";
	int rc;

	phys_config_default(&pc);
	pc.mem_bytes = 256ull << 20;
	pc.nr_cpus = 2;
	pc.nr_reserved = 0;
	pc.memmap_reserve = false;
	rc = phys_init(&pm, &pc, err, sizeof err);
	cr_assert_eq(rc, 0, "phys_init: %d (%s)", rc, err);
	if (!cfg) {
		vm_config_default(&def);
		cfg = &def;
	}
	rc = vmsys_init(&vs, &pm, cfg, NULL, err, sizeof err);
	cr_assert_eq(rc, 0, "vmsys_init: %d (%s)", rc, err);
	booted = true;
}

static struct mm_struct *new_mm(void)
{
	struct mm_struct *mm = mm_create(&vs, 100);

	cr_assert_not_null(mm);
	return mm;
}

#define assert_vma_ok(mm, phase) do {						\
		char msg_[512] = "";						\
		cr_assert_eq(vma_check((mm), msg_, sizeof msg_), 0,		\
			     "%s: vma_check: %s", (phase), msg_);		\
	} while (0)

static int64_t map(struct mm_struct *mm, uint64_t hint, uint64_t len, uint32_t prot, uint32_t flags)
{
	return do_mmap(&vs, mm, hint, len, prot, flags, VM_FILE_NONE, 0, 0);
}

/* A fixed anonymous mapping that must land at addr (a macro, so failures name the test's line). */
#define map_fixed(mm, addr, len, prot)							\
	cr_assert_eq(map((mm), (addr), (len), (prot), ANON | MM_MAP_FIXED), (int64_t)(addr))

/* The i-th VMA by address, or NULL. */
static struct vm_area_struct *nth_vma(struct mm_struct *mm, unsigned i)
{
	struct vm_area_struct *v = mm->mmap;

	while (v && i--)
		v = v->vm_next;
	return v;
}

/* ---------------------------------------------------------------- placement */

Test(vma, layout_defaults)
{
	struct vm_config cfg;
	struct mm_struct *mm;

	vm_config_default(&cfg);
	cr_assert_eq(cfg.pgtable_levels, 4);
	cr_assert_eq(cfg.mmap_min_addr, 65536);
	cr_assert_eq(cfg.stack_guard_gap, 256 * P);
	boot(&cfg);
	mm = new_mm();
	cr_assert_eq(mm->task_size, 0x7ffffffff000ull);
	cr_assert_eq(mm->mmap_base, 0x7ffff7fff000ull);     /* 128 MiB stack gap */
	cr_assert_eq(mm->map_count, 0);
	cr_assert_null(find_vma(mm, 0));
	assert_vma_ok(mm, "empty");
}

Test(vma, layout_5level)
{
	struct vm_config cfg;
	struct mm_struct *mm;
	uint64_t top = (1ull << 56) - P;

	vm_config_default(&cfg);
	cfg.pgtable_levels = 5;
	boot(&cfg);
	mm = new_mm();
	cr_assert_eq(mm->task_size, top);
	/* the layout stays in the 47-bit window (task_size_64bit(0)) ... */
	cr_assert_eq(mm->mmap_base, MMAP_BASE);
	cr_assert_eq(map(mm, 0, P, RW, ANON), (int64_t)(MMAP_BASE - P));
	/* ... unless a hint above it asks: honoured when free, else top-down from the top */
	cr_assert_eq(map(mm, 1ull << 52, 2 * P, RW, ANON), (int64_t)(1ull << 52));
	cr_assert_eq(map(mm, (1ull << 52) + P, P, RO, ANON), (int64_t)(top - (128ull << 20) - P));
	/* a hint range across the 47-bit boundary is not used */
	cr_assert_eq(map(mm, (1ull << 47) - 2 * P, 4 * P, RO, ANON), (int64_t)(MMAP_BASE - 5 * P));
	map_fixed(mm, TASK_SIZE + P, P, RW);
	assert_vma_ok(mm, "5-level");
}

Test(vma, placement_topdown)
{
	struct mm_struct *mm;
	int64_t a, b, c;

	boot(NULL);
	mm = new_mm();
	a = map(mm, 0, 1 << 20, RW, ANON);
	cr_assert_eq(a, (int64_t)(MMAP_BASE - (1 << 20)));
	b = map(mm, 0, 5000, RO, ANON);                   /* rounded to 2 pages */
	cr_assert_eq(b, a - 2 * (int64_t)P);
	cr_assert_eq(mm->map_count, 2);
	/* same flags below a: vma_merge joins it (anonymous offsets line up) */
	c = map(mm, 0, 3 * P, RO, ANON);
	cr_assert_eq(c, b - 3 * (int64_t)P);
	cr_assert_eq(mm->map_count, 2);
	cr_assert_eq(mm->mmap->vm_start, (uint64_t)c);
	cr_assert_eq(mm->mmap->vm_end, (uint64_t)a);
	cr_assert_eq(mm->mmap->vm_pgoff, (uint64_t)c >> PAGE_SHIFT);
	cr_assert_eq(mm->total_vm, 256 + 5);
	/* a hole above is found again once freed: top-down takes the highest gap */
	cr_assert_eq(do_munmap(&vs, mm, a, 1 << 20, 0), 0);
	cr_assert_eq(map(mm, 0, 2 * P, RW, ANON), (int64_t)(MMAP_BASE - 2 * P));
	assert_vma_ok(mm, "topdown");
}

Test(vma, placement_topdown_fills_lower_hole)
{
	struct mm_struct *mm;
	int64_t a;

	boot(NULL);
	mm = new_mm();
	a = map(mm, 0, 64 * P, RW, ANON);
	/* punch a 4-page hole 10 pages into it: the next 4-page map takes it, a 5-page one goes below */
	cr_assert_eq(do_mprotect(&vs, mm, a, 64 * P, RO, 0), 0);
	cr_assert_eq(do_munmap(&vs, mm, a + 10 * P, 4 * P, 0), 0);
	cr_assert_eq(map(mm, 0, 5 * P, RW, ANON), a - 5 * (int64_t)P);
	cr_assert_eq(map(mm, 0, 4 * P, RW, ANON), a + 10 * (int64_t)P);
	assert_vma_ok(mm, "hole");
}

Test(vma, placement_bottomup_legacy)
{
	struct vm_config cfg;
	struct mm_struct *mm;
	int64_t a, b;

	vm_config_default(&cfg);
	cfg.mmap_legacy = true;
	boot(&cfg);
	mm = new_mm();
	cr_assert_eq(mm->mmap_base, 0x2aaaaaaab000ull);     /* PAGE_ALIGN(TASK_SIZE / 3) */
	a = map(mm, 0, 3 * P, RW, ANON);
	cr_assert_eq(a, 0x2aaaaaaab000ll);
	b = map(mm, 0, P, RO, ANON);
	cr_assert_eq(b, a + 3 * (int64_t)P);
	cr_assert_eq(do_munmap(&vs, mm, a, P, 0), 0);
	cr_assert_eq(map(mm, 0, P, RO, ANON), a);            /* lowest gap first */
	cr_assert_eq(map(mm, 0, 2 * P, RO, ANON), b + (int64_t)P);
	assert_vma_ok(mm, "bottomup");
}

Test(vma, hint_honoured_when_free)
{
	struct mm_struct *mm;
	int64_t a;

	boot(NULL);
	mm = new_mm();
	a = map(mm, 0x10000000, 4 * P, RW, ANON);
	cr_assert_eq(a, 0x10000000);
	/* an unaligned hint is rounded down to its page */
	cr_assert_eq(map(mm, 0x20000123, P, RW, ANON), 0x20000000);
	/* an occupied hint is ignored: top-down placement */
	cr_assert_eq(map(mm, 0x10001000, P, RW, ANON), (int64_t)(MMAP_BASE - P));
	/* below mmap_min_addr: rounded up to it */
	cr_assert_eq(map(mm, 0x1000, P, RW, ANON), 0x10000);
	/* a hint whose range runs past task_size is ignored */
	cr_assert_eq(map(mm, TASK_SIZE - P, 2 * P, RW, ANON), (int64_t)(MMAP_BASE - 3 * P));
	assert_vma_ok(mm, "hint");
}

Test(vma, stack_guard_gap_kept)
{
	struct mm_struct *mm;
	int64_t stack, a;
	uint64_t gap = 256 * P;

	boot(NULL);
	mm = new_mm();
	stack = map(mm, 0x7ff000000000, 32 * P, RW, ANON | MM_MAP_GROWSDOWN | MM_MAP_FIXED);
	cr_assert_eq(stack, 0x7ff000000000);
	cr_assert(find_vma(mm, stack)->vm_flags & VM_GROWSDOWN);
	/* a hint right below the stack is refused: the guard gap must stay free */
	a = map(mm, stack - P, P, RW, ANON);
	cr_assert_neq(a, stack - (int64_t)P);
	a = map(mm, stack - (int64_t)gap - P, P, RW, ANON);
	cr_assert_eq(a, stack - (int64_t)gap - (int64_t)P);
	assert_vma_ok(mm, "guard");
}

/* ---------------------------------------------------------------- mmap / munmap */

Test(vma, map_fixed_replaces)
{
	struct mm_struct *mm;
	struct vm_area_struct *v;
	uint64_t a = 0x40000000;

	boot(NULL);
	mm = new_mm();
	map_fixed(mm, a, 16 * P, RW);
	map_fixed(mm, a + 4 * P, 4 * P, RO);
	cr_assert_eq(mm->map_count, 3);
	v = find_vma(mm, a + 5 * P);
	cr_assert_eq(v->vm_start, a + 4 * P);
	cr_assert_eq(v->vm_end, a + 8 * P);
	cr_assert_eq(v->vm_flags & (VM_READ | VM_WRITE), VM_READ);
	cr_assert_eq(v->vm_prev->vm_flags & VM_WRITE, VM_WRITE);
	cr_assert_eq(v->vm_next->vm_start, a + 8 * P);
	cr_assert_eq(v->vm_next->vm_pgoff, (a + 8 * P) >> PAGE_SHIFT);
	cr_assert_eq(mm->total_vm, 16);
	/* mapping RW back over it merges all three again */
	map_fixed(mm, a + 4 * P, 4 * P, RW);
	cr_assert_eq(mm->map_count, 1);
	cr_assert_eq(mm->mmap->vm_end - mm->mmap->vm_start, 16 * P);
	assert_vma_ok(mm, "fixed");
}

Test(vma, map_fixed_noreplace)
{
	struct mm_struct *mm;
	uint64_t a = 0x40000000;

	boot(NULL);
	mm = new_mm();
	cr_assert_eq(map(mm, a, 4 * P, RW, ANON | MM_MAP_FIXED_NOREPLACE), (int64_t)a);
	cr_assert_eq(map(mm, a + 3 * P, 4 * P, RO, ANON | MM_MAP_FIXED_NOREPLACE), -EEXIST);
	cr_assert_eq(map(mm, a - P, P, RO, ANON | MM_MAP_FIXED_NOREPLACE), (int64_t)(a - P));
	cr_assert_eq(mm->map_count, 2);
	cr_assert_eq(mm->total_vm, 5);
	assert_vma_ok(mm, "noreplace");
}

Test(vma, munmap_middle_leaves_two)
{
	struct mm_struct *mm;
	struct vm_area_struct *lo, *hi;
	uint64_t a = 0x40000000;

	boot(NULL);
	mm = new_mm();
	map_fixed(mm, a, 10 * P, RW);
	cr_assert_eq(do_munmap(&vs, mm, a + 3 * P, 2 * P, 0), 0);
	cr_assert_eq(mm->map_count, 2);
	lo = mm->mmap;
	hi = lo->vm_next;
	cr_assert_eq(lo->vm_start, a);
	cr_assert_eq(lo->vm_end, a + 3 * P);
	cr_assert_eq(hi->vm_start, a + 5 * P);
	cr_assert_eq(hi->vm_end, a + 10 * P);
	cr_assert_eq(hi->vm_pgoff, (a + 5 * P) >> PAGE_SHIFT);
	cr_assert_eq(mm->total_vm, 8);
	cr_assert_null(find_vma_intersection(mm, a + 3 * P, a + 5 * P));
	cr_assert_eq(find_vma(mm, a + 3 * P), hi);
	/* unmapping nothing succeeds; a range over both removes both */
	cr_assert_eq(do_munmap(&vs, mm, a + 3 * P, 2 * P, 0), 0);
	cr_assert_eq(do_munmap(&vs, mm, a - 100 * P, 200 * P, 0), 0);
	cr_assert_eq(mm->map_count, 0);
	cr_assert_eq(mm->total_vm, 0);
	cr_assert_eq(mm->highest_vm_end, 0);
	assert_vma_ok(mm, "munmap");
}

Test(vma, file_mappings_keep_offsets)
{
	struct mm_struct *mm;
	struct vm_area_struct *v;
	uint64_t a = 0x50000000;

	boot(NULL);
	mm = new_mm();
	cr_assert_eq(do_mmap(&vs, mm, a, 4 * P, RO, MM_MAP_PRIVATE | MM_MAP_FIXED, 7, 10, 0), (int64_t)a);
	/* file 7 at offset 14 pages right after it: contiguous, merges */
	cr_assert_eq(do_mmap(&vs, mm, a + 4 * P, 2 * P, RO, MM_MAP_PRIVATE | MM_MAP_FIXED, 7, 14, 0),
		     (int64_t)(a + 4 * P));
	cr_assert_eq(mm->map_count, 1);
	/* offset not contiguous, or another file: separate VMAs */
	cr_assert_eq(do_mmap(&vs, mm, a + 6 * P, P, RO, MM_MAP_PRIVATE | MM_MAP_FIXED, 7, 99, 0),
		     (int64_t)(a + 6 * P));
	cr_assert_eq(do_mmap(&vs, mm, a + 7 * P, P, RO, MM_MAP_PRIVATE | MM_MAP_FIXED, 8, 100, 0),
		     (int64_t)(a + 7 * P));
	cr_assert_eq(mm->map_count, 3);
	v = find_vma(mm, a);
	cr_assert_eq(v->vm_file, 7);
	cr_assert_eq(v->vm_pgoff, 10);
	/* splitting keeps the file offset of each piece */
	cr_assert_eq(do_munmap(&vs, mm, a + P, P, 0), 0);
	cr_assert_eq(find_vma(mm, a + P)->vm_pgoff, 12);
	/* shared mappings: VM_SHARED | VM_MAYSHARE */
	cr_assert_eq(do_mmap(&vs, mm, a + 16 * P, P, RW, MM_MAP_SHARED | MM_MAP_FIXED, 9, 0, 0),
		     (int64_t)(a + 16 * P));
	cr_assert_eq(find_vma(mm, a + 16 * P)->vm_flags & (VM_SHARED | VM_MAYSHARE),
		     VM_SHARED | VM_MAYSHARE);
	assert_vma_ok(mm, "file");
}

Test(vma, mmap_errors)
{
	struct mm_struct *mm;

	boot(NULL);
	mm = new_mm();
	cr_assert_eq(map(mm, 0, 0, RW, ANON), -EINVAL);
	cr_assert_eq(map(mm, 0, UINT64_MAX - 10, RW, ANON), -ENOMEM);      /* PAGE_ALIGN overflows */
	cr_assert_eq(map(mm, 0, TASK_SIZE + P, RW, ANON), -ENOMEM);
	cr_assert_eq(map(mm, TASK_SIZE - P, 2 * P, RW, ANON | MM_MAP_FIXED), -ENOMEM);
	cr_assert_eq(map(mm, 0x40000123, P, RW, ANON | MM_MAP_FIXED), -EINVAL);
	cr_assert_eq(map(mm, 0x1000, P, RW, ANON | MM_MAP_FIXED), -EPERM);  /* below mmap_min_addr */
	cr_assert_eq(map(mm, 0, P, RW, MM_MAP_ANONYMOUS), -EINVAL);          /* no map type */
	cr_assert_eq(do_mmap(&vs, mm, 0, 4 * P, RO, MM_MAP_PRIVATE, 3, UINT64_MAX - 1, 0), -EOVERFLOW);
	cr_assert_eq(do_munmap(&vs, mm, 0x40000001, P, 0), -EINVAL);
	cr_assert_eq(do_munmap(&vs, mm, 0x40000000, 0, 0), -EINVAL);
	cr_assert_eq(do_munmap(&vs, mm, TASK_SIZE, 2 * P, 0), -EINVAL);
	cr_assert_eq(mm->map_count, 0);
	assert_vma_ok(mm, "errors");
}

Test(vma, map_count_limit)
{
	struct mm_struct *mm;
	uint64_t a = 0x100000000ull;
	uint32_t i;

	boot(NULL);
	mm = new_mm();
	/* one 3-page VMA, then alternating protections that cannot merge: 65530 VMAs */
	map_fixed(mm, a, 3 * P, RW);
	for (i = 1; i < 65530; i++)
		cr_assert_eq(map(mm, a + (i + 1) * 2 * P, P, (i & 1) ? RO : RW, ANON | MM_MAP_FIXED),
			     (int64_t)(a + (i + 1) * 2 * P), "map %u", i);
	cr_assert_eq(mm->map_count, 65530);
	/* a munmap that would split one more VMA is refused at vm.max_map_count */
	cr_assert_eq(do_munmap(&vs, mm, a + P, P, 0), -ENOMEM);
	cr_assert_eq(do_mprotect(&vs, mm, a + P, P, RO, 0), -ENOMEM);
	/* do_mmap checks map_count > 65530, so one more mapping is allowed, then no more */
	cr_assert_eq(map(mm, 0x10000000, P, RW, ANON | MM_MAP_FIXED), 0x10000000);
	cr_assert_eq(map(mm, 0x20000000, P, RW, ANON | MM_MAP_FIXED), -ENOMEM);
	cr_assert_eq(map(mm, 0, P, RW, ANON), -ENOMEM);
	cr_assert_eq(mm->map_count, 65531);
	/* unmapping a whole VMA needs no split */
	cr_assert_eq(do_munmap(&vs, mm, 0x10000000, P, 0), 0);
	cr_assert_eq(mm->map_count, 65530);
	assert_vma_ok(mm, "limit");
}

/* ---------------------------------------------------------------- mprotect */

Test(vma, mprotect_split_then_merge)
{
	struct mm_struct *mm;
	struct vm_area_struct *v;
	uint64_t a = 0x40000000;

	boot(NULL);
	mm = new_mm();
	map_fixed(mm, a, 8 * P, RW);
	cr_assert_eq(do_mprotect(&vs, mm, a + 2 * P, 3 * P, RO, 0), 0);
	cr_assert_eq(mm->map_count, 3);
	v = find_vma(mm, a + 2 * P);
	cr_assert_eq(v->vm_start, a + 2 * P);
	cr_assert_eq(v->vm_end, a + 5 * P);
	cr_assert_eq(v->vm_flags & (VM_READ | VM_WRITE), VM_READ);
	/* VM_ACCOUNT stays from the writable mapping, so the pieces merge back */
	cr_assert(v->vm_flags & VM_ACCOUNT);
	cr_assert_eq(do_mprotect(&vs, mm, a + 2 * P, 3 * P, RW, 0), 0);
	cr_assert_eq(mm->map_count, 1);
	cr_assert_eq(mm->mmap->vm_start, a);
	cr_assert_eq(mm->mmap->vm_end, a + 8 * P);
	assert_vma_ok(mm, "mprotect");
}

Test(vma, mprotect_errors)
{
	struct mm_struct *mm;
	uint64_t a = 0x40000000;

	boot(NULL);
	mm = new_mm();
	map_fixed(mm, a, 4 * P, RW);
	map_fixed(mm, a + 6 * P, 4 * P, RW);
	cr_assert_eq(do_mprotect(&vs, mm, a + 1, P, RO, 0), -EINVAL);
	cr_assert_eq(do_mprotect(&vs, mm, a, P, 0x40, 0), -EINVAL);
	cr_assert_eq(do_mprotect(&vs, mm, a, 0, RO, 0), 0);
	cr_assert_eq(do_mprotect(&vs, mm, a - P, 2 * P, RO, 0), -ENOMEM);
	cr_assert_eq(find_vma(mm, a)->vm_flags & VM_WRITE, VM_WRITE);    /* nothing changed */
	/* a hole in the middle: the part before it is changed, then -ENOMEM */
	cr_assert_eq(do_mprotect(&vs, mm, a + 2 * P, 6 * P, RO, 0), -ENOMEM);
	cr_assert_eq(find_vma(mm, a + 3 * P)->vm_flags & VM_WRITE, 0);
	cr_assert_eq(find_vma(mm, a + 6 * P)->vm_flags & VM_WRITE, VM_WRITE);
	/* PROT_WRITE on a shared mapping of a file opened read-only (no VM_MAYWRITE) */
	cr_assert_eq(do_mmap(&vs, mm, a + 20 * P, P, RO, MM_MAP_SHARED | MM_MAP_FIXED, 4, 0, 0),
		     (int64_t)(a + 20 * P));
	find_vma(mm, a + 20 * P)->vm_flags &= ~VM_MAYWRITE;     /* as an O_RDONLY file gives */
	cr_assert_eq(do_mprotect(&vs, mm, a + 20 * P, P, RW, 0), -EACCES);
	cr_assert_eq(do_mprotect(&vs, mm, a + 20 * P, P, RO | MM_PROT_EXEC, 0), 0);
	assert_vma_ok(mm, "mprotect errors");
}

/* ---------------------------------------------------------------- mremap */

Test(vma, mremap_grow_in_place_and_move)
{
	struct mm_struct *mm;
	uint64_t a = 0x40000000;
	int64_t r;

	boot(NULL);
	mm = new_mm();
	map_fixed(mm, a, 4 * P, RW);
	map_fixed(mm, a + 8 * P, 4 * P, RO);
	/* room for 4 more pages: grows in place */
	cr_assert_eq(do_mremap(&vs, mm, a, 4 * P, 8 * P, 0, 0, 0), (int64_t)a);
	cr_assert_eq(find_vma(mm, a)->vm_end, a + 8 * P);
	cr_assert_eq(mm->total_vm, 12);
	/* no room: -ENOMEM without MREMAP_MAYMOVE, moved with it */
	cr_assert_eq(do_mremap(&vs, mm, a, 8 * P, 16 * P, 0, 0, 0), -ENOMEM);
	r = do_mremap(&vs, mm, a, 8 * P, 16 * P, MM_MREMAP_MAYMOVE, 0, 0);
	cr_assert_eq(r, (int64_t)(MMAP_BASE - 16 * P));
	cr_assert_null(find_vma_intersection(mm, a, a + 8 * P));
	cr_assert_eq(find_vma(mm, r)->vm_end, (uint64_t)r + 16 * P);
	/* anonymous pgoff travels with the pages */
	cr_assert_eq(find_vma(mm, r)->vm_pgoff, a >> PAGE_SHIFT);
	cr_assert_eq(mm->total_vm, 20);
	/* shrink: the tail is unmapped, the address kept */
	cr_assert_eq(do_mremap(&vs, mm, r, 16 * P, 2 * P, 0, 0, 0), r);
	cr_assert_eq(find_vma(mm, r)->vm_end, (uint64_t)r + 2 * P);
	/* MREMAP_FIXED: the target is unmapped first */
	cr_assert_eq(do_mremap(&vs, mm, r, 2 * P, 2 * P, MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED, a + 9 * P, 0),
		     (int64_t)(a + 9 * P));
	cr_assert_eq(mm->map_count, 3);
	cr_assert_eq(find_vma(mm, a + 9 * P)->vm_flags & VM_WRITE, VM_WRITE);
	cr_assert_eq(find_vma(mm, a + 8 * P)->vm_end, a + 9 * P);
	cr_assert_eq(mm->total_vm, 4);
	assert_vma_ok(mm, "mremap");
}

Test(vma, mremap_errors)
{
	struct mm_struct *mm;
	uint64_t a = 0x40000000;

	boot(NULL);
	mm = new_mm();
	map_fixed(mm, a, 4 * P, RW);
	cr_assert_eq(do_mremap(&vs, mm, a, 4 * P, 8 * P, 4, 0, 0), -EINVAL);            /* unknown flag */
	cr_assert_eq(do_mremap(&vs, mm, a, 4 * P, 8 * P, MM_MREMAP_FIXED, a + 64 * P, 0), -EINVAL);
	cr_assert_eq(do_mremap(&vs, mm, a + 1, 4 * P, 8 * P, 0, 0, 0), -EINVAL);
	cr_assert_eq(do_mremap(&vs, mm, a, 4 * P, 0, 0, 0, 0), -EINVAL);
	cr_assert_eq(do_mremap(&vs, mm, a + 16 * P, P, 2 * P, MM_MREMAP_MAYMOVE, 0, 0), -EFAULT);
	cr_assert_eq(do_mremap(&vs, mm, a, 5 * P, 8 * P, MM_MREMAP_MAYMOVE, 0, 0), -EFAULT);
	cr_assert_eq(do_mremap(&vs, mm, a, 4 * P, 8 * P, MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED, a + 2 * P, 0),
		     -EINVAL);                                                          /* overlap */
	cr_assert_eq(do_mremap(&vs, mm, a, 0, P, MM_MREMAP_MAYMOVE, 0, 0), -EINVAL);   /* private dup */
	cr_assert_eq(mm->map_count, 1);
	cr_assert_eq(mm->total_vm, 4);
	assert_vma_ok(mm, "mremap errors");
}

/* ---------------------------------------------------------------- brk */

Test(vma, brk_grow_shrink_refuse)
{
	struct mm_struct *mm;
	struct vm_area_struct *heap;
	uint64_t base = 0x555555560000ull, stack = base + 64 * P + 256 * P;

	boot(NULL);
	mm = new_mm();
	mm_set_brk_base(mm, base);
	cr_assert_eq(do_brk(&vs, mm, 0, 0), base);                    /* query */
	cr_assert_eq(do_brk(&vs, mm, base + 3 * P + 100, 0), base + 3 * P + 100);
	heap = find_vma(mm, base);
	cr_assert_not_null(heap);
	cr_assert_eq(heap->vm_start, base);
	cr_assert_eq(heap->vm_end, base + 4 * P);
	cr_assert_eq(heap->vm_flags & (VM_READ | VM_WRITE | VM_EXEC | VM_ACCOUNT),
		     VM_READ | VM_WRITE | VM_ACCOUNT);
	/* growing extends the same VMA */
	cr_assert_eq(do_brk(&vs, mm, base + 10 * P, 0), base + 10 * P);
	cr_assert_eq(mm->map_count, 1);
	cr_assert_eq(find_vma(mm, base)->vm_end, base + 10 * P);
	/* shrinking unmaps */
	cr_assert_eq(do_brk(&vs, mm, base + 2 * P, 0), base + 2 * P);
	cr_assert_eq(find_vma(mm, base)->vm_end, base + 2 * P);
	cr_assert_eq(mm->total_vm, 2);
	/* below start_brk: refused */
	cr_assert_eq(do_brk(&vs, mm, base - P, 0), base + 2 * P);
	/* a mapping 16 pages up: growth must leave one page before it */
	map_fixed(mm, base + 16 * P, P, RO);
	cr_assert_eq(do_brk(&vs, mm, base + 16 * P, 0), base + 2 * P);
	cr_assert_eq(do_brk(&vs, mm, base + 15 * P + 1, 0), base + 2 * P);
	cr_assert_eq(do_brk(&vs, mm, base + 15 * P, 0), base + 15 * P);
	cr_assert_eq(do_munmap(&vs, mm, base + 16 * P, P, 0), 0);
	/* a stack above: its guard gap (256 pages) counts too */
	cr_assert_eq(map(mm, stack, 8 * P, RW, ANON | MM_MAP_FIXED | MM_MAP_GROWSDOWN), (int64_t)stack);
	cr_assert_eq(do_brk(&vs, mm, base + 64 * P, 0), base + 15 * P);
	cr_assert_eq(do_brk(&vs, mm, base + 63 * P, 0), base + 63 * P);
	cr_assert_eq(mm->map_count, 2);
	assert_vma_ok(mm, "brk");
}

/* ---------------------------------------------------------------- madvise */

Test(vma, madvise_hugepage_split_merge)
{
	struct mm_struct *mm;
	struct vm_area_struct *v;
	uint64_t a = 0x40000000;

	boot(NULL);
	mm = new_mm();
	map_fixed(mm, a, 1024 * P, RW);
	cr_assert_eq(do_madvise(&vs, mm, a + 512 * P, 256 * P, MM_MADV_HUGEPAGE, 0), 0);
	cr_assert_eq(mm->map_count, 3);
	v = find_vma(mm, a + 512 * P);
	cr_assert_eq(v->vm_start, a + 512 * P);
	cr_assert_eq(v->vm_end, a + 768 * P);
	cr_assert(v->vm_flags & VM_HUGEPAGE);
	cr_assert_not(v->vm_prev->vm_flags & VM_HUGEPAGE);
	/* NOHUGEPAGE over all of it: three VMAs with one flag set, one VMA */
	cr_assert_eq(do_madvise(&vs, mm, a, 1024 * P, MM_MADV_NOHUGEPAGE, 0), 0);
	cr_assert_eq(mm->map_count, 1);
	cr_assert_eq(mm->mmap->vm_flags & (VM_HUGEPAGE | VM_NOHUGEPAGE), VM_NOHUGEPAGE);
	/* DONTNEED keeps the VMAs */
	cr_assert_eq(do_madvise(&vs, mm, a, 4 * P, MM_MADV_DONTNEED, 0), 0);
	cr_assert_eq(do_madvise(&vs, mm, a, 4 * P, MM_MADV_FREE, 0), 0);
	cr_assert_eq(mm->map_count, 1);
	assert_vma_ok(mm, "madvise");
}

Test(vma, madvise_errors)
{
	struct mm_struct *mm;
	uint64_t a = 0x40000000;

	boot(NULL);
	mm = new_mm();
	map_fixed(mm, a, 4 * P, RW);
	map_fixed(mm, a + 8 * P, 4 * P, RW);
	cr_assert_eq(do_madvise(&vs, mm, a, P, 99, 0), -EINVAL);
	cr_assert_eq(do_madvise(&vs, mm, a + 1, P, MM_MADV_DONTNEED, 0), -EINVAL);
	cr_assert_eq(do_madvise(&vs, mm, a, 0, MM_MADV_DONTNEED, 0), 0);
	cr_assert_eq(do_madvise(&vs, mm, a + 100 * P, P, MM_MADV_DONTNEED, 0), -ENOMEM);
	/* a hole inside: both VMAs are advised, then -ENOMEM */
	cr_assert_eq(do_madvise(&vs, mm, a + 2 * P, 8 * P, MM_MADV_HUGEPAGE, 0), -ENOMEM);
	cr_assert(find_vma(mm, a + 2 * P)->vm_flags & VM_HUGEPAGE);
	cr_assert(find_vma(mm, a + 8 * P)->vm_flags & VM_HUGEPAGE);
	cr_assert_not(find_vma(mm, a + 10 * P)->vm_flags & VM_HUGEPAGE);
	cr_assert_eq(mm->map_count, 4);
	/* MADV_FREE is for private anonymous memory only */
	cr_assert_eq(do_mmap(&vs, mm, a + 32 * P, P, RO, MM_MAP_PRIVATE | MM_MAP_FIXED, 2, 0, 0),
		     (int64_t)(a + 32 * P));
	cr_assert_eq(do_madvise(&vs, mm, a + 32 * P, P, MM_MADV_FREE, 0), -EINVAL);
	assert_vma_ok(mm, "madvise errors");
}

/* ---------------------------------------------------------------- fork, maps */

Test(vma, fork_copies_vmas)
{
	struct mm_struct *mm, *child;
	struct vm_area_struct *a, *b;
	uint64_t base = 0x555555560000ull;

	boot(NULL);
	mm = new_mm();
	mm_set_brk_base(mm, base);
	cr_assert_eq(do_brk(&vs, mm, base + 5 * P, 0), base + 5 * P);
	for (unsigned i = 0; i < 50; i++)
		cr_assert_geq(map(mm, 0, (i + 1) * P, (i & 1) ? RO : RW, ANON), 0);
	cr_assert_eq(do_mmap(&vs, mm, 0x400000, 2 * P, RO | MM_PROT_EXEC, MM_MAP_PRIVATE | MM_MAP_FIXED, 5, 3, 0),
		     0x400000);
	child = mm_fork(&vs, mm, 200);
	cr_assert_not_null(child);
	cr_assert_neq(child->id, mm->id);
	cr_assert_eq(child->pid, 200);
	cr_assert_eq(child->map_count, mm->map_count);
	cr_assert_eq(child->total_vm, mm->total_vm);
	cr_assert_eq(child->brk, mm->brk);
	cr_assert_eq(child->start_brk, mm->start_brk);
	cr_assert_eq(child->mmap_base, mm->mmap_base);
	for (a = mm->mmap, b = child->mmap; a || b; a = a->vm_next, b = b->vm_next) {
		cr_assert(a && b);
		cr_assert_neq(a, b);
		cr_assert_eq(b->vm_mm, child);
		cr_assert_eq(a->vm_start, b->vm_start);
		cr_assert_eq(a->vm_end, b->vm_end);
		cr_assert_eq(a->vm_flags, b->vm_flags);
		cr_assert_eq(a->vm_pgoff, b->vm_pgoff);
		cr_assert_eq(a->vm_file, b->vm_file);
	}
	assert_vma_ok(child, "child");
	/* the two are independent afterwards */
	cr_assert_eq(do_munmap(&vs, child, 0x400000, 2 * P, 0), 0);
	cr_assert_not_null(find_vma_intersection(mm, 0x400000, 0x401000));
	cr_assert_eq(child->map_count + 1, mm->map_count);
	mm_destroy(&vs, child);
	assert_vma_ok(mm, "parent");
}

Test(vma, maps_dump_format)
{
	struct mm_struct *mm;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	const char *expect =
		"00400000-00402000 r-xp 00003000 00:00 6                                  file:5\n"
		"00402000-00403000 rw-s 00000000 00:00 10                                 file:9\n"
		"55555555a000-55555557b000 rw-p 00000000 00:00 0                          [heap]\n"
		"7f0000000000-7f0000002000 r--p 00000000 00:00 0 \n"
		"7f0000010000-7f0000011000 rw-s 00000000 00:00 0                          /dev/zero (deleted)\n"
		"7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]\n";

	boot(NULL);
	mm = new_mm();
	cr_assert_eq(do_mmap(&vs, mm, 0x400000, 2 * P, RO | MM_PROT_EXEC, MM_MAP_PRIVATE | MM_MAP_FIXED, 5, 3, 0),
		     0x400000);
	cr_assert_eq(do_mmap(&vs, mm, 0x402000, P, RW, MM_MAP_SHARED | MM_MAP_FIXED, 9, 0, 0), 0x402000);
	mm_set_brk_base(mm, 0x55555555a000ull);
	cr_assert_eq(do_brk(&vs, mm, 0x55555557a123ull, 0), 0x55555557a123ull);
	cr_assert_eq(map(mm, 0x7f0000000000, 2 * P, RO, ANON | MM_MAP_FIXED), 0x7f0000000000);
	cr_assert_eq(map(mm, 0x7f0000010000, P, RW, MM_MAP_SHARED | MM_MAP_ANONYMOUS | MM_MAP_FIXED),
		     0x7f0000010000);
	cr_assert_eq(map(mm, 0x7ffd00000000, 33 * P, RW, ANON | MM_MAP_FIXED | MM_MAP_GROWSDOWN),
		     0x7ffd00000000);
	f = open_memstream(&buf, &len);
	cr_assert_not_null(f);
	dump_maps(mm, f);
	fclose(f);
	cr_assert_str_eq(buf, expect);
	/* names start at column 74, as in a real /proc/self/maps */
	cr_assert_eq(strstr(buf, "file:5") - buf, 73);
	free(buf);
}

/* ---------------------------------------------------------------- costs, checker */

#define COST(item)	(pm.cost[item])

Test(vma, costs_counted)
{
	struct mm_struct *mm;
	uint64_t a = 0x40000000, sys, split, merge, nodes;

	boot(NULL);
	mm = new_mm();
	sys = COST(COST_SYSCALL);
	split = COST(COST_VMA_SPLIT);
	merge = COST(COST_VMA_MERGE);
	map_fixed(mm, a, 8 * P, RW);
	cr_assert_eq(COST(COST_SYSCALL), sys + 1);
	cr_assert_eq(COST(COST_VMA_SPLIT), split + 1);         /* one VMA set up */
	cr_assert_eq(COST(COST_VMA_MERGE), merge);
	map_fixed(mm, a + 8 * P, 8 * P, RW);
	cr_assert_eq(COST(COST_VMA_SPLIT), split + 1);         /* merged: nothing new */
	cr_assert_eq(COST(COST_VMA_MERGE), merge + 1);
	cr_assert_eq(do_mprotect(&vs, mm, a + 4 * P, 4 * P, RO, 0), 0);
	cr_assert_eq(COST(COST_VMA_SPLIT), split + 3);         /* cut at both ends */
	cr_assert_eq(do_mprotect(&vs, mm, a + 4 * P, 4 * P, RW, 0), 0);
	cr_assert_eq(COST(COST_VMA_MERGE), merge + 3);         /* joined with both neighbours */
	cr_assert_eq(mm->map_count, 1);
	cr_assert_eq(COST(COST_SYSCALL), sys + 4);
	do_brk(&vs, mm, 0, 0);
	cr_assert_eq(COST(COST_SYSCALL), sys + 5);
	nodes = COST(COST_VMA_NODE);
	cr_assert_not_null(find_vma(mm, a));
	cr_assert_eq(COST(COST_VMA_NODE), nodes + 1);          /* the root */
}

Test(vma, check_names_the_broken_vma)
{
	struct mm_struct *mm;
	struct vm_area_struct *v;
	char msg[256] = "";
	uint64_t a = 0x40000000;

	boot(NULL);
	mm = new_mm();
	for (unsigned i = 0; i < 16; i++)
		map_fixed(mm, a + i * 2 * P, P, RW);
	assert_vma_ok(mm, "built");
	v = find_vma(mm, a + 10 * P);
	v->rb_subtree_gap += P;
	cr_assert_eq(vma_check(mm, msg, sizeof msg), -1);
	cr_assert(strstr(msg, "0x4000a000-0x4000b000") && strstr(msg, "rb_subtree_gap"), "%s", msg);
	v->rb_subtree_gap -= P;
	mm->total_vm++;
	cr_assert_eq(vma_check(mm, msg, sizeof msg), -1);
	cr_assert(strstr(msg, "total_vm"), "%s", msg);
	mm->total_vm--;
	v->vm_end += P;                                         /* now touches the next VMA */
	v->vm_end += P;                                         /* and overlaps it */
	cr_assert_eq(vma_check(mm, msg, sizeof msg), -1);
	cr_assert(strstr(msg, "0x4000c000-0x4000d000"), "%s", msg);
	v->vm_end -= 2 * P;
	assert_vma_ok(mm, "restored");
}

/* ---------------------------------------------------------------- with page tables */

#define WRITE_FAULT	(FAULT_FLAG_WRITE | FAULT_FLAG_USER)

/* Pages free in the page allocator: buddy lists plus per-CPU lists. */
static uint64_t nr_free(void)
{
	uint64_t n = 0;

	for (unsigned z = 0; z < pm.nr_zones; z++) {
		n += pm.zones[z].nr_free_pages;
		for (unsigned c = 0; c < pm.nr_cpus; c++)
			n += (uint64_t)pm.zones[z].pcp[c].count;
	}
	return n;
}

#define assert_tables_ok(phase) do {						\
		char msg_[512] = "";						\
		cr_assert_eq(pgtable_check(&vs, msg_, sizeof msg_), 0,		\
			     "%s: pgtable_check: %s", (phase), msg_);		\
		cr_assert_eq(buddy_check(&pm, msg_, sizeof msg_), 0,		\
			     "%s: buddy_check: %s", (phase), msg_);		\
	} while (0)

static void touch(struct mm_struct *mm, uint64_t start, uint64_t len)
{
	for (uint64_t a = start; a < start + len; a += P)
		mm_access(&vs, mm, a, WRITE_FAULT, 0);
}

Test(vma, munmap_frees_pages_and_tables)
{
	struct mm_struct *mm;
	uint64_t a = 0x40000000, free0, free_mapped, tables0;

	boot(NULL);
	mm = new_mm();
	free0 = nr_free();
	tables0 = mm->pgtables_bytes;
	cr_assert_eq(tables0, P);                                  /* the PGD */
	map_fixed(mm, a, 4ull << 20, RW);
	cr_assert_eq(get_mm_rss(mm), 0);
	touch(mm, a, 4ull << 20);
	cr_assert_eq(get_mm_rss(mm), 1024);
	cr_assert_eq(mm->rss_stat[MM_ANONPAGES], 1024);
	/* PGD + PUD + PMD + two PTE tables */
	cr_assert_eq(mm->pgtables_bytes, 5 * P);
	free_mapped = nr_free();
	cr_assert_eq(free0 - free_mapped, 1024 + 4);
	assert_tables_ok("touched");

	/* the first 2 MiB: its pages and its PTE table go */
	cr_assert_eq(do_munmap(&vs, mm, a, 2ull << 20, 0), 0);
	cr_assert_eq(get_mm_rss(mm), 512);
	cr_assert_eq(mm->pgtables_bytes, 4 * P);
	cr_assert_eq(nr_free(), free_mapped + 512 + 1);
	assert_tables_ok("half");

	/* all of it: every table but the PGD */
	cr_assert_eq(do_munmap(&vs, mm, a, 4ull << 20, 0), 0);
	cr_assert_eq(get_mm_rss(mm), 0);
	cr_assert_eq(mm->pgtables_bytes, tables0);
	cr_assert_eq(nr_free(), free0);
	assert_tables_ok("unmapped");
	assert_vma_ok(mm, "unmapped");
}

Test(vma, madvise_dontneed_drops_rss_keeps_vma)
{
	struct mm_struct *mm;
	uint64_t a = 0x40000000;

	boot(NULL);
	mm = new_mm();
	map_fixed(mm, a, 64 * P, RW);
	touch(mm, a, 64 * P);
	cr_assert_eq(get_mm_rss(mm), 64);
	cr_assert_eq(do_madvise(&vs, mm, a + 16 * P, 16 * P, MM_MADV_DONTNEED, 0), 0);
	cr_assert_eq(get_mm_rss(mm), 48);
	cr_assert_eq(mm->map_count, 1);
	/* the range faults again as new zeroed pages */
	cr_assert_eq(mm_access(&vs, mm, a + 16 * P, WRITE_FAULT, 0), FAULT_ANON);
	cr_assert_eq(get_mm_rss(mm), 49);
	assert_tables_ok("dontneed");
}

Test(vma, mprotect_read_only_then_write_faults)
{
	struct mm_struct *mm;
	uint64_t a = 0x40000000;

	boot(NULL);
	mm = new_mm();
	map_fixed(mm, a, 8 * P, RW);
	touch(mm, a, 8 * P);
	cr_assert_eq(do_mprotect(&vs, mm, a, 4 * P, RO, 0), 0);
	cr_assert_eq(mm_access(&vs, mm, a, WRITE_FAULT, 0), FAULT_SIGSEGV);
	cr_assert_eq(mm_access(&vs, mm, a, FAULT_FLAG_USER, 0), FAULT_SPURIOUS);
	cr_assert_eq(mm_access(&vs, mm, a + 4 * P, WRITE_FAULT, 0), FAULT_SPURIOUS);
	assert_tables_ok("mprotect");
}

Test(vma, mremap_moves_pages)
{
	struct mm_struct *mm;
	uint64_t a = 0x40000000;
	int64_t r;

	boot(NULL);
	mm = new_mm();
	map_fixed(mm, a, 8 * P, RW);
	map_fixed(mm, a + 8 * P, P, RO);
	touch(mm, a, 8 * P);
	r = do_mremap(&vs, mm, a, 8 * P, 16 * P, MM_MREMAP_MAYMOVE, 0, 0);
	cr_assert_eq(r, (int64_t)(MMAP_BASE - 16 * P));
	cr_assert_eq(get_mm_rss(mm), 8);
	/* the moved pages are present: writing them needs no fault */
	cr_assert_eq(mm_access(&vs, mm, r, WRITE_FAULT, 0), FAULT_SPURIOUS);
	cr_assert_eq(mm_access(&vs, mm, r + 8 * P, WRITE_FAULT, 0), FAULT_ANON);
	cr_assert_eq(mm_access(&vs, mm, a, FAULT_FLAG_USER, 0), FAULT_SIGSEGV);
	assert_tables_ok("mremap");
	assert_vma_ok(mm, "mremap");
}

Test(vma, populate_and_exit_free_everything)
{
	struct mm_struct *mm, *child;
	uint64_t free0;

	boot(NULL);
	free0 = nr_free();
	mm = new_mm();
	cr_assert_geq(map(mm, 0, 32 * P, RW, ANON | MM_MAP_POPULATE), 0);
	cr_assert_eq(get_mm_rss(mm), 32);
	child = mm_fork(&vs, mm, 300);
	cr_assert_not_null(child);
	cr_assert_eq(get_mm_rss(child), 32);
	assert_tables_ok("forked");
	mm_destroy(&vs, child);
	mm_destroy(&vs, mm);
	cr_assert_eq(nr_free(), free0);
	assert_tables_ok("exited");
}

/* ---------------------------------------------------------------- random run */

#define W_PAGES		2048u                           /* reference window, pages */
#define W_START		(MMAP_BASE - W_PAGES * P)       /* just below mmap_base */
#define BRK_BASE	(W_START + 1024 * P)

static int8_t ref[W_PAGES];     /* prot of each window page, -1 unmapped */
static uint64_t ref_brk;

static inline uint64_t pg(uint64_t i)
{
	return W_START + i * P;
}

static int8_t vma_prot(const struct vm_area_struct *v)
{
	return (int8_t)(((v->vm_flags & VM_READ) ? 1 : 0) | ((v->vm_flags & VM_WRITE) ? 2 : 0) |
			((v->vm_flags & VM_EXEC) ? 4 : 0));
}

/*
 * Where top-down placement must put n pages: the highest free run that fits
 * below mmap_base (the run touching the window's bottom extends below it,
 * where nothing stays mapped).  Returns the address (maybe below the window).
 */
static uint64_t ref_topdown(uint64_t n)
{
	uint64_t hi = W_PAGES;

	for (;;) {
		uint64_t lo = hi;

		while (lo > 0 && ref[lo - 1] < 0)
			lo--;
		if (lo == 0 || hi - lo >= n)
			return W_START + hi * P - n * P;
		hi = lo;
		while (hi > 0 && ref[hi - 1] >= 0)
			hi--;
	}
}

static bool ref_free(uint64_t first, uint64_t n)
{
	for (uint64_t i = first; i < first + n; i++) {
		if (ref[i] >= 0)
			return false;
	}
	return true;
}

static void ref_set(uint64_t first, uint64_t n, int8_t prot)
{
	for (uint64_t i = first; i < first + n && i < W_PAGES; i++)
		ref[i] = prot;
}

/* The mm must hold exactly the reference: same pages, same protections, maximal merging. */
static void compare(struct mm_struct *mm, uint64_t step, prng_t *r)
{
	static int8_t got[W_PAGES];
	char msg[512] = "";
	const struct vm_area_struct *v;

	cr_assert_eq(vma_check(mm, msg, sizeof msg), 0, "step %lu: vma_check: %s", (unsigned long)step, msg);
	memset(got, -1, sizeof(got));
	for (v = mm->mmap; v; v = v->vm_next) {
		cr_assert(v->vm_start >= W_START && v->vm_end <= MMAP_BASE,
			  "step %lu: vma %lx-%lx outside the window", (unsigned long)step,
			  (unsigned long)v->vm_start, (unsigned long)v->vm_end);
		for (uint64_t a = v->vm_start; a < v->vm_end; a += P)
			got[(a - W_START) / P] = vma_prot(v);
		if (v->vm_next && v->vm_end == v->vm_next->vm_start)
			cr_assert(v->vm_flags != v->vm_next->vm_flags ||
				  v->vm_pgoff + ((v->vm_end - v->vm_start) >> PAGE_SHIFT) != v->vm_next->vm_pgoff,
				  "step %lu: mergeable neighbours at %lx", (unsigned long)step,
				  (unsigned long)v->vm_end);
	}
	for (uint64_t i = 0; i < W_PAGES; i++)
		cr_assert_eq(got[i], ref[i], "step %lu: page %lx: prot %d, reference %d",
			     (unsigned long)step, (unsigned long)pg(i), got[i], ref[i]);
	cr_assert_eq(mm->brk, ref_brk, "step %lu: brk", (unsigned long)step);
	/* find_vma against a walk of the list */
	for (int k = 0; k < 4; k++) {
		uint64_t addr = W_START - 8 * P + prng_below(r, (W_PAGES + 16) * P);

		for (v = mm->mmap; v && v->vm_end <= addr; v = v->vm_next)
			;
		cr_assert_eq(find_vma(mm, addr), v, "step %lu: find_vma(%lx)", (unsigned long)step,
			     (unsigned long)addr);
	}
}

Test(vma, random_against_reference, .timeout = 120)
{
	static const uint32_t prots[] = { 0, RO, RW, RO | MM_PROT_EXEC, RW | MM_PROT_EXEC };
	struct mm_struct *mm;
	prng_t r;
	uint64_t nr_grow = 0, nr_move = 0, nr_brk_refused = 0, nr_hint = 0, nr_enomem = 0;

	boot(NULL);
	mm = new_mm();
	prng_seed(&r, 20240601);
	memset(ref, -1, sizeof(ref));
	mm_set_brk_base(mm, BRK_BASE);
	ref_brk = BRK_BASE;

	for (uint64_t step = 0; step < 20000; step++) {
		uint64_t op = prng_below(&r, 100);
		uint64_t first = prng_below(&r, W_PAGES);
		uint64_t n = 1 + prng_below(&r, 64);
		uint32_t prot = prots[prng_below(&r, 5)];

		if (first + n > W_PAGES)
			n = W_PAGES - first;
		if (op < 20) {                          /* mmap MAP_FIXED */
			map_fixed(mm, pg(first), n * P, prot);
			ref_set(first, n, (int8_t)prot);
		} else if (op < 35) {                   /* mmap with or without a hint */
			uint64_t want, hint = 0;
			int64_t got;

			n = 1 + prng_below(&r, 32);
			want = ref_topdown(n);
			if (prng_chance(&r, 300000) && first + n <= W_PAGES) {
				hint = pg(first);
				if (ref_free(first, n)) {
					want = hint;
					nr_hint++;
				}
			}
			got = map(mm, hint, n * P, prot, ANON);
			cr_assert_eq(got, (int64_t)want, "step %lu: mmap(%lx, %lu pages) = %lx, expected %lx",
				     (unsigned long)step, (unsigned long)hint, (unsigned long)n,
				     (unsigned long)got, (unsigned long)want);
			if (want < W_START)
				cr_assert_eq(do_munmap(&vs, mm, want, n * P, 0), 0);
			else
				ref_set((want - W_START) / P, n, (int8_t)prot);
		} else if (op < 55) {                   /* munmap */
			cr_assert_eq(do_munmap(&vs, mm, pg(first), n * P, 0), 0);
			ref_set(first, n, -1);
		} else if (op < 75) {                   /* mprotect */
			int expect = 0, got;
			uint64_t i;

			for (i = first; i < first + n && ref[i] >= 0; i++)
				;
			if (i < first + n)
				expect = -ENOMEM;
			got = do_mprotect(&vs, mm, pg(first), n * P, prot, 0);
			cr_assert_eq(got, expect, "step %lu: mprotect", (unsigned long)step);
			if (i > first)
				ref_set(first, i - first, (int8_t)prot);
			if (expect)
				nr_enomem++;
		} else if (op < 87) {                   /* mremap of part of a VMA */
			struct vm_area_struct *v = nth_vma(mm, (unsigned)prng_below(&r, mm->map_count + 1));
			uint64_t addr, vpages, off, old_n, new_n, max_n, end_pg;
			uint32_t flags = prng_below(&r, 2) ? MM_MREMAP_MAYMOVE : 0;
			int64_t got, want;
			int8_t vprot;

			if (!v)
				continue;
			vpages = (v->vm_end - v->vm_start) / P;
			off = prng_below(&r, vpages);
			addr = v->vm_start + off * P;
			old_n = 1 + prng_below(&r, vpages - off);
			max_n = (MMAP_BASE - addr) / P;
			new_n = 1 + prng_below(&r, old_n + 32);
			if (new_n > max_n)
				new_n = max_n;
			vprot = vma_prot(v);
			first = (addr - W_START) / P;
			end_pg = first + old_n;
			if (new_n <= old_n) {
				want = (int64_t)addr;
				ref_set(first + new_n, old_n - new_n, -1);
			} else if (addr + old_n * P == v->vm_end && ref_free(end_pg, new_n - old_n)) {
				want = (int64_t)addr;
				ref_set(end_pg, new_n - old_n, vprot);
				nr_grow++;
			} else if (!flags) {
				want = -ENOMEM;
			} else {
				want = (int64_t)ref_topdown(new_n);
				nr_move++;
			}
			got = do_mremap(&vs, mm, addr, old_n * P, new_n * P, flags, 0, 0);
			cr_assert_eq(got, want, "step %lu: mremap(%lx, %lu, %lu, %u) = %ld, expected %ld",
				     (unsigned long)step, (unsigned long)addr, (unsigned long)old_n,
				     (unsigned long)new_n, flags, (long)got, (long)want);
			if (new_n > old_n && got >= 0 && got != (int64_t)addr) {
				ref_set(first, old_n, -1);
				if ((uint64_t)got < W_START)
					cr_assert_eq(do_munmap(&vs, mm, got, new_n * P, 0), 0);
				else
					ref_set(((uint64_t)got - W_START) / P, new_n, vprot);
			}
		} else if (op < 95) {                   /* brk */
			uint64_t req = BRK_BASE + prng_below(&r, 300) * P + (prng_below(&r, 2) ? prng_below(&r, P) : 0);
			uint64_t want = ref_brk, newbrk, oldbrk, got;

			if (prng_chance(&r, 100000))
				req = BRK_BASE - P;
			newbrk = (req + P - 1) & ~(P - 1);
			oldbrk = (ref_brk + P - 1) & ~(P - 1);
			if (req < BRK_BASE) {
				nr_brk_refused++;
			} else if (newbrk == oldbrk) {
				want = req;
			} else if (req <= ref_brk) {
				want = req;
				ref_set((newbrk - W_START) / P, (oldbrk - newbrk) / P, -1);
			} else {
				uint64_t i = (oldbrk - W_START) / P;

				while (i < W_PAGES && ref[i] < 0)
					i++;
				if (i < W_PAGES && newbrk + P > pg(i)) {
					nr_brk_refused++;
				} else {
					want = req;
					ref_set((oldbrk - W_START) / P, (newbrk - oldbrk) / P, RW);
				}
			}
			got = do_brk(&vs, mm, req, 0);
			cr_assert_eq(got, want, "step %lu: brk(%lx) = %lx, expected %lx", (unsigned long)step,
				     (unsigned long)req, (unsigned long)got, (unsigned long)want);
			ref_brk = want;
		} else {                                /* madvise */
			static const uint32_t advice[] = { MM_MADV_DONTNEED, MM_MADV_HUGEPAGE, MM_MADV_NOHUGEPAGE };
			int expect = 0;

			for (uint64_t i = first; i < first + n; i++) {
				if (ref[i] < 0)
					expect = -ENOMEM;
			}
			cr_assert_eq(do_madvise(&vs, mm, pg(first), n * P, advice[prng_below(&r, 3)], 0), expect,
				     "step %lu: madvise", (unsigned long)step);
		}
		/* fault a few pages in, so that the calls above have page tables to work on */
		for (int k = 0; k < 4; k++) {
			uint64_t i = prng_below(&r, W_PAGES);

			if (ref[i] > 0)
				mm_access(&vs, mm, pg(i), (ref[i] & 2) ? WRITE_FAULT : FAULT_FLAG_USER, 0);
		}
		compare(mm, step, &r);
		if (step % 256 == 0)
			assert_tables_ok("random");
	}
	assert_tables_ok("random end");
	cr_assert_gt(get_mm_rss(mm), 0);
	cr_assert_gt(mm->map_count, 20);
	/* everything unmapped: every page and every table but the PGD is gone */
	cr_assert_eq(do_munmap(&vs, mm, W_START, W_PAGES * P, 0), 0);
	cr_assert_eq(mm->map_count, 0);
	cr_assert_eq(get_mm_rss(mm), 0);
	cr_assert_eq(mm->pgtables_bytes, P);
	assert_tables_ok("random unmapped");
	/* the run must have exercised each path */
	cr_assert_gt(nr_grow, 50);
	cr_assert_gt(nr_move, 50);
	cr_assert_gt(nr_brk_refused, 50);
	cr_assert_gt(nr_hint, 50);
	cr_assert_gt(nr_enomem, 50);
}
