/*
 * test_trace.c - binary trace writer and reader: round trips, chunking,
 * metadata, bounds, and rejection of damaged files.
 */
#include <criterion/criterion.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "traces/trace.h"

static char dir[64];
static char path[128];

static void setup(void)
{
	strcpy(dir, "/tmp/mmbench-test-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.mmt", dir);
}

static void teardown(void)
{
	unlink(path);
	rmdir(dir);
}

TestSuite(trace, .init = setup, .fini = teardown);

static trace_event_t ev_base(uint64_t ts, unsigned type)
{
	trace_event_t ev;
	memset(&ev, 0, sizeof(ev));
	ev.ts = ts;
	ev.cpu = 1;
	ev.pid = 100;
	ev.tid = 101;
	ev.type = (uint8_t)type;
	return ev;
}

/* One event of every type with non-default values everywhere. */
static size_t all_types(trace_event_t *evs)
{
	size_t n = 0;
	uint64_t ts = 1000;
	trace_event_t e;

	e = ev_base(ts += 7, TRACE_CACHE_CREATE);
	e.cache_create = (__typeof__(e.cache_create)){ .cache = 3, .flags = 0x2000, .size = 192,
		.align = 64, .name = "dentry", .name_len = 6 };
	evs[n++] = e;
	e = ev_base(ts += 7, TRACE_ALLOC);
	e.alloc = (__typeof__(e.alloc)){ .id = 5, .cache = 3, .size = 192, .align = 8,
		.gfp = 0xcc0, .func = TRACE_FN_KMEM_CACHE_ALLOC };
	evs[n++] = e;
	e = ev_base(ts += 7, TRACE_ALLOC);
	e.alloc = (__typeof__(e.alloc)){ .id = 0, .cache = TRACE_NO_ID, .size = 1ull << 40,
		.func = TRACE_FN_CALLOC };
	evs[n++] = e;
	e = ev_base(ts += 7, TRACE_REALLOC);
	e.realloc = (__typeof__(e.realloc)){ .old_id = 0, .new_id = 9, .size = 77,
		.func = TRACE_FN_REALLOC };
	evs[n++] = e;
	e = ev_base(ts += 7, TRACE_FREE);
	e.free = (__typeof__(e.free)){ .id = 5, .cache = 3, .func = TRACE_FN_KMEM_CACHE_FREE };
	evs[n++] = e;
	e = ev_base(ts += 7, TRACE_FREE);
	e.free = (__typeof__(e.free)){ .id = 9, .cache = TRACE_NO_ID, .func = TRACE_FN_FREE };
	evs[n++] = e;
	e = ev_base(ts += 7, TRACE_CACHE_DESTROY);
	e.cache_destroy.cache = 3;
	evs[n++] = e;
	e = ev_base(ts += 7, TRACE_PAGE_ALLOC);
	e.page_alloc = (__typeof__(e.page_alloc)){ .page = 12, .gfp = 0x100cca, .order = 9,
		.migratetype = 1 };
	evs[n++] = e;
	e = ev_base(ts += 7, TRACE_PAGE_FREE);
	e.page_free = (__typeof__(e.page_free)){ .page = 12, .order = 9 };
	evs[n++] = e;
	e = ev_base(ts += 7, TRACE_MMAP);
	e.mmap = (__typeof__(e.mmap)){ .addr = 0, .len = 1 << 21, .pgoff = 3, .result = 0x7f0000000000,
		.prot = 3, .flags = 0x22, .file = 2, .err = 0 };
	evs[n++] = e;
	e = ev_base(ts += 7, TRACE_MMAP);
	e.mmap = (__typeof__(e.mmap)){ .addr = 0x1000, .len = 4096, .result = 0, .prot = 1,
		.flags = 0x12, .file = TRACE_NO_ID, .err = 12 };
	evs[n++] = e;
	e = ev_base(ts += 7, TRACE_MUNMAP);
	e.munmap = (__typeof__(e.munmap)){ .addr = 0x7f0000000000, .len = 8192, .err = 22 };
	evs[n++] = e;
	e = ev_base(ts += 7, TRACE_MREMAP);
	e.mremap = (__typeof__(e.mremap)){ .addr = 0x7f0000000000, .old_len = 4096, .new_len = 1 << 20,
		.new_addr = 0x600000000000, .result = 0x600000000000, .flags = 3, .err = 0 };
	evs[n++] = e;
	e = ev_base(ts += 7, TRACE_MPROTECT);
	e.mprotect = (__typeof__(e.mprotect)){ .addr = 0x600000001000, .len = 4096, .prot = 1 };
	evs[n++] = e;
	e = ev_base(ts += 7, TRACE_MADVISE);
	e.madvise = (__typeof__(e.madvise)){ .addr = 0x600000000000, .len = 4096, .advice = 14,
		.err = 1 };
	evs[n++] = e;
	e = ev_base(ts += 7, TRACE_BRK);
	e.brk = (__typeof__(e.brk)){ .request = 0x555555560000, .result = 0x555555560000 };
	evs[n++] = e;
	e = ev_base(ts += 7, TRACE_FAULT);
	e.fault = (__typeof__(e.fault)){ .addr = 0x555555559123, .flags = TRACE_FAULT_ALL };
	evs[n++] = e;
	e = ev_base(ts += 7, TRACE_ACCESS);
	e.access = (__typeof__(e.access)){ .addr = 0x10, .flags = TRACE_FAULT_WRITE };
	evs[n++] = e;
	e = ev_base(ts += 7, TRACE_FORK);
	e.fork = (__typeof__(e.fork)){ .child = 102, .flags = TRACE_FORK_THREAD };
	evs[n++] = e;
	e = ev_base(ts += 7, TRACE_EXEC);
	e.exec = (__typeof__(e.exec)){ .path = "/usr/bin/py\0thon", .path_len = 16 };
	evs[n++] = e;
	e = ev_base(ts += 7, TRACE_EXIT);
	e.exit = (__typeof__(e.exit)){ .code = -9, .flags = TRACE_EXIT_THREAD };
	evs[n++] = e;
	e = ev_base(ts += 7, TRACE_CMA_ALLOC);
	e.cma = (__typeof__(e.cma)){ .area = 1, .id = 4, .count = 1024, .align = 8, .err = 12 };
	evs[n++] = e;
	e = ev_base(ts += 7, TRACE_CMA_RELEASE);
	e.cma = (__typeof__(e.cma)){ .area = 1, .id = 4, .count = 1024 };
	evs[n++] = e;
	e = ev_base(ts, TRACE_MARK);   /* same timestamp as the previous event */
	e.mark = (__typeof__(e.mark)){ .name = "warmup-end", .name_len = 10 };
	e.cpu = 0;
	e.pid = 7;
	e.tid = 7;
	evs[n++] = e;
	return n;
}

