#!/usr/bin/env bash
# tests/cli/test_report.sh - command-line tests of `mmbench report`.
#
# usage: tests/cli/test_report.sh path/to/mmbench
#
# Checks, one output line each, then "report: N passed, M failed":
#   a. a report over two replay directories and one baseline directory, given
#      as one parent and as three directories: index.html exists, has every
#      section, the data block, uPlot and no network reference;
#   b. strings from a trace (its file name, its command line) and from
#      compare.csv are HTML-escaped: no '<script' or '<img' from them;
#   c. malformed inputs exit 1 naming the file and line: a short row, a bad
#      value, a bad header, an unterminated quote, bad summary.json, a bad
#      .hgrm row, a bad timeseries row; a directory with no results exits 1;
#      usage errors exit 2;
#   d. a report over a real `mmbench suite quick` output: one entry per cell
#      (5 cells of 5 repetitions, from the suite's summary.json too), measured
#      figures the median of the repetitions ("median of 5", the value checked
#      against the repetitions' results.csv), latency captions naming the
#      first repetition; one cell alone; a repetition of another cell exits 1.
set -u

# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
cli_init report 60 "$@"
export MMBENCH_POLICIES=$ROOT/policies

sections=("Run context" "Per-trace summary" "Latency percentiles" "Fragmentation over time"
	"Free pages per order" "Hardware counters" "Model versus reality" "Policy comparison"
	"Microbenchmarks")

"$MMBENCH" generate malloc1 --seed 2 --scale 1 -o "$TMP/m1.mmt" || fail "generate"
in=$TMP/in
"$MMBENCH" replay "$TMP/m1.mmt" -o "$in/replay/m1/linux-default" >/dev/null 2>&1 || fail "replay"
"$MMBENCH" replay "$TMP/m1.mmt" --policy no-pcp -o "$in/replay/m1/no-pcp" >/dev/null 2>&1 ||
	fail "replay no-pcp"
"$MMBENCH" baseline --allocator glibc "$TMP/m1.mmt" -o "$in/baseline/m1/glibc" >/dev/null 2>&1 ||
	fail "baseline"

# ---------------------------------------------------------------- a. a report
check_report() {	# check_report WHAT DIR
	local why= s
	[ -s "$2/index.html" ] || why="no index.html"
	for s in "${sections[@]}"; do
		grep -q "<h2>$s</h2>" "$2/index.html" 2>/dev/null || why="$why no section '$s'"
	done
	grep -q '<script type="application/json" id="report-data">{' "$2/index.html" || why="$why no data block"
	grep -q 'uPlot' "$2/index.html" || why="$why no uPlot"
	grep -Eq '(src|href)="(https?:)?//' "$2/index.html" && why="$why refers to the network"
	grep -q 'mmbench/no-pcp' "$2/index.html" || why="$why no no-pcp row"
	grep -q '<td>glibc</td>' "$2/index.html" || why="$why no glibc row"
	grep -q '<td>pcp.enabled</td><td>true</td><td>false</td>' "$2/index.html" ||
		why="$why no-pcp's difference from linux-default missing"
	if [ -z "$why" ]; then pass "a: $1"; else fail "a: $1:$why"; fi
}
run report -o "$TMP/out1" "$in"
if [ "$rc" -eq 0 ] && grep -q '3 results directories' "$TMP/out"; then
	check_report "report over one parent directory finds 3 results directories" "$TMP/out1"
else
	fail "a: report over a parent: $(status_text "$rc"): $(first_line "$TMP/err") $(first_line "$TMP/out")"
fi
run report -o "$TMP/out2" "$in/replay/m1/linux-default" "$in/replay/m1/no-pcp" "$in/baseline/m1/glibc" "$in/replay"
if [ "$rc" -eq 0 ] && grep -q '3 results directories' "$TMP/out"; then
	check_report "three directories (and an overlapping parent) give 3 results directories" "$TMP/out2"
else
	fail "a: report over three dirs: $(status_text "$rc"): $(first_line "$TMP/err") $(first_line "$TMP/out")"
fi

# a suite's merged top-level table (rows of several cells) is skipped: its cells count once
cp "$in/replay/m1/linux-default/summary.json" "$in/summary.json"
{ cat "$in/replay/m1/linux-default/results.csv"; tail -n +2 "$in/replay/m1/no-pcp/results.csv"; } >"$in/results.csv"
run report -o "$TMP/out4" "$in"
if [ "$rc" -eq 0 ] && grep -q '3 results directories' "$TMP/out"; then
	pass "a: a merged results.csv beside the cells is not counted again"
else
	fail "a: merged dir: $(status_text "$rc"): $(first_line "$TMP/err") $(first_line "$TMP/out")"
fi
rm -f "$in/summary.json" "$in/results.csv"

