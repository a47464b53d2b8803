/*
 * microbench_cases.c - microbenchmark bodies (see microbench_cases.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/hist.h"
#include "bench/microbench_cases.h"
#include "engine/prng.h"
#include "engine/page_alloc.h"
#include "engine/slub.h"
#include "engine/tlb.h"
#include "engine/mm.h"
#include "engine/phys.h"
#include "engine/vmalloc.h"
#include "traces/trace.h"
#include "workloads/generate.h"

static void print_error(const trace_error_t *err)
{
	char buf[768];
	fprintf(stderr, "microbench: %s\n", trace_error_format(err, buf, sizeof(buf)));
}

int mb_trace_make(mb_trace_t *t, const char *generator, uint32_t scale)
{
	char path[] = "/tmp/mmbench-microbench-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0) {
		perror("microbench: mkstemp");
		return -1;
	}
	close(fd);
	trace_error_t err;
	memset(t, 0, sizeof(*t));
	if (generate_trace(generator, 1, scale, path, &err)) {
		print_error(&err);
		unlink(path);
		return -1;
	}
	FILE *f = fopen(path, "rb");
	if (f && !fseek(f, 0, SEEK_END)) {
		long len = ftell(f);
		rewind(f);
		t->buf = len > 0 ? malloc((size_t)len) : NULL;
		if (t->buf && fread(t->buf, 1, (size_t)len, f) == (size_t)len)
			t->len = (size_t)len;
	}
	if (f)
		fclose(f);
	unlink(path);
	if (!t->len) {
		fprintf(stderr, "microbench: cannot load the generated trace\n");
		free(t->buf);
		return -1;
	}
	trace_reader_t *r = trace_open_mem(t->buf, t->len, generator, &err);
	if (!r) {
		print_error(&err);
		return -1;
	}
	t->nr_events = trace_summary(r)->nr_events;
	trace_close(r);
	return 0;
}

void mb_trace_free(mb_trace_t *t)
{
	free(t->buf);
	memset(t, 0, sizeof(*t));
}

uint64_t mb_trace_decode(const mb_trace_t *t)
{
	trace_error_t err;
	trace_reader_t *r = trace_open_mem(t->buf, t->len, "microbench", &err);
	if (!r) {
		print_error(&err);
		return UINT64_MAX;
	}
	static trace_event_t evs[256];
	uint64_t n = 0;
	ssize_t rc;
	while ((rc = trace_next_batch(r, evs, 256)) > 0)
		n += (uint64_t)rc;
	if (rc < 0) {
		print_error(trace_reader_error(r));
		n = UINT64_MAX;
	}
	trace_close(r);
	return n;
}

/* ---------------------------------------------------------------- page allocator */

struct mb_phys {
	phys_t pm;
};

mb_phys_t *mb_phys_make(uint64_t mem_mib, int pcp_enabled)
{
	struct phys_config cfg;
	char err[256];
	mb_phys_t *m = malloc(sizeof(*m));

	if (!m)
		return NULL;
	phys_config_default(&cfg);
	cfg.mem_bytes = mem_mib << 20;
	cfg.pcp_enabled = pcp_enabled;
	if (phys_init(&m->pm, &cfg, err, sizeof(err))) {
		fprintf(stderr, "microbench: %s\n", err);
		free(m);
		return NULL;
	}
	return m;
}

void mb_phys_free(mb_phys_t *m)
{
	if (m) {
		phys_destroy(&m->pm);
		free(m);
	}
}

uint64_t mb_alloc_free_pairs(mb_phys_t *m, unsigned order, uint64_t n)
{
	uint64_t failed = 0;

	for (uint64_t i = 0; i < n; i++) {
		pfn_t pfn = alloc_pages(&m->pm, GFP_KERNEL, order, 0);

		if (pfn == PFN_NONE)
			failed++;
		else
			free_pages(&m->pm, pfn, order, 0);
	}
	return failed;
}

double mb_mem_init(uint64_t mem_mib)
{
	struct phys_config cfg;
	char err[256];
	phys_t pm;
	double bpp;

	phys_config_default(&cfg);
	cfg.mem_bytes = mem_mib << 20;
	if (phys_init(&pm, &cfg, err, sizeof(err))) {
		fprintf(stderr, "microbench: %s\n", err);
		return -1;
	}
	bpp = phys_metadata_bytes_per_page(&pm);
	phys_destroy(&pm);
	return bpp;
}

