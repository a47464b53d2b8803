#!/usr/bin/env bash
# tests/cli/test_suite.sh - command-line tests of `mmbench suite`, `mmbench
# compare` and the policies they use.
#
# usage: tests/cli/test_suite.sh path/to/mmbench
#
# Checks, one output line each, then "suite: N passed, M failed":
#   a. `suite quick` runs every cell 5 times into the documented layout;
#      results.csv holds deterministic rows once and measured rows 5 times;
#      suite.json names every cell ok;
#   b. a cell that cannot run (a malformed trace) fails and is reported, the
#      others go on, exit 1; repetitions that disagree on a deterministic row
#      fail their cell (--merge over a tampered repetition);
#   c. --emit-jobs prints commands that run under bash and give the same
#      deterministic rows;
#   d. malformed suites exit 1 naming file, line and key; usage errors exit 2;
#   e. compare: linux-default vs no-mobility-grouping on the frag trace marks
#      extfrag as differing, --fail-on exits 3 naming it; measured metrics
#      with 5 repetitions get p-values; --base-policy compares the policies
#      of one suite; malformed input exits 1 naming the file and line;
#   f. the new policies load.
set -u

# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
cli_init suite 120 "$@"
export MMBENCH_POLICIES=$ROOT/policies
export MMBENCH_SUITES=$ROOT/bench/suites

det_rows() {
	grep ',true$' "$1"
}

# ---------------------------------------------------------------- a. quick
run suite -j 2 -o "$TMP/q" quick
q=$TMP/q
why=
[ "$rc" -eq 0 ] || why="exit $rc: $(first_line "$TMP/err")"
for d in replay/malloc1/linux-default replay/malloc1/no-pcp replay/frag/linux-default \
	 replay/frag/no-pcp baseline/malloc1/glibc; do
	for r in 1 2 3 4 5; do
		[ -s "$q/$d/rep$r/results.csv" ] || why="$why $d/rep$r missing"
	done
done
[ -s "$q/traces/malloc1.mmt" ] && [ -s "$q/traces/frag.mmt" ] || why="$why traces/"
[ -e "$q/baseline/frag" ] && why="$why frag (no malloc calls) has a baseline"
[ "$(grep -c '^trace,policy,system,metric,value,unit,deterministic$' "$q/results.csv")" = 1 ] ||
	why="$why header not once"
n_eps=$(grep -c '^frag,linux-default,mmbench,events_per_s,' "$q/results.csv")
n_ev=$(grep -c '^frag,linux-default,mmbench,events,' "$q/results.csv")
n_jm=$(grep -c '^malloc1,native,glibc,events_per_s,' "$q/results.csv")
[ "$n_eps" = 5 ] && [ "$n_ev" = 1 ] && [ "$n_jm" = 5 ] ||
	why="$why rows: events_per_s x$n_eps, events x$n_ev, jemalloc x$n_jm"
python3 - "$q/suite.json" <<'PY' 2>/dev/null || why="$why suite.json"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["suite"] == "quick" and s["nr_cells"] == 5 and s["nr_failed"] == 0
kinds = sorted((c["kind"], c["trace"], c.get("policy") or c.get("allocator")) for c in s["cells"])
assert kinds == [("baseline", "malloc1", "glibc"), ("replay", "frag", "linux-default"),
                 ("replay", "frag", "no-pcp"), ("replay", "malloc1", "linux-default"),
                 ("replay", "malloc1", "no-pcp")], kinds
assert all(c["status"] == "ok" and c["wall_s"] > 0 for c in s["cells"])
PY
grep -q 'frag .*mmbench/no-pcp' "$TMP/out" || why="$why no summary table"
if [ -z "$why" ]; then pass "a: suite quick: 5 cells x 5 repetitions, merged rows, suite.json, summary"
else fail "a: suite quick:$why"; fi

