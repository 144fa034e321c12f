// pmem2::event_loop: a single-threaded executor. Wakers (called on mover
// threads) hand work back to the thread that runs the loop, so coroutines
// awaiting pmem2 futures always resume on that thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace pmem2 {
// Versioned: distinct symbols from the library internals and future versions.
inline namespace v1 {

class event_loop;

namespace detail {

// Intrusive work item: no allocation to post one.
struct loop_node {
	void (*run)(loop_node *self) noexcept = nullptr;
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

} // namespace detail

class event_loop {
public:
	event_loop() = default;
	event_loop(const event_loop &) = delete;
	event_loop &operator=(const event_loop &) = delete;

	// The loop running on this thread, or nullptr.
	static event_loop *current() noexcept { return detail::current_loop; }

	// Queues `n` to run on the loop thread. Any thread; never blocks long.
	void post(detail::loop_node *n) noexcept
	{
		std::lock_guard lk(mtx_);
		ready_.push(n);
		// Notify under the lock: the loop (and this object) may be gone
		// as soon as the lock is released.
		cv_.notify_one();
	}

	// Loop thread only: run `n` again soon, for futures that promised no
	// wake-up (movers without a waker, or a full queue with no waiter slot).
	void repoll_later(detail::loop_node *n) noexcept { repoll_.push(n); }

	// Makes run() return once the current item is done. Any thread.
	void stop() noexcept
	{
		std::lock_guard lk(mtx_);
		stopped_ = true;
		cv_.notify_one();
	}

	// Runs posted items until stop(); sleeps while there is nothing to do.
	void run() noexcept
	{
		scope s(this);
		for (;;) {
			detail::loop_node *n = nullptr;
			{
				std::unique_lock lk(mtx_);
				if (ready_.empty() && !stopped_) {
					if (repoll_.empty())
						cv_.wait(lk, [&] { return !ready_.empty() || stopped_; });
					else
						// Nothing will wake us for those: look again shortly.
						cv_.wait_for(lk, repoll_interval,
							[&] { return !ready_.empty() || stopped_; });
				}
				if (ready_.empty() && stopped_) {
					stopped_ = false;
					return;
				}
				n = ready_.pop();
			}
			if (n != nullptr) {
				n->run(n);
				continue;
			}
			detail::node_queue again = repoll_;
			repoll_ = {};
			while (detail::loop_node *r = again.pop())
				r->run(r);
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

private:
	std::mutex mtx_;
	std::condition_variable cv_;
	detail::node_queue ready_;	// guarded by mtx_
	bool stopped_ = false;		// guarded by mtx_
	detail::node_queue repoll_;	// loop thread only
};

} // namespace v1
} // namespace pmem2
