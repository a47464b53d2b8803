/*
 * trace_reader.c - streaming reader for trace format v1 (traces/FORMAT.md).
 *
 * The whole file is mapped (or, for pipes, read) into memory; the header and
 * the trailer are validated at open, then chunks are decompressed one at a
 * time into a buffer of at most FMT_MAX_CHUNK_RAW bytes and decoded on
 * demand.  Every field is checked against the bounds the format sets, so a
 * malformed or hostile file yields an error naming the event and byte offset,
 * never a crash, a hang or an allocation larger than the file implies.
 * trace_reader_prefetch() adds a helper thread that decompresses the next
 * chunk into a second buffer while the current one is decoded.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>
#include <zstd.h>

#include "format.h"
#include "trace.h"
#include "varint.h"

#define READ_AHEAD 64            /* events trace_next() decodes at a time */

struct trace_reader {
	const uint8_t *data;    /* the whole file */
	size_t len;             /* bytes */
	void *map;              /* mmap()ed region, or NULL */
	uint8_t *owned;         /* malloc()ed copy (pipes), or NULL */

	uint64_t data_start;    /* file offset of the first chunk */
	uint64_t index_off;     /* file offset of the index (end of chunk data) */
	const uint8_t *table;   /* chunk table inside the index */
	trace_summary_t sum;

	trace_meta_t *meta;     /* nr_meta pairs pointing into meta_strings */
	size_t nr_meta;
	char *meta_strings;

	ZSTD_DCtx *dctx;
	uint8_t *raw;           /* decompressed current chunk */
	size_t raw_cap;         /* bytes allocated at raw */
	struct chunk_prefetch *pf; /* trace_reader_prefetch(), or NULL */

	const uint8_t *p;       /* decode cursor in raw */
	const uint8_t *end;     /* end of the current chunk's events */
	uint32_t chunk_left;    /* events still to decode in the current chunk */
	uint64_t next_chunk;    /* index of the next chunk to load */
	uint64_t next_off;      /* file offset where that chunk must start */
	uint64_t chunk_off;     /* file offset of the current chunk */

	uint64_t ts;            /* ns, last decoded timestamp */
	uint64_t last_addr;
	uint32_t last_id, last_page;
	uint32_t cpu, pid, tid; /* current context, valid once nr_ctx > 0 */
	uint32_t nr_ctx;        /* contexts defined in the current chunk */
	uint32_t ctx[FMT_MAX_CONTEXTS][3];      /* cpu, pid, tid by context index */

	uint64_t pos;           /* events decoded (returned, or ahead[] still to return) */
	uint64_t nr_by_type[TRACE_NR_TYPES];   /* decoded so far, checked at the end */
	int state;              /* 1 while reading, 0 at the end, -1 after an error */
	trace_error_t err;

	trace_event_t ahead[READ_AHEAD];  /* decoded by trace_next(), not yet returned */
	uint32_t ahead_next, ahead_len;   /* ahead[ahead_next..ahead_len) are due */
};

