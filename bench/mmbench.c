/*
 * mmbench.c - the mmbench command: git-style subcommand dispatch.
 */
#include <stdio.h>
#include <string.h>

#include "bench/cli.h"

typedef struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} command_t;

static const command_t commands[] = {
	{ "record", cmd_record, "record a program's memory-management activity into a trace" },
	{ "generate", cmd_generate, "write a deterministic synthetic trace" },
	{ "import", cmd_import, "convert another trace form (text) into a trace" },
	{ "dump", cmd_dump, "print a trace one event per line (the text form)" },
	{ "info", cmd_info, "summarize a trace: counts, processes, sizes, metadata" },
	{ "replay", cmd_replay, "replay a trace through the engine under a policy and measure" },
	{ "policies", cmd_policies, "list the policies, or print one's resolved values" },
	{ "baseline", cmd_baseline, "replay the malloc calls of a trace on a real allocator" },
	{ "suite", cmd_suite, "run a suite: traces x policies x baseline allocators" },
	{ "compare", cmd_compare, "compare result directories metric by metric, with significance" },
	{ "report", cmd_report, "merge result directories into one self-contained HTML report" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: mmbench <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'mmbench <command> --help' describes a command.\n"
		   "exit codes: 0 ok, 1 error, 2 usage, 3 regression threshold exceeded\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *name = argv[1];
	if (!strcmp(name, "-h") || !strcmp(name, "--help") || !strcmp(name, "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(name, commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "mmbench: unknown command '%s'\n\n", name);
	usage(stderr);
	return EXIT_USAGE;
}
