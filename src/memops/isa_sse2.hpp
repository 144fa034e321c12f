// SSE2 (the x86-64 baseline) as a line policy of the kernel loops
// (kernels.hpp, pieces.hpp): 16-byte vectors, four per line. Shared by the
// SSE2 kernel family and by the operations that store lines through the
// same loops on every CPU (copy_crc32c). Internal to src/memops.
//
// Include with PMEM2_MEMOPS_ISA_NS defined (isa_ns.hpp).
#pragma once

#include "memops/isa_ns.hpp"

#include <emmintrin.h>

#include <cstddef>

namespace pmem2::memops::PMEM2_MEMOPS_ISA_NS {

struct sse2_lines {
	struct v32 {
		__m128i a, b;
	};
	using fill = __m128i;

	static v32 load32(const char *s) noexcept
	{
		return {_mm_loadu_si128(reinterpret_cast<const __m128i *>(s)),
			_mm_loadu_si128(reinterpret_cast<const __m128i *>(s + 16))};
	}
	static void store32(char *d, v32 v) noexcept
	{
		_mm_storeu_si128(reinterpret_cast<__m128i *>(d), v.a);
		_mm_storeu_si128(reinterpret_cast<__m128i *>(d + 16), v.b);
	}
	static void stream32(char *d, v32 v) noexcept
	{
		_mm_stream_si128(reinterpret_cast<__m128i *>(d), v.a);
		_mm_stream_si128(reinterpret_cast<__m128i *>(d + 16), v.b);
	}
	static fill make_fill(int c) noexcept { return _mm_set1_epi8(static_cast<char>(c)); }
	static v32 fill32(fill f) noexcept { return {f, f}; }

	// One line in four registers (see avx512f).
	struct line {
		__m128i a, b, c, e;
	};
	static constexpr std::size_t group_lines = 4;	// 16 xmm registers
	static line load_line(const char *s) noexcept
	{
		auto p = reinterpret_cast<const __m128i *>(s);
		return {_mm_loadu_si128(p), _mm_loadu_si128(p + 1), _mm_loadu_si128(p + 2),
			_mm_loadu_si128(p + 3)};
	}
	static void store_line(char *d, line v) noexcept
	{
		auto q = reinterpret_cast<__m128i *>(d);
		_mm_store_si128(q, v.a);
		_mm_store_si128(q + 1, v.b);
		_mm_store_si128(q + 2, v.c);
		_mm_store_si128(q + 3, v.e);
	}
	static void stream_line(char *d, line v) noexcept
	{
		auto q = reinterpret_cast<__m128i *>(d);
		_mm_stream_si128(q, v.a);
		_mm_stream_si128(q + 1, v.b);
		_mm_stream_si128(q + 2, v.c);
		_mm_stream_si128(q + 3, v.e);
	}

	static void stream_copy_line(char *d, const char *s) noexcept
	{
		auto p = reinterpret_cast<const __m128i *>(s);
		__m128i a = _mm_loadu_si128(p), b = _mm_loadu_si128(p + 1);
		__m128i c = _mm_loadu_si128(p + 2), e = _mm_loadu_si128(p + 3);
		auto q = reinterpret_cast<__m128i *>(d);
		_mm_stream_si128(q, a);
		_mm_stream_si128(q + 1, b);
		_mm_stream_si128(q + 2, c);
		_mm_stream_si128(q + 3, e);
	}
	static void fill_line(char *d, fill f) noexcept
	{
		auto q = reinterpret_cast<__m128i *>(d);
		_mm_store_si128(q, f);
		_mm_store_si128(q + 1, f);
		_mm_store_si128(q + 2, f);
		_mm_store_si128(q + 3, f);
	}
	static void stream_fill_line(char *d, fill f) noexcept
	{
		auto q = reinterpret_cast<__m128i *>(d);
		_mm_stream_si128(q, f);
		_mm_stream_si128(q + 1, f);
		_mm_stream_si128(q + 2, f);
		_mm_stream_si128(q + 3, f);
	}
};

} // namespace pmem2::memops::PMEM2_MEMOPS_ISA_NS
