/*
 * trace.h - the mmbench trace: events, streaming writer and reader.
 *
 * A trace is the recorded memory-management activity of one or more processes:
 * allocator calls (malloc family, kmalloc, kmem_cache), page allocations, mm
 * system calls, faults and accesses, fork/exec/exit, CMA requests and phase
 * marks, in global time order.  The on-disk form (format v1) is specified in
 * traces/FORMAT.md; this header is its C face.
 *
 * Glossary:
 *   event     one trace_event_t; its index is its position in the trace (0-based).
 *   id        a dense small integer naming an object (ALLOC/FREE), a page block
 *             (PAGE_ALLOC/PAGE_FREE), a slab cache, a file or a CMA allocation.
 *             Replay indexes arrays with ids, never hashes; the trailer records
 *             each id space's size (trace_bounds_t) and readers reject ids
 *             outside it.
 *   chunk     an independently zstd-compressed run of events; a damaged chunk
 *             is reported by its file offset.
 *
 * Threading: a reader or writer is used by one thread at a time; distinct
 * readers and writers are independent.
 */
#ifndef MMBENCH_TRACE_H
#define MMBENCH_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TRACE_FORMAT_VERSION 1
#define TRACE_NO_ID UINT32_MAX         /* "no cache / no file" in an id field */
#define TRACE_MAX_STRING 4096          /* bytes, longest name/path/mark */
#define TRACE_MAX_ORDER 20             /* largest page order a trace may carry */
#define TRACE_MAX_META 256             /* metadata pairs per trace */
#define TRACE_MAX_CPUS 65536           /* cpu numbers are < this */

/* Event types.  The numeric values are part of format v1 (never reorder). */
enum trace_event_type {
	TRACE_ALLOC = 1,        /* object allocated: alloc */
	TRACE_FREE,             /* object freed: free */
	TRACE_REALLOC,          /* object resized, maybe moved: realloc */
	TRACE_CACHE_CREATE,     /* kmem_cache created: cache_create */
	TRACE_CACHE_DESTROY,    /* kmem_cache destroyed: cache_destroy */
	TRACE_PAGE_ALLOC,       /* 2^order pages from the page allocator: page_alloc */
	TRACE_PAGE_FREE,        /* pages returned: page_free */
	TRACE_MMAP,             /* mmap(2): mmap */
	TRACE_MUNMAP,           /* munmap(2): munmap */
	TRACE_MREMAP,           /* mremap(2): mremap */
	TRACE_MPROTECT,         /* mprotect(2): mprotect */
	TRACE_MADVISE,          /* madvise(2): madvise */
	TRACE_BRK,              /* brk(2) / sbrk(3): brk */
	TRACE_FAULT,            /* page fault taken: fault */
	TRACE_ACCESS,           /* memory access (may or may not fault): access */
	TRACE_FORK,             /* new process or thread: fork */
	TRACE_EXEC,             /* execve(2) succeeded: exec */
	TRACE_EXIT,             /* thread or process exit: exit */
	TRACE_CMA_ALLOC,        /* cma_alloc(): cma */
	TRACE_CMA_RELEASE,      /* cma_release(): cma */
	TRACE_MARK,             /* phase boundary: mark */
	TRACE_NR_TYPES          /* one past the last type */
};

/* The allocator entry point an ALLOC / FREE / REALLOC came from (format v1 values). */
enum trace_alloc_func {
	TRACE_FN_MALLOC = 0,
	TRACE_FN_CALLOC,
	TRACE_FN_REALLOC,           /* realloc(NULL, n) as ALLOC; realloc(p, 0) as FREE */
	TRACE_FN_REALLOCARRAY,
	TRACE_FN_MEMALIGN,
	TRACE_FN_POSIX_MEMALIGN,
	TRACE_FN_ALIGNED_ALLOC,
	TRACE_FN_VALLOC,
	TRACE_FN_PVALLOC,
	TRACE_FN_FREE,
	TRACE_FN_KMALLOC,
	TRACE_FN_KFREE,
	TRACE_FN_KREALLOC,
	TRACE_FN_KMEM_CACHE_ALLOC,
	TRACE_FN_KMEM_CACHE_FREE,
	TRACE_NR_FUNCS
};

/* FAULT and ACCESS flags (fault.flags, access.flags). */
#define TRACE_FAULT_WRITE   0x01u   /* write access (else read) */
#define TRACE_FAULT_EXEC    0x02u   /* instruction fetch */
#define TRACE_FAULT_USER    0x04u   /* from user mode (else kernel) */
#define TRACE_FAULT_PROT    0x08u   /* protection fault on a present page */
#define TRACE_FAULT_MAJOR   0x10u   /* the recording kernel reported a major fault */
#define TRACE_FAULT_ALL     0x1fu
/*
 * ACCESS only: a write the recorder derived from an allocation (the first
 * write to a page of a newly allocated byte range), not an observed access.
 * Replay applies these with --touch=alloc and skips them with --touch=none.
 */
