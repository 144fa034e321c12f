// Map guards, counted (the threads mover) and entered through per-thread
// hazard slots (the default mover and the persist step): a retire never
// misses an operation inside the guard, in both orderings of the slots
// (membarrier, and the seq_cst fallback forced by the test switch), and a
// map deleted under running futures is never written.
#define PMEM2_USE_MINIASYNC 1
#include <libpmem2.h>
#include <libminiasync.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "durable/guard.hpp"
#include "durable/movers.hpp"
#include "durable/services.hpp"
#include "support/scratch.hpp"
#include "support/wait.hpp"
#include "memops/memops.hpp"

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace {

using pmem2::test::tmpfile;
using pmem2::test::wait_for;
namespace durable = pmem2::durable;
namespace memops = pmem2::memops;
using namespace std::chrono_literals;

std::size_t slot_count()
{
	std::size_t n = 0;
	for (auto *s = durable::detail::slots.load(); s; s = s->next)
		n++;
	return n;
}

bool some_retire_sleeps()
{
	for (auto *s = durable::detail::slots.load(); s; s = s->next)
		if (s->waiting.load() != 0)
			return true;
	return false;
}

pmem2_map *map_file(int fd)
{
	pmem2_config *cfg = nullptr;
	pmem2_source *src = nullptr;
	pmem2_map *map = nullptr;
	EXPECT_EQ(pmem2_config_new(&cfg), 0);
	EXPECT_EQ(pmem2_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_PAGE), 0);
	EXPECT_EQ(pmem2_source_from_fd(&src, fd), 0);
	EXPECT_EQ(pmem2_map_new(&map, cfg, src), 0) << pmem2_errormsg();
	pmem2_source_delete(&src);
	pmem2_config_delete(&cfg);
	return map;
}

// Every test runs once with membarrier (where the kernel allows it) and
// once with the seq_cst fallback.
class Guard : public ::testing::TestWithParam<bool> {
protected:
	void SetUp() override
	{
		durable::force_fence_order(GetParam());
		setenv("PMEM2_FORCE_GRANULARITY", "CACHE_LINE", 1);
	}
	void TearDown() override
	{
		unsetenv("PMEM2_FORCE_GRANULARITY");
		durable::force_fence_order(false);
	}
};

INSTANTIATE_TEST_SUITE_P(Order, Guard, ::testing::Values(false, true),
	[](const ::testing::TestParamInfo<bool> &i) { return i.param ? "fence" : "membarrier"; });

TEST_P(Guard, SwitchSelectsTheOrdering)
{
	if (GetParam())
		EXPECT_FALSE(durable::using_membarrier());
	else if (durable::detail::kernel_order() == durable::detail::order_membarrier)
		EXPECT_TRUE(durable::using_membarrier());
	else
		GTEST_SKIP() << "membarrier(PRIVATE_EXPEDITED) not available here";
}

// Entering through the slot does not touch the counter; a stale generation
// is refused and leaves the slot empty; retire waits for the slot only.
TEST_P(Guard, EnterHereUsesTheSlot)
{
	durable::map_guard g;
	const std::uint32_t gen = g.gen.load();
	durable::hazard_slot *held = nullptr;
	ASSERT_TRUE(durable::guard_enter_here(&g, gen, held));
	ASSERT_NE(held, nullptr);
	EXPECT_EQ(held, durable::detail::tls_slot);
	EXPECT_EQ(held->guard.load(), &g);
	EXPECT_EQ(g.inflight.load(), 0u);

	// Nested (a signal handler in the middle of an operation): counted.
	durable::hazard_slot *inner = nullptr;
	ASSERT_TRUE(durable::guard_enter_here(&g, gen, inner));
	EXPECT_EQ(inner, nullptr);
	EXPECT_EQ(g.inflight.load(), 1u);
	durable::guard_leave_here(&g, inner);
	EXPECT_EQ(g.inflight.load(), 0u);

	durable::guard_leave_here(&g, held);
	EXPECT_EQ(held->guard.load(), nullptr);
	durable::guard_retire(&g);
	EXPECT_FALSE(durable::guard_enter_here(&g, gen, held));
	EXPECT_EQ(held, nullptr);
	EXPECT_EQ(durable::detail::tls_slot->guard.load(), nullptr);
	EXPECT_EQ(g.inflight.load(), 0u);
}

