/*
 * tlb.c - per-CPU TLBs, STLB and page-walk caches: defaults, setup, the
 * lookup slow path, walks, fills, flushes and shootdowns
 * (arch/x86/mm/tlb.c), and tlb_check.
 */
#include <stdlib.h>
#include <string.h>

#include "tlb.h"

/* Walk-cache key shifts: PDE entries map 2 MiB, PDPTE 1 GiB, PML4E 512 GiB. */
static const unsigned pwc_shift[TLB_NR_PWC] = { 21, 30, 39 };
static const char *const pwc_names[TLB_NR_PWC] = { "pwc_pde", "pwc_pdpte", "pwc_pml4e" };

void tlb_config_default(struct tlb_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->enabled = true;
	/*
	 * Skylake client/server TLB parameters: Intel 64 and IA-32
	 * Architectures Optimization Reference Manual (248966), "Skylake
	 * microarchitecture", TLB parameters table: DTLB 4 KiB 64 entries
	 * 4-way, 2M/4M 32 entries 4-way; ITLB 4 KiB 128 entries 8-way; STLB
	 * 4 KiB + 2 MiB shared, 1536 entries 12-way.  (The iTLB's separate
	 * 8 entries per thread for 2 MiB pages are folded into the one iTLB.)
	 */
	cfg->dtlb_entries = 64;
	cfg->dtlb_ways = 4;
	cfg->dtlb_2m_entries = 32;
	cfg->dtlb_2m_ways = 4;
	cfg->itlb_entries = 128;
	cfg->itlb_ways = 8;
	cfg->stlb_entries = 1536;
	cfg->stlb_ways = 12;
	/*
	 * Intel does not publish its paging-structure cache sizes.  These
	 * are the split PDE / PDPTE / PML4E caches of 32 / 4 / 2 entries,
	 * fully associative, that Bhattacharjee ("Large-reach memory
	 * management unit caches", MICRO 2013) and Barr, Cox and Rixner
	 * ("Translation caching: skip, don't walk (the page table)", ISCA
	 * 2010) model for Intel cores.
	 */
	cfg->pwc_entries[TLB_PWC_PDE] = 32;
	cfg->pwc_entries[TLB_PWC_PDPTE] = 4;
	cfg->pwc_entries[TLB_PWC_PML4E] = 2;
	/* X86_FEATURE_PCID, on every x86 core since Westmere; TLB_NR_DYN_ASIDS = 6 (asm/tlbflush.h) */
	cfg->pcid = true;
	cfg->nr_asids = 6;
	/* tlb_single_page_flush_ceiling (arch/x86/mm/tlb.c) */
	cfg->flush_ceiling = 33;
}

static bool is_power_of_2(uint64_t n)
{
	return n && !(n & (n - 1));
}

/* entries / ways sets, a power of two; returns 0 or -MM_EINVAL naming `name`. */
static int check_geometry(const char *name, unsigned entries, unsigned ways, char *err, size_t errlen)
{
	if (!ways || ways > TLB_MAX_WAYS)
		return mm_error(err, errlen, -MM_EINVAL, "tlb: %s_ways %u out of range 1..%u",
				name, ways, TLB_MAX_WAYS);
	if (!entries || entries > TLB_MAX_ENTRIES)
		return mm_error(err, errlen, -MM_EINVAL, "tlb: %s_entries %u out of range 1..%u",
				name, entries, TLB_MAX_ENTRIES);
	if (entries % ways)
		return mm_error(err, errlen, -MM_EINVAL,
				"tlb: %s_entries %u is not a multiple of %s_ways %u",
				name, entries, name, ways);
	if (!is_power_of_2(entries / ways))
		return mm_error(err, errlen, -MM_EINVAL,
				"tlb: %s has %u sets (%s_entries / %s_ways), not a power of two",
				name, entries / ways, name, name);
	return 0;
}

