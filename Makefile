# mmbench - trace-driven benchmark harness for Linux memory-management policies.
# `make help` lists the targets and switches.

.DEFAULT_GOAL := all
SHELL := /bin/bash

# ---------------------------------------------------------------- switches
DEBUG ?= 0
SANITIZE ?= 0
# seconds per fuzz target for `make fuzz`, and inside `make test`
FUZZ_TIME ?= 60
FUZZ_SMOKE_TIME ?= 10

ifeq ($(SANITIZE),1)
O ?= build/asan
else ifeq ($(DEBUG),1)
O ?= build/debug
else
O ?= build
endif

CC ?= cc
CXX ?= c++
WARN := -Wall -Wextra -Wshadow -Wmissing-prototypes -Wstrict-prototypes
CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -D_GNU_SOURCE $(WARN) -MMD -MP -I.
CXXFLAGS ?= -O2 -g
CXXFLAGS += -std=c++17 -D_GNU_SOURCE -Wall -Wextra -MMD -MP -I.
LDLIBS := -lzstd -lxxhash -ljansson -linih -lm -lpfm -lpthread

ifeq ($(DEBUG),1)
CFLAGS += -O0 -g3 -DMMBENCH_DEBUG=1
endif
ifeq ($(SANITIZE),1)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
CFLAGS += $(SANFLAGS)
CXXFLAGS += $(SANFLAGS)
LDFLAGS += $(SANFLAGS)
endif

# ---------------------------------------------------------------- objects
# Explicit lists, one module per line group (see docs/ARCHITECTURE.md).
TRACE_SRCS := traces/trace.c traces/trace_writer.c traces/trace_reader.c \
	traces/text.c traces/trace_info.c
TRACE_SRCS += traces/import_perf.c
TRACE_SRCS += traces/trace_merge.c
TRACE_SRCS += traces/import_lackey.c
WORKLOAD_SRCS := workloads/generate.c workloads/generate_kernel.c workloads/gen_common.c
WORKLOAD_SRCS += workloads/record_finalize.c
# engine/: one module a line
ENGINE_SRCS := engine/phys.c
ENGINE_SRCS += engine/buddy.c
ENGINE_SRCS += engine/pcp.c
ENGINE_SRCS += engine/page_alloc.c
ENGINE_SRCS += engine/compaction.c
ENGINE_SRCS += engine/page_isolation.c
ENGINE_SRCS += engine/cma.c
ENGINE_SRCS += engine/vmstat.c
ENGINE_SRCS += engine/phys_check.c
ENGINE_SRCS += engine/rbtree.c
ENGINE_SRCS += engine/vmalloc.c
ENGINE_SRCS += engine/util.c
ENGINE_SRCS += engine/slub.c
ENGINE_SRCS += engine/slab_common.c
ENGINE_SRCS += engine/slub_check.c
ENGINE_SRCS += engine/vma.c
ENGINE_SRCS += engine/mmap.c
ENGINE_SRCS += engine/pgtable.c
ENGINE_SRCS += engine/memory.c
ENGINE_SRCS += engine/rmap.c
ENGINE_SRCS += engine/filemap.c
ENGINE_SRCS += engine/huge_memory.c
ENGINE_SRCS += engine/tlb.c
ENGINE_SRCS += engine/vm_check.c
# bench/ modules shared by mmbench, the baseline runner and the unit tests
BENCH_SRCS := bench/cli.c
BENCH_SRCS += bench/results.c
BENCH_SRCS += bench/summary.c
BENCH_SRCS += bench/clock.c
BENCH_SRCS += bench/hwcounters.c
BENCH_SRCS += bench/hist.c
BENCH_SRCS += bench/policy.c
BENCH_SRCS += bench/replay.c
BENCH_SRCS += bench/replay_vm.c
BENCH_SRCS += bench/perf_record.c
BENCH_SRCS += bench/suite.c
# report/: reads results directories, writes the HTML report (never the engine)
REPORT_SRCS := report/csv.c
REPORT_SRCS += report/resdir.c
REPORT_SRCS += report/html.c
REPORT_SRCS += report/report.c
REPORT_SRCS += report/compare.c
# the mmbench command
CLI_SRCS := bench/mmbench.c
CLI_SRCS += bench/cmd_trace.c
CLI_SRCS += bench/cmd_replay.c
CLI_SRCS += bench/cmd_baseline.c
CLI_SRCS += bench/cmd_record.c
CLI_SRCS += bench/cmd_suite.c
CLI_SRCS += bench/cmd_compare.c
CLI_SRCS += bench/cmd_report.c
# unit tests (Criterion), one file a line
UNIT_SRCS := tests/unit/test_trace.c
UNIT_SRCS += tests/unit/test_text.c
UNIT_SRCS += tests/unit/test_generate.c
UNIT_SRCS += tests/unit/test_info.c
UNIT_SRCS += tests/unit/test_vmstat.c
UNIT_SRCS += tests/unit/test_buddy.c
UNIT_SRCS += tests/unit/test_cma.c
UNIT_SRCS += tests/unit/test_policy.c
UNIT_SRCS += tests/unit/test_hwcounters.c
UNIT_SRCS += tests/unit/test_hist.c
UNIT_SRCS += tests/unit/test_clock.c
UNIT_SRCS += tests/unit/test_vmalloc.c
UNIT_SRCS += tests/unit/test_slub.c
UNIT_SRCS += tests/unit/test_vma.c
UNIT_SRCS += tests/unit/test_memory.c
UNIT_SRCS += tests/unit/test_record_finalize.c
UNIT_SRCS += tests/unit/test_tlb.c
UNIT_SRCS += tests/unit/test_vm_check.c
UNIT_SRCS += tests/unit/test_report.c
UNIT_SRCS += tests/unit/test_compare.c
UNIT_SRCS += tests/unit/test_perf_record.c
UNIT_SRCS += tests/unit/test_import_perf.c
UNIT_SRCS += tests/unit/test_trace_merge.c
UNIT_SRCS += tests/unit/test_import_lackey.c
FUZZ_TARGETS := fuzz_trace fuzz_text fuzz_policy
FUZZ_TARGETS += fuzz_perf
FUZZ_TARGETS += fuzz_lackey

