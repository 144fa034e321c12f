// pmem2::map and map_ref: mapping, synchronous operations, range checks,
// ownership and C interoperation.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <cstring>

#include <pmem2/map.hpp>

#include "support/bytes.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/wait.hpp"

using namespace pmem2;


TEST(CppMap, OpenMapsWholeFileWithPageGranularity)
{
	test::tmpfile f(2 << 20);
	map m = map::open(f.path());
	ASSERT_TRUE(m);
	EXPECT_NE(m.data(), nullptr);
	EXPECT_EQ(m.size(), 2u << 20);
	EXPECT_EQ(m.bytes().size(), m.size());
	// Regular files on a page-cache file system need msync.
	EXPECT_EQ(m.granularity(), granularity::page);
}

TEST(CppMap, WriteAndPersistReachTheFile)
{
	test::tmpfile f(1 << 20);
	auto data = test::pattern(10000, 1);
	{
		map m = map::open(f.path());
		m.write(4096, data);
		m.copy(m.bytes().subspan(100000), data, mem_flag::nodrain);
		m.drain();
		m.fill(200000, 5000, std::byte{0x5A});
		std::memcpy(m.data() + 300000, data.data(), 64);
		m.persist(m.data() + 300000, 64);
	}
	EXPECT_EQ(test::read_file(f.path(), data.size(), 4096), data);
	EXPECT_EQ(test::read_file(f.path(), data.size(), 100000), data);
	auto filled = test::read_file(f.path(), 5000, 200000);
	EXPECT_TRUE(std::all_of(filled.begin(), filled.end(), [](std::byte b) { return b == std::byte{0x5A}; }));
	auto raw = test::read_file(f.path(), 64, 300000);
	EXPECT_TRUE(std::equal(raw.begin(), raw.end(), data.begin()));
}

TEST(CppMap, MemmoveHandlesOverlapAndFlags)
{
	test::tmpfile f(65536);
	map m = map::open(f.path());
	for (int i = 0; i < 255; ++i)
		m.data()[i] = static_cast<std::byte>(i);
	m.memmove(m.data() + 127, m.data(), 255, mem_flag::nontemporal);
	for (int i = 0; i < 255; ++i)
		ASSERT_EQ(m.data()[127 + i], static_cast<std::byte>(i)) << i;
	m.memset(m.data(), 7, 100, mem_flag::temporal | mem_flag::nodrain);
	m.drain();
	EXPECT_EQ(m.data()[99], std::byte{7});
	m.flush(m.data(), 100);
	m.drain();
}

TEST(CppMap, OutOfRangeOperationsThrowLengthOutOfRange)
{
	test::tmpfile f(8192);
	map m = map::open(f.path());
	auto data = test::pattern(100, 2);
	try {
		m.write(8150, data);
		FAIL() << "write past the end must throw";
	} catch (const error &e) {
		EXPECT_EQ(e.code(), PMEM2_E_LENGTH_OUT_OF_RANGE);
	}
	EXPECT_THROW(m.fill(9000, 1, std::byte{0}), error);
	EXPECT_THROW((void)m.range(SIZE_MAX, 2), error);
	EXPECT_NO_THROW((void)m.range(8192, 0));
	EXPECT_NO_THROW(m.write(8092, data));
}

TEST(CppMap, MissingFileFailsWithoutExceptionsOnTryOpen)
{
	auto r = map::try_open("/nonexistent-dir-pmem2/f");
	ASSERT_FALSE(r);
	EXPECT_EQ(r.code(), -ENOENT);
	EXPECT_THROW(map::open("/nonexistent-dir-pmem2/f"), error);
}

TEST(CppMap, EmptyFileIsSourceEmpty)
{
	test::tmpfile f(0);
	auto r = map::try_open(f.path());
	ASSERT_FALSE(r);
	EXPECT_EQ(r.code(), PMEM2_E_SOURCE_EMPTY);
}

