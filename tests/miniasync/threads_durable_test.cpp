// Durable operations on the threads mover (src/miniasync/guard_gate.hpp,
// src/durable/run.hpp): copies inside the map's guard and failing after its
// retire, retire waiting for them, page syncs and fences on the workers,
// failed page syncs failing the operation.
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
std::atomic<int> checked_syncs{0}, plain_syncs{0};
std::atomic<int> fail_sync_at{-1};	// the Nth checked sync from 0 fails, -1: none

int failing_page_sync(const void *, std::size_t)
{
	int n = checked_syncs.fetch_add(1);
	return n == fail_sync_at.load() ? -EIO : 0;
}
void counting_page_sync(const void *, std::size_t) { plain_syncs.fetch_add(1); }
} // namespace

// PAGE operations collect the page sync's error (page_sync_errors) and
// complete with VDM_ERROR_JOB_CORRUPTED; the sync API's page_sync() keeps
// calling the installed function, which has no error channel.
TEST(ThreadsMover, FailedPageSyncFailsTheOperation)
{
	namespace memops = pmem2::memops;
	memops::set_page_sync_checked(&failing_page_sync);
	memops::set_page_sync(&counting_page_sync);
	auto m = make_mover(2, 16, FUTURE_NOTIFIER_WAKER);
	pmem2::masync::set_split(m.get(), 64 * 1024, 16 * 1024);
	vdm *v = data_mover_threads_get_vdm(m.get());
	runtime *r = runtime_new();
	test_guard guard;
	const std::uint64_t page = encode_request(2, 0, guard.gen.load());
	std::vector<unsigned char> dst(256 * 1024);
	auto src = pattern<unsigned char>(dst.size(), 13);

	for (std::size_t len : {std::size_t(4096), dst.size()}) {	// whole, then 16 chunks
		const int syncs = len == 4096 ? 1 : int(expected_chunks(dst.data(), len, 16 * 1024));
		for (int at : {-1, 0, syncs - 1}) {
			checked_syncs = 0;
			fail_sync_at = at;
			auto f = vdm_memcpy(v, dst.data(), src.data(), len, page);
			durable::set_guard(f.data.operation, &guard);
			runtime_wait(r, &f.base);
			EXPECT_EQ(f.output.result, at < 0 ? VDM_SUCCESS : VDM_ERROR_JOB_CORRUPTED)
				<< len << " " << at;
			EXPECT_EQ(checked_syncs.load(), syncs);
			EXPECT_EQ(std::memcmp(dst.data(), src.data(), len), 0);
		}
		checked_syncs = 0;
		fail_sync_at = 0;
		auto fl = vdm_flush(v, dst.data(), len, page);
		durable::set_guard(fl.data.operation, &guard);
		runtime_wait(r, &fl.base);
		EXPECT_EQ(fl.output.result, VDM_ERROR_JOB_CORRUPTED);
	}
	EXPECT_EQ(guard.inflight.load(), 0u);
	// CACHE_LINE operations never sync pages.
	checked_syncs = 0;
	auto cl = vdm_memcpy(v, dst.data(), src.data(), 4096, encode_request(1, 0, guard.gen.load()));
	durable::set_guard(cl.data.operation, &guard);
	runtime_wait(r, &cl.base);
	EXPECT_EQ(cl.output.result, VDM_SUCCESS);
	EXPECT_EQ(checked_syncs.load(), 0);

	// Outside a page_sync_errors scope the installed function runs; inside
	// one the checked one does and its first error is kept.
	plain_syncs = 0;
	checked_syncs = 0;
	memops::page_sync(dst.data(), 1);
	EXPECT_EQ(plain_syncs.load(), 1);
	EXPECT_EQ(checked_syncs.load(), 0);
	{
		fail_sync_at = 1;
		memops::page_sync_errors outer;
		memops::page_sync(dst.data(), 1);
		{
			memops::page_sync_errors inner;
			memops::page_sync(dst.data(), 1);	// fails: the inner scope's
			EXPECT_EQ(inner.error(), -EIO);
		}
		EXPECT_EQ(outer.error(), 0);
		EXPECT_EQ(memops::page_sync_checked(dst.data(), 1), 0);
	}
	EXPECT_EQ(plain_syncs.load(), 1);
	EXPECT_EQ(checked_syncs.load(), 3);
	runtime_delete(r);
	memops::set_page_sync(nullptr);
	memops::set_page_sync_checked(nullptr);
	// The default reports success for a mapped range, and none of ours
	// ran.
	checked_syncs = 0;
	EXPECT_EQ(memops::page_sync_checked(dst.data(), dst.size()), 0);
	EXPECT_EQ(checked_syncs.load(), 0);
}


class ThreadsMoverDurable : public ::testing::TestWithParam<int> {};

