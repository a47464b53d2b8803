/*
 * replay_vm.c - the process side of the replay (bench/replay_vm.h).
 */
#include "bench/replay_vm.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#define RV_ERRORS_PRINTED 5             /* per reason; the rest are counted */

static const char *const rv_error_names[NR_RV_ERRORS] = {
	[RV_ERR_MMAP] = "mmap_refused",
	[RV_ERR_MMAP_OVERLAP] = "mmap_overlap",
	[RV_ERR_MUNMAP] = "munmap_refused",
	[RV_ERR_MREMAP] = "mremap_refused",
	[RV_ERR_MPROTECT] = "mprotect_refused",
	[RV_ERR_MADVISE] = "madvise_refused",
	[RV_ERR_BRK] = "brk_mismatch",
	[RV_ERR_FORK] = "fork_failed",
};

static const char *const rv_kind_names[RV_KIND_FAULT] = {
	[RV_KIND_MMAP] = "mmap", [RV_KIND_MUNMAP] = "munmap", [RV_KIND_MREMAP] = "mremap",
	[RV_KIND_MPROTECT] = "mprotect", [RV_KIND_MADVISE] = "madvise", [RV_KIND_BRK] = "brk",
	[RV_KIND_FORK] = "fork", [RV_KIND_EXEC] = "exec", [RV_KIND_EXIT] = "exit",
	[RV_KIND_ACCESS] = "access",
};

const char *replay_vm_kind_name(unsigned kind)
{
	static char buf[NR_FAULT_CLASSES][32];

	if (kind < RV_KIND_FAULT)
		return rv_kind_names[kind];
	if (kind >= NR_RV_KINDS)
		return "?";
	unsigned c = kind - RV_KIND_FAULT;
	if (!buf[c][0])
		snprintf(buf[c], sizeof(buf[c]), "fault_%s", fault_class_names[c]);
	return buf[c];
}

/* ---------------------------------------------------------------- processes */

/* A recorded range [rec, rec + len) living at model address model (placement = engine). */
struct rv_range {
	uint64_t rec;                   /* recorded start, bytes */
	uint64_t len;                   /* bytes */
	uint64_t model;                 /* model start, bytes */
};

struct rv_stat {
	uint32_t pid;
	uint64_t hiwater;               /* pages: peak RSS over the pid's address spaces */
	uint64_t faults;                /* faults the model took (not spurious, not refused) */
	uint64_t majfaults;             /* ... of which page-cache misses */
	UT_hash_handle hh;
};

struct rv_proc {
	uint32_t pid;
	struct rv_stat *stat;           /* this pid's figures */
	uint64_t cover_start, cover_end; /* a VMA range known to be mapped (rv_covered) */
	uint64_t cover_gen;             /* ... valid while replay_vm.vma_gen equals this */
	struct mm_struct *mm;           /* shared with the parent while vforked */
	bool vforked;                   /* shares the parent's mm until exec or exit */
	bool brk_set;                   /* heap start taken from the first brk */
	struct rv_range *ranges;        /* sorted by rec, disjoint (placement = engine) */
	uint32_t nr_ranges, cap_ranges;
	UT_hash_handle hh;
};

static void rv_error(replay_vm_t *v, enum rv_error e, uint64_t idx, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void rv_error(replay_vm_t *v, enum rv_error e, uint64_t idx, const char *fmt, ...)
{
	va_list ap;

	if (v->nr_errors[e]++ >= RV_ERRORS_PRINTED)
		return;
	fprintf(stderr, "mmbench replay: %s: event %" PRIu64 ": ", v->trace_path, idx);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (counted as %s; replay goes on)\n", rv_error_names[e]);
}

/* Fold an address space's peak RSS into its pid's figures before it goes. */
static void rv_account(const struct rv_proc *p)
{
	const struct mm_struct *mm = p->mm;

	if (!mm || p->vforked || !p->stat)
		return;
	if (mm->hiwater_rss > p->stat->hiwater)
		p->stat->hiwater = mm->hiwater_rss;
}

/* pid's figures, made on first sight; NULL when out of memory. */
static struct rv_stat *rv_stat_get(replay_vm_t *v, uint32_t pid)
{
	struct rv_stat *s;

	HASH_FIND(hh, v->stats, &pid, sizeof(pid), s);
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return NULL;
		s->pid = pid;
		HASH_ADD(hh, v->stats, pid, sizeof(s->pid), s);
	}
	return s;
}

