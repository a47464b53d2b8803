/*
 * policy.c - policy files (bench/policy.h): one table of keys drives the
 * parser, the .ini printer and the JSON dump, so the three cannot disagree.
 */
#include "bench/policy.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <ini.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bench/cli.h"

enum key_type {
	K_BOOL,         /* bool */
	K_UINT,         /* unsigned */
	K_INT,          /* int, may be negative */
	K_U64,          /* uint64_t */
	K_BYTES,        /* uint64_t bytes with K/M/G/T suffix */
	K_U32,          /* uint32_t */
	K_RATIOS,       /* unsigned[MAX_NR_ZONES], space separated */
	K_STR,          /* char[size] */
	K_ENUM,         /* one of names[]: stored as its index in an unsigned, or a bool when size is 1 */
};

struct key {
	const char *section;            /* "" for top-level keys */
	const char *name;
	enum key_type type;
	size_t offset;                  /* in struct policy */
	size_t size;                    /* K_STR: buffer size */
	int64_t min, max;               /* inclusive range for numbers */
	const char *doc;                /* one line, printed by policy_write_ini */
};

#define PHYS(f) offsetof(struct policy, phys.f)
#define SLUB(f) offsetof(struct policy, slub.f)
#define VMALLOC(f) offsetof(struct policy, vmalloc.f)
#define VM(f) offsetof(struct policy, vm.f)
#define TLB(f) offsetof(struct policy, tlb.f)

static const char *const thp_names[] = { "never", "madvise", "always", NULL };
static const char *const placement_names[] = { "trace", "engine", NULL };
static const char *const page_cache_names[] = { "cold", "warm", NULL };
#define MiB (1ll << 20)
/* description bytes + 1: "description = ..." as printed must fit an inih line */
#define DESCRIPTION_SIZE (INI_MAX_LINE - 32)
_Static_assert(DESCRIPTION_SIZE <= sizeof(((struct policy *)0)->description), "description");

