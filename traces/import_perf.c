/*
 * import_perf.c - `perf script` text of kernel tracepoints to a trace
 * (import_perf.h says what is read and how ids and times are formed).
 *
 * Two passes over the input held in memory: the first finds every line of a
 * known event (header: COMM PID/TID [CPU] SECS.NSECS: EVENT:), the second
 * decodes them in time order and writes events.  Pointer, pfn, cache-name,
 * file and pending-syscall maps are uthash tables.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "engine/gfp.h"
#include "format.h"
#include "import_perf.h"
#include "parse.h"

#define MAP_ANONYMOUS_X86   0x20u       /* MAP_ANONYMOUS, Linux x86-64 */
#define PAGE_SHIFT_X86      12
#define ZERO_PTR_LIMIT      4096        /* NULL and ZERO_SIZE_PTR (16) are no object */
#define MAX_UNKNOWN_NAMES   16          /* distinct unknown event names listed */

/* The events read; the order is the dispatch order. */
enum pe_kind {
	PE_PAGE_ALLOC, PE_PAGE_FREE, PE_PAGE_FREE_BATCHED, PE_EXTFRAG,
	PE_KMALLOC, PE_KFREE, PE_CACHE_ALLOC, PE_CACHE_FREE, PE_FAULT,
	PE_SYS_ENTER, PE_SYS_EXIT, PE_FORK, PE_EXEC, PE_EXIT,
};

/* The mm system calls paired from sys_enter/sys_exit. */
enum pe_sys { SC_NONE, SC_MMAP, SC_MUNMAP, SC_MREMAP, SC_MPROTECT, SC_BRK, SC_MADVISE };

static const struct pe_name {
	const char *name;       /* as perf prints it, without the ':' */
	uint8_t kind;           /* enum pe_kind */
	uint8_t sys;            /* enum pe_sys */
} pe_names[] = {
	{ "kmem:mm_page_alloc", PE_PAGE_ALLOC, 0 },
	{ "kmem:mm_page_free", PE_PAGE_FREE, 0 },
	{ "kmem:mm_page_free_batched", PE_PAGE_FREE_BATCHED, 0 },
	{ "kmem:mm_page_alloc_extfrag", PE_EXTFRAG, 0 },
	{ "kmem:kmalloc", PE_KMALLOC, 0 },
	{ "kmem:kfree", PE_KFREE, 0 },
	{ "kmem:kmem_cache_alloc", PE_CACHE_ALLOC, 0 },
	{ "kmem:kmem_cache_free", PE_CACHE_FREE, 0 },
	{ "kmem:kmalloc_node", PE_KMALLOC, 0 },         /* kernels < 6.2 */
	{ "kmem:kmem_cache_alloc_node", PE_CACHE_ALLOC, 0 },
	{ "exceptions:page_fault_user", PE_FAULT, 0 },
	{ "syscalls:sys_enter_mmap", PE_SYS_ENTER, SC_MMAP },
	{ "syscalls:sys_exit_mmap", PE_SYS_EXIT, SC_MMAP },
	{ "syscalls:sys_enter_munmap", PE_SYS_ENTER, SC_MUNMAP },
	{ "syscalls:sys_exit_munmap", PE_SYS_EXIT, SC_MUNMAP },
	{ "syscalls:sys_enter_mremap", PE_SYS_ENTER, SC_MREMAP },
	{ "syscalls:sys_exit_mremap", PE_SYS_EXIT, SC_MREMAP },
	{ "syscalls:sys_enter_mprotect", PE_SYS_ENTER, SC_MPROTECT },
	{ "syscalls:sys_exit_mprotect", PE_SYS_EXIT, SC_MPROTECT },
	{ "syscalls:sys_enter_brk", PE_SYS_ENTER, SC_BRK },
	{ "syscalls:sys_exit_brk", PE_SYS_EXIT, SC_BRK },
	{ "syscalls:sys_enter_madvise", PE_SYS_ENTER, SC_MADVISE },
	{ "syscalls:sys_exit_madvise", PE_SYS_EXIT, SC_MADVISE },
	{ "sched:sched_process_fork", PE_FORK, 0 },
	{ "sched:sched_process_exec", PE_EXEC, 0 },
	{ "sched:sched_process_exit", PE_EXIT, 0 },
};
#define NR_PE_NAMES (sizeof(pe_names) / sizeof(pe_names[0]))

/* One line of a known event, found by the first pass. */
struct pe_line {
	uint64_t t;             /* ns, CLOCK_MONOTONIC as perf printed it */
	size_t off;             /* byte offset of the line in the input */
	size_t body;            /* byte offset of the trace part (after "EVENT:") */
	size_t body_len;        /* bytes */
	uint32_t lineno;        /* 1-based */
	uint32_t pid, tid, cpu;
	uint8_t name;           /* index in pe_names */
};

struct obj_ent {                /* live kernel object by pointer */
	uint64_t ptr;           /* key */
	uint32_t id;            /* object id */
	uint32_t cache;         /* cache id, TRACE_NO_ID for kmalloc */
	UT_hash_handle hh;
};

struct page_ent {               /* live page block by head pfn */
	uint64_t pfn;           /* key */
	uint32_t id;            /* page id */
	uint8_t order;          /* as allocated */
	UT_hash_handle hh;
};

struct name_ent {               /* kmem_cache by name */
	char *name;             /* key, NUL-terminated */
	uint32_t id;            /* cache id */
	UT_hash_handle hh;
};

struct u64_ent {                /* generic u64 -> u32 (file ids, tid -> pid) */
	uint64_t key;
	uint32_t val;
	UT_hash_handle hh;
};

struct sys_ent {                /* a sys_enter waiting for its exit, per tid */
	uint32_t tid;           /* key */
	uint8_t sys;            /* enum pe_sys, SC_NONE when nothing waits */
	uint64_t arg[6];        /* the call's arguments, in the order read */
	UT_hash_handle hh;
};

struct id_pool {                /* dense ids: lowest never used, or last freed */
	uint32_t next;          /* ids below this have been handed out */
	uint32_t *free;         /* stack of freed ids */
	size_t nr_free, cap;
};

struct unknown_name {
	char name[64];          /* event name, truncated */
	uint64_t count;
};

