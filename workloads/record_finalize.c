/*
 * record_finalize.c - recording directory -> trace (see record_finalize.h).
 *
 * Each t.<pid>.<tid>.raw stream is mapped and read through a cursor that
 * folds multi-record items (EXEC and START with their REC_DATA strings) into
 * one item; a binary heap on (ts, stream index) merges the cursors, and each
 * item is converted in global time order, which is the order the id maps
 * need (a pointer freed in one thread and reused in another).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <uthash.h>

#include "workloads/record_finalize.h"
#include "workloads/recorder/rec_raw.h"

#define FIN_PAGE_SHIFT 12       /* mmap offsets to pages (x86-64) */
#define FIN_MAX_TRAILER (TRACE_MAX_META - 16)   /* pairs for per-process keys */
#define FIN_PREFETCH_UNITS 32   /* how far ahead a stream's pointer lookups are prefetched */

/* One raw stream and its cursor. */
typedef struct stream {
	char path[512];                 /* DIR/t.<pid>.<tid>.raw */
	uint32_t pid;                   /* from the file name */
	uint32_t tid;                   /* from the file name */
	uint64_t key;                   /* pid << 32 | tid: the merge's order among equal times */
	struct proc *proc;              /* its process, once known */
	const unsigned char *raw;       /* unit 0 of the file (mapped from map_off on) */
	size_t size;                    /* bytes of the file seen */
	size_t nr;                      /* whole REC_UNIT units in size */
	size_t pos;                     /* next unit to read */
	size_t nr_read;                 /* records read */
	void *map;                      /* mmap of the file from map_off, map_len bytes */
	size_t map_off, map_len;
	uint64_t raw_ts;                /* ns, the last record's own time (short ones count from it) */
	uint64_t last_ts;               /* ns, for the monotonic clamp; a lower bound of what comes */
	bool ended;                     /* REC_END or the thread's EXIT read: nothing more is due */
	bool waiting;                   /* its last record is a begun REC_WAIT: nothing is buffered */
	bool hit_end;                   /* the item being read ran into the end of what is there */
	/* the current item */
	bool has;                       /* an item is ready */
	rec_raw_t cur;                  /* its record (ts clamped) */
	uint64_t d[6];                  /* the arguments of its REC_DATA slots */
	size_t cur_idx;                 /* its index in the stream (records) */
	size_t cur_off;                 /* its offset in the stream (bytes) */
	bool start;                     /* an image start without a recorded exec */
	char str[TRACE_MAX_STRING];     /* EXEC path */
	uint32_t str_len;               /* bytes */
	UT_hash_handle hh;              /* fin_t.by_key */
} stream_t;

/*
 * A process's live pointers: open addressing with linear probing and
 * backward-shift deletion (no tombstones), 16-byte slots, key 0 = empty (no
 * allocator returns NULL for a live object).  Not uthash: its chains of ~5-10
 * separately allocated entries cost a cache miss each, and this map takes one
 * lookup per recorded malloc-family call (millions, over up to millions of
 * live pointers).
 */
typedef struct ptr_slot {
	uint64_t ptr;                   /* the address; 0 = empty */
	uint32_t id;                    /* its object id */
	uint32_t pad;
} ptr_slot_t;

typedef struct ptr_map {
	ptr_slot_t *slots;              /* cap slots, or NULL */
	size_t cap;                     /* a power of two, at least 1024 */
	size_t nr;                      /* used slots */
	bool windows;                   /* keys are pointers: ptr_home() by page windows */
} ptr_map_t;

typedef struct proc {
	uint32_t pid;                   /* key */
	ptr_map_t live;                 /* live pointers of this address space */
	ptr_map_t touched;              /* pages (vpn + 1) written since mapped: the touch model */
	uint64_t last_touched;          /* a page (vpn + 1) in touched, or 0: most allocations fall on the last one's page */
	bool announced;                 /* a FORK named it */
	uint64_t first_ts;              /* ns, its first record */
	UT_hash_handle hh;
} proc_t;

typedef struct file_entry {
	uint64_t key[2];                /* st_dev, st_ino */
	uint32_t id;                    /* dense file id */
	UT_hash_handle hh;
} file_entry_t;

typedef struct record_finalizer {
	const record_finalize_opts_t *o;
	trace_writer_t *w;              /* open once the origin is known */
	trace_error_t *err;
	record_finalize_stats_t st;
	stream_t **streams;             /* every stream found, in the order found */
	size_t nr_streams, cap_streams;
	stream_t *by_key;               /* the same, by key */
	stream_t **heap;                /* streams with an item: min-heap on (ts, key) */
	size_t heap_len;
	bool streaming;                 /* finalizing while the program runs */
	bool final;                     /* every stream is complete: the end of a file is its end */
	bool restart;                   /* written too early: start over at the end */
	uint64_t last_ts, last_key;     /* the last item written (0, 0 before any) */
	proc_t *procs;                  /* by pid */
	proc_t *last_proc;              /* cache of the last lookup */
	file_entry_t *files;
	uint32_t nr_files;
	uint32_t *free_ids;             /* freed object ids, reused last-in first */
	size_t nr_free_ids, cap_free_ids;
	uint32_t next_id;               /* next never-used object id */
} fin_t;

static int fin_error(fin_t *f, const char *file, uint64_t rec, uint64_t off,
		     const char *why)
{
	trace_error_set(f->err, file, rec, off, "%s", why);
	return -1;
}

/* ---------------------------------------------------------------- streams */

/*
 * Map what is new in s's file: from the page of the next unit to the end
 * of the file as it is now (the part already read is not mapped again).
 * Returns 0 or -1.
 */
static int stream_map(fin_t *f, stream_t *s)
{
	struct stat st;

	if (stat(s->path, &st))
		return fin_error(f, s->path, TRACE_NO_EVENT, 0, strerror(errno));
	size_t size = (size_t)st.st_size;
	if (size <= s->size)
		return 0;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t off = s->pos * REC_UNIT / page * page, len = size - off;
	int fd = open(s->path, O_RDONLY | O_CLOEXEC);
	void *map = fd < 0 ? MAP_FAILED : mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, (off_t)off);
	if (map == MAP_FAILED) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return fin_error(f, s->path, TRACE_NO_EVENT, 0, strerror(e));
	}
	close(fd);
	if (s->map)
		munmap(s->map, s->map_len);
	s->map = map;
	s->map_off = off;
	s->map_len = len;
	s->raw = (const unsigned char *)map - off;      /* only units from off on are read */
	s->size = size;
	s->nr = size / REC_UNIT;
	return 0;
}

