/*
 * generate.c - deterministic synthetic trace generators (see generate.h).
 *
 * Each generator is a small simulated program: one or more tasks (processes
 * or threads) that write events through the trace writer.  The output
 * depends only on (name, seed, scale): randomness comes from one prng_t
 * seeded with the seed, time is virtual, and nothing reads the host.
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
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/prng.h"
#include "workloads/generate.h"

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/* ---------------------------------------------------------------- Linux values */

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1ull << PAGE_SHIFT)    /* bytes */

/* mmap(2) arguments, Linux x86-64 (include/uapi/asm-generic/mman-common.h). */
#define LINUX_PROT_READ		0x1u
#define LINUX_PROT_WRITE	0x2u
#define LINUX_MAP_PRIVATE	0x02u
#define LINUX_MAP_ANONYMOUS	0x20u

/*
 * gfp_t bits and the usual combinations, include/linux/gfp_types.h (v6.x
 * values; __GFP_SKIP_KASAN, __GFP_NOLOCKDEP are 0 in a kernel without
 * KASAN_HW_TAGS and LOCKDEP).  Named GFP_F_* for the kernel's __GFP_*, as
 * names with a leading underscore are reserved in C.
 */
#define GFP_F_HIGHMEM		0x02u
#define GFP_F_MOVABLE		0x08u
#define GFP_F_RECLAIMABLE	0x10u
#define GFP_F_HIGH		0x20u
#define GFP_F_IO		0x40u
#define GFP_F_FS		0x80u
#define GFP_F_DIRECT_RECLAIM	0x400u
#define GFP_F_KSWAPD_RECLAIM	0x800u
#define GFP_F_NOWARN		0x2000u
#define GFP_F_NORETRY		0x10000u
#define GFP_F_COMP		0x40000u
#define GFP_F_NOMEMALLOC	0x80000u
#define GFP_F_HARDWALL		0x100000u
#define GFP_F_RECLAIM		(GFP_F_DIRECT_RECLAIM | GFP_F_KSWAPD_RECLAIM)

#define GFP_ATOMIC		(GFP_F_HIGH | GFP_F_KSWAPD_RECLAIM)
#define GFP_KERNEL		(GFP_F_RECLAIM | GFP_F_IO | GFP_F_FS)
#define GFP_USER		(GFP_KERNEL | GFP_F_HARDWALL)
#define GFP_HIGHUSER		(GFP_USER | GFP_F_HIGHMEM)
#define GFP_HIGHUSER_MOVABLE	(GFP_HIGHUSER | GFP_F_MOVABLE)
#define GFP_TRANSHUGE_LIGHT	((GFP_HIGHUSER_MOVABLE | GFP_F_COMP | \
				  GFP_F_NOMEMALLOC | GFP_F_NOWARN) & ~GFP_F_RECLAIM)
/* page_frag_alloc()'s refill of the network fragment cache (mm/page_frag_cache.c) */
#define GFP_PAGE_FRAG		(GFP_ATOMIC | GFP_F_COMP | GFP_F_NOWARN | \
				 GFP_F_NORETRY | GFP_F_NOMEMALLOC)

_Static_assert(GFP_KERNEL == 0xcc0, "GFP_KERNEL as in gfp_types.h");
_Static_assert(GFP_HIGHUSER_MOVABLE == 0x100cca, "GFP_HIGHUSER_MOVABLE as in gfp_types.h");

/* enum migratetype, include/linux/mmzone.h (CONFIG_CMA and CONFIG_MEMORY_ISOLATION on). */
enum migratetype {
	MIGRATE_UNMOVABLE,
	MIGRATE_MOVABLE,
	MIGRATE_RECLAIMABLE,
	MIGRATE_PCPTYPES,               /* the number of types on the pcp lists */
	MIGRATE_HIGHATOMIC = MIGRATE_PCPTYPES,
	MIGRATE_CMA,
	MIGRATE_ISOLATE,
};

/* gfp_migratetype(), include/linux/gfp.h: __GFP_MOVABLE -> 1, __GFP_RECLAIMABLE -> 2. */
static unsigned gfp_migratetype(uint32_t gfp)
{
	return (gfp & (GFP_F_MOVABLE | GFP_F_RECLAIMABLE)) >> 3;
}

/*
 * Address-space layout of a 64-bit process with ASLR (randomize_va_space=2),
 * arch/x86/mm/mmap.c and fs/binfmt_elf.c: the mmap area grows down from
 * mmap_base = TASK_SIZE - gap - rnd, gap = stack rlimit + the stack's
 * random range + stack_guard_gap, rnd = mmap_rnd_bits (28) random pages; a
 * PIE executable loads at ELF_ET_DYN_BASE plus 28 random bits of pages and
 * its brk starts a random number of pages (arch_randomize_brk(): up to 1 GiB
 * on 64-bit in current kernels) after the end of its image.
 */
#define TASK_SIZE		0x7ffffffff000ull       /* DEFAULT_MAP_WINDOW */
#define ELF_ET_DYN_BASE		0x555555554000ull       /* 2/3 of TASK_SIZE, page-aligned */
#define MMAP_RND_BITS		28                      /* pages of randomness */
#define STACK_RLIMIT		(8ull << 20)            /* RLIMIT_STACK default, bytes */
#define STACK_MAXRANDOM		(0x3fffffull << PAGE_SHIFT)     /* STACK_RND_MASK pages */
#define STACK_GUARD_GAP		(256ull << PAGE_SHIFT)  /* stack_guard_gap default */
#define BRK_RND_RANGE		(1ull << 30)            /* bytes */
#define EXE_IMAGE_SIZE		0x5000ull               /* a small PIE's text, data and bss */

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

/* ---------------------------------------------------------------- helpers */

static int gen_oom(gen_t *g)
{
	return trace_error_set(g->err, g->path, TRACE_NO_EVENT, 0, "out of memory");
}

/*
 * Room for need elements of size bytes in buf (*cap of them now): returns
 * buf or its reallocation, growing by doubling; NULL (buf intact, *g->err
 * set) when out of memory.
 */
static void *gen_grow(gen_t *g, void *buf, size_t *cap, size_t need, size_t size)
{
	size_t ncap = *cap ? *cap : 1024;
	void *n;

	if (need <= *cap)
		return buf;
	while (ncap < need)
		ncap *= 2;
	n = realloc(buf, ncap * size);
	if (!n) {
		gen_oom(g);
		return NULL;
	}
	*cap = ncap;
	return n;
}

/* Take an id: the most recently freed one, else a new one.  Returns 0 or -1. */
static int id_get(gen_t *g, id_pool_t *p, uint32_t *id)
{
	if (p->nr_free) {
		*id = p->free[--p->nr_free];
	} else {
		uint32_t *n = gen_grow(g, p->free, &p->cap, p->nr_ids + 1, sizeof(*n));

		if (!n)
			return -1;
		p->free = n;
		*id = p->nr_ids++;
	}
	p->nr_live++;
	return 0;
}

/* Give an id back (the stack has room for every minted id). */
static void id_put(id_pool_t *p, uint32_t id)
{
	p->free[p->nr_free++] = id;
	p->nr_live--;
}

/* cost_ns plus a seeded jitter of up to 1/8 of it. */
static uint64_t jitter(gen_t *g, uint64_t cost_ns)
{
	return cost_ns + prng_below(&g->rng, cost_ns / 8 + 1);
}

/*
 * Stamp ev with t's clock and context, write it, then advance t's clock by
 * cost_ns (+ jitter).  Returns 0, or -1 with *g->err set.
 */
