#include "errormsg.hpp"

#include <cstdio>
#include <cstring>

namespace pmem2 {

namespace {
// A static per-thread buffer: no lazy allocation, so it can never fail.
thread_local char msg_buf[errormsg_size];
} // namespace

const char *errormsg() noexcept { return msg_buf; }

void set_errormsg(const char *fmt, ...) noexcept
{
	va_list ap;
	va_start(ap, fmt);
	std::vsnprintf(msg_buf, sizeof(msg_buf), fmt, ap);
	va_end(ap);
}

void set_errormsg_errno(int errnum, const char *fmt, ...) noexcept
{
	va_list ap;
	va_start(ap, fmt);
	int n = std::vsnprintf(msg_buf, sizeof(msg_buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	std::size_t used = static_cast<std::size_t>(n) < sizeof(msg_buf)
		? static_cast<std::size_t>(n) : sizeof(msg_buf) - 1;
	char ebuf[256];
	const char *etext = strerror_r(errnum, ebuf, sizeof(ebuf));
	std::snprintf(msg_buf + used, sizeof(msg_buf) - used, ": %s", etext);
}

void clear_errormsg() noexcept { msg_buf[0] = '\0'; }

} // namespace pmem2
