/*
 * cli.h - what the mmbench subcommands share: the command table entry, the
 * exit codes and the error printer.  Each subcommand is
 * `int cmd_NAME(int argc, char **argv)` with argv[0] the subcommand's name;
 * it returns the process exit code.
 */
#ifndef MMBENCH_CLI_H
#define MMBENCH_CLI_H

#include "traces/trace.h"

/* Exit codes, as in the design: 0 ok, 1 error, 2 usage, 3 regression. */
enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,
	EXIT_USAGE = 2,
	EXIT_REGRESSION = 3,
};

/* Print "mmbench: <formatted trace error>" to stderr.  Returns EXIT_ERROR. */
int cli_trace_error(const trace_error_t *err);

/* Print "mmbench CMD: <message>" and a usage hint to stderr.  Returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

int cmd_generate(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_info(int argc, char **argv);

#endif /* MMBENCH_CLI_H */
