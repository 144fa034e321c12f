// Batches in C++: an RAII owner of a <libpmem2/batch.h> batch of one map.
// Entries are checked as they are added (a refused one throws
// pmem2::error with the library's code and message, and is not added);
// run() returns one durable_future for all of them, durable as a whole
// with one drain (docs/ASYNC.md, "Batches"). The batch, the buffers it
// names and the result variables must stay in place until that future
// completes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

#include <libpmem2/batch.h>

#include "error.hpp"
#include "flags.hpp"
#include "future.hpp"
#include "map.hpp"

namespace pmem2 {
// Versioned: distinct symbols from the library internals and future versions.
inline namespace v1 {

class batch {
public:
	static result<batch> try_create(const map_ref &m, std::size_t capacity) noexcept
	{
		pmem2_batch *b = nullptr;
		if (int rc = pmem2_batch_new(&b, m.native(), capacity); rc != 0)
			return detail::last_error(rc, "pmem2_batch_new");
		return batch(b);
	}
	batch(const map_ref &m, std::size_t capacity) : batch(try_create(m, capacity).value()) {}

	batch(batch &&o) noexcept : b_(std::exchange(o.b_, nullptr)) {}
	batch &operator=(batch &&o) noexcept
	{
		if (this != &o) {
			pmem2_batch_delete(&b_);
			b_ = std::exchange(o.b_, nullptr);
		}
		return *this;
	}
	batch(const batch &) = delete;
	batch &operator=(const batch &) = delete;
	~batch() { pmem2_batch_delete(&b_); }

	batch &copy(void *dst, const void *src, std::size_t n, mem_flags f = {})
	{
		return check(pmem2_batch_memcpy(b_, dst, src, n, f.bits()), "pmem2_batch_memcpy");
	}
	batch &copy(std::span<std::byte> dst, std::span<const std::byte> src, mem_flags f = {})
	{
		return copy(dst.data(), src.data(), src.size() < dst.size() ? src.size() : dst.size(), f);
	}
	batch &move(void *dst, const void *src, std::size_t n, mem_flags f = {})
	{
		return check(pmem2_batch_memmove(b_, dst, src, n, f.bits()), "pmem2_batch_memmove");
	}
	batch &fill(void *dst, int c, std::size_t n, mem_flags f = {})
	{
		return check(pmem2_batch_memset(b_, dst, c, n, f.bits()), "pmem2_batch_memset");
	}
	batch &fill8(void *dst, std::uint64_t pattern, std::size_t n, mem_flags f = {})
	{
		return check(pmem2_batch_memset8(b_, dst, pattern, n, f.bits()), "pmem2_batch_memset8");
	}
	batch &dualcast(void *dst1, void *dst2, const void *src, std::size_t n, mem_flags f = {})
	{
		return check(pmem2_batch_dualcast(b_, dst1, dst2, src, n, f.bits()), "pmem2_batch_dualcast");
	}
	batch &persist(const void *p, std::size_t n)
	{
		return check(pmem2_batch_persist(b_, const_cast<void *>(p), n), "pmem2_batch_persist");
	}
	// Entries after it start after every entry before it ended.
	batch &fence() { return check(pmem2_batch_fence(b_), "pmem2_batch_fence"); }
	// `crc` is written when the future completes.
	batch &crc32c(const void *src, std::size_t n, std::uint32_t &crc, std::uint32_t seed = 0)
	{
		return check(pmem2_batch_crc32c(b_, src, n, seed, &crc), "pmem2_batch_crc32c");
	}
	batch &copy_crc32c(void *dst, const void *src, std::size_t n, std::uint32_t &crc,
		std::uint32_t seed = 0, mem_flags f = {})
	{
		return check(pmem2_batch_copy_crc32c(b_, dst, src, n, seed, &crc, f.bits()),
			"pmem2_batch_copy_crc32c");
	}
	// `first_diff` (n when equal) is written when the future completes.
	batch &compare(const void *a, const void *b, std::size_t n, std::size_t &first_diff)
	{
		return check(pmem2_batch_compare(b_, a, b, n, &first_diff), "pmem2_batch_compare");
	}

	// One future for every entry; the batch may run again once it completed.
	durable_future run() noexcept { return durable_future(pmem2_batch_async(b_)); }
	// Empties the batch (no future of it may be pending).
	void reset() noexcept { pmem2_batch_reset(b_); }
	std::size_t size() const noexcept { return pmem2_batch_size(b_); }
	pmem2_batch *native() const noexcept { return b_; }

private:
	explicit batch(pmem2_batch *b) noexcept : b_(b) {}
	batch &check(int rc, const char *what)
	{
		detail::check(rc, what);
		return *this;
	}
	pmem2_batch *b_ = nullptr;
};

} // namespace v1
} // namespace pmem2
