// The x86-64 memmove/memset kernels, written once over two policies:
//   I  the ISA (vector width, load/store/stream of one 64-byte line),
//   F  the flush instruction (flush.hpp), recording or not.
// Each ISA file includes this header inside its own namespace and with its
// own compile flags, so the instantiations never mix code of two ISAs.
// Internal to src/memops.
//
// Kernel contract: copy/fill [dest, dest+len), flush every line written
// with regular stores (F), no final drain. memmove kernels are overlap-safe.
// 8-byte store guarantee: when dest and len are multiples of 8, every store
// is at least 8 bytes wide and 8-byte aligned (the small windows below are
// 8-multiples at 8-aligned offsets in that case, and lines are 64-aligned).
//
// Include with PMEM2_MEMOPS_ISA_NS defined to the ISA's namespace name.
#ifndef PMEM2_MEMOPS_ISA_NS
#error "define PMEM2_MEMOPS_ISA_NS before including memops/kernels.hpp"
#endif

#include "memops/flush.hpp"
#include "memops/kernel_set.hpp"
#include "memops/memops.hpp"

#include <emmintrin.h>
#include <xmmintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace pmem2::memops::PMEM2_MEMOPS_ISA_NS {

using detail::flush_kind;
using detail::line_size;

struct policy_tag {};
template <flush_kind K, bool Rec>
using flush_policy = detail::flush_policy<K, Rec, policy_tag>;

using u64 = std::uint64_t;
using u32 = std::uint32_t;
using u16 = std::uint16_t;

inline std::uintptr_t addr(const void *p) noexcept
{
	return reinterpret_cast<std::uintptr_t>(p);
}

template <class T>
inline T load_scalar(const char *s) noexcept
{
	T v;
	std::memcpy(&v, s, sizeof v);
	return v;
}

template <class T>
inline void store_scalar(char *d, T v) noexcept
{
	std::memcpy(d, &v, sizeof v);
}

// Copy n <= 64 bytes with at most two overlapping windows per size class.
// Every load happens before the first store, so any overlap is safe.
// ISAs whose lines fit in registers (every family with temporal kernels)
// provide load_line/store_line/stream_line; MOVDIR64B does not.
template <class I>
inline constexpr bool has_line_regs = requires(const char *s) { I::load_line(s); };

// ISAs that store 64 bytes at any address in one instruction (AVX-512F).
template <class I>
inline constexpr bool has_copy64 = requires(char *d, const char *s) { I::copy64(d, s); };

template <class I>
inline void copy_le64(char *d, const char *s, std::size_t n) noexcept
{
	if (n >= 32) {
		if constexpr (has_copy64<I>) {
			if (n == 64) {
				I::copy64(d, s);
				return;
			}
		}
		auto a = I::load32(s);
		auto b = I::load32(s + n - 32);
		I::store32(d, a);
		I::store32(d + n - 32, b);
	} else if (n >= 16) {
		__m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i *>(s));
		__m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i *>(s + n - 16));
		_mm_storeu_si128(reinterpret_cast<__m128i *>(d), a);
		_mm_storeu_si128(reinterpret_cast<__m128i *>(d + n - 16), b);
	} else if (n >= 8) {
		u64 a = load_scalar<u64>(s), b = load_scalar<u64>(s + n - 8);
		store_scalar(d, a);
		store_scalar(d + n - 8, b);
	} else if (n >= 4) {
		u32 a = load_scalar<u32>(s), b = load_scalar<u32>(s + n - 4);
		store_scalar(d, a);
		store_scalar(d + n - 4, b);
	} else if (n >= 2) {
		u16 a = load_scalar<u16>(s), b = load_scalar<u16>(s + n - 2);
		store_scalar(d, a);
		store_scalar(d + n - 2, b);
	} else if (n == 1) {
		*d = *s;
	}
}

