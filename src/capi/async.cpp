// The asynchronous part of the C API (pmem2_async(3), docs/ASYNC.md).
#include "async/future.hpp"
#include "common/export.hpp"

using pmem2::async::make_future;
using pmem2::async::op_args;

PMEM2_EXPORT struct pmem2_future pmem2_memcpy_async(struct pmem2_map *map,
	void *pmemdest, const void *src, size_t len, unsigned flags)
{
	return make_future(map, op_args{VDM_OPERATION_MEMCPY, pmemdest, src, 0, len, flags});
}

PMEM2_EXPORT struct pmem2_future pmem2_memmove_async(struct pmem2_map *map,
	void *pmemdest, const void *src, size_t len, unsigned flags)
{
	return make_future(map, op_args{VDM_OPERATION_MEMMOVE, pmemdest, src, 0, len, flags});
}

PMEM2_EXPORT struct pmem2_future pmem2_persist_async(struct pmem2_map *map, void *ptr, size_t size)
{
	return make_future(map, op_args{VDM_OPERATION_FLUSH, ptr, nullptr, 0, size, 0});
}

PMEM2_EXPORT struct pmem2_future pmem2_memset_async(struct pmem2_map *map,
	void *str, int c, size_t n, unsigned flags)
{
	return make_future(map, op_args{VDM_OPERATION_MEMSET, str, nullptr, c, n, flags});
}