static int tlb_config_check(const struct tlb_config *cfg, unsigned nr_cpus, char *err, size_t errlen)
{
	int rc;

	if (!nr_cpus || nr_cpus > MAX_NR_CPUS)
		return mm_error(err, errlen, -MM_EINVAL, "tlb: nr_cpus %u out of range 1..%d",
				nr_cpus, MAX_NR_CPUS);
	if ((rc = check_geometry("dtlb", cfg->dtlb_entries, cfg->dtlb_ways, err, errlen)) ||
	    (rc = check_geometry("dtlb_2m", cfg->dtlb_2m_entries, cfg->dtlb_2m_ways, err, errlen)) ||
	    (rc = check_geometry("itlb", cfg->itlb_entries, cfg->itlb_ways, err, errlen)) ||
	    (rc = check_geometry("stlb", cfg->stlb_entries, cfg->stlb_ways, err, errlen)))
		return rc;
	for (int k = 0; k < TLB_NR_PWC; k++)
		if (cfg->pwc_entries[k] > TLB_MAX_WAYS)
			return mm_error(err, errlen, -MM_EINVAL, "tlb: %s_entries %u out of range 0..%u",
					pwc_names[k], cfg->pwc_entries[k], TLB_MAX_WAYS);
	if (!cfg->nr_asids || cfg->nr_asids > TLB_MAX_DYN_ASIDS)
		return mm_error(err, errlen, -MM_EINVAL, "tlb: nr_asids %u out of range 1..%d",
				cfg->nr_asids, TLB_MAX_DYN_ASIDS);
	return 0;
}

/* Lay out one array at *next (keys), advance *next. */
static void array_setup(struct tlb_array *a, uint64_t **next, unsigned entries, unsigned ways)
{
	a->key = *next;
	a->ways = ways;
	a->set_mask = ways ? entries / ways - 1 : 0;
	*next += entries;
}

static size_t config_pwc_entries(const struct tlb_config *cfg)
{
	size_t n = 0;

	for (int k = 0; k < TLB_NR_PWC; k++)
		n += cfg->pwc_entries[k];
	return n;
}

/* Tag bytes of one CPU's walk caches: each cache's rounded up to 8 (pwc_find reads words). */
static size_t config_pwc_tags(const struct tlb_config *cfg)
{
	size_t n = 0;

	for (int k = 0; k < TLB_NR_PWC; k++)
		n += (cfg->pwc_entries[k] + 7) & ~7u;
	return n;
}

static size_t config_keys(const struct tlb_config *cfg)
{
	size_t n = (size_t)cfg->dtlb_entries + cfg->dtlb_2m_entries + cfg->itlb_entries +
		   cfg->stlb_entries + config_pwc_entries(cfg);

	return (n + 7) & ~(size_t)7;
}

int tlb_init(tlb_t *t, const struct tlb_config *cfg, unsigned nr_cpus, phys_t *pm,
	     char *err, size_t errlen)
{
	int rc;

	memset(t, 0, sizeof(*t));
	rc = tlb_config_check(cfg, nr_cpus, err, errlen);
	if (rc)
		return rc;
	t->keys_per_cpu = config_keys(cfg);
	t->cpus = aligned_alloc(64, sizeof(struct tlb_cpu) * nr_cpus);
	t->keys = aligned_alloc(64, t->keys_per_cpu * sizeof(uint64_t) * nr_cpus);
	t->stamps = calloc(config_pwc_entries(cfg) * nr_cpus + 1, sizeof(uint64_t));
	t->tags = calloc(config_pwc_tags(cfg) * nr_cpus + 8, 1);
	if (!t->cpus || !t->keys || !t->stamps || !t->tags) {
		free(t->cpus);
		free(t->keys);
		free(t->stamps);
		free(t->tags);
		memset(t, 0, sizeof(*t));
		return mm_error(err, errlen, -MM_ENOMEM, "tlb: out of memory for %u CPUs", nr_cpus);
	}
	memset(t->cpus, 0, sizeof(struct tlb_cpu) * nr_cpus);
	memset(t->keys, 0, t->keys_per_cpu * sizeof(uint64_t) * nr_cpus);
	t->cfg = *cfg;
	t->nr_cpus = nr_cpus;
	t->pm = pm;
	for (unsigned cpu = 0; cpu < nr_cpus; cpu++) {
		struct tlb_cpu *c = &t->cpus[cpu];
		uint64_t *next = t->keys + t->keys_per_cpu * cpu;
		uint64_t *stamp = t->stamps + config_pwc_entries(cfg) * cpu;
		uint8_t *tag = t->tags + config_pwc_tags(cfg) * cpu;

		array_setup(&c->dtlb, &next, cfg->dtlb_entries, cfg->dtlb_ways);
		array_setup(&c->dtlb_2m, &next, cfg->dtlb_2m_entries, cfg->dtlb_2m_ways);
		array_setup(&c->itlb, &next, cfg->itlb_entries, cfg->itlb_ways);
		array_setup(&c->stlb, &next, cfg->stlb_entries, cfg->stlb_ways);
		for (int k = 0; k < TLB_NR_PWC; k++) {
			c->pwc[k].stamp = stamp;
			c->pwc[k].tag = tag;
			stamp += cfg->pwc_entries[k];
			tag += (cfg->pwc_entries[k] + 7) & ~7u;
			array_setup(&c->pwc[k], &next, cfg->pwc_entries[k], cfg->pwc_entries[k]);
		}
		c->loaded_asid = -1;
		for (int i = 0; i < TLB_MAX_DYN_ASIDS; i++)
			c->asid_slot[i] = -1;
	}
	return 0;
}

