// The CRC32C families of architectures without kernels of their own
// (ppc64le and riscv64 today): the table, which any CPU runs.
#include "memops/crc32c_set.hpp"

namespace pmem2::memops::detail {
namespace {

constexpr crc32c_implementation k_crc32c_implementations[] = {
	{&crc32c_kernels_table, 0, crc32c_family::table},
};

} // namespace

std::span<const crc32c_implementation> crc32c_arch_implementations() noexcept
{
	return k_crc32c_implementations;
}

unsigned crc32c_cpu_features() noexcept
{
	return 0;
}

} // namespace pmem2::memops::detail
