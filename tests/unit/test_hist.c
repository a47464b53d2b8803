/*
 * test_hist.c - bench/hist.c: HdrHistogram's bucket geometry and equivalent
 * value ranges checked against figures worked out by hand from
 * hdr_calculate_bucket_config() / counts_index_for(), percentiles of known
 * distributions, clamping, mean and stddev, hist_add, and the exact .hgrm
 * text that hdr_percentiles_print(h, f, 5, scale, CLASSIC) prints.
 *
 * Geometry at 3 significant figures, highest HIST_HIGHEST = 3.6e12:
 *   2 * 10^3 = 2000 -> ceil(log2 2000) = 11 -> sub_bucket_count 2048,
 *   sub_bucket_half_count 1024 (magnitude 10), sub_bucket_mask 2047;
 *   bucket_count: smallest n with 2048 << (n - 1) > 3.6e12:
 *   3.6e12 / 2048 = 1.76e9, 2^30 = 1.07e9 < 1.76e9 < 2^31 -> n - 1 = 31, n = 32;
 *   counts_len = (32 + 1) * 1024 = 33792.
 * Bucket b >= 1 covers [1024 << b, 2048 << b) in steps of 2^b, its values at
 * indexes (b + 1) * 1024 + (v >> b) - 1024; bucket 0 holds 0..2047 exactly.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/hist.h"
#include "engine/prng.h"

TestSuite(hist);

static hist_t h;

static void hist_setup(void)
{
	cr_assert_eq(hist_init(&h, HIST_HIGHEST, HIST_SIGFIGS), 0);
}

static void hist_teardown(void)
{
	hist_destroy(&h);
}

/* hist_write_hgrm into a heap string (caller frees); asserts success. */
static char *hgrm_text(const hist_t *hh, double scale)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	cr_assert_eq(hist_write_hgrm(hh, f, scale), 0);
	cr_assert_eq(fclose(f), 0);
	return buf;
}

Test(hist, geometry_3_sigfigs, .init = hist_setup, .fini = hist_teardown)
{
	cr_expect_eq(h.sub_bucket_count, 2048);
	cr_expect_eq(h.sub_bucket_half_count, 1024);
	cr_expect_eq(h.sub_bucket_half_count_magnitude, 10);
	cr_expect_eq(h.sub_bucket_mask, 2047);
	cr_expect_eq(h.unit_magnitude, 0);
	cr_expect_eq(h.bucket_count, 32);
	cr_expect_eq(h.counts_len, 33792);
	cr_expect_eq(h.highest, HIST_HIGHEST);
	cr_expect_eq(hist_count(&h), 0);
}

/*
 * Other figure counts, highest 3.6e12: sub_bucket_count = 2^ceil(log2(2*10^s))
 * = 32, 256, 2048, 32768, 262144; buckets: 3.6e12 / sub_bucket_count lies
 * between 2^36..2^37, 2^33..2^34, 2^30..2^31, 2^26..2^27, 2^23..2^24, so
 * 38, 35, 32, 28, 25.
 */
Test(hist, geometry_every_sigfig)
{
	static const int32_t sbc[] = { 32, 256, 2048, 32768, 262144 };
	static const int32_t bc[] = { 38, 35, 32, 28, 25 };

	for (int s = 1; s <= 5; s++) {
		hist_t g;

		cr_assert_eq(hist_init(&g, HIST_HIGHEST, s), 0, "sigfigs %d", s);
		cr_expect_eq(g.sub_bucket_count, sbc[s - 1], "sigfigs %d", s);
		cr_expect_eq(g.bucket_count, bc[s - 1], "sigfigs %d", s);
		cr_expect_eq(g.counts_len, (bc[s - 1] + 1) * sbc[s - 1] / 2, "sigfigs %d", s);
		cr_expect_eq(g.significant_figures, s);
		hist_destroy(&g);
	}
	/* 2 figures up to 1e6: 256 << 12 = 1048576 > 1e6 > 256 << 11 -> 13 buckets */
	hist_t g;
	cr_assert_eq(hist_init(&g, 1000000, 2), 0);
	cr_expect_eq(g.bucket_count, 13);
	hist_destroy(&g);
}

