#!/usr/bin/env bash
# tests/cli/test_record.sh - command-line tests of `mmbench record` and the
# LD_PRELOAD recorder.
#
# usage: tests/cli/test_record.sh path/to/mmbench
#
# libmmbench-record.so and tests/progs/rec_prog must sit in mmbench's build
# directory (make all and the cli-test target build them).  Checks, one
# output line each, then "record: N passed, M failed":
#   a. `ls`, `sh -c 'echo hi; exit 3'` and a forking pipeline: stdout equal
#      to the unrecorded run, the exit status propagated, the pipeline's
#      trace has >= 3 processes with FORK and EXEC events and no event of a
#      process after its EXIT; a program that drops LD_PRELOAD from the
#      environment it passes to exec still has its children recorded;
#   b. rec_prog all (malloc family, mmaps, fork, vfork+exec, fork+exec,
#      4 threads freeing each other's objects, _exit(5)): same stdout, exit
#      5, the exact counts of every non-malloc event type, processes and
#      threads, >= the known malloc-family counts, object-id integrity (every
#      FREE and REALLOC names a live id, no ALLOC of a live id), nothing
#      after a process's or thread's EXIT, no unknown
#      frees, the metadata keys (cmdline, origin, real.*, proc.PID.*);
#   c. the trace replays (`mmbench replay`) and runs on glibc
#      (`mmbench baseline --allocator glibc`);
#   d. a program killed by SIGSEGV or abort() exits 139 / 134 and its
#      events and EXIT (code 128+signal) are in the trace;
#   e. 8 threads allocating and freeing across threads record without loss;
#   f. python3 running a small script: same stdout, a valid trace with
#      allocations, id integrity;
#   g. usage errors exit 2; a missing command exits 127; --kernel without
#      a usable perf exits 1 without running the command; with perf,
#      --kernel --no-user writes a readable trace and --kernel merges the
#      user and kernel events of a program that aborts (exit 134 kept), and
#      keeps one copy of the forks, execs, exits and mm syscalls both see.
set -u

# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
cli_init record 120 "$@"
BUILD=$(dirname "$MMBENCH")
PROG=$BUILD/tests/progs/rec_prog
for f in "$BUILD/libmmbench-record.so" "$PROG"; do
	if [ ! -e "$f" ]; then
		echo "record: $f is missing (make all and $PROG)" >&2
		exit 2
	fi
done
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)

# count TRACE TYPE: events of TYPE (0 when none)
count() {
	"$MMBENCH" info --format json "$1" | "$PY" -c "import json,sys; print(json.load(sys.stdin)['events_by_type'].get('$2', 0))"
}

# info_field TRACE KEY: a top-level field of info --format json
info_field() {
	"$MMBENCH" info --format json "$1" | "$PY" -c "import json,sys; print(json.load(sys.stdin)['$2'])"
}

# meta TRACE KEY: a metadata value (empty when absent)
meta() {
	"$MMBENCH" info --format json "$1" | "$PY" -c "
import json,sys
m = dict(json.load(sys.stdin)['metadata'])
print(m.get('$2', ''))"
}

# integrity TRACE: prints nothing when every FREE / REALLOC names a live id
# and no ALLOC names a live one, else the first offending line
integrity() {
	"$MMBENCH" dump "$1" | awk '
	function field(name,   i) {
		for (i = 5; i <= NF; i++)
			if (index($i, name "=") == 1)
				return substr($i, length(name) + 2)
		return ""
	}
	$4 == "ALLOC" { id = field("id"); if (id in live) { print "ALLOC of live id: " $0; exit } live[id] = 1 }
	$4 == "FREE" { id = field("id"); if (!(id in live)) { print "FREE of dead id: " $0; exit } delete live[id] }
	$4 == "REALLOC" {
		o = field("old_id"); n = field("new_id")
		if (!(o in live)) { print "REALLOC of dead id: " $0; exit }
		delete live[o]
		if (n in live) { print "REALLOC to live id: " $0; exit }
		live[n] = 1
	}'
}

# exit_last TRACE: prints nothing when no process has an event after its
# EXIT (and no thread after its thread EXIT), else the first offending line
exit_last() {
	"$MMBENCH" dump "$1" | awk '
	$4 == "" { next }
	{ split($2, pt, "/") }
	(pt[1] in gone) || ($2 in tgone) { print "event after EXIT: " $0; exit }
	$4 == "EXIT" { if ($0 ~ /flags=thread/) tgone[$2] = 1; else gone[pt[1]] = 1 }'
}

# record NAME CMD...: record CMD into $TMP/NAME.mmt; stdout in $TMP/NAME.out,
# stderr in $TMP/NAME.err, status in rc
record() {
	local name=$1
	shift
	timeout "$TIMEOUT" "$MMBENCH" record -o "$TMP/$name.mmt" -- "$@" \
		>"$TMP/$name.out" 2>"$TMP/$name.err"
	rc=$?
}

