// A pmem2 batch (durable/batch.hpp) on a work queue: its entries as the
// sub-descriptors of one BATCH descriptor, each durable (CC clear, DRDBK),
// a fence entry as the FENCE flag of the descriptor after it, a persist
// entry as a cache flush. A batch the device cannot take whole (fewer than
// two entries that write or flush, more than the queue's batch size, an
// entry longer than its maximum transfer, an overlapping move, an entry of
// the operations beyond copies, fills and persists) is left to the CPU
// route.
#pragma once

#include "dsa/job.hpp"
#include "durable/batch.hpp"
#include "vdm_dml/op_slot.hpp"

namespace pmem2::vdm_dml {

// Fills and sends s.dev_batch on `q` (the slot keeps the batch object for
// its next use); false, nothing sent, when the device cannot take it.
bool start_device_batch(op_slot &s, dsa::queue_link &q, const durable::batch_op &b) noexcept;

// Polls the slot's device batch; once it ended, s.failed and s.dev_status
// say whether an entry failed (the first failing status).
dsa::job_state poll_device_batch(op_slot &s) noexcept;

// The page syncs of a PAGE map's batch after the device: every entry's
// range through the guard's services. 0 or the first -errno.
int sync_batch_entries(const op_slot &s) noexcept;

} // namespace pmem2::vdm_dml
