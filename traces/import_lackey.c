/*
 * import_lackey.c - valgrind lackey --trace-mem=yes output to a trace of
 * ACCESS events (import_lackey.h says what is read and how it maps).
 *
 * One pass, one line at a time: a file or standard input is read as a
 * stream with getline(), so a lackey log far larger than memory imports in
 * constant space; lackey_import_mem() splits a buffer into the same lines.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "import_lackey.h"
#include "parse.h"

/* The record prefixes, as lk_main.c's trace_instr/load/store/modify print them. */
static const char *const lackey_prefix[LACKEY_NR_KINDS] = {
	[LACKEY_INSTR] = "I  ",
	[LACKEY_LOAD] = " L ",
	[LACKEY_STORE] = " S ",
	[LACKEY_MODIFY] = " M ",
};

static const char *const lackey_kind_name[LACKEY_NR_KINDS] = {
	[LACKEY_INSTR] = "instruction record 'I'",
	[LACKEY_LOAD] = "load record 'L'",
	[LACKEY_STORE] = "store record 'S'",
	[LACKEY_MODIFY] = "modify record 'M'",
};

struct lk_imp {
	const char *name;       /* input name for errors */
	trace_error_t *err;
	trace_writer_t *w;      /* NULL: check only */
	uint64_t every;         /* keep one record in this many, >= 1 */
	uint32_t pid;           /* pid of the accesses that follow */
	uint32_t last_pid;      /* pid of the last access written, 0 = none yet */
	uint64_t lineno;        /* lines read, 1-based number of the current one */
	uint64_t nr_records;    /* lackey records read (the next one's ts) */
	uint64_t nr_kind[LACKEY_NR_KINDS];
	uint64_t nr_sampled;    /* records kept */
	uint64_t nr_split;      /* records crossing a page boundary */
	uint64_t nr_skipped;    /* lines that are not lackey's */
	uint64_t nr_banner;     /* ==PID== lines */
	uint64_t nr_pid_switches;       /* accesses whose pid differs from the previous access's */
	uint64_t nr_written;    /* ACCESS events */
};

/* ---------------------------------------------------------------- parsing */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A printable rendering of the character at s[i] (or "end of line") for errors. */
static const char *char_desc(const char *s, size_t len, size_t i, char *buf, size_t blen)
{
	if (i >= len)
		return "end of line";
	unsigned char c = (unsigned char)s[i];
	if (c >= 0x20 && c < 0x7f)
		snprintf(buf, blen, "'%c'", c);
	else
		snprintf(buf, blen, "byte 0x%02x", c);
	return buf;
}

/* "==PID==": 2 with *pid, 0 if the line is not of that shape, -1 on a bad pid. */
static int parse_banner(const char *s, size_t len, uint32_t *pid, char *why, size_t why_len)
{
	size_t i = 2;
	uint64_t v = 0;
	bool big = false;

	while (i < len && is_digit(s[i])) {
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > INT32_MAX)
			big = true, v = INT32_MAX + 1ull;
		i++;
	}
	if (i == 2 || i + 2 > len || s[i] != '=' || s[i + 1] != '=')
		return 0;       /* "==" but no pid: not valgrind's, skipped */
	if (!v || big) {
		snprintf(why, why_len, "valgrind line '==%.*s==': pid out of range (1 to %d)",
			 (int)(i - 2 > 24 ? 24 : i - 2), s + 2, INT32_MAX);
		return -1;
	}
	*pid = (uint32_t)v;
	return 2;
}

