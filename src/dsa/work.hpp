// One operation as the device runs it, whatever its opcode: the buffers and
// values its descriptors carry, built for any piece [off, off + n) of it, and
// the result its completion records give back piece by piece. A vdm
// operation is a MEMMOVE, MEMFILL or CFLUSH work; a pmem2 batch's entries
// add MEMFILL with an 8-byte pattern, DUALCAST, CRCGEN, COPY_CRC and
// COMPARE (vdm_dml/device_batch.cpp says which entry is which).
//
// Conventions, as the device defines them (facts from the DSA
// specification as Intel's accel-config tests and public drivers use it):
//   * MEMFILL writes byte i of a descriptor's destination as byte i % 8 of
//     its pattern, counted from the descriptor's own start: the piece from
//     `off` is sent the pattern rotated right by 8 * (off % 8) bits, so a
//     piece or a resumed rest keeps the phase of the whole.
//   * DUALCAST writes the source to dst_addr and dest2; the device refuses
//     destinations whose bits 11:0 differ (callers keep those off it).
//   * CRCGEN and COPY_CRC compute CRC32C (polynomial 0x1EDC6F41, reflected
//     0x82F63B78). With none of the CRC flags set (bit 16 "read seed from
//     seed_addr", bit 17 "bypass CRC inversion and reflection", bit 18
//     "bypass data reflection"; they are not in <linux/idxd.h>) the device
//     starts from ~crc_seed and writes ~crc to the record's crc_val: the
//     zlib-style chaining of memops::crc32c, where 0 starts a CRC and a
//     result goes on as the seed of the next bytes. So crc_seed is the
//     entry's seed as given and crc_val's low 32 bits are its result, no
//     mapping; a piece after the first is seeded with the CRC so far.
//   * A CRC stopped by a page fault reports the CRC of the bytes it did in
//     crc_val (public drivers resume CRCGEN/COPY_CRC seeding the rest with
//     it, as we do); when no byte was done, the seed stands.
//   * COMPARE sets the record's result to 0 when the two sources are equal
//     and 1 when they differ, and then bytes_completed is the offset of the
//     first differing byte from the descriptor's start (how accel-config's
//     DSA tests report the mismatch index). A page fault stops it before any
//     difference was seen: the rest is compared from the offset reached.
#pragma once

#include <libminiasync/vdm.h>

#include <cstddef>
#include <cstdint>

#include "dsa/descriptor.hpp"
#include "durable/protocol.hpp"

