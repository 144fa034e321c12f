// The few stores below a line that the kernel loops (kernels.hpp,
// pieces.hpp) spell per architecture: 16-byte copies and fills, the
// streaming stores of line-aligned tails, and the non-temporal prefetch.
// x86-64 uses SSE2 (the baseline); other architectures plain stores
// (POWER has no streaming stores in the user ISA). Internal to src/memops.
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <emmintrin.h>
#include <xmmintrin.h>
#endif

namespace pmem2::memops::detail {

#if defined(__x86_64__)

inline void copy16(char *d, const char *s) noexcept
{
	_mm_storeu_si128(reinterpret_cast<__m128i *>(d),
			 _mm_loadu_si128(reinterpret_cast<const __m128i *>(s)));
}
// Both 16-byte windows loaded before either is stored (overlap-safe).
inline void copy16_pair(char *d1, const char *s1, char *d2, const char *s2) noexcept
{
	__m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i *>(s1));
	__m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i *>(s2));
	_mm_storeu_si128(reinterpret_cast<__m128i *>(d1), a);
	_mm_storeu_si128(reinterpret_cast<__m128i *>(d2), b);
}
inline void fill16(char *d, std::uint64_t pattern) noexcept
{
	_mm_storeu_si128(reinterpret_cast<__m128i *>(d), _mm_set1_epi64x(static_cast<long long>(pattern)));
}
inline void stream16_copy(char *d, const char *s) noexcept
{
	_mm_stream_si128(reinterpret_cast<__m128i *>(d),
			 _mm_loadu_si128(reinterpret_cast<const __m128i *>(s)));
}
inline void stream16_fill(char *d, std::uint64_t pattern) noexcept
{
	_mm_stream_si128(reinterpret_cast<__m128i *>(d), _mm_set1_epi64x(static_cast<long long>(pattern)));
}
inline void stream8(char *d, std::uint64_t v) noexcept
{
	_mm_stream_si64(reinterpret_cast<long long *>(d), static_cast<long long>(v));
}
inline void stream4(char *d, std::uint32_t v) noexcept
{
	_mm_stream_si32(reinterpret_cast<int *>(d), static_cast<int>(v));
}
inline void prefetch_nta(const char *p) noexcept
{
	_mm_prefetch(p, _MM_HINT_NTA);
}

#else

// Plain stores through memcpy of fixed size (one LDR/STR Q or a pair on
// aarch64, two LD/STD or one VSX LXV/STXV pair on ppc64le, two 8-byte
// loads and stores on riscv64).
inline void copy16(char *d, const char *s) noexcept
{
	unsigned char v[16];
	std::memcpy(v, s, 16);
	std::memcpy(d, v, 16);
}
inline void copy16_pair(char *d1, const char *s1, char *d2, const char *s2) noexcept
{
	unsigned char a[16], b[16];
	std::memcpy(a, s1, 16);
	std::memcpy(b, s2, 16);
	std::memcpy(d1, a, 16);
	std::memcpy(d2, b, 16);
}
inline void fill16(char *d, std::uint64_t pattern) noexcept
{
	std::memcpy(d, &pattern, 8);
	std::memcpy(d + 8, &pattern, 8);
}
// No streaming tails here: the kernels.hpp streaming path these serve is
// x86-64's (aarch64's NEON family streams whole lines only, with STNP, and
// flushes them; isa_neon.cpp). For the code that instantiates it anyway,
// the "streamed" tails are regular stores.
inline void stream16_copy(char *d, const char *s) noexcept
{
	copy16(d, s);
}
inline void stream16_fill(char *d, std::uint64_t pattern) noexcept
{
	fill16(d, pattern);
}
inline void stream8(char *d, std::uint64_t v) noexcept
{
	std::memcpy(d, &v, 8);
}
inline void stream4(char *d, std::uint32_t v) noexcept
{
	std::memcpy(d, &v, 4);
}
inline void prefetch_nta(const char *p) noexcept
{
	__builtin_prefetch(p, 0, 0);
}

#endif

} // namespace pmem2::memops::detail