struct mb_hist {
	hist_t h;               /* the histogram recorded into */
	uint64_t *values;       /* ns, 10 .. 10,000,000 */
	uint64_t nr_values;
};

mb_hist_t *mb_hist_make(uint64_t nr_values)
{
	mb_hist_t *m = calloc(1, sizeof(*m));
	prng_t r;

	if (!m || !(m->values = malloc(nr_values * sizeof(*m->values))) ||
	    hist_init(&m->h, HIST_HIGHEST, HIST_SIGFIGS)) {
		fprintf(stderr, "microbench: out of memory\n");
		mb_hist_free(m);
		return NULL;
	}
	prng_seed(&r, 1);
	for (uint64_t i = 0; i < nr_values; i++) {
		unsigned b = (unsigned)prng_range(&r, 3, 23);   /* [2^b, 2^(b+1)): 8 .. 2^24 */
		uint64_t v = prng_range(&r, 1ull << b, (2ull << b) - 1);

		m->values[i] = v < 10 ? 10 : v > 10000000 ? 10000000 : v;
	}
	m->nr_values = nr_values;
	return m;
}

void mb_hist_free(mb_hist_t *m)
{
	if (!m)
		return;
	hist_destroy(&m->h);
	free(m->values);
	free(m);
}

uint64_t mb_hist_record(mb_hist_t *m)
{
	for (uint64_t i = 0; i < m->nr_values; i++)
		hist_record(&m->h, m->values[i]);
	return hist_count(&m->h);
}

/* ---------------------------------------------------------------- vmalloc */

struct mb_vmalloc {
	phys_t pm;
	vmalloc_t vm;
};

mb_vmalloc_t *mb_vmalloc_make(uint64_t mem_mib)
{
	struct phys_config cfg;
	struct vmalloc_config vcfg;
	char err[256];
	mb_vmalloc_t *m = malloc(sizeof(*m));

	if (!m)
		return NULL;
	phys_config_default(&cfg);
	cfg.mem_bytes = mem_mib << 20;
	vmalloc_config_default(&vcfg);
	if (phys_init(&m->pm, &cfg, err, sizeof(err))) {
		fprintf(stderr, "microbench: %s\n", err);
		free(m);
		return NULL;
	}
	if (vmalloc_init(&m->vm, &m->pm, &vcfg, err, sizeof(err))) {
		fprintf(stderr, "microbench: %s\n", err);
		phys_destroy(&m->pm);
		free(m);
		return NULL;
	}
	return m;
}

void mb_vmalloc_free(mb_vmalloc_t *m)
{
	if (m) {
		vmalloc_destroy(&m->vm);
		phys_destroy(&m->pm);
		free(m);
	}
}

uint64_t mb_vmalloc_vfree_pairs(mb_vmalloc_t *m, uint64_t pages, uint64_t n)
{
	uint64_t failed = 0;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t addr = vmalloc(&m->vm, pages << PAGE_SHIFT, GFP_KERNEL, 0);

		if (!addr)
			failed++;
		else
			vfree(&m->vm, addr, 0);
	}
	return failed;
}

/* ---------------------------------------------------------------- slub */

struct mb_slub {
	phys_t pm;
	slub_t sl;
	struct kmem_cache *cache;       /* bench256 */
	uint64_t *objs;                 /* burst scratch */
	unsigned nr_objs;               /* its capacity */
};

mb_slub_t *mb_slub_make(uint64_t mem_mib)
{
	struct phys_config cfg;
	struct slub_config scfg;
	char err[256];
	mb_slub_t *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	phys_config_default(&cfg);
	cfg.mem_bytes = mem_mib << 20;
	slub_config_default(&scfg);
	if (phys_init(&m->pm, &cfg, err, sizeof(err)) ||
	    slub_init(&m->sl, &m->pm, &scfg, err, sizeof(err)) ||
	    !(m->cache = kmem_cache_create(&m->sl, "bench256", 256, 0, 0))) {
		fprintf(stderr, "microbench: %s\n", err);
		slub_destroy(&m->sl);
		phys_destroy(&m->pm);
		free(m);
		return NULL;
	}
	return m;
}

