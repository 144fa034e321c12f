// The architecture's part of the dispatch: its kernel families (best
// first) and its flush instruction. One definition per architecture
// (dispatch_x86_64.cpp, dispatch_aarch64.cpp, dispatch_ppc64le.cpp,
// dispatch_riscv64.cpp), chosen
// by CMake from CMAKE_SYSTEM_PROCESSOR. Internal to src/memops.
#pragma once

#include "memops/kernel_set.hpp"
#include "memops/memops.hpp"

#include <cstring>
#include <span>

namespace pmem2::memops::detail {

struct arch_choice {
	const kernel_set *set;	// the temporal family
	const kernel_set *top;	// the entry points (set, or the one that streams for it)
	int flush;		// slot of the [flush kind] arrays (flush_arch.hpp)
};

// The families of this architecture, best first.
std::span<const implementation> arch_implementations() noexcept;

// Which of the two better flush slots (flush_arch.hpp) the CPU has; the
// last slot is every CPU's.
struct flush_slots {
	bool best, second;
};
flush_slots arch_flush_slots(const cpu_features &c) noexcept;

// The flush slot the CPU has and the options allow, the same rule on every
// architecture (DIFFERENCES.md S8.4, later rules overriding earlier ones):
// PMEM_NO_CLWB rules out the best slot and PMEM_NO_CLFLUSHOPT the second,
// whatever instruction is in them.
inline int arch_flush_index(const cpu_features &c, const dispatch_options &opt) noexcept
{
	const flush_slots have = arch_flush_slots(c);
	int k = 2;
	if (have.second && !opt.no_clflushopt)
		k = 1;
	if (have.best && !opt.no_clwb)
		k = 0;
	return k;
}

// The kernel family (without PMEM_NO_MOVNT, which dispatch.cpp handles the
// same way everywhere).
arch_choice arch_kernels(const cpu_features &c, const dispatch_options &opt) noexcept;

// Whether the CPU has a line write-back instruction user space may run
// (x86-64 and aarch64: always; riscv64: Zicbom reported by the kernel).
// When it has, also readies flush_arch.hpp's line flush for this CPU
// (riscv64: the cache-block size); when not, dispatch.cpp routes
// CACHE_LINE through the page sync and no slot is ever run.
bool arch_line_write_back(const cpu_features &c) noexcept;

// Whether the write-combining workaround is on by default for this CPU.
bool arch_wc_default(const cpu_features &c) noexcept;

// The first row of rows whose required features are all in avail; with
// named set, the first such row of that name if there is one (the
// dispatch_options::family tests force), else the first such row. nullptr
// when no row is available.
inline const kernel_set *first_available(std::span<const implementation> rows, unsigned avail,
					 const char *named) noexcept
{
	const kernel_set *best = nullptr;
	for (const implementation &impl : rows) {
		if ((impl.required & avail) != impl.required)
			continue;
		if (named == nullptr || std::strcmp(impl.get().name, named) == 0)
			return &impl.get();
		if (best == nullptr)
			best = &impl.get();
	}
	return best;
}

} // namespace pmem2::memops::detail
