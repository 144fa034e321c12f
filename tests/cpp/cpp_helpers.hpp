// Shared by the C++ API tests.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <cstdint>
#include <string>
#include <vector>

#include "common/tmpfile.hpp"

namespace pmem2::test {

// Deterministic bytes: pattern(n, seed)[i] depends on i and seed.
inline std::vector<std::byte> pattern(std::size_t n, unsigned seed)
{
	std::vector<std::byte> v(n);
	std::uint32_t x = seed * 2654435761u + 1;
	for (std::size_t i = 0; i < n; ++i) {
		x = x * 1664525u + 1013904223u;
		v[i] = static_cast<std::byte>(x >> 24);
	}
	return v;
}

// The file's bytes, read with pread (not through any map).
inline std::vector<std::byte> read_file(const std::string &path, std::size_t n, std::size_t off = 0)
{
	std::vector<std::byte> v(n);
	int fd = ::open(path.c_str(), O_RDONLY);
	if (fd < 0)
		return {};
	ssize_t r = ::pread(fd, v.data(), n, static_cast<off_t>(off));
	::close(fd);
	if (r != static_cast<ssize_t>(n))
		return {};
	return v;
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
	void wait()
	{
		std::unique_lock lk(m_);
		cv_.wait(lk, [&] { return set_; });
	}

private:
	std::mutex m_;
	std::condition_variable cv_;
	bool set_ = false;
};

inline bool fd_is_open(int fd)
{
	return ::fcntl(fd, F_GETFD) != -1;
}

} // namespace pmem2::test
