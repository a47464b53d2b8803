/*
 * fuzz_policy.c - libFuzzer target for policy files (bench/policy.c).
 *
 * Each input is written to DIR/in.ini, DIR being a private directory made
 * once per process (in $TMPDIR, else /dev/shm or /tmp; removed at exit), and
 * loaded with policy_load().  MMBENCH_POLICIES points at DIR, which also
 * holds copies of the .ini files in policies/ and a few small policies of
 * our own (base, loop, bad), so `include = NAME` resolves inside DIR:
 * includes of real policies, of themselves (cycles, cut by the depth limit)
 * and of missing files.  Inputs that include a path (a value with a '/' or
 * ending in ".ini", which policy.c opens as given) are skipped, so nothing
 * outside DIR is ever opened.
 *
 * The target abort()s when
 *   - a load fails without "FILE:LINE: reason" naming a file in DIR and a
 *     line the file has;
 *   - a load succeeds but policy_json() fails, or policy_write_ini() prints
 *     something that does not load back, or loads back to other values
 *     (phys, slub, vmalloc, cost, cpu_mhz, seed, description).
 * The sanitizers catch the rest.  Parsing only: phys_init() on a fuzzed
 * configuration could allocate terabytes.
 *
 * Build: make build/fuzz/fuzz_policy; run: tests/fuzz/run.sh (or `make fuzz`).
 */
#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/policy.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[PATH_MAX - 64];         /* the private policies directory */
static char in_path[PATH_MAX];          /* DIR/in.ini: the input */
static char rt_path[PATH_MAX];          /* DIR/rt.ini: policy_write_ini of it */

/* Policies of our own, for includes; "loop" includes itself. */
static const struct {
	const char *name, *text;
} own_policies[] = {
	{ "base", "description = base for includes\n[machine]\nmem = 1G\ncpus = 2\n"
		  "[memblock]\nreserve = 0 64K\nreserve = 1M 4K\n[cma]\nsize = 16M\nname = base\n"
		  "[cost]\nzone_lock = 50\n" },
	{ "loop", "include = loop\n" },
	{ "bad", "[machine]\nnodes = 1\nmem = lots\n" },
};

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_policy: %s: %s\n", what, detail);
	abort();
}

static void write_file(const char *path, const void *data, size_t size)
{
	FILE *f = fopen(path, "w");

	if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f))
		die("cannot write", path);
}

/* Copy the .ini files of the repository's policies/ into DIR, when found. */
static void copy_repo_policies(void)
{
	char from[PATH_MAX], src[2 * PATH_MAX], dst[2 * PATH_MAX], buf[1 << 16];
	ssize_t n = readlink("/proc/self/exe", from, sizeof(from) - 32);
	char *slash = n > 0 ? memrchr(from, '/', (size_t)n) : NULL;
	DIR *d = NULL;

	if (slash) {                    /* build/fuzz/fuzz_policy */
		strcpy(slash, "/../../policies");
		d = opendir(from);
	}
	if (!d && (d = opendir("policies")))
		strcpy(from, "policies");
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));) {
		size_t len = strlen(e->d_name);
		if (len <= 4 || strcmp(e->d_name + len - 4, ".ini"))
			continue;
		snprintf(src, sizeof(src), "%s/%s", from, e->d_name);
		snprintf(dst, sizeof(dst), "%s/%s", dir, e->d_name);
		FILE *f = fopen(src, "r");
		if (!f)
			continue;
		size_t got = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		write_file(dst, buf, got);
	}
	closedir(d);
}