/* Drop p's address space (exit or exec): the last user tears it down. */
static void rv_put_mm(replay_vm_t *v, struct rv_proc *p)
{
	if (!p->mm)
		return;
	rv_account(p);
	if (--p->mm->mm_users <= 0)
		mm_destroy(&v->vs, p->mm);
	p->mm = NULL;
	p->vforked = false;
	p->nr_ranges = 0;
	p->brk_set = false;
}

static void rv_proc_free(replay_vm_t *v, struct rv_proc *p)
{
	rv_put_mm(v, p);
	HASH_DEL(v->procs, p);
	if (v->last == p)
		v->last = NULL;
	free(p->ranges);
	free(p);
}

/* A fresh address space for p; false when host memory ran out. */
static bool rv_new_mm(replay_vm_t *v, struct rv_proc *p)
{
	p->mm = mm_create(&v->vs, p->pid);
	if (!p->mm)
		return false;
	p->mm->mm_users = 1;
	v->nr_processes++;
	return true;
}

/* The process pid, created with its own address space on first sight.  NULL when out of memory. */
static struct rv_proc *rv_proc_get(replay_vm_t *v, uint32_t pid)
{
	struct rv_proc *p = v->last;

	if (p && p->pid == pid)
		return p;
	HASH_FIND(hh, v->procs, &pid, sizeof(pid), p);
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p)
			return NULL;
		p->pid = pid;
		p->stat = rv_stat_get(v, pid);
		if (!p->stat || !rv_new_mm(v, p)) {
			free(p);
			return NULL;
		}
		HASH_ADD(hh, v->procs, pid, sizeof(p->pid), p);
	}
	v->last = p;
	return p;
}

/* ---------------------------------------------------------------- address translation */