// A retire sleeps (after its spin) while a slot holds the guard and is
// woken by the leave.
TEST_P(Guard, RetireWaitsForTheSlot)
{
	durable::map_guard g;
	const std::uint32_t gen = g.gen.load();
	std::atomic<int> step{0};
	std::thread op([&] {
		durable::hazard_slot *held = nullptr;
		ASSERT_TRUE(durable::guard_enter_here(&g, gen, held));
		step = 1;
		while (step.load() != 2)
			std::this_thread::sleep_for(100us);
		durable::guard_leave_here(&g, held);
	});
	ASSERT_TRUE(wait_for([&] { return step.load() == 1; }));
	std::atomic<bool> retired{false};
	std::thread deleter([&] {
		durable::guard_retire(&g);
		retired = true;
	});
	EXPECT_TRUE(wait_for([] { return some_retire_sleeps(); }));
	std::this_thread::sleep_for(20ms);
	EXPECT_FALSE(retired.load());
	step = 2;
	op.join();
	deleter.join();
	EXPECT_TRUE(retired.load());
	EXPECT_FALSE(some_retire_sleeps());
}

// Threads that exit give their slot back; new threads take it.
TEST_P(Guard, SlotsAreRecycled)
{
	durable::map_guard g;
	const std::uint32_t gen = g.gen.load();
	auto one = [&] {
		durable::hazard_slot *held = nullptr;
		EXPECT_TRUE(durable::guard_enter_here(&g, gen, held));
		EXPECT_NE(held, nullptr);
		durable::guard_leave_here(&g, held);
	};
	std::thread(one).join();
	std::size_t before = slot_count();
	for (int i = 0; i < 100; i++)
		std::thread(one).join();
	EXPECT_EQ(slot_count(), before);
	durable::guard_retire(&g);
}

// Blocks the first recorded kernel call of the thread that arms it.
struct blocker : memops::recorder {
	std::atomic<std::thread::id> armed{};
	std::atomic<bool> inside{false};
	std::atomic<bool> release{false};
	void on_kernel(const char *) noexcept override
	{
		std::thread::id none{};
		std::thread::id me = std::this_thread::get_id();
		if (armed.load() != me || !armed.compare_exchange_strong(me, none))
			return;
		inside = true;
		while (!release.load())
			std::this_thread::sleep_for(100us);
	}
	void on_flush(const void *) noexcept override {}
	void on_nt_store(const void *, std::size_t) noexcept override {}
	void on_fence() noexcept override {}
	void on_page_sync(const void *, std::size_t) noexcept override {}
};

// pmem2_map_delete waits for a default-mover operation that is copying,
// and the operation completes with its data written.
TEST_P(Guard, MapDeleteWaitsForADefaultMoverOperation)
{
	constexpr std::size_t len = 4096;
	tmpfile file(1 << 20, "/dev/shm");
	pmem2_map *map = map_file(file.fd());
	ASSERT_NE(map, nullptr);
	auto *base = static_cast<char *>(pmem2_map_get_address(map));
	std::vector<char> src(len, 0x5a);

	blocker b;
	memops::set_recorder(&b);
	memops::redispatch(memops::options_from_env());
	int result = -1;
	std::thread op([&] {
		b.armed = std::this_thread::get_id();
		pmem2_future f = pmem2_memcpy_async(map, base, src.data(), len, 0);
		FUTURE_BUSY_POLL(&f);
		result = FUTURE_OUTPUT(&f)->result;
	});
	ASSERT_TRUE(wait_for([&] { return b.inside.load(); }));
	std::atomic<bool> deleted{false};
	std::thread deleter([&] {
		EXPECT_EQ(pmem2_map_delete(&map), 0);
		deleted = true;
	});
	EXPECT_TRUE(wait_for([] { return some_retire_sleeps(); }));
	std::this_thread::sleep_for(20ms);
	EXPECT_FALSE(deleted.load()) << "the map was deleted under a running operation";
	b.release = true;
	op.join();
	deleter.join();
	memops::set_recorder(nullptr);
	memops::redispatch(memops::options_from_env());
	EXPECT_TRUE(deleted.load());
	EXPECT_EQ(result, 0);
	std::vector<char> got(len);
	ASSERT_EQ(pread(file.fd(), got.data(), len, 0), ssize_t(len));
	EXPECT_EQ(got, src);
}

