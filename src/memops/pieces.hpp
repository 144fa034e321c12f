// The pieces of at most one line that every kernel family stores:
// heads, tails and whole short calls, copied or filled with regular stores
// in at most two overlapping windows per size class, and the line-aligned
// pieces that go out as one streaming store. Written once over the ISA
// policy I (vector width; see kernels.hpp). Internal to src/memops.
//
// 8-byte store guarantee: when dest and n are multiples of 8, every store
// here is at least 8 bytes wide and 8-byte aligned: the windows are then
// 8-multiples at 8-aligned offsets.
//
// Include with PMEM2_MEMOPS_ISA_NS defined (isa_ns.hpp).
#pragma once

#include "memops/isa_ns.hpp"

#include "memops/arch_store.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace pmem2::memops::PMEM2_MEMOPS_ISA_NS {

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

// ISAs that store 64 bytes at any address in one instruction (AVX-512F).
template <class I>
inline constexpr bool has_copy64 = requires(char *d, const char *s) { I::copy64(d, s); };

// Copy n <= 64 bytes with at most two overlapping windows per size class.
// Every load happens before the first store, so any overlap is safe.
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
		detail::copy16_pair(d, s, d + n - 16, s + n - 16);
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
		detail::fill16(d, pattern);
		detail::fill16(d + n - 16, pattern);
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
// store (DIFFERENCES.md S9.5); returns false when the tail needs regular stores.
template <class I>
inline bool stream_tail_copy(char *d, const char *s, std::size_t n) noexcept
{
	switch (n) {
	case 32:
		I::stream32(d, I::load32(s));
		return true;
	case 16:
		detail::stream16_copy(d, s);
		return true;
	case 8:
		detail::stream8(d, load_scalar<u64>(s));
		return true;
	case 4:
		detail::stream4(d, load_scalar<u32>(s));
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
		detail::stream16_fill(d, pattern);
		return true;
	case 8:
		detail::stream8(d, pattern);
		return true;
	case 4:
		detail::stream4(d, static_cast<u32>(pattern));
		return true;
	default:
		return false;
	}
}

// At most one line with a streaming store kind: a line-aligned whole line
// goes out as one streaming line, a line-aligned piece of exactly 32/16/8/4
// bytes as one streaming store, as the lines and tail of the streaming
// kernels do (DIFFERENCES.md S9.5), and is reported as streamed. Returns false for any
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

} // namespace pmem2::memops::PMEM2_MEMOPS_ISA_NS