static int task_emit(gen_t *g, task_t *t, trace_event_t *ev, uint64_t cost_ns)
{
	ev->ts = t->clock;
	ev->cpu = t->cpu;
	ev->pid = t->pid;
	ev->tid = t->tid;
	if (trace_write(g->w, ev)) {
		*g->err = *trace_writer_error(g->w);
		return -1;
	}
	g->nr_events++;
	t->clock += jitter(g, cost_ns);
	return 0;
}

/* Write the event with the given fields (designated initializers) for t. */
#define EMIT(g, t, cost_ns, ...) \
	task_emit((g), (t), &(trace_event_t){ __VA_ARGS__ }, (cost_ns))

static void task_init(task_t *t, uint32_t pid, uint32_t tid, uint32_t cpu,
		      uint64_t clock, int (*step)(gen_t *, task_t *))
{
	*t = (task_t){ .clock = clock, .cpu = cpu, .pid = pid, .tid = tid,
		       .step = step };
}

/* Let t wait for the others (wait4, pthread_join): resume after the latest. */
static void task_wait(task_t *t, task_t *const *others, size_t nr)
{
	uint64_t latest = t->clock;

	for (size_t i = 0; i < nr; i++)
		if (others[i]->clock > latest)
			latest = others[i]->clock;
	t->clock = latest + NS_WAKEUP;
}

static int emit_mark(gen_t *g, task_t *t, const char *name)
{
	return EMIT(g, t, 0, .type = TRACE_MARK,
		    .mark = { .name = name, .name_len = (uint32_t)strlen(name) });
}

/*
 * Run tasks until all are done, always stepping the one with the earliest
 * clock.  A step that writes nothing must finish its task.  Returns 0 or -1.
 */
static int gen_run(gen_t *g, task_t *const *tasks, size_t nr)
{
	for (;;) {
		task_t *t = NULL;

		for (size_t i = 0; i < nr; i++)
			if (!tasks[i]->done && (!t || tasks[i]->clock < t->clock))
				t = tasks[i];
		if (!t)
			return 0;
		if (t->mark) {
			const char *mark = t->mark;

			t->mark = NULL;
			if (emit_mark(g, t, mark))
				return -1;
			continue;
		}
		uint64_t before = g->nr_events;
		if (t->step(g, t))
			return -1;
		if (g->nr_events == before && !t->done)
			return trace_error_set(g->err, g->path, g->nr_events, 0,
					       "generator task %" PRIu32 " made no progress",
					       t->tid);
	}
}

/*
 * Note that t finished its first iteration.  When the last of the
 * g->nr_warm_needed tasks does, "warmup-end" is written at t's next step
 * (from inside gen_run()) or right away (now == true, sequential code).
 */
static int gen_warm(gen_t *g, task_t *t, bool now)
{
	if (g->warmed_up || ++g->nr_warm < g->nr_warm_needed)
		return 0;
	g->warmed_up = true;
	if (now)
		return emit_mark(g, t, "warmup-end");
	t->mark = "warmup-end";
	return 0;
}

/* parent forks child (already initialized); the child starts when fork returns. */
static int emit_fork(gen_t *g, task_t *parent, task_t *child, uint32_t flags,
		     uint64_t cost_ns)
{
	uint32_t id = flags & TRACE_FORK_THREAD ? child->tid : child->pid;

	if (EMIT(g, parent, cost_ns, .type = TRACE_FORK,
		 .fork = { .child = id, .flags = flags }))
		return -1;
	child->clock = parent->clock;
	return 0;
}

/* t exits with status 0 (the thread only with TRACE_EXIT_THREAD); t is done. */
static int emit_exit(gen_t *g, task_t *t, uint32_t flags, uint64_t cost_ns)
{
	t->done = true;
	return EMIT(g, t, cost_ns, .type = TRACE_EXIT,
		    .exit = { .code = 0, .flags = flags });
}

/* Lay out a new process's address space (seeded ASLR, see TASK_SIZE). */
static void proc_init(gen_t *g, proc_t *p, uint32_t pid)
{
	uint64_t gap = STACK_RLIMIT + STACK_MAXRANDOM + STACK_GUARD_GAP;
	uint64_t rnd = prng_below(&g->rng, 1ull << MMAP_RND_BITS) << PAGE_SHIFT;
	uint64_t load = ELF_ET_DYN_BASE +
			(prng_below(&g->rng, 1ull << MMAP_RND_BITS) << PAGE_SHIFT);

	*p = (proc_t){ .pid = pid };
	p->mmap_base = (TASK_SIZE - gap - rnd) & ~(PAGE_SIZE - 1);
	p->mmap_low = p->mmap_base;
	p->start_brk = load + EXE_IMAGE_SIZE +
		       (prng_below(&g->rng, BRK_RND_RANGE >> PAGE_SHIFT) << PAGE_SHIFT);
	p->brk = p->start_brk;
}

/* fork(2) copies the address space. */
static void proc_fork(const proc_t *parent, proc_t *child, uint32_t pid)
{
	*child = *parent;
	child->pid = pid;
	child->nr_minflt = 0;
}

/*
 * mmap(NULL, len, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)
 * by t in p: top-down placement below the lowest mapping, as
 * get_unmapped_area() finds it when nothing was unmapped out of order.
 * *addr receives the result.
 */
static int emit_mmap_anon(gen_t *g, task_t *t, proc_t *p, uint64_t len,
			  uint64_t *addr)
{
	p->mmap_low -= len;
	*addr = p->mmap_low;
	return EMIT(g, t, NS_MMAP, .type = TRACE_MMAP,
		    .mmap = { .addr = 0, .len = len, .pgoff = 0, .result = *addr,
			      .prot = LINUX_PROT_READ | LINUX_PROT_WRITE,
			      .flags = LINUX_MAP_PRIVATE | LINUX_MAP_ANONYMOUS,
			      .file = TRACE_NO_ID, .err = 0 });
}

/* munmap(addr, len) of p's lowest mapping, with nr_present pages populated. */
static int emit_munmap(gen_t *g, task_t *t, proc_t *p, uint64_t addr,
		       uint64_t len, uint64_t nr_present)
{
	if (addr == p->mmap_low)
		p->mmap_low += len;
	return EMIT(g, t, NS_MUNMAP + NS_ZAP_PER_PAGE * nr_present,
		    .type = TRACE_MUNMAP, .munmap = { .addr = addr, .len = len });
}

/* brk(request) by t in p; request 0 queries the break.  Always succeeds. */
static int emit_brk(gen_t *g, task_t *t, proc_t *p, uint64_t request)
{
	if (request)
		p->brk = request;
	return EMIT(g, t, NS_BRK, .type = TRACE_BRK,
		    .brk = { .request = request, .result = p->brk });
}

/* A user-mode store to addr; cost_ns says what the kernel does about it. */
static int emit_store(gen_t *g, task_t *t, uint64_t addr, uint64_t cost_ns)
{
	return EMIT(g, t, cost_ns, .type = TRACE_ACCESS,
		    .access = { .addr = addr,
				.flags = TRACE_FAULT_WRITE | TRACE_FAULT_USER });
}

/* An allocator call (func, align bytes or 0) creating an object; *id gets its id. */
static int emit_alloc(gen_t *g, task_t *t, uint8_t func, uint64_t size,
		      uint64_t align, uint64_t cost_ns, uint32_t *id)
{
	if (id_get(g, &g->objects, id))
		return -1;
	return EMIT(g, t, cost_ns, .type = TRACE_ALLOC,
		    .alloc = { .id = *id, .cache = TRACE_NO_ID, .size = size,
			       .align = align, .gfp = 0, .func = func });
}