static int rerr_at(trace_reader_t *r, uint64_t event, uint64_t off,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int rerr_at(trace_reader_t *r, uint64_t event, uint64_t off,
		   const char *fmt, ...)
{
	char reason[sizeof(r->err.reason)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	trace_error_set(&r->err, r->err.file, event, off, "%s", reason);
	r->state = -1;
	return -1;
}

/* ------------------------------------------------------------- open */

/* Read a string (varint length + bytes) from a metadata block. */
static const char *meta_string(const uint8_t **pp, const uint8_t *end,
			       size_t max, const uint8_t **s, size_t *len)
{
	uint64_t n;
	int vs = varint_get(pp, end, &n);
	if (vs == VARINT_TRUNCATED)
		return "metadata truncated";
	if (vs)
		return "overlong varint in metadata";
	if (n > max)
		return "metadata string too long";
	if (n > (size_t)(end - *pp))
		return "metadata truncated";
	*s = *pp;
	*len = n;
	*pp += n;
	return NULL;
}

/*
 * Parse a metadata block of len bytes at file offset off and append its
 * pairs to r->meta.  Returns 0 or -1 with r->err set.
 */
static int parse_meta(trace_reader_t *r, const uint8_t *b, size_t len, uint64_t off)
{
	const uint8_t *p = b, *end = b + len;
	uint64_t count;
	if (varint_get(&p, end, &count))
		return rerr_at(r, TRACE_NO_EVENT, off, "bad metadata count");
	if (count > TRACE_MAX_META || r->nr_meta + count > 2 * TRACE_MAX_META)
		return rerr_at(r, TRACE_NO_EVENT, off, "too many metadata pairs (%llu)",
			       (unsigned long long)count);
	/* Strings are at most len bytes in all, plus a NUL each. */
	size_t old = r->nr_meta;
	size_t used = 0;
	for (size_t i = 0; i < old; i++)
		used += strlen(r->meta[i].key) + strlen(r->meta[i].value) + 2;
	char *strings = malloc(used + len + 2 * count + 1);
	trace_meta_t *meta = malloc((old + count + 1) * sizeof(*meta));
	if (!strings || !meta) {
		free(strings);
		free(meta);
		return rerr_at(r, TRACE_NO_EVENT, off, "out of memory");
	}
	char *q = strings;
	for (size_t i = 0; i < old; i++) {   /* move earlier pairs into the new block */
		meta[i].key = q;
		q = stpcpy(q, r->meta[i].key) + 1;
		meta[i].value = q;
		q = stpcpy(q, r->meta[i].value) + 1;
	}
	free(r->meta_strings);
	free(r->meta);
	r->meta_strings = strings;
	r->meta = meta;
	for (size_t i = 0; i < count; i++) {
		const uint8_t *k, *v;
		size_t klen, vlen;
		uint64_t at = off + (uint64_t)(p - b);
		const char *why = meta_string(&p, end, 64, &k, &klen);
		if (!why)
			why = meta_string(&p, end, TRACE_MAX_STRING, &v, &vlen);
		if (why)
			return rerr_at(r, TRACE_NO_EVENT, at, "%s", why);
		if (klen == 0)
			return rerr_at(r, TRACE_NO_EVENT, at, "empty metadata key");
		for (size_t j = 0; j < klen; j++) {
			char c = (char)k[j];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
				return rerr_at(r, TRACE_NO_EVENT, at,
					       "metadata key has a character outside [A-Za-z0-9_.-]");
		}
		if (memchr(v, '\n', vlen) || memchr(v, '\0', vlen))
			return rerr_at(r, TRACE_NO_EVENT, at,
				       "metadata value has a newline or NUL");
		r->meta[r->nr_meta].key = q;
		memcpy(q, k, klen);
		q += klen;
		*q++ = '\0';
		r->meta[r->nr_meta].value = q;
		memcpy(q, v, vlen);
		q += vlen;
		*q++ = '\0';
		r->nr_meta++;
	}
	if (p != end)
		return rerr_at(r, TRACE_NO_EVENT, off + (uint64_t)(p - b),
			       "unexpected bytes after the metadata pairs");
	return 0;
}

static int check_header(trace_reader_t *r)
{
	const uint8_t *d = r->data;
	if (r->len < FMT_HEADER_SIZE || memcmp(d, FMT_MAGIC, 8))
		return rerr_at(r, TRACE_NO_EVENT, 0,
			       r->len < FMT_HEADER_SIZE && (!r->len || !memcmp(d, FMT_MAGIC,
			       r->len < 8 ? r->len : 8)) ? "truncated: too short for a trace header" :
			       "not an mmbench trace (wrong magic)");
	uint16_t version = get_le16(d + 8);
	if (version != TRACE_FORMAT_VERSION)
		return rerr_at(r, TRACE_NO_EVENT, 8,
			       "unsupported trace format version %u (this mmbench reads %u)",
			       version, TRACE_FORMAT_VERSION);
	if (get_le32(d + 20) != XXH32(d, 20, 0))
		return rerr_at(r, TRACE_NO_EVENT, 20, "header checksum mismatch");
	if (get_le16(d + 10))
		return rerr_at(r, TRACE_NO_EVENT, 10, "unknown header flags 0x%x",
			       get_le16(d + 10));
	uint32_t mlen = get_le32(d + 12);
	if (mlen > FMT_MAX_META_BYTES || mlen > r->len - FMT_HEADER_SIZE)
		return rerr_at(r, TRACE_NO_EVENT, 12,
			       "truncated: metadata size %u runs past the end of the file", mlen);
	if (get_le32(d + 16) != XXH32(d + FMT_HEADER_SIZE, mlen, 0))
		return rerr_at(r, TRACE_NO_EVENT, FMT_HEADER_SIZE, "metadata checksum mismatch");
	r->data_start = FMT_HEADER_SIZE + (uint64_t)mlen;
	return parse_meta(r, d + FMT_HEADER_SIZE, mlen, FMT_HEADER_SIZE);
}

static int check_trailer(trace_reader_t *r)
{
	const uint8_t *d = r->data;
	if (r->len < r->data_start + FMT_FOOTER_SIZE)
		return rerr_at(r, TRACE_NO_EVENT, r->len,
			       "truncated: no trailer (the recording may have been cut short)");
	uint64_t foot = r->len - FMT_FOOTER_SIZE;
	if (memcmp(d + foot + 16, FMT_FOOTER_MAGIC, 8))
		return rerr_at(r, TRACE_NO_EVENT, foot + 16,
			       "truncated or damaged: no trailer magic at the end of the file");
	uint64_t ioff = get_le64(d + foot);
	uint32_t isize = get_le32(d + foot + 8);
	if (ioff < r->data_start || ioff > foot || foot - ioff != isize)
		return rerr_at(r, TRACE_NO_EVENT, foot,
			       "trailer points outside the file (index at %llu, %u bytes)",
			       (unsigned long long)ioff, isize);
	const uint8_t *ix = d + ioff;
	if (get_le32(d + foot + 12) != XXH32(ix, isize, 0))
		return rerr_at(r, TRACE_NO_EVENT, ioff, "index checksum mismatch");
	if (isize < FMT_INDEX_FIXED || memcmp(ix, FMT_INDEX_MAGIC, 4))
		return rerr_at(r, TRACE_NO_EVENT, ioff, "bad index magic");
	uint32_t mlen = get_le32(ix + 4);
	uint64_t nr_chunks = get_le64(ix + 8);
	if (nr_chunks > (isize - FMT_INDEX_FIXED) / FMT_CHUNK_ENTRY ||
	    FMT_INDEX_FIXED + nr_chunks * FMT_CHUNK_ENTRY + mlen != isize)
		return rerr_at(r, TRACE_NO_EVENT, ioff + 4,
			       "index sizes disagree (%llu chunks, %u metadata bytes, %u in all)",
			       (unsigned long long)nr_chunks, mlen, isize);
	trace_summary_t *s = &r->sum;
	s->nr_chunks = nr_chunks;
	s->nr_events = get_le64(ix + 16);
	s->last_ts = get_le64(ix + 24);
	s->bounds.nr_objects = get_le32(ix + 32);
	s->bounds.nr_pages = get_le32(ix + 36);
	s->bounds.nr_caches = get_le32(ix + 40);
	s->bounds.nr_files = get_le32(ix + 44);
	s->bounds.nr_cma = get_le32(ix + 48);
	s->bounds.nr_cpus = get_le32(ix + 52);
	if (s->bounds.nr_cpus > TRACE_MAX_CPUS)
		return rerr_at(r, TRACE_NO_EVENT, ioff + 52, "nr_cpus %u too large",
			       s->bounds.nr_cpus);
	uint64_t total = 0;
	for (unsigned t = 0; t < FMT_INDEX_TYPES; t++) {
		uint64_t n = get_le64(ix + 56 + 8 * t);
		if (n && (t == 0 || t >= TRACE_NR_TYPES))
			return rerr_at(r, TRACE_NO_EVENT, ioff + 56 + 8 * t,
				       "index counts events of unknown type %u", t);
		if (t < TRACE_NR_TYPES)
			s->nr_by_type[t] = n;
		total += n;
		if (total < n)
			return rerr_at(r, TRACE_NO_EVENT, ioff + 56 + 8 * t, "event counts overflow");
	}
	if (total != s->nr_events)
		return rerr_at(r, TRACE_NO_EVENT, ioff + 16,
			       "index event count %llu differs from the sum by type %llu",
			       (unsigned long long)s->nr_events, (unsigned long long)total);
	r->index_off = ioff;
	r->table = ix + FMT_INDEX_FIXED;
	/* The table itself is checked chunk by chunk as the chunks are loaded. */
	uint64_t sum = 0;
	for (uint64_t i = 0; i < nr_chunks; i++) {
		uint32_t n = get_le32(r->table + i * FMT_CHUNK_ENTRY + 24);
		if (n == 0 || n > FMT_MAX_CHUNK_EVENTS)
			return rerr_at(r, TRACE_NO_EVENT,
				       ioff + FMT_INDEX_FIXED + i * FMT_CHUNK_ENTRY + 24,
				       "chunk %llu has a bad event count %u",
				       (unsigned long long)i, n);
		sum += n;
	}
	if (sum != s->nr_events)
		return rerr_at(r, TRACE_NO_EVENT, ioff + 16,
			       "chunk table holds %llu events, index says %llu",
			       (unsigned long long)sum, (unsigned long long)s->nr_events);
	return parse_meta(r, r->table + nr_chunks * FMT_CHUNK_ENTRY, mlen,
			  ioff + FMT_INDEX_FIXED + nr_chunks * FMT_CHUNK_ENTRY);
}

static trace_reader_t *reader_new(const char *name, trace_error_t *err)
{
	trace_reader_t *r = calloc(1, sizeof(*r));
	if (!r) {
		trace_error_set(err, name, TRACE_NO_EVENT, 0, "out of memory");
		return NULL;
	}
	snprintf(r->err.file, sizeof(r->err.file), "%s", name);
	r->state = 1;
	return r;
}

/*
 * Make the decompression buffer *buf (*cap bytes) hold at least size bytes
 * (a power of two from 64 KiB), its new pages written once here, so that
 * decompressing into it takes no host page faults.  Returns 0, or -1 when
 * out of memory (*buf is unchanged).
 */
static int buf_reserve(uint8_t **buf, size_t *cap, size_t size)
{
	size_t n = *cap ? *cap : 1 << 16;
	uint8_t *b;

	if (size <= *cap)
		return 0;
	while (n < size)
		n *= 2;
	b = realloc(*buf, n);
	if (!b)
		return -1;
	memset(b + *cap, 0, n - *cap);
	*buf = b;
	*cap = n;
	return 0;
}

static int raw_reserve(trace_reader_t *r, size_t size)
{
	return buf_reserve(&r->raw, &r->raw_cap, size);
}

/* Validate header and trailer; on failure copy the error out and free r. */
static trace_reader_t *reader_start(trace_reader_t *r, trace_error_t *err)
{
	if (check_header(r) || check_trailer(r))
		goto fail;
	r->dctx = ZSTD_createDCtx();
	if (!r->dctx) {
		rerr_at(r, TRACE_NO_EVENT, 0, "out of memory");
		goto fail;
	}
	r->next_off = r->data_start;
	/*
	 * The buffer for the largest chunk, faulted in now rather than while
	 * the first events are decoded (a replay times those).  Sizes the
	 * table gets wrong are reported when their chunk is loaded; out of
	 * memory here is too.
	 */
	uint32_t max_raw = 0;
	for (uint64_t i = 0; i < r->sum.nr_chunks; i++) {
		uint32_t raw = get_le32(r->table + i * FMT_CHUNK_ENTRY + 28);
		if (raw > max_raw && raw <= FMT_MAX_CHUNK_RAW)
			max_raw = raw;
	}
	raw_reserve(r, max_raw);
	return r;
fail:
	if (err)
		*err = r->err;
	trace_close(r);
	return NULL;
}

trace_reader_t *trace_open_mem(const void *buf, size_t len, const char *name,
			       trace_error_t *err)
{
	trace_reader_t *r = reader_new(name, err);
	if (!r)
		return NULL;
	r->data = buf;
	r->len = len;
	return reader_start(r, err);
}

/* Read all of fd into r->owned (for pipes and other unmappable input). */
static int slurp(trace_reader_t *r, int fd)
{
	size_t cap = 1 << 16, len = 0;
	uint8_t *buf = malloc(cap);
	for (;;) {
		if (!buf)
			return rerr_at(r, TRACE_NO_EVENT, len, "out of memory");
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return rerr_at(r, TRACE_NO_EVENT, len, "read failed: %s", strerror(errno));
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == cap) {
			uint8_t *nb = realloc(buf, cap *= 2);
			if (!nb)
				free(buf);
			buf = nb;
		}
	}
	r->owned = buf;
	r->data = buf;
	r->len = len;
	return 0;
}

trace_reader_t *trace_open(const char *path, trace_error_t *err)
{
	trace_reader_t *r = reader_new(path, err);
	if (!r)
		return NULL;
	bool is_stdin = !strcmp(path, "-");
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st)) {
		rerr_at(r, TRACE_NO_EVENT, 0, "cannot open: %s", strerror(errno));
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		rerr_at(r, TRACE_NO_EVENT, 0, "is a directory");
		goto fail;
	}
	if (S_ISREG(st.st_mode) && st.st_size > 0) {
		r->map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (r->map == MAP_FAILED) {
			r->map = NULL;
			rerr_at(r, TRACE_NO_EVENT, 0, "mmap failed: %s", strerror(errno));
			goto fail;
		}
		r->data = r->map;
		r->len = (size_t)st.st_size;
		madvise(r->map, r->len, MADV_SEQUENTIAL);
	} else if (slurp(r, fd)) {
		goto fail;
	}
	if (!is_stdin)
		close(fd);
	return reader_start(r, err);