static void write_events(const trace_event_t *evs, size_t n, uint32_t chunk_events)
{
	trace_error_t err;
	trace_meta_t meta[] = { { "source", "synthetic" }, { "cmdline", "x y z" } };
	trace_writer_opts_t opts = { .chunk_events = chunk_events };
	trace_writer_t *w = trace_writer_open(path, meta, 2, &opts, &err);
	cr_assert_not_null(w, "%s", err.reason);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(trace_write(w, &evs[i]), 0, "event %zu: %s", i,
			     trace_writer_error(w)->reason);
	cr_assert_eq(trace_writer_add_meta(w, "proc.100.minflt", "42"), 0);
	cr_assert_eq(trace_writer_close(w, &err), 0, "%s", err.reason);
}

/* Compare the common fields and the payload of the event's type. */
static void assert_same_but_strings(const trace_event_t *a, const trace_event_t *b, size_t i)
{
	cr_assert_eq(a->ts, b->ts, "event %zu ts", i);
	cr_assert_eq(a->type, b->type, "event %zu type", i);
	cr_assert(a->cpu == b->cpu && a->pid == b->pid && a->tid == b->tid, "event %zu ctx", i);
	if (a->type != TRACE_CACHE_CREATE && a->type != TRACE_EXEC && a->type != TRACE_MARK)
		cr_assert(!memcmp(&a->alloc, &b->alloc, sizeof(*a) - offsetof(trace_event_t, alloc)),
			  "event %zu (%s) payload differs", i, trace_type_name(a->type));
}

