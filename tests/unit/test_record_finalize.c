/*
 * test_record_finalize.c - record_finalize: the k-way merge of raw streams,
 * pointer -> dense id mapping with reuse, realloc/exec/fork rules, recovery
 * from cut streams, errors on malformed ones, the maps one-liner.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "workloads/record_finalize.h"
#include "workloads/recorder/rec_raw.h"

static char dir[64];
static char out[128];

static void setup(void)
{
	strcpy(dir, "/tmp/mmbench-fin-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(out, sizeof(out), "%s/out.mmt", dir);
}

static void teardown(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[512];

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

TestSuite(record_finalize, .init = setup, .fini = teardown);

static rec_raw_t rec(uint8_t type, uint64_t ts, uint64_t a0, uint64_t a1)
{
	rec_raw_t r;

	memset(&r, 0, sizeof(r));
	r.type = type;
	r.ts = ts;
	r.a0 = a0;
	r.a1 = a1;
	return r;
}

static rec_raw_t data(uint64_t d0, uint64_t d1, uint64_t d2)
{
	rec_raw_t r = rec(REC_DATA, d0, d1, d2);
	return r;
}

/* A string record's REC_DATA slots appended to v at *n. */
static void string_slots(rec_raw_t *v, size_t *n, const char *s)
{
	size_t len = strlen(s);

	for (size_t off = 0; off < len; off += REC_DATA_BYTES) {
		rec_raw_t r;
		memset(&r, 0, sizeof(r));
		memcpy((char *)&r + REC_DATA_OFFSET, s + off,
		       len - off < REC_DATA_BYTES ? len - off : REC_DATA_BYTES);
		r.type = REC_DATA;
		v[(*n)++] = r;
	}
}

static void write_stream(uint32_t pid, uint32_t tid, const void *buf, size_t len)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/t.%u.%u.raw", dir, pid, tid);
	FILE *fp = fopen(path, "wb");
	cr_assert_not_null(fp);
	cr_assert_eq(fwrite(buf, 1, len, fp), len);
	fclose(fp);
}

static void write_file(const char *name, const char *text)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *fp = fopen(path, "w");
	cr_assert_not_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static int finalize(record_finalize_stats_t *st, trace_error_t *err)
{
	record_finalize_opts_t o = { .dir = dir, .out = out, .origin_ns = 1000 };

	return record_finalize(&o, st, err);
}

/* Read the whole output trace into evs (at most max); returns the count. */
static size_t read_all(trace_event_t *evs, size_t max, trace_reader_t **keep)
{
	trace_error_t err;
	trace_reader_t *r = trace_open(out, &err);
	size_t n = 0;

	cr_assert_not_null(r, "%s", err.reason);
	while (n < max && trace_next(r, &evs[n]) == 1)
		n++;
	*keep = r;
	return n;
}

Test(record_finalize, merges_streams_in_time_order_and_reuses_ids)
{
	rec_raw_t main_t[] = {
		rec(REC_ALLOC, 1010, 0xa000, 16),      /* id 0 */
		rec(REC_ALLOC, 1030, 0xb000, 32),      /* id 1 */
		rec(REC_FREE, 1050, 0xb000, 0),        /* id 1 back to the pool */
		rec(REC_ALLOC, 1070, 0xc000, 8),       /* reuses id 1 */
	};
	rec_raw_t thread[] = {
		rec(REC_THREAD_START, 1005, 100, 0),    /* created by tid 100 */
		rec(REC_FREE, 1040, 0xa000, 0),        /* frees the main thread's object */
		rec(REC_ALLOC, 1060, 0xa000, 24),      /* same address again: id 0 */
	};
	main_t[2].func = thread[1].func = TRACE_FN_FREE;
	write_stream(100, 100, main_t, sizeof(main_t));
	write_stream(100, 101, thread, sizeof(thread));

	record_finalize_stats_t st;
	trace_error_t err;
	cr_assert_eq(finalize(&st, &err), 0, "%s", err.reason);
	cr_assert_eq(st.nr_records, 7);
	cr_assert_eq(st.nr_events, 7);
	cr_assert_eq(st.unknown_frees, 0);

	trace_event_t ev[16];
	trace_reader_t *r;
	size_t n = read_all(ev, 16, &r);
	cr_assert_eq(n, 7);
	static const uint8_t types[] = { TRACE_FORK, TRACE_ALLOC, TRACE_ALLOC, TRACE_FREE,
					 TRACE_FREE, TRACE_ALLOC, TRACE_ALLOC };
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(ev[i].type, types[i], "event %zu", i);
		cr_assert_eq(ev[i].pid, 100);
		if (i)
			cr_assert_geq(ev[i].ts, ev[i - 1].ts);
	}
	cr_assert_eq(ev[0].ts, 5);
	cr_assert_eq(ev[0].tid, 100);
	cr_assert_eq(ev[0].fork.child, 101);
	cr_assert_eq(ev[0].fork.flags, TRACE_FORK_THREAD);
	cr_assert_eq(ev[1].alloc.id, 0);
	cr_assert_eq(ev[2].alloc.id, 1);
	cr_assert_eq(ev[3].tid, 101);
	cr_assert_eq(ev[3].free.id, 0);
	cr_assert_eq(ev[4].free.id, 1);
	cr_assert_eq(ev[5].alloc.id, 1, "most recently freed id first");
	cr_assert_eq(ev[5].tid, 101);
	cr_assert_eq(ev[6].alloc.id, 0);
	cr_assert_eq(trace_summary(r)->bounds.nr_objects, 2, "ids stay dense");
	cr_assert_str_eq(trace_meta_get(r, "clock_monotonic_origin_ns"), "1000");
	cr_assert_str_eq(trace_meta_get(r, "unknown_frees"), "0");
	trace_close(r);
}

