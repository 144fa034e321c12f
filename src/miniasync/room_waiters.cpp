// The list of callers waiting for room in the threads mover (see
// room_waiters.hpp): registration, withdrawal and the flush that calls
// them.
#include "room_waiters.hpp"

#include <sched.h>

#include <algorithm>

namespace pmem2::masync {
namespace {

thread_local bool in_space_wake = false;

} // namespace

std::uint32_t room_waiters::add(const future_waker &w, std::uint32_t prev) noexcept
{
	std::uint32_t epoch;
	{
		std::lock_guard lk(mtx_);
		std::size_t i = 0;
		for (; i < len_; ++i)
			if (waiters_[i].waker.data == w.data && waiters_[i].waker.wake == w.wake)
				break;
		if (i < len_) {
			if (prev != epoch_)
				++waiters_[i].count;
		} else if (len_ < max_waiters) {
			waiters_[len_++] = {w, 1};
		} else {
			return 0;
		}
		nwaiters_.store(std::uint32_t(len_), std::memory_order_relaxed);
		epoch = epoch_;
	}
	// Pairs with the fence in space_freed: the retry that follows sees the
	// freed room, or the freer sees this waiter.
	std::atomic_thread_fence(std::memory_order_seq_cst);
	return epoch;
}

void room_waiters::remove(const future_waker &w, std::uint32_t epoch) noexcept
{
	bool found = false;
	{
		std::lock_guard lk(mtx_);
		for (std::size_t i = 0; epoch == epoch_ && i < len_; ++i) {
			if (waiters_[i].waker.data == w.data && waiters_[i].waker.wake == w.wake) {
				if (--waiters_[i].count == 0)
					waiters_[i] = waiters_[--len_];
				found = true;
				break;
			}
		}
		nwaiters_.store(std::uint32_t(len_), std::memory_order_relaxed);
	}
	// Taken by a concurrent space_freed: let its call finish before the
	// caller's future can complete and its waker go away.
	if (!found && !in_space_wake)
		while (waking_.load(std::memory_order_acquire) != 0)
			sched_yield();
}

void room_waiters::wake_all() noexcept
{
	waiter taken[max_waiters];
	std::size_t n;
	{
		std::lock_guard lk(mtx_);
		n = len_;
		std::copy(waiters_, waiters_ + n, taken);
		len_ = 0;
		if (++epoch_ == 0)
			epoch_ = 1;
		nwaiters_.store(0, std::memory_order_relaxed);
		waking_.fetch_add(1, std::memory_order_relaxed);
	}
	bool outer = !in_space_wake;
	in_space_wake = true;
	for (std::size_t i = 0; i < n; ++i)
		taken[i].waker.wake(taken[i].waker.data);
	in_space_wake = !outer;
	waking_.fetch_sub(1, std::memory_order_release);
}

} // namespace pmem2::masync
