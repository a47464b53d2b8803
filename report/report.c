/*
 * report.c - assemble the HTML report from loaded results (see report.h).
 * Tables are written here, escaped by html_text(); charts are JSON specs
 * that report/report.js draws into <div class="chart"> elements.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"
#include "html.h"
#include "report.h"

/* Points per time-series chart and rows per fallback table, at most. */
#define REPORT_MAX_POINTS 400
#define REPORT_MAX_TABLE_ROWS 24
#define REPORT_MAX_COMPARE_ROWS 2000

const char *const report_sections[] = {
	"Run context",
	"Per-trace summary",
	"Latency percentiles",
	"Fragmentation over time",
	"Free pages per order",
	"Hardware counters",
	"Model versus reality",
	"Policy comparison",
	"Microbenchmarks",
};
const size_t report_nr_sections = sizeof(report_sections) / sizeof(report_sections[0]);

typedef struct rctx {
	FILE *f;		/* the page */
	const rset_t *set;	/* the inputs */
	json_t *charts;		/* chart specs, indexed by data-chart */
	int oom;		/* a JSON allocation failed */
} rctx_t;

/* ---------------------------------------------------------------- small helpers */

static void section(rctx_t *c, size_t i, const char *id)
{
	fprintf(c->f, "<section id=\"%s\">\n<h2>", id);
	html_text(c->f, report_sections[i]);
	fputs("</h2>\n", c->f);
}

static void note(rctx_t *c, const char *text)
{
	fputs("<p class=\"note\">", c->f);
	html_text(c->f, text);
	fputs("</p>\n", c->f);
}

static void th(rctx_t *c, const char *s)
{
	fputs("<th>", c->f);
	html_text(c->f, s);
	fputs("</th>", c->f);
}

static void td(rctx_t *c, const char *s)
{
	fputs("<td>", c->f);
	html_text(c->f, s);
	fputs("</td>", c->f);
}

/* A figure: NA as "NA", missing as an em dash, else 4 significant digits. */
static void fmt_num(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "NA");
	else if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.4g", v);
}

static void td_num(rctx_t *c, double v)
{
	char buf[64];

	fmt_num(buf, sizeof(buf), v);
	fprintf(c->f, "<td class=\"num\">%s</td>", buf);
}

/*
 * The figure metric of d times scale; a measured one that is the median of
 * several repetitions says so: "312 (median of 5)".
 */
static void td_row_scaled(rctx_t *c, const rdir_t *d, const char *metric, double scale)
{
	const rrow_t *r = rdir_row(d, metric);
	char buf[64];

	if (!r) {
		fputs("<td class=\"num missing\">\u2014</td>", c->f);
		return;
	}
	fmt_num(buf, sizeof(buf), r->value * scale);
	if (r->nr_reps > 1)
		fprintf(c->f, "<td class=\"num\">%s <span class=\"reps\">(median of %u)</span></td>",
			buf, r->nr_reps);
	else
		fprintf(c->f, "<td class=\"num\">%s</td>", buf);
}

static void td_row(rctx_t *c, const rdir_t *d, const char *metric)
{
	td_row_scaled(c, d, metric, 1.0);
}

static double row_value(const rdir_t *d, const char *metric)
{
	const rrow_t *r = rdir_row(d, metric);

	return r ? r->value : NAN;
}

static bool is_engine(const rdir_t *d)
{
	return !strcmp(d->system, "mmbench");
}

static const char *json_str(const json_t *o, const char *a, const char *b)
{
	const json_t *v = json_object_get(o, a);

	if (b)
		v = json_object_get(v, b);
	return json_is_string(v) ? json_string_value(v) : "";
}

static void td_json(rctx_t *c, const json_t *v)
{
	char buf[64];

	if (json_is_string(v)) {
		td(c, json_string_value(v));
	} else if (json_is_number(v)) {
		fmt_num(buf, sizeof(buf), json_number_value(v));
		td(c, buf);
	} else if (json_is_boolean(v)) {
		td(c, json_is_true(v) ? "true" : "false");
	} else {
		char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

		td(c, s ? s : "\u2014");
		free(s);
	}
}

/* Every stride-th value of v times scale as a JSON array, NAN as null. */
static json_t *jarr_doubles(const double *v, size_t n, size_t stride, double scale)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < n; i += stride)
		json_array_append_new(a, isfinite(v[i]) ? json_real(v[i] * scale) : json_null());
	return a;
}

/* Add spec to the chart list and write its <div>.  Takes the reference to spec. */
static void chart_div(rctx_t *c, json_t *spec, const char *title)
{
	size_t idx = json_array_size(c->charts);

	if (!spec || json_array_append_new(c->charts, spec)) {
		c->oom = 1;
		return;
	}
	fprintf(c->f, "<figure class=\"chart-box\"><figcaption>");
	html_text(c->f, title);
	fprintf(c->f, "</figcaption><div class=\"chart\" data-chart=\"%zu\"></div>\n", idx);
}

static void chart_table_begin(rctx_t *c)
{
	fputs("<details><summary>table</summary>\n<table class=\"data\">\n", c->f);
}

static void chart_table_end(rctx_t *c)
{
	fputs("</table>\n</details></figure>\n", c->f);
}

/* Distinct trace names in order of first appearance. */
static size_t traces_list(const rset_t *set, const char **out)
{
	size_t n = 0, i, j;

	for (i = 0; i < set->nr_dirs; i++) {
		for (j = 0; j < n; j++)
			if (!strcmp(out[j], set->dirs[i].trace))
				break;
		if (j == n)
			out[n++] = set->dirs[i].trace;
	}
	return n;
}

