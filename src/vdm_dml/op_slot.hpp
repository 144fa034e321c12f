// The DSA mover's per-operation state and where it comes from. A slot is
// taken when an operation that needs state starts (one sent to a work
// queue, or a pmem2 durable operation) and given back when its future
// completes, so a future that is made and dropped unpolled holds nothing.
// Slots come from a pool that grows by chunks and gives its memory back
// only when the mover is deleted: no allocation per operation once the
// pool has grown to the number in flight, and a slot a dropped future kept
// stays valid memory for the device to write its record into.
#pragma once

#include <libminiasync/vdm.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <new>

#include "dsa/batch.hpp"
#include "dsa/job.hpp"
#include "durable/protocol.hpp"

namespace pmem2::vdm_dml {

enum class phase : std::uint8_t {
	running,	// on the caller's side: on the CPU, or its job on the device
	finishing,	// with the mover's completer thread
	done,
};

struct op_slot {
	vdm_operation op{};		// the operation, as started
	alignas(dsa::job) unsigned char storage[sizeof(dsa::job)];
	bool has_job = false;		// a job was built in storage
	bool has_batch = false;		// a pmem2 batch on the device: in dev_batch, or in
					// the job (has_job too) when it is one entry
	std::unique_ptr<dsa::batch> dev_batch;	// kept for the slot's next batch
	// A pmem2 durable operation: the map guard it entered (nullptr when
	// refused), its request, its protocol status.
	durable::map_guard *guard = nullptr;
	durable::request req{};
	std::int32_t status = durable::status_ok;
	std::uint8_t dev_status = 0;	// the device status that failed it
	bool failed = false;
	std::atomic<phase> state{phase::running};
	op_slot *next_work = nullptr;	// the completer's queue

	dsa::job *job() noexcept { return std::launder(reinterpret_cast<dsa::job *>(storage)); }

	// The pool's own fields.
	std::uint32_t index = 0;
	std::atomic<std::uint32_t> next_free{0};	// index + 1, 0: none
	std::atomic<bool> in_use{false};
};

class slot_pool {
public:
	slot_pool() = default;
	slot_pool(const slot_pool &) = delete;
	slot_pool &operator=(const slot_pool &) = delete;
	~slot_pool();

	// A clean slot; nullptr when the pool cannot grow (out of memory).
	op_slot *take() noexcept;
	void give(op_slot *s) noexcept;

	// Calls f(slot) for every slot taken and not given back (at mover
	// delete: futures dropped while running).
	template <class F>
	void for_each_in_use(F &&f)
	{
		const std::uint32_t n = chunks_.load(std::memory_order_acquire);
		for (std::uint32_t c = 0; c < n; ++c)
			for (std::uint32_t i = 0; i < chunk_slots; ++i)
				if (op_slot &s = chunk_[c][i]; s.in_use.load(std::memory_order_acquire))
					f(s);
	}
	// Slots made so far (for tests: it stops growing in a steady state).
	std::size_t capacity() const noexcept
	{
		return std::size_t(chunks_.load(std::memory_order_acquire)) * chunk_slots;
	}

private:
	static constexpr std::uint32_t chunk_slots = 64;
	static constexpr std::uint32_t max_chunks = 1u << 14;	// 1 Mi slots

	op_slot &at(std::uint32_t index) noexcept
	{
		return chunk_[index / chunk_slots][index % chunk_slots];
	}
	bool grow() noexcept;
	void push_chain(op_slot &first, op_slot &last) noexcept;

	// Free list head: (tag << 32) | (index + 1); the tag defeats ABA.
	std::atomic<std::uint64_t> head_{0};
	std::atomic<std::uint32_t> chunks_{0};
	std::mutex grow_m_;
	op_slot *chunk_[max_chunks] = {};
};

} // namespace pmem2::vdm_dml
