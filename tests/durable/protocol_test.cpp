// The durable-operation protocol across libpmem2.so and libminiasync.so,
// on the shared pair as users link it: map deletion under running and
// queued threads-mover operations (both guard orderings, bounded waits),
// foreign movers whatever capabilities they claim, the real cause of a
// failure, and guard generations at their limit.
#define PMEM2_USE_MINIASYNC 1
#include <libpmem2.h>
#include <libminiasync.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "support/mapped_file.hpp"
#include "support/scratch.hpp"
#include "support/wait.hpp"
#include "durable/guard.hpp"
#include "durable/guard_pool.hpp"
#include "map/map.hpp"
#include "memops/memops.hpp"
#include "os/os.hpp"

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace {

using pmem2::test::tmpfile;
using pmem2::test::wait_for;
using pmem2::test::watchdog;
constexpr auto bound = pmem2::test::wait_bound;
namespace durable = pmem2::durable;
namespace memops = pmem2::memops;
using namespace std::chrono_literals;

using pmem2::test::granularity_name;
using pmem2::test::mapped_file;


struct mover_ptr {
	data_mover_threads *dmt;
	explicit mover_ptr(data_mover_threads *d) : dmt(d) {}
	~mover_ptr() { data_mover_threads_delete(dmt); }
	struct vdm *v() const { return data_mover_threads_get_vdm(dmt); }
};

int wait_result(pmem2_future &f)
{
	auto end = std::chrono::steady_clock::now() + bound;
	while (future_poll(FUTURE_AS_RUNNABLE(&f), nullptr) != FUTURE_STATE_COMPLETE) {
		if (std::chrono::steady_clock::now() > end) {
			ADD_FAILURE() << "a future did not complete in time";
			return INT_MIN;
		}
		std::this_thread::yield();
	}
	return FUTURE_OUTPUT(&f)->result;
}

// A memcpy hook that holds the worker inside the copy until released.
std::atomic<int> hook_inside{0};
std::atomic<bool> hook_release{false};

void *held_memcpy(void *dst, const void *src, std::size_t n, unsigned)
{
	hook_inside.fetch_add(1);
	while (!hook_release.load())
		std::this_thread::sleep_for(100us);
	return std::memcpy(dst, src, n);
}

class GuardOrdering : public ::testing::TestWithParam<bool> {
protected:
	void SetUp() override { durable::force_fence_order(GetParam()); }
	void TearDown() override { durable::force_fence_order(false); }
};

INSTANTIATE_TEST_SUITE_P(Guard, GuardOrdering, ::testing::Values(false, true),
	[](const ::testing::TestParamInfo<bool> &i) { return i.param ? "fence" : "membarrier"; });

// pmem2_map_delete while a threads-mover operation of the map is running
// (and another is queued behind it) returns once the running one ends; the
// queued one writes nothing.
TEST_P(GuardOrdering, MapDeleteReturnsOnceTheRunningOperationEnds)
{
	mover_ptr m{data_mover_threads_new(1, 16, FUTURE_NOTIFIER_NONE)};
	ASSERT_NE(m.dmt, nullptr);
	data_mover_threads_set_memcpy_fn(m.dmt, held_memcpy);
	hook_inside = 0;
	hook_release = false;
	auto mf = std::make_unique<mapped_file>(1 << 20, PMEM2_GRANULARITY_CACHE_LINE, m.v());
	ASSERT_NE(mf->map, nullptr);
	std::vector<char> src(4096, 'r');
	int fd = mf->file.fd();
	char *base = mf->base;
	pmem2_future running = pmem2_memcpy_async(mf->map, base, src.data(), src.size(), 0);
	pmem2_future queued = pmem2_memcpy_async(mf->map, base + 8192, src.data(), src.size(), 0);
	EXPECT_NE(future_poll(FUTURE_AS_RUNNABLE(&running), nullptr), FUTURE_STATE_COMPLETE);
	EXPECT_NE(future_poll(FUTURE_AS_RUNNABLE(&queued), nullptr), FUTURE_STATE_COMPLETE);
	ASSERT_TRUE(wait_for([] { return hook_inside.load() == 1; }));

	std::atomic<bool> deleted{false};
	int keep = dup(fd);	// the file outlives the map
	std::thread deleter([&] {
		mf.reset();
		deleted = true;
	});
	std::this_thread::sleep_for(30ms);
	EXPECT_FALSE(deleted.load()) << "the map was deleted under a running operation";
	hook_release = true;
	EXPECT_TRUE(wait_for([&] { return deleted.load(); })) << "pmem2_map_delete hangs";
	deleter.join();
	EXPECT_EQ(wait_result(running), 0);
	EXPECT_EQ(wait_result(queued), PMEM2_E_MAPPING_NOT_FOUND);
	std::vector<char> got(4096);
	ASSERT_EQ(pread(keep, got.data(), got.size(), 0), ssize_t(got.size()));
	EXPECT_EQ(got, src);
	ASSERT_EQ(pread(keep, got.data(), got.size(), 8192), ssize_t(got.size()));
	EXPECT_EQ(got, std::vector<char>(4096, 0)) << "a queued operation wrote into a deleted map";
	close(keep);
}

// A thousand map create/delete cycles, each with operations of the map in
// flight on the threads mover, some started and some queued; every delete
// returns and every future reports success or "not found".
TEST_P(GuardOrdering, AThousandCreateDeleteCyclesWithOperationsInFlight)
{
	watchdog w("1000 create/delete cycles");
	mover_ptr m{data_mover_threads_new(2, 64, FUTURE_NOTIFIER_WAKER)};
	ASSERT_NE(m.dmt, nullptr);
	tmpfile file(1 << 20, "/dev/shm");
	std::vector<char> src(64 << 10, 'c');
	const int cycles = std::getenv("PMEM2_STRESS_SCALE") ? 300 : 1000;
	long ok = 0, refused = 0;
	for (int i = 0; i < cycles; i++) {
		pmem2_config *cfg = nullptr;
		pmem2_source *s = nullptr;
		pmem2_map *map = nullptr;
		ASSERT_EQ(pmem2_config_new(&cfg), 0);
		ASSERT_EQ(pmem2_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_PAGE), 0);
		ASSERT_EQ(pmem2_config_set_vdm(cfg, m.v()), 0);
		ASSERT_EQ(pmem2_source_from_fd(&s, file.fd()), 0);
		ASSERT_EQ(pmem2_map_new(&map, cfg, s), 0) << pmem2_errormsg();
		pmem2_source_delete(&s);
		pmem2_config_delete(&cfg);
		auto *base = static_cast<char *>(pmem2_map_get_address(map));
		pmem2_future f[4];
		for (int j = 0; j < 4; j++) {
			std::size_t len = (i + j) % 2 ? 64 : src.size();
			f[j] = pmem2_memcpy_async(map, base + j * src.size(), src.data(), len, 0);
			if (j < 3)
				(void)future_poll(FUTURE_AS_RUNNABLE(&f[j]), nullptr);
		}
		ASSERT_EQ(pmem2_map_delete(&map), 0);
		for (auto &x : f) {
			int r = wait_result(x);
			if (r == 0)
				ok++;
			else if (r == PMEM2_E_MAPPING_NOT_FOUND)
				refused++;
			else
				FAIL() << "cycle " << i << ": result " << r;
		}
	}
	EXPECT_EQ(ok + refused, 4L * cycles);
	EXPECT_GE(refused, cycles) << "the never-polled future of every cycle must be refused";
}

