/*
 * make-corpus.c - writes the malformed-trace corpus tests/data/bad/ (one file
 * per damage case, plus EXPECT), the malformed text corpus
 * tests/data/bad-text/ (plus EXPECT) and the valid seeds of the binary-reader
 * fuzzer (tests/fuzz/seeds-fuzz_trace/).
 *
 * Every binary case starts from one small valid trace written by the real
 * writer (24 events of all 21 types in 6 chunks of 4).  The generator parses
 * it into a model (header fields, metadata, decompressed chunk events, index
 * fields), changes the model or the bytes, and rebuilds the file.  Cases that
 * test a decoder or consistency check rebuild every checksum (and the zstd
 * frame) so that the intended check, not a checksum, is what fails; bit-flip
 * cases leave the checksums alone.  The EXPECT line of each file is the
 * reason text the reader gives (tests/cli/run.sh checks it).
 *
 * Not part of `make`.  Build and run from the repository root:
 *
 *   gcc -std=c11 -D_GNU_SOURCE -O1 -I. -o /tmp/make-corpus \
 *       tests/data/bad/make-corpus.c traces/trace.c traces/trace_writer.c \
 *       -lzstd -lxxhash
 *   /tmp/make-corpus .
 *
 * The output depends only on this file, the writer and the zstd version
 * (compressed bytes may differ between zstd releases; the cases do not).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>
#include <zstd.h>

#include "traces/format.h"
#include "traces/trace.h"
#include "traces/varint.h"

#define MAX_CHUNKS   32
#define RAW_MAX      8192       /* bytes of events per chunk in the model */
#define META_MAX     4096
#define IMAGE_MAX    (64 * 1024)

typedef struct chunk {
	uint8_t raw[RAW_MAX];   /* decompressed events */
	size_t raw_len;         /* bytes */
	uint32_t nr;            /* events */
	uint64_t first;         /* index of the first event */
	uint64_t base_ts;       /* ns */
} chunk_t;

typedef struct model {
	uint16_t version, flags;
	uint8_t meta[META_MAX];         /* header metadata block */
	size_t meta_len;
	chunk_t chunk[MAX_CHUNKS];
	size_t nr_chunks;
	uint8_t index[FMT_INDEX_FIXED]; /* fixed part of the index, as in the file */
	uint8_t tmeta[META_MAX];        /* trailer metadata block */
	size_t tmeta_len;
	size_t gap;                     /* junk bytes between the last chunk and the index */
	bool phantom;                   /* one more table entry, for a chunk in the gap */
} model_t;

/* A built file and where its parts are. */
typedef struct image {
	uint8_t b[IMAGE_MAX];
	size_t len;
	uint64_t chunk_off[MAX_CHUNKS];
	uint64_t index_off;
	uint32_t index_size;
} image_t;

static ZSTD_CCtx *cctx;

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "make-corpus: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

/* ------------------------------------------------------------ the base trace */

static trace_event_t ev_at(unsigned i, unsigned type)
{
	trace_event_t e;
	memset(&e, 0, sizeof(e));
	e.ts = 1000 + 10 * i;
	e.cpu = i < 8 ? 0 : 1;          /* cpu 1 from chunk 2 on */
	e.pid = i < 17 ? 42 : 43;       /* the child of the FORK from EXEC on */
	e.tid = e.pid;
	e.type = (uint8_t)type;
	return e;
}

/*
 * 24 events, all 21 types; with 4 events a chunk the first events of the
 * chunks are PAGE_ALLOC (1), ALLOC (2), MADVISE (3), FORK (4) and MARK (5),
 * which the cases below patch.  Ids: objects 0..2, page 0, cache 0, file 0,
 * cma 0; cpus 0..1.
 */
static size_t base_events(trace_event_t *ev)
{
	size_t n = 0;
	trace_event_t e;

	e = ev_at(n, TRACE_CACHE_CREATE);
	e.cache_create.cache = 0;
	e.cache_create.flags = 0x2000;
	e.cache_create.size = 192;
	e.cache_create.align = 64;
	e.cache_create.name = "dentry";
	e.cache_create.name_len = 6;
	ev[n++] = e;
	e = ev_at(n, TRACE_ALLOC);
	e.alloc.func = TRACE_FN_KMEM_CACHE_ALLOC;
	e.alloc.id = 0;
	e.alloc.cache = 0;
	e.alloc.size = 192;
	e.alloc.gfp = 0xcc0;
	ev[n++] = e;
	e = ev_at(n, TRACE_ALLOC);
	e.alloc.func = TRACE_FN_MALLOC;
	e.alloc.id = 1;
	e.alloc.cache = TRACE_NO_ID;
	e.alloc.size = 100;
	ev[n++] = e;
	e = ev_at(n, TRACE_REALLOC);
	e.realloc.func = TRACE_FN_REALLOC;
	e.realloc.old_id = 1;
	e.realloc.new_id = 1;
	e.realloc.size = 200;
	ev[n++] = e;

	e = ev_at(n, TRACE_PAGE_ALLOC);         /* chunk 1 */
	e.page_alloc.page = 0;
	e.page_alloc.order = 2;
	e.page_alloc.gfp = 0xcc0;
	e.page_alloc.migratetype = 1;
	ev[n++] = e;
	e = ev_at(n, TRACE_MMAP);
	e.mmap.len = 2 << 20;
	e.mmap.prot = 1;
	e.mmap.flags = 0x02;
	e.mmap.file = 0;
	e.mmap.pgoff = 16;
	e.mmap.result = 0x7f0000000000;
	ev[n++] = e;
	e = ev_at(n, TRACE_FAULT);
	e.fault.addr = 0x7f0000001000;
	e.fault.flags = TRACE_FAULT_USER;
	ev[n++] = e;
	e = ev_at(n, TRACE_ACCESS);
	e.access.addr = 0x7f0000001008;
	e.access.flags = TRACE_FAULT_WRITE | TRACE_FAULT_USER;
	ev[n++] = e;

	e = ev_at(n, TRACE_ALLOC);              /* chunk 2 */
	e.alloc.func = TRACE_FN_MALLOC;
	e.alloc.id = 2;
	e.alloc.cache = TRACE_NO_ID;
	e.alloc.size = 4096;
	ev[n++] = e;
	e = ev_at(n, TRACE_FREE);
	e.free.func = TRACE_FN_FREE;
	e.free.id = 1;
	e.free.cache = TRACE_NO_ID;
	ev[n++] = e;
	e = ev_at(n, TRACE_PAGE_FREE);
	e.page_free.page = 0;
	e.page_free.order = 2;
	ev[n++] = e;
	e = ev_at(n, TRACE_MPROTECT);
	e.mprotect.addr = 0x7f0000000000;
	e.mprotect.len = 4096;
	e.mprotect.prot = 0;
	ev[n++] = e;

	e = ev_at(n, TRACE_MADVISE);            /* chunk 3 */
	e.madvise.addr = 0x7f0000001000;
	e.madvise.len = 4096;
	e.madvise.advice = 4;
	ev[n++] = e;
	e = ev_at(n, TRACE_MREMAP);
	e.mremap.addr = 0x7f0000000000;
	e.mremap.old_len = 2 << 20;
	e.mremap.new_len = 4 << 20;
	e.mremap.flags = 1;
	e.mremap.result = 0x7f0000400000;
	ev[n++] = e;
	e = ev_at(n, TRACE_MUNMAP);
	e.munmap.addr = 0x7f0000400000;
	e.munmap.len = 4 << 20;
	ev[n++] = e;
	e = ev_at(n, TRACE_BRK);
	e.brk.request = 0x555555580000;
	e.brk.result = 0x555555580000;
	ev[n++] = e;

	e = ev_at(n, TRACE_FORK);               /* chunk 4 */
	e.fork.child = 43;
	ev[n++] = e;
	e = ev_at(n, TRACE_EXEC);
	e.exec.path = "/bin/true";
	e.exec.path_len = 9;
	ev[n++] = e;
	e = ev_at(n, TRACE_CMA_ALLOC);
	e.cma.area = 0;
	e.cma.id = 0;
	e.cma.count = 16;
	e.cma.align = 4;
	ev[n++] = e;
	e = ev_at(n, TRACE_CMA_RELEASE);
	e.cma.area = 0;
	e.cma.id = 0;
	e.cma.count = 16;
	ev[n++] = e;

	e = ev_at(n, TRACE_MARK);               /* chunk 5 */
	e.pid = e.tid = 42;
	e.mark.name = "warmup-end";
	e.mark.name_len = 10;
	ev[n++] = e;
	e = ev_at(n, TRACE_FREE);
	e.pid = e.tid = 42;
	e.free.func = TRACE_FN_KMEM_CACHE_FREE;
	e.free.id = 0;
	e.free.cache = 0;
	ev[n++] = e;
	e = ev_at(n, TRACE_CACHE_DESTROY);
	e.pid = e.tid = 42;
	e.cache_destroy.cache = 0;
	ev[n++] = e;
	e = ev_at(n, TRACE_EXIT);
	e.exit.code = 0;
	ev[n++] = e;
	return n;
}

