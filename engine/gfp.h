/*
 * gfp.h - gfp_t bits as Linux defines them, and what the page allocator reads
 * from them.
 *
 * Values are those of include/linux/gfp_types.h (v6.x).  Named GFP_F_* for
 * the kernel's __GFP_* because identifiers with a leading underscore are
 * reserved in C.  GFP_F_ATOMIC_LEGACY is the __GFP_ATOMIC bit that kernels
 * before v6.4 set in GFP_ATOMIC (commit "mm: discard __GFP_ATOMIC"); traces
 * recorded on those kernels carry it, and the engine reads it as a
 * non-blocking allocation, as v6.4+ reads !__GFP_DIRECT_RECLAIM.
 *
 * Header-only, C library only: the generators (workloads/) and the engine
 * share it.
 */
#ifndef MMBENCH_GFP_H
#define MMBENCH_GFP_H

#include <stdint.h>

typedef uint32_t gfp_t;

#define GFP_F_DMA		0x01u
#define GFP_F_HIGHMEM		0x02u
#define GFP_F_DMA32		0x04u
#define GFP_F_MOVABLE		0x08u
#define GFP_F_RECLAIMABLE	0x10u
#define GFP_F_HIGH		0x20u
#define GFP_F_IO		0x40u
#define GFP_F_FS		0x80u
#define GFP_F_ZERO		0x100u
#define GFP_F_ATOMIC_LEGACY	0x200u   /* __GFP_ATOMIC, kernels < v6.4 */
#define GFP_F_DIRECT_RECLAIM	0x400u
#define GFP_F_KSWAPD_RECLAIM	0x800u
#define GFP_F_WRITE		0x1000u
#define GFP_F_NOWARN		0x2000u
#define GFP_F_RETRY_MAYFAIL	0x4000u
#define GFP_F_NOFAIL		0x8000u
#define GFP_F_NORETRY		0x10000u
#define GFP_F_MEMALLOC		0x20000u
#define GFP_F_COMP		0x40000u
#define GFP_F_NOMEMALLOC	0x80000u
#define GFP_F_HARDWALL		0x100000u
#define GFP_F_THISNODE		0x200000u
#define GFP_F_ACCOUNT		0x400000u

#define GFP_F_RECLAIM		(GFP_F_DIRECT_RECLAIM | GFP_F_KSWAPD_RECLAIM)
#define GFP_ZONEMASK		(GFP_F_DMA | GFP_F_HIGHMEM | GFP_F_DMA32 | GFP_F_MOVABLE)
#define GFP_MOVABLE_MASK	(GFP_F_RECLAIMABLE | GFP_F_MOVABLE)

#define GFP_ATOMIC		(GFP_F_HIGH | GFP_F_KSWAPD_RECLAIM)
#define GFP_NOWAIT		(GFP_F_KSWAPD_RECLAIM)
#define GFP_KERNEL		(GFP_F_RECLAIM | GFP_F_IO | GFP_F_FS)
#define GFP_KERNEL_ACCOUNT	(GFP_KERNEL | GFP_F_ACCOUNT)
#define GFP_USER		(GFP_KERNEL | GFP_F_HARDWALL)
#define GFP_DMA			(GFP_F_DMA)
#define GFP_DMA32		(GFP_F_DMA32)
#define GFP_HIGHUSER		(GFP_USER | GFP_F_HIGHMEM)
#define GFP_HIGHUSER_MOVABLE	(GFP_HIGHUSER | GFP_F_MOVABLE)
#define GFP_TRANSHUGE_LIGHT	((GFP_HIGHUSER_MOVABLE | GFP_F_COMP | \
				  GFP_F_NOMEMALLOC | GFP_F_NOWARN) & ~GFP_F_RECLAIM)
#define GFP_TRANSHUGE		(GFP_TRANSHUGE_LIGHT | GFP_F_DIRECT_RECLAIM)
/* page_frag_alloc()'s refill of the network fragment cache (mm/page_frag_cache.c) */
#define GFP_PAGE_FRAG		(GFP_ATOMIC | GFP_F_COMP | GFP_F_NOWARN | \
				 GFP_F_NORETRY | GFP_F_NOMEMALLOC)

_Static_assert(GFP_KERNEL == 0xcc0, "GFP_KERNEL as in gfp_types.h");
_Static_assert(GFP_HIGHUSER_MOVABLE == 0x100cca, "GFP_HIGHUSER_MOVABLE as in gfp_types.h");

#endif /* MMBENCH_GFP_H */
