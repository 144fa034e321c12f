// Shared by the threads mover's tests: owning movers, a guard as libpmem2
// makes them, durable requests, and counting hooks that record every call
// (its thread, range and flags).
#pragma once

#include <libminiasync.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "durable/guard.hpp"
#include "durable/services.hpp"
#include "memops/memops.hpp"
#include "miniasync/internal.hpp"
#include "support/process.hpp"

extern "C" int miniasync_private_durable_mover(const struct vdm *v);

namespace pmem2::test::threads {

// A guard as libpmem2 makes them: its services are libpmem2's.
struct test_guard : pmem2::durable::map_guard {
	test_guard() { svc = &pmem2::durable::pmem2_services(); }
};

// A durable request in an operation's flags.
inline std::uint64_t encode_request(unsigned granularity, unsigned hints, std::uint32_t gen)
{
	return pmem2::durable::pack({gen, granularity, hints});
}

struct mover_deleter {
	void operator()(data_mover_threads *d) const { data_mover_threads_delete(d); }
};
using mover_ptr = std::unique_ptr<data_mover_threads, mover_deleter>;

inline mover_ptr make_mover(std::size_t n, std::size_t ring, future_notifier_type t)
{
	return mover_ptr(data_mover_threads_new(n, ring, t));
}

inline std::atomic<int> hook_calls{0};
inline std::atomic<unsigned> hook_flags{0};
inline std::atomic<std::size_t> hook_bytes{0};
inline std::mutex hook_mtx;
inline std::set<std::thread::id> hook_threads;
struct hook_range {
	std::uintptr_t dest;
	std::size_t n;
	std::thread::id tid;
};
inline std::vector<hook_range> hook_ranges;	// every call, in any order

inline void note_hook(void *d, std::size_t n, unsigned flags)
{
	hook_calls.fetch_add(1);
	hook_flags.store(flags);
	hook_bytes.fetch_add(n);
	std::lock_guard lk(hook_mtx);
	hook_threads.insert(std::this_thread::get_id());
	hook_ranges.push_back({reinterpret_cast<std::uintptr_t>(d), n, std::this_thread::get_id()});
}

inline void *count_memcpy(void *d, const void *s, std::size_t n, unsigned flags)
{
	note_hook(d, n, flags);
	return n ? std::memcpy(d, s, n) : d;
}
inline void *count_memmove(void *d, const void *s, std::size_t n, unsigned flags)
{
	note_hook(d, n, flags);
	return n ? std::memmove(d, s, n) : d;
}
inline void *count_memset(void *d, int c, std::size_t n, unsigned flags)
{
	note_hook(d, n, flags);
	return n ? std::memset(d, c, n) : d;
}

inline void reset_hooks()
{
	hook_calls = 0;
	hook_flags = 0;
	hook_bytes = 0;
	std::lock_guard lk(hook_mtx);
	hook_threads.clear();
	hook_ranges.clear();
}

// The split rule, written out independently of the mover, for an operation
// of at least the split threshold: shares of about min_chunk bytes (at
// least a page; at most 64 shares, at least 2), each rounded up to whole
// pages (the kernel's: 4 KiB, or 64 KiB on most ppc64le kernels) counted
// from the page that holds the destination; 1 when it is not split.
inline std::uint32_t expected_chunks(const void *dest, std::size_t len, std::size_t min_chunk)
{
	const std::size_t pg = page();
	min_chunk = std::max(min_chunk, pg);
	if (len / 2 < min_chunk)
		return 1;
	std::size_t k = std::min<std::size_t>(len / min_chunk, 64);
	std::size_t span = len + (reinterpret_cast<std::uintptr_t>(dest) % pg);
	std::size_t cs = ((span + k - 1) / k + pg - 1) / pg * pg;
	return std::uint32_t((span + cs - 1) / cs);
}

// The hook calls tile [dest, dest + len) exactly, and every boundary
// between two of them is a page-aligned address.
inline void expect_aligned_tiling(const void *dest, std::size_t len)
{
	std::lock_guard lk(hook_mtx);
	auto r = hook_ranges;
	std::sort(r.begin(), r.end(), [](auto &a, auto &b) { return a.dest < b.dest; });
	auto at = reinterpret_cast<std::uintptr_t>(dest);
	ASSERT_FALSE(r.empty());
	for (std::size_t i = 0; i < r.size(); ++i) {
		EXPECT_EQ(r[i].dest, at) << "chunk " << i;
		if (i != 0) {
			EXPECT_EQ(r[i].dest % page(), 0u) << "chunk " << i;
		}
		EXPECT_GT(r[i].n, 0u);
		at = r[i].dest + r[i].n;
	}
	EXPECT_EQ(at, reinterpret_cast<std::uintptr_t>(dest) + len);
}

} // namespace pmem2::test::threads
