// The x86-64 CRC32C families, best first: VPCLMULQDQ, SSE4.2, table.
#include "memops/crc32c_set.hpp"
#include "memops/memops.hpp"

namespace pmem2::memops::detail {
namespace {

constexpr crc32c_implementation k_crc32c_implementations[] = {
	{&crc32c_kernels_vpclmul, crc32c_feature_sse42 | crc32c_feature_vpclmul, crc32c_family::vpclmul},
	{&crc32c_kernels_sse42, crc32c_feature_sse42, crc32c_family::sse42},
	{&crc32c_kernels_table, 0, crc32c_family::table},
};

} // namespace

std::span<const crc32c_implementation> crc32c_arch_implementations() noexcept
{
	return k_crc32c_implementations;
}

unsigned crc32c_cpu_features() noexcept
{
	const cpu_features &c = cpu();
	unsigned f = 0;
	if (c.sse42 && c.pclmulqdq)
		f |= crc32c_feature_sse42;
	// VPCLMULQDQ on ZMM registers needs the OS to save their state,
	// which the avx512f bit includes (cpu.cpp).
	if (c.avx512f && c.vpclmulqdq)
		f |= crc32c_feature_vpclmul;
	return f;
}

} // namespace pmem2::memops::detail
