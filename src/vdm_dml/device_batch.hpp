// A pmem2 batch (durable/batch.hpp) on a work queue. Each entry the device
// can take is one work (dsa/work.hpp): copies and moves MEMMOVE, fills
// MEMFILL (fill8 with its 8-byte pattern, fill with the byte repeated),
// persists CFLUSH, dualcasts DUALCAST, CRCs CRCGEN, copies with CRC
// COPY_CRC, compares COMPARE; every one that writes the map durable (CC
// clear, DRDBK); a fence the FENCE flag of the descriptor after it; an empty
// CRC or compare sends nothing (its result is its seed, or 0). Two or more
// works go as the sub-descriptors of one BATCH descriptor; exactly one goes
// as a job of its own (cut into pieces when longer than the queue's maximum
// transfer). Once the device is done each entry's output is written as the
// CPU route writes it. A batch the device cannot take whole (more works than
// the queue's batch size, a batched work longer than its maximum transfer,
// an overlapping move or copy with CRC, a dualcast whose destinations differ
// in bits 11:0) is left to the CPU route.
#pragma once

#include "dsa/job.hpp"
#include "durable/batch.hpp"
#include "vdm_dml/op_slot.hpp"

namespace pmem2::vdm_dml {

// The address the queue choice goes by for b: its first entry's
// destination, or its first source when no entry writes (CRCs, compares).
const void *batch_place(const durable::batch_op &b) noexcept;

// Fills and sends s.dev_batch on `q` for b, the batch of s.op, (the slot keeps the batch object for
// its next use), or the slot's job for a batch of one work (s.has_job and
// s.has_batch both set); false, nothing sent, when the device cannot take
// it or there is nothing to send.
bool start_device_batch(op_slot &s, dsa::queue_link &q, const durable::batch_op &b) noexcept;

// Polls the slot's device batch (or its job); once it ended, s.failed and
// s.dev_status say whether an entry failed (the first failing status), and
// when none did the entries' outputs (CRCs, first differences) are written.
dsa::job_state poll_device_batch(op_slot &s) noexcept;

// The page syncs of a PAGE map's batch after the device: the range of every
// entry that writes the map or persists (both destinations of a dualcast;
// nothing for CRCs and compares) through the guard's services. 0 or the
// first -errno.
int sync_batch_entries(const op_slot &s) noexcept;

} // namespace pmem2::vdm_dml
