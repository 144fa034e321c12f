// CRC32C by folding with AVX-512 VPCLMULQDQ: four 64-byte accumulators
// (sixteen 128-bit lanes) take 256 bytes per step, each lane carried
// forward 256 bytes by two carry-less multiplies (crc32c_poly.hpp,
// fold_constants) and XORed with the data there; at the end the four are
// folded into one, its lanes into one, and the CRC32 instruction reduces
// those 16 bytes to the CRC. Heads, tails and inputs too short to fold are
// the SSE4.2 family's. Compiled with -mavx512f -mvpclmulqdq -mpclmul
// -msse4.2; chosen when CPUID reports VPCLMULQDQ and usable AVX-512 state.
#define PMEM2_MEMOPS_ISA_NS crc_vpclmul
#include "memops/copy_crc32c.hpp"
#include "memops/crc32c_poly.hpp"

#include <immintrin.h>

namespace pmem2::memops::crc_vpclmul {
namespace {

// The pair of constants that folds a lane forward by Bytes, in every lane.
template <std::size_t Bytes>
inline __m512i fold_by() noexcept
{
	constexpr crc32c_poly::fold_pair k = crc32c_poly::fold_constants(Bytes);
	const auto hi = static_cast<long long>(k.hi_half), lo = static_cast<long long>(k.lo_half);
	return _mm512_set_epi64(lo, hi, lo, hi, lo, hi, lo, hi);
}

// x carried forward (by k's distance), plus the data there.
inline __m512i fold(__m512i x, __m512i k, __m512i data) noexcept
{
	return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(x, k, 0x00),
					 _mm512_clmulepi64_epi128(x, k, 0x11), data, 0x96);
}

// The four accumulators of a 256-byte block into the last one's place.
inline __m512i join(__m512i x0, __m512i x1, __m512i x2, __m512i x3) noexcept
{
	const __m512i k64 = fold_by<64>();
	return fold(fold(fold(x0, k64, x1), k64, x2), k64, x3);
}

// The raw CRC of the 64 bytes x stands for: lanes 0-2 carried forward over
// the 48, 32 and 16 bytes after them onto lane 3, then two CRC32
// instructions from 0 over the 16 bytes left.
inline u32 reduce(__m512i x) noexcept
{
	constexpr auto k48 = crc32c_poly::fold_constants(48);
	constexpr auto k32 = crc32c_poly::fold_constants(32);
	constexpr auto k16 = crc32c_poly::fold_constants(16);
	auto ll = [](u64 v) { return static_cast<long long>(v); };
	const __m512i k = _mm512_set_epi64(0, 0, ll(k16.lo_half), ll(k16.hi_half), ll(k32.lo_half),
					   ll(k32.hi_half), ll(k48.lo_half), ll(k48.hi_half));
	const __m512i t = _mm512_xor_si512(_mm512_clmulepi64_epi128(x, k, 0x00),
					   _mm512_clmulepi64_epi128(x, k, 0x11));
	// (Zero-masked extracts: GCC 12 warns of the undefined pass-through
	// operand of the unmasked ones and of _mm512_castsi512_si256.)
	const __m256i h = _mm256_xor_si256(_mm512_maskz_extracti64x4_epi64(0xF, t, 0),
					   _mm512_maskz_extracti64x4_epi64(0xF, t, 1));
	__m128i r = _mm_xor_si128(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
	r = _mm_xor_si128(r, _mm512_maskz_extracti32x4_epi32(0xF, x, 3));
	u64 c = _mm_crc32_u64(0, static_cast<u64>(_mm_cvtsi128_si64(r)));
	c = _mm_crc32_u64(c, static_cast<u64>(_mm_extract_epi64(r, 1)));
	return static_cast<u32>(c);
}

// The raw CRC so far enters as the first 32 bits of the message XORed
// with it (a CRC from raw equals the CRC from 0 of the message so changed).
inline __m512i with_crc(__m512i first, u32 raw) noexcept
{
	return _mm512_xor_si512(first, _mm512_zextsi128_si512(_mm_cvtsi32_si128(static_cast<int>(raw))));
}

inline __m512i load(const char *s) noexcept
{
	return _mm512_loadu_si512(s);
}

// Shorter inputs are faster with three CRC32 streams than with the setup
// and reduction of the fold.
inline constexpr std::size_t fold_min = 576;
// After the head that aligns the loads, 256 bytes are left to fold.
static_assert(fold_min >= 256 + line_size - 1);

inline u32 raw_crc(u32 raw, const char *p, std::size_t n) noexcept
{
	if (n < fold_min)
		return detail::crc32c_raw_sse42(raw, p, n);
	// Aligned loads from here: none splits a line.
	const std::size_t head = (0 - addr(p)) & (line_size - 1);
	if (head) {
		raw = detail::crc32c_raw_sse42(raw, p, head);
		p += head;
		n -= head;
	}
	__m512i x0 = with_crc(load(p), raw), x1 = load(p + 64), x2 = load(p + 128), x3 = load(p + 192);
	p += 256;
	n -= 256;
	const __m512i k256 = fold_by<256>();
	for (; n >= 256; n -= 256, p += 256) {
		x0 = fold(x0, k256, load(p));
		x1 = fold(x1, k256, load(p + 64));
		x2 = fold(x2, k256, load(p + 128));
		x3 = fold(x3, k256, load(p + 192));
	}
	__m512i x = join(x0, x1, x2, x3);
	const __m512i k64 = fold_by<64>();
	for (; n >= 64; n -= 64, p += 64)
		x = fold(x, k64, load(p));
	raw = reduce(x);
	return n ? detail::crc32c_raw_sse42(raw, p, n) : raw;
}

// Four lines stored at the line-aligned d: streamed, or stored and flushed
// after their stores.
template <class F, bool NT>
inline void store4(char *d, __m512i v0, __m512i v1, __m512i v2, __m512i v3) noexcept
{
	auto *q = reinterpret_cast<__m512i *>(d);
	if constexpr (NT) {
		_mm512_stream_si512(q, v0);
		_mm512_stream_si512(q + 1, v1);
		_mm512_stream_si512(q + 2, v2);
		_mm512_stream_si512(q + 3, v3);
	} else {
		_mm512_store_si512(q, v0);
		_mm512_store_si512(q + 1, v1);
		_mm512_store_si512(q + 2, v2);
		_mm512_store_si512(q + 3, v3);
		flush_group<F, false, 4>(d);
	}
}

struct family {
	static constexpr const char *name = "vpclmul";
	static constexpr const char *crc_name = "crc32c_vpclmul";
	static constexpr const char *copy_t_name = "copy_crc32c_t_vpclmul";
	static constexpr const char *copy_nt_name = "copy_crc32c_nt_vpclmul";

	static u32 raw(u32 raw, const char *p, std::size_t n) noexcept { return raw_crc(raw, p, n); }

	// The copy folds the lines it has in registers: the source is read
	// once, by the loads that feed both the stores and the fold.
	template <class F, bool NT>
	static u32 lines(char *&d, const char *&s, std::size_t &n, u32 raw) noexcept
	{
		if (n < 256)
			return lines_in_chunks<family, F, NT>(d, s, n, raw);
		__m512i x0 = load(s), x1 = load(s + 64), x2 = load(s + 128), x3 = load(s + 192);
		store4<F, NT>(d, x0, x1, x2, x3);
		x0 = with_crc(x0, raw);
		d += 256;
		s += 256;
		n -= 256;
		const __m512i k256 = fold_by<256>();
		for (; n >= 256; d += 256, s += 256, n -= 256) {
			if constexpr (NT) {
				// As the streaming memmove kernels do (kernels.hpp).
				_mm_prefetch(s + prefetch_ahead, _MM_HINT_NTA);
				_mm_prefetch(s + prefetch_ahead + 64, _MM_HINT_NTA);
				_mm_prefetch(s + prefetch_ahead + 128, _MM_HINT_NTA);
				_mm_prefetch(s + prefetch_ahead + 192, _MM_HINT_NTA);
			}
			const __m512i v0 = load(s), v1 = load(s + 64), v2 = load(s + 128), v3 = load(s + 192);
			store4<F, NT>(d, v0, v1, v2, v3);
			x0 = fold(x0, k256, v0);
			x1 = fold(x1, k256, v1);
			x2 = fold(x2, k256, v2);
			x3 = fold(x3, k256, v3);
		}
		__m512i x = join(x0, x1, x2, x3);
		const __m512i k64 = fold_by<64>();
		for (; n >= 64; d += 64, s += 64, n -= 64) {
			const __m512i v = load(s);
			if constexpr (NT) {
				_mm512_stream_si512(reinterpret_cast<__m512i *>(d), v);
			} else {
				_mm512_store_si512(d, v);
				F::line(d);
			}
			x = fold(x, k64, v);
		}
		return reduce(x);
	}
};

constexpr detail::crc32c_kernels set = make_crc32c_kernels<family>();

} // namespace
} // namespace pmem2::memops::crc_vpclmul

namespace pmem2::memops::detail {
const crc32c_kernels &crc32c_kernels_vpclmul() noexcept
{
	return crc_vpclmul::set;
}
} // namespace pmem2::memops::detail
