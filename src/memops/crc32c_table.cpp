// CRC32C by table lookup, slicing-by-8: eight bytes per step through eight
// 256-entry tables (crc32c_poly.hpp computes them at compile time). Any
// CPU; the reference the other families are tested against, and the
// fallback. Baseline flags only.
#define PMEM2_MEMOPS_ISA_NS crc_table
#include "memops/copy_crc32c.hpp"
#include "memops/crc32c_poly.hpp"

#include <cstring>

namespace pmem2::memops::crc_table {
namespace {

constexpr crc32c_poly::slice_tables k_tables = crc32c_poly::make_slice_tables();

struct family {
	static constexpr const char *name = "table";
	static constexpr const char *crc_name = "crc32c_table";
	static constexpr const char *copy_t_name = "copy_crc32c_t_table";
	static constexpr const char *copy_nt_name = "copy_crc32c_nt_table";

	static u32 raw(u32 c, const char *p, std::size_t n) noexcept
	{
		const auto &t = k_tables;
		const auto *q = reinterpret_cast<const unsigned char *>(p);
		for (; n >= 8; n -= 8, q += 8) {
			// Little-endian: byte 0 is followed by seven more (t[7]),
			// byte 7 by none (t[0]). The CRC so far is folded into the
			// first four bytes.
			u32 lo, hi;
			std::memcpy(&lo, q, 4);
			std::memcpy(&hi, q + 4, 4);
			lo ^= c;
			c = t[7][lo & 0xFF] ^ t[6][(lo >> 8) & 0xFF] ^ t[5][(lo >> 16) & 0xFF] ^
			    t[4][lo >> 24] ^ t[3][hi & 0xFF] ^ t[2][(hi >> 8) & 0xFF] ^
			    t[1][(hi >> 16) & 0xFF] ^ t[0][hi >> 24];
		}
		for (; n != 0; --n, ++q)
			c = (c >> 8) ^ t[0][(c ^ *q) & 0xFF];
		return c;
	}

	template <class F, bool NT>
	static u32 lines(char *&d, const char *&s, std::size_t &n, u32 raw) noexcept
	{
		return lines_in_chunks<family, F, NT>(d, s, n, raw);
	}
};

constexpr detail::crc32c_kernels set = make_crc32c_kernels<family>();

} // namespace
} // namespace pmem2::memops::crc_table

namespace pmem2::memops::detail {
const crc32c_kernels &crc32c_kernels_table() noexcept
{
	return crc_table::set;
}
} // namespace pmem2::memops::detail
