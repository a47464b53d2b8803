/*
 * trace.c - what the trace writer, reader and text form share: type and
 * function names, error formatting, event validation.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "trace.h"

static const char *const type_names[TRACE_NR_TYPES] = {
	[TRACE_ALLOC] = "ALLOC",
	[TRACE_FREE] = "FREE",
	[TRACE_REALLOC] = "REALLOC",
	[TRACE_CACHE_CREATE] = "CACHE_CREATE",
	[TRACE_CACHE_DESTROY] = "CACHE_DESTROY",
	[TRACE_PAGE_ALLOC] = "PAGE_ALLOC",
	[TRACE_PAGE_FREE] = "PAGE_FREE",
	[TRACE_MMAP] = "MMAP",
	[TRACE_MUNMAP] = "MUNMAP",
	[TRACE_MREMAP] = "MREMAP",
	[TRACE_MPROTECT] = "MPROTECT",
	[TRACE_MADVISE] = "MADVISE",
	[TRACE_BRK] = "BRK",
	[TRACE_FAULT] = "FAULT",
	[TRACE_ACCESS] = "ACCESS",
	[TRACE_FORK] = "FORK",
	[TRACE_EXEC] = "EXEC",
	[TRACE_EXIT] = "EXIT",
	[TRACE_CMA_ALLOC] = "CMA_ALLOC",
	[TRACE_CMA_RELEASE] = "CMA_RELEASE",
	[TRACE_MARK] = "MARK",
};

static const char *const func_names[TRACE_NR_FUNCS] = {
	[TRACE_FN_MALLOC] = "malloc",
	[TRACE_FN_CALLOC] = "calloc",
	[TRACE_FN_REALLOC] = "realloc",
	[TRACE_FN_REALLOCARRAY] = "reallocarray",
	[TRACE_FN_MEMALIGN] = "memalign",
	[TRACE_FN_POSIX_MEMALIGN] = "posix_memalign",
	[TRACE_FN_ALIGNED_ALLOC] = "aligned_alloc",
	[TRACE_FN_VALLOC] = "valloc",
	[TRACE_FN_PVALLOC] = "pvalloc",
	[TRACE_FN_FREE] = "free",
	[TRACE_FN_KMALLOC] = "kmalloc",
	[TRACE_FN_KFREE] = "kfree",
	[TRACE_FN_KREALLOC] = "krealloc",
	[TRACE_FN_KMEM_CACHE_ALLOC] = "kmem_cache_alloc",
	[TRACE_FN_KMEM_CACHE_FREE] = "kmem_cache_free",
};

const char *trace_type_name(unsigned type)
{
	return type < TRACE_NR_TYPES ? type_names[type] : NULL;
}

static int name_lookup(const char *const *names, unsigned n, const char *name,
		       size_t len)
{
	for (unsigned i = 0; i < n; i++)
		if (names[i] && strlen(names[i]) == len && !memcmp(names[i], name, len))
			return (int)i;
	return -1;
}

int trace_type_from_name(const char *name, size_t len)
{
	return name_lookup(type_names, TRACE_NR_TYPES, name, len);
}

const char *trace_func_name(unsigned func)
{
	return func < TRACE_NR_FUNCS ? func_names[func] : NULL;
}

int trace_func_from_name(const char *name, size_t len)
{
	return name_lookup(func_names, TRACE_NR_FUNCS, name, len);
}

int trace_error_set(trace_error_t *err, const char *file, uint64_t event,
		    uint64_t offset, const char *fmt, ...)
{
	if (!err)
		return -1;
	if (file != err->file)
		snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
	err->event = event;
	err->offset = offset;
	err->chunk_offset = TRACE_NO_EVENT;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
	va_end(ap);
	return -1;
}

char *trace_error_format(const trace_error_t *err, char *buf, size_t len)
{
	char where[96] = "";
	if (err->chunk_offset != TRACE_NO_EVENT)
		snprintf(where, sizeof(where),
			 " (chunk at byte offset %llu, +%llu in its decompressed events)",
			 (unsigned long long)err->offset,
			 (unsigned long long)err->chunk_offset);
	else
		snprintf(where, sizeof(where), " at byte offset %llu",
			 (unsigned long long)err->offset);
	if (err->event != TRACE_NO_EVENT)
		snprintf(buf, len, "%s: event %llu%s: %s", err->file,
			 (unsigned long long)err->event, where, err->reason);
	else
		snprintf(buf, len, "%s:%s: %s", err->file, where, err->reason);
	return buf;
}

/* Funcs allowed for each object event type. */
static bool func_allowed(unsigned type, unsigned func)
{
	unsigned mask = type == TRACE_ALLOC ? FMT_ALLOC_FUNCS :
			type == TRACE_FREE ? FMT_FREE_FUNCS : FMT_REALLOC_FUNCS;
	return func < TRACE_NR_FUNCS && (mask & FN_BIT(func));
}

static bool is_pow2_or_zero(uint64_t v)
{
	return (v & (v - 1)) == 0;
}

