// The private protocol between libpmem2 and our movers (libminiasync's
// threads mover and libpmem2's default mover) that lets the thread which
// performs a vdm operation also make it durable, and lets a map be deleted
// safely while futures that target it are still pending or unpolled.
//
// A pmem2 future built on a mover that advertises cap_durable_ext carries,
// inside its ordinary struct vdm_operation:
//   * flags bit 63 (f_ext) set, the map's granularity in bits 60..61, the
//     caller's PMEM2_F_MEM_* hints in bits 48..53 and the map guard's
//     generation in bits 16..47 (VDM_F_* keep bits 0..1);
//   * a pointer to the map's guard in bytes 32..39 of operation.data, which
//     no vdm operation member uses (the union is 40 bytes, members <= 32).
// The mover performs the operation with the durable kernels for that
// granularity (or the user's hook followed by a persist), between
// guard_enter() and guard_leave(). pmem2_map_delete() retires the guard and
// waits for operations inside it before unmapping, so an operation that
// starts after its map is gone writes nothing and reports an error.
//
// Two ways in. guard_enter()/guard_leave() count the operation in the
// guard's `inflight`; they may run on different threads (the threads mover
// enters on the worker that claims a job and leaves on the one that
// finishes it). guard_enter_here()/guard_leave_here() are for a thread that
// enters and leaves within one call (the default mover, the persist step):
// they publish the guard in the thread's hazard slot instead, with no
// locked instruction on the way in or out. guard_retire() waits for both.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>

#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#if __has_include(<linux/membarrier.h>) && defined(__NR_membarrier)
#include <linux/membarrier.h>
#define PMEM2_DURABLE_MEMBARRIER 1
#endif

#if defined(__SANITIZE_THREAD__)
#define PMEM2_DURABLE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PMEM2_DURABLE_TSAN 1
#endif
#endif

namespace pmem2::durable {

// Advertised in struct vdm::capabilities by movers that honour f_ext.
inline constexpr unsigned cap_durable_ext = 1u << 31;

inline constexpr std::uint64_t f_ext = std::uint64_t(1) << 63;
inline constexpr int gran_shift = 60;		// 2 bits: enum pmem2_granularity
inline constexpr int hints_shift = 48;		// 6 bits: PMEM2_F_MEM_* hints
inline constexpr int gen_shift = 16;		// 32 bits: guard generation
inline constexpr std::size_t guard_offset = 32;	// in vdm_operation.data

// Lives as long as the process (guards are recycled, never freed), so a
// stale pointer in a dropped future is always safe to read.
struct map_guard {
	std::atomic<std::uint32_t> gen{1};	// odd: live; even: retired
	std::atomic<std::uint32_t> inflight{0};
	std::atomic<std::uint32_t> waiters{0};	// guard_retire calls waiting for inflight == 0
};

inline std::uint64_t encode(unsigned granularity, unsigned hints, std::uint32_t gen) noexcept
{
	return f_ext | (std::uint64_t(granularity & 3) << gran_shift) |
		(std::uint64_t(hints & 0x3f) << hints_shift) |
		(std::uint64_t(gen) << gen_shift);
}
inline bool is_ext(std::uint64_t flags) noexcept { return (flags & f_ext) != 0; }
inline unsigned granularity_of(std::uint64_t flags) noexcept { return unsigned(flags >> gran_shift) & 3; }
inline unsigned hints_of(std::uint64_t flags) noexcept { return unsigned(flags >> hints_shift) & 0x3f; }
inline std::uint32_t gen_of(std::uint64_t flags) noexcept { return std::uint32_t(flags >> gen_shift); }

// The guard pointer stored in an operation's spare union bytes.
inline map_guard *guard_of(const void *operation_data) noexcept
{
	map_guard *g;
	std::memcpy(&g, static_cast<const char *>(operation_data) + guard_offset, sizeof(g));
	return g;
}
inline void set_guard(void *operation_data, map_guard *g) noexcept
{
	std::memcpy(static_cast<char *>(operation_data) + guard_offset, &g, sizeof(g));
}

inline void guard_leave(map_guard *g) noexcept;

// Enter the guard if generation `gen` is still live. seq_cst on both sides
// (here and in retire) so that either the deleter sees our inflight
// increment or we see its generation change; never neither.
inline bool guard_enter(map_guard *g, std::uint32_t gen) noexcept
{
	g->inflight.fetch_add(1, std::memory_order_seq_cst);
	if (g->gen.load(std::memory_order_seq_cst) == gen)
		return true;
	guard_leave(g);	// a retire may be waiting for this increment to go
	return false;
}
// Leaving notifies only when a retire is waiting. seq_cst on the decrement
// and on the read of `waiters` (and on their counterparts in retire): either
// the retire sees inflight reach 0, or this sees the waiter and notifies.
inline void guard_leave(map_guard *g) noexcept
{
	if (g->inflight.fetch_sub(1, std::memory_order_seq_cst) == 1 &&
	    g->waiters.load(std::memory_order_seq_cst) != 0)
		g->inflight.notify_all();
}

// ---------------------------------------------------------------------------
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

struct alignas(64) hazard_slot {
	std::atomic<map_guard *> guard{nullptr};	// the guard its thread is inside
	std::atomic<std::uint32_t> waiting{0};		// retires sleeping on `guard`
	std::atomic<bool> in_use{false};		// owned by a live thread
	hazard_slot *next = nullptr;			// immutable once published
};

namespace detail {

enum : int { order_unknown = 0, order_membarrier = 1, order_fence = 2 };

// Never freed; pushed at the head, next pointers immutable once published.
inline std::atomic<hazard_slot *> slots{nullptr};
// order_membarrier or order_fence once a slot exists; changed afterwards
// only by the test switch below, while no operation is inside a guard.
inline std::atomic<int> order{order_unknown};
inline thread_local hazard_slot *tls_slot = nullptr;
inline thread_local bool tls_slot_gone = false;	// released at thread exit

inline long membarrier(int cmd) noexcept
{
#ifdef PMEM2_DURABLE_MEMBARRIER
	return syscall(__NR_membarrier, cmd, 0u, 0);
#else
	(void)cmd;
	return -1;
#endif
}

// What the kernel allows, probed once: query, register, and one real call
// (a seccomp filter may pass the first two and refuse the third).
[[gnu::cold, gnu::noinline]] inline int probe_order() noexcept
{
#if defined(PMEM2_DURABLE_TSAN) || !defined(PMEM2_DURABLE_MEMBARRIER)
	return order_fence;
#else
	long mask = membarrier(MEMBARRIER_CMD_QUERY);
	if (mask < 0 || !(mask & MEMBARRIER_CMD_PRIVATE_EXPEDITED) ||
	    !(mask & MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED))
		return order_fence;
	if (membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) != 0)
		return order_fence;
	if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0)
		return order_fence;
	return order_membarrier;
#endif
}

