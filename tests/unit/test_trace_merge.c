/*
 * test_trace_merge.c - trace_merge: time order and origin alignment, id
 * spaces laid end to end, metadata kept, errors name the input, and the
 * merge of two generated traces replays without errors.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/policy.h"
#include "bench/replay.h"
#include "traces/text.h"
#include "traces/trace_merge.h"
#include "workloads/generate.h"

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/mmbench-merge-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(merge, .init = setup, .fini = teardown, .timeout = 120);

static void path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static void from_text(const char *name, const char *text)
{
	char p[128];
	trace_error_t err;
	path_of(p, sizeof(p), name);
	cr_assert_eq(text_import_mem(text, strlen(text), name, p, NULL, &err), 0, "%s", err.reason);
}

static const char text_a[] =
	"@meta source perf\n"
	"@meta clock_monotonic_origin_ns 5000\n"
	"@meta only_a x\n"
	"0 10/10 [0] ALLOC id=0 size=8 func=kmalloc\n"
	"100 10/10 [0] ALLOC id=1 size=16 func=kmalloc\n"
	"200 10/10 [0] PAGE_ALLOC page=0 order=2 mt=0\n"
	"300 10/10 [0] FREE id=0 func=kfree\n";
static const char text_b[] =
	"@meta source user-recorder\n"
	"@meta clock_monotonic_origin_ns 2000\n"
	"0 20/20 [1] ALLOC id=0 size=32 func=malloc\n"
	"2500 20/20 [1] PAGE_ALLOC page=0 order=0 mt=1\n"
	"2600 20/20 [1] CACHE_CREATE cache=0 size=64 name=\"dentry\"\n"
	"2700 20/20 [1] ALLOC id=1 size=64 func=kmem_cache_alloc cache=0\n"
	"2800 20/20 [1] MMAP len=4096 prot=r-- flags=private file=0 result=0x1000\n";

Test(merge, aligned_ordered_and_ids_shifted)
{
	char a[128], b[128], out[128];
	const char *in[2] = { a, b };
	trace_error_t err;
	trace_event_t ev;
	from_text("a.mmt", text_a);
	from_text("b.mmt", text_b);
	path_of(a, sizeof(a), "a.mmt");
	path_of(b, sizeof(b), "b.mmt");
	path_of(out, sizeof(out), "m.mmt");
	cr_assert_eq(trace_merge(out, in, 2, &err), 0, "%s", err.reason);

	trace_reader_t *r = trace_open(out, &err);
	cr_assert_not_null(r, "%s", err.reason);
	const trace_summary_t *s = trace_summary(r);
	cr_assert_eq(s->nr_events, 9);
	cr_assert_eq(s->nr_by_type[TRACE_ALLOC], 4);
	cr_assert_eq(s->nr_by_type[TRACE_PAGE_ALLOC], 2);
	cr_assert_eq(s->bounds.nr_objects, 4, "2 + 2 objects");
	cr_assert_eq(s->bounds.nr_pages, 2);
	cr_assert_eq(s->bounds.nr_caches, 1);
	cr_assert_eq(s->bounds.nr_files, 1);
	cr_assert_str_eq(trace_meta_get(r, "clock_monotonic_origin_ns"), "2000");
	cr_assert_str_eq(trace_meta_get(r, "source"), "perf", "first input's value kept");
	cr_assert_str_eq(trace_meta_get(r, "input1.source"), "user-recorder");
	cr_assert_str_eq(trace_meta_get(r, "input0.clock_monotonic_origin_ns"), "5000");
	cr_assert_str_eq(trace_meta_get(r, "input1.clock_monotonic_origin_ns"), "2000");
	cr_assert_str_eq(trace_meta_get(r, "only_a"), "x");
	cr_assert_str_eq(trace_meta_get(r, "merge.inputs"), "2");

	/* b's events at their ts, a's 3000 ns later (origin 5000 vs 2000) */
	static const struct { uint64_t ts; uint32_t pid; uint8_t type; uint32_t id; } want[] = {
		{ 0, 20, TRACE_ALLOC, 2 },          /* b's object 0 after a's 2 ids */
		{ 2500, 20, TRACE_PAGE_ALLOC, 1 },  /* b's page 0 after a's 1 */
		{ 2600, 20, TRACE_CACHE_CREATE, 0 },
		{ 2700, 20, TRACE_ALLOC, 3 },
		{ 2800, 20, TRACE_MMAP, 0 },
		{ 3000, 10, TRACE_ALLOC, 0 },
		{ 3100, 10, TRACE_ALLOC, 1 },
		{ 3200, 10, TRACE_PAGE_ALLOC, 0 },
		{ 3300, 10, TRACE_FREE, 0 },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		cr_assert_eq(trace_next(r, &ev), 1, "event %zu", i);
		cr_assert_eq(ev.ts, want[i].ts, "event %zu ts %lu", i, (unsigned long)ev.ts);
		cr_assert_eq(ev.pid, want[i].pid, "event %zu", i);
		cr_assert_eq(ev.type, want[i].type, "event %zu", i);
		uint32_t id = ev.type == TRACE_ALLOC ? ev.alloc.id :
			      ev.type == TRACE_FREE ? ev.free.id :
			      ev.type == TRACE_PAGE_ALLOC ? ev.page_alloc.page :
			      ev.type == TRACE_CACHE_CREATE ? ev.cache_create.cache : ev.mmap.file;
		cr_assert_eq(id, want[i].id, "event %zu id %u", i, id);
		if (i == 3)
			cr_assert_eq(ev.alloc.cache, 0);
	}
	cr_assert_eq(trace_next(r, &ev), 0);
	trace_close(r);
}