// ---------------------------------------------------------------------------
// Foreign movers.

struct user_mover {
	struct vdm v;
	std::atomic<int> created{0}, deleted{0};
};

void *um_new(struct vdm *v, const enum vdm_operation_type)
{
	reinterpret_cast<user_mover *>(v)->created++;
	return std::malloc(32);	// freed in op_delete: ASan sees a leak otherwise
}

int um_start(void *, const struct vdm_operation *op, struct future_notifier *n)
{
	if (n)
		n->notifier_used = FUTURE_NOTIFIER_NONE;
	if (op->type == VDM_OPERATION_MEMSET)
		std::memset(op->data.memset.str, op->data.memset.c, op->data.memset.n);
	else
		std::memmove(op->data.memcpy.dest, op->data.memcpy.src, op->data.memcpy.n);
	return 0;
}

enum future_state um_check(void *, const struct vdm_operation *)
{
	return FUTURE_STATE_COMPLETE;
}

void um_delete(void *data, const struct vdm_operation *op, struct vdm_operation_output *out)
{
	std::free(data);
	out->type = op->type;
	out->result = VDM_SUCCESS;
	out->output.memcpy.dest = op->data.memcpy.dest;
}

static_assert(offsetof(user_mover, v) == 0);

// What the polling thread did for persistence, in order.
struct persist_log final : memops::recorder {
	struct event {
		char kind;	// 'f' flush, 'n' nt store, 'F' fence, 'p' page sync
		std::uintptr_t a;
		std::size_t n;
	};
	std::mutex m;
	std::vector<event> ev;
	void add(char k, const void *p, std::size_t n)
	{
		std::lock_guard lk(m);
		ev.push_back({k, reinterpret_cast<std::uintptr_t>(p), n});
	}
	void on_flush(const void *line) noexcept override { add('f', line, 64); }
	void on_nt_store(const void *d, std::size_t n) noexcept override { add('n', d, n); }
	void on_fence() noexcept override { add('F', nullptr, 0); }
	void on_page_sync(const void *p, std::size_t n) noexcept override { add('p', p, n); }

