// The operations of <libpmem2/operations.h> as single futures (each a
// one-entry batch kept inside the future): against references (memset of
// the pattern, memcmp, a bitwise CRC32C) on every mover and granularity,
// durable at completion; every refused input with its code and message; a
// foreign mover; a future copied by value before its first poll, dropped
// unpolled, or outliving its map. And pmem2_batch_add_future: never-polled
// futures fused into one batch with one drain, and its refusals. On the
// shared pair, as users link it.
#define PMEM2_USE_MINIASYNC 1
#include <libpmem2.h>
#include <libpmem2/batch.h>
#include <libpmem2/operations.h>
#include <libpmem2/persist_async.h>
#include <libminiasync.h>

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
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

std::uint32_t crc32c_reference(std::uint32_t crc, const void *p, std::size_t n)
{
	return pmem2::test::crc32c_of(p, n, crc);
}

bool has(const char *msg)
{
	return std::string(pmem2_errormsg()).find(msg) != std::string::npos;
}

const std::size_t lengths[] = {0, 1, 63, 4096, (1 << 20) + 3};

using param = std::tuple<pmem2_granularity, mover_kind>;
class Operations : public ::testing::TestWithParam<param> {};

TEST_P(Operations, EachAgainstItsReferenceDurableAtCompletion)
{
	auto [forced, mk] = GetParam();
	recorded rec;
	mover mv(mk);
	mapped_file mf(8 << 20, forced, mv.vdm(), "/dev/shm");
	ASSERT_NE(mf.map, nullptr);
	// CACHE_LINE is PAGE where the CPU cannot write back lines.
	ASSERT_EQ(mf.granularity, pmem2::test::granularity_on_this_cpu(forced));
	const pmem2_granularity gran = mf.granularity;
	std::vector<char> src((1 << 20) + 64);
	pmem2::test::fill_pattern(src.data(), src.size(), 23);
	for (std::size_t len : lengths) {
		SCOPED_TRACE(len);
		const std::size_t mis = 1 + len % 13;
		char *fill8 = mf.base + mis, *d1 = mf.base + (2 << 20) + mis,
		     *d2 = mf.base + (4 << 20) + 64 + 3, *cc = mf.base + (6 << 20) + mis + 5;
		const std::uint64_t pattern = 0x1122334455667788ull ^ len;

		rec.log.clear();
		pmem2_future f = pmem2_memset8_async(mf.map, fill8, pattern, len, 0);
		EXPECT_EQ(FUTURE_OUTPUT(&f)->dest, fill8);
		wait_in_runtime(f);
		std::uint64_t seen = rec.log.mark();
		ASSERT_EQ(FUTURE_OUTPUT(&f)->result, 0) << pmem2_errormsg();
		for (std::size_t i = 0; i < len; ++i)
			ASSERT_EQ(static_cast<unsigned char>(fill8[i]),
				static_cast<unsigned char>(pattern >> (8 * (i % 8)))) << i;
		// (A zero-length write has nothing to make durable.)
		if (len != 0)
			EXPECT_EQ(rec.log.durable_by_all({{fill8, len}}, gran, seen), "");

		f = pmem2_dualcast_async(mf.map, d1, d2, src.data() + 1, len, PMEM2_F_MEM_NONTEMPORAL);
		EXPECT_EQ(FUTURE_OUTPUT(&f)->dest, d1);
		wait_in_runtime(f);
		seen = rec.log.mark();
		ASSERT_EQ(FUTURE_OUTPUT(&f)->result, 0) << pmem2_errormsg();
		EXPECT_EQ(std::memcmp(d1, src.data() + 1, len), 0);
		EXPECT_EQ(std::memcmp(d2, src.data() + 1, len), 0);
		if (len != 0)
			EXPECT_EQ(rec.log.durable_by_all({{d1, len}, {d2, len}}, gran, seen), "");

		std::uint32_t crc = 7;
		f = pmem2_crc32c_async(mf.map, src.data() + 3, len, 0xabcd, &crc);
		EXPECT_EQ(FUTURE_OUTPUT(&f)->dest, nullptr);
		wait_in_runtime(f);
		ASSERT_EQ(FUTURE_OUTPUT(&f)->result, 0) << pmem2_errormsg();
		EXPECT_EQ(crc, crc32c_reference(0xabcd, src.data() + 3, len));

		std::uint32_t copy_crc = 7;
		f = pmem2_copy_crc32c_async(mf.map, cc, src.data() + 5, len, 9, &copy_crc, PMEM2_F_MEM_TEMPORAL);
		EXPECT_EQ(FUTURE_OUTPUT(&f)->dest, cc);
		wait_in_runtime(f);
		seen = rec.log.mark();
		ASSERT_EQ(FUTURE_OUTPUT(&f)->result, 0) << pmem2_errormsg();
		EXPECT_EQ(std::memcmp(cc, src.data() + 5, len), 0);
		EXPECT_EQ(copy_crc, crc32c_reference(9, src.data() + 5, len));	// 0: the seed
		if (len != 0)
			EXPECT_EQ(rec.log.durable_by_all({{cc, len}}, gran, seen), "");

		// Compare: equal, and a difference in the middle (one buffer in the map).
		std::size_t same = 1234, differ = 1234;
		f = pmem2_compare_async(mf.map, d1, src.data() + 1, len, &same);
		EXPECT_EQ(FUTURE_OUTPUT(&f)->dest, nullptr);
		wait_in_runtime(f);
		ASSERT_EQ(FUTURE_OUTPUT(&f)->result, 0);
		EXPECT_EQ(same, len);
		std::vector<char> other(src.begin() + 1, src.begin() + 1 + std::ptrdiff_t(len));
		if (len != 0)
			other[len / 2] ^= 0x10;
		f = pmem2_compare_async(mf.map, d1, other.data(), len, &differ);
		wait_in_runtime(f);
		ASSERT_EQ(FUTURE_OUTPUT(&f)->result, 0);
		EXPECT_EQ(differ, len == 0 ? 0 : len / 2);
	}
}

