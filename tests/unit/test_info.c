/*
 * test_info.c - trace_info_collect: counts, live and peak bytes, size classes,
 * anomalies.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "traces/trace_info.h"

static char dir[64];
static char path[128];

static void setup(void)
{
	strcpy(dir, "/tmp/mmbench-info-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.mmt", dir);
}

static void teardown(void)
{
	unlink(path);
	rmdir(dir);
}

TestSuite(info, .init = setup, .fini = teardown);

static trace_writer_t *w;
static uint64_t now;

static void emit(trace_event_t *e, uint32_t pid, uint32_t tid, uint32_t cpu)
{
	e->ts = now += 10;
	e->pid = pid;
	e->tid = tid;
	e->cpu = cpu;
	cr_assert_eq(trace_write(w, e), 0, "%s", trace_writer_error(w)->reason);
}

static void alloc(uint32_t id, uint64_t size, uint32_t tid)
{
	trace_event_t e = { .type = TRACE_ALLOC };
	e.alloc.id = id;
	e.alloc.size = size;
	e.alloc.cache = TRACE_NO_ID;
	emit(&e, 10, tid, tid & 1);
}

static void release(uint32_t id)
{
	trace_event_t e = { .type = TRACE_FREE };
	e.free.id = id;
	e.free.cache = TRACE_NO_ID;
	e.free.func = TRACE_FN_FREE;
	emit(&e, 10, 10, 0);
}

Test(info, live_peak_and_classes)
{
	trace_error_t err;
	trace_meta_t meta[] = { { "source", "synthetic" } };
	now = 0;
	w = trace_writer_open(path, meta, 1, NULL, &err);
	cr_assert_not_null(w);
	alloc(0, 8, 10);        /* class <= 8 */
	alloc(1, 100, 11);      /* class 65-128 */
	alloc(2, 5000, 10);     /* class 4097-8192 */
	release(1);             /* live 5008, peak was 5108 */
	alloc(1, 9, 11);        /* class 9-16; live 5017 */
	release(7);             /* id 7 never allocated: unknown free (bounds grow to 8) */
	alloc(0, 16, 10);       /* id 0 still live: double alloc; live 5025 */
	trace_event_t e = { .type = TRACE_REALLOC };
	e.realloc.old_id = 2;
	e.realloc.new_id = 3;
	e.realloc.size = 1 << 20;   /* live 5025 - 5000 + 1 MiB */
	e.realloc.func = TRACE_FN_REALLOC;
	emit(&e, 10, 10, 0);
	e = (trace_event_t){ .type = TRACE_PAGE_ALLOC };
	e.page_alloc.page = 0;
	e.page_alloc.order = 3;
	emit(&e, 20, 20, 1);
	e = (trace_event_t){ .type = TRACE_PAGE_FREE };
	e.page_free.page = 0;
	e.page_free.order = 3;
	emit(&e, 20, 20, 1);
	cr_assert_eq(trace_writer_close(w, &err), 0);

	trace_reader_t *r = trace_open(path, &err);
	cr_assert_not_null(r);
	trace_info_t in;
	cr_assert_eq(trace_info_collect(r, &in, &err), 0);
	trace_close(r);

	cr_assert_eq(in.summary.nr_events, 10);
	cr_assert_eq(in.first_ts, 10);
	cr_assert_eq(in.last_ts, 100);
	cr_assert_eq(in.nr_processes, 2);       /* pids 10 and 20 */
	cr_assert_eq(in.nr_threads, 3);         /* tids 10, 11, 20 */
	cr_assert_eq(in.nr_cpus_seen, 2);
	cr_assert_eq(in.alloc_bytes, 8 + 100 + 5000 + 9 + 16 + (1 << 20));
	cr_assert_eq(in.peak_live_bytes, 16 + 9 + (1 << 20));
	cr_assert_eq(in.live_bytes, 16 + 9 + (1 << 20));
	cr_assert_eq(in.peak_live_objects, 3);
	cr_assert_eq(in.nr_unknown_frees, 1);
	cr_assert_eq(in.nr_double_allocs, 1);
	cr_assert_eq(in.size_class[0].nr, 1);           /* 8 */
	cr_assert_eq(in.size_class[1].nr, 2);           /* 9, 16 */
	cr_assert_eq(in.size_class[1].bytes, 25);
	cr_assert_eq(in.size_class[4].nr, 1);           /* 100 in 65..128 */
	cr_assert_eq(in.size_class[10].nr, 1);          /* 5000 in 4097..8192 */
	cr_assert_eq(in.size_class[17].nr, 1);          /* 1 MiB in 512K+1..1M */
	cr_assert_eq(in.page_alloc_pages, 8);
	cr_assert_eq(in.peak_live_pages, 8);
}

Test(info, size_class_bounds)
{
	cr_assert_eq(info_size_class_max(0), 8);
	cr_assert_eq(info_size_class_max(1), 16);
	cr_assert_eq(info_size_class_max(20), 8ull << 20);
	cr_assert_eq(info_size_class_max(INFO_NR_SIZE_CLASSES - 1), UINT64_MAX);
}
