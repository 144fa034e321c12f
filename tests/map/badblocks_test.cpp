// Bad blocks (pmem2_badblock_context_new(3), DIFFERENCES.md A28): empty contexts off NVDIMMs, lists
// from fake sysfs seen through a file's extents or clipped to a device DAX
// namespace, and clearing.
#include <algorithm>
#include <cstring>
#include <vector>

#include "map/badblocks.hpp"
#include "support/capi.hpp"
#include "support/env.hpp"
#include "support/fake_sysfs.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"

namespace {

using namespace pmem2::test;
namespace bbs = pmem2::badblocks;

struct ctx_holder {
	pmem2_badblock_context *ctx = nullptr;
	~ctx_holder() { pmem2_badblock_context_delete(&ctx); }
};

std::vector<pmem2_badblock> drain(pmem2_badblock_context *ctx)
{
	std::vector<pmem2_badblock> v;
	pmem2_badblock bb;
	while (pmem2_badblock_next(ctx, &bb) == 0)
		v.push_back(bb);
	return v;
}

bool operator==(const pmem2_badblock &a, const pmem2_badblock &b)
{
	return a.offset == b.offset && a.length == b.length;
}

TEST(BadBlocks, AnonymousSourceIsNotSupported)
{
	source s(page(), 0);
	auto *ctx = reinterpret_cast<pmem2_badblock_context *>(0x10);
	EXPECT_PMEM2_ERR(pmem2_badblock_context_new(&ctx, s), PMEM2_E_NOSUPP);
	EXPECT_EQ(ctx, nullptr);
}

TEST(BadBlocks, NullArguments)
{
	scratch f(page());
	source s(f.fd());
	pmem2_badblock bb{1, 2};
	EXPECT_PMEM2_ERR(pmem2_badblock_context_new(nullptr, s), -EINVAL);
	pmem2_badblock_context *ctx = nullptr;
	EXPECT_PMEM2_ERR(pmem2_badblock_context_new(&ctx, nullptr), -EINVAL);
	EXPECT_PMEM2_ERR(pmem2_badblock_next(nullptr, &bb), -EINVAL);
	EXPECT_PMEM2_ERR(pmem2_badblock_clear(nullptr, &bb), -EINVAL);
	ctx_holder h;
	ASSERT_EQ(pmem2_badblock_context_new(&h.ctx, s), 0);
	EXPECT_PMEM2_ERR(pmem2_badblock_next(h.ctx, nullptr), -EINVAL);
	EXPECT_PMEM2_ERR(pmem2_badblock_clear(h.ctx, nullptr), -EINVAL);
	pmem2_badblock_context_delete(nullptr);
	pmem2_badblock_context_delete(&ctx);	// *ctx NULL: no-op
	EXPECT_EQ(ctx, nullptr);
}

// tmpfs, an ordinary disk, overlay: no region, so nothing is reported, and
// a failed next leaves *bb alone (DIFFERENCES.md A28).
TEST(BadBlocks, FileOffNvdimmHasNone)
{
	fake_nvdimm hw;
	for (const std::string &dir : {scratch_dir(), std::string("/dev/shm")}) {
		scratch f(page(), dir);
		source s(f.fd());
		ctx_holder h;
		ASSERT_EQ(pmem2_badblock_context_new(&h.ctx, s), 0) << pmem2_errormsg();
		pmem2_badblock bb{11, 22};
		EXPECT_PMEM2_ERR(pmem2_badblock_next(h.ctx, &bb), PMEM2_E_NO_BAD_BLOCK_FOUND);
		EXPECT_EQ(bb.offset, 11u);
		EXPECT_EQ(bb.length, 22u);
		EXPECT_PMEM2_ERR(pmem2_badblock_next(h.ctx, &bb), PMEM2_E_NO_BAD_BLOCK_FOUND);
		pmem2_badblock_context_delete(&h.ctx);
		EXPECT_EQ(h.ctx, nullptr);
	}
}

// Clearing a file's block punches it out and allocates zeroes in its place.
TEST(BadBlocks, ClearFileRange)
{
	scratch f(4 * page());
	std::vector<char> data(4 * page(), 'x');
	ASSERT_EQ(::pwrite(f.fd(), data.data(), data.size(), 0), ssize_t(data.size()));
	source s(f.fd());
	ctx_holder h;
	ASSERT_EQ(pmem2_badblock_context_new(&h.ctx, s), 0);
	pmem2_badblock bb{page(), page()};
	ASSERT_EQ(pmem2_badblock_clear(h.ctx, &bb), 0) << pmem2_errormsg();
	std::vector<char> back(data.size());
	ASSERT_EQ(::pread(f.fd(), back.data(), back.size(), 0), ssize_t(back.size()));
	EXPECT_EQ(std::count(back.begin(), back.begin() + page(), 'x'), std::ptrdiff_t(page()));
	EXPECT_EQ(std::count(back.begin() + page(), back.begin() + 2 * page(), 0), std::ptrdiff_t(page()));
	EXPECT_EQ(std::count(back.begin() + 2 * page(), back.end(), 'x'), std::ptrdiff_t(2 * page()));
	struct stat st;
	ASSERT_EQ(::fstat(f.fd(), &st), 0);
	EXPECT_EQ(std::size_t(st.st_size), 4 * page());

	pmem2_badblock big{size_t(INT64_MAX) + 1, 1};
	EXPECT_PMEM2_ERR(pmem2_badblock_clear(h.ctx, &big), PMEM2_E_OFFSET_OUT_OF_RANGE);
	big = {0, size_t(INT64_MAX) + 1};
	EXPECT_PMEM2_ERR(pmem2_badblock_clear(h.ctx, &big), PMEM2_E_LENGTH_OUT_OF_RANGE);
	pmem2::os::io_fail_next(pmem2::os::io_call::fallocate, EOPNOTSUPP);
	EXPECT_PMEM2_ERR(pmem2_badblock_clear(h.ctx, &bb), -EOPNOTSUPP);
	pmem2::os::io_fail_next(pmem2::os::io_call::fallocate, ENOSPC, 1);
	EXPECT_PMEM2_ERR(pmem2_badblock_clear(h.ctx, &bb), -ENOSPC);
	pmem2::os::io_clear_faults();
}

TEST(BadBlockList, Parse)
{
	std::vector<pmem2_badblock> v;
	ASSERT_EQ(bbs::parse_list("", v), 0);
	EXPECT_TRUE(v.empty());
	ASSERT_EQ(bbs::parse_list("8 1\n100 16\n", v), 0);
	ASSERT_EQ(v.size(), 2u);
	EXPECT_TRUE((v[0] == pmem2_badblock{4096, 512}));
	EXPECT_TRUE((v[1] == pmem2_badblock{51200, 8192}));
	for (const char *bad : {"8 1", "8\n", "x 1\n", "8 1\n9", "8 1 2\n", "99999999999999999999 1\n"})
		EXPECT_NE(bbs::parse_list(bad, v), 0) << bad;
}

// The file view of a device bad block: clipped to the extent, moved to the
// file offset, widened to whole file-system blocks.
TEST(BadBlockList, ThroughExtents)
{
	const pmem2::os::extent e{8192, 1 << 20, 16384};	// file 8K..24K at device 1M..1M+16K
	pmem2_badblock out{};
	EXPECT_FALSE(bbs::through_extent({0, 4096}, e, 4096, out));
	EXPECT_FALSE(bbs::through_extent({(1 << 20) + 16384, 512}, e, 4096, out));
	ASSERT_TRUE(bbs::through_extent({(1 << 20) + 4096 + 512, 512}, e, 4096, out));
	EXPECT_TRUE((out == pmem2_badblock{8192 + 4096, 4096}));
	// Starts before the extent, ends inside: clipped at its start.
	ASSERT_TRUE(bbs::through_extent({(1 << 20) - 512, 1024}, e, 4096, out));
	EXPECT_TRUE((out == pmem2_badblock{8192, 4096}));
	// Ends after it: clipped at its end.
	ASSERT_TRUE(bbs::through_extent({(1 << 20) + 16384 - 512, 4096}, e, 4096, out));
	EXPECT_TRUE((out == pmem2_badblock{8192 + 12288, 4096}));
	// Straddling two blocks.
	ASSERT_TRUE(bbs::through_extent({(1 << 20) + 4096 - 512, 1024}, e, 4096, out));
	EXPECT_TRUE((out == pmem2_badblock{8192, 8192}));
}

// A bad block over two extents is reported once per extent, in order.
TEST(BadBlockList, IterationOverExtents)
{
	pmem2_badblock_context ctx;
	ctx.empty = false;
	ctx.ftype = pmem2::file_kind::reg;
	ctx.block_size = 4096;
	ctx.extents = {{0, 65536, 8192}, {8192, 16384, 8192}, {16384, 262144, 4096}};
	// in extent 2; in extent 1; in none; over extents 1 and 2
	ctx.device = {{20480, 4096}, {69632, 8192}, {1 << 30, 512}, {16384 + 4096, 65536 - 16384}};
	std::vector<pmem2_badblock> got;
	pmem2_badblock bb;
	while (bbs::next(ctx, bb) == 0)
		got.push_back(bb);
	std::vector<pmem2_badblock> want = {
		{8192 + 4096, 4096},	// 20480 in extent 2
		{4096, 4096},		// 69632..73728 in extent 1
		{0, 4096},		// 20480..69632 meets extent 1 at 65536..69632
		{12288, 4096},		// ... and extent 2 at 20480..24576
	};
	ASSERT_EQ(got.size(), want.size());
	for (std::size_t i = 0; i < want.size(); ++i)
		EXPECT_TRUE(got[i] == want[i]) << i << ": " << got[i].offset << "+" << got[i].length;
}

// A file on a (fake) pmem namespace: the block device's list, through the
// file's real extents.
TEST(BadBlocks, FileOnFakeNamespace)
{
	scratch f(0);
	std::vector<char> data(64 * 1024, 'd');
	ASSERT_EQ(::pwrite(f.fd(), data.data(), data.size(), 0), ssize_t(data.size()));
	ASSERT_EQ(::fsync(f.fd()), 0);
	std::vector<pmem2::os::extent> ext;
	if (pmem2::os::fiemap(f.fd(), ext) != 0 || ext.empty() || ext[0].physical == 0)
		GTEST_SKIP() << scratch_dir() << " does not report physical extents (FS_IOC_FIEMAP)";
	fake_nvdimm hw;
	hw.add_region(0);
	hw.block_on_region(dev_of(f.fd()), 0);
	const std::string bdev = fake_nvdimm::region_rel(0) + "/namespace0.0/block/pmem0";
	// One sector 8 KiB into the first extent, one far outside every extent.
	const std::uint64_t sec = (ext[0].physical + 8192) / 512;
	hw.root.write(bdev + "/badblocks", std::to_string(sec) + " 1\n1 1\n");
	source s(f.fd());
	struct stat st;
	ASSERT_EQ(::fstat(f.fd(), &st), 0);
	ctx_holder h;
	ASSERT_EQ(pmem2_badblock_context_new(&h.ctx, s), 0) << pmem2_errormsg();
	auto got = drain(h.ctx);
	ASSERT_EQ(got.size(), 1u);
	const std::size_t bs = std::size_t(st.st_blksize);
	EXPECT_EQ(got[0].offset, (ext[0].logical + 8192) / bs * bs);
	EXPECT_EQ(got[0].length, bs);

	// Malformed and unreadable lists.
	hw.root.write(bdev + "/badblocks", "junk\n");
	pmem2_badblock_context *c = nullptr;
	EXPECT_PMEM2_ERR(pmem2_badblock_context_new(&c, s), PMEM2_E_INVALID_REGION_FORMAT);
	EXPECT_EQ(c, nullptr);
	hw.root.write(bdev + "/badblocks", "");
	pmem2::os::io_fail_next(pmem2::os::io_call::fiemap, ENOTTY);
	EXPECT_PMEM2_ERR(pmem2_badblock_context_new(&c, s), -ENOTTY);
	pmem2::os::io_clear_faults();
	pmem2::os::fail_next(pmem2::os::call::fstat, EIO);
	EXPECT_PMEM2_ERR(pmem2_badblock_context_new(&c, s), -EIO);
	pmem2::os::clear_faults();
	ASSERT_EQ(pmem2_badblock_context_new(&c, s), 0);
	EXPECT_TRUE(drain(c).empty());
	pmem2_badblock_context_delete(&c);
}

// A file system on a partition of the namespace: offsets become partition relative.
TEST(BadBlocks, FileOnFakePartition)
{
	scratch f(0);
	std::vector<char> data(64 * 1024, 'p');
	ASSERT_EQ(::pwrite(f.fd(), data.data(), data.size(), 0), ssize_t(data.size()));
	ASSERT_EQ(::fsync(f.fd()), 0);
	std::vector<pmem2::os::extent> ext;
	if (pmem2::os::fiemap(f.fd(), ext) != 0 || ext.empty() || ext[0].physical == 0)
		GTEST_SKIP() << scratch_dir() << " does not report physical extents (FS_IOC_FIEMAP)";
	fake_nvdimm hw;
	hw.add_region(0);
	const std::string disk = fake_nvdimm::region_rel(0) + "/namespace0.0/block/pmem0";
	const std::string part = disk + "/pmem0p1";
	hw.root.mkdirs(part);
	hw.root.write(part + "/partition", "1\n");
	hw.root.write(part + "/start", "2048\n");	// 1 MiB into the disk
	hw.root.symlink(hw.root.path(part), fake_nvdimm::node("block", dev_of(f.fd())));
	const std::uint64_t sec = (ext[0].physical + (1 << 20)) / 512;	// first byte of the extent
	hw.root.write(disk + "/badblocks", std::to_string(sec) + " 1\n");
	source s(f.fd());
	ctx_holder h;
	ASSERT_EQ(pmem2_badblock_context_new(&h.ctx, s), 0) << pmem2_errormsg();
	auto got = drain(h.ctx);
	ASSERT_EQ(got.size(), 1u);
	EXPECT_EQ(got[0].offset, ext[0].logical);
	hw.root.write(part + "/start", "many\n");
	pmem2_badblock_context *c = nullptr;
	EXPECT_PMEM2_ERR(pmem2_badblock_context_new(&c, s), PMEM2_E_CANNOT_READ_BOUNDS);
}

// /dev/zero as dax7.0 of region 7: the region's list clipped to the namespace.
class FakeDevDaxBadBlocks : public ::testing::Test {
protected:
	void SetUp() override
	{
		fd = ::open("/dev/zero", O_RDWR);
		ASSERT_GE(fd, 0);
		hw.add_region(7);
		hw.devdax_on_region(rdev_of(fd), 7, 1 << 20, page());
		hw.set(7, "resource", "0x100000000\n");
		// The namespace's data starts 64 KiB into the region and is 1 MiB long.
		nd = fake_nvdimm::region_rel(7) + "/dax7.0";
		hw.root.write(nd + "/resource", "0x100010000\n");
		hw.root.write(nd + "/size", "1048576\n");
		// Sectors relative to the region: before, straddling the start,
		// inside, straddling the end, after.
		hw.set(7, "badblocks", "0 8\n120 16\n256 1\n2170 16\n4096 1\n");
		ASSERT_EQ(pmem2_source_from_fd(&src, fd), 0) << pmem2_errormsg();
	}
	void TearDown() override
	{
		pmem2_source_delete(&src);
		::close(fd);
	}
	fake_nvdimm hw;
	std::string nd;
	int fd = -1;
	pmem2_source *src = nullptr;
};

TEST_F(FakeDevDaxBadBlocks, ClippedAndNamespaceRelative)
{
	ctx_holder h;
	ASSERT_EQ(pmem2_badblock_context_new(&h.ctx, src), 0) << pmem2_errormsg();
	auto got = drain(h.ctx);
	std::vector<pmem2_badblock> want = {
		{0, 8 * 512},				// 120+16 sectors end at 136 = 64K + 4K
		{256 * 512 - 65536, 512},
		{2170 * 512 - 65536, (1 << 20) - (2170 * 512 - 65536)},
	};
	ASSERT_EQ(got.size(), want.size());
	for (std::size_t i = 0; i < want.size(); ++i)
		EXPECT_TRUE(got[i] == want[i]) << i << ": " << got[i].offset << "+" << got[i].length;
	pmem2_badblock bb{5, 6};
	EXPECT_PMEM2_ERR(pmem2_badblock_next(h.ctx, &bb), PMEM2_E_NO_BAD_BLOCK_FOUND);
	EXPECT_EQ(bb.offset, 5u);
}

TEST_F(FakeDevDaxBadBlocks, UnreadableBounds)
{
	pmem2_badblock_context *c = nullptr;
	hw.root.write(nd + "/size", "big\n");
	EXPECT_PMEM2_ERR(pmem2_badblock_context_new(&c, src), PMEM2_E_CANNOT_READ_BOUNDS);
	hw.root.write(nd + "/size", "1048576\n");
	::unlink(hw.root.path(nd + "/resource").c_str());
	EXPECT_PMEM2_ERR(pmem2_badblock_context_new(&c, src), PMEM2_E_CANNOT_READ_BOUNDS);
	hw.root.write(nd + "/resource", "0x100010000\n");
	::unlink(hw.root.path(fake_nvdimm::region_rel(7) + "/resource").c_str());
	EXPECT_PMEM2_ERR(pmem2_badblock_context_new(&c, src), -ENOENT);
	hw.set(7, "resource", "0x100020000\n");	// region starts after the namespace
	EXPECT_PMEM2_ERR(pmem2_badblock_context_new(&c, src), PMEM2_E_CANNOT_READ_BOUNDS);
	EXPECT_EQ(c, nullptr);
}

// Clearing needs the real bus (ARS through libndctl): region 7 does not
// exist there, so the request cannot reach hardware. A build without
// libndctl refuses it.
TEST_F(FakeDevDaxBadBlocks, ClearNeedsTheRealRegion)
{
	ctx_holder h;
	ASSERT_EQ(pmem2_badblock_context_new(&h.ctx, src), 0);
	pmem2_badblock bb{0, 512};
#ifdef PMEM2_TEST_HAVE_NDCTL
	EXPECT_PMEM2_ERR(pmem2_badblock_clear(h.ctx, &bb), PMEM2_E_DAX_REGION_NOT_FOUND);
	EXPECT_STREQ(pmem2_errormsg(), "region7 is not known to libndctl");
#else
	EXPECT_PMEM2_ERR(pmem2_badblock_clear(h.ctx, &bb), PMEM2_E_NOSUPP);
	EXPECT_STREQ(pmem2_errormsg(), "clearing device DAX bad blocks needs libndctl, absent from this build");
#endif
}

// A device DAX outside any region: an empty context, and clearing is
// refused instead of dereferencing a missing bus (DIFFERENCES.md A28).
TEST(BadBlocks, DevDaxWithoutRegion)
{
	fake_nvdimm hw;
	int fd = ::open("/dev/zero", O_RDWR);
	ASSERT_GE(fd, 0);
	const std::string d = "/sys/devices/virtual/dax9.0";
	hw.root.mkdirs(d);
	hw.root.mkdirs("/sys/bus/dax");
	hw.root.symlink(hw.root.path("/sys/bus/dax"), d + "/subsystem");
	hw.root.write(d + "/size", "4096\n");
	hw.root.symlink(hw.root.path(d), fake_nvdimm::node("char", rdev_of(fd)));
	pmem2_source *src = nullptr;
	ASSERT_EQ(pmem2_source_from_fd(&src, fd), 0) << pmem2_errormsg();
	ctx_holder h;
	ASSERT_EQ(pmem2_badblock_context_new(&h.ctx, src), 0);
	pmem2_badblock bb{1, 2};
	EXPECT_PMEM2_ERR(pmem2_badblock_next(h.ctx, &bb), PMEM2_E_NO_BAD_BLOCK_FOUND);
	EXPECT_PMEM2_ERR(pmem2_badblock_clear(h.ctx, &bb), PMEM2_E_NOSUPP);
	pmem2_source_delete(&src);
	::close(fd);
}

TEST(RealHardware, NamespaceBadBlocks)
{
	const char *dir = std::getenv("PMEM2_TEST_PMEM_DIR");
	if (dir == nullptr || *dir == '\0')
		GTEST_SKIP() << "needs a file system on a pmem namespace with real bad blocks: set "
			"PMEM2_TEST_PMEM_DIR to a directory on an fsdax-mounted /dev/pmemN";
	scratch f(page(), dir);
	source s(f.fd());
	ctx_holder h;
	ASSERT_EQ(pmem2_badblock_context_new(&h.ctx, s), 0) << pmem2_errormsg();
	pmem2_badblock bb;
	int r;
	while ((r = pmem2_badblock_next(h.ctx, &bb)) == 0)
		EXPECT_EQ(bb.offset % 512, 0u);
	EXPECT_EQ(r, PMEM2_E_NO_BAD_BLOCK_FOUND);
}

} // namespace
