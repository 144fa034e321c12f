// Caller help: which operations of the threads mover a waiting caller runs
// itself, and when. Apart from the mover because it is a policy (what is
// worth running on the caller) over the mechanism the workers use; the
// mover asks these two questions and claims chunks the same way either way.
//
// A thread waiting in runtime_wait_multiple that polls a future whose
// operation no worker has claimed yet claims its chunks itself (the same
// next_chunk claim the workers use). Only durable (pmem2) operations with
// the default kernels at BYTE or CACHE_LINE granularity (stores, flushes
// and a fence; never an msync) are helped: small ones (a worker wake-up
// costs more than the copy), split ones, and any of them while more items
// are queued than there are workers. The helper performs them exactly as a
// worker would (guard, durable kernels, publish, waker); the worker that
// later pops the queue item finds no chunk left and drops its reference. A
// small operation that is the only one a caller waits for is not queued at
// all: the caller runs it at start.
#pragma once

#include <cstddef>
#include <cstdint>

#include "durable/protocol.hpp"
#include "internal.hpp"
#include "op_slots.hpp"

namespace pmem2::masync {

// Durable operations up to this size may run on a waiting caller.
inline constexpr std::size_t help_max = std::size_t(64) << 10;

// At submission, once the slot's chunks are planned: sets s.helpable and
// s.small. `kernels_copy`: no user hook replaces the kernels for its type.
// Helping runs the durable kernels on the caller; user hooks and plain
// operations stay on the workers.
inline void classify_for_help(op_slot &s, std::uint64_t flags, bool kernels_copy,
	std::size_t len) noexcept
{
	// PAGE operations end in msync, a blocking system call: they always run
	// on the workers, so a waiting caller never blocks on persistence. An
	// asynchronous persist (FLUSH) larger than help_max stays on the workers
	// too: its caller asked to be spared the flushing; so does a batch
	// (`len`: the bytes its entries write) larger than that.
	constexpr unsigned page_granularity = 2;	// PMEM2_GRANULARITY_PAGE
	s.helpable = durable::is_request(flags) && kernels_copy &&
		durable::unpack(flags).granularity != page_granularity &&
		!(s.op.type == VDM_OPERATION_FLUSH && len > help_max);	// batches too, by bytes
	s.small = s.helpable && s.nchunks == 1 && len <= help_max;
}

// The caller waits for this operation alone: it runs it at start (in
// op_start), and the operation is never queued.
inline bool caller_runs_at_start(const op_slot &s) noexcept
{
	return s.small && caller_may_help == help_all;
}

// A split operation of at most help_max bytes that the caller waits for
// alone: it claims chunks from the start, next to the workers. Only a
// worker already awake (the spinner) is worth sharing with: waking a parked
// one costs more here than the copy (a futex call on the caller, then
// microseconds before the worker runs, while it holds the chunk it
// claimed). So without a spinner the mover does not split the operation
// (the caller then runs it whole at start), and with one, the caller queues
// one item fewer than it would (it is the other worker) and wakes nobody.
inline bool caller_shares_at_start(const op_slot &s, std::size_t len) noexcept
{
	return s.helpable && s.nchunks > 1 && len <= help_max && caller_may_help == help_all;
}

// At a poll of a started operation: should this caller claim its chunks
// now. backlogged() (more items queued than workers) is asked last.
template <class Backlogged>
inline bool caller_should_help(const op_slot &s, Backlogged &&backlogged) noexcept
{
	return caller_may_help != help_none && s.helpable &&
		s.next_chunk.load(std::memory_order_relaxed) < s.nchunks &&
		(s.small || s.nchunks > 1 || backlogged());
}

} // namespace pmem2::masync
