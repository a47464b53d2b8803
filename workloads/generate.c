/*
 * generate.c - deterministic synthetic trace generators (see generate.h):
 * the user-space generators (page_fault1, brk1, mmap1, malloc1, malloc2,
 * fork_cow), the registry of all generators and generate_trace().
 *
 * Each generator is a small simulated program: one or more tasks (processes
 * or threads) that write events through the trace writer.  The output
 * depends only on (name, seed, scale): randomness comes from one prng_t
 * seeded with the seed, time is virtual, and nothing reads the host.  The
 * machinery they share (virtual time, tasks, ids, the emit_*() helpers) is
 * in gen_common.{c,h}; the kernel-side generators, frag and cma_churn, are
 * in generate_kernel.{c,h}.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/prng.h"
#include "workloads/gen_common.h"
#include "workloads/generate.h"
#include "workloads/generate_kernel.h"

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

	gen_proc_init(g, &pproc, PID_FIRST);
	gen_task_init(&parent, PID_FIRST, PID_FIRST, 0, 0, NULL);
	if (emit_mark(g, &parent, "start"))
		return -1;
	g->nr_warm_needed = PF1_TASKS;
	for (uint32_t i = 0; i < PF1_TASKS; i++) {
		uint32_t pid = PID_FIRST + 1 + i;
		pf1_task_t *c = &child[i];

		*c = (pf1_task_t){ .nr_iters = (uint64_t)PF1_ITERS * g->scale };
		gen_task_init(&c->task, pid, pid, i, 0, pf1_step);
		gen_proc_fork(&pproc, &c->proc, pid);
		run[i] = &c->task;
		if (emit_fork(g, &parent, &c->task, 0, NS_FORK))
			return -1;
	}
	if (gen_run(g, run, PF1_TASKS))
		return -1;
	gen_task_wait(&parent, run, PF1_TASKS);
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

	gen_proc_init(g, &p, PID_FIRST);
	gen_task_init(&t, PID_FIRST, PID_FIRST, 0, 0, NULL);
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

		gen_task_init(&th->task, PID_FIRST, PID_FIRST + i, i, 0, m2_step);
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
	gen_task_wait(&main_th->task, run, M2_THREADS);
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
	gen_proc_init(g, &pproc, PID_FIRST);
	parent = (cow_task_t){ .proc = &pproc, .nr_pages = nr_pages, .state = state,
			       .child_alive = &child_alive };
	gen_task_init(&parent.task, PID_FIRST, PID_FIRST, 0, 0, cow_step);
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

		gen_proc_fork(&pproc, &cproc, pid);
		child = parent;
		child.proc = &cproc;
		child.is_child = true;
		child.want = nr_pages / 2;
		child.next = child.chosen = 0;
		gen_task_init(&child.task, pid, pid, 1, 0, cow_step);
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
		gen_task_wait(&parent.task, run, 2);
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
