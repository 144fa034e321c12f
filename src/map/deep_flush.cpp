#include "map/deep_flush.hpp"

#include <cstdint>

#include <sys/mman.h>

#include "common/errormsg.hpp"
#include "map/map.hpp"
#include "map/region.hpp"
#include "memops/memops.hpp"
#include "os/os.hpp"

namespace pmem2 {

namespace {

// msync(MS_SYNC) of the pages holding [ptr, ptr+size).
int sync_pages(void *ptr, std::size_t size)
{
	const std::uintptr_t pg = os::page_size();
	const std::uintptr_t p = reinterpret_cast<std::uintptr_t>(ptr);
	const std::uintptr_t start = p & ~(pg - 1);
	const std::size_t len = size + (p - start);
	if (int r = os::msync(reinterpret_cast<void *>(start), len, MS_SYNC)) {
		set_errormsg_errno(-r, "msync(%p, %zu)", reinterpret_cast<void *>(start), len);
		return r;
	}
	return 0;
}

} // namespace

int dax_deep_flush(const source_info &src, void *ptr, std::size_t size)
{
	if (src.ftype != file_kind::devdax)
		return sync_pages(ptr, size);
	region::location loc;
	if (int r = region::lookup(src, loc))
		return r;
	if (!loc.found) {
		set_errormsg("no NVDIMM region backs the device DAX");
		return PMEM2_E_DAX_REGION_NOT_FOUND;
	}
	return region::deep_flush(loc);
}

int deep_flush(pmem2_map &m, void *ptr, std::size_t size)
{
	const auto base = reinterpret_cast<std::uintptr_t>(m.addr);
	const auto p = reinterpret_cast<std::uintptr_t>(ptr);
	// Written so that no sum can wrap (DIFFERENCES.md A12).
	if (p < base || size > m.content_length || p - base > m.content_length - size) {
		set_errormsg("range %p + %zu is not inside the map %p (%zu bytes)",
			ptr, size, m.addr, m.content_length);
		return PMEM2_E_DEEP_FLUSH_RANGE;
	}
	// Anonymous memory has nothing behind the CPU caches to flush (DIFFERENCES.md A13).
	if (m.source.kind == source_kind::anon) {
		set_errormsg("deep flush of an anonymous map is not supported");
		return PMEM2_E_NOSUPP;
	}
	// Files: msync writes back the page cache (PAGE maps; the original
	// returns without doing anything there, DIFFERENCES.md A10), and on a DAX file system
	// the kernel's fsync path also drains the region's write queues.
	// Device DAX has no page cache and no fsync: flush the CPU caches (so
	// the data has left them before the region flush drains the memory
	// controller's queues), then write the region's deep_flush attribute.
	// A CPU that cannot write back lines has device DAX maps only with
	// eADR (BYTE: the caches are in the persistence domain), so there is
	// nothing to write back from them, and the page sync flush_lines()
	// would do has no msync to run on device DAX.
	if (m.source.ftype == file_kind::devdax && memops::can_write_back_lines()) {
		memops::flush_lines(ptr, size);
		memops::fence();
	}
	return dax_deep_flush(m.source, ptr, size);
}

} // namespace pmem2
