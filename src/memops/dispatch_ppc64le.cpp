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

int arch_flush_index(const cpu_features &c, const dispatch_options &opt) noexcept
{
	// The PMEM_NO_CLWB / PMEM_NO_CLFLUSHOPT options keep their meaning of
	// "not the best slot" / "not the second": they rule out dcbstps and
	// dcbst, leaving dcbf, which every POWER CPU has (as dcbst).
	int k = 2;
	if (!opt.no_clflushopt)
		k = 1;
	if (c.dcbstps && !opt.no_clwb)
		k = 0;
	return k;
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
