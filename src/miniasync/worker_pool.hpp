// The threads mover's workers and their queue: how items reach a worker
// and how workers spin, park and are woken. Apart from the mover because
// the wake-up protocol below is a proof of its own about four counters,
// and knows nothing of what an item means (a slot index, to the mover).
//
// At most one worker spins (for a bounded time) waiting for work; the
// others sleep on a futex. Wake-ups follow one exact count, `queued`:
// items pushed and not yet popped (a submitter adds after its push, a
// worker subtracts after its pop, so it may dip below 0 for a moment).
//   * The submitter whose addition takes `queued` from 0 to 1 wakes one
//     sleeper (none if a spinner is there to take the item); later items of
//     a burst wake nobody: a worker that pops while `queued` stays above 0
//     wakes the next one (after_pop), so a burst costs one wake-up per
//     worker it needs, not one per item.
//   * A worker parks only if, after counting itself in `sleepers`, it reads
//     `queued` as 0 or less. Both sides are seq_cst on (their write, a fence,
//     their read): either the worker sees the item counted and does not
//     park, or the submitter sees the sleeper (and the spinner gone) and
//     wakes it. A submitter that did not take `queued` from 0 knows that
//     `queued` was already above 0, so no worker can be parking on 0.
//   * The queue's try_pop may report empty while an earlier push is half
//     done (its cell claimed, not yet published): a worker that sees
//     `queued` above 0 but pops nothing yields and tries again instead of
//     parking, so an item never waits behind a half-done push.
// The park timeout (park_backstop) is a backstop only: no correct run
// depends on it, and tests make it infinite.
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/futex.hpp"
#include "mpmc_queue.hpp"
#include "room_waiters.hpp"

namespace pmem2::masync {

class worker_pool {
public:
	// `nthreads` workers (not started) and a queue of `ring` items; every
	// pop frees a queue cell, which `room` hears of. Throws std::bad_alloc.
	worker_pool(std::size_t nthreads, std::size_t ring, room_waiters &room);

	// Starts the workers, each running fn(arg) (which calls next() until
	// it returns false); false, with none left running, when one cannot be
	// created.
	bool start(void *(*fn)(void *), void *arg) noexcept;
	// Every worker drains the queue, then returns; joins them all.
	void stop() noexcept;

	std::size_t size() const noexcept { return nthreads_; }

	// A worker's next item: spins, then parks until there is one; false
	// once the pool is stopping and the queue is drained.
	bool next(std::uint32_t &item) noexcept;

	// A submitter queues items with try_push, then counts them all at once
	// with pushed(): `n` items, waking `wake` workers if any are parked, or
	// one only when the count left 0 (see the top) and wake is 0.
	bool try_push(std::uint32_t item) noexcept { return work_.try_push(item); }
	void pushed(std::int32_t n, int wake) noexcept
	{
		std::int32_t before = queued_.fetch_add(n, std::memory_order_seq_cst);
		if (wake > 0)
			wake_workers(wake);
		else if (before <= 0 && before + n > 0)
			wake_workers(1);	// 0 -> 1: this is the first item of a burst
	}

	// A worker is spinning for work: an item pushed now is taken at once.
	bool spinning() const noexcept
	{
		return spinners_.load(std::memory_order_relaxed) != 0;
	}

	// Workers parked or about to park (tests wait for them).
	std::size_t parked() const noexcept
	{
		return sleepers_.load(std::memory_order_acquire);
	}

	// More items queued than workers.
	bool backlogged() const noexcept
	{
		return queued_.load(std::memory_order_relaxed) > std::int32_t(nthreads_);
	}

private:
	// Wakes up to `count` parked workers if any are parked.
	void wake_workers(int count) noexcept
	{
		// Pairs with the fence a parking worker issues after counting itself.
		std::atomic_thread_fence(std::memory_order_seq_cst);
		if (sleepers_.load(std::memory_order_relaxed) == 0)
			return;
		if (count == 1 && spinners_.load(std::memory_order_relaxed) != 0)
			return;	// the spinner takes it
		work_seq_.fetch_add(1, std::memory_order_release);
		futex_wake(&work_seq_, count);
	}
	void after_pop() noexcept;

	std::size_t nthreads_;
	room_waiters *room_;
	std::vector<pthread_t> threads_;
	mpmc_queue work_;	// the items to run (the ring)

	alignas(64) std::atomic<std::uint32_t> work_seq_{0};	// futex word of parked workers
	std::atomic<std::int32_t> queued_{0};	// pushed and not yet popped (see the top)
	std::atomic<std::uint32_t> sleepers_{0};	// workers parked or about to
	std::atomic<std::uint32_t> spinners_{0};	// 0 or 1
	std::atomic<bool> stopping_{false};
};

} // namespace pmem2::masync
