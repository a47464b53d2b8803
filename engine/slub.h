/*
 * slub.h - the SLUB slab allocator and kmalloc (Linux v6.6 mm/slub.c,
 * mm/slab_common.c, include/linux/slab.h, include/linux/slub_def.h).
 *
 * A slub_t holds every kmem_cache of one simulated machine.  Slabs are
 * compound blocks from alloc_pages() (PG_slab on every page, page.private =
 * slab id), objects are named by their direct-map kernel address
 * (PAGE_OFFSET + (pfn << PAGE_SHIFT) + offset), 0 is failure.  The model
 * keeps SLUB's structure: a per-CPU kmem_cache_cpu (freelist, current slab,
 * cpu partial list), per-node partial lists, frozen slabs, the ___slab_alloc
 * refill order and the __slab_free transitions, and counts each step in the
 * phys_t's cost array (COST_SLAB_*) instead of timing it.
 *
 * Glossary (the kernel's terms):
 *   cpu slab      the slab a CPU allocates from (c->slab); frozen: exempt
 *                 from list management, its objects sit on c->freelist
 *                 (taken by this CPU) or slab->freelist (freed by others).
 *   cpu partial   frozen slabs with free objects parked on a CPU
 *                 (c->partial), used before the node lists.
 *   node partial  unfrozen slabs with free objects, per node (n->partial);
 *                 full slabs are on no list (!CONFIG_SLUB_DEBUG).
 *   oo / min      slab order and objects per slab, preferred and fallback.
 *   inuse         objects not on slab->freelist: for a cpu slab this counts
 *                 the objects on c->freelist too.
 *
 * Unlike the kernel, the model marks each live object (SLAB_OBJ_LIVE in its
 * free pointer slot), so that a free of an address that is not a live
 * object (unknown, freed twice, inside an object) is refused with
 * -MM_EINVAL and changes nothing, and keeps the size each kmalloc() asked
 * for (internal fragmentation) in the same slot.
 *
 * Host-side shortcuts that change no modeled state or count: each
 * kmem_cache_cpu caches its cpu slab's address range, free pointer array
 * and the cache's reciprocal, so the fast paths touch only it and the
 * array; kfree() first tries the cpu slab of the cache the CPU last
 * allocated from (slub_t.free_hint) by an address range check, and looks
 * the page up in the memmap (virt_to_slab) only when that misses.  So the
 * index a fast free pushes on the cpu freelist, which the next allocation
 * reads, is computed from the address alone, not at the end of a chain of
 * dependent loads (page, slab id, slab, cache).
 *
 * Not modeled: SLUB debugging (red zones, poisoning, tracking: the flags
 * are accepted and ignored), freelist randomization and hardening, cache
 * merging (every kmem_cache_create() makes a cache), kfence, RCU-delayed
 * slab freeing, the memcg charge itself (kmalloc-cg-* caches exist),
 * get_any_partial()'s random remote_node_defrag_ratio test (remote nodes are
 * always tried).  Not thread-safe: a slub_t belongs to its phys_t's thread.
 *
 * Locking in the kernel, for the cost model (the "Lock order" of slub.c):
 * the fast paths take no lock; the slow paths take the per-node list_lock
 * only to touch a node partial list (COST_SLAB_LIST_LOCK).
 */
#ifndef MMBENCH_SLUB_H
#define MMBENCH_SLUB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/phys.h"

/* x86-64 direct map base (arch/x86/include/asm/page_64_types.h, 4-level paging) */
#define PAGE_OFFSET		0xffff888000000000ull
#define ZERO_SIZE_PTR		16ull   /* kmalloc(0): a non-NULL address nobody may use */

/* slab_flags_t values of include/linux/slab.h (v6.6) */
#define SLAB_CONSISTENCY_CHECKS	0x00000100u     /* debug: accepted, ignored */
#define SLAB_RED_ZONE		0x00000400u     /* debug: accepted, ignored */
#define SLAB_POISON		0x00000800u     /* debug: accepted, ignored */
#define SLAB_KMALLOC		0x00001000u     /* a kmalloc-* cache (set by slub_init) */
#define SLAB_HWCACHE_ALIGN	0x00002000u     /* align objects on cache lines */
#define SLAB_CACHE_DMA		0x00004000u     /* slab pages from ZONE_DMA */
#define SLAB_CACHE_DMA32	0x00008000u     /* slab pages from ZONE_DMA32 */
#define SLAB_STORE_USER		0x00010000u     /* debug: accepted, ignored */
#define SLAB_RECLAIM_ACCOUNT	0x00020000u     /* slab pages __GFP_RECLAIMABLE */
#define SLAB_PANIC		0x00040000u     /* accepted, ignored */
#define SLAB_TYPESAFE_BY_RCU	0x00080000u     /* free pointer outside the object */
#define SLAB_TRACE		0x00200000u     /* debug: accepted, ignored */
#define SLAB_NOLEAKTRACE	0x00800000u     /* accepted, ignored */
#define SLAB_NO_MERGE		0x01000000u     /* accepted (nothing merges) */
#define SLAB_ACCOUNT		0x04000000u     /* memcg accounted (kmalloc-cg-*) */
#define SLAB_TEMPORARY		SLAB_RECLAIM_ACCOUNT

