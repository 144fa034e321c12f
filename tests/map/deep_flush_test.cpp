// pmem2_deep_flush (pmem2_deep_flush(3), DIFFERENCES.md A10-A13): msync for files, the
// region's deep_flush attribute for device DAX, every error returned.
#include <cstring>
#include <mutex>
#include <vector>

#include "map/deep_flush.hpp"
#include "os/io.hpp"
#include "support/capi.hpp"
#include "support/env.hpp"
#include "support/fake_sysfs.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"

namespace {

using namespace pmem2::test;

// What the os layer saw: msyncs and attribute writes.
struct observed {
	static inline std::mutex mtx;
	static inline std::vector<std::pair<std::uintptr_t, std::size_t>> syncs;
	static inline std::vector<std::pair<std::string, std::string>> writes;

	observed()
	{
		std::lock_guard lk(mtx);
		syncs.clear();
		writes.clear();
		pmem2::os::set_msync_observer([](const void *a, std::size_t n, int) {
			std::lock_guard l(mtx);
			syncs.emplace_back(reinterpret_cast<std::uintptr_t>(a), n);
		});
		pmem2::os::set_write_observer([](const std::string &p, std::string_view d) {
			std::lock_guard l(mtx);
			writes.emplace_back(p, std::string(d));
		});
	}
	~observed()
	{
		pmem2::os::set_msync_observer(nullptr);
		pmem2::os::set_write_observer(nullptr);
		pmem2::os::clear_faults();
		pmem2::os::io_clear_faults();
	}
	// True when one msync covered [p, p+n) (msync works on whole pages).
	bool synced(const void *p, std::size_t n) const
	{
		std::lock_guard lk(mtx);
		auto a = reinterpret_cast<std::uintptr_t>(p);
		for (auto &[s, l] : syncs)
			if (s <= a && a + n <= s + ((l + page() - 1) & ~(page() - 1)))
				return true;
		return false;
	}
};

TEST(DeepFlush, RangeChecks)
{
	scratch f(4 * page());
	source s(f.fd());
	config c;
	pmem2_map *m = nullptr;
	ASSERT_EQ(pmem2_map_new(&m, c, s), 0);
	char *a = static_cast<char *>(pmem2_map_get_address(m));
	EXPECT_PMEM2_ERR(pmem2_deep_flush(m, a - 1, 1), PMEM2_E_DEEP_FLUSH_RANGE);
	EXPECT_PMEM2_ERR(pmem2_deep_flush(m, a, 4 * page() + 1), PMEM2_E_DEEP_FLUSH_RANGE);
	EXPECT_PMEM2_ERR(pmem2_deep_flush(m, a + 4 * page(), 1), PMEM2_E_DEEP_FLUSH_RANGE);
	// ptr + size wraps around the address space (DIFFERENCES.md A12).
	EXPECT_PMEM2_ERR(pmem2_deep_flush(m, a + 1, SIZE_MAX), PMEM2_E_DEEP_FLUSH_RANGE);
	EXPECT_PMEM2_ERR(pmem2_deep_flush(m, a + page(), SIZE_MAX - 10), PMEM2_E_DEEP_FLUSH_RANGE);
	EXPECT_EQ(pmem2_deep_flush(m, a, 4 * page()), 0);
	EXPECT_EQ(pmem2_deep_flush(m, a + 4 * page(), 0), 0);
	EXPECT_PMEM2_ERR(pmem2_deep_flush(nullptr, a, 1), -EINVAL);
	EXPECT_EQ(pmem2_map_delete(&m), 0);
}

// DIFFERENCES.md A10: the original does nothing for PAGE maps; here the page cache is
// written back, and only the pages of the range.
TEST(DeepFlush, PageMapIsWrittenBack)
{
	observed obs;
	scratch f(8 * page());
	source s(f.fd());
	config c;
	pmem2_map *m = nullptr;
	ASSERT_EQ(pmem2_map_new(&m, c, s), 0);
	ASSERT_EQ(pmem2_map_get_store_granularity(m), PMEM2_GRANULARITY_PAGE);
	char *a = static_cast<char *>(pmem2_map_get_address(m));
	std::memcpy(a + 3 * page() + 100, "durable", 7);
	ASSERT_EQ(pmem2_deep_flush(m, a + 3 * page() + 100, 7), 0) << pmem2_errormsg();
	EXPECT_TRUE(obs.synced(a + 3 * page(), page()));
	EXPECT_FALSE(obs.synced(a + 2 * page(), 1));
	EXPECT_FALSE(obs.synced(a + 4 * page(), 1));
	char buf[7];
	ASSERT_EQ(::pread(f.fd(), buf, 7, off_t(3 * page() + 100)), 7);
	EXPECT_EQ(std::memcmp(buf, "durable", 7), 0);
	// Across a page boundary: both pages.
	ASSERT_EQ(pmem2_deep_flush(m, a + 2 * page() - 1, 2), 0);
	EXPECT_TRUE(obs.synced(a + page(), 2 * page()));
	EXPECT_EQ(pmem2_map_delete(&m), 0);
}

TEST(DeepFlush, MsyncFailureIsReturned)
{
	observed obs;
	scratch f(page());
	source s(f.fd());
	config c;
	pmem2_map *m = nullptr;
	ASSERT_EQ(pmem2_map_new(&m, c, s), 0);
	pmem2::os::fail_next(pmem2::os::call::msync, EIO);
	EXPECT_PMEM2_ERR(pmem2_deep_flush(m, pmem2_map_get_address(m), 10), -EIO);
	EXPECT_EQ(pmem2_map_delete(&m), 0);
}

// A CACHE_LINE map of a regular file (a DAX file system's): msync.
TEST(DeepFlush, CacheLineFileMapSyncs)
{
	observed obs;
	scratch f(2 * page());
	source s(f.fd());
	void *p = ::mmap(nullptr, 2 * page(), PROT_READ | PROT_WRITE, MAP_SHARED, f.fd(), 0);
	ASSERT_NE(p, MAP_FAILED);
	pmem2_map *m = nullptr;
	ASSERT_EQ(pmem2_map_from_existing(&m, s, p, 2 * page(), PMEM2_GRANULARITY_CACHE_LINE), 0);
	EXPECT_EQ(pmem2_deep_flush(m, static_cast<char *>(p) + page() + 1, 10), 0);
	EXPECT_TRUE(obs.synced(static_cast<char *>(p) + page(), page()));
	EXPECT_EQ(pmem2_map_delete(&m), 0);
	::munmap(p, 2 * page());
}

// DIFFERENCES.md A13: anonymous memory has nothing to deep flush, whatever the granularity.
TEST(DeepFlush, AnonymousIsNotSupported)
{
	source s(page(), 0);
	config c;
	pmem2_map *m = nullptr;
	ASSERT_EQ(pmem2_map_new(&m, c, s), 0);
	EXPECT_PMEM2_ERR(pmem2_deep_flush(m, pmem2_map_get_address(m), 1), PMEM2_E_NOSUPP);
	EXPECT_EQ(pmem2_map_delete(&m), 0);
	std::vector<char> mem(page());
	for (auto g : {PMEM2_GRANULARITY_BYTE, PMEM2_GRANULARITY_CACHE_LINE, PMEM2_GRANULARITY_PAGE}) {
		ASSERT_EQ(pmem2_map_from_existing(&m, s, mem.data(), mem.size(), g), 0);
		EXPECT_PMEM2_ERR(pmem2_deep_flush(m, mem.data(), 1), PMEM2_E_NOSUPP);
		EXPECT_EQ(pmem2_map_delete(&m), 0);
	}
}

// Device DAX: /dev/zero described as dax1.0 of region 1 in a fake sysfs.
class DevDaxDeepFlush : public ::testing::Test {
protected:
	void SetUp() override
	{
		fd = ::open("/dev/zero", O_RDWR);
		ASSERT_GE(fd, 0);
		hw.add_region(1);
		hw.devdax_on_region(rdev_of(fd), 1, 16 * page(), page());
		ASSERT_EQ(pmem2_source_from_fd(&src, fd), 0) << pmem2_errormsg();
		mem.resize(4 * page());
		ASSERT_EQ(pmem2_map_from_existing(&m, src, mem.data(), mem.size(),
			PMEM2_GRANULARITY_CACHE_LINE), 0);
	}
	void TearDown() override
	{
		pmem2_map_delete(&m);
		pmem2_source_delete(&src);
		::close(fd);
	}
	int flush() { return pmem2_deep_flush(m, mem.data() + 10, 100); }
	std::size_t writes() const
	{
		std::lock_guard lk(observed::mtx);
		return observed::writes.size();
	}

