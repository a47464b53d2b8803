/*
 * rbtree.h - red-black trees with optional augmentation (lib/rbtree.c,
 * include/linux/rbtree_augmented.h), shared by the engine's trees: the VMA
 * tree (rb_subtree_gap) and the vmap_area trees (subtree_max_size).
 *
 * As in the kernel, a struct rb_node is embedded in the object and the
 * caller does the ordered descent itself: it finds the leaf position, links
 * the node there with rb_link_node() and calls rb_insert_augmented() to
 * rebalance.  An augmented tree keeps a value per node computed from the
 * node and its subtree; its callbacks keep that value right through the
 * rotations and the erase (RB_DECLARE_CALLBACKS):
 *
 *   propagate(node, stop)  recompute from node up to, not including, stop
 *                          (NULL: the root); may end early when a value does
 *                          not change
 *   copy(old, new)         new takes old's place in the tree: copy the value
 *   rotate(old, new)       new moves up above old: new takes old's value and
 *                          old's is recomputed
 *
 * Every callback gets the caller's ctx (the engine counts the work there).
 * Not thread-safe; nothing here allocates.
 */
#ifndef MMBENCH_RBTREE_H
#define MMBENCH_RBTREE_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#define RB_RED		0
#define RB_BLACK	1

/*
 * 24 bytes, as the kernel's: the colour lives in the low bit of the parent
 * pointer (nodes are at least 2-byte aligned).
 */
struct rb_node {
	uintptr_t rb_parent_color;      /* parent (NULL at the root) | RB_RED / RB_BLACK */
	struct rb_node *rb_left;        /* smaller keys */
	struct rb_node *rb_right;       /* larger keys */
};

struct rb_root {
	struct rb_node *rb_node;        /* NULL when empty */
};

struct rb_augment_callbacks {
	void (*propagate)(struct rb_node *node, struct rb_node *stop, void *ctx);
	void (*copy)(struct rb_node *old, struct rb_node *new, void *ctx);
	void (*rotate)(struct rb_node *old, struct rb_node *new, void *ctx);
};

/* The object holding node (container_of); node must not be NULL. */
#define rb_entry(node, type, member) ((type *)((char *)(node) - offsetof(type, member)))

/* rb_entry(), or NULL for a NULL node. */
#define rb_entry_safe(node, type, member)						\
	({ struct rb_node *rb_n_ = (struct rb_node *)(node);				\
	   rb_n_ ? rb_entry(rb_n_, type, member) : (type *)NULL; })

static inline struct rb_node *rb_parent(const struct rb_node *n)
{
	return (struct rb_node *)(n->rb_parent_color & ~(uintptr_t)1);
}

static inline unsigned rb_color(const struct rb_node *n)
{
	return n->rb_parent_color & 1;
}

static inline void rb_set_parent(struct rb_node *n, struct rb_node *parent)
{
	n->rb_parent_color = (uintptr_t)parent | rb_color(n);
}

static inline void rb_set_color(struct rb_node *n, unsigned color)
{
	n->rb_parent_color = (n->rb_parent_color & ~(uintptr_t)1) | color;
}

/* Attach node as a red leaf at *link under parent (NULL: the root). */
static inline void rb_link_node(struct rb_node *node, struct rb_node *parent, struct rb_node **link)
{
	node->rb_parent_color = (uintptr_t)parent | RB_RED;
	node->rb_left = node->rb_right = NULL;
	*link = node;
}

/*
 * The rebalancing (lib/rbtree.c in its textbook form: the CLRS insert and
 * erase fix-ups, with the hooks of include/linux/rbtree_augmented.h).  It is
 * inline, as the kernel's rb_insert_augmented() is, so that a caller's
 * constant callbacks are called directly, not through pointers.
 */
#define RB_INLINE static inline __attribute__((always_inline))

