#!/usr/bin/env bash
# tests/fuzz/run.sh - run libFuzzer targets for a fixed time each.
#
# usage: tests/fuzz/run.sh BUILD_DIR SECONDS TARGET...
#
# For each TARGET (a libFuzzer binary BUILD_DIR/TARGET, e.g. fuzz_trace):
#   - the corpus is BUILD_DIR/corpus-TARGET, kept between runs and seeded
#     from tests/fuzz/seeds-TARGET/ (and, for fuzz_trace, the malformed
#     traces tests/data/bad/*.mmt; for fuzz_text, the golden and malformed
#     text traces tests/data/*.txt and tests/data/bad-text/*.txt);
#   - it runs for SECONDS (-max_total_time) with -max_len=65536,
#     -rss_limit_mb=2048 and -timeout=5, plus tests/fuzz/TARGET.dict when
#     there is one;
#   - crash, leak, timeout and out-of-memory inputs go to BUILD_DIR/artifacts/
#     (named TARGET-crash-..., TARGET-timeout-...), the log to
#     BUILD_DIR/TARGET.log.
# Prints one summary line per target and exits non-zero if any target found
# something (or could not run).  Set FUZZ_ARGS for extra libFuzzer flags.

set -u

if [ $# -lt 3 ]; then
	echo "usage: $0 BUILD_DIR SECONDS TARGET..." >&2
	exit 2
fi
BUILD=$1
SECS=$2
shift 2
case $SECS in
'' | *[!0-9]*)
	echo "$0: SECONDS must be a whole number, not '$SECS'" >&2
	exit 2
	;;
esac

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ARTIFACTS=$BUILD/artifacts
mkdir -p "$ARTIFACTS" || exit 2

# The fuzz build uses -fsanitize=undefined without -fno-sanitize-recover:
# make every UBSan report fatal so that it is kept as a crash.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:print_stacktrace=1"

# count_artifacts TARGET: artifacts kept for TARGET so far.
count_artifacts() {
	local a n=0
	for a in "$ARTIFACTS/$1"-*; do
		n=$((n + 1))
	done
	echo "$n"
}

# seed CORPUS FILE...: copy seed files into the corpus (existing ones are kept).
seed() {
	local corpus=$1 f
	shift
	for f in "$@"; do
		[ -f "$f" ] && cp -f "$f" "$corpus/seed-${f##*/}"
	done
}

shopt -s nullglob
status=0
for target in "$@"; do
	bin=$BUILD/$target
	if [ ! -x "$bin" ]; then
		echo "fuzz: $target: $bin is not built" >&2
		status=1
		continue
	fi
	corpus=$BUILD/corpus-$target
	mkdir -p "$corpus"
	seed "$corpus" "$ROOT/tests/fuzz/seeds-$target"/*
	case $target in
	fuzz_trace) seed "$corpus" "$ROOT"/tests/data/bad/*.mmt ;;
	fuzz_text) seed "$corpus" "$ROOT"/tests/data/*.txt "$ROOT"/tests/data/bad-text/*.txt ;;
	esac
	dict=()
	[ -f "$ROOT/tests/fuzz/$target.dict" ] && dict=(-dict="$ROOT/tests/fuzz/$target.dict")
	log=$BUILD/$target.log
	before=$(count_artifacts "$target")

	# A hard limit well past -max_total_time, in case the fuzzer itself wedges.
	# shellcheck disable=SC2086
	timeout --kill-after=10 $((SECS + 120)) "$bin" \
		-max_total_time="$SECS" -max_len=65536 -rss_limit_mb=2048 -timeout=5 \
		-print_final_stats=1 -artifact_prefix="$ARTIFACTS/$target-" \
		"${dict[@]}" ${FUZZ_ARGS:-} "$corpus" >"$log" 2>&1
	rc=$?

	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	added=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -n 1)
	rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
	took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
	units=$(find "$corpus" -type f | wc -l)
	after=$(count_artifacts "$target")
	summary="${runs:-?} runs in ${took:-?}s, ${speed:-?} exec/s, ${cov:-cov: ?}, corpus $units (+${added:-?}), peak rss ${rss:-?} MB"
	if [ "$rc" -eq 0 ] && [ "$after" -eq "$before" ]; then
		echo "fuzz: $target: ok, $summary"
	else
		status=1
		echo "fuzz: $target: FAILED (exit $rc), $summary"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|fuzz_[a-z]+: )' "$log" | head -n 5 |
			sed 's/^/fuzz:   /'
		echo "fuzz:   log: $log"
		for a in "$ARTIFACTS/$target"-*; do
			echo "fuzz:   artifact: $a (reproduce: $bin $a)"
		done
	fi
done
exit $status
