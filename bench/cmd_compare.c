/*
 * cmd_compare.c - mmbench compare: metric-by-metric deltas between result
 * directories, significance of measured ones, regression gates
 * (statistics in report/compare.c).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/cli.h"
#include "report/compare.h"

static const char compare_usage[] =
	"usage: mmbench compare [-o DIR] [--fail-on SPEC]... [--all] BASE_DIR OTHER_DIR...\n"
	"       mmbench compare [-o DIR] [--fail-on SPEC]... [--all] --base-policy P RESULTS_DIR\n"
	"Compare the results.csv of OTHER_DIR (each) with BASE_DIR's, metric by\n"
	"metric, matching rows on (trace, system, metric): the policy differs by\n"
	"design (each directory's one policy per trace and system; a suite's\n"
	"directories with several are matched policy by policy).  A directory is a\n"
	"replay or baseline result, a suite's output (its merged results.csv), or\n"
	"a results.csv file itself.\n"
	"  deterministic metrics   compared exactly: equal or not\n"
	"  measured metrics        medians, and with >= 5 repetitions on both sides\n"
	"                          a two-sided Mann-Whitney U test, significant\n"
	"                          at p < 0.05 (fewer: p_value NA, significant NA)\n"
	"  -o, --output DIR        write DIR/compare.csv (default results/compare):\n"
	"                          " COMPARE_CSV_HEADER "\n"
	"  --fail-on SPEC          METRIC>LIMIT or METRIC<LIMIT; LIMIT an absolute\n"
	"                          delta in the metric's unit (extfrag>100) or a\n"
	"                          relative one (latency_ns_p99.*>5%%, events_per_s<-5%%);\n"
	"                          METRIC a glob.  Exit 3 when a row exceeds it: a\n"
	"                          deterministic metric that differs, a measured one\n"
	"                          only when significant.  Repeatable.\n"
	"  --all                   print every compared row, not only those that differ\n"
	"  --base-policy P         within one results directory (a suite's): policy P\n"
	"                          against every other policy, trace by trace\n"
	"Prints the rows that differ (deterministic) or differ significantly.\n"
	"Exit codes: 0 ok, 1 error, 2 usage, 3 a --fail-on threshold exceeded.\n";

#define MAX_THRESHOLDS 32

/* A row's base or other value (the median of a measured one) as printed, to 6 digits. */
static const char *value_text(char *buf, size_t len, const compare_row_t *r, bool base)
{
	if (base ? r->base_na : r->other_na)
		snprintf(buf, len, "NA");
	else
		snprintf(buf, len, "%.6g", base ? r->base_value : r->other_value);
	return buf;
}

static void print_row(const compare_row_t *r)
{
	char bv[40], ov[40], d[40], pct[24], p[24];

	value_text(bv, sizeof(bv), r, true);
	value_text(ov, sizeof(ov), r, false);
	snprintf(d, sizeof(d), isnan(r->delta) ? "NA" : "%+.6g", r->delta);
	snprintf(pct, sizeof(pct), isnan(r->delta_pct) ? "NA" : "%+.1f%%", r->delta_pct);
	if (r->deterministic)
		snprintf(p, sizeof(p), "exact");
	else
		snprintf(p, sizeof(p), isnan(r->p_value) ? "p NA" : "p %.3g", r->p_value);
	printf("%-12s %-9s %-40s %14s %14s %14s %9s %-9s%s\n", r->trace, r->system, r->metric, bv,
	       ov, d, pct, p, r->significant == 1 ? " *" : "");
}

