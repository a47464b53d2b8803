/*
 * trace_info.c - summarize a trace (see trace_info.h).
 */
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "traces/trace_info.h"

typedef struct id_entry {
	uint32_t key;           /* pid or tid */
	UT_hash_handle hh;
} id_entry_t;

/* Add key to *set if absent.  Returns 0, or -1 when out of memory. */
static int set_add(id_entry_t **set, uint32_t key, uint32_t *nr)
{
	id_entry_t *e;
	HASH_FIND(hh, *set, &key, sizeof(key), e);
	if (e)
		return 0;
	e = malloc(sizeof(*e));
	if (!e)
		return -1;
	e->key = key;
	HASH_ADD(hh, *set, key, sizeof(key), e);
	(*nr)++;
	return 0;
}

static void set_free(id_entry_t **set)
{
	id_entry_t *e, *tmp;
	HASH_ITER(hh, *set, e, tmp) {
		HASH_DEL(*set, e);
		free(e);
	}
}

uint64_t info_size_class_max(unsigned k)
{
	return k + 1 >= INFO_NR_SIZE_CLASSES ? UINT64_MAX : 8ull << k;
}

static unsigned size_class(uint64_t size)
{
	unsigned k = 0;
	while (k + 1 < INFO_NR_SIZE_CLASSES && size > info_size_class_max(k))
		k++;
	return k;
}

/* Live-object state: size per object id, UINT64_MAX when not live. */
typedef struct live {
	uint64_t *size;         /* bytes, by object id */
	uint8_t *page_order;    /* order + 1 by page id, 0 when not held */
	uint64_t objects, bytes, pages;
} live_t;

static void obj_alloc(trace_info_t *in, live_t *l, uint32_t id, uint64_t size)
{
	if (l->size[id] != UINT64_MAX) {
		in->nr_double_allocs++;
		l->bytes -= l->size[id];
		l->objects--;
	}
	l->size[id] = size;
	l->bytes += size;
	l->objects++;
	in->alloc_bytes += size;
	info_size_class_t *c = &in->size_class[size_class(size)];
	c->nr++;
	c->bytes += size;
	if (l->bytes > in->peak_live_bytes)
		in->peak_live_bytes = l->bytes;
	if (l->objects > in->peak_live_objects)
		in->peak_live_objects = l->objects;
}

static void obj_free(trace_info_t *in, live_t *l, uint32_t id)
{
	if (l->size[id] == UINT64_MAX) {
		in->nr_unknown_frees++;
		return;
	}
	l->bytes -= l->size[id];
	l->objects--;
	l->size[id] = UINT64_MAX;
}

int trace_info_collect(trace_reader_t *r, trace_info_t *in, trace_error_t *err)
{
	memset(in, 0, sizeof(*in));
	in->summary = *trace_summary(r);
	const trace_bounds_t *b = &in->summary.bounds;
	live_t l = { 0 };
	id_entry_t *pids = NULL, *tids = NULL;
	uint8_t *cpus = calloc(b->nr_cpus + 1, 1);
	l.size = malloc(((size_t)b->nr_objects + 1) * sizeof(*l.size));
	l.page_order = calloc((size_t)b->nr_pages + 1, 1);
	int rc = -1;
	if (!cpus || !l.size || !l.page_order)
		goto oom;
	memset(l.size, 0xff, ((size_t)b->nr_objects + 1) * sizeof(*l.size));

	trace_event_t ev;
	uint32_t last_pid = UINT32_MAX, last_tid = UINT32_MAX;
	bool first = true;
	while ((rc = trace_next(r, &ev)) == 1) {
		if (first)
			in->first_ts = ev.ts;
		first = false;
		in->last_ts = ev.ts;
		if (!cpus[ev.cpu]) {
			cpus[ev.cpu] = 1;
			in->nr_cpus_seen++;
		}
		if (ev.pid != last_pid && set_add(&pids, ev.pid, &in->nr_processes))
			goto oom;
		if (ev.tid != last_tid && set_add(&tids, ev.tid, &in->nr_threads))
			goto oom;
		last_pid = ev.pid;
		last_tid = ev.tid;
		switch (ev.type) {
		case TRACE_ALLOC:
			obj_alloc(in, &l, ev.alloc.id, ev.alloc.size);
			break;
		case TRACE_FREE:
			obj_free(in, &l, ev.free.id);
			break;
		case TRACE_REALLOC:
			obj_free(in, &l, ev.realloc.old_id);
			obj_alloc(in, &l, ev.realloc.new_id, ev.realloc.size);
			break;
		case TRACE_PAGE_ALLOC: {
			uint32_t id = ev.page_alloc.page;
			if (l.page_order[id])
				l.pages -= 1ull << (l.page_order[id] - 1);
			l.page_order[id] = (uint8_t)(ev.page_alloc.order + 1);
			l.pages += 1ull << ev.page_alloc.order;
			in->page_alloc_pages += 1ull << ev.page_alloc.order;
			if (l.pages > in->peak_live_pages)
				in->peak_live_pages = l.pages;
			break;
		}
		case TRACE_PAGE_FREE: {
			uint32_t id = ev.page_free.page;
			if (l.page_order[id])
				l.pages -= 1ull << (l.page_order[id] - 1);
			l.page_order[id] = 0;
			break;
		}
		case TRACE_FORK:
			if (set_add(ev.fork.flags & TRACE_FORK_THREAD ? &tids : &pids,
				    ev.fork.child, ev.fork.flags & TRACE_FORK_THREAD ?
				    &in->nr_threads : &in->nr_processes))
				goto oom;
			break;
		case TRACE_MMAP:
			if (!ev.mmap.err)
				in->mmap_bytes += ev.mmap.len;
			break;
		}
	}
	in->live_bytes = l.bytes;
	if (rc < 0)
		*err = *trace_reader_error(r);
	goto out;
oom:
	trace_error_set(err, trace_reader_error(r)->file, trace_position(r), 0,
			"out of memory");
	rc = -1;
out:
	set_free(&pids);
	set_free(&tids);
	free(cpus);
	free(l.size);
	free(l.page_order);
	return rc < 0 ? -1 : 0;
}
