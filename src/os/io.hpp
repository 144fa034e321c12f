// File I/O at the OS boundary for deep flush, mcsafe I/O and bad blocks:
// sysfs attribute writes, positioned reads/writes, hole punching, extent
// maps and the SIGBUS disposition. Same conventions as os.hpp: 0 / a value
// on success, a negative errno on failure, no error messages.
//
// Test seams (internal): io_fail_next() makes an upcoming call fail,
// set_io_chunk_limit() makes pread/pwrite transfer at most n bytes per
// call (short transfers), set_write_observer() sees every attribute write.
#pragma once

#include <csignal>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>
#include <sys/types.h>

#include "common/export.hpp"

namespace pmem2::os {

// Write `data` to an existing file (a sysfs attribute) with one write(2).
int write_file(const std::string &path, std::string_view data);

// One pread/pwrite (EINTR retried): bytes transferred or -errno.
ssize_t pread(int fd, void *buf, std::size_t n, off_t off) noexcept;
ssize_t pwrite(int fd, const void *buf, std::size_t n, off_t off) noexcept;

int fallocate(int fd, int mode, off_t off, off_t len) noexcept;

// A file's physical extents (FS_IOC_FIEMAP), in file order.
struct extent {
	std::uint64_t logical;	// byte offset in the file
	std::uint64_t physical;	// byte offset on the block device
	std::uint64_t length;
};
PMEM2_TEST_SEAM int fiemap(int fd, std::vector<extent> &out);

int sigaction(int sig, const struct sigaction *act, struct sigaction *old) noexcept;

enum class io_call { write_file, pread, pwrite, fallocate, fiemap, sigaction, count_ };
PMEM2_TEST_SEAM void io_fail_next(io_call which, int err, unsigned skip = 0) noexcept;
PMEM2_TEST_SEAM void io_clear_faults() noexcept;
PMEM2_TEST_SEAM void set_io_chunk_limit(std::size_t n) noexcept;	// 0: no limit
using write_observer = void (*)(const std::string &path, std::string_view data);
PMEM2_TEST_SEAM void set_write_observer(write_observer obs) noexcept;

} // namespace pmem2::os
