/*
 * cli.c - what the mmbench command and the baseline runner share: error
 * printers, number parsing, directory creation (bench/cli.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/cli.h"

int cli_trace_error(const trace_error_t *err)
{
	char buf[768];
	fprintf(stderr, "mmbench: %s\n", trace_error_format(err, buf, sizeof(buf)));
	return EXIT_ERROR;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "mmbench %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see 'mmbench %s --help')\n", cmd);
	return EXIT_USAGE;
}

int cli_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	if (!*s || *s == '-')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int mkdir_p(const char *dir)
{
	char buf[4096];
	size_t len = strlen(dir);

	if (len >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, dir, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0777) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0777) && errno != EEXIST ? -1 : 0;
}

int cli_sibling_path(const char *name, char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return -1;
	self[n] = 0;
	char *slash = strrchr(self, '/');
	if (!slash)
		return -1;
	*slash = 0;
	if ((size_t)snprintf(buf, len, "%s/%s", self, name) >= len)
		return -1;
	return 0;
}

char *cli_find_dir(char *buf, size_t len, const char *env_name, const char *rel)
{
	static const char *const up[] = { "..", "../.." };
	const char *env = getenv(env_name);
	char name[PATH_MAX];

	if (env && *env) {
		snprintf(buf, len, "%s", env);
		return buf;
	}
	for (size_t i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "%s/%s", up[i], rel);
		if (!cli_sibling_path(name, buf, len) && access(buf, R_OK | X_OK) == 0)
			return buf;
	}
	snprintf(buf, len, "%s", rel);
	return buf;
}
