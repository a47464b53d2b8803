/*
 * native.c - mmbench-native, the baseline runner: replays the malloc-family
 * calls of a trace on the real allocator of this process and measures them.
 *
 * `mmbench baseline` starts it with LD_PRELOAD naming the allocator's library
 * (nothing for glibc).  The runner is linked to no allocator: it finds the
 * entry points with dlsym(RTLD_DEFAULT, ...), checks with dladdr() that they
 * come from the library that was asked for, and refuses to run otherwise, so
 * a baseline can never silently be glibc.
 *
 * Phases:
 *  1. decode: the whole trace is read (any malformed input fails here, before
 *     anything is measured) into compact per-thread arrays of calls (op_t),
 *     one replay thread per traced tid up to --threads-max;
 *  2. replay: one pthread per replay thread, all released together by a
 *     barrier, each making its calls in trace order, timing each allocator
 *     call alone with clock_ticks() into a histogram per call kind;
 *  3. report: RSS, allocator statistics, results.csv, latency/<kind>.hgrm
 *     and summary.json in the output directory.
 *
 * Cross-thread order.  Ids are dense and reused after free, so an object is
 * named by the call that produced it, not by its id: the decoding pass links
 * each free or realloc to the allocation (or realloc) that returned its
 * object (op_t.src), and each producing call keeps the pointer it got in its
 * own op_t.  When producer and consumer run on different threads, the
 * producer publishes (release) that its result is ready and the consumer
 * waits for it (acquire; pause, then sched_yield, then a futex sleep) -- the
 * "generation" of the object, here one flag per allocation.  An allocation that reuses an id
 * another thread freed need not wait: its pointer goes to its own op_t, so
 * the only orderings kept are the real ones (an object is allocated before
 * it is freed or resized).  Every wait is for an earlier event in trace
 * order, so the replay cannot deadlock.
 *
 * What is timed: the allocator call alone (clock_ticks() on both sides);
 * waiting, touching the memory and the bookkeeping are outside.  The wall
 * time of the replay phase covers everything, warm-up calls included.
 * Measurements of this file are never deterministic; counts are.
 */
#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <gnu/libc-version.h>
#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "bench/cli.h"
#include "bench/clock.h"
#include "bench/hist.h"
#include "bench/hwcounters.h"
#include "bench/results.h"
#include "bench/summary.h"
#include "traces/trace.h"

#define NO_ID TRACE_NO_ID
#define THREADS_MAX_DEFAULT 64
#define THREADS_MAX_LIMIT 1024
#define TOUCH_BYTE 0xa5
#define SPINS_BEFORE_YIELD 2048  /* pause loops before a wait yields the CPU */
#define YIELDS_BEFORE_SLEEP 16  /* sched_yield()s before it sleeps on a futex */
#define PROGRESS_EVERY 4096     /* calls between a thread's progress updates */

/* ---------------------------------------------------------------- errors */

/*
 * The runner prints its errors as mmbench does (mmbench.c's definitions are
 * not linked into it): "mmbench: FILE: event N at byte offset B: REASON".
 */


/* Print "mmbench: MESSAGE" to stderr.  Returns EXIT_ERROR. */
static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("mmbench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_ERROR;
}

/* ---------------------------------------------------------------- calls */

/* The histogram a call goes to: one per allocator entry point (reallocarray counts as realloc). */
enum op_kind {
	KIND_MALLOC,
	KIND_CALLOC,
	KIND_REALLOC,
	KIND_FREE,
	KIND_POSIX_MEMALIGN,
	KIND_ALIGNED_ALLOC,
	KIND_MEMALIGN,
	KIND_VALLOC,
	KIND_PVALLOC,
	NR_KINDS
};

static const char *const kind_names[NR_KINDS] = {
	"malloc", "calloc", "realloc", "free", "posix_memalign", "aligned_alloc",
	"memalign", "valloc", "pvalloc",
};

/* op_t.ready */
#define READY_NOT       0u      /* ptr not published yet */
#define READY_YES       1u      /* ptr valid (release) */
#define READY_SLEEPER   2u      /* not yet, and a consumer sleeps on the futex */

/* op_t.flags */
#define OP_WAIT         0x01u   /* src ran on another thread: wait for src->ready */
#define OP_PUBLISH      0x02u   /* a consumer on another thread waits: set ready after */
#define OP_WARMUP       0x04u   /* replayed, not recorded (--warmup) */
#define OP_SNAPSHOT     0x08u   /* live requested bytes peak here: take RSS and stats */

/*
 * One replayed call.  A call consumes an object (free, realloc: src is the
 * call that produced it) and or produces one (allocations, realloc: ptr).
 * During decoding src holds a reference (op_ref()) because the arrays still
 * move; decode_trace() turns them into pointers.
 */
typedef struct op {
	uint64_t size;          /* bytes requested (allocations and realloc) */
	void *ptr;              /* what the call returned (allocations and realloc) */
	union {
		uint64_t ref;   /* while decoding: op_ref() of the producer, 0 = none */
		struct op *op;  /* after: the producer, NULL = none (realloc(NULL, n)) */
	} src;
	uint8_t func;           /* enum trace_alloc_func: the entry point to call */
	uint8_t kind;           /* enum op_kind: the histogram */
	uint8_t flags;          /* OP_* */
	uint8_t align_log2;     /* log2 of the alignment passed (aligned entry points) */
	_Atomic uint32_t ready; /* READY_* (moves only with OP_PUBLISH) */
} op_t;

_Static_assert(sizeof(op_t) == 32, "op_t should stay 32 bytes");

/*
 * The allocator's entry points as this process resolves them.  An entry point
 * the preloaded library does not export (jemalloc has no pvalloc) would reach
 * glibc's heap and mix two allocators; it is replaced by an equivalent call
 * into the library (sub_*) and named in summary.json.
 */
static struct alloc_fns {
	void *(*malloc)(size_t);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	void *(*reallocarray)(void *, size_t, size_t);
	void (*free)(void *);
	int (*posix_memalign)(void **, size_t, size_t);
	void *(*aligned_alloc)(size_t, size_t);
	void *(*memalign)(size_t, size_t);
	void *(*valloc)(size_t);
	void *(*pvalloc)(size_t);
} fn;

static size_t page_size;

static void *sub_reallocarray(void *p, size_t n, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	return fn.realloc(p, bytes);
}

static void *sub_memalign(size_t align, size_t size)
{
	void *p;

	if (align < sizeof(void *))
		align = sizeof(void *);
	return fn.posix_memalign(&p, align, size) ? NULL : p;
}

static void *sub_aligned_alloc(size_t align, size_t size)
{
	return sub_memalign(align, size);
}

static void *sub_valloc(size_t size)
{
	return sub_memalign(page_size, size);
}

static void *sub_pvalloc(size_t size)
{
	size_t rounded = (size + page_size - 1) & ~(page_size - 1);

	return sub_memalign(page_size, rounded ? rounded : page_size);
}

/* ---------------------------------------------------------------- options */

typedef struct options {
	const char *allocator;  /* "jemalloc", "glibc", "mimalloc", "tcmalloc" */
	const char *trace;      /* trace path */
	const char *dir;        /* output directory */
	bool touch;             /* --touch=alloc: write every allocated byte */
	uint64_t warmup;        /* trace events replayed without recording */
	uint32_t threads_max;   /* replay threads at most */
} options_t;

