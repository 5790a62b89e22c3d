/*
 * faults.c - seeded fault injection wrapped around any netdev (faults.h).
 *
 * Each direction (tx: stack → lower, rx: lower → stack) has its own RNG,
 * counters, a min-heap of held frames ordered by (due time, arrival order),
 * and one reorder slot.  A frame entering a direction goes through, in
 * order, each step drawing from that direction's RNG only when its rate is
 * not zero (so a spec without a fault costs no draw):
 *
 *   loss     dropped and counted (the stack never sees it: on a real link
 *            it would simply never arrive);
 *   dup      a second copy follows the first; each copy then goes through
 *            the remaining steps on its own, as netem does;
 *   corrupt  one bit flipped at a random offset after the 14-byte Ethernet
 *            header: on a real link the FCS would discard a frame damaged
 *            in its Ethernet header, so the interesting case is damage
 *            the IPv4/ICMP/UDP/TCP checksums must catch.  Offload
 *            metadata follows (see corrupt()): a partial checksum is
 *            completed before the flip, and a corrupted frame is never
 *            handed up as VERIFIED;
 *   delay    due = now + delay ± jitter (uniform, floored at now).  As with
 *            netem, jitter alone can reorder frames;
 *   reorder  the copy waits in the reorder slot until the next frame of the
 *            same direction has gone out, then follows it, so exactly one
 *            frame overtakes it.  The hold is bounded (FAULTS_REORDER_HOLD_US
 *            after it was due) so the last frame of a burst is not stuck.
 *
 * Frames that pass at once cost no allocation (rx: left in the caller's
 * buffer; tx: sent from the caller's frame, or from a scratch buffer inside
 * the wrapper when corrupted).  Held frames are copied into one allocation
 * each, bounded by FAULTS_MAX_HELD per direction (beyond it: counted as
 * overflow and dropped).
 *
 * Call order: netdev_send → faults_send → (held or) lower send;
 * netdev_recv → faults_recv → flush due tx frames, then a due held rx frame
 * or lower recv → faults.  Neither path ever sleeps: held frames are
 * released by the clock the stack passes in, and next_deadline tells a
 * sleeping stack when to come back.
 */
#include "faults.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Held frames per direction before new ones are dropped as overflow. */
#define FAULTS_MAX_HELD 8192
/* Longest a reordered frame waits for one to overtake it (10 ms). */
#define FAULTS_REORDER_HOLD_US 10000u
/* Largest frame the scratch buffer takes: bigger than any MTU we allow. */
#define FAULTS_MAX_FRAME 65536u
/* Ethernet header length: corruption lands after it (see above). */
#define FAULTS_ETH_HLEN 14u
#define PPM		1000000u

struct held {
	uint64_t due_us;	 /* release when the clock reaches this */
	uint64_t order;		 /* arrival order: FIFO among equal due times */
	size_t len;		 /* frame bytes */
	struct netdev_meta meta; /* its offload metadata (after corruption, see corrupt()) */
	uint8_t data[];		 /* the frame (already corrupted if it was chosen) */
};

struct fault_dir {
	uint64_t rng;		  /* xorshift64* state of this direction */
	struct held **heap;	  /* min-heap on (due_us, order) */
	size_t n, cap;		  /* held frames, heap slots */
	struct held *slot;	  /* reordered frame waiting to be overtaken */
	uint64_t order;		  /* next arrival number */
	struct fault_stats stats; /* what happened in this direction */
};

struct faults {
	struct netdev dev;
	struct netdev *lower;		   /* the wrapped device (owned) */
	struct fault_spec spec;		   /* rates and delays */
	unsigned dirs;			   /* FAULTS_TX | FAULTS_RX: where the spec applies */
	struct fault_dir tx, rx;	   /* stack → lower, lower → stack */
	uint8_t scratch[FAULTS_MAX_FRAME]; /* tx: a corrupted copy sent at once */
};

