// The region report `pmem2 info` prints (DIFFERENCES.md A44): CXL and
// NVDIMM regions in fake sysfs trees, and files off every region.
#include "map/region_report.hpp"
#include "support/capi.hpp"
#include "support/env.hpp"
#include "support/fake_cxl.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"

namespace {

using namespace pmem2::test;
namespace rr = pmem2::region_report;

TEST(RegionReport, CxlRegionWithItsMemoryDevices)
{
	fake_cxl hw;
	hw.add_region(1, 0);
	hw.add_memdev(0, "0x1a2b");
	hw.add_memdev(1, nullptr);	// no serial anywhere: listed without one
	hw.add_dimm(1, 0, 0, 0, "6699", "2");
	hw.add_dimm(1, 1, 1, 1, nullptr, nullptr);
	scratch f(page());
	hw.block_on_region(dev_of(f.fd()), 1);
	rr::report r;
	ASSERT_EQ(rr::describe(f.fd(), r), 0) << pmem2_errormsg();
	ASSERT_TRUE(r.found);
	EXPECT_EQ(r.region, 1u);
	EXPECT_TRUE(r.cxl);
	EXPECT_EQ(r.cxl_region, "region0");
	EXPECT_EQ(r.domain, "");
	ASSERT_EQ(r.devices.size(), 2u);
	EXPECT_EQ(r.devices[0].dimm, "nmem0");
	EXPECT_EQ(r.devices[0].memdev, "mem0");
	EXPECT_EQ(r.devices[0].serial, "0x1a2b");
	EXPECT_EQ(r.devices[1].memdev, "mem1");
	EXPECT_EQ(r.devices[1].serial, "");
	// A malformed mapping is the region's error.
	hw.set(1, "mapping1", "garbage\n");
	EXPECT_EQ(rr::describe(f.fd(), r), PMEM2_E_INVALID_REGION_FORMAT);
}

TEST(RegionReport, NvdimmRegion)
{
	fake_nvdimm hw;
	hw.add_region(3);
	hw.add_dimm(3, 0, "nmem4", "8089-a2-1837-00000a1b", "3");
	hw.add_dimm(3, 1, "nmem2", nullptr, "3");
	scratch f(page());
	hw.block_on_region(dev_of(f.fd()), 3);
	rr::report r;
	ASSERT_EQ(rr::describe(f.fd(), r), 0) << pmem2_errormsg();
	ASSERT_TRUE(r.found);
	EXPECT_FALSE(r.cxl);
	EXPECT_EQ(r.cxl_region, "");
	EXPECT_EQ(r.domain, "memory_controller");
	ASSERT_EQ(r.devices.size(), 2u);
	EXPECT_EQ(r.devices[0].serial, "8089-a2-1837-00000a1b");
	EXPECT_EQ(r.devices[1].serial, "");
	EXPECT_EQ(r.devices[1].memdev, "");
}

TEST(RegionReport, OffEveryRegionAndBadDescriptor)
{
	fake_nvdimm hw;
	scratch f(page());
	rr::report r;
	r.found = true;
	ASSERT_EQ(rr::describe(f.fd(), r), 0);
	EXPECT_FALSE(r.found);
	EXPECT_LT(rr::describe(-1, r), 0);
}

} // namespace
