// The fallbacks of spec 9.7, used when PMEM_NO_MOVNT=1 disables the SIMD
// kernels: "generic" (8-byte scalar stores, flush after each chunk) and
// "libc" (memmove/memset, then one flush of the whole range, when
// PMEM_NO_GENERIC_MEMCPY is non-zero). No streaming stores: the
// NONTEMPORAL/WC/TEMPORAL/WB hints are ignored.
//
// Deliberate difference (gap A32): BYTE entries use the "none" flush policy,
// so neither fallback issues flush instructions on eADR maps.
#include "memops/flush.hpp"
#include "memops/kernel_set.hpp"

#include <cstdint>
#include <cstring>

namespace pmem2::memops::fallback {
namespace {

using detail::flush_kind;
using detail::flush_policy;
using u64 = std::uint64_t;

inline std::uintptr_t addr(const void *p) noexcept
{
	return reinterpret_cast<std::uintptr_t>(p);
}

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

inline char *line_down(char *p) noexcept
{
	return reinterpret_cast<char *>(addr(p) & ~std::uintptr_t(63));
}

// Flushes each line once, as soon as the stores have moved past it (the
// chunk-by-chunk flushing of spec 9.7 without flushing a line twice).
template <class F>
struct forward_flusher {
	char *next;	// first line not yet flushed
	explicit forward_flusher(char *begin) noexcept : next(line_down(begin)) {}
	void done_below(char *p) noexcept
	{
		for (; next + 64 <= p; next += 64)
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
		// Backward: safe when dest is above src. Lines are flushed once
		// the stores have moved below them.
		char *e = d + n;
		const char *se = s + n;
		char *next = line_down(e - 1) + 64;	// lines at and above are flushed
		auto done_above = [&next](char *p) {
			for (; next - 64 >= p; next -= 64)
				F::line(next - 64);
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

// Entry points shared by both fallbacks; M/S are the raw kernels.
template <template <class> class M, template <class> class S>
struct entries {
	template <class F>
	static void *memmove_cl(void *dest, const void *src, std::size_t len, unsigned flags) noexcept
	{
		if (len != 0 && dest != src) {
			if (flags & f_noflush)
				M<flush_policy<flush_kind::none, F::recording>>::run(
					static_cast<char *>(dest), static_cast<const char *>(src), len);
			else
				M<F>::run(static_cast<char *>(dest), static_cast<const char *>(src), len);
		}
		// The drain: orders the flushes above before later stores.
		if (!(flags & (f_nodrain | f_noflush)))
			F::sfence();
		return dest;
	}
	template <class F>
	static void *memset_cl(void *dest, int c, std::size_t len, unsigned flags) noexcept
	{
		if (len != 0) {
			if (flags & f_noflush)
				S<flush_policy<flush_kind::none, F::recording>>::run(
					static_cast<char *>(dest), c, len);
			else
				S<F>::run(static_cast<char *>(dest), c, len);
		}
		// The drain, as in memmove_cl.
		if (!(flags & (f_nodrain | f_noflush)))
			F::sfence();
		return dest;
	}
	template <bool R>
	static void *memmove_byte(void *dest, const void *src, std::size_t len, unsigned flags) noexcept
	{
		using N = flush_policy<flush_kind::none, R>;
		if (len != 0 && dest != src)
			M<N>::run(static_cast<char *>(dest), static_cast<const char *>(src), len);
		// eADR: no flush, but the fence still orders the stores.
		if (!(flags & (f_nodrain | f_noflush)))
			N::sfence();
		return dest;
	}
	template <bool R>
	static void *memset_byte(void *dest, int c, std::size_t len, unsigned flags) noexcept
	{
		using N = flush_policy<flush_kind::none, R>;
		if (len != 0)
			S<N>::run(static_cast<char *>(dest), c, len);
		// eADR: no flush, but the fence still orders the stores.
		if (!(flags & (f_nodrain | f_noflush)))
			N::sfence();
		return dest;
	}
	// PAGE: plain stores then msync (gap A33: no CPU cache flush first).
	template <bool R>
	static void *memmove_page(void *dest, const void *src, std::size_t len, unsigned flags) noexcept
	{
		using N = flush_policy<flush_kind::none, R>;
		if (len != 0 && dest != src)
			M<N>::run(static_cast<char *>(dest), static_cast<const char *>(src), len);
		if (!(flags & f_noflush))
			page_sync(dest, len);
		return dest;
	}
	template <bool R>
	static void *memset_page(void *dest, int c, std::size_t len, unsigned flags) noexcept
	{
		using N = flush_policy<flush_kind::none, R>;
		if (len != 0)
			S<N>::run(static_cast<char *>(dest), c, len);
		if (!(flags & f_noflush))
			page_sync(dest, len);
		return dest;
	}

	template <flush_kind K, bool R>
	static constexpr detail::entry_pair cl()
	{
		using F = flush_policy<K, R>;
		return {&memmove_cl<F>, &memset_cl<F>};
	}
	template <flush_kind K>
	static constexpr void raw(detail::kernel_set &k)
	{
		constexpr int i = static_cast<int>(K);
		for (int r = 0; r < 2; ++r) {
			k.memmove_t[i][r] = k.memmove_nt[i][r] =
				r ? &M<flush_policy<K, true>>::run : &M<flush_policy<K, false>>::run;
			k.memset_t[i][r] = k.memset_nt[i][r] =
				r ? &S<flush_policy<K, true>>::run : &S<flush_policy<K, false>>::run;
		}
	}
	static constexpr detail::kernel_set make(const char *name)
	{
		detail::kernel_set k{};
		k.name = name;
		k.cache_line[0][0] = cl<flush_kind::clwb, false>();
		k.cache_line[0][1] = cl<flush_kind::clwb, true>();
		k.cache_line[1][0] = cl<flush_kind::clflushopt, false>();
		k.cache_line[1][1] = cl<flush_kind::clflushopt, true>();
		k.cache_line[2][0] = cl<flush_kind::clflush, false>();
		k.cache_line[2][1] = cl<flush_kind::clflush, true>();
		k.byte[0] = {&memmove_byte<false>, &memset_byte<false>};
		k.byte[1] = {&memmove_byte<true>, &memset_byte<true>};
		k.page[0] = {&memmove_page<false>, &memset_page<false>};
		k.page[1] = {&memmove_page<true>, &memset_page<true>};
		raw<flush_kind::clwb>(k);
		raw<flush_kind::clflushopt>(k);
		raw<flush_kind::clflush>(k);
		raw<flush_kind::none>(k);
		return k;
	}
};

template <class F>
struct generic_move {
	static void run(char *d, const char *s, std::size_t n) noexcept { memmove_generic<F>(d, s, n); }
};
template <class F>
struct generic_set {
	static void run(char *d, int c, std::size_t n) noexcept { memset_generic<F>(d, c, n); }
};
template <class F>
struct libc_move {
	static void run(char *d, const char *s, std::size_t n) noexcept { memmove_libc<F>(d, s, n); }
};
template <class F>
struct libc_set {
	static void run(char *d, int c, std::size_t n) noexcept { memset_libc<F>(d, c, n); }
};

constexpr detail::kernel_set generic_kernels = entries<generic_move, generic_set>::make("generic");
constexpr detail::kernel_set libc_kernels = entries<libc_move, libc_set>::make("libc");

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
