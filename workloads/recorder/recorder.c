/*
 * recorder.c - libmmbench-record.so, the user-level recorder.  `mmbench
 * record` injects it with LD_PRELOAD and sets MMBENCH_RECORD_DIR; without
 * that variable every wrapper only forwards to the real function.
 *
 * What it intercepts: the malloc family, mmap/munmap/mremap/mprotect/madvise,
 * brk/sbrk, fork, vfork (x86-64), clone, pthread_create, the exec family,
 * exit/_exit/_Exit, sigaction/signal for the fatal signals it flushes on,
 * and the blocking waits (wait, waitpid, wait3, wait4, waitid,
 * pthread_join), around which it flushes with REC_WAIT.
 * Calls glibc makes internally (its own malloc's mmap and brk, the loader's
 * mmaps, posix_spawn's clone) do not go through the PLT and are not seen.
 *
 * Streams: each thread appends records (rec_raw.h: 16 bytes for most
 * malloc and free calls, else 32) to a private buffer of REC_BUF_UNITS
 * 16-byte units; a full buffer is appended to
 * DIR/t.<pid>.<tid>.raw by open/write/close (no descriptor stays open, so a
 * program that closes or reuses descriptors cannot hit ours).  A stream's
 * first record is flushed at once, so its file exists from then on: `mmbench
 * record` finalizes while the program runs and must know every stream that
 * may still hold early records (record_finalize.h).  No lock is
 * taken on any recording path; the thread list (for flushing every thread
 * at exit) is locked only when a thread starts.
 *
 * Timestamps: an allocation is stamped after the real call returns, a free
 * before it is made, so a pointer freed by one thread and returned to another
 * is always freed first in time.
 *
 * Lifecycle:
 *   - bootstrap: dlsym() may call calloc before the real one is known; those
 *     calls are served from a static arena and never recorded;
 *   - reentrancy: a thread-local guard makes every wrapper forward while the
 *     recorder itself runs (it calls no stdio and little libc);
 *   - fork: a pthread_atfork child handler drops the parent's unflushed
 *     records (the parent still has them) and starts the child's stream;
 *   - vfork: the child borrows the parent's memory, thread-local variables
 *     included, so the recorder records nothing in it: it only notes the
 *     child's pid for the parent, whose FORK (flag vfork) is written when the
 *     parent resumes, and writes the child's exec to the child's own file;
 *   - exec: the exec wrappers record EXEC and flush every thread first; the
 *     new image records REC_START, which confirms the exec.  When the program
 *     passes an environment without LD_PRELOAD or MMBENCH_RECORD_DIR, the
 *     wrappers put ours back so the new image keeps recording;
 *   - threads: pthread_create records the creation in the new thread's
 *     stream (finalize turns it into the creator's FORK); a pthread key
 *     destructor records the thread's EXIT and flushes; records a thread
 *     makes after its last destructor round are dropped and counted (lost);
 *   - exit: the library destructor (after the program's atexit handlers)
 *     records EXIT with main's return value or exit()'s status, writes the
 *     process's outcome (rusage, VmHWM, maps) and flushes every thread,
 *     each stream ending with REC_END (an exec ends the other threads' so);
 *     _exit and _Exit do the same before leaving;
 *   - signals: SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGTRAP, SIGSYS,
 *     SIGPIPE, SIGTERM, SIGINT, SIGHUP and SIGQUIT get the recorder's handler
 *     while their disposition is the default or a program handler (which it
 *     calls, with the flags and mask the program asked for); when the
 *     program's disposition is the default it records EXIT with code
 *     128 + signal, flushes, restores SIG_DFL and re-raises.  SIG_IGN is
 *     installed for real.  sigaction()/signal() report the program's own
 *     disposition back to it.
 * Not handled: SIGKILL and other uncatchable deaths lose the unflushed
 * records (at most REC_BUF_UNITS per thread); threads still running when
 * the process exits are flushed best-effort; clone(CLONE_VM) children
 * without CLONE_VFORK share the caller's thread-local state and are not
 * supported.
 */
#include <dlfcn.h>
#include <limits.h>
#include <malloc.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <sys/rseq.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "rec_raw.h"
#include "traces/trace.h"

#define likely(x)       __builtin_expect(!!(x), 1)
#define unlikely(x)     __builtin_expect(!!(x), 0)
#define EXPORT          __attribute__((visibility("default")))

#define REC_BUF_UNITS   16384           /* 16-byte units per thread buffer (256 KiB) */
#define REC_PATH_MAX    4096            /* bytes of a file name we build */
#define REC_ARENA_BYTES 65536           /* bootstrap arena for dlsym's callocs */

typedef struct rec_thread {
	unsigned char *buf;             /* REC_BUF_UNITS units (mmap) */
	uint32_t n;                     /* units used in buf */
	bool fresh;                     /* nothing flushed yet: the first item is
					 * flushed as soon as it is complete, so that
					 * a new stream is on disk (and the finalizer
					 * knows it) from its first record on */
	uint32_t tid;                   /* gettid() of the owner */
	bool closed;                    /* exited: records are dropped */
	int destructor_rounds;          /* pthread key destructor calls */
	volatile bool vfork_pending;    /* vfork() in flight on this thread */
	volatile uint32_t vfork_child;  /* set by the vfork child: its pid */
	uint64_t vfork_ts;              /* clock ticks, when vfork was called */
	uint64_t sync_ticks;            /* rec_clock() at the last flush ... */
	uint64_t sync_ns;               /* ... and CLOCK_MONOTONIC then */
	uint64_t last_ticks;            /* clock of the buffer's last record; 0: none */
	const uint32_t *rseq_cpu;       /* cpu_id of the thread's rseq area, or NULL */
	struct rec_thread *next;        /* all threads of the process */
} rec_thread_t;

static __thread rec_thread_t *tls_self __attribute__((tls_model("initial-exec")));
static __thread int tls_guard __attribute__((tls_model("initial-exec")));

/* Process state. */
static bool rec_enabled;                /* MMBENCH_RECORD_DIR set and usable */
static bool rec_inited;
static bool rec_exited;                 /* EXIT recorded: stop recording */
static char rec_dir[REC_PATH_MAX - 64]; /* the recording directory */
static char rec_env[2][REC_PATH_MAX + 32];      /* "LD_PRELOAD=...", "MMBENCH_RECORD_DIR=..." */
static uint32_t rec_pid;                /* getpid() of this process */
static pthread_key_t rec_key;
static pthread_mutex_t rec_threads_lock = PTHREAD_MUTEX_INITIALIZER;
static rec_thread_t *rec_threads;       /* list of every thread's state */
static uint64_t rec_lost;               /* records dropped (atomic adds) */
static int rec_exit_code;               /* main's return or exit()'s status */

/* The real functions. */
static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void *(*real_reallocarray)(void *, size_t, size_t);
static void (*real_free)(void *);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_memalign)(size_t, size_t);
static void *(*real_valloc)(size_t);
static void *(*real_pvalloc)(size_t);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
static int (*real_munmap)(void *, size_t);
static void *(*real_mremap)(void *, size_t, size_t, int, ...);
static int (*real_mprotect)(void *, size_t, int);
static int (*real_madvise)(void *, size_t, int);
static int (*real_brk)(void *);
static void *(*real_sbrk)(intptr_t);
static pid_t (*real_fork)(void);
static pid_t (*real_vfork)(void);
static int (*real_clone)(int (*)(void *), void *, int, void *, ...);
static int (*real_pthread_create)(pthread_t *, const pthread_attr_t *,
				  void *(*)(void *), void *);