fail:
	if (fd >= 0 && !is_stdin)
		close(fd);
	if (err)
		*err = r->err;
	trace_close(r);
	return NULL;
}

static void prefetch_stop(trace_reader_t *r);

void trace_close(trace_reader_t *r)
{
	if (!r)
		return;
	prefetch_stop(r);
	if (r->map)
		munmap(r->map, r->len);
	free(r->owned);
	free(r->meta);
	free(r->meta_strings);
	free(r->raw);
	ZSTD_freeDCtx(r->dctx);
	free(r);
}

/* ------------------------------------------------------------- chunks */

static int finish(trace_reader_t *r)
{
	if (r->next_off != r->index_off)
		return rerr_at(r, r->pos, r->next_off,
			       "%llu unexplained bytes between the last chunk and the index",
			       (unsigned long long)(r->index_off - r->next_off));
	for (unsigned t = 1; t < TRACE_NR_TYPES; t++)
		if (r->nr_by_type[t] != r->sum.nr_by_type[t])
			return rerr_at(r, r->pos, r->index_off,
				       "index says %llu %s events, the chunks hold %llu",
				       (unsigned long long)r->sum.nr_by_type[t],
				       trace_type_name(t),
				       (unsigned long long)r->nr_by_type[t]);
	if (r->pos && r->ts != r->sum.last_ts)
		return rerr_at(r, r->pos, r->index_off,
			       "index says the last event is at %llu ns, it is at %llu",
			       (unsigned long long)r->sum.last_ts, (unsigned long long)r->ts);
	r->state = 0;
	return 0;
}

/* ------------------------------------------------------------- chunk prefetch */

#define NO_CHUNK UINT64_MAX

/*
 * The next chunk, checked and decompressed on a helper thread while the
 * current one is decoded.  The helper reads only what never changes after
 * open (the file, the chunk table) and writes only `spare`; load_chunk()
 * still runs every check of its own, in its order, and takes the spare
 * buffer only when the helper prepared that very chunk.  The helper succeeds
 * exactly when load_chunk()'s own checksum and decompression would (same
 * bytes, same calls), so results and errors are those of a reader without it.
 */
struct chunk_prefetch {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t want;          /* chunk to prepare next, or NO_CHUNK */
	uint64_t ready;         /* chunk held in spare, or NO_CHUNK */
	bool busy;              /* the helper is preparing a chunk */
	bool quit;
	uint8_t *spare;         /* a buffer like r->raw */
	size_t spare_cap;       /* bytes allocated at spare */
	ZSTD_DCtx *dctx;        /* the helper's own */
};

/* How chunk_decompress() went. */
enum chunk_status {
	CHUNK_OK,
	CHUNK_BAD_CHECKSUM,     /* compressed data checksum mismatch */
	CHUNK_BAD_FRAME_SIZE,   /* the zstd frame's content size is not raw_size */
	CHUNK_ZSTD_ERROR,       /* zstd refused the data (*n holds its error code) */
	CHUNK_SHORT,            /* decompressed to *n bytes, not raw_size */
};

/*
 * The checksum and decompression of a chunk whose header is at h, whose
 * comp compressed bytes follow it, into dst (room for raw_size bytes): what
 * load_chunk() and the prefetch helper both do, so that they agree.  *n is
 * ZSTD_decompressDCtx()'s result.
 */
static enum chunk_status chunk_decompress(ZSTD_DCtx *dctx, const uint8_t *h, uint32_t comp,
					  uint32_t raw_size, uint8_t *dst, size_t *n)
{
	const uint8_t *src = h + FMT_CHUNK_HDR_SIZE;

	if (get_le32(h + 32) != XXH32(src, comp, 0))
		return CHUNK_BAD_CHECKSUM;
	if (ZSTD_getFrameContentSize(src, comp) != raw_size)
		return CHUNK_BAD_FRAME_SIZE;
	*n = ZSTD_decompressDCtx(dctx, dst, raw_size, src, comp);
	if (ZSTD_isError(*n))
		return CHUNK_ZSTD_ERROR;
	return *n == raw_size ? CHUNK_OK : CHUNK_SHORT;
}

/*
 * Decompress chunk j into pf->spare if the checks that keep the reads inside
 * the file pass, and its checksum and zstd frame are good.  Reads only what
 * is immutable after open.  Returns true when spare holds the chunk.
 */
