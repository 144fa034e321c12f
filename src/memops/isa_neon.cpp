// NEON kernels (aarch64 Advanced SIMD): 16-byte vectors, four per line,
// loaded and stored in pairs (the compiler pairs them into LDP/STP Q).
// Advanced SIMD is in the ARMv8-A base profile, so this file needs no
// compile flag of its own; the dispatch still checks HWCAP_ASIMD
// (dispatch_aarch64.cpp).
//
// The non-temporal kernels are the temporal loops of kernels.hpp over a
// line policy whose whole-line stores are STNP Q pairs, each line then
// flushed like any other. STNP only hints that caching the data is
// unlikely to help; the memory system may still cache it (Arm's ARMv8-A
// programmer's guide, "Non-temporal load and store pair"), so unlike
// x86-64's MOVNT it does not take the data past the caches and the DC clean
// is still what makes it durable. Heads, tails and calls of at most one
// line use regular stores (a lone STNP there would gain nothing). Nothing
// needs a fence of its own: the ordering non-temporal accesses relax is
// that of an LDNP whose address came from an earlier load, and here every
// address is computed from the arguments; the drain (DSB) completes the
// cleans after the stores.
// The 8-byte store guarantee of kernels.hpp holds: a 128-bit store from a
// vector register to a 64-bit aligned address is a pair of single-copy
// atomic 64-bit writes (Arm ARM, "Requirements for single-copy atomicity"),
// pairs and STNP included.
// The loops are kernels.hpp's, the flag rules and the table row rules.hpp's.
#define PMEM2_MEMOPS_ISA_NS neon
#include "memops/kernels.hpp"
#include "memops/rules.hpp"

#include <arm_neon.h>

#include <cstddef>
#include <cstdint>

namespace pmem2::memops::neon {
namespace {

// The line policy of the temporal kernels.
struct neon_lines {
	struct v32 {
		uint8x16_t a, b;
	};
	using fill = uint8x16_t;

	static const std::uint8_t *in(const char *s) noexcept
	{
		return reinterpret_cast<const std::uint8_t *>(s);
	}
	static std::uint8_t *out(char *d) noexcept { return reinterpret_cast<std::uint8_t *>(d); }

	static v32 load32(const char *s) noexcept { return {vld1q_u8(in(s)), vld1q_u8(in(s + 16))}; }
	static void store32(char *d, v32 v) noexcept
	{
		vst1q_u8(out(d), v.a);
		vst1q_u8(out(d + 16), v.b);
	}
	static fill make_fill(int c) noexcept { return vdupq_n_u8(static_cast<std::uint8_t>(c)); }
	static v32 fill32(fill f) noexcept { return {f, f}; }

	// One line in four registers; a group of four lines holds 16 of the 32.
	struct line {
		uint8x16_t a, b, c, e;
	};
	static constexpr std::size_t group_lines = 4;
	static line load_line(const char *s) noexcept
	{
		return {vld1q_u8(in(s)), vld1q_u8(in(s + 16)), vld1q_u8(in(s + 32)), vld1q_u8(in(s + 48))};
	}
	static void store_line(char *d, line v) noexcept
	{
		vst1q_u8(out(d), v.a);
		vst1q_u8(out(d + 16), v.b);
		vst1q_u8(out(d + 32), v.c);
		vst1q_u8(out(d + 48), v.e);
	}
	static void fill_line(char *d, fill f) noexcept { store_line(d, {f, f, f, f}); }
};

// STNP of two Q registers to [d, d+32). The output operand tells the
// compiler exactly which bytes the instruction writes ("Q": a base register
// without offset, which every STNP form accepts).
inline void stnp32(char *d, uint8x16_t a, uint8x16_t b) noexcept
{
	struct __attribute__((may_alias)) bytes32 {
		char b[32];
	};
	asm volatile("stnp %q1, %q2, %0" : "=Q"(*reinterpret_cast<bytes32 *>(d)) : "w"(a), "w"(b));
}

// The line policy of the non-temporal kernels: whole lines by STNP.
struct neon_nt_lines : neon_lines {
	static void store_line(char *d, line v) noexcept
	{
		stnp32(d, v.a, v.b);
		stnp32(d + 32, v.c, v.e);
	}
	static void fill_line(char *d, fill f) noexcept
	{
		stnp32(d, f, f);
		stnp32(d + 32, f, f);
	}
};

// The two policies as kernels.hpp's temporal loops take an ISA; each
// loop reports its kernel by the memmove_t_name/memset_t_name of its ISA.
struct isa_t : neon_lines {
	static constexpr const char *memmove_t_name = "memmove_t_neon";
	static constexpr const char *memset_t_name = "memset_t_neon";
};
struct isa_nt : neon_nt_lines {
	static constexpr const char *memmove_t_name = "memmove_nt_neon";
	static constexpr const char *memset_t_name = "memset_nt_neon";
};

// The family as the flag rules take one (rules.hpp).
struct family {
	static constexpr const char *name = "neon";
	static constexpr const char *memmove_t_name = isa_t::memmove_t_name;
	static constexpr const char *memset_t_name = isa_t::memset_t_name;
	static constexpr const char *memmove_nt_name = isa_nt::memmove_t_name;
	static constexpr const char *memset_nt_name = isa_nt::memset_t_name;
	static constexpr bool streams = true;
	static constexpr bool nt_skips_flush = false;	// STNP lines are flushed
	static constexpr bool borrows_temporal = false;
	static constexpr bool small_inline = true;

	template <class F>
	static constexpr detail::raw_memmove_fn memmove_t = &neon::memmove_t<isa_t, F>;
	template <class F>
	static constexpr detail::raw_memset_fn memset_t = &neon::memset_t<isa_t, F>;
	template <class F>
	static constexpr detail::raw_memmove_fn memmove_nt = &neon::memmove_t<isa_nt, F>;
	template <class F>
	static constexpr detail::raw_memset_fn memset_nt = &neon::memset_t<isa_nt, F>;

	static void small_copy(char *d, const char *s, std::size_t n) noexcept
	{
		copy_le64<isa_t>(d, s, n);
	}
	static void small_set(char *d, int c, std::size_t n) noexcept
	{
		set_le64<isa_t>(d, isa_t::make_fill(c), byte_pattern(c), n);
	}
	// No piece of at most one line is streamed: it is stored and flushed.
	template <class F>
	static bool small_stream_copy(char *, const char *, std::size_t) noexcept
	{
		return false;
	}
	template <class F>
	static bool small_stream_set(char *, int, std::size_t) noexcept
	{
		return false;
	}
};

constexpr detail::kernel_set set = make_kernel_set<family>();

} // namespace
} // namespace pmem2::memops::neon

namespace pmem2::memops::detail {
const kernel_set &kernels_neon() noexcept
{
	return neon::set;
}
} // namespace pmem2::memops::detail
