/*
 * vma.c - the VMA tree and list of an mm_struct: the augmented red-black
 * tree keyed by vm_start with rb_subtree_gap (Linux 4.x-5.x mm/mmap.c
 * before the maple tree), find_vma, the gap searches of get_unmapped_area,
 * the VMA pool, vma_check() and the /proc/PID/maps dump.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "engine/cost.h"
#include "engine/vma.h"


#define VMA_CHUNK_NR	63      /* VMAs per pooled chunk */

struct vma_chunk {
	struct vma_chunk *next;                         /* chunks of this mm */
	struct vm_area_struct vmas[VMA_CHUNK_NR];       /* objects */
};

static inline void count_nodes(const struct mm_struct *mm, uint64_t n)
{
	if (mm->pm && n)
		cost_add(mm->pm, COST_VMA_NODE, n);
}

/* ---------------------------------------------------------------- pool */

struct vm_area_struct *vma_alloc(struct mm_struct *mm)
{
	struct vm_area_struct *vma = mm->vma_free;

	if (!vma) {
		struct vma_chunk *c = malloc(sizeof(*c));

		if (!c)
			return NULL;
		c->next = mm->vma_chunks;
		mm->vma_chunks = c;
		for (unsigned i = VMA_CHUNK_NR; i-- > 0;) {
			c->vmas[i].vm_next = mm->vma_free;
			mm->vma_free = &c->vmas[i];
		}
		vma = mm->vma_free;
	}
	mm->vma_free = vma->vm_next;
	memset(vma, 0, sizeof(*vma));
	vma->vm_mm = mm;
	vma->vm_file = VM_FILE_NONE;
	return vma;
}

void vma_free(struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;

	vma->vm_next = mm->vma_free;
	vma->vm_mm = NULL;
	mm->vma_free = vma;
}

void vma_pool_destroy(struct mm_struct *mm)
{
	struct vma_chunk *c = mm->vma_chunks;

	while (c) {
		struct vma_chunk *next = c->next;

		free(c);
		c = next;
	}
	mm->vma_chunks = NULL;
	mm->vma_free = NULL;
}

/* ---------------------------------------------------------------- augmented red-black tree */

/* The VMA holding node, or NULL. */
static inline struct vm_area_struct *rb_vma(const struct rb_node *node)
{
	return node ? rb_entry(node, struct vm_area_struct, vm_rb) : NULL;
}

static inline struct vm_area_struct *vma_rb_left(const struct vm_area_struct *v) { return rb_vma(v->vm_rb.rb_left); }
static inline struct vm_area_struct *vma_rb_right(const struct vm_area_struct *v) { return rb_vma(v->vm_rb.rb_right); }
static inline struct vm_area_struct *vma_rb_parent(const struct vm_area_struct *v) { return rb_vma(rb_parent(&v->vm_rb)); }
static inline struct vm_area_struct *vma_rb_root(const struct mm_struct *mm) { return rb_vma(mm->mm_rb.rb_node); }

/* vma_compute_gap(): the free gap just below vma, bytes (0 when the guard gap eats it). */
static inline uint64_t vma_compute_gap(const struct vm_area_struct *vma)
{
	uint64_t gap = vm_start_gap(vma), prev_end;

	if (vma->vm_prev) {
		prev_end = vm_end_gap(vma->vm_prev);
		gap = gap > prev_end ? gap - prev_end : 0;
	}
	return gap;
}

/* vma_compute_subtree_gap(): max of vma's own gap and its children's subtree gaps. */
static inline uint64_t vma_compute_subtree_gap(const struct vm_area_struct *vma)
{
	const struct rb_node *l = vma->vm_rb.rb_left, *r = vma->vm_rb.rb_right;
	uint64_t max = vma_compute_gap(vma), g;

	if (l && (g = rb_entry(l, struct vm_area_struct, vm_rb)->rb_subtree_gap) > max)
		max = g;
	if (r && (g = rb_entry(r, struct vm_area_struct, vm_rb)->rb_subtree_gap) > max)
		max = g;
	return max;
}

