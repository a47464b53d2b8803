/*
 * test_hwcounters.c - bench/hwcounters.c on the real kernel: software events
 * count what the test does (CPU time spun, pages first touched, sleeps),
 * hardware events are either counted or reported unsupported with a reason
 * (most VMs have no PMU), a bogus event does not disturb the others, phases
 * measure only themselves (threads included), and the results/JSON writers
 * print NA/null for unsupported counters.  The start+stop overhead and which
 * events this machine supports go to the test log.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bench/hwcounters.h"

TestSuite(hwcounters);

#define NSEC_PER_MSEC 1000000ull

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Spin until this thread has used ns of CPU time. */
static void spin_cpu_ns(uint64_t ns)
{
	uint64_t end = clock_ns(CLOCK_THREAD_CPUTIME_ID) + ns;

	while (clock_ns(CLOCK_THREAD_CPUTIME_ID) < end)
		;
}

static void *spin_thread(void *arg)
{
	spin_cpu_ns(*(const uint64_t *)arg);
	return NULL;
}

/* Run a thread that spins ns of CPU time, and wait for it (sleeping). */
static void spin_in_thread(uint64_t ns)
{
	pthread_t t;

	cr_assert_eq(pthread_create(&t, NULL, spin_thread, &ns), 0);
	cr_assert_eq(pthread_join(t, NULL), 0);
}

/* Work that every hardware event sees: loads over 16 MiB, 4 KiB apart, and arithmetic. */
static volatile uint64_t sink;

static void do_work(void)
{
	size_t len = 16u << 20;
	char *p = malloc(len);
	uint64_t sum = 0;

	cr_assert_not_null(p);
	memset(p, 1, len);
	for (int round = 0; round < 4; round++)
		for (size_t off = 0; off < len; off += 4096)
			sum += (uint64_t)p[off];
	for (uint64_t i = 0; i < 1000000; i++)
		sum = sum * 6364136223846793005ull + i;
	sink = sum;
	free(p);
}

static const char *row(const results_t *r, const char *metric)
{
	const char *v = results_value(r, metric);

	cr_assert_not_null(v, "no results row %s", metric);
	return v;
}

/* A counter that counts: value > 0 and a numeric row; else a reason and NA. */
static void assert_counted_or_unsupported(const struct hw_counter *c, const results_t *r)
{
	char metric[64];
	const char *v;

	snprintf(metric, sizeof(metric), "hw_%s", c->name);
	v = row(r, metric);
	if (c->supported) {
		cr_assert_gt(c->value, 0, "%s supported but value %g", c->name, c->value);
		cr_assert_gt(c->time_running, 0);
		cr_assert_str_neq(v, "NA", "%s supported but row NA", c->name);
		cr_assert_gt(strtod(v, NULL), 0, "%s row %s", c->name, v);
		cr_assert_eq(c->why[0], '\0', "%s supported with a reason: %s", c->name, c->why);
	} else {
		cr_assert_neq(c->why[0], '\0', "%s unsupported without a reason", c->name);
		cr_assert_str_eq(v, "NA", "%s unsupported but row %s", c->name, v);
	}
}

Test(hwcounters, default_names_units_and_events)
{
	static const char *const names[HW_NR_DEFAULT] = {
		"cycles", "instructions", "cache_misses", "dtlb_load_misses",
		"task_clock", "page_faults", "context_switches",
	};
	static const char *const units[HW_NR_DEFAULT] = {
		"cycles", "instructions", "misses", "misses", "ns", "faults", "switches",
	};
	hw_counters_t hc;

	hw_counters_open(&hc);
	cr_assert_eq(hc.nr, HW_NR_DEFAULT);
	for (unsigned i = 0; i < HW_NR_DEFAULT; i++) {
		const struct hw_counter *c = &hc.c[i];

		cr_assert_str_eq(c->name, names[i]);
		cr_assert_str_eq(c->unit, units[i]);
		cr_assert_neq(c->event[0], '\0');
		/* Nothing measured yet: no value is claimed, and each says why. */
		cr_assert(!c->supported, "%s supported before any stop", c->name);
		cr_assert_neq(c->why[0], '\0');
		if (c->fd < 0)
			cr_log_info("%s (%s) does not open: %s", c->name, c->event, c->why);
	}
	/* The software events open on any Linux with perf events. */
	cr_assert_geq(hc.c[HW_TASK_CLOCK].fd, 0, "%s", hc.c[HW_TASK_CLOCK].why);
	cr_assert_geq(hc.c[HW_PAGE_FAULTS].fd, 0, "%s", hc.c[HW_PAGE_FAULTS].why);
	cr_assert_geq(hc.c[HW_CONTEXT_SWITCHES].fd, 0, "%s", hc.c[HW_CONTEXT_SWITCHES].why);
	hw_counters_close(&hc);
}