/* kmalloc geometry for SLUB on x86-64 with 4 KiB pages (include/linux/slab.h) */
#define KMALLOC_MIN_SIZE	8
#define KMALLOC_SHIFT_LOW	3
#define KMALLOC_SHIFT_HIGH	(PAGE_SHIFT + 1)
#define KMALLOC_MAX_CACHE_SIZE	(1u << KMALLOC_SHIFT_HIGH)      /* 8192 bytes */
#define MAX_OBJS_PER_PAGE	32767   /* slab->objects is 15 bits */
#define SLAB_NAME_MAX		48      /* bytes of a cache name, NUL included */

/* enum kmalloc_cache_type, v6.6 order with CONFIG_ZONE_DMA and CONFIG_MEMCG_KMEM */
enum kmalloc_cache_type {
	KMALLOC_NORMAL,
	KMALLOC_RECLAIM,        /* __GFP_RECLAIMABLE: kmalloc-rcl-* */
	KMALLOC_DMA,            /* __GFP_DMA: dma-kmalloc-* */
	KMALLOC_CGROUP,         /* __GFP_ACCOUNT: kmalloc-cg-* */
	NR_KMALLOC_TYPES
};

/*
 * Boot parameters and build choices a policy sets.  slub_config_default()
 * fills the v6.6 defaults of an x86-64 distribution kernel.
 */
struct slub_config {
	unsigned min_objects;           /* slub_min_objects=; 0 = 4 * (fls(nr_cpus) + 1) (calculate_order) */
	unsigned max_order;             /* slub_max_order=; PAGE_ALLOC_COSTLY_ORDER (3) */
	unsigned min_order;             /* slub_min_order=; 0 */
	bool cpu_partial_enabled;       /* CONFIG_SLUB_CPU_PARTIAL; true */
	bool kmalloc_dma;               /* CONFIG_ZONE_DMA: dma-kmalloc-* (needs the DMA zone); true */
	bool kmalloc_cgroup;            /* CONFIG_MEMCG_KMEM: kmalloc-cg-*; true */
	unsigned cache_line_size;       /* bytes, SLAB_HWCACHE_ALIGN (cache_line_size()); 64 */
};

/* A slab: a compound block of 2^order pages holding `objects` objects (struct slab). */
struct slab {
	struct kmem_cache *cache;       /* slab_cache */
	struct slab *next;              /* node partial list, cpu partial list, or free slab structs */
	struct slab *prev;              /* node partial list */
	uint16_t *fp;                   /* [objects] free object: next free index (SLAB_FL_NONE ends);
					   live object: SLAB_OBJ_LIVE | bytes requested (kmalloc caches) */
	pfn_t pfn;                      /* first page; PFN_NONE when the struct is unused */
	uint32_t id;                    /* index in slub_t's slab table (page.private) */
	uint16_t objects;               /* objects in this slab (oo or min) */
	uint16_t inuse;                 /* objects not on slab->freelist */
	uint16_t freelist;              /* first object of slab->freelist, SLAB_FL_NONE if empty */
	uint16_t slabs;                 /* cpu partial: slabs from here to the list's end */
	uint8_t order;                  /* 2^order pages */
	uint8_t frozen;                 /* cpu slab or on a cpu partial list */
	uint8_t list;                   /* enum slab_list: where the slab sits */
	uint8_t node;                   /* node of its pages (slab_nid) */
	uint16_t cpu;                   /* frozen: the CPU whose slab or partial list holds it */
	uint16_t fp_cap;                /* entries fp has room for; fp outlives the slab with its struct */
	uint8_t pad[8];                 /* keeps the struct at 64 bytes */
};
_Static_assert(sizeof(struct slab) == 64, "struct slab stays one cache line");

/*
 * slab->fp[] entries: a free object holds the index of the next free
 * object, or SLAB_FL_NONE at the end of its list; a live object holds
 * SLAB_OBJ_LIVE, ORed for a kmalloc cache with the bytes its kmalloc()
 * asked for (at most KMALLOC_MAX_CACHE_SIZE, so they fit SLAB_OBJ_REQ).
 */
#define SLAB_FL_NONE		0x7fffu         /* end of a freelist (objects are 15 bits) */
#define SLAB_OBJ_LIVE		0x8000u         /* the object is allocated */
#define SLAB_OBJ_REQ		0x7fffu         /* live: bytes requested (kmalloc caches) */

enum slab_list {
	SLAB_LIST_NONE,                 /* full (not frozen) or on no list */
	SLAB_LIST_NODE,                 /* on its node's partial list */
	SLAB_LIST_CPU_SLAB,             /* some CPU's c->slab */
	SLAB_LIST_CPU_PARTIAL,          /* on some CPU's c->partial list */
};

/*
 * Per-CPU allocation state of a cache (struct kmem_cache_cpu), one cache
 * line.  fp, base and span copy the cpu slab's (cpu_slab_set() in slub.c),
 * size and reciprocal the cache's, so that the fast paths need nothing else.
 */
