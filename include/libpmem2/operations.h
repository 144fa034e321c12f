/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libpmem2/operations.h -- the operations storage engines add to copies,
 * each as one future (a pmem2 extension, not in PMDK's libpmem2 1.13;
 * docs/ASYNC.md, "Operations").
 *
 * Each function returns a struct pmem2_future that does what the batch
 * entry of the same name does (<libpmem2/batch.h>: pmem2_batch_memset8 and
 * the rest), as a batch of that one entry: the same semantics, the same
 * checks with the same codes (the message names this function), one drain
 * at completion. The future is complete when the bytes it wrote are durable
 * at the map's granularity, and a result (*crc, *first_diff) is written by
 * then.
 *
 * output.dest is pmemdest (pmemdest1 for dualcast), NULL for crc32c and
 * compare. output.result is 0, or:
 *   -EINVAL             map is NULL, invalid flags (allowed: NONTEMPORAL,
 *                       TEMPORAL, WC, WB), a NULL result pointer, a NULL
 *                       source with len != 0;
 *   PMEM2_E_MAP_RANGE   a destination range not inside the map;
 *   PMEM2_E_NO_ACCESS   a write to a map without PMEM2_PROT_WRITE;
 *   PMEM2_E_NOSUPP      the map's mover is not one of pmem2's (default,
 *                       sync, threads, DSA: pmem2_batch_is_supported);
 *   PMEM2_E_MAPPING_NOT_FOUND  the map was deleted before the first poll;
 *   -EIO, -ENOMEM       as for every pmem2 future.
 * A future refused by a check is complete at once, nothing written, the
 * message in pmem2_errormsg(). A zero-length write completes at once with
 * 0; a zero-length crc32c or compare runs and writes its result (seed, 0).
 * Until it completes, the buffers and the result variable must stay in
 * place; a future dropped before its first poll writes nothing.
 */
#ifndef LIBPMEM2_OPERATIONS
#define LIBPMEM2_OPERATIONS 1

#include <stdint.h>

#include <libpmem2/async.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The 8-byte pattern repeated over [pmemdest, +len) (byte i is
 * pattern >> 8 * (i % 8)). */
struct pmem2_future pmem2_memset8_async(struct pmem2_map *map, void *pmemdest, uint64_t pattern,
	size_t len, unsigned flags);
/* [src, +len) to pmemdest1 and pmemdest2, both in the map. */
struct pmem2_future pmem2_dualcast_async(struct pmem2_map *map, void *pmemdest1, void *pmemdest2,
	const void *src, size_t len, unsigned flags);
/* *crc = CRC32C of [src, +len) (anywhere) chained from seed. */
struct pmem2_future pmem2_crc32c_async(struct pmem2_map *map, const void *src, size_t len,
	uint32_t seed, uint32_t *crc);
/* A durable copy and *crc = CRC32C of the bytes written. */
struct pmem2_future pmem2_copy_crc32c_async(struct pmem2_map *map, void *pmemdest, const void *src,
	size_t len, uint32_t seed, uint32_t *crc, unsigned flags);
/* *first_diff = the first offset where a and b (anywhere) differ, len if
 * they are equal. */
struct pmem2_future pmem2_compare_async(struct pmem2_map *map, const void *a, const void *b,
	size_t len, size_t *first_diff);

#ifdef __cplusplus
}
#endif

#endif /* LIBPMEM2_OPERATIONS */
