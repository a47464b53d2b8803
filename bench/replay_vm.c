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
	uint32_t cover_prot;            /* ... with these rights, MM_PROT_* */
	uint64_t cover_gen;             /* ... valid while replay_vm.vma_gen equals this */
	struct mm_struct *mm;           /* shared with the parent while vforked */
	bool vforked;                   /* shares the parent's mm until exec or exit */
	bool brk_set;                   /* heap start taken from the first brk */
	bool exec_seen;                 /* exec'd in the trace: seeds come from maps_end */
	struct rv_range *ranges;        /* sorted by rec, disjoint (placement = engine) */
	uint32_t nr_ranges, cap_ranges;
	struct rv_span *guessed;        /* seeded or implicit ranges a recorded mmap may replace */
	uint32_t nr_guessed, cap_guessed;
	UT_hash_handle hh;
};

/* A model range [start, end), bytes. */
struct rv_span {
	uint64_t start, end;
};

/* One line of proc.PID.maps_start or maps_end, as it is seeded. */
struct rv_map {
	uint64_t start, end;            /* bytes, page-aligned */
	uint32_t prot;                  /* MM_PROT_* */
	uint32_t flags;                 /* MM_MAP_PRIVATE or MM_MAP_SHARED, | MM_MAP_ANONYMOUS, MM_MAP_GROWSDOWN */
	uint32_t file;                  /* RV_SEED_FILE_BASE + name index, VM_FILE_NONE when anonymous */
	uint64_t pgoff;                 /* pages, file mappings */
};

struct rv_maps {
	uint32_t pid;
	struct rv_map *map[2];          /* [0] maps_start, [1] maps_end: sorted by start, disjoint */
	uint32_t nr[2];
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
	p->nr_guessed = 0;
	p->brk_set = false;
}

