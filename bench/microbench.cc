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
// malloc/free-heavy malloc2 trace and the page-touching page_fault1 trace;
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

} // namespace

BENCHMARK_MAIN();
