/*
 * cmd_trace.c - the trace subcommands: generate, import, dump, info.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bench/cli.h"
#include "traces/import_lackey.h"
#include "traces/import_perf.h"
#include "traces/text.h"
#include "traces/trace_info.h"
#include "workloads/generate.h"



/*
 * Parse the options of a command that takes only [-o FILE] and [--help]
 * (dump) into *out.  Returns -1 to go on with the positional
 * arguments at argv[optind], else the exit code to return (help printed, or
 * a usage error).
 */
static int parse_output_opts(int argc, char **argv, const char *usage, const char **out)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;
	*out = NULL;
	FOR_EACH_OPT(c, argc, argv, "o:h", opts) {
		switch (c) {
		case 'o':
			*out = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error(argv[0], "unknown option '%s'", argv[optind - 1]);
		}
	}
	return -1;
}

/* ------------------------------------------------------------- generate */

static const char generate_usage[] =
	"usage: mmbench generate NAME [--seed S] [--scale K] -o TRACE\n"
	"       mmbench generate --list\n"
	"Write a deterministic synthetic trace: the same NAME, S and K give a\n"
	"byte-identical file.  S defaults to 1, K (work multiplier) to 1.\n";

int cmd_generate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "scale", required_argument, NULL, 'k' },
		{ "output", required_argument, NULL, 'o' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	uint64_t seed = 1, scale = 1;
	const char *out = NULL;
	int c;
	FOR_EACH_OPT(c, argc, argv, "o:h", opts) {
		switch (c) {
		case 's':
			if (cli_parse_u64(optarg, &seed))
				return cli_usage_error("generate", "bad --seed '%s'", optarg);
			break;
		case 'k':
			if (cli_parse_u64(optarg, &scale) || scale < 1 || scale > 1000000)
				return cli_usage_error("generate",
						       "--scale takes a whole number from 1 to 1000000, not '%s'",
						       optarg);
			break;
		case 'o':
			out = optarg;
			break;
		case 'l': {
			size_t nr;
			const generator_t *g = generators(&nr);
			for (size_t i = 0; i < nr; i++)
				printf("%-12s %s\n", g[i].name, g[i].summary);
			return EXIT_OK;
		}
		case 'h':
			fputs(generate_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("generate", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("generate", "expected one generator name (see --list)");
	if (!out)
		return cli_usage_error("generate", "missing -o TRACE");
	trace_error_t err;
	int rc = generate_trace(argv[optind], seed, (uint32_t)scale, out, &err);
	if (rc == -2)
		return cli_usage_error("generate", "unknown generator '%s' (see --list)",
				       argv[optind]);
	return rc ? cli_trace_error(&err) : EXIT_OK;
}

/* ------------------------------------------------------------- import */

static const char import_usage[] =
	"usage: mmbench import text FILE -o TRACE\n"
	"       mmbench import perf-script FILE -o TRACE\n"
	"       mmbench import lackey FILE [--sample N] [--pid N] -o TRACE\n"
	"Convert the text form (as `mmbench dump` prints it; FILE may be -) into a\n"
	"binary trace.  perf-script reads `perf script -F comm,pid,tid,cpu,time,\n"
	"event,trace --ns` output of kernel tracepoints (README: Kernel traces);\n"
	"what it skips is summed up on stderr.\n"
	"lackey reads `valgrind --tool=lackey --trace-mem=yes` output (its log, or\n"
	"a stream mixing it with the program's output) into ACCESS events, one per\n"
	"4 KiB page an access touches; ts is the record's index, not a time.\n"
	"  --sample N   keep one lackey record in N (records 0, N, 2N, ...)\n"
	"  --pid N      pid of accesses before any ==PID== line (default 1)\n";

int cmd_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "sample", required_argument, NULL, 's' },
		{ "pid", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	lackey_import_opts_t lopts = { .summary = stderr };
	const char *out = NULL, *lackey_opt = NULL;
	uint64_t v;
	int c;
	FOR_EACH_OPT(c, argc, argv, "o:h", opts) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 's':
			if (cli_parse_u64(optarg, &v) || v < 1)
				return cli_usage_error("import", "--sample takes a whole number >= 1, not '%s'",
						       optarg);
			lopts.sample_every = v;
			lackey_opt = "--sample";
			break;
		case 'p':
			if (cli_parse_u64(optarg, &v) || v < 1 || v > INT32_MAX)
				return cli_usage_error("import", "--pid takes a pid from 1 to %d, not '%s'",
						       INT32_MAX, optarg);
			lopts.pid = (uint32_t)v;
			lackey_opt = "--pid";
			break;
		case 'h':
			fputs(import_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("import", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 2)
		return cli_usage_error("import", "expected a format and a file");
	const char *fmt = argv[optind], *in = argv[optind + 1];
	bool perf = !strcmp(fmt, "perf-script"), lackey = !strcmp(fmt, "lackey");
	if (!perf && !lackey && strcmp(fmt, "text"))
		return cli_usage_error("import", "unknown format '%s' (known: text, perf-script, lackey)",
				       fmt);
	if (lackey_opt && !lackey)
		return cli_usage_error("import", "%s is an option of the lackey format only", lackey_opt);
	if (!out)
		return cli_usage_error("import", "missing -o TRACE");
	trace_error_t err;
	perf_import_opts_t popts = { .summary = stderr };
	if (perf ? perf_import(in, out, &popts, &err) :
	    lackey ? lackey_import(in, out, &lopts, &err) :
		     text_import(in, out, NULL, &err))
		return cli_trace_error(&err);
	return EXIT_OK;
}

/* ------------------------------------------------------------- dump */

static const char dump_usage[] =
	"usage: mmbench dump TRACE [-o FILE]\n"
	"Print TRACE in the text form, one event per line (traces/FORMAT.md).\n";

int cmd_dump(int argc, char **argv)
{
	const char *out;
	int rc = parse_output_opts(argc, argv, dump_usage, &out);
	if (rc >= 0)
		return rc;
	if (optind != argc - 1)
		return cli_usage_error("dump", "expected one trace file");
	trace_error_t err;
	trace_reader_t *r = trace_open(argv[optind], &err);
	if (!r)
		return cli_trace_error(&err);
	FILE *f = out ? fopen(out, "w") : stdout;
	if (!f) {
		fprintf(stderr, "mmbench: %s: %s\n", out, strerror(errno));
		trace_close(r);
		return EXIT_ERROR;
	}
	rc = text_dump(r, f, &err);
	trace_close(r);
	if (fflush(f) && !rc)
		rc = trace_error_set(&err, out ? out : "<stdout>", TRACE_NO_EVENT, 0,
				     "write failed: %s", strerror(errno));
	if (out)
		fclose(f);
	return rc ? cli_trace_error(&err) : EXIT_OK;
}

/* ------------------------------------------------------------- info */

static const char info_usage[] =
	"usage: mmbench info [--format text|json] TRACE\n"
	"Summarize TRACE: events by type, processes, threads, CPUs, duration,\n"
	"allocated and peak live bytes, allocation size classes, metadata.\n";

static void size_class_label(unsigned k, char *buf, size_t len)
{
	uint64_t hi = info_size_class_max(k);
	uint64_t lo = k ? info_size_class_max(k - 1) + 1 : 0;
	if (hi == UINT64_MAX)
		snprintf(buf, len, ">%" PRIu64, lo - 1);
	else
		snprintf(buf, len, "%" PRIu64 "-%" PRIu64, lo, hi);
}

static void info_print_text(const trace_info_t *in, trace_reader_t *r, const char *path)
{
	const trace_summary_t *s = &in->summary;
	uint64_t dur = in->last_ts - in->first_ts;
	printf("trace:      %s\n", path);
	printf("events:     %" PRIu64 " in %" PRIu64 " chunks\n", s->nr_events, s->nr_chunks);
	printf("duration:   %" PRIu64 ".%09" PRIu64 " s\n", dur / 1000000000, dur % 1000000000);
	printf("processes:  %u   threads: %u   cpus: %u\n", in->nr_processes,
	       in->nr_threads, in->nr_cpus_seen);
	printf("ids:        objects %u, pages %u, caches %u, files %u, cma %u\n",
	       s->bounds.nr_objects, s->bounds.nr_pages, s->bounds.nr_caches,
	       s->bounds.nr_files, s->bounds.nr_cma);
	printf("\nevents by type:\n");
	for (unsigned t = 1; t < TRACE_NR_TYPES; t++)
		if (s->nr_by_type[t])
			printf("  %-14s %12" PRIu64 "\n", trace_type_name(t), s->nr_by_type[t]);
	printf("\nmemory:\n");
	printf("  allocated bytes   %14" PRIu64 "\n", in->alloc_bytes);
	printf("  peak live bytes   %14" PRIu64 "\n", in->peak_live_bytes);
	printf("  peak live objects %14" PRIu64 "\n", in->peak_live_objects);
	printf("  live at end bytes %14" PRIu64 "\n", in->live_bytes);
	printf("  page-alloc pages  %14" PRIu64 "   peak held %" PRIu64 "\n",
	       in->page_alloc_pages, in->peak_live_pages);
	printf("  mmap bytes        %14" PRIu64 "\n", in->mmap_bytes);
	if (in->nr_unknown_frees || in->nr_double_allocs)
		printf("  anomalies: %" PRIu64 " frees of ids not live, %" PRIu64
		       " allocations of live ids\n", in->nr_unknown_frees, in->nr_double_allocs);
	if (in->alloc_bytes) {
		printf("\nallocation sizes (bytes):\n  %-20s %12s %16s\n", "class", "count", "bytes");
		for (unsigned k = 0; k < INFO_NR_SIZE_CLASSES; k++) {
			if (!in->size_class[k].nr)
				continue;
			char label[48];
			size_class_label(k, label, sizeof(label));
			printf("  %-20s %12" PRIu64 " %16" PRIu64 "\n", label,
			       in->size_class[k].nr, in->size_class[k].bytes);
		}
	}
	printf("\nmetadata:\n");
	for (size_t i = 0; i < trace_nr_meta(r); i++)
		printf("  %s = %s\n", trace_meta(r, i)->key, trace_meta(r, i)->value);
}

static int info_print_json(const trace_info_t *in, trace_reader_t *r, const char *path)
{
	const trace_summary_t *s = &in->summary;
	json_t *by_type = json_object(), *classes = json_array(), *meta = json_array();
	for (unsigned t = 1; t < TRACE_NR_TYPES; t++)
		json_object_set_new(by_type, trace_type_name(t),
				    json_integer((json_int_t)s->nr_by_type[t]));
	for (unsigned k = 0; k < INFO_NR_SIZE_CLASSES; k++) {
		if (!in->size_class[k].nr)
			continue;
		uint64_t hi = info_size_class_max(k);
		json_array_append_new(classes, json_pack("{s:I,s:o,s:I,s:I}",
			"min", (json_int_t)(k ? info_size_class_max(k - 1) + 1 : 0),
			"max", hi == UINT64_MAX ? json_null() : json_integer((json_int_t)hi),
			"count", (json_int_t)in->size_class[k].nr,
			"bytes", (json_int_t)in->size_class[k].bytes));
	}
	for (size_t i = 0; i < trace_nr_meta(r); i++)
		json_array_append_new(meta, json_pack("[ss]", trace_meta(r, i)->key,
						      trace_meta(r, i)->value));
	json_t *root = json_pack(
		"{s:s,s:I,s:I,s:I,s:I,s:i,s:i,s:i,"
		"s:{s:i,s:i,s:i,s:i,s:i},s:o,"
		"s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I},s:o,s:o}",
		"trace", path,
		"events", (json_int_t)s->nr_events,
		"chunks", (json_int_t)s->nr_chunks,
		"first_ts_ns", (json_int_t)in->first_ts,
		"duration_ns", (json_int_t)(in->last_ts - in->first_ts),
		"processes", (int)in->nr_processes,
		"threads", (int)in->nr_threads,
		"cpus", (int)in->nr_cpus_seen,
		"ids",
		"objects", (int)s->bounds.nr_objects, "pages", (int)s->bounds.nr_pages,
		"caches", (int)s->bounds.nr_caches, "files", (int)s->bounds.nr_files,
		"cma", (int)s->bounds.nr_cma,
		"events_by_type", by_type,
		"memory",
		"allocated_bytes", (json_int_t)in->alloc_bytes,
		"peak_live_bytes", (json_int_t)in->peak_live_bytes,
		"peak_live_objects", (json_int_t)in->peak_live_objects,
		"live_bytes_at_end", (json_int_t)in->live_bytes,
		"page_alloc_pages", (json_int_t)in->page_alloc_pages,
		"peak_live_pages", (json_int_t)in->peak_live_pages,
		"mmap_bytes", (json_int_t)in->mmap_bytes,
		"unknown_frees", (json_int_t)in->nr_unknown_frees,
		"double_allocs", (json_int_t)in->nr_double_allocs,
		"size_classes", classes,
		"metadata", meta);
	if (!root)
		return -1;
	int rc = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(root);
	return rc;
}

int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool json = false;
	int c;
	FOR_EACH_OPT(c, argc, argv, "h", opts) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "json"))
				return cli_usage_error("info", "--format is text or json, not '%s'",
						       optarg);
			json = !strcmp(optarg, "json");
			break;
		case 'h':
			fputs(info_usage, stdout);
			return EXIT_OK;
		default:
			return cli_usage_error("info", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("info", "expected one trace file");
	const char *path = argv[optind];
	trace_error_t err;
	trace_reader_t *r = trace_open(path, &err);
	if (!r)
		return cli_trace_error(&err);
	trace_info_t in;
	if (trace_info_collect(r, &in, &err)) {
		trace_close(r);
		return cli_trace_error(&err);
	}
	int rc = EXIT_OK;
	if (json) {
		if (info_print_json(&in, r, path)) {
			fprintf(stderr, "mmbench: info: cannot write JSON\n");
			rc = EXIT_ERROR;
		}
	} else {
		info_print_text(&in, r, path);
	}
	trace_close(r);
	return rc;
}