int cmd_compare(int argc, char **argv)
{
	enum { OPT_FAIL_ON = 256, OPT_ALL, OPT_BASE_POLICY };
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "fail-on", required_argument, NULL, OPT_FAIL_ON },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "base-policy", required_argument, NULL, OPT_BASE_POLICY },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	compare_threshold_t th[MAX_THRESHOLDS];
	unsigned nr_th = 0, nr_exceeded = 0;
	const char *out_dir = "results/compare";
	const char *base_policy = NULL;
	bool all = false;
	char err[1024], path[4200], tmp[4200];
	int c, rc = EXIT_OK;

	FOR_EACH_OPT(c, argc, argv, "o:h", opts) {
		switch (c) {
		case 'o':
			out_dir = optarg;
			break;
		case OPT_FAIL_ON:
			if (nr_th == MAX_THRESHOLDS)
				return cli_usage_error("compare", "more than %d --fail-on", MAX_THRESHOLDS);
			if (compare_threshold_parse(&th[nr_th], optarg, err, sizeof(err)))
				return cli_usage_error("compare", "--fail-on %s", err);
			nr_th++;
			break;
		case OPT_ALL:
			all = true;
			break;
		case OPT_BASE_POLICY:
			base_policy = optarg;
			break;
		case 'h':
			fputs(compare_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("compare", "unknown or incomplete option '%s'",
					       argv[optind - 1]);
		}
	}
	if (base_policy && argc - optind != 1)
		return cli_usage_error("compare", "--base-policy takes one RESULTS_DIR");
	if (!base_policy && argc - optind < 2)
		return cli_usage_error("compare", "expected BASE_DIR and at least one OTHER_DIR");
	if (strlen(out_dir) > 4000)
		return cli_usage_error("compare", "-o: path too long");

	compare_table_t *base = malloc(sizeof(*base)), *other = malloc(sizeof(*other));
	if (!base || !other) {
		free(base);
		free(other);
		fprintf(stderr, "mmbench compare: out of memory\n");
		return EXIT_ERROR;
	}
	if (compare_table_load(base, argv[optind], err, sizeof(err))) {
		fprintf(stderr, "mmbench compare: %s\n", err);
		free(base);
		free(other);
		return EXIT_ERROR;
	}
	if (mkdir_p(out_dir)) {
		fprintf(stderr, "mmbench compare: %s: %s\n", out_dir, strerror(errno));
		compare_table_free(base);
		free(base);
		free(other);
		return EXIT_ERROR;
	}
	snprintf(path, sizeof(path), "%s/compare.csv", out_dir);
	snprintf(tmp, sizeof(tmp), "%s/.compare.csv.tmp", out_dir);
	FILE *f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "mmbench compare: %s: %s\n", tmp, strerror(errno));
		compare_table_free(base);
		free(base);
		free(other);
		return EXIT_ERROR;
	}
	fprintf(f, "%s\n", COMPARE_CSV_HEADER);

	for (int a = base_policy ? argc - 1 : optind + 1; a < argc && rc == EXIT_OK; a++) {
		compare_row_t *rows;
		long nr;
		unsigned nr_det_diff = 0, nr_sig = 0, nr_untested = 0;

		const char *other_path = base->path;

		if (base_policy) {
			nr = compare_policies(base, base_policy, &rows);
		} else {
			if (compare_table_load(other, argv[a], err, sizeof(err))) {
				fprintf(stderr, "mmbench compare: %s\n", err);
				rc = EXIT_ERROR;
				break;
			}
			other_path = other->path;
			nr = compare_tables(base, other, &rows);
		}
		if (nr < 0) {
			fprintf(stderr, "mmbench compare: out of memory\n");
			if (!base_policy)
				compare_table_free(other);
			rc = EXIT_ERROR;
			break;
		}
		if (!nr)
			fprintf(stderr, "mmbench compare: %s and %s have no (trace, system, metric) in common%s\n",
				base->path, other_path, base_policy ? " across policies" : "");
		if (base_policy)
			printf("compare policy %s (base) with every other policy in %s: %ld metrics\n",
			       base_policy, base->path, nr);
		else
			printf("compare %s (base) with %s: %ld metrics\n", base->path, other_path, nr);
		printf("%-12s %-9s %-40s %14s %14s %14s %9s %s\n", "trace", "system", "metric", "base",
		       "other", "delta", "delta%", "test");
		for (long i = 0; i < nr; i++) {
			const compare_row_t *r = &rows[i];
			char bv[40], ov[40];
			compare_write_row(f, r);
			nr_det_diff += r->deterministic && r->differ;
			nr_sig += !r->deterministic && r->significant == 1;
			nr_untested += !r->deterministic && r->significant < 0;
			if (all || (r->deterministic ? r->differ : r->significant == 1))
				print_row(r);
			for (unsigned t = 0; t < nr_th; t++)
				if (compare_threshold_exceeded(&th[t], r)) {
					fprintf(stderr, "mmbench compare: threshold %s exceeded: %s %s %s, "
						"%s -> %s: %s -> %s (%+.6g %s, %+.2f%%, %s)\n", th[t].spec,
						r->trace, r->system, r->metric, r->base_policy,
						r->other_policy, value_text(bv, sizeof(bv), r, true),
						value_text(ov, sizeof(ov), r, false), r->delta, r->unit,
						r->delta_pct, r->deterministic ? "exact" : "significant");
					nr_exceeded++;
				}
		}
		printf("%u deterministic metrics differ; %u measured differ significantly (p < %.2f), "
		       "%u measured untested (< %d repetitions)\n", nr_det_diff, nr_sig, COMPARE_ALPHA,
		       nr_untested, COMPARE_MIN_REPETITIONS);
		free(rows);
		if (!base_policy)
			compare_table_free(other);
	}
	if (fclose(f) || (rc == EXIT_OK && rename(tmp, path))) {
		fprintf(stderr, "mmbench compare: %s: %s\n", path, strerror(errno));
		rc = EXIT_ERROR;
	}
	if (rc != EXIT_OK)
		unlink(tmp);
	else
		printf("compare.csv: %s\n", path);
	compare_table_free(base);
	free(base);
	free(other);
	if (rc == EXIT_OK && nr_exceeded) {
		fprintf(stderr, "mmbench compare: %u threshold%s exceeded\n", nr_exceeded,
			nr_exceeded > 1 ? "s" : "");
		return EXIT_REGRESSION;
	}
	return rc;
}