/* The type byte of the unit at s->pos (which must exist). */
static inline uint8_t stream_type(const stream_t *s)
{
	return s->raw[s->pos * REC_UNIT];
}

/* The full REC_DATA slot at s->pos, or NULL (another record, or the end: hit_end). */
static const rec_raw_t *stream_data(stream_t *s)
{
	if (s->pos + 2 > s->nr) {
		s->hit_end = true;
		return NULL;
	}
	if (stream_type(s) != REC_DATA)
		return NULL;
	return (const rec_raw_t *)(s->raw + s->pos * REC_UNIT);
}

/* The REC_DATA string after a header record: len bytes (what is there). */
static void stream_string(stream_t *s, uint64_t len)
{
	const rec_raw_t *d;

	s->str_len = 0;
	while (s->str_len < len && (d = stream_data(s))) {
		uint64_t k = len - s->str_len;
		if (k > REC_DATA_BYTES)
			k = REC_DATA_BYTES;
		memcpy(s->str + s->str_len, (const char *)d + REC_DATA_OFFSET, (size_t)k);
		s->str_len += (uint32_t)k;
		s->pos += 2;
	}
}

/* The nr REC_DATA argument slots after a record into s->d (zeros if cut). */
static void stream_args(stream_t *s, unsigned nr)
{
	const rec_raw_t *r;

	memset(s->d, 0, sizeof(s->d));
	for (unsigned i = 0; i < nr && (r = stream_data(s)); i++) {
		s->d[3 * i] = r->ts;
		s->d[3 * i + 1] = r->a0;
		s->d[3 * i + 2] = r->a1;
		s->pos += 2;
	}
}

/* Skip a record's REC_DATA string of len bytes. */
static void stream_skip_string(stream_t *s, uint64_t len)
{
	for (uint64_t n = 0; n < len && stream_data(s); n += REC_DATA_BYTES)
		s->pos += 2;
}

/* The short record q as the full record it stands for, its time base_ts + dts. */
static inline void short_widen(const rec_short_t *q, uint64_t base_ts, rec_raw_t *r)
{
	r->type = q->type == REC_ALLOC16 ? REC_ALLOC : REC_FREE;
	r->func = q->func;
	r->cpu = q->cpu;
	r->x = 0;
	r->ts = base_ts + q->dts;
	r->a0 = q->ptr_size & ((1ull << REC_SHORT_PTR_BITS) - 1);
	r->a1 = q->type == REC_ALLOC16 ? q->ptr_size >> REC_SHORT_PTR_BITS : 0;
}

/*
 * Read the record at s->pos into *r (a short one widened to a full record
 * with its absolute time) and step over it.  Returns false at the end; a
 * full record cut short by the end of a complete file is counted as
 * truncated, by the end of a growing one waits (hit_end).
 */
static inline bool stream_read(fin_t *f, stream_t *s, rec_raw_t *r)
{
	if (s->pos >= s->nr)
		return false;
	const unsigned char *u = s->raw + s->pos * REC_UNIT;
	if (rec_type_is_short(*u)) {
		short_widen((const rec_short_t *)u, s->raw_ts, r);
		s->pos++;
	} else if (s->pos + 2 > s->nr) {
		s->hit_end = true;
		if (!f->final)
			return false;
		f->st.truncated_bytes += REC_UNIT;      /* half a full record */
		s->pos = s->nr;
		return false;
	} else {
		memcpy(r, u, sizeof(*r));
		s->pos += 2;
	}
	if (r->type != REC_DATA)
		s->raw_ts = r->ts;
	return true;
}

/*
 * Make the next item current.  Returns 0 (s->has says whether there is
 * one) or -1.  Before the streams are final, an item not all there yet
 * (its record, arguments or string cut by the end of the file as it is)
 * is left unread for the next call, and s->last_ts becomes its time.
 */
static int stream_advance(fin_t *f, stream_t *s)
{
	rec_raw_t r;

	s->has = false;
	for (;;) {
		size_t off = s->pos * REC_UNIT, idx = s->nr_read;
		uint64_t raw_ts = s->raw_ts;
		s->hit_end = false;
		if (!stream_read(f, s, &r))
			return 0;
		s->nr_read++;
		if (r.type == REC_DATA) {
			f->st.nr_records++;
			f->st.stray_data++;     /* its record was cut off by a signal */
			continue;
		}
		if (r.ts < s->last_ts)
			r.ts = s->last_ts;
		s->last_ts = r.ts;
		s->start = false;
		if (r.type == 0 || r.type >= REC_NR_TYPES) {
			char why[96];
			snprintf(why, sizeof(why), "unknown record type %u in a recorder stream",
				 r.type);
			return fin_error(f, s->path, idx, off, why);
		}
		uint64_t slen = r.type == REC_START ? r.a1 : r.a0;
		if ((r.type == REC_EXEC || r.type == REC_START) && slen > TRACE_MAX_STRING) {
			return fin_error(f, s->path, idx, off,
					 "path longer than 4096 bytes in a recorder stream");
		}
		size_t nr_read = 1;
		bool failed_exec = false;
		if (r.type == REC_REALLOC || r.type == REC_MREMAP)
			stream_args(s, 1);
		else if (r.type == REC_MMAP)
			stream_args(s, 2);
		if (r.type == REC_EXEC) {
			stream_string(s, r.a0);
			rec_raw_t st;
			if (s->pos >= s->nr)
				s->hit_end = true;      /* a START may follow */
			else if (stream_type(s) != REC_START)
				failed_exec = true;     /* the old image went on */
			else if (stream_read(f, s, &st)) {     /* the new image's start confirms it */
				nr_read++;
				stream_skip_string(s, st.a1);
			}
		} else if (r.type == REC_START) {
			stream_string(s, r.a1);
			s->start = true;
		}
		if (s->hit_end && !f->final) {
			s->pos = off / REC_UNIT;        /* not all there: read it again later */
			s->nr_read = idx;
			s->raw_ts = raw_ts;
			return 0;
		}
		s->nr_read += nr_read - 1;
		f->st.nr_records += nr_read;
		if (r.type == REC_END) {
			s->ended = true;
			continue;
		}
		if (r.type == REC_WAIT) {
			s->waiting = r.x == REC_WAIT_BEGIN;
			continue;
		}
		s->waiting = false;
		if (failed_exec)
			continue;
		if (r.type == REC_EXIT && (r.x & TRACE_EXIT_THREAD))
			s->ended = true;
		s->cur = r;
		s->cur_idx = idx;
		s->cur_off = off;
		s->has = true;
		return 0;
	}
}

