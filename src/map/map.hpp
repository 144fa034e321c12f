// The mapping object and the internal operations on it (pmem2_map_new(3)).
// Other components (async futures, movers, reservations) use the fields
// directly; they are stable for the lifetime of the map.
#pragma once

#include <cstddef>
#include <cstdint>

#include <libpmem2/base.h>

#include "durable/movers.hpp"
#include "durable/protocol.hpp"
#include "map/source.hpp"
#include "memops/memops.hpp"

struct vdm;
struct pmem2_config;

struct pmem2_map {
	void *addr = nullptr;
	std::size_t content_length = 0;		// what the user mapped (may be unaligned)
	std::size_t reserved_length = 0;	// content rounded up to pages; 0 for map_from_existing
	pmem2_granularity granularity = PMEM2_GRANULARITY_PAGE;	// effective
	const pmem2::memops::ops_table *ops = nullptr;	// memops::ops(granularity)
	pmem2::source_info source;		// copy of the source, fd = -1
	struct vdm *vdm = nullptr;		// the config's mover; nullptr: the default mover
	pmem2::durable::mover_kind mover = pmem2::durable::mover_kind::builtin;	// what `vdm` is
	bool writable = true;			// mapped with PMEM2_PROT_WRITE (map_from_existing: assumed)
	pmem2_vm_reservation *reservation = nullptr;
	std::size_t reservation_offset = 0;
	pmem2::durable::map_guard *guard = nullptr;	// from the guard pool
	std::uint32_t guard_gen = 0;		// live (odd) generation of `guard`
};

namespace pmem2 {

// End of the pages that page sync covers for `m` (DIFFERENCES.md A3: maps from
// map_from_existing use their content length rounded up to pages).
std::uintptr_t map_sync_end(const pmem2_map &m) noexcept;

// pmem2_map_new without the out-parameter handling; *out set on success.
int map_new(pmem2_map *&out, const pmem2_config &cfg, const source_info &src);
int map_from_existing(pmem2_map *&out, const source_info &src, void *addr,
	std::size_t len, int gran);
int map_delete(pmem2_map *map);

// Granularity as the memops enum / table.
inline memops::granularity to_memops(pmem2_granularity g) noexcept
{
	return static_cast<memops::granularity>(static_cast<int>(g));
}

} // namespace pmem2
