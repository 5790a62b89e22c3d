/*
 * siphash.h - SipHash-2-4 (Aumasson, Bernstein 2012), the keyed hash that
 * makes values derived from addresses unpredictable to whoever does not
 * know the key: IP IDs (ipv4.c), the ARP hash (arp.c), TCP ISNs, tables and
 * SYN cookies (tcp_pcb.c, tcp_syncookie.c).
 */
#ifndef TS_SIPHASH_H
#define TS_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* SipHash-2-4 under key of the n 64-bit words m (a message of 8n bytes). */
uint64_t siphash24_words(const uint64_t key[2], const uint64_t *m, size_t n);

#endif