/* free(3) of object id, which goes back to the pool. */
static int emit_free(gen_t *g, task_t *t, uint32_t id, uint64_t cost_ns)
{
	id_put(&g->objects, id);
	return EMIT(g, t, cost_ns, .type = TRACE_FREE,
		    .free = { .id = id, .cache = TRACE_NO_ID, .func = TRACE_FN_FREE });
}

/* alloc_pages(gfp, order); *id receives the page-block id. */
static int emit_page_alloc(gen_t *g, task_t *t, unsigned order, uint32_t gfp,
			   uint64_t think_ns, uint32_t *id)
{
	if (id_get(g, &g->pages, id))
		return -1;
	return EMIT(g, t, NS_PAGE_ALLOC + NS_PAGE_ALLOC_ORDER * order + think_ns,
		    .type = TRACE_PAGE_ALLOC,
		    .page_alloc = { .page = *id, .gfp = gfp, .order = (uint8_t)order,
				    .migratetype = (uint8_t)gfp_migratetype(gfp) });
}

/* __free_pages() of block id, allocated with order. */
static int emit_page_free(gen_t *g, task_t *t, uint32_t id, unsigned order,
			  uint64_t think_ns)
{
	id_put(&g->pages, id);
	return EMIT(g, t, NS_PAGE_FREE + NS_PAGE_FREE_ORDER * order + think_ns,
		    .type = TRACE_PAGE_FREE,
		    .page_free = { .page = id, .order = (uint8_t)order });
}

/* cma_alloc(area 0, count pages, align order); *id receives the allocation id. */
static int emit_cma_alloc(gen_t *g, task_t *t, uint64_t count, unsigned align,
			  uint64_t think_ns, uint32_t *id)
{
	if (id_get(g, &g->cma, id))
		return -1;
	return EMIT(g, t, NS_CMA_ALLOC + NS_CMA_PER_PAGE * count + think_ns,
		    .type = TRACE_CMA_ALLOC,
		    .cma = { .area = 0, .id = *id, .count = count,
			     .align = (uint8_t)align, .err = 0 });
}

/* cma_release(area 0) of allocation id, count pages. */
static int emit_cma_release(gen_t *g, task_t *t, uint32_t id, uint64_t count,
			    uint64_t think_ns)
{
	id_put(&g->cma, id);
	return EMIT(g, t, NS_CMA_RELEASE + NS_CMA_RELEASE_PER_PAGE * count + think_ns,
		    .type = TRACE_CMA_RELEASE,
		    .cma = { .area = 0, .id = id, .count = count });
}

/* Add a trailer pair key = value (decimal). */
static int gen_meta_u64(gen_t *g, const char *key, uint64_t value)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, value);
	if (trace_writer_add_meta(g->w, key, buf)) {
		*g->err = *trace_writer_error(g->w);
		return -1;
	}
	return 0;
}

/*
 * Record p's minor-fault count for a kernel with 4 KiB base pages and no THP
 * (header key minflt_model): every first touch of an anonymous page and
 * every first write to a page after fork write-protected it.  At most
 * MAX_PROC_META processes get a pair; minflt_total covers all of them.
 */
static int gen_meta_minflt(gen_t *g, const proc_t *p)
{
	char key[40];

	g->minflt_total += p->nr_minflt;
	if (g->nr_minflt_meta == MAX_PROC_META)
		return 0;
	g->nr_minflt_meta++;
	snprintf(key, sizeof(key), "proc.%" PRIu32 ".minflt", p->pid);
	return gen_meta_u64(g, key, p->nr_minflt);
}

/* Uniform value in a table row chosen by weight (rows of {weight, ...}). */
static size_t pick_weighted(gen_t *g, const uint16_t *weight, size_t stride,
			    size_t nr)
{
	uint64_t total = 0, x;
	const char *row = (const char *)weight;

	for (size_t i = 0; i < nr; i++)
		total += *(const uint16_t *)(row + i * stride);
	x = prng_below(&g->rng, total);
	for (size_t i = 0; i < nr; i++) {
		uint16_t w = *(const uint16_t *)(row + i * stride);

		if (x < w)
			return i;
		x -= w;
	}
	return nr - 1;
}

#define PICK(g, table) \
	pick_weighted((g), &(table)[0].weight, sizeof((table)[0]), \
		      sizeof(table) / sizeof((table)[0]))

/* ceil(log2(n)) for n >= 1: get_order(n * PAGE_SIZE). */
static unsigned order_of_pages(uint64_t n)
{
	unsigned order = 0;

	while ((1ull << order) < n)
		order++;
	return order;
}

/* ---------------------------------------------------------------- page_fault1 */

/*
 * will-it-scale page_fault1, process mode: each task loops { mmap 128 MiB
 * anonymous private; store to every page; munmap }.  The parent forks the
 * tasks and waits for them.
 */
#define PF1_LEN		(128ull << 20)  /* bytes per mapping */
#define PF1_TASKS	2
#define PF1_ITERS	4               /* per task, times scale */

typedef struct pf1_task {
	task_t task;
	proc_t proc;
	uint64_t addr;          /* current mapping */
	uint64_t next;          /* next page to touch */
	uint64_t iter, nr_iters;
	enum { PF1_MMAP, PF1_TOUCH, PF1_MUNMAP } phase;
} pf1_task_t;

static int pf1_step(gen_t *g, task_t *t)
{
	pf1_task_t *pt = container_of(t, pf1_task_t, task);
	uint64_t nr_pages = PF1_LEN >> PAGE_SHIFT;

	switch (pt->phase) {
	case PF1_MMAP:
		if (pt->iter == pt->nr_iters)
			return emit_exit(g, t, 0, NS_EXIT);
		pt->phase = PF1_TOUCH;
		pt->next = 0;
		return emit_mmap_anon(g, t, &pt->proc, PF1_LEN, &pt->addr);
	case PF1_TOUCH:
		if (pt->next + 1 == nr_pages)
			pt->phase = PF1_MUNMAP;
		pt->proc.nr_minflt++;
		return emit_store(g, t, pt->addr + (pt->next++ << PAGE_SHIFT),
				  NS_FIRST_TOUCH);
	case PF1_MUNMAP:
		pt->phase = PF1_MMAP;
		if (++pt->iter == 1 && gen_warm(g, t, false))
			return -1;
		return emit_munmap(g, t, &pt->proc, pt->addr, PF1_LEN, nr_pages);
	}
	return -1;
}

static int gen_page_fault1(gen_t *g)
{
	task_t parent;
	proc_t pproc;
	pf1_task_t child[PF1_TASKS];
	task_t *run[PF1_TASKS];

	proc_init(g, &pproc, PID_FIRST);
	task_init(&parent, PID_FIRST, PID_FIRST, 0, 0, NULL);
	if (emit_mark(g, &parent, "start"))
		return -1;
	g->nr_warm_needed = PF1_TASKS;
	for (uint32_t i = 0; i < PF1_TASKS; i++) {
		uint32_t pid = PID_FIRST + 1 + i;
		pf1_task_t *c = &child[i];

		*c = (pf1_task_t){ .nr_iters = (uint64_t)PF1_ITERS * g->scale };
		task_init(&c->task, pid, pid, i, 0, pf1_step);
		proc_fork(&pproc, &c->proc, pid);
		run[i] = &c->task;
		if (emit_fork(g, &parent, &c->task, 0, NS_FORK))
			return -1;
	}
	if (gen_run(g, run, PF1_TASKS))
		return -1;
	task_wait(&parent, run, PF1_TASKS);
	if (gen_meta_minflt(g, &pproc))
		return -1;
	for (uint32_t i = 0; i < PF1_TASKS; i++)
		if (gen_meta_minflt(g, &child[i].proc))
			return -1;
	return emit_exit(g, &parent, 0, NS_EXIT);
}

