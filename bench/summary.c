/*
 * summary.c - run context for summary.json (bench/summary.h).
 */
#include "bench/summary.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "gitrev.h"     /* MMBENCH_GIT_REV, written by the Makefile into $(O) */

const char *mmbench_git_revision(void)
{
	return MMBENCH_GIT_REV;
}

/* First "model name" line of /proc/cpuinfo, or "unknown". */
static void cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "model name", 10))
			continue;
		char *v = strchr(line, ':');
		if (v) {
			v += strspn(v + 1, " \t") + 1;
			v[strcspn(v, "\n")] = 0;
			snprintf(buf, len, "%s", v);
		}
		break;
	}
	fclose(f);
}

json_t *summary_begin(const char *command)
{
	struct utsname u;
	char model[256], when[32];
	time_t now = time(NULL);
	struct tm tm;
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);

	if (uname(&u) != 0)
		memset(&u, 0, sizeof(u));
	cpu_model(model, sizeof(model));
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_pack("{s:{s:s,s:s},s:{s:s,s:s,s:I,s:I},s:{s:s,s:s,s:s},s:s,s:s}",
			 "mmbench", "version", MMBENCH_VERSION, "git_revision", MMBENCH_GIT_REV,
			 "machine", "arch", u.machine, "cpu_model", model,
			 "nr_cpus_online", (json_int_t)sysconf(_SC_NPROCESSORS_ONLN),
			 "mem_total_bytes", (json_int_t)pages * psize,
			 "kernel", "sysname", u.sysname, "release", u.release, "version", u.version,
			 "command", command, "started_at", when);
}

char *trace_name_from_path(const char *path, char *buf, size_t len)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 8 && !strcmp(base + n - 8, ".mmt.zst"))
		n -= 8;
	else if (n > 4 && !strcmp(base + n - 4, ".mmt"))
		n -= 4;
	if (n >= len)
		n = len - 1;
	memcpy(buf, base, n);
	buf[n] = 0;
	return buf;
}

json_t *summary_trace(const trace_reader_t *r, const char *path)
{
	const trace_summary_t *s = trace_summary(r);
	const trace_bounds_t *b = &s->bounds;
	char name[256];
	json_t *by_type = json_object(), *meta = json_object();

	if (!by_type || !meta)
		goto fail;
	for (unsigned t = 1; t < TRACE_NR_TYPES; t++)
		if (json_object_set_new(by_type, trace_type_name(t),
					json_integer((json_int_t)s->nr_by_type[t])))
			goto fail;
	for (size_t i = 0; i < trace_nr_meta(r); i++) {
		const trace_meta_t *m = trace_meta(r, i);
		if (json_object_set_new(meta, m->key, json_string(m->value)))
			goto fail;
	}
	trace_name_from_path(path, name, sizeof(name));
	return json_pack("{s:s,s:s,s:I,s:I,s:I,s:o,s:{s:I,s:I,s:I,s:I,s:I,s:I},s:o}",
			 "path", path, "name", name,
			 "events", (json_int_t)s->nr_events, "chunks", (json_int_t)s->nr_chunks,
			 "last_ts_ns", (json_int_t)s->last_ts, "events_by_type", by_type,
			 "bounds", "nr_objects", (json_int_t)b->nr_objects,
			 "nr_pages", (json_int_t)b->nr_pages, "nr_caches", (json_int_t)b->nr_caches,
			 "nr_files", (json_int_t)b->nr_files, "nr_cma", (json_int_t)b->nr_cma,
			 "nr_cpus", (json_int_t)b->nr_cpus,
			 "meta", meta);
fail:
	json_decref(by_type);
	json_decref(meta);
	return NULL;
}

int summary_save(const char *dir, const json_t *summary, char *err, size_t errlen)
{
	char path[4096], tmp[4200];

	snprintf(path, sizeof(path), "%s/summary.json", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (json_dump_file(summary, tmp, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0 ||
	    rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: %s", path, errno ? strerror(errno) : "write failed");
		remove(tmp);
		return -1;
	}
	return 0;
}