Test(hist, init_rejects_bad_arguments)
{
	hist_t g;

	memset(&g, 0xff, sizeof(g));
	cr_expect_eq(hist_init(&g, HIST_HIGHEST, 0), -1);
	cr_expect_null(g.counts);
	cr_expect_eq(hist_init(&g, HIST_HIGHEST, 6), -1);
	cr_expect_eq(hist_init(&g, 1, 3), -1);              /* lowest * 2 > highest */
	cr_expect_eq(hist_init(&g, (uint64_t)INT64_MAX + 1, 3), -1);
	cr_expect_null(g.counts);
	cr_expect_eq(g.counts_len, 0);
	hist_destroy(&g);                                    /* zeroed: safe */
	hist_destroy(&g);
	cr_expect_eq(hist_init(&g, 2, 1), 0);                /* the smallest allowed */
	hist_destroy(&g);
	cr_expect_eq(hist_init(&g, INT64_MAX, 3), 0);        /* the largest allowed */
	hist_record(&g, INT64_MAX);
	cr_expect_eq(hist_count(&g), 1);
	cr_expect_eq(g.nr_clamped, 0);
	cr_expect_eq(hist_max(&g), INT64_MAX);               /* 2047 << 52 + 2^52 - 1 */
	hist_destroy(&g);
}

Test(hist, counts_index, .init = hist_setup, .fini = hist_teardown)
{
	cr_expect_eq(hist_counts_index(&h, 0), 0);
	cr_expect_eq(hist_counts_index(&h, 1), 1);
	cr_expect_eq(hist_counts_index(&h, 2047), 2047);
	cr_expect_eq(hist_counts_index(&h, 2048), 2048);    /* bucket 1, sub 1024 */
	cr_expect_eq(hist_counts_index(&h, 2049), 2048);
	cr_expect_eq(hist_counts_index(&h, 2050), 2049);
	cr_expect_eq(hist_counts_index(&h, 4095), 3071);
	cr_expect_eq(hist_counts_index(&h, 4096), 3072);    /* bucket 2 */
	/* 3.6e12: top bit 41 -> bucket 41 + 1 - 11 = 31, sub 3.6e12 >> 31 = 1676 */
	cr_expect_eq(hist_counts_index(&h, HIST_HIGHEST), 32 * 1024 + 1676 - 1024);
	cr_expect_lt(hist_counts_index(&h, HIST_HIGHEST), h.counts_len);
	cr_expect_eq(hist_value_at_index(&h, 0), 0);
	cr_expect_eq(hist_value_at_index(&h, 2047), 2047);
	cr_expect_eq(hist_value_at_index(&h, 2049), 2050);
	cr_expect_eq(hist_value_at_index(&h, 3072), 4096);
	cr_expect_eq(hist_value_at_index(&h, 32 * 1024 + 652), 1676ull << 31);
}

