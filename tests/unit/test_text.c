/*
 * test_text.c - the trace text form (traces/text.c): canonical printing,
 * dump -> import -> dump identity for every event type, field order and
 * defaults, and one error per malformed-input category with its line,
 * byte offset and event index.
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "traces/text.h"
#include "traces/trace.h"

/* ------------------------------------------------------------ fixtures */

static char tmpdir[64];

static void tmp_setup(void)
{
	strcpy(tmpdir, "/tmp/mmbench-text-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir), "mkdtemp");
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void tmp_teardown(void)
{
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A path under the test's temporary directory (static buffer per call site). */
static char *tmp_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
	return buf;
}

TestSuite(text, .init = tmp_setup, .fini = tmp_teardown);

/* ------------------------------------------------------------ helpers */

static void write_trace(const char *path, const trace_meta_t *meta, size_t nr_meta,
			const trace_event_t *ev, size_t n)
{
	trace_error_t err;
	char msg[512];
	trace_writer_t *w = trace_writer_open(path, meta, nr_meta, NULL, &err);
	cr_assert_not_null(w, "%s", trace_error_format(&err, msg, sizeof(msg)));
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(trace_write(w, &ev[i]), 0, "event %zu: %s", i,
			     trace_writer_error(w)->reason);
	cr_assert_eq(trace_writer_close(w, &err), 0, "%s",
		     trace_error_format(&err, msg, sizeof(msg)));
}

/* text_dump of the trace at path, as a malloc()ed string (*len bytes). */
static char *dump_file(const char *path, size_t *len)
{
	trace_error_t err;
	char msg[512];
	char *buf = NULL;
	size_t blen = 0;
	trace_reader_t *r = trace_open(path, &err);
	cr_assert_not_null(r, "%s", trace_error_format(&err, msg, sizeof(msg)));
	FILE *f = open_memstream(&buf, &blen);
	cr_assert_not_null(f);
	cr_assert_eq(text_dump(r, f, &err), 0, "%s",
		     trace_error_format(&err, msg, sizeof(msg)));
	fclose(f);
	trace_close(r);
	if (len)
		*len = blen;
	return buf;
}

static void import_ok(const char *text, size_t len, const char *out)
{
	trace_error_t err;
	char msg[512];
	cr_assert_eq(text_import_mem(text, len, "in.txt", out, NULL, &err), 0, "%s",
		     trace_error_format(&err, msg, sizeof(msg)));
}

/* Read every event of path into ev[max] (strings copied into pool); returns the count. */
static size_t read_events(const char *path, trace_event_t *ev, size_t max, char *pool,
			  size_t pool_len)
{
	trace_error_t err;
	char msg[512];
	trace_reader_t *r = trace_open(path, &err);
	cr_assert_not_null(r, "%s", trace_error_format(&err, msg, sizeof(msg)));
	size_t n = 0, used = 0;
	int rc;
	while ((rc = trace_next(r, &ev[n])) == 1) {
		const char **s = NULL;
		uint32_t len = 0;
		switch (ev[n].type) {
		case TRACE_CACHE_CREATE:
			s = &ev[n].cache_create.name;
			len = ev[n].cache_create.name_len;
			break;
		case TRACE_EXEC:
			s = &ev[n].exec.path;
			len = ev[n].exec.path_len;
			break;
		case TRACE_MARK:
			s = &ev[n].mark.name;
			len = ev[n].mark.name_len;
			break;
		}
		if (s) {
			cr_assert_leq(used + len, pool_len);
			memcpy(pool + used, *s, len);
			*s = pool + used;
			used += len;
		}
		cr_assert_lt(++n, max);
	}
	cr_assert_eq(rc, 0, "%s", trace_reader_error(r)->reason);
	trace_close(r);
	return n;
}

static void assert_str_eq(const char *a, uint32_t alen, const char *b, uint32_t blen,
			  size_t i)
{
	cr_assert_eq(alen, blen, "event %zu: string length %u != %u", i, alen, blen);
	cr_assert(alen == 0 || !memcmp(a, b, alen), "event %zu: string bytes differ", i);
}

/* Field-by-field equality, strings by content. */
static void assert_event_eq(const trace_event_t *a, const trace_event_t *b, size_t i)
{
	cr_assert_eq(a->ts, b->ts, "event %zu ts", i);
	cr_assert_eq(a->cpu, b->cpu, "event %zu cpu", i);
	cr_assert_eq(a->pid, b->pid, "event %zu pid", i);
	cr_assert_eq(a->tid, b->tid, "event %zu tid", i);
	cr_assert_eq(a->type, b->type, "event %zu type", i);
	switch (a->type) {
	case TRACE_ALLOC:
		cr_assert_eq(a->alloc.id, b->alloc.id, "event %zu", i);
		cr_assert_eq(a->alloc.cache, b->alloc.cache, "event %zu", i);
		cr_assert_eq(a->alloc.size, b->alloc.size, "event %zu", i);
		cr_assert_eq(a->alloc.align, b->alloc.align, "event %zu", i);
		cr_assert_eq(a->alloc.gfp, b->alloc.gfp, "event %zu", i);
		cr_assert_eq(a->alloc.func, b->alloc.func, "event %zu", i);
		break;
	case TRACE_FREE:
		cr_assert_eq(a->free.id, b->free.id, "event %zu", i);
		cr_assert_eq(a->free.cache, b->free.cache, "event %zu", i);
		cr_assert_eq(a->free.func, b->free.func, "event %zu", i);
		break;
	case TRACE_REALLOC:
		cr_assert_eq(a->realloc.old_id, b->realloc.old_id, "event %zu", i);
		cr_assert_eq(a->realloc.new_id, b->realloc.new_id, "event %zu", i);
		cr_assert_eq(a->realloc.size, b->realloc.size, "event %zu", i);
		cr_assert_eq(a->realloc.func, b->realloc.func, "event %zu", i);
		break;
	case TRACE_CACHE_CREATE:
		cr_assert_eq(a->cache_create.cache, b->cache_create.cache, "event %zu", i);
		cr_assert_eq(a->cache_create.flags, b->cache_create.flags, "event %zu", i);
		cr_assert_eq(a->cache_create.size, b->cache_create.size, "event %zu", i);
		cr_assert_eq(a->cache_create.align, b->cache_create.align, "event %zu", i);
		assert_str_eq(a->cache_create.name, a->cache_create.name_len,
			      b->cache_create.name, b->cache_create.name_len, i);
		break;
	case TRACE_CACHE_DESTROY:
		cr_assert_eq(a->cache_destroy.cache, b->cache_destroy.cache, "event %zu", i);
		break;
	case TRACE_PAGE_ALLOC:
		cr_assert_eq(a->page_alloc.page, b->page_alloc.page, "event %zu", i);
		cr_assert_eq(a->page_alloc.gfp, b->page_alloc.gfp, "event %zu", i);
		cr_assert_eq(a->page_alloc.order, b->page_alloc.order, "event %zu", i);
		cr_assert_eq(a->page_alloc.migratetype, b->page_alloc.migratetype,
			     "event %zu", i);
		break;
	case TRACE_PAGE_FREE:
		cr_assert_eq(a->page_free.page, b->page_free.page, "event %zu", i);
		cr_assert_eq(a->page_free.order, b->page_free.order, "event %zu", i);
		break;
	case TRACE_MMAP:
		cr_assert_eq(a->mmap.addr, b->mmap.addr, "event %zu", i);
		cr_assert_eq(a->mmap.len, b->mmap.len, "event %zu", i);
		cr_assert_eq(a->mmap.pgoff, b->mmap.pgoff, "event %zu", i);
		cr_assert_eq(a->mmap.result, b->mmap.result, "event %zu", i);
		cr_assert_eq(a->mmap.prot, b->mmap.prot, "event %zu", i);
		cr_assert_eq(a->mmap.flags, b->mmap.flags, "event %zu", i);
		cr_assert_eq(a->mmap.file, b->mmap.file, "event %zu", i);
		cr_assert_eq(a->mmap.err, b->mmap.err, "event %zu", i);
		break;
	case TRACE_MUNMAP:
		cr_assert_eq(a->munmap.addr, b->munmap.addr, "event %zu", i);
		cr_assert_eq(a->munmap.len, b->munmap.len, "event %zu", i);
		cr_assert_eq(a->munmap.err, b->munmap.err, "event %zu", i);
		break;
	case TRACE_MREMAP:
		cr_assert_eq(a->mremap.addr, b->mremap.addr, "event %zu", i);
		cr_assert_eq(a->mremap.old_len, b->mremap.old_len, "event %zu", i);
		cr_assert_eq(a->mremap.new_len, b->mremap.new_len, "event %zu", i);
		cr_assert_eq(a->mremap.new_addr, b->mremap.new_addr, "event %zu", i);
		cr_assert_eq(a->mremap.result, b->mremap.result, "event %zu", i);
		cr_assert_eq(a->mremap.flags, b->mremap.flags, "event %zu", i);
		cr_assert_eq(a->mremap.err, b->mremap.err, "event %zu", i);
		break;
	case TRACE_MPROTECT:
		cr_assert_eq(a->mprotect.addr, b->mprotect.addr, "event %zu", i);
		cr_assert_eq(a->mprotect.len, b->mprotect.len, "event %zu", i);
		cr_assert_eq(a->mprotect.prot, b->mprotect.prot, "event %zu", i);
		cr_assert_eq(a->mprotect.err, b->mprotect.err, "event %zu", i);
		break;
	case TRACE_MADVISE:
		cr_assert_eq(a->madvise.addr, b->madvise.addr, "event %zu", i);
		cr_assert_eq(a->madvise.len, b->madvise.len, "event %zu", i);
		cr_assert_eq(a->madvise.advice, b->madvise.advice, "event %zu", i);
		cr_assert_eq(a->madvise.err, b->madvise.err, "event %zu", i);
		break;
	case TRACE_BRK:
		cr_assert_eq(a->brk.request, b->brk.request, "event %zu", i);
		cr_assert_eq(a->brk.result, b->brk.result, "event %zu", i);
		break;
	case TRACE_FAULT:
		cr_assert_eq(a->fault.addr, b->fault.addr, "event %zu", i);
		cr_assert_eq(a->fault.flags, b->fault.flags, "event %zu", i);
		break;
	case TRACE_ACCESS:
		cr_assert_eq(a->access.addr, b->access.addr, "event %zu", i);
		cr_assert_eq(a->access.flags, b->access.flags, "event %zu", i);
		break;
	case TRACE_FORK:
		cr_assert_eq(a->fork.child, b->fork.child, "event %zu", i);
		cr_assert_eq(a->fork.flags, b->fork.flags, "event %zu", i);
		break;
	case TRACE_EXEC:
		assert_str_eq(a->exec.path, a->exec.path_len, b->exec.path,
			      b->exec.path_len, i);
		break;
	case TRACE_EXIT:
		cr_assert_eq(a->exit.code, b->exit.code, "event %zu", i);
		cr_assert_eq(a->exit.flags, b->exit.flags, "event %zu", i);
		break;
	case TRACE_CMA_ALLOC:
	case TRACE_CMA_RELEASE:
		cr_assert_eq(a->cma.area, b->cma.area, "event %zu", i);
		cr_assert_eq(a->cma.id, b->cma.id, "event %zu", i);
		cr_assert_eq(a->cma.count, b->cma.count, "event %zu", i);
		cr_assert_eq(a->cma.align, b->cma.align, "event %zu", i);
		cr_assert_eq(a->cma.err, b->cma.err, "event %zu", i);
		break;
	case TRACE_MARK:
		assert_str_eq(a->mark.name, a->mark.name_len, b->mark.name,
			      b->mark.name_len, i);
		break;
	default:
		cr_assert_fail("event %zu: unknown type %u", i, a->type);
	}
}

/* ------------------------------------------------------------ the corpus */

/* Strings with every kind of byte the escapes handle. */
static const char weird_name[] = "kmalloc-\"q\"\\b\n\t\x01\x1f\x7f\x80\xff sp\0nul";
static const char weird_path[] = "/usr/bin/\xc3\xa9t\xc3\xa9 \"x\"\\\0";
static const char weird_mark[] = "\0warmup-end\0";

/* An event of context 100/101 on cpu 7; the payload member m gets the rest. */
#define EV(t, ty, m, ...) ((trace_event_t){ .ts = (t), .cpu = 7, .pid = 100, \
	.tid = 101, .type = (ty), .m = { __VA_ARGS__ } })

