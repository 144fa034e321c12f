// The architecture's part of the dispatch: its kernel families (best
// first) and its flush instruction. One definition per architecture
// (dispatch_x86_64.cpp, dispatch_aarch64.cpp, dispatch_ppc64le.cpp), chosen
// by CMake from CMAKE_SYSTEM_PROCESSOR. Internal to src/memops.
#pragma once

#include "memops/kernel_set.hpp"
#include "memops/memops.hpp"

#include <span>

namespace pmem2::memops::detail {

struct arch_choice {
	const kernel_set *set;	// the temporal family
	const kernel_set *top;	// the entry points (set, or the one that streams for it)
	int flush;		// slot of the [flush kind] arrays (flush_arch.hpp)
};

// The families of this architecture, best first.
std::span<const implementation> arch_implementations() noexcept;

// The flush slot the CPU has and the options allow.
int arch_flush_index(const cpu_features &c, const dispatch_options &opt) noexcept;

// The kernel family (without PMEM_NO_MOVNT, which dispatch.cpp handles the
// same way everywhere).
arch_choice arch_kernels(const cpu_features &c, const dispatch_options &opt) noexcept;

// Whether the write-combining workaround is on by default for this CPU.
bool arch_wc_default(const cpu_features &c) noexcept;

} // namespace pmem2::memops::detail