struct kmem_cache_cpu {
	uint16_t freelist;              /* first free object of slab taken by this CPU, or SLAB_FL_NONE */
	uint16_t pad;                   /* unused */
	uint32_t tid;                   /* transaction id: bumped by the slow paths only (next_tid) */
	uint16_t *fp;                   /* slab->fp, NULL without a cpu slab */
	uint64_t base;                  /* address of the cpu slab's object 0, 0 without a cpu slab */
	uint32_t span;                  /* bytes: slab->objects * size, 0 without a cpu slab */
	uint32_t size;                  /* cache->size, bytes per object slot */
	uint64_t reciprocal;            /* cache->reciprocal, for obj_offset_to_index() */
	struct slab *slab;              /* the cpu slab, or NULL */
	struct kmem_cache *cache;       /* the cache this belongs to */
	struct slab *partial;           /* cpu partial list head (slab->next links, slab->slabs counts) */
};
_Static_assert(sizeof(struct kmem_cache_cpu) == 64, "struct kmem_cache_cpu is one cache line");

/* Per-node lists of a cache (struct kmem_cache_node). */
struct kmem_cache_node {
	struct slab *partial;           /* partial list head */
	struct slab *partial_tail;      /* partial list tail */
	uint64_t nr_partial;            /* slabs on the partial list */
	uint64_t nr_slabs;              /* slabs of this node, any state (node_nr_slabs) */
	uint64_t total_objects;         /* objects in them (node_nr_objs) */
};

/*
 * Event counters of a cache (the kernel's CONFIG_SLUB_STATS names).  The
 * fast-path counters come second of each pair: see struct kmem_cache.
 */
struct kmem_cache_events {
	uint64_t alloc_slowpath;        /* ALLOC_SLOWPATH */
	uint64_t alloc_fastpath;        /* ALLOC_FASTPATH */
	uint64_t free_slowpath;         /* FREE_SLOWPATH */
	uint64_t free_fastpath;         /* FREE_FASTPATH */
	uint64_t alloc_slab;            /* ALLOC_SLAB: new slabs */
	uint64_t free_slab;             /* FREE_SLAB: slabs discarded */
	uint64_t alloc_from_partial;    /* ALLOC_FROM_PARTIAL: node partial slab taken */
	uint64_t cpu_partial_alloc;     /* CPU_PARTIAL_ALLOC: cpu partial slab taken */
	uint64_t cpu_partial_free;      /* CPU_PARTIAL_FREE: full slab frozen by a free */
	uint64_t cpu_partial_node;      /* CPU_PARTIAL_NODE: node slab moved to cpu partial */
	uint64_t cpu_partial_drain;     /* CPU_PARTIAL_DRAIN: cpu partial list unfrozen */
	uint64_t order_fallback;        /* ORDER_FALLBACK: slab of order min, oo failed */
	uint64_t alloc_fail;            /* allocations that returned 0 */
	uint64_t invalid_free;          /* frees refused: not a live object of this cache */
};

/* A slab cache (struct kmem_cache, include/linux/slub_def.h). */
struct kmem_cache {
	char name[SLAB_NAME_MAX];       /* as /proc/slabinfo prints it */
	unsigned object_size;           /* bytes the user asked for */
	unsigned size;                  /* bytes per object slot, with alignment and metadata */
	unsigned align;                 /* bytes (calculate_alignment) */
	unsigned offset;                /* free pointer offset in the object, bytes */
	unsigned inuse;                 /* bytes up to the free pointer or metadata (s->inuse) */
	unsigned flags;                 /* SLAB_* */
	gfp_t allocflags;               /* __GFP_COMP / DMA / DMA32 / RECLAIMABLE for slab pages */
	uint64_t reciprocal;            /* ceil(2^64 / size), for obj_offset_to_index() */
	uint8_t oo_order;               /* preferred slab order (oo_order(s->oo)) */
	uint8_t min_order;              /* fallback slab order (oo_order(s->min)) */
	uint16_t oo_objects;            /* objects per preferred slab */
	uint16_t min_objects;           /* objects per fallback slab */
	unsigned min_partial;           /* empty slabs kept on a node partial list */
	unsigned cpu_partial;           /* objects (sysfs cpu_partial) */
	unsigned cpu_partial_slabs;     /* slabs on a cpu partial list before it drains */
	uint16_t id;                    /* index in slub_t's cache table */
	bool kmalloc;                   /* a kmalloc cache: record each object's requested size */
	uint64_t self_addr;             /* this struct's object in the kmem_cache cache, 0 for none */
	uint64_t *node_addr;            /* [nr_nodes] kmem_cache_node objects, 0 for none */
	struct kmem_cache *list_next;   /* slab_caches list, newest first */
	struct kmem_cache *list_prev;   /* slab_caches list */
	struct kmem_cache_cpu *cpu_slab;/* [nr_cpus], cache-line aligned */
	struct kmem_cache_node *node;   /* [nr_nodes] */
	/*
	 * The counters a fast path adds to (nr_active, bytes_requested,
	 * ev.alloc_fastpath or ev.free_fastpath) are never neighbours: gcc
	 * would add to two with one 16-byte load and store, which the other
	 * path's two 8-byte stores cannot forward to (a stall of the next
	 * allocation until they retire).
	 */
	uint64_t nr_active;             /* live objects (model's exact count) */
	uint64_t nr_pages;              /* pages in this cache's slabs */
	uint64_t bytes_requested;       /* sum of the sizes asked for by the live objects */
	struct kmem_cache_events ev;    /* event counters */
};

