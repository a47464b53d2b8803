/*
 * test_report.c - unit tests of report/: the CSV reader (quoting, line
 * numbers, errors), the .hgrm parser, loading a results directory and the
 * HTML / JSON escaping.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/csv.h"
#include "report/html.h"
#include "report/report.h"
#include "report/resdir.h"

static int csv_of(csv_t *c, const char *text)
{
	char err[256];

	return csv_open_mem(c, "t.csv", text, strlen(text), err, sizeof(err));
}

Test(report, csv_quoted_fields_and_lines)
{
	const char *text = "a,\"b,\"\"c\"\"\",\r\n\"multi\nline\",x\n\nlast";
	char err[256];
	csv_t c;

	cr_assert_eq(csv_of(&c, text), 0);
	cr_assert_eq(csv_next(&c, err, sizeof(err)), 1);
	cr_assert_eq(c.nr_fields, 3);
	cr_assert_str_eq(c.fields[0], "a");
	cr_assert_str_eq(c.fields[1], "b,\"c\"");
	cr_assert_str_eq(c.fields[2], "");
	cr_assert_eq(c.line, 1);
	cr_assert_eq(csv_next(&c, err, sizeof(err)), 1);
	cr_assert_eq(c.nr_fields, 2);
	cr_assert_str_eq(c.fields[0], "multi\nline");
	cr_assert_eq(c.line, 2);
	cr_assert_eq(csv_next(&c, err, sizeof(err)), 1);	/* the empty line */
	cr_assert_eq(c.nr_fields, 1);
	cr_assert_str_eq(c.fields[0], "");
	cr_assert_eq(c.line, 4);
	cr_assert_eq(csv_next(&c, err, sizeof(err)), 1);
	cr_assert_str_eq(c.fields[0], "last");
	cr_assert_eq(c.line, 5);
	cr_assert_eq(csv_next(&c, err, sizeof(err)), 0);
	csv_close(&c);
}

