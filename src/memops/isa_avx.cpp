// AVX kernels: 32-byte vectors, two per line. Compiled with -mavx only;
// chosen when CPUID and XCR0 report usable AVX state.
// This file holds the ISA's instructions only (the isa policy): the loops
// are kernels.hpp's, the flag rules and the table row rules.hpp's.
#define PMEM2_MEMOPS_ISA_NS avx
#include "memops/kernels.hpp"
#include "memops/rules.hpp"

#include <immintrin.h>

namespace pmem2::memops::avx {
namespace {

struct isa {
	static constexpr const char *name = "avx";
	static constexpr const char *memmove_t_name = "memmove_t_avx";
	static constexpr const char *memmove_nt_name = "memmove_nt_avx";
	static constexpr const char *memset_t_name = "memset_t_avx";
	static constexpr const char *memset_nt_name = "memset_nt_avx";
	static constexpr bool wc_applies = true;
	static constexpr bool borrows_temporal = false;

	using v32 = __m256i;
	using fill = __m256i;

	static v32 load32(const char *s) noexcept
	{
		return _mm256_loadu_si256(reinterpret_cast<const __m256i *>(s));
	}
	static void store32(char *d, v32 v) noexcept
	{
		_mm256_storeu_si256(reinterpret_cast<__m256i *>(d), v);
	}
	static void stream32(char *d, v32 v) noexcept
	{
		_mm256_stream_si256(reinterpret_cast<__m256i *>(d), v);
	}
	static fill make_fill(int c) noexcept { return _mm256_set1_epi8(static_cast<char>(c)); }
	static v32 fill32(fill f) noexcept { return f; }

	// One line in two registers (see avx512f).
	struct line {
		__m256i a, b;
	};
	static constexpr std::size_t group_lines = 8;	// 16 ymm registers
	static line load_line(const char *s) noexcept
	{
		auto p = reinterpret_cast<const __m256i *>(s);
		return {_mm256_loadu_si256(p), _mm256_loadu_si256(p + 1)};
	}
	static void store_line(char *d, line v) noexcept
	{
		auto q = reinterpret_cast<__m256i *>(d);
		_mm256_store_si256(q, v.a);
		_mm256_store_si256(q + 1, v.b);
	}
	static void stream_line(char *d, line v) noexcept
	{
		auto q = reinterpret_cast<__m256i *>(d);
		_mm256_stream_si256(q, v.a);
		_mm256_stream_si256(q + 1, v.b);
	}

	static void stream_copy_line(char *d, const char *s) noexcept
	{
		auto p = reinterpret_cast<const __m256i *>(s);
		__m256i a = _mm256_loadu_si256(p), b = _mm256_loadu_si256(p + 1);
		auto q = reinterpret_cast<__m256i *>(d);
		_mm256_stream_si256(q, a);
		_mm256_stream_si256(q + 1, b);
	}
	static void fill_line(char *d, fill f) noexcept
	{
		auto q = reinterpret_cast<__m256i *>(d);
		_mm256_store_si256(q, f);
		_mm256_store_si256(q + 1, f);
	}
	static void stream_fill_line(char *d, fill f) noexcept
	{
		auto q = reinterpret_cast<__m256i *>(d);
		_mm256_stream_si256(q, f);
		_mm256_stream_si256(q + 1, f);
	}
};

constexpr detail::kernel_set set = make_kernel_set<family<isa>>();

} // namespace
} // namespace pmem2::memops::avx

namespace pmem2::memops::detail {
const kernel_set &kernels_avx() noexcept
{
	return avx::set;
}
} // namespace pmem2::memops::detail
