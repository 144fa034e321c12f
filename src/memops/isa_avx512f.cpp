// AVX-512F kernels: one 64-byte vector per line. Compiled with -mavx512f;
// chosen when CPUID and XCR0 report usable AVX-512 state. The WC
// workaround never applies (DIFFERENCES.md S9.5).
// This file holds the ISA's instructions only (the isa policy): the loops
// are kernels.hpp's, the flag rules and the table row rules.hpp's.
#define PMEM2_MEMOPS_ISA_NS avx512f
#include "memops/kernels.hpp"
#include "memops/rules.hpp"

#include <immintrin.h>

namespace pmem2::memops::avx512f {
namespace {

struct isa {
	static constexpr const char *name = "avx512f";
	static constexpr const char *memmove_t_name = "memmove_t_avx512f";
	static constexpr const char *memmove_nt_name = "memmove_nt_avx512f";
	static constexpr const char *memset_t_name = "memset_t_avx512f";
	static constexpr const char *memset_nt_name = "memset_nt_avx512f";
	static constexpr bool wc_applies = false;
	static constexpr bool borrows_temporal = false;

	using v32 = __m256i;
	struct fill {
		__m512i z;
		__m256i y;
	};

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
	static fill make_fill(int c) noexcept
	{
		return {_mm512_set1_epi32(static_cast<int>(0x01010101u * static_cast<unsigned char>(c))),
			_mm256_set1_epi8(static_cast<char>(c))};
	}
	static v32 fill32(const fill &f) noexcept { return f.y; }

	// One line in one register: the kernels load several lines before
	// storing any (loads first, then whole-line stores).
	using line = __m512i;
	static constexpr std::size_t group_lines = 16;	// of 32 zmm registers
	static line load_line(const char *s) noexcept { return _mm512_loadu_si512(s); }
	static void store_line(char *d, line v) noexcept { _mm512_store_si512(d, v); }
	static void stream_line(char *d, line v) noexcept
	{
		_mm512_stream_si512(reinterpret_cast<__m512i *>(d), v);
	}
	// 64 bytes at any address as one store (copy_le64/set_le64 at n == 64).
	static void copy64(char *d, const char *s) noexcept
	{
		_mm512_storeu_si512(d, _mm512_loadu_si512(s));
	}
	static void fill64(char *d, const fill &f) noexcept { _mm512_storeu_si512(d, f.z); }

	static void stream_copy_line(char *d, const char *s) noexcept
	{
		_mm512_stream_si512(reinterpret_cast<__m512i *>(d), _mm512_loadu_si512(s));
	}
	static void fill_line(char *d, const fill &f) noexcept { _mm512_store_si512(d, f.z); }
	static void stream_fill_line(char *d, const fill &f) noexcept
	{
		_mm512_stream_si512(reinterpret_cast<__m512i *>(d), f.z);
	}
};

constexpr detail::kernel_set set = make_kernel_set<family<isa>>();

} // namespace
} // namespace pmem2::memops::avx512f

namespace pmem2::memops::detail {
const kernel_set &kernels_avx512f() noexcept
{
	return avx512f::set;
}
} // namespace pmem2::memops::detail