/*
 * vma_gap_update(): recompute rb_subtree_gap from vma upwards, stopping at
 * the first node whose value does not change (the propagate callback of
 * RB_DECLARE_CALLBACKS_MAX).  Valid when vma's own gap is the only stale
 * input: callers change one gap at a time and update right after.
 */
void vma_gap_update(struct vm_area_struct *vma)
{
	for (const struct rb_node *n = &vma->vm_rb;;) {
		uint64_t gap = vma_compute_subtree_gap(vma);

		if (gap == vma->rb_subtree_gap)
			break;
		vma->rb_subtree_gap = gap;
		if (!(n = rb_parent(n)))
			break;
		vma = rb_entry(n, struct vm_area_struct, vm_rb);
	}
}

/*
 * The augmented callbacks (RB_DECLARE_CALLBACKS_MAX with vma_compute_subtree_gap).
 * propagate recomputes every node up to stop without stopping early: an
 * erase moves nodes and their values.
 */
static void vma_gap_propagate(struct rb_node *node, struct rb_node *stop, void *ctx)
{
	(void)ctx;
	for (; node != stop; node = rb_parent(node)) {
		struct vm_area_struct *vma = rb_vma(node);
		vma->rb_subtree_gap = vma_compute_subtree_gap(vma);
	}
}

static void vma_gap_copy(struct rb_node *old, struct rb_node *new, void *ctx)
{
	(void)ctx;
	rb_vma(new)->rb_subtree_gap = rb_vma(old)->rb_subtree_gap;
}

/* new moves up above old: it covers the same VMAs, so takes old's value */
static void vma_gap_rotate(struct rb_node *old, struct rb_node *new, void *ctx)
{
	(void)ctx;
	rb_vma(new)->rb_subtree_gap = rb_vma(old)->rb_subtree_gap;
	rb_vma(old)->rb_subtree_gap = vma_compute_subtree_gap(rb_vma(old));
}

static const struct rb_augment_callbacks vma_gap_callbacks = {
	.propagate = vma_gap_propagate,
	.copy = vma_gap_copy,
	.rotate = vma_gap_rotate,
};

/* ---------------------------------------------------------------- link, unlink, resize */

void vma_link(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct rb_node *n = mm->mm_rb.rb_node;
	struct vm_area_struct *parent = NULL, *prev = NULL, *next;
	bool left = false;
	uint64_t visited = 0;

	/* find_vma_links(): the leaf position, and the predecessor on the way */
	while (n) {
		visited++;
		parent = rb_entry(n, struct vm_area_struct, vm_rb);
		if (parent->vm_start > vma->vm_start) {
			n = n->rb_left;
			left = true;
		} else {
			prev = parent;
			n = n->rb_right;
			left = false;
		}
	}
	count_nodes(mm, visited);

	/* __vma_link_list() */
	next = prev ? prev->vm_next : mm->mmap;
	vma->vm_prev = prev;
	vma->vm_next = next;
	if (prev)
		prev->vm_next = vma;
	else
		mm->mmap = vma;
	if (next)
		next->vm_prev = vma;

	/*
	 * __vma_link_rb(): next's gap shrank; then vma goes in as a leaf with
	 * gap 0 (as the descent assumed), gets its own, and the tree rebalances
	 * with every value already right.
	 */
	if (next)
		vma_gap_update(next);
	else
		mm->highest_vm_end = vm_end_gap(vma);
	rb_link_node(&vma->vm_rb, parent ? &parent->vm_rb : NULL,
		     !parent ? &mm->mm_rb.rb_node :
		     left ? &parent->vm_rb.rb_left : &parent->vm_rb.rb_right);
	vma->rb_subtree_gap = 0;
	vma_gap_update(vma);
	rb_insert_augmented(&vma->vm_rb, &mm->mm_rb, &vma_gap_callbacks, NULL);

	mm->map_count++;
	mm->total_vm += vma_pages(vma);
}

