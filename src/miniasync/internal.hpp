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
// chunks) are split into chunks of about `min_chunk` bytes (at least a page)
// run by several workers.
PMEM2_TEST_SEAM void set_split(data_mover_threads *dmt, std::size_t threshold,
	std::size_t min_chunk) noexcept;

// How long a parked worker sleeps at most without a wake-up (1 s); a
// backstop no correct run depends on: tests make it infinite.
PMEM2_TEST_SEAM void set_park_backstop(long long ns) noexcept;

// How long a worker that found no work spins before it parks (15 us);
// a negative value restores that default.
PMEM2_TEST_SEAM void set_worker_spin(long long ns) noexcept;
// Workers parked (or about to park), and whether one is spinning for work.
PMEM2_TEST_SEAM std::size_t parked_workers(const data_mover_threads *dmt) noexcept;
PMEM2_TEST_SEAM bool worker_spinning(const data_mover_threads *dmt) noexcept;

// Per-operation slots the mover preallocated.
PMEM2_TEST_SEAM std::size_t pool_capacity(const data_mover_threads *dmt) noexcept;

// Whether `v` is a sync mover's vdm (all four of its functions): the
// sync mover honours libpmem2's durable request too.
bool is_sync_mover(const struct vdm *v) noexcept;

} // namespace pmem2::masync
