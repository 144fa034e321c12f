// The CRC32C dispatch table's rows: what each kernel family (one
// translation unit each) provides. Internal to src/memops and its tests,
// which use it to force and identify kernels.
#pragma once

#include "memops/crc32c.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace pmem2::memops::detail {

// crc32c() with its conditioning (the API's semantics).
using crc32c_fn = std::uint32_t (*)(std::uint32_t crc, const void *data, std::size_t len) noexcept;
// copy_crc32c() of one granularity, flush instruction and recording mode.
using copy_crc32c_fn = std::uint32_t (*)(char *dst, const char *src, std::size_t len,
					 std::uint32_t crc) noexcept;

struct crc32c_kernels {
	const char *name;	// "vpclmul", "sse42", "armv8", "table"
	crc32c_fn crc[2];	// [recording]
	// The copies as memops' tables index them: [flush kind: clwb,
	// clflushopt, clflush][recording], and [recording].
	copy_crc32c_fn cache_line[3][2];
	copy_crc32c_fn byte[2];
	copy_crc32c_fn page[2];
	// Whether the copies stream their lines from the non-temporal threshold
	// up (x86-64; copy_crc32c.hpp, crc_streams) or always store and flush.
	bool copy_streams;
	// The raw CRC (no conditioning; crc32c_poly.hpp), for the tests.
	std::uint32_t (*raw)(std::uint32_t raw, const char *p, std::size_t n) noexcept;
};

// CPU features a family needs (bit mask of crc32c_feature_*).
enum : unsigned {
	crc32c_feature_sse42 = 1u << 0,	// SSE4.2 CRC32 and PCLMULQDQ
	crc32c_feature_vpclmul = 1u << 1,	// AVX-512F state and VPCLMULQDQ
	crc32c_feature_crc32 = 1u << 2,	// aarch64 CRC32 extension (HWCAP_CRC32)
};

// One per translation unit.
const crc32c_kernels &crc32c_kernels_table() noexcept;
const crc32c_kernels &crc32c_kernels_sse42() noexcept;
const crc32c_kernels &crc32c_kernels_vpclmul() noexcept;
const crc32c_kernels &crc32c_kernels_armv8() noexcept;

// The SSE4.2 family's raw CRC, which the VPCLMULQDQ family uses for heads,
// tails and short inputs.
std::uint32_t crc32c_raw_sse42(std::uint32_t raw, const char *p, std::size_t n) noexcept;

// The dispatch table, best first: a family is chosen when the CPU has all
// of its required features and it is no better than the limit.
struct crc32c_implementation {
	const crc32c_kernels &(*get)() noexcept;
	unsigned required;
	crc32c_family family;
};
std::span<const crc32c_implementation> crc32c_implementations() noexcept;
// The architecture's table (crc32c_families_x86_64.cpp,
// crc32c_families_aarch64.cpp, crc32c_families_portable.cpp), which
// crc32c_implementations() returns.
std::span<const crc32c_implementation> crc32c_arch_implementations() noexcept;

// The features this CPU has (crc32c_feature_* mask; defined with the
// architecture's table).
unsigned crc32c_cpu_features() noexcept;

// The family the current dispatch uses.
const crc32c_kernels &current_crc32c_kernels() noexcept;

} // namespace pmem2::memops::detail