Test(record_finalize, realloc_and_unknown_frees)
{
	rec_raw_t v[] = {
		rec(REC_ALLOC, 1001, 0x1000, 10),              /* id 0 */
		rec(REC_REALLOC, 1002, 0x1000, 0x2000), data(100, 0, 0),   /* moves: 0 -> 1 */
		rec(REC_REALLOC, 1003, 0x2000, 0x2000), data(50, 0, 0),    /* in place */
		rec(REC_FREE, 1004, 0x2000, 0),                /* realloc(p, 0) */
		rec(REC_FREE, 1005, 0x9999, 0),                /* never allocated */
		rec(REC_REALLOC, 1006, 0x7777, 0x3000), data(8, 0, 0),     /* unknown old */
	};
	v[0].func = TRACE_FN_MALLOC;
	v[1].func = v[3].func = v[7].func = TRACE_FN_REALLOC;
	v[5].func = TRACE_FN_REALLOC;
	v[6].func = TRACE_FN_FREE;
	write_stream(7, 7, v, sizeof(v));

	record_finalize_stats_t st;
	trace_error_t err;
	cr_assert_eq(finalize(&st, &err), 0, "%s", err.reason);
	cr_assert_eq(st.unknown_frees, 2);

	trace_event_t ev[16];
	trace_reader_t *r;
	size_t n = read_all(ev, 16, &r);
	cr_assert_eq(n, 5);
	cr_assert_eq(ev[1].type, TRACE_REALLOC);
	cr_assert_eq(ev[1].realloc.old_id, 0);
	cr_assert_eq(ev[1].realloc.new_id, 1);
	cr_assert_eq(ev[1].realloc.size, 100);
	cr_assert_eq(ev[2].type, TRACE_REALLOC);
	cr_assert_eq(ev[2].realloc.old_id, 1);
	cr_assert_eq(ev[2].realloc.new_id, 1);
	cr_assert_eq(ev[2].realloc.size, 50);
	cr_assert_eq(ev[3].type, TRACE_FREE);
	cr_assert_eq(ev[3].free.id, 1);
	cr_assert_eq(ev[3].free.func, TRACE_FN_REALLOC);
	cr_assert_eq(ev[4].type, TRACE_ALLOC, "a realloc of an unknown pointer is an ALLOC");
	cr_assert_eq(ev[4].alloc.size, 8);
	cr_assert_str_eq(trace_meta_get(r, "unknown_frees"), "2");
	trace_close(r);
}