void tlb_destroy(tlb_t *t)
{
	free(t->cpus);
	free(t->keys);
	free(t->stamps);
	free(t->tags);
	memset(t, 0, sizeof(*t));
}

/* ---------------------------------------------------------------- array operations */

static inline uint64_t *array_set(const struct tlb_array *a, uint64_t vpn)
{
	return a->key + (size_t)(vpn & a->set_mask) * a->ways;
}

/* 1 for a valid 2 MiB key, else 0 (what tlb_array.nr_huge counts). */
static inline uint32_t key_huge(uint64_t key)
{
	return (key & (TLB_KEY_VALID | TLB_KEY_HUGE)) == (TLB_KEY_VALID | TLB_KEY_HUGE);
}

/* Fill key, known absent from its set, as the most recent way; the LRU (or an invalid) way goes. */
static inline void array_insert_absent(struct tlb_array *a, uint64_t *set, uint64_t key)
{
	a->nr_huge += key_huge(key) - key_huge(set[a->ways - 1]);
	memmove(set + 1, set, (a->ways - 1) * sizeof(*set));
	set[0] = key;
}

/* Fill key as the set's most recent way; the LRU (or an invalid) way goes. */
static void array_insert(struct tlb_array *a, uint64_t vpn, uint64_t key)
{
	uint64_t *set;
	int i;

	if (!a->ways)
		return;
	set = array_set(a, vpn);
	i = tlb_set_find(set, a->ways, key);
	if (i < 0)
		array_insert_absent(a, set, key);
	else
		tlb_set_touch(set, i);
}

/* Remove way i of a's set: later ways move up, the last becomes invalid. */
static void set_remove(struct tlb_array *a, uint64_t *set, uint32_t i)
{
	uint32_t ways = a->ways;

	a->nr_huge -= key_huge(set[i]);
	for (; i + 1 < ways; i++)
		set[i] = set[i + 1];
	set[ways - 1] = 0;
}

/* Drop key from its set if present. */
static void array_drop_key(struct tlb_array *a, uint64_t vpn, uint64_t key)
{
	uint64_t *set;
	int i;

	if (!a->ways)
		return;
	set = array_set(a, vpn);
	i = tlb_set_find(set, a->ways, key);
	if (i >= 0)
		set_remove(a, set, (uint32_t)i);
}

/*
 * Drop every valid key of asid whose vpn (in the key's own units) lies in
 * [lo, hi], keeping the others in their order.
 */
static void array_drop_asid(struct tlb_array *a, uint16_t asid, uint64_t lo, uint64_t hi)
{
	size_t nr_sets = (size_t)a->set_mask + 1;

	if (!a->ways)
		return;
	for (size_t s = 0; s < nr_sets; s++) {
		uint64_t *set = a->key + s * a->ways;
		uint32_t w = 0;

		for (uint32_t r = 0; r < a->ways; r++) {
			uint64_t key = set[r];
			uint64_t vpn = tlb_key_vpn(key);

			if (!key)
				break;
			if (tlb_key_asid(key) == asid && vpn >= lo && vpn <= hi) {
				a->nr_huge -= key_huge(key);
				continue;
			}
			set[w++] = key;
		}
		for (; w < a->ways && set[w]; w++)
			set[w] = 0;
	}
}

/* ---------------------------------------------------------------- walk caches */

