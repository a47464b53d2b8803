#!/usr/bin/env bash
# tests/cli/test_replay.sh - command-line tests of `mmbench replay` and
# `mmbench policies`.
#
# usage: tests/cli/test_replay.sh path/to/mmbench
#
# Checks, one output line each, then "replay: N passed, M failed":
#   a. every generator's trace replays with --check and writes results.csv,
#      summary.json, timeseries.csv and modeled histograms; every process-side
#      event (mmap ... exit, faults and accesses) reaches the VM engine, as
#      many as `mmbench info` counts, with no replay error;
#   b. determinism: two replays give byte-identical deterministic rows,
#      modeled histograms and timeseries; linux-default and no-pcp differ in
#      the modeled rows where they should;
#   c. every malformed trace in tests/data/bad/ exits 1 naming the file and a
#      byte offset, and leaves no results.csv;
#   d. bad policies exit 1 naming file, line and key; usage errors exit 2;
#   e. --warmup, --dump and MARK dumps, --no-timing, policies --show.
set -u

# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
cli_init replay 60 "$@"
export MMBENCH_POLICIES=$ROOT/policies

# deterministic rows, modeled histograms and the timeseries of a results dir
det_digest() {
	{ grep ',true$' "$1/results.csv"; cat "$1"/modeled/*.hgrm "$1/timeseries.csv"; } | sha256sum
}

# ---------------------------------------------------------------- a. every generator
gens=$("$MMBENCH" generate --list | awk '{print $1}')
for g in $gens; do
	t=$TMP/$g.mmt
	"$MMBENCH" generate "$g" --seed 3 -o "$t" || { fail "a: generate $g"; continue; }
	run replay "$t" -o "$TMP/$g" --check=5000
	if [ "$rc" -ne 0 ]; then
		fail "a: replay $g --check: exit $rc: $(head -c 300 "$TMP/err")"
		continue
	fi
	d=$TMP/$g
	why=
	[ "$(head -n 1 "$d/results.csv")" = "trace,policy,system,metric,value,unit,deterministic" ] ||
		why="results.csv header"
	python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["policy"]["name"]=="linux-default"; assert s["trace"]["name"]==sys.argv[2]' \
		"$d/summary.json" "$g" 2>/dev/null || why="$why summary.json"
	[ "$(head -n 1 "$d/timeseries.csv")" = "event,ts_ns,scope,metric,order,migratetype,value" ] ||
		why="$why timeseries header"
	[ "$(value "$d" events)" = "$("$MMBENCH" info "$t" | awk '/^events:/ {print $2}')" ] ||
		why="$why events count"
	# every process-side event reaches the VM engine: its kind's count equals info's
	for type in MMAP MUNMAP MREMAP MPROTECT MADVISE BRK FORK EXEC EXIT; do
		n=$("$MMBENCH" info --format json "$t" | python3 -c "import json,sys; print(json.load(sys.stdin)['events_by_type'].get('$type',0))" 2>/dev/null)
		k=$(echo "$type" | tr 'A-Z' 'a-z')
		u=$(value "$d" "count.$k")
		[ "${n:-0}" = "${u:-0}" ] || why="$why count.$k ${u:-none} != $type $n"
	done
	n=$("$MMBENCH" info --format json "$t" | python3 -c "import json,sys; b=json.load(sys.stdin)['events_by_type']; print(b.get('FAULT',0) + b.get('ACCESS',0))")
	u=$(awk -F, '$4 ~ /^count\.(access|fault_.*)$/ {n += $5} END {print n + 0}' "$d/results.csv")
	[ "$n" = "$u" ] || why="$why faults+accesses $u != $n"
	errs=$(awk -F, '$4 ~ /^replay_errors\.(mmap|munmap|mremap|mprotect|madvise|brk|fork)/ {n += $5} END {print n + 0}' "$d/results.csv")
	[ "$errs" = 0 ] || why="$why $errs process-side replay errors"
	if grep -q ',page_alloc_o0,' "$d/results.csv" 2>/dev/null || [ -n "$(ls "$d/modeled" 2>/dev/null)" ]; then
		for h in "$d"/modeled/*.hgrm; do
			tail -n 1 "$h" | grep -q '^#\[Buckets' || why="$why $(basename "$h") footer"
		done
	fi
	if [ -z "$why" ]; then pass "a: $g replays with --check"; else fail "a: $g:$why"; fi
done

# every malloc-family and slab event reaches the engine: the count.<func>
# rows add up to ALLOC + FREE + REALLOC (no allocation fails on 16 GiB)
for g in malloc1 malloc2; do
	d=$TMP/$g
	want=$("$MMBENCH" info --format json "$TMP/$g.mmt" | python3 -c "import json,sys; b=json.load(sys.stdin)['events_by_type']; print(sum(b.get(k,0) for k in ('ALLOC','FREE','REALLOC')))")
	got=$(awk -F, '$4 ~ /^count\.(malloc|calloc|realloc|reallocarray|memalign|posix_memalign|aligned_alloc|valloc|pvalloc|free|kmalloc|kfree|krealloc|kmem_cache_alloc|kmem_cache_free)$/ {n += $5} END {print n + 0}' "$d/results.csv")
	if [ "$want" = "$got" ] && [ "$(value "$d" slab_bytes_requested)" -ge 0 ]; then
		pass "a: $g: all $want malloc-family events replayed through SLUB/vmalloc"
	else
		fail "a: $g: $got of $want malloc-family events replayed"
	fi
done

# the golden malloc trace: every function, a kmem_cache, no replay error
"$MMBENCH" import text "$DATA/golden-malloc.txt" -o "$TMP/golden.mmt"
run replay "$TMP/golden.mmt" -o "$TMP/golden" --check=1 --dump slabinfo,vmallocinfo
errs=$(awk -F, '$4 ~ /^replay_errors\./ {n += $5} END {print n + 0}' "$TMP/golden/results.csv" 2>/dev/null)
if [ "$rc" -eq 0 ] && [ "$errs" = 0 ] && [ "$(value "$TMP/golden" count.kmem_cache_alloc)" = 1 ] &&
   [ "$(value "$TMP/golden" count.cache_destroy)" = 1 ] && [ "$(value "$TMP/golden" count.pvalloc)" = 1 ] &&
   head -n 1 "$TMP/golden/dumps/end/slabinfo" | grep -q '^slabinfo - version: 2.1$' &&
   grep -q '^kmalloc-64 ' "$TMP/golden/dumps/end/slabinfo" &&
   [ -e "$TMP/golden/dumps/end/vmallocinfo" ]; then
	pass "a: golden-malloc replays with --check=1, no replay error, slabinfo dumps"
else
	fail "a: golden-malloc: exit $rc, $errs replay errors: $(head -c 300 "$TMP/err")"
fi

# object errors are counted with their event index, and the replay goes on
cat >"$TMP/objerr.txt" <<'TXT'
# mmbench trace text v1
100 1/1 [0] ALLOC id=0 size=32 func=malloc
200 1/1 [0] FREE id=1 func=free
300 1/1 [0] FREE id=0 func=free
400 1/1 [0] FREE id=0 func=free
500 1/1 [0] CACHE_CREATE cache=0 size=64 align=0 flags=0 name="c"
600 1/1 [0] ALLOC id=0 size=64 func=kmem_cache_alloc cache=0 gfp=0xcc0
700 1/1 [0] CACHE_DESTROY cache=0
800 1/1 [0] ALLOC id=1 size=64 func=kmem_cache_alloc cache=1 gfp=0xcc0
900 1/1 [0] FREE id=1 func=kmem_cache_free cache=1
TXT
"$MMBENCH" import text "$TMP/objerr.txt" -o "$TMP/objerr.mmt"
run replay "$TMP/objerr.mmt" -o "$TMP/objerr" --check=1
if [ "$rc" -eq 0 ] && [ "$(value "$TMP/objerr" replay_errors.free_unknown)" = 2 ] &&
   [ "$(value "$TMP/objerr" replay_errors.cache_destroy_busy)" = 1 ] &&
   [ "$(value "$TMP/objerr" slab_caches_on_demand)" = 1 ] &&
   grep -q 'event 1: object id 1 freed while not allocated' "$TMP/err" &&
   grep -q 'event 3: object id 0 freed while not allocated' "$TMP/err"; then
	pass "a: unknown and double frees, a busy cache destroy: counted with the event index, replay goes on"
else
	fail "a: object errors: exit $rc: $(head -c 400 "$TMP/err")"
fi

# ---------------------------------------------------------------- b. determinism
t=$TMP/frag.mmt
run replay "$t" -o "$TMP/det1"; r1=$rc
run replay "$t" -o "$TMP/det2" --no-timing; r2=$rc
if [ "$r1$r2" = "00" ] && [ "$(det_digest "$TMP/det1")" = "$(det_digest "$TMP/det2")" ]; then
	pass "b: two replays of frag give byte-identical deterministic results"
else
	fail "b: deterministic results differ between two replays (exit $r1 $r2)"
fi
if ! grep -q ',false$' "$TMP/det1/results.csv" || ! grep -q '^frag,linux-default,mmbench,latency_ns_p50' "$TMP/det1/results.csv"; then
	fail "b: measured rows missing or not marked deterministic=false"
else
	pass "b: measured latency rows are marked deterministic=false"
fi
run replay "$t" -o "$TMP/nopcp" --policy no-pcp
if [ "$rc" -eq 0 ] && [ "$(value "$TMP/nopcp" work.pcp_lock)" = 0 ] &&
   [ "$(value "$TMP/det1" work.pcp_lock)" != 0 ] &&
   [ "$(value "$TMP/nopcp" modeled_ns_p50.page_alloc_o0)" != "$(value "$TMP/det1" modeled_ns_p50.page_alloc_o0)" ] &&
   [ "$(value "$TMP/nopcp" count.page_alloc_o0)" = "$(value "$TMP/det1" count.page_alloc_o0)" ]; then
	pass "b: no-pcp takes no pcp lock and models order-0 allocations differently"
else
	fail "b: no-pcp vs linux-default: pcp_lock $(value "$TMP/nopcp" work.pcp_lock) vs $(value "$TMP/det1" work.pcp_lock)"
fi

# ---------------------------------------------------------------- c. malformed traces
while IFS=$'\t' read -r f want _; do
	[ -f "$DATA/bad/$f" ] || continue
	run replay "$DATA/bad/$f" -o "$TMP/bad"
	msg=$(grep -v "replay goes on" "$TMP/err" | head -n 1)
	if [ "$rc" -eq 1 ] && [[ $msg == *"$DATA/bad/$f"* ]] && [[ $msg == *"byte offset"* ]] &&
	   [[ $msg == *"$want"* ]] && [ ! -e "$TMP/bad/results.csv" ] && [ ! -e "$TMP/bad/timeseries.csv" ]; then
		pass "c: $f: exit 1, $want"
	else
		fail "c: $f: exit $rc: $msg"
	fi
done <"$DATA/bad/EXPECT"

# ---------------------------------------------------------------- d. policies and usage
bad_policy() {
	local text=$1 want=$2
	printf '%b' "$text" >"$TMP/bad.ini"
	run replay "$t" --policy "$TMP/bad.ini" -o "$TMP/bp"
	if [ "$rc" -eq 1 ] && grep -qF "$TMP/bad.ini:$want" "$TMP/err"; then
		pass "d: bad policy: $want"
	else
		fail "d: bad policy '$text': exit $rc: $(head -c 300 "$TMP/err")"
	fi
}
bad_policy 'include = linux-default\n[pcp]\nhihg = 3\n' '3: [pcp] hihg: unknown key'
bad_policy '[buddy]\nmax_order = 99\n' '2: [buddy] max_order: 99 is out of range'
bad_policy '[machine]\ncpus = four\n' "2: [machine] cpus: 'four' is not an integer"
bad_policy '[nonsense]\nx = 1\n' '2: [nonsense] x: unknown section'
run replay "$t" --policy no-such-policy -o "$TMP/bp"
if [ "$rc" -eq 1 ] && grep -q 'no-such-policy.ini' "$TMP/err"; then pass "d: unknown policy name exits 1"; else fail "d: unknown policy: exit $rc"; fi
for args in "" "$t $t" "$t --check=0" "$t --warmup x" "$t --touch=some" "$t --dump bogus" "$t --bogus"; do
	# shellcheck disable=SC2086
	run replay $args
	if [ "$rc" -eq 2 ]; then pass "d: usage error exits 2: replay $args"; else fail "d: replay $args: exit $rc"; fi
done

# ---------------------------------------------------------------- e. options
run replay "$t" -o "$TMP/warm" --warmup 100000 --no-timing
all=$(value "$TMP/det1" events_measured); warm=$(value "$TMP/warm" events_measured)
if [ "$rc" -eq 0 ] && [ "$warm" -lt "$all" ] && [ ! -d "$TMP/warm/latency" ] &&
   [ "$(value "$TMP/warm" timing_overhead_ns)" = NA ]; then
	pass "e: --warmup excludes events ($warm of $all measured), --no-timing writes no latency/"
else
	fail "e: --warmup/--no-timing: exit $rc, measured $warm of $all"
fi
# one clock reading per event, fresh readings after samples, checks and dumps:
# every measured event is in latency/ exactly as often as in modeled/
run replay "$t" -o "$TMP/tim" --sample-every 997 --check=20011 --dump extfrag
hcount() { sed -n 's/.*Total count *= *\([0-9]*\)\].*/\1/p' "$1"; }
bad=""
for h in "$TMP/tim"/modeled/*.hgrm; do
	k=$(basename "$h")
	[ "$(hcount "$h")" = "$(hcount "$TMP/tim/latency/$k" 2>/dev/null)" ] || bad="$bad $k"
done
ovh=$(value "$TMP/tim" timing_overhead_ns)
if [ "$rc" -eq 0 ] && [ -z "$bad" ] && ls "$TMP/tim"/modeled/*.hgrm >/dev/null 2>&1 &&
   awk -v v="$ovh" 'BEGIN { exit !(v + 0 > 0 && v + 0 < 1000) }' &&
   [ "$(cat "$TMP/tim"/modeled/*.hgrm | sha256sum)" = "$(cat "$TMP/det1"/modeled/*.hgrm | sha256sum)" ]; then
	pass "e: timing: every measured event recorded once per kind, timing_overhead_ns $ovh, modeled histograms unchanged"
else
	fail "e: timing: exit $rc, kinds whose counts differ:$bad, timing_overhead_ns '$ovh'"
fi
run replay "$t" -o "$TMP/dump" --dump buddyinfo,pagetypeinfo,zoneinfo,extfrag --sample-every 50000
marks=$("$MMBENCH" info "$t" | awk '/^ *MARK/ {print $2}')
n=$(ls "$TMP/dump/dumps" | grep -c '^mark-')
if [ "$rc" -eq 0 ] && [ -s "$TMP/dump/dumps/end/buddyinfo" ] && [ -s "$TMP/dump/dumps/end/zoneinfo" ] &&
   [ -s "$TMP/dump/dumps/end/unusable_index" ] && grep -q '^Node 0, zone   Normal' "$TMP/dump/dumps/end/buddyinfo" &&
   [ "$n" -ge 1 ]; then
	pass "e: --dump writes kernel-format dumps at the end and at $n MARK events"
else
	fail "e: --dump: exit $rc, $n mark dumps: $(ls "$TMP/dump/dumps" 2>&1 | head -3)"
fi
samples=$(awk -F, 'NR > 1 {print $1}' "$TMP/dump/timeseries.csv" | sort -un | wc -l)
events=$(value "$TMP/dump" events)
if [ "$samples" -eq $((events / 50000 + 1 + (events % 50000 != 0))) ]; then
	pass "e: --sample-every 50000 gives $samples samples (start, every 50000, end)"
else
	fail "e: $samples samples for $events events"
fi
# the process side: maps dumps, SIGSEGV counted, touch events, the VM policies
cat >"$TMP/vm.txt" <<'TXT'
# mmbench trace text v1
100 7/7 [0] MMAP len=16384 prot=rw- flags=private|anonymous result=0x7f0000000000
200 7/7 [0] ACCESS addr=0x7f0000000000 flags=write|user|touch
300 7/7 [0] ACCESS addr=0x7f0000001000 flags=write|user|touch
400 7/7 [0] MPROTECT addr=0x7f0000000000 len=4096 prot=r--
500 7/7 [0] FAULT addr=0x7f0000000010 flags=write|user|prot
600 7/7 [0] MARK name="live"
TXT
"$MMBENCH" import text "$TMP/vm.txt" -o "$TMP/vm.mmt"
run replay "$TMP/vm.mmt" -o "$TMP/vm" --check=1 --dump maps --touch=alloc
if [ "$rc" -eq 0 ] && grep -qx '== pid 7 ==' "$TMP/vm/dumps/mark-5-live/maps" &&
   grep -q '^7f0000000000-7f0000001000 r--p 00000000 00:00 0 *$' "$TMP/vm/dumps/mark-5-live/maps" &&
   grep -q '^7f0000001000-7f0000004000 rw-p 00000000 00:00 0 *$' "$TMP/vm/dumps/mark-5-live/maps" &&
   [ "$(value "$TMP/vm" count.fault_sigsegv)" = 1 ] && [ "$(value "$TMP/vm" count.fault_anon)" = 2 ] &&
   [ "$(value "$TMP/vm" vm.rss_pages_end)" = 2 ]; then
	pass "e: --dump maps in /proc/PID/maps form; a write to a read-only page is a counted SIGSEGV"
else
	fail "e: maps/sigsegv: exit $rc: $(head -c 300 "$TMP/err"; cat "$TMP/vm/dumps/mark-5-live/maps" 2>/dev/null)"
fi
run replay "$TMP/vm.mmt" -o "$TMP/vm-none"
if [ "$rc" -eq 0 ] && [ "$(value "$TMP/vm-none" vm.touch_skipped)" = 2 ] &&
   [ "$(value "$TMP/vm-none" count.fault_anon)" = "" ] && [ "$(value "$TMP/vm" vm.touch_skipped)" = 0 ]; then
	pass "e: --touch=alloc replays the recorder's touch accesses; by default a trace with FAULT events skips them"
else
	fail "e: --touch: exit $rc"
fi
pf=$TMP/page_fault1.mmt
run replay "$pf" -o "$TMP/pf-def" --no-timing
run replay "$pf" -o "$TMP/pf-thp" --no-timing --policy thp-always --check=100000; rc_thp=$rc
run replay "$pf" -o "$TMP/pf-5l" --no-timing --policy 5-level --check=100000; rc_5l=$rc
run replay "$pf" -o "$TMP/pf-stlb" --no-timing --policy small-tlb; rc_st=$rc
if [ "$rc_thp" -eq 0 ] && [ "$rc_5l" -eq 0 ] && [ "$rc_st" -eq 0 ] &&
   [ "$(value "$TMP/pf-thp" vm.faults.thp)" -gt 0 ] && [ "$(value "$TMP/pf-def" vm.faults.thp)" = 0 ] &&
   [ "$(value "$TMP/pf-5l" vm.pgtable_alloc)" -gt "$(value "$TMP/pf-def" vm.pgtable_alloc)" ] &&
   [ "$(value "$TMP/pf-stlb" work.pwalk_ref)" -ge "$(value "$TMP/pf-def" work.pwalk_ref)" ]; then
	pass "e: thp-always takes THP faults, 5-level allocates more table pages, small-tlb walks more"
else
	fail "e: VM policies: exit $rc_thp/$rc_5l/$rc_st"
fi
run replay "$TMP/mmap1.mmt" -o "$TMP/mm-eng" --no-timing --policy placement-engine --check=20000
errs=$(awk -F, '$4 ~ /^replay_errors\./ {n += $5} END {print n + 0}' "$TMP/mm-eng/results.csv" 2>/dev/null)
if [ "$rc" -eq 0 ] && [ "$errs" = 0 ] && [ "$(value "$TMP/mm-eng" count.mmap)" = "$(value "$TMP/mmap1" count.mmap)" ]; then
	pass "e: placement-engine places and translates every mapping of mmap1 without a replay error"
else
	fail "e: placement-engine: exit $rc, $errs replay errors: $(head -c 300 "$TMP/err")"
fi
run policies
if [ "$rc" -eq 0 ] && grep -q '^linux-default ' "$TMP/out" && grep -q '^no-pcp ' "$TMP/out"; then
	pass "e: policies lists linux-default and no-pcp"
else
	fail "e: policies: exit $rc"
fi
run policies --show no-pcp
cp "$TMP/out" "$TMP/shown.ini"
run policies --show "$TMP/shown.ini"
if [ "$rc" -eq 0 ] && grep -q '^enabled = false' "$TMP/out" && diff <(tail -n +2 "$TMP/out") <(tail -n +2 "$TMP/shown.ini") >/dev/null; then
	pass "e: policies --show prints every value, and its output loads back the same"
else
	fail "e: policies --show: exit $rc"
fi

echo "replay: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