#define TRACE_ACCESS_TOUCH  0x20u
#define TRACE_ACCESS_ALL    (TRACE_FAULT_WRITE | TRACE_FAULT_EXEC | TRACE_FAULT_USER | TRACE_ACCESS_TOUCH)

/* FORK flags. */
#define TRACE_FORK_THREAD   0x01u   /* clone(CLONE_VM|CLONE_THREAD): child is a tid */
#define TRACE_FORK_VFORK    0x02u   /* vfork(): parent waits for exec/exit */
#define TRACE_FORK_ALL      0x03u

/* EXIT flags. */
#define TRACE_EXIT_THREAD   0x01u   /* only this thread ends (else the whole process) */
#define TRACE_EXIT_ALL      0x01u

/*
 * One decoded event.  Common fields first; the payload is the union member
 * named after the type.  Addresses and lengths are bytes; pgoff is in pages;
 * err is a positive errno (0 = success).  Strings (cache_create.name,
 * exec.path, mark.name) point into the reader's buffer and stay valid until
 * the next trace_next() or trace_close(); they are not NUL-terminated on the
 * reader side, use the _len field.
 */
typedef struct trace_event {
	uint64_t ts;            /* ns since the trace's start */
	uint32_t cpu;           /* logical CPU the event ran on */
	uint32_t pid;           /* process (thread-group) id */
	uint32_t tid;           /* thread id */
	uint8_t type;           /* enum trace_event_type */
	union {
		struct {
			uint32_t id;            /* object id, < bounds.nr_objects */
			uint32_t cache;         /* cache id for kmem_cache_alloc, else TRACE_NO_ID */
			uint64_t size;          /* bytes requested */
			uint64_t align;         /* bytes, power of two; 0 = the allocator's default */
			uint32_t gfp;           /* kernel gfp_t bits; 0 for user-space calls */
			uint8_t func;           /* enum trace_alloc_func */
		} alloc;
		struct {
			uint32_t id;            /* object id */
			uint32_t cache;         /* cache id for kmem_cache_free, else TRACE_NO_ID */
			uint8_t func;           /* enum trace_alloc_func */
		} free;
		struct {
			uint32_t old_id;        /* object before the call */
			uint32_t new_id;        /* object after it (== old_id when resized in place) */
			uint64_t size;          /* new size, bytes */
			uint8_t func;           /* REALLOC, REALLOCARRAY or KREALLOC */
		} realloc;
		struct {
			uint32_t cache;         /* cache id, < bounds.nr_caches */
			uint32_t flags;         /* SLAB_* flags as the kernel defines them */
			uint64_t size;          /* object size, bytes */
			uint64_t align;         /* bytes; 0 = default */
			const char *name;       /* cache name, e.g. "dentry" */
			uint32_t name_len;      /* bytes, <= TRACE_MAX_STRING */
		} cache_create;
		struct {
			uint32_t cache;         /* cache id */
		} cache_destroy;
		struct {
			uint32_t page;          /* page-block id, < bounds.nr_pages */
			uint32_t gfp;           /* gfp_t bits */
			uint8_t order;          /* 2^order pages, <= TRACE_MAX_ORDER */
			uint8_t migratetype;    /* as the recording kernel reported it */
		} page_alloc;
		struct {
			uint32_t page;          /* page-block id */
			uint8_t order;          /* as allocated */
		} page_free;
		struct {
			uint64_t addr;          /* hint or MAP_FIXED address, bytes */
			uint64_t len;           /* bytes */
			uint64_t pgoff;         /* file offset, pages */
			uint64_t result;        /* mapped address when err == 0 */
			uint32_t prot;          /* PROT_* bits */
			uint32_t flags;         /* MAP_* bits (Linux x86-64 values) */
			uint32_t file;          /* file id, or TRACE_NO_ID for anonymous */
			uint32_t err;           /* errno, 0 = success */
		} mmap;
		struct {
			uint64_t addr;          /* bytes */
			uint64_t len;           /* bytes */
			uint32_t err;           /* errno */
		} munmap;
		struct {
			uint64_t addr;          /* old address */
			uint64_t old_len;       /* bytes */
			uint64_t new_len;       /* bytes */
			uint64_t new_addr;      /* requested address for MREMAP_FIXED, else 0 */
			uint64_t result;        /* new address when err == 0 */
			uint32_t flags;         /* MREMAP_* bits */
			uint32_t err;           /* errno */
		} mremap;
		struct {
			uint64_t addr;          /* bytes */
			uint64_t len;           /* bytes */
			uint32_t prot;          /* PROT_* bits */
			uint32_t err;           /* errno */
		} mprotect;
		struct {
			uint64_t addr;          /* bytes */
			uint64_t len;           /* bytes */
			uint32_t advice;        /* MADV_* value */
			uint32_t err;           /* errno */
		} madvise;
		struct {
			uint64_t request;       /* requested break (0 = query) */
			uint64_t result;        /* break after the call */
		} brk;
		struct {
			uint64_t addr;          /* faulting address */
			uint32_t flags;         /* TRACE_FAULT_* */
		} fault;
		struct {
			uint64_t addr;          /* accessed address */
			uint32_t flags;         /* TRACE_FAULT_WRITE / EXEC / USER */
		} access;
		struct {
			uint32_t child;         /* child pid, or child tid with TRACE_FORK_THREAD */
			uint32_t flags;         /* TRACE_FORK_* */
		} fork;
		struct {
			const char *path;       /* executed file */
			uint32_t path_len;      /* bytes */
		} exec;
		struct {
			int32_t code;           /* exit status */
			uint32_t flags;         /* TRACE_EXIT_* */
		} exit;
		struct {
			uint32_t area;          /* CMA area index */
			uint32_t id;            /* allocation id, < bounds.nr_cma */
			uint64_t count;         /* pages */
			uint8_t align;          /* alignment order, <= TRACE_MAX_ORDER */
			uint32_t err;           /* CMA_ALLOC: errno if it failed; 0 on RELEASE */
		} cma;
		struct {
			const char *name;       /* phase name, e.g. "warmup-end" */
			uint32_t name_len;      /* bytes */
		} mark;
	};
} trace_event_t;