/*
 * stream_advance() for the common case, a short record next: true when it
 * made it the current item (the same item stream_advance() would make),
 * false when stream_advance() must.
 */
static inline bool stream_advance_short(fin_t *f, stream_t *s)
{
	if (s->pos >= s->nr)
		return false;
	const rec_short_t *q = (const rec_short_t *)(s->raw + s->pos * REC_UNIT);
	if (!rec_type_is_short(q->type))
		return false;
	short_widen(q, s->raw_ts, &s->cur);
	s->raw_ts = s->cur.ts;
	if (s->cur.ts < s->last_ts)
		s->cur.ts = s->last_ts;
	s->last_ts = s->cur.ts;
	s->cur_idx = s->nr_read++;
	s->cur_off = s->pos * REC_UNIT;
	s->pos++;
	s->start = false;
	f->st.nr_records++;
	return true;
}

/*
 * Whether s, with no item now, may still have items older than the ones
 * other streams hold: not when it ended, nor while its thread waits
 * (REC_WAIT: it flushed before it blocked and flushes again as it returns).
 * Lowers *bound to its last time if so.
 */
static inline void stream_bound(const stream_t *s, uint64_t *bound)
{
	if (!s->ended && !s->waiting && s->last_ts < *bound)
		*bound = s->last_ts;
}

static inline bool heap_less(const stream_t *a, const stream_t *b)
{
	return a->cur.ts < b->cur.ts || (a->cur.ts == b->cur.ts && a->key < b->key);
}

static void heap_down(fin_t *f, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < f->heap_len && heap_less(f->heap[l], f->heap[m]))
			m = l;
		if (l + 1 < f->heap_len && heap_less(f->heap[l + 1], f->heap[m]))
			m = l + 1;
		if (m == i)
			return;
		stream_t *t = f->heap[i];
		f->heap[i] = f->heap[m];
		f->heap[m] = t;
		i = m;
	}
}

/* Add s (which has an item) to the heap; there is room for every stream. */
static void heap_push(fin_t *f, stream_t *s)
{
	size_t i = f->heap_len++;

	for (; i && heap_less(s, f->heap[(i - 1) / 2]); i = (i - 1) / 2)
		f->heap[i] = f->heap[(i - 1) / 2];
	f->heap[i] = s;
}

/* ---------------------------------------------------------------- ids */

static proc_t *proc_get(fin_t *f, uint32_t pid)
{
	proc_t *p;

	if (f->last_proc && f->last_proc->pid == pid)
		return f->last_proc;
	HASH_FIND(hh, f->procs, &pid, sizeof(pid), p);
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p)
			return NULL;
		p->pid = pid;
		p->first_ts = UINT64_MAX;
		p->live.windows = true;
		HASH_ADD(hh, f->procs, pid, sizeof(pid), p);
		f->st.nr_processes++;
	}
	f->last_proc = p;
	return p;
}

static int id_new(fin_t *f, uint32_t *id)
{
	if (f->nr_free_ids) {
		*id = f->free_ids[--f->nr_free_ids];
		return 0;
	}
	if (f->next_id == TRACE_NO_ID)
		return -1;
	*id = f->next_id++;
	return 0;
}

static int id_release(fin_t *f, uint32_t id)
{
	if (f->nr_free_ids == f->cap_free_ids) {
		size_t cap = f->cap_free_ids ? 2 * f->cap_free_ids : 1024;
		uint32_t *n = realloc(f->free_ids, cap * sizeof(*n));
		if (!n)
			return -1;
		f->free_ids = n;
		f->cap_free_ids = cap;
	}
	f->free_ids[f->nr_free_ids++] = id;
	return 0;
}

/*
 * The home slot of ptr: a window of 2^PTR_WINDOW_SHIFT slots chosen by Fibonacci
 * hashing of ptr's page, and in it the slot of ptr's 16-byte offset in the
 * page.  Objects of one page, which a program allocates and frees close
 * together in time, so share a few cache lines of the table instead of
 * costing a cache miss each; pages are spread as evenly as by hashing the
 * whole pointer.
 */
#define PTR_WINDOW_SHIFT 8
static inline size_t ptr_home(const ptr_map_t *m, uint64_t ptr)
{
	unsigned bits = (unsigned)__builtin_ctzll(m->cap);

	if (!m->windows)        /* other keys: Fibonacci hashing of the whole key */
		return (size_t)((ptr * 0x9e3779b97f4a7c15ull) >> (64 - bits));
	size_t page = (size_t)(((ptr >> FIN_PAGE_SHIFT) * 0x9e3779b97f4a7c15ull) >> (64 - bits));
	return (page & ~(size_t)((1u << PTR_WINDOW_SHIFT) - 1)) |
	       (size_t)((ptr >> 4) & ((1u << PTR_WINDOW_SHIFT) - 1));
}

/* The slot holding ptr, or NULL. */
static ptr_slot_t *ptr_find(ptr_map_t *m, uint64_t ptr)
{
	if (!m->nr || !ptr)
		return NULL;
	for (size_t i = ptr_home(m, ptr);; i = (i + 1) & (m->cap - 1)) {
		if (m->slots[i].ptr == ptr)
			return &m->slots[i];
		if (!m->slots[i].ptr)
			return NULL;
	}
}

/*
 * Zeroed slots; tables of 2 MiB and more are mapped on transparent huge
 * pages where the kernel allows it (a lookup is a cache miss; this saves it
 * the TLB miss too).
 */
static ptr_slot_t *ptr_slots_new(size_t cap)
{
	size_t bytes = cap * sizeof(ptr_slot_t);

	if (bytes < (2u << 20))
		return calloc(cap, sizeof(ptr_slot_t));
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	madvise(p, bytes, MADV_HUGEPAGE);
	return p;
}

static void ptr_slots_free(ptr_slot_t *slots, size_t cap)
{
	if (cap * sizeof(ptr_slot_t) < (2u << 20))
		free(slots);
	else if (slots)
		munmap(slots, cap * sizeof(ptr_slot_t));
}

/* Insert ptr (not present) with id.  Returns 0, or -1 when out of memory. */
static int ptr_insert(ptr_map_t *m, uint64_t ptr, uint32_t id)
{
	if ((m->nr + 1) * 4 > m->cap * 3) {
		ptr_map_t n = { NULL, m->cap ? 2 * m->cap : 1024, 0, m->windows };
		n.slots = ptr_slots_new(n.cap);
		if (!n.slots)
			return -1;
		for (size_t i = 0; i < m->cap; i++)
			if (m->slots[i].ptr)
				ptr_insert(&n, m->slots[i].ptr, m->slots[i].id);
		ptr_slots_free(m->slots, m->cap);
		*m = n;
	}
	size_t i = ptr_home(m, ptr);
	while (m->slots[i].ptr)
		i = (i + 1) & (m->cap - 1);
	m->slots[i].ptr = ptr;
	m->slots[i].id = id;
	m->nr++;
	return 0;
}

