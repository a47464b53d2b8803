#!/usr/bin/env bash
# tests/cli/test_vm.sh - exact virtual-memory figures of the replay and the
# golden /proc/PID/maps test.
#
# usage: tests/cli/test_vm.sh path/to/mmbench
#
# Checks, one output line each, then "vm: N passed, M failed":
#   a. page_fault1 (workloads/generate.c: 2 tasks x 4 iterations x one
#      128 MiB mapping written page by page = 262144 first writes) replays
#      under linux-default (THP madvise: no huge pages) with --check (every
#      checker, vm_check included) and gives exactly one fault_anon per
#      written page and no fault of any other class;
#   b. fork_cow (16 forks of a 64 MiB = 16384-page process; each child
#      writes 8192 pages and exits, the parent writes 4096 per fork): 16
#      forks, 17 exits, 16384 fault_anon, and the wp_copy / wp_reuse counts
#      an independent reference computes from the trace's event order with
#      the generator's rule (a write copies while the other side still maps
#      the original, reuses otherwise), copies + reuses = 16 x 12288; every
#      user page freed (pgfree - pgtable_free = 16384 + copies: each child
#      exit frees exactly the pages copied while it lived, the final munmap
#      the parent's 16384) and nothing resident at the end;
#   c. golden maps: tests/data/maps/maps_prog.mmt (recorded from
#      tests/progs/maps_prog) replayed with --dump maps at a MARK inserted
#      before the program's EXIT lists, inside the program's region, exactly
#      the lines of the real /proc/self/maps the program wrote
#      (tests/data/maps/maps_prog.maps).  Compared: start-end, permissions
#      and offset of every line; device and inode of anonymous lines
#      (00:00 0).  Not compared: device, inode and name of file mappings
#      (the model names files "file:ID", inode ID + 1) and anonymous names;
#   d. the same, recorded live now with `mmbench record` when the recorder
#      and tests/progs/maps_prog are built next to mmbench (skipped with a
#      note otherwise, or when the kernel refuses the program's fixed
#      addresses).
set -u

# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"
cli_init vm 300 "$@"
BUILD=$(dirname "$MMBENCH")
GOLD=$DATA/maps

# expect DIR METRIC WANT: pass when results.csv has METRIC = WANT
expect() {
	local got
	got=$(value "$1" "$2")
	if [ "$got" = "$3" ]; then
		pass "$(basename "$1"): $2 = $3"
	else
		fail "$(basename "$1"): $2 = '${got}', want $3"
	fi
}

