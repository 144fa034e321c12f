// The 64-byte descriptors the DSA mover sends to a work queue and the
// 32-byte completion records the device writes back, in the layouts of
// <linux/idxd.h> (the authority; nothing here retypes them): building a
// descriptor for each vdm operation, and reading what a record says.
//
// Every descriptor requests a completion record (CRAV | RCR) and does not
// block on faults (no BOF): a page fault ends the operation early with
// PAGE_FAULT_NOBOF, the bytes done and the faulting address, and the mover
// resumes the rest. A durable operation (VDM_F_MEM_DURABLE, or libpmem2's
// durable request of durable/protocol.hpp in its flags) is written to
// memory, not the cache (CC = 0), and read back before the device completes
// it (DRDBK), so its bytes are in the persistence domain of an ADR platform
// when the record says success. Otherwise the written lines are allocated in
// the cache (CC = 1) unless VDM_F_NO_CACHE_HINT says not to.
#pragma once

#include <libminiasync/vdm.h>
#include <linux/idxd.h>

#include <cstddef>
#include <cstdint>

namespace pmem2::dsa {

static_assert(sizeof(dsa_hw_desc) == 64, "a DSA descriptor is 64 bytes");
static_assert(sizeof(dsa_completion_record) == 32, "a completion record is 32 bytes");

// A completion record where the device may write it: 32-byte aligned.
struct alignas(32) completion {
	dsa_completion_record rec;
};

// The descriptor flags for an operation with these vdm flags.
std::uint32_t desc_flags(std::uint64_t vdm_flags) noexcept;

// A zeroed descriptor of `opcode` with these flags and its record address.
dsa_hw_desc blank_desc(std::uint8_t opcode, std::uint32_t flags, completion *c) noexcept;

// MEMMOVE of n bytes (memcpy and memmove alike; the device handles
// overlapping buffers), FILL with the byte c repeated, CFLUSH of a range.
dsa_hw_desc memmove_desc(void *dst, const void *src, std::uint32_t n, std::uint64_t vdm_flags,
	completion *c) noexcept;
dsa_hw_desc fill_desc(void *dst, int c, std::uint32_t n, std::uint64_t vdm_flags,
	completion *rec) noexcept;
dsa_hw_desc cflush_desc(void *dst, std::uint32_t n, completion *c) noexcept;

// The descriptor of bytes [off, off + n) of a vdm operation, by its type
// (its work's descriptor, dsa/work.hpp).
dsa_hw_desc describe(const vdm_operation &op, std::size_t off, std::uint32_t n,
	completion *c) noexcept;

// Whether `op` is a move whose buffers overlap: the device's direction for
// it is not known, so it is neither cut into pieces nor resumed after a
// fault (the DSA path runs it on the CPU).
bool overlapping_move(const vdm_operation &op) noexcept;

enum class outcome_kind { pending, success, page_fault, error };

struct outcome {
	outcome_kind kind = outcome_kind::pending;
	std::uint8_t status = 0;		// the code, without the write bit
	std::uint32_t bytes_completed = 0;	// page_fault: done before the fault
	std::uint64_t fault_addr = 0;		// page_fault: the faulting address
	bool fault_on_write = false;		// page_fault: on the destination
};

// What the record says now. The status byte is read with acquire order:
// the device writes it last, so the rest is valid once it is non-zero.
outcome read(const completion &c) noexcept;

// "success", "page fault (no block on fault)", ...; "status 0xNN" when the
// header has no name for it.
const char *status_name(std::uint8_t status) noexcept;

} // namespace pmem2::dsa
