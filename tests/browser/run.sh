#!/usr/bin/env bash
# tests/browser/run.sh - build a small report and check it in headless
# chromium (tests/browser/report.test.js).
#
# usage: tests/browser/run.sh path/to/mmbench OUTDIR
#
# Replays a malloc1 trace under linux-default and no-pcp, a frag trace, a
# trace whose name and metadata carry HTML/script text, runs the jemalloc
# baseline, adds a compare.csv and a microbench.json, writes
# OUTDIR/browser-test/index.html and keeps the screenshot in
# OUTDIR/report-screenshot.png.  Then the same check on a report of a
# `mmbench suite quick` run (5 cells x 5 repetitions, with its compare.csv):
# OUTDIR/browser-test/suite-report/index.html, screenshot in
# OUTDIR/report-suite-screenshot.png.
set -eu
if [ $# -ne 2 ]; then
	echo "usage: $0 path/to/mmbench OUTDIR" >&2
	exit 2
fi
mmbench=$(realpath "$1")
mkdir -p "$2"
out=$(realpath "$2")
root=$(cd "$(dirname "$0")/../.." && pwd)
export MMBENCH_POLICIES=$root/policies
work=$out/browser-test
rm -rf "$work"
mkdir -p "$work/in"
cd "$work"
"$mmbench" generate malloc1 --seed 1 -o m1.mmt
"$mmbench" generate frag --seed 1 -o frag.mmt
"$mmbench" replay m1.mmt -o in/replay/m1/linux-default >/dev/null
"$mmbench" replay m1.mmt --policy no-pcp -o in/replay/m1/no-pcp >/dev/null
"$mmbench" replay frag.mmt -o in/replay/frag/linux-default >/dev/null
"$mmbench" baseline --allocator jemalloc m1.mmt -o in/baseline/m1/jemalloc >/dev/null
# a trace whose name and command line try to inject markup and script
evil='x<img src=x onerror=window.__pwned=3>'
{
	echo '# mmbench trace text v1'
	echo '@meta source text'
	echo '@meta cmdline ./app --name "</script><script>window.__pwned=1</script>"'
	sed -n '4,$p' "$root/tests/data/golden-malloc.txt"
} >evil.txt
"$mmbench" import text evil.txt -o "$evil.mmt"
"$mmbench" replay "$evil.mmt" -o in/replay/evil/linux-default >/dev/null 2>&1
cp "$root/tests/browser/compare.csv" in/compare.csv
cp "$root/tests/browser/microbench.json" in/microbench.json
"$mmbench" report -o "$work" in
node "$root/tests/browser/report.test.js" "$work/index.html" "$out/report-screenshot.png"
"$mmbench" suite -j 2 -o suite quick >/dev/null
"$mmbench" compare --base-policy linux-default -o suite/compare suite >/dev/null
cp "$root/tests/browser/microbench.json" suite/microbench.json
"$mmbench" report -o "$work/suite-report" suite
node "$root/tests/browser/report.test.js" "$work/suite-report/index.html" \
	"$out/report-suite-screenshot.png"
