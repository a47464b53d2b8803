/*
 * mmap.c - address spaces and the mm system calls at the VMA level:
 * mm_create / mm_destroy / mm_fork (mm_init, exit_mmap, dup_mmap),
 * get_unmapped_area, mmap, munmap, mremap, mprotect, madvise and brk as
 * Linux 5.x-6.x mm/mmap.c, mm/mremap.c, mm/mprotect.c and mm/madvise.c do
 * them.  Page-table work is delegated to memory.c (zap_page_range,
 * free_pgtables, change_protection, move_page_tables, copy_page_range,
 * populate_range).
 *
 * Results are the syscalls': an address or a negative Linux errno.
 * Not modeled: anon_vma (so two anonymous VMAs merge whenever flags and
 * offsets line up), mlock accounting, rlimits, userfaultfd, MREMAP_DONTUNMAP,
 * PROT_GROWSDOWN/GROWSUP, THP-aligned placement.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/cost.h"
#include "engine/vma.h"

#define MAX_MAP_COUNT		65530u          /* DEFAULT_MAX_MAP_COUNT: vm.max_map_count */
#define STACK_RLIMIT		(8ull << 20)    /* RLIMIT_STACK default (_STK_LIM), bytes */
#define SIZE_128M		(128ull << 20)
#define DEFAULT_MAP_WINDOW	((1ull << 47) - PAGE_SIZE)      /* 47-bit user range (arch/x86) */
#define MAP_TYPE		0x0fu
#define MM_MAP_SHARED_VALIDATE	0x03u
#define MM_PROT_SEM		0x8u
#define VM_ACCESS_FLAGS		(VM_READ | VM_WRITE | VM_EXEC)
#define VM_DATA_DEFAULT_FLAGS	(VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC)

/* madvise advice accepted but not modeled (no VMA or page-table effect here) */
#define MM_MADV_NORMAL		0u
#define MM_MADV_RANDOM		1u
#define MM_MADV_SEQUENTIAL	2u
#define MM_MADV_WILLNEED	3u
#define MM_MADV_COLD		20u
#define MM_MADV_PAGEOUT		21u

