/* strbuf.c - the appender behind --trace lines and *_describe (strbuf.h). */
#include "strbuf.h"

#include <stdio.h>

void ts_strbuf_vprintf(struct ts_strbuf *sb, const char *fmt, va_list ap)
{
	size_t room = sb->len < sb->cap ? sb->cap - sb->len : 0;
	int n = vsnprintf(room ? sb->buf + sb->len : NULL, room, fmt, ap);
	if (n > 0)
		sb->len += (size_t)n;
}

void ts_strbuf_printf(struct ts_strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ts_strbuf_vprintf(sb, fmt, ap);
	va_end(ap);
}
