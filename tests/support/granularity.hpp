// The granularity a map gets on this CPU where the platform would offer
// CACHE_LINE (a MAP_SYNC map without eADR, or PMEM2_FORCE_GRANULARITY).
#pragma once

#include <libpmem2.h>

#include "memops/memops.hpp"

namespace pmem2::test {

// g, except CACHE_LINE where the CPU cannot write a line back from user
// space (riscv64 without Zicbom: memops::can_write_back_lines()), which is
// PAGE there: nothing promises what no instruction can do.
inline pmem2_granularity granularity_on_this_cpu(pmem2_granularity g)
{
	if (g == PMEM2_GRANULARITY_CACHE_LINE && !pmem2::memops::can_write_back_lines())
		return PMEM2_GRANULARITY_PAGE;
	return g;
}

} // namespace pmem2::test
