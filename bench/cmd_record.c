/*
 * cmd_record.c - `mmbench record`: run a program and record its
 * memory-management activity into a trace.
 *
 * User level (default): the program runs with LD_PRELOAD of
 * libmmbench-record.so (next to this executable) and MMBENCH_RECORD_DIR
 * naming a scratch directory; after it exits, record_finalize() turns the
 * directory into the trace and the directory is removed.  Kernel level
 * (--kernel): the program runs under `perf record` (bench/perf_record.h), the
 * perf data is imported with the same CLOCK_MONOTONIC origin and merged with
 * the user-level trace (traces/trace_merge.h).
 *
 * The program's stdin, stdout and stderr are ours; mmbench prints only on
 * stderr; the exit status is the program's (128 + N when signal N killed
 * it, as a shell reports it), or 1 when the recording itself failed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/cli.h"
#include "bench/clock.h"
#include "bench/perf_record.h"
#include "traces/trace_merge.h"
#include "workloads/record_finalize.h"
#include "workloads/recorder/rec_raw.h"

extern char **environ;

static const char record_usage[] =
	"usage: mmbench record -o TRACE [--kernel] [--no-user] -- CMD [ARGS...]\n"
	"Run CMD and record its memory-management activity into TRACE.\n"
	"\n"
	"  -o, --output TRACE  the trace to write\n"
	"  --kernel            also record kernel tracepoints (page and slab\n"
	"                      allocations, page faults, mm system calls, fork/exec/\n"
	"                      exit) with perf, and merge them in; needs perf and\n"
	"                      tracefs access (exit 1 without running CMD if not)\n"
	"  --no-user           with --kernel: the kernel tracepoints only\n"
	"\n"
	"User level (LD_PRELOAD of libmmbench-record.so, next to mmbench): the\n"
	"malloc family, mmap/munmap/mremap/mprotect/madvise, brk/sbrk, fork, vfork,\n"
	"threads, exec and exit of CMD and every process it starts, with\n"
	"CLOCK_MONOTONIC time, pid, tid and cpu; each process's real minor/major\n"
	"faults, max RSS, VmHWM and /proc/PID/maps at start and end go into the\n"
	"metadata (proc.PID.*, real.* for CMD itself).\n"
	"\n"
	"CMD's stdin, stdout and stderr are mmbench's; mmbench writes only to\n"
	"stderr.  Exit status: CMD's own; 128+N when CMD was killed by signal N (as\n"
	"a shell reports it); 127 when CMD cannot be run; 1 when recording failed;\n"
	"2 for a usage error.\n";


/*
 * Our environment plus LD_PRELOAD=library (in front of an existing one) and
 * MMBENCH_RECORD_DIR=dir.  The strings are kept in *keep[2] to free.
 */
static char **record_environ(const char *library, const char *dir, char *keep[2])
{
	size_t n = 0, k = 0;
	const char *old = getenv("LD_PRELOAD");

	while (environ[n])
		n++;
	char **env = calloc(n + 3, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11) &&
		    strncmp(environ[i], REC_DIR_ENV "=", sizeof(REC_DIR_ENV)))
			env[k++] = environ[i];
	if (asprintf(&keep[0], "LD_PRELOAD=%s%s%s", library, old && *old ? ":" : "",
		     old && *old ? old : "") < 0)
		keep[0] = NULL;
	if (asprintf(&keep[1], "%s=%s", REC_DIR_ENV, dir) < 0)
		keep[1] = NULL;
	if (!keep[0] || !keep[1]) {
		free(keep[0]);
		free(keep[1]);
		free(env);
		return NULL;
	}
	env[k++] = keep[0];
	env[k++] = keep[1];
	env[k] = NULL;
	return env;
}

/* rm -r of the scratch directory (flat: files only). */
static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[PATH_MAX];

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

/* The exit status a shell would report for a waitpid() status. */
static int shell_status(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EXIT_ERROR;
}

/*
 * Start argv with env.  Returns the child's pid; 0 when argv[0] could not
 * be executed (*status then says 127 or 126, as a shell would); or -1.
 */