static int (*real_execve)(const char *, char *const[], char *const[]);
static int (*real_execvpe)(const char *, char *const[], char *const[]);
static int (*real_fexecve)(int, char *const[], char *const[]);
static void (*real_exit)(int) __attribute__((noreturn));
static void (*real_exit_)(int) __attribute__((noreturn));
static int (*real_sigaction)(int, const struct sigaction *, struct sigaction *);
static pid_t (*real_wait)(int *);
static pid_t (*real_waitpid)(pid_t, int *, int);
static pid_t (*real_wait3)(int *, int, struct rusage *);
static pid_t (*real_wait4)(pid_t, int *, int, struct rusage *);
static int (*real_waitid)(idtype_t, id_t, siginfo_t *, int);
static int (*real_pthread_join)(pthread_t, void **);
static int (*real_libc_start_main)(int (*)(int, char **, char **), int, char **,
				   void (*)(void), void (*)(void), void (*)(void), void *);

/* ---------------------------------------------------------------- bootstrap */

static _Alignas(16) char rec_arena[REC_ARENA_BYTES];
static size_t rec_arena_used;

static bool in_arena(const void *p)
{
	return (const char *)p >= rec_arena && (const char *)p < rec_arena + sizeof(rec_arena);
}

/* Zeroed memory for dlsym before the real allocator is known. */
static void *arena_alloc(size_t size)
{
	size_t at = __atomic_fetch_add(&rec_arena_used, (size + 15) & ~(size_t)15,
				       __ATOMIC_RELAXED);
	if (at + size > sizeof(rec_arena))
		return NULL;
	return rec_arena + at;
}

static void rec_init(void);

/* Resolve every real function once; dlsym's own allocations hit the arena. */
static void rec_resolve(void)
{
	static int resolving;

	if (real_malloc || __atomic_exchange_n(&resolving, 1, __ATOMIC_ACQ_REL))
		return;
	tls_guard++;
#define R(name, sym) (*(void **)&real_##name = dlsym(RTLD_NEXT, sym))
	R(calloc, "calloc");
	R(realloc, "realloc");
	R(reallocarray, "reallocarray");
	R(free, "free");
	R(posix_memalign, "posix_memalign");
	R(aligned_alloc, "aligned_alloc");
	R(memalign, "memalign");
	R(valloc, "valloc");
	R(pvalloc, "pvalloc");
	R(mmap, "mmap");
	R(munmap, "munmap");
	R(mremap, "mremap");
	R(mprotect, "mprotect");
	R(madvise, "madvise");
	R(brk, "brk");
	R(sbrk, "sbrk");
	R(fork, "fork");
	R(vfork, "vfork");
	R(clone, "clone");
	R(pthread_create, "pthread_create");
	R(execve, "execve");
	R(execvpe, "execvpe");
	R(fexecve, "fexecve");
	R(exit, "exit");
	R(exit_, "_exit");
	R(sigaction, "sigaction");
	R(wait, "wait");
	R(waitpid, "waitpid");
	R(wait3, "wait3");
	R(wait4, "wait4");
	R(waitid, "waitid");
	R(pthread_join, "pthread_join");
	R(libc_start_main, "__libc_start_main");
	void *m = dlsym(RTLD_NEXT, "malloc");
	__atomic_store_n((void **)&real_malloc, m, __ATOMIC_RELEASE);
#undef R
	tls_guard--;
}

/* ---------------------------------------------------------------- small helpers */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * The records' clock: the TSC on x86-64 (a third of clock_gettime's cost),
 * turned into CLOCK_MONOTONIC ns at each flush by interpolating between the
 * thread's previous and current (TSC, CLOCK_MONOTONIC) pairs.
 */
static inline uint64_t now_ns(void)
{
#if defined(__x86_64__)
	return __builtin_ia32_rdtsc();
#else
	return mono_ns();
#endif
}

/* Set t's clock pair to now. */
static void rec_sync(rec_thread_t *t)
{
	t->sync_ticks = now_ns();
	t->sync_ns = mono_ns();
}

/*
 * Turn the clock ticks of t's buffered records into CLOCK_MONOTONIC ns: a
 * full record's time, and a short record's tick delta, which becomes the ns
 * delta from the record before it.  Returns the number of records (slots).
 */
#if defined(__x86_64__)
/* n0 + (ticks - t0) * mult / 2^32: a tick count as ns from the sync point (t0, n0) */
static inline uint64_t ticks_to_ns(uint64_t ticks, uint64_t t0, uint64_t n0, uint64_t mult)
{
	int64_t d = (int64_t)(ticks - t0);
	uint64_t off = (uint64_t)(((unsigned __int128)(d < 0 ? -(uint64_t)d : (uint64_t)d) * mult) >> 32);

	return d < 0 ? n0 - off : n0 + off;
}
#endif

static uint32_t rec_convert(rec_thread_t *t)
{
	uint64_t t0 = t->sync_ticks, n0 = t->sync_ns;
	uint32_t nr = 0;

	rec_sync(t);
#if defined(__x86_64__)
	/* ns per tick over the buffer's span, in 32.32 fixed point */
	uint64_t dt = t->sync_ticks - t0, dn = t->sync_ns - n0;
	uint64_t mult = t->sync_ticks > t0 && t->sync_ns > n0 ?
		(uint64_t)(((unsigned __int128)dn << 32) / dt) : 0;
	uint64_t ticks = t0, prev_ns = n0;
#endif
	for (uint32_t i = 0; i < t->n; nr++) {
		unsigned char *u = t->buf + (size_t)i * REC_UNIT;
		if (rec_type_is_short(*u)) {
			i++;
#if defined(__x86_64__)
			rec_short_t *q = (rec_short_t *)u;
			ticks += q->dts;
			uint64_t ns = ticks_to_ns(ticks, t0, n0, mult);
			uint64_t d = ns > prev_ns ? ns - prev_ns : 0;
			q->dts = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
			prev_ns += q->dts;
#endif
			continue;
		}
		i += 2;
#if defined(__x86_64__)
		rec_raw_t *r = (rec_raw_t *)u;
		if (r->type == REC_DATA)
			continue;
		ticks = r->ts;
		r->ts = ticks_to_ns(ticks, t0, n0, mult);
		prev_ns = r->ts;
#endif
	}
	return nr;
}

/* The cpu_id field of the calling thread's rseq area, or NULL when rseq is off. */
static const uint32_t *rec_rseq_cpu(void)
{
	if (!__rseq_size)
		return NULL;
	return &((const struct rseq *)((char *)__builtin_thread_pointer() +
				       __rseq_offset))->cpu_id;
}

static __attribute__((noinline)) unsigned rec_cpu_slow(void)
{
	int cpu = sched_getcpu();
	return cpu < 0 ? 0 : (unsigned)cpu;
}

