/*
 * cmd_report.c - mmbench report: one self-contained HTML report of the
 * results directories found under the directories given (report/ does the
 * reading and the writing; this file is the command line).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/cli.h"
#include "report/report.h"
#include "report/resdir.h"

static const char report_usage[] =
	"usage: mmbench report -o DIR RESULTS_DIR...\n"
	"Write DIR/index.html, one self-contained offline HTML file (charts by an\n"
	"inlined uPlot, the data embedded as JSON, a table under every chart), from\n"
	"every results directory (a directory holding summary.json and results.csv,\n"
	"as replay and baseline write) found under each RESULTS_DIR, with any\n"
	"compare.csv (mmbench compare) and microbench.json (make microbench) under\n"
	"them.  Directories may come from different runs and machines: the report\n"
	"merges them.  The repN/ directories of a suite cell (mmbench suite) are one\n"
	"entry: measured figures the median over the repetitions (\"median of N\"),\n"
	"deterministic figures, latency plots and time series from the first.\n"
	"\n"
	"  -o, --output DIR  the report's directory (created when missing)\n"
	"\n"
	"Sections: run context (machine, kernel, revision, each policy's differences\n"
	"from linux-default), per-trace summary (engine policies beside real\n"
	"allocators), latency percentiles (measured and modeled), fragmentation over\n"
	"time, free pages per order (heatmap), hardware counters, model versus\n"
	"reality, policy comparison, microbenchmarks.  Malformed input exits 1\n"
	"naming the file and line.\n";

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL;
	char err[1024], *out;
	rset_t set;
	size_t len;
	int c;

	FOR_EACH_OPT(c, argc, argv, "o:h", opts) {
		switch (c) {
		case 'o':
			dir = optarg;
			break;
		case 'h':
			fputs(report_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("report", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (!dir)
		return cli_usage_error("report", "missing -o DIR");
	if (optind >= argc)
		return cli_usage_error("report", "expected at least one results directory");
	if (rset_load(&set, argv + optind, (size_t)(argc - optind), err, sizeof(err))) {
		fprintf(stderr, "mmbench report: %s\n", err);
		return EXIT_ERROR;
	}
	if (mkdir_p(dir)) {
		fprintf(stderr, "mmbench report: %s: cannot create: %m\n", dir);
		rset_free(&set);
		return EXIT_ERROR;
	}
	len = strlen(dir) + sizeof("/index.html");
	out = malloc(len);
	if (!out) {
		rset_free(&set);
		fprintf(stderr, "mmbench report: out of memory\n");
		return EXIT_ERROR;
	}
	snprintf(out, len, "%s/index.html", dir);
	if (report_write(&set, out, err, sizeof(err))) {
		fprintf(stderr, "mmbench report: %s\n", err);
		free(out);
		rset_free(&set);
		return EXIT_ERROR;
	}
	printf("report: %zu cell%s (%zu results director%s), %zu compare tables, %zu microbenchmark files -> %s\n",
	       set.nr_dirs, set.nr_dirs == 1 ? "" : "s", set.nr_runs, set.nr_runs == 1 ? "y" : "ies",
	       set.nr_cmps, json_array_size(set.micro), out);
	free(out);
	rset_free(&set);
	return EXIT_OK;
}
