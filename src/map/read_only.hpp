// The functions of a map made without PMEM2_PROT_WRITE: the copy and fill
// functions refuse (write nothing, set pmem2_errormsg, return NULL) instead
// of faulting; persist, flush and drain are the granularity's own.
#pragma once

#include "memops/memops.hpp"

namespace pmem2 {

const memops::ops_table &read_only_ops(memops::granularity g) noexcept;

} // namespace pmem2
