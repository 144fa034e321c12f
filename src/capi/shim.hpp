// The exception barrier every C entry point goes through.
#pragma once

#include <cerrno>
#include <cstring>
#include <new>

#include <libpmem2/base.h>

#include "common/errormsg.hpp"

namespace pmem2::capi {

// Run `f` (returning an int code); no exception leaves.
template <class F>
int guarded(F &&f) noexcept
{
	try {
		return f();
	} catch (const std::bad_alloc &) {
		set_errormsg_errno(ENOMEM, "out of memory");
		return -ENOMEM;
	} catch (...) {
		set_errormsg("unexpected internal error");
		return PMEM2_E_UNKNOWN;
	}
}

// The raw value of an enum argument. C callers may pass any int; reading
// the bytes (not loading the enum) keeps out-of-range values well defined.
template <class E>
int enum_value(const E &e) noexcept
{
	static_assert(sizeof(E) == sizeof(int));
	int v;
	std::memcpy(&v, &e, sizeof(v));
	return v;
}

// A NULL argument the original would dereference: fail cleanly instead.
inline int null_arg(const char *func, const char *arg) noexcept
{
	set_errormsg("%s: %s is NULL", func, arg);
	return -EINVAL;
}

} // namespace pmem2::capi
