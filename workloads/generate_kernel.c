/*
 * generate_kernel.c - the kernel-side generators, frag and cma_churn (see
 * generate_kernel.h): worker tasks that call the page allocator and the CMA
 * allocator directly, as kernel code and drivers do.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "engine/prng.h"
#include "workloads/gen_common.h"
#include "workloads/generate_kernel.h"

/* ---------------------------------------------------------------- page-block churn */

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
	size_t k = gen_pick_weighted(g, &c->classes[0].weight,
				     sizeof(c->classes[0]), c->nr_classes);
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
		gen_task_init(&w[i].task, first_pid + i, first_pid + i,
			      first_cpu + i, 0, churn_step);
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

/* ---------------------------------------------------------------- frag */

/*
 * frag: buddy-allocator fragmentation.  Four kernel workers (one per CPU)
 * fill 60 % of a 1 GiB machine with a mix of movable user pages, unmovable
 * and reclaimable slab pages, higher-order kernel buffers and a few THP
 * attempts, then churn around that level.  A share of the unmovable blocks
 * stay pinned until the end, so free memory scatters between them.
 * Order-9 requests are attempts: replay decides whether they succeed.
 */
#define FRAG_OPS	300000          /* page operations, times scale */
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

int gen_frag(gen_t *g)
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

/* ---------------------------------------------------------------- cma_churn */

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
		unsigned align = gen_order_of_pages(count);
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

int gen_cma_churn(gen_t *g)
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
	gen_task_init(&dev.task, PID_FIRST + 1, PID_FIRST + 1, 1, 0, cma_dev_step);
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
