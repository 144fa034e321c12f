// The operations beyond copies, as batch entries (<libpmem2/batch.h>):
// memset8, dualcast, crc32c, copy_crc32c and compare against references
// (memset of the pattern, memcmp, a bitwise CRC32C), durable at completion
// at every granularity on every mover, results written when the future
// completes; their bad input with its codes; the capability query. On the
// shared pair, as users link it.
#define PMEM2_USE_MINIASYNC 1
#include <libpmem2.h>
#include <libpmem2/batch.h>
#include <libminiasync.h>

#include <gtest/gtest.h>

#include <cstring>
#include <string>
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

// The definition, bit by bit: the reference the kernels are held to.
std::uint32_t crc32c_reference(std::uint32_t crc, const void *p, std::size_t n)
{
	const auto *b = static_cast<const unsigned char *>(p);
	crc = ~crc;
	for (std::size_t i = 0; i < n; ++i) {
		crc ^= b[i];
		for (int k = 0; k < 8; ++k)
			crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1)));
	}
	return ~crc;
}

using pmem2::test::mover;
using pmem2::test::mover_kind;
using pmem2::test::mover_name;
using pmem2::test::recorded;
using pmem2::test::wait_in_runtime;


using param = std::tuple<pmem2_granularity, mover_kind>;
class BatchOps : public ::testing::TestWithParam<param> {};

TEST_P(BatchOps, EveryOperationAgainstItsReferenceDurableAtCompletion)
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
	pmem2::test::fill_pattern(src.data(), src.size(), 11);
	for (std::size_t len : {std::size_t(0), std::size_t(1), std::size_t(63), std::size_t(4096 + 5),
		     std::size_t((1 << 20) + 3)}) {
		SCOPED_TRACE(len);
		const std::size_t mis = len % 13;
		char *fill8 = mf.base + mis, *d1 = mf.base + (2 << 20) + 64 + mis,
		     *d2 = mf.base + (4 << 20) + 128, *cc = mf.base + (6 << 20) + 192 + mis;
		const std::uint64_t pattern = 0x0102030405060708ull + len;
		pmem2_batch *b = nullptr;
		ASSERT_EQ(pmem2_batch_new(&b, mf.map, 8), 0);
		std::uint32_t crc = 1, copy_crc = 2;
		std::size_t same = 7, differ = 7;
		ASSERT_EQ(pmem2_batch_memset8(b, fill8, pattern, len, 0), 0);
		ASSERT_EQ(pmem2_batch_dualcast(b, d1, d2, src.data() + 1, len, 0), 0);
		ASSERT_EQ(pmem2_batch_crc32c(b, src.data() + 3, len, 0x1234, &crc), 0);
		ASSERT_EQ(pmem2_batch_copy_crc32c(b, cc, src.data() + 5, len, 0, &copy_crc, 0), 0);
		ASSERT_EQ(pmem2_batch_compare(b, src.data(), src.data(), len, &same), 0);
		std::vector<char> other(src.begin(), src.begin() + std::ptrdiff_t(len));
		if (len != 0)
			other[len / 2] ^= 0x40;
		ASSERT_EQ(pmem2_batch_compare(b, src.data(), other.data(), len, &differ), 0);
		rec.log.clear();
		pmem2_future f = pmem2_batch_async(b);
		wait_in_runtime(f);
		const std::uint64_t seen = rec.log.mark();
		ASSERT_EQ(FUTURE_OUTPUT(&f)->result, 0) << pmem2_errormsg();
		for (std::size_t i = 0; i < len; ++i)
			ASSERT_EQ(static_cast<unsigned char>(fill8[i]),
				static_cast<unsigned char>(pattern >> (8 * (i % 8)))) << i;
		EXPECT_EQ(std::memcmp(d1, src.data() + 1, len), 0);
		EXPECT_EQ(std::memcmp(d2, src.data() + 1, len), 0);
		EXPECT_EQ(std::memcmp(cc, src.data() + 5, len), 0);
		EXPECT_EQ(crc, crc32c_reference(0x1234, src.data() + 3, len));
		EXPECT_EQ(copy_crc, crc32c_reference(0, src.data() + 5, len));
		EXPECT_EQ(same, len);
		EXPECT_EQ(differ, len == 0 ? 0 : len / 2);
		EXPECT_EQ(rec.log.durable_by_all({{fill8, len}, {d1, len}, {d2, len}, {cc, len}}, gran, seen), "");
		pmem2_batch_delete(&b);
	}
}

std::string param_name(const ::testing::TestParamInfo<param> &info)
{
	auto [g, m] = info.param;
	return std::string(pmem2::test::granularity_name(g)) + "_" + mover_name(m);
}

INSTANTIATE_TEST_SUITE_P(All, BatchOps,
	::testing::Combine(::testing::Values(PMEM2_GRANULARITY_BYTE, PMEM2_GRANULARITY_CACHE_LINE,
				   PMEM2_GRANULARITY_PAGE),
		::testing::Values(mover_kind::default_mover, mover_kind::sync, mover_kind::threads_waker)),
	param_name);