void vma_unlink(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vm_area_struct *prev = vma->vm_prev, *next = vma->vm_next;

	/* the tree first, while next's gap still counts from vma (vma_rb_erase_ignore) */
	rb_erase_augmented(&vma->vm_rb, &mm->mm_rb, &vma_gap_callbacks, NULL);
	if (prev)
		prev->vm_next = next;
	else
		mm->mmap = next;
	if (next) {
		next->vm_prev = prev;
		vma_gap_update(next);
	} else {
		mm->highest_vm_end = prev ? vm_end_gap(prev) : 0;
	}
	vma->vm_next = vma->vm_prev = NULL;
	mm->map_count--;
	mm->total_vm -= vma_pages(vma);
}

void vma_resize(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t start, uint64_t end)
{
	mm->total_vm -= vma_pages(vma);
	vma->vm_start = start;
	vma->vm_end = end;
	mm->total_vm += vma_pages(vma);
	vma_gap_update(vma);
	if (vma->vm_next)
		vma_gap_update(vma->vm_next);
	else
		mm->highest_vm_end = vm_end_gap(vma);
}

/* ---------------------------------------------------------------- lookups */

/* find_vma() of Linux 4.x (without the per-thread vmacache); O(log n) nodes. */
static struct vm_area_struct *vma_lookup_walk(const struct mm_struct *mm, uint64_t addr,
					      uint64_t *nodes)
{
	const struct rb_node *n = mm->mm_rb.rb_node;
	struct vm_area_struct *vma = NULL;
	uint64_t visited = 0;

	while (n) {             /* on the nodes themselves: no NULL test per conversion */
		struct vm_area_struct *v = rb_entry(n, struct vm_area_struct, vm_rb);

		visited++;
		if (v->vm_end > addr) {
			vma = v;
			if (v->vm_start <= addr)
				break;
			n = n->rb_left;
		} else {
			n = n->rb_right;
		}
	}
	*nodes = visited;
	return vma;
}

struct vm_area_struct *find_vma(const struct mm_struct *mm, uint64_t addr)
{
	uint64_t visited;
	struct vm_area_struct *vma = vma_lookup_walk(mm, addr, &visited);

	count_nodes(mm, visited);
	return vma;
}

struct vm_area_struct *find_vma_uncounted(const struct mm_struct *mm, uint64_t addr)
{
	uint64_t visited;

	return vma_lookup_walk(mm, addr, &visited);
}

struct vm_area_struct *find_vma_prev(const struct mm_struct *mm, uint64_t addr,
				     struct vm_area_struct **pprev)
{
	struct vm_area_struct *vma = find_vma(mm, addr);

	if (vma) {
		*pprev = vma->vm_prev;
		return vma;
	}
	*pprev = rb_vma(rb_last(&mm->mm_rb));  /* none at or above addr: the last VMA */
	return NULL;
}

struct vm_area_struct *find_vma_intersection(const struct mm_struct *mm, uint64_t start,
					     uint64_t end)
{
	struct vm_area_struct *vma = find_vma(mm, start);

	if (vma && end <= vma->vm_start)
		vma = NULL;
	return vma;
}

