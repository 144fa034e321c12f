// A batch of durable operations as it travels to a mover (pmem2_batch_async,
// <libpmem2/batch.h>): one vdm operation, marked as a batch in its flags,
// whose data names an array of entries, with the request and the map guard where every
// durable operation has them (protocol.hpp). Like protocol.hpp it holds
// types and constants only and is included by both libraries; only movers
// that honour the request (protocol.hpp's identity checks) are ever given
// one, and they run it through the services table's `batch` function, so
// what an entry means is written once, in libpmem2.
#pragma once

#include <libminiasync/vdm.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace pmem2::durable {

enum class entry_kind : std::uint32_t {
	copy,		// memcpy: dest, src, n (buffers do not overlap)
	move,		// memmove: dest, src, n
	fill,		// memset: dest, c, n
	persist,	// make [dest, dest + n), written earlier, durable
	fence,		// entries after it start after every entry before it ended
	fill8,		// dest, n: the 8-byte `value` repeated (byte i is value >> 8 * (i % 8))
	dualcast,	// src, n copied to dest and dest2 (neither overlapping src)
	crc32c,		// *(uint32_t *)out = CRC32C of [src, src + n) chained from `value`
	copy_crc32c,	// copy (durable) and *(uint32_t *)out = CRC32C of the bytes written
	compare,	// *(size_t *)out = first offset where src and src2 differ, n if none
};

struct batch_entry {
	entry_kind kind;
	unsigned hints;		// PMEM2_F_MEM_* (NONTEMPORAL, TEMPORAL, WC, WB)
	void *dest;
	const void *src;
	int c;
	std::size_t n;
	void *dest2 = nullptr;		// dualcast
	const void *src2 = nullptr;	// compare
	void *out = nullptr;		// crc32c, copy_crc32c, compare
	std::uint64_t value = 0;	// fill8: the pattern; crc32c, copy_crc32c: the seed
};

// Whether the entry writes into the map (the others read, or only flush).
inline bool writes_map(entry_kind k) noexcept
{
	return k == entry_kind::copy || k == entry_kind::move || k == entry_kind::fill ||
		k == entry_kind::fill8 || k == entry_kind::dualcast || k == entry_kind::copy_crc32c;
}

// A batch is a VDM_OPERATION_FLUSH whose flags carry the request and
// f_batch; its data is laid out as vdm_operation_data_flush with the
// entries where the flush's dest is and their count where its n is (a mover
// that took it for a flush would flush the entry array, never write), and
// the bytes the entries write after the flags, below the guard pointer.
inline constexpr std::uint64_t f_batch = std::uint64_t(1) << 62;

struct batch_op {
	const batch_entry *entries;
	std::size_t count;
	std::uint64_t flags;	// the request, as pack() makes it, | f_batch
	std::size_t bytes;	// the entries' n summed (the work's size)
};
static_assert(sizeof(batch_op) == 32);
static_assert(offsetof(batch_op, flags) == offsetof(vdm_operation_data_flush, flags));

inline bool is_batch(const vdm_operation &op) noexcept
{
	return op.type == VDM_OPERATION_FLUSH && (op.data.flush.flags & f_batch) != 0;
}
inline batch_op batch_of(const vdm_operation &op) noexcept
{
	batch_op b;
	std::memcpy(&b, &op.data, sizeof(b));
	return b;
}
inline void set_batch(vdm_operation &op, const batch_op &b) noexcept
{
	op.type = VDM_OPERATION_FLUSH;
	std::memcpy(&op.data, &b, sizeof(b));
}

} // namespace pmem2::durable
