// MOVDIR64B non-temporal kernels: each whole line is one 64-byte direct
// store. Opt-in (PMEM_MOVDIR64B); replaces only the non-temporal kernels,
// the temporal ones come from the family chosen by the other steps of
// dispatch (DIFFERENCES.md S9.6), reached through one pointer set at dispatch. Head and
// tail pieces use SSE2 (the baseline), as this file is compiled with
// -mmovdir64b only.
// This file holds the ISA's instructions only (the isa policy): the loops
// are kernels.hpp's, the flag rules and the table row rules.hpp's.
#define PMEM2_MEMOPS_ISA_NS movdir64b
#include "memops/kernels.hpp"
#include "memops/rules.hpp"

#include <immintrin.h>

namespace pmem2::memops::movdir64b {
namespace {

const detail::kernel_set *g_temporal = nullptr;

struct isa {
	static constexpr const char *name = "movdir64b";
	static constexpr const char *memmove_nt_name = "memmove_nt_movdir64b";
	static constexpr const char *memset_nt_name = "memset_nt_movdir64b";
	static constexpr bool wc_applies = false;
	static constexpr bool borrows_temporal = true;

	struct v32 {
		__m128i a, b;
	};
	struct alignas(64) fill {
		__m128i v[4];
	};

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
	static fill make_fill(int c) noexcept
	{
		__m128i v = _mm_set1_epi8(static_cast<char>(c));
		return {{v, v, v, v}};
	}
	static v32 fill32(const fill &f) noexcept { return {f.v[0], f.v[1]}; }

	// The source line is read whole before the destination line is
	// written, so a line never clobbers its own source.
	static void stream_copy_line(char *d, const char *s) noexcept { _movdir64b(d, s); }
	static void stream_fill_line(char *d, const fill &f) noexcept { _movdir64b(d, &f); }

	template <class F>
	static void temporal_memmove(char *d, const char *s, std::size_t n) noexcept
	{
		g_temporal->memmove_t[static_cast<int>(F::kind)][F::recording](d, s, n);
	}
	template <class F>
	static void temporal_memset(char *d, int c, std::size_t n) noexcept
	{
		g_temporal->memset_t[static_cast<int>(F::kind)][F::recording](d, c, n);
	}
};

constinit detail::kernel_set set = make_kernel_set<family<isa>>();

} // namespace
} // namespace pmem2::memops::movdir64b

namespace pmem2::memops::detail {
const kernel_set &kernels_movdir64b(const kernel_set &temporal) noexcept
{
	movdir64b::g_temporal = &temporal;
	for (int k = 0; k < n_flush_kinds; ++k)
		for (int r = 0; r < 2; ++r) {
			movdir64b::set.memmove_t[k][r] = temporal.memmove_t[k][r];
			movdir64b::set.memset_t[k][r] = temporal.memset_t[k][r];
		}
	return movdir64b::set;
}
} // namespace pmem2::memops::detail
