// struct pmem2_batch (<libpmem2/batch.h>): entries checked as they are
// added, kept in the layout a mover runs (durable/batch.hpp), and turned
// into one pmem2 future.
#pragma once

#include <cstddef>
#include <vector>

#include "async/future.hpp"
#include "durable/batch.hpp"

struct pmem2_batch {
	pmem2_map *map = nullptr;
	std::size_t capacity = 0;
	std::vector<pmem2::durable::batch_entry> entries;
	std::size_t bytes = 0;	// the entries' lengths summed
};

namespace pmem2::async {

// 0 or the code <libpmem2/batch.h> lists, with the message set.
int batch_new(pmem2_batch *&out, pmem2_map *map, std::size_t capacity);
int batch_add(pmem2_batch &b, const durable::batch_entry &e) noexcept;
// pmem2_batch_add_future: the never-polled future's operation as an entry.
int batch_add_future(pmem2_batch &b, const pmem2_future &f) noexcept;
// A single future of one entry (<libpmem2/operations.h>): the entry's
// checks, as batch_add makes them, naming the function; a map whose mover
// cannot run batches gets a future complete with PMEM2_E_NOSUPP.
pmem2_future entry_future(pmem2_map *map, const durable::batch_entry &e) noexcept;
bool batch_supported(const pmem2_map *map, unsigned ops) noexcept;
// The <libpmem2/operations.h> function making a future of one entry of
// kind k (nullptr: there is none), and how many ranges in the map an entry
// of kind k names (0; 1: dest; 2: dest and dest2).
const char *async_name(durable::entry_kind k) noexcept;
unsigned map_ranges(durable::entry_kind k) noexcept;
// The batch's future; a NULL batch gives a future complete with -EINVAL.
pmem2_future batch_future(pmem2_batch *b) noexcept;

} // namespace pmem2::async
