// Worker wake-ups of the threads mover under concurrent submission, on the
// shared libraries, with the workers' park backstop made infinite: a lost
// wake-up leaves a round unfinished and fails the test instead of being
// rescued by a timeout. Several threads submit bursts of small operations
// at the same moment, round after round: plain vdm futures, pmem2 futures,
// and callers that wait for room in a full queue.
#define PMEM2_USE_MINIASYNC 1
#include <libpmem2.h>
#include <libminiasync.h>

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "support/scratch.hpp"
#include "miniasync/internal.hpp"

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

// A round that a wake-up reaches finishes in microseconds; this bound only
// has to be far below "never" and far above a loaded machine's scheduling.
constexpr auto round_bound = 5s;

int rounds(int full)
{
	const char *s = std::getenv("PMEM2_STRESS_SCALE");
	double scale = s ? std::atof(s) : 1.0;
	int n = int(full * scale);
	return n < 50 ? 50 : n;
}

struct no_backstop {
	no_backstop() { pmem2::masync::set_park_backstop(3600LL * 1'000'000'000); }
	~no_backstop() { pmem2::masync::set_park_backstop(1'000'000'000); }
};

// Polls every future until complete or the bound passes; false on timeout.
template <class F>
bool poll_all(std::vector<F> &futs)
{
	auto end = clock_type::now() + round_bound;
	for (;;) {
		bool all = true;
		for (auto &f : futs)
			if (future_poll(FUTURE_AS_RUNNABLE(&f), nullptr) != FUTURE_STATE_COMPLETE)
				all = false;
		if (all)
			return true;
		if (clock_type::now() > end)
			return false;
		std::this_thread::yield();
	}
}

// Runs `submitters` threads for `n` rounds; each round starts at a barrier
// and every thread's burst must complete within the bound. The slowest
// round is reported.
template <class Burst>
void run_rounds(int submitters, int n, Burst burst)
{
	std::barrier sync(submitters);
	std::atomic<bool> failed{false};
	std::atomic<long long> slowest_us{0};
	std::vector<std::thread> ts;
	for (int t = 0; t < submitters; t++)
		ts.emplace_back([&, t] {
			for (int r = 0; r < n; r++) {
				// Long enough for every worker to stop spinning and
				// park: each round then starts with two submissions
				// racing for the first wake-up.
				std::this_thread::sleep_for(100us);
				sync.arrive_and_wait();
				if (failed.load())
					continue;	// keep the barrier's count, do no work
				auto t0 = clock_type::now();
				if (!burst(t, r)) {
					failed = true;
					ADD_FAILURE() << "thread " << t << ", round " << r
						<< ": not complete within the bound (a lost wake-up)";
				}
				auto us = std::chrono::duration_cast<std::chrono::microseconds>(
					clock_type::now() - t0).count();
				long long prev = slowest_us.load();
				while (us > prev && !slowest_us.compare_exchange_weak(prev, us))
					;
			}
		});
	for (auto &t : ts)
		t.join();
	std::printf("slowest round: %lld us\n", slowest_us.load());
	EXPECT_FALSE(failed.load());
}

// The log of the report: data_mover_threads_default() (12 workers, a queue
// of 128), two threads each starting 128 x 64-byte copies per round.
TEST(ThreadsMoverWakeup, ConcurrentBurstsOfVdmFutures)
{
	no_backstop nb;
	data_mover_threads *dmt = data_mover_threads_default();
	ASSERT_NE(dmt, nullptr);
	vdm *v = data_mover_threads_get_vdm(dmt);
	constexpr int submitters = 2, burst = 128;
	std::vector<std::vector<char>> src(submitters, std::vector<char>(64 * burst, 's'));
	std::vector<std::vector<char>> dst(submitters, std::vector<char>(64 * burst));
	run_rounds(submitters, rounds(2000), [&](int t, int r) {
		std::vector<vdm_operation_future> futs;
		futs.reserve(burst);
		auto c = char('a' + r % 26);
		std::memset(src[t].data(), c, src[t].size());
		for (int i = 0; i < burst; i++)
			futs.push_back(vdm_memcpy(v, dst[t].data() + 64 * i, src[t].data() + 64 * i, 64, 0));
		if (!poll_all(futs))
			return false;
		return dst[t] == src[t];
	});
	data_mover_threads_delete(dmt);
}

TEST(ThreadsMoverWakeup, ConcurrentBurstsOfPmem2Futures)
{
	no_backstop nb;
	data_mover_threads *dmt = data_mover_threads_default();
	ASSERT_NE(dmt, nullptr);
	pmem2::test::tmpfile file(1 << 20, "/dev/shm");
	setenv("PMEM2_FORCE_GRANULARITY", "CACHE_LINE", 1);
	pmem2_config *cfg = nullptr;
	pmem2_source *src = nullptr;
	pmem2_map *map = nullptr;
	ASSERT_EQ(pmem2_config_new(&cfg), 0);
	ASSERT_EQ(pmem2_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_PAGE), 0);
	ASSERT_EQ(pmem2_config_set_vdm(cfg, data_mover_threads_get_vdm(dmt)), 0);
	ASSERT_EQ(pmem2_source_from_fd(&src, file.fd()), 0);
	ASSERT_EQ(pmem2_map_new(&map, cfg, src), 0) << pmem2_errormsg();
	unsetenv("PMEM2_FORCE_GRANULARITY");
	pmem2_source_delete(&src);
	pmem2_config_delete(&cfg);
	auto *base = static_cast<char *>(pmem2_map_get_address(map));
	constexpr int submitters = 2, burst = 128;
	std::vector<std::vector<char>> data(submitters, std::vector<char>(64 * burst));
	run_rounds(submitters, rounds(2000), [&](int t, int r) {
		std::vector<pmem2_future> futs;
		futs.reserve(burst);
		std::memset(data[t].data(), 'A' + r % 26, data[t].size());
		char *d = base + std::size_t(t) * 64 * burst;
		for (int i = 0; i < burst; i++)
			futs.push_back(pmem2_memcpy_async(map, d + 64 * i, data[t].data() + 64 * i, 64, 0));
		if (!poll_all(futs))
			return false;
		for (auto &f : futs)
			if (FUTURE_OUTPUT(&f)->result != 0)
				return false;
		return std::memcmp(d, data[t].data(), data[t].size()) == 0;
	});
	EXPECT_EQ(pmem2_map_delete(&map), 0);
	data_mover_threads_delete(dmt);
}

// A queue of 4 and bursts of 32 from each thread: most starts find no room
// and wait in runtime_wait_multiple for room to free (the waker path).
TEST(ThreadsMoverWakeup, CallersWaitingForRoomInAFullQueue)
{
	no_backstop nb;
	data_mover_threads *dmt = data_mover_threads_new(2, 4, FUTURE_NOTIFIER_WAKER);
	ASSERT_NE(dmt, nullptr);
	vdm *v = data_mover_threads_get_vdm(dmt);
	constexpr int submitters = 3, burst = 32;
	std::vector<std::vector<char>> src(submitters, std::vector<char>(64 * burst, 'q'));
	std::vector<std::vector<char>> dst(submitters, std::vector<char>(64 * burst));
	std::vector<runtime *> rts(submitters);
	for (auto &r : rts)
		r = runtime_new();
	// runtime_wait_multiple cannot be given a deadline: a watchdog turns a
	// hang into a failure.
	std::atomic<bool> done{false};
	std::thread watchdog([&] {
		auto end = clock_type::now() + 300s;
		while (!done.load()) {
			if (clock_type::now() > end) {
				std::fprintf(stderr, "waiting for room never ended (a lost wake-up)\n");
				std::abort();
			}
			std::this_thread::sleep_for(10ms);
		}
	});
	run_rounds(submitters, rounds(1000), [&](int t, int r) {
		std::vector<vdm_operation_future> futs;
		futs.reserve(burst);
		std::memset(src[t].data(), 'a' + r % 26, src[t].size());
		for (int i = 0; i < burst; i++)
			futs.push_back(vdm_memcpy(v, dst[t].data() + 64 * i, src[t].data() + 64 * i, 64, 0));
		std::vector<future *> fp;
		for (auto &f : futs)
			fp.push_back(FUTURE_AS_RUNNABLE(&f));
		auto t0 = clock_type::now();
		runtime_wait_multiple(rts[t], fp.data(), fp.size());
		return clock_type::now() - t0 < round_bound && dst[t] == src[t];
	});
	done = true;
	watchdog.join();
	for (auto &r : rts)
		runtime_delete(r);
	data_mover_threads_delete(dmt);
}

} // namespace