// Fill n <= 64 bytes with the same windows as copy_le64.
template <class I>
inline void set_le64(char *d, const typename I::fill &f, u64 pattern, std::size_t n) noexcept
{
	if (n >= 32) {
		if constexpr (has_copy64<I>) {
			if (n == 64) {
				I::fill64(d, f);
				return;
			}
		}
		I::store32(d, I::fill32(f));
		I::store32(d + n - 32, I::fill32(f));
	} else if (n >= 16) {
		__m128i v = _mm_set1_epi64x(static_cast<long long>(pattern));
		_mm_storeu_si128(reinterpret_cast<__m128i *>(d), v);
		_mm_storeu_si128(reinterpret_cast<__m128i *>(d + n - 16), v);
	} else if (n >= 8) {
		store_scalar(d, pattern);
		store_scalar(d + n - 8, pattern);
	} else if (n >= 4) {
		store_scalar(d, static_cast<u32>(pattern));
		store_scalar(d + n - 4, static_cast<u32>(pattern));
	} else if (n >= 2) {
		store_scalar(d, static_cast<u16>(pattern));
		store_scalar(d + n - 2, static_cast<u16>(pattern));
	} else if (n == 1) {
		*d = static_cast<char>(pattern);
	}
}

inline u64 byte_pattern(int c) noexcept
{
	return u64(static_cast<unsigned char>(c)) * 0x0101010101010101ULL;
}

// A line-aligned tail of exactly 32/16/8/4 bytes goes out as one streaming
// store (spec 9.5); returns false when the tail needs regular stores.
template <class I>
inline bool stream_tail_copy(char *d, const char *s, std::size_t n) noexcept
{
	switch (n) {
	case 32:
		I::stream32(d, I::load32(s));
		return true;
	case 16:
		_mm_stream_si128(reinterpret_cast<__m128i *>(d),
				 _mm_loadu_si128(reinterpret_cast<const __m128i *>(s)));
		return true;
	case 8:
		_mm_stream_si64(reinterpret_cast<long long *>(d),
				static_cast<long long>(load_scalar<u64>(s)));
		return true;
	case 4:
		_mm_stream_si32(reinterpret_cast<int *>(d), static_cast<int>(load_scalar<u32>(s)));
		return true;
	default:
		return false;
	}
}

template <class I>
inline bool stream_tail_set(char *d, const typename I::fill &f, u64 pattern, std::size_t n) noexcept
{
	switch (n) {
	case 32:
		I::stream32(d, I::fill32(f));
		return true;
	case 16:
		_mm_stream_si128(reinterpret_cast<__m128i *>(d),
				 _mm_set1_epi64x(static_cast<long long>(pattern)));
		return true;
	case 8:
		_mm_stream_si64(reinterpret_cast<long long *>(d), static_cast<long long>(pattern));
		return true;
	case 4:
		_mm_stream_si32(reinterpret_cast<int *>(d), static_cast<int>(pattern));
		return true;
	default:
		return false;
	}
}

// At most one line with a streaming store kind: a line-aligned whole line
// goes out as one streaming line, a line-aligned piece of exactly 32/16/8/4
// bytes as one streaming store, as the lines and tail of the streaming
// kernels do (spec 9.5), and is reported as streamed. Returns false for any
// other range, which the caller writes with regular stores and flushes.
template <class I, class F>
inline bool stream_le64_copy(char *d, const char *s, std::size_t n) noexcept
{
	if (addr(d) & (line_size - 1))
		return false;
	if (n == line_size)
		I::stream_copy_line(d, s);
	else if (!stream_tail_copy<I>(d, s, n))
		return false;
	F::nt(d, n);
	return true;
}

template <class I, class F>
inline bool stream_le64_set(char *d, const typename I::fill &f, u64 pattern, std::size_t n) noexcept
{
	if (addr(d) & (line_size - 1))
		return false;
	if (n == line_size)
		I::stream_fill_line(d, f);
	else if (!stream_tail_set<I>(d, f, pattern, n))
		return false;
	F::nt(d, n);
	return true;
}

// ---- whole lines, loads first ------------------------------------------
// A group of lines is read whole before any of it is written: the loads
// issue back to back and their misses overlap, and no load waits behind a
// store of the same group (with source and destination at the same page
// offset, loads queued behind stores to addresses equal in their low 12
// bits run late). Within a group any overlap is safe; the callers order the
// groups as memmove needs. Runs shorter than 2 * group_lines lines go out
// as one group per power of two (as PMDK's kernels do); longer runs as
// 4-line groups in a loop (with the source prefetch, when streaming).

