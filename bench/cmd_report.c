/*
 * cmd_report.c - mmbench report (being written; placeholder so the build links).
 */
#include <stdio.h>

#include "bench/cli.h"

int cmd_report(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "mmbench: 'report' is not built yet\n");
	return EXIT_ERROR;
}
