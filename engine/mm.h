/*
 * mm.h - user address spaces on the simulated machine: mm_struct,
 * vm_area_struct, page tables, faults, fork/exec/exit and the reverse map
 * (mm/mmap.c, mm/mremap.c, mm/mprotect.c, mm/madvise.c, mm/memory.c,
 * mm/rmap.c, mm/filemap.c, mm/huge_memory.c, kernel/fork.c).
 *
 * A vmsys_t is the virtual-memory side of one machine: every process's
 * mm_struct, the page cache shared by all of them, the reverse map, the
 * shared zero page and the TLB (engine/tlb.h).  Physical pages (user pages,
 * page-table pages, page-cache pages) come from the phys_t's page allocator,
 * so their footprint shows in buddyinfo and fragmentation, and compaction
 * and CMA migrate user pages through the reverse map (phys_owner_ops).
 *
 * Glossary (the kernel's terms):
 *   mm        one address space (struct mm_struct), shared by a process's threads.
 *   VMA       one mapping [vm_start, vm_end) with one set of vm_flags, one
 *             file (or none) and one file offset (struct vm_area_struct).
 *   pgd..pte  the page-table levels: PGD (and P4D with 5 levels), PUD, PMD,
 *             PTE, 9 bits each, x86-64 entry bits (pgtable.h).
 *   rmap      reverse map: from a physical page to every (mm, address) that maps it.
 *   COW       copy-on-write: a private page shared after fork, copied on the
 *             first write (do_wp_page).
 *   THP       transparent huge page: a PMD mapping of a 2 MiB order-9 page.
 *
 * Modules and who owns what (one header, several .c files):
 *   vma.c, mmap.c   the VMA tree, get_unmapped_area, mmap / munmap / mremap /
 *                   mprotect / brk / madvise at the VMA level, dup_mmap,
 *                   exit_mmap, exec, the maps dump, vma_check.
 *   pgtable.c       page-table pages, walks, entries (pgtable.h).
 *   memory.c        faults (handle_mm_fault and the do_*_page handlers),
 *                   zap_page_range, change_protection, move_page_tables,
 *                   copy_page_range, populate.
 *   rmap.c          the reverse map and migration of user pages.
 *   filemap.c       the page cache: pages per (file id, pgoff).
 *   huge_memory.c   THP faults, splits and zaps of PMD mappings.
 *   vm_check.c      vm_check: every checker above plus the cross-module invariants.
 *
 * Not thread-safe: a vmsys_t belongs to the thread that owns its phys_t.
 */
#ifndef MMBENCH_MM_H
#define MMBENCH_MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/phys.h"
#include "engine/rbtree.h"

struct tlb;                             /* engine/tlb.h */

/* vm_flags (include/linux/mm.h) */
#define VM_READ			0x00000001ull
#define VM_WRITE		0x00000002ull
#define VM_EXEC			0x00000004ull
#define VM_SHARED		0x00000008ull
#define VM_MAYREAD		0x00000010ull
#define VM_MAYWRITE		0x00000020ull
#define VM_MAYEXEC		0x00000040ull
#define VM_MAYSHARE		0x00000080ull
#define VM_GROWSDOWN		0x00000100ull
#define VM_LOCKED		0x00002000ull
#define VM_ACCOUNT		0x00100000ull
#define VM_NORESERVE		0x00200000ull
#define VM_HUGEPAGE		0x20000000ull
#define VM_NOHUGEPAGE		0x40000000ull

#define VM_FILE_NONE		UINT32_MAX      /* vm_file of an anonymous mapping */

/* Linux x86-64 user ABI values the trace carries (asm-generic/mman*.h). */
#define MM_PROT_READ		0x1u
#define MM_PROT_WRITE		0x2u
#define MM_PROT_EXEC		0x4u
#define MM_MAP_SHARED		0x01u
#define MM_MAP_PRIVATE		0x02u
#define MM_MAP_FIXED		0x10u
#define MM_MAP_ANONYMOUS	0x20u
#define MM_MAP_GROWSDOWN	0x0100u
#define MM_MAP_NORESERVE	0x4000u
#define MM_MAP_POPULATE		0x8000u
#define MM_MAP_FIXED_NOREPLACE	0x100000u
#define MM_MREMAP_MAYMOVE	1u
#define MM_MREMAP_FIXED		2u
#define MM_MADV_DONTNEED	4u
#define MM_MADV_FREE		8u
#define MM_MADV_HUGEPAGE	14u
#define MM_MADV_NOHUGEPAGE	15u

