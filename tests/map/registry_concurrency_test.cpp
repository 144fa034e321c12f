// Many threads creating, persisting and deleting maps at once: the
// registry's reader/writer lock and the guard pool under contention.
#include <atomic>
#include <cstdlib>
#include <thread>
#include <vector>

#include "support/capi.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/stress.hpp"
#include "map/registry.hpp"

namespace {

using namespace pmem2::test;

int scaled(int n)
{
	return static_cast<int>(pmem2::test::scaled(static_cast<std::size_t>(n), 5));
}

TEST(Concurrency, CreatePersistDeleteFromManyThreads)
{
	scratch f(16 * page(), "/dev/shm");
	source file_src(f.fd());
	source anon_src(4 * page(), 0);
	config c;
	const std::size_t regs = pmem2::registry::size();
	const int nthreads = 6, iters = scaled(150);
	std::atomic<int> failures{0};
	std::vector<std::thread> ts;
	for (int t = 0; t < nthreads; ++t) {
		ts.emplace_back([&, t] {
			for (int i = 0; i < iters; ++i) {
				pmem2_map *m = nullptr;
				pmem2_source *src = (i + t) % 2 ? file_src.src : anon_src.src;
				if (pmem2_map_new(&m, c, src) != 0) {
					failures++;
					continue;
				}
				auto *p = static_cast<char *>(pmem2_map_get_address(m));
				std::size_t off = static_cast<std::size_t>((i * 131 + t * 17) % 4) * page();
				pmem2_get_memset_fn(m)(p + off + t * 8, t, 8, 0);
				pmem2_get_persist_fn(m)(p + off, page());
				if (pmem2_map_delete(&m) != 0)
					failures++;
			}
		});
	}
	// One thread persists a long-lived map while the others churn.
	pmem2_map *stable = nullptr;
	ASSERT_EQ(pmem2_map_new(&stable, c, file_src), 0);
	std::thread persister([&] {
		auto persist = pmem2_get_persist_fn(stable);
		auto *p = static_cast<char *>(pmem2_map_get_address(stable));
		for (int i = 0; i < iters; ++i) {
			p[(i % 16) * page()] = static_cast<char>(i);
			persist(p, 16 * page());
		}
	});
	for (auto &th : ts)
		th.join();
	persister.join();
	EXPECT_EQ(pmem2_map_delete(&stable), 0);
	EXPECT_EQ(failures.load(), 0);
	EXPECT_EQ(pmem2::registry::size(), regs);
}

TEST(Concurrency, FromExistingRacesOnOneRange)
{
	static char area[1 << 16];
	source s(sizeof(area), 0);
	const int nthreads = 4, iters = scaled(300);
	std::atomic<int> wins{0}, exists{0}, other{0};
	std::vector<std::thread> ts;
	for (int t = 0; t < nthreads; ++t) {
		ts.emplace_back([&] {
			for (int i = 0; i < iters; ++i) {
				pmem2_map *m = nullptr;
				int r = pmem2_map_from_existing(&m, s, area, sizeof(area), PMEM2_GRANULARITY_BYTE);
				if (r == 0) {
					wins++;
					if (pmem2_map_delete(&m) != 0)
						other++;
				} else if (r == PMEM2_E_MAP_EXISTS) {
					exists++;
				} else {
					other++;
				}
			}
		});
	}
	for (auto &th : ts)
		th.join();
	EXPECT_EQ(other.load(), 0);
	EXPECT_EQ(wins + exists, nthreads * iters);
	EXPECT_GT(wins.load(), 0);
}

} // namespace
