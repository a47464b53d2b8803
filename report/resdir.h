/*
 * resdir.h - the report's view of results directories: everything under
 * the directories given to `mmbench report` that it can show.  A results
 * directory is one holding summary.json and results.csv (what replay and
 * baseline write); beside them it reads latency/KIND.hgrm and
 * modeled/KIND.hgrm (HdrHistogram percentile text), timeseries.csv, and,
 * anywhere under the roots, compare.csv (`mmbench compare`) and
 * microbench.json (Google Benchmark).  A suite cell (`mmbench suite` writes
 * CELL/rep1/, CELL/rep2/, ... each a results directory) is loaded as one
 * entry: deterministic rows, histograms and time series from the first
 * repetition (the suite checks that deterministic rows agree), measured rows
 * as the median over the repetitions.  A suite's own summary.json
 * ("command": "suite") is kept as run context.  Files are untrusted: every
 * error names the file and line.  report/ reads results only; it never calls
 * the engine.
 */
#ifndef MMBENCH_REPORT_RESDIR_H
#define MMBENCH_REPORT_RESDIR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* One results.csv row; value is NAN when the file says NA. */
typedef struct rrow {
	char *trace;		/* trace name */
	char *policy;		/* policy name, "native" for a baseline */
	char *system;		/* "mmbench" or the allocator */
	char *metric;		/* e.g. "latency_ns_p99.malloc" */
	char *unit;		/* e.g. "ns" */
	double value;		/* the figure, NAN for NA */
	bool deterministic;	/* same on any machine */
	unsigned nr_reps;	/* measured: repetitions value is the median of (NA ones
				 * left out); 1 for one run or a deterministic row */
} rrow_t;

/* One .hgrm file: its percentile rows. */
typedef struct hgrm {
	char *kind;		/* event kind: the file name without .hgrm */
	bool modeled;		/* modeled/ (true) or latency/ (false) */
	size_t nr;		/* rows */
	double *value_ns;	/* value column, ns */
	double *pct;		/* percentile column, 0..1 */
	double total;		/* largest TotalCount: events recorded */
} hgrm_t;

/* One timeseries.csv series: (scope, metric, order, migratetype). */
typedef struct tseries {
	char *scope;		/* "node0/Normal", "slab", "pid1001", ... */
	char *metric;		/* "extfrag_index", "free_blocks", ... */
	int order;		/* order, -1 when the column is empty */
	char *mt;		/* migratetype, "" when the column is empty */
	double *v;		/* value per sample, NAN where absent */
} tseries_t;

typedef struct rdir {
	char *path;		/* the directory as found (a suite cell: the parent of repN/) */
	json_t *summary;	/* summary.json (owned; a cell's: its first repetition's) */
	unsigned nr_reps;	/* repetitions grouped into this entry, 1 for one run */
	char *label;		/* "mmbench/POLICY" or the allocator */
	char *trace;		/* trace name from the first row */
	char *policy;		/* policy of the first row */
	char *system;		/* system of the first row */
	rrow_t *rows;		/* results.csv rows */
	size_t nr_rows;
	hgrm_t *hgrms;		/* histograms, latency/ then modeled/, by name */
	size_t nr_hgrms;
	double *ts_ns;		/* sample times, ns since the trace's start */
	size_t nr_samples;	/* samples in timeseries.csv */
	tseries_t *series;	/* timeseries.csv, one entry per key */
	size_t nr_series;
} rdir_t;

/* compare.csv, as its header names the columns. */
typedef struct cmptab {
	char *path;		/* the file */
	size_t nr_cols;		/* columns */
	char **cols;		/* header names */
	size_t nr_rows;		/* data rows */
	char **cells;		/* nr_rows * nr_cols strings */
} cmptab_t;

typedef struct rset {
	rdir_t *dirs;		/* every results directory found, in walk order */
	size_t nr_dirs;
	cmptab_t *cmps;		/* every compare.csv found */
	size_t nr_cmps;
	json_t *micro;		/* array of {"file", "context", "benchmarks"} */
	json_t *suites;		/* array of suite summary.json objects, with "path" added */
	size_t nr_runs;		/* results directories read: sum of dirs[].nr_reps */
} rset_t;

/*
 * Walk each root (a directory; symbolic links below it are not followed,
 * at most 32 levels) and load every results directory, suite cell (the
 * repN/ results directories under one parent, as one rdir_t), suite
 * summary.json, compare.csv and microbench.json, each directory once even
 * when roots overlap.  Returns
 * 0, or -1 with "FILE:LINE: reason" (or "PATH: reason") in err; a root with
 * no results directory and no compare.csv or microbench.json is an error.
 */
int rset_load(rset_t *set, char *const *roots, size_t nr_roots, char *err, size_t errlen);
void rset_free(rset_t *set);

/* Load one results directory into d.  Returns 0, or -1 with err set. */
int rdir_load(rdir_t *d, const char *path, char *err, size_t errlen);

/*
 * Load the nr repetitions reps[0..nr) (results directories, first
 * repetition first) of the suite cell at path into d, as one entry:
 * summary.json, deterministic rows, histograms and time series of reps[0];
 * every measured row the median of that metric over the repetitions
 * (rrow_t.nr_reps says over how many; NA and missing values are left out).
 * Returns 0, or -1 with "FILE:LINE: reason (byte N)" in err, also when a
 * repetition is of another trace, policy or system than the first.
 */
int rdir_load_reps(rdir_t *d, const char *path, char *const *reps, size_t nr, char *err,
		   size_t errlen);
void rdir_free(rdir_t *d);

/*
 * True when d's rows name more than one (trace, policy, system): a merged
 * table (a suite's top-level results.csv), which the walk skips because
 * its cells are loaded from their own directories.
 */
bool rdir_is_merged(const rdir_t *d);

/*
 * The first row named metric in d: returns the row, or NULL when there is
 * none (row->value is NAN for NA).
 */
const rrow_t *rdir_row(const rdir_t *d, const char *metric);

/*
 * Parse an HdrHistogram percentile text file into h (kind and modeled are
 * left to the caller).  Returns 0, or -1 with "PATH:LINE: reason (byte N)".
 */
int hgrm_load(hgrm_t *h, const char *path, char *err, size_t errlen);
void hgrm_free(hgrm_t *h);

/* The series of d with this key (order -1 and mt "" for empty columns), or NULL. */
const tseries_t *rdir_series(const rdir_t *d, const char *scope, const char *metric, int order,
			     const char *mt);

#endif /* MMBENCH_REPORT_RESDIR_H */
