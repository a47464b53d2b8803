#!/usr/bin/env bash
# tests/cli/test_replay_seed.sh - `mmbench replay` seeds address spaces from
# the trace's proc.PID.maps_* metadata (bench/replay_vm.h, "Seeding").
#
# usage: tests/cli/test_replay_seed.sh path/to/mmbench
#
# tests/data/seed-maps.txt: a process exec's, then faults on its text (a file
# line of maps_end), its RELRO page (r--p before rw-p: seeded writable, then
# mprotect'ed), its [stack], its data page, which a recorded mmap then
# replaces, and memory no line covers.  Checks, one output line each:
#   a. warm page cache (linux-default): fault-around maps whole 16-page
#      windows clipped to the VMA, no major fault; exact faults, seeded and
#      implicit mappings, malformed lines, max RSS, no overlap error, no
#      SIGSEGV; --check passes;
#   b. page_cache = cold: every file fault reads its page (major), nothing
#      is mapped around it; exact RSS and faults;
#   c. no maps lines (a lackey trace, say): a page the program first read
#      (the zero page), then wrote (a copy, as do_wp_page does),
#      then ran is widened each time (its implicit mapping took
#      the first access's rights), never a SIGSEGV; a write to a read-only
#      mapping the trace made is the program's own SIGSEGV.
set -u

# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
cli_init replay-seed 60 "$@"
export MMBENCH_POLICIES=$ROOT/policies

# expect DIR LABEL METRIC=VALUE...: pass when every metric has its value
expect() {
	local dir=$1 label=$2 bad=""
	shift 2
	for kv in "$@"; do
		local got
		got=$(value "$dir" "${kv%%=*}")
		[ "$got" = "${kv#*=}" ] || bad="$bad ${kv%%=*}=$got (want ${kv#*=})"
	done
	if [ -z "$bad" ]; then pass "$label"; else fail "$label:$bad"; fi
}

run import text "$DATA/seed-maps.txt" -o "$TMP/seed.mmt"
[ "$rc" -eq 0 ] || fail "import seed-maps.txt: $(status_text "$rc"): $(first_line "$TMP/err")"

# a. warm: 16 + 4 text pages, a COW copy of the RELRO page, a stack page, the
# data page (replaced by the mmap), an implicit page: peak 23 pages
run replay --check=1 "$TMP/seed.mmt" -o "$TMP/warm"
if [ "$rc" -ne 0 ]; then
	fail "a: replay: $(status_text "$rc"): $(first_line "$TMP/err")"
else
	expect "$TMP/warm" "a: warm cache: seeded maps, fault-around, exact faults and max RSS" \
		vm.pgfault=6 vm.pgmajfault=0 vm.faults.file_read=3 vm.faults.file_cow=1 vm.faults.anon=2 \
		vm.faults.sigsegv=0 vm.seeded_mappings=4 vm.implicit_mappings=1 vm.seed_malformed=1 \
		replay_errors.mmap_overlap=0 replay_errors.mprotect_refused=0 \
		model_vs_real.minor_faults.predicted=6 model_vs_real.max_rss_bytes.predicted=94208 \
		model_vs_real.max_rss_bytes.real=98304
fi

# b. cold: one page per fault: 2 text, 1 COW, 1 stack, 1 data, 1 implicit; peak 5
cat >"$TMP/cold.ini" <<'INI'
include = linux-default
[vm]
page_cache = cold
INI
run replay --policy "$TMP/cold.ini" "$TMP/seed.mmt" -o "$TMP/cold"
if [ "$rc" -ne 0 ]; then
	fail "b: replay: $(status_text "$rc"): $(first_line "$TMP/err")"
else
	expect "$TMP/cold" "b: cold cache: major faults, no fault-around" \
		vm.pgfault=6 vm.pgmajfault=4 vm.faults.file_read=3 vm.seeded_mappings=4 \
		model_vs_real.minor_faults.predicted=2 model_vs_real.max_rss_bytes.predicted=20480
fi

# c. implicit mappings take more rights when a later access needs them
cat >"$TMP/widen.txt" <<'TXT'
# mmbench trace text v1
1000 7/7 [0] ACCESS addr=0x600000 flags=user
2000 7/7 [0] ACCESS addr=0x600008 flags=write|user
3000 7/7 [0] ACCESS addr=0x600010 flags=exec|user
4000 7/7 [0] MMAP len=4096 prot=r-- flags=private|anonymous result=0x700000
5000 7/7 [0] ACCESS addr=0x700000 flags=write|user
TXT
run import text "$TMP/widen.txt" -o "$TMP/widen.mmt"
run replay --check=1 "$TMP/widen.mmt" -o "$TMP/widen"
if [ "$rc" -ne 0 ]; then
	fail "c: replay: $(status_text "$rc"): $(first_line "$TMP/err")"
else
	expect "$TMP/widen" "c: an implicit mapping is widened for a later write and fetch; the trace's own r-- mapping faults" \
		vm.implicit_mappings=1 vm.guess_widened=2 vm.faults.sigsegv=1 vm.faults.zero=1 vm.faults.wp_copy=1
fi

echo "replay-seed: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