static const struct key keys[] = {
	{ "", "description", K_STR, offsetof(struct policy, description),
	  DESCRIPTION_SIZE, 0, 0, "one line for `mmbench policies`" },

	{ "machine", "mem", K_BYTES, PHYS(mem_bytes), 0, 64 * MiB, 16ll << 40,
	  "simulated RAM, bytes" },
	{ "machine", "nodes", K_UINT, PHYS(nr_nodes), 0, 1, MAX_NUMNODES, "NUMA nodes, memory split evenly" },
	{ "machine", "cpus", K_UINT, PHYS(nr_cpus), 0, 1, MAX_NR_CPUS, "logical CPUs" },
	{ "machine", "zone_dma", K_BOOL, PHYS(zone_dma), 0, 0, 1, "CONFIG_ZONE_DMA (first 16 MiB)" },
	{ "machine", "zone_dma32", K_BOOL, PHYS(zone_dma32), 0, 0, 1, "CONFIG_ZONE_DMA32 (up to 4 GiB)" },
	{ "machine", "movablecore", K_BYTES, PHYS(movable_bytes), 0, 0, 16ll << 40,
	  "movablecore=: ZONE_MOVABLE bytes per node, 0 = none" },
	{ "machine", "memmap_reserve", K_BOOL, PHYS(memmap_reserve), 0, 0, 1,
	  "reserve the kernel's memmap (64 B per page) at each node's top" },

	{ "buddy", "max_order", K_UINT, PHYS(max_order), 0, 1, MAX_ORDER_LIMIT,
	  "MAX_ORDER (v6.4+, inclusive)" },
	{ "buddy", "pageblock_order", K_UINT, PHYS(pageblock_order), 0, 1, MAX_ORDER_LIMIT,
	  "pageblock_order (HPAGE_PMD_ORDER on x86-64)" },
	{ "buddy", "mobility_grouping", K_BOOL, PHYS(mobility_grouping), 0, 0, 1,
	  "group pages by mobility (!page_group_by_mobility_disabled)" },
	{ "buddy", "min_free_kbytes", K_UINT, PHYS(min_free_kbytes), 0, 0, 1ll << 30,
	  "vm.min_free_kbytes, 0 = calculate_min_free_kbytes()" },
	{ "buddy", "watermark_scale_factor", K_UINT, PHYS(watermark_scale_factor), 0, 1, 3000,
	  "vm.watermark_scale_factor, 1/10000 of managed pages" },
	{ "buddy", "lowmem_reserve_ratio", K_RATIOS, PHYS(lowmem_reserve_ratio), 0, 0, INT32_MAX,
	  "vm.lowmem_reserve_ratio: DMA DMA32 Normal Movable" },

	{ "pcp", "enabled", K_BOOL, PHYS(pcp_enabled), 0, 0, 1, "per-CPU page lists" },
	{ "pcp", "high", K_INT, PHYS(pcp_high), 0, -1, INT32_MAX, "pages, -1 = zone_highsize()" },
	{ "pcp", "batch", K_INT, PHYS(pcp_batch), 0, -1, INT32_MAX, "pages, -1 = zone_batchsize()" },
	{ "pcp", "high_fraction", K_UINT, PHYS(percpu_pagelist_high_fraction), 0, 0, 1ll << 20,
	  "vm.percpu_pagelist_high_fraction, 0 = default (min 8 when set)" },
	{ "pcp", "thp", K_BOOL, PHYS(thp_pcp), 0, 0, 1, "pcp list for pageblock-order blocks" },

	{ "compaction", "enabled", K_BOOL, PHYS(compaction), 0, 0, 1,
	  "CONFIG_COMPACTION: direct compaction on high-order failure" },
	{ "compaction", "extfrag_threshold", K_UINT, PHYS(extfrag_threshold), 0, 0, 1000,
	  "vm.extfrag_threshold" },

	{ "slub", "min_objects", K_UINT, SLUB(min_objects), 0, 0, 32767,
	  "slub_min_objects=, 0 = 4 * (fls(nr_cpus) + 1)" },
	{ "slub", "max_order", K_UINT, SLUB(max_order), 0, 0, MAX_ORDER_LIMIT,
	  "slub_max_order= (PAGE_ALLOC_COSTLY_ORDER)" },
	{ "slub", "min_order", K_UINT, SLUB(min_order), 0, 0, MAX_ORDER_LIMIT, "slub_min_order=" },
	{ "slub", "cpu_partial", K_BOOL, SLUB(cpu_partial_enabled), 0, 0, 1, "CONFIG_SLUB_CPU_PARTIAL" },
	{ "slub", "kmalloc_dma", K_BOOL, SLUB(kmalloc_dma), 0, 0, 1, "dma-kmalloc-* caches (CONFIG_ZONE_DMA)" },
	{ "slub", "kmalloc_cgroup", K_BOOL, SLUB(kmalloc_cgroup), 0, 0, 1,
	  "kmalloc-cg-* caches (CONFIG_MEMCG_KMEM)" },
	{ "slub", "cache_line_size", K_UINT, SLUB(cache_line_size), 0, 8, 4096,
	  "bytes, SLAB_HWCACHE_ALIGN (cache_line_size())" },

	{ "vmalloc", "size", K_BYTES, VMALLOC(vmalloc_bytes), 0, 0, 32ll << 40,
	  "the vmalloc range, a 1 GiB multiple; 0 = 32 TiB (4-level x86-64)" },
	{ "vmalloc", "lazy_max_pages", K_U64, VMALLOC(lazy_max_pages), 0, 0, INT64_MAX,
	  "purge above this many lazily freed pages; 0 = lazy_max_pages()" },
	{ "vmalloc", "lazy_purge", K_BOOL, VMALLOC(lazy_purge), 0, 0, 1, "false: every vfree purges at once" },

	{ "vm", "pgtable_levels", K_UINT, VM(pgtable_levels), 0, 4, 5,
	  "page-table levels: 4 (48-bit VA) or 5 (57-bit, la57)" },
	{ "vm", "thp", K_ENUM, VM(thp), sizeof(unsigned), 0, 0,
	  "transparent_hugepage/enabled: never, madvise, always" },
	{ "vm", "placement", K_ENUM, VM(placement_engine), sizeof(bool), 0, 0,
	  "mmap addresses: trace (as recorded) or engine (the model chooses)" },
	{ "vm", "mmap_legacy", K_BOOL, VM(mmap_legacy), 0, 0, 1,
	  "vm.legacy_va_layout: bottom-up mmap instead of top-down" },
	{ "vm", "mmap_min_addr", K_BYTES, VM(mmap_min_addr), 0, 0, 1ll << 32, "vm.mmap_min_addr, bytes" },
	{ "vm", "stack_guard_gap", K_BYTES, VM(stack_guard_gap), 0, 0, 1ll << 32,
	  "stack_guard_gap=, bytes below a growsdown VMA" },
	{ "vm", "zero_page", K_BOOL, VM(zero_page), 0, 0, 1,
	  "anonymous read faults map the shared zero page" },
	{ "vm", "fault_around_pages", K_UINT, VM(fault_around_pages), 0, 1, 512,
	  "fault_around_bytes / 4096: pages a file read fault maps around it" },
	{ "vm", "page_cache", K_ENUM, VM(page_cache_warm), sizeof(bool), 0, 0,
	  "file pages at the start: cold (read on first fault) or warm (all cached)" },

	{ "tlb", "enabled", K_BOOL, TLB(enabled), 0, 0, 1, "model the TLB (false: accesses walk the tables)" },
	{ "tlb", "dtlb_entries", K_UINT, TLB(dtlb_entries), 0, 1, 1 << 16, "L1 dTLB entries, 4 KiB pages" },
	{ "tlb", "dtlb_ways", K_UINT, TLB(dtlb_ways), 0, 1, 1 << 16, "L1 dTLB ways, 4 KiB pages" },
	{ "tlb", "dtlb_2m_entries", K_UINT, TLB(dtlb_2m_entries), 0, 1, 1 << 16, "L1 dTLB entries, 2 MiB pages" },
	{ "tlb", "dtlb_2m_ways", K_UINT, TLB(dtlb_2m_ways), 0, 1, 1 << 16, "L1 dTLB ways, 2 MiB pages" },
	{ "tlb", "itlb_entries", K_UINT, TLB(itlb_entries), 0, 1, 1 << 16, "L1 iTLB entries" },
	{ "tlb", "itlb_ways", K_UINT, TLB(itlb_ways), 0, 1, 1 << 16, "L1 iTLB ways" },
	{ "tlb", "stlb_entries", K_UINT, TLB(stlb_entries), 0, 1, 1 << 20, "L2 STLB entries (4 KiB and 2 MiB)" },
	{ "tlb", "stlb_ways", K_UINT, TLB(stlb_ways), 0, 1, 1 << 16, "L2 STLB ways" },
	{ "tlb", "pwc_pde", K_UINT, TLB(pwc_entries[TLB_PWC_PDE]), 0, 0, 1024,
	  "PDE paging-structure cache entries, 0 = none" },
	{ "tlb", "pwc_pdpte", K_UINT, TLB(pwc_entries[TLB_PWC_PDPTE]), 0, 0, 1024,
	  "PDPTE paging-structure cache entries, 0 = none" },
	{ "tlb", "pwc_pml4e", K_UINT, TLB(pwc_entries[TLB_PWC_PML4E]), 0, 0, 1024,
	  "PML4E paging-structure cache entries, 0 = none" },
	{ "tlb", "pcid", K_BOOL, TLB(pcid), 0, 0, 1, "X86_FEATURE_PCID: entries survive context switches" },
	{ "tlb", "nr_asids", K_UINT, TLB(nr_asids), 0, 1, 64, "TLB_NR_DYN_ASIDS: mms tagged at once per CPU" },
	{ "tlb", "flush_ceiling", K_UINT, TLB(flush_ceiling), 0, 1, 1 << 20,
	  "tlb_single_page_flush_ceiling, pages" },

	{ "cost", "cpu_mhz", K_UINT, offsetof(struct policy, cpu_mhz), 0, 100, 10000,
	  "converts modeled cycles to ns" },

	{ "replay", "seed", K_U64, offsetof(struct policy, seed), 0, 0, INT64_MAX,
	  "seed of the engine's PRNG" },
};
#define NR_KEYS (sizeof(keys) / sizeof(keys[0]))

