// Plain 8-byte words as a line policy of the kernel loops (kernels.hpp,
// pieces.hpp): every architecture but x86-64 stores copy_crc32c's lines
// through it (on aarch64 too: the copy is bound by its CRC, and the
// compiler pairs these words into LDP/STP as it is). No streaming
// stores: "stream" is a regular store, so copy_crc32c.hpp never takes its
// streaming path with this policy (crc_streams). Internal to src/memops.
//
// Include with PMEM2_MEMOPS_ISA_NS defined (isa_ns.hpp).
#pragma once

#include "memops/isa_ns.hpp"

#include <cstddef>
#include <cstring>

namespace pmem2::memops::PMEM2_MEMOPS_ISA_NS {

struct plain_lines {
	struct v32 {
		u64 w[4];
	};
	using fill = u64;

	static v32 load32(const char *s) noexcept
	{
		v32 v;
		std::memcpy(v.w, s, 32);
		return v;
	}
	static void store32(char *d, v32 v) noexcept { std::memcpy(d, v.w, 32); }
	static void stream32(char *d, v32 v) noexcept { store32(d, v); }
	static fill make_fill(int c) noexcept
	{
		return 0x0101010101010101ull * static_cast<unsigned char>(c);
	}
	static v32 fill32(fill f) noexcept { return {{f, f, f, f}}; }

	struct line {
		u64 w[8];
	};
	static constexpr std::size_t group_lines = 4;
	static line load_line(const char *s) noexcept
	{
		line v;
		std::memcpy(v.w, s, 64);
		return v;
	}
	static void store_line(char *d, line v) noexcept { std::memcpy(d, v.w, 64); }
	static void stream_line(char *d, line v) noexcept { store_line(d, v); }
	static void stream_copy_line(char *d, const char *s) noexcept { store_line(d, load_line(s)); }
	static void fill_line(char *d, fill f) noexcept
	{
		for (int i = 0; i < 8; ++i)
			std::memcpy(d + 8 * i, &f, 8);
	}
	static void stream_fill_line(char *d, fill f) noexcept { fill_line(d, f); }
};

} // namespace pmem2::memops::PMEM2_MEMOPS_ISA_NS
