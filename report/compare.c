/*
 * compare.c - metric-by-metric comparison of result tables with the
 * Mann-Whitney U test, and --fail-on thresholds (report/compare.h).
 */
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <uthash.h>

#include "bench/results.h"     /* RESULTS_CSV_HEADER: the file format bench/ writes */
#include "report/compare.h"
#include "report/csv.h"

struct compare_group {
	char *trace, *policy, *system, *metric, *unit;
	char *key;                      /* trace \x1f system \x1f policy \x1f metric */
	bool deterministic;
	char *first_text;               /* the first value's text */
	double *values;                 /* numeric values, NA left out */
	size_t nr_values, cap_values;
	size_t nr_na;                   /* NA rows */
};

/* uthash entries live apart from the group array, which moves when it grows. */
typedef struct group_ref {
	size_t idx;
	UT_hash_handle hh;
	char key[];
} group_ref_t;

/* ---------------------------------------------------------------- statistics */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double compare_median(double *v, size_t n)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * P(U <= u) under the null hypothesis for sample sizes m and n, no ties:
 * c(k; m, n), the number of orderings with U = k, by the recurrence
 * c(k; m, n) = c(k - n; m - 1, n) + c(k; m, n - 1) over layers of m,
 * divided by C(m + n, m).  Only sums of non-negative terms: no cancellation.
 */
static double mw_exact_cdf(size_t m, size_t n, double u)
{
	size_t kmax = m * n, w = kmax + 1;
	double *prev = calloc((n + 1) * w, sizeof(double));
	double *cur = calloc((n + 1) * w, sizeof(double));
	double below = 0, total = 0;

	if (!prev || !cur) {
		free(prev);
		free(cur);
		return NAN;
	}
	for (size_t j = 0; j <= n; j++)
		prev[j * w] = 1;        /* m = 0: only U = 0 */
	for (size_t i = 1; i <= m; i++) {
		memset(cur, 0, (n + 1) * w * sizeof(double));
		cur[0] = 1;             /* n = 0 */
		for (size_t j = 1; j <= n; j++)
			for (size_t k = 0; k <= i * j; k++)
				cur[j * w + k] = (k >= j ? prev[j * w + k - j] : 0) +
						 cur[(j - 1) * w + k];
		double *t = prev;
		prev = cur;
		cur = t;
	}
	for (size_t k = 0; k <= kmax; k++) {
		total += prev[n * w + k];
		if ((double)k <= u + 1e-9)
			below += prev[n * w + k];
	}
	free(prev);
	free(cur);
	return below / total;
}

typedef struct ranked {
	double v;
	bool from_x;
} ranked_t;

static int cmp_ranked(const void *a, const void *b)
{
	return cmp_double(&((const ranked_t *)a)->v, &((const ranked_t *)b)->v);
}

double compare_mann_whitney(const double *x, size_t nx, const double *y, size_t ny, double *u)
{
	size_t n = nx + ny;
	double rank_x = 0, ties = 0, p;
	ranked_t *all;

	if (u)
		*u = NAN;
	if (!nx || !ny)
		return NAN;
	all = malloc(n * sizeof(*all));
	if (!all)
		return NAN;
	for (size_t i = 0; i < n; i++) {
		all[i].v = i < nx ? x[i] : y[i - nx];
		all[i].from_x = i < nx;
		if (isnan(all[i].v)) {
			free(all);
			return NAN;
		}
	}
	qsort(all, n, sizeof(*all), cmp_ranked);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && all[j].v == all[i].v)
			j++;
		double t = (double)(j - i), mid = (double)(i + 1 + j) / 2;     /* ranks i+1..j */
		for (size_t k = i; k < j; k++)
			if (all[k].from_x)
				rank_x += mid;
		ties += t * t * t - t;
		i = j;
	}
	free(all);

	double U = rank_x - (double)nx * (double)(nx + 1) / 2, mean = (double)nx * (double)ny / 2;
	if (u)
		*u = U;
	if (!ties && nx < 50 && ny < 50) {
		double lo = mw_exact_cdf(nx, ny, U);
		double hi = 1 - mw_exact_cdf(nx, ny, U - 1);   /* P(U >= u): U takes whole values */
		p = 2 * (lo < hi ? lo : hi);
	} else {
		double N = (double)n;
		double var = (double)nx * (double)ny / 12 * ((N + 1) - ties / (N * (N - 1)));
		if (var <= 0)
			return 1;       /* every value equal */
		double z = (fabs(U - mean) - 0.5) / sqrt(var);
		p = z <= 0 ? 1 : erfc(z / sqrt(2));
	}
	return p > 1 ? 1 : p;
}

