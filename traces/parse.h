/*
 * parse.h - character helpers shared by the text parsers of traces/: the
 * text form (text.c) and the perf script and valgrind lackey importers
 * (import_perf.c, import_lackey.c).  Internal to traces/.
 */
#ifndef MMBENCH_PARSE_H
#define MMBENCH_PARSE_H

/* The value of hex digit ch (0-9, a-f, A-F), or -1 for any other byte. */
static inline int hex_digit(char ch)
{
	unsigned char c = (unsigned char)ch;

	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif /* MMBENCH_PARSE_H */