/* Per-area CMA keys, in [cma] (area 0) and [cma.N]. */
enum { CMA_SIZE, CMA_BASE, CMA_ORDER_PER_BIT, CMA_NAME, NR_CMA_KEYS };
static const char *const cma_keys[NR_CMA_KEYS] = { "size", "base", "order_per_bit", "name" };

/*
 * Default cycles per work item.  Each figure is a modern x86-64 core at
 * 3 GHz; the comments in policies/linux-default.ini give the sources.
 */
static const uint32_t default_cost_cycles[NR_COST_ITEMS] = {
	[COST_FREELIST_OP] = 10,        /* list_add/list_del, lines warm in L1/L2 */
	[COST_PCP_LIST_OP] = 10,        /* local list, hot */
	[COST_PAGE_TOUCH] = 20,         /* struct page line, usually L2, plus the flag work */
	[COST_ZONE_LOCK] = 40,          /* uncontended spin_lock_irqsave + unlock */
	[COST_PCP_LOCK] = 30,           /* pcp_spin_trylock + unlock, preempt off/on */
	[COST_PAGE_ZERO] = 1100,        /* clear_page: 4 KiB at ~11 GB/s */
	[COST_PAGE_COPY] = 2000,        /* copy_page: read + write 4 KiB */
	[COST_PAGEBLOCK_OP] = 30,       /* set_pageblock_migratetype bitmap RMW */
	[COST_COMPACT_SCAN] = 8,        /* one pfn looked at by a scanner */
	[COST_MIGRATE] = 3000,          /* unmap + TLB flush + remap, besides the copy */
	[COST_WMARK_CHECK] = 10,        /* __zone_watermark_ok */
	[COST_VMAP_NODE] = 10,          /* rb-tree node visited, pointer chase */
	[COST_VMAP_SPLIT] = 60,         /* vmap_area cut: node update, maybe a new vmap_area */
	[COST_VMAP_MERGE] = 60,         /* vmap_area merged: node update and free */
	[COST_VMAP_PTE] = 8,            /* set_pte / pte_clear in a warm table */
	[COST_TLB_FLUSH_ALL] = 6000,    /* IPI to every CPU and a full flush */
	[COST_TLB_FLUSH_KPAGE] = 200,   /* invlpg of one kernel page */
	[COST_SLAB_ALLOC_FAST] = 42,    /* SLUB fast path: this_cpu_cmpxchg_double */
	[COST_SLAB_FREE_FAST] = 45,     /* kfree fast path: virt_to_slab + cmpxchg */
	[COST_SLAB_ALLOC_SLOW] = 150,   /* ___slab_alloc entry: local_lock, checks */
	[COST_SLAB_FREE_SLOW] = 120,    /* __slab_free: cmpxchg_double loop on the slab */
	[COST_SLAB_LIST_LOCK] = 40,     /* n->list_lock, as zone->lock */
	[COST_SLAB_PARTIAL_OP] = 15,    /* list_add/list_del on a partial list */
	[COST_SLAB_NEW] = 200,          /* allocate_slab setup besides the pages */
	[COST_SLAB_DISCARD] = 100,      /* discard_slab besides the page free */
	[COST_SLAB_OBJ_TOUCH] = 8,      /* free pointer read or written in an object */
	[COST_SLAB_ZERO_LINE] = 4,      /* 64 B of stores at 16 B/cycle */
	[COST_SLAB_COPY_LINE] = 8,      /* 64 B loaded and stored */
	[COST_SYSCALL] = 300,     /* syscall entry and exit (mmap, munmap, brk, ...) */
	[COST_FAULT_ENTRY] = 700,     /* page fault exception entry/exit and handle_mm_fault dispatch */
	[COST_VMA_NODE] = 10,      /* VMA tree node visited (find_vma, gap search, insert) */
	[COST_VMA_SPLIT] = 250,     /* VMA split or new VMA set up (vm_area_dup, __split_vma) */
	[COST_VMA_MERGE] = 150,     /* VMA merged with a neighbour and freed (vma_merge) */
	[COST_PTE_WRITE] = 8,       /* user PTE/PMD entry set or cleared */
	[COST_PGTABLE_ALLOC] = 150,     /* page-table page set up besides its allocation and zeroing (__pte_alloc) */
	[COST_PGTABLE_FREE] = 100,     /* page-table page torn down besides the page free (free_pgtables) */
	[COST_RMAP_OP] = 30,      /* reverse-map entry added or removed (page_add_anon_rmap, page_remove_rmap) */
	[COST_PAGECACHE_OP] = 60,      /* page-cache lookup or insertion (filemap_get_folio, xarray) */
	[COST_TLB_STLB_HIT] = 7,       /* L1 TLB miss served by the unified L2 STLB */
	[COST_TLB_WALK] = 20,      /* page walk started after an STLB miss (fixed part) */
	[COST_PWALK_REF] = 40,      /* page-walk memory reference not served by a page-walk cache */
	[COST_TLB_FLUSH_PAGE] = 200,     /* invlpg of one user page on the local CPU */
	[COST_TLB_FLUSH_MM] = 500,     /* full flush of one address space on the local CPU (CR3 write or INVPCID) */
	[COST_TLB_SHOOTDOWN] = 3000,    /* TLB shootdown IPI to one remote CPU */
};

