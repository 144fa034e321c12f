// The threads mover's default copy functions and the running of a chunk,
// plain or durable (see hooks.hpp).
#include "hooks.hpp"

#include <cstring>

#include "durable/protocol.hpp"
#include "durable/run.hpp"
#include "ops.hpp"

namespace pmem2::masync {

void *default_memcpy(void *dst, const void *src, std::size_t n, unsigned) noexcept
{
	return n != 0 ? std::memcpy(dst, src, n) : dst;
}

void *default_memmove(void *dst, const void *src, std::size_t n, unsigned) noexcept
{
	return n != 0 ? std::memmove(dst, src, n) : dst;
}

void *default_memset(void *str, int c, std::size_t n, unsigned) noexcept
{
	return n != 0 ? std::memset(str, c, n) : str;
}

int mover_hooks::run(const vdm_operation &op, std::size_t off, std::size_t part,
	const durable::services *svc) const noexcept
{
	if (svc == nullptr) {
		run_plain_range(op, off, part);
		return 0;
	}
	// The copy and its persistence happen here, on this thread, with
	// libpmem2's kernels; a user hook copies, then libpmem2 persists.
	if (part == 0)
		return 0;
	return durable::run_range(op, durable::op_chunk{off, part},
		durable::unpack(durable::flags_of(op)), *svc, *this);
}

void mover_hooks::run_plain_range(const vdm_operation &op, std::size_t off,
	std::size_t part) const noexcept
{
	if (op.type == VDM_OPERATION_FLUSH) {
		run_plain(op, off, part);
		return;
	}
	// memcpy and memmove share the union layout (dest, src, n, flags).
	char *dst = static_cast<char *>(op_dest(op)) + off;
	auto uflags = unsigned(durable::flags_of(op));
	switch (op.type) {
	case VDM_OPERATION_MEMCPY:
		memcpy_.load(std::memory_order_acquire)(dst,
			static_cast<const char *>(op.data.memcpy.src) + off, part, uflags);
		break;
	case VDM_OPERATION_MEMMOVE:
		memmove_.load(std::memory_order_acquire)(dst,
			static_cast<const char *>(op.data.memmove.src) + off, part, uflags);
		break;
	default:
		memset_.load(std::memory_order_acquire)(dst, op.data.memset.c, part, uflags);
		break;
	}
}

} // namespace pmem2::masync
