/*
 * hist.c - log-linear latency histograms (see hist.h).  Each function names
 * the HdrHistogram_c function (src/hdr_histogram.c) whose arithmetic it
 * follows; floating-point expressions are kept in the same order so that the
 * printed digits match.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bench/hist.h"

/*
 * buckets_needed_to_cover_value(): buckets of sub_bucket_count << unit
 * magnitude, doubling, until one starts above value (one more when the
 * doubling would pass INT64_MAX).
 */
static int32_t buckets_needed_to_cover_value(uint64_t value, int32_t sub_bucket_count,
					     int32_t unit_magnitude)
{
	uint64_t smallest_untrackable_value = (uint64_t)sub_bucket_count << unit_magnitude;
	int32_t buckets_needed = 1;

	while (smallest_untrackable_value <= value) {
		if (smallest_untrackable_value > INT64_MAX / 2)
			return buckets_needed + 1;
		smallest_untrackable_value <<= 1;
		buckets_needed++;
	}
	return buckets_needed;
}

/* hdr_calculate_bucket_config() + hdr_init() with lowest discernible value 1 */
int hist_init(hist_t *h, uint64_t highest, int sigfigs)
{
	int32_t sub_bucket_count_magnitude = 0;
	uint64_t largest_value_with_single_unit_resolution = 2;

	memset(h, 0, sizeof(*h));
	if (sigfigs < 1 || sigfigs > 5 || highest < 2 || highest > INT64_MAX)
		return -1;
	for (int i = 0; i < sigfigs; i++)
		largest_value_with_single_unit_resolution *= 10;
	/* ceil(log2(2 * 10^sigfigs)); never an exact power of two */
	while ((1ull << sub_bucket_count_magnitude) < largest_value_with_single_unit_resolution)
		sub_bucket_count_magnitude++;

	h->highest = highest;
	h->significant_figures = sigfigs;
	h->unit_magnitude = 0;
	h->sub_bucket_half_count_magnitude =
		(sub_bucket_count_magnitude > 1 ? sub_bucket_count_magnitude : 1) - 1;
	h->sub_bucket_count = 1 << (h->sub_bucket_half_count_magnitude + 1);
	h->sub_bucket_half_count = h->sub_bucket_count / 2;
	h->sub_bucket_mask = (uint64_t)(h->sub_bucket_count - 1) << h->unit_magnitude;
	h->bucket_shift = h->unit_magnitude + h->sub_bucket_half_count_magnitude + 1;
	/* index == value below sub_bucket_count only while unit_magnitude is 0 */
	h->fast_max = h->sub_bucket_mask < highest ? h->sub_bucket_mask : highest;
	h->bucket_count = buckets_needed_to_cover_value(highest, h->sub_bucket_count,
							h->unit_magnitude);
	h->counts_len = (h->bucket_count + 1) * h->sub_bucket_half_count;
	h->counts = calloc((size_t)h->counts_len, sizeof(*h->counts));
	if (!h->counts) {
		memset(h, 0, sizeof(*h));
		return -1;
	}
	return 0;
}

void hist_destroy(hist_t *h)
{
	free(h->counts);
	memset(h, 0, sizeof(*h));
}

/* hdr_reset() */
void hist_reset(hist_t *h)
{
	if (h->counts)
		memset(h->counts, 0, (size_t)h->counts_len * sizeof(*h->counts));
	h->total_count = 0;
	h->nr_clamped = 0;
}

/* hdr_record_values(), clamping instead of refusing */
void hist_record_n(hist_t *h, uint64_t v, uint64_t n)
{
	if (v > h->highest) {
		v = h->highest;
		h->nr_clamped += n;
	}
	h->counts[hist_counts_index(h, v)] += n;
	h->total_count += n;
}

