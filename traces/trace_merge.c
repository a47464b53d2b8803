/*
 * trace_merge.c - k-way merge of traces by timestamp with id spaces laid end
 * to end (trace_merge.h).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_merge.h"

#define META_KEY_MAX 64         /* bytes, FORMAT.md */

struct merge_input {
	trace_reader_t *r;
	const char *name;       /* input file, for errors */
	trace_event_t ev;       /* the next event, valid when have */
	bool have;
	uint64_t shift;         /* ns added to ts */
	trace_bounds_t base;    /* id offsets */
	uint64_t drop;          /* TRACE_TYPE_BIT()s left out */
	uint64_t nr_dropped;
};

struct merge_meta {
	trace_meta_t *pairs;
	char **owned;           /* strings to free */
	size_t nr, nr_owned;
};

static bool meta_has(const struct merge_meta *m, const char *key, size_t upto)
{
	for (size_t i = 0; i < upto; i++)
		if (!strcmp(m->pairs[i].key, key))
			return true;
	return false;
}

static int meta_push(struct merge_meta *m, const char *key, const char *value, bool copy_key)
{
	trace_meta_t *np = realloc(m->pairs, (m->nr + 1) * sizeof(*np));
	char **no = realloc(m->owned, (m->nr_owned + 2) * sizeof(*no));
	if (np)
		m->pairs = np;
	if (no)
		m->owned = no;
	if (!np || !no)
		return -1;
	if (copy_key) {
		char *k = strdup(key);
		if (!k)
			return -1;
		m->owned[m->nr_owned++] = k;
		key = k;
	}
	m->pairs[m->nr++] = (trace_meta_t){ key, value };
	return 0;
}

/* Output metadata (see trace_merge.h); values point into the readers. */
static int build_meta(struct merge_meta *m, struct merge_input *in, size_t nr,
		      bool aligned, uint64_t origin, char *origin_buf, char *inputs_buf)
{
	if (aligned) {
		snprintf(origin_buf, 24, "%" PRIu64, origin);
		if (meta_push(m, "clock_monotonic_origin_ns", origin_buf, false))
			return -1;
	}
	snprintf(inputs_buf, 24, "%zu", nr);
	if (meta_push(m, "merge.inputs", inputs_buf, false))
		return -1;
	for (size_t i = 0; i < nr; i++) {
		size_t before = m->nr;      /* keys of the merge and earlier inputs */
		for (size_t k = 0; k < trace_nr_meta(in[i].r); k++) {
			const trace_meta_t *p = trace_meta(in[i].r, k);
			if (!meta_has(m, p->key, before)) {
				if (meta_push(m, p->key, p->value, false))
					return -1;
				continue;
			}
			char key[META_KEY_MAX + 1];
			snprintf(key, sizeof(key), "input%zu.%s", i, p->key);
			if (meta_push(m, key, p->value, true))
				return -1;
		}
	}
	return 0;
}

static int shift_id(uint32_t *id, uint32_t base)
{
	if (*id == TRACE_NO_ID)
		return 0;
	if ((uint64_t)*id + base >= TRACE_NO_ID)
		return -1;
	*id += base;
	return 0;
}

/* Move ev's ids into the merged id spaces; -1 when one does not fit 32 bits. */
static int shift_ids(trace_event_t *ev, const trace_bounds_t *b)
{
	switch (ev->type) {
	case TRACE_ALLOC:
		return shift_id(&ev->alloc.id, b->nr_objects) | shift_id(&ev->alloc.cache, b->nr_caches);
	case TRACE_FREE:
		return shift_id(&ev->free.id, b->nr_objects) | shift_id(&ev->free.cache, b->nr_caches);
	case TRACE_REALLOC:
		return shift_id(&ev->realloc.old_id, b->nr_objects) |
		       shift_id(&ev->realloc.new_id, b->nr_objects);
	case TRACE_CACHE_CREATE:
		return shift_id(&ev->cache_create.cache, b->nr_caches);
	case TRACE_CACHE_DESTROY:
		return shift_id(&ev->cache_destroy.cache, b->nr_caches);
	case TRACE_PAGE_ALLOC:
		return shift_id(&ev->page_alloc.page, b->nr_pages);
	case TRACE_PAGE_FREE:
		return shift_id(&ev->page_free.page, b->nr_pages);
	case TRACE_MMAP:
		return shift_id(&ev->mmap.file, b->nr_files);
	case TRACE_CMA_ALLOC:
	case TRACE_CMA_RELEASE:
		return shift_id(&ev->cma.id, b->nr_cma);
	default:
		return 0;
	}
}

/*
 * Read input i's next event that is not dropped into in->ev; -1 with *err on
 * a reader error.
 */
static int advance(struct merge_input *in, trace_error_t *err)
{
	int rc;

	while ((rc = trace_next(in->r, &in->ev)) == 1 && (in->drop & TRACE_TYPE_BIT(in->ev.type)))
		in->nr_dropped++;
	if (rc < 0) {
		*err = *trace_reader_error(in->r);
		return -1;
	}
	in->have = rc == 1;
	if (in->have && in->ev.ts > UINT64_MAX - in->shift) {
		return trace_error_set(err, in->name, trace_position(in->r) - 1,
				       0, "timestamp overflows when aligned on the first origin");
	}
	in->ev.ts += in->shift;
	return 0;
}

