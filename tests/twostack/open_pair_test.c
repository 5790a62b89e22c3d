/*
 * open_pair_test.c - the public calls that make stacks (tapstack.h, "Making
 * stacks"; tap/stack_open.c), used as a program would: only the ts_ API.
 * ts_open_pair's two stacks talk with blocking calls written straight line,
 * a call that can never finish gives up (EAGAIN, ECONNREFUSED, a poll
 * timeout on the virtual clock), and bad configurations are EINVAL with
 * the field named.
 */
#include <arpa/inet.h>

#include "tapstack.h"
#include "tsunit.h"

static struct sockaddr_in addr(const char *ip, uint16_t port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, ip, &sin.sin_addr);
	return sin;
}

START_TEST(pair_round_trip_with_blocking_calls)
{
	struct stack *a, *b;
	char err[256];
	ck_assert_msg(ts_open_pair(NULL, NULL, &a, &b, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(ts_now_us(a), 1000000);
	struct sockaddr_in srv = addr("10.0.0.2", 80);
	int l = ts_socket(b, AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(ts_bind(b, l, (struct sockaddr *)&srv, sizeof(srv)), 0);
	ck_assert_int_eq(ts_listen(b, l, 8), 0);
	int c = ts_socket(a, AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(ts_connect(a, c, (struct sockaddr *)&srv, sizeof(srv)), 0);
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	int s = ts_accept(b, l, (struct sockaddr *)&peer, &plen);
	ck_assert_int_ge(s, 0);
	ck_assert_uint_eq(ntohl(peer.sin_addr.s_addr), 0x0a000001); /* a is 10.0.0.1 */
	/* More than one window's worth, so the write must wait for the reader. */
	static char big[1 << 20], back[1 << 20];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i % 251);
	ck_assert_int_eq(ts_set_nonblock(a, c, 1), 0);
	size_t sent = 0, got = 0;
	while (got < sizeof(big)) {
		if (sent < sizeof(big)) {
			ssize_t n = ts_write(a, c, big + sent, sizeof(big) - sent);
			if (n > 0)
				sent += (size_t)n;
			else
				ck_assert_int_eq(errno, EAGAIN);
		}
		if (got == sent) {
			/* All read, the send buffer still full of what b acknowledged: wait
			 * (driving both stacks) until a may write again. */
			struct pollfd p = {.fd = c, .events = POLLOUT};
			ck_assert_int_eq(ts_poll(a, &p, 1, -1), 1);
			continue;
		}
		ssize_t n = ts_read(b, s, back + got, sizeof(back) - got); /* blocks: drives both */
		ck_assert_msg(n > 0, "read: %zd (%s) at %zu of %zu sent", n, strerror(errno), got,
			      sent);
		got += (size_t)n;
	}
	ck_assert_mem_eq(big, back, sizeof(big));
	ts_close(a, c);
	ck_assert_int_eq(ts_read(b, s, back, 1), 0); /* the FIN */
	ts_close(b, s);
	ts_close(b, l);
	ts_stack_close(a);
	ts_stack_close(b);
}
END_TEST

START_TEST(pair_calls_that_cannot_finish_give_up)
{
	struct stack *a, *b;
	char err[256];
	ck_assert_msg(ts_open_pair(NULL, NULL, &a, &b, err, sizeof(err)) == 0, "%s", err);
	struct sockaddr_in srv = addr("10.0.0.2", 81);
	int c = ts_socket(a, AF_INET, SOCK_STREAM, 0);
	ck_errno(ts_connect(a, c, (struct sockaddr *)&srv, sizeof(srv)), ECONNREFUSED);
	ts_close(a, c);
	int l = ts_socket(b, AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(ts_bind(b, l, (struct sockaddr *)&srv, sizeof(srv)), 0);
	ck_assert_int_eq(ts_listen(b, l, 8), 0);
	ck_errno(ts_accept(b, l, NULL, NULL), EAGAIN); /* no client will ever come */
	/* A poll timeout passes on the virtual clock, at once in real time. */
	uint64_t t0 = ts_now_us(b);
	struct pollfd p = {.fd = l, .events = POLLIN};
	ck_assert_int_eq(ts_poll(b, &p, 1, 5000), 0);
	ck_assert_uint_ge(ts_now_us(b) - t0, 5000000);
	ck_assert_uint_eq(ts_now_us(a), ts_now_us(b)); /* one clock */
	ts_close(b, l);
	ts_stack_close(b); /* either may go first */
	ts_stack_close(a);
}
END_TEST

START_TEST(pair_bad_config_is_einval_naming_the_field)
{
	struct stack *a = NULL, *b = NULL;
	char err[256];
	struct {
		struct ts_stack_config cfg;
		const char *says;
	} bad[] = {
	    {{.ip = "10.0.0.300/24"}, "bad ip"},
	    {{.ip = "10.0.0.1"}, "bad ip"},
	    {{.mac = "01:00:00:00:00:01"}, "bad mac"},
	    {{.gw = "nowhere"}, "bad gw"},
	    {{.mtu = 100}, "bad mtu"},
	    {{.trace = "layers,bogus"}, "bad trace"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		ck_errno(ts_open_pair(&bad[i].cfg, NULL, &a, &b, err, sizeof(err)), EINVAL);
		ck_assert_msg(strstr(err, bad[i].says), "case %zu: '%s'", i, err);
		ck_errno(ts_open_pair(NULL, &bad[i].cfg, &a, &b, err, sizeof(err)), EINVAL);
	}
	ck_assert_ptr_null(a);
	ck_assert_ptr_null(b);
	struct ts_stack_config c = {.pcap = "/nonexistent-dir/x.pcap"};
	ck_assert_int_eq(ts_open_pair(NULL, &c, &a, &b, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "/nonexistent-dir/x.pcap"), "%s", err);
	errno = 0;
	ck_assert_ptr_null(ts_open_tap("a-name-much-too-long", NULL, err, sizeof(err)));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_msg(strstr(err, "bad TAP name"), "%s", err);
	ts_stack_close(NULL); /* like free(NULL) */
}
END_TEST

static Suite *open_pair_suite(void)
{
	Suite *s = suite_create("open_pair");
	TCase *tc = tcase_create("open_pair");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, pair_round_trip_with_blocking_calls);
	tcase_add_test(tc, pair_calls_that_cannot_finish_give_up);
	tcase_add_test(tc, pair_bad_config_is_einval_naming_the_field);
	suite_add_tcase(s, tc);
	return s;
}
TS_SUITE(open_pair_suite)
