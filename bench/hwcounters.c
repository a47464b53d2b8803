/*
 * hwcounters.c - performance counters of this process through libpfm4 and
 * perf_event_open (bench/hwcounters.h).
 */
#include "bench/hwcounters.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <perfmon/pfmlib_perf_event.h>

/* Capability bits as in linux/capability.h (perfmon_capable() in the kernel). */
#define CAP_SYS_ADMIN_BIT 21
#define CAP_PERFMON_BIT 38

/* perf_event_paranoid assumed when /proc does not tell: the kernel default. */
#define PARANOID_DEFAULT 2

struct hw_event_def {
	const char *name;       /* result name */
	const char *event;      /* libpfm4 event string (perf generic events) */
	const char *unit;       /* unit of the count */
};

/* The default events, indexed by enum hw_counter_id. */
static const struct hw_event_def hw_default_events[HW_NR_DEFAULT] = {
	[HW_CYCLES]           = { "cycles", "perf::PERF_COUNT_HW_CPU_CYCLES", "cycles" },
	[HW_INSTRUCTIONS]     = { "instructions", "perf::PERF_COUNT_HW_INSTRUCTIONS", "instructions" },
	[HW_CACHE_MISSES]     = { "cache_misses", "perf::PERF_COUNT_HW_CACHE_MISSES", "misses" },
	[HW_DTLB_LOAD_MISSES] = { "dtlb_load_misses", "perf::PERF_COUNT_HW_CACHE_DTLB:READ:MISS",
				  "misses" },
	[HW_TASK_CLOCK]       = { "task_clock", "perf::PERF_COUNT_SW_TASK_CLOCK", "ns" },
	[HW_PAGE_FAULTS]      = { "page_faults", "perf::PERF_COUNT_SW_PAGE_FAULTS", "faults" },
	[HW_CONTEXT_SWITCHES] = { "context_switches", "perf::PERF_COUNT_SW_CONTEXT_SWITCHES",
				  "switches" },
};

static pthread_once_t pfm_once = PTHREAD_ONCE_INIT;
static int pfm_init_ret;        /* pfm_initialize()'s result, PFM_SUCCESS or a PFM_ERR_* */

static void pfm_init_once(void)
{
	pfm_init_ret = pfm_initialize();
}

/* /proc/sys/kernel/perf_event_paranoid, or PARANOID_DEFAULT when unreadable. */
static int perf_event_paranoid(void)
{
	FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
	int v = PARANOID_DEFAULT;

	if (!f)
		return v;
	if (fscanf(f, "%d", &v) != 1)
		v = PARANOID_DEFAULT;
	fclose(f);
	return v;
}

/* Whether the effective capabilities hold CAP_PERFMON or CAP_SYS_ADMIN. */
static bool perfmon_capable(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long eff = 0;
	bool found = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1) {
			found = true;
			break;
		}
	fclose(f);
	return found && (eff & (1ull << CAP_PERFMON_BIT | 1ull << CAP_SYS_ADMIN_BIT));
}

/*
 * Whether kernel-mode counting is allowed, as perf_allow_kernel() decides:
 * refused when perf_event_paranoid > 1 and !perfmon_capable().
 */
static bool perf_allow_kernel(int paranoid)
{
	return paranoid <= 1 || perfmon_capable();
}

static void hw_counter_set_why(struct hw_counter *c, const char *what, int err, int paranoid)
{
	if (err == EACCES || err == EPERM)
		snprintf(c->why, sizeof(c->why), "%s: %s (perf_event_paranoid=%d)", what,
			 strerror(err), paranoid);
	else
		snprintf(c->why, sizeof(c->why), "%s: %s", what, strerror(err));
}

/*
 * Encode event with libpfm4 and open it for this process and its future
 * threads, disabled.  On failure c->fd stays -1 with the reason in c->why.
 */
