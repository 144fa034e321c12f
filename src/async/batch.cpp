#include "async/batch.hpp"

#include <cerrno>
#include <cstdint>

#include <libpmem2/batch.h>

#include "common/errormsg.hpp"
#include "map/map.hpp"

namespace pmem2::async {
namespace {

constexpr unsigned allowed_flags = PMEM2_F_MEM_NONTEMPORAL | PMEM2_F_MEM_TEMPORAL |
	PMEM2_F_MEM_WC | PMEM2_F_MEM_WB;

bool in_map(const pmem2_map &m, const void *p, std::size_t n) noexcept
{
	const auto base = reinterpret_cast<std::uintptr_t>(m.addr);
	const auto at = reinterpret_cast<std::uintptr_t>(p);
	return at >= base && at - base <= m.content_length && n <= m.content_length - (at - base);
}

const char *kind_name(durable::entry_kind k) noexcept
{
	switch (k) {
	case durable::entry_kind::copy: return "pmem2_batch_memcpy";
	case durable::entry_kind::move: return "pmem2_batch_memmove";
	case durable::entry_kind::fill: return "pmem2_batch_memset";
	case durable::entry_kind::persist: return "pmem2_batch_persist";
	case durable::entry_kind::fence: return "pmem2_batch_fence";
	case durable::entry_kind::fill8: return "pmem2_batch_memset8";
	case durable::entry_kind::dualcast: return "pmem2_batch_dualcast";
	case durable::entry_kind::crc32c: return "pmem2_batch_crc32c";
	case durable::entry_kind::copy_crc32c: return "pmem2_batch_copy_crc32c";
	case durable::entry_kind::compare: return "pmem2_batch_compare";
	}
	return "?";
}

} // namespace

int batch_new(pmem2_batch *&out, pmem2_map *map, std::size_t capacity)
{
	out = nullptr;
	if (map == nullptr) {
		set_errormsg("pmem2_batch_new: map is NULL");
		return -EINVAL;
	}
	if (capacity == 0) {
		set_errormsg("pmem2_batch_new: capacity is 0");
		return -EINVAL;
	}
	if (map->mover == durable::mover_kind::foreign) {
		set_errormsg("pmem2_batch_new: the map's mover is not one of pmem2's (default, sync, "
			"threads, DSA); it cannot run batches");
		return PMEM2_E_NOSUPP;
	}
	auto *b = new pmem2_batch;
	try {
		b->entries.reserve(capacity);
	} catch (...) {
		delete b;
		throw;
	}
	b->map = map;
	b->capacity = capacity;
	out = b;
	return 0;
}

int batch_add(pmem2_batch &b, const durable::batch_entry &e) noexcept
{
	const char *fn = kind_name(e.kind);
	if (e.hints & ~allowed_flags) {
		set_errormsg("%s: invalid flags 0x%x (allowed: NONTEMPORAL, TEMPORAL, WC, WB)", fn, e.hints);
		return -EINVAL;
	}
	using durable::entry_kind;
	const bool writes = durable::writes_map(e.kind);
	const bool has_out = e.kind == entry_kind::crc32c || e.kind == entry_kind::copy_crc32c ||
		e.kind == entry_kind::compare;
	if (has_out && e.out == nullptr) {
		set_errormsg("%s: the result pointer is NULL", fn);
		return -EINVAL;
	}
	if (e.n != 0 && (((e.kind == entry_kind::crc32c || e.kind == entry_kind::compare ||
			 e.kind == entry_kind::dualcast || e.kind == entry_kind::copy_crc32c) && e.src == nullptr) ||
		(e.kind == entry_kind::compare && e.src2 == nullptr))) {
		set_errormsg("%s: a source is NULL", fn);
		return -EINVAL;
	}
	if (e.kind != entry_kind::fence && e.kind != entry_kind::crc32c && e.kind != entry_kind::compare) {
		if (e.n == 0 && !has_out)
			return 0;	// nothing to do: not added
		if (!in_map(*b.map, e.dest, e.n) ||
		    (e.kind == entry_kind::dualcast && !in_map(*b.map, e.dest2, e.n))) {
			const void *bad = in_map(*b.map, e.dest, e.n) ? e.dest2 : e.dest;
			set_errormsg("%s: range [%p, +%zu) is not inside the map [%p, +%zu)", fn, bad, e.n,
				b.map->addr, b.map->content_length);
			return PMEM2_E_MAP_RANGE;
		}
		if (writes && !b.map->writable) {
			set_errormsg("%s: the map at %p is not writable (mapped without PMEM2_PROT_WRITE)", fn,
				b.map->addr);
			return PMEM2_E_NO_ACCESS;
		}
	}
	if (b.entries.size() == b.capacity) {
		set_errormsg("%s: the batch is full (capacity %zu)", fn, b.capacity);
		return -ENOSPC;
	}
	b.entries.push_back(e);	// within the reserved capacity: no allocation
	b.bytes += e.n;
	return 0;
}

bool batch_supported(const pmem2_map *map, unsigned ops) noexcept
{
	return map != nullptr && map->mover != durable::mover_kind::foreign &&
		(ops & ~unsigned(PMEM2_BATCH_ALL)) == 0;
}

pmem2_future batch_future(pmem2_batch *b) noexcept
{
	if (b == nullptr) {
		pmem2_future f = make_batch_future(nullptr, durable::batch_op{});
		set_errormsg("pmem2_batch_async: batch is NULL");
		return f;
	}
	return make_batch_future(b->map, durable::batch_op{b->entries.data(), b->entries.size(), 0, b->bytes});
}

} // namespace pmem2::async
