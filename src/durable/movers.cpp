#include "durable/movers.hpp"

#include <dlfcn.h>

#include <atomic>

#include "durable/protocol.hpp"

namespace pmem2::durable {
namespace {

// libminiasync's check, looked up in the process's global scope until it is
// found (libminiasync may be loaded after libpmem2), then kept.
identity_fn identity() noexcept
{
	static std::atomic<identity_fn> found{nullptr};
	identity_fn f = found.load(std::memory_order_acquire);
	if (f == nullptr) {
		f = reinterpret_cast<identity_fn>(dlsym(RTLD_DEFAULT, identity_symbol));
		if (f != nullptr)
			found.store(f, std::memory_order_release);
	}
	return f;
}

} // namespace

mover_kind classify(const struct vdm *v) noexcept
{
	if (v == nullptr)
		return mover_kind::builtin;
	identity_fn f = identity();
	return f != nullptr && f(v) != 0 ? mover_kind::ours : mover_kind::foreign;
}

} // namespace pmem2::durable