static bool prefetch_prepare(const trace_reader_t *r, struct chunk_prefetch *pf, uint64_t j)
{
	const uint8_t *e = r->table + j * FMT_CHUNK_ENTRY;
	uint64_t off = get_le64(e);
	uint32_t nr = get_le32(e + 24), raw_size = get_le32(e + 28);

	if (off < r->data_start || off > r->index_off || r->index_off - off < FMT_CHUNK_HDR_SIZE)
		return false;
	const uint8_t *h = r->data + off;
	uint32_t comp = get_le32(h + 4);
	size_t n;
	if (get_le32(h + 8) != raw_size || raw_size > FMT_MAX_CHUNK_RAW || raw_size < nr * 2u ||
	    raw_size > pf->spare_cap || comp > r->index_off - off - FMT_CHUNK_HDR_SIZE)
		return false;
	return chunk_decompress(pf->dctx, h, comp, raw_size, pf->spare, &n) == CHUNK_OK;
}

static void *prefetch_main(void *arg)
{
	trace_reader_t *r = arg;
	struct chunk_prefetch *pf = r->pf;

	pthread_mutex_lock(&pf->lock);
	for (;;) {
		while (!pf->quit && pf->want == NO_CHUNK)
			pthread_cond_wait(&pf->cond, &pf->lock);
		if (pf->quit)
			break;
		uint64_t j = pf->want;
		pf->want = NO_CHUNK;
		pf->ready = NO_CHUNK;
		pf->busy = true;
		pthread_mutex_unlock(&pf->lock);
		bool ok = prefetch_prepare(r, pf, j);
		pthread_mutex_lock(&pf->lock);
		pf->busy = false;
		pf->ready = ok ? j : NO_CHUNK;
		pthread_cond_broadcast(&pf->cond);
	}
	pthread_mutex_unlock(&pf->lock);
	return NULL;
}

/*
 * Called by load_chunk() for chunk j once its own checks have passed: wait
 * for the helper, and swap its buffer in when it holds j.  Returns true when
 * r->raw now holds chunk j decompressed.
 */
static bool prefetch_take(trace_reader_t *r, uint64_t j)
{
	struct chunk_prefetch *pf = r->pf;
	bool took = false;

	if (!pf)
		return false;
	pthread_mutex_lock(&pf->lock);
	while (pf->busy || pf->want != NO_CHUNK)
		pthread_cond_wait(&pf->cond, &pf->lock);
	if (pf->ready == j) {
		uint8_t *b = r->raw;
		size_t cap = r->raw_cap;
		r->raw = pf->spare;
		r->raw_cap = pf->spare_cap;
		pf->spare = b;
		pf->spare_cap = cap;
		took = true;
	}
	pf->ready = NO_CHUNK;
	pthread_mutex_unlock(&pf->lock);
	return took;
}

/* Ask the helper for chunk j (the one after the chunk just loaded). */
static void prefetch_request(trace_reader_t *r, uint64_t j)
{
	struct chunk_prefetch *pf = r->pf;

	if (!pf || j >= r->sum.nr_chunks)
		return;
	pthread_mutex_lock(&pf->lock);
	pf->want = j;
	pthread_cond_broadcast(&pf->cond);
	pthread_mutex_unlock(&pf->lock);
}

/* Free r->pf, whose helper has ended or never started. */
static void prefetch_free(trace_reader_t *r)
{
	struct chunk_prefetch *pf = r->pf;

	pthread_mutex_destroy(&pf->lock);
	pthread_cond_destroy(&pf->cond);
	ZSTD_freeDCtx(pf->dctx);
	free(pf->spare);
	free(pf);
	r->pf = NULL;
}

static void prefetch_stop(trace_reader_t *r)
{
	struct chunk_prefetch *pf = r->pf;

	if (!pf)
		return;
	pthread_mutex_lock(&pf->lock);
	pf->quit = true;
	pthread_cond_broadcast(&pf->cond);
	pthread_mutex_unlock(&pf->lock);
	pthread_join(pf->thread, NULL);
	prefetch_free(r);
}

static unsigned cpus_available(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 1;
	return (unsigned)CPU_COUNT(&set);
}

int trace_reader_prefetch(trace_reader_t *r)
{
	struct chunk_prefetch *pf;
	int rc;

	if (r->pf)
		return 1;
	if (r->next_chunk + 1 >= r->sum.nr_chunks || cpus_available() < 2)
		return 0;
	if (!(pf = calloc(1, sizeof(*pf))))
		return -1;
	pf->want = pf->ready = NO_CHUNK;
	pf->dctx = ZSTD_createDCtx();
	/* As large as r->raw (the largest chunk), written once here. */
	if (!pf->dctx || buf_reserve(&pf->spare, &pf->spare_cap, r->raw_cap)) {
		ZSTD_freeDCtx(pf->dctx);
		free(pf);
		errno = ENOMEM;
		return -1;
	}
	pthread_mutex_init(&pf->lock, NULL);
	pthread_cond_init(&pf->cond, NULL);
	r->pf = pf;
	if ((rc = pthread_create(&pf->thread, NULL, prefetch_main, r))) {
		prefetch_free(r);
		errno = rc;
		return -1;
	}
	return 1;
}

static int load_chunk(trace_reader_t *r)
{
	if (r->next_chunk == r->sum.nr_chunks)
		return finish(r);
	const uint8_t *e = r->table + r->next_chunk * FMT_CHUNK_ENTRY;
	uint64_t off = get_le64(e);
	uint64_t first = get_le64(e + 8);
	uint64_t base_ts = get_le64(e + 16);
	uint32_t nr = get_le32(e + 24);
	uint32_t raw_size = get_le32(e + 28);
	unsigned long long ci = (unsigned long long)r->next_chunk;
	if (off != r->next_off)
		return rerr_at(r, r->pos, r->next_off,
			       "chunk %llu: index places it at byte offset %llu", ci,
			       (unsigned long long)off);
	if (r->index_off - off < FMT_CHUNK_HDR_SIZE)
		return rerr_at(r, r->pos, off, "chunk %llu: truncated chunk header", ci);
	const uint8_t *h = r->data + off;
	if (memcmp(h, FMT_CHUNK_MAGIC, 4))
		return rerr_at(r, r->pos, off, "chunk %llu: bad chunk magic", ci);
	if (get_le32(h + 36) != XXH32(h, 36, 0))
		return rerr_at(r, r->pos, off, "chunk %llu: chunk header checksum mismatch", ci);
	uint32_t comp = get_le32(h + 4);
	if (get_le32(h + 8) != raw_size || get_le32(h + 12) != nr ||
	    get_le64(h + 16) != first || get_le64(h + 24) != base_ts)
		return rerr_at(r, r->pos, off, "chunk %llu: header disagrees with the index", ci);
	if (first != r->pos)
		return rerr_at(r, r->pos, off + 16,
			       "chunk %llu: starts at event %llu, expected %llu", ci,
			       (unsigned long long)first, (unsigned long long)r->pos);
	if (raw_size > FMT_MAX_CHUNK_RAW || raw_size < nr * 2u)
		return rerr_at(r, r->pos, off + 8, "chunk %llu: bad decompressed size %u",
			       ci, raw_size);
	if (comp > r->index_off - off - FMT_CHUNK_HDR_SIZE)
		return rerr_at(r, r->pos, off + 4,
			       "chunk %llu: truncated (%u compressed bytes run past the chunk data)",
			       ci, comp);
	if (r->pos && base_ts < r->ts)
		return rerr_at(r, r->pos, off + 24,
			       "events out of order: chunk %llu starts at %llu ns, before the previous event at %llu ns",
			       ci, (unsigned long long)base_ts, (unsigned long long)r->ts);
	if (prefetch_take(r, r->next_chunk))
		goto loaded;
	if (raw_reserve(r, raw_size))
		return rerr_at(r, r->pos, off, "out of memory");
	size_t n = 0;
	switch (chunk_decompress(r->dctx, h, comp, raw_size, r->raw, &n)) {
	case CHUNK_OK:
		break;
	case CHUNK_BAD_CHECKSUM:
		return rerr_at(r, r->pos, off + FMT_CHUNK_HDR_SIZE,
			       "chunk %llu: compressed data checksum mismatch (damaged file)", ci);
	case CHUNK_BAD_FRAME_SIZE:
		return rerr_at(r, r->pos, off + FMT_CHUNK_HDR_SIZE,
			       "chunk %llu: damaged compressed data (frame size does not match)", ci);
	case CHUNK_ZSTD_ERROR:
		return rerr_at(r, r->pos, off + FMT_CHUNK_HDR_SIZE,
			       "chunk %llu: damaged compressed data (zstd: %s)", ci,
			       ZSTD_getErrorName(n));
	case CHUNK_SHORT:
		return rerr_at(r, r->pos, off + FMT_CHUNK_HDR_SIZE,
			       "chunk %llu: decompressed to %zu bytes, expected %u", ci, n, raw_size);
	}
loaded:
	prefetch_request(r, r->next_chunk + 1);
	r->chunk_off = off;
	r->next_off = off + FMT_CHUNK_HDR_SIZE + comp;
	r->next_chunk++;
	r->p = r->raw;
	r->end = r->raw + raw_size;
	r->chunk_left = nr;
	r->ts = base_ts;
	r->last_addr = 0;
	r->last_id = r->last_page = 0;
	r->nr_ctx = 0;
	return 1;
}

