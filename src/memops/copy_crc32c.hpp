// The CRC32C families' loops and their row of the dispatch table: the raw
// CRC conditioned into crc32c(), and the one-pass durable copy + CRC32C
// (copy_crc32c) per granularity, flush instruction and recording mode,
// written once over the family K. The copies store through the memmove
// kernels' own pieces (kernels.hpp, pieces.hpp; SSE2 lines, isa_sse2.hpp)
// and flush policies (flush.hpp). Internal to src/memops.
//
// A family K gives:
//   K::name, K::crc_name               "sse42", "crc32c_sse42"
//   K::copy_t_name, K::copy_nt_name    "copy_crc32c_t_sse42", "..._nt_..."
//   K::raw(raw, p, n)                  the raw CRC (crc32c_poly.hpp) of n bytes
//   K::lines<F, NT>(d, s, n, raw)      copies the whole lines of n bytes from
//                                      s to the line-aligned d, streamed
//                                      (NT) or stored and flushed with F,
//                                      advancing d, s and n (left < 64),
//                                      and returns raw carried over them
//                                      (lines_in_chunks below, or its own)
//
// Copy contract: [d, d+n) gets [s, s+n) (not overlapping); every line of it
// written with regular stores is flushed (F) after its stores, every other
// line is streamed whole; no fence (the entry points below fence once, at
// the end). Each source line is read from memory once: vpclmul folds the
// registers its stores were loaded into; sse42 feeds each line to its CRC
// right after loading it for the copy (its second read hits L1); table
// takes the CRC of each chunk of at most crc32c_chunk bytes right after
// copying it, from L1.
//
// Include with PMEM2_MEMOPS_ISA_NS defined (isa_ns.hpp).
#pragma once

#include "memops/crc32c_set.hpp"
#if defined(__x86_64__)
#include "memops/isa_sse2.hpp"
#else
#include "memops/lines_plain.hpp"
#endif
#include "memops/kernels.hpp"

#include <cstddef>
#include <cstdint>

