// Store-granularity detection (libpmem2(7), "Granularity"):
// anonymous or private maps are BYTE, then PMEM2_FORCE_GRANULARITY, then
// MAP_SYNC or device DAX with eADR (BYTE) or without (CACHE_LINE), else PAGE.
// CACHE_LINE needs a CPU that can write back a line from user space
// (memops::can_write_back_lines()); where it cannot, PAGE takes its place,
// and device DAX (which has no msync) gets nothing.
#pragma once

#include <libpmem2/base.h>

#include "map/source.hpp"

namespace pmem2 {

// Parse a PMEM2_FORCE_GRANULARITY value: the granularity, or -1 when the
// value is not one of BYTE, CACHE_LINE, CACHELINE, PAGE (any case, < 11
// characters).
int parse_forced_granularity(const char *value) noexcept;
// The current environment's forced granularity, or -1 (read on every call).
int forced_granularity() noexcept;

// eADR scan of <root>/sys/bus/nd/devices: 1 every region reports
// cpu_cache, 0 no eADR (or no regions), -1 a malformed persistence_domain.
int eadr_scan();

// The finest granularity a mapping supports, and why nothing finer.
struct granularity_choice {
	pmem2_granularity granularity;
	// Why no finer one (for pmem2_errormsg); nullptr for BYTE.
	const char *reason;
	// False when no granularity can make stores durable: device DAX
	// without eADR on a CPU that cannot write back lines (no msync there).
	bool durable = true;
};
granularity_choice choose_granularity(const source_info &src, pmem2_sharing_type sharing,
	bool map_sync);

// The finest granularity a mapping supports (the order above).
pmem2_granularity available_granularity(const source_info &src, pmem2_sharing_type sharing,
	bool map_sync);

const char *granularity_name(int g) noexcept;

} // namespace pmem2
