/*
 * pcapng.h - encodes the pcapng blocks the capture writer needs, into a
 * caller's buffer, with no I/O and no state (draft-ietf-opsawg-pcapng,
 * "PCAP Now Generic (pcapng) Capture File Format"):
 *
 *   Section Header Block (SHB, 4.1): one per file, byte-order magic in the
 *     host's order, version 1.0, section length unknown (-1), shb_userappl;
 *   Interface Description Block (IDB, 4.2): one per link, link type
 *     (LINKTYPE_ETHERNET = 1), snaplen, if_name; timestamps in
 *     microseconds (the default if_tsresol, so no option);
 *   Enhanced Packet Block (EPB, 4.3): one per frame, interface id,
 *     timestamp, captured and original lengths, the frame padded to 32
 *     bits, epb_flags (4.3.1: bits 0-1 direction, 01 inbound, 10
 *     outbound) and an optional opt_comment (3.5).
 *
 * Every block is written in the host's byte order, which the SHB's magic
 * records (readers swap when needed).  Each encoder returns the block's
 * length, a multiple of 4; *_size gives it first so the caller can size
 * its buffer.
 */
#ifndef TS_PCAPNG_H
#define TS_PCAPNG_H

#include <stddef.h>
#include <stdint.h>

#define PCAPNG_LINKTYPE_ETHERNET 1

/* epb_flags direction (bits 0-1). */
enum pcapng_dir {
	PCAPNG_DIR_UNKNOWN = 0,
	PCAPNG_DIR_INBOUND = 1,
	PCAPNG_DIR_OUTBOUND = 2,
};

/* Longest application name and interface name encoded (longer ones are cut). */
#define PCAPNG_NAME_MAX 64
/* Longest comment encoded (a longer one is cut). */
#define PCAPNG_COMMENT_MAX 256

/* Largest SHB or IDB: header, one name option, end of options, trailer. */
#define PCAPNG_HDR_BLOCK_MAX 128

size_t pcapng_shb(uint8_t *out, const char *userappl);
size_t pcapng_idb(uint8_t *out, uint16_t linktype, uint32_t snaplen, const char *if_name);

/* Length of the EPB of caplen octets with comment (NULL or "": none). */
size_t pcapng_epb_size(size_t caplen, const char *comment);
/*
 * Encodes the EPB into out (pcapng_epb_size(caplen, comment) octets):
 * interface if_id, timestamp ts_us (microseconds since the epoch, or a
 * simulated clock), caplen octets of frame out of origlen, direction dir,
 * comment (NULL or "": none).
 */
size_t pcapng_epb(uint8_t *out, uint32_t if_id, uint64_t ts_us, const uint8_t *frame, size_t caplen,
		  size_t origlen, enum pcapng_dir dir, const char *comment);

#endif
