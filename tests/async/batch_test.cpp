// Batches (<libpmem2/batch.h>): every entry's bytes, durable as a whole at
// completion with one drain per batch (plus one per fence entry), on every
// mover we ship and at every granularity; empty, one entry, 1024 entries;
// fences order entries; a bad entry is refused when added and the rest
// runs; every error code; a map deleted before the first poll; reuse. On
// the shared pair, as users link it.
#define PMEM2_USE_MINIASYNC 1
#include <libpmem2.h>
#include <libpmem2/batch.h>
#include <libminiasync.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <unistd.h>

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


struct batch_owner {
	pmem2_batch *b = nullptr;
	batch_owner(pmem2_map *m, std::size_t cap) { EXPECT_EQ(pmem2_batch_new(&b, m, cap), 0) << pmem2_errormsg(); }
	~batch_owner() { pmem2_batch_delete(&b); }
};

using param = std::tuple<pmem2_granularity, mover_kind>;
class Batch : public ::testing::TestWithParam<param> {};

// n entries of every kind at random places of the first half of the map,
// sources in DRAM or in the second half; the expected image kept alongside.
TEST_P(Batch, EveryEntryIsDurableAtCompletionWithOneDrain)
{
	auto [forced, mk] = GetParam();
	recorded rec;
	mover mv(mk);
	constexpr std::size_t size = 4 << 20, half = size / 2;
	mapped_file mf(size, forced, mv.vdm(), "/dev/shm");
	ASSERT_NE(mf.map, nullptr) << mf.err;
	// CACHE_LINE is PAGE where the CPU cannot write back lines.
	ASSERT_EQ(mf.granularity, pmem2::test::granularity_on_this_cpu(forced));
	const pmem2_granularity gran = mf.granularity;
	std::vector<char> expect(mf.base, mf.base + size);
	std::vector<char> dram(1 << 20);
	pmem2::test::fill_pattern(dram.data(), dram.size(), 5);
	pmem2::test::fill_pattern(mf.base + half, half, 6);
	std::memcpy(expect.data() + half, mf.base + half, half);
	std::mt19937 rng(42);
	for (std::size_t n : {std::size_t(1), std::size_t(16), std::size_t(1024)}) {
		SCOPED_TRACE(n);
		batch_owner bo(mf.map, n + n / 64);
		std::vector<std::pair<const void *, std::size_t>> ranges;
		std::size_t fences = 0;
		// Entries in disjoint slots of the first half: slot i at i * stride.
		const std::size_t stride = half / (n + 1);
		for (std::size_t i = 0; i < n; ++i) {
			char *dst = mf.base + i * stride + rng() % 64;
			const std::size_t len = 1 + rng() % std::min<std::size_t>(stride - 64, n == 1 ? 300000 : 4096);
			int rc = 0;
			switch (i % 4) {
			case 0: {
				const std::size_t off = rng() % (dram.size() - len);
				rc = pmem2_batch_memcpy(bo.b, dst, dram.data() + off, len, 0);
				std::memcpy(expect.data() + (dst - mf.base), dram.data() + off, len);
				break;
			}
			case 1: {
				const std::size_t off = half + rng() % (half - len);
				rc = pmem2_batch_memmove(bo.b, dst, mf.base + off, len, PMEM2_F_MEM_NONTEMPORAL);
				std::memcpy(expect.data() + (dst - mf.base), expect.data() + off, len);
				break;
			}
			case 2:
				rc = pmem2_batch_memset(bo.b, dst, int(i & 0xff), len, PMEM2_F_MEM_TEMPORAL);
				std::memset(expect.data() + (dst - mf.base), int(i & 0xff), len);
				break;
			case 3:
				// Written now with plain stores; the entry makes it durable.
				pmem2::test::fill_pattern(dst, len, unsigned(i));
				std::memcpy(expect.data() + (dst - mf.base), dst, len);
				rc = pmem2_batch_persist(bo.b, dst, len);
				break;
			}
			ASSERT_EQ(rc, 0) << pmem2_errormsg();
			ranges.emplace_back(dst, len);
			if (i % 64 == 63) {
				ASSERT_EQ(pmem2_batch_fence(bo.b), 0);
				++fences;
			}
		}
		EXPECT_EQ(pmem2_batch_size(bo.b), n + fences);
		rec.log.clear();
		const std::uint64_t start = rec.log.mark();
		pmem2_future f = pmem2_batch_async(bo.b);
		wait_in_runtime(f);
		const std::uint64_t seen = rec.log.mark();
		ASSERT_EQ(FUTURE_STATE(&f), FUTURE_STATE_COMPLETE);
		EXPECT_EQ(FUTURE_OUTPUT(&f)->result, 0) << pmem2_errormsg();
		EXPECT_EQ(FUTURE_OUTPUT(&f)->dest, nullptr);
		EXPECT_EQ(rec.log.durable_by_all(ranges, gran, seen), "");
		ASSERT_EQ(std::memcmp(mf.base, expect.data(), size), 0);
		// One drain for the batch and one per fence entry; at BYTE a
		// NONTEMPORAL entry (every fourth from the second) that streams
		// keeps the streaming kernel's own fence (docs/ASYNC.md, "Batches").
		const std::size_t streamed = gran == PMEM2_GRANULARITY_BYTE ? (n + 2) / 4 : 0;
		const std::size_t fenced =
			rec.log.count(event_log::fence, seen) - rec.log.count(event_log::fence, start);
		if (gran != PMEM2_GRANULARITY_PAGE) {
			EXPECT_GE(fenced, 1 + fences);
			EXPECT_LE(fenced, 1 + fences + streamed);
		}
	}
}

