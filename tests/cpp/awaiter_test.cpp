// The lifetime of an awaiter: no waker ever points into a coroutine frame.
// Movers publish completion first and call the waker after, so a waker call
// may come once the coroutine has finished. These schedules are played
// deterministically by hand-made futures that keep the waker they were
// promised and call it after the frame is gone. Frames of the coroutine type
// below are kept, poisoned, after their release: a write through a stale
// waker shows as a changed byte, in any build (and as a use-after-free under
// AddressSanitizer for the frames that are really freed).
#include <gtest/gtest.h>

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <pmem2/pmem2.hpp>

using namespace pmem2;

namespace {

constexpr unsigned char poison = 0xa5;

// Frames released by `kept` coroutines: poisoned, never reused.
struct frame_quarantine {
	std::mutex m;
	std::vector<std::pair<unsigned char *, std::size_t>> frames;
	bool keep = true;

	void release(void *p, std::size_t n)
	{
		std::lock_guard lk(m);
		if (!keep) {
			::operator delete(p);
			return;
		}
		std::memset(p, poison, n);
		frames.emplace_back(static_cast<unsigned char *>(p), n);
	}
	// True when every kept frame still holds only the poison.
	bool untouched()
	{
		std::lock_guard lk(m);
		for (auto [p, n] : frames)
			for (std::size_t i = 0; i < n; ++i)
				if (p[i] != poison)
					return false;
		return true;
	}
	void clear()
	{
		std::lock_guard lk(m);
		for (auto [p, n] : frames)
			::operator delete(p);
		frames.clear();
	}
} quarantine;

// A coroutine type of the caller's own (no event loop): starts at once,
// is never awaited, and releases its frame when it ends.
struct kept {
	struct promise_type {
		static void *operator new(std::size_t n) { return ::operator new(n); }
		static void operator delete(void *p, std::size_t n) { quarantine.release(p, n); }
		kept get_return_object() noexcept { return {}; }
		std::suspend_never initial_suspend() noexcept { return {}; }
		std::suspend_never final_suspend() noexcept { return {}; }
		void return_void() noexcept {}
		void unhandled_exception() noexcept { std::terminate(); }
	};
};

// A future of two stages. Each stage, when it starts, promises a wake-up
// and keeps the waker; stage 1 completes when the test says so, stage 2
// completes in the poll that starts it (a chain whose next entry finished at
// once), so that poll both promises a wake-up and reads as complete.
struct staged {
	int stages = 1;	// 1: the future is stage 2 alone
	std::atomic<bool> stage1_done{false};
	int polls = 0;
	std::vector<future_waker> promised;	// the waker of each stage that started
	bool started1 = false;
};
struct staged_data {
	staged *s;
};
struct staged_output {
	int polls;
};
FUTURE(staged_future, struct staged_data, struct staged_output);

enum future_state staged_task(struct future_context *ctx, struct future_notifier *n)
{
	staged *s = static_cast<staged_data *>(future_context_get_data(ctx))->s;
	auto *o = static_cast<staged_output *>(future_context_get_output(ctx));
	o->polls = ++s->polls;
	if (s->stages == 2 && !s->stage1_done.load(std::memory_order_acquire)) {
		if (!s->started1 && n != nullptr) {
			s->started1 = true;
			n->notifier_used = FUTURE_NOTIFIER_WAKER;
			s->promised.push_back(n->waker);
		}
		return FUTURE_STATE_RUNNING;
	}
	// Stage 2 starts and is complete at once; its wake-up is still to come.
	if (n != nullptr) {
		n->notifier_used = FUTURE_NOTIFIER_WAKER;
		s->promised.push_back(n->waker);
	}
	return FUTURE_STATE_COMPLETE;
}

struct staged_traits {
	using c_future = struct staged_future;
	using value_type = int;
	static constexpr const char *name = "staged future";
	static int code(const c_future &) noexcept { return 0; }
	static value_type value(const c_future &f) noexcept { return f.output.polls; }
};

basic_future<staged_traits> make_staged(staged &s)
{
	struct staged_future f;
	f.data.s = &s;
	FUTURE_INIT(&f, staged_task);
	return basic_future<staged_traits>(f);
}

kept await_staged(staged &s, std::atomic<bool> &ended)
{
	int polls = co_await make_staged(s);
	EXPECT_GE(polls, 1);
	ended.store(true, std::memory_order_release);
}

class CppAwaiter : public testing::Test {
protected:
	void SetUp() override
	{
		quarantine.clear();
		quarantine.keep = true;
	}
	void TearDown() override { quarantine.clear(); }
};

} // namespace

