// pmem2::batch: entries chained, one future for all (co_await or wait),
// results written at completion, a refused entry thrown with its code and
// not added, a foreign mover refused at creation, reuse after reset.
// pmem2::when_all over durable futures of one map: fused into one batch
// with one drain on the default, sync and threads movers, each member's
// outcome as if it ran alone; what cannot be fused runs alongside; errors
// reach the members and the fused future.
#include <gtest/gtest.h>

#include <pmem2/batch.hpp>
#include <pmem2/pmem2.hpp>

#include <libminiasync.h>

#include <cstring>
#include <string>
#include <vector>

#include "support/bytes.hpp"
#include "support/event_log.hpp"
#include "support/mapped_file.hpp"
#include "support/movers.hpp"
#include "support/scratch.hpp"

using namespace pmem2;

TEST(CppBatch, EntriesRunAsOneDurableFuture)
{
	test::tmpfile f(1 << 20);
	auto data = test::pattern(4096, 2);
	std::uint32_t crc = 0;
	std::size_t diff = 0;
	{
		map m = map::open(f.path());
		batch b(m, 8);
		std::byte *p = m.data();
		b.copy(p, data.data(), data.size())
			.fence()
			.copy_crc32c(p + 8192, p, 4096, crc)
			.fill8(p + 16384, 0x1122334455667788ull, 64)
			.compare(p, data.data(), 4096, diff);
		EXPECT_EQ(b.size(), 5u);
		b.run().wait();
		EXPECT_EQ(diff, 4096u);
		EXPECT_EQ(std::memcmp(p + 8192, data.data(), 4096), 0);
		EXPECT_EQ(static_cast<unsigned char>(p[16384]), 0x88);
		EXPECT_EQ(static_cast<unsigned char>(p[16391]), 0x11);
		std::uint32_t again = 1;
		b.reset();
		b.crc32c(data.data(), data.size(), again);
		b.run().wait();
		EXPECT_EQ(again, crc);
	}
	EXPECT_EQ(test::read_file(f.path(), 4096, 8192), data);
}

TEST(CppBatch, ARefusedEntryThrowsAndIsNotAdded)
{
	test::tmpfile f(1 << 20);
	map m = map::open(f.path());
	batch b(m, 2);
	b.fill(m.data(), 1, 10);
	try {
		b.fill(m.data() + m.size() - 4, 1, 10);
		ADD_FAILURE() << "no exception";
	} catch (const pmem2::error &e) {
		EXPECT_EQ(e.code(), PMEM2_E_MAP_RANGE);
	}
	EXPECT_EQ(b.size(), 1u);
	auto bad = batch::try_create(m, 0);
	ASSERT_FALSE(bad);
	EXPECT_EQ(bad.error().code, -EINVAL);
}

TEST(CppBatch, MovedBatchesOwnOneBatch)
{
	test::tmpfile f(1 << 20);
	map m = map::open(f.path());
	batch a(m, 1);
	pmem2_batch *raw = a.native();
	batch b(std::move(a));
	EXPECT_EQ(b.native(), raw);
	EXPECT_EQ(a.native(), nullptr);
	batch c(m, 1);
	c = std::move(b);
	EXPECT_EQ(c.native(), raw);
}