Test(hist, equivalent_values, .init = hist_setup, .fini = hist_teardown)
{
	/* bucket 0: each value alone */
	cr_expect_eq(hist_lowest_equivalent_value(&h, 0), 0);
	cr_expect_eq(hist_highest_equivalent_value(&h, 0), 0);
	cr_expect_eq(hist_median_equivalent_value(&h, 0), 0);
	cr_expect_eq(hist_size_of_equivalent_value_range(&h, 0), 1);
	cr_expect_eq(hist_highest_equivalent_value(&h, 2047), 2047);
	/* bucket 1: pairs */
	cr_expect_eq(hist_lowest_equivalent_value(&h, 2049), 2048);
	cr_expect_eq(hist_highest_equivalent_value(&h, 2048), 2049);
	cr_expect_eq(hist_median_equivalent_value(&h, 2049), 2049);
	cr_expect_eq(hist_size_of_equivalent_value_range(&h, 2049), 2);
	/* 1e6: 2^19 <= 1e6 < 2^20 -> bucket 9, step 512: 1953 * 512 = 999936 */
	cr_expect_eq(hist_lowest_equivalent_value(&h, 1000000), 999936);
	cr_expect_eq(hist_highest_equivalent_value(&h, 1000000), 1000447);
	cr_expect_eq(hist_median_equivalent_value(&h, 1000000), 1000192);
	cr_expect_eq(hist_size_of_equivalent_value_range(&h, 1000000), 512);
	/* 3.6e12: bucket 31, sub 1676, step 2^31 */
	cr_expect_eq(hist_lowest_equivalent_value(&h, HIST_HIGHEST), 3599182594048ull);
	cr_expect_eq(hist_highest_equivalent_value(&h, HIST_HIGHEST), 3601330077695ull);
	cr_expect_eq(hist_median_equivalent_value(&h, HIST_HIGHEST), 3600256335872ull);
	cr_expect_eq(hist_size_of_equivalent_value_range(&h, HIST_HIGHEST), 1ull << 31);
}

/*
 * Every value lies in its range, the range is one counter wide, and at 3
 * figures a range is at most 1/1024 of its lowest value (exact below 2048).
 */
Test(hist, equivalent_ranges_hold_precision, .init = hist_setup, .fini = hist_teardown)
{
	prng_t r;

	prng_seed(&r, 7);
	for (int i = 0; i < 200000; i++) {
		uint64_t v = prng_below(&r, 1ull << prng_range(&r, 1, 41));
		uint64_t lo = hist_lowest_equivalent_value(&h, v);
		uint64_t hi = hist_highest_equivalent_value(&h, v);
		uint64_t size = hist_size_of_equivalent_value_range(&h, v);

		cr_assert(lo <= v && v <= hi, "v %llu in [%llu, %llu]", (unsigned long long)v,
			  (unsigned long long)lo, (unsigned long long)hi);
		cr_assert_eq(hi - lo + 1, size);
		cr_assert_eq(hist_counts_index(&h, lo), hist_counts_index(&h, v));
		cr_assert_eq(hist_counts_index(&h, hi), hist_counts_index(&h, v));
		cr_assert_eq(hist_counts_index(&h, hi + 1), hist_counts_index(&h, v) + 1);
		cr_assert_eq(hist_value_at_index(&h, hist_counts_index(&h, v)), lo);
		if (v < 2048)
			cr_assert_eq(size, 1);
		else
			cr_assert_leq(size * 1024, lo);
	}
}

/* 1..10000 once each: p maps to the counter holding p * 100, at its top */
Test(hist, percentiles_uniform, .init = hist_setup, .fini = hist_teardown)
{
	static const struct {
		double p;
		uint64_t value;
	} want[] = {
		{ 1, 100 },      /* bucket 0: exact */
		{ 10, 1000 },
		{ 25, 2501 },    /* [2500, 2501] */
		{ 50, 5003 },    /* [5000, 5003] */
		{ 75, 7503 },
		{ 90, 9007 },    /* [9000, 9007] */
		{ 99, 9903 },    /* [9896, 9903] */
		{ 99.9, 9991 },  /* [9984, 9991] */
		{ 99.99, 9999 }, /* [9992, 9999] */
		{ 100, 10007 },  /* [10000, 10007] */
		{ 250, 10007 },  /* above 100 is 100 */
	};

	for (uint64_t v = 1; v <= 10000; v++)
		hist_record(&h, v);
	cr_assert_eq(hist_count(&h), 10000);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		uint64_t got = hist_value_at_percentile(&h, want[i].p);
		double exact = fmin(want[i].p, 100) * 100;

		cr_expect_eq(got, want[i].value, "p%g: %llu", want[i].p, (unsigned long long)got);
		cr_expect_leq(fabs((double)got - exact), exact * 0.001, "p%g", want[i].p);
	}
	cr_expect_eq(hist_value_at_percentile(&h, 0), 1);  /* lowest equivalent */
	cr_expect_eq(hist_value_at_percentile(&h, -5), 1);
	cr_expect_eq(hist_min(&h), 1);
	cr_expect_eq(hist_max(&h), 10007);
	/* true mean 5000.5, stddev sqrt((10000^2 - 1) / 12) = 2886.75 */
	cr_expect_leq(fabs(hist_mean(&h) - 5000.5), 5000.5 * 0.001);
	cr_expect_leq(fabs(hist_stddev(&h) - 2886.7513), 2886.7513 * 0.001);
}