# ---------------------------------------------------------------- b. escaping
evil='x<img src=x onerror=alert(3)>'
{
	echo '# mmbench trace text v1'
	echo '@meta source text'
	echo '@meta cmdline ./app "</script><script>alert(1)</script>"'
	sed -n '4,$p' "$DATA/golden-malloc.txt"
} >"$TMP/evil.txt"
"$MMBENCH" import text "$TMP/evil.txt" -o "$TMP/$evil.mmt" &&
	"$MMBENCH" replay "$TMP/$evil.mmt" -o "$TMP/evilin/r" >/dev/null 2>&1 || fail "b: evil replay"
printf '%s\n' 'trace,system,metric,unit,deterministic,base_policy,other_policy,base_value,other_value,delta,delta_pct,n_base,n_other,p_value,significant' \
	'"<script>alert(4)</script>",mmbench,events_per_s,events/s,false,linux-default,no-pcp,1,2,1,100,5,5,0.01,true' \
	>"$TMP/evilin/compare.csv"
run report -o "$TMP/out3" "$TMP/evilin"
h=$TMP/out3/index.html
if [ "$rc" -ne 0 ]; then
	fail "b: report on the evil trace: $(status_text "$rc"): $(first_line "$TMP/err")"
elif [ "$(grep -o '<script' "$h" | wc -l)" -ne 3 ] || grep -q '<img' "$h" || grep -q 'alert(1)</script>' "$h"; then
	fail "b: trace strings reach the HTML unescaped: $(grep -o '.\{20\}<\(script\|img\).\{20\}' "$h" | head -3)"
elif grep -q '&lt;img src=x onerror=alert(3)&gt;' "$h" && grep -q '&lt;/script&gt;&lt;script&gt;alert(1)' "$h" &&
	grep -q '&lt;script&gt;alert(4)&lt;/script&gt;' "$h" && grep -q '\\u003cimg src=x' "$h"; then
	pass "b: trace name, command line and compare.csv strings are escaped (HTML and JSON)"
else
	fail "b: escaped strings not found in the report"
fi

# ---------------------------------------------------------------- c. malformed input
bad() {	# bad WHAT FILE-IN-DIR EXPECT-REGEX: copy a good dir, damage it, expect exit 1
	local what=$1 file=$2 re=$3
	run report -o "$TMP/outbad" "$TMP/bad"
	if [ "$rc" -eq 1 ] && grep -Eq "$re" "$TMP/err"; then
		pass "c: $what: exit 1: $(first_line "$TMP/err" | sed "s|$TMP/||g")"
	else
		fail "c: $what: $(status_text "$rc"), stderr: $(first_line "$TMP/err")"
	fi
	rm -rf "$TMP/bad"
}
fresh() { rm -rf "$TMP/bad"; cp -r "$in/replay/m1/linux-default" "$TMP/bad"; }

fresh; sed -i '5s/.*/m1,linux-default,mmbench,events/' "$TMP/bad/results.csv"
bad "a short results.csv row" results.csv 'bad/results\.csv:5: 4 fields, expected 7 \(byte [0-9]+\)'
fresh; sed -i '3s/,[0-9]*,events,true$/,12abc,events,true/' "$TMP/bad/results.csv"
bad "a value that is not a number" results.csv 'bad/results\.csv:3: value "12abc"'
fresh; sed -i '1s/.*/trace,policy,system,metric,value/' "$TMP/bad/results.csv"
bad "a wrong results.csv header" results.csv 'bad/results\.csv:1: header is not'
fresh; echo 'm1,linux-default,mmbench,"oops,1,x,true' >>"$TMP/bad/results.csv"
bad "an unterminated quote" results.csv 'bad/results\.csv:[0-9]+: unterminated quoted field \(byte [0-9]+\)'
fresh; printf '{"machine": {,}\n' >"$TMP/bad/summary.json"
bad "a malformed summary.json" summary.json 'bad/summary\.json:1: '
fresh; sed -i '5s/.*/     12.000  zero   4  1.2/' "$TMP/bad/modeled/malloc.hgrm"
bad "a bad .hgrm row" malloc.hgrm 'bad/modeled/malloc\.hgrm:5: not an HdrHistogram percentile row'
fresh; sed -i '7s/.*/0,0,node0\/DMA,free_blocks,x,,1/' "$TMP/bad/timeseries.csv"
bad "a bad timeseries order" timeseries.csv 'bad/timeseries\.csv:7: bad event, ts_ns or order field'
fresh; printf 'trace,metric\nm1\n' >"$TMP/bad/compare.csv"
bad "a short compare.csv row" compare.csv 'bad/compare\.csv:2: 1 fields, the header has 2'
mkdir -p "$TMP/empty"
run report -o "$TMP/outbad" "$TMP/empty"
if [ "$rc" -eq 1 ] && grep -q 'no results directory' "$TMP/err"; then
	pass "c: a directory without results exits 1"
else
	fail "c: empty directory: $(status_text "$rc"): $(first_line "$TMP/err")"