/* ---------------------------------------------------------------- brk1, mmap1, malloc1 */

/*
 * A single-threaded process (pid PID_FIRST, CPU 0) that repeats one loop
 * body nr_iters times; "warmup-end" follows the first iteration.
 */
static int gen_loop(gen_t *g, uint64_t nr_iters,
		    int (*body)(gen_t *g, task_t *t, proc_t *p, uint64_t i))
{
	task_t t;
	proc_t p;

	proc_init(g, &p, PID_FIRST);
	task_init(&t, PID_FIRST, PID_FIRST, 0, 0, NULL);
	if (emit_mark(g, &t, "start"))
		return -1;
	for (uint64_t i = 0; i < nr_iters; i++)
		if (body(g, &t, &p, i) || (i == 0 && emit_mark(g, &t, "warmup-end")))
			return -1;
	return emit_exit(g, &t, 0, NS_EXIT);
}

/* will-it-scale brk1: loop { brk(+1 page); brk(back) }. */
#define BRK1_ITERS	100000

static int brk1_body(gen_t *g, task_t *t, proc_t *p, uint64_t i)
{
	if (i == 0 && emit_brk(g, t, p, 0))     /* libc's start-up query */
		return -1;
	return emit_brk(g, t, p, p->start_brk + PAGE_SIZE) ||
	       emit_brk(g, t, p, p->start_brk) ? -1 : 0;
}

static int gen_brk1(gen_t *g)
{
	return gen_loop(g, (uint64_t)BRK1_ITERS * g->scale, brk1_body);
}

/* will-it-scale mmap1: loop { mmap 128 MiB anonymous; munmap }, no touching. */
#define MMAP1_LEN	(128ull << 20)
#define MMAP1_ITERS	100000

static int mmap1_body(gen_t *g, task_t *t, proc_t *p, uint64_t i)
{
	uint64_t addr;

	(void)i;
	return emit_mmap_anon(g, t, p, MMAP1_LEN, &addr) ||
	       emit_munmap(g, t, p, addr, MMAP1_LEN, 0) ? -1 : 0;
}

static int gen_mmap1(gen_t *g)
{
	return gen_loop(g, (uint64_t)MMAP1_ITERS * g->scale, mmap1_body);
}

/* malloc(1 KiB); free() in a loop: one live object, the allocator fast path. */
#define MALLOC1_SIZE	1024
#define MALLOC1_ITERS	150000

static int malloc1_body(gen_t *g, task_t *t, proc_t *p, uint64_t i)
{
	uint32_t id;

	(void)p;
	(void)i;
	return emit_alloc(g, t, TRACE_FN_MALLOC, MALLOC1_SIZE, 0, NS_MALLOC, &id) ||
	       emit_free(g, t, id, NS_FREE) ? -1 : 0;
}

static int gen_malloc1(gen_t *g)
{
	return gen_loop(g, (uint64_t)MALLOC1_ITERS * g->scale, malloc1_body);
}

/* ---------------------------------------------------------------- malloc2 */

/*
 * Heap churn by two threads of one process.  Each allocation draws a size
 * from a small-object distribution and a lifetime, log-uniform in
 * 1..2^M2_LIFETIME_BITS of its owner thread's operations; an object dies
 * (is freed) when its owner's operation count passes that, so frees come in
 * an order unrelated to allocation.  A few objects are handed to the other
 * thread to free.  When both threads are done the main thread frees what is
 * left, earliest death first.
 */
#define M2_THREADS		2
#define M2_OPS			150000  /* per thread, times scale */
#define M2_LIFETIME_BITS	18
#define M2_HANDOFF_PPM		50000   /* objects freed by the other thread */
#define M2_REALLOC_PPM		30000
#define M2_MMAP_THRESHOLD	(128u << 10)    /* glibc M_MMAP_THRESHOLD default */

/* Request sizes: uniform within a row; 70 % are 16..256 bytes. */
static const struct m2_size {
	uint16_t weight;        /* per mille */
	uint32_t min, max;      /* bytes, inclusive */
} m2_sizes[] = {
	{ 220,    16,      32 },        /* list nodes, small strings */
	{ 200,    33,      64 },
	{ 160,    65,     128 },
	{ 120,   129,     256 },
	{  90,   257,     512 },
	{  60,   513,    1024 },
	{  50,  1025,    4096 },        /* I/O buffers */
	{  40,  4097,   16384 },
	{  25, 16385,   65536 },        /* the tail to 64 KiB */
	{   5, 65537, 1u << 20 },       /* a few large ones */
};

/* Allocation entry points; align in bytes (0 = default). */
static const struct m2_func {
	uint16_t weight;        /* per mille */
	uint8_t func;           /* enum trace_alloc_func */
	uint32_t align;
} m2_funcs[] = {
	{ 890, TRACE_FN_MALLOC, 0 },
	{  80, TRACE_FN_CALLOC, 0 },
	{  20, TRACE_FN_POSIX_MEMALIGN, 64 },       /* cache-line aligned */
	{  10, TRACE_FN_ALIGNED_ALLOC, 4096 },      /* page aligned */
};

typedef struct m2_death {
	uint64_t when;          /* owner's operation count at which it is freed */
	uint32_t id;            /* object */
} m2_death_t;

/* Binary min-heap of deaths, earliest first. */
typedef struct m2_heap {
	m2_death_t *e;
	size_t nr, cap;
} m2_heap_t;

typedef struct m2_state m2_state_t;

typedef struct m2_thread {
	task_t task;
	m2_state_t *m2;
	m2_heap_t deaths;       /* objects this thread will free */
	uint64_t nr_ops, ops;   /* operations to do, done */
} m2_thread_t;

struct m2_state {
	m2_thread_t th[M2_THREADS];
	uint64_t *size;         /* bytes, by object id */
	size_t size_cap;        /* slots in size */
	uint64_t live_bytes, peak_live_bytes;
};

static int m2_heap_push(gen_t *g, m2_heap_t *h, m2_death_t d)
{
	m2_death_t *n = gen_grow(g, h->e, &h->cap, h->nr + 1, sizeof(*n));

	if (!n)
		return -1;
	h->e = n;
	size_t i = h->nr++;
	while (i > 0 && h->e[(i - 1) / 2].when > d.when) {
		h->e[i] = h->e[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->e[i] = d;
	return 0;
}

static m2_death_t m2_heap_pop(m2_heap_t *h)
{
	m2_death_t top = h->e[0], last = h->e[--h->nr];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->nr)
			break;
		if (c + 1 < h->nr && h->e[c + 1].when < h->e[c].when)
			c++;
		if (h->e[c].when >= last.when)
			break;
		h->e[i] = h->e[c];
		i = c;
	}
	if (h->nr)
		h->e[i] = last;
	return top;
}

/* Cost of touching n bytes with memset/memcpy. */
static uint64_t copy_cost(uint64_t n)
{
	return NS_COPY_PER_KIB * (n >> 10);
}

