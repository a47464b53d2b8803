/*
 * rec_raw.h - the recorder's raw per-thread stream: what the LD_PRELOAD
 * recorder (workloads/recorder/recorder.c) writes and the finalize step
 * (workloads/record_finalize.c) reads.
 *
 * Layout of a recording directory (MMBENCH_RECORD_DIR):
 *   t.<pid>.<tid>.raw     the records of one thread, in time order, appended
 *                         (O_APPEND) by every image the thread runs (exec
 *                         keeps the file): 32-byte rec_raw_t records and
 *                         16-byte rec_short_t ones (the common malloc and
 *                         free), told apart by their first (type) byte;
 *   p.<pid>.exit          the process's outcome at exit, "key value" lines:
 *                         minflt, majflt, maxrss_kb, vmhwm_kb, lost;
 *   p.<pid>.maps_start    /proc/self/maps when the process (or the image
 *                         after its first exec) started recording, verbatim;
 *   p.<pid>.maps_end      /proc/self/maps at exit, verbatim.
 * Records are host-endian (the directory never leaves the machine).
 */
#ifndef MMBENCH_REC_RAW_H
#define MMBENCH_REC_RAW_H

#include <stdbool.h>
#include <stdint.h>

#define REC_DIR_ENV "MMBENCH_RECORD_DIR"        /* where the streams go */
#define REC_VERSION "1"                         /* recorder version (metadata) */

/*
 * Record types (rec_raw_t.type).  "+N data" means N REC_DATA slots follow
 * with more arguments (d0, d1, d2 each); a string follows in
 * ceil(len / REC_DATA_BYTES) REC_DATA slots.
 */
enum rec_type {
	REC_ALLOC = 1,          /* a0 result ptr, a1 size (bytes), x align (bytes), func */
	REC_FREE,               /* a0 ptr, func */
	REC_REALLOC,            /* a0 old ptr, a1 new ptr, func; +1 data: d0 size */
	REC_MMAP,               /* a0 addr, a1 len, x prot, func errno; +2 data:
				 * d0 offset (bytes), d1 result, d2 MAP_* flags;
				 * d0 st_dev, d1 st_ino (both 0: anonymous) */
	REC_MUNMAP,             /* a0 addr, a1 len, func errno */
	REC_MREMAP,             /* a0 addr, a1 old_len, x flags, func errno; +1 data:
				 * d0 new_len, d1 new_addr, d2 result */
	REC_MPROTECT,           /* a0 addr, a1 len, x prot, func errno */
	REC_MADVISE,            /* a0 addr, a1 len, x advice, func errno */
	REC_BRK,                /* a0 requested break (0 = query), a1 break after */
	REC_FORK,               /* a0 child pid or tid, x TRACE_FORK_* flags */
	REC_THREAD_START,       /* first record of a pthread: ts = creation time
				 * in the creator, a0 creator tid; becomes the
				 * creator's FORK (thread) event */
	REC_EXEC,               /* execve called: a0 path length (bytes), then the
				 * path; it succeeded when the stream's next record
				 * is a REC_START, else it failed */
	REC_DATA,               /* more arguments or string bytes of the record before */
	REC_EXIT,               /* a0 exit code (int32), x TRACE_EXIT_* flags */
	REC_START,              /* an image started recording: a0 parent pid,
				 * a1 length of its /proc/self/exe path, then the path */
	REC_ALLOC16,            /* rec_short_t: REC_ALLOC, size < 2^16, align 0 */
	REC_FREE16,             /* rec_short_t: REC_FREE */
	REC_END,                /* no event: the stream is complete (its process
				 * exited, or another thread exec'd) */
	REC_WAIT,               /* no event: x REC_WAIT_BEGIN, the thread is about
				 * to block in a wait (waitpid, pthread_join, ...)
				 * with every earlier record on disk; x
				 * REC_WAIT_END, it returned (flushed at once too) */
	REC_NR_TYPES
};

/*
 * One full slot: 32 bytes.  The thread is the file's; in a REC_DATA slot
 * the REC_DATA_BYTES bytes from REC_DATA_OFFSET (ts, a0, a1) are payload.
 */
typedef struct rec_raw {
	uint8_t type;           /* enum rec_type (never REC_ALLOC16 / REC_FREE16) */
	uint8_t func;           /* enum trace_alloc_func, or an errno (0 = success) */
	uint16_t cpu;           /* sched_getcpu() (0 if it failed) */
	uint32_t x;             /* align / prot / advice / flags, per type */
	uint64_t ts;            /* CLOCK_MONOTONIC, ns */
	uint64_t a0;            /* arguments and results, per type above */
	uint64_t a1;
} rec_raw_t;

#define REC_DATA_OFFSET 8u      /* where a REC_DATA slot's payload starts */
#define REC_DATA_BYTES 24u      /* payload bytes of a REC_DATA slot */

/*
 * A short slot, 16 bytes, for the calls that are most of a malloc-heavy
 * program's records: an ALLOC whose pointer fits in 48 bits and size in 16
 * bits (no alignment), and such a FREE.  Its time is relative: dts ns after
 * the stream's previous record that is not REC_DATA, which is always in the
 * same buffer write (a buffer starts with a full slot), never across an
 * exec or a fork.
 */
typedef struct rec_short {
	uint8_t type;           /* REC_ALLOC16 or REC_FREE16 */
	uint8_t func;           /* as rec_raw_t */
	uint16_t cpu;           /* as rec_raw_t */
	uint32_t dts;           /* ns since the previous record */
	uint64_t ptr_size;      /* pointer (bits 0-47) | ALLOC size (bits 48-63) */
} rec_short_t;

#define REC_WAIT_BEGIN 0u
#define REC_WAIT_END 1u

/* The types rec_put() writes with REC_DATA slots after it (an item of several slots). */
#define REC_TAIL_TYPES (1u << REC_REALLOC | 1u << REC_MMAP | 1u << REC_MREMAP | \
			1u << REC_EXEC | 1u << REC_START)

#define REC_UNIT 16u                    /* a stream is a sequence of 16-byte units */
#define REC_SHORT_PTR_BITS 48
#define REC_SHORT_MAX_SIZE 0xffffu      /* largest size in a REC_ALLOC16 */

/* Whether a unit whose first byte (its type) is type holds a rec_short_t. */
static inline bool rec_type_is_short(uint8_t type)
{
	return type == REC_ALLOC16 || type == REC_FREE16;
}

_Static_assert(sizeof(rec_raw_t) == 2 * REC_UNIT, "rec_raw_t is 32 bytes on disk");
_Static_assert(sizeof(rec_short_t) == REC_UNIT, "rec_short_t is 16 bytes on disk");

#endif /* MMBENCH_REC_RAW_H */
