/*
 * cmd_suite.c - mmbench suite: run every cell of a suite (bench/suite.h) as
 * a child process of this mmbench, up to -j at once, or print the cells as
 * shell commands for GNU parallel or a Slurm array; merge what they wrote.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/cli.h"
#include "bench/clock.h"
#include "bench/results.h"
#include "bench/suite.h"
#include "bench/summary.h"
#include "report/compare.h"
#include "workloads/generate.h"

static const char suite_usage[] =
	"usage: mmbench suite [-j N] [-o DIR] [--emit-jobs | --merge] SUITE\n"
	"Run a suite: every trace x policy replay and every trace x baseline\n"
	"allocator (traces with malloc-family calls only), each `repetitions` times.\n"
	"SUITE is a name in bench/suites/ (quick, default) or a .suite file.\n"
	"  -j, --jobs N     run up to N cells at once (default 1)\n"
	"  -o, --output DIR results directory (default results/suite/SUITE):\n"
	"                   replay/TRACE/POLICY/repN/, baseline/TRACE/ALLOC/repN/,\n"
	"                   traces/ (generated traces), results.csv (every cell's\n"
	"                   rows: deterministic ones once, measured ones of every\n"
	"                   repetition), suite.json (cells, status, wall time),\n"
	"                   summary.json (run context: machine, kernel, revision,\n"
	"                   policies with descriptions, traces, cells)\n"
	"  --emit-jobs      generate the traces, then print one shell command per run\n"
	"                   of a cell (for GNU parallel or a Slurm array) and, after a\n"
	"                   '# merge' line, the commands that merge their results\n"
	"  --merge          run nothing: merge the cell directories already in DIR\n"
	"A cell fails when a run exits non-zero or when its repetitions disagree on\n"
	"a deterministic row; the others go on.  Exit 1 when any cell failed.\n";

typedef struct cell {
	bool baseline;          /* else a replay */
	unsigned trace;         /* index in suite_t.traces */
	const char *config;     /* policy or allocator name */
	const char *config_path; /* policy file, or NULL for a baseline */
	char dir[3072];         /* DIR/replay/TRACE/POLICY or DIR/baseline/TRACE/ALLOC */
	unsigned nr_done;       /* repetitions finished */
	bool failed;
	char why[512];          /* first reason it failed */
	double wall_s;          /* sum over its repetitions */
} cell_t;

typedef struct job {
	unsigned cell;
	unsigned rep;           /* 1-based */
	pid_t pid;
	double start;
} job_t;

static double now_s(void)
{
	return clock_mono_ns() / 1e9;
}

static void cell_fail(cell_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void cell_fail(cell_t *c, const char *fmt, ...)
{
	va_list ap;

	if (c->failed)
		return;
	c->failed = true;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
}

/* Write s to f as one shell word in single quotes. */
static void shell_quote(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

static void rep_path(const cell_t *c, unsigned rep, const char *suffix, char *buf, size_t len)
{
	snprintf(buf, len, "%s/rep%u%s", c->dir, rep, suffix);
}

/* The first line of a file (a child's log), trimmed, into buf. */
static void first_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = 0;
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = 0;
	fclose(f);
}

/* Fork and exec one run of a cell, its output into DIR/.../repN.log.  Returns the pid or -1. */
static pid_t job_start(const suite_t *s, const char *exe, const cell_t *c, unsigned rep)
{
	char *argv[SUITE_MAX_ARGS];
	char buf[8 * PATH_MAX], out[PATH_MAX + 16], log[PATH_MAX + 16];
	pid_t pid;

	rep_path(c, rep, "", out, sizeof(out));
	rep_path(c, rep, ".log", log, sizeof(log));
	if (suite_cell_argv(s, exe, s->traces[c->trace].path, c->config_path,
			    c->baseline ? c->config : NULL, out, argv, buf, sizeof(buf)) < 0)
		return -1;
	if (mkdir_p(c->dir))
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid)
		return pid;
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	int nul = open("/dev/null", O_RDONLY);
	if (fd < 0 || nul < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0 || dup2(nul, 0) < 0)
		_exit(127);
	execv(exe, argv);
	dprintf(2, "mmbench suite: cannot run %s: %s\n", exe, strerror(errno));
	_exit(127);
}

