#include "os/io.hpp"

#include <atomic>
#include <cerrno>
#include <new>

#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "os/fault.hpp"
#include "os/os.hpp"

namespace pmem2::os {

namespace {

detail::injected_fault faults[static_cast<int>(io_call::count_)];
std::atomic<std::size_t> chunk_limit{0};
std::atomic<write_observer> observer{nullptr};

int take_fault(io_call which) noexcept
{
	return faults[static_cast<int>(which)].take();
}

std::size_t limited(std::size_t n) noexcept
{
	std::size_t l = chunk_limit.load(std::memory_order_relaxed);
	return l && n > l ? l : n;
}

} // namespace

int write_file(const std::string &path, std::string_view data)
{
	if (write_observer obs = observer.load(std::memory_order_acquire))
		obs(path, data);
	if (int e = take_fault(io_call::write_file))
		return e;
	int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	ssize_t n;
	do {
		n = ::write(fd, data.data(), data.size());
	} while (n < 0 && errno == EINTR);
	int r = n < 0 ? neg_errno() : std::size_t(n) != data.size() ? -EIO : 0;
	::close(fd);
	return r;
}

ssize_t pread(int fd, void *buf, std::size_t n, off_t off) noexcept
{
	if (int e = take_fault(io_call::pread))
		return e;
	ssize_t r;
	do {
		r = ::pread(fd, buf, limited(n), off);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? neg_errno() : r;
}

ssize_t pwrite(int fd, const void *buf, std::size_t n, off_t off) noexcept
{
	if (int e = take_fault(io_call::pwrite))
		return e;
	ssize_t r;
	do {
		r = ::pwrite(fd, buf, limited(n), off);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? neg_errno() : r;
}

int fallocate(int fd, int mode, off_t off, off_t len) noexcept
{
	if (int e = take_fault(io_call::fallocate))
		return e;
	return ::fallocate(fd, mode, off, len) == 0 ? 0 : neg_errno();
}

int fiemap(int fd, std::vector<extent> &out)
{
	if (int e = take_fault(io_call::fiemap))
		return e;
	out.clear();
	// First call counts the extents, the second fetches them.
	struct fiemap probe = {};
	probe.fm_length = FIEMAP_MAX_OFFSET;
	probe.fm_flags = FIEMAP_FLAG_SYNC;
	if (::ioctl(fd, FS_IOC_FIEMAP, &probe) != 0)
		return neg_errno();
	const std::size_t count = probe.fm_mapped_extents;
	if (count == 0)
		return 0;
	std::vector<unsigned char> mem(sizeof(struct fiemap) + count * sizeof(struct fiemap_extent));
	auto *fm = new (mem.data()) struct fiemap();
	fm->fm_length = FIEMAP_MAX_OFFSET;
	fm->fm_flags = FIEMAP_FLAG_SYNC;
	fm->fm_extent_count = static_cast<__u32>(count);
	if (::ioctl(fd, FS_IOC_FIEMAP, fm) != 0)
		return neg_errno();
	for (__u32 i = 0; i < fm->fm_mapped_extents; ++i) {
		const struct fiemap_extent &e = fm->fm_extents[i];
		out.push_back({e.fe_logical, e.fe_physical, e.fe_length});
	}
	return 0;
}

int sigaction(int sig, const struct sigaction *act, struct sigaction *old) noexcept
{
	if (int e = take_fault(io_call::sigaction))
		return e;
	return ::sigaction(sig, act, old) == 0 ? 0 : neg_errno();
}

void io_fail_next(io_call which, int err, unsigned skip) noexcept
{
	faults[static_cast<int>(which)].arm(err, skip);
}

void io_clear_faults() noexcept
{
	for (auto &f : faults)
		f.clear();
}

void set_io_chunk_limit(std::size_t n) noexcept { chunk_limit.store(n, std::memory_order_relaxed); }

void set_write_observer(write_observer obs) noexcept { observer.store(obs, std::memory_order_release); }

} // namespace pmem2::os
