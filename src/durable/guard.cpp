#include "durable/guard.hpp"

#include <new>

#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#if __has_include(<linux/membarrier.h>) && defined(__NR_membarrier)
#include <linux/membarrier.h>
#define PMEM2_DURABLE_MEMBARRIER 1
#endif

#include "common/futex.hpp"
#include "common/spin.hpp"
#include "os/os.hpp"

#if defined(__SANITIZE_THREAD__)
#define PMEM2_DURABLE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PMEM2_DURABLE_TSAN 1
#endif
#endif

namespace pmem2::durable {

namespace {
// A sleeping retire re-checks this often even without a wake-up; no
// correct run depends on it.
constexpr long long sleep_backstop_ns = 1'000'000'000;
} // namespace

bool guard_enter(map_guard *g, std::uint32_t gen) noexcept
{
	g->inflight.fetch_add(1, std::memory_order_seq_cst);
	if (g->gen.load(std::memory_order_seq_cst) == gen)
		return true;
	guard_leave(g);	// a retire may be waiting for this increment to go
	return false;
}

void guard_leave(map_guard *g) noexcept
{
	if (g->inflight.fetch_sub(1, std::memory_order_seq_cst) == 1 &&
	    g->waiters.load(std::memory_order_seq_cst) != 0)
		futex_wake_all(&g->inflight);
}

namespace detail {

// Never freed; pushed at the head, next pointers immutable once published.
std::atomic<hazard_slot *> slots{nullptr};
// order_membarrier or order_fence once a slot exists; changed afterwards
// only by the test switch, while no operation is inside a guard.
std::atomic<int> order{order_unknown};
thread_local hazard_slot *tls_slot = nullptr;

namespace {

thread_local bool tls_slot_gone = false;	// released at thread exit

long membarrier(int cmd) noexcept
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
int probe_order() noexcept
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

int settle_order() noexcept
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
void process_barrier() noexcept
{
#ifdef PMEM2_DURABLE_MEMBARRIER
	if (membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0)
		return;
#endif
	order.store(order_fence, std::memory_order_seq_cst);
	static const std::size_t page_len = os::page_size();
	static char *page = static_cast<char *>(mmap(nullptr, page_len, PROT_READ | PROT_WRITE,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	if (page != MAP_FAILED) {
		*static_cast<volatile char *>(page) = 1;
		(void)mprotect(page, page_len, PROT_READ);
		(void)mprotect(page, page_len, PROT_READ | PROT_WRITE);
	}
	std::atomic_thread_fence(std::memory_order_seq_cst);
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
thread_local slot_owner tls_owner;

// A slot for this thread: a free one from the list, else a new one.
// nullptr when the thread is exiting or memory is short.
hazard_slot *claim_slot() noexcept
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

// Wait until slot `s` no longer holds `g`: spin a little (most operations
// are short), yield a little, then sleep on the slot's `cleared` word with
// `waiting` raised. A leave that sees `waiting` bumps `cleared` after
// clearing the slot, so a sleep that read `cleared` before that bump is
// woken or never starts.
void wait_slot(hazard_slot *s, map_guard *g, int o) noexcept
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
		std::uint32_t c = s->cleared.load(std::memory_order_seq_cst);
		if (s->guard.load(std::memory_order_seq_cst) != g)
			break;
		futex_wait(&s->cleared, c, sleep_backstop_ns);
	}
	s->waiting.fetch_sub(1, std::memory_order_release);
}

void wait_slots(map_guard *g) noexcept
{
	int o = settle_order();
	if (o == order_membarrier)
		process_barrier();
	for (hazard_slot *s = slots.load(std::memory_order_seq_cst); s; s = s->next)
		if (s->guard.load(std::memory_order_seq_cst) == g)
			wait_slot(s, g, o);
}

} // namespace

int kernel_order() noexcept
{
	static const int o = probe_order();
	return o;
}

void leave_slot_slow(hazard_slot *s) noexcept
{
	s->cleared.fetch_add(1, std::memory_order_seq_cst);
	futex_wake_all(&s->cleared);
}

} // namespace detail

bool guard_enter_here_slow(map_guard *g, std::uint32_t gen, hazard_slot *&held) noexcept
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

void guard_retire(map_guard *g) noexcept
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
		futex_wait(&g->inflight, n, sleep_backstop_ns);
	}
	g->waiters.fetch_sub(1, std::memory_order_relaxed);
}

void force_fence_order(bool on) noexcept
{
	detail::order.store(on ? detail::order_fence : detail::kernel_order(),
		std::memory_order_seq_cst);
}

bool using_membarrier() noexcept
{
	return detail::settle_order() == detail::order_membarrier;
}

} // namespace pmem2::durable