/*
 * The current cpu of t (the calling thread): the kernel keeps it in the
 * thread's rseq area, which glibc registers (one load through the pointer
 * rec_thread_new() kept, instead of sched_getcpu()'s call); sched_getcpu()
 * when rseq is off or not registered.
 */
static inline unsigned rec_cpu(const rec_thread_t *t)
{
	if (likely(t->rseq_cpu)) {
		uint32_t cpu = __atomic_load_n(t->rseq_cpu, __ATOMIC_RELAXED);
		if (likely((int32_t)cpu >= 0))
			return cpu;
	}
	return rec_cpu_slow();
}

static uint32_t sys_gettid(void)
{
	return (uint32_t)syscall(SYS_gettid);
}

/* Append decimal v to *p (async-signal-safe formatting).  Returns the end. */
static char *put_u64(char *p, uint64_t v)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_str(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

/* DIR/<prefix><pid><mid><tid><suffix> into buf (REC_PATH_MAX bytes). */
static void rec_path(char *buf, const char *prefix, uint32_t pid, uint32_t tid,
		     const char *suffix)
{
	char *p = put_str(buf, rec_dir);
	p = put_str(p, "/");
	p = put_str(p, prefix);
	p = put_u64(p, pid);
	if (tid) {
		*p++ = '.';
		p = put_u64(p, tid);
	}
	p = put_str(p, suffix);
	*p = 0;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Append len bytes to the file at path (created 0644).  Returns 0 or -1. */
static int append_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	int rc = write_all(fd, buf, len);
	close(fd);
	return rc;
}

/* ---------------------------------------------------------------- streams */

/* Write t's buffer to its file and empty it; errno is preserved. */
static __attribute__((noinline)) void rec_flush(rec_thread_t *t)
{
	uint32_t n = t->n;
	char path[REC_PATH_MAX];

	if (!n)
		return;
	int saved = errno;
	uint32_t nr = rec_convert(t);
	rec_path(path, "t.", rec_pid, t->tid, ".raw");
	if (append_file(path, t->buf, (size_t)n * REC_UNIT))
		__atomic_fetch_add(&rec_lost, nr, __ATOMIC_RELAXED);
	t->n = 0;
	t->fresh = false;
	t->last_ticks = 0;
	errno = saved;
}

/*
 * Flush every thread's buffer, each ending with REC_END (the stream is
 * complete: the finalizer stops waiting for it) but except's, whose stream
 * goes on (the thread that execs).  Other threads may still be running: as
 * rec_flush() of them at exit always was, this is racy by nature.
 */
static void rec_end_all(rec_thread_t *except)
{
	for (rec_thread_t *t = rec_threads; t; t = t->next) {
		if (t != except && !t->closed) {
			rec_raw_t *r = (rec_raw_t *)(t->buf + (size_t)t->n * REC_UNIT);
			memset(r, 0, sizeof(*r));
			r->type = REC_END;
			r->ts = t->last_ticks ? t->last_ticks : now_ns();
			t->n += 2;
		}
		rec_flush(t);
	}
}

/* The calling thread's state, created on first use; NULL when not recording. */
static rec_thread_t *rec_thread_new(void)
{
	if (!rec_inited)
		rec_init();
	if (tls_self)
		return tls_self;        /* rec_init() recorded the START: made it */
	if (!rec_enabled || tls_guard)
		return NULL;
	tls_guard++;
	int saved = errno;
	rec_thread_t *t = NULL;
	void *mem = real_mmap(NULL, sizeof(*t) + REC_BUF_UNITS * REC_UNIT,
			      PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem != MAP_FAILED) {
		t = mem;
		t->buf = (unsigned char *)(t + 1);
		t->tid = sys_gettid();
		t->rseq_cpu = rec_rseq_cpu();
		t->fresh = true;
		rec_sync(t);
		pthread_mutex_lock(&rec_threads_lock);
		t->next = rec_threads;
		rec_threads = t;
		pthread_mutex_unlock(&rec_threads_lock);
		pthread_setspecific(rec_key, t);
		tls_self = t;
	}
	errno = saved;
	tls_guard--;
	return t;
}

static void rec_emit_slow(rec_thread_t *t);

/*
 * The checks of rec_thread() that fail rarely, out of line: t (the calling
 * thread's state, NULL before its first record) when this call is recorded,
 * else NULL.
 */
static __attribute__((noinline)) rec_thread_t *rec_thread_slow(rec_thread_t *t)
{
	if (!rec_enabled && rec_inited)
		return NULL;
	if (tls_guard || rec_exited)
		return NULL;
	if (!t && !(t = rec_thread_new()))
		return NULL;
	if (t->vfork_pending) {
		rec_emit_slow(t);
		if (t->vfork_pending)
			return NULL;
	}
	if (t->closed) {
		__atomic_fetch_add(&rec_lost, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	return t;
}

/* The calling thread's state when this call is recorded, else NULL. */
static inline rec_thread_t *rec_thread(void)
{
	rec_thread_t *t = tls_self;

	if (unlikely(!t || t->vfork_pending || t->closed || tls_guard || rec_exited))
		return rec_thread_slow(t);
	return t;
}

/* Count t's full slot just filled; a buffer without room for another is written out. */
static inline void rec_commit(rec_thread_t *t)
{
	t->n += 2;
	if (unlikely(t->n > REC_BUF_UNITS - 2))
		rec_flush(t);
}

/*
 * A record slot of the calling thread, with ts and cpu filled in (x and
 * func 0), or NULL when this call is not recorded; rec_commit(*tp) makes it
 * count.
 */
static inline rec_raw_t *rec_slot(uint64_t ts, rec_thread_t **tp)
{
	rec_thread_t *t = rec_thread();

	if (!t)
		return NULL;
	rec_raw_t *r = (rec_raw_t *)(t->buf + (size_t)t->n * REC_UNIT);
	r->ts = ts;
	r->cpu = (uint16_t)rec_cpu(t);
	r->x = 0;
	r->func = 0;
	*tp = t;
	return r;
}

/* The fast path of every wrapper: one whole record, no call but a full buffer's flush. */
static inline void rec_put(uint8_t type, uint8_t func, uint64_t ts, uint64_t a0,
			   uint64_t a1, uint32_t x)
{
	rec_thread_t *t = rec_thread();

	if (!t)
		return;
	rec_raw_t *r = (rec_raw_t *)(t->buf + (size_t)t->n * REC_UNIT);
	r->ts = ts;
	r->a0 = a0;
	r->a1 = a1;
	r->x = x;
	r->cpu = (uint16_t)rec_cpu(t);
	r->func = func;
	r->type = type;
	t->last_ticks = ts;
	rec_commit(t);
	if (unlikely(t->fresh) && !(REC_TAIL_TYPES >> type & 1))
		rec_flush(t);
}

/* After the REC_DATA slots of a record put with rec_put(): its item is complete. */
static void rec_item_done(void)
{
	rec_thread_t *t = tls_self;

	if (t && unlikely(t->fresh))
		rec_flush(t);
}

/*
 * An ALLOC (size given) or FREE (size 0, type REC_FREE): a 16-byte
 * rec_short_t when the buffer holds an earlier record less than 2^31 ticks
 * before ts and the pointer and size fit, else a full record.
 */
static inline void rec_put_short(uint8_t type, uint8_t func, uint64_t ts, uint64_t ptr,
				 uint64_t size)
{
	rec_thread_t *t = rec_thread();

	if (!t)
		return;
	uint64_t dts = ts - t->last_ticks;
	if (unlikely(!t->last_ticks || dts >> 31 || ptr >> REC_SHORT_PTR_BITS ||
		     size > REC_SHORT_MAX_SIZE)) {
		rec_put(type, func, ts, ptr, size, 0);
		return;
	}
	rec_short_t *q = (rec_short_t *)(t->buf + (size_t)t->n * REC_UNIT);
	q->type = type == REC_ALLOC ? REC_ALLOC16 : REC_FREE16;
	q->func = func;
	q->cpu = (uint16_t)rec_cpu(t);
	q->dts = (uint32_t)dts;
	q->ptr_size = ptr | size << REC_SHORT_PTR_BITS;
	t->last_ticks = ts;
	if (unlikely(++t->n > REC_BUF_UNITS - 2))
		rec_flush(t);
}

/* A REC_DATA slot with three more arguments of the record just put. */
static void rec_put_data(uint64_t d0, uint64_t d1, uint64_t d2)
{
	rec_thread_t *t;
	rec_raw_t *r = rec_slot(0, &t);

	if (!r)
		return;
	r->ts = d0;
	r->a0 = d1;
	r->a1 = d2;
	r->type = REC_DATA;
	rec_commit(t);
}

/* A record whose x field matters (FORK, EXIT). */
static void rec_put_x(uint8_t type, uint32_t x, uint64_t ts, uint64_t a0)
{
	rec_put(type, 0, ts, a0, 0, x);
}

/* A string after a record: REC_DATA records of REC_DATA_BYTES each. */
static void rec_put_string(uint64_t ts, const char *s, size_t len)
{
	for (size_t off = 0; off < len; off += REC_DATA_BYTES) {
		rec_thread_t *t;
		rec_raw_t *r = rec_slot(ts, &t);
		if (!r)
			return;
		size_t k = len - off < REC_DATA_BYTES ? len - off : REC_DATA_BYTES;
		memset((char *)r + REC_DATA_OFFSET, 0, REC_DATA_BYTES);
		memcpy((char *)r + REC_DATA_OFFSET, s + off, k);
		r->type = REC_DATA;
		rec_commit(t);
	}
}

/*
 * The slow part of rec_slot: a vfork is pending on t.  In the child (another
 * tid on the same memory) nothing is recorded; in the parent, resumed, the
 * FORK is written with the time vfork was called.
 */
static void rec_emit_slow(rec_thread_t *t)
{
	int saved = errno;

	if (sys_gettid() != t->tid) {
		errno = saved;
		return;
	}
	t->vfork_pending = false;
	if (t->vfork_child)
		rec_put_x(REC_FORK, TRACE_FORK_VFORK, t->vfork_ts, t->vfork_child);
	errno = saved;
}

/* In a vfork child: true (and the parent learns our pid). */
static bool in_vfork_child(void)
{
	rec_thread_t *t = tls_self;

	if (!t || !t->vfork_pending)
		return false;
	int saved = errno;
	bool child = sys_gettid() != t->tid;
	if (child)
		t->vfork_child = (uint32_t)syscall(SYS_getpid);
	errno = saved;
	return child;
}

/* ---------------------------------------------------------------- process outcome */

/* Copy /proc/self/maps to DIR/p.<pid>.<which> (O_EXCL: keep the first). */
static void rec_save_maps(const char *which, int extra_flags)
{
	char path[REC_PATH_MAX], buf[4096];
	int in = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return;
	rec_path(path, "p.", rec_pid, 0, which);
	int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | extra_flags, 0644);
	if (out >= 0) {
		ssize_t n;
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (write_all(out, buf, (size_t)n))
				break;
		close(out);
	}
	close(in);
}

/* VmHWM of /proc/self/status, KiB (0 if unreadable). */
static uint64_t read_vmhwm_kb(void)
{
	char buf[8192];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	char *p = strstr(buf, "VmHWM:");
	if (!p)
		return 0;
	uint64_t v = 0;
	for (p += 6; *p == ' ' || *p == '\t'; p++)
		;
	for (; *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (uint64_t)(*p - '0');
	return v;
}

/* Write DIR/p.<pid>.exit and DIR/p.<pid>.maps_end. */
static void rec_save_outcome(void)
{
	char buf[512], path[REC_PATH_MAX], *p = buf;
	struct rusage ru;

	memset(&ru, 0, sizeof(ru));
	getrusage(RUSAGE_SELF, &ru);
	p = put_u64(put_str(p, "minflt "), (uint64_t)ru.ru_minflt);
	p = put_u64(put_str(p, "\nmajflt "), (uint64_t)ru.ru_majflt);
	p = put_u64(put_str(p, "\nmaxrss_kb "), (uint64_t)ru.ru_maxrss);
	p = put_u64(put_str(p, "\nvmhwm_kb "), read_vmhwm_kb());
	p = put_u64(put_str(p, "\nlost "), __atomic_load_n(&rec_lost, __ATOMIC_RELAXED));
	p = put_str(p, "\n");
	rec_path(path, "p.", rec_pid, 0, ".exit");
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		write_all(fd, buf, (size_t)(p - buf));
		close(fd);
	}
	rec_save_maps(".maps_end", 0);
}

/* The process ends (exit, _exit, fatal signal): EXIT, outcome, flush. */
static void rec_process_exit(int code)
{
	if (!rec_enabled || rec_exited || in_vfork_child())
		return;
	int saved = errno;
	rec_put(REC_EXIT, 0, now_ns(), (uint64_t)(int64_t)code, 0, 0);
	rec_exited = true;
	tls_guard++;
	rec_save_outcome();
	rec_end_all(NULL);
	tls_guard--;
	errno = saved;
}

/* ---------------------------------------------------------------- signals */

static const int rec_fatal_signals[] = {
	SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGTRAP, SIGSYS,
	SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT,
};
#define REC_NSIG 65
static struct sigaction rec_prog_sig[REC_NSIG]; /* the program's dispositions */
static bool rec_sig_hooked[REC_NSIG];           /* ours: a fatal signal above */

static void rec_sig_handler(int sig, siginfo_t *si, void *uc)
{
	struct sigaction *p = &rec_prog_sig[sig];

	if ((p->sa_flags & SA_SIGINFO) && p->sa_sigaction) {
		void (*fn)(int, siginfo_t *, void *) = p->sa_sigaction;
		if (p->sa_flags & SA_RESETHAND)
			p->sa_handler = SIG_DFL, p->sa_flags = 0;
		fn(sig, si, uc);
		return;
	}
	if (!(p->sa_flags & SA_SIGINFO) && p->sa_handler != SIG_DFL && p->sa_handler != SIG_IGN) {
		void (*fn)(int) = p->sa_handler;
		if (p->sa_flags & SA_RESETHAND)
			p->sa_handler = SIG_DFL, p->sa_flags = 0;
		fn(sig);
		return;
	}
	/* the program's disposition is the default: record and die of it */
	rec_process_exit(128 + sig);
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	real_sigaction(sig, &dfl, NULL);
	raise(sig);     /* blocked in the handler: delivered when it returns */
}

/* Put our handler in place with the program's flags and mask. */
static int rec_sig_install(int sig)
{
	const struct sigaction *p = &rec_prog_sig[sig];
	struct sigaction sa;

	if (p->sa_handler == SIG_IGN && !(p->sa_flags & SA_SIGINFO))
		return real_sigaction(sig, p, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = rec_sig_handler;
	sa.sa_mask = p->sa_mask;
	sa.sa_flags = (p->sa_flags & ~(SA_RESETHAND | SA_NODEFER)) | SA_SIGINFO;
	return real_sigaction(sig, &sa, NULL);
}

static void rec_sig_init(void)
{
	for (size_t i = 0; i < sizeof(rec_fatal_signals) / sizeof(rec_fatal_signals[0]); i++) {
		int sig = rec_fatal_signals[i];
		struct sigaction old;
		if (real_sigaction(sig, NULL, &old))
			continue;
		rec_prog_sig[sig] = old;
		if (old.sa_handler == SIG_IGN && !(old.sa_flags & SA_SIGINFO))
			continue;       /* inherited SIG_IGN: leave it */
		if (!rec_sig_install(sig))
			rec_sig_hooked[sig] = true;
	}
}

EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	if (!real_sigaction)
		rec_resolve();
	if (sig <= 0 || sig >= REC_NSIG || !rec_sig_hooked[sig] || tls_guard)
		return real_sigaction(sig, act, old);
	if (old)
		*old = rec_prog_sig[sig];
	if (act) {
		struct sigaction prev = rec_prog_sig[sig];
		rec_prog_sig[sig] = *act;
		if (rec_sig_install(sig)) {
			rec_prog_sig[sig] = prev;
			return -1;
		}
	}
	return 0;
}

EXPORT sighandler_t signal(int sig, sighandler_t handler)
{
	struct sigaction act, old;

	memset(&act, 0, sizeof(act));
	act.sa_handler = handler;
	act.sa_flags = SA_RESTART;
	sigemptyset(&act.sa_mask);
	if (sig > 0 && sig < REC_NSIG)
		sigaddset(&act.sa_mask, sig);
	if (sigaction(sig, &act, &old))
		return SIG_ERR;
	return old.sa_handler;
}

/* ---------------------------------------------------------------- process start */

static void rec_thread_destructor(void *arg);
static void rec_atfork_child(void);

static void rec_start_stream(void)
{
	char exe[REC_PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe));
	if (n < 0)
		n = 0;
	uint64_t ts = now_ns();
	rec_put(REC_START, 0, ts, (uint64_t)getppid(), (uint64_t)n, 0);
	rec_put_string(ts, exe, (size_t)n);
	rec_item_done();
}

static void rec_init(void)
{
	if (rec_inited)
		return;
	rec_resolve();
	if (!real_malloc)
		return;         /* still bootstrapping */
	tls_guard++;
	const char *dir = getenv(REC_DIR_ENV);
	if (dir && *dir && strlen(dir) < sizeof(rec_dir) &&
	    !pthread_key_create(&rec_key, rec_thread_destructor)) {
		strcpy(rec_dir, dir);
		const char *pre = getenv("LD_PRELOAD");
		if (pre && strlen(pre) < REC_PATH_MAX)
			strcat(strcpy(rec_env[0], "LD_PRELOAD="), pre);
		strcat(strcpy(rec_env[1], REC_DIR_ENV "="), dir);
		rec_pid = (uint32_t)getpid();
		pthread_atfork(NULL, NULL, rec_atfork_child);
		rec_sig_init();
		rec_save_maps(".maps_start", O_EXCL);
		rec_enabled = true;
	}
	rec_inited = true;
	tls_guard--;
	if (rec_enabled)
		rec_start_stream();
}

__attribute__((constructor)) static void rec_constructor(void)
{
	rec_init();
}

__attribute__((destructor)) static void rec_destructor(void)
{
	rec_process_exit(rec_exit_code);
}

static int (*rec_real_main)(int, char **, char **);
int __libc_start_main(int (*main)(int, char **, char **), int argc, char **argv,
		      void (*init)(void), void (*fini)(void), void (*rtld_fini)(void),
		      void *stack_end);

static int rec_main(int argc, char **argv, char **envp)
{
	int rc = rec_real_main(argc, argv, envp);
	rec_exit_code = rc;
	return rc;
}

/* Wrapped to learn main's return value, which libc passes to its internal exit. */
EXPORT int __libc_start_main(int (*main)(int, char **, char **), int argc, char **argv,
			     void (*init)(void), void (*fini)(void),
			     void (*rtld_fini)(void), void *stack_end)
{
	rec_resolve();
	rec_real_main = main;
	return real_libc_start_main(rec_main, argc, argv, init, fini, rtld_fini, stack_end);
}

/* In the child of fork(): a fresh stream for the one thread that survives. */
static void rec_atfork_child(void)
{
	rec_thread_t *t = tls_self;

	if (!rec_enabled)
		return;
	rec_pid = (uint32_t)getpid();
	pthread_mutex_init(&rec_threads_lock, NULL);
	rec_threads = NULL;
	rec_lost = 0;
	if (t) {
		t->n = 0;
		t->fresh = true;        /* the child's stream: on disk from its first item */
		t->last_ticks = 0;
		t->tid = sys_gettid();
		t->next = NULL;
		t->vfork_pending = false;
		rec_sync(t);
		rec_threads = t;
	}
	tls_guard++;
	rec_save_maps(".maps_start", O_EXCL);
	tls_guard--;
}

/* Thread exit: flush each destructor round, EXIT and close on the last. */
static void rec_thread_destructor(void *arg)
{
	rec_thread_t *t = arg;

	if (!t || t->closed)
		return;
	if (++t->destructor_rounds < PTHREAD_DESTRUCTOR_ITERATIONS) {
		pthread_setspecific(rec_key, t);        /* come back next round */
		rec_flush(t);
		return;
	}
	rec_put_x(REC_EXIT, TRACE_EXIT_THREAD, now_ns(), 0);
	rec_flush(t);
	t->closed = true;
}

/* ---------------------------------------------------------------- malloc family */

/* An alignment for the x field (bytes; 0 when it does not fit). */
static inline uint32_t align32(uint64_t align)
{
	return align > UINT32_MAX ? 0 : (uint32_t)align;
}

#define ALLOC_DONE(p, func, size, align) do {                                   \
	if (p && (align))                                                       \
		rec_put(REC_ALLOC, (func), now_ns(), (uintptr_t)(p), (size),      \
			align32(align));                                        \
	else if (p)                                                             \
		rec_put_short(REC_ALLOC, (func), now_ns(), (uintptr_t)(p), (size)); \
} while (0)

