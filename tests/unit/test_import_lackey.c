/*
 * test_import_lackey.c - the valgrind lackey importer: the line parser
 * (records, ==PID== lines, noise, malformed records), access flags, page
 * splits, sampling, pids, timestamps, metadata, errors with line and byte
 * offset, and that the streaming file reader and the buffer reader agree.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "traces/import_lackey.h"
#include "traces/text.h"

static char dir[64];
static char out[128];

static void setup(void)
{
	strcpy(dir, "/tmp/mmbench-lackeyimp-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(out, sizeof(out), "%s/t.mmt", dir);
}

static void teardown(void)
{
	char p[160];
	unlink(out);
	snprintf(p, sizeof(p), "%s/in.txt", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/t2.mmt", dir);
	unlink(p);
	rmdir(dir);
}

TestSuite(import_lackey, .init = setup, .fini = teardown);

/* Parse s; returns the kind of line, with *rec, *pid and why filled. */
static int parse(const char *s, lackey_record_t *rec, uint32_t *pid, char *why)
{
	return lackey_parse_line(s, strlen(s), rec, pid, why, 192);
}

Test(import_lackey, records)
{
	lackey_record_t rec;
	uint32_t pid = 0;
	char why[192];

	cr_assert_eq(parse("I  0401ab70,3", &rec, &pid, why), 1);
	cr_assert_eq(rec.kind, LACKEY_INSTR);
	cr_assert_eq(rec.addr, 0x401ab70);
	cr_assert_eq(rec.size, 3);
	cr_assert_eq(parse(" L 1fff000708,8", &rec, &pid, why), 1);
	cr_assert_eq(rec.kind, LACKEY_LOAD);
	cr_assert_eq(rec.addr, 0x1fff000708);
	cr_assert_eq(parse(" S 00403ffc,4096", &rec, &pid, why), 1);
	cr_assert_eq(rec.kind, LACKEY_STORE);
	cr_assert_eq(rec.size, 4096);
	cr_assert_eq(parse(" M FFFFFFFFFFFFFFF0,16", &rec, &pid, why), 1, "%s", why);
	cr_assert_eq(rec.kind, LACKEY_MODIFY);
	cr_assert_eq(rec.addr, 0xfffffffffffffff0ull, "upper-case hex, last byte at 2^64-1");
	cr_assert_eq(parse(" L 000000000000000000401000,1", &rec, &pid, why), 1,
		     "leading zeros do not overflow");
	cr_assert_eq(rec.addr, 0x401000);
}

Test(import_lackey, banner_and_noise)
{
	lackey_record_t rec;
	uint32_t pid = 0;
	char why[192];

	cr_assert_eq(parse("==26344== Lackey, an example Valgrind tool", &rec, &pid, why), 2);
	cr_assert_eq(pid, 26344);
	cr_assert_eq(parse("==7==", &rec, &pid, why), 2);
	cr_assert_eq(pid, 7);
	const char *noise[] = { "", "I", "I ", "hello", "Ix 0401,3", " X 0401,3", "--26344-- warning",
				"**26344** x", "== no pid ==", "==12 no close", "=====",
				"lackey_prog: hello I  0401ab70,3", "  L 0401,3", "I 0401,3" };
	for (size_t i = 0; i < sizeof(noise) / sizeof(noise[0]); i++)
		cr_assert_eq(parse(noise[i], &rec, &pid, why), 0, "'%s' is not lackey's", noise[i]);
}

