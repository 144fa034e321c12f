/*
 * Correct: stores into FILE (mapped from offset 4096) and persists every
 * byte it stored, through the persist function and a memcpy that drains.
 *   persist_ok FILE
 */
#include <string.h>

#include "seeded.h"

int main(int argc, char **argv)
{
	struct seeded s;
	if (argc != 2)
		return 3;
	seeded_open(&s, argv[1], 4096);
	pmem2_persist_fn persist = pmem2_get_persist_fn(s.map);
	pmem2_memcpy_fn memcpy_fn = pmem2_get_memcpy_fn(s.map);
	memset(s.addr + 100, 0xab, 200);
	persist(s.addr + 100, 200);
	memcpy_fn(s.addr + 8192, "durable record", 15, 0);
	seeded_close(&s);
	return 0;
}
