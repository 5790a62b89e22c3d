/*
 * strbuf.h - snprintf-style appending into a caller's buffer, for trace
 * lines and the *_describe functions: never writes past cap, keeps the text
 * NUL-terminated, and len grows by what the whole text needs (snprintf's
 * convention, so a caller can tell that a line was cut).
 */
#ifndef TS_STRBUF_H
#define TS_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct ts_strbuf {
	char *buf;  /* the caller's storage */
	size_t cap; /* its size */
	size_t len; /* what the text needs so far; may exceed cap */
};

void ts_strbuf_vprintf(struct ts_strbuf *sb, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
void ts_strbuf_printf(struct ts_strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
