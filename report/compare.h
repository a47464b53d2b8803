/*
 * compare.h - comparison of result tables: metric by metric deltas between
 * a base results.csv and another, exact for deterministic metrics, with a
 * two-sided Mann-Whitney U test for measured metrics that have repetitions,
 * and the regression thresholds of `mmbench compare --fail-on`.
 *
 * A table is one results.csv (a single replay's or a suite's merged one):
 * rows grouped by (trace, system, policy, metric), a measured metric's
 * repeated rows (one per repetition) kept as a sample.  Two tables are
 * matched on (trace, system, metric); the policy differs between them by
 * design: when each table has one policy for a (trace, system) those are
 * paired, otherwise groups pair by equal policy.
 *
 * report/ reads results; it never includes the engine.  A compare_table_t
 * belongs to one thread.
 */
#ifndef MMBENCH_REPORT_COMPARE_H
#define MMBENCH_REPORT_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Repetitions both sides need before a measured metric is tested. */
#define COMPARE_MIN_REPETITIONS 5
/* Significance level of the test (two-sided). */
#define COMPARE_ALPHA 0.05

typedef struct compare_group compare_group_t;      /* internal */

typedef struct compare_table {
	char path[4096];                /* the results.csv read, for messages */
	compare_group_t *groups;        /* in first-seen order (array) */
	size_t nr_groups;
	size_t cap_groups;
	void *index;                    /* hash of groups by key (uthash head) */
} compare_table_t;

/* One compared metric: a row of compare.csv. */
typedef struct compare_row {
	const char *trace, *system, *metric, *unit;    /* point into the tables */
	const char *base_policy, *other_policy;
	bool deterministic;
	bool base_na, other_na;         /* no value (NA) on that side */
	double base_value, other_value; /* the value, or the median of the repetitions */
	const char *base_text, *other_text; /* deterministic: the exact text compared */
	bool differ;                    /* values not equal (exact text for deterministic) */
	double delta;                   /* other - base (same unit) */
	double delta_pct;               /* 100 * delta / |base|; NaN when base is 0 and delta is not */
	size_t n_base, n_other;         /* values (repetitions) on each side, NA excluded */
	double p_value;                 /* Mann-Whitney two-sided p, NaN when not tested */
	int significant;                /* 1 yes, 0 no, -1 unknown (NA) */
} compare_row_t;

/*
 * Read a results.csv (or DIR/results.csv when path is a directory) into t.
 * Returns 0, or -1 with "FILE:LINE: reason (byte OFFSET)" or "FILE: reason"
 * in err (missing file, wrong header, wrong field count, a value that is
 * neither a number nor NA, a deterministic field not true/false).
 */
int compare_table_load(compare_table_t *t, const char *path, char *err, size_t errlen);
void compare_table_free(compare_table_t *t);

/*
 * Compare every group of base with its match in other (see above), in
 * base's row order; groups without a match are left out.  *rows receives a
 * malloc'd array (free() it; strings point into the tables, which must
 * outlive it).  Returns the number of rows, or -1 when out of memory.
 */
long compare_tables(const compare_table_t *base, const compare_table_t *other,
		    compare_row_t **rows);

/*
 * Within one table (a suite's merged results.csv): compare base_policy's
 * groups with every other policy's on the same (trace, system, metric), one
 * other policy after the other.  Same contract as compare_tables().
 */
long compare_policies(const compare_table_t *t, const char *base_policy, compare_row_t **rows);

/* The compare.csv header: the columns compare_write_row() writes. */
#define COMPARE_CSV_HEADER \
	"trace,system,metric,unit,deterministic,base_policy,other_policy,base_value," \
	"other_value,delta,delta_pct,n_base,n_other,p_value,significant"

/*
 * Write one row of compare.csv (RFC 4180 quoting).  Values are the exact
 * text for deterministic metrics, medians ("%.10g") for measured ones; NA
 * for a missing value, delta, delta_pct or p_value; significant is yes, no
 * or NA.  A deterministic metric is "significant" exactly when it differs.
 */
void compare_write_row(FILE *f, const compare_row_t *r);

/*
 * Two-sided Mann-Whitney U test (Wilcoxon rank-sum) of x[0..nx) against
 * y[0..ny), as R's wilcox.test(x, y) with its defaults computes it:
 *   U = R_x - nx(nx + 1)/2, R_x the sum of x's ranks in the pooled sample
 *   (mid-ranks for ties) -- Mann & Whitney, Ann. Math. Statist. 18 (1947) 50-60;
 *   without ties and nx, ny < 50: the exact null distribution of U, counted
 *   with c(k; m, n) = c(k - n; m - 1, n) + c(k; m, n - 1) (ibid., eq. 1),
 *   p = min(1, 2 min(P(U <= u), P(U >= u)));
 *   otherwise the normal approximation with tie correction and continuity
 *   correction: sigma^2 = nx ny / 12 ((N + 1) - sum(t^3 - t) / (N (N - 1))),
 *   N = nx + ny, t the size of each tie group; z = (|U - nx ny / 2| - 1/2)
 *   / sigma, p = erfc(z / sqrt 2), at most 1 (Hollander & Wolfe,
 *   Nonparametric Statistical Methods, 2nd ed., 1999, sec. 4.1).
 * All values equal: p = 1.  Sets *u (may be NULL) and returns p in [0, 1],
 * or NaN when nx or ny is 0 or a value is NaN, or out of memory.
 */
double compare_mann_whitney(const double *x, size_t nx, const double *y, size_t ny, double *u);

/* Median of v[0..n) (mean of the middle two for even n); sorts v.  NaN when n is 0. */
double compare_median(double *v, size_t n);

/*
 * A --fail-on threshold: METRIC>LIMIT, METRIC<LIMIT, LIMIT a number (an
 * absolute delta in the metric's unit) or a number followed by '%' (a
 * relative delta), METRIC a glob (fnmatch) over metric names.
 */
typedef struct compare_threshold {
	char metric[128];       /* glob */
	bool greater;           /* '>' (else '<') */
	bool percent;           /* limit is delta_pct, else delta */
	double limit;
	char spec[192];         /* as given, for messages */
} compare_threshold_t;

/* Parse spec into th.  Returns 0, or -1 with the reason in err. */
int compare_threshold_parse(compare_threshold_t *th, const char *spec, char *err, size_t errlen);

/*
 * Does row r exceed th?  Only when the metric matches, the delta (or
 * delta_pct) is known and beyond the limit, and the difference is real:
 * deterministic metrics when they differ, measured ones only when
 * significant (unknown significance never exceeds).
 */
bool compare_threshold_exceeded(const compare_threshold_t *th, const compare_row_t *r);

/*
 * Print one line per (trace, system, policy) of t to f: repetitions, the
 * median events/s (M) and the largest median latency_ns_p99.KIND (ns) with
 * its KIND -- the short text summary of a suite.
 */
void compare_print_summary(const compare_table_t *t, FILE *f);

#endif /* MMBENCH_REPORT_COMPARE_H */
