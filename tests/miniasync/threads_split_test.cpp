// Large operations split across the threads mover's workers
// (src/miniasync/chunking.hpp applied by data_mover_threads.cpp): every
// chunk runs, tiles the operation at page boundaries, and a worker takes
// over the chunks another leaves.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "durable/guard.hpp"
#include "durable/services.hpp"
#include "memops/memops.hpp"
#include "miniasync/internal.hpp"
#include "miniasync/threads_fixture.hpp"
#include "support/bytes.hpp"
#include "support/futures.hpp"
#include "support/wait.hpp"

namespace durable = pmem2::durable;
using namespace pmem2::test::threads;
using pmem2::test::pattern;

TEST(ThreadsMover, LargeOperationsAreSplitAcrossWorkers)
{
	auto &mc = pmem2::masync::mover_stats();
	auto m = make_mover(4, 16, FUTURE_NOTIFIER_WAKER);
	pmem2::masync::set_split(m.get(), 256 * 1024, 64 * 1024);
	data_mover_threads_set_memcpy_fn(m.get(), count_memcpy);
	data_mover_threads_set_memmove_fn(m.get(), count_memmove);
	data_mover_threads_set_memset_fn(m.get(), count_memset);
	vdm *v = data_mover_threads_get_vdm(m.get());
	runtime *r = runtime_new();
	constexpr std::size_t sz = 4 * 1024 * 1024 + 123;
	auto src = pattern<unsigned char>(sz, 7);
	std::vector<unsigned char> dst(sz + 8192 + 1, 0xee);
	// A destination 100 bytes into a page: the first chunk is short.
	auto page0 = (reinterpret_cast<std::uintptr_t>(dst.data()) + 4095) & ~std::uintptr_t(4095);
	unsigned char *d = dst.data() + (page0 - reinterpret_cast<std::uintptr_t>(dst.data())) + 100;
	ASSERT_LE(d + sz, dst.data() + dst.size() - 1);
	const std::uint32_t want = expected_chunks(d, sz, 64 * 1024);
	EXPECT_EQ(want, 61u);	// 64 shares of 65540 bytes, rounded to 69632

	for (unsigned char *dest : {d, d + 4096 - 100, d + 1}) {
		std::fill(dst.begin(), dst.end(), 0xee);
		const std::uint32_t n = expected_chunks(dest, sz, 64 * 1024);
		reset_hooks();
		std::uint64_t wc0 = mc.worker_split_chunks.load(), cc0 = mc.caller_chunks.load();
		auto f = vdm_memcpy(v, dest, src.data(), sz, 0);
		runtime_wait(r, &f.base);
		EXPECT_EQ(f.output.result, VDM_SUCCESS);
		EXPECT_EQ(std::memcmp(dest, src.data(), sz), 0);
		EXPECT_EQ(dest[-1], 0xee);
		EXPECT_EQ(dest[sz], 0xee);
		EXPECT_EQ(hook_calls.load(), int(n));
		EXPECT_EQ(hook_bytes.load(), sz);
		expect_aligned_tiling(dest, sz);
		// Hooked operations are never helped: workers ran every chunk, and
		// each one they ran was counted.
		EXPECT_EQ(mc.worker_split_chunks.load() - wc0, n);
		EXPECT_EQ(mc.caller_chunks.load() - cc0, 0u);
	}

	std::fill(dst.begin(), dst.end(), 0xee);
	reset_hooks();
	auto s = vdm_memset(v, d, 0x11, sz, 0);
	runtime_wait(r, &s.base);
	EXPECT_EQ(hook_calls.load(), int(want));
	expect_aligned_tiling(d, sz);
	EXPECT_TRUE(std::all_of(d, d + sz, [](unsigned char c) { return c == 0x11; }));
	EXPECT_EQ(d[sz], 0xee);

	// Below the threshold, or below two minimum chunks: one piece.
	reset_hooks();
	auto small = vdm_memset(v, d, 0x22, 200 * 1024, 0);
	runtime_wait(r, &small.base);
	EXPECT_EQ(hook_calls.load(), 1);
	pmem2::masync::set_split(m.get(), 256 * 1024, 1024 * 1024);
	reset_hooks();
	auto fewer = vdm_memset(v, d, 0x33, sz, 0);	// 4 shares of 1 MiB
	runtime_wait(r, &fewer.base);
	EXPECT_EQ(hook_calls.load(), int(expected_chunks(d, sz, 1024 * 1024)));
	EXPECT_EQ(hook_calls.load(), 4);
	expect_aligned_tiling(d, sz);
	pmem2::masync::set_split(m.get(), 256 * 1024, 64 * 1024);

	// An overlapping move is never split.
	std::memcpy(dst.data(), src.data(), sz);
	reset_hooks();
	auto mv = vdm_memmove(v, dst.data() + 4096, dst.data(), sz - 4096, 0);
	runtime_wait(r, &mv.base);
	EXPECT_EQ(hook_calls.load(), 1);
	EXPECT_EQ(std::memcmp(dst.data() + 4096, src.data(), sz - 4096), 0);
	data_mover_threads_set_memset_fn(m.get(), nullptr);
	data_mover_threads_set_memmove_fn(m.get(), nullptr);

	// Many split operations at once, busy-polled.
	data_mover_threads_set_memcpy_fn(m.get(), nullptr);
	std::vector<std::vector<unsigned char>> outs(6, std::vector<unsigned char>(sz));
	std::vector<vdm_operation_future> fs;
	for (auto &o : outs)
		fs.push_back(vdm_memcpy(v, o.data(), src.data(), sz, 0));
	for (auto &x : fs)
		FUTURE_BUSY_POLL(&x)
	for (auto &o : outs)
		EXPECT_EQ(std::memcmp(o.data(), src.data(), sz), 0);
	runtime_delete(r);
}

