// The wake-slot pool and the C API of include/libminiasync/wake.h.
//
// Why the pool never shrinks: a waker may be called at any time after the
// poll that promised it, with no way for the waiter to know when the last
// call has happened. Memory a waker can reach must therefore stay valid for
// the life of the process; a released slot only changes owner. The pool
// grows by chunks, so it never runs out while memory lasts.
#include <libminiasync/wake.h>

#include <sched.h>

#include <atomic>
#include <cstddef>
#include <new>

#include "common/export.hpp"
#include "common/futex.hpp"
#include "internal.hpp"
#include "wake_slot.hpp"

namespace pmem2::masync {
namespace {

constexpr std::size_t chunk_slots = 64;

struct chunk {
	wake_slot slots[chunk_slots];
	chunk *next = nullptr;
};

// A spin lock (taken for a few instructions): no constructor or
// destructor runs, so the pool works during static init and exit.
std::atomic<bool> pool_lock{false};
wake_slot *free_list = nullptr;	// guarded by pool_lock
chunk *chunks = nullptr;	// guarded by pool_lock; keeps every chunk reachable

struct pool_guard {
	pool_guard() noexcept
	{
		while (pool_lock.exchange(true, std::memory_order_acquire))
			sched_yield();
	}
	~pool_guard() { pool_lock.store(false, std::memory_order_release); }
	pool_guard(const pool_guard &) = delete;
	pool_guard &operator=(const pool_guard &) = delete;
};

// This thread's slot. Plain thread-locals (no TLS init call on the wait
// path); the holder, made at the first acquire, hands the slot back when
// the thread exits.
thread_local wake_slot *tls_slot = nullptr;
thread_local bool tls_gone = false;

struct thread_holder {
	~thread_holder()
	{
		release_slot(tls_slot);
		tls_slot = nullptr;
		tls_gone = true;
	}
};

wake_slot *first_thread_slot() noexcept
{
	if (tls_gone)
		return nullptr;	// the thread is exiting: waits poll without sleeping
	static thread_local thread_holder holder;
	(void)holder;
	tls_slot = acquire_slot();
	return tls_slot;
}

} // namespace

wake_slot *acquire_slot() noexcept
{
	{
		pool_guard g;
		if (wake_slot *s = free_list) {
			free_list = s->next_free;
			return s;
		}
	}
	auto *c = new (std::nothrow) chunk;
	if (c == nullptr)
		return nullptr;
	pool_guard g;
	c->next = chunks;
	chunks = c;
	for (std::size_t i = 1; i < chunk_slots; ++i) {
		c->slots[i].next_free = free_list;
		free_list = &c->slots[i];
	}
	return &c->slots[0];
}

void release_slot(wake_slot *s) noexcept
{
	if (s == nullptr)
		return;
	// A callback owner lets go: late wakes find no one parked.
	s->phase.store(phase_idle, std::memory_order_release);
	pool_guard g;
	s->next_free = free_list;
	free_list = s;
}

void wake_slot_wake(void *data) noexcept
{
	auto *s = static_cast<wake_slot *>(data);
	runtime_stats().wakes.fetch_add(1, std::memory_order_relaxed);
	s->seq.fetch_add(1, std::memory_order_seq_cst);
	// Pairs with the sleeper's increment of `sleepers` before it re-reads seq.
	if (s->sleepers.load(std::memory_order_seq_cst) != 0)
		futex_wake_all(&s->seq);
	int p = s->phase.load(std::memory_order_acquire);
	while (p == phase_arming || p == phase_parked) {
		// acq_rel: the owner's fn/arg (written before it parked) are
		// visible here, and what this waker published before waking is
		// visible to the owner's next poll.
		if (s->phase.compare_exchange_weak(p, phase_woken, std::memory_order_acq_rel,
				std::memory_order_acquire)) {
			// Only the wake that unparks the owner calls it; after this
			// call the slot may have a new owner, so it is not touched.
			if (p == phase_parked)
				s->fn(s->arg);
			return;
		}
	}
}

wake_slot *thread_slot() noexcept
{
	wake_slot *s = tls_slot;
	return s != nullptr ? s : first_thread_slot();
}

bool sleep_on(wake_slot &s, std::uint32_t seen, long long timeout_ns) noexcept
{
	bool woken = false;
	s.sleepers.fetch_add(1, std::memory_order_seq_cst);
	if (s.seq.load(std::memory_order_seq_cst) == seen) {
		runtime_stats().sleeps.fetch_add(1, std::memory_order_relaxed);
		futex_wait(&s.seq, seen, timeout_ns);
		woken = s.seq.load(std::memory_order_relaxed) != seen;
		if (woken)
			runtime_stats().woken.fetch_add(1, std::memory_order_relaxed);
	} else {
		woken = true;
	}
	s.sleepers.fetch_sub(1, std::memory_order_relaxed);
	return woken;
}

} // namespace pmem2::masync

using namespace pmem2::masync;

PMEM2_EXPORT struct miniasync_wake_slot *miniasync_wake_slot_acquire(void)
{
	return acquire_slot();
}

PMEM2_EXPORT void miniasync_wake_slot_release(struct miniasync_wake_slot *slot)
{
	release_slot(slot);
}

PMEM2_EXPORT struct future_waker miniasync_wake_slot_waker(struct miniasync_wake_slot *slot)
{
	struct future_waker w;
	w.data = slot;
	w.wake = wake_slot_wake;
	return w;
}

PMEM2_EXPORT void miniasync_wake_slot_arm(struct miniasync_wake_slot *slot,
	void (*fn)(void *arg), void *arg)
{
	slot->fn = fn;
	slot->arg = arg;
	// acq_rel: pairs with the wake that last changed the phase, so what
	// its mover published is visible to the poll that follows.
	slot->phase.exchange(phase_arming, std::memory_order_acq_rel);
}

PMEM2_EXPORT int miniasync_wake_slot_park(struct miniasync_wake_slot *slot)
{
	int expected = phase_arming;
	return slot->phase.compare_exchange_strong(expected, phase_parked,
		std::memory_order_acq_rel, std::memory_order_acquire) ? 1 : 0;
}
