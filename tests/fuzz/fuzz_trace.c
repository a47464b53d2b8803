/*
 * fuzz_trace.c - libFuzzer target for the binary trace reader.
 *
 * Opens the input with trace_open_mem() and decodes every event with
 * trace_next() to the end.  Besides the sanitizers' own checks (no read
 * outside the input or the reader's buffers, no undefined behaviour, no
 * allocation past -rss_limit_mb), it abort()s when the reader returns
 * something a caller must be able to rely on and that is false:
 *
 *   - metadata keys and values follow the format's rules;
 *   - every event has a known type, ids inside the trailer's id spaces
 *     (trace_summary()->bounds), strings of at most TRACE_MAX_STRING bytes
 *     that can be read in full, non-decreasing timestamps, and passes the
 *     writer's own checks (so it could be written again);
 *   - a clean end has returned exactly the trailer's event count, the
 *     trailer's last timestamp, and the trailer's count of each type;
 *   - an error names the file, has a reason and a byte offset inside the
 *     input, and the event index where decoding stopped;
 *   - after the end or an error, trace_next() keeps returning the same.
 *
 * Checksums stop almost every mutation at the first check, so each input is
 * read three ways: as it is; with every checksum it carries recomputed
 * (repair()), which lets mutated sizes, offsets and counts through; and as the
 * decompressed events of a chunk wrapped into a valid trace (wrap_events()),
 * which exercises the event decoder on arbitrary bytes.  The repaired input is
 * read a second time with the chunk prefetch (trace_reader_prefetch()), which
 * must end exactly as the first read did.
 *
 * Build: make build/fuzz/fuzz_trace; run: tests/fuzz/run.sh (or `make fuzz`).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>
#include <zstd.h>

#include "traces/format.h"
#include "traces/trace.h"
#include "traces/varint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NAME "fuzz.mmt"

static void fail(const char *what, uint64_t event)
{
	fprintf(stderr, "fuzz_trace: event %llu: %s\n", (unsigned long long)event, what);
	abort();
}

/* A required id must be inside its space; an optional one may be TRACE_NO_ID. */
static void check_id(uint32_t id, uint32_t nr, const char *what, uint64_t i)
{
	if (id >= nr)
		fail(what, i);
}

static void check_opt_id(uint32_t id, uint32_t nr, const char *what, uint64_t i)
{
	if (id != TRACE_NO_ID && id >= nr)
		fail(what, i);
}

/* Touch every byte of a returned string so ASan sees a pointer past its buffer. */
static unsigned check_string(const char *s, uint32_t len, const char *what, uint64_t i)
{
	if (len > TRACE_MAX_STRING)
		fail(what, i);
	if (len && !s)
		fail(what, i);
	unsigned sum = 0;
	for (uint32_t k = 0; k < len; k++)
		sum += (unsigned char)s[k];
	return sum;
}

static void check_event(const trace_event_t *ev, const trace_summary_t *s, uint64_t i)
{
	const trace_bounds_t *b = &s->bounds;
	if (ev->type == 0 || ev->type >= TRACE_NR_TYPES)
		fail("type out of range", i);
	check_id(ev->cpu, b->nr_cpus, "cpu >= nr_cpus", i);
	if (fmt_event_invalid(ev))
		fail(fmt_event_invalid(ev), i);
	volatile unsigned sink = 0;
	switch (ev->type) {
	case TRACE_ALLOC:
		check_id(ev->alloc.id, b->nr_objects, "object id >= nr_objects", i);
		check_opt_id(ev->alloc.cache, b->nr_caches, "cache id >= nr_caches", i);
		if (ev->alloc.func >= TRACE_NR_FUNCS)
			fail("alloc func out of range", i);
		break;
	case TRACE_FREE:
		check_id(ev->free.id, b->nr_objects, "object id >= nr_objects", i);
		check_opt_id(ev->free.cache, b->nr_caches, "cache id >= nr_caches", i);
		if (ev->free.func >= TRACE_NR_FUNCS)
			fail("free func out of range", i);
		break;
	case TRACE_REALLOC:
		check_id(ev->realloc.old_id, b->nr_objects, "old id >= nr_objects", i);
		check_id(ev->realloc.new_id, b->nr_objects, "new id >= nr_objects", i);
		if (ev->realloc.func >= TRACE_NR_FUNCS)
			fail("realloc func out of range", i);
		break;
	case TRACE_CACHE_CREATE:
		check_id(ev->cache_create.cache, b->nr_caches, "cache id >= nr_caches", i);
		sink += check_string(ev->cache_create.name, ev->cache_create.name_len,
				     "cache name too long", i);
		break;
	case TRACE_CACHE_DESTROY:
		check_id(ev->cache_destroy.cache, b->nr_caches, "cache id >= nr_caches", i);
		break;
	case TRACE_PAGE_ALLOC:
		check_id(ev->page_alloc.page, b->nr_pages, "page id >= nr_pages", i);
		if (ev->page_alloc.order > TRACE_MAX_ORDER)
			fail("page order too large", i);
		break;
	case TRACE_PAGE_FREE:
		check_id(ev->page_free.page, b->nr_pages, "page id >= nr_pages", i);
		if (ev->page_free.order > TRACE_MAX_ORDER)
			fail("page order too large", i);
		break;
	case TRACE_MMAP:
		check_opt_id(ev->mmap.file, b->nr_files, "file id >= nr_files", i);
		break;
	case TRACE_EXEC:
		sink += check_string(ev->exec.path, ev->exec.path_len, "exec path too long", i);
		break;
	case TRACE_CMA_ALLOC:
	case TRACE_CMA_RELEASE:
		check_id(ev->cma.id, b->nr_cma, "cma id >= nr_cma", i);
		if (ev->cma.align > TRACE_MAX_ORDER)
			fail("cma align too large", i);
		break;
	case TRACE_MARK:
		sink += check_string(ev->mark.name, ev->mark.name_len, "mark name too long", i);
		break;
	}
	(void)sink;
}