TEST(CppMap, ByteGranularityOnPageCacheIsNotSupported)
{
	test::tmpfile f(4096);
	map_options o;
	o.required_granularity = granularity::byte;
	auto r = map::try_open(f.path(), o);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.code(), PMEM2_E_GRANULARITY_NOT_SUPPORTED);
	EXPECT_FALSE(r.error().message.empty());
}

TEST(CppMap, RangeBeyondSourceIsMapRange)
{
	test::tmpfile f(8192);
	map_options o;
	o.offset = 4096;
	o.length = 8192;
	auto r = map::try_open(f.path(), o);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.code(), PMEM2_E_MAP_RANGE);
}

TEST(CppMap, OffsetAndLengthSelectAWindow)
{
	test::tmpfile f(3 * 4096);
	map_options o;
	o.offset = 4096;
	o.length = 4096;
	{
		map m = map::open(f.path(), o);
		EXPECT_EQ(m.size(), 4096u);
		m.fill(0, 4096, std::byte{1});
	}
	auto v = test::read_file(f.path(), 3 * 4096);
	EXPECT_EQ(v[4095], std::byte{0});
	EXPECT_EQ(v[4096], std::byte{1});
	EXPECT_EQ(v[8191], std::byte{1});
	EXPECT_EQ(v[8192], std::byte{0});
}

TEST(CppMap, ReadOnlyProtectionMapsReadOnlyFile)
{
	test::tmpfile f(4096);
	::fchmod(f.fd(), 0444);
	map_options o;
	o.protection = protection::read;
	map m = map::open(f.path(), o);
	EXPECT_EQ(m.size(), 4096u);
	EXPECT_EQ(m.data()[0], std::byte{0});
	// Writes are refused, not faults: nothing written.
	std::vector<std::byte> data(64, std::byte{7});
	try {
		m.write(0, data);
		ADD_FAILURE() << "write to a read-only map did not throw";
	} catch (const pmem2::error &e) {
		EXPECT_EQ(e.code(), PMEM2_E_NO_ACCESS);
	}
	try {
		m.fill(0, 64, std::byte{9});
		ADD_FAILURE() << "fill of a read-only map did not throw";
	} catch (const pmem2::error &e) {
		EXPECT_EQ(e.code(), PMEM2_E_NO_ACCESS);
	}
	EXPECT_EQ(m.memcpy(m.data(), data.data(), data.size()), nullptr);
	EXPECT_EQ(m.memset(m.data(), 1, 8), nullptr);
	EXPECT_EQ(m.data()[0], std::byte{0});
	auto fut = m.write_async(0, data);
	EXPECT_EQ(fut.try_wait().code(), PMEM2_E_NO_ACCESS);
	EXPECT_EQ(m.data()[0], std::byte{0});
}

TEST(CppMap, CreateFileCreatesAndExtends)
{
	std::string path = test::scratch_dir() + "/pmem2-cpp-map-" + std::to_string(::getpid());
	::unlink(path.c_str());
	{
		map m = map::create_file(path, 1 << 16);
		EXPECT_EQ(m.size(), 1u << 16);
		m.fill(0, 1 << 16, std::byte{3});
	}
	{
		map m = map::create_file(path, 1 << 17);
		EXPECT_EQ(m.size(), 1u << 17);
		EXPECT_EQ(m.data()[0], std::byte{3});
		EXPECT_EQ(m.data()[(1 << 17) - 1], std::byte{0});
	}
	{
		map m = map::create_file(path, 1 << 10);
		EXPECT_EQ(m.size(), 1u << 17) << "never shrinks";
	}
	::unlink(path.c_str());
}

TEST(CppMap, MoveTransfersOwnershipAndReleaseGivesCMap)
{
	test::tmpfile f(4096);
	map a = map::open(f.path());
	auto *p = a.data();
	map b = std::move(a);
	EXPECT_FALSE(a);
	EXPECT_EQ(a.data(), nullptr);
	EXPECT_EQ(b.data(), p);
	pmem2_map *raw = b.release();
	EXPECT_FALSE(b);
	ASSERT_NE(raw, nullptr);
	EXPECT_EQ(pmem2_map_get_address(raw), p);
	EXPECT_EQ(pmem2_map_delete(&raw), 0);
}