inline int kernel_order() noexcept
{
	static const int o = probe_order();
	return o;
}

inline int settle_order() noexcept
{
	int o = order.load(std::memory_order_seq_cst);
	if (o != order_unknown)
		return o;
	int want = kernel_order();
	order.compare_exchange_strong(o, want, std::memory_order_seq_cst);
	return order.load(std::memory_order_seq_cst);
}

// Runs the process-wide barrier. The probe made one successful call, so
// the command fails only if a seccomp filter installed since refuses it.
// Then the fence ordering is used from now on, and this one barrier is
// made the way membarrier's ancestors did: downgrading the protection of a
// page this process has written forces a TLB shootdown, an interrupt and
// so a full barrier on every CPU running one of our threads.
[[gnu::cold, gnu::noinline]] inline void process_barrier() noexcept
{
#ifdef PMEM2_DURABLE_MEMBARRIER
	if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0)
		return;
#endif
	order.store(order_fence, std::memory_order_seq_cst);
	static char *page = static_cast<char *>(mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	if (page != MAP_FAILED) {
		*static_cast<volatile char *>(page) = 1;
		(void)mprotect(page, 4096, PROT_READ);
		(void)mprotect(page, 4096, PROT_READ | PROT_WRITE);
	}
	std::atomic_thread_fence(std::memory_order_seq_cst);
}

inline void cpu_relax() noexcept
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

// Releases the thread's slot when the thread exits.
struct slot_owner {
	hazard_slot *slot = nullptr;
	~slot_owner()
	{
		if (slot) {
			tls_slot = nullptr;
			tls_slot_gone = true;
			slot->in_use.store(false, std::memory_order_release);
		}
	}
};
inline thread_local slot_owner tls_owner;

[[gnu::cold, gnu::noinline]] inline void wake(hazard_slot *s) noexcept
{
	s->guard.notify_all();
}

inline void leave_slot(hazard_slot *s) noexcept
{
	if (order.load(std::memory_order_relaxed) == order_membarrier) {
		s->guard.store(nullptr, std::memory_order_release);
		std::atomic_signal_fence(std::memory_order_seq_cst);
		if (s->waiting.load(std::memory_order_relaxed) != 0) [[unlikely]]
			wake(s);
	} else {
		s->guard.store(nullptr, std::memory_order_seq_cst);
		if (s->waiting.load(std::memory_order_seq_cst) != 0) [[unlikely]]
			wake(s);
	}
}

