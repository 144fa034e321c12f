// runtime_wait_multiple: polls on the caller's thread and sleeps on a futex
// while every pending future promised a waker call.
#include <libminiasync/runtime.h>

#include <sched.h>
#include <time.h>

#include <atomic>
#include <cstdint>
#include <new>

#include "common/export.hpp"
#include "common/futex.hpp"
#include "internal.hpp"

namespace pmem2::masync {
namespace {

// Where waits sleep and wakers knock. Static storage, so a waker called
// after its wait returned (movers publish completion before waking) always
// touches live memory. Threads share cells by hash; a wake meant for a
// neighbour only costs an extra polling pass.
struct alignas(64) wait_cell {
	std::atomic<std::uint32_t> seq{0};
	std::atomic<std::uint32_t> sleepers{0};
};
constexpr unsigned n_cells = 64;
wait_cell cells[n_cells];

std::atomic<unsigned> next_cell{0};

wait_cell &my_cell() noexcept
{
	thread_local unsigned idx = next_cell.fetch_add(1, std::memory_order_relaxed) % n_cells;
	return cells[idx];
}

runtime_counters counters;

void wake_cell(void *data) noexcept
{
	auto *c = static_cast<wait_cell *>(data);
	counters.wakes.fetch_add(1, std::memory_order_relaxed);
	c->seq.fetch_add(1, std::memory_order_seq_cst);
	// Pairs with the sleeper's increment of `sleepers` before it re-reads seq.
	if (c->sleepers.load(std::memory_order_seq_cst) != 0)
		futex_wake_all(&c->seq);
}

// Before the first sleep of a wait, poll this long (about one wake-up)
// while every pending future promised a waker; after a wake-up, poll once
// and sleep again.
constexpr long long spin_before_sleep_ns = 10'000;
constexpr unsigned spins_before_yield = 64;
constexpr long long backstop_ns = 100'000'000;	// defence only
constexpr std::size_t stack_order = 64;

long long now_ns() noexcept
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

// Lets the threads mover run unclaimed operations on this waiting thread;
// restores the previous value (waits may nest inside futures).
struct help_scope {
	int saved = caller_may_help;
	~help_scope() { caller_may_help = saved; }
};

// What a future said about itself in its last poll. Kept per future:
// vdm futures, for one, declare their notifier only when they start.
struct future_note {
	future_notifier_type used;
	std::uint64_t *monitor;
};

// Polls until every future is complete. `order` and `notes` have room for
// n entries, or are both null (then: array order, and never sleep).
void wait_all(struct future **futs, std::size_t n, std::size_t *order,
	future_note *notes)
{
	wait_cell &cell = my_cell();
	future_notifier notifier{};
	notifier.waker.data = &cell;
	notifier.waker.wake = wake_cell;
	if (notes != nullptr)
		for (std::size_t i = 0; i < n; ++i)
			notes[i] = {FUTURE_NOTIFIER_NONE, nullptr};
	help_scope help;
	caller_may_help = help_none;	// the first pass starts every future
	long long spin_deadline = 0;	// set when spinning towards the first sleep begins
	bool slept = false;

	for (;;) {
		std::size_t count = n;
		std::size_t n_async = 0;	// order[0..n_async) are the asynchronous ones
		// A round starts: futures that complete asynchronously go first,
		// so their work starts before synchronous ones hold the thread.
		if (order != nullptr) {
			std::size_t k = 0;
			for (std::size_t i = 0; i < n; ++i)
				if (futs[i]->context.state != FUTURE_STATE_COMPLETE &&
				    future_has_property(futs[i], FUTURE_PROPERTY_ASYNC))
					order[k++] = i;
			n_async = k;
			for (std::size_t i = 0; i < n; ++i)
				if (futs[i]->context.state != FUTURE_STATE_COMPLETE &&
				    !future_has_property(futs[i], FUTURE_PROPERTY_ASYNC))
					order[k++] = i;
			if (k == 0)
				return;
			count = k;
		}

		for (unsigned pass = 0;; ++pass) {
			// One future: nothing else to start first.
			caller_may_help = pass != 0 ? help_queued :
				count == 1 ? help_all : help_none;
			// Read before polling: a wake after this point ends the sleep.
			std::uint32_t seq = cell.seq.load(std::memory_order_acquire);
			bool all_waker = notes != nullptr;
			std::uint64_t *monitor = nullptr;
			std::size_t pending = 0;
			// A synchronous future that became asynchronous (a chain
			// whose next entry is): the next pass polls it first.
			bool reorder = false;

			for (std::size_t j = 0; j < count; ++j) {
				std::size_t i = order != nullptr ? order[j] : j;
				struct future *f = futs[i];
				if (f->context.state == FUTURE_STATE_COMPLETE)
					continue;
				future_note note = notes != nullptr ? notes[i] :
					future_note{FUTURE_NOTIFIER_NONE, nullptr};
				notifier.notifier_used = note.used;
				notifier.poller.ptr_to_monitor = note.monitor;
				if (future_poll(f, &notifier) == FUTURE_STATE_COMPLETE)
					continue;
				++pending;
				if (order != nullptr && j >= n_async && !reorder &&
				    future_has_property(f, FUTURE_PROPERTY_ASYNC))
					reorder = true;
				note = {notifier.notifier_used, notifier.poller.ptr_to_monitor};
				if (notes != nullptr)
					notes[i] = note;
				if (note.used == FUTURE_NOTIFIER_WAKER)
					continue;
				all_waker = false;
				if (note.used == FUTURE_NOTIFIER_POLLER && note.monitor != nullptr)
					monitor = note.monitor;
			}
			if (pending == 0)
				return;
			if (reorder)
				break;	// new round, in the new order

			if (!all_waker) {
				if (monitor != nullptr) {
					// Watch the word a POLLER future named before re-polling.
					for (unsigned i = 0; i < 256 &&
					     __atomic_load_n(monitor, __ATOMIC_ACQUIRE) == 0; ++i)
						cpu_relax();
				}
				if (pass < spins_before_yield)
					cpu_relax();
				else
					sched_yield();
				continue;
			}

			if (!slept) {
				// Spin towards the first sleep (the clock read every few
				// passes); after a wake-up this is skipped.
				if (spin_deadline == 0)
					spin_deadline = now_ns() + spin_before_sleep_ns;
				if (pass % 8 != 0 || now_ns() < spin_deadline) {
					cpu_relax();
					continue;
				}
			}

			// Every pending future promised a waker call: sleep until one.
			cell.sleepers.fetch_add(1, std::memory_order_seq_cst);
			if (cell.seq.load(std::memory_order_seq_cst) == seq) {
				counters.sleeps.fetch_add(1, std::memory_order_relaxed);
				futex_wait(&cell.seq, seq, backstop_ns);
				if (cell.seq.load(std::memory_order_relaxed) != seq)
					counters.woken.fetch_add(1, std::memory_order_relaxed);
			}
			cell.sleepers.fetch_sub(1, std::memory_order_relaxed);
			slept = true;
			// Same round: the order stays, completed futures are skipped.
		}
	}
}

} // namespace

runtime_counters &runtime_stats() noexcept { return counters; }

} // namespace pmem2::masync