std::string param_name(const ::testing::TestParamInfo<param> &info)
{
	auto [g, m] = info.param;
	return std::string(pmem2::test::granularity_name(g)) + "_" + mover_name(m);
}

INSTANTIATE_TEST_SUITE_P(All, Operations,
	::testing::Combine(::testing::Values(PMEM2_GRANULARITY_BYTE, PMEM2_GRANULARITY_CACHE_LINE,
				   PMEM2_GRANULARITY_PAGE),
		::testing::Values(mover_kind::default_mover, mover_kind::sync, mover_kind::threads_waker,
			mover_kind::threads_poller)),
	param_name);

TEST(OperationsCrc, TheStandardCheckValueAndAZeroLengthGivesTheSeed)
{
	mapped_file mf(1 << 20, PMEM2_GRANULARITY_CACHE_LINE);
	ASSERT_NE(mf.map, nullptr);
	std::uint32_t crc = 0, copied = 0, empty = 0;
	pmem2_future f = pmem2_crc32c_async(mf.map, "123456789", 9, 0, &crc);
	pmem2_future g = pmem2_copy_crc32c_async(mf.map, mf.base, "123456789", 9, 0, &copied, 0);
	pmem2_future h = pmem2_crc32c_async(mf.map, nullptr, 0, 0x5eed, &empty);
	EXPECT_EQ(FUTURE_STATE(&h), FUTURE_STATE_IDLE);	// it runs, and writes the seed
	wait_in_runtime(f);
	wait_in_runtime(g);
	wait_in_runtime(h);
	EXPECT_EQ(crc, 0xE3069283u);
	EXPECT_EQ(copied, 0xE3069283u);
	EXPECT_EQ(empty, 0x5eedu);
	EXPECT_EQ(std::memcmp(mf.base, "123456789", 9), 0);
}

// A future complete at once with `code`, its message containing `msg`.
void expect_refused(pmem2_future f, int code, const char *msg)
{
	EXPECT_EQ(FUTURE_STATE(&f), FUTURE_STATE_COMPLETE);
	EXPECT_EQ(FUTURE_OUTPUT(&f)->result, code);
	EXPECT_TRUE(has(msg)) << pmem2_errormsg() << " lacks " << msg;
	wait_in_runtime(f);	// polling it changes nothing
	EXPECT_EQ(FUTURE_OUTPUT(&f)->result, code);
}

