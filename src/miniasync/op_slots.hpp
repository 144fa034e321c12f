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

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "durable/protocol.hpp"
#include "mpmc_queue.hpp"

namespace pmem2::masync {

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
};

static_assert(sizeof(std::atomic<std::uint64_t>) == sizeof(std::uint64_t));

// The values of op_slot::gate (guard_gate.hpp says how they change).
inline constexpr std::uint32_t gate_closed = 0;	// nobody has taken a chunk yet
inline constexpr std::uint32_t gate_entering = 1;	// the first taker is entering the guard
inline constexpr std::uint32_t gate_open = 2;
inline constexpr std::uint32_t gate_failed = 3;	// the map is gone: nothing is claimed

class op_slots {
public:
	// `n` slots, all free. Throws std::bad_alloc.
	explicit op_slots(std::size_t n);

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