/* unmapped_area(): lowest gap of info->length in [low_limit, high_limit). */
static uint64_t unmapped_area(const struct mm_struct *mm, const struct vm_unmapped_area_info *info)
{
	const struct vm_area_struct *vma;
	uint64_t length = info->length, low_limit, high_limit, gap_start, gap_end;
	uint64_t visited = 0;

	if (info->high_limit < length)
		return (uint64_t)-ENOMEM;
	high_limit = info->high_limit - length;
	if (info->low_limit > high_limit)
		return (uint64_t)-ENOMEM;
	low_limit = info->low_limit + length;

	vma = vma_rb_root(mm);
	if (!vma || vma->rb_subtree_gap < length)
		goto check_highest;
	for (;;) {
		visited++;
		/* visit the left subtree first if its gaps could fit */
		gap_end = vm_start_gap(vma);
		if (gap_end >= low_limit && vma_rb_left(vma) && vma_rb_left(vma)->rb_subtree_gap >= length) {
			vma = vma_rb_left(vma);
			continue;
		}
		gap_start = vma->vm_prev ? vm_end_gap(vma->vm_prev) : 0;
check_current:
		if (gap_start > high_limit) {
			count_nodes(mm, visited);
			return (uint64_t)-ENOMEM;
		}
		if (gap_end >= low_limit && gap_end > gap_start && gap_end - gap_start >= length)
			goto found;
		if (vma_rb_right(vma) && vma_rb_right(vma)->rb_subtree_gap >= length) {
			vma = vma_rb_right(vma);
			continue;
		}
		/* back up to the next candidate: an ancestor entered from its left */
		for (;;) {
			const struct vm_area_struct *child = vma;

			if (!vma_rb_parent(vma))
				goto check_highest;
			vma = vma_rb_parent(vma);
			visited++;
			if (child == vma_rb_left(vma)) {
				gap_start = vma->vm_prev ? vm_end_gap(vma->vm_prev) : 0;
				gap_end = vm_start_gap(vma);
				goto check_current;
			}
		}
	}
check_highest:
	gap_start = mm->highest_vm_end;
	if (gap_start > high_limit) {
		count_nodes(mm, visited);
		return (uint64_t)-ENOMEM;
	}
found:
	count_nodes(mm, visited);
	if (gap_start < info->low_limit)
		gap_start = info->low_limit;
	return gap_start;
}

/* unmapped_area_topdown(): highest gap of info->length in [low_limit, high_limit). */
static uint64_t unmapped_area_topdown(const struct mm_struct *mm,
				      const struct vm_unmapped_area_info *info)
{
	const struct vm_area_struct *vma;
	uint64_t length = info->length, low_limit, high_limit, gap_start, gap_end;
	uint64_t visited = 0;

	gap_end = info->high_limit;
	if (gap_end < length)
		return (uint64_t)-ENOMEM;
	high_limit = gap_end - length;
	if (info->low_limit > high_limit)
		return (uint64_t)-ENOMEM;
	low_limit = info->low_limit + length;

	/* the highest gap, above every VMA */
	gap_start = mm->highest_vm_end;
	if (gap_start <= high_limit)
		goto found_highest;

	vma = vma_rb_root(mm);
	if (!vma || vma->rb_subtree_gap < length)
		return (uint64_t)-ENOMEM;
	for (;;) {
		visited++;
		/* visit the right subtree first if its gaps could fit */
		gap_start = vma->vm_prev ? vm_end_gap(vma->vm_prev) : 0;
		if (gap_start <= high_limit && vma_rb_right(vma) &&
		    vma_rb_right(vma)->rb_subtree_gap >= length) {
			vma = vma_rb_right(vma);
			continue;
		}
check_current:
		gap_end = vm_start_gap(vma);
		if (gap_end < low_limit) {
			count_nodes(mm, visited);
			return (uint64_t)-ENOMEM;
		}
		if (gap_start <= high_limit && gap_end > gap_start && gap_end - gap_start >= length)
			goto found;
		if (vma_rb_left(vma) && vma_rb_left(vma)->rb_subtree_gap >= length) {
			vma = vma_rb_left(vma);
			continue;
		}
		for (;;) {
			const struct vm_area_struct *child = vma;

			if (!vma_rb_parent(vma)) {
				count_nodes(mm, visited);
				return (uint64_t)-ENOMEM;
			}
			vma = vma_rb_parent(vma);
			visited++;
			if (child == vma_rb_right(vma)) {
				gap_start = vma->vm_prev ? vm_end_gap(vma->vm_prev) : 0;
				goto check_current;
			}
		}
	}
found:
	if (gap_end > info->high_limit)
		gap_end = info->high_limit;
found_highest:
	count_nodes(mm, visited);
	return gap_end - info->length;
}

uint64_t vm_unmapped_area(const struct mm_struct *mm, const struct vm_unmapped_area_info *info)
{
	return info->topdown ? unmapped_area_topdown(mm, info) : unmapped_area(mm, info);
}

/* ---------------------------------------------------------------- checker */