/*
 * At least one event of every type with every field set to a non-default
 * value (where the format allows one), plus the awkward corners.
 */
static size_t make_events(trace_event_t *ev)
{
	size_t n = 0;
	ev[n++] = EV(1000, TRACE_ALLOC, alloc, .id = 7, .cache = 3, .size = 24,
		     .align = 64, .gfp = 0xcc0, .func = TRACE_FN_KMEM_CACHE_ALLOC);
	ev[n] = EV(1000, TRACE_ALLOC, alloc, .id = 0, .cache = TRACE_NO_ID,
		   .size = UINT64_MAX, .align = 1ull << 63, .gfp = UINT32_MAX,
		   .func = TRACE_FN_POSIX_MEMALIGN);
	ev[n].cpu = TRACE_MAX_CPUS - 1;
	ev[n].pid = UINT32_MAX;
	ev[n++].tid = UINT32_MAX - 1;
	ev[n++] = EV(1001, TRACE_FREE, free, .id = 7, .cache = 3,
		     .func = TRACE_FN_KMEM_CACHE_FREE);
	ev[n++] = EV(1002, TRACE_REALLOC, realloc, .old_id = 5, .new_id = 6, .size = 100,
		     .func = TRACE_FN_REALLOCARRAY);
	ev[n++] = EV(1003, TRACE_CACHE_CREATE, cache_create, .cache = 3,
		     .flags = 0x00042000, .size = 192, .align = 8, .name = weird_name,
		     .name_len = sizeof(weird_name) - 1);
	ev[n++] = EV(1004, TRACE_CACHE_DESTROY, cache_destroy, .cache = 3);
	ev[n++] = EV(1005, TRACE_PAGE_ALLOC, page_alloc, .page = 9, .gfp = 0x100cca,
		     .order = TRACE_MAX_ORDER, .migratetype = 255);
	ev[n++] = EV(1006, TRACE_PAGE_FREE, page_free, .page = 9, .order = 3);
	ev[n++] = EV(1007, TRACE_MMAP, mmap, .addr = 0x7f0000001000, .len = 8192,
		     .pgoff = 12, .result = 0x7f0000001000, .prot = 0x0300000f,
		     .flags = 0x1ff933 | 0x80000000u, .file = 2, .err = 0);
	ev[n++] = EV(1008, TRACE_MMAP, mmap, .addr = 0, .len = 1ull << 40, .prot = 0,
		     .flags = 0, .file = TRACE_NO_ID, .err = 12);
	ev[n++] = EV(1009, TRACE_MUNMAP, munmap, .addr = 0x1000, .len = 4096, .err = 22);
	ev[n++] = EV(1010, TRACE_MREMAP, mremap, .addr = 0x2000, .old_len = 4096,
		     .new_len = 65536, .new_addr = 0x90000, .result = 0x90000, .flags = 0xf);
	ev[n++] = EV(1011, TRACE_MREMAP, mremap, .addr = 0x2000, .old_len = 4096,
		     .new_len = 1, .flags = 1, .err = 4000);
	ev[n++] = EV(1012, TRACE_MPROTECT, mprotect, .addr = 0x3000, .len = 4096,
		     .prot = 0x5, .err = 13);
	ev[n++] = EV(1013, TRACE_MADVISE, madvise, .addr = 0x4000, .len = 4096,
		     .advice = 4, .err = 11);
	ev[n++] = EV(1014, TRACE_MADVISE, madvise, .addr = 0x4000, .len = 4096,
		     .advice = 999);
	ev[n++] = EV(1015, TRACE_BRK, brk, .request = 0x602000, .result = 0x601000);
	ev[n++] = EV(1016, TRACE_FAULT, fault, .addr = UINT64_MAX, .flags = TRACE_FAULT_ALL);
	ev[n++] = EV(1017, TRACE_FAULT, fault, .addr = 0x5000,
		     .flags = TRACE_FAULT_USER | TRACE_FAULT_MAJOR);
	ev[n++] = EV(1018, TRACE_ACCESS, access, .addr = 0x6000,
		     .flags = TRACE_FAULT_EXEC | TRACE_FAULT_USER);
	ev[n++] = EV(1019, TRACE_ACCESS, access, .addr = 0x6008, .flags = 0);
	ev[n++] = EV(1020, TRACE_FORK, fork, .child = 1234,
		     .flags = TRACE_FORK_THREAD | TRACE_FORK_VFORK);
	ev[n++] = EV(1021, TRACE_EXEC, exec, .path = weird_path,
		     .path_len = sizeof(weird_path) - 1);
	ev[n++] = EV(1022, TRACE_EXIT, exit, .code = INT32_MIN, .flags = TRACE_EXIT_THREAD);
	ev[n++] = EV(1023, TRACE_EXIT, exit, .code = 255);
	ev[n++] = EV(1024, TRACE_CMA_ALLOC, cma, .area = 1, .id = 4, .count = 512,
		     .align = 4, .err = 16);
	ev[n++] = EV(1025, TRACE_CMA_RELEASE, cma, .area = 1, .id = 4, .count = 512);
	ev[n++] = EV(1026, TRACE_MARK, mark, .name = weird_mark,
		     .name_len = sizeof(weird_mark) - 1);
	ev[n++] = EV(UINT64_MAX, TRACE_MARK, mark, .name = "", .name_len = 0);
	return n;
}

