// The threads mover and a waiting runtime (src/miniasync/room_waiters,
// caller_help.hpp): sleeping waits woken by completion, a full queue's
// waiters, and the caller running durable operations no worker took.
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

namespace {

std::atomic<int> gate{0};	// hooks block while 0
std::atomic<int> gated_calls{0};

void *gated_memcpy(void *d, const void *s, std::size_t n, unsigned)
{
	gated_calls.fetch_add(1);
	while (gate.load(std::memory_order_acquire) == 0)
		std::this_thread::yield();
	return n ? std::memcpy(d, s, n) : d;
}

} // namespace

TEST(ThreadsMoverRuntime, SleepingWaitIsWokenByCompletion)
{
	auto &st = pmem2::masync::runtime_stats();
	auto m = make_mover(1, 4, FUTURE_NOTIFIER_WAKER);
	data_mover_threads_set_memcpy_fn(m.get(), gated_memcpy);
	vdm *v = data_mover_threads_get_vdm(m.get());
	runtime *r = runtime_new();
	gate = 0;
	gated_calls = 0;
	char a[8] = "gated", b[8] = {};
	auto f = vdm_memcpy(v, b, a, 6, 0);
	std::uint64_t sleeps0 = st.sleeps.load(), wakes0 = st.wakes.load(), woken0 = st.woken.load();
	std::thread opener([&] {
		// Open the gate only once the waiting thread is asleep.
		pmem2::test::wait_for([&] { return st.sleeps.load() != sleeps0 && gated_calls.load() != 0; });
		gate.store(1, std::memory_order_release);
	});
	runtime_wait(r, &f.base);
	opener.join();
	EXPECT_STREQ(b, "gated");
	EXPECT_GE(st.sleeps.load() - sleeps0, 1u);
	EXPECT_EQ(st.wakes.load() - wakes0, 1u);	// the completion's waker call
	EXPECT_GE(st.woken.load() - woken0, 1u);
	runtime_delete(r);
}

TEST(ThreadsMoverRuntime, FullQueueRegistersWakerAndWaitCompletes)
{
	auto &st = pmem2::masync::runtime_stats();
	auto m = make_mover(1, 1, FUTURE_NOTIFIER_WAKER);
	data_mover_threads_set_memcpy_fn(m.get(), gated_memcpy);
	vdm *v = data_mover_threads_get_vdm(m.get());
	runtime *r = runtime_new();
	gate = 0;
	gated_calls = 0;
	constexpr int n = 8;
	char src[n][8], dst[n][8] = {};
	std::vector<vdm_operation_future> fs;
	std::vector<future *> ptrs;
	fs.reserve(n);
	for (int i = 0; i < n; ++i) {
		std::snprintf(src[i], sizeof(src[i]), "op%d", i);
		fs.push_back(vdm_memcpy(v, dst[i], src[i], 8, 0));
		ptrs.push_back(&fs.back().base);
	}
	// Only a few fit (one running, the queue full); the rest wait for room.
	std::uint64_t sleeps0 = st.sleeps.load();
	std::thread opener([&] {
		pmem2::test::wait_for([&] { return st.sleeps.load() != sleeps0; });
		gate.store(1, std::memory_order_release);
	});
	runtime_wait_multiple(r, ptrs.data(), n);
	opener.join();
	for (int i = 0; i < n; ++i)
		EXPECT_STREQ(dst[i], src[i]);
	// It slept while work was blocked, with IDLE futures counted as WAKER.
	EXPECT_GE(st.sleeps.load() - sleeps0, 1u);
	runtime_delete(r);
}


