// CRC32C with the ARMv8 CRC32 extension: CRC32CX over 8 bytes at a time,
// then CRC32CW/CH/CB for the last 4, 2 and 1. The instructions compute the
// raw CRC of crc32c_poly.hpp (reflected, no conditioning), as SSE4.2's
// CRC32 does. One stream: joining independent streams, as the SSE4.2 family
// does, needs a carry-less multiply (PMULL, HWCAP_PMULL), which this family
// does not require. The copy takes the CRC of each chunk from L1 right
// after copying it (copy_crc32c.hpp, lines_in_chunks). Compiled with
// -march=armv8-a+crc only; chosen when the kernel reports HWCAP_CRC32
// (crc32c_families_aarch64.cpp).
#define PMEM2_MEMOPS_ISA_NS crc_armv8
#include "memops/copy_crc32c.hpp"

#include <arm_acle.h>

#include <cstring>

namespace pmem2::memops::crc_armv8 {
namespace {

template <class T>
inline T load(const char *p) noexcept
{
	T v;
	std::memcpy(&v, p, sizeof v);
	return v;
}

struct family {
	static constexpr const char *name = "armv8";
	static constexpr const char *crc_name = "crc32c_armv8";
	static constexpr const char *copy_t_name = "copy_crc32c_t_armv8";
	static constexpr const char *copy_nt_name = "copy_crc32c_nt_armv8";

	static u32 raw(u32 c, const char *p, std::size_t n) noexcept
	{
		for (; n >= 8; n -= 8, p += 8)
			c = __crc32cd(c, load<u64>(p));
		if (n & 4) {
			c = __crc32cw(c, load<u32>(p));
			p += 4;
		}
		if (n & 2) {
			c = __crc32ch(c, load<u16>(p));
			p += 2;
		}
		if (n & 1)
			c = __crc32cb(c, static_cast<std::uint8_t>(*p));
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
} // namespace pmem2::memops::crc_armv8

namespace pmem2::memops::detail {
const crc32c_kernels &crc32c_kernels_armv8() noexcept
{
	return crc_armv8::set;
}
} // namespace pmem2::memops::detail
