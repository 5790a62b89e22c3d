/*
 * pattern.c - writes N bytes where byte i is i % 251 (SPEC: GET /bytes/N)
 * to stdout, so the TAP suites can compare sha256 sums of large bodies.
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: pattern N\n");
		return 2;
	}
	unsigned long long n = strtoull(argv[1], NULL, 10);
	static unsigned char block[251 * 256];
	for (size_t i = 0; i < sizeof(block); i++)
		block[i] = (unsigned char)(i % 251);
	while (n) {
		size_t k = n < sizeof(block) ? (size_t)n : sizeof(block);
		if (fwrite(block, 1, k, stdout) != k)
			return 1;
		n -= k;
	}
	return fflush(stdout) ? 1 : 0;
}
