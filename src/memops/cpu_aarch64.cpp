// aarch64 CPU feature detection through getauxval, done once (cpu.cpp is
// the x86-64 one; CMake builds the one of CMAKE_SYSTEM_PROCESSOR).
#include "memops/cpu_aarch64.hpp"

#include <sys/auxv.h>

namespace pmem2::memops {

cpu_features cpu_from_hwcaps(unsigned long hwcap, unsigned long hwcap2) noexcept
{
	cpu_features f{};
	f.asimd = (hwcap & hwcap_asimd) != 0;
	f.crc32 = (hwcap & hwcap_crc32) != 0;
	f.dc_cvap = (hwcap & hwcap_dcpop) != 0;
	// DC CVADP is architecturally FEAT_DPB2, which requires FEAT_DPB; a
	// kernel reporting DCPODP without DCPOP is taken at its word anyway:
	// the dispatch checks each bit for its own instruction.
	f.dc_cvadp = (hwcap2 & hwcap2_dcpodp) != 0;
	return f;
}

cpu_features detail::detect_cpu() noexcept
{
	return cpu_from_hwcaps(getauxval(AT_HWCAP), getauxval(AT_HWCAP2));
}

} // namespace pmem2::memops