	observed obs;
	fake_nvdimm hw;
	int fd = -1;
	pmem2_source *src = nullptr;
	pmem2_map *m = nullptr;
	std::vector<char> mem;
};

TEST_F(DevDaxDeepFlush, WritesTheRegionAttribute)
{
	hw.set(1, "deep_flush", "1\n");
	ASSERT_EQ(flush(), 0) << pmem2_errormsg();
	ASSERT_EQ(writes(), 1u);
	EXPECT_EQ(observed::writes[0].first, hw.root.path("/sys/bus/nd/devices/region1/deep_flush"));
	EXPECT_EQ(observed::writes[0].second, "1");
	EXPECT_TRUE(observed::syncs.empty());
}

TEST_F(DevDaxDeepFlush, ZeroMeansNothingToFlush)
{
	hw.set(1, "deep_flush", "0\n");
	EXPECT_EQ(flush(), 0);
	EXPECT_EQ(writes(), 0u);
}

TEST_F(DevDaxDeepFlush, RegionWithoutTheAttribute)
{
	EXPECT_EQ(flush(), 0);
	EXPECT_EQ(writes(), 0u);
	// A region whose flush capability the kernel does not know reads ENXIO.
	hw.set(1, "deep_flush", "1\n");
	pmem2::os::fail_next(pmem2::os::call::read_file, ENXIO);
	EXPECT_EQ(flush(), 0);
	EXPECT_EQ(writes(), 0u);
}

// DIFFERENCES.md A11: failures are returned, not swallowed.
TEST_F(DevDaxDeepFlush, ErrorsAreReturned)
{
	hw.set(1, "deep_flush", "yes\n");
	EXPECT_PMEM2_ERR(flush(), PMEM2_E_INVALID_REGION_FORMAT);
	hw.set(1, "deep_flush", "");
	EXPECT_PMEM2_ERR(flush(), PMEM2_E_INVALID_REGION_FORMAT);
	hw.set(1, "deep_flush", "1\n");
	pmem2::os::io_fail_next(pmem2::os::io_call::write_file, EACCES);
	EXPECT_PMEM2_ERR(flush(), -EACCES);
	pmem2::os::fail_next(pmem2::os::call::read_file, EIO);
	EXPECT_PMEM2_ERR(flush(), -EIO);
	::unlink(hw.root.path(fake_nvdimm::region_rel(1) + "/deep_flush").c_str());
	hw.root.mkdirs(fake_nvdimm::region_rel(1) + "/deep_flush");
	EXPECT_PMEM2_ERR(flush(), -EISDIR);
}

TEST_F(DevDaxDeepFlush, NoRegionIsNotFound)
{
	// Re-home the device outside any region.
	const std::string node = fake_nvdimm::node("char", rdev_of(fd));
	::unlink(hw.root.path(node).c_str());
	hw.root.mkdirs("/sys/devices/virtual/dax0.0");
	hw.root.symlink(hw.root.path("/sys/devices/virtual/dax0.0"), node);
	EXPECT_PMEM2_ERR(flush(), PMEM2_E_DAX_REGION_NOT_FOUND);
	EXPECT_PMEM2_ERR(pmem2::dax_deep_flush(src->info, mem.data(), 1), PMEM2_E_DAX_REGION_NOT_FOUND);
	pmem2::os::fail_next(pmem2::os::call::realpath, EACCES);
	EXPECT_PMEM2_ERR(flush(), -EACCES);
}

// A map made by pmem2_map_new from the fake device DAX (PAGE, since
// /dev/zero has no MAP_SYNC) still goes through the region.
TEST_F(DevDaxDeepFlush, MapNewOfDeviceDax)
{
	hw.set(1, "deep_flush", "1\n");
	config c;
	pmem2_map *dm = nullptr;
	ASSERT_EQ(pmem2_map_new(&dm, c, src), 0) << pmem2_errormsg();
	EXPECT_EQ(pmem2_deep_flush(dm, pmem2_map_get_address(dm), 16 * page()), 0);
	EXPECT_EQ(writes(), 1u);
	EXPECT_EQ(pmem2_map_delete(&dm), 0);
}

TEST(RealHardware, DeviceDaxDeepFlush)
{
	const char *dev = std::getenv("PMEM2_TEST_DEVDAX");
	if (dev == nullptr || *dev == '\0')
		GTEST_SKIP() << "needs a device DAX (e.g. /dev/dax0.0, set PMEM2_TEST_DEVDAX): "
			"none is configured on this machine";
	int fd = ::open(dev, O_RDWR);
	ASSERT_GE(fd, 0) << dev;
	source s(fd);
	config c(PMEM2_GRANULARITY_CACHE_LINE);
	pmem2_map *m = nullptr;
	ASSERT_EQ(pmem2_map_new(&m, c, s), 0) << pmem2_errormsg();
	int r = pmem2_deep_flush(m, pmem2_map_get_address(m), 64);
	EXPECT_TRUE(r == 0 || r == -EACCES) << pmem2_errormsg();
	EXPECT_EQ(pmem2_map_delete(&m), 0);
	::close(fd);
}

} // namespace
