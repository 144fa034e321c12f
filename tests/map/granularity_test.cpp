// Granularity detection: PMEM2_FORCE_GRANULARITY parsing, the eADR scan of
// fake /sys/bus/nd trees, and the granularity a map ends up with.
#include "support/capi.hpp"
#include "support/env.hpp"
#include "support/fake_sysfs.hpp"
#include "support/granularity.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"
#include "map/granularity.hpp"
#include "memops/memops.hpp"
#include "os/os.hpp"

#include <string>

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
	// CACHE_LINE where the CPU can write back lines, else PAGE (LineWriteBack below).
	const pmem2_granularity line = granularity_on_this_cpu(PMEM2_GRANULARITY_CACHE_LINE);
	EXPECT_EQ(available_granularity(file, PMEM2_SHARED, false), PMEM2_GRANULARITY_PAGE);
	EXPECT_EQ(available_granularity(file, PMEM2_SHARED, true), line);
	EXPECT_EQ(available_granularity(file, PMEM2_PRIVATE, false), PMEM2_GRANULARITY_BYTE);
	EXPECT_EQ(available_granularity(anon, PMEM2_SHARED, false), PMEM2_GRANULARITY_BYTE);
	region("region0", "cpu_cache\n");
	EXPECT_EQ(available_granularity(file, PMEM2_SHARED, true), PMEM2_GRANULARITY_BYTE);
	EXPECT_EQ(available_granularity(file, PMEM2_SHARED, false), PMEM2_GRANULARITY_PAGE);
	{
		scoped_env e("PMEM2_FORCE_GRANULARITY", "CACHE_LINE");
		EXPECT_EQ(available_granularity(file, PMEM2_SHARED, true), line);
		EXPECT_EQ(available_granularity(file, PMEM2_SHARED, false), line);
		EXPECT_EQ(available_granularity(anon, PMEM2_SHARED, false), PMEM2_GRANULARITY_BYTE);
	}
}

// A CPU that cannot write a line back from user space (riscv64 when the
// kernel reports no Zicbom): memops dispatched as for one through its test
// option, on any CPU (under qemu-riscv64 it is also the real case). No map
// is offered CACHE_LINE there: PAGE (msync) takes its place, and device
// DAX, which has no msync, gets nothing unless the caches are persistent.
class LineWriteBack : public Eadr {
protected:
	void SetUp() override
	{
		pmem2::memops::dispatch_options o = pmem2::memops::options_from_env();
		o.no_line_write_back = true;
		pmem2::memops::redispatch(o);
	}
	void TearDown() override { pmem2::memops::redispatch(pmem2::memops::options_from_env()); }
};

TEST_F(LineWriteBack, CacheLineBecomesPageAndDeviceDaxNothing)
{
	ASSERT_FALSE(pmem2::memops::can_write_back_lines());
	EXPECT_STREQ("msync", pmem2::memops::selected().flush);
	pmem2::source_info file, devdax;
	file.kind = devdax.kind = pmem2::source_kind::fd;
	file.ftype = pmem2::file_kind::reg;
	devdax.ftype = pmem2::file_kind::devdax;
	auto anon = pmem2::source_from_anon(10);
	using pmem2::choose_granularity;
	const std::string no_lines = "this CPU cannot write back cache lines from user space (msync only)";

	pmem2::granularity_choice c = choose_granularity(file, PMEM2_SHARED, true);
	EXPECT_EQ(c.granularity, PMEM2_GRANULARITY_PAGE);
	EXPECT_TRUE(c.durable);
	EXPECT_EQ(std::string(c.reason),
		"the platform does not flush CPU caches on power failure (no eADR) and " + no_lines);
	c = choose_granularity(devdax, PMEM2_SHARED, true);
	EXPECT_EQ(c.granularity, PMEM2_GRANULARITY_PAGE);
	EXPECT_FALSE(c.durable);
	EXPECT_STREQ(c.reason, "device DAX without eADR needs CPU cache-line write-back, which this CPU "
		"does not let user space do (and device DAX has no msync)");
	// Unchanged: no MAP_SYNC (PAGE already), anonymous and private maps.
	c = choose_granularity(file, PMEM2_SHARED, false);
	EXPECT_EQ(c.granularity, PMEM2_GRANULARITY_PAGE);
	EXPECT_STREQ(c.reason, "the file is not on a DAX-enabled file system or the kernel lacks MAP_SYNC");
	EXPECT_EQ(choose_granularity(anon, PMEM2_SHARED, false).granularity, PMEM2_GRANULARITY_BYTE);
	EXPECT_EQ(choose_granularity(file, PMEM2_PRIVATE, true).granularity, PMEM2_GRANULARITY_BYTE);
	{
		scoped_env e("PMEM2_FORCE_GRANULARITY", "CACHE_LINE");
		c = choose_granularity(file, PMEM2_SHARED, false);
		EXPECT_EQ(c.granularity, PMEM2_GRANULARITY_PAGE);
		EXPECT_EQ(std::string(c.reason), "PMEM2_FORCE_GRANULARITY asks for CACHE_LINE, but " + no_lines);
	}
	{
		scoped_env e("PMEM2_FORCE_GRANULARITY", "BYTE");
		EXPECT_EQ(choose_granularity(file, PMEM2_SHARED, false).granularity, PMEM2_GRANULARITY_BYTE);
	}
	// eADR: the caches are in the persistence domain, nothing to write back.
	region("region0", "cpu_cache\n");
	c = choose_granularity(file, PMEM2_SHARED, true);
	EXPECT_EQ(c.granularity, PMEM2_GRANULARITY_BYTE);
	EXPECT_EQ(c.reason, nullptr);
	c = choose_granularity(devdax, PMEM2_SHARED, true);
	EXPECT_EQ(c.granularity, PMEM2_GRANULARITY_BYTE);
	EXPECT_TRUE(c.durable);
}

TEST_F(LineWriteBack, RequiringCacheLineFailsWithTheReasonAndPageMaps)
{
	scratch f(4 * page());
	source s(f.fd());
	scoped_env e("PMEM2_FORCE_GRANULARITY", "CACHE_LINE");
	pmem2_map *m = nullptr;
	{
		config c(PMEM2_GRANULARITY_CACHE_LINE);
		EXPECT_PMEM2_ERR(pmem2_map_new(&m, c, s), PMEM2_E_GRANULARITY_NOT_SUPPORTED);
		EXPECT_STREQ(pmem2_errormsg(), "required store granularity CACHE_LINE is not available "
			"(only PAGE): PMEM2_FORCE_GRANULARITY asks for CACHE_LINE, but this CPU cannot "
			"write back cache lines from user space (msync only)");
		EXPECT_EQ(m, nullptr);
	}
	config c(PMEM2_GRANULARITY_PAGE);
	ASSERT_EQ(pmem2_map_new(&m, c, s), 0) << pmem2_errormsg();
	EXPECT_EQ(pmem2_map_get_store_granularity(m), PMEM2_GRANULARITY_PAGE);
	const auto &pg = pmem2::memops::ops(pmem2::memops::granularity::page);
	EXPECT_EQ(pmem2_get_persist_fn(m), pg.persist);
	EXPECT_EQ(pmem2_get_flush_fn(m), pg.flush);
	// Its persist is an msync of the pages.
	auto *p = static_cast<char *>(pmem2_map_get_address(m));
	p[100] = 7;
	const std::uint64_t before = pmem2::os::msync_calls();
	pmem2_get_persist_fn(m)(p + 100, 1);
	EXPECT_GT(pmem2::os::msync_calls(), before);
	EXPECT_EQ(pmem2_map_delete(&m), 0);
}

} // namespace