void policy_default(struct policy *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "built-in");
	snprintf(p->path, sizeof(p->path), "(built-in defaults)");
	phys_config_default(&p->phys);
	slub_config_default(&p->slub);
	vmalloc_config_default(&p->vmalloc);
	vm_config_default(&p->vm);
	tlb_config_default(&p->tlb);
	p->cpu_mhz = 3000;
	memcpy(p->cost_cycles, default_cost_cycles, sizeof(p->cost_cycles));
	p->seed = 1;
}

char *policy_dir(char *buf, size_t len)
{
	return cli_find_dir(buf, len, "MMBENCH_POLICIES", "policies");
}

/* ---------------------------------------------------------------- parsing */

struct parse_ctx {
	struct policy *p;
	const char *file;
	unsigned depth;                 /* include nesting */
	bool reserve_seen;              /* [memblock] reserve replaces, then appends */
	char *err;                      /* first error, "FILE:LINE: ..." once the line is known */
	size_t errlen;
	bool failed;                    /* a handler failed: err holds the reason */
	bool located;                   /* err already names a file and line (nested include) */
	FILE *f;                        /* the file being read */
	int line;                       /* lines read so far: the line the handler is called for */
	int err_line;                   /* line of the handler's error */
};

/*
 * fgets for ini_parse_stream, counting lines so handler errors know theirs.
 * A line longer than inih's buffer or holding a NUL byte ends the parse with
 * an error: fgets would hand inih the rest of a long line as a line of its
 * own (a comment's tail read as a key), and a NUL silently ends the line.
 */
static char *read_line(char *buf, int len, void *stream)
{
	struct parse_ctx *c = stream;
	int n = 0, ch;

	while ((ch = getc(c->f)) != EOF && ch != '\n') {
		if (!ch || n == len - 1) {
			c->line++;
			if (!c->failed) {
				c->failed = true;
				c->err_line = c->line;
				if (ch)
					snprintf(c->err, c->errlen, "line longer than %d bytes", len - 1);
				else
					snprintf(c->err, c->errlen, "NUL byte in the line");
			}
			return NULL;
		}
		buf[n++] = (char)ch;
	}
	if (ch == EOF && !n)    /* end of file, or a read error: load_file checks ferror */
		return NULL;
	buf[n] = 0;
	c->line++;
	return buf;
}

