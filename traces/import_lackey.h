/*
 * import_lackey.h - import `valgrind --tool=lackey --trace-mem=yes` output
 * as a trace of ACCESS events (real user-space access streams).
 *
 * Lackey prints one line per guest memory access (valgrind lackey/lk_main.c,
 * trace_instr/trace_load/trace_store/trace_modify):
 *
 *   "I  %08lx,%lu"   instruction fetch of SIZE bytes at ADDR  -> ACCESS exec|user
 *   " L %08lx,%lu"   data load                                -> ACCESS read|user
 *   " S %08lx,%lu"   data store                               -> ACCESS write|user
 *   " M %08lx,%lu"   modify (load then store of the same bytes) -> one ACCESS write|user
 *
 * ADDR is hex (at least one digit, at most 64 bits), SIZE decimal bytes.
 * Valgrind's own lines start "==PID== " (banner, lackey's closing counts):
 * they give the pid of the accesses that follow them (the last one seen
 * wins); accesses before any such line get opts->pid (default 1).  tid =
 * pid, cpu = 0.  Every other line (the traced program's output when it
 * shares the stream, valgrind's "--PID--" and "**PID**" lines, blank lines)
 * is skipped and counted (lackey.skipped_lines).
 *
 * A line that starts like a record ("I  ", " L ", " S ", " M ") or like a
 * banner ("==" digits "==") but is malformed is an error: bad or missing hex
 * address, missing ',', bad size, size 0 or over 4096 bytes, ADDR + SIZE
 * past 2^64, trailing characters, a pid of 0 or over 2^31-1.  The error is
 * "FILE: at byte offset B: line N: REASON"; no output is left.
 *
 * Pages: an access whose bytes [ADDR, ADDR + SIZE) cross a 4 KiB page
 * boundary touches both pages and becomes two ACCESS events, one at ADDR and
 * one at the start of the next page (counted: lackey.split_accesses).
 * Nothing else is merged or dropped.
 *
 * Sampling: opts->sample_every = N > 1 keeps records 0, N, 2N, ... (counted
 * from 0 over all records of the input, every kind together); deterministic.
 *
 * Timestamps: lackey prints none.  ts is the record's index among all the
 * records of the input (sampled out ones included), so ts is monotonic and
 * says how far into the stream an access was, not a time in ns; the
 * metadata says so (lackey.ts = record-index).
 *
 * Metadata: header source=valgrind-lackey, import.format=lackey,
 * lackey.ts=record-index, lackey.sample_every=N; trailer lackey.accesses
 * (records read), lackey.sampled (records kept), lackey.instr / loads /
 * stores / modifies (records read by kind), lackey.split_accesses,
 * lackey.skipped_lines, lackey.valgrind_lines (==PID== lines), lackey.lines,
 * lackey.pid_switches (accesses whose pid differs from the previous
 * access's), lackey.events_written.
 */
#ifndef MMBENCH_IMPORT_LACKEY_H
#define MMBENCH_IMPORT_LACKEY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "traces/trace.h"

#define LACKEY_MAX_SIZE 4096            /* bytes, largest access size accepted */
#define LACKEY_PAGE_SIZE 4096ull        /* bytes, the page an access is split at */

typedef struct lackey_import_opts {
	uint32_t pid;                   /* pid before any ==PID== line; 0 = 1 */
	uint64_t sample_every;          /* keep one record in N; 0 or 1 = all */
	FILE *summary;                  /* one-line summary goes here; NULL = none */
	const trace_meta_t *meta;       /* extra header metadata, may be NULL */
	size_t nr_meta;                 /* pairs in meta */
	const trace_writer_opts_t *writer;      /* may be NULL */
} lackey_import_opts_t;

/* The kinds of lackey record. */
enum lackey_kind { LACKEY_INSTR, LACKEY_LOAD, LACKEY_STORE, LACKEY_MODIFY, LACKEY_NR_KINDS };

typedef struct lackey_record {
	uint64_t addr;          /* first byte accessed */
	uint32_t size;          /* bytes, 1..LACKEY_MAX_SIZE */
	uint8_t kind;           /* enum lackey_kind */
} lackey_record_t;

/*
 * Classify one line (s, len bytes, no newline).  Returns 1 with *rec set for
 * a lackey record, 2 with *pid set for a "==PID==" valgrind line, 0 for any
 * other line (skipped), or -1 with the reason in why_buf (why_len bytes)
 * for a line that starts like a record or a ==PID== line but is malformed.
 */
int lackey_parse_line(const char *s, size_t len, lackey_record_t *rec, uint32_t *pid,
		      char *why_buf, size_t why_len);

/*
 * The ACCESS flags of a record kind: TRACE_FAULT_USER plus EXEC for I,
 * WRITE for S and M, nothing more for L.
 */
uint32_t lackey_access_flags(unsigned kind);

/*
 * Import lackey output from in_path ("-" = standard input, read as a stream:
 * lackey output may be larger than memory) into the trace out_path.  opts
 * may be NULL.  Returns 0, or -1 with *err set (file, byte offset of the
 * offending line, "line N: ..." in the reason); no output file is left on
 * error.
 */
int lackey_import(const char *in_path, const char *out_path,
		  const lackey_import_opts_t *opts, trace_error_t *err);

/*
 * The same for len bytes at buf; name is used in errors.  With out_path NULL
 * the text is only parsed and checked (the fuzz target).  Returns 0 or -1.
 */
int lackey_import_mem(const char *buf, size_t len, const char *name,
		      const char *out_path, const lackey_import_opts_t *opts,
		      trace_error_t *err);

#endif /* MMBENCH_IMPORT_LACKEY_H */
