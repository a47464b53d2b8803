/*
 * vmstat.h - fragmentation indices and kernel-format dumps of the physical
 * memory state (mm/vmstat.c, v6.6).
 *
 * The indices use the kernel's exact integer formulas, scaled by 1000:
 * __fragmentation_index() is -1000 when a block of the order is free
 * (failure would not be due to fragmentation), else 0 (low memory) ..
 * 1000 (external fragmentation) -- and, as in the kernel, a negative value
 * above -1000 when the only free blocks are smaller than the request and
 * the unsigned arithmetic wraps; unusable_free_index() is the share of free
 * memory, 0..1000, in blocks too small for the order (1000 when nothing is
 * free).
 *
 * The dumps print what /proc/buddyinfo, /proc/pagetypeinfo,
 * /proc/zoneinfo (the page-allocator lines), and debugfs
 * extfrag/extfrag_index and extfrag/unusable_index would print for the
 * simulated machine, byte for byte in the kernel's format.  They write to a
 * caller's FILE (open_memstream for a buffer); the engine opens no files.
 */
#ifndef MMBENCH_VMSTAT_H
#define MMBENCH_VMSTAT_H

#include <stdio.h>

#include "engine/phys.h"

struct contig_page_info {
	uint64_t free_pages;            /* pages on the zone's buddy lists */
	uint64_t free_blocks_total;     /* free blocks of any order */
	uint64_t free_blocks_suitable;  /* free blocks able to hold the order, in units of that order */
};

/* fill_contig_page_info(): zone's free pages and blocks (all lists), for requests of suitable_order */
void fill_contig_page_info(const phys_t *pm, const struct zone *zone, unsigned suitable_order,
			   struct contig_page_info *info);

/* __fragmentation_index() of an order-`order` request: -1000, or 0..1000 (see above) */
int fragmentation_index_info(unsigned order, const struct contig_page_info *info);

/* fragmentation_index(): fill_contig_page_info() and __fragmentation_index() of zone */
int fragmentation_index(const phys_t *pm, const struct zone *zone, unsigned order);

/* unusable_free_index(): share of free pages unusable for order, 0..1000 */
int unusable_free_index(unsigned order, const struct contig_page_info *info);

/* /proc/buddyinfo, /proc/pagetypeinfo, /proc/zoneinfo, debugfs extfrag/ files, to f */
void dump_buddyinfo(const phys_t *pm, FILE *f);
void dump_pagetypeinfo(const phys_t *pm, FILE *f);
void dump_zoneinfo(const phys_t *pm, FILE *f);
void dump_extfrag_index(const phys_t *pm, FILE *f);
void dump_unusable_index(const phys_t *pm, FILE *f);

#endif /* MMBENCH_VMSTAT_H */
