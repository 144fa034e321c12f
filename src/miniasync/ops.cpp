#include "ops.hpp"

#include <cstring>

#include "memops/memops.hpp"

namespace pmem2::masync {

void run_plain(const vdm_operation &op, std::size_t off, std::size_t len) noexcept
{
	if (len == 0)
		return;
	switch (op.type) {
	case VDM_OPERATION_MEMCPY:
		std::memcpy(static_cast<char *>(op.data.memcpy.dest) + off,
			static_cast<const char *>(op.data.memcpy.src) + off, len);
		break;
	case VDM_OPERATION_MEMMOVE:
		std::memmove(static_cast<char *>(op.data.memmove.dest) + off,
			static_cast<const char *>(op.data.memmove.src) + off, len);
		break;
	case VDM_OPERATION_MEMSET:
		std::memset(static_cast<char *>(op.data.memset.str) + off,
			op.data.memset.c, len);
		break;
	case VDM_OPERATION_FLUSH:
		memops::flush_lines(static_cast<const char *>(op.data.flush.dest) + off, len);
		// The flushes are ordered before the completion the caller observes.
		memops::fence();
		break;
	}
}

} // namespace pmem2::masync
