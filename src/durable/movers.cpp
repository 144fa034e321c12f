#include "durable/movers.hpp"

#include <dlfcn.h>

#include <atomic>

#include "durable/protocol.hpp"

// Bound when libpmem2 is loaded if libminiasync is already in the process,
// or at link time in a program that links both statically; null otherwise.
extern "C" int miniasync_private_durable_mover(const struct vdm *v) __attribute__((weak));

namespace pmem2::durable {
namespace {

static_assert(sizeof(identity_symbol) == sizeof("miniasync_private_durable_mover"));

// libminiasync's check: the weak reference, else looked up in the
// process's global scope until it is found (libminiasync may be loaded
// after libpmem2), then kept.
identity_fn identity() noexcept
{
	if (&miniasync_private_durable_mover != nullptr)
		return miniasync_private_durable_mover;
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
