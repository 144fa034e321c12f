// The threads mover (src/miniasync/data_mover_threads.cpp, op_slots,
// worker_pool, hooks): arguments, notifiers, hooks, queue of one slot,
// deletion with work in flight, worker creation failure, many submitters.
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

TEST(ThreadsMover, RejectsInvalidArguments)
{
	EXPECT_EQ(data_mover_threads_new(0, 128, FUTURE_NOTIFIER_WAKER), nullptr);
	EXPECT_EQ(data_mover_threads_new(2, 0, FUTURE_NOTIFIER_WAKER), nullptr);
	EXPECT_EQ(data_mover_threads_new(2, 3, FUTURE_NOTIFIER_WAKER), nullptr);
	EXPECT_EQ(data_mover_threads_new(2, 96, FUTURE_NOTIFIER_WAKER), nullptr);
	EXPECT_EQ(data_mover_threads_new(2, std::size_t(1) << 33, FUTURE_NOTIFIER_WAKER), nullptr);
	EXPECT_EQ(data_mover_threads_new(2, 8, static_cast<future_notifier_type>(3)), nullptr);
	data_mover_threads_delete(nullptr);
}

TEST(ThreadsMover, DefaultAndCapabilities)
{
	mover_ptr m(data_mover_threads_default());
	ASSERT_NE(m, nullptr);
	vdm *v = data_mover_threads_get_vdm(m.get());
	EXPECT_EQ(static_cast<void *>(v), static_cast<void *>(m.get()));
	// Recognised by identity, not by a capability bit (as the original: 0).
	EXPECT_NE(miniasync_private_durable_mover(v), 0);
	EXPECT_EQ(v->capabilities, 0u);
	struct vdm copy = *v;
	copy.op_check = nullptr;
	EXPECT_EQ(miniasync_private_durable_mover(&copy), 0);
	EXPECT_FALSE(vdm_is_supported(v, VDM_F_MEM_DURABLE));
	EXPECT_FALSE(vdm_is_supported(v, VDM_F_NO_CACHE_HINT));
	char a[4], b[4];
	auto f = vdm_memcpy(v, b, a, 4, 0);
	EXPECT_EQ(future_has_property(FUTURE_AS_RUNNABLE(&f), FUTURE_PROPERTY_ASYNC), 1);
	EXPECT_GE(pmem2::masync::pool_capacity(m.get()), 128u + 12u);
}

TEST(ThreadsMover, AllOperationTypesWithRuntime)
{
	auto m = make_mover(4, 64, FUTURE_NOTIFIER_WAKER);
	ASSERT_NE(m, nullptr);
	vdm *v = data_mover_threads_get_vdm(m.get());
	runtime *r = runtime_new();
	auto src = pattern<unsigned char>(4096, 1);
	std::vector<unsigned char> d1(4096), d2(4096), d3(4096), d4(4096, 7);
	auto f1 = vdm_memcpy(v, d1.data(), src.data(), 4096, 0);
	auto f2 = vdm_memmove(v, d2.data(), src.data(), 4000, 0);
	auto f3 = vdm_memset(v, d3.data(), 0x3c, 4096, 0);
	auto f4 = vdm_flush(v, d4.data(), 4096, 0);
	auto f5 = vdm_memcpy(v, nullptr, nullptr, 0, 0);
	future *futs[] = {&f1.base, &f2.base, &f3.base, &f4.base, &f5.base};
	runtime_wait_multiple(r, futs, 5);
	EXPECT_EQ(std::memcmp(d1.data(), src.data(), 4096), 0);
	EXPECT_EQ(std::memcmp(d2.data(), src.data(), 4000), 0);
	EXPECT_EQ(d2[4000], 0);
	EXPECT_TRUE(std::all_of(d3.begin(), d3.end(), [](unsigned char c) { return c == 0x3c; }));
	EXPECT_TRUE(std::all_of(d4.begin(), d4.end(), [](unsigned char c) { return c == 7; }));
	EXPECT_EQ(f1.output.type, VDM_OPERATION_MEMCPY);
	EXPECT_EQ(f1.output.result, VDM_SUCCESS);
	EXPECT_EQ(f1.output.output.memcpy.dest, d1.data());
	EXPECT_EQ(f2.output.output.memmove.dest, d2.data());
	EXPECT_EQ(f3.output.output.memset.str, d3.data());
	EXPECT_EQ(f4.output.type, VDM_OPERATION_FLUSH);
	EXPECT_EQ(f4.output.result, VDM_SUCCESS);
	EXPECT_EQ(f5.output.result, VDM_SUCCESS);
	runtime_delete(r);
}

