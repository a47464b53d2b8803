/*
 * trace_writer.c - streaming writer for trace format v1 (traces/FORMAT.md).
 *
 * Events are varint/delta encoded into a raw chunk buffer; a full chunk is
 * compressed as one zstd frame (with content checksum) behind a checksummed
 * chunk header.  The trailer (index, totals, id bounds, late metadata) is
 * written by trace_writer_close().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xxhash.h>
#include <zstd.h>

#include "format.h"
#include "trace.h"
#include "varint.h"

#define WRITER_RAW_CAP     (4u << 20)     /* flush a chunk before it passes 4 MiB */
#define WRITER_EVENT_MAX   (TRACE_MAX_STRING + 256)   /* worst-case encoded event */

typedef struct chunk_entry {
	uint64_t offset;        /* file offset of the chunk header */
	uint64_t first_event;   /* index of its first event */
	uint64_t base_ts;       /* ns */
	uint32_t nr_events;
	uint32_t raw_size;      /* bytes of decompressed events */
} chunk_entry_t;

#define CTX_HASH_SLOTS (2 * FMT_MAX_CONTEXTS)   /* power of two */

/* Delta-coding state; reset at every chunk start (chunks decode alone). */
typedef struct enc_state {
	uint64_t ts;            /* ns of the previous event */
	uint64_t last_addr;     /* previous address field */
	uint32_t last_id;       /* previous object id */
	uint32_t last_page;     /* previous page id */
	uint32_t cpu, pid, tid; /* current context, valid once nr_ctx > 0 */
	uint32_t nr_ctx;        /* contexts defined in this chunk */
	uint32_t ctx[FMT_MAX_CONTEXTS][3];      /* cpu, pid, tid by context index */
	uint16_t ctx_slot[CTX_HASH_SLOTS];      /* open addressing: index + 1, 0 = empty */
} enc_state_t;

struct trace_writer {
	FILE *f;
	char *path;             /* final name */
	char *tmp_path;         /* path + ".tmp" while writing */
	uint64_t file_off;      /* bytes written so far */
	ZSTD_CCtx *cctx;
	uint32_t chunk_events;  /* flush threshold, events */

	uint8_t *raw;           /* current chunk's encoded events */
	size_t raw_len;         /* bytes used in raw */
	uint32_t raw_events;    /* events in raw */
	uint64_t raw_base_ts;   /* ns, base timestamp of the current chunk */
	void *comp;             /* compression output buffer */
	size_t comp_cap;        /* bytes */
	enc_state_t st;

	chunk_entry_t *chunks;  /* chunk table */
	size_t nr_chunks, chunks_cap;

	trace_summary_t sum;    /* totals and bounds */
	bool have_event;        /* at least one event written */

	uint8_t *late_meta;     /* trailer metadata pairs, encoded */
	size_t late_meta_len, late_meta_cap;
	uint32_t nr_late_meta;

	trace_error_t err;
};

static int werr(trace_writer_t *w, const char *fmt, const char *arg)
{
	return trace_error_set(&w->err, w->path, w->sum.nr_events, w->file_off,
			       fmt, arg);
}

static int write_bytes(trace_writer_t *w, const void *buf, size_t len)
{
	if (len && fwrite(buf, 1, len, w->f) != len)
		return werr(w, "write failed: %s", strerror(errno));
	w->file_off += len;
	return 0;
}

/* Make room for need bytes in a growing buffer.  Returns 0 or -1 (no memory). */
static int buf_reserve(uint8_t **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 256;
	while (ncap < need)
		ncap *= 2;
	uint8_t *n = realloc(*buf, ncap);
	if (!n)
		return -1;
	*buf = n;
	*cap = ncap;
	return 0;
}

/* Append a string (varint length + bytes) to a growing buffer. */
static int buf_put_string(uint8_t **buf, size_t *len, size_t *cap,
			  const char *s, size_t slen)
{
	if (buf_reserve(buf, cap, *len + VARINT_MAX_LEN + slen))
		return -1;
	uint8_t *p = varint_put(*buf + *len, slen);
	memcpy(p, s, slen);
	*len = (size_t)(p - *buf) + slen;
	return 0;
}

