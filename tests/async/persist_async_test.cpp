// pmem2_persist_async (<libpmem2/persist_async.h>): a range written earlier
// is durable at the map's granularity when the future completes, on every
// mover; the threads mover does a large one on its workers even for a
// waiting caller; ranges outside the map, a NULL map, a deleted map and a
// zero size; a read-only map can be persisted; writes elsewhere go on
// meanwhile. On the shared pair, as users link it.
#define PMEM2_USE_MINIASYNC 1
#include <libpmem2.h>
#include <libpmem2/persist_async.h>
#include <libminiasync.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "support/bytes.hpp"
#include "support/event_log.hpp"
#include "support/mapped_file.hpp"
#include "support/movers.hpp"

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace {

using pmem2::test::event_log;
using pmem2::test::mapped_file;

using pmem2::test::mover;
using pmem2::test::mover_kind;
using pmem2::test::mover_name;
using pmem2::test::recorded;
using pmem2::test::wait_in_runtime;


using param = std::tuple<pmem2_granularity, mover_kind>;
class PersistAsync : public ::testing::TestWithParam<param> {};

TEST_P(PersistAsync, ARangeWrittenEarlierIsDurableAtCompletion)
{
	auto [gran, mk] = GetParam();
	recorded rec;
	mover mv(mk);
	constexpr std::size_t size = 4 << 20;
	mapped_file mf(size, gran, mv.vdm(), "/dev/shm");
	ASSERT_NE(mf.map, nullptr) << mf.err;
	ASSERT_EQ(mf.granularity, pmem2::test::granularity_on_this_cpu(gran));
	unsigned seed = 3;
	for (std::size_t len : {std::size_t(1), std::size_t(64), std::size_t(4096 + 17),
		     std::size_t((1 << 20) + 5), std::size_t(3 << 20)}) {
		SCOPED_TRACE(len);
		char *p = mf.base + 100 + len % 61;
		pmem2::test::fill_pattern(p, len, seed++);	// plain stores, not durable
		rec.log.clear();
		pmem2_future f = pmem2_persist_async(mf.map, p, len);
		wait_in_runtime(f);
		const std::uint64_t seen = rec.log.mark();
		ASSERT_EQ(FUTURE_STATE(&f), FUTURE_STATE_COMPLETE);
		EXPECT_EQ(FUTURE_OUTPUT(&f)->result, 0);
		EXPECT_EQ(FUTURE_OUTPUT(&f)->dest, p);
		EXPECT_EQ(rec.log.durable_by(p, len, mf.granularity, seen), "");
		// A waiting caller never flushes or syncs a large range for the
		// threads mover: its workers do.
		if (mk == mover_kind::threads_waker && len > (64 << 10)) {
			const auto me = std::this_thread::get_id();
			for (auto k : {event_log::flush, event_log::nt, event_log::page_sync})
				for (auto t : rec.log.threads_of(k))
					EXPECT_NE(t, me) << "the waiting caller persisted";
		}
	}
}

std::string param_name(const ::testing::TestParamInfo<param> &info)
{
	auto [g, m] = info.param;
	return std::string(pmem2::test::granularity_name(g)) + "_" + mover_name(m);
}

INSTANTIATE_TEST_SUITE_P(All, PersistAsync,
	::testing::Combine(::testing::Values(PMEM2_GRANULARITY_BYTE, PMEM2_GRANULARITY_CACHE_LINE,
				   PMEM2_GRANULARITY_PAGE),
		::testing::Values(mover_kind::default_mover, mover_kind::sync, mover_kind::threads_waker,
			mover_kind::threads_none)),
	param_name);

TEST(PersistAsyncErrors, RangesOutsideTheMapNullMapAndZeroSize)
{
	mapped_file mf(1 << 20, PMEM2_GRANULARITY_CACHE_LINE);
	ASSERT_NE(mf.map, nullptr);
	struct {
		void *p;
		std::size_t n;
	} outside[] = {
		{mf.base + (1 << 20) - 10, 11},		// past the end
		{mf.base - 64, 64},			// before the start
		{mf.base + 4096, std::size_t(-1) - 4000},	// wraps
	};
	for (auto [p, n] : outside) {
		pmem2_future f = pmem2_persist_async(mf.map, p, n);
		EXPECT_EQ(FUTURE_STATE(&f), FUTURE_STATE_COMPLETE);
		EXPECT_EQ(FUTURE_OUTPUT(&f)->result, PMEM2_E_MAP_RANGE);
		EXPECT_NE(std::string(pmem2_errormsg()).find("is not inside the map"), std::string::npos);
	}
	pmem2_future null_map = pmem2_persist_async(nullptr, mf.base, 64);
	EXPECT_EQ(FUTURE_OUTPUT(&null_map)->result, -EINVAL);
	EXPECT_STREQ(pmem2_errormsg(), "map is NULL");
	pmem2_future none = pmem2_persist_async(mf.map, mf.base, 0);
	EXPECT_EQ(FUTURE_STATE(&none), FUTURE_STATE_COMPLETE);
	EXPECT_EQ(FUTURE_OUTPUT(&none)->result, 0);
	pmem2_future whole = pmem2_persist_async(mf.map, mf.base, 1 << 20);
	wait_in_runtime(whole);
	EXPECT_EQ(FUTURE_OUTPUT(&whole)->result, 0);
}

TEST(PersistAsyncErrors, AMapDeletedBeforeTheFirstPoll)
{
	for (mover_kind mk : {mover_kind::default_mover, mover_kind::sync, mover_kind::threads_waker}) {
		SCOPED_TRACE(mover_name(mk));
		mover mv(mk);
		mapped_file mf(1 << 20, PMEM2_GRANULARITY_CACHE_LINE, mv.vdm());
		ASSERT_NE(mf.map, nullptr);
		pmem2_future f = pmem2_persist_async(mf.map, mf.base, 4096);
		pmem2_map_delete(&mf.map);
		wait_in_runtime(f);
		EXPECT_EQ(FUTURE_OUTPUT(&f)->result, PMEM2_E_MAPPING_NOT_FOUND);
	}
}

TEST(PersistAsyncErrors, AReadOnlyMapCanBePersisted)
{
	pmem2::test::tmpfile file(1 << 20);
	pmem2_config *cfg = nullptr;
	pmem2_source *src = nullptr;
	pmem2_map *map = nullptr;
	ASSERT_EQ(pmem2_config_new(&cfg), 0);
	ASSERT_EQ(pmem2_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_PAGE), 0);
	ASSERT_EQ(pmem2_config_set_protection(cfg, PMEM2_PROT_READ), 0);
	ASSERT_EQ(pmem2_source_from_fd(&src, file.fd()), 0);
	ASSERT_EQ(pmem2_map_new(&map, cfg, src), 0);
	auto *base = static_cast<char *>(pmem2_map_get_address(map));
	pmem2_future f = pmem2_persist_async(map, base, 8192);
	wait_in_runtime(f);
	EXPECT_EQ(FUTURE_OUTPUT(&f)->result, 0);
	pmem2_future w = pmem2_memset_async(map, base, 1, 10, 0);
	EXPECT_EQ(FUTURE_OUTPUT(&w)->result, PMEM2_E_NO_ACCESS);
	pmem2_map_delete(&map);
	pmem2_source_delete(&src);
	pmem2_config_delete(&cfg);
}

TEST(PersistAsync, WritesElsewhereGoOnMeanwhile)
{
	recorded rec;
	mover mv(mover_kind::threads_waker);
	mapped_file mf(8 << 20, PMEM2_GRANULARITY_CACHE_LINE, mv.vdm(), "/dev/shm");
	ASSERT_NE(mf.map, nullptr);
	char *a = mf.base, *b = mf.base + (4 << 20);
	std::atomic<bool> stop{false};
	std::thread writer([&] {
		for (unsigned i = 0; !stop.load(std::memory_order_relaxed); ++i)
			std::memset(b + (i % 1024) * 4096, int(i), 4096);
	});
	for (int round = 0; round < 20; ++round) {
		pmem2::test::fill_pattern(a, 2 << 20, unsigned(round));
		rec.log.clear();
		pmem2_future f = pmem2_persist_async(mf.map, a, 2 << 20);
		wait_in_runtime(f);
		const std::uint64_t seen = rec.log.mark();
		ASSERT_EQ(FUTURE_OUTPUT(&f)->result, 0);
		ASSERT_EQ(rec.log.durable_by(a, 2 << 20, mf.granularity, seen), "") << round;
	}
	stop = true;
	writer.join();
}

} // namespace
