/*
 * test_perf_record.c - perf_record_exec / perf_import_file against the real
 * perf: the program's own exit status and signal death come back, its
 * process tree is followed, the recording imports.  Skipped where
 * perf_available() says perf or the tracepoints are missing.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/perf_record.h"
#include "traces/trace.h"

static char dir[64];
static char data[128], trace[128], log_path[160];

static void setup(void)
{
	char why[256];
	if (!perf_available(why, sizeof(why)))
		cr_skip_test("perf not usable here: %s", why);
	strcpy(dir, "/tmp/mmbench-perfrec-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(data, sizeof(data), "%s/perf.data", dir);
	snprintf(trace, sizeof(trace), "%s/k.mmt", dir);
	snprintf(log_path, sizeof(log_path), "%s.log", data);
}

static void teardown(void)
{
	if (!dir[0])
		return;
	unlink(data);
	unlink(trace);
	unlink(log_path);
	char old[160];
	snprintf(old, sizeof(old), "%s.old", data);
	unlink(old);
	rmdir(dir);
}

TestSuite(perf_record, .init = setup, .fini = teardown, .timeout = 120);

Test(perf_record, exit_status_is_the_programs)
{
	char *argv[] = { "sh", "-c", "exit 7", NULL };
	char err[512] = "";
	int status = -1;
	cr_assert_eq(perf_record_exec(data, argv, NULL, &status, err, sizeof(err)), 0, "%s", err);
	cr_assert(WIFEXITED(status), "status 0x%x", status);
	cr_assert_eq(WEXITSTATUS(status), 7);
}

Test(perf_record, signal_death_is_the_programs)
{
	char *argv[] = { "sh", "-c", "kill -SEGV $$", NULL };
	char err[512] = "";
	int status = -1;
	cr_assert_eq(perf_record_exec(data, argv, NULL, &status, err, sizeof(err)), 0, "%s", err);
	cr_assert(WIFSIGNALED(status), "status 0x%x", status);
	cr_assert_eq(WTERMSIG(status), SIGSEGV);
}

Test(perf_record, missing_program_is_127)
{
	char *argv[] = { "/nonexistent/mmbench-no-such-program", NULL };
	char err[512] = "";
	int status = -1;
	cr_assert_eq(perf_record_exec(data, argv, NULL, &status, err, sizeof(err)), 0, "%s", err);
	cr_assert(WIFEXITED(status));
	cr_assert_eq(WEXITSTATUS(status), 127);
}

/* A forking shell: the children's exec and exit are in the recording. */
Test(perf_record, process_tree_followed_and_imported)
{
	char *argv[] = { "sh", "-c", "ls / | cat >/dev/null; /bin/true", NULL };
	char err[512] = "";
	int status = -1;
	trace_error_t terr;
	cr_assert_eq(perf_record_exec(data, argv, NULL, &status, err, sizeof(err)), 0, "%s", err);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status 0x%x", status);
	cr_assert_eq(perf_import_file(data, 0, trace, &terr), 0, "%s", terr.reason);

	trace_reader_t *r = trace_open(trace, &terr);
	cr_assert_not_null(r, "%s", terr.reason);
	const trace_summary_t *s = trace_summary(r);
	cr_assert_geq(s->nr_by_type[TRACE_FORK], 2, "fork of ls and cat");
	cr_assert_geq(s->nr_by_type[TRACE_EXEC], 3, "sh, ls, cat, true");
	cr_assert_geq(s->nr_by_type[TRACE_EXIT], 3);
	cr_assert_gt(s->nr_by_type[TRACE_MMAP], 10);
	cr_assert_gt(s->nr_by_type[TRACE_FAULT], 10);
	cr_assert_gt(s->nr_by_type[TRACE_PAGE_ALLOC], 10);
	cr_assert_gt(s->nr_by_type[TRACE_ALLOC], 10);
	cr_assert_str_eq(trace_meta_get(r, "source"), "perf");
	cr_assert_not_null(trace_meta_get(r, "clock_monotonic_origin_ns"));

	/* every EXEC names a real file, and ls is among them */
	trace_event_t ev;
	int rc, saw_ls = 0;
	while ((rc = trace_next(r, &ev)) == 1)
		if (ev.type == TRACE_EXEC && ev.exec.path_len == 11 &&
		    !memcmp(ev.exec.path, "/usr/bin/ls", 11))
			saw_ls = 1;
	cr_assert_eq(rc, 0);
	cr_assert(saw_ls, "EXEC /usr/bin/ls in the trace");
	trace_close(r);
}

/* ts is relative to the given origin: an origin 1 s earlier shifts every ts by 1 s. */
Test(perf_record, origin_shifts_timestamps)
{
	char *argv[] = { "/bin/true", NULL };
	char err[512] = "";
	int status;
	trace_error_t terr;
	cr_assert_eq(perf_record_exec(data, argv, NULL, &status, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(perf_import_file(data, 0, trace, &terr), 0, "%s", terr.reason);
	trace_reader_t *r = trace_open(trace, &terr);
	cr_assert_not_null(r);
	uint64_t origin = strtoull(trace_meta_get(r, "clock_monotonic_origin_ns"), NULL, 10);
	trace_event_t ev;
	cr_assert_eq(trace_next(r, &ev), 1);
	cr_assert_eq(ev.ts, 0);
	trace_close(r);
	cr_assert_eq(perf_import_file(data, origin - 1000000000u, trace, &terr), 0, "%s",
		     terr.reason);
	r = trace_open(trace, &terr);
	cr_assert_not_null(r);
	cr_assert_eq(trace_next(r, &ev), 1);
	cr_assert_eq(ev.ts, 1000000000u);
	trace_close(r);
}
