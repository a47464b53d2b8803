/*
 * clock.c - calibration of the host clock (bench/clock.h).
 */
#include "bench/clock.h"

#include <stdio.h>
#include <string.h>

bool clock_use_tsc;

/* Invariant TSC: the flags Linux sets when the TSC ticks at a constant rate in all states. */
static bool tsc_invariant(void)
{
#if defined(__x86_64__) || defined(__i386__)
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];
	bool constant = false, nonstop = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		constant = strstr(line, " constant_tsc") != NULL;
		nonstop = strstr(line, " nonstop_tsc") != NULL;
		break;
	}
	fclose(f);
	return constant && nonstop;
#else
	return false;
#endif
}

void clock_calibrate(struct clock_cal *cal, unsigned ms)
{
	enum { N = 100000 };
	uint64_t t0, t1, c0, c1;
	volatile uint64_t sink = 0;    /* keeps the readings from being optimised out */

	memset(cal, 0, sizeof(*cal));
	clock_use_tsc = tsc_invariant();
	cal->tsc = clock_use_tsc;
	cal->ns_per_tick = 1.0;
	if (clock_use_tsc) {
		t0 = clock_mono_ns();
		c0 = clock_ticks();
		do
			t1 = clock_mono_ns();
		while (t1 - t0 < (uint64_t)ms * 1000000u);
		c1 = clock_ticks();
		cal->ns_per_tick = (double)(t1 - t0) / (double)(c1 - c0);
		cal->tsc_ghz = 1.0 / cal->ns_per_tick;
	}
	cal->ns_mult = (uint64_t)(cal->ns_per_tick * 4294967296.0 + 0.5);
	c0 = clock_ticks();
	for (int i = 0; i < N; i++)
		sink += clock_ticks();
	c1 = clock_ticks();
	cal->overhead_ns = (double)(c1 - c0) * cal->ns_per_tick / N;
}
