/*
 * tsunit.c - suite registry, hex fixture loader and the capture netdev.
 */
#include "tsunit.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#define MAX_SUITES 64
static ts_suite_fn suites[MAX_SUITES]; /* test-binary registry, filled before main */
static int nsuites;

void ts_register_suite(ts_suite_fn fn)
{
	if (nsuites < MAX_SUITES)
		suites[nsuites++] = fn;
}

/*
 * TEST=name runs one test function.  Check selects suites (CK_RUN_SUITE,
 * set from SUITE=) and test cases (CK_RUN_CASE) but not single tests, so
 * the binaries are linked with --wrap=_tcase_add_test and every test whose
 * name differs is simply never added.
 */
static unsigned tests_selected;
void __real__tcase_add_test(TCase *tc, const TTest *ttest, int sig, int exit_value, int start,
			    int end);
void __wrap__tcase_add_test(TCase *tc, const TTest *ttest, int sig, int exit_value, int start,
			    int end);
void __wrap__tcase_add_test(TCase *tc, const TTest *ttest, int sig, int exit_value, int start,
			    int end)
{
	const char *only = getenv("TEST");
	if (only && *only && strcmp(only, ttest->name) != 0)
		return;
	tests_selected++;
	__real__tcase_add_test(tc, ttest, sig, exit_value, start, end);
}

/* SUITE=name: whether this binary has that suite (suite_create is wrapped too). */
static bool suite_found;
Suite *__real_suite_create(const char *name);
Suite *__wrap_suite_create(const char *name);
Suite *__wrap_suite_create(const char *name)
{
	const char *want = getenv("SUITE");
	if (want && strcmp(want, name) == 0)
		suite_found = true;
	return __real_suite_create(name);
}

