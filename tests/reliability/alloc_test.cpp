// Allocation failure everywhere: the global allocation functions are
// replaced so that the Nth allocation made by the test thread fails, for
// every N a whole scenario (config, source, threads mover, map, 70 pmem2
// futures waited together, teardown) performs. Each failure must surface as
// -ENOMEM (or NULL from the constructors that return pointers), leak
// nothing, corrupt nothing, and a later run must succeed.
#define PMEM2_USE_MINIASYNC 1
#include <libpmem2.h>
#include <libminiasync.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "support/futures.hpp"
#include "support/mapped_file.hpp"
#include "support/process.hpp"
#include "support/scratch.hpp"
#include "support/stress.hpp"

#include <atomic>
#include <cerrno>
#include <new>

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace {

std::atomic<long> live{0};		// allocations not yet freed, every thread
thread_local long fail_countdown = 0;	// this thread: fail when it reaches 1
thread_local long failures = 0;

void *allocate(std::size_t n) noexcept
{
	if (fail_countdown > 0 && --fail_countdown == 0) {
		++failures;
		return nullptr;
	}
	void *p = std::malloc(n != 0 ? n : 1);
	if (p)
		live.fetch_add(1, std::memory_order_relaxed);
	return p;
}

void release(void *p) noexcept
{
	if (p) {
		live.fetch_sub(1, std::memory_order_relaxed);
		std::free(p);
	}
}

} // namespace

// The replacements pair new with free on purpose.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void *operator new(std::size_t n)
{
	if (void *p = allocate(n))
		return p;
	throw std::bad_alloc();
}
void *operator new[](std::size_t n) { return operator new(n); }
void *operator new(std::size_t n, const std::nothrow_t &) noexcept { return allocate(n); }
void *operator new[](std::size_t n, const std::nothrow_t &) noexcept { return allocate(n); }
void operator delete(void *p) noexcept { release(p); }
void operator delete[](void *p) noexcept { release(p); }
void operator delete(void *p, std::size_t) noexcept { release(p); }
void operator delete[](void *p, std::size_t) noexcept { release(p); }

namespace {

using namespace pmem2::test;

#define EXPECT_OK_OR_ENOMEM(r) \
	do { \
		int r_ = (r); \
		EXPECT_TRUE(r_ == 0 || r_ == -ENOMEM) << #r << " = " << r_; \
		if (r_ != 0) \
			goto out; \
	} while (0)

// Runs the scenario; a failed expectation marks anything other than a clean
// success or a clean -ENOMEM.
void scenario(int fd)
{
	constexpr std::size_t nfut = 70, sz = 3000;
	pmem2_config *cfg = nullptr;
	pmem2_source *src = nullptr;
	pmem2_map *map = nullptr;
	runtime *rt = nullptr;
	data_mover_threads *dmt = nullptr;
	std::vector<pmem2_future> f;
	std::vector<future *> fp;
	char *base = nullptr;

	EXPECT_OK_OR_ENOMEM(pmem2_config_new(&cfg));
	EXPECT_OK_OR_ENOMEM(pmem2_config_set_required_store_granularity(cfg, PMEM2_GRANULARITY_PAGE));
	EXPECT_OK_OR_ENOMEM(pmem2_source_from_fd(&src, fd));
	dmt = data_mover_threads_new(2, 8, FUTURE_NOTIFIER_WAKER);	// NULL: default mover
	if (dmt) {
		EXPECT_OK_OR_ENOMEM(pmem2_config_set_vdm(cfg, data_mover_threads_get_vdm(dmt)));
	}
	EXPECT_OK_OR_ENOMEM(pmem2_map_new(&map, cfg, src));
	base = static_cast<char *>(pmem2_map_get_address(map));
	std::memset(base, 0, nfut * 4096);
	try {
		f.resize(nfut);
		fp.resize(nfut);
	} catch (const std::bad_alloc &) {
		goto out;
	}
	for (std::size_t i = 0; i < nfut; ++i) {
		f[i] = pmem2_memset_async(map, base + i * 4096, int(i + 1), sz, 0);
		fp[i] = FUTURE_AS_RUNNABLE(&f[i]);
	}
	rt = runtime_new();	// may be NULL: then poll by hand
	if (rt) {
		runtime_wait_multiple(rt, fp.data(), nfut);	// bookkeeping may fail: still waits
	} else {
		for (auto *x : fp)
			while (future_poll(x, nullptr) != FUTURE_STATE_COMPLETE)
				;
	}
	for (std::size_t i = 0; i < nfut; ++i) {
		EXPECT_EQ(FUTURE_OUTPUT(&f[i])->result, 0) << i;
		for (std::size_t k = 0; k < sz; k += 97)
			ASSERT_EQ(static_cast<unsigned char>(base[i * 4096 + k]), i + 1) << i;
		EXPECT_EQ(base[i * 4096 + sz], 0) << "written past the range";
	}
out:
	runtime_delete(rt);
	if (map) {
		EXPECT_EQ(pmem2_map_delete(&map), 0);
	}
	data_mover_threads_delete(dmt);
	if (src) {
		EXPECT_EQ(pmem2_source_delete(&src), 0);
	}
	if (cfg) {
		EXPECT_EQ(pmem2_config_delete(&cfg), 0);
	}
}

TEST(AllocFailure, EveryAllocationOfAScenarioCanFailCleanly)
{
	pmem2::test::tmpfile file(1 << 20);
	scenario(file.fd());	// warm-up: pools and registries settle
	scenario(file.fd());
	long base_live = live.load();
	long n = 1;
	int injected = 0;
	for (;; ++n) {
		failures = 0;
		fail_countdown = n;
		scenario(file.fd());
		bool hit = failures != 0;
		fail_countdown = 0;
		if (HasFailure()) {
			ADD_FAILURE() << "with allocation " << n << " failing";
			break;
		}
		EXPECT_EQ(live.load(), base_live) << "leak with allocation " << n << " failing";
		if (!hit)
			break;	// the scenario made fewer than n allocations
		++injected;
		ASSERT_LT(n, 10000);
	}
	EXPECT_GT(injected, 5) << "the scenario allocates: the sweep must have failed some";
	scenario(file.fd());
	EXPECT_EQ(live.load(), base_live);
	RecordProperty("allocations_failed", injected);	// allocates: last
}

} // namespace