// Lines one group holds in vector registers.
template <class I>
inline constexpr std::size_t group_lines = [] {
	if constexpr (has_line_regs<I>)
		return I::group_lines;
	else
		return std::size_t(4);
}();

// Store N lines (d line-aligned), regular (NT false) or streaming, loads
// first, the stores in ascending or descending address order.
template <class I, bool NT, bool Desc, std::size_t N>
inline void copy_group(char *d, const char *s) noexcept
{
	if constexpr (NT && !has_line_regs<I>) {
		// One instruction per line (MOVDIR64B), which reads its whole
		// source line before writing.
		for (std::size_t j = 0; j < N; ++j) {
			const std::size_t i = Desc ? N - 1 - j : j;
			I::stream_copy_line(d + i * line_size, s + i * line_size);
		}
	} else {
		typename I::line v[N];
#pragma GCC unroll 32
		for (std::size_t i = 0; i < N; ++i)
			v[i] = I::load_line(s + i * line_size);
#pragma GCC unroll 32
		for (std::size_t j = 0; j < N; ++j) {
			const std::size_t i = Desc ? N - 1 - j : j;
			if constexpr (NT)
				I::stream_line(d + i * line_size, v[i]);
			else
				I::store_line(d + i * line_size, v[i]);
		}
	}
}

// Flush N lines from d, in the order they were stored.
template <class F, bool Desc, std::size_t N>
inline void flush_group(const char *d) noexcept
{
#pragma GCC unroll 32
	for (std::size_t j = 0; j < N; ++j)
		F::line(d + (Desc ? N - 1 - j : j) * line_size);
}

// Fewer than 2 * N lines left (n bytes, at least the whole lines of it):
// one group of N if it fits, then N / 2, ..., 1. Forward: from d upward,
// advancing d, s and n; temporal groups are flushed (F).
template <class I, class F, bool NT, std::size_t N>
inline void copy_rest_fwd(char *&d, const char *&s, std::size_t &n) noexcept
{
	if (n >= N * line_size) {
		copy_group<I, NT, false, N>(d, s);
		if constexpr (!NT)
			flush_group<F, false, N>(d);
		d += N * line_size;
		s += N * line_size;
		n -= N * line_size;
	}
	if constexpr (N > 1)
		copy_rest_fwd<I, F, NT, N / 2>(d, s, n);
}

// Backward: from d + n downward, reducing n. Within a group the stores
// still go upward (its loads are all done): for the overlapping backward
// streaming moves of 512 B to 1 KiB this measured faster than downward.
// Except up to 4 streamed lines: line by line, downward, as the 4-line loop
// of stream_bwd_lines does (loading them first measured no faster there).
template <class I, class F, bool NT, std::size_t N>
inline void copy_rest_bwd(char *d, const char *s, std::size_t &n) noexcept
{
	if (n >= N * line_size) {
		n -= N * line_size;
		if constexpr (NT && N <= 4) {
			for (std::size_t j = N; j-- > 0;)
				I::stream_copy_line(d + n + j * line_size, s + n + j * line_size);
		} else {
			copy_group<I, NT, false, N>(d + n, s + n);
		}
		if constexpr (!NT)
			flush_group<F, false, N>(d + n);
	}
	if constexpr (N > 1)
		copy_rest_bwd<I, F, NT, N / 2>(d, s, n);
}

// ---- temporal + flush -------------------------------------------------

