// Wake slots (include/libminiasync/wake.h): the one place waiters sleep
// and wakers knock. A slot serves a blocking waiter (a thread sleeping on
// `seq`) or a callback waiter (fn(arg) for a parked owner).
#pragma once

#include <atomic>
#include <cstdint>

#include <libminiasync/future.h>

struct miniasync_wake_slot {
	// Blocking mode: bumped by every wake; the futex word.
	std::atomic<std::uint32_t> seq{0};
	std::atomic<std::uint32_t> sleepers{0};
	// Callback mode (see phase_* below); fn and arg are written by the
	// owner before it parks and read by the wake that unparks it.
	std::atomic<int> phase{0};
	void (*fn)(void *) = nullptr;
	void *arg = nullptr;
	miniasync_wake_slot *next_free = nullptr;	// guarded by the pool's lock
};

namespace pmem2::masync {

using wake_slot = miniasync_wake_slot;

inline constexpr int phase_idle = 0;	// no callback owner
inline constexpr int phase_arming = 1;	// the owner is polling
inline constexpr int phase_parked = 2;	// the owner waits for fn(arg)
inline constexpr int phase_woken = 3;	// a wake came since the owner armed

wake_slot *acquire_slot() noexcept;
void release_slot(wake_slot *s) noexcept;

// The waker function: data is a wake_slot.
void wake_slot_wake(void *data) noexcept;

// This thread's slot for blocking waits, kept until the thread exits;
// nullptr when none can be had (then waits poll without sleeping).
wake_slot *thread_slot() noexcept;

// Blocking mode: sleeps while s->seq == seen, at most timeout_ns.
// True when a wake ended the sleep.
bool sleep_on(wake_slot &s, std::uint32_t seen, long long timeout_ns) noexcept;

} // namespace pmem2::masync