/* ---------------------------------------------------------------- loading */

static compare_group_t *group_get(compare_table_t *t, char **f, bool det)
{
	char key[1024];
	group_ref_t *ref = NULL, **head = (group_ref_t **)&t->index;
	int n = snprintf(key, sizeof(key), "%s\x1f%s\x1f%s\x1f%s", f[0], f[2], f[1], f[3]);

	if (n < 0 || (size_t)n >= sizeof(key))
		return NULL;
	HASH_FIND_STR(*head, key, ref);
	if (ref)
		return &t->groups[ref->idx];
	if (t->nr_groups == t->cap_groups) {
		size_t cap = t->cap_groups ? 2 * t->cap_groups : 256;
		compare_group_t *g = realloc(t->groups, cap * sizeof(*g));
		if (!g)
			return NULL;
		t->groups = g;
		t->cap_groups = cap;
	}
	ref = malloc(sizeof(*ref) + (size_t)n + 1);
	if (!ref)
		return NULL;
	memcpy(ref->key, key, (size_t)n + 1);
	ref->idx = t->nr_groups;
	compare_group_t *g = &t->groups[t->nr_groups];
	memset(g, 0, sizeof(*g));
	g->trace = strdup(f[0]);
	g->policy = strdup(f[1]);
	g->system = strdup(f[2]);
	g->metric = strdup(f[3]);
	g->unit = strdup(f[5]);
	g->first_text = strdup(f[4]);
	g->key = strdup(key);
	g->deterministic = det;
	if (!g->trace || !g->policy || !g->system || !g->metric || !g->unit || !g->first_text ||
	    !g->key) {
		free(ref);
		free(g->trace), free(g->policy), free(g->system), free(g->metric);
		free(g->unit), free(g->first_text), free(g->key);
		return NULL;
	}
	HASH_ADD_STR(*head, key, ref);
	t->nr_groups++;
	return g;
}

int compare_table_load(compare_table_t *t, const char *path, char *err, size_t errlen)
{
	struct stat st;
	csv_t c;
	int rc;

	memset(t, 0, sizeof(*t));
	if (!stat(path, &st) && S_ISDIR(st.st_mode))
		snprintf(t->path, sizeof(t->path), "%.4080s/results.csv", path);
	else
		snprintf(t->path, sizeof(t->path), "%s", path);
	if (csv_open(&c, t->path, err, errlen))
		return -1;
	if (csv_expect_header(&c, RESULTS_CSV_HEADER, err, errlen)) {
		csv_close(&c);
		return -1;
	}
	while ((rc = csv_next(&c, err, errlen)) == 1) {
		char **f = c.fields;
		double v = 0;
		bool det, na;

		if (c.nr_fields == 1 && !f[0][0])
			continue;       /* an empty line */
		if (c.nr_fields != 7) {
			rc = csv_row_error(&c, err, errlen, "%zu fields, expected 7", c.nr_fields);
			break;
		}
		if (!strcmp(f[6], "true") || !strcmp(f[6], "false")) {
			det = f[6][0] == 't';
		} else {
			rc = csv_row_error(&c, err, errlen, "deterministic: '%.40s' is not true or false", f[6]);
			break;
		}
		na = !strcmp(f[4], "NA");
		if (!na && (csv_parse_double(f[4], &v) || !isfinite(v))) {
			rc = csv_row_error(&c, err, errlen, "value: '%.40s' is not a number or NA", f[4]);
			break;
		}
		compare_group_t *g = group_get(t, f, det);
		if (!g) {
			rc = csv_row_error(&c, err, errlen, "out of memory or a key over 1 KiB");
			break;
		}
		if (g->deterministic != det || strcmp(g->unit, f[5])) {
			rc = csv_row_error(&c, err, errlen, "metric %.100s: unit or deterministic flag differs from its earlier row", f[3]);
			break;
		}
		if (na) {
			g->nr_na++;
			continue;
		}
		if (g->nr_values == g->cap_values) {
			size_t cap = g->cap_values ? 2 * g->cap_values : 4;
			double *nv = realloc(g->values, cap * sizeof(*nv));
			if (!nv) {
				rc = csv_row_error(&c, err, errlen, "out of memory");
				break;
			}
			g->values = nv;
			g->cap_values = cap;
		}
		g->values[g->nr_values++] = v;
	}
	csv_close(&c);
	if (rc) {
		compare_table_free(t);
		return -1;
	}
	return 0;
}

