/*
 * c_pmem2.c -- libpmem2 used from plain C (C99, -pedantic): map a file,
 * write, persist, read back through the file descriptor, and check a few
 * error paths. Exit 0 on success; prints what failed otherwise.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpmem2.h>
#include <libpmem2/batch.h>
#include <libpmem2/operations.h>
#include <libpmem2/persist_async.h>

static int failures;

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed: %s (%s)\n", __FILE__, __LINE__, \
			#cond, pmem2_errormsg()); \
		failures++; \
	} \
} while (0)

static void map_and_write(const char *path)
{
	const size_t size = 1u << 20;
	const char text[] = "written from C, made durable";
	struct pmem2_config *cfg = NULL;
	struct pmem2_source *src = NULL;
	struct pmem2_map *map = NULL;
	char back[sizeof(text)];
	pmem2_memcpy_fn memcpy_fn;
	pmem2_persist_fn persist_fn;
	char *addr;
	size_t got = 0;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(ftruncate(fd, (off_t)size) == 0);

	CHECK(pmem2_config_new(&cfg) == 0);
	CHECK(pmem2_source_from_fd(&src, fd) == 0);
	CHECK(pmem2_source_size(src, &got) == 0 && got == size);
	CHECK(pmem2_map_new(&map, cfg, src) == PMEM2_E_GRANULARITY_NOT_SET);
	CHECK(map == NULL);
	CHECK(strlen(pmem2_errormsg()) > 0);
	CHECK(pmem2_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_PAGE) == 0);
	CHECK(pmem2_map_new(&map, cfg, src) == 0);
	if (map == NULL)
		goto out;

	CHECK(pmem2_map_get_size(map) == size);
	addr = pmem2_map_get_address(map);
	memcpy_fn = pmem2_get_memcpy_fn(map);
	persist_fn = pmem2_get_persist_fn(map);
	memcpy_fn(addr + 4096, text, sizeof(text), 0);
	addr[size - 1] = 'Z';
	persist_fn(addr + size - 1, 1);
	pmem2_get_memset_fn(map)(addr, 'a', 16, PMEM2_F_MEM_NONTEMPORAL);
	{
		/* The asynchronous persist extension, from C. */
		struct pmem2_future pf;
		addr[8192] = 'P';
		pf = pmem2_persist_async(map, addr + 8192, 1);
		FUTURE_BUSY_POLL(&pf);
		CHECK(FUTURE_OUTPUT(&pf)->result == 0);
		CHECK(FUTURE_OUTPUT(&pf)->dest == addr + 8192);
		pf = pmem2_persist_async(map, addr + size, 1);
		CHECK(FUTURE_OUTPUT(&pf)->result == PMEM2_E_MAP_RANGE);
	}
	{
		/* A batch, from C: two records and a fill, one future. */
		struct pmem2_batch *b = NULL;
		struct pmem2_future bf;
		CHECK(pmem2_batch_new(&b, map, 4) == 0);
		CHECK(pmem2_batch_memcpy(b, addr + 12288, text, sizeof(text), 0) == 0);
		CHECK(pmem2_batch_fence(b) == 0);
		CHECK(pmem2_batch_memset(b, addr + 16384, 'b', 64, PMEM2_F_MEM_TEMPORAL) == 0);
		CHECK(pmem2_batch_memset(b, addr + size - 1, 'b', 2, 0) == PMEM2_E_MAP_RANGE);
		CHECK(pmem2_batch_size(b) == 3);
		bf = pmem2_batch_async(b);
		FUTURE_BUSY_POLL(&bf);
		CHECK(FUTURE_OUTPUT(&bf)->result == 0);
		CHECK(memcmp(addr + 12288, text, sizeof(text)) == 0 && addr[16384 + 63] == 'b');
		pmem2_batch_delete(&b);
		CHECK(b == NULL);
	}
	{
		/* The operations as single futures, and two futures as one batch. */
		struct pmem2_future of[6];
		struct pmem2_batch *b = NULL;
		uint32_t crc = 0, copied = 0;
		size_t diff = 0;
		unsigned i;
		of[0] = pmem2_memset8_async(map, addr + 20480, 0x6867666564636261ULL, 16, 0);
		of[1] = pmem2_dualcast_async(map, addr + 24576, addr + 28672, text, sizeof(text), 0);
		of[2] = pmem2_crc32c_async(map, "123456789", 9, 0, &crc);
		of[3] = pmem2_copy_crc32c_async(map, addr + 32768, "123456789", 9, 0, &copied, 0);
		of[4] = pmem2_compare_async(map, addr + 24576, text, sizeof(text), &diff);
		of[5] = pmem2_crc32c_async(map, text, 1, 0, NULL);
		CHECK(FUTURE_OUTPUT(&of[1])->dest == addr + 24576);
		CHECK(FUTURE_OUTPUT(&of[2])->dest == NULL);
		CHECK(FUTURE_STATE(&of[5]) == FUTURE_STATE_COMPLETE);
		CHECK(FUTURE_OUTPUT(&of[5])->result == -EINVAL);
		for (i = 0; i < 5; ++i) {
			FUTURE_BUSY_POLL(&of[i]);
			CHECK(FUTURE_OUTPUT(&of[i])->result == 0);
		}
		CHECK(addr[20480] == 'a' && addr[20480 + 15] == 'h');
		CHECK(memcmp(addr + 28672, text, sizeof(text)) == 0);
		CHECK(crc == 0xE3069283u && copied == 0xE3069283u);
		CHECK(diff == sizeof(text));

		CHECK(pmem2_batch_new(&b, map, 2) == 0);
		addr[36864 + 9] = 'c';
		of[0] = pmem2_persist_async(map, addr + 36864, 10);
		of[1] = pmem2_memset8_async(map, addr + 40960, 0x6464646464646464ULL, 8, 0);
		CHECK(pmem2_batch_add_future(b, &of[0]) == 0);
		CHECK(pmem2_batch_add_future(b, &of[1]) == 0);
		CHECK(pmem2_batch_add_future(b, &of[5]) == -EALREADY);
		of[2] = pmem2_batch_async(b);
		FUTURE_BUSY_POLL(&of[2]);
		CHECK(FUTURE_OUTPUT(&of[2])->result == 0);
		CHECK(addr[36864 + 9] == 'c' && addr[40960 + 7] == 'd');
		pmem2_batch_delete(&b);
	}

	CHECK(pread(fd, back, sizeof(back), 4096) == (ssize_t)sizeof(back));
	CHECK(memcmp(back, text, sizeof(text)) == 0);
	CHECK(pread(fd, back, 1, (off_t)size - 1) == 1 && back[0] == 'Z');
	CHECK(pread(fd, back, 16, 0) == 16 && back[0] == 'a' && back[15] == 'a');

	CHECK(pmem2_map_delete(&map) == 0);
	CHECK(map == NULL);
