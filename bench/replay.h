/*
 * replay.h - the replay driver: feeds a trace through the engine under a
 * policy and measures.
 *
 * One loop reads events in batches (trace_next_batch) and dispatches each to
 * the engine module that models it.  Around every event it takes two
 * figures:
 *   measured  host ns from the end of the previous event to the end of this
 *             one, one clock reading per event (bench/clock.h; what it
 *             includes: replay.c, "Measurement"), unless timing is off;
 *   modeled   the engine's work counters (engine/cost.h) weighted by the
 *             policy's cycles per item, in ns at the policy's cpu_mhz --
 *             deterministic.
 * Both go into a histogram per event kind (page_alloc_o0, page_free, malloc,
 * mmap, fault_anon, ...).  Every event type of the format is modeled; the
 * process side (mm system calls, faults, accesses, fork/exec/exit) is in
 * bench/replay_vm.c.  Semantic trace errors (a page freed that was never
 * allocated, a CMA area the policy lacks, an mmap the model refuses) are
 * counted by reason with their first event indexes printed, and the replay
 * goes on.
 *
 * Results go to a directory: results.csv, latency/KIND.hgrm,
 * modeled/KIND.hgrm, timeseries.csv, dumps/LABEL/NAME, summary.json.
 */
#ifndef MMBENCH_REPLAY_H
#define MMBENCH_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include "bench/policy.h"

/* Kernel-format dumps --dump can ask for (bit per name). */
enum replay_dump {
	DUMP_BUDDYINFO = 1u << 0,
	DUMP_PAGETYPEINFO = 1u << 1,
	DUMP_ZONEINFO = 1u << 2,
	DUMP_EXTFRAG = 1u << 3,         /* extfrag_index and unusable_index */
	DUMP_SLABINFO = 1u << 4,
	DUMP_MAPS = 1u << 5,
	DUMP_VMALLOCINFO = 1u << 6,
};

struct replay_opts {
	const char *trace_path;         /* trace to replay */
	const char *out_dir;            /* results directory (created) */
	uint64_t check_every;           /* run every consistency checker each N events; 0 = never */
	uint64_t warmup;                /* events replayed before measuring starts */
	uint64_t sample_every;          /* timeseries period in events; 0 = 1/100 of the trace */
	unsigned dumps;                 /* enum replay_dump bits */
	bool timing;                    /* measure host ns per event */
	int touch;                      /* --touch: 1 alloc, 0 none, -1 alloc when the trace has no FAULT events */
	bool progress;                  /* progress line on stderr */
	bool quiet;                     /* no summary line on stdout */
};

/*
 * Replay opts->trace_path under policy p into opts->out_dir.  Returns 0, or
 * 1 (EXIT_ERROR) after printing the error -- a malformed trace (file, event
 * index, byte offset), a consistency-check violation (event index and the
 * checker's message), an engine that cannot be built from the policy, or an
 * output file that cannot be written.
 */
int replay_run(const struct policy *p, const struct replay_opts *opts);

/*
 * Parse a --dump list ("buddyinfo,zoneinfo") into *bits (enum replay_dump).
 * Returns 0, or -1 with the bad word named in err.
 */
int replay_parse_dumps(const char *list, unsigned *bits, char *err, size_t errlen);

#endif /* MMBENCH_REPLAY_H */