/* 9000 x 100 ns and 1000 x 1 ms */
Test(hist, percentiles_bimodal, .init = hist_setup, .fini = hist_teardown)
{
	hist_record_n(&h, 100, 9000);
	hist_record_n(&h, 1000000, 1000);
	cr_expect_eq(hist_count(&h), 10000);
	cr_expect_eq(hist_value_at_percentile(&h, 0), 100);
	cr_expect_eq(hist_value_at_percentile(&h, 50), 100);
	cr_expect_eq(hist_value_at_percentile(&h, 90), 100);        /* count 9000 */
	cr_expect_eq(hist_value_at_percentile(&h, 90.01), 1000447); /* count 9001 */
	cr_expect_eq(hist_value_at_percentile(&h, 99), 1000447);
	cr_expect_eq(hist_value_at_percentile(&h, 100), 1000447);
	cr_expect_eq(hist_min(&h), 100);
	cr_expect_eq(hist_max(&h), 1000447);
	/* medians 100 and 1000192: mean (9000*100 + 1000*1000192) / 10000 */
	cr_expect_float_eq(hist_mean(&h), 100109.2, 1e-9);
	/* sqrt(0.9 * 100009.2^2 + 0.1 * 900082.8^2) */
	cr_expect_float_eq(hist_stddev(&h), 300027.6, 1e-6);
}

/* hdr_value_at_percentile: percentile 0 gives the lowest equivalent value, any other the highest */
Test(hist, percentile_zero_is_lowest, .init = hist_setup, .fini = hist_teardown)
{
	hist_record(&h, 5001);
	hist_record(&h, 1000000);
	cr_expect_eq(hist_value_at_percentile(&h, 0), 5000);
	cr_expect_eq(hist_value_at_percentile(&h, 1e-9), 5003);
	cr_expect_eq(hist_value_at_percentile(&h, 50), 5003);
	cr_expect_eq(hist_value_at_percentile(&h, 75), 1000447);
	cr_expect_eq(hist_min(&h), 5000);
}

Test(hist, mean_stddev_exact, .init = hist_setup, .fini = hist_teardown)
{
	for (uint64_t v = 1; v <= 4; v++)
		hist_record(&h, v);
	cr_expect_eq(hist_mean(&h), 2.5);
	cr_expect_float_eq(hist_stddev(&h), sqrt(1.25), 1e-12);
	hist_record(&h, 2049);  /* median of [2048, 2049] is 2049 */
	cr_expect_eq(hist_mean(&h), (1 + 2 + 3 + 4 + 2049) / 5.0);
}

Test(hist, zero_values, .init = hist_setup, .fini = hist_teardown)
{
	hist_record(&h, 0);
	hist_record(&h, 0);
	hist_record(&h, 0);
	cr_expect_eq(hist_count(&h), 3);
	cr_expect_eq(h.counts[0], 3);
	cr_expect_eq(hist_min(&h), 0);
	cr_expect_eq(hist_max(&h), 0);
	cr_expect_eq(hist_value_at_percentile(&h, 50), 0);
	cr_expect_eq(hist_value_at_percentile(&h, 100), 0);
	cr_expect_eq(hist_mean(&h), 0.0);
	cr_expect_eq(hist_stddev(&h), 0.0);
	hist_record(&h, 5000);
	cr_expect_eq(hist_min(&h), 0);
	cr_expect_eq(hist_max(&h), 5003);
	cr_expect_eq(hist_value_at_percentile(&h, 80), 0);  /* round(3.2) = 3 */
	cr_expect_eq(hist_value_at_percentile(&h, 90), 5003); /* round(3.6) = 4 */
}

