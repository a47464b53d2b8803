/*
 * suite.c - suite files: parsing (libinih), trace resolution and the
 * command line of each cell (bench/suite.h).
 */
#include <errno.h>
#include <glob.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/cli.h"
#include "bench/policy.h"
#include "bench/suite.h"
#include "traces/trace.h"
#include "workloads/generate.h"

static const char *const allocators[] = { "jemalloc", "glibc", "mimalloc", "tcmalloc" };

char *suite_dir(char *buf, size_t len)
{
	return cli_find_dir(buf, len, "MMBENCH_SUITES", "bench/suites");
}

char *suite_corpus_dir(char *buf, size_t len)
{
	return cli_find_dir(buf, len, "MMBENCH_CORPUS", "traces/corpus");
}

/* ---------------------------------------------------------------- parsing */

struct parse_ctx {
	suite_t *s;
	const char *file;
	FILE *f;
	int line;               /* lines read so far: the line the handler is called for */
	bool failed;
	int err_line;
	char *err;
	size_t errlen;
};

/* fgets for ini_parse_stream counting lines; long lines and NUL bytes are errors. */
static char *read_line(char *buf, int len, void *stream)
{
	struct parse_ctx *c = stream;
	int n = 0, ch;

	while ((ch = getc(c->f)) != EOF && ch != '\n') {
		if (!ch || n == len - 1) {
			c->line++;
			if (!c->failed) {
				c->failed = true;
				c->err_line = c->line;
				snprintf(c->err, c->errlen, ch ? "line longer than %d bytes" :
					 "NUL byte in the line", len - 1);
			}
			return NULL;
		}
		buf[n++] = (char)ch;
	}
	if (ch == EOF && !n)
		return NULL;
	buf[n] = 0;
	c->line++;
	return buf;
}

static int fail(struct parse_ctx *c, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parse_ctx *c, const char *key, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	if (c->failed)
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->failed = true;
	c->err_line = c->line;
	snprintf(c->err, c->errlen, "%s: %s", key, msg);
	return 0;
}

static bool parse_ulong(const char *v, unsigned long max, unsigned long *out)
{
	char *end;

	if (!*v || *v == '-' || *v == '+')
		return false;
	errno = 0;
	unsigned long x = strtoul(v, &end, 10);
	if (errno || *end || x > max)
		return false;
	*out = x;
	return true;
}

static bool parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i]))
			return *out = true, true;
		if (!strcasecmp(v, no[i]))
			return *out = false, true;
	}
	return false;
}

/* Name of a trace file: its base name without ".mmt". */
static void trace_name_of(const char *path, char *name, size_t len)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 4 && !strcmp(base + n - 4, ".mmt"))
		n -= 4;
	snprintf(name, len, "%.*s", (int)n, base);
}

static int add_trace(struct parse_ctx *c, enum suite_trace_kind kind, const char *name,
		     const char *path)
{
	suite_t *s = c->s;

	if (s->nr_traces == SUITE_MAX_TRACES)
		return fail(c, "traces", "more than %d traces", SUITE_MAX_TRACES);
	for (unsigned i = 0; i < s->nr_traces; i++)
		if (!strcmp(s->traces[i].name, name))
			return fail(c, "traces", "two traces named '%s' (results are keyed by name)",
				    name);
	suite_trace_t *t = &s->traces[s->nr_traces++];
	t->kind = kind;
	snprintf(t->name, sizeof(t->name), "%s", name);
	snprintf(t->path, sizeof(t->path), "%s", path);
	return 1;
}

static int add_file_trace(struct parse_ctx *c, const char *path)
{
	char abs[PATH_MAX], name[128];

	if (!realpath(path, abs))
		return fail(c, "traces", "%s: %s", path, strerror(errno));
	trace_name_of(abs, name, sizeof(name));
	return add_trace(c, SUITE_TRACE_FILE, name, abs);
}

