#include "dsa/batch.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

#include <immintrin.h>

namespace pmem2::dsa {

batch::batch(queue_link &q, std::size_t capacity) : q_(q), capacity_(capacity)
{
	const std::size_t descs = capacity * sizeof(dsa_hw_desc);
	const std::size_t recs = capacity * sizeof(completion);
	const std::size_t ops = capacity * sizeof(work);
	const std::size_t states = capacity * sizeof(job_state);
	const std::size_t total = (descs + recs + ops + states + 2 * capacity + 63) & ~std::size_t(63);
	block_ = std::aligned_alloc(64, total == 0 ? 64 : total);
	if (block_ == nullptr)
		throw std::bad_alloc();
	auto *p = static_cast<unsigned char *>(block_);
	descs_ = reinterpret_cast<dsa_hw_desc *>(p);
	recs_ = reinterpret_cast<completion *>(p + descs);
	works_ = reinterpret_cast<work *>(p + descs + recs);
	states_ = reinterpret_cast<job_state *>(p + descs + recs + ops);
	statuses_ = p + descs + recs + ops + states;
	fences_ = statuses_ + capacity;
}

batch::~batch()
{
	if (holds_slot_)
		q_.give_slot();
	std::free(block_);
}

bool batch::add(const vdm_operation &op, bool fence_before) noexcept
{
	return add(work_of(op), fence_before);	// device_refuses: an overlapping move
}

bool batch::add(const work &w, bool fence_before) noexcept
{
	if (sent_ || count_ >= capacity_ || w.n == 0 || w.n > q_.piece_limit() || device_refuses(w))
		return false;
	new (&works_[count_]) work(w);
	states_[count_] = job_state::running;
	statuses_[count_] = 0;
	fences_[count_] = fence_before;
	++count_;
	return true;
}

bool batch::send() noexcept
{
	if (!holds_slot_) {
		if (!q_.take_slot())
			return false;
		holds_slot_ = true;
	}
	for (std::size_t i = 0; i < count_; ++i) {
		std::memset(&recs_[i], 0, sizeof(completion));
		descs_[i] = describe(works_[i], 0, static_cast<std::uint32_t>(works_[i].n), &recs_[i]);
		if (fences_[i])
			descs_[i].flags |= IDXD_OP_FLAG_FENCE;
	}
	std::memset(&batch_rec_, 0, sizeof(batch_rec_));
	dsa_hw_desc b;
	std::memset(&b, 0, sizeof(b));
	b.opcode = DSA_OPCODE_BATCH;
	b.flags = IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;
	b.completion_addr = reinterpret_cast<std::uintptr_t>(&batch_rec_.rec);
	b.desc_list_addr = reinterpret_cast<std::uintptr_t>(descs_);
	b.desc_count = static_cast<std::uint32_t>(count_);
	_mm_sfence();
	if (!q_.port->submit(b)) {
		q_.give_slot();
		holds_slot_ = false;
		return false;
	}
	++sends_;
	sent_ = true;
	return true;
}

// The batch's record is written: each operation's own record says how it
// ended; the rest of one stopped by a page fault goes on as a job.
void batch::settle() noexcept
{
	settled_ = true;
	if (holds_slot_) {
		q_.give_slot();
		holds_slot_ = false;
	}
	const outcome whole = read(batch_rec_);
	for (std::size_t i = 0; i < count_; ++i) {
		const outcome o = read(recs_[i]);
		switch (o.kind) {
		case outcome_kind::success:
			take_result(works_[i], 0, recs_[i]);
			states_[i] = job_state::done;
			break;
		case outcome_kind::page_fault: {
			take_result(works_[i], 0, recs_[i]);	// a CRC goes on from the bytes done
			touch_page(o.fault_addr, o.fault_on_write);
			if (resumed_.size() < count_) {
				// Made when first needed: most batches never fault.
				try {
					resumed_.resize(count_);
				} catch (const std::bad_alloc &) {
					states_[i] = job_state::failed;
					statuses_[i] = o.status;
					break;
				}
			}
			resumed_[i].reset(new (std::nothrow) job(works_[i], q_, o.bytes_completed));
			if (!resumed_[i]) {
				states_[i] = job_state::failed;
				statuses_[i] = o.status;
			}
			break;
		}
		case outcome_kind::error:
			states_[i] = job_state::failed;
			statuses_[i] = o.status;
			break;
		case outcome_kind::pending:
			// The batch as a whole failed before reaching this one.
			states_[i] = job_state::failed;
			statuses_[i] = whole.status != DSA_COMP_SUCCESS ? whole.status
								      : std::uint8_t(DSA_COMP_BATCH_FAIL);
			break;
		}
	}
}

void batch::reset() noexcept
{
	resumed_.clear();
	count_ = 0;
	sent_ = settled_ = false;
}

job_state batch::poll() noexcept
{
	if (count_ == 0)
		return job_state::done;
	if (!sent_) {
		if (!send())
			return job_state::running;
	}
	if (!settled_) {
		if (read(batch_rec_).kind == outcome_kind::pending)
			return job_state::running;
		settle();
	}
	// Operations resumed after a fault, in the order they faulted.
	bool running = false;
	for (std::size_t i = 0; i < count_; ++i) {
		if (states_[i] != job_state::running)
			continue;
		job *j = resumed_[i].get();
		const job_state s = j->poll();
		if (s == job_state::running)
			running = true;
		else {
			states_[i] = s;
			statuses_[i] = j->failed_status();
			works_[i] = j->result();
		}
	}
	return running ? job_state::running : job_state::done;
}

} // namespace pmem2::dsa
