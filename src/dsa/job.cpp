#include "dsa/job.hpp"

#include <algorithm>
#include <cstring>

#include <immintrin.h>

#include "durable/protocol.hpp"
#include "miniasync/ops.hpp"

namespace pmem2::dsa {
namespace {

// A page fault that makes no progress this many times in a row at the same
// address fails the job instead of resubmitting forever.
constexpr unsigned max_stuck_faults = 3;

} // namespace

void touch_page(std::uint64_t addr, bool write) noexcept
{
	auto *p = reinterpret_cast<char *>(static_cast<std::uintptr_t>(addr));
	if (write)
		__atomic_fetch_add(p, 0, __ATOMIC_RELAXED);
	else
		(void)__atomic_load_n(p, __ATOMIC_RELAXED);
}

job::job(const vdm_operation &op, queue_link &q, std::size_t start) noexcept
	: w_(work_of(op)), q_(q), done_(start)
{
	const std::size_t len = masync::op_length(op);
	if (done_ >= len) {
		state_ = job_state::done;
	} else if (overlapping_move(op)) {
		masync::run_plain(op, 0, len);
		if (durable::flags_of(op) & VDM_F_MEM_DURABLE)
			masync::write_back(masync::op_dest(op), len);
		state_ = job_state::done;
	}
}

job::job(const work &w, queue_link &q, std::size_t start) noexcept : w_(w), q_(q), done_(start)
{
	if (done_ >= w_.n)
		state_ = job_state::done;
}

job::~job()
{
	release_slot();
}

void job::release_slot() noexcept
{
	if (holds_slot_) {
		q_.give_slot();
		holds_slot_ = false;
	}
}

bool job::send() noexcept
{
	if (!holds_slot_) {
		if (!q_.take_slot())
			return false;	// a full dedicated queue would drop it
		holds_slot_ = true;
	}
	piece_ = static_cast<std::size_t>(std::min<std::uint64_t>(w_.n - done_, q_.piece_limit()));
	const dsa_hw_desc d = describe(w_, done_, static_cast<std::uint32_t>(piece_), &rec_);
	std::memset(&rec_, 0, sizeof(rec_));
	_mm_sfence();
	if (!q_.port->submit(d)) {
		++refusals_;
		release_slot();
		return false;
	}
	++sends_;
	in_flight_ = true;
	return true;
}

void job::finish_piece(std::size_t bytes) noexcept
{
	in_flight_ = false;
	release_slot();
	done_ += bytes;
	if (done_ == w_.n)
		state_ = job_state::done;
}

job_state job::poll() noexcept
{
	if (state_ != job_state::running)
		return state_;
	if (!in_flight_) {
		if (!send())
			return state_;
	}
	const outcome o = read(rec_);
	switch (o.kind) {
	case outcome_kind::pending:
		break;
	case outcome_kind::success:
		stuck_ = 0;
		if (take_result(w_, done_, rec_)) {
			finish_piece(0);
			state_ = job_state::done;	// the sources differ: no more to compare
			break;
		}
		finish_piece(piece_);
		if (state_ == job_state::running)
			send();
		break;
	case outcome_kind::page_fault:
		++faults_;
		if (o.bytes_completed > piece_ ||
		    (o.bytes_completed == 0 && o.fault_addr == last_fault_ && ++stuck_ >= max_stuck_faults)) {
			in_flight_ = false;
			release_slot();
			failed_status_ = o.status;
			state_ = job_state::failed;
			break;
		}
		if (o.bytes_completed != 0)
			stuck_ = 0;
		take_result(w_, done_, rec_);
		last_fault_ = o.fault_addr;
		finish_piece(o.bytes_completed);
		if (state_ == job_state::running) {
			touch_page(o.fault_addr, o.fault_on_write);
			send();
		}
		break;
	case outcome_kind::error:
		in_flight_ = false;
		release_slot();
		failed_status_ = o.status;
		state_ = job_state::failed;
		break;
	}
	return state_;
}

job_state job::wait(wait_policy p) noexcept
{
	job_state s;
	while ((s = poll()) == job_state::running)
		wait_a_little(p, in_flight_ ? &rec_ : nullptr);
	return s;
}

} // namespace pmem2::dsa