void mb_slub_free(mb_slub_t *m)
{
	if (m) {
		slub_destroy(&m->sl);
		phys_destroy(&m->pm);
		free(m->objs);
		free(m);
	}
}

uint64_t mb_kmalloc_kfree_pairs(mb_slub_t *m, size_t size, uint64_t n)
{
	uint64_t failed = 0;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t addr = kmalloc(&m->sl, size, GFP_KERNEL, 0);

		if (!addr)
			failed++;
		else
			kfree(&m->sl, addr, 0);
	}
	return failed;
}

/* Room for nr addresses in m->objs; returns false when host memory runs out. */
static bool slub_objs_reserve(mb_slub_t *m, unsigned nr)
{
	if (nr > m->nr_objs) {
		uint64_t *v = realloc(m->objs, nr * sizeof(*v));

		if (!v)
			return false;
		m->objs = v;
		m->nr_objs = nr;
	}
	return true;
}

uint64_t mb_kmalloc_kfree_bulk(mb_slub_t *m, size_t size, unsigned nr)
{
	uint64_t failed = 0;
	unsigned got = 0;

	if (!slub_objs_reserve(m, nr))
		return nr;
	for (unsigned i = 0; i < nr; i++) {
		uint64_t addr = kmalloc(&m->sl, size, GFP_KERNEL, 0);

		if (addr)
			m->objs[got++] = addr;
		else
			failed++;
	}
	for (unsigned i = 0; i < got; i++)
		failed += kfree(&m->sl, m->objs[i], 0) != 0;
	return failed;
}

uint64_t mb_kmem_cache_burst(mb_slub_t *m, unsigned nr)
{
	uint64_t failed = 0;
	unsigned got = 0;

	if (!slub_objs_reserve(m, nr))
		return nr;
	for (unsigned i = 0; i < nr; i++) {
		uint64_t addr = kmem_cache_alloc(&m->sl, m->cache, GFP_KERNEL, 0);

		if (addr)
			m->objs[got++] = addr;
		else
			failed++;
	}
	for (unsigned i = 0; i < got; i++)
		failed += kmem_cache_free(&m->sl, m->cache, m->objs[i], 0) != 0;
	return failed;
}

/* ---------------------------------------------------------------- tlb */

struct mb_tlb {
	phys_t pm;                      /* only its cost counters are used */
	tlb_t tlb;
	uint64_t *va;                   /* [nr_va]: the access order */
	unsigned nr_va;
	unsigned cursor;                /* next index into va */
};

mb_tlb_t *mb_tlb_make(void)
{
	struct tlb_config cfg;
	char err[256];
	mb_tlb_t *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	tlb_config_default(&cfg);
	if (tlb_init(&m->tlb, &cfg, 4, &m->pm, err, sizeof(err))) {
		fprintf(stderr, "microbench: %s\n", err);
		free(m);
		return NULL;
	}
	return m;
}

void mb_tlb_free(mb_tlb_t *m)
{
	if (m) {
		tlb_destroy(&m->tlb);
		free(m->va);
		free(m);
	}
}

/* nr_pages pages from 0x7f0000000000 in a shuffled order (Fisher-Yates, seed 1). */
static int tlb_order_make(mb_tlb_t *m, unsigned nr_pages)
{
	prng_t rng;

	if (m->nr_va == nr_pages)
		return 0;
	free(m->va);
	m->va = malloc(nr_pages * sizeof(*m->va));
	if (!m->va)
		return -1;
	m->nr_va = nr_pages;
	m->cursor = 0;
	for (unsigned i = 0; i < nr_pages; i++)
		m->va[i] = 0x7f0000000000ull + ((uint64_t)i << 12);
	prng_seed(&rng, 1);
	for (unsigned i = nr_pages - 1; i > 0; i--) {
		unsigned j = (unsigned)prng_below(&rng, i + 1);
		uint64_t t = m->va[i];

		m->va[i] = m->va[j];
		m->va[j] = t;
	}
	return 0;
}

