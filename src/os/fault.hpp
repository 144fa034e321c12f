// One injectable failure of a system call (the test seam behind
// os::fail_next and os::io_fail_next). Internal to src/os.
#pragma once

#include <atomic>

namespace pmem2::os::detail {

struct injected_fault {
	std::atomic<int> err{0};	// positive errno; 0: none pending
	std::atomic<unsigned> skip{0};	// calls that succeed before it fails

	void arm(int e, unsigned s) noexcept
	{
		skip.store(s, std::memory_order_relaxed);
		err.store(e, std::memory_order_release);
	}

	void clear() noexcept { err.store(0, std::memory_order_release); }

	// Consume the pending failure: its negative errno, or 0 (none, or a
	// call still to be skipped).
	int take() noexcept
	{
		int e = err.load(std::memory_order_acquire);
		if (e == 0)
			return 0;
		unsigned s = skip.load(std::memory_order_relaxed);
		if (s > 0) {
			skip.store(s - 1, std::memory_order_relaxed);
			return 0;
		}
		clear();
		return -e;
	}
};

} // namespace pmem2::os::detail
