/*
 * gen_common.c - machinery shared by the synthetic trace generators (see
 * gen_common.h): id pools, task clocks and scheduling, process address
 * spaces, the emit_*() event writers and trailer metadata.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/gen_common.h"

/* ---------------------------------------------------------------- Linux values */

/* mmap(2) arguments, Linux x86-64 (include/uapi/asm-generic/mman-common.h). */
#define LINUX_PROT_READ		0x1u
#define LINUX_PROT_WRITE	0x2u
#define LINUX_MAP_PRIVATE	0x02u
#define LINUX_MAP_ANONYMOUS	0x20u

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

/* ---------------------------------------------------------------- memory */

int gen_oom(gen_t *g)
{
	return trace_error_set(g->err, g->path, TRACE_NO_EVENT, 0, "out of memory");
}

void *gen_grow(gen_t *g, void *buf, size_t *cap, size_t need, size_t size)
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

/* ---------------------------------------------------------------- ids */

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

/* ---------------------------------------------------------------- tasks */

/* cost_ns plus a seeded jitter of up to 1/8 of it. */
static uint64_t jitter(gen_t *g, uint64_t cost_ns)
{
	return cost_ns + prng_below(&g->rng, cost_ns / 8 + 1);
}

int emit_event(gen_t *g, task_t *t, trace_event_t *ev, uint64_t cost_ns)
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

void gen_task_init(task_t *t, uint32_t pid, uint32_t tid, uint32_t cpu,
		   uint64_t clock, int (*step)(gen_t *, task_t *))
{
	*t = (task_t){ .clock = clock, .cpu = cpu, .pid = pid, .tid = tid,
		       .step = step };
}

void gen_task_wait(task_t *t, task_t *const *others, size_t nr)
{
	uint64_t latest = t->clock;

	for (size_t i = 0; i < nr; i++)
		if (others[i]->clock > latest)
			latest = others[i]->clock;
	t->clock = latest + NS_WAKEUP;
}

int emit_mark(gen_t *g, task_t *t, const char *name)
{
	return EMIT(g, t, 0, .type = TRACE_MARK,
		    .mark = { .name = name, .name_len = (uint32_t)strlen(name) });
}

int gen_run(gen_t *g, task_t *const *tasks, size_t nr)
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

int gen_warm(gen_t *g, task_t *t, bool now)
{
	if (g->warmed_up || ++g->nr_warm < g->nr_warm_needed)
		return 0;
	g->warmed_up = true;
	if (now)
		return emit_mark(g, t, "warmup-end");
	t->mark = "warmup-end";
	return 0;
}

int emit_fork(gen_t *g, task_t *parent, task_t *child, uint32_t flags,
	      uint64_t cost_ns)
{
	uint32_t id = flags & TRACE_FORK_THREAD ? child->tid : child->pid;

	if (EMIT(g, parent, cost_ns, .type = TRACE_FORK,
		 .fork = { .child = id, .flags = flags }))
		return -1;
	child->clock = parent->clock;
	return 0;
}

int emit_exit(gen_t *g, task_t *t, uint32_t flags, uint64_t cost_ns)
{
	t->done = true;
	return EMIT(g, t, cost_ns, .type = TRACE_EXIT,
		    .exit = { .code = 0, .flags = flags });
}

/* ---------------------------------------------------------------- address spaces */

void gen_proc_init(gen_t *g, proc_t *p, uint32_t pid)
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

void gen_proc_fork(const proc_t *parent, proc_t *child, uint32_t pid)
{
	*child = *parent;
	child->pid = pid;
	child->nr_minflt = 0;
}

