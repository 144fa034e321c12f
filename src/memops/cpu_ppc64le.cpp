// ppc64le CPU feature detection through getauxval, done once (cpu.cpp is
// the x86-64 one; CMake builds the one of CMAKE_SYSTEM_PROCESSOR).
#include "memops/cpu_ppc64le.hpp"

#include <sys/auxv.h>

#include <atomic>

namespace pmem2::memops {
namespace {

std::atomic<const cpu_features *> g_fake{nullptr};

} // namespace

cpu_features cpu_from_hwcaps(unsigned long hwcap, unsigned long hwcap2) noexcept
{
	cpu_features f{};
	f.vsx = (hwcap & hwcap_vsx) != 0;
	// The persistent-storage forms of dcbf and sync are ISA 3.1's; the
	// kernel reports the ISA level, not the instructions one by one.
	f.dcbstps = (hwcap2 & hwcap2_arch_3_1) != 0;
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
