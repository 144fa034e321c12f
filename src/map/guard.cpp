#include "map/guard.hpp"

#include <mutex>
#include <new>
#include <vector>

namespace pmem2 {

namespace {
std::mutex pool_mtx;
std::vector<durable::map_guard *> *pool;	// never destroyed: guards outlive everything
} // namespace

std::uint32_t guard_revive(durable::map_guard *g) noexcept
{
	std::uint32_t gen = g->gen.load(std::memory_order_acquire);
	if ((gen & 1) == 0)
		gen = g->gen.fetch_add(1, std::memory_order_seq_cst) + 1;
	return gen;
}

durable::map_guard *guard_acquire(std::uint32_t &gen) noexcept
{
	durable::map_guard *g = nullptr;
	{
		std::lock_guard lk(pool_mtx);
		if (pool && !pool->empty()) {
			g = pool->back();
			pool->pop_back();
		}
	}
	if (g == nullptr) {
		g = new (std::nothrow) durable::map_guard;
		if (g == nullptr)
			return nullptr;
	}
	gen = guard_revive(g);
	return g;
}

void guard_release(durable::map_guard *g) noexcept
{
	std::lock_guard lk(pool_mtx);
	try {
		if (pool == nullptr)
			pool = new std::vector<durable::map_guard *>;
		pool->push_back(g);
	} catch (...) {
		// Out of memory: the guard is simply not recycled (still never freed).
	}
}

} // namespace pmem2
