// Wake slots: the pool grows and reuses, wakes after release are harmless,
// and a callback owner is called only while parked, once per park.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include <libminiasync/runtime.h>
#include <libminiasync/wake.h>

namespace {

void wake(miniasync_wake_slot *s)
{
	future_waker w = miniasync_wake_slot_waker(s);
	FUTURE_WAKER_WAKE(&w);
}

struct counter {
	std::atomic<int> calls{0};
	static void fn(void *p) { static_cast<counter *>(p)->calls.fetch_add(1); }
};

} // namespace

TEST(WakeSlot, ThePoolGrowsPastAnyFixedSizeAndReusesReleasedSlots)
{
	// Far more than one chunk, and more than the 64/256 fixed cells the
	// runtime and the C++ loop once had.
	std::vector<miniasync_wake_slot *> held;
	std::set<miniasync_wake_slot *> distinct;
	for (int i = 0; i < 1000; ++i) {
		miniasync_wake_slot *s = miniasync_wake_slot_acquire();
		ASSERT_NE(s, nullptr);
		held.push_back(s);
		distinct.insert(s);
	}
	EXPECT_EQ(distinct.size(), held.size()) << "a slot was handed out twice";
	for (miniasync_wake_slot *s : held)
		miniasync_wake_slot_release(s);
	// Released slots come back before the pool grows again.
	miniasync_wake_slot *again = miniasync_wake_slot_acquire();
	EXPECT_TRUE(distinct.count(again)) << "a released slot was not reused";
	miniasync_wake_slot_release(again);
	miniasync_wake_slot_release(nullptr);	// accepted
}

TEST(WakeSlot, TheWakerNamesItsSlot)
{
	miniasync_wake_slot *s = miniasync_wake_slot_acquire();
	ASSERT_NE(s, nullptr);
	future_waker w = miniasync_wake_slot_waker(s);
	EXPECT_EQ(w.data, s);
	EXPECT_NE(w.wake, nullptr);
	miniasync_wake_slot_release(s);
}

TEST(WakeSlot, TheCallbackRunsOnlyForAParkedOwnerOncePerPark)
{
	miniasync_wake_slot *s = miniasync_wake_slot_acquire();
	ASSERT_NE(s, nullptr);
	counter c;
	wake(s);	// no owner yet: nothing runs
	EXPECT_EQ(c.calls.load(), 0);

	miniasync_wake_slot_arm(s, &counter::fn, &c);
	EXPECT_EQ(miniasync_wake_slot_park(s), 1);
	wake(s);
	EXPECT_EQ(c.calls.load(), 1);
	wake(s);	// unparked by the first: a second wake calls nothing
	EXPECT_EQ(c.calls.load(), 1);

	// A wake while the owner polls (armed, not parked) makes the park fail,
	// so the owner polls again instead of sleeping through it.
	miniasync_wake_slot_arm(s, &counter::fn, &c);
	wake(s);
	EXPECT_EQ(c.calls.load(), 1);
	EXPECT_EQ(miniasync_wake_slot_park(s), 0);
	miniasync_wake_slot_arm(s, &counter::fn, &c);
	EXPECT_EQ(miniasync_wake_slot_park(s), 1);

	// Released while parked (the owner gave up): late wakes call nothing.
	miniasync_wake_slot_release(s);
	wake(s);
	EXPECT_EQ(c.calls.load(), 1);
}

TEST(WakeSlot, ALateWakeReachesTheNextOwnerAsOneExtraCallback)
{
	miniasync_wake_slot *s = miniasync_wake_slot_acquire();
	ASSERT_NE(s, nullptr);
	future_waker old = miniasync_wake_slot_waker(s);
	miniasync_wake_slot_release(s);
	// The next acquire reuses it (the most recently released slot).
	miniasync_wake_slot *t = miniasync_wake_slot_acquire();
	ASSERT_EQ(t, s);
	counter c;
	miniasync_wake_slot_arm(t, &counter::fn, &c);
	ASSERT_EQ(miniasync_wake_slot_park(t), 1);
	FUTURE_WAKER_WAKE(&old);	// meant for the previous owner
	EXPECT_EQ(c.calls.load(), 1);
	miniasync_wake_slot_release(t);
}

TEST(WakeSlot, RacingWakesAndParksNeverLoseOrRepeatACallback)
{
	// The owner parks, a waker thread wakes; every park is answered by
	// exactly one callback, whatever the interleaving.
	miniasync_wake_slot *s = miniasync_wake_slot_acquire();
	ASSERT_NE(s, nullptr);
	constexpr int rounds = 20000;
	std::atomic<int> calls{0};
	std::atomic<bool> quit{false};
	struct ctx {
		std::atomic<int> *calls;
	} cx{&calls};
	auto fn = [](void *p) { static_cast<ctx *>(p)->calls->fetch_add(1, std::memory_order_acq_rel); };
	std::thread waker([&] {
		while (!quit.load(std::memory_order_acquire))
			wake(s);
	});
	int parked = 0;
	for (int r = 0; r < rounds; ++r) {
		miniasync_wake_slot_arm(s, fn, &cx);
		if (miniasync_wake_slot_park(s) == 0)
			continue;	// woken while "polling"
		++parked;
		// Bounded: the waker thread wakes continuously.
		for (int spin = 0; calls.load(std::memory_order_acquire) != parked; ++spin)
			ASSERT_LT(spin, 100000000) << "a parked owner was never called";
	}
	quit.store(true, std::memory_order_release);
	waker.join();
	EXPECT_EQ(calls.load(), parked);
	miniasync_wake_slot_release(s);
}

TEST(WakeSlot, RuntimeNewNeverFailsAndRuntimesAreInterchangeable)
{
	struct runtime *a = runtime_new();
	struct runtime *b = runtime_new();
	ASSERT_NE(a, nullptr);
	ASSERT_NE(b, nullptr);
	runtime_delete(a);
	// Still usable after another handle was deleted: a runtime holds nothing.
	struct done_data {
		int unused;
	};
	struct done_output {
		int unused;
	};
	FUTURE(done_future, struct done_data, struct done_output);
	struct done_future f;
	FUTURE_INIT_COMPLETE(&f);
	runtime_wait(b, FUTURE_AS_RUNNABLE(&f));
	runtime_delete(b);
	runtime_delete(nullptr);
}