static int fail(struct parse_ctx *c, const char *section, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct parse_ctx *c, const char *section, const char *name, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (c->failed)
		return 0;
	c->failed = true;
	c->err_line = c->line;
	n = (size_t)snprintf(c->err, c->errlen, *section ? "[%s] %s: " : "%s%s: ", section, name);
	if (n < c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errlen - n, fmt, ap);
		va_end(ap);
	}
	return 0;
}

/* memparse(): a number with an optional binary K/M/G/T suffix. */
static int parse_bytes(const char *s, uint64_t *out)
{
	char *end;
	unsigned shift = 0;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	uint64_t v = strtoull(s, &end, 0);
	if (errno)
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: break;
	}
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -1;
	*out = v << shift;
	return 0;
}

static int parse_int(const char *s, int64_t *out)
{
	char *end;

	if (!*s || (*s != '-' && (*s < '0' || *s > '9')))
		return -1;
	errno = 0;
	long long v = strtoll(s, &end, 0);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (unsigned i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/*
 * Why a string value cannot be kept, or NULL: it must print back as read
 * (inih takes ';' at a value's start or after a space, as policy_write_ini
 * would print it, for a comment) and be JSON text for policy_json (UTF-8).
 */
static const char *string_problem(const char *s)
{
	json_t *j = json_string(s);     /* jansson's own UTF-8 check */

	if (!j)
		return "not valid UTF-8";
	json_decref(j);
	for (const char *q = s; *q; q++)
		if (*q == ';' && (q == s || isspace((unsigned char)q[-1])))
			return "';' at the start or after a space (a comment when read back)";
	return NULL;
}

/* Parse an integer value into [min, max]. */
static int parse_range(struct parse_ctx *c, const char *section, const char *name,
		       const char *value, bool bytes, int64_t min, int64_t max, int64_t *out)
{
	if (bytes) {
		uint64_t v;
		if (parse_bytes(value, &v))
			return fail(c, section, name, "'%s' is not a size (a number with an optional K, M, G or T)", value);
		if (v > (uint64_t)max || (int64_t)v < min)
			return fail(c, section, name, "%s is out of range [%lld, %lld]", value,
				    (long long)min, (long long)max);
		*out = (int64_t)v;
		return 1;
	}
	if (parse_int(value, out))
		return fail(c, section, name, "'%s' is not an integer", value);
	if (*out < min || *out > max)
		return fail(c, section, name, "%s is out of range [%lld, %lld]", value,
			    (long long)min, (long long)max);
	return 1;
}

/* A K_ENUM key's values, NULL-terminated. */
static const char *const *enum_names(const struct key *k)
{
	if (k->offset == VM(page_cache_warm))
		return page_cache_names;
	return k->offset == VM(thp) ? thp_names : placement_names;
}

static int set_key(struct parse_ctx *c, const struct key *k, const char *section,
		   const char *name, const char *value)
{
	char *field = (char *)c->p + k->offset;
	int64_t v;

	switch (k->type) {
	case K_BOOL: {
		bool b;
		if (parse_bool(value, &b))
			return fail(c, section, name, "'%s' is not a boolean (true/false, yes/no, on/off, 1/0)", value);
		*(bool *)field = b;
		return 1;
	}
	case K_STR:
		if (strlen(value) >= k->size)
			return fail(c, section, name, "longer than %zu bytes", k->size - 1);
		if (string_problem(value))
			return fail(c, section, name, "%s", string_problem(value));
		snprintf(field, k->size, "%s", value);
		return 1;
	case K_ENUM: {
		const char *const *names = enum_names(k);

		for (unsigned i = 0; names[i]; i++)
			if (!strcmp(value, names[i])) {
				if (k->size == sizeof(bool))
					*(bool *)field = i != 0;
				else
					*(unsigned *)field = i;
				return 1;
			}
		return fail(c, section, name, "'%s' is not one of %s, %s%s%s", value, names[0], names[1],
			    names[2] ? ", " : "", names[2] ? names[2] : "");
	}
	case K_RATIOS: {
		unsigned ratios[MAX_NR_ZONES];
		char buf[256], *save = NULL, *tok;
		unsigned n = 0;

		snprintf(buf, sizeof(buf), "%s", value);
		for (tok = strtok_r(buf, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
			if (n == MAX_NR_ZONES)
				return fail(c, section, name, "more than %d values", MAX_NR_ZONES);
			if (!parse_range(c, section, name, tok, false, k->min, k->max, &v))
				return 0;
			ratios[n++] = (unsigned)v;
		}
		if (n != MAX_NR_ZONES)
			return fail(c, section, name, "needs %d values (DMA DMA32 Normal Movable), got %u",
				    MAX_NR_ZONES, n);
		memcpy(field, ratios, sizeof(ratios));
		return 1;
	}
	default:
		break;
	}
	if (!parse_range(c, section, name, value, k->type == K_BYTES, k->min, k->max, &v))
		return 0;
	switch (k->type) {
	case K_UINT: *(unsigned *)field = (unsigned)v; break;
	case K_INT: *(int *)field = (int)v; break;
	case K_U32: *(uint32_t *)field = (uint32_t)v; break;
	default: *(uint64_t *)field = (uint64_t)v; break;
	}
	return 1;
}

/* [cma] is area 0, [cma.N] area N. */
static int cma_section_index(const char *section)
{
	if (!strcmp(section, "cma"))
		return 0;
	if (strncmp(section, "cma.", 4) || section[4] < '0' || section[4] > '9' || section[5])
		return -1;
	return section[4] - '0' < PHYS_MAX_CMA ? section[4] - '0' : -1;
}

static int set_cma(struct parse_ctx *c, unsigned idx, const char *section, const char *name,
		   const char *value)
{
	struct phys_config *cfg = &c->p->phys;
	struct cma_config *a = &cfg->cma[idx];
	int64_t v;
	unsigned k;

	if (!c->p->cma_src[idx].line) {
		snprintf(c->p->cma_src[idx].file, sizeof(c->p->cma_src[idx].file), "%s", c->file);
		c->p->cma_src[idx].line = c->line;
	}
	for (k = 0; k < NR_CMA_KEYS; k++)
		if (!strcmp(name, cma_keys[k]))
			break;
	switch (k) {
	case CMA_SIZE:
		if (!parse_range(c, section, name, value, true, 0, 16ll << 40, &v))
			return 0;
		a->size = (uint64_t)v;
		break;
	case CMA_BASE:
		if (!parse_range(c, section, name, value, true, 0, 16ll << 40, &v))
			return 0;
		a->base = (uint64_t)v;
		break;
	case CMA_ORDER_PER_BIT:
		if (!parse_range(c, section, name, value, false, 0, MAX_ORDER_LIMIT, &v))
			return 0;
		a->order_per_bit = (unsigned)v;
		break;
	case CMA_NAME:
		if (strlen(value) >= sizeof(a->name))
			return fail(c, section, name, "longer than %zu bytes", sizeof(a->name) - 1);
		if (string_problem(value))
			return fail(c, section, name, "%s", string_problem(value));
		snprintf(a->name, sizeof(a->name), "%s", value);
		break;
	default:
		return fail(c, section, name, "unknown key (known: size, base, order_per_bit, name)");
	}
	/* areas are the leading ones with a size */
	cfg->nr_cma = 0;
	while (cfg->nr_cma < PHYS_MAX_CMA && cfg->cma[cfg->nr_cma].size)
		cfg->nr_cma++;
	return 1;
}

static int set_reserve(struct parse_ctx *c, const char *section, const char *name,
		       const char *value)
{
	struct phys_config *cfg = &c->p->phys;
	char buf[128], *save = NULL;
	uint64_t base, size;

	if (strcmp(name, "reserve"))
		return fail(c, section, name, "unknown key (known: reserve = BASE SIZE)");
	if (strlen(value) >= sizeof(buf))
		return fail(c, section, name, "longer than %zu bytes", sizeof(buf) - 1);
	snprintf(buf, sizeof(buf), "%s", value);
	char *b = strtok_r(buf, " \t", &save), *s = strtok_r(NULL, " \t", &save);
	if (!b || !s || strtok_r(NULL, " \t", &save) || parse_bytes(b, &base) || parse_bytes(s, &size))
		return fail(c, section, name, "'%s' is not 'BASE SIZE' (two sizes)", value);
	if (!c->reserve_seen) {         /* the file's list replaces the default one */
		cfg->nr_reserved = 0;
		c->reserve_seen = true;
	}
	if (cfg->nr_reserved == PHYS_MAX_RESERVED)
		return fail(c, section, name, "more than %d reserved ranges", PHYS_MAX_RESERVED);
	cfg->reserved[cfg->nr_reserved].base = base;
	cfg->reserved[cfg->nr_reserved].size = size;
	cfg->nr_reserved++;
	return 1;
}

static int load_file(struct policy *p, const char *path, unsigned depth, char *err, size_t errlen);

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *c = user;
	int idx;

	if (c->failed)
		return 0;
	if (!*section && !strcmp(name, "include")) {
		if (c->depth + 1 >= POLICY_MAX_INCLUDE_DEPTH)
			return fail(c, section, name, "includes nested deeper than %d (a cycle?)",
				    POLICY_MAX_INCLUDE_DEPTH);
		int rc = load_file(c->p, value, c->depth + 1, c->err, c->errlen);
		if (rc == -2) {         /* not read: "FILE: reason", add this line and key */
			char msg[512];
			snprintf(msg, sizeof(msg), "%s", c->err);
			return fail(c, section, name, "%s", msg);
		}
		if (rc) {
			c->failed = c->located = true;
			c->err_line = c->line;
			return 0;
		}
		return 1;
	}
	for (size_t i = 0; i < NR_KEYS; i++)
		if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, name))
			return set_key(c, &keys[i], section, name, value);
	if (!strcmp(section, "cost")) {
		for (unsigned i = 0; i < NR_COST_ITEMS; i++) {
			if (strcmp(name, cost_item_names[i]))
				continue;
			int64_t v;
			if (!parse_range(c, section, name, value, false, 0, 100000000, &v))
				return 0;
			c->p->cost_cycles[i] = (uint32_t)v;
			return 1;
		}
		return fail(c, section, name, "unknown key (cpu_mhz or an engine work item, see `mmbench policies --show linux-default`)");
	}
	if ((idx = cma_section_index(section)) >= 0)
		return set_cma(c, (unsigned)idx, section, name, value);
	if (!strcmp(section, "memblock"))
		return set_reserve(c, section, name, value);
	for (size_t i = 0; i < NR_KEYS; i++)
		if (!strcmp(keys[i].section, section))
			return fail(c, section, name, "unknown key");
	if (!*section)
		return fail(c, section, name, "unknown key (before any [section]: include, description)");
	return fail(c, section, name, "unknown section [%s]", section);
}