Test(hist, empty, .init = hist_setup, .fini = hist_teardown)
{
	cr_expect_eq(hist_count(&h), 0);
	cr_expect_eq(hist_min(&h), 0);
	cr_expect_eq(hist_max(&h), 0);
	cr_expect_eq(hist_mean(&h), 0.0);
	cr_expect_eq(hist_stddev(&h), 0.0);
	cr_expect_eq(hist_value_at_percentile(&h, 50), 0);
	cr_expect_eq(hist_value_at_percentile(&h, 0), 0);
}

Test(hist, clamps_above_highest, .init = hist_setup, .fini = hist_teardown)
{
	hist_record(&h, HIST_HIGHEST);
	cr_expect_eq(h.nr_clamped, 0);
	hist_record(&h, HIST_HIGHEST + 1);
	hist_record(&h, UINT64_MAX);
	hist_record_n(&h, 1ull << 62, 5);
	hist_record_n(&h, 10, 2);
	cr_expect_eq(h.nr_clamped, 7);
	cr_expect_eq(hist_count(&h), 10);
	cr_expect_eq(h.counts[hist_counts_index(&h, HIST_HIGHEST)], 8);
	cr_expect_eq(hist_max(&h), 3601330077695ull);
	cr_expect_eq(hist_value_at_percentile(&h, 100), 3601330077695ull);
	cr_expect_eq(hist_value_at_percentile(&h, 20), 10);
	cr_expect_eq(hist_min(&h), 10);
	hist_record_n(&h, 7, 0);  /* records nothing */
	cr_expect_eq(hist_count(&h), 10);
	cr_expect_eq(hist_min(&h), 10);
}

Test(hist, reset, .init = hist_setup, .fini = hist_teardown)
{
	hist_record(&h, 5);
	hist_record(&h, UINT64_MAX);
	hist_reset(&h);
	cr_expect_eq(hist_count(&h), 0);
	cr_expect_eq(h.nr_clamped, 0);
	cr_expect_eq(hist_max(&h), 0);
	for (int32_t i = 0; i < h.counts_len; i++)
		cr_assert_eq(h.counts[i], 0, "counts[%d]", i);
	hist_record(&h, 42);
	cr_expect_eq(hist_value_at_percentile(&h, 50), 42);
}

/* Adding two halves gives the histogram of the whole, counter for counter. */
Test(hist, add, .init = hist_setup, .fini = hist_teardown)
{
	hist_t a, b;
	prng_t r;

	cr_assert_eq(hist_init(&a, HIST_HIGHEST, HIST_SIGFIGS), 0);
	cr_assert_eq(hist_init(&b, HIST_HIGHEST, HIST_SIGFIGS), 0);
	prng_seed(&r, 3);
	for (int i = 0; i < 20000; i++) {
		uint64_t v = prng_below(&r, 1ull << prng_range(&r, 0, 43));

		hist_record(&h, v);
		hist_record(i & 1 ? &a : &b, v);
	}
	cr_expect_gt(h.nr_clamped, 0);
	cr_assert_eq(hist_add(&a, &b), 0);
	cr_expect_eq(hist_count(&a), hist_count(&h));
	cr_expect_eq(a.nr_clamped, h.nr_clamped);
	cr_expect_eq(memcmp(a.counts, h.counts, (size_t)h.counts_len * sizeof(*h.counts)), 0);
	cr_expect_eq(hist_value_at_percentile(&a, 99), hist_value_at_percentile(&h, 99));
	cr_expect_eq(hist_mean(&a), hist_mean(&h));
	hist_destroy(&b);

	/* another geometry: refused, dst unchanged */
	cr_assert_eq(hist_init(&b, HIST_HIGHEST, 2), 0);
	hist_record(&b, 1);
	cr_expect_eq(hist_add(&a, &b), -1);
	hist_destroy(&b);
	cr_assert_eq(hist_init(&b, 1000000, HIST_SIGFIGS), 0);
	cr_expect_eq(hist_add(&a, &b), -1);
	hist_destroy(&b);
	cr_expect_eq(hist_add(&a, &b), -1);  /* b destroyed */
	cr_expect_eq(hist_count(&a), hist_count(&h));
	hist_destroy(&a);
}

