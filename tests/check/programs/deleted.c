/*
 * Broken, on a file deleted while mapped: never_persisted's stores (50
 * bytes persisted at map offset 100, 64 bytes at map offset 8292, file
 * offset 12388, never persisted) on FILE mapped from offset 4096. WHEN:
 *   after-map   FILE unlinked after pmem2_map_new
 *   before-map  FILE opened, unlinked, then mapped (/proc/self/fd names it
 *               "FILE (deleted)")
 *   replaced    as after-map, then a new file of 65536 bytes 0xff created
 *               at FILE (the mapped file is not it)
 * With `exit` the map is left for the exit check, else pmem2_map_delete
 * finds it.
 *   deleted FILE WHEN [exit]
 */
#include <string.h>

#include "seeded.h"

static void unlink_or_die(const char *path)
{
	if (unlink(path)) {
		perror(path);
		exit(3);
	}
}

int main(int argc, char **argv)
{
	struct seeded s;
	if (argc < 3)
		return 3;
	const char *path = argv[1], *when = argv[2];
	if (strcmp(when, "before-map") == 0) {
		int fd = open(path, O_RDWR);
		if (fd < 0) {
			perror(path);
			return 3;
		}
		/* reopened through the open descriptor: the file is gone */
		char self[64];
		snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
		unlink_or_die(path);
		seeded_open(&s, self, 4096);
		close(fd);
	} else if (strcmp(when, "after-map") == 0 || strcmp(when, "replaced") == 0) {
		seeded_open(&s, path, 4096);
		unlink_or_die(path);
		if (strcmp(when, "replaced") == 0) {
			FILE *f = fopen(path, "w");
			if (f == NULL) {
				perror(path);
				return 3;
			}
			for (int i = 0; i < 65536; ++i)
				fputc(0xff, f);
			fclose(f);
		}
	} else {
		return 3;
	}
	pmem2_persist_fn persist = pmem2_get_persist_fn(s.map);
	memset(s.addr + 100, 0x11, 50);
	persist(s.addr + 100, 50);
	memset(s.addr + 8292, 0x22, 64);	/* never persisted */
	if (argc > 3 && strcmp(argv[3], "exit") == 0) {
		pmem2_source_delete(&s.src);	/* the map is left, not the source */
		return 0;
	}
	seeded_close(&s);
	return 0;
}