static int m2_set_size(gen_t *g, m2_state_t *m2, uint32_t id, uint64_t size)
{
	uint64_t *n = gen_grow(g, m2->size, &m2->size_cap, (size_t)id + 1, sizeof(*n));

	if (!n)
		return -1;
	m2->size = n;
	m2->live_bytes += size;
	if (m2->live_bytes > m2->peak_live_bytes)
		m2->peak_live_bytes = m2->live_bytes;
	m2->size[id] = size;
	return 0;
}

static int m2_free(gen_t *g, task_t *t, m2_state_t *m2, uint32_t id)
{
	uint64_t size = m2->size[id];

	m2->live_bytes -= size;
	return emit_free(g, t, id, size >= M2_MMAP_THRESHOLD ? NS_MALLOC_MMAP : NS_FREE);
}

static int m2_alloc(gen_t *g, m2_thread_t *th)
{
	m2_state_t *m2 = th->m2;
	const struct m2_size *sz = &m2_sizes[PICK(g, m2_sizes)];
	const struct m2_func *fn = &m2_funcs[PICK(g, m2_funcs)];
	uint64_t size = prng_range(&g->rng, sz->min, sz->max);
	uint64_t cost = size >= M2_MMAP_THRESHOLD ? NS_MALLOC_MMAP : NS_MALLOC;
	unsigned bits = (unsigned)prng_below(&g->rng, M2_LIFETIME_BITS);
	uint64_t life = (1ull << bits) + prng_below(&g->rng, 1ull << bits);
	m2_thread_t *owner = th;
	uint32_t id;

	if (fn->func == TRACE_FN_ALIGNED_ALLOC)        /* C11: size a multiple of align */
		size = (size + fn->align - 1) & ~(uint64_t)(fn->align - 1);
	if (fn->func == TRACE_FN_CALLOC)
		cost += copy_cost(size);
	if (prng_chance(&g->rng, M2_HANDOFF_PPM))
		owner = &m2->th[(th - m2->th + 1) % M2_THREADS];
	cost += prng_below(&g->rng, NS_THINK_MAX);
	if (emit_alloc(g, &th->task, fn->func, size, fn->align, cost, &id) ||
	    m2_set_size(g, m2, id, size))
		return -1;
	return m2_heap_push(g, &owner->deaths,
			    (m2_death_t){ .when = owner->ops + life, .id = id });
}

/*
 * Grow a random live object of th's to twice its size or shrink it to half.
 * It keeps its id: whether the allocator moves it is replay's business.
 */
static int m2_realloc(gen_t *g, m2_thread_t *th)
{
	m2_state_t *m2 = th->m2;
	uint32_t id = th->deaths.e[prng_below(&g->rng, th->deaths.nr)].id;
	uint64_t old = m2->size[id];
	uint64_t size = prng_chance(&g->rng, 600000) ? old * 2 : (old + 1) / 2;

	if (size > (1u << 20))
		size = 1u << 20;
	m2->live_bytes -= old;
	if (m2_set_size(g, m2, id, size))
		return -1;
	return EMIT(g, &th->task, NS_REALLOC + copy_cost(old < size ? old : size) +
		    prng_below(&g->rng, NS_THINK_MAX), .type = TRACE_REALLOC,
		    .realloc = { .old_id = id, .new_id = id, .size = size,
				 .func = TRACE_FN_REALLOC });
}

static int m2_step(gen_t *g, task_t *t)
{
	m2_thread_t *th = container_of(t, m2_thread_t, task);
	m2_heap_t *h = &th->deaths;

	if (th->ops == th->nr_ops) {
		if (t->tid != t->pid)                   /* the worker: pthread_exit */
			return emit_exit(g, t, TRACE_EXIT_THREAD, NS_EXIT_THREAD);
		t->done = true;                         /* main: on to pthread_join */
		return 0;
	}
	if (++th->ops == th->nr_ops / 4 && gen_warm(g, t, false))
		return -1;
	if (h->nr && h->e[0].when <= th->ops) {
		m2_death_t d = m2_heap_pop(h);
		return m2_free(g, t, th->m2, d.id);
	}
	if (h->nr && prng_chance(&g->rng, M2_REALLOC_PPM))
		return m2_realloc(g, th);
	return m2_alloc(g, th);
}

static int gen_malloc2(gen_t *g)
{
	m2_state_t m2 = { 0 };
	task_t *run[M2_THREADS];
	m2_thread_t *main_th = &m2.th[0];
	int rc = -1;

	for (uint32_t i = 0; i < M2_THREADS; i++) {
		m2_thread_t *th = &m2.th[i];

		task_init(&th->task, PID_FIRST, PID_FIRST + i, i, 0, m2_step);
		th->m2 = &m2;
		th->nr_ops = (uint64_t)M2_OPS * g->scale;
		run[i] = &th->task;
	}
	g->nr_warm_needed = M2_THREADS;
	if (emit_mark(g, &main_th->task, "start"))
		goto out;
	for (uint32_t i = 1; i < M2_THREADS; i++)
		if (emit_fork(g, &main_th->task, &m2.th[i].task, TRACE_FORK_THREAD,
			      NS_CLONE_THREAD))
			goto out;
	if (gen_run(g, run, M2_THREADS))
		goto out;
	task_wait(&main_th->task, run, M2_THREADS);
	/* Free everything left, earliest death first across the threads. */
	for (;;) {
		m2_heap_t *h = NULL;

		for (uint32_t i = 0; i < M2_THREADS; i++) {
			m2_heap_t *c = &m2.th[i].deaths;

			if (c->nr && (!h || c->e[0].when < h->e[0].when))
				h = c;
		}
		if (!h)
			break;
		if (m2_free(g, &main_th->task, &m2, m2_heap_pop(h).id))
			goto out;
	}
	if (gen_meta_u64(g, "gen.peak_live_objects", g->objects.nr_ids) ||
	    gen_meta_u64(g, "gen.peak_live_bytes", m2.peak_live_bytes))
		goto out;
	rc = emit_exit(g, &main_th->task, 0, NS_EXIT);
out:
	for (uint32_t i = 0; i < M2_THREADS; i++)
		free(m2.th[i].deaths.e);
	free(m2.size);
	return rc;
}

/* ---------------------------------------------------------------- fork_cow */

/*
 * A parent write-touches a 64 MiB anonymous region, then repeatedly forks a
 * child on another CPU that writes a random half of the pages (each a
 * copy-on-write fault) and exits, while the parent writes a random quarter
 * itself; the parent waits for the child before the next fork.  Pages are
 * chosen by selection sampling (Knuth, TAOCP vol. 2, 3.4.2, Algorithm S), so
 * each task writes its share in ascending address order.
 */
#define COW_LEN		(64ull << 20)   /* bytes */
#define COW_ITERS	16              /* forks, times scale */

#define COW_CHILD_WROTE		0x1u    /* the child has its own copy */
#define COW_PARENT_WROTE	0x2u    /* the parent has broken COW */

typedef struct cow_task {
	task_t task;
	proc_t *proc;
	uint64_t addr;          /* the region */
	uint64_t nr_pages;
	uint64_t next;          /* next page Algorithm S considers */
	uint64_t want, chosen;  /* pages to write, written */
	uint8_t *state;         /* COW_* by page, shared by parent and child */
	bool is_child;
	bool *child_alive;
} cow_task_t;