static const trace_meta_t corpus_meta[] = {
	{ "source", "unit test" },
	{ "empty", "" },
	{ "spaced", "  two leading, trailing  " },
	{ "odd.chars-_9", "tab\there \"q\" \\ \x01 \xff #not a comment" },
	{ "source", "again" },
};

/* The lines text_dump must print for make_events() (the spec's examples). */
static const char *const corpus_lines[] = {
	"# mmbench trace text v1",
	"@meta source unit test",
	"@meta empty",
	"@meta spaced   two leading, trailing  ",
	"@meta odd.chars-_9 tab\there \"q\" \\ \x01 \xff #not a comment",
	"@meta source again",
	"1000 100/101 [7] ALLOC id=7 size=24 func=kmem_cache_alloc cache=3 align=64 gfp=0xcc0",
	"1000 4294967295/4294967294 [65535] ALLOC id=0 size=18446744073709551615 "
		"func=posix_memalign align=9223372036854775808 gfp=0xffffffff",
	"1001 100/101 [7] FREE id=7 func=kmem_cache_free cache=3",
	"1002 100/101 [7] REALLOC old_id=5 new_id=6 size=100 func=reallocarray",
	"1003 100/101 [7] CACHE_CREATE cache=3 size=192 align=8 flags=0x42000 "
		"name=\"kmalloc-\\\"q\\\"\\\\b\\n\\t\\x01\\x1f\\x7f\\x80\\xff sp\\x00nul\"",
	"1004 100/101 [7] CACHE_DESTROY cache=3",
	"1005 100/101 [7] PAGE_ALLOC page=9 order=20 mt=255 gfp=0x100cca",
	"1006 100/101 [7] PAGE_FREE page=9 order=3",
	"1007 100/101 [7] MMAP addr=0x7f0000001000 len=8192 prot=rwx|sem|growsdown|growsup "
		"flags=shared|private|fixed|anonymous|growsdown|denywrite|executable|locked|"
		"noreserve|populate|nonblock|stack|hugetlb|sync|fixed_noreplace|0x80000000 "
		"file=2 pgoff=12 result=0x7f0000001000",
	"1008 100/101 [7] MMAP len=1099511627776 prot=--- flags=0 err=ENOMEM",
	"1009 100/101 [7] MUNMAP addr=0x1000 len=4096 err=EINVAL",
	"1010 100/101 [7] MREMAP addr=0x2000 old_len=4096 new_len=65536 "
		"flags=maymove|fixed|dontunmap|0x8 new_addr=0x90000 result=0x90000",
	"1011 100/101 [7] MREMAP addr=0x2000 old_len=4096 new_len=1 flags=maymove err=4000",
	"1012 100/101 [7] MPROTECT addr=0x3000 len=4096 prot=r-x err=EACCES",
	"1013 100/101 [7] MADVISE addr=0x4000 len=4096 advice=dontneed err=EAGAIN",
	"1014 100/101 [7] MADVISE addr=0x4000 len=4096 advice=999",
	"1015 100/101 [7] BRK request=0x602000 result=0x601000",
	"1016 100/101 [7] FAULT addr=0xffffffffffffffff flags=write|exec|user|prot|major",
	"1017 100/101 [7] FAULT addr=0x5000 flags=read|user|major",
	"1018 100/101 [7] ACCESS addr=0x6000 flags=exec|user",
	"1019 100/101 [7] ACCESS addr=0x6008 flags=read",
	"1020 100/101 [7] FORK child=1234 flags=thread|vfork",
	"1021 100/101 [7] EXEC path=\"/usr/bin/\\xc3\\xa9t\\xc3\\xa9 \\\"x\\\"\\\\\\x00\"",
	"1022 100/101 [7] EXIT code=-2147483648 flags=thread",
	"1023 100/101 [7] EXIT code=255",
	"1024 100/101 [7] CMA_ALLOC area=1 id=4 count=512 align=4 err=EBUSY",
	"1025 100/101 [7] CMA_RELEASE area=1 id=4 count=512",
	"1026 100/101 [7] MARK name=\"\\x00warmup-end\\x00\"",
	"18446744073709551615 100/101 [7] MARK name=\"\"",
};

