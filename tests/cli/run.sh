#!/usr/bin/env bash
# tests/cli/run.sh - command-line tests of mmbench.
#
# usage: tests/cli/run.sh path/to/mmbench
#
# Checks, one output line each, then "cli: N passed, M failed":
#   a. every malformed trace in tests/data/bad/ makes `info` and `dump` exit 1
#      with one line on stderr naming the file, a byte offset and the reason
#      listed for it in tests/data/bad/EXPECT (no signal, no hang, no
#      sanitizer report);
#   b. every malformed text trace in tests/data/bad-text/ makes `import text`
#      exit 1 the same way and leaves no output file behind;
#   c. `generate` is deterministic for every generator, and the seed matters;
#   d. dump -> import text -> dump is byte-identical for every generator's
#      trace and every golden text trace (tests/data/*.txt, which are also
#      in canonical form: import -> dump gives the file back);
#   e. usage errors exit 2;
#   f. `info --format json` parses and agrees with the text `info`;
#   g. help exits 0; the valid fuzz seeds are read without error.
#
# An EXPECT line may carry a third field, "known-bug: ...": a failure of that
# case is then reported as XFAIL (not counted), and a pass as XPASS (counted
# as a failure, so the mark gets removed once the bug is fixed).
# Exits non-zero when any check failed.

set -u

# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
cli_init cli 10 "$@"
xfailed=0

# The same under an address-space limit, so that a reader trusting a size
# declared in a malformed file fails here instead of allocating it.  Not
# possible for sanitizer builds (ASan reserves terabytes of shadow memory).
MEM_LIMIT_KB=1048576
if { (ulimit -v "$MEM_LIMIT_KB" && "$MMBENCH" help) >/dev/null 2>&1; } 2>/dev/null; then
	run_limited() {
		(ulimit -v "$MEM_LIMIT_KB" && exec timeout "$TIMEOUT" "$MMBENCH" "$@") \
			>"$TMP/out" 2>"$TMP/err"
		rc=$?
	}
	echo "note  a: malformed traces are read with a $((MEM_LIMIT_KB / 1024)) MiB address-space limit"
else
	run_limited() { run "$@"; }
	echo "note  a: no address-space limit (sanitizer build); fuzzing checks allocations"
fi

# expect_lookup DIR NAME: sets want (substring) and known (known-bug note, or "").
expect_lookup() {
	want=
	known=
	local line
	line=$(awk -F '\t' -v f="$2" '$1 == f { print; exit }' "$1/EXPECT")
	if [ -z "$line" ]; then
		return 1
	fi
	want=$(printf '%s' "$line" | cut -f 2)
	known=$(printf '%s' "$line" | cut -s -f 3)
	return 0
}

# check_error WHAT FILE: after run, the command must have failed the way a
# malformed input should: exit 1, one stderr line "mmbench: ...", naming FILE,
# with "byte offset" and $want in the reason.  Returns 0 or 1 and sets why.
check_error() {
	local file=$2 msg rest
	why=
	if [ "$rc" -ne 1 ]; then
		why="$(status_text "$rc"), expected 1: $(first_line "$TMP/err")"
		return 1
	fi
	if [ "$(wc -l <"$TMP/err")" -ne 1 ]; then
		why="expected one line on stderr, got $(wc -l <"$TMP/err"): $(first_line "$TMP/err")"
		return 1
	fi
	msg=$(cat "$TMP/err")
	case $msg in
	"mmbench: "*) ;;
	*) why="stderr does not start with 'mmbench: ': $msg"; return 1 ;;
	esac
	case $msg in
	*"$file"*) ;;
	*) why="message does not name $file: $msg"; return 1 ;;
	esac
	rest=${msg//"$file"/}
	case $rest in
	*"byte offset"*) ;;
	*) why="message has no byte offset: $msg"; return 1 ;;
	esac
	case $rest in
	*"$want"*) ;;
	*) why="message lacks '$want': $msg"; return 1 ;;
	esac
	return 0
}

