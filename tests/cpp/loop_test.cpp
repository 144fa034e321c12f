// The event loop behind sync_wait and when_all: data through both movers,
// small durable operations run on the waiting thread, wake-ups that come
// after the active wait (or race with its end) resume the loop, and many
// loops on several threads at once.
#include <gtest/gtest.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include <pmem2/pmem2.hpp>

#include "support/bytes.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/wait.hpp"
#include "memops/memops.hpp"
#include "miniasync/internal.hpp"

using namespace pmem2;
using namespace std::chrono_literals;

namespace {

using clock_type = std::chrono::steady_clock;

double thread_cpu_ms()
{
	timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// A map of a scratch file; CACHE_LINE forced when `cache_line` (then the
// threads mover may run small operations on a waiting caller).
map open_map(const test::tmpfile &f, mover_ref mover, bool cache_line)
{
	if (cache_line)
		setenv("PMEM2_FORCE_GRANULARITY", "CACHE_LINE", 1);
	map_options o;
	o.mover = mover;
	map m = map::open(f.path(), o);
	unsetenv("PMEM2_FORCE_GRANULARITY");
	return m;
}

// A hand-made future: RUNNING until `go` is set, promising a wake-up on
// every poll; the first poll after `armed` is cleared records the waker.
struct hand_state {
	std::atomic<int> go{0};
	std::atomic<bool> armed{false};
	std::atomic<std::uint64_t> polls{0};
	future_waker seen{};

	// Completer side: publish, then wake (as movers do).
	void complete()
	{
		go.store(1, std::memory_order_release);
		FUTURE_WAKER_WAKE(&seen);
	}
	void await_armed() const
	{
		while (!armed.load(std::memory_order_acquire))
			std::this_thread::yield();
	}
};

struct hand_data {
	hand_state *s;
};
struct hand_output {
	std::uint64_t unused;
};
FUTURE(hand_future, struct hand_data, struct hand_output);

enum future_state hand_task(struct future_context *ctx, struct future_notifier *n)
{
	hand_state *s = static_cast<hand_data *>(future_context_get_data(ctx))->s;
	s->polls.fetch_add(1, std::memory_order_relaxed);
	if (s->go.load(std::memory_order_acquire) != 0)
		return FUTURE_STATE_COMPLETE;
	if (n != nullptr) {
		n->notifier_used = FUTURE_NOTIFIER_WAKER;
		if (!s->armed.load(std::memory_order_acquire)) {
			s->seen = n->waker;
			s->armed.store(true, std::memory_order_release);
		}
	}
	return FUTURE_STATE_RUNNING;
}

struct hand_traits {
	using c_future = struct hand_future;
	using value_type = int;
	static constexpr const char *name = "hand future";
	static int code(const c_future &) noexcept { return 0; }
	static value_type value(const c_future &) noexcept { return 1; }
};

basic_future<hand_traits> make_hand(hand_state &s)
{
	struct hand_future f;
	f.data.s = &s;
	FUTURE_INIT(&f, hand_task);
	return basic_future<hand_traits>(f);
}

task<int> await_hand(hand_state &s)
{
	co_return co_await make_hand(s);
}

// Writes `data` at `off` in pieces of the given sizes, one await each.
task<void> write_in_pieces(map_ref m, std::size_t off, const std::vector<std::byte> &data,
	std::vector<std::size_t> sizes)
{
	std::size_t done = 0;
	for (std::size_t i = 0; done < data.size(); ++i) {
		std::size_t n = std::min(sizes[i % sizes.size()], data.size() - done);
		void *d = co_await m.memcpy_async(m.data() + off + done, data.data() + done, n);
		if (d != m.data() + off + done)
			throw std::runtime_error("wrong destination");
		done += n;
	}
}

task<void> write_one(map_ref m, std::size_t off, std::span<const std::byte> data)
{
	co_await m.write_async(off, data);
}

// A node that stops its loop when run.
struct stopper : detail::loop_node {
	event_loop *loop;
	std::atomic<bool> ran{false};
	explicit stopper(event_loop *l) : loop(l)
	{
		run = [](detail::loop_node *n) noexcept {
			auto *s = static_cast<stopper *>(n);
			s->ran.store(true);
			s->loop->stop();
		};
	}
};

} // namespace

TEST(CppLoop, SyncWaitAndWhenAllCopyThroughThreadsAndDefaultMovers)
{
	const std::vector<std::size_t> sizes = {4096, 1, 100, 64 << 10, (64 << 10) + 1, 256 << 10, 4096};
	constexpr std::size_t region = 512 << 10;
	for (bool threads : {true, false}) {
		for (bool cache_line : {true, false}) {
			SCOPED_TRACE(testing::Message() << (threads ? "threads" : "default") << " mover, "
							<< (cache_line ? "CACHE_LINE" : "PAGE"));
			test::tmpfile f(6 * region);
			std::optional<threads_mover> mv;
			if (threads)
				mv.emplace(2, 128, notifier_kind::waker);
			auto expect = test::pattern(6 * region, threads * 2 + cache_line);
			{
				map m = open_map(f, mv ? mover_ref(*mv) : mover_ref(), cache_line);
				std::vector<std::byte> part0(expect.begin(), expect.begin() + region);
				sync_wait(write_in_pieces(m, 0, part0, sizes));
				// One sync_wait per operation.
				for (std::size_t off = region; off < 2 * region; off += 4096)
					sync_wait(write_one(m, off, std::span(expect).subspan(off, 4096)));
				// Four chains side by side.
				std::vector<std::vector<std::byte>> parts;
				for (int i = 0; i < 4; ++i)
					parts.emplace_back(expect.begin() + (2 + i) * region,
						expect.begin() + (3 + i) * region);
				std::vector<task<void>> ts;
				for (int i = 0; i < 4; ++i)
					ts.push_back(write_in_pieces(m, (2 + i) * region, parts[i], sizes));
				sync_wait(when_all(std::move(ts)));
				ASSERT_TRUE(std::equal(expect.begin(), expect.end(), m.data()));
			}
			EXPECT_EQ(test::read_file(f.path(), expect.size()), expect);
		}
	}
}

TEST(CppLoop, ALoneSmallDurableOperationRunsOnTheWaitingThread)
{
	// sync_wait and wait(), as runtime_wait does.
	if (!pmem2::memops::can_write_back_lines())
		GTEST_SKIP() << "skipped: this CPU cannot write back cache lines (memops::"
				"can_write_back_lines()), so a CACHE_LINE map is PAGE, whose operations "
				"end in msync and never run on the waiting caller";
	test::tmpfile f(1 << 20);
	threads_mover mv(2, 128, notifier_kind::waker);
	map m = open_map(f, mv, true);
	auto data = test::pattern(4096, 3);
	auto &ran = masync::mover_stats().caller_ops;
	std::uint64_t before = ran.load();
	constexpr int n = 20;
	for (int i = 0; i < n; ++i)
		sync_wait(write_one(m, std::size_t(i) * 4096, data));
	EXPECT_GE(ran.load() - before, std::uint64_t(n))
		<< "sync_wait left a lone 4 KiB durable copy to a worker";
	// wait() the same way.
	before = ran.load();
	for (int i = n; i < 2 * n; ++i)
		EXPECT_EQ(m.write_async(std::size_t(i) * 4096, data).wait(), m.data() + i * 4096);
	EXPECT_GE(ran.load() - before, std::uint64_t(n))
		<< "wait() left a lone 4 KiB durable copy to a worker";
	for (int i = 0; i < 2 * n; ++i)
		ASSERT_TRUE(std::equal(data.begin(), data.end(), m.data() + i * 4096));
}

TEST(CppLoop, AWakeAfterTheActiveWaitResumesTheLoop)
{
	// The loop polls for a few µs, then sleeps inside the runtime, whose
	// sleep has a 100 ms backstop: a lost wake-up shows as a late resume.
	constexpr int reps = 10;
	int late = 0;
	for (int r = 0; r < reps; ++r) {
		hand_state s;
		clock_type::time_point published;
		std::thread completer([&] {
			s.await_armed();
			std::this_thread::sleep_for(5ms);
			published = clock_type::now();
			s.complete();
		});
		EXPECT_EQ(sync_wait(await_hand(s)), 1);
		auto resumed = clock_type::now();
		completer.join();
		EXPECT_GE(s.polls.load(), 2u) << "the coroutine never suspended";
		if (resumed - published > 50ms)
			++late;
	}
	EXPECT_LE(late, 1) << "wake-ups reached the loop only through the backstop";
}

TEST(CppLoop, ALongWaitSleepsInsteadOfSpinning)
{
	hand_state s;
	std::thread completer([&] {
		s.await_armed();
		std::this_thread::sleep_for(250ms);
		s.complete();
	});
	double cpu0 = thread_cpu_ms();
	auto t0 = clock_type::now();
	EXPECT_EQ(sync_wait(await_hand(s)), 1);
	auto wall = clock_type::now() - t0;
	double cpu = thread_cpu_ms() - cpu0;
	completer.join();
	EXPECT_GE(wall, 240ms);
	EXPECT_LT(cpu, 60.0) << "the loop kept polling while its future slept";
	// A few polls at the start, one per wake-up or backstop after.
	EXPECT_LT(s.polls.load(), 100000u);
}

TEST(CppLoop, APostAfterTheActiveWaitWakesTheLoop)
{
	test::watchdog w("the loop's wake-up", 30s);
	event_loop loop;
	stopper st(&loop);
	std::thread poster([&] {
		std::this_thread::sleep_for(20ms);
		loop.post(&st);
	});
	loop.run();
	poster.join();
	EXPECT_TRUE(st.ran.load());
}

TEST(CppLoop, AnyNumberOfLoopsWaitAlike)
{
	// Loops hold no wake target of their own (they wait in the runtime, on
	// their thread's wake slot): a thousand live loops change nothing for
	// the next one.
	std::vector<std::unique_ptr<event_loop>> others;
	for (int i = 0; i < 1000; ++i)
		others.push_back(std::make_unique<event_loop>());
	test::watchdog w("the loop's wake-up", 30s);
	for (auto delay : {0ms, 20ms}) {
		hand_state s;
		std::thread completer([&] {
			s.await_armed();
			std::this_thread::sleep_for(delay);
			s.complete();
		});
		EXPECT_EQ(sync_wait(await_hand(s)), 1);
		completer.join();
	}
}

TEST(CppLoop, WakesRacingWithTheEndOfTheActiveWaitAreNeverLost)
{
	// Completions land before, around and after the point where the loop
	// stops polling and goes to sleep.
	const std::chrono::microseconds delays[] = {0us, 2us, 5us, 9us, 12us, 15us, 20us, 30us, 60us};
	constexpr int reps = 300;
	hand_state *cur = nullptr;
	std::atomic<int> turn{0};	// odd: the completer's turn
	std::atomic<bool> quit{false};
	std::thread completer([&] {
		for (int i = 0;; ++i) {
			while (turn.load(std::memory_order_acquire) % 2 == 0)
				if (quit.load())
					return;
				else
					std::this_thread::yield();
			hand_state *s = cur;
			s->await_armed();
			auto until = clock_type::now() + delays[i % std::size(delays)];
			while (clock_type::now() < until)
				;
			s->complete();
			turn.fetch_add(1, std::memory_order_acq_rel);
		}
	});
	int late = 0;
	for (int r = 0; r < reps; ++r) {
		hand_state s;
		cur = &s;
		turn.fetch_add(1, std::memory_order_acq_rel);	// the completer's turn
		auto t0 = clock_type::now();
		EXPECT_EQ(sync_wait(await_hand(s)), 1);
		if (clock_type::now() - t0 > 80ms)
			++late;
		while (turn.load(std::memory_order_acquire) % 2 != 0)
			std::this_thread::yield();	// the completer is done with s
	}
	quit = true;
	completer.join();
	EXPECT_LE(late, 3) << "wake-ups reached the loop only through the backstop";
}

TEST(CppLoop, ManyLoopsOnSeveralThreads)
{
	constexpr int nthreads = 4, rounds = 3;
	constexpr std::size_t region = 256 << 10;
	test::tmpfile f(nthreads * region);
	threads_mover mv(2, 64, notifier_kind::waker);
	map m = open_map(f, mv, true);
	auto expect = test::pattern(nthreads * region, 21);
	std::vector<std::byte> plain_src = test::pattern(8192, 22);
	std::atomic<int> failures{0};
	auto body = [&](int t) {
		std::vector<std::byte> mine(expect.begin() + t * region, expect.begin() + (t + 1) * region);
		std::vector<std::byte> plain(8192);
		for (int r = 0; r < rounds; ++r) {
			// A chain of small and large copies.
			sync_wait(write_in_pieces(m, t * region, mine, {4096, 512, 32 << 10, 100 << 10}));
			// Chains side by side, with plain mover operations and a
			// future completed by another thread in the mix.
			hand_state s;
			std::thread completer([&] {
				s.await_armed();
				std::this_thread::sleep_for(1ms);
				s.complete();
			});
			std::size_t half = region / 2;
			std::vector<std::byte> a(mine.begin(), mine.begin() + half);
			std::vector<std::byte> b(mine.begin() + half, mine.end());
			auto plain_copy = [](mover_ref mr, std::byte *d, const std::byte *src) -> task<int> {
				for (int i = 0; i < 8; ++i)
					co_await mr.memcpy_async(d, src, 8192);
				co_return 0;
			};
			auto [x, y, z, w] = sync_wait(when_all(write_in_pieces(m, t * region, a, {4096}),
				write_in_pieces(m, t * region + half, b, {8192, 4096}),
				await_hand(s), plain_copy(mv, plain.data(), plain_src.data())));
			completer.join();
			(void)x;
			(void)y;
			if (z != 1 || w != 0 || plain != plain_src ||
			    !std::equal(mine.begin(), mine.end(), m.data() + t * region))
				failures.fetch_add(1);
		}
	};
	std::vector<std::thread> threads;
	for (int t = 0; t < nthreads; ++t)
		threads.emplace_back(body, t);
	for (auto &t : threads)
		t.join();
	EXPECT_EQ(failures.load(), 0);
	EXPECT_TRUE(std::equal(expect.begin(), expect.end(), m.data()));
}