static void assert_same(const trace_event_t *a, const trace_event_t *b, size_t i)
{
	assert_same_but_strings(a, b, i);
	switch (a->type) {
	case TRACE_CACHE_CREATE:
		cr_assert_eq(a->cache_create.name_len, b->cache_create.name_len);
		cr_assert(!memcmp(a->cache_create.name, b->cache_create.name,
				  a->cache_create.name_len));
		cr_assert(a->cache_create.cache == b->cache_create.cache &&
			  a->cache_create.flags == b->cache_create.flags &&
			  a->cache_create.size == b->cache_create.size &&
			  a->cache_create.align == b->cache_create.align);
		break;
	case TRACE_EXEC:
		cr_assert_eq(a->exec.path_len, b->exec.path_len);
		cr_assert(!memcmp(a->exec.path, b->exec.path, a->exec.path_len));
		break;
	case TRACE_MARK:
		cr_assert_eq(a->mark.name_len, b->mark.name_len);
		cr_assert(!memcmp(a->mark.name, b->mark.name, a->mark.name_len));
		break;
	}
}

static void read_back(const trace_event_t *evs, size_t n)
{
	trace_error_t err;
	trace_reader_t *r = trace_open(path, &err);
	cr_assert_not_null(r, "%s", err.reason);
	const trace_summary_t *s = trace_summary(r);
	cr_assert_eq(s->nr_events, n);
	trace_event_t ev;
	for (size_t i = 0; i < n; i++) {
		memset(&ev, 0, sizeof(ev));
		cr_assert_eq(trace_next(r, &ev), 1, "event %zu: %s", i,
			     trace_reader_error(r)->reason);
		assert_same(&evs[i], &ev, i);
	}
	cr_assert_eq(trace_next(r, &ev), 0, "%s", trace_reader_error(r)->reason);
	cr_assert_eq(trace_next(r, &ev), 0);
	cr_assert_eq(trace_position(r), n);
	trace_close(r);
}

Test(trace, every_type_round_trips)
{
	trace_event_t evs[64];
	size_t n = all_types(evs);
	cr_assert_eq(n, TRACE_NR_TYPES - 1 + 3);   /* ALLOC, FREE, MMAP twice */
	write_events(evs, n, 0);
	read_back(evs, n);
}

Test(trace, chunks_decode_alone)
{
	/* One event a chunk: every delta and context must restart at each chunk. */
	trace_event_t evs[64];
	size_t n = all_types(evs);
	write_events(evs, n, 1);
	read_back(evs, n);
	trace_error_t err;
	trace_reader_t *r = trace_open(path, &err);
	cr_assert_eq(trace_summary(r)->nr_chunks, n);
	trace_close(r);
}

Test(trace, batch_reads_the_same_events)
{
	trace_event_t evs[64], got[64];
	size_t n = all_types(evs);
	write_events(evs, n, 5);
	trace_error_t err;
	trace_reader_t *r = trace_open(path, &err);
	cr_assert_not_null(r);
	memset(got, 0, sizeof(got));
	size_t total = 0;
	ssize_t k;
	for (;;) {
		memset(got, 0, sizeof(got));    /* assert_same compares padding too */
		if ((k = trace_next_batch(r, got, 7)) <= 0)
			break;
		cr_assert_leq(k, 5, "a batch stops at the end of its chunk");
		for (ssize_t i = 0; i < k; i++)         /* strings live until the next call */
			assert_same(&evs[total + (size_t)i], &got[i], total + (size_t)i);
		total += (size_t)k;
	}
	cr_assert_eq(k, 0, "%s", trace_reader_error(r)->reason);
	cr_assert_eq(total, n);
	cr_assert_eq(trace_next_batch(r, got, 7), 0);
	trace_close(r);
}