# ---------------------------------------------------------------- b. failing cells
cat >"$TMP/bad.suite" <<EOF
[suite]
description = one good trace, one that cannot be replayed
traces = generate:malloc1 $DATA/bad/object-id-range.mmt
policies = linux-default
repetitions = 2
EOF
run suite -o "$TMP/b" "$TMP/bad.suite"
if [ "$rc" -eq 1 ] && grep -q 'FAILED replay object-id-range linux-default' "$TMP/err" &&
   grep -q '1 ok, 1 failed' "$TMP/out" &&
   [ "$(grep -c '^malloc1,linux-default,mmbench,events,' "$TMP/b/results.csv")" = 1 ] &&
   ! grep -q '^object-id-range,' "$TMP/b/results.csv" &&
   python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert [c["status"] for c in s["cells"]] == ["ok", "failed"]; assert "byte offset" in s["cells"][1]["error"]' "$TMP/b/suite.json"; then
	pass "b: a cell that cannot replay fails and is named, the other runs, exit 1"
else
	fail "b: failing cell: exit $rc: $(first_line "$TMP/err")"
fi

# tamper with one repetition's deterministic row: --merge must fail that cell
cp -r "$q" "$TMP/qt"
sed -i 's/^\(frag,no-pcp,mmbench,events,\)[0-9]*/\1999/' "$TMP/qt/replay/frag/no-pcp/rep3/results.csv"
run suite --merge -o "$TMP/qt" quick
if [ "$rc" -eq 1 ] && grep -q 'FAILED replay frag no-pcp: rep3: deterministic rows differ from rep1: frag,no-pcp,mmbench,events,999,events,true (rep1: frag,no-pcp,mmbench,events,365440,' "$TMP/err" &&
   grep -q '4 ok, 1 failed' "$TMP/out"; then
	pass "b: repetitions that disagree on a deterministic row fail their cell"
else
	fail "b: tampered repetition: exit $rc: $(first_line "$TMP/err")"
fi

# ---------------------------------------------------------------- c. --emit-jobs
run suite --emit-jobs -o "$TMP/e" quick
cp "$TMP/out" "$TMP/jobs.sh"
cells=$(grep -vc '^#' "$TMP/jobs.sh")
(cd / && bash "$TMP/jobs.sh" >"$TMP/jobs.out" 2>&1)
if [ "$rc" -eq 0 ] && [ "$cells" = 27 ] && grep -q "^# merge" "$TMP/jobs.sh" &&
   grep -q "' report -o '" "$TMP/jobs.sh" &&
   [ -s "$TMP/e/results.csv" ] && [ -s "$TMP/e/suite.json" ] &&
   diff <(det_rows "$q/results.csv") <(det_rows "$TMP/e/results.csv") >/dev/null &&
   [ "$(grep -c '^malloc1,native,glibc,events_per_s,' "$TMP/e/results.csv")" = 5 ]; then
	pass "c: --emit-jobs: 25 runs + 2 merge lines run under bash, same deterministic rows"
else
	fail "c: --emit-jobs: exit $rc, $cells lines: $(head -c 300 "$TMP/jobs.out")"
fi
# one line a run, quoted so that GNU parallel or a Slurm array can take it as is
line=$(awk '!/^#/ {print; exit}' "$TMP/jobs.sh")
case $line in
"mkdir -p '$TMP/e/replay/malloc1/linux-default' && '/"*"' 'replay' '$TMP/e/traces/malloc1.mmt' '--policy' '/"*"/linux-default.ini' '-o' '$TMP/e/replay/malloc1/linux-default/rep1' '--quiet'"*" >'$TMP/e/replay/malloc1/linux-default/rep1.log' 2>&1")
	pass "c: a job line is one quoted command with absolute paths" ;;
*) fail "c: job line: $line" ;;
esac