static inline uint64_t page_align(uint64_t x)
{
	return (x + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
}

static inline bool is_err(uint64_t v)
{
	return (int64_t)v < 0 && (int64_t)v >= -4095;
}

static inline void count(const vmsys_t *vs, enum cost_item item, uint64_t n)
{
	if (vs->pm)
		cost_add(vs->pm, item, n);
}

/* ---------------------------------------------------------------- config and layout */

void vm_config_default(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->pgtable_levels = 4;
	cfg->thp = THP_MADVISE;
	cfg->placement_engine = false;
	cfg->mmap_legacy = false;
	cfg->mmap_min_addr = 65536;
	cfg->stack_guard_gap = 256ull << PAGE_SHIFT;
	cfg->zero_page = true;
	cfg->fault_around_pages = 16;
	cfg->page_cache_warm = true;    /* a program's files are normally cached (majflt 0 on the corpus) */
}

/*
 * TASK_UNMAPPED_BASE: PAGE_ALIGN(task_size / 3) (arch/x86 __TASK_UNMAPPED_BASE)
 * of the 47-bit window (task_size_64bit(0)), with 4 or 5 levels.
 */
static inline uint64_t task_unmapped_base(void)
{
	return page_align(DEFAULT_MAP_WINDOW / 3);
}

/*
 * mmap_base() of arch/x86/mm/mmap.c without randomization: the stack
 * rlimit plus the guard gap, clamped to [128 MiB, 5/6 of the task size],
 * below task_size.
 */
static uint64_t mmap_base(uint64_t task_size, uint64_t guard_gap)
{
	uint64_t gap = STACK_RLIMIT + guard_gap, gap_max = task_size / 6 * 5;

	if (gap < SIZE_128M)
		gap = SIZE_128M;
	else if (gap > gap_max)
		gap = gap_max;
	return page_align(task_size - gap);
}

/* ---------------------------------------------------------------- merge and split */

/* is_mergeable_vma() + the offset rule of can_vma_merge_after/before. */
static inline bool vma_can_join(const struct vm_area_struct *prev, uint64_t flags, uint32_t file,
				uint64_t pgoff)
{
	if (prev->vm_flags != flags || prev->vm_file != file)
		return false;
	if (file == VM_FILE_NONE && (flags & VM_SHARED))
		return false;   /* each shared anonymous mapping is its own shmem file */
	return prev->vm_pgoff + vma_pages(prev) == pgoff;
}

static inline bool vma_mergeable(const struct vm_area_struct *a, const struct vm_area_struct *b)
{
	return a->vm_end == b->vm_start && vma_can_join(a, b->vm_flags, b->vm_file, b->vm_pgoff);
}

/* Absorb vma's successor into vma when they are mergeable (vma_merge case 1/4 tail). */
static void merge_next(vmsys_t *vs, struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vm_area_struct *next = vma->vm_next;
	uint64_t end;

	if (!next || !vma_mergeable(vma, next))
		return;
	end = next->vm_end;
	vma_unlink(mm, next);
	vma_free(next);
	vma_resize(mm, vma, vma->vm_start, end);
	count(vs, COST_VMA_MERGE, 1);
}

/* Merge vma with its neighbours where possible; returns the VMA now holding vma's range. */
static struct vm_area_struct *merge_around(vmsys_t *vs, struct mm_struct *mm,
					   struct vm_area_struct *vma)
{
	struct vm_area_struct *prev = vma->vm_prev;

	if (prev && vma_mergeable(prev, vma)) {
		merge_next(vs, mm, prev);
		vma = prev;
	}
	merge_next(vs, mm, vma);
	return vma;
}

/*
 * vma_merge() for a new range [addr, end) with flags, file and pgoff
 * between prev and next: extend prev, or next downwards, or join all
 * three.  Returns the VMA now covering the range, or NULL if none fits.
 */
static struct vm_area_struct *vma_merge_new(vmsys_t *vs, struct mm_struct *mm,
					    struct vm_area_struct *prev, struct vm_area_struct *next,
					    uint64_t addr, uint64_t end, uint64_t flags, uint32_t file,
					    uint64_t pgoff)
{
	if (prev && prev->vm_end == addr && vma_can_join(prev, flags, file, pgoff)) {
		vma_resize(mm, prev, prev->vm_start, end);
		count(vs, COST_VMA_MERGE, 1);
		merge_next(vs, mm, prev);
		return prev;
	}
	if (next && next->vm_start == end && next->vm_flags == flags && next->vm_file == file &&
	    !(file == VM_FILE_NONE && (flags & VM_SHARED)) &&
	    pgoff + ((end - addr) >> PAGE_SHIFT) == next->vm_pgoff) {
		next->vm_pgoff = pgoff;
		vma_resize(mm, next, addr, next->vm_end);
		count(vs, COST_VMA_MERGE, 1);
		return next;
	}
	return NULL;
}

/*
 * __split_vma(): cut vma at addr (page-aligned, strictly inside).  With
 * new_below the new VMA takes [vm_start, addr), else [addr, vm_end).
 * Returns 0 or -ENOMEM (host memory).
 */
static int split_vma_nocheck(vmsys_t *vs, struct mm_struct *mm, struct vm_area_struct *vma,
			     uint64_t addr, bool new_below)
{
	struct vm_area_struct *new = vma_alloc(mm);
	uint64_t delta = (addr - vma->vm_start) >> PAGE_SHIFT;

	if (!new)
		return -ENOMEM;
	/* vma_adjust_trans_huge(): no huge PMD may straddle the new boundary */
	split_huge_pmd_address(vs, mm, addr, vs->this_cpu);
	new->vm_flags = vma->vm_flags;
	new->vm_file = vma->vm_file;
	if (new_below) {
		new->vm_start = vma->vm_start;
		new->vm_end = addr;
		new->vm_pgoff = vma->vm_pgoff;
		vma->vm_pgoff += delta;
		vma_resize(mm, vma, addr, vma->vm_end);
	} else {
		new->vm_start = addr;
		new->vm_end = vma->vm_end;
		new->vm_pgoff = vma->vm_pgoff + delta;
		vma_resize(mm, vma, vma->vm_start, addr);
	}
	vma_link(mm, new);
	count(vs, COST_VMA_SPLIT, 1);
	return 0;
}

/* split_vma(): __split_vma() under vm.max_map_count; -ENOMEM at the limit. */
static int split_vma(vmsys_t *vs, struct mm_struct *mm, struct vm_area_struct *vma, uint64_t addr,
		     bool new_below)
{
	if (mm->map_count >= MAX_MAP_COUNT)
		return -ENOMEM;
	return split_vma_nocheck(vs, mm, vma, addr, new_below);
}

/*
 * Give [start, end) of vma (inside it) its own VMA by splitting, then set
 * newflags (madvise_update_vma / mprotect_fixup), and merge it with its
 * neighbours.  Returns the VMA now holding [start, end), or NULL with *err.
 */
static struct vm_area_struct *vma_modify_flags(vmsys_t *vs, struct mm_struct *mm,
					       struct vm_area_struct *vma, uint64_t start,
					       uint64_t end, uint64_t newflags, int *err)
{
	if (start > vma->vm_start) {
		*err = split_vma(vs, mm, vma, start, true);
		if (*err)
			return NULL;
	}
	if (end < vma->vm_end) {
		*err = split_vma(vs, mm, vma, end, false);
		if (*err)
			return NULL;
	}
	vma->vm_flags = newflags;
	return vma;
}

/* ---------------------------------------------------------------- get_unmapped_area */

/*
 * get_unmapped_area() with arch_get_unmapped_area[_topdown]() of arch/x86:
 * MAP_FIXED returns addr; a free hint is used; otherwise top-down below
 * mmap_base falling back to bottom-up, or bottom-up from TASK_UNMAPPED_BASE
 * in the legacy layout.  Then the generic checks: beyond task_size
 * -ENOMEM, unaligned -EINVAL, below mmap_min_addr -EPERM
 * (security_mmap_addr).
 */
static uint64_t get_unmapped_area(vmsys_t *vs, struct mm_struct *mm, uint64_t addr, uint64_t len,
				  uint32_t flags)
{
	struct vm_unmapped_area_info info;
	struct vm_area_struct *vma, *prev;
	uint64_t min_addr = vs->cfg.mmap_min_addr, window;

	if (len > mm->task_size)
		return (uint64_t)-ENOMEM;
	if (!(flags & MM_MAP_FIXED)) {
		if (len > mm->task_size - min_addr)
			return (uint64_t)-ENOMEM;
		if (addr) {
			addr = page_align(addr);
			vma = find_vma_prev(mm, addr, &prev);
			/* mmap_address_hint_valid(): not across the 47-bit boundary */
			if (mm->task_size - len >= addr && addr >= min_addr &&
			    (addr > DEFAULT_MAP_WINDOW) == (addr + len > DEFAULT_MAP_WINDOW) &&
			    (!vma || addr + len <= vm_start_gap(vma)) &&
			    (!prev || addr >= vm_end_gap(prev)))
				goto check;
		}
		/*
		 * With 5 levels only a hint above the 47-bit window opens the
		 * range beyond it (task_size_64bit(addr > DEFAULT_MAP_WINDOW)).
		 */
		window = mm->task_size;
		if (window > DEFAULT_MAP_WINDOW && addr <= DEFAULT_MAP_WINDOW)
			window = DEFAULT_MAP_WINDOW;
		info.length = len;
		if (vs->cfg.mmap_legacy) {
			info.topdown = false;
			info.low_limit = mm->mmap_base;
			info.high_limit = window;
			addr = vm_unmapped_area(mm, &info);
		} else {
			info.topdown = true;
			info.low_limit = min_addr > PAGE_SIZE ? min_addr : PAGE_SIZE;
			info.high_limit = mm->mmap_base + (window - DEFAULT_MAP_WINDOW);
			addr = vm_unmapped_area(mm, &info);
			if (is_err(addr)) {
				info.topdown = false;
				info.low_limit = task_unmapped_base();
				info.high_limit = window;
				addr = vm_unmapped_area(mm, &info);
			}
		}
		if (is_err(addr))
			return addr;
	}
check:
	if (addr > mm->task_size - len)
		return (uint64_t)-ENOMEM;
	if (addr & (PAGE_SIZE - 1))
		return (uint64_t)-EINVAL;
	if (addr < min_addr)
		return (uint64_t)-EPERM;
	return addr;
}

/* ---------------------------------------------------------------- munmap */

/*
 * __do_munmap(): split at both ends, zap each VMA of [start, start+len),
 * unlink them, free the page tables of the hole between the neighbours
 * (unmap_region), free the VMAs.
 */
static int munmap_range(vmsys_t *vs, struct mm_struct *mm, uint64_t start, uint64_t len,
			unsigned cpu)
{
	struct vm_area_struct *vma, *prev, *last, *next;
	uint64_t end;
	int err;

	if ((start & (PAGE_SIZE - 1)) || start > mm->task_size || len > mm->task_size - start)
		return -EINVAL;
	len = page_align(len);
	if (!len)
		return -EINVAL;
	end = start + len;

	vma = find_vma(mm, start);
	if (!vma || vma->vm_start >= end)
		return 0;
	prev = vma->vm_prev;
	if (start > vma->vm_start) {
		/* a munmap in the middle makes one more VMA */
		if (end < vma->vm_end && mm->map_count >= MAX_MAP_COUNT)
			return -ENOMEM;
		err = split_vma_nocheck(vs, mm, vma, start, false);
		if (err)
			return err;
		prev = vma;
	}
	last = find_vma(mm, end);
	if (last && end > last->vm_start) {
		err = split_vma_nocheck(vs, mm, last, end, true);
		if (err)
			return err;
	}
	vma = prev ? prev->vm_next : mm->mmap;

	/* unmap_vmas(): zap every VMA of the range */
	for (struct vm_area_struct *v = vma; v && v->vm_start < end; v = v->vm_next)
		zap_page_range(vs, v, v->vm_start, v->vm_end, cpu);
	/* detach_vmas_to_be_unmapped() and remove_vma_list() */
	while (vma && vma->vm_start < end) {
		next = vma->vm_next;
		vma_unlink(mm, vma);
		vma_free(vma);
		vma = next;
	}
	next = prev ? prev->vm_next : mm->mmap;
	free_pgtables(vs, mm, prev ? prev->vm_end : 0, next ? next->vm_start : mm->task_size);
	return 0;
}

int do_munmap(vmsys_t *vs, struct mm_struct *mm, uint64_t start, uint64_t len, unsigned cpu)
{
	count(vs, COST_SYSCALL, 1);
	return munmap_range(vs, mm, start, len, cpu);
}

/* ---------------------------------------------------------------- mmap */

/* mmap_region(): clear the range, then extend a neighbour or link a new VMA. */
static int64_t mmap_region(vmsys_t *vs, struct mm_struct *mm, uint64_t addr, uint64_t len,
			   uint64_t vm_flags, uint32_t file, uint64_t pgoff, unsigned cpu,
			   struct vm_area_struct **out)
{
	struct vm_area_struct *vma, *prev, *next;

	if (munmap_range(vs, mm, addr, len, cpu))
		return -ENOMEM;
	/* accountable_mapping(): private writable memory is charged */
	if ((vm_flags & (VM_NORESERVE | VM_SHARED | VM_WRITE)) == VM_WRITE)
		vm_flags |= VM_ACCOUNT;
	next = find_vma_prev(mm, addr, &prev);
	vma = vma_merge_new(vs, mm, prev, next, addr, addr + len, vm_flags, file, pgoff);
	if (!vma) {
		vma = vma_alloc(mm);
		if (!vma)
			return -ENOMEM;
		vma->vm_start = addr;
		vma->vm_end = addr + len;
		vma->vm_flags = vm_flags;
		vma->vm_file = file;
		vma->vm_pgoff = pgoff;
		vma_link(mm, vma);
		count(vs, COST_VMA_SPLIT, 1);
	}
	*out = vma;
	return (int64_t)addr;
}

/* do_mmap() (mm/mmap.c) and the MAP_POPULATE of vm_mmap_pgoff(). */
int64_t do_mmap(vmsys_t *vs, struct mm_struct *mm, uint64_t hint, uint64_t len, uint32_t prot,
		uint32_t flags, uint32_t file, uint64_t pgoff, unsigned cpu)
{
	struct vm_area_struct *vma;
	uint64_t addr = hint, vm_flags;
	uint32_t type = flags & MAP_TYPE;
	int64_t ret;

	count(vs, COST_SYSCALL, 1);
	if (!len)
		return -EINVAL;
	if (flags & MM_MAP_FIXED_NOREPLACE)
		flags |= MM_MAP_FIXED;
	if (!(flags & MM_MAP_FIXED)) {
		/* round_hint_to_min() */
		addr &= ~(PAGE_SIZE - 1);
		if (addr && addr < vs->cfg.mmap_min_addr)
			addr = page_align(vs->cfg.mmap_min_addr);
	}
	len = page_align(len);
	if (!len)
		return -ENOMEM;
	if (file != VM_FILE_NONE && pgoff + (len >> PAGE_SHIFT) < pgoff)
		return -EOVERFLOW;
	if (mm->map_count > MAX_MAP_COUNT)
		return -ENOMEM;

	addr = get_unmapped_area(vs, mm, addr, len, flags);
	if (is_err(addr))
		return (int64_t)addr;
	if ((flags & MM_MAP_FIXED_NOREPLACE) && find_vma_intersection(mm, addr, addr + len))
		return -EEXIST;

	/* calc_vm_prot_bits() | calc_vm_flag_bits() | VM_MAY* */
	vm_flags = ((prot & MM_PROT_READ) ? VM_READ : 0) | ((prot & MM_PROT_WRITE) ? VM_WRITE : 0) |
		   ((prot & MM_PROT_EXEC) ? VM_EXEC : 0) |
		   ((flags & MM_MAP_GROWSDOWN) ? VM_GROWSDOWN : 0) |
		   VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
	if (type != MM_MAP_SHARED && type != MM_MAP_PRIVATE && type != MM_MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (type != MM_MAP_PRIVATE)
		vm_flags |= VM_SHARED | VM_MAYSHARE;
	if (file == VM_FILE_NONE)
		pgoff = type == MM_MAP_PRIVATE ? addr >> PAGE_SHIFT : 0;
	if (flags & MM_MAP_NORESERVE)
		vm_flags |= VM_NORESERVE;

	ret = mmap_region(vs, mm, addr, len, vm_flags, file, pgoff, cpu, &vma);
	if (ret >= 0 && (flags & MM_MAP_POPULATE))
		populate_range(vs, vma, addr, addr + len, cpu);
	return ret;
}

/* ---------------------------------------------------------------- mremap */

/*
 * move_vma(): a VMA for [new_addr, +new_len) (copy_vma: merged into a
 * neighbour when it fits), the page tables moved over, the old range
 * unmapped.  On a short move the entries go back and the new range is
 * unmapped: -ENOMEM.
 */
static int64_t move_vma(vmsys_t *vs, struct mm_struct *mm, struct vm_area_struct *vma,
			uint64_t old_addr, uint64_t old_len, uint64_t new_len, uint64_t new_addr,
			unsigned cpu)
{
	struct vm_area_struct *new_vma, *prev, *next;
	uint64_t new_pgoff = linear_page_index(vma, old_addr);
	uint64_t moved;

	if (mm->map_count >= MAX_MAP_COUNT - 3)
		return -ENOMEM;
	next = find_vma_prev(mm, new_addr, &prev);
	new_vma = vma_merge_new(vs, mm, prev, next, new_addr, new_addr + new_len, vma->vm_flags,
				vma->vm_file, new_pgoff);
	if (!new_vma) {
		new_vma = vma_alloc(mm);
		if (!new_vma)
			return -ENOMEM;
		new_vma->vm_start = new_addr;
		new_vma->vm_end = new_addr + new_len;
		new_vma->vm_flags = vma->vm_flags;
		new_vma->vm_file = vma->vm_file;
		new_vma->vm_pgoff = new_pgoff;
		vma_link(mm, new_vma);
		count(vs, COST_VMA_SPLIT, 1);
	}
	moved = move_page_tables(vs, vma, old_addr, new_vma, new_addr, old_len, cpu);
	if (moved < old_len) {
		move_page_tables(vs, new_vma, new_addr, vma, old_addr, moved, cpu);
		munmap_range(vs, mm, new_addr, new_len, cpu);
		return -ENOMEM;
	}
	munmap_range(vs, mm, old_addr, old_len, cpu);
	return (int64_t)new_addr;
}

/* vma_to_resize(): the VMA holding [addr, addr+old_len), or NULL with the errno in *err. */
static struct vm_area_struct *vma_to_resize(struct mm_struct *mm, uint64_t addr, uint64_t old_len,
					    uint64_t new_len, int *err)
{
	struct vm_area_struct *vma = find_vma(mm, addr);

	*err = -EFAULT;
	if (!vma || vma->vm_start > addr)
		return NULL;
	if (old_len > vma->vm_end - addr)
		return NULL;   /* across VMA boundaries */
	*err = -EINVAL;
	if (!old_len && !(vma->vm_flags & VM_SHARED))
		return NULL;   /* duplicating private memory is refused since 4.x */
	if (old_len == 0)
		return NULL;   /* shared duplication: not modeled */
	if (new_len != old_len &&
	    linear_page_index(vma, addr) + (new_len >> PAGE_SHIFT) < vma->vm_pgoff)
		return NULL;
	*err = 0;
	return vma;
}

/* vma_expandable(): nothing in [vm_end, vm_end + delta) and still below task_size. */
static bool vma_expandable(const struct mm_struct *mm, const struct vm_area_struct *vma,
			   uint64_t delta)
{
	uint64_t end = vma->vm_end + delta;

	if (end < vma->vm_end || end > mm->task_size)
		return false;
	if (vma->vm_next && vma->vm_next->vm_start < end)
		return false;
	return true;
}

/* mremap_to(): MREMAP_FIXED. */
static int64_t mremap_to(vmsys_t *vs, struct mm_struct *mm, uint64_t addr, uint64_t old_len,
			 uint64_t new_addr, uint64_t new_len, unsigned cpu)
{
	struct vm_area_struct *vma;
	int err;

	if (new_addr & (PAGE_SIZE - 1))
		return -EINVAL;
	if (new_len > mm->task_size || new_addr > mm->task_size - new_len)
		return -EINVAL;
	if (addr + old_len > new_addr && new_addr + new_len > addr)
		return -EINVAL;        /* overlapping ranges */
	err = munmap_range(vs, mm, new_addr, new_len, cpu);
	if (err)
		return err;
	if (old_len >= new_len) {
		err = munmap_range(vs, mm, addr + new_len, old_len - new_len, cpu);
		if (err && old_len != new_len)
			return err;
		old_len = new_len;
	}
	vma = vma_to_resize(mm, addr, old_len, new_len, &err);
	if (!vma)
		return err;
	if (new_addr < vs->cfg.mmap_min_addr)
		return -EPERM;
	return move_vma(vs, mm, vma, addr, old_len, new_len, new_addr, cpu);
}

/* do_mremap(): the mremap(2) body of mm/mremap.c. */
int64_t do_mremap(vmsys_t *vs, struct mm_struct *mm, uint64_t addr, uint64_t old_len,
		  uint64_t new_len, uint32_t flags, uint64_t new_addr, unsigned cpu)
{
	struct vm_area_struct *vma;
	int err;

	count(vs, COST_SYSCALL, 1);
	if (flags & ~(MM_MREMAP_FIXED | MM_MREMAP_MAYMOVE))
		return -EINVAL;
	if ((flags & MM_MREMAP_FIXED) && !(flags & MM_MREMAP_MAYMOVE))
		return -EINVAL;
	if (addr & (PAGE_SIZE - 1))
		return -EINVAL;
	old_len = page_align(old_len);
	new_len = page_align(new_len);
	if (!new_len)
		return -EINVAL;
	if (flags & MM_MREMAP_FIXED)
		return mremap_to(vs, mm, addr, old_len, new_addr, new_len, cpu);

	/* shrinking (or the same size) never moves */
	if (old_len >= new_len) {
		err = munmap_range(vs, mm, addr + new_len, old_len - new_len, cpu);
		if (err && old_len != new_len)
			return err;
		return (int64_t)addr;
	}
	vma = vma_to_resize(mm, addr, old_len, new_len, &err);
	if (!vma)
		return err;
	/* old_len reaches the end of the VMA: grow in place if the gap allows */
	if (old_len == vma->vm_end - addr && vma_expandable(mm, vma, new_len - old_len)) {
		vma_resize(mm, vma, vma->vm_start, addr + new_len);
		merge_next(vs, mm, vma);       /* vma_merge_extend() */
		return (int64_t)addr;
	}
	if (!(flags & MM_MREMAP_MAYMOVE))
		return -ENOMEM;
	new_addr = get_unmapped_area(vs, mm, 0, new_len,
				     (vma->vm_flags & VM_MAYSHARE) ? MM_MAP_SHARED : 0);
	if (is_err(new_addr))
		return (int64_t)new_addr;
	return move_vma(vs, mm, vma, addr, old_len, new_len, new_addr, cpu);
}

/* ---------------------------------------------------------------- mprotect */

/*
 * mprotect_fixup(): the piece [start, end) of vma gets newflags (split off,
 * VM_ACCOUNT charged when it first becomes writable, page tables rewritten
 * by change_protection, merged with its neighbours).  Returns the VMA
 * holding the piece, or NULL with *err.
 */
static struct vm_area_struct *mprotect_fixup(vmsys_t *vs, struct mm_struct *mm,
					     struct vm_area_struct *vma, uint64_t start,
					     uint64_t end, uint64_t newflags, unsigned cpu, int *err)
{
	uint64_t oldflags = vma->vm_flags;

	if (newflags == oldflags)
		return vma;
	if ((newflags & VM_WRITE) && !(oldflags & (VM_ACCOUNT | VM_WRITE | VM_SHARED | VM_NORESERVE)))
		newflags |= VM_ACCOUNT;
	vma = vma_modify_flags(vs, mm, vma, start, end, newflags, err);
	if (!vma)
		return NULL;
	change_protection(vs, vma, start, end, cpu);
	return merge_around(vs, mm, vma);
}

/* do_mprotect_pkey() (mm/mprotect.c), without pkeys and PROT_GROWS*. */
int do_mprotect(vmsys_t *vs, struct mm_struct *mm, uint64_t start, uint64_t len, uint32_t prot,
		unsigned cpu)
{
	struct vm_area_struct *vma;
	uint64_t end, nstart, tmp, newflags;
	uint64_t protflags = ((prot & MM_PROT_READ) ? VM_READ : 0) |
			     ((prot & MM_PROT_WRITE) ? VM_WRITE : 0) |
			     ((prot & MM_PROT_EXEC) ? VM_EXEC : 0);
	int err = 0;

	count(vs, COST_SYSCALL, 1);
	if (start & (PAGE_SIZE - 1))
		return -EINVAL;
	if (!len)
		return 0;
	len = page_align(len);
	end = start + len;
	if (end <= start)
		return -ENOMEM;
	if (prot & ~(MM_PROT_READ | MM_PROT_WRITE | MM_PROT_EXEC | MM_PROT_SEM))
		return -EINVAL;

	vma = find_vma(mm, start);
	if (!vma || vma->vm_start > start)
		return -ENOMEM;
	for (nstart = start;;) {
		/* here vma->vm_start <= nstart < vma->vm_end */
		newflags = protflags | (vma->vm_flags & ~VM_ACCESS_FLAGS);
		/* newflags >> 4 moves VM_MAY* onto VM_*: asking for what may not be had */
		if ((newflags & ~(newflags >> 4)) & VM_ACCESS_FLAGS)
			return -EACCES;
		tmp = vma->vm_end < end ? vma->vm_end : end;
		vma = mprotect_fixup(vs, mm, vma, nstart, tmp, newflags, cpu, &err);
		if (!vma)
			return err;
		nstart = tmp;
		if (nstart >= end)
			return 0;
		if (vma->vm_end <= nstart)
			vma = vma->vm_next;
		if (!vma || vma->vm_start > nstart)
			return -ENOMEM;
	}
}

/* ---------------------------------------------------------------- madvise */

static bool madvise_behavior_valid(uint32_t advice)
{
	switch (advice) {
	case MM_MADV_NORMAL:
	case MM_MADV_RANDOM:
	case MM_MADV_SEQUENTIAL:
	case MM_MADV_WILLNEED:
	case MM_MADV_DONTNEED:
	case MM_MADV_FREE:
	case MM_MADV_HUGEPAGE:
	case MM_MADV_NOHUGEPAGE:
	case MM_MADV_COLD:
	case MM_MADV_PAGEOUT:
		return true;
	default:
		return false;
	}
}

/*
 * madvise_vma_behavior() on [start, end) of vma.  DONTNEED and FREE zap
 * the range (MADV_FREE is modeled as DONTNEED: no lazy-free list, the pages
 * go at once); HUGEPAGE / NOHUGEPAGE set the flags (hugepage_madvise) with
 * split and merge (madvise_update_vma); the rest change nothing modeled.
 * Returns the VMA holding the range (for the walk), or NULL with *err.
 */
static struct vm_area_struct *madvise_vma(vmsys_t *vs, struct mm_struct *mm,
					  struct vm_area_struct *vma, uint64_t start, uint64_t end,
					  uint32_t advice, unsigned cpu, int *err)
{
	uint64_t newflags = vma->vm_flags;

	switch (advice) {
	case MM_MADV_FREE:
		if (vma->vm_file != VM_FILE_NONE || (vma->vm_flags & VM_SHARED)) {
			*err = -EINVAL;        /* anonymous private memory only */
			return NULL;
		}
		/* fall through */
	case MM_MADV_DONTNEED:
		if (vma->vm_flags & VM_LOCKED) {
			*err = -EINVAL;        /* can_madv_lru_vma() */
			return NULL;
		}
		zap_page_range(vs, vma, start, end, cpu);
		return vma;
	case MM_MADV_HUGEPAGE:
		newflags = (newflags & ~VM_NOHUGEPAGE) | VM_HUGEPAGE;
		break;
	case MM_MADV_NOHUGEPAGE:
		newflags = (newflags & ~VM_HUGEPAGE) | VM_NOHUGEPAGE;
		break;
	default:
		return vma;
	}
	if (newflags == vma->vm_flags)
		return vma;
	vma = vma_modify_flags(vs, mm, vma, start, end, newflags, err);
	if (!vma)
		return NULL;
	return merge_around(vs, mm, vma);
}

/* do_madvise() (mm/madvise.c): the VMAs of the range in turn; holes give -ENOMEM at the end. */
int do_madvise(vmsys_t *vs, struct mm_struct *mm, uint64_t start, uint64_t len, uint32_t advice,
	       unsigned cpu)
{
	struct vm_area_struct *vma;
	uint64_t end, tmp;
	int unmapped_error = 0, err = 0;

	count(vs, COST_SYSCALL, 1);
	if (!madvise_behavior_valid(advice))
		return -EINVAL;
	if (start & (PAGE_SIZE - 1))
		return -EINVAL;
	end = start + page_align(len);
	if (len && end == start)
		return -EINVAL;        /* len overflowed */
	if (end < start)
		return -EINVAL;
	if (end == start)
		return 0;

	vma = find_vma(mm, start);
	for (;;) {
		if (!vma)
			return -ENOMEM;
		/* here start < end and start < vma->vm_end */
		if (start < vma->vm_start) {
			unmapped_error = -ENOMEM;
			start = vma->vm_start;
			if (start >= end)
				return -ENOMEM;
		}
		tmp = vma->vm_end < end ? vma->vm_end : end;
		vma = madvise_vma(vs, mm, vma, start, tmp, advice, cpu, &err);
		if (!vma)
			return err;
		start = tmp;
		if (start >= end)
			return unmapped_error;
		if (vma->vm_end <= start)
			vma = vma->vm_next;
	}
}

/* ---------------------------------------------------------------- brk */

void mm_set_brk_base(struct mm_struct *mm, uint64_t start_brk)
{
	mm->start_brk = start_brk;
	mm->brk = start_brk;
}

/* do_brk_flags(): anonymous rw memory at [addr, addr+len), extending a compatible VMA below. */
static int do_brk_flags(vmsys_t *vs, struct mm_struct *mm, uint64_t addr, uint64_t len,
			unsigned cpu)
{
	struct vm_area_struct *vma, *prev, *next;
	uint64_t flags = VM_DATA_DEFAULT_FLAGS | VM_ACCOUNT;

	if (is_err(get_unmapped_area(vs, mm, addr, len, MM_MAP_FIXED)))
		return -ENOMEM;
	if (mm->map_count > MAX_MAP_COUNT)
		return -ENOMEM;
	if (munmap_range(vs, mm, addr, len, cpu))
		return -ENOMEM;
	next = find_vma_prev(mm, addr, &prev);
	(void)next;
	if (prev && prev->vm_end == addr && vma_can_join(prev, flags, VM_FILE_NONE, addr >> PAGE_SHIFT)) {
		vma_resize(mm, prev, prev->vm_start, addr + len);
		count(vs, COST_VMA_MERGE, 1);
		return 0;
	}
	vma = vma_alloc(mm);
	if (!vma)
		return -ENOMEM;
	vma->vm_start = addr;
	vma->vm_end = addr + len;
	vma->vm_flags = flags;
	vma->vm_pgoff = addr >> PAGE_SHIFT;
	vma_link(mm, vma);
	count(vs, COST_VMA_SPLIT, 1);
	return 0;
}

/* brk(2) (mm/mmap.c SYSCALL_DEFINE1(brk)), without the rlimit and randomization. */
uint64_t do_brk(vmsys_t *vs, struct mm_struct *mm, uint64_t request, unsigned cpu)
{
	struct vm_area_struct *next;
	uint64_t origbrk = mm->brk, newbrk, oldbrk;

	count(vs, COST_SYSCALL, 1);
	if (request < mm->start_brk || request > mm->task_size)
		return origbrk;
	newbrk = page_align(request);
	oldbrk = page_align(mm->brk);
	if (oldbrk == newbrk) {
		mm->brk = request;
		return request;
	}
	if (request <= mm->brk) {
		/* shrinking: always allowed */
		mm->brk = request;
		if (munmap_range(vs, mm, newbrk, oldbrk - newbrk, cpu)) {
			mm->brk = origbrk;
			return origbrk;
		}
		return request;
	}
	/* growing: keep a page and the stack guard gap before the next VMA */
	next = find_vma(mm, oldbrk);
	if (next && newbrk + PAGE_SIZE > vm_start_gap(next))
		return origbrk;
	if (do_brk_flags(vs, mm, oldbrk, newbrk - oldbrk, cpu))
		return origbrk;
	mm->brk = request;
	return request;
}

/* ---------------------------------------------------------------- address spaces */

/* Put mm in a free slot of vs->mms (growing the array); mm->id is the slot. */
static int mm_register(vmsys_t *vs, struct mm_struct *mm)
{
	uint32_t i, n;
	struct mm_struct **mms;

	for (i = 0; i < vs->nr_mms; i++) {
		if (!vs->mms[i])
			goto found;
	}
	n = vs->nr_mms ? vs->nr_mms * 2 : 8;
	mms = realloc(vs->mms, n * sizeof(*mms));
	if (!mms)
		return -MM_ENOMEM;
	memset(mms + vs->nr_mms, 0, (n - vs->nr_mms) * sizeof(*mms));
	vs->mms = mms;
	i = vs->nr_mms;
	vs->nr_mms = n;
found:
	vs->mms[i] = mm;
	mm->id = i;
	return 0;
}

struct mm_struct *mm_create(vmsys_t *vs, uint32_t pid)
{
	struct mm_struct *mm = calloc(1, sizeof(*mm));

	if (!mm)
		return NULL;
	mm->pid = pid;
	mm->mm_users = 1;
	mm->pm = vs->pm;
	mm->stack_guard_gap = vs->cfg.stack_guard_gap;
	mm->task_size = (vs->cfg.pgtable_levels == 5 ? 1ull << 56 : 1ull << 47) - PAGE_SIZE;
	/* arch_pick_mmap_layout(): the bases come from the 47-bit window even with 5 levels */
	if (vs->cfg.mmap_legacy)
		mm->mmap_base = task_unmapped_base();
	else
		mm->mmap_base = mmap_base(DEFAULT_MAP_WINDOW, mm->stack_guard_gap);
	mm->pgd = PFN_NONE;
	if (mm_register(vs, mm)) {
		free(mm);
		return NULL;
	}
	if (pgd_alloc(vs, mm, 0)) {
		vs->mms[mm->id] = NULL;
		free(mm);
		return NULL;
	}
	return mm;
}

/* exit_mmap(): zap every VMA, free all page tables and the PGD, free the VMAs. */
void mm_destroy(vmsys_t *vs, struct mm_struct *mm)
{
	if (!mm)
		return;
	for (struct vm_area_struct *vma = mm->mmap; vma; vma = vma->vm_next)
		zap_page_range(vs, vma, vma->vm_start, vma->vm_end, 0);
	free_pgtables(vs, mm, 0, mm->task_size);
	if (mm->pgd != PFN_NONE)
		pgd_free(vs, mm);
	mm->mmap = NULL;
	mm->mm_rb.rb_node = NULL;
	mm->map_count = 0;
	mm->total_vm = 0;
	vma_pool_destroy(mm);
	if (mm->id < vs->nr_mms && vs->mms[mm->id] == mm)
		vs->mms[mm->id] = NULL;
	free(mm);
}

/* dup_mmap() (kernel/fork.c): every VMA copied (VM_LOCKED dropped), then its page tables. */
struct mm_struct *mm_fork(vmsys_t *vs, struct mm_struct *old, uint32_t child_pid)
{
	struct mm_struct *mm = mm_create(vs, child_pid);

	if (!mm)
		return NULL;
	mm->mmap_base = old->mmap_base;
	mm->task_size = old->task_size;
	mm->start_brk = old->start_brk;
	mm->brk = old->brk;
	mm->start_stack = old->start_stack;
	mm->stack_guard_gap = old->stack_guard_gap;
	for (struct vm_area_struct *mpnt = old->mmap; mpnt; mpnt = mpnt->vm_next) {
		struct vm_area_struct *tmp = vma_alloc(mm);

		if (!tmp)
			goto fail;
		tmp->vm_start = mpnt->vm_start;
		tmp->vm_end = mpnt->vm_end;
		tmp->vm_flags = mpnt->vm_flags & ~VM_LOCKED;
		tmp->vm_pgoff = mpnt->vm_pgoff;
		tmp->vm_file = mpnt->vm_file;
		vma_link(mm, tmp);
		count(vs, COST_VMA_SPLIT, 1);
		if (copy_page_range(vs, tmp, mpnt, 0))
			goto fail;
	}
	return mm;
fail:
	mm_destroy(vs, mm);
	return NULL;
}