TEST(BatchOpsCrc, TheStandardCheckValue)
{
	mapped_file mf(1 << 20, PMEM2_GRANULARITY_CACHE_LINE);
	ASSERT_NE(mf.map, nullptr);
	pmem2_batch *b = nullptr;
	ASSERT_EQ(pmem2_batch_new(&b, mf.map, 2), 0);
	std::uint32_t crc = 0, copied = 0;
	ASSERT_EQ(pmem2_batch_crc32c(b, "123456789", 9, 0, &crc), 0);
	ASSERT_EQ(pmem2_batch_copy_crc32c(b, mf.base, "123456789", 9, 0, &copied, 0), 0);
	pmem2_future f = pmem2_batch_async(b);
	wait_in_runtime(f);
	EXPECT_EQ(crc, 0xE3069283u);
	EXPECT_EQ(copied, 0xE3069283u);
	EXPECT_EQ(std::memcmp(mf.base, "123456789", 9), 0);
	pmem2_batch_delete(&b);
}

TEST(BatchOpsErrors, BadInputWithItsCode)
{
	mapped_file mf(1 << 20, PMEM2_GRANULARITY_CACHE_LINE);
	ASSERT_NE(mf.map, nullptr);
	pmem2_batch *b = nullptr;
	ASSERT_EQ(pmem2_batch_new(&b, mf.map, 16), 0);
	std::uint32_t crc;
	std::size_t at;
	char buf[64] = {};
	EXPECT_EQ(pmem2_batch_crc32c(b, buf, 64, 0, nullptr), -EINVAL);
	EXPECT_STREQ(pmem2_errormsg(), "pmem2_batch_crc32c: the result pointer is NULL");
	EXPECT_EQ(pmem2_batch_crc32c(b, nullptr, 64, 0, &crc), -EINVAL);
	EXPECT_STREQ(pmem2_errormsg(), "pmem2_batch_crc32c: a source is NULL");
	EXPECT_EQ(pmem2_batch_compare(b, buf, nullptr, 64, &at), -EINVAL);
	EXPECT_EQ(pmem2_batch_compare(b, buf, buf, 64, nullptr), -EINVAL);
	EXPECT_EQ(pmem2_batch_copy_crc32c(b, mf.base, buf, 64, 0, nullptr, 0), -EINVAL);
	EXPECT_EQ(pmem2_batch_copy_crc32c(b, buf, buf, 64, 0, &crc, 0), PMEM2_E_MAP_RANGE);
	EXPECT_EQ(pmem2_batch_dualcast(b, mf.base, buf, buf, 64, 0), PMEM2_E_MAP_RANGE);
	EXPECT_NE(std::string(pmem2_errormsg()).find("pmem2_batch_dualcast: range"), std::string::npos);
	EXPECT_EQ(pmem2_batch_dualcast(b, mf.base, mf.base + 64, nullptr, 64, 0), -EINVAL);
	EXPECT_EQ(pmem2_batch_memset8(b, mf.base + (1 << 20) - 4, 1, 8, 0), PMEM2_E_MAP_RANGE);
	EXPECT_EQ(pmem2_batch_memset8(b, mf.base, 1, 8, PMEM2_F_MEM_NOFLUSH), -EINVAL);
	EXPECT_EQ(pmem2_batch_size(b), 0u);
	// The checks read the map, never the buffers: a CRC of any memory.
	EXPECT_EQ(pmem2_batch_crc32c(b, buf, 64, 0, &crc), 0);
	EXPECT_EQ(pmem2_batch_size(b), 1u);
	pmem2_batch_delete(&b);
}

TEST(BatchOpsSupport, WhatAMoverRuns)
{
	mapped_file plain(1 << 20, PMEM2_GRANULARITY_CACHE_LINE);
	ASSERT_NE(plain.map, nullptr);
	EXPECT_EQ(pmem2_batch_is_supported(plain.map, PMEM2_BATCH_ALL), 1);
	EXPECT_EQ(pmem2_batch_is_supported(plain.map, PMEM2_BATCH_CRC32C | PMEM2_BATCH_COMPARE), 1);
	EXPECT_EQ(pmem2_batch_is_supported(plain.map, 1u << 20), 0);	// no such operation
	EXPECT_EQ(pmem2_batch_is_supported(nullptr, PMEM2_BATCH_COPY), 0);
	data_mover_sync *dms = data_mover_sync_new();
	struct vdm user = *data_mover_sync_get_vdm(dms);
	user.op_check = [](void *, const vdm_operation *) { return FUTURE_STATE_COMPLETE; };
	mapped_file foreign(1 << 20, PMEM2_GRANULARITY_CACHE_LINE, &user);
	ASSERT_NE(foreign.map, nullptr);
	EXPECT_EQ(pmem2_batch_is_supported(foreign.map, PMEM2_BATCH_COPY), 0);
	pmem2_map_delete(&foreign.map);
	data_mover_sync_delete(dms);
}

} // namespace
