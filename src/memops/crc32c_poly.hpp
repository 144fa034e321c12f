// The arithmetic of CRC32C over GF(2), computed at compile time from the
// polynomial alone: the slicing tables and the constants that move a CRC
// or a folded block forward by a fixed distance. No ISA; internal to
// src/memops.
//
// Conventions (the reflected CRC): a message is a polynomial whose first
// bit (bit 0 of its first byte) is the highest power. A 32-bit CRC value
// holds a polynomial of degree < 32 with x^31 in bit 0 and x^0 in bit 31.
// The "raw" CRC of a message M from a raw value c is (c * x^|M| + M) * x^32
// mod P, what the CRC32 instruction computes; crc32c() is the raw CRC
// from ~crc, complemented.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace pmem2::memops::crc32c_poly {

// P(x) = x^32 + x^28 + x^27 + ... + 1 (Castagnoli), without its x^32 term,
// reflected.
inline constexpr std::uint32_t reflected_poly = 0x82F63B78u;

// x^n mod P, reflected. Multiplying by x is a right shift; a term carried
// out past x^31 becomes x^32 == P - x^32 (mod P).
constexpr std::uint32_t xpow_mod(std::uint64_t n) noexcept
{
	std::uint32_t v = 0x80000000u;	// x^0
	for (; n != 0; --n)
		v = (v >> 1) ^ ((v & 1u) ? reflected_poly : 0u);
	return v;
}

// Constant for a 64x32-bit carry-less multiply followed by one CRC32
// instruction over the 64-bit product, which together compute c * x^k * x^33
// mod P for a 32-bit raw CRC c (the product's reflection puts one extra x
// in, the instruction x^32). Advancing c over n zero bytes, c * x^(8n), thus
// takes shift_constant(n) == x^(8n - 33) mod P.
constexpr std::uint64_t shift_constant(std::size_t bytes) noexcept
{
	return xpow_mod(8 * static_cast<std::uint64_t>(bytes) - 33);
}

// Folding a 128-bit block forward by d bits (the block's low quadword holds
// the high half H, powers x^127..x^64; the high quadword L, x^63..x^0):
// B * x^d == H * x^(d+64) + L * x^d. Read as a 128-bit block, the
// carry-less product of a 64-bit half and a constant stored shifted left by
// one bit stands for their product times x^32, so the constants are
// x^(d+32) for H and x^(d-32) for L, each of degree < 32: the XOR of the
// two products is a block again, congruent to B * x^d.
struct fold_pair {
	std::uint64_t hi_half;	// multiplies the low quadword (H)
	std::uint64_t lo_half;	// multiplies the high quadword (L)
};
constexpr fold_pair fold_constants(std::size_t bytes) noexcept
{
	const std::uint64_t d = 8 * static_cast<std::uint64_t>(bytes);
	return {std::uint64_t(xpow_mod(d + 32)) << 1, std::uint64_t(xpow_mod(d - 32)) << 1};
}

// Slicing-by-8 tables: t[0][b] is the raw CRC of byte b from 0; t[k][b]
// that of byte b followed by k zero bytes.
using slice_tables = std::array<std::array<std::uint32_t, 256>, 8>;
constexpr slice_tables make_slice_tables() noexcept
{
	slice_tables t{};
	for (std::uint32_t b = 0; b < 256; ++b) {
		std::uint32_t v = b;
		for (int i = 0; i < 8; ++i)
			v = (v >> 1) ^ ((v & 1u) ? reflected_poly : 0u);
		t[0][b] = v;
	}
	for (std::size_t k = 1; k < 8; ++k)
		for (std::size_t b = 0; b < 256; ++b)
			t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFF];
	return t;
}

} // namespace pmem2::memops::crc32c_poly
