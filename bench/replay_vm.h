/*
 * replay_vm.h - the process side of the replay: mm system calls, faults,
 * accesses, fork, exec and exit driven into the engine's virtual-memory
 * model (engine/mm.h) and TLB (engine/tlb.h).
 *
 * Every trace pid gets an address space the first time it appears (the
 * process existed before the recording started); FORK copies it (dup_mmap),
 * a vfork child shares its parent's until it execs or exits, EXEC replaces
 * it and a process EXIT tears it down.  Threads share their process's.
 *
 * Placement.  By default the recorded addresses are the layout: an mmap is
 * placed where the real kernel put it (MAP_FIXED at the recorded result), so
 * every later address of the trace means what it meant.  With the policy's
 * placement = engine the model picks addresses itself (get_unmapped_area)
 * and every later address inside such a mapping is translated, piece by
 * piece, through a per-process table of (recorded range -> model range);
 * addresses outside any mapping (heap, stack, the program's image) are kept.
 *
 * Calls that failed in the recording (err != 0) are not replayed: the model
 * starts from the real outcome.  A model call that disagrees with the
 * recording (the model refuses what the kernel did) is a counted replay
 * error, printed for its first few events, and the replay goes on.
 *
 * Seeding.  Memory a process had that no event of the trace maps -- what
 * it mapped before the recording began, and what exec maps in the kernel
 * (the ELF image, ld.so, the stack, the vDSO) -- is taken from the real
 * memory map the trace's metadata holds (proc.PID.maps_start, recorded when
 * the recorder attached, and proc.PID.maps_end, at exit: lines
 * "START-END PERMS NAME" joined by "; ").  When a fault, access, mprotect or
 * madvise of the trace first touches such memory, the whole line is mapped
 * (as far as it is free) with its permissions: a file mapping for a named
 * line (one file id per distinct name, RV_SEED_FILE_BASE up, offsets
 * counted from the first line of the run of lines of that name), anonymous
 * for "-" and [heap] (the break itself still comes from the first recorded
 * brk, mm_set_brk_base), [stack] with VM_GROWSDOWN (vm.seeded_mappings).  A process that exec'd in the
 * trace looks in maps_end first (its final image), others in maps_start
 * first.  Mappings the trace makes always win: they exist before anything
 * is seeded, and a recorded mmap over a seeded or implicit range replaces
 * it as MAP_FIXED would, without counting an overlap error.  Memory no line
 * covers becomes an implicit anonymous mapping, as before
 * (vm.implicit_mappings).  [vvar] and [vsyscall] are never seeded (PFN
 * mappings the kernel does not count in RSS); malformed lines are skipped
 * and counted (vm.seed_malformed).
 */
#ifndef MMBENCH_REPLAY_VM_H
#define MMBENCH_REPLAY_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bench/policy.h"
#include "bench/results.h"
#include "engine/mm.h"
#include "engine/tlb.h"
#include "traces/trace.h"

/* Event kinds of the process side; the replay adds its own base. */
enum rv_kind {
	RV_KIND_MMAP,
	RV_KIND_MUNMAP,
	RV_KIND_MREMAP,
	RV_KIND_MPROTECT,
	RV_KIND_MADVISE,
	RV_KIND_BRK,
	RV_KIND_FORK,
	RV_KIND_EXEC,
	RV_KIND_EXIT,
	RV_KIND_ACCESS,                 /* an access that needed no fault (TLB or page-table hit) */
	RV_KIND_FAULT,                  /* + enum fault_class: fault_anon, fault_zero, ... */
	NR_RV_KINDS = RV_KIND_FAULT + NR_FAULT_CLASSES,
	RV_KIND_NONE = -1               /* nothing measured (skipped, failed in the trace, an error) */
};

/* Disagreements between the recording and the model: counted, replay goes on. */
enum rv_error {
	RV_ERR_MMAP,                    /* the model refused an mmap the kernel did */
	RV_ERR_MMAP_OVERLAP,            /* recorded mmap result overlaps a live model mapping (replaced) */
	RV_ERR_MUNMAP,                  /* the model refused an munmap */
	RV_ERR_MREMAP,                  /* the model refused an mremap the kernel did */
	RV_ERR_MPROTECT,                /* ... an mprotect */
	RV_ERR_MADVISE,                 /* ... an madvise */
	RV_ERR_BRK,                     /* brk ended somewhere else than recorded */
	RV_ERR_FORK,                    /* fork could not copy the address space */
	NR_RV_ERRORS
};