# ---------------------------------------------------------------- d. malformed suites
check_bad_suite() {         # NAME EXPECTED-MESSAGE SUITE-TEXT (printf format)
	# shellcheck disable=SC2059
	printf "$3" >"$TMP/$1.suite"
	run suite -o "$TMP/x" "$TMP/$1.suite"
	if [ "$rc" -eq 1 ] && grep -qF -- "$TMP/$1.suite:$2" "$TMP/err"; then
		pass "d: $1: exit 1, '$2'"
	else
		fail "d: $1: exit $rc: $(first_line "$TMP/err") (want '$2')"
	fi
}
check_bad_suite unknown-key "3: frobnicate: unknown key" '[suite]\npolicies = linux-default\nfrobnicate = 1\n'
check_bad_suite bad-generator "2: traces: 'generate:nosuch': no generator named 'nosuch'" '[suite]\ntraces = generate:nosuch\n'
check_bad_suite missing-corpus "3: traces: 'corpus:no-such-trace'" '[suite]\n\ntraces = corpus:no-such-trace\n'
check_bad_suite bad-policy "2: policies: 'nosuch'" '[suite]\npolicies = linux-default nosuch\n'
check_bad_suite bad-reps "2: repetitions: '0': expected 1..100" '[suite]\nrepetitions = 0\n'
check_bad_suite bad-alloc "2: baselines: 'hoard': not an allocator" '[suite]\nbaselines = hoard\n'
check_bad_suite bad-section "2: x: unknown section [other]" '[other]\nx = 1\n'
check_bad_suite syntax "2: syntax error" '[suite]\nthis is not ini\n'
check_bad_suite bad-check "4: check: 'x'" \
	'[suite]\ntraces = generate:frag corpus:zzz*\npolicies = linux-default\ncheck = x\n'
run suite -j 0 quick
[ "$rc" -eq 2 ] && pass "d: -j 0 is a usage error" || fail "d: -j 0: exit $rc"
run suite
[ "$rc" -eq 2 ] && pass "d: no SUITE is a usage error" || fail "d: no SUITE: exit $rc"
run suite -o "$TMP/x" no-such-suite
[ "$rc" -eq 1 ] && grep -q 'no-such-suite.suite' "$TMP/err" &&
	pass "d: an unknown suite exits 1 naming its file" || fail "d: unknown suite: exit $rc"

# ---------------------------------------------------------------- e. compare
"$MMBENCH" generate frag --seed 1 -o "$TMP/frag.mmt"
"$MMBENCH" replay "$TMP/frag.mmt" -o "$TMP/ld" --quiet 2>/dev/null
"$MMBENCH" replay "$TMP/frag.mmt" --policy no-mobility-grouping -o "$TMP/nmg" --quiet 2>/dev/null
run compare -o "$TMP/cmp" "$TMP/ld" "$TMP/nmg"
c=$TMP/cmp/compare.csv
if [ "$rc" -eq 0 ] &&
   [ "$(head -n 1 "$c")" = "trace,system,metric,unit,deterministic,base_policy,other_policy,base_value,other_value,delta,delta_pct,n_base,n_other,p_value,significant" ] &&
   grep -q '^frag,mmbench,extfrag,events,true,linux-default,no-mobility-grouping,[1-9][0-9]*,0,-[0-9]*,-100,1,1,NA,yes$' "$c" &&
   grep -q '^frag,mmbench,events,events,true,linux-default,no-mobility-grouping,365440,365440,0,0,1,1,NA,no$' "$c" &&
   grep -q '^frag,mmbench,events_per_s,events/s,false,.*,1,1,NA,NA$' "$c" &&
   grep -q '^frag .*extfrag ' "$TMP/out" && ! grep -q ' events  ' "$TMP/out"; then
	pass "e: compare linux-default vs no-mobility-grouping on frag: extfrag differs, exactly"
else
	fail "e: compare frag: exit $rc: $(first_line "$TMP/err")"
fi
run compare -o "$TMP/cmp" "$TMP/ld" "$TMP/nmg" --fail-on 'extfrag<-5%'
if [ "$rc" -eq 3 ] && grep -q 'threshold extfrag<-5% exceeded: frag mmbench extfrag' "$TMP/err"; then
	pass "e: --fail-on 'extfrag<-5%' exits 3 naming the metric"
else
	fail "e: --fail-on: exit $rc: $(first_line "$TMP/err")"
fi
run compare -o "$TMP/cmp" "$TMP/ld" "$TMP/nmg" --fail-on 'extfrag>5%' --fail-on 'unusable_index.*>1000' \
	--fail-on 'latency_ns_p99.*>5%'