static const char *meta_invalid(const char *key, const char *value)
{
	size_t klen = strlen(key);
	if (klen == 0 || klen > 64)
		return "metadata key must be 1..64 bytes";
	for (size_t i = 0; i < klen; i++) {
		char c = key[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return "metadata key has a character outside [A-Za-z0-9_.-]";
	}
	if (strlen(value) > TRACE_MAX_STRING)
		return "metadata value too long";
	if (strchr(value, '\n'))
		return "metadata value has a newline";
	return NULL;
}

/* Encode nr pairs as a metadata block: varint count, then key/value strings. */
static int encode_meta(const trace_meta_t *meta, size_t nr, uint8_t **out,
		       size_t *out_len)
{
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	if (buf_reserve(&buf, &cap, VARINT_MAX_LEN))
		return -1;
	len = (size_t)(varint_put(buf, nr) - buf);
	for (size_t i = 0; i < nr; i++)
		if (buf_put_string(&buf, &len, &cap, meta[i].key, strlen(meta[i].key)) ||
		    buf_put_string(&buf, &len, &cap, meta[i].value, strlen(meta[i].value))) {
			free(buf);
			return -1;
		}
	*out = buf;
	*out_len = len;
	return 0;
}

trace_writer_t *trace_writer_open(const char *path, const trace_meta_t *meta,
				  size_t nr_meta, const trace_writer_opts_t *opts,
				  trace_error_t *err)
{
	if (nr_meta > TRACE_MAX_META) {
		trace_error_set(err, path, TRACE_NO_EVENT, 0, "too many metadata pairs");
		return NULL;
	}
	for (size_t i = 0; i < nr_meta; i++) {
		const char *why = meta_invalid(meta[i].key, meta[i].value);
		if (why) {
			trace_error_set(err, path, TRACE_NO_EVENT, 0, "%s (key \"%.64s\")",
					why, meta[i].key);
			return NULL;
		}
	}
	trace_writer_t *w = calloc(1, sizeof(*w));
	if (!w) {
		trace_error_set(err, path, TRACE_NO_EVENT, 0, "out of memory");
		return NULL;
	}
	size_t plen = strlen(path);
	w->path = strdup(path);
	w->tmp_path = malloc(plen + 5);
	w->raw = malloc(WRITER_RAW_CAP);
	w->comp_cap = ZSTD_compressBound(WRITER_RAW_CAP);
	w->comp = malloc(w->comp_cap);
	w->cctx = ZSTD_createCCtx();
	w->chunk_events = opts && opts->chunk_events ? opts->chunk_events : 65536;
	if (w->chunk_events > FMT_MAX_CHUNK_EVENTS)
		w->chunk_events = FMT_MAX_CHUNK_EVENTS;
	if (!w->path || !w->tmp_path || !w->raw || !w->comp || !w->cctx) {
		trace_error_set(err, path, TRACE_NO_EVENT, 0, "out of memory");
		goto fail;
	}
	int level = opts && opts->zstd_level ? opts->zstd_level : 1;
	ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, level);
	ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1);
	memcpy(w->tmp_path, path, plen);
	memcpy(w->tmp_path + plen, ".tmp", 5);
	w->f = fopen(w->tmp_path, "wb");
	if (!w->f) {
		trace_error_set(err, path, TRACE_NO_EVENT, 0, "cannot create %s: %s",
				w->tmp_path, strerror(errno));
		goto fail;
	}

	uint8_t *mb = NULL;
	size_t mlen = 0;
	if (encode_meta(meta, nr_meta, &mb, &mlen)) {
		trace_error_set(err, path, TRACE_NO_EVENT, 0, "out of memory");
		goto fail_file;
	}
	if (mlen > FMT_MAX_META_BYTES) {
		free(mb);
		trace_error_set(err, path, TRACE_NO_EVENT, 0, "metadata larger than 1 MiB");
		goto fail_file;
	}
	uint8_t hdr[FMT_HEADER_SIZE];
	memcpy(hdr, FMT_MAGIC, 8);
	put_le16(hdr + 8, TRACE_FORMAT_VERSION);
	put_le16(hdr + 10, 0);
	put_le32(hdr + 12, (uint32_t)mlen);
	put_le32(hdr + 16, XXH32(mb, mlen, 0));
	put_le32(hdr + 20, XXH32(hdr, 20, 0));
	int rc = write_bytes(w, hdr, sizeof(hdr));
	if (!rc)
		rc = write_bytes(w, mb, mlen);
	free(mb);
	if (rc) {
		*err = w->err;
		goto fail_file;
	}
	return w;

fail_file:
	fclose(w->f);
	w->f = NULL;
	unlink(w->tmp_path);
fail:
	trace_writer_abort(w);
	return NULL;
}

