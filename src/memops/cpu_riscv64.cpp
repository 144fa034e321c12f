// riscv64 CPU feature detection through riscv_hwprobe, done once (cpu.cpp
// is the x86-64 one, cpu_aarch64.cpp the aarch64 one; CMake builds the one
// of CMAKE_SYSTEM_PROCESSOR).
#include "memops/cpu_riscv64.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace pmem2::memops {
namespace {

#ifdef __NR_riscv_hwprobe
static_assert(__NR_riscv_hwprobe == nr_riscv_hwprobe);
#endif

// The cache-block sizes taken as real: a power of two from a doubleword to
// a page. A report outside (or -1 as a 64-bit value, which the kernel gives
// when the CPUs asked about differ) is malformed, and without a block size
// the flush loop cannot know its stride.
bool usable_block_size(std::uint64_t b) noexcept
{
	return b >= 8 && b <= 4096 && (b & (b - 1)) == 0;
}

} // namespace

cpu_features cpu_from_hwprobe(long result, std::span<const riscv_hwprobe_pair> pairs) noexcept
{
	cpu_features f{};
	if (result != 0)
		return f;	// -ENOSYS (no hwprobe) and any failure: no Zicbom
	std::uint64_t ext = 0, block = 0;
	bool have_ext = false, have_block = false;
	for (const riscv_hwprobe_pair &p : pairs) {
		if (p.key == hwprobe_key_ima_ext_0) {
			ext = p.value;
			have_ext = true;
		} else if (p.key == hwprobe_key_zicbom_block_size) {
			block = p.value;
			have_block = true;
		}
		// key -1: a key the kernel does not know (before 6.15 for Zicbom's).
	}
	// The kernel reports Zicbom (and, in the same release, enables CBO.CLEAN
	// for user mode) only where every CPU has it.
	if (have_ext && (ext & hwprobe_ext_zicbom) != 0 && have_block && usable_block_size(block)) {
		f.zicbom = true;
		f.cbom_block_size = static_cast<std::size_t>(block);
	}
	return f;
}

cpu_features detail::detect_cpu() noexcept
{
	// Every online CPU (cpusetsize 0, cpus NULL): extension bits are the
	// AND over them, so a thread may run the instruction on any of them.
	riscv_hwprobe_pair pairs[] = {{hwprobe_key_ima_ext_0, 0}, {hwprobe_key_zicbom_block_size, 0}};
	long r = syscall(nr_riscv_hwprobe, pairs, sizeof(pairs) / sizeof(pairs[0]),
		std::size_t{0}, nullptr, 0u);
	if (r != 0)
		r = -errno;
	return cpu_from_hwprobe(r, pairs);
}

} // namespace pmem2::memops