	// Is [p, p + n) durable at granularity g by the events logged?
	bool durable(pmem2_granularity g, const char *p, std::size_t n)
	{
		std::lock_guard lk(m);
		auto lo = reinterpret_cast<std::uintptr_t>(p), hi = lo + n;
		if (g == PMEM2_GRANULARITY_PAGE) {
			for (auto &e : ev)
				if (e.kind == 'p' && e.a <= lo && e.a + e.n >= hi)
					return true;
			return false;
		}
		// A fence after the flush of every line (CACHE_LINE), or any
		// fence (BYTE: the stores reach the persistence domain when
		// ordered).
		std::size_t last_fence = ev.size();
		for (std::size_t i = ev.size(); i-- > 0;)
			if (ev[i].kind == 'F') {
				last_fence = i;
				break;
			}
		if (last_fence == ev.size())
			return false;
		if (g == PMEM2_GRANULARITY_BYTE)
			return true;
		for (auto line = lo & ~std::uintptr_t(63); line < hi; line += 64) {
			bool seen = false;
			for (std::size_t i = 0; i < last_fence && !seen; i++)
				seen = (ev[i].kind == 'f' && ev[i].a == line) ||
					(ev[i].kind == 'n' && ev[i].a <= line && ev[i].a + ev[i].n >= line + 64);
			if (!seen)
				return false;
		}
		return true;
	}
};

using foreign_param = std::tuple<unsigned, pmem2_granularity>;

class ForeignMover : public ::testing::TestWithParam<foreign_param> {};

INSTANTIATE_TEST_SUITE_P(Movers, ForeignMover,
	::testing::Combine(::testing::Values(0u, unsigned(VDM_F_MEM_DURABLE), unsigned(UINT_MAX)),
		::testing::Values(PMEM2_GRANULARITY_PAGE, PMEM2_GRANULARITY_CACHE_LINE,
			PMEM2_GRANULARITY_BYTE)),
	[](const ::testing::TestParamInfo<foreign_param> &i) {
		unsigned c = std::get<0>(i.param);
		return std::string(c == 0 ? "caps0" : c == VDM_F_MEM_DURABLE ? "capsDURABLE" : "capsALL") +
			"_" + granularity_name(std::get<1>(i.param));
	});

