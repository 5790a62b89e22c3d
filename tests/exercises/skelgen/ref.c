/*
 * ref.c - a reference layer for the generator's own test.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct thing {
	int a, b;
};

/* Only parse_it uses it: removed with it. */
static const uint8_t table[4] = {1, 2, 3, 4};

/* Only parse_it uses it, through helper2: both removed. */
static int helper2(int x)
{
	return table[x & 3];
}

static int helper(int x)
{
	return helper2(x) + 1;
}

/* Dead in the reference too (a duplicate of helper2's body, for the mistake
 * that matches twice): the generator removes it. */
static __attribute__((unused)) int helper3(int x)
{
	return table[x & 3];
}

/* Kept (@keep), though only blanked code used it. */
static int given(int x)
{
	return x * 2;
}

/* Used by given code: stays. */
static int shared(int x)
{
	return x - 1;
}

int parse_it(const uint8_t *p, size_t len, struct thing *out)
{
	if (len < 2)
		return -1;
	out->a = helper(p[0]) + given(p[1]);
	out->b = shared(p[1]);
	return 0;
}

bool is_ok(int x)
{
	return x > 0;
}

struct thing make_thing(int a)
{
	struct thing t = {a, a};
	return t;
}

const char *name_of(int x)
{
	return x ? "one" : "zero";
}

void consume(void (*cb)(int), int v[static 2])
{
	cb(v[0] + v[1]);
}

int keeps(int x)
{
	return shared(x) + 1;
}
