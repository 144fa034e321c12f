// runtime.h: completion counting, ordering, and the waker-driven sleep.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "miniasync/internal.hpp"
#include "support/futures.hpp"
#include "support/wait.hpp"

using namespace pmem2::test;

TEST(Runtime, NewDelete)
{
	runtime *r = runtime_new();
	ASSERT_NE(r, nullptr);
	runtime_delete(r);
	runtime_delete(nullptr);
}

TEST(Runtime, EmptyWaitReturns)
{
	runtime *r = runtime_new();
	runtime_wait_multiple(r, nullptr, 0);
	runtime_delete(r);
}

TEST(Runtime, CountsFuturesCompleteOnEntry)
{
	runtime *r = runtime_new();
	struct countup_future done;
	FUTURE_INIT_COMPLETE(&done);	// NULL task and property function
	auto finished = countup(1);
	FUTURE_BUSY_POLL(&finished)
	auto pending = countup(3);
	future *futs[] = {&done.base, &finished.base, &pending.base};
	runtime_wait_multiple(r, futs, 3);
	EXPECT_EQ(FUTURE_STATE(&pending), FUTURE_STATE_COMPLETE);
	EXPECT_EQ(finished.data.polls, 1u);	// never polled again
	runtime_wait(r, &done.base);
	future *only_done[] = {&done.base, &finished.base};
	runtime_wait_multiple(r, only_done, 2);
	runtime_delete(r);
}

TEST(Runtime, KeepsCallersArrayOrder)
{
	runtime *r = runtime_new();
	std::vector<countup_future> fs;
	for (int i = 0; i < 100; ++i)	// more than fit the on-stack order
		fs.push_back(countup(1 + i % 7, i % 3 == 0));
	std::vector<future *> ptrs, copy;
	for (auto &f : fs)
		ptrs.push_back(&f.base);
	copy = ptrs;
	runtime_wait_multiple(r, ptrs.data(), ptrs.size());
	EXPECT_EQ(ptrs, copy);
	for (int i = 0; i < 100; ++i) {
		EXPECT_EQ(FUTURE_STATE(&fs[i]), FUTURE_STATE_COMPLETE);
		EXPECT_EQ(fs[i].output.result, std::uint64_t(1 + i % 7));
		EXPECT_EQ(fs[i].data.polls, std::uint64_t(1 + i % 7));
	}
	runtime_delete(r);
}

namespace {

std::vector<int> poll_log;

struct tagged_data {
	int id;
	int remaining;
};
struct tagged_output {
	std::uint64_t unused;
};
FUTURE(tagged_future, struct tagged_data, struct tagged_output);

enum future_state tagged_task(struct future_context *ctx, struct future_notifier *n)
{
	auto *d = static_cast<tagged_data *>(future_context_get_data(ctx));
	poll_log.push_back(d->id);
	if (n != nullptr)
		n->notifier_used = FUTURE_NOTIFIER_NONE;
	return --d->remaining == 0 ? FUTURE_STATE_COMPLETE : FUTURE_STATE_RUNNING;
}

struct tagged_future tagged(int id, int polls, bool async)
{
	struct tagged_future f;
	f.data.id = id;
	f.data.remaining = polls;
	if (async)
		FUTURE_INIT_EXT(&f, tagged_task, async_property);
	else
		FUTURE_INIT(&f, tagged_task);
	return f;
}

} // namespace

TEST(Runtime, PollsAsyncFuturesFirst)
{
	runtime *r = runtime_new();
	poll_log.clear();
	auto a = tagged(1, 2, false);
	auto b = tagged(2, 2, true);
	auto c = tagged(3, 1, false);
	auto d = tagged(4, 1, true);
	future *futs[] = {&a.base, &b.base, &c.base, &d.base};
	runtime_wait_multiple(r, futs, 4);
	ASSERT_GE(poll_log.size(), 4u);
	EXPECT_EQ(poll_log[0], 2);
	EXPECT_EQ(poll_log[1], 4);
	EXPECT_EQ(poll_log[2], 1);
	EXPECT_EQ(poll_log[3], 3);
	EXPECT_EQ(futs[0], &a.base);
	runtime_delete(r);
}

// A chain whose current entry turns from synchronous to asynchronous is
// polled with the asynchronous futures from the next pass on.
TEST(Runtime, AChainTurningAsynchronousIsPolledFirstFromTheNextPass)
{
	struct chain_data {
		FUTURE_CHAIN_ENTRY(struct tagged_future, a);
		FUTURE_CHAIN_ENTRY_LAST(struct tagged_future, b);
	};
	struct chain_output {
		std::uint64_t unused;
	};
	FUTURE(chain_future, struct chain_data, struct chain_output);
	struct chain_future x;
	FUTURE_CHAIN_ENTRY_INIT(&x.data.a, tagged(10, 1, false), nullptr, nullptr);
	FUTURE_CHAIN_ENTRY_INIT(&x.data.b, tagged(11, 3, true), nullptr, nullptr);
	FUTURE_CHAIN_INIT(&x);
	auto y = tagged(20, 5, false);
	runtime *r = runtime_new();
	poll_log.clear();
	future *futs[] = {&y.base, &x.base};	// both synchronous at the start
	runtime_wait_multiple(r, futs, 2);
	// Pass 0 in array order: y, then x (its synchronous entry completes and
	// its asynchronous one is polled once). Pass 1: x first.
	ASSERT_GE(poll_log.size(), 5u);
	EXPECT_EQ((std::vector<int>(poll_log.begin(), poll_log.begin() + 5)),
		(std::vector<int>{20, 10, 11, 11, 20}));
	EXPECT_EQ(FUTURE_STATE(&x), FUTURE_STATE_COMPLETE);
	EXPECT_EQ(FUTURE_STATE(&y), FUTURE_STATE_COMPLETE);
	runtime_delete(r);
}

