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

#define RB_RED		0
#define RB_BLACK	1

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
	uint64_t max = vma_compute_gap(vma);

	if (vma->rb_left && vma->rb_left->rb_subtree_gap > max)
		max = vma->rb_left->rb_subtree_gap;
	if (vma->rb_right && vma->rb_right->rb_subtree_gap > max)
		max = vma->rb_right->rb_subtree_gap;
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
	for (; vma; vma = vma->rb_parent) {
		uint64_t gap = vma_compute_subtree_gap(vma);

		if (gap == vma->rb_subtree_gap)
			break;
		vma->rb_subtree_gap = gap;
	}
}

/* Recompute from vma to the root without stopping (erase moves nodes and values). */
static void vma_gap_update_all(struct vm_area_struct *vma)
{
	for (; vma; vma = vma->rb_parent)
		vma->rb_subtree_gap = vma_compute_subtree_gap(vma);
}

static void rb_change_child(struct mm_struct *mm, struct vm_area_struct *old,
			    struct vm_area_struct *new, struct vm_area_struct *parent)
{
	if (!parent)
		mm->mm_rb = new;
	else if (parent->rb_left == old)
		parent->rb_left = new;
	else
		parent->rb_right = new;
}

/* Rotations (RB_DECLARE_CALLBACKS rotate): y moving up takes x's value, x is recomputed. */
static void rb_rotate_left(struct mm_struct *mm, struct vm_area_struct *x)
{
	struct vm_area_struct *y = x->rb_right;

	x->rb_right = y->rb_left;
	if (y->rb_left)
		y->rb_left->rb_parent = x;
	y->rb_parent = x->rb_parent;
	rb_change_child(mm, x, y, x->rb_parent);
	y->rb_left = x;
	x->rb_parent = y;
	y->rb_subtree_gap = x->rb_subtree_gap;
	x->rb_subtree_gap = vma_compute_subtree_gap(x);
}

static void rb_rotate_right(struct mm_struct *mm, struct vm_area_struct *x)
{
	struct vm_area_struct *y = x->rb_left;

	x->rb_left = y->rb_right;
	if (y->rb_right)
		y->rb_right->rb_parent = x;
	y->rb_parent = x->rb_parent;
	rb_change_child(mm, x, y, x->rb_parent);
	y->rb_right = x;
	x->rb_parent = y;
	y->rb_subtree_gap = x->rb_subtree_gap;
	x->rb_subtree_gap = vma_compute_subtree_gap(x);
}

static inline bool rb_is_red(const struct vm_area_struct *v)
{
	return v && v->rb_color == RB_RED;
}

/* rb_insert_augmented(): rebalance after linking z as a red leaf. */
static void rb_insert_color(struct mm_struct *mm, struct vm_area_struct *z)
{
	struct vm_area_struct *p, *g, *u;

	while ((p = z->rb_parent) && p->rb_color == RB_RED) {
		g = p->rb_parent;
		if (p == g->rb_left) {
			u = g->rb_right;
			if (rb_is_red(u)) {
				p->rb_color = u->rb_color = RB_BLACK;
				g->rb_color = RB_RED;
				z = g;
				continue;
			}
			if (z == p->rb_right) {
				rb_rotate_left(mm, p);
				z = p;
				p = z->rb_parent;
			}
			p->rb_color = RB_BLACK;
			g->rb_color = RB_RED;
			rb_rotate_right(mm, g);
		} else {
			u = g->rb_left;
			if (rb_is_red(u)) {
				p->rb_color = u->rb_color = RB_BLACK;
				g->rb_color = RB_RED;
				z = g;
				continue;
			}
			if (z == p->rb_left) {
				rb_rotate_right(mm, p);
				z = p;
				p = z->rb_parent;
			}
			p->rb_color = RB_BLACK;
			g->rb_color = RB_RED;
			rb_rotate_left(mm, g);
		}
	}
	mm->mm_rb->rb_color = RB_BLACK;
}

/* ____rb_erase_color(): x (maybe NULL) under xp lost one black. */
static void rb_erase_color(struct mm_struct *mm, struct vm_area_struct *x,
			   struct vm_area_struct *xp)
{
	struct vm_area_struct *w;