/* Recount one subtree: node count, black height (or -1), checked gaps, order. */
static int check_subtree(const struct vm_area_struct *n, const struct vm_area_struct *parent,
			 uint64_t *nodes, int *black_height, char *msg, size_t msglen)
{
	int lh = 0, rh = 0;

	if (!n) {
		*black_height = 1;
		return 0;
	}
	if (vma_rb_parent(n) != parent)
		return mm_error(msg, msglen, -1, "vma %#" PRIx64 "-%#" PRIx64 ": rb_parent wrong",
				n->vm_start, n->vm_end);
	if (rb_color(&n->vm_rb) == RB_RED && ((n->vm_rb.rb_left && rb_color(n->vm_rb.rb_left) == RB_RED) ||
					      (n->vm_rb.rb_right && rb_color(n->vm_rb.rb_right) == RB_RED)))
		return mm_error(msg, msglen, -1, "vma %#" PRIx64 "-%#" PRIx64 ": red node with a red child",
				n->vm_start, n->vm_end);
	if (vma_rb_left(n) && vma_rb_left(n)->vm_start >= n->vm_start)
		return mm_error(msg, msglen, -1, "vma %#" PRIx64 "-%#" PRIx64 ": left child not below it",
				n->vm_start, n->vm_end);
	if (vma_rb_right(n) && vma_rb_right(n)->vm_start <= n->vm_start)
		return mm_error(msg, msglen, -1, "vma %#" PRIx64 "-%#" PRIx64 ": right child not above it",
				n->vm_start, n->vm_end);
	if (check_subtree(vma_rb_left(n), n, nodes, &lh, msg, msglen) ||
	    check_subtree(vma_rb_right(n), n, nodes, &rh, msg, msglen))
		return -1;
	if (lh != rh)
		return mm_error(msg, msglen, -1, "vma %#" PRIx64 "-%#" PRIx64 ": black heights %d and %d",
				n->vm_start, n->vm_end, lh, rh);
	if (n->rb_subtree_gap != vma_compute_subtree_gap(n))
		return mm_error(msg, msglen, -1,
				"vma %#" PRIx64 "-%#" PRIx64 ": rb_subtree_gap %#" PRIx64 ", recomputed %#" PRIx64,
				n->vm_start, n->vm_end, n->rb_subtree_gap, vma_compute_subtree_gap(n));
	(*nodes)++;
	*black_height = lh + (rb_color(&n->vm_rb) == RB_BLACK);
	return 0;
}

int vma_check(const struct mm_struct *mm, char *msg, size_t msglen)
{
	const struct vm_area_struct *vma, *prev = NULL, *t;
	uint64_t nr = 0, pages = 0, nodes = 0;
	int bh;

	if (mm->mm_rb.rb_node && rb_color(mm->mm_rb.rb_node) != RB_BLACK)
		return mm_error(msg, msglen, -1, "mm %u: red root", mm->id);
	if (check_subtree(vma_rb_root(mm), NULL, &nodes, &bh, msg, msglen))
		return -1;
	t = rb_vma(rb_first(&mm->mm_rb));
	for (vma = mm->mmap; vma; prev = vma, vma = vma->vm_next) {
		nr++;
		if (vma->vm_mm != mm)
			return mm_error(msg, msglen, -1, "vma %#" PRIx64 "-%#" PRIx64 ": vm_mm is not mm %u",
					vma->vm_start, vma->vm_end, mm->id);
		if ((vma->vm_start | vma->vm_end) & (PAGE_SIZE - 1))
			return mm_error(msg, msglen, -1, "vma %#" PRIx64 "-%#" PRIx64 ": not page-aligned",
					vma->vm_start, vma->vm_end);
		if (vma->vm_start >= vma->vm_end)
			return mm_error(msg, msglen, -1, "vma %#" PRIx64 "-%#" PRIx64 ": empty or inverted",
					vma->vm_start, vma->vm_end);
		if (vma->vm_end > mm->task_size)
			return mm_error(msg, msglen, -1, "vma %#" PRIx64 "-%#" PRIx64 ": beyond task_size %#" PRIx64,
					vma->vm_start, vma->vm_end, mm->task_size);
		if (vma->vm_prev != prev)
			return mm_error(msg, msglen, -1, "vma %#" PRIx64 "-%#" PRIx64 ": vm_prev wrong",
					vma->vm_start, vma->vm_end);
		if (prev && prev->vm_end > vma->vm_start)
			return mm_error(msg, msglen, -1,
					"vma %#" PRIx64 "-%#" PRIx64 " overlaps or precedes vma %#" PRIx64 "-%#" PRIx64,
					vma->vm_start, vma->vm_end, prev->vm_start, prev->vm_end);
		if (t != vma)
			return mm_error(msg, msglen, -1,
					"vma %#" PRIx64 "-%#" PRIx64 ": tree order differs from the list",
					vma->vm_start, vma->vm_end);
		t = rb_vma(rb_next(&t->vm_rb));
		pages += vma_pages(vma);
	}
	if (t)
		return mm_error(msg, msglen, -1, "vma %#" PRIx64 "-%#" PRIx64 ": in the tree, not in the list",
				t->vm_start, t->vm_end);
	if (nr != nodes || nr != mm->map_count)
		return mm_error(msg, msglen, -1, "mm %u: map_count %u, list %" PRIu64 ", tree %" PRIu64,
				mm->id, mm->map_count, nr, nodes);
	if (mm->highest_vm_end != (prev ? vm_end_gap(prev) : 0))
		return mm_error(msg, msglen, -1, "mm %u: highest_vm_end %#" PRIx64 ", last vma ends at %#" PRIx64,
				mm->id, mm->highest_vm_end, prev ? prev->vm_end : 0);
	if (pages != mm->total_vm)
		return mm_error(msg, msglen, -1, "mm %u: total_vm %" PRIu64 " pages, VMAs hold %" PRIu64,
				mm->id, mm->total_vm, pages);
	return 0;
}