static int cow_step(gen_t *g, task_t *t)
{
	cow_task_t *ct = container_of(t, cow_task_t, task);

	while (ct->chosen < ct->want && ct->next < ct->nr_pages) {
		uint64_t i = ct->next++;

		if (prng_below(&g->rng, ct->nr_pages - i) >= ct->want - ct->chosen)
			continue;
		ct->chosen++;
		ct->proc->nr_minflt++;
		/* Copy while the other side still maps the original page. */
		uint64_t cost;
		if (ct->is_child) {
			cost = ct->state[i] & COW_PARENT_WROTE ? NS_COW_REUSE : NS_COW_COPY;
			ct->state[i] |= COW_CHILD_WROTE;
		} else {
			cost = *ct->child_alive && !(ct->state[i] & COW_CHILD_WROTE) ?
			       NS_COW_COPY : NS_COW_REUSE;
			ct->state[i] |= COW_PARENT_WROTE;
		}
		return emit_store(g, t, ct->addr + (i << PAGE_SHIFT), cost);
	}
	if (!ct->is_child) {
		t->done = true;         /* on to wait4() */
		return 0;
	}
	*ct->child_alive = false;
	return emit_exit(g, t, 0, NS_EXIT + NS_ZAP_PER_PAGE * ct->nr_pages);
}

static int gen_fork_cow(gen_t *g)
{
	uint64_t nr_pages = COW_LEN >> PAGE_SHIFT, addr;
	uint64_t nr_iters = (uint64_t)COW_ITERS * g->scale;
	uint8_t *state = calloc(nr_pages, 1);
	proc_t pproc, cproc;
	cow_task_t parent, child;
	task_t *run[2] = { &parent.task, &child.task };
	bool child_alive = false;
	int rc = -1;

	if (!state)
		return gen_oom(g);
	proc_init(g, &pproc, PID_FIRST);
	parent = (cow_task_t){ .proc = &pproc, .nr_pages = nr_pages, .state = state,
			       .child_alive = &child_alive };
	task_init(&parent.task, PID_FIRST, PID_FIRST, 0, 0, cow_step);
	if (emit_mark(g, &parent.task, "start") ||
	    emit_mmap_anon(g, &parent.task, &pproc, COW_LEN, &addr))
		goto out;
	for (uint64_t i = 0; i < nr_pages; i++) {
		pproc.nr_minflt++;
		if (emit_store(g, &parent.task, addr + (i << PAGE_SHIFT), NS_FIRST_TOUCH))
			goto out;
	}
	parent.addr = addr;
	for (uint64_t it = 0; it < nr_iters; it++) {
		uint32_t pid = PID_FIRST + 1 + (uint32_t)it;

		proc_fork(&pproc, &cproc, pid);
		child = parent;
		child.proc = &cproc;
		child.is_child = true;
		child.want = nr_pages / 2;
		child.next = child.chosen = 0;
		task_init(&child.task, pid, pid, 1, 0, cow_step);
		parent.next = parent.chosen = 0;
		parent.want = nr_pages / 4;
		parent.task.done = false;
		memset(state, 0, nr_pages);
		if (emit_fork(g, &parent.task, &child.task, 0,
			      NS_FORK + NS_FORK_PER_PTE * nr_pages))
			goto out;
		child_alive = true;
		if (gen_run(g, run, 2))
			goto out;
		task_wait(&parent.task, run, 2);
		if (gen_meta_minflt(g, &cproc))
			goto out;
		if (it == 0 && emit_mark(g, &parent.task, "warmup-end"))
			goto out;
	}
	if (emit_munmap(g, &parent.task, &pproc, addr, COW_LEN, nr_pages) ||
	    gen_meta_minflt(g, &pproc))
		goto out;
	rc = emit_exit(g, &parent.task, 0, NS_EXIT);
out:
	free(state);
	return rc;
}

/* ---------------------------------------------------------------- frag, cma_churn */

/* A live block of pages from the page allocator. */
typedef struct block {
	uint32_t id;            /* page-block id */
	uint8_t order;
} block_t;

typedef struct block_set {
	block_t *b;
	size_t nr, cap;
	uint64_t nr_pages;      /* sum of 2^order */
} block_set_t;

static int block_add(gen_t *g, block_set_t *s, uint32_t id, unsigned order)
{
	block_t *n = gen_grow(g, s->b, &s->cap, s->nr + 1, sizeof(*n));

	if (!n)
		return -1;
	s->b = n;
	s->b[s->nr++] = (block_t){ .id = id, .order = (uint8_t)order };
	s->nr_pages += 1ull << order;
	return 0;
}

/* Remove and return a random block of the (non-empty) set. */
static block_t block_take(gen_t *g, block_set_t *s)
{
	size_t i = prng_below(&g->rng, s->nr);
	block_t b = s->b[i];

	s->b[i] = s->b[--s->nr];
	s->nr_pages -= 1ull << b.order;
	return b;
}

/* One class of page-allocator request. */
typedef struct page_class {
	uint16_t weight;        /* relative frequency */
	uint8_t min_order, max_order;
	uint32_t gfp;
	uint32_t pin_ppm;       /* share kept until the end, per million */
} page_class_t;

/*
 * Kernel-side churn shared by frag and cma_churn: a set of worker tasks
 * allocate blocks of the classes in a table, free random live ones, and keep
 * the live total near target_pages; a share of some classes is pinned
 * (never freed before the end).  When ops_left runs out they free the rest,
 * pinned blocks last, and exit.
 */
typedef struct churn {
	const page_class_t *classes;
	size_t nr_classes;
	uint64_t target_pages;  /* live pages to hover around */
	uint64_t max_pinned;    /* pinned pages at most */
	uint64_t ops_left;      /* allocations and frees still to do */
	uint32_t fill_ppm;      /* chance of allocating while below target */
	uint32_t churn_ppm;     /* ... and at or above it */
	block_set_t live;       /* freed at random */
	block_set_t pinned;     /* freed at the end */
	uint64_t peak_pages;    /* most pages live at once */
} churn_t;

typedef struct churn_task {
	task_t task;
	churn_t *c;
} churn_task_t;

static uint64_t kernel_think(gen_t *g)
{
	return prng_below(&g->rng, NS_KERNEL_THINK_MAX);
}

static int churn_alloc(gen_t *g, task_t *t, churn_t *c)
{
	size_t k = pick_weighted(g, &c->classes[0].weight, sizeof(c->classes[0]),
				 c->nr_classes);
	const page_class_t *pc = &c->classes[k];
	unsigned order = (unsigned)prng_range(&g->rng, pc->min_order, pc->max_order);
	bool pin = prng_chance(&g->rng, pc->pin_ppm) &&
		   c->pinned.nr_pages + (1ull << order) <= c->max_pinned;
	uint32_t id;

	if (emit_page_alloc(g, t, order, pc->gfp, kernel_think(g), &id) ||
	    block_add(g, pin ? &c->pinned : &c->live, id, order))
		return -1;
	uint64_t live = c->live.nr_pages + c->pinned.nr_pages;
	if (live > c->peak_pages)
		c->peak_pages = live;
	if (live >= c->target_pages)
		return gen_warm(g, t, false);
	return 0;
}

static int churn_step(gen_t *g, task_t *t)
{
	churn_t *c = container_of(t, churn_task_t, task)->c;
	block_t b;

	if (c->ops_left) {
		bool below = c->live.nr_pages + c->pinned.nr_pages < c->target_pages;

		c->ops_left--;
		if (!c->live.nr || prng_chance(&g->rng, below ? c->fill_ppm : c->churn_ppm))
			return churn_alloc(g, t, c);
		b = block_take(g, &c->live);
	} else if (c->live.nr) {
		b = block_take(g, &c->live);
	} else if (c->pinned.nr) {
		b = block_take(g, &c->pinned);
	} else {
		return emit_exit(g, t, 0, NS_EXIT);
	}
	return emit_page_free(g, t, b.id, b.order, kernel_think(g));
}