/* The allocators mmbench baseline knows: name, LD_PRELOAD library, symbol proving it is loaded. */
static const struct allocator_def {
	const char *name;
	const char *soname;     /* what LD_PRELOAD names; NULL for glibc */
	const char *stem;       /* file-name prefix of the library malloc must come from */
	const char *probe;      /* a symbol only this allocator exports */
} allocators[] = {
	{ "jemalloc", "libjemalloc.so.2", "libjemalloc.so", "mallctl" },
	{ "glibc", NULL, "libc.so", "mallinfo2" },
	{ "mimalloc", "libmimalloc.so.2", "libmimalloc.so", "mi_process_info" },
	{ "tcmalloc", "libtcmalloc_minimal.so.4", "libtcmalloc_minimal.so",
	  "MallocExtension_GetNumericProperty" },
};

static const char native_usage[] =
	"usage: mmbench-native --allocator NAME -o DIR [--touch=alloc|none] [--warmup EVENTS]\n"
	"                      [--threads-max N] TRACE\n"
	"The runner of `mmbench baseline` (see mmbench baseline --help): it replays the\n"
	"malloc-family calls of TRACE on the allocator this process runs with.\n";


/* Returns -1 to go on, else the exit code (help or a usage error). */
static int parse_options(int argc, char **argv, options_t *o)
{
	static const struct option opts[] = {
		{ "allocator", required_argument, NULL, 'a' },
		{ "output", required_argument, NULL, 'o' },
		{ "touch", required_argument, NULL, 't' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "threads-max", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->touch = true;
	o->threads_max = THREADS_MAX_DEFAULT;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			o->allocator = optarg;
			break;
		case 'o':
			o->dir = optarg;
			break;
		case 't':
			if (!strcmp(optarg, "alloc"))
				o->touch = true;
			else if (!strcmp(optarg, "none"))
				o->touch = false;
			else
				return cli_usage_error("baseline", "--touch takes alloc or none, not '%s'",
						       optarg);
			break;
		case 'w':
			if (cli_parse_u64(optarg, &o->warmup))
				return cli_usage_error("baseline", "bad --warmup '%s'", optarg);
			break;
		case 'T':
			if (cli_parse_u64(optarg, &v) || v < 1 || v > THREADS_MAX_LIMIT)
				return cli_usage_error("baseline",
						       "--threads-max takes a number from 1 to %d, not '%s'",
						       THREADS_MAX_LIMIT, optarg);
			o->threads_max = (uint32_t)v;
			break;
		case 'h':
			fputs(native_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("baseline", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("baseline", "expected one trace file");
	o->trace = argv[optind];
	if (!o->allocator)
		return cli_usage_error("baseline", "missing --allocator");
	if (!o->dir)
		return cli_usage_error("baseline", "missing -o DIR");
	return -1;
}

/* ---------------------------------------------------------------- memory */

/*
 * Big arrays (calls, object table) come from mmap, not from the allocator
 * being measured, so that its statistics and heap hold the trace's objects
 * and little of the runner's own.  Zero-filled.  Returns NULL on failure.
 */
static void *map_array(size_t bytes)
{
	void *p = mmap(NULL, bytes ? bytes : 1, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void unmap_array(void *p, size_t bytes)
{
	if (p)
		munmap(p, bytes ? bytes : 1);
}

/* ---------------------------------------------------------------- decoding */

/* One replay thread: its calls, then what it measured. */
typedef struct replay_thread {
	op_t *ops;                      /* calls in trace order (mmap) */
	size_t nr_ops, cap;             /* used, allocated (calls) */
	uint64_t nr_calls[NR_KINDS];    /* calls made, warm-up included */
	uint64_t nr_measured[NR_KINDS]; /* calls recorded in hist[] */
	hist_t hist[NR_KINDS];          /* call latency, ticks (only kinds with calls) */
	uint64_t nr_waits;              /* cross-thread waits that had to spin */
	uint64_t nr_alloc_failures;     /* allocations that returned NULL for size > 0 */
	uint64_t end_ns;                /* CLOCK_MONOTONIC when it finished */
	pthread_t pthread;
	struct replay *rp;
	_Alignas(64) _Atomic uint64_t nr_done;  /* calls done, updated every PROGRESS_EVERY */
} replay_thread_t;

/* Per-id state of the decoding pass. */
struct obj_state {
	uint64_t size;          /* bytes requested, while live */
	uint64_t producer;      /* op_ref() of the call that returned the live object */
	bool live;              /* allocated and not freed (trace order) */
};

/* Map from traced tid to replay thread (open addressing). */
struct tid_map {
	uint32_t *tids, *threads;       /* keys; values (NO_ID = empty slot) */
	size_t cap, nr;                 /* slots (power of two), used */
};

typedef struct replay {
	options_t *opt;
	trace_bounds_t bounds;
	replay_thread_t *threads;       /* nr_threads of them */
	uint32_t nr_threads;
	uint32_t nr_tids;               /* distinct traced tids with malloc-family calls */
	uint32_t nr_tids_folded;        /* of those, beyond --threads-max */
	struct tid_map tids;
	struct obj_state *objs_state;   /* decoding only (mmap) */
	op_t **live;                    /* the producers of the objects live at the end */
	size_t nr_live;

	uint64_t nr_events;             /* trace events */
	uint64_t nr_ops;                /* malloc-family calls to replay */
	uint64_t nr_skipped_kernel;     /* kmalloc, kfree, krealloc, kmem_cache_* events */
	uint64_t nr_skipped_other;      /* events of other types */
	uint64_t nr_unknown_frees;      /* free of an id not live: not replayed */
	uint64_t nr_unknown_reallocs;   /* realloc of an id not live: replayed as realloc(NULL) */
	uint64_t nr_alloc_of_live;      /* allocation to a live id: the old object leaks */
	uint64_t nr_cross_thread;       /* frees and reallocs of another thread's object */
	uint64_t live_bytes;            /* requested bytes live, trace order */
	uint64_t live_bytes_peak;
	uint32_t peak_thread;           /* the call at which live_bytes_peak was reached */
	uint64_t peak_op;

	/* replay */
	pthread_barrier_t barrier;
	_Atomic uint32_t nr_finished;   /* threads done */
	struct clock_cal cal;
	uint64_t start_ns;              /* CLOCK_MONOTONIC at the release */
} replay_t;

static int tid_map_grow(struct tid_map *m)
{
	size_t cap = m->cap ? 2 * m->cap : 64;
	uint32_t *tids = malloc(cap * sizeof(*tids)), *threads = malloc(cap * sizeof(*threads));

	if (!tids || !threads) {
		free(tids);
		free(threads);
		return -1;
	}
	for (size_t i = 0; i < cap; i++)
		threads[i] = NO_ID;
	for (size_t i = 0; i < m->cap; i++) {
		if (m->threads[i] == NO_ID)
			continue;
		size_t j = (m->tids[i] * 2654435761u) & (cap - 1);
		while (threads[j] != NO_ID)
			j = (j + 1) & (cap - 1);
		tids[j] = m->tids[i];
		threads[j] = m->threads[i];
	}
	free(m->tids);
	free(m->threads);
	m->tids = tids;
	m->threads = threads;
	m->cap = cap;
	return 0;
}

/*
 * The replay thread of tid: the next free one for a new tid while fewer than
 * threads_max exist, else tid % threads_max (folded).  Returns NO_ID when out
 * of memory.
 */
static uint32_t replay_thread_of(replay_t *rp, uint32_t tid)
{
	struct tid_map *m = &rp->tids;

	if (2 * (m->nr + 1) > m->cap && tid_map_grow(m))
		return NO_ID;
	size_t j = (tid * 2654435761u) & (m->cap - 1);
	while (m->threads[j] != NO_ID) {
		if (m->tids[j] == tid)
			return m->threads[j];
		j = (j + 1) & (m->cap - 1);
	}
	uint32_t t;
	if (rp->nr_threads < rp->opt->threads_max) {
		t = rp->nr_threads++;
	} else {
		t = tid % rp->opt->threads_max;
		rp->nr_tids_folded++;
	}
	rp->nr_tids++;
	m->tids[j] = tid;
	m->threads[j] = t;
	m->nr++;
	return t;
}

/* Append a zeroed call to thread t.  Returns it, or NULL when out of memory. */
static op_t *replay_thread_push(replay_thread_t *th)
{
	if (th->nr_ops == th->cap) {
		size_t cap = th->cap ? 2 * th->cap : 4096;
		void *p = th->ops ? mremap(th->ops, th->cap * sizeof(op_t), cap * sizeof(op_t),
					   MREMAP_MAYMOVE)
				  : map_array(cap * sizeof(op_t));
		if (!p || p == MAP_FAILED)
			return NULL;
		th->ops = p;
		th->cap = cap;
	}
	op_t *op = &th->ops[th->nr_ops++];
	memset(op, 0, sizeof(*op));
	return op;
}

/* A reference to call idx of thread t that survives the arrays moving; never 0. */
static uint64_t op_ref(uint32_t t, uint64_t idx)
{
	return ((uint64_t)t << 40 | idx) + 1;
}

static op_t *op_of_ref(replay_t *rp, uint64_t ref)
{
	ref--;
	return &rp->threads[ref >> 40].ops[ref & ((1ull << 40) - 1)];
}

/*
 * Call op (of thread t) frees or resizes the live object id: link it to the
 * object's producer and, when that ran on another thread, make op wait for
 * it and it publish.
 */
static void obj_consume(replay_t *rp, uint32_t id, uint32_t t, op_t *op)
{
	uint64_t ref = rp->objs_state[id].producer;

	op->src.ref = ref;
	if (((ref - 1) >> 40) != t) {
		op->flags |= OP_WAIT;
		op_of_ref(rp, ref)->flags |= OP_PUBLISH;
		rp->nr_cross_thread++;
	}
}

static bool func_is_user(unsigned func)
{
	return func <= TRACE_FN_FREE;
}

static unsigned func_kind(unsigned func)
{
	switch (func) {
	case TRACE_FN_MALLOC: return KIND_MALLOC;
	case TRACE_FN_CALLOC: return KIND_CALLOC;
	case TRACE_FN_REALLOC:
	case TRACE_FN_REALLOCARRAY: return KIND_REALLOC;
	case TRACE_FN_MEMALIGN: return KIND_MEMALIGN;
	case TRACE_FN_POSIX_MEMALIGN: return KIND_POSIX_MEMALIGN;
	case TRACE_FN_ALIGNED_ALLOC: return KIND_ALIGNED_ALLOC;
	case TRACE_FN_VALLOC: return KIND_VALLOC;
	case TRACE_FN_PVALLOC: return KIND_PVALLOC;
	default: return KIND_FREE;
	}
}

/* log2 of the alignment an aligned call passes: the recorded one, else 16. */
static uint8_t align_log2(uint64_t align)
{
	if (!align)
		return 4;
	return (uint8_t)__builtin_ctzll(align);
}

static void live_add(replay_t *rp, uint32_t id, uint64_t size, uint32_t t, uint64_t idx)
{
	struct obj_state *st = &rp->objs_state[id];

	st->producer = op_ref(t, idx);

	if (st->live) {
		rp->nr_alloc_of_live++;
		rp->live_bytes -= st->size;
	}
	st->live = true;
	st->size = size;
	rp->live_bytes += size;
	if (rp->live_bytes > rp->live_bytes_peak) {
		rp->live_bytes_peak = rp->live_bytes;
		rp->peak_thread = t;
		rp->peak_op = idx;
	}
}

static void live_del(replay_t *rp, uint32_t id)
{
	struct obj_state *st = &rp->objs_state[id];

	st->live = false;
	rp->live_bytes -= st->size;
}

/*
 * Turn event ev (number index) into a call of its thread, or count it as
 * skipped.  Returns 0, or -1 with *err set.
 */
static int decode_event(replay_t *rp, const trace_event_t *ev, uint64_t index,
			trace_error_t *err)
{
	unsigned func;
	bool have_old = false;

	switch (ev->type) {
	case TRACE_ALLOC:
		func = ev->alloc.func;
		break;
	case TRACE_FREE:
		func = ev->free.func;
		if (func_is_user(func) && !rp->objs_state[ev->free.id].live) {
			rp->nr_unknown_frees++;
			return 0;
		}
		break;
	case TRACE_REALLOC:
		func = ev->realloc.func;
		if (func_is_user(func) && !rp->objs_state[ev->realloc.old_id].live)
			rp->nr_unknown_reallocs++;
		else
			have_old = true;
		break;
	default:
		rp->nr_skipped_other++;
		return 0;
	}
	if (!func_is_user(func)) {
		rp->nr_skipped_kernel++;
		return 0;
	}

	uint32_t t = replay_thread_of(rp, ev->tid);
	replay_thread_t *th = t == NO_ID ? NULL : &rp->threads[t];
	op_t *op = th ? replay_thread_push(th) : NULL;
	if (!op)
		return trace_error_set(err, rp->opt->trace, index, 0, "out of memory decoding");
	uint64_t idx = th->nr_ops - 1;

	if (idx >> 40)
		return trace_error_set(err, rp->opt->trace, index, 0,
				       "more than 2^40 calls on one thread");
	op->func = (uint8_t)func;
	op->kind = (uint8_t)func_kind(func);
	if (index < rp->opt->warmup)
		op->flags |= OP_WARMUP;
	switch (ev->type) {
	case TRACE_ALLOC:
		op->size = ev->alloc.size;
		op->align_log2 = align_log2(ev->alloc.align);
		live_add(rp, ev->alloc.id, op->size, t, idx);
		break;
	case TRACE_FREE:
		/* realloc(p, 0) recorded as FREE is replayed as free(): what it
		 * does otherwise differs between allocators (mimalloc returns a
		 * new minimal object). */
		op->func = TRACE_FN_FREE;
		op->kind = KIND_FREE;
		obj_consume(rp, ev->free.id, t, op);
		live_del(rp, ev->free.id);
		break;
	case TRACE_REALLOC:
		op->size = ev->realloc.size;
		if (have_old) {
			obj_consume(rp, ev->realloc.old_id, t, op);
			live_del(rp, ev->realloc.old_id);
		}
		live_add(rp, ev->realloc.new_id, op->size, t, idx);
		break;
	}
	rp->nr_ops++;
	return 0;
}

/*
 * Read the whole trace into rp's per-thread calls.  *trace_json gets the
 * summary's trace section.  Returns 0, or the exit code after printing the
 * error (a malformed trace: file, event index and byte offset).
 */
static int decode_trace(replay_t *rp, json_t **trace_json)
{
	enum { BATCH = 1024 };
	static trace_event_t evs[BATCH];
	trace_error_t err;
	trace_reader_t *r = trace_open(rp->opt->trace, &err);
	ssize_t n;

	if (!r)
		return cli_trace_error(&err);
	rp->bounds = trace_summary(r)->bounds;
	size_t nr_objs = rp->bounds.nr_objects;
	/* aligned: nr_done has a cache line of its own */
	rp->threads = aligned_alloc(64, rp->opt->threads_max * sizeof(*rp->threads));
	if (rp->threads)
		memset(rp->threads, 0, rp->opt->threads_max * sizeof(*rp->threads));
	rp->objs_state = map_array(nr_objs * sizeof(*rp->objs_state));
	if (!rp->threads || !rp->objs_state) {
		trace_close(r);
		return fail("%s: out of memory for %zu object ids", rp->opt->trace, nr_objs);
	}
	for (uint32_t t = 0; t < rp->opt->threads_max; t++)
		rp->threads[t].rp = rp;

	while ((n = trace_next_batch(r, evs, BATCH)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (decode_event(rp, &evs[i], rp->nr_events, &err)) {
				trace_close(r);
				return cli_trace_error(&err);
			}
			rp->nr_events++;
		}
	}
	if (n < 0) {
		int rc = cli_trace_error(trace_reader_error(r));
		trace_close(r);
		return rc;
	}
	*trace_json = summary_trace(r, rp->opt->trace);
	trace_close(r);
	if (!*trace_json)
		return fail("out of memory");

	if (rp->live_bytes_peak)
		rp->threads[rp->peak_thread].ops[rp->peak_op].flags |= OP_SNAPSHOT;
	/* Links become pointers now that the arrays stay put. */
	for (uint32_t t = 0; t < rp->nr_threads; t++)
		for (size_t i = 0; i < rp->threads[t].nr_ops; i++) {
			op_t *op = &rp->threads[t].ops[i];
			op->src.op = op->src.ref ? op_of_ref(rp, op->src.ref) : NULL;
		}
	/* The objects still live at the end: freed after the measurements. */
	for (size_t i = 0; i < nr_objs; i++)
		rp->nr_live += rp->objs_state[i].live;
	rp->live = malloc((rp->nr_live ? rp->nr_live : 1) * sizeof(*rp->live));
	if (!rp->live)
		return fail("out of memory");
	rp->nr_live = 0;
	for (size_t i = 0; i < nr_objs; i++)
		if (rp->objs_state[i].live)
			rp->live[rp->nr_live++] = op_of_ref(rp, rp->objs_state[i].producer);
	unmap_array(rp->objs_state, nr_objs * sizeof(*rp->objs_state));
	rp->objs_state = NULL;
	return 0;
}

/* ---------------------------------------------------------------- memory figures */

/* A field of /proc/self/status in bytes ("VmHWM", "VmRSS"), or 0 when unreadable. */
static uint64_t proc_status_bytes(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	size_t len = strlen(field);
	uint64_t kb = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, len) && line[len] == ':') {
			kb = strtoull(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kb * 1024;
}

/* Reset VmHWM to the current RSS (clear_refs "5", Linux 4.0).  Returns true on success. */
static bool rss_peak_reset(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");
	bool ok;

	if (!f)
		return false;
	ok = fputs("5", f) >= 0;
	ok = (fclose(f) == 0) && ok;
	return ok;
}

#define MAX_ALLOC_STATS 8

/* The allocator's own figures at one moment (bytes). */
typedef struct alloc_stats {
	unsigned nr;
	const char *name[MAX_ALLOC_STATS];      /* "stats.allocated", ... */
	uint64_t value[MAX_ALLOC_STATS];
	bool valid[MAX_ALLOC_STATS];            /* the allocator answered */
	double frag;                            /* its resident / its allocated, < 0 = NA */
	const char *frag_metric;                /* result name of frag */
	uint64_t rss;                           /* VmRSS, bytes */
} alloc_stats_t;

static int (*je_mallctl)(const char *, void *, size_t *, void *, size_t);
static void (*mi_process_info_fn)(size_t *, size_t *, size_t *, size_t *, size_t *, size_t *,
				  size_t *, size_t *);
static int (*tc_get_property)(const char *, size_t *);

static void stat_add(alloc_stats_t *s, const char *name, uint64_t v, bool valid)
{
	if (s->nr == MAX_ALLOC_STATS)
		return;
	s->name[s->nr] = name;
	s->value[s->nr] = v;
	s->valid[s->nr] = valid;
	s->nr++;
}

static uint64_t stat_get(const alloc_stats_t *s, const char *name, bool *valid)
{
	for (unsigned i = 0; i < s->nr; i++)
		if (!strcmp(s->name[i], name)) {
			*valid = *valid && s->valid[i];
			return s->value[i];
		}
	*valid = false;
	return 0;
}

static double ratio(uint64_t num, uint64_t den, bool valid)
{
	return valid && den ? (double)num / (double)den : -1.0;
}

/*
 * Read allocator name's statistics into *s.  live is the requested bytes
 * live now (mimalloc reports no allocated-bytes total).
 */
static void alloc_stats_read(const char *name, alloc_stats_t *s, uint64_t live)
{
	bool v = true;

	memset(s, 0, sizeof(*s));
	s->frag = -1.0;
	s->frag_metric = "fragmentation.resident_over_allocated";
	if (!strcmp(name, "jemalloc")) {
		static const char *const keys[] = {
			"stats.allocated", "stats.active", "stats.resident", "stats.mapped",
			"stats.retained",
		};
		uint64_t epoch = 1;
		size_t sz = sizeof(epoch);

		je_mallctl("epoch", &epoch, &sz, &epoch, sz);
		for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			size_t val = 0;
			sz = sizeof(val);
			bool ok = je_mallctl(keys[i], &val, &sz, NULL, 0) == 0;
			stat_add(s, keys[i], val, ok);
		}
		/* stats.resident over stats.allocated */
		uint64_t res = stat_get(s, "stats.resident", &v);
		s->frag = ratio(res, stat_get(s, "stats.allocated", &v), v);
	} else if (!strcmp(name, "mimalloc")) {
		size_t elapsed, user, sys, rss = 0, peak_rss = 0, commit = 0, peak_commit = 0, faults;

		mi_process_info_fn(&elapsed, &user, &sys, &rss, &peak_rss, &commit, &peak_commit,
				   &faults);
		stat_add(s, "current_rss", rss, true);
		stat_add(s, "peak_rss", peak_rss, true);
		stat_add(s, "current_commit", commit, true);
		stat_add(s, "peak_commit", peak_commit, true);
		/* mimalloc counts no allocated bytes: its commit over the live requested bytes */
		s->frag_metric = "fragmentation.commit_over_live_requested";
		s->frag = ratio(commit, live, true);
	} else if (!strcmp(name, "tcmalloc")) {
		static const char *const keys[] = {
			"generic.current_allocated_bytes", "generic.heap_size",
			"tcmalloc.pageheap_free_bytes", "tcmalloc.pageheap_unmapped_bytes",
			"generic.total_physical_bytes",
		};
		for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			size_t val = 0;
			bool ok = tc_get_property(keys[i], &val) != 0;
			stat_add(s, keys[i], val, ok);
		}
		/* (heap_size - pageheap_unmapped_bytes) over current_allocated_bytes */
		uint64_t heap = stat_get(s, "generic.heap_size", &v);
		uint64_t unmapped = stat_get(s, "tcmalloc.pageheap_unmapped_bytes", &v);
		uint64_t alloc = stat_get(s, "generic.current_allocated_bytes", &v);
		s->frag = ratio(heap - (unmapped < heap ? unmapped : heap), alloc, v);
	} else {
		struct mallinfo2 mi = mallinfo2();

		stat_add(s, "arena", mi.arena, true);
		stat_add(s, "uordblks", mi.uordblks, true);
		stat_add(s, "fordblks", mi.fordblks, true);
		stat_add(s, "hblkhd", mi.hblkhd, true);
		/* (arena + hblkhd) over (uordblks + hblkhd): heap held over heap in use */
		s->frag = ratio(mi.arena + mi.hblkhd, mi.uordblks + mi.hblkhd, true);
	}
	s->rss = proc_status_bytes("VmRSS");
}

/* ---------------------------------------------------------------- allocator check */

typedef struct allocator_info {
	const struct allocator_def *def;
	char library[512];      /* file the malloc in use comes from */
	char version[128];
	const char *replaced_by;        /* "AddressSanitizer", ... when a sanitizer owns malloc */
	unsigned nr_subst;              /* entry points replaced by an equivalent call: */
	const char *subst_name[8];      /* which */
	const char *subst_how[8];       /* by what */
} allocator_info_t;

/* The file that defines the code at addr, or "" when unknown. */
static const char *object_of(void *addr)
{
	Dl_info info;

	if (!addr || !dladdr(addr, &info) || !info.dli_fname)
		return "";
	return info.dli_fname;
}

static bool from_library(void *addr, const char *stem)
{
	const char *file = object_of(addr);
	const char *base = strrchr(file, '/');

	base = base ? base + 1 : file;
	return !strncmp(base, stem, strlen(stem));
}

/*
 * Resolve the entry points and make sure they belong to the allocator asked
 * for.  Returns 0, or EXIT_ERROR after printing why.
 */
static int allocator_bind(const char *name, allocator_info_t *ai)
{
	const struct allocator_def *def = NULL;

	for (size_t i = 0; i < sizeof(allocators) / sizeof(allocators[0]); i++)
		if (!strcmp(allocators[i].name, name))
			def = &allocators[i];
	if (!def)
		return cli_usage_error("baseline",
				       "unknown allocator '%s' (known: jemalloc, glibc, mimalloc, tcmalloc)",
				       name);
	memset(ai, 0, sizeof(*ai));
	ai->def = def;

#define BIND(f) (*(void **)&fn.f = dlsym(RTLD_DEFAULT, #f))
	BIND(malloc);
	BIND(calloc);
	BIND(realloc);
	BIND(reallocarray);
	BIND(free);
	BIND(posix_memalign);
	BIND(aligned_alloc);
	BIND(memalign);
	BIND(valloc);
	BIND(pvalloc);
#undef BIND
	snprintf(ai->library, sizeof(ai->library), "%s", object_of((void *)fn.malloc));

	const char *sanitizer = dlsym(RTLD_DEFAULT, "__asan_init") ? "AddressSanitizer" :
				dlsym(RTLD_DEFAULT, "__tsan_init") ? "ThreadSanitizer" :
				dlsym(RTLD_DEFAULT, "__msan_init") ? "MemorySanitizer" : NULL;
	void *probe = dlsym(RTLD_DEFAULT, def->probe);
	if (def->soname) {
		if (sanitizer)
			return fail("%s cannot be measured in a sanitizer build (%s replaces malloc)",
				    name, sanitizer);
		if (!probe || !from_library(probe, def->stem) ||
		    !from_library((void *)fn.malloc, def->stem))
			return fail("%s is not loaded (LD_PRELOAD failed?): malloc comes from %s",
				    name, ai->library[0] ? ai->library : "an unknown object");
		/* The core entry points must be the library's own. */
		if (!from_library((void *)fn.free, def->stem) ||
		    !from_library((void *)fn.calloc, def->stem) ||
		    !from_library((void *)fn.realloc, def->stem) ||
		    !from_library((void *)fn.posix_memalign, def->stem))
			return fail("%s is loaded but not all of malloc, calloc, realloc, free, "
				    "posix_memalign come from it", name);
		/* Replace what it does not export by calls into it. */
#define SUBST(f, how)                                                              \
	do {                                                                       \
		if (!fn.f || !from_library((void *)fn.f, def->stem)) {             \
			fn.f = sub_##f;                                            \
			ai->subst_name[ai->nr_subst] = #f;                         \
			ai->subst_how[ai->nr_subst++] = how;                       \
		}                                                                  \
	} while (0)
		SUBST(reallocarray, "realloc(p, n * size) after an overflow check");
		SUBST(aligned_alloc, "posix_memalign");
		SUBST(memalign, "posix_memalign");
		SUBST(valloc, "posix_memalign(page size)");
		SUBST(pvalloc, "posix_memalign(page size, size rounded up to pages)");
#undef SUBST
	} else {
		/* glibc: malloc must be libc's, unless a sanitizer runtime owns it */
		for (size_t i = 0; i < sizeof(allocators) / sizeof(allocators[0]); i++)
			if (allocators[i].soname && dlsym(RTLD_DEFAULT, allocators[i].probe))
				return fail("glibc was asked for but %s is loaded (LD_PRELOAD set?)",
					    allocators[i].name);
		if (sanitizer)
			ai->replaced_by = sanitizer;
		else if (!from_library((void *)fn.malloc, def->stem))
			return fail("glibc is not the allocator in use: malloc comes from %s",
				    ai->library);
	}
	if (!fn.malloc || !fn.calloc || !fn.realloc || !fn.free || !fn.posix_memalign ||
	    !fn.reallocarray || !fn.aligned_alloc || !fn.memalign || !fn.valloc || !fn.pvalloc)
		return fail("%s: an allocator entry point could not be resolved", name);

	/* Statistics entry points and version. */
	if (!strcmp(name, "jemalloc")) {
		const char *v = NULL;
		size_t sz = sizeof(v);

		*(void **)&je_mallctl = probe;
		if (je_mallctl("version", &v, &sz, NULL, 0) == 0 && v)
			snprintf(ai->version, sizeof(ai->version), "%s", v);
	} else if (!strcmp(name, "mimalloc")) {
		int (*mi_version)(void);

		*(void **)&mi_process_info_fn = probe;
		*(void **)&mi_version = dlsym(RTLD_DEFAULT, "mi_version");
		if (mi_version) {
			int v = mi_version();       /* 209 = 2.0.9 (MI_MALLOC_VERSION) */
			snprintf(ai->version, sizeof(ai->version), "%d.%d.%d", v / 100,
				 v / 10 % 10, v % 10);
		}
	} else if (!strcmp(name, "tcmalloc")) {
		const char *(*tc_version)(int *, int *, const char **);

		*(void **)&tc_get_property = probe;
		*(void **)&tc_version = dlsym(RTLD_DEFAULT, "tc_version");
		if (tc_version) {
			int major, minor;
			const char *patch;
			snprintf(ai->version, sizeof(ai->version), "%s",
				 tc_version(&major, &minor, &patch));
		}
	} else {
		snprintf(ai->version, sizeof(ai->version), "%s", gnu_get_libc_version());
	}
	if (!ai->version[0])
		snprintf(ai->version, sizeof(ai->version), "unknown");
	return 0;
}

/* ---------------------------------------------------------------- replay */

static alloc_stats_t peak_stats;        /* taken by the thread that reaches the live peak */
static bool peak_stats_taken;
static const char *allocator_name;

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

static long futex(_Atomic uint32_t *addr, int op, uint32_t val)
{
	return syscall(SYS_futex, addr, op, val, NULL, NULL, 0);
}

/*
 * Wait until *ready is READY_YES (acquire): spin with pause, then
 * sched_yield(), then sleep on the futex -- on a machine with fewer CPUs
 * than busy threads, a spinning consumer would take the CPU from the very
 * thread it waits for.  Returns 1 when it had to wait, else 0.
 */
static uint64_t wait_for_slow(_Atomic uint32_t *ready)
{
	uint32_t v;

	for (unsigned n = 0; n < SPINS_BEFORE_YIELD + YIELDS_BEFORE_SLEEP; n++) {
		if (atomic_load_explicit(ready, memory_order_acquire) == READY_YES)
			return 1;
		if (n < SPINS_BEFORE_YIELD)
			cpu_relax();
		else
			sched_yield();
	}
	for (;;) {
		v = READY_NOT;
		if (!atomic_compare_exchange_strong_explicit(ready, &v, READY_SLEEPER,
							     memory_order_acquire,
							     memory_order_acquire) &&
		    v == READY_YES)
			return 1;
		futex(ready, FUTEX_WAIT_PRIVATE, READY_SLEEPER);
		if (atomic_load_explicit(ready, memory_order_acquire) == READY_YES)
			return 1;
	}
}

static inline uint64_t wait_for(_Atomic uint32_t *ready)
{
	if (atomic_load_explicit(ready, memory_order_acquire) == READY_YES)
		return 0;
	return wait_for_slow(ready);
}

/* Publish a result a consumer on another thread waits for (release). */
static inline void publish(_Atomic uint32_t *ready)
{
	if (atomic_exchange_explicit(ready, READY_YES, memory_order_release) == READY_SLEEPER)
		futex(ready, FUTEX_WAKE_PRIVATE, INT32_MAX);
}

static void *replay_thread_main(void *arg)
{
	replay_thread_t *th = arg;
	replay_t *rp = th->rp;
	const bool touch = rp->opt->touch;

	pthread_barrier_wait(&rp->barrier);
	for (size_t i = 0; i < th->nr_ops; i++) {
		op_t *op = &th->ops[i];
		const size_t size = op->size;
		const size_t align = (size_t)1 << op->align_log2;
		uint64_t t0, t1;
		void *p = NULL, *old = NULL;

		if (op->src.op) {
			if (op->flags & OP_WAIT)
				th->nr_waits += wait_for(&op->src.op->ready);
			old = op->src.op->ptr;
		}

		switch (op->func) {
		case TRACE_FN_MALLOC:
			t0 = clock_ticks();
			p = fn.malloc(size);
			t1 = clock_ticks();
			break;
		case TRACE_FN_CALLOC:
			t0 = clock_ticks();
			p = fn.calloc(1, size);
			t1 = clock_ticks();
			break;
		case TRACE_FN_REALLOC:
			t0 = clock_ticks();
			p = fn.realloc(old, size);
			t1 = clock_ticks();
			break;
		case TRACE_FN_REALLOCARRAY:
			t0 = clock_ticks();
			p = fn.reallocarray(old, 1, size);
			t1 = clock_ticks();
			break;
		case TRACE_FN_MEMALIGN:
			t0 = clock_ticks();
			p = fn.memalign(align, size);
			t1 = clock_ticks();
			break;
		case TRACE_FN_POSIX_MEMALIGN: {
			size_t a = align < sizeof(void *) ? sizeof(void *) : align;
			t0 = clock_ticks();
			int rc = fn.posix_memalign(&p, a, size);
			t1 = clock_ticks();
			if (rc)
				p = NULL;
			break;
		}
		case TRACE_FN_ALIGNED_ALLOC:
			t0 = clock_ticks();
			p = fn.aligned_alloc(align, size);
			t1 = clock_ticks();
			break;
		case TRACE_FN_VALLOC:
			t0 = clock_ticks();
			p = fn.valloc(size);
			t1 = clock_ticks();
			break;
		case TRACE_FN_PVALLOC:
			t0 = clock_ticks();
			p = fn.pvalloc(size);
			t1 = clock_ticks();
			break;
		default:        /* TRACE_FN_FREE */
			t0 = clock_ticks();
			fn.free(old);
			t1 = clock_ticks();
			break;
		}
		th->nr_calls[op->kind]++;
		if (!(op->flags & OP_WARMUP)) {
			hist_record(&th->hist[op->kind], t1 - t0);
			th->nr_measured[op->kind]++;
		}
		if (op->kind != KIND_FREE) {
			op->ptr = p;
			if (!p && size)
				th->nr_alloc_failures++;
			else if (touch && p)
				memset(p, TOUCH_BYTE, size);
			if (op->flags & OP_PUBLISH)
				publish(&op->ready);
		}
		if (op->flags & OP_SNAPSHOT) {
			alloc_stats_read(allocator_name, &peak_stats, rp->live_bytes_peak);
			peak_stats_taken = true;
		}
		if ((i + 1) % PROGRESS_EVERY == 0)
			atomic_store_explicit(&th->nr_done, i + 1, memory_order_relaxed);
	}
	th->end_ns = clock_mono_ns();
	atomic_store_explicit(&th->nr_done, th->nr_ops, memory_order_relaxed);
	atomic_fetch_add_explicit(&rp->nr_finished, 1, memory_order_release);
	return NULL;
}

/* Progress on stderr while the threads run (a terminal only), then join them. */
static void replay_wait(replay_t *rp)
{
	if (isatty(STDERR_FILENO)) {
		const struct timespec tick = { 0, 250 * 1000 * 1000 };

		while (atomic_load_explicit(&rp->nr_finished, memory_order_acquire) <
		       rp->nr_threads) {
			nanosleep(&tick, NULL);
			uint64_t nr = 0;
			for (uint32_t t = 0; t < rp->nr_threads; t++)
				nr += atomic_load_explicit(&rp->threads[t].nr_done,
							   memory_order_relaxed);
			double s = (double)(clock_mono_ns() - rp->start_ns) / 1e9;
			fprintf(stderr, "\r\033[K  replay: %" PRIu64 " of %" PRIu64
				" calls (%.0f%%), %.3g calls/s",
				nr, rp->nr_ops, rp->nr_ops ? 100.0 * (double)nr / (double)rp->nr_ops : 100.0,
				s > 0 ? (double)nr / s : 0.0);
		}
		fprintf(stderr, "\r\033[K");
	}
	for (uint32_t t = 0; t < rp->nr_threads; t++)
		pthread_join(rp->threads[t].pthread, NULL);
}

/* ---------------------------------------------------------------- output */


/* Rows "PREFIX.<stat>" (bytes) and the allocator's fragmentation ratio. */
static void results_add_stats(results_t *res, const char *prefix, const char *frag_prefix,
			      const alloc_stats_t *s)
{
	for (unsigned i = 0; i < s->nr; i++) {
		char metric[128];

		snprintf(metric, sizeof(metric), "%s.%s", prefix, s->name[i]);
		if (s->valid[i])
			results_add_u64(res, metric, s->value[i], "bytes", false);
		else
			results_add_na(res, metric, "bytes", false);
	}
	/* frag_metric is "fragmentation.<what>": insert frag_prefix after it */
	char metric[160];
	snprintf(metric, sizeof(metric), "%s%s", s->frag_metric, frag_prefix);
	if (s->frag >= 0)
		results_add_f64(res, metric, s->frag, 6, "ratio", false);
	else
		results_add_na(res, metric, "ratio", false);
}

static json_t *stats_json(const alloc_stats_t *s)
{
	json_t *o = json_object();

	for (unsigned i = 0; o && i < s->nr; i++)
		json_object_set_new(o, s->name[i],
				    s->valid[i] ? json_integer((json_int_t)s->value[i]) : json_null());
	return o;
}

/* A ratio row, NA when the denominator is 0. */
static void results_add_ratio(results_t *res, const char *metric, uint64_t num, uint64_t den)
{
	if (den)
		results_add_f64(res, metric, (double)num / (double)den, 6, "ratio", false);
	else
		results_add_na(res, metric, "ratio", false);
}

/*
 * The step clock_ticks() usually advances by (the most frequent difference
 * of two readings that differ), ns.  A TSC need not count one by one: AMD
 * Zen adds its multiplier at the 100 MHz reference clock, so readings come
 * in ~10 ns steps and a shorter call reads as 0 or one step.
 */
static double clock_resolution_ns(const struct clock_cal *cal)
{
	enum { MAX_STEP = 256 };
	static uint32_t nr[MAX_STEP];
	unsigned best = 1;

	for (int i = 0; i < 20000; i++) {
		uint64_t t0 = clock_ticks(), t1;

		while ((t1 = clock_ticks()) == t0)
			;
		if (t1 - t0 < MAX_STEP)
			nr[t1 - t0]++;
	}
	for (unsigned d = 1; d < MAX_STEP; d++)
		if (nr[d] > nr[best])
			best = d;
	return (double)best * cal->ns_per_tick;
}

static double mib(uint64_t bytes)
{
	return (double)bytes / (1024.0 * 1024.0);
}

/* What a replay measured, beside the threads' own counts. */
typedef struct measured {
	uint64_t wall_ns;               /* release of the threads to the last one's end */
	bool hwm_reset;                 /* VmHWM was reset before the replay */
	uint64_t rss_before;            /* VmRSS before the replay, bytes */
	uint64_t rss_peak;              /* VmHWM after it, bytes */
	uint64_t rss_final;             /* VmRSS after it, leftovers still allocated */
	uint64_t maxrss;                /* getrusage ru_maxrss (whole run), bytes */
	alloc_stats_t stats;            /* the allocator's statistics after the replay */
	hist_t hist[NR_KINDS];          /* latency per kind, ticks, all threads */
	uint64_t nr_calls[NR_KINDS];    /* calls per kind, warm-up included */
	uint64_t nr_waits;              /* cross-thread waits that had to spin */
	uint64_t nr_alloc_failures;
	double clock_resolution_ns;     /* smallest step of clock_ticks() */
	/*
	 * wall_ns / calls replayed: as `mmbench replay`'s replay_ns_per_event,
	 * the wall time of the replay phase over the events that phase replays
	 * (here only malloc-family calls, the rest are skipped), so the two
	 * agree in definition on a malloc-only trace.  They differ in what the
	 * phase holds: here the trace was decoded before it and each call is
	 * timed with two clock readings and its memory touched (--touch=alloc);
	 * the engine decodes as it goes and reads the clock once per event.
	 */
	double ns_per_event;
	double events_per_s;
} measured_t;

/*
 * Replay rp's calls: histograms, threads, barrier, counters around the
 * replay, memory figures at its end, then the leftover objects freed and
 * the threads' histograms merged into m.  Returns 0 or EXIT_ERROR.
 */
static int replay_run(replay_t *rp, hw_counters_t *hc, measured_t *m)
{
	uint64_t highest = (uint64_t)((double)HIST_HIGHEST / rp->cal.ns_per_tick);
	struct rusage ru;
	int rc;

	for (uint32_t t = 0; t < rp->nr_threads; t++) {
		replay_thread_t *th = &rp->threads[t];
		bool used[NR_KINDS] = { false };

		for (size_t i = 0; i < th->nr_ops; i++)
			if (!(th->ops[i].flags & OP_WARMUP))
				used[th->ops[i].kind] = true;
		for (unsigned k = 0; k < NR_KINDS; k++)
			if (used[k] && hist_init(&th->hist[k], highest, HIST_SIGFIGS))
				return fail("out of memory for histograms");
	}
	if (pthread_barrier_init(&rp->barrier, NULL, rp->nr_threads + 1))
		return fail("pthread_barrier_init failed");
	hw_counters_open(hc);       /* before the threads: inherit covers them */
	for (uint32_t t = 0; t < rp->nr_threads; t++) {
		rc = pthread_create(&rp->threads[t].pthread, NULL, replay_thread_main,
				    &rp->threads[t]);
		if (rc)
			return fail("cannot start replay thread %u of %u: %s", t, rp->nr_threads,
				    strerror(rc));
	}
	m->hwm_reset = rss_peak_reset();
	m->rss_before = proc_status_bytes("VmRSS");
	hw_counters_start(hc);
	rp->start_ns = clock_mono_ns();
	pthread_barrier_wait(&rp->barrier);
	replay_wait(rp);
	hw_counters_stop(hc);
	uint64_t end_ns = rp->start_ns;
	for (uint32_t t = 0; t < rp->nr_threads; t++)
		if (rp->threads[t].end_ns > end_ns)
			end_ns = rp->threads[t].end_ns;
	m->wall_ns = end_ns - rp->start_ns;
	m->ns_per_event = rp->nr_ops ? (double)m->wall_ns / (double)rp->nr_ops : 0.0;
	m->events_per_s = m->wall_ns ? (double)rp->nr_ops * 1e9 / (double)m->wall_ns : 0.0;

	/* memory figures before the leftovers are freed */
	m->rss_peak = proc_status_bytes("VmHWM");
	m->rss_final = proc_status_bytes("VmRSS");
	m->maxrss = getrusage(RUSAGE_SELF, &ru) == 0 ? (uint64_t)ru.ru_maxrss * 1024 : 0;
	alloc_stats_read(rp->opt->allocator, &m->stats, rp->live_bytes);
	for (size_t i = 0; i < rp->nr_live; i++)
		fn.free(rp->live[i]->ptr);
	hw_counters_close(hc);

	/* (allocated only now, to stay out of the allocator statistics) */
	for (unsigned k = 0; k < NR_KINDS; k++)
		if (hist_init(&m->hist[k], highest, HIST_SIGFIGS))
			return fail("out of memory for histograms");
	for (uint32_t t = 0; t < rp->nr_threads; t++) {
		replay_thread_t *th = &rp->threads[t];

		m->nr_waits += th->nr_waits;
		m->nr_alloc_failures += th->nr_alloc_failures;
		for (unsigned k = 0; k < NR_KINDS; k++) {
			m->nr_calls[k] += th->nr_calls[k];
			if (th->hist[k].counts && hist_add(&m->hist[k], &th->hist[k]))
				return fail("histogram merge failed");
			hist_destroy(&th->hist[k]);
		}
	}
	return 0;
}

/* The results.csv rows of a replay.  Returns NULL when out of memory. */
static results_t *report_results(const replay_t *rp, const measured_t *m,
				 const hw_counters_t *hc, const char *name)
{
	const double ns_per_tick = rp->cal.ns_per_tick;
	const uint64_t before = m->rss_before;
	results_t *res = results_create(name, "native", rp->opt->allocator);
	char metric[128];

	if (!res)
		return NULL;
	results_add_u64(res, "events_total", rp->nr_events, "events", true);
	results_add_u64(res, "events_replayed", rp->nr_ops, "events", true);
	results_add_u64(res, "events_skipped.kernel", rp->nr_skipped_kernel, "events", true);
	results_add_u64(res, "events_skipped.not_malloc_family", rp->nr_skipped_other, "events",
			true);
	results_add_u64(res, "events_skipped.unknown_free", rp->nr_unknown_frees, "events", true);
	results_add_u64(res, "unknown_frees", rp->nr_unknown_frees, "events", true);
	results_add_u64(res, "unknown_reallocs", rp->nr_unknown_reallocs, "events", true);
	results_add_u64(res, "allocs_of_live_id", rp->nr_alloc_of_live, "events", true);
	results_add_u64(res, "threads", rp->nr_threads, "threads", true);
	results_add_u64(res, "tids", rp->nr_tids, "threads", true);
	results_add_u64(res, "tids_folded", rp->nr_tids_folded, "threads", true);
	results_add_u64(res, "cross_thread_calls", rp->nr_cross_thread, "events", true);
	results_add_u64(res, "cross_thread_waits", m->nr_waits, "events", false);
	results_add_u64(res, "alloc_failures", m->nr_alloc_failures, "events", false);
	results_add_f64(res, "replay_ns_per_event", m->ns_per_event, 6, "ns", false);
	results_add_f64(res, "events_per_s", m->events_per_s, 6, "events/s", false);
	results_add_u64(res, "wall_ns", m->wall_ns, "ns", false);
	results_add_f64(res, "clock_overhead_ns", rp->cal.overhead_ns, 4, "ns", false);
	results_add_f64(res, "clock_resolution_ns", m->clock_resolution_ns, 4, "ns", false);
	for (unsigned k = 0; k < NR_KINDS; k++) {
		const hist_t *h = &m->hist[k];

		if (!hist_count(h))
			continue;
		results_add_latency(res, "latency_ns", kind_names[k], h, ns_per_tick, false);
	}
	for (unsigned k = 0; k < NR_KINDS; k++) {
		snprintf(metric, sizeof(metric), "count.%s", kind_names[k]);
		results_add_u64(res, metric, m->nr_calls[k], "calls", true);
	}
	results_add_u64(res, "rss_before_replay_bytes", before, "bytes", false);
	if (m->hwm_reset)
		results_add_u64(res, "rss_peak_bytes", m->rss_peak, "bytes", false);
	else
		results_add_na(res, "rss_peak_bytes", "bytes", false);
	results_add_u64(res, "rss_maxrss_bytes", m->maxrss, "bytes", false);
	results_add_u64(res, "rss_final_bytes", m->rss_final, "bytes", false);
	results_add_u64(res, "live_bytes_final", rp->live_bytes, "bytes", true);
	results_add_u64(res, "live_bytes_peak", rp->live_bytes_peak, "bytes", true);
	results_add_stats(res, "alloc_stats", "", &m->stats);
	/* RSS growth over the replay against the bytes the trace holds live */
	results_add_ratio(res, "fragmentation.rss_growth_over_live_requested",
			  m->rss_final > before ? m->rss_final - before : 0, rp->live_bytes);
	if (m->hwm_reset)
		results_add_ratio(res, "fragmentation.rss_peak_growth_over_live_peak_requested",
				  m->rss_peak > before ? m->rss_peak - before : 0,
				  rp->live_bytes_peak);
	if (peak_stats_taken) {
		results_add_u64(res, "rss_at_live_peak_bytes", peak_stats.rss, "bytes", false);
		results_add_stats(res, "alloc_stats_at_live_peak", ".at_live_peak", &peak_stats);
		results_add_ratio(res, "fragmentation.rss_growth_over_live_requested.at_live_peak",
				  peak_stats.rss > before ? peak_stats.rss - before : 0,
				  rp->live_bytes_peak);
	}
	hw_counters_results(hc, res);
	return res;
}

/* summary.json: run context, trace, allocator, options, replay, counters.  NULL when out of memory. */
static json_t *report_summary(const replay_t *rp, const measured_t *m, const hw_counters_t *hc,
			      const allocator_info_t *ai, json_t *trace_json)
{
	const options_t *opt = rp->opt;
	json_t *sum = summary_begin("baseline");
	json_t *hw = json_object(), *subst = json_object();

	for (unsigned i = 0; subst && i < ai->nr_subst; i++)
		json_object_set_new(subst, ai->subst_name[i], json_string(ai->subst_how[i]));
	json_t *alloc = json_pack("{s:s,s:s,s:s,s:o*}", "name", opt->allocator,
				  "library", ai->library, "version", ai->version,
				  "substituted", subst);
	if (alloc && ai->replaced_by)
		json_object_set_new(alloc, "replaced_by", json_string(ai->replaced_by));
	json_t *options = json_pack("{s:s,s:I,s:I}", "touch", opt->touch ? "alloc" : "none",
				    "warmup_events", (json_int_t)opt->warmup,
				    "threads_max", (json_int_t)opt->threads_max);
	json_t *replay = json_pack("{s:I,s:I,s:I,s:{s:b,s:f,s:f,s:f},s:b,s:o*,s:o*}",
				   "threads", (json_int_t)rp->nr_threads,
				   "tids", (json_int_t)rp->nr_tids,
				   "tids_folded", (json_int_t)rp->nr_tids_folded,
				   "clock", "tsc", rp->cal.tsc, "ns_per_tick", rp->cal.ns_per_tick,
				   "overhead_ns", rp->cal.overhead_ns,
				   "resolution_ns", m->clock_resolution_ns,
				   "rss_peak_reset", m->hwm_reset,
				   "alloc_stats_final", stats_json(&m->stats),
				   "alloc_stats_at_live_peak",
				   peak_stats_taken ? stats_json(&peak_stats) : json_null());
	if (!sum || !hw || !alloc || !options || !replay || hw_counters_json(hc, hw) ||
	    json_object_set_new(sum, "trace", trace_json) ||
	    json_object_set_new(sum, "allocator", alloc) ||
	    json_object_set_new(sum, "options", options) ||
	    json_object_set_new(sum, "replay", replay) ||
	    json_object_set_new(sum, "hw_counters", hw)) {
		json_decref(sum);
		return NULL;
	}
	return sum;
}

/* Write DIR/results.csv, DIR/latency/<kind>.hgrm, DIR/summary.json.  Returns 0 or EXIT_ERROR. */
static int report_write(const char *dir, const results_t *res, const measured_t *m,
			double ns_per_tick, const json_t *sum)
{
	char path[4096], err[512];

	snprintf(path, sizeof(path), "%s/latency", dir);
	if (mkdir_p(path))
		return fail("cannot create %s: %s", path, strerror(errno));
	if (results_save(res, dir, err, sizeof(err)))
		return fail("%s", err);
	for (unsigned k = 0; k < NR_KINDS; k++) {
		snprintf(path, sizeof(path), "%s/latency/%s.hgrm", dir, kind_names[k]);
		if (!hist_count(&m->hist[k])) {
			unlink(path);       /* a stale one from an earlier run */
			continue;
		}
		if (hist_save_hgrm(&m->hist[k], path, 1.0 / ns_per_tick, err, sizeof(err)))
			return fail("%s", err);
	}
	if (summary_save(dir, sum, err, sizeof(err)))
		return fail("%s", err);
	return 0;
}

int main(int argc, char **argv)
{
	static replay_t rp;
	static measured_t m;
	options_t opt;
	allocator_info_t ai;
	json_t *trace_json = NULL;
	hw_counters_t hc;
	char name[256];
	int rc;

	rc = parse_options(argc, argv, &opt);
	if (rc >= 0)
		return rc;
	rp.opt = &opt;
	page_size = (size_t)sysconf(_SC_PAGESIZE);
	allocator_name = opt.allocator;
	rc = allocator_bind(opt.allocator, &ai);
	if (rc)
		return rc;

	/* 1. decode: everything that can fail on the input fails here */
	rc = decode_trace(&rp, &trace_json);
	if (rc)
		return rc;
	trace_name_from_path(opt.trace, name, sizeof(name));

	/* 2. replay */
	clock_calibrate(&rp.cal, 20);
	m.clock_resolution_ns = clock_resolution_ns(&rp.cal);
	rc = replay_run(&rp, &hc, &m);
	if (rc)
		return rc;

	/* 3. report */
	results_t *res = report_results(&rp, &m, &hc, name);
	json_t *sum = report_summary(&rp, &m, &hc, &ai, trace_json);
	if (!res || !sum)
		return fail("out of memory");
	rc = report_write(opt.dir, res, &m, rp.cal.ns_per_tick, sum);
	json_decref(sum);
	results_destroy(res);
	for (unsigned k = 0; k < NR_KINDS; k++)
		hist_destroy(&m.hist[k]);
	if (rc)
		return rc;

	if (rp.nr_tids_folded)
		fprintf(stderr, "mmbench: %u of %u traced threads folded onto %u replay threads "
			"(--threads-max %u)\n", rp.nr_tids_folded, rp.nr_tids, rp.nr_threads,
			opt.threads_max);
	printf("%s %s: %" PRIu64 " events, %" PRIu64 " replayed, %.4g events/s, %.3g ns/event, "
	       "peak RSS %.1f MiB -> %s\n",
	       opt.allocator, name, rp.nr_events, rp.nr_ops, m.events_per_s, m.ns_per_event,
	       mib(m.hwm_reset ? m.rss_peak : m.maxrss), opt.dir);
	return fflush(stdout) ? EXIT_ERROR : EXIT_OK;
}
