// The architecture's flush and drain instructions behind the flush
// policies of flush.hpp: the only place a kernel's persistence instruction
// is spelled. Internal to src/memops.
//
// The [flush kind] slots are ordered best first on every architecture:
//   slot          x86-64        aarch64
//   0 (clwb)      CLWB          DC CVADP  clean to the point of deep persistence
//   1 (clflushopt)CLFLUSHOPT    DC CVAP   clean to the point of persistence
//   2 (clflush)   CLFLUSH       DC CVAC   clean to the point of coherency
// and the drain is SFENCE on x86-64, DSB ISH on aarch64.
#pragma once

namespace pmem2::memops::detail {

// Write back the line containing p with the instruction of slot Kind.
// The "memory" clobber keeps the compiler from sinking earlier stores
// below the flush: it must see the data it is meant to write back.
template <int Kind>
inline void arch_flush_line(const void *p) noexcept
{
#if defined(__x86_64__)
	if constexpr (Kind == 0)
		asm volatile("clwb (%0)" : : "r"(p) : "memory");
	else if constexpr (Kind == 1)
		asm volatile("clflushopt (%0)" : : "r"(p) : "memory");
	else if constexpr (Kind == 2)
		asm volatile("clflush (%0)" : : "r"(p) : "memory");
#elif defined(__aarch64__)
	// Spelled as SYS encodings so the file needs no -march=armv8.2-a/8.5-a:
	// the dispatch only selects a slot the CPU reports (cpu_aarch64.cpp).
	// Why: PMDK flushes with DC CVAP when HWCAP_DCPOP, else DC CVAC, and
	// never uses DC CVADP. We prefer DC CVADP when HWCAP2_DCPODP: the point
	// of deep persistence is the stronger guarantee (data there survives
	// even what the point of persistence may not), at no cost to CPUs
	// without it, which fall back to DC CVAP.
	if constexpr (Kind == 0)
		asm volatile("sys #3, c7, c13, #1, %0" : : "r"(p) : "memory");	// DC CVADP
	else if constexpr (Kind == 1)
		asm volatile("sys #3, c7, c12, #1, %0" : : "r"(p) : "memory");	// DC CVAP
	else if constexpr (Kind == 2)
		asm volatile("dc cvac, %0" : : "r"(p) : "memory");
#else
#error "memops: no flush instructions for this architecture"
#endif
}

// The drain: every earlier flush and store is complete before any later
// store (or, on aarch64, any later instruction) is performed.
inline void arch_drain() noexcept
{
#if defined(__x86_64__)
	asm volatile("sfence" : : : "memory");
#elif defined(__aarch64__)
	// Why: PMDK drains with DMB ISHST. A DMB orders the cleans only against
	// later memory accesses; the Arm ARM guarantees the completion of a DC
	// CVAP/CVADP/CVAC (data written back to the point named) only after a
	// DSB. Persistence is that completion, so the drain is DSB ISH.
	asm volatile("dsb ish" : : : "memory");
#endif
}

// Names of the slots, as selection::flush reports them.
#if defined(__aarch64__)
inline constexpr const char *arch_flush_names[3] = {"dc cvadp", "dc cvap", "dc cvac"};
#else
inline constexpr const char *arch_flush_names[3] = {"clwb", "clflushopt", "clflush"};
#endif

} // namespace pmem2::memops::detail