int trace_writer_add_meta(trace_writer_t *w, const char *key, const char *value)
{
	const char *why = meta_invalid(key, value);
	if (why)
		return werr(w, "%s", why);
	if (w->nr_late_meta >= TRACE_MAX_META)
		return werr(w, "%s", "too many metadata pairs");
	if (buf_put_string(&w->late_meta, &w->late_meta_len, &w->late_meta_cap,
			   key, strlen(key)) ||
	    buf_put_string(&w->late_meta, &w->late_meta_len, &w->late_meta_cap,
			   value, strlen(value)))
		return werr(w, "%s", "out of memory");
	w->nr_late_meta++;
	return 0;
}

static int flush_chunk(trace_writer_t *w)
{
	if (!w->raw_events)
		return 0;
	size_t comp = ZSTD_compress2(w->cctx, w->comp, w->comp_cap, w->raw, w->raw_len);
	if (ZSTD_isError(comp))
		return werr(w, "zstd: %s", ZSTD_getErrorName(comp));
	if (w->nr_chunks == w->chunks_cap) {
		size_t ncap = w->chunks_cap ? w->chunks_cap * 2 : 64;
		chunk_entry_t *n = realloc(w->chunks, ncap * sizeof(*n));
		if (!n)
			return werr(w, "%s", "out of memory");
		w->chunks = n;
		w->chunks_cap = ncap;
	}
	uint64_t first = w->sum.nr_events - w->raw_events;
	w->chunks[w->nr_chunks++] = (chunk_entry_t){
		.offset = w->file_off,
		.first_event = first,
		.base_ts = w->raw_base_ts,
		.nr_events = w->raw_events,
		.raw_size = (uint32_t)w->raw_len,
	};
	uint8_t hdr[FMT_CHUNK_HDR_SIZE];
	memcpy(hdr, FMT_CHUNK_MAGIC, 4);
	put_le32(hdr + 4, (uint32_t)comp);
	put_le32(hdr + 8, (uint32_t)w->raw_len);
	put_le32(hdr + 12, w->raw_events);
	put_le64(hdr + 16, first);
	put_le64(hdr + 24, w->raw_base_ts);
	put_le32(hdr + 32, XXH32(w->comp, comp, 0));
	put_le32(hdr + 36, XXH32(hdr, 36, 0));
	if (write_bytes(w, hdr, sizeof(hdr)) || write_bytes(w, w->comp, comp))
		return -1;
	w->raw_len = 0;
	w->raw_events = 0;
	return 0;
}

static inline uint8_t *put_addr(uint8_t *p, enc_state_t *st, uint64_t addr)
{
	p = varint_put(p, zigzag_encode((int64_t)(addr - st->last_addr)));
	st->last_addr = addr;
	return p;
}

static inline uint8_t *put_id(uint8_t *p, uint32_t *last, uint32_t id)
{
	p = varint_put(p, zigzag_encode((int64_t)id - (int64_t)*last));
	*last = id;
	return p;
}

static inline uint8_t *put_string(uint8_t *p, const char *s, uint32_t len)
{
	p = varint_put(p, len);
	memcpy(p, s, len);
	return p + len;
}

