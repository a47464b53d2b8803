/*
 * summary.h - the run context every results directory carries in
 * summary.json: which mmbench (version, git revision), which machine and
 * kernel it ran on, which trace (its metadata and counts).  replay and
 * baseline add their own sections (policy, options, counters) to the object
 * summary_begin() returns.
 */
#ifndef MMBENCH_SUMMARY_H
#define MMBENCH_SUMMARY_H

#include <jansson.h>
#include <stddef.h>

#include "traces/trace.h"

#define MMBENCH_VERSION "0.3.0"

/* The git revision mmbench was built from ("unknown" outside a git tree). */
const char *mmbench_git_revision(void);

/*
 * A new summary object:
 *   {"mmbench": {"version", "git_revision"},
 *    "machine": {"arch", "cpu_model", "nr_cpus_online", "mem_total_bytes"},
 *    "kernel": {"sysname", "release", "version"},
 *    "command": what (e.g. "replay"), "started_at": UTC ISO 8601}
 * Returns NULL when out of memory.
 */
json_t *summary_begin(const char *command);

/*
 * The trace section: {"path", "name", "events", "chunks", "last_ts_ns",
 * "events_by_type": {TYPE: n}, "bounds": {...}, "meta": {key: value}}.
 * Returns NULL when out of memory.
 */
json_t *summary_trace(const trace_reader_t *r, const char *path);

/*
 * The name a trace goes by in results: its file name without directory and
 * without a ".mmt" or ".mmt.zst" suffix, into buf.  Returns buf.
 */
char *trace_name_from_path(const char *path, char *buf, size_t len);

/*
 * Write DIR/summary.json (2-space indent, keys in insertion order) through a
 * temporary file.  Returns 0, or -1 with a message naming the path in err.
 */
int summary_save(const char *dir, const json_t *summary, char *err, size_t errlen);

#endif /* MMBENCH_SUMMARY_H */