namespace pmem2::dsa {

// The CRC flags of CRCGEN and COPY_CRC descriptors (operation-specific
// flags, bits 16-18 of the flags field; none is sent).
inline constexpr std::uint32_t crc_flag_read_seed = 1u << 16;
inline constexpr std::uint32_t crc_flag_bypass_inversion = 1u << 17;
inline constexpr std::uint32_t crc_flag_bypass_data_reflection = 1u << 18;

struct work {
	std::uint8_t opcode = DSA_OPCODE_NOOP;
	std::uint64_t vdm_flags = 0;	// durability of what it writes (desc_flags)
	char *dst = nullptr;		// MEMMOVE, MEMFILL, CFLUSH, DUALCAST, COPY_CRC
	const char *src = nullptr;	// MEMMOVE, DUALCAST, CRCGEN, COPY_CRC, COMPARE
	char *dst2 = nullptr;		// DUALCAST
	const char *src2 = nullptr;	// COMPARE
	std::uint64_t pattern = 0;	// MEMFILL: byte i of the whole is pattern >> 8 * (i % 8)
	std::uint32_t crc = 0;		// CRCGEN, COPY_CRC: the seed, then the CRC of the bytes done
	std::size_t n = 0;
	std::size_t difference = 0;	// COMPARE: the first differing offset, n while none seen
};

namespace work_detail {

inline std::uint64_t addr(const void *p) noexcept
{
	return reinterpret_cast<std::uintptr_t>(p);
}

// Whether [a, a + n) and [b, b + n) share a byte.
inline bool overlap(const void *a, const void *b, std::size_t n) noexcept
{
	const std::uint64_t x = addr(a), y = addr(b);
	return n != 0 && (x < y ? y - x < n : x - y < n);
}

} // namespace work_detail

inline work memmove_work(void *dst, const void *src, std::size_t n, std::uint64_t vdm_flags) noexcept
{
	work w;
	w.opcode = DSA_OPCODE_MEMMOVE;
	w.vdm_flags = vdm_flags;
	w.dst = static_cast<char *>(dst);
	w.src = static_cast<const char *>(src);
	w.n = n;
	return w;
}

inline work fill8_work(void *dst, std::uint64_t pattern, std::size_t n, std::uint64_t vdm_flags) noexcept
{
	work w;
	w.opcode = DSA_OPCODE_MEMFILL;
	w.vdm_flags = vdm_flags;
	w.dst = static_cast<char *>(dst);
	w.pattern = pattern;
	w.n = n;
	return w;
}

inline work cflush_work(void *dst, std::size_t n) noexcept
{
	work w;
	w.opcode = DSA_OPCODE_CFLUSH;
	w.dst = static_cast<char *>(dst);
	w.n = n;
	return w;
}

// A vdm operation's work (memcpy and memmove: MEMMOVE; memset: MEMFILL of
// the byte repeated; flush: CFLUSH), durable as its flags say.
inline work work_of(const vdm_operation &op) noexcept
{
	const std::uint64_t flags = durable::flags_of(op);
	switch (op.type) {
	case VDM_OPERATION_MEMCPY:
		return memmove_work(op.data.memcpy.dest, op.data.memcpy.src, op.data.memcpy.n, flags);
	case VDM_OPERATION_MEMMOVE:
		return memmove_work(op.data.memmove.dest, op.data.memmove.src, op.data.memmove.n, flags);
	case VDM_OPERATION_MEMSET:
		return fill8_work(op.data.memset.str,
			0x0101010101010101ULL * static_cast<unsigned char>(op.data.memset.c),
			op.data.memset.n, flags);
	case VDM_OPERATION_FLUSH:
	default:
		return cflush_work(op.data.flush.dest, op.data.flush.n);
	}
}

// Whether the device cannot take w as it is: a MEMMOVE whose buffers
// overlap (its direction is not known to resume it), a DUALCAST whose
// destinations differ in bits 11:0 or overlap the source or each other, a
// COPY_CRC whose buffers overlap.
inline bool device_refuses(const work &w) noexcept
{
	switch (w.opcode) {
	case DSA_OPCODE_MEMMOVE:
	case DSA_OPCODE_COPY_CRC:
		return work_detail::overlap(w.dst, w.src, w.n);
	case DSA_OPCODE_DUALCAST:
		return ((work_detail::addr(w.dst) ^ work_detail::addr(w.dst2)) & 0xfff) != 0 || work_detail::overlap(w.dst, w.src, w.n) ||
			work_detail::overlap(w.dst2, w.src, w.n) || work_detail::overlap(w.dst, w.dst2, w.n);
	default:
		return false;
	}
}

work dualcast_work(void *dst, void *dst2, const void *src, std::size_t n,
	std::uint64_t vdm_flags) noexcept;
work crcgen_work(const void *src, std::size_t n, std::uint32_t seed) noexcept;
work copy_crc_work(void *dst, const void *src, std::size_t n, std::uint32_t seed,
	std::uint64_t vdm_flags) noexcept;
work compare_work(const void *a, const void *b, std::size_t n) noexcept;



// The descriptor of bytes [off, off + n) of w, with w's CRC so far as the
// seed of a CRC.
dsa_hw_desc describe(const work &w, std::size_t off, std::uint32_t n, completion *c) noexcept;

// A piece of w from `off` ended with record c, successfully or stopped by a
// page fault: takes its result into w (the CRC so far; the first
// difference). True when the rest need not run (the sources differ).
bool take_result(work &w, std::size_t off, const completion &c) noexcept;

} // namespace pmem2::dsa
