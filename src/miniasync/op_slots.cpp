// The threads mover's slot table (see op_slots.hpp): made once, every slot
// on the free list.
#include "op_slots.hpp"

namespace pmem2::masync {
namespace {

std::size_t pow2_at_least(std::size_t v) noexcept
{
	std::size_t p = 2;
	while (p < v)
		p <<= 1;
	return p;
}

} // namespace

op_slots::op_slots(std::size_t n) : n_(n), slots_(n), free_(pow2_at_least(n))
{
	for (std::size_t i = 0; i < n_; ++i)
		free_.try_push(std::uint32_t(i));
}

} // namespace pmem2::masync