template <class I, class F>
inline void memmove_t_fwd(char *d, const char *s, std::size_t n) noexcept
{
	const std::size_t head = (0 - addr(d)) & (line_size - 1);
	if (head) {
		copy_le64<I>(d, s, head);
		F::line(d);
		d += head;
		s += head;
		n -= head;
	}
	// Forward order is safe for dest below src: each store lands below
	// every source byte not yet read. Each line is flushed after its
	// stores (program order; no fence needed between a store and a flush
	// of the same line), so the write-back carries the new data.
	constexpr std::size_t G = group_lines<I>;
	if (n < 2 * G * line_size) {
		copy_rest_fwd<I, F, false, G>(d, s, n);
	} else {
		while (n >= 4 * line_size) {
			copy_group<I, false, false, 4>(d, s);
			flush_group<F, false, 4>(d);
			d += 256;
			s += 256;
			n -= 256;
		}
		copy_rest_fwd<I, F, false, 2>(d, s, n);
	}
	if (n) {
		copy_le64<I>(d, s, n);
		F::line(d);
	}
}

template <class I, class F>
inline void memmove_t_bwd(char *d, const char *s, std::size_t n) noexcept
{
	const std::size_t tail = addr(d + n) & (line_size - 1);
	if (tail) {
		n -= tail;
		copy_le64<I>(d + n, s + n, tail);
		F::line(d + n);
	}
	// Backward order is safe for dest above src: each store lands above
	// every source byte not yet read.
	constexpr std::size_t G = group_lines<I>;
	if (n < 2 * G * line_size) {
		copy_rest_bwd<I, F, false, G>(d, s, n);
	} else {
		while (n >= 4 * line_size) {
			n -= 256;
			copy_group<I, false, true, 4>(d + n, s + n);
			flush_group<F, true, 4>(d + n);
		}
		copy_rest_bwd<I, F, false, 2>(d, s, n);
	}
	if (n) {
		copy_le64<I>(d, s, n);
		F::line(d);
	}
}

template <class I, class F>
void memmove_t(char *d, const char *s, std::size_t n) noexcept
{
	F::kernel(I::memmove_t_name);
	if (n <= 64) {
		if (n == 0)
			return;
		copy_le64<I>(d, s, n);
		F::range(d, n);
		return;
	}
	if (addr(d) - addr(s) >= n)
		memmove_t_fwd<I, F>(d, s, n);
	else
		memmove_t_bwd<I, F>(d, s, n);
}

template <class I, class F>
void memset_t(char *d, int c, std::size_t n) noexcept
{
	F::kernel(I::memset_t_name);
	const u64 pattern = byte_pattern(c);
	const typename I::fill f = I::make_fill(c);
	if (n <= 64) {
		if (n == 0)
			return;
		set_le64<I>(d, f, pattern, n);
		F::range(d, n);
		return;
	}
	const std::size_t head = (0 - addr(d)) & (line_size - 1);
	if (head) {
		set_le64<I>(d, f, pattern, head);
		F::line(d);
		d += head;
		n -= head;
	}
	while (n >= 4 * line_size) {
		I::fill_line(d, f);
		I::fill_line(d + 64, f);
		I::fill_line(d + 128, f);
		I::fill_line(d + 192, f);
		F::line(d);
		F::line(d + 64);
		F::line(d + 128);
		F::line(d + 192);
		d += 256;
		n -= 256;
	}
	while (n >= line_size) {
		I::fill_line(d, f);
		F::line(d);
		d += 64;
		n -= 64;
	}
	if (n) {
		set_le64<I>(d, f, pattern, n);
		F::line(d);
	}
}

// ---- non-temporal -----------------------------------------------------

// Distance of the software prefetch ahead of the streaming loop: far enough
// to cover memory latency at streaming bandwidth, near enough to stay in L1.
inline constexpr std::size_t prefetch_ahead = 512;

