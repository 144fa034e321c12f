// Granularity detection: PMEM2_FORCE_GRANULARITY parsing, the eADR scan of
// fake /sys/bus/nd trees, and the granularity a map ends up with.
#include "support/capi.hpp"
#include "support/env.hpp"
#include "support/fake_sysfs.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"
#include "map/granularity.hpp"

namespace {

using namespace pmem2::test;

TEST(ParseForced, Values)
{
	EXPECT_EQ(pmem2::parse_forced_granularity("BYTE"), PMEM2_GRANULARITY_BYTE);
	EXPECT_EQ(pmem2::parse_forced_granularity("cAcHe_LiNe"), PMEM2_GRANULARITY_CACHE_LINE);
	EXPECT_EQ(pmem2::parse_forced_granularity("cacheline"), PMEM2_GRANULARITY_CACHE_LINE);
	EXPECT_EQ(pmem2::parse_forced_granularity("page"), PMEM2_GRANULARITY_PAGE);
	EXPECT_EQ(pmem2::parse_forced_granularity(nullptr), -1);
	EXPECT_EQ(pmem2::parse_forced_granularity(""), -1);
	EXPECT_EQ(pmem2::parse_forced_granularity("CACHE_LINES"), -1);	// 11 chars
	EXPECT_EQ(pmem2::parse_forced_granularity("PAGE\n"), -1);
}

// Fake trees in the shape the kernel gives /sys/bus/nd/devices: regionN
// directories with a persistence_domain file.
class Eadr : public ::testing::Test {
protected:
	// A region directory with an optional persistence_domain file, linked
	// from /sys/bus/nd/devices/<link>.
	void region(const std::string &link, const char *content)
	{
		std::string dir = "/sys/devices/platform/pmem/ndbus0/" + link;
		root.mkdirs(dir);
		if (content)
			root.write(dir + "/persistence_domain", content);
		root.symlink("../../../devices/platform/pmem/ndbus0/" + link, "/sys/bus/nd/devices/" + link);
	}
	fake_root root;
};

TEST_F(Eadr, NoBusDirectory) { EXPECT_EQ(pmem2::eadr_scan(), 0); }

TEST_F(Eadr, BusPathIsAFile)
{
	root.write("/sys/bus/nd/devices", "x");
	EXPECT_EQ(pmem2::eadr_scan(), 0);
}

TEST_F(Eadr, NoRegions)
{
	root.mkdirs("/sys/bus/nd/devices");
	root.symlink("../../../devices/platform/pmem/ndbus0", "/sys/bus/nd/devices/ndbus0");
	EXPECT_EQ(pmem2::eadr_scan(), 0);
}

TEST_F(Eadr, CpuCacheRegion)
{
	region("region0", "cpu_cache\n");
	EXPECT_EQ(pmem2::eadr_scan(), 1);
}

TEST_F(Eadr, MemoryControllerRegion)
{
	region("region0", "memory_controller\n");
	EXPECT_EQ(pmem2::eadr_scan(), 0);
}

TEST_F(Eadr, RegionWithoutFile)
{
	region("region0", nullptr);
	EXPECT_EQ(pmem2::eadr_scan(), 0);
}

TEST_F(Eadr, MalformedContent)
{
	region("region0", "");
	EXPECT_EQ(pmem2::eadr_scan(), -1);
}

TEST_F(Eadr, MissingNewline)
{
	region("region0", "cpu_cache");
	EXPECT_EQ(pmem2::eadr_scan(), -1);
}

TEST_F(Eadr, LongContentIsTruncatedAndMalformed)
{
	region("region0", std::string(40, 'a').append("\n").c_str());
	EXPECT_EQ(pmem2::eadr_scan(), -1);
}

TEST_F(Eadr, EveryRegionMustReportCpuCache)
{
	region("region0", "cpu_cache\n");
	region("region1", "cpu_cache\n");
	EXPECT_EQ(pmem2::eadr_scan(), 1);
	region("region2", "memory_controller\n");
	EXPECT_EQ(pmem2::eadr_scan(), 0);
}

TEST_F(Eadr, NameOnlyHasToContainRegion)
{
	region("xregion7y", "cpu_cache\n");
	EXPECT_EQ(pmem2::eadr_scan(), 1);
	region("other", "memory_controller\n");	// not a region: ignored
	EXPECT_EQ(pmem2::eadr_scan(), 1);
}

TEST_F(Eadr, RealDirectoriesAreNotRegions)
{
	root.write("/sys/bus/nd/devices/region0/persistence_domain", "memory_controller\n");
	EXPECT_EQ(pmem2::eadr_scan(), 0);	// no symlinked region at all
	region("region1", "cpu_cache\n");
	EXPECT_EQ(pmem2::eadr_scan(), 1);	// the directory is skipped
}

TEST_F(Eadr, PersistenceDomainMustBeARegularFile)
{
	region("region0", nullptr);
	root.write("/elsewhere/pd", "cpu_cache\n");
	root.symlink(root.path("/elsewhere/pd"),
		"/sys/devices/platform/pmem/ndbus0/region0/persistence_domain");
	EXPECT_EQ(pmem2::eadr_scan(), 0);
}

TEST_F(Eadr, BusRootMayBeASymlink)
{
	root.mkdirs("/sys/bus/nd");
	root.mkdirs("/real/devices");
	root.symlink(root.path("/real/devices"), "/sys/bus/nd/devices");
	root.write("/real/regiondir/persistence_domain", "cpu_cache\n");
	root.symlink(root.path("/real/regiondir"), "/real/devices/region0");
	EXPECT_EQ(pmem2::eadr_scan(), 1);
}

TEST_F(Eadr, AvailableGranularity)
{
	pmem2::source_info file;
	file.kind = pmem2::source_kind::fd;
	file.ftype = pmem2::file_kind::reg;
	auto anon = pmem2::source_from_anon(10);
	using pmem2::available_granularity;
	EXPECT_EQ(available_granularity(file, PMEM2_SHARED, false), PMEM2_GRANULARITY_PAGE);
	EXPECT_EQ(available_granularity(file, PMEM2_SHARED, true), PMEM2_GRANULARITY_CACHE_LINE);
	EXPECT_EQ(available_granularity(file, PMEM2_PRIVATE, false), PMEM2_GRANULARITY_BYTE);
	EXPECT_EQ(available_granularity(anon, PMEM2_SHARED, false), PMEM2_GRANULARITY_BYTE);
	region("region0", "cpu_cache\n");
	EXPECT_EQ(available_granularity(file, PMEM2_SHARED, true), PMEM2_GRANULARITY_BYTE);
	EXPECT_EQ(available_granularity(file, PMEM2_SHARED, false), PMEM2_GRANULARITY_PAGE);
	{
		scoped_env e("PMEM2_FORCE_GRANULARITY", "CACHE_LINE");
		EXPECT_EQ(available_granularity(file, PMEM2_SHARED, true), PMEM2_GRANULARITY_CACHE_LINE);
		EXPECT_EQ(available_granularity(file, PMEM2_SHARED, false), PMEM2_GRANULARITY_CACHE_LINE);
		EXPECT_EQ(available_granularity(anon, PMEM2_SHARED, false), PMEM2_GRANULARITY_BYTE);
	}
}

} // namespace