static void hw_counter_open_one(struct hw_counter *c, const char *name, const char *event,
				const char *unit, bool allow_kernel, int paranoid)
{
	struct perf_event_attr attr;
	pfm_perf_encode_arg_t arg;
	int ret, fd;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->unit = unit;
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->event, sizeof(c->event), "%s", event);

	if (pfm_init_ret != PFM_SUCCESS) {
		snprintf(c->why, sizeof(c->why), "pfm_initialize: %s", pfm_strerror(pfm_init_ret));
		return;
	}
	memset(&attr, 0, sizeof(attr));
	memset(&arg, 0, sizeof(arg));
	arg.attr = &attr;
	arg.size = sizeof(arg);
	/* Default privilege levels; modifiers in the string (":u", ":k") win. */
	ret = pfm_get_os_event_encoding(event, PFM_PLM3 | (allow_kernel ? PFM_PLM0 : 0),
					PFM_OS_PERF_EVENT_EXT, &arg);
	if (ret != PFM_SUCCESS) {
		snprintf(c->why, sizeof(c->why), "libpfm4: %s", pfm_strerror(ret));
		return;
	}
	attr.size = sizeof(attr);
	attr.disabled = 1;
	attr.inherit = 1;
	attr.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;

	fd = perf_event_open(&attr, /* pid: self */ 0, /* cpu: any */ -1, /* group */ -1,
			     PERF_FLAG_FD_CLOEXEC | (unsigned long)arg.flags);
	if (fd < 0 && (errno == EACCES || errno == EPERM) && !attr.exclude_kernel) {
		/* The kernel refused kernel-mode counting (an LSM, a changed sysctl). */
		attr.exclude_kernel = 1;
		fd = perf_event_open(&attr, 0, -1, -1,
				     PERF_FLAG_FD_CLOEXEC | (unsigned long)arg.flags);
	}
	if (fd < 0) {
		hw_counter_set_why(c, "perf_event_open", errno, paranoid);
		return;
	}
	c->fd = fd;
	c->exclude_kernel = attr.exclude_kernel;
	snprintf(c->why, sizeof(c->why), "not measured yet (no hw_counters_stop)");
}

void hw_counters_open_events(hw_counters_t *hc, const char *const *names,
			     const char *const *events, unsigned n)
{
	int paranoid = perf_event_paranoid();
	bool allow_kernel = perf_allow_kernel(paranoid);

	pthread_once(&pfm_once, pfm_init_once);
	memset(hc, 0, sizeof(*hc));
	if (n > HW_MAX_COUNTERS)
		n = HW_MAX_COUNTERS;
	for (unsigned i = 0; i < n; i++)
		hw_counter_open_one(&hc->c[i], names ? names[i] : events[i], events[i], "events",
				    allow_kernel, paranoid);
	hc->nr = n;
}

void hw_counters_open(hw_counters_t *hc)
{
	const char *names[HW_NR_DEFAULT], *events[HW_NR_DEFAULT];

	for (unsigned i = 0; i < HW_NR_DEFAULT; i++) {
		names[i] = hw_default_events[i].name;
		events[i] = hw_default_events[i].event;
	}
	hw_counters_open_events(hc, names, events, HW_NR_DEFAULT);
	for (unsigned i = 0; i < HW_NR_DEFAULT; i++)
		hc->c[i].unit = hw_default_events[i].unit;
}

/* Read count, time_enabled, time_running.  Returns 0, or -1 with why set. */
static int hw_counter_read(struct hw_counter *c, uint64_t v[3])
{
	ssize_t n = read(c->fd, v, 3 * sizeof(v[0]));

	if (n == (ssize_t)(3 * sizeof(v[0])))
		return 0;
	if (n < 0)
		snprintf(c->why, sizeof(c->why), "read: %s", strerror(errno));
	else
		snprintf(c->why, sizeof(c->why), "read: %zd bytes, not %zu", n, 3 * sizeof(v[0]));
	return -1;
}

