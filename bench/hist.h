/*
 * hist.h - log-linear latency histograms with HdrHistogram's bucket geometry,
 * written in HdrHistogram's percentile text format (.hgrm).
 *
 * mmbench records one latency per event (host ns measured, modeled ns) into a
 * hist_t and writes it as hdr_percentiles_print(h, f, 5, scale, CLASSIC) of
 * HdrHistogram_c (src/hdr_histogram.c) prints it for the same values, so the
 * usual HdrHistogram plotters read our files.  No C HdrHistogram package
 * exists in Debian; this is our own implementation of its arithmetic.
 *
 * Geometry (hdr_calculate_bucket_config, lowest discernible value 1):
 *
 *   sub_bucket_count  = 2^ceil(log2(2 * 10^sigfigs))       2048 for 3 figures
 *   bucket b covers   [sub_bucket_count/2 << b, sub_bucket_count << b)
 *                     (bucket 0 covers [0, sub_bucket_count)) in steps of 2^b
 *   bucket_count      = buckets needed so that sub_bucket_count << (n - 1)
 *                       exceeds highest (buckets_needed_to_cover_value)
 *   counts_len        = (bucket_count + 1) * sub_bucket_count / 2
 *
 * so any value is kept to within 1 part in 10^sigfigs (values below
 * sub_bucket_count exactly).  3 figures up to HIST_HIGHEST: 32 buckets,
 * 33,792 counters, 264 KiB.  An index's "equivalent value range" is the set
 * of values that share its counter; lowest/highest/median_equivalent_value
 * are its ends and middle, as in HdrHistogram.
 *
 * Differences from HdrHistogram_c, all deliberate:
 *  - values above highest are recorded as highest and counted in nr_clamped
 *    (hdr_record_value refuses them);
 *  - min and max are found by scanning the counters (the recording path
 *    keeps no min/max), which gives the same answers as hdr_min/hdr_max;
 *  - an empty histogram has min, mean and stddev 0 (HdrHistogram_c gives
 *    INT64_MAX and NaN, whose printed sign depends on the CPU; the Java
 *    HdrHistogram gives 0), so an empty .hgrm is the same on every machine;
 *  - the TotalCount column prints the full 64-bit count (HdrHistogram_c
 *    passes an int64_t to "%12d", which prints the low 32 bits on x86-64);
 *    the same for counts below 2^31.
 *
 * A hist_t belongs to one thread; nothing here locks.
 */
#ifndef MMBENCH_HIST_H
#define MMBENCH_HIST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HIST_SIGFIGS 3
#define HIST_HIGHEST 3600000000000ull   /* 1 hour in ns: the largest trackable value */

typedef struct hist {
	uint64_t *counts;               /* counts_len counters, heap; NULL when not initialised */
	uint64_t total_count;           /* values recorded, clamped ones included */
	uint64_t nr_clamped;            /* values above highest, recorded as highest */
	uint64_t highest;               /* highest_trackable_value, >= 2 */
	uint64_t sub_bucket_mask;       /* (sub_bucket_count - 1) << unit_magnitude */
	uint64_t fast_max;              /* min(sub_bucket_mask, highest): hist_record()'s fast path */
	int32_t unit_magnitude;         /* log2(lowest discernible value) = 0 */
	int32_t bucket_shift;           /* unit_magnitude + sub_bucket_half_count_magnitude + 1 */
	int32_t sub_bucket_half_count_magnitude; /* log2(sub_bucket_half_count) */
	int32_t sub_bucket_half_count;  /* sub_bucket_count / 2 */
	int32_t sub_bucket_count;       /* counters per bucket: 2^ceil(log2(2 * 10^sigfigs)) */
	int32_t bucket_count;           /* buckets that cover 0..highest */
	int32_t counts_len;             /* (bucket_count + 1) * sub_bucket_half_count */
	int32_t significant_figures;    /* decimal digits kept, 1..5 */
} hist_t;

/*
 * An empty histogram for values 0..highest (ns, or any integer unit) kept to
 * sigfigs significant decimal digits; lowest discernible value 1.  Returns 0,
 * or -1 when sigfigs is not 1..5, highest is below 2 or above INT64_MAX, or
 * the counters cannot be allocated; *h is then zeroed (hist_destroy is safe).
 */
int hist_init(hist_t *h, uint64_t highest, int sigfigs);

/* Free the counters and zero *h.  Safe on a zeroed or destroyed hist_t. */
void hist_destroy(hist_t *h);

/* Forget every recorded value (counts, total_count, nr_clamped to 0). */
void hist_reset(hist_t *h);

/*
 * counts_index_for(): the counter that value v (<= highest) goes to.
 * bucket = position of v's top bit, counted so that values below
 * sub_bucket_count land in bucket 0 (get_bucket_index); sub-bucket = v's top
 * bits (get_sub_bucket_index); buckets above 0 use only their upper half.
 */
