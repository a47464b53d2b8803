/*
 * cmd_compare.c - mmbench compare (being written; placeholder so the build links).
 */
#include <stdio.h>

#include "bench/cli.h"

int cmd_compare(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "mmbench: 'compare' is not built yet\n");
	return EXIT_ERROR;
}