void compare_table_free(compare_table_t *t)
{
	group_ref_t *head = t->index, *ref, *tmp;

	HASH_ITER(hh, head, ref, tmp) {
		HASH_DEL(head, ref);
		free(ref);
	}
	for (size_t i = 0; i < t->nr_groups; i++) {
		compare_group_t *g = &t->groups[i];
		free(g->trace), free(g->policy), free(g->system), free(g->metric);
		free(g->unit), free(g->first_text), free(g->key), free(g->values);
	}
	free(t->groups);
	memset(t, 0, sizeof(*t));
}

/* ---------------------------------------------------------------- comparing */

/* The one policy t has for (trace, system), or NULL when it has none or several. */
static const char *only_policy(const compare_table_t *t, const char *trace, const char *system)
{
	const char *found = NULL;

	for (size_t i = 0; i < t->nr_groups; i++) {
		const compare_group_t *g = &t->groups[i];
		if (strcmp(g->trace, trace) || strcmp(g->system, system))
			continue;
		if (found && strcmp(found, g->policy))
			return NULL;
		found = g->policy;
	}
	return found;
}

static const compare_group_t *find_group(const compare_table_t *t, const char *trace,
					 const char *system, const char *policy,
					 const char *metric)
{
	char key[1024];
	group_ref_t *ref = NULL, *head = t->index;

	snprintf(key, sizeof(key), "%s\x1f%s\x1f%s\x1f%s", trace, system, policy, metric);
	HASH_FIND_STR(head, key, ref);
	return ref ? &t->groups[ref->idx] : NULL;
}

static void fill_row(compare_row_t *r, const compare_group_t *b, const compare_group_t *o)
{
	memset(r, 0, sizeof(*r));
	r->trace = b->trace;
	r->system = b->system;
	r->metric = b->metric;
	r->unit = b->unit;
	r->base_policy = b->policy;
	r->other_policy = o->policy;
	r->deterministic = b->deterministic && o->deterministic;
	r->n_base = b->nr_values;
	r->n_other = o->nr_values;
	r->base_na = !b->nr_values;
	r->other_na = !o->nr_values;
	r->p_value = NAN;
	r->significant = -1;
	r->delta = r->delta_pct = NAN;
	r->base_text = b->first_text;
	r->other_text = o->first_text;
	if (r->deterministic) {
		r->base_value = b->nr_values ? b->values[0] : NAN;
		r->other_value = o->nr_values ? o->values[0] : NAN;
		r->differ = strcmp(b->first_text, o->first_text) != 0;
		r->significant = r->differ;
	} else {
		/* medians of copies: the tables keep their order */
		double *bv = malloc((b->nr_values + o->nr_values + 1) * sizeof(double));
		if (bv) {
			double *ov = bv + b->nr_values;
			if (b->nr_values)
				memcpy(bv, b->values, b->nr_values * sizeof(double));
			if (o->nr_values)
				memcpy(ov, o->values, o->nr_values * sizeof(double));
			r->base_value = compare_median(bv, b->nr_values);
			r->other_value = compare_median(ov, o->nr_values);
			free(bv);
		} else {
			r->base_value = r->other_value = NAN;
		}
		r->differ = r->base_na != r->other_na ||
			    (!r->base_na && r->base_value != r->other_value);
		if (b->nr_values >= COMPARE_MIN_REPETITIONS && o->nr_values >= COMPARE_MIN_REPETITIONS) {
			r->p_value = compare_mann_whitney(b->values, b->nr_values, o->values,
							  o->nr_values, NULL);
			if (!isnan(r->p_value))
				r->significant = r->p_value < COMPARE_ALPHA;
		}
	}
	if (!r->base_na && !r->other_na) {
		r->delta = r->other_value - r->base_value;
		if (r->base_value != 0)
			r->delta_pct = 100 * r->delta / fabs(r->base_value);
		else if (r->delta == 0)
			r->delta_pct = 0;
	}
}