// WC workaround (spec 9.5): an SFENCE after every 768 bytes (12 lines) of
// streaming stores keeps some Intel parts from stalling on full
// write-combining buffers. Applied only by ISAs that declare it.
template <class I, class F, bool WC>
[[gnu::always_inline]] inline void stream_fwd_lines(char *&d, const char *&s, std::size_t &n) noexcept
{
	// With the WC workaround, 4-line groups from 4 lines up (12 lines
	// between fences), at most 3 lines after the last fence.
	constexpr std::size_t G = WC ? 2 : group_lines<I>;
	if (n < 2 * G * line_size) {
		copy_rest_fwd<I, F, true, G>(d, s, n);
		return;
	}
	unsigned blocks = 0;
	while (n >= 4 * line_size) {
		_mm_prefetch(s + prefetch_ahead, _MM_HINT_NTA);
		_mm_prefetch(s + prefetch_ahead + 64, _MM_HINT_NTA);
		_mm_prefetch(s + prefetch_ahead + 128, _MM_HINT_NTA);
		_mm_prefetch(s + prefetch_ahead + 192, _MM_HINT_NTA);
		copy_group<I, true, false, 4>(d, s);
		d += 256;
		s += 256;
		n -= 256;
		if constexpr (WC) {
			if (++blocks == 3) {
				blocks = 0;
				// Drains the write-combining buffers (WC workaround).
				F::sfence();
			}
		}
	}
	copy_rest_fwd<I, F, true, 2>(d, s, n);
}

template <class I, class F, bool WC>
[[gnu::always_inline]] inline void stream_bwd_lines(char *d, const char *s, std::size_t &n) noexcept
{
	constexpr std::size_t G = WC ? 2 : group_lines<I>;	// as in stream_fwd_lines
	if (n < 2 * G * line_size) {
		copy_rest_bwd<I, F, true, G>(d, s, n);
		return;
	}
	unsigned blocks = 0;
	while (n >= 4 * line_size) {
		n -= 256;
		if (n >= prefetch_ahead) {
			_mm_prefetch(s + n - prefetch_ahead + 192, _MM_HINT_NTA);
			_mm_prefetch(s + n - prefetch_ahead + 128, _MM_HINT_NTA);
			_mm_prefetch(s + n - prefetch_ahead + 64, _MM_HINT_NTA);
			_mm_prefetch(s + n - prefetch_ahead, _MM_HINT_NTA);
		}
		// Line by line here: for these runs (2 KiB and up, backward)
		// this measured faster than loading the 4 lines first.
		I::stream_copy_line(d + n + 192, s + n + 192);
		I::stream_copy_line(d + n + 128, s + n + 128);
		I::stream_copy_line(d + n + 64, s + n + 64);
		I::stream_copy_line(d + n, s + n);
		if constexpr (WC) {
			if (++blocks == 3) {
				blocks = 0;
				// Drains the write-combining buffers (WC workaround).
				F::sfence();
			}
		}
	}
	copy_rest_bwd<I, F, true, 2>(d, s, n);
}

template <class I, class F>
inline void memmove_nt_fwd(char *d, const char *s, std::size_t n) noexcept
{
	const std::size_t head = (0 - addr(d)) & (line_size - 1);
	if (head) {
		copy_le64<I>(d, s, head);
		F::line(d);
		d += head;
		s += head;
		n -= head;
	}
	char *const nt_begin = d;
	if (I::wc_applies && detail::g_wc_workaround)
		stream_fwd_lines<I, F, I::wc_applies>(d, s, n);
	else
		stream_fwd_lines<I, F, false>(d, s, n);
	if (n && stream_tail_copy<I>(d, s, n)) {
		d += n;
		n = 0;
	}
	F::nt(nt_begin, static_cast<std::size_t>(d - nt_begin));
	if (n) {
		copy_le64<I>(d, s, n);
		F::line(d);
	}
}

template <class I, class F>
inline void memmove_nt_bwd(char *d, const char *s, std::size_t n) noexcept
{
	const std::size_t tail = addr(d + n) & (line_size - 1);
	char *const nt_end = d + n - tail;
	if (tail) {
		n -= tail;
		if (stream_tail_copy<I>(d + n, s + n, tail)) {
			F::nt(d + n, tail);
		} else {
			copy_le64<I>(d + n, s + n, tail);
			F::line(d + n);
		}
	}
	if (I::wc_applies && detail::g_wc_workaround)
		stream_bwd_lines<I, F, I::wc_applies>(d, s, n);
	else
		stream_bwd_lines<I, F, false>(d, s, n);
	F::nt(d + n, static_cast<std::size_t>(nt_end - (d + n)));
	if (n) {
		copy_le64<I>(d, s, n);
		F::line(d);
	}
}