int emit_mmap_anon(gen_t *g, task_t *t, proc_t *p, uint64_t len,
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

int emit_munmap(gen_t *g, task_t *t, proc_t *p, uint64_t addr,
		uint64_t len, uint64_t nr_present)
{
	if (addr == p->mmap_low)
		p->mmap_low += len;
	return EMIT(g, t, NS_MUNMAP + NS_ZAP_PER_PAGE * nr_present,
		    .type = TRACE_MUNMAP, .munmap = { .addr = addr, .len = len });
}

int emit_brk(gen_t *g, task_t *t, proc_t *p, uint64_t request)
{
	if (request)
		p->brk = request;
	return EMIT(g, t, NS_BRK, .type = TRACE_BRK,
		    .brk = { .request = request, .result = p->brk });
}

int emit_store(gen_t *g, task_t *t, uint64_t addr, uint64_t cost_ns)
{
	return EMIT(g, t, cost_ns, .type = TRACE_ACCESS,
		    .access = { .addr = addr,
				.flags = TRACE_FAULT_WRITE | TRACE_FAULT_USER });
}

/* ---------------------------------------------------------------- allocations */

int emit_alloc(gen_t *g, task_t *t, uint8_t func, uint64_t size,
	       uint64_t align, uint64_t cost_ns, uint32_t *id)
{
	if (id_get(g, &g->objects, id))
		return -1;
	return EMIT(g, t, cost_ns, .type = TRACE_ALLOC,
		    .alloc = { .id = *id, .cache = TRACE_NO_ID, .size = size,
			       .align = align, .gfp = 0, .func = func });
}

int emit_free(gen_t *g, task_t *t, uint32_t id, uint64_t cost_ns)
{
	id_put(&g->objects, id);
	return EMIT(g, t, cost_ns, .type = TRACE_FREE,
		    .free = { .id = id, .cache = TRACE_NO_ID, .func = TRACE_FN_FREE });
}

int emit_page_alloc(gen_t *g, task_t *t, unsigned order, uint32_t gfp,
		    uint64_t think_ns, uint32_t *id)
{
	if (id_get(g, &g->pages, id))
		return -1;
	return EMIT(g, t, NS_PAGE_ALLOC + NS_PAGE_ALLOC_ORDER * order + think_ns,
		    .type = TRACE_PAGE_ALLOC,
		    .page_alloc = { .page = *id, .gfp = gfp, .order = (uint8_t)order,
				    .migratetype = (uint8_t)gfp_migratetype(gfp) });
}

int emit_page_free(gen_t *g, task_t *t, uint32_t id, unsigned order,
		   uint64_t think_ns)
{
	id_put(&g->pages, id);
	return EMIT(g, t, NS_PAGE_FREE + NS_PAGE_FREE_ORDER * order + think_ns,
		    .type = TRACE_PAGE_FREE,
		    .page_free = { .page = id, .order = (uint8_t)order });
}

int emit_cma_alloc(gen_t *g, task_t *t, uint64_t count, unsigned align,
		   uint64_t think_ns, uint32_t *id)
{
	if (id_get(g, &g->cma, id))
		return -1;
	return EMIT(g, t, NS_CMA_ALLOC + NS_CMA_PER_PAGE * count + think_ns,
		    .type = TRACE_CMA_ALLOC,
		    .cma = { .area = 0, .id = *id, .count = count,
			     .align = (uint8_t)align, .err = 0 });
}

int emit_cma_release(gen_t *g, task_t *t, uint32_t id, uint64_t count,
		     uint64_t think_ns)
{
	id_put(&g->cma, id);
	return EMIT(g, t, NS_CMA_RELEASE + NS_CMA_RELEASE_PER_PAGE * count + think_ns,
		    .type = TRACE_CMA_RELEASE,
		    .cma = { .area = 0, .id = id, .count = count });
}

/* ---------------------------------------------------------------- metadata */

int gen_meta_u64(gen_t *g, const char *key, uint64_t value)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, value);
	if (trace_writer_add_meta(g->w, key, buf)) {
		*g->err = *trace_writer_error(g->w);
		return -1;
	}
	return 0;
}

int gen_meta_minflt(gen_t *g, const proc_t *p)
{
	char key[40];

	g->minflt_total += p->nr_minflt;
	if (g->nr_minflt_meta == MAX_PROC_META)
		return 0;
	g->nr_minflt_meta++;
	snprintf(key, sizeof(key), "proc.%" PRIu32 ".minflt", p->pid);
	return gen_meta_u64(g, key, p->nr_minflt);
}

/* ---------------------------------------------------------------- choices */

size_t gen_pick_weighted(gen_t *g, const uint16_t *weight, size_t stride,
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

unsigned gen_order_of_pages(uint64_t n)
{
	unsigned order = 0;

	while ((1ull << order) < n)
		order++;
	return order;
}