# report NAME: pass/fail/xfail/xpass after check_error, honouring $known.
report() {
	if check_error "$1" "$2"; then
		if [ -n "$known" ]; then
			fail "$1: XPASS, remove the known-bug mark in EXPECT ($known)"
		else
			pass "$1"
		fi
	elif [ -n "$known" ]; then
		xfailed=$((xfailed + 1))
		echo "XFAIL $1: $known"
	else
		fail "$1: $why"
	fi
}

# ------------------------------------------------------------------ a. bad traces
shopt -s nullglob
bad_files=("$DATA"/bad/*.mmt)
if [ ${#bad_files[@]} -eq 0 ]; then
	fail "a: no files in $DATA/bad"
fi
for f in "${bad_files[@]}"; do
	name=${f##*/}
	if ! expect_lookup "$DATA/bad" "$name"; then
		fail "a: $name has no line in tests/data/bad/EXPECT"
		continue
	fi
	for cmd in info dump; do
		run_limited "$cmd" "$f"
		report "a: $cmd $name" "$f"
	done
done
# every EXPECT line names a file that exists
while IFS=$'\t' read -r name _; do
	[ -z "$name" ] && continue
	[ -e "$DATA/bad/$name" ] || fail "a: EXPECT names $name, which does not exist"
done <"$DATA/bad/EXPECT"

# ------------------------------------------------------------------ b. bad text
text_files=("$DATA"/bad-text/*.txt)
if [ ${#text_files[@]} -eq 0 ]; then
	fail "b: no files in $DATA/bad-text"
fi
for f in "${text_files[@]}"; do
	name=${f##*/}
	if ! expect_lookup "$DATA/bad-text" "$name"; then
		fail "b: $name has no line in tests/data/bad-text/EXPECT"
		continue
	fi
	dir=$TMP/import
	rm -rf "$dir"
	mkdir -p "$dir"
	run import text "$f" -o "$dir/out.mmt"
	if [ -e "$dir/out.mmt" ] || [ -e "$dir/out.mmt.tmp" ]; then
		if [ -n "$known" ]; then
			xfailed=$((xfailed + 1))
			echo "XFAIL b: import $name: $known"
		else
			fail "b: import $name left $(cd "$dir" && echo out.mmt*) behind ($(status_text "$rc"))"
		fi
		continue
	fi
	report "b: import $name" "$f"
done
while IFS=$'\t' read -r name _; do
	[ -z "$name" ] && continue
	[ -e "$DATA/bad-text/$name" ] || fail "b: EXPECT names $name, which does not exist"
done <"$DATA/bad-text/EXPECT"

# ------------------------------------------------------------------ c. generate
run generate --list
if [ "$rc" -ne 0 ]; then
	fail "c: generate --list: $(status_text "$rc")"
	generators=
else
	generators=$(awk '{ print $1 }' "$TMP/out" | tr '\n' ' ')
	if [ -n "$generators" ]; then
		pass "c: generate --list names $(wc -l <"$TMP/out") generators"
	else
		fail "c: generate --list printed nothing"
	fi
fi
GEN=$TMP/gen
mkdir -p "$GEN"
for g in $generators; do
	run generate "$g" --seed 1 -o "$GEN/$g.mmt"
	if [ "$rc" -ne 0 ]; then
		fail "c: generate $g: $(status_text "$rc"): $(first_line "$TMP/err")"
		continue
	fi
	run generate "$g" --seed 1 -o "$GEN/$g.again.mmt"
	if [ "$rc" -ne 0 ]; then
		fail "c: generate $g (second run): $(status_text "$rc"): $(first_line "$TMP/err")"
	elif cmp -s "$GEN/$g.mmt" "$GEN/$g.again.mmt"; then
		pass "c: generate $g --seed 1 twice gives identical files"
	else
		fail "c: generate $g --seed 1 twice gives different files"
	fi
	rm -f "$GEN/$g.again.mmt"