#define BYTES_01	0x0101010101010101ull
#define BYTES_80	0x8080808080808080ull

/* A walk-cache key's tag: the top byte of a multiplicative (Fibonacci) hash of all its bits. */
static inline uint8_t pwc_tag(uint64_t key)
{
	return (uint8_t)((key * 0x9e3779b97f4a7c15ull) >> 56);
}

/*
 * Bit b of the result for each byte b of the 8 tags at p that may equal
 * the tag repeated in pattern: the SWAR zero-byte test on their XOR, which
 * never misses an equal byte and may also flag a byte just above one; the
 * high bit of each byte gathered by a multiply.
 */
static inline uint64_t tag_match8(const uint8_t *p, uint64_t pattern)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	w ^= pattern;
	w = (w - BYTES_01) & ~w & BYTES_80;
	return ((w >> 7) * 0x0102040810204080ull) >> 56;
}

/*
 * Way of key among the valid ways of walk cache a, or -1.  The tags of 64
 * ways at most give one mask of candidates, built without a branch on any
 * compare; its lowest candidate is the key's way unless two tags collide.
 */
static inline int pwc_find(const struct tlb_array *a, uint64_t key)
{
	uint64_t pattern = BYTES_01 * pwc_tag(key);
	uint32_t n = a->nr_valid;

	for (uint32_t base = 0; base < n; base += 64) {
		uint32_t m = n - base < 64 ? n - base : 64;
		uint64_t cand = 0;

		for (uint32_t i = 0; i < m; i += 8)
			cand |= tag_match8(a->tag + base + i, pattern) << i;
		if (m < 64)
			cand &= (1ull << m) - 1;        /* bytes past the valid ways */
		while (cand) {
			uint32_t j = base + (uint32_t)__builtin_ctzll(cand);

			if (a->key[j] == key)
				return (int)j;
			cand &= cand - 1;
		}
	}
	return -1;
}

/* A walk-cache lookup; a hit makes the way the most recently used. */
static inline bool pwc_lookup(struct tlb_array *a, uint64_t key)
{
	int i = pwc_find(a, key);

	if (i < 0)
		return false;
	a->stamp[i] = ++a->clock;
	return true;
}

/* A walk-cache fill: key becomes the most recently used; a full cache loses its LRU way. */
static void pwc_insert(struct tlb_array *a, uint64_t key)
{
	int i;

	if (!a->ways)
		return;
	i = pwc_find(a, key);
	if (i < 0) {
		if (a->nr_valid < a->ways) {
			i = (int)a->nr_valid++;
		} else {
			i = 0;
			for (uint32_t w = 1; w < a->ways; w++)
				i = a->stamp[w] < a->stamp[i] ? (int)w : i;
		}
		a->key[i] = key;
		a->tag[i] = pwc_tag(key);
	}
	a->stamp[i] = ++a->clock;
}

/* Drop asid's walk-cache keys whose vpn lies in [lo, hi]; the last valid way fills each hole. */
static void pwc_drop_asid(struct tlb_array *a, uint16_t asid, uint64_t lo, uint64_t hi)
{
	for (uint32_t i = 0; i < a->nr_valid;) {
		uint64_t key = a->key[i], vpn = tlb_key_vpn(key);

		if (tlb_key_asid(key) != asid || vpn < lo || vpn > hi) {
			i++;
			continue;
		}
		a->nr_valid--;
		a->key[i] = a->key[a->nr_valid];
		a->tag[i] = a->tag[a->nr_valid];
		a->stamp[i] = a->stamp[a->nr_valid];
		a->key[a->nr_valid] = 0;
	}
}

/* ---------------------------------------------------------------- lookup, walk, fill */

enum tlb_result tlb_lookup_slow(tlb_t *t, unsigned cpu, uint16_t asid, uint64_t va, bool exec)
{
	struct tlb_cpu *c = &t->cpus[cpu];
	uint64_t vpn = va >> 12, hvpn = va >> 21;
	uint64_t key = tlb_key(vpn, asid, false);
	uint64_t hkey = tlb_key(hvpn, asid, true);

