#!/usr/bin/env bash
# tests/cli/test_baseline.sh - command-line tests of `mmbench baseline`.
#
# usage: tests/cli/test_baseline.sh path/to/mmbench
#
# mmbench-native must sit next to mmbench.  Checks, one output line each,
# then "baseline: N passed, M failed":
#   a. the malloc1 and malloc2 generated traces replay on every allocator:
#      exit 0, one summary line, results.csv with its header and the expected
#      metrics holding numbers, count.* equal to the ALLOC / FREE / REALLOC
#      counts `mmbench info` reports, the allocator's own statistics (proof it
#      was the one loaded), latency/*.hgrm for every call kind used, each
#      ending with the "#[Buckets" footer, summary.json parsing and naming the
#      allocator and its library;
#   b. a text trace with every entry point, a cross-thread free, a
#      cross-thread realloc, a free of an unknown id and kernel calls replays
#      with unknown_frees 1 and the expected counts per call;
#   c. options: the default output directory, --threads-max folding,
#      --warmup (calls replayed but not recorded), --touch=none;
#   d. every malformed trace in tests/data/bad/ exits 1 with the file, a byte
#      offset and the EXPECT reason on stderr, and writes no results;
#   e. usage errors and an unknown allocator exit 2; help exits 0.
# In a sanitizer build (AddressSanitizer replaces malloc) only glibc runs:
# the other allocators are skipped, and asking for one must exit 1.
# Exits non-zero when any check failed.

set -u

# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
cli_init baseline 60 "$@"
if [ ! -x "$(dirname "$MMBENCH")/mmbench-native" ]; then
	echo "baseline: $(dirname "$MMBENCH")/mmbench-native is missing (make all)" >&2
	exit 2
fi

is_number() {
	[[ $1 =~ ^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$ ]]
}

# The allocators this build can measure.
ALLOCATORS="jemalloc glibc mimalloc tcmalloc"
SANITIZED=0
if ldd "$MMBENCH" 2>/dev/null | grep -q 'libasan'; then
	SANITIZED=1
	ALLOCATORS=glibc
	echo "note  sanitizer build: AddressSanitizer replaces malloc, so only glibc runs" \
		"(measuring ASan's allocator); jemalloc, mimalloc, tcmalloc skipped"
fi

# A statistic each allocator reports: its rows prove it was the one loaded.
stat_of() {
	case $1 in
	jemalloc) echo alloc_stats.stats.allocated ;;
	glibc) echo alloc_stats.arena ;;
	mimalloc) echo alloc_stats.current_commit ;;
	tcmalloc) echo alloc_stats.generic.heap_size ;;
	esac
}

library_of() {
	case $1 in
	jemalloc) echo libjemalloc.so ;;
	glibc) if [ "$SANITIZED" = 1 ]; then echo ""; else echo libc.so; fi ;;
	mimalloc) echo libmimalloc.so ;;
	tcmalloc) echo libtcmalloc_minimal.so ;;
	esac
}

KINDS="malloc calloc realloc free posix_memalign aligned_alloc memalign valloc pvalloc"
ALLOC_KINDS="malloc calloc posix_memalign aligned_alloc memalign valloc pvalloc"