/* Resolve an include or command-line name: a path as given, else DIR/NAME.ini. */
static void resolve(const char *name_or_path, char *out, size_t len)
{
	size_t n = strlen(name_or_path);
	char dir[PATH_MAX];

	if (strchr(name_or_path, '/') || (n > 4 && !strcmp(name_or_path + n - 4, ".ini")))
		snprintf(out, len, "%s", name_or_path);
	else
		snprintf(out, len, "%s/%s.ini", policy_dir(dir, sizeof(dir)), name_or_path);
}

/*
 * Parse NAME (see resolve) into p.  Returns 0; -1 with "FILE:LINE: reason"
 * in err; or -2 with "FILE: reason" when the file could not be opened or read.
 */
static int load_file(struct policy *p, const char *name, unsigned depth, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct parse_ctx c = { .p = p, .depth = depth, .err = err, .errlen = errlen };
	FILE *f;
	int line;

	resolve(name, path, sizeof(path));
	c.file = path;
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -2;
	}
	c.f = f;
	line = ini_parse_stream(read_line, &c, handler, &c);
	int read_errno = ferror(f) ? (errno ? errno : EIO) : 0;     /* a directory: EISDIR */
	fclose(f);
	if (read_errno) {
		snprintf(err, errlen, "%s: %s", path, strerror(read_errno));
		return -2;
	}
	if (line == 0 && !c.failed)
		return 0;
	if (line != 0 && (!c.failed || line < c.err_line)) {    /* inih's own: a syntax error first */
		snprintf(err, errlen, "%s:%d: syntax error (expected [section] or key = value)", path,
			 line > 0 ? line : c.line);
		return -1;
	}
	if (c.located)          /* the message already names the included file's line */
		return -1;
	char msg[512];
	snprintf(msg, sizeof(msg), "%s", err);
	snprintf(err, errlen, "%s:%d: %s", path, c.err_line, msg);
	return -1;
}