#define NR_CORPUS_LINES (sizeof(corpus_lines) / sizeof(corpus_lines[0]))

static char *join_lines(const char *const *lines, size_t n, size_t *len)
{
	char *buf = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);
	for (size_t i = 0; i < n; i++) {
		fputs(lines[i], f);
		fputc('\n', f);
	}
	fclose(f);
	*len = blen;
	return buf;
}

/* ------------------------------------------------------------ round trips */

Test(text, dump_prints_the_canonical_lines)
{
	trace_event_t ev[64];
	char bin[512];
	size_t n = make_events(ev);
	size_t meta_n = sizeof(corpus_meta) / sizeof(corpus_meta[0]);
	write_trace(tmp_path(bin, sizeof(bin), "a.trace"), corpus_meta, meta_n, ev, n);
	size_t len, want_len;
	char *text = dump_file(bin, &len);
	char *want = join_lines(corpus_lines, NR_CORPUS_LINES, &want_len);
	/* Compare line by line first for a readable failure. */
	char *save = NULL, *copy = strndup(text, len);
	size_t i = 0;
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save), i++) {
		cr_assert_lt(i, NR_CORPUS_LINES, "extra line %s", l);
		cr_assert_str_eq(l, corpus_lines[i], "line %zu", i + 1);
	}
	cr_assert_eq(i, NR_CORPUS_LINES);
	cr_assert_eq(len, want_len);
	cr_assert(!memcmp(text, want, len));
	free(copy);
	free(text);
	free(want);
}

Test(text, every_type_round_trips_through_binary_and_text)
{
	trace_event_t ev[64], back[64];
	char pool[65536];
	char bin[512], bin2[512];
	size_t n = make_events(ev);
	size_t meta_n = sizeof(corpus_meta) / sizeof(corpus_meta[0]);
	tmp_path(bin, sizeof(bin), "a.trace");
	tmp_path(bin2, sizeof(bin2), "b.trace");

	/* Every type is covered. */
	bool seen[TRACE_NR_TYPES] = { false };
	for (size_t i = 0; i < n; i++)
		seen[ev[i].type] = true;
	for (unsigned t = 1; t < TRACE_NR_TYPES; t++)
		cr_assert(seen[t], "no event of type %s", trace_type_name(t));

	write_trace(bin, corpus_meta, meta_n, ev, n);
	size_t len1, len2;
	char *text1 = dump_file(bin, &len1);
	import_ok(text1, len1, bin2);
	char *text2 = dump_file(bin2, &len2);
	cr_assert_eq(len1, len2, "dump -> import -> dump changed the length");
	cr_assert(!memcmp(text1, text2, len1), "dump -> import -> dump is not identical");

	size_t nb = read_events(bin2, back, 64, pool, sizeof(pool));
	cr_assert_eq(nb, n);
	for (size_t i = 0; i < n; i++)
		assert_event_eq(&ev[i], &back[i], i);

	trace_error_t err;
	trace_reader_t *r = trace_open(bin2, &err);
	cr_assert_not_null(r);
	cr_assert_eq(trace_nr_meta(r), meta_n);
	for (size_t i = 0; i < meta_n; i++) {
		cr_assert_str_eq(trace_meta(r, i)->key, corpus_meta[i].key);
		cr_assert_str_eq(trace_meta(r, i)->value, corpus_meta[i].value);
	}
	trace_close(r);
	free(text1);
	free(text2);
}

