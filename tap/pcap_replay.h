/*
 * pcap_replay.h - a netdev fed by a pcap file: recv returns the file's
 * frames in order (libpcap offline), then 0 forever; send keeps every frame
 * in memory so a test can inspect what the stack answered.
 */
#ifndef TS_PCAP_REPLAY_H
#define TS_PCAP_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "netdev.h"

/*
 * Opens path (link type must be Ethernet).  On failure returns NULL with the
 * reason in err.
 */
struct netdev *pcap_replay_open(const char *path, char *err, size_t errlen);
/*
 * Copies the i-th frame sent on dev (0 = first) into out, at most cap
 * bytes; returns the bytes copied, 0 when there is no such frame.
 */
size_t pcap_replay_sent(struct netdev *dev, size_t i, uint8_t *out, size_t cap);
/* Number of frames sent on dev so far. */
size_t pcap_replay_sent_count(struct netdev *dev);

#endif