#define CHURN_MAX_TASKS	4

/*
 * Run nr (<= CHURN_MAX_TASKS) churn workers, pids first_pid.. on CPUs
 * first_cpu.., alongside nr_others (<= CHURN_MAX_TASKS) other tasks.
 */
static int churn_run(gen_t *g, churn_t *c, uint32_t nr, uint32_t first_pid,
		     uint32_t first_cpu, task_t *const *others, size_t nr_others)
{
	churn_task_t w[CHURN_MAX_TASKS];
	task_t *run[2 * CHURN_MAX_TASKS];
	size_t n = 0;

	for (uint32_t i = 0; i < nr; i++) {
		task_init(&w[i].task, first_pid + i, first_pid + i, first_cpu + i, 0,
			  churn_step);
		w[i].c = c;
		run[n++] = &w[i].task;
	}
	for (size_t i = 0; i < nr_others; i++)
		run[n++] = others[i];
	if (emit_mark(g, run[0], "start"))
		return -1;
	return gen_run(g, run, n);
}

static void churn_free(churn_t *c)
{
	free(c->live.b);
	free(c->pinned.b);
}

/*
 * frag: buddy-allocator fragmentation.  Four kernel workers (one per CPU)
 * fill 60 % of a 1 GiB machine with a mix of movable user pages, unmovable
 * and reclaimable slab pages, higher-order kernel buffers and a few THP
 * attempts, then churn around that level.  A share of the unmovable blocks
 * stay pinned until the end, so free memory scatters between them.
 * Order-9 requests are attempts: replay decides whether they succeed.
 */
#define FRAG_MEM_KB	(1ull << 20)
#define FRAG_CPUS	4
#define FRAG_OPS	300000
_Static_assert(FRAG_CPUS <= CHURN_MAX_TASKS, "one churn worker per CPU");

static const page_class_t frag_classes[] = {
	{ 5600, 0, 0, GFP_HIGHUSER_MOVABLE, 0 },                /* anon, page cache */
	{  400, 1, 4, GFP_HIGHUSER_MOVABLE | GFP_F_COMP, 0 },   /* large folios */
	{ 1800, 0, 0, GFP_KERNEL, 120000 },                     /* slab, page tables */
	{  800, 0, 1, GFP_KERNEL | GFP_F_RECLAIMABLE, 50000 },  /* dentry, inode */
	{  800, 1, 3, GFP_KERNEL | GFP_F_COMP, 100000 },        /* kmalloc-8k, task_struct */
	{  500, 3, 3, GFP_PAGE_FRAG, 0 },                       /* network frag cache */
	{   95, 4, 4, GFP_KERNEL | GFP_F_COMP, 300000 },        /* driver buffers */
	{    5, 9, 9, GFP_TRANSHUGE_LIGHT, 0 },                 /* THP faults */
};

static int gen_frag(gen_t *g)
{
	uint64_t mem_pages = FRAG_MEM_KB >> (PAGE_SHIFT - 10);
	churn_t c = {
		.classes = frag_classes,
		.nr_classes = sizeof(frag_classes) / sizeof(frag_classes[0]),
		.target_pages = mem_pages * 6 / 10,
		.max_pinned = mem_pages * 15 / 100,
		.ops_left = (uint64_t)FRAG_OPS * g->scale,
		.fill_ppm = 900000,
		.churn_ppm = 400000,
	};
	int rc = -1;

	g->nr_warm_needed = 1;
	if (churn_run(g, &c, FRAG_CPUS, PID_FIRST, 0, NULL, 0))
		goto out;
	rc = gen_meta_u64(g, "gen.peak_live_pages", c.peak_pages);
out:
	churn_free(&c);
	return rc;
}

/*
 * cma_churn: a device (pid 1001, CPU 1) allocates and releases contiguous
 * ranges of 16..4096 pages from CMA area 0 (64 MiB of a 512 MiB machine)
 * every 20..200 us while an application (pid 1000, CPU 0) keeps 70 % of
 * memory busy with movable page traffic, the kind that the page allocator
 * places in free CMA pageblocks and cma_alloc() must then migrate away.
 * Alignment is get_order() of the size capped at CONFIG_CMA_ALIGNMENT (8),
 * as dma_alloc_from_contiguous() asks, or 0 for a fifth of the requests.
 * The generator cannot know whether a request fails: err is always 0.
 */
#define CMA_MEM_KB	(512ull << 10)
#define CMA_AREA_KB	(64ull << 10)
#define CMA_OPS		250000          /* page operations, times scale */
#define CMA_MAX_LIVE	8               /* device allocations held at once */
#define CMA_ALIGNMENT	8               /* CONFIG_CMA_ALIGNMENT default */

static const page_class_t cma_page_classes[] = {
	{ 850, 0, 0, GFP_HIGHUSER_MOVABLE, 0 },
	{  50, 2, 2, GFP_HIGHUSER_MOVABLE | GFP_F_COMP, 0 },
	{ 100, 0, 0, GFP_KERNEL, 0 },
};

typedef struct cma_dev {
	task_t task;
	churn_t *app;           /* done when its operations are */
	struct { uint32_t id; uint64_t count; } live[CMA_MAX_LIVE];
	uint32_t nr_live;
	uint64_t live_pages, max_pages, peak_pages;
} cma_dev_t;

static int cma_dev_step(gen_t *g, task_t *t)
{
	cma_dev_t *d = container_of(t, cma_dev_t, task);
	bool app_done = d->app->ops_left == 0;
	uint64_t think = prng_range(&g->rng, NS_CMA_THINK_MIN, NS_CMA_THINK_MAX);

	if (app_done && !d->nr_live)
		return emit_exit(g, t, 0, NS_EXIT);
	if (!app_done && d->nr_live < CMA_MAX_LIVE &&
	    (!d->nr_live || prng_chance(&g->rng, 550000))) {
		unsigned e = 4 + (unsigned)prng_below(&g->rng, 9);     /* 16..4096 */
		uint64_t count = prng_range(&g->rng, 1ull << e,
					    e == 12 ? 4096 : (2ull << e) - 1);
		unsigned align = order_of_pages(count);
		uint32_t id;

		if (align > CMA_ALIGNMENT)
			align = CMA_ALIGNMENT;
		if (prng_chance(&g->rng, 200000))
			align = 0;
		if (d->live_pages + count <= d->max_pages) {
			if (emit_cma_alloc(g, t, count, align, think, &id))
				return -1;
			d->live[d->nr_live].id = id;
			d->live[d->nr_live++].count = count;
			d->live_pages += count;
			if (d->live_pages > d->peak_pages)
				d->peak_pages = d->live_pages;
			return 0;
		}
		/* Does not fit now: release something instead. */
	}
	uint32_t i = (uint32_t)prng_below(&g->rng, d->nr_live);
	uint32_t id = d->live[i].id;
	uint64_t count = d->live[i].count;

	d->live[i] = d->live[--d->nr_live];
	d->live_pages -= count;
	return emit_cma_release(g, t, id, count, think);
}