	if (tlb_array_lookup(&c->stlb, vpn, key)) {
		array_insert(exec ? &c->itlb : &c->dtlb, vpn, key);
	} else if (c->stlb.nr_huge && tlb_array_lookup(&c->stlb, hvpn, hkey)) {
		array_insert(exec ? &c->itlb : &c->dtlb_2m, hvpn, hkey);
	} else {
		c->stats.misses++;
		c->miss_key = key;      /* for tlb_insert: neither key is in L1 or the STLB */
		c->miss_exec = exec;
		return TLB_MISS;
	}
	c->stats.stlb_hits++;
	cost_add(t->pm, COST_TLB_STLB_HIT, 1);
	return TLB_STLB_HIT;
}

/*
 * Walk-cache k holds entries of table level k + 2 (PDE = 2, PDPTE = 3,
 * PML4E = 4); a hit there leaves the references from level k + 1 down to
 * the leaf.  Intel's walker uses the deepest hit (SDM vol. 3, 4.10.3.2).
 */
unsigned tlb_walk(tlb_t *t, unsigned cpu, uint16_t asid, uint64_t va, unsigned levels,
		  unsigned leaf_level)
{
	struct tlb_cpu *c = &t->cpus[cpu];
	unsigned refs = levels - leaf_level + 1;
	int hit = TLB_NR_PWC, k;

	for (k = 0; k < TLB_NR_PWC; k++) {
		uint64_t prefix = va >> pwc_shift[k];

		if ((unsigned)k + 2 <= leaf_level || !c->pwc[k].ways)
			continue;
		if (pwc_lookup(&c->pwc[k], tlb_key(prefix, asid, false))) {
			hit = k;
			refs = (unsigned)k + 2 - leaf_level;
			break;
		}
	}
	/* fill the non-leaf levels read below the hit */
	for (k = 0; k < hit; k++) {
		uint64_t prefix = va >> pwc_shift[k];

		if ((unsigned)k + 2 > leaf_level)
			pwc_insert(&c->pwc[k], tlb_key(prefix, asid, false));
	}
	c->stats.walks++;
	c->stats.walk_refs += refs;
	cost_add(t->pm, COST_TLB_WALK, 1);
	cost_add(t->pm, COST_PWALK_REF, refs);
	return refs;
}

void tlb_insert(tlb_t *t, unsigned cpu, uint16_t asid, uint64_t va, unsigned page_shift, bool exec)
{
	struct tlb_cpu *c = &t->cpus[cpu];
	bool huge = page_shift == 21;
	uint64_t vpn = va >> (huge ? 21 : 12);
	uint64_t key = tlb_key(vpn, asid, huge);
	struct tlb_array *l1 = exec ? &c->itlb : huge ? &c->dtlb_2m : &c->dtlb;

	if (c->miss_key == tlb_key(va >> 12, asid, false) && c->miss_exec == exec) {
		/* the fill after a miss: both keys are absent (nothing but a fill adds one) */
		c->miss_key = 0;
		array_insert_absent(&c->stlb, array_set(&c->stlb, vpn), key);
		array_insert_absent(l1, array_set(l1, vpn), key);
		return;
	}
	c->miss_key = 0;
	array_insert(&c->stlb, vpn, key);
	array_insert(l1, vpn, key);
}

/* ---------------------------------------------------------------- flushes */

/* invlpg of va on c: the 4 KiB and the 2 MiB entry that contain it. */
static void flush_one_page(struct tlb_cpu *c, uint16_t asid, uint64_t va)
{
	uint64_t vpn = va >> 12, hvpn = va >> 21;
	uint64_t key = tlb_key(vpn, asid, false), hkey = tlb_key(hvpn, asid, true);

	array_drop_key(&c->dtlb, vpn, key);
	array_drop_key(&c->dtlb_2m, hvpn, hkey);
	array_drop_key(&c->itlb, vpn, key);
	array_drop_key(&c->itlb, hvpn, hkey);
	array_drop_key(&c->stlb, vpn, key);
	array_drop_key(&c->stlb, hvpn, hkey);
}

/* Every entry of asid on c, walk caches included (INVPCID single-context). */
static void flush_asid(struct tlb_cpu *c, uint16_t asid)
{
	array_drop_asid(&c->dtlb, asid, 0, UINT64_MAX);
	array_drop_asid(&c->dtlb_2m, asid, 0, UINT64_MAX);
	array_drop_asid(&c->itlb, asid, 0, UINT64_MAX);
	array_drop_asid(&c->stlb, asid, 0, UINT64_MAX);
	for (int k = 0; k < TLB_NR_PWC; k++)
		pwc_drop_asid(&c->pwc[k], asid, 0, UINT64_MAX);
}

