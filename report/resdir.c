/*
 * resdir.c - find and load results directories, compare.csv and
 * microbench.json for the report (see resdir.h).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/results.h"     /* RESULTS_CSV_HEADER: the file format bench/ writes */
#include "compare.h"
#include "csv.h"
#include "resdir.h"

#define RESDIR_MAX_DEPTH 32
#define RESDIR_MAX_SAMPLES 10000000

static const char timeseries_header[] = "event,ts_ns,scope,metric,order,migratetype,value";

static char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static bool is_file(const char *dir, const char *name)
{
	char *p = path_join(dir, name);
	struct stat st;
	bool ok = p && stat(p, &st) == 0 && S_ISREG(st.st_mode);

	free(p);
	return ok;
}

/* ---------------------------------------------------------------- results.csv */

static int load_results(rdir_t *d, char *err, size_t errlen)
{
	char *path = path_join(d->path, "results.csv");
	size_t cap = 0;
	csv_t c;
	int rc;

	if (!path || csv_open(&c, path, err, errlen)) {
		if (!path)
			snprintf(err, errlen, "%s: out of memory", d->path);
		free(path);
		return -1;
	}
	free(path);
	if (csv_expect_header(&c, RESULTS_CSV_HEADER, err, errlen))
		goto fail;
	while ((rc = csv_next(&c, err, errlen)) == 1) {
		rrow_t *r;
		char **f = c.fields;

		if (c.nr_fields == 1 && !f[0][0])
			continue;	/* blank line */
		if (c.nr_fields != 7) {
			csv_row_error(&c, err, errlen, "%zu fields, expected 7", c.nr_fields);
			goto fail;
		}
		if (d->nr_rows == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			rrow_t *nr = realloc(d->rows, ncap * sizeof(*nr));

			if (!nr) {
				csv_row_error(&c, err, errlen, "out of memory");
				goto fail;
			}
			d->rows = nr;
			cap = ncap;
		}
		r = &d->rows[d->nr_rows];
		memset(r, 0, sizeof(*r));
		if (!strcmp(f[4], "NA")) {
			r->value = NAN;
		} else if (csv_parse_double(f[4], &r->value)) {
			csv_row_error(&c, err, errlen, "value \"%.40s\" of %.80s is not a number",
				      f[4], f[3]);
			goto fail;
		}
		if (strcmp(f[6], "true") && strcmp(f[6], "false")) {
			csv_row_error(&c, err, errlen, "deterministic is \"%.20s\", not true or false",
				      f[6]);
			goto fail;
		}
		if (!f[3][0]) {
			csv_row_error(&c, err, errlen, "empty metric name");
			goto fail;
		}
		r->deterministic = f[6][0] == 't';
		r->nr_reps = 1;
		r->trace = strdup(f[0]);
		r->policy = strdup(f[1]);
		r->system = strdup(f[2]);
		r->metric = strdup(f[3]);
		r->unit = strdup(f[5]);
		d->nr_rows++;
		if (!r->trace || !r->policy || !r->system || !r->metric || !r->unit) {
			csv_row_error(&c, err, errlen, "out of memory");
			goto fail;
		}
	}
	if (rc < 0)
		goto fail;
	if (d->nr_rows == 0) {
		snprintf(err, errlen, "%s:2: no rows after the header (byte %zu)", c.path, c.len);
		goto fail;
	}
	csv_close(&c);
	return 0;
fail:
	csv_close(&c);
	return -1;
}

/* ---------------------------------------------------------------- .hgrm */