/* ------------------------------------------------------------- events */

/* Error inside the current chunk: the event's index and decompressed offset. */
static int ev_err(trace_reader_t *r, const uint8_t *at, const char *reason)
{
	rerr_at(r, r->pos, r->chunk_off, "%s", reason);
	r->err.chunk_offset = (uint64_t)(at - r->raw);
	r->chunk_left = 0;      /* every later call returns the error */
	return -1;
}

/*
 * Decoder state carried from one event to the next inside a chunk (reset at
 * every chunk start, FORMAT.md "Events").  A local copy of the reader's
 * fields while a run of events is decoded, so that it lives in registers.
 */
struct decode_state {
	const uint8_t *p;       /* next byte of the chunk's encoded events */
	uint64_t ts;            /* ns, timestamp of the last event */
	uint64_t last_addr;     /* bytes, base of the next addr delta */
	uint32_t last_id;       /* base of the next object id delta */
	uint32_t last_page;     /* base of the next page id delta */
	uint32_t cpu, pid, tid; /* current context, valid once nr_ctx > 0 */
	uint32_t nr_ctx;        /* contexts defined in the chunk so far */
};

/*
 * Most bytes an event can take outside its string: the tag, a new context
 * (index, cpu, pid, tid), dts and at most eight payload varints (MMAP).
 * While this many bytes remain in the chunk, no varint of the next event
 * can run into the chunk's end, so it is decoded without bounds checks.
 */
#define EVENT_MAX_FIXED (1 + (4 + 1 + 8) * VARINT_MAX_LEN)

/*
 * Zero the payload union before its fields are stored, so that the bytes no
 * field of the type covers are the same for every event of the same content
 * (callers may compare events with memcmp, and trace_next() hands out
 * events from a reused buffer).  The stores of the fields that follow
 * overwrite most of it; this is a few vector stores.
 */
static inline void clear_payload(trace_event_t *ev)
{
	memset(&ev->alloc, 0, sizeof(*ev) - offsetof(trace_event_t, alloc));
}

static inline const char *varint_why(int vs)
{
	return vs == VARINT_TRUNCATED ? "event truncated (chunk ends inside it)" :
					"overlong varint";
}

/* The macros below decode one field at p (bounds-checked against end when
 * `bounded`) and return a reason from decode_event() when it is bad. */
#define GETV(v)                                                         \
	do {                                                            \
		int vs_ = bounded ? varint_get(&p, end, &(v)) :         \
				    varint_get_unbounded(&p, &(v));     \
		if (__builtin_expect(vs_ != VARINT_OK, 0))              \
			return varint_why(vs_);                         \
	} while (0)

#define GET32(dst)                                                      \
	do {                                                            \
		uint64_t v_;                                            \
		GETV(v_);                                               \
		if (__builtin_expect(v_ > UINT32_MAX, 0))               \
			return "field value out of range";              \
		(dst) = (uint32_t)v_;                                   \
	} while (0)

/* A delta-coded id (obj, page): must land in [0, nr). */
#define GETID(dst, last, nr, what)                                      \
	do {                                                            \
		uint64_t v_;                                            \
		GETV(v_);                                               \
		/* wrapping: no true id outside [0, 2^32) lands in range */ \
		uint64_t id_ = (uint64_t)(last) + (uint64_t)zigzag_decode(v_); \
		if (__builtin_expect(id_ >= (uint64_t)(nr), 0))         \
			return what " id out of range";                 \
		(dst) = (last) = (uint32_t)id_;                         \
	} while (0)

/* A plain id: must be < nr (so never TRACE_NO_ID). */
#define GETBOUNDED(dst, nr, what)                                       \
	do {                                                            \
		GET32(dst);                                             \
		if (__builtin_expect((dst) >= (nr), 0))                 \
			return what " id out of range";                 \
	} while (0)

#define GETADDR(dst)                                                    \
	do {                                                            \
		uint64_t v_;                                            \
		GETV(v_);                                               \
		(dst) = s->last_addr += (uint64_t)zigzag_decode(v_);    \
	} while (0)

#define GETSTR(str, len)                                                \
	do {                                                            \
		uint64_t v_;                                            \
		GETV(v_);                                               \
		if (v_ > TRACE_MAX_STRING || v_ > (uint64_t)(end - p))  \
			return "string length out of range";            \
		(str) = (const char *)p;                                \
		(len) = (uint32_t)v_;                                   \
		p += v_;                                                \
	} while (0)

#define GETORDER(dst)                                                   \
	do {                                                            \
		uint64_t v_;                                            \
		GETV(v_);                                               \
		if (v_ > TRACE_MAX_ORDER)                               \
			return "order out of range";                    \
		(dst) = (uint8_t)v_;                                    \
	} while (0)

#define CHECK(cond, reason)                                             \
	do {                                                            \
		if (__builtin_expect(!(cond), 0))                       \
			return reason;                                  \
	} while (0)

#define IS_POW2_OR_ZERO(v) (((v) & ((v) - 1)) == 0)

/*
 * Decode the event at s->p into *ev and advance s.  With bounded false the
 * caller guarantees EVENT_MAX_FIXED readable bytes at s->p (r->end - s->p);
 * the results, errors included, are the same either way.  The per-type
 * checks here are those of fmt_event_invalid() (the writer's), done inline
 * because this is the hot path; tests/fuzz/fuzz_trace.c asserts that every
 * event returned passes fmt_event_invalid(), so the two cannot drift apart
 * unnoticed.  Returns NULL, or the reason the event is malformed (s is then
 * partly updated and must not be used again).
 */
