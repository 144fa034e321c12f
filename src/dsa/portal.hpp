// Where descriptors leave the process: a work queue's portal. The one seam
// of the DSA path: the mover hands every descriptor to a portal, which on
// hardware is the queue's mapped MMIO page written with MOVDIR64B (a
// dedicated queue: posted, a descriptor sent to a full queue is dropped) or
// ENQCMD (a shared queue: the queue may refuse it, and the sender retries).
// Tests put a software model of the device behind the same interface.
#pragma once

#include <linux/idxd.h>

namespace pmem2::dsa {

class portal {
public:
	virtual ~portal() = default;
	// Sends one descriptor, after a store fence that makes everything the
	// descriptor points to (buffers, the zeroed completion record) visible
	// to the device. true: sent (for a dedicated queue always, whether or
	// not the queue had room); false: a shared queue refused it.
	virtual bool submit(const dsa_hw_desc &desc) noexcept = 0;
};

} // namespace pmem2::dsa
