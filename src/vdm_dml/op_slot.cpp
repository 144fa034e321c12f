#include "vdm_dml/op_slot.hpp"

namespace pmem2::vdm_dml {

slot_pool::~slot_pool()
{
	const std::uint32_t n = chunks_.load(std::memory_order_acquire);
	for (std::uint32_t c = 0; c < n; ++c)
		delete[] chunk_[c];
}

void slot_pool::push_chain(op_slot &first, op_slot &last) noexcept
{
	std::uint64_t h = head_.load(std::memory_order_relaxed);
	std::uint64_t next;
	do {
		last.next_free.store(std::uint32_t(h), std::memory_order_relaxed);
		next = ((h >> 32) + 1) << 32 | (first.index + 1);
	} while (!head_.compare_exchange_weak(h, next, std::memory_order_release,
		std::memory_order_relaxed));
}

bool slot_pool::grow() noexcept
{
	std::lock_guard<std::mutex> g(grow_m_);
	if (std::uint32_t(head_.load(std::memory_order_acquire)) != 0)
		return true;	// another thread grew it, or slots came back
	const std::uint32_t c = chunks_.load(std::memory_order_relaxed);
	if (c == max_chunks)
		return false;
	auto *slots = new (std::nothrow) op_slot[chunk_slots];
	if (slots == nullptr)
		return false;
	for (std::uint32_t i = 0; i < chunk_slots; ++i) {
		slots[i].index = c * chunk_slots + i;
		if (i + 1 < chunk_slots)
			slots[i].next_free.store(slots[i].index + 2, std::memory_order_relaxed);
	}
	chunk_[c] = slots;
	chunks_.store(c + 1, std::memory_order_release);
	push_chain(slots[0], slots[chunk_slots - 1]);
	return true;
}

op_slot *slot_pool::take() noexcept
{
	for (;;) {
		std::uint64_t h = head_.load(std::memory_order_acquire);
		while (std::uint32_t(h) != 0) {
			op_slot &s = at(std::uint32_t(h) - 1);
			const std::uint64_t next = ((h >> 32) + 1) << 32 |
				s.next_free.load(std::memory_order_relaxed);
			if (head_.compare_exchange_weak(h, next, std::memory_order_acquire,
				std::memory_order_acquire)) {
				s.has_job = false;
				s.has_batch = false;
				s.guard = nullptr;
				s.req = {};
				s.status = durable::status_ok;
				s.dev_status = 0;
				s.failed = false;
				s.state.store(phase::running, std::memory_order_relaxed);
				s.next_work = nullptr;
				s.in_use.store(true, std::memory_order_relaxed);
				return &s;
			}
		}
		if (!grow())
			return nullptr;
	}
}

void slot_pool::give(op_slot *s) noexcept
{
	s->in_use.store(false, std::memory_order_relaxed);
	push_chain(*s, *s);
}

} // namespace pmem2::vdm_dml