EXPORT void *malloc(size_t size)
{
	if (unlikely(!real_malloc)) {
		rec_resolve();
		if (!real_malloc)
			return arena_alloc(size);
	}
	void *p = real_malloc(size);
	ALLOC_DONE(p, TRACE_FN_MALLOC, size, 0);
	return p;
}

EXPORT void *calloc(size_t nmemb, size_t size)
{
	if (unlikely(!real_calloc)) {
		rec_resolve();
		if (!real_calloc)
			return arena_alloc(nmemb * size);
	}
	void *p = real_calloc(nmemb, size);
	ALLOC_DONE(p, TRACE_FN_CALLOC, (uint64_t)nmemb * size, 0);
	return p;
}

EXPORT void free(void *p)
{
	if (unlikely(!p || in_arena(p)))
		return;
	if (unlikely(!real_free))
		rec_resolve();
	rec_put_short(REC_FREE, TRACE_FN_FREE, now_ns(), (uintptr_t)p, 0);
	real_free(p);
}

/* realloc and reallocarray: ALLOC for p == NULL, FREE for size 0, else REALLOC. */
static void *realloc_common(void *p, size_t size, void *q, uint8_t func, uint64_t ts_before)
{
	if (!p) {
		ALLOC_DONE(q, func, size, 0);
	} else if (!size && !q) {
		rec_put_short(REC_FREE, TRACE_FN_REALLOC, ts_before, (uintptr_t)p, 0);
	} else if (q) {
		rec_put(REC_REALLOC, func, now_ns(), (uintptr_t)p, (uintptr_t)q, 0);
		rec_put_data(size, 0, 0);
		rec_item_done();
	}
	return q;
}

