# tests/cli/lib.sh - what the command-line test scripts share.  Source it,
# then call `cli_init NAME TIMEOUT "$@"` with the script's arguments.
#
# cli_init checks that $1 is an executable mmbench and sets:
#   MMBENCH  its absolute path        ROOT  the repository
#   DATA     tests/data               TMP   a scratch directory, removed at exit
#   TIMEOUT  seconds per command      passed, failed  the counters
# and makes sanitizer reports exit 99, so they never pass for an "exit 1".
# pass/fail print one "ok"/"FAIL" line and count it; run runs mmbench under
# the time limit with stdout in $TMP/out, stderr in $TMP/err and the exit
# status in rc; status_text describes an exit status; first_line and value
# read files.

cli_init() {
	local name=$1
	TIMEOUT=$2
	shift 2
	if [ $# -ne 1 ]; then
		echo "usage: $0 path/to/mmbench" >&2
		exit 2
	fi
	MMBENCH=$1
	case $MMBENCH in /*) ;; *) MMBENCH=$PWD/$MMBENCH ;; esac
	if [ ! -x "$MMBENCH" ]; then
		echo "$name: $MMBENCH is not an executable" >&2
		exit 2
	fi
	ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	DATA=$ROOT/tests/data
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/mmbench-$name.XXXXXX") || exit 2
	trap 'rm -rf "$TMP"' EXIT
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=99"
	export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}exitcode=99:print_stacktrace=1"
	passed=0
	failed=0
}

pass() {
	passed=$((passed + 1))
	echo "ok    $*"
}

fail() {
	failed=$((failed + 1))
	echo "FAIL  $*"
}

# Run mmbench under a time limit; sets rc, stdout in $TMP/out, stderr in $TMP/err.
run() {
	timeout "$TIMEOUT" "$MMBENCH" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
}

# Describe an exit status that is not 0, 1 or 2.
status_text() {
	case $1 in
	124) echo "timed out after ${TIMEOUT}s" ;;
	99) echo "sanitizer report" ;;
	*) if [ "$1" -ge 128 ]; then echo "killed by signal $(($1 - 128))"; else echo "exit $1"; fi ;;
	esac
}

first_line() {
	head -n 1 "$1" | cut -c 1-300
}

# value DIR METRIC: the value of METRIC in DIR/results.csv (empty if absent).
value() {
	awk -F, -v m="$2" '$4 == m { print $5; exit }' "$1/results.csv"
}