TEST(ThreadsMoverRuntime, WaiterRegistrationIsWithdrawnWhenTheFutureStarts)
{
	auto m = make_mover(1, 1, FUTURE_NOTIFIER_WAKER);
	data_mover_threads_set_memcpy_fn(m.get(), gated_memcpy);
	vdm *v = data_mover_threads_get_vdm(m.get());
	gate = 0;
	gated_calls = 0;
	char src[8] = "abcdefg", out[6][8] = {};
	std::vector<vdm_operation_future> fs;
	fs.reserve(6);
	std::atomic<int> wakes[6] = {};
	auto wake = [](void *d) { static_cast<std::atomic<int> *>(d)->fetch_add(1); };
	std::vector<future_notifier> ns(6);
	int idle = -1;
	for (int i = 0; i < 6; ++i) {
		fs.push_back(vdm_memcpy(v, out[i], src, 8, 0));
		ns[i] = future_notifier{};
		ns[i].waker = {&wakes[i], wake};
		if (future_poll(FUTURE_AS_RUNNABLE(&fs[i]), &ns[i]) == FUTURE_STATE_IDLE && idle < 0)
			idle = i;
	}
	ASSERT_GE(idle, 0) << "the queue never filled";
	EXPECT_EQ(ns[idle].notifier_used, FUTURE_NOTIFIER_WAKER);
	EXPECT_NE(fs[idle].data.operation.padding, 0u);	// registered
	gate.store(1);
	for (int i = 0; i < 6; ++i)
		while (future_poll(FUTURE_AS_RUNNABLE(&fs[i]), &ns[i]) != FUTURE_STATE_COMPLETE)
			std::this_thread::yield();
	for (int i = 0; i < 6; ++i)
		EXPECT_STREQ(out[i], src);
	EXPECT_EQ(fs[idle].data.operation.padding, 0u);
	int after[6];
	for (int i = 0; i < 6; ++i)
		after[i] = wakes[i].load();
	// More traffic frees room many times: no completed future is woken.
	for (int k = 0; k < 50; ++k) {
		auto f = vdm_memcpy(v, out[0], src, 8, 0);
		FUTURE_BUSY_POLL(&f)
	}
	for (int i = 0; i < 6; ++i)
		EXPECT_EQ(wakes[i].load(), after[i]) << i;
}

// Caller help: a thread waiting in runtime_wait_multiple runs durable
// operations no worker has claimed. Checked on the mover's counters, with
// the workers held in a gated hook so nobody else can take the work.
namespace {

void *gated_memset(void *d, int c, std::size_t n, unsigned)
{
	gated_calls.fetch_add(1);
	while (gate.load(std::memory_order_acquire) == 0)
		std::this_thread::yield();
	return n ? std::memset(d, c, n) : d;
}

// Occupies every worker of `m` with a plain memset stuck in gated_memset.
std::vector<vdm_operation_future> block_workers(data_mover_threads *m, int nworkers,
	std::vector<char> &scratch)
{
	data_mover_threads_set_memset_fn(m, gated_memset);
	gate = 0;
	gated_calls = 0;
	scratch.assign(std::size_t(nworkers) * 64, 0);
	std::vector<vdm_operation_future> fs;
	for (int i = 0; i < nworkers; ++i) {
		fs.push_back(vdm_memset(data_mover_threads_get_vdm(m), scratch.data() + 64 * i, 7, 64, 0));
		future_poll(FUTURE_AS_RUNNABLE(&fs.back()), nullptr);
	}
	EXPECT_TRUE(pmem2::test::wait_for([&] { return gated_calls.load() == nworkers; }));
	return fs;
}

void release_workers(std::vector<vdm_operation_future> &fs)
{
	gate.store(1, std::memory_order_release);
	for (auto &f : fs)
		FUTURE_BUSY_POLL(&f)
}

} // namespace