EXPORT void *realloc(void *p, size_t size)
{
	if (unlikely(!real_realloc || in_arena(p))) {
		rec_resolve();
		if (in_arena(p) || !real_realloc) {
			void *q = real_malloc ? malloc(size) : arena_alloc(size);
			size_t tail = p ? (size_t)(rec_arena + sizeof(rec_arena) - (char *)p) : 0;
			if (q && p)
				memcpy(q, p, size < tail ? size : tail);
			return q;
		}
	}
	uint64_t ts = now_ns();
	return realloc_common(p, size, real_realloc(p, size), TRACE_FN_REALLOC, ts);
}

EXPORT void *reallocarray(void *p, size_t nmemb, size_t size)
{
	if (unlikely(!real_reallocarray))
		rec_resolve();
	uint64_t ts = now_ns();
	tls_guard++;            /* glibc's reallocarray calls realloc through the PLT */
	void *q = real_reallocarray(p, nmemb, size);
	tls_guard--;
	size_t bytes;
	if (__builtin_mul_overflow(nmemb, size, &bytes))
		return q;       /* failed with ENOMEM, nothing happened */
	return realloc_common(p, bytes, q, TRACE_FN_REALLOCARRAY, ts);
}

EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
	if (unlikely(!real_posix_memalign))
		rec_resolve();
	int rc = real_posix_memalign(out, align, size);
	if (!rc)
		ALLOC_DONE(*out, TRACE_FN_POSIX_MEMALIGN, size, align);
	return rc;
}