// Threads create and poll default-mover futures while another deletes the
// map and maps the other of two files, over and over. Every future either
// completed with result 0 and its bytes in the file it was created for, or
// reported PMEM2_E_MAPPING_NOT_FOUND and wrote nothing; no write ever lands
// in the other file (a late write through a reused address would) or in
// unmapped memory (a crash).
TEST_P(Guard, DeleteAndRecreateUnderRunningFutures)
{
	constexpr int workers = 3, locs = 4, rounds = 500;
	constexpr std::size_t chunk = 16384;
	constexpr std::size_t size = std::size_t(workers) * locs * chunk;
	tmpfile files[2] = {tmpfile(size, "/dev/shm"), tmpfile(size, "/dev/shm")};

	std::shared_mutex mtx;
	pmem2_map *map = map_file(files[0].fd());
	ASSERT_NE(map, nullptr);
	int cur = 0;
	std::atomic<bool> stop{false};
	std::atomic<long> ok{0}, refused{0}, bad{0};
	std::string first_bad;
	std::mutex bad_mtx;
	auto report = [&](const std::string &what) {
		if (bad++ == 0) {
			std::lock_guard lk(bad_mtx);
			first_bad = what;
		}
	};

	auto worker = [&](int w) {
		std::vector<unsigned char> last[2] = {std::vector<unsigned char>(locs, 0),
			std::vector<unsigned char>(locs, 0)};
		std::vector<char> src(chunk), got(chunk);
		unsigned iter = 0;
		while (!stop.load(std::memory_order_relaxed) && bad.load() == 0) {
			iter++;
			auto v = static_cast<unsigned char>(iter % 255 + 1);
			std::size_t len = (iter & 1) ? 64 : chunk;
			std::memset(src.data(), v, chunk);
			pmem2_future futs[locs];
			int f;
			{
				std::shared_lock lk(mtx);
				f = cur;
				auto *base = static_cast<char *>(pmem2_map_get_address(map));
				for (int j = 0; j < locs; j++)
					futs[j] = pmem2_memcpy_async(map,
						base + (std::size_t(w) * locs + j) * chunk,
						src.data(), len, 0);
			}
			for (int j = 0; j < locs; j++) {
				FUTURE_BUSY_POLL(&futs[j]);
				int r = FUTURE_OUTPUT(&futs[j])->result;
				if (r == 0)
					ok++;
				else if (r == PMEM2_E_MAPPING_NOT_FOUND)
					refused++;
				else
					report("result " + std::to_string(r));
				off_t at = off_t((std::size_t(w) * locs + j) * chunk);
				for (int k = 0; k < 2; k++) {
					unsigned char want = (r == 0 && k == f) ? v : last[k][j];
					std::size_t n = (r == 0 && k == f) ? len : chunk;
					if (pread(files[k].fd(), got.data(), n, at) != ssize_t(n)) {
						report("pread");
						continue;
					}
					for (std::size_t i = 0; i < n; i++)
						if (static_cast<unsigned char>(got[i]) != want) {
							report("file " + std::to_string(k) + " loc " +
								std::to_string(j) + " byte " + std::to_string(i) +
								": " + std::to_string(int(static_cast<unsigned char>(got[i]))) +
								" instead of " + std::to_string(int(want)) +
								(r == 0 ? " (completed)" : " (refused)"));
							break;
						}
				}
				if (r == 0) {
					// Only the first `len` bytes changed; keep the chunk uniform.
					if (len != chunk) {
						if (pwrite(files[f].fd(), src.data(), chunk, at) != ssize_t(chunk))
							report("pwrite");
					}
					last[f][j] = v;
				}
			}
		}
	};
	std::vector<std::thread> ts;
	for (int w = 0; w < workers; w++)
		ts.emplace_back(worker, w);
	for (int r = 0; r < rounds && bad.load() == 0; r++) {
		std::this_thread::sleep_for(200us);
		std::unique_lock lk(mtx);
		if (pmem2_map_delete(&map) != 0) {
			report("pmem2_map_delete failed");
			break;
		}
		cur ^= 1;
		map = map_file(files[cur].fd());
		if (map == nullptr) {
			report("pmem2_map_new failed");
			break;
		}
	}
	stop = true;
	for (auto &t : ts)
		t.join();
	EXPECT_EQ(bad.load(), 0) << first_bad;
	EXPECT_GT(ok.load(), 0);
	std::printf("completed %ld, refused %ld\n", ok.load(), refused.load());
	if (map)
		pmem2_map_delete(&map);
}

} // namespace