	while (x != mm->mm_rb && !rb_is_red(x)) {
		if (x == xp->rb_left) {
			w = xp->rb_right;
			if (w->rb_color == RB_RED) {
				w->rb_color = RB_BLACK;
				xp->rb_color = RB_RED;
				rb_rotate_left(mm, xp);
				w = xp->rb_right;
			}
			if (!rb_is_red(w->rb_left) && !rb_is_red(w->rb_right)) {
				w->rb_color = RB_RED;
				x = xp;
				xp = x->rb_parent;
				continue;
			}
			if (!rb_is_red(w->rb_right)) {
				w->rb_left->rb_color = RB_BLACK;
				w->rb_color = RB_RED;
				rb_rotate_right(mm, w);
				w = xp->rb_right;
			}
			w->rb_color = xp->rb_color;
			xp->rb_color = RB_BLACK;
			w->rb_right->rb_color = RB_BLACK;
			rb_rotate_left(mm, xp);
		} else {
			w = xp->rb_left;
			if (w->rb_color == RB_RED) {
				w->rb_color = RB_BLACK;
				xp->rb_color = RB_RED;
				rb_rotate_right(mm, xp);
				w = xp->rb_left;
			}
			if (!rb_is_red(w->rb_left) && !rb_is_red(w->rb_right)) {
				w->rb_color = RB_RED;
				x = xp;
				xp = x->rb_parent;
				continue;
			}
			if (!rb_is_red(w->rb_left)) {
				w->rb_right->rb_color = RB_BLACK;
				w->rb_color = RB_RED;
				rb_rotate_left(mm, w);
				w = xp->rb_left;
			}
			w->rb_color = xp->rb_color;
			xp->rb_color = RB_BLACK;
			w->rb_left->rb_color = RB_BLACK;
			rb_rotate_right(mm, xp);
		}
		x = mm->mm_rb;
		break;
	}
	if (x)
		x->rb_color = RB_BLACK;
}

/* rb_erase_augmented(): unlink z from the tree; the gaps are recomputed on the way. */
static void vma_rb_erase(struct mm_struct *mm, struct vm_area_struct *z)
{
	struct vm_area_struct *x, *xp, *y;
	uint8_t y_color = z->rb_color;

	if (!z->rb_left || !z->rb_right) {
		x = z->rb_left ? z->rb_left : z->rb_right;
		xp = z->rb_parent;
		rb_change_child(mm, z, x, xp);
		if (x)
			x->rb_parent = xp;
	} else {
		y = z->rb_right;
		while (y->rb_left)
			y = y->rb_left;
		y_color = y->rb_color;
		x = y->rb_right;
		if (y->rb_parent == z) {
			xp = y;
		} else {
			xp = y->rb_parent;
			xp->rb_left = x;
			if (x)
				x->rb_parent = xp;
			y->rb_right = z->rb_right;
			y->rb_right->rb_parent = y;
		}
		rb_change_child(mm, z, y, z->rb_parent);
		y->rb_parent = z->rb_parent;
		y->rb_left = z->rb_left;
		y->rb_left->rb_parent = y;
		y->rb_color = z->rb_color;
	}
	vma_gap_update_all(xp);
	if (y_color == RB_BLACK && (x || xp))
		rb_erase_color(mm, x, xp);
	z->rb_parent = z->rb_left = z->rb_right = NULL;
}

/* ---------------------------------------------------------------- link, unlink, resize */

