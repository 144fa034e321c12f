// Machine-check-safe reads and writes of a source 
// (pmem2_source_pread_mcsafe(3), DIFFERENCES.md A26, A27): poisoned memory raises SIGBUS, which becomes
// PMEM2_E_IO_FAIL for the thread doing the copy and is forwarded to the
// previous disposition for everybody else.
#pragma once

#include <cstddef>

#include "map/source.hpp"

namespace pmem2::mcsafe {

int pread(const source_info &src, void *buf, std::size_t size, std::size_t offset);
int pwrite(const source_info &src, const void *buf, std::size_t size, std::size_t offset);

// Install the chaining SIGBUS handler (once per process; retried after a
// failure). 0 or -errno.
int install_handler() noexcept;

// Copy `n` bytes; a SIGBUS during the copy ends it with PMEM2_E_IO_FAIL.
// `persist`: the destination is flushed from the CPU caches as well.
int guarded_copy(void *dst, const void *src, std::size_t n, bool persist) noexcept;

// Device DAX I/O through a mapping of only the `align`-aligned window that
// holds [offset, offset+size).
int window_io(int fd, std::size_t align, void *buf, std::size_t size, std::size_t offset,
	bool write);

} // namespace pmem2::mcsafe
