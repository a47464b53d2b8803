// microbench.cc - Google Benchmark shim: registers the microbenchmarks whose
// bodies are C functions in microbench_cases.c.  `make microbench` runs it and
// writes build/microbench.json.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "bench/microbench_cases.h"

namespace {

// One trace per generator, made on first use and kept for the whole run.
const mb_trace_t &trace_for(const char *generator)
{
	struct entry {
		const char *name;
		mb_trace_t trace;
		bool made;
	};
	static entry cache[8];
	for (entry &e : cache) {
		if (e.made && !std::strcmp(e.name, generator))
			return e.trace;
		if (!e.made) {
			if (mb_trace_make(&e.trace, generator, 4))
				std::exit(1);
			e.name = generator;
			e.made = true;
			return e.trace;
		}
	}
	std::fprintf(stderr, "microbench: too many traces\n");
	std::exit(1);
}

// Decode speed of the trace reader: events/s (items_per_second) on the
// malloc/free-heavy malloc1 and malloc2 traces and the page-touching page_fault1 trace;
// also reports the file's bytes per event.
void BM_trace_decode(benchmark::State &state, const char *generator)
{
	const mb_trace_t &t = trace_for(generator);
	for (auto _ : state) {
		uint64_t n = mb_trace_decode(&t);
		if (n != t.nr_events) {
			state.SkipWithError("decode failed");
			break;
		}
		benchmark::DoNotOptimize(n);
	}
	state.SetItemsProcessed(state.iterations() * (int64_t)t.nr_events);
	state.counters["events"] = (double)t.nr_events;
	state.counters["bytes_per_event"] = (double)t.len / (double)t.nr_events;
}

BENCHMARK_CAPTURE(BM_trace_decode, malloc1, "malloc1")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_trace_decode, malloc2, "malloc2")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_trace_decode, page_fault1, "page_fault1")->Unit(benchmark::kMillisecond);

// Page allocator pairs: alloc_pages + free_pages of one block on CPU 0, in
// batches of kPairs per iteration; ns_per_pair is the figure the targets name.
constexpr uint64_t kPairs = 1024;

