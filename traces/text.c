/*
 * text.c - the trace text form (traces/FORMAT.md, "Text form"; text.h).
 *
 * One line per event: "TS PID/TID [CPU] TYPE field=value ...".  Both
 * directions are driven by one table of fields per event type (field_tables
 * below), so what the printer writes is exactly what the parser reads: the
 * canonical order, the required fields, the defaults that are left out and
 * the notation of each value.
 *
 * The parser is hand-written and bounded: it works on (start, end) byte
 * ranges (a NUL byte anywhere in the input is an error, so none reaches the
 * string functions), keeps at most one decoded string
 * (TRACE_MAX_STRING bytes) and the metadata pairs, and stops at the first
 * error with the line's number, byte offset and event index.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "parse.h"
#include "text.h"
#include "trace.h"

#define TEXT_HEADER         "# mmbench trace text v1"
#define TEXT_VERSION_PREFIX "# mmbench trace text v"
#define TEXT_MAX_FIELDS     16            /* fields of the widest type (MMAP has 8) */
#define TEXT_MAX_ALL_META   (2 * TRACE_MAX_META)   /* header + trailer pairs */
#define TEXT_ERRNO_MAX      4096          /* errno values with a name are < this */

/* ------------------------------------------------------------ name tables */

typedef struct text_name {
	uint32_t value;         /* a bit mask (flags) or a value (enums) */
	const char *name;
} text_name_t;

typedef struct text_names {
	const text_name_t *v;
	unsigned nr;
} text_names_t;

#define NAMES(arr) { arr, sizeof(arr) / sizeof(arr[0]) }

/* MAP_* bits, Linux x86-64 values (include/uapi/linux/mman.h, asm/mman.h). */
static const text_name_t mmap_flag_v[] = {
	{ 0x000001, "shared" },
	{ 0x000002, "private" },
	{ 0x000010, "fixed" },
	{ 0x000020, "anonymous" },
	{ 0x000100, "growsdown" },
	{ 0x000800, "denywrite" },
	{ 0x001000, "executable" },
	{ 0x002000, "locked" },
	{ 0x004000, "noreserve" },
	{ 0x008000, "populate" },
	{ 0x010000, "nonblock" },
	{ 0x020000, "stack" },
	{ 0x040000, "hugetlb" },
	{ 0x080000, "sync" },
	{ 0x100000, "fixed_noreplace" },
};

/* MREMAP_* bits. */
static const text_name_t mremap_flag_v[] = {
	{ 0x1, "maymove" },
	{ 0x2, "fixed" },
	{ 0x4, "dontunmap" },
};

/* PROT_* bits beyond read/write/exec (those are the "rwx" letters). */
#define PROT_RWX 0x7u
static const text_name_t prot_extra_v[] = {
	{ 0x00000008, "sem" },
	{ 0x01000000, "growsdown" },
	{ 0x02000000, "growsup" },
};

/* TRACE_FAULT_* bits; "read" stands for neither write nor exec. */
static const text_name_t fault_flag_v[] = {
	{ TRACE_FAULT_WRITE, "write" },
	{ TRACE_FAULT_EXEC, "exec" },
	{ TRACE_FAULT_USER, "user" },
	{ TRACE_FAULT_PROT, "prot" },
	{ TRACE_FAULT_MAJOR, "major" },
	{ TRACE_ACCESS_TOUCH, "touch" },
};

static const text_name_t fork_flag_v[] = {
	{ TRACE_FORK_THREAD, "thread" },
	{ TRACE_FORK_VFORK, "vfork" },
};

static const text_name_t exit_flag_v[] = {
	{ TRACE_EXIT_THREAD, "thread" },
};

/* MADV_* values (include/uapi/asm-generic/mman-common.h). */
static const text_name_t madvise_v[] = {
	{ 0, "normal" },
	{ 1, "random" },
	{ 2, "sequential" },
	{ 3, "willneed" },
	{ 4, "dontneed" },
	{ 8, "free" },
	{ 9, "remove" },
	{ 10, "dontfork" },
	{ 11, "dofork" },
	{ 12, "mergeable" },
	{ 13, "unmergeable" },
	{ 14, "hugepage" },
	{ 15, "nohugepage" },
	{ 16, "dontdump" },
	{ 17, "dodump" },
	{ 18, "wipeonfork" },
	{ 19, "keeponfork" },
	{ 20, "cold" },
	{ 21, "pageout" },
	{ 22, "populate_read" },
	{ 23, "populate_write" },
	{ 24, "dontneed_locked" },
	{ 25, "collapse" },
	{ 100, "hwpoison" },
	{ 101, "soft_offline" },
};

static const text_names_t mmap_flags = NAMES(mmap_flag_v);
static const text_names_t mremap_flags = NAMES(mremap_flag_v);
static const text_names_t prot_extra = NAMES(prot_extra_v);
static const text_names_t fault_flags = NAMES(fault_flag_v);
static const text_names_t fork_flags = NAMES(fork_flag_v);
static const text_names_t exit_flags = NAMES(exit_flag_v);
static const text_names_t madvise_names = NAMES(madvise_v);

/*
 * errno names (glibc's strerrorname_np) for parsing, built once: the
 * numbers 1..TEXT_ERRNO_MAX-1 that have a name, in increasing order.
 */
static struct {
	uint16_t nr;
	uint16_t value[TEXT_ERRNO_MAX];
	const char *name[TEXT_ERRNO_MAX];
} errno_table;
static pthread_once_t errno_once = PTHREAD_ONCE_INIT;

static void errno_table_init(void)
{
	for (int e = 1; e < TEXT_ERRNO_MAX; e++) {
		const char *n = strerrorname_np(e);
		if (n) {
			errno_table.value[errno_table.nr] = (uint16_t)e;
			errno_table.name[errno_table.nr] = n;
			errno_table.nr++;
		}
	}
}

