/*
 * perf_record.h - record kernel tracepoints of a program with perf(1) and
 * import them (`mmbench record --kernel`).
 *
 * What is recorded: kmem:mm_page_alloc, mm_page_free, mm_page_free_batched,
 * mm_page_alloc_extfrag, kmalloc, kfree, kmem_cache_alloc, kmem_cache_free;
 * exceptions:page_fault_user; syscalls:sys_enter_X and sys_exit_X for X =
 * mmap, munmap, mremap, mprotect, brk, madvise; sched:sched_process_fork,
 * exec, exit (tracepoints the running kernel lacks are left out).
 *
 * Scope: the program's process tree, not the whole system.  The program is
 * forked stopped, `perf record -p PID` attaches to it with inherit (perf's
 * default), and only once perf acknowledges that its events are enabled is
 * the program released to exec; every process and thread it creates after
 * that is followed.  Why: exact attribution (every event is the program's)
 * and far fewer events than a system-wide recording on a busy machine.  What
 * it misses: kernel work done on the program's behalf in other contexts -
 * kworkers, softirq and RCU frees (kfree_rcu, page frees after an RCU grace
 * period), kswapd and kcompactd - so some objects and pages the program
 * caused to be allocated are never seen freed, and frees of memory allocated
 * before the recording started are skipped by the importer (counted in the
 * trace metadata).
 *
 * perf is an external program (Debian package linux-perf); everything else
 * in mmbench works without it.
 */
#ifndef MMBENCH_PERF_RECORD_H
#define MMBENCH_PERF_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "traces/trace.h"

/*
 * Whether `perf record` of the tracepoints works here: the perf binary is on
 * PATH and a tiny `perf record -e kmem:mm_page_alloc -- true` succeeds.
 * Returns true; or false with why (len bytes, NUL-terminated) saying what is
 * missing (no perf binary, no tracefs, perf's own first error line).
 */
bool perf_available(char *why, size_t len);

/*
 * Run argv (argv[0] searched on PATH; envp NULL = this environment) under
 * `perf record -k CLOCK_MONOTONIC` of the tracepoints above, following its
 * process tree, into the perf.data file perf_data; perf's messages go to
 * "perf_data.log".  The program's stdin, stdout and stderr are this
 * process's.  Returns 0 with *wait_status the program's own waitpid() status
 * (exit code or signal); or -1 with err (errlen bytes) saying why (perf
 * could not start, or failed while recording).  When the program ran,
 * *wait_status is set even when -1 is returned.
 */
int perf_record_exec(const char *perf_data, char *const argv[], char *const envp[],
		     int *wait_status, char *err, size_t errlen);

/*
 * Run `perf script -i perf_data -F comm,pid,tid,cpu,time,event,trace --ns`
 * and import its output (traces/import_perf.h) into the trace out_trace,
 * with ts = CLOCK_MONOTONIC ns - origin_ns (0 = the first event's time).
 * Returns 0, or -1 with *err set (perf script failed, or its output did not
 * import).
 */
int perf_import_file(const char *perf_data, uint64_t origin_ns, const char *out_trace,
		     trace_error_t *err);

#endif /* MMBENCH_PERF_RECORD_H */