static int spawn_program(char *const argv[], char *const env[], int *status)
{
	int fds[2], e = 0;
	pid_t pid;

	fflush(NULL);
	if (pipe2(fds, O_CLOEXEC)) {
		fprintf(stderr, "mmbench record: pipe: %s\n", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "mmbench record: fork: %s\n", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		execvpe(argv[0], argv, env);
		e = errno;
		fprintf(stderr, "mmbench record: %s: %s\n", argv[0], strerror(e));
		if (write(fds[1], &e, sizeof(e)) < 0)
			e = 0;
		_exit(e == ENOENT ? 127 : 126);
	}
	close(fds[1]);
	/* the exec closes the pipe; a failed one writes its errno first */
	ssize_t n;
	while ((n = read(fds[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(fds[0]);
	if (n != (ssize_t)sizeof(e))
		return (int)pid;
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	return 0;
}

#define RECORD_POLL_NS 2000000L /* 2 ms between finalize steps that found nothing */

/*
 * Wait for pid with SIGINT/SIGQUIT ignored (as a shell does), its wait
 * status into *status; meanwhile, when fin is not NULL, finalize what the
 * program has flushed.  Returns 0, or -1 when a finalize step failed (its
 * error is in the finalizer's err; the program was still waited for).
 */
static int wait_program(pid_t pid, int *status, record_finalizer_t *fin)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
	int rc = 0;

	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	for (;;) {
		pid_t w = waitpid(pid, status, fin ? WNOHANG : 0);
		if (w == pid || (w < 0 && errno != EINTR))
			break;
		if (w < 0)
			continue;       /* EINTR */
		int64_t n = record_finalize_step(fin);
		if (n < 0) {
			rc = -1;
			fin = NULL;     /* wait on; the error is reported after */
		} else if (n == 0) {
			struct timespec t = { 0, RECORD_POLL_NS };
			nanosleep(&t, NULL);
		}
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	return rc;
}

/* Header metadata of a recording: what ran, where and when. */
struct record_meta {
	trace_meta_t pairs[16];
	size_t nr;
	char cmdline[TRACE_MAX_STRING + 1];
	char host[256], release[65], page[24], cpus[24], memkb[24], start[40], origin[24];
};

static void meta_add(struct record_meta *m, const char *key, const char *value)
{
	if (value && *value && m->nr < sizeof(m->pairs) / sizeof(m->pairs[0]))
		m->pairs[m->nr++] = (trace_meta_t){ key, value };
}

static void record_meta_init(struct record_meta *m, char *const argv[], uint64_t origin)
{
	struct utsname u;
	size_t o = 0;

	memset(m, 0, sizeof(*m));
	for (size_t i = 0; argv[i] && o < TRACE_MAX_STRING; i++) {
		int n = snprintf(m->cmdline + o, TRACE_MAX_STRING + 1 - o, "%s%s",
				 i ? " " : "", argv[i]);
		o = n < 0 ? o : o + (size_t)n > TRACE_MAX_STRING ? TRACE_MAX_STRING : o + (size_t)n;
	}
	for (char *c = m->cmdline; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	if (!uname(&u))
		snprintf(m->release, sizeof(m->release), "%s", u.release);
	if (gethostname(m->host, sizeof(m->host) - 1))
		m->host[0] = 0;
	snprintf(m->page, sizeof(m->page), "%ld", sysconf(_SC_PAGESIZE));
	snprintf(m->cpus, sizeof(m->cpus), "%ld", sysconf(_SC_NPROCESSORS_CONF));
	FILE *fp = fopen("/proc/meminfo", "r");
	unsigned long long kb;
	if (fp && fscanf(fp, "MemTotal: %llu kB", &kb) == 1)
		snprintf(m->memkb, sizeof(m->memkb), "%llu", kb);
	if (fp)
		fclose(fp);
	time_t now = time(NULL);
	struct tm tm;
	if (gmtime_r(&now, &tm))
		strftime(m->start, sizeof(m->start), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(m->origin, sizeof(m->origin), "%" PRIu64, origin);
	meta_add(m, "source", "user-recorder");
	meta_add(m, "cmdline", m->cmdline);
	meta_add(m, "hostname", m->host);
	meta_add(m, "kernel_release", m->release);
	meta_add(m, "page_size", m->page);
	meta_add(m, "nr_cpus", m->cpus);
	meta_add(m, "mem_total_kb", m->memkb);
	meta_add(m, "start_time", m->start);
	meta_add(m, "clock_monotonic_origin_ns", m->origin);
	meta_add(m, "recorder_version", REC_VERSION);
}

/* The summary line of a finalized recording, naming label (the output or a part). */
static void print_summary(const record_finalize_stats_t *st, const char *label)
{
	fprintf(stderr, "mmbench record: %" PRIu64 " events from %" PRIu64 " processes (%"
		PRIu64 " streams) -> %s", st->nr_events, st->nr_processes, st->nr_streams, label);
	if (st->unknown_frees || st->lost_records || st->truncated_bytes)
		fprintf(stderr, "; %" PRIu64 " unknown frees, %" PRIu64 " records lost, %" PRIu64
			" bytes of a cut record dropped", st->unknown_frees, st->lost_records,
			st->truncated_bytes);
	if (st->restarted)
		fprintf(stderr, "; finalized again after the program (a stream started late)");
	fputc('\n', stderr);
}

static record_finalize_opts_t finalize_opts(const char *dir, const char *out,
					    const struct record_meta *m, uint64_t origin,
					    uint32_t root)
{
	return (record_finalize_opts_t){
		.dir = dir, .out = out, .meta = m->pairs, .nr_meta = m->nr,
		.origin_ns = origin, .root_pid = root, .touch = true,
	};
}

/*
 * Finalize dir into out after the program (the user level of a --kernel
 * recording) and print the summary naming label.  Returns 0 or -1.
 */
static int finalize(const char *dir, const char *out, const char *label,
		    const struct record_meta *m, uint64_t origin, uint32_t root)
{
	record_finalize_opts_t o = finalize_opts(dir, out, m, origin, root);
	record_finalize_stats_t st;
	trace_error_t err;

	if (record_finalize(&o, &st, &err)) {
		cli_trace_error(&err);
		return -1;
	}
	print_summary(&st, label);
	return 0;
}

/*
 * The user-level recording: run prog and finalize dir into out while it
 * runs, the rest when it has ended.  *status gets its wait status (127 or
 * 126 when prog could not be executed, unchanged when no process could be
 * made).  Returns 0 or -1.
 */
static int record_user(char *const prog[], char *const env[], const char *dir,
		       const char *out, const struct record_meta *m, uint64_t origin,
		       int *status)
{
	record_finalize_opts_t o;
	record_finalize_stats_t st;
	trace_error_t err;

	int pid = spawn_program(prog, env, status);
	if (pid <= 0)
		return -1;
	o = finalize_opts(dir, out, m, origin, (uint32_t)pid);
	record_finalizer_t *fin = record_finalize_start(&o, &err);
	if (!fin) {
		wait_program(pid, status, NULL);
		cli_trace_error(&err);
		return -1;
	}
	if (wait_program(pid, status, fin)) {
		record_finalize_cancel(fin);
		cli_trace_error(&err);
		return -1;
	}
	if (record_finalize_finish(fin, &st)) {
		cli_trace_error(&err);
		return -1;
	}
	print_summary(&st, out);
	return 0;
}

/* --kernel: perf record, import, merge with the user trace. */
static int record_kernel(char *const argv[], char *const env[], const char *tmp,
			 const char *out, bool user, const struct record_meta *m,
			 uint64_t origin, int *status)
{
	char perf_data[PATH_MAX + 16], user_trace[PATH_MAX + 16], kernel_trace[PATH_MAX + 16];
	char why[512];
	trace_error_t err;

	snprintf(perf_data, sizeof(perf_data), "%s/perf.data", tmp);
	snprintf(user_trace, sizeof(user_trace), "%s/user.mmt", tmp);
	snprintf(kernel_trace, sizeof(kernel_trace), "%s/kernel.mmt", tmp);
	*status = -1;
	fflush(NULL);
	int rc = perf_record_exec(perf_data, argv, env, status, why, sizeof(why));
	if (rc) {
		fprintf(stderr, "mmbench record: perf record: %s\n", why);
		return -1;
	}
	if (user && finalize(tmp, user_trace, "user level", m, origin, 0))
		return -1;
	if (perf_import_file(perf_data, origin, user ? kernel_trace : out, &err)) {
		cli_trace_error(&err);
		return -1;
	}
	if (!user)
		return 0;
	/*
	 * Both levels see the program's own mmap, munmap, mremap, mprotect,
	 * madvise and brk calls, and its forks, execs and exits.  The kernel
	 * sees every one (also ld.so's and libc's internal calls, which the
	 * recorder cannot), as they happened (a failed exec is no EXEC), and
	 * in order with the child's first steps (sched_process_fork fires in
	 * the parent before the child runs; the recorder writes FORK when
	 * fork() returns), so the user level's copies are dropped
	 * (merge.dropped.input0 counts them).
	 */
	const char *inputs[2] = { user_trace, kernel_trace };
	const uint64_t drop[2] = {
		TRACE_TYPE_BIT(TRACE_MMAP) | TRACE_TYPE_BIT(TRACE_MUNMAP) |
		TRACE_TYPE_BIT(TRACE_MREMAP) | TRACE_TYPE_BIT(TRACE_MPROTECT) |
		TRACE_TYPE_BIT(TRACE_MADVISE) | TRACE_TYPE_BIT(TRACE_BRK) |
		TRACE_TYPE_BIT(TRACE_FORK) | TRACE_TYPE_BIT(TRACE_EXEC) | TRACE_TYPE_BIT(TRACE_EXIT), 0,
	};
	if (trace_merge_drop(out, inputs, drop, 2, &err)) {
		cli_trace_error(&err);
		return -1;
	}
	return 0;
}

int cmd_record(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "kernel", no_argument, NULL, 'k' },
		{ "no-user", no_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *out = NULL;
	bool kernel = false, user = true;
	int c;

	FOR_EACH_OPT(c, argc, argv, "+o:h", opts) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'k':
			kernel = true;
			break;
		case 'u':
			user = false;
			break;
		case 'h':
			fputs(record_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("record", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (!out)
		return cli_usage_error("record", "-o TRACE is required");
	if (!user && !kernel)
		return cli_usage_error("record", "--no-user records nothing without --kernel");
	if (optind >= argc)
		return cli_usage_error("record", "no command to record (mmbench record -o T -- CMD)");
	char *const *prog = argv + optind;

	char library[PATH_MAX];
	if (user && (cli_sibling_path("libmmbench-record.so", library, sizeof(library)) || access(library, R_OK))) {
		fprintf(stderr, "mmbench record: the recorder library %s is missing (make all "
			"builds it next to mmbench)\n", library);
		return EXIT_ERROR;
	}
	if (kernel) {
		char why[512];
		if (!perf_available(why, sizeof(why))) {
			fprintf(stderr, "mmbench record: --kernel: perf is not usable here: %s\n", why);
			return EXIT_ERROR;
		}
	}

	const char *tmpdir = getenv("TMPDIR");
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s/mmbench-record.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(tmp)) {
		fprintf(stderr, "mmbench record: %s: %s\n", tmp, strerror(errno));
		return EXIT_ERROR;
	}
	char *keep[2] = { NULL, NULL };
	char **env = user ? record_environ(library, tmp, keep) : environ;
	if (!env) {
		fprintf(stderr, "mmbench record: out of memory\n");
		remove_dir(tmp);
		return EXIT_ERROR;
	}

	struct record_meta meta;
	uint64_t origin = clock_mono_ns();
	record_meta_init(&meta, prog, origin);
	int status = 0, rc = EXIT_ERROR;
	if (kernel) {
		if (!record_kernel(prog, env, tmp, out, user, &meta, origin, &status))
			rc = EXIT_OK;
	} else {
		if (!record_user(prog, env, tmp, out, &meta, origin, &status))
			rc = EXIT_OK;
	}
	if (status != -1 && (rc == EXIT_OK || !WIFEXITED(status) || WEXITSTATUS(status)))
		rc = shell_status(status);
	if (user) {
		free(keep[0]);
		free(keep[1]);
		free(env);
	}
	remove_dir(tmp);
	return rc;
}