/* A kmalloc_large() allocation: pages straight from alloc_pages(). */
struct large_kmalloc {
	pfn_t pfn;                      /* head page, PFN_NONE when the entry is free */
	uint32_t next_free;             /* free entry chain */
	uint64_t size;                  /* bytes requested */
	uint8_t order;                  /* get_order(size) */
};

/* Counters kept across the whole slub_t. */
struct slub_events {
	uint64_t large_alloc;           /* kmalloc_large() successes */
	uint64_t large_free;            /* free_large_kmalloc() calls */
	uint64_t large_fail;            /* kmalloc_large() failures */
	uint64_t invalid_free;          /* kfree()s refused: not a live object */
	uint64_t krealloc_inplace;      /* krealloc()s that kept the object */
	uint64_t krealloc_move;         /* krealloc()s that allocated, copied, freed */
};

#define SLAB_CHUNK_SHIFT	10      /* struct slab table: 1024 per chunk */

/* Every cache of one machine (the kernel's slab_caches and kmalloc_caches). */
typedef struct slub {
	phys_t *pm;                     /* the machine, its page allocator and cost counters */
	struct page *mem_map;           /* pm->mem_map, for slab_find_object() */
	pfn_t max_pfn;                  /* pm->max_pfn */
	struct slub_config cfg;         /* as given, after validation */
	unsigned nr_cpus;               /* pm->nr_cpus */
	struct kmem_cache_cpu **free_hint; /* [nr_cpus] the kmem_cache_cpu of the cache each CPU
					      last allocated from, tried first by kfree() */
	unsigned nr_nodes;              /* pm->nr_nodes */
	unsigned min_objects;           /* slub_min_objects as calculate_order() uses it */
	struct kmem_cache *slab_caches; /* list head, newest first as /proc/slabinfo prints */
	struct kmem_cache **caches;     /* [nr_cache_ids] by id, NULL when destroyed */
	unsigned nr_cache_ids;          /* ids handed out */
	unsigned caches_cap;            /* entries allocated in caches */
	unsigned nr_caches;             /* live caches */
	struct kmem_cache *kmem_cache;  /* boot cache of struct kmem_cache */
	struct kmem_cache *kmem_cache_node; /* boot cache of struct kmem_cache_node */
	struct kmem_cache *kmalloc_caches[NR_KMALLOC_TYPES][KMALLOC_SHIFT_HIGH + 1]; /* by type, index */
	struct slab **slab_chunk;       /* [nr_slab_chunks] of 1 << SLAB_CHUNK_SHIFT slabs */
	unsigned nr_slab_chunks;        /* chunks allocated */
	unsigned slab_chunk_cap;        /* entries allocated in slab_chunk */
	uint32_t nr_slab_ids;           /* slab ids handed out (high-water mark) */
	struct slab *free_slabs;        /* unused struct slabs, linked by next */
	uint64_t nr_slab_pages;         /* pages held by all slabs */
	struct large_kmalloc *large;    /* [nr_large_ids] kmalloc_large() table */
	uint32_t nr_large_ids;          /* entries handed out */
	uint32_t large_cap;             /* entries allocated */
	uint32_t large_free;            /* first free entry, UINT32_MAX for none */
	gfp_t kmalloc_not_normal;       /* KMALLOC_NOT_NORMAL_BITS of the caches that exist */
	uint64_t nr_large;              /* live large allocations */
	uint64_t large_pages;           /* pages they hold */
	uint64_t large_bytes_requested; /* bytes they asked for */
	struct slub_events ev;          /* counters */
} slub_t;

/* Per cache (or all caches) figures for results. */
struct slub_stats {
	uint64_t nr_caches;             /* caches counted */
	uint64_t active_objs;           /* live objects (slab objects, plus large kmallocs for all) */
	uint64_t bytes_requested;       /* bytes the live objects asked for */
	uint64_t bytes_allocated;       /* bytes they occupy: object slots (size) and large pages */
	uint64_t slab_pages;            /* pages in slabs (plus large kmalloc pages for all) */
	uint64_t nr_slabs;              /* slabs */
	uint64_t total_objs;            /* object slots in all slabs */
	uint64_t nr_partial_slabs;      /* slabs on node partial lists */
	uint64_t partial_free_objs;     /* free objects in them (external fragmentation) */
	uint64_t nr_cpu_slabs;          /* cpu slabs */
	uint64_t nr_cpu_partial_slabs;  /* slabs on cpu partial lists */
	uint64_t alloc_fail;            /* allocations that returned 0 (cache and large) */
	uint64_t alloc_fastpath;        /* allocations from a cpu freelist */
	uint64_t alloc_slowpath;        /* allocations through ___slab_alloc */
	uint64_t free_fastpath;         /* frees onto a cpu freelist */
	uint64_t free_slowpath;         /* frees through __slab_free */
	uint64_t slabs_allocated;       /* new slabs */
	uint64_t slabs_freed;           /* slabs discarded */
	uint64_t nr_large;              /* live kmalloc_large() allocations (all caches only) */
	uint64_t large_pages;           /* pages they hold (all caches only) */
};