TEST(OperationsErrors, EveryCheckWithItsCodeAndMessage)
{
	mapped_file mf(1 << 20, PMEM2_GRANULARITY_CACHE_LINE);
	ASSERT_NE(mf.map, nullptr);
	char buf[64] = {};
	std::uint32_t crc = 77;
	std::size_t at = 77;
	char *end = mf.base + (1 << 20) - 4;

	expect_refused(pmem2_memset8_async(nullptr, mf.base, 1, 8, 0), -EINVAL, "pmem2_memset8_async: map is NULL");
	expect_refused(pmem2_dualcast_async(nullptr, mf.base, mf.base + 64, buf, 8, 0), -EINVAL,
		"pmem2_dualcast_async: map is NULL");
	expect_refused(pmem2_crc32c_async(nullptr, buf, 8, 0, &crc), -EINVAL, "pmem2_crc32c_async: map is NULL");
	expect_refused(pmem2_copy_crc32c_async(nullptr, mf.base, buf, 8, 0, &crc, 0), -EINVAL,
		"pmem2_copy_crc32c_async: map is NULL");
	expect_refused(pmem2_compare_async(nullptr, buf, buf, 8, &at), -EINVAL, "pmem2_compare_async: map is NULL");

	// Each destination outside the map.
	expect_refused(pmem2_memset8_async(mf.map, end, 1, 8, 0), PMEM2_E_MAP_RANGE,
		"pmem2_memset8_async: range");
	expect_refused(pmem2_memset8_async(mf.map, buf, 1, 8, 0), PMEM2_E_MAP_RANGE,
		"is not inside the map");
	expect_refused(pmem2_dualcast_async(mf.map, buf, mf.base, buf, 8, 0), PMEM2_E_MAP_RANGE,
		"pmem2_dualcast_async: range");
	expect_refused(pmem2_dualcast_async(mf.map, mf.base, end, buf, 8, 0), PMEM2_E_MAP_RANGE,
		"pmem2_dualcast_async: range");
	expect_refused(pmem2_copy_crc32c_async(mf.map, end, buf, 8, 0, &crc, 0), PMEM2_E_MAP_RANGE,
		"pmem2_copy_crc32c_async: range");

	// NULL result pointers, NULL sources.
	expect_refused(pmem2_crc32c_async(mf.map, buf, 8, 0, nullptr), -EINVAL,
		"pmem2_crc32c_async: the result pointer is NULL");
	expect_refused(pmem2_copy_crc32c_async(mf.map, mf.base, buf, 8, 0, nullptr, 0), -EINVAL,
		"pmem2_copy_crc32c_async: the result pointer is NULL");
	expect_refused(pmem2_compare_async(mf.map, buf, buf, 8, nullptr), -EINVAL,
		"pmem2_compare_async: the result pointer is NULL");
	expect_refused(pmem2_dualcast_async(mf.map, mf.base, mf.base + 64, nullptr, 8, 0), -EINVAL,
		"pmem2_dualcast_async: a source is NULL");
	expect_refused(pmem2_crc32c_async(mf.map, nullptr, 8, 0, &crc), -EINVAL,
		"pmem2_crc32c_async: a source is NULL");
	expect_refused(pmem2_copy_crc32c_async(mf.map, mf.base, nullptr, 8, 0, &crc, 0), -EINVAL,
		"pmem2_copy_crc32c_async: a source is NULL");
	expect_refused(pmem2_compare_async(mf.map, nullptr, buf, 8, &at), -EINVAL,
		"pmem2_compare_async: a source is NULL");
	expect_refused(pmem2_compare_async(mf.map, buf, nullptr, 8, &at), -EINVAL,
		"pmem2_compare_async: a source is NULL");

	// Invalid flags.
	expect_refused(pmem2_memset8_async(mf.map, mf.base, 1, 8, PMEM2_F_MEM_NOFLUSH), -EINVAL,
		"pmem2_memset8_async: invalid flags");
	expect_refused(pmem2_dualcast_async(mf.map, mf.base, mf.base + 64, buf, 8, PMEM2_F_MEM_NODRAIN),
		-EINVAL, "pmem2_dualcast_async: invalid flags");
	expect_refused(pmem2_copy_crc32c_async(mf.map, mf.base, buf, 8, 0, &crc, 1u << 20), -EINVAL,
		"pmem2_copy_crc32c_async: invalid flags");

	// Nothing was written by any of them.
	EXPECT_EQ(crc, 77u);
	EXPECT_EQ(at, 77u);
	EXPECT_EQ(std::string(mf.base, 64), std::string(64, '\0'));

	// A zero-length write is checked for flags and sources only: complete, 0.
	pmem2_future z = pmem2_memset8_async(mf.map, buf, 1, 0, 0);
	EXPECT_EQ(FUTURE_STATE(&z), FUTURE_STATE_COMPLETE);
	EXPECT_EQ(FUTURE_OUTPUT(&z)->result, 0);
}