TEST_F(CppAwaiter, AWakePromisedByThePollThatCompletedNeverReachesTheFrame)
{
	// The poll that starts the operation already sees it complete; its
	// wake-up comes after the coroutine ended and its frame was released.
	staged s;
	std::atomic<bool> ended{false};
	await_staged(s, ended);
	ASSERT_TRUE(ended.load()) << "the coroutine did not run to its end";
	ASSERT_EQ(s.promised.size(), 1u);
	ASSERT_EQ(quarantine.frames.size(), 1u) << "the frame was not released";
	FUTURE_WAKER_WAKE(&s.promised[0]);	// the mover's promised call, late
	EXPECT_TRUE(quarantine.untouched()) << "a late waker call wrote into a released coroutine frame";
}

TEST_F(CppAwaiter, AWakeThatResumesTheFrameThenALateOneFromTheNextStage)
{
	// Stage 1 parks the coroutine; its wake polls stage 2, which completes
	// in that poll and promises another wake; the coroutine ends on the
	// waking thread, and the second wake comes after.
	staged s;
	s.stages = 2;
	std::atomic<bool> ended{false};
	await_staged(s, ended);
	ASSERT_FALSE(ended.load()) << "stage 1 did not suspend the coroutine";
	ASSERT_EQ(s.promised.size(), 1u);
	std::thread mover([&] {
		s.stage1_done.store(true, std::memory_order_release);	// publish, then wake
		FUTURE_WAKER_WAKE(&s.promised[0]);
	});
	mover.join();
	ASSERT_TRUE(ended.load()) << "the wake did not resume the coroutine";
	ASSERT_EQ(s.promised.size(), 2u);
	ASSERT_EQ(quarantine.frames.size(), 1u);
	FUTURE_WAKER_WAKE(&s.promised[1]);
	FUTURE_WAKER_WAKE(&s.promised[0]);	// and a repeated one
	EXPECT_TRUE(quarantine.untouched()) << "a late waker call wrote into a released coroutine frame";
}

TEST_F(CppAwaiter, FramesReallyFreedAreNeverWrittenAfterRelease)
{
	// The same two schedules with frames returned to the allocator: under
	// AddressSanitizer a stray write is a use-after-free.
	quarantine.keep = false;
	for (int stages : {1, 2}) {
		staged s;
		s.stages = stages;
		std::atomic<bool> ended{false};
		await_staged(s, ended);
		if (stages == 2) {
			s.stage1_done.store(true, std::memory_order_release);
			FUTURE_WAKER_WAKE(&s.promised[0]);
		}
		ASSERT_TRUE(ended.load());
		for (future_waker &w : s.promised)
			FUTURE_WAKER_WAKE(&w);
	}
}

TEST_F(CppAwaiter, ThousandsOfSuspendedCoroutinesEachHaveTheirOwnWakeTarget)
{
	// No fixed pool to run out of: every suspended coroutine is woken by
	// its own promised call, wherever it comes from.
	constexpr int n = 2000;
	std::vector<staged> s(n);
	std::vector<std::atomic<bool>> ended(n);
	std::set<void *> targets;
	for (int i = 0; i < n; ++i) {
		s[i].stages = 2;
		await_staged(s[i], ended[i]);
		ASSERT_EQ(s[i].promised.size(), 1u);
		targets.insert(s[i].promised[0].data);
	}
	EXPECT_EQ(targets.size(), std::size_t(n)) << "suspended coroutines share a wake target";
	std::thread mover([&] {
		for (int i = n - 1; i >= 0; --i) {
			s[i].stage1_done.store(true, std::memory_order_release);
			FUTURE_WAKER_WAKE(&s[i].promised[0]);
		}
	});
	mover.join();
	for (int i = 0; i < n; ++i)
		ASSERT_TRUE(ended[i].load()) << "coroutine " << i << " was never resumed";
	EXPECT_EQ(quarantine.frames.size(), std::size_t(n));
	for (int i = 0; i < n; ++i)
		for (future_waker &w : s[i].promised)
			FUTURE_WAKER_WAKE(&w);
	EXPECT_TRUE(quarantine.untouched());
}

TEST_F(CppAwaiter, OnALoopTheWakerIsTheRuntimeSlotNotTheFrame)
{
	// sync_wait: the same schedule; the promised waker is the loop thread's
	// wake slot, so a late call after sync_wait returned is harmless.
	staged s;
	auto body = [&]() -> task<int> { co_return co_await make_staged(s); };
	EXPECT_EQ(sync_wait(body()), 1);
	ASSERT_EQ(s.promised.size(), 1u);
	future_waker own = miniasync_wake_slot_waker(nullptr);
	EXPECT_EQ(s.promised[0].wake, own.wake) << "the waker is not a wake slot's";
	FUTURE_WAKER_WAKE(&s.promised[0]);
}
