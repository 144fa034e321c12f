// The CPU the dispatch sees on the architectures whose features the kernel
// reports (aarch64, ppc64le, riscv64): detected once, or faked by a test so
// each fallback is chosen and run. cpu_seam.cpp defines cpu() and the seam;
// each cpu_<arch>.cpp defines detect_cpu(). Internal to src/memops and its
// tests.
#pragma once

#include "memops/memops.hpp"

namespace pmem2::memops {

// While set, cpu() returns *f instead of what the kernel reported; nullptr
// restores it. Call redispatch() afterwards. Not thread-safe against
// concurrent memory operations (tests only).
PMEM2_TEST_SEAM void set_cpu_for_test(const cpu_features *f) noexcept;

namespace detail {

// What the kernel reports for this CPU (getauxval, riscv_hwprobe).
cpu_features detect_cpu() noexcept;

} // namespace detail
} // namespace pmem2::memops
