// The pmem2 C++20 API: RAII sources, maps and movers over libpmem2 and
// libminiasync, typed futures that can be awaited, and a small task type.
#pragma once

#include "batch.hpp"
#include "error.hpp"
#include "flags.hpp"
#include "future.hpp"
#include "loop.hpp"
#include "map.hpp"
#include "mover.hpp"
#include "source.hpp"
#include "task.hpp"