/* Whether a results.csv row of len bytes (no newline) has deterministic = true. */
static bool row_is_deterministic(const char *row, size_t len)
{
	return len >= 5 && !memcmp(row + len - 5, ",true", 5);
}

/* Lines of a results.csv after the header: all, or only the deterministic ones. */
static char *read_rows(const char *path, bool deterministic_only, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *out = NULL;
	size_t cap = 0, olen = 0;
	ssize_t n;
	FILE *mem;

	if (!f)
		return NULL;
	mem = open_memstream(&out, &olen);
	if (!mem) {
		fclose(f);
		return NULL;
	}
	for (unsigned i = 0; (n = getline(&line, &cap, f)) > 0; i++) {
		if (!i)
			continue;
		if (deterministic_only && !row_is_deterministic(line, (size_t)n - (line[n - 1] == '\n')))
			continue;
		fputs(line, mem);
		if (line[n - 1] != '\n')
			fputc('\n', mem);
	}
	free(line);
	fclose(f);
	fclose(mem);
	*len = olen;
	return out;
}

/* The first line of b that differs from a's, and a's, into buf. */
static void first_difference(const char *a, const char *b, char *buf, size_t len)
{
	while (*a && *b) {
		size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
		if (la != lb || memcmp(a, b, la)) {
			snprintf(buf, len, "%.*s (rep1: %.*s)", (int)(lb < 160 ? lb : 160), b,
				 (int)(la < 160 ? la : 160), a);
			return;
		}
		a += la + (a[la] != 0);
		b += lb + (b[lb] != 0);
	}
	snprintf(buf, len, "%s", *a || *b ? "a different number of rows" : "?");
}

/*
 * After every repetition of a cell ran: each must have left results.csv,
 * and their deterministic rows must be identical.
 */
static void cell_verify(const suite_t *s, cell_t *c)
{
	char path[PATH_MAX + 32], diff[400];
	char *first = NULL;
	size_t len;

	for (unsigned rep = 1; rep <= s->repetitions && !c->failed; rep++) {
		rep_path(c, rep, "/results.csv", path, sizeof(path));
		char *rows = read_rows(path, true, &len);
		if (!rows) {
			char log[PATH_MAX + 16], line[400];
			rep_path(c, rep, ".log", log, sizeof(log));
			first_line(log, line, sizeof(line));
			cell_fail(c, "rep%u: no results.csv%s%s", rep, *line ? ": " : "", line);
			break;
		}
		if (!first) {
			first = rows;
			continue;
		}
		if (strcmp(first, rows)) {
			first_difference(first, rows, diff, sizeof(diff));
			cell_fail(c, "rep%u: deterministic rows differ from rep1: %s", rep, diff);
		}
		free(rows);
	}
	free(first);
}

/* Append a cell's rows to the merged table: rep1 whole, measured rows of the others. */
static int cell_merge(const suite_t *s, const cell_t *c, FILE *out)
{
	char path[PATH_MAX + 32];
	size_t len;

	for (unsigned rep = 1; rep <= s->repetitions; rep++) {
		rep_path(c, rep, "/results.csv", path, sizeof(path));
		char *rows = read_rows(path, false, &len);
		if (!rows)
			return -1;
		if (rep > 1) {
			/* drop the deterministic rows: they equal rep1's */
			for (char *p = rows; *p;) {
				size_t l = strcspn(p, "\n");
				if (!row_is_deterministic(p, l))
					fwrite(p, 1, l + 1, out);
				p += l + (p[l] != 0);
			}
		} else {
			fwrite(rows, 1, len, out);
		}
		free(rows);
	}
	return 0;
}

/*
 * DIR/summary.json, the suite's run context: what summary_begin() gives a
 * replay (mmbench version and git revision, machine, kernel, "command":
 * "suite", "started_at" the suite's start), then "suite" {name, file,
 * description, repetitions}, "policies" [{name, description, path}],
 * "baselines" [names], "traces" [{name, kind, path}], "cells" (as in
 * suite.json: status, error, wall_s), nr_cells, nr_failed and wall_s (s).
 * Returns 0, or -1 after printing why.
 */