/* Size of each id space: ids are < these.  Written in the trailer. */
typedef struct trace_bounds {
	uint32_t nr_objects;    /* ALLOC/FREE/REALLOC ids */
	uint32_t nr_pages;      /* PAGE_ALLOC/PAGE_FREE ids */
	uint32_t nr_caches;     /* CACHE_* and alloc/free cache ids */
	uint32_t nr_files;      /* MMAP file ids */
	uint32_t nr_cma;        /* CMA_ALLOC/CMA_RELEASE ids */
	uint32_t nr_cpus;       /* cpu numbers */
} trace_bounds_t;

/* Totals from the trailer, available right after trace_open(). */
typedef struct trace_summary {
	uint64_t nr_events;                     /* events in the trace */
	uint64_t nr_chunks;                     /* compressed chunks */
	uint64_t last_ts;                       /* ns, timestamp of the last event */
	uint64_t nr_by_type[TRACE_NR_TYPES];    /* events of each type */
	trace_bounds_t bounds;                  /* id-space sizes */
} trace_summary_t;

typedef struct trace_meta {
	const char *key;        /* e.g. "source", NUL-terminated, no '=' or newline */
	const char *value;      /* NUL-terminated, no newline */
} trace_meta_t;

/*
 * Where and why reading or writing failed.  event is the index of the event
 * being decoded (TRACE_NO_EVENT for header/trailer problems); offset is a byte
 * offset in the file; for a fault inside a compressed chunk, offset is the
 * chunk's file offset and chunk_offset the byte offset in its decompressed
 * events (else TRACE_NO_EVENT).
 */
#define TRACE_NO_EVENT UINT64_MAX
typedef struct trace_error {
	char file[256];         /* file name as given to the open call */
	uint64_t event;         /* event index, or TRACE_NO_EVENT */
	uint64_t offset;        /* byte offset in the file */
	uint64_t chunk_offset;  /* byte offset in decompressed chunk data, or TRACE_NO_EVENT */
	char reason[192];       /* what is wrong, e.g. "object id 7 out of range (nr_objects 5)" */
} trace_error_t;

/*
 * Format *err as one line "FILE: event N at byte offset B: REASON" (the event
 * and chunk parts only when known) into buf of size len.  Returns buf.
 */
char *trace_error_format(const trace_error_t *err, char *buf, size_t len);

