/*
 * replay.c - the replay driver (bench/replay.h): dispatch, measurement and
 * the results directory.
 */
#include "bench/replay.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/cli.h"
#include "bench/clock.h"
#include "bench/hist.h"
#include "bench/hwcounters.h"
#include "bench/results.h"
#include "bench/replay_vm.h"
#include "bench/summary.h"
#include "engine/cma.h"
#include "engine/page_alloc.h"
#include "engine/slub.h"
#include "engine/util.h"
#include "engine/vmalloc.h"
#include "engine/vmstat.h"
#include "traces/trace.h"

/* ---------------------------------------------------------------- event kinds */

/* What a histogram is kept for: one kind per engine operation class. */
enum replay_kind {
	KIND_PAGE_ALLOC,                /* + order: page_alloc_o0 .. page_alloc_o12 */
	KIND_PAGE_ALLOC_FAILED = KIND_PAGE_ALLOC + MAX_ORDER_LIMIT + 1,
	KIND_PAGE_FREE,
	KIND_COMPACTION,                /* allocations that ran direct compaction (also in their order's kind) */
	KIND_CMA_ALLOC,
	KIND_CMA_ALLOC_FAILED,
	KIND_CMA_RELEASE,
	KIND_ALLOC_FAILED,              /* an ALLOC or REALLOC the engine could not satisfy */
	KIND_CACHE_CREATE,
	KIND_CACHE_DESTROY,
	KIND_FUNC,                      /* + enum trace_alloc_func: malloc, free, kmalloc, ... */
	KIND_VM = KIND_FUNC + TRACE_NR_FUNCS, /* + enum rv_kind: mmap, ..., fault_anon, ... */
	NR_KINDS = KIND_VM + NR_RV_KINDS,
	KIND_NONE = NR_KINDS            /* not measured: a trace error, or nothing to do */
};

static const char *const kind_names_fixed[] = {
	[KIND_PAGE_ALLOC_FAILED - KIND_PAGE_ALLOC_FAILED] = "page_alloc_failed",
	[KIND_PAGE_FREE - KIND_PAGE_ALLOC_FAILED] = "page_free",
	[KIND_COMPACTION - KIND_PAGE_ALLOC_FAILED] = "compaction",
	[KIND_CMA_ALLOC - KIND_PAGE_ALLOC_FAILED] = "cma_alloc",
	[KIND_CMA_ALLOC_FAILED - KIND_PAGE_ALLOC_FAILED] = "cma_alloc_failed",
	[KIND_CMA_RELEASE - KIND_PAGE_ALLOC_FAILED] = "cma_release",
	[KIND_ALLOC_FAILED - KIND_PAGE_ALLOC_FAILED] = "alloc_failed",
	[KIND_CACHE_CREATE - KIND_PAGE_ALLOC_FAILED] = "cache_create",
	[KIND_CACHE_DESTROY - KIND_PAGE_ALLOC_FAILED] = "cache_destroy",
};

static const char *kind_name(unsigned kind, char *buf, size_t len)
{
	if (kind < KIND_PAGE_ALLOC_FAILED)
		snprintf(buf, len, "page_alloc_o%u", kind - KIND_PAGE_ALLOC);
	else if (kind >= KIND_VM)
		snprintf(buf, len, "%s", replay_vm_kind_name(kind - KIND_VM));
	else if (kind >= KIND_FUNC)
		snprintf(buf, len, "%s", trace_func_name(kind - KIND_FUNC));
	else
		snprintf(buf, len, "%s", kind_names_fixed[kind - KIND_PAGE_ALLOC_FAILED]);
	return buf;
}

/* ---------------------------------------------------------------- trace errors */

/* Semantic trace errors: counted, the first few printed, replay goes on. */
enum replay_error {
	RERR_PAGE_FREE_UNKNOWN,         /* page id freed while not allocated */
	RERR_PAGE_ALLOC_LIVE,           /* page id allocated while still allocated */
	RERR_PAGE_FREE_ORDER,           /* freed with another order than allocated */
	RERR_CMA_NO_AREA,               /* CMA area index the policy does not configure */
	RERR_CMA_RELEASE_UNKNOWN,       /* CMA id released while not allocated */
	RERR_CMA_ALLOC_LIVE,            /* CMA id allocated while still allocated */
	RERR_ALLOC_LIVE,                /* object id allocated while still allocated */
	RERR_FREE_UNKNOWN,              /* object id freed (or realloc'd) while not allocated */
	RERR_FREE_REJECTED,             /* the engine refused the free (e.g. wrong cache) */
	RERR_CACHE_CREATE,              /* cache could not be created (bad size or alignment) */
	RERR_CACHE_LIVE,                /* cache id created again while it exists */
	RERR_CACHE_UNKNOWN,             /* cache id destroyed while it does not exist */
	RERR_CACHE_BUSY,                /* cache destroyed with live objects: it stays */
	NR_REPLAY_ERRORS
};

static const char *const replay_error_names[NR_REPLAY_ERRORS] = {
	[RERR_PAGE_FREE_UNKNOWN] = "page_free_unknown",
	[RERR_PAGE_ALLOC_LIVE] = "page_alloc_live_id",
	[RERR_PAGE_FREE_ORDER] = "page_free_order_mismatch",
	[RERR_CMA_NO_AREA] = "cma_area_missing",
	[RERR_CMA_RELEASE_UNKNOWN] = "cma_release_unknown",
	[RERR_CMA_ALLOC_LIVE] = "cma_alloc_live_id",
	[RERR_ALLOC_LIVE] = "alloc_live_id",
	[RERR_FREE_UNKNOWN] = "free_unknown",
	[RERR_FREE_REJECTED] = "free_rejected",
	[RERR_CACHE_CREATE] = "cache_create_failed",
	[RERR_CACHE_LIVE] = "cache_create_live_id",
	[RERR_CACHE_UNKNOWN] = "cache_destroy_unknown",
	[RERR_CACHE_BUSY] = "cache_destroy_busy",
};

#define REPLAY_ERRORS_PRINTED 5         /* per reason; the rest are counted */

/* ---------------------------------------------------------------- state */

#define PFN_FAILED (PFN_NONE - 1)       /* page id whose allocation failed */
#define OWNER_REPLAY 1                  /* phys owner kind of trace page ids */
#define BATCH 256
#define OBJ_NONE 0                      /* object id not allocated */
#define OBJ_FAILED 1                    /* object id whose allocation failed */
#define CACHE_FAILED ((struct kmem_cache *)1) /* cache id whose creation failed */

struct cma_alloc_slot {
	pfn_t pfn;                      /* first page, PFN_NONE when not live, PFN_FAILED after a failure */
	uint32_t area;                  /* CMA area index */
	uint64_t count;                 /* pages */
};

struct replay {
	const struct policy *pol;
	const struct replay_opts *o;
	phys_t pm;
	trace_reader_t *r;
	bool chunk_prefetch;            /* r decompresses ahead on a helper thread */
	const trace_summary_t *sum;
	char trace_name[256];
	pfn_t *page_pfn;                /* [nr_pages]: pfn of each trace page id, PFN_NONE, PFN_FAILED */
	uint8_t *page_order;            /* [nr_pages]: order it was allocated with */
	struct cma_alloc_slot *cma;     /* [nr_cma] */
	slub_t slub;                    /* SLUB and kmalloc on pm */
	vmalloc_t vm;                   /* vmalloc on pm */
	replay_vm_t vmr;                /* the process side: address spaces, faults, TLB */
	bool slub_up, vm_up, vmr_up;    /* initialised */
	uint64_t *obj_addr;             /* [nr_objects]: simulated address, OBJ_NONE, OBJ_FAILED */
	uint64_t *obj_size;             /* [nr_objects]: bytes the engine allocated for it */
	struct kmem_cache **caches;     /* [nr_caches]: trace cache id -> cache, NULL, CACHE_FAILED */
	uint64_t nr_caches_on_demand;   /* caches created for a kmem_cache_alloc without CACHE_CREATE */
	uint64_t nr_free_after_failed_obj; /* frees of objects whose allocation failed: expected */
	bool compacted;                 /* the current event ran direct compaction */
	uint64_t nr_errors[NR_REPLAY_ERRORS];
	uint64_t nr_free_after_failed;  /* page frees of ids whose allocation failed: expected, not errors */
	uint64_t nr_measured;           /* events after warm-up */
	hist_t measured[NR_KINDS];      /* host ns */
	hist_t modeled[NR_KINDS];       /* modeled ns */
	uint64_t modeled_cycles;        /* pm.cost_cycles after the last event */
	uint64_t boot_cost[NR_COST_ITEMS]; /* pm.cost before the first event (machine and slab boot) */
	uint64_t boot_cycles;           /* pm.cost_cycles then */
	uint64_t modeled_cycles_measured; /* ... summed over measured events */
	FILE *ts;                       /* timeseries.csv */
	struct ts_row *ts_rows;         /* its rows held back until the loop ends (ts_drain()) */
	size_t ts_len, ts_cap;          /* rows held, room for */
	struct ts_sample *ts_samples;   /* the samples of those rows */
	size_t ts_nr_samples, ts_samples_cap;
	size_t ts_rows_per_sample;      /* the most a sample wrote: reserved before each */
	uint64_t sample_every;
	struct clock_cal cal;
	double timing_overhead_ns;      /* what timing adds per event (timing_overhead()) */
	hw_counters_t hw;
	json_t *dump_labels;            /* labels of the dumps written */
	uint64_t wall_ns;               /* the replay loop */
};

