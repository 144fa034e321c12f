#include "map/read_only.hpp"

#include <cstddef>

#include "common/errormsg.hpp"

namespace pmem2 {
namespace {

void *refuse_memmove(void *dest, const void *, std::size_t len, unsigned) noexcept
{
	set_errormsg("cannot write %zu bytes at %p: the map is not writable "
		"(mapped without PMEM2_PROT_WRITE); nothing written", len, dest);
	return nullptr;
}

void *refuse_memset(void *dest, int, std::size_t len, unsigned) noexcept
{
	return refuse_memmove(dest, nullptr, len, 0);
}

// The granularity's own functions, looked up at each call: the memops
// tables change when the dispatch does (a recorder installed, for one).
template <memops::granularity G>
void ro_persist(const void *p, std::size_t n)
{
	memops::ops(G).persist(p, n);
}
template <memops::granularity G>
void ro_flush(const void *p, std::size_t n)
{
	memops::ops(G).flush(p, n);
}
template <memops::granularity G>
void ro_drain()
{
	memops::ops(G).drain();
}

template <memops::granularity G>
constexpr memops::ops_table table{refuse_memmove, refuse_memset, ro_persist<G>, ro_flush<G>,
	ro_drain<G>};

} // namespace

const memops::ops_table &read_only_ops(memops::granularity g) noexcept
{
	switch (g) {
	case memops::granularity::byte: return table<memops::granularity::byte>;
	case memops::granularity::cache_line: return table<memops::granularity::cache_line>;
	default: return table<memops::granularity::page>;
	}
}

} // namespace pmem2