/* Set *err's fields (file is copied, reason printf-formatted).  Returns -1. */
int trace_error_set(trace_error_t *err, const char *file, uint64_t event,
		    uint64_t offset, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/*
 * Read all of path, or stdin when path is "-", into a malloc'd buffer for an
 * importer (*buf, *len bytes; free it).  Returns 0, or -1 with *err naming
 * the file (cannot open, read failed, out of memory).
 */
int trace_read_input(const char *path, char **buf, size_t *len, trace_error_t *err);

/* Names used by the text form and by mmbench info. */
const char *trace_type_name(unsigned type);          /* "ALLOC", or NULL if invalid */
int trace_type_from_name(const char *name, size_t len);   /* type, or -1 */
const char *trace_func_name(unsigned func);          /* "malloc", or NULL if invalid */
int trace_func_from_name(const char *name, size_t len);   /* func, or -1 */

/* ---------------------------------------------------------------- writer */

typedef struct trace_writer trace_writer_t;

typedef struct trace_writer_opts {
	int zstd_level;         /* zstd compression level; 0 = default (1) */
	uint32_t chunk_events;  /* events per chunk; 0 = default (65536) */
} trace_writer_opts_t;

/*
 * Create a trace at path.  The data goes to "path.tmp" and is renamed to path
 * by trace_writer_close(), so a failed or interrupted writer never leaves a
 * half trace under the final name.  meta (nr_meta pairs, may be 0) goes into
 * the header.  opts may be NULL.  Returns NULL with *err set on failure.
 */
trace_writer_t *trace_writer_open(const char *path, const trace_meta_t *meta,
				  size_t nr_meta, const trace_writer_opts_t *opts,
				  trace_error_t *err);

/*
 * Add a metadata pair that becomes known during recording (for example a
 * process's outcome at exit); it is written in the trailer and readers list it
 * after the header's.  Returns 0, or -1 with the writer's error set.
 */
int trace_writer_add_meta(trace_writer_t *w, const char *key, const char *value);

/*
 * Append one event.  Events must come in non-decreasing ts order; strings must
 * be <= TRACE_MAX_STRING bytes; enum fields must be valid.  Id spaces grow to
 * the largest id written.  Returns 0, or -1 with the writer's error set (the
 * event is not written).
 */
int trace_write(trace_writer_t *w, const trace_event_t *ev);

/* The writer's last error (valid after a -1 return). */
const trace_error_t *trace_writer_error(const trace_writer_t *w);

/*
 * Flush the last chunk, write the trailer, close (no fsync) and rename into
 * place.  Frees w in all cases.  Returns 0, or -1 with *err set (the partial
 * file is removed).
 */
int trace_writer_close(trace_writer_t *w, trace_error_t *err);

/* Abandon a trace: remove the partial file and free w. */
void trace_writer_abort(trace_writer_t *w);

/* ---------------------------------------------------------------- reader */

typedef struct trace_reader trace_reader_t;

/*
 * Open a trace file ("-" reads standard input) and validate its header and
 * trailer.  Returns NULL with *err set when the file is not a readable v1
 * trace (wrong magic, unknown version, truncated, damaged trailer, ...).
 */
trace_reader_t *trace_open(const char *path, trace_error_t *err);

/*
 * Open a trace held in memory (len bytes at buf, which must outlive the
 * reader); name is used in error messages.  Same checks as trace_open().
 */
trace_reader_t *trace_open_mem(const void *buf, size_t len, const char *name,
			       trace_error_t *err);

/*
 * Decode the next event into *ev.  Returns 1 when an event was stored, 0 at
 * the end of the trace (after checking that the event counts match the
 * trailer), or -1 on malformed data with the error available from
 * trace_reader_error(); after -1 or 0 every later call returns the same.
 */
int trace_next(trace_reader_t *r, trace_event_t *ev);

/*
 * Decode up to max events into evs[0..max), never past the end of one chunk
 * (strings of all of them stay valid until the next call).  Faster than
 * trace_next() per event (decoder state stays in registers across a run);
 * the replay driver reads this way.  Returns the number of events stored
 * (> 0), 0 at the end of the trace, or -1 on malformed data; events before a
 * fault are returned first and the error on the next call.
 */
ssize_t trace_next_batch(trace_reader_t *r, trace_event_t *evs, size_t max);

/*
 * Decompress each next chunk (checksum and zstd, about a third of the
 * decoding of a malloc-heavy trace) on a helper thread while the current one
 * is decoded.  Events, strings and errors stay exactly those of a reader
 * without it.  The helper's buffer (as large as the biggest chunk) is
 * allocated and written here, and it starts on the chunk after the next one
 * loaded.  Returns 1 when the helper runs, 0 when it would not help (one CPU
 * available, or at most one chunk left), -1 with errno set when it could not
 * start (the reader works on without it).  trace_close() stops it.
 */
int trace_reader_prefetch(trace_reader_t *r);

/* Index of the event trace_next() will decode next (== events returned so far). */
uint64_t trace_position(const trace_reader_t *r);

const trace_error_t *trace_reader_error(const trace_reader_t *r);
const trace_summary_t *trace_summary(const trace_reader_t *r);

/* Metadata pairs (header's, then trailer's), in file order. */
size_t trace_nr_meta(const trace_reader_t *r);
const trace_meta_t *trace_meta(const trace_reader_t *r, size_t i);
/* Value for key (the last pair with that key), or NULL. */
const char *trace_meta_get(const trace_reader_t *r, const char *key);

void trace_close(trace_reader_t *r);

#endif /* MMBENCH_TRACE_H */