uint64_t mb_tlb_lookups(mb_tlb_t *m, unsigned nr_pages, int want, uint64_t n)
{
	uint64_t nr_want = 0;
	unsigned cursor;

	if (!nr_pages || tlb_order_make(m, nr_pages))
		return 0;
	cursor = m->cursor;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t va = m->va[cursor];
		enum tlb_result r = tlb_lookup(&m->tlb, 0, 1, va, false);

		if (r == TLB_MISS) {
			tlb_walk(&m->tlb, 0, 1, va, 4, 1);
			tlb_insert(&m->tlb, 0, 1, va, 12, false);
		}
		nr_want += r == (enum tlb_result)want;
		if (++cursor == nr_pages)
			cursor = 0;
	}
	m->cursor = cursor;
	return nr_want;
}

/* ---------------------------------------------------------------- vma */

#define MB_VM_ADDRS	4096u   /* lookup addresses cycled through */

struct mb_vm {
	phys_t pm;
	vmsys_t vs;
	struct mm_struct *mm;
	uint64_t addrs[MB_VM_ADDRS];    /* addresses inside the VMAs, shuffled */
	uint64_t starts[MB_VM_ADDRS];   /* vm_start expected for each */
	unsigned cursor;
};

mb_vm_t *mb_vm_make(unsigned nr_vmas)
{
	struct phys_config cfg;
	struct vm_config vcfg;
	char err[256];
	mb_vm_t *m = calloc(1, sizeof(*m));
	uint64_t base = 0x100000000ull;
	prng_t r;

	if (!m)
		return NULL;
	phys_config_default(&cfg);
	cfg.mem_bytes = 256ull << 20;
	vm_config_default(&vcfg);
	if (phys_init(&m->pm, &cfg, err, sizeof(err))) {
		fprintf(stderr, "microbench: %s\n", err);
		free(m);
		return NULL;
	}
	if (vmsys_init(&m->vs, &m->pm, &vcfg, NULL, err, sizeof(err))) {
		fprintf(stderr, "microbench: %s\n", err);
		phys_destroy(&m->pm);
		free(m);
		return NULL;
	}
	m->mm = mm_create(&m->vs, 1);
	if (!m->mm)
		goto fail;
	for (unsigned i = 0; i < nr_vmas; i++) {
		uint64_t a = base + 2ull * i * PAGE_SIZE;

		if (do_mmap(&m->vs, m->mm, a, PAGE_SIZE, MM_PROT_READ | MM_PROT_WRITE,
			    MM_MAP_PRIVATE | MM_MAP_ANONYMOUS | MM_MAP_FIXED, VM_FILE_NONE, 0, 0) != (int64_t)a)
			goto fail;
	}
	prng_seed(&r, 1);
	for (unsigned i = 0; i < MB_VM_ADDRS; i++) {
		uint64_t k = prng_below(&r, nr_vmas);

		m->starts[i] = base + 2 * k * PAGE_SIZE;
		m->addrs[i] = m->starts[i] + prng_below(&r, PAGE_SIZE);
	}
	return m;
fail:
	fprintf(stderr, "microbench: address space setup failed\n");
	mb_vm_free(m);
	return NULL;
}

void mb_vm_free(mb_vm_t *m)
{
	if (m) {
		vmsys_destroy(&m->vs);
		phys_destroy(&m->pm);
		free(m);
	}
}

uint64_t mb_find_vma(mb_vm_t *m, uint64_t n)
{
	uint64_t found = 0;
	unsigned c = m->cursor;

	for (uint64_t i = 0; i < n; i++) {
		const struct vm_area_struct *vma = find_vma(m->mm, m->addrs[c]);

		found += vma && vma->vm_start == m->starts[c];
		if (++c == MB_VM_ADDRS)
			c = 0;
	}
	m->cursor = c;
	return found;
}

uint64_t mb_mmap_munmap_pairs(mb_vm_t *m, uint64_t pages, uint64_t n)
{
	uint64_t failed = 0;

	for (uint64_t i = 0; i < n; i++) {
		int64_t a = do_mmap(&m->vs, m->mm, 0, pages << PAGE_SHIFT, MM_PROT_READ | MM_PROT_WRITE,
				    MM_MAP_PRIVATE | MM_MAP_ANONYMOUS, VM_FILE_NONE, 0, 0);

		if (a < 0 || do_munmap(&m->vs, m->mm, (uint64_t)a, pages << PAGE_SHIFT, 0))
			failed++;
	}
	return failed;
}