fi
run report -o "$TMP/outbad" "$TMP/nonexistent"
if [ "$rc" -eq 1 ] && grep -q 'nonexistent: No such file' "$TMP/err"; then pass "c: a missing directory exits 1"; else fail "c: missing dir: $(status_text "$rc")"; fi
run report "$in"
if [ "$rc" -eq 2 ]; then pass "c: no -o is a usage error"; else fail "c: no -o: $(status_text "$rc")"; fi
run report -o "$TMP/x"
if [ "$rc" -eq 2 ]; then pass "c: no directory is a usage error"; else fail "c: no dir: $(status_text "$rc")"; fi

# ---------------------------------------------------------------- d. a suite
su=$TMP/suite
if ! timeout 120 "$MMBENCH" suite -j 2 -o "$su" quick >"$TMP/suite.out" 2>&1; then
	fail "d: mmbench suite quick: $(tail -n 1 "$TMP/suite.out")"
else
	run report -o "$TMP/outs" "$su"
	h=$TMP/outs/index.html
	cells=$(grep -o '<p class="counts">[^<:]*' "$h" 2>/dev/null | sed 's/.*>//')
	if [ "$rc" -eq 0 ] && grep -q '^report: 5 cells (25 results directories)' "$TMP/out" &&
		[ "$cells" = "5 cells, 5 repetitions (25 runs)" ]; then
		pass "d: a quick suite's report has 5 cells of 5 repetitions ($cells)"
	else
		fail "d: suite report: $(status_text "$rc"): $(first_line "$TMP/err") $(first_line "$TMP/out") counts '$cells'"
	fi
	# the summary table's events/s of malloc1 under linux-default: the median of the 5 runs
	want=$(cat "$su"/replay/malloc1/linux-default/rep*/results.csv | awk -F, '$4 == "events_per_s" { print $5 / 1e6 }' |
		sort -g | sed -n 3p)
	got=$(grep -o '<tr><td>mmbench</td><td>linux-default</td><td class="num">300003</td><td class="num">[^<]* <span class="reps">(median of 5)' "$h" |
		head -n 1 | sed 's/.*<td class="num">\([^ <]*\) <span.*/\1/')
	if [ -n "$got" ] && awk -v a="$got" -v b="$want" 'BEGIN { exit !(a / b > 0.9995 && a / b < 1.0005) }'; then
		pass "d: malloc1 linux-default M events/s $got is the median of its 5 repetitions ($want)"
	else
		fail "d: median events/s: report '$got', repetitions' median '$want'"
	fi
	if grep -q "measured curves: the first of each cell&#39;s 5 repetitions" "$h" &&
		grep -q 'measured (repetition 1 of 5)' "$h" &&
		grep -q '<p class="note">Suite quick (two small generator traces' "$h" &&
		[ "$(grep -c '<td>mmbench/no-pcp</td><td class="num">5</td><td>replay</td>' "$h")" -eq 2 ]; then
		pass "d: latency plots say they show the first repetition; run context names the suite and 5 repetitions per cell"
	else
		fail "d: suite report lacks the first-repetition caption, the suite line or the per-cell repetitions"
	fi
	if grep -q '"command": "suite"' "$su/summary.json" && grep -q '"git_revision"' "$su/summary.json" &&
		grep -q '"description": "linux-default without per-CPU page lists' "$su/summary.json"; then
		pass "d: the suite writes summary.json (command suite, revision, policy descriptions)"
	else
		fail "d: suite summary.json missing or incomplete"
	fi
	for s in "${sections[@]}"; do
		grep -q "<h2>$s</h2>" "$h" || fail "d: suite report has no section '$s'"
	done
	run report -o "$TMP/outc" "$su/replay/frag/no-pcp"
	if [ "$rc" -eq 0 ] && grep -q '^report: 1 cell (5 results directories)' "$TMP/out"; then
		pass "d: one cell's directory is one entry of 5 repetitions"
	else
		fail "d: one cell: $(status_text "$rc"): $(first_line "$TMP/err") $(first_line "$TMP/out")"
	fi
	cp -r "$su/replay/frag/no-pcp/rep1" "$su/replay/malloc1/no-pcp/rep6"
	run report -o "$TMP/outc" "$su"
	if [ "$rc" -eq 1 ] && grep -Eq 'malloc1/no-pcp/rep6/results\.csv:2: frag/no-pcp/mmbench, but .*rep1 holds malloc1/no-pcp/mmbench \(byte 52\)' "$TMP/err"; then
		pass "d: a repetition of another cell exits 1: $(first_line "$TMP/err" | sed "s|$TMP/||g")"
	else
		fail "d: foreign repetition: $(status_text "$rc"): $(first_line "$TMP/err")"
	fi
	rm -rf "$su/replay/malloc1/no-pcp/rep6"
fi

echo "report: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
