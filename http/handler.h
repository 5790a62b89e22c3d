/*
 * handler.h - how services share one ts_epoll instance: every registered
 * descriptor's epoll_event.data.ptr points at an object whose first member
 * is a struct ts_handler; the main loop (tools/tapstack.c) calls
 * handler->on_event(handler, events) for each ready event.
 */
#ifndef TS_HANDLER_H
#define TS_HANDLER_H

#include <stdint.h>

struct ts_handler {
	void (*on_event)(struct ts_handler *h, uint32_t events);
};

#endif