struct perf_imp {
	const char *name;       /* input name for errors */
	const char *buf;        /* the input */
	size_t len;             /* bytes */
	trace_error_t *err;
	trace_writer_t *w;      /* NULL: check only */
	uint64_t origin;        /* ns */
	const struct pe_line *cur;      /* line being decoded */
	const char *body;       /* its trace part */
	size_t body_len;
	struct obj_ent *objs;
	struct page_ent *pages;
	struct name_ent *caches;
	struct u64_ent *files, *tidpid;
	struct sys_ent *sys;
	struct id_pool obj_ids, page_ids;
	uint32_t nr_caches, nr_files;
	uint64_t nr_written, nr_lines, nr_skipped_lines, nr_unknown_events;
	uint64_t nr_unknown_gfp, nr_out_of_order, nr_before_origin;
	uint64_t nr_obj_free_unknown, nr_page_free_unknown, nr_null_free;
	uint64_t nr_implicit_obj_free, nr_implicit_page_free, nr_order_mismatch;
	uint64_t nr_page_alloc_failed, nr_obj_alloc_failed;
	uint64_t nr_sys_enter_unpaired, nr_sys_exit_unpaired;
	uint64_t nr_extfrag, nr_extfrag_steal, nr_extfrag_fragmenting;
	struct unknown_name unknown[MAX_UNKNOWN_NAMES];
	size_t nr_unknown_names;
};

/* ---------------------------------------------------------------- field parsing */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

bool perf_field_find(const char *s, size_t len, const char *key,
		     const char **val, size_t *vlen)
{
	size_t klen = strlen(key);
	for (size_t i = 0; i + klen < len; i++) {
		if (i > 0 && !is_blank(s[i - 1]) && s[i - 1] != ',')
			continue;
		if (memcmp(s + i, key, klen))
			continue;
		size_t j = i + klen;
		char sep = s[j];
		if (sep != '=' && sep != ':')
			continue;
		j++;
		if (sep == ':')
			while (j < len && is_blank(s[j]))
				j++;
		size_t e = j;
		while (e < len && !is_blank(s[e]) && !(sep == ':' && s[e] == ','))
			e++;
		*val = s + j;
		*vlen = e - j;
		return true;
	}
	return false;
}

int perf_parse_u64(const char *v, size_t vlen, uint64_t *out)
{
	bool neg = false;
	uint64_t x = 0;
	size_t i = 0;
	if (vlen == 5 && !memcmp(v, "(nil)", 5)) {
		*out = 0;
		return 0;
	}
	if (i < vlen && v[i] == '-') {
		neg = true;
		i++;
	}
	if (i + 1 < vlen && v[i] == '0' && (v[i + 1] == 'x' || v[i + 1] == 'X')) {
		i += 2;
		if (i == vlen)
			return -1;
		for (; i < vlen; i++) {
			int d = hex_digit(v[i]);
			if (d < 0 || x >> 60)
				return -1;
			x = x << 4 | (unsigned)d;
		}
	} else {
		if (i == vlen)
			return -1;
		for (; i < vlen; i++) {
			if (v[i] < '0' || v[i] > '9')
				return -1;
			unsigned d = (unsigned)(v[i] - '0');
			if (x > (UINT64_MAX - d) / 10)
				return -1;
			x = x * 10 + d;
		}
	}
	*out = neg ? (uint64_t)0 - x : x;
	return 0;
}

static const struct gfp_name {
	const char *name;
	uint32_t bits;
} gfp_names[] = {
	/* composites, as include/linux/gfp_types.h defines them */
	{ "GFP_TRANSHUGE", GFP_TRANSHUGE },
	{ "GFP_TRANSHUGE_LIGHT", GFP_TRANSHUGE_LIGHT },
	{ "GFP_HIGHUSER_MOVABLE", GFP_HIGHUSER_MOVABLE },
	{ "GFP_HIGHUSER", GFP_HIGHUSER },
	{ "GFP_USER", GFP_USER },
	{ "GFP_KERNEL_ACCOUNT", GFP_KERNEL_ACCOUNT },
	{ "GFP_KERNEL", GFP_KERNEL },
	{ "GFP_NOFS", GFP_F_RECLAIM | GFP_F_IO },
	{ "GFP_ATOMIC", GFP_ATOMIC },
	{ "GFP_NOIO", GFP_F_RECLAIM },
	{ "GFP_NOWAIT", GFP_NOWAIT },
	{ "GFP_DMA", GFP_DMA },
	{ "GFP_DMA32", GFP_DMA32 },
	{ "__GFP_RECLAIM", GFP_F_RECLAIM },
	/* single bits */
	{ "__GFP_DMA", GFP_F_DMA },
	{ "__GFP_HIGHMEM", GFP_F_HIGHMEM },
	{ "__GFP_DMA32", GFP_F_DMA32 },
	{ "__GFP_MOVABLE", GFP_F_MOVABLE },
	{ "__GFP_RECLAIMABLE", GFP_F_RECLAIMABLE },
	{ "__GFP_HIGH", GFP_F_HIGH },
	{ "__GFP_IO", GFP_F_IO },
	{ "__GFP_FS", GFP_F_FS },
	{ "__GFP_ZERO", GFP_F_ZERO },
	{ "__GFP_ATOMIC", GFP_F_ATOMIC_LEGACY },
	{ "__GFP_DIRECT_RECLAIM", GFP_F_DIRECT_RECLAIM },
	{ "__GFP_KSWAPD_RECLAIM", GFP_F_KSWAPD_RECLAIM },
	{ "__GFP_WRITE", GFP_F_WRITE },
	{ "__GFP_NOWARN", GFP_F_NOWARN },
	{ "__GFP_RETRY_MAYFAIL", GFP_F_RETRY_MAYFAIL },
	{ "__GFP_NOFAIL", GFP_F_NOFAIL },
	{ "__GFP_NORETRY", GFP_F_NORETRY },
	{ "__GFP_MEMALLOC", GFP_F_MEMALLOC },
	{ "__GFP_COMP", GFP_F_COMP },
	{ "__GFP_NOMEMALLOC", GFP_F_NOMEMALLOC },
	{ "__GFP_HARDWALL", GFP_F_HARDWALL },
	{ "__GFP_THISNODE", GFP_F_THISNODE },
	{ "__GFP_ACCOUNT", GFP_F_ACCOUNT },
};

