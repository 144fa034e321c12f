// Process-wide pool of map guards (see durable/protocol.hpp). Guards are
// recycled and never freed, so a stale guard pointer is always readable.
#pragma once

#include <cstdint>

#include "durable/protocol.hpp"

namespace pmem2::durable {

// A guard whose generation is live (odd); its current generation in `gen`.
// nullptr only when memory is exhausted.
map_guard *guard_acquire(std::uint32_t &gen) noexcept;
// Return a retired guard (generation even) to the pool. A guard whose
// generation has reached the limit is kept out of the pool for good.
void guard_release(map_guard *g) noexcept;
// Make a retired guard live again (used when a delete is rolled back).
std::uint32_t guard_revive(map_guard *g) noexcept;

// The generation from which a retired guard is no longer recycled: the
// next two would be the last odd value and a wrap to 0. Test seam: a test
// lowers it to see a guard reach it.
inline constexpr std::uint32_t default_gen_limit = 0xfffffffeu;
[[gnu::visibility("default")]] void set_gen_limit(std::uint32_t limit) noexcept;

} // namespace pmem2::durable