# ---------------------------------------------------------------- a. simple commands
ls / >"$TMP/ls.want"
record ls ls /
if [ "$rc" -eq 0 ] && cmp -s "$TMP/ls.want" "$TMP/ls.out" && [ "$(count "$TMP/ls.mmt" EXEC)" -ge 1 ] &&
	[ "$(count "$TMP/ls.mmt" ALLOC)" -gt 0 ]; then
	pass "a: record ls: same stdout, exit 0, EXEC and ALLOC events"
else
	fail "a: record ls: exit $rc: $(first_line "$TMP/ls.err")"
fi
record sh sh -c 'echo hi; exit 3'
if [ "$rc" -eq 3 ] && [ "$(cat "$TMP/sh.out")" = "hi" ] && [ "$(count "$TMP/sh.mmt" EXIT)" -eq 1 ]; then
	pass "a: record sh -c 'echo hi; exit 3': prints hi, exits 3"
else
	fail "a: record sh exit 3: exit $rc, stdout '$(first_line "$TMP/sh.out")'"
fi
sh -c 'ls /usr/bin | sort | head' >"$TMP/pipe.want"
record pipe sh -c 'ls /usr/bin | sort | head'
procs=$(info_field "$TMP/pipe.mmt" processes 2>/dev/null)
if [ "$rc" -eq 0 ] && cmp -s "$TMP/pipe.want" "$TMP/pipe.out" && [ "${procs:-0}" -ge 3 ] &&
	[ "$(count "$TMP/pipe.mmt" FORK)" -ge 2 ] && [ "$(count "$TMP/pipe.mmt" EXEC)" -ge 3 ] &&
	[ -z "$(exit_last "$TMP/pipe.mmt")" ]; then
	pass "a: a forking pipeline: same stdout, $procs processes with FORK and EXEC"
else
	fail "a: pipeline: exit $rc, processes ${procs:-?}: $(first_line "$TMP/pipe.err")"
fi

record envu env -u LD_PRELOAD -u MMBENCH_RECORD_DIR sh -c 'ls / >/dev/null'
if [ "$rc" -eq 0 ] && [ "$(count "$TMP/envu.mmt" EXEC)" -ge 3 ] &&
	"$MMBENCH" dump "$TMP/envu.mmt" | grep -q 'EXEC path="/usr/bin/ls"'; then
	pass "a: a program that drops LD_PRELOAD from its environment: its exec'd children still recorded"
else
	fail "a: env -u LD_PRELOAD: exit $rc, EXEC $(count "$TMP/envu.mmt" EXEC)"
fi

# ---------------------------------------------------------------- b. the test program
"$PROG" all >"$TMP/prog.want"
want_rc=$?
record prog "$PROG" all
t=$TMP/prog.mmt
why=
[ "$want_rc" -eq 5 ] && [ "$rc" -eq 5 ] || why="exit $rc (unrecorded $want_rc)"
cmp -s "$TMP/prog.want" "$TMP/prog.out" || why="$why stdout differs"
# FORK: fork, vfork, fork+exec, 4 threads; EXEC: rec_prog, true, echo;
# EXIT: 4 processes and 4 threads
for tc in MMAP:2 MUNMAP:2 MREMAP:1 MPROTECT:2 MADVISE:1 FORK:7 EXEC:3 EXIT:8; do
	n=$(count "$t" "${tc%%:*}")
	[ "$n" = "${tc#*:}" ] || why="$why ${tc%%:*} $n != ${tc#*:}"
done
[ "$(info_field "$t" processes)" = 4 ] || why="$why processes $(info_field "$t" processes) != 4"
[ "$(info_field "$t" threads)" = 8 ] || why="$why threads $(info_field "$t" threads) != 8"
# 1000 malloc + 1000 calloc + 4 aligned + valloc + 2 realloc(NULL)-like, the
# child's 1000 and the threads' 4000
[ "$(count "$t" ALLOC)" -ge 7007 ] || why="$why ALLOC $(count "$t" ALLOC) < 7007"
[ "$(count "$t" FREE)" -ge 7006 ] || why="$why FREE $(count "$t" FREE) < 7006"
[ "$(count "$t" REALLOC)" -ge 1001 ] || why="$why REALLOC $(count "$t" REALLOC) < 1001"
bad=$(integrity "$t")
[ -z "$bad" ] || why="$why integrity: $bad"
bad=$(exit_last "$t")
[ -z "$bad" ] || why="$why $bad"
[ "$(meta "$t" unknown_frees)" = 0 ] || why="$why unknown_frees $(meta "$t" unknown_frees)"
[ "$(meta "$t" lost_records)" = 0 ] || why="$why lost_records $(meta "$t" lost_records)"
"$MMBENCH" dump "$t" | grep -q 'FORK child=[0-9]* flags=vfork' || why="$why no vfork FORK"
"$MMBENCH" dump "$t" | grep -q 'EXEC path="/bin/true"' || why="$why no EXEC /bin/true"
"$MMBENCH" dump "$t" | grep -q 'MMAP len=4096 prot=r-- flags=private file=0 ' || why="$why no file MMAP"
"$MMBENCH" dump "$t" | grep -q 'EXIT code=5$' || why="$why no EXIT code=5 (_exit)"
if [ -z "$why" ]; then
	pass "b: rec_prog all: same stdout, exit 5, exact event counts, 4 processes, 8 threads, ids intact"
