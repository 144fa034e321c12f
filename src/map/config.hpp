// Mapping configuration (pmem2_config_new(3) and its setters).
#pragma once

#include <cstddef>

#include <libpmem2/base.h>

struct vdm;

namespace pmem2 {
// Internal "not set" value of the required granularity.
inline constexpr int granularity_unset = -1;
inline constexpr unsigned prot_valid = PMEM2_PROT_READ | PMEM2_PROT_WRITE | PMEM2_PROT_EXEC;
} // namespace pmem2

struct pmem2_config {
	std::size_t offset = 0;
	std::size_t length = 0;		// 0: to the end of the source
	int required_granularity = pmem2::granularity_unset;
	pmem2_sharing_type sharing = PMEM2_SHARED;
	unsigned protection = PMEM2_PROT_READ | PMEM2_PROT_WRITE;
	pmem2_vm_reservation *reservation = nullptr;
	std::size_t reservation_offset = 0;
	struct vdm *vdm = nullptr;	// NULL: the map gets the default mover
};
