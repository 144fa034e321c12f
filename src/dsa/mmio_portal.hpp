// A work queue's portal on hardware: the queue's character device opened
// and one page of it mapped for writing; MOVDIR64B to it for a dedicated
// queue, ENQCMD for a shared one.
#pragma once

#include <memory>
#include <string>

#include "dsa/portal.hpp"
#include "dsa/work_queue.hpp"

namespace pmem2::dsa {

// The portal of `q`, or nullptr with the reason in `why` (the open or the
// mmap failed, or the queue's mode is unknown).
std::unique_ptr<portal> open_mmio_portal(const work_queue &q, std::string &why);

} // namespace pmem2::dsa
