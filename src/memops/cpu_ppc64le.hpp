// ppc64le CPU feature detection: what getauxval(AT_HWCAP/AT_HWCAP2)
// reports, and the seam tests use to fake it so each flush fallback is
// chosen and run. Internal to src/memops and its tests.
#pragma once

#include "memops/cpu_seam.hpp"

namespace pmem2::memops {

// The Linux hwcap bits this library reads (asm/cputable.h).
inline constexpr unsigned long hwcap_vsx = 0x00000080ul;	// PPC_FEATURE_HAS_VSX
inline constexpr unsigned long hwcap2_arch_3_1 = 0x00040000ul;	// PPC_FEATURE2_ARCH_3_1: dcbstps, phwsync

// The features a CPU with these hwcaps has.
PMEM2_TEST_SEAM cpu_features cpu_from_hwcaps(unsigned long hwcap, unsigned long hwcap2) noexcept;


} // namespace pmem2::memops