template <class I, class F>
void memmove_nt(char *d, const char *s, std::size_t n) noexcept
{
	F::kernel(I::memmove_nt_name);
	if (n <= 64) {
		if (n == 0)
			return;
		if (stream_le64_copy<I, F>(d, s, n)) {
			if constexpr (F::fence_after_nt)
				F::sfence();
			return;
		}
		// Otherwise no whole line or aligned piece to stream: regular
		// stores and a flush.
		copy_le64<I>(d, s, n);
		F::range(d, n);
		return;
	}
	if (addr(d) - addr(s) >= n)
		memmove_nt_fwd<I, F>(d, s, n);
	else
		memmove_nt_bwd<I, F>(d, s, n);
	// Streaming stores are weakly ordered; see flush_policy::fence_after_nt
	// for which variants fence here and which leave it to the drain.
	if constexpr (F::fence_after_nt)
		F::sfence();
}

template <class I, class F>
void memset_nt(char *d, int c, std::size_t n) noexcept
{
	F::kernel(I::memset_nt_name);
	const u64 pattern = byte_pattern(c);
	const typename I::fill f = I::make_fill(c);
	if (n <= 64) {
		if (n == 0)
			return;
		if (stream_le64_set<I, F>(d, f, pattern, n)) {
			if constexpr (F::fence_after_nt)
				F::sfence();
			return;
		}
		set_le64<I>(d, f, pattern, n);
		F::range(d, n);
		return;
	}
	const std::size_t head = (0 - addr(d)) & (line_size - 1);
	if (head) {
		set_le64<I>(d, f, pattern, head);
		F::line(d);
		d += head;
		n -= head;
	}
	char *const nt_begin = d;
	const bool wc = I::wc_applies && detail::g_wc_workaround;
	unsigned blocks = 0;
	while (n >= 4 * line_size) {
		I::stream_fill_line(d, f);
		I::stream_fill_line(d + 64, f);
		I::stream_fill_line(d + 128, f);
		I::stream_fill_line(d + 192, f);
		d += 256;
		n -= 256;
		// WC workaround, as in stream_fwd_lines.
		if (wc && ++blocks == 3) {
			blocks = 0;
			F::sfence();
		}
	}
	while (n >= line_size) {
		I::stream_fill_line(d, f);
		d += 64;
		n -= 64;
	}
	if (n && stream_tail_set<I>(d, f, pattern, n)) {
		d += n;
		n = 0;
	}
	F::nt(nt_begin, static_cast<std::size_t>(d - nt_begin));
	if (n) {
		set_le64<I>(d, f, pattern, n);
		F::line(d);
	}
	// Streaming stores are weakly ordered; as in memmove_nt.
	if constexpr (F::fence_after_nt)
		F::sfence();
}

// ---- per-granularity entry points ------------------------------------

// The two operations as the entry points see them, so each granularity's
// logic is written once: a copy from s (memmove, overlap-safe) or a fill
// with c (memset). Everything inlines; the entry points below stay as fast
// as hand-written pairs.
template <class I>
struct copy_op {
	const char *s;

	static constexpr const char *t_name = I::memmove_t_name;
	static constexpr const char *nt_name = I::memmove_nt_name;

	// memmove onto itself stores nothing (spec 9.3); memset always stores.
	bool stores(const char *d) const noexcept { return d != s; }
	void le64(char *d, std::size_t n) const noexcept { copy_le64<I>(d, s, n); }
	template <class F>
	bool stream_le64(char *d, std::size_t n) const noexcept
	{
		return stream_le64_copy<I, F>(d, s, n);
	}
	// Temporal kernels, unless the ISA borrows them from another family
	// (MOVDIR64B replaces only the non-temporal ones).
	template <class F>
	void temporal(char *d, std::size_t n) const noexcept
	{
		if constexpr (I::borrows_temporal)
			I::template temporal_memmove<F>(d, s, n);
		else
			memmove_t<I, F>(d, s, n);
	}
	template <class F>
	void nontemporal(char *d, std::size_t n) const noexcept
	{
		memmove_nt<I, F>(d, s, n);
	}
};

