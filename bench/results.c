/*
 * results.c - the long-form results table (bench/results.h).
 */
#include "bench/results.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct results_row {
	char *metric;
	char *unit;
	char value[32];         /* decimal text or "NA" */
	bool deterministic;
};

struct results {
	char *trace, *policy, *system;
	struct results_row *rows;
	size_t nr_rows, cap;
	bool failed;            /* a row could not be stored */
};

results_t *results_create(const char *trace, const char *policy, const char *system)
{
	results_t *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->trace = strdup(trace);
	r->policy = strdup(policy);
	r->system = strdup(system);
	if (!r->trace || !r->policy || !r->system) {
		results_destroy(r);
		return NULL;
	}
	return r;
}

void results_destroy(results_t *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nr_rows; i++) {
		free(r->rows[i].metric);
		free(r->rows[i].unit);
	}
	free(r->rows);
	free(r->trace);
	free(r->policy);
	free(r->system);
	free(r);
}

static struct results_row *results_push(results_t *r, const char *metric, const char *unit,
					bool deterministic)
{
	if (r->nr_rows == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		struct results_row *rows = realloc(r->rows, cap * sizeof(*rows));

		if (!rows) {
			r->failed = true;
			return NULL;
		}
		r->rows = rows;
		r->cap = cap;
	}
	struct results_row *row = &r->rows[r->nr_rows];
	row->metric = strdup(metric);
	row->unit = strdup(unit);
	if (!row->metric || !row->unit) {
		free(row->metric);
		free(row->unit);
		r->failed = true;
		return NULL;
	}
	row->deterministic = deterministic;
	r->nr_rows++;
	return row;
}

void results_add_u64(results_t *r, const char *metric, uint64_t value, const char *unit,
		     bool deterministic)
{
	struct results_row *row = results_push(r, metric, unit, deterministic);

	if (row)
		snprintf(row->value, sizeof(row->value), "%" PRIu64, value);
}

void results_add_i64(results_t *r, const char *metric, int64_t value, const char *unit,
		     bool deterministic)
{
	struct results_row *row = results_push(r, metric, unit, deterministic);

	if (row)
		snprintf(row->value, sizeof(row->value), "%" PRId64, value);
}

void results_add_f64(results_t *r, const char *metric, double value, int digits,
		     const char *unit, bool deterministic)
{
	struct results_row *row = results_push(r, metric, unit, deterministic);

	if (digits < 1)
		digits = 1;
	if (digits > 17)
		digits = 17;
	if (row)
		snprintf(row->value, sizeof(row->value), "%.*g", digits, value);
}

void results_add_na(results_t *r, const char *metric, const char *unit, bool deterministic)
{
	struct results_row *row = results_push(r, metric, unit, deterministic);

	if (row)
		strcpy(row->value, "NA");
}

void results_add_latency(results_t *r, const char *prefix, const char *kind, const hist_t *h,
			 double scale, bool deterministic)
{
	static const struct { const char *name; double pct; } rows[] = {
		{ "p50", 50.0 }, { "p90", 90.0 }, { "p99", 99.0 }, { "p999", 99.9 }, { "max", -1 },
	};
	char metric[160];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t v = rows[i].pct < 0 ? hist_max(h) : hist_value_at_percentile(h, rows[i].pct);

		snprintf(metric, sizeof(metric), "%s_%s.%s", prefix, rows[i].name, kind);
		if (scale == 1.0)
			results_add_u64(r, metric, v, "ns", deterministic);
		else
			results_add_f64(r, metric, (double)v * scale, 6, "ns", deterministic);
	}
	snprintf(metric, sizeof(metric), "%s_mean.%s", prefix, kind);
	results_add_f64(r, metric, hist_mean(h) * scale, deterministic ? 17 : 6, "ns", deterministic);
}

size_t results_nr_rows(const results_t *r)
{
	return r->nr_rows;
}

const char *results_value(const results_t *r, const char *metric)
{
	for (size_t i = 0; i < r->nr_rows; i++)
		if (!strcmp(r->rows[i].metric, metric))
			return r->rows[i].value;
	return NULL;
}

void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

int results_write_csv(const results_t *r, FILE *f, bool header)
{
	if (header)
		fputs(RESULTS_CSV_HEADER "\n", f);
	for (size_t i = 0; i < r->nr_rows; i++) {
		const struct results_row *row = &r->rows[i];

		csv_field(f, r->trace);
		fputc(',', f);
		csv_field(f, r->policy);
		fputc(',', f);
		csv_field(f, r->system);
		fputc(',', f);
		csv_field(f, row->metric);
		fprintf(f, ",%s,", row->value);
		csv_field(f, row->unit);
		fputs(row->deterministic ? ",true\n" : ",false\n", f);
	}
	return r->failed || ferror(f) ? -1 : 0;
}

int results_save(const results_t *r, const char *dir, char *err, size_t errlen)
{
	char path[4096], tmp[4200];

	snprintf(path, sizeof(path), "%s/results.csv", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	int rc = results_write_csv(r, f, true);
	if (fclose(f) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -1;
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", path,
			 r->failed ? "out of memory" : strerror(errno ? errno : EIO));
		remove(tmp);
	}
	return rc;
}
