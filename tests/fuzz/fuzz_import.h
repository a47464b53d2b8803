/*
 * fuzz_import.h - what the libFuzzer targets of the text importers
 * (fuzz_perf, fuzz_lackey) check of an importer's result, shared.
 *
 * An importer returns 0, or -1 with an error naming the file, a reason that
 * starts with "line N", and a byte offset inside the input that the
 * formatted message shows.  Anything else abort()s with `target: what`.
 */
#ifndef MMBENCH_FUZZ_IMPORT_H
#define MMBENCH_FUZZ_IMPORT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "traces/trace.h"

static inline void fuzz_fail(const char *target, const char *what, const trace_error_t *err)
{
	fprintf(stderr, "%s: %s (offset %llu, reason \"%.192s\")\n", target, what,
		(unsigned long long)err->offset, err->reason);
	abort();
}

/* Check rc and err of an importer run on size bytes as the file `name`. */
static inline void fuzz_check_import(const char *target, const char *name, int rc,
				     const trace_error_t *err, size_t size)
{
	char msg[768];

	if (rc == 0)
		return;
	if (rc != -1)
		fuzz_fail(target, "the importer returned neither 0 nor -1", err);
	if (strcmp(err->file, name))
		fuzz_fail(target, "error does not name the file", err);
	if (!memchr(err->reason, '\0', sizeof(err->reason)) || strncmp(err->reason, "line ", 5))
		fuzz_fail(target, "error reason does not start with the line number", err);
	if (err->offset >= size)
		fuzz_fail(target, "error offset not inside the input", err);
	trace_error_format(err, msg, sizeof(msg));
	if (!strstr(msg, "byte offset"))
		fuzz_fail(target, "formatted error has no byte offset", err);
}

#endif /* MMBENCH_FUZZ_IMPORT_H */
