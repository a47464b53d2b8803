/*
 * generate_kernel.h - the kernel-side synthetic generators: frag and
 * cma_churn, whose tasks call the page allocator and the CMA allocator
 * directly (alloc_pages(), __free_pages(), cma_alloc(), cma_release()).
 *
 * Internal to workloads/: generate.c lists them in its registry, together
 * with the machine each trace describes (the constants below, which the
 * generators size their work by).  Same contract as every generator: the
 * output depends only on g's seed and scale, and nothing is left live at the
 * end (gen_common.h).
 */
#ifndef MMBENCH_GENERATE_KERNEL_H
#define MMBENCH_GENERATE_KERNEL_H

#include "workloads/gen_common.h"

#define FRAG_CPUS	4               /* frag: simulated CPUs, one worker each */
#define FRAG_MEM_KB	(1ull << 20)    /* frag: simulated MemTotal, KiB */
#define CMA_MEM_KB	(512ull << 10)  /* cma_churn: simulated MemTotal, KiB */
#define CMA_AREA_KB	(64ull << 10)   /* cma_churn: CMA area 0 (CmaTotal), KiB */

/*
 * frag: buddy-allocator fragmentation.  FRAG_CPUS kernel workers keep 60 %
 * of FRAG_MEM_KB busy with blocks of order 0..9 and mixed migratetypes,
 * a share of the kernel's own blocks pinned until the end; 300,000 * scale
 * page operations.  Adds trailer pair gen.peak_live_pages (4 KiB pages).
 * Returns 0, or -1 with *g->err set.
 */
int gen_frag(gen_t *g);

/*
 * cma_churn: a device allocating and releasing 16..4096-page ranges of CMA
 * area 0 (CMA_AREA_KB) against an application's movable page traffic on a
 * CMA_MEM_KB machine; 250,000 * scale page operations.  Adds trailer pairs
 * gen.peak_live_pages and gen.peak_cma_pages (4 KiB pages).  Returns 0, or
 * -1 with *g->err set.
 */
int gen_cma_churn(gen_t *g);

#endif /* MMBENCH_GENERATE_KERNEL_H */
