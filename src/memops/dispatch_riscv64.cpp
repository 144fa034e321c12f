// The riscv64 part of the dispatch (dispatch_arch.hpp): the plain kernel
// family, and CBO.CLEAN as the flush where the kernel reports Zicbom;
// elsewhere no line write-back at all (CACHE_LINE goes through msync).
#include "memops/dispatch_arch.hpp"
#include "memops/flush_arch.hpp"

namespace pmem2::memops::detail {

std::size_t g_cbom_block_size = 64;

namespace {

// No vector family yet: the generic one (8-byte stores, each line flushed
// once the stores have passed it) runs on every RV64GC CPU.
constexpr implementation k_implementations[] = {
	{&kernels_generic, 0},
};

} // namespace

std::span<const implementation> arch_implementations() noexcept
{
	return k_implementations;
}

flush_slots arch_flush_slots(const cpu_features &) noexcept
{
	// One instruction in every slot (used only with Zicbom,
	// arch_line_write_back): PMEM_NO_CLWB / PMEM_NO_CLFLUSHOPT pick a
	// later slot, which runs the same CBO.CLEAN.
	return {true, true};
}

arch_choice arch_kernels(const cpu_features &c, const dispatch_options &opt) noexcept
{
	const kernel_set *set = &kernels_generic();
	return {set, set, arch_flush_index(c, opt)};
}

bool arch_line_write_back(const cpu_features &c) noexcept
{
	if (!c.zicbom)
		return false;
	// cpu_from_hwprobe() accepted it: a power of two, 8 to 4096 bytes.
	g_cbom_block_size = c.cbom_block_size;
	return true;
}

bool arch_wc_default(const cpu_features &) noexcept
{
	return false;	// no streaming stores to work around
}

} // namespace pmem2::memops::detail
