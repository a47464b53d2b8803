/*
 * gen_common.h - machinery shared by the synthetic trace generators.
 *
 * Internal to workloads/: nothing outside it includes this header (the rest
 * of the project sees only generate.h).  It holds the Linux values the
 * generators write (page size, gfp_t bits), the virtual-time cost of each
 * kind of event, the generator state (gen_t, with its id pools), simulated
 * tasks and processes (task_t, proc_t), the scheduler that interleaves tasks
 * (gen_run()), the emit_*() helpers that write one event each, and trailer
 * metadata helpers.  The generators themselves live in generate.c (user
 * space, and the registry) and generate_kernel.c (page allocator, CMA).
 * Everything here is single-threaded: one gen_t per generate_trace() call.
 *
 * Virtual time.  Every task has its own clock (ns since the trace's start).
 * An event is stamped with the clock of the task that issues it, and the
 * clock then advances by a fixed cost for that kind of event (the NS_*
 * constants below) plus up to 1/8 of it as seeded jitter.  The costs are
 * round figures for a current x86-64 server core; they shape the gaps
 * between events, which replay may use for rates and phases, not results.
 *
 * Concurrency.  A task is a state machine whose step() writes at most one
 * event.  gen_run() always steps the runnable task with the earliest clock
 * (ties go to the lower index), so tasks on different CPUs interleave as
 * they would on real hardware while the timestamps written never decrease.
 * Sequential parts (a parent before its children start, or after it has
 * waited for them) are plain code that writes through the same helpers.
 *
 * Ids.  Object, page-block and CMA ids come from id_pool_t: a freed id goes
 * on a last-in first-out stack and is handed out again before a new one is
 * minted, so every id space ends up exactly as large as the peak number of
 * live ids (replay indexes arrays with them).
 *
 * Honesty.  A generator writes what a program does (calls and memory
 * touches), never outcomes it cannot know: no FAULT events (replay decides
 * which ACCESS faults), err = 0 on every call, and trailer metadata only for
 * quantities fixed by the trace itself.
 *
 * Every function that writes returns 0, or -1 with *g->err set.
 */
#ifndef MMBENCH_GEN_COMMON_H
#define MMBENCH_GEN_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/gfp.h"
#include "engine/phys.h"         /* PAGE_SHIFT, PAGE_SIZE, enum migratetype */
#include "engine/prng.h"
#include "traces/trace.h"

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/* ---------------------------------------------------------------- virtual time */

/*
 * Cost of each kind of event, ns of virtual time.  Order-of-magnitude figures
 * for a current x86-64 server core (will-it-scale single-task rates, lmbench
 * fork/exit, allocator fast paths):
 */
#define NS_MALLOC		40      /* malloc fast path: thread-cache hit, 20-60 ns */
#define NS_FREE			25      /* free fast path */
#define NS_REALLOC		80      /* realloc bookkeeping, before any copy */
#define NS_MALLOC_MMAP		3000    /* malloc/free above glibc's 128 KiB mmap threshold */
#define NS_COPY_PER_KIB		100     /* memset/memcpy of warm memory, ~10 GB/s */
#define NS_THINK_MAX		200     /* malloc2: the program's own work between calls */
#define NS_FAULT_ANON		250     /* fault entry, PTE install, return (handle_mm_fault) */
#define NS_CLEAR_PAGE		1000    /* zeroing a new 4 KiB page, cold (clear_page) */
#define NS_COPY_PAGE		1200    /* copy-on-write copy of 4 KiB (copy_user_highpage) */
#define NS_FIRST_TOUCH		(NS_FAULT_ANON + NS_CLEAR_PAGE)     /* do_anonymous_page */
#define NS_COW_COPY		(NS_FAULT_ANON + NS_COPY_PAGE)      /* do_wp_page, shared */
#define NS_COW_REUSE		NS_FAULT_ANON   /* do_wp_page, exclusive: reuse, no copy */
#define NS_MMAP			1500    /* mmap(2) of an anonymous region */
#define NS_MUNMAP		2000    /* munmap(2): VMA removal and TLB flush */
#define NS_ZAP_PER_PAGE		60      /* munmap/exit, per present PTE: zap and free */
#define NS_BRK			600     /* brk(2) moving the break by a page */
#define NS_FORK			100000  /* fork(2): task, mm and VMA copies */
#define NS_FORK_PER_PTE		10      /* copy_page_range(), per present PTE */
#define NS_CLONE_THREAD		20000   /* pthread_create() */
#define NS_EXIT			50000   /* exit(2) of a process, before unmapping */
#define NS_EXIT_THREAD		10000   /* pthread_exit() */
#define NS_WAKEUP		5000    /* wait4()/pthread_join() return after the exit */
#define NS_PAGE_ALLOC		150     /* order-0 from the per-CPU lists */
#define NS_PAGE_ALLOC_ORDER	100     /* more per order: buddy split */
#define NS_PAGE_FREE		100     /* order-0 to the per-CPU lists */
#define NS_PAGE_FREE_ORDER	50      /* more per order: buddy merge */
#define NS_KERNEL_THINK_MAX	2000    /* frag, cma_churn: work between page requests */
#define NS_CMA_ALLOC		20000   /* cma_alloc(): bitmap search, range isolation */
#define NS_CMA_PER_PAGE		300     /* alloc_contig_range(), per page (no migration) */
#define NS_CMA_RELEASE		3000    /* cma_release() */
#define NS_CMA_RELEASE_PER_PAGE	50
#define NS_CMA_THINK_MIN	20000   /* cma_churn: a device's time between requests */
#define NS_CMA_THINK_MAX	200000