/* Write evs with the real writer to path; chunk_events 0 = the default. */
static void write_trace(const char *path, const trace_event_t *ev, size_t n,
			uint32_t chunk_events)
{
	static const trace_meta_t meta[] = {
		{ "source", "synthetic" },
		{ "generator", "tests/data/bad/make-corpus.c" },
	};
	trace_writer_opts_t opts = { .chunk_events = chunk_events };
	trace_error_t err;
	char msg[768];
	trace_writer_t *w = trace_writer_open(path, meta, 2, &opts, &err);
	if (!w)
		die("%s", trace_error_format(&err, msg, sizeof(msg)));
	for (size_t i = 0; i < n; i++)
		if (trace_write(w, &ev[i]))
			die("event %zu: %s", i, trace_writer_error(w)->reason);
	if (trace_writer_add_meta(w, "proc.42.minflt", "7"))
		die("%s", trace_writer_error(w)->reason);
	if (trace_writer_close(w, &err))
		die("%s", trace_error_format(&err, msg, sizeof(msg)));
}

static size_t load(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		die("%s: %s", path, strerror(errno));
	size_t n = fread(buf, 1, cap, f);
	if (n == cap)
		die("%s: larger than %zu bytes", path, cap);
	fclose(f);
	return n;
}

/* ------------------------------------------------------------ model <-> bytes */

/* Parse a valid trace (no checks beyond what the generator needs). */
static void parse(const uint8_t *b, size_t len, model_t *m)
{
	memset(m, 0, sizeof(*m));
	if (len < FMT_HEADER_SIZE + FMT_FOOTER_SIZE || memcmp(b, FMT_MAGIC, 8))
		die("base trace is not a trace");
	m->version = get_le16(b + 8);
	m->flags = get_le16(b + 10);
	m->meta_len = get_le32(b + 12);
	if (m->meta_len > META_MAX)
		die("base metadata too large");
	memcpy(m->meta, b + FMT_HEADER_SIZE, m->meta_len);
	uint64_t ioff = get_le64(b + len - FMT_FOOTER_SIZE);
	const uint8_t *ix = b + ioff;
	memcpy(m->index, ix, FMT_INDEX_FIXED);
	m->nr_chunks = get_le64(ix + 8);
	if (m->nr_chunks > MAX_CHUNKS)
		die("base trace has too many chunks");
	m->tmeta_len = get_le32(ix + 4);
	memcpy(m->tmeta, ix + FMT_INDEX_FIXED + m->nr_chunks * FMT_CHUNK_ENTRY, m->tmeta_len);
	for (size_t i = 0; i < m->nr_chunks; i++) {
		const uint8_t *e = ix + FMT_INDEX_FIXED + i * FMT_CHUNK_ENTRY;
		const uint8_t *h = b + get_le64(e);
		chunk_t *c = &m->chunk[i];
		c->first = get_le64(e + 8);
		c->base_ts = get_le64(e + 16);
		c->nr = get_le32(e + 24);
		size_t raw = get_le32(e + 28);
		if (raw > RAW_MAX)
			die("base chunk too large");
		size_t n = ZSTD_decompress(c->raw, RAW_MAX, h + FMT_CHUNK_HDR_SIZE, get_le32(h + 4));
		if (ZSTD_isError(n) || n != raw)
			die("base chunk %zu does not decompress", i);
		c->raw_len = n;
	}
}

static size_t compress(const uint8_t *raw, size_t len, uint8_t *out, size_t cap)
{
	size_t n = ZSTD_compress2(cctx, out, cap, raw, len);
	if (ZSTD_isError(n))
		die("zstd: %s", ZSTD_getErrorName(n));
	return n;
}

static void fix_header(image_t *im)
{
	uint32_t mlen = get_le32(im->b + 12);
	if (mlen <= im->len - FMT_HEADER_SIZE)
		put_le32(im->b + 16, XXH32(im->b + FMT_HEADER_SIZE, mlen, 0));
	put_le32(im->b + 20, XXH32(im->b, 20, 0));
}

/* Recompute chunk i's data and header checksums from its header's comp size. */
static void fix_chunk(image_t *im, size_t i)
{
	uint8_t *h = im->b + im->chunk_off[i];
	put_le32(h + 32, XXH32(h + FMT_CHUNK_HDR_SIZE, get_le32(h + 4), 0));
	put_le32(h + 36, XXH32(h, 36, 0));
}

/* Recompute only chunk i's header checksum. */
static void fix_chunk_header(image_t *im, size_t i)
{
	uint8_t *h = im->b + im->chunk_off[i];
	put_le32(h + 36, XXH32(h, 36, 0));
}

static void fix_index(image_t *im)
{
	put_le32(im->b + im->len - FMT_FOOTER_SIZE + 12,
		 XXH32(im->b + im->index_off, im->index_size, 0));
}

static uint8_t *chunk_entry(image_t *im, size_t i)
{
	return im->b + im->index_off + FMT_INDEX_FIXED + i * FMT_CHUNK_ENTRY;
}

