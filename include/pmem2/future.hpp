// Typed futures over miniasync futures: poll them, wait() on them, or
// co_await them in a C++20 coroutine. pmem2::durable_future is a libpmem2 durable
// operation (struct pmem2_future); pmem2::vdm_future a plain mover operation.
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <coroutine>
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

// Suspends a coroutine on a future and resumes it once the future is
// complete. Either way, no waker points into the coroutine frame (the wake
// contract, <libminiasync/wake.h>):
//
// - On an event loop (sync_wait, when_all under it), the loop watches the
//   future: it polls it inside its runtime wait, with the runtime's
//   notifier, and resumes the coroutine on the loop thread.
// - Without a loop (a coroutine type of the caller's own), the waker is a
//   wake slot in callback mode: the wake that finds this awaiter parked
//   polls again on the waking thread and resumes the coroutine there once
//   the future is complete.
template <class Future, bool Throw>
class future_awaiter : watch_node {
public:
	explicit future_awaiter(Future &&f) noexcept : fut_(std::forward<Future>(f))
	{
		run = &future_awaiter::resume_node;
	}
	future_awaiter(const future_awaiter &) = delete;
	future_awaiter &operator=(const future_awaiter &) = delete;
	~future_awaiter() { miniasync_wake_slot_release(slot_); }

	bool await_ready() const noexcept { return fut_.ready(); }

	bool await_suspend(std::coroutine_handle<> h) noexcept
	{
		h_ = h;
		if (event_loop *loop = event_loop::current()) {
			fut = fut_.runnable();
			loop->watch(this);
			return true;
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
	static void resume_node(loop_node *n) noexcept
	{
		static_cast<future_awaiter *>(n)->h_.resume();
	}

	// The slot's callback: this awaiter was parked and a wake came.
	static void on_wake(void *p) noexcept
	{
		auto *self = static_cast<future_awaiter *>(p);
		if (self->drive())
			self->h_.resume();	// the frame may be gone after this
	}

	// Without a loop: polls until complete (true), or until parked on the
	// slot (false; the next wake calls on_wake). Without a slot (no memory
	// for the pool to grow), polls without a notifier.
	bool drive() noexcept
	{
		if (slot_ == nullptr && !no_slot_) {
			slot_ = miniasync_wake_slot_acquire();
			no_slot_ = slot_ == nullptr;
		}
		future_notifier n{};
		if (slot_ != nullptr)
			n.waker = miniasync_wake_slot_waker(slot_);
		for (unsigned pass = 0;; ++pass) {
			if (slot_ != nullptr)
				miniasync_wake_slot_arm(slot_, &future_awaiter::on_wake, this);
			// A promised wake-up stays promised until completion.
			n.notifier_used = used;
			if (fut_.poll(slot_ != nullptr ? &n : nullptr) == FUTURE_STATE_COMPLETE) {
				// Late wakes reach the slot, not this frame.
				miniasync_wake_slot_release(std::exchange(slot_, nullptr));
				return true;
			}
			used = n.notifier_used;
			if (slot_ != nullptr && used == FUTURE_NOTIFIER_WAKER) {
				if (miniasync_wake_slot_park(slot_) != 0)
					return false;
				continue;	// woken while polling: poll again
			}
			if (pass >= 64)
				std::this_thread::yield();
		}
	}

	Future fut_;
	std::coroutine_handle<> h_;
	struct miniasync_wake_slot *slot_ = nullptr;
	bool no_slot_ = false;
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
		// The runtime's wait: it polls for a short timed while before it
		// sleeps, and lets the threads mover run a small durable operation
		// on this thread.
		started_ = true;
		runtime_wait(detail::shared_runtime(), FUTURE_AS_RUNNABLE(&f_));
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
