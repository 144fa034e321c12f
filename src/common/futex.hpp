// The only way the libraries sleep: futex wait/wake on a 32-bit word,
// with a relative CLOCK_MONOTONIC timeout.
#pragma once

#include <atomic>
#include <climits>
#include <cstdint>
#include <ctime>

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace pmem2 {

static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));

// Sleeps while *word == expected, at most timeout_ns; returns on any wake,
// value change, signal or timeout (callers re-check their condition).
inline void futex_wait(std::atomic<std::uint32_t> *word, std::uint32_t expected,
	long long timeout_ns) noexcept
{
	timespec ts;
	ts.tv_sec = time_t(timeout_ns / 1000000000LL);
	ts.tv_nsec = long(timeout_ns % 1000000000LL);
	// FUTEX_WAIT's timeout is relative and measured on CLOCK_MONOTONIC.
	syscall(SYS_futex, reinterpret_cast<std::uint32_t *>(word),
		FUTEX_WAIT_PRIVATE, expected, &ts, nullptr, 0);
}

inline void futex_wake(std::atomic<std::uint32_t> *word, int count) noexcept
{
	syscall(SYS_futex, reinterpret_cast<std::uint32_t *>(word),
		FUTEX_WAKE_PRIVATE, count, nullptr, nullptr, 0);
}

inline void futex_wake_all(std::atomic<std::uint32_t> *word) noexcept
{
	futex_wake(word, INT_MAX);
}

} // namespace pmem2
