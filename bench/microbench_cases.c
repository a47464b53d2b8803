/*
 * microbench_cases.c - microbenchmark bodies (see microbench_cases.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/microbench_cases.h"
#include "engine/page_alloc.h"
#include "engine/phys.h"
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
