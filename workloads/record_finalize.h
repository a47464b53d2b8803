/*
 * record_finalize.h - turn a recording directory (the raw per-thread streams
 * and per-process outcome files of workloads/recorder/, see rec_raw.h) into
 * one trace: a k-way merge of the streams in time order, pointers turned into
 * dense object ids (the most recently freed id is reused first), files into
 * dense file ids by (st_dev, st_ino), and the processes' real outcome into the
 * trailer metadata.
 *
 * Mapping rules (traces/FORMAT.md):
 *   - pointers are per process: a fork child starts with no live objects, so
 *     its frees of memory inherited from the parent count as unknown frees;
 *     after an exec the old image's objects are gone (their ids are not
 *     reused, they stay live in the trace, like objects alive at exit);
 *   - a FREE of a pointer that is not live is dropped and counted
 *     (metadata unknown_frees); a REALLOC of one becomes an ALLOC and is
 *     counted too; an ALLOC of a pointer already live (a free the recorder
 *     did not see) takes a new id and is counted (live_pointer_allocs);
 *   - realloc(NULL, n) is an ALLOC and realloc(p, 0) a FREE, function realloc;
 *   - an EXEC record is kept when the new image confirmed it (REC_START
 *     follows) or nothing follows; otherwise the exec failed and it is
 *     dropped.  An image that starts without a recorded exec (the first
 *     process, children of posix_spawn) gets an EXEC with its executable,
 *     and a FORK in its parent when the parent is recorded and no FORK
 *     named it;
 *   - a stream whose size is not a multiple of the record size (a program
 *     killed while writing) loses its last partial record: recovered and
 *     counted (metadata raw_truncated_bytes); a signal handler that records
 *     while a wrapper is between a record and its REC_DATA slots leaves
 *     that record's arguments zero and its slots stray (skipped, counted in
 *     raw_stray_slots); timestamps that go backwards inside a stream are
 *     raised to the previous one.
 * Trailer metadata: unknown_frees, live_pointer_allocs, raw_truncated_bytes,
 * raw_stray_slots, lost_records, nr_processes, real.minflt / real.majflt / real.maxrss_kb /
 * real.vmhwm_kb (the root process), and per process
 * proc.<pid>.minflt / majflt / maxrss_kb / vmhwm_kb / maps_start / maps_end.
 * A maps value is /proc/<pid>/maps with each line shortened to
 * "START-END PERMS NAME" (NAME: the file's base name, a [bracketed] kernel
 * name, or "-" for anonymous memory) and lines joined by "; "; when longer
 * than TRACE_MAX_STRING it is cut at a line and ends "; ...+N" (N lines
 * left out).  Per-process keys stop when the trailer's 256 pairs would be
 * exceeded (maps go first); proc_meta_omitted then counts the processes
 * left out.
 */
#ifndef MMBENCH_RECORD_FINALIZE_H
#define MMBENCH_RECORD_FINALIZE_H

#include <stddef.h>
#include <stdint.h>

#include "traces/trace.h"

typedef struct record_finalize_opts {
	const char *dir;                /* the recording directory */
	const char *out;                /* trace path to write */
	const trace_meta_t *meta;       /* header metadata (cmdline, host, ...) */
	size_t nr_meta;                 /* pairs in meta */
	uint64_t origin_ns;             /* CLOCK_MONOTONIC ns of ts 0; 0 = earliest record */
	uint32_t root_pid;              /* the recorded command's pid; 0 = earliest process */
	bool touch;                     /* derive touch accesses from allocations (TRACE_ACCESS_TOUCH) */
	uint64_t lag_ns;                /* streaming: how far behind now it writes; 0 = RECORD_FINALIZE_LAG_NS */
} record_finalize_opts_t;

/*
 * While streaming, only records older than now - lag are written: a thread
 * or process that has just started flushes its first record at once, so
 * its stream is known within this time of its first record (record_finalize_start).
 */
#define RECORD_FINALIZE_LAG_NS 10000000ull      /* 10 ms */

typedef struct record_finalize_stats {
	uint64_t nr_records;            /* raw records read */
	uint64_t nr_events;             /* trace events written */
	uint64_t nr_streams;            /* t.*.raw files */
	uint64_t nr_processes;          /* distinct pids */
	uint64_t unknown_frees;         /* frees and reallocs of pointers not live */
	uint64_t live_pointer_allocs;   /* allocations of pointers already live */
	uint64_t truncated_bytes;       /* partial records dropped at stream ends */
	uint64_t stray_data;            /* REC_DATA slots whose record was cut off */
	uint64_t lost_records;          /* records the recorder could not write */
	uint64_t touch_events;          /* ACCESS events the touch model derived from allocations */
	uint64_t origin_ns;             /* the origin used */
	uint32_t root_pid;              /* the root process */
	uint64_t nr_streamed;           /* events written by record_finalize_step() (while the program ran) */
	bool restarted;                 /* streaming gave up (a stream showed up late): all done again at the end */
} record_finalize_stats_t;

typedef struct record_finalizer record_finalizer_t;

/*
 * Finalize the recording in o->dir into the trace o->out.  stats may be NULL.
 * Returns 0; or -1 with *err set: no streams in the directory, a stream that
 * cannot be read, a record of unknown type (err names the stream file, the
 * record index as the event and its byte offset), or a trace write error.
 * No partial trace is left behind on failure.
 */
int record_finalize(const record_finalize_opts_t *o, record_finalize_stats_t *stats,
		    trace_error_t *err);

/*
 * Finalize while the recorded program still runs, so that little is left
 * when it ends; the trace is byte for byte the one record_finalize() makes
 * of the complete directory.
 *
 * record_finalize_start() opens the output (o and err must outlive the
 * finalizer); it returns NULL with *err set on failure.  Streaming needs
 * o->origin_ns and o->root_pid; without them step() does nothing and
 * finish() does all the work.
 *
 * record_finalize_step() (call it every few ms while the program runs)
 * picks up new streams and the records flushed since, and writes the items
 * that can no longer be preceded by anything: older than the last record
 * of every stream that has not ended (REC_END, a thread's EXIT) and whose
 * thread is not blocked in a wait (REC_WAIT), and than now minus the lag.  A stream that appears later with older records than those
 * written makes the finalizer start over in finish() (stats->restarted).
 * Returns the number of events written, or -1 with *err set.
 *
 * record_finalize_finish(), once the program has ended: everything else,
 * the trailer, and the trace closed; frees f.  Returns 0 or -1 with *err
 * set (no partial trace is left).  record_finalize_cancel() frees f and
 * removes the partial output.
 */
record_finalizer_t *record_finalize_start(const record_finalize_opts_t *o, trace_error_t *err);
int64_t record_finalize_step(record_finalizer_t *f);
int record_finalize_finish(record_finalizer_t *f, record_finalize_stats_t *stats);
void record_finalize_cancel(record_finalizer_t *f);

/*
 * Shorten the /proc/PID/maps text (len bytes) into the one-line form above,
 * at most TRACE_MAX_STRING bytes plus a NUL, into out (size outlen).
 * Returns the number of lines converted.
 */
size_t record_maps_compact(const char *maps, size_t len, char *out, size_t outlen);

#endif /* MMBENCH_RECORD_FINALIZE_H */