/* Batch and single-event reads agree on the events before a fault and on the fault. */
Test(trace, batch_returns_good_events_before_a_fault)
{
	static const char *const bad[] = {
		"tests/data/bad/object-id-range.mmt",
		"tests/data/bad/overlong-varint.mmt",
		"tests/data/bad/chunk-trailing-bytes.mmt",
	};
	for (size_t f = 0; f < sizeof(bad) / sizeof(bad[0]); f++) {
		trace_error_t err;
		trace_event_t one[64], many[64];
		memset(one, 0, sizeof(one));
		memset(many, 0, sizeof(many));
		trace_reader_t *r = trace_open(bad[f], &err);
		cr_assert_not_null(r, "%s: %s", bad[f], err.reason);
		size_t n1 = 0;
		int rc;
		while (n1 < 64 && (rc = trace_next(r, &one[n1])) == 1)
			n1++;
		cr_assert_eq(rc, -1, "%s must fail", bad[f]);
		trace_error_t e1 = *trace_reader_error(r);
		trace_close(r);

		r = trace_open(bad[f], &err);
		size_t n2 = 0;
		ssize_t k;
		while ((k = trace_next_batch(r, many + n2, 64 - n2)) > 0)
			n2 += (size_t)k;
		cr_assert_eq(k, -1);
		cr_assert_eq(trace_next_batch(r, many, 64), -1, "the error sticks");
		cr_assert_eq(n2, n1, "%s: %zu events by batch, %zu one by one", bad[f], n2, n1);
		cr_assert_eq(trace_position(r), n1);
		const trace_error_t *e2 = trace_reader_error(r);
		cr_assert_eq(e2->event, e1.event);
		cr_assert_eq(e2->event, n1, "the error names the first event not returned");
		cr_assert_eq(e2->offset, e1.offset);
		cr_assert_eq(e2->chunk_offset, e1.chunk_offset);
		cr_assert_str_eq(e2->reason, e1.reason);
		/* Strings point into readers' buffers, reused chunk by chunk. */
		for (size_t i = 0; i < n1; i++)
			assert_same_but_strings(&one[i], &many[i], i);
		trace_close(r);
	}
}

Test(trace, summary_bounds_and_meta)
{
	trace_event_t evs[64];
	size_t n = all_types(evs);
	write_events(evs, n, 5);
	trace_error_t err;
	trace_reader_t *r = trace_open(path, &err);
	cr_assert_not_null(r);
	const trace_summary_t *s = trace_summary(r);
	cr_assert_eq(s->bounds.nr_objects, 10);
	cr_assert_eq(s->bounds.nr_pages, 13);
	cr_assert_eq(s->bounds.nr_caches, 4);
	cr_assert_eq(s->bounds.nr_files, 3);
	cr_assert_eq(s->bounds.nr_cma, 5);
	cr_assert_eq(s->bounds.nr_cpus, 2);
	cr_assert_eq(s->nr_by_type[TRACE_ALLOC], 2);
	cr_assert_eq(s->nr_by_type[TRACE_MARK], 1);
	cr_assert_eq(s->last_ts, evs[n - 1].ts);
	cr_assert_eq(s->nr_chunks, (n + 4) / 5);
	cr_assert_eq(trace_nr_meta(r), 3);
	cr_assert_str_eq(trace_meta(r, 0)->key, "source");
	cr_assert_str_eq(trace_meta(r, 1)->value, "x y z");
	cr_assert_str_eq(trace_meta_get(r, "proc.100.minflt"), "42");
	cr_assert_null(trace_meta_get(r, "nothing"));
	trace_close(r);
}

