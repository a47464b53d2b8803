/*
 * cmd_replay.c - the engine subcommands: replay and policies.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/cli.h"
#include "bench/policy.h"
#include "bench/replay.h"
#include "bench/summary.h"

/* ------------------------------------------------------------- replay */

static const char replay_usage[] =
	"usage: mmbench replay TRACE [--policy NAME|FILE] [-o DIR] [--check[=N]]\n"
	"                      [--touch=alloc|none] [--warmup EVENTS] [--sample-every N]\n"
	"                      [--dump LIST] [--no-timing] [--quiet]\n"
	"Replay TRACE through the engine under a policy (default linux-default) and\n"
	"write DIR (default results/replay/TRACE/POLICY):\n"
	"  results.csv        every figure, long form; deterministic ones marked true\n"
	"  latency/KIND.hgrm  host ns per event, HdrHistogram percentile format\n"
	"  modeled/KIND.hgrm  modeled ns per event (work x policy cost weights)\n"
	"  timeseries.csv     free blocks, extfrag and unusable index over time\n"
	"  dumps/LABEL/       --dump files at the end and at each MARK event\n"
	"  summary.json       trace, policy (every value), machine, kernel, revision\n"
	"options:\n"
	"  --check[=N]        run every consistency checker each N events (100000)\n"
	"                     and at the end; stop at the first violation\n"
	"  --warmup EVENTS    replay the first EVENTS events without measuring them\n"
	"  --sample-every N   timeseries period in events (default: 1/100 of the trace)\n"
	"  --dump LIST        buddyinfo,pagetypeinfo,zoneinfo,extfrag,slabinfo,\n"
	"                     vmallocinfo,maps (at the end and at each MARK)\n"
	"  --touch=MODE       alloc: replay the first writes the recorder derived from\n"
	"                     allocations (ACCESS events flagged touch); none: skip\n"
	"                     them.  Default: alloc when the trace has no FAULT events\n"
	"  --no-timing        skip the host clock (modeled figures only, faster)\n";

int cmd_replay(int argc, char **argv)
{
	enum { OPT_CHECK = 256, OPT_TOUCH, OPT_WARMUP, OPT_SAMPLE, OPT_DUMP, OPT_NO_TIMING, OPT_QUIET };
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		{ "check", optional_argument, NULL, OPT_CHECK },
		{ "touch", required_argument, NULL, OPT_TOUCH },
		{ "warmup", required_argument, NULL, OPT_WARMUP },
		{ "sample-every", required_argument, NULL, OPT_SAMPLE },
		{ "dump", required_argument, NULL, OPT_DUMP },
		{ "no-timing", no_argument, NULL, OPT_NO_TIMING },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct replay_opts o = { .timing = true, .touch = -1 };
	const char *policy_name = "linux-default";
	char err[1024], dir[4096], name[256];
	struct policy *pol;
	int c, rc;

	FOR_EACH_OPT(c, argc, argv, "p:o:h", opts) {
		switch (c) {
		case 'p':
			policy_name = optarg;
			break;
		case 'o':
			o.out_dir = optarg;
			break;
		case OPT_CHECK:
			o.check_every = 100000;
			if (optarg && (cli_parse_u64(optarg, &o.check_every) || !o.check_every))
				return cli_usage_error("replay", "--check=N takes a whole number >= 1, not '%s'", optarg);
			break;
		case OPT_TOUCH:
			if (strcmp(optarg, "alloc") && strcmp(optarg, "none"))
				return cli_usage_error("replay", "--touch takes alloc or none, not '%s'", optarg);
			o.touch = !strcmp(optarg, "alloc");
			break;
		case OPT_WARMUP:
			if (cli_parse_u64(optarg, &o.warmup))
				return cli_usage_error("replay", "--warmup takes a number of events, not '%s'", optarg);
			break;
		case OPT_SAMPLE:
			if (cli_parse_u64(optarg, &o.sample_every) || !o.sample_every)
				return cli_usage_error("replay", "--sample-every takes a number of events >= 1, not '%s'", optarg);
			break;
		case OPT_DUMP:
			if (replay_parse_dumps(optarg, &o.dumps, err, sizeof(err)))
				return cli_usage_error("replay", "%s", err);
			break;
		case OPT_NO_TIMING:
			o.timing = false;
			break;
		case OPT_QUIET:
			o.quiet = true;
			break;
		case 'h':
			fputs(replay_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("replay", "unknown option or missing value '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind == 0)
		return cli_usage_error("replay", "no TRACE given");
	if (argc - optind != 1)
		return cli_usage_error("replay", "one TRACE, not %d arguments", argc - optind);
	o.trace_path = argv[optind];
	pol = malloc(sizeof(*pol));
	if (!pol) {
		fprintf(stderr, "mmbench replay: out of memory\n");
		return EXIT_ERROR;
	}
	if (policy_load(pol, policy_name, err, sizeof(err))) {
		fprintf(stderr, "mmbench replay: policy: %s\n", err);
		free(pol);
		return EXIT_ERROR;
	}
	if (!o.out_dir) {
		snprintf(dir, sizeof(dir), "results/replay/%s/%s",
			 trace_name_from_path(o.trace_path, name, sizeof(name)), pol->name);
		o.out_dir = dir;
	}
	o.progress = isatty(STDERR_FILENO);
	rc = replay_run(pol, &o) ? EXIT_ERROR : EXIT_OK;
	free(pol);
	return rc;
}

/* ------------------------------------------------------------- policies */

static const char policies_usage[] =
	"usage: mmbench policies [--show NAME|FILE]\n"
	"List the policies in the policies directory with their descriptions, or\n"
	"print every resolved value of one (a loadable .ini file).\n";

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cmd_policies(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "show", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char dir[4096], err[1024];
	const char *show = NULL;
	struct policy *pol;
	int c, rc = EXIT_OK;

	FOR_EACH_OPT(c, argc, argv, "s:h", opts) {
		switch (c) {
		case 's':
			show = optarg;
			break;
		case 'h':
			fputs(policies_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("policies", "unknown option or missing value '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cli_usage_error("policies", "unexpected argument '%s'", argv[optind]);
	pol = malloc(sizeof(*pol));
	if (!pol)
		return EXIT_ERROR;
	if (show) {
		if (policy_load(pol, show, err, sizeof(err))) {
			fprintf(stderr, "mmbench policies: %s\n", err);
			rc = EXIT_ERROR;
		} else {
			policy_write_ini(pol, stdout);
		}
		free(pol);
		return rc;
	}
	policy_dir(dir, sizeof(dir));
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "mmbench policies: %s: cannot open the policies directory (set MMBENCH_POLICIES)\n", dir);
		free(pol);
		return EXIT_ERROR;
	}
	char *names[256];
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < 256) {
		size_t len = strlen(de->d_name);
		if (len > 4 && !strcmp(de->d_name + len - 4, ".ini"))
			names[n++] = strndup(de->d_name, len - 4);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), name_cmp);
	for (size_t i = 0; i < n; i++) {
		if (!names[i])
			continue;
		if (policy_load(pol, names[i], err, sizeof(err))) {
			fprintf(stderr, "mmbench policies: %s\n", err);
			rc = EXIT_ERROR;
		} else {
			printf("%-24s %s\n", names[i], pol->description);
		}
		free(names[i]);
	}
	free(pol);
	return rc;
}
