/*
 * replay.c - a plain main() for the libFuzzer harnesses: feeds each file
 * named on the command line (or every file of a directory) to
 * LLVMFuzzerTestOneInput once.  Built with gcc and ASan/UBSan, no
 * libFuzzer, so the committed corpora (tests/fuzz/corpus/) replay against
 * any variant of the stack: the exercises' "hostile" stage
 * (tools/exercise/run.sh) links it with a learner's layer.
 *
 * Prints "replay: N inputs" and exits 0; a crash or a harness invariant
 * (fuzz_common.h) aborts with the sanitizer's report, after the line
 * "replay: FILE" naming the input that was running.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "replay: cannot open %s\n", path);
		return -1;
	}
	static uint8_t buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	fprintf(stderr, "replay: %s\n", path);
	/* A copy of exactly n bytes, so ASan sees a read past the input. */
	uint8_t *copy = malloc(n ? n : 1);
	if (!copy)
		return -1;
	memcpy(copy, buf, n);
	LLVMFuzzerTestOneInput(copy, n);
	free(copy);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	int count = 0;
	for (int i = 1; i < argc; i++) {
		struct stat sb;
		if (stat(argv[i], &sb) < 0) {
			fprintf(stderr, "replay: no such file %s\n", argv[i]);
			return 2;
		}
		if (!S_ISDIR(sb.st_mode)) {
			count += replay_file(argv[i]) == 0;
			continue;
		}
		DIR *d = opendir(argv[i]);
		if (!d)
			return 2;
		char *names[4096];
		int n = 0;
		struct dirent *e;
		while ((e = readdir(d)) && n < 4096)
			if (e->d_name[0] != '.')
				names[n++] = strdup(e->d_name);
		closedir(d);
		qsort(names, (size_t)n, sizeof(names[0]), cmp);
		for (int j = 0; j < n; j++) {
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s", argv[i], names[j]);
			count += replay_file(path) == 0;
			free(names[j]);
		}
	}
	printf("replay: %d inputs\n", count);
	return 0;
}
