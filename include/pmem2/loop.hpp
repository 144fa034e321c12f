// pmem2::event_loop: a single-threaded executor. Coroutines that await
// pmem2 futures on a loop always resume on the loop's thread.
//
// The loop waits as the miniasync runtime waits, by calling it: when it has
// nothing to run, it hands the futures its coroutines await to
// runtime_wait_multiple (one runtime future each, ending the wait as soon as
// one of them completes or the loop gets an event). So the runtime's rules
// hold unchanged: its first pass starts every future, a lone small durable
// operation may run on this thread, and the thread polls for a short timed
// while, then sleeps on its wake slot while every future promised a wake-up
// (the wake contract, <libminiasync/wake.h>). Futures are polled only inside
// that wait, with the runtime's notifier: no waker ever points into a
// coroutine frame or at the loop. Posts and stops call the runtime's waker,
// so they end the wait.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <utility>

#include <libminiasync/future.h>
#include <libminiasync/runtime.h>
#include <libminiasync/wake.h>

namespace pmem2 {
// Versioned: distinct symbols from the library internals and future versions.
inline namespace v1 {

class event_loop;

namespace detail {

// Intrusive work item: no allocation to queue one.
struct loop_node {
	void (*run)(loop_node *self) noexcept = nullptr;
	loop_node *next = nullptr;
};

// A future a coroutine on the loop awaits: the loop polls it while idle
// and runs the node once it completes.
struct watch_node : loop_node {
	struct future *fut = nullptr;
	bool done = false;
	// What the future said of its notifier in its last poll: movers
	// declare it when an operation starts, not on every poll.
	future_notifier_type used = FUTURE_NOTIFIER_NONE;
	std::uint64_t *monitor = nullptr;
	void *promised_to = nullptr;	// the waker data `used` was declared with
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

// The runtime the C++ API waits with (runtime_new never fails here).
inline struct runtime *shared_runtime() noexcept
{
	static struct runtime *const rt = runtime_new();
	return rt;
}

// A miniasync future made of callbacks: poll(arg, notifier) is its task,
// property(arg, p) its has_property.
struct callback_future {
	struct future base;
	future_state (*fn)(void *arg, future_notifier *n) noexcept;
	int (*prop)(void *arg, future_property p) noexcept;
	void *arg;

	// Uninitialised until init(): a wait keeps an array of them.
	callback_future() noexcept = default;
	void init(future_state (*f)(void *, future_notifier *) noexcept,
		int (*p)(void *, future_property) noexcept, void *a) noexcept
	{
		fn = f;
		prop = p;
		arg = a;
		base = {};
		base.task = &callback_future::task;
		base.has_property = &callback_future::property;
		base.context.state = FUTURE_STATE_IDLE;
	}
	callback_future(const callback_future &) = delete;
	callback_future &operator=(const callback_future &) = delete;

	static callback_future *of(struct future *f) noexcept
	{
		return reinterpret_cast<callback_future *>(f);	// base is the first member
	}
	static future_state task(future_context *ctx, future_notifier *n) noexcept
	{
		auto *f = reinterpret_cast<struct future *>(
			reinterpret_cast<char *>(ctx) - offsetof(struct future, context));
		callback_future *self = of(f);
		return self->fn(self->arg, n);
	}
	static int property(void *f, future_property p) noexcept
	{
		callback_future *self = of(static_cast<struct future *>(f));
		return self->prop != nullptr ? self->prop(self->arg, p) : 0;
	}
};

} // namespace detail

class event_loop {
public:
	event_loop() noexcept = default;
	~event_loop() = default;
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

	// Loop thread only: poll w->fut while the loop is idle, run `w` once it
	// has completed.
	void watch(detail::watch_node *w) noexcept
	{
		w->done = false;
		watched_.push(w);
	}

	// Makes run() return once the current item is done. Any thread.
	void stop() noexcept
	{
		std::lock_guard lk(mtx_);
		stopped_ = true;
		signal_locked();
	}

	// Runs posted items and completed watches until stop(); waits in the
	// runtime while there is nothing to do.
	void run() noexcept
	{
		scope s(this);
		for (;;) {
			detail::loop_node *n = nullptr;
			std::uint64_t seen = 0;
			{
				std::lock_guard lk(mtx_);
				n = ready_.pop();
				if (n == nullptr && stopped_) {
					stopped_ = false;
					return;
				}
				// Nothing to run: any later post or stop changes events_.
				seen = events_.load(std::memory_order_relaxed);
			}
			if (n != nullptr)
				n->run(n);
			else
				wait_idle(seen);
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

	// At most this many runtime futures per wait; beyond it, the last one
	// polls the rest of the watches (so a wait never allocates).
	static constexpr std::size_t max_wait_futures = 64;

private:
	// Under mtx_: ends a runtime wait in progress, or the next one.
	void signal_locked() noexcept
	{
		events_.fetch_add(1, std::memory_order_release);
		// Under the lock: the loop may be gone as soon as it is released.
		// The runtime's waker points at a wake slot: harmless if the wait
		// already ended.
		if (ext_waker_.wake != nullptr)
			ext_waker_.wake(ext_waker_.data);
	}

	// One runtime future of a wait: watches [first, last) (last nullptr:
	// to the end of the list).
	struct wait_part {
		event_loop *loop;
		detail::watch_node *first;
		detail::watch_node *last;
	};

	struct wait_state {
		std::uint64_t seen;	// events_ when the wait began
		bool due = false;	// a watch completed or an event came: end the wait
	};

	// Nothing to run: waits in the runtime until a watched future completes
	// or an event arrives. `seen`: events_ when the loop found nothing to run.
	void wait_idle(std::uint64_t seen) noexcept
	{
		state_.seen = seen;
		state_.due = false;
		wait_part parts[max_wait_futures];
		detail::callback_future futs[max_wait_futures];
		struct future *ptrs[max_wait_futures];
		std::size_t k = 0;
		auto *w = static_cast<detail::watch_node *>(watched_.head);
		if (w == nullptr) {
			// Events only.
			parts[0] = {this, nullptr, nullptr};
			k = 1;
		}
		for (; w != nullptr && k < max_wait_futures; ++k) {
			auto *next = static_cast<detail::watch_node *>(w->next);
			parts[k] = {this, w, k + 1 == max_wait_futures ? nullptr : next};
			w = next;
		}
		for (std::size_t i = 0; i < k; ++i) {
			futs[i].init(&event_loop::poll_part, &event_loop::part_property, &parts[i]);
			ptrs[i] = &futs[i].base;
		}
		// ext_waker_ stays set after the wait: it is this thread's wake
		// slot, which a later event may knock harmlessly.
		runtime_wait_multiple(detail::shared_runtime(), ptrs, k);
		run_completed();
	}

	// The task of one runtime future of a wait.
	static future_state poll_part(void *arg, future_notifier *n) noexcept
	{
		auto *part = static_cast<wait_part *>(arg);
		event_loop *l = part->loop;
		wait_state &st = l->state_;
		if (st.due)
			return FUTURE_STATE_COMPLETE;
		if (n != nullptr &&
		    (l->ext_waker_.wake != n->waker.wake || l->ext_waker_.data != n->waker.data)) {
			std::lock_guard lk(l->mtx_);
			l->ext_waker_ = n->waker;
		}
		// After the waker is in place: an event from here on calls it.
		if (l->events_.load(std::memory_order_acquire) != st.seen) {
			st.due = true;
			return FUTURE_STATE_COMPLETE;
		}
		if (part->first == nullptr) {
			if (n != nullptr)
				n->notifier_used = FUTURE_NOTIFIER_WAKER;	// events call it
			return FUTURE_STATE_RUNNING;
		}
		future_notifier_type used = FUTURE_NOTIFIER_WAKER;
		std::uint64_t *monitor = nullptr;
		for (detail::watch_node *w = part->first; w != part->last;
		     w = static_cast<detail::watch_node *>(w->next)) {
			if (n != nullptr) {
				// A promise made to another thread's waker is not ours.
				n->notifier_used = w->promised_to == n->waker.data ?
					w->used : FUTURE_NOTIFIER_NONE;
				n->poller.ptr_to_monitor = w->monitor;
			}
			if (future_poll(w->fut, n) == FUTURE_STATE_COMPLETE) {
				w->done = true;
				st.due = true;
				return FUTURE_STATE_COMPLETE;
			}
			if (n == nullptr)
				continue;
			w->used = n->notifier_used;
			w->monitor = n->poller.ptr_to_monitor;
			w->promised_to = n->waker.data;
			if (w->used != FUTURE_NOTIFIER_WAKER && used == FUTURE_NOTIFIER_WAKER) {
				used = w->used;
				monitor = w->monitor;
			}
		}
		if (n != nullptr) {
			// The part promises a wake-up only when all its futures did.
			n->notifier_used = used;
			n->poller.ptr_to_monitor = monitor;
		}
		return FUTURE_STATE_RUNNING;
	}

	// A part is asynchronous when one of its futures is.
	static int part_property(void *arg, future_property p) noexcept
	{
		auto *part = static_cast<wait_part *>(arg);
		for (detail::watch_node *w = part->first; w != part->last;
		     w = static_cast<detail::watch_node *>(w->next))
			if (future_has_property(w->fut, p))
				return 1;
		return 0;
	}

	// Runs the watches whose futures completed, in the order they were watched.
	void run_completed() noexcept
	{
		detail::node_queue done;
		detail::node_queue rest;
		while (detail::loop_node *n = watched_.pop()) {
			if (static_cast<detail::watch_node *>(n)->done)
				done.push(n);
			else
				rest.push(n);
		}
		watched_ = rest;
		while (detail::loop_node *n = done.pop())
			n->run(n);
	}

	std::mutex mtx_;
	detail::node_queue ready_;	// guarded by mtx_
	bool stopped_ = false;		// guarded by mtx_
	future_waker ext_waker_{};	// guarded by mtx_ (read unlocked by the loop thread)
	std::atomic<std::uint64_t> events_{0};	// posts and stops (written under mtx_)
	detail::node_queue watched_;	// loop thread only
	wait_state state_{};		// loop thread only: the wait in progress
};

} // namespace v1
} // namespace pmem2
