// The architecture's flush and drain instructions behind the flush
// policies of flush.hpp: the only place a kernel's persistence instruction
// is spelled. Internal to src/memops.
//
// The [flush kind] slots are ordered best first on every architecture:
//   slot            x86-64      aarch64    ppc64le   riscv64
//   0 (clwb)        CLWB        DC CVADP   dcbstps   CBO.CLEAN
//   1 (clflushopt)  CLFLUSHOPT  DC CVAP    dcbst     (CBO.CLEAN)
//   2 (clflush)     CLFLUSH     DC CVAC    dcbf      (CBO.CLEAN)
// (DC CVADP cleans to the point of deep persistence, DC CVAP to the point
// of persistence, DC CVAC to the point of coherency; dcbstps stores the
// block to persistent storage, dcbst stores it, dcbf stores and
// invalidates it). The drain is SFENCE on x86-64, DSB ISH on aarch64,
// phwsync after dcbstps and hwsync otherwise on ppc64le (arch_drain_slot),
// FENCE OW,OW on riscv64. riscv64 has one write-back instruction (Zicbom's
// CBO.CLEAN), so its three slots are the same and the dispatch selects
// slot 0 only; a riscv64 CPU without Zicbom has no slot at all
// (dispatch_riscv64.cpp: the CACHE_LINE table is then the PAGE one).
#pragma once

#include <cstddef>
#include <cstdint>

namespace pmem2::memops::detail {

#if defined(__riscv) && __riscv_xlen == 64
// The Zicbom cache-block size (riscv_hwprobe), set by the dispatch before it
// selects a CACHE_LINE kernel; a power of two (cpu_riscv64.cpp).
extern std::size_t g_cbom_block_size __attribute__((visibility("hidden")));

// CBO.CLEAN of the cache block containing address a. Spelled with .insn
// (MISC-MEM opcode 0x0f, funct3 2 = CBO, rd x0, imm 1 = clean) so the file
// needs no -march=..._zicbom: the dispatch selects it only when the kernel
// reports Zicbom, which is also when it lets user mode run it
// (cpu_riscv64.cpp).
inline void riscv_cbo_clean(std::uintptr_t a) noexcept
{
	asm volatile(".insn i 0x0f, 2, x0, %0, 1" : : "r"(a) : "memory");
}
#endif

// The bytes one flush instruction writes back, aligned, as far as the
// compiler knows: the 64-byte line on x86-64, aarch64 and riscv64, the
// 128-byte cache block on ppc64le (arch_flush_step() adds what is known
// only at run time).
// Why: PMDK steps by 64 bytes on ppc64, so each POWER block gets two
// flushes, the second finding it clean. Every CPU ppc64le Linux runs on
// (POWER8, POWER9, POWER10) has a 128-byte block, which AT_DCACHEBSIZE
// reports and tests/memops/cpu_ppc64le_test.cpp checks on the CPU it runs
// on; Linux's own pmem write-back steps by that block size too. Stepping
// by the block halves the flush instructions. The recorder still hears of
// every 64-byte line the instruction wrote back (flush.hpp).
#if defined(__powerpc64__)
inline constexpr std::size_t arch_flush_block = 128;
#else
inline constexpr std::size_t arch_flush_block = 64;
#endif

// The bytes one arch_flush_line() at an address aligned to them writes
// back, the stride of a range flush (flush_policy::range): arch_flush_block,
// or on riscv64 the cache block when it is larger (every block of the range
// cleaned once: a stride of the block size, never more, so no block is
// skipped).
inline std::size_t arch_flush_step() noexcept
{
#if defined(__riscv) && __riscv_xlen == 64
	return g_cbom_block_size > arch_flush_block ? g_cbom_block_size : arch_flush_block;
#else
	return arch_flush_block;
#endif
}

// Write back (at least) the flush block containing p with the instruction
// of slot Kind; nothing for Kind 3 (flush_kind::none). The "memory"
// clobber keeps the compiler from sinking earlier stores below the flush:
// it must see the data it is meant to write back.
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
#elif defined(__powerpc64__)
	// dcbstps (POWER ISA 3.1) is dcbf with L=6, RA=0, RB=p. Spelled as a
	// raw word so the file needs no -mcpu=power10 (binutils accepts the
	// mnemonic only for power10); %0 is the register's number (GCC prints
	// GPRs bare on ppc64 Linux). The dispatch selects it only when the
	// kernel reports PPC_FEATURE2_ARCH_3_1 (cpu_ppc64le.cpp).
	// Why: PMDK issues this encoding on every POWER CPU, relying on ISA 3.1's
	// note that earlier processors execute it as dcbf (L=0). We choose by
	// the ISA level instead, as Linux's pmem code does: on an ISA 3.0 CPU
	// dcbst writes the block back to storage (where persistence is on those
	// machines) without also invalidating it, and an implementation or
	// emulator that takes L=6 as reserved (qemu 7.2 raises SIGILL) never
	// sees it. dcbf, PMDK's effective instruction there, is slot 2.
	if constexpr (Kind == 0)
		asm volatile(".long 0x7c0000ac | (6 << 21) | (%0 << 11)" : : "r"(p) : "memory");
	else if constexpr (Kind == 1)
		asm volatile("dcbst 0, %0" : : "r"(p) : "memory");
	else if constexpr (Kind == 2)
		asm volatile("dcbf 0, %0" : : "r"(p) : "memory");
#elif defined(__riscv) && __riscv_xlen == 64
	// Why: PMDK's riscv64 port flushes nothing (it supports only platforms
	// whose CPU caches are in the persistence domain, eADR-like, and still
	// lets a map claim CACHE_LINE). We clean the block with CBO.CLEAN where
	// the kernel reports Zicbom, and elsewhere promise no CACHE_LINE at all
	// (can_write_back_lines(): such maps are PAGE, persisted by msync;
	// DIFFERENCES.md A45).
	// A block of 64 bytes or more holds the whole line: one clean. A smaller
	// block takes one clean per block of the line, or part of it would stay
	// behind. (The kernel loops flush line by line as their stores pass, so
	// a 128-byte block is cleaned twice when both its lines were written;
	// the second clean finds at most the second line dirty. range() below
	// steps by the block and cleans each once.)
	if constexpr (Kind >= 0 && Kind <= 2) {	// not the "none" kind (3)
		const std::size_t block = g_cbom_block_size;
		const auto a = reinterpret_cast<std::uintptr_t>(p);
		if (block >= 64) [[likely]] {
			riscv_cbo_clean(a);
		} else {
			const std::uintptr_t line = a & ~std::uintptr_t(63);
			for (std::size_t off = 0; off < 64; off += block)
				riscv_cbo_clean(line + off);
		}
	} else {
		(void)p;
	}
#else
#error "memops: no flush instructions for this architecture"
#endif
}