else
	fail "b: rec_prog all:$why"
fi
why=
[ "$(meta "$t" source)" = user-recorder ] || why="$why source"
[ "$(meta "$t" cmdline)" = "$PROG all" ] || why="$why cmdline '$(meta "$t" cmdline)'"
[[ $(meta "$t" clock_monotonic_origin_ns) =~ ^[0-9]+$ ]] || why="$why origin"
[ -n "$(meta "$t" kernel_release)" ] && [ -n "$(meta "$t" hostname)" ] || why="$why host keys"
for k in real.minflt real.majflt real.maxrss_kb real.vmhwm_kb; do
	[[ $(meta "$t" $k) =~ ^[0-9]+$ ]] || why="$why $k"
done
[ "$(meta "$t" real.maxrss_kb)" -gt 1000 ] 2>/dev/null || why="$why real.maxrss_kb too small"
root=$("$MMBENCH" dump "$t" | awk '$4 == "EXEC" { split($2, p, "/"); print p[1]; exit }')
for k in minflt maxrss_kb maps_start maps_end; do
	[ -n "$(meta "$t" "proc.$root.$k")" ] || why="$why proc.$root.$k"
done
meta "$t" "proc.$root.maps_end" | grep -q 'rec_prog; ' || why="$why maps_end lacks the program"
if [ -z "$why" ]; then
	pass "b: metadata: source, cmdline, origin, host, real.*, proc.$root.* with maps"
else
	fail "b: metadata:$why"
fi

# ---------------------------------------------------------------- c. replay and baseline
run replay "$t" -o "$TMP/replay"
if [ "$rc" -eq 0 ] && [ -s "$TMP/replay/results.csv" ]; then
	pass "c: the recorded trace replays"
else
	fail "c: replay: exit $rc: $(first_line "$TMP/err")"
fi
if [ -x "$BUILD/mmbench-native" ]; then
	run baseline --allocator glibc "$t" -o "$TMP/base"
	if [ "$rc" -eq 0 ] && [ -s "$TMP/base/results.csv" ]; then
		pass "c: the recorded trace runs on glibc (baseline)"
	else
		fail "c: baseline glibc: exit $rc: $(first_line "$TMP/err")"
	fi
fi

# ---------------------------------------------------------------- d. fatal signals
for sc in segv:139 abort:134; do
	m=${sc%%:*}
	record "$m" "$PROG" "$m"
	t=$TMP/$m.mmt
	code=$("$MMBENCH" dump "$t" 2>/dev/null | awk '$4 == "EXIT" { sub("code=", "", $5); print $5 }')
	if [ "$rc" -eq "${sc#*:}" ] && [ "$(cat "$TMP/$m.out")" = "dying now" ] &&
		[ "$(count "$t" ALLOC)" -ge 1000 ] && [ "$code" = "${sc#*:}" ]; then
		pass "d: rec_prog $m: exit $rc, 1000+ ALLOC and EXIT code=$code kept"
	else
		fail "d: rec_prog $m: exit $rc (want ${sc#*:}), EXIT code '$code': $(first_line "$TMP/$m.err")"
	fi
done

# ---------------------------------------------------------------- e. threads without loss
record thr "$PROG" threads 8
t=$TMP/thr.mmt
bad=$(integrity "$t")
if [ "$rc" -eq 0 ] && [ "$(count "$t" ALLOC)" -ge 8000 ] && [ "$(count "$t" FREE)" -ge 8000 ] &&
	[ -z "$bad" ] && [ "$(info_field "$t" threads)" = 9 ] && [ "$(count "$t" FORK)" = 8 ] &&
	[ "$(meta "$t" lost_records)" = 0 ] && [ "$(meta "$t" unknown_frees)" = 0 ]; then
	pass "e: 8 threads freeing each other's objects: every event kept, ids intact"
else
	fail "e: threads: exit $rc, ALLOC $(count "$t" ALLOC), FREE $(count "$t" FREE), threads $(info_field "$t" threads) $bad"
fi

