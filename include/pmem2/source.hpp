// pmem2::source: what a map is made from (a file, a device DAX or
// anonymous memory). Owns its pmem2_source and, when it opened the file
// itself, the file descriptor.
#pragma once

#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <filesystem>
#include <string>
#include <utility>

#include <libpmem2/base.h>

#include "error.hpp"

namespace pmem2 {
// Versioned: distinct symbols from the library internals and future versions.
inline namespace v1 {

// How source::open opens a path.
enum class open_mode {
	read_write,	// O_RDWR; the file must exist
	read_only,	// O_RDONLY (map it with protection::read)
	create,		// O_RDWR | O_CREAT; created with mode 0644 (less umask)
};

class source {
public:
	source() noexcept = default;
	source(source &&o) noexcept
		: src_(std::exchange(o.src_, nullptr)), fd_(std::exchange(o.fd_, -1)) {}
	source &operator=(source &&o) noexcept
	{
		if (this != &o) {
			reset();
			src_ = std::exchange(o.src_, nullptr);
			fd_ = std::exchange(o.fd_, -1);
		}
		return *this;
	}
	source(const source &) = delete;
	source &operator=(const source &) = delete;
	~source() { reset(); }

	// Borrows `fd` (the caller keeps it open while the source is used).
	static result<source> try_from_fd(int fd) noexcept
	{
		pmem2_source *s = nullptr;
		int rc = pmem2_source_from_fd(&s, fd);
		if (rc != 0)
			return detail::last_error(rc, "pmem2_source_from_fd");
		return source(s, -1);
	}
	static source from_fd(int fd) { return try_from_fd(fd).value(); }

	// Opens `path`; the source owns the descriptor and closes it.
	static result<source> try_open(const std::filesystem::path &path,
		open_mode mode = open_mode::read_write) noexcept
	{
		int flags = O_CLOEXEC;
		switch (mode) {
		case open_mode::read_write: flags |= O_RDWR; break;
		case open_mode::read_only: flags |= O_RDONLY; break;
		case open_mode::create: flags |= O_RDWR | O_CREAT; break;
		}
		int fd = ::open(path.c_str(), flags, 0644);
		if (fd < 0) {
			int e = errno;
			return detail::make_error(-e, detail::concat("open ", path_string(path)), std::strerror(e));
		}
		pmem2_source *s = nullptr;
		int rc = pmem2_source_from_fd(&s, fd);
		if (rc != 0) {
			error_info e = detail::last_error(rc, detail::concat("pmem2_source_from_fd ", path_string(path)));
			::close(fd);
			return e;
		}
		return source(s, fd);
	}
	static source open(const std::filesystem::path &path, open_mode mode = open_mode::read_write)
	{
		return try_open(path, mode).value();
	}

	// Anonymous memory of `size` bytes.
	static result<source> try_anonymous(std::size_t size) noexcept
	{
		pmem2_source *s = nullptr;
		int rc = pmem2_source_from_anon(&s, size);
		if (rc != 0)
			return detail::last_error(rc, "pmem2_source_from_anon");
		return source(s, -1);
	}
	static source anonymous(std::size_t size) { return try_anonymous(size).value(); }

	// Takes ownership of a C source (and of `owned_fd` when not -1).
	static source adopt(pmem2_source *src, int owned_fd = -1) noexcept { return source(src, owned_fd); }

	bool valid() const noexcept { return src_ != nullptr; }
	explicit operator bool() const noexcept { return valid(); }
	pmem2_source *native() const noexcept { return src_; }
	// Gives up ownership of the C source (an owned descriptor stays owned).
	pmem2_source *release() noexcept { return std::exchange(src_, nullptr); }

	// The descriptor (-1 for anonymous sources).
	int fd() const noexcept
	{
		int fd = -1;
		if (src_ == nullptr || pmem2_source_get_fd(src_, &fd) != 0)
			return -1;
		return fd;
	}

	result<std::size_t> try_size() const noexcept
	{
		std::size_t n = 0;
		int rc = pmem2_source_size(src_, &n);
		if (rc != 0)
			return detail::last_error(rc, "pmem2_source_size");
		return n;
	}
	std::size_t size() const { return try_size().value(); }

	result<std::size_t> try_alignment() const noexcept
	{
		std::size_t n = 0;
		int rc = pmem2_source_alignment(src_, &n);
		if (rc != 0)
			return detail::last_error(rc, "pmem2_source_alignment");
		return n;
	}
	std::size_t alignment() const { return try_alignment().value(); }

	// Fails with PMEM2_E_NOSUPP where the platform has no such notion.
	result<int> try_numa_node() const noexcept
	{
		int node = -1;
		int rc = pmem2_source_numa_node(src_, &node);
		if (rc != 0)
			return detail::last_error(rc, "pmem2_source_numa_node");
		return node;
	}

	result<std::string> try_device_id() const noexcept
	{
		std::size_t len = 0;
		int rc = pmem2_source_device_id(src_, nullptr, &len);
		if (rc != 0)
			return detail::last_error(rc, "pmem2_source_device_id");
		try {
			std::string id(len, '\0');
			rc = pmem2_source_device_id(src_, id.data(), &len);
			if (rc != 0)
				return detail::last_error(rc, "pmem2_source_device_id");
			while (!id.empty() && id.back() == '\0')
				id.pop_back();
			return id;
		} catch (...) {
			return detail::make_error(-ENOMEM, "pmem2_source_device_id");
		}
	}

private:
	source(pmem2_source *s, int fd) noexcept : src_(s), fd_(fd) {}

	static std::string path_string(const std::filesystem::path &p) noexcept
	{
		try {
			return p.string();
		} catch (...) {
			return {};
		}
	}

	void reset() noexcept
	{
		if (src_ != nullptr)
			pmem2_source_delete(&src_);
		src_ = nullptr;
		if (fd_ >= 0)
			::close(fd_);
		fd_ = -1;
	}

	pmem2_source *src_ = nullptr;
	int fd_ = -1;
};

} // namespace v1
} // namespace pmem2
