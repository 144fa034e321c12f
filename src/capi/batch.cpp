// Batches (<libpmem2/batch.h>, a pmem2 extension): thin shims.
#include <libpmem2/batch.h>

#include "async/batch.hpp"
#include "capi/shim.hpp"
#include "common/export.hpp"

using pmem2::capi::guarded;
using pmem2::capi::null_arg;
using pmem2::durable::batch_entry;
using pmem2::durable::entry_kind;

namespace {

int add(struct pmem2_batch *b, const char *fn, const batch_entry &e) noexcept
{
	if (b == nullptr)
		return null_arg(fn, "batch");
	return pmem2::async::batch_add(*b, e);
}

} // namespace

PMEM2_EXPORT int pmem2_batch_new(struct pmem2_batch **batch, struct pmem2_map *map, size_t capacity)
{
	if (batch == nullptr)
		return null_arg("pmem2_batch_new", "batch");
	return guarded([&] { return pmem2::async::batch_new(*batch, map, capacity); });
}

PMEM2_EXPORT void pmem2_batch_delete(struct pmem2_batch **batch)
{
	if (batch == nullptr)
		return;
	delete *batch;
	*batch = nullptr;
}

PMEM2_EXPORT int pmem2_batch_memcpy(struct pmem2_batch *batch, void *pmemdest, const void *src,
	size_t len, unsigned flags)
{
	return add(batch, "pmem2_batch_memcpy", {entry_kind::copy, flags, pmemdest, src, 0, len});
}

PMEM2_EXPORT int pmem2_batch_memmove(struct pmem2_batch *batch, void *pmemdest, const void *src,
	size_t len, unsigned flags)
{
	return add(batch, "pmem2_batch_memmove", {entry_kind::move, flags, pmemdest, src, 0, len});
}

PMEM2_EXPORT int pmem2_batch_memset(struct pmem2_batch *batch, void *pmemdest, int c, size_t len,
	unsigned flags)
{
	return add(batch, "pmem2_batch_memset", {entry_kind::fill, flags, pmemdest, nullptr, c, len});
}

PMEM2_EXPORT int pmem2_batch_persist(struct pmem2_batch *batch, void *ptr, size_t size)
{
	return add(batch, "pmem2_batch_persist", {entry_kind::persist, 0, ptr, nullptr, 0, size});
}

PMEM2_EXPORT int pmem2_batch_fence(struct pmem2_batch *batch)
{
	return add(batch, "pmem2_batch_fence", {entry_kind::fence, 0, nullptr, nullptr, 0, 0});
}

PMEM2_EXPORT int pmem2_batch_memset8(struct pmem2_batch *batch, void *pmemdest, uint64_t pattern,
	size_t len, unsigned flags)
{
	batch_entry e{entry_kind::fill8, flags, pmemdest, nullptr, 0, len};
	e.value = pattern;
	return add(batch, "pmem2_batch_memset8", e);
}

PMEM2_EXPORT int pmem2_batch_dualcast(struct pmem2_batch *batch, void *pmemdest1, void *pmemdest2,
	const void *src, size_t len, unsigned flags)
{
	batch_entry e{entry_kind::dualcast, flags, pmemdest1, src, 0, len};
	e.dest2 = pmemdest2;
	return add(batch, "pmem2_batch_dualcast", e);
}

PMEM2_EXPORT int pmem2_batch_crc32c(struct pmem2_batch *batch, const void *src, size_t len,
	uint32_t seed, uint32_t *crc)
{
	batch_entry e{entry_kind::crc32c, 0, nullptr, src, 0, len};
	e.out = crc;
	e.value = seed;
	return add(batch, "pmem2_batch_crc32c", e);
}

PMEM2_EXPORT int pmem2_batch_copy_crc32c(struct pmem2_batch *batch, void *pmemdest, const void *src,
	size_t len, uint32_t seed, uint32_t *crc, unsigned flags)
{
	batch_entry e{entry_kind::copy_crc32c, flags, pmemdest, src, 0, len};
	e.out = crc;
	e.value = seed;
	return add(batch, "pmem2_batch_copy_crc32c", e);
}

PMEM2_EXPORT int pmem2_batch_compare(struct pmem2_batch *batch, const void *a, const void *b,
	size_t len, size_t *first_diff)
{
	batch_entry e{entry_kind::compare, 0, nullptr, a, 0, len};
	e.src2 = b;
	e.out = first_diff;
	return add(batch, "pmem2_batch_compare", e);
}

PMEM2_EXPORT int pmem2_batch_is_supported(const struct pmem2_map *map, unsigned ops)
{
	return pmem2::async::batch_supported(map, ops) ? 1 : 0;
}

PMEM2_EXPORT size_t pmem2_batch_size(const struct pmem2_batch *batch)
{
	return batch != nullptr ? batch->entries.size() : 0;
}

PMEM2_EXPORT void pmem2_batch_reset(struct pmem2_batch *batch)
{
	if (batch != nullptr) {
		batch->entries.clear();
		batch->bytes = 0;
	}
}

PMEM2_EXPORT int pmem2_batch_add_future(struct pmem2_batch *batch, const struct pmem2_future *future)
{
	if (batch == nullptr)
		return null_arg("pmem2_batch_add_future", "batch");
	if (future == nullptr)
		return null_arg("pmem2_batch_add_future", "future");
	return pmem2::async::batch_add_future(*batch, *future);
}

PMEM2_EXPORT struct pmem2_future pmem2_batch_async(struct pmem2_batch *batch)
{
	return pmem2::async::batch_future(batch);
}