int ts_run_registered(void);
int ts_run_registered(void)
{
	SRunner *sr = NULL;
	const char *suite = getenv("SUITE");
	if (suite && *suite)
		setenv("CK_RUN_SUITE", suite, 1);
	for (int i = 0; i < nsuites; i++) {
		if (!sr)
			sr = srunner_create(suites[i]());
		else
			srunner_add_suite(sr, suites[i]());
	}
	if (!sr) {
		fprintf(stderr, "no test suites registered\n");
		return 1;
	}
	if (suite && *suite && !suite_found) {
		/* Exit 77: the family's runner reports this binary as skipped. */
		printf("skipped: no suite named '%s' in this binary\n", suite);
		srunner_free(sr);
		return 77;
	}
	const char *only = getenv("TEST");
	if (only && *only && !tests_selected) {
		printf("skipped: no test named '%s' in this binary\n", only);
		srunner_free(sr);
		return 77;
	}
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

size_t ts_parse_hex(const char *text, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;
	for (const char *p = text; *p; p++) {
		if (*p == '#') {
			while (*p && *p != '\n')
				p++;
			if (!*p)
				break;
			continue;
		}
		if (isspace((unsigned char)*p))
			continue;
		int v;
		if (*p >= '0' && *p <= '9')
			v = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			v = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			v = *p - 'A' + 10;
		else
			ck_abort_msg("bad hex character '%c'", *p);
		if (hi < 0) {
			hi = v;
		} else {
			ck_assert_msg(n < cap, "hex fixture larger than %zu bytes", cap);
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	ck_assert_msg(hi < 0, "odd number of hex digits");
	return n;
}

size_t ts_load_hex(const char *path, uint8_t *out, size_t cap)
{
	char full[512];
	const char *dir = getenv("TS_FRAMES_DIR");
	snprintf(full, sizeof(full), "%s/%s", dir ? dir : "tests/frames", path);
	FILE *f = fopen(full, "r");
	ck_assert_msg(f != NULL, "cannot open fixture %s", full);
	static char text[1 << 20];
	size_t len = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[len] = 0;
	return ts_parse_hex(text, out, cap);
}

struct capframe {
	struct capframe *next;
	size_t len;
	struct netdev_meta meta; /* offload metadata that came with the frame */
	uint8_t data[];
};

struct capdev {
	struct netdev dev;
	struct capframe *rx_head, *rx_tail; /* injected, for the stack to receive */
	struct capframe *tx_head, *tx_tail; /* sent by the stack */
	size_t tx_n;
	struct netdev_caps caps; /* what the device tells the stack it can do */
	size_t sendv_pieces;	 /* frames that came in more than one piece (sendv) */
};

static void q_push(struct capframe **h, struct capframe **t, const uint8_t *d, size_t len,
		   const struct netdev_meta *meta)
{
	struct capframe *f = malloc(sizeof(*f) + len);
	ck_assert_ptr_nonnull(f);
	f->next = NULL;
	f->len = len;
	f->meta = *meta;
	memcpy(f->data, d, len);
	if (*t)
		(*t)->next = f;
	else
		*h = f;
	*t = f;
}

static struct capframe *q_pop(struct capframe **h, struct capframe **t)
{
	struct capframe *f = *h;
	if (f) {
		*h = f->next;
		if (!*h)
			*t = NULL;
	}
	return f;
}

static ssize_t cap_recv(struct netdev *d, uint8_t *buf, size_t cap, struct netdev_meta *meta,
			uint64_t now_us)
{
	struct capdev *c = (struct capdev *)d;
	(void)now_us;
	struct capframe *f = q_pop(&c->rx_head, &c->rx_tail);
	if (!f)
		return 0;
	size_t n = f->len < cap ? f->len : cap; /* cut to the buffer, as a NIC would */
	memcpy(buf, f->data, n);
	*meta = f->meta;
	free(f);
	return (ssize_t)n;
}

/*
 * Records the frame and its metadata.  The stack must not leave a checksum
 * partial that the capabilities did not offer to complete, nor ask for
 * segmentation they did not offer: that fails the test here.
 */
static int cap_send(struct netdev *d, const uint8_t *frame, size_t len,
		    const struct netdev_meta *meta, uint64_t now_us)
{
	struct capdev *c = (struct capdev *)d;
	(void)now_us;
	if (meta->csum == NETDEV_CSUM_PARTIAL) {
		uint32_t proto = netdev_partial_proto(frame, len, meta);
		ck_assert_msg(proto && (c->caps.tx_csum & proto),
			      "capdev: partial checksum (start %u offset %u) it did not offer "
			      "to complete (tx_csum 0x%x)",
			      meta->csum_start, meta->csum_offset, c->caps.tx_csum);
	}
	ck_assert_msg(meta->csum != NETDEV_CSUM_VERIFIED, "capdev: VERIFIED on a frame sent");
	ck_assert_msg(meta->gso_type == NETDEV_GSO_NONE ||
			  (c->caps.tso_types & (1u << meta->gso_type)),
		      "capdev: GSO type %u it did not offer", meta->gso_type);
	q_push(&c->tx_head, &c->tx_tail, frame, len, meta);
	c->tx_n++;
	return 0;
}

/* A frame in pieces (capdev_set_sendv): gathered and recorded as cap_send does. */
static int cap_sendv(struct netdev *d, const struct iovec *iov, int iovcnt, size_t len,
		     const struct netdev_meta *meta, uint64_t now_us)
{
	struct capdev *c = (struct capdev *)d;
	ck_assert_msg(iovcnt >= 1 && iovcnt <= NETDEV_SENDV_MAX_IOV, "capdev: sendv of %d pieces",
		      iovcnt);
	uint8_t *f = malloc(len ? len : 1);
	ck_assert_ptr_nonnull(f);
	size_t at = 0;
	for (int i = 0; i < iovcnt; i++) {
		ck_assert_uint_le(iov[i].iov_len, len - at);
		memcpy(f + at, iov[i].iov_base, iov[i].iov_len);
		at += iov[i].iov_len;
	}
	ck_assert_uint_eq(at, len);
	if (iovcnt > 1)
		c->sendv_pieces++;
	int r = cap_send(d, f, len, meta, now_us);
	free(f);
	return r;
}

static void cap_caps(struct netdev *d, struct netdev_caps *caps)
{
	*caps = ((struct capdev *)d)->caps;
}

static void cap_destroy(struct netdev *d)
{
	capdev_free((struct capdev *)d);
}

static const struct netdev_ops capdev_ops = {
    .recv = cap_recv,
    .send = cap_send,
    .caps = cap_caps,
    .destroy = cap_destroy,
};
static const struct netdev_ops capdev_sendv_ops = {
    .recv = cap_recv,
    .send = cap_send,
    .sendv = cap_sendv,
    .caps = cap_caps,
    .destroy = cap_destroy,
};

struct capdev *capdev_new(void)
{
	struct capdev *c = calloc(1, sizeof(*c));
	ck_assert_ptr_nonnull(c);
	c->dev.ops = &capdev_ops;
	snprintf(c->dev.name, sizeof(c->dev.name), "capdev");
	c->caps.max_tx_frame = c->caps.max_rx_frame = NETDEV_JUMBO_FRAME; /* no offloads */
	return c;
}

void capdev_set_caps(struct capdev *c, const struct netdev_caps *caps)
{
	c->caps = *caps;
}

void capdev_set_sendv(struct capdev *c, bool on)
{
	c->dev.ops = on ? &capdev_sendv_ops : &capdev_ops;
}

size_t capdev_sendv_pieces(const struct capdev *c)
{
	return c->sendv_pieces;
}

struct netdev *capdev_netdev(struct capdev *c)
{
	return &c->dev;
}

void capdev_inject(struct capdev *c, const uint8_t *frame, size_t len)
{
	static const struct netdev_meta none;
	q_push(&c->rx_head, &c->rx_tail, frame, len, &none);
}

void capdev_inject_meta(struct capdev *c, const uint8_t *frame, size_t len,
			const struct netdev_meta *meta)
{
	q_push(&c->rx_head, &c->rx_tail, frame, len, meta);
}

size_t capdev_sent_count(const struct capdev *c)
{
	return c->tx_n;
}

size_t capdev_take_meta(struct capdev *c, uint8_t *out, size_t cap, struct netdev_meta *meta)
{
	struct capframe *f = q_pop(&c->tx_head, &c->tx_tail);
	if (!f)
		return 0;
	c->tx_n--;
	size_t n = f->len < cap ? f->len : cap;
	memcpy(out, f->data, n);
	if (meta)
		*meta = f->meta;
	free(f);
	return n;
}

size_t capdev_take(struct capdev *c, uint8_t *out, size_t cap)
{
	return capdev_take_meta(c, out, cap, NULL);
}

void capdev_free(struct capdev *c)
{
	struct capframe *f;
	if (!c)
		return;
	while ((f = q_pop(&c->rx_head, &c->rx_tail)))
		free(f);
	while ((f = q_pop(&c->tx_head, &c->tx_tail)))
		free(f);
	free(c);
}

void ts_test_stack_init(struct ts_test_stack *t, const struct ts_config *cfg_or_null)
{
	ts_test_stack_init_caps(t, cfg_or_null, NULL);
}

void ts_test_stack_init_caps(struct ts_test_stack *t, const struct ts_config *cfg_or_null,
			     const struct netdev_caps *caps_or_null)
{
	struct ts_config cfg;
	if (cfg_or_null) {
		cfg = *cfg_or_null;
	} else {
		ts_config_default(&cfg);
		cfg.seed = 1;
		cfg.gratuitous_arp = false;
	}
	t->cap = capdev_new();
	if (caps_or_null)
		capdev_set_caps(t->cap, caps_or_null);
	ck_assert_int_eq(stack_init(&t->st, &cfg, capdev_netdev(t->cap), 1000000), 0);
}

void ts_test_stack_feed(struct ts_test_stack *t, const uint8_t *frame, size_t len)
{
	capdev_inject(t->cap, frame, len);
	stack_poll(&t->st, t->st.now_us);
}

void ts_test_stack_free(struct ts_test_stack *t)
{
	struct stack *st = &t->st;
	ck_assert_msg(stack_rx_balanced(st) && st->rx_unaccounted == 0,
		      "%llu frames received != %llu delivered + %llu dropped + %llu held "
		      "(%llu freed without an exit)",
		      (unsigned long long)st->counters[CTR_ETH_RX],
		      (unsigned long long)st->counters[CTR_RX_DELIVERED],
		      (unsigned long long)stack_rx_dropped(st),
		      (unsigned long long)stack_rx_held(st),
		      (unsigned long long)st->rx_unaccounted);
	stack_destroy(&t->st);
	ck_assert_msg(t->st.bufs_live == 0, "%lld buffers leaked", (long long)t->st.bufs_live);
	capdev_free(t->cap);
	t->cap = NULL;
}

void ts_inet6(const char *text, uint8_t out[16])
{
	ck_assert_int_eq(inet_pton(AF_INET6, text, out), 1);
}

uint16_t ts_csum6(const uint8_t src[16], const uint8_t dst[16], uint8_t nh, const uint8_t *p,
		  size_t len)
{
	uint64_t sum = 0;
	for (int i = 0; i < 16; i += 2)
		sum += (uint32_t)(src[i] << 8 | src[i + 1]) + (uint32_t)(dst[i] << 8 | dst[i + 1]);
	sum += (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff) + nh;
	for (size_t i = 0; i < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | (i + 1 < len ? p[i + 1] : 0));
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}