static inline __attribute__((always_inline)) const char *
decode_event(trace_reader_t *r, struct decode_state *s, trace_event_t *ev,
	     const bool bounded)
{
	const trace_bounds_t *b = &r->sum.bounds;
	const uint8_t *p = s->p, *end = r->end;
	uint64_t v;

	CHECK(!bounded || p < end, "chunk ends before its last event");
	uint8_t tag = *p++;
	unsigned type = tag & FMT_TAG_TYPE_MASK;
	CHECK(!(tag & FMT_TAG_RESERVED) && type != 0 && type < TRACE_NR_TYPES &&
	      (!(tag & FMT_TAG_SHORT) || type == TRACE_ALLOC || type == TRACE_FREE),
	      "bad event tag (unknown type or reserved bits set)");
	if (tag & FMT_TAG_CTX) {
		GETV(v);
		if (v < s->nr_ctx) {
			s->cpu = r->ctx[v][0];
			s->pid = r->ctx[v][1];
			s->tid = r->ctx[v][2];
		} else {
			CHECK(v == s->nr_ctx && s->nr_ctx < FMT_MAX_CONTEXTS,
			      "context index out of range");
			GET32(s->cpu);
			GET32(s->pid);
			GET32(s->tid);
			CHECK(s->cpu < b->nr_cpus, "cpu out of range");
			r->ctx[s->nr_ctx][0] = s->cpu;
			r->ctx[s->nr_ctx][1] = s->pid;
			r->ctx[s->nr_ctx][2] = s->tid;
			s->nr_ctx++;
		}
	} else {
		CHECK(s->nr_ctx, "first event of a chunk has no cpu/pid/tid context");
	}
	GETV(v);
	CHECK(s->ts + v >= s->ts, "timestamp overflows");
	s->ts += v;
	ev->ts = s->ts;
	ev->cpu = s->cpu;
	ev->pid = s->pid;
	ev->tid = s->tid;
	ev->type = (uint8_t)type;
	clear_payload(ev);

	switch (type) {
	case TRACE_ALLOC: {
		v = TRACE_FN_MALLOC;
		if (!(tag & FMT_TAG_SHORT)) {
			GETV(v);
			CHECK(v != TRACE_FN_MALLOC, "ALLOC header should have been the short form");
		}
		unsigned func = v & 0xf;
		CHECK(v <= 0x7f && func < TRACE_NR_FUNCS && (FMT_ALLOC_FUNCS & FN_BIT(func)),
		      "bad ALLOC header (function or flags)");
		CHECK(!(v & FMT_ALLOC_CACHE) == (func != TRACE_FN_KMEM_CACHE_ALLOC),
		      "a cache id goes with kmem_cache_alloc, and only with it");
		ev->alloc.func = (uint8_t)func;
		GETID(ev->alloc.id, s->last_id, b->nr_objects, "object");
		GETV(ev->alloc.size);
		ev->alloc.align = 0;
		ev->alloc.cache = TRACE_NO_ID;
		ev->alloc.gfp = 0;
		if (v & FMT_ALLOC_ALIGN) {
			GETV(ev->alloc.align);
			CHECK(ev->alloc.align && IS_POW2_OR_ZERO(ev->alloc.align),
			      "alignment is not a power of two");
		}
		if (v & FMT_ALLOC_CACHE)
			GETBOUNDED(ev->alloc.cache, b->nr_caches, "cache");
		if (v & FMT_ALLOC_GFP) {
			GET32(ev->alloc.gfp);
			CHECK(ev->alloc.gfp, "gfp flag with zero gfp");
		}
		break;
	}
	case TRACE_FREE: {
		v = TRACE_FN_FREE;
		if (!(tag & FMT_TAG_SHORT)) {
			GETV(v);
			CHECK(v != TRACE_FN_FREE, "FREE header should have been the short form");
		}
		unsigned func = v & 0xf;
		CHECK(v <= 0x1f && func < TRACE_NR_FUNCS && (FMT_FREE_FUNCS & FN_BIT(func)),
		      "bad FREE header (function or flags)");
		CHECK(!(v & FMT_FREE_CACHE) == (func != TRACE_FN_KMEM_CACHE_FREE),
		      "a cache id goes with kmem_cache_free, and only with it");
		ev->free.func = (uint8_t)func;
		GETID(ev->free.id, s->last_id, b->nr_objects, "object");
		ev->free.cache = TRACE_NO_ID;
		if (v & FMT_FREE_CACHE)
			GETBOUNDED(ev->free.cache, b->nr_caches, "cache");
		break;
	}
	case TRACE_REALLOC:
		GETV(v);
		CHECK(v < TRACE_NR_FUNCS && (FMT_REALLOC_FUNCS & FN_BIT(v)),
		      "bad REALLOC function");
		ev->realloc.func = (uint8_t)v;
		GETID(ev->realloc.old_id, s->last_id, b->nr_objects, "object");
		GETID(ev->realloc.new_id, s->last_id, b->nr_objects, "object");
		GETV(ev->realloc.size);
		break;
	case TRACE_CACHE_CREATE:
		GETBOUNDED(ev->cache_create.cache, b->nr_caches, "cache");
		GET32(ev->cache_create.flags);
		GETV(ev->cache_create.size);
		GETV(ev->cache_create.align);
		CHECK(IS_POW2_OR_ZERO(ev->cache_create.align), "alignment is not a power of two");
		GETSTR(ev->cache_create.name, ev->cache_create.name_len);
		break;
	case TRACE_CACHE_DESTROY:
		GETBOUNDED(ev->cache_destroy.cache, b->nr_caches, "cache");
		break;
	case TRACE_PAGE_ALLOC:
		GETID(ev->page_alloc.page, s->last_page, b->nr_pages, "page");
		GETORDER(ev->page_alloc.order);
		GET32(ev->page_alloc.gfp);
		GETV(v);
		CHECK(v <= 0xff, "migratetype out of range");
		ev->page_alloc.migratetype = (uint8_t)v;
		break;
	case TRACE_PAGE_FREE:
		GETID(ev->page_free.page, s->last_page, b->nr_pages, "page");
		GETORDER(ev->page_free.order);
		break;
	case TRACE_MMAP:
		GETADDR(ev->mmap.addr);
		GETV(ev->mmap.len);
		GET32(ev->mmap.prot);
		GET32(ev->mmap.flags);
		GET32(ev->mmap.file);
		ev->mmap.file--;        /* 0 encodes "anonymous" (TRACE_NO_ID) */
		CHECK(ev->mmap.file == TRACE_NO_ID || ev->mmap.file < b->nr_files,
		      "file id out of range");
		GETV(ev->mmap.pgoff);
		GET32(ev->mmap.err);
		ev->mmap.result = 0;
		if (!ev->mmap.err)
			GETADDR(ev->mmap.result);
		break;
	case TRACE_MUNMAP:
		GETADDR(ev->munmap.addr);
		GETV(ev->munmap.len);
		GET32(ev->munmap.err);
		break;
	case TRACE_MREMAP:
		GETADDR(ev->mremap.addr);
		GETV(ev->mremap.old_len);
		GETV(ev->mremap.new_len);
		GET32(ev->mremap.flags);
		GETV(ev->mremap.new_addr);
		GET32(ev->mremap.err);
		ev->mremap.result = 0;
		if (!ev->mremap.err)
			GETADDR(ev->mremap.result);
		break;
	case TRACE_MPROTECT:
		GETADDR(ev->mprotect.addr);
		GETV(ev->mprotect.len);
		GET32(ev->mprotect.prot);
		GET32(ev->mprotect.err);
		break;
	case TRACE_MADVISE:
		GETADDR(ev->madvise.addr);
		GETV(ev->madvise.len);
		GET32(ev->madvise.advice);
		GET32(ev->madvise.err);
		break;
	case TRACE_BRK:
		GETADDR(ev->brk.request);
		GETADDR(ev->brk.result);
		break;
	case TRACE_FAULT:
		GETADDR(ev->fault.addr);
		GET32(ev->fault.flags);
		CHECK(!(ev->fault.flags & ~TRACE_FAULT_ALL), "unknown fault flags");
		break;
	case TRACE_ACCESS:
		GETADDR(ev->access.addr);
		GET32(ev->access.flags);
		CHECK(!(ev->access.flags & ~TRACE_ACCESS_ALL),
		      "unknown access flags");
		break;
	case TRACE_FORK:
		GET32(ev->fork.child);
		GET32(ev->fork.flags);
		CHECK(!(ev->fork.flags & ~TRACE_FORK_ALL), "unknown fork flags");
		break;
	case TRACE_EXEC:
		GETSTR(ev->exec.path, ev->exec.path_len);
		break;
	case TRACE_EXIT:
		GETV(v);
		if (v > UINT32_MAX)
			return "field value out of range";
		ev->exit.code = (int32_t)zigzag_decode(v);
		GET32(ev->exit.flags);
		CHECK(!(ev->exit.flags & ~TRACE_EXIT_ALL), "unknown exit flags");
		break;
	case TRACE_CMA_ALLOC:
	case TRACE_CMA_RELEASE:
		GET32(ev->cma.area);
		GETBOUNDED(ev->cma.id, b->nr_cma, "cma allocation");
		GETV(ev->cma.count);
		ev->cma.align = 0;
		ev->cma.err = 0;
		if (type == TRACE_CMA_ALLOC) {
			GETORDER(ev->cma.align);
			GET32(ev->cma.err);
		}
		break;
	case TRACE_MARK:
		GETSTR(ev->mark.name, ev->mark.name_len);
		break;
	}
	r->nr_by_type[type]++;
	s->p = p;
	return NULL;
}

