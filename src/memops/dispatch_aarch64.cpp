// The aarch64 part of the dispatch (dispatch_arch.hpp): the NEON family
// where the kernel reports Advanced SIMD, the generic one otherwise, and
// DC CVADP, DC CVAP or DC CVAC as the flush.
#include "memops/dispatch_arch.hpp"

namespace pmem2::memops::detail {
namespace {

// Why: PMDK's aarch64 memmove/memset is its generic kernel (8-byte stores,
// each chunk flushed) or, with PMEM_NO_GENERIC_MEMCPY, libc's, and it has
// no non-temporal stores. We store whole lines through NEON registers
// (isa_neon.cpp) and give the NONTEMPORAL hint (and copies from the
// threshold up) STNP; PMEM_NO_MOVNT=1 selects the generic kernel, as it
// does on x86-64, which is PMDK's aarch64 choice.
constexpr implementation k_implementations[] = {
	{&kernels_neon, feature_asimd},
	{&kernels_generic, 0},
};

} // namespace

std::span<const implementation> arch_implementations() noexcept
{
	return k_implementations;
}

flush_slots arch_flush_slots(const cpu_features &c) noexcept
{
	// PMEM_NO_CLWB / PMEM_NO_CLFLUSHOPT rule out DC CVADP and DC CVAP,
	// leaving DC CVAC, which every ARMv8 CPU has.
	return {c.dc_cvadp, c.dc_cvap};
}

arch_choice arch_kernels(const cpu_features &c, const dispatch_options &opt) noexcept
{
	// Advanced SIMD is part of the ARMv8-A base profile (the compiler's
	// default target assumes it, so isa_neon.cpp needs no flag of its
	// own). HWCAP_ASIMD is checked all the same: Linux also runs on
	// cores built without FP/SIMD, and then does not report it.
	const kernel_set *set = first_available(k_implementations, kernel_features(c), opt.family);
	return {set, set, arch_flush_index(c, opt)};
}

bool arch_line_write_back(const cpu_features &) noexcept
{
	return true;	// DC CVAC is in every ARMv8 CPU
}

bool arch_wc_default(const cpu_features &) noexcept
{
	return false;	// no write-combining buffers to work around
}

} // namespace pmem2::memops::detail
