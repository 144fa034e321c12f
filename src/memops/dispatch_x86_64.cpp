// The x86-64 part of the dispatch (dispatch_arch.hpp): SSE2, AVX and
// AVX-512F families, MOVDIR64B streaming, CLWB/CLFLUSHOPT/CLFLUSH.
#include "memops/dispatch_arch.hpp"

namespace pmem2::memops::detail {
namespace {

constexpr implementation k_implementations[] = {
	{&kernels_avx512f, feature_avx512f},
	{&kernels_avx, feature_avx},
	{&kernels_sse2, feature_sse2},
};

} // namespace

std::span<const implementation> arch_implementations() noexcept
{
	return k_implementations;
}

flush_slots arch_flush_slots(const cpu_features &c) noexcept
{
	return {c.clwb, c.clflushopt};	// CLFLUSH is every x86-64 CPU's
}

arch_choice arch_kernels(const cpu_features &c, const dispatch_options &opt) noexcept
{
	unsigned avail = feature_sse2;
	if (c.avx && opt.avx)
		avail |= feature_avx;
	if (c.avx512f && opt.avx512f)
		avail |= feature_avx512f;
	if (c.movdir64b && opt.movdir64b)
		avail |= feature_movdir64b;

	const kernel_set *set = first_available(k_implementations, avail, opt.family);
	if (set == nullptr)
		set = &kernels_sse2();	// the x86-64 baseline (never reached: its row needs only SSE2)
	const kernel_set *top = (avail & feature_movdir64b) ? &kernels_movdir64b(*set) : set;
	return {set, top, arch_flush_index(c, opt)};
}

bool arch_line_write_back(const cpu_features &) noexcept
{
	return true;	// CLFLUSH is in every x86-64 CPU (SSE2 baseline)
}

bool arch_wc_default(const cpu_features &c) noexcept
{
	return c.genuine_intel;
}

} // namespace pmem2::memops::detail