static int write_summary(const suite_t *s, const char *dir, json_t *cells, unsigned nr_cells,
			 unsigned nr_failed, double wall_s, time_t started)
{
	json_t *sum = summary_begin("suite"), *pol = json_array(), *base = json_array();
	json_t *tr = json_array();
	char when[32], err[PATH_MAX + 64];
	struct tm tm;
	int rc = -1;

	if (!sum || !pol || !base || !tr)
		goto out;
	gmtime_r(&started, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (unsigned i = 0; i < s->nr_policies; i++)
		if (json_array_append_new(pol, json_pack("{s:s,s:s,s:s}",
				"name", s->policies[i].name,
				"description", s->policies[i].description,
				"path", s->policies[i].path)))
			goto out;
	for (unsigned i = 0; i < s->nr_baselines; i++)
		if (json_array_append_new(base, json_string(s->baselines[i])))
			goto out;
	for (unsigned i = 0; i < s->nr_traces; i++)
		if (json_array_append_new(tr, json_pack("{s:s,s:s,s:s}",
				"name", s->traces[i].name,
				"kind", s->traces[i].kind == SUITE_TRACE_GENERATE ? "generate" : "file",
				"path", s->traces[i].path)))
			goto out;
	if (json_object_set_new(sum, "started_at", json_string(when)) ||
	    json_object_set_new(sum, "suite", json_pack("{s:s,s:s,s:s,s:i}", "name", s->name,
							  "file", s->path, "description",
							  s->description, "repetitions",
							  (int)s->repetitions)) ||
	    json_object_set(sum, "policies", pol) || json_object_set(sum, "baselines", base) ||
	    json_object_set(sum, "traces", tr) || json_object_set(sum, "cells", cells) ||
	    json_object_set_new(sum, "nr_cells", json_integer(nr_cells)) ||
	    json_object_set_new(sum, "nr_failed", json_integer(nr_failed)) ||
	    json_object_set_new(sum, "wall_s", json_real(wall_s)))
		goto out;
	if (summary_save(dir, sum, err, sizeof(err))) {
		fprintf(stderr, "mmbench suite: %s\n", err);
		rc = -2;
		goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		fprintf(stderr, "mmbench suite: %s/summary.json: out of memory\n", dir);
	json_decref(sum);
	json_decref(pol);
	json_decref(base);
	json_decref(tr);
	return rc ? -1 : 0;
}

static int write_outputs(const suite_t *s, const char *dir, cell_t *cells, unsigned nr_cells,
			 double wall_s, time_t started)
{
	char path[PATH_MAX + 32], tmp[PATH_MAX + 48];
	FILE *f;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/results.csv", dir);
	snprintf(tmp, sizeof(tmp), "%s/.results.csv.tmp", dir);
	f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "mmbench suite: %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	fprintf(f, "%s\n", RESULTS_CSV_HEADER);
	for (unsigned i = 0; i < nr_cells; i++)
		if (!cells[i].failed && cell_merge(s, &cells[i], f))
			cell_fail(&cells[i], "results.csv vanished while merging");
	if (fclose(f) || rename(tmp, path)) {
		fprintf(stderr, "mmbench suite: %s: %s\n", path, strerror(errno));
		unlink(tmp);
		rc = -1;
	}

	json_t *root = json_object(), *arr = json_array();
	unsigned nr_failed = 0;
	for (unsigned i = 0; i < nr_cells; i++) {
		const cell_t *c = &cells[i];
		nr_failed += c->failed;
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s?, s:f}",
			"kind", c->baseline ? "baseline" : "replay",
			"trace", s->traces[c->trace].name,
			c->baseline ? "allocator" : "policy", c->config,
			"trace_path", s->traces[c->trace].path,
			"dir", c->dir,
			"repetitions", (int)s->repetitions,
			"status", c->failed ? "failed" : "ok",
			"error", c->failed ? c->why : NULL,
			"wall_s", c->wall_s));
	}
	json_object_set_new(root, "suite", json_string(s->name));
	json_object_set_new(root, "file", json_string(s->path));
	json_object_set_new(root, "description", json_string(s->description));
	json_object_set_new(root, "repetitions", json_integer(s->repetitions));
	json_object_set_new(root, "cells", arr);
	json_object_set_new(root, "nr_cells", json_integer(nr_cells));
	json_object_set_new(root, "nr_failed", json_integer(nr_failed));
	json_object_set_new(root, "wall_s", json_real(wall_s));
	snprintf(path, sizeof(path), "%s/suite.json", dir);
	if (json_dump_file(root, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) {
		fprintf(stderr, "mmbench suite: %s: cannot write\n", path);
		rc = -1;
	}
	if (write_summary(s, dir, arr, nr_cells, nr_failed, wall_s, started))
		rc = -1;
	json_decref(root);
	return rc;
}