static void rv_proc_free(replay_vm_t *v, struct rv_proc *p)
{
	rv_put_mm(v, p);
	HASH_DEL(v->procs, p);
	if (v->last == p)
		v->last = NULL;
	free(p->ranges);
	free(p->guessed);
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

/* Room for one more range in p->ranges; -1 when out of memory. */
static int range_reserve(struct rv_proc *p)
{
	if (p->nr_ranges < p->cap_ranges)
		return 0;
	uint32_t cap = p->cap_ranges ? 2 * p->cap_ranges : 16;
	struct rv_range *n = realloc(p->ranges, cap * sizeof(*n));
	if (!n)
		return -1;
	p->ranges = n;
	p->cap_ranges = cap;
	return 0;
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
			if (range_reserve(p))
				return -1;
			r = &p->ranges[i];
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
	if (range_reserve(p))
		return -1;
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

/* ---------------------------------------------------------------- seeding from the real maps */

/* Note that [start, end) of p was guessed (seeded or implicit): a recorded mmap may replace it. */
static void rv_guess_add(struct rv_proc *p, uint64_t start, uint64_t end)
{
	if (p->nr_guessed == p->cap_guessed) {
		uint32_t cap = p->cap_guessed ? 2 * p->cap_guessed : 16;
		struct rv_span *n = realloc(p->guessed, cap * sizeof(*n));
		if (!n)
			return;         /* then a later overlap is counted as an error: harmless */
		p->guessed = n;
		p->cap_guessed = cap;
	}
	p->guessed[p->nr_guessed++] = (struct rv_span){ start, end };
}

/* Forget [start, end): the trace mapped or unmapped it. */
static void rv_guess_remove(struct rv_proc *p, uint64_t start, uint64_t end)
{
	for (uint32_t i = 0; i < p->nr_guessed;) {
		struct rv_span *g = &p->guessed[i];

		if (g->end <= start || g->start >= end) {
			i++;
		} else if (g->start < start && g->end > end) {          /* split */
			uint64_t tail = g->end;
			g->end = start;
			rv_guess_add(p, end, tail);
			i++;
		} else if (g->start < start) {
			g->end = start;
			i++;
		} else if (g->end > end) {
			g->start = end;
			i++;
		} else {
			p->guessed[i] = p->guessed[--p->nr_guessed];
		}
	}
}

/* Whether the guessed ranges cover [start, end) wholly. */
static bool rv_guess_covers(const struct rv_proc *p, uint64_t start, uint64_t end)
{
	uint64_t cur = start;

	while (cur < end) {
		uint64_t next = cur;
		for (uint32_t i = 0; i < p->nr_guessed; i++)
			if (p->guessed[i].start <= cur && p->guessed[i].end > next)
				next = p->guessed[i].end;
		if (next == cur)
			return false;
		cur = next;
	}
	return true;
}

/* Whether every mapping of p overlapping [start, end) was guessed, not made by the trace. */
static bool rv_only_guessed(const struct rv_proc *p, uint64_t start, uint64_t end)
{
	for (uint64_t a = start; a < end;) {
		const struct vm_area_struct *vma = find_vma_uncounted(p->mm, a);
		if (!vma || vma->vm_start >= end)
			break;
		uint64_t s = vma->vm_start > a ? vma->vm_start : a;
		uint64_t e = vma->vm_end < end ? vma->vm_end : end;
		if (!rv_guess_covers(p, s, e))
			return false;
		a = e;
	}
	return true;
}

/* The file id of maps name [name, name + len), RV_SEED_FILE_BASE up; VM_FILE_NONE when out of memory. */
static uint32_t rv_seed_file(replay_vm_t *v, const char *name, size_t len)
{
	for (uint32_t i = 0; i < v->nr_seed_names; i++)
		if (!strncmp(v->seed_names[i], name, len) && !v->seed_names[i][len])
			return RV_SEED_FILE_BASE + i;
	if (v->nr_seed_names >= VM_FILE_NONE - RV_SEED_FILE_BASE)
		return VM_FILE_NONE;
	if (v->nr_seed_names == v->cap_seed_names) {
		uint32_t cap = v->cap_seed_names ? 2 * v->cap_seed_names : 32;
		char **n = realloc(v->seed_names, cap * sizeof(*n));
		if (!n)
			return VM_FILE_NONE;
		v->seed_names = n;
		v->cap_seed_names = cap;
	}
	char *c = strndup(name, len);
	if (!c)
		return VM_FILE_NONE;
	v->seed_names[v->nr_seed_names] = c;
	return RV_SEED_FILE_BASE + v->nr_seed_names++;
}

static bool name_is(const char *name, size_t len, const char *s)
{
	return strlen(s) == len && !memcmp(name, s, len);
}

/*
 * Parse one line "START-END PERMS NAME" (NAME may be empty or hold blanks)
 * into *m; NAME goes to *name, *name_len.  Returns 1, 0 for a line that is
 * rightly not seeded ([vvar], [vsyscall]: PFN mappings outside RSS), -1
 * when malformed.
 */
static int rv_parse_line(char *line, struct rv_map *m, const char **name, size_t *name_len)
{
	char *e;

	errno = 0;
	m->start = strtoull(line, &e, 16);
	if (e == line || *e != '-' || errno)
		return -1;
	m->end = strtoull(e + 1, &e, 16);
	if (*e != ' ' || errno || m->start >= m->end || (m->start | m->end) & (PAGE_SIZE - 1))
		return -1;
	const char *perm = e + 1;
	if (strnlen(perm, 4) < 4 || (perm[0] != 'r' && perm[0] != '-') || (perm[1] != 'w' && perm[1] != '-') ||
	    (perm[2] != 'x' && perm[2] != '-') || (perm[3] != 'p' && perm[3] != 's') ||
	    (perm[4] != ' ' && perm[4] != 0))
		return -1;
	*name = perm[4] ? perm + 5 : perm + 4;
	*name_len = strlen(*name);
	if (*name_len >= 5 && !memcmp(*name, "[vvar", 5))
		return 0;
	if (name_is(*name, *name_len, "[vsyscall]"))
		return 0;
	if (m->end > 1ull << 57)
		return -1;
	m->prot = (perm[0] == 'r' ? MM_PROT_READ : 0) | (perm[1] == 'w' ? MM_PROT_WRITE : 0) |
		  (perm[2] == 'x' ? MM_PROT_EXEC : 0);
	m->flags = perm[3] == 's' ? MM_MAP_SHARED : MM_MAP_PRIVATE;
	return 1;
}

/*
 * Parse a maps value into *out (sorted, disjoint: a line out of order is
 * malformed).  relro: widen the RELRO part of each image to the data
 * segment's rw- (below).  Returns the number of lines, or 0 (*out NULL).
 */
static uint32_t rv_parse_maps(replay_vm_t *v, const char *value, bool relro, struct rv_map **out)
{
	char *buf = strdup(value), *line, *next;
	struct rv_map *map = NULL;
	uint32_t nr = 0, cap = 0;
	const char *run_name = NULL;            /* name of the run of lines the last one belongs to */
	size_t run_len = 0;
	uint64_t run_base = 0;                  /* start of the run's first line */

	*out = NULL;
	if (!buf)
		return 0;
	for (line = buf; line && *line; line = next) {
		struct rv_map m;
		const char *name;
		size_t name_len;

		next = strstr(line, "; ");
		if (next) {
			*next = 0;
			next += 2;
		}
		if (!strncmp(line, "...", 3))
			continue;       /* the recorder cut a long map ("...+N"): the rest is not known */
		int rc = rv_parse_line(line, &m, &name, &name_len);
		if (rc < 0 || (rc > 0 && nr && m.start < map[nr - 1].end)) {
			v->nr_seed_malformed++;
			continue;
		}
		if (!rc)
			continue;
		if (!name_len || name_is(name, name_len, "-") || name[0] == '[') {
			/* anonymous: "-", [heap], [stack] (VM_GROWSDOWN), [anon:...]; [vdso] is a file */
			if (!name_is(name, name_len, "[vdso]")) {
				m.flags |= MM_MAP_ANONYMOUS;
				if (name_is(name, name_len, "[stack]"))
					m.flags |= MM_MAP_GROWSDOWN;
			}
		}
		if (m.flags & MM_MAP_ANONYMOUS) {
			m.file = VM_FILE_NONE;
			m.pgoff = 0;
			run_name = NULL;
		} else {
			if (!run_name || run_len != name_len || memcmp(run_name, name, name_len)) {
				run_name = name;
				run_len = name_len;
				run_base = m.start;
			}
			m.file = rv_seed_file(v, name, name_len);
			m.pgoff = (m.start - run_base) >> PAGE_SHIFT;
			if (m.file == VM_FILE_NONE) {   /* out of memory: anonymous */
				m.flags |= MM_MAP_ANONYMOUS;
				m.pgoff = 0;
			}
		}
		if (nr == cap) {
			cap = cap ? 2 * cap : 32;
			struct rv_map *n = realloc(map, cap * sizeof(*n));
			if (!n)
				break;
			map = n;
		}
		map[nr++] = m;
	}
	/*
	 * RELRO: the ELF loader maps an image's data PT_LOAD rw- (elf_map,
	 * _dl_map_segments) and ld.so makes its PT_GNU_RELRO head read-only
	 * after relocating it (_dl_protect_relro), so a final map shows r--p
	 * right before the rw-p rest of the same file.  An image seeded from
	 * maps_end after exec is seeded as the loader mapped it; the trace's
	 * own mprotect makes it read-only.
	 */
	for (uint32_t i = 0; relro && i + 1 < nr; i++) {
		bool rw_data = map[i + 1].file == map[i].file && map[i].file != VM_FILE_NONE &&
			       map[i + 1].start == map[i].end && map[i + 1].prot == (MM_PROT_READ | MM_PROT_WRITE) &&
			       !(map[i + 1].flags & MM_MAP_SHARED);
		if (rw_data && map[i].prot == MM_PROT_READ && !(map[i].flags & MM_MAP_SHARED))
			map[i].prot |= MM_PROT_WRITE;
	}
	free(buf);
	*out = map;
	return map ? nr : 0;
}

/* pid's parsed maps, made on first need; NULL without metadata or memory. */
static struct rv_maps *rv_maps_get(replay_vm_t *v, uint32_t pid)
{
	static const char *const which[2] = { "maps_start", "maps_end" };
	struct rv_maps *ms;
	char key[64];

	if (!v->meta)
		return NULL;
	HASH_FIND(hh, v->maps, &pid, sizeof(pid), ms);
	if (ms)
		return ms;
	ms = calloc(1, sizeof(*ms));
	if (!ms)
		return NULL;
	ms->pid = pid;
	for (unsigned i = 0; i < 2; i++) {
		snprintf(key, sizeof(key), "proc.%u.%s", pid, which[i]);
		const char *val = trace_meta_get(v->meta, key);
		if (val)
			ms->nr[i] = rv_parse_maps(v, val, /* relro */ i == 1, &ms->map[i]);
	}
	HASH_ADD(hh, v->maps, pid, sizeof(ms->pid), ms);
	return ms;
}

/* The line of map[0..nr) holding addr, or NULL; *next is lowered to the start of the first line above addr. */
static const struct rv_map *rv_map_find(const struct rv_map *map, uint32_t nr, uint64_t addr, uint64_t *next)
{
	uint32_t lo = 0, hi = nr;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (map[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == nr)
		return NULL;
	if (map[lo].start <= addr)
		return &map[lo];
	if (map[lo].start < *next)
		*next = map[lo].start;
	return NULL;
}

/*
 * The maps line of p holding addr: a process that exec'd in the trace
 * looks in maps_end (its final image; what it had before is gone), others
 * in maps_start, then maps_end (mapped later by calls the recording did
 * not see).  *next gets the start of the first line above addr.
 */
static const struct rv_map *rv_seed_find(replay_vm_t *v, struct rv_proc *p, uint64_t addr, uint64_t *next)
{
	struct rv_maps *ms = rv_maps_get(v, p->pid);
	const struct rv_map *m;

	*next = UINT64_MAX;
	if (!ms)
		return NULL;
	for (unsigned i = p->exec_seen ? 1 : 0; i < 2; i++)
		if ((m = rv_map_find(ms->map[i], ms->nr[i], addr, next)))
			return m;
	return NULL;
}

/* Map the free parts of line m in p (vm.seeded_mappings). */
static void rv_seed_line(replay_vm_t *v, struct rv_proc *p, const struct rv_map *m, unsigned cpu)
{
	for (uint64_t a = m->start; a < m->end && a < p->mm->task_size;) {
		const struct vm_area_struct *vma = find_vma_uncounted(p->mm, a);
		if (vma && vma->vm_start <= a) {
			a = vma->vm_end;
			continue;
		}
		uint64_t e = vma && vma->vm_start < m->end ? vma->vm_start : m->end;
		uint64_t pgoff = m->file == VM_FILE_NONE ? 0 : m->pgoff + ((a - m->start) >> PAGE_SHIFT);
		if (do_mmap(&v->vs, p->mm, a, e - a, m->prot, m->flags | MM_MAP_FIXED, m->file, pgoff,
			    cpu) == (int64_t)a) {
			v->nr_seeded++;
			v->vma_gen++;
			rv_guess_add(p, a, e);
		}
		a = e;
	}
}

/*
 * Map the holes of [start, start + len): what a process had mapped that no
 * event of the trace shows (see "Seeding" in replay_vm.h).  A hole a maps
 * line covers is seeded from it; with implicit, the rest becomes anonymous
 * private memory with prot (vm.implicit_mappings).
 */
static void rv_fill_holes(replay_vm_t *v, struct rv_proc *p, uint64_t start, uint64_t len,
			  uint32_t prot, bool implicit, unsigned cpu)
{
	uint64_t end = (start + len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1), cur = start & ~(PAGE_SIZE - 1);

	while (cur < end) {
		const struct vm_area_struct *vma = find_vma_uncounted(p->mm, cur);
		uint64_t next;

		if (vma && vma->vm_start <= cur) {
			cur = vma->vm_end;
			continue;
		}
		uint64_t hole_end = vma && vma->vm_start < end ? vma->vm_start : end;
		const struct rv_map *m = rv_seed_find(v, p, cur, &next);
		if (m) {
			rv_seed_line(v, p, m, cpu);
			vma = find_vma_uncounted(p->mm, cur);
			if (vma && vma->vm_start <= cur) {
				cur = vma->vm_end;
				continue;
			}
			next = cur + PAGE_SIZE;         /* the model refused it: implicit below */
		}
		if (next < hole_end)
			hole_end = next;
		if (implicit &&
		    do_mmap(&v->vs, p->mm, cur, hole_end - cur, prot, MM_MAP_PRIVATE | MM_MAP_ANONYMOUS |
			    MM_MAP_FIXED, VM_FILE_NONE, 0, cpu) == (int64_t)cur) {
			v->nr_implicit++;
			v->vma_gen++;
			rv_guess_add(p, cur, hole_end);
		}
		cur = hole_end;
	}
}

static int piece_mprotect(replay_vm_t *v, struct rv_proc *p, uint64_t start, uint64_t len,
			  const trace_event_t *ev, unsigned cpu)
{
	int rc = do_mprotect(&v->vs, p->mm, start, len, ev->mprotect.prot, cpu);

	if (rc == -ENOMEM) {    /* the kernel found it mapped: mapped before the trace began */
		rv_fill_holes(v, p, start, len, ev->mprotect.prot, /* implicit */ true, cpu);
		rc = do_mprotect(&v->vs, p->mm, start, len, ev->mprotect.prot, cpu);
	}
	return rc;
}

static int piece_madvise(replay_vm_t *v, struct rv_proc *p, uint64_t start, uint64_t len,
			 const trace_event_t *ev, unsigned cpu)
{
	int rc = do_madvise(&v->vs, p->mm, start, len, ev->madvise.advice, cpu);

	if (rc == -ENOMEM) {    /* as for mprotect: the recording found it mapped */
		rv_fill_holes(v, p, start, len, MM_PROT_READ | MM_PROT_WRITE, /* implicit */ true, cpu);
		rc = do_madvise(&v->vs, p->mm, start, len, ev->madvise.advice, cpu);
	}
	return rc;
}

/*
 * The file a recorded file mmap maps: the trace's id says which open file
 * (the kernel importer can only key it by pid and fd, and ld.so reuses one fd
 * for every library), the real maps say which file - the name of the line at
 * both ends of the mapping, one page cache per name across processes, as
 * the kernel has one per inode.  The trace's id when no line says.
 */
static uint32_t rv_mmap_file(replay_vm_t *v, struct rv_proc *p, const trace_event_t *ev, uint64_t len)
{
	const struct rv_map *first, *last;
	uint64_t next;

	if (ev->mmap.file == VM_FILE_NONE || (ev->mmap.flags & MM_MAP_ANONYMOUS) || !len)
		return ev->mmap.file;
	first = rv_seed_find(v, p, ev->mmap.result, &next);
	last = rv_seed_find(v, p, ev->mmap.result + len - 1, &next);
	if (first && last && first->file != VM_FILE_NONE && first->file == last->file)
		return first->file;
	return ev->mmap.file;
}

static int rv_mmap(replay_vm_t *v, struct rv_proc *p, const trace_event_t *ev, uint64_t idx,
		   unsigned cpu)
{
	uint32_t flags = ev->mmap.flags;
	uint64_t len = (ev->mmap.len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	uint32_t file = rv_mmap_file(v, p, ev, len);
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
			      flags | (fixed ? MM_MAP_FIXED : MM_MAP_FIXED_NOREPLACE), file,
			      ev->mmap.pgoff, cpu);
		if (got == -EEXIST) {
			/* over memory the model guessed (seeded, implicit): the trace wins, as MAP_FIXED */
			if (!rv_only_guessed(p, ev->mmap.result, ev->mmap.result + len))
				rv_error(v, RV_ERR_MMAP_OVERLAP, idx,
					 "mmap result %#" PRIx64 "+%#" PRIx64 " overlaps a mapping the model still has",
					 ev->mmap.result, len);
			got = do_mmap(&v->vs, p->mm, ev->mmap.result, ev->mmap.len, ev->mmap.prot,
				      flags | MM_MAP_FIXED, file, ev->mmap.pgoff, cpu);
		}
		if (got < 0 || (uint64_t)got != ev->mmap.result) {
			rv_error(v, RV_ERR_MMAP, idx, "mmap at %#" PRIx64 " len %#" PRIx64 ": model returned %" PRId64,
				 ev->mmap.result, len, got);
			return RV_KIND_NONE;
		}
		rv_guess_remove(p, ev->mmap.result, ev->mmap.result + len);
		return RV_KIND_MMAP;
	}
	/* placement = engine: the model chooses; MAP_FIXED hints are translated */
	uint64_t hint = flags & (MM_MAP_FIXED | MM_MAP_FIXED_NOREPLACE) ? rv_translate(v, p, ev->mmap.addr) : 0;
	got = do_mmap(&v->vs, p->mm, hint, ev->mmap.len, ev->mmap.prot, flags, file,
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
	if (parent->nr_guessed) {
		c->guessed = malloc(parent->nr_guessed * sizeof(*c->guessed));
		if (c->guessed) {
			memcpy(c->guessed, parent->guessed, parent->nr_guessed * sizeof(*c->guessed));
			c->nr_guessed = c->cap_guessed = parent->nr_guessed;
		}
	}
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
 * Whether a VMA of p covers addr; its rights are then in p->cover_prot.  The
 * last covering VMA's range and rights are kept until any VMA may have
 * changed (vma_gen), so a run of faults and accesses does not look each
 * address up twice (here and in the fault).
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
	p->cover_prot = (vma->vm_flags & VM_READ ? MM_PROT_READ : 0) |
			(vma->vm_flags & VM_WRITE ? MM_PROT_WRITE : 0) |
			(vma->vm_flags & VM_EXEC ? MM_PROT_EXEC : 0);
	p->cover_gen = v->vma_gen;
	return true;
}

/*
 * An access the recorded program made (and lived through) that the VMA
 * covering addr (rv_covered: its rights are p->cover_prot) does not allow:
 * when that VMA is one the model guessed (seeded or implicit), the guess
 * was short - an implicit mapping takes the rights of its first access, a
 * page first read and later written needs more - so the page gets the
 * missing rights, as an mprotect would (vm.guess_widened).  A mapping the
 * trace made keeps its rights: a fault there is the program's own SIGSEGV.
 */
static void rv_widen_guess(replay_vm_t *v, struct rv_proc *p, uint64_t addr, uint32_t need,
			   unsigned cpu)
{
	uint32_t have = p->cover_prot;

	if ((have & need) == need)
		return;
	for (uint32_t i = 0; i < p->nr_guessed; i++) {
		if (addr >= p->guessed[i].start && addr < p->guessed[i].end) {
			v->vma_gen++;   /* the VMA splits: rv_covered's cache is stale */
			if (!do_mprotect(&v->vs, p->mm, addr & ~(PAGE_SIZE - 1), PAGE_SIZE, have | need, cpu))
				v->nr_guess_widened++;
			return;
		}
	}
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
	 * recorded program touched memory no event of the trace mapped (what
	 * it had before the recording began, what exec mapped).  Seed it from
	 * the real maps, else map it implicitly with the rights the access
	 * needs, rather than report a SIGSEGV the program never took.  A
	 * protection fault hit a present page: only a maps line can say what
	 * it was.
	 */
	uint32_t need = MM_PROT_READ | (flags & FAULT_FLAG_WRITE ? MM_PROT_WRITE : 0) |
			(flags & FAULT_FLAG_INSTRUCTION ? MM_PROT_EXEC : 0);
	if (!rv_covered(v, p, addr))
		rv_fill_holes(v, p, addr & ~(PAGE_SIZE - 1), PAGE_SIZE, need,
			      !(ev->type == TRACE_FAULT && (ev->fault.flags & TRACE_FAULT_PROT)), cpu);
	else
		rv_widen_guess(v, p, addr, need, cpu);
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
		else if (!v->placement_engine)
			rv_guess_remove(p, ev->munmap.addr, ev->munmap.addr + ev->munmap.len);
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
		p->exec_seen = true;
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

void replay_vm_set_meta(replay_vm_t *v, const trace_reader_t *r)
{
	v->meta = r;
}

void replay_vm_destroy(replay_vm_t *v)
{
	struct rv_proc *p, *tmp;

	struct rv_stat *s, *stmp;
	struct rv_maps *ms, *mtmp;

	HASH_ITER(hh, v->procs, p, tmp)
		rv_proc_free(v, p);
	HASH_ITER(hh, v->stats, s, stmp) {
		HASH_DEL(v->stats, s);
		free(s);
	}
	HASH_ITER(hh, v->maps, ms, mtmp) {
		HASH_DEL(v->maps, ms);
		free(ms->map[0]);
		free(ms->map[1]);
		free(ms);
	}
	for (uint32_t i = 0; i < v->nr_seed_names; i++)
		free(v->seed_names[i]);
	free(v->seed_names);
	v->seed_names = NULL;
	v->nr_seed_names = v->cap_seed_names = 0;
	if (v->vs_up)
		vmsys_destroy(&v->vs);
	if (v->tlb_up)
		tlb_destroy(&v->tlb);
	v->vs_up = v->tlb_up = false;
}

void replay_vm_sample(const replay_vm_t *v, void (*fn)(void *ctx, uint32_t pid,
						      const char *metric, int64_t value), void *ctx)
{
	const struct rv_proc *p, *tmp;

	HASH_ITER(hh, v->procs, p, tmp) {
		if (!p->mm || p->vforked)
			continue;
		fn(ctx, p->pid, "rss_pages", (int64_t)get_mm_rss(p->mm));
		fn(ctx, p->pid, "pgtable_pages", (int64_t)(p->mm->pgtables_bytes / PAGE_SIZE));
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
	results_add_u64(res, "vm.guess_widened", v->nr_guess_widened, "pages", true);
	results_add_u64(res, "vm.seeded_mappings", v->nr_seeded, "mappings", true);
	results_add_u64(res, "vm.seed_malformed", v->nr_seed_malformed, "lines", true);
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
