// CXL-attached persistent memory through a fake sysfs laid out as the
// kernel lays it out (support/fake_cxl.hpp, DIFFERENCES.md A44): the
// region found through the cxl_pmem bridge, device ids from the memory
// devices' serials, dirty shutdown counts present or absent, granularity,
// deep flush, bad blocks and every error path.
#include <vector>

#include <fcntl.h>

#include "map/cxl.hpp"
#include "map/granularity.hpp"
#include "map/region.hpp"
#include "os/io.hpp"
#include "support/capi.hpp"
#include "support/env.hpp"
#include "support/fake_cxl.hpp"
#include "support/granularity.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"

namespace {

using namespace pmem2::test;

std::string device_id(pmem2_source *s, int *err = nullptr)
{
	size_t len = 0;
	int r = pmem2_source_device_id(s, nullptr, &len);
	if (err)
		*err = r;
	if (r)
		return "<error>";
	std::string buf(len, 'Z');
	if (pmem2_source_device_id(s, buf.data(), &len) != 0)
		return "<error>";
	buf.resize(len - 1);
	return buf;
}

// A file on pmem1, a namespace of nd region 1 that the cxl_pmem bridge
// made of CXL region 0, interleaved over mem0 and mem1.
class CxlFile : public ::testing::Test {
protected:
	void SetUp() override
	{
		hw.add_region(1, 0);
		hw.add_memdev(0, "0x1a2b");
		hw.add_memdev(1, "0x3c4d");
		hw.add_dimm(1, 0, 0, 0, "6699", "2");
		hw.add_dimm(1, 1, 1, 1, "15437", "5");
		bdev = hw.block_on_region(dev_of(f.fd()), 1);
	}
	std::string nmem(unsigned m, const char *attr) const
	{
		return fake_cxl::nmem_rel(m) + "/cxl/" + attr;
	}
	void unlink(const std::string &rel) const { ::unlink(hw.root.path(rel).c_str()); }
	// A directory where a file should be: reads fail with EISDIR.
	void make_unreadable(const std::string &rel) const
	{
		unlink(rel);
		hw.root.mkdirs(rel);
	}
	fake_cxl hw;
	scratch f{page()};
	source s{f.fd()};
	std::string bdev;
};

TEST_F(CxlFile, RegionIsFoundThroughTheBridge)
{
	pmem2::source_info src;
	ASSERT_EQ(pmem2::source_from_fd(f.fd(), src), 0);
	pmem2::region::location loc;
	ASSERT_EQ(pmem2::region::lookup(src, loc), 0);
	ASSERT_TRUE(loc.found);
	EXPECT_EQ(loc.id, 1u);
	EXPECT_TRUE(loc.cxl);
	EXPECT_EQ(loc.dir, hw.root.path("/sys/bus/nd/devices/region1"));
	// The CXL region behind it, matched by address range.
	EXPECT_EQ(pmem2::cxl::region_name(hw.root.path(fake_cxl::region_rel(1))), "region0");
	hw.root.write(fake_cxl::cxl_region_rel(0) + "/resource", "0x5000000000\n");
	EXPECT_EQ(pmem2::cxl::region_name(hw.root.path(fake_cxl::region_rel(1))), "");
	int node = 7;
	ASSERT_EQ(pmem2_source_numa_node(s, &node), 0) << pmem2_errormsg();
	EXPECT_EQ(node, 1);
}

// The nd region below the CXL region's pmem_region<Z> (the layout other
// kernels give): the CXL region is its path's, not a resource match.
TEST(CxlRegion, RegionUnderPmemRegionPath)
{
	fake_root root;
	const std::string c = std::string(fake_cxl::port) + "/decoder0.0/region4";
	const std::string nd = c + "/pmem_region4/ndbus2/region2";
	root.write(nd + "/numa_node", "0\n");
	root.symlink(root.path(nd), "/sys/bus/nd/devices/region2");
	EXPECT_TRUE(pmem2::cxl::on_cxl_path(root.path(nd)));
	EXPECT_EQ(pmem2::cxl::region_name(root.path(nd)), "region4");
	scratch f(page());
	root.mkdirs(nd + "/namespace2.0/block/pmem2");
	root.symlink(root.path(nd + "/namespace2.0/block/pmem2"), fake_nvdimm::node("block", dev_of(f.fd())));
	pmem2::source_info src;
	ASSERT_EQ(pmem2::source_from_fd(f.fd(), src), 0);
	pmem2::region::location loc;
	ASSERT_EQ(pmem2::region::lookup(src, loc), 0);
	ASSERT_TRUE(loc.found);
	EXPECT_EQ(loc.id, 2u) << "the nearest nd region, not CXL region4";
	EXPECT_TRUE(loc.cxl);
}

// An NVDIMM region is not CXL.
TEST(CxlRegion, NvdimmRegionIsNotCxl)
{
	fake_nvdimm hw;
	hw.add_region(0);
	scratch f(page());
	hw.block_on_region(dev_of(f.fd()), 0);
	pmem2::source_info src;
	ASSERT_EQ(pmem2::source_from_fd(f.fd(), src), 0);
	pmem2::region::location loc;
	ASSERT_EQ(pmem2::region::lookup(src, loc), 0);
	ASSERT_TRUE(loc.found);
	EXPECT_FALSE(loc.cxl);
	EXPECT_FALSE(pmem2::cxl::is_cxl_dimm("nmem0"));
}

// Device DAX of a CXL RAM region (dax_region under the CXL region itself):
// no nd region, even when an NVDIMM nd region of the same number exists.
TEST(CxlRegion, RamRegionDevDaxIsNotAnNdRegion)
{
	fake_nvdimm hw;
	hw.add_region(0);
	int fd = ::open("/dev/zero", O_RDWR);
	ASSERT_GE(fd, 0);
	const std::string d = std::string(fake_cxl::port) + "/decoder0.0/region0/dax_region0/dax0.0";
	hw.root.mkdirs(d);
	hw.root.mkdirs("/sys/bus/dax");
	hw.root.symlink(hw.root.path("/sys/bus/dax"), d + "/subsystem");
	hw.root.write(d + "/size", std::to_string(page() * 4) + "\n");
	hw.root.write(std::string(fake_cxl::port) + "/decoder0.0/region0/dax_region0/align",
		std::to_string(page()) + "\n");
	hw.root.symlink(hw.root.path(d), fake_nvdimm::node("char", rdev_of(fd)));
	pmem2_source *src = nullptr;
	ASSERT_EQ(pmem2_source_from_fd(&src, fd), 0) << pmem2_errormsg();
	int node = 7;
	uint64_t usc = 7;
	EXPECT_PMEM2_ERR(pmem2_source_numa_node(src, &node), PMEM2_E_DAX_REGION_NOT_FOUND);
	EXPECT_PMEM2_ERR(pmem2_source_device_usc(src, &usc), PMEM2_E_NOSUPP);
	EXPECT_EQ(node, 7);
	pmem2_source_delete(&src);
	::close(fd);
}

TEST_F(CxlFile, DeviceIdIsTheMemoryDevicesSerials)
{
	EXPECT_TRUE(pmem2::cxl::is_cxl_dimm("nmem0"));
	std::string name, dir;
	ASSERT_EQ(pmem2::cxl::memdev("nmem1", name, dir), 0);
	EXPECT_EQ(name, "mem1");
	EXPECT_EQ(dir, hw.root.path(fake_cxl::memdev_rel(1)));
	EXPECT_EQ(device_id(s), "0x1a2b0x3c4d");
}

// Without memX/serial (or without the provider link) the nmem's own
// cxl/id, the same number in decimal, gives the same id.
TEST_F(CxlFile, DeviceIdFallsBackToTheNmemsId)
{
	unlink(fake_cxl::memdev_rel(0) + "/serial");
	EXPECT_EQ(device_id(s), "0x1a2b0x3c4d");
	unlink(nmem(1, "provider"));
	EXPECT_EQ(device_id(s), "0x1a2b0x3c4d");
	unlink("/sys/bus/cxl/devices/pmem0");	// provider names a device gone from the bus
	EXPECT_EQ(device_id(s), "0x1a2b0x3c4d");
}

TEST_F(CxlFile, MissingSerialIsNotSupported)
{
	unlink(fake_cxl::memdev_rel(1) + "/serial");
	unlink(nmem(1, "id"));
	int err = 0;
	device_id(s, &err);
	EXPECT_EQ(err, PMEM2_E_NOSUPP);
	EXPECT_NE(std::string(pmem2_errormsg()).find("nmem1 reports no serial number"), std::string::npos)
		<< pmem2_errormsg();
	// A zero serial: the device has no serial number capability.
	hw.root.write(fake_cxl::memdev_rel(1) + "/serial", "0x0\n");
	size_t len = 5;
	EXPECT_PMEM2_ERR(pmem2_source_device_id(s, nullptr, &len), PMEM2_E_NOSUPP);
	EXPECT_EQ(len, 5u);
}

TEST_F(CxlFile, DeviceIdErrors)
{
	size_t len = 5;
	for (const char *bad : {"zz\n", "0x1a2b", "\n", "-1\n", "0x1ffffffffffffffff\n"}) {
		hw.root.write(fake_cxl::memdev_rel(0) + "/serial", bad);
		SCOPED_TRACE(bad);
		EXPECT_PMEM2_ERR(pmem2_source_device_id(s, nullptr, &len), PMEM2_E_INVALID_REGION_FORMAT);
	}
	unlink(fake_cxl::memdev_rel(0) + "/serial");
	for (const char *bad : {"abc\n", "12x\n", "99999999999999999999\n"}) {
		hw.root.write(nmem(0, "id"), bad);
		SCOPED_TRACE(bad);
		EXPECT_PMEM2_ERR(pmem2_source_device_id(s, nullptr, &len), PMEM2_E_INVALID_REGION_FORMAT);
	}
	hw.root.write(nmem(0, "id"), "6699\n");
	for (const char *bad : {"\n", "../mem0\n", "..\n"}) {
		hw.root.write(nmem(0, "provider"), bad);
		SCOPED_TRACE(bad);
		EXPECT_PMEM2_ERR(pmem2_source_device_id(s, nullptr, &len), PMEM2_E_INVALID_REGION_FORMAT);
	}
	hw.root.write(nmem(0, "provider"), "pmem0\n");
	make_unreadable(fake_cxl::memdev_rel(0) + "/serial");
	EXPECT_PMEM2_ERR(pmem2_source_device_id(s, nullptr, &len), -EISDIR);
	unlink(fake_cxl::memdev_rel(0) + "/serial");
	::rmdir(hw.root.path(fake_cxl::memdev_rel(0) + "/serial").c_str());
	make_unreadable(nmem(0, "id"));
	EXPECT_PMEM2_ERR(pmem2_source_device_id(s, nullptr, &len), -EISDIR);
	make_unreadable(nmem(0, "provider"));
	EXPECT_PMEM2_ERR(pmem2_source_device_id(s, nullptr, &len), -EISDIR);
	EXPECT_EQ(len, 5u);
}

TEST_F(CxlFile, UnsafeShutdownCountIsTheSum)
{
	uint64_t usc = 0;
	ASSERT_EQ(pmem2_source_device_usc(s, &usc), 0) << pmem2_errormsg();
	EXPECT_EQ(usc, 7u);
}

// Kernels before cxl/dirty_shutdown, or devices without dirty shutdown
// tracking: not supported, with a message naming the missing file.
TEST_F(CxlFile, UnsafeShutdownCountAbsentIsNotSupported)
{
	unlink(nmem(1, "dirty_shutdown"));
	uint64_t usc = 99;
	pmem2::clear_errormsg();
	EXPECT_PMEM2_ERR(pmem2_source_device_usc(s, &usc), PMEM2_E_NOSUPP);
	EXPECT_NE(std::string(pmem2_errormsg()).find("nmem1/cxl/dirty_shutdown"), std::string::npos)
		<< pmem2_errormsg();
	EXPECT_EQ(usc, 99u);
}

TEST_F(CxlFile, UnsafeShutdownCountErrors)
{
	uint64_t usc = 99;
	for (const char *bad : {"many\n", "3", "\n", "1 2\n"}) {
		hw.root.write(nmem(0, "dirty_shutdown"), bad);
		SCOPED_TRACE(bad);
		EXPECT_PMEM2_ERR(pmem2_source_device_usc(s, &usc), PMEM2_E_INVALID_REGION_FORMAT);
	}
	make_unreadable(nmem(0, "dirty_shutdown"));
	EXPECT_PMEM2_ERR(pmem2_source_device_usc(s, &usc), -EISDIR);
	hw.set(1, "mapping1", "garbage\n");
	EXPECT_PMEM2_ERR(pmem2_source_device_usc(s, &usc), PMEM2_E_INVALID_REGION_FORMAT);
	EXPECT_EQ(usc, 99u);
}

TEST_F(CxlFile, NumaNodeErrors)
{
	int node = 7;
	hw.set(1, "numa_node", "x\n");
	EXPECT_PMEM2_ERR(pmem2_source_numa_node(s, &node), PMEM2_E_INVALID_REGION_FORMAT);
	::unlink(hw.root.path(fake_cxl::region_rel(1) + "/numa_node").c_str());
	EXPECT_PMEM2_ERR(pmem2_source_numa_node(s, &node), -ENOENT);
	EXPECT_EQ(node, 7);
}

// The CXL nd region reports no persistence domain: no eADR, so a MAP_SYNC
// map is CACHE_LINE (PAGE on a CPU that cannot write back lines); it is
// BYTE only when every region says cpu_cache.
TEST_F(CxlFile, Granularity)
{
	EXPECT_EQ(pmem2::eadr_scan(), 0);
	pmem2::source_info src;
	ASSERT_EQ(pmem2::source_from_fd(f.fd(), src), 0);
	EXPECT_EQ(pmem2::available_granularity(src, PMEM2_SHARED, true),
		granularity_on_this_cpu(PMEM2_GRANULARITY_CACHE_LINE));
	EXPECT_EQ(pmem2::available_granularity(src, PMEM2_SHARED, false), PMEM2_GRANULARITY_PAGE);
	hw.set(1, "persistence_domain", "memory_controller\n");
	EXPECT_EQ(pmem2::eadr_scan(), 0);
	hw.set(1, "persistence_domain", "cpu_cache\n");
	EXPECT_EQ(pmem2::eadr_scan(), 1);
	EXPECT_EQ(pmem2::available_granularity(src, PMEM2_SHARED, true), PMEM2_GRANULARITY_BYTE);
	hw.add_region(2, 3, "0x5080000000\n");	// a second CXL region without a domain
	EXPECT_EQ(pmem2::eadr_scan(), 0);
}

// The file's bad blocks come from the CXL namespace's block device.
TEST_F(CxlFile, BadBlocks)
{
	hw.root.write(bdev + "/badblocks", "junk\n");
	pmem2_badblock_context *c = nullptr;
	EXPECT_PMEM2_ERR(pmem2_badblock_context_new(&c, s), PMEM2_E_INVALID_REGION_FORMAT);
	EXPECT_EQ(c, nullptr);
	hw.root.write(bdev + "/badblocks", "");
	ASSERT_EQ(pmem2_badblock_context_new(&c, s), 0) << pmem2_errormsg();
	pmem2_badblock bb{5, 6};
	EXPECT_PMEM2_ERR(pmem2_badblock_next(c, &bb), PMEM2_E_NO_BAD_BLOCK_FOUND);
	pmem2_badblock_context_delete(&c);
}

// The same file on each platform kind: NVDIMM with ADR (memory
// controller domain), NVDIMM with eADR (cpu_cache), CXL (no domain
// reported): the granularity of a MAP_SYNC map and the device id.
TEST(PlatformKinds, GranularityAndIdentity)
{
	scratch f(page());
	pmem2::source_info src;
	ASSERT_EQ(pmem2::source_from_fd(f.fd(), src), 0);
	struct {
		const char *name;
		pmem2_granularity want;
		const char *id;
	} kinds[] = {
		{"adr", granularity_on_this_cpu(PMEM2_GRANULARITY_CACHE_LINE), "8089-a2-1837-00000a1b"},
		{"eadr", PMEM2_GRANULARITY_BYTE, "8089-a2-1837-00000a1b"},
		{"cxl", granularity_on_this_cpu(PMEM2_GRANULARITY_CACHE_LINE), "0x1a2b"},
	};
	for (const auto &k : kinds) {
		SCOPED_TRACE(k.name);
		std::string id;
		if (std::string(k.name) == "cxl") {
			fake_cxl hw;
			hw.add_region(0, 0);
			hw.add_memdev(0, "0x1a2b");
			hw.add_dimm(0, 0, 0, 0, nullptr, "0");
			hw.block_on_region(dev_of(f.fd()), 0);
			EXPECT_EQ(pmem2::available_granularity(src, PMEM2_SHARED, true), k.want);
			source s(f.fd());
			id = device_id(s);
		} else {
			fake_nvdimm hw;
			hw.add_region(0, "0\n", std::string(k.name) == "eadr" ? "cpu_cache\n" : "memory_controller\n");
			hw.add_dimm(0, 0, "nmem0", "8089-a2-1837-00000a1b", "0");
			hw.block_on_region(dev_of(f.fd()), 0);
			EXPECT_EQ(pmem2::available_granularity(src, PMEM2_SHARED, true), k.want);
			source s(f.fd());
			id = device_id(s);
		}
		EXPECT_EQ(id, k.id);
	}
}

// /dev/zero as dax1.0 of the CXL nd region 1.
class CxlDevDax : public ::testing::Test {
protected:
	void SetUp() override
	{
		fd = ::open("/dev/zero", O_RDWR);
		ASSERT_GE(fd, 0);
		hw.add_region(1, 0, "0x4080000000\n");
		hw.add_memdev(0, "0x1a2b");
		hw.add_dimm(1, 0, 0, 0, "6699", "4");
		hw.devdax_on_region(rdev_of(fd), 1, 1 << 20, page());
		ASSERT_EQ(pmem2_source_from_fd(&src, fd), 0) << pmem2_errormsg();
		mem.resize(4 * page());
		ASSERT_EQ(pmem2_map_from_existing(&m, src, mem.data(), mem.size(),
			PMEM2_GRANULARITY_CACHE_LINE), 0) << pmem2_errormsg();
	}
	void TearDown() override
	{
		pmem2_map_delete(&m);
		pmem2_source_delete(&src);
		::close(fd);
	}
	fake_cxl hw;
	int fd = -1;
	pmem2_source *src = nullptr;
	pmem2_map *m = nullptr;
	std::vector<char> mem;
};

TEST_F(CxlDevDax, Identity)
{
	EXPECT_EQ(device_id(src), "0x1a2b");
	uint64_t usc = 0;
	ASSERT_EQ(pmem2_source_device_usc(src, &usc), 0) << pmem2_errormsg();
	EXPECT_EQ(usc, 4u);
}

// CXL DIMMs have no flush hints: the kernel's deep_flush reads 0 (or is
// absent) and nothing is written; a region that asks for it gets it.
TEST_F(CxlDevDax, DeepFlush)
{
	static std::vector<std::string> writes;
	writes.clear();
	pmem2::os::set_write_observer([](const std::string &p, std::string_view) { writes.push_back(p); });
	EXPECT_EQ(pmem2_deep_flush(m, mem.data(), 64), 0) << pmem2_errormsg();
	hw.set(1, "deep_flush", "0\n");
	EXPECT_EQ(pmem2_deep_flush(m, mem.data(), 64), 0) << pmem2_errormsg();
	EXPECT_TRUE(writes.empty());
	hw.set(1, "deep_flush", "1\n");
	EXPECT_EQ(pmem2_deep_flush(m, mem.data(), 64), 0) << pmem2_errormsg();
	pmem2::os::set_write_observer(nullptr);
	ASSERT_EQ(writes.size(), 1u);
	EXPECT_EQ(writes[0], hw.root.path("/sys/bus/nd/devices/region1/deep_flush"));
	hw.set(1, "deep_flush", "2\n");
	EXPECT_PMEM2_ERR(pmem2_deep_flush(m, mem.data(), 64), PMEM2_E_INVALID_REGION_FORMAT);
}

// The region's list clipped to the namespace, as on NVDIMMs.
TEST_F(CxlDevDax, BadBlocks)
{
	const std::string nd = fake_cxl::region_rel(1) + "/dax1.0";
	hw.root.write(nd + "/resource", "0x4080010000\n");
	hw.root.write(nd + "/size", "1048576\n");
	hw.set(1, "badblocks", "0 8\n256 1\n");
	pmem2_badblock_context *c = nullptr;
	ASSERT_EQ(pmem2_badblock_context_new(&c, src), 0) << pmem2_errormsg();
	pmem2_badblock bb{};
	ASSERT_EQ(pmem2_badblock_next(c, &bb), 0);
	EXPECT_EQ(bb.offset, 256u * 512 - 65536);
	EXPECT_EQ(bb.length, 512u);
	EXPECT_PMEM2_ERR(pmem2_badblock_next(c, &bb), PMEM2_E_NO_BAD_BLOCK_FOUND);
	// Clearing is refused before any address range scrub is tried: a CXL
	// region's nd bus has none.
	bb = {256u * 512 - 65536, 512};
	EXPECT_PMEM2_ERR(pmem2_badblock_clear(c, &bb), PMEM2_E_NOSUPP);
	EXPECT_STREQ(pmem2_errormsg(), "region1 is CXL memory: its poison is cleared through the memory "
		"devices (cxl clear-poison), not the NVDIMM address range scrub");
	pmem2_badblock_context_delete(&c);
	hw.set(1, "resource", "junk\n");
	EXPECT_PMEM2_ERR(pmem2_badblock_context_new(&c, src), PMEM2_E_CANNOT_READ_BOUNDS);
}

} // namespace
