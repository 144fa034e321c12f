/*
 * check_log.c -- a persistence-heavy program for measuring the check
 * mode's cost (docs/CHECK.md, docs/PERFORMANCE.md "The check mode"):
 * appends RECORDS records of SIZE bytes to a log in a file mapped with
 * pmem2, each a durable pmem2_memcpy (flags 0) followed by a durable
 * 8-byte head update, wrapping in the file; then the same number of
 * records as pmem2 futures on the default mover, 16 at a time. Prints the
 * elapsed time in microseconds and exits 0, or 1 on an error.
 *
 *   check_log FILE RECORDS SIZE
 */
#define PMEM2_USE_MINIASYNC 1
#include <libpmem2.h>
#include <libminiasync.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s FILE RECORDS SIZE\n", argv[0]);
		return 1;
	}
	const size_t records = strtoull(argv[2], NULL, 0);
	const size_t size = strtoull(argv[3], NULL, 0);
	const size_t file_size = (size_t)8 << 20;
	if (size == 0 || size > file_size / 4)
		return 1;
	int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)file_size) != 0) {
		perror(argv[1]);
		return 1;
	}
	struct pmem2_config *cfg;
	struct pmem2_source *src;
	struct pmem2_map *map;
	if (pmem2_config_new(&cfg) || pmem2_source_from_fd(&src, fd) ||
	    pmem2_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_PAGE) ||
	    pmem2_map_new(&map, cfg, src)) {
		pmem2_perror("map");
		return 1;
	}
	char *base = pmem2_map_get_address(map);
	pmem2_memcpy_fn memcpy_fn = pmem2_get_memcpy_fn(map);
	char *rec = malloc(size);
	memset(rec, 0x5a, size);
	const size_t slots = (file_size - 64) / size;
	uint64_t head = 0;

	const double t0 = now_us();
	for (size_t i = 0; i < records; ++i) {
		rec[0] = (char)i;
		memcpy_fn(base + 64 + (i % slots) * size, rec, size, 0);
		head = i + 1;
		memcpy_fn(base, &head, sizeof(head), 0);
	}
	struct runtime *r = runtime_new();
	struct pmem2_future f[16];
	struct future *fs[16];
	for (size_t i = 0; i < records; i += 16) {
		size_t k = 0;
		for (; k < 16 && i + k < records; ++k) {
			f[k] = pmem2_memcpy_async(map, base + 64 + ((i + k) % slots) * size, rec, size, 0);
			fs[k] = FUTURE_AS_RUNNABLE(&f[k]);
		}
		runtime_wait_multiple(r, fs, k);
		for (size_t j = 0; j < k; ++j)
			if (f[j].output.result != 0)
				return 1;
	}
	const double t1 = now_us();
	printf("%.0f\n", t1 - t0);
	runtime_delete(r);
	free(rec);
	pmem2_map_delete(&map);
	pmem2_source_delete(&src);
	pmem2_config_delete(&cfg);
	close(fd);
	return 0;
}
