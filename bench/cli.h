/*
 * cli.h - what the mmbench subcommands share: the command table entry, the
 * exit codes and the error printer.  Each subcommand is
 * `int cmd_NAME(int argc, char **argv)` with argv[0] the subcommand's name;
 * it returns the process exit code.
 */
#ifndef MMBENCH_CLI_H
#define MMBENCH_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

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

/* Parse a whole decimal (or 0x hex) number into *out.  Returns 0 or -1. */
int cli_parse_u64(const char *s, uint64_t *out);

/* mkdir -p: create dir and its missing parents (mode 0777 & ~umask).  Returns 0 or -1 with errno set. */
int mkdir_p(const char *dir);

/*
 * Path of the file `name` in the directory of the running executable
 * (/proc/self/exe): the baseline runner and the recorder library live next
 * to mmbench.  Returns 0, or -1 when the path cannot be read or does not fit len.
 */
int cli_sibling_path(const char *name, char *buf, size_t len);

/*
 * A directory of the source tree, into buf (len bytes): $env_name when set
 * and not empty, else rel beside the running binary's build directory
 * (../rel or ../../rel from it: build/mmbench, build/asan/mmbench) when that
 * is readable, else rel itself (relative to the working directory).
 * Returns buf.
 */
char *cli_find_dir(char *buf, size_t len, const char *env_name, const char *rel);

/* getopt_long over argv with argv[0] the subcommand; reset for each command. */
#define FOR_EACH_OPT(c, argc, argv, shortopts, longopts)                        \
	for (optind = 1, opterr = 0;                                           \
	     ((c) = getopt_long((argc), (argv), (shortopts), (longopts), NULL)) != -1;)

int cmd_generate(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_policies(int argc, char **argv);
int cmd_baseline(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_suite(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif /* MMBENCH_CLI_H */