# no_other_faults DIR CLASS...: pass when every count.fault_* row but the
# named classes is absent or 0, and so is every vm.faults.* row
no_other_faults() {
	local dir=$1 bad
	shift
	bad=$(awk -F, -v keep=" $* " '
		($4 ~ /^count\.fault_/ || $4 ~ /^vm\.faults\./) && $5 != 0 {
			c = $4; sub(/^count\.fault_/, "", c); sub(/^vm\.faults\./, "", c)
			if (index(keep, " " c " ") == 0) print $4 "=" $5
		}' "$dir/results.csv" | tr '\n' ' ')
	if [ -z "$bad" ]; then
		pass "$(basename "$dir"): no fault outside {$*}"
	else
		fail "$(basename "$dir"): unexpected faults: $bad"
	fi
}

# ---------------------------------------------------------------- a. page_fault1

run generate page_fault1 -o "$TMP/page_fault1.mmt"
[ "$rc" = 0 ] || fail "generate page_fault1: $(status_text "$rc"): $(first_line "$TMP/err")"
run replay "$TMP/page_fault1.mmt" --policy linux-default --check=50000 --no-timing --quiet \
	-o "$TMP/page_fault1"
if [ "$rc" = 0 ]; then
	pass "page_fault1 replays with --check"
	# 2 tasks x 4 iterations (PF1_TASKS x PF1_ITERS x scale 1) x 128 MiB / 4 KiB
	pages=$((2 * 4 * (128 << 20) / 4096))
	writes=$(awk '$4 == "ACCESS" && /flags=write/' <("$MMBENCH" dump "$TMP/page_fault1.mmt") | wc -l)
	if [ "$writes" = "$pages" ]; then
		pass "page_fault1: the trace writes $pages pages"
	else
		fail "page_fault1: the trace writes $writes pages, generate.c says $pages"
	fi
	expect "$TMP/page_fault1" count.fault_anon "$pages"
	expect "$TMP/page_fault1" vm.pgfault "$pages"
	expect "$TMP/page_fault1" vm.faults.anon "$pages"
	expect "$TMP/page_fault1" count.mmap 8
	expect "$TMP/page_fault1" count.munmap 8
	expect "$TMP/page_fault1" vm.rss_pages_end 0
	no_other_faults "$TMP/page_fault1" anon
else
	fail "page_fault1 replay: $(status_text "$rc"): $(first_line "$TMP/err")"
fi

# ---------------------------------------------------------------- b. fork_cow

run generate fork_cow -o "$TMP/fork_cow.mmt"
[ "$rc" = 0 ] || fail "generate fork_cow: $(status_text "$rc"): $(first_line "$TMP/err")"
run replay "$TMP/fork_cow.mmt" --policy linux-default --check=50000 --no-timing --quiet \
	-o "$TMP/fork_cow"
if [ "$rc" = 0 ]; then
	pass "fork_cow replays with --check"
	# The reference: the generator's COW rule (cow_step) applied in trace order.
	# Parent 1000's writes before the first FORK are first touches; after
	# it, a write copies if the other side still maps the original page
	# (the child is alive and has not written it, or for the child: the
	# parent has not written it), else reuses.  A child's EXIT frees the
	# pages copied while it lived.
	read -r anon copies reuses forks exits freed_exit < <("$MMBENCH" dump "$TMP/fork_cow.mmt" | awk '
	function field(name,   i) {
		for (i = 5; i <= NF; i++)
			if (index($i, name "=") == 1)
				return substr($i, length(name) + 2)
		return ""
	}
	{ split($2, pt, "/"); pid = pt[1] }
	$4 == "FORK" { forks++; child = field("child"); alive = 1; iter_copies = 0; delete w; next }
	$4 == "EXIT" { exits++; if (pid == child && alive) { alive = 0; freed += iter_copies }; next }
	$4 != "ACCESS" || $0 !~ /flags=write/ { next }
	{
		a = field("addr")
		if (!forks) { anon++; next }
		if (pid == child) {
			if (w[a] ~ /c/) next
			if (w[a] ~ /p/) reuses++; else { copies++; iter_copies++ }
			w[a] = w[a] "c"
		} else {
			if (w[a] ~ /p/) next
			if (alive && w[a] !~ /c/) { copies++; iter_copies++ } else reuses++
			w[a] = w[a] "p"
		}
	}
	END { print anon + 0, copies + 0, reuses + 0, forks + 0, exits + 0, freed + 0 }')
	expect "$TMP/fork_cow" count.fork 16
	expect "$TMP/fork_cow" count.exit 17
	if [ "$forks" = 16 ] && [ "$exits" = 17 ] && [ "$anon" = 16384 ]; then
		pass "fork_cow reference: 16 forks, 17 exits, 16384 first touches"
	else
		fail "fork_cow reference: forks $forks exits $exits first touches $anon, want 16 17 16384"
	fi
	if [ $((copies + reuses)) = $((16 * (8192 + 4096))) ] && [ "$freed_exit" = "$copies" ]; then
		pass "fork_cow reference: $copies copies + $reuses reuses = 16 x 12288"
	else
		fail "fork_cow reference: $copies copies + $reuses reuses (freed at exits $freed_exit)"
	fi
	expect "$TMP/fork_cow" count.fault_anon 16384
	expect "$TMP/fork_cow" count.fault_wp_copy "$copies"
	expect "$TMP/fork_cow" count.fault_wp_reuse "$reuses"
	expect "$TMP/fork_cow" vm.cow_copies "$copies"
	no_other_faults "$TMP/fork_cow" anon wp_copy wp_reuse
	user_freed=$(( $(value "$TMP/fork_cow" pgfree) - $(value "$TMP/fork_cow" vm.pgtable_free) ))
	if [ "$user_freed" = $((16384 + freed_exit)) ]; then
		pass "fork_cow: $user_freed user pages freed = $freed_exit at child exits + 16384 at munmap"
	else
		fail "fork_cow: $user_freed user pages freed, want $freed_exit + 16384"
	fi
	expect "$TMP/fork_cow" vm.rss_pages_end 0
else
	fail "fork_cow replay: $(status_text "$rc"): $(first_line "$TMP/err")"
fi

# ---------------------------------------------------------------- c, d. golden maps

REGION_LO=3f0000000000
REGION_HI=3f0000100000

# model_maps TRACE OUT: replay TRACE with a MARK before its first EXIT and
# write the model's maps lines of that process inside the region to OUT
model_maps() {
	local trace=$1 out=$2 dir
	dir=$TMP/replay-$(basename "$out")
	"$MMBENCH" dump "$trace" |
		awk '$4 == "EXIT" && !done { printf "%s %s %s MARK name=\"maps\"\n", $1, $2, $3; done = 1 } { print }' \
		>"$TMP/marked.txt"
	run import text "$TMP/marked.txt" -o "$TMP/marked.mmt"
	[ "$rc" = 0 ] || return 1
	run replay "$TMP/marked.mmt" --dump maps --check=1 --no-timing --quiet -o "$dir"
	[ "$rc" = 0 ] || return 1
	# 12-digit lowercase hex compares as strings
	awk -v lo=$REGION_LO -v hi=$REGION_HI '
		/^== pid/ { next }
		{ split($1, r, "-") }
		length(r[1]) == 12 && length(r[2]) == 12 && r[1] >= lo && r[2] <= hi' \
		"$dir"/dumps/mark-*-maps/maps >"$out"
}

# compare_maps REAL MODEL LABEL: the compared fields of both files must match
compare_maps() {
	local label=$3
	# start-end perms offset; dev inode too for anonymous lines (inode 0)
	norm() { awk '{ if ($5 == 0) print $1, $2, $3, $4, $5; else print $1, $2, $3 }' "$1"; }
	if [ ! -s "$1" ]; then
		fail "$label: no real maps lines"
	elif diff <(norm "$1") <(norm "$2") >"$TMP/maps.diff"; then
		pass "$label: model maps = real maps ($(wc -l <"$1") lines)"
	else
		fail "$label: model maps differ from the real kernel's: $(tr '\n' '|' <"$TMP/maps.diff" | cut -c 1-400)"
	fi
}

if model_maps "$GOLD/maps_prog.mmt" "$TMP/golden.model"; then
	compare_maps "$GOLD/maps_prog.maps" "$TMP/golden.model" "golden maps_prog"
	# the comparison itself can fail: one changed offset must be caught
	sed '1s/ 00000000 / 00001000 /' "$TMP/golden.model" >"$TMP/golden.bad"
	if diff -q <(awk '{ print $1, $2, $3 }' "$GOLD/maps_prog.maps") \
		   <(awk '{ print $1, $2, $3 }' "$TMP/golden.bad") >/dev/null; then
		fail "golden maps: a changed offset compares equal"
	else
		pass "golden maps: a changed offset is caught"
	fi
else
	fail "golden maps_prog replay: $(status_text "$rc"): $(first_line "$TMP/err")"
fi

PROG=$BUILD/tests/progs/maps_prog
if [ -x "$PROG" ] && [ -e "$BUILD/libmmbench-record.so" ]; then
	mkdir -p "$TMP/live"
	(cd "$TMP/live" && timeout "$TIMEOUT" "$MMBENCH" record -o live.mmt -- "$PROG" live.maps \
		>"$TMP/out" 2>"$TMP/err")
	rc=$?
	if [ "$rc" = 0 ] && model_maps "$TMP/live/live.mmt" "$TMP/live.model"; then
		compare_maps "$TMP/live/live.maps" "$TMP/live.model" "live maps_prog"
		if diff <(awk '{ print $1, $2, $3 }' "$TMP/live/live.maps") \
			<(awk '{ print $1, $2, $3 }' "$GOLD/maps_prog.maps") >/dev/null; then
			pass "live maps_prog: the real kernel still gives the golden layout"
		else
			fail "live maps_prog: the real layout differs from tests/data/maps/maps_prog.maps"
		fi
	elif grep -q "File exists" "$TMP/err"; then
		echo "note  live maps_prog skipped: its fixed region is taken on this machine"
	else
		fail "live maps_prog: $(status_text "$rc"): $(first_line "$TMP/err")"
	fi
else
	echo "note  live maps_prog skipped: $PROG or the recorder is not built"
fi

echo "vm: $passed passed, $failed failed"
[ "$failed" = 0 ]