/* ---------------------------------------------------------------- run context */

/* Flatten a policy object into "section.key" = json value pairs in out. */
static void policy_flatten(const json_t *o, const char *prefix, json_t *out)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)o, k, v) {
		char key[256];

		if (!prefix[0] && (!strcmp(k, "name") || !strcmp(k, "path") ||
				   !strcmp(k, "description")))
			continue;
		snprintf(key, sizeof(key), "%s%s%s", prefix, prefix[0] ? "." : "", k);
		if (json_is_object(v))
			policy_flatten(v, key, out);
		else
			json_object_set(out, key, v);
	}
}

/*
 * One row of a policy's differences from linux-default: setting, its
 * linux-default value, the policy's (NULL: "(absent)"); the table's head
 * before the first row (nr_before == 0).
 */
static void policy_diff_row(rctx_t *c, const char *policy, size_t nr_before, const char *key,
			    const json_t *base_v, const json_t *v)
{
	if (!nr_before) {
		fputs("<table class=\"data\"><tr>", c->f);
		th(c, "setting");
		th(c, "linux-default");
		th(c, policy);
		fputs("</tr>\n", c->f);
	}
	fputs("<tr>", c->f);
	td(c, key);
	td_json(c, base_v);
	if (v)
		td_json(c, v);
	else
		td(c, "(absent)");
	fputs("</tr>\n", c->f);
}

static void context_policies(rctx_t *c)
{
	const rset_t *set = c->set;
	const json_t *base = NULL;
	const char *done[256];
	size_t nr_done = 0, i, j;
	json_t *bflat;

	for (i = 0; i < set->nr_dirs; i++) {
		const json_t *p = json_object_get(set->dirs[i].summary, "policy");

		if (is_engine(&set->dirs[i]) && !strcmp(json_str(p, "name", NULL), "linux-default")) {
			base = p;
			break;
		}
	}
	fputs("<h3>Policies</h3>\n", c->f);
	bflat = json_object();
	if (base)
		policy_flatten(base, "", bflat);
	else
		note(c, "No linux-default run among these results: the policies are listed without a comparison.");
	for (i = 0; i < set->nr_dirs && nr_done < 256; i++) {
		const json_t *p = json_object_get(set->dirs[i].summary, "policy");
		const char *name = json_str(p, "name", NULL);
		json_t *flat, *v;
		const char *k;
		size_t nr_diff = 0;

		if (!is_engine(&set->dirs[i]) || !json_is_object(p))
			continue;
		for (j = 0; j < nr_done; j++)
			if (!strcmp(done[j], name))
				break;
		if (j < nr_done)
			continue;
		done[nr_done++] = name;
		fputs("<div class=\"policy\"><h4>", c->f);
		html_text(c->f, name);
		fputs("</h4><p>", c->f);
		html_text(c->f, json_str(p, "description", NULL));
		fputs("</p>\n", c->f);
		if (!base || p == base || !strcmp(name, "linux-default")) {
			if (base)
				note(c, "The reference policy.");
			fputs("</div>\n", c->f);
			continue;
		}
		flat = json_object();
		policy_flatten(p, "", flat);
		json_object_foreach(flat, k, v) {
			json_t *bv = json_object_get(bflat, k);

			if (bv && json_equal(bv, v))
				continue;
			policy_diff_row(c, name, nr_diff++, k, bv, v);
		}
		json_object_foreach(bflat, k, v)
			if (!json_object_get(flat, k))
				policy_diff_row(c, name, nr_diff++, k, v, NULL);
		if (nr_diff)
			fputs("</table>\n", c->f);
		else
			note(c, "Every resolved value equals linux-default.");
		json_decref(flat);
		fputs("</div>\n", c->f);
	}
	json_decref(bflat);
}

/* "48 cells, 5 repetitions (240 runs)": what the report groups, in buf. */
static void context_counts(const rset_t *set, char *buf, size_t len)
{
	unsigned lo = 0, hi = 0;
	size_t i;

	for (i = 0; i < set->nr_dirs; i++) {
		unsigned n = set->dirs[i].nr_reps;

		lo = !i || n < lo ? n : lo;
		hi = n > hi ? n : hi;
	}
	if (lo == hi)
		snprintf(buf, len, "%zu cell%s, %u repetition%s (%zu run%s)", set->nr_dirs,
			 set->nr_dirs == 1 ? "" : "s", hi, hi == 1 ? "" : "s", set->nr_runs,
			 set->nr_runs == 1 ? "" : "s");
	else
		snprintf(buf, len, "%zu cells, %u to %u repetitions (%zu runs)", set->nr_dirs, lo,
			 hi, set->nr_runs);
}

/* One paragraph per suite summary.json found, and its failed cells. */
static void context_suites(rctx_t *c)
{
	const json_t *su, *cell;
	size_t i, j;

	json_array_foreach(c->set->suites, i, su) {
		const json_t *cells = json_object_get(su, "cells");
		char buf[1024];

		snprintf(buf, sizeof(buf),
			 "Suite %s (%s): %lld cells, %lld failed, %lld repetitions each, %.1f s wall time, started %s, in %s.",
			 json_str(su, "suite", "name"), json_str(su, "suite", "description"),
			 (long long)json_integer_value(json_object_get(su, "nr_cells")),
			 (long long)json_integer_value(json_object_get(su, "nr_failed")),
			 (long long)json_integer_value(json_object_get(json_object_get(su, "suite"),
								       "repetitions")),
			 json_number_value(json_object_get(su, "wall_s")),
			 json_str(su, "started_at", NULL), json_str(su, "path", NULL));
		note(c, buf);
		json_array_foreach(cells, j, cell) {
			if (!strcmp(json_str(cell, "status", NULL), "ok"))
				continue;
			snprintf(buf, sizeof(buf), "Failed cell: %s %s %s%s: %s",
				 json_str(cell, "kind", NULL), json_str(cell, "trace", NULL),
				 json_str(cell, "policy", NULL), json_str(cell, "allocator", NULL),
				 json_str(cell, "error", NULL));
			note(c, buf);
		}
	}
}