/* Is the C string name equal to the len bytes at s (which may hold NULs)? */
static bool name_eq(const char *name, const char *s, size_t len)
{
	return strlen(name) == len && !memcmp(name, s, len);
}

/* The errno whose name is [s, e), or -1. */
static int errno_from_name(const char *s, const char *e)
{
	pthread_once(&errno_once, errno_table_init);
	for (unsigned i = 0; i < errno_table.nr; i++)
		if (name_eq(errno_table.name[i], s, (size_t)(e - s)))
			return errno_table.value[i];
	return -1;
}

/* ------------------------------------------------------------ field tables */

/* How a field's value is stored and written. */
enum text_kind {
	K_DEC64,        /* uint64_t, decimal */
	K_HEX64,        /* uint64_t, 0x hex (addresses) */
	K_DEC32,        /* uint32_t, decimal */
	K_HEX32,        /* uint32_t, 0x hex (gfp, SLAB flags) */
	K_ID,           /* uint32_t decimal id whose default is TRACE_NO_ID */
	K_DEC8,         /* uint8_t, decimal */
	K_S32,          /* int32_t, decimal */
	K_FUNC,         /* uint8_t enum trace_alloc_func, by name */
	K_PROT,         /* uint32_t PROT_* as "rwx" letters [|extra] */
	K_FLAGS,        /* uint32_t bit set, names joined by '|' */
	K_FAULT,        /* uint32_t TRACE_FAULT_*, "read" when not write/exec */
	K_ENUM,         /* uint32_t value by name, else decimal */
	K_ERR,          /* uint32_t errno by name, else decimal */
	K_STR,          /* const char * + uint32_t length, quoted */
};

typedef struct text_field {
	const char *name;       /* as written before '=' */
	uint8_t kind;           /* enum text_kind */
	bool required;          /* else omitted when equal to its default */
	uint16_t off;           /* offset of the value in trace_event_t */
	uint16_t off_len;       /* K_STR: offset of the uint32_t length */
	const text_names_t *names;      /* K_FLAGS, K_ENUM: the names */
} text_field_t;

#define OFF(m) ((uint16_t)offsetof(trace_event_t, m))
#define REQ(nm, k, m) { nm, k, true, OFF(m), 0, NULL }
#define OPT(nm, k, m) { nm, k, false, OFF(m), 0, NULL }
#define REQ_N(nm, k, m, t) { nm, k, true, OFF(m), 0, &t }
#define OPT_N(nm, k, m, t) { nm, k, false, OFF(m), 0, &t }
#define STR(nm, m, l) { nm, K_STR, true, OFF(m), OFF(l), NULL }

static const text_field_t alloc_fields[] = {
	REQ("id", K_DEC32, alloc.id),
	REQ("size", K_DEC64, alloc.size),
	REQ("func", K_FUNC, alloc.func),
	OPT("cache", K_ID, alloc.cache),
	OPT("align", K_DEC64, alloc.align),
	OPT("gfp", K_HEX32, alloc.gfp),
};
static const text_field_t free_fields[] = {
	REQ("id", K_DEC32, free.id),
	REQ("func", K_FUNC, free.func),
	OPT("cache", K_ID, free.cache),
};
static const text_field_t realloc_fields[] = {
	REQ("old_id", K_DEC32, realloc.old_id),
	REQ("new_id", K_DEC32, realloc.new_id),
	REQ("size", K_DEC64, realloc.size),
	REQ("func", K_FUNC, realloc.func),
};
static const text_field_t cache_create_fields[] = {
	REQ("cache", K_DEC32, cache_create.cache),
	REQ("size", K_DEC64, cache_create.size),
	OPT("align", K_DEC64, cache_create.align),
	OPT("flags", K_HEX32, cache_create.flags),
	STR("name", cache_create.name, cache_create.name_len),
};
static const text_field_t cache_destroy_fields[] = {
	REQ("cache", K_DEC32, cache_destroy.cache),
};
static const text_field_t page_alloc_fields[] = {
	REQ("page", K_DEC32, page_alloc.page),
	REQ("order", K_DEC8, page_alloc.order),
	REQ("mt", K_DEC8, page_alloc.migratetype),
	OPT("gfp", K_HEX32, page_alloc.gfp),
};
static const text_field_t page_free_fields[] = {
	REQ("page", K_DEC32, page_free.page),
	REQ("order", K_DEC8, page_free.order),
};
static const text_field_t mmap_fields[] = {
	OPT("addr", K_HEX64, mmap.addr),
	REQ("len", K_DEC64, mmap.len),
	REQ("prot", K_PROT, mmap.prot),
	REQ_N("flags", K_FLAGS, mmap.flags, mmap_flags),
	OPT("file", K_ID, mmap.file),
	OPT("pgoff", K_DEC64, mmap.pgoff),
	OPT("result", K_HEX64, mmap.result),
	OPT("err", K_ERR, mmap.err),
};
static const text_field_t munmap_fields[] = {
	REQ("addr", K_HEX64, munmap.addr),
	REQ("len", K_DEC64, munmap.len),
	OPT("err", K_ERR, munmap.err),
};
static const text_field_t mremap_fields[] = {
	REQ("addr", K_HEX64, mremap.addr),
	REQ("old_len", K_DEC64, mremap.old_len),
	REQ("new_len", K_DEC64, mremap.new_len),
	OPT_N("flags", K_FLAGS, mremap.flags, mremap_flags),
	OPT("new_addr", K_HEX64, mremap.new_addr),
	OPT("result", K_HEX64, mremap.result),
	OPT("err", K_ERR, mremap.err),
};
static const text_field_t mprotect_fields[] = {
	REQ("addr", K_HEX64, mprotect.addr),
	REQ("len", K_DEC64, mprotect.len),
	REQ("prot", K_PROT, mprotect.prot),
	OPT("err", K_ERR, mprotect.err),
};
static const text_field_t madvise_fields[] = {
	REQ("addr", K_HEX64, madvise.addr),
	REQ("len", K_DEC64, madvise.len),
	REQ_N("advice", K_ENUM, madvise.advice, madvise_names),
	OPT("err", K_ERR, madvise.err),
};
static const text_field_t brk_fields[] = {
	REQ("request", K_HEX64, brk.request),
	REQ("result", K_HEX64, brk.result),
};
static const text_field_t fault_fields[] = {
	REQ("addr", K_HEX64, fault.addr),
	REQ("flags", K_FAULT, fault.flags),
};
static const text_field_t access_fields[] = {
	REQ("addr", K_HEX64, access.addr),
	REQ("flags", K_FAULT, access.flags),
};
static const text_field_t fork_fields[] = {
	REQ("child", K_DEC32, fork.child),
	OPT_N("flags", K_FLAGS, fork.flags, fork_flags),
};
static const text_field_t exec_fields[] = {
	STR("path", exec.path, exec.path_len),
};
static const text_field_t exit_fields[] = {
	REQ("code", K_S32, exit.code),
	OPT_N("flags", K_FLAGS, exit.flags, exit_flags),
};
static const text_field_t cma_fields[] = {
	REQ("area", K_DEC32, cma.area),
	REQ("id", K_DEC32, cma.id),
	REQ("count", K_DEC64, cma.count),
	OPT("align", K_DEC8, cma.align),
	OPT("err", K_ERR, cma.err),
};
static const text_field_t mark_fields[] = {
	STR("name", mark.name, mark.name_len),
};

