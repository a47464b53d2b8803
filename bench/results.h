/*
 * results.h - the results table every mmbench run writes: results.csv in long
 * (tidy) form, one measured or modeled figure a row:
 *
 *   trace,policy,system,metric,value,unit,deterministic
 *
 * trace      the trace's name (file name without directory and .mmt)
 * policy     the policy's name, or "native" for a real-allocator baseline
 * system     "mmbench" for the engine, else the baseline allocator's name
 *            ("jemalloc", "glibc", "mimalloc", "tcmalloc")
 * metric     snake_case, e.g. "modeled_ns_p99.page_alloc_o0"
 * value      a decimal number, or NA when the figure could not be taken
 *            (a hardware counter the machine does not have)
 * unit       "ns", "pages", "events", "events/s", "cycles", "ratio", ...
 * deterministic  "true" when the same trace and policy give the same value
 *            on any machine (engine counters, modeled latency), else "false"
 *
 * Fields are quoted as RFC 4180 says when they hold a comma, quote or
 * newline (trace names come from users).  Rows keep the order they were
 * added in.  A results_t belongs to one thread.
 */
#ifndef MMBENCH_RESULTS_H
#define MMBENCH_RESULTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bench/hist.h"

typedef struct results results_t;

#define RESULTS_CSV_HEADER "trace,policy,system,metric,value,unit,deterministic"

/*
 * A table whose rows all carry this trace, policy and system (copied).
 * Returns NULL when out of memory.
 */
results_t *results_create(const char *trace, const char *policy, const char *system);
void results_destroy(results_t *r);

/*
 * Add a row.  _u64 and _i64 print the exact integer, _f64 the shortest
 * "%.17g"-exact form rounded to `digits` significant digits (1..17; use 17
 * for deterministic figures so that equal doubles print equally), _na prints
 * NA.  metric and unit are copied.  Out of memory makes
 * results_write_csv() fail later.
 */
void results_add_u64(results_t *r, const char *metric, uint64_t value, const char *unit,
		     bool deterministic);
void results_add_i64(results_t *r, const char *metric, int64_t value, const char *unit,
		     bool deterministic);
void results_add_f64(results_t *r, const char *metric, double value, int digits,
		     const char *unit, bool deterministic);
void results_add_na(results_t *r, const char *metric, const char *unit, bool deterministic);

/*
 * Add a histogram's rows PREFIX_p50.KIND, _p90, _p99, _p999, _max and
 * _mean.KIND, unit ns, its values multiplied by scale (1.0 when it holds ns;
 * ns per tick when it holds clock ticks).  With scale 1.0 the percentiles
 * and max are exact integers, else 6 significant digits; the mean has 17
 * digits when deterministic, else 6.
 */
void results_add_latency(results_t *r, const char *prefix, const char *kind, const hist_t *h,
			 double scale, bool deterministic);

/* Number of rows; the value text of the first row named metric, or NULL (tests, summaries). */
size_t results_nr_rows(const results_t *r);
const char *results_value(const results_t *r, const char *metric);

/*
 * Write the header line (when header is true) and every row to f.
 * Returns 0, or -1 when a row could not be stored (out of memory) or f
 * reports a write error.
 */
int results_write_csv(const results_t *r, FILE *f, bool header);

/*
 * Write DIR/results.csv (header and rows) through a temporary file renamed
 * into place.  Returns 0, or -1 with a message naming the path in err.
 */
int results_save(const results_t *r, const char *dir, char *err, size_t errlen);

/* Print s as a CSV field (quoted when it needs to be). */
void csv_field(FILE *f, const char *s);

#endif /* MMBENCH_RESULTS_H */