static void sec_context(rctx_t *c)
{
	const rset_t *set = c->set;
	char counts[200];
	size_t i;

	section(c, 0, "context");
	context_counts(set, counts, sizeof(counts));
	fputs("<p class=\"counts\">", c->f);
	html_text(c->f, counts);
	if (set->nr_runs > set->nr_dirs)
		fputs(": measured figures are medians over a cell's repetitions; deterministic figures, latency plots and time series come from its first repetition.",
		      c->f);
	fputs("</p>\n", c->f);
	context_suites(c);
	fputs("<table class=\"data\"><tr>", c->f);
	th(c, "trace");
	th(c, "system");
	th(c, "repetitions");
	th(c, "command");
	th(c, "machine");
	th(c, "kernel");
	th(c, "mmbench revision");
	th(c, "started");
	th(c, "trace source");
	th(c, "directory");
	fputs("</tr>\n", c->f);
	for (i = 0; i < set->nr_dirs; i++) {
		const rdir_t *d = &set->dirs[i];
		const json_t *s = d->summary, *m = json_object_get(s, "machine");
		char buf[512];

		fputs("<tr>", c->f);
		td(c, d->trace);
		td(c, d->label);
		td_num(c, d->nr_reps);
		td(c, json_str(s, "command", NULL));
		snprintf(buf, sizeof(buf), "%s, %s, %lld CPUs, %.1f GiB", json_str(m, "arch", NULL),
			 json_str(m, "cpu_model", NULL),
			 (long long)json_integer_value(json_object_get(m, "nr_cpus_online")),
			 json_number_value(json_object_get(m, "mem_total_bytes")) / 1073741824.0);
		td(c, buf);
		snprintf(buf, sizeof(buf), "%s %s", json_str(s, "kernel", "sysname"),
			 json_str(s, "kernel", "release"));
		td(c, buf);
		snprintf(buf, sizeof(buf), "%s %s", json_str(s, "mmbench", "version"),
			 json_str(s, "mmbench", "git_revision"));
		td(c, buf);
		td(c, json_str(s, "started_at", NULL));
		{
			const json_t *meta = json_object_get(json_object_get(s, "trace"), "meta");
			const char *cmd = json_str(meta, "cmdline", NULL);

			snprintf(buf, sizeof(buf), "%s%s%s", json_str(meta, "source", NULL),
				 cmd[0] ? ": " : "", cmd);
			td(c, buf);
		}
		td(c, d->path);
		fputs("</tr>\n", c->f);
	}
	fputs("</table>\n", c->f);
	context_policies(c);
	fputs("</section>\n", c->f);
}

/* ---------------------------------------------------------------- summary */

/* The node zone with the most free pages at the end of d (from results.csv), into zone. */
static int main_zone(const rdir_t *d, char *zone, size_t len)
{
	double best = -1;
	size_t i;

	zone[0] = '\0';
	for (i = 0; i < d->nr_rows; i++) {
		const rrow_t *r = &d->rows[i];

		if (!strncmp(r->metric, "nr_free_pages.", 14) && r->value > best) {
			best = r->value;
			snprintf(zone, len, "%s", r->metric + 14);
		}
	}
	return zone[0] ? 0 : -1;
}

/* The kinds of histogram in the dirs of trace, in first-seen order. */
static size_t kinds_list(const rset_t *set, const char *trace, const char **out, size_t max)
{
	size_t n = 0, i, j, k;

	for (i = 0; i < set->nr_dirs; i++) {
		const rdir_t *d = &set->dirs[i];

		if (strcmp(d->trace, trace))
			continue;
		for (j = 0; j < d->nr_hgrms; j++) {
			for (k = 0; k < n; k++)
				if (!strcmp(out[k], d->hgrms[j].kind))
					break;
			if (k == n && n < max)
				out[n++] = d->hgrms[j].kind;
		}
	}
	return n;
}