namespace {

// A guard as libpmem2 makes them: its services are libpmem2's.
struct test_guard : durable::map_guard {
	test_guard() { svc = &durable::pmem2_services(); }
};

// Counted entry (guard_enter/guard_leave, the threads mover's way in):
// guard_leave skips the notification unless a retire waits; a waiting
// retire is still released by the last leave.
TEST(MapGuard, RetireWaitsForTheLastLeave)
{
	test_guard g;
	const std::uint32_t gen = g.gen.load();
	ASSERT_TRUE(durable::guard_enter(&g, gen));
	ASSERT_TRUE(durable::guard_enter(&g, gen));
	durable::guard_leave(&g);
	EXPECT_EQ(g.waiters.load(), 0u);
	std::atomic<bool> retired{false};
	std::thread deleter([&] {
		durable::guard_retire(&g);
		retired = true;
	});
	EXPECT_TRUE(wait_for([&] { return g.waiters.load() == 1; }));
	EXPECT_FALSE(retired.load());
	EXPECT_FALSE(durable::guard_enter(&g, gen));	// retired: refused, and not counted
	EXPECT_FALSE(retired.load());
	durable::guard_leave(&g);
	deleter.join();
	EXPECT_TRUE(retired.load());
	EXPECT_EQ(g.inflight.load(), 0u);
	EXPECT_EQ(g.waiters.load(), 0u);
	// Nobody inside: retire returns at once.
	durable::guard_retire(&g);
	EXPECT_EQ(g.waiters.load(), 0u);
}

} // namespace

namespace {

// A program that links both libraries statically (the pmem2 tool, these
// tests) still recognises the threads and sync movers by identity, so they
// make the data durable themselves; a user's mover is foreign.
TEST(StaticLink, TheThreadsMoverIsRecognised)
{
	data_mover_threads *dmt = data_mover_threads_new(1, 8, FUTURE_NOTIFIER_NONE);
	ASSERT_NE(dmt, nullptr);
	EXPECT_EQ(pmem2::durable::classify(data_mover_threads_get_vdm(dmt)),
		pmem2::durable::mover_kind::ours);
	data_mover_sync *dms = data_mover_sync_new();
	EXPECT_EQ(pmem2::durable::classify(data_mover_sync_get_vdm(dms)),
		pmem2::durable::mover_kind::ours);
	struct vdm copy = *data_mover_sync_get_vdm(dms);
	copy.op_check = data_mover_threads_get_vdm(dmt)->op_check;	// a user's mix
	EXPECT_EQ(pmem2::durable::classify(&copy), pmem2::durable::mover_kind::foreign);
	EXPECT_EQ(pmem2::durable::classify(nullptr), pmem2::durable::mover_kind::builtin);
	data_mover_sync_delete(dms);
	data_mover_threads_delete(dmt);
}

} // namespace