// Whatever it claims, a user's mover gets libpmem2's persist step: the
// data is durable when the future completes.
TEST_P(ForeignMover, DataIsDurableAtCompletion)
{
	auto [caps, forced] = GetParam();
	user_mover um{{um_new, um_delete, um_start, um_check, caps, nullptr}};
	mapped_file mf(1 << 20, forced, &um.v);
	ASSERT_NE(mf.map, nullptr);
	// CACHE_LINE is PAGE where the CPU cannot write back lines.
	const pmem2_granularity g = pmem2::test::granularity_on_this_cpu(forced);
	ASSERT_EQ(pmem2_map_get_store_granularity(mf.map), g);
	EXPECT_EQ(mf.map->mover, durable::mover_kind::foreign);
	std::vector<char> src(10000, 'u');
	persist_log log;
	memops::set_recorder(&log);
	memops::redispatch(memops::options_from_env());
	pmem2_future f = pmem2_memcpy_async(mf.map, mf.base + 100, src.data(), src.size(), 0);
	int r = wait_result(f);
	pmem2_future s = pmem2_memset_async(mf.map, mf.base + 20000, 's', 3000, 0);
	int rs = wait_result(s);
	memops::set_recorder(nullptr);
	memops::redispatch(memops::options_from_env());
	EXPECT_EQ(r, 0);
	EXPECT_EQ(rs, 0);
	EXPECT_EQ(std::memcmp(mf.base + 100, src.data(), src.size()), 0);
	EXPECT_TRUE(log.durable(g, mf.base + 100, src.size())) << "memcpy not durable at completion";
	EXPECT_TRUE(log.durable(g, mf.base + 20000, 3000)) << "memset not durable at completion";
	EXPECT_EQ(um.created.load(), 2);
}

// A dropped, never-polled future of a foreign mover never reached it: its
// op_new (which allocates) was not called, so nothing leaks (ASan checks).
TEST_P(ForeignMover, DroppedNeverPolledFutureLeaksNothing)
{
	auto [caps, g] = GetParam();
	user_mover um{{um_new, um_delete, um_start, um_check, caps, nullptr}};
	mapped_file mf(1 << 20, g, &um.v);
	ASSERT_NE(mf.map, nullptr);
	char src[256] = {1};
	for (int i = 0; i < 16; i++) {
		pmem2_future f = pmem2_memcpy_async(mf.map, mf.base, src, sizeof(src), 0);
		(void)f;
	}
	EXPECT_EQ(um.created.load(), 0);
}

// A foreign mover's future whose map is gone before the first poll never
// reaches the mover and reports "not found"; nothing was written.
TEST(ForeignMoverMisuse, FirstPollAfterDeleteWritesNothing)
{
	user_mover um{{um_new, um_delete, um_start, um_check, UINT_MAX, nullptr}};
	auto mf = std::make_unique<mapped_file>(1 << 20, PMEM2_GRANULARITY_PAGE, &um.v);
	ASSERT_NE(mf->map, nullptr);
	std::vector<char> src(4096, 'x');
	pmem2_future f = pmem2_memcpy_async(mf->map, mf->base, src.data(), src.size(), 0);
	int keep = dup(mf->file.fd());
	mf.reset();
	EXPECT_EQ(wait_result(f), PMEM2_E_MAPPING_NOT_FOUND);
	EXPECT_EQ(um.created.load(), 0);
	std::vector<char> got(4096);
	ASSERT_EQ(pread(keep, got.data(), got.size(), 0), ssize_t(got.size()));
	EXPECT_EQ(got, std::vector<char>(4096, 0));
	close(keep);
}

// ---------------------------------------------------------------------------
// The real cause.

std::atomic<int> woken{0};
void on_wake(void *) { woken.fetch_add(1); }