# ---------------------------------------------------------------- f. python3
script='import json
d = [{"k": str(i), "v": list(range(i % 7))} for i in range(20000)]
s = json.dumps(d)
print(len(s), len(json.loads(s)))'
"$PY" -c "$script" >"$TMP/py.want"
record py "$PY" -c "$script"
t=$TMP/py.mmt
bad=$(integrity "$t")
if [ "$rc" -eq 0 ] && cmp -s "$TMP/py.want" "$TMP/py.out" && [ "$(count "$t" ALLOC)" -gt 100 ] &&
	[ "$(count "$t" MMAP)" -gt 0 ] && [ -z "$bad" ] && [ "$(count "$t" EXEC)" -ge 1 ]; then
	pass "f: python3 script: same stdout, $(count "$t" ALLOC) ALLOC, $(count "$t" MMAP) MMAP, ids intact"
else
	fail "f: python3: exit $rc, ALLOC $(count "$t" ALLOC) $bad: $(first_line "$TMP/py.err")"
fi

# ---------------------------------------------------------------- g. usage and errors
run record -- true
[ "$rc" -eq 2 ] && pass "g: no -o: exit 2" || fail "g: no -o: exit $rc"
run record -o "$TMP/x.mmt" --no-user -- true
[ "$rc" -eq 2 ] && pass "g: --no-user without --kernel: exit 2" || fail "g: --no-user: exit $rc"
run record -o "$TMP/x.mmt"
[ "$rc" -eq 2 ] && pass "g: no command: exit 2" || fail "g: no command: exit $rc"
run record -o "$TMP/x.mmt" -- /nonexistent/program
[ "$rc" -eq 127 ] && pass "g: a missing command: exit 127" || fail "g: missing command: exit $rc"
run record --help
if [ "$rc" -eq 0 ] && grep -q '128+N' "$TMP/out"; then
	pass "g: --help says how signal deaths are reported"
else
	fail "g: --help: exit $rc"
fi
run record --kernel --no-user -o "$TMP/k.mmt" -- sh -c "touch '$TMP/kernel-ran'"
if [ "$rc" -eq 1 ] && [ ! -e "$TMP/kernel-ran" ] && grep -q 'perf' "$TMP/err"; then
	pass "g: --kernel without a usable perf: exit 1, command not run ($(first_line "$TMP/err" | cut -c 1-80))"
elif [ "$rc" -eq 0 ] && [ -e "$TMP/kernel-ran" ] && "$MMBENCH" info "$TMP/k.mmt" >/dev/null; then
	pass "g: --kernel --no-user: the command ran and its kernel trace reads back"
	timeout "$TIMEOUT" "$MMBENCH" record --kernel -o "$TMP/kern.mmt" -- "$PROG" abort \
		>"$TMP/kern.out" 2>"$TMP/kern.err"
	rc=$?
	t=$TMP/kern.mmt
	if [ "$rc" -eq 134 ] && [ "$(count "$t" ALLOC)" -ge 1000 ] &&
		[ $(($(count "$t" PAGE_ALLOC) + $(count "$t" FAULT))) -gt 0 ] && [ -z "$(integrity "$t")" ]; then
		pass "g: --kernel: user and kernel events merged ($(count "$t" ALLOC) ALLOC, $(count "$t" FAULT) FAULT), exit 134 kept"
	else
		fail "g: --kernel: exit $rc, ALLOC $(count "$t" ALLOC): $(first_line "$TMP/kern.err")"
	fi
	# both levels see fork, exec, exit and the mm syscalls: one copy is kept
	# (sh's own EXEC is perf's start of the command: 3 EXEC, 2 FORK)
	run record --kernel -o "$TMP/kfork.mmt" -- sh -c "/bin/true; /bin/true"
	t=$TMP/kfork.mmt
	procs=$(info_field "$t" processes 2>/dev/null)
	dups=$("$MMBENCH" dump "$t" 2>/dev/null | awk '$4 ~ /^(FORK|EXEC|EXIT|MMAP)$/ { $1 = ""; print }' | sort | uniq -d | wc -l)
	if [ "$rc" -eq 0 ] && [ "${procs:-0}" -eq 3 ] && [ "$(count "$t" FORK)" -eq 2 ] &&
	   [ "$(count "$t" EXEC)" -eq 3 ] && [ "$dups" -eq 0 ] && [ "$(meta "$t" merge.dropped.input0)" -gt 0 ]; then
		pass "g: --kernel: fork, exec, exit and mm syscalls once each (the user level's copies dropped)"
	else
		fail "g: --kernel: $procs processes, $(count "$t" FORK) FORK, $(count "$t" EXEC) EXEC, $dups duplicated events: $(first_line "$TMP/err")"
	fi
else
	fail "g: --kernel: exit $rc: $(first_line "$TMP/err")"
fi

echo "record: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