/* /sys/kernel/mm/transparent_hugepage/enabled */
enum thp_mode { THP_NEVER, THP_MADVISE, THP_ALWAYS };

/*
 * The virtual-memory knobs a policy sets ([vm] and [tlb] sections).
 * vm_config_default() gives Linux 6.x x86-64 defaults.
 */
struct vm_config {
	unsigned pgtable_levels;        /* 4 (48-bit VA) or 5 (57-bit VA, CONFIG_X86_5LEVEL + la57) */
	enum thp_mode thp;              /* transparent_hugepage/enabled; Debian default: madvise */
	bool placement_engine;          /* true: the model picks mmap addresses; false: the trace's */
	bool mmap_legacy;               /* bottom-up layout (legacy_va_layout), else top-down from mmap_base */
	uint64_t mmap_min_addr;         /* vm.mmap_min_addr, bytes (65536) */
	uint64_t stack_guard_gap;       /* stack_guard_gap, bytes (256 pages) */
	bool zero_page;                 /* anonymous read faults map the shared zero page */
	unsigned fault_around_pages;    /* fault_around_bytes / PAGE_SIZE: file read faults map this many (16) */
	bool page_cache_warm;           /* every file page is cached before the run: no major faults, fault-around maps the whole window */
};

void vm_config_default(struct vm_config *cfg);

/*
 * One mapping (include/linux/mm_types.h, struct vm_area_struct).
 * [vm_start, vm_end) is page-aligned, bytes.  vm_pgoff is the file offset of
 * vm_start in pages for file mappings, vm_start >> PAGE_SHIFT for anonymous
 * ones (as the kernel sets it, so merges compare offsets the same way).
 */
struct vm_area_struct {
	uint64_t vm_start;              /* first byte */
	uint64_t vm_end;                /* one past the last byte */
	uint64_t vm_flags;              /* VM_* */
	uint64_t vm_pgoff;              /* pages */
	uint32_t vm_file;               /* file id, VM_FILE_NONE when anonymous */
	struct mm_struct *vm_mm;        /* the address space it belongs to */
	/* vma.c's tree and list links (private to vma.c) */
	struct vm_area_struct *vm_next; /* next VMA by address, NULL at the end */
	struct vm_area_struct *vm_prev; /* previous VMA by address */
	struct rb_node vm_rb;           /* in mm->mm_rb, by vm_start */
	uint64_t rb_subtree_gap;        /* largest free gap below any VMA of this subtree, bytes */
};

/* linear_page_index(): the file page (pgoff, pages) that addr (bytes, inside vma) maps. */
static inline uint64_t linear_page_index(const struct vm_area_struct *vma, uint64_t addr)
{
	return vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
}

/* Per-mm RSS counters (include/linux/mm_types_task.h). */
enum { MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, MM_SHMEMPAGES, NR_MM_COUNTERS };

/* Fault classes: how handle_mm_fault() resolved a fault (the replay's fault kinds). */
enum fault_class {
	FAULT_ANON,             /* do_anonymous_page: new zeroed page */
	FAULT_ZERO,             /* anonymous read: shared zero page mapped */
	FAULT_FILE_READ,        /* do_read_fault: page-cache page mapped read-only */
	FAULT_FILE_COW,         /* do_cow_fault: private write to a file mapping, copied */
	FAULT_FILE_SHARED,      /* do_shared_fault: shared write to a file mapping */
	FAULT_WP_COPY,          /* do_wp_page: COW, page copied */
	FAULT_WP_REUSE,         /* do_wp_page: COW, single mapper, reused */
	FAULT_THP,              /* do_huge_pmd_anonymous_page: order-9 page mapped by a PMD */
	FAULT_SPURIOUS,         /* already mapped with the access's rights: nothing to do */
	FAULT_SIGSEGV,          /* no VMA, or the VMA forbids the access */
	FAULT_OOM,              /* the page allocator failed (VM_FAULT_OOM) */
	NR_FAULT_CLASSES
};
extern const char *const fault_class_names[NR_FAULT_CLASSES];   /* "anon", "zero", ... */

/* handle_mm_fault() flags: the trace's TRACE_FAULT_* bits have these values. */
#define FAULT_FLAG_WRITE	0x01u
#define FAULT_FLAG_INSTRUCTION	0x02u
#define FAULT_FLAG_USER		0x04u

