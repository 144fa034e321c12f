// The threads mover's copy functions: the hooks a user sets with
// data_mover_threads_set_mem*_fn, or libc's by default, and the two ways a
// chunk runs with them. A plain chunk calls the hook for its type (FLUSH,
// which has none, writes the lines back); a durable chunk lets libpmem2's
// kernels copy while the hook is the default, else calls the hook and has
// libpmem2 persist what it wrote (durable/run.hpp). Apart from the mover
// so that the question "is this the default function" is asked in one
// place, here.
#pragma once

#include <libminiasync/data_mover_threads.h>

#include <atomic>
#include <cstddef>
#include <type_traits>

#include "durable/protocol.hpp"

namespace pmem2::masync {

// The default hooks: libc's functions, which 0 bytes do not reach (their
// pointers may then be null).
void *default_memcpy(void *dst, const void *src, std::size_t n, unsigned) noexcept;
void *default_memmove(void *dst, const void *src, std::size_t n, unsigned) noexcept;
void *default_memset(void *str, int c, std::size_t n, unsigned) noexcept;

class mover_hooks {
public:
	// nullptr restores the default.
	void set_memcpy(memcpy_fn f) noexcept { store(memcpy_, f, default_memcpy); }
	void set_memmove(memmove_fn f) noexcept { store(memmove_, f, default_memmove); }
	void set_memset(memset_fn f) noexcept { store(memset_, f, default_memset); }

	// Bytes [off, off + part) of `op`: plain when `svc` is null, else made
	// durable through libpmem2's services (the guard's). 0, or the -errno
	// of a failed persist.
	int run(const vdm_operation &op, std::size_t off, std::size_t part,
		const durable::services *svc) const noexcept;

	// For durable/run.hpp: the user's function for a type, or nullptr
	// while it is the default (then libpmem2's kernels copy).
	memcpy_fn memcpy() const noexcept { return user(memcpy_, default_memcpy); }
	memmove_fn memmove() const noexcept { return user(memmove_, default_memmove); }
	memset_fn memset() const noexcept { return user(memset_, default_memset); }

	// The kernels would copy an operation of this type (FLUSH: nothing to
	// copy). Read at submission; a hook set later is seen by the chunks.
	bool kernels_copy(vdm_operation_type t) const noexcept
	{
		return t == VDM_OPERATION_FLUSH ||
			(t == VDM_OPERATION_MEMCPY ? memcpy_.load(std::memory_order_relaxed) == default_memcpy :
			 t == VDM_OPERATION_MEMMOVE ? memmove_.load(std::memory_order_relaxed) == default_memmove :
			 memset_.load(std::memory_order_relaxed) == default_memset);
	}

private:
	void run_plain_range(const vdm_operation &op, std::size_t off, std::size_t part) const noexcept;

	template <class F>
	static void store(std::atomic<F> &a, F f, std::type_identity_t<F> dflt) noexcept
	{
		a.store(f != nullptr ? f : dflt, std::memory_order_release);
	}
	template <class F>
	static F user(const std::atomic<F> &a, std::type_identity_t<F> dflt) noexcept
	{
		F f = a.load(std::memory_order_acquire);
		return f != dflt ? f : nullptr;
	}

	std::atomic<memcpy_fn> memcpy_{default_memcpy};
	std::atomic<memmove_fn> memmove_{default_memmove};
	std::atomic<memset_fn> memset_{default_memset};
};

} // namespace pmem2::masync