TEST(OperationsErrors, AReadOnlyMapReadsButDoesNotWrite)
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
	char buf[64] = {};
	std::uint32_t crc = 0;
	expect_refused(pmem2_memset8_async(map, base, 1, 8, 0), PMEM2_E_NO_ACCESS,
		"pmem2_memset8_async: the map at");
	expect_refused(pmem2_dualcast_async(map, base, base + 64, buf, 8, 0), PMEM2_E_NO_ACCESS,
		"pmem2_dualcast_async: the map at");
	expect_refused(pmem2_copy_crc32c_async(map, base, buf, 8, 0, &crc, 0), PMEM2_E_NO_ACCESS,
		"not writable");
	// Reading the map is allowed.
	pmem2_future f = pmem2_crc32c_async(map, base, 4096, 0, &crc);
	wait_in_runtime(f);
	EXPECT_EQ(FUTURE_OUTPUT(&f)->result, 0);
	EXPECT_EQ(crc, crc32c_reference(0, std::string(4096, '\0').data(), 4096));
	std::size_t at = 1;
	const std::string zeros(64, '\0');
	f = pmem2_compare_async(map, base, zeros.data(), 64, &at);
	wait_in_runtime(f);
	EXPECT_EQ(at, 64u);
	pmem2_map_delete(&map);
	pmem2_source_delete(&src);
	pmem2_config_delete(&cfg);
}

TEST(OperationsErrors, AForeignMoverIsNotSupported)
{
	data_mover_sync *dms = data_mover_sync_new();
	struct vdm user = *data_mover_sync_get_vdm(dms);
	user.op_check = [](void *, const vdm_operation *) { return FUTURE_STATE_COMPLETE; };
	{
		mapped_file mf(1 << 20, PMEM2_GRANULARITY_CACHE_LINE, &user);
		ASSERT_NE(mf.map, nullptr);
		char buf[64] = {};
		std::uint32_t crc = 5;
		std::size_t at = 5;
		expect_refused(pmem2_memset8_async(mf.map, mf.base, 1, 8, 0), PMEM2_E_NOSUPP,
			"pmem2_memset8_async: the map's mover is not one of pmem2's");
		expect_refused(pmem2_dualcast_async(mf.map, mf.base, mf.base + 64, buf, 8, 0), PMEM2_E_NOSUPP,
			"pmem2_dualcast_async: the map's mover");
		expect_refused(pmem2_crc32c_async(mf.map, buf, 8, 0, &crc), PMEM2_E_NOSUPP,
			"pmem2_crc32c_async: the map's mover");
		expect_refused(pmem2_copy_crc32c_async(mf.map, mf.base, buf, 8, 0, &crc, 0), PMEM2_E_NOSUPP,
			"pmem2_copy_crc32c_async: the map's mover");
		expect_refused(pmem2_compare_async(mf.map, buf, buf, 8, &at), PMEM2_E_NOSUPP,
			"pmem2_compare_async: the map's mover");
		EXPECT_EQ(crc, 5u);
		EXPECT_EQ(at, 5u);
		EXPECT_EQ(mf.base[0], 0);
	}
	data_mover_sync_delete(dms);
}