EXPORT void *aligned_alloc(size_t align, size_t size)
{
	if (unlikely(!real_aligned_alloc))
		rec_resolve();
	void *p = real_aligned_alloc(align, size);
	ALLOC_DONE(p, TRACE_FN_ALIGNED_ALLOC, size, align);
	return p;
}

EXPORT void *memalign(size_t align, size_t size)
{
	if (unlikely(!real_memalign))
		rec_resolve();
	void *p = real_memalign(align, size);
	ALLOC_DONE(p, TRACE_FN_MEMALIGN, size, align);
	return p;
}

EXPORT void *valloc(size_t size)
{
	if (unlikely(!real_valloc))
		rec_resolve();
	void *p = real_valloc(size);
	ALLOC_DONE(p, TRACE_FN_VALLOC, size, 0);
	return p;
}

EXPORT void *pvalloc(size_t size)
{
	if (unlikely(!real_pvalloc))
		rec_resolve();
	void *p = real_pvalloc(size);
	ALLOC_DONE(p, TRACE_FN_PVALLOC, size, 0);
	return p;
}

/* ---------------------------------------------------------------- mm system calls */

static uint8_t errno_byte(int e)
{
	if (e <= 0)
		return 0;
	return (uint8_t)(e < 256 ? e : 255);
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (unlikely(!real_mmap))
		rec_resolve();
	void *p = real_mmap(addr, len, prot, flags, fd, off);
	if (!rec_enabled || tls_guard)
		return p;
	int err = p == MAP_FAILED ? errno : 0;
	struct stat st = { 0 };
	if (!(flags & MAP_ANONYMOUS) && fd >= 0) {
		if (fstat(fd, &st))
			memset(&st, 0, sizeof(st));
	}
	rec_put(REC_MMAP, errno_byte(err), now_ns(), (uintptr_t)addr, len, (uint32_t)prot);
	rec_put_data((uint64_t)off, err ? 0 : (uintptr_t)p, (uint32_t)flags);
	rec_put_data(st.st_dev, st.st_ino, 0);
	rec_item_done();
	errno = err ? err : errno;
	return p;
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}

/* Record a call that returned rc (errno on failure) with a0, a1 and x. */
static void rec_syscall(uint8_t type, int rc, uint64_t ts, uint64_t a0, uint64_t a1,
			uint32_t x)
{
	int err = rc ? errno : 0;

	rec_put(type, errno_byte(err), ts, a0, a1, x);
	errno = err ? err : errno;
}

EXPORT int munmap(void *addr, size_t len)
{
	if (unlikely(!real_munmap))
		rec_resolve();
	uint64_t ts = now_ns();         /* before: the range may be reused at once */
	int rc = real_munmap(addr, len);
	rec_syscall(REC_MUNMAP, rc, ts, (uintptr_t)addr, len, 0);
	return rc;
}

EXPORT int mprotect(void *addr, size_t len, int prot)
{
	if (unlikely(!real_mprotect))
		rec_resolve();
	int rc = real_mprotect(addr, len, prot);
	rec_syscall(REC_MPROTECT, rc, now_ns(), (uintptr_t)addr, len, (uint32_t)prot);
	return rc;
}

EXPORT int madvise(void *addr, size_t len, int advice)
{
	if (unlikely(!real_madvise))
		rec_resolve();
	int rc = real_madvise(addr, len, advice);
	rec_syscall(REC_MADVISE, rc, now_ns(), (uintptr_t)addr, len, (uint32_t)advice);
	return rc;
}

EXPORT void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	void *new_addr = NULL;

	if (unlikely(!real_mremap))
		rec_resolve();
	if (flags & MREMAP_FIXED) {
		va_list ap;
		va_start(ap, flags);
		new_addr = va_arg(ap, void *);
		va_end(ap);
	}
	uint64_t ts = now_ns();
	void *p = real_mremap(old, old_len, new_len, flags, new_addr);
	int err = p == MAP_FAILED ? errno : 0;
	rec_put(REC_MREMAP, errno_byte(err), ts, (uintptr_t)old, old_len, (uint32_t)flags);
	rec_put_data(new_len, (uintptr_t)new_addr, err ? 0 : (uintptr_t)p);
	rec_item_done();
	errno = err ? err : errno;
	return p;
}