/* Remove the slot s (from ptr_find). */
static void ptr_remove(ptr_map_t *m, ptr_slot_t *s)
{
	size_t mask = m->cap - 1, i = (size_t)(s - m->slots), j = i;

	for (;;) {
		j = (j + 1) & mask;
		if (!m->slots[j].ptr)
			break;
		size_t k = ptr_home(m, m->slots[j].ptr);
		/* move j back to i unless its home lies cyclically in (i, j] */
		bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
		if (!stays) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].ptr = 0;
	m->nr--;
}

/*
 * Start loading the pointer-map slot of the short record FIN_PREFETCH_UNITS
 * units ahead in s: the live map is far larger than the caches, and its
 * lookups (one or two per malloc and free) are otherwise one cache miss
 * each.  Only a hint: the result never depends on it.  (GCC 12 -O2 drops
 * __builtin_prefetch here, hence the instruction on x86-64.)
 */
static inline void stream_prefetch(const stream_t *s)
{
	const ptr_map_t *m = s->proc ? &s->proc->live : NULL;
	size_t i = s->pos + FIN_PREFETCH_UNITS;

	if (!m || !m->cap || i >= s->nr)
		return;
	const rec_short_t *q = (const rec_short_t *)(s->raw + i * REC_UNIT);
	if (!rec_type_is_short(q->type))
		return;
	const ptr_slot_t *slot = &m->slots[ptr_home(m, q->ptr_size &
						    ((1ull << REC_SHORT_PTR_BITS) - 1))];
#if defined(__x86_64__)
	__asm__ volatile("prefetcht0 %0" : : "m"(*slot));
#else
	__builtin_prefetch(slot);
#endif
}

/* An exec replaced the address space: its objects are gone, ids not reused. */
static void proc_drop_live(ptr_map_t *m)
{
	ptr_slots_free(m->slots, m->cap);
	m->slots = NULL;
	m->cap = m->nr = 0;
}

/*
 * ptr becomes live with a fresh id (*id).  A pointer already live means a
 * free the recorder did not see: its old id is dropped, counted.  Returns 0
 * or -1 (out of memory).
 */
static int ptr_alloc(fin_t *f, ptr_map_t *m, uint64_t ptr, uint32_t *id)
{
	ptr_slot_t *s = ptr_find(m, ptr);

	if (s) {
		f->st.live_pointer_allocs++;
		ptr_remove(m, s);
	}
	if (id_new(f, id))
		return -1;
	return ptr_insert(m, ptr, *id);
}

static uint32_t file_id(fin_t *f, uint64_t dev, uint64_t ino)
{
	file_entry_t *e;
	uint64_t key[2] = { dev, ino };

	if (!dev && !ino)
		return TRACE_NO_ID;
	HASH_FIND(hh, f->files, key, sizeof(key), e);
	if (e)
		return e->id;
	e = calloc(1, sizeof(*e));
	if (!e)
		return TRACE_NO_ID;
	memcpy(e->key, key, sizeof(key));
	e->id = f->nr_files++;
	HASH_ADD(hh, f->files, key, sizeof(key), e);
	return e->id;
}

/* ---------------------------------------------------------------- conversion */

static uint64_t pow2_align(uint64_t a)
{
	if (a <= 1)
		return 0;
	if (!(a & (a - 1)))
		return a;
	return a > (1ull << 62) ? 0 : 1ull << (64 - __builtin_clzll(a));
}

static int fin_write(fin_t *f, trace_event_t *ev)
{
	if (trace_write(f->w, ev)) {
		*f->err = *trace_writer_error(f->w);
		return -1;
	}
	f->st.nr_events++;
	return 0;
}

static int oom(fin_t *f)
{
	return fin_error(f, f->o->out, TRACE_NO_EVENT, 0, "out of memory");
}

/* Whether func is one the recorder writes for a record of this type. */
static bool func_valid(uint8_t type, uint8_t func)
{
	switch (type) {
	case REC_ALLOC:
		return func <= TRACE_FN_PVALLOC;
	case REC_FREE:
		return func == TRACE_FN_FREE || func == TRACE_FN_REALLOC;
	case REC_REALLOC:
		return func == TRACE_FN_REALLOC || func == TRACE_FN_REALLOCARRAY;
	default:
		return true;
	}
}

/*
 * The touch model (TRACE_ACCESS_TOUCH): an allocation is assumed written in
 * full, so after it every page of [ptr, ptr + size) that this address space
 * has not written since it was mapped gets one derived write access, as
 * the first store to it would fault it in.  Replay applies these with
 * --touch=alloc; the trace keeps the observed calls apart from them.
 */
static int fin_touch(fin_t *f, proc_t *p, const trace_event_t *like, uint64_t ptr, uint64_t size)
{
	trace_event_t ev;
	uint64_t first = ptr >> FIN_PAGE_SHIFT, last;

	if (!size || !f->o->touch)
		return 0;
	last = (ptr + size - 1) >> FIN_PAGE_SHIFT;
	if (first == last && first + 1 == p->last_touched)
		return 0;
	ev = *like;
	memset(&ev.access, 0, sizeof(ev.access));
	ev.type = TRACE_ACCESS;
	ev.access.flags = TRACE_FAULT_WRITE | TRACE_FAULT_USER | TRACE_ACCESS_TOUCH;
	for (uint64_t vpn = first; vpn <= last; vpn++) {
		p->last_touched = vpn + 1;
		if (ptr_find(&p->touched, vpn + 1))
			continue;
		if (ptr_insert(&p->touched, vpn + 1, 0))
			return oom(f);
		ev.access.addr = vpn << FIN_PAGE_SHIFT;
		if (fin_write(f, &ev))
			return -1;
		f->st.touch_events++;
	}
	return 0;
}