/* Run every (cell, repetition) with at most jobs children at once. */
static void run_cells(const suite_t *s, const char *exe, cell_t *cells, unsigned nr_cells,
		      unsigned jobs)
{
	unsigned total = nr_cells * s->repetitions, next = 0, nr_running = 0, nr_cells_done = 0;
	job_t *running = calloc(jobs, sizeof(*running));

	if (!running) {
		for (unsigned i = 0; i < nr_cells; i++)
			cell_fail(&cells[i], "out of memory");
		return;
	}
	while (next < total || nr_running) {
		while (next < total && nr_running < jobs) {
			/* repetitions of one cell run one after the other's start, cells in order */
			unsigned ci = next / s->repetitions, rep = next % s->repetitions + 1;
			next++;
			pid_t pid = job_start(s, exe, &cells[ci], rep);
			if (pid < 0) {
				cell_fail(&cells[ci], "rep%u: cannot start: %s", rep, strerror(errno));
				if (++cells[ci].nr_done == s->repetitions)
					nr_cells_done++;
				continue;
			}
			for (unsigned k = 0; k < jobs; k++)
				if (!running[k].pid) {
					running[k] = (job_t){ .cell = ci, .rep = rep, .pid = pid,
							      .start = now_s() };
					break;
				}
			nr_running++;
		}
		if (!nr_running)
			continue;
		int status;
		pid_t pid = waitpid(-1, &status, 0);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (unsigned k = 0; k < jobs; k++) {
			if (running[k].pid != pid)
				continue;
			cell_t *c = &cells[running[k].cell];
			unsigned rep = running[k].rep;
			c->wall_s += now_s() - running[k].start;
			running[k].pid = 0;
			nr_running--;
			if (!WIFEXITED(status) || WEXITSTATUS(status)) {
				char log[PATH_MAX + 16], line[400];
				rep_path(c, rep, ".log", log, sizeof(log));
				first_line(log, line, sizeof(line));
				if (WIFEXITED(status))
					cell_fail(c, "rep%u: exit %d: %s", rep, WEXITSTATUS(status), line);
				else
					cell_fail(c, "rep%u: killed by signal %d", rep, WTERMSIG(status));
			}
			if (++c->nr_done == s->repetitions) {
				if (!c->failed)
					cell_verify(s, c);
				nr_cells_done++;
				printf("[%u/%u] %-6s %-8s %-20s %-22s %7.2f s%s%s\n", nr_cells_done,
				       nr_cells, c->failed ? "FAILED" : "ok",
				       c->baseline ? "baseline" : "replay", s->traces[c->trace].name,
				       c->config, c->wall_s, c->failed ? "  " : "",
				       c->failed ? c->why : "");
				fflush(stdout);
			}
			break;
		}
	}
	free(running);
}

