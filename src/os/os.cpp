#include "os/os.hpp"

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <mutex>

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "os/fault.hpp"

namespace pmem2::os {

namespace {

detail::injected_fault faults[static_cast<int>(call::count_)];
std::atomic<bool> any_fault{false};

// Consume a pending fault for `which`; returns the negative errno or 0.
int take_fault(call which) noexcept
{
	if (!any_fault.load(std::memory_order_relaxed))
		return 0;
	return faults[static_cast<int>(which)].take();
}

std::mutex root_mtx;
std::string root;	// guarded by root_mtx

std::atomic<msync_observer> observer{nullptr};
std::atomic<std::uint64_t> n_msync{0};

} // namespace

std::size_t page_size() noexcept
{
	// Function-local so other initialisers may call it at load time.
	static const std::size_t page = [] {
		long p = sysconf(_SC_PAGESIZE);
		return p > 0 ? static_cast<std::size_t>(p) : std::size_t(4096);
	}();
	return page;
}

int neg_errno() noexcept { return errno ? -errno : -EINVAL; }

mmap_result mmap(void *addr, std::size_t len, int prot, int flags, int fd, off_t off) noexcept
{
	if (int e = take_fault(call::mmap))
		return {nullptr, e};
	void *p = ::mmap(addr, len, prot, flags, fd, off);
	if (p == MAP_FAILED)
		return {nullptr, neg_errno()};
	return {p, 0};
}

int munmap(void *addr, std::size_t len) noexcept
{
	if (int e = take_fault(call::munmap))
		return e;
	return ::munmap(addr, len) == 0 ? 0 : neg_errno();
}

int msync(void *addr, std::size_t len, int flags) noexcept
{
	n_msync.fetch_add(1, std::memory_order_relaxed);
	int r = take_fault(call::msync);
	if (r == 0) {
		while (::msync(addr, len, flags) != 0) {
			if (errno != EINTR) {
				r = neg_errno();
				break;
			}
		}
	}
	if (msync_observer obs = observer.load(std::memory_order_acquire))
		obs(addr, len, r);
	return r;
}

int fcntl_getfl(int fd) noexcept
{
	if (int e = take_fault(call::fcntl))
		return e;
	int r = ::fcntl(fd, F_GETFL);
	return r < 0 ? neg_errno() : r;
}

int fstat(int fd, struct stat *st) noexcept
{
	if (int e = take_fault(call::fstat))
		return e;
	return ::fstat(fd, st) == 0 ? 0 : neg_errno();
}

int stat(const std::string &path, struct stat *st) noexcept
{
	return ::stat(path.c_str(), st) == 0 ? 0 : neg_errno();
}

int lstat(const std::string &path, struct stat *st) noexcept
{
	return ::lstat(path.c_str(), st) == 0 ? 0 : neg_errno();
}

int realpath(const std::string &path, std::string &out)
{
	if (int e = take_fault(call::realpath))
		return e;
	char buf[PATH_MAX];
	if (::realpath(path.c_str(), buf) == nullptr)
		return neg_errno();
	out.assign(buf);
	return 0;
}

int read_file(const std::string &path, std::size_t max, std::string &out, bool *open_failed)
{
	if (open_failed)
		*open_failed = false;
	if (int e = take_fault(call::read_file))
		return e;
	int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (open_failed)
			*open_failed = true;
		return neg_errno();
	}
	out.assign(max, '\0');
	ssize_t n;
	do {
		n = ::read(fd, out.data(), max);
	} while (n < 0 && errno == EINTR);
	int r = n < 0 ? neg_errno() : 0;
	::close(fd);
	out.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
	return r;
}

int list_dir(const std::string &path, std::vector<std::string> &names)
{
	DIR *d = ::opendir(path.c_str());
	if (d == nullptr)
		return neg_errno();
	names.clear();
	int r = 0;
	for (;;) {
		errno = 0;
		struct dirent *e = ::readdir(d);
		if (e == nullptr) {
			if (errno)
				r = neg_errno();
			break;
		}
		std::string_view n(e->d_name);
		if (n == "." || n == "..")
			continue;
		names.emplace_back(n);
	}
	::closedir(d);
	return r;
}

const char *getenv(const char *name) noexcept { return ::secure_getenv(name); }

void set_sysfs_root(std::string_view r)
{
	std::lock_guard lk(root_mtx);
	root.assign(r);
	while (!root.empty() && root.back() == '/')
		root.pop_back();
}

std::string sys_path(std::string_view abs_path)
{
	std::string s;
	{
		std::lock_guard lk(root_mtx);
		s = root;
	}
	s.append(abs_path);
	return s;
}

void fail_next(call which, int err, unsigned skip) noexcept
{
	faults[static_cast<int>(which)].arm(err, skip);
	any_fault.store(true, std::memory_order_release);
}

void clear_faults() noexcept
{
	for (auto &f : faults)
		f.clear();
}

void set_msync_observer(msync_observer obs) noexcept { observer.store(obs, std::memory_order_release); }

std::uint64_t msync_calls() noexcept { return n_msync.load(std::memory_order_relaxed); }

} // namespace pmem2::os