/* One address space (include/linux/mm_types.h, struct mm_struct). */
struct mm_struct {
	uint32_t id;                    /* index in vmsys.mms; also the TLB's ASID (PCID) */
	uint32_t pid;                   /* the trace's process id */
	int mm_users;                   /* threads using it */
	/* VMA side (vma.c, mmap.c) */
	struct vm_area_struct *mmap;    /* first VMA by address */
	struct rb_root mm_rb;           /* the VMA tree (engine/rbtree.h) */
	uint32_t map_count;             /* VMAs */
	uint64_t mmap_base;             /* top of the top-down mmap area, bytes */
	uint64_t task_size;             /* TASK_SIZE: end of the user range, bytes */
	uint64_t highest_vm_end;        /* vm_end of the last VMA */
	uint64_t start_brk, brk;        /* heap: [start_brk, brk) */
	uint64_t start_stack;           /* bytes */
	uint64_t total_vm;              /* pages mapped */
	uint64_t stack_guard_gap;       /* bytes kept below VM_GROWSDOWN VMAs (vm_start_gap), from the config */
	phys_t *pm;                     /* where VMA work is counted (cost_add), NULL: not counted */
	struct vm_area_struct *vma_free; /* pooled free VMA objects (vma.c) */
	struct vma_chunk *vma_chunks;   /* host memory behind the pool (vma.c) */
	/* page-table side (pgtable.c, memory.c) */
	pfn_t pgd;                      /* top-level table page, PFN_NONE before mm_init */
	uint64_t pgtables_bytes;        /* page-table pages of this mm, bytes (VmPTE) */
	uint64_t zapped_start, zapped_end; /* bytes zapped since the last free_pgtables (its walk), empty if equal */
	uint64_t rss_stat[NR_MM_COUNTERS]; /* pages */
	uint64_t hiwater_rss;           /* peak of anon + file + shmem pages (VmHWM) */
	uint64_t cpu_mask[MAX_NR_CPUS / 64]; /* CPUs that ran it since its last full flush (mm_cpumask) */
	uint64_t nr_faults[NR_FAULT_CLASSES]; /* faults by class */
};

/* Machine-wide virtual-memory events (/proc/vmstat names where they exist). */
struct vm_events {
	uint64_t pgfault;               /* faults handled */
	uint64_t pgmajfault;            /* faults that read a file page in (page-cache miss) */
	uint64_t nr_faults[NR_FAULT_CLASSES];
	uint64_t thp_fault_alloc;       /* THP faults served with a huge page */
	uint64_t thp_fault_fallback;    /* THP faults that fell back to 4 KiB */
	uint64_t cow_copies;            /* pages copied by COW */
	uint64_t pgtable_alloc;         /* page-table pages allocated */
	uint64_t pgtable_free;          /* page-table pages freed */
	uint64_t tlb_shootdowns;        /* remote flushes sent */
	uint64_t sigsegv;               /* accesses refused */
	uint64_t user_pages_migrated;   /* user pages moved by compaction or CMA */
};

struct pgtable_pool;                    /* host memory behind table pages (pgtable.c) */
struct rmap_pool;                       /* reverse-map entries (rmap.c) */
struct page_cache;                      /* file pages (filemap.c) */

typedef struct vmsys {
	phys_t *pm;                     /* where pages come from */
	struct vm_config cfg;           /* as given */
	struct tlb *tlb;                /* TLB model, NULL when not modeled */
	pfn_t zero_pfn;                 /* the shared zero page (ZERO_PAGE(0)) */
	struct mm_struct **mms;         /* [nr_mms]: live address spaces, NULL slots reused */
	uint32_t nr_mms;
	struct pgtable_pool *pgtables;
	struct rmap_pool *rmap;
	struct page_cache *page_cache;
	uint32_t *cpu_mm;               /* [pm->nr_cpus]: id + 1 of the mm each CPU last ran, 0 = none (for tlb_switch_mm) */
	unsigned this_cpu;              /* CPU of the last fault or unmap, for flushes compaction starts */
	struct vm_events ev;
} vmsys_t;

/*
 * Owner kinds the VM side registers with phys_register_owner(), so that
 * compaction and CMA migrate user pages through the reverse map.  The replay
 * driver uses kind 1 for its own page ids.
 */
#define OWNER_ANON		2       /* anonymous pages (private) */
#define OWNER_FILE		3       /* page-cache pages */
#define OWNER_PGTABLE		4       /* page-table pages (not movable) */

/* ---------------------------------------------------------------- system (memory.c) */

/*
 * Set up the VM side of machine pm: zero page, page cache, rmap, owner
 * kinds.  tlb may be NULL.  Returns 0, or -MM_EINVAL (message in err) /
 * -MM_ENOMEM.
 */
int vmsys_init(vmsys_t *vs, phys_t *pm, const struct vm_config *cfg, struct tlb *tlb,
	       char *err, size_t errlen);