/* What decode_objects() does with each tag byte: 0 = leave it to decode_event(). */
enum fast_kind {
	FAST_FREE_SHORT = 1,    /* plain free() */
	FAST_ALLOC_SHORT,       /* plain malloc() */
	FAST_ALLOC,             /* other ALLOC */
	FAST_FREE,              /* other FREE */
	FAST_REALLOC,
};

#define FAST_TAGS(tag, kind) [(tag)] = (kind), [(tag) | FMT_TAG_CTX] = (kind)
static const uint8_t fast_kind[256] = {
	FAST_TAGS(FMT_TAG_SHORT | TRACE_FREE, FAST_FREE_SHORT),
	FAST_TAGS(FMT_TAG_SHORT | TRACE_ALLOC, FAST_ALLOC_SHORT),
	FAST_TAGS(TRACE_ALLOC, FAST_ALLOC),
	FAST_TAGS(TRACE_FREE, FAST_FREE),
	FAST_TAGS(TRACE_REALLOC, FAST_REALLOC),
};

/*
 * The hot loop of decode_run(): ALLOC, FREE and REALLOC events in a context
 * the chunk has already defined, while EVENT_MAX_FIXED bytes remain.  These
 * make up malloc-heavy traces.  It applies every check decode_event() does but
 * reports nothing: at the first event of another kind, with a new context,
 * with a kmem_cache or gfp field, or failing a check, it stops with *st as it
 * was before that event, and decode_event() decodes the event or reports
 * why not.  So both paths return the same events and the same errors.  The
 * state this loop changes (ts, last_id, the context) is what the last event
 * it stored holds, so it is updated in place and, when the loop stops, taken
 * back from that event.  Returns the number of events stored at evs (at
 * most n).
 */
static size_t decode_objects(trace_reader_t *r, struct decode_state *st,
			     trace_event_t *evs, size_t n)
{
	const uint8_t *p = st->p, *end = r->end;
	const uint32_t nr_ctx = st->nr_ctx;
	if (end - p < EVENT_MAX_FIXED || !nr_ctx || !n)
		return 0;
	const uint8_t *limit = end - EVENT_MAX_FIXED;
	const uint32_t nr_objects = r->sum.bounds.nr_objects;
	uint64_t ts = st->ts;
	uint32_t last_id = st->last_id;
	uint32_t cpu = st->cpu, pid = st->pid, tid = st->tid;
	trace_event_t *ev = evs, *ev_end = evs + n;

	do {
		const uint8_t *q = p + 1;
		unsigned tag = *p, kind = fast_kind[tag];
		uint64_t v, hdr;

		if (!kind)
			break;
		if (tag & FMT_TAG_CTX) {
			if (varint_get_unbounded(&q, &v) || v >= nr_ctx)
				break;
			cpu = r->ctx[v][0];
			pid = r->ctx[v][1];
			tid = r->ctx[v][2];
		}
		if (varint_get_unbounded(&q, &v) || __builtin_add_overflow(ts, v, &ts))
			break;
		ev->ts = ts;
		ev->cpu = cpu;
		ev->pid = pid;
		ev->tid = tid;
		ev->type = (uint8_t)(tag & FMT_TAG_TYPE_MASK);
		clear_payload(ev);

		if (kind == FAST_FREE_SHORT) {
			if (varint_get_unbounded(&q, &v))
				break;
			v = last_id + (uint64_t)zigzag_decode(v);
			if (v >= nr_objects)
				break;
			last_id = (uint32_t)v;
			ev->free.id = last_id;
			ev->free.cache = TRACE_NO_ID;
			ev->free.func = TRACE_FN_FREE;
			r->nr_by_type[TRACE_FREE]++;
		} else if (kind <= FAST_ALLOC) {
			hdr = TRACE_FN_MALLOC;
			if (kind == FAST_ALLOC) {
				/* Plain functions and align only; not malloc (short form). */
				if (varint_get_unbounded(&q, &hdr) ||
				    hdr > (FMT_ALLOC_ALIGN | 0xf) || hdr == TRACE_FN_MALLOC ||
				    !((FMT_ALLOC_FUNCS & ~FN_BIT(TRACE_FN_KMEM_CACHE_ALLOC)) &
				      FN_BIT(hdr & 0xf)))
					break;
			}
			if (varint_get_unbounded(&q, &v))
				break;
			v = last_id + (uint64_t)zigzag_decode(v);
			if (v >= nr_objects || varint_get_unbounded(&q, &ev->alloc.size))
				break;
			last_id = (uint32_t)v;
			ev->alloc.align = 0;
			if (hdr & FMT_ALLOC_ALIGN) {
				if (varint_get_unbounded(&q, &ev->alloc.align) ||
				    !ev->alloc.align || !IS_POW2_OR_ZERO(ev->alloc.align))
					break;
			}
			ev->alloc.id = last_id;
			ev->alloc.cache = TRACE_NO_ID;
			ev->alloc.gfp = 0;
			ev->alloc.func = (uint8_t)(hdr & 0xf);
			r->nr_by_type[TRACE_ALLOC]++;
		} else if (kind == FAST_FREE) {
			/* Plain functions only; not free (short form). */
			if (varint_get_unbounded(&q, &hdr) || hdr > 0xf || hdr == TRACE_FN_FREE ||
			    !((FMT_FREE_FUNCS & ~FN_BIT(TRACE_FN_KMEM_CACHE_FREE)) & FN_BIT(hdr)))
				break;
			if (varint_get_unbounded(&q, &v))
				break;
			v = last_id + (uint64_t)zigzag_decode(v);
			if (v >= nr_objects)
				break;
			last_id = (uint32_t)v;
			ev->free.id = last_id;
			ev->free.cache = TRACE_NO_ID;
			ev->free.func = (uint8_t)hdr;
			r->nr_by_type[TRACE_FREE]++;
		} else {                /* FAST_REALLOC */
			if (varint_get_unbounded(&q, &hdr) || hdr >= TRACE_NR_FUNCS ||
			    !(FMT_REALLOC_FUNCS & FN_BIT(hdr)) ||
			    varint_get_unbounded(&q, &v))
				break;
			v = last_id + (uint64_t)zigzag_decode(v);
			if (v >= nr_objects)
				break;
			uint64_t delta;
			ev->realloc.old_id = (uint32_t)v;
			if (varint_get_unbounded(&q, &delta))
				break;
			v = (uint32_t)v + (uint64_t)zigzag_decode(delta);
			if (v >= nr_objects || varint_get_unbounded(&q, &ev->realloc.size))
				break;
			last_id = (uint32_t)v;
			ev->realloc.new_id = last_id;
			ev->realloc.func = (uint8_t)hdr;
			r->nr_by_type[TRACE_REALLOC]++;
		}
		p = q;
	} while (++ev < ev_end && p <= limit);

	if (ev > evs) {         /* take the state back from the last event stored */
		const trace_event_t *e = ev - 1;
		st->p = p;
		st->ts = e->ts;
		st->cpu = e->cpu;
		st->pid = e->pid;
		st->tid = e->tid;
		st->last_id = e->type == TRACE_ALLOC ? e->alloc.id :
			      e->type == TRACE_FREE ? e->free.id : e->realloc.new_id;
	}
	return (size_t)(ev - evs);
}