/* asid's walk-cache entries overlapping [start, end) on c. */
static void flush_pwc_range(struct tlb_cpu *c, uint16_t asid, uint64_t start, uint64_t end)
{
	for (int k = 0; k < TLB_NR_PWC; k++)
		pwc_drop_asid(&c->pwc[k], asid, (start >> pwc_shift[k]) & TLB_VPN_MASK,
			      ((end - 1) >> pwc_shift[k]) & TLB_VPN_MASK);
}

/*
 * flush_tlb_func() on one CPU: nr_pages page by page from start, or the
 * whole ASID when full.  Stats only; the caller counts the cost.
 */
static void flush_func(struct tlb_cpu *c, uint16_t asid, uint64_t start, uint64_t end,
		       uint64_t nr_pages, bool full, bool freed_tables)
{
	if (full) {
		flush_asid(c, asid);
		c->stats.flushes_local_full++;
		return;
	}
	for (uint64_t i = 0; i < nr_pages; i++)
		flush_one_page(c, asid, start + (i << 12));
	c->stats.flushes_local_pages += nr_pages;
	if (freed_tables)
		flush_pwc_range(c, asid, start, end);
}

/*
 * Run the flush on this_cpu and on the other CPUs of cpu_mask
 * (flush_tlb_multi): one shootdown per remote CPU.
 */
static void flush_cpus(tlb_t *t, const uint64_t *cpu_mask, unsigned this_cpu, uint16_t asid,
		       uint64_t start, uint64_t end, uint64_t nr_pages, bool full, bool freed_tables)
{
	struct tlb_cpu *self = &t->cpus[this_cpu];
	uint64_t nr_remote = 0;

	flush_func(self, asid, start, end, nr_pages, full, freed_tables);
	if (full)
		cost_add(t->pm, COST_TLB_FLUSH_MM, 1);
	else
		cost_add(t->pm, COST_TLB_FLUSH_PAGE, nr_pages);
	if (!cpu_mask)
		return;
	for (unsigned w = 0; w < (t->nr_cpus + 63) / 64; w++) {
		uint64_t bits = cpu_mask[w];

		while (bits) {
			unsigned cpu = w * 64 + (unsigned)__builtin_ctzll(bits);

			bits &= bits - 1;
			if (cpu >= t->nr_cpus)
				break;
			if (cpu == this_cpu)
				continue;
			flush_func(&t->cpus[cpu], asid, start, end, nr_pages, full, freed_tables);
			t->cpus[cpu].stats.shootdowns_received++;
			nr_remote++;
		}
	}
	self->stats.shootdowns_sent += nr_remote;
	cost_add(t->pm, COST_TLB_SHOOTDOWN, nr_remote);
}