const char *fmt_event_invalid(const trace_event_t *ev)
{
	if (ev->type == 0 || ev->type >= TRACE_NR_TYPES)
		return "unknown event type";
	if (ev->cpu >= TRACE_MAX_CPUS)
		return "cpu number too large";
	switch (ev->type) {
	case TRACE_ALLOC:
		if (ev->alloc.func >= TRACE_NR_FUNCS ||
		    !func_allowed(ev->type, ev->alloc.func))
			return "function not valid for ALLOC";
		if (ev->alloc.id == TRACE_NO_ID)
			return "missing object id";
		if (!is_pow2_or_zero(ev->alloc.align))
			return "alignment is not a power of two";
		if ((ev->alloc.func == TRACE_FN_KMEM_CACHE_ALLOC) !=
		    (ev->alloc.cache != TRACE_NO_ID))
			return "a cache id goes with kmem_cache_alloc, and only with it";
		break;
	case TRACE_FREE:
		if (ev->free.func >= TRACE_NR_FUNCS ||
		    !func_allowed(ev->type, ev->free.func))
			return "function not valid for FREE";
		if (ev->free.id == TRACE_NO_ID)
			return "missing object id";
		if ((ev->free.func == TRACE_FN_KMEM_CACHE_FREE) !=
		    (ev->free.cache != TRACE_NO_ID))
			return "a cache id goes with kmem_cache_free, and only with it";
		break;
	case TRACE_REALLOC:
		if (ev->realloc.func >= TRACE_NR_FUNCS ||
		    !func_allowed(ev->type, ev->realloc.func))
			return "function not valid for REALLOC";
		if (ev->realloc.old_id == TRACE_NO_ID || ev->realloc.new_id == TRACE_NO_ID)
			return "missing object id";
		break;
	case TRACE_CACHE_CREATE:
		if (ev->cache_create.cache == TRACE_NO_ID)
			return "missing cache id";
		if (ev->cache_create.name_len > TRACE_MAX_STRING)
			return "cache name too long";
		if (!is_pow2_or_zero(ev->cache_create.align))
			return "alignment is not a power of two";
		break;
	case TRACE_CACHE_DESTROY:
		if (ev->cache_destroy.cache == TRACE_NO_ID)
			return "missing cache id";
		break;
	case TRACE_PAGE_ALLOC:
		if (ev->page_alloc.page == TRACE_NO_ID)
			return "missing page id";
		if (ev->page_alloc.order > TRACE_MAX_ORDER)
			return "page order too large";
		break;
	case TRACE_PAGE_FREE:
		if (ev->page_free.page == TRACE_NO_ID)
			return "missing page id";
		if (ev->page_free.order > TRACE_MAX_ORDER)
			return "page order too large";
		break;
	case TRACE_MMAP:
		if (ev->mmap.err && ev->mmap.result)
			return "a failed mmap has no result";
		break;
	case TRACE_MREMAP:
		if (ev->mremap.err && ev->mremap.result)
			return "a failed mremap has no result";
		break;
	case TRACE_FAULT:
		if (ev->fault.flags & ~TRACE_FAULT_ALL)
			return "unknown fault flags";
		break;
	case TRACE_ACCESS:
		if (ev->access.flags & ~TRACE_ACCESS_ALL)
			return "unknown access flags";
		break;
	case TRACE_FORK:
		if (ev->fork.flags & ~TRACE_FORK_ALL)
			return "unknown fork flags";
		break;
	case TRACE_EXEC:
		if (ev->exec.path_len > TRACE_MAX_STRING)
			return "exec path too long";
		break;
	case TRACE_EXIT:
		if (ev->exit.flags & ~TRACE_EXIT_ALL)
			return "unknown exit flags";
		break;
	case TRACE_CMA_ALLOC:
	case TRACE_CMA_RELEASE:
		if (ev->cma.id == TRACE_NO_ID)
			return "missing cma allocation id";
		if (ev->cma.align > TRACE_MAX_ORDER)
			return "cma alignment order too large";
		if (ev->type == TRACE_CMA_RELEASE && (ev->cma.err || ev->cma.align))
			return "CMA_RELEASE carries no error or alignment";
		break;
	case TRACE_MARK:
		if (ev->mark.name_len > TRACE_MAX_STRING)
			return "mark name too long";
		break;
	}
	return NULL;
}

int trace_read_input(const char *path, char **bufp, size_t *lenp, trace_error_t *err)
{
	bool is_stdin = !strcmp(path, "-");
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	size_t len = 0, cap = 1 << 16;
	char *buf = NULL;
	int rc = 0;

	*bufp = NULL;
	*lenp = 0;
	if (!f)
		return trace_error_set(err, path, TRACE_NO_EVENT, 0, "cannot open: %s", strerror(errno));
	for (;;) {
		if (!buf || len == cap) {
			if (buf)
				cap *= 2;
			char *nb = realloc(buf, cap);
			if (!nb) {
				rc = trace_error_set(err, path, TRACE_NO_EVENT, len, "out of memory");
				break;
			}
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (!rc && ferror(f))
		rc = trace_error_set(err, path, TRACE_NO_EVENT, len, "read failed: %s", strerror(errno));
	if (!is_stdin)
		fclose(f);
	if (rc) {
		free(buf);
		return -1;
	}
	*bufp = buf;
	*lenp = len;
	return 0;
}
