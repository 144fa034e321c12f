/*
 * Broken: persists one range and leaves another, on a page of its own,
 * stored but never persisted: 64 bytes at map offset 8292, file offset
 * 4096 + 8292 = 12388. With `exit` the map is left for the exit check,
 * else pmem2_map_delete finds it.
 *   never_persisted FILE [exit]
 */
#include <string.h>

#include "seeded.h"

int main(int argc, char **argv)
{
	struct seeded s;
	if (argc < 2)
		return 3;
	seeded_open(&s, argv[1], 4096);
	pmem2_persist_fn persist = pmem2_get_persist_fn(s.map);
	memset(s.addr + 100, 0x11, 50);
	persist(s.addr + 100, 50);
	memset(s.addr + 8292, 0x22, 64);	/* never persisted */
	if (argc > 2 && strcmp(argv[2], "exit") == 0) {
		pmem2_source_delete(&s.src);	/* the map is left, not the source */
		return 0;
	}
	seeded_close(&s);
	return 0;
}
