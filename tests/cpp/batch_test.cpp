// pmem2::batch: entries chained, one future for all (co_await or wait),
// results written at completion, a refused entry thrown with its code and
// not added, a foreign mover refused at creation, reuse after reset.
#include <gtest/gtest.h>

#include <pmem2/batch.hpp>
#include <pmem2/pmem2.hpp>

#include <cstring>

#include "support/bytes.hpp"
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
