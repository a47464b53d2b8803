#!/usr/bin/env bash
# tests/cli/test_import_lackey.sh - command-line tests of `mmbench import
# lackey` (valgrind --tool=lackey --trace-mem=yes output to ACCESS events).
#
# usage: tests/cli/test_import_lackey.sh path/to/mmbench
#
# Checks, one output line each, then "import_lackey: N passed, M failed":
#   a. tests/data/lackey/sample.txt imports to exactly sample.golden (mmbench
#      dump, metadata included); stdin (-) gives the same trace; the summary
#      goes to stderr; --sample 10 keeps records 0, 10, 20, ... and says so;
#   b. sample.txt and true-head.txt replay with --check=1000: no replay
#      errors, no SIGSEGV, implicit mappings for the untraced memory, TLB
#      lookups, misses and walk references all non-zero;
#   c. every malformed sample in tests/data/bad-lackey/ exits 1 with
#      "FILE: at byte offset B: line N: MESSAGE" as its first line says
#      ("# expect: line N: MESSAGE"; B is computed), leaving no output;
#      bad --sample / --pid values, and --sample with another format, are
#      usage errors (exit 2);
#   d. where valgrind is installed: lackey run live on tests/progs/lackey_prog
#      (next to mmbench, else built here), its output and the program's
#      piped together into `mmbench import lackey -`: the pid is lackey's, the
#      program's line is skipped, stores, loads, fetches and the
#      page-crossing store are there (skipped, and said so, otherwise).
set -u

# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
cli_init import_lackey 120 "$@"
export MMBENCH_POLICIES=$ROOT/policies
LK=$DATA/lackey

# meta TRACE KEY: a metadata value (from dump)
meta() {
	"$MMBENCH" dump "$1" | sed -n "s/^@meta $2 //p" | tail -n 1
}

# ---------------------------------------------------------------- a. golden import
run import lackey "$LK/sample.txt" -o "$TMP/sample.mmt"
if [ "$rc" -ne 0 ]; then
	fail "a: import sample.txt: $(status_text "$rc"): $(first_line "$TMP/err")"
else
	"$MMBENCH" dump "$TMP/sample.mmt" >"$TMP/sample.dump"
	why=
	cmp -s "$TMP/sample.dump" "$LK/sample.golden" ||
		why=" dump differs from sample.golden: $(diff "$LK/sample.golden" "$TMP/sample.dump" | head -n 3 | tr '\n' ' ')"
	grep -q "234 ACCESS events from 233 lackey records (233 kept) in 258 lines; 1 other lines skipped; 1 split" \
		"$TMP/err" || why="$why no summary on stderr"
	timeout "$TIMEOUT" "$MMBENCH" import lackey - -o "$TMP/stdin.mmt" <"$LK/sample.txt" 2>/dev/null &&
		"$MMBENCH" dump "$TMP/stdin.mmt" | cmp -s - "$LK/sample.golden" || why="$why stdin differs"
	if [ -z "$why" ]; then
		pass "a: sample.txt imports to sample.golden, from a file and from stdin"
	else
		fail "a: sample.txt:$why"
	fi
fi

run import lackey --sample 10 "$LK/sample.txt" -o "$TMP/s10.mmt"
d=$("$MMBENCH" dump "$TMP/s10.mmt" 2>/dev/null)
# records 0, 10, ..., 230: 24 kept; record 220 is the page-crossing store (two events)
if [ "$rc" -eq 0 ] && [ "$(meta "$TMP/s10.mmt" lackey.sampled)" = 24 ] &&
	[ "$(meta "$TMP/s10.mmt" lackey.sample_every)" = 10 ] &&
	[ "$(meta "$TMP/s10.mmt" lackey.accesses)" = 233 ] &&
	[ "$(grep -c ' ACCESS ' <<<"$d")" = "$(meta "$TMP/s10.mmt" lackey.events_written)" ] &&
	grep -v '^[@#]' <<<"$d" | awk '$1 % 10 { bad = 1 } END { exit bad }' &&
	grep -q ' one in 10)' "$TMP/err"; then
	pass "a: --sample 10 keeps records 0, 10, 20, ... with their index as ts"
else
	fail "a: --sample 10: $(status_text "$rc"): $(first_line "$TMP/err"), sampled=$(meta "$TMP/s10.mmt" lackey.sampled)"
fi

# ---------------------------------------------------------------- b. replay
for name in sample true-head; do
	run import lackey "$LK/$name.txt" -o "$TMP/$name.mmt"
	[ "$rc" -eq 0 ] || { fail "b: import $name: $(status_text "$rc")"; continue; }
	run replay "$TMP/$name.mmt" -o "$TMP/r-$name" --check=1000
	if [ "$rc" -ne 0 ]; then
		fail "b: replay $name: $(status_text "$rc"): $(first_line "$TMP/err")"
		continue
	fi
	r=$TMP/r-$name
	why=$(awk -F, '$4 ~ /^replay_errors\./ && $5 != 0 { printf " %s=%s", $4, $5 }' "$r/results.csv")
	[ "$(value "$r" vm.faults.sigsegv)" = 0 ] || why="$why sigsegv=$(value "$r" vm.faults.sigsegv)"
	for m in vm.implicit_mappings tlb.l1_hits tlb.misses tlb.walk_refs; do
		[ "$(value "$r" "$m")" -gt 0 ] 2>/dev/null || why="$why $m=$(value "$r" "$m")"
	done
	if [ -z "$why" ]; then
		pass "b: replay $name: no errors, $(value "$r" vm.implicit_mappings) implicit mappings, $(value "$r" tlb.misses) TLB misses, $(value "$r" tlb.walk_refs) walk refs"
	else
		fail "b: replay $name:$why"
	fi