// The entry lives in the future: a copy made before the first poll runs its
// own entry, wherever the original was or whatever became of it.
TEST(OperationsLifetime, AFutureCopiedBeforeItsFirstPollRunsFromItsNewPlace)
{
	for (mover_kind mk : {mover_kind::default_mover, mover_kind::sync, mover_kind::threads_waker}) {
		SCOPED_TRACE(mover_name(mk));
		mover mv(mk);
		mapped_file mf(1 << 20, PMEM2_GRANULARITY_CACHE_LINE, mv.vdm());
		ASSERT_NE(mf.map, nullptr);
		std::vector<char> src(5000);
		pmem2::test::fill_pattern(src.data(), src.size(), 3);
		std::uint32_t crc = 0;
		auto first = std::make_unique<pmem2_future>(
			pmem2_copy_crc32c_async(mf.map, mf.base + 100, src.data(), src.size(), 0, &crc, 0));
		auto second = std::make_unique<pmem2_future>(pmem2_memset8_async(mf.map, mf.base + 8192,
			0x0807060504030201ull, 24, 0));
		pmem2_future a = *first, b = *second;
		std::memset(static_cast<void *>(first.get()), 0xa5, sizeof(pmem2_future));
		std::memset(static_cast<void *>(second.get()), 0x5a, sizeof(pmem2_future));
		first.reset();
		second.reset();
		wait_in_runtime(a);
		wait_in_runtime(b);
		EXPECT_EQ(FUTURE_OUTPUT(&a)->result, 0);
		EXPECT_EQ(FUTURE_OUTPUT(&b)->result, 0);
		EXPECT_EQ(std::memcmp(mf.base + 100, src.data(), src.size()), 0);
		EXPECT_EQ(crc, crc32c_reference(0, src.data(), src.size()));
		for (int i = 0; i < 24; ++i)
			EXPECT_EQ(mf.base[8192 + i], char(1 + i % 8));
	}
}

TEST(OperationsLifetime, AFutureDroppedUnpolledWritesNothing)
{
	for (mover_kind mk : {mover_kind::default_mover, mover_kind::sync, mover_kind::threads_waker}) {
		SCOPED_TRACE(mover_name(mk));
		mover mv(mk);
		mapped_file mf(1 << 20, PMEM2_GRANULARITY_CACHE_LINE, mv.vdm());
		ASSERT_NE(mf.map, nullptr);
		std::vector<char> src(4096, 'x');
		std::uint32_t crc = 3;
		std::size_t at = 3;
		{
			pmem2_future f1 = pmem2_memset8_async(mf.map, mf.base, ~0ull, 4096, 0);
			pmem2_future f2 = pmem2_dualcast_async(mf.map, mf.base, mf.base + 8192, src.data(), 4096, 0);
			pmem2_future f3 = pmem2_copy_crc32c_async(mf.map, mf.base, src.data(), 4096, 0, &crc, 0);
			pmem2_future f4 = pmem2_compare_async(mf.map, src.data(), mf.base, 4096, &at);
			pmem2_future f5 = pmem2_crc32c_async(mf.map, src.data(), 4096, 0, &crc);
			(void)f1, (void)f2, (void)f3, (void)f4, (void)f5;
		}
		EXPECT_EQ(crc, 3u);
		EXPECT_EQ(at, 3u);
		EXPECT_EQ(std::string(mf.base, 16384), std::string(16384, '\0'));
	}
}

TEST(OperationsLifetime, AMapDeletedBeforeTheFirstPollWritesNothing)
{
	for (mover_kind mk : {mover_kind::default_mover, mover_kind::sync, mover_kind::threads_waker}) {
		SCOPED_TRACE(mover_name(mk));
		mover mv(mk);
		mapped_file mf(1 << 20, PMEM2_GRANULARITY_CACHE_LINE, mv.vdm());
		ASSERT_NE(mf.map, nullptr);
		std::uint32_t crc = 3;
		std::vector<char> src(4096, 'w');
		pmem2_future f = pmem2_copy_crc32c_async(mf.map, mf.base, src.data(), 4096, 0, &crc, 0);
		pmem2_map_delete(&mf.map);
		wait_in_runtime(f);
		EXPECT_EQ(FUTURE_OUTPUT(&f)->result, PMEM2_E_MAPPING_NOT_FOUND);
		EXPECT_EQ(crc, 3u);
		std::vector<char> back(4096);
		ASSERT_EQ(pread(mf.file.fd(), back.data(), back.size(), 0), ssize_t(back.size()));
		EXPECT_EQ(back, std::vector<char>(4096, 0));
	}
}

