// Where a new mapping goes (free address space or a vm reservation) and how it leaves.
// Two providers: free address space (here) and a vm reservation (the
// reservation component implements the rsv_* functions).
#pragma once

#include <cstddef>

#include <libpmem2/base.h>

struct pmem2_map;

namespace pmem2 {

struct placement {
	void *addr = nullptr;		// where the mapping will be MAP_FIXED
	std::size_t reserved_length = 0;	// content length rounded up to pages
	pmem2_vm_reservation *rsv = nullptr;
	std::size_t rsv_offset = 0;
	bool rsv_locked = false;	// reservation's writer lock held by this placement
};

// Address space of `len` bytes aligned to max(2 MiB or 1 GiB, align),
// covered by a placeholder until the real mapping replaces it.
int place_anywhere(std::size_t len, std::size_t align, placement &out);
// Undo a placement after a failure, whether or not the real mapping was made.
void unplace(placement &pl) noexcept;
// The map object exists and is registered: finish (reservation bookkeeping).
int placement_commit(placement &pl, pmem2_map *m) noexcept;
// Remove the pages of a map being deleted (munmap, or PROT_NONE cover inside
// a reservation). On failure nothing changed and the map stays valid.
int unmap_placed(pmem2_map *m) noexcept;

// Reservation provider: validate [rsv+off, +roundup(len)) (inside the
// reservation, aligned to the source),
// take the reservation's writer lock and fill `out`; the lock is released
// by rsv_unplace or rsv_commit.
int rsv_place(pmem2_vm_reservation *rsv, std::size_t off, std::size_t len,
	std::size_t align, placement &out) noexcept;
void rsv_unplace(placement &pl) noexcept;
int rsv_commit(placement &pl, pmem2_map *m) noexcept;
int rsv_unmap(pmem2_map *m) noexcept;

} // namespace pmem2