/* Fill *cfg with the defaults described at struct slub_config. */
void slub_config_default(struct slub_config *cfg);

/*
 * Set up the allocator of machine pm as kmem_cache_init() does: the boot
 * caches kmem_cache_node and kmem_cache, then the kmalloc caches of every
 * type (create_kmalloc_caches), each with its struct kmem_cache and per-node
 * struct kmem_cache_node allocated as objects from the boot caches.
 * Returns 0; -MM_EINVAL with a message in err[errlen] when cfg is out of
 * range (max_order or min_order above pm's max_order, cache_line_size not a
 * power of two 8..4096); -MM_ENOMEM when host or simulated memory runs out
 * (then *s is empty and every page is back with the page allocator).
 */
int slub_init(slub_t *s, phys_t *pm, const struct slub_config *cfg, char *err, size_t errlen);

/* Give every slab and large kmalloc page back to the page allocator and zero *s. */
void slub_destroy(slub_t *s);

/*
 * kmem_cache_create(): a cache of objects of `size` bytes aligned to `align`
 * (0 or a power of two, bytes) with SLAB_* flags.  Its struct kmem_cache and
 * kmem_cache_node objects come from the boot caches (on CPU 0).  Returns
 * NULL on a bad argument (size 0 or above KMALLOC_MAX_SIZE, align not a
 * power of two, unknown flag bits, name NULL, empty or longer than
 * SLAB_NAME_MAX - 1) or when memory runs out.
 */
struct kmem_cache *kmem_cache_create(slub_t *s, const char *name, unsigned size, unsigned align,
				     unsigned flags);

/*
 * kmem_cache_destroy(): flush the cache's CPU slabs from `cpu`'s view (all
 * CPUs, as flush_all_cpus_locked), discard its empty slabs, and free it.
 * Returns 0; -MM_EBUSY when objects are still live (the kernel's "Slab cache
 * still has objects"): the cache stays usable; -MM_EINVAL for a boot or
 * kmalloc cache or NULL.
 */
int kmem_cache_destroy(slub_t *s, struct kmem_cache *c, unsigned cpu);

/*
 * kmem_cache_shrink() / __kmem_cache_shrink(): flush every CPU's slab and
 * partial list, discard every empty slab (ignoring min_partial) and sort
 * the partial lists by free objects, fullest first.  Returns 0 if the cache
 * holds no slab afterwards, 1 if it does, -MM_EINVAL for NULL.
 */
int kmem_cache_shrink(slub_t *s, struct kmem_cache *c, unsigned cpu);

/* kmem_cache_shrink() on every cache (echo 1 > /sys/kernel/slab/ * /shrink). */
void slub_shrink_all(slub_t *s);

/* Statistics of cache c, or of all caches and large kmallocs when c is NULL. */
void slub_stats(const slub_t *s, const struct kmem_cache *c, struct slub_stats *st);

/*
 * slub_check(): recount every list and counter of every cache and check
 * them against the slabs and the memmap: freelists (no cycles, indices in
 * the slab, no object both free and live, none on two lists), inuse,
 * frozen state against the CPU and partial lists, node partial links and
 * counts, per-node slab and object counts, live and requested byte counts,
 * the kmem_cache_cpu copies of the cpu slab and cache, every CPU's
 * free_hint naming a live cache, PG_slab and page.private on every page of
 * every slab, and conservation: pages of PG_slab heads in the memmap ==
 * slab pages held.  Returns 0, or -1
 * with the first violation (naming cache and slab pfn) in msg.  O(max_pfn +
 * objects).
 */
int slub_check(const slub_t *s, char *msg, size_t len);

/*
 * /proc/slabinfo, version 2.1, byte for byte as slab_show() prints it
 * (mm/slab_common.c, with get_slabinfo() of mm/slub.c), caches newest first.
 */
void dump_slabinfo(const slub_t *s, FILE *f);

/* ---------------------------------------------------------------- kmalloc (slab_common.c) */

/* KMALLOC_MAX_SIZE: the largest kmalloc, bytes (order pm max_order). */
static inline uint64_t kmalloc_max_size(const slub_t *s)
{
	return PAGE_SIZE << s->pm->max_order;
}

/*
 * __kmalloc_index(): the kmalloc cache index for size bytes: 0 for 0,
 * 3..26 for 2^index bytes, 1 for 96 and 2 for 192; -1 above 64 MiB.
 */
int kmalloc_index(size_t size);


/*
 * kmalloc_large() (__kmalloc_large_node): 2^get_order(size) pages with
 * __GFP_COMP for size above KMALLOC_MAX_CACHE_SIZE, up to
 * kmalloc_max_size().  Returns the address or 0.
 */
uint64_t kmalloc_large(slub_t *s, size_t size, gfp_t gfp, unsigned cpu);

