// SSE2 kernels (x86-64 baseline): 16-byte vectors, four per line.
// This file holds the family's names only: its instructions are
// isa_sse2.hpp's, the loops kernels.hpp's, the flag rules and the table row
// rules.hpp's.
#define PMEM2_MEMOPS_ISA_NS sse2
#include "memops/isa_sse2.hpp"
#include "memops/kernels.hpp"
#include "memops/rules.hpp"

namespace pmem2::memops::sse2 {
namespace {

struct isa : sse2_lines {
	static constexpr const char *name = "sse2";
	static constexpr const char *memmove_t_name = "memmove_t_sse2";
	static constexpr const char *memmove_nt_name = "memmove_nt_sse2";
	static constexpr const char *memset_t_name = "memset_t_sse2";
	static constexpr const char *memset_nt_name = "memset_nt_sse2";
	static constexpr bool wc_applies = true;
	static constexpr bool borrows_temporal = false;
};

constexpr detail::kernel_set set = make_kernel_set<family<isa>>();

} // namespace
} // namespace pmem2::memops::sse2

namespace pmem2::memops::detail {
const kernel_set &kernels_sse2() noexcept
{
	return sse2::set;
}
} // namespace pmem2::memops::detail