static inline void rb_change_child(struct rb_root *root, struct rb_node *old, struct rb_node *new,
			    struct rb_node *parent)
{
	if (!parent)
		root->rb_node = new;
	else if (parent->rb_left == old)
		parent->rb_left = new;
	else
		parent->rb_right = new;
}

/* Rotations: y moves above x; with aug, y takes x's value and x is recomputed. */
RB_INLINE void rb_rotate_left(struct rb_root *root, struct rb_node *x,
			   const struct rb_augment_callbacks *aug, void *ctx)
{
	struct rb_node *y = x->rb_right;

	x->rb_right = y->rb_left;
	if (y->rb_left)
		rb_set_parent(y->rb_left, x);
	rb_set_parent(y, rb_parent(x));
	rb_change_child(root, x, y, rb_parent(x));
	y->rb_left = x;
	rb_set_parent(x, y);
	if (aug)
		aug->rotate(x, y, ctx);
}

RB_INLINE void rb_rotate_right(struct rb_root *root, struct rb_node *x,
			    const struct rb_augment_callbacks *aug, void *ctx)
{
	struct rb_node *y = x->rb_left;

	x->rb_left = y->rb_right;
	if (y->rb_right)
		rb_set_parent(y->rb_right, x);
	rb_set_parent(y, rb_parent(x));
	rb_change_child(root, x, y, rb_parent(x));
	y->rb_right = x;
	rb_set_parent(x, y);
	if (aug)
		aug->rotate(x, y, ctx);
}

static inline bool rb_is_red(const struct rb_node *n)
{
	return n && rb_color(n) == RB_RED;
}

/*
 * rb_insert_augmented() (rb_insert_color with aug NULL): rebalance after
 * rb_link_node(); the caller has already propagated the new node's value up
 * its path.
 */
RB_INLINE void rb_insert_augmented(struct rb_node *z, struct rb_root *root,
			 const struct rb_augment_callbacks *aug, void *ctx)
{
	struct rb_node *p, *g, *u;

	while ((p = rb_parent(z)) && rb_color(p) == RB_RED) {
		g = rb_parent(p);       /* a red node is never the root */
		if (p == g->rb_left) {
			u = g->rb_right;
			if (rb_is_red(u)) {
				rb_set_color(p, RB_BLACK);
				rb_set_color(u, RB_BLACK);
				rb_set_color(g, RB_RED);
				z = g;
				continue;
			}
			if (z == p->rb_right) {
				rb_rotate_left(root, p, aug, ctx);
				z = p;
				p = rb_parent(z);
			}
			rb_set_color(p, RB_BLACK);
			rb_set_color(g, RB_RED);
			rb_rotate_right(root, g, aug, ctx);
		} else {
			u = g->rb_left;
			if (rb_is_red(u)) {
				rb_set_color(p, RB_BLACK);
				rb_set_color(u, RB_BLACK);
				rb_set_color(g, RB_RED);
				z = g;
				continue;
			}
			if (z == p->rb_left) {
				rb_rotate_right(root, p, aug, ctx);
				z = p;
				p = rb_parent(z);
			}
			rb_set_color(p, RB_BLACK);
			rb_set_color(g, RB_RED);
			rb_rotate_left(root, g, aug, ctx);
		}
	}
	rb_set_color(root->rb_node, RB_BLACK);
}