static const struct netdev_ops faults_ops;

/* ---- spec parsing ------------------------------------------------------------------------ */

/*
 * Parses "D[.F]" followed by a suffix, into units of 10^-scale_digits of
 * the leading number.  Returns 1 on success, 0 when not a number, -1 when
 * there are more than scale_digits decimals.  *rest gets the suffix (also
 * on -1).
 */
static int parse_fixed(const char *s, const char *end, unsigned scale_digits, uint64_t *out,
		       const char **rest)
{
	uint64_t v = 0;
	const char *p = s;
	unsigned frac = 0;

	if (p == end || *p < '0' || *p > '9')
		return 0;
	while (p < end && *p >= '0' && *p <= '9') {
		if (v > UINT64_MAX / 100) /* far beyond every limit: stop growing */
			return 0;
		v = v * 10 + (uint64_t)(*p++ - '0');
	}
	if (p < end && *p == '.') {
		p++;
		if (p == end || *p < '0' || *p > '9')
			return 0;
		while (p < end && *p >= '0' && *p <= '9') {
			if (frac < scale_digits + 1) /* one more than allowed marks "too fine" */
				v = v * 10 + (uint64_t)(*p - '0');
			p++;
			frac++;
		}
	}
	*rest = p; /* set even when too fine, so the caller can match the unit */
	if (frac > scale_digits)
		return -1;
	for (; frac < scale_digits; frac++)
		v *= 10;
	*out = v;
	return 1;
}

static bool suffix_is(const char *p, const char *end, const char *suffix)
{
	size_t n = strlen(suffix);
	return (size_t)(end - p) == n && memcmp(p, suffix, n) == 0;
}

/* "5%", "0.5%", "0.0001%" → parts per million. */
static int parse_percent(const char *item, size_t item_len, const char *v, const char *end,
			 uint32_t *ppm, char *err, size_t errlen)
{
	uint64_t x;
	const char *rest;
	int r = parse_fixed(v, end, 4, &x, &rest); /* 0.0001 % = 1 ppm */
	if (r < 0) {
		snprintf(err, errlen, "%.*s: finer than 0.0001%% (1 ppm)", (int)item_len, item);
		return -1;
	}
	if (r == 0 || !suffix_is(rest, end, "%")) {
		snprintf(err, errlen, "%.*s: expected a percentage such as 5%% or 0.5%%",
			 (int)item_len, item);
		return -1;
	}
	if (x > 100 * 10000) {
		snprintf(err, errlen, "%.*s: more than 100%%", (int)item_len, item);
		return -1;
	}
	*ppm = (uint32_t)x; /* units of 0.0001 % are ppm */
	return 0;
}

/* "500us", "5ms", "1.5s" → microseconds, at most 60 s. */
static int parse_time(const char *item, size_t item_len, const char *v, const char *end,
		      uint32_t *us, char *err, size_t errlen)
{
	static const struct {
		const char *suffix;
		unsigned decimals; /* digits after the point that still make whole us */
	} units[] = {{"us", 0}, {"ms", 3}, {"s", 6}};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		uint64_t x;
		const char *rest;
		int r = parse_fixed(v, end, units[i].decimals, &x, &rest);
		if (r == 0)
			break;
		if (!suffix_is(rest, end, units[i].suffix))
			continue;
		if (r < 0) {
			snprintf(err, errlen, "%.*s: finer than 1us", (int)item_len, item);
			return -1;
		}
		if (x > 60u * 1000000u) {
			snprintf(err, errlen, "%.*s: more than 60s", (int)item_len, item);
			return -1;
		}
		*us = (uint32_t)x;
		return 0;
	}
	snprintf(err, errlen, "%.*s: expected a time such as 500us, 5ms or 1s", (int)item_len,
		 item);
	return -1;
}