static void remove_dir(void)
{
	DIR *d = opendir(dir);
	char path[2 * PATH_MAX];

	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	char path[PATH_MAX];

	(void)argc;
	(void)argv;
	if (!tmp || !*tmp)              /* tmpfs when there is one: twice the exec/s */
		tmp = access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(dir, sizeof(dir), "%s/mmbench-fuzz-policy-XXXXXX", tmp);
	if (!mkdtemp(dir))
		die("mkdtemp", strerror(errno));
	atexit(remove_dir);
	setenv("MMBENCH_POLICIES", dir, 1);
	snprintf(in_path, sizeof(in_path), "%s/in.ini", dir);
	snprintf(rt_path, sizeof(rt_path), "%s/rt.ini", dir);
	copy_repo_policies();
	for (size_t i = 0; i < sizeof(own_policies) / sizeof(own_policies[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s.ini", dir, own_policies[i].name);
		write_file(path, own_policies[i].text, strlen(own_policies[i].text));
	}
	return 0;
}

/* ---------------------------------------------------------------- include check */

/* The input as an fgets-style stream, so inih sees the lines policy.c sees. */
struct mem_stream {
	const char *p;
	size_t left;
	unsigned nr_lines;              /* reads so far: policy.c's line count */
};

static char *mem_gets(char *buf, int len, void *stream)
{
	struct mem_stream *s = stream;
	size_t n = 0;

	if (!s->left || len < 2)
		return NULL;
	while (n < (size_t)len - 1 && n < s->left) {
		buf[n] = s->p[n];
		if (s->p[n++] == '\n')
			break;
	}
	buf[n] = 0;
	s->p += n;
	s->left -= n;
	s->nr_lines++;
	return buf;
}

/* Clears *safe on an include that policy.c would open as a path. */
static int include_check(void *user, const char *section, const char *name, const char *value)
{
	size_t n = strlen(value);

	if (!*section && !strcmp(name, "include") &&
	    (strchr(value, '/') || (n > 4 && !strcmp(value + n - 4, ".ini"))))
		*(int *)user = 0;
	return 1;
}

/* ---------------------------------------------------------------- checks */

/*
 * A failed load must say "FILE:LINE: reason" with FILE in DIR; when FILE is
 * the input, LINE must be one of its lines.
 */
static void check_error(const char *err, size_t errlen, unsigned nr_lines)
{
	size_t dlen = strlen(dir);
	const char *p, *colon;
	char *end;

	if (!memchr(err, '\0', errlen) || !*err)
		die("error without a message", "");
	if (strncmp(err, dir, dlen) || err[dlen] != '/')
		die("error does not name a file in the policies directory", err);
	p = strstr(err + dlen, ".ini:");
	if (!p)
		die("error does not name a .ini file", err);
	colon = p + 4;
	if (colon[1] < '1' || colon[1] > '9')
		die("error does not name a line", err);
	unsigned long line = strtoul(colon + 1, &end, 10);
	if (end[0] != ':' || end[1] != ' ' || !end[2])
		die("error without a reason after FILE:LINE:", err);
	if ((size_t)(colon - err) == strlen(in_path) && !strncmp(err, in_path, strlen(in_path)) &&
	    line > nr_lines)
		die("error names a line past the end of the input", err);
}

static void dump_file(const char *path)
{
	char buf[1 << 16];
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	fprintf(stderr, "----- %s\n%.*s-----\n", path, (int)n, buf);
}

/*
 * The engine reads cma[0, nr_cma) and reserved[0, nr_reserved) only; what
 * lies past them (a [cma.N] after an area without a size) is no resolved
 * value, and policy_write_ini rightly leaves it out.  Nor are the bytes
 * past the end of a CMA area's name.
 */
static void phys_resolved(const struct phys_config *cfg, struct phys_config *out)
{
	*out = *cfg;
	for (unsigned a = 0; a < PHYS_MAX_CMA; a++) {
		char *name = out->cma[a].name;
		size_t len = strnlen(name, sizeof(out->cma[a].name));
		if (len == sizeof(out->cma[a].name))
			die("CMA area name without a terminating NUL", "");
		memset(name + len, 0, sizeof(out->cma[a].name) - len);
	}
	memset(&out->cma[out->nr_cma], 0, (PHYS_MAX_CMA - out->nr_cma) * sizeof(out->cma[0]));
	memset(&out->reserved[out->nr_reserved], 0,
	       (PHYS_MAX_RESERVED - out->nr_reserved) * sizeof(out->reserved[0]));
}

static void check_same(const struct policy *a, const struct policy *b)
{
	struct phys_config pa, pb;
	const char *what = NULL;

	if (a->phys.nr_cma > PHYS_MAX_CMA || a->phys.nr_reserved > PHYS_MAX_RESERVED)
		die("loaded policy has too many areas", "nr_cma or nr_reserved");
	phys_resolved(&a->phys, &pa);
	phys_resolved(&b->phys, &pb);
	if (memcmp(&pa, &pb, sizeof(pa)))
		what = "phys";
	else if (memcmp(&a->slub, &b->slub, sizeof(a->slub)))
		what = "slub";
	else if (memcmp(&a->vmalloc, &b->vmalloc, sizeof(a->vmalloc)))
		what = "vmalloc";
	else if (memcmp(a->cost_cycles, b->cost_cycles, sizeof(a->cost_cycles)))
		what = "cost_cycles";
	else if (a->cpu_mhz != b->cpu_mhz)
		what = "cpu_mhz";
	else if (a->seed != b->seed)
		what = "seed";
	else if (strcmp(a->description, b->description))
		what = "description";
	if (what) {
		dump_file(rt_path);
		die("policy_write_ini output loads back different", what);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct policy pa, pb;    /* ~10 KiB each: off the stack */
	char err[1024];
	int safe = 1;
	struct mem_stream s = { (const char *)data, size, 0 };

	ini_parse_stream(mem_gets, &s, include_check, &safe);
	if (!safe)
		return 0;
	write_file(in_path, data, size);

	memset(err, 0, sizeof(err));
	if (policy_load(&pa, in_path, err, sizeof(err))) {
		check_error(err, sizeof(err), s.nr_lines);
		return 0;
	}
	if (strcmp(pa.path, in_path) || strcmp(pa.name, "in"))
		die("loaded policy has the wrong path or name", pa.path);
	json_t *j = policy_json(&pa);   /* summary.json's "policy" */
	if (!j)
		die("policy_json failed", pa.description);
	json_decref(j);

	FILE *f = fopen(rt_path, "w");
	if (!f)
		die("cannot write", rt_path);
	policy_write_ini(&pa, f);
	if (fclose(f))
		die("cannot write", rt_path);
	if (policy_load(&pb, rt_path, err, sizeof(err))) {
		dump_file(rt_path);
		die("policy_write_ini output does not load", err);
	}
	check_same(&pa, &pb);
	unlink(rt_path);
	return 0;
}
