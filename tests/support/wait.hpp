// Bounded waits: every wait of a test has a limit, so a lost wake-up fails
// the test instead of hanging it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace pmem2::test {

using namespace std::chrono_literals;

// No wait in the tests may take longer than this.
inline constexpr std::chrono::seconds wait_bound = 20s;

// Polls pred() (sleeping 50 µs between looks) until it holds: true, or
// false once `limit` has passed.
template <class Pred>
bool wait_for(Pred pred, std::chrono::steady_clock::duration limit = wait_bound)
{
	auto end = std::chrono::steady_clock::now() + limit;
	while (!pred()) {
		if (std::chrono::steady_clock::now() > end)
			return false;
		std::this_thread::sleep_for(50us);
	}
	return true;
}

// A one-shot event another thread may set and then forget: set() notifies
// under the lock, so the waiter may destroy the object once wait() returns.
class event {
public:
	void set()
	{
		std::lock_guard lk(m_);
		set_ = true;
		cv_.notify_all();
	}
	// True when set within `limit`.
	[[nodiscard]] bool wait(std::chrono::steady_clock::duration limit = wait_bound)
	{
		std::unique_lock lk(m_);
		return cv_.wait_for(lk, limit, [&] { return set_; });
	}

private:
	std::mutex m_;
	std::condition_variable cv_;
	bool set_ = false;
};

// Aborts the process (failing the test) when the scope lasts longer than
// `limit`: a hang inside a library call that takes no deadline cannot be
// waited out any other way.
class watchdog {
public:
	explicit watchdog(const char *what, std::chrono::seconds limit = 60s)
		: t_([this, what, limit] {
			  if (!done_.wait(limit)) {
				  std::fprintf(stderr, "watchdog: %s did not finish in %llds\n", what,
					  static_cast<long long>(limit.count()));
				  std::abort();
			  }
		  })
	{
	}
	~watchdog()
	{
		done_.set();
		t_.join();
	}
	watchdog(const watchdog &) = delete;
	watchdog &operator=(const watchdog &) = delete;

private:
	event done_;
	std::thread t_;
};

} // namespace pmem2::test
