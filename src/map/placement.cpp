#include "map/placement.hpp"

#include <cerrno>
#include <cstdint>

#include <sys/mman.h>

#include "common/errormsg.hpp"
#include "map/map.hpp"
#include "os/os.hpp"

namespace pmem2 {

namespace {
constexpr std::size_t mib2 = std::size_t(2) << 20;
constexpr std::size_t gib1 = std::size_t(1) << 30;
constexpr std::size_t gib2 = std::size_t(2) << 30;
} // namespace

int place_anywhere(std::size_t len, std::size_t align, placement &out)
{
	const std::size_t pg = os::page_size();
	std::size_t g = len >= gib2 ? gib1 : mib2;
	if (align > g)
		g = align;
	if (len > SIZE_MAX - g || len > SIZE_MAX - pg) {
		set_errormsg_errno(ENOMEM, "cannot reserve %zu bytes of address space", len);
		return -ENOMEM;
	}
	std::size_t reserve = len + g;
	auto m = os::mmap(nullptr, reserve, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m.err) {
		set_errormsg_errno(-m.err, "mmap(%zu) reserving address space", reserve);
		return m.err;
	}
	std::uintptr_t base = reinterpret_cast<std::uintptr_t>(m.addr);
	std::uintptr_t aligned = (base + g - 1) & ~std::uintptr_t(g - 1);
	std::size_t rlen = (len + pg - 1) & ~(pg - 1);
	std::size_t before = aligned - base;
	std::size_t after = reserve - before - rlen;
	if (before) {
		if (int r = os::munmap(m.addr, before)) {
			set_errormsg_errno(-r, "munmap of address-space slack");
			os::munmap(m.addr, reserve);
			return r;
		}
	}
	if (after) {
		if (int r = os::munmap(reinterpret_cast<void *>(aligned + rlen), after)) {
			set_errormsg_errno(-r, "munmap of address-space slack");
			os::munmap(reinterpret_cast<void *>(aligned), reserve - before);
			return r;
		}
	}
	out = placement{};
	out.addr = reinterpret_cast<void *>(aligned);
	out.reserved_length = rlen;
	return 0;
}

void unplace(placement &pl) noexcept
{
	if (pl.rsv) {
		rsv_unplace(pl);
		return;
	}
	if (pl.addr)
		os::munmap(pl.addr, pl.reserved_length);
	pl.addr = nullptr;
}

int placement_commit(placement &pl, pmem2_map *m) noexcept
{
	return pl.rsv ? rsv_commit(pl, m) : 0;
}

int unmap_placed(pmem2_map *m) noexcept
{
	if (m->reservation)
		return rsv_unmap(m);
	if (int r = os::munmap(m->addr, m->content_length)) {
		set_errormsg_errno(-r, "munmap(%p, %zu)", m->addr, m->content_length);
		return r;
	}
	return 0;
}

} // namespace pmem2