Test(record_finalize, mmap_files_exec_and_fork_rules)
{
	rec_raw_t v[32];
	size_t n = 0;

	/* pid 300: starts (the root: EXEC, no FORK), maps a file twice and anon
	 * memory, execs /bin/x for real, and a failed exec of /nope */
	v[n++] = rec(REC_START, 1001, 1, 9);
	string_slots(v, &n, "/bin/root");
	v[n++] = rec(REC_MMAP, 1002, 0, 8192);
	v[n - 1].x = 1;
	v[n++] = data(4096 * 3, 0x5000, 2);
	v[n++] = data(8, 1234, 0);
	v[n++] = rec(REC_MMAP, 1003, 0, 4096);
	v[n++] = data(0, 0x9000, 2);
	v[n++] = data(8, 1234, 0);
	v[n++] = rec(REC_MMAP, 1004, 0, 4096);
	v[n++] = data(0, 0xa000, 0x22);
	v[n++] = data(0, 0, 0);
	v[n++] = rec(REC_EXEC, 1005, 5, 0);
	string_slots(v, &n, "/nope");
	v[n++] = rec(REC_ALLOC, 1006, 0x10, 1);        /* the old image went on */
	v[n++] = rec(REC_EXEC, 1007, 6, 0);
	string_slots(v, &n, "/bin/x");
	v[n++] = rec(REC_START, 1008, 1, 6);
	string_slots(v, &n, "/bin/x");
	v[n++] = rec(REC_FREE, 1009, 0x10, 0);         /* gone with the old image */
	v[n - 1].func = TRACE_FN_FREE;
	write_stream(300, 300, v, n * sizeof(v[0]));
	/* pid 301: started by 300 without a recorded fork (posix_spawn) */
	n = 0;
	v[n++] = rec(REC_START, 1010, 300, 7);
	string_slots(v, &n, "/bin/sp");
	v[n++] = rec(REC_EXIT, 1011, 3, 0);
	write_stream(301, 301, v, n * sizeof(v[0]));

	record_finalize_stats_t st;
	trace_error_t err;
	record_finalize_opts_t o = { .dir = dir, .out = out, .origin_ns = 1000, .root_pid = 300 };
	cr_assert_eq(record_finalize(&o, &st, &err), 0, "%s", err.reason);

	trace_event_t ev[16];
	trace_reader_t *r;
	n = read_all(ev, 16, &r);
	static const uint8_t types[] = { TRACE_EXEC, TRACE_MMAP, TRACE_MMAP, TRACE_MMAP,
					 TRACE_ALLOC, TRACE_EXEC, TRACE_FORK, TRACE_EXEC,
					 TRACE_EXIT };
	cr_assert_eq(n, sizeof(types), "got %zu events", n);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(ev[i].type, types[i], "event %zu", i);
	cr_assert_eq(ev[0].exec.path_len, 9);
	cr_assert(!memcmp(ev[0].exec.path, "/bin/root", 9));
	cr_assert_eq(ev[1].mmap.file, 0);
	cr_assert_eq(ev[1].mmap.pgoff, 3);
	cr_assert_eq(ev[1].mmap.result, 0x5000);
	cr_assert_eq(ev[1].mmap.prot, 1);
	cr_assert_eq(ev[2].mmap.file, 0, "same (dev, ino), same file id");
	cr_assert_eq(ev[3].mmap.file, TRACE_NO_ID);
	cr_assert_eq(ev[3].mmap.flags, 0x22);
	cr_assert(ev[5].exec.path_len == 6 && !memcmp(ev[5].exec.path, "/bin/x", 6));
	cr_assert_eq(ev[6].pid, 300);
	cr_assert_eq(ev[6].fork.child, 301);
	cr_assert_eq(ev[7].pid, 301);
	cr_assert_eq(ev[8].exit.code, 3);
	cr_assert_eq(st.unknown_frees, 1, "the free after exec is of an old-image pointer");
	cr_assert_eq(trace_summary(r)->bounds.nr_files, 1);
	trace_close(r);
}

/* A 16-byte REC_ALLOC16 / REC_FREE16 slot (rec_raw.h). */
static rec_short_t short_rec(uint8_t type, uint8_t func, uint32_t dts, uint64_t ptr, uint64_t size)
{
	rec_short_t q;

	memset(&q, 0, sizeof(q));
	q.type = type;
	q.func = func;
	q.cpu = 1;
	q.dts = dts;
	q.ptr_size = ptr | size << REC_SHORT_PTR_BITS;
	return q;
}