// pmem2_batch_add_future: N small copies made as futures, one batch, one drain.
class BatchAddFuture : public ::testing::TestWithParam<mover_kind> {};

TEST_P(BatchAddFuture, NeverPolledFuturesRunAsOneBatchWithOneDrain)
{
	recorded rec;
	mover mv(GetParam());
	mapped_file mf(1 << 20, PMEM2_GRANULARITY_CACHE_LINE, mv.vdm(), "/dev/shm");
	ASSERT_NE(mf.map, nullptr);
	// Where the CPU cannot write back lines the map is PAGE: durable by the
	// page syncs, and the batch has no drain.
	ASSERT_EQ(mf.granularity, pmem2::test::granularity_on_this_cpu(PMEM2_GRANULARITY_CACHE_LINE));
	const std::size_t drains = mf.granularity == PMEM2_GRANULARITY_CACHE_LINE ? 1 : 0;
	constexpr int n = 16;
	std::vector<char> src(n * 100);
	pmem2::test::fill_pattern(src.data(), src.size(), 9);
	std::vector<pmem2_future> fs;
	std::vector<std::pair<const void *, std::size_t>> ranges;
	for (int i = 0; i < n; ++i) {
		char *d = mf.base + 4096 * i + 3;
		fs.push_back(pmem2_memcpy_async(mf.map, d, src.data() + 100 * i, 100, PMEM2_F_MEM_TEMPORAL));
		ranges.emplace_back(d, 100);
	}
	std::uint32_t crc = 0;
	std::size_t at = 0;
	fs.push_back(pmem2_crc32c_async(mf.map, src.data(), src.size(), 0, &crc));
	fs.push_back(pmem2_compare_async(mf.map, src.data(), src.data(), 10, &at));
	fs.push_back(pmem2_memset_async(mf.map, mf.base + 4096 * n, 'z', 50, 0));
	fs.push_back(pmem2_memset8_async(mf.map, mf.base + 4096 * (n + 1), 0x4141414141414141ull, 50, 0));
	pmem2::test::fill_pattern(mf.base + 4096 * (n + 2), 64, 1);
	fs.push_back(pmem2_persist_async(mf.map, mf.base + 4096 * (n + 2), 64));
	ranges.emplace_back(mf.base + 4096 * n, 50);
	ranges.emplace_back(mf.base + 4096 * (n + 1), 50);
	ranges.emplace_back(mf.base + 4096 * (n + 2), 64);
	pmem2_batch *b = nullptr;
	ASSERT_EQ(pmem2_batch_new(&b, mf.map, fs.size()), 0);
	for (auto &f : fs)
		ASSERT_EQ(pmem2_batch_add_future(b, &f), 0) << pmem2_errormsg();
	EXPECT_EQ(pmem2_batch_size(b), fs.size());
	rec.log.clear();
	const std::uint64_t start = rec.log.mark();
	pmem2_future all = pmem2_batch_async(b);
	wait_in_runtime(all);
	const std::uint64_t seen = rec.log.mark();
	EXPECT_EQ(FUTURE_OUTPUT(&all)->result, 0);
	EXPECT_EQ(rec.log.count(event_log::fence, seen) - rec.log.count(event_log::fence, start), drains);
	EXPECT_EQ(rec.log.durable_by_all(ranges, mf.granularity, seen), "");
	for (int i = 0; i < n; ++i)
		EXPECT_EQ(std::memcmp(mf.base + 4096 * i + 3, src.data() + 100 * i, 100), 0) << i;
	EXPECT_EQ(crc, crc32c_reference(0, src.data(), src.size()));
	EXPECT_EQ(at, 10u);
	EXPECT_EQ(mf.base[4096 * n + 49], 'z');
	EXPECT_EQ(mf.base[4096 * (n + 1) + 49], 'A');
	pmem2_batch_delete(&b);
}

INSTANTIATE_TEST_SUITE_P(All, BatchAddFuture,
	::testing::Values(mover_kind::default_mover, mover_kind::sync, mover_kind::threads_waker),
	[](const auto &info) { return std::string(mover_name(info.param)); });

