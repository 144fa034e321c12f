#include "dsa/batch.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "miniasync/ops.hpp"

namespace pmem2::dsa {
namespace {

bool overlapping_move(const vdm_operation &op) noexcept
{
	if (op.type != VDM_OPERATION_MEMMOVE)
		return false;
	const auto d = reinterpret_cast<std::uintptr_t>(op.data.memmove.dest);
	const auto s = reinterpret_cast<std::uintptr_t>(op.data.memmove.src);
	const std::size_t n = op.data.memmove.n;
	return d < s ? s - d < n : d - s < n;
}

dsa_hw_desc describe(const vdm_operation &op, completion *c) noexcept
{
	const std::uint64_t flags = masync::op_flags(op);
	const auto n = static_cast<std::uint32_t>(masync::op_length(op));
	switch (op.type) {
	case VDM_OPERATION_MEMCPY:
		return memmove_desc(op.data.memcpy.dest, op.data.memcpy.src, n, flags, c);
	case VDM_OPERATION_MEMMOVE:
		return memmove_desc(op.data.memmove.dest, op.data.memmove.src, n, flags, c);
	case VDM_OPERATION_MEMSET:
		return fill_desc(op.data.memset.str, op.data.memset.c, n, flags, c);
	case VDM_OPERATION_FLUSH:
	default:
		return cflush_desc(op.data.flush.dest, n, c);
	}
}

// The part of `op` after its first `done` bytes.
vdm_operation rest_of(const vdm_operation &op, std::size_t done) noexcept
{
	vdm_operation r = op;
	switch (r.type) {
	case VDM_OPERATION_MEMCPY:
		r.data.memcpy.dest = static_cast<char *>(r.data.memcpy.dest) + done;
		r.data.memcpy.src = static_cast<char *>(r.data.memcpy.src) + done;
		r.data.memcpy.n -= done;
		break;
	case VDM_OPERATION_MEMMOVE:
		r.data.memmove.dest = static_cast<char *>(r.data.memmove.dest) + done;
		r.data.memmove.src = static_cast<char *>(r.data.memmove.src) + done;
		r.data.memmove.n -= done;
		break;
	case VDM_OPERATION_MEMSET:
		r.data.memset.str = static_cast<char *>(r.data.memset.str) + done;
		r.data.memset.n -= done;
		break;
	case VDM_OPERATION_FLUSH:
		r.data.flush.dest = static_cast<char *>(r.data.flush.dest) + done;
		r.data.flush.n -= done;
		break;
	}
	return r;
}

} // namespace

batch::batch(queue_link &q, std::size_t capacity) : q_(q), capacity_(capacity)
{
	const std::size_t descs = capacity * sizeof(dsa_hw_desc);
	const std::size_t recs = capacity * sizeof(completion);
	const std::size_t ops = capacity * sizeof(vdm_operation);
	const std::size_t states = capacity * sizeof(job_state);
	const std::size_t total = (descs + recs + ops + states + capacity + 63) & ~std::size_t(63);
	block_ = std::aligned_alloc(64, total == 0 ? 64 : total);
	if (block_ == nullptr)
		throw std::bad_alloc();
	auto *p = static_cast<unsigned char *>(block_);
	descs_ = reinterpret_cast<dsa_hw_desc *>(p);
	recs_ = reinterpret_cast<completion *>(p + descs);
	ops_ = reinterpret_cast<vdm_operation *>(p + descs + recs);
	states_ = reinterpret_cast<job_state *>(p + descs + recs + ops);
	statuses_ = p + descs + recs + ops + states;
}

batch::~batch()
{
	if (holds_slot_)
		q_.in_flight.fetch_sub(1, std::memory_order_release);
	std::free(block_);
}

bool batch::add(const vdm_operation &op) noexcept
{
	const std::size_t n = masync::op_length(op);
	const std::uint64_t limit = q_.max_transfer_size ? q_.max_transfer_size : 0xffffffffu;
	if (sent_ || count_ >= capacity_ || n == 0 || n > limit || n > 0xffffffffu ||
	    overlapping_move(op))
		return false;
	ops_[count_] = op;
	states_[count_] = job_state::running;
	statuses_[count_] = 0;
	++count_;
	return true;
}

bool batch::send() noexcept
{
	if (q_.dedicated && !holds_slot_) {
		std::uint32_t n = q_.in_flight.load(std::memory_order_relaxed);
		do {
			if (n >= q_.size)
				return false;
		} while (!q_.in_flight.compare_exchange_weak(n, n + 1, std::memory_order_acquire));
		holds_slot_ = true;
	}
	for (std::size_t i = 0; i < count_; ++i) {
		std::memset(&recs_[i], 0, sizeof(completion));
		descs_[i] = describe(ops_[i], &recs_[i]);
	}
	std::memset(&batch_rec_, 0, sizeof(batch_rec_));
	dsa_hw_desc b;
	std::memset(&b, 0, sizeof(b));
	b.opcode = DSA_OPCODE_BATCH;
	b.flags = IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR;
	b.completion_addr = reinterpret_cast<std::uintptr_t>(&batch_rec_.rec);
	b.desc_list_addr = reinterpret_cast<std::uintptr_t>(descs_);
	b.desc_count = static_cast<std::uint32_t>(count_);
#if defined(__x86_64__) || defined(__i386__)
	_mm_sfence();
#else
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
	if (!q_.port->submit(b)) {
		if (holds_slot_) {
			q_.in_flight.fetch_sub(1, std::memory_order_release);
			holds_slot_ = false;
		}
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
		q_.in_flight.fetch_sub(1, std::memory_order_release);
		holds_slot_ = false;
	}
	const outcome whole = read(batch_rec_);
	resumed_.resize(count_);
	for (std::size_t i = 0; i < count_; ++i) {
		const outcome o = read(recs_[i]);
		switch (o.kind) {
		case outcome_kind::success:
			states_[i] = job_state::done;
			break;
		case outcome_kind::page_fault: {
			vdm_operation r = rest_of(ops_[i], o.bytes_completed);
			resumed_[i].reset(new (std::nothrow) job(r, q_));
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
		}
	}
	return running ? job_state::running : job_state::done;
}

} // namespace pmem2::dsa