Test(record_finalize, short_records_count_time_from_the_record_before)
{
	unsigned char buf[8 * sizeof(rec_raw_t)];
	size_t o = 0;
	rec_raw_t a = rec(REC_ALLOC, 1100, 0x7f0000001000, 5000);
	rec_raw_t m = rec(REC_MPROTECT, 1200, 0x7f0000000000, 4096);
	rec_short_t s1 = short_rec(REC_ALLOC16, TRACE_FN_CALLOC, 7, 0x7f0000002000, 65535);
	rec_short_t s2 = short_rec(REC_FREE16, TRACE_FN_FREE, 3, 0x7f0000001000, 0);
	rec_short_t s3 = short_rec(REC_FREE16, TRACE_FN_REALLOC, 20, 0x7f0000002000, 0);
	a.func = TRACE_FN_MALLOC;

#define PUT(x) (memcpy(buf + o, &(x), sizeof(x)), o += sizeof(x))
	PUT(a);
	PUT(s1);        /* 1107 */
	PUT(s2);        /* 1110 */
	PUT(m);         /* 1200: a full record resets the base */
	PUT(s3);        /* 1220 */
	PUT(a);         /* cut: only its first half is written */
#undef PUT
	write_stream(9, 9, buf, o - sizeof(rec_raw_t) / 2);

	record_finalize_stats_t st;
	trace_error_t err;
	cr_assert_eq(finalize(&st, &err), 0, "%s", err.reason);
	cr_assert_eq(st.truncated_bytes, 16, "half a full record is cut");
	cr_assert_eq(st.nr_records, 5);

	trace_event_t ev[16];
	trace_reader_t *r;
	size_t n = read_all(ev, 16, &r);
	cr_assert_eq(n, 5);
	cr_assert_eq(ev[0].type, TRACE_ALLOC);
	cr_assert_eq(ev[0].ts, 100);
	cr_assert_eq(ev[1].type, TRACE_ALLOC);
	cr_assert_eq(ev[1].ts, 107);
	cr_assert_eq(ev[1].alloc.id, 1);
	cr_assert_eq(ev[1].alloc.size, 65535);
	cr_assert_eq(ev[1].alloc.func, TRACE_FN_CALLOC);
	cr_assert_eq(ev[1].cpu, 1);
	cr_assert_eq(ev[2].type, TRACE_FREE);
	cr_assert_eq(ev[2].ts, 110);
	cr_assert_eq(ev[2].free.id, 0, "the pointer of the full ALLOC");
	cr_assert_eq(ev[3].type, TRACE_MPROTECT);
	cr_assert_eq(ev[4].type, TRACE_FREE);
	cr_assert_eq(ev[4].ts, 220);
	cr_assert_eq(ev[4].free.id, 1);
	cr_assert_eq(ev[4].free.func, TRACE_FN_REALLOC);
	trace_close(r);
}

Test(record_finalize, outcome_files_become_metadata)
{
	rec_raw_t v[] = { rec(REC_ALLOC, 1001, 0x10, 1), rec(REC_EXIT, 1002, 0, 0) };
	write_stream(42, 42, v, sizeof(v));
	write_file("p.42.exit", "minflt 120\nmajflt 3\nmaxrss_kb 5000\nvmhwm_kb 4900\nlost 7\n");
	write_file("p.42.maps_start",
		   "00400000-00452000 r-xp 00000000 08:02 173521      /usr/bin/dbus-daemon\n"
		   "7ffd5a3e2000-7ffd5a403000 rw-p 00000000 00:00 0   [stack]\n"
		   "7f0000000000-7f0000001000 rw-p 00000000 00:00 0\n");

	record_finalize_stats_t st;
	trace_error_t err;
	cr_assert_eq(finalize(&st, &err), 0, "%s", err.reason);
	cr_assert_eq(st.lost_records, 7);
	trace_event_t ev[4];
	trace_reader_t *r;
	cr_assert_eq(read_all(ev, 4, &r), 2);
	cr_assert_str_eq(trace_meta_get(r, "real.minflt"), "120");
	cr_assert_str_eq(trace_meta_get(r, "real.maxrss_kb"), "5000");
	cr_assert_str_eq(trace_meta_get(r, "proc.42.majflt"), "3");
	cr_assert_str_eq(trace_meta_get(r, "proc.42.vmhwm_kb"), "4900");
	cr_assert_str_eq(trace_meta_get(r, "lost_records"), "7");
	cr_assert_str_eq(trace_meta_get(r, "proc.42.maps_start"),
			 "00400000-00452000 r-xp dbus-daemon; 7ffd5a3e2000-7ffd5a403000 rw-p [stack]; "
			 "7f0000000000-7f0000001000 rw-p -");
	cr_assert_null(trace_meta_get(r, "proc.42.maps_end"));
	trace_close(r);
}

Test(record_finalize, cut_stream_is_recovered_and_counted)
{
	rec_raw_t v[2] = { rec(REC_ALLOC, 1001, 0x10, 1), rec(REC_ALLOC, 1002, 0x20, 1) };
	write_stream(5, 5, v, sizeof(v) - 16);  /* killed while writing */

	record_finalize_stats_t st;
	trace_error_t err;
	cr_assert_eq(finalize(&st, &err), 0, "%s", err.reason);
	cr_assert_eq(st.truncated_bytes, 16);
	cr_assert_eq(st.nr_events, 1);
}

