/*
 * cmd_baseline.c - `mmbench baseline`: replay the malloc-family calls of a
 * trace on a real allocator.
 *
 * The work is done by mmbench-native (bench/native.c), which sits next to
 * the mmbench executable.  This command checks the options, picks the output
 * directory, starts the runner with LD_PRELOAD naming the allocator's Debian
 * library (nothing for glibc) and returns the runner's exit status.  The
 * runner prints its errors and its summary line itself (the child shares
 * stdout and stderr).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/cli.h"
#include "bench/summary.h"

extern char **environ;

/* The allocators and the library LD_PRELOAD loads for each (Debian 12 packages). */
static const struct baseline_allocator {
	const char *name;
	const char *library;    /* NULL: the C library's own malloc */
} baseline_allocators[] = {
	{ "jemalloc", "libjemalloc.so.2" },             /* libjemalloc2 */
	{ "glibc", NULL },
	{ "mimalloc", "libmimalloc.so.2" },             /* libmimalloc2.0 */
	{ "tcmalloc", "libtcmalloc_minimal.so.4" },     /* libtcmalloc-minimal4 */
};

static const char baseline_usage[] =
	"usage: mmbench baseline --allocator jemalloc|glibc|mimalloc|tcmalloc TRACE\n"
	"                        [-o DIR] [--touch=alloc|none] [--warmup EVENTS]\n"
	"                        [--threads-max N]\n"
	"Replay the malloc-family calls of TRACE (malloc, calloc, realloc, free,\n"
	"posix_memalign, aligned_alloc, memalign, valloc, pvalloc) natively on a real\n"
	"allocator, one thread per traced thread, in trace order (a free waits for\n"
	"the allocation it undoes when another thread made it).  Kernel allocations\n"
	"and other events are skipped and counted.\n"
	"\n"
	"  --allocator A    the allocator, loaded with LD_PRELOAD (glibc: none)\n"
	"  -o, --output DIR results directory (default results/baseline/NAME/A, NAME\n"
	"                   the trace's file name without .mmt)\n"
	"  --touch=alloc    write every allocated byte, outside the timed call, so\n"
	"                   that RSS is real (default)\n"
	"  --touch=none     leave allocated memory untouched\n"
	"  --warmup N       replay the first N trace events without recording them\n"
	"  --threads-max N  at most N replay threads (default 64); further traced\n"
	"                   threads are folded onto them by tid modulo N\n"
	"\n"
	"DIR gets results.csv (latency percentiles per call, events/s, ns per event,\n"
	"RSS, the allocator's own statistics, fragmentation, hardware counters),\n"
	"latency/<call>.hgrm and summary.json.  Prints one summary line.\n";


/*
 * The child's environment: ours, with LD_PRELOAD = library (in front of any
 * LD_PRELOAD already set) when library is not NULL.  Returns NULL when out of
 * memory; *preload is the string to free.
 */
static char **child_environ(const char *library, char **preload)
{
	size_t n = 0;
	const char *old = getenv("LD_PRELOAD");

	*preload = NULL;
	while (environ[n])
		n++;
	char **env = calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!library || strncmp(environ[i], "LD_PRELOAD=", 11))
			env[k++] = environ[i];
	if (library) {
		size_t len = strlen(library) + (old ? strlen(old) + 1 : 0) + 12;
		*preload = malloc(len);
		if (!*preload) {
			free(env);
			return NULL;
		}
		if (old && *old)
			snprintf(*preload, len, "LD_PRELOAD=%s:%s", library, old);
		else
			snprintf(*preload, len, "LD_PRELOAD=%s", library);
		env[k++] = *preload;
	}
	env[k] = NULL;
	return env;
}