done
for g in malloc2 frag; do
	case " $generators " in
	*" $g "*) ;;
	*) fail "c: generator $g is not listed"; continue ;;
	esac
	run generate "$g" --seed 2 -o "$GEN/$g.seed2.mmt"
	if [ "$rc" -ne 0 ]; then
		fail "c: generate $g --seed 2: $(status_text "$rc"): $(first_line "$TMP/err")"
	elif cmp -s "$GEN/$g.mmt" "$GEN/$g.seed2.mmt"; then
		fail "c: generate $g: seeds 1 and 2 give the same file"
	else
		pass "c: generate $g: seeds 1 and 2 differ"
	fi
	rm -f "$GEN/$g.seed2.mmt"
done

# ------------------------------------------------------------------ d. round trips

# round_trip LABEL TRACE: dump, import, dump again; the two dumps must match.
round_trip() {
	local label=$1 trace=$2 base=$TMP/rt
	run dump "$trace" -o "$base.1.txt"
	if [ "$rc" -ne 0 ]; then
		fail "d: $label: dump: $(status_text "$rc"): $(first_line "$TMP/err")"
		return
	fi
	run import text "$base.1.txt" -o "$base.mmt"
	if [ "$rc" -ne 0 ]; then
		fail "d: $label: import of the dump: $(status_text "$rc"): $(first_line "$TMP/err")"
		return
	fi
	run dump "$base.mmt" -o "$base.2.txt"
	if [ "$rc" -ne 0 ]; then
		fail "d: $label: second dump: $(status_text "$rc"): $(first_line "$TMP/err")"
	elif cmp -s "$base.1.txt" "$base.2.txt"; then
		pass "d: $label: dump -> import -> dump is identical"
	else
		fail "d: $label: dumps differ: $(diff "$base.1.txt" "$base.2.txt" | head -n 3 | tr '\n' ' ')"
	fi
	rm -f "$base.1.txt" "$base.2.txt" "$base.mmt"
}

for g in $generators; do
	[ -f "$GEN/$g.mmt" ] && round_trip "generator $g" "$GEN/$g.mmt"
done
golden=("$DATA"/*.txt)
if [ ${#golden[@]} -eq 0 ]; then
	fail "d: no golden text traces in $DATA"
fi
for t in "${golden[@]}"; do
	name=${t##*/}
	run import text "$t" -o "$TMP/golden.mmt"
	if [ "$rc" -ne 0 ]; then
		fail "d: import $name: $(status_text "$rc"): $(first_line "$TMP/err")"
		continue
	fi
	run dump "$TMP/golden.mmt"
	if [ "$rc" -ne 0 ]; then
		fail "d: dump of $name: $(status_text "$rc"): $(first_line "$TMP/err")"
	elif cmp -s "$t" "$TMP/out"; then
		pass "d: $name is canonical (import -> dump gives it back)"
	else
		fail "d: $name: import -> dump differs: $(diff "$t" "$TMP/out" | head -n 3 | tr '\n' ' ')"
	fi
	round_trip "$name" "$TMP/golden.mmt"
done

# ------------------------------------------------------------------ e. usage errors

# usage LABEL ARGS...: must exit 2 with something on stderr.
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

