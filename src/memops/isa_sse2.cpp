// SSE2 kernels (x86-64 baseline): 16-byte vectors, four per line.
// This file holds the ISA's instructions only (the isa policy): the loops
// are kernels.hpp's, the flag rules and the table row rules.hpp's.
#define PMEM2_MEMOPS_ISA_NS sse2
#include "memops/kernels.hpp"
#include "memops/rules.hpp"

namespace pmem2::memops::sse2 {
namespace {

struct isa {
	static constexpr const char *name = "sse2";
	static constexpr const char *memmove_t_name = "memmove_t_sse2";
	static constexpr const char *memmove_nt_name = "memmove_nt_sse2";
	static constexpr const char *memset_t_name = "memset_t_sse2";
	static constexpr const char *memset_nt_name = "memset_nt_sse2";
	static constexpr bool wc_applies = true;
	static constexpr bool borrows_temporal = false;

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

constexpr detail::kernel_set set = make_kernel_set<family<isa>>();

} // namespace
} // namespace pmem2::memops::sse2

namespace pmem2::memops::detail {
const kernel_set &kernels_sse2() noexcept
{
	return sse2::set;
}
} // namespace pmem2::memops::detail