std::string param_name(const ::testing::TestParamInfo<param> &info)
{
	auto [g, m] = info.param;
	return std::string(pmem2::test::granularity_name(g)) + "_" + mover_name(m);
}

INSTANTIATE_TEST_SUITE_P(All, Batch,
	::testing::Combine(::testing::Values(PMEM2_GRANULARITY_BYTE, PMEM2_GRANULARITY_CACHE_LINE,
				   PMEM2_GRANULARITY_PAGE),
		::testing::Values(mover_kind::default_mover, mover_kind::sync, mover_kind::threads_waker,
			mover_kind::threads_none)),
	param_name);

// The log-record case: small records with the default hints share one
// drain, at CACHE_LINE (each line written back) and at BYTE alike.
TEST(BatchRules, SmallRecordsShareOneDrain)
{
	for (pmem2_granularity g : {PMEM2_GRANULARITY_CACHE_LINE, PMEM2_GRANULARITY_BYTE}) {
		SCOPED_TRACE(pmem2::test::granularity_name(g));
		recorded rec;
		mapped_file mf(1 << 20, g, nullptr, "/dev/shm");
		ASSERT_NE(mf.map, nullptr);
		// Where the CPU cannot write back lines, CACHE_LINE is PAGE: the
		// records are durable by the page syncs and nothing drains.
		ASSERT_EQ(mf.granularity, pmem2::test::granularity_on_this_cpu(g));
		batch_owner bo(mf.map, 16);
		std::vector<char> rec64(16 * 64);
		pmem2::test::fill_pattern(rec64.data(), rec64.size(), 9);
		std::vector<std::pair<const void *, std::size_t>> ranges;
		for (int i = 0; i < 16; ++i) {
			ASSERT_EQ(pmem2_batch_memcpy(bo.b, mf.base + 128 * i, rec64.data() + 64 * i, 64, 0), 0);
			ranges.emplace_back(mf.base + 128 * i, 64);
		}
		rec.log.clear();
		const std::uint64_t start = rec.log.mark();
		pmem2_future f = pmem2_batch_async(bo.b);
		wait_in_runtime(f);
		const std::uint64_t seen = rec.log.mark();
		EXPECT_EQ(FUTURE_OUTPUT(&f)->result, 0);
		EXPECT_EQ(rec.log.durable_by_all(ranges, mf.granularity, seen), "");
		EXPECT_EQ(rec.log.count(event_log::fence, seen) - rec.log.count(event_log::fence, start),
			mf.granularity == PMEM2_GRANULARITY_PAGE ? 0u : 1u);
	}
}

