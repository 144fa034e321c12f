// Sources: file-kind classification of every kind of fd, anonymous sources,
// size and alignment, and device DAX through fake sysfs trees.
#include <cerrno>
#include <cstring>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "support/capi.hpp"
#include "support/env.hpp"
#include "support/fake_sysfs.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"
#include "map/source.hpp"

namespace {

using namespace pmem2::test;

pmem2_source *const poison = reinterpret_cast<pmem2_source *>(0x10);

TEST(SourceFromFd, RegularFile)
{
	scratch f(3 * page());
	pmem2_source *src = nullptr;
	ASSERT_EQ(pmem2_source_from_fd(&src, f.fd()), 0);
	int fd = -1;
	EXPECT_EQ(pmem2_source_get_fd(src, &fd), 0);
	EXPECT_EQ(fd, f.fd());
	size_t size = 0, align = 0;
	EXPECT_EQ(pmem2_source_size(src, &size), 0);
	EXPECT_EQ(size, 3 * page());
	EXPECT_EQ(pmem2_source_alignment(src, &align), 0);
	EXPECT_EQ(align, page());
	EXPECT_EQ(pmem2_source_delete(&src), 0);
	EXPECT_EQ(src, nullptr);
	EXPECT_EQ(fcntl(f.fd(), F_GETFD), 0) << "delete must not close the fd";
}

TEST(SourceFromFd, ReadOnlyFdIsAccepted)
{
	scratch f(page(), scratch_dir(), O_RDONLY);
	pmem2_source *src = nullptr;
	EXPECT_EQ(pmem2_source_from_fd(&src, f.fd()), 0);
	pmem2_source_delete(&src);
}

TEST(SourceFromFd, NegativeFd)
{
	pmem2_source *src = poison;
	EXPECT_PMEM2_ERR(pmem2_source_from_fd(&src, -1), PMEM2_E_INVALID_FILE_HANDLE);
	EXPECT_EQ(src, nullptr);
}

TEST(SourceFromFd, ClosedFd)
{
	int fd = open("/dev/zero", O_RDONLY);
	ASSERT_GE(fd, 0);
	close(fd);
	pmem2_source *src = poison;
	EXPECT_PMEM2_ERR(pmem2_source_from_fd(&src, fd), PMEM2_E_INVALID_FILE_HANDLE);
	EXPECT_EQ(src, nullptr);
}

TEST(SourceFromFd, WriteOnlyFd)
{
	scratch f(page(), scratch_dir(), O_WRONLY);
	pmem2_source *src = poison;
	EXPECT_PMEM2_ERR(pmem2_source_from_fd(&src, f.fd()), PMEM2_E_INVALID_FILE_HANDLE);
	EXPECT_EQ(src, nullptr);
}

TEST(SourceFromFd, Directory)
{
	int fd = open(scratch_dir().c_str(), O_RDONLY | O_DIRECTORY);
	ASSERT_GE(fd, 0);
	pmem2_source *src = poison;
	EXPECT_PMEM2_ERR(pmem2_source_from_fd(&src, fd), PMEM2_E_INVALID_FILE_TYPE);
	EXPECT_EQ(src, nullptr);
	close(fd);
}

TEST(SourceFromFd, Fifo)
{
	std::string p = scratch_dir() + "/pmem2-fifo-" + std::to_string(getpid());
	ASSERT_EQ(mkfifo(p.c_str(), 0600), 0);
	int fd = open(p.c_str(), O_RDWR | O_NONBLOCK);
	ASSERT_GE(fd, 0);
	pmem2_source *src = poison;
	EXPECT_PMEM2_ERR(pmem2_source_from_fd(&src, fd), PMEM2_E_INVALID_FILE_TYPE);
	EXPECT_EQ(src, nullptr);
	close(fd);
	unlink(p.c_str());
}

TEST(SourceFromFd, Socket)
{
	int sv[2];
	ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pmem2_source *src = poison;
	EXPECT_PMEM2_ERR(pmem2_source_from_fd(&src, sv[0]), PMEM2_E_INVALID_FILE_TYPE);
	EXPECT_EQ(src, nullptr);
	close(sv[0]);
	close(sv[1]);
}

TEST(SourceFromFd, BlockDevice)
{
	int fd = open("/dev/loop0", O_RDONLY);
	if (fd < 0)
		GTEST_SKIP() << "SKIP: no readable block device /dev/loop0";
	pmem2_source *src = poison;
	EXPECT_PMEM2_ERR(pmem2_source_from_fd(&src, fd), PMEM2_E_INVALID_FILE_TYPE);
	EXPECT_EQ(src, nullptr);
	close(fd);
}

TEST(SourceFromFd, DevNullIsNotDax)
{
	int fd = open("/dev/null", O_RDWR);
	ASSERT_GE(fd, 0);
	pmem2_source *src = poison;
	EXPECT_PMEM2_ERR(pmem2_source_from_fd(&src, fd), PMEM2_E_INVALID_FILE_TYPE);
	EXPECT_EQ(src, nullptr);
	close(fd);
}

// DIFFERENCES.md A38: no /sys/dev/char node at all is "not device DAX", not -ENOENT.
TEST(SourceFromFd, CharDevWithoutSysfsNode)
{
	fake_root root;
	int fd = open("/dev/null", O_RDWR);
	ASSERT_GE(fd, 0);
	pmem2_source *src = poison;
	EXPECT_PMEM2_ERR(pmem2_source_from_fd(&src, fd), PMEM2_E_INVALID_FILE_TYPE);
	EXPECT_EQ(src, nullptr);
	close(fd);
}

TEST(SourceFromFd, RealpathFailureIsErrno)
{
	int fd = open("/dev/null", O_RDWR);
	ASSERT_GE(fd, 0);
	pmem2::os::fail_next(pmem2::os::call::realpath, EIO);
	pmem2_source *src = poison;
	EXPECT_PMEM2_ERR(pmem2_source_from_fd(&src, fd), -EIO);
	EXPECT_EQ(src, nullptr);
	close(fd);
}

TEST(SourceFromFd, FcntlAndFstatFailures)
{
	scratch f(page());
	pmem2_source *src = poison;
	pmem2::os::fail_next(pmem2::os::call::fcntl, EIO);
	EXPECT_PMEM2_ERR(pmem2_source_from_fd(&src, f.fd()), -EIO);
	EXPECT_EQ(src, nullptr);
	pmem2::os::fail_next(pmem2::os::call::fcntl, EBADF);
	EXPECT_PMEM2_ERR(pmem2_source_from_fd(&src, f.fd()), PMEM2_E_INVALID_FILE_HANDLE);
	pmem2::os::fail_next(pmem2::os::call::fstat, EBADF);
	EXPECT_PMEM2_ERR(pmem2_source_from_fd(&src, f.fd()), PMEM2_E_INVALID_FILE_HANDLE);
	pmem2::os::fail_next(pmem2::os::call::fstat, ENOMEM);
	EXPECT_PMEM2_ERR(pmem2_source_from_fd(&src, f.fd()), -ENOMEM);
	EXPECT_EQ(src, nullptr);
}

TEST(SourceFromFd, NullOut)
{
	EXPECT_PMEM2_ERR(pmem2_source_from_fd(nullptr, 0), -EINVAL);
}

TEST(SourceAnon, AnySizeIsAccepted)
{
	for (size_t sz : {size_t(0), size_t(1), page(), SIZE_MAX}) {
		pmem2_source *src = nullptr;
		ASSERT_EQ(pmem2_source_from_anon(&src, sz), 0);
		size_t got = 123, align = 0;
		EXPECT_EQ(pmem2_source_size(src, &got), 0);
		EXPECT_EQ(got, sz);
		EXPECT_EQ(pmem2_source_alignment(src, &align), 0);
		EXPECT_EQ(align, page());
		int fd = 77;
		EXPECT_PMEM2_ERR(pmem2_source_get_fd(src, &fd), PMEM2_E_FILE_DESCRIPTOR_NOT_SET);
		EXPECT_EQ(fd, 77);
		pmem2_source_delete(&src);
	}
	EXPECT_PMEM2_ERR(pmem2_source_from_anon(nullptr, 1), -EINVAL);
}

TEST(SourceAnon, KindIsInitialised)
{
	pmem2_source *src = nullptr;
	ASSERT_EQ(pmem2_source_from_anon(&src, 10), 0);
	EXPECT_EQ(src->info.kind, pmem2::source_kind::anon);
	EXPECT_EQ(src->info.ftype, pmem2::file_kind::none);	// DIFFERENCES.md A13
	EXPECT_EQ(src->info.fd, -1);
	pmem2_source_delete(&src);
}

TEST(SourceDelete, NullIsNoop)
{
	pmem2_source *src = nullptr;
	EXPECT_EQ(pmem2_source_delete(&src), 0);
	EXPECT_EQ(pmem2_source_delete(nullptr), 0);
}

TEST(SourceSize, FollowsTheFile)
{
	scratch f(page());
	source s(f.fd());
	ASSERT_EQ(ftruncate(f.fd(), 5000), 0);
	size_t sz = 0;
	EXPECT_EQ(pmem2_source_size(s, &sz), 0);
	EXPECT_EQ(sz, 5000u);
}

TEST(SourceSize, ClosedFdAndFstatError)
{
	scratch f(page());
	int dupfd = dup(f.fd());
	pmem2_source *src = nullptr;
	ASSERT_EQ(pmem2_source_from_fd(&src, dupfd), 0);
	close(dupfd);
	size_t sz = 99;
	EXPECT_PMEM2_ERR(pmem2_source_size(src, &sz), PMEM2_E_INVALID_FILE_HANDLE);
	EXPECT_EQ(sz, 99u);
	src->info.fd = f.fd();
	pmem2::os::fail_next(pmem2::os::call::fstat, EIO);
	EXPECT_PMEM2_ERR(pmem2_source_size(src, &sz), -EIO);
	EXPECT_EQ(sz, 99u);
	pmem2_source_delete(&src);
}

// A fake device DAX: /dev/null (char 1:3) described by a fake sysfs tree.
class FakeDevDax : public ::testing::Test {
protected:
	void SetUp() override
	{
		fd = open("/dev/null", O_RDWR);
		ASSERT_GE(fd, 0);
		struct stat st;
		ASSERT_EQ(fstat(fd, &st), 0);
		char node[64];
		snprintf(node, sizeof(node), "/sys/dev/char/%u:%u", major(st.st_rdev), minor(st.st_rdev));
		dev = root.path("/sys/devices/platform/region0/dax0.0/dax0.0");
		root.mkdirs("/sys/devices/platform/region0/dax0.0/dax0.0");
		root.mkdirs("/sys/class/dax");
		root.symlink(root.path("/sys/class/dax"), "/sys/devices/platform/region0/dax0.0/dax0.0/subsystem");
		root.symlink(dev, node);
		set_size("0x40000000\n");
		set_align("2097152\n");
	}
	void TearDown() override { close(fd); }
	void set_size(const std::string &s)
	{
		root.write("/sys/devices/platform/region0/dax0.0/dax0.0/size", s);
	}
	void set_align(const std::string &s)
	{
		root.write("/sys/devices/platform/region0/dax0.0/dax_region/align", s);
	}
	pmem2_source *make()
	{
		pmem2_source *src = nullptr;
		EXPECT_EQ(pmem2_source_from_fd(&src, fd), 0) << pmem2_errormsg();
		return src;
	}