/* Encode ev at p (room for WRITER_EVENT_MAX bytes); returns the end. */
static uint8_t *encode_event(uint8_t *p, enc_state_t *st, const trace_event_t *ev)
{
	bool ctx = !st->nr_ctx || ev->cpu != st->cpu || ev->pid != st->pid ||
		   ev->tid != st->tid;
	unsigned hdr = 0;       /* ALLOC / FREE header varint */
	bool is_short = false;  /* header omitted: FMT_TAG_SHORT */
	if (ev->type == TRACE_ALLOC) {
		hdr = ev->alloc.func;
		if (ev->alloc.align)
			hdr |= FMT_ALLOC_ALIGN;
		if (ev->alloc.cache != TRACE_NO_ID)
			hdr |= FMT_ALLOC_CACHE;
		if (ev->alloc.gfp)
			hdr |= FMT_ALLOC_GFP;
		is_short = hdr == TRACE_FN_MALLOC;
	} else if (ev->type == TRACE_FREE) {
		hdr = ev->free.func;
		if (ev->free.cache != TRACE_NO_ID)
			hdr |= FMT_FREE_CACHE;
		is_short = hdr == TRACE_FN_FREE;
	}
	*p++ = (uint8_t)(ev->type | (ctx ? FMT_TAG_CTX : 0) | (is_short ? FMT_TAG_SHORT : 0));
	if (ctx) {
		/* The context's index in this chunk's table; a new one is spelled out. */
		uint32_t h = (ev->cpu * 0x9e3779b1u) ^ (ev->pid * 0x85ebca77u) ^
			     (ev->tid * 0xc2b2ae3du);
		uint32_t slot = (h ^ (h >> 15)) & (CTX_HASH_SLOTS - 1);
		for (;; slot = (slot + 1) & (CTX_HASH_SLOTS - 1)) {
			uint32_t k = st->ctx_slot[slot];
			if (!k) {
				k = st->nr_ctx++;     /* trace_write() keeps room for one */
				st->ctx_slot[slot] = (uint16_t)(k + 1);
				st->ctx[k][0] = ev->cpu;
				st->ctx[k][1] = ev->pid;
				st->ctx[k][2] = ev->tid;
				p = varint_put(p, k);
				p = varint_put(p, ev->cpu);
				p = varint_put(p, ev->pid);
				p = varint_put(p, ev->tid);
				break;
			}
			const uint32_t *c = st->ctx[k - 1];
			if (c[0] == ev->cpu && c[1] == ev->pid && c[2] == ev->tid) {
				p = varint_put(p, k - 1);
				break;
			}
		}
		st->cpu = ev->cpu;
		st->pid = ev->pid;
		st->tid = ev->tid;
	}
	p = varint_put(p, ev->ts - st->ts);
	st->ts = ev->ts;

	switch (ev->type) {
	case TRACE_ALLOC:
		if (!is_short)
			*p++ = (uint8_t)hdr;
		p = put_id(p, &st->last_id, ev->alloc.id);
		p = varint_put(p, ev->alloc.size);
		if (hdr & FMT_ALLOC_ALIGN)
			p = varint_put(p, ev->alloc.align);
		if (hdr & FMT_ALLOC_CACHE)
			p = varint_put(p, ev->alloc.cache);
		if (hdr & FMT_ALLOC_GFP)
			p = varint_put(p, ev->alloc.gfp);
		break;
	case TRACE_FREE:
		if (!is_short)
			*p++ = (uint8_t)hdr;
		p = put_id(p, &st->last_id, ev->free.id);
		if (hdr & FMT_FREE_CACHE)
			p = varint_put(p, ev->free.cache);
		break;
	case TRACE_REALLOC:
		*p++ = ev->realloc.func;
		p = put_id(p, &st->last_id, ev->realloc.old_id);
		p = put_id(p, &st->last_id, ev->realloc.new_id);
		p = varint_put(p, ev->realloc.size);
		break;
	case TRACE_CACHE_CREATE:
		p = varint_put(p, ev->cache_create.cache);
		p = varint_put(p, ev->cache_create.flags);
		p = varint_put(p, ev->cache_create.size);
		p = varint_put(p, ev->cache_create.align);
		p = put_string(p, ev->cache_create.name, ev->cache_create.name_len);
		break;
	case TRACE_CACHE_DESTROY:
		p = varint_put(p, ev->cache_destroy.cache);
		break;
	case TRACE_PAGE_ALLOC:
		p = put_id(p, &st->last_page, ev->page_alloc.page);
		p = varint_put(p, ev->page_alloc.order);
		p = varint_put(p, ev->page_alloc.gfp);
		p = varint_put(p, ev->page_alloc.migratetype);
		break;
	case TRACE_PAGE_FREE:
		p = put_id(p, &st->last_page, ev->page_free.page);
		p = varint_put(p, ev->page_free.order);
		break;
	case TRACE_MMAP:
		p = put_addr(p, st, ev->mmap.addr);
		p = varint_put(p, ev->mmap.len);
		p = varint_put(p, ev->mmap.prot);
		p = varint_put(p, ev->mmap.flags);
		p = varint_put(p, (uint32_t)(ev->mmap.file + 1));   /* NO_ID wraps to 0 */
		p = varint_put(p, ev->mmap.pgoff);
		p = varint_put(p, ev->mmap.err);
		if (!ev->mmap.err)
			p = put_addr(p, st, ev->mmap.result);
		break;
	case TRACE_MUNMAP:
		p = put_addr(p, st, ev->munmap.addr);
		p = varint_put(p, ev->munmap.len);
		p = varint_put(p, ev->munmap.err);
		break;
	case TRACE_MREMAP:
		p = put_addr(p, st, ev->mremap.addr);
		p = varint_put(p, ev->mremap.old_len);
		p = varint_put(p, ev->mremap.new_len);
		p = varint_put(p, ev->mremap.flags);
		p = varint_put(p, ev->mremap.new_addr);
		p = varint_put(p, ev->mremap.err);
		if (!ev->mremap.err)
			p = put_addr(p, st, ev->mremap.result);
		break;
	case TRACE_MPROTECT:
		p = put_addr(p, st, ev->mprotect.addr);
		p = varint_put(p, ev->mprotect.len);
		p = varint_put(p, ev->mprotect.prot);
		p = varint_put(p, ev->mprotect.err);
		break;
	case TRACE_MADVISE:
		p = put_addr(p, st, ev->madvise.addr);
		p = varint_put(p, ev->madvise.len);
		p = varint_put(p, ev->madvise.advice);
		p = varint_put(p, ev->madvise.err);
		break;
	case TRACE_BRK:
		p = put_addr(p, st, ev->brk.request);
		p = put_addr(p, st, ev->brk.result);
		break;
	case TRACE_FAULT:
		p = put_addr(p, st, ev->fault.addr);
		p = varint_put(p, ev->fault.flags);
		break;
	case TRACE_ACCESS:
		p = put_addr(p, st, ev->access.addr);
		p = varint_put(p, ev->access.flags);
		break;
	case TRACE_FORK:
		p = varint_put(p, ev->fork.child);
		p = varint_put(p, ev->fork.flags);
		break;
	case TRACE_EXEC:
		p = put_string(p, ev->exec.path, ev->exec.path_len);
		break;
	case TRACE_EXIT:
		p = varint_put(p, zigzag_encode(ev->exit.code));
		p = varint_put(p, ev->exit.flags);
		break;
	case TRACE_CMA_ALLOC:
		p = varint_put(p, ev->cma.area);
		p = varint_put(p, ev->cma.id);
		p = varint_put(p, ev->cma.count);
		p = varint_put(p, ev->cma.align);
		p = varint_put(p, ev->cma.err);
		break;
	case TRACE_CMA_RELEASE:
		p = varint_put(p, ev->cma.area);
		p = varint_put(p, ev->cma.id);
		p = varint_put(p, ev->cma.count);
		break;
	case TRACE_MARK:
		p = put_string(p, ev->mark.name, ev->mark.name_len);
		break;
	}
	return p;
}