/* Metadata pairs: NUL-terminated, keys 1..64 bytes of [A-Za-z0-9_.-], no newline. */
static void check_meta(const trace_reader_t *r)
{
	size_t n = trace_nr_meta(r);
	if (n > 2 * TRACE_MAX_META)
		fail("too many metadata pairs", TRACE_NO_EVENT);
	for (size_t i = 0; i < n; i++) {
		const trace_meta_t *m = trace_meta(r, i);
		if (!m || !m->key || !m->value)
			fail("metadata pair missing", TRACE_NO_EVENT);
		size_t klen = strlen(m->key);
		if (klen == 0 || klen > 64 ||
		    strspn(m->key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			   "0123456789_.-") != klen)
			fail("bad metadata key", TRACE_NO_EVENT);
		if (strlen(m->value) > TRACE_MAX_STRING || strchr(m->value, '\n'))
			fail("bad metadata value", TRACE_NO_EVENT);
		if (!trace_meta_get(r, m->key))
			fail("trace_meta_get misses a key", TRACE_NO_EVENT);
	}
	if (trace_meta(r, n))
		fail("trace_meta past the end", TRACE_NO_EVENT);
}

static void check_error(const trace_error_t *err, size_t size)
{
	if (strcmp(err->file, FUZZ_NAME))
		fail("error does not name the file", err->event);
	if (!err->reason[0] || !memchr(err->reason, '\0', sizeof(err->reason)))
		fail("error without a reason", err->event);
	if (err->offset > size)
		fail("error offset past the end of the input", err->event);
	char msg[768];
	trace_error_format(err, msg, sizeof(msg));
	if (!strstr(msg, "byte offset"))
		fail("formatted error has no byte offset", err->event);
}

/* Read the trace in buf (len bytes) to its end, checking as described above. */
/* How a read ended: trace_next()'s last return, the events before it, the error. */
struct outcome {
	int rc;
	uint64_t n;
	trace_error_t err;
};

/*
 * Read data to the end with every check above, with the next chunk
 * decompressed ahead on a helper thread when prefetch (trace_reader_prefetch()).
 */
