// The architecture's spin-wait hint: the only place it is spelled. Used by
// every spin loop of both libraries through common/spin.hpp.
#pragma once

namespace pmem2::memops {

// Tells the core (and an SMT sibling) that this thread only waits.
inline void arch_relax() noexcept
{
#if defined(__x86_64__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	asm volatile("yield" ::: "memory");
#elif defined(__powerpc64__)
	// The "yield" hint (POWER ISA 2.06+): a no-op that lowers this hardware
	// thread's priority for a while so its SMT siblings get the core.
	asm volatile("or 27, 27, 27" ::: "memory");
#elif defined(__riscv) && __riscv_xlen == 64
	// Zihintpause PAUSE, spelled as its encoding (0x0100000f) so no
	// -march=..._zihintpause is needed: a FENCE with predecessor W and an
	// empty successor set, which orders nothing, so a CPU without
	// Zihintpause runs it as a no-op and one with it as the hint.
	asm volatile(".4byte 0x0100000f" ::: "memory");
#else
#error "memops: no spin-wait hint for this architecture"
#endif
}

} // namespace pmem2::memops
