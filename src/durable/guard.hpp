// Map guards (libpmem2 only): how a durable operation is kept from
// writing into a map that is being deleted, and how pmem2_map_delete waits
// for operations still inside the map.
//
// Two ways in. guard_enter()/guard_leave() count the operation in the
// guard's `inflight`; they may run on different threads (the threads mover
// enters on the worker that claims a job and leaves on the one that
// finishes it, through `services`). guard_enter_here()/guard_leave_here()
// are for a thread that enters and leaves within one call (the default
// mover, the persist step): they publish the guard in the thread's hazard
// slot instead, with no locked instruction on the way in or out.
// guard_retire() waits for both. Every sleep and wake-up here is the
// project's own futex call on a word of the guard or slot, so a waiter and
// its waker never depend on per-library hidden state.
//
// Counted entry: seq_cst on the increment and the generation load (and on
// the bump and inflight load in retire), so either the deleter sees the
// increment or the entering thread sees the new generation. Leaving
// decrements seq_cst and reads `waiters` seq_cst; retire raises `waiters`
// seq_cst before it reads `inflight` and sleeps: either it sees 0 or the
// leaving thread sees the waiter and wakes it.
//
// Hazard slots: the same-thread way in.
//
// Each thread that enters a guard this way owns one slot, taken from a
// process-wide list on its first use. Slots are never freed (a retire may
// be walking the list at any time); a thread's exit marks its slot free and
// the next new thread reuses it.
//
// Entering stores the guard pointer in the slot, then reads the guard's
// generation: equal to the future's, the operation runs; otherwise the slot
// is cleared and the operation is refused. Leaving clears the slot with a
// release store. Retiring bumps the generation, then waits until no slot
// holds the guard. Two orderings make that safe:
//
//  * membarrier (the normal case). The entering thread's store and load are
//    plain (relaxed store, compiler barrier, acquire load), so its CPU may
//    let the load overtake the store. The retire bumps the generation, then
//    calls membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), which runs a full
//    memory barrier on every CPU that is running one of our threads (a
//    thread that is not running has passed one at its context switch)
//    before it returns; then it scans the slots. Every entering thread's
//    operations thus split at one point into those before the barrier,
//    visible to the scan, and those after it, which see the bumped
//    generation. If the barrier falls before the slot store, the
//    generation load after it sees the bump and the thread refuses; if it
//    falls after the slot store, the scan sees the slot. A thread that read
//    the old generation therefore always has its slot seen by the scan,
//    which waits until the slot is cleared; the release store that clears
//    it (after the operation's last store, kernels having fenced their
//    streaming stores) pairs with the scan's load, so the map is unmapped
//    only after the operation is done with it.
//  * fence (membarrier refused by the kernel or a seccomp filter, or a
//    ThreadSanitizer build, which does not model membarrier). The entering
//    store and load are seq_cst, as are the retire's bump and scan loads:
//    in the single total order either the generation load precedes the
//    bump (then the slot store precedes the scan's load, which sees it) or
//    it follows it and sees the new generation.
//
// The retire that must sleep (the operation is long) raises the slot's
// `waiting` count, orders that against the leaving thread exactly as above
// (membarrier, or seq_cst on both sides), then sleeps on the slot; a
// leaving thread notifies only when it sees `waiting` raised, so a leave
// costs one store and one load of its own slot when nobody waits.
//
// A thread's first entry (the one that registers its slot) is always made
// seq_cst, and the slot list head is read seq_cst by the retire: a retire
// that finds no slot registered at all skips the membarrier and the scan,
// and an entering thread whose registration it did not see is ordered
// after its generation bump, so it sees the new generation.

#pragma once

#include <atomic>
#include <cstdint>

#include "durable/protocol.hpp"

namespace pmem2::durable {

[[gnu::visibility("default")]] bool guard_enter(map_guard *g, std::uint32_t gen) noexcept;
[[gnu::visibility("default")]] void guard_leave(map_guard *g) noexcept;

struct alignas(64) hazard_slot {
	std::atomic<map_guard *> guard{nullptr};	// the guard its thread is inside
	std::atomic<std::uint32_t> waiting{0};		// retires sleeping on this slot
	std::atomic<std::uint32_t> cleared{0};		// bumped by every leave seen waiting: the futex word
	std::atomic<bool> in_use{false};		// owned by a live thread
	hazard_slot *next = nullptr;			// immutable once published
};

namespace detail {
enum : int { order_unknown = 0, order_membarrier = 1, order_fence = 2 };
extern std::atomic<int> order;
extern thread_local hazard_slot *tls_slot;
extern std::atomic<hazard_slot *> slots;	// every slot ever made (tests walk it)
int kernel_order() noexcept;			// what the kernel allows, probed once
void leave_slot_slow(hazard_slot *s) noexcept;

inline void leave_slot(hazard_slot *s) noexcept
{
	if (order.load(std::memory_order_relaxed) == order_membarrier) {
		s->guard.store(nullptr, std::memory_order_release);
		std::atomic_signal_fence(std::memory_order_seq_cst);
		if (s->waiting.load(std::memory_order_relaxed) != 0) [[unlikely]]
			leave_slot_slow(s);
	} else {
		s->guard.store(nullptr, std::memory_order_seq_cst);
		if (s->waiting.load(std::memory_order_seq_cst) != 0) [[unlikely]]
			leave_slot_slow(s);
	}
}
} // namespace detail

// The fence ordering, a thread's first entry, a nested entry (a signal
// handler interrupting an operation) and a thread without a slot (exiting,
// or out of memory: the counted way in is used instead).
bool guard_enter_here_slow(map_guard *g, std::uint32_t gen, hazard_slot *&held) noexcept;

// Enter the guard if generation `gen` is still live, for an operation that
// this thread will also leave (guard_leave_here) before it returns. `held`
// tells guard_leave_here how the guard was entered.
inline bool guard_enter_here(map_guard *g, std::uint32_t gen, hazard_slot *&held) noexcept
{
	hazard_slot *s = detail::tls_slot;
	if (s != nullptr && s->guard.load(std::memory_order_relaxed) == nullptr &&
	    detail::order.load(std::memory_order_relaxed) == detail::order_membarrier) [[likely]] {
		s->guard.store(g, std::memory_order_relaxed);
		std::atomic_signal_fence(std::memory_order_seq_cst);
		if (g->gen.load(std::memory_order_acquire) == gen) [[likely]] {
			held = s;
			return true;
		}
		detail::leave_slot(s);
		held = nullptr;
		return false;
	}
	return guard_enter_here_slow(g, gen, held);
}

inline void guard_leave_here(map_guard *g, hazard_slot *held) noexcept
{
	if (held != nullptr) [[likely]]
		detail::leave_slot(held);
	else
		guard_leave(g);
}

// Retire the current generation and wait for operations inside the guard,
// both those in a hazard slot and those counted in `inflight`.
[[gnu::visibility("default")]] void guard_retire(map_guard *g) noexcept;

// Test seams: force the fence ordering (as if membarrier were refused), or
// go back to what the kernel allows (only while no operation is inside any
// guard through a hazard slot); which ordering is in use.
[[gnu::visibility("default")]] void force_fence_order(bool on) noexcept;
[[gnu::visibility("default")]] bool using_membarrier() noexcept;

} // namespace pmem2::durable