/* hdr_value_at_index() */
uint64_t hist_value_at_index(const hist_t *h, int32_t index)
{
	int32_t bucket_index = (index >> h->sub_bucket_half_count_magnitude) - 1;
	int32_t sub_bucket_index = (index & (h->sub_bucket_half_count - 1)) + h->sub_bucket_half_count;

	if (bucket_index < 0) {
		sub_bucket_index -= h->sub_bucket_half_count;
		bucket_index = 0;
	}
	return (uint64_t)sub_bucket_index << (bucket_index + h->unit_magnitude);
}

/* get_bucket_index() */
static int32_t get_bucket_index(const hist_t *h, uint64_t v)
{
	return 64 - __builtin_clzll(v | h->sub_bucket_mask) - h->bucket_shift;
}

/* lowest_equivalent_value(): v with the bits below its sub-bucket cleared */
uint64_t hist_lowest_equivalent_value(const hist_t *h, uint64_t v)
{
	int32_t shift = get_bucket_index(h, v) + h->unit_magnitude;

	return (v >> shift) << shift;
}

/* hdr_size_of_equivalent_value_range() */
uint64_t hist_size_of_equivalent_value_range(const hist_t *h, uint64_t v)
{
	int32_t bucket_index = get_bucket_index(h, v);
	int32_t sub_bucket_index = (int32_t)(v >> (bucket_index + h->unit_magnitude));
	int32_t adjusted_bucket = sub_bucket_index >= h->sub_bucket_count ? bucket_index + 1
									  : bucket_index;

	return 1ull << (h->unit_magnitude + adjusted_bucket);
}

/* highest_equivalent_value(): hdr_next_non_equivalent_value() - 1 */
uint64_t hist_highest_equivalent_value(const hist_t *h, uint64_t v)
{
	return hist_lowest_equivalent_value(h, v) + hist_size_of_equivalent_value_range(h, v) - 1;
}

/* hdr_median_equivalent_value() */
uint64_t hist_median_equivalent_value(const hist_t *h, uint64_t v)
{
	return hist_lowest_equivalent_value(h, v) + (hist_size_of_equivalent_value_range(h, v) >> 1);
}

uint64_t hist_count(const hist_t *h)
{
	return h->total_count;
}

/* hdr_min(): counts_index grows with the value, so the first non-zero counter */
uint64_t hist_min(const hist_t *h)
{
	if (h->total_count == 0 || h->counts[0] > 0)
		return 0;
	for (int32_t i = 1; i < h->counts_len; i++)
		if (h->counts[i])
			return hist_value_at_index(h, i);
	return 0;
}

/*
 * The last non-zero counter, -1 when empty: where the running count reaches
 * total_count (the sum of the counters), found from below - replay's values
 * sit in the first few thousand of the counters.
 */
static int32_t hist_last_index(const hist_t *h)
{
	uint64_t seen = 0;
	int32_t i;

	if (h->total_count == 0)
		return -1;
	for (i = 0; i < h->counts_len - 1; i++) {
		seen += h->counts[i];
		if (seen >= h->total_count)
			break;
	}
	return i;
}

/* hdr_max(): the last non-zero counter */
uint64_t hist_max(const hist_t *h)
{
	int32_t last = hist_last_index(h);

	return last > 0 ? hist_highest_equivalent_value(h, hist_value_at_index(h, last)) : 0;
}

/*
 * hdr_mean(): sum of count * median equivalent value over the counters,
 * divided by the count.  HdrHistogram sums in int64_t; 128 bits give the same
 * sum wherever that one does not overflow.
 */
double hist_mean(const hist_t *h)
{
	unsigned __int128 total = 0;
	int32_t last = hist_last_index(h);

	if (last < 0)
		return 0.0;
	for (int32_t i = 0; i <= last; i++)
		if (h->counts[i])
			total += (unsigned __int128)h->counts[i] *
				 hist_median_equivalent_value(h, hist_value_at_index(h, i));
	return ((double)total * 1.0) / (double)h->total_count;
}

