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

} // namespace

BENCHMARK_MAIN();
