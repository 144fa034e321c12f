// Executing one vdm operation (or a byte range of it) for the movers.
#pragma once

#include <libminiasync/vdm.h>

#include <cstddef>
#include <cstdint>

namespace pmem2::masync {

// The byte range [off, off + len) of an operation, with plain semantics:
// libc for copies and fills, flush + fence for FLUSH.
void run_plain(const vdm_operation &op, std::size_t off, std::size_t len) noexcept;

// Writes the cache lines of [ptr, ptr + len) back (CLWB, else CLFLUSHOPT,
// else CLFLUSH) and fences: the range is in the persistence domain of a
// platform with ADR when this returns.
void write_back(const void *ptr, std::size_t len) noexcept;

// The length an operation covers.
inline std::size_t op_length(const vdm_operation &op) noexcept
{
	switch (op.type) {
	case VDM_OPERATION_MEMCPY: return op.data.memcpy.n;
	case VDM_OPERATION_MEMMOVE: return op.data.memmove.n;
	case VDM_OPERATION_MEMSET: return op.data.memset.n;
	case VDM_OPERATION_FLUSH: return op.data.flush.n;
	}
	return 0;
}

// The address an operation writes (or flushes) from.
inline void *op_dest(const vdm_operation &op) noexcept
{
	switch (op.type) {
	case VDM_OPERATION_MEMCPY: return op.data.memcpy.dest;
	case VDM_OPERATION_MEMMOVE: return op.data.memmove.dest;
	case VDM_OPERATION_MEMSET: return op.data.memset.str;
	case VDM_OPERATION_FLUSH: return op.data.flush.dest;
	}
	return nullptr;
}

// What op_delete reports for a finished operation.
inline void fill_output(const vdm_operation &op, vdm_operation_result result,
	vdm_operation_output *out) noexcept
{
	out->type = op.type;
	out->result = result;
	switch (op.type) {
	case VDM_OPERATION_MEMCPY: out->output.memcpy.dest = op.data.memcpy.dest; break;
	case VDM_OPERATION_MEMMOVE: out->output.memmove.dest = op.data.memmove.dest; break;
	case VDM_OPERATION_MEMSET: out->output.memset.str = op.data.memset.str; break;
	case VDM_OPERATION_FLUSH: out->output.flush.unused = 0; break;
	}
}

} // namespace pmem2::masync
