// CRC32C with the SSE4.2 CRC32 instruction. One instruction per 8 bytes
// has a latency of about three cycles and a throughput of one per cycle,
// so long inputs run as three independent streams (rounds of three
// equal blocks) whose CRCs are joined by carry-less multiplication
// (PCLMULQDQ): the first two are moved forward over the bytes after them
// (crc32c_poly.hpp, shift_constant) and all three XORed. The copy feeds
// the streams the lines it has just loaded. Compiled with -msse4.2
// -mpclmul; chosen when CPUID reports both.
#define PMEM2_MEMOPS_ISA_NS crc_sse42
#include "memops/copy_crc32c.hpp"
#include "memops/crc32c_poly.hpp"

#include <nmmintrin.h>
#include <wmmintrin.h>

#include <cstring>

namespace pmem2::memops::crc_sse42 {
namespace {

inline u64 load64(const char *p) noexcept
{
	u64 v;
	std::memcpy(&v, p, 8);
	return v;
}

// One stream, the instruction's latency per 8 bytes.
inline u32 serial(u32 raw, const char *p, std::size_t n) noexcept
{
	u64 c = raw;
	for (; n >= 8; n -= 8, p += 8)
		c = _mm_crc32_u64(c, load64(p));
	u32 c32 = static_cast<u32>(c);
	if (n & 4) {
		u32 v;
		std::memcpy(&v, p, 4);
		c32 = _mm_crc32_u32(c32, v);
		p += 4;
	}
	if (n & 2) {
		u16 v;
		std::memcpy(&v, p, 2);
		c32 = _mm_crc32_u16(c32, v);
		p += 2;
	}
	if (n & 1)
		c32 = _mm_crc32_u8(c32, static_cast<unsigned char>(*p));
	return c32;
}

// CRC(A||B||C) of three blocks of B bytes from the raw CRCs a (of A, from
// the CRC before it), b and c (of B and C, from 0): A * x^(16B) + B *
// x^(8B) + C. Both products in one register pair, one CRC32 instruction to
// reduce their sum (it is linear).
template <std::size_t B>
inline u32 join3(u64 a, u64 b, u64 c) noexcept
{
	constexpr u64 ka = crc32c_poly::shift_constant(2 * B);
	constexpr u64 kb = crc32c_poly::shift_constant(B);
	const __m128i k = _mm_set_epi64x(static_cast<long long>(kb), static_cast<long long>(ka));
	const __m128i ab = _mm_set_epi64x(static_cast<long long>(b), static_cast<long long>(a));
	const __m128i sum = _mm_xor_si128(_mm_clmulepi64_si128(ab, k, 0x00),
					  _mm_clmulepi64_si128(ab, k, 0x11));
	return static_cast<u32>(_mm_crc32_u64(0, static_cast<u64>(_mm_cvtsi128_si64(sum)))) ^
	       static_cast<u32>(c);
}

// raw * x^(8 * Bytes): raw moved forward over Bytes bytes.
template <std::size_t Bytes>
inline u32 shift(u32 raw) noexcept
{
	constexpr u64 k = crc32c_poly::shift_constant(Bytes);
	const __m128i p = _mm_clmulepi64_si128(_mm_cvtsi32_si128(static_cast<int>(raw)),
					       _mm_cvtsi64_si128(static_cast<long long>(k)), 0x00);
	return static_cast<u32>(_mm_crc32_u64(0, static_cast<u64>(_mm_cvtsi128_si64(p))));
}

// Three blocks of B bytes, one instruction of each stream per step so the
// three chains overlap. All three start from 0 and the CRC before them is
// moved over them apart, so a round does not wait for the one before.
template <std::size_t B>
inline u32 three_way(u32 raw, const char *p) noexcept
{
	static_assert(B % 8 == 0);
	u64 a = 0, b = 0, c = 0;
#pragma GCC unroll 8
	for (std::size_t i = 0; i < B; i += 8) {
		a = _mm_crc32_u64(a, load64(p + i));
		b = _mm_crc32_u64(b, load64(p + B + i));
		c = _mm_crc32_u64(c, load64(p + 2 * B + i));
	}
	return shift<3 * B>(raw) ^ join3<B>(a, b, c);
}

// One line copied to the line-aligned d (streamed, or stored and flushed)
// and fed to the stream c.
template <class F, bool NT>
inline u64 copy_crc_line(char *d, const char *s, u64 c) noexcept
{
	copy_group<crc_lines, NT, false, 1>(d, s);
	if constexpr (!NT)
		F::line(d);
#pragma GCC unroll 8
	for (std::size_t i = 0; i < line_size; i += 8)
		c = _mm_crc32_u64(c, load64(s + i));
	return c;
}

// three_way over 3B bytes copied to the line-aligned d at the same time.
template <class F, bool NT, std::size_t B>
inline u32 copy_three_way(char *d, const char *s, u32 raw) noexcept
{
	static_assert(B % line_size == 0);
	u64 a = raw, b = 0, c = 0;
	for (std::size_t i = 0; i < B; i += line_size) {
		a = copy_crc_line<F, NT>(d + i, s + i, a);
		b = copy_crc_line<F, NT>(d + B + i, s + B + i, b);
		c = copy_crc_line<F, NT>(d + 2 * B + i, s + 2 * B + i, c);
	}
	return join3<B>(a, b, c);
}

// Rounds of 3 KiB, then of 768 and 192 bytes for what is left: the join
// (about ten cycles of latency) stays a few percent of a round.
inline u32 raw_crc(u32 raw, const char *p, std::size_t n) noexcept
{
	for (; n >= 3 * 1024; n -= 3 * 1024, p += 3 * 1024)
		raw = three_way<1024>(raw, p);
	for (; n >= 3 * 256; n -= 3 * 256, p += 3 * 256)
		raw = three_way<256>(raw, p);
	for (; n >= 3 * 64; n -= 3 * 64, p += 3 * 64)
		raw = three_way<64>(raw, p);
	if (n >= 3 * 32) {
		raw = three_way<32>(raw, p);
		n -= 3 * 32;
		p += 3 * 32;
	}
	return serial(raw, p, n);
}

struct family {
	static constexpr const char *name = "sse42";
	static constexpr const char *crc_name = "crc32c_sse42";
	static constexpr const char *copy_t_name = "copy_crc32c_t_sse42";
	static constexpr const char *copy_nt_name = "copy_crc32c_nt_sse42";