Test(text, format_event_parses_back_to_the_same_event)
{
	trace_event_t ev[64], back[64];
	char pool[65536], line[TEXT_LINE_MAX], out[512];
	size_t n = make_events(ev);
	tmp_path(out, sizeof(out), "one.trace");
	for (size_t i = 0; i < n; i++) {
		int len = text_format_event(line, sizeof(line), &ev[i]);
		cr_assert_gt(len, 0, "event %zu", i);
		cr_assert_eq((size_t)len, strlen(line), "event %zu: NUL inside the line", i);
		import_ok(line, (size_t)len, out);    /* one line, no newline */
		cr_assert_eq(read_events(out, back, 2, pool, sizeof(pool)), 1);
		assert_event_eq(&ev[i], &back[0], i);
	}
}

Test(text, longest_strings_fit_the_line_limit)
{
	static char name[TRACE_MAX_STRING];
	memset(name, 0xff, sizeof(name));
	trace_event_t ev = EV(UINT64_MAX, TRACE_CACHE_CREATE, cache_create,
			      .cache = UINT32_MAX - 1, .flags = UINT32_MAX,
			      .size = UINT64_MAX, .align = 1ull << 63, .name = name,
			      .name_len = TRACE_MAX_STRING);
	ev.cpu = TRACE_MAX_CPUS - 1;
	ev.pid = UINT32_MAX;
	ev.tid = UINT32_MAX;
	char *line = malloc(TEXT_LINE_MAX);
	int len = text_format_event(line, TEXT_LINE_MAX, &ev);
	cr_assert_gt(len, 4 * TRACE_MAX_STRING);
	cr_assert_lt(len, TEXT_LINE_MAX);
	cr_assert_eq(strlen(line), (size_t)len);

	char out[512];
	trace_event_t back[2];
	static char pool[TRACE_MAX_STRING];
	import_ok(line, (size_t)len, tmp_path(out, sizeof(out), "long.trace"));
	cr_assert_eq(read_events(out, back, 2, pool, sizeof(pool)), 1);
	assert_event_eq(&ev, &back[0], 0);

	/* Too small a buffer: -1 and still a NUL-terminated string. */
	char small[32];
	memset(small, 'x', sizeof(small));
	cr_assert_eq(text_format_event(small, sizeof(small), &ev), -1);
	cr_assert_lt(strlen(small), sizeof(small));
	free(line);
}

Test(text, many_metadata_pairs_round_trip)
{
	/* More pairs than one header holds: the rest go to the trailer, in order. */
	enum { NR = TRACE_MAX_META + 44 };
	char *text = NULL, bin[512], bin2[512];
	size_t len;
	FILE *f = open_memstream(&text, &len);
	fputs("# mmbench trace text v1\n", f);
	for (int i = 0; i < NR; i++)
		fprintf(f, "@meta k%d value %d\n", i, i);
	fputs("5 1/1 [0] MARK name=\"x\"\n", f);
	fclose(f);
	import_ok(text, len, tmp_path(bin, sizeof(bin), "m.trace"));
	size_t l1, l2;
	char *d1 = dump_file(bin, &l1);
	cr_assert_eq(l1, len);
	cr_assert(!memcmp(d1, text, len));
	import_ok(d1, l1, tmp_path(bin2, sizeof(bin2), "m2.trace"));
	char *d2 = dump_file(bin2, &l2);
	cr_assert_eq(l2, l1);
	cr_assert(!memcmp(d1, d2, l1));
	free(text);
	free(d1);
	free(d2);
}

Test(text, empty_input_is_an_empty_trace)
{
	char bin[512];
	import_ok("", 0, tmp_path(bin, sizeof(bin), "e.trace"));
	size_t len;
	char *d = dump_file(bin, &len);
	cr_assert_str_eq(d, "# mmbench trace text v1\n");
	free(d);
	trace_error_t err;
	cr_assert_eq(text_import_mem(NULL, 0, "x", NULL, NULL, &err), 0);
}

/* ------------------------------------------------------------ liberal input */

/* Import text, dump it, compare with want. */
static void assert_imports_as(const char *text, const char *want)
{
	char bin[512];
	import_ok(text, strlen(text), tmp_path(bin, sizeof(bin), "x.trace"));
	char *d = dump_file(bin, NULL);
	cr_assert_str_eq(d, want);
	free(d);
	unlink(bin);
}

Test(text, fields_in_any_order_and_defaults)
{
	assert_imports_as(
		"\n"
		"# no header line; comments and blank lines anywhere\n"
		"@meta a b\n"
		"   \t\n"
		"10 1/2 [3] ALLOC func=calloc size=8 id=4\n"
		"\t# indented comment\n"
		"10\t1/2  [3]\tFREE  func=free   id=4   \n"
		"11 1/2 [3] MMAP flags=private|anonymous prot=rw- len=0x1000\n"
		"12 1/2 [3] MMAP file=4294967295 pgoff=0 err=0 result=0 addr=0 "
		"flags=0 prot=--- len=1\n"
		"13 1/2 [3] ALLOC cache=4294967295 align=0 gfp=0 id=5 size=0 func=malloc\n"
		"14 1/2 [3] FAULT flags=user|write addr=4096\n"
		"15 1/2 [3] FORK flags=vfork|thread child=9\n"
		"16 1/2 [3] EXIT code=-1\n"
		"17 1/2 [3] CMA_RELEASE count=1 id=0 area=0 align=0 err=0\n"
		"18 1/2 [3] MADVISE advice=14 len=2 addr=0X10\n"
		"19 1/2 [3] MUNMAP err=12 len=2 addr=0x10\n"
		"20 1/2 [3] MPROTECT prot=r--|0x8 err=EPERM len=2 addr=0x10\n"
		"21 1/2 [3] FAULT flags=0x19 addr=0x0\n"
		"22 1/2 [3] ACCESS addr=0 flags=read|read\n"
		"23 1/2 [3] MARK name=\"\\x41\\x4a\\x4A\"\n"
		"24 1/2 [3] EXEC path=\"raw \xff bytes\"\n",
		"# mmbench trace text v1\n"
		"@meta a b\n"
		"10 1/2 [3] ALLOC id=4 size=8 func=calloc\n"
		"10 1/2 [3] FREE id=4 func=free\n"
		"11 1/2 [3] MMAP len=4096 prot=rw- flags=private|anonymous\n"
		"12 1/2 [3] MMAP len=1 prot=--- flags=0\n"
		"13 1/2 [3] ALLOC id=5 size=0 func=malloc\n"
		"14 1/2 [3] FAULT addr=0x1000 flags=write|user\n"
		"15 1/2 [3] FORK child=9 flags=thread|vfork\n"
		"16 1/2 [3] EXIT code=-1\n"
		"17 1/2 [3] CMA_RELEASE area=0 id=0 count=1\n"
		"18 1/2 [3] MADVISE addr=0x10 len=2 advice=hugepage\n"
		"19 1/2 [3] MUNMAP addr=0x10 len=2 err=ENOMEM\n"
		"20 1/2 [3] MPROTECT addr=0x10 len=2 prot=r--|sem err=EPERM\n"
		"21 1/2 [3] FAULT addr=0x0 flags=write|prot|major\n"
		"22 1/2 [3] ACCESS addr=0x0 flags=read\n"
		"23 1/2 [3] MARK name=\"AJJ\"\n"
		"24 1/2 [3] EXEC path=\"raw \\xff bytes\"\n");
}