Test(record_finalize, unknown_record_type_is_an_error_with_place)
{
	rec_raw_t v[3] = { rec(REC_ALLOC, 1001, 0x10, 1), rec(REC_FREE, 1002, 0x10, 0),
			   rec(99, 1003, 0, 0) };
	v[1].func = TRACE_FN_FREE;
	write_stream(5, 6, v, sizeof(v));

	trace_error_t err;
	cr_assert_eq(finalize(NULL, &err), -1);
	cr_assert(strstr(err.file, "t.5.6.raw"), "%s", err.file);
	cr_assert_eq(err.event, 2);
	cr_assert_eq(err.offset, 2 * sizeof(rec_raw_t));
	cr_assert(strstr(err.reason, "unknown record type 99"), "%s", err.reason);
	cr_assert_eq(access(out, F_OK), -1, "no trace left behind");
}

Test(record_finalize, invalid_function_is_an_error_with_place)
{
	rec_raw_t v[2] = { rec(REC_ALLOC, 1001, 0x10, 1), rec(REC_FREE, 1002, 0x10, 0) };
	v[1].func = TRACE_FN_MALLOC;
	write_stream(5, 6, v, sizeof(v));

	trace_error_t err;
	cr_assert_eq(finalize(NULL, &err), -1);
	cr_assert(strstr(err.file, "t.5.6.raw"), "%s", err.file);
	cr_assert_eq(err.event, 1);
	cr_assert_eq(err.offset, sizeof(rec_raw_t));
	cr_assert(strstr(err.reason, "function 0 not valid"), "%s", err.reason);
}

Test(record_finalize, empty_directory_is_an_error)
{
	trace_error_t err;

	cr_assert_eq(finalize(NULL, &err), -1);
	cr_assert(strstr(err.reason, "no recorded streams"), "%s", err.reason);
}

Test(record_finalize, long_maps_are_cut_at_a_line)
{
	char *maps = malloc(200 * 80), out_line[TRACE_MAX_STRING + 1];
	size_t len = 0;

	for (int i = 0; i < 200; i++)
		len += (size_t)sprintf(maps + len, "%012x-%012x r--p 00000000 08:01 1 /usr/lib/libx%d.so\n",
				       i * 4096, (i + 1) * 4096, i);
	size_t nr = record_maps_compact(maps, len, out_line, sizeof(out_line));
	cr_assert_lt(nr, 200);
	cr_assert_leq(strlen(out_line), TRACE_MAX_STRING);
	char tail[32];
	snprintf(tail, sizeof(tail), "; ...+%zu", 200 - nr);
	cr_assert(strstr(out_line, tail), "%s", out_line + strlen(out_line) - 40);
	cr_assert_null(strchr(out_line, '\n'));
	free(maps);
}

Test(record_finalize, touch_model_writes_each_new_page_once)
{
	rec_raw_t t[] = {
		rec(REC_ALLOC, 1010, 0x10000, 16),     /* page 0x10 */
		rec(REC_ALLOC, 1020, 0x10100, 8192),   /* pages 0x10 (already), 0x11, 0x12 */
		rec(REC_MUNMAP, 1030, 0x11000, 4096),  /* page 0x11 goes */
		rec(REC_ALLOC, 1040, 0x11000, 100),    /* page 0x11 again */
	};
	t[0].func = t[1].func = t[3].func = TRACE_FN_MALLOC;
	write_stream(100, 100, t, sizeof(t));

	record_finalize_opts_t o = { .dir = dir, .out = out, .origin_ns = 1000, .touch = true };
	record_finalize_stats_t st;
	trace_error_t err;
	cr_assert_eq(record_finalize(&o, &st, &err), 0, "%s", err.reason);
	cr_assert_eq(st.touch_events, 4);

	trace_event_t ev[16];
	trace_reader_t *r;
	size_t n = read_all(ev, 16, &r);
	uint64_t want[] = { 0x10000, 0x11000, 0x12000, 0x11000 };
	unsigned k = 0;
	cr_assert_eq(n, 8);
	for (size_t i = 0; i < n; i++) {
		if (ev[i].type != TRACE_ACCESS)
			continue;
		cr_assert_lt(k, 4);
		cr_assert_eq(ev[i].access.addr, want[k], "touch %u at %#lx", k, (unsigned long)ev[i].access.addr);
		cr_assert_eq(ev[i].access.flags, TRACE_FAULT_WRITE | TRACE_FAULT_USER | TRACE_ACCESS_TOUCH);
		cr_assert_eq(ev[i - 1].type == TRACE_ALLOC || ev[i - 1].type == TRACE_ACCESS, true);
		k++;
	}
	cr_assert_eq(k, 4);
	trace_close(r);
}