TEST(BatchAddFutureErrors, EveryRefusalWithItsCode)
{
	mapped_file mf(1 << 20, PMEM2_GRANULARITY_CACHE_LINE), other(1 << 20, PMEM2_GRANULARITY_CACHE_LINE);
	ASSERT_NE(mf.map, nullptr);
	ASSERT_NE(other.map, nullptr);
	char buf[64] = {};
	pmem2_batch *b = nullptr;
	ASSERT_EQ(pmem2_batch_new(&b, mf.map, 1), 0);
	pmem2_future ok = pmem2_memcpy_async(mf.map, mf.base, buf, 64, 0);
	EXPECT_EQ(pmem2_batch_add_future(nullptr, &ok), -EINVAL);
	EXPECT_TRUE(has("pmem2_batch_add_future: batch is NULL"));
	EXPECT_EQ(pmem2_batch_add_future(b, nullptr), -EINVAL);
	EXPECT_TRUE(has("pmem2_batch_add_future: future is NULL"));

	pmem2_future refused = pmem2_memcpy_async(mf.map, buf, buf, 64, 0);
	EXPECT_EQ(pmem2_batch_add_future(b, &refused), -EALREADY);
	EXPECT_TRUE(has("pmem2_batch_add_future: the future was polled already or is complete"));
	pmem2_future empty = pmem2_memcpy_async(mf.map, mf.base, buf, 0, 0);
	EXPECT_EQ(pmem2_batch_add_future(b, &empty), -EALREADY);
	pmem2_future polled = pmem2_memcpy_async(mf.map, mf.base, buf, 64, 0);
	wait_in_runtime(polled);
	EXPECT_EQ(pmem2_batch_add_future(b, &polled), -EALREADY);

	pmem2_future elsewhere = pmem2_memcpy_async(other.map, other.base, buf, 64, 0);
	EXPECT_EQ(pmem2_batch_add_future(b, &elsewhere), -EXDEV);
	EXPECT_TRUE(has("pmem2_batch_add_future: the future is not of the batch's map"));

	pmem2_batch *b2 = nullptr;
	ASSERT_EQ(pmem2_batch_new(&b2, mf.map, 1), 0);
	ASSERT_EQ(pmem2_batch_memcpy(b2, mf.base, buf, 64, 0), 0);
	pmem2_future of_batch = pmem2_batch_async(b2);
	EXPECT_EQ(pmem2_batch_add_future(b, &of_batch), PMEM2_E_NOSUPP);
	EXPECT_TRUE(has("the future is a batch's"));
	pmem2_future stranger{};
	FUTURE_INIT(&stranger, [](future_context *, future_notifier *) { return FUTURE_STATE_COMPLETE; });
	EXPECT_EQ(pmem2_batch_add_future(b, &stranger), PMEM2_E_NOSUPP);

	EXPECT_EQ(pmem2_batch_add_future(b, &ok), 0);
	pmem2_future more = pmem2_memset_async(mf.map, mf.base, 1, 64, 0);
	EXPECT_EQ(pmem2_batch_add_future(b, &more), -ENOSPC);
	EXPECT_EQ(pmem2_batch_size(b), 1u);
	pmem2_batch_delete(&b);
	pmem2_batch_delete(&b2);

	// A foreign mover's future.
	data_mover_sync *dms = data_mover_sync_new();
	struct vdm user = *data_mover_sync_get_vdm(dms);
	user.op_check = [](void *, const vdm_operation *) { return FUTURE_STATE_COMPLETE; };
	{
		mapped_file foreign(1 << 20, PMEM2_GRANULARITY_CACHE_LINE, &user);
		ASSERT_NE(foreign.map, nullptr);
		ASSERT_EQ(pmem2_batch_new(&b, mf.map, 1), 0);
		pmem2_future ff = pmem2_memcpy_async(foreign.map, foreign.base, buf, 64, 0);
		EXPECT_EQ(pmem2_batch_add_future(b, &ff), PMEM2_E_NOSUPP);
		EXPECT_TRUE(has("not a future of a map whose mover runs batches"));
		pmem2_batch_delete(&b);
	}
	data_mover_sync_delete(dms);
}

} // namespace
