/*
 * csv.h - a careful reader of the CSV files mmbench writes (results.csv,
 * timeseries.csv, compare.csv): RFC 4180 fields, quoted fields may hold
 * commas, quotes ("" inside quotes) and newlines.  Input is untrusted: a
 * malformed file gives an error naming the file, the line and the byte
 * offset, never a crash.  A csv_t belongs to one thread.
 */
#ifndef MMBENCH_REPORT_CSV_H
#define MMBENCH_REPORT_CSV_H

#include <stddef.h>

/* Largest CSV file the report reads, in bytes. */
#define CSV_MAX_BYTES ((size_t)1 << 30)

typedef struct csv {
	char *path;		/* file name for errors (copied) */
	char *buf;		/* the whole file, NUL-terminated */
	size_t len;		/* bytes in buf */
	size_t pos;		/* next byte to parse */
	unsigned long line;	/* line (1-based) the current row starts on */
	unsigned long next_line; /* line the next row starts on */
	size_t row_off;		/* byte offset of the current row */
	char **fields;		/* the current row's fields (point into rowbuf) */
	size_t nr_fields;	/* fields in the current row */
	size_t cap_fields;	/* capacity of fields */
	char *rowbuf;		/* unquoted copy of the current row */
	size_t cap_rowbuf;	/* capacity of rowbuf, bytes */
} csv_t;

/*
 * Read all of path ("-" is not accepted) into c.  Returns 0, or -1 with
 * "PATH: reason" in err (missing file, larger than CSV_MAX_BYTES, a NUL
 * byte, out of memory).
 */
int csv_open(csv_t *c, const char *path, char *err, size_t errlen);

/* Same as csv_open() over a copy of len bytes of data, named name in errors. */
int csv_open_mem(csv_t *c, const char *name, const char *data, size_t len, char *err,
		 size_t errlen);

void csv_close(csv_t *c);

/*
 * Parse the next row into c->fields / c->nr_fields (valid until the next
 * call).  A row ends at "\n" or "\r\n" outside quotes; an empty line is a row
 * of one empty field.  Returns 1 for a row, 0 at the end of the file, or -1
 * with "PATH:LINE: reason (byte OFFSET)" in err for an unterminated quote or
 * text after a closing quote.
 */
int csv_next(csv_t *c, char *err, size_t errlen);

/*
 * Read the header row and check that it equals the comma-separated names in
 * want.  Returns 0, or -1 with "PATH:1: ..." in err.
 */
int csv_expect_header(csv_t *c, const char *want, char *err, size_t errlen);

/*
 * Format "PATH:LINE: message (byte OFFSET)" about the current row into err.
 * Returns -1, for `return csv_row_error(...)`.
 */
int csv_row_error(const csv_t *c, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Parse a whole decimal floating-point number ("NA" is not one).  Returns 0
 * with *out set, or -1.
 */
int csv_parse_double(const char *s, double *out);

#endif /* MMBENCH_REPORT_CSV_H */