namespace {

struct waker_probe {
	vdm_operation_future *fut;
	std::atomic<int> calls{0};
	std::atomic<int> saw_complete{0};
};

void probe_wake(void *data)
{
	auto *p = static_cast<waker_probe *>(data);
	// Completion is published before the waker runs.
	vdm *v = p->fut->data.vdm;
	if (v->op_check(p->fut->data.data, &p->fut->data.operation) == FUTURE_STATE_COMPLETE)
		p->saw_complete.fetch_add(1);
	p->calls.fetch_add(1);
}

} // namespace

TEST(ThreadsMover, WakerIsCalledAfterCompletionIsPublished)
{
	auto m = make_mover(2, 16, FUTURE_NOTIFIER_WAKER);
	vdm *v = data_mover_threads_get_vdm(m.get());
	auto src = pattern<unsigned char>(100000, 2);
	std::vector<unsigned char> dst(100000);
	for (int i = 0; i < 200; ++i) {
		auto f = vdm_memcpy(v, dst.data(), src.data(), 1 + i * 400, 0);
		waker_probe probe;
		probe.fut = &f;
		future_notifier n{};
		n.waker = {&probe, probe_wake};
		EXPECT_NE(future_poll(FUTURE_AS_RUNNABLE(&f), &n), FUTURE_STATE_IDLE);
		EXPECT_EQ(n.notifier_used, FUTURE_NOTIFIER_WAKER);
		ASSERT_TRUE(pmem2::test::wait_for([&] { return probe.calls.load() != 0; }));
		EXPECT_EQ(probe.saw_complete.load(), 1);
		EXPECT_EQ(future_poll(FUTURE_AS_RUNNABLE(&f), &n), FUTURE_STATE_COMPLETE);
		EXPECT_EQ(probe.calls.load(), 1);
	}
	EXPECT_EQ(std::memcmp(dst.data(), src.data(), 1 + 199 * 400), 0);
}

TEST(ThreadsMover, PollerNotifierPointsAtCompletionWord)
{
	auto m = make_mover(2, 16, FUTURE_NOTIFIER_POLLER);
	vdm *v = data_mover_threads_get_vdm(m.get());
	auto src = pattern<unsigned char>(65536, 3);
	std::vector<unsigned char> dst(65536);
	auto f = vdm_memcpy(v, dst.data(), src.data(), 65536, 0);
	future_notifier n{};
	future_state s = future_poll(FUTURE_AS_RUNNABLE(&f), &n);
	ASSERT_EQ(n.notifier_used, FUTURE_NOTIFIER_POLLER);
	ASSERT_NE(n.poller.ptr_to_monitor, nullptr);
	if (s != FUTURE_STATE_COMPLETE) {
		ASSERT_TRUE(pmem2::test::wait_for([&] {
			return __atomic_load_n(n.poller.ptr_to_monitor, __ATOMIC_ACQUIRE) != 0;
		}));
		EXPECT_EQ(future_poll(FUTURE_AS_RUNNABLE(&f), &n), FUTURE_STATE_COMPLETE);
	}
	EXPECT_EQ(std::memcmp(dst.data(), src.data(), 65536), 0);

	runtime *r = runtime_new();
	auto g = vdm_memset(v, dst.data(), 1, 65536, 0);
	runtime_wait(r, &g.base);
	EXPECT_EQ(dst[65535], 1);
	runtime_delete(r);
}

TEST(ThreadsMover, NoneNotifierAndNullNotifier)
{
	auto m = make_mover(2, 16, FUTURE_NOTIFIER_NONE);
	vdm *v = data_mover_threads_get_vdm(m.get());
	std::vector<unsigned char> dst(1000);
	auto f = vdm_memset(v, dst.data(), 9, 1000, 0);
	future_notifier n{};
	n.notifier_used = FUTURE_NOTIFIER_WAKER;
	future_poll(FUTURE_AS_RUNNABLE(&f), &n);
	EXPECT_EQ(n.notifier_used, FUTURE_NOTIFIER_NONE);
	FUTURE_BUSY_POLL(&f)
	EXPECT_EQ(dst[999], 9);
	runtime *r = runtime_new();
	auto g = vdm_memset(v, dst.data(), 8, 1000, 0);
	runtime_wait(r, &g.base);
	EXPECT_EQ(dst[0], 8);
	runtime_delete(r);
}

TEST(ThreadsMover, FutureMovedByValueWhileRunning)
{
	auto m = make_mover(1, 4, FUTURE_NOTIFIER_NONE);
	vdm *v = data_mover_threads_get_vdm(m.get());
	auto src = pattern<unsigned char>(1 << 20, 4);
	std::vector<unsigned char> dst(1 << 20);
	auto f = vdm_memcpy(v, dst.data(), src.data(), 1 << 20, 0);
	future_poll(FUTURE_AS_RUNNABLE(&f), nullptr);
	vdm_operation_future g;
	std::memcpy(&g, &f, sizeof(g));
	std::memset(&f, 0, sizeof(f));
	FUTURE_BUSY_POLL(&g)
	EXPECT_EQ(g.output.output.memcpy.dest, dst.data());
	EXPECT_EQ(std::memcmp(dst.data(), src.data(), 1 << 20), 0);
}