/* ---------------------------------------------------------------- streaming */

/* A stream's bytes as the recorder writes them. */
typedef struct raw_buf {
	unsigned char b[4096];
	size_t len;
} raw_buf_t;

static void put_raw(raw_buf_t *s, const void *p, size_t len)
{
	cr_assert_leq(s->len + len, sizeof(s->b));
	memcpy(s->b + s->len, p, len);
	s->len += len;
}

static void put_rec(raw_buf_t *s, rec_raw_t r)
{
	put_raw(s, &r, sizeof(r));
}

static void put_string(raw_buf_t *s, const char *str)
{
	rec_raw_t v[8];
	size_t n = 0;

	string_slots(v, &n, str);
	put_raw(s, v, n * sizeof(v[0]));
}

/*
 * Three streams with every kind of item: pid 300's main thread (START with
 * its path, full and short records, REALLOC and MMAP with their REC_DATA
 * slots, an exec confirmed by the new image's START, a FORK, EXIT and
 * REC_END), a thread of it ending with its EXIT, and the fork child 301.
 */
static void streaming_streams(raw_buf_t s[3])
{
	memset(s, 0, 3 * sizeof(*s));
	put_rec(&s[0], rec(REC_START, 1001, 1, 9));
	put_string(&s[0], "/bin/root");
	put_rec(&s[0], rec(REC_ALLOC, 1002, 0x1000, 100));
	rec_short_t q = short_rec(REC_ALLOC16, TRACE_FN_MALLOC, 2, 0x2000, 16);
	put_raw(&s[0], &q, sizeof(q));
	rec_raw_t re = rec(REC_REALLOC, 1010, 0x1000, 0x3000);
	re.func = TRACE_FN_REALLOC;
	put_rec(&s[0], re);
	put_rec(&s[0], data(200, 0, 0));
	rec_raw_t m = rec(REC_MMAP, 1011, 0, 8192);
	m.x = 3;
	put_rec(&s[0], m);
	put_rec(&s[0], data(0, 0x7000, 0x22));
	put_rec(&s[0], data(0, 0, 0));
	q = short_rec(REC_FREE16, TRACE_FN_FREE, 4, 0x3000, 0);
	put_raw(&s[0], &q, sizeof(q));
	put_rec(&s[0], rec(REC_EXEC, 1022, 6, 0));
	put_string(&s[0], "/bin/x");
	put_rec(&s[0], rec(REC_START, 1023, 1, 6));
	put_string(&s[0], "/bin/x");
	put_rec(&s[0], rec(REC_ALLOC, 1030, 0x4000, 64));
	put_rec(&s[0], rec(REC_FORK, 1031, 301, 0));
	put_rec(&s[0], rec(REC_EXIT, 1050, 0, 0));
	put_rec(&s[0], rec(REC_END, 1050, 0, 0));

	put_rec(&s[1], rec(REC_THREAD_START, 1005, 300, 0));
	put_rec(&s[1], rec(REC_ALLOC, 1012, 0x5000, 48));
	rec_raw_t fr = rec(REC_FREE, 1020, 0x2000, 0);
	fr.func = TRACE_FN_FREE;
	put_rec(&s[1], fr);
	rec_raw_t ex = rec(REC_EXIT, 1025, 0, 0);
	ex.x = TRACE_EXIT_THREAD;
	put_rec(&s[1], ex);

	put_rec(&s[2], rec(REC_ALLOC, 1040, 0x6000, 32));
	fr = rec(REC_FREE, 1041, 0x6000, 0);
	fr.func = TRACE_FN_FREE;
	put_rec(&s[2], fr);
	put_rec(&s[2], rec(REC_EXIT, 1045, 7, 0));
	put_rec(&s[2], rec(REC_END, 1045, 0, 0));
}

static const uint32_t stream_ids[3][2] = { { 300, 300 }, { 300, 301 }, { 301, 301 } };

/* Append bytes [from, to) of stream i to its file in d. */
static void append_stream(const char *d, const raw_buf_t *s, size_t i, size_t from, size_t to)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/t.%u.%u.raw", d, stream_ids[i][0], stream_ids[i][1]);
	FILE *fp = fopen(path, "ab");
	cr_assert_not_null(fp);
	cr_assert_eq(fwrite(s->b + from, 1, to - from, fp), to - from);
	fclose(fp);
}