/* ____rb_erase_color(): x (maybe NULL) under xp lost one black. */
RB_INLINE void rb_erase_color(struct rb_root *root, struct rb_node *x, struct rb_node *xp,
			   const struct rb_augment_callbacks *aug, void *ctx)
{
	struct rb_node *w;

	while (x != root->rb_node && !rb_is_red(x)) {
		if (x == xp->rb_left) {
			w = xp->rb_right;
			if (rb_color(w) == RB_RED) {
				rb_set_color(w, RB_BLACK);
				rb_set_color(xp, RB_RED);
				rb_rotate_left(root, xp, aug, ctx);
				w = xp->rb_right;
			}
			if (!rb_is_red(w->rb_left) && !rb_is_red(w->rb_right)) {
				rb_set_color(w, RB_RED);
				x = xp;
				xp = rb_parent(x);
				continue;
			}
			if (!rb_is_red(w->rb_right)) {
				rb_set_color(w->rb_left, RB_BLACK);
				rb_set_color(w, RB_RED);
				rb_rotate_right(root, w, aug, ctx);
				w = xp->rb_right;
			}
			rb_set_color(w, rb_color(xp));
			rb_set_color(xp, RB_BLACK);
			rb_set_color(w->rb_right, RB_BLACK);
			rb_rotate_left(root, xp, aug, ctx);
		} else {
			w = xp->rb_left;
			if (rb_color(w) == RB_RED) {
				rb_set_color(w, RB_BLACK);
				rb_set_color(xp, RB_RED);
				rb_rotate_right(root, xp, aug, ctx);
				w = xp->rb_left;
			}
			if (!rb_is_red(w->rb_left) && !rb_is_red(w->rb_right)) {
				rb_set_color(w, RB_RED);
				x = xp;
				xp = rb_parent(x);
				continue;
			}
			if (!rb_is_red(w->rb_left)) {
				rb_set_color(w->rb_right, RB_BLACK);
				rb_set_color(w, RB_RED);
				rb_rotate_left(root, w, aug, ctx);
				w = xp->rb_left;
			}
			rb_set_color(w, rb_color(xp));
			rb_set_color(xp, RB_BLACK);
			rb_set_color(w->rb_left, RB_BLACK);
			rb_rotate_right(root, xp, aug, ctx);
		}
		x = root->rb_node;
		break;
	}
	if (x)
		rb_set_color(x, RB_BLACK);
}

/*
 * rb_erase_augmented() (rb_erase with aug NULL): unlink z and rebalance;
 * z's links are cleared.  With two children, z's successor y takes its
 * place, its colour and (copy) its value; the values are recomputed from
 * y's old parent up to y, then from y up, before the colour fix-up.
 */
RB_INLINE void rb_erase_augmented(struct rb_node *z, struct rb_root *root,
			const struct rb_augment_callbacks *aug, void *ctx)
{
	struct rb_node *x, *xp, *y;
	unsigned y_color = rb_color(z);

	if (!z->rb_left || !z->rb_right) {
		x = z->rb_left ? z->rb_left : z->rb_right;
		xp = rb_parent(z);
		rb_change_child(root, z, x, xp);
		if (x)
			rb_set_parent(x, xp);
		if (aug)
			aug->propagate(xp, NULL, ctx);
	} else {
		y = z->rb_right;
		while (y->rb_left)
			y = y->rb_left;
		y_color = rb_color(y);
		x = y->rb_right;
		if (rb_parent(y) == z) {
			xp = y;
		} else {
			xp = rb_parent(y);
			xp->rb_left = x;
			if (x)
				rb_set_parent(x, xp);
			y->rb_right = z->rb_right;
			rb_set_parent(y->rb_right, y);
		}
		rb_change_child(root, z, y, rb_parent(z));
		rb_set_parent(y, rb_parent(z));
		y->rb_left = z->rb_left;
		rb_set_parent(y->rb_left, y);
		rb_set_color(y, rb_color(z));
		if (aug) {
			aug->copy(z, y, ctx);
			aug->propagate(xp, y, ctx);
			aug->propagate(y, NULL, ctx);
		}
	}
	if (y_color == RB_BLACK && (x || xp))
		rb_erase_color(root, x, xp, aug, ctx);
	z->rb_parent_color = 0;
	z->rb_left = z->rb_right = NULL;
}

/* In-order walk: first, last, next, previous; NULL past the ends. */
struct rb_node *rb_first(const struct rb_root *root);
struct rb_node *rb_last(const struct rb_root *root);
struct rb_node *rb_next(const struct rb_node *node);
struct rb_node *rb_prev(const struct rb_node *node);

#endif /* MMBENCH_RBTREE_H */
