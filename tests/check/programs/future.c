/*
 * A one-entry log laid out as log.c lays it (record: 64 bytes of 0x41 at
 * offset 0; valid flag: the 8-byte value 1 at offset 4096; log_check is its
 * recovery check) whose record is written by pmem2_memcpy_async, on MOVER
 * (default: libpmem2's own; threads: libminiasync's threads mover). By MODE:
 *   ok       the record's future run to completion, then the flag
 *            persisted (correct)
 *   early    the flag persisted before the record's future is run (broken:
 *            the future is relied on before it completed; a crash state at
 *            the flag's persist has a flag without its record)
 *   dropped  the record's future is never run (broken: a future of the map
 *            never completed)
 *   future FILE MODE [MOVER]
 */
#include <stdint.h>
#include <string.h>

#include <libminiasync.h>

#define SEEDED_ASYNC 1
#include "seeded.h"

static void run(struct pmem2_future *f)
{
	struct runtime *r = runtime_new();
	runtime_wait(r, FUTURE_AS_RUNNABLE(f));
	runtime_delete(r);
	if (FUTURE_OUTPUT(f)->result != 0) {
		fprintf(stderr, "future: the copy failed: %d\n", FUTURE_OUTPUT(f)->result);
		exit(3);
	}
}

int main(int argc, char **argv)
{
	struct seeded s;
	struct data_mover_threads *dmt = NULL;
	static char record[64];
	if (argc < 3)
		return 3;
	if (argc > 3 && strcmp(argv[3], "threads") == 0) {
		dmt = data_mover_threads_new(1, 16, FUTURE_NOTIFIER_NONE);
		if (dmt == NULL)
			return 3;
	}
	memset(record, 0x41, sizeof(record));
	seeded_open_vdm(&s, argv[1], 0, dmt ? data_mover_threads_get_vdm(dmt) : NULL);
	pmem2_persist_fn persist = pmem2_get_persist_fn(s.map);
	uint64_t *flag = (uint64_t *)(s.addr + 4096);
	struct pmem2_future f = pmem2_memcpy_async(s.map, s.addr, record, sizeof(record), 0);
	if (strcmp(argv[2], "ok") == 0) {
		run(&f);
		*flag = 1;
		persist(flag, sizeof(*flag));
	} else if (strcmp(argv[2], "early") == 0) {
		*flag = 1;
		persist(flag, sizeof(*flag));
		run(&f);
	} else if (strcmp(argv[2], "dropped") != 0) {
		return 3;
	}
	seeded_close(&s);
	if (dmt)
		data_mover_threads_delete(dmt);
	return 0;
}
