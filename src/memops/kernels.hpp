// The memmove/memset kernels: the loops over whole lines, temporal
// (regular stores, each line flushed after its stores) and streaming, written
// once over two policies:
//   I  the ISA (vector width, load/store/stream of one 64-byte line), given
//      by each ISA file,
//   F  the flush instruction (flush.hpp), recording or not.
// family<I> at the end names them as the flag rules (rules.hpp) take a
// kernel family whose streaming stores need no flush (x86-64); aarch64's
// NEON family (isa_neon.cpp) runs the temporal loops with a policy whose
// line stores are STNP instead. Internal to src/memops.
//
// Kernel contract: copy/fill [dest, dest+len), flush every line written
// with regular stores (F), no final drain. memmove kernels are overlap-safe.
// 8-byte store guarantee: when dest and len are multiples of 8, every store
// is at least 8 bytes wide and 8-byte aligned (the pieces, pieces.hpp, are
// 8-multiples at 8-aligned offsets in that case, and lines are 64-aligned).
//
// Include with PMEM2_MEMOPS_ISA_NS defined (isa_ns.hpp).
#pragma once

#include "memops/isa_ns.hpp"
#include "memops/kernel_set.hpp"
#include "memops/pieces.hpp"


#include <cstddef>

namespace pmem2::memops::PMEM2_MEMOPS_ISA_NS {

// ISAs whose lines fit in registers (every family with temporal kernels)
// provide load_line/store_line/stream_line; MOVDIR64B does not.
template <class I>
inline constexpr bool has_line_regs = requires(const char *s) { I::load_line(s); };

// ---- whole lines, loads first ------------------------------------------
// A group of lines is read whole before any of it is written: the loads
// issue back to back and their misses overlap, and no load waits behind a
// store of the same group (with source and destination at the same page
// offset, loads queued behind stores to addresses equal in their low 12
// bits run late). Within a group any overlap is safe; the callers order the
// groups as memmove needs. Runs shorter than 2 * group_lines lines (2 *
// temporal_group_lines for the temporal kernels) go out as one group per
// power of two (as PMDK's kernels do); longer runs as 4-line groups in a
// loop (with the source prefetch, when streaming).

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

// Lines per group of the temporal kernels: stores of a group, then its
// flushes. When lines are flushed, 4 whatever the registers hold: the
// flushes start sooner, and the drain after them waits less (AVX-512F,
// copies of 16 to 31 lines 3% faster with a drain, the overlapping
// backward move of 8 to 16 lines 2x; docs/PERFORMANCE_CHANGES.md,
// "Temporal groups"). With no flush (BYTE, NOFLUSH) the ISA's
// register-sized group stays: 4-line groups made AVX moves of 8 to 24
// lines up to 18% slower there.
template <class I, class F>
inline constexpr std::size_t temporal_group_lines = F::flushes ? 4 : group_lines<I>;

template <class I, class F>
[[gnu::always_inline]] inline void memmove_t_fwd(char *d, const char *s, std::size_t n) noexcept
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
	constexpr std::size_t G = temporal_group_lines<I, F>;
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
[[gnu::always_inline]] inline void memmove_t_bwd(char *d, const char *s, std::size_t n) noexcept
{
	const std::size_t tail = addr(d + n) & (line_size - 1);
	if (tail) {
		n -= tail;
		copy_le64<I>(d + n, s + n, tail);
		F::line(d + n);
	}
	// Backward order is safe for dest above src: each store lands above
	// every source byte not yet read.
	constexpr std::size_t G = temporal_group_lines<I, F>;
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

// One function with both directions in it, never split: how the compiler
// would otherwise cut and inline it changes with the code around it, and
// moved copies of a few lines by 10% either way in A/B runs.
template <class I, class F>
[[gnu::noinline]] void memmove_t(char *d, const char *s, std::size_t n) noexcept
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

// WC workaround (DIFFERENCES.md S9.5): an SFENCE after every 768 bytes (12 lines) of
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
		detail::prefetch_nta(s + prefetch_ahead);
		detail::prefetch_nta(s + prefetch_ahead + 64);
		detail::prefetch_nta(s + prefetch_ahead + 128);
		detail::prefetch_nta(s + prefetch_ahead + 192);
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
			detail::prefetch_nta(s + n - prefetch_ahead + 192);
			detail::prefetch_nta(s + n - prefetch_ahead + 128);
			detail::prefetch_nta(s + n - prefetch_ahead + 64);
			detail::prefetch_nta(s + n - prefetch_ahead);
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

// ---- the kernels as a family -----------------------------------------

// The ISA's kernels as the flag rules take a kernel family (rules.hpp): the
// ISA's own members (name, kernel names, borrows_temporal), its raw kernels
// and its pieces of at most one line, which the entry points store inline.
// MOVDIR64B (borrows_temporal) has temporal kernels of another family only,
// reached through the ISA's temporal_memmove/temporal_memset.
template <class I>
struct family : I {
	static constexpr bool streams = true;
	static constexpr bool nt_skips_flush = true;	// streamed lines are not flushed
	static constexpr bool small_inline = !I::borrows_temporal;

	template <class F>
	static constexpr detail::raw_memmove_fn memmove_t = [] {
		if constexpr (I::borrows_temporal)
			return &I::template temporal_memmove<F>;
		else
			return &PMEM2_MEMOPS_ISA_NS::memmove_t<I, F>;
	}();
	template <class F>
	static constexpr detail::raw_memset_fn memset_t = [] {
		if constexpr (I::borrows_temporal)
			return &I::template temporal_memset<F>;
		else
			return &PMEM2_MEMOPS_ISA_NS::memset_t<I, F>;
	}();
	template <class F>
	static constexpr detail::raw_memmove_fn memmove_nt = &PMEM2_MEMOPS_ISA_NS::memmove_nt<I, F>;
	template <class F>
	static constexpr detail::raw_memset_fn memset_nt = &PMEM2_MEMOPS_ISA_NS::memset_nt<I, F>;

	static void small_copy(char *d, const char *s, std::size_t n) noexcept
	{
		copy_le64<I>(d, s, n);
	}
	static void small_set(char *d, int c, std::size_t n) noexcept
	{
		set_le64<I>(d, I::make_fill(c), byte_pattern(c), n);
	}
	template <class F>
	static bool small_stream_copy(char *d, const char *s, std::size_t n) noexcept
	{
		return stream_le64_copy<I, F>(d, s, n);
	}
	template <class F>
	static bool small_stream_set(char *d, int c, std::size_t n) noexcept
	{
		return stream_le64_set<I, F>(d, I::make_fill(c), byte_pattern(c), n);
	}
};

} // namespace pmem2::memops::PMEM2_MEMOPS_ISA_NS