/* Write m as a trace file with every checksum right. */
static void build(const model_t *m, image_t *im)
{
	uint8_t *b = im->b;
	memset(im, 0, sizeof(*im));
	memcpy(b, FMT_MAGIC, 8);
	put_le16(b + 8, m->version);
	put_le16(b + 10, m->flags);
	put_le32(b + 12, (uint32_t)m->meta_len);
	memcpy(b + FMT_HEADER_SIZE, m->meta, m->meta_len);
	size_t off = FMT_HEADER_SIZE + m->meta_len;
	for (size_t i = 0; i < m->nr_chunks; i++) {
		const chunk_t *c = &m->chunk[i];
		uint8_t *h = b + off;
		size_t comp = compress(c->raw, c->raw_len, h + FMT_CHUNK_HDR_SIZE,
				       IMAGE_MAX / 2 - off);
		memcpy(h, FMT_CHUNK_MAGIC, 4);
		put_le32(h + 4, (uint32_t)comp);
		put_le32(h + 8, (uint32_t)c->raw_len);
		put_le32(h + 12, c->nr);
		put_le64(h + 16, c->first);
		put_le64(h + 24, c->base_ts);
		im->chunk_off[i] = off;
		off += FMT_CHUNK_HDR_SIZE + comp;
	}
	memset(b + off, 0xee, m->gap);
	off += m->gap;
	im->index_off = off;
	uint8_t *ix = b + off;
	memcpy(ix, m->index, FMT_INDEX_FIXED);
	put_le32(ix + 4, (uint32_t)m->tmeta_len);
	put_le64(ix + 8, m->nr_chunks);
	for (size_t i = 0; i < m->nr_chunks; i++) {
		const chunk_t *c = &m->chunk[i];
		uint8_t *e = ix + FMT_INDEX_FIXED + i * FMT_CHUNK_ENTRY;
		put_le64(e, im->chunk_off[i]);
		put_le64(e + 8, c->first);
		put_le64(e + 16, c->base_ts);
		put_le32(e + 24, c->nr);
		put_le32(e + 28, (uint32_t)c->raw_len);
	}
	size_t isize = FMT_INDEX_FIXED + m->nr_chunks * FMT_CHUNK_ENTRY;
	if (m->phantom) {
		/* a one-event chunk said to start in the gap before the index */
		const chunk_t *last = &m->chunk[m->nr_chunks - 1];
		uint8_t *e = ix + isize;
		put_le64(e, im->index_off - m->gap);
		put_le64(e + 8, last->first + last->nr);
		put_le64(e + 16, get_le64(m->index + 24));
		put_le32(e + 24, 1);
		put_le32(e + 28, 2);
		put_le64(ix + 8, m->nr_chunks + 1);
		isize += FMT_CHUNK_ENTRY;
	}
	memcpy(ix + isize, m->tmeta, m->tmeta_len);
	isize += m->tmeta_len;
	im->index_size = (uint32_t)isize;
	off += isize;
	put_le64(b + off, im->index_off);
	put_le32(b + off + 8, (uint32_t)isize);
	memcpy(b + off + 16, FMT_FOOTER_MAGIC, 8);
	im->len = off + FMT_FOOTER_SIZE;
	fix_header(im);
	for (size_t i = 0; i < m->nr_chunks; i++)
		fix_chunk(im, i);
	fix_index(im);
}

/* ------------------------------------------------------------ raw event edits */

/* Bytes of the varint at p. */
static size_t varint_len(const uint8_t *p)
{
	size_t n = 1;
	while (*p++ & 0x80)
		n++;
	return n;
}

/* Replace del bytes at off in chunk c's events with ins_len bytes from ins. */
static void splice(chunk_t *c, size_t off, size_t del, const uint8_t *ins, size_t ins_len)
{
	if (off + del > c->raw_len || c->raw_len - del + ins_len > RAW_MAX)
		die("splice out of range");
	memmove(c->raw + off + ins_len, c->raw + off + del, c->raw_len - off - del);
	if (ins_len)
		memcpy(c->raw + off, ins, ins_len);
	c->raw_len = c->raw_len - del + ins_len;
}

/* Offset of the dts varint of a chunk's first event (which carries CTX). */
static size_t first_dts(const chunk_t *c)
{
	if (!(c->raw[0] & FMT_TAG_CTX))
		die("first event without context");
	size_t off = 1;
	for (int k = 0; k < 4; k++)     /* context index 0 (new), cpu, pid, tid */
		off += varint_len(c->raw + off);
	return off;
}

/* Offset of the first payload field of a chunk's first event. */
static size_t first_payload(const chunk_t *c)
{
	size_t off = first_dts(c);
	return off + varint_len(c->raw + off);
}

static void expect_type(const chunk_t *c, unsigned type)
{
	if ((c->raw[0] & FMT_TAG_TYPE_MASK) != type)
		die("chunk starts with type %u, the case expects %u",
		    c->raw[0] & FMT_TAG_TYPE_MASK, type);
}

/* Replace the varint at off in chunk c with the varint of v. */
static void set_varint(chunk_t *c, size_t off, uint64_t v)
{
	uint8_t buf[VARINT_MAX_LEN];
	size_t n = (size_t)(varint_put(buf, v) - buf);
	splice(c, off, varint_len(c->raw + off), buf, n);
}

/* ------------------------------------------------------------ the cases */

static model_t base;

typedef struct bad_case {
	const char *name;       /* file name in tests/data/bad/ */
	const char *expect;     /* substring of the reader's reason */
	void (*make)(model_t *m, image_t *im);   /* change a copy of the base, build */
} bad_case_t;

#define CHUNK_DATA(im, i) ((im)->b + (im)->chunk_off[i] + FMT_CHUNK_HDR_SIZE)

static void mk_empty(model_t *m, image_t *im)
{
	build(m, im);
	im->len = 0;
}

static void mk_trunc_header(model_t *m, image_t *im)
{
	build(m, im);
	im->len = 7;            /* "MMBTRAC" */
}

static void mk_trunc_header_mid(model_t *m, image_t *im)
{
	build(m, im);
	im->len = 16;           /* magic, version, flags, meta size: half a header */
}

static void mk_trunc_meta(model_t *m, image_t *im)
{
	build(m, im);
	im->len = FMT_HEADER_SIZE + m->meta_len / 2;
}

static void mk_trunc_after_meta(model_t *m, image_t *im)
{
	build(m, im);
	im->len = FMT_HEADER_SIZE + m->meta_len + 10;   /* shorter than a footer after it */
}

static void mk_trunc_chunk(model_t *m, image_t *im)
{
	build(m, im);
	im->len = im->chunk_off[2] + FMT_CHUNK_HDR_SIZE + 5;   /* inside chunk 2's frame */
}

static void mk_trunc_chunk_header(model_t *m, image_t *im)
{
	build(m, im);
	im->len = im->chunk_off[3] + 20;
}

static void mk_trunc_index(model_t *m, image_t *im)
{
	build(m, im);
	im->len = im->index_off;        /* the whole trailer is missing */
}

static void mk_trunc_footer(model_t *m, image_t *im)
{
	build(m, im);
	im->len -= 10;
}

static void mk_bad_magic(model_t *m, image_t *im)
{
	build(m, im);
	memcpy(im->b, "MMBTRACX", 8);
	fix_header(im);
}

static void mk_not_a_trace(model_t *m, image_t *im)
{
	(void)m;
	static const char text[] = "# mmbench trace text v1\n0 1/1 [0] MARK name=\"x\"\n";
	memcpy(im->b, text, sizeof(text) - 1);
	im->len = sizeof(text) - 1;
}

