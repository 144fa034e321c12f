/*
 * Maps FILE, stores without persisting and aborts: the exit check never
 * runs, so `pmem2 check` can only say how the program ended.
 *   crash FILE
 */
#include <string.h>

#include "seeded.h"

int main(int argc, char **argv)
{
	struct seeded s;
	if (argc != 2)
		return 3;
	seeded_open(&s, argv[1], 0);
	memset(s.addr, 0x33, 64);
	abort();
}
