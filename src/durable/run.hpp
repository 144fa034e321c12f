// Running a durable operation's bytes on the calling thread: the one
// per-operation switch (memcpy, memmove, memset, flush) of the movers that
// make data durable themselves, libpmem2's default mover and libminiasync's
// threads mover. Like protocol.hpp it holds no state and links nothing:
// each library instantiates run_range with its own way to libpmem2's
// kernels (direct calls inside libpmem2, durable/services.hpp's
// direct_kernels; the guard's `services` table from libminiasync, which so
// never links the kernels), and the instantiation resolves the choice, so
// neither pays for the other's.
//
// A user's copy function (the threads mover's hooks) copies instead of the
// kernels; libpmem2 then persists the bytes it wrote, so they are durable
// all the same.
#pragma once

#include <libminiasync/vdm.h>

#include <cstddef>

#include "durable/batch.hpp"
#include "durable/protocol.hpp"

namespace pmem2::durable {

// The user's functions, as data_mover_threads_set_mem*_fn takes them:
// the last argument is the vdm flag word (VDM_F_*).
using copy_hook = void *(*)(void *dst, const void *src, std::size_t n, unsigned flags);
using fill_hook = void *(*)(void *str, int c, std::size_t n, unsigned flags);

// No user functions: the kernels copy.
struct no_hooks {
	static constexpr copy_hook memcpy() noexcept { return nullptr; }
	static constexpr copy_hook memmove() noexcept { return nullptr; }
	static constexpr fill_hook memset() noexcept { return nullptr; }
};

// Which bytes of the operation run: all of them (the default mover) or the
// chunk [off, off + n) (the threads mover, which cuts operations).
struct whole_op {
	static constexpr std::size_t off = 0;
	static constexpr std::size_t length(std::size_t op_length) noexcept { return op_length; }
};
struct op_chunk {
	std::size_t off;
	std::size_t n;
	std::size_t length(std::size_t) const noexcept { return n; }
};

// The bytes `part` names of `op`, durable when it returns. `k` holds
// libpmem2's kernels with the services table's signatures: k.move, k.fill
// and k.persist, each 0 or the -errno of a failed page sync. `h` names the
// user's function for each type (h.memcpy(), h.memmove(), h.memset()), or
// nullptr where the kernels copy. status_refused, nothing written, for a
// type no mover knows.
template <class Kernels, class Part, class Hooks = no_hooks>
int run_range(const vdm_operation &op, const Part &part, const request &r,
	const Kernels &k, const Hooks &h = {}) noexcept
{
	switch (op.type) {
	case VDM_OPERATION_MEMCPY: {
		char *dst = static_cast<char *>(op.data.memcpy.dest) + part.off;
		const char *src = static_cast<const char *>(op.data.memcpy.src) + part.off;
		std::size_t n = part.length(op.data.memcpy.n);
		if (copy_hook f = h.memcpy(); f != nullptr) {
			f(dst, src, n, unsigned(op.data.memcpy.flags & VDM_F_VALID_FLAGS));
			return k.persist(dst, n, r);
		}
		return k.move(dst, src, n, r);
	}
	case VDM_OPERATION_MEMMOVE: {
		char *dst = static_cast<char *>(op.data.memmove.dest) + part.off;
		const char *src = static_cast<const char *>(op.data.memmove.src) + part.off;
		std::size_t n = part.length(op.data.memmove.n);
		if (copy_hook f = h.memmove(); f != nullptr) {
			f(dst, src, n, unsigned(op.data.memmove.flags & VDM_F_VALID_FLAGS));
			return k.persist(dst, n, r);
		}
		return k.move(dst, src, n, r);
	}
	case VDM_OPERATION_MEMSET: {
		char *dst = static_cast<char *>(op.data.memset.str) + part.off;
		std::size_t n = part.length(op.data.memset.n);
		if (fill_hook f = h.memset(); f != nullptr) {
			f(dst, op.data.memset.c, n, unsigned(op.data.memset.flags & VDM_F_VALID_FLAGS));
			return k.persist(dst, n, r);
		}
		return k.fill(dst, op.data.memset.c, n, r);
	}
	case VDM_OPERATION_FLUSH:
		if (is_batch(op)) {
			// The part names entries: [off, off + n) of them (a mover may
			// cut a batch without fences between its workers).
			const batch_op b = batch_of(op);
			return k.batch(b.entries + part.off, part.length(b.count), r);
		}
		return k.persist(static_cast<char *>(op.data.flush.dest) + part.off,
			part.length(op.data.flush.n), r);
	}
	return status_refused;
}

} // namespace pmem2::durable