// The slot whose drain completes the flushes of flush_slot (3, the "no
// flush" policies' drain, where one drain serves every slot): the dispatch
// instantiates one drain per distinct value, so architectures whose drain
// does not depend on the flush keep one drain function for everything.
inline constexpr int arch_drain_slot(int flush_slot) noexcept
{
#if defined(__powerpc64__)
	return flush_slot == 0 ? 0 : 3;
#else
	(void)flush_slot;
	return 3;
#endif
}

// The drain: every earlier flush and store is complete before any later
// store (or, on aarch64 and ppc64le, any later instruction) is performed;
// on riscv64, ordered before any later store or clean (see there). Slot is
// arch_drain_slot() of the flushes it completes.
template <int Slot = 3>
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
#elif defined(__powerpc64__)
	// phwsync (sync L=4, ISA 3.1) waits until earlier dcbstps have reached
	// persistent storage; hwsync (sync L=0) until earlier dcbst/dcbf and
	// stores are performed, which is storage on an ISA 3.0 CPU.
	// Why: PMDK issues phwsync on every CPU (ISA 3.1: earlier processors
	// treat it as hwsync). We issue it only after dcbstps, for the reasons
	// of arch_flush_line (qemu 7.2 raises SIGILL on L=4 as well).
	if constexpr (Slot == 0)
		asm volatile(".long 0x7c8004ac" : : : "memory");	// phwsync
	else
		asm volatile("sync" : : : "memory");	// hwsync
#elif defined(__riscv) && __riscv_xlen == 64
	// Why: PMDK drains with FENCE W,W. The CMO specification (Zicbom,
	// "Memory Ordering") classes a clean as a W or an O operation in FENCE's
	// predecessor and successor sets, depending on the physical memory
	// attributes of its address (O for memory with I/O attributes), and
	// says FENCE.I and SFENCE.VMA do not order it. So the drain names both:
	// every earlier store and clean, of main memory or of I/O memory, is
	// ordered before any later one. The ISA has no completion barrier
	// beyond this ordering; the write transfer the clean performs reaching
	// the persistence domain is the platform's part, as on the others.
	asm volatile("fence ow, ow" : : : "memory");
#endif
}

// Names of the slots, as selection::flush reports them.
#if defined(__aarch64__)
inline constexpr const char *arch_flush_names[3] = {"dc cvadp", "dc cvap", "dc cvac"};
#elif defined(__powerpc64__)
inline constexpr const char *arch_flush_names[3] = {"dcbstps", "dcbst", "dcbf"};
#elif defined(__riscv) && __riscv_xlen == 64
inline constexpr const char *arch_flush_names[3] = {"cbo.clean", "cbo.clean", "cbo.clean"};
#else
inline constexpr const char *arch_flush_names[3] = {"clwb", "clflushopt", "clflush"};
#endif

} // namespace pmem2::memops::detail
