// The synchronous calls of check mode (process.hpp, `ops`): libpmem2's
// kernels for a granularity, each followed by the check of its range when
// its flags promise durability at return, or, for a flush or a NODRAIN
// call, at the next drain of the same thread.
#include "check/process.hpp"

#include <string>
#include <vector>

namespace pmem2::check::process {
namespace {

// Ranges this thread flushed (flush, or a NODRAIN call) and its next drain
// promises durable; bounded, the oldest kept.
struct unfenced_range {
	const void *p;
	std::size_t n;
	const char *call;
};
thread_local std::vector<unfenced_range> tl_unfenced;
constexpr std::size_t max_unfenced = 4096;

void remember(const void *p, std::size_t n, const char *call) noexcept
{
	try {
		if (tl_unfenced.size() < max_unfenced)
			tl_unfenced.push_back({p, n, call});
	} catch (...) {
	}
}

void after_store(void *d, std::size_t n, unsigned flags, const char *call) noexcept
{
	if (flags & memops::f_noflush)
		return;
	if (flags & memops::f_nodrain)
		remember(d, n, call);
	else
		verify_range(d, n, call, finding_kind::not_durable_at_return);
}

template <memops::granularity G>
struct wrapped {
	static void *memmove(void *d, const void *s, std::size_t n, unsigned f)
	{
		void *r = memops::ops(G).memmove(d, s, n, f);
		after_store(d, n, f, "pmem2_memmove");
		return r;
	}
	static void *memcpy(void *d, const void *s, std::size_t n, unsigned f)
	{
		void *r = memops::ops(G).memmove(d, s, n, f);
		after_store(d, n, f, "pmem2_memcpy");
		return r;
	}
	static void *memset(void *d, int c, std::size_t n, unsigned f)
	{
		void *r = memops::ops(G).memset(d, c, n, f);
		after_store(d, n, f, "pmem2_memset");
		return r;
	}
	static void persist(const void *p, std::size_t n)
	{
		memops::ops(G).persist(p, n);
		verify_range(p, n, "pmem2_persist", finding_kind::not_durable_at_return);
	}
	static void flush(const void *p, std::size_t n)
	{
		memops::ops(G).flush(p, n);
		remember(p, n, "pmem2_flush");
	}
	static void drain()
	{
		memops::ops(G).drain();
		std::vector<unfenced_range> todo;
		todo.swap(tl_unfenced);
		for (const unfenced_range &r : todo) {
			std::string call = std::string(r.call) + "+pmem2_drain";
			verify_range(r.p, r.n, call.c_str(), finding_kind::not_durable_at_return);
		}
	}
	static constexpr checked_ops table{memmove, memcpy, memset, persist, flush, drain};
};

} // namespace

const checked_ops &ops(memops::granularity g) noexcept
{
	switch (g) {
	case memops::granularity::byte:
		return wrapped<memops::granularity::byte>::table;
	case memops::granularity::cache_line:
		return wrapped<memops::granularity::cache_line>::table;
	default:
		return wrapped<memops::granularity::page>::table;
	}
}

} // namespace pmem2::check::process