/* record --kernel: the user level's copies of the mm syscalls are dropped */
Test(merge, drop_leaves_out_and_counts_types)
{
	char a[128], b[128], out[128];
	const char *in[2] = { b, a };
	const uint64_t drop[2] = { TRACE_TYPE_BIT(TRACE_MMAP) | TRACE_TYPE_BIT(TRACE_PAGE_ALLOC), 0 };
	trace_error_t err;
	from_text("a.mmt", text_a);
	from_text("b.mmt", text_b);
	path_of(a, sizeof(a), "a.mmt");
	path_of(b, sizeof(b), "b.mmt");
	path_of(out, sizeof(out), "d.mmt");
	cr_assert_eq(trace_merge_drop(out, in, drop, 2, &err), 0, "%s", err.reason);

	trace_reader_t *r = trace_open(out, &err);
	cr_assert_not_null(r, "%s", err.reason);
	const trace_summary_t *s = trace_summary(r);
	cr_assert_eq(s->nr_events, 7, "9 less b's MMAP and PAGE_ALLOC");
	cr_assert_eq(s->nr_by_type[TRACE_MMAP], 0);
	cr_assert_eq(s->nr_by_type[TRACE_PAGE_ALLOC], 1, "a's, not dropped");
	cr_assert_eq(s->nr_by_type[TRACE_ALLOC], 4);
	trace_close(r);
	r = trace_open(out, &err);
	cr_assert_not_null(r, "%s", err.reason);
	trace_event_t ev;
	while (trace_next(r, &ev) == 1)
		;
	cr_assert_str_eq(trace_meta_get(r, "merge.dropped.input0"), "2");
	cr_assert_null(trace_meta_get(r, "merge.dropped.input1"));
	trace_close(r);
}

Test(merge, error_names_the_input)
{
	char a[128], bad[128], out[128];
	const char *in[2] = { a, bad };
	trace_error_t err;
	from_text("a.mmt", text_a);
	path_of(a, sizeof(a), "a.mmt");
	path_of(bad, sizeof(bad), "missing.mmt");
	path_of(out, sizeof(out), "m.mmt");
	cr_assert_eq(trace_merge(out, in, 2, &err), -1);
	cr_assert_str_eq(err.file, bad);
	cr_assert_eq(access(out, F_OK), -1, "no output left");

	FILE *f = fopen(bad, "w");
	cr_assert_not_null(f);
	fputs("not a trace", f);
	fclose(f);
	cr_assert_eq(trace_merge(out, in, 2, &err), -1);
	cr_assert_str_eq(err.file, bad);
	cr_assert_eq(access(out, F_OK), -1);
}