template <class I>
struct fill_op {
	int c;

	static constexpr const char *t_name = I::memset_t_name;
	static constexpr const char *nt_name = I::memset_nt_name;

	bool stores(const char *) const noexcept { return true; }
	void le64(char *d, std::size_t n) const noexcept
	{
		set_le64<I>(d, I::make_fill(c), byte_pattern(c), n);
	}
	template <class F>
	bool stream_le64(char *d, std::size_t n) const noexcept
	{
		return stream_le64_set<I, F>(d, I::make_fill(c), byte_pattern(c), n);
	}
	template <class F>
	void temporal(char *d, std::size_t n) const noexcept
	{
		if constexpr (I::borrows_temporal)
			I::template temporal_memset<F>(d, c, n);
		else
			memset_t<I, F>(d, c, n);
	}
	template <class F>
	void nontemporal(char *d, std::size_t n) const noexcept
	{
		memset_nt<I, F>(d, c, n);
	}
};

// Spec 9.3 priority: NOFLUSH, then NONTEMPORAL|WC, then TEMPORAL|WB, then
// the length threshold.
inline bool cl_wants_nt(unsigned flags, std::size_t len) noexcept
{
	if (flags & (f_nontemporal | f_wc))
		return true;
	if (flags & (f_temporal | f_wb))
		return false;
	return len >= detail::g_movnt_threshold;
}

template <class F>
using noflush_of = flush_policy<flush_kind::none, F::recording>;

// CACHE_LINE (spec 9.2): nodrain kernel, then SFENCE unless NODRAIN or
// NOFLUSH. A zero length or a memmove onto itself stores nothing but still
// drains.
template <class I, class F>
struct cl_gran {
	template <class Op>
	[[gnu::always_inline]] static void run(char *d, std::size_t len, unsigned flags, const Op &op) noexcept
	{
		if constexpr (!I::borrows_temporal) {
			// Up to one line: inline, without a call. A streaming store
			// kind streams a line-aligned whole line or 32/16/8/4-byte piece
			// (as the non-temporal kernels do); anything else is a regular
			// store plus a flush, whatever the store kind.
			if (len - 1 < line_size) {
				if (op.stores(d)) {
					const bool nt = !(flags & f_noflush) && cl_wants_nt(flags, len);
					if constexpr (F::recording)
						F::kernel(nt ? Op::nt_name : Op::t_name);
					if (nt && op.template stream_le64<F>(d, len)) {
						if constexpr (F::fence_after_nt)
							F::sfence();
					} else {
						op.le64(d, len);
						if (!(flags & f_noflush))
							F::range(d, len);
					}
				}
				// The drain, as below.
				if (!(flags & (f_nodrain | f_noflush)))
					F::sfence();
				return;
			}
		}
		if (len != 0 && op.stores(d)) [[likely]] {
			if (flags & f_noflush)
				op.template temporal<noflush_of<F>>(d, len);
			else if (cl_wants_nt(flags, len))
				op.template nontemporal<F>(d, len);
			else
				op.template temporal<F>(d, len);
		}
		// The drain: makes the flushes and streaming stores above durable
		// before the caller's next store.
		if (!(flags & (f_nodrain | f_noflush)))
			F::sfence();
	}
};

// BYTE (eADR, spec 9.4): caches are persistent, so nothing is flushed;
// streaming stores only on an explicit NONTEMPORAL (WC ignored, threshold
// ignored). The SFENCE still orders the stores (and drains streaming ones).
template <class I, bool Rec>
struct byte_gran {
	template <class Op>
	[[gnu::always_inline]] static void run(char *d, std::size_t len, unsigned flags, const Op &op) noexcept
	{
		using N = flush_policy<flush_kind::none, Rec>;
		if (len != 0 && op.stores(d)) [[likely]] {
			if ((flags & (f_noflush | f_nontemporal)) == f_nontemporal)
				op.template nontemporal<N>(d, len);
			else
				op.template temporal<N>(d, len);
		}
		// Orders the stores above before the caller's next store.
		if (!(flags & (f_nodrain | f_noflush)))
			N::sfence();
	}
};

