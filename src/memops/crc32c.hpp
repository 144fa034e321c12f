// CRC32C (Castagnoli, the iSCSI CRC: reflected polynomial 0x82F63B78,
// initial value and final xor ~0), alone and fused with a durable copy.
// Kernel families chosen once at run time, as the memmove/memset kernels
// are; this header is the only interface the rest of the project uses.
#pragma once

#include "common/export.hpp"
#include "memops/memops.hpp"

#include <cstddef>
#include <cstdint>

namespace pmem2::memops {

// The CRC32C of crc's message followed by [data, data+len), zlib style:
// pass 0 to start, the previous result to go on, so that
// crc32c(crc32c(0, a), b) == crc32c(0, a || b). crc32c(0, "123456789", 9)
// is 0xE3069283.
std::uint32_t crc32c(std::uint32_t crc, const void *data, std::size_t len) noexcept;

// Copies [src, src+len) to dst (the two must not overlap) and returns the
// CRC32C, chained from crc as above, of the bytes written; each source line
// is read from memory once. Durable as the memcpy of granularity g is, with
// the kernels' flush instruction and non-temporal threshold (memops.hpp):
//   cache_line  lines streamed (from the threshold up) or stored and
//               flushed, then one SFENCE;
//   byte        regular stores, then one SFENCE (orders them);
//   page        streamed (from the threshold up, then one SFENCE) or
//               regular stores, nothing flushed: the caller msyncs.
// Where the CPU cannot write back a line (can_write_back_lines()),
// cache_line is the page copy followed by the page sync of dst.
// Reports to an installed recorder like the memmove kernels (its variant is
// chosen by redispatch(); the CRC family by redispatch_crc32c()).
std::uint32_t copy_crc32c(char *dst, const char *src, std::size_t len, std::uint32_t crc,
			  granularity g) noexcept;

// The kernel families: "table" (slicing-by-8, any CPU) everywhere; on
// x86-64, worse to better, "sse42" (the CRC32 instruction, three streams
// joined with PCLMULQDQ) and "vpclmul" (AVX-512 VPCLMULQDQ folding of
// 256-byte blocks); on aarch64 "armv8" (the CRC32 extension's CRC32C
// instructions). best stands for no limit.
enum class crc32c_family : int { table = 0, sse42 = 1, vpclmul = 2, armv8 = 3, best = 255 };

// The family named by PMEM2_CRC32C ("table", "sse42", "vpclmul" or
// "armv8"); unset or any other value: best.
PMEM2_TEST_SEAM crc32c_family crc32c_limit_from_env() noexcept;
// Re-select the family (not thread-safe against concurrent CRCs; for tests
// and init): the first row of this architecture's table (best first), from
// the row of limit on, that the CPU runs; with best, from the first row;
// with a family of another architecture, the table family. Runs once by
// itself at load with crc32c_limit_from_env(). With a recorder installed,
// the crc32c() chosen reports its kernel's name ("crc32c_vpclmul", ...)
// through recorder::on_kernel on every call.
PMEM2_TEST_SEAM void redispatch_crc32c(crc32c_family limit) noexcept;
// The family chosen: "vpclmul", "sse42", "armv8" or "table".
PMEM2_TEST_SEAM const char *crc32c_selected() noexcept;

} // namespace pmem2::memops