TEST(ThreadsMoverRuntime, WaitingCallerRunsDurableOperationsNoWorkerTook)
{
	auto &mc = pmem2::masync::mover_stats();
	auto m = make_mover(2, 64, FUTURE_NOTIFIER_WAKER);
	pmem2::masync::set_split(m.get(), 256 * 1024, 64 * 1024);
	vdm *v = data_mover_threads_get_vdm(m.get());
	runtime *r = runtime_new();
	test_guard guard;
	const std::uint64_t flags = encode_request(1, 0, guard.gen.load());
	std::vector<char> scratch;
	auto blockers = block_workers(m.get(), 2, scratch);

	// Several small operations: started in the first pass, then claimed by
	// the waiting caller since both workers are busy.
	constexpr int n = 6;
	constexpr std::size_t sz = 4096 + 33;
	auto src = pattern<unsigned char>(sz, 11);
	std::vector<std::vector<unsigned char>> dst(n, std::vector<unsigned char>(sz));
	std::vector<vdm_operation_future> fs;
	std::vector<future *> ptrs;
	fs.reserve(n);
	for (int i = 0; i < n; ++i) {
		fs.push_back(vdm_memcpy(v, dst[i].data(), src.data(), sz, flags));
		durable::set_guard(fs.back().data.operation, &guard);
		ptrs.push_back(&fs.back().base);
	}
	std::uint64_t ops0 = mc.caller_ops.load(), chunks0 = mc.caller_chunks.load();
	runtime_wait_multiple(r, ptrs.data(), n);
	EXPECT_EQ(mc.caller_ops.load() - ops0, std::uint64_t(n));
	EXPECT_EQ(mc.caller_chunks.load() - chunks0, std::uint64_t(n));
	for (int i = 0; i < n; ++i) {
		EXPECT_EQ(fs[i].output.result, VDM_SUCCESS);
		EXPECT_EQ(std::memcmp(dst[i].data(), src.data(), sz), 0) << i;
	}

	// A split operation: the caller runs every chunk.
	constexpr std::size_t big = 512 * 1024 + 5;
	auto bsrc = pattern<unsigned char>(big, 12);
	std::vector<unsigned char> bdst(big);
	auto b = vdm_memcpy(v, bdst.data(), bsrc.data(), big, flags);
	durable::set_guard(b.data.operation, &guard);
	ops0 = mc.caller_ops.load();
	chunks0 = mc.caller_chunks.load();
	runtime_wait(r, &b.base);
	EXPECT_EQ(b.output.result, VDM_SUCCESS);
	EXPECT_EQ(std::memcmp(bdst.data(), bsrc.data(), big), 0);
	EXPECT_EQ(mc.caller_ops.load() - ops0, 1u);
	EXPECT_EQ(mc.caller_chunks.load() - chunks0, expected_chunks(bdst.data(), big, 64 * 1024));
	EXPECT_GE(mc.caller_chunks.load() - chunks0, pmem2::test::page() == 4096 ? 7u : 2u);	// about 8 shares of 64 KiB on 4 KiB pages

	// After the map is gone the caller writes nothing either.
	durable::guard_retire(&guard);
	std::vector<unsigned char> untouched(sz, 0x42);
	auto late = vdm_memcpy(v, untouched.data(), src.data(), sz, flags);
	durable::set_guard(late.data.operation, &guard);
	runtime_wait(r, &late.base);
	EXPECT_EQ(late.output.result, VDM_ERROR_JOB_CORRUPTED);
	EXPECT_TRUE(std::all_of(untouched.begin(), untouched.end(), [](unsigned char c) { return c == 0x42; }));
	EXPECT_EQ(guard.inflight.load(), 0u);

	release_workers(blockers);
	data_mover_threads_set_memset_fn(m.get(), nullptr);
	runtime_delete(r);
}

