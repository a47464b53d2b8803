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
	double tsc_ghz;         /* TSC frequency, GHz (0 without TSC) */
	double overhead_ns;     /* cost of one back-to-back reading, ns (what each measured event pays) */
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
 * Choose the clock, measure ticks per ns over `ms` milliseconds of
 * CLOCK_MONOTONIC (20 is plenty) and the cost of one reading.  Never fails:
 * without an invariant TSC it falls back to clock_gettime.
 */
void clock_calibrate(struct clock_cal *cal, unsigned ms);

#endif /* MMBENCH_CLOCK_H */