typedef struct text_type {
	const text_field_t *f;
	unsigned nr;
} text_type_t;

#define FIELDS(arr) { arr, sizeof(arr) / sizeof(arr[0]) }

/* Fields of each type in canonical order.  At most one K_STR per type. */
static const text_type_t field_tables[TRACE_NR_TYPES] = {
	[TRACE_ALLOC] = FIELDS(alloc_fields),
	[TRACE_FREE] = FIELDS(free_fields),
	[TRACE_REALLOC] = FIELDS(realloc_fields),
	[TRACE_CACHE_CREATE] = FIELDS(cache_create_fields),
	[TRACE_CACHE_DESTROY] = FIELDS(cache_destroy_fields),
	[TRACE_PAGE_ALLOC] = FIELDS(page_alloc_fields),
	[TRACE_PAGE_FREE] = FIELDS(page_free_fields),
	[TRACE_MMAP] = FIELDS(mmap_fields),
	[TRACE_MUNMAP] = FIELDS(munmap_fields),
	[TRACE_MREMAP] = FIELDS(mremap_fields),
	[TRACE_MPROTECT] = FIELDS(mprotect_fields),
	[TRACE_MADVISE] = FIELDS(madvise_fields),
	[TRACE_BRK] = FIELDS(brk_fields),
	[TRACE_FAULT] = FIELDS(fault_fields),
	[TRACE_ACCESS] = FIELDS(access_fields),
	[TRACE_FORK] = FIELDS(fork_fields),
	[TRACE_EXEC] = FIELDS(exec_fields),
	[TRACE_EXIT] = FIELDS(exit_fields),
	[TRACE_CMA_ALLOC] = FIELDS(cma_fields),
	[TRACE_CMA_RELEASE] = FIELDS(cma_fields),
	[TRACE_MARK] = FIELDS(mark_fields),
};

/* Bytes a kind occupies in trace_event_t (K_STR: the pointer). */
static unsigned kind_width(unsigned kind)
{
	switch (kind) {
	case K_DEC64:
	case K_HEX64:
		return 8;
	case K_DEC8:
	case K_FUNC:
		return 1;
	case K_STR:
		return 0;
	default:
		return 4;
	}
}

/* The numeric value of field f in ev (K_S32 as its two's-complement bits). */
static uint64_t field_load(const trace_event_t *ev, const text_field_t *f)
{
	const char *at = (const char *)ev + f->off;
	uint64_t v64;
	uint32_t v32;
	uint8_t v8;
	switch (kind_width(f->kind)) {
	case 8:
		memcpy(&v64, at, 8);
		return v64;
	case 4:
		memcpy(&v32, at, 4);
		return v32;
	case 1:
		memcpy(&v8, at, 1);
		return v8;
	}
	return 0;
}

static void field_store(trace_event_t *ev, const text_field_t *f, uint64_t v)
{
	char *at = (char *)ev + f->off;
	uint32_t v32 = (uint32_t)v;
	uint8_t v8 = (uint8_t)v;
	switch (kind_width(f->kind)) {
	case 8:
		memcpy(at, &v, 8);
		break;
	case 4:
		memcpy(at, &v32, 4);
		break;
	case 1:
		memcpy(at, &v8, 1);
		break;
	}
}

static uint64_t field_default(const text_field_t *f)
{
	return f->kind == K_ID ? TRACE_NO_ID : 0;
}

/* ------------------------------------------------------------ printing */

/* A bounded output buffer; full is set (and the text cut) when it overflows. */
typedef struct out {
	char *p;
	size_t len;             /* bytes written */
	size_t cap;             /* bytes available, including the final NUL */
	bool full;
} out_t;