/*
 * hdr_percentiles_print on 0 1 1000 2047 2049 2051 4097 1e6 1e6 3.6e12,
 * followed step by step (percentile_iter_next, ticks_per_half_distance 5):
 * the step is 100 / (5 * 2^(floor(log2(100 / (100 - p))) + 1)): 10 below 50%,
 * 5 to 75%, 2.5 to 87.5%, 1.25 to 93.75%.  A non-empty counter reports every
 * step up to its cumulative percentile: counter 0 (10%) reports 0% and 10%;
 * 1, 1000, 2047 report 20, 30, 40%; [2048, 2049] 50%; [2050, 2051] (60%) 55
 * and 60%; [4096, 4099] (70%) 65 and 70%; [999936, 1000447] (90%) 75, 77.5,
 * ..., 87.5, 88.75, 90%; the last counter [3599182594048, 3601330077695]
 * 91.25%, then the closing 100% line (1/(1-1) = inf).  Mean of the medians
 * (value, 2049, 2051, 4098, 1000192 twice, 3600256335872) = 3600258347502/10;
 * max = highest equivalent of 3.6e12.
 */
static const char hgrm_ten[] =
	"       Value   Percentile   TotalCount 1/(1-Percentile)\n"
	"\n"
	"       0.000     0.000000            1         1.00\n"
	"       0.000     0.100000            1         1.11\n"
	"       1.000     0.200000            2         1.25\n"
	"    1000.000     0.300000            3         1.43\n"
	"    2047.000     0.400000            4         1.67\n"
	"    2049.000     0.500000            5         2.00\n"
	"    2051.000     0.550000            6         2.22\n"
	"    2051.000     0.600000            6         2.50\n"
	"    4099.000     0.650000            7         2.86\n"
	"    4099.000     0.700000            7         3.33\n"
	" 1000447.000     0.750000            9         4.00\n"
	" 1000447.000     0.775000            9         4.44\n"
	" 1000447.000     0.800000            9         5.00\n"
	" 1000447.000     0.825000            9         5.71\n"
	" 1000447.000     0.850000            9         6.67\n"
	" 1000447.000     0.875000            9         8.00\n"
	" 1000447.000     0.887500            9         8.89\n"
	" 1000447.000     0.900000            9        10.00\n"
	"3601330077695.000     0.912500           10        11.43\n"
	"3601330077695.000     1.000000           10          inf\n"
	"#[Mean    = 360025834750.200, StdDeviation   = 1080076833707.339]\n"
	"#[Max     = 3601330077695.000, Total count    =           10]\n"
	"#[Buckets =           32, SubBuckets     =         2048]\n";

static const uint64_t ten_values[] = {
	0, 1, 1000, 2047, 2049, 2051, 4097, 1000000, 1000000, HIST_HIGHEST,
};

Test(hist, hgrm_text, .init = hist_setup, .fini = hist_teardown)
{
	for (size_t i = 0; i < sizeof(ten_values) / sizeof(ten_values[0]); i++)
		hist_record(&h, ten_values[i]);
	char *text = hgrm_text(&h, 1.0);
	cr_expect_str_eq(text, hgrm_ten);
	free(text);
}

