// The threads mover: arguments, notifiers, hooks, queue pressure, deletion
// with work in flight, split operations and durable (guarded) operations.
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
#include "support/bytes.hpp"
#include "support/futures.hpp"
#include "support/wait.hpp"

namespace durable = pmem2::durable;

extern "C" int miniasync_private_durable_mover(const struct vdm *v);

namespace {

using pmem2::test::pattern;

// A guard as libpmem2 makes them: its services are libpmem2's.
struct test_guard : pmem2::durable::map_guard {
	test_guard() { svc = &pmem2::durable::pmem2_services(); }
};

// A durable request in an operation's flags.
std::uint64_t encode_request(unsigned granularity, unsigned hints, std::uint32_t gen)
{
	return pmem2::durable::pack({gen, granularity, hints});
}

struct mover_deleter {
	void operator()(data_mover_threads *d) const { data_mover_threads_delete(d); }
};
using mover_ptr = std::unique_ptr<data_mover_threads, mover_deleter>;

mover_ptr make_mover(std::size_t n, std::size_t ring, future_notifier_type t)
{
	return mover_ptr(data_mover_threads_new(n, ring, t));
}

} // namespace

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

namespace {

std::atomic<int> hook_calls{0};
std::atomic<unsigned> hook_flags{0};
std::atomic<std::size_t> hook_bytes{0};
std::mutex hook_mtx;
std::set<std::thread::id> hook_threads;
struct hook_range {
	std::uintptr_t dest;
	std::size_t n;
	std::thread::id tid;
};
std::vector<hook_range> hook_ranges;	// every call, in any order

void note_hook(void *d, std::size_t n, unsigned flags)
{
	hook_calls.fetch_add(1);
	hook_flags.store(flags);
	hook_bytes.fetch_add(n);
	std::lock_guard lk(hook_mtx);
	hook_threads.insert(std::this_thread::get_id());
	hook_ranges.push_back({reinterpret_cast<std::uintptr_t>(d), n, std::this_thread::get_id()});
}

void *count_memcpy(void *d, const void *s, std::size_t n, unsigned flags)
{
	note_hook(d, n, flags);
	return n ? std::memcpy(d, s, n) : d;
}
void *count_memmove(void *d, const void *s, std::size_t n, unsigned flags)
{
	note_hook(d, n, flags);
	return n ? std::memmove(d, s, n) : d;
}
void *count_memset(void *d, int c, std::size_t n, unsigned flags)
{
	note_hook(d, n, flags);
	return n ? std::memset(d, c, n) : d;
}

void reset_hooks()
{
	hook_calls = 0;
	hook_flags = 0;
	hook_bytes = 0;
	std::lock_guard lk(hook_mtx);
	hook_threads.clear();
	hook_ranges.clear();
}

// The split rule, written out independently of the mover: shares of about
// min_chunk bytes (at most 64), each rounded up to whole 4 KiB pages
// counted from the page that holds the destination.
std::uint32_t expected_chunks(const void *dest, std::size_t len, std::size_t min_chunk)
{
	std::size_t k = std::min<std::size_t>(len / min_chunk, 64);
	std::size_t span = len + (reinterpret_cast<std::uintptr_t>(dest) % 4096);
	std::size_t cs = ((span + k - 1) / k + 4095) / 4096 * 4096;
	return std::uint32_t((span + cs - 1) / cs);
}

// The hook calls tile [dest, dest + len) exactly, and every boundary
// between two of them is a 4 KiB-aligned address.
void expect_aligned_tiling(const void *dest, std::size_t len)
{
	std::lock_guard lk(hook_mtx);
	auto r = hook_ranges;
	std::sort(r.begin(), r.end(), [](auto &a, auto &b) { return a.dest < b.dest; });
	auto at = reinterpret_cast<std::uintptr_t>(dest);
	ASSERT_FALSE(r.empty());
	for (std::size_t i = 0; i < r.size(); ++i) {
		EXPECT_EQ(r[i].dest, at) << "chunk " << i;
		if (i != 0) {
			EXPECT_EQ(r[i].dest % 4096, 0u) << "chunk " << i;
		}
		EXPECT_GT(r[i].n, 0u);
		at = r[i].dest + r[i].n;
	}
	EXPECT_EQ(at, reinterpret_cast<std::uintptr_t>(dest) + len);
}

} // namespace

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
	EXPECT_EQ(guard.inflight.load(), 0u);
	int ok = 0, failed = 0;
	for (auto &f : fs) {
		FUTURE_BUSY_POLL(&f)
		ok += f.output.result == VDM_SUCCESS;
		failed += f.output.result == VDM_ERROR_JOB_CORRUPTED;
	}
	EXPECT_EQ(ok + failed, 8);
	if (ok > 0) {
		EXPECT_EQ(std::memcmp(dst.data(), src.data(), sz), 0);
	}
}

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
		// cache, and each thread that did so fenced afterwards.
		const auto lo = reinterpret_cast<std::uintptr_t>(d) & ~std::uintptr_t(63);
		const auto hi = reinterpret_cast<std::uintptr_t>(d) + sz;
		std::vector<bool> covered((hi - lo + 63) / 64);
		std::set<std::thread::id> writers, fenced_after;
		for (auto &e : log.events) {
			EXPECT_NE(e.tid, std::this_thread::get_id());	// workers only
			if (e.kind == 'f' || e.kind == 'n') {
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
		for (auto &t : writers)
			EXPECT_TRUE(fenced_after.count(t)) << "a writer did not fence last";
		// Split: each chunk fences its own stores.
		auto fences = std::count_if(log.events.begin(), log.events.end(),
			[](const persist_log::event &e) { return e.kind == 's'; });
		EXPECT_GE(fences, split ? std::ptrdiff_t(expected_chunks(d, sz, 16 * 1024)) : 1);
	}
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
	EXPECT_GE(mc.caller_chunks.load() - chunks0, 7u);	// about 8 shares of 64 KiB

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
