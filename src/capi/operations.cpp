// The operations of <libpmem2/operations.h> (a pmem2 extension) as single
// futures: each a batch entry checked and run by async/batch.cpp.
#include <libpmem2/operations.h>

#include "async/batch.hpp"
#include "common/export.hpp"

using pmem2::async::entry_future;
using pmem2::durable::batch_entry;
using pmem2::durable::entry_kind;

PMEM2_EXPORT struct pmem2_future pmem2_memset8_async(struct pmem2_map *map, void *pmemdest,
	uint64_t pattern, size_t len, unsigned flags)
{
	batch_entry e{entry_kind::fill8, flags, pmemdest, nullptr, 0, len};
	e.value = pattern;
	return entry_future(map, e);
}

PMEM2_EXPORT struct pmem2_future pmem2_dualcast_async(struct pmem2_map *map, void *pmemdest1,
	void *pmemdest2, const void *src, size_t len, unsigned flags)
{
	batch_entry e{entry_kind::dualcast, flags, pmemdest1, src, 0, len};
	e.dest2 = pmemdest2;
	return entry_future(map, e);
}

PMEM2_EXPORT struct pmem2_future pmem2_crc32c_async(struct pmem2_map *map, const void *src,
	size_t len, uint32_t seed, uint32_t *crc)
{
	batch_entry e{entry_kind::crc32c, 0, nullptr, src, 0, len};
	e.out = crc;
	e.value = seed;
	return entry_future(map, e);
}

PMEM2_EXPORT struct pmem2_future pmem2_copy_crc32c_async(struct pmem2_map *map, void *pmemdest,
	const void *src, size_t len, uint32_t seed, uint32_t *crc, unsigned flags)
{
	batch_entry e{entry_kind::copy_crc32c, flags, pmemdest, src, 0, len};
	e.out = crc;
	e.value = seed;
	return entry_future(map, e);
}

PMEM2_EXPORT struct pmem2_future pmem2_compare_async(struct pmem2_map *map, const void *a,
	const void *b, size_t len, size_t *first_diff)
{
	batch_entry e{entry_kind::compare, 0, nullptr, a, 0, len};
	e.src2 = b;
	e.out = first_diff;
	return entry_future(map, e);
}