/* results.csv value of metric (-1 if absent) */
static long long metric(const char *res_dir, const char *name)
{
	char p[160], line[512];
	long long v = -1;
	snprintf(p, sizeof(p), "%s/results.csv", res_dir);
	FILE *f = fopen(p, "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *m = line;
		for (int k = 0; k < 3 && m; k++)
			m = strchr(m, ',') ? strchr(m, ',') + 1 : NULL;
		if (m && !strncmp(m, name, strlen(name)) && m[strlen(name)] == ',')
			v = atoll(m + strlen(name) + 1);
	}
	fclose(f);
	return v;
}

Test(merge, generated_traces_count_and_replay)
{
	char a[128], b[128], out[128], res[128];
	const char *in[2] = { a, b };
	trace_error_t err;
	path_of(a, sizeof(a), "malloc2.mmt");
	path_of(b, sizeof(b), "frag.mmt");
	path_of(out, sizeof(out), "m.mmt");
	path_of(res, sizeof(res), "res");
	cr_assert_eq(generate_trace("malloc2", 1, 1, a, &err), 0, "%s", err.reason);
	cr_assert_eq(generate_trace("frag", 2, 1, b, &err), 0, "%s", err.reason);
	cr_assert_eq(trace_merge(out, in, 2, &err), 0, "%s", err.reason);

	trace_reader_t *ra = trace_open(a, &err), *rb = trace_open(b, &err), *rm = trace_open(out, &err);
	cr_assert(ra && rb && rm);
	const trace_summary_t *sa = trace_summary(ra), *sb = trace_summary(rb), *sm = trace_summary(rm);
	cr_assert_eq(sm->nr_events, sa->nr_events + sb->nr_events);
	for (int t = 1; t < TRACE_NR_TYPES; t++)
		cr_assert_eq(sm->nr_by_type[t], sa->nr_by_type[t] + sb->nr_by_type[t], "type %d", t);
	cr_assert_eq(sm->bounds.nr_objects, sa->bounds.nr_objects + sb->bounds.nr_objects);
	cr_assert_eq(sm->bounds.nr_pages, sa->bounds.nr_pages + sb->bounds.nr_pages);
	cr_assert_eq(sm->last_ts, sa->last_ts > sb->last_ts ? sa->last_ts : sb->last_ts);
	/* b's page ids all land above a's */
	trace_event_t ev;
	uint64_t nr_b_pages = 0;
	int rc;
	while ((rc = trace_next(rm, &ev)) == 1)
		if (ev.type == TRACE_PAGE_ALLOC && ev.page_alloc.page >= sa->bounds.nr_pages)
			nr_b_pages++;
	cr_assert_eq(rc, 0);
	cr_assert_eq(nr_b_pages, sb->nr_by_type[TRACE_PAGE_ALLOC]);
	uint64_t total = sm->nr_events;
	trace_close(ra);
	trace_close(rb);
	trace_close(rm);

	struct policy pol;
	policy_default(&pol);
	struct replay_opts ro = { .trace_path = out, .out_dir = res, .quiet = true };
	cr_assert_eq(replay_run(&pol, &ro), 0);
	cr_assert_eq(metric(res, "events"), (long long)total);
	static const char *const errs[] = {
		"replay_errors.page_free_unknown", "replay_errors.page_alloc_live_id",
		"replay_errors.alloc_live_id", "replay_errors.free_unknown",
		"replay_errors.cache_create_live_id",
	};
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		cr_assert_eq(metric(res, errs[i]), 0, "%s", errs[i]);
}