static int parse_seed(const char *item, size_t item_len, const char *v, const char *end,
		      uint64_t *seed, char *err, size_t errlen)
{
	uint64_t x;
	const char *rest;
	if (parse_fixed(v, end, 0, &x, &rest) != 1 || rest != end || end - v > 19) {
		snprintf(err, errlen, "%.*s: expected an unsigned integer below 10^19",
			 (int)item_len, item);
		return -1;
	}
	*seed = x;
	return 0;
}

int fault_spec_parse(const char *text, struct fault_spec *out, char *err, size_t errlen)
{
	static const char *const keys[] = {"loss",  "dup",    "reorder", "corrupt",
					   "delay", "jitter", "seed"};
	unsigned seen = 0;

	memset(out, 0, sizeof(*out));
	if (errlen)
		err[0] = 0;
	if (!*text)
		return 0;
	for (const char *item = text;;) {
		const char *end = strchr(item, ',');
		if (!end)
			end = item + strlen(item);
		size_t len = (size_t)(end - item);
		const char *eq = memchr(item, '=', len);
		if (len == 0) {
			snprintf(err, errlen,
				 "empty item (two commas in a row, or a trailing comma)");
			return -1;
		}
		if (!eq) {
			snprintf(err, errlen, "%.*s: expected NAME=VALUE, e.g. loss=5%%", (int)len,
				 item);
			return -1;
		}
		size_t klen = (size_t)(eq - item);
		size_t k;
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (strlen(keys[k]) == klen && memcmp(keys[k], item, klen) == 0)
				break;
		if (k == sizeof(keys) / sizeof(keys[0])) {
			snprintf(
			    err, errlen,
			    "%.*s: unknown fault '%.*s' (expected loss, dup, reorder, corrupt, "
			    "delay, jitter or seed)",
			    (int)len, item, (int)klen, item);
			return -1;
		}
		if (seen & (1u << k)) {
			snprintf(err, errlen, "%.*s: %s given twice", (int)len, item, keys[k]);
			return -1;
		}
		seen |= 1u << k;
		const char *v = eq + 1;
		int r;
		switch (k) {
		case 0:
			r = parse_percent(item, len, v, end, &out->loss_ppm, err, errlen);
			break;
		case 1:
			r = parse_percent(item, len, v, end, &out->dup_ppm, err, errlen);
			break;
		case 2:
			r = parse_percent(item, len, v, end, &out->reorder_ppm, err, errlen);
			break;
		case 3:
			r = parse_percent(item, len, v, end, &out->corrupt_ppm, err, errlen);
			break;
		case 4:
			r = parse_time(item, len, v, end, &out->delay_us, err, errlen);
			break;
		case 5:
			r = parse_time(item, len, v, end, &out->jitter_us, err, errlen);
			break;
		default:
			r = parse_seed(item, len, v, end, &out->seed, err, errlen);
			break;
		}
		if (r < 0)
			return -1;
		if (!*end)
			return 0;
		item = end + 1;
	}
}

/* ---- randomness -------------------------------------------------------------------------- */

/* splitmix64: spreads a small seed over 64 bits (Vigna), to seed each direction. */
static uint64_t splitmix64(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ULL;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return x ^ (x >> 31);
}