static void sec_summary(rctx_t *c)
{
	const rset_t *set = c->set;
	const char **traces = calloc(set->nr_dirs + 1, sizeof(*traces));
	size_t nt, t, i, k;

	section(c, 1, "summary");
	if (!traces) {
		c->oom = 1;
		return;
	}
	nt = traces_list(set, traces);
	for (t = 0; t < nt; t++) {
		const char *kinds[256];
		size_t nk;
		char metric[300];

		fputs("<h3>", c->f);
		html_text(c->f, traces[t]);
		fputs("</h3>\n<table class=\"data\"><tr>", c->f);
		th(c, "system");
		th(c, "policy");
		th(c, "events");
		th(c, "M events/s");
		th(c, "ns/event");
		th(c, "unusable index (pageblock order)");
		th(c, "extfrag index (pageblock order)");
		th(c, "slab internal frag");
		th(c, "allocator resident/allocated");
		th(c, "peak RSS (MiB)");
		fputs("</tr>\n", c->f);
		for (i = 0; i < set->nr_dirs; i++) {
			const rdir_t *d = &set->dirs[i];
			char zone[128];

			if (strcmp(d->trace, traces[t]))
				continue;
			fputs("<tr>", c->f);
			td(c, d->system);
			td(c, d->policy);
			td_num(c, rdir_row(d, "events") ? row_value(d, "events")
							: row_value(d, "events_total"));
			td_row_scaled(c, d, "events_per_s", 1e-6);
			td_row(c, d, "replay_ns_per_event");
			if (is_engine(d) && !main_zone(d, zone, sizeof(zone))) {
				snprintf(metric, sizeof(metric), "unusable_index.%s.o9", zone);
				td_row(c, d, metric);
				snprintf(metric, sizeof(metric), "extfrag_index.%s.o9", zone);
				td_row(c, d, metric);
			} else {
				td(c, "\u2014");
				td(c, "\u2014");
			}
			td_row(c, d, "slab_internal_frag");
			td_row(c, d, "fragmentation.resident_over_allocated");
			if (!isnan(row_value(d, "rss_peak_bytes")))
				td_row_scaled(c, d, "rss_peak_bytes", 1.0 / 1048576.0);
			else if (!isnan(row_value(d, "model_vs_real.max_rss_bytes.predicted")))
				td_row_scaled(c, d, "model_vs_real.max_rss_bytes.predicted",
					      1.0 / 1048576.0);
			else
				td(c, "\u2014");
			fputs("</tr>\n", c->f);
		}
		fputs("</table>\n", c->f);
		nk = kinds_list(set, traces[t], kinds, 256);
		if (!nk)
			continue;
		fputs("<table class=\"data\"><tr>", c->f);
		th(c, "event kind");
		th(c, "system");
		th(c, "measured p50 ns");
		th(c, "measured p99 ns");
		th(c, "modeled p50 ns");
		th(c, "modeled p99 ns");
		fputs("</tr>\n", c->f);
		for (k = 0; k < nk; k++) {
			for (i = 0; i < set->nr_dirs; i++) {
				const rdir_t *d = &set->dirs[i];

				if (strcmp(d->trace, traces[t]))
					continue;
				snprintf(metric, sizeof(metric), "latency_ns_p50.%s", kinds[k]);
				if (!rdir_row(d, metric)) {
					snprintf(metric, sizeof(metric), "modeled_ns_p50.%s", kinds[k]);
					if (!rdir_row(d, metric))
						continue;
				}
				fputs("<tr>", c->f);
				td(c, kinds[k]);
				td(c, d->label);
				snprintf(metric, sizeof(metric), "latency_ns_p50.%s", kinds[k]);
				td_row(c, d, metric);
				snprintf(metric, sizeof(metric), "latency_ns_p99.%s", kinds[k]);
				td_row(c, d, metric);
				snprintf(metric, sizeof(metric), "modeled_ns_p50.%s", kinds[k]);
				td_row(c, d, metric);
				snprintf(metric, sizeof(metric), "modeled_ns_p99.%s", kinds[k]);
				td_row(c, d, metric);
				fputs("</tr>\n", c->f);
			}
		}
		fputs("</table>\n", c->f);
	}
	free(traces);
	fputs("</section>\n", c->f);
}

/* ---------------------------------------------------------------- latency */

/* The value at percentile p (0..1) of h: the first row at or above it. */
static double hgrm_at(const hgrm_t *h, double p)
{
	size_t i;

	for (i = 0; i < h->nr; i++)
		if (h->pct[i] >= p)
			return h->value_ns[i];
	return h->nr ? h->value_ns[h->nr - 1] : NAN;
}

static json_t *latency_series(const rdir_t *d, const hgrm_t *h)
{
	json_t *x = json_array(), *y = json_array(), *s;
	double last = 0, xi;
	char label[512];
	size_t i;

	for (i = 0; x && y && i < h->nr; i++) {
		/*
		 * 1/(1-p) is infinite at p = 1: the maximum goes where the 1-in-N
		 * event of N recorded would be (so a histogram of one value is a
		 * line, not a dot), or is left out; report.js drops y <= 0 on log axes.
		 */
		xi = h->pct[i] < 1.0 ? 1.0 / (1.0 - h->pct[i]) : h->total;
		if (xi < last)
			continue;
		last = xi;
		json_array_append_new(x, json_real(xi));
		json_array_append_new(y, json_real(h->value_ns[i]));
	}
	snprintf(label, sizeof(label), "%s %s", d->label, h->modeled ? "modeled" : "measured");
	s = json_pack("{s:s,s:o,s:o,s:b}", "label", label, "x", x, "y", y, "dash", h->modeled);
	return s;
}