long compare_tables(const compare_table_t *base, const compare_table_t *other,
		    compare_row_t **rows)
{
	compare_row_t *out = malloc((base->nr_groups + 1) * sizeof(*out));
	const char *last_trace = NULL, *last_system = NULL, *bp = NULL, *op = NULL;
	long nr = 0;

	*rows = NULL;
	if (!out)
		return -1;
	for (size_t i = 0; i < base->nr_groups; i++) {
		const compare_group_t *b = &base->groups[i], *o = NULL;

		if (!last_trace || strcmp(last_trace, b->trace) || strcmp(last_system, b->system)) {
			last_trace = b->trace;
			last_system = b->system;
			bp = only_policy(base, b->trace, b->system);
			op = only_policy(other, b->trace, b->system);
		}
		if (bp && op)
			o = find_group(other, b->trace, b->system, op, b->metric);
		else
			o = find_group(other, b->trace, b->system, b->policy, b->metric);
		if (o)
			fill_row(&out[nr++], b, o);
	}
	*rows = out;
	return nr;
}

long compare_policies(const compare_table_t *t, const char *base_policy, compare_row_t **rows)
{
	const char **seen = malloc((t->nr_groups + 1) * sizeof(*seen));
	size_t nr_seen = 0, cap = 0;
	compare_row_t *out = NULL;
	long nr = 0;

	*rows = NULL;
	if (!seen)
		return -1;
	for (size_t i = 0; i < t->nr_groups; i++) {
		const char *p = t->groups[i].policy;
		size_t j = 0;
		while (j < nr_seen && strcmp(seen[j], p))
			j++;
		if (j == nr_seen && strcmp(p, base_policy))
			seen[nr_seen++] = p;
	}
	for (size_t q = 0; q < nr_seen; q++)
		for (size_t i = 0; i < t->nr_groups; i++) {
			const compare_group_t *b = &t->groups[i], *o;
			if (strcmp(b->policy, base_policy))
				continue;
			o = find_group(t, b->trace, b->system, seen[q], b->metric);
			if (!o)
				continue;
			if ((size_t)nr == cap) {
				cap = cap ? 2 * cap : 256;
				compare_row_t *n = realloc(out, cap * sizeof(*n));
				if (!n) {
					free(out);
					free(seen);
					return -1;
				}
				out = n;
			}
			fill_row(&out[nr++], b, o);
		}
	free(seen);
	*rows = out;
	return nr;
}

/* ---------------------------------------------------------------- output */

static void put_field(FILE *f, const char *s, bool last)
{
	if (strpbrk(s, ",\"\r\n")) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputc(last ? '\n' : ',', f);
}

static const char *num(char *buf, size_t len, bool na, double v)
{
	if (na || isnan(v))
		return "NA";
	snprintf(buf, len, "%.10g", v);
	return buf;
}

void compare_write_row(FILE *f, const compare_row_t *r)
{
	char b1[64], b2[64], b3[64], b4[64], b5[64], n1[32], n2[32];

	put_field(f, r->trace, false);
	put_field(f, r->system, false);
	put_field(f, r->metric, false);
	put_field(f, r->unit, false);
	put_field(f, r->deterministic ? "true" : "false", false);
	put_field(f, r->base_policy, false);
	put_field(f, r->other_policy, false);
	if (r->deterministic) {
		put_field(f, r->base_na ? "NA" : r->base_text, false);
		put_field(f, r->other_na ? "NA" : r->other_text, false);
	} else {
		put_field(f, num(b1, sizeof(b1), r->base_na, r->base_value), false);
		put_field(f, num(b2, sizeof(b2), r->other_na, r->other_value), false);
	}
	put_field(f, num(b3, sizeof(b3), false, r->delta), false);
	put_field(f, num(b4, sizeof(b4), false, r->delta_pct), false);
	snprintf(n1, sizeof(n1), "%zu", r->n_base);
	snprintf(n2, sizeof(n2), "%zu", r->n_other);
	put_field(f, n1, false);
	put_field(f, n2, false);
	put_field(f, num(b5, sizeof(b5), false, r->p_value), false);
	put_field(f, r->significant < 0 ? "NA" : r->significant ? "yes" : "no", true);
}

/* ---------------------------------------------------------------- thresholds */

