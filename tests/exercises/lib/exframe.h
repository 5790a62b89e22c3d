/*
 * exframe.h - frames decoded field by field with the RFC diagrams' field
 * names, and the expected/actual diff the exercise checks print
 * (exframe.c).  Independent of stack/: the learner's parser is under test.
 */
#ifndef TS_EXFRAME_H
#define TS_EXFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define EX_MAX_FIELDS 48

struct ex_field {
	char name[40]; /* "arp ar$op", "ip Total Length" */
	size_t off;    /* bytes [off, off+len) of the frame */
	size_t len;
	uint64_t value; /* numeric value (bit fields shifted and masked) */
	char val[80];	/* printable, with the meaning: "2 (reply)" */
};

struct ex_decoded {
	size_t n;
	struct ex_field f[EX_MAX_FIELDS];
};

/* Ethernet, then ARP or IPv4, then ICMP/UDP/TCP; as far as the bytes go. */
void ex_decode(const uint8_t *frame, size_t len, struct ex_decoded *out);
/* Whether the frames differ (mask: elen bytes, 0 = any value; may be NULL). */
bool ex_frames_differ(const uint8_t *exp, size_t elen, const uint8_t *act, size_t alen,
		      const uint8_t *mask);
/* The field table (differences marked ≠) and both hex dumps (^^ under differences). */
void ex_frame_diff(FILE *out, const uint8_t *exp, size_t elen, const uint8_t *act, size_t alen,
		   const uint8_t *mask);
/* One line: "ARP request who-has 10.0.0.2 tell 10.0.0.1 (02:..:01)". */
const char *ex_summary_into(const uint8_t *frame, size_t len, char *buf, size_t cap);

#endif
