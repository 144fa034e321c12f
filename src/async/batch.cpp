#include "async/batch.hpp"

#include <cerrno>
#include <cstdint>
#include <iterator>

#include <libpmem2/batch.h>

#include "common/errormsg.hpp"
#include "map/map.hpp"

namespace pmem2::async {
namespace {

// What each kind of entry is called and takes, by durable::entry_kind.
struct entry_rule {
	const char *name;
	unsigned dests;		// ranges in the map at dest (and dest2): 0, 1 or 2
	bool writes;		// into the map (a read-only map refuses it)
	bool src, src2, out;	// pointers that must not be NULL (sources: when n != 0)
};
constexpr entry_rule rules[] = {
	{"pmem2_batch_memcpy", 1, true, false, false, false},
	{"pmem2_batch_memmove", 1, true, false, false, false},
	{"pmem2_batch_memset", 1, true, false, false, false},
	{"pmem2_batch_persist", 1, false, false, false, false},
	{"pmem2_batch_fence", 0, false, false, false, false},
	{"pmem2_batch_memset8", 1, true, false, false, false},
	{"pmem2_batch_dualcast", 2, true, true, false, false},
	{"pmem2_batch_crc32c", 0, false, true, false, true},
	{"pmem2_batch_copy_crc32c", 1, true, true, false, true},
	{"pmem2_batch_compare", 0, false, true, true, true},
};
static_assert(std::size(rules) == std::size_t(durable::entry_kind::compare) + 1);

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
	const entry_rule &rule = rules[std::size_t(e.kind)];
	const char *fn = rule.name;
	if (e.hints & ~allowed_flags) {
		set_errormsg("%s: invalid flags 0x%x (allowed: NONTEMPORAL, TEMPORAL, WC, WB)", fn, e.hints);
		return -EINVAL;
	}
	if (rule.out && e.out == nullptr) {
		set_errormsg("%s: the result pointer is NULL", fn);
		return -EINVAL;
	}
	if (e.n != 0 && ((rule.src && e.src == nullptr) || (rule.src2 && e.src2 == nullptr))) {
		set_errormsg("%s: a source is NULL", fn);
		return -EINVAL;
	}
	if (rule.dests != 0 && e.n == 0 && !rule.out)
		return 0;	// nothing to do: not added
	void *const dests[] = {e.dest, e.dest2};
	for (unsigned i = 0; i < rule.dests; ++i) {
		void *d = dests[i];
		if (!range_in_map(*b.map, d, e.n)) {
			set_errormsg("%s: range [%p, +%zu) is not inside the map [%p, +%zu)", fn, d, e.n,
				b.map->addr, b.map->content_length);
			return PMEM2_E_MAP_RANGE;
		}
	}
	if (rule.writes && !b.map->writable) {
		set_errormsg("%s: the map at %p is not writable (mapped without PMEM2_PROT_WRITE)", fn,
			b.map->addr);
		return PMEM2_E_NO_ACCESS;
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
