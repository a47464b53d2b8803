/*
 * test_import_perf.c - the perf script importer: field parser, numbers, gfp
 * names, x86 fault error codes, and what a small input becomes (ids reused
 * after frees, syscall pairing, skipped and counted input, time origin).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/gfp.h"
#include "traces/import_perf.h"
#include "traces/text.h"

static char dir[64];
static char out[128];

static void setup(void)
{
	strcpy(dir, "/tmp/mmbench-perfimp-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(out, sizeof(out), "%s/t.mmt", dir);
}

static void teardown(void)
{
	unlink(out);
	rmdir(dir);
}

TestSuite(import_perf, .init = setup, .fini = teardown);

static const char *field(const char *s, const char *key)
{
	static char buf[128];
	const char *v;
	size_t n;
	if (!perf_field_find(s, strlen(s), key, &v, &n))
		return NULL;
	snprintf(buf, sizeof(buf), "%.*s", (int)n, v);
	return buf;
}

Test(import_perf, field_kmem_style)
{
	const char *s = "call_site=perf_event_mmap+0x155 ptr=0xffff888102b4f000 bytes_req=4096 "
			"bytes_alloc=4096 gfp_flags=GFP_KERNEL node=-1 accounted=false";
	cr_assert_str_eq(field(s, "ptr"), "0xffff888102b4f000");
	cr_assert_str_eq(field(s, "bytes_req"), "4096");
	cr_assert_str_eq(field(s, "accounted"), "false");
	cr_assert_str_eq(field(s, "call_site"), "perf_event_mmap+0x155");
	cr_assert_null(field(s, "bytes"), "a prefix of a key is not the key");
	cr_assert_null(field(s, "name"));
	cr_assert_null(field(s, "alloc"), "a suffix of a key is not the key");
	/* child_pid= does not answer pid= */
	cr_assert_str_eq(field("comm=sh pid=9721 child_comm=sh child_pid=9730", "pid"), "9721");
	cr_assert_str_eq(field("comm=sh child_pid=9730", "child_pid"), "9730");
	cr_assert_null(field("comm=sh child_pid=9730", "pid"));
	cr_assert_str_eq(field("k=", "k"), "", "empty value");
}

Test(import_perf, field_syscall_style)
{
	const char *s = "addr: 0x00000000, len: 0x00002000, prot: 0x00000003, flags: 0x00000022, "
			"fd: 0xffffffff, off: 0x00000000";
	cr_assert_str_eq(field(s, "addr"), "0x00000000");
	cr_assert_str_eq(field(s, "len"), "0x00002000");
	cr_assert_str_eq(field(s, "fd"), "0xffffffff");
	cr_assert_str_eq(field(s, "off"), "0x00000000", "last field, no comma");
	cr_assert_str_eq(field("start: 0x1000,len_in: 0x2", "len_in"), "0x2", "after a comma");
	cr_assert_null(field(s, "new_len"));
}