/* ---------------------------------------------------------------- /proc/PID/maps */

/*
 * show_map_vma(): "start-end perms offset dev inode", padded to 73 columns
 * before a name.  File mappings name "file:<id>" (inode id + 1); the heap is
 * the VMA overlapping [start_brk, brk], stacks are VM_GROWSDOWN VMAs or the
 * one holding start_stack; shared anonymous memory is shmem's
 * "/dev/zero (deleted)".
 */
void dump_maps(const struct mm_struct *mm, FILE *f)
{
	for (const struct vm_area_struct *vma = mm->mmap; vma; vma = vma->vm_next) {
		uint64_t flags = vma->vm_flags, pgoff = 0, ino = 0;
		char name[32] = "";
		int len;

		if (vma->vm_file != VM_FILE_NONE) {
			pgoff = vma->vm_pgoff << PAGE_SHIFT;
			ino = (uint64_t)vma->vm_file + 1;
			snprintf(name, sizeof(name), "file:%u", vma->vm_file);
		} else if (flags & VM_SHARED) {
			snprintf(name, sizeof(name), "/dev/zero (deleted)");
		} else if (vma->vm_start <= mm->brk && vma->vm_end >= mm->start_brk && mm->start_brk) {
			snprintf(name, sizeof(name), "[heap]");
		} else if ((flags & VM_GROWSDOWN) ||
			   (vma->vm_start <= mm->start_stack && vma->vm_end >= mm->start_stack)) {
			snprintf(name, sizeof(name), "[stack]");
		}
		len = fprintf(f, "%08" PRIx64 "-%08" PRIx64 " %c%c%c%c %08" PRIx64 " %02x:%02x %" PRIu64 " ",
			      vma->vm_start, vma->vm_end,
			      (flags & VM_READ) ? 'r' : '-', (flags & VM_WRITE) ? 'w' : '-',
			      (flags & VM_EXEC) ? 'x' : '-', (flags & VM_MAYSHARE) ? 's' : 'p',
			      pgoff, 0, 0, ino);
		if (name[0]) {
			/* seq_setwidth(25 + sizeof(void *) * 6 - 1), then seq_pad(m, ' ') */
			if (len < 72)
				fprintf(f, "%*s", 72 - len, "");
			fputc(' ', f);
			fputs(name, f);
		}
		fputc('\n', f);
	}
}
