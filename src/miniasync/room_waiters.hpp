// Callers waiting for room in the threads mover: the wakers of futures
// whose op_start found the slot pool or the work queue full, called when
// room frees. Apart from the mover because it is a protocol of its own
// (registration epochs, and a wake that must finish before a withdrawn
// waker can go away) that touches nothing else of the mover.
//
// Missed wake-ups: a caller registers, issues a seq_cst fence and tries
// again; a freer frees room, issues a seq_cst fence and reads the count of
// waiters. Either the retry sees the freed room or the freer sees the
// waiter and calls it.
#pragma once

#include <libminiasync/future.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace pmem2::masync {

class room_waiters {
public:
	enum class outcome {
		started,	// try_start found room
		woken_later,	// no room: the waker is registered, called when room frees
		poll_again,	// no room, and no waker registered: the caller polls
	};
	// op_start's side: try_start() takes room and starts the operation
	// (true) or finds none. `w` is the waker of a caller that sleeps on it,
	// else null. `epoch` keeps the future's registration between its polls
	// (0: none).
	template <class TryStart>
	outcome start(TryStart &&try_start, const future_waker *w, std::uint32_t &epoch) noexcept
	{
		std::uint32_t registered = epoch;
		if (!try_start()) {
			// No room. A caller that sleeps on its waker gets woken when
			// room frees (registered, then tried again: see the top);
			// others keep polling.
			std::uint32_t e = w != nullptr ? add(*w, registered) : 0;
			if (e == 0)
				return outcome::poll_again;
			if (!try_start()) {
				epoch = e;
				return outcome::woken_later;
			}
			registered = e;
		}
		if (registered != 0) {
			// Started: withdraw the registration so the waker is not called
			// after the future completes.
			if (w != nullptr)
				remove(*w, registered);
			epoch = 0;
		}
		return outcome::started;
	}

	// Registers a waker (counted per distinct waker) and returns the list's
	// epoch, or 0 when the list is full. `prev` is the epoch this future
	// registered in before: if still current, it is already counted.
	std::uint32_t add(const future_waker &w, std::uint32_t prev) noexcept;
	// Withdraws one registration made in `epoch`; returns once no call of
	// the waker by a concurrent space_freed is still running.
	void remove(const future_waker &w, std::uint32_t epoch) noexcept;
	// Room was freed (a queue cell or a slot): calls every registered
	// waker once and empties the list.
	void space_freed() noexcept
	{
		// Orders the caller's freeing of room before reading nwaiters (pairs
		// with the fence in add).
		std::atomic_thread_fence(std::memory_order_seq_cst);
		if (nwaiters_.load(std::memory_order_relaxed) != 0)
			wake_all();
	}

	static constexpr std::size_t max_waiters = 64;

private:
	void wake_all() noexcept;

	struct waiter {
		future_waker waker;
		unsigned count;
	};
	alignas(64) std::atomic<std::uint32_t> nwaiters_{0};
	std::atomic<std::uint32_t> waking_{0};	// space_freed calls still calling wakers
	std::mutex mtx_;
	waiter waiters_[max_waiters];
	std::size_t len_ = 0;
	std::uint32_t epoch_ = 1;	// bumped whenever the list is flushed
};

} // namespace pmem2::masync
