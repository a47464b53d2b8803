#!/usr/bin/env bash
# bench/run-suite.sh MMBENCH RESULTS_DIR: the default suite, as far as it is
# built.  Generate every synthetic trace (seed 1, scale 1); replay each through
# the engine under linux-default and no-pcp; replay the malloc-family traces
# natively on jemalloc, glibc, mimalloc and tcmalloc; merge every cell's
# results.csv into RESULTS_DIR/results.csv and print a short table.
# Not built yet: the recorded corpus (generated traces stand in), suites as
# files, `mmbench compare` and the HTML report.
set -euo pipefail
mmbench=$1
out=$2
policies="linux-default no-pcp"
allocators="jemalloc glibc mimalloc tcmalloc"
mkdir -p "$out/traces" "$out/info" "$out/replay" "$out/baseline"

merged="$out/results.csv"
echo "trace,policy,system,metric,value,unit,deterministic" > "$merged"
value() { awk -F, -v m="$2" '$4 == m { print $5; exit }' "$1/results.csv"; }

printf '%-12s %9s %-14s %11s %13s %s\n' trace events system "M events/s" "ns/event" "unmodeled"
for name in $("$mmbench" generate --list | awk '{print $1}'); do
	t="$out/traces/$name.mmt"
	"$mmbench" generate "$name" --seed 1 -o "$t"
	"$mmbench" info --format json "$t" > "$out/info/$name.json"
	events=$("$mmbench" info "$t" | awk '/^events:/ {print $2}')
	for p in $policies; do
		d="$out/replay/$name/$p"
		"$mmbench" replay "$t" --policy "$p" -o "$d" --quiet 2>/dev/null
		tail -n +2 "$d/results.csv" >> "$merged"
		printf '%-12s %9s %-14s %11.1f %13.1f %s\n' "$name" "$events" "mmbench/$p" \
			"$(awk -v v="$(value "$d" events_per_s)" 'BEGIN { print v / 1e6 }')" \
			"$(value "$d" replay_ns_per_event)" "$(value "$d" events_unmodeled)"
	done
	case $name in malloc*) ;; *) continue ;; esac
	for a in $allocators; do
		d="$out/baseline/$name/$a"
		mkdir -p "$out/baseline/$name"
		if ! "$mmbench" baseline --allocator "$a" "$t" -o "$d" >/dev/null 2>"$d.err"; then
			echo "suite: baseline $a on $name failed: $(head -n 1 "$d.err")" >&2
			continue
		fi
		rm -f "$d.err"
		tail -n +2 "$d/results.csv" >> "$merged"
		printf '%-12s %9s %-14s %11.1f %13.1f\n' "$name" "$events" "$a" \
			"$(awk -v v="$(value "$d" events_per_s)" 'BEGIN { print v / 1e6 }')" \
			"$(value "$d" replay_ns_per_event)"
	done
done
echo
echo "suite: $(($(wc -l < "$merged") - 1)) result rows in $merged"
echo "suite: per cell: $out/replay/TRACE/POLICY/ and $out/baseline/TRACE/ALLOCATOR/"
echo "       (results.csv, latency/ and modeled/ *.hgrm, timeseries.csv, summary.json)"
echo "suite: not built yet: the recorded corpus, comparison and the HTML report"
