/*
 * fuzz_lackey.c - libFuzzer target for the valgrind lackey importer.
 *
 * Parses the input with lackey_import_mem() in check-only mode (no output
 * file): line splitting, the record and ==PID== parsers, sampling and page
 * splits.  Every line is also given to lackey_parse_line() on its own, which
 * must classify it as one of its four results and leave a reason on -1.
 * The sanitizers catch reads outside the input and undefined behaviour; the
 * target abort()s when an error is returned without naming the file, a
 * reason with its line number, and a byte offset inside the input.
 *
 * Build: make build/fuzz/fuzz_lackey; run: tests/fuzz/run.sh (or `make fuzz`).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "traces/import_lackey.h"
#include "traces/trace.h"
#include "tests/fuzz/fuzz_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NAME "fuzz.lackey"

static void fail(const char *what, const trace_error_t *err)
{
	fuzz_fail("fuzz_lackey", what, err);
}

static void check_lines(const char *s, size_t size)
{
	static const trace_error_t none;
	size_t off = 0;
	while (off < size) {
		const char *nl = memchr(s + off, '\n', size - off);
		size_t n = nl ? (size_t)(nl - (s + off)) : size - off;
		lackey_record_t rec;
		uint32_t pid = 0;
		char why[192] = "";
		int r = lackey_parse_line(s + off, n, &rec, &pid, why, sizeof(why));
		if (r < -1 || r > 2)
			fail("lackey_parse_line returned an unknown result", &none);
		if (r == -1 && !why[0])
			fail("malformed line without a reason", &none);
		if (r == 1 && (rec.size < 1 || rec.size > LACKEY_MAX_SIZE || rec.kind >= LACKEY_NR_KINDS ||
			       rec.addr + (rec.size - 1) < rec.addr))
			fail("record out of its documented range", &none);
		if (r == 2 && (pid == 0 || pid > INT32_MAX))
			fail("pid out of its documented range", &none);
		off += n + (nl != NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	trace_error_t err;
	lackey_import_opts_t opts = { .sample_every = size ? 1 + data[0] % 4 : 1 };
	memset(&err, 0, sizeof(err));
	check_lines((const char *)data, size);
	int rc = lackey_import_mem((const char *)data, size, FUZZ_NAME, NULL, &opts, &err);
	fuzz_check_import("fuzz_lackey", FUZZ_NAME, rc, &err, size);
	return 0;
}