/* The batch trace of the three complete streams, into out; returns its bytes (malloc'd). */
static unsigned char *batch_trace(const raw_buf_t s[3], size_t *len)
{
	for (size_t i = 0; i < 3; i++)
		append_stream(dir, &s[i], i, 0, s[i].len);
	record_finalize_opts_t o = { .dir = dir, .out = out, .origin_ns = 1000, .root_pid = 300,
				     .touch = true };
	trace_error_t err;
	cr_assert_eq(record_finalize(&o, NULL, &err), 0, "%s", err.reason);
	FILE *fp = fopen(out, "rb");
	cr_assert_not_null(fp);
	unsigned char *b = malloc(1 << 16);
	*len = fread(b, 1, 1 << 16, fp);
	fclose(fp);
	return b;
}

static void same_file(const char *path, const unsigned char *want, size_t len)
{
	unsigned char got[1 << 16];
	FILE *fp = fopen(path, "rb");

	cr_assert_not_null(fp);
	size_t n = fread(got, 1, sizeof(got), fp);
	fclose(fp);
	cr_assert_eq(n, len, "streamed trace is %zu bytes, batch %zu", n, len);
	cr_assert(!memcmp(got, want, len), "streamed trace differs from the batch one");
}

static void remove_tree(const char *d)
{
	char path[512];

	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/t.%u.%u.raw", d, stream_ids[i][0], stream_ids[i][1]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/out.mmt", d);
	unlink(path);
	rmdir(d);
}

Test(record_finalize, streaming_in_pieces_gives_the_batch_trace)
{
	raw_buf_t s[3];
	size_t want_len;

	streaming_streams(s);
	unsigned char *want = batch_trace(s, &want_len);
	/* the streams grow 24 bytes at a time (records, their data slots and
	 * units are cut anywhere), a step after each round */
	for (size_t piece = 8; piece <= 56; piece += 24) {
		char d[128], o2[160];
		snprintf(d, sizeof(d), "%s/s", dir);
		cr_assert_eq(mkdir(d, 0700), 0);
		snprintf(o2, sizeof(o2), "%s/out.mmt", d);
		record_finalize_opts_t o = { .dir = d, .out = o2, .origin_ns = 1000,
					     .root_pid = 300, .touch = true };
		trace_error_t err;
		record_finalizer_t *f = record_finalize_start(&o, &err);
		cr_assert_not_null(f, "%s", err.reason);
		size_t done[3] = { 0 }, events = 0;
		for (bool more = true; more;) {
			more = false;
			for (size_t i = 0; i < 3; i++) {
				size_t to = done[i] + piece < s[i].len ? done[i] + piece : s[i].len;
				if (to > done[i])
					append_stream(d, &s[i], i, done[i], to);
				more |= to < s[i].len;
				done[i] = to;
			}
			int64_t n = record_finalize_step(f);
			cr_assert_geq(n, 0, "%s", err.reason);
			events += (size_t)n;
		}
		record_finalize_stats_t st;
		cr_assert_eq(record_finalize_finish(f, &st), 0, "%s", err.reason);
		cr_assert(!st.restarted);
		cr_assert_eq(st.nr_streamed, events);
		cr_assert_eq(events, st.nr_events, "pieces of %zu bytes: %zu of %" PRIu64
			     " events written by the last step, when every stream had ended",
			     piece, events, st.nr_events);
		same_file(o2, want, want_len);
		remove_tree(d);
	}
	free(want);
}

Test(record_finalize, stream_older_than_what_was_written_restarts)
{
	raw_buf_t s[3];
	size_t want_len;

	streaming_streams(s);
	unsigned char *want = batch_trace(s, &want_len);
	char d[128], o2[160];
	snprintf(d, sizeof(d), "%s/s", dir);
	cr_assert_eq(mkdir(d, 0700), 0);
	snprintf(o2, sizeof(o2), "%s/out.mmt", d);
	record_finalize_opts_t o = { .dir = d, .out = o2, .origin_ns = 1000, .root_pid = 300,
				     .touch = true };
	trace_error_t err;
	record_finalizer_t *f = record_finalize_start(&o, &err);
	cr_assert_not_null(f, "%s", err.reason);
	append_stream(d, &s[0], 0, 0, s[0].len);
	append_stream(d, &s[1], 1, 0, s[1].len);
	cr_assert_gt(record_finalize_step(f), 0, "both streams ended: all written");
	append_stream(d, &s[2], 2, 0, s[2].len);      /* the child's, from before pid 300's exit */
	cr_assert_eq(record_finalize_step(f), 0);
	record_finalize_stats_t st;
	cr_assert_eq(record_finalize_finish(f, &st), 0, "%s", err.reason);
	cr_assert(st.restarted);
	same_file(o2, want, want_len);
	remove_tree(d);
	free(want);
}

