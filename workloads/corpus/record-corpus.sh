#!/usr/bin/env bash
# workloads/corpus/record-corpus.sh MMBENCH [NAME...]: record the bundled
# corpus of real traces into traces/corpus/ with `mmbench record`, and write
# traces/corpus/MANIFEST.md saying how each was recorded.
#
# Every workload is a real program from Debian run on fixed, generated input
# (no network, no clock-dependent input), so a re-recording differs only by
# what the machine and its libraries do.  The *-kernel traces add the kernel's
# own view (perf tracepoints: page allocations, slab, page faults, mm
# syscalls) with `mmbench record --kernel`, which needs root and perf; they
# are the ones whose real outcome (minor faults, max RSS) the model is checked
# against.
set -euo pipefail
mmbench=$(realpath "$1"); shift
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/traces/corpus
work=$(mktemp -d /tmp/mmbench-corpus.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
cd "$work"

# Deterministic inputs.
seq 1 200000 | awk '{ srand($1); printf "%08x %d line-%d\n", int(rand() * 4294967295), $1 * 7919 % 100003, $1 }' > lines.txt
head -c 4000000 /dev/zero | tr '\0' 'a' > /dev/null
awk 'BEGIN { for (i = 0; i < 60000; i++) printf "%d the quick brown fox %d jumps over %d lazy dogs\n", i, i * 31 % 977, i % 13 }' > text.txt
cat > sql.txt <<'SQL'
CREATE TABLE t(id INTEGER PRIMARY KEY, k TEXT, v BLOB);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000)
INSERT INTO t SELECT x, printf('key-%08d', x * 7919 % 20011), randomblob(64 + x % 200) FROM c;
CREATE INDEX tk ON t(k);
SELECT count(*), sum(length(v)) FROM t WHERE k > 'key-00005000';
DELETE FROM t WHERE id % 3 = 0;
VACUUM;
SQL
cp "$root/tests/progs/rec_prog.c" prog.c

py=/usr/bin/python3
declare -A cmd desc
cmd[python-json]="env PYTHONMALLOC=malloc $py -c 'import json; d=[{\"k\": str(i), \"v\": [i]*5, \"s\": \"x\"*(i%50)} for i in range(8000)]; s=json.dumps(d); json.loads(s)'"
desc[python-json]="CPython 3.11 building, serializing and parsing a JSON document (PYTHONMALLOC=malloc: every object through malloc)"
cmd[sqlite]="sqlite3 :memory: < sql.txt"
desc[sqlite]="SQLite 3.40: 20,000 rows with blobs, an index, a range query, deletes and VACUUM in memory"
cmd[gcc]="gcc -D_GNU_SOURCE -O2 -c prog.c -o prog.o"
desc[gcc]="GCC 12 compiling a 300-line C file (tests/progs/rec_prog.c) at -O2: the driver forks cc1 and as (fork, exec, three processes)"
cmd[sort]="sort -k2,2n -k1,1 lines.txt -o sorted.txt"
desc[sort]="GNU sort of 200,000 generated lines on two keys"
cmd[xz]="xz -T1 -6 -k -c text.txt > text.xz"
desc[xz]="xz -6 compressing 3 MB of generated text, one thread (large buffers through mmap)"
cmd[perl]="perl -e 'my %h; \$h{\"k\$_\"} = [\$_, \"v\" x (\$_ % 40)] for 1..40000; my \$n = 0; \$n += length(\$h{\$_}[1]) for keys %h; delete \$h{\"k\$_\"} for grep { \$_ % 2 } 1..40000; print \$n, \"\\n\"' > /dev/null"
desc[perl]="Perl 5.36 filling a 40,000-entry hash of arrays, walking it and deleting half"
cmd[python-json-kernel]="${cmd[python-json]}"
desc[python-json-kernel]="python-json recorded with --kernel: user-level calls plus the kernel's page allocations, slab calls and page faults"
cmd[sqlite-kernel]="${cmd[sqlite]}"
desc[sqlite-kernel]="sqlite recorded with --kernel: user-level calls plus the kernel's page allocations, slab calls and page faults"

names=("$@")
[ ${#names[@]} -gt 0 ] || names=(python-json sqlite gcc sort xz perl python-json-kernel sqlite-kernel)
for n in "${names[@]}"; do
	flags=()
	case $n in *-kernel) flags=(--kernel) ;; esac
	echo "record-corpus: $n" >&2
	"$mmbench" record "${flags[@]}" -o "$out/$n.mmt" -- sh -c "${cmd[$n]}" >/dev/null
done

{
	echo "# The bundled corpus"
	echo
	echo "Real traces of real programs, recorded on $(date -u +%Y-%m-%d) by"
	echo "\`workloads/corpus/record-corpus.sh\` with \`mmbench record\` on Debian 12"
	echo "(kernel $(uname -r), $(nproc) CPUs).  Each runs under \`sh -c\`, so the shell's fork"
	echo "and exec are part of the trace.  Re-record with"
	echo "\`workloads/corpus/record-corpus.sh build/mmbench [NAME...]\` (the *-kernel ones need"
	echo "root and perf).  \`mmbench info traces/corpus/NAME.mmt\` shows the metadata:"
	echo "command line, kernel, and each process's real minor faults and max RSS."
	echo
	echo "| trace | events | bytes | what | command |"
	echo "|---|---|---|---|---|"
	for n in python-json sqlite gcc sort xz perl python-json-kernel sqlite-kernel; do
		t=$out/$n.mmt
		[ -e "$t" ] || continue
		ev=$("$mmbench" info "$t" | awk '/^events:/ {print $2}')
		printf '| %s | %s | %s | %s | `%s` |\n' "$n" "$ev" "$(stat -c %s "$t")" "${desc[$n]}" \
			"$(printf '%s' "${cmd[$n]}" | sed 's/|/\\|/g')"
	done
} > "$out/MANIFEST.md"
echo "record-corpus: $(ls "$out"/*.mmt | wc -l) traces in $out" >&2
