// Fault injection: mmap and msync failures, a mover's failed per-operation
// allocation, a full mover queue, failed worker creation, and slow or
// stalled workers. Each must give a documented error or a retry, leak
// nothing, corrupt nothing and leave the map usable; data that a future
// reported complete must be durable (checked with the persistence checker).
#define PMEM2_USE_MINIASYNC 1
#include <libpmem2.h>
#include <libminiasync.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "support/futures.hpp"
#include "support/mapped_file.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/stress.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include <sys/mman.h>

#include "check/checker.hpp"
#include "miniasync/internal.hpp"
#include "memops/memops.hpp"
#include "os/os.hpp"

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace {

using namespace pmem2::test;
namespace os = pmem2::os;
using namespace std::chrono_literals;

constexpr std::size_t map_size = 1 << 20;

// Mappings pmem2_map_new makes: the PROT_READ anonymous address-space
// reservation and the file's pages (sanitizer allocators map memory too,
// read-write, so they are not counted).
int mapping_count()
{
	std::ifstream f("/proc/self/maps");
	std::string line;
	int n = 0;
	while (std::getline(f, line)) {
		bool reservation = line.find(" r--p ") != std::string::npos &&
			line.find(" 00:00 0") != std::string::npos;
		if (reservation || line.find("pmem2-test-") != std::string::npos)
			++n;
	}
	return n;
}

// Writes a pattern with the async API and checks it is in memory and in
// the checker's durable image.
void expect_usable(mapped_file &mf, unsigned char seed)
{
	std::vector<unsigned char> src(8192);
	for (std::size_t i = 0; i < src.size(); ++i)
		src[i] = static_cast<unsigned char>(seed + i * 7);
	pmem2_future f = pmem2_memcpy_async(mf.map, mf.base + 4096, src.data(), src.size(), 0);
	ASSERT_EQ(wait_future(f), 0);
	EXPECT_EQ(std::memcmp(mf.base + 4096, src.data(), src.size()), 0);
	if (auto *c = pmem2::check::active()) {
		EXPECT_EQ(c->verify(mf.base + 4096, src.size(), "pmem2_memcpy_async"), "");
	}
}

class checked : public ::testing::Test {
protected:
	void SetUp() override { chk = &pmem2::check::install(); }
	void TearDown() override
	{
		os::clear_faults();
		chk->untrack_all();
		pmem2::check::uninstall();
	}
	pmem2::check::checker *chk = nullptr;
};

using MmapFault = checked;

// pmem2_map_new on a file calls mmap three times: the address-space
// reservation (skip 0), the source with MAP_SYNC (skip 1) and, when MAP_SYNC
// is refused with EINVAL/EOPNOTSUPP (always so off DAX), the source without
// it (skip 2).
TEST_F(MmapFault, EachErrnoAtEachMmapGivesItsDocumentedCodeAndLeavesNothingMapped)
{
	struct {
		int err;
		int reservation;	// result when the reservation fails
		int source;		// result when a source mmap fails
	} cases[] = {
		{ENOMEM, -ENOMEM, -ENOMEM},
		{EACCES, -EACCES, PMEM2_E_NO_ACCESS},
		{EEXIST, -EEXIST, PMEM2_E_MAPPING_EXISTS},
		{ENOTSUP, -ENOTSUP, PMEM2_E_NOSUPP},
		{ENODEV, -ENODEV, -ENODEV},
	};
	int before = mapping_count();
	for (auto c : cases) {
		for (unsigned skip = 0; skip < 3; ++skip) {
			for (int i = 0; i < 4; ++i) {
				os::fail_next(os::call::mmap, c.err, skip);
				mapped_file mf(map_size, PMEM2_GRANULARITY_PAGE);
				os::clear_faults();
				SCOPED_TRACE("errno " + std::to_string(c.err) + " at mmap " + std::to_string(skip));
				if (skip == 1 && c.err == ENOTSUP) {
					// MAP_SYNC refused: mapped without it.
					ASSERT_EQ(mf.err, 0);
					chk->track(mf.map);
					expect_usable(mf, 1);
					chk->untrack(mf.base);
					continue;
				}
				EXPECT_EQ(mf.map, nullptr);
				EXPECT_EQ(mf.err, skip == 0 ? c.reservation : c.source);
				EXPECT_NE(std::string(pmem2_errormsg()).find("mmap"), std::string::npos);
			}
		}
	}
	// 60 failed maps: a leaked reservation or mapping would add dozens.
	EXPECT_LE(mapping_count(), before + 1);
	mapped_file mf(map_size, PMEM2_GRANULARITY_CACHE_LINE);
	ASSERT_EQ(mf.err, 0);
	chk->track(mf.map);
	expect_usable(mf, 2);
}

using MsyncFault = checked;

TEST_F(MsyncFault, DeepFlushReportsTheErrorAndARetrySucceeds)
{
	mapped_file mf(map_size, PMEM2_GRANULARITY_PAGE);
	ASSERT_EQ(mf.err, 0);
	chk->track(mf.map);
	std::memset(mf.base, 0x5a, 3 * 4096);
	for (int err : {EIO, ENOSPC, EINVAL}) {
		os::fail_next(os::call::msync, err);
		EXPECT_EQ(pmem2_deep_flush(mf.map, mf.base, 3 * 4096), -err);
		EXPECT_NE(std::string(pmem2_errormsg()).find("msync"), std::string::npos);
	}
	// The failed deep flushes made nothing durable.
	EXPECT_NE(chk->verify(mf.base, 3 * 4096, "pmem2_deep_flush"), "");
	EXPECT_EQ(pmem2_deep_flush(mf.map, mf.base, 3 * 4096), 0);
	for (int i = 0; i < 3 * 4096; ++i)
		ASSERT_EQ(static_cast<unsigned char>(mf.base[i]), 0x5a) << i;
	expect_usable(mf, 3);
}

TEST(MsyncFaultDeath, PersistOfAPageMapStopsRatherThanClaimDurability)
{
	GTEST_FLAG_SET(death_test_style, "threadsafe");
	EXPECT_DEATH(
		{
			mapped_file mf(map_size, PMEM2_GRANULARITY_PAGE);
			if (mf.err != 0)
				std::exit(0);
			std::memset(mf.base, 1, 4096);
			os::fail_next(os::call::msync, EIO);
			pmem2_get_persist_fn(mf.map)(mf.base, 4096);
			std::exit(0);	// reached only if the failure was swallowed
		},
		"fatal: msync.*failed during persist");
}

// A worker's failed msync has an error channel, the future's result: the
// operation completes with -EIO (never as durable), the process goes on,
// and the next operation succeeds. The worker syncs through libpmem2's
// registry-aware page sync, installed with the first map, whose msync is
// the os layer's, where os::fail_next reaches it.
TEST_F(MsyncFault, ThreadsMoverCompletesTheOperationWithAnError)
{
	data_mover_threads *dmt = data_mover_threads_new(2, 16, FUTURE_NOTIFIER_WAKER);
	ASSERT_NE(dmt, nullptr);
	// Split at 64 KiB: a 256 KiB fill runs as 16 chunks, one msync each.
	pmem2::masync::set_split(dmt, 64 * 1024, 16 * 1024);
	{
		mapped_file mf(map_size, PMEM2_GRANULARITY_PAGE, data_mover_threads_get_vdm(dmt));
		ASSERT_EQ(mf.err, 0);
		chk->track(mf.map);
		for (int err : {EIO, ENOSPC, EINVAL}) {
			std::uint64_t calls = os::msync_calls();
			os::fail_next(os::call::msync, err);
			pmem2_future f = pmem2_memset_async(mf.map, mf.base, err, 4096, 0);
			EXPECT_EQ(wait_future(f), -EIO) << err;
			EXPECT_EQ(os::msync_calls() - calls, 1u);	// the failed one, on the worker
			EXPECT_EQ(mf.base[0], static_cast<char>(err));	// written, not durable
		}
		// One failed chunk of a split operation fails the whole operation.
		for (unsigned skip : {0u, 5u, 15u}) {
			os::fail_next(os::call::msync, EIO, skip);
			pmem2_future f = pmem2_memset_async(mf.map, mf.base, 0x3c, 256 * 1024, 0);
			EXPECT_EQ(wait_future(f), -EIO) << skip;
		}
		os::clear_faults();
		// The failed operations claimed no durability, but retrying them does.
		pmem2_future again = pmem2_memset_async(mf.map, mf.base, 0x3c, 256 * 1024, 0);
		EXPECT_EQ(wait_future(again), 0);
		EXPECT_EQ(chk->verify(mf.base, 256 * 1024, "pmem2_memset_async"), "");
		expect_usable(mf, 9);
	}
	data_mover_threads_delete(dmt);
}

// A mover whose per-operation state is allocated (as PMDK's movers do):
// the allocation can be made to fail.
struct alloc_vdm {
	vdm base;
	std::atomic<bool> fail{false};
	std::atomic<int> live{0};
	std::atomic<int> started{0};
};
struct alloc_op {
	char marker;
};

alloc_vdm *owner(vdm *v) { return reinterpret_cast<alloc_vdm *>(v); }

void *av_new(vdm *v, vdm_operation_type)
{
	alloc_vdm *a = owner(v);
	if (a->fail.load())
		return nullptr;
	a->live.fetch_add(1);
	return new alloc_op{};
}
int av_start(void *, const vdm_operation *op, future_notifier *n)
{
	if (n)
		n->notifier_used = FUTURE_NOTIFIER_NONE;
	if (op->type == VDM_OPERATION_MEMSET)
		std::memset(op->data.memset.str, op->data.memset.c, op->data.memset.n);
	else if (op->type == VDM_OPERATION_MEMCPY || op->type == VDM_OPERATION_MEMMOVE)
		std::memmove(op->data.memcpy.dest, op->data.memcpy.src, op->data.memcpy.n);
	return 0;
}
future_state av_check(void *, const vdm_operation *) { return FUTURE_STATE_COMPLETE; }
alloc_vdm *g_av = nullptr;
void av_delete(void *data, const vdm_operation *op, vdm_operation_output *out)
{
	out->type = op->type;
	out->result = VDM_SUCCESS;
	out->output.memcpy.dest = op->data.memcpy.dest;
	delete static_cast<alloc_op *>(data);
	g_av->live.fetch_sub(1);
}

using AllocFault = checked;

TEST_F(AllocFault, MoverOperationAllocationFailureIsEnomemAndWritesNothing)
{
	static alloc_vdm av{{av_new, av_delete, av_start, av_check, 0, nullptr}};
	g_av = &av;
	for (pmem2_granularity g : {PMEM2_GRANULARITY_CACHE_LINE, PMEM2_GRANULARITY_PAGE}) {
		mapped_file mf(map_size, g, &av.base);
		ASSERT_EQ(mf.err, 0);
		chk->track(mf.map);
		std::vector<char> src(10000, 'x');
		av.fail = true;
		for (int k = 0; k < 3; ++k) {
			pmem2_future f = k == 0 ? pmem2_memcpy_async(mf.map, mf.base, src.data(), src.size(), 0) :
				k == 1 ? pmem2_memmove_async(mf.map, mf.base, src.data(), src.size(), 0) :
				pmem2_memset_async(mf.map, mf.base, 'y', src.size(), 0);
			EXPECT_EQ(wait_future(f), -ENOMEM) << k;
		}
		for (std::size_t i = 0; i < src.size(); ++i)
			ASSERT_EQ(mf.base[i], 0) << "written despite the failure at " << i;
		EXPECT_EQ(av.live.load(), 0);
		av.fail = false;
		pmem2_future f = pmem2_memcpy_async(mf.map, mf.base, src.data(), src.size(), 0);
		EXPECT_EQ(wait_future(f), 0);
		EXPECT_EQ(std::memcmp(mf.base, src.data(), src.size()), 0);
		EXPECT_EQ(chk->verify(mf.base, src.size(), "pmem2_memcpy_async"), "");
		EXPECT_EQ(av.live.load(), 0);
		chk->untrack(mf.base);
	}
	g_av = nullptr;
}

// Worker hooks that can stall: a worker entering the hook waits until the
// gate opens.
struct gate {
	std::mutex m;
	std::condition_variable cv;
	bool open = true;
	int inside = 0;
	std::chrono::microseconds delay{0};
	void close()
	{
		std::lock_guard lk(m);
		open = false;
	}
	void release()
	{
		{
			std::lock_guard lk(m);
			open = true;
		}
		cv.notify_all();
	}
	void pass()
	{
		std::unique_lock lk(m);
		++inside;
		cv.notify_all();
		cv.wait(lk, [&] { return open; });
		--inside;
	}
	bool wait_inside(int n)
	{
		std::unique_lock lk(m);
		return cv.wait_for(lk, 10s, [&] { return inside >= n; });
	}
};
gate g_gate;

void *gated_memcpy(void *d, const void *s, std::size_t n, unsigned)
{
	g_gate.pass();
	if (g_gate.delay.count())
		std::this_thread::sleep_for(g_gate.delay);
	return std::memcpy(d, s, n);
}

struct mover_ptr {
	data_mover_threads *dmt;
	~mover_ptr() { data_mover_threads_delete(dmt); }
	vdm *v() const { return data_mover_threads_get_vdm(dmt); }
};

using QueueFault = checked;

TEST_F(QueueFault, FullQueueMakesFuturesRetryUntilRoomAndAllComplete)
{
	for (future_notifier_type nt : {FUTURE_NOTIFIER_WAKER, FUTURE_NOTIFIER_POLLER, FUTURE_NOTIFIER_NONE}) {
		mover_ptr m{data_mover_threads_new(1, 2, nt)};
		ASSERT_NE(m.dmt, nullptr);
		data_mover_threads_set_memcpy_fn(m.dmt, gated_memcpy);
		mapped_file mf(map_size, PMEM2_GRANULARITY_CACHE_LINE, m.v());
		ASSERT_EQ(mf.err, 0);
		chk->track(mf.map);
		constexpr std::size_t n = 24, sz = 4096 + 100;
		std::vector<std::vector<char>> src(n);
		std::vector<pmem2_future> f(n);
		g_gate.close();
		for (std::size_t i = 0; i < n; ++i) {
			src[i].assign(sz, static_cast<char>('a' + i));
			f[i] = pmem2_memcpy_async(mf.map, mf.base + i * 8192, src[i].data(), sz, 0);
		}
		// Poll every future once: the single worker stalls in the first,
		// the queue of 2 fills, the rest find no room and stay pending.
		std::vector<future_state> st(n);
		for (std::size_t i = 0; i < n; ++i)
			st[i] = future_poll(FUTURE_AS_RUNNABLE(&f[i]), nullptr);
		ASSERT_TRUE(g_gate.wait_inside(1));
		std::size_t done = 0;
		for (std::size_t i = 0; i < n; ++i)
			done += st[i] == FUTURE_STATE_COMPLETE;
		EXPECT_EQ(done, 0u);
		// Retried polls do not complete or corrupt anything while stalled.
		for (std::size_t i = 0; i < n; ++i)
			EXPECT_NE(future_poll(FUTURE_AS_RUNNABLE(&f[i]), nullptr), FUTURE_STATE_COMPLETE);
		for (std::size_t i = 3; i < n; ++i)
			EXPECT_EQ(mf.base[i * 8192], 0) << i;
		g_gate.release();
		std::vector<future *> all(n);
		for (std::size_t i = 0; i < n; ++i)
			all[i] = FUTURE_AS_RUNNABLE(&f[i]);
		runtime *rt = runtime_new();
		runtime_wait_multiple(rt, all.data(), n);
		runtime_delete(rt);
		for (std::size_t i = 0; i < n; ++i) {
			EXPECT_EQ(FUTURE_OUTPUT(&f[i])->result, 0) << i;
			EXPECT_EQ(std::memcmp(mf.base + i * 8192, src[i].data(), sz), 0) << i;
			EXPECT_EQ(chk->verify(mf.base + i * 8192, sz, "pmem2_memcpy_async"), "") << i;
		}
		expect_usable(mf, 4);
		chk->untrack(mf.base);
	}
}

using ThreadFault = checked;

TEST_F(ThreadFault, FailedWorkerCreationReturnsNullAndLeaksNoThread)
{
	int before = thread_count();
	for (int k = 1; k <= 4; ++k) {
		pmem2::masync::fail_thread_create_at.store(k);
		EXPECT_EQ(data_mover_threads_new(4, 16, FUTURE_NOTIFIER_WAKER), nullptr) << k;
		EXPECT_EQ(pmem2::masync::fail_thread_create_at.load(), 0);
		// A joined thread's task leaves /proc/self/task a moment after
		// pthread_join returns: allow it that moment, not longer.
		for (int i = 0; i < 2000 && thread_count() != before; ++i)
			std::this_thread::sleep_for(std::chrono::milliseconds(1));
		EXPECT_EQ(thread_count(), before) << "workers of the failed mover still run (" << k << ")";
	}
	// A failure beyond the workers it needs leaves creation unaffected.
	pmem2::masync::fail_thread_create_at.store(5);
	mover_ptr m{data_mover_threads_new(4, 16, FUTURE_NOTIFIER_WAKER)};
	ASSERT_NE(m.dmt, nullptr);
	pmem2::masync::fail_thread_create_at.store(0);
	mapped_file mf(map_size, PMEM2_GRANULARITY_CACHE_LINE, m.v());
	ASSERT_EQ(mf.err, 0);
	chk->track(mf.map);
	expect_usable(mf, 5);
	chk->untrack(mf.base);
}

using StallFault = checked;

TEST_F(StallFault, DeletingAMapWaitsForAStalledWorkerAndQueuedOpsWriteNothing)
{
	mover_ptr m{data_mover_threads_new(1, 8, FUTURE_NOTIFIER_WAKER)};
	ASSERT_NE(m.dmt, nullptr);
	data_mover_threads_set_memcpy_fn(m.dmt, gated_memcpy);
	auto a = std::make_unique<mapped_file>(map_size, PMEM2_GRANULARITY_PAGE, m.v());
	mapped_file b(map_size, PMEM2_GRANULARITY_CACHE_LINE, m.v());
	ASSERT_EQ(a->err, 0);
	ASSERT_EQ(b.err, 0);
	chk->track(b.map);
	std::vector<char> src(4096, 'q');
	g_gate.close();
	pmem2_future f1 = pmem2_memcpy_async(a->map, a->base, src.data(), src.size(), 0);
	pmem2_future f2 = pmem2_memcpy_async(a->map, a->base + 8192, src.data(), src.size(), 0);
	EXPECT_NE(future_poll(FUTURE_AS_RUNNABLE(&f1), nullptr), FUTURE_STATE_COMPLETE);
	EXPECT_NE(future_poll(FUTURE_AS_RUNNABLE(&f2), nullptr), FUTURE_STATE_COMPLETE);
	ASSERT_TRUE(g_gate.wait_inside(1));

	std::atomic<bool> deleted{false};
	std::thread deleter([&] {
		a.reset();
		deleted = true;
	});
	std::this_thread::sleep_for(50ms);
	EXPECT_FALSE(deleted.load()) << "map deleted under a running operation";
	g_gate.release();
	deleter.join();
	EXPECT_TRUE(deleted.load());
	EXPECT_EQ(wait_future(f1), 0);	// it was running: it finished first
	EXPECT_EQ(wait_future(f2), PMEM2_E_MAPPING_NOT_FOUND);
	// The other map of the same mover is unaffected.
	expect_usable(b, 6);
	chk->untrack(b.base);
}

TEST_F(StallFault, SlowWorkersDelayButNeverCompleteEarly)
{
	mover_ptr m{data_mover_threads_new(2, 4, FUTURE_NOTIFIER_WAKER)};
	ASSERT_NE(m.dmt, nullptr);
	data_mover_threads_set_memcpy_fn(m.dmt, gated_memcpy);
	g_gate.delay = 2ms;
	for (pmem2_granularity g : {PMEM2_GRANULARITY_CACHE_LINE, PMEM2_GRANULARITY_PAGE}) {
		mapped_file mf(map_size, g, m.v());
		ASSERT_EQ(mf.err, 0);
		chk->track(mf.map);
		std::size_t n = scaled(40, 8);
		std::vector<char> src(3000);
		std::vector<pmem2_future> f(n);
		for (std::size_t i = 0; i < n; ++i) {
			std::memset(src.data(), int(i + 1), src.size());
			f[i] = pmem2_memcpy_async(mf.map, mf.base + i * 4096, src.data(), src.size(), 0);
			// A future is complete only when its bytes are durable.
			while (future_poll(FUTURE_AS_RUNNABLE(&f[i]), nullptr) != FUTURE_STATE_COMPLETE)
				std::this_thread::yield();
			ASSERT_EQ(FUTURE_OUTPUT(&f[i])->result, 0);
			ASSERT_EQ(chk->verify(mf.base + i * 4096, src.size(), "pmem2_memcpy_async"), "") << i;
		}
		chk->untrack(mf.base);
	}
	g_gate.delay = 0us;
}

} // namespace