static void sec_latency(rctx_t *c)
{
	static const double pcts[] = { 0.5, 0.9, 0.99, 0.999, 1.0 };
	static const char *const pct_names[] = { "p50", "p90", "p99", "p99.9", "max" };
	const rset_t *set = c->set;
	const char **traces = calloc(set->nr_dirs + 1, sizeof(*traces));
	size_t nt, t, i, j, k, p, nr_charts = 0;

	section(c, 2, "latency");
	if (!traces) {
		c->oom = 1;
		return;
	}
	note(c, "Percentile plots as HdrHistogram draws them: x is 1/(1-percentile) on a log scale, y ns on a log scale; measured (host ns per replayed event) solid, modeled (deterministic cost at the policy's cpu_mhz) dashed.");
	nt = traces_list(set, traces);
	for (t = 0; t < nt; t++) {
		const char *kinds[256];
		size_t nk = kinds_list(set, traces[t], kinds, 256);

		for (k = 0; k < nk; k++) {
			json_t *series = json_array();
			char title[600], caption[800];
			unsigned reps = 1;

			snprintf(title, sizeof(title), "%s: %s latency", traces[t], kinds[k]);
			for (i = 0; i < set->nr_dirs; i++) {
				const rdir_t *d = &set->dirs[i];

				if (strcmp(d->trace, traces[t]))
					continue;
				for (j = 0; j < d->nr_hgrms; j++)
					if (!strcmp(d->hgrms[j].kind, kinds[k])) {
						json_array_append_new(series,
								      latency_series(d, &d->hgrms[j]));
						if (!d->hgrms[j].modeled && d->nr_reps > reps)
							reps = d->nr_reps;
					}
			}
			if (reps > 1)
				snprintf(caption, sizeof(caption),
					 "%s (measured curves: the first of each cell's %u repetitions)",
					 title, reps);
			else
				snprintf(caption, sizeof(caption), "%s", title);
			chart_div(c, json_pack("{s:s,s:s,s:o}", "type", "latency", "title", title,
					       "series", series), caption);
			nr_charts++;
			chart_table_begin(c);
			fputs("<tr>", c->f);
			th(c, "series");
			for (p = 0; p < 5; p++)
				th(c, pct_names[p]);
			fputs("</tr>\n", c->f);
			for (i = 0; i < set->nr_dirs; i++) {
				const rdir_t *d = &set->dirs[i];

				if (strcmp(d->trace, traces[t]))
					continue;
				for (j = 0; j < d->nr_hgrms; j++) {
					const hgrm_t *h = &d->hgrms[j];
					char label[512];

					if (strcmp(h->kind, kinds[k]))
						continue;
					if (!h->modeled && d->nr_reps > 1)
						snprintf(label, sizeof(label),
							 "%s measured (repetition 1 of %u)",
							 d->label, d->nr_reps);
					else
						snprintf(label, sizeof(label), "%s %s", d->label,
							 h->modeled ? "modeled" : "measured");
					fputs("<tr>", c->f);
					td(c, label);
					for (p = 0; p < 5; p++)
						td_num(c, hgrm_at(h, pcts[p]));
					fputs("</tr>\n", c->f);
				}
			}
			chart_table_end(c);
		}
	}
	if (!nr_charts)
		note(c, "No latency histograms (latency/*.hgrm, modeled/*.hgrm) in these results.");
	free(traces);
	fputs("</section>\n", c->f);
}

/* ---------------------------------------------------------------- time series */

static size_t ts_stride(const rdir_t *d, size_t max)
{
	return d->nr_samples > max ? (d->nr_samples + max - 1) / max : 1;
}

/* A lines chart of metric (per order) in scope of d, with its fallback table. */
static int order_chart(rctx_t *c, const rdir_t *d, const char *scope, const char *metric,
		       const char *what, double scale)
{
	const tseries_t *s[64];
	json_t *series, *ms = json_array();
	size_t stride = ts_stride(d, REPORT_MAX_POINTS), tstride, n = 0, i, o;
	char title[600];
	double *ms_v;

	for (o = 0; o < 64; o++) {
		s[o] = rdir_series(d, scope, metric, (int)o, "");
		if (s[o])
			n = o + 1;
	}
	if (!n) {
		json_decref(ms);
		return 0;
	}
	ms_v = malloc(d->nr_samples * sizeof(*ms_v));
	if (!ms_v || !ms) {
		free(ms_v);
		json_decref(ms);
		c->oom = 1;
		return 0;
	}
	for (i = 0; i < d->nr_samples; i++)
		ms_v[i] = d->ts_ns[i] / 1e6;
	series = json_array();
	for (o = 0; o < n; o++) {
		char label[32];

		if (!s[o])
			continue;
		snprintf(label, sizeof(label), "order %zu", o);
		json_array_append_new(series, json_pack("{s:s,s:o}", "label", label, "y",
							jarr_doubles(s[o]->v, d->nr_samples, stride, scale)));
	}
	snprintf(title, sizeof(title), "%s, %s: %s (%s)", d->trace, d->label, what, scope);
	chart_div(c, json_pack("{s:s,s:s,s:s,s:s,s:o,s:o}", "type", "lines", "title", title,
			       "xlabel", "trace time (ms)", "ylabel", metric, "x",
			       jarr_doubles(ms_v, d->nr_samples, stride, 1.0), "series", series),
		  title);
	json_decref(ms);
	chart_table_begin(c);
	fputs("<tr>", c->f);
	th(c, "ms");
	for (o = 0; o < n; o++) {
		char label[32];

		snprintf(label, sizeof(label), "o%zu", o);
		if (s[o])
			th(c, label);
	}
	fputs("</tr>\n", c->f);
	tstride = ts_stride(d, REPORT_MAX_TABLE_ROWS);
	for (i = 0; i < d->nr_samples; i += tstride) {
		fputs("<tr>", c->f);
		td_num(c, ms_v[i]);
		for (o = 0; o < n; o++)
			if (s[o])
				td_num(c, s[o]->v[i] * scale);
		fputs("</tr>\n", c->f);
	}
	chart_table_end(c);
	free(ms_v);
	return 1;
}