Test(text, defaults_are_applied_to_the_event)
{
	char bin[512], pool[64];
	trace_event_t ev[4];
	const char *text = "5 1/1 [0] ALLOC size=8 id=4 func=malloc\n"
			   "6 1/1 [0] MMAP len=1 prot=r-- flags=shared\n";
	import_ok(text, strlen(text), tmp_path(bin, sizeof(bin), "d.trace"));
	cr_assert_eq(read_events(bin, ev, 4, pool, sizeof(pool)), 2);
	cr_assert_eq(ev[0].alloc.cache, TRACE_NO_ID);
	cr_assert_eq(ev[0].alloc.align, 0);
	cr_assert_eq(ev[0].alloc.gfp, 0);
	cr_assert_eq(ev[0].alloc.size, 8);
	cr_assert_eq(ev[0].alloc.id, 4);
	cr_assert_eq(ev[1].mmap.file, TRACE_NO_ID);
	cr_assert_eq(ev[1].mmap.pgoff, 0);
	cr_assert_eq(ev[1].mmap.err, 0);
	cr_assert_eq(ev[1].mmap.addr, 0);
	cr_assert_eq(ev[1].mmap.prot, 1);
	cr_assert_eq(ev[1].mmap.flags, 1);
}

Test(text, text_import_reads_a_file)
{
	char in[512], out[512];
	const char *text = "# mmbench trace text v1\n7 2/2 [1] BRK request=0x0 result=0x1000\n";
	FILE *f = fopen(tmp_path(in, sizeof(in), "in.txt"), "w");
	fputs(text, f);
	fclose(f);
	trace_error_t err;
	cr_assert_eq(text_import(in, tmp_path(out, sizeof(out), "o.trace"), NULL, &err), 0,
		     "%s", err.reason);
	char *d = dump_file(out, NULL);
	cr_assert_str_eq(d, text);
	free(d);

	char missing[512];
	cr_assert_eq(text_import(tmp_path(missing, sizeof(missing), "nope.txt"), out, NULL,
				 &err), -1);
	cr_assert_str_eq(err.file, missing);
	cr_assert(strstr(err.reason, "cannot open"), "%s", err.reason);
}

/* ------------------------------------------------------------ errors */

typedef struct bad_case {
	const char *text;       /* input (NUL-terminated unless len is set) */
	size_t len;             /* bytes, 0 = strlen(text) */
	unsigned line;          /* the offending line, 1-based */
	uint64_t event;         /* expected err.event */
	const char *needle;     /* must appear in the reason */
	const char *needle2;    /* and this too, if set */
} bad_case_t;

#define A0 "0 1/1 [0] ALLOC id=1 size=2 func=malloc\n"
#define WITH_LEN(s) s, sizeof(s) - 1          /* for inputs holding NUL bytes */
#define NOEV TRACE_NO_EVENT

/* Byte offset where line (1-based) starts, counted independently of text.c. */
static uint64_t line_start(const char *t, size_t len, unsigned line)
{
	size_t off = 0;
	for (unsigned l = 1; l < line; l++) {
		const char *nl = memchr(t + off, '\n', len - off);
		cr_assert_not_null(nl, "test bug: no line %u", line);
		off = (size_t)(nl - t) + 1;
	}
	return off;
}

static void check_bad(const bad_case_t *c, size_t idx)
{
	size_t len = c->len ? c->len : strlen(c->text);
	trace_error_t err;
	memset(&err, 0, sizeof(err));
	cr_assert_eq(text_import_mem(c->text, len, "bad.txt", NULL, NULL, &err), -1,
		     "case %zu was accepted", idx);
	char prefix[32];
	snprintf(prefix, sizeof(prefix), "line %u: ", c->line);
	cr_assert_eq(strncmp(err.reason, prefix, strlen(prefix)), 0,
		     "case %zu: reason '%s' does not start with '%s'", idx, err.reason, prefix);
	cr_assert_str_eq(err.file, "bad.txt", "case %zu", idx);
	cr_assert_eq(err.offset, line_start(c->text, len, c->line),
		     "case %zu: offset %llu (%s)", idx, (unsigned long long)err.offset,
		     err.reason);
	cr_assert_eq(err.event, c->event, "case %zu: event %llu (%s)", idx,
		     (unsigned long long)err.event, err.reason);
	cr_assert(strstr(err.reason, c->needle), "case %zu: '%s' lacks '%s'", idx,
		  err.reason, c->needle);
	if (c->needle2)
		cr_assert(strstr(err.reason, c->needle2), "case %zu: '%s' lacks '%s'", idx,
			  err.reason, c->needle2);
}