void tlb_flush_range(tlb_t *t, const uint64_t *cpu_mask, unsigned this_cpu, uint16_t asid,
		     uint64_t start, uint64_t end, bool freed_tables)
{
	uint64_t nr_pages;

	start &= ~(PAGE_SIZE - 1);
	end = (end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	if (end <= start)
		return;
	nr_pages = (end - start) >> PAGE_SHIFT;
	flush_cpus(t, cpu_mask, this_cpu, asid, start, end, nr_pages,
		   nr_pages > t->cfg.flush_ceiling, freed_tables);
}

void tlb_flush_mm(tlb_t *t, const uint64_t *cpu_mask, unsigned this_cpu, uint16_t asid)
{
	flush_cpus(t, cpu_mask, this_cpu, asid, 0, 0, 0, /* full */ true, false);
}

void tlb_switch_mm(tlb_t *t, unsigned cpu, uint16_t asid)
{
	struct tlb_cpu *c = &t->cpus[cpu];
	unsigned slot;

	if (c->loaded_asid == (int32_t)asid)
		return;
	c->loaded_asid = asid;
	if (!t->cfg.pcid) {
		/* a CR3 write without PCID drops every non-global entry */
		memset(c->dtlb.key, 0, t->keys_per_cpu * sizeof(uint64_t));
		c->dtlb.nr_huge = c->dtlb_2m.nr_huge = c->itlb.nr_huge = c->stlb.nr_huge = 0;
		for (int k = 0; k < TLB_NR_PWC; k++)
			c->pwc[k].nr_huge = c->pwc[k].nr_valid = 0;
		c->stats.flushes_local_full++;
		cost_add(t->pm, COST_TLB_FLUSH_MM, 1);
		return;
	}
	for (slot = 0; slot < t->cfg.nr_asids; slot++)
		if (c->asid_slot[slot] == (int32_t)asid)
			return;
	/* choose_new_asid(): the next slot round-robin, need_flush */
	slot = c->next_asid;
	c->next_asid = (slot + 1) % t->cfg.nr_asids;
	if (c->asid_slot[slot] >= 0)
		flush_asid(c, (uint16_t)c->asid_slot[slot]);
	c->asid_slot[slot] = asid;
	c->stats.flushes_local_full++;
	cost_add(t->pm, COST_TLB_FLUSH_MM, 1);
}

void tlb_stats_sum(const tlb_t *t, struct tlb_stats *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned cpu = 0; cpu < t->nr_cpus; cpu++) {
		const struct tlb_stats *s = &t->cpus[cpu].stats;

		sum->l1_hits += s->l1_hits;
		sum->stlb_hits += s->stlb_hits;
		sum->misses += s->misses;
		sum->walks += s->walks;
		sum->walk_refs += s->walk_refs;
		sum->flushes_local_pages += s->flushes_local_pages;
		sum->flushes_local_full += s->flushes_local_full;
		sum->shootdowns_sent += s->shootdowns_sent;
		sum->shootdowns_received += s->shootdowns_received;
	}
}

/* ---------------------------------------------------------------- tlb_check */

/*
 * One array: keys of the allowed sizes (1: 4 KiB, 2: 2 MiB, 3: both) in
 * the set their vpn indexes, valid ways first, no duplicates.
 */
static int array_check(const struct tlb_array *a, unsigned cpu, const char *name, unsigned sizes,
		       char *msg, size_t msglen)
{
	size_t nr_sets = a->ways ? (size_t)a->set_mask + 1 : 0;
	uint64_t nr_huge = 0;

	for (size_t s = 0; s < nr_sets; s++) {
		const uint64_t *set = a->key + s * a->ways;
		uint32_t nr_valid = 0;

		while (nr_valid < a->ways && set[nr_valid])
			nr_valid++;
		for (uint32_t i = 0; i < a->ways; i++) {
			uint64_t key = set[i];

			if (i >= nr_valid) {
				if (key)
					return mm_error(msg, msglen, -1,
							"tlb: cpu %u %s set %zu: valid way %u after an invalid one (LRU order broken)",
							cpu, name, s, i);
				continue;
			}
			if (!(key & TLB_KEY_VALID))
				return mm_error(msg, msglen, -1, "tlb: cpu %u %s set %zu way %u: key %#llx lacks the valid bit",
						cpu, name, s, i, (unsigned long long)key);
			if (!(sizes & ((key & TLB_KEY_HUGE) ? 2u : 1u)))
				return mm_error(msg, msglen, -1, "tlb: cpu %u %s set %zu way %u: %s entry in this array",
						cpu, name, s, i, (key & TLB_KEY_HUGE) ? "2 MiB" : "4 KiB");
			if ((tlb_key_vpn(key) & a->set_mask) != s)
				return mm_error(msg, msglen, -1,
						"tlb: cpu %u %s set %zu way %u: vpn %#llx belongs to set %llu",
						cpu, name, s, i, (unsigned long long)tlb_key_vpn(key),
						(unsigned long long)(tlb_key_vpn(key) & a->set_mask));
			for (uint32_t j = 0; j < i; j++)
				if (set[j] == key)
					return mm_error(msg, msglen, -1,
							"tlb: cpu %u %s set %zu: ways %u and %u hold the same entry (asid %u vpn %#llx)",
							cpu, name, s, j, i, tlb_key_asid(key),
							(unsigned long long)tlb_key_vpn(key));
			nr_huge += key_huge(key);
		}
	}
	if (nr_huge != a->nr_huge)
		return mm_error(msg, msglen, -1, "tlb: cpu %u %s: nr_huge %u, the sets hold %llu 2 MiB entries",
				cpu, name, a->nr_huge, (unsigned long long)nr_huge);
	return 0;
}

