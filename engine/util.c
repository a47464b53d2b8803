/*
 * util.c - kvmalloc(), kvfree(), kvrealloc() (mm/util.c, v6.6).
 */
#include "engine/util.h"

#include <limits.h>

uint64_t kvmalloc_large(slub_t *s, vmalloc_t *v, size_t size, gfp_t gfp, unsigned cpu)
{
	gfp_t kmalloc_gfp = gfp;
	uint64_t addr;

	/*
	 * A physically contiguous block first: it fragments less in the long
	 * run than the vmalloc fallback, but must not be disruptive.
	 */
	kmalloc_gfp |= GFP_F_NOWARN;
	if (!(kmalloc_gfp & GFP_F_RETRY_MAYFAIL))
		kmalloc_gfp |= GFP_F_NORETRY;
	kmalloc_gfp &= ~GFP_F_NOFAIL;
	addr = kmalloc(s, size, kmalloc_gfp, cpu);
	if (addr)
		return addr;
	if (!(gfp & GFP_F_DIRECT_RECLAIM))      /* !gfpflags_allow_blocking() */
		return 0;
	if (size > INT_MAX)
		return 0;
	return vmalloc(v, size, gfp, cpu);
}

uint64_t kvrealloc(slub_t *s, vmalloc_t *v, uint64_t addr, size_t old_size, size_t new_size,
		   gfp_t gfp, unsigned cpu)
{
	uint64_t newp;

	if (old_size >= new_size)
		return addr;
	newp = kvmalloc(s, v, new_size, gfp, cpu);
	if (!newp)
		return 0;
	cost_add(s->pm, COST_SLAB_COPY_LINE, (old_size + 63) / 64);
	kvfree(s, v, addr, cpu);
	return newp;
}
