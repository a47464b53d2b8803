/*
 * test_compare.c - report/compare.c: Mann-Whitney p-values against values
 * worked out by hand (and what R's wilcox.test(x, y) prints for the same
 * samples), ties, identical samples, medians, table matching and the
 * --fail-on parser.
 *
 * Exact distribution (no ties, both samples < 50): c(k; m, n) counts the
 * orderings with U = k, which for m = n = 5 are the partitions of k into at
 * most 5 parts of at most 5: k = 0..4 -> 1, 1, 2, 3, 5 (sum 12), out of
 * C(10, 5) = 252.  Normal approximation: sigma^2 = m n / 12 ((N + 1) -
 * sum(t^3 - t) / (N (N - 1))), z = (|U - m n / 2| - 1/2) / sigma,
 * p = erfc(z / sqrt 2).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/compare.h"

TestSuite(compare);

static void assert_p(double got, double want, const char *what)
{
	cr_assert(fabs(got - want) <= 1e-9 * (want > 1e-3 ? want : 1e-3) + 1e-12,
		  "%s: p = %.12g, want %.12g", what, got, want);
}

Test(compare, exact_separated_samples)
{
	double x[] = { 1, 2, 3, 4, 5 }, y[] = { 6, 7, 8, 9, 10 }, u;

	/* U = 0, P(U <= 0) = 1/252, two-sided 2/252; R: W = 0, p-value = 0.007937 */
	assert_p(compare_mann_whitney(x, 5, y, 5, &u), 2.0 / 252, "1..5 vs 6..10");
	cr_assert_eq(u, 0);
	/* symmetric: U = 25, P(U >= 25) = 1/252 */
	assert_p(compare_mann_whitney(y, 5, x, 5, &u), 2.0 / 252, "6..10 vs 1..5");
	cr_assert_eq(u, 25);
}

Test(compare, exact_interleaved_samples)
{
	double x[] = { 8, 1, 3, 5, 2 }, y[] = { 4, 10, 6, 9, 7 }, u;

	/* ranks of x: 1, 2, 3, 5, 8 -> R_x = 19, U = 19 - 15 = 4; P(U <= 4) = 12/252.
	 * R: wilcox.test(c(8,1,3,5,2), c(4,10,6,9,7)): W = 4, p-value = 0.09524 */
	assert_p(compare_mann_whitney(x, 5, y, 5, &u), 24.0 / 252, "interleaved");
	cr_assert_eq(u, 4);
}

Test(compare, exact_unequal_sizes)
{
	double x[] = { 1, 2 }, y[] = { 3, 4, 5 };
	double a[10], b[12];

	/* C(5, 2) = 10 orderings, U = 0 is one of them: p = 2/10 */
	assert_p(compare_mann_whitney(x, 2, y, 3, NULL), 0.2, "2 vs 3");
	/* 10 vs 12 separated: p = 2 / C(22, 10) = 2 / 646646 */
	for (int i = 0; i < 10; i++)
		a[i] = i;
	for (int i = 0; i < 12; i++)
		b[i] = 100 + i;
	assert_p(compare_mann_whitney(a, 10, b, 12, NULL), 2.0 / 646646, "10 vs 12");
}

Test(compare, normal_with_ties)
{
	double x[] = { 1, 2, 2, 3, 3 }, y[] = { 3, 4, 4, 5, 5 }, u;

	/* mid-ranks: 1 -> 1, 2 -> 2.5, 3 -> 5, 4 -> 7.5, 5 -> 9.5; R_x = 16, U = 1;
	 * ties t = 2, 3, 2, 2: sum(t^3 - t) = 42; sigma^2 = 25/12 (11 - 42/90);
	 * z = 11 / sigma = 2.348174; R (with "cannot compute exact p-value with
	 * ties"): W = 1, p-value = 0.01887 */
	assert_p(compare_mann_whitney(x, 5, y, 5, &u), 0.018865674384163686, "ties");
	cr_assert_eq(u, 1);
}

Test(compare, normal_large_samples)
{
	double x[50], y[50];

	/* evens against odds, 50 each (R switches to the normal approximation at
	 * 50): R_x = 1 + 3 + ... + 99 = 2500, U = 1225, |U - 1250| - 1/2 = 24.5,
	 * sigma^2 = 2500/12 * 101; R: p-value = 0.8659 */
	for (int i = 0; i < 50; i++) {
		x[i] = 2 * i;
		y[i] = 2 * i + 1;
	}
	assert_p(compare_mann_whitney(x, 50, y, 50, NULL), 0.8658764106823897, "50 vs 50");
}

Test(compare, identical_samples)
{
	double x[] = { 5, 5, 5, 5, 5 }, y[] = { 1, 2, 3, 4, 5 };

	cr_assert_eq(compare_mann_whitney(x, 5, x, 5, NULL), 1.0);
	cr_assert_eq(compare_mann_whitney(y, 5, y, 5, NULL), 1.0);
	cr_assert(isnan(compare_mann_whitney(x, 0, y, 5, NULL)));
	double z[] = { 1, NAN };
	cr_assert(isnan(compare_mann_whitney(z, 2, y, 5, NULL)));
}

