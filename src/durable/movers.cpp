#include "durable/movers.hpp"

#include <dlfcn.h>

#include <atomic>

#include "durable/protocol.hpp"

// Bound when libpmem2 is loaded if the mover's library is already in the
// process, or at link time in a program that links it statically; null
// otherwise.
extern "C" int miniasync_private_durable_mover(const struct vdm *v) __attribute__((weak));
extern "C" int miniasync_vdm_dml_private_durable_mover(const struct vdm *v) __attribute__((weak));

namespace pmem2::durable {
namespace {

static_assert(sizeof(threads_identity_symbol) == sizeof("miniasync_private_durable_mover"));
static_assert(sizeof(dml_identity_symbol) == sizeof("miniasync_vdm_dml_private_durable_mover"));

// One library's identity check: the weak reference, else looked up in the
// process's global scope until it is found (the library may be loaded
// after libpmem2), then kept.
template <const char *Name>
identity_fn lookup(identity_fn bound) noexcept
{
	if (bound != nullptr)
		return bound;
	static std::atomic<identity_fn> found{nullptr};
	identity_fn f = found.load(std::memory_order_acquire);
	if (f == nullptr) {
		f = reinterpret_cast<identity_fn>(dlsym(RTLD_DEFAULT, Name));
		if (f != nullptr)
			found.store(f, std::memory_order_release);
	}
	return f;
}

bool recognised(identity_fn f, const struct vdm *v) noexcept
{
	return f != nullptr && f(v) != 0;
}

} // namespace

mover_kind classify(const struct vdm *v) noexcept
{
	if (v == nullptr)
		return mover_kind::builtin;
	if (recognised(lookup<threads_identity_symbol>(miniasync_private_durable_mover), v) ||
	    recognised(lookup<dml_identity_symbol>(miniasync_vdm_dml_private_durable_mover), v))
		return mover_kind::ours;
	return mover_kind::foreign;
}

} // namespace pmem2::durable