# check_run LABEL DIR ALLOCATOR: the outputs every successful run writes.
# Returns 1 (after one FAIL line) on the first problem.
check_run() {
	local label=$1 dir=$2 a=$3 m v k n total
	if [ "$rc" -ne 0 ]; then
		fail "$label: $(status_text "$rc"): $(first_line "$TMP/err")"
		return 1
	fi
	if [ "$(wc -l <"$TMP/out")" -ne 1 ] || ! grep -q "^$a .*events/s" "$TMP/out"; then
		fail "$label: expected one summary line on stdout, got: $(first_line "$TMP/out")"
		return 1
	fi
	if [ "$(head -n 1 "$dir/results.csv" 2>/dev/null)" != \
	     "trace,policy,system,metric,value,unit,deterministic" ]; then
		fail "$label: results.csv missing or without its header"
		return 1
	fi
	if awk -F, -v a="$a" 'NR > 1 && ($2 != "native" || $3 != a) { bad = 1 } END { exit !bad }' \
		"$dir/results.csv"; then
		fail "$label: results.csv rows do not all say policy native, system $a"
		return 1
	fi
	for m in events_replayed events_per_s replay_ns_per_event wall_ns threads unknown_frees \
		 events_skipped.kernel events_skipped.not_malloc_family \
		 latency_ns_p50.malloc latency_ns_p90.malloc latency_ns_p99.malloc \
		 latency_ns_p999.malloc latency_ns_max.malloc latency_ns_mean.malloc \
		 latency_ns_p99.free count.malloc count.free rss_peak_bytes rss_maxrss_bytes \
		 rss_final_bytes live_bytes_final "$(stat_of "$a")"; do
		v=$(value "$dir" "$m")
		if ! is_number "$v"; then
			fail "$label: metric $m is '${v}', not a number"
			return 1
		fi
	done
	if ! grep -q ',hw_' "$dir/results.csv"; then
		fail "$label: no hardware counter rows"
		return 1
	fi
	# one .hgrm per call kind with calls, each complete
	for k in $KINDS; do
		n=$(value "$dir" "count.$k")
		if ! is_number "$n"; then
			fail "$label: count.$k is '$n'"
			return 1
		fi
		if [ "$n" -gt 0 ]; then
			if [ ! -f "$dir/latency/$k.hgrm" ]; then
				fail "$label: latency/$k.hgrm missing ($n calls)"
				return 1
			fi
			case $(tail -n 1 "$dir/latency/$k.hgrm") in
			"#[Buckets"*) ;;
			*) fail "$label: latency/$k.hgrm does not end with the #[Buckets footer"
			   return 1 ;;
			esac
		elif [ -e "$dir/latency/$k.hgrm" ]; then
			fail "$label: latency/$k.hgrm exists for a kind without calls"
			return 1
		fi
	done
	if ! python3 -m json.tool "$dir/summary.json" >/dev/null 2>"$TMP/json.err"; then
		fail "$label: summary.json does not parse: $(first_line "$TMP/json.err")"
		return 1
	fi
	v=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
a = d["allocator"]
print(d["command"], a["name"], a["version"] != "", a["library"], "hw_counters" in d,
      "options" in d, d["trace"]["events"])' "$dir/summary.json" 2>&1)
	case $v in
	"baseline $a True "*"$(library_of "$a")"*" True True "*) ;;
	*) fail "$label: summary.json does not name $a and its library: $v"; return 1 ;;
	esac
	return 0
}

