// The dispatch table's rows: what each kernel family (one per ISA file, plus
// the generic and libc fallbacks) provides. Internal to src/memops and its
// tests, which use it to force and identify kernels.
#pragma once

#include "memops/memops.hpp"

#include <cstddef>
#include <span>

namespace pmem2::memops::detail {

// Raw kernel: copy or fill only (no flags, no drain); flushes according to
// the flush kind it was instantiated for.
using raw_memmove_fn = void (*)(char *dest, const char *src, std::size_t len) noexcept;
using raw_memset_fn = void (*)(char *dest, int c, std::size_t len) noexcept;

struct entry_pair {
	memmove_fn memmove;
	memset_fn memset;
};

// Per-granularity entry points of one kernel family. Indices:
// [flush kind: clwb, clflushopt, clflush][recording 0/1].
struct kernel_set {
	const char *name;	// "avx512f", "avx", "sse2", "movdir64b", "neon", "generic", "libc"
	// Whether the family has non-temporal kernels of its own (named
	// "memmove_nt_<name>", ...), and whether their streaming stores reach
	// memory without a flush (x86-64 MOVNT and MOVDIR64B: the kernels
	// report those lines as streamed, not flushed) or are only a cache
	// hint whose lines are flushed like any other (aarch64 STNP).
	bool streams;
	bool nt_skips_flush;
	entry_pair cache_line[3][2];
	entry_pair byte[2];
	entry_pair page[2];
	// Raw kernels by [flush kind incl. none][recording]: temporal + flush
	// and non-temporal (fallbacks store the temporal ones in both).
	raw_memmove_fn memmove_t[4][2];
	raw_memset_fn memset_t[4][2];
	raw_memmove_fn memmove_nt[4][2];
	raw_memset_fn memset_nt[4][2];
};

// CPU features a kernel family needs (bit mask of feature_*), on every
// architecture (a CPU of one never has another's).
enum : unsigned {
	feature_sse2 = 1u << 0,
	feature_avx = 1u << 1,
	feature_avx512f = 1u << 2,
	feature_movdir64b = 1u << 3,
	feature_asimd = 1u << 4,	// aarch64 Advanced SIMD (HWCAP_ASIMD)
};

// The feature_* bits of what the CPU reported, before any option.
unsigned kernel_features(const cpu_features &c) noexcept;

// One per ISA translation unit (of the architecture that has the ISA).
const kernel_set &kernels_sse2() noexcept;
const kernel_set &kernels_avx() noexcept;
const kernel_set &kernels_avx512f() noexcept;
const kernel_set &kernels_neon() noexcept;
const kernel_set &kernels_generic() noexcept;
const kernel_set &kernels_libc() noexcept;
// MOVDIR64B replaces only the non-temporal kernels; its entry points take
// the temporal ones from the family given here (chosen at dispatch).
const kernel_set &kernels_movdir64b(const kernel_set &temporal) noexcept;

// The dispatch table, best first: a family is chosen when the CPU has all
// of its required features (after the PMEM_* options masked them). Every
// architecture's last row requires nothing its CPUs can lack.
struct implementation {
	const kernel_set &(*get)() noexcept;
	unsigned required;
};
std::span<const implementation> implementations() noexcept;

// The families the current tables use (for tests).
const kernel_set &current_kernels() noexcept;

// Tunables the kernels read on every call (set by redispatch()).
// (Hidden, so position-independent code reads them without a GOT load.)
extern std::size_t g_movnt_threshold __attribute__((visibility("hidden")));
extern bool g_wc_workaround __attribute__((visibility("hidden")));
// The flush instruction redispatch() chose (index of the [flush kind]
// arrays) and whether it chose the recording variants, for the entry points
// of other durable operations that pick their own variant per call
// (copy_crc32c).
extern int g_flush_index __attribute__((visibility("hidden")));
extern bool g_recording __attribute__((visibility("hidden")));
// False where the CPU cannot write back a line (can_write_back_lines()):
// CACHE_LINE entry points then take the PAGE ones.
extern bool g_line_write_back __attribute__((visibility("hidden")));

} // namespace pmem2::memops::detail