Test(report, csv_errors_name_file_line_and_byte)
{
	char err[256];
	csv_t c;

	cr_assert_eq(csv_of(&c, "a,b\nc,\"open\n"), 0);
	cr_assert_eq(csv_next(&c, err, sizeof(err)), 1);
	cr_assert_eq(csv_next(&c, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "t.csv:2: unterminated quoted field (byte 4)");
	csv_close(&c);

	cr_assert_eq(csv_of(&c, "\"x\"y,1\n"), 0);
	cr_assert_eq(csv_next(&c, err, sizeof(err)), -1);
	cr_assert(strstr(err, "t.csv:1: text after a closing quote"), "%s", err);
	csv_close(&c);

	cr_assert_eq(csv_of(&c, "ab\"c\n"), 0);
	cr_assert_eq(csv_next(&c, err, sizeof(err)), -1);
	cr_assert(strstr(err, "a quote inside unquoted field"), "%s", err);
	csv_close(&c);

	cr_assert_eq(csv_open_mem(&c, "nul.csv", "a\0b", 3, err, sizeof(err)), -1);
	cr_assert(strstr(err, "nul.csv: a NUL byte at byte 1"), "%s", err);

	cr_assert_eq(csv_of(&c, "x,y\n"), 0);
	cr_assert_eq(csv_expect_header(&c, "x,y,z", err, sizeof(err)), -1);
	cr_assert(strstr(err, "t.csv:1: header is not \"x,y,z\""), "%s", err);
	csv_close(&c);
	cr_assert_eq(csv_of(&c, "x,y\n"), 0);
	cr_assert_eq(csv_expect_header(&c, "x,y", err, sizeof(err)), 0);
	csv_close(&c);
}

Test(report, csv_parse_double)
{
	double v;

	cr_assert_eq(csv_parse_double("1.5e3", &v), 0);
	cr_assert_float_eq(v, 1500.0, 1e-9);
	cr_assert_eq(csv_parse_double("-1", &v), 0);
	cr_assert_eq(csv_parse_double("", &v), -1);
	cr_assert_eq(csv_parse_double("NA", &v), -1);
	cr_assert_eq(csv_parse_double("nan", &v), -1);
	cr_assert_eq(csv_parse_double("12x", &v), -1);
	cr_assert_eq(csv_parse_double(" 1", &v), -1);
}

static char *write_tmp(const char *dir, const char *name, const char *text)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

Test(report, hgrm_parse_and_errors)
{
	char dir[] = "/tmp/test_report.XXXXXX", err[256];
	hgrm_t h;

	cr_assert_not_null(mkdtemp(dir));
	write_tmp(dir, "a.hgrm",
		  "       Value   Percentile   TotalCount 1/(1-Percentile)\n\n"
		  "      10.000     0.000000            1         1.00\n"
		  "      20.000     0.990000           99       100.00\n"
		  "      30.000     1.000000          100          inf\n"
		  "#[Mean    =       20.000, StdDeviation   =        1.000]\n");
	cr_assert_eq(hgrm_load(&h, write_tmp(dir, "a.hgrm", ""), err, sizeof(err)), 0);
	cr_assert_eq(h.nr, 0);	/* an empty file has no rows, and is not an error */
	hgrm_free(&h);
	write_tmp(dir, "a.hgrm",
		  "       Value   Percentile   TotalCount 1/(1-Percentile)\n\n"
		  "      10.000     0.000000            1         1.00\n"
		  "      20.000     0.990000           99       100.00\n"
		  "      30.000     1.000000          100          inf\n"
		  "#[Mean    =       20.000, StdDeviation   =        1.000]\n");
	{
		char p[600];

		snprintf(p, sizeof(p), "%s/a.hgrm", dir);
		cr_assert_eq(hgrm_load(&h, p, err, sizeof(err)), 0, "%s", err);
		cr_assert_eq(h.nr, 3);
		cr_assert_float_eq(h.value_ns[1], 20.0, 1e-9);
		cr_assert_float_eq(h.pct[1], 0.99, 1e-9);
		cr_assert_float_eq(h.pct[2], 1.0, 1e-9);
		hgrm_free(&h);
		write_tmp(dir, "a.hgrm", "Value Percentile\n  10.0 0.5 3 2.0\n  11.0 1.5 4 inf\n");
		cr_assert_eq(hgrm_load(&h, p, err, sizeof(err)), -1);
		cr_assert(strstr(err, "a.hgrm:3: percentile 1.5 or value 11 out of range (byte 34)"),
			  "%s", err);
		write_tmp(dir, "a.hgrm", "  10.0 0.5 3\n");
		cr_assert_eq(hgrm_load(&h, p, err, sizeof(err)), -1);
		cr_assert(strstr(err, "a.hgrm:1: not an HdrHistogram percentile row (column 4)"),
			  "%s", err);
		unlink(p);
	}
	rmdir(dir);
}

Test(report, rdir_load_reads_rows_na_and_timeseries)
{
	char dir[] = "/tmp/test_report.XXXXXX", err[256], sub[600];
	const tseries_t *s;
	const rrow_t *r;
	rdir_t d;

	cr_assert_not_null(mkdtemp(dir));
	write_tmp(dir, "summary.json", "{\"command\": \"replay\", \"policy\": {\"name\": \"p\"}}\n");
	write_tmp(dir, "results.csv",
		  "trace,policy,system,metric,value,unit,deterministic\n"
		  "t1,p,mmbench,events,42,events,true\n"
		  "t1,p,mmbench,hw_cycles,NA,cycles,false\n"
		  "t1,p,mmbench,\"odd,\"\"name\"\"\",1.5,ratio,false\n");
	write_tmp(dir, "timeseries.csv",
		  "event,ts_ns,scope,metric,order,migratetype,value\n"
		  "0,0,node0/Normal,free_blocks,0,,5\n"
		  "0,0,node0/Normal,free_blocks,0,Movable,4\n"
		  "10,100,node0/Normal,free_blocks,0,,7\n"
		  "20,200,node0/Normal,nr_free_pages,,,9\n");
	snprintf(sub, sizeof(sub), "%s/latency", dir);
	mkdir(sub, 0777);
	write_tmp(sub, "malloc.hgrm", "  10.0 0.5 3 2.0\n");
	cr_assert_eq(rdir_load(&d, dir, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(d.nr_rows, 3);
	cr_assert_str_eq(d.label, "mmbench/p");
	cr_assert_str_eq(d.trace, "t1");
	r = rdir_row(&d, "hw_cycles");
	cr_assert_not_null(r);
	cr_assert(isnan(r->value));
	cr_assert_not_null(rdir_row(&d, "odd,\"name\""));
	cr_assert_null(rdir_row(&d, "absent"));
	cr_assert_eq(d.nr_hgrms, 1);
	cr_assert_str_eq(d.hgrms[0].kind, "malloc");
	cr_assert_eq(d.hgrms[0].modeled, false);
	cr_assert_eq(d.nr_samples, 3);
	cr_assert_float_eq(d.ts_ns[2], 200.0, 1e-9);
	s = rdir_series(&d, "node0/Normal", "free_blocks", 0, "");
	cr_assert_not_null(s);
	cr_assert_float_eq(s->v[0], 5.0, 1e-9);
	cr_assert_float_eq(s->v[1], 7.0, 1e-9);
	cr_assert(isnan(s->v[2]));
	s = rdir_series(&d, "node0/Normal", "nr_free_pages", -1, "");
	cr_assert_not_null(s);
	cr_assert(isnan(s->v[0]));
	cr_assert_float_eq(s->v[2], 9.0, 1e-9);
	rdir_free(&d);

	/* a row with 6 fields: error names file, line and byte */
	write_tmp(dir, "results.csv",
		  "trace,policy,system,metric,value,unit,deterministic\n"
		  "t1,p,mmbench,events,42,events\n");
	cr_assert_eq(rdir_load(&d, dir, err, sizeof(err)), -1);
	cr_assert(strstr(err, "/results.csv:2: 6 fields, expected 7 (byte 52)"), "%s", err);
	write_tmp(dir, "results.csv",
		  "trace,policy,system,metric,value,unit,deterministic\n"
		  "t1,p,mmbench,events,42,events,maybe\n");
	cr_assert_eq(rdir_load(&d, dir, err, sizeof(err)), -1);
	cr_assert(strstr(err, ":2: deterministic is \"maybe\""), "%s", err);
	write_tmp(dir, "results.csv",
		  "trace,policy,system,metric,value,unit,deterministic\n"
		  "t1,p,mmbench,events,42,events,true\n");
	write_tmp(dir, "timeseries.csv",
		  "event,ts_ns,scope,metric,order,migratetype,value\n"
		  "10,0,node0/Normal,free_blocks,0,,5\n"
		  "5,0,node0/Normal,free_blocks,0,,5\n");
	cr_assert_eq(rdir_load(&d, dir, err, sizeof(err)), -1);
	cr_assert(strstr(err, "/timeseries.csv:3: event 5 goes backwards"), "%s", err);
	unlink(write_tmp(dir, "timeseries.csv", ""));
	unlink(write_tmp(dir, "results.csv", ""));
	unlink(write_tmp(dir, "summary.json", ""));
	unlink(write_tmp(sub, "malloc.hgrm", ""));
	rmdir(sub);
	rmdir(dir);
}

/* A results directory dir/sub holding summary.json and results.csv rows (after the header). */
static void write_rep(const char *dir, const char *sub, const char *rows)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	cr_assert_eq(mkdir(path, 0777), 0, "%s", path);
	write_tmp(path, "summary.json", "{\"command\": \"replay\"}\n");
	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	write_tmp(path, "results.csv", rows);
}

#define HDR "trace,policy,system,metric,value,unit,deterministic\n"

Test(report, suite_cell_repetitions_are_one_entry)
{
	char root[] = "/tmp/test_report.XXXXXX", err[512], cell[600], cmd[700];
	char *roots[1] = { root };
	const rrow_t *r;
	rset_t set;

	cr_assert_not_null(mkdtemp(root));
	snprintf(cell, sizeof(cell), "%s/replay", root);
	cr_assert_eq(mkdir(cell, 0777), 0);
	snprintf(cell, sizeof(cell), "%s/replay/cell", root);
	cr_assert_eq(mkdir(cell, 0777), 0);
	/* rep10 sorts after rep3; rep1 is the first whatever the names' order */
	write_rep(cell, "rep10", HDR "t,p,mmbench,events,7,events,true\n"
		  "t,p,mmbench,events_per_s,20,events/s,false\n");
	write_rep(cell, "rep2", HDR "t,p,mmbench,events,7,events,true\n"
		  "t,p,mmbench,events_per_s,NA,events/s,false\n"
		  "t,p,mmbench,hw_cycles,NA,cycles,false\n");
	write_rep(cell, "rep3", HDR "t,p,mmbench,events,7,events,true\n"
		  "t,p,mmbench,events_per_s,30,events/s,false\n");
	write_rep(cell, "rep1", HDR "t,p,mmbench,events,42,events,true\n"
		  "t,p,mmbench,events_per_s,10,events/s,false\n"
		  "t,p,mmbench,hw_cycles,NA,cycles,false\n");
	/* the suite's own summary and merged table beside the cells */
	write_tmp(root, "summary.json", "{\"command\": \"suite\", \"suite\": {\"name\": \"s\"}}\n");
	write_tmp(root, "results.csv", HDR "t,p,mmbench,events,42,events,true\n");

	cr_assert_eq(rset_load(&set, roots, 1, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(set.nr_dirs, 1);
	cr_assert_eq(set.nr_runs, 4);
	cr_assert_eq(json_array_size(set.suites), 1);
	cr_assert_eq(set.dirs[0].nr_reps, 4);
	cr_assert_str_eq(set.dirs[0].path, cell);
	r = rdir_row(&set.dirs[0], "events");
	cr_assert_float_eq(r->value, 42.0, 1e-9, "deterministic rows come from rep1");
	cr_assert_eq(r->nr_reps, 1);
	r = rdir_row(&set.dirs[0], "events_per_s");
	cr_assert_float_eq(r->value, 20.0, 1e-9, "median of 10, 30, 20 (NA left out)");
	cr_assert_eq(r->nr_reps, 3);
	r = rdir_row(&set.dirs[0], "hw_cycles");
	cr_assert(isnan(r->value));
	cr_assert_eq(r->nr_reps, 1);
	rset_free(&set);

	/* a repetition of another policy: an error naming its file, line and byte */
	snprintf(cmd, sizeof(cmd), "%s/rep2", cell);
	write_tmp(cmd, "results.csv", HDR "t,other,mmbench,events,7,events,true\n");
	cr_assert_eq(rset_load(&set, roots, 1, err, sizeof(err)), -1);
	cr_assert(strstr(err, "/replay/cell/rep2/results.csv:2: t/other/mmbench, but "), "%s", err);
	cr_assert(strstr(err, "(byte 52)"), "%s", err);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_assert_eq(system(cmd), 0);
}

/* What f received, as a string (caller frees). */
static char *captured(FILE *f)
{
	long n;
	char *s;

	fflush(f);
	n = ftell(f);
	s = calloc(1, (size_t)n + 1);
	rewind(f);
	cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
	return s;
}

Test(report, html_text_escapes_markup)
{
	FILE *f = tmpfile();
	char *s;

	html_text(f, "<script>a&b</script> \"q\" 'x'");
	s = captured(f);
	cr_assert_str_eq(s, "&lt;script&gt;a&amp;b&lt;/script&gt; &quot;q&quot; &#39;x&#39;");
	free(s);
	fclose(f);
}

Test(report, html_json_cannot_close_its_script)
{
	FILE *f = tmpfile();
	json_t *j = json_pack("{s:s}", "t", "</script><!-- & >");
	json_t *back;
	char *s;

	cr_assert_eq(html_json(f, j), 0);
	s = captured(f);
	cr_assert_null(strchr(s, '<'));
	cr_assert_null(strchr(s, '>'));
	cr_assert_null(strchr(s, '&'));
	back = json_loads(s, 0, NULL);	/* still JSON, and the same string */
	cr_assert_not_null(back);
	cr_assert_str_eq(json_string_value(json_object_get(back, "t")), "</script><!-- & >");
	json_decref(back);
	json_decref(j);
	free(s);
	fclose(f);
}

Test(report, sections_are_nine_in_page_order)
{
	cr_assert_eq(report_nr_sections, 9);
	cr_assert_str_eq(report_sections[0], "Run context");
	cr_assert_str_eq(report_sections[8], "Microbenchmarks");
}