static inline void bound(uint32_t *nr, uint32_t id)
{
	if (id != TRACE_NO_ID && id >= *nr)
		*nr = id + 1;
}

static void grow_bounds(trace_bounds_t *b, const trace_event_t *ev)
{
	bound(&b->nr_cpus, ev->cpu);
	switch (ev->type) {
	case TRACE_ALLOC:
		bound(&b->nr_objects, ev->alloc.id);
		bound(&b->nr_caches, ev->alloc.cache);
		break;
	case TRACE_FREE:
		bound(&b->nr_objects, ev->free.id);
		bound(&b->nr_caches, ev->free.cache);
		break;
	case TRACE_REALLOC:
		bound(&b->nr_objects, ev->realloc.old_id);
		bound(&b->nr_objects, ev->realloc.new_id);
		break;
	case TRACE_CACHE_CREATE:
		bound(&b->nr_caches, ev->cache_create.cache);
		break;
	case TRACE_CACHE_DESTROY:
		bound(&b->nr_caches, ev->cache_destroy.cache);
		break;
	case TRACE_PAGE_ALLOC:
		bound(&b->nr_pages, ev->page_alloc.page);
		break;
	case TRACE_PAGE_FREE:
		bound(&b->nr_pages, ev->page_free.page);
		break;
	case TRACE_MMAP:
		bound(&b->nr_files, ev->mmap.file);
		break;
	case TRACE_CMA_ALLOC:
	case TRACE_CMA_RELEASE:
		bound(&b->nr_cma, ev->cma.id);
		break;
	}
}