static void sec_frag(rctx_t *c)
{
	const rset_t *set = c->set;
	size_t i, j, nr = 0;

	section(c, 3, "fragmentation");
	note(c, "The kernel's indices (mm/vmstat.c), as debugfs prints them (timeseries.csv keeps the kernel's thousandths): extfrag_index near 0 means an allocation of that order would fail for lack of memory, near 1 for fragmentation, -1 that it would succeed; unusable_index is the fraction of free memory unusable at that order.");
	for (i = 0; i < set->nr_dirs; i++) {
		const rdir_t *d = &set->dirs[i];
		char zone[128];

		if (!d->nr_samples || main_zone(d, zone, sizeof(zone)))
			continue;
		nr += order_chart(c, d, zone, "extfrag_index", "extfrag index per order",
				   1e-3);
		nr += order_chart(c, d, zone, "unusable_index", "unusable index per order",
				   1e-3);
		/* per-process memory, when the replay samples it */
		for (j = 0; j < d->nr_series; j++) {
			const tseries_t *s = &d->series[j];

			if (!strncmp(s->scope, "pid", 3) && !strcmp(s->metric, "rss_pages"))
				break;
		}
		if (j < d->nr_series) {
			json_t *series = json_array();
			size_t stride = ts_stride(d, REPORT_MAX_POINTS), k;
			double *ms_v = malloc(d->nr_samples * sizeof(*ms_v));
			char title[600];

			if (!ms_v) {
				c->oom = 1;
				json_decref(series);
				continue;
			}
			for (k = 0; k < d->nr_samples; k++)
				ms_v[k] = d->ts_ns[k] / 1e6;
			for (k = 0; k < d->nr_series && json_array_size(series) < 32; k++) {
				const tseries_t *s = &d->series[k];
				char label[300];

				if (strncmp(s->scope, "pid", 3) || (strcmp(s->metric, "rss_pages") &&
								    strcmp(s->metric, "pgtable_pages")))
					continue;
				snprintf(label, sizeof(label), "%s %s", s->scope, s->metric);
				json_array_append_new(series, json_pack("{s:s,s:o}", "label", label,
					"y", jarr_doubles(s->v, d->nr_samples, stride, 1.0)));
			}
			snprintf(title, sizeof(title), "%s, %s: per-process RSS and page-table pages",
				 d->trace, d->label);
			chart_div(c, json_pack("{s:s,s:s,s:s,s:s,s:o,s:o}", "type", "lines", "title",
					       title, "xlabel", "trace time (ms)", "ylabel", "pages",
					       "x", jarr_doubles(ms_v, d->nr_samples, stride, 1.0),
					       "series", series), title);
			chart_table_begin(c);
			fputs("<tr>", c->f);
			th(c, "series");
			th(c, "last value (pages)");
			fputs("</tr>\n", c->f);
			for (k = 0; k < d->nr_series; k++) {
				const tseries_t *s = &d->series[k];
				char label[300];

				if (strncmp(s->scope, "pid", 3) || (strcmp(s->metric, "rss_pages") &&
								    strcmp(s->metric, "pgtable_pages")))
					continue;
				snprintf(label, sizeof(label), "%s %s", s->scope, s->metric);
				fputs("<tr>", c->f);
				td(c, label);
				td_num(c, s->v[d->nr_samples - 1]);
				fputs("</tr>\n", c->f);
			}
			chart_table_end(c);
			free(ms_v);
		}
	}
	if (!nr)
		note(c, "No fragmentation time series (timeseries.csv from mmbench replay) in these results.");
	fputs("</section>\n", c->f);
}

static void sec_heatmap(rctx_t *c)
{
	const rset_t *set = c->set;
	size_t i, nr = 0;

	section(c, 4, "freepages");
	note(c, "Free pages held in blocks of each order, summed over every zone (free_blocks x 2^order), over trace time; darker is fewer.");
	for (i = 0; i < set->nr_dirs; i++) {
		const rdir_t *d = &set->dirs[i];
		size_t stride = ts_stride(d, REPORT_MAX_POINTS), tstride, o, j, k, n = 0;
		double *pages[64] = { 0 };
		json_t *z, *x;
		char title[600];

		if (!d->nr_samples)
			continue;
		for (j = 0; j < d->nr_series; j++) {
			const tseries_t *s = &d->series[j];

			if (strncmp(s->scope, "node", 4) || strcmp(s->metric, "free_blocks") ||
			    s->mt[0] || s->order < 0 || s->order >= 64)
				continue;
			o = (size_t)s->order;
			if (!pages[o]) {
				pages[o] = calloc(d->nr_samples, sizeof(double));
				if (!pages[o]) {
					c->oom = 1;
					break;
				}
			}
			for (k = 0; k < d->nr_samples; k++)
				if (isfinite(s->v[k]))
					pages[o][k] += s->v[k] * (double)(1ull << o);
			if (o + 1 > n)
				n = o + 1;
		}
		if (!n)
			continue;
		z = json_array();
		x = json_array();
		for (k = 0; k < d->nr_samples; k += stride)
			json_array_append_new(x, json_real(d->ts_ns[k] / 1e6));
		for (o = 0; o < n; o++) {
			if (pages[o])
				json_array_append_new(z, jarr_doubles(pages[o], d->nr_samples, stride, 1.0));
			else
				json_array_append_new(z, json_null());
		}
		snprintf(title, sizeof(title), "%s, %s: free pages per order", d->trace, d->label);
		chart_div(c, json_pack("{s:s,s:s,s:s,s:s,s:o,s:o}", "type", "heatmap", "title", title,
				       "xlabel", "trace time (ms)", "ylabel", "order", "x", x, "z",
				       z), title);
		nr++;
		chart_table_begin(c);
		fputs("<tr>", c->f);
		th(c, "ms");
		for (o = 0; o < n; o++) {
			char label[32];

			snprintf(label, sizeof(label), "o%zu", o);
			th(c, label);
		}
		fputs("</tr>\n", c->f);
		tstride = ts_stride(d, REPORT_MAX_TABLE_ROWS);
		for (k = 0; k < d->nr_samples; k += tstride) {
			fputs("<tr>", c->f);
			td_num(c, d->ts_ns[k] / 1e6);
			for (o = 0; o < n; o++)
				td_num(c, pages[o] ? pages[o][k] : NAN);
			fputs("</tr>\n", c->f);
		}
		chart_table_end(c);
		for (o = 0; o < 64; o++)
			free(pages[o]);
	}
	if (!nr)
		note(c, "No free-list samples (timeseries.csv free_blocks) in these results.");
	fputs("</section>\n", c->f);
}

