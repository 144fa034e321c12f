// The bounded MPMC queue (src/miniasync/mpmc_queue.hpp) the threads mover
// queues work and free slots in: capacity, wrap-around, and no value lost
// or duplicated when several threads push and pop at once.
#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <set>
#include <thread>
#include <vector>

#include "miniasync/mpmc_queue.hpp"

TEST(MpmcQueue, HoldsExactlyItsCapacity)
{
	for (std::size_t cap : {1u, 2u, 4u, 128u}) {
		pmem2::masync::mpmc_queue q(cap);
		std::uint32_t v = 0;
		EXPECT_FALSE(q.try_pop(v));
		for (std::uint32_t i = 0; i < cap; ++i)
			EXPECT_TRUE(q.try_push(i + 10)) << cap;
		EXPECT_FALSE(q.try_push(99)) << cap;
		for (int round = 0; round < 3; ++round) {	// wraps around
			ASSERT_TRUE(q.try_pop(v));
			EXPECT_TRUE(q.try_push(v));
			EXPECT_FALSE(q.try_push(99));
		}
		std::set<std::uint32_t> seen;
		while (q.try_pop(v))
			seen.insert(v);
		EXPECT_EQ(seen.size(), cap);
		EXPECT_TRUE(q.maybe_empty());
	}
}

// Two producers and two consumers through a small queue (full and empty
// often): every value pushed is popped exactly once.
TEST(MpmcQueue, ConcurrentPushAndPopLoseAndDuplicateNothing)
{
	constexpr std::uint32_t per_producer = 50'000;
	constexpr int producers = 2, consumers = 2;
	pmem2::masync::mpmc_queue q(64);
	std::vector<std::atomic<std::uint8_t>> seen(per_producer * producers);
	std::atomic<std::uint32_t> popped{0};
	std::vector<std::thread> ts;
	for (int p = 0; p < producers; ++p)
		ts.emplace_back([&, p] {
			for (std::uint32_t i = 0; i < per_producer; ++i)
				while (!q.try_push(std::uint32_t(p) * per_producer + i))
					std::this_thread::yield();
		});
	for (int c = 0; c < consumers; ++c)
		ts.emplace_back([&] {
			std::uint32_t v;
			while (popped.load(std::memory_order_relaxed) < per_producer * producers) {
				if (!q.try_pop(v)) {
					std::this_thread::yield();
					continue;
				}
				seen[v].fetch_add(1, std::memory_order_relaxed);
				popped.fetch_add(1, std::memory_order_relaxed);
			}
		});
	for (auto &t : ts)
		t.join();
	std::size_t once = 0;
	for (auto &s : seen)
		once += s.load() == 1;
	EXPECT_EQ(once, seen.size());
	std::uint32_t v;
	EXPECT_FALSE(q.try_pop(v));
}
