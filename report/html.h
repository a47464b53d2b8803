/*
 * html.h - the pieces of HTML the report writes: escaped text, escaped
 * JSON inside <script type="application/json">, and the inlined assets
 * (uPlot's JS and CSS, report/report.js and report/report.css, embedded at
 * build time by report/embed.sh).  Everything that came from a trace or a
 * results file goes through html_text() or html_json(); nothing else
 * writes it.
 */
#ifndef MMBENCH_REPORT_HTML_H
#define MMBENCH_REPORT_HTML_H

#include <jansson.h>
#include <stdio.h>

/* Write s with & < > " ' as character references (safe in text and quoted attributes). */
void html_text(FILE *f, const char *s);

/* html_text() of a printf-formatted string (truncated at 4 KiB). */
void html_textf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Write j as compact JSON with every '<', '>' and '&' as a \u escape, so
 * that no string inside can close the <script> element holding it or open
 * a comment.  Returns 0, or -1 when out of memory.
 */
int html_json(FILE *f, const json_t *j);

/* The page's opening (doctype, title, inlined CSS) and closing (JSON data, inlined JS). */
void html_begin(FILE *f, const char *title);
int html_end(FILE *f, const json_t *data);

#endif /* MMBENCH_REPORT_HTML_H */