Test(hwcounters, task_clock_after_busy_loop)
{
	const uint64_t spin = 50 * NSEC_PER_MSEC;
	hw_counters_t hc;

	hw_counters_open(&hc);
	hw_counters_start(&hc);
	spin_cpu_ns(spin);
	hw_counters_stop(&hc);

	const struct hw_counter *c = &hc.c[HW_TASK_CLOCK];
	cr_assert(c->supported, "task_clock: %s", c->why);
	cr_assert_geq(c->value, spin / 2, "task_clock %.0f ns after %" PRIu64 " ns spun",
		      c->value, spin);
	cr_assert_leq(c->value, spin * 4, "task_clock %.0f ns after %" PRIu64 " ns spun",
		      c->value, spin);
	cr_assert_geq(c->time_enabled, c->time_running);
	hw_counters_close(&hc);
}

Test(hwcounters, page_faults_after_touching_fresh_pages)
{
	const size_t nr_pages = 512, page = (size_t)sysconf(_SC_PAGESIZE);
	hw_counters_t hc;
	char *p = mmap(NULL, nr_pages * page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	cr_assert_neq(p, MAP_FAILED);
	madvise(p, nr_pages * page, MADV_NOHUGEPAGE);  /* one fault a page */
	hw_counters_open(&hc);
	hw_counters_start(&hc);
	for (size_t i = 0; i < nr_pages; i++)
		((volatile char *)p)[i * page] = 1;
	hw_counters_stop(&hc);

	const struct hw_counter *c = &hc.c[HW_PAGE_FAULTS];
	cr_assert(c->supported, "page_faults: %s", c->why);
	cr_assert_geq(c->value, 0.9 * (double)nr_pages, "page_faults %.0f after %zu pages",
		      c->value, nr_pages);
	hw_counters_close(&hc);
	munmap(p, nr_pages * page);
}

Test(hwcounters, context_switches_after_sleeping)
{
	hw_counters_t hc;

	hw_counters_open(&hc);
	hw_counters_start(&hc);
	for (int i = 0; i < 5; i++) {
		sched_yield();
		usleep(1000);
	}
	hw_counters_stop(&hc);

	const struct hw_counter *c = &hc.c[HW_CONTEXT_SWITCHES];
	cr_assert(c->supported, "context_switches: %s", c->why);
	if (c->exclude_kernel) {
		hw_counters_close(&hc);
		cr_skip_test("context switches are kernel-mode; this process may count user mode only");
	}
	cr_assert_geq(c->value, 5, "context_switches %.0f after 5 sleeps", c->value);
	hw_counters_close(&hc);
}

/* Each event is counted with a value > 0, or unsupported with a reason and NA. */
Test(hwcounters, every_event_counted_or_unsupported)
{
	hw_counters_t hc;
	results_t *r = results_create("t", "p", "mmbench");
	char line[512] = "";

	cr_assert_not_null(r);
	hw_counters_open(&hc);
	hw_counters_start(&hc);
	do_work();
	usleep(1000);   /* a context switch */
	hw_counters_stop(&hc);
	hw_counters_results(&hc, r);
	cr_assert_eq(results_nr_rows(r), HW_NR_DEFAULT);
	for (unsigned i = 0; i < hc.nr; i++) {
		const struct hw_counter *c = &hc.c[i];

		if (c->exclude_kernel && i == HW_CONTEXT_SWITCHES)
			continue;       /* user mode only: 0 is right */
		assert_counted_or_unsupported(c, r);
		snprintf(line + strlen(line), sizeof(line) - strlen(line), " %s=%s", c->name,
			 c->supported ? "yes" : "no");
		if (!c->supported)
			cr_log_info("unsupported here: %s (%s): %s", c->name, c->event, c->why);
	}
	cr_log_info("supported on this machine:%s", line);
	/* Software events are always counted. */
	cr_assert(hc.c[HW_TASK_CLOCK].supported);
	cr_assert(hc.c[HW_PAGE_FAULTS].supported);
	hw_counters_close(&hc);
	results_destroy(r);
}

Test(hwcounters, bogus_event_does_not_disturb_the_others)
{
	static const char *const names[] = { "task_clock", "bogus", "page_faults", "cycles" };
	static const char *const events[] = {
		"perf::PERF_COUNT_SW_TASK_CLOCK", "no_such_pmu::NO_SUCH_EVENT",
		"perf::PERF_COUNT_SW_PAGE_FAULTS", "cycles",
	};
	hw_counters_t hc;
	results_t *r = results_create("t", "p", "mmbench");

	cr_assert_not_null(r);
	hw_counters_open_events(&hc, names, events, 4);
	cr_assert_eq(hc.nr, 4);
	cr_assert_eq(hc.c[1].fd, -1);
	cr_assert(strstr(hc.c[1].why, "libpfm4"), "why: %s", hc.c[1].why);
	cr_assert_str_eq(hc.c[1].event, "no_such_pmu::NO_SUCH_EVENT");
	cr_assert_str_eq(hc.c[0].unit, "events");

	hw_counters_start(&hc);
	do_work();
	hw_counters_stop(&hc);
	hw_counters_results(&hc, r);

	cr_assert(!hc.c[1].supported);
	cr_assert(strstr(hc.c[1].why, "libpfm4"), "why after stop: %s", hc.c[1].why);
	cr_assert_str_eq(row(r, "hw_bogus"), "NA");
	cr_assert(hc.c[0].supported, "%s", hc.c[0].why);
	cr_assert(hc.c[2].supported, "%s", hc.c[2].why);
	cr_assert_gt(hc.c[0].value, 0);
	cr_assert_gt(hc.c[2].value, 0);
	cr_assert_gt(strtod(row(r, "hw_task_clock"), NULL), 0);
	assert_counted_or_unsupported(&hc.c[3], r);
	hw_counters_close(&hc);
	results_destroy(r);
}

Test(hwcounters, open_stop_close_twice)
{
	for (int round = 0; round < 2; round++) {
		hw_counters_t hc;

		/* Stop without start: nothing was enabled, so no value. */
		hw_counters_open(&hc);
		hw_counters_stop(&hc);
		cr_assert(!hc.c[HW_TASK_CLOCK].supported);
		cr_assert(strstr(hc.c[HW_TASK_CLOCK].why, "never enabled"), "%s",
			  hc.c[HW_TASK_CLOCK].why);
		hw_counters_close(&hc);

		hw_counters_open(&hc);
		hw_counters_start(&hc);
		spin_cpu_ns(5 * NSEC_PER_MSEC);
		hw_counters_stop(&hc);
		cr_assert(hc.c[HW_TASK_CLOCK].supported, "round %d: %s", round,
			  hc.c[HW_TASK_CLOCK].why);
		cr_assert_gt(hc.c[HW_TASK_CLOCK].value, 0);
		hw_counters_close(&hc);
		for (unsigned i = 0; i < hc.nr; i++)
			cr_assert_eq(hc.c[i].fd, -1);
		hw_counters_close(&hc);         /* harmless */
		/* Values outlive close. */
		cr_assert(hc.c[HW_TASK_CLOCK].supported);
		cr_assert_gt(hc.c[HW_TASK_CLOCK].value, 0);
	}
}

/* Each phase counts only itself: RESET clears neither times nor exited threads' counts. */
Test(hwcounters, second_phase_counts_only_itself)
{
	hw_counters_t hc;

	hw_counters_open(&hc);
	hw_counters_start(&hc);
	spin_cpu_ns(40 * NSEC_PER_MSEC);
	spin_in_thread(40 * NSEC_PER_MSEC);
	hw_counters_stop(&hc);
	const struct hw_counter *c = &hc.c[HW_TASK_CLOCK];
	cr_assert(c->supported, "%s", c->why);
	/* The thread started inside the phase is counted (inherit). */
	cr_assert_geq(c->value, 60.0 * NSEC_PER_MSEC, "phase 1 task_clock %.0f", c->value);

	hw_counters_start(&hc);
	spin_cpu_ns(5 * NSEC_PER_MSEC);
	hw_counters_stop(&hc);
	cr_assert(c->supported, "%s", c->why);
	cr_assert_gt(c->value, 0);
	cr_assert_lt(c->value, 30.0 * NSEC_PER_MSEC, "phase 2 task_clock %.0f", c->value);
	cr_assert_lt(c->time_enabled, 30 * NSEC_PER_MSEC, "phase 2 time_enabled %" PRIu64,
		     c->time_enabled);
	hw_counters_close(&hc);
}

Test(hwcounters, update_scales_multiplexed_counts)
{
	hw_counters_t hc;
	results_t *r = results_create("t", "p", "mmbench");
	struct hw_counter *c = &hc.c[0];

	cr_assert_not_null(r);
	memset(&hc, 0, sizeof(hc));
	hc.nr = 2;
	snprintf(hc.c[0].name, sizeof(hc.c[0].name), "scaled");
	snprintf(hc.c[1].name, sizeof(hc.c[1].name), "idle");
	hc.c[0].unit = hc.c[1].unit = "events";
	hc.c[0].fd = hc.c[1].fd = -1;

	hw_counter_update(c, 1000, 300, 100);   /* on the PMU a third of the time */
	cr_assert(c->supported);
	cr_assert_float_eq(c->value, 3000.0, 1e-9);
	cr_assert_eq(c->raw, 1000);
	hw_counter_update(&hc.c[1], 7, 500, 0);  /* never scheduled */
	cr_assert(!hc.c[1].supported);
	cr_assert(strstr(hc.c[1].why, "never scheduled"), "%s", hc.c[1].why);

	hw_counters_results(&hc, r);
	cr_assert_str_eq(row(r, "hw_scaled"), "3000");
	cr_assert_str_eq(row(r, "hw_idle"), "NA");

	/* Counted again later: supported, reason cleared. */
	hw_counter_update(&hc.c[1], 7, 500, 500);
	cr_assert(hc.c[1].supported);
	cr_assert_eq(hc.c[1].why[0], '\0');
	cr_assert_float_eq(hc.c[1].value, 7.0, 1e-12);
	results_destroy(r);
}

Test(hwcounters, json_values_and_reasons)
{
	static const char *const names[] = { "task_clock", "bogus" };
	static const char *const events[] = { "perf::PERF_COUNT_SW_TASK_CLOCK", "bogus_event_name" };
	hw_counters_t hc;
	json_t *obj = json_object(), *arr = json_array();

	hw_counters_open_events(&hc, names, events, 2);
	hw_counters_start(&hc);
	spin_cpu_ns(2 * NSEC_PER_MSEC);
	hw_counters_stop(&hc);
	cr_assert_eq(hw_counters_json(&hc, obj), 0);

	json_t *tc = json_object_get(obj, "task_clock"), *bo = json_object_get(obj, "bogus");
	cr_assert_not_null(tc);
	cr_assert_not_null(bo);
	cr_assert(json_is_true(json_object_get(tc, "supported")));
	cr_assert(json_is_number(json_object_get(tc, "value")));
	cr_assert_gt(json_number_value(json_object_get(tc, "value")), 0);
	cr_assert_null(json_object_get(tc, "reason"));
	cr_assert_str_eq(json_string_value(json_object_get(tc, "event")),
			 "perf::PERF_COUNT_SW_TASK_CLOCK");
	cr_assert_gt(json_integer_value(json_object_get(tc, "time_enabled_ns")), 0);
	cr_assert_gt(json_integer_value(json_object_get(tc, "time_running_ns")), 0);
	cr_assert(json_is_boolean(json_object_get(tc, "exclude_kernel")));

	cr_assert(json_is_false(json_object_get(bo, "supported")));
	cr_assert(json_is_null(json_object_get(bo, "value")));
	cr_assert_gt(strlen(json_string_value(json_object_get(bo, "reason"))), 0);

	cr_assert_eq(hw_counters_json(&hc, arr), -1);   /* not an object */
	json_decref(obj);
	json_decref(arr);
	hw_counters_close(&hc);
}

/* Not a timed assertion: the cost of one start+stop pair, for the log. */
Test(hwcounters, start_stop_overhead)
{
	const int nr = 2000;
	hw_counters_t hc;
	unsigned nr_open = 0;

	hw_counters_open(&hc);
	for (unsigned i = 0; i < hc.nr; i++)
		nr_open += hc.c[i].fd >= 0;
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	for (int i = 0; i < nr; i++) {
		hw_counters_start(&hc);
		hw_counters_stop(&hc);
	}
	uint64_t t1 = clock_ns(CLOCK_MONOTONIC);
	cr_assert(hc.c[HW_TASK_CLOCK].supported, "%s", hc.c[HW_TASK_CLOCK].why);
	cr_log_info("start+stop of %u open counters: %.2f us a pair (%d pairs)", nr_open,
		    (double)(t1 - t0) / nr / 1000.0, nr);
	hw_counters_close(&hc);
}
