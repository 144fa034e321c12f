// Making and deleting maps (pmem2_map_new(3), pmem2_map_from_existing(3),
// pmem2_map_delete(3)): map_new's steps
// (validation, placement, mmap, granularity, the map object, its guard and
// registration), map_from_existing and map_delete, and the one unwind every
// failure of the first two leaves through (map_unwind).
#include "map/map.hpp"

#include <cerrno>
#include <cstdint>
#include <new>
#include <utility>

#include <sys/mman.h>

#include "common/errormsg.hpp"
#include "map/config.hpp"
#include "map/granularity.hpp"
#include "map/read_only.hpp"
#include "durable/guard.hpp"
#include "durable/guard_pool.hpp"
#include "durable/movers.hpp"
#include "map/placement.hpp"
#include "map/registry.hpp"
#include "os/os.hpp"

#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif

namespace pmem2 {

namespace {

int to_os_prot(unsigned prot) noexcept
{
	int p = PROT_NONE;
	if (prot & PMEM2_PROT_EXEC)
		p |= PROT_EXEC;
	if (prot & PMEM2_PROT_READ)
		p |= PROT_READ;
	if (prot & PMEM2_PROT_WRITE)
		p |= PROT_WRITE;
	return p;
}

// The mmap over the placement (MAP_SYNC tried first for shared maps); reports whether MAP_SYNC held.
int map_pages(const placement &pl, std::size_t len, int prot, const pmem2_config &cfg,
	const source_info &src, off_t off, bool &map_sync)
{
	int flags = MAP_FIXED;
	int fd = -1;
	if (src.kind == source_kind::anon) {
		flags |= MAP_ANONYMOUS;
		off = 0;
	} else {
		fd = src.fd;
	}
	map_sync = false;
	os::mmap_result m;
	if (cfg.sharing == PMEM2_PRIVATE) {
		m = os::mmap(pl.addr, len, prot, flags | MAP_PRIVATE, fd, off);
	} else {
		m = os::mmap(pl.addr, len, prot, flags | MAP_SHARED_VALIDATE | MAP_SYNC, fd, off);
		if (m.err == 0) {
			map_sync = true;
		} else if (m.err == -EINVAL || m.err == -EOPNOTSUPP || m.err == -ENOTSUP) {
			m = os::mmap(pl.addr, len, prot, flags | MAP_SHARED, fd, off);
		}
	}
	if (m.err == 0)
		return 0;
	set_errormsg_errno(-m.err, "mmap(%p, %zu) of the source", pl.addr, len);
	switch (m.err) {
	case -EACCES:
		return PMEM2_E_NO_ACCESS;
	case -ENOTSUP:	// == -EOPNOTSUPP on Linux
		return PMEM2_E_NOSUPP;
	case -EEXIST:
		return PMEM2_E_MAPPING_EXISTS;
	default:
		return m.err;
	}
}

// The one unwind of a map being made. Until commit() it owns the
// placement (the address space, or the reservation's writer lock and range)
// and, once allocated, the map object with its guard; every failure leaves
// through the destructor, after the error message is set, and undoes in
// reverse order of making. The pool takes back only a retired guard, so the
// guard is retired first (the map was never handed out, so no operation of
// its generation can be inside it).
struct map_unwind {
	placement *pl = nullptr;
	pmem2_map *m = nullptr;

	map_unwind() = default;
	map_unwind(const map_unwind &) = delete;
	map_unwind &operator=(const map_unwind &) = delete;
	~map_unwind()
	{
		if (m != nullptr) {
			if (m->guard != nullptr) {
				durable::guard_retire(m->guard);
				durable::guard_release(m->guard);
			}
			delete m;
		}
		if (pl != nullptr)
			unplace(*pl);
	}