static int set_trace(struct parse_ctx *c, const char *item)
{
	if (!strncmp(item, "generate:", 9)) {
		const char *g = item + 9;
		size_t nr;
		const generator_t *gens = generators(&nr);
		for (size_t i = 0; i < nr; i++)
			if (!strcmp(gens[i].name, g))
				return add_trace(c, SUITE_TRACE_GENERATE, g, "");
		return fail(c, "traces", "'%s': no generator named '%s' (see `mmbench generate --list`)",
			    item, g);
	}
	if (!strncmp(item, "corpus:", 7)) {
		const char *pat = item + 7;
		char dir[PATH_MAX], path[PATH_MAX + 160];
		glob_t g;

		if (!*pat || strchr(pat, '/'))
			return fail(c, "traces", "'%s': expected corpus:NAME or corpus:GLOB", item);
		suite_corpus_dir(dir, sizeof(dir));
		snprintf(path, sizeof(path), "%s/%s.mmt", dir, pat);
		if (!strpbrk(pat, "*?[")) {
			if (access(path, R_OK))
				return fail(c, "traces", "'%s': %s: %s", item, path, strerror(errno));
			return add_file_trace(c, path);
		}
		int rc = glob(path, 0, NULL, &g);
		if (rc == GLOB_NOMATCH)
			return 1;       /* an empty corpus is fine */
		if (rc)
			return fail(c, "traces", "'%s': cannot list %s", item, dir);
		for (size_t i = 0; i < g.gl_pathc; i++)
			if (!add_file_trace(c, g.gl_pathv[i])) {
				globfree(&g);
				return 0;
			}
		globfree(&g);
		return 1;
	}
	return add_file_trace(c, item);
}

static int set_policy(struct parse_ctx *c, const char *item)
{
	suite_t *s = c->s;
	struct policy *p;
	char perr[600];

	if (s->nr_policies == SUITE_MAX_POLICIES)
		return fail(c, "policies", "more than %d policies", SUITE_MAX_POLICIES);
	p = malloc(sizeof(*p));
	if (!p)
		return fail(c, "policies", "out of memory");
	if (policy_load(p, item, perr, sizeof(perr))) {
		free(p);
		return fail(c, "policies", "'%s': %s", item, perr);
	}
	for (unsigned i = 0; i < s->nr_policies; i++)
		if (!strcmp(s->policies[i].name, p->name)) {
			free(p);
			return fail(c, "policies", "'%s' named twice", item);
		}
	suite_policy_t *sp = &s->policies[s->nr_policies];
	if (!realpath(p->path, sp->path)) {
		int e = errno;
		free(p);
		return fail(c, "policies", "'%s': %s", item, strerror(e));
	}
	snprintf(sp->name, sizeof(sp->name), "%s", p->name);
	snprintf(sp->description, sizeof(sp->description), "%s", p->description);
	s->nr_policies++;
	free(p);
	return 1;
}

static int set_baseline(struct parse_ctx *c, const char *item)
{
	suite_t *s = c->s;

	for (size_t i = 0; i < sizeof(allocators) / sizeof(allocators[0]); i++) {
		if (strcmp(item, allocators[i]))
			continue;
		for (unsigned j = 0; j < s->nr_baselines; j++)
			if (!strcmp(s->baselines[j], item))
				return fail(c, "baselines", "'%s' named twice", item);
		if (s->nr_baselines == SUITE_MAX_BASELINES)
			return fail(c, "baselines", "too many");
		snprintf(s->baselines[s->nr_baselines++], sizeof(s->baselines[0]), "%s", item);
		return 1;
	}
	return fail(c, "baselines", "'%s': not an allocator (jemalloc, glibc, mimalloc, tcmalloc)",
		    item);
}