Test(compare, median)
{
	double a[] = { 5, 1, 3 }, b[] = { 4, 1, 3, 2 };

	cr_assert_eq(compare_median(a, 3), 3);
	cr_assert_eq(compare_median(b, 4), 2.5);
	cr_assert(isnan(compare_median(b, 0)));
}

Test(compare, threshold_parser)
{
	compare_threshold_t th;
	char err[256];

	cr_assert_eq(compare_threshold_parse(&th, "latency_ns_p99.*>5%", err, sizeof(err)), 0);
	cr_assert_str_eq(th.metric, "latency_ns_p99.*");
	cr_assert(th.greater && th.percent && th.limit == 5);
	cr_assert_eq(compare_threshold_parse(&th, "events_per_s<-5%", err, sizeof(err)), 0);
	cr_assert(!th.greater && th.percent && th.limit == -5);
	cr_assert_eq(compare_threshold_parse(&th, "extfrag>100", err, sizeof(err)), 0);
	cr_assert(th.greater && !th.percent && th.limit == 100);
	cr_assert_eq(compare_threshold_parse(&th, "x>0.5", err, sizeof(err)), 0);
	cr_assert(th.limit == 0.5);

	static const char *const bad[] = { ">5", "x>", "x>5%%", "x>abc", "x=5", "x>5 ", "x>inf",
					   "x> 5", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		cr_assert_eq(compare_threshold_parse(&th, bad[i], err, sizeof(err)), -1,
			     "'%s' accepted", bad[i]);
		cr_assert(err[0], "'%s': no message", bad[i]);
	}
}

Test(compare, threshold_exceeded)
{
	compare_threshold_t th;
	char err[256];
	compare_row_t r = { .metric = "latency_ns_p99.malloc", .delta = 10, .delta_pct = 6,
			    .significant = 1 };

	cr_assert_eq(compare_threshold_parse(&th, "latency_ns_p99.*>5%", err, sizeof(err)), 0);
	cr_assert(compare_threshold_exceeded(&th, &r));
	r.delta_pct = 5;
	cr_assert(!compare_threshold_exceeded(&th, &r), "equal to the limit is not beyond it");
	r.delta_pct = 6;
	r.significant = -1;
	cr_assert(!compare_threshold_exceeded(&th, &r), "unknown significance never exceeds");
	r.significant = 0;
	cr_assert(!compare_threshold_exceeded(&th, &r));
	r.significant = 1;
	r.metric = "latency_ns_p50.malloc";
	cr_assert(!compare_threshold_exceeded(&th, &r), "glob must match");
	r.delta_pct = NAN;
	r.metric = "latency_ns_p99.malloc";
	cr_assert(!compare_threshold_exceeded(&th, &r), "unknown delta");

	cr_assert_eq(compare_threshold_parse(&th, "extfrag<-50", err, sizeof(err)), 0);
	compare_row_t d = { .metric = "extfrag", .deterministic = true, .delta = -89,
			    .delta_pct = -100, .significant = 1 };
	cr_assert(compare_threshold_exceeded(&th, &d));
	d.delta = -10;
	cr_assert(!compare_threshold_exceeded(&th, &d));
}

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/test_compare.XXXXXX");
	int fd = mkstemp(path);

	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

#define HDR "trace,policy,system,metric,value,unit,deterministic\n"

/* Load text into t through a temporary file, removed again once read. */
static void load_tmp(compare_table_t *t, const char *text)
{
	char err[512];
	char *path = write_tmp(text);

	cr_assert_eq(compare_table_load(t, path, err, sizeof(err)), 0, "%s", err);
	unlink(path);
	free(path);
}