/* A finalizer streaming DIR/s (made here) into DIR/s/out.mmt; d and o2 get the paths. */
static record_finalizer_t *streaming_start(char d[128], char o2[160], record_finalize_opts_t *o,
					   trace_error_t *err)
{
	snprintf(d, 128, "%s/s", dir);
	cr_assert_eq(mkdir(d, 0700), 0);
	snprintf(o2, 160, "%s/out.mmt", d);
	*o = (record_finalize_opts_t){ .dir = d, .out = o2, .origin_ns = 1000, .root_pid = 300 };
	record_finalizer_t *f = record_finalize_start(o, err);
	cr_assert_not_null(f, "%s", err->reason);
	return f;
}

/* How many of the events of the trace at path have a time up to ts (raw ns, origin 1000). */
static size_t events_up_to(const char *path, uint64_t ts, size_t *total)
{
	trace_error_t err;
	trace_event_t ev;
	trace_reader_t *r = trace_open(path, &err);
	size_t n = 0;

	cr_assert_not_null(r, "%s", err.reason);
	*total = 0;
	while (trace_next(r, &ev) == 1) {
		n += ev.ts + 1000 <= ts;
		++*total;
	}
	trace_close(r);
	return n;
}

Test(record_finalize, stream_not_ended_holds_back_what_comes_after_it)
{
	raw_buf_t s[3];
	char d[128], o2[160];
	record_finalize_opts_t o;
	trace_error_t err;

	streaming_streams(s);
	record_finalizer_t *f = streaming_start(d, o2, &o, &err);
	/* the thread's stream up to its FREE at 1020 (no EXIT yet), all of the main one's */
	append_stream(d, &s[1], 1, 0, 3 * sizeof(rec_raw_t));
	append_stream(d, &s[0], 0, 0, s[0].len);
	int64_t n = record_finalize_step(f);
	/* the thread's last record read is its FREE at 1020: what is later waits */
	record_finalize_stats_t st;
	cr_assert_eq(record_finalize_finish(f, &st), 0, "%s", err.reason);
	size_t total, before = events_up_to(o2, 1020, &total);
	cr_assert_lt(before, total);
	cr_assert_eq((size_t)n, before, "step wrote %" PRId64 " events, %zu are up to 1020",
		     n, before);
	remove_tree(d);
}

Test(record_finalize, waiting_stream_does_not_hold_back)
{
	raw_buf_t s[3];
	char d[128], o2[160];
	record_finalize_opts_t o;
	trace_error_t err;

	streaming_streams(s);
	record_finalizer_t *f = streaming_start(d, o2, &o, &err);
	/* the thread is blocked in a wait after its FREE at 1020; main is all there but for its end */
	raw_buf_t t = { .len = 0 };
	put_raw(&t, s[1].b, 3 * sizeof(rec_raw_t));
	rec_raw_t w = rec(REC_WAIT, 1021, 0, 0);
	w.x = REC_WAIT_BEGIN;
	put_rec(&t, w);
	append_stream(d, &t, 1, 0, t.len);
	size_t main_len = s[0].len - 2 * sizeof(rec_raw_t);    /* without EXIT and END */
	append_stream(d, &s[0], 0, 0, main_len);
	int64_t n = record_finalize_step(f);
	/* main (not ended, not waiting) bounds at its last record, the FORK at 1031: all up to it is written */
	cr_assert_gt(n, 0, "%s", err.reason);
	w.ts = 1050;
	w.x = REC_WAIT_END;
	raw_buf_t t2 = { .len = 0 };
	put_rec(&t2, w);
	put_raw(&t2, s[1].b + 3 * sizeof(rec_raw_t), sizeof(rec_raw_t));       /* EXIT */
	append_stream(d, &t2, 1, 0, t2.len);
	append_stream(d, &s[0], 0, main_len, s[0].len);
	append_stream(d, &s[2], 2, 0, s[2].len);
	record_finalize_stats_t st;
	cr_assert_eq(record_finalize_finish(f, &st), 0, "%s", err.reason);
	cr_assert(!st.restarted);
	size_t total, before = events_up_to(o2, 1031, &total);
	cr_assert_lt(before, total);
	cr_assert_eq((size_t)n, before, "step wrote %" PRId64 " events, %zu are up to 1031 "
		     "(the waiting thread's 1020 no bound)", n, before);
	remove_tree(d);
}
