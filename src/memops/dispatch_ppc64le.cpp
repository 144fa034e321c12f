// The ppc64le part of the dispatch (dispatch_arch.hpp): the plain kernel
// family, and dcbstps, dcbst or dcbf as the flush.
#include "memops/dispatch_arch.hpp"

namespace pmem2::memops::detail {
namespace {

// No vector family yet: the generic one (8-byte stores, each block flushed
// once the stores have passed it) is every POWER CPU's. POWER has no
// streaming stores for the non-temporal family to use.
constexpr implementation k_implementations[] = {
	{&kernels_generic, 0},
};

} // namespace

std::span<const implementation> arch_implementations() noexcept
{
	return k_implementations;
}

flush_slots arch_flush_slots(const cpu_features &c) noexcept
{
	// PMEM_NO_CLWB / PMEM_NO_CLFLUSHOPT rule out dcbstps and dcbst,
	// leaving dcbf; dcbst and dcbf are every POWER CPU's.
	return {c.dcbstps, true};
}

arch_choice arch_kernels(const cpu_features &c, const dispatch_options &opt) noexcept
{
	const kernel_set *set = &kernels_generic();
	return {set, set, arch_flush_index(c, opt)};
}

bool arch_line_write_back(const cpu_features &) noexcept
{
	return true;	// dcbst and dcbf are in every POWER CPU
}

bool arch_wc_default(const cpu_features &) noexcept
{
	return false;	// no streaming stores to work around
}

} // namespace pmem2::memops::detail