TEST_P(ThreadsMoverDurable, CopiesInsideTheGuardAndFailsAfterRetire)
{
	const int split = GetParam();
	auto m = make_mover(3, 16, FUTURE_NOTIFIER_WAKER);
	if (split)
		pmem2::masync::set_split(m.get(), 128 * 1024, 32 * 1024);
	vdm *v = data_mover_threads_get_vdm(m.get());
	runtime *r = runtime_new();
	test_guard guard;
	const std::uint32_t gen = guard.gen.load();
	constexpr std::size_t sz = 512 * 1024 + 77;
	auto src = pattern<unsigned char>(sz, 8);
	std::vector<unsigned char> dst(sz), dst2(sz, 0x42);

	for (unsigned g : {0u, 1u, 2u}) {	// byte, cache line, page granularity
		std::uint64_t flags = encode_request(g, 0, gen);
		std::fill(dst.begin(), dst.end(), 0);
		auto f = vdm_memcpy(v, dst.data(), src.data(), sz, flags);
		durable::set_guard(f.data.operation, &guard);
		runtime_wait(r, &f.base);
		EXPECT_EQ(f.output.result, VDM_SUCCESS) << g;
		EXPECT_EQ(std::memcmp(dst.data(), src.data(), sz), 0) << g;

		auto s = vdm_memset(v, dst.data(), 0x5e, sz, flags);
		durable::set_guard(s.data.operation, &guard);
		runtime_wait(r, &s.base);
		EXPECT_EQ(s.output.result, VDM_SUCCESS);
		EXPECT_EQ(dst[sz - 1], 0x5e);

		auto fl = vdm_flush(v, dst.data(), sz, flags);
		durable::set_guard(fl.data.operation, &guard);
		runtime_wait(r, &fl.base);
		EXPECT_EQ(fl.output.result, VDM_SUCCESS);
		EXPECT_EQ(guard.inflight.load(), 0u);
	}

	// A replaced hook runs, then the range is persisted; it sees VDM_F_* only.
	reset_hooks();
	data_mover_threads_set_memmove_fn(m.get(), count_memmove);
	auto mv = vdm_memmove(v, dst.data(), src.data(), sz,
		encode_request(1, 0, gen) | VDM_F_MEM_DURABLE);
	durable::set_guard(mv.data.operation, &guard);
	runtime_wait(r, &mv.base);
	EXPECT_EQ(mv.output.result, VDM_SUCCESS);
	EXPECT_GE(hook_calls.load(), 1);
	EXPECT_EQ(hook_flags.load(), VDM_F_MEM_DURABLE);
	EXPECT_EQ(std::memcmp(dst.data(), src.data(), sz), 0);
	data_mover_threads_set_memmove_fn(m.get(), nullptr);

	// Created before the map goes away, polled after: nothing is written.
	auto late = vdm_memcpy(v, dst2.data(), src.data(), sz, encode_request(1, 0, gen));
	durable::set_guard(late.data.operation, &guard);
	durable::guard_retire(&guard);
	EXPECT_NE(guard.gen.load(), gen);
	runtime_wait(r, &late.base);
	EXPECT_EQ(late.output.result, VDM_ERROR_JOB_CORRUPTED);
	EXPECT_EQ(late.output.type, VDM_OPERATION_MEMCPY);
	EXPECT_TRUE(std::all_of(dst2.begin(), dst2.end(), [](unsigned char c) { return c == 0x42; }));
	EXPECT_EQ(guard.inflight.load(), 0u);

	auto late_set = vdm_memset(v, dst2.data(), 0, sz, encode_request(1, 0, gen));
	durable::set_guard(late_set.data.operation, &guard);
	runtime_wait(r, &late_set.base);
	EXPECT_EQ(late_set.output.result, VDM_ERROR_JOB_CORRUPTED);
	EXPECT_EQ(dst2[0], 0x42);
	runtime_delete(r);
}

INSTANTIATE_TEST_SUITE_P(Split, ThreadsMoverDurable, ::testing::Values(0, 1),
	[](const ::testing::TestParamInfo<int> &i) { return i.param ? "split" : "whole"; });

TEST(ThreadsMover, RetireWaitsForOperationsInsideTheGuard)
{
	auto m = make_mover(2, 16, FUTURE_NOTIFIER_WAKER);
	vdm *v = data_mover_threads_get_vdm(m.get());
	test_guard guard;
	const std::uint32_t gen = guard.gen.load();
	constexpr std::size_t sz = 8 * 1024 * 1024;
	auto src = pattern<unsigned char>(sz, 9);
	std::vector<unsigned char> dst(sz);
	std::vector<vdm_operation_future> fs;
	for (int i = 0; i < 8; ++i) {
		fs.push_back(vdm_memcpy(v, dst.data(), src.data(), sz, encode_request(1, 0, gen)));
		durable::set_guard(fs.back().data.operation, &guard);
		future_poll(FUTURE_AS_RUNNABLE(&fs.back()), nullptr);
	}
	durable::guard_retire(&guard);	// returns once no operation is inside
	// Nothing may write after that: the operations that got in are done,
	// and the rest fail without writing. (The count itself may still show
	// an operation that is just being turned away: it enters, sees the
	// generation changed and leaves.) A marker written now must survive.
	std::memset(dst.data(), 0xEE, sz);
	int ok = 0, failed = 0;
	for (auto &f : fs) {
		FUTURE_BUSY_POLL(&f)
		ok += f.output.result == VDM_SUCCESS;
		failed += f.output.result == VDM_ERROR_JOB_CORRUPTED;
	}
	EXPECT_EQ(ok + failed, 8);
	EXPECT_EQ(guard.inflight.load(), 0u);
	EXPECT_EQ(std::count(dst.begin(), dst.end(), 0xEE), static_cast<std::ptrdiff_t>(sz))
		<< "an operation wrote after guard_retire returned";
}