/* The pages of [addr, addr + len) were unmapped or discarded: the next write faults again. */
static void fin_untouch(proc_t *p, uint64_t addr, uint64_t len)
{
	uint64_t first = addr >> FIN_PAGE_SHIFT, last = (addr + len - 1) >> FIN_PAGE_SHIFT;

	if (!len || !p->touched.nr)
		return;
	p->last_touched = 0;
	if (last - first < p->touched.cap) {
		for (uint64_t vpn = first; vpn <= last; vpn++) {
			ptr_slot_t *s = ptr_find(&p->touched, vpn + 1);
			if (s)
				ptr_remove(&p->touched, s);
		}
		return;
	}
	for (size_t i = 0; i < p->touched.cap;) {       /* a range larger than the set: scan it */
		uint64_t k = p->touched.slots[i].ptr;
		if (k && k - 1 >= first && k - 1 <= last)
			ptr_remove(&p->touched, &p->touched.slots[i]);  /* slot i refilled: look again */
		else
			i++;
	}
}

/* Convert and write the current item of stream s. */
static int fin_emit(fin_t *f, stream_t *s)
{
	const rec_raw_t *r = &s->cur;
	trace_event_t ev;
	proc_t *p = s->proc ? s->proc : (s->proc = proc_get(f, s->pid));
	ptr_slot_t *e;

	if (!p)
		return oom(f);
	if (!func_valid(r->type, r->func)) {
		char why[96];
		snprintf(why, sizeof(why), "allocator function %u not valid for record type %u",
			 r->func, r->type);
		return fin_error(f, s->path, s->cur_idx, s->cur_off, why);
	}
	if (p->first_ts == UINT64_MAX)
		p->first_ts = r->ts;
	memset(&ev, 0, sizeof(ev));
	ev.ts = r->ts > f->st.origin_ns ? r->ts - f->st.origin_ns : 0;
	ev.pid = s->pid;
	ev.tid = s->tid;
	ev.cpu = r->cpu;
	switch (r->type) {
	case REC_ALLOC:
		ev.type = TRACE_ALLOC;
		if (ptr_alloc(f, &p->live, r->a0, &ev.alloc.id))
			return oom(f);
		ev.alloc.size = r->a1;
		ev.alloc.align = pow2_align(r->x);
		ev.alloc.cache = TRACE_NO_ID;
		ev.alloc.func = r->func;
		break;
	case REC_FREE:
		if (!(e = ptr_find(&p->live, r->a0))) {
			f->st.unknown_frees++;
			return 0;
		}
		ev.type = TRACE_FREE;
		ev.free.id = e->id;
		ev.free.cache = TRACE_NO_ID;
		ev.free.func = r->func;
		ptr_remove(&p->live, e);
		if (id_release(f, ev.free.id))
			return oom(f);
		break;
	case REC_REALLOC:
		if (!(e = ptr_find(&p->live, r->a0))) {
			f->st.unknown_frees++;  /* resized memory never seen allocated */
			ev.type = TRACE_ALLOC;
			if (ptr_alloc(f, &p->live, r->a1, &ev.alloc.id))
				return oom(f);
			ev.alloc.size = s->d[0];
			ev.alloc.cache = TRACE_NO_ID;
			ev.alloc.func = r->func;
			break;
		}
		ev.type = TRACE_REALLOC;
		ev.realloc.old_id = ev.realloc.new_id = e->id;
		ev.realloc.size = s->d[0];
		ev.realloc.func = r->func;
		if (r->a1 == r->a0)
			break;
		/* moved: a new id (never the old one), then the old id is freed */
		ptr_remove(&p->live, e);
		if (ptr_alloc(f, &p->live, r->a1, &ev.realloc.new_id) ||
		    id_release(f, ev.realloc.old_id))
			return oom(f);
		break;
	case REC_MMAP:
		ev.type = TRACE_MMAP;
		ev.mmap.addr = r->a0;
		ev.mmap.len = r->a1;
		ev.mmap.pgoff = s->d[0] >> FIN_PAGE_SHIFT;
		ev.mmap.err = r->func;
		ev.mmap.result = r->func ? 0 : s->d[1];
		ev.mmap.flags = (uint32_t)s->d[2];
		ev.mmap.file = file_id(f, s->d[3], s->d[4]);
		ev.mmap.prot = r->x;
		break;
	case REC_MUNMAP:
		ev.type = TRACE_MUNMAP;
		ev.munmap.addr = r->a0;
		ev.munmap.len = r->a1;
		ev.munmap.err = r->func;
		break;
	case REC_MREMAP:
		ev.type = TRACE_MREMAP;
		ev.mremap.addr = r->a0;
		ev.mremap.old_len = r->a1;
		ev.mremap.new_len = s->d[0];
		ev.mremap.new_addr = s->d[1];
		ev.mremap.err = r->func;
		ev.mremap.result = r->func ? 0 : s->d[2];
		ev.mremap.flags = r->x;
		break;
	case REC_MPROTECT:
		ev.type = TRACE_MPROTECT;
		ev.mprotect.addr = r->a0;
		ev.mprotect.len = r->a1;
		ev.mprotect.prot = r->x;
		ev.mprotect.err = r->func;
		break;
	case REC_MADVISE:
		ev.type = TRACE_MADVISE;
		ev.madvise.addr = r->a0;
		ev.madvise.len = r->a1;
		ev.madvise.advice = r->x;
		ev.madvise.err = r->func;
		break;
	case REC_BRK:
		ev.type = TRACE_BRK;
		ev.brk.request = r->a0;
		ev.brk.result = r->a1;
		break;
	case REC_FORK:
		ev.type = TRACE_FORK;
		ev.fork.child = (uint32_t)r->a0;
		ev.fork.flags = r->x & TRACE_FORK_ALL;
		if (!(ev.fork.flags & TRACE_FORK_THREAD)) {
			proc_t *c = proc_get(f, ev.fork.child);
			if (!c)
				return oom(f);
			c->announced = true;
			f->last_proc = NULL;
		}
		break;
	case REC_THREAD_START:
		ev.type = TRACE_FORK;
		ev.tid = (uint32_t)r->a0;
		ev.fork.child = s->tid;
		ev.fork.flags = TRACE_FORK_THREAD;
		break;
	case REC_EXEC:
	case REC_START:
		proc_drop_live(&p->live);
		proc_drop_live(&p->touched);
		p->last_touched = 0;
		if (s->start && !p->announced && s->pid != f->st.root_pid) {
			uint32_t ppid = (uint32_t)r->a0;
			proc_t *pp;
			HASH_FIND(hh, f->procs, &ppid, sizeof(ppid), pp);
			p->announced = true;
			if (pp) {
				trace_event_t fk = ev;
				fk.type = TRACE_FORK;
				fk.pid = fk.tid = ppid;
				fk.fork.child = s->pid;
				fk.fork.flags = 0;
				if (fin_write(f, &fk))
					return -1;
			}
		}
		p->announced = true;
		ev.type = TRACE_EXEC;
		ev.exec.path = s->str;
		ev.exec.path_len = s->str_len;
		break;
	case REC_EXIT:
		ev.type = TRACE_EXIT;
		ev.exit.code = (int32_t)(int64_t)r->a0;
		ev.exit.flags = r->x & TRACE_EXIT_ALL;
		break;
	default:
		return 0;
	}
	if (fin_write(f, &ev))
		return -1;
	switch (ev.type) {
	case TRACE_ALLOC:
		return fin_touch(f, p, &ev, r->type == REC_REALLOC ? r->a1 : r->a0, ev.alloc.size);
	case TRACE_REALLOC:
		return fin_touch(f, p, &ev, r->a1, ev.realloc.size);
	case TRACE_MUNMAP:
		if (!ev.munmap.err)
			fin_untouch(p, ev.munmap.addr, ev.munmap.len);
		return 0;
	case TRACE_MADVISE:     /* MADV_DONTNEED, MADV_FREE: the pages go */
		if (!ev.madvise.err && (ev.madvise.advice == 4 || ev.madvise.advice == 8))
			fin_untouch(p, ev.madvise.addr, ev.madvise.len);
		return 0;
	default:
		return 0;
	}
}

