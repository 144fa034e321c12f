// riscv64 CPU feature detection: what the kernel's riscv_hwprobe syscall
// reports, and the seam tests use to fake it so the Zicbom path and the
// path without it are each chosen and run. Internal to src/memops and its
// tests.
#pragma once

#include "memops/cpu_seam.hpp"

#include <cstdint>
#include <span>

namespace pmem2::memops {

// The kernel's riscv_hwprobe ABI this library reads, spelled here because
// Debian 12's kernel headers (6.1) have no <asm/hwprobe.h>. Values from
// arch/riscv/include/uapi/asm/hwprobe.h and Documentation/arch/riscv/
// hwprobe.rst in Linux; each line names the kernel's macro and the release
// that added it. Lower case, as the hwcaps of cpu_aarch64.hpp, so a newer
// <asm/hwprobe.h> included elsewhere cannot turn them into its macros.
//
// __NR_riscv_hwprobe (Linux 6.4): asm-generic __NR_arch_specific_syscall
// (244) + 14.
inline constexpr long nr_riscv_hwprobe = 258;
// struct riscv_hwprobe: the caller sets key; the kernel sets value, or key
// to -1 (and value to 0) for a key it does not know.
struct riscv_hwprobe_pair {
	std::int64_t key;
	std::uint64_t value;
};
static_assert(sizeof(riscv_hwprobe_pair) == 16);
inline constexpr std::int64_t hwprobe_key_ima_ext_0 = 4;	// RISCV_HWPROBE_KEY_IMA_EXT_0 (6.4)
inline constexpr std::uint64_t hwprobe_ext_zicbom = 1ull << 55;	// RISCV_HWPROBE_EXT_ZICBOM (6.15)
inline constexpr std::int64_t hwprobe_key_zicbom_block_size = 12;	// RISCV_HWPROBE_KEY_ZICBOM_BLOCK_SIZE (6.15)

// The features of a CPU whose riscv_hwprobe call returned result (0, or
// -errno: -ENOSYS before Linux 6.4 and under qemu-user 7.2) and filled
// pairs. Zicbom counts only with a usable block size: the flush loop steps
// by it (flush_arch.hpp), so without one it could skip blocks.
PMEM2_TEST_SEAM cpu_features cpu_from_hwprobe(long result,
	std::span<const riscv_hwprobe_pair> pairs) noexcept;


} // namespace pmem2::memops