/* A walk cache: nr_valid valid ways, their stamps distinct and not beyond the clock. */
static int pwc_check(const struct tlb_array *a, unsigned cpu, const char *name, char *msg, size_t msglen)
{
	uint32_t nr_valid = 0;

	while (nr_valid < a->ways && a->key[nr_valid])
		nr_valid++;
	if (nr_valid != a->nr_valid)
		return mm_error(msg, msglen, -1, "tlb: cpu %u %s: nr_valid %u, %u ways valid",
				cpu, name, a->nr_valid, nr_valid);
	for (uint32_t i = 0; i < nr_valid; i++) {
		if (a->tag[i] != pwc_tag(a->key[i]))
			return mm_error(msg, msglen, -1, "tlb: cpu %u %s way %u: tag %#x, its key's is %#x",
					cpu, name, i, a->tag[i], pwc_tag(a->key[i]));
		if (a->stamp[i] > a->clock)
			return mm_error(msg, msglen, -1, "tlb: cpu %u %s way %u: stamp %llu past the clock %llu",
					cpu, name, i, (unsigned long long)a->stamp[i],
					(unsigned long long)a->clock);
		for (uint32_t j = 0; j < i; j++)
			if (a->stamp[j] == a->stamp[i])
				return mm_error(msg, msglen, -1, "tlb: cpu %u %s: ways %u and %u share stamp %llu",
						cpu, name, j, i, (unsigned long long)a->stamp[i]);
	}
	return 0;
}

int tlb_check(const tlb_t *t, char *msg, size_t msglen)
{
	struct tlb_stats sum;

	for (unsigned cpu = 0; cpu < t->nr_cpus; cpu++) {
		const struct tlb_cpu *c = &t->cpus[cpu];
		const struct tlb_stats *s = &c->stats;

		if (array_check(&c->dtlb, cpu, "dtlb", 1, msg, msglen) ||
		    array_check(&c->dtlb_2m, cpu, "dtlb_2m", 2, msg, msglen) ||
		    array_check(&c->itlb, cpu, "itlb", 3, msg, msglen) ||
		    array_check(&c->stlb, cpu, "stlb", 3, msg, msglen))
			return -1;
		for (int k = 0; k < TLB_NR_PWC; k++)
			if (array_check(&c->pwc[k], cpu, pwc_names[k], 1, msg, msglen) ||
			    pwc_check(&c->pwc[k], cpu, pwc_names[k], msg, msglen))
				return -1;
		for (unsigned i = 0; i < t->cfg.nr_asids; i++)
			for (unsigned j = 0; j < i; j++)
				if (c->asid_slot[i] >= 0 && c->asid_slot[i] == c->asid_slot[j])
					return mm_error(msg, msglen, -1, "tlb: cpu %u: ASID %d in slots %u and %u",
							cpu, c->asid_slot[i], j, i);
		if (c->miss_key) {
			const struct tlb_array *l1 = c->miss_exec ? &c->itlb : &c->dtlb;
			uint64_t vpn = tlb_key_vpn(c->miss_key);

			if (tlb_set_find(array_set(&c->stlb, vpn), c->stlb.ways, c->miss_key) >= 0 ||
			    tlb_set_find(array_set(l1, vpn), l1->ways, c->miss_key) >= 0)
				return mm_error(msg, msglen, -1,
						"tlb: cpu %u: the last miss (asid %u vpn %#llx) is cached but was never filled",
						cpu, tlb_key_asid(c->miss_key), (unsigned long long)vpn);
		}
		if (s->walk_refs < s->walks || s->walk_refs > 5 * s->walks)
			return mm_error(msg, msglen, -1, "tlb: cpu %u: %llu walk references for %llu walks (1..5 each)",
					cpu, (unsigned long long)s->walk_refs, (unsigned long long)s->walks);
	}
	tlb_stats_sum(t, &sum);
	if (sum.shootdowns_sent != sum.shootdowns_received)
		return mm_error(msg, msglen, -1, "tlb: %llu shootdowns sent but %llu received",
				(unsigned long long)sum.shootdowns_sent,
				(unsigned long long)sum.shootdowns_received);
	return 0;
}