TEST(ThreadsMover, UnpolledFuturesHoldNoSlots)
{
	auto m = make_mover(2, 4, FUTURE_NOTIFIER_WAKER);
	vdm *v = data_mover_threads_get_vdm(m.get());
	std::size_t cap = pmem2::masync::pool_capacity(m.get());
	char a[8] = "1234567", b[8];
	for (std::size_t i = 0; i < 4 * cap; ++i) {
		auto f = vdm_memcpy(v, b, a, 8, 0);
		ASSERT_EQ(FUTURE_STATE(&f), FUTURE_STATE_IDLE);
	}
	// Every slot is still free: a full pool's worth of started operations.
	std::vector<vdm_operation_future> fs;
	fs.reserve(cap);
	std::vector<char> outs(cap * 8);
	for (std::size_t i = 0; i < cap; ++i)
		fs.push_back(vdm_memcpy(v, &outs[i * 8], a, 8, 0));
	std::size_t started = 0;
	for (auto &f : fs)	// the queue is small: poll until all start
		while (future_poll(FUTURE_AS_RUNNABLE(&f), nullptr) == FUTURE_STATE_IDLE)
			std::this_thread::yield();
	for (auto &f : fs) {
		FUTURE_BUSY_POLL(&f)
		started += f.output.result == VDM_SUCCESS;
	}
	EXPECT_EQ(started, cap);
	for (std::size_t i = 0; i < cap; ++i)
		ASSERT_STREQ(&outs[i * 8], "1234567");
}


TEST(ThreadsMover, HooksReceiveVdmFlagsAndNullRestoresDefault)
{
	auto m = make_mover(2, 8, FUTURE_NOTIFIER_WAKER);
	vdm *v = data_mover_threads_get_vdm(m.get());
	runtime *r = runtime_new();
	reset_hooks();
	data_mover_threads_set_memcpy_fn(m.get(), count_memcpy);
	data_mover_threads_set_memmove_fn(m.get(), count_memmove);
	data_mover_threads_set_memset_fn(m.get(), count_memset);
	char a[16] = "hooked", b[16] = {}, c[16] = {};
	auto f1 = vdm_memcpy(v, b, a, 7, VDM_F_NO_CACHE_HINT);
	runtime_wait(r, &f1.base);
	EXPECT_EQ(hook_calls.load(), 1);
	EXPECT_EQ(hook_flags.load(), VDM_F_NO_CACHE_HINT);
	EXPECT_STREQ(b, "hooked");
	auto f2 = vdm_memmove(v, c, b, 7, VDM_F_MEM_DURABLE);
	runtime_wait(r, &f2.base);
	EXPECT_EQ(hook_calls.load(), 2);
	EXPECT_EQ(hook_flags.load(), VDM_F_MEM_DURABLE);
	auto f3 = vdm_memset(v, c, 'z', 3, 0);
	runtime_wait(r, &f3.base);
	EXPECT_EQ(hook_calls.load(), 3);
	EXPECT_EQ(c[0], 'z');
	auto f4 = vdm_flush(v, c, 16, 0);	// no hook for flush
	runtime_wait(r, &f4.base);
	EXPECT_EQ(hook_calls.load(), 3);

	data_mover_threads_set_memcpy_fn(m.get(), nullptr);
	data_mover_threads_set_memmove_fn(m.get(), nullptr);
	data_mover_threads_set_memset_fn(m.get(), nullptr);
	auto f5 = vdm_memcpy(v, c, a, 7, 0);
	auto f6 = vdm_memset(v, b, 'y', 2, 0);
	future *fs[] = {&f5.base, &f6.base};
	runtime_wait_multiple(r, fs, 2);
	EXPECT_EQ(hook_calls.load(), 3);
	EXPECT_STREQ(c, "hooked");
	EXPECT_EQ(b[1], 'y');
	runtime_delete(r);
}