/* Print the commands of every run, then the merge commands. */
static void emit_jobs(const suite_t *s, const char *exe, const char *dir, const cell_t *cells,
		      unsigned nr_cells)
{
	char *argv[SUITE_MAX_ARGS];
	char buf[8 * PATH_MAX], out[PATH_MAX + 16], log[PATH_MAX + 16];

	printf("# mmbench suite %s: %u runs (%u cells x %u repetitions); one command a line\n",
	       s->name, nr_cells * s->repetitions, nr_cells, s->repetitions);
	for (unsigned i = 0; i < nr_cells; i++) {
		const cell_t *c = &cells[i];
		for (unsigned rep = 1; rep <= s->repetitions; rep++) {
			rep_path(c, rep, "", out, sizeof(out));
			rep_path(c, rep, ".log", log, sizeof(log));
			int n = suite_cell_argv(s, exe, s->traces[c->trace].path, c->config_path,
						c->baseline ? c->config : NULL, out, argv, buf,
						sizeof(buf));
			printf("mkdir -p ");
			shell_quote(stdout, c->dir);
			printf(" &&");
			for (int a = 0; a < n; a++) {
				putchar(' ');
				shell_quote(stdout, argv[a]);
			}
			printf(" >");
			shell_quote(stdout, log);
			printf(" 2>&1\n");
		}
	}
	printf("# merge (after every run above finished): results.csv, suite.json, report\n");
	shell_quote(stdout, exe);
	printf(" suite --merge -o ");
	shell_quote(stdout, dir);
	putchar(' ');
	shell_quote(stdout, s->path);
	printf("\n");
	shell_quote(stdout, exe);
	printf(" report -o ");
	shell_quote(stdout, dir);
	putchar(' ');
	shell_quote(stdout, dir);
	printf("\n");
}

