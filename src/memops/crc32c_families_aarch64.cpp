// The aarch64 CRC32C families, best first: the CRC32 extension's
// instructions where the kernel reports HWCAP_CRC32, the table otherwise.
#include "memops/crc32c_set.hpp"
#include "memops/memops.hpp"

namespace pmem2::memops::detail {
namespace {

constexpr crc32c_implementation k_crc32c_implementations[] = {
	{&crc32c_kernels_armv8, crc32c_feature_crc32, crc32c_family::armv8},
	{&crc32c_kernels_table, 0, crc32c_family::table},
};

} // namespace

std::span<const crc32c_implementation> crc32c_arch_implementations() noexcept
{
	return k_crc32c_implementations;
}

unsigned crc32c_cpu_features() noexcept
{
	// FEAT_CRC32 is optional in ARMv8.0 (mandatory from ARMv8.1): the
	// hwcap, not the architecture level, says whether CRC32CX exists.
	return cpu().crc32 ? crc32c_feature_crc32 : 0u;
}

} // namespace pmem2::memops::detail