EXPORT int brk(void *addr)
{
	if (unlikely(!real_brk))
		rec_resolve();
	int rc = real_brk(addr);
	int saved = errno;
	void *cur = real_sbrk(0);
	rec_put(REC_BRK, 0, now_ns(), (uintptr_t)addr, (uintptr_t)cur, 0);
	errno = saved;
	return rc;
}

EXPORT void *sbrk(intptr_t incr)
{
	if (unlikely(!real_sbrk))
		rec_resolve();
	void *old = real_sbrk(incr);
	int saved = errno;
	if (old == (void *)-1) {
		uintptr_t cur = (uintptr_t)real_sbrk(0);
		rec_put(REC_BRK, 0, now_ns(), cur + (uintptr_t)incr, cur, 0);
	} else {
		uintptr_t req = incr ? (uintptr_t)old + (uintptr_t)incr : 0;
		rec_put(REC_BRK, 0, now_ns(), req, (uintptr_t)old + (uintptr_t)incr, 0);
	}
	errno = saved;
	return old;
}

/* ---------------------------------------------------------------- processes and threads */

/* ---------------------------------------------------------------- waits */

/*
 * A blocking wait: REC_WAIT (x REC_WAIT_BEGIN) and a flush before the
 * thread blocks, REC_WAIT (REC_WAIT_END) and a flush when it returns.  While
 * a stream ends with a begun wait, the finalizer knows the thread holds no
 * unflushed records and does not hold the other streams back for it (a
 * shell waiting for its pipeline, a main thread joining its workers).
 * errno is preserved.
 */
static void rec_wait_mark(uint32_t x)
{
	int saved = errno;
	rec_thread_t *t = rec_enabled && !tls_guard ? rec_thread() : NULL;

	if (t) {                /* not in a vfork child, an exited thread, the recorder */
		rec_put(REC_WAIT, 0, now_ns(), 0, 0, x);
		rec_flush(t);
	}
	errno = saved;
}

/* The body of a wait wrapper: real, the real function call makes. */
#define WAIT_WRAP(real, blocking, call) do {                                    \
	if (unlikely(!real))                                                    \
		rec_resolve();                                                  \
	if (blocking)                                                           \
		rec_wait_mark(REC_WAIT_BEGIN);                                  \
	__typeof__(call) rc_ = (call);                                          \
	if (blocking)                                                           \
		rec_wait_mark(REC_WAIT_END);                                    \
	return rc_;                                                             \
} while (0)

EXPORT pid_t wait(int *status)
{
	WAIT_WRAP(real_wait, true, real_wait(status));
}

EXPORT pid_t waitpid(pid_t pid, int *status, int options)
{
	WAIT_WRAP(real_waitpid, !(options & WNOHANG), real_waitpid(pid, status, options));
}

EXPORT pid_t wait3(int *status, int options, struct rusage *ru)
{
	WAIT_WRAP(real_wait3, !(options & WNOHANG), real_wait3(status, options, ru));
}

EXPORT pid_t wait4(pid_t pid, int *status, int options, struct rusage *ru)
{
	WAIT_WRAP(real_wait4, !(options & WNOHANG), real_wait4(pid, status, options, ru));
}

EXPORT int waitid(idtype_t idtype, id_t id, siginfo_t *info, int options)
{
	WAIT_WRAP(real_waitid, !(options & WNOHANG), real_waitid(idtype, id, info, options));
}

EXPORT int pthread_join(pthread_t th, void **ret)
{
	WAIT_WRAP(real_pthread_join, true, real_pthread_join(th, ret));
}

EXPORT pid_t fork(void)
{
	if (unlikely(!real_fork))
		rec_resolve();
	uint64_t ts = now_ns();
	pid_t pid = real_fork();
	if (pid > 0) {
		int saved = errno;
		rec_put(REC_FORK, 0, ts, (uint64_t)pid, 0, 0);
		errno = saved;
	}
	return pid;
}

/*
 * vfork: the child returns through the caller's frame, so the wrapper may not
 * have one: rec_vfork_prepare() marks the thread and returns the real vfork,
 * which the assembly stub tail-jumps to.
 */
pid_t (*rec_vfork_prepare(void))(void);
__attribute__((used)) pid_t (*rec_vfork_prepare(void))(void)
{
	if (!real_vfork)
		rec_resolve();
	rec_thread_t *t = tls_self;
	if (!t && rec_enabled && !tls_guard)
		t = rec_thread_new();
	if (t && !t->closed && !rec_exited) {
		t->vfork_child = 0;
		t->vfork_ts = now_ns();
		t->vfork_pending = true;
	}
	return real_vfork;
}

#if defined(__x86_64__)
__asm__(".text\n"
	".globl vfork\n"
	".type vfork,@function\n"
	"vfork:\n"
	"\tsubq $8, %rsp\n"
	"\tcall rec_vfork_prepare\n"
	"\taddq $8, %rsp\n"
	"\tjmp *%rax\n"
	".size vfork, .-vfork\n");
#endif

struct rec_clone_arg {
	int (*fn)(void *);
	void *arg;
};

static int rec_clone_child(void *p)
{
	struct rec_clone_arg a = *(struct rec_clone_arg *)p;

	rec_atfork_child();
	return a.fn(a.arg);
}

EXPORT int clone(int (*fn)(void *), void *stack, int flags, void *arg, ...)
{
	va_list ap;
	va_start(ap, arg);
	pid_t *ptid = va_arg(ap, pid_t *);
	void *tls = va_arg(ap, void *);
	pid_t *ctid = va_arg(ap, pid_t *);
	va_end(ap);

	if (unlikely(!real_clone))
		rec_resolve();
	struct rec_clone_arg ca = { fn, arg };  /* copied into the child's memory */
	rec_thread_t *t = tls_self;
	uint64_t ts = now_ns();
	bool vfork = (flags & CLONE_VM) && (flags & CLONE_VFORK);
	if (vfork && t)
		t->vfork_pending = true;        /* the child shares our TLS: quiet */
	int rc;
	if (!(flags & CLONE_VM) && rec_enabled)
		rc = real_clone(rec_clone_child, stack, flags, &ca, ptid, tls, ctid);
	else
		rc = real_clone(fn, stack, flags, arg, ptid, tls, ctid);
	int saved = errno;
	if (vfork && t)
		t->vfork_pending = false;
	if (rc > 0)
		rec_put_x(REC_FORK, ((flags & CLONE_THREAD) ? TRACE_FORK_THREAD : 0) |
			  (vfork ? TRACE_FORK_VFORK : 0), ts, (uint64_t)rc);
	errno = saved;
	return rc;
}

struct rec_thread_start {
	void *(*fn)(void *);
	void *arg;
	uint64_t ts;            /* ns, pthread_create called */
	uint32_t creator;       /* tid */
};

static void *rec_thread_main(void *p)
{
	struct rec_thread_start s = *(struct rec_thread_start *)p;

	tls_guard++;
	real_free(p);
	tls_guard--;
	rec_put(REC_THREAD_START, 0, s.ts, s.creator, 0, 0);
	return s.fn(s.arg);
}