int cmd_suite(int argc, char **argv)
{
	enum { OPT_EMIT = 256, OPT_MERGE };
	static const struct option opts[] = {
		{ "jobs", required_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "emit-jobs", no_argument, NULL, OPT_EMIT },
		{ "merge", no_argument, NULL, OPT_MERGE },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *out_dir = NULL;
	bool emit = false, merge = false;
	uint64_t jobs = 1;
	char err[2048], dir[2048], rdir[PATH_MAX], tdir[2064], exe[PATH_MAX];
	char defdir[PATH_MAX];
	int c;

	FOR_EACH_OPT(c, argc, argv, "j:o:h", opts) {
		switch (c) {
		case 'j':
			if (cli_parse_u64(optarg, &jobs) || !jobs || jobs > 256)
				return cli_usage_error("suite", "-j takes 1..256, not '%s'", optarg);
			break;
		case 'o':
			out_dir = optarg;
			break;
		case OPT_EMIT:
			emit = true;
			break;
		case OPT_MERGE:
			merge = true;
			break;
		case 'h':
			fputs(suite_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("suite", "unknown or incomplete option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("suite", "expected one SUITE (a name or a .suite file)");
	if (emit && merge)
		return cli_usage_error("suite", "--emit-jobs and --merge exclude each other");

	suite_t *s = malloc(sizeof(*s));
	if (!s) {
		fprintf(stderr, "mmbench suite: out of memory\n");
		return EXIT_ERROR;
	}
	if (suite_load(s, argv[optind], err, sizeof(err))) {
		fprintf(stderr, "mmbench suite: %s\n", err);
		free(s);
		return EXIT_ERROR;
	}
	if (!out_dir) {
		snprintf(defdir, sizeof(defdir), "results/suite/%s", s->name);
		out_dir = defdir;
	}
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0 || mkdir_p(out_dir) || !realpath(out_dir, rdir)) {
		fprintf(stderr, "mmbench suite: %s: %s\n", n <= 0 ? "/proc/self/exe" : out_dir,
			strerror(errno));
		free(s);
		return EXIT_ERROR;
	}
	if (strlen(rdir) >= sizeof(dir)) {
		fprintf(stderr, "mmbench suite: %s: path longer than %zu bytes\n", rdir, sizeof(dir) - 1);
		free(s);
		return EXIT_ERROR;
	}
	memcpy(dir, rdir, strlen(rdir) + 1);
	exe[n] = 0;
	double t0 = now_s();
	time_t started = time(NULL);

	/* generated traces: seed 1, scale 1, into DIR/traces (not again for --merge) */
	for (unsigned i = 0; i < s->nr_traces; i++) {
		suite_trace_t *t = &s->traces[i];
		if (t->kind != SUITE_TRACE_GENERATE)
			continue;
		snprintf(tdir, sizeof(tdir), "%s/traces", dir);
		if (mkdir_p(tdir)) {
			fprintf(stderr, "mmbench suite: %s: %s\n", tdir, strerror(errno));
			free(s);
			return EXIT_ERROR;
		}
		snprintf(t->path, sizeof(t->path), "%s/%s.mmt", tdir, t->name);
		if (merge)
			continue;
		trace_error_t terr;
		if (generate_trace(t->name, 1, 1, t->path, &terr)) {
			free(s);
			return cli_trace_error(&terr);
		}
	}

	/* the cells: traces x policies, then traces with malloc calls x baselines */
	unsigned max_cells = s->nr_traces * (s->nr_policies + s->nr_baselines), nr_cells = 0;
	cell_t *cells = calloc(max_cells ? max_cells : 1, sizeof(*cells));
	if (!cells) {
		fprintf(stderr, "mmbench suite: out of memory\n");
		free(s);
		return EXIT_ERROR;
	}
	for (unsigned i = 0; i < s->nr_traces; i++) {
		const suite_trace_t *t = &s->traces[i];
		for (unsigned p = 0; p < s->nr_policies; p++) {
			cell_t *cl = &cells[nr_cells++];
			cl->trace = i;
			cl->config = s->policies[p].name;
			cl->config_path = s->policies[p].path;
			snprintf(cl->dir, sizeof(cl->dir), "%s/replay/%s/%s", dir, t->name, cl->config);
		}
		if (!s->nr_baselines)
			continue;
		int has = suite_trace_has_malloc(t->path, err, sizeof(err));
		if (has < 0 && !emit)
			fprintf(stderr, "mmbench suite: no baselines for %s: %s\n", t->name, err);
		if (has <= 0)
			continue;
		for (unsigned b = 0; b < s->nr_baselines; b++) {
			cell_t *cl = &cells[nr_cells++];
			cl->baseline = true;
			cl->trace = i;
			cl->config = s->baselines[b];
			snprintf(cl->dir, sizeof(cl->dir), "%s/baseline/%s/%s", dir, t->name, cl->config);
		}
	}

	if (emit) {
		emit_jobs(s, exe, dir, cells, nr_cells);
		free(cells);
		free(s);
		return EXIT_OK;
	}
	if (merge) {
		for (unsigned i = 0; i < nr_cells; i++)
			cell_verify(s, &cells[i]);
	} else {
		printf("suite %s: %u cells x %u repetitions, -j %u, into %s\n", s->name, nr_cells,
		       s->repetitions, (unsigned)jobs, dir);
		fflush(stdout);
		run_cells(s, exe, cells, nr_cells, (unsigned)jobs);
	}
	double wall = now_s() - t0;
	int rc = write_outputs(s, dir, cells, nr_cells, wall, started) ? EXIT_ERROR : EXIT_OK;
	unsigned nr_failed = 0;
	for (unsigned i = 0; i < nr_cells; i++)
		nr_failed += cells[i].failed;
	compare_table_t *table = malloc(sizeof(*table));
	if (table && !compare_table_load(table, dir, err, sizeof(err))) {
		putchar('\n');
		compare_print_summary(table, stdout);
		putchar('\n');
		compare_table_free(table);
	} else if (table) {
		fprintf(stderr, "mmbench suite: %s\n", err);
		rc = EXIT_ERROR;
	}
	free(table);
	printf("suite %s: %u cells, %u ok, %u failed, %.1f s; results: %s/results.csv\n", s->name,
	       nr_cells, nr_cells - nr_failed, nr_failed, wall, dir);
	for (unsigned i = 0; i < nr_cells; i++) {
		const cell_t *cl = &cells[i];
		if (cl->failed)
			fprintf(stderr, "mmbench suite: FAILED %s %s %s: %s (log: %s/rep*.log)\n",
				cl->baseline ? "baseline" : "replay", s->traces[cl->trace].name,
				cl->config, cl->why, cl->dir);
	}
	free(cells);
	free(s);
	return nr_failed ? EXIT_ERROR : rc;
}
