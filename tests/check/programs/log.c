/*
 * A log of N entries (1..8, default 1) in FILE (mapped whole): entry i is a
 * 64-byte record at offset 64*i (all bytes 0x41+i) and a valid flag, the
 * 8-byte value 1 at offset 4096 + 64*i (another page, another line). The
 * recovery check is log_check. By MODE, for each entry:
 *   ok          record, persist, flag, persist (correct)
 *   flag-first  flag, persist, record, persist (broken: a crash between the
 *               two persists leaves a flag without its record)
 *   unfenced    record, flag, flush record, flush flag, drain (broken: the
 *               flag's line may be written back before the record's; no
 *               crash at a persistence point shows it, a reordered one does)
 *   log FILE MODE [N]
 */
#include <stdint.h>
#include <string.h>

#include "seeded.h"

int main(int argc, char **argv)
{
	struct seeded s;
	int n = argc > 3 ? atoi(argv[3]) : 1;
	if (argc < 3 || n < 1 || n > 8)
		return 3;
	seeded_open(&s, argv[1], 0);
	pmem2_persist_fn persist = pmem2_get_persist_fn(s.map);
	pmem2_flush_fn flush = pmem2_get_flush_fn(s.map);
	pmem2_drain_fn drain = pmem2_get_drain_fn(s.map);
	for (int i = 0; i < n; ++i) {
		char *rec = s.addr + 64 * i;
		uint64_t *flag = (uint64_t *)(s.addr + 4096 + 64 * i);
		if (strcmp(argv[2], "ok") == 0) {
			memset(rec, 0x41 + i, 64);
			persist(rec, 64);
			*flag = 1;
			persist(flag, sizeof(*flag));
		} else if (strcmp(argv[2], "flag-first") == 0) {
			*flag = 1;
			persist(flag, sizeof(*flag));
			memset(rec, 0x41 + i, 64);
			persist(rec, 64);
		} else if (strcmp(argv[2], "unfenced") == 0) {
			memset(rec, 0x41 + i, 64);
			*flag = 1;
			flush(rec, 64);
			flush(flag, sizeof(*flag));
			drain();
		} else {
			return 3;
		}
	}
	seeded_close(&s);
	return 0;
}