static void out_mem(out_t *o, const char *s, size_t n)
{
	if (o->full || o->len + n >= o->cap) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void out_s(out_t *o, const char *s)
{
	out_mem(o, s, strlen(s));
}

static void out_c(out_t *o, char c)
{
	out_mem(o, &c, 1);
}

static void out_dec(out_t *o, uint64_t v)
{
	char b[24];
	char *q = b + sizeof(b);
	do
		*--q = (char)('0' + v % 10);
	while (v /= 10);
	out_mem(o, q, (size_t)(b + sizeof(b) - q));
}

static const char hexdig[] = "0123456789abcdef";

static void out_hex(out_t *o, uint64_t v)
{
	char b[24];
	char *q = b + sizeof(b);
	do
		*--q = hexdig[v & 0xf];
	while (v >>= 4);
	*--q = 'x';
	*--q = '0';
	out_mem(o, q, (size_t)(b + sizeof(b) - q));
}

/*
 * The names of the bits of v from t joined by '|', leftover bits as one hex
 * number; "0" when nothing is printed and sep is false.  sep says whether
 * something precedes (so each item needs a leading '|').
 */
static void out_flags(out_t *o, uint32_t v, const text_names_t *t, bool sep)
{
	uint32_t rest = v;
	for (unsigned i = 0; i < t->nr; i++) {
		uint32_t m = t->v[i].value;
		if (m && (v & m) == m) {
			if (sep)
				out_c(o, '|');
			out_s(o, t->v[i].name);
			sep = true;
			rest &= ~m;
		}
	}
	if (rest) {
		if (sep)
			out_c(o, '|');
		out_hex(o, rest);
	} else if (!sep) {
		out_c(o, '0');
	}
}

static void out_string(out_t *o, const char *s, uint32_t len)
{
	out_c(o, '"');
	for (uint32_t i = 0; i < len && !o->full; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			out_mem(o, e, 2);
		} else if (c == '\n') {
			out_mem(o, "\\n", 2);
		} else if (c == '\t') {
			out_mem(o, "\\t", 2);
		} else if (c < 0x20 || c >= 0x7f) {
			char e[4] = { '\\', 'x', hexdig[c >> 4], hexdig[c & 0xf] };
			out_mem(o, e, 4);
		} else {
			out_c(o, (char)c);
		}
	}
	out_c(o, '"');
}

static void out_value(out_t *o, const trace_event_t *ev, const text_field_t *f,
		      uint64_t v)
{
	const char *name;
	switch (f->kind) {
	case K_DEC64:
	case K_DEC32:
	case K_ID:
	case K_DEC8:
		out_dec(o, v);
		break;
	case K_HEX64:
	case K_HEX32:
		out_hex(o, v);
		break;
	case K_S32:
		if ((int32_t)(uint32_t)v < 0) {
			out_c(o, '-');
			out_dec(o, (uint64_t)-(int64_t)(int32_t)(uint32_t)v);
		} else {
			out_dec(o, v);
		}
		break;
	case K_FUNC:
		name = trace_func_name((unsigned)v);
		if (name)
			out_s(o, name);
		else
			out_dec(o, v);
		break;
	case K_PROT:
		out_c(o, v & 0x1 ? 'r' : '-');
		out_c(o, v & 0x2 ? 'w' : '-');
		out_c(o, v & 0x4 ? 'x' : '-');
		if (v & ~PROT_RWX)
			out_flags(o, (uint32_t)v & ~PROT_RWX, &prot_extra, true);
		break;
	case K_FLAGS:
		out_flags(o, (uint32_t)v, f->names, false);
		break;
	case K_FAULT: {
		bool rd = !(v & (TRACE_FAULT_WRITE | TRACE_FAULT_EXEC));
		if (rd)
			out_s(o, "read");
		if (v || !rd)
			out_flags(o, (uint32_t)v, &fault_flags, rd);
		break;
	}
	case K_ENUM:
		for (unsigned i = 0; i < f->names->nr; i++)
			if (f->names->v[i].value == v) {
				out_s(o, f->names->v[i].name);
				return;
			}
		out_dec(o, v);
		break;
	case K_ERR:
		name = v < TEXT_ERRNO_MAX ? strerrorname_np((int)v) : NULL;
		if (name)
			out_s(o, name);
		else
			out_dec(o, v);
		break;
	case K_STR: {
		const char *s;
		uint32_t len;
		memcpy(&s, (const char *)ev + f->off, sizeof(s));
		memcpy(&len, (const char *)ev + f->off_len, sizeof(len));
		out_string(o, s ? s : "", s ? len : 0);
		break;
	}
	}
}

/*
 * Format ev into buf (see text.h).  An event whose type has no name cannot be
 * written in the text form: that also returns -1.
 */
int text_format_event(char *buf, size_t len, const trace_event_t *ev)
{
	out_t o = { buf, 0, len, false };
	const char *type = trace_type_name(ev->type);
	if (!len)
		return -1;
	buf[0] = '\0';
	if (!type)
		return -1;
	out_dec(&o, ev->ts);
	out_c(&o, ' ');
	out_dec(&o, ev->pid);
	out_c(&o, '/');
	out_dec(&o, ev->tid);
	out_s(&o, " [");
	out_dec(&o, ev->cpu);
	out_s(&o, "] ");
	out_s(&o, type);
	const text_type_t *t = &field_tables[ev->type];
	for (unsigned i = 0; i < t->nr; i++) {
		const text_field_t *f = &t->f[i];
		uint64_t v = field_load(ev, f);
		if (!f->required && v == field_default(f))
			continue;
		out_c(&o, ' ');
		out_s(&o, f->name);
		out_c(&o, '=');
		out_value(&o, ev, f, v);
	}
	if (o.full) {
		buf[o.len] = '\0';
		return -1;
	}
	buf[o.len] = '\0';
	return (int)o.len;
}

/* Write n bytes to f; on failure set *err.  Returns 0 or -1. */
static int dump_write(FILE *f, const char *s, size_t n, uint64_t *off,
		      uint64_t event, trace_error_t *err)
{
	if (n && fwrite(s, 1, n, f) != n)
		return trace_error_set(err, "<output>", event, *off,
				       "write failed: %s", strerror(errno));
	*off += n;
	return 0;
}