/* File ids of seeded mappings: far above any trace's own file ids. */
#define RV_SEED_FILE_BASE	0xc0000000u

struct rv_proc;                         /* one traced process (replay_vm.c) */
struct rv_maps;                         /* one pid's parsed maps lines (replay_vm.c) */
struct rv_stat;                         /* one pid's figures, kept after it exits (replay_vm.c) */

typedef struct replay_vm {
	const char *trace_path;         /* for messages */
	vmsys_t vs;                     /* the engine's VM side */
	struct tlb tlb;                 /* the TLB, when the policy enables it */
	bool vs_up, tlb_up;
	bool placement_engine;          /* translate addresses (placement = engine) */
	bool touch;                     /* apply ACCESS events flagged touch (--touch=alloc) */
	struct rv_proc *procs;          /* live processes by pid (uthash) */
	struct rv_proc *last;           /* the last one looked up */
	struct rv_stat *stats;          /* every pid seen, by pid (uthash): model-versus-reality figures */
	uint64_t nr_errors[NR_RV_ERRORS];
	uint64_t nr_touch_skipped;      /* touch accesses left out (--touch=none) */
	uint64_t nr_failed_in_trace;    /* calls the recording saw fail: not replayed */
	uint64_t nr_implicit;           /* anonymous mappings made for memory no maps line covers */
	uint64_t nr_guess_widened;      /* pages of a guessed mapping given a right a later access used */
	uint64_t nr_seeded;             /* mappings made from proc.PID.maps_start / maps_end lines */
	uint64_t nr_seed_malformed;     /* maps lines that could not be read (skipped) */
	const trace_reader_t *meta;     /* where proc.PID.maps_* are read, NULL: no seeding */
	struct rv_maps *maps;           /* parsed maps by pid (uthash), made on first need */
	char **seed_names;              /* [nr_seed_names]: file id RV_SEED_FILE_BASE + i names seed_names[i] */
	uint32_t nr_seed_names, cap_seed_names;
	uint64_t vma_gen;               /* bumped whenever VMAs may change (rv_covered's caches) */
	uint64_t nr_processes;          /* address spaces created */
} replay_vm_t;

/* Event kind names ("mmap", "fault_anon", ...). */
const char *replay_vm_kind_name(unsigned kind);

/*
 * Set up the VM side on pm under policy p: vmsys_init, the TLB when [tlb]
 * enabled.  Returns 0, or -1 with a message in err.
 */
int replay_vm_init(replay_vm_t *v, phys_t *pm, const struct policy *p, const char *trace_path,
		   bool touch, char *err, size_t errlen);

/*
 * Seed address spaces from r's metadata (proc.PID.maps_start/maps_end, see
 * "Seeding" above); r must stay open while events are replayed.  Without
 * this call nothing is seeded (implicit mappings only).
 */
void replay_vm_set_meta(replay_vm_t *v, const trace_reader_t *r);

/* Tear every address space down and free everything; safe after a failed init. */
void replay_vm_destroy(replay_vm_t *v);

/* Replay one event of the process side; returns its enum rv_kind, or RV_KIND_NONE. */
int replay_vm_event(replay_vm_t *v, const trace_event_t *ev, uint64_t idx, unsigned cpu);

/*
 * Per-process rows for timeseries.csv (scope "pid<N>"): fn(ctx, pid, metric,
 * value) for rss_pages and pgtable_pages (pages) of every process with its
 * own address space; metric is a string literal.
 */
void replay_vm_sample(const replay_vm_t *v, void (*fn)(void *ctx, uint32_t pid,
						      const char *metric, int64_t value), void *ctx);

/* The maps of every live process, each under a "== pid N ==" line. */
void replay_vm_dump_maps(const replay_vm_t *v, FILE *f);

/*
 * Result rows: VM events, faults by class, TLB figures, replay errors, and
 * the model-versus-reality rows when the trace's metadata holds the real
 * outcome: the process with the largest proc.PID.maxrss_kb (the recorded
 * program rather than the shell that started it), else real.* of the first.
 */
void replay_vm_rows(replay_vm_t *v, trace_reader_t *r, results_t *res);

#endif /* MMBENCH_REPLAY_VM_H */
