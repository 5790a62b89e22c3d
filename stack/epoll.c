/*
 * epoll.c - epoll-style readiness for ts_ sockets, modelled on Linux
 * fs/eventpoll.c.
 *
 * Each instance keeps an interest list (one struct ts_epitem per watched
 * socket, also linked from the socket's `watch` list) and a ready list.
 * Call order:
 *   protocol input → ts_sock_wakeup(s) → every item of s goes on its
 *   instance's ready list (O(1), no poll yet, like ep_poll_callback)
 *   ts_epoll_wait → stack_poll/stack_wait → collect: each ready item is
 *   re-checked with ->poll(); items with no wanted event leave the list,
 *   level-triggered ones that reported stay (at the tail, round robin),
 *   edge-triggered ones leave until the next wakeup, one-shot ones are
 *   disabled until EPOLL_CTL_MOD.
 * EPOLLERR and EPOLLHUP are always reported, whatever the interest mask.
 * ts_poll (poll(2)) asks ->poll() of each entry directly, without a ready
 * list; an epoll descriptor polled that way is readable when an item is.
 *
 * Read epoll(7) ("Level-triggered and edge-triggered", "Q&A") and
 * epoll_ctl(2) ERRORS before changing the semantics here.
 */
#include "epoll.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "socket.h"
#include "stack.h"
#include "task.h"

/* Event bits that are not readiness: they change how an item reports. */
#define EP_PRIVATE_BITS ((uint32_t)(EPOLLONESHOT | EPOLLET | EPOLLWAKEUP | EPOLLEXCLUSIVE))

/* One watched socket in one instance. */
struct ts_epitem {
	struct ts_epoll *ep;	     /* the instance */
	struct ts_sock *sock;	     /* the watched socket */
	int fd;			     /* its descriptor when added */
	struct epoll_event ev;	     /* interest mask and user data */
	struct ts_epitem *sock_next; /* next item watching the same socket */
	struct ts_epitem *prev;	     /* interest list of ep */
	struct ts_epitem *next;
	struct ts_epitem *rd_prev; /* ready list of ep, valid while on_ready */
	struct ts_epitem *rd_next;
	bool on_ready; /* on ep's ready list */
};

struct ts_epoll {
	struct stack *st;
	int fd;				     /* our descriptor */
	struct ts_epitem *items;	     /* interest list */
	struct ts_epitem *rd_head, *rd_tail; /* ready list */
	int nitems;
};

static void ready_append(struct ts_epoll *ep, struct ts_epitem *it)
{
	if (it->on_ready)
		return;
	it->on_ready = true;
	it->rd_next = NULL;
	it->rd_prev = ep->rd_tail;
	if (ep->rd_tail)
		ep->rd_tail->rd_next = it;
	else
		ep->rd_head = it;
	ep->rd_tail = it;
}

static void ready_remove(struct ts_epoll *ep, struct ts_epitem *it)
{
	if (!it->on_ready)
		return;
	if (it->rd_prev)
		it->rd_prev->rd_next = it->rd_next;
	else
		ep->rd_head = it->rd_next;
	if (it->rd_next)
		it->rd_next->rd_prev = it->rd_prev;
	else
		ep->rd_tail = it->rd_prev;
	it->on_ready = false;
	it->rd_prev = it->rd_next = NULL;
}

/* An item whose one-shot already fired keeps only private bits (Linux does the same). */
static bool item_enabled(const struct ts_epitem *it)
{
	return (it->ev.events & ~EP_PRIVATE_BITS) != 0;
}

/* Events the item would report now: ->poll() filtered by interest (which holds ERR/HUP). */
static uint32_t item_poll(const struct ts_epitem *it)
{
	return it->sock->ops->poll(it->sock) & it->ev.events & ~EP_PRIVATE_BITS;
}

void ts_sock_wakeup_events(struct ts_sock *s, uint32_t events)
{
	task_sock_wakeup(s, events); /* tasks parked on s (Go's netpollready) */
	/*
	 * No ->poll() here: the protocol may call us before it has finished
	 * updating its state.  ts_ep_wait re-polls every ready item, so a
	 * wakeup that changed nothing costs one poll there and reports nothing.
	 */
	for (struct ts_epitem *it = s->watch; it; it = it->sock_next)
		if (item_enabled(it) && (it->ev.events & events & ~EP_PRIVATE_BITS))
			ready_append(it->ep, it);
}

void ts_sock_wakeup(struct ts_sock *s)
{
	ts_sock_wakeup_events(s, ~EP_PRIVATE_BITS);
}

int ts_ep_create(struct stack *st)
{
	struct ts_epoll *ep = calloc(1, sizeof(*ep));
	if (!ep)
		return -ENOMEM;
	ep->st = st;
	int fd = ts_fd_alloc(st, TS_FD_EPOLL, ep);
	if (fd < 0) {
		free(ep);
		return fd;
	}
	ep->fd = fd;
	return fd;
}

