/*
 * basic_durable_write.c -- map a file with libpmem2 and write to it durably.
 *
 *   basic_durable_write FILE [SIZE [TEXT]]
 *
 * Creates FILE with SIZE bytes (default 1 MiB) if it does not exist, maps
 * all of it, copies TEXT (default "hello, persistent memory") to the start
 * with the map's memcpy function -- which returns only once the bytes are
 * durable, whatever the mapping's store granularity -- and prints that
 * granularity:
 *   BYTE        stores are durable once they leave the CPU (eADR, or memory
 *               not backed by a file)
 *   CACHE_LINE  cache lines must be flushed (persistent memory, MAP_SYNC)
 *   PAGE        pages must be written back with msync (page-cache files)
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpmem2.h>

static const char *granularity_name(enum pmem2_granularity g)
{
	switch (g) {
	case PMEM2_GRANULARITY_BYTE: return "BYTE";
	case PMEM2_GRANULARITY_CACHE_LINE: return "CACHE_LINE";
	case PMEM2_GRANULARITY_PAGE: return "PAGE";
	}
	return "unknown";
}

int main(int argc, char *argv[])
{
	struct pmem2_config *cfg = NULL;
	struct pmem2_source *src = NULL;
	struct pmem2_map *map = NULL;
	const char *text = argc > 3 ? argv[3] : "hello, persistent memory";
	size_t size = 1u << 20;
	int ret = 1;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: %s FILE [SIZE [TEXT]]\n", argv[0]);
		return 2;
	}
	if (argc > 2) {
		char *end;
		errno = 0;
		size = strtoull(argv[2], &end, 0);
		if (errno || *end || size == 0) {
			fprintf(stderr, "invalid size: %s\n", argv[2]);
			return 2;
		}
	}

	int fd = open(argv[1], O_RDWR | O_CREAT, 0644);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	struct stat st;
	if (fstat(fd, &st) == 0 && st.st_size == 0 && ftruncate(fd, (off_t)size) != 0) {
		perror("ftruncate");
		goto out;
	}

	if (pmem2_config_new(&cfg) ||
	    /* PAGE is the coarsest: accept whatever the file supports. */
	    pmem2_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_PAGE) ||
	    pmem2_source_from_fd(&src, fd) ||
	    pmem2_map_new(&map, cfg, src)) {
		pmem2_perror("mapping %s", argv[1]);
		goto out;
	}

	char *addr = pmem2_map_get_address(map);
	size_t mapped = pmem2_map_get_size(map);
	size_t len = strlen(text) + 1;
	if (len > mapped) {
		fprintf(stderr, "%s is too small (%zu bytes) for %zu bytes of text\n",
			argv[1], mapped, len);
		goto out;
	}

	pmem2_memcpy_fn memcpy_fn = pmem2_get_memcpy_fn(map);
	memcpy_fn(addr, text, len, 0);	/* durable on return */

	printf("file: %s (%zu bytes mapped)\n", argv[1], mapped);
	printf("store granularity: %s\n",
		granularity_name(pmem2_map_get_store_granularity(map)));
	printf("wrote %zu bytes durably: \"%s\"\n", len, addr);
	ret = 0;
out:
	if (map)
		pmem2_map_delete(&map);
	pmem2_source_delete(&src);
	pmem2_config_delete(&cfg);
	close(fd);
	return ret;
}
