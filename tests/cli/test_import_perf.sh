#!/usr/bin/env bash
# tests/cli/test_import_perf.sh - command-line tests of `mmbench import
# perf-script` (kernel tracepoints through perf) and of recording with perf.
#
# usage: tests/cli/test_import_perf.sh path/to/mmbench
#
# Checks, one output line each, then "import_perf: N passed, M failed":
#   a. the captured samples (tests/data/perf/*-6.18.txt, kernel 6.18) and the
#      hand-written kernel 6.1 layout import; `mmbench info` counts per type
#      match what the samples hold; stdin (-) gives the same trace;
#   b. each imported trace replays with no replay errors (frees of memory
#      allocated before the recording are dropped at import);
#   c. every malformed sample in tests/data/bad-perf/ exits 1 with
#      "FILE: at byte offset B: line N: MESSAGE" as its first line says
#      ("# expect: line N: MESSAGE"; B is computed), leaving no output;
#      an unknown format is a usage error (exit 2);
#   d. where perf works here: `mmbench record --kernel --no-user` of
#      `sh -c 'exit 7'` exits 7, of a shell killed by SIGTERM exits 143, and
#      its trace holds the process tree (skipped, and said so, otherwise).
set -u

# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
cli_init import_perf 120 "$@"
export MMBENCH_POLICIES=$ROOT/policies

# count TRACE TYPE: events of TYPE in TRACE (from info --format json)
count() {
	"$MMBENCH" info --format json "$1" |
		python3 -c "import json,sys; print(json.load(sys.stdin)['events_by_type'].get('$2',0))"
}

# meta TRACE KEY: a metadata value (from dump)
meta() {
	"$MMBENCH" dump "$1" | sed -n "s/^@meta $2 //p" | tail -n 1
}

# ---------------------------------------------------------------- a. import and counts
# expect_counts TRACE "TYPE=N ..." -> the types whose count differs
expect_counts() {
	local t=$1 want=$2 kv why=
	for kv in $want; do
		local got
		got=$(count "$t" "${kv%%=*}")
		[ "$got" = "${kv#*=}" ] || why="$why ${kv%%=*}=$got(want ${kv#*=})"
	done
	echo "$why"
}

declare -A want
# mmtest-6.18.txt: tests/data/perf/mmtest.c (static) recorded with perf 6.1 on kernel 6.18
want[mmtest-6.18]="MMAP=3 MUNMAP=2 MREMAP=1 MPROTECT=3 MADVISE=2 BRK=5 FORK=2 EXEC=1 EXIT=3 FAULT=73 PAGE_ALLOC=78"
# pipeline-6.18.txt: sh -c 'echo a | cat >/dev/null'
want[pipeline-6.18]="FORK=2 EXEC=2 EXIT=3"
want[kernel-6.1-layout]="ALLOC=5 FREE=3 CACHE_CREATE=2 PAGE_ALLOC=2 PAGE_FREE=2 MMAP=1 MUNMAP=1 MADVISE=1 FAULT=1 FORK=2 EXEC=1 EXIT=2"

