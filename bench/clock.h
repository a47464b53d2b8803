/*
 * clock.h - the host clock the driver measures events with.
 *
 * On x86-64 with an invariant TSC (constant_tsc and nonstop_tsc in
 * /proc/cpuinfo) a reading is one RDTSC (~10 ns here), calibrated against
 * CLOCK_MONOTONIC; elsewhere it is clock_gettime(CLOCK_MONOTONIC) in ns.
 * RDTSC is not serializing: an event's few-ns edges can blur into its
 * neighbours', which matters less than the 2x cost of RDTSCP for events of
 * tens of ns.  The engine never calls this (it must stay deterministic); only
 * bench/ does.
 */
#ifndef MMBENCH_CLOCK_H
#define MMBENCH_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

struct clock_cal {
	bool tsc;               /* ticks are TSC cycles, else ns of CLOCK_MONOTONIC */
	double ns_per_tick;     /* ns per tick (1.0 without TSC) */
	uint64_t ns_mult;       /* ns_per_tick in 32.32 fixed point, for clock_ticks_to_ns() */
	double tsc_ghz;         /* TSC frequency, GHz (0 without TSC) */
	double overhead_ns;     /* cost of one back-to-back reading, ns */
};

extern bool clock_use_tsc;      /* set by clock_calibrate() */

/* CLOCK_MONOTONIC in ns. */
static inline uint64_t clock_mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* A reading in ticks (see struct clock_cal); call clock_calibrate() first. */
static inline uint64_t clock_ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
	if (clock_use_tsc)
		return __rdtsc();
#endif
	return clock_mono_ns();
}

/*
 * ticks (a difference of two clock_ticks() readings) in ns, rounded down:
 * ticks * ns_per_tick in 32.32 fixed point, one 64x64->128 multiply instead
 * of a conversion to double and back (exact without TSC, where ns_mult is
 * 2^32).  Differences up to 2^64 ticks are fine.
 */
static inline uint64_t clock_ticks_to_ns(const struct clock_cal *cal, uint64_t ticks)
{
	return (uint64_t)(((unsigned __int128)ticks * cal->ns_mult) >> 32);
}

/*
 * Modeled cycles to ns at a whole number of MHz without a division per
 * event: cyc2ns_exact() returns exactly cycles * 1000 / mhz (64-bit
 * arithmetic, rounded down, the product wrapping as it would), which is
 * what policy_cycles_to_ns() computes, so modeled histograms do not change.
 *
 * How: with m = floor(2^64 / mhz) + 1 (2^64 / mhz when mhz is a power of
 * two) and e = m * mhz - 2^64 (0 <= e < mhz), (n * m) >> 64 is
 * floor(n / mhz) whenever n * e < 2^64 -- n = q * mhz + r gives
 * n * m / 2^64 = q + (r + n * e / 2^64) / mhz and r <= mhz - 1.  mhz is at
 * most 2^14 (policy.c allows 100..10000), so every n below 2^50 qualifies;
 * larger n (a single event of 10^12 modeled cycles) take the division.
 */
struct cyc2ns {
	uint64_t mult;          /* floor(2^64 / mhz) + 1, or 2^64 / mhz for a power of two */
	uint64_t exact_below;   /* n below this take the multiply: 2^50, 0 for mhz 1 */
	uint32_t mhz;
};

/* Set c up for mhz (1..16384; policy.c keeps cpu_mhz in 100..10000). */
static inline void cyc2ns_init(struct cyc2ns *c, uint32_t mhz)
{
	/* (2^64 - 1) / mhz + 1: either value of mult above; 2^64 overflows for mhz 1 */
	c->mhz = mhz;
	c->mult = mhz > 1 ? UINT64_MAX / mhz + 1 : 0;
	c->exact_below = mhz > 1 ? 1ull << 50 : 0;
}

/* cycles * 1000 / mhz, rounded down, as uint64_t arithmetic computes it. */
static inline uint64_t cyc2ns_exact(const struct cyc2ns *c, uint64_t cycles)
{
	uint64_t n = cycles * 1000u;

	if (__builtin_expect(n < c->exact_below, 1))
		return (uint64_t)(((unsigned __int128)n * c->mult) >> 64);
	return n / c->mhz;
}

/*
 * Choose the clock, measure ticks per ns over `ms` milliseconds of
 * CLOCK_MONOTONIC (20 is plenty) and the cost of one reading.  Never fails:
 * without an invariant TSC it falls back to clock_gettime.
 */
void clock_calibrate(struct clock_cal *cal, unsigned ms);

#endif /* MMBENCH_CLOCK_H */