/*
 * kfree() of an address that is not a live object of the cpu slab its
 * free_hint names: the memmap lookup (virt_to_slab) and do_slab_free(), else
 * 0 for 0 and ZERO_SIZE_PTR, free_large_kmalloc(), or -MM_EINVAL (slub.c).
 * cpu is below nr_cpus.
 */
int kfree_slow(slub_t *s, uint64_t addr, unsigned cpu);

/* free_large_kmalloc() of the kmalloc_large() at addr, or -MM_EINVAL (kfree_slow()) */
int kfree_large(slub_t *s, uint64_t addr, unsigned cpu);

/* size_index[] of slab_common.c: kmalloc index of sizes 1..192 by (size - 1) / 8 */
extern const uint8_t kmalloc_size_index[24];

/* ksize(): usable bytes of the live object at addr (slot size or pages), 0 if none. */
size_t ksize(const slub_t *s, uint64_t addr);

/*
 * krealloc(): keep the object when ksize(addr) >= new_size, else kmalloc
 * new_size, copy ksize(addr) bytes (COST_SLAB_COPY_LINE) and kfree addr.
 * addr 0 is kmalloc(); new_size 0 frees and returns ZERO_SIZE_PTR.  Returns
 * the address, or 0 when the allocation fails (addr stays live) or addr is
 * not a live object.
 */
uint64_t krealloc(slub_t *s, uint64_t addr, size_t new_size, gfp_t gfp, unsigned cpu);

/* The live cache named `name` (the first on the list), or NULL. */
struct kmem_cache *slub_find_cache(const slub_t *s, const char *name);

/* ---------------------------------------------------------------- between slub.c and slab_common.c */

/* get_order(): order of the smallest block of >= size bytes (size >= 1) */
unsigned slub_get_order(uint64_t size);

/*
 * calculate_order(): the slab order for objects of `size` bytes from
 * slub_min_objects, slub_max_order and slub_min_order (v6.6); -1 if none
 * fits MAX_ORDER.
 */
int calculate_order(const slub_t *s, unsigned size);

/*
 * kmem_cache_open(): layout, orders, min_partial, cpu_partial and the
 * per-CPU and per-node arrays of c, whose name, object_size, align and
 * flags are set.  Returns 0, -MM_EINVAL (no order fits) or -MM_ENOMEM.
 */
int kmem_cache_open(slub_t *s, struct kmem_cache *c);

/* __kmem_cache_release(): free c's per-CPU and per-node arrays. */
void kmem_cache_release(struct kmem_cache *c);

/* flush_all(): deactivate every CPU's slab and unfreeze its partial list. */
void slub_flush_all(slub_t *s, struct kmem_cache *c);

/* __kmem_cache_shutdown(): flush, discard empty slabs; 1 if slabs remain. */
int kmem_cache_shutdown(slub_t *s, struct kmem_cache *c, unsigned cpu);

/* Free every slab's pages and the slab table (slub_destroy). */
void slub_free_all_slabs(slub_t *s);

/* ---------------------------------------------------------------- fast paths */

/* ___slab_alloc(): the slow path, out of line (slub.c).  cpu is below nr_cpus. */
uint64_t slab_alloc_slow(slub_t *s, struct kmem_cache *c, gfp_t gfp, unsigned cpu,
			 unsigned orig_size);

/* __slab_free(): object idx of slab, freed by a CPU that does not own it (slub.c). */
void slab_free_slow(slub_t *s, struct kmem_cache *c, struct slab *slab, unsigned idx,
		    unsigned cpu);

/*
 * kmem_cache_free() when addr is not a live object of c's cpu slab on cpu
 * (below nr_cpus): virt_to_slab() and slab_free(), or -MM_EINVAL (slub.c).
 */
int kmem_cache_free_slow(slub_t *s, struct kmem_cache *c, uint64_t addr, unsigned cpu);

/* The slab with id (page.private of its pages). */
static inline struct slab *slab_from_id(const slub_t *s, uint32_t id)
{
	return &s->slab_chunk[id >> SLAB_CHUNK_SHIFT][id & ((1u << SLAB_CHUNK_SHIFT) - 1)];
}

/* slab_address(): the kernel address of the slab's object 0 */
static inline uint64_t slab_base(const struct slab *slab)
{
	return PAGE_OFFSET + ((uint64_t)slab->pfn << PAGE_SHIFT);
}

/* slab_address() + idx * size: an object's kernel address */
static inline uint64_t slab_obj_addr(const struct kmem_cache *c, const struct slab *slab,
				     unsigned idx)
{
	return slab_base(slab) + (uint64_t)idx * c->size;
}

/*
 * obj_to_index() for an offset a in a slab of objects of `size` bytes,
 * reciprocal = ceil(2^64 / size): a / size in *idx, and whether a starts an
 * object (a % size == 0), both from one 64x64->128-bit multiply, as the
 * kernel's reciprocal_divide() avoids a division (the remainder test is
 * Lemire, Kaser and Kurz, "Faster remainder by direct computation", 2019;
 * exact for a and size below 2^32).
 */
static inline bool obj_offset_to_index(uint64_t reciprocal, uint32_t a, uint32_t *idx)
{
	/* the low half apart: gcc spills a whole __int128 in register-hungry loops */
	*idx = (uint32_t)(((unsigned __int128)a * reciprocal) >> 64);
	return a * reciprocal < reciprocal;
}