int hgrm_load(hgrm_t *h, const char *path, char *err, size_t errlen)
{
	size_t cap = 0;
	csv_t c;	/* used only for the file buffer and error positions */
	char *p, *end;

	memset(h, 0, sizeof(*h));
	if (csv_open(&c, path, err, errlen))
		return -1;
	c.line = 1;
	for (p = c.buf; p < c.buf + c.len; p = end + (end < c.buf + c.len), c.line++) {
		double v[4];
		char *q;
		int i;

		end = memchr(p, '\n', (size_t)(c.buf + c.len - p));
		if (!end)
			end = c.buf + c.len;
		*end = '\0';
		c.row_off = (size_t)(p - c.buf);
		q = p + strspn(p, " \t\r");
		if (!*q || *q == '#' || !strncmp(q, "Value", 5))
			continue;
		for (i = 0; i < 4; i++) {
			char *e;

			errno = 0;
			v[i] = strtod(q, &e);
			if (e == q || errno == ERANGE || isnan(v[i]) ||
			    (*e && *e != ' ' && *e != '\t' && *e != '\r')) {
				csv_row_error(&c, err, errlen,
					      "not an HdrHistogram percentile row (column %d)",
					      i + 1);
				goto fail;
			}
			q = e + strspn(e, " \t\r");
		}
		if (*q) {
			csv_row_error(&c, err, errlen, "more than 4 columns");
			goto fail;
		}
		if (v[1] < 0 || v[1] > 1 || v[0] < 0 || isinf(v[0])) {
			csv_row_error(&c, err, errlen, "percentile %g or value %g out of range",
				      v[1], v[0]);
			goto fail;
		}
		if (h->nr == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			double *nv = realloc(h->value_ns, ncap * sizeof(*nv));
			double *np;

			if (!nv) {
				csv_row_error(&c, err, errlen, "out of memory");
				goto fail;
			}
			h->value_ns = nv;
			np = realloc(h->pct, ncap * sizeof(*np));
			if (!np) {
				csv_row_error(&c, err, errlen, "out of memory");
				goto fail;
			}
			h->pct = np;
			cap = ncap;
		}
		h->value_ns[h->nr] = v[0];
		h->pct[h->nr] = v[1];
		h->nr++;
		if (v[2] > h->total)
			h->total = v[2];
	}
	csv_close(&c);
	return 0;
fail:
	csv_close(&c);
	hgrm_free(h);
	return -1;
}