namespace {

// Records what the durable kernels did, and on which thread.
struct persist_log final : pmem2::memops::recorder {
	struct event {
		char kind;	// 'f' flush line, 'n' NT store, 's' fence, 'p' page sync
		std::uintptr_t lo, hi;
		std::thread::id tid;
	};
	std::mutex mtx;
	std::vector<event> events;
	void add(char k, const void *p, std::size_t n)
	{
		std::lock_guard lk(mtx);
		auto a = reinterpret_cast<std::uintptr_t>(p);
		events.push_back({k, a, a + n, std::this_thread::get_id()});
	}
	void on_flush(const void *line) noexcept override { add('f', line, 64); }
	void on_nt_store(const void *d, std::size_t n) noexcept override { add('n', d, n); }
	void on_fence() noexcept override { add('s', nullptr, 0); }
	void on_page_sync(const void *p, std::size_t n) noexcept override { add('p', p, n); }
};

} // namespace

TEST(ThreadsMover, DurableOperationsPersistOnTheWorkers)
{
	for (int split = 0; split < 2; ++split) {
		auto m = make_mover(3, 16, FUTURE_NOTIFIER_WAKER);
		if (split)
			pmem2::masync::set_split(m.get(), 64 * 1024, 16 * 1024);
		vdm *v = data_mover_threads_get_vdm(m.get());
		test_guard guard;
		constexpr std::size_t sz = 256 * 1024 + 100;
		auto src = pattern<unsigned char>(sz, 10);
		std::vector<unsigned char> dst(sz + 64);
		unsigned char *d = dst.data() + 3;	// unaligned head and tail

		persist_log log;
		pmem2::memops::set_recorder(&log);
		pmem2::memops::redispatch(pmem2::memops::options_from_env());
		auto f = vdm_memcpy(v, d, src.data(), sz, encode_request(1, 0, guard.gen.load()));
		durable::set_guard(f.data.operation, &guard);
		FUTURE_BUSY_POLL(&f)
		pmem2::memops::set_recorder(nullptr);
		pmem2::memops::redispatch(pmem2::memops::options_from_env());

		EXPECT_EQ(f.output.result, VDM_SUCCESS);
		EXPECT_EQ(std::memcmp(d, src.data(), sz), 0);
		// Every line of the destination was flushed or written around the
		// cache, and each thread that did so fenced afterwards; where the
		// CPU cannot write back lines (CACHE_LINE is then the page sync),
		// every line was synced instead, by the workers too.
		const bool lines = pmem2::memops::can_write_back_lines();
		const auto lo = reinterpret_cast<std::uintptr_t>(d) & ~std::uintptr_t(63);
		const auto hi = reinterpret_cast<std::uintptr_t>(d) + sz;
		std::vector<bool> covered((hi - lo + 63) / 64);
		std::set<std::thread::id> writers, fenced_after;
		for (auto &e : log.events) {
			EXPECT_NE(e.tid, std::this_thread::get_id());	// workers only
			EXPECT_TRUE(lines || e.kind == 'p' || e.kind == 's') << e.kind;
			if (e.kind == 'f' || e.kind == 'n' || (!lines && e.kind == 'p')) {
				writers.insert(e.tid);
				fenced_after.erase(e.tid);
				for (auto a = std::max(e.lo, lo) & ~std::uintptr_t(63); a < std::min(e.hi, hi); a += 64)
					covered[(a - lo) / 64] = true;
			} else if (e.kind == 's') {
				fenced_after.insert(e.tid);
			}
		}
		EXPECT_TRUE(std::all_of(covered.begin(), covered.end(), [](bool b) { return b; }));
		EXPECT_FALSE(writers.empty());
		if (!lines)
			continue;	// a page sync is complete when it returns: no fence
		for (auto &t : writers)
			EXPECT_TRUE(fenced_after.count(t)) << "a writer did not fence last";
		// Split: each chunk fences its own stores.
		auto fences = std::count_if(log.events.begin(), log.events.end(),
			[](const persist_log::event &e) { return e.kind == 's'; });
		EXPECT_GE(fences, split ? std::ptrdiff_t(expected_chunks(d, sz, 16 * 1024)) : 1);
	}
}