Test(import_perf, numbers)
{
	uint64_t v;
	cr_assert_eq(perf_parse_u64("0x10b075", 8, &v), 0);
	cr_assert_eq(v, 0x10b075);
	cr_assert_eq(perf_parse_u64("4096", 4, &v), 0);
	cr_assert_eq(v, 4096);
	cr_assert_eq(perf_parse_u64("-1", 2, &v), 0);
	cr_assert_eq(v, UINT64_MAX);
	cr_assert_eq(perf_parse_u64("(nil)", 5, &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(perf_parse_u64("0xffffffffffffffff", 18, &v), 0);
	cr_assert_eq(v, UINT64_MAX);
	cr_assert_eq(perf_parse_u64("0x1ffffffffffffffff", 19, &v), -1, "overflow");
	cr_assert_eq(perf_parse_u64("18446744073709551616", 20, &v), -1, "overflow");
	cr_assert_eq(perf_parse_u64("0x", 2, &v), -1);
	cr_assert_eq(perf_parse_u64("", 0, &v), -1);
	cr_assert_eq(perf_parse_u64("12a", 3, &v), -1);
	cr_assert_eq(perf_parse_u64("-", 1, &v), -1);
}

Test(import_perf, gfp_names)
{
	unsigned unknown = 0;
#define GFP(s) perf_gfp_decode(s, strlen(s), &unknown)
	cr_assert_eq(GFP("GFP_KERNEL"), 0xcc0);
	cr_assert_eq(GFP("GFP_KERNEL_ACCOUNT|__GFP_ZERO|__GFP_COMP"),
		     GFP_KERNEL | GFP_F_ACCOUNT | GFP_F_ZERO | GFP_F_COMP);
	cr_assert_eq(GFP("GFP_HIGHUSER_MOVABLE|__GFP_ZERO"), 0x100cca | GFP_F_ZERO);
	cr_assert_eq(GFP("GFP_NOFS"), GFP_F_RECLAIM | GFP_F_IO);
	cr_assert_eq(GFP("GFP_NOIO"), GFP_F_RECLAIM);
	cr_assert_eq(GFP("GFP_ATOMIC|__GFP_NOWARN"), GFP_F_HIGH | GFP_F_KSWAPD_RECLAIM | GFP_F_NOWARN);
	cr_assert_eq(GFP("GFP_NOWAIT"), GFP_F_KSWAPD_RECLAIM);
	cr_assert_eq(GFP("GFP_TRANSHUGE_LIGHT"), GFP_TRANSHUGE_LIGHT);
	cr_assert_eq(GFP("GFP_TRANSHUGE"), GFP_TRANSHUGE);
	cr_assert_eq(GFP("__GFP_HIGH|__GFP_ATOMIC|__GFP_KSWAPD_RECLAIM"),
		     GFP_F_HIGH | GFP_F_ATOMIC_LEGACY | GFP_F_KSWAPD_RECLAIM, "kernel < 6.4");
	cr_assert_eq(GFP("GFP_DMA32|__GFP_RECLAIMABLE"), GFP_F_DMA32 | GFP_F_RECLAIMABLE);
	cr_assert_eq(GFP("none"), 0);
	cr_assert_eq(GFP("0x400"), GFP_F_DIRECT_RECLAIM, "a number");
	cr_assert_eq(unknown, 0);
	cr_assert_eq(GFP("GFP_KERNEL|__GFP_ZEROTAGS|__GFP_BOGUS"), 0xcc0, "unknown names ignored");
	cr_assert_eq(unknown, 2, "and counted");
	cr_assert_eq(GFP("GFP_KERNEL||"), 0xcc0);
	cr_assert_eq(unknown, 4, "empty items counted");
#undef GFP
}

Test(import_perf, fault_error_code)
{
	cr_assert_eq(perf_fault_flags(0x6), TRACE_FAULT_WRITE | TRACE_FAULT_USER);
	cr_assert_eq(perf_fault_flags(0x14), TRACE_FAULT_EXEC | TRACE_FAULT_USER);
	cr_assert_eq(perf_fault_flags(0x4), TRACE_FAULT_USER, "user read of a missing page");
	cr_assert_eq(perf_fault_flags(0x7), TRACE_FAULT_PROT | TRACE_FAULT_WRITE | TRACE_FAULT_USER);
	cr_assert_eq(perf_fault_flags(0x0), 0);
	cr_assert_eq(perf_fault_flags(0x28), 0, "rsvd and pkey bits carry no flag");
}

/* Import text and return the dump of the trace (static buffer). */
static const char *import_dump(const char *text, uint64_t origin)
{
	static char buf[8192];
	trace_error_t err;
	perf_import_opts_t o = { .origin_ns = origin };
	cr_assert_eq(perf_import_mem(text, strlen(text), "t.txt", out, &o, &err), 0, "%s",
		     err.reason);
	trace_reader_t *r = trace_open(out, &err);
	cr_assert_not_null(r);
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	cr_assert_eq(text_dump(r, f, &err), 0);
	fclose(f);
	trace_close(r);
	return buf;
}

#define H(tid, t) "  sh  100/" #tid "  [001]  7." t ": "

Test(import_perf, ids_reused_and_unknown_frees_skipped)
{
	const char *d = import_dump(
		H(100, "000000000") "kmem:kmalloc: call_site=a+0x1 ptr=0xffff888100000000 bytes_req=8 bytes_alloc=8 gfp_flags=GFP_KERNEL\n"
		H(100, "000000010") "kmem:kfree: call_site=b+0x1 ptr=0xffff888100000000\n"
		H(100, "000000020") "kmem:kfree: call_site=b+0x1 ptr=0xffff888100000000\n"
		H(100, "000000030") "kmem:kmem_cache_alloc: call_site=c+0x1 ptr=0xffff888100000100 name=dentry bytes_req=192 bytes_alloc=192 gfp_flags=GFP_KERNEL\n"
		H(100, "000000040") "kmem:mm_page_alloc: page=0x1 pfn=0x1000 order=3 migratetype=1 gfp_flags=GFP_HIGHUSER_MOVABLE\n"
		H(100, "000000050") "kmem:mm_page_free: page=0x1 pfn=0x2000 order=0\n"
		H(100, "000000060") "kmem:mm_page_free: page=0x1 pfn=0x1000 order=3\n"
		H(100, "000000070") "kmem:mm_page_alloc: page=0x1 pfn=0x3000 order=0 migratetype=0 gfp_flags=GFP_KERNEL\n"
		H(100, "000000080") "kmem:kfree: call_site=b+0x1 ptr=0xffff888100000100\n",
		0);
	cr_assert(strstr(d, "@meta clock_monotonic_origin_ns 7000000000\n"), "%s", d);
	cr_assert(strstr(d, "@meta import.free_unknown_object 1\n"));
	cr_assert(strstr(d, "@meta import.free_unknown_page 1\n"));
	cr_assert(strstr(d, "0 100/100 [1] ALLOC id=0 size=8 func=kmalloc gfp=0xcc0\n"), "%s", d);
	cr_assert(strstr(d, "10 100/100 [1] FREE id=0 func=kfree\n"));
	cr_assert(strstr(d, "30 100/100 [1] CACHE_CREATE cache=0 size=192 name=\"dentry\"\n"), "%s", d);
	cr_assert(strstr(d, "30 100/100 [1] ALLOC id=0 size=192 func=kmem_cache_alloc cache=0 gfp=0xcc0\n"),
		  "id 0 reused: %s", d);
	cr_assert(strstr(d, "40 100/100 [1] PAGE_ALLOC page=0 order=3 mt=1 gfp=0x100cca\n"));
	cr_assert(strstr(d, "60 100/100 [1] PAGE_FREE page=0 order=3\n"));
	cr_assert(strstr(d, "70 100/100 [1] PAGE_ALLOC page=0 order=0 mt=0 gfp=0xcc0\n"), "%s", d);
	cr_assert(strstr(d, "80 100/100 [1] FREE id=0 func=kmem_cache_free cache=0\n"),
		  "kfree of a cache object frees it from its cache: %s", d);
}

Test(import_perf, syscalls_paired_per_tid)
{
	const char *d = import_dump(
		H(100, "000000000") "syscalls:sys_enter_mmap: addr: 0x00000000, len: 0x00002000, prot: 0x00000003, flags: 0x00000022, fd: 0xffffffff, off: 0x00000000\n"
		H(101, "000000005") "syscalls:sys_enter_brk: brk: 0x00000000\n"
		H(100, "000000010") "syscalls:sys_exit_mmap: 0x7f7eb3e19000\n"
		H(101, "000000015") "syscalls:sys_exit_brk: 0x55950cda8000\n"
		H(100, "000000020") "syscalls:sys_enter_mmap: addr: 0x00000000, len: 0x0000ae3b, prot: 0x00000001, flags: 0x00000002, fd: 0x00000003, off: 0x00002000\n"
		H(100, "000000030") "syscalls:sys_exit_mmap: 0xfffffffffffffff3\n"
		H(100, "000000040") "syscalls:sys_exit_munmap: 0x0\n"
		H(100, "000000050") "syscalls:sys_enter_mremap: addr: 0x7f0000000000, old_len: 0x00010000, new_len: 0x00020000, flags: 0x00000001, new_addr: 0x00000000\n"
		H(100, "000000060") "syscalls:sys_exit_mremap: 0x7f0000100000\n"
		H(100, "000000070") "syscalls:sys_enter_mprotect: start: 0x7f0000100000, len: 0x00001000, prot: 0x00000001\n"
		H(100, "000000080") "syscalls:sys_exit_mprotect: 0x0\n"
		H(100, "000000090") "syscalls:sys_enter_munmap: addr: 0x7f0000100000, len: 0x00020000\n",
		7000000000u - 1000);
	cr_assert(strstr(d, "1010 100/100 [1] MMAP len=8192 prot=rw- flags=private|anonymous result=0x7f7eb3e19000\n"), "%s", d);
	cr_assert(strstr(d, "1015 100/101 [1] BRK request=0x0 result=0x55950cda8000\n"), "%s", d);
	cr_assert(strstr(d, "1030 100/100 [1] MMAP len=44603 prot=r-- flags=private file=0 pgoff=2 err=EACCES\n"), "%s", d);
	cr_assert(strstr(d, "1060 100/100 [1] MREMAP addr=0x7f0000000000 old_len=65536 new_len=131072 flags=maymove result=0x7f0000100000\n"), "%s", d);
	cr_assert(strstr(d, "1080 100/100 [1] MPROTECT addr=0x7f0000100000 len=4096 prot=r--\n"), "%s", d);
	cr_assert(!strstr(d, "MUNMAP"), "exit without enter and enter without exit write nothing");
	cr_assert(strstr(d, "@meta import.sys_exit_unpaired 1\n"));
	cr_assert(strstr(d, "@meta import.sys_enter_unpaired 1\n"), "the munmap still open at the end");
}

Test(import_perf, skipped_lines_and_errors)
{
	trace_error_t err;
	const char *ok =
		"# comment\n\n"
		"some perf warning line\n"
		H(100, "000000000") "kmem:mm_page_pcpu_drain: page=0x1 pfn=0x1 order=0 migratetype=1\n"
		H(100, "000000001") "power:cpu_idle: state=1 cpu_id=0\n";
	cr_assert_eq(perf_import_mem(ok, strlen(ok), "ok.txt", out, NULL, &err), 0, "%s", err.reason);
	trace_reader_t *r = trace_open(out, &err);
	cr_assert_not_null(r);
	cr_assert_eq(trace_summary(r)->nr_events, 0);
	cr_assert_str_eq(trace_meta_get(r, "import.unknown_events"), "2");
	cr_assert_str_eq(trace_meta_get(r, "import.skipped_lines"), "1");
	cr_assert_str_eq(trace_meta_get(r, "import.unknown_event_names"),
			 "kmem:mm_page_pcpu_drain:1,power:cpu_idle:1");
	trace_close(r);

	const char *bad = H(100, "000000000") "kmem:kmalloc: call_site=a ptr=0xffff888100000000\n"
			  H(100, "000000001") "kmem:kfree: call_site=a ptr=zz\n";
	char bad_out[160], tmp[170];
	snprintf(bad_out, sizeof(bad_out), "%s/bad.mmt", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", bad_out);
	cr_assert_eq(perf_import_mem(bad, strlen(bad), "bad.txt", bad_out, NULL, &err), -1);
	cr_assert_str_eq(err.file, "bad.txt");
	cr_assert_eq(err.offset, 0);
	cr_assert_str_eq(err.reason, "line 1: kmem:kmalloc: field 'bytes_req' missing");
	cr_assert_eq(access(bad_out, F_OK), -1, "no output on error");
	cr_assert_eq(access(tmp, F_OK), -1, "no partial output on error");
}
