/*
 * pcapng.c - the pcapng block encoders (pcapng.h).  Layout of every block
 * (draft-ietf-opsawg-pcapng 3.1): Block Type, Block Total Length, the
 * body, options, Block Total Length again.  Options (3.5): code (16 bits),
 * length (16 bits), value padded to 32 bits; the list ends with
 * opt_endofopt (code 0, length 0).
 */
#include "pcapng.h"

#include <string.h>

#define BT_SHB		 0x0A0D0D0Au
#define BT_IDB		 0x00000001u
#define BT_EPB		 0x00000006u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du

#define OPT_ENDOFOPT	 0
#define OPT_COMMENT	 1
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME	 2
#define OPT_EPB_FLAGS	 2

static size_t pad4(size_t n)
{
	return (n + 3u) & ~(size_t)3u;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
	return p + 4;
}

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
	return p + 2;
}

/* One option: code, length, value, zero padding. */
static uint8_t *put_opt(uint8_t *p, uint16_t code, const void *val, size_t len)
{
	p = put16(p, code);
	p = put16(p, (uint16_t)len);
	memcpy(p, val, len);
	memset(p + len, 0, pad4(len) - len);
	return p + pad4(len);
}

static size_t opt_str_len(const char *s, size_t max)
{
	size_t n = s ? strnlen(s, max) : 0;
	return n;
}

/* Ends the options and the block: opt_endofopt (when options were
 * written), the trailing length, and the length at offset 4. */
static size_t finish(uint8_t *start, uint8_t *p, int had_opts)
{
	if (had_opts) {
		p = put16(p, OPT_ENDOFOPT);
		p = put16(p, 0);
	}
	uint32_t total = (uint32_t)(p - start) + 4u;
	p = put32(p, total);
	put32(start + 4, total);
	return total;
}

size_t pcapng_shb(uint8_t *out, const char *userappl)
{
	uint8_t *p = out;
	p = put32(p, BT_SHB);
	p = put32(p, 0); /* total length, set by finish */
	p = put32(p, BYTE_ORDER_MAGIC);
	p = put16(p, 1);		   /* major version */
	p = put16(p, 0);		   /* minor version */
	uint64_t section_len = UINT64_MAX; /* -1: not specified */
	memcpy(p, &section_len, 8);
	p += 8;
	size_t n = opt_str_len(userappl, PCAPNG_NAME_MAX);
	if (n)
		p = put_opt(p, OPT_SHB_USERAPPL, userappl, n);
	return finish(out, p, n != 0);
}

size_t pcapng_idb(uint8_t *out, uint16_t linktype, uint32_t snaplen, const char *if_name)
{
	uint8_t *p = out;
	p = put32(p, BT_IDB);
	p = put32(p, 0);
	p = put16(p, linktype);
	p = put16(p, 0); /* reserved */
	p = put32(p, snaplen);
	size_t n = opt_str_len(if_name, PCAPNG_NAME_MAX);
	if (n)
		p = put_opt(p, OPT_IF_NAME, if_name, n);
	return finish(out, p, n != 0);
}

size_t pcapng_epb_size(size_t caplen, const char *comment)
{
	size_t n = opt_str_len(comment, PCAPNG_COMMENT_MAX);
	/* type, length, if id, ts high, ts low, caplen, origlen = 28;
	 * epb_flags 8; comment 4 + padded; endofopt 4; trailing length 4 */
	return 28 + pad4(caplen) + 8 + (n ? 4 + pad4(n) : 0) + 4 + 4;
}

size_t pcapng_epb(uint8_t *out, uint32_t if_id, uint64_t ts_us, const uint8_t *frame, size_t caplen,
		  size_t origlen, enum pcapng_dir dir, const char *comment)
{
	uint8_t *p = out;
	p = put32(p, BT_EPB);
	p = put32(p, 0);
	p = put32(p, if_id);
	p = put32(p, (uint32_t)(ts_us >> 32));
	p = put32(p, (uint32_t)ts_us);
	p = put32(p, (uint32_t)caplen);
	p = put32(p, (uint32_t)origlen);
	memcpy(p, frame, caplen);
	memset(p + caplen, 0, pad4(caplen) - caplen);
	p += pad4(caplen);
	uint32_t flags = (uint32_t)dir & 3u;
	p = put_opt(p, OPT_EPB_FLAGS, &flags, 4);
	size_t n = opt_str_len(comment, PCAPNG_COMMENT_MAX);
	if (n)
		p = put_opt(p, OPT_COMMENT, comment, n);
	return finish(out, p, 1);
}