/* hdr_stddev() */
double hist_stddev(const hist_t *h)
{
	double mean, geometric_dev_total = 0.0;
	int32_t last = hist_last_index(h);

	if (last < 0)
		return 0.0;
	mean = hist_mean(h);
	for (int32_t i = 0; i <= last; i++) {
		if (h->counts[i]) {
			uint64_t median = hist_median_equivalent_value(h, hist_value_at_index(h, i));
			double dev = ((double)median * 1.0) - mean;

			geometric_dev_total += (dev * dev) * (double)h->counts[i];
		}
	}
	return sqrt(geometric_dev_total / (double)h->total_count);
}

/* hdr_value_at_percentile() and get_value_from_idx_up_to_count() */
uint64_t hist_value_at_percentile(const hist_t *h, double percentile)
{
	double requested_percentile = percentile < 100.0 ? percentile : 100.0;
	uint64_t count_at_percentile, count_to_idx = 0, value_from_idx = 0;

	/* below 0 asks for the first value, as HdrHistogram's "at least 1" */
	if (!(requested_percentile > 0.0))
		requested_percentile = 0.0;
	count_at_percentile =
		(uint64_t)(((requested_percentile / 100) * (double)h->total_count) + 0.5);
	if (count_at_percentile < 1)
		count_at_percentile = 1;
	for (int32_t i = 0; i < h->counts_len; i++) {
		count_to_idx += h->counts[i];
		if (count_to_idx >= count_at_percentile) {
			value_from_idx = hist_value_at_index(h, i);
			break;
		}
	}
	if (percentile == 0.0)
		return hist_lowest_equivalent_value(h, value_from_idx);
	return hist_highest_equivalent_value(h, value_from_idx);
}

/* hdr_add(), counter by counter: same geometry, so every value keeps its index */
int hist_add(hist_t *dst, const hist_t *src)
{
	if (!dst->counts || !src->counts || dst->highest != src->highest ||
	    dst->significant_figures != src->significant_figures)
		return -1;
	for (int32_t i = 0; i < dst->counts_len; i++)
		dst->counts[i] += src->counts[i];
	dst->total_count += src->total_count;
	dst->nr_clamped += src->nr_clamped;
	return 0;
}

/*
 * The percentile iterator (struct hdr_iter with hdr_iter_percentiles): walks
 * the counters and stops at each percentile step, the steps halving their
 * size every time the distance to 100% halves.
 */
struct hist_iter {
	const hist_t *h;                /* histogram walked */
	int32_t counts_index;           /* current counter; -1 before the first */
	uint64_t count;                 /* count at counts_index */
	uint64_t cumulative_count;      /* counts at 0..counts_index */
	uint64_t value;                 /* hist_value_at_index(counts_index) */
	uint64_t highest_equivalent_value; /* of value: the figure printed */
	int32_t ticks_per_half_distance; /* percentile steps per halving of 100 - p */
	double percentile_to_iterate_to; /* next step, % */
	double percentile;              /* step reached, %: the figure printed */
	bool seen_last_value;           /* the closing 100% step was returned */
};

/* hdr_iter_percentile_init() */
static void hist_iter_percentile_init(struct hist_iter *iter, const hist_t *h,
				      int32_t ticks_per_half_distance)
{
	memset(iter, 0, sizeof(*iter));
	iter->h = h;
	iter->counts_index = -1;
	iter->ticks_per_half_distance = ticks_per_half_distance;
}

/* move_next() */
static bool hist_iter_move_next(struct hist_iter *iter)
{
	iter->counts_index++;
	if (iter->counts_index >= iter->h->counts_len)
		return false;
	iter->count = iter->h->counts[iter->counts_index];
	iter->cumulative_count += iter->count;
	iter->value = hist_value_at_index(iter->h, iter->counts_index);
	iter->highest_equivalent_value = hist_highest_equivalent_value(iter->h, iter->value);
	return true;
}

/* has_next() */
static bool hist_iter_has_next(const struct hist_iter *iter)
{
	return iter->cumulative_count < iter->h->total_count;
}

/* basic_iter_next() */
static bool hist_iter_basic_next(struct hist_iter *iter)
{
	if (!hist_iter_has_next(iter) || iter->counts_index >= iter->h->counts_len)
		return false;
	hist_iter_move_next(iter);
	return true;
}