EXPORT int pthread_create(pthread_t *th, const pthread_attr_t *attr,
			  void *(*fn)(void *), void *arg)
{
	if (unlikely(!real_pthread_create))
		rec_resolve();
	rec_thread_t *t = tls_self ? tls_self : rec_thread_new();
	if (!rec_enabled || !t || tls_guard)
		return real_pthread_create(th, attr, fn, arg);
	tls_guard++;
	struct rec_thread_start *s = real_malloc(sizeof(*s));
	tls_guard--;
	if (!s)
		return real_pthread_create(th, attr, fn, arg);
	s->fn = fn;
	s->arg = arg;
	s->ts = now_ns();
	s->creator = t->tid;
	int rc = real_pthread_create(th, attr, rec_thread_main, s);
	if (rc) {
		tls_guard++;
		real_free(s);
		tls_guard--;
	}
	return rc;
}

/* ---------------------------------------------------------------- exec */

static bool env_has(char *const envp[], const char *key, size_t klen)
{
	for (size_t i = 0; envp && envp[i]; i++)
		if (!strncmp(envp[i], key, klen) && envp[i][klen] == '=')
			return true;
	return false;
}

/*
 * The environment the new image gets: envp, plus LD_PRELOAD and
 * MMBENCH_RECORD_DIR as they were when this image started, when the program
 * dropped them (*copy is then an array to free if the exec fails); envp
 * itself when this image does not record (rec_env is empty).
 */
static char *const *exec_env(char *const envp[], char ***copy)
{
	static const char *keys[] = { "LD_PRELOAD", REC_DIR_ENV };
	const char *add[2];
	size_t nr_add = 0, n = 0;

	*copy = NULL;
	for (size_t k = 0; k < 2; k++) {
		size_t klen = strlen(keys[k]);
		if (rec_env[k][0] && !env_has(envp, keys[k], klen))
			add[nr_add++] = rec_env[k];
	}
	if (!nr_add)
		return envp;
	while (envp && envp[n])
		n++;
	tls_guard++;
	char **e = real_malloc((n + nr_add + 1) * sizeof(*e));
	tls_guard--;
	if (!e)
		return envp;
	for (size_t i = 0; i < n; i++)
		e[i] = envp[i];
	for (size_t i = 0; i < nr_add; i++)
		e[n + i] = (char *)add[i];
	e[n + nr_add] = NULL;
	*copy = e;
	return e;
}

/* Before an exec: EXEC with the path, flush everything; in a vfork child, the
 * child's EXEC goes straight to its own file. */
static void rec_before_exec(const char *path)
{
	size_t len = path ? strnlen(path, TRACE_MAX_STRING) : 0;

	if (!rec_enabled || rec_exited)
		return;
	int saved = errno;
	if (in_vfork_child()) {
		rec_raw_t recs[1 + (TRACE_MAX_STRING + REC_DATA_BYTES - 1) / REC_DATA_BYTES];
		size_t nr = 1 + (len + REC_DATA_BYTES - 1) / REC_DATA_BYTES;
		uint32_t pid = (uint32_t)syscall(SYS_getpid), tid = sys_gettid();
		memset(recs, 0, nr * sizeof(recs[0]));
		recs[0].ts = mono_ns();
		recs[0].cpu = (uint16_t)rec_cpu_slow();
		recs[0].type = REC_EXEC;
		recs[0].a0 = len;
		for (size_t i = 1; i < nr; i++) {
			size_t off = (i - 1) * REC_DATA_BYTES;
			memcpy((char *)&recs[i] + REC_DATA_OFFSET, path + off,
			       len - off < REC_DATA_BYTES ? len - off : REC_DATA_BYTES);
			recs[i].type = REC_DATA;
		}
		char file[REC_PATH_MAX];
		rec_path(file, "t.", pid, tid, ".raw");
		append_file(file, recs, nr * sizeof(recs[0]));
		errno = saved;
		return;
	}
	uint64_t ts = now_ns();
	rec_put(REC_EXEC, 0, ts, len, 0, 0);
	rec_put_string(ts, path, len);
	tls_guard++;
	rec_end_all(tls_self);
	tls_guard--;
	errno = saved;
}

static void exec_failed(char **copy)
{
	if (copy) {
		int saved = errno;
		tls_guard++;
		real_free(copy);
		tls_guard--;
		errno = saved;
	}
}

EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	char **copy;

	if (unlikely(!real_execve))
		rec_resolve();
	rec_before_exec(path);
	char *const *env = exec_env(envp, &copy);
	int rc = real_execve(path, argv, env);
	exec_failed(copy);
	return rc;
}

EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	char **copy;

	if (unlikely(!real_execvpe))
		rec_resolve();
	rec_before_exec(file);
	char *const *env = exec_env(envp, &copy);
	int rc = real_execvpe(file, argv, env);
	exec_failed(copy);
	return rc;
}

EXPORT int execv(const char *path, char *const argv[])
{
	return execve(path, argv, environ);
}

EXPORT int execvp(const char *file, char *const argv[])
{
	return execvpe(file, argv, environ);
}

EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	char **copy, path[64], *p;

	if (unlikely(!real_fexecve))
		rec_resolve();
	p = put_u64(put_str(path, "/proc/self/fd/"), (uint64_t)(fd < 0 ? 0 : fd));
	*p = 0;
	rec_before_exec(path);
	char *const *env = exec_env(envp, &copy);
	int rc = real_fexecve(fd, argv, env);
	exec_failed(copy);
	return rc;
}

/*
 * execl, execlp, execle: collect the variadic arguments after first, up to
 * and including the NULL, into an argv on the caller's stack; ap is left
 * after the NULL (where execle's envp is).
 */
#define EXECL_ARGV(first, ap, argv) do {                                        \
	size_t n_ = 1;                                                          \
	va_list c_;                                                             \
	va_copy(c_, ap);                                                        \
	while (va_arg(c_, char *))                                              \
		n_++;                                                           \
	va_end(c_);                                                             \
	argv = __builtin_alloca((n_ + 1) * sizeof(char *));                     \
	argv[0] = (char *)(first);                                              \
	for (size_t i_ = 1; i_ <= n_; i_++)                                     \
		argv[i_] = va_arg(ap, char *);                                  \
} while (0)

EXPORT int execl(const char *path, const char *arg, ...)
{
	char **argv;
	va_list ap;

	va_start(ap, arg);
	EXECL_ARGV(arg, ap, argv);
	va_end(ap);
	return execve(path, argv, environ);
}

EXPORT int execlp(const char *file, const char *arg, ...)
{
	char **argv;
	va_list ap;

	va_start(ap, arg);
	EXECL_ARGV(arg, ap, argv);
	va_end(ap);
	return execvpe(file, argv, environ);
}

EXPORT int execle(const char *path, const char *arg, ...)
{
	char **argv, **envp;
	va_list ap;

	va_start(ap, arg);
	EXECL_ARGV(arg, ap, argv);
	envp = va_arg(ap, char **);
	va_end(ap);
	return execve(path, argv, envp);
}

/* ---------------------------------------------------------------- exit */

EXPORT void exit(int status)
{
	if (unlikely(!real_exit))
		rec_resolve();
	rec_exit_code = status;
	real_exit(status);
}

EXPORT void _exit(int status)
{
	if (unlikely(!real_exit_))
		rec_resolve();
	rec_process_exit(status);
	real_exit_(status);
}

EXPORT void _Exit(int status)
{
	_exit(status);
}
