/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libpmem2/persist_async.h -- asynchronous persist (a pmem2 extension, not
 * in PMDK's libpmem2 1.13; docs/ASYNC.md).
 *
 * pmem2_persist_async(map, ptr, size) returns a struct pmem2_future that is
 * complete when [ptr, ptr + size), written earlier by any means, is in the
 * persistence domain of the map's store granularity: the lines flushed and
 * fenced (CACHE_LINE), fenced (BYTE), or msync'ed (PAGE). Who does it is the
 * map's mover: the default mover in the first poll; the threads mover on a
 * worker; the DSA mover with a cache-flush descriptor (PAGE: msync on its
 * completer thread); any other mover its vdm_flush, then libpmem2's persist
 * step on the polling thread.
 *
 * output.dest is ptr; output.result is 0, -EINVAL (map is NULL),
 * PMEM2_E_MAP_RANGE (the range is not inside the map: nothing is done),
 * PMEM2_E_MAPPING_NOT_FOUND (the map was deleted before the first poll),
 * or -EIO (the flush or msync failed). A zero size completes at once.
 * Writes made after the call may or may not be covered.
 */
#ifndef LIBPMEM2_PERSIST_ASYNC
#define LIBPMEM2_PERSIST_ASYNC 1

#include <libpmem2/async.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pmem2_future pmem2_persist_async(struct pmem2_map *map, void *ptr, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* LIBPMEM2_PERSIST_ASYNC */
