// Runs of small operations sent as one BATCH descriptor: the operations'
// descriptors in a 64-byte aligned array, each with its own completion
// record, one submission and one record for the batch. A sub-descriptor
// that stops at a page fault is resumed on its own (a dsa::job for the rest
// of that operation, from its result so far); any other failing status
// fails that operation only. The operations are works (dsa/work.hpp): vdm
// operations, or any opcode a work describes, each one's result kept.
// The device side of batching: what runs land here is the mover's choice.
#pragma once

#include <libminiasync/vdm.h>

#include <cstddef>
#include <memory>
#include <vector>

#include "dsa/descriptor.hpp"
#include "dsa/job.hpp"
#include "dsa/work.hpp"

namespace pmem2::dsa {

class batch {
public:
	// Room for `capacity` operations (at most the queue's max_batch_size).
	batch(queue_link &q, std::size_t capacity);
	batch(const batch &) = delete;
	batch &operator=(const batch &) = delete;
	~batch();

	// Adds an operation (copied); false when the batch is full, already
	// sent, or the operation cannot go in one descriptor (empty, longer
	// than the queue's maximum transfer, or an overlapping move). With
	// `fence_before`, the device starts it only after every operation added
	// before it ended (the descriptor's FENCE flag).
	bool add(const vdm_operation &op, bool fence_before = false) noexcept;
	// The same for a work (dsa/work.hpp): false also when the device
	// refuses it (device_refuses).
	bool add(const work &w, bool fence_before = false) noexcept;
	std::size_t capacity() const noexcept { return capacity_; }
	const queue_link &queue() const noexcept { return q_; }
	std::size_t size() const noexcept { return count_; }

	// Sends the batch or checks it; never blocks. done when every
	// operation has ended, each with its own state.
	job_state poll() noexcept;
	job_state state_of(std::size_t i) const noexcept { return states_[i]; }
	std::uint8_t status_of(std::size_t i) const noexcept { return statuses_[i]; }
	// Operation i's work with its result (a CRC, a first difference), once
	// it is done.
	const work &result_of(std::size_t i) const noexcept { return works_[i]; }
	// Empties a batch that is done (or never sent) for the next run of
	// operations, keeping its memory: a batch object is reused, not
	// remade, for each run.
	void reset() noexcept;
	// Whether the batch went out as one submission (for tests).
	unsigned sends() const noexcept { return sends_; }

private:
	bool send() noexcept;
	void settle() noexcept;

	queue_link &q_;
	std::size_t capacity_;
	std::size_t count_ = 0;
	// One allocation holds the arrays below, each `capacity_` long: the
	// descriptors (64-byte aligned, the device reads them as a list), their
	// records (32-byte aligned), the operations' works, their states, statuses
	// and fence marks.
	void *block_ = nullptr;
	dsa_hw_desc *descs_ = nullptr;
	completion *recs_ = nullptr;
	work *works_ = nullptr;
	job_state *states_ = nullptr;
	std::uint8_t *statuses_ = nullptr;
	std::uint8_t *fences_ = nullptr;
	completion batch_rec_{};
	std::vector<std::unique_ptr<job>> resumed_;	// per operation: the rest after a fault
	bool sent_ = false, settled_ = false, holds_slot_ = false;
	unsigned sends_ = 0;
};

} // namespace pmem2::dsa
