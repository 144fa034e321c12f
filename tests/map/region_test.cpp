// NUMA node, unsafe shutdown count and device id through (fake) sysfs
// (DIFFERENCES.md A24, A25).
#include <cstring>

#include "support/capi.hpp"
#include "support/env.hpp"
#include "support/fake_sysfs.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"

namespace {

using namespace pmem2::test;

TEST(Identity, AnonymousSourceHasNoDevice)
{
	source s(page(), 0);
	int node = 7;
	uint64_t usc = 7;
	size_t len = 7;
	EXPECT_PMEM2_ERR(pmem2_source_numa_node(s, &node), PMEM2_E_NOSUPP);
	EXPECT_PMEM2_ERR(pmem2_source_device_usc(s, &usc), PMEM2_E_NOSUPP);
	EXPECT_PMEM2_ERR(pmem2_source_device_id(s, nullptr, &len), PMEM2_E_NOSUPP);
	EXPECT_EQ(node, 7);
	EXPECT_EQ(usc, 7u);
	EXPECT_EQ(len, 7u);
}

// The source type is checked first (as in PMDK): an anonymous source is
// "not supported" whatever the output pointers are.
TEST(Identity, AnonymousSourceIsNotSupportedEvenWithNullOutputs)
{
	source s(page(), 0);
	char id[8] = "xxxxxxx";
	size_t len = sizeof(id);
	EXPECT_PMEM2_ERR(pmem2_source_numa_node(s, nullptr), PMEM2_E_NOSUPP);
	EXPECT_PMEM2_ERR(pmem2_source_device_usc(s, nullptr), PMEM2_E_NOSUPP);
	EXPECT_PMEM2_ERR(pmem2_source_device_id(s, nullptr, nullptr), PMEM2_E_NOSUPP);
	EXPECT_PMEM2_ERR(pmem2_source_device_id(s, id, nullptr), PMEM2_E_NOSUPP);
	// Non-NULL outputs: the same code, outputs untouched.
	EXPECT_PMEM2_ERR(pmem2_source_device_id(s, id, &len), PMEM2_E_NOSUPP);
	EXPECT_STREQ(id, "xxxxxxx");
	EXPECT_EQ(len, sizeof(id));
	int node = 7;
	uint64_t usc = 7;
	EXPECT_PMEM2_ERR(pmem2_source_numa_node(s, &node), PMEM2_E_NOSUPP);
	EXPECT_PMEM2_ERR(pmem2_source_device_usc(s, &usc), PMEM2_E_NOSUPP);
	EXPECT_EQ(node, 7);
	EXPECT_EQ(usc, 7u);
	// The message names the function and the reason.
	pmem2::clear_errormsg();
	ASSERT_EQ(pmem2_source_numa_node(s, nullptr), PMEM2_E_NOSUPP);
	EXPECT_NE(std::strstr(pmem2_errormsg(), "pmem2_source_numa_node"), nullptr)
		<< pmem2_errormsg();
	EXPECT_NE(std::strstr(pmem2_errormsg(), "anonymous"), nullptr) << pmem2_errormsg();
}

// A NULL source, and NULL outputs of a file source: -EINVAL. (For a file
// source a NULL id is the size query, tested below.)
TEST(Identity, NullArguments)
{
	scratch f(page());
	source s(f.fd());
	int node = 7;
	uint64_t usc = 7;
	char id[8] = "xxxxxxx";
	EXPECT_PMEM2_ERR(pmem2_source_numa_node(nullptr, &node), -EINVAL);
	EXPECT_PMEM2_ERR(pmem2_source_numa_node(nullptr, nullptr), -EINVAL);
	EXPECT_PMEM2_ERR(pmem2_source_numa_node(s, nullptr), -EINVAL);
	EXPECT_PMEM2_ERR(pmem2_source_device_usc(nullptr, &usc), -EINVAL);
	EXPECT_PMEM2_ERR(pmem2_source_device_usc(nullptr, nullptr), -EINVAL);
	EXPECT_PMEM2_ERR(pmem2_source_device_usc(s, nullptr), -EINVAL);
	EXPECT_PMEM2_ERR(pmem2_source_device_id(s, nullptr, nullptr), -EINVAL);
	EXPECT_PMEM2_ERR(pmem2_source_device_id(s, id, nullptr), -EINVAL);
	EXPECT_PMEM2_ERR(pmem2_source_device_id(nullptr, nullptr, nullptr), -EINVAL);
	EXPECT_EQ(node, 7);
	EXPECT_EQ(usc, 7u);
	EXPECT_STREQ(id, "xxxxxxx");
}

// A file whose device has no sysfs node (or one outside any region):
// tmpfs, overlay, an ordinary disk.
TEST(Identity, FileNotOnAnNvdimm)
{
	fake_nvdimm hw;
	scratch f(page());
	source s(f.fd());
	int node = 7;
	uint64_t usc = 7;
	char id[8] = "xxxxxxx";
	size_t len = sizeof(id);
	EXPECT_PMEM2_ERR(pmem2_source_numa_node(s, &node), PMEM2_E_DAX_REGION_NOT_FOUND);
	EXPECT_PMEM2_ERR(pmem2_source_device_usc(s, &usc), PMEM2_E_NOSUPP);
	EXPECT_PMEM2_ERR(pmem2_source_device_id(s, id, &len), PMEM2_E_NOSUPP);
	// A disk: its node exists but resolves outside every region.
	hw.root.mkdirs("/sys/devices/pci0000:00/block/sda");
	hw.root.symlink(hw.root.path("/sys/devices/pci0000:00/block/sda"),
		fake_nvdimm::node("block", dev_of(f.fd())));
	EXPECT_PMEM2_ERR(pmem2_source_numa_node(s, &node), PMEM2_E_DAX_REGION_NOT_FOUND);
	EXPECT_PMEM2_ERR(pmem2_source_device_usc(s, &usc), PMEM2_E_NOSUPP);
	EXPECT_EQ(node, 7);
	EXPECT_EQ(usc, 7u);
	EXPECT_STREQ(id, "xxxxxxx");
}

// Only components below the sysfs root count: a root that itself lives in
// a directory named like a region is not one.
TEST(Identity, RootPathIsNotARegion)
{
	std::string base = "/tmp/pmem2-rootname-XXXXXX";
	ASSERT_NE(::mkdtemp(base.data()), nullptr);
	const std::string root = base + "/region9";
	ASSERT_EQ(::mkdir(root.c_str(), 0755), 0);
	scratch f(page());
	source s(f.fd());
	pmem2::os::set_sysfs_root(root);
	const dev_t d = dev_of(f.fd());
	const std::string disk = root + "/sys/devices/pci0000:00/block/sda";
	const std::string node = root + fake_nvdimm::node("block", d);
	ASSERT_EQ(std::system(("mkdir -p '" + disk + "' '" + root + "/sys/dev/block'").c_str()), 0);
	ASSERT_EQ(::symlink(disk.c_str(), node.c_str()), 0);
	int n = 7;
	EXPECT_PMEM2_ERR(pmem2_source_numa_node(s, &n), PMEM2_E_DAX_REGION_NOT_FOUND);
	pmem2::os::set_sysfs_root("");
	ASSERT_EQ(std::system(("rm -rf '" + base + "'").c_str()), 0);
}

TEST(Identity, LookupFailureIsReturned)
{
	fake_nvdimm hw;
	scratch f(page());
	source s(f.fd());
	int node = 7;
	pmem2::os::fail_next(pmem2::os::call::realpath, EACCES);
	EXPECT_PMEM2_ERR(pmem2_source_numa_node(s, &node), -EACCES);
	EXPECT_EQ(node, 7);
}

class FileOnRegion : public ::testing::Test {
protected:
	void SetUp() override
	{
		hw.add_region(3, "1\n");
		hw.add_dimm(3, 0, "nmem4", "8089-a2-1837-00000a1b", "3");
		hw.add_dimm(3, 1, "nmem2", "8089-a2-1837-00000c2d", "4");
		hw.block_on_region(dev_of(f.fd()), 3);
	}
	fake_nvdimm hw;
	scratch f{page()};
	source s{f.fd()};
	const std::string expected_id = "8089-a2-1837-00000a1b8089-a2-1837-00000c2d";
};

TEST_F(FileOnRegion, NumaNode)
{
	int node = 7;
	ASSERT_EQ(pmem2_source_numa_node(s, &node), 0) << pmem2_errormsg();
	EXPECT_EQ(node, 1);
	hw.set(3, "numa_node", "-1\n");
	ASSERT_EQ(pmem2_source_numa_node(s, &node), 0);
	EXPECT_EQ(node, -1);
	node = 7;
	for (const char *bad : {"1", "x\n", "\n", "1 2\n", "99999999999\n"}) {
		hw.set(3, "numa_node", bad);
		EXPECT_PMEM2_ERR(pmem2_source_numa_node(s, &node), PMEM2_E_INVALID_REGION_FORMAT);
	}
	::unlink(hw.root.path(fake_nvdimm::region_rel(3) + "/numa_node").c_str());
	EXPECT_PMEM2_ERR(pmem2_source_numa_node(s, &node), -ENOENT);
	EXPECT_EQ(node, 7);
}

TEST_F(FileOnRegion, UnsafeShutdownCountIsTheSum)
{
	uint64_t usc = 0;
	ASSERT_EQ(pmem2_source_device_usc(s, &usc), 0) << pmem2_errormsg();
	EXPECT_EQ(usc, 7u);
	hw.add_dimm(3, 2, "nmem9", "id9", "0x10");
	ASSERT_EQ(pmem2_source_device_usc(s, &usc), 0);
	EXPECT_EQ(usc, 23u);
}

TEST_F(FileOnRegion, UnsafeShutdownCountErrorsLeaveTheOutput)
{
	uint64_t usc = 99;
	hw.add_dimm(3, 2, "nmem9", "id9", nullptr);	// no counter
	EXPECT_PMEM2_ERR(pmem2_source_device_usc(s, &usc), PMEM2_E_NOSUPP);
	hw.add_dimm(3, 2, "nmem9", "id9", "-1");	// the driver does not know
	EXPECT_PMEM2_ERR(pmem2_source_device_usc(s, &usc), PMEM2_E_NOSUPP);
	hw.add_dimm(3, 2, "nmem9", "id9", "many");
	EXPECT_PMEM2_ERR(pmem2_source_device_usc(s, &usc), PMEM2_E_INVALID_REGION_FORMAT);
	hw.set(3, "mapping2", "garbage\n");
	EXPECT_PMEM2_ERR(pmem2_source_device_usc(s, &usc), PMEM2_E_INVALID_REGION_FORMAT);
	EXPECT_EQ(usc, 99u) << "DIFFERENCES.md A25: untouched on failure";
}

TEST_F(FileOnRegion, DeviceIdLengthAndContent)
{
	size_t len = 0;
	ASSERT_EQ(pmem2_source_device_id(s, nullptr, &len), 0) << pmem2_errormsg();
	EXPECT_EQ(len, expected_id.size() + 1);
	// Written from offset 0 whatever the buffer held (DIFFERENCES.md A24).
	std::string buf(len, 'Z');
	ASSERT_EQ(pmem2_source_device_id(s, buf.data(), &len), 0);
	EXPECT_EQ(len, expected_id.size() + 1);
	EXPECT_STREQ(buf.c_str(), expected_id.c_str());
}

TEST_F(FileOnRegion, DeviceIdBufferTooSmallWritesNothing)
{
	std::string buf(expected_id.size(), 'Z');
	size_t len = buf.size();
	EXPECT_PMEM2_ERR(pmem2_source_device_id(s, buf.data(), &len), PMEM2_E_BUFFER_TOO_SMALL);
	EXPECT_EQ(buf, std::string(expected_id.size(), 'Z'));
	EXPECT_EQ(len, expected_id.size());
}

TEST_F(FileOnRegion, DeviceIdNeedsEveryDimmsId)
{
	hw.add_dimm(3, 2, "nmem9", nullptr, "1");
	size_t len = 5;
	EXPECT_PMEM2_ERR(pmem2_source_device_id(s, nullptr, &len), PMEM2_E_NOSUPP);
	EXPECT_EQ(len, 5u);
}

TEST(Identity, RegionWithoutDimms)
{
	fake_nvdimm hw;
	hw.add_region(0);
	scratch f(page());
	source s(f.fd());
	hw.block_on_region(dev_of(f.fd()), 0);
	uint64_t usc = 5;
	ASSERT_EQ(pmem2_source_device_usc(s, &usc), 0);
	EXPECT_EQ(usc, 0u);
	size_t len = 0;
	ASSERT_EQ(pmem2_source_device_id(s, nullptr, &len), 0);
	EXPECT_EQ(len, 1u);
	char c = 'x';
	ASSERT_EQ(pmem2_source_device_id(s, &c, &len), 0);
	EXPECT_EQ(c, '\0');
}

// /dev/zero described as a device DAX: it can really be mapped and read.
class FakeDevDaxZero : public ::testing::Test {
protected:
	void SetUp() override
	{
		fd = ::open("/dev/zero", O_RDWR);
		ASSERT_GE(fd, 0);
		hw.add_region(1, "2\n");
		hw.add_dimm(1, 0, "nmem0", "cafe", "11");
		hw.devdax_on_region(rdev_of(fd), 1, 64 * page(), page());
		ASSERT_EQ(pmem2_source_from_fd(&src, fd), 0) << pmem2_errormsg();
	}
	void TearDown() override
	{
		pmem2_source_delete(&src);
		::close(fd);
	}
	fake_nvdimm hw;
	int fd = -1;
	pmem2_source *src = nullptr;
};

TEST_F(FakeDevDaxZero, SizeAlignmentAndIdentity)
{
	size_t sz = 0, al = 0;
	ASSERT_EQ(pmem2_source_size(src, &sz), 0);
	EXPECT_EQ(sz, 64 * page());
	ASSERT_EQ(pmem2_source_alignment(src, &al), 0);
	EXPECT_EQ(al, page());
	int node = 0;
	ASSERT_EQ(pmem2_source_numa_node(src, &node), 0) << pmem2_errormsg();
	EXPECT_EQ(node, 2);
	uint64_t usc = 0;
	ASSERT_EQ(pmem2_source_device_usc(src, &usc), 0);
	EXPECT_EQ(usc, 11u);
	char id[16];
	size_t len = sizeof(id);
	ASSERT_EQ(pmem2_source_device_id(src, id, &len), 0);
	EXPECT_STREQ(id, "cafe");
}

TEST_F(FakeDevDaxZero, MapsSharedOnlyAndWholeAlignment)
{
	config c;
	pmem2_map *m = nullptr;
	ASSERT_EQ(pmem2_config_set_sharing(c, PMEM2_PRIVATE), 0);
	EXPECT_PMEM2_ERR(pmem2_map_new(&m, c, src), PMEM2_E_SRC_DEVDAX_PRIVATE);
	ASSERT_EQ(pmem2_config_set_sharing(c, PMEM2_SHARED), 0);
	ASSERT_EQ(pmem2_map_new(&m, c, src), 0) << pmem2_errormsg();
	EXPECT_EQ(pmem2_map_get_size(m), 64 * page());
	EXPECT_EQ(static_cast<char *>(pmem2_map_get_address(m))[64 * page() - 1], 0);
	EXPECT_EQ(pmem2_map_delete(&m), 0);
}

TEST(RealHardware, NvdimmRegionIdentity)
{
	const char *dir = std::getenv("PMEM2_TEST_PMEM_DIR");
	if (dir == nullptr || *dir == '\0')
		GTEST_SKIP() << "needs a file system on a pmem namespace: set PMEM2_TEST_PMEM_DIR "
			"to a directory on an fsdax-mounted /dev/pmemN";
	scratch f(page(), dir);
	source s(f.fd());
	int node = -2;
	ASSERT_EQ(pmem2_source_numa_node(s, &node), 0) << pmem2_errormsg();
	EXPECT_GE(node, -1);
	size_t len = 0;
	int r = pmem2_source_device_id(s, nullptr, &len);
	EXPECT_TRUE(r == 0 || r == PMEM2_E_NOSUPP) << pmem2_errormsg();
}

} // namespace
