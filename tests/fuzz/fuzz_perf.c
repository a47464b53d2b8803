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
#include "tests/fuzz/fuzz_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NAME "fuzz.perf"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	trace_error_t err;
	memset(&err, 0, sizeof(err));
	int rc = perf_import_mem((const char *)data, size, FUZZ_NAME, NULL, NULL, &err);
	fuzz_check_import("fuzz_perf", FUZZ_NAME, rc, &err, size);
	return 0;
}
