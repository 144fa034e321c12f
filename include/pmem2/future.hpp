// Typed futures over miniasync futures: poll them, wait() on them, or
// co_await them in a C++20 coroutine. pmem2::durable_future is a libpmem2 durable
// operation (struct pmem2_future); pmem2::vdm_future a plain mover operation.
#pragma once

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <coroutine>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>

#include <libminiasync/future.h>
#include <libminiasync/runtime.h>
#include <libminiasync/vdm.h>
#include <libpmem2/async.h>

#include "error.hpp"
#include "loop.hpp"

namespace pmem2 {
// Versioned: distinct symbols from the library internals and future versions.
inline namespace v1 {

// How a C future type reports its outcome.
struct pmem2_future_traits {
	using c_future = struct pmem2_future;
	using value_type = void *;
	static constexpr const char *name = "pmem2 future";
	static int code(const c_future &f) noexcept { return f.output.result; }
	static value_type value(const c_future &f) noexcept { return f.output.dest; }
};

struct vdm_future_traits {
	using c_future = struct vdm_operation_future;
	using value_type = void *;
	static constexpr const char *name = "vdm future";
	static int code(const c_future &f) noexcept
	{
		switch (f.output.result) {
		case VDM_SUCCESS: return 0;
		case VDM_ERROR_OUT_OF_MEMORY: return -ENOMEM;
		default: return -EIO;
		}
	}
	// dest for memcpy/memmove, str for memset (same union slot); nullptr for flush.
	static value_type value(const c_future &f) noexcept
	{
		return f.output.type == VDM_OPERATION_FLUSH ? nullptr : f.output.output.memcpy.dest;
	}
};

template <class Traits>
class basic_future;

namespace detail {

// How long an awaiter without an event loop waits, after its future reads
// as complete, for a wake-up the mover promised but has not delivered yet
// (movers publish completion first, then wake).
inline constexpr std::chrono::milliseconds stray_wake_grace{100};

// Where blocked wait() calls sleep; static storage, so a late waker call
// always touches live memory. Threads share cells by hash: a wake meant
// for another thread costs one extra poll.
struct sleep_cell {
	alignas(64) std::atomic<std::uint32_t> seq{0};
};
inline constexpr std::size_t n_sleep_cells = 64;
inline sleep_cell sleep_cells[n_sleep_cells];

inline sleep_cell &my_sleep_cell() noexcept
{
	static std::atomic<std::size_t> next{0};
	thread_local std::size_t idx = next.fetch_add(1, std::memory_order_relaxed) % n_sleep_cells;
	return sleep_cells[idx];
}

inline void sleep_cell_wake(void *p) noexcept
{
	auto *c = static_cast<sleep_cell *>(p);
	c->seq.fetch_add(1, std::memory_order_release);
	c->seq.notify_all();
}

// Blocks the calling thread until `poll` reports completion, sleeping
// while the future has promised a wake-up (wait() when this thread has no
// miniasync runtime).
template <class Poll>
void block_until_complete(Poll &&poll) noexcept
{
	sleep_cell &cell = my_sleep_cell();
	future_notifier n{};
	n.waker.data = &cell;
	n.waker.wake = &sleep_cell_wake;
	// A wake-up costs a futex round trip (tens of µs on some VMs): poll
	// for a short, timed while before the first sleep.
	const auto spin_until = std::chrono::steady_clock::now() + std::chrono::microseconds(20);
	// Movers declare the notifier when an operation starts, not on every
	// poll: a promised wake-up stays promised until completion.
	bool promised = false;
	for (;;) {
		// Read before polling: a wake after this point ends the sleep.
		std::uint32_t seq = cell.seq.load(std::memory_order_acquire);
		n.notifier_used = FUTURE_NOTIFIER_NONE;
		if (poll(&n) == FUTURE_STATE_COMPLETE)
			return;
		if (n.notifier_used == FUTURE_NOTIFIER_WAKER)
			promised = true;
		if (promised && std::chrono::steady_clock::now() < spin_until)
			continue;
		if (promised)
			cell.seq.wait(seq, std::memory_order_acquire);
		else
			std::this_thread::yield();
	}
}

// Suspends a coroutine on a future and resumes it when the future is
// complete; the notifier lives here, in the coroutine frame.
//
// On an event loop (sync_wait, when_all under it) the waker is the loop's
// static wake cell: a wake re-polls the parked futures on the loop thread,
// which resumes those that completed. Without a loop (a coroutine type of
// the caller's own), the waker points at this awaiter and resumes the
// coroutine on the thread that called it.
template <class Future, bool Throw>
class future_awaiter : loop_node {
public:
	explicit future_awaiter(Future &&f) noexcept : fut_(std::forward<Future>(f))
	{
		run = &future_awaiter::run_node;
	}
	future_awaiter(const future_awaiter &) = delete;
	future_awaiter &operator=(const future_awaiter &) = delete;

	bool await_ready() const noexcept { return fut_.ready(); }

	bool await_suspend(std::coroutine_handle<> h) noexcept
	{
		h_ = h;
		loop_ = event_loop::current();
		wake_cell *cell = loop_ != nullptr ? loop_->cell() : nullptr;
		if (cell != nullptr) {
			n_.waker.data = cell;
			n_.waker.wake = &wake_cell_wake;
		} else {
			n_.waker.data = this;
			n_.waker.wake = &future_awaiter::on_wake;
		}
		on_cell_ = cell != nullptr;
		if (on_cell_) {
			poll = &future_awaiter::poll_node;
			if (loop_->alone()) {
				// Nothing else waits on this loop: the mover may run a
				// small operation on this thread at start.
				bool done = false;
				auto once = [this, &done]() noexcept { done = poll_once(); };
				if (detail::poll_as_lone_waiter(once)) {
					if (done)
						return false;
					wait_on_loop();
					return true;
				}
			}
		}
		return !drive();
	}

	auto await_resume()
	{
		if constexpr (Throw)
			return fut_.get();
		else
			return fut_.try_get();
	}

private:
	enum : int { idle, arming, parked, woken };

	// Waker without a loop cell.
	static void on_wake(void *p) noexcept
	{
		auto *self = static_cast<future_awaiter *>(p);
		event_loop *loop = self->loop_;
		// After this exchange `self` may be gone unless it was parked.
		if (self->phase_.exchange(woken, std::memory_order_acq_rel) != parked)
			return;
		if (loop != nullptr)
			loop->post(self);
		else
			run_node(self);
	}

	static void run_node(loop_node *n) noexcept
	{
		auto *self = static_cast<future_awaiter *>(n);
		// Posted by on_wake: the wake-up it waited for arrived. (On a
		// loop's cell a wake may be meant for another future: the promise
		// holds until this one completes.)
		if (!self->on_cell_)
			self->promised_ = false;
		if (self->drive())
			self->h_.resume();
	}

	// loop_node::poll of a parked awaiter: true when it should run (its
	// future completed, or no longer promises a wake-up).
	static bool poll_node(loop_node *n) noexcept
	{
		auto *self = static_cast<future_awaiter *>(n);
		return self->poll_once() || !self->promised_;
	}

	// On a loop's cell: one poll; true when complete.
	bool poll_once() noexcept
	{
		n_.notifier_used = FUTURE_NOTIFIER_NONE;
		bool done = fut_.poll(&n_) == FUTURE_STATE_COMPLETE;
		// Movers declare the notifier when an operation starts, not on
		// every poll: a promised wake-up stays promised until completion.
		if (n_.notifier_used == FUTURE_NOTIFIER_WAKER)
			promised_ = true;
		return done;
	}

	// On a loop's cell, not complete: wait for the wake-up, or poll again
	// soon when none was promised.
	void wait_on_loop() noexcept
	{
		if (promised_)
			loop_->park(this);
		else
			loop_->repoll_later(this);
	}

	// Polls until complete (true) or until a wake-up or a re-poll is
	// arranged (false; the coroutine stays suspended).
	bool drive() noexcept
	{
		if (on_cell_) {
			if (poll_once())
				return true;
			// A wake that already happened has set the loop's flag: the
			// loop polls the parked futures once this item returns.
			wait_on_loop();
			return false;
		}
		for (;;) {
			// acq_rel: a wake that raced with us published its progress first.
			phase_.exchange(arming, std::memory_order_acq_rel);
			n_.notifier_used = FUTURE_NOTIFIER_NONE;
			future_state st = fut_.poll(&n_);
			bool waker = n_.notifier_used == FUTURE_NOTIFIER_WAKER;
			if (waker)
				promised_ = true;
			if (st == FUTURE_STATE_COMPLETE) {
				if (promised_)
					await_stray_wake();
				return true;
			}
			if (waker) {
				int expected = arming;
				if (phase_.compare_exchange_strong(expected, parked,
						std::memory_order_acq_rel, std::memory_order_acquire))
					return false;
				promised_ = false;	// woken while polling: poll again
				continue;
			}
			if (loop_ != nullptr) {
				loop_->repoll_later(this);
				return false;
			}
			std::this_thread::yield();
		}
	}

	// The waker points at this object: do not let it go while a promised
	// wake-up may still be on its way.
	void await_stray_wake() noexcept
	{
		auto until = std::chrono::steady_clock::now() + stray_wake_grace;
		while (phase_.load(std::memory_order_acquire) != woken &&
		       std::chrono::steady_clock::now() < until)
			std::this_thread::yield();
	}

	Future fut_;
	future_notifier n_{};
	std::atomic<int> phase_{idle};
	bool promised_ = false;
	bool on_cell_ = false;
	std::coroutine_handle<> h_;
	event_loop *loop_ = nullptr;
};

} // namespace detail

// A move-only owner of one C future. Dropping a future that was never
// polled cancels nothing (the operation never starts); dropping one that is
// in flight waits for it to finish.
template <class Traits>
class [[nodiscard]] basic_future {
public:
	using c_future = typename Traits::c_future;
	using value_type = typename Traits::value_type;

	basic_future() noexcept : valid_(false) { FUTURE_INIT_COMPLETE(&f_); }
	explicit basic_future(const c_future &f) noexcept : f_(f) {}
	basic_future(basic_future &&o) noexcept
		: f_(o.f_), valid_(std::exchange(o.valid_, false)),
		  started_(std::exchange(o.started_, false)) {}
	basic_future &operator=(basic_future &&o) noexcept
	{
		if (this != &o) {
			finish_quietly();
			f_ = o.f_;
			valid_ = std::exchange(o.valid_, false);
			started_ = std::exchange(o.started_, false);
		}
		return *this;
	}
	basic_future(const basic_future &) = delete;
	basic_future &operator=(const basic_future &) = delete;
	~basic_future() { finish_quietly(); }

	// False for a default-constructed or moved-from future.
	bool valid() const noexcept { return valid_; }
	bool ready() const noexcept { return !valid_ || FUTURE_STATE(&f_) == FUTURE_STATE_COMPLETE; }

	// One step; `n` as in future_poll (nullptr: no wake-up wanted).
	future_state poll(future_notifier *n = nullptr) noexcept
	{
		if (!valid_)
			return FUTURE_STATE_COMPLETE;
		started_ = true;
		return future_poll(FUTURE_AS_RUNNABLE(&f_), n);
	}

	// Blocks until complete; the outcome or an error.
	result<value_type> try_wait() noexcept
	{
		complete();
		return try_get();
	}
	value_type wait() { return try_wait().value(); }

	// The outcome of a completed future.
	result<value_type> try_get() const noexcept
	{
		if (!valid_)
			return detail::make_error(PMEM2_E_UNKNOWN, Traits::name, "no operation (empty future)");
		int c = Traits::code(f_);
		if (c != 0)
			return detail::make_error(c, Traits::name);
		return Traits::value(f_);
	}
	value_type get() const { return try_get().value(); }
	// 0, or the PMEM2_E_* / -errno code of a completed future.
	int code() const noexcept { return valid_ ? Traits::code(f_) : PMEM2_E_UNKNOWN; }

	// The C future, e.g. for runtime_wait() or a C API.
	c_future &native() noexcept { return f_; }
	struct future *runnable() noexcept
	{
		started_ = true;
		return FUTURE_AS_RUNNABLE(&f_);
	}

	// co_await: the value, or throws pmem2::error.
	auto operator co_await() & noexcept { return detail::future_awaiter<basic_future &, true>(*this); }
	auto operator co_await() && noexcept
	{
		return detail::future_awaiter<basic_future, true>(std::move(*this));
	}
	// co_await f.no_throw(): a result<value_type> instead of an exception.
	auto no_throw() & noexcept { return detail::future_awaiter<basic_future &, false>(*this); }
	auto no_throw() && noexcept
	{
		return detail::future_awaiter<basic_future, false>(std::move(*this));
	}

private:
	void complete() noexcept
	{
		if (ready())
			return;
		// The miniasync runtime, as runtime_wait(f.runnable()) would: it
		// polls for a short timed while before it sleeps, and lets the
		// threads mover run a small durable operation on this thread.
		if (struct runtime *rt = detail::thread_runtime()) {
			started_ = true;
			runtime_wait(rt, FUTURE_AS_RUNNABLE(&f_));
			return;
		}
		detail::block_until_complete([this](future_notifier *n) { return poll(n); });
	}
	void finish_quietly() noexcept
	{
		if (valid_ && started_)
			complete();
	}

	c_future f_;
	bool valid_ = true;
	bool started_ = false;
};

// A libpmem2 asynchronous memcpy/memmove/memset: complete once the data is durable.
using durable_future = basic_future<pmem2_future_traits>;
// A data mover operation (no durability implied).
using vdm_future = basic_future<vdm_future_traits>;

} // namespace v1
} // namespace pmem2