static void mk_version2(model_t *m, image_t *im)
{
	m->version = 2;
	build(m, im);
}

static void mk_version0(model_t *m, image_t *im)
{
	m->version = 0;
	build(m, im);
}

static void mk_header_flag(model_t *m, image_t *im)
{
	m->flags = 0x1;
	build(m, im);
}

static void mk_flip_header(model_t *m, image_t *im)
{
	build(m, im);
	im->b[12] ^= 0x01;      /* meta size, checksum left as it was */
}

static void mk_flip_header_sum(model_t *m, image_t *im)
{
	build(m, im);
	im->b[22] ^= 0x10;
}

static void mk_flip_meta(model_t *m, image_t *im)
{
	build(m, im);
	im->b[FMT_HEADER_SIZE + 5] ^= 0x04;
}

static void mk_flip_chunk_header(model_t *m, image_t *im)
{
	build(m, im);
	im->b[im->chunk_off[1] + 24] ^= 0x02;   /* base_ts */
}

static void mk_flip_chunk_data(model_t *m, image_t *im)
{
	build(m, im);
	CHUNK_DATA(im, 1)[get_le32(im->b + im->chunk_off[1] + 4) / 2] ^= 0x40;
}

static void mk_flip_index(model_t *m, image_t *im)
{
	build(m, im);
	im->b[im->index_off + 32] ^= 0x01;      /* nr_objects */
}

static void mk_flip_index_table(model_t *m, image_t *im)
{
	build(m, im);
	chunk_entry(im, 3)[16] ^= 0x80;         /* base_ts in the chunk table */
}

static void mk_flip_trailer_meta(model_t *m, image_t *im)
{
	build(m, im);
	im->b[im->len - FMT_FOOTER_SIZE - 2] ^= 0x20;
}

static void mk_flip_footer_offset(model_t *m, image_t *im)
{
	build(m, im);
	im->b[im->len - FMT_FOOTER_SIZE] ^= 0x01;
}

static void mk_flip_footer_sum(model_t *m, image_t *im)
{
	build(m, im);
	im->b[im->len - FMT_FOOTER_SIZE + 13] ^= 0x08;
}

static void mk_flip_footer_magic(model_t *m, image_t *im)
{
	build(m, im);
	im->b[im->len - 3] ^= 0x01;
}

/* Overlong varint (0 as 0x80 0x00) for the dts of chunk 1's first event. */
static void mk_overlong_dts(model_t *m, image_t *im)
{
	chunk_t *c = &m->chunk[1];
	static const uint8_t overlong0[] = { 0x80, 0x00 };
	size_t off = first_dts(c);
	if (c->raw[off] != 0)
		die("chunk 1 first dts is not 0");
	splice(c, off, 1, overlong0, 2);
	build(m, im);
}

/* An 11-byte varint (more than 64 bits) for the order of a PAGE_ALLOC. */
static void mk_overlong_11(model_t *m, image_t *im)
{
	chunk_t *c = &m->chunk[1];
	expect_type(c, TRACE_PAGE_ALLOC);
	size_t off = first_payload(c);
	off += varint_len(c->raw + off);        /* page id */
	static const uint8_t v11[] = { 0x82, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
				       0x80, 0x80, 0x00 };
	splice(c, off, varint_len(c->raw + off), v11, sizeof(v11));
	build(m, im);
}

/* A first key length encoded overlong in the header metadata. */
static void mk_overlong_meta(model_t *m, image_t *im)
{
	/* block: count, klen, key... */
	uint8_t *p = m->meta + 1;
	if (*p >= 0x80)
		die("unexpected metadata layout");
	uint8_t k = *p;
	memmove(p + 2, p + 1, m->meta_len - 2);
	p[0] = (uint8_t)(k | 0x80);
	p[1] = 0x00;
	m->meta_len++;
	build(m, im);
}

static void mk_meta_count(model_t *m, image_t *im)
{
	uint8_t buf[VARINT_MAX_LEN];
	size_t n = (size_t)(varint_put(buf, 1ull << 40) - buf);
	memmove(m->meta + n, m->meta + 1, m->meta_len - 1);
	memcpy(m->meta, buf, n);
	m->meta_len += n - 1;
	build(m, im);
}

static void mk_meta_key(model_t *m, image_t *im)
{
	if (memcmp(m->meta + 2, "source", 6))
		die("unexpected metadata layout");
	m->meta[2 + 3] = ' ';   /* "sou ce" */
	build(m, im);
}

static void mk_meta_junk(model_t *m, image_t *im)
{
	m->meta[m->meta_len++] = 0x00;
	build(m, im);
}

static void mk_object_range(model_t *m, image_t *im)
{
	put_le32(m->index + 32, 2);     /* ALLOC of id 2 at event 8 */
	build(m, im);
}

static void mk_page_range(model_t *m, image_t *im)
{
	put_le32(m->index + 36, 0);     /* PAGE_ALLOC of page 0 at event 4 */
	build(m, im);
}

static void mk_cache_range(model_t *m, image_t *im)
{
	put_le32(m->index + 40, 0);     /* CACHE_CREATE of cache 0 at event 0 */
	build(m, im);
}

static void mk_file_range(model_t *m, image_t *im)
{
	put_le32(m->index + 44, 0);     /* MMAP of file 0 at event 5 */
	build(m, im);
}

static void mk_cma_range(model_t *m, image_t *im)
{
	put_le32(m->index + 48, 0);     /* CMA_ALLOC of id 0 at event 18 */
	build(m, im);
}

static void mk_cpu_range(model_t *m, image_t *im)
{
	put_le32(m->index + 52, 1);     /* cpu 1 from event 8 on */
	build(m, im);
}

static void mk_nr_cpus(model_t *m, image_t *im)
{
	put_le32(m->index + 52, TRACE_MAX_CPUS + 1);
	build(m, im);
}

/* An object id delta far out of range, re-encoded in the event (ALLOC, event 8). */
static void mk_object_delta(model_t *m, image_t *im)
{
	chunk_t *c = &m->chunk[2];
	expect_type(c, TRACE_ALLOC);
	if (!(c->raw[0] & FMT_TAG_SHORT))
		die("chunk 2 should start with a short ALLOC");
	set_varint(c, first_payload(c), zigzag_encode(-5));
	build(m, im);
}

static void mk_out_of_order(model_t *m, image_t *im)
{
	/* chunk 2 claims to start 5 ns before chunk 1's last event (1070 ns) */
	m->chunk[2].base_ts = 1065;
	build(m, im);
}

static void mk_ts_overflow(model_t *m, image_t *im)
{
	chunk_t *c = &m->chunk[3];
	set_varint(c, first_dts(c), UINT64_MAX);
	build(m, im);
}

static void mk_index_count(model_t *m, image_t *im)
{
	/* index says one event more (as a MARK), the chunk table does not */
	put_le64(m->index + 16, get_le64(m->index + 16) + 1);
	put_le64(m->index + 56 + 8 * TRACE_MARK, get_le64(m->index + 56 + 8 * TRACE_MARK) + 1);
	build(m, im);
}

static void mk_index_sum(model_t *m, image_t *im)
{
	put_le64(m->index + 16, get_le64(m->index + 16) + 1);
	build(m, im);
}