Test(trace, empty_trace)
{
	write_events(NULL, 0, 0);
	trace_error_t err;
	trace_reader_t *r = trace_open(path, &err);
	cr_assert_not_null(r, "%s", err.reason);
	trace_event_t ev;
	cr_assert_eq(trace_next(r, &ev), 0);
	cr_assert_eq(trace_summary(r)->nr_events, 0);
	trace_close(r);
}

Test(trace, writer_refuses_bad_events)
{
	trace_error_t err;
	trace_writer_t *w = trace_writer_open(path, NULL, 0, NULL, &err);
	cr_assert_not_null(w);
	trace_event_t e = ev_base(100, TRACE_ALLOC);
	e.alloc.cache = TRACE_NO_ID;
	cr_assert_eq(trace_write(w, &e), 0);
	e.ts = 99;
	cr_assert_eq(trace_write(w, &e), -1, "out of order must be refused");
	cr_assert(strstr(trace_writer_error(w)->reason, "timestamp"));
	e.ts = 100;
	e.alloc.align = 24;
	cr_assert_eq(trace_write(w, &e), -1, "non-power-of-two alignment");
	e.alloc.align = 0;
	e.alloc.func = TRACE_FN_FREE;
	cr_assert_eq(trace_write(w, &e), -1, "free is not an allocation function");
	e = ev_base(100, TRACE_PAGE_ALLOC);
	e.page_alloc.order = TRACE_MAX_ORDER + 1;
	cr_assert_eq(trace_write(w, &e), -1);
	e = ev_base(100, 0);
	cr_assert_eq(trace_write(w, &e), -1);
	cr_assert_eq(trace_writer_add_meta(w, "bad key", "v"), -1);
	cr_assert_eq(trace_writer_add_meta(w, "k", "two\nlines"), -1);
	cr_assert_eq(trace_writer_close(w, &err), 0);
	trace_reader_t *r = trace_open(path, &err);
	cr_assert_eq(trace_summary(r)->nr_events, 1, "refused events are not written");
	trace_close(r);
}

Test(trace, failed_writer_leaves_no_file)
{
	trace_error_t err;
	trace_writer_t *w = trace_writer_open(path, NULL, 0, NULL, &err);
	trace_writer_abort(w);
	struct stat st;
	cr_assert_neq(stat(path, &st), 0);
	char tmp[160];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	cr_assert_neq(stat(tmp, &st), 0);
	cr_assert_null(trace_writer_open("/nonexistent-dir/x.mmt", NULL, 0, NULL, &err));
	cr_assert(strstr(err.reason, "cannot create"));
}

/* ---------------------------------------------------------------- damage */

static uint8_t *load(size_t *len)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	rewind(f);
	uint8_t *b = malloc(*len);
	cr_assert_eq(fread(b, 1, *len, f), *len);
	fclose(f);
	return b;
}

/*
 * Open buf and read to the end, with trace_reader_prefetch() when prefetch;
 * returns the error (or NULL) and its message.
 */
static const char *damaged_read(const uint8_t *buf, size_t len, trace_error_t *err, bool prefetch)
{
	static char msg[768];
	trace_reader_t *r = trace_open_mem(buf, len, "d.mmt", err);
	if (!r)
		return trace_error_format(err, msg, sizeof(msg));
	if (prefetch)
		cr_assert_geq(trace_reader_prefetch(r), 0);
	trace_event_t ev;
	int rc;
	while ((rc = trace_next(r, &ev)) == 1)
		;
	*err = *trace_reader_error(r);
	trace_close(r);
	return rc < 0 ? trace_error_format(err, msg, sizeof(msg)) : NULL;
}

static const char *damaged(const uint8_t *buf, size_t len, trace_error_t *err)
{
	return damaged_read(buf, len, err, false);
}

