/*
 * cmd_record.c - mmbench record (being written; placeholder so the build links).
 */
#include <stdio.h>

#include "bench/cli.h"

int cmd_record(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "mmbench: 'record' is not built yet\n");
	return EXIT_ERROR;
}