# ------------------------------------------------------------------ a. generated traces
GEN=$TMP/gen
mkdir -p "$GEN"
for g in malloc1 malloc2; do
	run generate "$g" --seed 1 -o "$GEN/$g.mmt"
	if [ "$rc" -ne 0 ]; then
		fail "a: generate $g: $(status_text "$rc"): $(first_line "$TMP/err")"
		continue
	fi
	run info --format json "$GEN/$g.mmt"
	counts=$(python3 -c 'import json, sys
t = json.load(open(sys.argv[1]))["events_by_type"]
print(t["ALLOC"], t["FREE"], t["REALLOC"])' "$TMP/out" 2>/dev/null)
	read -r n_alloc n_free n_realloc <<<"$counts"
	if [ -z "${n_realloc:-}" ]; then
		fail "a: info --format json $g: no event counts"
		continue
	fi
	for a in $ALLOCATORS; do
		dir=$TMP/res/$g/$a
		run baseline --allocator "$a" "$GEN/$g.mmt" -o "$dir"
		check_run "a: $g on $a" "$dir" "$a" || continue
		total=0
		for k in $ALLOC_KINDS; do
			total=$((total + $(value "$dir" "count.$k")))
		done
		got="$total $(value "$dir" count.free) $(value "$dir" count.realloc)"
		if [ "$got" != "$n_alloc $n_free $n_realloc" ]; then
			fail "a: $g on $a: allocations, frees, reallocs replayed $got; info says" \
			     "$n_alloc $n_free $n_realloc"
			continue
		fi
		pass "a: $g on $a: $(value "$dir" events_replayed) calls," \
		     "$(value "$dir" replay_ns_per_event) ns/event, counts as info reports"
	done
done

# ------------------------------------------------------------------ b. text trace
cat >"$TMP/edge.txt" <<'EOF'
# mmbench trace text v1
@meta source text
1000 100/100 [0] ALLOC id=0 size=24 func=malloc
1100 100/100 [0] ALLOC id=1 size=4096 func=calloc
1200 100/101 [1] FREE id=0 func=free
1300 100/101 [1] FREE id=5 func=free
1400 100/100 [0] ALLOC id=0 size=100 func=realloc
1500 100/101 [1] REALLOC old_id=1 new_id=2 size=8000 func=realloc
1600 100/100 [0] ALLOC id=3 size=64 func=memalign align=64
1700 100/100 [0] ALLOC id=4 size=256 func=posix_memalign align=32
1800 100/101 [1] ALLOC id=5 size=512 func=aligned_alloc align=512
1900 100/100 [0] ALLOC id=6 size=100 func=valloc
2000 100/100 [0] ALLOC id=7 size=5000 func=pvalloc
2100 100/101 [1] ALLOC id=8 size=48 func=reallocarray
2200 100/101 [1] REALLOC old_id=8 new_id=8 size=96 func=reallocarray
2300 100/100 [0] FREE id=8 func=free
2400 100/100 [0] FREE id=2 func=realloc
2500 100/100 [0] ALLOC id=9 size=200 func=kmalloc gfp=0xcc0
2600 100/100 [0] FREE id=9 func=kfree
2700 100/101 [1] FREE id=3 func=free
2800 100/101 [1] FREE id=4 func=free
2900 100/101 [1] FREE id=0 func=free
3000 100/100 [0] FREE id=5 func=free
3100 100/100 [0] MARK name="end"
EOF
# calls per kind, in $KINDS order; realloc: ALLOC func=realloc/reallocarray and
# both REALLOCs; free: seven FREEs (realloc(p, 0) included), not the unknown one
EDGE_COUNTS="1 1 4 7 1 1 1 1 1"
run import text "$TMP/edge.txt" -o "$TMP/edge.mmt"
if [ "$rc" -ne 0 ]; then
	fail "b: import of the edge trace: $(status_text "$rc"): $(first_line "$TMP/err")"
else
	for a in $ALLOCATORS; do
		dir=$TMP/res/edge/$a
		run baseline --allocator "$a" "$TMP/edge.mmt" -o "$dir"
		check_run "b: edge trace on $a" "$dir" "$a" || continue
		got=
		for k in $KINDS; do
			got="$got $(value "$dir" "count.$k")"
		done
		fig="unknown_frees $(value "$dir" unknown_frees)"
		fig="$fig kernel $(value "$dir" events_skipped.kernel)"
		fig="$fig threads $(value "$dir" threads)"
		fig="$fig live $(value "$dir" live_bytes_final)"
		want="unknown_frees 1 kernel 2 threads 2 live 5100"
		cross=$(value "$dir" cross_thread_calls)
		if [ "$got" != " $EDGE_COUNTS" ]; then
			fail "b: edge trace on $a: counts per call${got}, expected $EDGE_COUNTS"
		elif [ "$fig" != "$want" ]; then
			fail "b: edge trace on $a: $fig, expected $want"
		elif ! is_number "$cross" || [ "$cross" -lt 4 ]; then
			fail "b: edge trace on $a: cross_thread_calls '$cross', expected >= 4"
		else
			pass "b: edge trace on $a: every entry point, unknown_frees 1," \
			     "$cross cross-thread frees/reallocs"
		fi
	done
fi

# ------------------------------------------------------------------ c. options
a=glibc
M2=$GEN/malloc2.mmt
M1=$GEN/malloc1.mmt
if [ -f "$M2" ] && [ -f "$M1" ]; then
	# default output directory: results/baseline/<trace name>/<allocator>
	mkdir -p "$TMP/cwd"
	(cd "$TMP/cwd" && timeout "$TIMEOUT" "$MMBENCH" baseline --allocator $a "$M1") \
		>"$TMP/out" 2>"$TMP/err"
	rc=$?
	if check_run "c: default -o" "$TMP/cwd/results/baseline/malloc1/$a" $a; then
		pass "c: without -o the results go to results/baseline/malloc1/$a"
	fi
	# --threads-max 1 folds malloc2's two threads onto one
	dir=$TMP/res/fold
	run baseline --allocator $a --threads-max 1 "$M2" -o "$dir"
	if check_run "c: --threads-max 1" "$dir" $a; then
		fig="$(value "$dir" threads) $(value "$dir" tids) $(value "$dir" tids_folded)"
		if [ "$fig" = "1 2 1" ] && grep -q folded "$TMP/err"; then
			pass "c: --threads-max 1: 2 traced threads on 1, the folding reported"
		else
			fail "c: --threads-max 1: threads, tids, folded = $fig; stderr: $(first_line "$TMP/err")"
		fi
	fi
	# --warmup: the first events are replayed but not recorded
	dir=$TMP/res/warm
	run baseline --allocator $a --warmup 1001 --touch=none "$M1" -o "$dir"
	if check_run "c: --warmup" "$dir" $a; then
		n=$(value "$dir" count.malloc)
		rec=$(awk '/Total count/ { gsub(/[],]/, ""); print $NF }' "$dir/latency/malloc.hgrm")
		if [ "$n" = 150000 ] && [ "$rec" = 149500 ]; then
			pass "c: --warmup 1001: 150000 mallocs replayed, 149500 recorded"
		else
			fail "c: --warmup 1001: count.malloc $n, recorded $rec (expected 150000, 149500)"
		fi
	fi
fi

# ------------------------------------------------------------------ d. malformed traces
shopt -s nullglob
nr_bad=0
bad_failed=0
for f in "$DATA"/bad/*.mmt; do
	name=${f##*/}
	want=$(awk -F '\t' -v f="$name" '$1 == f { print $2; exit }' "$DATA/bad/EXPECT")
	dir=$TMP/res/bad
	rm -rf "$dir"
	run baseline --allocator glibc "$f" -o "$dir"
	nr_bad=$((nr_bad + 1))
	msg=$(cat "$TMP/err")
	why=
	if [ "$rc" -ne 1 ]; then
		why="$(status_text "$rc"), expected 1: $(first_line "$TMP/err")"
	elif [ "$(wc -l <"$TMP/err")" -ne 1 ]; then
		why="expected one line on stderr: $(first_line "$TMP/err")"
	else
		case $msg in
		"mmbench: $f"*"byte offset"*"$want"*) ;;
		*) why="stderr lacks the file, 'byte offset' or '$want': $msg" ;;
		esac
	fi
	if [ -z "$why" ] && [ -e "$dir" ]; then
		why="wrote $dir"
	fi
	if [ -n "$why" ]; then
		bad_failed=$((bad_failed + 1))
		fail "d: $name: $why"
	fi