/* Tear down every mm and the page cache, freeing their pages; zeroes *vs. */
void vmsys_destroy(vmsys_t *vs);

/* ---------------------------------------------------------------- address spaces (mmap.c) */

/*
 * mm_alloc() + mm_init(): a new, empty address space for process pid with
 * the default layout (mmap_base below the stack gap, as mmap_base() in
 * arch/x86/mm/mmap.c without randomization).  Returns NULL when host memory
 * or the top-level table page cannot be had.
 */
struct mm_struct *mm_create(vmsys_t *vs, uint32_t pid);

/* mmput() of the last user: exit_mmap() (unmap all, free page tables), then free it. */
void mm_destroy(vmsys_t *vs, struct mm_struct *mm);

/* dup_mmap() for fork: a copy of old's VMAs, page tables made COW (copy_page_range). NULL on OOM. */
struct mm_struct *mm_fork(vmsys_t *vs, struct mm_struct *old, uint32_t child_pid);

/* find_vma(): the first VMA with vm_end > addr, or NULL. */
struct vm_area_struct *find_vma(const struct mm_struct *mm, uint64_t addr);

/*
 * find_vma() without counting the work: for checkers and the replay's own
 * bookkeeping, which must not change the modeled figures.
 */
struct vm_area_struct *find_vma_uncounted(const struct mm_struct *mm, uint64_t addr);

/* find_vma_intersection(): the first VMA overlapping [start, end), or NULL. */
struct vm_area_struct *find_vma_intersection(const struct mm_struct *mm, uint64_t start, uint64_t end);

/*
 * The mm system calls.  Arguments are the trace's (bytes, Linux ABI flag
 * values); results are the syscall's: an address, or a negative errno
 * (-ENOMEM, -EINVAL, -EEXIST ...), exactly as the kernel would return them.
 * do_mmap's `hint` is honoured as the kernel does (MAP_FIXED replaces,
 * MAP_FIXED_NOREPLACE fails with -EEXIST, otherwise a free hint is used);
 * cpu is where the caller runs (page-table pages and populate faults
 * allocate there).
 */
int64_t do_mmap(vmsys_t *vs, struct mm_struct *mm, uint64_t hint, uint64_t len, uint32_t prot,
		uint32_t flags, uint32_t file, uint64_t pgoff, unsigned cpu);
int do_munmap(vmsys_t *vs, struct mm_struct *mm, uint64_t start, uint64_t len, unsigned cpu);
int64_t do_mremap(vmsys_t *vs, struct mm_struct *mm, uint64_t addr, uint64_t old_len,
		  uint64_t new_len, uint32_t flags, uint64_t new_addr, unsigned cpu);
int do_mprotect(vmsys_t *vs, struct mm_struct *mm, uint64_t start, uint64_t len, uint32_t prot,
		unsigned cpu);
int do_madvise(vmsys_t *vs, struct mm_struct *mm, uint64_t start, uint64_t len, uint32_t advice,
	       unsigned cpu);
/* brk(2): returns the new break, or the old one when refused (as the syscall does). */
uint64_t do_brk(vmsys_t *vs, struct mm_struct *mm, uint64_t request, unsigned cpu);

/*
 * Set the heap start and the break to start_brk (bytes, not necessarily
 * page-aligned), as the ELF loader does at exec (load_elf_binary sets
 * mm->start_brk = mm->brk).  The replay calls it with the first recorded brk
 * result, since exec is not in traces.
 */
void mm_set_brk_base(struct mm_struct *mm, uint64_t start_brk);

/* /proc/PID/maps of mm into f (file mappings name their file as "file:<id>"). */
void dump_maps(const struct mm_struct *mm, FILE *f);

/*
 * vma_check(): the tree against the list (order, no overlap, page
 * alignment, map_count, subtree gaps, highest_vm_end, total_vm).  Returns 0,
 * or -1 with the first violation in msg.
 */
int vma_check(const struct mm_struct *mm, char *msg, size_t msglen);

/* ---------------------------------------------------------------- page tables and faults (memory.c) */

/*
 * handle_mm_fault(): resolve a fault at addr (bytes) with FAULT_FLAG_* on
 * cpu: find_vma, permission check, then the do_*_page handler.  Counts it
 * in mm->nr_faults and vs->ev, and its work in pm->cost.  Returns its class.
 */
enum fault_class handle_mm_fault(vmsys_t *vs, struct mm_struct *mm, uint64_t addr,
				 unsigned flags, unsigned cpu);