/* A reader with trace_reader_prefetch() fails exactly where and how one without does. */
static void assert_prefetch_fails_alike(const uint8_t *b, size_t len, const char *what)
{
	trace_error_t e1, e2;
	const char *m = damaged(b, len, &e1);
	char m1[768];

	snprintf(m1, sizeof(m1), "%s", m ? m : "(none)");
	m = damaged_read(b, len, &e2, true);
	cr_assert_str_eq(m ? m : "(none)", m1, "%s", what);
	cr_assert(e1.event == e2.event && e1.offset == e2.offset && e1.chunk_offset == e2.chunk_offset,
		  "%s", what);
}

static uint8_t *sample(size_t *len)
{
	trace_event_t evs[64];
	size_t n = all_types(evs);
	write_events(evs, n, 4);
	return load(len);
}

Test(trace, every_truncation_is_an_error)
{
	size_t len;
	uint8_t *b = sample(&len);
	trace_error_t err;
	for (size_t cut = 0; cut < len; cut++) {
		const char *m = damaged(b, cut, &err);
		cr_assert_not_null(m, "truncated at %zu accepted", cut);
		cr_assert(strstr(m, "byte offset"), "%s", m);
	}
	cr_assert_null(damaged(b, len, &err));
	free(b);
}

Test(trace, every_bit_flip_is_an_error)
{
	size_t len;
	uint8_t *b = sample(&len);
	trace_error_t err;
	for (size_t i = 0; i < len; i++)
		for (int bit = 0; bit < 8; bit++) {
			b[i] ^= (uint8_t)(1u << bit);
			const char *m = damaged(b, len, &err);
			cr_assert_not_null(m, "flip of byte %zu bit %d accepted", i, bit);
			b[i] ^= (uint8_t)(1u << bit);
		}
	free(b);
}

Test(trace, prefetch_fails_as_without_it)
{
	size_t len;
	uint8_t *b = sample(&len);
	char what[64];
	for (size_t cut = 0; cut <= len; cut++) {
		snprintf(what, sizeof(what), "cut at %zu", cut);
		assert_prefetch_fails_alike(b, cut, what);
	}
	for (size_t i = 0; i < len; i++)
		for (int bit = 0; bit < 8; bit++) {
			b[i] ^= (uint8_t)(1u << bit);
			snprintf(what, sizeof(what), "flip of byte %zu bit %d", i, bit);
			assert_prefetch_fails_alike(b, len, what);
			b[i] ^= (uint8_t)(1u << bit);
		}
	free(b);
}

static bool more_than_one_cpu(void)
{
	cpu_set_t set;
	return !sched_getaffinity(0, sizeof(set), &set) && CPU_COUNT(&set) > 1;
}

#define PREFETCH_COPIES 300     /* of all_types(), in 3-event chunks */

/*
 * With the next chunk decompressed ahead, trace_next() and trace_next_batch()
 * return the same events, strings included; each copy's strings are its own,
 * so a string read from the wrong chunk buffer shows.
 */
Test(trace, prefetch_reads_the_same_events)
{
	static trace_event_t evs[PREFETCH_COPIES * 32];
	static char names[PREFETCH_COPIES][24];
	size_t n = 0;
	trace_error_t err;

	for (unsigned c = 0; c < PREFETCH_COPIES; c++) {
		size_t k = all_types(evs + n);
		uint32_t len = (uint32_t)snprintf(names[c], sizeof(names[c]), "copy-%u", c);
		for (size_t i = n; i < n + k; i++) {
			evs[i].ts += c * 1000u;
			if (evs[i].type == TRACE_CACHE_CREATE)
				evs[i].cache_create.name = names[c], evs[i].cache_create.name_len = len;
			else if (evs[i].type == TRACE_EXEC)
				evs[i].exec.path = names[c], evs[i].exec.path_len = len;
			else if (evs[i].type == TRACE_MARK)
				evs[i].mark.name = names[c], evs[i].mark.name_len = len;
		}
		n += k;
	}
	write_events(evs, n, 3);
	for (int batch = 0; batch < 2; batch++) {
		trace_reader_t *r = trace_open(path, &err);
		cr_assert_not_null(r, "%s", err.reason);
		cr_assert_eq(trace_reader_prefetch(r), more_than_one_cpu() ? 1 : 0);
		cr_assert_eq(trace_reader_prefetch(r), more_than_one_cpu() ? 1 : 0, "a second call is harmless");
		trace_event_t got[8];
		size_t total = 0;
		ssize_t k;
		for (;;) {
			memset(got, 0, sizeof(got));    /* assert_same compares padding too */
			k = batch ? trace_next_batch(r, got, 8) : trace_next(r, got);
			if (k <= 0)
				break;
			cr_assert_leq(total + (size_t)k, n);
			for (ssize_t i = 0; i < k; i++)
				assert_same(&evs[total + (size_t)i], &got[i], total + (size_t)i);
			total += (size_t)k;
		}
		cr_assert_eq(k, 0, "%s", trace_reader_error(r)->reason);
		cr_assert_eq(total, n);
		trace_close(r);
	}
}

