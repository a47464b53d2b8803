/*
 * cmd_suite.c - mmbench suite (being written; placeholder so the build links).
 */
#include <stdio.h>

#include "bench/cli.h"

int cmd_suite(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "mmbench: 'suite' is not built yet\n");
	return EXIT_ERROR;
}
