/*
 * async_copy.c -- copy a buffer into a file durably with pmem2_memcpy_async,
 * as the pmem2_async(3) manual describes: a threads mover set in the config,
 * a future, a runtime that sleeps until the mover's worker wakes it.
 *
 * usage: async_copy FILE
 * The file is created (1 MiB) when missing. Prints the granularity and the
 * result; exits non-zero on any failure.
 */
#define _POSIX_C_SOURCE 200809L
#define PMEM2_USE_MINIASYNC 1
#include <libpmem2.h>
#include <libminiasync.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	struct pmem2_config *cfg = NULL;
	struct pmem2_source *src = NULL;
	struct pmem2_map *map = NULL;
	struct data_mover_threads *dmt = NULL;
	struct runtime *r = NULL;
	static char buf[64 * 1024];
	int fd, ret = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE\n", argv[0]);
		return 2;
	}
	fd = open(argv[1], O_RDWR | O_CREAT, 0644);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	if (ftruncate(fd, 1 << 20) != 0) {
		perror("ftruncate");
		goto out;
	}
	dmt = data_mover_threads_default();
	r = runtime_new();
	if (!dmt || !r) {
		fprintf(stderr, "cannot create the mover or the runtime\n");
		goto out;
	}
	if (pmem2_config_new(&cfg) ||
	    pmem2_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_PAGE) ||
	    pmem2_config_set_vdm(cfg, data_mover_threads_get_vdm(dmt)) ||
	    pmem2_source_from_fd(&src, fd) ||
	    pmem2_map_new(&map, cfg, src)) {
		pmem2_perror("mapping %s", argv[1]);
		goto out;
	}

	memset(buf, 'p', sizeof(buf));
	char *dest = (char *)pmem2_map_get_address(map) + 4096;
	struct pmem2_future fut = pmem2_memcpy_async(map, dest, buf, sizeof(buf), 0);
	runtime_wait(r, FUTURE_AS_RUNNABLE(&fut));

	/* complete means durable; the result says whether it worked */
	if (FUTURE_OUTPUT(&fut)->result != 0) {
		fprintf(stderr, "copy failed: %d\n", FUTURE_OUTPUT(&fut)->result);
		goto out;
	}
	if (FUTURE_OUTPUT(&fut)->dest != dest || memcmp(dest, buf, sizeof(buf)) != 0) {
		fprintf(stderr, "copy mismatch\n");
		goto out;
	}
	printf("granularity %d, copied %zu bytes durably\n",
		(int)pmem2_map_get_store_granularity(map), sizeof(buf));
	ret = 0;
out:
	if (map)
		pmem2_map_delete(&map);
	pmem2_source_delete(&src);
	pmem2_config_delete(&cfg);
	if (r)
		runtime_delete(r);
	if (dmt)
		data_mover_threads_delete(dmt);
	close(fd);
	return ret;
}