static void hw_counter_close_fd(struct hw_counter *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/*
 * Reset c and read the totals it starts from (RESET clears neither the
 * enabled/running times nor the counts of exited threads).  Returns 0, or -1
 * with why set.
 */
static int hw_counter_arm(struct hw_counter *c)
{
	uint64_t v[3];

	if (ioctl(c->fd, PERF_EVENT_IOC_RESET, 0) < 0) {
		hw_counter_set_why(c, "ioctl(PERF_EVENT_IOC_RESET)", errno, perf_event_paranoid());
		return -1;
	}
	if (hw_counter_read(c, v) < 0)
		return -1;
	c->base_raw = v[0];
	c->base_enabled = v[1];
	c->base_running = v[2];
	return 0;
}

void hw_counters_start(hw_counters_t *hc)
{
	for (unsigned i = 0; i < hc->nr; i++) {
		struct hw_counter *c = &hc->c[i];

		if (c->fd >= 0 && hw_counter_arm(c) < 0) {
			c->supported = false;
			hw_counter_close_fd(c);
		}
	}
	/* Enable last, one after the other, so that arming is not counted. */
	for (unsigned i = 0; i < hc->nr; i++) {
		struct hw_counter *c = &hc->c[i];

		if (c->fd >= 0 && ioctl(c->fd, PERF_EVENT_IOC_ENABLE, 0) < 0) {
			hw_counter_set_why(c, "ioctl(PERF_EVENT_IOC_ENABLE)", errno,
					   perf_event_paranoid());
			c->supported = false;
			hw_counter_close_fd(c);
		}
	}
}

void hw_counter_update(struct hw_counter *c, uint64_t raw, uint64_t time_enabled,
		       uint64_t time_running)
{
	c->raw = raw;
	c->time_enabled = time_enabled;
	c->time_running = time_running;
	if (time_running == 0) {
		c->supported = false;
		c->value = 0;
		if (time_enabled == 0)
			snprintf(c->why, sizeof(c->why),
				 "never enabled (hw_counters_start not called)");
		else
			snprintf(c->why, sizeof(c->why),
				 "never scheduled on the PMU (time_running 0 of %" PRIu64 " ns)",
				 time_enabled);
		return;
	}
	c->supported = true;
	c->why[0] = '\0';
	if (time_running == time_enabled)
		c->value = (double)raw;
	else
		c->value = (double)raw * ((double)time_enabled / (double)time_running);
}

/* a - b, or 0 when a counter went backwards (it should not). */
static uint64_t sub_sat(uint64_t a, uint64_t b)
{
	return a >= b ? a - b : 0;
}

void hw_counters_stop(hw_counters_t *hc)
{
	/* Disable all first, so that reading the others is not counted. */
	for (unsigned i = 0; i < hc->nr; i++)
		if (hc->c[i].fd >= 0)
			ioctl(hc->c[i].fd, PERF_EVENT_IOC_DISABLE, 0);
	for (unsigned i = 0; i < hc->nr; i++) {
		struct hw_counter *c = &hc->c[i];
		uint64_t v[3];

		if (c->fd < 0)
			continue;
		if (hw_counter_read(c, v) < 0) {
			c->supported = false;
			c->value = 0;
			continue;
		}
		hw_counter_update(c, sub_sat(v[0], c->base_raw), sub_sat(v[1], c->base_enabled),
				  sub_sat(v[2], c->base_running));
	}
}

void hw_counters_close(hw_counters_t *hc)
{
	for (unsigned i = 0; i < hc->nr; i++)
		hw_counter_close_fd(&hc->c[i]);
}

/* The value as an integer count: exact when not multiplexed, else rounded. */
static uint64_t hw_counter_count(const struct hw_counter *c)
{
	if (c->time_running == c->time_enabled)
		return c->raw;
	return c->value >= 18446744073709549568.0 ? UINT64_MAX : (uint64_t)(c->value + 0.5);
}

void hw_counters_results(const hw_counters_t *hc, results_t *r)
{
	for (unsigned i = 0; i < hc->nr; i++) {
		const struct hw_counter *c = &hc->c[i];
		char metric[64];

		snprintf(metric, sizeof(metric), "hw_%s", c->name);
		if (c->supported)
			results_add_u64(r, metric, hw_counter_count(c), c->unit, false);
		else
			results_add_na(r, metric, c->unit, false);
	}
}

/* json_integer of a u64, clamped to json_int_t. */
static json_t *json_u64(uint64_t v)
{
	return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

int hw_counters_json(const hw_counters_t *hc, json_t *obj)
{
	if (!json_is_object(obj))
		return -1;
	for (unsigned i = 0; i < hc->nr; i++) {
		const struct hw_counter *c = &hc->c[i];
		json_t *o = json_object(), *value;
		int err = 0;

		if (!o)
			return -1;
		if (!c->supported)
			value = json_null();
		else if (c->time_running == c->time_enabled)
			value = json_u64(c->raw);
		else
			value = json_real(c->value);
		err |= json_object_set_new(o, "supported", json_boolean(c->supported));
		err |= json_object_set_new(o, "value", value);
		err |= json_object_set_new(o, "unit", json_string(c->unit));
		err |= json_object_set_new(o, "event", json_string(c->event));
		err |= json_object_set_new(o, "exclude_kernel", json_boolean(c->exclude_kernel));
		err |= json_object_set_new(o, "time_enabled_ns", json_u64(c->time_enabled));
		err |= json_object_set_new(o, "time_running_ns", json_u64(c->time_running));
		if (!c->supported)
			err |= json_object_set_new(o, "reason", json_string(c->why));
		if (err) {
			json_decref(o);
			return -1;
		}
		if (json_object_set_new(obj, c->name, o) < 0)
			return -1;
	}
	return 0;
}
