// Bad blocks (pmem2_badblock_context_new(3), DIFFERENCES.md A28). The lists come from sysfs: the
// block device's badblocks for files (namespace relative, through the
// file's extents), the region's badblocks clipped to the namespace for
// device DAX. Clearing device DAX blocks needs libndctl (ARS commands).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <libpmem2/base.h>

#include "map/source.hpp"
#include "os/io.hpp"

struct pmem2_badblock_context {
	int fd = -1;				// the source's, not owned
	pmem2::file_kind ftype = pmem2::file_kind::none;
	bool empty = true;			// no region or namespace: nothing to report
	unsigned region_id = 0;
	bool cxl = false;			// the region is CXL-provided (no address range scrub)
	std::uint64_t ns_resource = 0;		// device DAX: physical start of the namespace data
	std::vector<pmem2_badblock> device;	// bytes, relative to the namespace / block device
	std::vector<pmem2::os::extent> extents;	// regular files
	std::size_t block_size = 0;		// regular files: st_blksize
	std::size_t next_bb = 0, next_extent = 0;	// iteration state
};

namespace pmem2::badblocks {

int context_new(pmem2_badblock_context *&out, const source_info &src);
int next(pmem2_badblock_context &ctx, pmem2_badblock &bb) noexcept;
int clear(pmem2_badblock_context &ctx, const pmem2_badblock &bb);

// "<sector> <count>" lines (512-byte sectors) as byte ranges.
int parse_list(const std::string &text, std::vector<pmem2_badblock> &out) noexcept;

// The next file-relative bad block: device block `bb` seen through extent
// `e`, widened to whole file-system blocks; false when they do not meet.
bool through_extent(const pmem2_badblock &bb, const os::extent &e, std::size_t block_size,
	pmem2_badblock &out) noexcept;

} // namespace pmem2::badblocks