int lackey_parse_line(const char *s, size_t len, lackey_record_t *rec, uint32_t *pid,
		      char *why, size_t why_len)
{
	char cb[16];
	int kind = -1;

	if (len >= 2 && s[0] == '=' && s[1] == '=')
		return parse_banner(s, len, pid, why, why_len);
	if (len < 3)
		return 0;
	for (int k = 0; k < LACKEY_NR_KINDS; k++)
		if (!memcmp(s, lackey_prefix[k], 3))
			kind = k;
	if (kind < 0)
		return 0;

	const char *what = lackey_kind_name[kind];
	size_t i = 3;
	uint64_t addr = 0;
	int digit;
	while (i < len && (digit = hex_digit(s[i])) >= 0) {
		if (addr >> 60) {
			snprintf(why, why_len, "%s: address %.*s... does not fit in 64 bits", what,
				 (int)(i - 3 > 20 ? 20 : i - 3), s + 3);
			return -1;
		}
		addr = addr << 4 | (uint64_t)digit;
		i++;
	}
	if (i == 3) {
		snprintf(why, why_len, "%s: expected a hex address, found %s", what,
			 char_desc(s, len, i, cb, sizeof(cb)));
		return -1;
	}
	if (i >= len || s[i] != ',') {
		snprintf(why, why_len, "%s: expected ',' after the address, found %s", what,
			 char_desc(s, len, i, cb, sizeof(cb)));
		return -1;
	}
	size_t d = ++i;
	uint64_t size = 0;
	while (i < len && is_digit(s[i])) {
		if (size <= LACKEY_MAX_SIZE)
			size = size * 10 + (uint64_t)(s[i] - '0');
		i++;
	}
	if (i == d) {
		snprintf(why, why_len, "%s: expected a decimal size, found %s", what,
			 char_desc(s, len, i, cb, sizeof(cb)));
		return -1;
	}
	if (i < len) {
		snprintf(why, why_len, "%s: unexpected %s after the size", what,
			 char_desc(s, len, i, cb, sizeof(cb)));
		return -1;
	}
	if (size == 0 || size > LACKEY_MAX_SIZE) {
		snprintf(why, why_len, "%s: size %.*s%s out of range (1 to %d bytes)", what,
			 (int)(i - d > 20 ? 20 : i - d), s + d, i - d > 20 ? "..." : "",
			 LACKEY_MAX_SIZE);
		return -1;
	}
	if (addr + (size - 1) < addr) {
		snprintf(why, why_len, "%s: access of %" PRIu64 " bytes at %#" PRIx64
			 " runs past the end of the address space", what, size, addr);
		return -1;
	}
	rec->addr = addr;
	rec->size = (uint32_t)size;
	rec->kind = (uint8_t)kind;
	return 1;
}

uint32_t lackey_access_flags(unsigned kind)
{
	switch (kind) {
	case LACKEY_INSTR:
		return TRACE_FAULT_USER | TRACE_FAULT_EXEC;
	case LACKEY_STORE:
	case LACKEY_MODIFY:     /* load + store of the same bytes: the store decides */
		return TRACE_FAULT_USER | TRACE_FAULT_WRITE;
	default:
		return TRACE_FAULT_USER;
	}
}

/* ---------------------------------------------------------------- events */

static int lk_error(struct lk_imp *p, uint64_t off, const char *msg)
{
	return trace_error_set(p->err, p->name, TRACE_NO_EVENT, off, "line %" PRIu64 ": %s",
			       p->lineno, msg);
}

static int emit(struct lk_imp *p, uint64_t off, uint64_t ts, uint64_t addr, uint32_t flags)
{
	trace_event_t ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = TRACE_ACCESS;
	ev.ts = ts;
	ev.pid = ev.tid = p->pid;
	ev.access.addr = addr;
	ev.access.flags = flags;
	if (p->w && trace_write(p->w, &ev))
		return lk_error(p, off, trace_writer_error(p->w)->reason);
	if (p->last_pid && p->last_pid != p->pid)
		p->nr_pid_switches++;
	p->last_pid = p->pid;
	p->nr_written++;
	return 0;
}