int trace_merge(const char *out, const char *const *inputs, size_t nr_inputs,
		trace_error_t *err)
{
	return trace_merge_drop(out, inputs, NULL, nr_inputs, err);
}

int trace_merge_drop(const char *out, const char *const *inputs, const uint64_t *drop,
		     size_t nr_inputs, trace_error_t *err)
{
	struct merge_input *in;
	struct merge_meta meta = { 0 };
	trace_writer_t *w = NULL;
	char origin_buf[24], inputs_buf[24];
	uint64_t origin = UINT64_MAX, total[5] = { 0 };
	bool aligned = false;
	int rc = -1;

	if (nr_inputs == 0 || nr_inputs > TRACE_MERGE_MAX_INPUTS)
		return trace_error_set(err, out, TRACE_NO_EVENT, 0,
				       "merge takes 1 to %d inputs, not %zu",
				       TRACE_MERGE_MAX_INPUTS, nr_inputs);
	in = calloc(nr_inputs, sizeof(*in));
	if (!in)
		return trace_error_set(err, out, TRACE_NO_EVENT, 0, "out of memory");
	for (size_t i = 0; i < nr_inputs; i++) {
		in[i].name = inputs[i];
		in[i].drop = drop ? drop[i] : 0;
		in[i].r = trace_open(inputs[i], err);
		if (!in[i].r)
			goto out;
		const char *o = trace_meta_get(in[i].r, "clock_monotonic_origin_ns");
		if (o) {
			char *end;
			unsigned long long v = strtoull(o, &end, 10);
			if (end == o || *end) {
				trace_error_set(err, inputs[i], TRACE_NO_EVENT, 0,
						"metadata clock_monotonic_origin_ns '%.40s' is not a number", o);
				goto out;
			}
			in[i].shift = v;        /* made relative below */
			aligned = true;
			if (v < origin)
				origin = v;
		} else {
			in[i].shift = UINT64_MAX;
		}
		const trace_bounds_t *b = &trace_summary(in[i].r)->bounds;
		uint32_t nb[5] = { b->nr_objects, b->nr_pages, b->nr_caches, b->nr_files, b->nr_cma };
		in[i].base = (trace_bounds_t){ (uint32_t)total[0], (uint32_t)total[1],
					       (uint32_t)total[2], (uint32_t)total[3],
					       (uint32_t)total[4], 0 };
		for (int k = 0; k < 5; k++) {
			total[k] += nb[k];
			if (total[k] >= TRACE_NO_ID) {
				trace_error_set(err, inputs[i], TRACE_NO_EVENT, 0,
						"the merged id spaces exceed 2^32-2 ids");
				goto out;
			}
		}
	}
	for (size_t i = 0; i < nr_inputs; i++)
		in[i].shift = in[i].shift == UINT64_MAX ? 0 : in[i].shift - origin;

	if (build_meta(&meta, in, nr_inputs, aligned, origin, origin_buf, inputs_buf)) {
		trace_error_set(err, out, TRACE_NO_EVENT, 0, "out of memory");
		goto out;
	}
	if (meta.nr > 2 * TRACE_MAX_META) {
		trace_error_set(err, out, TRACE_NO_EVENT, 0,
				"%zu metadata pairs, more than a trace holds (%d)", meta.nr,
				2 * TRACE_MAX_META);
		goto out;
	}
	size_t nr_head = meta.nr < TRACE_MAX_META ? meta.nr : TRACE_MAX_META;
	w = trace_writer_open(out, meta.pairs, nr_head, NULL, err);
	if (!w)
		goto out;
	for (size_t k = nr_head; k < meta.nr; k++) {
		if (trace_writer_add_meta(w, meta.pairs[k].key, meta.pairs[k].value)) {
			*err = *trace_writer_error(w);
			goto out;
		}
	}

	for (size_t i = 0; i < nr_inputs; i++)
		if (advance(&in[i], err))
			goto out;
	for (;;) {
		struct merge_input *best = NULL;
		for (size_t i = 0; i < nr_inputs; i++)
			if (in[i].have && (!best || in[i].ev.ts < best->ev.ts))
				best = &in[i];
		if (!best)
			break;
		if (shift_ids(&best->ev, &best->base)) {
			trace_error_set(err, out, TRACE_NO_EVENT, 0, "id does not fit after shifting");
			goto out;
		}
		if (trace_write(w, &best->ev)) {
			*err = *trace_writer_error(w);
			goto out;
		}
		if (advance(best, err))
			goto out;
	}
	for (size_t i = 0; i < nr_inputs; i++) {
		char key[40], value[24];
		if (!in[i].nr_dropped)
			continue;
		snprintf(key, sizeof(key), "merge.dropped.input%zu", i);
		snprintf(value, sizeof(value), "%" PRIu64, in[i].nr_dropped);
		if (trace_writer_add_meta(w, key, value)) {
			*err = *trace_writer_error(w);
			goto out;
		}
	}
	rc = trace_writer_close(w, err);
	w = NULL;
out:
	if (w)
		trace_writer_abort(w);
	for (size_t i = 0; i < nr_inputs; i++)
		if (in[i].r)
			trace_close(in[i].r);
	for (size_t i = 0; i < meta.nr_owned; i++)
		free(meta.owned[i]);
	free(meta.owned);
	free(meta.pairs);
	free(in);
	return rc;
}