/* ---------------------------------------------------------------- metadata */

static const char *base_name(const char *s, size_t len, size_t *out_len)
{
	const char *b = s;

	for (size_t i = 0; i < len; i++)
		if (s[i] == '/')
			b = s + i + 1;
	*out_len = len - (size_t)(b - s);
	return b;
}

size_t record_maps_compact(const char *maps, size_t len, char *out, size_t outlen)
{
	size_t o = 0, nr = 0, total = 0;
	const char *p = maps, *end = maps + len;
	size_t cap = outlen ? (outlen - 1 < TRACE_MAX_STRING ? outlen - 1 : TRACE_MAX_STRING) : 0;
	bool full = false;

	for (const char *q = maps; q < end; q++)
		total += *q == '\n';
	if (len && maps[len - 1] != '\n')
		total++;
	while (p < end && !full) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		/* fields: range perms offset dev inode [path] */
		const char *fld[6] = { 0 };
		size_t fl[6] = { 0 }, nf = 0;
		const char *c = p;
		while (c < le && nf < 6) {
			while (c < le && (*c == ' ' || *c == '\t'))
				c++;
			if (c >= le)
				break;
			fld[nf] = c;
			if (nf == 5) {
				fl[nf++] = (size_t)(le - c);
				break;
			}
			while (c < le && *c != ' ' && *c != '\t')
				c++;
			fl[nf] = (size_t)(c - fld[nf]);
			nf++;
		}
		p = nl ? nl + 1 : end;
		if (nf < 2)
			continue;
		const char *name = "-";
		size_t name_len = 1;
		if (nf == 6 && fl[5] && fld[5][0] == '[')
			name = fld[5], name_len = fl[5];
		else if (nf == 6 && fl[5])
			name = base_name(fld[5], fl[5], &name_len);
		char line[TRACE_MAX_STRING + 64];
		int n = snprintf(line, sizeof(line), "%s%.*s %.*s %.*s", nr ? "; " : "",
				 (int)fl[0], fld[0], (int)fl[1], fld[1], (int)name_len, name);
		size_t need = (size_t)n;
		char tail[48];
		size_t left = total - nr - 1;
		int tn = left ? snprintf(tail, sizeof(tail), "; ...+%zu", left) : 0;
		if (o + need + (size_t)tn > cap) {
			left = total - nr;
			tn = snprintf(tail, sizeof(tail), "; ...+%zu", left);
			if (o + (size_t)tn <= cap) {
				memcpy(out + o, tail, (size_t)tn);
				o += (size_t)tn;
			}
			full = true;
			break;
		}
		memcpy(out + o, line, need);
		o += need;
		nr++;
	}
	if (outlen)
		out[o] = 0;
	return nr;
}

/* Read a whole small file into a new NUL-terminated buffer (NULL if absent). */
static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!fp)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? 2 * cap : 16384;
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(fp);
				return NULL;
			}
			buf = nb;
		}
		size_t k = fread(buf + n, 1, 4096, fp);
		n += k;
		if (k < 4096)
			break;
	}
	fclose(fp);
	buf[n] = 0;
	*len = n;
	return buf;
}

/* The value of "key N" in an outcome file, or -1. */
static int64_t outcome_value(const char *text, const char *key)
{
	size_t kl = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (!strncmp(l, key, kl) && l[kl] == ' ') {
			char *end;
			errno = 0;
			long long v = strtoll(l + kl + 1, &end, 10);
			if (!errno && end != l + kl + 1 && v >= 0)
				return v;
		}
	}
	return -1;
}

static int add_meta(fin_t *f, size_t *budget, const char *key, const char *value)
{
	if (!*budget)
		return 0;
	(*budget)--;
	if (trace_writer_add_meta(f->w, key, value)) {
		*f->err = *trace_writer_error(f->w);
		return -1;
	}
	return 0;
}

static int add_meta_u64(fin_t *f, size_t *budget, const char *key, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return add_meta(f, budget, key, buf);
}