// A slot for this thread: a free one from the list, else a new one.
// nullptr when the thread is exiting or memory is short.
[[gnu::cold, gnu::noinline]] inline hazard_slot *claim_slot() noexcept
{
	if (tls_slot_gone)
		return nullptr;
	settle_order();	// before the slot is published (see retire)
	hazard_slot *s = slots.load(std::memory_order_acquire);
	for (; s; s = s->next) {
		bool expected = false;
		if (!s->in_use.load(std::memory_order_relaxed) &&
		    s->in_use.compare_exchange_strong(expected, true, std::memory_order_acq_rel))
			break;
	}
	if (s == nullptr) {
		s = new (std::nothrow) hazard_slot;
		if (s == nullptr)
			return nullptr;
		s->in_use.store(true, std::memory_order_relaxed);
		hazard_slot *head = slots.load(std::memory_order_relaxed);
		do
			s->next = head;
		while (!slots.compare_exchange_weak(head, s, std::memory_order_seq_cst,
				std::memory_order_relaxed));
	}
	tls_owner.slot = s;	// registers the release at thread exit
	tls_slot = s;
	return s;
}

} // namespace detail

// The fence ordering, a thread's first entry, a nested entry (a signal
// handler interrupting an operation) and a thread without a slot (exiting,
// or out of memory: the counted way in is used instead).
[[gnu::noinline]] inline bool guard_enter_here_slow(map_guard *g, std::uint32_t gen,
		hazard_slot *&held) noexcept
{
	hazard_slot *s = detail::tls_slot;
	bool first = false;
	if (s == nullptr) {
		s = detail::claim_slot();
		first = true;
	}
	if (s == nullptr || s->guard.load(std::memory_order_relaxed) != nullptr) {
		held = nullptr;
		return guard_enter(g, gen);
	}
	if (!first && detail::order.load(std::memory_order_relaxed) == detail::order_membarrier) {
		s->guard.store(g, std::memory_order_relaxed);
		std::atomic_signal_fence(std::memory_order_seq_cst);
	} else {
		s->guard.store(g, std::memory_order_seq_cst);
	}
	if (g->gen.load(std::memory_order_seq_cst) == gen) {
		held = s;
		return true;
	}
	detail::leave_slot(s);
	held = nullptr;
	return false;
}

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

namespace detail {

// Wait until slot `s` no longer holds `g`: spin a little (most operations
// are short), yield a little, then sleep with `waiting` raised.
[[gnu::cold, gnu::noinline]] inline void wait_slot(hazard_slot *s, map_guard *g, int o) noexcept
{
	for (int i = 0; i < 512; i++) {
		if (s->guard.load(std::memory_order_acquire) != g)
			return;
		cpu_relax();
	}
	for (int i = 0; i < 16; i++) {
		sched_yield();
		if (s->guard.load(std::memory_order_acquire) != g)
			return;
	}
	s->waiting.fetch_add(1, std::memory_order_seq_cst);
	if (o == order_membarrier)
		process_barrier();
	for (;;) {
		map_guard *v = s->guard.load(std::memory_order_seq_cst);
		if (v != g)
			break;
		s->guard.wait(v, std::memory_order_acquire);
	}
	s->waiting.fetch_sub(1, std::memory_order_release);
}

[[gnu::cold, gnu::noinline]] inline void wait_slots(map_guard *g) noexcept
{
	int o = settle_order();
	if (o == order_membarrier)
		process_barrier();
	for (hazard_slot *s = slots.load(std::memory_order_seq_cst); s; s = s->next)
		if (s->guard.load(std::memory_order_seq_cst) == g)
			wait_slot(s, g, o);
}

} // namespace detail

// Test switch: force the fence ordering (as if membarrier were refused),
// or go back to what the kernel allows. Only while no operation is inside
// any guard through a hazard slot.
inline void force_fence_order(bool on) noexcept
{
	detail::order.store(on ? detail::order_fence : detail::kernel_order(),
		std::memory_order_seq_cst);
}
inline bool using_membarrier() noexcept
{
	return detail::settle_order() == detail::order_membarrier;
}

// Retire the current generation and wait for operations inside the guard,
// both those in a hazard slot and those counted in `inflight`.
inline void guard_retire(map_guard *g) noexcept
{
	g->gen.fetch_add(1, std::memory_order_seq_cst);
	if (detail::slots.load(std::memory_order_seq_cst) != nullptr)
		detail::wait_slots(g);
	if (g->inflight.load(std::memory_order_seq_cst) == 0)
		return;
	g->waiters.fetch_add(1, std::memory_order_seq_cst);
	for (;;) {
		std::uint32_t n = g->inflight.load(std::memory_order_seq_cst);
		if (n == 0)
			break;
		g->inflight.wait(n, std::memory_order_acquire);
	}
	g->waiters.fetch_sub(1, std::memory_order_relaxed);
}

} // namespace pmem2::durable