/* decode_event() near the end of a chunk: out of line, it is rarely needed. */
static __attribute__((noinline, cold)) const char *
decode_event_bounded(trace_reader_t *r, struct decode_state *s, trace_event_t *ev)
{
	return decode_event(r, s, ev, true);
}

/*
 * Decode up to max events of the current chunk into evs: unbounded while
 * EVENT_MAX_FIXED bytes remain, then with bounds checks.  Decoder state lives
 * in a local decode_state and is stored back once, after the last complete
 * event.  Returns the number of events stored; on a fault the error is set
 * (r->state = -1) and the events before it are kept.
 */
static inline __attribute__((always_inline)) size_t
decode_run(trace_reader_t *r, trace_event_t *evs, size_t max)
{
	struct decode_state s = {
		.p = r->p, .ts = r->ts, .last_addr = r->last_addr,
		.last_id = r->last_id, .last_page = r->last_page,
		.cpu = r->cpu, .pid = r->pid, .tid = r->tid, .nr_ctx = r->nr_ctx,
	};
	const uint8_t *end = r->end, *start = s.p;
	size_t n = max < r->chunk_left ? max : r->chunk_left;
	size_t i = 0;
	const char *why;

	/* The chunk's last event goes to decode_event(), which sets start for
	 * the check after it. */
	size_t n_fast = n == r->chunk_left ? n - 1 : n;

	while (i < n) {
		i += decode_objects(r, &s, evs + i, n_fast - i);
		if (i == n)
			break;
		/* A run of other events, in a copy of s that stays in registers. */
		struct decode_state g = s;
		do {
			start = g.p;
			if (end - g.p >= EVENT_MAX_FIXED)
				why = decode_event(r, &g, &evs[i], false);
			else
				why = decode_event_bounded(r, &g, &evs[i]);
			if (why)
				goto bad;
		} while (++i < n && !(end - g.p >= EVENT_MAX_FIXED && fast_kind[*g.p] &&
				      i < n_fast));
		s = g;
	}
	if (n == r->chunk_left && s.p != end) {
		why = "unexpected bytes after the chunk's last event";
		i--;    /* the last event is not returned */
		goto bad;
	}
	r->p = s.p;
	r->ts = s.ts;
	r->last_addr = s.last_addr;
	r->last_id = s.last_id;
	r->last_page = s.last_page;
	r->cpu = s.cpu;
	r->pid = s.pid;
	r->tid = s.tid;
	r->nr_ctx = s.nr_ctx;
	r->pos += n;
	r->chunk_left -= (uint32_t)n;
	return n;
bad:
	/* Keep the events before the fault; report the one at start. */
	r->pos += i;
	ev_err(r, start, why);
	return i;
}

/* trace_next_batch() without the events trace_next() decoded ahead. */
static ssize_t decode_batch(trace_reader_t *r, trace_event_t *evs, size_t max)
{
	size_t n = 0;
	while (n < max) {
		if (r->chunk_left == 0) {
			/* A new chunk reuses the buffer that strings point into. */
			if (n || r->state <= 0 || load_chunk(r) <= 0)
				break;
		}
		n += decode_run(r, evs + n, max - n);
		if (r->state < 0)
			break;
	}
	return n ? (ssize_t)n : r->state;
}

ssize_t trace_next_batch(trace_reader_t *r, trace_event_t *evs, size_t max)
{
	size_t ahead = r->ahead_len - r->ahead_next;
	if (!ahead)
		return decode_batch(r, evs, max);
	if (ahead > max)
		ahead = max;
	memcpy(evs, r->ahead + r->ahead_next, ahead * sizeof(*evs));
	r->ahead_next += (uint32_t)ahead;
	return (ssize_t)ahead;
}

/*
 * One event at a time from a run decoded ahead: a run costs about what one
 * event does, and it never crosses a chunk, so the strings of the events
 * still to be returned stay valid.  A fault found ahead is returned after the
 * events before it, as trace_next_batch() does.
 */
int trace_next(trace_reader_t *r, trace_event_t *ev)
{
	if (r->ahead_next == r->ahead_len) {
		ssize_t n = decode_batch(r, r->ahead, READ_AHEAD);
		if (n <= 0)
			return (int)n;
		r->ahead_next = 0;
		r->ahead_len = (uint32_t)n;
	}
	*ev = r->ahead[r->ahead_next++];
	return 1;
}

uint64_t trace_position(const trace_reader_t *r)
{
	return r->pos - (r->ahead_len - r->ahead_next);
}

const trace_error_t *trace_reader_error(const trace_reader_t *r)
{
	return &r->err;
}

const trace_summary_t *trace_summary(const trace_reader_t *r)
{
	return &r->sum;
}

size_t trace_nr_meta(const trace_reader_t *r)
{
	return r->nr_meta;
}

const trace_meta_t *trace_meta(const trace_reader_t *r, size_t i)
{
	return i < r->nr_meta ? &r->meta[i] : NULL;
}

const char *trace_meta_get(const trace_reader_t *r, const char *key)
{
	for (size_t i = r->nr_meta; i-- > 0;)
		if (!strcmp(r->meta[i].key, key))
			return r->meta[i].value;
	return NULL;
}
