#include "map/reservation.hpp"

#include <cerrno>
#include <iterator>
#include <mutex>
#include <new>

#include <sys/mman.h>

#include "common/errormsg.hpp"
#include "map/map.hpp"
#include "os/os.hpp"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

namespace pmem2::vm {

namespace {

constexpr std::size_t mib2 = std::size_t(2) << 20;
constexpr std::size_t gib1 = std::size_t(1) << 30;
constexpr std::size_t gib2 = std::size_t(2) << 30;

std::uintptr_t align_up(std::uintptr_t v, std::size_t a) noexcept { return (v + a - 1) & ~std::uintptr_t(a - 1); }
std::uintptr_t align_down(std::uintptr_t v, std::size_t a) noexcept { return v & ~std::uintptr_t(a - 1); }
void *ptr(std::uintptr_t v) noexcept { return reinterpret_cast<void *>(v); }

// Reserve exactly [addr, addr+len) without replacing anything there.
int reserve_at(std::uintptr_t addr, std::size_t len)
{
	auto m = os::mmap(ptr(addr), len, PROT_NONE,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (m.err == -EEXIST) {
		set_errormsg("address range %p..%p is already (partly) mapped",
			ptr(addr), ptr(addr + len));
		return PMEM2_E_MAPPING_EXISTS;
	}
	if (m.err) {
		set_errormsg_errno(-m.err, "mmap(%p, %zu) reserving address space", ptr(addr), len);
		return m.err;
	}
	if (m.addr != ptr(addr)) {
		// A kernel without MAP_FIXED_NOREPLACE treats it as a hint.
		os::munmap(m.addr, len);
		set_errormsg("address range %p..%p is already (partly) mapped",
			ptr(addr), ptr(addr + len));
		return PMEM2_E_MAPPING_EXISTS;
	}
	return 0;
}

// The map with the lowest address intersecting [p, p+len); caller holds the lock.
pmem2_map *first_overlapping(const pmem2_vm_reservation &rsv, std::uintptr_t p,
	std::size_t len) noexcept
{
	if (len == 0)
		return nullptr;
	std::uintptr_t end = len > UINTPTR_MAX - p ? UINTPTR_MAX : p + len;
	auto it = rsv.maps.upper_bound(p);
	if (it != rsv.maps.begin()) {
		auto prev = std::prev(it);
		if (prev->first + prev->second->content_length > p)
			return prev->second;
	}
	if (it != rsv.maps.end() && it->first < end)
		return it->second;
	return nullptr;
}

} // namespace

int reservation_new(pmem2_vm_reservation *&out, void *addr, std::size_t size)
{
	out = nullptr;
	const std::size_t pg = os::page_size();
	const std::uintptr_t a = reinterpret_cast<std::uintptr_t>(addr);
	if (a % pg != 0) {
		set_errormsg("reservation address %p is not a multiple of the page size %zu", addr, pg);
		return PMEM2_E_ADDRESS_UNALIGNED;
	}
	if (size % pg != 0) {
		set_errormsg("reservation size %zu is not a multiple of the page size %zu", size, pg);
		return PMEM2_E_LENGTH_UNALIGNED;
	}
	auto *rsv = new (std::nothrow) pmem2_vm_reservation;
	if (rsv == nullptr) {	// -ENOMEM, not the original's -1 (DIFFERENCES.md A21)
		set_errormsg_errno(ENOMEM, "allocating a vm reservation");
		return -ENOMEM;
	}
	rsv->align = size >= gib2 ? gib1 : mib2;
	if (rsv->align < pg)
		rsv->align = pg;
	if (addr != nullptr) {
		// Exactly the requested range: padding could collide with a
		// neighbour although [addr, addr+size) is free (DIFFERENCES.md A20).
		if (int r = reserve_at(a, size)) {
			delete rsv;
			return r;
		}
		rsv->raw_addr = rsv->addr = a;
		rsv->raw_size = size;
		rsv->fixed = true;
	} else {
		const std::size_t ga = rsv->align;
		if (size > SIZE_MAX - 2 * ga) {
			set_errormsg_errno(ENOMEM, "reservation size %zu is too large", size);
			delete rsv;
			return -ENOMEM;
		}
		const std::size_t u = align_up(size, ga) + ga;
		auto m = os::mmap(nullptr, u, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m.err) {
			set_errormsg_errno(-m.err, "mmap(%zu) reserving address space", u);
			delete rsv;
			return m.err;
		}
		rsv->raw_addr = reinterpret_cast<std::uintptr_t>(m.addr);
		rsv->raw_size = u;
		rsv->addr = align_up(rsv->raw_addr, ga);
	}
	rsv->size = size;
	out = rsv;
	return 0;
}

int reservation_delete(pmem2_vm_reservation *rsv)
{
	std::unique_lock lk(rsv->lock);
	if (!rsv->maps.empty()) {
		set_errormsg("the vm reservation still holds %zu map(s)", rsv->maps.size());
		return PMEM2_E_VM_RESERVATION_NOT_EMPTY;
	}
	// The whole underlying range, padding included (DIFFERENCES.md A20).
	if (int r = os::munmap(ptr(rsv->raw_addr), rsv->raw_size)) {
		set_errormsg_errno(-r, "munmap(%p, %zu) of the vm reservation",
			ptr(rsv->raw_addr), rsv->raw_size);
		return r;
	}
	lk.unlock();
	delete rsv;
	return 0;
}

int reservation_extend(pmem2_vm_reservation &rsv, std::size_t size)
{
	const std::size_t pg = os::page_size();
	if (size % pg != 0) {
		set_errormsg("extension %zu is not a multiple of the page size %zu", size, pg);
		return PMEM2_E_LENGTH_UNALIGNED;
	}
	std::unique_lock lk(rsv.lock);
	if (size == 0)
		return 0;
	const std::uintptr_t end = rsv.addr + rsv.size;
	if (size > UINTPTR_MAX - end || end + size > UINTPTR_MAX - rsv.align) {
		set_errormsg("extending by %zu bytes would wrap the address space", size);
		return PMEM2_E_LENGTH_OUT_OF_RANGE;
	}
	const std::uintptr_t need = end + size;
	const std::uintptr_t raw_end = rsv.raw_addr + rsv.raw_size;
	if (need > raw_end) {
		std::uintptr_t target = rsv.fixed ? need : align_up(need, rsv.align);
		int r = reserve_at(raw_end, target - raw_end);
		if (r == PMEM2_E_MAPPING_EXISTS && target != need) {
			// The alignment padding is optional; the extension is not.
			target = need;
			r = reserve_at(raw_end, target - raw_end);
		}
		if (r)
			return r;
		rsv.raw_size = target - rsv.raw_addr;
	}
	rsv.size += size;
	return 0;
}

int reservation_shrink(pmem2_vm_reservation &rsv, std::size_t offset, std::size_t size)
{
	const std::size_t pg = os::page_size();
	if (offset % pg != 0) {
		set_errormsg("offset %zu is not a multiple of the page size %zu", offset, pg);
		return PMEM2_E_OFFSET_UNALIGNED;
	}
	if (size % pg != 0) {
		set_errormsg("size %zu is not a multiple of the page size %zu", size, pg);
		return PMEM2_E_LENGTH_UNALIGNED;
	}
	std::unique_lock lk(rsv.lock);
	if (offset >= rsv.size) {
		set_errormsg("offset %zu is not inside the reservation (%zu bytes)", offset, rsv.size);
		return PMEM2_E_OFFSET_OUT_OF_RANGE;
	}
	if (size == 0) {
		set_errormsg("cannot shrink by 0 bytes");
		return PMEM2_E_LENGTH_OUT_OF_RANGE;
	}
	if (size > rsv.size - offset) {
		set_errormsg("range %zu + %zu exceeds the reservation (%zu bytes)", offset, size, rsv.size);
		return PMEM2_E_LENGTH_OUT_OF_RANGE;
	}
	const bool front = offset == 0;
	if (!front && offset + size != rsv.size) {
		set_errormsg("only the beginning or the end of a reservation can be released");
		return PMEM2_E_NOSUPP;
	}
	if (front && size == rsv.size) {
		set_errormsg("shrinking would release the whole reservation (use pmem2_vm_reservation_delete)");
		return PMEM2_E_NOSUPP;
	}
	if (pmem2_map *m = first_overlapping(rsv, rsv.addr + offset, size)) {
		set_errormsg("the released range holds the map at %p", m->addr);
		return PMEM2_E_VM_RESERVATION_NOT_EMPTY;
	}
	const std::size_t new_size = rsv.size - size;
	if (front) {
		const std::uintptr_t new_addr = rsv.addr + size;
		std::uintptr_t lo = rsv.fixed ? new_addr : align_down(new_addr, rsv.align);
		if (lo > rsv.raw_addr) {
			if (int r = os::munmap(ptr(rsv.raw_addr), lo - rsv.raw_addr)) {
				set_errormsg_errno(-r, "munmap(%p, %zu) shrinking the reservation",
					ptr(rsv.raw_addr), std::size_t(lo - rsv.raw_addr));
				return r;
			}
			rsv.raw_size -= lo - rsv.raw_addr;
			rsv.raw_addr = lo;
		}
		rsv.addr = new_addr;
	} else {
		const std::uintptr_t new_end = rsv.addr + new_size;
		const std::uintptr_t hi = rsv.fixed ? new_end : align_up(new_end, rsv.align);
		const std::uintptr_t raw_end = rsv.raw_addr + rsv.raw_size;
		if (hi < raw_end) {
			if (int r = os::munmap(ptr(hi), raw_end - hi)) {
				set_errormsg_errno(-r, "munmap(%p, %zu) shrinking the reservation",
					ptr(hi), std::size_t(raw_end - hi));
				return r;
			}
			rsv.raw_size = hi - rsv.raw_addr;
		}
	}
	rsv.size = new_size;
	return 0;
}

pmem2_map *find(const pmem2_vm_reservation &rsv, std::size_t offset, std::size_t len) noexcept
{
	std::shared_lock lk(rsv.lock);
	if (offset > UINTPTR_MAX - rsv.addr)
		return nullptr;
	return first_overlapping(rsv, rsv.addr + offset, len);
}

pmem2_map *find_prev(const pmem2_vm_reservation &rsv, const pmem2_map *m) noexcept
{
	std::shared_lock lk(rsv.lock);
	auto it = rsv.maps.find(reinterpret_cast<std::uintptr_t>(m->addr));
	if (it == rsv.maps.end() || it->second != m || it == rsv.maps.begin())
		return nullptr;
	return std::prev(it)->second;
}

pmem2_map *find_next(const pmem2_vm_reservation &rsv, const pmem2_map *m) noexcept
{
	std::shared_lock lk(rsv.lock);
	auto it = rsv.maps.find(reinterpret_cast<std::uintptr_t>(m->addr));
	if (it == rsv.maps.end() || it->second != m || ++it == rsv.maps.end())
		return nullptr;
	return it->second;
}

pmem2_map *find_first(const pmem2_vm_reservation &rsv) noexcept
{
	std::shared_lock lk(rsv.lock);
	return rsv.maps.empty() ? nullptr : rsv.maps.begin()->second;
}

pmem2_map *find_last(const pmem2_vm_reservation &rsv) noexcept
{
	std::shared_lock lk(rsv.lock);
	return rsv.maps.empty() ? nullptr : std::prev(rsv.maps.end())->second;
}

void *address(const pmem2_vm_reservation &rsv) noexcept
{
	std::shared_lock lk(rsv.lock);
	return ptr(rsv.addr);
}

std::size_t size(const pmem2_vm_reservation &rsv) noexcept
{
	std::shared_lock lk(rsv.lock);
	return rsv.size;
}

} // namespace pmem2::vm
