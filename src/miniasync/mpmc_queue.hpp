// Bounded lock-free multi-producer multi-consumer queue of 32-bit values
// (sequence-numbered cells). Capacity is a power of two; the cell scheme
// needs two cells, so a capacity of 1 is enforced with a counter.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

namespace pmem2::masync {

class mpmc_queue {
public:
	// Throws std::bad_alloc.
	explicit mpmc_queue(std::size_t capacity)
		: mask_(std::max<std::size_t>(capacity, 2) - 1),
		  single_(capacity == 1), cells_(mask_ + 1)
	{
		for (std::size_t i = 0; i <= mask_; ++i)
			cells_[i].seq.store(i, std::memory_order_relaxed);
	}

	bool try_push(std::uint32_t v) noexcept
	{
		if (single_ && used_.exchange(1, std::memory_order_acquire) != 0)
			return false;
		bool ok = push_cell(v);
		if (single_ && !ok)
			used_.store(0, std::memory_order_release);
		return ok;
	}

	bool try_pop(std::uint32_t &v) noexcept
	{
		bool ok = pop_cell(v);
		if (single_ && ok)
			used_.store(0, std::memory_order_release);
		return ok;
	}

	// Items queued, approximately (racy by nature).
	std::size_t approx_size() const noexcept
	{
		std::size_t t = tail_.load(std::memory_order_relaxed);
		std::size_t h = head_.load(std::memory_order_relaxed);
		return t > h ? t - h : 0;
	}

	// A hint only (racy by nature).
	bool maybe_empty() const noexcept
	{
		return head_.load(std::memory_order_relaxed) >=
			tail_.load(std::memory_order_relaxed);
	}

private:
	bool push_cell(std::uint32_t v) noexcept
	{
		std::size_t pos = tail_.load(std::memory_order_relaxed);
		for (;;) {
			cell &c = cells_[pos & mask_];
			std::size_t seq = c.seq.load(std::memory_order_acquire);
			auto dif = std::ptrdiff_t(seq) - std::ptrdiff_t(pos);
			if (dif == 0) {
				if (tail_.compare_exchange_weak(pos, pos + 1,
						std::memory_order_relaxed))
					break;
			} else if (dif < 0) {
				return false;	// full
			} else {
				pos = tail_.load(std::memory_order_relaxed);
			}
		}
		cell &c = cells_[pos & mask_];
		c.value = v;
		c.seq.store(pos + 1, std::memory_order_release);
		return true;
	}

	bool pop_cell(std::uint32_t &v) noexcept
	{
		std::size_t pos = head_.load(std::memory_order_relaxed);
		for (;;) {
			cell &c = cells_[pos & mask_];
			std::size_t seq = c.seq.load(std::memory_order_acquire);
			auto dif = std::ptrdiff_t(seq) - std::ptrdiff_t(pos + 1);
			if (dif == 0) {
				if (head_.compare_exchange_weak(pos, pos + 1,
						std::memory_order_relaxed))
					break;
			} else if (dif < 0) {
				return false;	// empty
			} else {
				pos = head_.load(std::memory_order_relaxed);
			}
		}
		cell &c = cells_[pos & mask_];
		v = c.value;
		c.seq.store(pos + mask_ + 1, std::memory_order_release);
		return true;
	}

	struct cell {
		std::atomic<std::size_t> seq;
		std::uint32_t value;
	};
	const std::size_t mask_;
	const bool single_;
	std::vector<cell> cells_;	// not unique_ptr<T[]>: standard layout with clang too
	std::atomic<std::uint32_t> used_{0};	// capacity 1 only
	alignas(64) std::atomic<std::size_t> tail_{0};
	alignas(64) std::atomic<std::size_t> head_{0};
};

} // namespace pmem2::masync
