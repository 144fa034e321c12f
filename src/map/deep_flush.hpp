// pmem2_deep_flush (pmem2_deep_flush(3), DIFFERENCES.md A10-A13).
#pragma once

#include <cstddef>

#include "map/source.hpp"

struct pmem2_map;

namespace pmem2 {

int deep_flush(pmem2_map &m, void *ptr, std::size_t size);

// The part beyond CPU caches for a source: msync for files, the region's
// deep_flush attribute for device DAX. [ptr, ptr+size) is inside a map.
int dax_deep_flush(const source_info &src, void *ptr, std::size_t size);

} // namespace pmem2