/*
 * The bytes a live object of a kmalloc cache asked for, in the low bits of
 * its free pointer slot (as the kernel keeps the free pointer inside the
 * object, unused while it is allocated): slab_req(slab)[idx] & SLAB_OBJ_REQ.
 */
static inline uint16_t *slab_req(const struct slab *slab)
{
	return slab->fp;
}

static inline unsigned slub_cpu(const slub_t *s, unsigned cpu)
{
	if (__builtin_expect(cpu >= s->nr_cpus, 0))
		cpu %= s->nr_cpus;      /* traces may name more CPUs */
	return cpu;
}

/* Object bytes cleared for __GFP_ZERO (slab_post_alloc_hook), in cache lines */
static inline void slab_count_zero(slub_t *s, const struct kmem_cache *c, gfp_t gfp)
{
	if (__builtin_expect(gfp & GFP_F_ZERO, 0))
		cost_add(s->pm, COST_SLAB_ZERO_LINE, (c->object_size + 63) / 64);
}

/*
 * slab_alloc_node() with a request of orig_size bytes: the fast path takes
 * the first object of the cpu freelist (__slab_alloc_node), else
 * ___slab_alloc().  Returns the address or 0.
 */
static inline uint64_t slab_alloc(slub_t *s, struct kmem_cache *c, gfp_t gfp, unsigned cpu,
				  unsigned orig_size)
{
	struct kmem_cache_cpu *cc;
	uint16_t *fp;
	uint64_t addr;
	unsigned idx;

	cpu = slub_cpu(s, cpu);
	cc = &c->cpu_slab[cpu];
	idx = cc->freelist;
	if (__builtin_expect(idx == SLAB_FL_NONE, 0))
		return slab_alloc_slow(s, c, gfp, cpu, orig_size);
	fp = cc->fp;
	addr = cc->base + (uint64_t)idx * cc->size;
	cc->freelist = fp[idx];
	fp[idx] = (uint16_t)(orig_size | SLAB_OBJ_LIVE);        /* slab_req() */
	s->free_hint[cpu] = cc;
	c->nr_active++;
	c->bytes_requested += orig_size;
	c->ev.alloc_fastpath++;
	cost_add(s->pm, COST_SLAB_ALLOC_FAST, 1);
	slab_count_zero(s, c, gfp);
	return addr;
}

/*
 * kmem_cache_alloc(): an object of cache c for an allocation on `cpu`
 * (taken modulo nr_cpus).  __GFP_ZERO counts the object's cache lines as
 * cleared.  Returns its address, or 0 when no slab could be allocated.
 */
static inline uint64_t kmem_cache_alloc(slub_t *s, struct kmem_cache *c, gfp_t gfp, unsigned cpu)
{
	return slab_alloc(s, c, gfp, cpu, c->object_size);
}

/*
 * do_slab_free() fast path for cc's cpu slab: when addr is a live object of
 * it, put it on the cpu freelist and return true; else return false and
 * change nothing.  The range check stands in for virt_to_slab(): only the
 * cpu slab's pages hold addresses in [base, base + span).
 */
static inline bool cpu_slab_free(slub_t *s, struct kmem_cache_cpu *cc, uint64_t addr)
{
	uint64_t off = addr - cc->base;
	uint16_t *fp = cc->fp;
	struct kmem_cache *c;
	uint32_t idx;
	unsigned v;

	if (__builtin_expect(off >= cc->span, 0) ||
	    __builtin_expect(!obj_offset_to_index(cc->reciprocal, (uint32_t)off, &idx), 0))
		return false;
	v = fp[idx];
	if (__builtin_expect(!(v & SLAB_OBJ_LIVE), 0))
		return false;
	c = cc->cache;
	fp[idx] = cc->freelist;
	cc->freelist = (uint16_t)idx;
	c->nr_active--;
	c->bytes_requested -= c->kmalloc ? v & SLAB_OBJ_REQ : c->object_size;
	c->ev.free_fastpath++;
	cost_add(s->pm, COST_SLAB_FREE_FAST, 1);
	return true;
}

/*
 * Find the slab holding the live object at addr: sets *slabp and *idxp and
 * returns 0, or returns -MM_EINVAL when addr is not a live slab object (or
 * not of cache c when c is not NULL), or 1 when the page is not a slab page
 * (the caller may look for a large kmalloc).  virt_to_slab() and
 * obj_to_index() with the model's checks.
 */
static inline int slab_find_object(const slub_t *s, const struct kmem_cache *c, uint64_t addr,
				   struct slab **slabp, unsigned *idxp)
{
	uint64_t off = addr - PAGE_OFFSET;     /* wraps far above max_pfn below PAGE_OFFSET */
	uint64_t pfn = off >> PAGE_SHIFT;
	const struct page *page;
	struct slab *slab;
	uint32_t idx;

