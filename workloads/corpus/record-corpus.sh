#!/usr/bin/env bash
# workloads/corpus/record-corpus.sh MMBENCH [NAME...]: record the bundled
# corpus of real traces into traces/corpus/ with `mmbench record`, and write
# traces/corpus/MANIFEST.md saying how each was recorded.  `make corpus`
# runs it (CORPUS="NAME..." for some only).
#
# Every workload is a real program from Debian run on fixed, generated input
# (no network, no clock-dependent input), so a re-recording differs only by
# what the machine and its libraries do.  The *-kernel traces add the kernel's
# own view (perf tracepoints: page allocations, slab, page faults, mm
# syscalls) with `mmbench record --kernel`, which needs root and perf; they
# are the ones whose real outcome (minor faults, max RSS) the model is checked
# against.  Without NAMEs every trace is recorded, except that the *-kernel
# ones are skipped (with a message) when root or perf is missing; a *-kernel
# NAME given explicitly is recorded or fails.
#
# MANIFEST.md has a row for every trace present in traces/corpus/, recorded in
# this run or not: its command, the Debian package(s) and version of the
# program, its recording date (the trace's start_time), event counts by kind
# and size.  The version of a trace not recorded in this run is kept from the
# previous MANIFEST.md (it is the version that trace was recorded with).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 MMBENCH [NAME...]" >&2; exit 2; }
mmbench=$(realpath "$1"); shift
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/traces/corpus
# The issue's bound on the bundled corpus.
max_total_bytes=$((30 * 1024 * 1024))

# Every trace, in MANIFEST order: the one list of names.
all=(python-json sqlite gcc sort xz perl git pipeline python-json-kernel sqlite-kernel)

py=/usr/bin/python3
# cmd: what `sh -c` runs in the work dir; desc: what it exercises; pkgs: the
# Debian packages whose version the MANIFEST gives (the program first).
declare -A cmd desc pkgs recorded
cmd[python-json]="env PYTHONMALLOC=malloc $py -c 'import json; d=[{\"k\": str(i), \"v\": [i]*5, \"s\": \"x\"*(i%50)} for i in range(8000)]; s=json.dumps(d); json.loads(s)'"
desc[python-json]="CPython 3.11 building, serializing and parsing a JSON document (PYTHONMALLOC=malloc: every object through malloc)"
pkgs[python-json]="python3.11-minimal"
cmd[sqlite]="sqlite3 :memory: < sql.txt"
desc[sqlite]="SQLite 3.40: 20,000 rows with blobs, an index, a range query, deletes and VACUUM in memory"
pkgs[sqlite]="sqlite3 libsqlite3-0"
cmd[gcc]="gcc -D_GNU_SOURCE -O2 -c prog.c -o prog.o"
desc[gcc]="GCC 12 compiling a 300-line C file (tests/progs/rec_prog.c) at -O2: the driver forks cc1 and as (fork, exec, three processes)"
pkgs[gcc]="gcc-12 binutils"
cmd[sort]="sort -k2,2n -k1,1 lines.txt -o sorted.txt"
desc[sort]="GNU sort of 200,000 generated lines on two keys"
pkgs[sort]="coreutils"
cmd[xz]="xz -T1 -6 -k -c text.txt > text.xz"
desc[xz]="xz -6 compressing 3 MB of generated text, one thread (large buffers through mmap)"
pkgs[xz]="xz-utils liblzma5"
cmd[perl]="perl -e 'my %h; \$h{\"k\$_\"} = [\$_, \"v\" x (\$_ % 40)] for 1..40000; my \$n = 0; \$n += length(\$h{\$_}[1]) for keys %h; delete \$h{\"k\$_\"} for grep { \$_ % 2 } 1..40000; print \$n, \"\\n\"' > /dev/null"
desc[perl]="Perl 5.36 filling a 40,000-entry hash of arrays, walking it and deleting half"
pkgs[perl]="perl-base"
# git: the repository (repo/, made below) has its 729 objects loose, so `git
# log -p` maps and unmaps each object it reads; then gc forks and execs
# pack-refs, reflog, repack (which runs pack-objects), prune, worktree and
# rerere.  No system or global config: the shape must not depend on the
# machine's.  pack.threads=1: one delta-search thread, the same on any CPU count.
cmd[git]="export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null; cd repo && git log -p --stat | wc > ../log.wc && git -c pack.threads=1 gc --quiet"
desc[git]="git on a local repository of 300 generated C files in 6 commits: \`log -p --stat\` over loose objects (an mmap and munmap per object), then \`gc\` packing them, forking and execing 7 helpers (11 processes in all)"
pkgs[git]="git"
# pipeline: seven processes (sh and the six children it forks and execs)
# joined by pipes, all running at once.  The locale is fixed because grep's cost is
# the locale's: in UTF-8 it allocates and frees for every line, in C not at all.
cmd[pipeline]="export LC_ALL=C.UTF-8; head -n 6000 text.txt | tr -cs 'a-z0-9' '\\n' | grep -v '^[a-z]' | awk '{ n[\$1]++ } END { for (w in n) print n[w], w }' | sort -k1,1nr -k2,2n | uniq -c -w 3 > top.txt"
desc[pipeline]="a shell pipeline of head, tr, grep, awk, sort and uniq: sh forks and execs six processes joined by pipes, running at once (grep in UTF-8 allocates and frees per line; mawk counts words in a hash)"
pkgs[pipeline]="coreutils grep mawk dash"
cmd[python-json-kernel]="${cmd[python-json]}"
desc[python-json-kernel]="python-json recorded with --kernel: user-level calls plus the kernel's page allocations, slab calls and page faults"
pkgs[python-json-kernel]="${pkgs[python-json]}"
cmd[sqlite-kernel]="${cmd[sqlite]}"
desc[sqlite-kernel]="sqlite recorded with --kernel: user-level calls plus the kernel's page allocations, slab calls and page faults"
pkgs[sqlite-kernel]="${pkgs[sqlite]}"