int text_dump(trace_reader_t *r, FILE *f, trace_error_t *err)
{
	char *line = malloc(TEXT_LINE_MAX + 1);
	uint64_t off = 0;
	int rc = -1;
	if (!line)
		return trace_error_set(err, "<output>", TRACE_NO_EVENT, 0, "out of memory");
	if (dump_write(f, TEXT_HEADER "\n", sizeof(TEXT_HEADER "\n") - 1, &off,
		       TRACE_NO_EVENT, err))
		goto out;
	for (size_t i = 0; i < trace_nr_meta(r); i++) {
		const trace_meta_t *m = trace_meta(r, i);
		out_t o = { line, 0, TEXT_LINE_MAX + 1, false };
		out_s(&o, "@meta ");
		out_s(&o, m->key);
		if (m->value[0]) {
			out_c(&o, ' ');
			out_s(&o, m->value);
		}
		out_c(&o, '\n');
		if (o.full) {
			trace_error_set(err, "<output>", TRACE_NO_EVENT, off,
					"metadata pair %zu too long for the text form", i);
			goto out;
		}
		if (dump_write(f, line, o.len, &off, TRACE_NO_EVENT, err))
			goto out;
	}
	for (;;) {
		trace_event_t ev;
		uint64_t idx = trace_position(r);
		int n = trace_next(r, &ev);
		if (n < 0) {
			if (err)
				*err = *trace_reader_error(r);
			goto out;
		}
		if (n == 0)
			break;
		int l = text_format_event(line, TEXT_LINE_MAX, &ev);
		if (l < 0) {
			trace_error_set(err, "<output>", idx, off,
					"event cannot be written in the text form");
			goto out;
		}
		line[l] = '\n';
		if (dump_write(f, line, (size_t)l + 1, &off, idx, err))
			goto out;
	}
	if (ferror(f)) {
		trace_error_set(err, "<output>", TRACE_NO_EVENT, off, "write failed");
		goto out;
	}
	rc = 0;
out:
	free(line);
	return rc;
}

/* ------------------------------------------------------------ parsing */

typedef struct text_parser {
	const char *name;       /* input name for errors */
	trace_error_t *err;
	uint64_t line_no;       /* 1-based number of the current line */
	uint64_t line_off;      /* byte offset of its start */
	uint64_t event;         /* its event index, or TRACE_NO_EVENT */
	uint64_t nr_events;     /* event lines parsed so far */
	uint64_t last_ts;       /* ns, of the previous event */
	trace_meta_t *meta;     /* pairs, key and value malloc()ed */
	size_t nr_meta;
	char str[TRACE_MAX_STRING];     /* the current event's decoded string */
} text_parser_t;