LIB_SRCS := $(TRACE_SRCS) $(WORKLOAD_SRCS) $(ENGINE_SRCS) $(BENCH_SRCS) $(REPORT_SRCS)
LIB_OBJS := $(LIB_SRCS:%.c=$(O)/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(O)/%.o)
UNIT_OBJS := $(UNIT_SRCS:%.c=$(O)/%.o)

MMBENCH := $(O)/mmbench
UNIT := $(O)/unit_tests

# ---------------------------------------------------------------- targets
.PHONY: all test unit cli-test browser-test bench microbench fuzz fuzz-smoke deps depcheck corpus clean help

all: $(MMBENCH) $(O)/mmbench-native $(O)/libmmbench-record.so

depcheck:
	@deps/check

deps:
	@deps/check --install

$(O)/%.o: %.c | depcheck
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(O)/%.o: %.cc | depcheck
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) -c $< -o $@

# The git revision summary.json names, rewritten only when it changes.
.PHONY: FORCE
$(O)/gitrev.h: FORCE
	@mkdir -p $(@D); rev=$$(git describe --always --dirty 2>/dev/null || echo unknown); \
	line="#define MMBENCH_GIT_REV \"$$rev\""; \
	[ -f $@ ] && [ "$$(cat $@)" = "$$line" ] || echo "$$line" > $@
$(O)/bench/summary.o: $(O)/gitrev.h
$(O)/bench/summary.o: CFLAGS += -I$(O)

# The HTML report inlines uPlot (npm, pinned in package-lock.json) and
# report/report.{js,css}: report/embed.sh writes them into a C header at
# build time, so mmbench carries them and the report works offline.
# node_modules/ comes from `npm ci`, run here when the lock file is newer.
NPM_STAMP := node_modules/.package-lock.json
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@
REPORT_ASSETS := report_uplot_js=node_modules/uplot/dist/uPlot.iife.min.js
REPORT_ASSETS += report_uplot_css=node_modules/uplot/dist/uPlot.min.css
REPORT_ASSETS += report_js=report/report.js
REPORT_ASSETS += report_css=report/report.css
$(O)/report/assets.h: $(NPM_STAMP) report/report.js report/report.css report/embed.sh
	@mkdir -p $(@D)
	report/embed.sh $@ $(REPORT_ASSETS)
$(O)/report/html.o: $(O)/report/assets.h
$(O)/report/html.o: CFLAGS += -I$(O)