/* The same values in another order, or recorded as two added halves: same bytes. */
Test(hist, hgrm_deterministic, .init = hist_setup, .fini = hist_teardown)
{
	hist_t a, b;
	size_t n = sizeof(ten_values) / sizeof(ten_values[0]);

	cr_assert_eq(hist_init(&a, HIST_HIGHEST, HIST_SIGFIGS), 0);
	cr_assert_eq(hist_init(&b, HIST_HIGHEST, HIST_SIGFIGS), 0);
	for (size_t i = 0; i < n; i++) {
		hist_record(&h, ten_values[n - 1 - i]);
		hist_record(i < n / 2 ? &a : &b, ten_values[i]);
	}
	cr_assert_eq(hist_add(&a, &b), 0);
	char *t1 = hgrm_text(&h, 1.0), *t2 = hgrm_text(&a, 1.0), *t3 = hgrm_text(&h, 1.0);
	cr_expect_str_eq(t1, hgrm_ten);
	cr_expect_str_eq(t2, hgrm_ten);
	cr_expect_str_eq(t3, hgrm_ten);
	free(t1);
	free(t2);
	free(t3);
	hist_destroy(&a);
	hist_destroy(&b);
}

/*
 * 2 figures (sub_bucket_count 256, 2 decimals), highest 1e6, scale 10:
 * 10 and 20 exact; 300 in [300, 301], 333 in [332, 333] (bucket 1, step 2).
 * Steps 0..50 by 10 (10 covers 0-20%, 20 30-50%), 55..75 by 5 at 301
 * (75%), 77.5 at 333 (100%), then 100%.  Mean (10+20+301+333)/4 = 166,
 * stddev sqrt((156^2 + 146^2 + 135^2 + 167^2) / 4) = 151.464; all / 10.
 */
Test(hist, hgrm_text_scaled)
{
	static const char want[] =
		"       Value   Percentile   TotalCount 1/(1-Percentile)\n"
		"\n"
		"        1.00     0.000000            1         1.00\n"
		"        1.00     0.100000            1         1.11\n"
		"        1.00     0.200000            1         1.25\n"
		"        2.00     0.300000            2         1.43\n"
		"        2.00     0.400000            2         1.67\n"
		"        2.00     0.500000            2         2.00\n"
		"       30.10     0.550000            3         2.22\n"
		"       30.10     0.600000            3         2.50\n"
		"       30.10     0.650000            3         2.86\n"
		"       30.10     0.700000            3         3.33\n"
		"       30.10     0.750000            3         4.00\n"
		"       33.30     0.775000            4         4.44\n"
		"       33.30     1.000000            4          inf\n"
		"#[Mean    =       16.600, StdDeviation   =       15.146]\n"
		"#[Max     =       33.300, Total count    =            4]\n"
		"#[Buckets =           13, SubBuckets     =          256]\n";
	hist_t g;

	cr_assert_eq(hist_init(&g, 1000000, 2), 0);
	hist_record(&g, 333);
	hist_record(&g, 10);
	hist_record(&g, 300);
	hist_record(&g, 20);
	char *text = hgrm_text(&g, 10.0);
	cr_expect_str_eq(text, want);
	free(text);
	hist_destroy(&g);
}

/*
 * Empty: the iterator's first call has no next value and reports 100% with
 * value 0 and count 0; mean and stddev print 0 (HdrHistogram_c: NaN).
 */
Test(hist, hgrm_empty, .init = hist_setup, .fini = hist_teardown)
{
	static const char want[] =
		"       Value   Percentile   TotalCount 1/(1-Percentile)\n"
		"\n"
		"       0.000     1.000000            0          inf\n"
		"#[Mean    =        0.000, StdDeviation   =        0.000]\n"
		"#[Max     =        0.000, Total count    =            0]\n"
		"#[Buckets =           32, SubBuckets     =         2048]\n";
	char *text = hgrm_text(&h, 1.0);

	cr_expect_str_eq(text, want);
	free(text);
}

Test(hist, hgrm_errors, .init = hist_setup, .fini = hist_teardown)
{
	hist_t zeroed;
	FILE *f = fopen("/dev/full", "w");

	memset(&zeroed, 0, sizeof(zeroed));
	cr_assert_not_null(f);
	setvbuf(f, NULL, _IONBF, 0);
	hist_record(&h, 1);
	cr_expect_eq(hist_write_hgrm(&h, f, 1.0), -1);
	cr_expect_eq(hist_write_hgrm(&h, f, 0.0), -1);
	cr_expect_eq(hist_write_hgrm(&h, f, NAN), -1);
	cr_expect_eq(hist_write_hgrm(&zeroed, f, 1.0), -1);
	fclose(f);
}

