/*
 * text.h - the trace text form: one event per line (traces/FORMAT.md,
 * "Text form").  `mmbench dump` prints it, `mmbench import text` reads it;
 * dump -> import -> dump is byte-identical.  Golden test traces are written
 * in it.
 */
#ifndef MMBENCH_TEXT_H
#define MMBENCH_TEXT_H

#include <stddef.h>
#include <stdio.h>

#include "traces/trace.h"

/*
 * Format ev as one line of the text form, without the newline, into buf of
 * len bytes (NUL-terminated).  Returns the line's length, or -1 if it did
 * not fit (TEXT_LINE_MAX always fits).
 */
#define TEXT_LINE_MAX (4 * TRACE_MAX_STRING + 1024)
int text_format_event(char *buf, size_t len, const trace_event_t *ev);

/*
 * Print all of r as text to f: the header line, the metadata lines, then one
 * line per event.  Returns 0, or -1 with *err set (a malformed trace, or a
 * write error on f).
 */
int text_dump(trace_reader_t *r, FILE *f, trace_error_t *err);

/*
 * Parse the text form in the file in_path ("-" = standard input) and write it
 * as a binary trace to out_path.  Errors name the file, the event index, the
 * byte offset of the offending line's start and, in the reason, the line
 * number and field.  Returns 0, or -1 with *err set (no output file is left).
 */
int text_import(const char *in_path, const char *out_path,
		const trace_writer_opts_t *opts, trace_error_t *err);

/*
 * The same for len bytes at buf; name is used in errors.  With out_path NULL
 * the text is only parsed and checked (every event passes the same checks
 * the binary writer applies).  Returns 0 or -1 with *err set.
 */
int text_import_mem(const char *buf, size_t len, const char *name,
		    const char *out_path, const trace_writer_opts_t *opts,
		    trace_error_t *err);

#endif /* MMBENCH_TEXT_H */