static int proc_cmp(const void *a, const void *b)
{
	const proc_t *x = *(proc_t *const *)a, *y = *(proc_t *const *)b;

	if (x->first_ts != y->first_ts)
		return x->first_ts < y->first_ts ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/*
 * PREFIX.minflt, PREFIX.majflt, PREFIX.maxrss_kb, PREFIX.vmhwm_kb: those of
 * the outcome file text (p.<pid>.exit) holds.  Returns 0 or -1.
 */
static int add_outcome_meta(fin_t *f, size_t *budget, const char *text, const char *prefix)
{
	static const char *const nums[] = { "minflt", "majflt", "maxrss_kb", "vmhwm_kb" };
	char key[64];

	for (size_t j = 0; j < 4; j++) {
		int64_t x = outcome_value(text, nums[j]);
		snprintf(key, sizeof(key), "%s.%s", prefix, nums[j]);
		if (x >= 0 && add_meta_u64(f, budget, key, (uint64_t)x))
			return -1;
	}
	return 0;
}

/* The trailer: counters, the root's real.* figures, each process's outcome. */
static int fin_trailer(fin_t *f)
{
	const char *dir = f->o->dir;
	size_t nr = HASH_COUNT(f->procs), k = 0, budget = TRACE_MAX_META;
	proc_t **v = calloc(nr ? nr : 1, sizeof(*v)), *p, *tmp;
	char **exits = calloc(nr ? nr : 1, sizeof(*exits));     /* p.<pid>.exit texts, or NULL */
	char path[4200], key[64], *maps = malloc(TRACE_MAX_STRING + 1);
	int rc = -1;

	if (!v || !exits || !maps) {
		free(v);
		free(exits);
		free(maps);
		return oom(f);
	}
	HASH_ITER(hh, f->procs, p, tmp)
		v[k++] = p;
	qsort(v, nr, sizeof(*v), proc_cmp);
	/* lost records first: every outcome file is read for it */
	for (size_t i = 0; i < nr; i++) {
		size_t len;
		snprintf(path, sizeof(path), "%s/p.%u.exit", dir, v[i]->pid);
		exits[i] = slurp(path, &len);
		int64_t lost = exits[i] ? outcome_value(exits[i], "lost") : -1;
		if (lost > 0)
			f->st.lost_records += (uint64_t)lost;
	}
	if (add_meta_u64(f, &budget, "unknown_frees", f->st.unknown_frees) ||
	    add_meta_u64(f, &budget, "live_pointer_allocs", f->st.live_pointer_allocs) ||
	    add_meta_u64(f, &budget, "raw_truncated_bytes", f->st.truncated_bytes) ||
	    add_meta_u64(f, &budget, "raw_stray_slots", f->st.stray_data) ||
	    add_meta_u64(f, &budget, "lost_records", f->st.lost_records) ||
	    add_meta_u64(f, &budget, "touch_events", f->st.touch_events) ||
	    add_meta_u64(f, &budget, "nr_processes", nr))
		goto out;
	size_t omitted = 0;
	budget -= 6;    /* keep room for the real.* four and proc_meta_omitted */
	for (size_t i = 0; i < nr; i++) {
		size_t len;
		uint32_t pid = v[i]->pid;
		const char *text = exits[i];
		if (pid == f->st.root_pid && text) {
			budget += 4;
			if (add_outcome_meta(f, &budget, text, "real"))
				goto out;
		}
		/* the maps only while room is left for the rest's numbers */
		bool with_maps = budget >= 6 + 4 * (nr - i - 1);
		if (budget < 4 || (!text && !with_maps)) {
			omitted++;
			continue;
		}
		snprintf(key, sizeof(key), "proc.%u", pid);
		if (text && add_outcome_meta(f, &budget, text, key))
			goto out;
		static const char *const which[] = { "maps_start", "maps_end" };
		for (size_t j = 0; with_maps && j < 2; j++) {
			snprintf(path, sizeof(path), "%s/p.%u.%s", dir, pid, which[j]);
			char *m = slurp(path, &len);
			if (!m)
				continue;
			record_maps_compact(m, len, maps, TRACE_MAX_STRING + 1);
			free(m);
			snprintf(key, sizeof(key), "proc.%u.%s", pid, which[j]);
			if (add_meta(f, &budget, key, maps))
				goto out;
		}
	}
	budget += 2;
	if (omitted && add_meta_u64(f, &budget, "proc_meta_omitted", omitted))
		goto out;
	rc = 0;
out:
	for (size_t i = 0; i < nr; i++)
		free(exits[i]);
	free(exits);
	free(v);
	free(maps);
	return rc;
}

/* ---------------------------------------------------------------- driver */

/* Add every t.<pid>.<tid>.raw of the directory not known yet.  Returns 0 or -1. */
static int fin_scan(fin_t *f)
{
	DIR *d = opendir(f->o->dir);
	struct dirent *de;

	if (!d)
		return fin_error(f, f->o->dir, TRACE_NO_EVENT, 0, strerror(errno));
	while ((de = readdir(d))) {
		unsigned pid, tid;
		int end = 0;
		if (sscanf(de->d_name, "t.%u.%u.raw%n", &pid, &tid, &end) != 2 ||
		    de->d_name[end] != 0 || end == 0)
			continue;
		uint64_t key = (uint64_t)pid << 32 | tid;
		stream_t *s;
		HASH_FIND(hh, f->by_key, &key, sizeof(key), s);
		if (s)
			continue;
		if (f->nr_streams == f->cap_streams) {
			size_t cap = f->cap_streams ? 2 * f->cap_streams : 16;
			stream_t **n = realloc(f->streams, cap * sizeof(*n));
			stream_t **h = realloc(f->heap, cap * sizeof(*h));
			if (n)
				f->streams = n;
			if (h)
				f->heap = h;
			if (!n || !h) {
				closedir(d);
				return oom(f);
			}
			f->cap_streams = cap;
		}
		if (!(s = calloc(1, sizeof(*s)))) {
			closedir(d);
			return oom(f);
		}
		snprintf(s->path, sizeof(s->path), "%s/%s", f->o->dir, de->d_name);
		s->pid = pid;
		s->tid = tid;
		s->key = key;
		f->streams[f->nr_streams++] = s;
		HASH_ADD(hh, f->by_key, key, sizeof(key), s);
	}
	closedir(d);
	f->st.nr_streams = f->nr_streams;
	return 0;
}

/* Open the writer with the header metadata, once the origin is known. */
static int fin_open(fin_t *f)
{
	const record_finalize_opts_t *o = f->o;
	trace_meta_t meta[TRACE_MAX_META];
	size_t nr_meta = 0;
	char origin[32];
	bool has_origin = false, has_version = false;

	for (size_t i = 0; i < o->nr_meta && nr_meta < TRACE_MAX_META - 2; i++) {
		meta[nr_meta++] = o->meta[i];
		has_origin |= !strcmp(o->meta[i].key, "clock_monotonic_origin_ns");
		has_version |= !strcmp(o->meta[i].key, "recorder_version");
	}
	snprintf(origin, sizeof(origin), "%" PRIu64, f->st.origin_ns);
	if (!has_origin)
		meta[nr_meta++] = (trace_meta_t){ "clock_monotonic_origin_ns", origin };
	if (!has_version)
		meta[nr_meta++] = (trace_meta_t){ "recorder_version", REC_VERSION };
	f->w = trace_writer_open(o->out, meta, nr_meta, NULL, f->err);
	return f->w ? 0 : -1;
}

/*
 * s has a new item: to the heap.  When it is older than what was written
 * (a stream that showed up late), the merge can no longer be the one a
 * complete directory gives: the finalizer starts over at the end.
 */
static void fin_ready(fin_t *f, stream_t *s)
{
	if (s->cur.ts < f->last_ts || (s->cur.ts == f->last_ts && s->key < f->last_key))
		f->restart = true;
	heap_push(f, s);
}

/*
 * Write items in (ts, key) order while the oldest is older than bound (all
 * of them when final); a stream that runs dry lowers the bound
 * (stream_bound()).  Returns 0 or -1.
 */
static int fin_merge(fin_t *f, uint64_t bound)
{
	while (f->heap_len) {
		stream_t *s = f->heap[0];
		if (!f->final && s->cur.ts >= bound)
			break;
		stream_prefetch(s);
		if (fin_emit(f, s))
			return -1;
		f->last_ts = s->cur.ts;
		f->last_key = s->key;
		if (!stream_advance_short(f, s) && stream_advance(f, s))
			return -1;
		if (!s->has && !f->final && !s->ended &&
		    (stream_map(f, s) || stream_advance(f, s)))
			return -1;      /* dry: what was flushed since it was mapped */
		if (!s->has) {
			f->heap[0] = f->heap[--f->heap_len];
			stream_bound(s, &bound);
		}
		if (f->heap_len > 1)
			heap_down(f, 0);
	}
	return 0;
}

static void fin_free(fin_t *f)
{
	proc_t *p, *pt;
	file_entry_t *e, *et;

	HASH_CLEAR(hh, f->by_key);
	for (size_t i = 0; i < f->nr_streams; i++) {
		if (f->streams[i]->map)
			munmap(f->streams[i]->map, f->streams[i]->map_len);
		free(f->streams[i]);
	}
	free(f->streams);
	free(f->heap);
	HASH_ITER(hh, f->procs, p, pt) {
		proc_drop_live(&p->live);
		proc_drop_live(&p->touched);
		HASH_DEL(f->procs, p);
		free(p);
	}
	HASH_ITER(hh, f->files, e, et) {
		HASH_DEL(f->files, e);
		free(e);
	}
	free(f->free_ids);
}

/* A finalizer of nothing read yet (f zeroed). */
static void fin_init(fin_t *f, const record_finalize_opts_t *o, trace_error_t *err)
{
	f->o = o;
	f->err = err;
	f->st.origin_ns = o->origin_ns;
	f->st.root_pid = o->root_pid;
}

/* Forget everything read and written, the output removed: as fin_init() leaves it. */
static void fin_reset(fin_t *f)
{
	const record_finalize_opts_t *o = f->o;
	trace_error_t *err = f->err;

	trace_writer_abort(f->w);
	fin_free(f);
	memset(f, 0, sizeof(*f));
	fin_init(f, o, err);
}

static fin_t *fin_start(const record_finalize_opts_t *o, trace_error_t *err, bool streaming)
{
	fin_t *f = calloc(1, sizeof(*f));

	if (!f) {
		trace_error_set(err, o->out, TRACE_NO_EVENT, 0, "out of memory");
		return NULL;
	}
	fin_init(f, o, err);
	f->streaming = streaming;
	if (streaming && fin_open(f)) {
		free(f);
		return NULL;
	}
	return f;
}

record_finalizer_t *record_finalize_start(const record_finalize_opts_t *o, trace_error_t *err)
{
	return fin_start(o, err, o->origin_ns && o->root_pid);
}

int64_t record_finalize_step(record_finalizer_t *f)
{
	uint64_t events = f->st.nr_events;

	if (!f->streaming || f->restart)
		return 0;
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);     /* the recorder's clock */
	uint64_t now = (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
	uint64_t lag = f->o->lag_ns ? f->o->lag_ns : RECORD_FINALIZE_LAG_NS;
	uint64_t bound = now > lag ? now - lag : 0;
	if (fin_scan(f))
		return -1;
	for (size_t i = 0; i < f->nr_streams; i++) {
		stream_t *s = f->streams[i];
		if (s->has || s->ended)
			continue;
		if (stream_map(f, s) || stream_advance(f, s))
			return -1;
		if (s->has)
			fin_ready(f, s);
		else
			stream_bound(s, &bound);
	}
	if (!f->restart && fin_merge(f, bound))
		return -1;
	f->st.nr_streamed = f->st.nr_events;
	return (int64_t)(f->st.nr_events - events);
}

/* Everything from the start, the directory complete: the batch finalize. */
static int fin_final(fin_t *f)
{
	f->final = true;
	if (fin_scan(f))
		return -1;
	if (!f->nr_streams)
		return fin_error(f, f->o->dir, TRACE_NO_EVENT, 0,
				 "no recorded streams (t.PID.TID.raw): was the recorder loaded?");
	for (size_t i = 0; i < f->nr_streams; i++)
		if (stream_map(f, f->streams[i]))
			return -1;
	if (!f->w) {
		/* origin and root: the earliest first record unless given */
		uint64_t first = UINT64_MAX;
		uint32_t root = 0;
		for (size_t i = 0; i < f->nr_streams; i++) {
			stream_t *s = f->streams[i];
			const rec_raw_t *r0 = (const rec_raw_t *)s->raw;
			if (s->nr >= 2 && !rec_type_is_short(r0->type) && r0->ts < first) {
				first = r0->ts;
				root = s->pid;
			}
		}
		if (!f->st.origin_ns)
			f->st.origin_ns = first == UINT64_MAX ? 0 : first;
		if (!f->st.root_pid)
			f->st.root_pid = root;
		if (fin_open(f))
			return -1;
	}
	for (size_t i = 0; i < f->nr_streams; i++) {
		stream_t *s = f->streams[i];
		f->st.truncated_bytes += s->size % REC_UNIT;
		if (s->has)
			continue;
		if (stream_advance(f, s))
			return -1;
		if (s->has)
			fin_ready(f, s);
	}
	if (f->restart)
		return 0;
	return fin_merge(f, UINT64_MAX);
}

int record_finalize_finish(record_finalizer_t *f, record_finalize_stats_t *stats)
{
	int rc = f->restart ? 0 : fin_final(f);

	if (!rc && f->restart) {
		uint64_t streamed = f->st.nr_streamed;
		fin_reset(f);
		f->st.nr_streamed = streamed;
		f->st.restarted = true;
		rc = fin_final(f);
	}
	if (!rc)
		rc = fin_trailer(f);
	if (!rc) {
		rc = trace_writer_close(f->w, f->err);
		f->w = NULL;
	}
	trace_writer_abort(f->w);
	if (stats)
		*stats = f->st;
	fin_free(f);
	free(f);
	return rc;
}

void record_finalize_cancel(record_finalizer_t *f)
{
	if (!f)
		return;
	trace_writer_abort(f->w);
	fin_free(f);
	free(f);
}

int record_finalize(const record_finalize_opts_t *o, record_finalize_stats_t *stats,
		    trace_error_t *err)
{
	fin_t *f = fin_start(o, err, false);

	return f ? record_finalize_finish(f, stats) : -1;
}
