// The threads mover's workers (see worker_pool.hpp): creating and joining
// them, and the wait of a worker for its next item.
#include "worker_pool.hpp"

#include <sched.h>

#include <cerrno>

#include "common/spin.hpp"
#include "internal.hpp"

namespace pmem2::masync {

std::atomic<int> fail_thread_create_at{0};

namespace {

// A worker that finds no work spins this long before parking: about two
// futex wake-ups here, so a steady stream of operations finds it awake.
// Longer spins cost more than they save on a loaded two-core machine: the
// scheduler then preempts the spinner while it still holds the spinner
// role, and submitters rely on it.
constexpr long long default_spin_ns = 15'000;
std::atomic<long long> spin_ns{default_spin_ns};
std::atomic<long long> park_backstop_ns{1'000'000'000};

int create_thread(pthread_t *t, void *(*fn)(void *), void *arg) noexcept
{
	int n = fail_thread_create_at.load(std::memory_order_relaxed);
	while (n > 0 && !fail_thread_create_at.compare_exchange_weak(n, n - 1))
		;
	if (n == 1)
		return EAGAIN;
	return pthread_create(t, nullptr, fn, arg);
}

} // namespace

void set_park_backstop(long long ns) noexcept
{
	park_backstop_ns.store(ns, std::memory_order_relaxed);
}

void set_worker_spin(long long ns) noexcept
{
	spin_ns.store(ns < 0 ? default_spin_ns : ns, std::memory_order_relaxed);
}

worker_pool::worker_pool(std::size_t nthreads, std::size_t ring, room_waiters &room)
	: nthreads_(nthreads), room_(&room), work_(ring)
{
	threads_.reserve(nthreads_);
}

bool worker_pool::start(void *(*fn)(void *), void *arg) noexcept
{
	for (std::size_t i = 0; i < nthreads_; ++i) {
		pthread_t t;
		if (create_thread(&t, fn, arg) != 0) {
			stop();
			return false;
		}
		threads_.push_back(t);	// capacity reserved: cannot throw
	}
	return true;
}

void worker_pool::stop() noexcept
{
	stopping_.store(true, std::memory_order_seq_cst);
	work_seq_.fetch_add(1, std::memory_order_seq_cst);
	futex_wake_all(&work_seq_);
	for (pthread_t t : threads_)
		pthread_join(t, nullptr);
	threads_.clear();
}

bool worker_pool::next(std::uint32_t &item) noexcept
{
	for (;;) {
		if (work_.try_pop(item)) {
			after_pop();
			return true;
		}
		if (stopping_.load(std::memory_order_acquire)) {
			// Drain: every started operation finishes before delete returns.
			if (!work_.try_pop(item))
				return false;
			after_pop();
			return true;
		}

		std::uint32_t expected = 0;
		if (spinners_.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) {
			bool got = false;
			long long deadline = now_ns() + spin_ns.load(std::memory_order_relaxed);
			for (unsigned i = 1;; ++i) {
				cpu_relax();
				if (work_.try_pop(item)) {
					got = true;
					break;
				}
				if (stopping_.load(std::memory_order_relaxed))
					break;
				if (i % 16 == 0 && now_ns() >= deadline)
					break;
			}
			spinners_.store(0, std::memory_order_release);
			if (got) {
				after_pop();
				return true;
			}
		}

		std::uint32_t seq = work_seq_.load(std::memory_order_acquire);
		sleepers_.fetch_add(1, std::memory_order_seq_cst);
		// Either this read sees the submitter's count or it sees us counted.
		std::atomic_thread_fence(std::memory_order_seq_cst);
		if (queued_.load(std::memory_order_seq_cst) > 0) {
			sleepers_.fetch_sub(1, std::memory_order_relaxed);
			if (work_.try_pop(item)) {
				after_pop();
				return true;
			}
			sched_yield();	// behind a half-done push: it lands soon
			continue;
		}
		if (!stopping_.load(std::memory_order_seq_cst))
			futex_wait(&work_seq_, seq, park_backstop_ns.load(std::memory_order_relaxed));
		sleepers_.fetch_sub(1, std::memory_order_relaxed);
	}
}

void worker_pool::after_pop() noexcept
{
	room_->space_freed();	// a queue cell is free again
	if (queued_.fetch_sub(1, std::memory_order_seq_cst) > 1)
		wake_workers(1);	// more queued: bring another worker
}

} // namespace pmem2::masync