void alloc_free_pairs(benchmark::State &state, unsigned order, int pcp)
{
	mb_phys_t *m = mb_phys_make(16384, pcp); // 16 GiB, Linux defaults
	if (!m) {
		state.SkipWithError("machine setup failed");
		return;
	}
	mb_alloc_free_pairs(m, order, kPairs); // warm: first refill or split
	for (auto _ : state) {
		if (mb_alloc_free_pairs(m, order, kPairs)) {
			state.SkipWithError("allocation failed");
			break;
		}
	}
	mb_phys_free(m);
	state.SetItemsProcessed(state.iterations() * (int64_t)kPairs);
	state.counters["ns_per_pair"] = benchmark::Counter(
		(double)state.iterations() * kPairs,
		benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// Order-0 allocation and free through the per-CPU list (rmqueue_pcplist /
// free_unref_page); target <= 15 ns per pair.
void BM_pcp_alloc_free_order0(benchmark::State &state)
{
	alloc_free_pairs(state, 0, 1);
}
BENCHMARK(BM_pcp_alloc_free_order0);

// Order-N allocation and free straight through the buddy lists (pcp off):
// each pair splits a max-order block down and merges it back; target <= 60 ns
// for order 3.
void BM_buddy_alloc_free(benchmark::State &state)
{
	alloc_free_pairs(state, (unsigned)state.range(0), 0);
}
BENCHMARK(BM_buddy_alloc_free)->Arg(0)->Arg(3)->Arg(9);

// Building a machine of range(0) MiB: memmap, zones, all memory freed to the
// buddy allocator, watermarks; target <= 0.5 s for 64 GiB.  Reports host
// metadata bytes per simulated 4 KiB page.
void BM_mem_init(benchmark::State &state)
{
	double bpp = 0;
	for (auto _ : state) {
		bpp = mb_mem_init((uint64_t)state.range(0));
		if (bpp < 0) {
			state.SkipWithError("init failed");
			break;
		}
	}
	state.counters["bytes_per_page"] = bpp;
}
BENCHMARK(BM_mem_init)->Arg(1024)->Arg(65536)->Unit(benchmark::kMillisecond);

// hist_record of a fixed pseudo-random sequence of 16384 latencies, 10 ns ..
// 10 ms (log-uniform), into a 3-figure histogram to 1 hour: the per-event cost
// replay pays for each latency histogram; target a few ns per record.
void BM_hist_record(benchmark::State &state)
{
	constexpr uint64_t kValues = 16384;
	mb_hist_t *m = mb_hist_make(kValues);
	if (!m) {
		state.SkipWithError("histogram setup failed");
		return;
	}
	for (auto _ : state)
		benchmark::DoNotOptimize(mb_hist_record(m));
	mb_hist_free(m);
	state.SetItemsProcessed(state.iterations() * (int64_t)kValues);
	state.counters["ns_per_record"] = benchmark::Counter(
		(double)state.iterations() * kValues,
		benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_hist_record);

// vmalloc + vfree of range(0) pages on CPU 0 (16 GiB machine, Linux
// defaults, 4 CPUs), kPairs per iteration: lowest-fit search and split in the
// free tree, the busy tree, one alloc_pages/free_pages per page, PTEs, and the
// amortized lazy purge (every lazy_max_pages() = 24576 pages freed).
void BM_vmalloc_vfree(benchmark::State &state)
{
	const uint64_t pages = (uint64_t)state.range(0);
	mb_vmalloc_t *m = mb_vmalloc_make(16384);
	if (!m) {
		state.SkipWithError("machine setup failed");
		return;
	}
	mb_vmalloc_vfree_pairs(m, pages, kPairs); // warm: page tables, pcp lists
	for (auto _ : state) {
		if (mb_vmalloc_vfree_pairs(m, pages, kPairs)) {
			state.SkipWithError("vmalloc failed");
			break;
		}
	}
	mb_vmalloc_free(m);
	state.SetItemsProcessed(state.iterations() * (int64_t)kPairs);
	state.counters["ns_per_pair"] = benchmark::Counter(
		(double)state.iterations() * kPairs,
		benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_vmalloc_vfree)->Arg(1)->Arg(16)->Arg(256);

// kmalloc + kfree of range(0) bytes on CPU 0, the object freed right away:
// SLUB's fast paths (the cpu freelist; the kernel's take ~42 cycles); target
// <= 8 ns per pair.
void BM_kmalloc_kfree_hot(benchmark::State &state)
{
	const size_t size = (size_t)state.range(0);
	mb_slub_t *m = mb_slub_make(16384);
	if (!m) {
		state.SkipWithError("machine setup failed");
		return;
	}
	mb_kmalloc_kfree_pairs(m, size, kPairs); // warm: the first cpu slab
	for (auto _ : state) {
		if (mb_kmalloc_kfree_pairs(m, size, kPairs)) {
			state.SkipWithError("kmalloc failed");
			break;
		}
	}
	mb_slub_free(m);
	state.SetItemsProcessed(state.iterations() * (int64_t)kPairs);
	state.counters["ns_per_pair"] = benchmark::Counter(
		(double)state.iterations() * kPairs,
		benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_kmalloc_kfree_hot)->Arg(64)->Arg(512)->Arg(4096);

// 1,000,000 kmallocs of range(0) bytes on CPU 0, all live at once, then a
// kfree of each, oldest first (4 GiB machine, Linux defaults): SLUB's slow
// paths -- new slabs from the page allocator, frees into full slabs frozen
// onto the cpu partial list and drained to the node list, empty slabs
// discarded beyond min_partial; target <= 25 ns per pair (jemalloc does
// ~22 ns natively).
void BM_kmalloc_kfree_bulk(benchmark::State &state)
{
	constexpr unsigned kBulk = 1000000;
	const size_t size = (size_t)state.range(0);
	mb_slub_t *m = mb_slub_make(4096);
	if (!m) {
		state.SkipWithError("machine setup failed");
		return;
	}
	mb_kmalloc_kfree_bulk(m, size, kBulk); // warm: host metadata, page lists
	for (auto _ : state) {
		if (mb_kmalloc_kfree_bulk(m, size, kBulk)) {
			state.SkipWithError("kmalloc failed");
			break;
		}
	}
	mb_slub_free(m);
	state.SetItemsProcessed(state.iterations() * (int64_t)kBulk);
	state.counters["ns_per_pair"] = benchmark::Counter(
		(double)state.iterations() * kBulk,
		benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_kmalloc_kfree_bulk)->Arg(256)->Unit(benchmark::kMillisecond);

// 1000 kmem_cache_alloc()s of 256 bytes then 1000 frees, on CPU 0: new
// slabs, frees into full slabs (frozen onto the cpu partial list, drained),
// empty slabs discarded beyond min_partial -- SLUB's slow paths.
void BM_kmem_cache_alloc_free_burst(benchmark::State &state)
{
	constexpr unsigned kBurst = 1000;
	mb_slub_t *m = mb_slub_make(16384);
	if (!m) {
		state.SkipWithError("machine setup failed");
		return;
	}
	mb_kmem_cache_burst(m, kBurst); // warm
	for (auto _ : state) {
		if (mb_kmem_cache_burst(m, kBurst)) {
			state.SkipWithError("allocation failed");
			break;
		}
	}
	mb_slub_free(m);
	state.SetItemsProcessed(state.iterations() * (int64_t)kBurst);
	state.counters["ns_per_pair"] = benchmark::Counter(
		(double)state.iterations() * kBurst,
		benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_kmem_cache_alloc_free_burst);

// tlb_lookup on CPU 0 (engine/tlb.h, Skylake-like defaults) cycling over
// `pages` pages in a shuffled order, kLookups per iteration; ns_per_lookup
// is the figure.  48 pages: every lookup an L1 dTLB hit (the replay's hot
// path, target <= 5 ns); 512: every lookup an STLB hit with an L1 refill;
// 8192: every lookup misses L1 and the STLB, then tlb_walk (4 levels, the
// PDE cache hits) and tlb_insert (target <= 30 ns).
void tlb_lookups(benchmark::State &state, unsigned pages, int want)
{
	constexpr uint64_t kLookups = 4096;
	mb_tlb_t *m = mb_tlb_make();
	if (!m) {
		state.SkipWithError("tlb setup failed");
		return;
	}
	mb_tlb_lookups(m, pages, want, 2 * pages); // warm: fill, then settle
	for (auto _ : state) {
		if (mb_tlb_lookups(m, pages, want, kLookups) != kLookups) {
			state.SkipWithError("working set did not give the intended result");
			break;
		}
	}
	mb_tlb_free(m);
	state.SetItemsProcessed(state.iterations() * (int64_t)kLookups);
	state.counters["ns_per_lookup"] = benchmark::Counter(
		(double)state.iterations() * kLookups,
		benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_tlb_lookup_hit(benchmark::State &state)
{
	tlb_lookups(state, 48, 0); // TLB_L1_HIT
}
BENCHMARK(BM_tlb_lookup_hit);

void BM_tlb_lookup_stlb_hit(benchmark::State &state)
{
	tlb_lookups(state, (unsigned)state.range(0), 1); // TLB_STLB_HIT
}
BENCHMARK(BM_tlb_lookup_stlb_hit)->Arg(512);

void BM_tlb_miss_walk(benchmark::State &state)
{
	tlb_lookups(state, 8192, 2); // TLB_MISS
}
BENCHMARK(BM_tlb_miss_walk);

// find_vma() over range(0) one-page VMAs (the augmented rbtree, no
// vmacache), kLookups per iteration at pseudo-random addresses inside them
// (target <= 50 ns with 10,000).
void BM_find_vma(benchmark::State &state)
{
	constexpr uint64_t kLookups = 4096;
	const unsigned nr = (unsigned)state.range(0);
	mb_vm_t *m = mb_vm_make(nr);
	if (!m) {
		state.SkipWithError("address space setup failed");
		return;
	}
	for (auto _ : state) {
		if (mb_find_vma(m, kLookups) != kLookups) {
			state.SkipWithError("find_vma returned the wrong VMA");
			break;
		}
	}
	mb_vm_free(m);
	state.SetItemsProcessed(state.iterations() * (int64_t)kLookups);
	state.counters["ns_per_lookup"] = benchmark::Counter(
		(double)state.iterations() * kLookups,
		benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_find_vma)->Arg(10000);

// mmap (top-down placement, VMA set up and linked) + munmap (split-free
// unlink, zap and free_pgtables of an untouched range) of range(0) pages,
// beside 1,000 other VMAs; kPairs per iteration.
void BM_vma_mmap_munmap(benchmark::State &state)
{
	const uint64_t pages = (uint64_t)state.range(0);
	mb_vm_t *m = mb_vm_make(1000);
	if (!m) {
		state.SkipWithError("address space setup failed");
		return;
	}
	for (auto _ : state) {
		if (mb_mmap_munmap_pairs(m, pages, kPairs)) {
			state.SkipWithError("mmap or munmap failed");
			break;
		}
	}
	mb_vm_free(m);
	state.SetItemsProcessed(state.iterations() * (int64_t)kPairs);
	state.counters["ns_per_pair"] = benchmark::Counter(
		(double)state.iterations() * kPairs,
		benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_vma_mmap_munmap)->Arg(1)->Arg(256);

// mmap of range(0) pages, a write fault on each (do_anonymous_page: zeroed
// page, PTE, rmap), munmap (zap_page_range, free_pgtables); kPairs cycles
// per iteration, reported per faulted page.
void BM_fault_anon_munmap(benchmark::State &state)
{
	const uint64_t pages = (uint64_t)state.range(0);
	mb_fault_t *m = mb_fault_make(0);
	if (!m) {
		state.SkipWithError("address space setup failed");
		return;
	}
	for (auto _ : state) {
		if (mb_fault_munmap_cycles(m, pages, kPairs)) {
			state.SkipWithError("a fault or munmap failed");
			break;
		}
	}
	mb_fault_free(m);
	state.SetItemsProcessed(state.iterations() * (int64_t)(kPairs * pages));
	state.counters["ns_per_page"] = benchmark::Counter(
		(double)state.iterations() * kPairs * pages,
		benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_fault_anon_munmap)->Arg(1)->Arg(512);

// A write to a fresh anonymous page through mm_access() with the TLB
// modeled: lookup miss, walk, handle_mm_fault (do_anonymous_page: page
// allocation, PTE set, rmap), walk again, TLB fill.  kPages pages per
// iteration in one new mapping, so a PTE table costs 1/512 of a fault;
// the munmap is outside the timed region.  Target <= 150 ns per fault.
void BM_anon_fault(benchmark::State &state)
{
	constexpr uint64_t kPages = 4096;
	mb_fault_t *m = mb_fault_make(1);
	if (!m) {
		state.SkipWithError("address space setup failed");
		return;
	}
	for (auto _ : state) {
		state.PauseTiming();
		uint64_t a = mb_anon_map(m, kPages);
		state.ResumeTiming();
		if (!a || mb_anon_fault_region(m, a, kPages)) {
			state.SkipWithError("mmap or a fault failed");
			break;
		}
		state.PauseTiming();
		int rc = mb_anon_unmap(m, a, kPages);
		state.ResumeTiming();
		if (rc) {
			state.SkipWithError("munmap failed");
			break;
		}
	}
	mb_fault_free(m);
	state.SetItemsProcessed(state.iterations() * (int64_t)kPages);
	state.counters["ns_per_fault"] = benchmark::Counter(
		(double)state.iterations() * kPages,
		benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_anon_fault);

// mm_fork() (dup_mmap + copy_page_range) of a process with 1 GiB of
// anonymous memory written (262,144 PTEs, THP off): wrprotect, refcount,
// mapcount and an rmap item per page, the child's tables.  Untimed: the
// child's exit_mmap and an mprotect pair that makes the parent's PTEs
// writable again.  Target <= 20 ms.
void BM_fork_1g(benchmark::State &state)
{
	constexpr uint64_t kPages = 262144;
	mb_fork_t *m = mb_fork_make(kPages);
	if (!m) {
		state.SkipWithError("process setup failed");
		return;
	}
	bool checked = false;
	for (auto _ : state) {
		if (mb_fork_once(m) != kPages) {
			state.SkipWithError("fork failed or lost pages");
			break;
		}
		state.PauseTiming();
		int rc = checked ? 0 : mb_fork_check(m); // the first child: refcounts, mapcounts, rmap
		checked = true;
		if (!rc)
			rc = mb_fork_reset(m);
		state.ResumeTiming();
		if (rc) {
			state.SkipWithError("fork left inconsistent tables, or teardown failed");
			break;
		}
	}
	mb_fork_free(m);
	state.counters["PTEs"] = (double)kPages;
}
BENCHMARK(BM_fork_1g)->Unit(benchmark::kMillisecond);

// mm_access() to 64 mapped, written pages that the L1 dTLB holds: range(0)
// = 0 reads, 1 writes (a write also checks the entry's RW and dirty bits).
void BM_mm_access_hit(benchmark::State &state)
{
	constexpr uint64_t kAccesses = 4096;
	const unsigned flags = state.range(0) ? 0x01u : 0u; // FAULT_FLAG_WRITE
	mb_fault_t *m = mb_fault_make(1);
	if (!m) {
		state.SkipWithError("address space setup failed");
		return;
	}
	for (auto _ : state) {
		if (mb_access_hits(m, flags, kAccesses) != kAccesses) {
			state.SkipWithError("an access faulted");
			break;
		}
	}
	mb_fault_free(m);
	state.SetItemsProcessed(state.iterations() * (int64_t)kAccesses);
	state.counters["ns_per_access"] = benchmark::Counter(
		(double)state.iterations() * kAccesses,
		benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_mm_access_hit)->Arg(0)->Arg(1);

} // namespace

BENCHMARK_MAIN();