namespace {

using pmem2::test::event_log;
using pmem2::test::mapped_file;
using pmem2::test::mover;
using pmem2::test::mover_kind;

class CppWhenAll : public ::testing::TestWithParam<mover_kind> {};

TEST_P(CppWhenAll, SmallCopiesOfOneMapRunAsOneBatchWithOneDrain)
{
	test::recorded rec;
	mover mv(GetParam());
	mapped_file mf(1 << 20, PMEM2_GRANULARITY_CACHE_LINE, mv.vdm(), "/dev/shm");
	ASSERT_NE(mf.map, nullptr);
	// Where the CPU cannot write back lines the map is PAGE: durable by the
	// page syncs, and the batch has no drain.
	ASSERT_EQ(mf.granularity, test::granularity_on_this_cpu(PMEM2_GRANULARITY_CACHE_LINE));
	const std::size_t drains = mf.granularity == PMEM2_GRANULARITY_CACHE_LINE ? 1 : 0;
	map_ref m(mf.map);
	constexpr int n = 16;
	auto data = test::pattern(n * 100, 4);
	std::vector<durable_future> fs;
	std::vector<std::pair<const void *, std::size_t>> ranges;
	for (int i = 0; i < n; ++i) {
		std::byte *d = m.data() + 4096 * i + 1;
		fs.push_back(m.memcpy_async(d, data.data() + 100 * i, 100));
		ranges.emplace_back(d, 100);
	}
	std::uint32_t crc = 0;
	std::size_t diff = 0;
	fs.push_back(m.crc32c_async(data.data(), data.size(), crc));
	fs.push_back(m.compare_async(data.data(), data.data(), 100, diff));
	fused_future all = when_all(m, std::move(fs));
	EXPECT_EQ(all.fused(), std::size_t(n + 2));
	EXPECT_FALSE(all.ready());
	rec.log.clear();
	const std::uint64_t start = rec.log.mark();
	all.wait();
	const std::uint64_t seen = rec.log.mark();
	EXPECT_EQ(rec.log.count(event_log::fence, seen) - rec.log.count(event_log::fence, start), drains);
	EXPECT_EQ(rec.log.durable_by_all(ranges, mf.granularity, seen), "");
	ASSERT_EQ(all.members().size(), std::size_t(n + 2));
	for (int i = 0; i < n; ++i) {
		durable_future &f = all.members()[std::size_t(i)];
		EXPECT_TRUE(f.ready());
		EXPECT_EQ(f.code(), 0);
		EXPECT_EQ(f.get(), m.data() + 4096 * i + 1);
		EXPECT_EQ(std::memcmp(m.data() + 4096 * i + 1, data.data() + 100 * i, 100), 0) << i;
	}
	EXPECT_EQ(all.members()[n].get(), nullptr);
	EXPECT_EQ(crc, test::crc32c_of(data.data(), data.size()));
	EXPECT_EQ(diff, 100u);
}

INSTANTIATE_TEST_SUITE_P(All, CppWhenAll,
	::testing::Values(mover_kind::default_mover, mover_kind::sync, mover_kind::threads_waker,
		mover_kind::threads_poller),
	[](const auto &info) { return std::string(test::mover_name(info.param)); });

TEST(CppWhenAllFallback, WhatCannotBeFusedRunsAlongside)
{
	mover mv(mover_kind::threads_waker);
	mapped_file mf(1 << 20, PMEM2_GRANULARITY_CACHE_LINE, mv.vdm()), other(1 << 20, PMEM2_GRANULARITY_CACHE_LINE);
	ASSERT_NE(mf.map, nullptr);
	ASSERT_NE(other.map, nullptr);
	map_ref m(mf.map), o(other.map);
	auto data = test::pattern(1000, 8);
	durable_future polled = m.memcpy_async(m.data(), data.data(), 1000);
	polled.poll();
	std::uint32_t crc = 0;
	fused_future all = when_all(m, std::move(polled),
		m.memset_async(m.data() + m.size() - 4, 1, 10),	// refused at once
		o.memcpy_async(o.data(), data.data(), 1000),		// another map
		m.memcpy_async(m.data() + 4096, data.data(), 1000),
		m.copy_crc32c_async(m.data() + 8192, data.data(), 1000, crc));
	EXPECT_EQ(all.fused(), 2u);
	auto r = all.try_wait();
	ASSERT_FALSE(r);
	EXPECT_EQ(r.code(), PMEM2_E_MAP_RANGE);	// the first error by position
	EXPECT_EQ(all.code(), PMEM2_E_MAP_RANGE);
	auto ms = all.members();
	EXPECT_EQ(ms[0].code(), 0);
	EXPECT_EQ(ms[1].code(), PMEM2_E_MAP_RANGE);
	EXPECT_EQ(ms[2].code(), 0);
	EXPECT_EQ(ms[3].code(), 0);
	EXPECT_EQ(ms[4].code(), 0);
	for (auto *p : {m.data(), o.data(), m.data() + 4096, m.data() + 8192})
		EXPECT_EQ(std::memcmp(p, data.data(), 1000), 0);
	EXPECT_EQ(crc, test::crc32c_of(data.data(), data.size()));
}

TEST(CppWhenAllFallback, AForeignMoverRunsThemUnfused)
{
	data_mover_sync *dms = data_mover_sync_new();
	struct vdm user = *data_mover_sync_get_vdm(dms);
	user.op_check = [](void *, const vdm_operation *) { return FUTURE_STATE_COMPLETE; };
	{
		mapped_file mf(1 << 20, PMEM2_GRANULARITY_CACHE_LINE, &user);
		ASSERT_NE(mf.map, nullptr);
		map_ref m(mf.map);
		auto data = test::pattern(3000, 9);
		fused_future all = when_all(m, m.memcpy_async(m.data(), data.data(), 3000),
			m.memset_async(m.data() + 4096, 7, 100));
		EXPECT_EQ(all.fused(), 0u);
		all.wait();
		EXPECT_EQ(std::memcmp(m.data(), data.data(), 3000), 0);
		EXPECT_EQ(m.data()[4096 + 99], std::byte{7});
	}
	data_mover_sync_delete(dms);
}

TEST(CppWhenAllErrors, AMapDeletedBeforeTheFirstPollFailsEveryMember)
{
	for (mover_kind mk : {mover_kind::default_mover, mover_kind::threads_waker}) {
		mover mv(mk);
		mapped_file mf(1 << 20, PMEM2_GRANULARITY_CACHE_LINE, mv.vdm());
		ASSERT_NE(mf.map, nullptr);
		map_ref m(mf.map);
		auto data = test::pattern(100, 1);
		std::uint32_t crc = 5;
		fused_future all = when_all(m, m.memcpy_async(m.data(), data.data(), 100),
			m.crc32c_async(data.data(), 100, crc));
		EXPECT_EQ(all.fused(), 2u);
		pmem2_map_delete(&mf.map);
		EXPECT_THROW(all.wait(), pmem2::error);
		EXPECT_EQ(all.members()[0].code(), PMEM2_E_MAPPING_NOT_FOUND);
		EXPECT_EQ(all.members()[1].code(), PMEM2_E_MAPPING_NOT_FOUND);
		EXPECT_EQ(crc, 5u);
	}
}

TEST(CppWhenAllLifetime, CoAwaitedAndDroppedUnpolled)
{
	mover mv(mover_kind::threads_waker);
	mapped_file mf(1 << 20, PMEM2_GRANULARITY_CACHE_LINE, mv.vdm());
	ASSERT_NE(mf.map, nullptr);
	map_ref m(mf.map);
	auto data = test::pattern(5000, 2);
	{
		fused_future dropped = when_all(m, m.memcpy_async(m.data(), data.data(), 5000),
			m.memset8_async(m.data() + 8192, ~0ull, 64));
		fused_future moved = std::move(dropped);
		(void)moved;
	}
	EXPECT_EQ(m.data()[0], std::byte{0});
	EXPECT_EQ(m.data()[8192], std::byte{0});
	auto body = [&]() -> task<void> {
		co_await when_all(m, m.memcpy_async(m.data(), data.data(), 5000),
			m.memset8_async(m.data() + 8192, ~0ull, 64));
	};
	sync_wait(body());
	EXPECT_EQ(std::memcmp(m.data(), data.data(), 5000), 0);
	EXPECT_EQ(m.data()[8192 + 63], std::byte{0xff});
	fused_future empty;
	EXPECT_FALSE(empty.valid());
	EXPECT_TRUE(empty.ready());
	EXPECT_FALSE(empty.try_get());
}

} // namespace