Test(import_lackey, malformed)
{
	static const struct { const char *line, *why; } bad[] = {
		{ "I  ,3", "instruction record 'I': expected a hex address, found ','" },
		{ "I  ", "instruction record 'I': expected a hex address, found end of line" },
		{ " L 04g1,8", "load record 'L': expected ',' after the address, found 'g'" },
		{ " L 0401 8", "load record 'L': expected ',' after the address, found ' '" },
		{ " S 0401", "store record 'S': expected ',' after the address, found end of line" },
		{ " S 0401,", "store record 'S': expected a decimal size, found end of line" },
		{ " S 0401,-1", "store record 'S': expected a decimal size, found '-'" },
		{ " M 0401,0", "modify record 'M': size 0 out of range (1 to 4096 bytes)" },
		{ " M 0401,4097", "modify record 'M': size 4097 out of range (1 to 4096 bytes)" },
		{ " M 0401,99999999999999999999999", "modify record 'M': size 99999999999999999999... out of range (1 to 4096 bytes)" },
		{ " L 0401,8 extra", "load record 'L': unexpected ' ' after the size" },
		{ " L 0401,8\r", "load record 'L': unexpected byte 0x0d after the size" },
		{ "I  10000000000000000,1", "instruction record 'I': address 1000000000000000... does not fit in 64 bits" },
		{ " L fffffffffffffff9,8", "load record 'L': access of 8 bytes at 0xfffffffffffffff9 runs past the end of the address space" },
		{ "==0== x", "valgrind line '==0==': pid out of range (1 to 2147483647)" },
		{ "==2147483648== x", "valgrind line '==2147483648==': pid out of range (1 to 2147483647)" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		lackey_record_t rec;
		uint32_t pid;
		char why[192] = "";
		cr_assert_eq(parse(bad[i].line, &rec, &pid, why), -1, "'%s' is an error", bad[i].line);
		cr_assert_str_eq(why, bad[i].why);
	}
}

Test(import_lackey, flags)
{
	cr_assert_eq(lackey_access_flags(LACKEY_INSTR), TRACE_FAULT_USER | TRACE_FAULT_EXEC);
	cr_assert_eq(lackey_access_flags(LACKEY_LOAD), TRACE_FAULT_USER);
	cr_assert_eq(lackey_access_flags(LACKEY_STORE), TRACE_FAULT_USER | TRACE_FAULT_WRITE);
	cr_assert_eq(lackey_access_flags(LACKEY_MODIFY), TRACE_FAULT_USER | TRACE_FAULT_WRITE);
}

/* Import text with opts, return the dump (static buffer). */
static const char *import_dump(const char *text, const lackey_import_opts_t *opts)
{
	static char buf[16384];
	trace_error_t err;
	cr_assert_eq(lackey_import_mem(text, strlen(text), "in.txt", out, opts, &err), 0, "%s",
		     err.reason);
	trace_reader_t *r = trace_open(out, &err);
	cr_assert_not_null(r);
	memset(buf, 0, sizeof(buf));
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
	cr_assert_eq(text_dump(r, f, &err), 0);
	fclose(f);
	trace_close(r);
	return buf;
}

static const char small[] =
	"I  00401000,5\n"               /* 0: before any banner: opts pid */
	"==42== Lackey, an example Valgrind tool\n"
	"==42== \n"
	"I  00401005,3\n"               /* 1 */
	" L 7ffc0ff8,8\n"               /* 2 */
	"program output\n"
	" S 00403ffc,8\n"               /* 3: crosses 0x404000 */
	" M 00404010,4\n"               /* 4 */
	"I  00401fff,2\n"               /* 5: instruction crossing a page */
	"==43== child\n"
	" S 00500000,1";                /* 6: no newline at the end */

Test(import_lackey, events_pids_splits)
{
	lackey_import_opts_t o = { .pid = 9 };
	const char *d = import_dump(small, &o);
	cr_assert(strstr(d, "@meta source valgrind-lackey\n"), "%s", d);
	cr_assert(strstr(d, "@meta lackey.ts record-index\n"));
	cr_assert(strstr(d, "@meta lackey.sample_every 1\n"));
	cr_assert(strstr(d, "\n0 9/9 [0] ACCESS addr=0x401000 flags=exec|user\n"), "%s", d);
	cr_assert(strstr(d, "\n1 42/42 [0] ACCESS addr=0x401005 flags=exec|user\n"), "%s", d);
	cr_assert(strstr(d, "\n2 42/42 [0] ACCESS addr=0x7ffc0ff8 flags=read|user\n"), "%s", d);
	cr_assert(strstr(d, "\n3 42/42 [0] ACCESS addr=0x403ffc flags=write|user\n"
			    "3 42/42 [0] ACCESS addr=0x404000 flags=write|user\n"), "%s", d);
	cr_assert(strstr(d, "\n4 42/42 [0] ACCESS addr=0x404010 flags=write|user\n"), "%s", d);
	cr_assert(strstr(d, "\n5 42/42 [0] ACCESS addr=0x401fff flags=exec|user\n"
			    "5 42/42 [0] ACCESS addr=0x402000 flags=exec|user\n"), "%s", d);
	cr_assert(strstr(d, "\n6 43/43 [0] ACCESS addr=0x500000 flags=write|user\n"), "%s", d);
	cr_assert(strstr(d, "@meta lackey.lines 11\n"), "%s", d);
	cr_assert(strstr(d, "@meta lackey.accesses 7\n"));
	cr_assert(strstr(d, "@meta lackey.sampled 7\n"));
	cr_assert(strstr(d, "@meta lackey.instr 3\n"));
	cr_assert(strstr(d, "@meta lackey.loads 1\n"));
	cr_assert(strstr(d, "@meta lackey.stores 2\n"));
	cr_assert(strstr(d, "@meta lackey.modifies 1\n"));
	cr_assert(strstr(d, "@meta lackey.split_accesses 2\n"));
	cr_assert(strstr(d, "@meta lackey.skipped_lines 1\n"));
	cr_assert(strstr(d, "@meta lackey.valgrind_lines 3\n"));
	cr_assert(strstr(d, "@meta lackey.pid_switches 2\n"));
	cr_assert(strstr(d, "@meta lackey.events_written 9\n"));
}

Test(import_lackey, default_pid_is_1)
{
	const char *d = import_dump(" L 1000,1\n", NULL);
	cr_assert(strstr(d, "\n0 1/1 [0] ACCESS addr=0x1000 flags=read|user\n"), "%s", d);
}

Test(import_lackey, sampling_keeps_every_nth_record)
{
	lackey_import_opts_t o = { .sample_every = 3 };
	const char *d = import_dump(small, &o);
	/* records 0, 3, 6 kept, with their original index as ts; 3 is split */
	cr_assert(strstr(d, "@meta lackey.sample_every 3\n"), "%s", d);
	cr_assert(strstr(d, "\n0 1/1 [0] ACCESS addr=0x401000"), "%s", d);
	cr_assert(strstr(d, "\n3 42/42 [0] ACCESS addr=0x403ffc"), "%s", d);
	cr_assert(strstr(d, "\n3 42/42 [0] ACCESS addr=0x404000"), "%s", d);
	cr_assert(strstr(d, "\n6 43/43 [0] ACCESS addr=0x500000"), "%s", d);
	cr_assert(!strstr(d, "addr=0x401005") && !strstr(d, "addr=0x404010") &&
		  !strstr(d, "addr=0x401fff"), "%s", d);
	cr_assert(strstr(d, "@meta lackey.accesses 7\n"));
	cr_assert(strstr(d, "@meta lackey.sampled 3\n"));
	cr_assert(strstr(d, "@meta lackey.split_accesses 1\n"), "only kept records are split");
	cr_assert(strstr(d, "@meta lackey.events_written 4\n"));
}

Test(import_lackey, errors_name_line_and_offset)
{
	const char *bad = "==5== x\n"
			  "I  00401000,5\n"
			  "hello\n"
			  " S 00401000,0\n";
	char bad_out[160], tmp[170];
	trace_error_t err;
	snprintf(bad_out, sizeof(bad_out), "%s/bad.mmt", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", bad_out);
	cr_assert_eq(lackey_import_mem(bad, strlen(bad), "bad.txt", bad_out, NULL, &err), -1);
	cr_assert_str_eq(err.file, "bad.txt");
	cr_assert_eq(err.offset, 28);
	cr_assert_str_eq(err.reason, "line 4: store record 'S': size 0 out of range (1 to 4096 bytes)");
	cr_assert_eq(access(bad_out, F_OK), -1, "no output on error");
	cr_assert_eq(access(tmp, F_OK), -1, "no partial output on error");
	char buf[300];
	cr_assert_str_eq(trace_error_format(&err, buf, sizeof(buf)),
			 "bad.txt: at byte offset 28: line 4: store record 'S': size 0 out of range (1 to 4096 bytes)");

	/* the streaming reader finds the same line and offset */
	char in[160];
	snprintf(in, sizeof(in), "%s/in.txt", dir);
	FILE *f = fopen(in, "w");
	cr_assert_not_null(f);
	fputs(bad, f);
	fclose(f);
	memset(&err, 0, sizeof(err));
	cr_assert_eq(lackey_import(in, bad_out, NULL, &err), -1);
	cr_assert_str_eq(err.file, in);
	cr_assert_eq(err.offset, 28);
	cr_assert_str_eq(err.reason, "line 4: store record 'S': size 0 out of range (1 to 4096 bytes)");
	cr_assert_eq(access(bad_out, F_OK), -1);
	cr_assert_eq(access(tmp, F_OK), -1);
	cr_assert_eq(lackey_import("/nonexistent/x.txt", bad_out, NULL, &err), -1);
	cr_assert(strstr(err.reason, "cannot open"), "%s", err.reason);
}

Test(import_lackey, stream_equals_buffer)
{
	char in[160], out2[160];
	trace_error_t err;
	snprintf(in, sizeof(in), "%s/in.txt", dir);
	snprintf(out2, sizeof(out2), "%s/t2.mmt", dir);
	FILE *f = fopen(in, "w");
	cr_assert_not_null(f);
	fputs(small, f);
	fclose(f);
	lackey_import_opts_t o = { .sample_every = 2, .pid = 3 };
	cr_assert_eq(lackey_import(in, out2, &o, &err), 0, "%s", err.reason);
	char *a = strdup(import_dump(small, &o));
	trace_reader_t *r = trace_open(out2, &err);
	cr_assert_not_null(r);
	char b[16384] = "";
	f = fmemopen(b, sizeof(b) - 1, "w");
	cr_assert_eq(text_dump(r, f, &err), 0);
	fclose(f);
	trace_close(r);
	cr_assert_str_eq(a, b);
	free(a);
}

Test(import_lackey, check_only)
{
	trace_error_t err;
	cr_assert_eq(lackey_import_mem(small, strlen(small), "x", NULL, NULL, &err), 0);
	cr_assert_eq(lackey_import_mem("I  zz,1\n", 8, "x", NULL, NULL, &err), -1);
	cr_assert_eq(err.offset, 0);
	cr_assert_str_eq(err.reason, "line 1: instruction record 'I': expected a hex address, found 'z'");
	cr_assert_eq(lackey_import_mem("", 0, "x", NULL, NULL, &err), 0, "empty input is no error");
}
