// CPU feature detection (CPUID leaves 0, 1, 7 and XGETBV), done once.
#include "memops/memops.hpp"

#include <cpuid.h>

#include <cstdint>
#include <cstring>

namespace pmem2::memops {
namespace {

struct regs {
	unsigned a = 0, b = 0, c = 0, d = 0;
};

regs cpuid(unsigned leaf, unsigned sub) noexcept
{
	regs r;
	__cpuid_count(leaf, sub, r.a, r.b, r.c, r.d);
	return r;
}

// XCR0: which register states the OS saves on context switch. Encoded as
// raw bytes so this file needs no -mxsave.
std::uint64_t xgetbv0() noexcept
{
	unsigned lo, hi;
	asm volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(lo), "=d"(hi) : "c"(0));
	return (std::uint64_t(hi) << 32) | lo;
}

bool bit(unsigned reg, int n) noexcept
{
	return (reg >> n) & 1u;
}

cpu_features detect() noexcept
{
	cpu_features f{};
	const regs r0 = cpuid(0, 0);
	const unsigned max_leaf = r0.a;
	// Vendor string is EBX, EDX, ECX in that order.
	char vendor[12];
	std::memcpy(vendor, &r0.b, 4);
	std::memcpy(vendor + 4, &r0.d, 4);
	std::memcpy(vendor + 8, &r0.c, 4);
	f.genuine_intel = std::memcmp(vendor, "GenuineIntel", 12) == 0;

	if (max_leaf < 1) {
		f.sse2 = true;	// architectural on x86-64
		return f;
	}
	const regs r1 = cpuid(1, 0);
	f.clflush = bit(r1.d, 19);	// CPUID.1:EDX[19] CLFSH: CLFLUSH instruction
	f.sse2 = true;	// CPUID.1:EDX[26] SSE2 is architectural on x86-64
	const bool osxsave = bit(r1.c, 27);	// CPUID.1:ECX[27] OSXSAVE: XGETBV usable
	const bool avx_cpu = bit(r1.c, 28);	// CPUID.1:ECX[28] AVX
	f.sse42 = bit(r1.c, 20);		// CPUID.1:ECX[20] SSE4.2 (CRC32)
	f.pclmulqdq = bit(r1.c, 1);		// CPUID.1:ECX[1] PCLMULQDQ

	// The CPU having AVX is not enough: the OS must save the YMM (and for
	// AVX-512 the opmask/ZMM) state, or the first use faults (DIFFERENCES.md A29).
	std::uint64_t xcr0 = osxsave ? xgetbv0() : 0;
	const bool os_avx = (xcr0 & 0x6) == 0x6;	// XCR0[1] SSE, XCR0[2] AVX (YMM upper halves)
	const bool os_avx512 = os_avx && (xcr0 & 0xE0) == 0xE0;	// XCR0[5] opmask, [6] ZMM_Hi256, [7] Hi16_ZMM
	f.avx = avx_cpu && os_avx;

	// Leaf 7 exists only if CPUID.0:EAX >= 7.
	if (max_leaf >= 7) {
		const regs r7 = cpuid(7, 0);
		f.avx512f = bit(r7.b, 16) && os_avx512;	// CPUID.(7,0):EBX[16] AVX512F
		f.clflushopt = bit(r7.b, 23);		// CPUID.(7,0):EBX[23] CLFLUSHOPT
		f.clwb = bit(r7.b, 24);			// CPUID.(7,0):EBX[24] CLWB
		f.movdir64b = bit(r7.c, 28);		// CPUID.(7,0):ECX[28] MOVDIR64B
		// CPUID.(7,0):ECX[10] VPCLMULQDQ; on 512-bit registers it needs the
		// ZMM state too, which only avx512f checks (the CRC32C dispatch
		// requires both).
		f.vpclmulqdq = bit(r7.c, 10);
	}
	return f;
}

} // namespace

const cpu_features &cpu() noexcept
{
	static const cpu_features features = detect();
	return features;
}

} // namespace pmem2::memops
