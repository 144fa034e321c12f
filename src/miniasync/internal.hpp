// libminiasync internals shared by the implementation files and reachable
// by the tests (which link miniasync_static): counters and test seams.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "common/export.hpp"

struct data_mover_threads;

namespace pmem2::masync {

// Runtime activity, process-wide, relaxed (observation only).
struct runtime_counters {
	std::atomic<std::uint64_t> wakes{0};	// waker calls
	std::atomic<std::uint64_t> sleeps{0};	// futex sleeps entered
	std::atomic<std::uint64_t> woken{0};	// sleeps ended before the backstop
};
PMEM2_TEST_SEAM runtime_counters &runtime_stats() noexcept;

// Threads mover activity, process-wide, relaxed (observation only).
struct mover_counters {
	std::atomic<std::uint64_t> caller_ops{0};	// operations a waiting caller ran (some chunks or all)
	std::atomic<std::uint64_t> caller_chunks{0};	// chunks a waiting caller ran
	std::atomic<std::uint64_t> worker_split_chunks{0};	// chunks of split operations workers ran
};
PMEM2_TEST_SEAM mover_counters &mover_stats() noexcept;

// Set while the thread waits in runtime_wait_multiple: the threads mover
// then lets it run unclaimed durable operations of its own futures instead
// of waiting for a worker. help_queued: after the first polling pass (every
// future started); help_all: the wait has a single pending future, whose
// small operation may run at start without being queued.
inline constexpr int help_none = 0;
inline constexpr int help_queued = 1;
inline constexpr int help_all = 2;
extern thread_local int caller_may_help;

// Worker creation fails for the Nth pthread_create from now (1 = next one);
// 0 disables. Counts down across movers.
extern PMEM2_TEST_SEAM std::atomic<int> fail_thread_create_at;

// Operations of at least `threshold` bytes (and at least two minimum
// chunks) are split into chunks of about `min_chunk` bytes (at least 4096)
// run by several workers.
PMEM2_TEST_SEAM void set_split(data_mover_threads *dmt, std::size_t threshold,
	std::size_t min_chunk) noexcept;

// How a splittable operation of `len` bytes writing at `dest` is cut: the
// rule try_submit applies. k = min(len / chunk_min, max_chunks) shares; the
// chunk size is the share of (len + the destination's offset in its page)
// rounded up to 4096, and boundaries sit at 4096-aligned addresses, so the
// first chunk is shorter by that offset and the last takes the rest.
struct chunk_plan {
	std::uint32_t nchunks;	// 1: not split
	std::size_t chunk_size;	// boundary c (1 <= c < nchunks) is at c * chunk_size - skew
	std::size_t skew;	// dest % 4096
};
inline constexpr std::uint32_t max_chunks = 64;
inline constexpr std::size_t chunk_align = 4096;
inline chunk_plan plan_chunks(std::uintptr_t dest, std::size_t len,
	std::size_t threshold, std::size_t min_chunk, std::size_t nthreads) noexcept
{
	std::size_t chunk_min = min_chunk > chunk_align ? min_chunk : chunk_align;
	if (nthreads < 2 || len < threshold || len / 2 < chunk_min)
		return {1, len, 0};
	std::size_t k = len / chunk_min < max_chunks ? len / chunk_min : max_chunks;
	std::size_t skew = dest & (chunk_align - 1);
	std::size_t span = len + skew;	// from the page holding dest
	std::size_t cs = ((span + k - 1) / k + chunk_align - 1) & ~(chunk_align - 1);
	auto n = std::uint32_t((span + cs - 1) / cs);
	if (n < 2)
		return {1, len, 0};
	return {n, cs, skew};
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

// Per-operation slots the mover preallocated.
// How long a parked worker sleeps at most without a wake-up (1 s); a
// backstop no correct run depends on: tests make it infinite.
PMEM2_TEST_SEAM void set_park_backstop(long long ns) noexcept;

PMEM2_TEST_SEAM std::size_t pool_capacity(const data_mover_threads *dmt) noexcept;

} // namespace pmem2::masync
