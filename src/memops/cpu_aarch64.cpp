// aarch64 CPU feature detection through getauxval, done once (cpu.cpp is
// the x86-64 one; CMake builds the one of CMAKE_SYSTEM_PROCESSOR).
#include "memops/cpu_aarch64.hpp"

#include <sys/auxv.h>

#include <atomic>

namespace pmem2::memops {
namespace {

std::atomic<const cpu_features *> g_fake{nullptr};

} // namespace

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

void set_cpu_for_test(const cpu_features *f) noexcept
{
	g_fake.store(f, std::memory_order_release);
}

const cpu_features &cpu() noexcept
{
	if (const cpu_features *f = g_fake.load(std::memory_order_acquire)) [[unlikely]]
		return *f;
	static const cpu_features features = cpu_from_hwcaps(getauxval(AT_HWCAP), getauxval(AT_HWCAP2));
	return features;
}

} // namespace pmem2::memops
