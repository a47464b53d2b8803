/*
 * suite.h - suites: which traces x policies x baseline allocators a
 * `mmbench suite` run measures, read from a small .ini file (libinih):
 *
 *   [suite]
 *   description = one line
 *   traces = generate:frag corpus:* corpus:redis path/to/x.mmt
 *   policies = linux-default no-pcp
 *   baselines = jemalloc glibc
 *   repetitions = 5          ; runs of every cell (measured figures repeat)
 *   sample_every = 10000     ; replay --sample-every (0 = replay's default)
 *   check = 0                ; replay --check=N (0 = off)
 *   warmup = 0               ; replay and baseline --warmup EVENTS
 *   no_timing = false        ; replay --no-timing
 *   dump =                   ; replay --dump LIST (empty = none)
 *   touch = alloc            ; replay and baseline --touch=alloc|none
 *   threads_max = 0          ; baseline --threads-max (0 = its default)
 *
 * Lists are separated by blanks or commas; a list key may repeat or continue
 * on indented lines, and then appends.  Trace entries:
 *   generate:NAME   the synthetic generator NAME, made with seed 1 at run time
 *   corpus:NAME     traces/corpus/NAME.mmt (missing: an error)
 *   corpus:GLOB     every traces/corpus/ trace (.mmt) matching it (none: fine)
 *   anything else   a trace file path, relative to the current directory
 * Policies are names or paths as `--policy` takes them; each is loaded when
 * the suite is (so a bad one fails early).  Baselines are allocator names.
 * An unknown key, a bad value, an unknown generator or allocator, a missing
 * corpus trace or an unloadable policy: an error "FILE:LINE: key: reason".
 *
 * Suites are looked up by name in the suites directory: $MMBENCH_SUITES, else
 * `bench/suites/` next to the build directory of the running mmbench
 * (BIN/../bench/suites, BIN/../../bench/suites), else ./bench/suites; the
 * corpus in the same way ($MMBENCH_CORPUS, BIN/../traces/corpus, ...).
 */
#ifndef MMBENCH_SUITE_H
#define MMBENCH_SUITE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define SUITE_MAX_TRACES 256
#define SUITE_MAX_POLICIES 32
#define SUITE_MAX_BASELINES 8
#define SUITE_MAX_REPETITIONS 100

enum suite_trace_kind {
	SUITE_TRACE_GENERATE,   /* generated at run time: name is the generator */
	SUITE_TRACE_FILE,       /* a corpus trace or a path: path is absolute */
};

typedef struct suite_trace {
	enum suite_trace_kind kind;
	char name[128];         /* results name: generator, or file name without .mmt */
	char path[PATH_MAX];    /* the trace file (for GENERATE: set by the runner) */
} suite_trace_t;

typedef struct suite_policy {
	char name[64];          /* the policy's name (file name without .ini) */
	char path[PATH_MAX];    /* absolute path of its .ini file */
	char description[256];  /* its description key */
} suite_policy_t;

typedef struct suite {
	char name[128];         /* file name without .suite */
	char path[PATH_MAX];    /* file it was read from */
	char description[256];
	suite_trace_t traces[SUITE_MAX_TRACES];
	unsigned nr_traces;
	suite_policy_t policies[SUITE_MAX_POLICIES];
	unsigned nr_policies;
	char baselines[SUITE_MAX_BASELINES][16];
	unsigned nr_baselines;
	unsigned repetitions;   /* 1..SUITE_MAX_REPETITIONS, default 1 */
	unsigned long sample_every; /* events, 0 = replay's default */
	unsigned long check;    /* events between checks, 0 = no --check */
	unsigned long warmup;   /* events */
	bool no_timing;
	char dump[128];         /* --dump list, empty = none */
	char touch[8];          /* "alloc" or "none" */
	unsigned threads_max;   /* 0 = baseline's default */
} suite_t;

/*
 * Load a suite by name (looked up as described above, NAME.suite) or path
 * (an argument with a '/' or ending in ".suite").  Resolves corpus globs and
 * paths and loads every policy.  Returns 0, or -1 with "FILE:LINE: key:
 * reason" (or "FILE: reason") in err.
 */
int suite_load(suite_t *s, const char *name_or_path, char *err, size_t errlen);

/* The suites directory, as described above, into buf.  Returns buf. */
char *suite_dir(char *buf, size_t len);

/* The corpus directory (traces/corpus), as described above, into buf.  Returns buf. */
char *suite_corpus_dir(char *buf, size_t len);

/*
 * Does the trace at path hold user-space malloc-family calls (what a
 * baseline replays)?  Reads until the first one.  Returns 1 or 0, or -1 with
 * the trace error formatted into err.
 */
int suite_trace_has_malloc(const char *path, char *err, size_t errlen);

/*
 * The argv (NULL-terminated, strings owned by buf) of the mmbench command
 * of one cell: `MMBENCH replay TRACE --policy POLICY -o OUT --quiet ...`
 * (allocator NULL) or `MMBENCH baseline --allocator A TRACE -o OUT ...`.
 * argv holds at most SUITE_MAX_ARGS entries; buf is bufsize bytes.
 * Returns the number of arguments, or -1 when they do not fit.
 */
#define SUITE_MAX_ARGS 24
int suite_cell_argv(const suite_t *s, const char *mmbench, const char *trace_path,
		    const char *policy_path, const char *allocator, const char *out,
		    char **argv, char *buf, size_t bufsize);

#endif /* MMBENCH_SUITE_H */