$(MMBENCH): $(CLI_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# The baseline runner: replays a trace's malloc calls on whatever allocator
# LD_PRELOAD brings in; linked to none.
$(O)/mmbench-native: $(O)/bench/native.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -lpthread -ldl -o $@

$(UNIT): $(UNIT_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -lcriterion -o $@

# The user-level recorder `mmbench record` preloads (found next to mmbench):
# position-independent, only its wrappers exported, never sanitized (an
# instrumented LD_PRELOAD library would need the sanitizer runtime first).
REC_SRCS := workloads/recorder/recorder.c
REC_PIC_OBJS := $(REC_SRCS:%.c=$(O)/%.pic.o)
REC_CFLAGS := $(filter-out $(SANFLAGS),$(CFLAGS)) -fPIC -fvisibility=hidden
$(O)/%.pic.o: %.c | depcheck
	@mkdir -p $(@D)
	$(CC) $(REC_CFLAGS) -c $< -o $@
$(O)/libmmbench-record.so: $(REC_PIC_OBJS)
	$(CC) -shared $^ -ldl -lpthread -o $@

# The recorder's test program (tests/cli/test_record.sh): malloc family,
# mmap, fork, threads, vfork, exec, _exit; never sanitized either.
$(O)/tests/progs/rec_prog: tests/progs/rec_prog.c | depcheck
	@mkdir -p $(@D)
	$(CC) $(filter-out $(SANFLAGS),$(CFLAGS)) $< -lpthread -o $@

# The golden /proc/PID/maps program (tests/cli/test_vm.sh): a fixed
# mmap / mprotect / mremap / munmap sequence at fixed addresses.
$(O)/tests/progs/maps_prog: tests/progs/maps_prog.c | depcheck
	@mkdir -p $(@D)
	$(CC) $(filter-out $(SANFLAGS),$(CFLAGS)) $< -o $@

# The lackey test program (tests/cli/test_import_lackey.sh): static, no libc,
# so valgrind --tool=lackey traces a few hundred accesses, not 160,000.
$(O)/tests/progs/lackey_prog: tests/progs/lackey_prog.c | depcheck
	@mkdir -p $(@D)
	$(CC) -O1 -g -static -nostdlib -fno-pie -no-pie -fno-stack-protector -fcf-protection=none $< -o $@

# Unit tests (Criterion; its closing "Synthesis" line is the verdict) and the
# command-line tests, in this configuration.
unit: $(UNIT)
	$(UNIT) --jobs=2

cli-test: $(MMBENCH) $(O)/mmbench-native $(O)/libmmbench-record.so $(O)/tests/progs/rec_prog \
		$(O)/tests/progs/maps_prog
cli-test: $(O)/tests/progs/lackey_prog
	tests/cli/run.sh $(MMBENCH)
	tests/cli/test_replay.sh $(MMBENCH)
	tests/cli/test_replay_seed.sh $(MMBENCH)
	tests/cli/test_import_perf.sh $(MMBENCH)
	tests/cli/test_import_lackey.sh $(MMBENCH)
	tests/cli/test_baseline.sh $(MMBENCH)
	tests/cli/test_record.sh $(MMBENCH)
	tests/cli/test_report.sh $(MMBENCH)
	tests/cli/test_suite.sh $(MMBENCH)
	tests/cli/test_vm.sh $(MMBENCH)
	tests/cli/test_corpus.sh $(MMBENCH)

# The HTML report in headless Debian chromium from file:// (tests/browser/);
# its screenshot is kept in $(O)/report-screenshot.png.
browser-test: $(MMBENCH) $(O)/mmbench-native $(NPM_STAMP)
	tests/browser/run.sh $(MMBENCH) $(O)

# The full test: normal build, then the same tests under ASan+UBSan, then a
# short fuzz run of every reader.
test:
	$(MAKE) unit
	$(MAKE) cli-test
	$(MAKE) browser-test
	$(MAKE) SANITIZE=1 unit
	$(MAKE) SANITIZE=1 cli-test
	$(MAKE) fuzz-smoke

# ---------------------------------------------------------------- fuzzing
FUZZ_O := build/fuzz
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -O1 -g -I. -MMD -MP -fsanitize=fuzzer-no-link,address,undefined
FUZZ_LIB_OBJS := $(TRACE_SRCS:%.c=$(FUZZ_O)/%.o)

$(FUZZ_O)/%.o: %.c | depcheck
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_O)/%: $(FUZZ_O)/tests/fuzz/%.o $(FUZZ_LIB_OBJS)
	clang -fsanitize=fuzzer,address,undefined $^ $(LDLIBS) -o $@

# fuzz_policy: bench/policy.c, bench/cli.c (policy_dir) and the modules they use.
FUZZ_POLICY_OBJS := $(FUZZ_O)/bench/policy.o $(FUZZ_O)/bench/cli.o $(FUZZ_LIB_OBJS) $(ENGINE_SRCS:%.c=$(FUZZ_O)/%.o)
$(FUZZ_O)/fuzz_policy: $(FUZZ_O)/tests/fuzz/fuzz_policy.o $(FUZZ_POLICY_OBJS)
	clang -fsanitize=fuzzer,address,undefined $^ $(LDLIBS) -o $@

FUZZ_BINS := $(FUZZ_TARGETS:%=$(FUZZ_O)/%)
.SECONDARY:

# make fuzz [FUZZ_TIME=s]: run every target for FUZZ_TIME seconds, growing
# build/fuzz/corpus-<target> from the seeds in tests/fuzz/seeds-<target>.
fuzz: $(FUZZ_BINS)
	tests/fuzz/run.sh $(FUZZ_O) $(FUZZ_TIME) $(FUZZ_TARGETS)

fuzz-smoke: $(FUZZ_BINS)
	tests/fuzz/run.sh $(FUZZ_O) $(FUZZ_SMOKE_TIME) $(FUZZ_TARGETS)

# ---------------------------------------------------------------- benchmarks
MICRO_OBJS := $(O)/bench/microbench.o $(O)/bench/microbench_cases.o
$(O)/microbench: $(MICRO_OBJS) $(LIB_OBJS)
	$(CXX) $(LDFLAGS) $^ $(LDLIBS) -lbenchmark -lpthread -o $@

# Google Benchmark microbenchmarks; JSON in $(O)/microbench.json.
# MICROBENCH_FLAGS: more flags (make bench passes a short --benchmark_min_time).
MICROBENCH_FLAGS ?=
microbench: $(O)/microbench
	$(O)/microbench --benchmark_out=$(O)/microbench.json --benchmark_out_format=json $(MICROBENCH_FLAGS)

# The main job: install what is missing, build, microbenchmarks (short), the
# default suite (bench/suites/default.suite) into $(BENCH_OUT) with -j 2, every
# policy against linux-default ($(BENCH_OUT)/compare/), the HTML report; prints
# the summary, the report's path and the wall time.
BENCH_OUT ?= out/bench
BENCH_JOBS ?= 2
bench:
	@deps/check --install
	@start=$$(date +%s); \
	$(MAKE) all && \
	$(MAKE) microbench MICROBENCH_FLAGS=--benchmark_min_time=0.05 && \
	{ $(MMBENCH) suite -j $(BENCH_JOBS) -o $(BENCH_OUT) default; rc=$$?; } && \
	cp $(O)/microbench.json $(BENCH_OUT)/ && mkdir -p $(BENCH_OUT)/compare && \
	{ $(MMBENCH) compare --base-policy linux-default -o $(BENCH_OUT)/compare $(BENCH_OUT) \
		> $(BENCH_OUT)/compare/compare.txt || rc=1; tail -n 2 $(BENCH_OUT)/compare/compare.txt; } && \
	{ $(MMBENCH) report -o $(BENCH_OUT) $(BENCH_OUT) || rc=1; } && \
	echo "bench: report $(BENCH_OUT)/index.html, results $(BENCH_OUT)/results.csv, run context $(BENCH_OUT)/summary.json" && \
	echo "bench: wall time $$(( $$(date +%s) - start )) s" && exit $$rc

# Record the bundled corpus into traces/corpus/ and rewrite its MANIFEST.md
# (workloads/corpus/record-corpus.sh).  CORPUS="NAME...": only those traces;
# without it all, the *-kernel ones skipped when root or perf is missing.
CORPUS ?=
corpus: $(MMBENCH) $(O)/libmmbench-record.so
	workloads/corpus/record-corpus.sh $(MMBENCH) $(CORPUS)

clean:
	rm -rf build

help:
	@echo "mmbench make targets:"
	@echo "  all         build $(O)/mmbench and the baseline runner $(O)/mmbench-native (default)"
	@echo "  test        unit + CLI tests, again under SANITIZE=1, then a fuzz smoke run"
	@echo "  browser-test  the HTML report in headless chromium -> $(O)/report-screenshot.png"
	@echo "  bench       install missing packages, build, microbenchmarks, the default suite and"
	@echo "              the HTML report into $(BENCH_OUT)/ (BENCH_JOBS=2)"
	@echo "  microbench  Google Benchmark microbenchmarks -> $(O)/microbench.json"
	@echo "  corpus      record traces/corpus/*.mmt and MANIFEST.md again (CORPUS=\"NAME...\": only those;"
	@echo "              the *-kernel ones need root and perf)"
	@echo "  fuzz        run each libFuzzer target for FUZZ_TIME seconds (default 60)"
	@echo "  deps        install the Debian packages in deps/debian.txt (apt-get, as root)"
	@echo "  clean       remove build/"
	@echo "switches: DEBUG=1 (-O0, debug checks), SANITIZE=1 (ASan+UBSan, in build/asan),"
	@echo "          FUZZ_TIME=s, FUZZ_SMOKE_TIME=s, O=dir (build directory)"

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(UNIT_OBJS:.o=.d) $(MICRO_OBJS:.o=.d)
-include $(FUZZ_LIB_OBJS:.o=.d) $(FUZZ_POLICY_OBJS:.o=.d) $(FUZZ_BINS:$(FUZZ_O)/%=$(FUZZ_O)/tests/fuzz/%.d)
-include $(O)/bench/native.d
-include $(REC_PIC_OBJS:.o=.d) $(O)/tests/progs/rec_prog.d
