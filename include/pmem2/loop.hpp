// pmem2::event_loop: a single-threaded executor. Wakers (called on mover
// threads) hand work back to the thread that runs the loop, so coroutines
// awaiting pmem2 futures always resume on that thread.
//
// Movers may call a waker after its future already reads as complete
// (they publish completion first, then wake). So what a waker points at
// must outlive every awaiter: a loop's wakers point at a wake cell in
// static storage, which the loop detaches from before it goes away. A wake
// makes the loop poll every future parked on it again.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <utility>

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
		// Notify under the lock: the loop (and this object) may be gone
		// as soon as the lock is released.
		cv_.notify_one();
	}

	// The waker for futures polled on this loop's thread, or nullptr when
	// every wake cell is in use (awaiters then bring their own).
	detail::wake_cell *cell() const noexcept { return cell_; }

	// Loop thread only: poll `n` again after the next wake-up of this loop.
	void park(detail::loop_node *n) noexcept { parked_.push(n); }

	// Loop thread only: run `n` again soon, for futures that promised no
	// wake-up (movers without a waker).
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
			bool woken = false;
			{
				std::unique_lock lk(mtx_);
				auto has_work = [&] { return !ready_.empty() || woken_ || stopped_; };
				if (!has_work()) {
					if (repoll_.empty())
						cv_.wait(lk, has_work);
					else
						// Nothing will wake us for those: look again shortly.
						cv_.wait_for(lk, repoll_interval, has_work);
				}
				if (ready_.empty() && stopped_) {
					stopped_ = false;
					return;
				}
				n = ready_.pop();
				woken = std::exchange(woken_, false);
			}
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

private:
	friend void detail::wake_cell_wake(void *p) noexcept;

	// A waker fired: poll the parked futures again. Any thread.
	void wake() noexcept
	{
		std::lock_guard lk(mtx_);
		woken_ = true;
		cv_.notify_one();
	}

	static void run_all(detail::node_queue &q) noexcept
	{
		detail::node_queue batch = q;
		q = {};
		while (detail::loop_node *r = batch.pop())
			r->run(r);
	}

	std::mutex mtx_;
	std::condition_variable cv_;
	detail::node_queue ready_;	// guarded by mtx_
	bool stopped_ = false;		// guarded by mtx_
	bool woken_ = false;		// guarded by mtx_
	detail::node_queue parked_;	// loop thread only
	detail::node_queue repoll_;	// loop thread only
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