/* ---------------------------------------------------------------- faults (engine/memory.c) */

struct mb_fault {
	phys_t pm;
	tlb_t tlb;
	vmsys_t vs;
	struct mm_struct *mm;
	uint64_t hot;                   /* a mapped, written region for the access benchmark */
};

mb_fault_t *mb_fault_make(int with_tlb)
{
	struct phys_config cfg;
	struct vm_config vcfg;
	struct tlb_config tcfg;
	char err[256];
	mb_fault_t *m = calloc(1, sizeof(*m));
	int64_t a;

	if (!m)
		return NULL;
	phys_config_default(&cfg);
	cfg.mem_bytes = 256ull << 20;
	vm_config_default(&vcfg);
	vcfg.thp = THP_NEVER;
	tlb_config_default(&tcfg);
	if (phys_init(&m->pm, &cfg, err, sizeof(err)) ||
	    (with_tlb && tlb_init(&m->tlb, &tcfg, m->pm.nr_cpus, &m->pm, err, sizeof(err))) ||
	    vmsys_init(&m->vs, &m->pm, &vcfg, with_tlb ? &m->tlb : NULL, err, sizeof(err))) {
		fprintf(stderr, "microbench: %s\n", err);
		mb_fault_free(m);
		return NULL;
	}
	m->mm = mm_create(&m->vs, 1);
	a = m->mm ? do_mmap(&m->vs, m->mm, 0, 64 * PAGE_SIZE, MM_PROT_READ | MM_PROT_WRITE,
			    MM_MAP_PRIVATE | MM_MAP_ANONYMOUS, VM_FILE_NONE, 0, 0) : -1;
	if (a < 0) {
		fprintf(stderr, "microbench: address space setup failed\n");
		mb_fault_free(m);
		return NULL;
	}
	m->hot = (uint64_t)a;
	for (unsigned i = 0; i < 64; i++)
		mm_access(&m->vs, m->mm, m->hot + i * PAGE_SIZE, FAULT_FLAG_WRITE, 0);
	return m;
}

void mb_fault_free(mb_fault_t *m)
{
	if (m) {
		if (m->vs.pm)
			vmsys_destroy(&m->vs);
		tlb_destroy(&m->tlb);
		phys_destroy(&m->pm);
		free(m);
	}
}

uint64_t mb_fault_munmap_cycles(mb_fault_t *m, uint64_t pages, uint64_t n)
{
	uint64_t failed = 0;

	for (uint64_t i = 0; i < n; i++) {
		int64_t a = do_mmap(&m->vs, m->mm, 0, pages << PAGE_SHIFT, MM_PROT_READ | MM_PROT_WRITE,
				    MM_MAP_PRIVATE | MM_MAP_ANONYMOUS, VM_FILE_NONE, 0, 0);

		if (a < 0) {
			failed++;
			continue;
		}
		for (uint64_t p = 0; p < pages; p++)
			failed += handle_mm_fault(&m->vs, m->mm, (uint64_t)a + (p << PAGE_SHIFT),
						  FAULT_FLAG_WRITE | FAULT_FLAG_USER, 0) != FAULT_ANON;
		failed += do_munmap(&m->vs, m->mm, (uint64_t)a, pages << PAGE_SHIFT, 0) != 0;
	}
	return failed;
}

uint64_t mb_access_hits(mb_fault_t *m, unsigned flags, uint64_t n)
{
	uint64_t hits = 0;

	for (uint64_t i = 0; i < n; i++)
		hits += mm_access(&m->vs, m->mm, m->hot + ((i & 63) << PAGE_SHIFT) + (i & 0xff8), flags, 0) ==
			FAULT_SPURIOUS;
	return hits;
}

uint64_t mb_anon_map(mb_fault_t *m, uint64_t pages)
{
	int64_t a = do_mmap(&m->vs, m->mm, 0, pages << PAGE_SHIFT, MM_PROT_READ | MM_PROT_WRITE,
			    MM_MAP_PRIVATE | MM_MAP_ANONYMOUS, VM_FILE_NONE, 0, 0);

	return a < 0 ? 0 : (uint64_t)a;
}

