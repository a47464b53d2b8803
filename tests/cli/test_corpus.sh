#!/usr/bin/env bash
# tests/cli/test_corpus.sh - every bundled real trace (traces/corpus/*.mmt)
# through the whole tool, as issue 7's "done when" asks.
#
# usage: tests/cli/test_corpus.sh path/to/mmbench
#
# For each trace, one output line each, then "corpus: N passed, M failed":
#   a. `mmbench info` reads it and its MANIFEST.md row exists;
#   b. `mmbench replay --check=N` (N a quarter of the events, so every
#      checker runs four times and at the end) exits 0 with no replay error
#      of any kind;
#   c. the trace's real outcome gives `model_vs_real.*` rows: a predicted and
#      a real max RSS, both > 0;
#   d. `mmbench baseline --allocator A` exits 0 and replays every
#      malloc-family event `mmbench info` counts (ALLOC, FREE, REALLOC) but
#      the kernel's own (kmalloc, kmem_cache_*: skipped and counted), for
#      jemalloc in a normal build and glibc in a sanitizer build (ASan
#      replaces malloc there).
# Exits non-zero when any check failed.

set -u

# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
cli_init corpus 600 "$@"

ALLOCATOR=jemalloc
ldd "$MMBENCH" 2>/dev/null | grep -q libasan && ALLOCATOR=glibc
CORPUS=$ROOT/traces/corpus

# count TRACE TYPE: the events of TYPE that `mmbench info` lists (0 if none).
count() {
	"$MMBENCH" info "$1" | awk -v t="$2" '$1 == t { n = $2 } END { print n + 0 }'
}

nr=0
for t in "$CORPUS"/*.mmt; do
	name=$(basename "$t" .mmt)
	nr=$((nr + 1))

	run info "$t"
	events=$(awk '$1 == "events:" { print $2 }' "$TMP/out")
	if [ "$rc" -eq 0 ] && [ "${events:-0}" -gt 0 ] && grep -q "^| $name |" "$CORPUS/MANIFEST.md"; then
		pass "a: $name: info reads $events events; MANIFEST row present"
	else
		fail "a: $name: info exit $rc or no MANIFEST row: $(first_line "$TMP/err")"
		continue
	fi

	every=$((events / 4))
	[ "$every" -ge 1 ] || every=1
	run replay "$t" --check="$every" --no-timing -o "$TMP/r-$name"
	errs=$(awk -F, '$4 ~ /^replay_errors\./ { n += $5 } END { print n + 0 }' "$TMP/r-$name/results.csv" 2>/dev/null)
	if [ "$rc" -eq 0 ] && [ "$errs" = 0 ]; then
		pass "b: $name: replay --check=$every: every checker passed, no replay error"
	else
		fail "b: $name: replay: $(status_text "$rc"), $errs replay errors: $(first_line "$TMP/err")"
		continue
	fi

	pred=$(value "$TMP/r-$name" model_vs_real.max_rss_bytes.predicted)
	real=$(value "$TMP/r-$name" model_vs_real.max_rss_bytes.real)
	if [ "${pred:-0}" -gt 0 ] && [ "${real:-0}" -gt 0 ]; then
		pass "c: $name: max RSS predicted $pred bytes, real $real"
	else
		fail "c: $name: model_vs_real rows missing or zero (predicted '${pred:-}', real '${real:-}')"
	fi

	calls=0
	for ty in ALLOC FREE REALLOC; do
		calls=$((calls + $(count "$t" $ty)))
	done
	run baseline --allocator "$ALLOCATOR" "$t" -o "$TMP/b-$name"
	ops=$(awk -F, '$4 ~ /^count\./ { n += $5 } END { print n + 0 }' "$TMP/b-$name/results.csv" 2>/dev/null)
	replayed=$(value "$TMP/b-$name" events_replayed)
	kernel=$(value "$TMP/b-$name" events_skipped.kernel)
	if [ "$rc" -eq 0 ] && [ "$calls" -gt 0 ] && [ "$ops" = "${replayed:-x}" ] &&
	   [ $((ops + ${kernel:-0})) -eq "$calls" ]; then
		pass "d: $name: baseline $ALLOCATOR replays $ops calls; with ${kernel:-0} kernel-side ones, the $calls malloc-family events info counts"
	else
		fail "d: $name: baseline $ALLOCATOR: $(status_text "$rc"), $ops calls + ${kernel:-?} kernel vs $calls: $(first_line "$TMP/err")"
	fi
done
[ "$nr" -ge 8 ] || fail "the corpus has $nr traces, fewer than the 8 the MANIFEST promises"

echo "corpus: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