static struct outcome read_trace(const uint8_t *data, size_t size, bool prefetch)
{
	struct outcome o;
	memset(&o, 0, sizeof(o));
	trace_reader_t *r = trace_open_mem(data, size, FUZZ_NAME, &o.err);
	if (!r) {
		check_error(&o.err, size);
		if (o.err.event != TRACE_NO_EVENT)
			fail("open error names an event", o.err.event);
		o.rc = -2;
		return o;
	}
	if (prefetch && trace_reader_prefetch(r) < 0)
		fail("the chunk prefetch did not start", 0);
	check_meta(r);
	const trace_summary_t *s = trace_summary(r);
	uint64_t by_type[TRACE_NR_TYPES] = { 0 };
	uint64_t n = 0, last_ts = 0;
	trace_event_t ev;
	int rc;
	for (;;) {
		memset(&ev, 0xa5, sizeof(ev));   /* stale fields must not pass checks */
		rc = trace_next(r, &ev);
		if (rc != 1)
			break;
		check_event(&ev, s, n);
		if (n && ev.ts < last_ts)
			fail("timestamp goes backwards", n);
		last_ts = ev.ts;
		by_type[ev.type]++;
		n++;
		if (trace_position(r) != n)
			fail("trace_position disagrees with the events returned", n);
		if (n > s->nr_events)
			fail("more events than the trailer says", n);
	}
	if (rc == 0) {
		if (n != s->nr_events)
			fail("clean end before the trailer's event count", n);
		if (n && last_ts != s->last_ts)
			fail("last timestamp differs from the trailer's", n);
		for (unsigned t = 0; t < TRACE_NR_TYPES; t++)
			if (by_type[t] != s->nr_by_type[t])
				fail("per-type count differs from the trailer's", n);
	} else if (rc == -1) {
		const trace_error_t *e = trace_reader_error(r);
		check_error(e, size);
		if (e->event != n || trace_position(r) != n)
			fail("error names another event than the one being decoded", n);
	} else {
		fail("trace_next returned neither 1, 0 nor -1", n);
	}
	if (trace_next(r, &ev) != rc || trace_next(r, &ev) != rc)
		fail("trace_next does not stay at its end or error", n);
	o.rc = rc;
	o.n = n;
	o.err = *trace_reader_error(r);
	trace_close(r);
	return o;
}

/* Reading with the chunk prefetch must end exactly as reading without it. */
static void read_both_ways(const uint8_t *data, size_t size)
{
	struct outcome a = read_trace(data, size, false), b = read_trace(data, size, true);

	if (a.rc != b.rc || a.n != b.n || a.err.event != b.err.event || a.err.offset != b.err.offset ||
	    a.err.chunk_offset != b.err.chunk_offset || strcmp(a.err.reason, b.err.reason))
		fail("the chunk prefetch changes how the read ends", a.n);
}

/* ------------------------------------------------------------- repaired */

/*
 * A copy of data with every checksum that can be located recomputed: the
 * header's and metadata's, each chunk header and compressed-data checksum the
 * index points at, and the index checksum in the footer.  Mutations of sizes,
 * offsets, counts and bounds then reach the checks behind the checksums.
 * Returns NULL when data is not a trace at all or the copy equals data.
 */
static uint8_t *repair(const uint8_t *data, size_t size)
{
	if (size < FMT_HEADER_SIZE || memcmp(data, FMT_MAGIC, 8))
		return NULL;
	uint8_t *b = malloc(size);
	if (!b)
		return NULL;
	memcpy(b, data, size);
	uint32_t mlen = get_le32(b + 12);
	uint64_t data_start = FMT_HEADER_SIZE;
	if (mlen <= size - FMT_HEADER_SIZE) {
		put_le32(b + 16, XXH32(b + FMT_HEADER_SIZE, mlen, 0));
		data_start += mlen;
	}
	put_le32(b + 20, XXH32(b, 20, 0));
	if (size >= data_start + FMT_FOOTER_SIZE &&
	    !memcmp(b + size - 8, FMT_FOOTER_MAGIC, 8)) {
		uint64_t foot = size - FMT_FOOTER_SIZE;
		uint64_t ioff = get_le64(b + foot);
		uint32_t isize = get_le32(b + foot + 8);
		if (ioff >= data_start && ioff <= foot && foot - ioff == isize &&
		    isize >= FMT_INDEX_FIXED) {
			const uint8_t *table = b + ioff + FMT_INDEX_FIXED;
			uint64_t nr = get_le64(b + ioff + 8);
			uint64_t max = (isize - FMT_INDEX_FIXED) / FMT_CHUNK_ENTRY;
			for (uint64_t i = 0; i < nr && i < max; i++) {
				uint64_t off = get_le64(table + i * FMT_CHUNK_ENTRY);
				if (off < data_start || off > ioff ||
				    ioff - off < FMT_CHUNK_HDR_SIZE)
					continue;
				uint8_t *h = b + off;
				uint32_t comp = get_le32(h + 4);
				if (comp <= ioff - off - FMT_CHUNK_HDR_SIZE)
					put_le32(h + 32, XXH32(h + FMT_CHUNK_HDR_SIZE, comp, 0));
				put_le32(h + 36, XXH32(h, 36, 0));
			}
			put_le32(b + foot + 12, XXH32(b + ioff, isize, 0));
		}
	}
	if (!memcmp(b, data, size)) {
		free(b);
		return NULL;
	}
	return b;
}