/* ---------------------------------------------------------------- state */

typedef struct id_pool {
	uint32_t *free;         /* freed ids, reused last-in first-out */
	uint32_t nr_free;       /* ids on the free stack */
	size_t cap;             /* slots in free */
	uint32_t nr_ids;        /* ids minted so far; every id is < nr_ids */
	uint32_t nr_live;       /* ids in use */
} id_pool_t;

typedef struct gen {
	trace_writer_t *w;
	const char *path;       /* output file, for error messages */
	trace_error_t *err;     /* where failures are reported */
	prng_t rng;             /* the only source of randomness */
	uint32_t scale;         /* work multiplier, >= 1 */
	uint64_t nr_events;     /* events written */
	id_pool_t objects;      /* ALLOC/FREE/REALLOC ids */
	id_pool_t pages;        /* PAGE_ALLOC/PAGE_FREE ids */
	id_pool_t cma;          /* CMA_ALLOC/CMA_RELEASE ids */
	uint32_t nr_warm;       /* tasks past their first iteration */
	uint32_t nr_warm_needed; /* tasks that must be before "warmup-end" */
	bool warmed_up;         /* "warmup-end" is written or scheduled */
	uint32_t nr_minflt_meta; /* proc.<pid>.minflt pairs written */
	uint64_t minflt_total;  /* sum over every process */
} gen_t;

typedef struct task task_t;

struct task {
	uint64_t clock;         /* ns, this task's virtual time */
	uint32_t cpu;           /* the CPU it runs on */
	uint32_t pid, tid;      /* process and thread */
	bool done;              /* exited or finished its part: gen_run() skips it */
	const char *mark;       /* MARK to write at its next step, or NULL */
	int (*step)(gen_t *g, task_t *t);       /* writes at most one event */
};

/* A process's address space, as far as the generators need one. */
typedef struct proc {
	uint32_t pid;
	uint64_t mmap_base;     /* top of the mmap area, bytes */
	uint64_t mmap_low;      /* lowest mapped address; maps are stacked below mmap_base */
	uint64_t start_brk;     /* heap start, bytes */
	uint64_t brk;           /* current break */
	uint64_t nr_minflt;     /* first touches + first writes after fork (4 KiB pages) */
} proc_t;

#define PID_FIRST	1000    /* pid of a generator's first process */
#define MAX_PROC_META	64      /* proc.<pid>.minflt pairs at most (trailer room) */

/* ---------------------------------------------------------------- memory */

/* Report that memory ran out (*g->err).  Returns -1. */
int gen_oom(gen_t *g);

/*
 * Room for need elements of size bytes in buf (*cap of them now): returns
 * buf or its reallocation, growing by doubling; NULL (buf intact, *g->err
 * set) when out of memory.
 */
void *gen_grow(gen_t *g, void *buf, size_t *cap, size_t need, size_t size);

/* ---------------------------------------------------------------- tasks */

/*
 * Stamp ev with t's clock and context, write it, then advance t's clock by
 * cost_ns (+ jitter).  Returns 0, or -1 with *g->err set.
 */
int emit_event(gen_t *g, task_t *t, trace_event_t *ev, uint64_t cost_ns);

/* Write the event with the given fields (designated initializers) for t. */
#define EMIT(g, t, cost_ns, ...) \
	emit_event((g), (t), &(trace_event_t){ __VA_ARGS__ }, (cost_ns))

/*
 * Set up t as thread tid of process pid on CPU cpu, its clock at clock ns;
 * step is what gen_run() calls (NULL for a task driven by plain code).
 */
void gen_task_init(task_t *t, uint32_t pid, uint32_t tid, uint32_t cpu,
		   uint64_t clock, int (*step)(gen_t *, task_t *));

/* Let t wait for the others (wait4, pthread_join): resume after the latest. */
void gen_task_wait(task_t *t, task_t *const *others, size_t nr);

/* A MARK event named name (a string literal: it is not copied). */
int emit_mark(gen_t *g, task_t *t, const char *name);

/*
 * Run tasks until all are done, always stepping the one with the earliest
 * clock.  A step that writes nothing must finish its task.  Returns 0 or -1.
 */
int gen_run(gen_t *g, task_t *const *tasks, size_t nr);