int policy_load(struct policy *p, const char *name_or_path, char *err, size_t errlen)
{
	char path[PATH_MAX];
	const char *base;

	policy_default(p);
	if (load_file(p, name_or_path, 0, err, errlen))
		return -1;
	/* areas count from [cma] up while they have a size: nothing may hide behind a gap */
	for (unsigned a = p->phys.nr_cma; a < PHYS_MAX_CMA; a++) {
		const struct cma_config *c = &p->phys.cma[a];
		if (c->size || c->base || c->order_per_bit || c->name[0]) {
			snprintf(err, errlen, "%s:%d: [cma%s%.0u] is set but %s has no size: CMA areas are "
				 "[cma], [cma.1], ... without gaps, each with a size", p->cma_src[a].file,
				 p->cma_src[a].line, a ? "." : "", a, p->phys.nr_cma ? "an earlier area" : "[cma]");
			return -1;
		}
	}
	resolve(name_or_path, path, sizeof(path));
	snprintf(p->path, sizeof(p->path), "%s", path);
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	snprintf(p->name, sizeof(p->name), "%.*s", (int)(strlen(base) > 4 &&
		 !strcmp(base + strlen(base) - 4, ".ini") ? strlen(base) - 4 : strlen(base)), base);
	return 0;
}

/* ---------------------------------------------------------------- printing */

