// How a thread waits for the device between two checks of a completion
// record: UMWAIT on the record's line (the CPU sleeps lightly until the
// device writes it, or a short deadline passes), PAUSE, or yielding the CPU.
// Every wait is short and returns: the caller checks again and decides.
#pragma once

#include "dsa/descriptor.hpp"
#include "dsa/work_queue.hpp"

namespace pmem2::dsa {

enum class wait_policy { umwait, pause, yield };

// One short wait for `watch` to be written (nullptr: nothing in flight to
// watch, so UMWAIT pauses). UMWAIT requires cpu_features::waitpkg.
void wait_a_little(wait_policy p, const completion *watch) noexcept;

} // namespace pmem2::dsa
