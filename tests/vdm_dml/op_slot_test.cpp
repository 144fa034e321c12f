// The DSA mover's slot pool: clean slots, reuse before growth, growth by
// chunks, every slot held by one taker at a time under concurrent take and
// give (TSan), and the slots still held listed at the end.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "vdm_dml/op_slot.hpp"

using pmem2::vdm_dml::op_slot;
using pmem2::vdm_dml::phase;
using pmem2::vdm_dml::slot_pool;

TEST(SlotPool, SlotsComeBackCleanAndAreReused)
{
	slot_pool pool;
	op_slot *s = pool.take();
	ASSERT_NE(s, nullptr);
	EXPECT_EQ(pool.capacity(), 64u);
	s->has_job = true;
	s->failed = true;
	s->status = -5;
	s->dev_status = 3;
	s->state.store(phase::done);
	pool.give(s);
	op_slot *again = pool.take();
	EXPECT_EQ(again, s);
	EXPECT_FALSE(again->has_job);
	EXPECT_FALSE(again->failed);
	EXPECT_EQ(again->status, 0);
	EXPECT_EQ(again->dev_status, 0);
	EXPECT_EQ(again->guard, nullptr);
	EXPECT_EQ(again->state.load(), phase::running);
	pool.give(again);
}

TEST(SlotPool, GrowsByChunksOnlyWhenAllAreHeld)
{
	slot_pool pool;
	std::vector<op_slot *> held;
	for (int i = 0; i < 200; ++i) {
		held.push_back(pool.take());
		ASSERT_NE(held.back(), nullptr);
	}
	EXPECT_EQ(pool.capacity(), 256u);
	EXPECT_EQ(std::set<op_slot *>(held.begin(), held.end()).size(), held.size());
	std::size_t listed = 0;
	pool.for_each_in_use([&](op_slot &) { ++listed; });
	EXPECT_EQ(listed, 200u);
	for (op_slot *s : held)
		pool.give(s);
	for (int i = 0; i < 200; ++i)
		held[std::size_t(i)] = pool.take();
	EXPECT_EQ(pool.capacity(), 256u);
	for (op_slot *s : held)
		pool.give(s);
	listed = 0;
	pool.for_each_in_use([&](op_slot &) { ++listed; });
	EXPECT_EQ(listed, 0u);
}

TEST(SlotPool, ConcurrentTakersNeverShareASlot)
{
	slot_pool pool;
	constexpr int threads = 4, rounds = 20000;
	std::atomic<int> shared{0};
	std::vector<std::thread> ts;
	for (int t = 0; t < threads; ++t)
		ts.emplace_back([&, t] {
			for (int i = 0; i < rounds; ++i) {
				op_slot *s = pool.take();
				if (s == nullptr) {
					shared.fetch_add(1);
					return;
				}
				// The owner's mark: another holder would overwrite it.
				s->dev_status = static_cast<std::uint8_t>(t + 1);
				std::this_thread::yield();
				if (s->dev_status != t + 1)
					shared.fetch_add(1);
				pool.give(s);
			}
		});
	for (auto &t : ts)
		t.join();
	EXPECT_EQ(shared.load(), 0);
	EXPECT_LE(pool.capacity(), 128u);
}
