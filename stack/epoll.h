/*
 * epoll.h - the readiness layer behind ts_epoll_create/ctl/wait: an
 * interest list and a ready list per instance, fed by ts_sock_wakeup()
 * (socket.h) the way Linux's ep_poll_callback feeds fs/eventpoll.c.
 *
 * These functions return -errno; the public ts_epoll_* wrappers in
 * socket.c turn that into -1 and errno and print the --trace api line.
 */
#ifndef TS_EPOLL_H
#define TS_EPOLL_H

#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>

struct stack;
struct ts_sock;
struct ts_epoll;

/* Creates an instance and gives it a descriptor. Returns the fd or -errno. */
int ts_ep_create(struct stack *st);
/* EPOLL_CTL_ADD/MOD/DEL of fd in epfd, with Linux's errors. Returns 0 or -errno. */
int ts_ep_ctl(struct stack *st, int epfd, int op, int fd, const struct epoll_event *ev);
/*
 * Drives the stack and collects up to maxevents ready events (see epoll.c).
 * Returns the event count (0 on timeout) or -errno (-EINTR when *st->stop).
 */
int ts_ep_wait(struct stack *st, int epfd, struct epoll_event *events, int maxevents,
	       int timeout_ms);
/* Most entries one poll may carry (RLIMIT_NOFILE's role, as the descriptor table's bound). */
#define TS_EP_POLL_MAX (1 << 20)
/*
 * poll(2) over ts_ descriptors: fills revents, waits as ts_ep_wait does.
 * Returns how many entries have revents (0 on timeout) or -errno.
 */
int ts_ep_poll_fds(struct stack *st, struct pollfd *fds, nfds_t nfds, int timeout_ms);
/* Frees an instance whose descriptor is being closed, unhooking every item. */
void ts_ep_destroy(struct stack *st, struct ts_epoll *ep);
/* Removes s from every epoll set watching it (the socket is being closed). */
void ts_ep_forget_sock(struct ts_sock *s);

#endif