/* Call set on every blank- or comma-separated item of value. */
static int for_each_item(struct parse_ctx *c, const char *value,
			 int (*set)(struct parse_ctx *c, const char *item))
{
	char buf[256];
	size_t n = strlen(value);

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;    /* inih's lines are shorter */
	memcpy(buf, value, n);
	buf[n] = 0;
	for (char *save, *tok = strtok_r(buf, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save))
		if (!set(c, tok))
			return 0;
	return 1;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *c = user;
	suite_t *s = c->s;
	unsigned long v;

	if (c->failed)
		return 0;
	if (strcmp(section, "suite"))
		return fail(c, name, "unknown section [%s] (a suite has one [suite] section)", section);
	if (!strcmp(name, "description")) {
		if (strlen(value) >= sizeof(s->description))
			return fail(c, name, "longer than %zu bytes", sizeof(s->description) - 1);
		snprintf(s->description, sizeof(s->description), "%s", value);
		return 1;
	}
	if (!strcmp(name, "traces"))
		return for_each_item(c, value, set_trace);
	if (!strcmp(name, "policies"))
		return for_each_item(c, value, set_policy);
	if (!strcmp(name, "baselines"))
		return for_each_item(c, value, set_baseline);
	if (!strcmp(name, "repetitions")) {
		if (!parse_ulong(value, SUITE_MAX_REPETITIONS, &v) || !v)
			return fail(c, name, "'%s': expected 1..%d", value, SUITE_MAX_REPETITIONS);
		s->repetitions = (unsigned)v;
		return 1;
	}
	if (!strcmp(name, "sample_every") || !strcmp(name, "check") || !strcmp(name, "warmup")) {
		if (!parse_ulong(value, 1ul << 40, &v))
			return fail(c, name, "'%s': expected a number of events", value);
		*(name[0] == 's' ? &s->sample_every : name[0] == 'c' ? &s->check : &s->warmup) = v;
		return 1;
	}
	if (!strcmp(name, "threads_max")) {
		if (!parse_ulong(value, 4096, &v))
			return fail(c, name, "'%s': expected 0..4096", value);
		s->threads_max = (unsigned)v;
		return 1;
	}
	if (!strcmp(name, "no_timing")) {
		if (!parse_bool(value, &s->no_timing))
			return fail(c, name, "'%s': expected true or false", value);
		return 1;
	}
	if (!strcmp(name, "touch")) {
		if (strcmp(value, "alloc") && strcmp(value, "none"))
			return fail(c, name, "'%s': expected alloc or none", value);
		snprintf(s->touch, sizeof(s->touch), "%s", value);
		return 1;
	}
	if (!strcmp(name, "dump")) {
		if (strlen(value) >= sizeof(s->dump) || strpbrk(value, " \t"))
			return fail(c, name, "'%s': expected a comma-separated list", value);
		snprintf(s->dump, sizeof(s->dump), "%s", value);
		return 1;
	}
	return fail(c, name, "unknown key");
}

