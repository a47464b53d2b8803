#!/usr/bin/env bash
# workloads/bench-record-overhead.sh - wall-clock overhead of `mmbench record`
# on a malloc-heavy real program: python3 building and serializing a large
# JSON structure.
#
# usage: workloads/bench-record-overhead.sh [path/to/mmbench] [RUNS]
#        (defaults: build/mmbench, 7 runs)
#
# For each variant - python3 as it is (small objects come from pymalloc's
# arenas, so malloc sees few calls) and PYTHONMALLOC=malloc (every object is
# a malloc/free: the recorder's worst case) - it alternates RUNS times:
#   plain    the program alone
#   preload  the program under the recorder exactly as `mmbench record` runs
#            it (LD_PRELOAD + MMBENCH_RECORD_DIR), without the finalize step
#   record   the whole `mmbench record -o T -- ...`, finalize included
# and prints the median wall time of each and the medians of the per-run
# ratios preload/plain and record/plain, of wall time and of CPU time
# (user+sys, from /usr/bin/time).  On a shared, loaded machine the wall
# ratios swing with the load; the CPU ratios are the steadier figure.
set -u

MMBENCH=${1:-build/mmbench}
RUNS=${2:-7}
BUILD=$(cd "$(dirname "$MMBENCH")" && pwd)
LIB=$BUILD/libmmbench-record.so
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
SCRIPT='import json; json.dumps([{"k": str(i), "v": [i]*5} for i in range(300000)])'
for f in "$MMBENCH" "$LIB"; do
	[ -e "$f" ] || { echo "bench-record-overhead: $f is missing (make all)" >&2; exit 2; }
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mmbench-overhead.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT

# timed FILE CMD...: run CMD, append "wall_ms cpu_ms" (cpu = user + sys) to FILE
timed() {
	local file=$1
	shift
	/usr/bin/time -f "%e %U %S" -o "$TMP/time" "$@" || exit 1
	awk '{ printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000 }' "$TMP/time" >>"$file"
}

# median of the numbers on stdin
median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# ratios COL A B: median over runs of A[col] / B[col]
ratios() {
	paste -d' ' "$TMP/$2" "$TMP/$3" | awk -v c="$1" '{ printf "%.2f\n", $(c) / $(c + 2) }' | median
}

bench() {
	local label=$1
	rm -f "$TMP/plain" "$TMP/preload" "$TMP/record"
	for ((i = 0; i < RUNS; i++)); do
		timed "$TMP/plain" "$PY" -c "$SCRIPT"
		rm -rf "$TMP/dir" && mkdir "$TMP/dir"
		MMBENCH_RECORD_DIR=$TMP/dir LD_PRELOAD=$LIB timed "$TMP/preload" "$PY" -c "$SCRIPT"
		timed "$TMP/record" "$MMBENCH" record -o "$TMP/t.mmt" -- "$PY" -c "$SCRIPT" 2>"$TMP/summary"
	done
	printf "%-20s %6s %6s %6s  %5sx %5sx  %5sx %5sx  %s\n" "$label" \
		"$(cut -d' ' -f1 "$TMP/plain" | median)" "$(cut -d' ' -f1 "$TMP/preload" | median)" \
		"$(cut -d' ' -f1 "$TMP/record" | median)" \
		"$(ratios 1 preload plain)" "$(ratios 1 record plain)" \
		"$(ratios 2 preload plain)" "$(ratios 2 record plain)" \
		"$(sed 's/ -> .*//; s/^mmbench record: //' "$TMP/summary")"
}

echo "python3 -c '$SCRIPT', $RUNS runs, medians"
echo "wall ms: plain, preload, record; wall ratio and CPU (user+sys) ratio: preload/plain, record/plain"
printf "%-20s %6s %6s %6s  %6s %6s  %6s %6s  %s\n" variant plain preld record wall-p wall-r cpu-p cpu-r trace
bench "python3 (pymalloc)"
PYTHONMALLOC=malloc bench "PYTHONMALLOC=malloc"
