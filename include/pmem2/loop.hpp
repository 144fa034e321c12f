// pmem2::event_loop: a single-threaded executor. Wakers (called on mover
// threads) hand work back to the thread that runs the loop, so coroutines
// awaiting pmem2 futures always resume on that thread.
//
// Movers may call a waker after its future already reads as complete
// (they publish completion first, then wake). So what a waker points at
// must outlive every awaiter: a loop's wakers point at a wake cell in
// static storage, which the loop detaches from before it goes away. A wake
// makes the loop poll every future parked on it again; a parked future
// that is still running stays parked (its wake-up is still to come).
//
// Waiting: a wake-up costs a futex round trip (tens of µs on some VMs),
// about a hundred times a small durable copy. So an idle loop whose parked
// items can all be polled waits inside the miniasync runtime
// (runtime_wait on a future that polls them and ends when one completes
// or the loop gets work): the runtime polls for a short timed while before
// it sleeps, and lets the threads mover run a small durable operation that
// no worker has claimed yet on this thread. Every event of the loop (post,
// wake, stop) then also calls the runtime's waker, so a wake-up that comes
// while the runtime sleeps, or is about to, is never lost. Other idle
// loops poll for the same short while, then sleep on a condition variable.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <utility>

#include <libminiasync/future.h>
#include <libminiasync/runtime.h>

