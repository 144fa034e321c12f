// Operations allocate nothing: the global allocation functions (and, in
// builds without sanitizers, malloc itself) are replaced by counting ones.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "support/futures.hpp"
#include "support/wait.hpp"

namespace {
std::atomic<long> allocations{0};
}

// The replacements below pair new with free on purpose.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void *operator new(std::size_t n)
{
	allocations.fetch_add(1, std::memory_order_relaxed);
	if (void *p = std::malloc(n != 0 ? n : 1))
		return p;
	throw std::bad_alloc();
}
void *operator new[](std::size_t n) { return operator new(n); }
void *operator new(std::size_t n, const std::nothrow_t &) noexcept
{
	allocations.fetch_add(1, std::memory_order_relaxed);
	return std::malloc(n != 0 ? n : 1);
}
void *operator new[](std::size_t n, const std::nothrow_t &t) noexcept { return operator new(n, t); }
void operator delete(void *p) noexcept { std::free(p); }
void operator delete[](void *p) noexcept { std::free(p); }
void operator delete(void *p, std::size_t) noexcept { std::free(p); }
void operator delete[](void *p, std::size_t) noexcept { std::free(p); }

#ifndef PMEM2_SANITIZE_BUILD
extern "C" void *__libc_malloc(std::size_t);
extern "C" void *__libc_calloc(std::size_t, std::size_t);
extern "C" void *__libc_realloc(void *, std::size_t);
extern "C" void *malloc(std::size_t n)
{
	allocations.fetch_add(1, std::memory_order_relaxed);
	return __libc_malloc(n);
}
extern "C" void *calloc(std::size_t a, std::size_t b)
{
	allocations.fetch_add(1, std::memory_order_relaxed);
	return __libc_calloc(a, b);
}
extern "C" void *realloc(void *p, std::size_t n)
{
	allocations.fetch_add(1, std::memory_order_relaxed);
	return __libc_realloc(p, n);
}
#endif

namespace {

long run_ops(vdm *v, runtime *r, int n, unsigned char *dst, unsigned char *src)
{
	long before = allocations.load();
	for (int i = 0; i < n; ++i) {
		auto a = vdm_memcpy(v, dst, src, 1 + i % 4096, 0);
		auto b = vdm_memset(v, dst + 8192, i & 0xff, 1 + i % 512, 0);
		auto c = vdm_memmove(v, dst + 16384, src, 4096, 0);
		future *fs[] = {&a.base, &b.base, &c.base};
		runtime_wait_multiple(r, fs, 3);
		auto d = vdm_flush(v, dst, 64, 0);
		FUTURE_BUSY_POLL(&d)
		auto e = vdm_memcpy(v, dst, src, 100, 0);	// created, never polled
		(void)e;
	}
	return allocations.load() - before;
}

} // namespace

TEST(NoAllocation, CountingIsLive)
{
	long before = allocations.load();
	auto *p = new int(3);
	asm volatile("" : : "r"(p) : "memory");	// keep the allocation
	delete p;
	EXPECT_GE(allocations.load() - before, 1);
#ifndef PMEM2_SANITIZE_BUILD
	before = allocations.load();
	void *q = std::malloc(24);
	asm volatile("" : : "r"(q) : "memory");
	std::free(q);
	EXPECT_EQ(allocations.load() - before, 1);
#endif
}

TEST(NoAllocation, ThreadsMoverOperations)
{
	data_mover_threads *m = data_mover_threads_new(3, 16, FUTURE_NOTIFIER_WAKER);
	runtime *r = runtime_new();
	std::vector<unsigned char> src(65536, 1), dst(65536);
	vdm *v = data_mover_threads_get_vdm(m);
	run_ops(v, r, 200, dst.data(), src.data());	// warm up (lazy runtime state)
	EXPECT_EQ(run_ops(v, r, 20000, dst.data(), src.data()), 0);
	runtime_delete(r);
	data_mover_threads_delete(m);
}

// Split operations: chunks and helper items come from the slot and the
// queue, nothing else.
TEST(NoAllocation, ThreadsMoverSplitOperations)
{
	data_mover_threads *m = data_mover_threads_new(3, 16, FUTURE_NOTIFIER_WAKER);
	runtime *r = runtime_new();
	constexpr std::size_t sz = 4 * 1024 * 1024 + 100;	// four 1 MiB chunks
	std::vector<unsigned char> src(sz, 1), dst(sz);
	vdm *v = data_mover_threads_get_vdm(m);
	auto round = [&](int n) {
		long before = allocations.load();
		for (int i = 0; i < n; ++i) {
			auto a = vdm_memcpy(v, dst.data() + 1, src.data(), sz - 1, 0);
			runtime_wait(r, &a.base);
			auto b = vdm_memset(v, dst.data(), i & 0xff, sz, 0);
			FUTURE_BUSY_POLL(&b)
		}
		return allocations.load() - before;
	};
	round(5);
	EXPECT_EQ(round(100), 0);
	EXPECT_EQ(dst[sz - 1], 99);
	runtime_delete(r);
	data_mover_threads_delete(m);
}

TEST(NoAllocation, SyncMoverOperations)
{
	data_mover_sync *m = data_mover_sync_new();
	runtime *r = runtime_new();
	std::vector<unsigned char> src(65536, 1), dst(65536);
	vdm *v = data_mover_sync_get_vdm(m);
	run_ops(v, r, 10, dst.data(), src.data());
	EXPECT_EQ(run_ops(v, r, 20000, dst.data(), src.data()), 0);
	runtime_delete(r);
	data_mover_sync_delete(m);
}