int trace_write(trace_writer_t *w, const trace_event_t *ev)
{
	const char *why = fmt_event_invalid(ev);
	if (why)
		return werr(w, "refusing event: %s", why);
	if (w->have_event && ev->ts < w->sum.last_ts)
		return werr(w, "%s", "refusing event: timestamp before the previous event's");
	if (w->raw_events == w->chunk_events || w->st.nr_ctx == FMT_MAX_CONTEXTS ||
	    w->raw_len + WRITER_EVENT_MAX > WRITER_RAW_CAP) {
		if (flush_chunk(w))
			return -1;
	}
	if (w->raw_events == 0) {
		memset(&w->st, 0, sizeof(w->st));
		w->st.ts = ev->ts;
		w->raw_base_ts = ev->ts;
	}
	uint8_t *end = encode_event(w->raw + w->raw_len, &w->st, ev);
	w->raw_len = (size_t)(end - w->raw);
	w->raw_events++;
	grow_bounds(&w->sum.bounds, ev);
	w->sum.nr_by_type[ev->type]++;
	w->sum.nr_events++;
	w->sum.last_ts = ev->ts;
	w->have_event = true;
	return 0;
}

const trace_error_t *trace_writer_error(const trace_writer_t *w)
{
	return &w->err;
}

static int write_trailer(trace_writer_t *w)
{
	size_t table = w->nr_chunks * FMT_CHUNK_ENTRY;
	uint8_t count[VARINT_MAX_LEN];
	size_t count_len = (size_t)(varint_put(count, w->nr_late_meta) - count);
	size_t meta_len = count_len + w->late_meta_len;
	if (meta_len > FMT_MAX_META_BYTES)
		return werr(w, "%s", "trailer metadata larger than 1 MiB");
	size_t size = FMT_INDEX_FIXED + table + meta_len;
	uint8_t *ix = calloc(1, size);
	if (!ix)
		return werr(w, "%s", "out of memory");
	const trace_summary_t *s = &w->sum;
	memcpy(ix, FMT_INDEX_MAGIC, 4);
	put_le32(ix + 4, (uint32_t)meta_len);
	put_le64(ix + 8, w->nr_chunks);
	put_le64(ix + 16, s->nr_events);
	put_le64(ix + 24, s->last_ts);
	put_le32(ix + 32, s->bounds.nr_objects);
	put_le32(ix + 36, s->bounds.nr_pages);
	put_le32(ix + 40, s->bounds.nr_caches);
	put_le32(ix + 44, s->bounds.nr_files);
	put_le32(ix + 48, s->bounds.nr_cma);
	put_le32(ix + 52, s->bounds.nr_cpus);
	for (unsigned t = 0; t < TRACE_NR_TYPES; t++)
		put_le64(ix + 56 + 8 * t, s->nr_by_type[t]);
	uint8_t *p = ix + FMT_INDEX_FIXED;
	for (size_t i = 0; i < w->nr_chunks; i++, p += FMT_CHUNK_ENTRY) {
		put_le64(p, w->chunks[i].offset);
		put_le64(p + 8, w->chunks[i].first_event);
		put_le64(p + 16, w->chunks[i].base_ts);
		put_le32(p + 24, w->chunks[i].nr_events);
		put_le32(p + 28, w->chunks[i].raw_size);
	}
	memcpy(p, count, count_len);
	if (w->late_meta_len)
		memcpy(p + count_len, w->late_meta, w->late_meta_len);

	uint8_t foot[FMT_FOOTER_SIZE];
	put_le64(foot, w->file_off);
	put_le32(foot + 8, (uint32_t)size);
	put_le32(foot + 12, XXH32(ix, size, 0));
	memcpy(foot + 16, FMT_FOOTER_MAGIC, 8);
	int rc = write_bytes(w, ix, size);
	free(ix);
	return rc ? rc : write_bytes(w, foot, sizeof(foot));
}

int trace_writer_close(trace_writer_t *w, trace_error_t *err)
{
	int rc = flush_chunk(w);
	if (!rc)
		rc = write_trailer(w);
	if (!rc && fflush(w->f))
		rc = werr(w, "write failed: %s", strerror(errno));
	if (fclose(w->f) && !rc)
		rc = werr(w, "close failed: %s", strerror(errno));
	w->f = NULL;
	if (!rc && rename(w->tmp_path, w->path))
		rc = werr(w, "rename failed: %s", strerror(errno));
	if (rc) {
		if (err)
			*err = w->err;
		unlink(w->tmp_path);
	}
	trace_writer_abort(w);
	return rc;
}

void trace_writer_abort(trace_writer_t *w)
{
	if (!w)
		return;
	if (w->f) {
		fclose(w->f);
		unlink(w->tmp_path);
	}
	ZSTD_freeCCtx(w->cctx);
	free(w->raw);
	free(w->comp);
	free(w->chunks);
	free(w->late_meta);
	free(w->path);
	free(w->tmp_path);
	free(w);
}