static int gen_cma_churn(gen_t *g)
{
	uint64_t mem_pages = CMA_MEM_KB >> (PAGE_SHIFT - 10);
	churn_t c = {
		.classes = cma_page_classes,
		.nr_classes = sizeof(cma_page_classes) / sizeof(cma_page_classes[0]),
		.target_pages = mem_pages * 7 / 10,
		.max_pinned = 0,
		.ops_left = (uint64_t)CMA_OPS * g->scale,
		.fill_ppm = 900000,
		.churn_ppm = 450000,
	};
	cma_dev_t dev = { .app = &c };
	task_t *others[1] = { &dev.task };
	int rc = -1;

	dev.max_pages = (CMA_AREA_KB >> (PAGE_SHIFT - 10)) * 3 / 4;
	task_init(&dev.task, PID_FIRST + 1, PID_FIRST + 1, 1, 0, cma_dev_step);
	g->nr_warm_needed = 1;
	if (churn_run(g, &c, 1, PID_FIRST, 0, others, 1))
		goto out;
	if (gen_meta_u64(g, "gen.peak_live_pages", c.peak_pages) ||
	    gen_meta_u64(g, "gen.peak_cma_pages", dev.peak_pages))
		goto out;
	rc = 0;
out:
	churn_free(&c);
	return rc;
}

/* ---------------------------------------------------------------- registry */

enum {
	GEN_PAGE_FAULT1,
	GEN_BRK1,
	GEN_MMAP1,
	GEN_MALLOC1,
	GEN_MALLOC2,
	GEN_FORK_COW,
	GEN_FRAG,
	GEN_CMA_CHURN,
	NR_GENERATORS
};

static const generator_t generator_list[NR_GENERATORS] = {
	[GEN_PAGE_FAULT1] = { "page_fault1",
		"2 processes: mmap 128 MiB, write every page, munmap (will-it-scale page_fault1)" },
	[GEN_BRK1] = { "brk1",
		"brk up one page and back down in a loop (will-it-scale brk1)" },
	[GEN_MMAP1] = { "mmap1",
		"mmap 128 MiB anonymous and munmap it, untouched (will-it-scale mmap1)" },
	[GEN_MALLOC1] = { "malloc1",
		"malloc(1 KiB) and free at once in a loop: the allocator fast path" },
	[GEN_MALLOC2] = { "malloc2",
		"2 threads churning a heap of small objects with random lifetimes" },
	[GEN_FORK_COW] = { "fork_cow",
		"fork a 64 MiB process repeatedly; child and parent write pages (COW)" },
	[GEN_FRAG] = { "frag",
		"buddy fragmentation: mixed orders and migratetypes, pinned blocks" },
	[GEN_CMA_CHURN] = { "cma_churn",
		"CMA allocations of 16..4096 pages against movable page traffic" },
};

/* How to run each generator and the machine its trace describes. */
static const struct gen_def {
	int (*fn)(gen_t *g);
	uint32_t nr_cpus;       /* simulated CPUs */
	uint64_t mem_total_kb;  /* simulated MemTotal */
	uint64_t cma_total_kb;  /* simulated CmaTotal, 0 = no CMA */
	bool minflt;            /* writes proc.<pid>.minflt */
} gen_defs[NR_GENERATORS] = {
	[GEN_PAGE_FAULT1] = { gen_page_fault1, 2, 2ull << 20, 0, true },
	[GEN_BRK1] = { gen_brk1, 1, 2ull << 20, 0, false },
	[GEN_MMAP1] = { gen_mmap1, 1, 2ull << 20, 0, false },
	[GEN_MALLOC1] = { gen_malloc1, 1, 2ull << 20, 0, false },
	[GEN_MALLOC2] = { gen_malloc2, 2, 2ull << 20, 0, false },
	[GEN_FORK_COW] = { gen_fork_cow, 2, 2ull << 20, 0, true },
	[GEN_FRAG] = { gen_frag, FRAG_CPUS, FRAG_MEM_KB, 0, false },
	[GEN_CMA_CHURN] = { gen_cma_churn, 2, CMA_MEM_KB, CMA_AREA_KB, false },
};

const generator_t *generators(size_t *nr)
{
	*nr = NR_GENERATORS;
	return generator_list;
}

/* Every generator must end with nothing live; anything else is its bug. */
static int gen_check_end(gen_t *g)
{
	if (g->objects.nr_live || g->pages.nr_live || g->cma.nr_live)
		return trace_error_set(g->err, g->path, TRACE_NO_EVENT, 0,
				       "generator left %" PRIu32 " objects, %" PRIu32
				       " page blocks, %" PRIu32 " CMA allocations live",
				       g->objects.nr_live, g->pages.nr_live,
				       g->cma.nr_live);
	return 0;
}

int generate_trace(const char *name, uint64_t seed, uint32_t scale,
		   const char *out_path, trace_error_t *err)
{
	size_t k;

	for (k = 0; k < NR_GENERATORS; k++)
		if (!strcmp(name, generator_list[k].name))
			break;
	if (k == NR_GENERATORS) {
		trace_error_set(err, out_path, TRACE_NO_EVENT, 0,
				"no generator named \"%.64s\"", name);
		return -2;
	}
	if (scale < 1)
		return trace_error_set(err, out_path, TRACE_NO_EVENT, 0,
				       "scale must be at least 1");

	const struct gen_def *def = &gen_defs[k];
	char seed_s[24], scale_s[16], cpus_s[16], mem_s[24], cma_s[24], cmd[160];
	trace_meta_t meta[12];
	size_t nr_meta = 0;

	snprintf(seed_s, sizeof(seed_s), "%" PRIu64, seed);
	snprintf(scale_s, sizeof(scale_s), "%" PRIu32, scale);
	snprintf(cpus_s, sizeof(cpus_s), "%" PRIu32, def->nr_cpus);
	snprintf(mem_s, sizeof(mem_s), "%" PRIu64, def->mem_total_kb);
	snprintf(cma_s, sizeof(cma_s), "%" PRIu64, def->cma_total_kb);
	snprintf(cmd, sizeof(cmd), "mmbench generate %s --seed %s --scale %s",
		 name, seed_s, scale_s);
	meta[nr_meta++] = (trace_meta_t){ "source", "synthetic" };
	meta[nr_meta++] = (trace_meta_t){ "generator", generator_list[k].name };
	meta[nr_meta++] = (trace_meta_t){ "description", generator_list[k].summary };
	meta[nr_meta++] = (trace_meta_t){ "seed", seed_s };
	meta[nr_meta++] = (trace_meta_t){ "scale", scale_s };
	meta[nr_meta++] = (trace_meta_t){ "cmdline", cmd };
	meta[nr_meta++] = (trace_meta_t){ "arch", "x86_64" };
	meta[nr_meta++] = (trace_meta_t){ "page_size", "4096" };
	meta[nr_meta++] = (trace_meta_t){ "nr_cpus", cpus_s };
	meta[nr_meta++] = (trace_meta_t){ "mem_total_kb", mem_s };
	if (def->cma_total_kb)
		meta[nr_meta++] = (trace_meta_t){ "cma_total_kb", cma_s };
	if (def->minflt)
		meta[nr_meta++] = (trace_meta_t){ "minflt_model",
			"4 KiB base pages, no THP: first touches + first writes after fork" };

	gen_t g = { .path = out_path, .err = err, .scale = scale };
	prng_seed(&g.rng, seed);
	g.w = trace_writer_open(out_path, meta, nr_meta, NULL, err);
	if (!g.w)
		return -1;
	int rc = def->fn(&g) || gen_check_end(&g) ||
		 (def->minflt && gen_meta_u64(&g, "minflt_total", g.minflt_total));
	if (rc)
		trace_writer_abort(g.w);
	else
		rc = trace_writer_close(g.w, err);
	free(g.objects.free);
	free(g.pages.free);
	free(g.cma.free);
	return rc ? -1 : 0;
}
