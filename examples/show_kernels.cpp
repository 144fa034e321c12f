// show_kernels -- what libpmem2 chose on this machine at load time: the
// CPU features it detected and the flush instruction and memcpy/memset
// kernels it selected (after the PMEM_* environment variables). Uses the
// library's internal interface, so it links the static library.
#include <cstdio>

#include "memops/memops.hpp"

int main()
{
	const auto &c = pmem2::memops::cpu();
	const auto &s = pmem2::memops::selected();
	std::printf("cpu: sse2=%d avx=%d avx512f=%d clflush=%d clflushopt=%d clwb=%d movdir64b=%d intel=%d\n",
		c.sse2, c.avx, c.avx512f, c.clflush, c.clflushopt, c.clwb, c.movdir64b, c.genuine_intel);
	std::printf("flush instruction: %s\n", s.flush);
	std::printf("memcpy/memset kernels: %s (non-temporal: %s)\n", s.kernel, s.nt_kernel);
	std::printf("non-temporal threshold: %zu bytes\n", s.movnt_threshold);
	std::printf("write-combining workaround: %s\n", s.wc_workaround ? "on" : "off");
	return 0;
}