TEST(Runtime, SleepsUntilWakerFires)
{
	auto &st = pmem2::masync::runtime_stats();
	runtime *r = runtime_new();
	std::atomic<int> flag{0};
	std::atomic<future_waker *> slot{nullptr};
	future_waker storage{};
	struct remote_future f;
	f.data = {&flag, &slot, &storage};
	f.output.polls = 0;
	FUTURE_INIT(&f, remote_task);

	std::uint64_t sleeps0 = st.sleeps.load();
	std::uint64_t wakes0 = st.wakes.load();
	std::uint64_t woken0 = st.woken.load();
	std::thread completer([&] {
		wait_for([&] { return slot.load() != nullptr && st.sleeps.load() != sleeps0; });
		flag.store(1, std::memory_order_release);
		if (future_waker *w = slot.load())
			FUTURE_WAKER_WAKE(w);
	});
	runtime_wait(r, &f.base);
	completer.join();
	EXPECT_EQ(FUTURE_STATE(&f), FUTURE_STATE_COMPLETE);
	EXPECT_GE(st.sleeps.load() - sleeps0, 1u);
	EXPECT_EQ(st.wakes.load() - wakes0, 1u);
	// The sleep ended because the waker changed the sequence word.
	EXPECT_GE(st.woken.load() - woken0, 1u);
	runtime_delete(r);
}

namespace {

struct poller_data {
	std::uint64_t *word;
	std::atomic<int> *flag;
};
struct poller_output {
	std::uint64_t polls;
};
FUTURE(poller_future, struct poller_data, struct poller_output);

enum future_state poller_task(struct future_context *ctx, struct future_notifier *n)
{
	auto *d = static_cast<poller_data *>(future_context_get_data(ctx));
	static_cast<poller_output *>(future_context_get_output(ctx))->polls++;
	if (d->flag->load(std::memory_order_acquire))
		return FUTURE_STATE_COMPLETE;
	if (n != nullptr) {
		n->notifier_used = FUTURE_NOTIFIER_POLLER;
		n->poller.ptr_to_monitor = d->word;
	}
	return FUTURE_STATE_RUNNING;
}

} // namespace

TEST(Runtime, PollerAndNoneFuturesNeverSleep)
{
	auto &st = pmem2::masync::runtime_stats();
	runtime *r = runtime_new();
	std::uint64_t word = 0;
	std::atomic<int> flag{0};
	struct poller_future p;
	p.data = {&word, &flag};
	p.output.polls = 0;
	FUTURE_INIT(&p, poller_task);
	auto none = countup(50);
	std::atomic<int> ready{0};
	std::thread setter([&] {
		while (ready.load() == 0)
			std::this_thread::yield();
		for (int i = 0; i < 1000; ++i)
			std::this_thread::yield();
		flag.store(1, std::memory_order_release);
		__atomic_store_n(&word, 1, __ATOMIC_RELEASE);
	});
	std::uint64_t sleeps0 = st.sleeps.load();
	ready.store(1);
	future *futs[] = {&p.base, &none.base};
	runtime_wait_multiple(r, futs, 2);
	setter.join();
	EXPECT_EQ(st.sleeps.load(), sleeps0);
	EXPECT_EQ(FUTURE_STATE(&p), FUTURE_STATE_COMPLETE);
	runtime_delete(r);
}

TEST(Runtime, ChainWithAsyncEntry)
{
	struct chain_data {
		FUTURE_CHAIN_ENTRY(struct countup_future, a);
		FUTURE_CHAIN_ENTRY_LAST(struct countup_future, b);
	};
	struct chain_output {
		std::uint64_t unused;
	};
	FUTURE(chain_future, struct chain_data, struct chain_output);
	struct chain_future ch;
	FUTURE_CHAIN_ENTRY_INIT(&ch.data.a, countup(3, true), nullptr, nullptr);
	FUTURE_CHAIN_ENTRY_INIT(&ch.data.b, countup(2), nullptr, nullptr);
	FUTURE_CHAIN_INIT(&ch);
	runtime *r = runtime_new();
	runtime_wait(r, &ch.base);
	EXPECT_EQ(FUTURE_STATE(&ch), FUTURE_STATE_COMPLETE);
	EXPECT_EQ(ch.data.b.fut.output.result, 2u);
	runtime_delete(r);
}