done
if [ "$nr_bad" -eq 0 ]; then
	fail "d: no malformed traces in $DATA/bad"
elif [ "$bad_failed" -eq 0 ]; then
	pass "d: all $nr_bad malformed traces exit 1 naming file, byte offset and reason; no results"
fi
# an event index for a fault inside the events
run baseline --allocator glibc "$DATA/bad/object-id-range.mmt" -o "$TMP/res/bad"
if [ "$rc" -eq 1 ] && grep -q "event [0-9]" "$TMP/err"; then
	pass "d: object-id-range.mmt: the message gives the event index"
else
	fail "d: object-id-range.mmt: no event index: $(first_line "$TMP/err")"
fi

# ------------------------------------------------------------------ e. usage
usage() {
	local label=$1
	shift
	run "$@"
	if [ "$rc" -eq 2 ] && [ -s "$TMP/err" ]; then
		pass "e: $label exits 2"
	else
		fail "e: $label: $(status_text "$rc"), expected exit 2 with a message: $(first_line "$TMP/err")"
	fi
}
T=${M1:-$DATA/bad/empty.mmt}
usage "no arguments" baseline
usage "no trace" baseline --allocator glibc
usage "no --allocator" baseline "$T"
usage "unknown allocator" baseline --allocator hoard "$T"
usage "unknown option" baseline --allocator glibc --frobnicate "$T"
usage "two traces" baseline --allocator glibc "$T" "$T"
usage "bad --touch" baseline --allocator glibc --touch=all "$T"
usage "bad --warmup" baseline --allocator glibc --warmup abc "$T"
usage "--threads-max 0" baseline --allocator glibc --threads-max 0 "$T"
usage "--threads-max too large" baseline --allocator glibc --threads-max 5000 "$T"
run baseline --help
if [ "$rc" -eq 0 ] && grep -q usage "$TMP/out"; then
	pass "e: baseline --help exits 0"
else
	fail "e: baseline --help: $(status_text "$rc")"
fi
if [ "$SANITIZED" = 1 ]; then
	run baseline --allocator jemalloc "$T" -o "$TMP/res/asan"
	if [ "$rc" -eq 1 ] && grep -q -i sanitizer "$TMP/err" && [ ! -e "$TMP/res/asan" ]; then
		pass "e: sanitizer build: --allocator jemalloc refused with exit 1"
	else
		fail "e: sanitizer build: --allocator jemalloc: $(status_text "$rc"): $(first_line "$TMP/err")"
	fi
fi

echo "baseline: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
