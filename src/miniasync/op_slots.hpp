// The threads mover's per-operation state: a preallocated table of slots,
// taken at op_start (so a future dropped unpolled holds nothing), whose
// address replaces the future's private pointer (see vdm.h).
//
// Slot lifetime: a slot holds one reference for the future (dropped in
// op_delete) and one for every queue item naming it (dropped by the worker
// that took the item). It returns to the free list when the last one goes,
// so a worker never sees its slot reused under it.
#pragma once

#include <libminiasync/future.h>
#include <libminiasync/vdm.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "chunking.hpp"
#include "durable/protocol.hpp"
#include "mpmc_queue.hpp"

namespace pmem2::masync {

// The values of op_slot::gate (guard_gate.hpp says how they change).
inline constexpr std::uint32_t gate_closed = 0;	// nobody has taken a chunk yet
inline constexpr std::uint32_t gate_entering = 1;	// the first taker is entering the guard
inline constexpr std::uint32_t gate_open = 2;
inline constexpr std::uint32_t gate_failed = 3;	// the map is gone: nothing is claimed

struct alignas(64) op_slot {
	std::atomic<std::uint64_t> complete{0};	// POLLER futures watch this word
	std::atomic<std::uint32_t> refs{0};
	std::atomic<std::uint32_t> next_chunk{0};
	std::atomic<std::uint32_t> pending{0};	// chunks not yet finished
	std::atomic<std::uint32_t> gate{0};	// gate_*: may chunks be claimed
	std::atomic<std::int32_t> status{0};	// durable::status_*: the first failure wins
	std::uint32_t nchunks = 1;
	std::size_t chunk_size = 0;	// of every chunk but the first and the last
	std::size_t skew = 0;	// destination offset in its page (split only)
	vdm_operation op{};
	future_waker waker{};
	future_notifier_type notify = FUTURE_NOTIFIER_NONE;
	vdm_operation_result result = VDM_SUCCESS;
	durable::map_guard *guard = nullptr;	// entered for the whole operation
	bool helpable = false;	// durable with the default kernels (set at submission)
	bool small = false;	// helpable and at most help_max bytes

	// A slot just taken, for `o` cut as `p`: nothing claimed or finished,
	// one reference for the future and one for its queue item. A durable
	// operation's gate is closed (its first taker enters the guard); a plain
	// one has no guard to enter: claimable at once.
	void begin(const vdm_operation &o, future_notifier_type how, const future_waker *w,
		const chunk_plan &p) noexcept
	{
		op = o;
		notify = how;
		if (w != nullptr)
			waker = *w;
		result = VDM_SUCCESS;
		guard = nullptr;
		complete.store(0, std::memory_order_relaxed);
		next_chunk.store(0, std::memory_order_relaxed);
		status.store(durable::status_ok, std::memory_order_relaxed);
		gate.store(durable::is_request(durable::flags_of(op)) ? gate_closed : gate_open,
			std::memory_order_relaxed);
		refs.store(2, std::memory_order_relaxed);
		nchunks = p.nchunks;
		chunk_size = p.chunk_size;
		skew = p.skew;
		pending.store(nchunks, std::memory_order_relaxed);
	}
	chunk_plan plan() const noexcept { return {nchunks, chunk_size, skew}; }
};

static_assert(sizeof(std::atomic<std::uint64_t>) == sizeof(std::uint64_t));

class op_slots {
public:
	// `n` slots, all free. Throws std::bad_alloc.
	explicit op_slots(std::size_t n);

	// For a queue of `ring` items and `nthreads` workers: room for a full
	// queue, every worker busy and as many completed operations not yet
	// collected; bounded so huge queues stay cheap.
	static std::size_t capacity_for(std::size_t ring, std::size_t nthreads) noexcept
	{
		return std::min<std::size_t>(std::max<std::size_t>(2 * ring, 1024),
			std::size_t(1) << 16) + std::min<std::size_t>(nthreads, std::size_t(1) << 16);
	}

	// The index of a free slot; false when every slot is taken.
	bool take(std::uint32_t &idx) noexcept { return free_.try_pop(idx); }
	// Back to the free list without a reference count: a slot just taken
	// and never handed out. (Room for every slot: cannot fail.)
	void put_back(std::uint32_t idx) noexcept { free_.try_push(idx); }
	// Drops one reference; true when it was the last and the slot is free
	// again.
	bool release(op_slot &s) noexcept
	{
		if (s.refs.fetch_sub(1, std::memory_order_acq_rel) != 1)
			return false;
		free_.try_push(index_of(s));
		return true;
	}

	op_slot &operator[](std::uint32_t idx) noexcept { return slots_[idx]; }
	std::uint32_t index_of(const op_slot &s) const noexcept
	{
		return std::uint32_t(&s - slots_.data());
	}
	std::size_t capacity() const noexcept { return n_; }

private:
	std::size_t n_;
	std::vector<op_slot> slots_;	// vector: standard layout with clang too
	mpmc_queue free_;	// indices of free slots
};

} // namespace pmem2::masync
