/*
 * format.h - byte layout of trace format v1 (traces/FORMAT.md), shared by
 * the writer and the reader.  Internal to traces/.
 */
#ifndef MMBENCH_FORMAT_H
#define MMBENCH_FORMAT_H

#include <stdint.h>

#include "trace.h"

#define FMT_MAGIC           "MMBTRACE"    /* 8 bytes at offset 0 */
#define FMT_HEADER_SIZE     24            /* magic, version, flags, meta size, 2 x xxh32 */
#define FMT_MAX_META_BYTES  (1u << 20)    /* a metadata block is at most 1 MiB */

#define FMT_CHUNK_MAGIC     "MMBC"
#define FMT_CHUNK_HDR_SIZE  40            /* magic, comp, raw, nr, first, base_ts, 2 x xxh32 */
#define FMT_MAX_CHUNK_RAW   (16u << 20)   /* decompressed chunk is at most 16 MiB */
#define FMT_MAX_CHUNK_EVENTS (1u << 20)

#define FMT_INDEX_MAGIC     "MMBI"
#define FMT_INDEX_FIXED     312           /* index bytes before the chunk table */
#define FMT_INDEX_TYPES     32            /* nr_by_type slots in the index */
#define FMT_CHUNK_ENTRY     32            /* bytes per chunk-table entry */

#define FMT_MAX_CONTEXTS    4096          /* distinct (cpu, pid, tid) per chunk */

#define FMT_FOOTER_MAGIC    "MMBTEND"     /* 8 bytes with its NUL */
#define FMT_FOOTER_SIZE     24            /* index offset, index size, xxh32, magic */

/*
 * Event tag byte: type in bits 0-4, context change in bit 5, short form in
 * bit 6 (ALLOC of plain malloc, FREE of plain free: the header varint is
 * omitted; other types must leave it clear), bit 7 zero.
 */
#define FMT_TAG_TYPE_MASK   0x1fu
#define FMT_TAG_CTX         0x20u
#define FMT_TAG_SHORT       0x40u
#define FMT_TAG_RESERVED    0x80u

/* ALLOC and FREE header varint: func in bits 0-3, presence bits above. */
#define FMT_ALLOC_ALIGN     0x10u
#define FMT_ALLOC_CACHE     0x20u
#define FMT_ALLOC_GFP       0x40u
#define FMT_FREE_CACHE      0x10u

/* Functions allowed in each object event type, as bit masks over enum trace_alloc_func. */
#define FN_BIT(f) (1u << (f))
#define FMT_FREE_FUNCS (FN_BIT(TRACE_FN_FREE) | FN_BIT(TRACE_FN_KFREE) | \
			FN_BIT(TRACE_FN_KMEM_CACHE_FREE) | FN_BIT(TRACE_FN_REALLOC) | \
			FN_BIT(TRACE_FN_KREALLOC))
#define FMT_ALLOC_FUNCS (((1u << TRACE_NR_FUNCS) - 1) & ~(FN_BIT(TRACE_FN_FREE) | \
			 FN_BIT(TRACE_FN_KFREE) | FN_BIT(TRACE_FN_KMEM_CACHE_FREE)))
#define FMT_REALLOC_FUNCS (FN_BIT(TRACE_FN_REALLOC) | FN_BIT(TRACE_FN_REALLOCARRAY) | \
			   FN_BIT(TRACE_FN_KREALLOC))

_Static_assert(TRACE_NR_TYPES <= FMT_INDEX_TYPES, "event types fit the index");
_Static_assert(TRACE_NR_TYPES - 1 <= FMT_TAG_TYPE_MASK, "event types fit the tag");
_Static_assert(TRACE_NR_FUNCS <= 16, "alloc funcs fit 4 bits");

/*
 * Check the fields of ev that do not depend on the id spaces: a valid type,
 * a func allowed for the type, orders, flag masks, string lengths, ids that
 * are not TRACE_NO_ID where an id is required, cpu < TRACE_MAX_CPUS.  The
 * writer refuses what fails and the reader reports it, so every event a
 * reader returns can be written again.  Returns NULL when ev is valid, else a
 * static description of the fault.
 */
const char *fmt_event_invalid(const trace_event_t *ev);

#endif /* MMBENCH_FORMAT_H */
