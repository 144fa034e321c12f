#include "async/batch.hpp"

#include <cerrno>
#include <cstdint>
#include <iterator>

#include <libpmem2/batch.h>

#include "async/checked.hpp"
#include "common/errormsg.hpp"
#include "map/map.hpp"

namespace pmem2::async {
namespace {

// What each kind of entry is called (as a batch entry, and as a single
// future where there is one) and takes, by durable::entry_kind.
struct entry_rule {
	const char *name;
	const char *async_name;	// <libpmem2/operations.h>, or nullptr
	unsigned dests;		// ranges in the map at dest (and dest2): 0, 1 or 2
	bool writes;		// into the map (a read-only map refuses it)
	bool src, src2, out;	// pointers that must not be NULL (sources: when n != 0)
};
constexpr entry_rule rules[] = {
	{"pmem2_batch_memcpy", nullptr, 1, true, true, false, false},
	{"pmem2_batch_memmove", nullptr, 1, true, true, false, false},
	{"pmem2_batch_memset", nullptr, 1, true, false, false, false},
	{"pmem2_batch_persist", nullptr, 1, false, false, false, false},
	{"pmem2_batch_fence", nullptr, 0, false, false, false, false},
	{"pmem2_batch_memset8", "pmem2_memset8_async", 1, true, false, false, false},
	{"pmem2_batch_dualcast", "pmem2_dualcast_async", 2, true, true, false, false},
	{"pmem2_batch_crc32c", "pmem2_crc32c_async", 0, false, true, false, true},
	{"pmem2_batch_copy_crc32c", "pmem2_copy_crc32c_async", 1, true, true, false, true},
	{"pmem2_batch_compare", "pmem2_compare_async", 0, false, true, true, true},
};
static_assert(std::size(rules) == std::size_t(durable::entry_kind::compare) + 1);

// The checks of one entry on `map`, its messages naming `fn`: a code (the
// message set), entry_runs, or entry_empty (a zero-length write: nothing
// to do, nothing to add). Batch entries and single futures share them.
constexpr int entry_runs = 0;
constexpr int entry_empty = 1;
int check_entry(const pmem2_map &map, const durable::batch_entry &e, const char *fn) noexcept
{
	const entry_rule &rule = rules[std::size_t(e.kind)];
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
		return entry_empty;
	void *const dests[] = {e.dest, e.dest2};
	for (unsigned i = 0; i < rule.dests; ++i) {
		void *d = dests[i];
		if (!range_in_map(map, d, e.n)) {
			set_errormsg("%s: range [%p, +%zu) is not inside the map [%p, +%zu)", fn, d, e.n,
				map.addr, map.content_length);
			return PMEM2_E_MAP_RANGE;
		}
	}
	if (rule.writes && !map.writable) {
		set_errormsg("%s: the map at %p is not writable (mapped without PMEM2_PROT_WRITE)", fn,
			map.addr);
		return PMEM2_E_NO_ACCESS;
	}
	return entry_runs;
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
	if (capacity > b->entries.max_size()) {
		set_errormsg("pmem2_batch_new: capacity %zu is more entries than memory can hold "
			"(at most %zu)", capacity, b->entries.max_size());
		delete b;
		return -ENOMEM;
	}
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
	const char *fn = rules[std::size_t(e.kind)].name;
	const int c = check_entry(*b.map, e, fn);
	if (c != entry_runs)
		return c == entry_empty ? 0 : c;	// empty: nothing to do, not added
	if (b.entries.size() == b.capacity) {
		set_errormsg("%s: the batch is full (capacity %zu)", fn, b.capacity);
		return -ENOSPC;
	}
	b.entries.push_back(e);	// within the reserved capacity: no allocation
	b.bytes += e.n;
	return 0;
}

int batch_add_future(pmem2_batch &b, const pmem2_future &f) noexcept
{
	durable::batch_entry e{};
	if (int c = entry_of_future(f, *b.map, e, "pmem2_batch_add_future"); c != 0)
		return c;
	const int c = batch_add(b, e);
	if (c == 0 && checking()) [[unlikely]]
		taken(f);
	return c;
}

const char *async_name(durable::entry_kind k) noexcept
{
	return rules[std::size_t(k)].async_name;
}

unsigned map_ranges(durable::entry_kind k) noexcept
{
	return rules[std::size_t(k)].dests;
}

pmem2_future entry_future(pmem2_map *map, const durable::batch_entry &e) noexcept
{
	const char *fn = rules[std::size_t(e.kind)].async_name;
	int code = 0;
	bool runs = false;
	if (map == nullptr) {
		set_errormsg("%s: map is NULL", fn);
		code = -EINVAL;
	} else if (map->mover == durable::mover_kind::foreign) {
		set_errormsg("%s: the map's mover is not one of pmem2's (default, sync, threads, DSA); "
			"it cannot run this operation", fn);
		code = PMEM2_E_NOSUPP;
	} else if (const int c = check_entry(*map, e, fn); c < 0) {
		code = c;
	} else {
		runs = c == entry_runs;
	}
	return make_entry_future(map, e, code, runs);
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
