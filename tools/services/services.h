/*
 * services.h - the small RFC services of `tapstack serve`, written only
 * against the public ts_ API (tapstack.h) and one shared ts_epoll
 * instance (http/handler.h): TCP echo (port 7, RFC 862), TCP discard
 * (port 9, RFC 863) and UDP echo (port 7, RFC 862 §"UDP Based Echo
 * Service").
 */
#ifndef TS_SERVICES_H
#define TS_SERVICES_H

#include <stdint.h>

struct stack;
struct services;

/* Ports; tests may start the services elsewhere with services_start_ports. */
#define SERVICES_ECHO_PORT    7
#define SERVICES_DISCARD_PORT 9

/*
 * Opens the listeners and the UDP socket and registers them in epfd; every
 * epoll data.ptr is an object whose first member is a struct ts_handler.
 * Returns 0 and *out, or -errno (everything opened so far is closed).
 */
int services_start(struct services **out, struct stack *st, int epfd);
/* The same on other ports (0 = that service off). */
int services_start_ports(struct services **out, struct stack *st, int epfd, uint16_t echo_port,
			 uint16_t discard_port, uint16_t udp_echo_port);
/* Closes every connection and listener and frees s (NULL is ignored). */
void services_stop(struct services *s);
/* Open TCP connections (for tests and the connection table). */
unsigned services_conn_count(const struct services *s);

#endif
