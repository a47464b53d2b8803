/*
 * test_clock.c - bench/clock.h's conversions: cyc2ns_exact() must return
 * exactly what cycles * 1000 / mhz does in uint64_t arithmetic (the modeled
 * histograms of replay are built from it and must not change by a single
 * count), and clock_ticks_to_ns() must follow ns_per_tick.
 */
#include <criterion/criterion.h>
#include <stdint.h>

#include "bench/clock.h"
#include "engine/prng.h"

TestSuite(clock);

static uint64_t by_division(uint64_t cycles, uint32_t mhz)
{
	return cycles * 1000u / mhz;
}

/* cycles values that stress the multiply: powers of two and their neighbours,
 * the edge of the multiply path (n = 2^50) and the wrap of cycles * 1000 */
static void check_edges(const struct cyc2ns *c, uint32_t mhz)
{
	for (int k = 0; k < 64; k++)
		for (int d = -2; d <= 2; d++) {
			uint64_t cyc = (1ull << k) + (uint64_t)(int64_t)d;

			cr_assert_eq(cyc2ns_exact(c, cyc), by_division(cyc, mhz),
				     "mhz %u cycles %llu", mhz, (unsigned long long)cyc);
		}
	for (uint64_t edge = (1ull << 50) / 1000 - 3; edge < (1ull << 50) / 1000 + 3; edge++)
		cr_assert_eq(cyc2ns_exact(c, edge), by_division(edge, mhz), "mhz %u", mhz);
	for (uint64_t m = 1; m < 4000; m++)     /* multiples of mhz and the values around */
		for (int d = -1; d <= 1; d++) {
			uint64_t cyc = m * mhz + (uint64_t)(int64_t)d;

			cr_assert_eq(cyc2ns_exact(c, cyc), by_division(cyc, mhz), "mhz %u", mhz);
		}
	cr_assert_eq(cyc2ns_exact(c, UINT64_MAX), by_division(UINT64_MAX, mhz));
	cr_assert_eq(cyc2ns_exact(c, UINT64_MAX / 1000 + 1), by_division(UINT64_MAX / 1000 + 1, mhz));
}

/* every cpu_mhz a policy can give (100..10000), against the division */
Test(clock, cyc2ns_exact_every_policy_mhz)
{
	prng_t r;

	prng_seed(&r, 7);
	for (uint32_t mhz = 100; mhz <= 10000; mhz++) {
		struct cyc2ns c;

		cyc2ns_init(&c, mhz);
		for (uint64_t cyc = 0; cyc < 3000; cyc++)       /* what one event costs */
			cr_assert_eq(cyc2ns_exact(&c, cyc), by_division(cyc, mhz),
				     "mhz %u cycles %llu", mhz, (unsigned long long)cyc);
		for (int i = 0; i < 200; i++) {
			uint64_t cyc = prng_next(&r) >> (prng_next(&r) % 64);

			cr_assert_eq(cyc2ns_exact(&c, cyc), by_division(cyc, mhz),
				     "mhz %u cycles %llu", mhz, (unsigned long long)cyc);
		}
	}
}

Test(clock, cyc2ns_exact_edges)
{
	static const uint32_t mhzs[] = { 1, 2, 3, 7, 100, 128, 1000, 1024, 2600, 3000, 4096,
					 9999, 10000, 16383, 16384 };

	for (size_t i = 0; i < sizeof(mhzs) / sizeof(mhzs[0]); i++) {
		struct cyc2ns c;

		cyc2ns_init(&c, mhzs[i]);
		check_edges(&c, mhzs[i]);
	}
}

Test(clock, ticks_to_ns)
{
	struct clock_cal cal = { .ns_per_tick = 1.0, .ns_mult = 1ull << 32 };

	/* without TSC a tick is a ns: the identity, however large */
	cr_assert_eq(clock_ticks_to_ns(&cal, 0), 0);
	cr_assert_eq(clock_ticks_to_ns(&cal, 12345), 12345);
	cr_assert_eq(clock_ticks_to_ns(&cal, UINT64_MAX), UINT64_MAX);

	/* a 2.6 GHz TSC: within 1 ns of the double product up to an hour */
	cal.ns_per_tick = 1.0 / 2.6;
	cal.ns_mult = (uint64_t)(cal.ns_per_tick * 4294967296.0 + 0.5);
	for (uint64_t t = 1; t < 9360000000000ull; t = t * 3 + 1) {
		double want = (double)t * cal.ns_per_tick;
		double got = (double)clock_ticks_to_ns(&cal, t);

		cr_assert(got <= want + 1e-6 * want + 1 && got >= want - 1e-6 * want - 1,
			  "ticks %llu: %f ns, want %f", (unsigned long long)t, got, want);
	}
	cr_assert_eq(clock_ticks_to_ns(&cal, 27), 10);      /* 10.38 ns, rounded down */
}

/* clock_calibrate() sets ns_mult from ns_per_tick, and a reading advances */
Test(clock, calibrate)
{
	struct clock_cal cal;

	clock_calibrate(&cal, 5);
	cr_assert_gt(cal.ns_per_tick, 0);
	cr_assert_eq(cal.ns_mult, (uint64_t)(cal.ns_per_tick * 4294967296.0 + 0.5));
	cr_assert_geq(cal.overhead_ns, 0);
	uint64_t a = clock_ticks(), b;
	uint64_t end = clock_mono_ns() + 1000000;
	while (clock_mono_ns() < end)
		;
	b = clock_ticks();
	cr_assert_gt(clock_ticks_to_ns(&cal, b - a), 500000, "1 ms measured as %llu ns",
		     (unsigned long long)clock_ticks_to_ns(&cal, b - a));
}