static const bad_case_t bad_cases[] = {
	/* required field missing */
	{ "# c\n" A0 "1 1/1 [0] ALLOC id=1 func=malloc\n", 0, 3, 1, "missing", "'size'" },
	{ "1 1/1 [0] MARK\n", 0, 1, 0, "missing", "'name'" },
	/* unknown field */
	{ A0 A0 "5 1/1 [0] FREE id=1 func=free bogus=3\n", 0, 3, 2, "unknown field", "bogus" },
	{ A0 "5 1/1 [0] FREE id=1 func=free size=3\n", 0, 2, 1, "unknown field", "size" },
	/* unknown type */
	{ "@meta k v\n" A0 "1 1/1 [0] ALLOCX id=1\n", 0, 3, 1, "'type'", "ALLOCX" },
	{ "1 1/1 [0]\n", 0, 1, 0, "'type'", NULL },
	/* bad numbers */
	{ A0 "1 1/1 [0] ALLOC id=1 size=12a func=malloc\n", 0, 2, 1, "'size'", "bad number" },
	{ A0 "1 1/1 [0] ALLOC id=1 size= func=malloc\n", 0, 2, 1, "'size'", "bad number" },
	{ A0 "1 1/1 [0] ALLOC id=-1 size=1 func=malloc\n", 0, 2, 1, "'id'", "bad number" },
	{ A0 "1 1/1 [0] MUNMAP addr=0x len=1\n", 0, 2, 1, "'addr'", "bad number" },
	{ "x1 1/1 [0] MARK name=\"\"\n", 0, 1, 0, "'ts'", "bad number" },
	{ "1 1-1 [0] MARK name=\"\"\n", 0, 1, 0, "'pid/tid'", NULL },
	{ "1 1/z [0] MARK name=\"\"\n", 0, 1, 0, "'tid'", NULL },
	{ "1 1/1 0 MARK name=\"\"\n", 0, 1, 0, "'cpu'", NULL },
	{ "1 1/1 [q] MARK name=\"\"\n", 0, 1, 0, "'cpu'", "bad number" },
	{ "1 1/1\n", 0, 1, 0, "'cpu'", NULL },
	{ "1\n", 0, 1, 0, "'pid/tid'", NULL },
	/* out of range for the field */
	{ A0 "1 1/1 [0] PAGE_FREE page=1 order=256\n", 0, 2, 1, "'order'", "out of range" },
	{ A0 "1 1/1 [0] FREE id=4294967296 func=free\n", 0, 2, 1, "'id'", "out of range" },
	{ A0 "1 1/1 [0] EXIT code=2147483648\n", 0, 2, 1, "'code'", "out of range" },
	{ A0 "1 1/1 [0] EXIT code=-2147483649\n", 0, 2, 1, "'code'", "out of range" },
	{ "1 4294967296/1 [0] MARK name=\"\"\n", 0, 1, 0, "'pid'", "out of range" },
	{ A0 "1 1/1 [0] FORK child=1 flags=0x100000000\n", 0, 2, 1, "'flags'", "out of range" },
	/* value overflow */
	{ A0 "1 1/1 [0] ALLOC id=1 size=18446744073709551616 func=malloc\n", 0, 2, 1,
	  "'size'", "overflow" },
	{ A0 "1 1/1 [0] BRK request=0x10000000000000000 result=0x0\n", 0, 2, 1,
	  "'request'", "overflow" },
	{ "18446744073709551616 1/1 [0] MARK name=\"\"\n", 0, 1, 0, "'ts'", "overflow" },
	/* trailing junk */
	{ A0 "1 1/1 [0] ALLOC id=1 size=2 func=malloc junk\n", 0, 2, 1, "junk", NULL },
	{ A0 "1 1/1 [0] MARK name=\"a\"b\n", 0, 2, 1, "'name'", "junk" },
	{ A0 "1 1/1 [0] MARK name=\"a\" =\n", 0, 2, 1, "expected FIELD=VALUE", NULL },
	{ A0 "1 1/1 [0] ALLOC id=1 size=2 func=malloc\r\n", 0, 2, 1, "'func'", NULL },
	/* field given twice */
	{ A0 "1 1/1 [0] ALLOC id=1 size=2 size=2 func=malloc\n", 0, 2, 1, "'size'", "twice" },
	/* names */
	{ A0 "1 1/1 [0] ALLOC id=1 size=2 func=mallocx\n", 0, 2, 1, "'func'", "mallocx" },
	{ A0 "1 1/1 [0] MMAP len=1 prot=rw- flags=private|bogus\n", 0, 2, 1, "'flags'", "bogus" },
	{ A0 "1 1/1 [0] MMAP len=1 prot=rw- flags=private|\n", 0, 2, 1, "'flags'", "empty" },
	{ A0 "1 1/1 [0] MMAP len=1 prot=rwz flags=0\n", 0, 2, 1, "'prot'", NULL },
	{ A0 "1 1/1 [0] MMAP len=1 prot=rw-x flags=0\n", 0, 2, 1, "'prot'", NULL },
	{ A0 "1 1/1 [0] MUNMAP addr=0 len=1 err=EBOGUS\n", 0, 2, 1, "'err'", "EBOGUS" },
	{ A0 "1 1/1 [0] MADVISE addr=0 len=1 advice=dontknow\n", 0, 2, 1, "'advice'", NULL },
	{ A0 "1 1/1 [0] FAULT addr=0 flags=read|write\n", 0, 2, 1, "'flags'", "read" },
	/* strings */
	{ A0 "1 1/1 [0] MARK name=\"abc\n", 0, 2, 1, "'name'", "unterminated" },
	{ A0 "1 1/1 [0] MARK name=\"a\\q\"\n", 0, 2, 1, "'name'", "escape" },
	{ A0 "1 1/1 [0] MARK name=\"a\\x4\"\n", 0, 2, 1, "'name'", "hex" },
	{ A0 "1 1/1 [0] MARK name=abc\n", 0, 2, 1, "'name'", "quoted" },
	/* the writer's checks (fmt_event_invalid) and time order */
	{ A0 "1 1/1 [0] ALLOC id=1 size=2 func=free\n", 0, 2, 1, "invalid event", "ALLOC" },
	{ A0 "1 1/1 [0] ALLOC id=4294967295 size=2 func=malloc\n", 0, 2, 1, "invalid", "id" },
	{ A0 "1 1/1 [70000] MARK name=\"\"\n", 0, 2, 1, "invalid", "cpu" },
	{ A0 "1 1/1 [0] PAGE_FREE page=1 order=21\n", 0, 2, 1, "invalid", "order" },
	{ A0 "1 1/1 [0] FAULT addr=0 flags=0x20\n", 0, 2, 1, "invalid", "fault flags" },
	{ A0 "1 1/1 [0] ACCESS addr=0 flags=prot\n", 0, 2, 1, "invalid", "access flags" },
	{ A0 "1 1/1 [0] CMA_RELEASE area=0 id=0 count=1 err=EBUSY\n", 0, 2, 1, "invalid", NULL },
	{ A0 "1 1/1 [0] MMAP len=1 prot=--- flags=0 result=0x10 err=ENOMEM\n", 0, 2, 1,
	  "'result'", NULL },
	{ "5 1/1 [0] MARK name=\"\"\n# c\n4 1/1 [0] MARK name=\"\"\n", 0, 3, 1, "'ts'", "before" },
	/* metadata and header lines */
	{ A0 "@meta late value\n", 0, 2, NOEV, "@meta", "first event" },
	{ "@meta bad/key v\n", 0, 1, NOEV, "@meta key", NULL },
	{ "@meta\n", 0, 1, NOEV, "@meta key", NULL },
	{ "# mmbench trace text v2\n", 0, 1, NOEV, "version", NULL },
	{ "@include x\n", 0, 1, NOEV, "directive", NULL },
	{ WITH_LEN("@meta k a\0b\n"), 1, NOEV, "NUL", NULL },
	/* a raw NUL byte anywhere (strings spell it \x00) */
	{ WITH_LEN(A0 "1 1/1 [0] ALLOC id=1\0 size=2 func=malloc\n"), 2, 1, "NUL", "column 21" },
	{ WITH_LEN(A0 "1 1/1 [0] MARK name=\"a\0b\"\n"), 2, 1, "NUL", "column 23" },
	{ WITH_LEN(A0 "# comment \0\n"), 2, NOEV, "NUL", NULL },
	{ WITH_LEN("\0\n"), 1, 0, "NUL", "column 1" },
};

