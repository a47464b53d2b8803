/*
 * cma.c - CMA areas: bitmap search with alignment, allocation through
 * alloc_contig_range() with retry past busy ranges, release (mm/cma.c,
 * v6.6: cma_alloc, cma_release, cma_bitmap_aligned_mask,
 * cma_bitmap_aligned_offset, cma_bitmap_pages_to_bits, cma_clear_bitmap;
 * lib/bitmap.c: bitmap_find_next_zero_area_off).
 */
#include "engine/cma.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/page_isolation.h"

static inline bool bit_test(const uint64_t *map, uint64_t i)
{
	return map[i >> 6] & (1ull << (i & 63));
}

static void bitmap_assign(uint64_t *map, uint64_t start, uint64_t n, bool set)
{
	for (uint64_t i = start; i < start + n; i++) {
		if (set)
			map[i >> 6] |= 1ull << (i & 63);
		else
			map[i >> 6] &= ~(1ull << (i & 63));
	}
}

/* cma_bitmap_pages_to_bits(): bitmap bits covering `pages` pages, rounded up */
static inline uint64_t cma_bitmap_pages_to_bits(const struct cma *cma, uint64_t pages)
{
	return (pages + (1ull << cma->order_per_bit) - 1) >> cma->order_per_bit;
}

/*
 * bitmap_find_next_zero_area_off(): the first index >= start where nr bits
 * are clear and (index + align_offset) & align_mask == 0; size if none.
 */
static uint64_t bitmap_find_next_zero_area_off(const uint64_t *map, uint64_t size, uint64_t start,
					       uint64_t nr, uint64_t align_mask, uint64_t align_offset)
{
	uint64_t index, end, i;

again:
	for (index = start; index < size && bit_test(map, index); index++)
		;
	/* align allocation */
	index = ((index + align_offset + align_mask) & ~align_mask) - align_offset;
	end = index + nr;
	if (end > size)
		return size;
	for (i = index; i < end; i++)
		if (bit_test(map, i)) {
			start = i + 1;
			goto again;
		}
	return index;
}

int cma_init_area(phys_t *pm, unsigned idx, pfn_t base_pfn, uint64_t count,
		  unsigned order_per_bit, const char *name)
{
	struct cma *cma = &pm->cma[idx];
	uint64_t bits = count >> order_per_bit;

	memset(cma, 0, sizeof(*cma));
	snprintf(cma->name, sizeof(cma->name), "%s", name[0] ? name : "reserved");
	cma->base_pfn = base_pfn;
	cma->count = count;
	cma->order_per_bit = order_per_bit;
	cma->bitmap = calloc((bits + 63) / 64 + 1, sizeof(uint64_t));
	if (!cma->bitmap)
		return -MM_ENOMEM;
	/* init_cma_reserved_pageblock(): the pageblocks become MIGRATE_CMA */
	for (uint64_t pfn = base_pfn; pfn < base_pfn + count; pfn += pm->pageblock_nr_pages)
		pm->pageblock_flags[pfn >> pm->pageblock_order] = MIGRATE_CMA;
	page_zone(pm, base_pfn)->cma_pages += count;
	pm->nr_cma = idx + 1;
	return 0;
}

void cma_destroy_area(struct cma *cma)
{
	free(cma->bitmap);
	cma->bitmap = NULL;
}

pfn_t cma_alloc(phys_t *pm, unsigned idx, uint64_t count, unsigned align_order, unsigned cpu)
{
	struct cma *cma;
	uint64_t mask, offset, maxno, nbits, start = 0;

	if (idx >= pm->nr_cma || !count)
		return PFN_NONE;
	cma = &pm->cma[idx];
	mask = align_order > cma->order_per_bit ? (1ull << (align_order - cma->order_per_bit)) - 1 : 0;
	offset = align_order ? ((uint64_t)cma->base_pfn & ((1ull << align_order) - 1)) >> cma->order_per_bit : 0;
	maxno = cma->count >> cma->order_per_bit;
	nbits = cma_bitmap_pages_to_bits(cma, count);
	if (nbits > maxno)
		goto fail;
	for (;;) {
		uint64_t bitmap_no = bitmap_find_next_zero_area_off(cma->bitmap, maxno, start, nbits,
								    mask, offset);
		pfn_t pfn;
		int ret;

		if (bitmap_no >= maxno)
			break;
		bitmap_assign(cma->bitmap, bitmap_no, nbits, true);
		pfn = (pfn_t)(cma->base_pfn + (bitmap_no << cma->order_per_bit));
		ret = alloc_contig_range(pm, pfn, (pfn_t)(pfn + count), MIGRATE_CMA, cpu);
		if (ret == 0) {
			cma->nr_allocated += count;
			cma->nr_alloc_success++;
			pm->ev.cma_alloc_success++;
			return pfn;
		}
		bitmap_assign(cma->bitmap, bitmap_no, nbits, false);
		if (ret != -MM_EBUSY)
			break;
		/* try again with a bit different memory target */
		cma->nr_busy_retry++;
		start = bitmap_no + mask + 1;
	}
fail:
	cma->nr_alloc_fail++;
	pm->ev.cma_alloc_fail++;
	return PFN_NONE;
}

int cma_release(phys_t *pm, unsigned idx, pfn_t pfn, uint64_t count, unsigned cpu)
{
	struct cma *cma;
	uint64_t first, nbits;

	if (idx >= pm->nr_cma)
		return -MM_EINVAL;
	cma = &pm->cma[idx];
	if (pfn < cma->base_pfn || !count || (uint64_t)pfn + count > cma->base_pfn + cma->count)
		return -MM_EINVAL;
	first = (pfn - cma->base_pfn) >> cma->order_per_bit;
	nbits = cma_bitmap_pages_to_bits(cma, count);
	for (uint64_t i = first; i < first + nbits; i++)
		if (!bit_test(cma->bitmap, i))
			return -MM_EINVAL;
	for (uint64_t i = 0; i < count; i++) {
		const struct page *p = &pm->mem_map[pfn + i];

		if (!(p->flags & PG_head) || p->order != 0)
			return -MM_EINVAL;
	}
	free_contig_range(pm, pfn, count, cpu);
	bitmap_assign(cma->bitmap, first, nbits, false);
	cma->nr_allocated -= count;
	cma->nr_release++;
	pm->ev.cma_released += count;
	return 0;
}
