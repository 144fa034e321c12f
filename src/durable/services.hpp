// libpmem2's side of the durable-operation protocol: the services table
// every guard points to (see durable/protocol.hpp).
#pragma once

#include <cstddef>

#include "durable/protocol.hpp"

namespace pmem2::durable {

[[gnu::visibility("default")]] const services &pmem2_services() noexcept;

} // namespace pmem2::durable

namespace pmem2::durable {

// The table's functions, for callers inside libpmem2 (the default mover and
// the persist step call them directly).
int run_move(void *dst, const void *src, std::size_t n, const request &r) noexcept;
int run_fill(void *dst, int c, std::size_t n, const request &r) noexcept;
int run_persist(const void *ptr, std::size_t n, const request &r) noexcept;
int run_batch(const batch_entry *e, std::size_t count, const request &r) noexcept;

// The same functions as durable/run.hpp's kernels: called directly, not
// through the table.
struct direct_kernels {
	static int move(void *dst, const void *src, std::size_t n, const request &r) noexcept
	{
		return run_move(dst, src, n, r);
	}
	static int fill(void *dst, int c, std::size_t n, const request &r) noexcept
	{
		return run_fill(dst, c, n, r);
	}
	static int persist(const void *ptr, std::size_t n, const request &r) noexcept
	{
		return run_persist(ptr, n, r);
	}
	static int batch(const batch_entry *e, std::size_t count, const request &r) noexcept
	{
		return run_batch(e, count, r);
	}
};

} // namespace pmem2::durable
