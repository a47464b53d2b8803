/*
 * fuzz_text.c - libFuzzer target for the text-form importer.
 *
 * Parses the input with text_import_mem() in check-only mode (no output
 * file).  The sanitizers catch reads outside the input, undefined behaviour
 * and huge allocations; the target abort()s when an error is returned
 * without naming the file, a reason and a byte offset inside the input.
 *
 * Build: make build/fuzz/fuzz_text; run: tests/fuzz/run.sh (or `make fuzz`).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "traces/text.h"
#include "traces/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NAME "fuzz.txt"

static void fail(const char *what, const trace_error_t *err)
{
	fprintf(stderr, "fuzz_text: %s (event %llu, offset %llu, reason \"%.192s\")\n",
		what, (unsigned long long)err->event, (unsigned long long)err->offset,
		err->reason);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	trace_error_t err;
	memset(&err, 0, sizeof(err));
	int rc = text_import_mem((const char *)data, size, FUZZ_NAME, NULL, NULL, &err);
	if (rc == 0)
		return 0;
	if (rc != -1)
		fail("text_import_mem returned neither 0 nor -1", &err);
	if (strcmp(err.file, FUZZ_NAME))
		fail("error does not name the file", &err);
	if (!err.reason[0] || !memchr(err.reason, '\0', sizeof(err.reason)))
		fail("error without a reason", &err);
	if (err.offset > size)
		fail("error offset past the end of the input", &err);
	char msg[768];
	trace_error_format(&err, msg, sizeof(msg));
	if (!strstr(msg, "byte offset"))
		fail("formatted error has no byte offset", &err);
	return 0;
}
