// runtime_wait_multiple: polls on the caller's thread and sleeps on the
// thread's wake slot while every pending future promised a waker call (the
// wake contract, include/libminiasync/wake.h).
#include <libminiasync/runtime.h>

#include <sched.h>

#include <atomic>
#include <cstdint>
#include <new>

#include "common/export.hpp"
#include "common/spin.hpp"
#include "internal.hpp"
#include "wake_slot.hpp"

namespace pmem2::masync {
namespace {

// Before the first sleep of a wait, poll this long (about one wake-up)
// while every pending future promised a waker; after a wake-up, poll once
// and sleep again.
constexpr long long spin_before_sleep_ns = 10'000;
constexpr unsigned spins_before_yield = 64;
constexpr long long backstop_ns = 100'000'000;	// defence only
constexpr std::size_t stack_order = 64;

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

void ignore_wake(void *) noexcept {}

// Polls until every future is complete. `order` and `notes` have room for
// n entries, or are both null (then: array order, and never sleep).
void wait_all(struct future **futs, std::size_t n, std::size_t *order,
	future_note *notes)
{
	wake_slot *slot = thread_slot();
	future_notifier notifier{};
	notifier.waker.data = slot;
	notifier.waker.wake = slot != nullptr ? wake_slot_wake : ignore_wake;
	if (slot == nullptr)
		notes = nullptr;	// nothing to sleep on: poll, never sleep
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
		if (order != nullptr && n == 1) {
			// One future: no order to choose, no property to ask.
			if (futs[0]->context.state == FUTURE_STATE_COMPLETE)
				return;
			order[0] = 0;
			n_async = 1;
			count = 1;
		} else if (order != nullptr) {
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
			std::uint32_t seq = slot != nullptr ?
				slot->seq.load(std::memory_order_acquire) : 0;
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
			sleep_on(*slot, seq, backstop_ns);
			slept = true;
			// Same round: the order stays, completed futures are skipped.
		}
	}
}

runtime_counters counters;

} // namespace

runtime_counters &runtime_stats() noexcept { return counters; }

} // namespace pmem2::masync

// Waits keep their state on their own stack and sleep on their thread's
// wake slot, so a runtime holds nothing: every runtime_new returns the one
// runtime, which never fails and which runtime_delete leaves alone.
struct runtime {
	unsigned char unused;
};

namespace {
struct runtime the_runtime;
}

PMEM2_EXPORT struct runtime *runtime_new(void)
{
	return &the_runtime;
}

PMEM2_EXPORT void runtime_delete(struct runtime *runtime)
{
	(void)runtime;
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
