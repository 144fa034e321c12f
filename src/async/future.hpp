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
// The chain task of the default mover's futures.
enum future_state default_chain_task(struct future_context *ctx, struct future_notifier *n) noexcept;
// The entry a future of one operation keeps in itself (make_entry_future).
const durable::batch_entry *entry_in(const pmem2_future &f) noexcept;
// The future of a batch's entries (checked when they were added).
pmem2_future make_batch_future(pmem2_map *map, const durable::batch_op &b) noexcept;
// A one-entry batch whose entry is kept in the future itself (the operations
// of <libpmem2/operations.h>). `code` != 0: complete at once with it (its
// message set); else `runs` false: complete at once with 0 (nothing to do).
// The map's mover is not foreign when it runs.
pmem2_future make_entry_future(pmem2_map *map, const durable::batch_entry &e, int code,
	bool runs) noexcept;
// The operation of a never-polled future of `map` as a batch entry: 0, or
// a code with its message naming `fn` (<libpmem2/batch.h>,
// pmem2_batch_add_future).
int entry_of_future(const pmem2_future &f, const pmem2_map &map, durable::batch_entry &e,
	const char *fn) noexcept;

} // namespace pmem2::async