struct runtime {
	// Waits keep their state on their own stack; nothing shared is needed.
	unsigned char unused;
};

PMEM2_EXPORT struct runtime *runtime_new(void)
{
	return new (std::nothrow) runtime{};
}

PMEM2_EXPORT void runtime_delete(struct runtime *runtime)
{
	delete runtime;
}

PMEM2_EXPORT void runtime_wait_multiple(struct runtime *runtime,
	struct future *futs[], size_t nfuts)
{
	(void)runtime;
	if (nfuts == 0)
		return;
	using pmem2::masync::future_note;
	constexpr std::size_t local_n = pmem2::masync::stack_order;
	std::size_t local_order[local_n];
	future_note local_notes[local_n];
	std::size_t *order = local_order;
	future_note *notes = local_notes;
	if (nfuts > local_n) {
		order = new (std::nothrow) std::size_t[nfuts];
		notes = new (std::nothrow) future_note[nfuts];
	}
	if (order == nullptr || notes == nullptr) {
		// No memory for bookkeeping: poll in array order, never sleep.
		if (order != local_order)
			delete[] order;
		if (notes != local_notes)
			delete[] notes;
		order = nullptr;
		notes = nullptr;
	}
	pmem2::masync::wait_all(futs, nfuts, order, notes);
	if (order != local_order)
		delete[] order;
	if (notes != local_notes)
		delete[] notes;
}

PMEM2_EXPORT void runtime_wait(struct runtime *runtime, struct future *fut)
{
	runtime_wait_multiple(runtime, &fut, 1);
}
