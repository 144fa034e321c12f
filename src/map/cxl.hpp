// CXL-attached persistent memory behind an NVDIMM region (the kernel's
// cxl_pmem bridge): which nd regions and DIMMs are CXL-provided, the CXL
// region and memory device (memX) behind them, and the memory device's
// serial number, all through the redirectable sysfs root
// (DIFFERENCES.md A44).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace pmem2::cxl {

// Whether the resolved sysfs path of an nd region (or of a device below
// one) runs through the CXL hierarchy: an ancestor named pmem_region<Z>
// (the CXL region's pmem side) or nvdimm-bridge<K> (the CXL nvdimm bridge
// that hosts the region's nd bus).
bool on_cxl_path(std::string_view resolved);

// The name (region<Z>) of the CXL region behind the nd region `nd_dir`
// (resolved path): the parent of a pmem_region<Z> ancestor, or else the
// region under /sys/bus/cxl/devices whose `resource` equals the nd
// region's. Empty when none is found (not an error: the CXL side may be
// hidden or torn down while the nd region lives).
std::string region_name(const std::string &nd_dir);

// Whether DIMM `nmem` (a name under /sys/bus/nd/devices) is provided by
// CXL: it has the `cxl` attribute directory.
bool is_cxl_dimm(const std::string &nmem);

// The memory device (memX) behind CXL DIMM `nmem`: its name and resolved
// directory, found through nmem/cxl/provider (the cxl_nvdimm device, a
// child of memX on the cxl bus). 0 and empty strings when the kernel does
// not tell; -errno when it cannot be read.
int memdev(const std::string &nmem, std::string &name, std::string &dir);

// The serial number of CXL DIMM `nmem` as memX/serial prints it ("0x" and
// hex digits): memX/serial, or else nmem/cxl/id (the same number, printed
// in decimal) rewritten that way. PMEM2_E_NOSUPP when neither exists or the
// serial is 0 (the device has no serial number capability);
// PMEM2_E_INVALID_REGION_FORMAT when the text is not a number; -errno when
// a file cannot be read.
result<std::string> serial(const std::string &nmem);

} // namespace pmem2::cxl