Test(hist, save_hgrm, .init = hist_setup, .fini = hist_teardown)
{
	char dir[] = "/tmp/mmbench-test-hist-XXXXXX", path[128], tmp[160], err[256] = "";
	char buf[4096];

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/lat.hgrm", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	for (size_t i = 0; i < sizeof(ten_values) / sizeof(ten_values[0]); i++)
		hist_record(&h, ten_values[i]);
	cr_assert_eq(hist_save_hgrm(&h, path, 1.0, err, sizeof(err)), 0, "%s", err);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	cr_expect_str_eq(buf, hgrm_ten);
	cr_expect_neq(access(tmp, F_OK), 0);  /* renamed away */
	unlink(path);
	rmdir(dir);

	/* a directory that does not exist: the message names the path */
	snprintf(path, sizeof(path), "%s/no/such/dir/lat.hgrm", dir);
	cr_expect_eq(hist_save_hgrm(&h, path, 1.0, err, sizeof(err)), -1);
	cr_expect_not_null(strstr(err, "/no/such/dir/lat.hgrm"), "%s", err);
	/* a bad scale: nothing left behind */
	cr_assert_not_null(mkdtemp(strcpy(dir, "/tmp/mmbench-test-hist-XXXXXX")));
	snprintf(path, sizeof(path), "%s/lat.hgrm", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	cr_expect_eq(hist_save_hgrm(&h, path, -1.0, err, sizeof(err)), -1);
	cr_expect_not_null(strstr(err, path), "%s", err);
	cr_expect_neq(access(path, F_OK), 0);
	cr_expect_neq(access(tmp, F_OK), 0);
	rmdir(dir);
}

/*
 * hist_record()'s fast path (values below sub_bucket_count go to counts[v])
 * must put every value where the general index arithmetic does, and clamp
 * as before when highest lies inside the first bucket.
 */
Test(hist, record_fast_path_matches_index, .init = hist_setup, .fini = hist_teardown)
{
	hist_t g, small, small_g;

	cr_assert_eq(hist_init(&g, HIST_HIGHEST, HIST_SIGFIGS), 0);
	cr_expect_eq(h.fast_max, 2047);
	for (uint64_t v = 0; v < 5000; v++) {
		hist_record(&h, v);
		hist_record_n(&g, v, 1);        /* always hist_counts_index() */
	}
	hist_record(&h, HIST_HIGHEST + 1);
	hist_record_n(&g, HIST_HIGHEST + 1, 1);
	cr_expect_eq(h.total_count, g.total_count);
	cr_expect_eq(h.nr_clamped, 1);
	cr_expect_eq(memcmp(h.counts, g.counts, (size_t)h.counts_len * sizeof(*h.counts)), 0);
	for (uint64_t v = 0; v < 2048; v++)
		cr_assert_eq(hist_counts_index(&h, v), (int32_t)v);

	/* highest 100: 500 is clamped to 100, not counted at 500 */
	cr_assert_eq(hist_init(&small, 100, HIST_SIGFIGS), 0);
	cr_assert_eq(hist_init(&small_g, 100, HIST_SIGFIGS), 0);
	cr_expect_eq(small.fast_max, 100);
	for (uint64_t v = 0; v < 600; v += 50) {
		hist_record(&small, v);
		hist_record_n(&small_g, v, 1);
	}
	cr_expect_eq(small.nr_clamped, 9);      /* 150 .. 550 */
	cr_expect_eq(small.counts[100], 10);    /* 100 and the nine clamped */
	cr_expect_eq(small.counts[500], 0);
	cr_expect_eq(memcmp(small.counts, small_g.counts,
			    (size_t)small.counts_len * sizeof(*small.counts)), 0);
	hist_destroy(&g);
	hist_destroy(&small);
	hist_destroy(&small_g);
}
