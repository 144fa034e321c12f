// libminiasync internals shared by the implementation files and reachable
// by the tests (which link miniasync_static): counters and test seams.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

struct data_mover_threads;

namespace pmem2::masync {

// Runtime activity, process-wide, relaxed (observation only).
struct runtime_counters {
	std::atomic<std::uint64_t> wakes{0};	// waker calls
	std::atomic<std::uint64_t> sleeps{0};	// futex sleeps entered
	std::atomic<std::uint64_t> woken{0};	// sleeps ended before the backstop
};
runtime_counters &runtime_stats() noexcept;

// Threads mover activity, process-wide, relaxed (observation only).
struct mover_counters {
	std::atomic<std::uint64_t> caller_ops{0};	// operations a waiting caller ran (some chunks or all)
	std::atomic<std::uint64_t> caller_chunks{0};	// chunks a waiting caller ran
};
mover_counters &mover_stats() noexcept;

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
extern std::atomic<int> fail_thread_create_at;

// Operations of at least `threshold` bytes are split into chunks of at
// least `min_chunk` bytes run by several workers.
void set_split(data_mover_threads *dmt, std::size_t threshold,
	std::size_t min_chunk) noexcept;

// Per-operation slots the mover preallocated.
std::size_t pool_capacity(const data_mover_threads *dmt) noexcept;

} // namespace pmem2::masync
