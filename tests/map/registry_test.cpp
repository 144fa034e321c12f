// PAGE persistence through the registry: what gets msync'ed.
#include <cstdint>
#include <mutex>
#include <vector>

#include <sys/mman.h>

#include "support/capi.hpp"
#include "support/env.hpp"
#include "support/fake_sysfs.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"
#include "map/map.hpp"
#include "memops/memops.hpp"

namespace {

using namespace pmem2::test;

struct msync_log {
	std::mutex mtx;
	std::vector<std::pair<std::uintptr_t, std::size_t>> calls;
	std::vector<int> results;
};
msync_log *active_log;

void record(const void *addr, std::size_t len, int result)
{
	if (!active_log)
		return;
	std::lock_guard lk(active_log->mtx);
	active_log->calls.emplace_back(reinterpret_cast<std::uintptr_t>(addr), len);
	active_log->results.push_back(result);
}

class PagePersist : public ::testing::Test {
protected:
	void SetUp() override
	{
		active_log = &log;
		pmem2::os::set_msync_observer(&record);
	}
	void TearDown() override
	{
		pmem2::os::set_msync_observer(nullptr);
		active_log = nullptr;
	}
	std::size_t total() const
	{
		std::size_t n = 0;
		for (auto &c : log.calls)
			n += c.second;
		return n;
	}
	msync_log log;
};

TEST_F(PagePersist, PersistMsyncsTheCoveringPages)
{
	scratch f(4 * page());
	source s(f.fd());
	config c;
	pmem2_map *m = nullptr;
	ASSERT_EQ(pmem2_map_new(&m, c, s), 0);
	auto base = reinterpret_cast<std::uintptr_t>(pmem2_map_get_address(m));
	std::uint64_t before = pmem2::os::msync_calls();
	pmem2_get_persist_fn(m)(reinterpret_cast<void *>(base + page() + 10), 100);
	EXPECT_GT(pmem2::os::msync_calls(), before);
	ASSERT_EQ(log.calls.size(), 1u);
	EXPECT_EQ(log.calls[0].first, base + page());
	EXPECT_EQ(log.calls[0].second, page());
	EXPECT_EQ(log.results[0], 0);
	log.calls.clear();
	pmem2_get_flush_fn(m)(reinterpret_cast<void *>(base + page() - 1), 2);
	ASSERT_EQ(log.calls.size(), 1u);
	EXPECT_EQ(log.calls[0].first, base);
	EXPECT_EQ(log.calls[0].second, 2 * page());
	log.calls.clear();
	// Mem functions sync too; NOFLUSH does not.
	char buf[300] = {1};
	pmem2_get_memcpy_fn(m)(reinterpret_cast<void *>(base + 3 * page()), buf, sizeof(buf), 0);
	EXPECT_EQ(log.calls.size(), 1u);
	log.calls.clear();
	pmem2_get_memset_fn(m)(reinterpret_cast<void *>(base), 0, 64, PMEM2_F_MEM_NOFLUSH);
	EXPECT_EQ(log.calls.size(), 0u);
	EXPECT_EQ(pmem2_map_delete(&m), 0);
}

TEST_F(PagePersist, ZeroLengthAlignedDoesNothing)
{
	scratch f(page());
	source s(f.fd());
	config c;
	pmem2_map *m = nullptr;
	ASSERT_EQ(pmem2_map_new(&m, c, s), 0);
	pmem2_get_persist_fn(m)(pmem2_map_get_address(m), 0);
	EXPECT_EQ(log.calls.size(), 0u);
	EXPECT_EQ(pmem2_map_delete(&m), 0);
}

// DIFFERENCES.md A3: a map from map_from_existing has no reserved length; persist must
// neither spin nor run past the map.
TEST_F(PagePersist, MapFromExistingTerminatesAndStaysInside)
{
	scratch f(8 * page());
	char *area = static_cast<char *>(mmap(nullptr, 8 * page(), PROT_READ | PROT_WRITE,
		MAP_SHARED, f.fd(), 0));
	ASSERT_NE(area, MAP_FAILED);
	source s(f.fd());
	pmem2_map *m = nullptr;
	// Registered range starts mid-page and ends mid-page.
	char *start = area + 2 * page() + 100;
	ASSERT_EQ(pmem2_map_from_existing(&m, s, start, 3 * page(), PMEM2_GRANULARITY_PAGE), 0);
	auto persist = pmem2_get_persist_fn(m);
	ASSERT_EQ(persist, pmem2::memops::ops(pmem2::memops::granularity::page).persist);

	persist(start, 3 * page());
	ASSERT_FALSE(log.calls.empty());
	EXPECT_EQ(log.calls.front().first, reinterpret_cast<std::uintptr_t>(area + 2 * page()));
	EXPECT_EQ(total(), 4 * page());
	for (int r : log.results)
		EXPECT_EQ(r, 0);
	log.calls.clear();

	// Starting before the map: the part before is synced directly, then the map.
	persist(area, 3 * page());
	EXPECT_EQ(total(), 3 * page());
	log.calls.clear();

	// Starting inside, going past the end of the map.
	persist(start + 2 * page(), 3 * page());
	EXPECT_EQ(total(), 4 * page());
	EXPECT_EQ(log.calls.front().second, 2 * page()) << "the map's chunk ends with the map";
	EXPECT_LE(log.calls.back().first + log.calls.back().second,
		reinterpret_cast<std::uintptr_t>(area + 8 * page()));
	EXPECT_EQ(pmem2_map_delete(&m), 0);
	munmap(area, 8 * page());
}

// DIFFERENCES.md A4: memory outside every registered map is synced directly.
TEST_F(PagePersist, UnregisteredRangesAreSyncedDirectly)
{
	scratch f(page());
	source s(f.fd());
	config c;
	pmem2_map *m = nullptr;
	ASSERT_EQ(pmem2_map_new(&m, c, s), 0);
	auto persist = pmem2_get_persist_fn(m);
	scratch other(2 * page());
	char *p = static_cast<char *>(mmap(nullptr, 2 * page(), PROT_READ | PROT_WRITE, MAP_SHARED,
		other.fd(), 0));
	ASSERT_NE(p, MAP_FAILED);
	p[page() + 3] = 'z';
	persist(p + page() + 3, 1);
	ASSERT_EQ(log.calls.size(), 1u);
	EXPECT_EQ(log.calls[0].first, reinterpret_cast<std::uintptr_t>(p + page()));
	EXPECT_EQ(log.results[0], 0);
	munmap(p, 2 * page());
	// Unmapped memory: -ENOMEM from msync is tolerated (nothing to persist).
	log.calls.clear();
	log.results.clear();
	persist(p, page());
	ASSERT_EQ(log.results.size(), 1u);
	EXPECT_EQ(log.results[0], -ENOMEM);
	EXPECT_EQ(pmem2_map_delete(&m), 0);
}

TEST_F(PagePersist, SpansAdjacentMapsAndHoles)
{
	scratch f(page());
	source s(f.fd());
	config c;
	pmem2_map *a = nullptr, *b = nullptr;
	ASSERT_EQ(pmem2_map_new(&a, c, s), 0);
	ASSERT_EQ(pmem2_map_new(&b, c, s), 0);
	auto pa = reinterpret_cast<std::uintptr_t>(pmem2_map_get_address(a));
	auto pb = reinterpret_cast<std::uintptr_t>(pmem2_map_get_address(b));
	std::uintptr_t lo = pa < pb ? pa : pb, hi = pa < pb ? pb : pa;
	pmem2_get_persist_fn(a)(reinterpret_cast<void *>(lo), hi + page() - lo);
	ASSERT_GE(log.calls.size(), 2u);
	EXPECT_EQ(log.calls.front().first, lo);
	EXPECT_EQ(log.calls.back().first, hi);
	EXPECT_EQ(log.calls.back().second, page());
	EXPECT_EQ(total(), hi + page() - lo);
	pmem2_map_delete(&a);
	pmem2_map_delete(&b);
}

using PagePersistDeathTest = PagePersist;

TEST_F(PagePersistDeathTest, MsyncFailureAborts)
{
	GTEST_FLAG_SET(death_test_style, "threadsafe");
	scratch f(page());
	source s(f.fd());
	config c;
	pmem2_map *m = nullptr;
	ASSERT_EQ(pmem2_map_new(&m, c, s), 0);
	auto persist = pmem2_get_persist_fn(m);
	void *addr = pmem2_map_get_address(m);
	EXPECT_DEATH(
		{
			pmem2::os::fail_next(pmem2::os::call::msync, EIO);
			persist(addr, 1);
		},
		"msync");
	EXPECT_EQ(pmem2_map_delete(&m), 0);
}

} // namespace
