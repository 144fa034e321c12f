// Process-wide registry of live maps, keyed by [addr, addr+content_length),
// under a reader/writer lock: lookups share it, map_new and map_delete take
// it alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <shared_mutex>

struct pmem2_map;

namespace pmem2::registry {

// Insert; PMEM2_E_MAPPING_EXISTS when the range overlaps a registered map,
// -ENOMEM when out of memory.
int insert(pmem2_map *m) noexcept;
// Remove; PMEM2_E_MAPPING_NOT_FOUND when `m` is not registered.
int remove(pmem2_map *m) noexcept;
// Number of registered maps.
std::size_t size() noexcept;

// The lock, for callers that look up and use a map under it.
std::shared_mutex &lock() noexcept;
// The registered map with the lowest address that intersects [p, p+len);
// nullptr if none. Caller holds lock() (shared or exclusive).
pmem2_map *first_overlapping_locked(std::uintptr_t p, std::size_t len) noexcept;

} // namespace pmem2::registry

namespace pmem2 {
// Install the registry-aware page sync into memops (idempotent; also done
// at load).
void install_page_sync() noexcept;
} // namespace pmem2
