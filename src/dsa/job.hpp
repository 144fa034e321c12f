// One vdm operation on a DSA work queue: its descriptor and completion
// record, sent through a portal, polled without blocking, and carried to the
// end whatever the device reports on the way:
//   * a dedicated queue drops descriptors it has no room for, so a job is
//     sent only while the queue's in-flight count (slots) is below its size;
//   * a shared queue may refuse a descriptor: the job tries again at its
//     next poll;
//   * a transfer longer than the queue's maximum goes out in pieces;
//   * a page fault (PAGE_FAULT_NOBOF) ends a piece early: the job touches
//     the faulting page (writing it when the fault was on a write) and
//     sends the rest;
//   * any other status fails the job, the status kept;
//   * an overlapping move, and an empty operation, run on the CPU at once
//     (the device's direction for an overlap is not known to resume it);
//   * a work of the other opcodes (dsa/work.hpp) goes on from its result
//     so far: a CRC's next piece is seeded with the CRC of the bytes done,
//     a fill's keeps the pattern's phase, a compare ends at the first
//     difference a piece reports.
// A job must not be destroyed while a descriptor of it is in flight.
#pragma once

#include <libminiasync/vdm.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "dsa/descriptor.hpp"
#include "dsa/portal.hpp"
#include "dsa/wait.hpp"
#include "dsa/work.hpp"

namespace pmem2::dsa {

// What a job needs of its queue: the portal, the limits, and the count of
// descriptors in flight on it (shared by all the queue's jobs).
struct queue_link {
	portal *port = nullptr;
	bool dedicated = true;
	std::uint32_t size = 0;			// entries
	std::uint64_t max_transfer_size = 0;	// bytes per descriptor
	std::uint32_t max_batch_size = 0;	// descriptors per BATCH (0: no batches)
	std::atomic<std::uint32_t> in_flight{0};

	// One descriptor's room in a dedicated queue (false: full, the sender
	// waits; a shared queue says so itself). give_slot() when it completes.
	bool take_slot() noexcept
	{
		if (!dedicated)
			return true;
		std::uint32_t n = in_flight.load(std::memory_order_relaxed);
		do {
			if (n >= size)
				return false;
		} while (!in_flight.compare_exchange_weak(n, n + 1, std::memory_order_acquire));
		return true;
	}
	void give_slot() noexcept
	{
		if (dedicated)
			in_flight.fetch_sub(1, std::memory_order_release);
	}
	// The bytes one descriptor may carry.
	std::uint64_t piece_limit() const noexcept
	{
		const std::uint64_t most = 0xffffffffu;	// xfer_size is 32 bits
		return max_transfer_size != 0 && max_transfer_size < most ? max_transfer_size : most;
	}
};

enum class job_state { running, done, failed };

// Makes the page of `addr` present (and writable, when `write`), as the
// CPU's own access would, after the device stopped there; the byte keeps
// its value.
void touch_page(std::uint64_t addr, bool write) noexcept;

class job {
public:
	// The operation (copied) and its queue, from byte `start` on (the bytes
	// before it already done). Nothing is sent until poll().
	job(const vdm_operation &op, queue_link &q, std::size_t start = 0) noexcept;
	// A work (copied) from byte `start` on, its result so far in it (the
	// CRC of bytes [0, start)). One the device refuses (device_refuses) is
	// the caller's to keep off the device.
	job(const work &w, queue_link &q, std::size_t start = 0) noexcept;
	job(const job &) = delete;
	job &operator=(const job &) = delete;
	~job();

	// Sends or checks the current piece; never blocks.
	job_state poll() noexcept;
	// Polls until the job ends, waiting as `p` says between polls.
	job_state wait(wait_policy p) noexcept;
	// The record the device writes for the piece in flight (its first
	// eight bytes are non-zero once written: a poller's monitor word).
	const completion &record() const noexcept { return rec_; }
	// The work with its result: the CRC, the first difference (once done).
	const dsa::work &result() const noexcept { return w_; }
	// The status that failed the job (failed), 0 otherwise.
	std::uint8_t failed_status() const noexcept { return failed_status_; }
	// Pieces sent, page faults resumed, refusals retried (for tests).
	unsigned sends() const noexcept { return sends_; }
	unsigned faults() const noexcept { return faults_; }
	unsigned refusals() const noexcept { return refusals_; }

private:
	bool send() noexcept;
	void finish_piece(std::size_t bytes) noexcept;
	void release_slot() noexcept;

	dsa::work w_;
	queue_link &q_;
	completion rec_{};
	std::size_t done_ = 0;		// bytes of the operation completed
	std::size_t piece_ = 0;		// bytes of the piece in flight
	bool in_flight_ = false;
	bool holds_slot_ = false;
	job_state state_ = job_state::running;
	std::uint8_t failed_status_ = 0;
	std::uint64_t last_fault_ = 0;
	unsigned stuck_ = 0;		// faults in a row without progress
	unsigned sends_ = 0, faults_ = 0, refusals_ = 0;
};

} // namespace pmem2::dsa