uint64_t mb_anon_fault_region(mb_fault_t *m, uint64_t addr, uint64_t pages)
{
	uint64_t failed = 0;

	for (uint64_t p = 0; p < pages; p++)
		failed += mm_access(&m->vs, m->mm, addr + (p << PAGE_SHIFT), FAULT_FLAG_WRITE | FAULT_FLAG_USER,
				    0) != FAULT_ANON;
	return failed;
}

int mb_anon_unmap(mb_fault_t *m, uint64_t addr, uint64_t pages)
{
	return do_munmap(&m->vs, m->mm, addr, pages << PAGE_SHIFT, 0) ? -1 : 0;
}

/* ---------------------------------------------------------------- fork (engine/mmap.c mm_fork) */

struct mb_fork {
	phys_t pm;
	vmsys_t vs;
	struct mm_struct *mm;           /* the parent */
	struct mm_struct *child;        /* the last fork's, until mb_fork_reset() */
	uint64_t addr, pages;           /* the populated mapping */
};

mb_fork_t *mb_fork_make(uint64_t pages)
{
	struct phys_config cfg;
	struct vm_config vcfg;
	char err[256];
	mb_fork_t *m = calloc(1, sizeof(*m));
	int64_t a;

	if (!m)
		return NULL;
	phys_config_default(&cfg);
	/* the pages twice over (the parent's, the CoW copies a test might make) + 256 MiB */
	cfg.mem_bytes = ((2 * pages) << PAGE_SHIFT) + (256ull << 20);
	vm_config_default(&vcfg);
	vcfg.thp = THP_NEVER;           /* 4 KiB PTEs only: pages PTEs to copy */
	if (phys_init(&m->pm, &cfg, err, sizeof(err)) ||
	    vmsys_init(&m->vs, &m->pm, &vcfg, NULL, err, sizeof(err))) {
		fprintf(stderr, "microbench: %s\n", err);
		mb_fork_free(m);
		return NULL;
	}
	m->pages = pages;
	m->mm = mm_create(&m->vs, 1);
	a = m->mm ? do_mmap(&m->vs, m->mm, 0, pages << PAGE_SHIFT, MM_PROT_READ | MM_PROT_WRITE,
			    MM_MAP_PRIVATE | MM_MAP_ANONYMOUS, VM_FILE_NONE, 0, 0) : -1;
	if (a < 0)
		goto fail;
	m->addr = (uint64_t)a;
	for (uint64_t p = 0; p < pages; p++)
		if (handle_mm_fault(&m->vs, m->mm, m->addr + (p << PAGE_SHIFT),
				    FAULT_FLAG_WRITE | FAULT_FLAG_USER, 0) != FAULT_ANON)
			goto fail;
	return m;
fail:
	fprintf(stderr, "microbench: populating %llu pages failed\n", (unsigned long long)pages);
	mb_fork_free(m);
	return NULL;
}

void mb_fork_free(mb_fork_t *m)
{
	if (m) {
		if (m->vs.pm)
			vmsys_destroy(&m->vs);
		phys_destroy(&m->pm);
		free(m);
	}
}

uint64_t mb_fork_once(mb_fork_t *m)
{
	if (m->child)
		return 0;
	m->child = mm_fork(&m->vs, m->mm, 2);
	return m->child ? m->child->rss_stat[MM_ANONPAGES] : 0;
}

int mb_fork_reset(mb_fork_t *m)
{
	uint64_t len = m->pages << PAGE_SHIFT;

	if (!m->child)
		return -1;
	mm_destroy(&m->vs, m->child);
	m->child = NULL;
	if (do_mprotect(&m->vs, m->mm, m->addr, len, MM_PROT_READ, 0) ||
	    do_mprotect(&m->vs, m->mm, m->addr, len, MM_PROT_READ | MM_PROT_WRITE, 0))
		return -1;
	return 0;
}

int mb_fork_check(mb_fork_t *m)
{
	char msg[512];

	if (pgtable_check(&m->vs, msg, sizeof(msg))) {
		fprintf(stderr, "microbench: fork: %s\n", msg);
		return -1;
	}
	return 0;
}
