// Running a vdm operation on the CPU with plain semantics, and writing a
// range back to the persistence domain.
#include "ops.hpp"

#include <cstdint>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#else
#include "memops/memops.hpp"
#endif

namespace pmem2::masync {
namespace {

#if defined(__x86_64__) || defined(__i386__)
[[gnu::target("clwb")]] void write_back_clwb(const char *p) noexcept { _mm_clwb(const_cast<char *>(p)); }
[[gnu::target("clflushopt")]] void write_back_clflushopt(const char *p) noexcept { _mm_clflushopt(const_cast<char *>(p)); }
void write_back_clflush(const char *p) noexcept { _mm_clflush(p); }

using write_back_fn = void (*)(const char *) noexcept;

write_back_fn pick_write_back() noexcept
{
	unsigned a, b, c, d;
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
		if (b & (1u << 24))
			return write_back_clwb;
		if (b & (1u << 23))
			return write_back_clflushopt;
	}
	return write_back_clflush;
}
#endif

} // namespace

// A plain FLUSH operation, and the durable step of the DSA mover's CPU path:
// write the lines back, then order that before the completion the caller
// observes. (pmem2 futures never come here: their persistence is
// libpmem2's.)
void write_back(const void *ptr, std::size_t len) noexcept
{
#if defined(__x86_64__) || defined(__i386__)
	static const write_back_fn line_back = pick_write_back();
	auto p = reinterpret_cast<std::uintptr_t>(ptr) & ~std::uintptr_t(63);
	auto end = reinterpret_cast<std::uintptr_t>(ptr) + len;
	for (; p < end; p += 64)
		line_back(reinterpret_cast<const char *>(p));
	_mm_sfence();
#else
	// Other architectures take memops' flush instruction and drain
	// (flush_arch.hpp: DC CVADP/CVAP/CVAC and DSB ISH on aarch64).
	memops::flush_lines(ptr, len);
	memops::fence();
#endif
}

void run_plain(const vdm_operation &op, std::size_t off, std::size_t len) noexcept
{
	if (len == 0)
		return;
	switch (op.type) {
	case VDM_OPERATION_MEMCPY:
		std::memcpy(static_cast<char *>(op.data.memcpy.dest) + off,
			static_cast<const char *>(op.data.memcpy.src) + off, len);
		break;
	case VDM_OPERATION_MEMMOVE:
		std::memmove(static_cast<char *>(op.data.memmove.dest) + off,
			static_cast<const char *>(op.data.memmove.src) + off, len);
		break;
	case VDM_OPERATION_MEMSET:
		std::memset(static_cast<char *>(op.data.memset.str) + off,
			op.data.memset.c, len);
		break;
	case VDM_OPERATION_FLUSH:
		write_back(static_cast<const char *>(op.data.flush.dest) + off, len);
		break;
	}
}

} // namespace pmem2::masync
