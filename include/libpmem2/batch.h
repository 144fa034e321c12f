/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libpmem2/batch.h -- batches of durable operations on one map, complete as
 * one future (a pmem2 extension, not in PMDK's libpmem2 1.13;
 * docs/ASYNC.md, "Batches").
 *
 * A batch holds up to `capacity` entries: copies, moves, fills, persists of
 * ranges written earlier, and fences. pmem2_batch_async() returns one
 * struct pmem2_future for all of them, complete when every entry's bytes are
 * durable at the map's granularity, with one drain per thread that wrote
 * (not one per entry). Rules:
 *   - Entries are checked when added, as the single futures check their
 *     arguments; a bad one returns its code (the message in pmem2_errormsg())
 *     and is not added: the batch holds only valid entries, and a future of
 *     it writes all of them or, if the map is gone, none.
 *   - Entries between two fences may run in any order, or at once; their
 *     destinations should not overlap (the bytes would be those of any of
 *     them). An entry after a fence starts after every entry before it ended.
 *   - The batch and the buffers its entries name must stay unchanged until
 *     its future completes; then it may be run again, or reset and refilled.
 *   - The map must outlive the batch (as it must outlive the calls that make
 *     futures on it); a future of the batch made before the map is deleted
 *     completes with PMEM2_E_MAPPING_NOT_FOUND, writing nothing.
 *   - Movers: the default, sync, threads and DSA movers run batches; a map
 *     with any other mover cannot have one (pmem2_batch_new fails with
 *     PMEM2_E_NOSUPP).
 * Codes: 0; -EINVAL (NULL arguments, capacity 0, invalid flags);
 * PMEM2_E_MAP_RANGE (a range not inside the map); PMEM2_E_NO_ACCESS (a write
 * to a map without PMEM2_PROT_WRITE); -ENOSPC (the batch is full);
 * PMEM2_E_NOSUPP (see above); -ENOMEM.
 */
#ifndef LIBPMEM2_BATCH
#define LIBPMEM2_BATCH 1

#include <stdint.h>

#include <libpmem2/async.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pmem2_batch;

int pmem2_batch_new(struct pmem2_batch **batch, struct pmem2_map *map, size_t capacity);
/* Frees *batch (NULL: nothing) and sets it to NULL. */
void pmem2_batch_delete(struct pmem2_batch **batch);

/* Entries; flags as pmem2_memcpy_async's (NONTEMPORAL, TEMPORAL, WC, WB). A
 * zero length adds nothing and returns 0. */
int pmem2_batch_memcpy(struct pmem2_batch *batch, void *pmemdest, const void *src,
	size_t len, unsigned flags);
int pmem2_batch_memmove(struct pmem2_batch *batch, void *pmemdest, const void *src,
	size_t len, unsigned flags);
int pmem2_batch_memset(struct pmem2_batch *batch, void *pmemdest, int c, size_t len,
	unsigned flags);
int pmem2_batch_persist(struct pmem2_batch *batch, void *ptr, size_t size);
int pmem2_batch_fence(struct pmem2_batch *batch);

/* The operations storage engines add to copies (each runs when the batch
 * runs; a result is written when the batch's future completes):
 *   memset8      the 8-byte pattern repeated over [pmemdest, +len) (byte i
 *                is pattern >> 8 * (i % 8)), durable;
 *   dualcast     [src, +len) to pmemdest1 and pmemdest2, both durable;
 *   crc32c       *crc = CRC32C (Castagnoli, the iSCSI CRC) of [src, +len),
 *                chained from seed zlib style (0 to start; crc32c of
 *                "123456789" from 0 is 0xE3069283); src may be anywhere;
 *   copy_crc32c  a durable copy and *crc = CRC32C of the bytes written, in
 *                one pass over the source;
 *   compare      *first_diff = the offset of the first byte where a and b
 *                differ, len when they are equal; a and b may be anywhere.
 * A zero length is added (the result is written: seed, or 0). */
int pmem2_batch_memset8(struct pmem2_batch *batch, void *pmemdest, uint64_t pattern, size_t len,
	unsigned flags);
int pmem2_batch_dualcast(struct pmem2_batch *batch, void *pmemdest1, void *pmemdest2,
	const void *src, size_t len, unsigned flags);
int pmem2_batch_crc32c(struct pmem2_batch *batch, const void *src, size_t len, uint32_t seed,
	uint32_t *crc);
int pmem2_batch_copy_crc32c(struct pmem2_batch *batch, void *pmemdest, const void *src,
	size_t len, uint32_t seed, uint32_t *crc, unsigned flags);
int pmem2_batch_compare(struct pmem2_batch *batch, const void *a, const void *b, size_t len,
	size_t *first_diff);

/* The operation of a future of the batch's map that was never polled, as
 * an entry: a future of pmem2_memcpy_async, pmem2_memmove_async,
 * pmem2_memset_async, pmem2_persist_async or of <libpmem2/operations.h>
 * (an extension of the extension: several futures made one batch, with one
 * drain for all). The future itself must then not be polled: it can be
 * dropped, or marked complete with the batch's result by its owner (the
 * C++ pmem2::when_all does so). Codes: 0; -EINVAL (NULL batch or future);
 * -EALREADY (the future was polled, or is complete: refused by its checks,
 * or with nothing to do); -EXDEV (a future of another map, or of a map
 * deleted since); PMEM2_E_NOSUPP (not such a future: a batch's future, a
 * future of a mover that cannot run batches, any other future); -ENOSPC
 * (the batch is full). */
int pmem2_batch_add_future(struct pmem2_batch *batch, const struct pmem2_future *future);

/* What a map's mover can run in a batch: PMEM2_BATCH_* bits. Non-zero when
 * every operation in `ops` is supported (all of them on the default, sync,
 * threads and DSA movers; none on any other mover). */
#define PMEM2_BATCH_COPY	(1U << 0)	/* memcpy, memmove */
#define PMEM2_BATCH_FILL	(1U << 1)	/* memset, memset8 */
#define PMEM2_BATCH_PERSIST	(1U << 2)	/* persist, fence */
#define PMEM2_BATCH_DUALCAST	(1U << 3)
#define PMEM2_BATCH_CRC32C	(1U << 4)	/* crc32c, copy_crc32c */
#define PMEM2_BATCH_COMPARE	(1U << 5)
#define PMEM2_BATCH_ALL		((1U << 6) - 1)
int pmem2_batch_is_supported(const struct pmem2_map *map, unsigned ops);

/* Entries added (fences included). */
size_t pmem2_batch_size(const struct pmem2_batch *batch);
/* Empties the batch (no future of it may be pending). */
void pmem2_batch_reset(struct pmem2_batch *batch);

/* One future for every entry (output.dest is NULL). An empty batch
 * completes at once with result 0. */
struct pmem2_future pmem2_batch_async(struct pmem2_batch *batch);

#ifdef __cplusplus
}
#endif

#endif /* LIBPMEM2_BATCH */