// Without fences, a large batch on the threads mover is cut into runs of
// entries that the workers take side by side, each run ending in its drain.
TEST(BatchRules, ALargeBatchRunsInRunsOfEntriesEachDrainedOnce)
{
	recorded rec;
	mover mv(mover_kind::threads_none);	// polled, not waited for: no caller help
	mapped_file mf(1 << 20, PMEM2_GRANULARITY_CACHE_LINE, mv.vdm(), "/dev/shm");
	ASSERT_NE(mf.map, nullptr);
	if (mf.granularity != PMEM2_GRANULARITY_CACHE_LINE)
		GTEST_SKIP() << "skipped: this CPU cannot write back cache lines (memops::"
				"can_write_back_lines()), so the map is PAGE, which has no drains to count";
	batch_owner bo(mf.map, 16);
	std::vector<char> src(16 * 4096);
	pmem2::test::fill_pattern(src.data(), src.size(), 4);
	std::vector<std::pair<const void *, std::size_t>> ranges;
	for (int i = 0; i < 16; ++i) {
		ASSERT_EQ(pmem2_batch_memcpy(bo.b, mf.base + 8192 * i, src.data() + 4096 * i, 4096,
			PMEM2_F_MEM_TEMPORAL), 0);
		ranges.emplace_back(mf.base + 8192 * i, 4096);
	}
	rec.log.clear();
	const std::uint64_t start = rec.log.mark();
	pmem2_future f = pmem2_batch_async(bo.b);
	FUTURE_BUSY_POLL(&f);
	const std::uint64_t seen = rec.log.mark();
	EXPECT_EQ(FUTURE_OUTPUT(&f)->result, 0);
	EXPECT_EQ(rec.log.durable_by_all(ranges, PMEM2_GRANULARITY_CACHE_LINE, seen), "");
	for (int i = 0; i < 16; ++i)
		ASSERT_EQ(std::memcmp(mf.base + 8192 * i, src.data() + 4096 * i, 4096), 0) << i;
	// Two workers: two runs of eight entries, a drain each.
	EXPECT_EQ(rec.log.count(event_log::fence, seen) - rec.log.count(event_log::fence, start), 2u);
	for (auto t : rec.log.threads_of(event_log::flush))
		EXPECT_NE(t, std::this_thread::get_id());
}

TEST(BatchRules, AFenceOrdersTheEntriesAfterIt)
{
	mover mv(mover_kind::threads_waker);
	mapped_file mf(1 << 20, PMEM2_GRANULARITY_CACHE_LINE, mv.vdm(), "/dev/shm");
	ASSERT_NE(mf.map, nullptr);
	batch_owner bo(mf.map, 8);
	std::vector<char> src(4096, 'a');
	// a -> X, fence, X -> Y, fence, fill X: Y holds a's bytes, X the fill.
	char *x = mf.base, *y = mf.base + 65536;
	ASSERT_EQ(pmem2_batch_memcpy(bo.b, x, src.data(), src.size(), 0), 0);
	ASSERT_EQ(pmem2_batch_fence(bo.b), 0);
	ASSERT_EQ(pmem2_batch_memcpy(bo.b, y, x, src.size(), 0), 0);
	ASSERT_EQ(pmem2_batch_fence(bo.b), 0);
	ASSERT_EQ(pmem2_batch_memset(bo.b, x, 'z', src.size(), 0), 0);
	pmem2_future f = pmem2_batch_async(bo.b);
	wait_in_runtime(f);
	EXPECT_EQ(FUTURE_OUTPUT(&f)->result, 0);
	EXPECT_EQ(std::memcmp(y, src.data(), src.size()), 0);
	EXPECT_EQ(x[0], 'z');
	EXPECT_EQ(x[4095], 'z');
}

