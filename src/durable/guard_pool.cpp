#include "durable/guard_pool.hpp"

#include <atomic>
#include <mutex>
#include <new>
#include <vector>

#include "durable/services.hpp"

namespace pmem2::durable {

namespace {
std::mutex pool_mtx;
std::vector<map_guard *> *pool;	// never destroyed: guards outlive everything
std::vector<map_guard *> *spent;	// at the generation limit: kept, never reused
std::atomic<std::uint32_t> gen_limit{default_gen_limit};
} // namespace

void set_gen_limit(std::uint32_t limit) noexcept
{
	gen_limit.store(limit, std::memory_order_relaxed);
}

std::uint32_t guard_revive(map_guard *g) noexcept
{
	std::uint32_t gen = g->gen.load(std::memory_order_acquire);
	if ((gen & 1) == 0)
		gen = g->gen.fetch_add(1, std::memory_order_seq_cst) + 1;
	return gen;
}

map_guard *guard_acquire(std::uint32_t &gen) noexcept
{
	map_guard *g = nullptr;
	{
		std::lock_guard lk(pool_mtx);
		if (pool && !pool->empty()) {
			g = pool->back();
			pool->pop_back();
		}
	}
	if (g == nullptr) {
		g = new (std::nothrow) map_guard;
		if (g == nullptr)
			return nullptr;
		g->svc = &pmem2_services();
	}
	gen = guard_revive(g);
	return g;
}

void guard_release(map_guard *g) noexcept
{
	// Recycling past the limit would make some generation live twice on
	// this guard, and a future dropped long ago could then match a new map.
	bool at_limit = g->gen.load(std::memory_order_relaxed) >=
		gen_limit.load(std::memory_order_relaxed);
	std::lock_guard lk(pool_mtx);
	try {
		std::vector<map_guard *> *&list = at_limit ? spent : pool;
		if (list == nullptr)
			list = new std::vector<map_guard *>;
		list->push_back(g);	// spent: retired for good (a few bytes each)
	} catch (...) {
		// Out of memory: the guard is simply not recycled (still never freed).
	}
}

} // namespace pmem2::durable
