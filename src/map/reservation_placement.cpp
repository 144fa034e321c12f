// Placement inside a vm reservation (pmem2_config_set_vm_reservation(3)),
// and giving the range back when the map is deleted.
// The reservation's writer lock is held from rsv_place until the map is in
// the reservation's set (rsv_commit) or the placement is undone (rsv_unplace),
// so concurrent map_new calls cannot claim the same range.
#include <cerrno>
#include <iterator>
#include <mutex>
#include <new>

#include <sys/mman.h>

#include "common/errormsg.hpp"
#include "map/map.hpp"
#include "map/placement.hpp"
#include "map/reservation.hpp"
#include "os/os.hpp"

namespace pmem2 {

namespace {

// Give pages back to the reservation: a PROT_NONE private anonymous cover.
int cover(void *addr, std::size_t len) noexcept
{
	auto m = os::mmap(addr, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	return m.err;
}

} // namespace

int rsv_place(pmem2_vm_reservation *rsv, std::size_t off, std::size_t len,
	std::size_t align, placement &out) noexcept
{
	const std::size_t pg = os::page_size();
	if (len > SIZE_MAX - (pg - 1)) {
		set_errormsg("length %zu does not fit in the reservation", len);
		return PMEM2_E_LENGTH_OUT_OF_RANGE;
	}
	const std::size_t rlen = (len + pg - 1) & ~(pg - 1);
	if (off % pg != 0) {
		set_errormsg("reservation offset %zu is not a multiple of the page size %zu", off, pg);
		return PMEM2_E_OFFSET_UNALIGNED;
	}
	rsv->lock.lock();
	if (off > rsv->size || rlen > rsv->size - off) {
		set_errormsg("offset %zu + length %zu exceeds the reservation (%zu bytes)",
			off, rlen, rsv->size);
		rsv->lock.unlock();
		return PMEM2_E_LENGTH_OUT_OF_RANGE;
	}
	const std::uintptr_t addr = rsv->addr + off;
	if (addr % align != 0) {
		set_errormsg("address %p is not a multiple of the source alignment %zu",
			reinterpret_cast<void *>(addr), align);
		rsv->lock.unlock();
		return PMEM2_E_ADDRESS_UNALIGNED;
	}
	auto it = rsv->maps.lower_bound(addr + rlen);
	if (it != rsv->maps.begin()) {
		pmem2_map *prev = std::prev(it)->second;
		if (reinterpret_cast<std::uintptr_t>(prev->addr) + prev->content_length > addr) {
			set_errormsg("reservation range %zu..%zu is occupied by the map at %p",
				off, off + rlen, prev->addr);
			rsv->lock.unlock();
			return PMEM2_E_MAPPING_EXISTS;
		}
	}
	out = placement{};
	out.addr = reinterpret_cast<void *>(addr);
	out.reserved_length = rlen;
	out.rsv = rsv;
	out.rsv_offset = off;
	out.rsv_locked = true;
	return 0;
}

void rsv_unplace(placement &pl) noexcept
{
	if (pl.addr)
		(void)cover(pl.addr, pl.reserved_length);
	if (pl.rsv_locked)
		pl.rsv->lock.unlock();
	pl.rsv_locked = false;
	pl.addr = nullptr;
}

int rsv_commit(placement &pl, pmem2_map *m) noexcept
{
	try {
		pl.rsv->maps.emplace(reinterpret_cast<std::uintptr_t>(m->addr), m);
	} catch (...) {
		set_errormsg_errno(ENOMEM, "adding the map to the vm reservation");
		return -ENOMEM;	// still locked: rsv_unplace releases
	}
	pl.rsv->lock.unlock();
	pl.rsv_locked = false;
	return 0;
}

int rsv_unmap(pmem2_map *m) noexcept
{
	pmem2_vm_reservation *rsv = m->reservation;
	std::unique_lock lk(rsv->lock);
	auto it = rsv->maps.find(reinterpret_cast<std::uintptr_t>(m->addr));
	if (it == rsv->maps.end() || it->second != m) {
		set_errormsg("map %p is not in its vm reservation", static_cast<void *>(m));
		return PMEM2_E_MAPPING_NOT_FOUND;
	}
	if (int r = cover(m->addr, m->reserved_length)) {
		set_errormsg_errno(-r, "mmap(%p, %zu) returning pages to the vm reservation",
			m->addr, m->reserved_length);
		return r;
	}
	rsv->maps.erase(it);
	return 0;
}

} // namespace pmem2