[ "$rc" -eq 0 ] && pass "e: thresholds not exceeded (and untested measured metrics) exit 0" ||
	fail "e: thresholds not exceeded: exit $rc: $(first_line "$TMP/err")"
run compare -o "$TMP/cmp" "$TMP/ld" "$TMP/nmg" --fail-on 'extfrag=5'
[ "$rc" -eq 2 ] && pass "e: a malformed --fail-on is a usage error" || fail "e: bad --fail-on: exit $rc"

# two runs of the quick suite: measured metrics with 5 repetitions get a p-value
run compare -o "$TMP/cmpq" "$q" "$TMP/e"
if [ "$rc" -eq 0 ] &&
   grep -Eq '^malloc1,glibc,events_per_s,events/s,false,native,native,[0-9.e+]+,[0-9.e+]+,.*,5,5,[0-9.e-]+,(yes|no)$' "$TMP/cmpq/compare.csv" &&
   grep -q '^frag,mmbench,extfrag,events,true,no-pcp,no-pcp,' "$TMP/cmpq/compare.csv" &&
   ! grep -q '^[^,]*,mmbench,[^,]*,[^,]*,true,.*,yes$' "$TMP/cmpq/compare.csv"; then
	pass "e: suite vs suite: matched policy by policy, Mann-Whitney p-values, no deterministic difference"
else
	fail "e: suite vs suite: exit $rc: $(first_line "$TMP/err")"
fi

# within one suite directory: linux-default against no-pcp, trace by trace
run compare --base-policy linux-default -o "$TMP/cmpp" "$q"
cp=$TMP/cmpp/compare.csv
if [ "$rc" -eq 0 ] &&
   grep -Eq '^frag,mmbench,events_per_s,events/s,false,linux-default,no-pcp,.*,5,5,[0-9.e-]+,(yes|no)$' "$cp" &&
   grep -q '^malloc1,mmbench,events,events,true,linux-default,no-pcp,300003,300003,0,0,1,1,NA,no$' "$cp" &&
   ! grep -q ',native,' "$cp" && ! grep -q ',linux-default,linux-default,' "$cp"; then
	pass "e: --base-policy linux-default: every other policy of a suite, with p-values"
else
	fail "e: --base-policy: exit $rc: $(first_line "$TMP/err")"
fi
run compare --base-policy linux-default "$q" "$TMP/e"
[ "$rc" -eq 2 ] && pass "e: --base-policy with two directories is a usage error" ||
	fail "e: --base-policy two dirs: exit $rc"

printf 'trace,policy,system,metric,value,unit,deterministic\nt,p,s,m,1,u,true\nt,p,s,m,oops,u,true\n' >"$TMP/bad.csv"
run compare -o "$TMP/cmp" "$TMP/bad.csv" "$TMP/nmg"
if [ "$rc" -eq 1 ] && grep -q "$TMP/bad.csv:3: value: 'oops'" "$TMP/err" && grep -q 'byte' "$TMP/err"; then
	pass "e: a malformed results.csv exits 1 naming file, line and byte"
else
	fail "e: malformed results.csv: exit $rc: $(first_line "$TMP/err")"
fi
run compare "$TMP/ld"
[ "$rc" -eq 2 ] && pass "e: one directory is a usage error" || fail "e: one dir: exit $rc"

# ---------------------------------------------------------------- f. policies
for p in pcp-high-x4 no-mobility-grouping cma-256m; do
	run policies --show "$p"
	out=$(cat "$TMP/out")
	case $p in
	pcp-high-x4) want='high = 6108' ;;
	no-mobility-grouping) want='mobility_grouping = false' ;;
	cma-256m) want='size = 268435456' ;;
	esac
	if [ "$rc" -eq 0 ] && grep -qx "$want" <<<"$out" && "$MMBENCH" policies | grep -q "^$p "; then
		pass "f: $p loads ($want) and is listed"
	else
		fail "f: $p: exit $rc: $(first_line "$TMP/err")"
	fi
done

echo "suite: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