	// The map is made: nothing to undo any more.
	pmem2_map *commit() noexcept
	{
		pl = nullptr;
		return std::exchange(m, nullptr);
	}
};

} // namespace

int map_new(pmem2_map *&out, const pmem2_config &cfg, const source_info &src)
{
	out = nullptr;
	install_page_sync();
	if (cfg.required_granularity == granularity_unset) {
		set_errormsg("the config has no required store granularity "
			"(pmem2_config_set_required_store_granularity)");
		return PMEM2_E_GRANULARITY_NOT_SET;
	}
	auto align = source_alignment(src);
	if (!align)
		return align.code();
	auto size = source_size(src);
	if (!size)
		return size.code();
	const std::size_t a = *align, s = *size;
	if (cfg.offset % a != 0) {
		set_errormsg("offset %zu is not a multiple of the source alignment %zu", cfg.offset, a);
		return PMEM2_E_OFFSET_UNALIGNED;
	}
	// Anonymous sources validate the offset but map from 0 (DIFFERENCES.md A15, as the original).
	const std::size_t eff_off = src.kind == source_kind::anon ? 0 : cfg.offset;
	const int prot = to_os_prot(cfg.protection);
	if (src.kind == source_kind::fd) {
		if (src.ftype == file_kind::dir) {
			set_errormsg("a directory cannot be mapped");
			return PMEM2_E_INVALID_FILE_TYPE;
		}
		if (src.ftype == file_kind::devdax && cfg.sharing == PMEM2_PRIVATE) {
			set_errormsg("device DAX cannot be mapped PRIVATE");
			return PMEM2_E_SRC_DEVDAX_PRIVATE;
		}
	}
	if (s == 0) {
		set_errormsg("the source is empty");
		return PMEM2_E_SOURCE_EMPTY;
	}
	if (cfg.length % a != 0) {
		set_errormsg("length %zu is not a multiple of the source alignment %zu", cfg.length, a);
		return PMEM2_E_LENGTH_UNALIGNED;
	}
	if (cfg.offset > SIZE_MAX - cfg.length || cfg.offset + cfg.length > s) {
		set_errormsg("offset %zu + length %zu exceeds the source size %zu",
			cfg.offset, cfg.length, s);
		return PMEM2_E_MAP_RANGE;
	}
	const std::size_t len = cfg.length ? cfg.length : s - eff_off;
	// Nothing left to map past the offset: reject before touching the address space (DIFFERENCES.md A16).
	if (len == 0) {
		set_errormsg("offset %zu is at the end of the source: nothing to map", cfg.offset);
		return PMEM2_E_MAP_RANGE;
	}

	placement pl;
	int r = cfg.reservation
		? rsv_place(cfg.reservation, cfg.reservation_offset, len, a, pl)
		: place_anywhere(len, a, pl);
	if (r)
		return r;
	map_unwind unwind;
	unwind.pl = &pl;

	bool map_sync = false;
	if ((r = map_pages(pl, len, prot, cfg, src, static_cast<off_t>(eff_off), map_sync)))
		return r;

	const granularity_choice choice = choose_granularity(src, cfg.sharing, map_sync);
	const pmem2_granularity avail = choice.granularity;
	if (!choice.durable) {
		set_errormsg("required store granularity %s is not available (none is): %s",
			granularity_name(cfg.required_granularity), choice.reason);
		return PMEM2_E_GRANULARITY_NOT_SUPPORTED;
	}
	if (static_cast<int>(avail) > cfg.required_granularity) {
		set_errormsg("required store granularity %s is not available (only %s): %s",
			granularity_name(cfg.required_granularity), granularity_name(avail),
			choice.reason);
		return PMEM2_E_GRANULARITY_NOT_SUPPORTED;
	}

	auto *m = unwind.m = new (std::nothrow) pmem2_map;
	if (m == nullptr) {
		set_errormsg_errno(ENOMEM, "allocating a map");
		return -ENOMEM;
	}
	m->addr = pl.addr;
	m->content_length = len;
	m->reserved_length = pl.reserved_length;
	m->granularity = avail;
	m->writable = (cfg.protection & PMEM2_PROT_WRITE) != 0;
	// Without PMEM2_PROT_WRITE the copy and fill functions refuse, not fault.
	m->ops = m->writable ? &memops::ops(to_memops(avail)) : &read_only_ops(to_memops(avail));
	m->source = src;
	m->source.fd = -1;
	m->reservation = cfg.reservation;
	m->reservation_offset = cfg.reservation_offset;
	m->guard = durable::guard_acquire(m->guard_gen);
	if (m->guard == nullptr) {
		set_errormsg_errno(ENOMEM, "allocating a map guard");
		return -ENOMEM;
	}

	// A config's vdm is borrowed; none means the default mover.
	m->vdm = cfg.vdm;
	m->mover = durable::classify(cfg.vdm);

	// An overlap with a registered map is PMEM2_E_MAPPING_EXISTS, not -EEXIST (DIFFERENCES.md A17).
	if ((r = registry::insert(m)) == 0 && (r = placement_commit(pl, m)) != 0)
		(void)registry::remove(m);
	if (r)
		return r;
	out = unwind.commit();
	return 0;
}

int map_from_existing(pmem2_map *&out, const source_info &src, void *addr, std::size_t len, int gran)
{
	out = nullptr;
	install_page_sync();
	// Validated here; the original aborts on a bad enum and accepts NULL/0 (DIFFERENCES.md A14).
	if (gran < PMEM2_GRANULARITY_BYTE || gran > PMEM2_GRANULARITY_PAGE) {
		set_errormsg("invalid granularity value %d", gran);
		return PMEM2_E_GRANULARITY_NOT_SUPPORTED;
	}
	if (addr == nullptr) {
		set_errormsg("address is NULL");
		return PMEM2_E_ADDRESS_NULL;
	}
	if (len == 0) {
		set_errormsg("length is 0");
		return PMEM2_E_LENGTH_OUT_OF_RANGE;
	}
	if (reinterpret_cast<std::uintptr_t>(addr) > UINTPTR_MAX - len) {
		set_errormsg("range %p + %zu wraps around the address space", addr, len);
		return PMEM2_E_LENGTH_OUT_OF_RANGE;
	}
	map_unwind unwind;
	auto *m = unwind.m = new (std::nothrow) pmem2_map;
	if (m == nullptr) {
		set_errormsg_errno(ENOMEM, "allocating a map");
		return -ENOMEM;
	}
	m->addr = addr;
	m->content_length = len;
	m->reserved_length = 0;
	m->granularity = static_cast<pmem2_granularity>(gran);
	m->ops = &memops::ops(to_memops(m->granularity));
	m->source = src;	// copied whole, only the fd invalidated (DIFFERENCES.md A14)
	m->source.fd = -1;
	m->guard = durable::guard_acquire(m->guard_gen);
	if (m->guard == nullptr) {
		set_errormsg_errno(ENOMEM, "allocating a map guard");
		return -ENOMEM;
	}
	int r = registry::insert(m);
	if (r == PMEM2_E_MAPPING_EXISTS)
		r = PMEM2_E_MAP_EXISTS;	// what the original and PMDK's tests use
	if (r)
		return r;
	out = unwind.commit();
	return 0;
}

int map_delete(pmem2_map *m)
{
	if (int r = registry::remove(m))
		return r;
	// No operation may run on the pages once they are gone.
	durable::guard_retire(m->guard);
	if (m->reserved_length != 0) {
		if (int r = unmap_placed(m)) {
			m->guard_gen = durable::guard_revive(m->guard);
			if (registry::insert(m) != 0)
				set_errormsg_errno(-r, "unmapping %p failed and the map could not be restored",
					m->addr);
			return r;
		}
	}
	durable::guard_release(m->guard);
	delete m;
	return 0;
}

} // namespace pmem2