static void mk_type_counts(model_t *m, image_t *im)
{
	/* same total, one ALLOC counted as a MARK: found after the last event */
	put_le64(m->index + 56 + 8 * TRACE_ALLOC, get_le64(m->index + 56 + 8 * TRACE_ALLOC) - 1);
	put_le64(m->index + 56 + 8 * TRACE_MARK, get_le64(m->index + 56 + 8 * TRACE_MARK) + 1);
	build(m, im);
}

static void mk_unknown_type_count(model_t *m, image_t *im)
{
	put_le64(m->index + 56 + 8 * 25, 1);
	put_le64(m->index + 16, get_le64(m->index + 16) + 1);
	build(m, im);
}

static void mk_last_ts(model_t *m, image_t *im)
{
	put_le64(m->index + 24, get_le64(m->index + 24) + 1);
	build(m, im);
}

static void mk_reserved_tag(model_t *m, image_t *im)
{
	m->chunk[1].raw[0] |= 0x80;
	build(m, im);
}

static void mk_short_tag(model_t *m, image_t *im)
{
	expect_type(&m->chunk[1], TRACE_PAGE_ALLOC);
	m->chunk[1].raw[0] |= FMT_TAG_SHORT;
	build(m, im);
}

static void mk_unknown_type(model_t *m, image_t *im)
{
	m->chunk[1].raw[0] = (uint8_t)((m->chunk[1].raw[0] & ~FMT_TAG_TYPE_MASK) | 0x1e);
	build(m, im);
}

static void mk_no_context(model_t *m, image_t *im)
{
	chunk_t *c = &m->chunk[2];
	size_t ctx_end = first_dts(c);
	c->raw[0] &= (uint8_t)~FMT_TAG_CTX;
	splice(c, 1, ctx_end - 1, NULL, 0);
	build(m, im);
}

static void mk_context_index(model_t *m, image_t *im)
{
	/* the first event of chunk 1 refers to context 1 of an empty table */
	chunk_t *c = &m->chunk[1];
	set_varint(c, 1, 1);
	build(m, im);
}

static void mk_non_canonical(model_t *m, image_t *im)
{
	/* the short ALLOC of chunk 2 written with an explicit header 0 */
	chunk_t *c = &m->chunk[2];
	expect_type(c, TRACE_ALLOC);
	c->raw[0] &= (uint8_t)~FMT_TAG_SHORT;
	static const uint8_t hdr0[] = { 0 };
	splice(c, first_payload(c), 0, hdr0, 1);
	build(m, im);
}

static void mk_order_range(model_t *m, image_t *im)
{
	chunk_t *c = &m->chunk[1];
	expect_type(c, TRACE_PAGE_ALLOC);
	size_t off = first_payload(c);
	off += varint_len(c->raw + off);
	set_varint(c, off, TRACE_MAX_ORDER + 1);
	build(m, im);
}

static void mk_field_range(model_t *m, image_t *im)
{
	chunk_t *c = &m->chunk[4];
	expect_type(c, TRACE_FORK);
	set_varint(c, first_payload(c), 1ull << 33);    /* child pid */
	build(m, im);
}

static void mk_fork_flags(model_t *m, image_t *im)
{
	chunk_t *c = &m->chunk[4];
	expect_type(c, TRACE_FORK);
	size_t off = first_payload(c);
	off += varint_len(c->raw + off);
	set_varint(c, off, 0x80);
	build(m, im);
}

static void mk_huge_string(model_t *m, image_t *im)
{
	chunk_t *c = &m->chunk[5];
	expect_type(c, TRACE_MARK);
	set_varint(c, first_payload(c), 1ull << 31);
	build(m, im);
}

static void mk_long_string(model_t *m, image_t *im)
{
	/* a MARK name of TRACE_MAX_STRING + 1 bytes, all present */
	chunk_t *c = &m->chunk[5];
	expect_type(c, TRACE_MARK);
	size_t off = first_payload(c);
	size_t old = varint_len(c->raw + off) + 10;     /* "warmup-end" */
	uint8_t s[VARINT_MAX_LEN + TRACE_MAX_STRING + 1];
	uint8_t *p = varint_put(s, TRACE_MAX_STRING + 1);
	memset(p, 'x', TRACE_MAX_STRING + 1);
	splice(c, off, old, s, (size_t)(p - s) + TRACE_MAX_STRING + 1);
	build(m, im);
}

static void mk_trailing_bytes(model_t *m, image_t *im)
{
	static const uint8_t junk[] = { 0x00 };
	chunk_t *c = &m->chunk[0];
	splice(c, c->raw_len, 0, junk, 1);
	build(m, im);
}

static void mk_event_truncated(model_t *m, image_t *im)
{
	m->chunk[0].raw_len--;          /* REALLOC's size varint cut off */
	build(m, im);
}

static void mk_events_short(model_t *m, image_t *im)
{
	/* chunk 3 claims 6 events but holds 4 */
	m->chunk[3].nr += 2;
	m->chunk[4].first += 2;
	m->chunk[5].first += 2;
	put_le64(m->index + 16, get_le64(m->index + 16) + 2);
	put_le64(m->index + 56 + 8 * TRACE_MARK, get_le64(m->index + 56 + 8 * TRACE_MARK) + 2);
	build(m, im);
}

static void mk_huge_raw(model_t *m, image_t *im)
{
	build(m, im);
	put_le32(im->b + im->chunk_off[1] + 8, UINT32_MAX);
	put_le32(chunk_entry(im, 1) + 28, UINT32_MAX);
	fix_chunk(im, 1);
	fix_index(im);
}

static void mk_big_raw(model_t *m, image_t *im)
{
	/* just over the 16 MiB cap, with a zstd frame that really declares it */
	build(m, im);
	put_le32(im->b + im->chunk_off[1] + 8, FMT_MAX_CHUNK_RAW + 1);
	put_le32(chunk_entry(im, 1) + 28, FMT_MAX_CHUNK_RAW + 1);
	fix_chunk(im, 1);
	fix_index(im);
}

static void mk_huge_comp(model_t *m, image_t *im)
{
	build(m, im);
	put_le32(im->b + im->chunk_off[1] + 4, 0xfffffff0u);
	fix_chunk_header(im, 1);
}

static void mk_huge_meta(model_t *m, image_t *im)
{
	build(m, im);
	put_le32(im->b + 12, UINT32_MAX);
	fix_header(im);
}

static void mk_huge_chunk_count(model_t *m, image_t *im)
{
	build(m, im);
	put_le64(im->b + im->index_off + 8, 1ull << 40);
	fix_index(im);
}

static void mk_huge_index(model_t *m, image_t *im)
{
	build(m, im);
	put_le32(im->b + im->len - FMT_FOOTER_SIZE + 8, UINT32_MAX);
}

static void mk_huge_chunk_events(model_t *m, image_t *im)
{
	build(m, im);
	put_le32(chunk_entry(im, 0) + 24, UINT32_MAX);
	fix_index(im);
}

static void mk_chunk_offset(model_t *m, image_t *im)
{
	build(m, im);
	put_le64(chunk_entry(im, 2), im->chunk_off[2] + 1);
	fix_index(im);
}

