// pmem2::task, sync_wait and when_all without any mover.
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <pmem2/task.hpp>

using namespace pmem2;

namespace {

task<int> value(int v)
{
	co_return v;
}

task<int> add(int a, int b)
{
	int x = co_await value(a);
	int y = co_await value(b);
	co_return x + y;
}

task<void> fail(std::string msg)
{
	throw std::runtime_error(msg);
	co_return;
}

} // namespace

TEST(CppTask, SyncWaitReturnsValue)
{
	EXPECT_EQ(sync_wait(add(2, 3)), 5);
	EXPECT_EQ(run(value(9)), 9);
}

TEST(CppTask, TasksAreLazy)
{
	bool started = false;
	auto body = [&]() -> task<void> {
		started = true;
		co_return;
	};
	auto t = body();	// the closure outlives the coroutine that refers to it
	EXPECT_FALSE(started);
	EXPECT_FALSE(t.done());
	sync_wait(std::move(t));
	EXPECT_TRUE(started);
}

TEST(CppTask, ExceptionsPropagateThroughAwaits)
{
	auto outer = []() -> task<int> {
		co_await fail("inner failure");
		co_return 1;
	};
	try {
		sync_wait(outer());
		FAIL();
	} catch (const std::runtime_error &e) {
		EXPECT_STREQ(e.what(), "inner failure");
	}
}

TEST(CppTask, LongSequencesOfAwaitsComplete)
{
	auto loop = []() -> task<long> {
		long sum = 0;
		for (int i = 0; i < 10000; ++i)
			sum += co_await value(1);
		co_return sum;
	};
	EXPECT_EQ(sync_wait(loop()), 10000);
}

TEST(CppTask, WhenAllVectorKeepsOrder)
{
	std::vector<task<int>> ts;
	for (int i = 0; i < 10; ++i)
		ts.push_back(add(i, i));
	std::vector<int> r = sync_wait(when_all(std::move(ts)));
	ASSERT_EQ(r.size(), 10u);
	for (int i = 0; i < 10; ++i)
		EXPECT_EQ(r[i], 2 * i);
	EXPECT_TRUE(sync_wait(when_all(std::vector<task<int>>{})).empty());
}

TEST(CppTask, WhenAllRunsEveryTaskThenRethrowsFirstError)
{
	int ran = 0;
	auto ok = [&]() -> task<void> {
		++ran;
		co_return;
	};
	std::vector<task<void>> ts;
	ts.push_back(ok());
	ts.push_back(fail("first"));
	ts.push_back(ok());
	ts.push_back(fail("second"));
	try {
		sync_wait(when_all(std::move(ts)));
		FAIL();
	} catch (const std::runtime_error &e) {
		EXPECT_STREQ(e.what(), "first");
	}
	EXPECT_EQ(ran, 2);
}

TEST(CppTask, WhenAllVariadicMixesTypesAndVoid)
{
	auto unit = []() -> task<void> { co_return; };
	auto text = []() -> task<std::string> { co_return "pmem"; };
	auto [a, b, c] = sync_wait(when_all(value(4), unit(), text()));
	EXPECT_EQ(a, 4);
	(void)b;
	EXPECT_EQ(c, "pmem");
}

TEST(CppTask, MoveOnlyValuesAndReassignment)
{
	auto make = []() -> task<std::unique_ptr<int>> { co_return std::make_unique<int>(5); };
	EXPECT_EQ(*sync_wait(make()), 5);
	task<int> t = value(1);
	t = value(2);
	EXPECT_EQ(sync_wait(std::move(t)), 2);
	task<int> empty;
	EXPECT_FALSE(empty.valid());
}

TEST(CppLoop, PostedNodesRunOnTheLoopThreadInOrder)
{
	event_loop loop;
	struct node : detail::loop_node {
		std::vector<int> *log;
		int id;
		event_loop *loop;
		bool last;
	};
	std::vector<int> log;
	node a, b;
	a.log = b.log = &log;
	a.id = 1;
	b.id = 2;
	a.loop = b.loop = &loop;
	a.last = false;
	b.last = true;
	a.run = b.run = [](detail::loop_node *n) noexcept {
		auto *x = static_cast<node *>(n);
		x->log->push_back(x->id);
		EXPECT_EQ(event_loop::current(), x->loop);
		if (x->last)
			x->loop->stop();
	};
	std::thread poster([&] {
		loop.post(&a);
		loop.post(&b);
	});
	loop.run();
	poster.join();
	EXPECT_EQ(log, (std::vector<int>{1, 2}));
	EXPECT_EQ(event_loop::current(), nullptr);
}