void hgrm_free(hgrm_t *h)
{
	free(h->kind);
	free(h->value_ns);
	free(h->pct);
	memset(h, 0, sizeof(*h));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every NAME.hgrm in d->path/sub, sorted by name. */
static int load_hgrms(rdir_t *d, const char *sub, bool modeled, char *err, size_t errlen)
{
	char *dir = path_join(d->path, sub);
	char **names = NULL;
	size_t nr = 0, cap = 0, i;
	struct dirent *de;
	DIR *dp;
	int ret = -1;

	if (!dir) {
		snprintf(err, errlen, "%s: out of memory", d->path);
		return -1;
	}
	dp = opendir(dir);
	if (!dp) {
		free(dir);
		return 0;	/* no histograms of this kind */
	}
	while ((de = readdir(dp))) {
		size_t n = strlen(de->d_name);

		if (n <= 5 || strcmp(de->d_name + n - 5, ".hgrm"))
			continue;
		if (nr == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char **nn = realloc(names, ncap * sizeof(*nn));

			if (!nn)
				goto oom;
			names = nn;
			cap = ncap;
		}
		names[nr] = strdup(de->d_name);
		if (!names[nr])
			goto oom;
		nr++;
	}
	if (nr)
		qsort(names, nr, sizeof(*names), cmp_str);
	{
		hgrm_t *nh = realloc(d->hgrms, (d->nr_hgrms + nr + 1) * sizeof(*nh));

		if (!nh)
			goto oom;
		d->hgrms = nh;
	}
	for (i = 0; i < nr; i++) {
		char *p = path_join(dir, names[i]);
		hgrm_t *h = &d->hgrms[d->nr_hgrms];

		if (!p)
			goto oom;
		if (hgrm_load(h, p, err, errlen)) {
			free(p);
			goto out;
		}
		free(p);
		names[i][strlen(names[i]) - 5] = '\0';
		h->kind = names[i];
		names[i] = NULL;
		h->modeled = modeled;
		d->nr_hgrms++;
	}
	ret = 0;
	goto out;
oom:
	snprintf(err, errlen, "%s: out of memory", dir);
out:
	for (i = 0; i < nr; i++)
		free(names[i]);
	free(names);
	closedir(dp);
	free(dir);
	return ret;
}

/* ---------------------------------------------------------------- timeseries.csv */

const tseries_t *rdir_series(const rdir_t *d, const char *scope, const char *metric, int order,
			     const char *mt)
{
	size_t i;

	for (i = 0; i < d->nr_series; i++) {
		const tseries_t *s = &d->series[i];

		if (s->order == order && !strcmp(s->metric, metric) && !strcmp(s->scope, scope) &&
		    !strcmp(s->mt, mt))
			return s;
	}
	return NULL;
}

static tseries_t *series_get(rdir_t *d, size_t *cap, size_t *hint, size_t cap_samples,
			     char **f, int order)
{
	size_t i, k;
	tseries_t *s;

	/* rows come in the same key order every sample: try the next key first */
	for (k = 0; k < d->nr_series; k++) {
		i = (*hint + k) % d->nr_series;
		s = &d->series[i];
		if (s->order == order && !strcmp(s->metric, f[3]) && !strcmp(s->scope, f[2]) &&
		    !strcmp(s->mt, f[5])) {
			*hint = i + 1;
			return s;
		}
	}
	if (d->nr_series == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		tseries_t *ns = realloc(d->series, ncap * sizeof(*ns));

		if (!ns)
			return NULL;
		d->series = ns;
		*cap = ncap;
	}
	s = &d->series[d->nr_series];
	memset(s, 0, sizeof(*s));
	s->order = order;
	s->scope = strdup(f[2]);
	s->metric = strdup(f[3]);
	s->mt = strdup(f[5]);
	s->v = malloc((cap_samples ? cap_samples : 1) * sizeof(double));
	d->nr_series++;
	if (!s->scope || !s->metric || !s->mt || !s->v)
		return NULL;
	for (i = 0; i < cap_samples; i++)
		s->v[i] = NAN;
	*hint = d->nr_series;
	return s;
}

static int load_timeseries(rdir_t *d, char *err, size_t errlen)
{
	char *path = path_join(d->path, "timeseries.csv");
	size_t cap_series = 0, cap_samples = 0, hint = 0, i;
	double last_event = -1;
	csv_t c;
	int rc;

	if (!path) {
		snprintf(err, errlen, "%s: out of memory", d->path);
		return -1;
	}
	if (!is_file(d->path, "timeseries.csv")) {
		free(path);
		return 0;
	}
	if (csv_open(&c, path, err, errlen)) {
		free(path);
		return -1;
	}
	free(path);
	if (csv_expect_header(&c, timeseries_header, err, errlen))
		goto fail;
	while ((rc = csv_next(&c, err, errlen)) == 1) {
		char **f = c.fields;
		double ev, ts, v, ord = -1;
		tseries_t *s;

		if (c.nr_fields == 1 && !f[0][0])
			continue;
		if (c.nr_fields != 7) {
			csv_row_error(&c, err, errlen, "%zu fields, expected 7", c.nr_fields);
			goto fail;
		}
		if (csv_parse_double(f[0], &ev) || csv_parse_double(f[1], &ts) || ev < 0 ||
		    (f[4][0] && (csv_parse_double(f[4], &ord) || ord < 0 || ord > 64 ||
				 ord != floor(ord)))) {
			csv_row_error(&c, err, errlen, "bad event, ts_ns or order field");
			goto fail;
		}
		if (!strcmp(f[6], "NA"))
			v = NAN;
		else if (csv_parse_double(f[6], &v)) {
			csv_row_error(&c, err, errlen, "value \"%.40s\" is not a number", f[6]);
			goto fail;
		}
		if (ev != last_event) {
			if (ev < last_event) {
				csv_row_error(&c, err, errlen, "event %.0f goes backwards", ev);
				goto fail;
			}
			if (d->nr_samples == RESDIR_MAX_SAMPLES) {
				csv_row_error(&c, err, errlen, "more than %d samples",
					      RESDIR_MAX_SAMPLES);
				goto fail;
			}
			if (d->nr_samples == cap_samples) {
				size_t ncap = cap_samples ? cap_samples * 2 : 256;
				double *nt = realloc(d->ts_ns, ncap * sizeof(*nt));

				if (!nt)
					goto oom;
				d->ts_ns = nt;
				for (i = 0; i < d->nr_series; i++) {
					double *nv = realloc(d->series[i].v, ncap * sizeof(*nv));
					size_t j;

					if (!nv)
						goto oom;
					for (j = cap_samples; j < ncap; j++)
						nv[j] = NAN;
					d->series[i].v = nv;
				}
				cap_samples = ncap;
			}
			d->ts_ns[d->nr_samples++] = ts;
			last_event = ev;
		}
		s = series_get(d, &cap_series, &hint, cap_samples, f, f[4][0] ? (int)ord : -1);
		if (!s)
			goto oom;
		s->v[d->nr_samples - 1] = v;
	}
	if (rc < 0)
		goto fail;
	csv_close(&c);
	return 0;
oom:
	csv_row_error(&c, err, errlen, "out of memory");
fail:
	csv_close(&c);
	return -1;
}

/* ---------------------------------------------------------------- a directory */

const rrow_t *rdir_row(const rdir_t *d, const char *metric)
{
	size_t i;

	for (i = 0; i < d->nr_rows; i++)
		if (!strcmp(d->rows[i].metric, metric))
			return &d->rows[i];
	return NULL;
}

bool rdir_is_merged(const rdir_t *d)
{
	size_t i;

	for (i = 1; i < d->nr_rows; i++)
		if (strcmp(d->rows[i].trace, d->trace) || strcmp(d->rows[i].policy, d->policy) ||
		    strcmp(d->rows[i].system, d->system))
			return true;
	return false;
}

int rdir_load(rdir_t *d, const char *path, char *err, size_t errlen)
{
	json_error_t jerr;
	char *sp;
	size_t n;

	memset(d, 0, sizeof(*d));
	d->path = strdup(path);
	sp = path_join(path, "summary.json");
	if (!d->path || !sp) {
		free(sp);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	d->summary = json_load_file(sp, JSON_REJECT_DUPLICATES, &jerr);
	if (!d->summary || !json_is_object(d->summary)) {
		if (d->summary)
			snprintf(err, errlen, "%s:1: not a JSON object (byte 0)", sp);
		else
			snprintf(err, errlen, "%s:%d: %s (byte %d)", sp, jerr.line, jerr.text,
				 jerr.position);
		free(sp);
		goto fail;
	}
	free(sp);
	if (load_results(d, err, errlen) || load_hgrms(d, "latency", false, err, errlen) ||
	    load_hgrms(d, "modeled", true, err, errlen) || load_timeseries(d, err, errlen))
		goto fail;
	d->trace = d->rows[0].trace;
	d->policy = d->rows[0].policy;
	d->system = d->rows[0].system;
	d->nr_reps = 1;
	n = strlen(d->system) + strlen(d->policy) + 2;
	d->label = malloc(n);
	if (!d->label) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	if (!strcmp(d->system, "mmbench"))
		snprintf(d->label, n, "%s/%s", d->system, d->policy);
	else
		snprintf(d->label, n, "%s", d->system);
	return 0;
fail:
	rdir_free(d);
	return -1;
}

/* The row of r for metric, looked for at index hint first (repetitions write rows in one order). */
static const rrow_t *rep_row(const rdir_t *r, size_t hint, const char *metric)
{
	if (hint < r->nr_rows && !strcmp(r->rows[hint].metric, metric))
		return &r->rows[hint];
	return rdir_row(r, metric);
}

int rdir_load_reps(rdir_t *d, const char *path, char *const *reps, size_t nr, char *err,
		   size_t errlen)
{
	double *vals = NULL, *tmp = NULL;
	size_t j, k;
	char *cell;

	if (!nr) {
		snprintf(err, errlen, "%s: no repetitions", path);
		return -1;
	}
	if (rdir_load(d, reps[0], err, errlen))
		return -1;
	cell = strdup(path);
	vals = malloc(d->nr_rows * nr * sizeof(*vals));
	tmp = malloc(nr * sizeof(*tmp));
	if (!cell || !vals || !tmp) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	free(d->path);
	d->path = cell;
	cell = NULL;
	for (j = 0; j < d->nr_rows; j++)
		vals[j * nr] = d->rows[j].value;
	for (k = 1; k < nr; k++) {
		rdir_t r = { .path = reps[k] };

		/* only results.csv: the histograms and series shown are the first repetition's */
		if (load_results(&r, err, errlen)) {
			r.path = NULL;
			rdir_free(&r);
			goto fail;
		}
		if (strcmp(r.rows[0].trace, d->trace) || strcmp(r.rows[0].policy, d->policy) ||
		    strcmp(r.rows[0].system, d->system)) {
			snprintf(err, errlen,
				 "%s/results.csv:2: %.80s/%.80s/%.80s, but %s holds %.80s/%.80s/%.80s (byte %zu)",
				 reps[k], r.rows[0].trace, r.rows[0].policy, r.rows[0].system,
				 reps[0], d->trace, d->policy, d->system, sizeof(RESULTS_CSV_HEADER));
			r.path = NULL;
			rdir_free(&r);
			goto fail;
		}
		for (j = 0; j < d->nr_rows; j++) {
			const rrow_t *rr = d->rows[j].deterministic ? NULL :
					   rep_row(&r, j, d->rows[j].metric);

			vals[j * nr + k] = rr ? rr->value : NAN;
		}
		r.path = NULL;
		rdir_free(&r);
	}
	for (j = 0; j < d->nr_rows; j++) {
		rrow_t *row = &d->rows[j];
		size_t n = 0;

		if (row->deterministic)
			continue;
		for (k = 0; k < nr; k++)
			if (!isnan(vals[j * nr + k]))
				tmp[n++] = vals[j * nr + k];
		row->value = compare_median(tmp, n);
		row->nr_reps = n ? (unsigned)n : 1;
	}
	d->nr_reps = (unsigned)nr;
	free(vals);
	free(tmp);
	return 0;
fail:
	free(cell);
	free(vals);
	free(tmp);
	rdir_free(d);
	return -1;
}

void rdir_free(rdir_t *d)
{
	size_t i;

	for (i = 0; i < d->nr_rows; i++) {
		rrow_t *r = &d->rows[i];

		free(r->trace);
		free(r->policy);
		free(r->system);
		free(r->metric);
		free(r->unit);
	}
	for (i = 0; i < d->nr_hgrms; i++)
		hgrm_free(&d->hgrms[i]);
	for (i = 0; i < d->nr_series; i++) {
		free(d->series[i].scope);
		free(d->series[i].metric);
		free(d->series[i].mt);
		free(d->series[i].v);
	}
	free(d->rows);
	free(d->hgrms);
	free(d->series);
	free(d->ts_ns);
	free(d->label);
	free(d->path);
	json_decref(d->summary);
	memset(d, 0, sizeof(*d));
}

/* ---------------------------------------------------------------- compare.csv */

static int load_compare(rset_t *set, const char *path, char *err, size_t errlen)
{
	cmptab_t *t, *nt;
	size_t cap = 0, i;
	csv_t c;
	int rc;

	nt = realloc(set->cmps, (set->nr_cmps + 1) * sizeof(*nt));
	if (!nt) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	set->cmps = nt;
	t = &set->cmps[set->nr_cmps++];
	memset(t, 0, sizeof(*t));
	t->path = strdup(path);
	if (!t->path || csv_open(&c, path, err, errlen)) {
		if (!t->path)
			snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	rc = csv_next(&c, err, errlen);
	if (rc <= 0) {
		if (rc == 0)
			snprintf(err, errlen, "%s:1: empty file, expected a header (byte 0)",
				 path);
		goto fail;
	}
	t->nr_cols = c.nr_fields;
	t->cols = calloc(t->nr_cols, sizeof(*t->cols));
	if (!t->cols)
		goto oom;
	for (i = 0; i < t->nr_cols; i++)
		if (!(t->cols[i] = strdup(c.fields[i])))
			goto oom;
	while ((rc = csv_next(&c, err, errlen)) == 1) {
		if (c.nr_fields == 1 && !c.fields[0][0])
			continue;
		if (c.nr_fields != t->nr_cols) {
			csv_row_error(&c, err, errlen, "%zu fields, the header has %zu",
				      c.nr_fields, t->nr_cols);
			goto fail;
		}
		if (t->nr_rows == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			char **ncells = realloc(t->cells, ncap * t->nr_cols * sizeof(*ncells));

			if (!ncells)
				goto oom;
			t->cells = ncells;
			cap = ncap;
		}
		for (i = 0; i < t->nr_cols; i++)
			t->cells[t->nr_rows * t->nr_cols + i] = NULL;
		t->nr_rows++;
		for (i = 0; i < t->nr_cols; i++)
			if (!(t->cells[(t->nr_rows - 1) * t->nr_cols + i] = strdup(c.fields[i])))
				goto oom;
	}
	if (rc < 0)
		goto fail;
	csv_close(&c);
	return 0;
oom:
	csv_row_error(&c, err, errlen, "out of memory");
fail:
	csv_close(&c);
	return -1;
}

static void cmptab_free(cmptab_t *t)
{
	size_t i;

	for (i = 0; t->cols && i < t->nr_cols; i++)
		free(t->cols[i]);
	for (i = 0; t->cells && i < t->nr_rows * t->nr_cols; i++)
		free(t->cells[i]);
	free(t->cols);
	free(t->cells);
	free(t->path);
}

/* ---------------------------------------------------------------- microbench.json */

static int load_micro(rset_t *set, const char *path, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *j = json_load_file(path, 0, &jerr), *b, *ctx;

	if (!j) {
		snprintf(err, errlen, "%s:%d: %s (byte %d)", path, jerr.line, jerr.text,
			 jerr.position);
		return -1;
	}
	b = json_object_get(j, "benchmarks");
	ctx = json_object_get(j, "context");
	if (!json_is_array(b)) {
		snprintf(err, errlen, "%s:1: no \"benchmarks\" array: not Google Benchmark JSON (byte 0)",
			 path);
		json_decref(j);
		return -1;
	}
	if (json_array_append_new(set->micro, json_pack("{s:s,s:O?,s:O}", "file", path, "context",
							 ctx, "benchmarks", b))) {
		snprintf(err, errlen, "%s: out of memory", path);
		json_decref(j);
		return -1;
	}
	json_decref(j);
	return 0;
}

/* ---------------------------------------------------------------- the walk */

typedef struct walk {
	rset_t *set;
	char **seen;		/* real paths of directories loaded */
	size_t nr_seen;
	size_t found;		/* things loaded under the current root */
} walk_t;

/* Returns 1 when real path p was seen before, else records it; -1 out of memory. */
static int walk_seen(walk_t *w, const char *p)
{
	char *rp = realpath(p, NULL);
	char **ns;
	size_t i;

	if (!rp)
		return 0;
	for (i = 0; i < w->nr_seen; i++)
		if (!strcmp(w->seen[i], rp)) {
			free(rp);
			return 1;
		}
	ns = realloc(w->seen, (w->nr_seen + 1) * sizeof(*ns));
	if (!ns) {
		free(rp);
		return -1;
	}
	w->seen = ns;
	w->seen[w->nr_seen++] = rp;
	return 0;
}

/*
 * Is dir/summary.json a suite's ("command": "suite")?  Then it goes to
 * set->suites (with "path": dir) and 1 is returned; 0 for any other
 * summary; -1 with "FILE:LINE: reason (byte N)" in err when malformed.
 */
static int load_suite_summary(rset_t *set, const char *dir, char *err, size_t errlen)
{
	char *sp = path_join(dir, "summary.json");
	json_error_t jerr;
	json_t *j;

	if (!sp) {
		snprintf(err, errlen, "%s: out of memory", dir);
		return -1;
	}
	j = json_load_file(sp, JSON_REJECT_DUPLICATES, &jerr);
	if (!j) {
		snprintf(err, errlen, "%s:%d: %s (byte %d)", sp, jerr.line, jerr.text, jerr.position);
		free(sp);
		return -1;
	}
	free(sp);
	if (!json_is_object(j) || !json_is_string(json_object_get(j, "command")) ||
	    strcmp(json_string_value(json_object_get(j, "command")), "suite")) {
		json_decref(j);
		return 0;
	}
	if (json_object_set_new(j, "path", json_string(dir)) || json_array_append_new(set->suites, j)) {
		snprintf(err, errlen, "%s: out of memory", dir);
		return -1;
	}
	return 1;
}

/* N when the last component of path is "repN" (N a decimal from 1), else 0. */
static unsigned long rep_number(const char *path)
{
	const char *name = strrchr(path, '/');
	unsigned long n;
	char *end;

	name = name ? name + 1 : path;
	if (strncmp(name, "rep", 3) || name[3] < '1' || name[3] > '9')
		return 0;
	errno = 0;
	n = strtoul(name + 3, &end, 10);
	return *end || errno ? 0 : n;
}

static int cmp_rep(const void *a, const void *b)
{
	unsigned long x = rep_number(*(char *const *)a), y = rep_number(*(char *const *)b);

	return (x > y) - (x < y);
}

/*
 * When subs (the subdirectories of dir) hold repN results directories, load
 * them as one suite cell and mark them seen so that the walk skips them.
 * Returns 0 (also when there are none), or -1 with err set.
 */
static int walk_cell(walk_t *w, const char *dir, char *const *subs, size_t nr, char *err,
		     size_t errlen)
{
	char **reps = malloc((nr ? nr : 1) * sizeof(*reps));
	size_t n = 0, i;
	rdir_t *nd;
	int ret = -1;

	if (!reps) {
		snprintf(err, errlen, "%s: out of memory", dir);
		return -1;
	}
	for (i = 0; i < nr; i++)
		if (rep_number(subs[i]) && is_file(subs[i], "summary.json") &&
		    is_file(subs[i], "results.csv"))
			reps[n++] = subs[i];
	if (!n) {
		free(reps);
		return 0;
	}
	qsort(reps, n, sizeof(*reps), cmp_rep);
	for (i = 0; i < n; i++)
		if (walk_seen(w, reps[i]) < 0) {
			snprintf(err, errlen, "%s: out of memory", dir);
			goto out;
		}
	nd = realloc(w->set->dirs, (w->set->nr_dirs + 1) * sizeof(*nd));
	if (!nd) {
		snprintf(err, errlen, "%s: out of memory", dir);
		goto out;
	}
	w->set->dirs = nd;
	if (rdir_load_reps(&nd[w->set->nr_dirs], dir, reps, n, err, errlen))
		goto out;
	w->set->nr_runs += n;
	w->set->nr_dirs++;
	w->found++;
	ret = 0;
out:
	free(reps);
	return ret;
}

static int walk_dir(walk_t *w, const char *dir, int depth, char *err, size_t errlen)
{
	char **subs = NULL;
	size_t nr = 0, i;
	struct dirent *de;
	DIR *dp;
	int ret = -1, seen, here;

	seen = walk_seen(w, dir);
	if (seen < 0) {
		snprintf(err, errlen, "%s: out of memory", dir);
		return -1;
	}
	if (seen)
		return 0;
	here = is_file(dir, "summary.json") ? load_suite_summary(w->set, dir, err, errlen) : 0;
	if (here < 0)
		return -1;
	w->found += (size_t)here;
	if (!here && is_file(dir, "summary.json") && is_file(dir, "results.csv")) {
		here = 1;
		rdir_t *nd = realloc(w->set->dirs, (w->set->nr_dirs + 1) * sizeof(*nd));

		if (!nd) {
			snprintf(err, errlen, "%s: out of memory", dir);
			return -1;
		}
		w->set->dirs = nd;
		if (rdir_load(&nd[w->set->nr_dirs], dir, err, errlen))
			return -1;
		if (rdir_is_merged(&nd[w->set->nr_dirs])) {
			/* a suite's merged table: its cells are in subdirectories */
			rdir_free(&nd[w->set->nr_dirs]);
		} else {
			w->set->nr_dirs++;
			w->set->nr_runs++;
			w->found++;
		}
	}
	dp = opendir(dir);
	if (!dp) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(dp))) {
		struct stat st;
		char *p, **ns;

		if (de->d_name[0] == '.')
			continue;
		p = path_join(dir, de->d_name);
		if (!p || lstat(p, &st)) {
			free(p);
			continue;
		}
		if (S_ISREG(st.st_mode) && !strcmp(de->d_name, "compare.csv")) {
			if (load_compare(w->set, p, err, errlen)) {
				free(p);
				goto out;
			}
			w->found++;
		} else if (S_ISREG(st.st_mode) && !strcmp(de->d_name, "microbench.json")) {
			if (load_micro(w->set, p, err, errlen)) {
				free(p);
				goto out;
			}
			w->found++;
		}
		if (!S_ISDIR(st.st_mode) || depth >= RESDIR_MAX_DEPTH) {
			free(p);
			continue;
		}
		ns = realloc(subs, (nr + 1) * sizeof(*ns));
		if (!ns) {
			free(p);
			snprintf(err, errlen, "%s: out of memory", dir);
			goto out;
		}
		subs = ns;
		subs[nr++] = p;
	}
	closedir(dp);
	dp = NULL;
	/* a stable order whatever readdir returns */
	if (nr)
		qsort(subs, nr, sizeof(*subs), cmp_str);
	if (!here && walk_cell(w, dir, subs, nr, err, errlen))
		goto out;
	for (i = 0; i < nr; i++)
		if (walk_dir(w, subs[i], depth + 1, err, errlen))
			goto out;
	ret = 0;
out:
	if (dp)
		closedir(dp);
	for (i = 0; i < nr; i++)
		free(subs[i]);
	free(subs);
	return ret;
}

int rset_load(rset_t *set, char *const *roots, size_t nr_roots, char *err, size_t errlen)
{
	walk_t w = { .set = set };
	size_t i;
	int ret = -1;

	memset(set, 0, sizeof(*set));
	set->micro = json_array();
	set->suites = json_array();
	if (!set->micro || !set->suites) {
		json_decref(set->micro);
		json_decref(set->suites);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < nr_roots; i++) {
		struct stat st;

		if (stat(roots[i], &st)) {
			snprintf(err, errlen, "%s: %s", roots[i], strerror(errno));
			goto out;
		}
		if (!S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "%s: not a directory", roots[i]);
			goto out;
		}
		w.found = 0;
		if (walk_dir(&w, roots[i], 0, err, errlen))
			goto out;
		if (!w.found && walk_seen(&w, roots[i]) == 1 && i > 0) {
			/* the same directory given twice: already loaded */
			continue;
		}
		if (!w.found) {
			snprintf(err, errlen,
				 "%s: no results directory (summary.json + results.csv), compare.csv or microbench.json under it",
				 roots[i]);
			goto out;
		}
	}
	ret = 0;
out:
	for (i = 0; i < w.nr_seen; i++)
		free(w.seen[i]);
	free(w.seen);
	if (ret)
		rset_free(set);
	return ret;
}

void rset_free(rset_t *set)
{
	size_t i;

	for (i = 0; i < set->nr_dirs; i++)
		rdir_free(&set->dirs[i]);
	for (i = 0; i < set->nr_cmps; i++)
		cmptab_free(&set->cmps[i]);
	free(set->dirs);
	free(set->cmps);
	json_decref(set->micro);
	json_decref(set->suites);
	memset(set, 0, sizeof(*set));
}