TEST(BatchRules, ABadEntryIsRefusedWhenAddedAndTheRestRuns)
{
	mapped_file mf(1 << 20, PMEM2_GRANULARITY_CACHE_LINE);
	ASSERT_NE(mf.map, nullptr);
	batch_owner bo(mf.map, 3);
	std::vector<char> src(100, 'q');
	ASSERT_EQ(pmem2_batch_memcpy(bo.b, mf.base, src.data(), 100, 0), 0);
	EXPECT_EQ(pmem2_batch_memcpy(bo.b, mf.base + (1 << 20) - 50, src.data(), 100, 0), PMEM2_E_MAP_RANGE);
	EXPECT_NE(std::string(pmem2_errormsg()).find("pmem2_batch_memcpy: range ["), std::string::npos);
	EXPECT_NE(std::string(pmem2_errormsg()).find("is not inside the map"), std::string::npos);
	EXPECT_EQ(pmem2_batch_memset(bo.b, mf.base + 200, 'r', 100, PMEM2_F_MEM_NODRAIN), -EINVAL);
	EXPECT_STREQ(pmem2_errormsg(),
		"pmem2_batch_memset: invalid flags 0x1 (allowed: NONTEMPORAL, TEMPORAL, WC, WB)");
	EXPECT_EQ(pmem2_batch_memset(bo.b, mf.base + 200, 'r', 100, 0), 0);
	EXPECT_EQ(pmem2_batch_memset(bo.b, mf.base + 400, 'r', 0, 0), 0);	// empty: not added
	EXPECT_EQ(pmem2_batch_size(bo.b), 2u);
	pmem2_future f = pmem2_batch_async(bo.b);
	wait_in_runtime(f);
	EXPECT_EQ(FUTURE_OUTPUT(&f)->result, 0);
	EXPECT_EQ(mf.base[99], 'q');
	EXPECT_EQ(mf.base[299], 'r');
	EXPECT_EQ(mf.base[100], 0);
}