out:
	CHECK(pmem2_source_delete(&src) == 0);
	CHECK(pmem2_config_delete(&cfg) == 0);
	close(fd);
}

static void anonymous(void)
{
	struct pmem2_config *cfg = NULL;
	struct pmem2_source *src = NULL;
	struct pmem2_map *map = NULL;
	int fd = 0;

	CHECK(pmem2_config_new(&cfg) == 0);
	CHECK(pmem2_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_BYTE) == 0);
	CHECK(pmem2_source_from_anon(&src, 8192) == 0);
	CHECK(pmem2_source_get_fd(src, &fd) == PMEM2_E_FILE_DESCRIPTOR_NOT_SET);
	CHECK(pmem2_map_new(&map, cfg, src) == 0);
	if (map) {
		CHECK(pmem2_map_get_store_granularity(map) == PMEM2_GRANULARITY_BYTE);
		pmem2_get_memset_fn(map)(pmem2_map_get_address(map), 1, 8192, 0);
		pmem2_get_drain_fn(map)();
		CHECK(pmem2_map_delete(&map) == 0);
	}
	pmem2_source_delete(&src);
	pmem2_config_delete(&cfg);
}

static void errors(void)
{
	struct pmem2_source *src = NULL;
	CHECK(pmem2_source_from_fd(&src, -1) == PMEM2_E_INVALID_FILE_HANDLE);
	CHECK(src == NULL);
	CHECK(pmem2_err_to_errno(PMEM2_E_INVALID_FILE_HANDLE) == EINVAL);
	CHECK(pmem2_err_to_errno(-ENOMEM) == ENOMEM);
	CHECK(pmem2_err_to_errno(PMEM2_E_NOSUPP) == ENOTSUP);
}

int main(int argc, char *argv[])
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	char path[4096];
	snprintf(path, sizeof(path), "%s/c_pmem2-%ld", dir, (long)getpid());
	map_and_write(path);
	unlink(path);
	anonymous();
	errors();
	if (failures) {
		fprintf(stderr, "c_pmem2: %d check(s) failed\n", failures);
		return 1;
	}
	printf("c_pmem2: all checks passed\n");
	return 0;
}