	static u32 raw(u32 raw, const char *p, std::size_t n) noexcept { return raw_crc(raw, p, n); }

	// Rounds as raw_crc's, copying while they run: each step copies one
	// line of each of the three blocks and feeds the same lines, just
	// loaded, to the three streams, so the CRC32 instructions overlap the
	// stores instead of following them. What is left after the rounds
	// goes in chunks.
	template <class F, bool NT>
	static u32 lines(char *&d, const char *&s, std::size_t &n, u32 raw) noexcept
	{
		for (; n >= 3 * 1024; d += 3 * 1024, s += 3 * 1024, n -= 3 * 1024)
			raw = copy_three_way<F, NT, 1024>(d, s, raw);
		for (; n >= 3 * 256; d += 3 * 256, s += 3 * 256, n -= 3 * 256)
			raw = copy_three_way<F, NT, 256>(d, s, raw);
		return lines_in_chunks<family, F, NT>(d, s, n, raw);
	}
};

constexpr detail::crc32c_kernels set = make_crc32c_kernels<family>();

} // namespace
} // namespace pmem2::memops::crc_sse42

namespace pmem2::memops::detail {
const crc32c_kernels &crc32c_kernels_sse42() noexcept
{
	return crc_sse42::set;
}

std::uint32_t crc32c_raw_sse42(std::uint32_t raw, const char *p, std::size_t n) noexcept
{
	return crc_sse42::raw_crc(raw, p, n);
}
} // namespace pmem2::memops::detail
