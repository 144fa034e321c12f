// Thread-local error message shared by every libpmem2 entry point.
#pragma once

#include <cstdarg>
#include <cstddef>

namespace pmem2 {

// Size of the per-thread message buffer, terminator included.
inline constexpr std::size_t errormsg_size = 8192;

// The calling thread's message; never NULL, valid for the thread's lifetime.
const char *errormsg() noexcept;

// Replace the message with printf-style text.
void set_errormsg(const char *fmt, ...) noexcept __attribute__((format(printf, 1, 2)));

// Replace the message with text followed by ": " and strerror(errnum).
void set_errormsg_errno(int errnum, const char *fmt, ...) noexcept
	__attribute__((format(printf, 2, 3)));

// Clear the message (successful calls leave it alone; see docs/ERRORS.md).
void clear_errormsg() noexcept;

} // namespace pmem2