TEST(BatchErrors, EveryCode)
{
	mapped_file mf(1 << 20, PMEM2_GRANULARITY_CACHE_LINE);
	ASSERT_NE(mf.map, nullptr);
	pmem2_batch *b = nullptr;
	EXPECT_EQ(pmem2_batch_new(nullptr, mf.map, 4), -EINVAL);
	EXPECT_STREQ(pmem2_errormsg(), "pmem2_batch_new: batch is NULL");
	EXPECT_EQ(pmem2_batch_new(&b, nullptr, 4), -EINVAL);
	EXPECT_STREQ(pmem2_errormsg(), "pmem2_batch_new: map is NULL");
	EXPECT_EQ(b, nullptr);
	EXPECT_EQ(pmem2_batch_new(&b, mf.map, 0), -EINVAL);
	EXPECT_STREQ(pmem2_errormsg(), "pmem2_batch_new: capacity is 0");
	EXPECT_EQ(pmem2_batch_new(&b, mf.map, SIZE_MAX), -ENOMEM);
	EXPECT_NE(std::string(pmem2_errormsg()).find("pmem2_batch_new: capacity 18446744073709551615 is more "
		"entries than memory can hold"), std::string::npos) << pmem2_errormsg();
	EXPECT_EQ(b, nullptr);
	ASSERT_EQ(pmem2_batch_new(&b, mf.map, 1), 0);
	EXPECT_EQ(pmem2_batch_fence(b), 0);
	EXPECT_EQ(pmem2_batch_persist(b, mf.base, 10), -ENOSPC);
	EXPECT_STREQ(pmem2_errormsg(), "pmem2_batch_persist: the batch is full (capacity 1)");
	EXPECT_EQ(pmem2_batch_persist(b, mf.base - 1, 10), PMEM2_E_MAP_RANGE);
	EXPECT_EQ(pmem2_batch_memcpy(b, nullptr, mf.base, 10, 0), PMEM2_E_MAP_RANGE);
	EXPECT_EQ(pmem2_batch_memcpy(b, mf.base, nullptr, 10, 0), -EINVAL);
	EXPECT_STREQ(pmem2_errormsg(), "pmem2_batch_memcpy: a source is NULL");
	EXPECT_EQ(pmem2_batch_memmove(b, mf.base, nullptr, 10, 0), -EINVAL);
	EXPECT_STREQ(pmem2_errormsg(), "pmem2_batch_memmove: a source is NULL");
	pmem2_batch_reset(b);
	EXPECT_EQ(pmem2_batch_size(b), 0u);
	EXPECT_EQ(pmem2_batch_persist(b, mf.base, 10), 0);
	pmem2_batch_delete(&b);
	EXPECT_EQ(b, nullptr);
	pmem2_batch_delete(&b);
	pmem2_batch_delete(nullptr);
	for (int rc : {pmem2_batch_memcpy(nullptr, mf.base, mf.base, 1, 0),
		     pmem2_batch_memmove(nullptr, mf.base, mf.base, 1, 0),
		     pmem2_batch_memset(nullptr, mf.base, 0, 1, 0), pmem2_batch_persist(nullptr, mf.base, 1),
		     pmem2_batch_fence(nullptr)})
		EXPECT_EQ(rc, -EINVAL);
	EXPECT_STREQ(pmem2_errormsg(), "pmem2_batch_fence: batch is NULL");
	EXPECT_EQ(pmem2_batch_size(nullptr), 0u);
	pmem2_batch_reset(nullptr);
	pmem2_future f = pmem2_batch_async(nullptr);
	EXPECT_EQ(FUTURE_STATE(&f), FUTURE_STATE_COMPLETE);
	EXPECT_EQ(FUTURE_OUTPUT(&f)->result, -EINVAL);
	EXPECT_STREQ(pmem2_errormsg(), "pmem2_batch_async: batch is NULL");
}

// A batch belongs to one map: an entry naming another map's memory is
// outside it.
TEST(BatchErrors, AnEntryOnAnotherMapIsOutsideTheMap)
{
	mapped_file one(1 << 20, PMEM2_GRANULARITY_CACHE_LINE), other(1 << 20, PMEM2_GRANULARITY_CACHE_LINE);
	ASSERT_NE(one.map, nullptr);
	ASSERT_NE(other.map, nullptr);
	batch_owner bo(one.map, 4);
	char src[64] = {};
	EXPECT_EQ(pmem2_batch_memcpy(bo.b, other.base, src, 64, 0), PMEM2_E_MAP_RANGE);
	EXPECT_EQ(pmem2_batch_persist(bo.b, other.base, 64), PMEM2_E_MAP_RANGE);
	EXPECT_EQ(pmem2_batch_size(bo.b), 0u);
	// Reading from another map is fine: sources may be anywhere.
	EXPECT_EQ(pmem2_batch_memcpy(bo.b, one.base, other.base, 64, 0), 0);
}

TEST(BatchErrors, AForeignMoverCannotHaveABatch)
{
	data_mover_sync *dms = data_mover_sync_new();
	struct vdm user = *data_mover_sync_get_vdm(dms);	// a user's mover borrowing the sync one's code
	user.op_check = [](void *, const vdm_operation *) { return FUTURE_STATE_COMPLETE; };
	mapped_file mf(1 << 20, PMEM2_GRANULARITY_CACHE_LINE, &user);
	ASSERT_NE(mf.map, nullptr);
	pmem2_batch *b = nullptr;
	EXPECT_EQ(pmem2_batch_new(&b, mf.map, 4), PMEM2_E_NOSUPP);
	EXPECT_EQ(b, nullptr);
	EXPECT_NE(std::string(pmem2_errormsg()).find("cannot run batches"), std::string::npos);
	pmem2_map_delete(&mf.map);
	data_mover_sync_delete(dms);
}