/* Nothing to overlap with one chunk; closing mid-trace stops the helper. */
Test(trace, prefetch_only_with_chunks_to_overlap)
{
	trace_event_t evs[64], ev;
	size_t n = all_types(evs);
	trace_error_t err;

	write_events(evs, n, 0);
	trace_reader_t *r = trace_open(path, &err);
	cr_assert_not_null(r, "%s", err.reason);
	cr_assert_eq(trace_reader_prefetch(r), 0, "one chunk");
	trace_close(r);
	write_events(evs, n, 2);
	r = trace_open(path, &err);
	cr_assert_eq(trace_reader_prefetch(r), more_than_one_cpu() ? 1 : 0);
	cr_assert_eq(trace_next(r, &ev), 1);
	trace_close(r);
}

Test(trace, wrong_magic_and_version)
{
	size_t len;
	uint8_t *b = sample(&len);
	trace_error_t err;
	b[0] = 'X';
	cr_assert(strstr(damaged(b, len, &err), "wrong magic"));
	cr_assert_eq(err.offset, 0);
	b[0] = 'M';
	b[8] = 2;   /* version 2; the header checksum is checked after the version */
	cr_assert(strstr(damaged(b, len, &err), "unsupported trace format version 2"));
	cr_assert_eq(err.offset, 8);
	free(b);
}

Test(trace, error_message_names_file_event_and_offset)
{
	trace_error_t err;
	trace_error_set(&err, "a.mmt", 12, 345, "object id %d out of range", 7);
	char buf[512];
	cr_assert_str_eq(trace_error_format(&err, buf, sizeof(buf)),
			 "a.mmt: event 12 at byte offset 345: object id 7 out of range");
	err.chunk_offset = 9;
	cr_assert_str_eq(trace_error_format(&err, buf, sizeof(buf)),
			 "a.mmt: event 12 (chunk at byte offset 345, +9 in its decompressed events): "
			 "object id 7 out of range");
	err.event = TRACE_NO_EVENT;
	err.chunk_offset = TRACE_NO_EVENT;
	cr_assert_str_eq(trace_error_format(&err, buf, sizeof(buf)),
			 "a.mmt: at byte offset 345: object id 7 out of range");
}

Test(trace, names)
{
	for (unsigned t = 1; t < TRACE_NR_TYPES; t++) {
		const char *n = trace_type_name(t);
		cr_assert_not_null(n);
		cr_assert_eq(trace_type_from_name(n, strlen(n)), (int)t);
	}
	cr_assert_null(trace_type_name(0));
	cr_assert_null(trace_type_name(TRACE_NR_TYPES));
	cr_assert_eq(trace_type_from_name("ALLOCX", 6), -1);
	cr_assert_eq(trace_func_from_name("kmalloc", 7), TRACE_FN_KMALLOC);
	cr_assert_eq(trace_func_from_name("kmallo", 6), -1);
}
