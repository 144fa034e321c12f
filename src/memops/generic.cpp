// The fallbacks of DIFFERENCES.md S9.7, used when PMEM_NO_MOVNT=1 disables the SIMD
// kernels: "generic" (8-byte scalar stores, flush after each chunk) and
// "libc" (memmove/memset, then one flush of the whole range, when
// PMEM_NO_GENERIC_MEMCPY is non-zero). No streaming stores: the
// NONTEMPORAL/WC/TEMPORAL/WB hints are ignored.
//
// The flag rules are rules.hpp's, as for the ISA families: BYTE entries use
// the "none" flush policy there too (DIFFERENCES.md A32), so neither fallback issues
// flush instructions on eADR maps.
#define PMEM2_MEMOPS_ISA_NS fallback
#include "memops/rules.hpp"

#include <cstdint>
#include <cstring>

namespace pmem2::memops::fallback {
namespace {

// Stores go through volatile lvalues of exactly their width, so the
// compiler can neither split nor merge them (8-byte store guarantee) nor
// turn the loops back into a libc call.
inline void put8(char *d, const char *s) noexcept
{
	u64 v;
	std::memcpy(&v, s, 8);
	*reinterpret_cast<volatile u64 *>(d) = v;
}

inline void put1(char *d, char c) noexcept
{
	*reinterpret_cast<volatile char *>(d) = c;
}

// The span of one flush instruction (a 64-byte line; POWER's 128-byte
// block): the flushers below step by it so no block is flushed twice.
constexpr std::size_t block = detail::arch_flush_block;

inline char *block_down(char *p) noexcept
{
	return reinterpret_cast<char *>(addr(p) & ~std::uintptr_t(block - 1));
}

// Flushes each block once, as soon as the stores have moved past it (the
// chunk-by-chunk flushing of DIFFERENCES.md S9.7 without flushing a block twice).
template <class F>
struct forward_flusher {
	char *next;	// first block not yet flushed
	explicit forward_flusher(char *begin) noexcept : next(block_down(begin)) {}
	void done_below(char *p) noexcept
	{
		for (; next + block <= p; next += block)
			F::line(next);
	}
	void finish(char *end) noexcept
	{
		if (end > next)
			F::range(next, static_cast<std::size_t>(end - next));
	}
};

template <class F>
void memmove_generic(char *d, const char *s, std::size_t n) noexcept
{
	F::kernel("memmove_generic");
	if (n == 0)
		return;
	if (addr(d) - addr(s) >= n) {
		// Forward: safe when dest is below src (or apart).
		forward_flusher<F> fl(d);
		while (n && (addr(d) & 7)) {
			put1(d++, *s++);
			--n;
		}
		while (n >= 64) {
			u64 w[8];
			std::memcpy(w, s, 64);	// whole chunk read before it is written
			for (int i = 0; i < 8; ++i)
				*reinterpret_cast<volatile u64 *>(d + 8 * i) = w[i];
			d += 64;
			s += 64;
			n -= 64;
			fl.done_below(d);
		}
		for (; n >= 8; n -= 8, d += 8, s += 8)
			put8(d, s);
		for (; n; --n)
			put1(d++, *s++);
		fl.finish(d);
	} else {
		// Backward: safe when dest is above src. Blocks are flushed once
		// the stores have moved below them.
		char *e = d + n;
		const char *se = s + n;
		char *next = block_down(e - 1) + block;	// blocks at and above are flushed
		auto done_above = [&next](char *p) {
			for (; next - block >= p; next -= block)
				F::line(next - block);
		};
		while (n && (addr(e) & 7)) {
			put1(--e, *--se);
			--n;
		}
		while (n >= 64) {
			e -= 64;
			se -= 64;
			n -= 64;
			u64 w[8];
			std::memcpy(w, se, 64);
			for (int i = 7; i >= 0; --i)
				*reinterpret_cast<volatile u64 *>(e + 8 * i) = w[i];
			done_above(e);
		}
		for (; n >= 8; n -= 8) {
			e -= 8;
			se -= 8;
			put8(e, se);
		}
		for (; n; --n)
			put1(--e, *--se);
		if (next > e)
			F::range(e, static_cast<std::size_t>(next - e));
	}
}

template <class F>
void memset_generic(char *d, int c, std::size_t n) noexcept
{
	F::kernel("memset_generic");
	if (n == 0)
		return;
	const char b = static_cast<char>(c);
	const u64 pattern = u64(static_cast<unsigned char>(c)) * 0x0101010101010101ULL;
	forward_flusher<F> fl(d);
	while (n && (addr(d) & 7)) {
		put1(d++, b);
		--n;
	}
	while (n >= 64) {
		for (int i = 0; i < 8; ++i)
			*reinterpret_cast<volatile u64 *>(d + 8 * i) = pattern;
		d += 64;
		n -= 64;
		fl.done_below(d);
	}
	for (; n >= 8; n -= 8, d += 8)
		*reinterpret_cast<volatile u64 *>(d) = pattern;
	for (; n; --n)
		put1(d++, b);
	fl.finish(d);
}

template <class F>
void memmove_libc(char *d, const char *s, std::size_t n) noexcept
{
	F::kernel("memmove_libc");
	if (n == 0)
		return;
	std::memmove(d, s, n);
	F::range(d, n);
}

template <class F>
void memset_libc(char *d, int c, std::size_t n) noexcept
{
	F::kernel("memset_libc");
	if (n == 0)
		return;
	std::memset(d, c, n);
	F::range(d, n);
}

// The two fallbacks as kernel families (rules.hpp): temporal kernels only,
// so the entry points store with them for every store kind (DIFFERENCES.md S9.7), and
// nothing stored inline by the entry points.
struct generic_family {
	static constexpr const char *name = "generic";
	static constexpr bool streams = false;
	static constexpr bool nt_skips_flush = false;
	static constexpr bool borrows_temporal = false;
	static constexpr bool small_inline = false;
	template <class F>
	static constexpr detail::raw_memmove_fn memmove_t = &memmove_generic<F>;
	template <class F>
	static constexpr detail::raw_memset_fn memset_t = &memset_generic<F>;
};

struct libc_family {
	static constexpr const char *name = "libc";
	static constexpr bool streams = false;
	static constexpr bool nt_skips_flush = false;
	static constexpr bool borrows_temporal = false;
	static constexpr bool small_inline = false;
	template <class F>
	static constexpr detail::raw_memmove_fn memmove_t = &memmove_libc<F>;
	template <class F>
	static constexpr detail::raw_memset_fn memset_t = &memset_libc<F>;
};

constexpr detail::kernel_set generic_kernels = make_kernel_set<generic_family>();
constexpr detail::kernel_set libc_kernels = make_kernel_set<libc_family>();

} // namespace
} // namespace pmem2::memops::fallback

namespace pmem2::memops::detail {
const kernel_set &kernels_generic() noexcept
{
	return fallback::generic_kernels;
}
const kernel_set &kernels_libc() noexcept
{
	return fallback::libc_kernels;
}
} // namespace pmem2::memops::detail
