/*
 * pcap_tee.h - a wrapper that writes every frame received and sent to a
 * capture and flushes after each frame, so Wireshark can open the file
 * while the stack runs, or read it from a pipe (smoltcp
 * src/phy/pcap_writer.rs): classic pcap (libpcap pcap_dump, DLT_EN10MB,
 * snaplen 65535), or pcapng with each frame's direction and, for a frame
 * the stack dropped, a comment naming the drop reason (pcap_tee.c).  Path
 * "-" is standard output.  Timestamps from gettimeofday.
 */
#ifndef TS_PCAP_TEE_H
#define TS_PCAP_TEE_H

#include <stdbool.h>
#include <stddef.h>

#include "netdev.h"

/*
 * Wraps lower (takes ownership on success; destroy closes the file and
 * destroys lower).  On failure returns NULL with the reason in err and
 * leaves lower to the caller.
 */
struct netdev *pcap_tee_wrap(struct netdev *lower, const char *path, char *err, size_t errlen);
/*
 * The same, stamping each frame with the stack's clock (the now_us every
 * recv and send carries) instead of the wall clock: for a simulation on a
 * virtual clock, where the same run must give the same file byte for byte.
 */
struct netdev *pcap_tee_wrap_stack_clock(struct netdev *lower, const char *path, char *err,
					 size_t errlen);

/*
 * pcapng: the same, in pcapng, with direction flags and the stack's drop
 * reasons as comments (it takes the rx_verdict of netdev.h: wrap it above
 * the fault injector, below nothing that drops frames).
 */
struct netdev *pcapng_tee_wrap(struct netdev *lower, const char *path, char *err, size_t errlen);
struct netdev *pcapng_tee_wrap_stack_clock(struct netdev *lower, const char *path, char *err,
					   size_t errlen);

/*
 * One pcapng file for several links (both ends of the in-memory wire):
 * pcapng_file_open writes the section header (path "-": standard output);
 * each pcapng_tee_wrap_file adds the link's interface description block,
 * named if_name (NULL: lower's name), and writes its frames with that
 * interface's id; pcapng_file_close drops the opener's reference (the file
 * closes with its last writer).  NULL with the reason in err on failure.
 */
struct pcapng_file;
struct pcapng_file *pcapng_file_open(const char *path, char *err, size_t errlen);
struct netdev *pcapng_tee_wrap_file(struct netdev *lower, struct pcapng_file *f,
				    const char *if_name, bool stack_clock, char *err,
				    size_t errlen);
void pcapng_file_close(struct pcapng_file *f);

#endif