/*
 * Note that t finished its first iteration.  When the last of the
 * g->nr_warm_needed tasks does, "warmup-end" is written at t's next step
 * (from inside gen_run()) or right away (now == true, sequential code).
 * Returns 0 or -1.
 */
int gen_warm(gen_t *g, task_t *t, bool now);

/*
 * parent forks child (already initialized; flags TRACE_FORK_*); the child
 * starts when fork returns.  cost_ns is the parent's time in fork.
 */
int emit_fork(gen_t *g, task_t *parent, task_t *child, uint32_t flags,
	      uint64_t cost_ns);

/* t exits with status 0 (the thread only with TRACE_EXIT_THREAD); t is done. */
int emit_exit(gen_t *g, task_t *t, uint32_t flags, uint64_t cost_ns);

/* ---------------------------------------------------------------- address spaces */

/*
 * Lay out a new process's address space as pid: seeded ASLR of the mmap
 * base and brk, see TASK_SIZE in gen_common.c.
 */
void gen_proc_init(gen_t *g, proc_t *p, uint32_t pid);

/* fork(2) copies the address space: child becomes parent's copy, as pid. */
void gen_proc_fork(const proc_t *parent, proc_t *child, uint32_t pid);

/*
 * mmap(NULL, len, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)
 * by t in p (len in bytes, page-aligned): top-down placement below the
 * lowest mapping, as get_unmapped_area() finds it when nothing was unmapped
 * out of order.  *addr receives the result.
 */
int emit_mmap_anon(gen_t *g, task_t *t, proc_t *p, uint64_t len,
		   uint64_t *addr);

/* munmap(addr, len bytes) of p's lowest mapping, with nr_present pages populated. */
int emit_munmap(gen_t *g, task_t *t, proc_t *p, uint64_t addr,
		uint64_t len, uint64_t nr_present);

/* brk(request) by t in p; request 0 queries the break.  Always succeeds. */
int emit_brk(gen_t *g, task_t *t, proc_t *p, uint64_t request);

/* A user-mode store to addr; cost_ns says what the kernel does about it. */
int emit_store(gen_t *g, task_t *t, uint64_t addr, uint64_t cost_ns);

/* ---------------------------------------------------------------- allocations */

/*
 * An allocator call (func: enum trace_alloc_func; size and align in bytes,
 * align 0 for the default) creating an object; *id gets its id.
 */
int emit_alloc(gen_t *g, task_t *t, uint8_t func, uint64_t size,
	       uint64_t align, uint64_t cost_ns, uint32_t *id);

/* free(3) of object id, which goes back to the pool. */
int emit_free(gen_t *g, task_t *t, uint32_t id, uint64_t cost_ns);

/*
 * alloc_pages(gfp, order); *id receives the page-block id.  think_ns is the
 * caller's own work, added to the call's cost.
 */
int emit_page_alloc(gen_t *g, task_t *t, unsigned order, uint32_t gfp,
		    uint64_t think_ns, uint32_t *id);

/* __free_pages() of block id, allocated with order; think_ns as above. */
int emit_page_free(gen_t *g, task_t *t, uint32_t id, unsigned order,
		   uint64_t think_ns);

/*
 * cma_alloc(area 0, count pages, align order); *id receives the allocation
 * id.  think_ns as for emit_page_alloc().
 */
int emit_cma_alloc(gen_t *g, task_t *t, uint64_t count, unsigned align,
		   uint64_t think_ns, uint32_t *id);

/* cma_release(area 0) of allocation id, count pages; think_ns as above. */
int emit_cma_release(gen_t *g, task_t *t, uint32_t id, uint64_t count,
		     uint64_t think_ns);

/* ---------------------------------------------------------------- metadata */

/* Add a trailer pair key = value (decimal).  Returns 0 or -1. */
int gen_meta_u64(gen_t *g, const char *key, uint64_t value);

/*
 * Record p's minor-fault count for a kernel with 4 KiB base pages and no THP
 * (header key minflt_model): every first touch of an anonymous page and
 * every first write to a page after fork write-protected it.  At most
 * MAX_PROC_META processes get a pair; minflt_total covers all of them.
 * Returns 0 or -1.
 */
int gen_meta_minflt(gen_t *g, const proc_t *p);

/* ---------------------------------------------------------------- choices */

/*
 * Index of a row of a table chosen by weight: weight points at the first
 * row's uint16_t weight, rows are stride bytes apart, nr rows (nr >= 1, the
 * weights not all 0).
 */
size_t gen_pick_weighted(gen_t *g, const uint16_t *weight, size_t stride,
			 size_t nr);

/* Index of a row of table (an array of structs with a .weight) chosen by weight. */
#define PICK(g, table) \
	gen_pick_weighted((g), &(table)[0].weight, sizeof((table)[0]), \
			  sizeof(table) / sizeof((table)[0]))

/* ceil(log2(n)) for n >= 1 pages: get_order(n * PAGE_SIZE). */
unsigned gen_order_of_pages(uint64_t n);

#endif /* MMBENCH_GEN_COMMON_H */
