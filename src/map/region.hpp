// The NVDIMM region behind a source, found through sysfs alone (no
// libndctl needed, DIFFERENCES.md A8, A9), and what the region tells: NUMA node, unsafe
// shutdown count, DIMM identity, deep flush. Every path goes through the
// redirectable sysfs root, so fake trees drive all of it in tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "map/source.hpp"

namespace pmem2::region {

struct location {
	bool found = false;
	unsigned id = 0;		// N of region<N>
	std::string dir;		// <root>/sys/bus/nd/devices/region<N>
	std::string device;		// resolved sysfs path of the source's device
	bool cxl = false;		// the nd region is CXL-provided (DIFFERENCES.md A44)
};

// A one-line attribute without its newline: PMEM2_E_INVALID_REGION_FORMAT
// when empty or not terminated, -errno when unreadable. With `absent`, a
// missing file sets it and returns -ENOENT without a message.
int read_attr(const std::string &path, std::string &out, bool *absent = nullptr);

// realpath of /sys/dev/{block,char}/<maj>:<min> (st_dev for files, st_rdev
// for device DAX) and its nearest ancestor named region<N> that is an nd
// region: a CXL region (region<N> whose parent is a CXL decoder) is passed
// over, so a device DAX of CXL RAM is not taken for nd region<N>. A device
// with no sysfs node or no region ancestor (tmpfs, ordinary disks) is "not
// found", not an error. Anonymous sources are never found.
int lookup(const source_info &src, location &out);

// <region>/numa_node (may be -1).
result<int> numa_node(const location &loc);

// DIMM (nmem) names of the region, in mapping order (<region>/mapping<i>).
int dimms(const location &loc, std::vector<std::string> &out);
// Sum of the DIMMs' dirty-shutdown counters (nfit/, cxl/ or the DIMM's own
// dirty_shutdown); PMEM2_E_NOSUPP when a DIMM does not report one.
result<std::uint64_t> unsafe_shutdown_count(const location &loc);
// Concatenated unique ids of the DIMMs (a CXL DIMM's is its memory
// device's serial, cxl::serial); PMEM2_E_NOSUPP when one has none.
result<std::string> device_id(const location &loc);

// Write "1" to <region>/deep_flush unless it reads "0\n". An absent file
// means the region has no flush interface (success); every other failure is
// returned (DIFFERENCES.md A11).
int deep_flush(const location &loc);

} // namespace pmem2::region
