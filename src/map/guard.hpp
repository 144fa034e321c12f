// Process-wide pool of map guards (see common/durable_op.hpp). Guards are
// recycled and never freed, so a stale guard pointer is always readable.
#pragma once

#include <cstdint>

#include "common/durable_op.hpp"

namespace pmem2 {

// A guard whose generation is live (odd); its current generation in `gen`.
// nullptr only when memory is exhausted.
durable::map_guard *guard_acquire(std::uint32_t &gen) noexcept;
// Return a retired guard (generation even) to the pool.
void guard_release(durable::map_guard *g) noexcept;
// Make a retired guard live again (used when a delete is rolled back).
std::uint32_t guard_revive(durable::map_guard *g) noexcept;

} // namespace pmem2
