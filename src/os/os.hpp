// The only place libpmem2 talks to the operating system: memory mapping,
// file status, sysfs/dev reads. Every function returns 0 / a value on
// success and a negative errno on failure (never a PMEM2_E_* code), and
// leaves interpretation (and the error message) to the caller.
//
// Test seams (internal, not in any public header):
//   * set_sysfs_root() prefixes every absolute /sys and /dev path;
//   * fail_next() makes an upcoming call of one primitive fail;
//   * set_msync_observer() / msync_calls() observe msync.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>
#include <sys/stat.h>
#include <sys/types.h>

#include "common/export.hpp"

namespace pmem2::os {

// Page size, captured once.
std::size_t page_size() noexcept;

// Negative errno of the last failed call; -EINVAL when errno is 0.
int neg_errno() noexcept;

// Address-space primitives. mmap returns the address or a negative errno
// (check with is_error()).
struct mmap_result {
	void *addr;
	int err;	// 0 or negative errno
};
mmap_result mmap(void *addr, std::size_t len, int prot, int flags, int fd, off_t off) noexcept;
int munmap(void *addr, std::size_t len) noexcept;
int msync(void *addr, std::size_t len, int flags) noexcept;	// retried on EINTR

// File primitives.
int fcntl_getfl(int fd) noexcept;			// flags or -errno
int fstat(int fd, struct stat *st) noexcept;
int stat(const std::string &path, struct stat *st) noexcept;
int lstat(const std::string &path, struct stat *st) noexcept;
// realpath into `out`; 0 or -errno.
int realpath(const std::string &path, std::string &out);
// Read at most `max` bytes of a file into `out` with one read(2); 0 or
// -errno. *open_failed tells an open failure from a read failure.
int read_file(const std::string &path, std::size_t max, std::string &out,
	bool *open_failed = nullptr);
// Names of the entries of a directory (without "." and ".."), in the order
// the directory yields them; 0 or -errno.
int list_dir(const std::string &path, std::vector<std::string> &names);

// Environment, ignored in set-uid contexts.
const char *getenv(const char *name) noexcept;

// sysfs/dev root. "" (the default) means the real "/". Paths passed to
// sys_path() are absolute ("/sys/...", "/dev/...").
PMEM2_TEST_SEAM void set_sysfs_root(std::string_view root);
std::string sys_path(std::string_view abs_path);

// Fault injection: the (skip+1)-th next call of `which` fails with -err
// without reaching the OS. One pending fault per primitive.
enum class call { mmap, munmap, msync, fcntl, fstat, realpath, read_file, count_ };
PMEM2_TEST_SEAM void fail_next(call which, int err, unsigned skip = 0) noexcept;
PMEM2_TEST_SEAM void clear_faults() noexcept;

// msync observation: every msync (attempted, after fault injection) is
// counted and reported to the observer, if any.
using msync_observer = void (*)(const void *addr, std::size_t len, int result);
PMEM2_TEST_SEAM void set_msync_observer(msync_observer obs) noexcept;
PMEM2_TEST_SEAM std::uint64_t msync_calls() noexcept;

} // namespace pmem2::os
