/*
 * Broken, on a map of pmem2_map_from_existing: the program maps 16384
 * bytes of FILE from file offset 8192 itself (mmap, MAP_SHARED) and makes a
 * map of the last 12288 of them (file offset 12288), at PAGE granularity;
 * it persists 50 bytes at map offset 0 and leaves 64 at map offset 100
 * (file offset 12388) stored but never persisted. With `anon` the memory is
 * an anonymous shared mapping and the source pmem2_source_from_anon (FILE
 * is not used). With `exit` the map is left for the exit check, else
 * pmem2_map_delete finds it.
 *   from_existing FILE [file|anon] [exit]
 */
#define _DEFAULT_SOURCE	/* MAP_ANONYMOUS */
#include <string.h>
#include <sys/mman.h>

#include "seeded.h"

int main(int argc, char **argv)
{
	if (argc < 2)
		return 3;
	int anon = argc > 2 && strcmp(argv[2], "anon") == 0;
	struct pmem2_source *src;
	int fd = -1;
	char *base;
	if (anon) {
		base = mmap(NULL, 16384, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (pmem2_source_from_anon(&src, 16384))
			seeded_die("pmem2_source_from_anon");
	} else {
		fd = open(argv[1], O_RDWR);
		if (fd < 0) {
			perror(argv[1]);
			return 3;
		}
		base = mmap(NULL, 16384, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 8192);
		if (pmem2_source_from_fd(&src, fd))
			seeded_die("pmem2_source_from_fd");
	}
	if (base == MAP_FAILED) {
		perror("mmap");
		return 3;
	}
	struct pmem2_map *map;
	if (pmem2_map_from_existing(&map, src, base + 4096, 12288, PMEM2_GRANULARITY_PAGE))
		seeded_die("pmem2_map_from_existing");
	char *addr = pmem2_map_get_address(map);
	pmem2_persist_fn persist = pmem2_get_persist_fn(map);
	memset(addr, 0x11, 50);
	persist(addr, 50);
	memset(addr + 100, 0x22, 64);	/* never persisted */
	if (argc > 3 && strcmp(argv[3], "exit") == 0) {
		pmem2_source_delete(&src);	/* the map is left, not the source */
		return 0;
	}
	if (pmem2_map_delete(&map))
		seeded_die("pmem2_map_delete");
	pmem2_source_delete(&src);
	munmap(base, 16384);
	if (fd >= 0)
		close(fd);
	return 0;
}