static struct ts_epitem *item_find(struct ts_epoll *ep, struct ts_sock *s)
{
	for (struct ts_epitem *it = s->watch; it; it = it->sock_next)
		if (it->ep == ep)
			return it;
	return NULL;
}

/* Unlinks it from its socket, its instance's lists, and frees it. */
static void item_free(struct ts_epitem *it)
{
	struct ts_epoll *ep = it->ep;
	struct ts_epitem **pp = &it->sock->watch;

	while (*pp && *pp != it)
		pp = &(*pp)->sock_next;
	if (*pp)
		*pp = it->sock_next;
	ready_remove(ep, it);
	if (it->prev)
		it->prev->next = it->next;
	else
		ep->items = it->next;
	if (it->next)
		it->next->prev = it->prev;
	ep->nitems--;
	free(it);
}

static int item_add(struct ts_epoll *ep, struct ts_sock *s, int fd, const struct epoll_event *ev)
{
	struct ts_epitem *it = calloc(1, sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->ep = ep;
	it->sock = s;
	it->fd = fd;
	it->ev = *ev;
	it->sock_next = s->watch;
	s->watch = it;
	it->next = ep->items;
	if (ep->items)
		ep->items->prev = it;
	ep->items = it;
	ep->nitems++;
	/* Already ready: report at the next wait, as ep_insert does. */
	if (item_poll(it))
		ready_append(ep, it);
	return 0;
}

int ts_ep_ctl(struct stack *st, int epfd, int op, int fd, const struct epoll_event *ev)
{
	struct ts_epoll *ep;
	struct ts_sock *s;
	struct ts_epitem *it;

	/* epoll_ctl(2) ERRORS, checked in the kernel's order. */
	if (op != EPOLL_CTL_ADD && op != EPOLL_CTL_MOD && op != EPOLL_CTL_DEL)
		return -EINVAL;
	if (op != EPOLL_CTL_DEL && !ev)
		return -EFAULT;
	if (!ts_fd_get(st, epfd, TS_FD_SOCK) && !ts_fd_get(st, epfd, TS_FD_EPOLL))
		return -EBADF;
	if (!ts_fd_get(st, fd, TS_FD_SOCK) && !ts_fd_get(st, fd, TS_FD_EPOLL))
		return -EBADF;
	ep = ts_fd_get(st, epfd, TS_FD_EPOLL);
	if (!ep || fd == epfd)
		return -EINVAL;
	s = ts_fd_get(st, fd, TS_FD_SOCK);
	if (!s)
		return -EPERM; /* Deviation from Linux: epoll sets cannot be nested here. */
	if (op == EPOLL_CTL_MOD && (ev->events & EPOLLEXCLUSIVE))
		return -EINVAL; /* epoll_ctl(2): EPOLLEXCLUSIVE only with ADD */

	it = item_find(ep, s);
	struct epoll_event e = {0};
	if (ev) {
		/* do_epoll_ctl: EPOLLERR and EPOLLHUP are always part of the interest. */
		e = *ev;
		e.events |= EPOLLERR | EPOLLHUP;
	}
	switch (op) {
	case EPOLL_CTL_ADD:
		if (it)
			return -EEXIST;
		return item_add(ep, s, fd, &e);
	case EPOLL_CTL_MOD:
		if (!it)
			return -ENOENT;
		it->ev = e;
		/* ep_modify: re-arm, and queue if the new mask is already satisfied. */
		ready_remove(ep, it);
		if (item_poll(it))
			ready_append(ep, it);
		return 0;
	default:
		if (!it)
			return -ENOENT;
		item_free(it);
		return 0;
	}
}

/*
 * Moves up to maxevents events from the ready list into events (Linux
 * ep_send_events).  Level-triggered items that reported go back on the
 * tail so the next wait sees them again while they stay ready.
 */
static int ep_collect(struct ts_epoll *ep, struct epoll_event *events, int maxevents)
{
	struct ts_epitem *again_head = NULL, *again_tail = NULL;
	int n = 0;

	while (n < maxevents && ep->rd_head) {
		struct ts_epitem *it = ep->rd_head;
		ready_remove(ep, it);
		if (!item_enabled(it))
			continue;
		uint32_t revents = item_poll(it);
		if (!revents)
			continue;
		events[n].events = revents;
		events[n].data = it->ev.data;
		n++;
		if (it->ev.events & EPOLLONESHOT) {
			it->ev.events &= EP_PRIVATE_BITS;
		} else if (!(it->ev.events & EPOLLET)) {
			/* Park on a side list so this pass does not see it twice. */
			it->on_ready = true;
			it->rd_next = NULL;
			it->rd_prev = again_tail;
			if (again_tail)
				again_tail->rd_next = it;
			else
				again_head = it;
			again_tail = it;
		}
	}
	if (again_head) {
		again_head->rd_prev = ep->rd_tail;
		if (ep->rd_tail)
			ep->rd_tail->rd_next = again_head;
		else
			ep->rd_head = again_head;
		ep->rd_tail = again_tail;
	}
	return n;
}

/*
 * Waits for readiness as epoll_wait and poll do: ready(st, ctx) returns
 * how many events it found (or -errno); this processes what the link and
 * the timers have, asks, and otherwise waits (stack_block) until the next
 * frame or deadline, never spinning, until timeout_ms passes (-1: never).
 *
 * On a link without a kernel fd and without a wait hook (st->kq < 0) the
 * caller owns the virtual clock: poll once at the stack's own time and
 * return what is ready, whatever timeout_ms says.  With a wait hook the
 * wait runs on the stack's clock, and a hook that can make no progress
 * ends it as a timeout would (0).
 */
static int ready_wait(struct stack *st, int timeout_ms, int (*ready)(struct stack *, void *),
		      void *ctx)
{
	/* A task always waits: it parks (task.c), whatever drives the clock. */
	if (st->kq < 0 && !st->wait_hook && !task_running(st)) {
		stack_poll(st, st->now_us);
		return ready(st, ctx);
	}
	uint64_t until =
	    timeout_ms < 0 ? UINT64_MAX : stack_clock(st) + (uint64_t)timeout_ms * 1000u;
	/* Work already queued (frames, due timers) first, without sleeping. */
	if (st->wait_hook || st->kq < 0)
		stack_poll(st, st->now_us);
	else if (stack_wait(st, 0) == -EINTR)
		return -EINTR;
	for (;;) {
		int n = ready(st, ctx);
		if (n != 0 || timeout_ms == 0)
			return n;
		int r = stack_block(st, until);
		if (r == -EINTR)
			return -EINTR;
		if (r < 0)
			return 0; /* the timeout passed, or nothing can change any more */
	}
}

struct ep_collect_ctx {
	struct ts_epoll *ep;
	struct epoll_event *events;
	int maxevents;
};

static int ep_collect_ready(struct stack *st, void *p)
{
	struct ep_collect_ctx *c = p;
	(void)st;
	return ep_collect(c->ep, c->events, c->maxevents);
}

/* The ts_epoll_wait loop (Redis aeProcessEvents), through ready_wait. */
int ts_ep_wait(struct stack *st, int epfd, struct epoll_event *events, int maxevents,
	       int timeout_ms)
{
	struct ts_epoll *ep;

	if (!ts_fd_get(st, epfd, TS_FD_SOCK) && !ts_fd_get(st, epfd, TS_FD_EPOLL))
		return -EBADF;
	if (!(ep = ts_fd_get(st, epfd, TS_FD_EPOLL)) || maxevents <= 0)
		return -EINVAL;
	if (!events)
		return -EFAULT;

	struct ep_collect_ctx c = {ep, events, maxevents};
	return ready_wait(st, timeout_ms, ep_collect_ready, &c);
}

/* Whether any item of ep would report now (poll on an epoll descriptor). */
static bool ep_has_ready(struct ts_epoll *ep)
{
	for (struct ts_epitem *it = ep->rd_head; it; it = it->rd_next)
		if (item_enabled(it) && item_poll(it))
			return true;
	return false;
}

struct poll_ctx {
	struct pollfd *fds;
	nfds_t nfds;
};

/*
 * One pass of poll(2) over the entries (do_pollfd): a negative fd is
 * skipped, a closed one is POLLNVAL; POLLERR and POLLHUP are reported
 * whatever events asks.  Socket readiness bits are epoll's, which have
 * poll's values.  Returns how many entries have revents.
 */
static int poll_scan(struct stack *st, void *p)
{
	struct poll_ctx *c = p;
	int n = 0;
	for (nfds_t i = 0; i < c->nfds; i++) {
		struct pollfd *pf = &c->fds[i];
		uint32_t mask = 0;
		struct ts_sock *s;
		struct ts_epoll *ep;
		if (pf->fd < 0) {
			pf->revents = 0;
			continue;
		}
		if ((s = ts_fd_get(st, pf->fd, TS_FD_SOCK)))
			mask = s->ops->poll(s);
		else if ((ep = ts_fd_get(st, pf->fd, TS_FD_EPOLL)))
			mask = ep_has_ready(ep) ? POLLIN | POLLRDNORM : 0; /* ep_eventpoll_poll */
		else
			mask = POLLNVAL;
		pf->revents = (short)(mask & ((uint16_t)pf->events | POLLERR | POLLHUP | POLLNVAL));
		if (pf->revents)
			n++;
	}
	return n;
}

int ts_ep_poll_fds(struct stack *st, struct pollfd *fds, nfds_t nfds, int timeout_ms)
{
	/* do_sys_poll: more entries than descriptors may exist is EINVAL. */
	if (nfds > TS_EP_POLL_MAX)
		return -EINVAL;
	if (!fds && nfds)
		return -EFAULT;
	struct poll_ctx c = {fds, nfds};
	return ready_wait(st, timeout_ms, poll_scan, &c);
}

void ts_ep_destroy(struct stack *st, struct ts_epoll *ep)
{
	(void)st;
	while (ep->items)
		item_free(ep->items);
	free(ep);
}

void ts_ep_forget_sock(struct ts_sock *s)
{
	while (s->watch)
		item_free(s->watch);
}