/* Index of the first range ending above addr. */
static uint32_t range_find(const struct rv_proc *p, uint64_t addr)
{
	uint32_t lo = 0, hi = p->nr_ranges;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (p->ranges[mid].rec + p->ranges[mid].len <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The model address of recorded address addr (identity outside the translated ranges). */
static uint64_t rv_translate(const replay_vm_t *v, const struct rv_proc *p, uint64_t addr)
{
	if (!v->placement_engine || !p->nr_ranges)
		return addr;
	uint32_t i = range_find(p, addr);
	if (i < p->nr_ranges && p->ranges[i].rec <= addr)
		return p->ranges[i].model + (addr - p->ranges[i].rec);
	return addr;
}

/* Forget the translation of [rec, rec + len), splitting ranges that stick out. */
static int range_remove(struct rv_proc *p, uint64_t rec, uint64_t len)
{
	uint64_t end = rec + len;
	uint32_t i = range_find(p, rec);

	while (i < p->nr_ranges && p->ranges[i].rec < end) {
		struct rv_range *r = &p->ranges[i];
		uint64_t r_end = r->rec + r->len;

		if (r->rec < rec && r_end > end) {              /* hole in the middle: split */
			if (p->nr_ranges == p->cap_ranges) {
				uint32_t cap = p->cap_ranges ? 2 * p->cap_ranges : 16;
				struct rv_range *n = realloc(p->ranges, cap * sizeof(*n));
				if (!n)
					return -1;
				p->ranges = n;
				p->cap_ranges = cap;
				r = &p->ranges[i];
			}
			memmove(r + 2, r + 1, (p->nr_ranges - i - 1) * sizeof(*r));
			p->nr_ranges++;
			r[1] = (struct rv_range){ end, r_end - end, r->model + (end - r->rec) };
			r->len = rec - r->rec;
			return 0;
		}
		if (r->rec < rec) {                             /* keep the head */
			r->len = rec - r->rec;
			i++;
		} else if (r_end > end) {                       /* keep the tail */
			r->model += end - r->rec;
			r->len = r_end - end;
			r->rec = end;
			i++;
		} else {                                        /* wholly inside: drop */
			memmove(r, r + 1, (p->nr_ranges - i - 1) * sizeof(*r));
			p->nr_ranges--;
		}
	}
	return 0;
}

/* Record that [rec, rec + len) now lives at model (replacing what was there). */
static int range_add(struct rv_proc *p, uint64_t rec, uint64_t len, uint64_t model)
{
	if (range_remove(p, rec, len))
		return -1;
	if (rec == model)
		return 0;               /* identity needs no entry */
	if (p->nr_ranges == p->cap_ranges) {
		uint32_t cap = p->cap_ranges ? 2 * p->cap_ranges : 16;
		struct rv_range *n = realloc(p->ranges, cap * sizeof(*n));
		if (!n)
			return -1;
		p->ranges = n;
		p->cap_ranges = cap;
	}
	uint32_t i = range_find(p, rec);
	memmove(&p->ranges[i + 1], &p->ranges[i], (p->nr_ranges - i) * sizeof(p->ranges[0]));
	p->ranges[i] = (struct rv_range){ rec, len, model };
	p->nr_ranges++;
	return 0;
}

/*
 * Apply fn to the model pieces of recorded [addr, addr + len): one call per
 * translated piece and per untranslated gap.  Returns the first nonzero
 * result of fn, else 0.
 */
typedef int (*rv_piece_fn)(replay_vm_t *v, struct rv_proc *p, uint64_t start, uint64_t len,
			   const trace_event_t *ev, unsigned cpu);

static int rv_for_pieces(replay_vm_t *v, struct rv_proc *p, uint64_t addr, uint64_t len,
			 rv_piece_fn fn, const trace_event_t *ev, unsigned cpu)
{
	uint64_t end = addr + len, cur = addr;
	int rc = 0;

	if (!v->placement_engine || !p->nr_ranges)
		return fn(v, p, addr, len, ev, cpu);
	for (uint32_t i = range_find(p, addr); cur < end; i++) {
		const struct rv_range *r = i < p->nr_ranges ? &p->ranges[i] : NULL;
		uint64_t next = r && r->rec < end ? r->rec : end;

		if (cur < next) {                               /* gap: identity */
			int e = fn(v, p, cur, next - cur, ev, cpu);
			rc = rc ? rc : e;
			cur = next;
		}
		if (!r || r->rec >= end)
			break;
		uint64_t piece_end = r->rec + r->len < end ? r->rec + r->len : end;
		int e = fn(v, p, r->model + (cur - r->rec), piece_end - cur, ev, cpu);
		rc = rc ? rc : e;
		cur = piece_end;
	}
	return rc;
}

/* ---------------------------------------------------------------- system calls */

static int piece_munmap(replay_vm_t *v, struct rv_proc *p, uint64_t start, uint64_t len,
			const trace_event_t *ev, unsigned cpu)
{
	(void)ev;
	return do_munmap(&v->vs, p->mm, start, len, cpu);
}

/*
 * Map the holes of [start, start + len) as anonymous private memory with
 * prot: what a process had mapped before the recording started (its ELF
 * image, its stack, the loader's work) that a later call or fault shows.
 * Each implicit mapping is counted (vm.implicit_mappings).
 */
static void rv_fill_holes(replay_vm_t *v, struct rv_proc *p, uint64_t start, uint64_t len,
			  uint32_t prot, unsigned cpu)
{
	uint64_t end = (start + len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1), cur = start & ~(PAGE_SIZE - 1);

	while (cur < end) {
		const struct vm_area_struct *vma = find_vma_uncounted(p->mm, cur);
		uint64_t hole_end = vma && vma->vm_start < end ? vma->vm_start : end;

		if (cur < hole_end &&
		    do_mmap(&v->vs, p->mm, cur, hole_end - cur, prot, MM_MAP_PRIVATE | MM_MAP_ANONYMOUS |
			    MM_MAP_FIXED, VM_FILE_NONE, 0, cpu) == (int64_t)cur) {
			v->nr_implicit++;
			v->vma_gen++;
		}
		if (!vma || vma->vm_end >= end)
			break;
		cur = vma->vm_end;
	}
}

static int piece_mprotect(replay_vm_t *v, struct rv_proc *p, uint64_t start, uint64_t len,
			  const trace_event_t *ev, unsigned cpu)
{
	int rc = do_mprotect(&v->vs, p->mm, start, len, ev->mprotect.prot, cpu);

	if (rc == -ENOMEM) {    /* the kernel found it mapped: mapped before the trace began */
		rv_fill_holes(v, p, start, len, ev->mprotect.prot, cpu);
		rc = do_mprotect(&v->vs, p->mm, start, len, ev->mprotect.prot, cpu);
	}
	return rc;
}

static int piece_madvise(replay_vm_t *v, struct rv_proc *p, uint64_t start, uint64_t len,
			 const trace_event_t *ev, unsigned cpu)
{
	int rc = do_madvise(&v->vs, p->mm, start, len, ev->madvise.advice, cpu);

	if (rc == -ENOMEM) {    /* as for mprotect: the recording found it mapped */
		rv_fill_holes(v, p, start, len, MM_PROT_READ | MM_PROT_WRITE, cpu);
		rc = do_madvise(&v->vs, p->mm, start, len, ev->madvise.advice, cpu);
	}
	return rc;
}

static int rv_mmap(replay_vm_t *v, struct rv_proc *p, const trace_event_t *ev, uint64_t idx,
		   unsigned cpu)
{
	uint32_t flags = ev->mmap.flags;
	uint64_t len = (ev->mmap.len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	int64_t got;

	if (!v->placement_engine) {
		/*
		 * The kernel put it at result.  A MAP_FIXED call replaced what
		 * was there; any other found the range free, so the model must
		 * too (else it kept a mapping reality no longer had).
		 */
		bool fixed = flags & MM_MAP_FIXED;
		flags &= ~(MM_MAP_FIXED | MM_MAP_FIXED_NOREPLACE);
		got = do_mmap(&v->vs, p->mm, ev->mmap.result, ev->mmap.len, ev->mmap.prot,
			      flags | (fixed ? MM_MAP_FIXED : MM_MAP_FIXED_NOREPLACE), ev->mmap.file,
			      ev->mmap.pgoff, cpu);
		if (got == -EEXIST) {
			rv_error(v, RV_ERR_MMAP_OVERLAP, idx,
				 "mmap result %#" PRIx64 "+%#" PRIx64 " overlaps a mapping the model still has",
				 ev->mmap.result, len);
			got = do_mmap(&v->vs, p->mm, ev->mmap.result, ev->mmap.len, ev->mmap.prot,
				      flags | MM_MAP_FIXED, ev->mmap.file, ev->mmap.pgoff, cpu);
		}
		if (got < 0 || (uint64_t)got != ev->mmap.result) {
			rv_error(v, RV_ERR_MMAP, idx, "mmap at %#" PRIx64 " len %#" PRIx64 ": model returned %" PRId64,
				 ev->mmap.result, len, got);
			return RV_KIND_NONE;
		}
		return RV_KIND_MMAP;
	}
	/* placement = engine: the model chooses; MAP_FIXED hints are translated */
	uint64_t hint = flags & (MM_MAP_FIXED | MM_MAP_FIXED_NOREPLACE) ? rv_translate(v, p, ev->mmap.addr) : 0;
	got = do_mmap(&v->vs, p->mm, hint, ev->mmap.len, ev->mmap.prot, flags, ev->mmap.file,
		      ev->mmap.pgoff, cpu);
	if (got < 0) {
		rv_error(v, RV_ERR_MMAP, idx, "mmap len %#" PRIx64 ": model returned %" PRId64, len, got);
		return RV_KIND_NONE;
	}
	if (range_add(p, ev->mmap.result, len, (uint64_t)got))
		return RV_KIND_NONE;
	return RV_KIND_MMAP;
}

static int rv_mremap(replay_vm_t *v, struct rv_proc *p, const trace_event_t *ev, uint64_t idx,
		     unsigned cpu)
{
	uint64_t old = rv_translate(v, p, ev->mremap.addr);
	uint32_t flags = ev->mremap.flags;
	uint64_t new_addr = ev->mremap.new_addr;
	uint64_t new_len = (ev->mremap.new_len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	int64_t got;

	if (!v->placement_engine) {
		if (ev->mremap.result != ev->mremap.addr) {     /* the kernel moved it there */
			flags |= MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED;
			new_addr = ev->mremap.result;
		} else {
			flags &= ~MM_MREMAP_FIXED;
		}
	} else if (flags & MM_MREMAP_FIXED) {
		new_addr = rv_translate(v, p, new_addr);
	}
	got = do_mremap(&v->vs, p->mm, old, ev->mremap.old_len, ev->mremap.new_len, flags, new_addr, cpu);
	if (got < 0 || (!v->placement_engine && (uint64_t)got != ev->mremap.result)) {
		rv_error(v, RV_ERR_MREMAP, idx, "mremap %#" PRIx64 " -> len %#" PRIx64 ": model returned %" PRId64,
			 ev->mremap.addr, ev->mremap.new_len, got);
		return RV_KIND_NONE;
	}
	if (v->placement_engine) {
		uint64_t old_len = (ev->mremap.old_len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
		if (range_remove(p, ev->mremap.addr, old_len) ||
		    range_add(p, ev->mremap.result, new_len, (uint64_t)got))
			return RV_KIND_NONE;
	}
	return RV_KIND_MREMAP;
}

static int rv_brk(replay_vm_t *v, struct rv_proc *p, const trace_event_t *ev, uint64_t idx,
		  unsigned cpu)
{
	if (!p->brk_set) {
		/*
		 * The heap starts where the ELF loader put it, which no trace
		 * shows; a process's first brk (glibc's brk(0) query) tells the
		 * break, and the model starts from it.
		 */
		mm_set_brk_base(p->mm, ev->brk.result);
		p->brk_set = true;
		return RV_KIND_BRK;
	}
	uint64_t got = do_brk(&v->vs, p->mm, ev->brk.request, cpu);
	if (got != ev->brk.result)
		rv_error(v, RV_ERR_BRK, idx, "brk(%#" PRIx64 ") gave %#" PRIx64 ", recorded %#" PRIx64,
			 ev->brk.request, got, ev->brk.result);
	return RV_KIND_BRK;
}

static int rv_fork(replay_vm_t *v, struct rv_proc *parent, const trace_event_t *ev, uint64_t idx)
{
	uint32_t pid = ev->fork.child;
	struct rv_proc *c;

	if (ev->fork.flags & TRACE_FORK_THREAD)
		return RV_KIND_FORK;    /* a thread shares the mm: nothing to copy */
	HASH_FIND(hh, v->procs, &pid, sizeof(pid), c);
	if (c)
		rv_proc_free(v, c);     /* pid reused without an EXIT in the trace */
	c = calloc(1, sizeof(*c));
	if (!c)
		return RV_KIND_NONE;
	c->pid = pid;
	c->stat = rv_stat_get(v, pid);
	if (!c->stat) {
		free(c);
		return RV_KIND_NONE;
	}
	if (ev->fork.flags & TRACE_FORK_VFORK) {        /* CLONE_VM: shares until exec/exit */
		c->mm = parent->mm;
		c->mm->mm_users++;
		c->vforked = true;
	} else {
		c->mm = mm_fork(&v->vs, parent->mm, pid);
		if (!c->mm) {
			rv_error(v, RV_ERR_FORK, idx, "fork of pid %u: out of memory", parent->pid);
			free(c);
			return RV_KIND_NONE;
		}
		c->mm->mm_users = 1;
		v->nr_processes++;
	}
	c->brk_set = parent->brk_set;
	if (parent->nr_ranges) {
		c->ranges = malloc(parent->nr_ranges * sizeof(*c->ranges));
		if (!c->ranges) {
			rv_put_mm(v, c);
			free(c);
			return RV_KIND_NONE;
		}
		memcpy(c->ranges, parent->ranges, parent->nr_ranges * sizeof(*c->ranges));
		c->nr_ranges = c->cap_ranges = parent->nr_ranges;
	}
	HASH_ADD(hh, v->procs, pid, sizeof(c->pid), c);
	return RV_KIND_FORK;
}

/* Fault classes that count as the kernel's minor/major faults (not spurious, not refused). */
static bool fault_counts(enum fault_class c)
{
	return c != FAULT_SPURIOUS && c != FAULT_SIGSEGV && c != FAULT_OOM;
}

/*
 * Whether a VMA of p covers addr.  The last covering VMA's range is kept
 * until any VMA may have changed (vma_gen), so a run of faults and accesses
 * does not look each address up twice (here and in the fault).
 */
static bool rv_covered(replay_vm_t *v, struct rv_proc *p, uint64_t addr)
{
	const struct vm_area_struct *vma;

	if (p->cover_gen == v->vma_gen && addr >= p->cover_start && addr < p->cover_end)
		return true;
	vma = find_vma_uncounted(p->mm, addr);
	if (!vma || vma->vm_start > addr)
		return false;
	p->cover_start = vma->vm_start;
	p->cover_end = vma->vm_end;
	p->cover_gen = v->vma_gen;
	return true;
}

static int rv_fault(replay_vm_t *v, struct rv_proc *p, const trace_event_t *ev, unsigned cpu)
{
	uint64_t addr = rv_translate(v, p, ev->type == TRACE_FAULT ? ev->fault.addr : ev->access.addr);
	unsigned flags = (ev->type == TRACE_FAULT ? ev->fault.flags : ev->access.flags) &
			 (FAULT_FLAG_WRITE | FAULT_FLAG_INSTRUCTION | FAULT_FLAG_USER);
	uint64_t maj = v->vs.ev.pgmajfault;
	enum fault_class c;

	/*
	 * A fault or access outside every mapping the model knows: the
	 * recorded program touched memory it had before the recording began
	 * (a kernel trace starts after exec).  Map it implicitly, with the
	 * rights the access needs, rather than report a SIGSEGV the program
	 * never took.
	 */
	if (!(ev->type == TRACE_FAULT && (ev->fault.flags & TRACE_FAULT_PROT)) && !rv_covered(v, p, addr))
		rv_fill_holes(v, p, addr, PAGE_SIZE, MM_PROT_READ | (flags & FAULT_FLAG_WRITE ?
			      MM_PROT_WRITE : 0) | (flags & FAULT_FLAG_INSTRUCTION ? MM_PROT_EXEC : 0), cpu);
	if (ev->type == TRACE_FAULT)
		c = handle_mm_fault(&v->vs, p->mm, addr, flags, cpu);
	else
		c = mm_access(&v->vs, p->mm, addr, flags, cpu);
	if (!p->vforked && fault_counts(c)) {
		p->stat->faults++;
		p->stat->majfaults += v->vs.ev.pgmajfault - maj;
	}
	if (ev->type == TRACE_ACCESS && c == FAULT_SPURIOUS)
		return RV_KIND_ACCESS;
	return RV_KIND_FAULT + c;
}

/* The errno a recorded mm system call failed with, 0 when it succeeded or is not one. */
static uint32_t recorded_err(const trace_event_t *ev)
{
	switch (ev->type) {
	case TRACE_MMAP: return ev->mmap.err;
	case TRACE_MUNMAP: return ev->munmap.err;
	case TRACE_MREMAP: return ev->mremap.err;
	case TRACE_MPROTECT: return ev->mprotect.err;
	case TRACE_MADVISE: return ev->madvise.err;
	default: return 0;
	}
}

int replay_vm_event(replay_vm_t *v, const trace_event_t *ev, uint64_t idx, unsigned cpu)
{
	struct rv_proc *p;
	int rc;

	if (ev->type == TRACE_ACCESS && (ev->access.flags & TRACE_ACCESS_TOUCH) && !v->touch) {
		v->nr_touch_skipped++;
		return RV_KIND_NONE;
	}
	p = rv_proc_get(v, ev->pid);
	if (!p)
		return RV_KIND_NONE;
	if (!p->mm && !rv_new_mm(v, p))
		return RV_KIND_NONE;
	if (recorded_err(ev)) {
		v->nr_failed_in_trace++;
		return RV_KIND_NONE;
	}
	if (ev->type != TRACE_FAULT && ev->type != TRACE_ACCESS)
		v->vma_gen++;   /* VMAs may change: the faults' coverage caches are stale */
	switch (ev->type) {
	case TRACE_MMAP:
		return rv_mmap(v, p, ev, idx, cpu);
	case TRACE_MUNMAP:
		rc = rv_for_pieces(v, p, ev->munmap.addr, ev->munmap.len, piece_munmap, ev, cpu);
		if (rc)
			rv_error(v, RV_ERR_MUNMAP, idx, "munmap %#" PRIx64 "+%#" PRIx64 ": model returned %d",
				 ev->munmap.addr, ev->munmap.len, rc);
		if (v->placement_engine)
			range_remove(p, ev->munmap.addr, (ev->munmap.len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1));
		return RV_KIND_MUNMAP;
	case TRACE_MREMAP:
		return rv_mremap(v, p, ev, idx, cpu);
	case TRACE_MPROTECT:
		rc = rv_for_pieces(v, p, ev->mprotect.addr, ev->mprotect.len, piece_mprotect, ev, cpu);
		if (rc)
			rv_error(v, RV_ERR_MPROTECT, idx, "mprotect %#" PRIx64 "+%#" PRIx64 ": model returned %d",
				 ev->mprotect.addr, ev->mprotect.len, rc);
		return RV_KIND_MPROTECT;
	case TRACE_MADVISE:
		rc = rv_for_pieces(v, p, ev->madvise.addr, ev->madvise.len, piece_madvise, ev, cpu);
		if (rc && rc != -EINVAL)        /* advice the model does not act on is fine */
			rv_error(v, RV_ERR_MADVISE, idx, "madvise %#" PRIx64 "+%#" PRIx64 " advice %u: model returned %d",
				 ev->madvise.addr, ev->madvise.len, ev->madvise.advice, rc);
		return RV_KIND_MADVISE;
	case TRACE_BRK:
		return rv_brk(v, p, ev, idx, cpu);
	case TRACE_FAULT:
	case TRACE_ACCESS:
		return rv_fault(v, p, ev, cpu);
	case TRACE_FORK:
		return rv_fork(v, p, ev, idx);
	case TRACE_EXEC:        /* exec_mmap(): a new mm replaces the old one */
		rv_put_mm(v, p);
		return rv_new_mm(v, p) ? RV_KIND_EXEC : RV_KIND_NONE;
	case TRACE_EXIT:
		if (!(ev->exit.flags & TRACE_EXIT_THREAD))
			rv_proc_free(v, p);
		return RV_KIND_EXIT;
	default:
		return RV_KIND_NONE;
	}
}

/* ---------------------------------------------------------------- setup, checks, output */

int replay_vm_init(replay_vm_t *v, phys_t *pm, const struct policy *p, const char *trace_path,
		   bool touch, char *err, size_t errlen)
{
	memset(v, 0, sizeof(*v));
	v->trace_path = trace_path;
	v->touch = touch;
	v->placement_engine = p->vm.placement_engine;
	if (p->tlb.enabled) {
		if (tlb_init(&v->tlb, &p->tlb, pm->nr_cpus, pm, err, errlen))
			return -1;
		v->tlb_up = true;
	}
	if (vmsys_init(&v->vs, pm, &p->vm, v->tlb_up ? &v->tlb : NULL, err, errlen))
		return -1;
	v->vs_up = true;
	return 0;
}

void replay_vm_destroy(replay_vm_t *v)
{
	struct rv_proc *p, *tmp;

	struct rv_stat *s, *stmp;

	HASH_ITER(hh, v->procs, p, tmp)
		rv_proc_free(v, p);
	HASH_ITER(hh, v->stats, s, stmp) {
		HASH_DEL(v->stats, s);
		free(s);
	}
	if (v->vs_up)
		vmsys_destroy(&v->vs);
	if (v->tlb_up)
		tlb_destroy(&v->tlb);
	v->vs_up = v->tlb_up = false;
}

int replay_vm_check(const replay_vm_t *v, char *msg, size_t len)
{
	const struct rv_proc *p, *tmp;
	char m[400];

	HASH_ITER(hh, v->procs, p, tmp)
		if (p->mm && vma_check(p->mm, m, sizeof(m))) {
			snprintf(msg, len, "vma_check: pid %u: %s", p->pid, m);
			return -1;
		}
	if (v->vs_up && pgtable_check(&v->vs, m, sizeof(m))) {
		snprintf(msg, len, "pgtable_check: %s", m);
		return -1;
	}
	if (v->tlb_up && tlb_check(&v->tlb, m, sizeof(m))) {
		snprintf(msg, len, "tlb_check: %s", m);
		return -1;
	}
	return 0;
}

void replay_vm_sample(const replay_vm_t *v, void (*fn)(void *ctx, const char *scope,
						      const char *metric, int64_t value), void *ctx)
{
	const struct rv_proc *p, *tmp;
	char scope[32];

	HASH_ITER(hh, v->procs, p, tmp) {
		if (!p->mm || p->vforked)
			continue;
		snprintf(scope, sizeof(scope), "pid%u", p->pid);
		fn(ctx, scope, "rss_pages", (int64_t)get_mm_rss(p->mm));
		fn(ctx, scope, "pgtable_pages", (int64_t)(p->mm->pgtables_bytes / PAGE_SIZE));
	}
}

void replay_vm_dump_maps(const replay_vm_t *v, FILE *f)
{
	const struct rv_proc *p, *tmp;

	HASH_ITER(hh, v->procs, p, tmp)
		if (p->mm) {
			fprintf(f, "== pid %u ==\n", p->pid);
			dump_maps(p->mm, f);
		}
}

/* A metadata number, or -1 when absent or malformed. */
static int64_t meta_i64(trace_reader_t *r, const char *key)
{
	const char *s = trace_meta_get(r, key);
	char *end;

	if (!s || !*s)
		return -1;
	errno = 0;
	long long x = strtoll(s, &end, 10);
	return errno || *end || x < 0 ? -1 : (int64_t)x;
}

void replay_vm_rows(replay_vm_t *v, trace_reader_t *r, results_t *res)
{
	const struct vm_events *e = &v->vs.ev;
	struct rv_proc *p, *tmp;
	uint64_t rss = 0, pgtables = 0;
	char metric[96];

	HASH_ITER(hh, v->procs, p, tmp) {
		if (!p->mm || p->vforked)
			continue;
		rss += get_mm_rss(p->mm);
		pgtables += p->mm->pgtables_bytes / PAGE_SIZE;
		rv_account(p);
	}
#define ROW(field, unit) results_add_u64(res, "vm." #field, e->field, unit, true)
	ROW(pgfault, "faults");
	ROW(pgmajfault, "faults");
	ROW(thp_fault_alloc, "faults");
	ROW(thp_fault_fallback, "faults");
	ROW(cow_copies, "pages");
	ROW(pgtable_alloc, "pages");
	ROW(pgtable_free, "pages");
	ROW(tlb_shootdowns, "ipis");
	ROW(sigsegv, "faults");
	ROW(user_pages_migrated, "pages");
#undef ROW
	for (unsigned c = 0; c < NR_FAULT_CLASSES; c++) {
		snprintf(metric, sizeof(metric), "vm.faults.%s", fault_class_names[c]);
		results_add_u64(res, metric, e->nr_faults[c], "faults", true);
	}
	results_add_u64(res, "vm.processes", v->nr_processes, "processes", true);
	results_add_u64(res, "vm.rss_pages_end", rss, "pages", true);
	results_add_u64(res, "vm.pgtable_pages_end", pgtables, "pages", true);
	results_add_u64(res, "vm.touch_skipped", v->nr_touch_skipped, "events", true);
	results_add_u64(res, "vm.failed_in_trace", v->nr_failed_in_trace, "events", true);
	results_add_u64(res, "vm.implicit_mappings", v->nr_implicit, "mappings", true);
	for (unsigned i = 0; i < NR_RV_ERRORS; i++) {
		snprintf(metric, sizeof(metric), "replay_errors.%s", rv_error_names[i]);
		results_add_u64(res, metric, v->nr_errors[i], "events", true);
	}
	if (v->tlb_up) {
		struct tlb_stats st;
		tlb_stats_sum(&v->tlb, &st);
		results_add_u64(res, "tlb.l1_hits", st.l1_hits, "lookups", true);
		results_add_u64(res, "tlb.stlb_hits", st.stlb_hits, "lookups", true);
		results_add_u64(res, "tlb.misses", st.misses, "lookups", true);
		results_add_u64(res, "tlb.walk_refs", st.walk_refs, "references", true);
		results_add_u64(res, "tlb.shootdowns", st.shootdowns_sent, "ipis", true);
	}

	/*
	 * Model versus reality: the process with the largest real max RSS
	 * (proc.PID.maxrss_kb), else the root's real.* figures with the first
	 * pid seen.
	 */
	struct rv_stat *best = NULL, *st, *stmp;
	int64_t real_minflt = -1, real_rss_kb = -1;
	HASH_ITER(hh, v->stats, st, stmp) {
		char key[64];
		snprintf(key, sizeof(key), "proc.%u.maxrss_kb", st->pid);
		int64_t kb = meta_i64(r, key);
		if (kb > real_rss_kb) {
			real_rss_kb = kb;
			best = st;
			snprintf(key, sizeof(key), "proc.%u.minflt", st->pid);
			real_minflt = meta_i64(r, key);
		}
	}
	if (!best && v->stats) {
		best = v->stats;        /* uthash keeps insertion order: the first pid */
		real_minflt = meta_i64(r, "real.minflt");
		real_rss_kb = meta_i64(r, "real.maxrss_kb");
	}
	if (!best)
		return;
	results_add_u64(res, "model_vs_real.pid", best->pid, "pid", true);
	results_add_u64(res, "model_vs_real.minor_faults.predicted", best->faults - best->majfaults,
			"faults", true);
	results_add_u64(res, "model_vs_real.max_rss_bytes.predicted", best->hiwater * PAGE_SIZE, "bytes", true);
	if (real_minflt >= 0)
		results_add_u64(res, "model_vs_real.minor_faults.real", (uint64_t)real_minflt, "faults", true);
	if (real_rss_kb >= 0) {
		results_add_u64(res, "model_vs_real.max_rss_bytes.real", (uint64_t)real_rss_kb * 1024, "bytes", true);
		if (real_rss_kb)
			results_add_f64(res, "model_vs_real.max_rss_error",
					(double)(best->hiwater * PAGE_SIZE) / (double)(real_rss_kb * 1024) - 1.0, 4,
					"ratio", true);
	}
}