uint32_t perf_gfp_decode(const char *v, size_t vlen, unsigned *nr_unknown)
{
	uint32_t gfp = 0;
	unsigned unknown = 0;
	uint64_t x;
	if (vlen == 4 && !memcmp(v, "none", 4))
		return 0;
	for (size_t i = 0;;) {
		size_t e = i;
		while (e < vlen && v[e] != '|')
			e++;
		size_t n = e - i;
		bool found = false;
		for (size_t k = 0; k < sizeof(gfp_names) / sizeof(gfp_names[0]); k++) {
			if (strlen(gfp_names[k].name) == n && !memcmp(gfp_names[k].name, v + i, n)) {
				gfp |= gfp_names[k].bits;
				found = true;
				break;
			}
		}
		if (!found && n > 0 && !perf_parse_u64(v + i, n, &x)) {
			gfp |= (uint32_t)x;   /* bits the kernel printed as a number */
			found = x <= UINT32_MAX;
		}
		if (!found)
			unknown++;
		if (e >= vlen)
			break;
		i = e + 1;
	}
	if (nr_unknown)
		*nr_unknown += unknown;
	return gfp;
}

uint32_t perf_fault_flags(uint64_t error_code)
{
	uint32_t f = 0;
	if (error_code & 0x1)
		f |= TRACE_FAULT_PROT;
	if (error_code & 0x2)
		f |= TRACE_FAULT_WRITE;
	if (error_code & 0x4)
		f |= TRACE_FAULT_USER;
	if (error_code & 0x10)
		f |= TRACE_FAULT_EXEC;
	return f;
}

/* ---------------------------------------------------------------- errors, ids, output */