/* ------------------------------------------------------------- raw events */

/*
 * Wrapped input: the bytes after a 7-byte prefix become the decompressed
 * events of the one chunk of an otherwise valid trace, so every mutation
 * reaches the event decoder (zstd's and our checksums are made to match).
 *
 *   prefix[0..5]  bounds: nr_objects, nr_pages, nr_caches, nr_files, nr_cma, nr_cpus
 *   prefix[6]     events in the chunk, minus 1
 *
 * The trailer counts them all as ALLOC with last timestamp 0, so a trace
 * that decodes to its end usually fails the final count check: that is fine,
 * the decoder has seen every byte by then.  Returns the trace (*len bytes,
 * an exact allocation so ASan sees reads past it) or NULL.
 */
#define WRAP_PREFIX 7

static uint8_t *wrap_events(const uint8_t *data, size_t size, size_t *len)
{
	static ZSTD_CCtx *cctx;
	static uint8_t *frame;
	static size_t frame_cap;
	if (size < WRAP_PREFIX)
		return NULL;
	const uint8_t *raw = data + WRAP_PREFIX;
	size_t raw_len = size - WRAP_PREFIX;
	uint32_t nr = data[6] + 1u;
	size_t bound = ZSTD_compressBound(raw_len);
	if (!cctx) {
		cctx = ZSTD_createCCtx();
		if (!cctx)
			return NULL;
		ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 1);
		ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
	}
	if (bound > frame_cap) {
		free(frame);
		frame = malloc(bound);
		frame_cap = frame ? bound : 0;
		if (!frame)
			return NULL;
	}
	size_t comp = ZSTD_compress2(cctx, frame, frame_cap, raw, raw_len);
	if (ZSTD_isError(comp))
		return NULL;

	const size_t meta_len = 1;                      /* varint 0: no pairs */
	const uint64_t chunk_off = FMT_HEADER_SIZE + meta_len;
	const uint64_t ioff = chunk_off + FMT_CHUNK_HDR_SIZE + comp;
	const uint32_t isize = FMT_INDEX_FIXED + FMT_CHUNK_ENTRY + meta_len;
	*len = ioff + isize + FMT_FOOTER_SIZE;
	uint8_t *b = calloc(1, *len);
	if (!b)
		return NULL;

	memcpy(b, FMT_MAGIC, 8);
	put_le16(b + 8, TRACE_FORMAT_VERSION);
	put_le32(b + 12, (uint32_t)meta_len);
	put_le32(b + 16, XXH32(b + FMT_HEADER_SIZE, meta_len, 0));
	put_le32(b + 20, XXH32(b, 20, 0));

	uint8_t *h = b + chunk_off;
	memcpy(h, FMT_CHUNK_MAGIC, 4);
	put_le32(h + 4, (uint32_t)comp);
	put_le32(h + 8, (uint32_t)raw_len);
	put_le32(h + 12, nr);
	memcpy(h + FMT_CHUNK_HDR_SIZE, frame, comp);
	put_le32(h + 32, XXH32(frame, comp, 0));
	put_le32(h + 36, XXH32(h, 36, 0));

	uint8_t *ix = b + ioff;
	memcpy(ix, FMT_INDEX_MAGIC, 4);
	put_le32(ix + 4, (uint32_t)meta_len);
	put_le64(ix + 8, 1);
	put_le64(ix + 16, nr);
	for (unsigned k = 0; k < 6; k++)
		put_le32(ix + 32 + 4 * k, data[k]);
	put_le64(ix + 56 + 8 * TRACE_ALLOC, nr);
	uint8_t *e = ix + FMT_INDEX_FIXED;
	put_le64(e, chunk_off);
	put_le32(e + 24, nr);
	put_le32(e + 28, (uint32_t)raw_len);

	uint8_t *f = ix + isize;
	put_le64(f, ioff);
	put_le32(f + 8, isize);
	put_le32(f + 12, XXH32(ix, isize, 0));
	memcpy(f + 16, FMT_FOOTER_MAGIC, 8);
	return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	read_trace(data, size, false);

	uint8_t *b = repair(data, size);
	if (b) {
		read_both_ways(b, size);
		free(b);
	}

	size_t len;
	b = wrap_events(data, size, &len);
	if (b) {
		read_trace(b, len, false);
		free(b);
	}
	return 0;
}