int compare_threshold_parse(compare_threshold_t *th, const char *spec, char *err, size_t errlen)
{
	const char *op = strpbrk(spec, "<>");
	char *end;

	memset(th, 0, sizeof(*th));
	if (strlen(spec) >= sizeof(th->spec)) {
		snprintf(err, errlen, "'%.40s...': longer than %zu bytes", spec, sizeof(th->spec) - 1);
		return -1;
	}
	snprintf(th->spec, sizeof(th->spec), "%s", spec);
	if (!op || op == spec) {
		snprintf(err, errlen, "'%s': expected METRIC>LIMIT or METRIC<LIMIT (LIMIT a number, "
			 "or a number and %%)", spec);
		return -1;
	}
	if ((size_t)(op - spec) >= sizeof(th->metric)) {
		snprintf(err, errlen, "'%s': metric longer than %zu bytes", spec, sizeof(th->metric) - 1);
		return -1;
	}
	memcpy(th->metric, spec, (size_t)(op - spec));
	th->metric[op - spec] = 0;
	th->greater = *op == '>';
	const char *lim = op + 1;
	if (!*lim || strchr(" \t", *lim)) {
		snprintf(err, errlen, "'%s': no limit after '%c'", spec, *op);
		return -1;
	}
	errno = 0;
	th->limit = strtod(lim, &end);
	if (end == lim || errno || !isfinite(th->limit)) {
		snprintf(err, errlen, "'%s': '%s' is not a number", spec, lim);
		return -1;
	}
	if (*end == '%') {
		th->percent = true;
		end++;
	}
	if (*end) {
		snprintf(err, errlen, "'%s': unexpected '%s' after the limit", spec, end);
		return -1;
	}
	return 0;
}

bool compare_threshold_exceeded(const compare_threshold_t *th, const compare_row_t *r)
{
	double d = th->percent ? r->delta_pct : r->delta;

	if (fnmatch(th->metric, r->metric, 0))
		return false;
	if (r->significant != 1 || isnan(d))
		return false;
	return th->greater ? d > th->limit : d < th->limit;
}

/* ---------------------------------------------------------------- summary */

/* Median of group g's values (NaN without any), on a copy. */
static double group_median(const compare_group_t *g)
{
	double *v, m;

	if (!g || !g->nr_values)
		return NAN;
	v = malloc(g->nr_values * sizeof(*v));
	if (!v)
		return NAN;
	memcpy(v, g->values, g->nr_values * sizeof(*v));
	m = compare_median(v, g->nr_values);
	free(v);
	return m;
}

void compare_print_summary(const compare_table_t *t, FILE *f)
{
	static const char prefix[] = "latency_ns_p99.";

	fprintf(f, "%-14s %-30s %5s %11s %9s  %s\n", "trace", "system/policy", "reps",
		"M events/s", "p99 ns", "(slowest kind's median p99)");
	for (size_t i = 0; i < t->nr_groups; i++) {
		const compare_group_t *g = &t->groups[i], *e;
		char sys[160];
		const compare_group_t *prev = i ? &t->groups[i - 1] : NULL;

		/* a results.csv holds each (trace, system, policy) in one run of rows */
		if (prev && !strcmp(prev->trace, g->trace) && !strcmp(prev->system, g->system) &&
		    !strcmp(prev->policy, g->policy))
			continue;
		e = find_group(t, g->trace, g->system, g->policy, "events_per_s");
		double worst = NAN;
		const char *kind = "";
		for (size_t j = i; j < t->nr_groups; j++) {
			const compare_group_t *l = &t->groups[j];
			if (strncmp(l->metric, prefix, sizeof(prefix) - 1) ||
			    strcmp(l->trace, g->trace) || strcmp(l->system, g->system) ||
			    strcmp(l->policy, g->policy))
				continue;
			double m = group_median(l);
			if (!isnan(m) && (isnan(worst) || m > worst)) {
				worst = m;
				kind = l->metric + sizeof(prefix) - 1;
			}
		}
		if (!strcmp(g->system, "mmbench"))
			snprintf(sys, sizeof(sys), "mmbench/%s", g->policy);
		else
			snprintf(sys, sizeof(sys), "%s", g->system);
		double eps = group_median(e);
		char eps_text[32], p99_text[32];
		snprintf(eps_text, sizeof(eps_text), isnan(eps) ? "NA" : "%.2f", eps / 1e6);
		snprintf(p99_text, sizeof(p99_text), isnan(worst) ? "NA" : "%.0f", worst);
		fprintf(f, "%-14s %-30s %5zu %11s %9s  %s\n", g->trace, sys, e ? e->nr_values : 0,
			eps_text, p99_text, kind);
	}
}