static int perr(text_parser_t *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Set the error for the current line: "line N: " + the formatted reason.  Returns -1. */
static int perr(text_parser_t *p, const char *fmt, ...)
{
	char reason[sizeof(p->err->reason)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return trace_error_set(p->err, p->name, p->event, p->line_off, "line %llu: %s",
			       (unsigned long long)p->line_no, reason);
}

/* [s, e) for an error message: printable, escaped, at most ~24 bytes. */
static const char *quote_token(char *buf, size_t len, const char *s, const char *e)
{
	out_t o = { buf, 0, len - 4, false };
	for (; s < e && !o.full; s++) {
		unsigned char c = (unsigned char)*s;
		if (o.len >= 24) {
			o.full = true;
			break;
		}
		if (c < 0x20 || c >= 0x7f || c == '\\' || c == '\'') {
			char x[4] = { '\\', 'x', hexdig[c >> 4], hexdig[c & 0xf] };
			out_mem(&o, x, 4);
		} else {
			out_c(&o, (char)c);
		}
	}
	if (o.full || s < e) {
		memcpy(buf + o.len, "...", 3);
		o.len += 3;
	}
	buf[o.len] = '\0';
	return buf;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static const char *skip_blanks(const char *s, const char *e)
{
	while (s < e && is_blank(*s))
		s++;
	return s;
}

/* End of the token starting at s: the next blank or e. */
static const char *token_end(const char *s, const char *e)
{
	while (s < e && !is_blank(*s))
		s++;
	return s;
}

enum { NUM_OK = 0, NUM_BAD = -1, NUM_OVERFLOW = -2 };

/*
 * Parse [s, e) as an unsigned decimal or 0x-prefixed hex number.  Returns
 * NUM_OK, NUM_BAD (not a number) or NUM_OVERFLOW (more than 64 bits).
 */
static int parse_u64(const char *s, const char *e, uint64_t *out)
{
	uint64_t v = 0;
	bool over = false;
	if (s == e)
		return NUM_BAD;
	if (e - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		for (s += 2; s < e; s++) {
			int d = hex_digit(*s);
			if (d < 0)
				return NUM_BAD;
			if (v >> 60)
				over = true;
			v = v << 4 | (unsigned)d;
		}
	} else {
		for (; s < e; s++) {
			if (*s < '0' || *s > '9')
				return NUM_BAD;
			unsigned d = (unsigned)(*s - '0');
			if (v > (UINT64_MAX - d) / 10)
				over = true;
			v = v * 10 + d;
		}
	}
	*out = v;
	return over ? NUM_OVERFLOW : NUM_OK;
}

/*
 * Parse a number for the field called what, at most max.  Returns 0 or -1
 * with the error set.
 */
static int parse_num(text_parser_t *p, const char *what, const char *s,
		     const char *e, uint64_t max, uint64_t *out)
{
	char q[112];
	int rc = parse_u64(s, e, out);
	if (rc == NUM_BAD)
		return perr(p, "field '%s': bad number '%s'", what,
			    quote_token(q, sizeof(q), s, e));
	if (rc == NUM_OVERFLOW)
		return perr(p, "field '%s': value overflow '%s'", what,
			    quote_token(q, sizeof(q), s, e));
	if (*out > max)
		return perr(p, "field '%s': %llu out of range (max %llu)", what,
			    (unsigned long long)*out, (unsigned long long)max);
	return 0;
}

/* Look [s, e) up in t.  Returns the index or -1. */
static int name_find(const text_names_t *t, const char *s, const char *e)
{
	for (unsigned i = 0; i < t->nr; i++)
		if (name_eq(t->v[i].name, s, (size_t)(e - s)))
			return (int)i;
	return -1;
}

/*
 * Parse a '|'-separated list of names from t (or, for K_FAULT, "read") and
 * numbers into a 32-bit mask.  *saw_read tells whether "read" appeared.
 */
static int parse_flag_list(text_parser_t *p, const char *what, const text_names_t *t,
			   bool allow_read, bool *saw_read, const char *s,
			   const char *e, uint32_t *out)
{
	char q[112];
	uint32_t v = 0;
	for (;;) {
		const char *b = memchr(s, '|', (size_t)(e - s));
		const char *te = b ? b : e;
		int i;
		if (te == s)
			return perr(p, "field '%s': empty flag", what);
		if (allow_read && te - s == 4 && !memcmp(s, "read", 4)) {
			*saw_read = true;
		} else if ((i = name_find(t, s, te)) >= 0) {
			v |= t->v[i].value;
		} else if (*s >= '0' && *s <= '9') {
			uint64_t n;
			if (parse_num(p, what, s, te, UINT32_MAX, &n))
				return -1;
			v |= (uint32_t)n;
		} else {
			return perr(p, "field '%s': unknown flag '%s'", what,
				    quote_token(q, sizeof(q), s, te));
		}
		if (!b)
			break;
		s = b + 1;
	}
	*out = v;
	return 0;
}

/*
 * Parse a quoted string starting at s (at the '"') into p->str.  *end
 * receives the position after the closing quote.  Returns the decoded
 * length, or -1 with the error set.
 */
static long parse_string(text_parser_t *p, const char *what, const char *s,
			 const char *e, const char **end)
{
	size_t n = 0;
	s++;
	for (;;) {
		if (s >= e)
			return perr(p, "field '%s': unterminated string", what);
		unsigned char c = (unsigned char)*s++;
		if (c == '"')
			break;
		if (c == '\\') {
			if (s >= e)
				return perr(p, "field '%s': unterminated string", what);
			char x = *s++;
			switch (x) {
			case '"':
			case '\\':
				c = (unsigned char)x;
				break;
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case 'x': {
				int hi = s < e ? hex_digit(s[0]) : -1;
				int lo = s + 1 < e ? hex_digit(s[1]) : -1;
				if (hi < 0 || lo < 0)
					return perr(p, "field '%s': \\x needs two hex digits",
						    what);
				c = (unsigned char)(hi << 4 | lo);
				s += 2;
				break;
			}
			default: {
				char q[112];
				return perr(p, "field '%s': unknown escape '\\%s'", what,
					    quote_token(q, sizeof(q), s - 1, s));
			}
			}
		}
		if (n == TRACE_MAX_STRING)
			return perr(p, "field '%s': string longer than %u bytes", what,
				    TRACE_MAX_STRING);
		p->str[n++] = (char)c;
	}
	*end = s;
	return (long)n;
}

/* Parse the value [s, e) of the non-string field f into ev. */
static int parse_value(text_parser_t *p, trace_event_t *ev, const text_field_t *f,
		       const char *s, const char *e)
{
	char q[112];
	uint64_t v = 0;
	uint32_t m = 0;
	int i;
	bool neg = false, rd = false;
	switch (f->kind) {
	case K_DEC64:
	case K_HEX64:
		if (parse_num(p, f->name, s, e, UINT64_MAX, &v))
			return -1;
		break;
	case K_DEC32:
	case K_HEX32:
	case K_ID:
		if (parse_num(p, f->name, s, e, UINT32_MAX, &v))
			return -1;
		break;
	case K_DEC8:
		if (parse_num(p, f->name, s, e, UINT8_MAX, &v))
			return -1;
		break;
	case K_S32:
		if (s < e && *s == '-') {
			neg = true;
			s++;
		}
		if (parse_num(p, f->name, s, e, neg ? (uint64_t)INT32_MAX + 1 : INT32_MAX,
			      &v))
			return -1;
		v = (uint32_t)(neg ? -(int64_t)v : (int64_t)v);
		break;
	case K_FUNC:
		if (s < e && *s >= '0' && *s <= '9') {
			if (parse_num(p, f->name, s, e, UINT8_MAX, &v))
				return -1;
		} else if ((i = trace_func_from_name(s, (size_t)(e - s))) >= 0) {
			v = (uint64_t)i;
		} else {
			return perr(p, "field '%s': unknown function '%s'", f->name,
				    quote_token(q, sizeof(q), s, e));
		}
		break;
	case K_PROT:
		if (e - s < 3 || (s[0] != 'r' && s[0] != '-') ||
		    (s[1] != 'w' && s[1] != '-') || (s[2] != 'x' && s[2] != '-') ||
		    (e - s > 3 && s[3] != '|'))
			return perr(p, "field '%s': expected rwx letters or '-', got '%s'",
				    f->name, quote_token(q, sizeof(q), s, e));
		v = (s[0] == 'r' ? 0x1u : 0) | (s[1] == 'w' ? 0x2u : 0) |
		    (s[2] == 'x' ? 0x4u : 0);
		if (e - s > 3) {
			if (parse_flag_list(p, f->name, &prot_extra, false, &rd, s + 4, e, &m))
				return -1;
			v |= m;
		}
		break;
	case K_FLAGS:
		if (parse_flag_list(p, f->name, f->names, false, &rd, s, e, &m))
			return -1;
		v = m;
		break;
	case K_FAULT:
		if (parse_flag_list(p, f->name, &fault_flags, true, &rd, s, e, &m))
			return -1;
		if (rd && (m & (TRACE_FAULT_WRITE | TRACE_FAULT_EXEC)))
			return perr(p, "field '%s': 'read' with 'write' or 'exec'", f->name);
		v = m;
		break;
	case K_ENUM:
		if (s < e && *s >= '0' && *s <= '9') {
			if (parse_num(p, f->name, s, e, UINT32_MAX, &v))
				return -1;
		} else if ((i = name_find(f->names, s, e)) >= 0) {
			v = f->names->v[i].value;
		} else {
			return perr(p, "field '%s': unknown name '%s'", f->name,
				    quote_token(q, sizeof(q), s, e));
		}
		break;
	case K_ERR:
		if (s < e && *s >= '0' && *s <= '9') {
			if (parse_num(p, f->name, s, e, UINT32_MAX, &v))
				return -1;
		} else if (s < e && (i = errno_from_name(s, e)) >= 0) {
			v = (uint64_t)i;
		} else {
			return perr(p, "field '%s': unknown errno name '%s'", f->name,
				    quote_token(q, sizeof(q), s, e));
		}
		break;
	}
	field_store(ev, f, v);
	return 0;
}

/* Parse the event line [s, e) into *ev. */
static int parse_event(text_parser_t *p, const char *s, const char *e,
		       trace_event_t *ev)
{
	char q[112];
	uint64_t v;
	const char *te, *slash;

	memset(ev, 0, sizeof(*ev));
	s = skip_blanks(s, e);
	te = token_end(s, e);
	if (parse_num(p, "ts", s, te, UINT64_MAX, &ev->ts))
		return -1;

	s = skip_blanks(te, e);
	te = token_end(s, e);
	if (s == te)
		return perr(p, "field 'pid/tid': missing after the timestamp");
	slash = memchr(s, '/', (size_t)(te - s));
	if (!slash)
		return perr(p, "field 'pid/tid': expected PID/TID, got '%s'",
			    quote_token(q, sizeof(q), s, te));
	if (parse_num(p, "pid", s, slash, UINT32_MAX, &v))
		return -1;
	ev->pid = (uint32_t)v;
	if (parse_num(p, "tid", slash + 1, te, UINT32_MAX, &v))
		return -1;
	ev->tid = (uint32_t)v;

	s = skip_blanks(te, e);
	te = token_end(s, e);
	if (te - s < 3 || s[0] != '[' || te[-1] != ']')
		return perr(p, "field 'cpu': expected [CPU], got '%s'",
			    quote_token(q, sizeof(q), s, te));
	if (parse_num(p, "cpu", s + 1, te - 1, UINT32_MAX, &v))
		return -1;
	ev->cpu = (uint32_t)v;

	s = skip_blanks(te, e);
	te = token_end(s, e);
	int type = s < te ? trace_type_from_name(s, (size_t)(te - s)) : -1;
	if (type <= 0)
		return perr(p, "field 'type': unknown event type '%s'",
			    quote_token(q, sizeof(q), s, te));
	ev->type = (uint8_t)type;
	const text_type_t *t = &field_tables[type];
	for (unsigned i = 0; i < t->nr; i++)
		field_store(ev, &t->f[i], field_default(&t->f[i]));

	uint32_t seen = 0;
	for (;;) {
		s = skip_blanks(te, e);
		if (s == e)
			break;
		const char *eq = s;
		while (eq < e && *eq != '=' && !is_blank(*eq))
			eq++;
		if (eq == e || *eq != '=' || eq == s)
			return perr(p, "expected FIELD=VALUE, got '%s'",
				    quote_token(q, sizeof(q), s, token_end(s, e)));
		unsigned i;
		for (i = 0; i < t->nr; i++)
			if (name_eq(t->f[i].name, s, (size_t)(eq - s)))
				break;
		if (i == t->nr)
			return perr(p, "unknown field '%s' for %s",
				    quote_token(q, sizeof(q), s, eq), trace_type_name(type));
		const text_field_t *f = &t->f[i];
		if (seen & (1u << i))
			return perr(p, "field '%s' given twice", f->name);
		seen |= 1u << i;
		s = eq + 1;
		if (f->kind == K_STR) {
			if (s == e || *s != '"')
				return perr(p, "field '%s': expected a quoted string", f->name);
			long n = parse_string(p, f->name, s, e, &te);
			if (n < 0)
				return -1;
			if (te < e && !is_blank(*te))
				return perr(p, "field '%s': junk after the closing quote",
					    f->name);
			const char *str = p->str;
			uint32_t len = (uint32_t)n;
			memcpy((char *)ev + f->off, &str, sizeof(str));
			memcpy((char *)ev + f->off_len, &len, sizeof(len));
		} else {
			te = token_end(s, e);
			if (parse_value(p, ev, f, s, te))
				return -1;
		}
	}
	for (unsigned i = 0; i < t->nr; i++)
		if (t->f[i].required && !(seen & (1u << i)))
			return perr(p, "missing required field '%s' for %s", t->f[i].name,
				    trace_type_name(type));

	/* The binary form keeps a result only for a call that succeeded. */
	if ((type == TRACE_MMAP && ev->mmap.err && ev->mmap.result) ||
	    (type == TRACE_MREMAP && ev->mremap.err && ev->mremap.result))
		return perr(p, "field 'result': only recorded when err is 0");
	const char *why = fmt_event_invalid(ev);
	if (why)
		return perr(p, "invalid event: %s", why);
	if (p->nr_events && ev->ts < p->last_ts)
		return perr(p, "field 'ts': %llu is before the previous event's %llu",
			    (unsigned long long)ev->ts, (unsigned long long)p->last_ts);
	return 0;
}

/* Key rule of the binary writer: 1..64 bytes of [A-Za-z0-9_.-]. */
static bool meta_key_ok(const char *s, const char *e)
{
	if (e == s || e - s > 64)
		return false;
	for (; s < e; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* Parse a directive line [s, e) (s at '@'); only "@meta KEY [VALUE]" exists. */
static int parse_directive(text_parser_t *p, const char *s, const char *e)
{
	char q[112];
	const char *te = token_end(s, e);
	if (te - s != 5 || memcmp(s, "@meta", 5))
		return perr(p, "unknown directive '%s'", quote_token(q, sizeof(q), s, te));
	if (p->nr_events)
		return perr(p, "@meta after the first event");
	const char *k = skip_blanks(te, e);
	const char *ke = token_end(k, e);
	if (!meta_key_ok(k, ke))
		return perr(p, "@meta key '%s' is not 1..64 bytes of [A-Za-z0-9_.-]",
			    quote_token(q, sizeof(q), k, ke));
	const char *v = ke < e ? ke + 1 : e;   /* one blank separates key and value */
	if ((size_t)(e - v) > TRACE_MAX_STRING)
		return perr(p, "@meta value longer than %u bytes", TRACE_MAX_STRING);
	if (p->nr_meta == TEXT_MAX_ALL_META)
		return perr(p, "more than %u @meta lines", TEXT_MAX_ALL_META);
	if (!p->meta) {
		p->meta = calloc(TEXT_MAX_ALL_META, sizeof(*p->meta));
		if (!p->meta)
			return perr(p, "out of memory");
	}
	char *key = strndup(k, (size_t)(ke - k));
	char *val = strndup(v, (size_t)(e - v));
	if (!key || !val) {
		free(key);
		free(val);
		return perr(p, "out of memory");
	}
	p->meta[p->nr_meta].key = key;
	p->meta[p->nr_meta].value = val;
	p->nr_meta++;
	return 0;
}

/*
 * Open the output with the metadata collected so far: the first
 * TRACE_MAX_META pairs in the header, the rest in the trailer (readers list
 * them in that order, so dump shows them as they came).
 */
static trace_writer_t *open_output(text_parser_t *p, const char *out_path,
				   const trace_writer_opts_t *opts)
{
	size_t nr_head = p->nr_meta < TRACE_MAX_META ? p->nr_meta : TRACE_MAX_META;
	trace_writer_t *w = trace_writer_open(out_path, p->meta, nr_head, opts, p->err);
	if (!w)
		return NULL;
	for (size_t i = nr_head; i < p->nr_meta; i++)
		if (trace_writer_add_meta(w, p->meta[i].key, p->meta[i].value)) {
			if (p->err)
				*p->err = *trace_writer_error(w);
			trace_writer_abort(w);
			return NULL;
		}
	return w;
}

/* Is [s, e) (s at '#') a version line naming a version other than 1? */
static bool bad_version_line(const char *s, const char *e)
{
	size_t n = sizeof(TEXT_VERSION_PREFIX) - 1;
	if ((size_t)(e - s) <= n || memcmp(s, TEXT_VERSION_PREFIX, n))
		return false;
	s += n;
	const char *te = token_end(s, e);
	return te - s != 1 || *s != '1';
}

int text_import_mem(const char *buf, size_t len, const char *name,
		    const char *out_path, const trace_writer_opts_t *opts,
		    trace_error_t *err)
{
	trace_error_t local;
	text_parser_t *p = calloc(1, sizeof(*p));
	trace_writer_t *w = NULL;
	size_t pos = 0;
	int rc = -1;
	if (!name)
		name = "<memory>";
	if (!err)
		err = &local;
	if (!p)
		return trace_error_set(err, name, TRACE_NO_EVENT, 0, "out of memory");
	p->name = name;
	p->err = err;
	while (pos < len) {
		const char *s = buf + pos;
		const char *nl = memchr(s, '\n', len - pos);
		const char *e = nl ? nl : buf + len;
		const char *c = skip_blanks(s, e);
		p->line_no++;
		p->line_off = pos;
		pos = nl ? (size_t)(nl - buf) + 1 : len;
		p->event = (c == e || *c == '#' || *c == '@') ? TRACE_NO_EVENT
							       : p->nr_events;
		if ((size_t)(e - s) > TEXT_LINE_MAX) {
			perr(p, "line longer than %u bytes", TEXT_LINE_MAX);
			goto out;
		}
		const char *nul = memchr(s, '\0', (size_t)(e - s));
		if (nul) {
			perr(p, "NUL byte at column %zu (write \\x00 in a string)",
			     (size_t)(nul - s) + 1);
			goto out;
		}
		if (c == e)
			continue;
		if (*c == '#') {
			if (bad_version_line(c, e)) {
				perr(p, "unsupported text form version (this reads v1)");
				goto out;
			}
			continue;
		}
		if (*c == '@') {
			if (parse_directive(p, c, e))
				goto out;
			continue;
		}
		trace_event_t ev;
		if (parse_event(p, c, e, &ev))
			goto out;
		if (out_path && !w && !(w = open_output(p, out_path, opts)))
			goto out;
		if (w && trace_write(w, &ev)) {
			perr(p, "%s", trace_writer_error(w)->reason);
			goto out;
		}
		p->last_ts = ev.ts;
		p->nr_events++;
	}
	if (out_path) {
		if (!w && !(w = open_output(p, out_path, opts)))
			goto out;
		rc = trace_writer_close(w, err);
		w = NULL;
	} else {
		rc = 0;
	}
out:
	trace_writer_abort(w);
	for (size_t i = 0; i < p->nr_meta; i++) {
		free((char *)p->meta[i].key);
		free((char *)p->meta[i].value);
	}
	free(p->meta);
	free(p);
	return rc;
}

int text_import(const char *in_path, const char *out_path,
		const trace_writer_opts_t *opts, trace_error_t *err)
{
	char *buf;
	size_t len;

	if (trace_read_input(in_path, &buf, &len, err))
		return -1;
	int rc = text_import_mem(buf, len, in_path, out_path, opts, err);
	free(buf);
	return rc;
}
