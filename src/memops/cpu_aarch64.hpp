// aarch64 CPU feature detection: what getauxval(AT_HWCAP/AT_HWCAP2)
// reports, and the seam tests use to fake it so each flush fallback is
// chosen and run. Internal to src/memops and its tests.
#pragma once

#include "memops/cpu_seam.hpp"

namespace pmem2::memops {

// The Linux hwcap bits this library reads (asm/hwcap.h).
inline constexpr unsigned long hwcap_asimd = 1ul << 1;	// HWCAP_ASIMD
inline constexpr unsigned long hwcap_crc32 = 1ul << 7;	// HWCAP_CRC32: CRC32C* instructions
inline constexpr unsigned long hwcap_dcpop = 1ul << 16;	// HWCAP_DCPOP: DC CVAP
inline constexpr unsigned long hwcap2_dcpodp = 1ul << 0;	// HWCAP2_DCPODP: DC CVADP

// The features a CPU with these hwcaps has.
PMEM2_TEST_SEAM cpu_features cpu_from_hwcaps(unsigned long hwcap, unsigned long hwcap2) noexcept;


} // namespace pmem2::memops