TEST(CppMap, CMapCanBeWrappedAndAdopted)
{
	test::tmpfile f(8192);
	pmem2_source *src = nullptr;
	pmem2_config *cfg = nullptr;
	pmem2_map *raw = nullptr;
	ASSERT_EQ(pmem2_source_from_fd(&src, f.fd()), 0);
	ASSERT_EQ(pmem2_config_new(&cfg), 0);
	ASSERT_EQ(pmem2_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_PAGE), 0);
	ASSERT_EQ(pmem2_map_new(&raw, cfg, src), 0);

	map_ref view(raw);
	EXPECT_EQ(view.size(), 8192u);
	EXPECT_EQ(view.native(), raw);
	auto data = test::pattern(512, 3);
	view.write(0, data);
	EXPECT_TRUE(std::equal(data.begin(), data.end(), static_cast<std::byte *>(pmem2_map_get_address(raw))));
	{
		map owner = map::adopt(raw);
		EXPECT_EQ(owner.native(), raw);
	}
	EXPECT_EQ(test::read_file(f.path(), 512), data);
	pmem2_config_delete(&cfg);
	pmem2_source_delete(&src);
}

TEST(CppMap, DeepFlushSucceedsOrReportsWhy)
{
	test::tmpfile f(8192);
	map m = map::open(f.path());
	auto r = m.try_deep_flush(m.data(), 4096);
	if (!r) {
		EXPECT_EQ(r.code(), PMEM2_E_NOSUPP);
		EXPECT_THROW(m.deep_flush(m.data(), 4096), error);
	}
}

TEST(CppMap, AnonymousSourceMaps)
{
	source s = source::anonymous(1 << 20);
	map m(s);
	EXPECT_EQ(m.size(), 1u << 20);
	m.fill(0, 1 << 20, std::byte{9});
	EXPECT_EQ(m.data()[12345], std::byte{9});
}

TEST(CppMap, InvalidOptionsReportExactCodes)
{
	test::tmpfile f(65536);
	map_options o;
	o.offset = 100;
	auto r = map::try_open(f.path(), o);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.code(), PMEM2_E_OFFSET_UNALIGNED);
	EXPECT_NE(r.error().message.find("pmem2_map_new"), std::string::npos) << r.error().message;

	o = {};
	o.length = 1000;
	EXPECT_EQ(map::try_open(f.path(), o).code(), PMEM2_E_LENGTH_UNALIGNED);

	o = {};
	o.protection = static_cast<protection>(1u << 3);
	EXPECT_EQ(map::try_open(f.path(), o).code(), PMEM2_E_INVALID_PROT_FLAG);

	o = {};
	o.sharing = static_cast<sharing>(7);
	EXPECT_EQ(map::try_open(f.path(), o).code(), PMEM2_E_INVALID_SHARING_VALUE);

	try {
		o = {};
		o.offset = 100;
		map m = map::open(f.path(), o);
		FAIL();
	} catch (const error &e) {
		EXPECT_EQ(e.code(), PMEM2_E_OFFSET_UNALIGNED);
		EXPECT_EQ(e.errno_value(), EINVAL);
	}
}

TEST(CppMap, CreateFileInMissingDirectoryIsEnoent)
{
	auto r = map::try_create_file("/nonexistent-dir-pmem2/f", 4096);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.code(), -ENOENT);
}

TEST(CppMap, PrivateMappingDoesNotReachTheFile)
{
	test::tmpfile f(8192);
	map_options o;
	o.sharing = sharing::private_copy;
	{
		map m = map::open(f.path(), o);
		EXPECT_EQ(m.granularity(), granularity::byte);
		m.fill(0, 8192, std::byte{0x77});
	}
	EXPECT_EQ(test::read_file(f.path(), 1)[0], std::byte{0});
}
