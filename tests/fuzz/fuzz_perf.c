/*
 * fuzz_perf.c - libFuzzer target for the perf script importer.
 *
 * Parses the input with perf_import_mem() in check-only mode (no output
 * file): line headers, every field parser, gfp decoding, the id, cache,
 * file and syscall maps and sorting out-of-order lines.  The sanitizers catch
 * reads outside the input, undefined behaviour and leaks; the target
 * abort()s when an error is returned without naming the file, a reason with
 * its line number, and a byte offset inside the input.
 *
 * Build: make build/fuzz/fuzz_perf; run: tests/fuzz/run.sh (or `make fuzz`).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "traces/import_perf.h"
#include "traces/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NAME "fuzz.perf"

static void fail(const char *what, const trace_error_t *err)
{
	fprintf(stderr, "fuzz_perf: %s (offset %llu, reason \"%.192s\")\n", what,
		(unsigned long long)err->offset, err->reason);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	trace_error_t err;
	memset(&err, 0, sizeof(err));
	int rc = perf_import_mem((const char *)data, size, FUZZ_NAME, NULL, NULL, &err);
	if (rc == 0)
		return 0;
	if (rc != -1)
		fail("perf_import_mem returned neither 0 nor -1", &err);
	if (strcmp(err.file, FUZZ_NAME))
		fail("error does not name the file", &err);
	if (!memchr(err.reason, '\0', sizeof(err.reason)) || strncmp(err.reason, "line ", 5))
		fail("error reason does not start with the line number", &err);
	if (err.offset >= size)
		fail("error offset not inside the input", &err);
	char msg[768];
	trace_error_format(&err, msg, sizeof(msg));
	if (!strstr(msg, "byte offset"))
		fail("formatted error has no byte offset", &err);
	return 0;
}
