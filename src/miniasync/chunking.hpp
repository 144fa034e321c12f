// How the threads mover cuts a large operation into chunks that several
// workers (and a waiting caller) run side by side. Pure arithmetic on the
// operation's addresses and length, apart from the mover so the rule can
// be read, and checked, on its own.
//
// Operations from split_threshold bytes (1 MiB by default) are cut into
// chunks of about min_chunk bytes (512 KiB) whose boundaries are page-
// aligned addresses of the destination (the kernel's page: 4 KiB on x86-64,
// 64 KiB on most ppc64le kernels), so no two chunks share a cache line or a
// page (whose msync each would otherwise repeat). A move whose source and destination overlap is never
// cut: a chunk would read bytes another chunk already wrote.
#pragma once

#include <libminiasync/vdm.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "durable/batch.hpp"
#include "ops.hpp"

namespace pmem2::masync {

// How a splittable operation of `len` bytes writing at `dest` is cut: the
// rule try_submit applies, with `page` the page size (a power of two). k =
// min(len / chunk_min, max_chunks) shares; the chunk size is the share of
// (len + the destination's offset in its page) rounded up to a page, and
// boundaries sit at page-aligned addresses, so the first chunk is shorter by
// that offset and the last takes the rest.
struct chunk_plan {
	std::uint32_t nchunks;	// 1: not split
	std::size_t chunk_size;	// boundary c (1 <= c < nchunks) is at c * chunk_size - skew
	std::size_t skew;	// dest % page
};
inline constexpr std::uint32_t max_chunks = 64;
inline chunk_plan plan_chunks(std::uintptr_t dest, std::size_t len,
	std::size_t threshold, std::size_t min_chunk, std::size_t nthreads, std::size_t page) noexcept
{
	std::size_t chunk_min = min_chunk > page ? min_chunk : page;
	if (nthreads < 2 || len < threshold || len / 2 < chunk_min)
		return {1, len, 0};
	std::size_t k = len / chunk_min < max_chunks ? len / chunk_min : max_chunks;
	std::size_t skew = dest & (page - 1);
	std::size_t span = len + skew;	// from the page holding dest
	std::size_t cs = ((span + k - 1) / k + page - 1) & ~(page - 1);
	auto n = std::uint32_t((span + cs - 1) / cs);
	if (n < 2)
		return {1, len, 0};
	return {n, cs, skew};
}

// A batch is cut by entries, not bytes: from batch_split_bytes written and
// without fence entries, into up to nthreads runs of consecutive entries of
// at least batch_min_chunk bytes on average (each run ends in its own
// drain). A batch with a fence runs whole, in order, on one thread.
inline constexpr std::size_t batch_split_bytes = 32 << 10;
inline constexpr std::size_t batch_min_chunk = 16 << 10;
inline chunk_plan plan_batch(const durable::batch_op &b, std::size_t nthreads) noexcept
{
	if (nthreads < 2 || b.count < 2 || b.bytes < batch_split_bytes)
		return {1, b.count, 0};
	for (std::size_t i = 0; i < b.count; ++i)
		if (b.entries[i].kind == durable::entry_kind::fence)
			return {1, b.count, 0};
	std::size_t k = b.bytes / batch_min_chunk;
	k = std::min({k, nthreads, b.count, std::size_t(max_chunks)});
	const std::size_t cs = (b.count + k - 1) / k;
	return {std::uint32_t((b.count + cs - 1) / cs), cs, 0};
}

// The plan of an operation: plan_chunks, unless it is an overlapping move
// (one chunk) or a batch (plan_batch).
inline chunk_plan plan_operation(const vdm_operation &op, std::size_t threshold,
	std::size_t min_chunk, std::size_t nthreads, std::size_t page) noexcept
{
	std::size_t len = op_length(op);
	if (durable::is_batch(op))
		return plan_batch(durable::batch_of(op), nthreads);
	if (op.type == VDM_OPERATION_MEMMOVE) {
		// Chunks of an overlapping move would read what others wrote.
		auto d = reinterpret_cast<std::uintptr_t>(op.data.memmove.dest);
		auto r = reinterpret_cast<std::uintptr_t>(op.data.memmove.src);
		if ((d > r ? d - r : r - d) < len)
			return {1, len, 0};
	}
	return plan_chunks(reinterpret_cast<std::uintptr_t>(op_dest(op)), len, threshold,
		min_chunk, nthreads, page);
}

// The plan of an operation run as one chunk.
inline chunk_plan whole_operation(const vdm_operation &op) noexcept
{
	return {1, durable::is_batch(op) ? durable::batch_of(op).count : op_length(op), 0};
}

// [offset, offset + length) of chunk c of an operation of `len` bytes.
inline void chunk_range(const chunk_plan &p, std::size_t len, std::uint32_t c,
	std::size_t &off, std::size_t &part) noexcept
{
	if (p.nchunks == 1) {
		off = 0;
		part = len;
		return;
	}
	off = c == 0 ? 0 : std::size_t(c) * p.chunk_size - p.skew;
	std::size_t end = std::size_t(c + 1) * p.chunk_size - p.skew;
	part = (end < len ? end : len) - off;
}

} // namespace pmem2::masync