Test(compare, tables)
{
	compare_table_t ta, tb;
	compare_row_t *rows;

	load_tmp(&ta, HDR
		"t,p1,mmbench,extfrag,89,events,true\n"
		"t,p1,mmbench,events,100,events,true\n"
		"t,p1,mmbench,lat,1,ns,false\n" "t,p1,mmbench,lat,2,ns,false\n"
		"t,p1,mmbench,lat,3,ns,false\n" "t,p1,mmbench,lat,4,ns,false\n"
		"t,p1,mmbench,lat,5,ns,false\n"
		"t,p1,mmbench,hw,NA,cycles,false\n"
		"t,p1,mmbench,only_base,1,x,true\n");
	load_tmp(&tb, HDR
		"t,p2,mmbench,extfrag,0,events,true\n"
		"t,p2,mmbench,events,100,events,true\n"
		"t,p2,mmbench,lat,6,ns,false\n" "t,p2,mmbench,lat,7,ns,false\n"
		"t,p2,mmbench,lat,8,ns,false\n" "t,p2,mmbench,lat,9,ns,false\n"
		"t,p2,mmbench,lat,10,ns,false\n"
		"t,p2,mmbench,hw,NA,cycles,false\n");
	long n = compare_tables(&ta, &tb, &rows);
	cr_assert_eq(n, 4, "only_base has no match: %ld rows", n);

	cr_assert_str_eq(rows[0].metric, "extfrag");
	cr_assert(rows[0].deterministic && rows[0].differ && rows[0].significant == 1);
	cr_assert_eq(rows[0].delta, -89);
	cr_assert_eq(rows[0].delta_pct, -100);
	cr_assert_str_eq(rows[0].base_policy, "p1");
	cr_assert_str_eq(rows[0].other_policy, "p2");

	cr_assert(!rows[1].differ && rows[1].significant == 0 && rows[1].delta == 0);

	cr_assert_str_eq(rows[2].metric, "lat");
	cr_assert(!rows[2].deterministic);
	cr_assert_eq(rows[2].base_value, 3);
	cr_assert_eq(rows[2].other_value, 8);
	cr_assert_eq(rows[2].n_base, 5);
	assert_p(rows[2].p_value, 2.0 / 252, "lat");
	cr_assert_eq(rows[2].significant, 1);

	cr_assert(rows[3].base_na && rows[3].other_na && isnan(rows[3].p_value));
	cr_assert_eq(rows[3].significant, -1);

	/* the CSV row: exact text, medians, NA */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	compare_write_row(f, &rows[0]);
	compare_write_row(f, &rows[2]);
	compare_write_row(f, &rows[3]);
	fclose(f);
	cr_assert_str_eq(buf,
		"t,mmbench,extfrag,events,true,p1,p2,89,0,-89,-100,1,1,NA,yes\n"
		"t,mmbench,lat,ns,false,p1,p2,3,8,5,166.6666667,5,5,0.007936507937,yes\n"
		"t,mmbench,hw,cycles,false,p1,p2,NA,NA,NA,NA,0,0,NA,NA\n");
	free(buf);
	free(rows);
	compare_table_free(&ta);
	compare_table_free(&tb);
}

Test(compare, tables_fewer_repetitions_untested)
{
	compare_table_t ta, tb;
	compare_row_t *rows;

	load_tmp(&ta, HDR "t,p1,mmbench,lat,1,ns,false\nt,p1,mmbench,lat,2,ns,false\n");
	load_tmp(&tb, HDR "t,p2,mmbench,lat,7,ns,false\nt,p2,mmbench,lat,9,ns,false\n");
	cr_assert_eq(compare_tables(&ta, &tb, &rows), 1);
	cr_assert(isnan(rows[0].p_value));
	cr_assert_eq(rows[0].significant, -1);
	cr_assert_eq(rows[0].base_value, 1.5);
	cr_assert_eq(rows[0].other_value, 8);
	free(rows);
	compare_table_free(&ta);
	compare_table_free(&tb);
}

Test(compare, suite_tables_match_policy_by_policy)
{
	compare_table_t ta, tb;
	compare_row_t *rows;

	load_tmp(&ta, HDR "t,p1,mmbench,x,1,n,true\nt,p2,mmbench,x,2,n,true\n");
	load_tmp(&tb, HDR "t,p2,mmbench,x,3,n,true\nt,p1,mmbench,x,1,n,true\n");
	cr_assert_eq(compare_tables(&ta, &tb, &rows), 2);
	cr_assert_str_eq(rows[0].other_policy, "p1");
	cr_assert(!rows[0].differ);
	cr_assert_str_eq(rows[1].other_policy, "p2");
	cr_assert_eq(rows[1].delta, 1);
	free(rows);
	compare_table_free(&ta);
	compare_table_free(&tb);
}

Test(compare, malformed_tables)
{
	static const char *const bad[][2] = {
		{ "trace,policy,system,metric,value\n", ":1:" },
		{ HDR "t,p,s,m,1,u\n", ":2:" },
		{ HDR "t,p,s,m,1,u,true\nt,p,s,m,abc,u,true\n", ":3:" },
		{ HDR "t,p,s,m,1,u,maybe\n", ":2:" },
		{ HDR "t,p,s,m,1,u,true\nt,p,s,m,1,v,true\n", ":3:" },
		{ HDR "t,p,s,m,\"1,u,true\n", ":2:" },
	};
	char err[512];
	compare_table_t t;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *path = write_tmp(bad[i][0]);
		err[0] = 0;
		cr_assert_eq(compare_table_load(&t, path, err, sizeof(err)), -1, "case %zu loaded", i);
		cr_assert(strstr(err, path) && strstr(err, bad[i][1]),
			  "case %zu: '%s' should name the file and line %s", i, err, bad[i][1]);
		unlink(path);
		free(path);
	}
	cr_assert_eq(compare_table_load(&t, "/nonexistent/dir", err, sizeof(err)), -1);
	cr_assert(strstr(err, "/nonexistent/dir"));
}