namespace pmem2::memops::PMEM2_MEMOPS_ISA_NS {

// The line policy of every copy's heads, tails and plain lines: SSE2, the
// x86-64 baseline; plain words elsewhere.
// Whether the copies may stream: plain_lines' "streaming" stores are
// regular stores that no flush would follow, so without real
// non-temporal stores every copy takes the stored-and-flushed path.
#if defined(__x86_64__)
using crc_lines = sse2_lines;
inline constexpr bool crc_streams = true;
#else
using crc_lines = plain_lines;
inline constexpr bool crc_streams = false;
#endif

// Copies the whole lines of n bytes from s to the line-aligned d, streamed
// or stored and flushed 4 lines at a time; advances d, s and n (left < 64).
template <class F, bool NT>
inline void copy_lines(char *&d, const char *&s, std::size_t &n) noexcept
{
	if constexpr (NT) {
		// No WC workaround: its fences are not the one fence of the
		// copy_crc32c contract.
		stream_fwd_lines<crc_lines, F, false>(d, s, n);
	} else {
		while (n >= 4 * line_size) {
			copy_group<crc_lines, false, false, 4>(d, s);
			flush_group<F, false, 4>(d);
			d += 4 * line_size;
			s += 4 * line_size;
			n -= 4 * line_size;
		}
		copy_rest_fwd<crc_lines, F, false, 2>(d, s, n);
	}
}

// Bytes copied before their CRC is taken: small enough that the source is
// still in L1 (and, three streams of 1 KiB, the SSE4.2 kernel's round).
inline constexpr std::size_t crc32c_chunk = 3072;

// K::lines for the families whose CRC reads memory: copy a chunk of lines,
// then take its CRC from the source just read.
template <class K, class F, bool NT>
inline u32 lines_in_chunks(char *&d, const char *&s, std::size_t &n, u32 raw) noexcept
{
	while (n >= line_size) {
		const std::size_t m = n >= crc32c_chunk ? crc32c_chunk : n & ~(line_size - 1);
		const char *const from = s;
		std::size_t left = m;
		copy_lines<F, NT>(d, s, left);
		n -= m;
		raw = K::raw(raw, from, m);
	}
	return raw;
}

// One copy: head up to d's next line, whole lines, tail; raw CRC in and out.
template <class K, class F, bool NT>
u32 copy_run(char *d, const char *s, std::size_t n, u32 raw) noexcept
{
	if (n <= line_size) {
		if (n == 0)
			return raw;
		copy_le64<crc_lines>(d, s, n);
		F::range(d, n);
		return K::raw(raw, s, n);
	}
	const std::size_t head = (0 - addr(d)) & (line_size - 1);
	if (head) {
		copy_le64<crc_lines>(d, s, head);
		F::line(d);
		raw = K::raw(raw, s, head);
		d += head;
		s += head;
		n -= head;
	}
	char *const nt_begin = d;
	raw = K::template lines<F, NT>(d, s, n, raw);
	if constexpr (NT)
		F::nt(nt_begin, static_cast<std::size_t>(d - nt_begin));
	if (n) {
		copy_le64<crc_lines>(d, s, n);
		F::line(d);
		raw = K::raw(raw, s, n);
	}
	return raw;
}

// ---- entry points (the conditioning of crc32c.hpp) ---------------------

template <class K, bool R>
u32 crc_entry(u32 crc, const void *p, std::size_t n) noexcept
{
	flush_policy<flush_kind::none, R>::kernel(K::crc_name);
	return ~K::raw(~crc, static_cast<const char *>(p), n);
}

// CACHE_LINE: streamed from the non-temporal threshold up, else stored and
// flushed, as the memcpy entry points choose without flags.
template <class K, flush_kind Kind, bool R>
u32 copy_cache_line(char *d, const char *s, std::size_t n, u32 crc) noexcept
{
	using F = flush_policy<Kind, R>;
	u32 raw;
	if (crc_streams && n >= detail::g_movnt_threshold) {
		F::kernel(K::copy_nt_name);
		raw = copy_run<K, F, true>(d, s, n, ~crc);
	} else {
		F::kernel(K::copy_t_name);
		raw = copy_run<K, F, false>(d, s, n, ~crc);
	}
	// The drain, the only fence: makes the flushes and streaming stores
	// above durable before the caller's next store.
	F::sfence();
	return ~raw;
}

// BYTE: caches are persistent; regular stores, nothing flushed, and the
// fence orders them before the caller's next store.
template <class K, bool R>
u32 copy_byte(char *d, const char *s, std::size_t n, u32 crc) noexcept
{
	using N = flush_policy<flush_kind::none, R>;
	N::kernel(K::copy_t_name);
	const u32 raw = copy_run<K, N, false>(d, s, n, ~crc);
	// Orders the stores above before the caller's next store.
	N::sfence();
	return ~raw;
}

// PAGE: the store kind as for CACHE_LINE, nothing flushed; the caller's
// msync makes the page cache durable.
template <class K, bool R>
u32 copy_page(char *d, const char *s, std::size_t n, u32 crc) noexcept
{
	using N = flush_policy<flush_kind::none, R>;
	if (!crc_streams || n < detail::g_movnt_threshold) {
		N::kernel(K::copy_t_name);
		return ~copy_run<K, N, false>(d, s, n, ~crc);
	}
	N::kernel(K::copy_nt_name);
	const u32 raw = copy_run<K, N, true>(d, s, n, ~crc);
	// Streaming stores are weakly ordered: globally visible (in the page
	// cache the caller's msync writes back) only after a fence.
	N::sfence();
	return ~raw;
}

template <class K>
constexpr detail::crc32c_kernels make_crc32c_kernels()
{
	detail::crc32c_kernels k{};
	k.name = K::name;
	k.copy_streams = crc_streams;
	k.crc[0] = &crc_entry<K, false>;
	k.crc[1] = &crc_entry<K, true>;
	k.cache_line[0][0] = &copy_cache_line<K, flush_kind::clwb, false>;
	k.cache_line[0][1] = &copy_cache_line<K, flush_kind::clwb, true>;
	k.cache_line[1][0] = &copy_cache_line<K, flush_kind::clflushopt, false>;
	k.cache_line[1][1] = &copy_cache_line<K, flush_kind::clflushopt, true>;
	k.cache_line[2][0] = &copy_cache_line<K, flush_kind::clflush, false>;
	k.cache_line[2][1] = &copy_cache_line<K, flush_kind::clflush, true>;
	k.byte[0] = &copy_byte<K, false>;
	k.byte[1] = &copy_byte<K, true>;
	k.page[0] = &copy_page<K, false>;
	k.page[1] = &copy_page<K, true>;
	k.raw = &K::raw;
	return k;
}

} // namespace pmem2::memops::PMEM2_MEMOPS_ISA_NS
