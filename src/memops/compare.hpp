// Comparing two ranges: the offset of the first byte that differs (the
// batch entry pmem2_batch_compare). Two kernel families, chosen once at
// load as the other kernels are: "avx512f" (64-byte blocks compared as
// eight 8-byte lanes, a mask to find the lane) and "generic" (8-byte words).
#pragma once

#include <cstddef>

#include "common/export.hpp"

namespace pmem2::memops {

// The offset of the first byte at which [a, a+n) and [b, b+n) differ; n
// when they are equal.
std::size_t first_difference(const void *a, const void *b, std::size_t n) noexcept;

// The family in use ("avx512f" or "generic"), and a way for tests to force
// one ("generic" always works; "avx512f" only where the CPU has it: false
// otherwise). nullptr restores the best.
PMEM2_TEST_SEAM const char *compare_selected() noexcept;
PMEM2_TEST_SEAM bool force_compare(const char *family) noexcept;

} // namespace pmem2::memops
