// Building a pmem2 future (pmem2_async(3), docs/ASYNC.md): what pmem2_memcpy_async,
// pmem2_memmove_async and pmem2_memset_async return.
#pragma once

#include <cstddef>
#include <cstdint>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <libpmem2/async.h>
#pragma GCC diagnostic pop

#include "durable/batch.hpp"
#include "map/map.hpp"

namespace pmem2::async {

// Hints that make sense for a durable asynchronous operation (futures and
// batch entries); NODRAIN and NOFLUSH would break the promise and are
// rejected.
inline constexpr unsigned allowed_flags = PMEM2_F_MEM_NONTEMPORAL | PMEM2_F_MEM_TEMPORAL |
	PMEM2_F_MEM_WC | PMEM2_F_MEM_WB;

// Whether [p, p + n) lies inside the map's content (no overflow).
inline bool range_in_map(const pmem2_map &m, const void *p, std::size_t n) noexcept
{
	const auto base = reinterpret_cast<std::uintptr_t>(m.addr);
	const auto at = reinterpret_cast<std::uintptr_t>(p);
	return at >= base && at - base <= m.content_length && n <= m.content_length - (at - base);
}

struct op_args {
	vdm_operation_type type;
	void *dest;
	const void *src;
	int c;
	std::size_t len;
	unsigned flags;
	const durable::batch_op *batch = nullptr;	// a batch (type FLUSH, dest nullptr)
};

pmem2_future make_future(pmem2_map *map, const op_args &a) noexcept;
// The future of a batch's entries (checked when they were added).
pmem2_future make_batch_future(pmem2_map *map, const durable::batch_op &b) noexcept;

} // namespace pmem2::async