// An msync that fails on a worker, then the map deleted before the poll:
// -EIO (the bytes were written), not PMEM2_E_MAPPING_NOT_FOUND.
TEST(ProtocolCause, WorkerMsyncFailureThenDeleteIsEIO)
{
	for (int err : {EIO, ENOSPC, EINVAL}) {
		mover_ptr m{data_mover_threads_new(1, 16, FUTURE_NOTIFIER_WAKER)};
		ASSERT_NE(m.dmt, nullptr);
		auto mf = std::make_unique<mapped_file>(1 << 20, PMEM2_GRANULARITY_PAGE, m.v());
		ASSERT_NE(mf->map, nullptr);
		std::vector<char> src(4096, 'e');
		pmem2::os::fail_next(pmem2::os::call::msync, err);
		pmem2_future f = pmem2_memcpy_async(mf->map, mf->base, src.data(), src.size(), 0);
		future_notifier n{};
		n.waker.wake = on_wake;
		woken = 0;
		(void)future_poll(FUTURE_AS_RUNNABLE(&f), &n);
		ASSERT_TRUE(wait_for([] { return woken.load() != 0; })) << "the worker never finished";
		pmem2::os::clear_faults();
		mf.reset();
		EXPECT_EQ(wait_result(f), -EIO) << strerror(err);
		EXPECT_NE(std::string(pmem2_errormsg()).find(strerror(err)), std::string::npos)
			<< pmem2_errormsg();
	}
}

// The same on the default mover: a failed msync is -EIO, not a stop.
TEST(ProtocolCause, DefaultMoverMsyncFailureIsEIO)
{
	mapped_file mf(1 << 20, PMEM2_GRANULARITY_PAGE, nullptr);
	ASSERT_NE(mf.map, nullptr);
	std::vector<char> src(4096, 'e');
	pmem2::os::fail_next(pmem2::os::call::msync, ENOSPC);
	pmem2_future f = pmem2_memcpy_async(mf.map, mf.base, src.data(), src.size(), 0);
	EXPECT_EQ(wait_result(f), -EIO);
	pmem2::os::clear_faults();
	EXPECT_EQ(std::memcmp(mf.base, src.data(), src.size()), 0);
}

// ---------------------------------------------------------------------------
// Generations.

// A guard whose generation reaches the limit is retired for good: the next
// map gets another guard, and a future of the old map never matches it.
TEST(GuardGeneration, AGuardAtTheLimitIsNotRecycled)
{
	std::vector<char> src(4096, 'g');
	// Below the limit: deleted maps' guards are recycled.
	auto a = std::make_unique<mapped_file>(1 << 20, PMEM2_GRANULARITY_CACHE_LINE, nullptr);
	ASSERT_NE(a->map, nullptr);
	durable::map_guard *ga = a->map->guard;
	a.reset();
	auto b = std::make_unique<mapped_file>(1 << 20, PMEM2_GRANULARITY_CACHE_LINE, nullptr);
	ASSERT_NE(b->map, nullptr);
	ASSERT_EQ(b->map->guard, ga) << "guards are recycled below the limit";

	// Put b's guard at the last live generation before the limit.
	const std::uint32_t limit = 1000;
	durable::set_gen_limit(limit);
	b->map->guard->gen.store(limit - 1);
	b->map->guard_gen = limit - 1;
	pmem2_future stale = pmem2_memcpy_async(b->map, b->base, src.data(), src.size(), 0);
	b.reset();	// generation reaches the limit: retired for good
	mapped_file c(1 << 20, PMEM2_GRANULARITY_CACHE_LINE, nullptr);
	ASSERT_NE(c.map, nullptr);
	EXPECT_NE(c.map->guard, ga) << "a guard at the limit was recycled";
	durable::set_gen_limit(durable::default_gen_limit);
	EXPECT_EQ(wait_result(stale), PMEM2_E_MAPPING_NOT_FOUND);
	EXPECT_EQ(ga->gen.load(), limit);
}

} // namespace
