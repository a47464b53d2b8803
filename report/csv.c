/*
 * csv.c - RFC 4180 CSV reader with file:line:offset errors (see csv.h).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

static int csv_take(csv_t *c, const char *name, char *buf, size_t len, char *err,
		    size_t errlen)
{
	memset(c, 0, sizeof(*c));
	if (memchr(buf, '\0', len)) {
		snprintf(err, errlen, "%s: a NUL byte at byte %zu: not a CSV file", name,
			 (size_t)((char *)memchr(buf, '\0', len) - buf));
		free(buf);
		return -1;
	}
	c->path = strdup(name);
	if (!c->path) {
		free(buf);
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	c->buf = buf;
	c->len = len;
	c->next_line = 1;
	return 0;
}

int csv_open(csv_t *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		size_t n;

		if (cap - len < 65536) {
			size_t ncap = cap ? cap * 2 : 65536 * 2;
			char *nbuf;

			if (ncap > CSV_MAX_BYTES + 65536) {
				snprintf(err, errlen, "%s: larger than %zu bytes", path,
					 CSV_MAX_BYTES);
				goto fail;
			}
			nbuf = realloc(buf, ncap + 1);
			if (!nbuf) {
				snprintf(err, errlen, "%s: out of memory", path);
				goto fail;
			}
			buf = nbuf;
			cap = ncap;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
		goto fail;
	}
	fclose(f);
	if (len > CSV_MAX_BYTES) {
		free(buf);
		snprintf(err, errlen, "%s: larger than %zu bytes", path, CSV_MAX_BYTES);
		return -1;
	}
	buf[len] = '\0';
	return csv_take(c, path, buf, len, err, errlen);
fail:
	free(buf);
	fclose(f);
	return -1;
}

int csv_open_mem(csv_t *c, const char *name, const char *data, size_t len, char *err,
		 size_t errlen)
{
	char *buf = malloc(len + 1);

	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	memcpy(buf, data, len);
	buf[len] = '\0';
	return csv_take(c, name, buf, len, err, errlen);
}

void csv_close(csv_t *c)
{
	free(c->path);
	free(c->buf);
	free(c->fields);
	free(c->rowbuf);
	memset(c, 0, sizeof(*c));
}

int csv_row_error(const csv_t *c, char *err, size_t errlen, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s:%lu: %s (byte %zu)", c->path, c->line, msg, c->row_off);
	return -1;
}

static int csv_push_field(csv_t *c, size_t start)
{
	if (c->nr_fields == c->cap_fields) {
		size_t ncap = c->cap_fields ? c->cap_fields * 2 : 16;
		char **nf = realloc(c->fields, ncap * sizeof(*nf));

		if (!nf)
			return -1;
		c->fields = nf;
		c->cap_fields = ncap;
	}
	/* store the offset now; turned into pointers once rowbuf stops moving */
	c->fields[c->nr_fields++] = (char *)(uintptr_t)start;
	return 0;
}

int csv_next(csv_t *c, char *err, size_t errlen)
{
	size_t out = 0, i;
	int quoted = 0;

	if (c->pos >= c->len)
		return 0;
	c->line = c->next_line;
	c->row_off = c->pos;
	c->nr_fields = 0;
	/* a row's unquoted text is never longer than its source */
	if (c->cap_rowbuf < c->len - c->pos + 1) {
		size_t need = c->len - c->pos + 1;
		char *nb = realloc(c->rowbuf, need);

		if (!nb)
			return csv_row_error(c, err, errlen, "out of memory");
		c->rowbuf = nb;
		c->cap_rowbuf = need;
	}
	if (csv_push_field(c, 0))
		return csv_row_error(c, err, errlen, "out of memory");
	for (;;) {
		char ch;

		if (c->pos >= c->len) {
			if (quoted)
				return csv_row_error(c, err, errlen,
						     "unterminated quoted field");
			break;
		}
		ch = c->buf[c->pos++];
		if (quoted) {
			if (ch == '"') {
				if (c->pos < c->len && c->buf[c->pos] == '"') {
					c->rowbuf[out++] = '"';
					c->pos++;
					continue;
				}
				quoted = 0;
				if (c->pos < c->len && c->buf[c->pos] != ',' &&
				    c->buf[c->pos] != '\n' && c->buf[c->pos] != '\r')
					return csv_row_error(c, err, errlen,
							     "text after a closing quote in field %zu",
							     c->nr_fields);
				continue;
			}
			if (ch == '\n')
				c->next_line++;
			c->rowbuf[out++] = ch;
			continue;
		}
		if (ch == '"') {
			size_t start = (size_t)(uintptr_t)c->fields[c->nr_fields - 1];

			if (out != start)
				return csv_row_error(c, err, errlen,
						     "a quote inside unquoted field %zu",
						     c->nr_fields);
			quoted = 1;
			continue;
		}
		if (ch == ',') {
			c->rowbuf[out++] = '\0';
			if (csv_push_field(c, out))
				return csv_row_error(c, err, errlen, "out of memory");
			continue;
		}
		if (ch == '\r' && c->pos < c->len && c->buf[c->pos] == '\n')
			continue;
		if (ch == '\n') {
			c->next_line++;
			break;
		}
		c->rowbuf[out++] = ch;
	}
	c->rowbuf[out] = '\0';
	for (i = 0; i < c->nr_fields; i++)
		c->fields[i] = c->rowbuf + (size_t)(uintptr_t)c->fields[i];
	return 1;
}

int csv_expect_header(csv_t *c, const char *want, char *err, size_t errlen)
{
	const char *p = want;
	size_t i;
	int rc = csv_next(c, err, errlen);

	if (rc < 0)
		return -1;
	if (rc == 0) {
		snprintf(err, errlen, "%s:1: empty file, expected header \"%s\" (byte 0)",
			 c->path, want);
		return -1;
	}
	for (i = 0; i < c->nr_fields; i++) {
		size_t n = strcspn(p, ",");

		if (strlen(c->fields[i]) != n || memcmp(c->fields[i], p, n))
			break;
		p += n;
		if (*p == ',')
			p++;
		else if (i + 1 < c->nr_fields)
			break;
	}
	if (i != c->nr_fields || *p)
		return csv_row_error(c, err, errlen, "header is not \"%s\"", want);
	return 0;
}

int csv_parse_double(const char *s, double *out)
{
	char *end;
	double v;

	if (!*s || *s == ' ' || *s == '\t')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (*end || errno == ERANGE || isnan(v))
		return -1;
	*out = v;
	return 0;
}
