// Running a vdm operation on the CPU with plain semantics, and writing a
// range back to the persistence domain.
#include "ops.hpp"

#include <cstdint>
#include <cstring>

#include "memops/memops.hpp"

namespace pmem2::masync {

// A plain FLUSH operation, and the durable step of the DSA mover's CPU path:
// write the lines back, then order that before the completion the caller
// observes. (pmem2 futures never come here: their persistence is
// libpmem2's.)
void write_back(const void *ptr, std::size_t len) noexcept
{
	// memops' selected flush instruction and its drain (flush_arch.hpp),
	// the same on every architecture and seen by its recorder.
	memops::flush_lines(ptr, len);
	memops::fence();
}

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
		write_back(static_cast<const char *>(op.data.flush.dest) + off, len);
		break;
	}
}

} // namespace pmem2::masync