static int imp_error(struct perf_imp *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int imp_error(struct perf_imp *p, const char *fmt, ...)
{
	char msg[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return trace_error_set(p->err, p->name, TRACE_NO_EVENT, p->cur->off, "line %" PRIu32 ": %s: %s",
			       p->cur->lineno, pe_names[p->cur->name].name, msg);
}

static int id_get(struct perf_imp *p, struct id_pool *pool, uint32_t *id)
{
	if (pool->nr_free) {
		*id = pool->free[--pool->nr_free];
		return 0;
	}
	if (pool->next >= UINT32_MAX - 1)
		return imp_error(p, "more than 2^32-2 live ids");
	*id = pool->next++;
	return 0;
}

static int id_put(struct perf_imp *p, struct id_pool *pool, uint32_t id)
{
	if (pool->nr_free == pool->cap) {
		size_t cap = pool->cap ? pool->cap * 2 : 256;
		uint32_t *nf = realloc(pool->free, cap * sizeof(*nf));
		if (!nf)
			return imp_error(p, "out of memory");
		pool->free = nf;
		pool->cap = cap;
	}
	pool->free[pool->nr_free++] = id;
	return 0;
}

/* Write ev with the current line's time and context. */
static int emit(struct perf_imp *p, trace_event_t *ev)
{
	const struct pe_line *l = p->cur;
	ev->ts = l->t > p->origin ? l->t - p->origin : 0;
	ev->cpu = l->cpu;
	ev->pid = l->pid;
	ev->tid = l->tid;
	const char *why = fmt_event_invalid(ev);
	if (why)
		return imp_error(p, "invalid event: %s", why);
	if (p->w && trace_write(p->w, ev))
		return imp_error(p, "%s", trace_writer_error(p->w)->reason);
	p->nr_written++;
	return 0;
}

/*
 * Read the number of field key: 1 present, 0 absent and not required, -1
 * error (bad number, or required and absent).
 */
static int get_num(struct perf_imp *p, const char *key, bool required, uint64_t *out)
{
	const char *v;
	size_t n;
	if (!perf_field_find(p->body, p->body_len, key, &v, &n)) {
		if (required)
			return imp_error(p, "field '%s' missing", key);
		return 0;
	}
	if (perf_parse_u64(v, n, out))
		return imp_error(p, "field '%s': bad number '%.*s'", key, (int)(n > 40 ? 40 : n), v);
	return 1;
}

static uint32_t get_gfp(struct perf_imp *p)
{
	const char *v;
	size_t n;
	unsigned unknown = 0;
	if (!perf_field_find(p->body, p->body_len, "gfp_flags", &v, &n))
		return 0;
	uint32_t gfp = perf_gfp_decode(v, n, &unknown);
	p->nr_unknown_gfp += unknown;
	return gfp;
}

/* ---------------------------------------------------------------- pages */

static int page_free_ent(struct perf_imp *p, struct page_ent *e)
{
	trace_event_t ev = { .type = TRACE_PAGE_FREE };
	ev.page_free.page = e->id;
	ev.page_free.order = e->order;
	HASH_DEL(p->pages, e);
	int rc = id_put(p, &p->page_ids, e->id);
	free(e);
	return rc ? rc : emit(p, &ev);
}

static int do_page_alloc(struct perf_imp *p)
{
	uint64_t pfn, order, mt = 0;
	const char *v;
	size_t n;
	if (get_num(p, "pfn", true, &pfn) < 0 || get_num(p, "order", true, &order) < 0 ||
	    get_num(p, "migratetype", false, &mt) < 0)
		return -1;
	if (order > TRACE_MAX_ORDER)
		return imp_error(p, "field 'order': %" PRId64 " out of range (max %d)", (int64_t)order,
				 TRACE_MAX_ORDER);
	if (mt > 255)
		return imp_error(p, "field 'migratetype': %" PRId64 " out of range", (int64_t)mt);
	if (pfn == 0 || (perf_field_find(p->body, p->body_len, "page", &v, &n) &&
			 n == 5 && !memcmp(v, "(nil)", 5))) {
		p->nr_page_alloc_failed++;
		return 0;
	}
	struct page_ent *e;
	HASH_FIND(hh, p->pages, &pfn, sizeof(pfn), e);
	if (e) {
		p->nr_implicit_page_free++;
		if (page_free_ent(p, e))
			return -1;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return imp_error(p, "out of memory");
	e->pfn = pfn;
	e->order = (uint8_t)order;
	if (id_get(p, &p->page_ids, &e->id)) {
		free(e);
		return -1;
	}
	HASH_ADD(hh, p->pages, pfn, sizeof(e->pfn), e);
	trace_event_t ev = { .type = TRACE_PAGE_ALLOC };
	ev.page_alloc.page = e->id;
	ev.page_alloc.order = (uint8_t)order;
	ev.page_alloc.migratetype = (uint8_t)mt;
	ev.page_alloc.gfp = get_gfp(p);
	return emit(p, &ev);
}

static int do_page_free(struct perf_imp *p, bool batched)
{
	uint64_t pfn, order = 0;
	if (get_num(p, "pfn", true, &pfn) < 0 || get_num(p, "order", !batched, &order) < 0)
		return -1;
	if (order > TRACE_MAX_ORDER)
		return imp_error(p, "field 'order': %" PRId64 " out of range (max %d)", (int64_t)order,
				 TRACE_MAX_ORDER);
	struct page_ent *e;
	HASH_FIND(hh, p->pages, &pfn, sizeof(pfn), e);
	if (!e) {
		p->nr_page_free_unknown++;
		return 0;
	}
	if (e->order != order)
		p->nr_order_mismatch++;         /* freed as allocated */
	return page_free_ent(p, e);
}

static int do_extfrag(struct perf_imp *p)
{
	uint64_t v;
	int rc;
	p->nr_extfrag++;
	if ((rc = get_num(p, "change_ownership", false, &v)) < 0)
		return -1;
	if (rc && v)
		p->nr_extfrag_steal++;
	if ((rc = get_num(p, "fragmenting", false, &v)) < 0)
		return -1;
	if (rc && v)
		p->nr_extfrag_fragmenting++;
	return 0;
}

/* ---------------------------------------------------------------- slab objects */

static int obj_free_ent(struct perf_imp *p, struct obj_ent *e)
{
	trace_event_t ev = { .type = TRACE_FREE };
	ev.free.id = e->id;
	ev.free.cache = e->cache;
	ev.free.func = e->cache == TRACE_NO_ID ? TRACE_FN_KFREE : TRACE_FN_KMEM_CACHE_FREE;
	HASH_DEL(p->objs, e);
	int rc = id_put(p, &p->obj_ids, e->id);
	free(e);
	return rc ? rc : emit(p, &ev);
}

/* The cache id of the current kmem_cache_alloc, created (CACHE_CREATE) on first use. */
static int cache_lookup(struct perf_imp *p, uint64_t obj_size, uint32_t *id)
{
	char key[TRACE_MAX_STRING + 1];
	const char *v;
	size_t n;
	if (perf_field_find(p->body, p->body_len, "name", &v, &n) && n > 0) {
		if (n > TRACE_MAX_STRING)
			return imp_error(p, "field 'name': longer than %d bytes", TRACE_MAX_STRING);
		memcpy(key, v, n);
		key[n] = '\0';
	} else {
		n = (size_t)snprintf(key, sizeof(key), "size-%" PRIu64, obj_size);
	}
	struct name_ent *e;
	HASH_FIND(hh, p->caches, key, n, e);
	if (e) {
		*id = e->id;
		return 0;
	}
	e = calloc(1, sizeof(*e));
	if (!e || !(e->name = strdup(key))) {
		free(e);
		return imp_error(p, "out of memory");
	}
	e->id = p->nr_caches++;
	HASH_ADD_KEYPTR(hh, p->caches, e->name, n, e);
	trace_event_t ev = { .type = TRACE_CACHE_CREATE };
	ev.cache_create.cache = e->id;
	ev.cache_create.size = obj_size;
	ev.cache_create.name = e->name;
	ev.cache_create.name_len = (uint32_t)n;
	*id = e->id;
	return emit(p, &ev);
}

static int do_obj_alloc(struct perf_imp *p, bool cache)
{
	uint64_t ptr, req = 0, alloc = 0;
	int has_req, has_alloc;
	if (get_num(p, "ptr", true, &ptr) < 0 ||
	    (has_req = get_num(p, "bytes_req", false, &req)) < 0 ||
	    (has_alloc = get_num(p, "bytes_alloc", false, &alloc)) < 0)
		return -1;
	if (!has_req && !has_alloc)
		return imp_error(p, "field 'bytes_req' missing");
	if (!has_req)
		req = alloc;
	if (!has_alloc)
		alloc = req;
	if (ptr < ZERO_PTR_LIMIT) {
		p->nr_obj_alloc_failed++;
		return 0;
	}
	uint32_t cache_id = TRACE_NO_ID;
	if (cache && cache_lookup(p, alloc, &cache_id))
		return -1;
	struct obj_ent *e;
	HASH_FIND(hh, p->objs, &ptr, sizeof(ptr), e);
	if (e) {
		p->nr_implicit_obj_free++;
		if (obj_free_ent(p, e))
			return -1;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return imp_error(p, "out of memory");
	e->ptr = ptr;
	e->cache = cache_id;
	if (id_get(p, &p->obj_ids, &e->id)) {
		free(e);
		return -1;
	}
	HASH_ADD(hh, p->objs, ptr, sizeof(e->ptr), e);
	trace_event_t ev = { .type = TRACE_ALLOC };
	ev.alloc.id = e->id;
	ev.alloc.cache = cache_id;
	ev.alloc.size = req;
	ev.alloc.gfp = get_gfp(p);
	ev.alloc.func = cache ? TRACE_FN_KMEM_CACHE_ALLOC : TRACE_FN_KMALLOC;
	return emit(p, &ev);
}

static int do_obj_free(struct perf_imp *p)
{
	uint64_t ptr;
	if (get_num(p, "ptr", true, &ptr) < 0)
		return -1;
	if (ptr < ZERO_PTR_LIMIT) {
		p->nr_null_free++;
		return 0;
	}
	struct obj_ent *e;
	HASH_FIND(hh, p->objs, &ptr, sizeof(ptr), e);
	if (!e) {
		p->nr_obj_free_unknown++;
		return 0;
	}
	return obj_free_ent(p, e);
}

/* ---------------------------------------------------------------- faults, processes */

static int do_fault(struct perf_imp *p)
{
	uint64_t addr, code;
	if (get_num(p, "address", true, &addr) < 0 || get_num(p, "error_code", true, &code) < 0)
		return -1;
	trace_event_t ev = { .type = TRACE_FAULT };
	ev.fault.addr = addr;
	ev.fault.flags = perf_fault_flags(code);
	return emit(p, &ev);
}

static int tid_pid(struct perf_imp *p, uint32_t tid, uint32_t *pid)
{
	uint64_t key = tid;
	struct u64_ent *e;
	HASH_FIND(hh, p->tidpid, &key, sizeof(key), e);
	if (!e)
		return -1;
	*pid = e->val;
	return 0;
}

static int do_fork(struct perf_imp *p)
{
	uint64_t child;
	uint32_t child_pid;
	if (get_num(p, "child_pid", true, &child) < 0)
		return -1;
	if (child > UINT32_MAX)
		return imp_error(p, "field 'child_pid': %" PRIu64 " out of range", child);
	trace_event_t ev = { .type = TRACE_FORK };
	ev.fork.child = (uint32_t)child;
	/* a thread when the child's own events carry another process id */
	if (!tid_pid(p, (uint32_t)child, &child_pid) && child_pid != child)
		ev.fork.flags = TRACE_FORK_THREAD;
	return emit(p, &ev);
}

static int do_exec(struct perf_imp *p)
{
	const char *v, *end = p->body + p->body_len;
	size_t n;
	if (!perf_field_find(p->body, p->body_len, "filename", &v, &n))
		return imp_error(p, "field 'filename' missing");
	/* the file name may hold blanks: it runs to the last " pid=" */
	n = (size_t)(end - v);
	for (size_t i = n; i >= 5; i--) {
		if (!memcmp(v + i - 5, " pid=", 5)) {
			n = i - 5;
			break;
		}
	}
	if (n > TRACE_MAX_STRING)
		return imp_error(p, "field 'filename': longer than %d bytes", TRACE_MAX_STRING);
	trace_event_t ev = { .type = TRACE_EXEC };
	ev.exec.path = v;
	ev.exec.path_len = (uint32_t)n;
	return emit(p, &ev);
}

static int do_exit(struct perf_imp *p)
{
	const char *v;
	size_t n;
	trace_event_t ev = { .type = TRACE_EXIT };
	/* the tracepoint has no exit code: 0 (see import_perf.h) */
	if (perf_field_find(p->body, p->body_len, "group_dead", &v, &n)) {
		if (n == 5 && !memcmp(v, "false", 5))
			ev.exit.flags = TRACE_EXIT_THREAD;
		else if (!(n == 4 && !memcmp(v, "true", 4)))
			return imp_error(p, "field 'group_dead': '%.*s' is not true or false",
					 (int)(n > 40 ? 40 : n), v);
	} else if (p->cur->pid != p->cur->tid) {
		ev.exit.flags = TRACE_EXIT_THREAD;
	}
	return emit(p, &ev);
}

/* ---------------------------------------------------------------- system calls */

/* Argument keys per call, as the syscall tracepoints print them; "" = none. */
static const char *const sys_args[][6] = {
	[SC_MMAP] = { "addr", "len", "prot", "flags", "fd", "off" },
	[SC_MUNMAP] = { "addr", "len", "", "", "", "" },
	[SC_MREMAP] = { "addr", "old_len", "new_len", "flags", "new_addr", "" },
	[SC_MPROTECT] = { "start", "len", "prot", "", "", "" },
	[SC_BRK] = { "brk", "", "", "", "", "" },
	[SC_MADVISE] = { "start", "len_in", "behavior", "", "", "" },
};
/* Which of them must be present (bit i = arg i). */
static const uint8_t sys_required[] = {
	[SC_MMAP] = 0x02, [SC_MUNMAP] = 0x03, [SC_MREMAP] = 0x07,
	[SC_MPROTECT] = 0x07, [SC_BRK] = 0x01, [SC_MADVISE] = 0x07,
};

static int do_sys_enter(struct perf_imp *p, unsigned sys)
{
	struct sys_ent *e;
	uint32_t tid = p->cur->tid;
	uint64_t arg[6] = { 0 };
	if (sys == SC_MMAP)
		arg[4] = UINT64_MAX;    /* fd -1: anonymous */
	for (unsigned i = 0; i < 6; i++) {
		if (!sys_args[sys][i][0])
			continue;
		if (get_num(p, sys_args[sys][i], sys_required[sys] & (1u << i), &arg[i]) < 0)
			return -1;
	}
	HASH_FIND(hh, p->sys, &tid, sizeof(tid), e);
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return imp_error(p, "out of memory");
		e->tid = tid;
		HASH_ADD(hh, p->sys, tid, sizeof(e->tid), e);
	}
	if (e->sys != SC_NONE)
		p->nr_sys_enter_unpaired++;     /* its exit was never seen */
	e->sys = (uint8_t)sys;
	memcpy(e->arg, arg, sizeof(arg));
	return 0;
}

static uint32_t file_id(struct perf_imp *p, uint64_t fd)
{
	uint64_t key = (uint64_t)p->cur->pid << 32 | (fd & 0xffffffffu);
	struct u64_ent *e;
	HASH_FIND(hh, p->files, &key, sizeof(key), e);
	if (e)
		return e->val;
	e = calloc(1, sizeof(*e));
	if (!e)
		return TRACE_NO_ID;
	e->key = key;
	e->val = p->nr_files++;
	HASH_ADD(hh, p->files, key, sizeof(e->key), e);
	return e->val;
}

static int do_sys_exit(struct perf_imp *p, unsigned sys)
{
	uint64_t ret;
	const char *v = p->body;
	size_t n = 0;
	uint32_t tid = p->cur->tid;
	struct sys_ent *e;

	/* "0x7f3a2000" alone, or "ret: 0x..." / "ret=..." */
	while (n < p->body_len && !is_blank(v[n]))
		n++;
	if (perf_parse_u64(v, n, &ret) && get_num(p, "ret", true, &ret) < 0)
		return -1;
	HASH_FIND(hh, p->sys, &tid, sizeof(tid), e);
	if (!e || e->sys != sys) {
		p->nr_sys_exit_unpaired++;
		return 0;
	}
	e->sys = SC_NONE;
	const uint64_t *a = e->arg;
	uint32_t err = (int64_t)ret < 0 && (int64_t)ret >= -4095 ? (uint32_t)-(int64_t)ret : 0;
	trace_event_t ev = { .type = TRACE_MMAP };
	switch (sys) {
	case SC_MMAP:
		ev.mmap.addr = a[0];
		ev.mmap.len = a[1];
		ev.mmap.prot = (uint32_t)a[2];
		ev.mmap.flags = (uint32_t)a[3];
		ev.mmap.file = (a[3] & MAP_ANONYMOUS_X86) || (uint32_t)a[4] == UINT32_MAX ?
			       TRACE_NO_ID : file_id(p, a[4]);
		ev.mmap.pgoff = a[5] >> PAGE_SHIFT_X86;
		ev.mmap.err = err;
		ev.mmap.result = err ? 0 : ret;
		break;
	case SC_MUNMAP:
		ev.type = TRACE_MUNMAP;
		ev.munmap.addr = a[0];
		ev.munmap.len = a[1];
		ev.munmap.err = err;
		break;
	case SC_MREMAP:
		ev.type = TRACE_MREMAP;
		ev.mremap.addr = a[0];
		ev.mremap.old_len = a[1];
		ev.mremap.new_len = a[2];
		ev.mremap.flags = (uint32_t)a[3];
		ev.mremap.new_addr = a[4];
		ev.mremap.err = err;
		ev.mremap.result = err ? 0 : ret;
		break;
	case SC_MPROTECT:
		ev.type = TRACE_MPROTECT;
		ev.mprotect.addr = a[0];
		ev.mprotect.len = a[1];
		ev.mprotect.prot = (uint32_t)a[2];
		ev.mprotect.err = err;
		break;
	case SC_BRK:
		ev.type = TRACE_BRK;
		ev.brk.request = a[0];
		ev.brk.result = ret;
		break;
	default:
		ev.type = TRACE_MADVISE;
		ev.madvise.addr = a[0];
		ev.madvise.len = a[1];
		ev.madvise.advice = (uint32_t)a[2];
		ev.madvise.err = err;
		break;
	}
	return emit(p, &ev);
}

static int decode_line(struct perf_imp *p, const struct pe_line *l)
{
	p->cur = l;
	p->body = p->buf + l->body;
	p->body_len = l->body_len;
	const struct pe_name *pn = &pe_names[l->name];
	switch (pn->kind) {
	case PE_PAGE_ALLOC:
		return do_page_alloc(p);
	case PE_PAGE_FREE:
		return do_page_free(p, false);
	case PE_PAGE_FREE_BATCHED:
		return do_page_free(p, true);
	case PE_EXTFRAG:
		return do_extfrag(p);
	case PE_KMALLOC:
		return do_obj_alloc(p, false);
	case PE_CACHE_ALLOC:
		return do_obj_alloc(p, true);
	case PE_KFREE:
	case PE_CACHE_FREE:
		return do_obj_free(p);
	case PE_FAULT:
		return do_fault(p);
	case PE_SYS_ENTER:
		return do_sys_enter(p, pn->sys);
	case PE_SYS_EXIT:
		return do_sys_exit(p, pn->sys);
	case PE_FORK:
		return do_fork(p);
	case PE_EXEC:
		return do_exec(p);
	default:
		return do_exit(p);
	}
}

/* ---------------------------------------------------------------- first pass: line headers */

/* Next blank-separated token of l[0..n) from *pos: start in *t, length returned (0 = none). */
static size_t next_token(const char *l, size_t n, size_t *pos, size_t *t)
{
	size_t i = *pos;
	while (i < n && is_blank(l[i]))
		i++;
	*t = i;
	while (i < n && !is_blank(l[i]))
		i++;
	*pos = i;
	return i - *t;
}

static bool parse_u32(const char *s, size_t n, uint32_t *out)
{
	uint64_t v = 0;
	if (n == 0 || n > 10)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* "SECS.FRAC:" (FRAC 1..9 digits) as ns. */
static bool parse_time(const char *s, size_t n, uint64_t *ns)
{
	size_t dot = 0;
	uint64_t sec = 0, frac = 0;
	if (n < 4 || s[n - 1] != ':')
		return false;
	n--;
	while (dot < n && s[dot] != '.')
		dot++;
	if (dot == 0 || dot > 11 || dot == n || n - dot - 1 > 9 || n - dot - 1 == 0)
		return false;
	for (size_t i = 0; i < dot; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		sec = sec * 10 + (uint64_t)(s[i] - '0');
	}
	size_t digits = n - dot - 1;
	for (size_t i = dot + 1; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		frac = frac * 10 + (uint64_t)(s[i] - '0');
	}
	for (size_t i = digits; i < 9; i++)
		frac *= 10;
	if (sec > (UINT64_MAX - frac) / 1000000000u)
		return false;
	*ns = sec * 1000000000u + frac;
	return true;
}

/*
 * Find "PID[/TID] [[CPU]] TIME: EVENT:" in line l (n bytes, no newline).
 * The command name before it may hold blanks.  Returns true with *pl's
 * times, ids, body and *ev / *evlen set to the event name.
 */
static bool parse_header(const char *l, size_t n, struct pe_line *pl, size_t *ev, size_t *evlen)
{
	size_t pos = 0, t, tl;
	while ((tl = next_token(l, n, &pos, &t)) > 0) {
		size_t p2 = pos, t2, t3, t4;
		size_t slash = 0;
		uint32_t pid, tid, cpu = 0;
		while (slash < tl && l[t + slash] != '/')
			slash++;
		if (!parse_u32(l + t, slash, &pid))
			continue;
		tid = pid;
		if (slash < tl && !parse_u32(l + t + slash + 1, tl - slash - 1, &tid))
			continue;
		size_t tl2 = next_token(l, n, &p2, &t2);
		if (tl2 >= 3 && l[t2] == '[' && l[t2 + tl2 - 1] == ']') {
			if (!parse_u32(l + t2 + 1, tl2 - 2, &cpu))
				continue;
			tl2 = next_token(l, n, &p2, &t2);
		}
		if (!parse_time(l + t2, tl2, &pl->t))
			continue;
		t3 = next_token(l, n, &p2, &t4);
		if (t3 < 2 || l[t4 + t3 - 1] != ':')
			continue;
		pl->pid = pid;
		pl->tid = tid;
		pl->cpu = cpu;
		*ev = t4;
		*evlen = t3 - 1;
		while (p2 < n && is_blank(l[p2]))
			p2++;
		pl->body = p2;
		pl->body_len = n - p2;
		while (pl->body_len && is_blank(l[p2 + pl->body_len - 1]))
			pl->body_len--;
		return true;
	}
	return false;
}

static int name_index(const char *s, size_t n)
{
	for (size_t i = 0; i < NR_PE_NAMES; i++)
		if (strlen(pe_names[i].name) == n && !memcmp(pe_names[i].name, s, n))
			return (int)i;
	return -1;
}

/* The known event a line without a parsable header names, or -1. */
static int line_claims(const char *l, size_t n)
{
	for (size_t i = 0; i < NR_PE_NAMES; i++) {
		size_t k = strlen(pe_names[i].name);
		for (size_t j = 0; j + k < n; j++)
			if (l[j + k] == ':' && !memcmp(l + j, pe_names[i].name, k))
				return (int)i;
	}
	return -1;
}

static void count_unknown(struct perf_imp *p, const char *s, size_t n)
{
	p->nr_unknown_events++;
	if (n >= sizeof(p->unknown[0].name))
		n = sizeof(p->unknown[0].name) - 1;
	for (size_t i = 0; i < p->nr_unknown_names; i++) {
		if (strlen(p->unknown[i].name) == n && !memcmp(p->unknown[i].name, s, n)) {
			p->unknown[i].count++;
			return;
		}
	}
	if (p->nr_unknown_names == MAX_UNKNOWN_NAMES)
		return;
	struct unknown_name *u = &p->unknown[p->nr_unknown_names++];
	for (size_t i = 0; i < n; i++)      /* keep metadata values printable */
		u->name[i] = s[i] >= 0x21 && s[i] < 0x7f && s[i] != ',' && s[i] != '=' ? s[i] : '?';
	u->name[n] = '\0';
	u->count = 1;
}

static int cmp_line(const void *a, const void *b)
{
	const struct pe_line *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

static int scan_lines(struct perf_imp *p, struct pe_line **out, size_t *nr_out)
{
	struct pe_line *lines = NULL;
	size_t nr = 0, cap = 0;
	uint32_t lineno = 0;
	uint64_t prev_t = 0;
	for (size_t off = 0; off < p->len;) {
		const char *l = p->buf + off;
		const char *nl = memchr(l, '\n', p->len - off);
		size_t n = nl ? (size_t)(nl - l) : p->len - off;
		struct pe_line pl = { .off = off };
		size_t ev, evlen, i = 0;
		int idx;
		lineno++;
		pl.lineno = lineno;
		while (i < n && is_blank(l[i]))
			i++;
		if (i == n || l[i] == '#') {
			off += n + 1;
			continue;
		}
		p->nr_lines++;
		if (!parse_header(l, n, &pl, &ev, &evlen)) {
			if (memchr(l, '\0', n) || (idx = line_claims(l, n)) < 0) {
				p->nr_skipped_lines++;
				off += n + 1;
				continue;
			}
			p->cur = &pl;
			pl.name = (uint8_t)idx;
			free(lines);
			return imp_error(p, "cannot parse 'COMM PID/TID [CPU] SECONDS.NS:' before the event");
		}
		idx = name_index(l + ev, evlen);
		if (idx < 0) {
			count_unknown(p, l + ev, evlen);
			off += n + 1;
			continue;
		}
		pl.name = (uint8_t)idx;
		pl.body += off;
		if (pl.cpu >= TRACE_MAX_CPUS) {
			p->cur = &pl;
			free(lines);
			return imp_error(p, "cpu %" PRIu32 " out of range (max %d)", pl.cpu,
					 TRACE_MAX_CPUS - 1);
		}
		if (memchr(l, '\0', n)) {
			p->cur = &pl;
			free(lines);
			return imp_error(p, "NUL byte in the line");
		}
		if (nr && pl.t < prev_t)
			p->nr_out_of_order++;
		prev_t = pl.t;
		if (nr == cap) {
			size_t ncap = cap ? cap * 2 : 1024;
			struct pe_line *nl2 = realloc(lines, ncap * sizeof(*nl2));
			if (!nl2) {
				p->cur = &pl;
				free(lines);
				return imp_error(p, "out of memory");
			}
			lines = nl2;
			cap = ncap;
		}
		lines[nr++] = pl;
		off += n + 1;
	}
	if (p->nr_out_of_order)
		qsort(lines, nr, sizeof(*lines), cmp_line);
	*out = lines;
	*nr_out = nr;
	return 0;
}

/* tid -> pid of every thread seen, so that FORK can tell threads from processes. */
static int map_threads(struct perf_imp *p, const struct pe_line *lines, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		uint64_t key = lines[i].tid;
		struct u64_ent *e;
		HASH_FIND(hh, p->tidpid, &key, sizeof(key), e);
		if (e)
			continue;
		e = calloc(1, sizeof(*e));
		if (!e)
			return trace_error_set(p->err, p->name, TRACE_NO_EVENT, lines[i].off,
					       "out of memory");
		e->key = key;
		e->val = lines[i].pid;
		HASH_ADD(hh, p->tidpid, key, sizeof(e->key), e);
	}
	return 0;
}

/* ---------------------------------------------------------------- metadata, summary */

static int add_meta(struct perf_imp *p, const char *key, uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	if (p->w && trace_writer_add_meta(p->w, key, buf)) {
		*p->err = *trace_writer_error(p->w);
		return -1;
	}
	return 0;
}

static int write_trailer_meta(struct perf_imp *p)
{
	struct sys_ent *e, *tmp;
	HASH_ITER(hh, p->sys, e, tmp)
		if (e->sys != SC_NONE)
			p->nr_sys_enter_unpaired++;     /* still open at the end */
	const struct { const char *key; uint64_t v; } m[] = {
		{ "kernel.extfrag_events", p->nr_extfrag },
		{ "kernel.extfrag_steal", p->nr_extfrag_steal },
		{ "kernel.extfrag_fragmenting", p->nr_extfrag_fragmenting },
		{ "kernel.page_alloc_failed", p->nr_page_alloc_failed },
		{ "import.lines", p->nr_lines },
		{ "import.events_written", p->nr_written },
		{ "import.skipped_lines", p->nr_skipped_lines },
		{ "import.unknown_events", p->nr_unknown_events },
		{ "import.unknown_gfp_names", p->nr_unknown_gfp },
		{ "import.out_of_order_lines", p->nr_out_of_order },
		{ "import.before_origin", p->nr_before_origin },
		{ "import.free_unknown_object", p->nr_obj_free_unknown },
		{ "import.free_unknown_page", p->nr_page_free_unknown },
		{ "import.free_null", p->nr_null_free },
		{ "import.implicit_free_object", p->nr_implicit_obj_free },
		{ "import.implicit_free_page", p->nr_implicit_page_free },
		{ "import.page_free_order_mismatch", p->nr_order_mismatch },
		{ "import.object_alloc_failed", p->nr_obj_alloc_failed },
		{ "import.sys_enter_unpaired", p->nr_sys_enter_unpaired },
		{ "import.sys_exit_unpaired", p->nr_sys_exit_unpaired },
	};
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (add_meta(p, m[i].key, m[i].v))
			return -1;
	if (p->nr_unknown_names && p->w) {
		char list[TRACE_MAX_STRING] = "";
		size_t used = 0;
		for (size_t i = 0; i < p->nr_unknown_names && used < sizeof(list) - 100; i++)
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s:%" PRIu64,
						 i ? "," : "", p->unknown[i].name, p->unknown[i].count);
		if (trace_writer_add_meta(p->w, "import.unknown_event_names", list)) {
			*p->err = *trace_writer_error(p->w);
			return -1;
		}
	}
	return 0;
}

static void print_summary(const struct perf_imp *p, FILE *f)
{
	fprintf(f, "%s: %" PRIu64 " events from %" PRIu64 " lines", p->name, p->nr_written,
		p->nr_lines);
	const struct { const char *what; uint64_t v; } s[] = {
		{ "unknown events skipped", p->nr_unknown_events },
		{ "other lines skipped", p->nr_skipped_lines },
		{ "frees of objects allocated before the recording", p->nr_obj_free_unknown },
		{ "frees of pages allocated before the recording", p->nr_page_free_unknown },
		{ "implicit object frees (address reused)", p->nr_implicit_obj_free },
		{ "implicit page frees (pfn reused)", p->nr_implicit_page_free },
		{ "unknown gfp names", p->nr_unknown_gfp },
		{ "syscall enters without exit", p->nr_sys_enter_unpaired },
		{ "syscall exits without enter", p->nr_sys_exit_unpaired },
		{ "lines out of time order (sorted)", p->nr_out_of_order },
	};
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (s[i].v)
			fprintf(f, "; %" PRIu64 " %s", s[i].v, s[i].what);
	fputc('\n', f);
	for (size_t i = 0; i < p->nr_unknown_names; i++)
		fprintf(f, "  skipped %" PRIu64 " %s\n", p->unknown[i].count, p->unknown[i].name);
}

static void imp_free(struct perf_imp *p)
{
	struct obj_ent *o, *ot;
	struct page_ent *g, *gt;
	struct name_ent *c, *ct;
	struct u64_ent *u, *ut;
	struct sys_ent *s, *st;
	HASH_ITER(hh, p->objs, o, ot) {
		HASH_DEL(p->objs, o);
		free(o);
	}
	HASH_ITER(hh, p->pages, g, gt) {
		HASH_DEL(p->pages, g);
		free(g);
	}
	HASH_ITER(hh, p->caches, c, ct) {
		HASH_DEL(p->caches, c);
		free(c->name);
		free(c);
	}
	HASH_ITER(hh, p->files, u, ut) {
		HASH_DEL(p->files, u);
		free(u);
	}
	HASH_ITER(hh, p->tidpid, u, ut) {
		HASH_DEL(p->tidpid, u);
		free(u);
	}
	HASH_ITER(hh, p->sys, s, st) {
		HASH_DEL(p->sys, s);
		free(s);
	}
	free(p->obj_ids.free);
	free(p->page_ids.free);
}

int perf_import_mem(const char *buf, size_t len, const char *name,
		    const char *out_path, const perf_import_opts_t *opts,
		    trace_error_t *err)
{
	static const perf_import_opts_t no_opts;
	struct perf_imp *p = calloc(1, sizeof(*p));
	struct pe_line *lines = NULL;
	size_t nr = 0;
	int rc = -1;
	if (!opts)
		opts = &no_opts;
	if (!p)
		return trace_error_set(err, name, TRACE_NO_EVENT, 0, "out of memory");
	p->name = name;
	p->buf = buf;
	p->len = len;
	p->err = err;
	if (scan_lines(p, &lines, &nr) || map_threads(p, lines, nr))
		goto out;
	p->origin = opts->origin_ns ? opts->origin_ns : nr ? lines[0].t : 0;
	for (size_t i = 0; i < nr && lines[i].t < p->origin; i++)
		p->nr_before_origin++;
	if (out_path) {
		char origin[24];
		trace_meta_t meta[TRACE_MAX_META];
		size_t nr_meta = 0;
		snprintf(origin, sizeof(origin), "%" PRIu64, p->origin);
		meta[nr_meta++] = (trace_meta_t){ "source", "perf" };
		meta[nr_meta++] = (trace_meta_t){ "import.format", "perf-script" };
		meta[nr_meta++] = (trace_meta_t){ "clock_monotonic_origin_ns", origin };
		for (size_t i = 0; i < opts->nr_meta && nr_meta < TRACE_MAX_META; i++)
			meta[nr_meta++] = opts->meta[i];
		p->w = trace_writer_open(out_path, meta, nr_meta, opts->writer, err);
		if (!p->w)
			goto out;
	}
	for (size_t i = 0; i < nr; i++)
		if (decode_line(p, &lines[i]))
			goto out;
	if (write_trailer_meta(p))
		goto out;
	if (p->w) {
		trace_writer_t *w = p->w;
		p->w = NULL;
		if (trace_writer_close(w, err))
			goto out;
	}
	if (opts->summary)
		print_summary(p, opts->summary);
	rc = 0;
out:
	if (p->w)
		trace_writer_abort(p->w);
	free(lines);
	imp_free(p);
	free(p);
	return rc;
}

int perf_import(const char *in_path, const char *out_path,
		const perf_import_opts_t *opts, trace_error_t *err)
{
	char *buf;
	size_t len;

	if (trace_read_input(in_path, &buf, &len, err))
		return -1;
	int rc = perf_import_mem(buf, len, in_path, out_path, opts, err);
	free(buf);
	return rc;
}