// PAGE (spec 9.2, deliberately different per gap A33): the store kind is
// chosen as for CACHE_LINE, but no CPU cache line is flushed, because the
// msync of page_sync() is what makes page-cache data durable; then
// page_sync() unless NOFLUSH (NODRAIN has no effect). Streaming variants
// fence inside the kernel, so their stores are globally visible before msync.
template <class I, bool Rec>
struct page_gran {
	template <class Op>
	[[gnu::always_inline]] static void run(char *d, std::size_t len, unsigned flags, const Op &op) noexcept
	{
		using N = flush_policy<flush_kind::none, Rec>;
		if (len != 0 && op.stores(d)) [[likely]] {
			if (!(flags & f_noflush) && cl_wants_nt(flags, len))
				op.template nontemporal<N>(d, len);
			else
				op.template temporal<N>(d, len);
		}
		if (!(flags & f_noflush))
			page_sync(d, len);
	}
};

// The C signatures of the dispatch table over one granularity's logic G.
template <class I, class G>
void *memmove_entry(void *dest, const void *src, std::size_t len, unsigned flags) noexcept
{
	G::run(static_cast<char *>(dest), len, flags, copy_op<I>{static_cast<const char *>(src)});
	return dest;
}

template <class I, class G>
void *memset_entry(void *dest, int c, std::size_t len, unsigned flags) noexcept
{
	G::run(static_cast<char *>(dest), len, flags, fill_op<I>{c});
	return dest;
}

// ---- the family's row of the dispatch table --------------------------

template <class I, class G>
constexpr detail::entry_pair entries()
{
	return {&memmove_entry<I, G>, &memset_entry<I, G>};
}

template <class I, flush_kind K, bool R>
constexpr detail::entry_pair cl_pair()
{
	return entries<I, cl_gran<I, flush_policy<K, R>>>();
}

template <class I, flush_kind K>
constexpr void fill_raw(detail::kernel_set &k)
{
	constexpr int i = static_cast<int>(K);
	if constexpr (!I::borrows_temporal) {
		k.memmove_t[i][0] = &memmove_t<I, flush_policy<K, false>>;
		k.memmove_t[i][1] = &memmove_t<I, flush_policy<K, true>>;
		k.memset_t[i][0] = &memset_t<I, flush_policy<K, false>>;
		k.memset_t[i][1] = &memset_t<I, flush_policy<K, true>>;
	}
	k.memmove_nt[i][0] = &memmove_nt<I, flush_policy<K, false>>;
	k.memmove_nt[i][1] = &memmove_nt<I, flush_policy<K, true>>;
	k.memset_nt[i][0] = &memset_nt<I, flush_policy<K, false>>;
	k.memset_nt[i][1] = &memset_nt<I, flush_policy<K, true>>;
}

template <class I>
constexpr detail::kernel_set make_kernel_set()
{
	detail::kernel_set k{};
	k.name = I::name;
	k.cache_line[0][0] = cl_pair<I, flush_kind::clwb, false>();
	k.cache_line[0][1] = cl_pair<I, flush_kind::clwb, true>();
	k.cache_line[1][0] = cl_pair<I, flush_kind::clflushopt, false>();
	k.cache_line[1][1] = cl_pair<I, flush_kind::clflushopt, true>();
	k.cache_line[2][0] = cl_pair<I, flush_kind::clflush, false>();
	k.cache_line[2][1] = cl_pair<I, flush_kind::clflush, true>();
	k.byte[0] = entries<I, byte_gran<I, false>>();
	k.byte[1] = entries<I, byte_gran<I, true>>();
	k.page[0] = entries<I, page_gran<I, false>>();
	k.page[1] = entries<I, page_gran<I, true>>();
	fill_raw<I, flush_kind::clwb>(k);
	fill_raw<I, flush_kind::clflushopt>(k);
	fill_raw<I, flush_kind::clflush>(k);
	fill_raw<I, flush_kind::none>(k);
	return k;
}

} // namespace pmem2::memops::PMEM2_MEMOPS_ISA_NS