void vma_link(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vm_area_struct *n = mm->mm_rb, *parent = NULL, *prev = NULL, *next;
	bool left = false;
	uint64_t visited = 0;

	/* find_vma_links(): the leaf position, and the predecessor on the way */
	while (n) {
		visited++;
		parent = n;
		if (n->vm_start > vma->vm_start) {
			n = n->rb_left;
			left = true;
		} else {
			prev = n;
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
	vma->rb_parent = parent;
	vma->rb_left = vma->rb_right = NULL;
	vma->rb_color = RB_RED;
	vma->rb_subtree_gap = 0;
	if (!parent)
		mm->mm_rb = vma;
	else if (left)
		parent->rb_left = vma;
	else
		parent->rb_right = vma;
	vma_gap_update(vma);
	rb_insert_color(mm, vma);

	mm->map_count++;
	mm->total_vm += vma_pages(vma);
}

void vma_unlink(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vm_area_struct *prev = vma->vm_prev, *next = vma->vm_next;

	/* the tree first, while next's gap still counts from vma (vma_rb_erase_ignore) */
	vma_rb_erase(mm, vma);
	if (prev)
		prev->vm_next = next;
	else
		mm->mmap = next;
	if (next)
		next->vm_prev = prev;
	if (next)
		vma_gap_update(next);
	else
		mm->highest_vm_end = prev ? vm_end_gap(prev) : 0;
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
	struct vm_area_struct *n = mm->mm_rb, *vma = NULL;
	uint64_t visited = 0;

	while (n) {
		visited++;
		if (n->vm_end > addr) {
			vma = n;
			if (n->vm_start <= addr)
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
	struct vm_area_struct *vma = find_vma(mm, addr), *last;

	if (vma) {
		*pprev = vma->vm_prev;
		return vma;
	}
	/* rightmost node: the last VMA */
	last = mm->mm_rb;
	while (last && last->rb_right)
		last = last->rb_right;
	*pprev = last;
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

	vma = mm->mm_rb;
	if (!vma || vma->rb_subtree_gap < length)
		goto check_highest;
	for (;;) {
		visited++;
		/* visit the left subtree first if its gaps could fit */
		gap_end = vm_start_gap(vma);
		if (gap_end >= low_limit && vma->rb_left && vma->rb_left->rb_subtree_gap >= length) {
			vma = vma->rb_left;
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
		if (vma->rb_right && vma->rb_right->rb_subtree_gap >= length) {
			vma = vma->rb_right;
			continue;
		}
		/* back up to the next candidate: an ancestor entered from its left */
		for (;;) {
			const struct vm_area_struct *child = vma;

			if (!vma->rb_parent)
				goto check_highest;
			vma = vma->rb_parent;
			visited++;
			if (child == vma->rb_left) {
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

	vma = mm->mm_rb;
	if (!vma || vma->rb_subtree_gap < length)
		return (uint64_t)-ENOMEM;
	for (;;) {
		visited++;
		/* visit the right subtree first if its gaps could fit */
		gap_start = vma->vm_prev ? vm_end_gap(vma->vm_prev) : 0;
		if (gap_start <= high_limit && vma->rb_right &&
		    vma->rb_right->rb_subtree_gap >= length) {
			vma = vma->rb_right;
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
		if (vma->rb_left && vma->rb_left->rb_subtree_gap >= length) {
			vma = vma->rb_left;
			continue;
		}
		for (;;) {
			const struct vm_area_struct *child = vma;

			if (!vma->rb_parent) {
				count_nodes(mm, visited);
				return (uint64_t)-ENOMEM;
			}
			vma = vma->rb_parent;
			visited++;
			if (child == vma->rb_right) {
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
	if (n->rb_parent != parent)
		return mm_error(msg, msglen, -1, "vma %#" PRIx64 "-%#" PRIx64 ": rb_parent wrong",
				n->vm_start, n->vm_end);
	if (n->rb_color == RB_RED && (rb_is_red(n->rb_left) || rb_is_red(n->rb_right)))
		return mm_error(msg, msglen, -1, "vma %#" PRIx64 "-%#" PRIx64 ": red node with a red child",
				n->vm_start, n->vm_end);
	if (n->rb_left && n->rb_left->vm_start >= n->vm_start)
		return mm_error(msg, msglen, -1, "vma %#" PRIx64 "-%#" PRIx64 ": left child not below it",
				n->vm_start, n->vm_end);
	if (n->rb_right && n->rb_right->vm_start <= n->vm_start)
		return mm_error(msg, msglen, -1, "vma %#" PRIx64 "-%#" PRIx64 ": right child not above it",
				n->vm_start, n->vm_end);
	if (check_subtree(n->rb_left, n, nodes, &lh, msg, msglen) ||
	    check_subtree(n->rb_right, n, nodes, &rh, msg, msglen))
		return -1;
	if (lh != rh)
		return mm_error(msg, msglen, -1, "vma %#" PRIx64 "-%#" PRIx64 ": black heights %d and %d",
				n->vm_start, n->vm_end, lh, rh);
	if (n->rb_subtree_gap != vma_compute_subtree_gap(n))
		return mm_error(msg, msglen, -1,
				"vma %#" PRIx64 "-%#" PRIx64 ": rb_subtree_gap %#" PRIx64 ", recomputed %#" PRIx64,
				n->vm_start, n->vm_end, n->rb_subtree_gap, vma_compute_subtree_gap(n));
	(*nodes)++;
	*black_height = lh + (n->rb_color == RB_BLACK);
	return 0;
}

static const struct vm_area_struct *rb_first_vma(const struct vm_area_struct *n)
{
	while (n && n->rb_left)
		n = n->rb_left;
	return n;
}

static const struct vm_area_struct *rb_next_vma(const struct vm_area_struct *n)
{
	const struct vm_area_struct *p;

	if (n->rb_right)
		return rb_first_vma(n->rb_right);
	while ((p = n->rb_parent) && n == p->rb_right)
		n = p;
	return p;
}

int vma_check(const struct mm_struct *mm, char *msg, size_t msglen)
{
	const struct vm_area_struct *vma, *prev = NULL, *t;
	uint64_t nr = 0, pages = 0, nodes = 0;
	int bh;

	if (mm->mm_rb && mm->mm_rb->rb_color != RB_BLACK)
		return mm_error(msg, msglen, -1, "mm %u: red root", mm->id);
	if (check_subtree(mm->mm_rb, NULL, &nodes, &bh, msg, msglen))
		return -1;
	t = rb_first_vma(mm->mm_rb);
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
		t = rb_next_vma(t);
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