done

# ---------------------------------------------------------------- c. malformed input
for f in "$DATA"/bad-lackey/*.txt; do
	name=$(basename "$f")
	expect=$(sed -n '1s/^# expect: //p' "$f")
	line=$(sed -n 's/^line \([0-9]*\): .*/\1/p' <<<"$expect")
	off=$(head -n $((line - 1)) "$f" | wc -c)
	run import lackey "$f" -o "$TMP/bad.mmt"
	msg="mmbench: $f: at byte offset $off: $expect"
	if [ "$rc" -eq 1 ] && [ "$(first_line "$TMP/err")" = "$msg" ] &&
		[ ! -e "$TMP/bad.mmt" ] && [ ! -e "$TMP/bad.mmt.tmp" ]; then
		pass "c: $name: exit 1, $expect"
	else
		fail "c: $name: $(status_text "$rc"): got '$(first_line "$TMP/err")', want '$msg'"
	fi
done
for args in "--sample 0" "--sample x" "--pid 0" "--pid 2147483648"; do
	# shellcheck disable=SC2086
	run import lackey $args "$LK/sample.txt" -o "$TMP/u.mmt"
	if [ "$rc" -eq 2 ] && [ ! -e "$TMP/u.mmt" ]; then
		pass "c: import lackey $args: usage error"
	else
		fail "c: import lackey $args: $(status_text "$rc")"
	fi
done
run import text --sample 2 "$DATA/golden-malloc.txt" -o "$TMP/u.mmt"
if [ "$rc" -eq 2 ] && grep -q "lackey format only" "$TMP/err"; then
	pass "c: --sample with the text format: usage error"
else
	fail "c: --sample with text: $(status_text "$rc")"
fi
run import --help
if [ "$rc" -eq 0 ] && grep -q "import lackey FILE \[--sample N\] \[--pid N\] -o TRACE" "$TMP/out"; then
	pass "c: import --help names lackey and its options"
else
	fail "c: import --help: $(status_text "$rc")"
fi

# ---------------------------------------------------------------- d. live lackey
prog=$(dirname "$MMBENCH")/tests/progs/lackey_prog
if ! command -v valgrind >/dev/null; then
	echo "skip  d: valgrind is not installed (deps/debian.txt lists it)"
else
	if [ ! -x "$prog" ]; then
		prog=$TMP/lackey_prog
		cc -O1 -static -nostdlib -fno-pie -no-pie -fno-stack-protector -fcf-protection=none \
			"$ROOT/tests/progs/lackey_prog.c" -o "$prog" 2>"$TMP/cc.err" || prog=
	fi
	if [ -z "$prog" ]; then
		fail "d: cannot build tests/progs/lackey_prog.c: $(first_line "$TMP/cc.err")"
	else
		timeout "$TIMEOUT" valgrind --tool=lackey --trace-mem=yes --log-fd=1 "$prog" 2>"$TMP/vg.err" |
			timeout "$TIMEOUT" "$MMBENCH" import lackey - -o "$TMP/live.mmt" 2>"$TMP/err"
		st=("${PIPESTATUS[@]}")
		d=$("$MMBENCH" dump "$TMP/live.mmt" 2>/dev/null)
		why=
		[ "${st[0]}" -eq 0 ] || why="$why valgrind $(status_text "${st[0]}")"
		[ "${st[1]}" -eq 0 ] || why="$why import $(status_text "${st[1]}"): $(first_line "$TMP/err")"
		pid=$(meta "$TMP/live.mmt" lackey.valgrind_lines)
		[ "${pid:-0}" -gt 0 ] || why="$why no ==PID== lines"
		[ "$(meta "$TMP/live.mmt" lackey.skipped_lines)" = 1 ] || why="$why program line not skipped once"
		[ "$(meta "$TMP/live.mmt" lackey.split_accesses)" -ge 1 ] 2>/dev/null || why="$why no page split"
		[ "$(meta "$TMP/live.mmt" lackey.modifies)" -ge 1 ] 2>/dev/null || why="$why no modify"
		grep -q ' 1/1 ' <<<"$d" && why="$why default pid used"
		for fl in 'flags=exec|user' 'flags=write|user' 'flags=read|user'; do
			grep -qF "$fl" <<<"$d" || why="$why no $fl"
		done
		# 16 bss pages stored to, each a fresh implicit mapping in replay
		[ "$(grep -c 'flags=write|user' <<<"$d")" -ge 16 ] || why="$why fewer than 16 stores"
		if [ -z "$why" ]; then
			pass "d: valgrind lackey | mmbench import lackey -: $(meta "$TMP/live.mmt" lackey.events_written) ACCESS events"
		else
			fail "d: live lackey:$why"
		fi
	fi
fi

echo "import_lackey: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