int suite_load(suite_t *s, const char *name_or_path, char *err, size_t errlen)
{
	size_t n = strlen(name_or_path);
	struct parse_ctx c = { .s = s, .err = err, .errlen = errlen };
	char *path = s->path, dir[PATH_MAX - 64];
	char msg[1024];
	int line;

	memset(s, 0, sizeof(*s));
	s->repetitions = 1;
	snprintf(s->touch, sizeof(s->touch), "alloc");
	if (n >= sizeof(dir)) {
		snprintf(err, errlen, "%.64s...: path too long", name_or_path);
		return -1;
	}
	if (strchr(name_or_path, '/') || (n > 6 && !strcmp(name_or_path + n - 6, ".suite")))
		snprintf(s->path, sizeof(s->path), "%s", name_or_path);
	else
		snprintf(s->path, sizeof(s->path), "%s/%.48s.suite", suite_dir(dir, sizeof(dir)),
			 name_or_path);
	trace_name_of(path, s->name, sizeof(s->name));
	n = strlen(s->name);
	if (n > 6 && !strcmp(s->name + n - 6, ".suite"))
		s->name[n - 6] = 0;

	c.file = path;
	c.f = fopen(path, "r");
	if (!c.f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char abs[PATH_MAX];
	if (realpath(path, abs) && strlen(abs) < sizeof(s->path))
		memcpy(s->path, abs, strlen(abs) + 1);  /* absolute, for --emit-jobs and suite.json */
	line = ini_parse_stream(read_line, &c, handler, &c);
	int read_errno = ferror(c.f) ? (errno ? errno : EIO) : 0;
	fclose(c.f);
	if (read_errno) {
		snprintf(err, errlen, "%s: %s", path, strerror(read_errno));
		return -1;
	}
	if (line != 0 && (!c.failed || line < c.err_line)) {
		snprintf(err, errlen, "%s:%d: syntax error (expected [suite] or key = value)", path,
			 line > 0 ? line : c.line);
		return -1;
	}
	if (c.failed) {
		snprintf(msg, sizeof(msg), "%s", err);
		snprintf(err, errlen, "%s:%d: %s", path, c.err_line, msg);
		return -1;
	}
	if (!s->nr_policies && !s->nr_baselines) {
		snprintf(err, errlen, "%s: policies: none named (and no baselines)", path);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- cells */

int suite_trace_has_malloc(const char *path, char *err, size_t errlen)
{
	trace_error_t terr;
	trace_reader_t *r = trace_open(path, &terr);
	trace_event_t evs[256];
	ssize_t n;
	int found = 0;

	if (!r) {
		trace_error_format(&terr, err, errlen);
		return -1;
	}
	const trace_summary_t *sum = trace_summary(r);
	if (!sum->nr_by_type[TRACE_ALLOC] && !sum->nr_by_type[TRACE_REALLOC]) {
		trace_close(r);
		return 0;
	}
	while (!found && (n = trace_next_batch(r, evs, 256)) > 0)
		for (ssize_t i = 0; i < n && !found; i++)
			if ((evs[i].type == TRACE_ALLOC && evs[i].alloc.func <= TRACE_FN_FREE) ||
			    (evs[i].type == TRACE_REALLOC && evs[i].realloc.func <= TRACE_FN_FREE))
				found = 1;
	if (!found && n < 0) {
		trace_error_format(trace_reader_error(r), err, errlen);
		trace_close(r);
		return -1;
	}
	trace_close(r);
	return found;
}

struct argv_buf {
	char **argv;
	int argc;
	char *buf;
	size_t used, size;
	bool overflow;
};

static void push(struct argv_buf *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void push(struct argv_buf *a, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (a->overflow || a->argc >= SUITE_MAX_ARGS - 1) {
		a->overflow = true;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(a->buf + a->used, a->size - a->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= a->size - a->used) {
		a->overflow = true;
		return;
	}
	a->argv[a->argc++] = a->buf + a->used;
	a->argv[a->argc] = NULL;
	a->used += (size_t)n + 1;
}

int suite_cell_argv(const suite_t *s, const char *mmbench, const char *trace_path,
		    const char *policy_path, const char *allocator, const char *out,
		    char **argv, char *buf, size_t bufsize)
{
	struct argv_buf a = { .argv = argv, .buf = buf, .size = bufsize };

	argv[0] = NULL;
	push(&a, "%s", mmbench);
	if (!allocator) {
		push(&a, "replay");
		push(&a, "%s", trace_path);
		push(&a, "--policy");
		push(&a, "%s", policy_path);
		push(&a, "-o");
		push(&a, "%s", out);
		push(&a, "--quiet");
		if (s->sample_every)
			push(&a, "--sample-every=%lu", s->sample_every);
		if (s->check)
			push(&a, "--check=%lu", s->check);
		if (s->no_timing)
			push(&a, "--no-timing");
		if (s->dump[0])
			push(&a, "--dump=%s", s->dump);
	} else {
		push(&a, "baseline");
		push(&a, "--allocator=%s", allocator);
		push(&a, "%s", trace_path);
		push(&a, "-o");
		push(&a, "%s", out);
		if (s->threads_max)
			push(&a, "--threads-max=%u", s->threads_max);
	}
	if (s->warmup)
		push(&a, "--warmup=%lu", s->warmup);
	push(&a, "--touch=%s", s->touch);
	return a.overflow ? -1 : a.argc;
}