/* A key's value as text, into buf. */
static const char *key_value(const struct policy *p, const struct key *k, char *buf, size_t len)
{
	const char *field = (const char *)p + k->offset;

	switch (k->type) {
	case K_BOOL: snprintf(buf, len, "%s", *(const bool *)field ? "true" : "false"); break;
	case K_UINT: snprintf(buf, len, "%u", *(const unsigned *)field); break;
	case K_INT: snprintf(buf, len, "%d", *(const int *)field); break;
	case K_U32: snprintf(buf, len, "%u", *(const uint32_t *)field); break;
	case K_U64: case K_BYTES:
		snprintf(buf, len, "%llu", (unsigned long long)*(const uint64_t *)field);
		break;
	case K_STR: snprintf(buf, len, "%s", field); break;
	case K_ENUM:
		snprintf(buf, len, "%s", enum_names(k)[k->size == sizeof(bool) ? *(const bool *)field :
								      *(const unsigned *)field]);
		break;
	case K_RATIOS: {
		const unsigned *r = (const unsigned *)field;
		snprintf(buf, len, "%u %u %u %u", r[0], r[1], r[2], r[3]);
		break;
	}
	}
	return buf;
}

static const char *const sections[] = {
	"", "machine", "buddy", "pcp", "compaction", "slub", "vmalloc", "vm", "tlb", "cost", "replay",
};

void policy_write_ini(const struct policy *p, FILE *f)
{
	char buf[512];
	const struct phys_config *cfg = &p->phys;

	/* a comment, but still a line: at most 198 bytes, as inih reads them */
	fprintf(f, "# policy %s (%.100s), every value resolved\n", p->name, p->path);
	for (size_t s = 0; s < sizeof(sections) / sizeof(sections[0]); s++) {
		if (*sections[s])
			fprintf(f, "\n[%s]\n", sections[s]);
		for (size_t i = 0; i < NR_KEYS; i++)
			if (!strcmp(keys[i].section, sections[s]))
				fprintf(f, "%s = %s\n", keys[i].name, key_value(p, &keys[i], buf, sizeof(buf)));
		if (!strcmp(sections[s], "machine")) {
			fprintf(f, "\n[memblock]\n");
			for (unsigned r = 0; r < cfg->nr_reserved; r++)
				fprintf(f, "reserve = %llu %llu\n", (unsigned long long)cfg->reserved[r].base,
					(unsigned long long)cfg->reserved[r].size);
		}
		if (!strcmp(sections[s], "compaction"))
			for (unsigned a = 0; a < cfg->nr_cma; a++) {
				fprintf(f, a ? "\n[cma.%u]\n" : "\n[cma]\n", a);
				fprintf(f, "size = %llu\nbase = %llu\norder_per_bit = %u\nname = %s\n",
					(unsigned long long)cfg->cma[a].size,
					(unsigned long long)cfg->cma[a].base,
					cfg->cma[a].order_per_bit, cfg->cma[a].name);
			}
		if (!strcmp(sections[s], "cost"))
			for (unsigned i = 0; i < NR_COST_ITEMS; i++)
				fprintf(f, "%s = %u\n", cost_item_names[i], p->cost_cycles[i]);
	}
}

json_t *policy_json(const struct policy *p)
{
	const struct phys_config *cfg = &p->phys;
	json_t *o = json_pack("{s:s,s:s}", "name", p->name, "path", p->path);
	char buf[512];

	if (!o)
		return NULL;
	for (size_t i = 0; i < NR_KEYS; i++) {
		const struct key *k = &keys[i];
		json_t *sec = o, *v;
		const char *field = (const char *)p + k->offset;

		if (*k->section) {
			sec = json_object_get(o, k->section);
			if (!sec) {
				sec = json_object();
				if (json_object_set_new(o, k->section, sec))
					goto fail;
			}
		}
		switch (k->type) {
		case K_BOOL: v = json_boolean(*(const bool *)field); break;
		case K_STR: case K_RATIOS: case K_ENUM: v = json_string(key_value(p, k, buf, sizeof(buf))); break;
		case K_INT: v = json_integer(*(const int *)field); break;
		default: v = json_integer((json_int_t)strtoll(key_value(p, k, buf, sizeof(buf)), NULL, 10)); break;
		}
		if (json_object_set_new(sec, k->name, v))
			goto fail;
	}
	json_t *cost = json_object_get(o, "cost"), *res = json_array(), *cma = json_array();
	if (json_object_set_new(o, "memblock_reserved", res) || json_object_set_new(o, "cma", cma))
		goto fail;
	for (unsigned i = 0; i < NR_COST_ITEMS; i++)
		if (json_object_set_new(cost, cost_item_names[i], json_integer(p->cost_cycles[i])))
			goto fail;
	for (unsigned r = 0; r < cfg->nr_reserved; r++)
		if (json_array_append_new(res, json_pack("{s:I,s:I}", "base", (json_int_t)cfg->reserved[r].base,
							 "size", (json_int_t)cfg->reserved[r].size)))
			goto fail;
	for (unsigned a = 0; a < cfg->nr_cma; a++)
		if (json_array_append_new(cma, json_pack("{s:s,s:I,s:I,s:i}", "name", cfg->cma[a].name,
							 "size", (json_int_t)cfg->cma[a].size,
							 "base", (json_int_t)cfg->cma[a].base,
							 "order_per_bit", (int)cfg->cma[a].order_per_bit)))
			goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}