static void mk_chunk_first(model_t *m, image_t *im)
{
	m->chunk[3].first += 1;
	build(m, im);
}

static void mk_chunk_disagree(model_t *m, image_t *im)
{
	build(m, im);
	put_le32(chunk_entry(im, 2) + 28, get_le32(chunk_entry(im, 2) + 28) + 1);
	fix_index(im);
}

static void mk_chunk_magic(model_t *m, image_t *im)
{
	build(m, im);
	memcpy(im->b + im->chunk_off[1], "MMBX", 4);
	fix_chunk_header(im, 1);
}

static void mk_index_magic(model_t *m, image_t *im)
{
	memcpy(m->index, "MMBX", 4);
	build(m, im);
}

static void mk_gap(model_t *m, image_t *im)
{
	m->gap = 8;
	build(m, im);
}

static void mk_chunk_in_gap(model_t *m, image_t *im)
{
	/* the index lists a 7th chunk in 8 bytes before the index: no room for a header */
	m->gap = 8;
	m->phantom = true;
	put_le64(m->index + 16, get_le64(m->index + 16) + 1);
	put_le64(m->index + 56 + 8 * TRACE_MARK, get_le64(m->index + 56 + 8 * TRACE_MARK) + 1);
	build(m, im);
}

static void mk_zstd_damaged(model_t *m, image_t *im)
{
	/* a byte of the compressed block changed, our checksum made to match */
	build(m, im);
	uint8_t *d = CHUNK_DATA(im, 1);
	uint32_t comp = get_le32(im->b + im->chunk_off[1] + 4);
	d[comp - 6] ^= 0x5a;    /* before zstd's 4-byte content checksum */
	fix_chunk(im, 1);
}

static void mk_zstd_frame_size(model_t *m, image_t *im)
{
	/* the frame holds one byte more than raw_size says */
	static const uint8_t junk[] = { 0x00 };
	chunk_t *c = &m->chunk[1];
	uint32_t raw = (uint32_t)c->raw_len;
	splice(c, c->raw_len, 0, junk, 1);
	build(m, im);
	put_le32(im->b + im->chunk_off[1] + 8, raw);
	put_le32(chunk_entry(im, 1) + 28, raw);
	fix_chunk(im, 1);
	fix_index(im);
}

static const bad_case_t cases[] = {
	{ "empty.mmt", "truncated: too short for a trace header", mk_empty },
	{ "truncated-header.mmt", "truncated: too short for a trace header", mk_trunc_header },
	{ "truncated-header-16.mmt", "truncated: too short for a trace header",
	  mk_trunc_header_mid },
	{ "truncated-metadata.mmt", "truncated: metadata size", mk_trunc_meta },
	{ "truncated-after-metadata.mmt", "truncated: no trailer", mk_trunc_after_meta },
	{ "truncated-chunk.mmt", "truncated or damaged: no trailer magic", mk_trunc_chunk },
	{ "truncated-chunk-header.mmt", "truncated or damaged: no trailer magic",
	  mk_trunc_chunk_header },
	{ "truncated-index.mmt", "truncated or damaged: no trailer magic", mk_trunc_index },
	{ "truncated-footer.mmt", "truncated or damaged: no trailer magic", mk_trunc_footer },
	{ "wrong-magic.mmt", "wrong magic", mk_bad_magic },
	{ "text-not-binary.mmt", "wrong magic", mk_not_a_trace },
	{ "version-2.mmt", "unsupported trace format version 2", mk_version2 },
	{ "version-0.mmt", "unsupported trace format version 0", mk_version0 },
	{ "header-flag.mmt", "unknown header flags 0x1", mk_header_flag },
	{ "flip-header.mmt", "header checksum mismatch", mk_flip_header },
	{ "flip-header-checksum.mmt", "header checksum mismatch", mk_flip_header_sum },
	{ "flip-metadata.mmt", "metadata checksum mismatch", mk_flip_meta },
	{ "flip-chunk-header.mmt", "chunk header checksum mismatch", mk_flip_chunk_header },
	{ "flip-chunk-data.mmt", "compressed data checksum mismatch", mk_flip_chunk_data },
	{ "flip-index.mmt", "index checksum mismatch", mk_flip_index },
	{ "flip-index-table.mmt", "index checksum mismatch", mk_flip_index_table },
	{ "flip-trailer-metadata.mmt", "index checksum mismatch", mk_flip_trailer_meta },
	{ "flip-footer-offset.mmt", "trailer points outside the file", mk_flip_footer_offset },
	{ "flip-footer-checksum.mmt", "index checksum mismatch", mk_flip_footer_sum },
	{ "flip-footer-magic.mmt", "truncated or damaged: no trailer magic",
	  mk_flip_footer_magic },
	{ "overlong-varint.mmt", "overlong varint", mk_overlong_dts },
	{ "overlong-varint-11-bytes.mmt", "overlong varint", mk_overlong_11 },
	{ "overlong-varint-metadata.mmt", "overlong varint in metadata", mk_overlong_meta },
	{ "metadata-count-huge.mmt", "too many metadata pairs", mk_meta_count },
	{ "metadata-bad-key.mmt", "metadata key has a character outside", mk_meta_key },
	{ "metadata-junk.mmt", "unexpected bytes after the metadata pairs", mk_meta_junk },
	{ "object-id-range.mmt", "object id out of range", mk_object_range },
	{ "object-id-negative.mmt", "object id out of range", mk_object_delta },
	{ "page-id-range.mmt", "page id out of range", mk_page_range },
	{ "cache-id-range.mmt", "cache id out of range", mk_cache_range },
	{ "file-id-range.mmt", "file id out of range", mk_file_range },
	{ "cma-id-range.mmt", "cma allocation id out of range", mk_cma_range },
	{ "cpu-range.mmt", "cpu out of range", mk_cpu_range },
	{ "nr-cpus-too-large.mmt", "nr_cpus 65537 too large", mk_nr_cpus },
	{ "out-of-order-chunks.mmt", "events out of order", mk_out_of_order },
	{ "timestamp-overflow.mmt", "timestamp overflows", mk_ts_overflow },
	{ "index-event-count.mmt", "chunk table holds 24 events, index says 25", mk_index_count },
	{ "index-count-sum.mmt", "differs from the sum by type", mk_index_sum },
	{ "index-type-counts.mmt", "the chunks hold", mk_type_counts },
	{ "index-unknown-type.mmt", "index counts events of unknown type 25",
	  mk_unknown_type_count },
	{ "index-last-ts.mmt", "index says the last event is at", mk_last_ts },
	{ "index-magic.mmt", "bad index magic", mk_index_magic },
	{ "reserved-tag-bit.mmt", "bad event tag", mk_reserved_tag },
	{ "short-tag-wrong-type.mmt", "bad event tag", mk_short_tag },
	{ "unknown-event-type.mmt", "bad event tag", mk_unknown_type },
	{ "no-context.mmt", "no cpu/pid/tid context", mk_no_context },
	{ "context-index-range.mmt", "context index out of range", mk_context_index },
	{ "non-canonical-alloc.mmt", "short form", mk_non_canonical },
	{ "order-range.mmt", "order out of range", mk_order_range },
	{ "field-range.mmt", "field value out of range", mk_field_range },
	{ "fork-flags.mmt", "unknown fork flags", mk_fork_flags },
	{ "string-huge.mmt", "string length out of range", mk_huge_string },
	{ "string-too-long.mmt", "string length out of range", mk_long_string },
	{ "chunk-trailing-bytes.mmt", "unexpected bytes after the chunk's last event",
	  mk_trailing_bytes },
	{ "chunk-event-truncated.mmt", "event truncated", mk_event_truncated },
	{ "chunk-too-few-events.mmt", "chunk ends before its last event", mk_events_short },
	{ "huge-raw-size.mmt", "bad decompressed size 4294967295", mk_huge_raw },
	{ "raw-size-over-cap.mmt", "bad decompressed size 16777217", mk_big_raw },
	{ "huge-compressed-size.mmt", "compressed bytes run past the chunk data", mk_huge_comp },
	{ "huge-metadata-size.mmt", "metadata size 4294967295 runs past", mk_huge_meta },
	{ "huge-chunk-count.mmt", "index sizes disagree", mk_huge_chunk_count },
	{ "huge-index-size.mmt", "trailer points outside the file", mk_huge_index },
	{ "huge-chunk-event-count.mmt", "bad event count 4294967295", mk_huge_chunk_events },
	{ "chunk-offset.mmt", "index places it at byte offset", mk_chunk_offset },
	{ "chunk-first-event.mmt", "starts at event 13, expected 12", mk_chunk_first },
	{ "chunk-index-disagree.mmt", "header disagrees with the index", mk_chunk_disagree },
	{ "chunk-magic.mmt", "bad chunk magic", mk_chunk_magic },
	{ "junk-before-index.mmt", "unexplained bytes between the last chunk and the index",
	  mk_gap },
	{ "chunk-header-past-data.mmt", "truncated chunk header", mk_chunk_in_gap },
	{ "zstd-damaged.mmt", "damaged compressed data", mk_zstd_damaged },
	{ "zstd-frame-size.mmt", "frame size does not match", mk_zstd_frame_size },
};