// A split operation of at most 64 KiB that the caller waits for alone:
// with every worker parked (waking one costs more than the copy) it is not
// split and the caller runs it whole at start; with a worker spinning, the
// caller claims chunks at once and that worker takes the rest.
TEST(ThreadsMoverRuntime, WaitingCallerRunsASmallSplitOperationWholeWhenEveryWorkerIsParked)
{
	auto &mc = pmem2::masync::mover_stats();
	auto m = make_mover(2, 16, FUTURE_NOTIFIER_WAKER);
	pmem2::masync::set_split(m.get(), 32 * 1024, 8 * 1024);
	vdm *v = data_mover_threads_get_vdm(m.get());
	runtime *r = runtime_new();
	test_guard guard;
	const std::uint64_t flags = encode_request(1, 0, guard.gen.load());
	constexpr std::size_t sz = 64 * 1024;
	auto src = pattern<unsigned char>(sz, 21);
	std::vector<unsigned char> dst(sz);
	if (pmem2::test::page() > 32 * 1024)	// chunks of a page or more: 64 KiB is not two
		GTEST_SKIP() << "skipped: with " << pmem2::test::page() << "-byte pages a 64 KiB operation is never split";
	ASSERT_GE(expected_chunks(dst.data(), sz, 8 * 1024), 2u);	// would be split
	ASSERT_TRUE(pmem2::test::wait_for([&] { return pmem2::masync::parked_workers(m.get()) == 2; }));
	const std::uint64_t ops0 = mc.caller_ops.load(), chunks0 = mc.caller_chunks.load(),
		wc0 = mc.worker_split_chunks.load();
	auto f = vdm_memcpy(v, dst.data(), src.data(), sz, flags);
	durable::set_guard(f.data.operation, &guard);
	runtime_wait(r, &f.base);
	EXPECT_EQ(f.output.result, VDM_SUCCESS);
	EXPECT_EQ(std::memcmp(dst.data(), src.data(), sz), 0);
	EXPECT_EQ(mc.caller_ops.load() - ops0, 1u);
	EXPECT_EQ(mc.caller_chunks.load() - chunks0, 1u);	// one chunk: the whole operation
	EXPECT_EQ(mc.worker_split_chunks.load(), wc0);
	EXPECT_EQ(pmem2::masync::parked_workers(m.get()), 2u);	// nobody was woken
	EXPECT_EQ(guard.inflight.load(), 0u);
	runtime_delete(r);
}