/* ---------------------------------------------------------------- tables */

static bool is_hw(const char *metric)
{
	return !strncmp(metric, "hw_", 3) || !strncmp(metric, "hw.", 3);
}

static void sec_hw(rctx_t *c)
{
	const rset_t *set = c->set;
	const char *cols[64];
	size_t nc = 0, i, j, k;

	section(c, 5, "hw");
	for (i = 0; i < set->nr_dirs; i++)
		for (j = 0; j < set->dirs[i].nr_rows; j++) {
			const char *m = set->dirs[i].rows[j].metric;

			if (!is_hw(m))
				continue;
			for (k = 0; k < nc; k++)
				if (!strcmp(cols[k], m))
					break;
			if (k == nc && nc < 64)
				cols[nc++] = m;
		}
	if (!nc) {
		note(c, "No hardware counter rows (hw_*) in these results.");
		fputs("</section>\n", c->f);
		return;
	}
	note(c, "Counters the machine or VM does not expose are shown as \"not supported\" (NA in results.csv), never as zero.");
	fputs("<table class=\"data\"><tr>", c->f);
	th(c, "trace");
	th(c, "system");
	for (k = 0; k < nc; k++)
		th(c, cols[k] + 3);
	fputs("</tr>\n", c->f);
	for (i = 0; i < set->nr_dirs; i++) {
		const rdir_t *d = &set->dirs[i];

		fputs("<tr>", c->f);
		td(c, d->trace);
		td(c, d->label);
		for (k = 0; k < nc; k++) {
			const rrow_t *r = rdir_row(d, cols[k]);

			if (r && isnan(r->value))
				fputs("<td class=\"na\">not supported</td>", c->f);
			else
				td_row(c, d, cols[k]);
		}
		fputs("</tr>\n", c->f);
	}
	fputs("</table>\n</section>\n", c->f);
}

static void sec_model(rctx_t *c)
{
	static const char *const what[] = { "minor_faults", "max_rss_bytes" };
	const rset_t *set = c->set;
	size_t i, w, nr = 0;

	section(c, 6, "model");
	for (i = 0; i < set->nr_dirs; i++) {
		const rdir_t *d = &set->dirs[i];

		for (w = 0; w < 2; w++) {
			char mp[128], mr[128];
			double p, r;

			snprintf(mp, sizeof(mp), "model_vs_real.%s.predicted", what[w]);
			snprintf(mr, sizeof(mr), "model_vs_real.%s.real", what[w]);
			if (!rdir_row(d, mp) && !rdir_row(d, mr))
				continue;
			if (!nr++) {
				fputs("<table class=\"data\"><tr>", c->f);
				th(c, "trace");
				th(c, "system");
				th(c, "figure");
				th(c, "predicted");
				th(c, "real (recorded)");
				th(c, "predicted / real");
				fputs("</tr>\n", c->f);
			}
			p = row_value(d, mp);
			r = row_value(d, mr);
			fputs("<tr>", c->f);
			td(c, d->trace);
			td(c, d->label);
			td(c, what[w]);
			td_row(c, d, mp);
			td_row(c, d, mr);
			td_num(c, r > 0 ? p / r : NAN);
			fputs("</tr>\n", c->f);
		}
	}
	if (nr)
		fputs("</table>\n", c->f);
	else
		note(c, "No recorded outcome in these traces: model-versus-reality rows (model_vs_real.*) appear when a recorded trace carries the real minor faults and max RSS.");
	fputs("</section>\n", c->f);
}

static long col_index(const cmptab_t *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->nr_cols; i++)
		if (!strcmp(t->cols[i], name))
			return (long)i;
	return -1;
}

static void sec_compare(rctx_t *c)
{
	static const char *const want[] = { "trace", "system", "metric", "unit", "base_policy",
		"other_policy", "base_value", "other_value", "delta", "delta_pct", "n_base",
		"n_other", "p_value" };
	const rset_t *set = c->set;
	size_t i, r, w;

	section(c, 7, "compare");
	if (!set->nr_cmps)
		note(c, "No compare.csv among these results (mmbench compare -o DIR BASE OTHER... writes one).");
	for (i = 0; i < set->nr_cmps; i++) {
		const cmptab_t *t = &set->cmps[i];
		long sig = col_index(t, "significant"), delta = col_index(t, "delta");
		long det = col_index(t, "deterministic");
		long idx[sizeof(want) / sizeof(want[0])];
		size_t shown = 0, nr_sig = 0;

		fputs("<h3>", c->f);
		html_text(c->f, t->path);
		fputs("</h3>\n", c->f);
		for (w = 0; w < sizeof(want) / sizeof(want[0]); w++)
			idx[w] = col_index(t, want[w]);
		fputs("<table class=\"data compare\"><tr>", c->f);
		for (w = 0; w < sizeof(want) / sizeof(want[0]); w++)
			if (idx[w] >= 0)
				th(c, want[w]);
		th(c, "significance");
		fputs("</tr>\n", c->f);
		for (r = 0; r < t->nr_rows && shown < REPORT_MAX_COMPARE_ROWS; r++) {
			char *const *row = t->cells + r * t->nr_cols;
			const char *s = sig >= 0 ? row[sig] : "";
			bool is_sig = !strcmp(s, "true") || !strcmp(s, "1") || !strcmp(s, "yes");
			bool is_det = det >= 0 && !strcmp(row[det], "true");
			double dv;

			/* unchanged figures say nothing: keep the table to the differences */
			if (!is_sig && delta >= 0 && !csv_parse_double(row[delta], &dv) && dv == 0)
				continue;
			shown++;
			nr_sig += is_sig;
			fputs(is_sig ? "<tr class=\"sig\">" : "<tr>", c->f);
			for (w = 0; w < sizeof(want) / sizeof(want[0]); w++)
				if (idx[w] >= 0)
					td(c, row[idx[w]]);
			if (is_sig)
				fputs("<td class=\"sigmark\">\u2605 significant</td>", c->f);
			else if (is_det)
				fputs("<td>deterministic: exact difference</td>", c->f);
			else if (!strcmp(s, "false") || !strcmp(s, "0") || !strcmp(s, "no"))
				fputs("<td>not significant</td>", c->f);
			else
				fputs("<td>not tested</td>", c->f);
			fputs("</tr>\n", c->f);
		}
		fputs("</table>\n", c->f);
		{
			char buf[200];

			snprintf(buf, sizeof(buf),
				 "%zu differing rows of %zu shown, %zu marked significant (\u2605).",
				 shown, t->nr_rows, nr_sig);
			note(c, buf);
		}
	}
	fputs("</section>\n", c->f);
}