int cmd_baseline(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "allocator", required_argument, NULL, 'a' },
		{ "output", required_argument, NULL, 'o' },
		{ "touch", required_argument, NULL, 't' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "threads-max", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const struct baseline_allocator *alloc = NULL;
	const char *allocator = NULL, *dir = NULL, *touch = "alloc";
	char warmup[32] = "0", threads_max[32] = "64";
	uint64_t v;
	int c;

	for (optind = 1, opterr = 0;
	     (c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1;) {
		switch (c) {
		case 'a':
			allocator = optarg;
			break;
		case 'o':
			dir = optarg;
			break;
		case 't':
			if (strcmp(optarg, "alloc") && strcmp(optarg, "none"))
				return cli_usage_error("baseline",
						       "--touch takes alloc or none, not '%s'", optarg);
			touch = optarg;
			break;
		case 'w':
			if (cli_parse_u64(optarg, &v))
				return cli_usage_error("baseline", "bad --warmup '%s'", optarg);
			snprintf(warmup, sizeof(warmup), "%" PRIu64, v);
			break;
		case 'T':
			if (cli_parse_u64(optarg, &v) || v < 1 || v > 1024)
				return cli_usage_error("baseline",
						       "--threads-max takes a number from 1 to 1024, not '%s'",
						       optarg);
			snprintf(threads_max, sizeof(threads_max), "%" PRIu64, v);
			break;
		case 'h':
			fputs(baseline_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("baseline", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("baseline", "expected one trace file");
	if (!allocator)
		return cli_usage_error("baseline",
				       "missing --allocator (jemalloc, glibc, mimalloc or tcmalloc)");
	for (size_t i = 0; i < sizeof(baseline_allocators) / sizeof(baseline_allocators[0]); i++)
		if (!strcmp(allocator, baseline_allocators[i].name))
			alloc = &baseline_allocators[i];
	if (!alloc)
		return cli_usage_error("baseline",
				       "unknown allocator '%s' (known: jemalloc, glibc, mimalloc, tcmalloc)",
				       allocator);
	const char *trace = argv[optind];

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	/* A sanitizer runtime must be the first library and owns malloc: a
	 * preloaded allocator cannot run under it. */
	if (alloc->library) {
		fprintf(stderr, "mmbench: %s cannot be measured by a sanitizer build of mmbench "
			"(the sanitizer replaces malloc); only --allocator glibc runs, and it "
			"measures the sanitizer's allocator\n", allocator);
		return EXIT_ERROR;
	}
#endif

	char default_dir[4096], name[256];
	if (!dir) {
		trace_name_from_path(trace, name, sizeof(name));
		snprintf(default_dir, sizeof(default_dir), "results/baseline/%s/%s", name,
			 allocator);
		dir = default_dir;
	}

	char runner[PATH_MAX];
	if (cli_sibling_path("mmbench-native", runner, sizeof(runner)) || access(runner, X_OK)) {
		fprintf(stderr, "mmbench: the baseline runner mmbench-native is not next to "
			"mmbench (%s): build it with 'make all'\n",
			runner[0] ? runner : "/proc/self/exe unreadable");
		return EXIT_ERROR;
	}

	char touch_opt[32];
	snprintf(touch_opt, sizeof(touch_opt), "--touch=%s", touch);
	char *child_argv[] = {
		runner, "--allocator", (char *)allocator, "-o", (char *)dir, touch_opt,
		"--warmup", warmup, "--threads-max", threads_max, "--", (char *)trace, NULL,
	};
	char *preload;
	char **env = child_environ(alloc->library, &preload);
	if (!env) {
		fprintf(stderr, "mmbench: out of memory\n");
		return EXIT_ERROR;
	}

	fflush(stdout);
	fflush(stderr);
	pid_t pid;
	int rc = posix_spawn(&pid, runner, NULL, NULL, child_argv, env);
	free(env);
	free(preload);
	if (rc) {
		fprintf(stderr, "mmbench: cannot run %s: %s\n", runner, strerror(rc));
		return EXIT_ERROR;
	}
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "mmbench: waiting for %s: %s\n", runner, strerror(errno));
			return EXIT_ERROR;
		}
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "mmbench: baseline runner (%s) killed by signal %d (%s)\n",
			allocator, WTERMSIG(status), strsignal(WTERMSIG(status)));
	}
	return EXIT_ERROR;
}
