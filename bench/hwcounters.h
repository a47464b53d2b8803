/*
 * hwcounters.h - hardware and software performance counters of this process,
 * read beside a measured phase (replaying a trace): cycles, instructions,
 * cache misses, dTLB load misses, task clock, page faults, context switches.
 *
 * libpfm4 turns each event string into a struct perf_event_attr
 * (pfm_get_os_event_encoding(..., PFM_OS_PERF_EVENT_EXT, ...)); each event is
 * opened on its own with perf_event_open(attr, pid 0, cpu -1, group -1), not
 * as a group, so that one event the machine lacks does not take the others
 * down.  Counters are opened disabled, with inherit set (threads and children
 * the process starts later count too) and read_format TOTAL_TIME_ENABLED |
 * TOTAL_TIME_RUNNING; a read value is scaled by time_enabled / time_running
 * when the kernel multiplexed the counter.
 *
 * Kernel-mode counting is kept (exclude_kernel 0) unless
 * /proc/sys/kernel/perf_event_paranoid > 1 and the process lacks
 * CAP_PERFMON and CAP_SYS_ADMIN, or the kernel refuses it (EACCES/EPERM), in
 * which case the counter counts user mode only and says so in
 * hw_counter.exclude_kernel.  Page faults are taken in user mode and are
 * counted either way; context switches happen in kernel mode and read 0
 * under exclude_kernel.
 *
 * An event that cannot be counted (libpfm4 does not know it, perf_event_open
 * fails, as hardware events do in most VMs, or it opens but the PMU never
 * schedules it: time_running 0) is reported unsupported with the reason; it
 * is never a failure of the caller nor a zero value.
 *
 * Use: hw_counters_open(); then per phase hw_counters_start() ...
 * hw_counters_stop(), then hw_counters_results() / hw_counters_json(); at
 * last hw_counters_close().  A hw_counters_t belongs to one thread.
 */
#ifndef MMBENCH_HWCOUNTERS_H
#define MMBENCH_HWCOUNTERS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "bench/results.h"

/*
 * The default events, in the order hw_counters_open() puts them in c[].
 * (Named hw_counter_id: enum and struct tags share one name space in C, and
 * struct hw_counter is the counter itself.)
 */
enum hw_counter_id {
	HW_CYCLES,
	HW_INSTRUCTIONS,
	HW_CACHE_MISSES,
	HW_DTLB_LOAD_MISSES,
	HW_TASK_CLOCK,
	HW_PAGE_FAULTS,
	HW_CONTEXT_SWITCHES,
	HW_NR_DEFAULT
};

#define HW_MAX_COUNTERS 16

struct hw_counter {
	char name[48];          /* result name: "cycles", "task_clock", ... */
	char event[64];         /* libpfm4 event string it was opened from (truncated) */
	const char *unit;       /* "cycles", "instructions", "misses", "ns", "faults", "switches", "events" */
	int fd;                 /* perf event fd, -1 when not open */
	bool supported;         /* opened and counted (time_running > 0 at the last stop);
				   false until the first stop, with why saying so */
	bool exclude_kernel;    /* counts user mode only (perf_event_paranoid) */
	char why[128];          /* when !supported: why, e.g. "perf_event_open: No such file or directory" */
	uint64_t raw;           /* last read count, unscaled */
	uint64_t time_enabled;  /* ns the counter was enabled, last read */
	uint64_t time_running;  /* ns it was actually on the PMU, last read */
	double value;           /* raw * time_enabled / time_running */
	uint64_t base_raw;      /* count read at start: stop subtracts it (RESET leaves exited threads' counts) */
	uint64_t base_enabled;  /* time_enabled total read at start (RESET does not clear it), ns */
	uint64_t base_running;  /* time_running total read at start, ns */
};

typedef struct hw_counters {
	unsigned nr;                          /* entries used in c[] */
	struct hw_counter c[HW_MAX_COUNTERS]; /* one per event, in the order asked for */
} hw_counters_t;

/*
 * Open the HW_NR_DEFAULT default events into hc (overwritten; it must not hold
 * open counters).  Never fails: an event that cannot be opened is left
 * !supported with the reason in why and fd -1.  Opened counters (fd >= 0) are
 * disabled and !supported ("not measured yet") until hw_counters_stop().
 */
void hw_counters_open(hw_counters_t *hc);

/*
 * Open n events (at most HW_MAX_COUNTERS; the rest are ignored) given as
 * libpfm4 event strings, e.g. "perf::PERF_COUNT_SW_TASK_CLOCK", "cycles",
 * "dTLB-load-misses".  names[i] is the result name of events[i] (names NULL:
 * the event strings themselves); the unit is "events".  Never fails, as
 * hw_counters_open().
 */
void hw_counters_open_events(hw_counters_t *hc, const char *const *names,
			     const char *const *events, unsigned n);

/*
 * Reset every open counter, read the totals it starts from (base_*), and
 * enable it.  A counter the kernel refuses to reset, read or enable is closed
 * and marked unsupported with the reason.
 */
void hw_counters_start(hw_counters_t *hc);

/*
 * Disable every open counter, read it and scale it: raw, time_enabled and
 * time_running (ns) are what the phase since hw_counters_start() added,
 * value = raw * time_enabled / time_running.  A counter with time_running 0 (never scheduled) or a failed
 * read is marked unsupported with the reason; its fd stays open and the next
 * start/stop measures it again.
 */
void hw_counters_stop(hw_counters_t *hc);

/*
 * Close every counter's fd (fd -1).  The last values, supported and why stay,
 * so results can be written after close.  Closing twice is harmless.
 */
void hw_counters_close(hw_counters_t *hc);

/*
 * Set c from one read: raw count, time_enabled and time_running in ns.  With
 * time_running > 0 the counter is supported and value is the count scaled
 * to the whole enabled time; with time_running 0 it is unsupported (never
 * scheduled) with the reason.  hw_counters_stop() uses it; it is public so
 * that multiplexing can be tested on machines whose kernel never multiplexes.
 */
void hw_counter_update(struct hw_counter *c, uint64_t raw, uint64_t time_enabled,
		       uint64_t time_running);

/*
 * Add one row a counter to r: metric "hw_<name>", the value rounded to an
 * integer (exact raw count when not multiplexed) or NA when unsupported, the
 * counter's unit, deterministic false.  Call after hw_counters_stop().
 */
void hw_counters_results(const hw_counters_t *hc, results_t *r);

/*
 * Set obj[name] for every counter to
 *   {"supported": bool, "value": number or null, "unit": str, "event": str,
 *    "exclude_kernel": bool, "time_enabled_ns": int, "time_running_ns": int,
 *    "reason": str (only when unsupported)}.
 * value is an integer when not multiplexed, else a real.  Returns 0, or -1
 * when obj is not an object or out of memory (obj may then hold some keys).
 */
int hw_counters_json(const hw_counters_t *hc, json_t *obj);

#endif /* MMBENCH_HWCOUNTERS_H */
