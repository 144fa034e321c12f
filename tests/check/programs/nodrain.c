/*
 * pmem2_memcpy with PMEM2_F_MEM_NODRAIN of 64 bytes at map offset 256
 * (FILE mapped from 0), then by MODE:
 *   none     never drains (broken at CACHE_LINE: the lines are flushed but
 *            not fenced)
 *   drain    drains (correct)
 *   restore  stores into the range again before it drains (broken: the
 *            drain's promise misses byte 256)
 *   nodrain FILE MODE
 */
#include <string.h>

#include "seeded.h"

int main(int argc, char **argv)
{
	struct seeded s;
	char data[64];
	if (argc != 3)
		return 3;
	memset(data, 0x5a, sizeof(data));
	seeded_open(&s, argv[1], 0);
	pmem2_memcpy_fn memcpy_fn = pmem2_get_memcpy_fn(s.map);
	pmem2_drain_fn drain = pmem2_get_drain_fn(s.map);
	memcpy_fn(s.addr + 256, data, sizeof(data), PMEM2_F_MEM_NODRAIN);
	if (strcmp(argv[2], "restore") == 0)
		s.addr[256] = 0x77;
	if (strcmp(argv[2], "none") != 0)
		drain();
	seeded_close(&s);
	return 0;
}