TEST(BatchErrors, AReadOnlyMapTakesPersistsOnly)
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
	{
		batch_owner bo(map, 4);
		EXPECT_EQ(pmem2_batch_memset(bo.b, base, 1, 10, 0), PMEM2_E_NO_ACCESS);
		EXPECT_EQ(pmem2_batch_persist(bo.b, base, 4096), 0);
		pmem2_future f = pmem2_batch_async(bo.b);
		wait_in_runtime(f);
		EXPECT_EQ(FUTURE_OUTPUT(&f)->result, 0);
	}
	pmem2_map_delete(&map);
	pmem2_source_delete(&src);
	pmem2_config_delete(&cfg);
}

TEST(BatchLifetime, AMapDeletedBeforeTheFirstPollWritesNothing)
{
	for (mover_kind mk : {mover_kind::default_mover, mover_kind::sync, mover_kind::threads_waker}) {
		SCOPED_TRACE(mover_name(mk));
		mover mv(mk);
		mapped_file mf(1 << 20, PMEM2_GRANULARITY_CACHE_LINE, mv.vdm());
		ASSERT_NE(mf.map, nullptr);
		std::vector<char> src(4096, 'w');
		pmem2_batch *b = nullptr;
		ASSERT_EQ(pmem2_batch_new(&b, mf.map, 2), 0);
		ASSERT_EQ(pmem2_batch_memcpy(b, mf.base, src.data(), src.size(), 0), 0);
		pmem2_future f = pmem2_batch_async(b);
		pmem2_map_delete(&mf.map);
		wait_in_runtime(f);
		EXPECT_EQ(FUTURE_OUTPUT(&f)->result, PMEM2_E_MAPPING_NOT_FOUND);
		std::vector<char> back(4096);
		ASSERT_EQ(pread(mf.file.fd(), back.data(), back.size(), 0), ssize_t(back.size()));
		EXPECT_EQ(back, std::vector<char>(4096, 0));
		pmem2_batch_delete(&b);
	}
}

TEST(BatchLifetime, ABatchRunsAgainAndIsRefilledAfterReset)
{
	mover mv(mover_kind::threads_waker);
	mapped_file mf(1 << 20, PMEM2_GRANULARITY_CACHE_LINE, mv.vdm());
	ASSERT_NE(mf.map, nullptr);
	batch_owner bo(mf.map, 4);
	std::vector<char> src(1000, 'a');
	ASSERT_EQ(pmem2_batch_memcpy(bo.b, mf.base, src.data(), src.size(), 0), 0);
	for (char c : {'a', 'b'}) {
		std::memset(src.data(), c, src.size());
		pmem2_future f = pmem2_batch_async(bo.b);
		wait_in_runtime(f);
		EXPECT_EQ(FUTURE_OUTPUT(&f)->result, 0);
		EXPECT_EQ(mf.base[999], c);
	}
	pmem2_batch_reset(bo.b);
	ASSERT_EQ(pmem2_batch_memset(bo.b, mf.base + 5000, 'm', 10, 0), 0);
	pmem2_future g = pmem2_batch_async(bo.b);
	wait_in_runtime(g);
	EXPECT_EQ(mf.base[5009], 'm');
	EXPECT_EQ(mf.base[999], 'b');
	pmem2_future empty_after_reset = (pmem2_batch_reset(bo.b), pmem2_batch_async(bo.b));
	EXPECT_EQ(FUTURE_STATE(&empty_after_reset), FUTURE_STATE_COMPLETE);
	EXPECT_EQ(FUTURE_OUTPUT(&empty_after_reset)->result, 0);
}

} // namespace