/*
 * percentile_iter_next(): stop at a non-empty counter once the running count
 * reaches the next step; a counter may serve several steps.  After the last
 * value, one more step reports 100%.  The step after p is
 * 100 / (ticks * 2^(floor(log2(100 / (100 - p))) + 1)), computed with log()
 * and pow() exactly as HdrHistogram does.
 */
static bool hist_iter_percentile_next(struct hist_iter *iter)
{
	int64_t temp, half_distance, percentile_reporting_ticks;

	if (!hist_iter_has_next(iter)) {
		if (iter->seen_last_value)
			return false;
		iter->seen_last_value = true;
		iter->percentile = 100.0;
		return true;
	}
	if (iter->counts_index == -1 && !hist_iter_basic_next(iter))
		return false;
	do {
		double current_percentile =
			(100.0 * (double)iter->cumulative_count) / (double)iter->h->total_count;

		if (iter->count != 0 && iter->percentile_to_iterate_to <= current_percentile) {
			iter->percentile = iter->percentile_to_iterate_to;
			temp = (int64_t)(log(100 / (100.0 - iter->percentile_to_iterate_to)) /
					 log(2)) + 1;
			half_distance = (int64_t)pow(2, (double)temp);
			percentile_reporting_ticks = iter->ticks_per_half_distance * half_distance;
			iter->percentile_to_iterate_to += 100.0 / (double)percentile_reporting_ticks;
			return true;
		}
	} while (hist_iter_basic_next(iter));
	return true;
}

/* hdr_percentiles_print(h, f, 5, value_scale, CLASSIC) */
int hist_write_hgrm(const hist_t *h, FILE *f, double value_scale)
{
	struct hist_iter iter;
	int rc = 0;

	if (!h->counts || !(value_scale > 0.0)) {
		errno = EINVAL;
		return -1;
	}
	if (fprintf(f, "%12s %12s %12s %12s\n\n", "Value", "Percentile", "TotalCount",
		    "1/(1-Percentile)") < 0)
		rc = -1;
	hist_iter_percentile_init(&iter, h, 5);
	while (rc == 0 && hist_iter_percentile_next(&iter)) {
		double value = (double)iter.highest_equivalent_value / value_scale;
		double percentile = iter.percentile / 100.0;
		double inverted_percentile = (1.0 / (1.0 - percentile));

		if (fprintf(f, "%12.*f %12f %12" PRIu64 " %12.2f\n", h->significant_figures, value,
			    percentile, iter.cumulative_count, inverted_percentile) < 0)
			rc = -1;
	}
	if (rc == 0 &&
	    fprintf(f,
		    "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n"
		    "#[Max     = %12.3f, Total count    = %12" PRIu64 "]\n"
		    "#[Buckets = %12d, SubBuckets     = %12d]\n",
		    hist_mean(h) / value_scale, hist_stddev(h) / value_scale,
		    (double)hist_max(h) / value_scale, h->total_count, (int)h->bucket_count,
		    (int)h->sub_bucket_count) < 0)
		rc = -1;
	if (ferror(f))
		rc = -1;
	if (rc && !errno)
		errno = EIO;
	return rc;
}

int hist_save_hgrm(const hist_t *h, const char *path, double value_scale, char *err,
		   size_t errlen)
{
	char tmp[4200];
	FILE *f;
	int rc, saved_errno = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	f = fopen(tmp, "w");
	if (!f) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	errno = 0;
	rc = hist_write_hgrm(h, f, value_scale);
	if (rc)
		saved_errno = errno ? errno : EIO;
	if (fclose(f) != 0 && rc == 0) {
		rc = -1;
		saved_errno = errno ? errno : EIO;
	}
	if (rc == 0 && rename(tmp, path) != 0) {
		rc = -1;
		saved_errno = errno;
	}
	if (rc) {
		snprintf(err, errlen, "%s: %s", path, strerror(saved_errno));
		remove(tmp);
	}
	return rc;
}