Test(text, parse_errors_name_line_offset_event_and_field)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
		check_bad(&bad_cases[i], i);
}

Test(text, hard_coded_offsets)
{
	/* The same checks with numbers written out, in case line_start() is wrong. */
	const char *t = "# mmbench trace text v1\n"       /* 0..23 */
			"@meta a b\n"                     /* 24..33 */
			"0 1/1 [0] MARK name=\"\"\n"      /* 34..56 */
			"\n"                              /* 57 */
			"1 1/1 [0] MARK name=\"\" x=1\n"; /* 58.. */
	trace_error_t err;
	cr_assert_eq(text_import_mem(t, strlen(t), "f", NULL, NULL, &err), -1);
	cr_assert_eq(err.offset, 58);
	cr_assert_eq(err.event, 1);
	cr_assert_eq(strncmp(err.reason, "line 5: ", 8), 0, "%s", err.reason);
	char buf[512];
	cr_assert(strstr(trace_error_format(&err, buf, sizeof(buf)),
			 "f: event 1 at byte offset 58: line 5: "), "%s", buf);
}

Test(text, overlong_and_too_long_strings)
{
	/* A line of TEXT_LINE_MAX + 1 bytes (before its newline). */
	size_t a0 = strlen(A0), len = a0 + TEXT_LINE_MAX + 2;
	char *t = malloc(len);
	memcpy(t, A0, a0);
	memset(t + a0, 'x', TEXT_LINE_MAX + 1);
	t[len - 1] = '\n';
	bad_case_t c = { t, len, 2, 1, "longer than", NULL };
	check_bad(&c, 100);
	/* An overlong comment line is refused too, as a non-event line. */
	t[a0] = '#';
	c.event = NOEV;
	check_bad(&c, 101);
	free(t);

	/* A string of TRACE_MAX_STRING + 1 bytes in a line that fits. */
	size_t slen = TRACE_MAX_STRING + 1;
	t = malloc(64 + slen);
	int n = sprintf(t, "1 1/1 [0] MARK name=\"");
	memset(t + n, 'a', slen);
	memcpy(t + n + slen, "\"\n", 2);
	c = (bad_case_t){ t, (size_t)n + slen + 2, 1, 0, "'name'", "longer than" };
	check_bad(&c, 102);
	/* TRACE_MAX_STRING bytes is fine. */
	trace_error_t err;
	t[n + slen - 1] = '"';
	t[n + slen] = '\n';
	cr_assert_eq(text_import_mem(t, (size_t)n + slen + 1, "ok", NULL, NULL, &err), 0,
		     "%s", err.reason);
	free(t);
}

Test(text, failed_import_leaves_no_file)
{
	char out[512], tmp[600];
	const char *t = "@meta k v\n" A0 A0 "2 1/1 [0] ALLOC id=1 size=2 func=realloc x\n";
	trace_error_t err;
	tmp_path(out, sizeof(out), "fail.trace");
	snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	cr_assert_eq(text_import_mem(t, strlen(t), "in", out, NULL, &err), -1);
	cr_assert_eq(err.event, 2);
	cr_assert_eq(err.offset, 10 + 2 * strlen(A0));
	cr_assert_neq(access(out, F_OK), 0, "output left behind");
	cr_assert_neq(access(tmp, F_OK), 0, "temporary output left behind");

	/* A bad metadata key with an output path: refused before any file exists. */
	t = "@meta k=v x\n";
	cr_assert_eq(text_import_mem(t, strlen(t), "in", out, NULL, &err), -1);
	cr_assert_eq(err.event, NOEV);
	cr_assert_neq(access(out, F_OK), 0);
	cr_assert_neq(access(tmp, F_OK), 0);
}

Test(text, errno_names_and_numbers)
{
	/* Numbers are accepted and printed by name; unnamed ones stay numbers. */
	assert_imports_as("1 1/1 [0] MUNMAP addr=0x1 len=1 err=12\n"
			  "2 1/1 [0] MUNMAP addr=0x1 len=1 err=EHWPOISON\n"
			  "3 1/1 [0] MUNMAP addr=0x1 len=1 err=4095\n"
			  "4 1/1 [0] MUNMAP addr=0x1 len=1 err=4294967295\n",
			  "# mmbench trace text v1\n"
			  "1 1/1 [0] MUNMAP addr=0x1 len=1 err=ENOMEM\n"
			  "2 1/1 [0] MUNMAP addr=0x1 len=1 err=EHWPOISON\n"
			  "3 1/1 [0] MUNMAP addr=0x1 len=1 err=4095\n"
			  "4 1/1 [0] MUNMAP addr=0x1 len=1 err=4294967295\n");
}