for f in "$DATA"/perf/*.txt; do
	name=$(basename "$f" .txt)
	t=$TMP/$name.mmt
	run import perf-script "$f" -o "$t"
	if [ "$rc" -ne 0 ]; then
		fail "a: import $name: $(status_text "$rc"): $(first_line "$TMP/err")"
		continue
	fi
	why=$(expect_counts "$t" "${want[$name]:-}")
	[ "$(meta "$t" source)" = perf ] || why="$why source"
	[ -n "$(meta "$t" clock_monotonic_origin_ns)" ] || why="$why no origin"
	[ "$(meta "$t" import.events_written)" = "$("$MMBENCH" info "$t" | awk '/^events:/ {print $2}')" ] ||
		why="$why events_written"
	grep -q "events from .* lines" "$TMP/err" || why="$why no summary on stderr"
	timeout "$TIMEOUT" "$MMBENCH" import perf-script - -o "$TMP/stdin.mmt" <"$f" 2>/dev/null &&
		cmp -s <("$MMBENCH" dump "$t" | grep -v '^@meta') <("$MMBENCH" dump "$TMP/stdin.mmt" | grep -v '^@meta') ||
		why="$why stdin differs"
	if [ -z "$why" ]; then
		pass "a: import $name: counts per type, metadata, summary, stdin"
	else
		fail "a: import $name:$why"
	fi
done

# the 6.1 layout: thread fork, thread exit, legacy __GFP_ATOMIC, skipped lines counted
t=$TMP/kernel-6.1-layout.mmt
d=$("$MMBENCH" dump "$t")
why=
grep -q 'FORK child=4102 flags=thread' <<<"$d" || why="$why thread fork"
grep -q '4101/4102 \[1\] EXIT code=0 flags=thread' <<<"$d" || why="$why thread exit"
grep -q 'PAGE_ALLOC page=1 order=2 mt=0 gfp=0x40a20' <<<"$d" || why="$why __GFP_ATOMIC gfp"
grep -q 'CACHE_CREATE cache=0 size=200 name="size-200"' <<<"$d" || why="$why nameless cache"
grep -q 'MADVISE .* err=EINVAL' <<<"$d" || why="$why madvise errno"
[ "$(meta "$t" kernel.extfrag_events)" = 1 ] && [ "$(meta "$t" kernel.extfrag_steal)" = 1 ] ||
	why="$why extfrag counts"
[ "$(meta "$t" import.unknown_events)" = 1 ] && [ "$(meta "$t" import.free_unknown_page)" = 1 ] &&
	[ "$(meta "$t" import.out_of_order_lines)" = 1 ] || why="$why import counters"
if [ -z "$why" ]; then
	pass "a: kernel 6.1 layout: threads, gfp, caches by size, errno, extfrag and skip counts"
else
	fail "a: kernel 6.1 layout:$why"
fi

# ---------------------------------------------------------------- b. replay
for f in "$DATA"/perf/*.txt; do
	name=$(basename "$f" .txt)
	t=$TMP/$name.mmt
	[ -f "$t" ] || continue
	run replay "$t" -o "$TMP/r-$name" --check=100
	if [ "$rc" -ne 0 ]; then
		fail "b: replay $name: $(status_text "$rc"): $(first_line "$TMP/err")"
		continue
	fi
	errs=$(awk -F, '$4 ~ /^replay_errors\./ && $5 != 0 { print $4 "=" $5 }' "$TMP/r-$name/results.csv")
	if [ -z "$errs" ] && [ "$(value "$TMP/r-$name" events)" -gt 0 ]; then
		pass "b: replay $name: no replay errors"
	else
		fail "b: replay $name: $errs"
	fi
done

# ---------------------------------------------------------------- c. malformed input
for f in "$DATA"/bad-perf/*.txt; do
	name=$(basename "$f")
	expect=$(sed -n '1s/^# expect: //p' "$f")
	line=$(sed -n 's/^line \([0-9]*\): .*/\1/p' <<<"$expect")
	off=$(head -n $((line - 1)) "$f" | wc -c)
	run import perf-script "$f" -o "$TMP/bad.mmt"
	msg="mmbench: $f: at byte offset $off: $expect"
	if [ "$rc" -eq 1 ] && [ "$(first_line "$TMP/err")" = "$msg" ] &&
		[ ! -e "$TMP/bad.mmt" ] && [ ! -e "$TMP/bad.mmt.tmp" ]; then
		pass "c: $name: exit 1, $expect"
	else
		fail "c: $name: $(status_text "$rc"): got '$(first_line "$TMP/err")', want '$msg'"
	fi
done
run import perf-data "$DATA/perf/mmtest-6.18.txt" -o "$TMP/x.mmt"
if [ "$rc" -eq 2 ] && grep -q "perf-script" "$TMP/err"; then
	pass "c: unknown format: exit 2 naming perf-script"
else
	fail "c: unknown format: $(status_text "$rc")"
fi

# ---------------------------------------------------------------- d. recording with perf
if ! command -v perf >/dev/null || ! "$MMBENCH" record --help 2>/dev/null | grep -q -- --kernel; then
	echo "skip  d: perf or mmbench record --kernel not available"
elif ! perf record -q -e kmem:mm_page_alloc -o "$TMP/probe.data" -- true >/dev/null 2>&1; then
	echo "skip  d: perf cannot open kmem tracepoints here"
else
	run record --kernel --no-user -o "$TMP/k7.mmt" -- sh -c 'exit 7'
	if [ "$rc" -eq 7 ] && [ "$(count "$TMP/k7.mmt" EXEC)" -ge 1 ]; then
		pass "d: record --kernel of sh -c 'exit 7' exits 7 with EXEC in the trace"
	else
		fail "d: record --kernel exit 7: $(status_text "$rc"): $(first_line "$TMP/err")"
	fi
	run record --kernel --no-user -o "$TMP/kt.mmt" -- sh -c 'kill -TERM $$'
	if [ "$rc" -eq 143 ]; then
		pass "d: record --kernel of a shell killed by SIGTERM exits 143"
	else
		fail "d: record --kernel SIGTERM: $(status_text "$rc"): $(first_line "$TMP/err")"
	fi
	run record --kernel --no-user -o "$TMP/kp.mmt" -- sh -c 'ls / | cat >/dev/null'
	if [ "$rc" -eq 0 ] && [ "$(count "$TMP/kp.mmt" FORK)" -ge 2 ] &&
		[ "$(count "$TMP/kp.mmt" EXEC)" -ge 3 ] && [ "$(count "$TMP/kp.mmt" PAGE_ALLOC)" -gt 0 ]; then
		pass "d: record --kernel follows the process tree (fork, exec of ls and cat)"
	else
		fail "d: record --kernel pipeline: $(status_text "$rc"): $(first_line "$TMP/err")"
	fi
fi

echo "import_perf: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