/* ------------------------------------------------------------ text cases */

typedef struct text_case {
	const char *name;       /* file name in tests/data/bad-text/ */
	const char *expect;     /* substring of the importer's reason */
	const char *text;       /* contents (may hold NULs: len) */
	size_t len;             /* 0 = strlen(text) */
	const char *known;      /* "known-bug: ..." when the importer still accepts it */
} text_case_t;

#define TEXT_HDR "# mmbench trace text v1\n"
#define TEXT_OK1 "1000 42/42 [0] ALLOC id=0 size=64 func=malloc\n"

static const text_case_t text_cases[] = {
	{ "unknown-type.txt", "unknown event type 'ALLOCATE'",
	  TEXT_HDR TEXT_OK1 "1010 42/42 [0] ALLOCATE id=1 size=64 func=malloc\n", 0, NULL },
	{ "bad-number.txt", "bad number",
	  TEXT_HDR TEXT_OK1 "1010 42/42 [0] ALLOC id=1 size=6x4 func=malloc\n", 0, NULL },
	{ "bad-timestamp.txt", "bad number",
	  TEXT_HDR "1e3 42/42 [0] ALLOC id=0 size=64 func=malloc\n", 0, NULL },
	{ "missing-field.txt", "missing required field 'size'",
	  TEXT_HDR TEXT_OK1 "1010 42/42 [0] ALLOC id=1 func=malloc\n", 0, NULL },
	{ "unknown-field.txt", "unknown field 'colour'",
	  TEXT_HDR TEXT_OK1 "1010 42/42 [0] ALLOC id=1 size=64 func=malloc colour=red\n", 0, NULL },
	{ "duplicate-field.txt", "given twice",
	  TEXT_HDR TEXT_OK1 "1010 42/42 [0] FREE id=0 id=0 func=free\n", 0, NULL },
	{ "timestamp-backwards.txt", "is before the previous event's",
	  TEXT_HDR TEXT_OK1 "999 42/42 [0] FREE id=0 func=free\n", 0, NULL },
	{ "overlong-line.txt", "line longer than", NULL, 0, NULL },      /* built below */
	{ "nul-byte.txt", "NUL byte",
	  TEXT_HDR TEXT_OK1 "1010\0 42/42 [0] FREE id=0 func=free\n",
	  sizeof(TEXT_HDR TEXT_OK1 "1010\0 42/42 [0] FREE id=0 func=free\n") - 1, NULL },
	{ "nul-byte-in-string.txt", "NUL byte",
	  TEXT_HDR TEXT_OK1 "1010 42/42 [0] MARK name=\"a\0b\"\n",
	  sizeof(TEXT_HDR TEXT_OK1 "1010 42/42 [0] MARK name=\"a\0b\"\n") - 1, NULL },
	{ "nul-byte-in-comment.txt", "NUL byte",
	  TEXT_HDR "# a comment with a \0 byte\n" TEXT_OK1,
	  sizeof(TEXT_HDR "# a comment with a \0 byte\n" TEXT_OK1) - 1, NULL },
	{ "id-over-u32.txt", "out of range",
	  TEXT_HDR "1000 42/42 [0] ALLOC id=4294967296 size=64 func=malloc\n", 0, NULL },
	{ "pid-over-u32.txt", "out of range",
	  TEXT_HDR "1000 4294967296/42 [0] ALLOC id=0 size=64 func=malloc\n", 0, NULL },
	{ "number-overflow.txt", "overflow",
	  TEXT_HDR "1000 42/42 [0] ALLOC id=0 size=99999999999999999999999 func=malloc\n", 0, NULL },
	{ "unterminated-string.txt", "unterminated string",
	  TEXT_HDR TEXT_OK1 "1010 42/42 [0] MARK name=\"warmup-end\n", 0, NULL },
	{ "bad-escape.txt", "unknown escape",
	  TEXT_HDR TEXT_OK1 "1010 42/42 [0] MARK name=\"a\\qb\"\n", 0, NULL },
	{ "unknown-function.txt", "unknown function 'mallocx'",
	  TEXT_HDR "1000 42/42 [0] ALLOC id=0 size=64 func=mallocx\n", 0, NULL },
	{ "unknown-flag.txt", "unknown flag 'sideways'",
	  TEXT_HDR "1000 42/42 [0] MMAP len=4096 prot=rw- flags=private|sideways "
	  "result=0x7f0000000000\n", 0, NULL },
	{ "bad-prot.txt", "expected rwx letters",
	  TEXT_HDR "1000 42/42 [0] MPROTECT addr=0x1000 len=4096 prot=rwz\n", 0, NULL },
	{ "unknown-errno.txt", "unknown errno name 'ENOTHING'",
	  TEXT_HDR "1000 42/42 [0] MUNMAP addr=0x1000 len=4096 err=ENOTHING\n", 0, NULL },
	{ "bad-pid-tid.txt", "expected PID/TID",
	  TEXT_HDR "1000 42 [0] ALLOC id=0 size=64 func=malloc\n", 0, NULL },
	{ "bad-cpu.txt", "expected [CPU]",
	  TEXT_HDR "1000 42/42 0 ALLOC id=0 size=64 func=malloc\n", 0, NULL },
	{ "no-equals.txt", "expected FIELD=VALUE",
	  TEXT_HDR "1000 42/42 [0] ALLOC id=0 size=64 malloc\n", 0, NULL },
	{ "invalid-event.txt", "invalid event",
	  TEXT_HDR "1000 42/42 [0] PAGE_ALLOC page=0 order=21 mt=1\n", 0, NULL },
	{ "meta-after-event.txt", "@meta after the first event",
	  TEXT_HDR TEXT_OK1 "@meta source=text\n", 0, NULL },
	{ "meta-bad-key.txt", "@meta key",
	  TEXT_HDR "@meta b@d value\n", 0, NULL },
	{ "unknown-directive.txt", "unknown directive",
	  TEXT_HDR "@include other.txt\n", 0, NULL },
	{ "future-version.txt", "unsupported text form version",
	  "# mmbench trace text v2\n" TEXT_OK1, 0, NULL },
	{ "string-too-long.txt", "string longer than", NULL, 0, NULL },  /* built below */
};