namespace pmem2 {
// Versioned: distinct symbols from the library internals and future versions.
inline namespace v1 {

class event_loop;

namespace detail {

// Intrusive work item: no allocation to queue one.
struct loop_node {
	void (*run)(loop_node *self) noexcept = nullptr;
	// Parked items only, optional: one poll of what the item waits for,
	// without resuming anything; true when run() should be called now.
	// Lets the loop watch its parked items while it waits.
	bool (*poll)(loop_node *self) noexcept = nullptr;
	loop_node *next = nullptr;
};

// FIFO of nodes.
struct node_queue {
	loop_node *head = nullptr;
	loop_node *tail = nullptr;

	bool empty() const noexcept { return head == nullptr; }
	void push(loop_node *n) noexcept
	{
		n->next = nullptr;
		if (tail != nullptr)
			tail->next = n;
		else
			head = n;
		tail = n;
	}
	loop_node *pop() noexcept
	{
		loop_node *n = head;
		if (n != nullptr) {
			head = n->next;
			if (head == nullptr)
				tail = nullptr;
			n->next = nullptr;
		}
		return n;
	}
};

inline thread_local event_loop *current_loop = nullptr;

// Where a loop's wakers knock; static storage, so late wakers are harmless.
struct wake_cell {
	std::mutex m;
	event_loop *loop = nullptr;	// guarded by m; nullptr once the loop is gone
	std::atomic<bool> taken{false};
};

inline constexpr std::size_t n_wake_cells = 256;
inline wake_cell wake_cells[n_wake_cells];

inline void wake_cell_wake(void *p) noexcept;

// This thread's miniasync runtime (nullptr when it cannot be made).
inline struct runtime *thread_runtime() noexcept
{
	struct holder {
		struct runtime *rt = runtime_new();
		~holder()
		{
			// Futures destroyed later in this thread's exit wait without it.
			if (rt != nullptr)
				runtime_delete(std::exchange(rt, nullptr));
		}
	};
	thread_local holder h;
	return h.rt;
}

// A miniasync future made of a callback: poll(arg, notifier) is its task.
struct callback_future {
	struct future base;
	future_state (*fn)(void *arg, future_notifier *n) noexcept;
	void *arg;

	callback_future(future_state (*f)(void *, future_notifier *) noexcept, void *a) noexcept
		: base{}, fn(f), arg(a)
	{
		base.task = &callback_future::task;
		base.has_property = &callback_future::no_property;
		base.context.state = FUTURE_STATE_IDLE;
	}
	callback_future(const callback_future &) = delete;
	callback_future &operator=(const callback_future &) = delete;

	static future_state task(future_context *ctx, future_notifier *n) noexcept
	{
		auto *f = reinterpret_cast<struct future *>(
			reinterpret_cast<char *>(ctx) - offsetof(struct future, context));
		auto *self = reinterpret_cast<callback_future *>(f);	// base is the first member
		return self->fn(self->arg, n);
	}
	static int no_property(void *, future_property) noexcept { return 0; }
};

// Runs fn(arg) once as the only future a runtime_wait waits for: movers
// may then run a small operation that fn starts on this thread, at once,
// instead of queueing it for a worker. False when there is no runtime
// (fn did not run).
template <class Fn>
bool poll_as_lone_waiter(Fn &fn) noexcept
{
	struct runtime *rt = thread_runtime();
	if (rt == nullptr)
		return false;
	callback_future cf([](void *a, future_notifier *) noexcept {
		(*static_cast<Fn *>(a))();
		return FUTURE_STATE_COMPLETE;
	}, &fn);
	runtime_wait(rt, &cf.base);
	return true;
}

} // namespace detail

class event_loop {
public:
	event_loop() noexcept
	{
		for (detail::wake_cell &c : detail::wake_cells) {
			if (!c.taken.exchange(true, std::memory_order_acq_rel)) {
				std::lock_guard lk(c.m);
				c.loop = this;
				cell_ = &c;
				break;
			}
		}
	}
	~event_loop()
	{
		if (cell_ != nullptr) {
			{
				std::lock_guard lk(cell_->m);
				cell_->loop = nullptr;
			}
			cell_->taken.store(false, std::memory_order_release);
		}
	}
	event_loop(const event_loop &) = delete;
	event_loop &operator=(const event_loop &) = delete;

	// The loop running on this thread, or nullptr.
	static event_loop *current() noexcept { return detail::current_loop; }

	// Queues `n` to run on the loop thread. Any thread; never blocks long.
	void post(detail::loop_node *n) noexcept
	{
		std::lock_guard lk(mtx_);
		ready_.push(n);
		signal_locked();
	}

	// The waker for futures polled on this loop's thread, or nullptr when
	// every wake cell is in use (awaiters then bring their own).
	detail::wake_cell *cell() const noexcept { return cell_; }

	// Loop thread only: poll `n` again after the next wake-up of this loop.
	void park(detail::loop_node *n) noexcept { parked_.push(n); }

	// Loop thread only: run `n` again soon, for futures that promised no
	// wake-up (movers without a waker).
	void repoll_later(detail::loop_node *n) noexcept { repoll_.push(n); }

	// Loop thread only: true when nothing but the caller waits on this
	// loop (no parked, re-polled or pending item, no task being started
	// beside it). A small operation the caller starts may then run on this
	// thread at once, as runtime_wait runs the lone future it waits for.
	bool alone() const noexcept
	{
		return parked_.empty() && repoll_.empty() && batch_.empty() && starting_ == 0;
	}

	// Loop thread only: while one lives, tasks are being started side by
	// side (when_all), so none of them is alone().
	class starting_scope {
	public:
		explicit starting_scope(event_loop *loop) noexcept : loop_(loop)
		{
			if (loop_ != nullptr)
				++loop_->starting_;
		}
		~starting_scope()
		{
			if (loop_ != nullptr)
				--loop_->starting_;
		}
		starting_scope(const starting_scope &) = delete;
		starting_scope &operator=(const starting_scope &) = delete;

	private:
		event_loop *loop_;
	};

	// Makes run() return once the current item is done. Any thread.
	void stop() noexcept
	{
		std::lock_guard lk(mtx_);
		stopped_ = true;
		signal_locked();
	}

	// Runs posted items until stop(); waits while there is nothing to do.
	void run() noexcept
	{
		scope s(this);
		for (;;) {
			detail::loop_node *n = nullptr;
			bool woken = std::exchange(parked_due_, false);
			bool idle = false;
			std::uint64_t seen = 0;
			{
				std::unique_lock lk(mtx_);
				auto has_work = [&] { return !ready_.empty() || woken_ || stopped_; };
				if (!has_work() && !woken) {
					if (!spun_) {
						// Wait actively first (see the top of the file).
						idle = true;
						seen = events_.load(std::memory_order_relaxed);
					} else if (repoll_.empty()) {
						cv_.wait(lk, has_work);
					} else {
						// Nothing will wake us for those: look again shortly.
						cv_.wait_for(lk, repoll_interval, has_work);
					}
				}
				if (!idle) {
					if (ready_.empty() && stopped_) {
						stopped_ = false;
						spun_ = false;
						return;
					}
					n = ready_.pop();
					woken = std::exchange(woken_, false) || woken;
				}
			}
			if (idle) {
				wait_actively(seen);
				continue;
			}
			// Something happened: the next idle spell polls again first.
			spun_ = false;
			if (n != nullptr)
				n->run(n);
			if (woken)
				run_all(parked_);
			if (n == nullptr && !woken)
				run_all(repoll_);
		}
	}

	// Makes `loop` the current loop of this thread for the scope's lifetime.
	class scope {
	public:
		explicit scope(event_loop *loop) noexcept : prev_(detail::current_loop)
		{
			detail::current_loop = loop;
		}
		~scope() { detail::current_loop = prev_; }
		scope(const scope &) = delete;
		scope &operator=(const scope &) = delete;

	private:
		event_loop *prev_;
	};

	static constexpr std::chrono::microseconds repoll_interval{50};
	// How long an idle loop polls before it sleeps (about one wake-up).
	static constexpr std::chrono::microseconds spin_before_sleep{15};

private:
	friend void detail::wake_cell_wake(void *p) noexcept;

	// A waker fired: poll the parked futures again. Any thread.
	void wake() noexcept
	{
		std::lock_guard lk(mtx_);
		woken_ = true;
		signal_locked();
	}

	// Under mtx_: wakes whoever waits for this loop's events.
	void signal_locked() noexcept
	{
		events_.fetch_add(1, std::memory_order_release);
		// Notify under the lock: the loop (and this object) may be gone
		// as soon as the lock is released.
		cv_.notify_one();
		// The runtime's waker points at static storage: harmless if the
		// runtime wait already ended.
		if (ext_waker_.wake != nullptr)
			ext_waker_.wake(ext_waker_.data);
	}

	// Loop thread, nothing to run: polls the parked items (with the
	// runtime's help when it can) until one of them can go on, an event
	// arrives, or the active wait is over. `seen`: events_ when the loop
	// found nothing to do.
	void wait_actively(std::uint64_t seen) noexcept
	{
		spun_ = true;
		if (cell_ != nullptr && repoll_.empty() && !parked_.empty() && all_pollable()) {
			if (struct runtime *rt = detail::thread_runtime()) {
				wait_in_runtime(rt, seen);
				return;
			}
		}
		const auto until = std::chrono::steady_clock::now() + spin_before_sleep;
		unsigned pass = 0;
		do {
			if (events_.load(std::memory_order_acquire) != seen)
				return;
			if (poll_parked()) {
				parked_due_ = true;
				return;
			}
			cpu_relax();
		} while (++pass % 8 != 0 || std::chrono::steady_clock::now() < until);
	}

	// runtime_wait over one future: it polls the parked items and completes
	// when one can go on or the loop has an event. Every parked item is a
	// future that promised a wake-up, and every loop event calls the
	// runtime's waker, so the runtime may sleep when it sees fit.
	void wait_in_runtime(struct runtime *rt, std::uint64_t seen) noexcept
	{
		struct state {
			event_loop *loop;
			std::uint64_t seen;
		} st{this, seen};
		detail::callback_future cf([](void *a, future_notifier *n) noexcept {
			auto *s = static_cast<state *>(a);
			event_loop *l = s->loop;
			if (n == nullptr)
				return FUTURE_STATE_COMPLETE;	// no notifier: do not hold the thread
			if (l->ext_waker_.wake != n->waker.wake || l->ext_waker_.data != n->waker.data) {
				std::lock_guard lk(l->mtx_);
				l->ext_waker_ = n->waker;
			}
			// After the waker is in place: an event from here on calls it.
			if (l->events_.load(std::memory_order_acquire) != s->seen)
				return FUTURE_STATE_COMPLETE;
			if (l->poll_parked()) {
				l->parked_due_ = true;
				return FUTURE_STATE_COMPLETE;
			}
			n->notifier_used = FUTURE_NOTIFIER_WAKER;
			return FUTURE_STATE_RUNNING;
		}, &st);
		runtime_wait(rt, &cf.base);
		std::lock_guard lk(mtx_);
		ext_waker_ = {};
	}

	bool all_pollable() const noexcept
	{
		for (detail::loop_node *p = parked_.head; p != nullptr; p = p->next)
			if (p->poll == nullptr)
				return false;
		return true;
	}

	// One poll of every parked item that can be polled; true when one of
	// them should run now.
	bool poll_parked() noexcept
	{
		for (detail::loop_node *p = parked_.head; p != nullptr; p = p->next)
			if (p->poll != nullptr && p->poll(p))
				return true;
		return false;
	}

	static void cpu_relax() noexcept
	{
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
	}

	void run_all(detail::node_queue &q) noexcept
	{
		// Kept in a member so alone() sees the items still to run.
		batch_ = std::exchange(q, {});
		while (detail::loop_node *r = batch_.pop())
			r->run(r);
	}

	std::mutex mtx_;
	std::condition_variable cv_;
	detail::node_queue ready_;	// guarded by mtx_
	bool stopped_ = false;		// guarded by mtx_
	bool woken_ = false;		// guarded by mtx_
	future_waker ext_waker_{};	// guarded by mtx_ (read unlocked by the loop thread)
	std::atomic<std::uint64_t> events_{0};	// posts, wakes and stops (written under mtx_)
	detail::node_queue parked_;	// loop thread only
	detail::node_queue repoll_;	// loop thread only
	detail::node_queue batch_;	// loop thread only: the items run_all still has to run
	unsigned starting_ = 0;		// loop thread only
	bool spun_ = false;		// loop thread only: this idle spell already waited actively
	bool parked_due_ = false;	// loop thread only: a parked item can go on
	detail::wake_cell *cell_ = nullptr;
};

namespace detail {

// The waker function of loop-polled futures.
inline void wake_cell_wake(void *p) noexcept
{
	auto *c = static_cast<wake_cell *>(p);
	std::lock_guard lk(c->m);	// the loop detaches under this lock
	if (c->loop != nullptr)
		c->loop->wake();
}

} // namespace detail

} // namespace v1
} // namespace pmem2