	fake_root root;
	int fd = -1;
	std::string dev;
};

TEST_F(FakeDevDax, IsClassifiedAsDevDax)
{
	pmem2_source *src = make();
	ASSERT_NE(src, nullptr);
	EXPECT_EQ(src->info.ftype, pmem2::file_kind::devdax);
	size_t sz = 0, align = 0;
	EXPECT_EQ(pmem2_source_size(src, &sz), 0) << pmem2_errormsg();
	EXPECT_EQ(sz, size_t(1) << 30);
	EXPECT_EQ(pmem2_source_alignment(src, &align), 0) << pmem2_errormsg();
	EXPECT_EQ(align, size_t(2) << 20);
	pmem2_source_delete(&src);
}

TEST_F(FakeDevDax, OtherSubsystemIsRejected)
{
	root.mkdirs("/sys/class/mem");
	std::string link = dev + "/subsystem";
	unlink(link.c_str());
	root.symlink(root.path("/sys/class/mem"), "/sys/devices/platform/region0/dax0.0/dax0.0/subsystem");
	pmem2_source *src = poison;
	EXPECT_PMEM2_ERR(pmem2_source_from_fd(&src, fd), PMEM2_E_INVALID_FILE_TYPE);
	EXPECT_EQ(src, nullptr);
}

TEST_F(FakeDevDax, SizeDecimalAndErrors)
{
	pmem2_source *src = make();
	size_t sz = 7;
	set_size("4096\n");
	EXPECT_EQ(pmem2_source_size(src, &sz), 0);
	EXPECT_EQ(sz, 4096u);
	sz = 7;
	set_size("4096");
	EXPECT_PMEM2_ERR(pmem2_source_size(src, &sz), PMEM2_E_INVALID_SIZE_FORMAT);
	set_size("abc\n");
	EXPECT_PMEM2_ERR(pmem2_source_size(src, &sz), PMEM2_E_INVALID_SIZE_FORMAT);
	set_size("99999999999999999999999\n");
	EXPECT_PMEM2_ERR(pmem2_source_size(src, &sz), -ERANGE);
	unlink((dev + "/size").c_str());
	EXPECT_PMEM2_ERR(pmem2_source_size(src, &sz), -ENOENT);
	EXPECT_EQ(sz, 7u);
	pmem2_source_delete(&src);
}

TEST_F(FakeDevDax, AlignmentHexFallbackAndErrors)
{
	pmem2_source *src = make();
	size_t a = 7;
	set_align("200000\n");	// not a power of two in decimal: old kernels printed hex
	EXPECT_EQ(pmem2_source_alignment(src, &a), 0);
	EXPECT_EQ(a, size_t(0x200000));
	a = 7;
	set_align("3000\n");	// neither decimal nor hex power of two
	EXPECT_PMEM2_ERR(pmem2_source_alignment(src, &a), PMEM2_E_INVALID_ALIGNMENT_VALUE);
	EXPECT_EQ(a, 7u) << "DIFFERENCES.md A6: untouched on failure";
	set_align("0\n");
	EXPECT_PMEM2_ERR(pmem2_source_alignment(src, &a), PMEM2_E_INVALID_ALIGNMENT_VALUE);
	set_align("4096");
	EXPECT_PMEM2_ERR(pmem2_source_alignment(src, &a), PMEM2_E_INVALID_ALIGNMENT_FORMAT);
	set_align("x\n");
	EXPECT_PMEM2_ERR(pmem2_source_alignment(src, &a), PMEM2_E_INVALID_ALIGNMENT_FORMAT);
	unlink(root.path("/sys/devices/platform/region0/dax0.0/dax_region/align").c_str());
	EXPECT_PMEM2_ERR(pmem2_source_alignment(src, &a), PMEM2_E_INVALID_ALIGNMENT_VALUE);
	EXPECT_EQ(a, 7u);
	pmem2_source_delete(&src);
}

TEST_F(FakeDevDax, MapChecks)
{
	pmem2_source *src = make();
	config c;
	pmem2_map *m = reinterpret_cast<pmem2_map *>(0x10);
	ASSERT_EQ(pmem2_config_set_sharing(c, PMEM2_PRIVATE), 0);
	EXPECT_PMEM2_ERR(pmem2_map_new(&m, c, src), PMEM2_E_SRC_DEVDAX_PRIVATE);
	EXPECT_EQ(m, nullptr);
	ASSERT_EQ(pmem2_config_set_sharing(c, PMEM2_SHARED), 0);
	ASSERT_EQ(pmem2_config_set_offset(c, 4096), 0);
	EXPECT_PMEM2_ERR(pmem2_map_new(&m, c, src), PMEM2_E_OFFSET_UNALIGNED);
	ASSERT_EQ(pmem2_config_set_offset(c, 0), 0);
	ASSERT_EQ(pmem2_config_set_length(c, 4096), 0);
	EXPECT_PMEM2_ERR(pmem2_map_new(&m, c, src), PMEM2_E_LENGTH_UNALIGNED);
	ASSERT_EQ(pmem2_config_set_length(c, 0), 0);
	// /dev/null cannot be mapped: the real mmap error comes back.
	std::size_t before = vma_count();
	EXPECT_PMEM2_ERR(pmem2_map_new(&m, c, src), -ENODEV);
	EXPECT_EQ(m, nullptr);
	EXPECT_EQ(vma_count(), before);
	set_size("0\n");
	EXPECT_PMEM2_ERR(pmem2_map_new(&m, c, src), PMEM2_E_SOURCE_EMPTY);
	pmem2_source_delete(&src);
}

} // namespace