/* ---------------------------------------------------------------- helpers */


static void replay_error(struct replay *rp, enum replay_error e, uint64_t idx, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void replay_error(struct replay *rp, enum replay_error e, uint64_t idx, const char *fmt, ...)
{
	va_list ap;

	if (rp->nr_errors[e]++ >= REPLAY_ERRORS_PRINTED)
		return;
	fprintf(stderr, "mmbench replay: %s: event %" PRIu64 ": ", rp->o->trace_path, idx);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (counted as %s; replay goes on)\n", replay_error_names[e]);
}


static unsigned event_cpu(const struct replay *rp, const trace_event_t *ev)
{
	return ev->cpu < rp->pm.nr_cpus ? ev->cpu : ev->cpu % rp->pm.nr_cpus;
}

/* Compaction and CMA moved a trace page: follow it (the rmap walk of a real owner). */
static int replay_migrate(void *ctx, pfn_t old_pfn, pfn_t new_pfn, unsigned order, uint32_t cookie)
{
	struct replay *rp = ctx;

	(void)order;
	if (cookie >= rp->sum->bounds.nr_pages || rp->page_pfn[cookie] != old_pfn)
		return 1;       /* not ours: refuse, the page stays */
	rp->page_pfn[cookie] = new_pfn;
	return 0;
}

/* ---------------------------------------------------------------- dispatch */

static unsigned replay_page_alloc(struct replay *rp, const trace_event_t *ev, uint64_t idx)
{
	uint32_t id = ev->page_alloc.page;
	unsigned order = ev->page_alloc.order;
	uint64_t stalls = rp->pm.ev.compact_stall;
	pfn_t pfn;

	if (rp->page_pfn[id] != PFN_NONE && rp->page_pfn[id] != PFN_FAILED) {
		replay_error(rp, RERR_PAGE_ALLOC_LIVE, idx, "page id %u allocated again while allocated", id);
		return KIND_NONE;
	}
	pfn = alloc_pages(&rp->pm, ev->page_alloc.gfp, order, event_cpu(rp, ev));
	rp->compacted = rp->pm.ev.compact_stall != stalls;
	rp->page_order[id] = (uint8_t)order;
	if (pfn == PFN_NONE) {
		rp->page_pfn[id] = PFN_FAILED;
		return KIND_PAGE_ALLOC_FAILED;
	}
	rp->page_pfn[id] = pfn;
	phys_set_owner(&rp->pm, pfn, OWNER_REPLAY, id,
		       gfp_migratetype(&rp->pm, ev->page_alloc.gfp) == MIGRATE_MOVABLE);
	return order <= MAX_ORDER_LIMIT ? KIND_PAGE_ALLOC + order : KIND_PAGE_ALLOC_FAILED;
}

static unsigned replay_page_free(struct replay *rp, const trace_event_t *ev, uint64_t idx)
{
	uint32_t id = ev->page_free.page;
	pfn_t pfn = rp->page_pfn[id];

	if (pfn == PFN_FAILED) {
		rp->page_pfn[id] = PFN_NONE;
		rp->nr_free_after_failed++;
		return KIND_NONE;
	}
	if (pfn == PFN_NONE) {
		replay_error(rp, RERR_PAGE_FREE_UNKNOWN, idx, "page id %u freed while not allocated", id);
		return KIND_NONE;
	}
	if (ev->page_free.order != rp->page_order[id])
		replay_error(rp, RERR_PAGE_FREE_ORDER, idx,
			     "page id %u freed as order %u, allocated as order %u (freed as allocated)",
			     id, ev->page_free.order, rp->page_order[id]);
	free_pages(&rp->pm, pfn, rp->page_order[id], event_cpu(rp, ev));
	rp->page_pfn[id] = PFN_NONE;
	return KIND_PAGE_FREE;
}

static unsigned replay_cma(struct replay *rp, const trace_event_t *ev, uint64_t idx)
{
	struct cma_alloc_slot *slot = &rp->cma[ev->cma.id];
	unsigned cpu = event_cpu(rp, ev);

	if (ev->type == TRACE_CMA_ALLOC) {
		if (ev->cma.area >= rp->pm.nr_cma) {
			replay_error(rp, RERR_CMA_NO_AREA, idx,
				     "CMA area %u, the policy configures %u (add a [cma] section)",
				     ev->cma.area, rp->pm.nr_cma);
			slot->pfn = PFN_FAILED;
			return KIND_NONE;
		}
		if (slot->pfn != PFN_NONE && slot->pfn != PFN_FAILED) {
			replay_error(rp, RERR_CMA_ALLOC_LIVE, idx, "CMA id %u allocated again while allocated",
				     ev->cma.id);
			return KIND_NONE;
		}
		slot->area = ev->cma.area;
		slot->count = ev->cma.count;
		slot->pfn = cma_alloc(&rp->pm, ev->cma.area, ev->cma.count, ev->cma.align, cpu);
		if (slot->pfn == PFN_NONE) {
			slot->pfn = PFN_FAILED;
			return KIND_CMA_ALLOC_FAILED;
		}
		return KIND_CMA_ALLOC;
	}
	if (slot->pfn == PFN_FAILED) {          /* releasing what never came: expected */
		slot->pfn = PFN_NONE;
		return KIND_NONE;
	}
	if (slot->pfn == PFN_NONE) {
		replay_error(rp, RERR_CMA_RELEASE_UNKNOWN, idx, "CMA id %u released while not allocated",
			     ev->cma.id);
		return KIND_NONE;
	}
	cma_release(&rp->pm, slot->area, slot->pfn, slot->count, cpu);
	slot->pfn = PFN_NONE;
	return KIND_CMA_RELEASE;
}


/* ---------------------------------------------------------------- objects */

/*
 * What a user-space allocation asks of the engine: the size, made a power
 * of two at least as large as an alignment above the kmalloc minimum
 * (kmalloc aligns power-of-two sizes naturally), page-rounded for pvalloc.
 */
static inline uint64_t user_alloc_size(const trace_event_t *ev)
{
	uint64_t size = ev->alloc.size, align = ev->alloc.align;

	if (__builtin_expect(align <= KMALLOC_MIN_SIZE && ev->alloc.func != TRACE_FN_VALLOC &&
			     ev->alloc.func != TRACE_FN_PVALLOC, 1))
		return size;            /* malloc, calloc, small alignments: as asked */
	if (ev->alloc.func == TRACE_FN_VALLOC || ev->alloc.func == TRACE_FN_PVALLOC) {
		align = PAGE_SIZE;
		if (ev->alloc.func == TRACE_FN_PVALLOC)
			size = (size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	}
	if (align > KMALLOC_MIN_SIZE && size < align)
		size = align;
	if (align > KMALLOC_MIN_SIZE && size <= KMALLOC_MAX_CACHE_SIZE && (size & (size - 1)))
		size = 1ull << (64 - __builtin_clzll(size));
	return size;
}

/* The cache of a kmem_cache_alloc/free: created on demand when the trace never created it. */
static struct kmem_cache *replay_cache(struct replay *rp, uint32_t id, uint64_t size)
{
	struct kmem_cache *c = rp->caches[id];
	char name[32];

	if (c == CACHE_FAILED)
		return NULL;
	if (c || !size)
		return c;
	snprintf(name, sizeof(name), "cache-%u", id);
	c = kmem_cache_create(&rp->slub, name, size > UINT32_MAX ? 0 : (unsigned)size, 0, 0);
	rp->caches[id] = c ? c : CACHE_FAILED;
	rp->nr_caches_on_demand++;
	return c;
}

static inline __attribute__((always_inline)) unsigned
replay_alloc(struct replay *rp, const trace_event_t *ev, uint64_t idx)
{
	uint32_t id = ev->alloc.id;
	unsigned func = ev->alloc.func, cpu = event_cpu(rp, ev);
	uint64_t addr, size = ev->alloc.size;

	if (rp->obj_addr[id] > OBJ_FAILED) {
		replay_error(rp, RERR_ALLOC_LIVE, idx, "object id %u allocated again while allocated", id);
		return KIND_NONE;
	}
	if (func == TRACE_FN_KMEM_CACHE_ALLOC && ev->alloc.cache != TRACE_NO_ID) {
		struct kmem_cache *c = replay_cache(rp, ev->alloc.cache, size);
		addr = c ? kmem_cache_alloc(&rp->slub, c, ev->alloc.gfp, cpu) : 0;
	} else if (func == TRACE_FN_KMALLOC || func == TRACE_FN_KMEM_CACHE_ALLOC) {
		addr = kmalloc(&rp->slub, size, ev->alloc.gfp, cpu);
	} else {                        /* user space: kvmalloc, GFP_KERNEL */
		size = user_alloc_size(ev);
		addr = kvmalloc(&rp->slub, &rp->vm, size,
				GFP_KERNEL | (func == TRACE_FN_CALLOC ? GFP_F_ZERO : 0), cpu);
	}
	rp->obj_addr[id] = addr ? addr : OBJ_FAILED;
	rp->obj_size[id] = size;
	return addr ? KIND_FUNC + func : KIND_ALLOC_FAILED;
}

/* Free what object id holds; returns 0, or -1 when the engine refused. */
static inline __attribute__((always_inline)) int
replay_obj_free(struct replay *rp, unsigned func, uint32_t cache, uint64_t addr, unsigned cpu)
{
	if (func == TRACE_FN_KMEM_CACHE_FREE && cache != TRACE_NO_ID) {
		struct kmem_cache *c = replay_cache(rp, cache, 0);
		return c && !kmem_cache_free(&rp->slub, c, addr, cpu) ? 0 : -1;
	}
	if (func == TRACE_FN_KFREE || func == TRACE_FN_KMEM_CACHE_FREE)
		return kfree(&rp->slub, addr, cpu) ? -1 : 0;
	return kvfree(&rp->slub, &rp->vm, addr, cpu) ? -1 : 0;
}

static inline __attribute__((always_inline)) unsigned
replay_free_obj(struct replay *rp, const trace_event_t *ev, uint64_t idx)
{
	uint32_t id = ev->free.id;
	uint64_t addr = rp->obj_addr[id];

	if (addr == OBJ_FAILED) {
		rp->obj_addr[id] = OBJ_NONE;
		rp->nr_free_after_failed_obj++;
		return KIND_NONE;
	}
	if (addr == OBJ_NONE) {
		replay_error(rp, RERR_FREE_UNKNOWN, idx, "object id %u freed while not allocated", id);
		return KIND_NONE;
	}
	rp->obj_addr[id] = OBJ_NONE;
	if (replay_obj_free(rp, ev->free.func, ev->free.cache, addr, event_cpu(rp, ev))) {
		replay_error(rp, RERR_FREE_REJECTED, idx, "the engine refused the %s of object id %u",
			     trace_func_name(ev->free.func), id);
		return KIND_NONE;
	}
	return KIND_FUNC + ev->free.func;
}

static unsigned replay_realloc(struct replay *rp, const trace_event_t *ev, uint64_t idx)
{
	uint32_t old_id = ev->realloc.old_id, new_id = ev->realloc.new_id;
	unsigned func = ev->realloc.func, cpu = event_cpu(rp, ev);
	uint64_t old = rp->obj_addr[old_id], size = ev->realloc.size, addr;

	if (old == OBJ_NONE)
		replay_error(rp, RERR_FREE_UNKNOWN, idx, "object id %u reallocated while not allocated (allocated anew)",
			     old_id);
	if (old <= OBJ_FAILED) {        /* realloc of nothing: an allocation */
		rp->obj_addr[old_id] = OBJ_NONE;
		old = 0;
	}
	if (new_id != old_id && rp->obj_addr[new_id] > OBJ_FAILED) {
		replay_error(rp, RERR_ALLOC_LIVE, idx, "object id %u allocated again while allocated", new_id);
		return KIND_NONE;
	}
	if (func == TRACE_FN_KREALLOC)
		addr = krealloc(&rp->slub, old, size, GFP_KERNEL, cpu);
	else if (old)
		addr = kvrealloc(&rp->slub, &rp->vm, old, rp->obj_size[old_id], size, GFP_KERNEL, cpu);
	else
		addr = kvmalloc(&rp->slub, &rp->vm, size, GFP_KERNEL, cpu);
	if (!addr) {                    /* the old object stays where it was */
		if (new_id != old_id)
			rp->obj_addr[new_id] = OBJ_FAILED;
		return KIND_ALLOC_FAILED;
	}
	if (new_id != old_id)
		rp->obj_addr[old_id] = OBJ_NONE;
	rp->obj_addr[new_id] = addr;
	rp->obj_size[new_id] = old && rp->obj_size[old_id] > size ? rp->obj_size[old_id] : size;
	return KIND_FUNC + func;
}

static unsigned replay_cache_event(struct replay *rp, const trace_event_t *ev, uint64_t idx)
{
	if (ev->type == TRACE_CACHE_CREATE) {
		uint32_t id = ev->cache_create.cache;
		char name[TRACE_MAX_STRING + 1];
		struct kmem_cache *c;

		if (rp->caches[id] && rp->caches[id] != CACHE_FAILED) {
			replay_error(rp, RERR_CACHE_LIVE, idx, "cache id %u created again while it exists", id);
			return KIND_NONE;
		}
		memcpy(name, ev->cache_create.name, ev->cache_create.name_len);
		name[ev->cache_create.name_len] = 0;
		c = ev->cache_create.size > UINT32_MAX || ev->cache_create.align > UINT32_MAX ? NULL :
		    kmem_cache_create(&rp->slub, name, (unsigned)ev->cache_create.size,
				      (unsigned)ev->cache_create.align, ev->cache_create.flags);
		rp->caches[id] = c ? c : CACHE_FAILED;
		if (!c) {
			replay_error(rp, RERR_CACHE_CREATE, idx, "cache '%s' (size %" PRIu64 ", align %" PRIu64
				     ") could not be created", name, ev->cache_create.size, ev->cache_create.align);
			return KIND_NONE;
		}
		return KIND_CACHE_CREATE;
	}
	uint32_t id = ev->cache_destroy.cache;
	struct kmem_cache *c = rp->caches[id];

	if (c == CACHE_FAILED) {
		rp->caches[id] = NULL;
		return KIND_NONE;
	}
	if (!c) {
		replay_error(rp, RERR_CACHE_UNKNOWN, idx, "cache id %u destroyed while it does not exist", id);
		return KIND_NONE;
	}
	if (kmem_cache_destroy(&rp->slub, c, event_cpu(rp, ev))) {
		replay_error(rp, RERR_CACHE_BUSY, idx, "cache id %u destroyed with live objects (it stays)", id);
		return KIND_NONE;
	}
	rp->caches[id] = NULL;
	return KIND_CACHE_DESTROY;
}

/* Dispatch one event to the engine; returns the kind to record, or KIND_NONE. */
static __attribute__((noinline)) unsigned
replay_event(struct replay *rp, const trace_event_t *ev, uint64_t idx)
{
	switch (ev->type) {
	case TRACE_PAGE_ALLOC:
		return replay_page_alloc(rp, ev, idx);
	case TRACE_PAGE_FREE:
		return replay_page_free(rp, ev, idx);
	case TRACE_CMA_ALLOC:
	case TRACE_CMA_RELEASE:
		return replay_cma(rp, ev, idx);
	case TRACE_ALLOC:
		return replay_alloc(rp, ev, idx);
	case TRACE_FREE:
		return replay_free_obj(rp, ev, idx);
	case TRACE_REALLOC:
		return replay_realloc(rp, ev, idx);
	case TRACE_CACHE_CREATE:
	case TRACE_CACHE_DESTROY:
		return replay_cache_event(rp, ev, idx);
	case TRACE_MARK:
		return KIND_NONE;       /* handled by the loop (dumps) */
	default: {               /* mm system calls, faults, accesses, fork, exec, exit */
		int k = replay_vm_event(&rp->vmr, ev, idx, event_cpu(rp, ev));
		return k < 0 ? KIND_NONE : KIND_VM + (unsigned)k;
	}
	}
}

/* ---------------------------------------------------------------- checks, samples, dumps */

/* Every module's consistency checker.  Returns 0, or -1 after printing the violation. */
static int replay_check(struct replay *rp, uint64_t idx)
{
	char msg[512];

	static const char *const names[] = { "buddy_check", "slub_check", "vmalloc_check", "vm_check" };
	int bad[4];

	bad[0] = buddy_check(&rp->pm, msg, sizeof(msg));
	bad[1] = !bad[0] && slub_check(&rp->slub, msg, sizeof(msg));
	bad[2] = !bad[0] && !bad[1] && vmalloc_check(&rp->vm, msg, sizeof(msg));
	bad[3] = !bad[0] && !bad[1] && !bad[2] && rp->vmr.vs_up && vm_check(&rp->vmr.vs, msg, sizeof(msg));
	for (int i = 0; i < 4; i++)
		if (bad[i]) {
			fprintf(stderr, "mmbench replay: %s: event %" PRIu64 ": %s: %s\n",
				rp->o->trace_path, idx, names[i], msg);
			return -1;
		}
	return 0;
}

/*
 * timeseries.csv.  A sample sits inside the timed loop and yields a few
 * hundred rows, so it only appends their raw values (struct ts_row, a few
 * stores each); ts_drain() formats them by hand (fprintf would cost ~1 us a
 * row) and writes them once the loop has ended.  What is held back is
 * bounded (TS_HOLD_MAX rows); beyond that, or when memory runs out, the rows
 * are written out inside the loop.
 */
enum ts_scope { TS_ZONE, TS_SLAB, TS_VMALLOC, TS_PID };

static const char *const ts_scope_names[] = { [TS_SLAB] = "slab", [TS_VMALLOC] = "vmalloc" };

struct ts_row {
	const char *metric;             /* a string literal */
	int64_t value;
	uint32_t scope_id;              /* TS_ZONE: zone index; TS_PID: pid */
	uint8_t scope;                  /* enum ts_scope */
	int8_t order, mt;               /* < 0: empty */
};

struct ts_sample {
	uint64_t idx;                   /* events replayed */
	uint64_t ts;                    /* trace time, ns */
	size_t first;                   /* its first row in ts_rows */
};

#define TS_HOLD_MAX ((64u << 20) / sizeof(struct ts_row))  /* rows held back at most */
#define TS_ROW_MAX 512              /* longer than any row (scope < 64, metric and names short) */

static size_t put_u64(char *p, uint64_t v)
{
	char tmp[20];
	size_t n = 0, i;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	for (i = 0; i < n; i++)
		p[i] = tmp[n - 1 - i];
	return n;
}

static size_t put_i64(char *p, int64_t v)
{
	if (v >= 0)
		return put_u64(p, (uint64_t)v);
	*p = '-';
	return 1 + put_u64(p + 1, -(uint64_t)v);
}

static inline char *put_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

/* "EVENT,TS,SCOPE,METRIC,ORDER,MIGRATETYPE,VALUE\n" at p, "EVENT,TS," given; returns its end. */
static char *ts_format(const struct replay *rp, char *p, const char *prefix, size_t plen,
		       const struct ts_row *t)
{
	memcpy(p, prefix, plen);
	p += plen;
	if (t->scope == TS_ZONE) {
		const struct zone *z = &rp->pm.zones[t->scope_id];
		p = put_str(p, "node");
		p += put_u64(p, z->node);
		*p++ = '/';
		p = put_str(p, z->name);
	} else if (t->scope == TS_PID) {
		p = put_str(p, "pid");
		p += put_u64(p, t->scope_id);
	} else {
		p = put_str(p, ts_scope_names[t->scope]);
	}
	*p++ = ',';
	p = put_str(p, t->metric);
	*p++ = ',';
	if (t->order >= 0)
		p += put_u64(p, (uint64_t)t->order);
	*p++ = ',';
	if (t->mt >= 0)
		p = put_str(p, migratetype_names[t->mt]);
	*p++ = ',';
	p += put_i64(p, t->value);
	*p++ = '\n';
	return p;
}

/*
 * Write every row held back and forget them; the last sample stays, with
 * no rows, so that a sample cut in two by a drain goes on where it was.
 */
static void ts_drain(struct replay *rp)
{
	char out[16384], prefix[64];
	size_t len = 0;

	for (size_t si = 0; si < rp->ts_nr_samples; si++) {
		const struct ts_sample *sm = &rp->ts_samples[si];
		size_t end = si + 1 < rp->ts_nr_samples ? rp->ts_samples[si + 1].first : rp->ts_len;
		size_t plen = put_u64(prefix, sm->idx);

		prefix[plen++] = ',';
		plen += put_u64(prefix + plen, sm->ts);
		prefix[plen++] = ',';
		for (size_t i = sm->first; i < end; i++) {
			if (len > sizeof(out) - TS_ROW_MAX) {
				fwrite(out, 1, len, rp->ts);
				len = 0;
			}
			len = (size_t)(ts_format(rp, out + len, prefix, plen, &rp->ts_rows[i]) - out);
		}
	}
	fwrite(out, 1, len, rp->ts);
	if (rp->ts_nr_samples) {
		rp->ts_samples[0] = rp->ts_samples[rp->ts_nr_samples - 1];
		rp->ts_samples[0].first = 0;
		rp->ts_nr_samples = 1;
	}
	rp->ts_len = 0;
}

/*
 * Grow *a (elements of size bytes, *cap of them) to hold need, at most max,
 * writing the new part now so that later samples take no page faults.
 * Returns 0, or -1 (nothing changed) at max or out of memory.
 */
static int ts_grow(void **a, size_t *cap, size_t need, size_t size, size_t max)
{
	size_t n = *cap ? *cap : 1024;
	char *b;

	while (n < need)
		n *= 2;
	if (n > max)
		n = max;
	if (need > n || !(b = realloc(*a, n * size)))
		return -1;
	memset(b + *cap * size, 0, (n - *cap) * size);
	*a = b;
	*cap = n;
	return 0;
}

/* Room for n more rows and a sample: grow, else write out what is held. */
static void ts_reserve(struct replay *rp, size_t n)
{
	if (rp->ts_len + n > rp->ts_cap &&
	    ts_grow((void **)&rp->ts_rows, &rp->ts_cap, rp->ts_len + n, sizeof(*rp->ts_rows),
		    TS_HOLD_MAX))
		ts_drain(rp);
	if (rp->ts_nr_samples == rp->ts_samples_cap &&
	    ts_grow((void **)&rp->ts_samples, &rp->ts_samples_cap, rp->ts_nr_samples + 1,
		    sizeof(*rp->ts_samples), TS_HOLD_MAX))
		ts_drain(rp);
}

static inline void ts_put(struct replay *rp, enum ts_scope scope, uint32_t scope_id,
			  const char *metric, int order, int mt, int64_t value)
{
	if (__builtin_expect(rp->ts_len == rp->ts_cap, 0))
		ts_reserve(rp, 1);
	rp->ts_rows[rp->ts_len++] = (struct ts_row){ metric, value, scope_id, (uint8_t)scope,
						     (int8_t)order, (int8_t)mt };
}

static void ts_vm_row(void *ctx, uint32_t pid, const char *metric, int64_t value)
{
	ts_put(ctx, TS_PID, pid, metric, -1, -1, value);
}

/*
 * One timeseries sample after event idx (events replayed = idx), at trace
 * time ts (ns).  Returns 0, or -1 when the first sample finds no memory to
 * hold its rows (later ones write out what is held instead).
 */
static int replay_sample(struct replay *rp, uint64_t idx, uint64_t ts)
{
	size_t first;

	ts_reserve(rp, rp->ts_rows_per_sample);
	if (!rp->ts_cap || rp->ts_nr_samples == rp->ts_samples_cap)
		return -1;      /* only at the first sample: later a drain makes room */
	first = rp->ts_len;
	rp->ts_samples[rp->ts_nr_samples++] = (struct ts_sample){ idx, ts, first };
	for (unsigned zi = 0; zi < rp->pm.nr_zones; zi++) {
		const struct zone *z = &rp->pm.zones[zi];
		int largest = -1;

		if (!z->managed_pages)
			continue;
		ts_put(rp, TS_ZONE, zi, "nr_free_pages", -1, -1, (int64_t)z->nr_free_pages);
		for (unsigned o = 0; o <= rp->pm.max_order; o++) {
			const struct free_area *fa = &z->free_area[o];
			struct contig_page_info info;

			if (fa->nr_free)
				largest = (int)o;
			ts_put(rp, TS_ZONE, zi, "free_blocks", (int)o, -1, (int64_t)fa->nr_free);
			for (unsigned mt = 0; mt < MIGRATE_TYPES; mt++)
				if (fa->nr_free_mt[mt])
					ts_put(rp, TS_ZONE, zi, "free_blocks", (int)o, (int)mt,
					       (int64_t)fa->nr_free_mt[mt]);
			fill_contig_page_info(&rp->pm, z, o, &info);
			ts_put(rp, TS_ZONE, zi, "extfrag_index", (int)o, -1,
			       fragmentation_index_info(o, &info));
			ts_put(rp, TS_ZONE, zi, "unusable_index", (int)o, -1, unusable_free_index(o, &info));
		}
		ts_put(rp, TS_ZONE, zi, "largest_free_order", -1, -1, largest);
	}
	struct slub_stats st;
	struct vmalloc_stats vs;
	slub_stats(&rp->slub, NULL, &st);
	vmalloc_stats(&rp->vm, &vs);
	ts_put(rp, TS_SLAB, 0, "bytes_requested", -1, -1, (int64_t)st.bytes_requested);
	ts_put(rp, TS_SLAB, 0, "bytes_allocated", -1, -1, (int64_t)st.bytes_allocated);
	ts_put(rp, TS_SLAB, 0, "slab_pages", -1, -1, (int64_t)st.slab_pages);
	ts_put(rp, TS_SLAB, 0, "partial_free_objs", -1, -1, (int64_t)st.partial_free_objs);
	ts_put(rp, TS_VMALLOC, 0, "pages", -1, -1, (int64_t)vs.pages);
	replay_vm_sample(&rp->vmr, ts_vm_row, rp);
	if (rp->ts_len > first && rp->ts_len - first > rp->ts_rows_per_sample)
		rp->ts_rows_per_sample = rp->ts_len - first;
	return 0;
}

/* The dumps --dump names, each printing one module's state in the kernel's format. */
static void dump_rp_buddyinfo(const struct replay *rp, FILE *f) { dump_buddyinfo(&rp->pm, f); }
static void dump_rp_pagetypeinfo(const struct replay *rp, FILE *f) { dump_pagetypeinfo(&rp->pm, f); }
static void dump_rp_zoneinfo(const struct replay *rp, FILE *f) { dump_zoneinfo(&rp->pm, f); }
static void dump_rp_extfrag(const struct replay *rp, FILE *f) { dump_extfrag_index(&rp->pm, f); }
static void dump_rp_unusable(const struct replay *rp, FILE *f) { dump_unusable_index(&rp->pm, f); }
static void dump_rp_slabinfo(const struct replay *rp, FILE *f) { dump_slabinfo(&rp->slub, f); }
static void dump_rp_vmallocinfo(const struct replay *rp, FILE *f) { dump_vmallocinfo(&rp->vm, f); }
static void dump_rp_maps(const struct replay *rp, FILE *f) { replay_vm_dump_maps(&rp->vmr, f); }

/* Write the requested dumps into DIR/dumps/LABEL/.  Returns 0 or -1 (printed). */
static int replay_dump(struct replay *rp, const char *label)
{
	static const struct {
		unsigned bit;
		const char *file;
		void (*dump)(const struct replay *, FILE *);
	} dumps[] = {
		{ DUMP_BUDDYINFO, "buddyinfo", dump_rp_buddyinfo },
		{ DUMP_PAGETYPEINFO, "pagetypeinfo", dump_rp_pagetypeinfo },
		{ DUMP_ZONEINFO, "zoneinfo", dump_rp_zoneinfo },
		{ DUMP_EXTFRAG, "extfrag_index", dump_rp_extfrag },
		{ DUMP_EXTFRAG, "unusable_index", dump_rp_unusable },
		{ DUMP_SLABINFO, "slabinfo", dump_rp_slabinfo },
		{ DUMP_VMALLOCINFO, "vmallocinfo", dump_rp_vmallocinfo },
		{ DUMP_MAPS, "maps", dump_rp_maps },
	};
	char dir[4096], path[4200];

	if (!rp->o->dumps)
		return 0;
	snprintf(dir, sizeof(dir), "%s/dumps/%s", rp->o->out_dir, label);
	if (mkdir_p(dir)) {
		fprintf(stderr, "mmbench replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < sizeof(dumps) / sizeof(dumps[0]); i++) {
		if (!(rp->o->dumps & dumps[i].bit))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, dumps[i].file);
		FILE *f = fopen(path, "w");
		if (!f) {
			fprintf(stderr, "mmbench replay: %s: %s\n", path, strerror(errno));
			return -1;
		}
		dumps[i].dump(rp, f);
		if (fclose(f)) {
			fprintf(stderr, "mmbench replay: %s: write failed\n", path);
			return -1;
		}
	}
	json_array_append_new(rp->dump_labels, json_string(label));
	return 0;
}

/* A MARK's dump label: "mark-IDX-NAME" with NAME reduced to [A-Za-z0-9._-]. */
static void mark_label(const trace_event_t *ev, uint64_t idx, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "mark-%" PRIu64 "-", idx);

	for (uint32_t i = 0; i < ev->mark.name_len && n + 1 < len && i < 64; i++) {
		char c = ev->mark.name[i];
		buf[n++] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			   c == '.' || c == '_' || c == '-' ? c : '_';
	}
	buf[n] = 0;
}

/* ---------------------------------------------------------------- progress */

static void progress(const struct replay *rp, uint64_t done, uint64_t start_ns, bool last)
{
	uint64_t total = rp->sum->nr_events, now = clock_mono_ns();
	double s = (double)(now - start_ns) / 1e9, rate = s > 0 ? (double)done / s : 0;
	double eta = rate > 0 ? (double)(total - done) / rate : 0;

	fprintf(stderr, "\rreplay: %" PRIu64 "/%" PRIu64 " events (%.0f%%), %.1f M events/s, ETA %.0f s  ",
		done, total, total ? 100.0 * (double)done / (double)total : 100.0, rate / 1e6, eta);
	if (last)
		fputc('\n', stderr);
}

/* ---------------------------------------------------------------- the loop */

/*
 * Measurement.  With timing on, the loop reads the clock once per event,
 * after the engine returns: an event's host latency is the time since the
 * previous reading -- its dispatch and engine call, plus the loop's
 * bookkeeping for the event before it (the two histogram records and the
 * countdowns, a few ns).  Work that belongs to no event (decoding the next
 * batch, a timeseries sample, a consistency check, a dump, the progress
 * line) is followed by a fresh reading, so no event is charged for it.
 * What the timing adds per event -- one reading, the tick conversion, one
 * histogram record -- is measured by timing_overhead() and reported as
 * timing_overhead_ns.  Modeled ns are exact integers either way
 * (cyc2ns_exact(), the same values as delta * 1000 / cpu_mhz).
 */

/*
 * What timing adds to each event, ns: with timing the loop does one clock
 * reading, one tick conversion and one histogram record per event more than
 * without (the modeled record and the rest are there either way).  This runs
 * exactly that code N times back to back into a scratch histogram and
 * returns the median per round over TRIALS runs (0 when out of memory).
 * Back to back, each reading waits for the record before it, so this is an
 * upper bound: inside the replay part of it overlaps with the events' own
 * work (README: the difference of a run with and without --no-timing).
 */
static double timing_overhead(const struct replay *rp)
{
	enum { N = 20000, TRIALS = 7 };
	double per[TRIALS], tmp;
	hist_t scratch;

	if (hist_init(&scratch, HIST_HIGHEST, HIST_SIGFIGS))
		return 0;
	for (int t = -1; t < TRIALS; t++) {     /* trial -1 warms the caches */
		uint64_t t0 = clock_ticks(), t_prev = t0, t1;

		for (int i = 0; i < N; i++) {
			uint64_t t_now = clock_ticks();

			hist_record(&scratch, clock_ticks_to_ns(&rp->cal, t_now - t_prev));
			t_prev = t_now;
		}
		t1 = clock_ticks();
		if (t >= 0)
			per[t] = (double)clock_ticks_to_ns(&rp->cal, t1 - t0) / N;
	}
	hist_destroy(&scratch);
	for (int i = 1; i < TRIALS; i++)        /* insertion sort; the median is per[TRIALS / 2] */
		for (int j = i; j > 0 && per[j - 1] > per[j]; j--) {
			tmp = per[j];
			per[j] = per[j - 1];
			per[j - 1] = tmp;
		}
	return per[TRIALS / 2];
}

/* The loop's own state, out of struct replay; written back to it at the end. */
struct loop_state {
	uint64_t idx;                   /* events replayed */
	uint64_t modeled_cycles;        /* pm.cost_cycles after the last event */
	uint64_t nr_measured;
	uint64_t modeled_cycles_measured;
	uint64_t check_left, sample_left; /* countdowns, not a division per event */
	uint64_t last_ts;
	uint64_t t_prev;                /* clock_ticks() at the end of the last event */
};

/*
 * The events of one batch.  timing is a constant at both call sites, so the
 * compiler makes a loop without any clock code for --no-timing.  Returns 0,
 * or -1 after a failed check or dump (printed).
 */
static inline __attribute__((always_inline)) int
replay_batch(struct replay *rp, const trace_event_t *evs, ssize_t n, struct loop_state *ls,
	     const struct cyc2ns *mns_conv, const bool timing)
{
	const struct replay_opts *o = rp->o;
	const uint64_t warmup = o->warmup;
	/* The loop's counters in locals (registers), written back after the batch. */
	uint64_t idx = ls->idx, modeled_cycles = ls->modeled_cycles, nr_measured = ls->nr_measured;
	uint64_t modeled_cycles_measured = ls->modeled_cycles_measured;
	uint64_t check_left = ls->check_left, sample_left = ls->sample_left, t_prev = ls->t_prev;
	int rc = 0;

	for (ssize_t i = 0; i < n; i++, idx++) {
		const trace_event_t *ev = &evs[i];
		/* ALLOC and FREE, nearly all of a malloc-heavy trace, without a call */
		unsigned kind = ev->type == TRACE_FREE ? replay_free_obj(rp, ev, idx) :
				ev->type == TRACE_ALLOC ? replay_alloc(rp, ev, idx) :
				replay_event(rp, ev, idx);
		uint64_t t_now = timing ? clock_ticks() : 0;
		uint64_t cycles = rp->pm.cost_cycles, delta = cycles - modeled_cycles;
		bool rare = false;

		modeled_cycles = cycles;
		if (__builtin_expect(idx >= warmup && kind != KIND_NONE, 1)) {
			uint64_t mns = cyc2ns_exact(mns_conv, delta);

			nr_measured++;
			modeled_cycles_measured += delta;
			hist_record(&rp->modeled[kind], mns);
			if (timing)
				hist_record(&rp->measured[kind], clock_ticks_to_ns(&rp->cal, t_now - t_prev));
			if (__builtin_expect(rp->compacted, 0)) {
				hist_record(&rp->modeled[KIND_COMPACTION], mns);
				if (timing)
					hist_record(&rp->measured[KIND_COMPACTION],
						    clock_ticks_to_ns(&rp->cal, t_now - t_prev));
			}
		}
		if (__builtin_expect(rp->compacted, 0))
			rp->compacted = false;  /* also after a warm-up event: it must not leak into the next */
		if (__builtin_expect(ev->type == TRACE_MARK, 0) && o->dumps) {
			char label[128];
			mark_label(ev, idx, label, sizeof(label));
			if ((rc = replay_dump(rp, label)))
				break;
			rare = true;
		}
		if (__builtin_expect(!--check_left, 0)) {
			check_left = o->check_every;
			if ((rc = replay_check(rp, idx)))
				break;
			rare = true;
		}
		if (__builtin_expect(!--sample_left, 0)) {
			sample_left = rp->sample_every;
			replay_sample(rp, idx + 1, ev->ts);
			rare = true;
		}
		if (timing)             /* the next event starts here, or after the rare work */
			t_prev = __builtin_expect(rare, 0) ? clock_ticks() : t_now;
	}
	ls->idx = idx;
	ls->modeled_cycles = modeled_cycles;
	ls->nr_measured = nr_measured;
	ls->modeled_cycles_measured = modeled_cycles_measured;
	ls->check_left = check_left;
	ls->sample_left = sample_left;
	ls->t_prev = t_prev;
	if (n > 0)
		ls->last_ts = evs[n - 1].ts;
	return rc ? -1 : 0;
}

/*
 * The loop over every batch; see replay_batch().  Returns 0 at the end of
 * the trace, the reader's error (< 0), or -2 after a failed check or dump.
 */
static inline __attribute__((always_inline)) ssize_t
replay_events(struct replay *rp, struct loop_state *ls, const bool timing)
{
	const struct replay_opts *o = rp->o;
	uint64_t next_progress = 1u << 16, start_ns = clock_mono_ns(), last_print = start_ns;
	trace_event_t evs[BATCH];
	struct cyc2ns mns_conv;
	ssize_t n;

	cyc2ns_init(&mns_conv, rp->pol->cpu_mhz);
	while ((n = trace_next_batch(rp->r, evs, BATCH)) > 0) {
		if (timing)             /* decoding is no event's time */
			ls->t_prev = clock_ticks();
		if (replay_batch(rp, evs, n, ls, &mns_conv, timing))
			return -2;
		if (o->progress && ls->idx >= next_progress) {
			uint64_t now = clock_mono_ns();
			next_progress = ls->idx + (1u << 16);
			if (now - last_print > 250000000u) {
				progress(rp, ls->idx, start_ns, false);
				last_print = now;
			}
		}
	}
	return n;
}

static int replay_loop(struct replay *rp)
{
	const struct replay_opts *o = rp->o;
	struct loop_state ls = {
		.check_left = o->check_every ? o->check_every : UINT64_MAX,
		.sample_left = rp->sample_every,
	};
	uint64_t start_ns;
	ssize_t n;

	rp->modeled_cycles = rp->boot_cycles = rp->pm.cost_cycles;
	ls.modeled_cycles = rp->modeled_cycles;
	memcpy(rp->boot_cost, rp->pm.cost, sizeof(rp->boot_cost));
	if (o->timing)
		rp->timing_overhead_ns = timing_overhead(rp);
	/*
	 * Decompress each next chunk on a second CPU while the engine runs.  Its
	 * buffer is written here; its work starts inside the timed loop, after
	 * the first chunk, and the counters (opened earlier, inherit) count it.
	 */
	rp->chunk_prefetch = trace_reader_prefetch(rp->r) == 1;
	hw_counters_start(&rp->hw);
	start_ns = clock_mono_ns();
	n = o->timing ? replay_events(rp, &ls, true) : replay_events(rp, &ls, false);
	hw_counters_stop(&rp->hw);
	rp->wall_ns = clock_mono_ns() - start_ns;
	rp->modeled_cycles = ls.modeled_cycles;
	rp->nr_measured = ls.nr_measured;
	rp->modeled_cycles_measured = ls.modeled_cycles_measured;
	if (n == -2)
		return -1;
	if (n < 0) {
		char buf[768];
		fprintf(stderr, "mmbench replay: %s\n",
			trace_error_format(trace_reader_error(rp->r), buf, sizeof(buf)));
		return -1;
	}
	if (o->progress)
		progress(rp, ls.idx, start_ns, true);
	if (o->check_every && replay_check(rp, ls.idx ? ls.idx - 1 : 0))
		return -1;
	if (ls.idx % rp->sample_every)
		replay_sample(rp, ls.idx, ls.last_ts);
	ts_drain(rp);
	return 0;
}

/* ---------------------------------------------------------------- results */

/* Write latency/KIND.hgrm and modeled/KIND.hgrm, and their rows. */
static int replay_histograms(struct replay *rp, results_t *res)
{
	char dir[4096], path[4200], name[64], err[512], metric[128];

	for (int m = 0; m < 2; m++) {
		bool modeled = m == 1;

		if (!modeled && !rp->o->timing)
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", rp->o->out_dir, modeled ? "modeled" : "latency");
		if (mkdir_p(dir)) {
			fprintf(stderr, "mmbench replay: %s: %s\n", dir, strerror(errno));
			return -1;
		}
		for (unsigned k = 0; k < NR_KINDS; k++) {
			const hist_t *h = modeled ? &rp->modeled[k] : &rp->measured[k];

			if (!hist_count(h))
				continue;
			kind_name(k, name, sizeof(name));
			snprintf(path, sizeof(path), "%s/%s.hgrm", dir, name);
			if (hist_save_hgrm(h, path, 1.0, err, sizeof(err))) {
				fprintf(stderr, "mmbench replay: %s\n", err);
				return -1;
			}
			if (modeled) {
				snprintf(metric, sizeof(metric), "count.%s", name);
				results_add_u64(res, metric, hist_count(h), "events", true);
			}
			results_add_latency(res, modeled ? "modeled_ns" : "latency_ns", name, h, 1.0, modeled);
		}
	}
	return 0;
}

static void add_engine_rows(const struct replay *rp, results_t *res)
{
	const struct phys_events *e = &rp->pm.ev;
	char metric[128];

	for (unsigned z = 0; z < MAX_NR_ZONES; z++) {
		snprintf(metric, sizeof(metric), "pgalloc_%s", zone_names[z]);
		for (char *c = metric; *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
		results_add_u64(res, metric, e->pgalloc[z], "pages", true);
	}
#define ROW(field, unit) results_add_u64(res, #field, e->field, unit, true)
	ROW(pgfree, "pages");
	ROW(alloc_calls, "calls");
	ROW(alloc_fail, "calls");
	ROW(extfrag, "events");
	ROW(extfrag_steal, "events");
	ROW(highatomic_reserve, "pageblocks");
	ROW(highatomic_unreserve, "pageblocks");
	ROW(pcp_refill, "calls");
	ROW(pcp_drain, "calls");
	ROW(compact_stall, "events");
	ROW(compact_fail, "events");
	ROW(compact_success, "events");
	ROW(compact_deferred, "events");
	ROW(compact_migrate_scanned, "pages");
	ROW(compact_free_scanned, "pages");
	ROW(compact_isolated, "pages");
	ROW(compact_migrated, "pages");
	ROW(compact_migrate_fail, "pages");
	ROW(cma_alloc_success, "calls");
	ROW(cma_alloc_fail, "calls");
	ROW(cma_migrated, "pages");
	ROW(cma_released, "pages");
#undef ROW
	for (unsigned o = 0; o <= rp->pm.max_order; o++)
		if (e->alloc_fail_order[o]) {
			snprintf(metric, sizeof(metric), "alloc_fail.o%u", o);
			results_add_u64(res, metric, e->alloc_fail_order[o], "calls", true);
		}
	for (unsigned i = 0; i < NR_COST_ITEMS; i++) {
		snprintf(metric, sizeof(metric), "work.%s", cost_item_names[i]);
		results_add_u64(res, metric, rp->pm.cost[i] - rp->boot_cost[i], "items", true);
	}
	struct slub_stats st;
	struct vmalloc_stats vs;
	slub_stats(&rp->slub, NULL, &st);
	vmalloc_stats(&rp->vm, &vs);
	results_add_u64(res, "slab_bytes_requested", st.bytes_requested, "bytes", true);
	results_add_u64(res, "slab_bytes_allocated", st.bytes_allocated, "bytes", true);
	results_add_f64(res, "slab_internal_frag", st.bytes_allocated ?
			1.0 - (double)st.bytes_requested / (double)st.bytes_allocated : 0, 17, "ratio", true);
	results_add_u64(res, "slab_pages", st.slab_pages, "pages", true);
	results_add_u64(res, "slab_partial_slabs", st.nr_partial_slabs, "slabs", true);
	results_add_u64(res, "slab_partial_free_objs", st.partial_free_objs, "objects", true);
	results_add_f64(res, "slab_external_frag", st.total_objs ?
			(double)st.partial_free_objs / (double)st.total_objs : 0, 17, "ratio", true);
	results_add_u64(res, "slab_alloc_fail", st.alloc_fail, "calls", true);
	results_add_u64(res, "slab_alloc_slowpath", st.alloc_slowpath, "calls", true);
	results_add_u64(res, "slab_free_slowpath", st.free_slowpath, "calls", true);
	results_add_u64(res, "slab_caches_on_demand", rp->nr_caches_on_demand, "caches", true);
	results_add_u64(res, "vmalloc_areas", vs.nr_areas, "areas", true);
	results_add_u64(res, "vmalloc_pages", vs.pages, "pages", true);
	results_add_u64(res, "vmalloc_pgtable_pages", vs.pgtable_pages, "pages", true);
	results_add_u64(res, "vmalloc_purges", vs.nr_purges, "purges", true);
	results_add_u64(res, "vmalloc_alloc_fail", vs.alloc_fail, "calls", true);
	results_add_u64(res, "modeled_cycles_total", rp->modeled_cycles - rp->boot_cycles, "cycles", true);
	results_add_u64(res, "modeled_cycles_measured", rp->modeled_cycles_measured, "cycles", true);

	/* the end state: what a kernel developer would read from buddyinfo and extfrag */
	for (unsigned zi = 0; zi < rp->pm.nr_zones; zi++) {
		const struct zone *z = &rp->pm.zones[zi];
		int largest = -1;

		if (!z->managed_pages)
			continue;
		snprintf(metric, sizeof(metric), "nr_free_pages.node%u/%s", z->node, z->name);
		results_add_u64(res, metric, z->nr_free_pages, "pages", true);
		for (unsigned o = 0; o <= rp->pm.max_order; o++) {
			struct contig_page_info info;

			if (z->free_area[o].nr_free)
				largest = (int)o;
			fill_contig_page_info(&rp->pm, z, o, &info);
			snprintf(metric, sizeof(metric), "unusable_index.node%u/%s.o%u", z->node, z->name, o);
			results_add_f64(res, metric, unusable_free_index(o, &info) / 1000.0, 17, "ratio", true);
			snprintf(metric, sizeof(metric), "extfrag_index.node%u/%s.o%u", z->node, z->name, o);
			results_add_f64(res, metric, fragmentation_index_info(o, &info) / 1000.0, 17, "ratio", true);
		}
		snprintf(metric, sizeof(metric), "largest_free_order.node%u/%s", z->node, z->name);
		results_add_i64(res, metric, largest, "order", true);
	}
}

static void add_replay_rows(const struct replay *rp, results_t *res)
{
	uint64_t total = rp->sum->nr_events;
	char metric[128];

	results_add_u64(res, "events", total, "events", true);
	results_add_u64(res, "events_measured", rp->nr_measured, "events", true);
	for (unsigned e = 0; e < NR_REPLAY_ERRORS; e++) {
		snprintf(metric, sizeof(metric), "replay_errors.%s", replay_error_names[e]);
		results_add_u64(res, metric, rp->nr_errors[e], "events", true);
	}
	results_add_u64(res, "page_free_after_failed_alloc", rp->nr_free_after_failed, "events", true);
	results_add_u64(res, "free_after_failed_alloc", rp->nr_free_after_failed_obj, "events", true);
	results_add_u64(res, "wall_ns", rp->wall_ns, "ns", false);
	results_add_f64(res, "replay_ns_per_event", total ? (double)rp->wall_ns / (double)total : 0, 4,
			"ns", false);
	results_add_f64(res, "events_per_s", rp->wall_ns ? (double)total * 1e9 / (double)rp->wall_ns : 0,
			4, "events/s", false);
	if (rp->o->timing)
		results_add_f64(res, "timing_overhead_ns", rp->timing_overhead_ns, 3, "ns", false);
	else
		results_add_na(res, "timing_overhead_ns", "ns", false);
}

static json_t *engine_json(const struct replay *rp)
{
	json_t *zones = json_array();

	for (unsigned zi = 0; zi < rp->pm.nr_zones; zi++) {
		const struct zone *z = &rp->pm.zones[zi];
		json_array_append_new(zones, json_pack("{s:i,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:i,s:i}",
			"node", z->node, "zone", z->name,
			"start_pfn", (json_int_t)z->zone_start_pfn,
			"spanned_pages", (json_int_t)z->spanned_pages,
			"managed_pages", (json_int_t)z->managed_pages,
			"min", (json_int_t)z->watermark[WMARK_MIN],
			"low", (json_int_t)z->watermark[WMARK_LOW],
			"high", (json_int_t)z->watermark[WMARK_HIGH],
			"pcp_high", z->pcp_high, "pcp_batch", z->pcp_batch));
	}
	return json_pack("{s:I,s:I,s:f,s:o}", "max_pfn", (json_int_t)rp->pm.max_pfn,
			 "min_free_kbytes", (json_int_t)rp->pm.min_free_kbytes,
			 "host_bytes_per_page", phys_metadata_bytes_per_page(&rp->pm), "zones", zones);
}

static int replay_summary(struct replay *rp)
{
	json_t *s = summary_begin("replay"), *errors = json_object();
	json_t *hw = json_object();
	char err[512];
	int rc = -1;

	if (!s || !errors || !hw)
		goto out;
	for (unsigned e = 0; e < NR_REPLAY_ERRORS; e++)
		json_object_set_new(errors, replay_error_names[e], json_integer((json_int_t)rp->nr_errors[e]));
	hw_counters_json(&rp->hw, hw);
	json_object_set_new(s, "trace", summary_trace(rp->r, rp->o->trace_path));
	json_object_set_new(s, "policy", policy_json(rp->pol));
	json_object_set_new(s, "options", json_pack("{s:I,s:I,s:I,s:b,s:s,s:b}",
		"warmup_events", (json_int_t)rp->o->warmup, "check_every", (json_int_t)rp->o->check_every,
		"sample_every", (json_int_t)rp->sample_every, "timing", rp->o->timing,
		"touch", rp->vmr.touch ? "alloc" : "none", "chunk_prefetch", rp->chunk_prefetch));
	json_object_set_new(s, "clock", json_pack("{s:s,s:f,s:f,s:f}",
		"source", !rp->o->timing ? "none (--no-timing)" :
			  rp->cal.tsc ? "tsc" : "clock_gettime(CLOCK_MONOTONIC)",
		"tsc_ghz", rp->cal.tsc_ghz, "overhead_ns_per_reading", rp->cal.overhead_ns,
		"overhead_ns_per_event", rp->timing_overhead_ns));
	json_object_set_new(s, "engine", engine_json(rp));
	json_object_set_new(s, "replay_errors", errors);
	json_object_set_new(s, "dumps", json_incref(rp->dump_labels));
	json_object_set_new(s, "hw_counters", hw);
	errors = hw = NULL;
	if (summary_save(rp->o->out_dir, s, err, sizeof(err)))
		fprintf(stderr, "mmbench replay: %s\n", err);
	else
		rc = 0;
out:
	if (rc && !s)
		fprintf(stderr, "mmbench replay: out of memory\n");
	json_decref(s);
	json_decref(errors);
	json_decref(hw);
	return rc;
}

static int replay_results(struct replay *rp)
{
	results_t *res = results_create(rp->trace_name, rp->pol->name, "mmbench");
	char err[512];
	int rc = -1;

	if (!res) {
		fprintf(stderr, "mmbench replay: out of memory\n");
		return -1;
	}
	add_replay_rows(rp, res);
	if (replay_histograms(rp, res))
		goto out;
	add_engine_rows(rp, res);
	replay_vm_rows(&rp->vmr, rp->r, res);
	hw_counters_results(&rp->hw, res);
	if (results_save(res, rp->o->out_dir, err, sizeof(err))) {
		fprintf(stderr, "mmbench replay: %s\n", err);
		goto out;
	}
	rc = 0;
out:
	results_destroy(res);
	return rc;
}

/* ---------------------------------------------------------------- setup */

int replay_parse_dumps(const char *list, unsigned *bits, char *err, size_t errlen)
{
	static const struct { const char *name; unsigned bit; } names[] = {
		{ "buddyinfo", DUMP_BUDDYINFO }, { "pagetypeinfo", DUMP_PAGETYPEINFO },
		{ "zoneinfo", DUMP_ZONEINFO }, { "extfrag", DUMP_EXTFRAG },
		{ "slabinfo", DUMP_SLABINFO }, { "vmallocinfo", DUMP_VMALLOCINFO },
		{ "maps", DUMP_MAPS },
	};
	const char *p = list;

	*bits = 0;
	while (*p) {
		size_t len = strcspn(p, ",");
		size_t i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i].name) == len && !strncmp(p, names[i].name, len))
				break;
		if (i == sizeof(names) / sizeof(names[0])) {
			snprintf(err, errlen, "--dump: '%.*s' is not a dump (known: buddyinfo, pagetypeinfo, zoneinfo, extfrag, slabinfo, vmallocinfo, maps)",
				 (int)len, p);
			return -1;
		}
		*bits |= names[i].bit;
		p += len + (p[len] == ',');
	}
	return 0;
}

