// cpu() and its test seam (cpu_seam.hpp) for the architectures whose
// features the kernel reports.
#include "memops/cpu_seam.hpp"

#include <atomic>

namespace pmem2::memops {
namespace {

std::atomic<const cpu_features *> g_fake{nullptr};

} // namespace

void set_cpu_for_test(const cpu_features *f) noexcept
{
	g_fake.store(f, std::memory_order_release);
}

const cpu_features &cpu() noexcept
{
	if (const cpu_features *f = g_fake.load(std::memory_order_acquire)) [[unlikely]]
		return *f;
	static const cpu_features features = detail::detect_cpu();
	return features;
}

} // namespace pmem2::memops