/*
 * A memory access by a user thread: TLB lookup (when modeled) and page-walk,
 * then handle_mm_fault() when the entry is missing or forbids the access.
 * Returns FAULT_SPURIOUS when no fault was needed, else the fault's class.
 */
enum fault_class mm_access(vmsys_t *vs, struct mm_struct *mm, uint64_t addr, unsigned flags,
			   unsigned cpu);

/*
 * Unmap [start, end) of vma (within it): clear the entries, drop the page
 * references and rmap entries (pages return to the buddy allocator with
 * their last reference), update RSS, flush the TLB (zap_page_range_single,
 * unmap_page_range).  Page-table pages stay; free_pgtables() frees them.
 */
void zap_page_range(vmsys_t *vs, struct vm_area_struct *vma, uint64_t start, uint64_t end,
		    unsigned cpu);

/*
 * free_pgtables(): free the page-table pages that map only [floor, ceiling)
 * -- the hole left between the VMAs around an unmapped range (bytes;
 * ceiling 0, or at or above mm->task_size, means the top of the user range,
 * USER_PGTABLES_CEILING).  Entries still present in a table it frees are
 * zapped first.
 */
void free_pgtables(vmsys_t *vs, struct mm_struct *mm, uint64_t floor, uint64_t ceiling);

/* change_protection(): rewrite present entries of [start, end) for vma's new vm_flags; flush the TLB. */
void change_protection(vmsys_t *vs, struct vm_area_struct *vma, uint64_t start, uint64_t end,
		       unsigned cpu);

/*
 * move_page_tables(): move the entries of len bytes from old_addr (in vma)
 * to new_addr (in new_vma, same mm), for mremap.  Returns bytes moved
 * (len unless the page allocator failed).
 */
uint64_t move_page_tables(vmsys_t *vs, struct vm_area_struct *vma, uint64_t old_addr,
			  struct vm_area_struct *new_vma, uint64_t new_addr, uint64_t len, unsigned cpu);

/*
 * copy_page_range(): at fork, copy src_vma's entries into dst_vma (same
 * range, child mm); private writable pages become read-only in both (COW),
 * refcount and mapcount rise.  Returns 0 or -MM_ENOMEM.
 */
int copy_page_range(vmsys_t *vs, struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma,
		    unsigned cpu);

/*
 * split_huge_pmd_address(), as vma_adjust_trans_huge() calls it: before a
 * VMA boundary is set at addr (bytes, page-aligned), split the huge PMD of
 * mm that would straddle it.  Optional: faults and range operations also
 * split a huge PMD they find straddling a boundary.
 */
void split_huge_pmd_address(vmsys_t *vs, struct mm_struct *mm, uint64_t addr, unsigned cpu);

/* populate_vma_page_range() for MAP_POPULATE: fault in every page of [start, end). */
void populate_range(vmsys_t *vs, struct vm_area_struct *vma, uint64_t start, uint64_t end,
		    unsigned cpu);

/* Allocate mm's top-level table (mm_init -> pgd_alloc); -MM_ENOMEM on failure. */
int pgd_alloc(vmsys_t *vs, struct mm_struct *mm, unsigned cpu);

/* Free mm's top-level table after free_pgtables() emptied it (pgd_free). */
void pgd_free(vmsys_t *vs, struct mm_struct *mm);

/* Resident pages of mm: anon + file + shmem (get_mm_rss). */
static inline uint64_t get_mm_rss(const struct mm_struct *mm)
{
	return mm->rss_stat[MM_FILEPAGES] + mm->rss_stat[MM_ANONPAGES] + mm->rss_stat[MM_SHMEMPAGES];
}

/*
 * pgtable_check(): walk every mm's tables: entries against VMAs (no present
 * entry outside a VMA, none writable in a read-only VMA), RSS counters and
 * pgtables_bytes recounted, every mapped page's refcount and mapcount
 * against the rmap, page-cache counts.  Returns 0 or -1 with a message.
 */
int pgtable_check(const vmsys_t *vs, char *msg, size_t msglen);

/*
 * vm_check() (vm_check.c): the whole VM side at once -- vma_check of every
 * mm, pgtable_check, tlb_check of vs->tlb -- plus what none sees alone:
 * entry bits against the VMA (PROT_NONE, NX, COW-exclusive writable pages,
 * page-cache pages at their file offset), table pages machine-wide, and
 * every TLB and walk-cache entry backed by the tables and a page in use.
 * Read-only, counts nothing.  Returns 0, or -1 with the first violation
 * (naming the checker, mm / pid, address) in msg.
 */
int vm_check(const vmsys_t *vs, char *msg, size_t msglen);

#endif /* MMBENCH_MM_H */
