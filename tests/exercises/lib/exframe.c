/*
 * exframe.c - frames decoded field by field for the exercise checks, with
 * the field names of the RFC diagrams (RFC 826 "Packet format", RFC 791
 * §3.1, RFC 792, RFC 768, RFC 9293 §3.1), and the expected/actual diff.
 *
 * Deliberately independent of stack/: the learner's own parser is what is
 * under test, so the checks must not decode with it.
 */
#include "exframe.h"

#include <stdio.h>
#include <string.h>

static uint64_t be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* Adds a field over bytes [off, off+len) of f; value = (bytes >> shift) & mask. */
static void add(struct ex_decoded *d, const char *layer, const char *name, size_t off, size_t len,
		const uint8_t *f, size_t flen, unsigned shift, uint64_t mask, const char *fmt)
{
	if (d->n >= EX_MAX_FIELDS || off + len > flen)
		return;
	struct ex_field *x = &d->f[d->n++];
	snprintf(x->name, sizeof(x->name), "%s %s", layer, name);
	x->off = off;
	x->len = len;
	const uint8_t *p = f + off;
	uint64_t v = (be(p, len > 8 ? 8 : len) >> shift) & mask;
	if (!strcmp(fmt, "mac"))
		snprintf(x->val, sizeof(x->val), "%02x:%02x:%02x:%02x:%02x:%02x", p[0], p[1], p[2],
			 p[3], p[4], p[5]);
	else if (!strcmp(fmt, "ip"))
		snprintf(x->val, sizeof(x->val), "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
	else if (!strcmp(fmt, "hex"))
		snprintf(x->val, sizeof(x->val), "0x%0*llx", (int)(len * 2), (unsigned long long)v);
	else if (!strcmp(fmt, "bytes"))
		snprintf(x->val, sizeof(x->val), "%zu bytes", len);
	else
		snprintf(x->val, sizeof(x->val), "%llu", (unsigned long long)v);
	x->value = v;
}

/* Appends " (meaning)" to the last field's value. */
static void note(struct ex_decoded *d, const char *meaning)
{
	if (!d->n || !meaning)
		return;
	struct ex_field *x = &d->f[d->n - 1];
	size_t l = strlen(x->val);
	snprintf(x->val + l, sizeof(x->val) - l, " (%s)", meaning);
}

static const char *ethertype_name(uint64_t t)
{
	return t == 0x0800 ? "IPv4" : t == 0x0806 ? "ARP" : t == 0x86dd ? "IPv6" : NULL;
}

static void tcp_flags(struct ex_decoded *d, uint64_t v)
{
	static const char *names[] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
	char buf[48] = "";
	for (int i = 7; i >= 0; i--)
		if (v & (1u << i)) {
			if (buf[0])
				strcat(buf, ",");
			strcat(buf, names[i]);
		}
	note(d, buf[0] ? buf : "none");
}

static void decode_l4(struct ex_decoded *d, const uint8_t *f, size_t len, size_t o, uint8_t proto,
		      size_t end)
{
	if (proto == 1) {
		add(d, "icmp", "Type", o, 1, f, len, 0, 0xff, "dec");
		note(d, f[o] == 8    ? "echo request"
			: f[o] == 0  ? "echo reply"
			: f[o] == 3  ? "destination unreachable"
			: f[o] == 11 ? "time exceeded"
				     : NULL);
		add(d, "icmp", "Code", o + 1, 1, f, len, 0, 0xff, "dec");
		add(d, "icmp", "Checksum", o + 2, 2, f, len, 0, 0xffff, "hex");
		if (o + 8 <= len && (f[o] == 8 || f[o] == 0)) {
			add(d, "icmp", "Identifier", o + 4, 2, f, len, 0, 0xffff, "dec");
			add(d, "icmp", "Sequence Number", o + 6, 2, f, len, 0, 0xffff, "dec");
		}
		if (end > o + 8)
			add(d, "icmp", "Data", o + 8, end - o - 8, f, len, 0, 0, "bytes");
	} else if (proto == 17) {
		add(d, "udp", "Source Port", o, 2, f, len, 0, 0xffff, "dec");
		add(d, "udp", "Destination Port", o + 2, 2, f, len, 0, 0xffff, "dec");
		add(d, "udp", "Length", o + 4, 2, f, len, 0, 0xffff, "dec");
		add(d, "udp", "Checksum", o + 6, 2, f, len, 0, 0xffff, "hex");
		if (end > o + 8)
			add(d, "udp", "data", o + 8, end - o - 8, f, len, 0, 0, "bytes");
	} else if (proto == 6) {
		add(d, "tcp", "Source Port", o, 2, f, len, 0, 0xffff, "dec");
		add(d, "tcp", "Destination Port", o + 2, 2, f, len, 0, 0xffff, "dec");
		add(d, "tcp", "Sequence Number", o + 4, 4, f, len, 0, 0xffffffff, "dec");
		add(d, "tcp", "Acknowledgment Number", o + 8, 4, f, len, 0, 0xffffffff, "dec");
		add(d, "tcp", "Data Offset", o + 12, 1, f, len, 4, 0xf, "dec");
		add(d, "tcp", "Control Bits", o + 13, 1, f, len, 0, 0xff, "hex");
		if (o + 14 <= len)
			tcp_flags(d, f[o + 13]);
		add(d, "tcp", "Window", o + 14, 2, f, len, 0, 0xffff, "dec");
		add(d, "tcp", "Checksum", o + 16, 2, f, len, 0, 0xffff, "hex");
		add(d, "tcp", "Urgent Pointer", o + 18, 2, f, len, 0, 0xffff, "dec");
		size_t doff = o + 12 < len ? (size_t)(f[o + 12] >> 4) * 4 : 20;
		if (doff > 20 && o + doff <= end)
			add(d, "tcp", "Options", o + 20, doff - 20, f, len, 0, 0, "bytes");
		if (doff >= 20 && end > o + doff)
			add(d, "tcp", "data", o + doff, end - o - doff, f, len, 0, 0, "bytes");
	}
}

void ex_decode(const uint8_t *f, size_t len, struct ex_decoded *d)
{
	d->n = 0;
	add(d, "eth", "destination", 0, 6, f, len, 0, 0, "mac");
	add(d, "eth", "source", 6, 6, f, len, 0, 0, "mac");
	add(d, "eth", "type", 12, 2, f, len, 0, 0xffff, "hex");
	if (len < 14)
		return;
	uint16_t type = (uint16_t)be(f + 12, 2);
	note(d, ethertype_name(type));
	size_t o = 14;
	if (type == 0x0806) {
		/* RFC 826 "Packet format": the field names are the RFC's own. */
		add(d, "arp", "ar$hrd", o, 2, f, len, 0, 0xffff, "dec");
		note(d, o + 2 <= len && be(f + o, 2) == 1 ? "Ethernet" : NULL);
		add(d, "arp", "ar$pro", o + 2, 2, f, len, 0, 0xffff, "hex");
		add(d, "arp", "ar$hln", o + 4, 1, f, len, 0, 0xff, "dec");
		add(d, "arp", "ar$pln", o + 5, 1, f, len, 0, 0xff, "dec");
		add(d, "arp", "ar$op", o + 6, 2, f, len, 0, 0xffff, "dec");
		if (o + 8 <= len)
			note(d, be(f + o + 6, 2) == 1	? "request"
				: be(f + o + 6, 2) == 2 ? "reply"
							: NULL);
		add(d, "arp", "ar$sha", o + 8, 6, f, len, 0, 0, "mac");
		add(d, "arp", "ar$spa", o + 14, 4, f, len, 0, 0, "ip");
		add(d, "arp", "ar$tha", o + 18, 6, f, len, 0, 0, "mac");
		add(d, "arp", "ar$tpa", o + 24, 4, f, len, 0, 0, "ip");
		if (len > o + 28)
			add(d, "eth", "padding", o + 28, len - o - 28, f, len, 0, 0, "bytes");
		return;
	}
	if (type != 0x0800 || len < o + 20)
		return;
	/* RFC 791 §3.1 "Internet Header Format". */
	add(d, "ip", "Version", o, 1, f, len, 4, 0xf, "dec");
	add(d, "ip", "IHL", o, 1, f, len, 0, 0xf, "dec");
	add(d, "ip", "Type of Service", o + 1, 1, f, len, 0, 0xff, "hex");
	add(d, "ip", "Total Length", o + 2, 2, f, len, 0, 0xffff, "dec");
	add(d, "ip", "Identification", o + 4, 2, f, len, 0, 0xffff, "dec");
	add(d, "ip", "Flags", o + 6, 1, f, len, 5, 0x7, "dec");
	{
		uint64_t fl = (f[o + 6] >> 5) & 7;
		note(d, fl & 2 ? (fl & 1 ? "DF,MF" : "DF") : (fl & 1 ? "MF" : NULL));
	}
	add(d, "ip", "Fragment Offset", o + 6, 2, f, len, 0, 0x1fff, "dec");
	add(d, "ip", "Time to Live", o + 8, 1, f, len, 0, 0xff, "dec");
	add(d, "ip", "Protocol", o + 9, 1, f, len, 0, 0xff, "dec");
	note(d, f[o + 9] == 1 ? "ICMP" : f[o + 9] == 6 ? "TCP" : f[o + 9] == 17 ? "UDP" : NULL);
	add(d, "ip", "Header Checksum", o + 10, 2, f, len, 0, 0xffff, "hex");
	add(d, "ip", "Source Address", o + 12, 4, f, len, 0, 0, "ip");
	add(d, "ip", "Destination Address", o + 16, 4, f, len, 0, 0, "ip");
	size_t ihl = (size_t)(f[o] & 0xf) * 4;
	if (ihl > 20 && o + ihl <= len)
		add(d, "ip", "Options", o + 20, ihl - 20, f, len, 0, 0, "bytes");
	size_t total = (size_t)be(f + o + 2, 2);
	size_t end = o + total <= len && total >= ihl ? o + total : len;
	bool first_fragment = (be(f + o + 6, 2) & 0x1fff) == 0;
	if (ihl >= 20 && first_fragment)
		decode_l4(d, f, len, o + ihl, f[o + 9], end);
	else if (ihl >= 20 && end > o + ihl)
		add(d, "ip", "fragment data", o + ihl, end - o - ihl, f, len, 0, 0, "bytes");
	if (len > end)
		add(d, "eth", "padding", end, len - end, f, len, 0, 0, "bytes");
}

/* Whether bytes [off, off+len) differ between the two frames (under mask). */
static bool range_differs(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
			  const uint8_t *mask, size_t off, size_t len)
{
	for (size_t i = off; i < off + len; i++) {
		if (mask && i < alen && !mask[i])
			continue;
		if (i >= alen || i >= blen || a[i] != b[i])
			return true;
	}
	return false;
}

bool ex_frames_differ(const uint8_t *exp, size_t elen, const uint8_t *act, size_t alen,
		      const uint8_t *mask)
{
	return elen != alen || range_differs(exp, elen, act, alen, mask, 0, elen);
}

void ex_frame_diff(FILE *out, const uint8_t *exp, size_t elen, const uint8_t *act, size_t alen,
		   const uint8_t *mask)
{
	struct ex_decoded de, da;
	ex_decode(exp, elen, &de);
	ex_decode(act, alen, &da);
	fprintf(out, "         %-28s %-30s %s\n", "field", "expected", "actual");
	size_t n = de.n > da.n ? de.n : da.n;
	for (size_t i = 0; i < n; i++) {
		const struct ex_field *e = i < de.n ? &de.f[i] : NULL;
		const struct ex_field *a = NULL;
		/* Pair by name: the actual frame may have another shape. */
		for (size_t j = 0; e && j < da.n; j++)
			if (!strcmp(da.f[j].name, e->name)) {
				a = &da.f[j];
				break;
			}
		if (!e)
			a = &da.f[i];
		bool differs = !e || !a || a->len != e->len ||
			       range_differs(exp, elen, act, alen, mask, e->off, e->len) ||
			       strcmp(e->val, a->val) != 0;
		bool ignored = e && mask && e->off < elen && !mask[e->off];
		if (ignored)
			differs = false;
		if (!e && a && da.n <= de.n)
			continue;
		fprintf(out, "      %s %-28s %-30s %s%s\n", differs ? "≠ " : "  ",
			e ? e->name : a->name, e ? e->val : "(absent)", a ? a->val : "(absent)",
			ignored ? "   (any value)" : "");
	}
	fprintf(out, "      bytes (expected, then actual; ^^ marks a difference):\n");
	size_t maxlen = elen > alen ? elen : alen;
	for (size_t row = 0; row < maxlen; row += 16) {
		char le[80] = "", la[80] = "", lm[80] = "";
		bool any = false;
		for (size_t i = row; i < row + 16 && i < maxlen; i++) {
			char h[4];
			snprintf(h, sizeof(h), i < elen ? "%02x " : "   ", i < elen ? exp[i] : 0);
			strcat(le, h);
			snprintf(h, sizeof(h), i < alen ? "%02x " : "   ", i < alen ? act[i] : 0);
			strcat(la, h);
			bool d = (i >= elen || i >= alen || exp[i] != act[i]) &&
				 !(mask && i < elen && !mask[i]);
			strcat(lm, d ? "^^ " : "   ");
			any |= d;
		}
		fprintf(out, "      %04zx  exp %s\n", row, le);
		fprintf(out, "            act %s\n", la);
		if (any)
			fprintf(out, "                %s\n", lm);
	}
}

const char *ex_summary_into(const uint8_t *f, size_t len, char *buf, size_t cap)
{
	if (len < 14) {
		snprintf(buf, cap, "runt frame of %zu bytes", len);
		return buf;
	}
	uint16_t type = (uint16_t)be(f + 12, 2);
	const uint8_t *p = f + 14;
	if (type == 0x0806 && len >= 42) {
		uint16_t op = (uint16_t)be(p + 6, 2);
		if (op == 1)
			snprintf(buf, cap,
				 "ARP request who-has %u.%u.%u.%u tell %u.%u.%u.%u "
				 "(%02x:%02x:%02x:%02x:%02x:%02x)",
				 p[24], p[25], p[26], p[27], p[14], p[15], p[16], p[17], p[8], p[9],
				 p[10], p[11], p[12], p[13]);
		else
			snprintf(
			    buf, cap,
			    "ARP %s %u.%u.%u.%u is-at %02x:%02x:%02x:%02x:%02x:%02x to %u.%u.%u.%u",
			    op == 2 ? "reply" : "op?", p[14], p[15], p[16], p[17], p[8], p[9],
			    p[10], p[11], p[12], p[13], p[24], p[25], p[26], p[27]);
		return buf;
	}
	if (type != 0x0800 || len < 34) {
		snprintf(buf, cap, "Ethernet type 0x%04x, %zu bytes", type, len);
		return buf;
	}
	size_t ihl = (size_t)(p[0] & 0xf) * 4;
	uint16_t frag = (uint16_t)be(p + 6, 2);
	char ip[96];
	snprintf(ip, sizeof(ip), "%u.%u.%u.%u > %u.%u.%u.%u", p[12], p[13], p[14], p[15], p[16],
		 p[17], p[18], p[19]);
	const uint8_t *l4 = p + ihl;
	size_t total = (size_t)be(p + 2, 2);
	if ((frag & 0x3fff) != 0 || ihl < 20 || 14 + ihl + 8 > len) {
		snprintf(buf, cap, "IPv4 %s proto %u fragment offset %u%s, %zu bytes", ip, p[9],
			 (frag & 0x1fff) * 8, frag & 0x2000 ? " MF" : "", total);
	} else if (p[9] == 1) {
		snprintf(buf, cap, "ICMP %s type %u code %u%s", ip, l4[0], l4[1],
			 l4[0] == 8   ? " (echo request)"
			 : l4[0] == 0 ? " (echo reply)"
				      : "");
	} else if (p[9] == 17) {
		snprintf(buf, cap, "UDP %s ports %u > %u, %u bytes", ip, (unsigned)be(l4, 2),
			 (unsigned)be(l4 + 2, 2), (unsigned)be(l4 + 4, 2));
	} else if (p[9] == 6 && 14 + ihl + 20 <= len) {
		char flags[48] = "";
		static const char *names[] = {"FIN", "SYN", "RST", "PSH", "ACK"};
		for (int i = 0; i < 5; i++)
			if (l4[13] & (1u << i)) {
				strcat(flags, flags[0] ? "," : "");
				strcat(flags, names[i]);
			}
		snprintf(buf, cap, "TCP %s ports %u > %u [%s] seq %u ack %u", ip,
			 (unsigned)be(l4, 2), (unsigned)be(l4 + 2, 2), flags,
			 (unsigned)be(l4 + 4, 4), (unsigned)be(l4 + 8, 4));
	} else {
		snprintf(buf, cap, "IPv4 %s proto %u, %zu bytes", ip, p[9], total);
	}
	return buf;
}
