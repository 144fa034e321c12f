// pmem2::source: opening, borrowing, anonymous memory, errors, ownership.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <pmem2/source.hpp>

#include "support/bytes.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/wait.hpp"

using namespace pmem2;


TEST(CppSource, OpenReportsSizeAlignmentAndOwnsFd)
{
	test::tmpfile f(1 << 20);
	int fd;
	{
		source s = source::open(f.path());
		ASSERT_TRUE(s.valid());
		EXPECT_EQ(s.size(), 1u << 20);
		EXPECT_EQ(s.alignment() % 4096, 0u);
		fd = s.fd();
		ASSERT_GE(fd, 0);
		EXPECT_TRUE(test::fd_is_open(fd));
	}
	EXPECT_FALSE(test::fd_is_open(fd)) << "the source closes a descriptor it opened";
}

TEST(CppSource, FromFdBorrowsTheDescriptor)
{
	test::tmpfile f(8192);
	{
		source s = source::from_fd(f.fd());
		EXPECT_EQ(s.fd(), f.fd());
		EXPECT_EQ(s.size(), 8192u);
	}
	EXPECT_TRUE(test::fd_is_open(f.fd()));
}

TEST(CppSource, AnonymousHasRequestedSizeAndNoFd)
{
	source s = source::anonymous(3 << 20);
	EXPECT_EQ(s.size(), 3u << 20);
	EXPECT_EQ(s.fd(), -1);
}

TEST(CppSource, MissingPathIsEnoentWithPathInMessage)
{
	auto r = source::try_open("/nonexistent-dir-pmem2/file");
	ASSERT_FALSE(r);
	EXPECT_EQ(r.code(), -ENOENT);
	EXPECT_NE(r.error().message.find("/nonexistent-dir-pmem2/file"), std::string::npos);
	EXPECT_THROW(source::open("/nonexistent-dir-pmem2/file"), error);
}

TEST(CppSource, DirectoryIsInvalidFileType)
{
	auto r = source::try_open("/tmp", open_mode::read_only);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.code(), PMEM2_E_INVALID_FILE_TYPE);
}

TEST(CppSource, BadDescriptorIsInvalidFileHandle)
{
	auto r = source::try_from_fd(-1);
	ASSERT_FALSE(r);
	EXPECT_EQ(r.code(), PMEM2_E_INVALID_FILE_HANDLE);
	try {
		(void)source::from_fd(-1);
		FAIL();
	} catch (const error &e) {
		EXPECT_EQ(e.code(), PMEM2_E_INVALID_FILE_HANDLE);
	}
}

TEST(CppSource, CreateModeCreatesTheFile)
{
	std::string path = test::scratch_dir() + "/pmem2-cpp-create-" + std::to_string(::getpid());
	::unlink(path.c_str());
	{
		source s = source::open(path, open_mode::create);
		EXPECT_EQ(s.size(), 0u);
	}
	struct stat st;
	EXPECT_EQ(::stat(path.c_str(), &st), 0);
	::unlink(path.c_str());
}

TEST(CppSource, MoveTransfersOwnership)
{
	test::tmpfile f(4096);
	source a = source::open(f.path());
	int fd = a.fd();
	source b = std::move(a);
	EXPECT_FALSE(a.valid());
	EXPECT_TRUE(b.valid());
	EXPECT_EQ(b.fd(), fd);
	a = std::move(b);
	EXPECT_TRUE(a.valid());
	EXPECT_TRUE(test::fd_is_open(fd));
}

TEST(CppSource, AdoptAndReleaseInteroperateWithC)
{
	test::tmpfile f(4096);
	pmem2_source *raw = nullptr;
	ASSERT_EQ(pmem2_source_from_fd(&raw, f.fd()), 0);
	source s = source::adopt(raw);
	EXPECT_EQ(s.native(), raw);
	EXPECT_EQ(s.size(), 4096u);
	pmem2_source *back = s.release();
	EXPECT_EQ(back, raw);
	EXPECT_FALSE(s.valid());
	EXPECT_EQ(pmem2_source_delete(&back), 0);
}

TEST(CppSource, PlacementQueriesGiveValueOrError)
{
	test::tmpfile f(4096);
	source s = source::open(f.path());
	auto node = s.try_numa_node();
	if (!node) {
		EXPECT_NE(node.code(), 0);
	}
	auto id = s.try_device_id();
	if (!id) {
		EXPECT_NE(id.code(), 0);
	}
}