namespace {
std::atomic<int> first_call{0};
std::atomic<bool> first_released{false};
std::atomic<std::thread::id> first_tid{};

// The first call blocks until released; the others copy at once.
void *blocking_first_memcpy(void *d, const void *s, std::size_t n, unsigned flags)
{
	note_hook(d, n, flags);
	if (first_call.exchange(1) == 0) {
		first_tid.store(std::this_thread::get_id());
		while (!first_released.load())
			std::this_thread::sleep_for(std::chrono::microseconds(100));
	}
	return n ? std::memcpy(d, s, n) : d;
}
} // namespace

// Chunks are claimed one at a time: while the worker that took the first
// chunk is stuck in it, the other worker (woken at submission) runs every
// other chunk, not just "its half".
TEST(ThreadsMover, AnotherWorkerTakesEveryChunkLeft)
{
	auto &mc = pmem2::masync::mover_stats();
	auto m = make_mover(2, 16, FUTURE_NOTIFIER_WAKER);
	pmem2::masync::set_split(m.get(), 256 * 1024, 64 * 1024);
	data_mover_threads_set_memcpy_fn(m.get(), blocking_first_memcpy);
	vdm *v = data_mover_threads_get_vdm(m.get());
	constexpr std::size_t sz = 1024 * 1024 + 4096;
	auto src = pattern<unsigned char>(sz, 9);
	std::vector<unsigned char> dst(sz);
	const std::uint32_t n = expected_chunks(dst.data(), sz, 64 * 1024);
	ASSERT_GE(n, 15u);
	reset_hooks();
	first_call = 0;
	first_released = false;
	std::uint64_t wc0 = mc.worker_split_chunks.load();
	auto f = vdm_memcpy(v, dst.data(), src.data(), sz, 0);
	future_poll(FUTURE_AS_RUNNABLE(&f), nullptr);
	EXPECT_TRUE(pmem2::test::wait_for([&] { return hook_calls.load() == int(n); }));
	EXPECT_EQ(future_poll(FUTURE_AS_RUNNABLE(&f), nullptr), FUTURE_STATE_RUNNING);
	{
		std::lock_guard lk(hook_mtx);
		std::size_t by_others = 0;
		for (auto &h : hook_ranges)
			by_others += h.tid != first_tid.load();
		EXPECT_EQ(by_others, n - 1);
		EXPECT_EQ(hook_threads.size(), 2u);
	}
	first_released = true;
	FUTURE_BUSY_POLL(&f)
	EXPECT_EQ(f.output.result, VDM_SUCCESS);
	EXPECT_EQ(std::memcmp(dst.data(), src.data(), sz), 0);
	expect_aligned_tiling(dst.data(), sz);
	EXPECT_EQ(mc.worker_split_chunks.load() - wc0, n);
	data_mover_threads_set_memcpy_fn(m.get(), nullptr);
}