TEST(ThreadsMoverRuntime, WaitingCallerSharesASmallSplitOperationWithASpinningWorker)
{
	auto &mc = pmem2::masync::mover_stats();
	pmem2::masync::set_worker_spin(60'000'000'000);	// the first idle worker spins on
	auto m = make_mover(2, 16, FUTURE_NOTIFIER_WAKER);
	pmem2::masync::set_split(m.get(), 32 * 1024, 8 * 1024);
	vdm *v = data_mover_threads_get_vdm(m.get());
	runtime *r = runtime_new();
	test_guard guard;
	const std::uint64_t flags = encode_request(1, 0, guard.gen.load());
	constexpr std::size_t sz = 64 * 1024;
	auto src = pattern<unsigned char>(sz, 22);
	std::vector<unsigned char> dst(sz);
	if (pmem2::test::page() > 32 * 1024)	// chunks of a page or more: 64 KiB is not two
		GTEST_SKIP() << "skipped: with " << pmem2::test::page() << "-byte pages a 64 KiB operation is never split";
	const std::uint32_t n = expected_chunks(dst.data(), sz, 8 * 1024);
	ASSERT_GE(n, 2u);
	ASSERT_TRUE(pmem2::test::wait_for([&] {
		return pmem2::masync::worker_spinning(m.get()) &&
			pmem2::masync::parked_workers(m.get()) == 1;
	}));
	const std::uint64_t ops0 = mc.caller_ops.load(), chunks0 = mc.caller_chunks.load(),
		wc0 = mc.worker_split_chunks.load();
	auto f = vdm_memcpy(v, dst.data(), src.data(), sz, flags);
	durable::set_guard(f.data.operation, &guard);
	runtime_wait(r, &f.base);
	EXPECT_EQ(f.output.result, VDM_SUCCESS);
	EXPECT_EQ(std::memcmp(dst.data(), src.data(), sz), 0);
	// Split, and claimed by the caller from the start next to the spinner:
	// every chunk ran once, by either (who wins each claim is timing).
	const std::uint64_t by_caller = mc.caller_chunks.load() - chunks0;
	EXPECT_EQ(mc.caller_ops.load() - ops0, 1u);
	EXPECT_EQ(by_caller + (mc.worker_split_chunks.load() - wc0), n);
	EXPECT_EQ(guard.inflight.load(), 0u);
	pmem2::masync::set_worker_spin(-1);
	m.reset();	// joins the spinner before the next test
	runtime_delete(r);
}

TEST(ThreadsMoverRuntime, CallerHelpLeavesPlainHookedAndPageOperationsToWorkers)
{
	auto &mc = pmem2::masync::mover_stats();
	auto m = make_mover(1, 16, FUTURE_NOTIFIER_WAKER);
	vdm *v = data_mover_threads_get_vdm(m.get());
	runtime *r = runtime_new();
	test_guard guard;
	char a[16] = "plain", b[16] = {}, c[16] = {};
	std::uint64_t ops0 = mc.caller_ops.load();
	// A plain operation and a durable one with a user hook: never run by
	// the waiting caller.
	auto f = vdm_memcpy(v, b, a, 6, 0);
	runtime_wait(r, &f.base);
	data_mover_threads_set_memcpy_fn(m.get(), count_memcpy);
	auto h = vdm_memcpy(v, c, a, 6, encode_request(1, 0, guard.gen.load()));
	durable::set_guard(h.data.operation, &guard);
	runtime_wait(r, &h.base);
	data_mover_threads_set_memcpy_fn(m.get(), nullptr);
	EXPECT_STREQ(b, "plain");
	EXPECT_STREQ(c, "plain");
	EXPECT_EQ(mc.caller_ops.load(), ops0);
	// PAGE operations end in msync: always a worker's job, never the
	// waiting caller's, even a small one waited for alone.
	char pg[16] = {};
	auto p = vdm_memcpy(v, pg, a, 6, encode_request(2, 0, guard.gen.load()));
	durable::set_guard(p.data.operation, &guard);
	runtime_wait(r, &p.base);
	EXPECT_EQ(p.output.result, VDM_SUCCESS);
	EXPECT_STREQ(pg, "plain");
	EXPECT_EQ(mc.caller_ops.load(), ops0);
	// Busy polling outside a runtime wait never helps either.
	auto d = vdm_memcpy(v, b, a, 6, encode_request(1, 0, guard.gen.load()));
	durable::set_guard(d.data.operation, &guard);
	FUTURE_BUSY_POLL(&d)
	EXPECT_EQ(mc.caller_ops.load(), ops0);
	runtime_delete(r);
}

// Waiting callers and workers race for the same operations, small, large
// and split, from several threads.
TEST(ThreadsMoverRuntime, CallersAndWorkersShareDurableOperations)
{
	auto m = make_mover(2, 8, FUTURE_NOTIFIER_WAKER);
	pmem2::masync::set_split(m.get(), 128 * 1024, 32 * 1024);
	vdm *v = data_mover_threads_get_vdm(m.get());
	test_guard guard;
	const std::uint64_t flags = encode_request(1, 0, guard.gen.load());
	std::atomic<int> bad{0};
	std::vector<std::thread> ts;
	for (int t = 0; t < 3; ++t) {
		ts.emplace_back([&, t] {
			runtime *r = runtime_new();
			const std::size_t sizes[4] = {64, 4096, 100 * 1024, 200 * 1024};
			std::vector<std::vector<unsigned char>> src, dst;
			for (int i = 0; i < 4; ++i) {
				src.push_back(pattern<unsigned char>(sizes[i], 50 + 4 * t + i));
				dst.emplace_back(sizes[i]);
			}
			for (int round = 0; round < 60; ++round) {
				std::vector<vdm_operation_future> fs;
				std::vector<future *> ptrs;
				fs.reserve(4);
				int k = 1 + round % 4;
				for (int i = 0; i < k; ++i) {
					std::fill(dst[i].begin(), dst[i].end(), 0);
					fs.push_back(vdm_memcpy(v, dst[i].data(), src[i].data(), sizes[i], flags));
					durable::set_guard(fs.back().data.operation, &guard);
					ptrs.push_back(&fs.back().base);
				}
				runtime_wait_multiple(r, ptrs.data(), ptrs.size());
				for (int i = 0; i < k; ++i)
					if (fs[i].output.result != VDM_SUCCESS ||
					    std::memcmp(dst[i].data(), src[i].data(), sizes[i]) != 0)
						bad.fetch_add(1);
			}
			runtime_delete(r);
		});
	}
	for (auto &t : ts)
		t.join();
	EXPECT_EQ(bad.load(), 0);
	EXPECT_EQ(guard.inflight.load(), 0u);
}
