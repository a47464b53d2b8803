/*
 * util.h - the allocation helpers of mm/util.c that sit on top of both SLUB
 * and vmalloc (v6.6): kvmalloc_node(), kvfree(), kvrealloc().
 *
 * The replay driver sends user-space malloc-family calls here: small sizes
 * come from the kmalloc caches, large ones from physically contiguous pages
 * when they are to be had without much effort, else from vmalloc -- the
 * kernel's own answer to "allocate n bytes of any size".
 */
#ifndef MMBENCH_UTIL_H
#define MMBENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/slub.h"
#include "engine/vmalloc.h"

/* is_vmalloc_addr(): addr lies in the vmalloc range. */
static inline bool is_vmalloc_addr(uint64_t addr)
{
	return addr >= VMALLOC_START && addr <= VMALLOC_END;
}

/*
 * kvmalloc() for size above PAGE_SIZE bytes, out of line: kmalloc() with
 * the gfp adjusted as kvmalloc_node() describes, then vmalloc().  Returns
 * the address, or 0.
 */
uint64_t kvmalloc_large(slub_t *s, vmalloc_t *v, size_t size, gfp_t gfp, unsigned cpu);

/*
 * kvmalloc_node(): kmalloc(size), with __GFP_NOWARN | __GFP_NORETRY (unless
 * __GFP_RETRY_MAYFAIL) and without __GFP_NOFAIL above PAGE_SIZE; when that
 * fails for a size above PAGE_SIZE and the gfp may block, vmalloc(size).
 * Sizes above INT_MAX fail.  Returns the address, or 0.  Up to PAGE_SIZE it
 * is kmalloc() itself, inline: the replay of every small malloc() comes here.
 */
static inline uint64_t kvmalloc(slub_t *s, vmalloc_t *v, size_t size, gfp_t gfp, unsigned cpu)
{
	if (__builtin_expect(size <= PAGE_SIZE, 1))
		return kmalloc(s, size, gfp, cpu);
	return kvmalloc_large(s, v, size, gfp, cpu);
}

/* kvfree(): vfree() a vmalloc address, else kfree().  Returns 0 or -MM_EINVAL (not live). */
static inline int kvfree(slub_t *s, vmalloc_t *v, uint64_t addr, unsigned cpu)
{
	return is_vmalloc_addr(addr) ? vfree(v, addr, cpu) : kfree(s, addr, cpu);
}

/*
 * kvrealloc(): addr (old_size bytes, as allocated) resized to new_size:
 * addr itself when old_size >= new_size, else a new kvmalloc() with the old
 * bytes copied (COST_SLAB_COPY_LINE per 64 bytes) and addr kvfree()d.
 * Returns the address, or 0 when the allocation fails (addr stays live).
 */
uint64_t kvrealloc(slub_t *s, vmalloc_t *v, uint64_t addr, size_t old_size, size_t new_size,
		   gfp_t gfp, unsigned cpu);

#endif /* MMBENCH_UTIL_H */
