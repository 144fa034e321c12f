// ppc64le CPU feature detection through getauxval, done once (cpu.cpp is
// the x86-64 one; CMake builds the one of CMAKE_SYSTEM_PROCESSOR).
#include "memops/cpu_ppc64le.hpp"

#include <sys/auxv.h>

namespace pmem2::memops {

cpu_features cpu_from_hwcaps(unsigned long hwcap, unsigned long hwcap2) noexcept
{
	cpu_features f{};
	f.vsx = (hwcap & hwcap_vsx) != 0;
	// The persistent-storage forms of dcbf and sync are ISA 3.1's; the
	// kernel reports the ISA level, not the instructions one by one.
	f.dcbstps = (hwcap2 & hwcap2_arch_3_1) != 0;
	return f;
}

cpu_features detail::detect_cpu() noexcept
{
	return cpu_from_hwcaps(getauxval(AT_HWCAP), getauxval(AT_HWCAP2));
}

} // namespace pmem2::memops