static void replay_free(struct replay *rp)
{
	for (unsigned k = 0; k < NR_KINDS; k++) {
		hist_destroy(&rp->measured[k]);
		hist_destroy(&rp->modeled[k]);
	}
	hw_counters_close(&rp->hw);
	if (rp->ts)
		fclose(rp->ts);
	free(rp->ts_rows);
	free(rp->ts_samples);
	json_decref(rp->dump_labels);
	free(rp->page_pfn);
	free(rp->page_order);
	free(rp->cma);
	free(rp->obj_addr);
	free(rp->obj_size);
	free(rp->caches);
	if (rp->vmr_up)
		replay_vm_destroy(&rp->vmr);
	if (rp->vm_up)
		vmalloc_destroy(&rp->vm);
	if (rp->slub_up)
		slub_destroy(&rp->slub);
	phys_destroy(&rp->pm);
	if (rp->r)
		trace_close(rp->r);
}

static int replay_setup(struct replay *rp)
{
	const trace_bounds_t *b;
	trace_error_t terr;
	char err[512], path[4200];

	rp->r = trace_open(rp->o->trace_path, &terr);
	if (!rp->r) {
		fprintf(stderr, "mmbench replay: %s\n", trace_error_format(&terr, err, sizeof(err)));
		return -1;
	}
	rp->sum = trace_summary(rp->r);
	b = &rp->sum->bounds;
	trace_name_from_path(rp->o->trace_path, rp->trace_name, sizeof(rp->trace_name));
	if (phys_init(&rp->pm, &rp->pol->phys, err, sizeof(err))) {
		fprintf(stderr, "mmbench replay: policy %s: %s\n", rp->pol->path, err);
		return -1;
	}
	memcpy(rp->pm.cost_weight, rp->pol->cost_cycles, sizeof(rp->pm.cost_weight));
	if (slub_init(&rp->slub, &rp->pm, &rp->pol->slub, err, sizeof(err))) {
		fprintf(stderr, "mmbench replay: policy %s: slub: %s\n", rp->pol->path, err);
		return -1;
	}
	rp->slub_up = true;
	if (vmalloc_init(&rp->vm, &rp->pm, &rp->pol->vmalloc, err, sizeof(err))) {
		fprintf(stderr, "mmbench replay: policy %s: vmalloc: %s\n", rp->pol->path, err);
		return -1;
	}
	rp->vm_up = true;
	bool touch = rp->o->touch < 0 ? !rp->sum->nr_by_type[TRACE_FAULT] : rp->o->touch > 0;
	if (replay_vm_init(&rp->vmr, &rp->pm, rp->pol, rp->o->trace_path, touch, err, sizeof(err))) {
		fprintf(stderr, "mmbench replay: policy %s: vm: %s\n", rp->pol->path, err);
		return -1;
	}
	rp->vmr_up = true;
	replay_vm_set_meta(&rp->vmr, rp->r);     /* seed address spaces from proc.PID.maps_* */
	struct phys_owner_ops ops = { .name = "replay", .migrate = replay_migrate, .ctx = rp };
	phys_register_owner(&rp->pm, OWNER_REPLAY, &ops);
	rp->page_pfn = malloc(((size_t)b->nr_pages + 1) * sizeof(*rp->page_pfn));
	rp->page_order = malloc((size_t)b->nr_pages + 1);
	rp->cma = malloc(((size_t)b->nr_cma + 1) * sizeof(*rp->cma));
	rp->obj_addr = malloc(((size_t)b->nr_objects + 1) * sizeof(*rp->obj_addr));
	rp->obj_size = malloc(((size_t)b->nr_objects + 1) * sizeof(*rp->obj_size));
	rp->caches = calloc((size_t)b->nr_caches + 1, sizeof(*rp->caches));
	rp->dump_labels = json_array();
	if (!rp->page_pfn || !rp->page_order || !rp->cma || !rp->dump_labels || !rp->obj_addr ||
	    !rp->obj_size || !rp->caches)
		goto nomem;
	/*
	 * Every id table written now (OBJ_NONE is 0, but calloc's untouched
	 * pages would fault in the timed loop, at the first event of each
	 * 512 ids).
	 */
	memset(rp->obj_addr, 0, ((size_t)b->nr_objects + 1) * sizeof(*rp->obj_addr));
	memset(rp->obj_size, 0, ((size_t)b->nr_objects + 1) * sizeof(*rp->obj_size));
	memset(rp->page_order, 0, (size_t)b->nr_pages + 1);
	for (uint32_t i = 0; i < b->nr_pages; i++)
		rp->page_pfn[i] = PFN_NONE;
	for (uint32_t i = 0; i < b->nr_cma; i++)
		rp->cma[i].pfn = PFN_NONE;
	for (unsigned k = 0; k < NR_KINDS; k++)
		if (hist_init(&rp->measured[k], HIST_HIGHEST, HIST_SIGFIGS) ||
		    hist_init(&rp->modeled[k], HIST_HIGHEST, HIST_SIGFIGS))
			goto nomem;
	rp->sample_every = rp->o->sample_every ? rp->o->sample_every : rp->sum->nr_events / 100;
	if (!rp->sample_every)
		rp->sample_every = 1;
	if (mkdir_p(rp->o->out_dir)) {
		fprintf(stderr, "mmbench replay: %s: %s\n", rp->o->out_dir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/timeseries.csv", rp->o->out_dir);
	rp->ts = fopen(path, "w");
	if (!rp->ts) {
		fprintf(stderr, "mmbench replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fputs("event,ts_ns,scope,metric,order,migratetype,value\n", rp->ts);
	rp->ts_rows_per_sample = 1;
	if (replay_sample(rp, 0, 0)) {
		fprintf(stderr, "mmbench replay: out of memory for the timeseries\n");
		return -1;
	}
	/* Room for every sample's rows, written now rather than inside the loop. */
	uint64_t nr_samples = rp->sum->nr_events / rp->sample_every + 2;
	uint64_t rows = nr_samples > TS_HOLD_MAX / rp->ts_rows_per_sample ? TS_HOLD_MAX :
			nr_samples * rp->ts_rows_per_sample;
	ts_reserve(rp, rows > TS_HOLD_MAX - rp->ts_len ? TS_HOLD_MAX - rp->ts_len : (size_t)rows);
	if (rp->ts_samples_cap < nr_samples && nr_samples < TS_HOLD_MAX)
		ts_grow((void **)&rp->ts_samples, &rp->ts_samples_cap, (size_t)nr_samples,
			sizeof(*rp->ts_samples), TS_HOLD_MAX);
	if (rp->o->timing)
		clock_calibrate(&rp->cal, 20);
	hw_counters_open(&rp->hw);
	return 0;
nomem:
	fprintf(stderr, "mmbench replay: out of memory for a trace of %u page ids and %u object ids\n",
		b->nr_pages, b->nr_objects);
	return -1;
}

int replay_run(const struct policy *p, const struct replay_opts *opts)
{
	struct replay *rp = calloc(1, sizeof(*rp));
	int rc = 1;

	if (!rp) {
		fprintf(stderr, "mmbench replay: out of memory\n");
		return 1;
	}
	rp->pol = p;
	rp->o = opts;
	if (replay_setup(rp) || replay_loop(rp) || replay_dump(rp, "end"))
		goto out;
	if (fclose(rp->ts)) {
		rp->ts = NULL;
		fprintf(stderr, "mmbench replay: %s/timeseries.csv: write failed\n", opts->out_dir);
		goto out;
	}
	rp->ts = NULL;
	if (replay_results(rp) || replay_summary(rp))
		goto out;
	if (!opts->quiet)
		printf("replay: %s under %s: %" PRIu64 " events in %.3f s (%.1f M events/s, %.1f ns/event), "
		       "results in %s\n",
		       rp->trace_name, p->name, rp->sum->nr_events, (double)rp->wall_ns / 1e9,
		       rp->wall_ns ? (double)rp->sum->nr_events * 1e3 / (double)rp->wall_ns : 0.0,
		       rp->sum->nr_events ? (double)rp->wall_ns / (double)rp->sum->nr_events : 0.0,
		       opts->out_dir);
	rc = 0;
out:
	replay_free(rp);
	if (rc) {       /* no partial timeseries to be mistaken for a whole one */
		char path[4200];
		snprintf(path, sizeof(path), "%s/timeseries.csv", opts->out_dir);
		remove(path);
	}
	free(rp);
	return rc;
}
