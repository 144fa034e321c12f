#include "dsa/work.hpp"

namespace pmem2::dsa {
namespace {

using work_detail::addr;

// The pattern a piece starting at byte `off` of a fill is sent: byte i of
// the piece is byte (off + i) % 8 of the whole's pattern.
std::uint64_t pattern_from(std::uint64_t pattern, std::size_t off) noexcept
{
	const unsigned bits = 8 * static_cast<unsigned>(off % 8);
	return bits == 0 ? pattern : pattern >> bits | pattern << (64 - bits);
}

} // namespace




work dualcast_work(void *dst, void *dst2, const void *src, std::size_t n,
	std::uint64_t vdm_flags) noexcept
{
	work w = memmove_work(dst, src, n, vdm_flags);
	w.opcode = DSA_OPCODE_DUALCAST;
	w.dst2 = static_cast<char *>(dst2);
	return w;
}

work crcgen_work(const void *src, std::size_t n, std::uint32_t seed) noexcept
{
	work w;
	w.opcode = DSA_OPCODE_CRCGEN;
	w.src = static_cast<const char *>(src);
	w.crc = seed;
	w.n = n;
	return w;
}

work copy_crc_work(void *dst, const void *src, std::size_t n, std::uint32_t seed,
	std::uint64_t vdm_flags) noexcept
{
	work w = memmove_work(dst, src, n, vdm_flags);
	w.opcode = DSA_OPCODE_COPY_CRC;
	w.crc = seed;
	return w;
}

work compare_work(const void *a, const void *b, std::size_t n) noexcept
{
	work w;
	w.opcode = DSA_OPCODE_COMPARE;
	w.src = static_cast<const char *>(a);
	w.src2 = static_cast<const char *>(b);
	w.n = n;
	w.difference = n;
	return w;
}



dsa_hw_desc describe(const work &w, std::size_t off, std::uint32_t n, completion *c) noexcept
{
	// What only reads (CRCGEN, COMPARE) has no destination to place in
	// the cache or read back: the record alone.
	const std::uint32_t record = IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;
	dsa_hw_desc d;
	switch (w.opcode) {
	case DSA_OPCODE_MEMMOVE:
		return memmove_desc(w.dst + off, w.src + off, n, w.vdm_flags, c);
	case DSA_OPCODE_MEMFILL:
		d = blank_desc(DSA_OPCODE_MEMFILL, desc_flags(w.vdm_flags), c);
		d.pattern = pattern_from(w.pattern, off);
		d.dst_addr = addr(w.dst + off);
		break;
	case DSA_OPCODE_DUALCAST:
		d = blank_desc(DSA_OPCODE_DUALCAST, desc_flags(w.vdm_flags), c);
		d.src_addr = addr(w.src + off);
		d.dst_addr = addr(w.dst + off);
		d.dest2 = addr(w.dst2 + off);
		break;
	case DSA_OPCODE_CRCGEN:
		d = blank_desc(DSA_OPCODE_CRCGEN, record, c);
		d.src_addr = addr(w.src + off);
		d.crc_seed = w.crc;
		break;
	case DSA_OPCODE_COPY_CRC:
		d = blank_desc(DSA_OPCODE_COPY_CRC, desc_flags(w.vdm_flags), c);
		d.src_addr = addr(w.src + off);
		d.dst_addr = addr(w.dst + off);
		d.crc_seed = w.crc;
		break;
	case DSA_OPCODE_COMPARE:
		d = blank_desc(DSA_OPCODE_COMPARE, record, c);
		d.src_addr = addr(w.src + off);
		d.src2_addr = addr(w.src2 + off);
		d.expected_res = 0;
		break;
	case DSA_OPCODE_CFLUSH:
	default:
		return cflush_desc(w.dst + off, n, c);
	}
	d.xfer_size = n;
	return d;
}

bool take_result(work &w, std::size_t off, const completion &c) noexcept
{
	if (w.opcode != DSA_OPCODE_CRCGEN && w.opcode != DSA_OPCODE_COPY_CRC &&
	    w.opcode != DSA_OPCODE_COMPARE)
		return false;	// no result in the record
	const outcome o = read(c);
	switch (w.opcode) {
	case DSA_OPCODE_CRCGEN:
	case DSA_OPCODE_COPY_CRC:
		if (o.kind == outcome_kind::success ||
		    (o.kind == outcome_kind::page_fault && o.bytes_completed != 0))
			w.crc = static_cast<std::uint32_t>(c.rec.crc_val);
		return false;
	case DSA_OPCODE_COMPARE:
		if (o.kind == outcome_kind::success && c.rec.result != 0) {
			w.difference = off + c.rec.bytes_completed;
			return true;
		}
		return false;
	default:
		return false;
	}
}

} // namespace pmem2::dsa