# Which traces to record.  Named explicitly: exactly those (an unknown name
# is an error).  Otherwise all, less the *-kernel ones this machine cannot
# record, so that `make corpus` works for a user without root.
explicit=0
names=("$@")
if [ ${#names[@]} -gt 0 ]; then
	explicit=1
	for n in "${names[@]}"; do
		[ -n "${cmd[$n]+set}" ] || { echo "record-corpus: unknown trace '$n' (known: ${all[*]})" >&2; exit 2; }
	done
else
	names=("${all[@]}")
fi
kernel_missing=
command -v perf >/dev/null 2>&1 || kernel_missing="perf is not installed"
[ "$(id -u)" -eq 0 ] || kernel_missing="${kernel_missing:+$kernel_missing, }not root"

# version PKG...: "PKG VERSION, ..." of the installed packages ("PKG ?" for
# one dpkg does not know).
version() {
	local p v s=
	for p in "$@"; do
		v=$(dpkg-query -W -f '${Version}' "$p" 2>/dev/null) || v='?'
		s="${s:+$s, }$p $v"
	done
	printf '%s' "$s"
}

# Versions in the previous MANIFEST.md, by trace name, from its "program"
# column (cells before it hold no '|').
declare -A old_version
if [ -e "$out/MANIFEST.md" ]; then
	while IFS=$'\t' read -r n v; do
		old_version[$n]=$v
	done < <(awk -F' [|] ' '
		/^[|] trace [|]/ { for (i = 1; i <= NF; i++) if ($i == "program") col = i; next }
		col && /^[|] / { sub(/^[|] /, ""); print $1 "\t" $col }' "$out/MANIFEST.md")
fi

work=$(mktemp -d /tmp/mmbench-corpus.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
cd "$work"

# Deterministic inputs.
seq 1 200000 | awk '{ srand($1); printf "%08x %d line-%d\n", int(rand() * 4294967295), $1 * 7919 % 100003, $1 }' > lines.txt
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

# make_repo: repo/, a git repository of 300 generated C files (120 lines
# each, in 16 directories) in 6 commits: the first adds them all, each later
# one rewrites a quarter of them.  Fixed identity, dates and config, so the
# commit ids are the same on every machine (commit 6 is b01b1e0).
make_repo() (
	export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
	export GIT_AUTHOR_NAME=mmbench GIT_AUTHOR_EMAIL=mmbench@example.org
	export GIT_COMMITTER_NAME=mmbench GIT_COMMITTER_EMAIL=mmbench@example.org
	git init -q -b main repo
	for d in $(seq 0 15); do mkdir -p "repo/src/d$(printf %02d "$d")"; done
	for c in 1 2 3 4 5 6; do
		awk -v c="$c" 'BEGIN {
			for (f = 0; f < 300; f++) {
				if (c > 1 && (f * 7 + c) % 4 != 0)
					continue
				out = sprintf("repo/src/d%02d/f%03d.c", f % 16, f)
				for (l = 0; l < 120; l++)
					printf "int f%d_%d(int x) { return x * %d + %d; } /* rev %d */\n", f, l,
						(f * 31 + l) % 97, c * (l % 7 == 0), (l % 11 == 0) ? c : 0 > out
				close(out)
			}
		}'
		export GIT_AUTHOR_DATE="2024-01-0$c 12:00:00 +0000" GIT_COMMITTER_DATE="2024-01-0$c 12:00:00 +0000"
		git -C repo add -A
		git -C repo commit -q -m "commit $c"
	done
)
for n in "${names[@]}"; do
	if [ "$n" = git ]; then make_repo; break; fi
done

for n in "${names[@]}"; do
	flags=()
	case $n in
	*-kernel)
		if [ -n "$kernel_missing" ] && [ "$explicit" -eq 0 ]; then
			echo "record-corpus: skipping $n: --kernel needs root and perf ($kernel_missing); name it to try anyway" >&2
			continue
		fi
		flags=(--kernel) ;;
	esac
	echo "record-corpus: $n" >&2
	"$mmbench" record "${flags[@]}" -o "$out/$n.mmt" -- sh -c "${cmd[$n]}" >/dev/null
	recorded[$n]=1
done

# md_cell TEXT: TEXT for a Markdown table cell ('|' escaped).
md_cell() { printf '%s' "$1" | sed 's/|/\\|/g'; }

# The MANIFEST row of each trace present, and the corpus' total size.
total=0 count=0
rows=
for n in "${all[@]}"; do
	t=$out/$n.mmt
	[ -e "$t" ] || continue
	info=$("$mmbench" info "$t")
	# "events:  N in K chunks"; the "events by type" lines ("  ALLOC  N")
	# list only the kinds that occur: a missing one is 0.
	counts=$(printf '%s\n' "$info" | awk '
		/^events:/ { ev = $2 }
		/^events by type:/ { in_types = 1; next }
		in_types && NF == 0 { in_types = 0 }
		in_types { c[$1] = $2 }
		/^  start_time = / { day = substr($3, 1, 10) }
		END { printf "%s | %s | %d | %d | %d | %d | %d | %d", day, ev,
			c["ALLOC"], c["FREE"], c["MMAP"], c["FORK"], c["EXEC"], c["FAULT"] }')
	if [ -n "${recorded[$n]+set}" ] || [ -z "${old_version[$n]+set}" ]; then
		read -ra p <<< "${pkgs[$n]}"
		v=$(version "${p[@]}")
	else
		v=${old_version[$n]}
	fi
	bytes=$(stat -c %s "$t")
	total=$((total + bytes)) count=$((count + 1))
	# shellcheck disable=SC2016 # the backquotes are Markdown's code span
	rows+=$(printf '| %s | %s | %s | %s | %s | `%s` |' "$n" "$v" "$counts" "$bytes" \
		"$(md_cell "${desc[$n]}")" "$(md_cell "${cmd[$n]}")")$'\n'
done

{
	echo "# The bundled corpus"
	echo
	echo "Real traces of real Debian programs, recorded by"
	echo "\`workloads/corpus/record-corpus.sh\` with \`mmbench record\` on Debian 12"
	echo "(this MANIFEST written on $(date -u +%Y-%m-%d), kernel $(uname -r), $(nproc) CPUs; the"
	echo "\`recorded\` column is each trace's own date).  Each command runs under \`sh -c\` in a"
	echo "scratch directory holding the script's generated inputs, so the shell's fork and exec"
	echo "are part of the trace.  Re-record with \`make corpus [CORPUS=\"NAME...\"]\` or"
	echo "\`workloads/corpus/record-corpus.sh build/mmbench [NAME...]\` (the *-kernel ones need"
	echo "root and perf; without them \`make corpus\` skips them).  \`program\` is the Debian"
	echo "package and version of the program (and of the library doing the work).  The counts"
	echo "are from \`mmbench info traces/corpus/NAME.mmt\`, which also shows the metadata:"
	echo "command line, kernel, and each process's real minor faults and max RSS."
	echo
	echo "| trace | program | recorded | events | ALLOC | FREE | MMAP | FORK | EXEC | FAULT | bytes | what | command |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	printf '%s' "$rows"
	echo
	echo "$count traces, $total bytes in all (the bound is $max_total_bytes)."
} > "$out/MANIFEST.md"
echo "record-corpus: $count traces, $total bytes in $out" >&2
if [ "$total" -gt "$max_total_bytes" ]; then
	echo "record-corpus: the corpus is $total bytes, over the $max_total_bytes bound" >&2
	exit 1
fi
