// Building a pmem2 future (pmem2_async(3), docs/ASYNC.md): what pmem2_memcpy_async,
// pmem2_memmove_async and pmem2_memset_async return.
#pragma once

#include <cstddef>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <libpmem2/async.h>
#pragma GCC diagnostic pop

#include "durable/batch.hpp"

namespace pmem2::async {

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
