/*
 * durable_copy.c -- what a user of the Debian packages builds first:
 * compiled through pkg-config against the unpacked libpmem2-dev and
 * libminiasync-dev, run against the unpacked libpmem2-1 and libminiasync0
 * (tests/package/package_test.sh).
 *
 * usage: durable_copy FILE
 * Creates FILE (1 MiB), maps it, copies one block with the memcpy function
 * of the map and another with pmem2_memcpy_async on the threads mover, both
 * durable; unmaps, reads the file back with pread and compares. Exits 0
 * when both blocks are there.
 */
#define _POSIX_C_SOURCE 200809L
#define PMEM2_USE_MINIASYNC 1
#include <libpmem2.h>
#include <libminiasync.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define FILE_SIZE (1 << 20)
#define BLOCK (64 * 1024)

static int
read_back(const char *path, off_t off, const char *want)
{
	static char got[BLOCK];
	int fd = open(path, O_RDONLY);
	if (fd < 0 || pread(fd, got, BLOCK, off) != BLOCK) {
		perror(path);
		if (fd >= 0)
			close(fd);
		return 1;
	}
	close(fd);
	if (memcmp(got, want, BLOCK) != 0) {
		fprintf(stderr, "%s: the block at %lld did not reach the file\n", path, (long long)off);
		return 1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct pmem2_config *cfg = NULL;
	struct pmem2_source *src = NULL;
	struct pmem2_map *map = NULL;
	struct data_mover_threads *dmt = NULL;
	struct runtime *r = NULL;
	static char sync_block[BLOCK], async_block[BLOCK];
	int fd, ret = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE\n", argv[0]);
		return 2;
	}
	fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	if (ftruncate(fd, FILE_SIZE) != 0) {
		perror("ftruncate");
		goto out;
	}
	dmt = data_mover_threads_default();
	r = runtime_new();
	if (!dmt || !r) {
		fprintf(stderr, "cannot create the threads mover or the runtime\n");
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
	char *base = pmem2_map_get_address(map);

	/* flags 0: the copy is durable when the function returns */
	memset(sync_block, 's', BLOCK);
	pmem2_memcpy_fn copy = pmem2_get_memcpy_fn(map);
	copy(base, sync_block, BLOCK, 0);

	/* complete means durable */
	memset(async_block, 'a', BLOCK);
	struct pmem2_future fut = pmem2_memcpy_async(map, base + BLOCK, async_block, BLOCK, 0);
	runtime_wait(r, FUTURE_AS_RUNNABLE(&fut));
	if (FUTURE_OUTPUT(&fut)->result != 0) {
		fprintf(stderr, "pmem2_memcpy_async failed: %d\n", FUTURE_OUTPUT(&fut)->result);
		goto out;
	}
	pmem2_map_delete(&map);

	if (read_back(argv[1], 0, sync_block) || read_back(argv[1], BLOCK, async_block))
		goto out;
	printf("durable_copy: two %d-byte blocks copied durably (sync and async) and read back\n", BLOCK);
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