/* xorshift64*, the same generator as the stack's ts_rand. */
static uint64_t dir_rand(struct fault_dir *d)
{
	uint64_t x = d->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	d->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

/* True with probability ppm / 10^6.  Draws nothing when the rate is 0 or 100 %. */
static bool chance(struct fault_dir *d, uint32_t ppm)
{
	if (ppm == 0)
		return false;
	if (ppm >= PPM)
		return true;
	return (dir_rand(d) >> 11) % PPM < ppm; /* 2^53 / 10^6: bias below 1e-10 */
}

/* ---- held frames ------------------------------------------------------------------------- */

static bool held_before(const struct held *x, const struct held *y)
{
	return x->due_us < y->due_us || (x->due_us == y->due_us && x->order < y->order);
}

static void heap_swap(struct held **v, size_t i, size_t j)
{
	struct held *t = v[i];
	v[i] = v[j];
	v[j] = t;
}

/* Queues h for release at h->due_us; frees it and counts overflow when full. */
static void heap_push(struct fault_dir *d, struct held *h)
{
	if (d->n == FAULTS_MAX_HELD) {
		d->stats.overflow++;
		free(h);
		return;
	}
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct held **v = realloc(d->heap, cap * sizeof(*v));
		if (!v) {
			d->stats.overflow++;
			free(h);
			return;
		}
		d->heap = v;
		d->cap = cap;
	}
	size_t i = d->n++;
	d->heap[i] = h;
	while (i > 0 && held_before(d->heap[i], d->heap[(i - 1) / 2])) {
		heap_swap(d->heap, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

/* Removes and returns the earliest held frame if it is due at now_us, else NULL. */
static struct held *heap_pop_due(struct fault_dir *d, uint64_t now_us)
{
	if (d->n == 0 || d->heap[0]->due_us > now_us)
		return NULL;
	struct held *top = d->heap[0];
	d->heap[0] = d->heap[--d->n];
	for (size_t i = 0;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < d->n && held_before(d->heap[l], d->heap[m]))
			m = l;
		if (r < d->n && held_before(d->heap[r], d->heap[m]))
			m = r;
		if (m == i)
			break;
		heap_swap(d->heap, i, m);
		i = m;
	}
	return top;
}

/* Copies a frame into a new held entry; NULL (counted as overflow) when out of memory. */
static struct held *held_new(struct fault_dir *d, const uint8_t *frame, size_t len,
			     const struct netdev_meta *meta)
{
	struct held *h = malloc(sizeof(*h) + len);
	if (!h) {
		d->stats.overflow++;
		return NULL;
	}
	h->len = len;
	h->meta = *meta;
	memcpy(h->data, frame, len);
	return h;
}

/* Frees every held frame of d. */
static void dir_free(struct fault_dir *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->heap[i]);
	free(d->heap);
	free(d->slot);
	d->heap = NULL;
	d->slot = NULL;
	d->n = d->cap = 0;
}

/*
 * The reorder slot's bound: a frame nobody overtook within
 * FAULTS_REORDER_HOLD_US of its due time goes out anyway.
 */
static void slot_expire(struct fault_dir *d, uint64_t now_us)
{
	if (d->slot && d->slot->due_us <= now_us) {
		d->slot->order = d->order++;
		heap_push(d, d->slot);
		d->slot = NULL;
	}
}

/* A frame went out at due_us: the reordered frame, if any, follows it right after. */
static void slot_release_after(struct fault_dir *d, uint64_t due_us)
{
	if (d->slot) {
		d->slot->due_us = due_us;
		d->slot->order = d->order++;
		heap_push(d, d->slot);
		d->slot = NULL;
	}
}

/* ---- the fault pipeline ------------------------------------------------------------------ */

/* What happens to one copy of a frame, drawn before any byte is moved. */
struct copy_plan {
	uint64_t due_us;  /* when it may go out */
	size_t flip_off;  /* byte to corrupt, or SIZE_MAX */
	uint8_t flip_bit; /* the bit mask XORed into it */
	bool reorder;	  /* wait in the reorder slot */
};

static void plan_copy(struct faults *f, struct fault_dir *d, size_t len, uint64_t now_us,
		      struct copy_plan *p)
{
	const struct fault_spec *s = &f->spec;

	p->flip_off = SIZE_MAX;
	p->flip_bit = 0;
	if (len > 0 && chance(d, s->corrupt_ppm)) {
		size_t lo = len > FAULTS_ETH_HLEN ? FAULTS_ETH_HLEN : 0;
		uint64_t r = dir_rand(d);
		p->flip_off = lo + (size_t)(r % (len - lo));
		p->flip_bit = (uint8_t)(1u << ((r >> 32) & 7));
		d->stats.corrupted++;
	}
	int64_t delay = s->delay_us;
	if (s->jitter_us) {
		uint64_t span = 2 * (uint64_t)s->jitter_us + 1;
		delay += (int64_t)(dir_rand(d) % span) - (int64_t)s->jitter_us;
		if (delay < 0)
			delay = 0;
	}
	p->due_us = now_us + (uint64_t)delay;
	p->reorder = !d->slot && chance(d, s->reorder_ppm);
	if (p->reorder) {
		d->stats.reordered++;
	} else if (delay > 0) {
		d->stats.delayed++;
	}
}

/*
 * Applies the planned bit flip to a copy of a frame.  The flip stands for
 * damage on a wire: after the sender's link computed the checksum, before
 * the receiver's link validated it.  So a partial checksum is completed
 * first (it would have been before the frame left), and a frame the lower
 * device marked VERIFIED is no longer: the stack must sum it and drop it.
 * A partial checksum whose field lies outside the frame stays PARTIAL, and
 * whoever is next refuses it (-EINVAL, LINK_BAD_META).
 */
static void corrupt(uint8_t *frame, size_t len, struct netdev_meta *meta, const struct copy_plan *p)
{
	if (p->flip_off == SIZE_MAX)
		return;
	if (meta->csum == NETDEV_CSUM_VERIFIED)
		meta->csum = NETDEV_CSUM_NONE;
	netdev_meta_complete(frame, len, meta);
	frame[p->flip_off] ^= p->flip_bit;
}

/* Holds a (possibly corrupted) copy of frame per plan p: in the heap or the reorder slot. */
static void hold_copy(struct fault_dir *d, const uint8_t *frame, size_t len,
		      const struct netdev_meta *meta, const struct copy_plan *p)
{
	struct held *h = held_new(d, frame, len, meta);
	if (!h)
		return;
	corrupt(h->data, h->len, &h->meta, p);
	if (p->reorder) {
		h->due_us = p->due_us + FAULTS_REORDER_HOLD_US;
		d->slot = h;
		return;
	}
	h->due_us = p->due_us;
	h->order = d->order++;
	heap_push(d, h);
	slot_release_after(d, p->due_us);
}

/*
 * Runs one frame through loss and dup, planning each copy, and holds every
 * copy that cannot go out at now_us.  Returns the plan of the copy that may
 * go out at once (the caller delivers it from its own bytes, applying the
 * corruption), or NULL when nothing goes out now.
 */
static const struct copy_plan *admit(struct faults *f, struct fault_dir *d, const uint8_t *frame,
				     size_t len, const struct netdev_meta *meta, uint64_t now_us,
				     struct copy_plan plans[2])
{
	const struct copy_plan *now_copy = NULL;

	d->stats.frames++;
	if (chance(d, f->spec.loss_ppm)) {
		d->stats.lost++;
		return NULL;
	}
	int copies = 1;
	if (chance(d, f->spec.dup_ppm)) {
		d->stats.duplicated++;
		copies = 2;
	}
	for (int i = 0; i < copies; i++) {
		plan_copy(f, d, len, now_us, &plans[i]);
		if (i == 0 && !plans[i].reorder && plans[i].due_us <= now_us) {
			/* The first copy goes out now; a reordered frame follows it. */
			now_copy = &plans[i];
			slot_release_after(d, now_us);
			continue;
		}
		hold_copy(d, frame, len, meta, &plans[i]);
	}
	return now_copy;
}

/* Sends every held tx frame due at now_us to the lower device. */
static void tx_flush(struct faults *f, uint64_t now_us)
{
	struct held *h;
	slot_expire(&f->tx, now_us);
	while ((h = heap_pop_due(&f->tx, now_us))) {
		if (netdev_send_meta(f->lower, h->data, h->len, &h->meta, now_us) == 0)
			f->tx.stats.released++;
		free(h);
	}
}

static int faults_send(struct netdev *dev, const uint8_t *frame, size_t len,
		       const struct netdev_meta *meta, uint64_t now_us)
{
	struct faults *f = (struct faults *)dev;
	struct copy_plan plans[2];
	int err = 0;

	if (!(f->dirs & FAULTS_TX))
		return netdev_send_meta(f->lower, frame, len, meta, now_us);
	if (meta->gso_type != NETDEV_GSO_NONE)
		return -EINVAL; /* faults_caps declared no TSO: faults act on wire frames */
	tx_flush(f, now_us);	/* older frames first */
	const struct copy_plan *p = admit(f, &f->tx, frame, len, meta, now_us, plans);
	if (p) {
		const uint8_t *out = frame;
		struct netdev_meta m = *meta;
		if (p->flip_off != SIZE_MAX && len <= sizeof(f->scratch)) {
			memcpy(f->scratch, frame, len); /* the caller's frame is const */
			corrupt(f->scratch, len, &m, p);
			out = f->scratch;
		}
		err = netdev_send_meta(f->lower, out, len, &m, now_us);
		if (err == 0)
			f->tx.stats.released++;
	}
	tx_flush(f, now_us); /* a reordered frame released after this one */
	return err;
}

static ssize_t faults_recv(struct netdev *dev, uint8_t *buf, size_t cap, struct netdev_meta *meta,
			   uint64_t now_us)
{
	struct faults *f = (struct faults *)dev;
	struct fault_dir *d = &f->rx;
	struct copy_plan plans[2];

	tx_flush(f, now_us); /* a stack that only polls still gets its delayed sends out */
	if (!(f->dirs & FAULTS_RX))
		return netdev_recv_meta(f->lower, buf, cap, meta, now_us);
	for (;;) {
		slot_expire(d, now_us);
		struct held *h = heap_pop_due(d, now_us);
		if (h) {
			size_t n = h->len < cap ? h->len : cap;
			memcpy(buf, h->data, n);
			*meta = h->meta;
			free(h);
			d->stats.released++;
			return (ssize_t)n;
		}
		ssize_t n = netdev_recv_meta(f->lower, buf, cap, meta, now_us);
		if (n <= 0)
			return n;
		const struct copy_plan *p = admit(f, d, buf, (size_t)n, meta, now_us, plans);
		if (p) {
			corrupt(buf, (size_t)n, meta, p);
			d->stats.released++;
			return n;
		}
		/* Lost or held: look at the next frame, so one lost frame does not end the
		 * stack's receive batch. */
	}
}

/*
 * The lower device's, but no TSO where faults act on frames sent: loss,
 * duplication, reordering and corruption are things that happen to the
 * frames on a wire, so the stack must hand over wire-sized frames, not a
 * super-frame the lower device would segment after the fault.  Checksum
 * offload passes: corrupt() completes a partial checksum before it flips a
 * bit, and never lets a corrupted frame up marked VERIFIED.  (Frames the
 * lower device received coalesced (GRO) are impaired as one frame; no
 * backend coalesces yet.)
 */
static void faults_caps(struct netdev *dev, struct netdev_caps *caps)
{
	struct faults *f = (struct faults *)dev;
	netdev_caps(f->lower, caps);
	if (f->dirs & FAULTS_TX) {
		caps->tso_types = 0;
		caps->tso_max_size = 0;
	}
}

static int faults_flush(struct netdev *dev, uint64_t now_us)
{
	return netdev_flush(((struct faults *)dev)->lower, now_us);
}

static int faults_pollfd(struct netdev *dev)
{
	return netdev_pollfd(((struct faults *)dev)->lower);
}

static uint64_t dir_deadline(const struct fault_dir *d)
{
	uint64_t t = d->n ? d->heap[0]->due_us : UINT64_MAX;
	if (d->slot && d->slot->due_us < t)
		t = d->slot->due_us;
	return t;
}

static uint64_t faults_next_deadline(struct netdev *dev)
{
	struct faults *f = (struct faults *)dev;
	uint64_t t = netdev_next_deadline(f->lower);
	uint64_t tx = dir_deadline(&f->tx), rx = dir_deadline(&f->rx);
	if (tx < t)
		t = tx;
	return rx < t ? rx : t;
}

static void faults_destroy(struct netdev *dev)
{
	struct faults *f = (struct faults *)dev;
	dir_free(&f->tx);
	dir_free(&f->rx);
	netdev_destroy(f->lower);
	free(f);
}

/*
 * rx_verdict (netdev.h) goes down only when the spec leaves received
 * frames alone (faults_wrap_dirs without FAULTS_RX, as tapstack sim
 * wraps each wire end): otherwise the frame faults_recv returned last may
 * be a delayed, reordered or duplicated one, not the lower device's last,
 * and a verdict passed down would name the wrong frame.  A recorder that
 * wants the verdicts through impaired receives sits above the faults, as
 * tools/tapstack.c stacks them.
 */
static void faults_rx_verdict(struct netdev *dev, enum ts_drop_reason reason, uint64_t now_us)
{
	struct faults *f = (struct faults *)dev;
	if (!(f->dirs & FAULTS_RX))
		netdev_rx_verdict(f->lower, reason, now_us);
}

static const struct netdev_ops faults_ops = {
    .rx_verdict = faults_rx_verdict,
    .recv = faults_recv,
    .send = faults_send,
    .caps = faults_caps,
    .flush = faults_flush,
    .pollfd = faults_pollfd,
    .next_deadline = faults_next_deadline,
    .destroy = faults_destroy,
};

struct netdev *faults_wrap(struct netdev *lower, const struct fault_spec *spec)
{
	return faults_wrap_dirs(lower, spec, FAULTS_TX | FAULTS_RX);
}

struct netdev *faults_wrap_dirs(struct netdev *lower, const struct fault_spec *spec, unsigned dirs)
{
	struct faults *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->dev.ops = &faults_ops;
	snprintf(f->dev.name, sizeof(f->dev.name), "faults(%.20s)", lower->name);
	f->lower = lower;
	f->spec = *spec;
	f->dirs = dirs;
	/* Independent streams per direction: the tx sequence does not depend on how rx
	 * traffic interleaves with it, and the reverse.  xorshift must not start at 0. */
	f->tx.rng = splitmix64(spec->seed * 2) | 1;
	f->rx.rng = splitmix64(spec->seed * 2 + 1) | 1;
	return &f->dev;
}

void faults_get_stats(struct netdev *dev, struct fault_stats *tx, struct fault_stats *rx)
{
	struct faults *f = (struct faults *)dev;
	if (dev->ops != &faults_ops)
		return;
	if (tx)
		*tx = f->tx.stats;
	if (rx)
		*rx = f->rx.stats;
}

static void print_dir(FILE *out, const char *name, const char *dir, const struct fault_stats *s)
{
	fprintf(out,
		"%s %s: %" PRIu64 " frames, %" PRIu64 " lost, %" PRIu64 " duplicated, %" PRIu64
		" corrupted, %" PRIu64 " reordered, %" PRIu64 " delayed, %" PRIu64
		" dropped (hold queue full), %" PRIu64 " passed on\n",
		name, dir, s->frames, s->lost, s->duplicated, s->corrupted, s->reordered,
		s->delayed, s->overflow, s->released);
}

void faults_stats(struct netdev *dev, FILE *out)
{
	struct faults *f = (struct faults *)dev;
	if (dev->ops != &faults_ops)
		return;
	print_dir(out, dev->name, "tx", &f->tx.stats);
	print_dir(out, dev->name, "rx", &f->rx.stats);
}