	if (pfn >= s->max_pfn)
		return -MM_EINVAL;
	page = &s->mem_map[pfn];
	if (!(page->flags & PG_slab))
		return 1;
	slab = slab_from_id(s, page->private);
	if (c && slab->cache != c)
		return -MM_EINVAL;
	/* the offset is below the slab's 2^(order + PAGE_SHIFT) bytes */
	if (!obj_offset_to_index(slab->cache->reciprocal, (uint32_t)(addr - slab_base(slab)), &idx) ||
	    idx >= slab->objects || !(slab->fp[idx] & SLAB_OBJ_LIVE))
		return -MM_EINVAL;
	*slabp = slab;
	*idxp = idx;
	return 0;
}

/*
 * do_slab_free() of live object idx of slab on cpu (below nr_cpus), found
 * by slab_find_object(): onto the cpu freelist when slab is cpu's cpu slab,
 * else __slab_free().
 */
static inline void slab_free(slub_t *s, struct slab *slab, unsigned idx, unsigned cpu)
{
	struct kmem_cache *c = slab->cache;
	struct kmem_cache_cpu *cc = &c->cpu_slab[cpu];

	c->nr_active--;
	c->bytes_requested -= c->kmalloc ? slab->fp[idx] & SLAB_OBJ_REQ : c->object_size;
	if (slab == cc->slab) {
		slab->fp[idx] = cc->freelist;
		cc->freelist = (uint16_t)idx;
		c->ev.free_fastpath++;
		cost_add(s->pm, COST_SLAB_FREE_FAST, 1);
		return;
	}
	slab_free_slow(s, c, slab, idx, cpu);
}

/*
 * kmem_cache_free(): free the object at addr, which must be a live object
 * of c, from `cpu`.  Returns 0, or -MM_EINVAL (nothing changes) when it is
 * not (the kernel's cache_from_obj() would warn and go on).
 */
static inline int kmem_cache_free(slub_t *s, struct kmem_cache *c, uint64_t addr, unsigned cpu)
{
	cpu = slub_cpu(s, cpu);
	if (__builtin_expect(c != NULL, 1) && cpu_slab_free(s, &c->cpu_slab[cpu], addr))
		return 0;
	return kmem_cache_free_slow(s, c, addr, cpu);
}

/* kmalloc_type(): the cache type for gfp (KMALLOC_NOT_NORMAL_BITS) */
static inline enum kmalloc_cache_type kmalloc_type(const slub_t *s, gfp_t gfp)
{
	if (__builtin_expect(!(gfp & s->kmalloc_not_normal), 1))
		return KMALLOC_NORMAL;
	if (gfp & s->kmalloc_not_normal & GFP_F_DMA)
		return KMALLOC_DMA;
	if (!(s->kmalloc_not_normal & GFP_F_ACCOUNT) || (gfp & GFP_F_RECLAIMABLE))
		return KMALLOC_RECLAIM;
	return KMALLOC_CGROUP;
}

/*
 * kmalloc_slab(): the cache kmalloc(size, gfp) uses (size 1..8192), from
 * the size_index table up to 192 bytes and fls(size - 1) above, of the type
 * kmalloc_type(gfp) chooses.  NULL for 0 or above KMALLOC_MAX_CACHE_SIZE.
 */
static inline struct kmem_cache *kmalloc_slab(const slub_t *s, size_t size, gfp_t gfp)
{
	unsigned index;

	if (!size || size > KMALLOC_MAX_CACHE_SIZE)
		return NULL;
	if (size <= 192)
		index = kmalloc_size_index[(size - 1) / 8];     /* size_index_elem() */
	else
		index = 64 - (unsigned)__builtin_clzll(size - 1);      /* fls(size - 1) */
	if (__builtin_expect(!(gfp & s->kmalloc_not_normal), 1))
		return s->kmalloc_caches[KMALLOC_NORMAL][index];       /* no row arithmetic */
	return s->kmalloc_caches[kmalloc_type(s, gfp)][index];
}

/*
 * kmalloc(): size bytes from the kmalloc cache kmalloc_slab() picks, or
 * pages from kmalloc_large() above KMALLOC_MAX_CACHE_SIZE.  Returns the
 * address, ZERO_SIZE_PTR for size 0, 0 on failure.
 */
static inline uint64_t kmalloc(slub_t *s, size_t size, gfp_t gfp, unsigned cpu)
{
	if (__builtin_expect(size - 1 >= KMALLOC_MAX_CACHE_SIZE, 0))
		return size ? kmalloc_large(s, size, gfp, cpu) : ZERO_SIZE_PTR;
	return slab_alloc(s, kmalloc_slab(s, size, gfp), gfp, cpu, (unsigned)size);
}

/*
 * kfree(): free a kmalloc'd or kmem_cache_alloc'd object or a large kmalloc
 * found from its address.  Returns 0 (also for 0 and ZERO_SIZE_PTR, as the
 * kernel), -MM_EINVAL when addr is not a live object (nothing changes).
 */
static inline int kfree(slub_t *s, uint64_t addr, unsigned cpu)
{
	cpu = slub_cpu(s, cpu);
	if (__builtin_expect(cpu_slab_free(s, s->free_hint[cpu], addr), 1))
		return 0;
	return kfree_slow(s, addr, cpu);
}

#endif /* MMBENCH_SLUB_H */