static void sec_micro(rctx_t *c)
{
	const rset_t *set = c->set;
	size_t i, j;

	section(c, 8, "micro");
	if (!json_array_size(set->micro))
		note(c, "No microbench.json among these results (make microbench writes $(O)/microbench.json; copy it into a results directory).");
	for (i = 0; i < json_array_size(set->micro); i++) {
		const json_t *m = json_array_get(set->micro, i);
		const json_t *b = json_object_get(m, "benchmarks");
		const json_t *ctx = json_object_get(m, "context");
		char buf[600];

		fputs("<h3>", c->f);
		html_text(c->f, json_str(m, "file", NULL));
		fputs("</h3>\n", c->f);
		snprintf(buf, sizeof(buf), "%s, %lld CPUs at %lld MHz, library build %s",
			 json_str(ctx, "date", NULL),
			 (long long)json_integer_value(json_object_get(ctx, "num_cpus")),
			 (long long)json_number_value(json_object_get(ctx, "mhz_per_cpu")),
			 json_str(ctx, "library_build_type", NULL));
		note(c, buf);
		fputs("<table class=\"data\"><tr>", c->f);
		th(c, "benchmark");
		th(c, "real time");
		th(c, "CPU time");
		th(c, "unit");
		th(c, "iterations");
		fputs("</tr>\n", c->f);
		for (j = 0; j < json_array_size(b); j++) {
			const json_t *e = json_array_get(b, j);

			if (!json_is_object(e))
				continue;
			fputs("<tr>", c->f);
			td(c, json_str(e, "name", NULL));
			td_json(c, json_object_get(e, "real_time"));
			td_json(c, json_object_get(e, "cpu_time"));
			td(c, json_str(e, "time_unit", NULL));
			td_json(c, json_object_get(e, "iterations"));
			fputs("</tr>\n", c->f);
		}
		fputs("</table>\n", c->f);
	}
	fputs("</section>\n", c->f);
}

/* ---------------------------------------------------------------- the page */

int report_write(const rset_t *set, const char *path, char *err, size_t errlen)
{
	static const char *const ids[] = { "context", "summary", "latency", "fragmentation",
		"freepages", "hw", "model", "compare", "micro" };
	rctx_t c = { .set = set };
	size_t len = strlen(path) + 8, i;
	char *tmp = malloc(len);
	json_t *data;
	int rc;

	if (!tmp) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	snprintf(tmp, len, "%s.tmp", path);
	c.f = fopen(tmp, "w");
	c.charts = json_array();
	if (!c.f || !c.charts) {
		snprintf(err, errlen, "%s: %s", tmp, c.f ? "out of memory" : strerror(errno));
		if (c.f)
			fclose(c.f);
		json_decref(c.charts);
		free(tmp);
		return -1;
	}
	html_begin(c.f, "mmbench report");
	fputs("<header><h1>mmbench report</h1><nav>", c.f);
	for (i = 0; i < report_nr_sections; i++) {
		fprintf(c.f, "<a href=\"#%s\">", ids[i]);
		html_text(c.f, report_sections[i]);
		fputs("</a> ", c.f);
	}
	fprintf(c.f, "</nav><p class=\"note\">%zu cells (%zu results directories), %zu compare tables, %zu microbenchmark files.</p></header>\n<main>\n",
		set->nr_dirs, set->nr_runs, set->nr_cmps, json_array_size(set->micro));
	sec_context(&c);
	sec_summary(&c);
	sec_latency(&c);
	sec_frag(&c);
	sec_heatmap(&c);
	sec_hw(&c);
	sec_model(&c);
	sec_compare(&c);
	sec_micro(&c);
	fputs("</main>\n", c.f);
	data = json_pack("{s:s,s:O}", "generator", "mmbench report", "charts", c.charts);
	rc = data ? html_end(c.f, data) : -1;
	json_decref(data);
	json_decref(c.charts);
	if (rc || c.oom) {
		snprintf(err, errlen, "%s: out of memory", path);
		fclose(c.f);
		unlink(tmp);
		free(tmp);
		return -1;
	}
	if (ferror(c.f) | fclose(c.f)) {
		snprintf(err, errlen, "%s: write error: %s", tmp, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	if (rename(tmp, path)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}
