// What every per-ISA header (pieces.hpp, kernels.hpp, rules.hpp) shares
// inside the namespace of the translation unit that includes it: the flush
// policies tagged with that namespace, and a few names. Internal to
// src/memops.
//
// Each kernel translation unit (one per ISA, plus the fallbacks) defines
// PMEM2_MEMOPS_ISA_NS to its own namespace before including these headers,
// so every function they define is its own per unit, compiled with that
// unit's flags only: the linker can never pick a copy compiled with one
// ISA's instructions for a caller of another (or for baseline code).
#pragma once

#ifndef PMEM2_MEMOPS_ISA_NS
#error "define PMEM2_MEMOPS_ISA_NS before including the memops kernel headers"
#endif

#include "memops/flush.hpp"

#include <cstdint>

namespace pmem2::memops::PMEM2_MEMOPS_ISA_NS {

using detail::flush_kind;
using detail::line_size;

// The flush policies of this unit (flush.hpp: the tag keeps them apart
// from every other unit's).
struct policy_tag {};
template <flush_kind K, bool Rec>
using flush_policy = detail::flush_policy<K, Rec, policy_tag>;

using u64 = std::uint64_t;
using u32 = std::uint32_t;
using u16 = std::uint16_t;

inline std::uintptr_t addr(const void *p) noexcept
{
	return reinterpret_cast<std::uintptr_t>(p);
}

} // namespace pmem2::memops::PMEM2_MEMOPS_ISA_NS
