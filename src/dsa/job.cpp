#include "dsa/job.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include "miniasync/ops.hpp"

namespace pmem2::dsa {
namespace {

// A page fault that makes no progress this many times in a row at the same
// address fails the job instead of resubmitting forever.
constexpr unsigned max_stuck_faults = 3;

bool overlaps(const void *a, const void *b, std::size_t n) noexcept
{
	const auto x = reinterpret_cast<std::uintptr_t>(a), y = reinterpret_cast<std::uintptr_t>(b);
	return n != 0 && (x < y ? y - x < n : x - y < n);
}

// Makes the page of `addr` present (and writable, when `write`), as the
// CPU's own access would; the byte keeps its value.
void touch(std::uint64_t addr, bool write) noexcept
{
	auto *p = reinterpret_cast<char *>(static_cast<std::uintptr_t>(addr));
	if (write)
		__atomic_fetch_add(p, 0, __ATOMIC_RELAXED);
	else
		(void)__atomic_load_n(p, __ATOMIC_RELAXED);
}

} // namespace

job::job(const vdm_operation &op, queue_link &q) noexcept : op_(op), q_(q)
{
	const std::size_t len = masync::op_length(op_);
	// An overlapping move cannot be cut into pieces or resumed after a
	// fault without knowing the device's direction: it runs on the CPU.
	const bool overlapping = (op_.type == VDM_OPERATION_MEMMOVE &&
		overlaps(op_.data.memmove.dest, op_.data.memmove.src, len));
	if (len == 0 || overlapping) {
		masync::run_plain(op_, 0, len);
		if ((masync::op_flags(op_) & VDM_F_MEM_DURABLE) && len != 0)
			masync::write_back(masync::op_dest(op_), len);
		state_ = job_state::done;
	}
}

job::~job()
{
	release_slot();
}

void job::release_slot() noexcept
{
	if (holds_slot_) {
		q_.in_flight.fetch_sub(1, std::memory_order_release);
		holds_slot_ = false;
	}
}

bool job::send() noexcept
{
	if (q_.dedicated && !holds_slot_) {
		std::uint32_t n = q_.in_flight.load(std::memory_order_relaxed);
		do {
			if (n >= q_.size)
				return false;	// a full dedicated queue would drop it
		} while (!q_.in_flight.compare_exchange_weak(n, n + 1, std::memory_order_acquire));
		holds_slot_ = true;
	}
	const std::size_t len = masync::op_length(op_);
	std::uint64_t limit = q_.max_transfer_size ? q_.max_transfer_size : std::numeric_limits<std::uint32_t>::max();
	limit = std::min<std::uint64_t>(limit, std::numeric_limits<std::uint32_t>::max());
	piece_ = static_cast<std::size_t>(std::min<std::uint64_t>(len - done_, limit));
	const auto n = static_cast<std::uint32_t>(piece_);
	const std::uint64_t flags = masync::op_flags(op_);
	dsa_hw_desc d;
	switch (op_.type) {
	case VDM_OPERATION_MEMCPY:
		d = memmove_desc(static_cast<char *>(op_.data.memcpy.dest) + done_,
			static_cast<const char *>(op_.data.memcpy.src) + done_, n, flags, &rec_);
		break;
	case VDM_OPERATION_MEMMOVE:
		d = memmove_desc(static_cast<char *>(op_.data.memmove.dest) + done_,
			static_cast<const char *>(op_.data.memmove.src) + done_, n, flags, &rec_);
		break;
	case VDM_OPERATION_MEMSET:
		d = fill_desc(static_cast<char *>(op_.data.memset.str) + done_, op_.data.memset.c, n,
			flags, &rec_);
		break;
	case VDM_OPERATION_FLUSH:
	default:
		d = cflush_desc(static_cast<char *>(op_.data.flush.dest) + done_, n, &rec_);
		break;
	}
	std::memset(&rec_, 0, sizeof(rec_));
#if defined(__x86_64__) || defined(__i386__)
	_mm_sfence();
#else
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
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
	if (done_ == masync::op_length(op_))
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
		last_fault_ = o.fault_addr;
		finish_piece(o.bytes_completed);
		if (state_ == job_state::running) {
			touch(o.fault_addr, o.fault_on_write);
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

} // namespace pmem2::dsa