TEST(ThreadsMover, QueueOfOneSlot)
{
	for (auto type : {FUTURE_NOTIFIER_WAKER, FUTURE_NOTIFIER_NONE, FUTURE_NOTIFIER_POLLER}) {
		auto m = make_mover(1, 1, type);
		ASSERT_NE(m, nullptr);
		vdm *v = data_mover_threads_get_vdm(m.get());
		runtime *r = runtime_new();
		constexpr int n = 200;
		auto src = pattern<unsigned char>(n * 512, 5);
		std::vector<unsigned char> dst(n * 512);
		std::vector<vdm_operation_future> fs;
		fs.reserve(n);
		std::vector<future *> ptrs;
		for (int i = 0; i < n; ++i) {
			fs.push_back(vdm_memcpy(v, dst.data() + i * 512, src.data() + i * 512, 512, 0));
			ptrs.push_back(&fs.back().base);
		}
		runtime_wait_multiple(r, ptrs.data(), n);
		EXPECT_EQ(std::memcmp(dst.data(), src.data(), n * 512), 0) << type;
		runtime_delete(r);
	}
}

TEST(ThreadsMover, DeleteFinishesStartedOperationsAndTheirWakers)
{
	for (int round = 0; round < 5; ++round) {
		auto m = make_mover(3, 64, FUTURE_NOTIFIER_WAKER);
		vdm *v = data_mover_threads_get_vdm(m.get());
		constexpr int n = 100;
		constexpr std::size_t sz = 64 * 1024;
		auto src = pattern<unsigned char>(sz, 6 + round);
		std::vector<std::vector<unsigned char>> dst(n, std::vector<unsigned char>(sz));
		std::vector<vdm_operation_future> fs;
		fs.reserve(n);
		// One counter per future: a future that found no room may be woken
		// once when room frees; a started one is woken when it completes.
		std::vector<std::atomic<int>> wakes(n);
		auto wake = [](void *d) { static_cast<std::atomic<int> *>(d)->fetch_add(1); };
		int started = 0;
		std::vector<bool> was_started(n);
		for (int i = 0; i < n; ++i) {
			fs.push_back(vdm_memcpy(v, dst[i].data(), src.data(), sz, 0));
			future_notifier nt{};
			nt.waker = {&wakes[i], wake};
			future_state s = future_poll(FUTURE_AS_RUNNABLE(&fs.back()), &nt);
			EXPECT_EQ(nt.notifier_used, FUTURE_NOTIFIER_WAKER);
			was_started[i] = s != FUTURE_STATE_IDLE;
			started += was_started[i];
		}
		m.reset();	// delete with work in flight
		EXPECT_GT(started, 0);
		for (int i = 0; i < n; ++i) {
			if (was_started[i]) {
				// Plus at most one early "room freed" wake that raced
				// with its successful retry (spurious wakes are allowed).
				EXPECT_GE(wakes[i].load(), 1) << i;
				EXPECT_LE(wakes[i].load(), 2) << i;
				EXPECT_EQ(std::memcmp(dst[i].data(), src.data(), sz), 0) << i;
			} else {
				EXPECT_LE(wakes[i].load(), 1) << i;
			}
		}
	}
}

TEST(ThreadsMover, ThreadCreationFailureUnwinds)
{
	pmem2::masync::fail_thread_create_at.store(3);
	EXPECT_EQ(data_mover_threads_new(5, 8, FUTURE_NOTIFIER_WAKER), nullptr);
	EXPECT_EQ(pmem2::masync::fail_thread_create_at.load(), 0);
	pmem2::masync::fail_thread_create_at.store(1);
	EXPECT_EQ(data_mover_threads_new(1, 8, FUTURE_NOTIFIER_WAKER), nullptr);
	auto m = make_mover(5, 8, FUTURE_NOTIFIER_WAKER);
	ASSERT_NE(m, nullptr);
	char a[4] = "ok", b[4] = {};
	auto f = vdm_memcpy(data_mover_threads_get_vdm(m.get()), b, a, 3, 0);
	FUTURE_BUSY_POLL(&f)
	EXPECT_STREQ(b, "ok");
}


TEST(ThreadsMover, SubmissionFromManyThreads)
{
	auto m = make_mover(3, 8, FUTURE_NOTIFIER_WAKER);
	vdm *v = data_mover_threads_get_vdm(m.get());
	std::vector<std::thread> ts;
	std::atomic<int> bad{0};
	for (int t = 0; t < 4; ++t) {
		ts.emplace_back([&, t] {
			runtime *r = runtime_new();
			auto src = pattern<unsigned char>(8192, 100 + t);
			std::vector<unsigned char> dst(8192);
			for (int i = 0; i < 500; ++i) {
				std::size_t n = 1 + (i * 37) % 8192;
				auto f = vdm_memcpy(v, dst.data(), src.data(), n, 0);
				if (t % 2)
					runtime_wait(r, &f.base);
				else
					FUTURE_BUSY_POLL(&f)
				if (std::memcmp(dst.data(), src.data(), n) != 0)
					bad.fetch_add(1);
			}
			runtime_delete(r);
		});
	}
	for (auto &t : ts)
		t.join();
	EXPECT_EQ(bad.load(), 0);
}

// Durable (ext) operations: the guard decides whether anything is written.