/* Contents of the two text cases too long to write as literals. */
static size_t text_long(const char *name, char *buf, size_t cap)
{
	size_t n = 0;
	n += (size_t)snprintf(buf, cap, "%s%s", TEXT_HDR, TEXT_OK1);
	if (!strcmp(name, "overlong-line.txt")) {
		/* a MARK line longer than TEXT_LINE_MAX (4 * 4096 + 1024 bytes) */
		n += (size_t)snprintf(buf + n, cap - n, "1010 42/42 [0] MARK name=\"");
		for (unsigned i = 0; i < 4 * TRACE_MAX_STRING + 1024; i++)
			buf[n++] = 'a';
		n += (size_t)snprintf(buf + n, cap - n, "\"\n");
	} else {
		/* a MARK name of TRACE_MAX_STRING + 1 bytes in a line that fits */
		n += (size_t)snprintf(buf + n, cap - n, "1010 42/42 [0] MARK name=\"");
		for (unsigned i = 0; i < TRACE_MAX_STRING + 1; i++)
			buf[n++] = 'b';
		n += (size_t)snprintf(buf + n, cap - n, "\"\n");
	}
	return n;
}

/* ------------------------------------------------------------ driver */

static void write_file(const char *dir, const char *name, const void *buf, size_t len)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || (len && fwrite(buf, 1, len, f) != len) || fclose(f))
		die("%s: %s", path, strerror(errno));
}

static void mkdir_p(const char *path)
{
	if (mkdir(path, 0777) && errno != EEXIST)
		die("%s: %s", path, strerror(errno));
}

/* Seeds of the raw-event form of tests/fuzz/fuzz_trace.c (see wrap_events there). */
static void write_raw_seed(const char *dir, const char *name, const model_t *m,
			   size_t from, size_t to)
{
	static uint8_t buf[7 + MAX_CHUNKS * RAW_MAX];
	size_t n = 7;
	uint32_t nr = 0;
	for (unsigned k = 0; k < 6; k++)
		buf[k] = (uint8_t)get_le32(m->index + 32 + 4 * k);
	for (size_t i = from; i < to; i++) {
		memcpy(buf + n, m->chunk[i].raw, m->chunk[i].raw_len);
		n += m->chunk[i].raw_len;
		nr += m->chunk[i].nr;
	}
	buf[6] = (uint8_t)(nr - 1);
	write_file(dir, name, buf, n);
}

int main(int argc, char **argv)
{
	const char *root = argc > 1 ? argv[1] : ".";
	char bad_dir[512], text_dir[512], seed_dir[512], tmp[600];
	snprintf(bad_dir, sizeof(bad_dir), "%s/tests/data/bad", root);
	snprintf(text_dir, sizeof(text_dir), "%s/tests/data/bad-text", root);
	snprintf(seed_dir, sizeof(seed_dir), "%s/tests/fuzz/seeds-fuzz_trace", root);
	mkdir_p(text_dir);
	mkdir_p(seed_dir);
	snprintf(tmp, sizeof(tmp), "%s/.make-corpus-base.mmt", bad_dir);

	cctx = ZSTD_createCCtx();
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 3);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);

	static trace_event_t ev[64];
	static uint8_t file[IMAGE_MAX];
	static image_t im;
	size_t n = base_events(ev);

	/* Valid seeds: every type in one chunk, in chunks of 4 and of 1, and no events. */
	write_trace(tmp, ev, n, 0);
	size_t len = load(tmp, file, sizeof(file));
	write_file(seed_dir, "all-types.mmt", file, len);
	parse(file, len, &base);
	write_raw_seed(seed_dir, "raw-all-types", &base, 0, 1);
	write_trace(tmp, ev, n, 1);
	len = load(tmp, file, sizeof(file));
	write_file(seed_dir, "one-event-chunks.mmt", file, len);
	write_trace(tmp, ev, 0, 0);
	len = load(tmp, file, sizeof(file));
	write_file(seed_dir, "empty-trace.mmt", file, len);

	/* The base of every case: chunks of 4 events. */
	write_trace(tmp, ev, n, 4);
	len = load(tmp, file, sizeof(file));
	unlink(tmp);
	write_file(seed_dir, "chunks-of-4.mmt", file, len);
	parse(file, len, &base);
	build(&base, &im);
	if (im.len != len || memcmp(im.b, file, len))
		die("rebuilding the base trace does not give the writer's bytes");
	if (base.nr_chunks != 6)
		die("base trace has %zu chunks, expected 6", base.nr_chunks);
	for (size_t i = 0; i < base.nr_chunks; i++) {
		char name[32];
		snprintf(name, sizeof(name), "raw-chunk-%zu", i);
		write_raw_seed(seed_dir, name, &base, i, i + 1);
	}

	char path[1024];
	snprintf(path, sizeof(path), "%s/EXPECT", bad_dir);
	FILE *expect = fopen(path, "w");
	if (!expect)
		die("%s: %s", path, strerror(errno));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		static model_t m;
		m = base;
		cases[i].make(&m, &im);
		write_file(bad_dir, cases[i].name, im.b, im.len);
		fprintf(expect, "%s\t%s\n", cases[i].name, cases[i].expect);
	}
	fclose(expect);

	snprintf(path, sizeof(path), "%s/EXPECT", text_dir);
	expect = fopen(path, "w");
	if (!expect)
		die("%s: %s", path, strerror(errno));
	static char tbuf[8 * TRACE_MAX_STRING];
	for (size_t i = 0; i < sizeof(text_cases) / sizeof(text_cases[0]); i++) {
		const text_case_t *t = &text_cases[i];
		if (t->text)
			write_file(text_dir, t->name, t->text, t->len ? t->len : strlen(t->text));
		else
			write_file(text_dir, t->name, tbuf, text_long(t->name, tbuf, sizeof(tbuf)));
		if (t->known)
			fprintf(expect, "%s\t%s\t%s\n", t->name, t->expect, t->known);
		else
			fprintf(expect, "%s\t%s\n", t->name, t->expect);
	}
	fclose(expect);
	ZSTD_freeCCtx(cctx);
	printf("make-corpus: %zu binary cases in %s, %zu text cases in %s, seeds in %s\n",
	       sizeof(cases) / sizeof(cases[0]), bad_dir,
	       sizeof(text_cases) / sizeof(text_cases[0]), text_dir, seed_dir);
	return 0;
}
