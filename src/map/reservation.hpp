// Virtual-memory reservations (pmem2_vm_reservation_new(3)): a PROT_NONE range of
// address space that maps are placed into, with its own reader/writer lock
// and an ordered set of the maps it holds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <shared_mutex>

#include <libpmem2/base.h>

struct pmem2_map;

struct pmem2_vm_reservation {
	std::uintptr_t addr = 0;	// user-visible start
	std::size_t size = 0;		// user-visible size
	std::uintptr_t raw_addr = 0;	// underlying PROT_NONE range (may be larger)
	std::size_t raw_size = 0;
	std::size_t align = 0;		// Ga: 2 MiB, or 1 GiB for reservations >= 2 GiB
	bool fixed = false;		// placed at a caller-given address: no padding (DIFFERENCES.md A20)
	mutable std::shared_mutex lock;	// writers: place/unmap/extend/shrink/delete
	std::map<std::uintptr_t, pmem2_map *> maps;	// by start address
};

namespace pmem2::vm {

// pmem2_vm_reservation_new without the out-parameter handling.
int reservation_new(pmem2_vm_reservation *&out, void *addr, std::size_t size);
// Fails with PMEM2_E_VM_RESERVATION_NOT_EMPTY while maps remain; frees on success.
int reservation_delete(pmem2_vm_reservation *rsv);
int reservation_extend(pmem2_vm_reservation &rsv, std::size_t size);
int reservation_shrink(pmem2_vm_reservation &rsv, std::size_t offset, std::size_t size);

// Lookups under the read lock (DIFFERENCES.md A19); nullptr when nothing matches. They
// never touch the error message.
pmem2_map *find(const pmem2_vm_reservation &rsv, std::size_t offset, std::size_t len) noexcept;
pmem2_map *find_prev(const pmem2_vm_reservation &rsv, const pmem2_map *m) noexcept;
pmem2_map *find_next(const pmem2_vm_reservation &rsv, const pmem2_map *m) noexcept;
pmem2_map *find_first(const pmem2_vm_reservation &rsv) noexcept;
pmem2_map *find_last(const pmem2_vm_reservation &rsv) noexcept;

// The user-visible address and size, read under the lock.
void *address(const pmem2_vm_reservation &rsv) noexcept;
std::size_t size(const pmem2_vm_reservation &rsv) noexcept;

} // namespace pmem2::vm
