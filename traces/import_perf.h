/*
 * import_perf.h - import `perf script` text of kernel tracepoints as a trace.
 *
 * Input is what `perf script -F comm,pid,tid,cpu,time,event,trace --ns`
 * prints for a `perf record -k CLOCK_MONOTONIC` of these tracepoints (kernel
 * 6.1 and 6.18 field layouts; fields are found by key, so missing optional
 * and extra fields are fine):
 *
 *   kmem:mm_page_alloc, mm_page_free, mm_page_free_batched  PAGE_ALLOC / PAGE_FREE
 *   kmem:mm_page_alloc_extfrag          counted in metadata (kernel.extfrag_*)
 *   kmem:kmalloc, kfree                 ALLOC / FREE func=kmalloc / kfree (kmalloc_node
 *                                       and kmem_cache_alloc_node of kernels < 6.2 too);
 *                                       a FREE names the way its object was allocated
 *   kmem:kmem_cache_alloc, _free        CACHE_CREATE (first use) + ALLOC / FREE
 *   exceptions:page_fault_user          FAULT (x86 error_code bits decoded)
 *   syscalls:sys_enter_X / sys_exit_X   X = mmap munmap mremap mprotect brk madvise:
 *                                       one event per enter/exit pair of a tid,
 *                                       at the exit's time, with result or errno
 *   sched:sched_process_fork/exec/exit  FORK (thread flag when the child's own
 *                                       lines carry another pid) / EXEC / EXIT (the
 *                                       tracepoint has no exit status: code 0; thread
 *                                       flag from group_dead=false, or pid != tid)
 *
 * Ids: kernel pointers and pfns become dense ids; an id is reused after its
 * free.  Frees of pointers and pfns never seen allocated (allocated before
 * the recording, or by an untraced context) are skipped and counted; an
 * allocation of an address that is still live means its free was missed, and
 * an implicit FREE / PAGE_FREE is written first (counted).  kmem_cache_alloc
 * gets one cache id per `name=` (kernel >= 6.2 prints it); without a name
 * (kernel 6.1) one cache id per bytes_alloc, named "size-N".  A page block
 * freed with another order than it was allocated with is freed as allocated
 * (counted).  Failed allocations (ptr NULL, pfn 0) and frees of NULL or
 * ZERO_SIZE_PTR write nothing (counted).  An mmap of a file gets one file id
 * per (pid, fd); its pgoff is the byte offset / 4096.
 *
 * Timestamps: ts = time - origin, origin = opts->origin_ns or, when 0, the
 * first event's time; events before the origin get ts 0 (counted).  The
 * origin goes in the metadata as clock_monotonic_origin_ns.  Out-of-order
 * input is sorted by time (stable).
 *
 * Lines that do not parse as a perf event line, and events not listed above,
 * are skipped and counted (metadata import.*, and a summary on opts->summary).
 * A line naming one of the events above that cannot be parsed is an error:
 * "FILE: at byte offset B: line N: EVENT: field 'F': ...".
 */
#ifndef MMBENCH_IMPORT_PERF_H
#define MMBENCH_IMPORT_PERF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "traces/trace.h"

typedef struct perf_import_opts {
	uint64_t origin_ns;             /* CLOCK_MONOTONIC ns of ts 0; 0 = first event's time */
	FILE *summary;                  /* skipped-input summary goes here; NULL = none */
	const trace_meta_t *meta;       /* extra header metadata (e.g. cmdline), may be NULL */
	size_t nr_meta;                 /* pairs in meta */
	const trace_writer_opts_t *writer;      /* may be NULL */
} perf_import_opts_t;

/*
 * Import perf script text from in_path ("-" = standard input) into the trace
 * out_path.  opts may be NULL (origin = first event, no summary).  Returns 0,
 * or -1 with *err set (file, byte offset of the offending line, "line N: ..."
 * in the reason); no output file is left on error.
 */
int perf_import(const char *in_path, const char *out_path,
		const perf_import_opts_t *opts, trace_error_t *err);

/*
 * The same for len bytes at buf; name is used in errors.  With out_path NULL
 * the text is only parsed and checked (the fuzz target).  Returns 0 or -1.
 */
int perf_import_mem(const char *buf, size_t len, const char *name,
		    const char *out_path, const perf_import_opts_t *opts,
		    trace_error_t *err);

/*
 * Find field key in the trace part of a perf line (s, len bytes): `key=value`
 * (kmem, sched: the value ends at a blank) or `key: value` (syscalls: ends at
 * ',' or a blank).  The key must start the string or follow a blank or ','.
 * Returns true with *val / *vlen set to the value, false if absent.
 */
bool perf_field_find(const char *s, size_t len, const char *key,
		     const char **val, size_t *vlen);

/*
 * Parse a number as perf prints it: decimal, optional '-' (negatives wrap
 * to two's complement), 0x hex, or "(nil)" (0).  Returns 0, or -1 if v is
 * not a whole number or overflows 64 bits.
 */
int perf_parse_u64(const char *v, size_t vlen, uint64_t *out);

/*
 * Decode a gfp_flags value as the kernel's show_gfp_flags() prints it
 * ("GFP_KERNEL|__GFP_ZERO", "none", or a 0x number) into gfp_t bits
 * (engine/gfp.h values; the composite names as include/linux/gfp_types.h
 * defines them; __GFP_ATOMIC of kernels < 6.4 as GFP_F_ATOMIC_LEGACY).
 * Names without a bit here (__GFP_ZEROTAGS, __GFP_NO_OBJ_EXT, ...) are
 * ignored and counted in *nr_unknown (may be NULL).  Returns the bits.
 */
uint32_t perf_gfp_decode(const char *v, size_t vlen, unsigned *nr_unknown);

/*
 * x86 page-fault error_code (arch/x86/include/asm/trap_pf.h: bit 0 present
 * -> protection fault, 1 write, 2 user, 4 instruction fetch) as TRACE_FAULT_*
 * flags.
 */
uint32_t perf_fault_flags(uint64_t error_code);

#endif /* MMBENCH_IMPORT_PERF_H */