U=$TMP/usage
mkdir -p "$U"
usage "no arguments"
usage "unknown command" frobnicate
usage "unknown option" info --frobnicate "$DATA/bad/empty.mmt"
usage "dump: unknown option" dump --frobnicate "$DATA/bad/empty.mmt"
usage "dump: no trace" dump
usage "info: two traces" info "$DATA/bad/empty.mmt" "$DATA/bad/empty.mmt"
usage "info: bad --format" info --format xml "$DATA/bad/empty.mmt"
usage "generate: missing -o" generate malloc1
usage "generate: no name" generate -o "$U/x.mmt"
usage "generate: unknown generator" generate frobnicate -o "$U/x.mmt"
usage "generate: bad --seed" generate malloc1 --seed abc -o "$U/x.mmt"
usage "generate: negative --seed" generate malloc1 --seed -1 -o "$U/x.mmt"
usage "generate: --seed overflow" generate malloc1 --seed 99999999999999999999999 -o "$U/x.mmt"
usage "generate: bad --scale" generate malloc1 --scale 0 -o "$U/x.mmt"
usage "import: missing -o" import text "$DATA/golden-malloc.txt"
usage "import: unknown format" import yaml "$DATA/golden-malloc.txt" -o "$U/x.mmt"
usage "import: no file" import text -o "$U/x.mmt"
if [ -e "$U/x.mmt" ] || [ -e "$U/x.mmt.tmp" ]; then
	fail "e: a usage error left $U/x.mmt behind"
else
	pass "e: usage errors leave no output file"
fi

# ------------------------------------------------------------------ f. info json

# info_json LABEL TRACE
info_json() {
	local label=$1 trace=$2 text_events json_events
	run info "$trace"
	if [ "$rc" -ne 0 ]; then
		fail "f: info $label: $(status_text "$rc"): $(first_line "$TMP/err")"
		return
	fi
	text_events=$(awk '$1 == "events:" { print $2; exit }' "$TMP/out")
	run info --format json "$trace"
	if [ "$rc" -ne 0 ]; then
		fail "f: info --format json $label: $(status_text "$rc"): $(first_line "$TMP/err")"
		return
	fi
	if ! python3 -m json.tool "$TMP/out" >/dev/null 2>"$TMP/json.err"; then
		fail "f: info --format json $label does not parse: $(first_line "$TMP/json.err")"
		return
	fi
	json_events=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["events"])' \
		"$TMP/out" 2>/dev/null)
	if [ -n "$text_events" ] && [ "$json_events" = "$text_events" ]; then
		pass "f: info --format json $label parses, $json_events events as in the text"
	else
		fail "f: info $label: json says '$json_events' events, text says '$text_events'"
	fi
}

if command -v python3 >/dev/null 2>&1; then
	for g in $generators; do
		[ -f "$GEN/$g.mmt" ] && info_json "$g" "$GEN/$g.mmt"
	done
	if run import text "$DATA/golden-mm.txt" -o "$TMP/golden-mm.mmt" && [ "$rc" -eq 0 ]; then
		info_json golden-mm "$TMP/golden-mm.mmt"
	fi
else
	echo "skip  f: python3 not found, JSON output not checked"
fi

# ------------------------------------------------------------------ g. help, seeds
for h in help --help -h; do
	run "$h"
	if [ "$rc" -eq 0 ] && grep -q usage "$TMP/out"; then
		pass "g: mmbench $h exits 0"
	else
		fail "g: mmbench $h: $(status_text "$rc")"
	fi
done
for cmd in generate import dump info; do
	run "$cmd" --help
	if [ "$rc" -eq 0 ] && grep -q usage "$TMP/out"; then
		pass "g: mmbench $cmd --help exits 0"
	else
		fail "g: mmbench $cmd --help: $(status_text "$rc")"
	fi
done
for f in "$ROOT"/tests/fuzz/seeds-fuzz_trace/*.mmt; do
	for cmd in info dump; do
		run "$cmd" "$f"
		if [ "$rc" -eq 0 ]; then
			pass "g: $cmd ${f##*/} (valid seed) exits 0"
		else
			fail "g: $cmd ${f##*/}: $(status_text "$rc"): $(first_line "$TMP/err")"
		fi
	done
done

if [ "$xfailed" -gt 0 ]; then
	echo "cli: $xfailed known bugs (XFAIL, see the known-bug notes in EXPECT)"
fi
echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
