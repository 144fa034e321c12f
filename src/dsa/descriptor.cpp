#include "dsa/descriptor.hpp"

#include <libminiasync/vdm.h>

#include <cstdio>
#include <cstring>

#include "dsa/work.hpp"
#include "durable/protocol.hpp"

namespace pmem2::dsa {
namespace {

std::uint64_t addr(const void *p) noexcept
{
	return reinterpret_cast<std::uintptr_t>(p);
}

} // namespace

dsa_hw_desc blank_desc(std::uint8_t opcode, std::uint32_t flags, completion *c) noexcept
{
	dsa_hw_desc d;
	std::memset(&d, 0, sizeof(d));
	d.opcode = opcode;
	d.flags = flags & 0xffffffu;
	d.completion_addr = addr(&c->rec);
	return d;
}

std::uint32_t desc_flags(std::uint64_t vdm_flags) noexcept
{
	std::uint32_t f = IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;
	if ((vdm_flags & VDM_F_MEM_DURABLE) || durable::is_request(vdm_flags))
		return f | IDXD_OP_FLAG_DRDBK;	// CC = 0: to memory
	if (!(vdm_flags & VDM_F_NO_CACHE_HINT))
		f |= IDXD_OP_FLAG_CC;
	return f;
}

dsa_hw_desc memmove_desc(void *dst, const void *src, std::uint32_t n, std::uint64_t vdm_flags,
	completion *c) noexcept
{
	dsa_hw_desc d = blank_desc(DSA_OPCODE_MEMMOVE, desc_flags(vdm_flags), c);
	d.src_addr = addr(src);
	d.dst_addr = addr(dst);
	d.xfer_size = n;
	return d;
}

dsa_hw_desc fill_desc(void *dst, int c, std::uint32_t n, std::uint64_t vdm_flags,
	completion *rec) noexcept
{
	dsa_hw_desc d = blank_desc(DSA_OPCODE_MEMFILL, desc_flags(vdm_flags), rec);
	d.pattern = 0x0101010101010101ULL * static_cast<unsigned char>(c);
	d.dst_addr = addr(dst);
	d.xfer_size = n;
	return d;
}

dsa_hw_desc cflush_desc(void *dst, std::uint32_t n, completion *c) noexcept
{
	dsa_hw_desc d = blank_desc(DSA_OPCODE_CFLUSH, IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR, c);
	d.dst_addr = addr(dst);
	d.xfer_size = n;
	return d;
}

dsa_hw_desc describe(const vdm_operation &op, std::size_t off, std::uint32_t n,
	completion *c) noexcept
{
	return describe(work_of(op), off, n, c);
}

bool overlapping_move(const vdm_operation &op) noexcept
{
	if (op.type != VDM_OPERATION_MEMMOVE || op.data.memmove.n == 0)
		return false;
	const auto d = reinterpret_cast<std::uintptr_t>(op.data.memmove.dest);
	const auto s = reinterpret_cast<std::uintptr_t>(op.data.memmove.src);
	const std::size_t n = op.data.memmove.n;
	return d < s ? s - d < n : d - s < n;
}

outcome read(const completion &c) noexcept
{
	outcome o;
	const std::uint8_t raw = __atomic_load_n(
		const_cast<const std::uint8_t *>(&c.rec.status), __ATOMIC_ACQUIRE);
	o.status = raw & DSA_COMP_STATUS_MASK;
	switch (o.status) {
	case DSA_COMP_NONE:
		o.kind = outcome_kind::pending;
		break;
	case DSA_COMP_SUCCESS:
		o.kind = outcome_kind::success;
		break;
	case DSA_COMP_PAGE_FAULT_NOBOF:
		o.kind = outcome_kind::page_fault;
		o.bytes_completed = c.rec.bytes_completed;
		o.fault_addr = c.rec.fault_addr;
		o.fault_on_write = (raw & DSA_COMP_STATUS_WRITE) != 0;
		break;
	default:
		o.kind = outcome_kind::error;
		o.bytes_completed = c.rec.bytes_completed;
		break;
	}
	return o;
}

const char *status_name(std::uint8_t status) noexcept
{
	switch (status & DSA_COMP_STATUS_MASK) {
	case DSA_COMP_NONE: return "none (not written yet)";
	case DSA_COMP_SUCCESS: return "success";
	case DSA_COMP_SUCCESS_PRED: return "success with false predicate";
	case DSA_COMP_PAGE_FAULT_NOBOF: return "page fault (no block on fault)";
	case DSA_COMP_PAGE_FAULT_IR: return "page fault (interrupt on resolve)";
	case DSA_COMP_BATCH_FAIL: return "batch failed";
	case DSA_COMP_BATCH_PAGE_FAULT: return "page fault reading the batch list";
	case DSA_COMP_BAD_OPCODE: return "unsupported operation code";
	case DSA_COMP_INVALID_FLAGS: return "invalid flags";
	case DSA_COMP_NOZERO_RESERVE: return "non-zero reserved field";
	case DSA_COMP_XFER_ERANGE: return "transfer size out of range";
	case DSA_COMP_DESC_CNT_ERANGE: return "descriptor count out of range";
	case DSA_COMP_OVERLAP_BUFFERS: return "overlapping buffers";
	case DSA_COMP_DESCLIST_ALIGN: return "misaligned descriptor list";
	case DSA_COMP_CRA_XLAT: return "completion record address translation failed";
	case DSA_COMP_CRA_ALIGN: return "misaligned completion record";
	case DSA_COMP_ADDR_ALIGN: return "misaligned address";
	case DSA_COMP_PRIV_BAD: return "privileged request refused";
	case DSA_COMP_PFAULT_RDBA: return "page fault on the readback address";
	case DSA_COMP_HW_ERR1: return "hardware error";
	case DSA_COMP_HW_ERR_DRB: return "hardware error on destination readback";
	case DSA_COMP_TRANSLATION_FAIL: return "address translation failed";
	}
	static thread_local char other[16];
	std::snprintf(other, sizeof(other), "status 0x%02x", status & DSA_COMP_STATUS_MASK);
	return other;
}

} // namespace pmem2::dsa
