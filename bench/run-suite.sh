#!/usr/bin/env bash
# bench/run-suite.sh MMBENCH RESULTS_DIR: the default suite, as far as it is
# built.  Today: generate every synthetic trace (seed 1, scale 1), summarize
# each with `mmbench info`, and tabulate size and bytes per event.  Replay,
# the real-allocator baselines and the HTML report are not built yet.
set -euo pipefail
mmbench=$1
out=$2
mkdir -p "$out/traces" "$out/info"

csv="$out/traces.csv"
echo "trace,events,bytes,bytes_per_event" > "$csv"
printf '%-12s %10s %10s %8s\n' trace events bytes B/event
for name in $("$mmbench" generate --list | awk '{print $1}'); do
	t="$out/traces/$name.mmt"
	"$mmbench" generate "$name" --seed 1 -o "$t"
	"$mmbench" info --format json "$t" > "$out/info/$name.json"
	events=$("$mmbench" info "$t" | awk '/^events:/ {print $2}')
	bytes=$(stat -c %s "$t")
	bpe=$(awk -v b="$bytes" -v e="$events" 'BEGIN { printf "%.2f", e ? b / e : 0 }')
	echo "$name,$events,$bytes,$bpe" >> "$csv"
	printf '%-12s %10s %10s %8s\n' "$name" "$events" "$bytes" "$bpe"
done
echo
echo "suite: traces in $out/traces/, summaries in $out/info/, table in $csv"
echo "suite: not built yet: replay through the engine, latency histograms,"
echo "       real-allocator baselines and the HTML report (they come with the"
echo "       engine, replay and report work); no index.html is written."
