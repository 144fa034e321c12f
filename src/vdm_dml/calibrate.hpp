// DATA_MOVER_DML_THRESHOLD_AUTO: the CPU/device crossover of this machine,
// measured when the mover is made. For each size from 4 KiB to 256 KiB
// (doubling), the best of three durable copies on the CPU (copy, write
// back, fence) against the best of three on the queue (CC = 0, DRDBK); the
// threshold is the first size where the device is no slower, or SIZE_MAX
// (every operation on the CPU) when it never is or fails.
#pragma once

#include <cstddef>

#include "dsa/job.hpp"
#include "dsa/wait.hpp"

namespace pmem2::vdm_dml {

std::size_t measure_crossover(dsa::queue_link &q, dsa::wait_policy wait) noexcept;

} // namespace pmem2::vdm_dml
