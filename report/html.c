/*
 * html.c - escaping and the page frame of the HTML report (see html.h).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "report/assets.h"	/* generated: $(O)/report/assets.h */

void html_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

void html_textf(FILE *f, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	html_text(f, buf);
}

int html_json(FILE *f, const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(7));
	const char *p;

	if (!s)
		return -1;
	/* '<', '>' and '&' occur only inside JSON strings, where \u escapes mean the same */
	for (p = s; *p; p++) {
		if (*p == '<')
			fputs("\\u003c", f);
		else if (*p == '>')
			fputs("\\u003e", f);
		else if (*p == '&')
			fputs("\\u0026", f);
		else
			fputc(*p, f);
	}
	free(s);
	return 0;
}

void html_begin(FILE *f, const char *title)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>", f);
	html_text(f, title);
	fputs("</title>\n<style>\n", f);
	fputs(report_uplot_css, f);
	fputs("\n</style>\n<style>\n", f);
	fputs(report_css, f);
	fputs("\n</style>\n</head>\n<body>\n", f);
}

int html_end(FILE *f, const json_t *data)
{
	int rc;

	fputs("<script type=\"application/json\" id=\"report-data\">", f);
	rc = html_json(f, data);
	fputs("</script>\n<script>\n", f);
	fputs(report_uplot_js, f);
	fputs("\n</script>\n<script>\n", f);
	fputs(report_js, f);
	fputs("\n</script>\n</body>\n</html>\n", f);
	return rc;
}
