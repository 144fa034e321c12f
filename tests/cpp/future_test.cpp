// Futures over movers: wait(), poll(), co_await on the threads mover
// (suspension, resumption thread, no busy waiting), error paths, lifetime.
#include <gtest/gtest.h>

#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include <libminiasync/runtime.h>
#include <pmem2/pmem2.hpp>

#include "support/bytes.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/wait.hpp"

using namespace pmem2;
using namespace std::chrono_literals;

namespace {

std::atomic<int> slow_ms{30};

void *slow_memcpy(void *dst, const void *src, std::size_t n, unsigned)
{
	std::this_thread::sleep_for(std::chrono::milliseconds(slow_ms.load()));
	return std::memcpy(dst, src, n);
}

double thread_cpu_ms()
{
	timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// A coroutine that starts at once and is never awaited: resumes wherever
// its awaitables resume it (no event loop).
struct detached {
	struct promise_type {
		detached get_return_object() noexcept { return {}; }
		std::suspend_never initial_suspend() noexcept { return {}; }
		std::suspend_never final_suspend() noexcept { return {}; }
		void return_void() noexcept {}
		void unhandled_exception() noexcept { std::terminate(); }
	};
};

} // namespace

// A hand-made future: RUNNING until `go` is set, promising a wake-up; it
// records the waker it was given so the test can call it at will.
struct manual_data {
	std::atomic<int> *go;
	future_waker *seen;
	std::atomic<bool> *armed;	// set once *seen is written
};
struct manual_output {
	std::uint64_t polls;
};
FUTURE(manual_future, struct manual_data, struct manual_output);

static enum future_state manual_task(struct future_context *ctx, struct future_notifier *n)
{
	auto *d = static_cast<manual_data *>(future_context_get_data(ctx));
	auto *o = static_cast<manual_output *>(future_context_get_output(ctx));
	++o->polls;
	if (d->go->load(std::memory_order_acquire) != 0)
		return FUTURE_STATE_COMPLETE;
	if (n != nullptr) {
		n->notifier_used = FUTURE_NOTIFIER_WAKER;
		if (!d->armed->load(std::memory_order_acquire)) {
			*d->seen = n->waker;
			d->armed->store(true, std::memory_order_release);
		}
	}
	return FUTURE_STATE_RUNNING;
}

struct manual_traits {
	using c_future = struct manual_future;
	using value_type = std::uint64_t;
	static constexpr const char *name = "manual future";
	static int code(const c_future &) noexcept { return 0; }
	static value_type value(const c_future &f) noexcept { return f.output.polls; }
};

static basic_future<manual_traits> make_manual(std::atomic<int> &go, future_waker &seen,
	std::atomic<bool> &armed)
{
	struct manual_future f;
	f.data.go = &go;
	f.data.seen = &seen;
	f.data.armed = &armed;
	f.output.polls = 0;
	FUTURE_INIT(&f, manual_task);
	return basic_future<manual_traits>(f);
}

TEST(CppFuture, WakesAfterCompletionAndAfterTheLoopAreHarmless)
{
	std::atomic<int> go{0};
	std::atomic<bool> armed{false};
	future_waker seen{};
	auto mover = [&] {
		while (!armed.load(std::memory_order_acquire))
			std::this_thread::yield();
		std::this_thread::sleep_for(20ms);
		go.store(1, std::memory_order_release);	// publish, then wake
		FUTURE_WAKER_WAKE(&seen);
	};
	auto body = [&]() -> task<std::uint64_t> { co_return co_await make_manual(go, seen, armed); };
	std::thread t1(mover);
	std::uint64_t polls = sync_wait(body());
	t1.join();
	EXPECT_GE(polls, 2u) << "the coroutine never suspended";
	// The waker outlives the awaiter and the loop: a late call is a no-op.
	FUTURE_WAKER_WAKE(&seen);
	FUTURE_WAKER_WAKE(&seen);

	// wait() has the same property.
	go = 0;
	armed = false;
	std::thread t2(mover);
	EXPECT_GE(make_manual(go, seen, armed).wait(), 2u);
	t2.join();
	FUTURE_WAKER_WAKE(&seen);
}

TEST(CppFuture, SyncMoverCompletesInFirstPoll)
{
	sync_mover mv;
	auto src = test::pattern(4096, 1);
	std::vector<std::byte> dst(4096);
	vdm_future f = mv.ref().memcpy_async(dst.data(), src.data(), src.size());
	EXPECT_FALSE(f.ready());
	future_notifier n{};
	n.notifier_used = FUTURE_NOTIFIER_WAKER;
	EXPECT_EQ(f.poll(&n), FUTURE_STATE_COMPLETE);
	EXPECT_EQ(n.notifier_used, FUTURE_NOTIFIER_NONE);
	EXPECT_EQ(f.get(), dst.data());
	EXPECT_EQ(dst, src);
}

TEST(CppFuture, ThreadsMoverWaitCopiesSetsAndMoves)
{
	threads_mover mv(2);
	auto src = test::pattern(1 << 16, 2);
	std::vector<std::byte> dst(1 << 16);
	EXPECT_EQ(mv.ref().memcpy_async(dst.data(), src.data(), src.size()).wait(), dst.data());
	EXPECT_EQ(dst, src);
	mv.ref().memset_async(dst.data(), 0x11, 100).wait();
	EXPECT_EQ(dst[99], std::byte{0x11});
	EXPECT_EQ(dst[100], src[100]);
	for (int i = 0; i < 255; ++i)
		dst[i] = static_cast<std::byte>(i);
	mv.ref().memmove_async(dst.data() + 100, dst.data(), 255).wait();
	for (int i = 0; i < 255; ++i)
		ASSERT_EQ(dst[100 + i], static_cast<std::byte>(i));
}

TEST(CppFuture, BusyPollingWithoutNotifierCompletes)
{
	threads_mover mv(1);
	auto src = test::pattern(1000, 3);
	std::vector<std::byte> dst(1000);
	vdm_future f = mv.ref().memcpy_async(dst.data(), src.data(), src.size());
	while (f.poll() != FUTURE_STATE_COMPLETE)
		std::this_thread::yield();
	EXPECT_TRUE(f.ready());
	EXPECT_EQ(f.code(), 0);
	EXPECT_EQ(dst, src);
}

TEST(CppFuture, WaitSleepsInsteadOfSpinning)
{
	threads_mover mv(1);
	data_mover_threads_set_memcpy_fn(mv.native(), slow_memcpy);
	slow_ms = 200;
	std::vector<std::byte> a(64, std::byte{1}), b(64);
	double cpu0 = thread_cpu_ms();
	auto t0 = std::chrono::steady_clock::now();
	mv.ref().memcpy_async(b.data(), a.data(), 64).wait();
	auto wall = std::chrono::steady_clock::now() - t0;
	double cpu = thread_cpu_ms() - cpu0;
	slow_ms = 30;
	EXPECT_GE(wall, 190ms);
	EXPECT_LT(cpu, 50.0) << "the waiting thread burnt CPU";
	EXPECT_EQ(a, b);
}

TEST(CppFuture, CoAwaitSuspendsAndResumesOnTheLoopThread)
{
	threads_mover mv(2);
	data_mover_threads_set_memcpy_fn(mv.native(), slow_memcpy);
	slow_ms = 200;
	std::vector<std::byte> a(128, std::byte{7}), b(128);
	auto loop_thread = std::this_thread::get_id();
	std::thread::id resumed_on;
	bool ready_before = true;
	auto body = [&]() -> task<void*> {
		vdm_future f = mv.ref().memcpy_async(b.data(), a.data(), a.size());
		ready_before = f.ready();
		void *r = co_await f;
		resumed_on = std::this_thread::get_id();
		co_return r;
	};
	double cpu0 = thread_cpu_ms();
	void *r = sync_wait(body());
	double cpu = thread_cpu_ms() - cpu0;
	slow_ms = 30;
	EXPECT_FALSE(ready_before);
	EXPECT_EQ(r, b.data());
	EXPECT_EQ(a, b);
	EXPECT_EQ(resumed_on, loop_thread);
	EXPECT_LT(cpu, 50.0) << "the event loop spun while the coroutine was suspended";
}

TEST(CppFuture, WithoutALoopTheWakerResumesTheCoroutine)
{
	threads_mover mv(1);
	data_mover_threads_set_memcpy_fn(mv.native(), slow_memcpy);
	slow_ms = 50;
	std::vector<std::byte> a(64, std::byte{3}), b(64);
	test::event done;
	std::thread::id resumed_on;
	auto start = [&]() -> detached {
		co_await mv.ref().memcpy_async(b.data(), a.data(), a.size());
		resumed_on = std::this_thread::get_id();
		done.set();
	};
	start();
	ASSERT_TRUE(done.wait()) << "never set";
	slow_ms = 30;
	EXPECT_EQ(a, b);
	EXPECT_NE(resumed_on, std::this_thread::get_id());
}

TEST(CppFuture, WhenAllWithoutALoopJoinsTasksFinishingOnWorkers)
{
	threads_mover mv(4);
	constexpr int ntasks = 8, len = 4096;
	auto src = test::pattern(ntasks * len, 8);
	std::vector<std::byte> dst(ntasks * len);
	test::event done;
	auto one = [](mover_ref m, std::byte *d, const std::byte *s) -> task<void> {
		for (int i = 0; i < 50; ++i)
			co_await m.memcpy_async(d, s, len);
	};
	auto all = [&]() -> detached {
		std::vector<task<void>> ts;
		for (int t = 0; t < ntasks; ++t)
			ts.push_back(one(mv.ref(), dst.data() + t * len, src.data() + t * len));
		co_await when_all(std::move(ts));
		done.set();
	};
	all();
	ASSERT_TRUE(done.wait()) << "never set";
	EXPECT_EQ(dst, src);
}

TEST(CppFuture, ManyCoroutinesShareOneLoop)
{
	threads_mover mv(4, 64);
	constexpr int ntasks = 16, nops = 200, len = 512;
	auto src = test::pattern(ntasks * len, 4);
	std::vector<std::byte> dst(ntasks * len);
	auto worker = [&](int t) -> task<int> {
		int done = 0;
		for (int i = 0; i < nops; ++i) {
			std::byte *d = dst.data() + t * len;
			co_await mv.ref().memset_async(d, i & 0xff, len);
			if (d[len - 1] != static_cast<std::byte>(i & 0xff))
				co_return -1;
			co_await mv.ref().memcpy_async(d, src.data() + t * len, len);
			++done;
		}
		co_return done;
	};
	std::vector<task<int>> tasks;
	for (int t = 0; t < ntasks; ++t)
		tasks.push_back(worker(t));
	std::vector<int> counts = sync_wait(when_all(std::move(tasks)));
	ASSERT_EQ(counts.size(), static_cast<std::size_t>(ntasks));
	for (int c : counts)
		EXPECT_EQ(c, nops);
	EXPECT_EQ(dst, src);
}

TEST(CppFuture, FullQueueParksCoroutinesUntilRoomFrees)
{
	threads_mover mv(1, 2);
	data_mover_threads_set_memcpy_fn(mv.native(), slow_memcpy);
	slow_ms = 1;
	constexpr int ntasks = 32, len = 256;
	auto src = test::pattern(ntasks * len, 5);
	std::vector<std::byte> dst(ntasks * len);
	std::vector<task<void>> tasks;
	for (int t = 0; t < ntasks; ++t)
		tasks.push_back([](mover_ref m, std::byte *d, const std::byte *s) -> task<void> {
			co_await m.memcpy_async(d, s, len);
		}(mv.ref(), dst.data() + t * len, src.data() + t * len));
	sync_wait(when_all(std::move(tasks)));
	slow_ms = 30;
	EXPECT_EQ(dst, src);
}

TEST(CppFuture, MoversWithoutWakerArePolledByTheLoop)
{
	for (notifier_kind k : {notifier_kind::none, notifier_kind::poller}) {
		threads_mover mv(2, 16, k);
		auto src = test::pattern(4096, 6);
		std::vector<std::byte> dst(4096);
		auto body = [&]() -> task<void> {
			for (int i = 0; i < 20; ++i)
				co_await mv.ref().memcpy_async(dst.data(), src.data(), src.size());
		};
		sync_wait(body());
		EXPECT_EQ(dst, src);
		std::fill(dst.begin(), dst.end(), std::byte{0});
		mv.ref().memcpy_async(dst.data(), src.data(), src.size()).wait();
		EXPECT_EQ(dst, src);
	}
}

TEST(CppFuture, FailedFutureThrowsOrReturnsError)
{
	vdm_operation_future c{};
	c.output.type = VDM_OPERATION_MEMCPY;
	c.output.result = VDM_ERROR_OUT_OF_MEMORY;
	FUTURE_INIT_COMPLETE(&c);

	vdm_future f1(c);
	EXPECT_TRUE(f1.ready());
	EXPECT_EQ(f1.code(), -ENOMEM);
	try {
		f1.wait();
		FAIL();
	} catch (const error &e) {
		EXPECT_EQ(e.code(), -ENOMEM);
	}

	auto throwing = [&]() -> task<int> {
		co_await vdm_future(c);
		co_return 1;
	};
	try {
		sync_wait(throwing());
		FAIL();
	} catch (const error &e) {
		EXPECT_EQ(e.code(), -ENOMEM);
	}

	auto quiet = [&]() -> task<int> {
		result<void *> r = co_await vdm_future(c).no_throw();
		co_return r.code();
	};
	EXPECT_EQ(sync_wait(quiet()), -ENOMEM);
	EXPECT_EQ(vdm_future(c).try_wait().code(), -ENOMEM);
}

TEST(CppFuture, EmptyAndMovedFromFutures)
{
	vdm_future empty;
	EXPECT_FALSE(empty.valid());
	EXPECT_TRUE(empty.ready());
	EXPECT_EQ(empty.poll(), FUTURE_STATE_COMPLETE);
	EXPECT_FALSE(empty.try_get());
	EXPECT_THROW(empty.get(), error);

	sync_mover mv;
	int a = 1, b = 0;
	vdm_future f = mv.ref().memcpy_async(&b, &a, sizeof a);
	vdm_future g = std::move(f);
	EXPECT_FALSE(f.valid());
	EXPECT_TRUE(g.valid());
	g.wait();
	EXPECT_EQ(b, 1);
}

TEST(CppFuture, DroppingAStartedFutureWaitsForIt)
{
	threads_mover mv(1);
	data_mover_threads_set_memcpy_fn(mv.native(), slow_memcpy);
	slow_ms = 50;
	std::vector<std::byte> a(64, std::byte{9}), b(64);
	{
		vdm_future f = mv.ref().memcpy_async(b.data(), a.data(), a.size());
		EXPECT_NE(f.poll(), FUTURE_STATE_COMPLETE);
	}
	EXPECT_EQ(a, b) << "the destructor returned before the operation ended";
	slow_ms = 30;
}

TEST(CppFuture, RunnableWorksWithTheMiniasyncRuntime)
{
	threads_mover mv(2);
	auto src = test::pattern(8192, 7);
	std::vector<std::byte> d1(8192), d2(8192);
	vdm_future f1 = mv.ref().memcpy_async(d1.data(), src.data(), src.size());
	vdm_future f2 = mv.ref().memcpy_async(d2.data(), src.data(), src.size());
	struct runtime *rt = runtime_new();
	ASSERT_NE(rt, nullptr);
	::future *futs[] = {f1.runnable(), f2.runnable()};
	runtime_wait_multiple(rt, futs, 2);
	runtime_delete(rt);
	EXPECT_TRUE(f1.ready() && f2.ready());
	EXPECT_EQ(d1, src);
	EXPECT_EQ(d2, src);
}

TEST(CppMover, InvalidArgumentsAreEinval)
{
	auto r = threads_mover::try_create(0);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.code(), -EINVAL);
	EXPECT_EQ(threads_mover::try_create(2, 100).code(), -EINVAL);
	EXPECT_THROW(threads_mover(1, 3), error);
}

TEST(CppMover, MoversAreMoveOnlyOwners)
{
	threads_mover a(1);
	struct vdm *v = a.vdm();
	threads_mover b = std::move(a);
	EXPECT_EQ(a.vdm(), nullptr);
	EXPECT_EQ(b.vdm(), v);
	EXPECT_FALSE(mover_ref{}.operator bool());
	sync_mover s;
	mover_ref r = s;
	EXPECT_EQ(r.vdm(), s.vdm());
	EXPECT_FALSE(r.durable());
}