/* One line (s, len bytes, no newline) at byte offset off of the input. */
static int lk_line(struct lk_imp *p, const char *s, size_t len, uint64_t off)
{
	char why[192];
	lackey_record_t rec;
	uint32_t pid;

	p->lineno++;
	switch (lackey_parse_line(s, len, &rec, &pid, why, sizeof(why))) {
	case -1:
		return lk_error(p, off, why);
	case 0:
		p->nr_skipped++;
		return 0;
	case 2:
		p->nr_banner++;
		p->pid = pid;
		return 0;
	}

	uint64_t ts = p->nr_records++;
	p->nr_kind[rec.kind]++;
	if (ts % p->every)
		return 0;
	p->nr_sampled++;

	uint32_t flags = lackey_access_flags(rec.kind);
	uint64_t last = rec.addr + rec.size - 1;
	if (emit(p, off, ts, rec.addr, flags))
		return -1;
	/* size <= one page: at most the next page as well */
	if (last / LACKEY_PAGE_SIZE != rec.addr / LACKEY_PAGE_SIZE) {
		p->nr_split++;
		if (emit(p, off, ts, last & ~(LACKEY_PAGE_SIZE - 1), flags))
			return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- setup, metadata */

static int lk_open(struct lk_imp *p, const char *name, const char *out_path,
		   const lackey_import_opts_t *opts, trace_error_t *err)
{
	char every[24];
	trace_meta_t meta[TRACE_MAX_META];
	size_t nr_meta = 0;

	memset(p, 0, sizeof(*p));
	p->name = name;
	p->err = err;
	p->every = opts->sample_every > 1 ? opts->sample_every : 1;
	p->pid = opts->pid ? opts->pid : 1;
	if (!out_path)
		return 0;
	snprintf(every, sizeof(every), "%" PRIu64, p->every);
	meta[nr_meta++] = (trace_meta_t){ "source", "valgrind-lackey" };
	meta[nr_meta++] = (trace_meta_t){ "import.format", "lackey" };
	meta[nr_meta++] = (trace_meta_t){ "lackey.ts", "record-index" };
	meta[nr_meta++] = (trace_meta_t){ "lackey.sample_every", every };
	for (size_t i = 0; i < opts->nr_meta && nr_meta < TRACE_MAX_META; i++)
		meta[nr_meta++] = opts->meta[i];
	p->w = trace_writer_open(out_path, meta, nr_meta, opts->writer, err);
	return p->w ? 0 : -1;
}

static int lk_finish(struct lk_imp *p, const lackey_import_opts_t *opts)
{
	const struct { const char *key; uint64_t v; } m[] = {
		{ "lackey.lines", p->lineno },
		{ "lackey.accesses", p->nr_records },
		{ "lackey.sampled", p->nr_sampled },
		{ "lackey.instr", p->nr_kind[LACKEY_INSTR] },
		{ "lackey.loads", p->nr_kind[LACKEY_LOAD] },
		{ "lackey.stores", p->nr_kind[LACKEY_STORE] },
		{ "lackey.modifies", p->nr_kind[LACKEY_MODIFY] },
		{ "lackey.split_accesses", p->nr_split },
		{ "lackey.skipped_lines", p->nr_skipped },
		{ "lackey.valgrind_lines", p->nr_banner },
		{ "lackey.pid_switches", p->nr_pid_switches },
		{ "lackey.events_written", p->nr_written },
	};

	if (p->w) {
		for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
			char buf[24];
			snprintf(buf, sizeof(buf), "%" PRIu64, m[i].v);
			if (trace_writer_add_meta(p->w, m[i].key, buf)) {
				*p->err = *trace_writer_error(p->w);
				return -1;
			}
		}
		trace_writer_t *w = p->w;
		p->w = NULL;
		if (trace_writer_close(w, p->err))
			return -1;
	}
	if (opts->summary) {
		fprintf(opts->summary, "%s: %" PRIu64 " ACCESS events from %" PRIu64
			" lackey records (%" PRIu64 " kept", p->name, p->nr_written, p->nr_records,
			p->nr_sampled);
		if (p->every > 1)
			fprintf(opts->summary, ", one in %" PRIu64, p->every);
		fprintf(opts->summary, ") in %" PRIu64 " lines; %" PRIu64 " other lines skipped; %"
			PRIu64 " split at a page boundary\n", p->lineno, p->nr_skipped, p->nr_split);
	}
	return 0;
}

static void lk_abort(struct lk_imp *p)
{
	if (p->w)
		trace_writer_abort(p->w);
	p->w = NULL;
}

/* ---------------------------------------------------------------- entry points */

int lackey_import_mem(const char *buf, size_t len, const char *name,
		      const char *out_path, const lackey_import_opts_t *opts,
		      trace_error_t *err)
{
	static const lackey_import_opts_t no_opts;
	struct lk_imp p;
	size_t off = 0;

	if (!opts)
		opts = &no_opts;
	if (lk_open(&p, name, out_path, opts, err))
		return -1;
	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - (buf + off)) : len - off;
		if (lk_line(&p, buf + off, n, off)) {
			lk_abort(&p);
			return -1;
		}
		off += n + (nl != NULL);
	}
	if (lk_finish(&p, opts)) {
		lk_abort(&p);
		return -1;
	}
	return 0;
}

int lackey_import(const char *in_path, const char *out_path,
		  const lackey_import_opts_t *opts, trace_error_t *err)
{
	static const lackey_import_opts_t no_opts;
	bool is_stdin = !strcmp(in_path, "-");
	struct lk_imp p;
	char *line = NULL;
	size_t cap = 0;
	uint64_t off = 0;
	ssize_t n;
	int rc = -1;

	if (!opts)
		opts = &no_opts;
	FILE *f = is_stdin ? stdin : fopen(in_path, "rb");
	if (!f)
		return trace_error_set(err, in_path, TRACE_NO_EVENT, 0, "cannot open: %s",
				       strerror(errno));
	if (lk_open(&p, in_path, out_path, opts, err))
		goto out;
	while ((n = getline(&line, &cap, f)) > 0) {
		size_t l = (size_t)n;
		if (line[l - 1] == '\n')
			l--;
		if (lk_line(&p, line, l, off))
			goto out;
		off += (uint64_t)n;
	}
	if (ferror(f) || !feof(f)) {    /* getline() also stops when out of memory */
		trace_error_set(err, in_path, TRACE_NO_EVENT, off, "read failed: %s", strerror(errno));
		goto out;
	}
	if (lk_finish(&p, opts))
		goto out;
	rc = 0;
out:
	lk_abort(&p);
	free(line);
	if (!is_stdin)
		fclose(f);
	return rc;
}