static inline int32_t hist_counts_index(const hist_t *h, uint64_t v)
{
	int32_t bucket = 64 - __builtin_clzll(v | h->sub_bucket_mask) - h->bucket_shift;
	int32_t sub_bucket = (int32_t)(v >> (bucket + h->unit_magnitude));

	return ((bucket + 1) << h->sub_bucket_half_count_magnitude) + sub_bucket -
	       h->sub_bucket_half_count;
}

/* hist_record() above the first bucket: the clamp and the index arithmetic. */
static inline void hist_record_slow(hist_t *h, uint64_t v)
{
	uint64_t over = v > h->highest;

	h->nr_clamped += over;
	v = over ? h->highest : v;
	h->counts[hist_counts_index(h, v)]++;
	h->total_count++;
}

/*
 * Record one value v (ns or the histogram's unit; 0 is valid).  A value
 * above highest is recorded as highest and counted in nr_clamped.  The hot
 * path of replay, twice per event: values below sub_bucket_count (2048 ns
 * at 3 figures, nearly every event) are bucket 0, whose counter index is the
 * value itself (unit_magnitude is 0), so one well-predicted compare skips
 * the bit arithmetic of hist_counts_index() and the clamp (fast_max is at
 * most highest).
 */
static inline void hist_record(hist_t *h, uint64_t v)
{
	if (__builtin_expect(v <= h->fast_max, 1)) {
		h->counts[v]++;
		h->total_count++;
		return;
	}
	hist_record_slow(h, v);
}

/* Record value v n times (n == 0 records nothing); clamped as hist_record. */
void hist_record_n(hist_t *h, uint64_t v, uint64_t n);

/* hdr_value_at_index(): the lowest value counted at index (0..counts_len-1). */
uint64_t hist_value_at_index(const hist_t *h, int32_t index);

/*
 * The equivalent value range of v (v <= highest): lowest_equivalent_value,
 * highest_equivalent_value, median_equivalent_value (lowest + size / 2) and
 * hdr_size_of_equivalent_value_range (a power of two).
 */
uint64_t hist_lowest_equivalent_value(const hist_t *h, uint64_t v);
uint64_t hist_highest_equivalent_value(const hist_t *h, uint64_t v);
uint64_t hist_median_equivalent_value(const hist_t *h, uint64_t v);
uint64_t hist_size_of_equivalent_value_range(const hist_t *h, uint64_t v);

/* Values recorded (clamped ones included). */
uint64_t hist_count(const hist_t *h);

/*
 * Smallest value recorded, as its lowest equivalent value; 0 when a 0 was
 * recorded or the histogram is empty (hdr_min).  Scans the counters.
 */
uint64_t hist_min(const hist_t *h);

/*
 * highest_equivalent_value of the largest value recorded; 0 when empty or
 * only 0 was recorded (hdr_max).  Scans the counters.
 */
uint64_t hist_max(const hist_t *h);

/*
 * Mean of the recorded values, each taken as its median equivalent value
 * (hdr_mean; summed exactly in 128 bits).  0 when empty.
 */
double hist_mean(const hist_t *h);

/*
 * Population standard deviation about hist_mean, over median equivalent
 * values, summed in the order hdr_stddev sums (same bits).  0 when empty.
 */
double hist_stddev(const hist_t *h);

/*
 * hdr_value_at_percentile(): the value below which percentile % (0..100;
 * larger is 100) of the recorded values fall: the counter where the running
 * count reaches round(percentile / 100 * count) (at least 1), as its highest
 * equivalent value, or its lowest for percentile 0.  0 when empty.
 */
uint64_t hist_value_at_percentile(const hist_t *h, double percentile);

/*
 * Add every count of src to dst (hdr_add without re-recording: the two have
 * the same geometry).  Returns 0, or -1 (dst unchanged) when highest or
 * sigfigs differ or either is not initialised.
 */
int hist_add(hist_t *dst, const hist_t *src);

/*
 * Write h as hdr_percentiles_print(h, f, 5, value_scale, CLASSIC) does:
 * a header line, one line per percentile step (5 ticks per half distance to
 * 100%), then the "#[Mean ...]" footer; values are divided by value_scale
 * (1.0 for ns, 1000.0 for us).  Deterministic: the same counts give the same
 * bytes.  Returns 0, or -1 when value_scale is not > 0 or f reports a write
 * error.
 */
int hist_write_hgrm(const hist_t *h, FILE *f, double value_scale);

/*
 * Write h to path (hist_write_hgrm) through path.tmp renamed into place.
 * Returns 0, or -1 with a message naming the path in err (errlen bytes).
 */
int hist_save_hgrm(const hist_t *h, const char *path, double value_scale, char *err,
		   size_t errlen);

#endif /* MMBENCH_HIST_H */
