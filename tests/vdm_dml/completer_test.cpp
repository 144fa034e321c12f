// The DSA mover's completer: work handed over runs on its own thread, in
// the order posted, and every slot posted is finished before it stops.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include "support/wait.hpp"
#include "vdm_dml/completer.hpp"

using pmem2::vdm_dml::completer;
using pmem2::vdm_dml::op_slot;
using pmem2::vdm_dml::phase;

namespace {

std::atomic<int> order{0};
std::thread::id worker_id;

void finish(op_slot &s) noexcept
{
	worker_id = std::this_thread::get_id();
	s.status = order.fetch_add(1);
	s.state.store(phase::done, std::memory_order_release);
}

} // namespace

TEST(Completer, RunsTheWorkOffTheCallerInPostOrder)
{
	order = 0;
	std::vector<op_slot> slots(10);
	{
		completer c(finish);
		for (auto &s : slots) {
			s.state.store(phase::finishing);
			ASSERT_TRUE(c.post(s));
		}
		EXPECT_TRUE(pmem2::test::wait_for([&] {
			return slots.back().state.load(std::memory_order_acquire) == phase::done;
		}));
	}
	for (std::size_t i = 0; i < slots.size(); ++i) {
		EXPECT_EQ(slots[i].state.load(), phase::done);
		EXPECT_EQ(slots[i].status, int(i));
	}
	EXPECT_NE(worker_id, std::this_thread::get_id());
}

TEST(Completer, StoppingFinishesEverythingPosted)
{
	order = 0;
	std::vector<op_slot> slots(500);
	{
		completer c(finish);
		std::thread other([&] {
			for (std::size_t i = 0; i < slots.size(); i += 2)
				ASSERT_TRUE(c.post(slots[i]));
		});
		for (std::size_t i = 1; i < slots.size(); i += 2)
			ASSERT_TRUE(c.post(slots[i]));
		other.join();
	}	// destroyed at once: the queue is drained first
	for (auto &s : slots)
		EXPECT_EQ(s.state.load(), phase::done);
	EXPECT_EQ(order.load(), 500);
}

TEST(Completer, NoThreadUntilTheFirstPost)
{
	// A mover that never needs the completer starts no thread: counted in
	// /proc/self/task before and after making one.
	auto tasks = [] {
		std::size_t n = 0;
		for (auto &e : std::filesystem::directory_iterator("/proc/self/task"))
			n += e.is_directory();
		return n;
	};
	// (A sanitizer may start a thread of its own with the first thread.)
	const std::size_t before = tasks();
	std::size_t with_completer;
	{
		completer c(finish);
		EXPECT_EQ(tasks(), before);
		op_slot s;
		ASSERT_TRUE(c.post(s));
		with_completer = tasks();
		EXPECT_GT(with_completer, before);
	}
	EXPECT_EQ(tasks(), with_completer - 1);
}
