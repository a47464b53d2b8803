/*
 * test_generate.c - unit tests of the synthetic generators
 * (workloads/generate.c) and of the project PRNG (engine/prng.h).
 *
 * Every generator is run into a temporary directory and its trace read back
 * through a small independent model (check_trace()): ids, page blocks, CMA
 * allocations and mappings must be used only while live and all be gone at
 * the end, id spaces must be dense, timestamps must not decrease, accesses
 * must land in writable mappings, and the trailer's proc.<pid>.minflt must
 * equal the faults a 4 KiB-page kernel without THP would take.
 */
#include <criterion/criterion.h>

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/prng.h"
#include "workloads/generate.h"

/* ---------------------------------------------------------------- fixture */

static char tmpdir[64];

static void setup(void)
{
	strcpy(tmpdir, "/tmp/mmbench-gen-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir), "mkdtemp failed");
}

static void teardown(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	char path[512];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(tmpdir);
}

/* A generator that loops must fail, not hang (generous for ASan builds). */
TestSuite(generate, .init = setup, .fini = teardown, .timeout = 120);

/* Generate name/seed/scale into the temporary directory; path gets the file. */
static void gen(const char *name, uint64_t seed, uint32_t scale, char *path,
		size_t len)
{
	trace_error_t err;
	char msg[512];

	snprintf(path, len, "%s/%s-%" PRIu64 "-%" PRIu32 ".mmt", tmpdir, name, seed, scale);
	int rc = generate_trace(name, seed, scale, path, &err);
	cr_assert_eq(rc, 0, "generate %s seed %" PRIu64 " scale %" PRIu32 ": %s", name,
		     seed, scale, rc ? trace_error_format(&err, msg, sizeof(msg)) : "");
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	cr_assert_gt(n, 0);
	rewind(f);
	uint8_t *buf = malloc((size_t)n);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static bool same_file(const char *a, const char *b)
{
	size_t la, lb;
	uint8_t *x = slurp(a, &la), *y = slurp(b, &lb);
	bool same = la == lb && !memcmp(x, y, la);

	free(x);
	free(y);
	return same;
}

/* ---------------------------------------------------------------- model */

#define MAX_PROCS	512
#define MAX_VMAS	8
#define MAX_THREADS	8
#define PAGE_SZ		4096ull

typedef struct vma {
	uint64_t start, end;    /* bytes */
	uint32_t prot;
	uint8_t *writable;      /* by page: present and writable (no fault on store) */
} vma_t;

typedef struct mm {
	uint32_t pid;
	bool exited;
	vma_t vma[MAX_VMAS];
	int nr_vma;
	uint32_t threads[MAX_THREADS];  /* live tids other than pid */
	int nr_threads;
	bool brk_known;
	uint64_t start_brk, brk;
	uint64_t minflt;        /* faults of a 4 KiB-page, no-THP kernel */
	uint64_t nr_access;
} mm_t;

/* What a trace contained, for the per-generator assertions. */
typedef struct stats {
	uint64_t nr_events;
	uint64_t by_type[TRACE_NR_TYPES];
	uint64_t last_ts;
	uint32_t nr_procs;
	uint32_t nr_cpus_used;          /* 1 + highest cpu */
	uint32_t peak_objects, peak_blocks, peak_cma;   /* live ids at once */
	uint64_t peak_pages;            /* live 2^order pages at once */
	uint64_t peak_cma_pages;
	uint32_t orders_seen;           /* bit per PAGE_ALLOC order */
	uint32_t migratetypes_seen;     /* bit per PAGE_ALLOC migratetype */
	uint64_t cma_min, cma_max;      /* CMA_ALLOC counts, pages */
	unsigned cma_max_align;
	uint64_t nr_thread_forks;
	uint64_t nr_warmup_marks;
	uint64_t minflt_total;          /* model, all processes */
	uint64_t mmap_min, brk_min;     /* lowest mmap result, start_brk */
} stats_t;

typedef struct model {
	mm_t mm[MAX_PROCS];
	uint32_t nr_mm;
	uint8_t *obj_live;
	int16_t *block_order;           /* -1 = free */
	uint64_t *cma_count;            /* 0 = free */
	uint32_t live_objects, live_blocks, live_cma;
	uint64_t live_pages, live_cma_pages;
} model_t;

static mm_t *mm_find(model_t *m, uint32_t pid)
{
	for (uint32_t i = 0; i < m->nr_mm; i++)
		if (m->mm[i].pid == pid)
			return &m->mm[i];
	return NULL;
}

static mm_t *mm_new(model_t *m, uint32_t pid)
{
	cr_assert_lt(m->nr_mm, MAX_PROCS);
	mm_t *mm = &m->mm[m->nr_mm++];
	*mm = (mm_t){ .pid = pid };
	return mm;
}

static void vma_drop_all(mm_t *mm)
{
	for (int i = 0; i < mm->nr_vma; i++)
		free(mm->vma[i].writable);
	mm->nr_vma = 0;
}

static vma_t *vma_find(mm_t *mm, uint64_t addr)
{
	for (int i = 0; i < mm->nr_vma; i++)
		if (addr >= mm->vma[i].start && addr < mm->vma[i].end)
			return &mm->vma[i];
	return NULL;
}

static unsigned gfp_migratetype(uint32_t gfp)
{
	return (gfp & 0x18u) >> 3;      /* __GFP_MOVABLE | __GFP_RECLAIMABLE */
}

static uint64_t meta_u64(trace_reader_t *r, const char *key)
{
	const char *v = trace_meta_get(r, key);
	cr_assert_not_null(v, "metadata %s missing", key);
	return strtoull(v, NULL, 10);
}

/* Check one event against the model (idx for messages). */
static void model_event(model_t *m, stats_t *st, const trace_event_t *ev, uint64_t idx)
{
	mm_t *mm = mm_find(m, ev->pid);

	if (!mm)
		mm = mm_new(m, ev->pid);        /* a process that predates the trace */
	cr_assert(!mm->exited, "event %" PRIu64 ": pid %u after its exit", idx, ev->pid);
	if (ev->tid != ev->pid) {
		bool known = false;
		for (int i = 0; i < mm->nr_threads; i++)
			known |= mm->threads[i] == ev->tid;
		cr_assert(known, "event %" PRIu64 ": unknown thread %u", idx, ev->tid);
	}
	if (ev->cpu + 1 > st->nr_cpus_used)
		st->nr_cpus_used = ev->cpu + 1;

	switch (ev->type) {
	case TRACE_ALLOC:
		cr_assert(!m->obj_live[ev->alloc.id], "event %" PRIu64 ": object %u allocated twice",
			  idx, ev->alloc.id);
		cr_assert_gt(ev->alloc.size, 0);
		m->obj_live[ev->alloc.id] = 1;
		if (++m->live_objects > st->peak_objects)
			st->peak_objects = m->live_objects;
		break;
	case TRACE_FREE:
		cr_assert(m->obj_live[ev->free.id], "event %" PRIu64 ": free of dead object %u",
			  idx, ev->free.id);
		m->obj_live[ev->free.id] = 0;
		m->live_objects--;
		break;
	case TRACE_REALLOC:
		cr_assert(m->obj_live[ev->realloc.old_id], "event %" PRIu64 ": realloc of dead object",
			  idx);
		if (ev->realloc.new_id != ev->realloc.old_id) {
			cr_assert(!m->obj_live[ev->realloc.new_id]);
			m->obj_live[ev->realloc.old_id] = 0;
			m->obj_live[ev->realloc.new_id] = 1;
		}
		break;
	case TRACE_PAGE_ALLOC:
		cr_assert_eq(m->block_order[ev->page_alloc.page], -1,
			     "event %" PRIu64 ": page block %u allocated twice", idx,
			     ev->page_alloc.page);
		cr_assert_leq(ev->page_alloc.order, 10);
		cr_assert_eq(ev->page_alloc.migratetype, gfp_migratetype(ev->page_alloc.gfp),
			     "event %" PRIu64 ": migratetype does not match gfp %#x", idx,
			     ev->page_alloc.gfp);
		m->block_order[ev->page_alloc.page] = ev->page_alloc.order;
		m->live_pages += 1ull << ev->page_alloc.order;
		if (m->live_pages > st->peak_pages)
			st->peak_pages = m->live_pages;
		if (++m->live_blocks > st->peak_blocks)
			st->peak_blocks = m->live_blocks;
		st->orders_seen |= 1u << ev->page_alloc.order;
		st->migratetypes_seen |= 1u << ev->page_alloc.migratetype;
		break;
	case TRACE_PAGE_FREE:
		cr_assert_eq(m->block_order[ev->page_free.page], ev->page_free.order,
			     "event %" PRIu64 ": page block %u freed with order %u, allocated %d",
			     idx, ev->page_free.page, ev->page_free.order,
			     m->block_order[ev->page_free.page]);
		m->block_order[ev->page_free.page] = -1;
		m->live_pages -= 1ull << ev->page_free.order;
		m->live_blocks--;
		break;
	case TRACE_MMAP: {
		cr_assert_eq(ev->mmap.err, 0);
		cr_assert_eq(ev->mmap.flags, 0x22u, "MAP_PRIVATE|MAP_ANONYMOUS");
		cr_assert_eq(ev->mmap.prot, 0x3u, "PROT_READ|PROT_WRITE");
		cr_assert_eq(ev->mmap.file, TRACE_NO_ID);
		uint64_t start = ev->mmap.result, end = start + ev->mmap.len;
		cr_assert_eq(start % PAGE_SZ, 0);
		cr_assert_eq(ev->mmap.len % PAGE_SZ, 0);
		cr_assert_lt(mm->nr_vma, MAX_VMAS);
		for (int i = 0; i < mm->nr_vma; i++)
			cr_assert(end <= mm->vma[i].start || start >= mm->vma[i].end,
				  "event %" PRIu64 ": mmap overlaps a mapping", idx);
		if (!st->mmap_min || start < st->mmap_min)
			st->mmap_min = start;
		mm->vma[mm->nr_vma++] = (vma_t){
			.start = start, .end = end, .prot = ev->mmap.prot,
			.writable = calloc(ev->mmap.len / PAGE_SZ, 1),
		};
		break;
	}
	case TRACE_MUNMAP: {
		int i;
		cr_assert_eq(ev->munmap.err, 0);
		for (i = 0; i < mm->nr_vma; i++)
			if (mm->vma[i].start == ev->munmap.addr &&
			    mm->vma[i].end == ev->munmap.addr + ev->munmap.len)
				break;
		cr_assert_lt(i, mm->nr_vma, "event %" PRIu64 ": munmap of %#" PRIx64
			     "+%" PRIu64 " which is not a mapping of pid %u", idx,
			     ev->munmap.addr, ev->munmap.len, ev->pid);
		free(mm->vma[i].writable);
		mm->vma[i] = mm->vma[--mm->nr_vma];
		break;
	}
	case TRACE_BRK:
		if (ev->brk.request == 0) {
			if (mm->brk_known)
				cr_assert_eq(ev->brk.result, mm->brk);
			else
				mm->start_brk = ev->brk.result;
		} else {
			cr_assert(mm->brk_known, "brk moved before the first query");
			cr_assert_eq(ev->brk.result, ev->brk.request);
			cr_assert_geq(ev->brk.request, mm->start_brk);
		}
		if (!mm->brk_known && (!st->brk_min || ev->brk.result < st->brk_min))
			st->brk_min = ev->brk.result;
		mm->brk_known = true;
		mm->brk = ev->brk.result;
		break;
	case TRACE_FAULT:
		cr_assert_fail("event %" PRIu64 ": generators must not write FAULT events", idx);
		break;
	case TRACE_ACCESS: {
		vma_t *v = vma_find(mm, ev->access.addr);
		cr_assert_not_null(v, "event %" PRIu64 ": access to %#" PRIx64
				   " outside any mapping of pid %u", idx, ev->access.addr, ev->pid);
		cr_assert(ev->access.flags & TRACE_FAULT_USER);
		cr_assert(ev->access.flags & TRACE_FAULT_WRITE, "generators only store");
		cr_assert(v->prot & 0x2u, "store to a mapping without PROT_WRITE");
		uint64_t pg = (ev->access.addr - v->start) / PAGE_SZ;
		if (!v->writable[pg]) {
			v->writable[pg] = 1;
			mm->minflt++;
		}
		mm->nr_access++;
		break;
	}
	case TRACE_FORK:
		if (ev->fork.flags & TRACE_FORK_THREAD) {
			cr_assert_lt(mm->nr_threads, MAX_THREADS);
			mm->threads[mm->nr_threads++] = ev->fork.child;
			st->nr_thread_forks++;
		} else {
			cr_assert_null(mm_find(m, ev->fork.child), "pid %u forked twice",
				       ev->fork.child);
			mm_t *child = mm_new(m, ev->fork.child);
			child->brk_known = mm->brk_known;
			child->start_brk = mm->start_brk;
			child->brk = mm->brk;
			/* Both sides' present pages become write-protected (COW). */
			for (int i = 0; i < mm->nr_vma; i++) {
				vma_t *v = &mm->vma[i];
				size_t n = (v->end - v->start) / PAGE_SZ;
				child->vma[i] = *v;
				child->vma[i].writable = calloc(n, 1);
				memset(v->writable, 0, n);
			}
			child->nr_vma = mm->nr_vma;
		}
		break;
	case TRACE_EXIT:
		if (ev->exit.flags & TRACE_EXIT_THREAD) {
			int i;
			for (i = 0; i < mm->nr_threads; i++)
				if (mm->threads[i] == ev->tid)
					break;
			cr_assert_lt(i, mm->nr_threads, "thread exit of the main thread");
			mm->threads[i] = mm->threads[--mm->nr_threads];
		} else {
			cr_assert_eq(ev->tid, ev->pid);
			cr_assert_eq(mm->nr_threads, 0, "process exits with threads left");
			vma_drop_all(mm);
			mm->exited = true;
		}
		break;
	case TRACE_CMA_ALLOC:
		cr_assert_eq(m->cma_count[ev->cma.id], 0, "cma id %u allocated twice", ev->cma.id);
		cr_assert_eq(ev->cma.err, 0);
		cr_assert_eq(ev->cma.area, 0);
		cr_assert_gt(ev->cma.count, 0);
		m->cma_count[ev->cma.id] = ev->cma.count;
		m->live_cma_pages += ev->cma.count;
		if (m->live_cma_pages > st->peak_cma_pages)
			st->peak_cma_pages = m->live_cma_pages;
		if (++m->live_cma > st->peak_cma)
			st->peak_cma = m->live_cma;
		if (!st->cma_min || ev->cma.count < st->cma_min)
			st->cma_min = ev->cma.count;
		if (ev->cma.count > st->cma_max)
			st->cma_max = ev->cma.count;
		if (ev->cma.align > st->cma_max_align)
			st->cma_max_align = ev->cma.align;
		break;
	case TRACE_CMA_RELEASE:
		cr_assert_eq(m->cma_count[ev->cma.id], ev->cma.count,
			     "cma release of id %u with a different count", ev->cma.id);
		m->cma_count[ev->cma.id] = 0;
		m->live_cma_pages -= ev->cma.count;
		m->live_cma--;
		break;
	case TRACE_MARK:
		if (idx == 0)
			cr_assert(ev->mark.name_len == 5 && !memcmp(ev->mark.name, "start", 5),
				  "the first event is MARK start");
		if (ev->mark.name_len == 10 && !memcmp(ev->mark.name, "warmup-end", 10))
			st->nr_warmup_marks++;
		break;
	default:
		break;
	}
}

/* Read path back through the model and assert the trace-wide invariants. */
static stats_t check_trace(const char *path, const char *name)
{
	trace_error_t err;
	char msg[512];
	trace_reader_t *r = trace_open(path, &err);
	cr_assert_not_null(r, "%s", trace_error_format(&err, msg, sizeof(msg)));
	const trace_summary_t *sum = trace_summary(r);
	model_t *m = calloc(1, sizeof(*m));
	stats_t st = { 0 };
	trace_event_t ev;
	int rc;

	cr_assert_not_null(m);
	m->obj_live = calloc(sum->bounds.nr_objects + 1, 1);
	m->block_order = malloc((sum->bounds.nr_pages + 1) * sizeof(int16_t));
	m->cma_count = calloc(sum->bounds.nr_cma + 1, sizeof(uint64_t));
	for (uint32_t i = 0; i <= sum->bounds.nr_pages; i++)
		m->block_order[i] = -1;

	cr_assert_str_eq(trace_meta_get(r, "source"), "synthetic");
	cr_assert_str_eq(trace_meta_get(r, "generator"), name);
	cr_assert_str_eq(trace_meta_get(r, "page_size"), "4096");
	cr_assert_str_eq(trace_meta_get(r, "arch"), "x86_64");
	uint64_t nr_cpus = meta_u64(r, "nr_cpus");
	uint64_t mem_pages = meta_u64(r, "mem_total_kb") / 4;
	uint64_t seed = meta_u64(r, "seed"), scale = meta_u64(r, "scale");
	snprintf(msg, sizeof(msg), "mmbench generate %s --seed %" PRIu64 " --scale %" PRIu64,
		 name, seed, scale);
	cr_assert_str_eq(trace_meta_get(r, "cmdline"), msg);

	while ((rc = trace_next(r, &ev)) == 1) {
		cr_assert_geq(ev.ts, st.last_ts, "event %" PRIu64 ": time goes back", st.nr_events);
		st.last_ts = ev.ts;
		cr_assert_lt(ev.cpu, nr_cpus);
		st.by_type[ev.type]++;
		model_event(m, &st, &ev, st.nr_events);
		st.nr_events++;
	}
	cr_assert_eq(rc, 0, "%s", trace_error_format(trace_reader_error(r), msg, sizeof(msg)));
	cr_assert_eq(st.nr_events, sum->nr_events);

	/* Nothing left live; every process has exited. */
	cr_assert_eq(m->live_objects, 0, "objects left live");
	cr_assert_eq(m->live_blocks, 0, "page blocks left live");
	cr_assert_eq(m->live_cma, 0, "CMA allocations left live");
	for (uint32_t i = 0; i < m->nr_mm; i++) {
		cr_assert(m->mm[i].exited, "pid %u never exits", m->mm[i].pid);
		if (m->mm[i].brk_known)
			cr_assert_eq(m->mm[i].brk, m->mm[i].start_brk, "heap not shrunk back");
	}
	/* Dense ids: the id spaces are exactly the peak live counts. */
	cr_assert_eq(sum->bounds.nr_objects, st.peak_objects);
	cr_assert_eq(sum->bounds.nr_pages, st.peak_blocks);
	cr_assert_eq(sum->bounds.nr_cma, st.peak_cma);
	/* The simulated machine holds what is live. */
	cr_assert_leq(st.peak_pages, mem_pages);
	if (st.by_type[TRACE_CMA_ALLOC])
		cr_assert_leq(st.peak_cma_pages, meta_u64(r, "cma_total_kb") / 4);
	cr_assert_eq(st.nr_warmup_marks, 1, "one warmup-end mark");

	/* Trailer minflt claims agree with the model. */
	st.nr_procs = m->nr_mm;
	for (uint32_t i = 0; i < m->nr_mm; i++) {
		char key[40];
		snprintf(key, sizeof(key), "proc.%u.minflt", m->mm[i].pid);
		const char *v = trace_meta_get(r, key);
		if (v)
			cr_assert_eq(strtoull(v, NULL, 10), m->mm[i].minflt,
				     "%s: trailer %s, model %" PRIu64, key, v, m->mm[i].minflt);
		st.minflt_total += m->mm[i].minflt;
		vma_drop_all(&m->mm[i]);
	}
	if (trace_meta_get(r, "minflt_model"))
		cr_assert_eq(meta_u64(r, "minflt_total"), st.minflt_total);

	free(m->obj_live);
	free(m->block_order);
	free(m->cma_count);
	free(m);
	trace_close(r);
	return st;
}

/*
 * The properties every generator has: deterministic in (seed, scale),
 * seed-dependent, a valid trace, more work at scale 2.  Returns the stats of
 * seed 1, scale 1 and, in *st2, of scale 2.
 */
static stats_t check_generator(const char *name, stats_t *st2)
{
	char a[256], b[256], c[256], d[256];

	gen(name, 1, 1, a, sizeof(a));
	/* same inputs, other file name: must be byte-identical */
	snprintf(b, sizeof(b), "%s/again-%s.mmt", tmpdir, name);
	trace_error_t err;
	cr_assert_eq(generate_trace(name, 1, 1, b, &err), 0);
	cr_assert(same_file(a, b), "%s: same seed gave different files", name);
	gen(name, 2, 1, c, sizeof(c));
	cr_assert(!same_file(a, c), "%s: seeds 1 and 2 gave the same file", name);
	gen(name, 1, 2, d, sizeof(d));

	stats_t st = check_trace(a, name);
	check_trace(c, name);
	*st2 = check_trace(d, name);
	cr_assert_gt(st2->nr_events, st.nr_events, "%s: scale 2 is not more work", name);
	cr_assert_geq(st.nr_events, 100000, "%s: scale 1 is 10^5..10^6 events", name);
	cr_assert_leq(st.nr_events, 1000000, "%s: scale 1 is 10^5..10^6 events", name);
	return st;
}

/* User-space layout: mmap area at 0x7e../0x7f.., brk heap at 0x55../0x56.. */
static void check_layout(const stats_t *st)
{
	if (st->mmap_min) {
		cr_assert_geq(st->mmap_min, 0x7e0000000000ull);
		cr_assert_lt(st->mmap_min, 0x7fffffffffffull);
	}
	if (st->brk_min) {
		cr_assert_geq(st->brk_min, 0x555555554000ull);
		cr_assert_lt(st->brk_min, 0x570000000000ull);
	}
}

/* ---------------------------------------------------------------- tests */

Test(generate, registry)
{
	static const char *const expect[] = { "page_fault1", "brk1", "mmap1", "malloc1",
					      "malloc2", "fork_cow", "frag", "cma_churn" };
	size_t nr = 0;
	const generator_t *g = generators(&nr);

	cr_assert_eq(nr, sizeof(expect) / sizeof(expect[0]));
	for (size_t i = 0; i < nr; i++) {
		cr_assert_str_eq(g[i].name, expect[i]);
		cr_assert_not_null(g[i].summary);
		cr_assert_gt(strlen(g[i].summary), 10);
	}
}

Test(generate, unknown_name_is_minus_2)
{
	char path[256];
	trace_error_t err;

	snprintf(path, sizeof(path), "%s/none.mmt", tmpdir);
	cr_assert_eq(generate_trace("no_such_generator", 1, 1, path, &err), -2);
	cr_assert_neq(access(path, F_OK), 0, "no file for an unknown generator");
	cr_assert_eq(generate_trace("", 1, 1, path, &err), -2);
	cr_assert_eq(generate_trace("PAGE_FAULT1", 1, 1, path, &err), -2);
}

Test(generate, bad_scale_and_path)
{
	char path[256];
	trace_error_t err;

	snprintf(path, sizeof(path), "%s/zero.mmt", tmpdir);
	cr_assert_eq(generate_trace("malloc1", 1, 0, path, &err), -1);
	cr_assert_neq(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/missing-dir/x.mmt", tmpdir);
	cr_assert_eq(generate_trace("malloc1", 1, 1, path, &err), -1);
	cr_assert_neq(err.reason[0], '\0');
}

Test(generate, page_fault1)
{
	stats_t s2, s = check_generator("page_fault1", &s2);

	/* 2 tasks x 4 iterations x 32768 pages of 128 MiB */
	cr_assert_eq(s.by_type[TRACE_ACCESS], 2 * 4 * 32768);
	cr_assert_eq(s.by_type[TRACE_MMAP], 8);
	cr_assert_eq(s.by_type[TRACE_MUNMAP], 8);
	cr_assert_eq(s.by_type[TRACE_FORK], 2);
	cr_assert_eq(s.by_type[TRACE_EXIT], 3);
	cr_assert_eq(s.by_type[TRACE_FAULT], 0);
	cr_assert_eq(s.nr_cpus_used, 2);
	cr_assert_eq(s.minflt_total, 2 * 4 * 32768, "every store is a first touch");
	cr_assert_eq(s2.by_type[TRACE_ACCESS], 2 * 8 * 32768);
	check_layout(&s);
}

Test(generate, brk1)
{
	stats_t s2, s = check_generator("brk1", &s2);

	cr_assert_eq(s.by_type[TRACE_BRK], 1 + 2 * 100000);
	cr_assert_eq(s2.by_type[TRACE_BRK], 1 + 2 * 200000);
	cr_assert_eq(s.by_type[TRACE_EXIT], 1);
	cr_assert_neq(s.brk_min, 0);
	check_layout(&s);
}

Test(generate, mmap1)
{
	stats_t s2, s = check_generator("mmap1", &s2);

	cr_assert_eq(s.by_type[TRACE_MMAP], 100000);
	cr_assert_eq(s.by_type[TRACE_MUNMAP], 100000);
	cr_assert_eq(s.by_type[TRACE_ACCESS], 0, "mmap1 touches nothing");
	cr_assert_eq(s2.by_type[TRACE_MMAP], 200000);
	cr_assert_neq(s.mmap_min, 0);
	check_layout(&s);
}

Test(generate, malloc1)
{
	stats_t s2, s = check_generator("malloc1", &s2);

	cr_assert_eq(s.by_type[TRACE_ALLOC], 150000);
	cr_assert_eq(s.by_type[TRACE_FREE], 150000);
	cr_assert_eq(s.peak_objects, 1, "one live object, id reused");
	cr_assert_eq(s2.by_type[TRACE_ALLOC], 300000);
	cr_assert_eq(s2.peak_objects, 1);
}

Test(generate, malloc2)
{
	stats_t s2, s = check_generator("malloc2", &s2);

	cr_assert_eq(s.by_type[TRACE_ALLOC], s.by_type[TRACE_FREE]);
	cr_assert_gt(s.by_type[TRACE_REALLOC], 1000);
	cr_assert_eq(s.nr_thread_forks, 1);
	cr_assert_eq(s.by_type[TRACE_EXIT], 2, "worker thread and process");
	cr_assert_eq(s.nr_cpus_used, 2);
	cr_assert_gt(s.peak_objects, 5000, "a heap of many live objects");
	cr_assert_lt(s.peak_objects, s.by_type[TRACE_ALLOC] / 2, "ids are reused");
	cr_assert_gt(s2.by_type[TRACE_ALLOC], s.by_type[TRACE_ALLOC]);
}

Test(generate, fork_cow)
{
	stats_t s2, s = check_generator("fork_cow", &s2);
	const uint64_t pages = 16384;   /* 64 MiB */

	cr_assert_eq(s.by_type[TRACE_FORK], 16);
	cr_assert_eq(s.by_type[TRACE_EXIT], 17);
	cr_assert_eq(s.nr_procs, 17);
	/* first touch, then per fork: child writes half, parent a quarter */
	cr_assert_eq(s.by_type[TRACE_ACCESS], pages + 16 * (pages / 2 + pages / 4));
	cr_assert_eq(s.minflt_total, s.by_type[TRACE_ACCESS],
		     "every store is a first touch or a first write after fork");
	cr_assert_eq(s2.by_type[TRACE_FORK], 32);
	check_layout(&s);
}

/* 80 children: per-process minflt pairs stop at 64, minflt_total covers all. */
Test(generate, fork_cow_many_processes)
{
	char path[256];
	trace_error_t err;

	gen("fork_cow", 3, 5, path, sizeof(path));
	stats_t s = check_trace(path, "fork_cow");
	cr_assert_eq(s.nr_procs, 81);

	trace_reader_t *r = trace_open(path, &err);
	cr_assert_not_null(r);
	size_t nr_proc_keys = 0;
	for (size_t i = 0; i < trace_nr_meta(r); i++)
		nr_proc_keys += !strncmp(trace_meta(r, i)->key, "proc.", 5);
	cr_assert_eq(nr_proc_keys, 64);
	cr_assert_eq(meta_u64(r, "minflt_total"), s.minflt_total);
	cr_assert_eq(s.minflt_total, 16384 + 80 * (8192 + 4096));
	trace_close(r);
}

Test(generate, frag)
{
	stats_t s2, s = check_generator("frag", &s2);

	cr_assert_eq(s.by_type[TRACE_PAGE_ALLOC], s.by_type[TRACE_PAGE_FREE]);
	/* orders 0..4 and some order-9 attempts */
	cr_assert_eq(s.orders_seen & 0x1f, 0x1f);
	cr_assert(s.orders_seen & (1u << 9), "a few order-9 attempts");
	cr_assert_eq(s.orders_seen & ~(0x1fu | (1u << 9)), 0);
	/* unmovable, movable and reclaimable requests */
	cr_assert_eq(s.migratetypes_seen, 0x7);
	cr_assert_eq(s.nr_cpus_used, 4);
	cr_assert_gt(s.peak_pages, 262144 / 2, "fills more than half of 1 GiB");
	cr_assert_gt(s2.by_type[TRACE_PAGE_ALLOC], s.by_type[TRACE_PAGE_ALLOC]);
}

Test(generate, cma_churn)
{
	stats_t s2, s = check_generator("cma_churn", &s2);

	cr_assert_gt(s.by_type[TRACE_CMA_ALLOC], 100);
	cr_assert_eq(s.by_type[TRACE_CMA_ALLOC], s.by_type[TRACE_CMA_RELEASE]);
	cr_assert_geq(s.cma_min, 16);
	cr_assert_leq(s.cma_max, 4096);
	cr_assert_gt(s.cma_max, 1024, "some large requests");
	cr_assert_eq(s.cma_max_align, 8, "CONFIG_CMA_ALIGNMENT caps alignment");
	cr_assert(s.migratetypes_seen & (1u << 1), "movable page traffic");
	cr_assert_gt(s.by_type[TRACE_PAGE_ALLOC], 100000);
	cr_assert_gt(s2.by_type[TRACE_CMA_ALLOC], s.by_type[TRACE_CMA_ALLOC]);
}

/* ---------------------------------------------------------------- prng */

Test(prng, reference_stream)
{
	/* splitmix64 from 0 (its published first outputs) fills the state */
	static const uint64_t state0[4] = { 0xe220a8397b1dcdafull, 0x6e789e6aa1b965f4ull,
					    0x06c45d188009454full, 0xf88bb8a8724c81ecull };
	/* xoshiro256** from that state */
	static const uint64_t out0[4] = { 0x99ec5f36cb75f2b4ull, 0xbf6e1f784956452aull,
					  0x1a5f849d4933e6e0ull, 0x6aa594f1262d2d2cull };
	prng_t r;

	prng_seed(&r, 0);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(r.s[i], state0[i], "state word %d", i);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(prng_next(&r), out0[i], "output %d", i);
}

Test(prng, seeds_repeat_and_differ)
{
	prng_t a, b, c;

	prng_seed(&a, 12345);
	prng_seed(&b, 12345);
	prng_seed(&c, 12346);
	int nr_same = 0;
	for (int i = 0; i < 1000; i++) {
		uint64_t x = prng_next(&a);
		cr_assert_eq(x, prng_next(&b));
		nr_same += x == prng_next(&c);
	}
	cr_assert_eq(nr_same, 0);
}

Test(prng, below_is_bounded_and_unbiased)
{
	prng_t r;
	uint64_t counts[10] = { 0 };

	prng_seed(&r, 7);
	cr_assert_eq(prng_below(&r, 0), 0);
	for (int i = 0; i < 1000; i++) {
		cr_assert_eq(prng_below(&r, 1), 0);
		cr_assert_lt(prng_below(&r, 3), 3);
		cr_assert_lt(prng_below(&r, UINT64_MAX), UINT64_MAX);
	}
	for (int i = 0; i < 100000; i++)
		counts[prng_below(&r, 10)]++;
	for (int i = 0; i < 10; i++)    /* 10000 each, sigma ~95 */
		cr_assert(counts[i] > 9500 && counts[i] < 10500, "bucket %d: %" PRIu64,
			  i, counts[i]);

	/*
	 * n = 3 * 2^62: a plain modulo would put half the draws below 2^62
	 * (those values have two preimages); uniform is one third.
	 */
	uint64_t n = 3ull << 62, low = 0;
	for (int i = 0; i < 30000; i++)
		low += prng_below(&r, n) < (1ull << 62);
	cr_assert(low > 9500 && low < 10500, "%" PRIu64 " of 30000 below 2^62", low);
}

Test(prng, range_and_chance)
{
	prng_t r;
	bool seen_lo = false, seen_hi = false;
	int hits = 0;

	prng_seed(&r, 99);
	for (int i = 0; i < 1000; i++) {
		uint64_t x = prng_range(&r, 5, 8);
		cr_assert(x >= 5 && x <= 8);
		seen_lo |= x == 5;
		seen_hi |= x == 8;
		cr_assert(!prng_chance(&r, 0));
		cr_assert(prng_chance(&r, 1000000));
	}
	cr_assert(seen_lo && seen_hi, "both ends of the range");
	for (int i = 0; i < 100000; i++)
		hits += prng_chance(&r, 250000);
	cr_assert(hits > 24000 && hits < 26000, "%d of 100000 at 25 %%", hits);
	(void)prng_range(&r, 0, UINT64_MAX);
}
