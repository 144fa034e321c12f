// Durable memory operations: CPU detection, flush/fence primitives and the
// memmove/memset kernels, chosen once at load and exposed as per-granularity
// function tables. This header is the only interface the rest of the project
// uses; kernels live in one file per ISA.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/export.hpp"

namespace pmem2::memops {

// Same values as enum pmem2_granularity.
enum class granularity : int { byte = 0, cache_line = 1, page = 2 };

using memmove_fn = void *(*)(void *dest, const void *src, std::size_t len, unsigned flags);
using memset_fn = void *(*)(void *dest, int c, std::size_t len, unsigned flags);
using flush_fn = void (*)(const void *ptr, std::size_t len);
using drain_fn = void (*)();

// The public functions for maps of one granularity. Pointers are stable for
// the process lifetime (same pointer for every map of that granularity).
struct ops_table {
	memmove_fn memmove;	// also serves as memcpy (overlap-safe)
	memset_fn memset;
	flush_fn persist;	// flush + drain
	flush_fn flush;
	drain_fn drain;
};

// The table for a granularity. PAGE tables call page_sync() for msync.
PMEM2_TEST_SEAM const ops_table &ops(granularity g) noexcept;

// PAGE-granularity persistence is msync of registered maps; the map layer
// installs the function that does it (registry lookup + msync).
// The default msyncs the page-rounded range (MS_SYNC, EINTR retried,
// ENOMEM ignored: nothing is mapped there) and stops the process on any
// other failure: persist has no error channel (DIFFERENCES.md S8.1).
// set_page_sync(nullptr) restores it. page_sync() reports to an installed
// recorder (on_page_sync, with the caller's unrounded range) before calling
// the installed function.
using page_sync_fn = void (*)(const void *ptr, std::size_t len);
PMEM2_TEST_SEAM void set_page_sync(page_sync_fn fn) noexcept;
PMEM2_TEST_SEAM void page_sync(const void *ptr, std::size_t len) noexcept;

// The same sync for callers that have an error channel (the threads
// mover's workers): 0, or -errno of the failed msync; never stops the
// process. Reports to the recorder like page_sync(). The default msyncs the
// page-rounded range (EINTR retried, ENOMEM counts as success);
// set_page_sync_checked(nullptr) restores it.
using page_sync_checked_fn = int (*)(const void *ptr, std::size_t len);
PMEM2_TEST_SEAM void set_page_sync_checked(page_sync_checked_fn fn) noexcept;
PMEM2_TEST_SEAM int page_sync_checked(const void *ptr, std::size_t len) noexcept;

// While one is alive on a thread, every page_sync() that thread issues
// (the PAGE kernels, persist and flush) goes through page_sync_checked()
// and the first failure is kept in error() instead of stopping the process.
// Scopes nest; the innermost collects.
class PMEM2_TEST_SEAM page_sync_errors {
public:
	page_sync_errors() noexcept;
	~page_sync_errors();
	page_sync_errors(const page_sync_errors &) = delete;
	page_sync_errors &operator=(const page_sync_errors &) = delete;
	int error() const noexcept { return error_; }	// 0 or -errno

private:
	int error_ = 0;
	int *prev_;
};

// What CPUID (and XGETBV) reported on x86-64; getauxval(AT_HWCAP,
// AT_HWCAP2) on aarch64 (cpu_aarch64.hpp) and ppc64le (cpu_ppc64le.hpp);
// riscv_hwprobe on riscv64 (cpu_riscv64.hpp). The other architectures'
// fields stay false (zero).
struct cpu_features {
	bool sse2, avx, avx512f, clflush, clflushopt, clwb, movdir64b;
	bool genuine_intel;
	bool sse42, pclmulqdq, vpclmulqdq;	// the CRC32C kernels' (crc32c.hpp)
	bool dc_cvap, dc_cvadp, asimd;	// aarch64: HWCAP_DCPOP, HWCAP2_DCPODP, HWCAP_ASIMD
	bool crc32;			// aarch64: HWCAP_CRC32 (crc32c.hpp)
	// riscv64: the kernel lets user space run Zicbom's cbo.clean, whose
	// cache block is cbom_block_size bytes (0 without Zicbom).
	bool zicbom;
	std::size_t cbom_block_size;
	bool dcbstps, vsx;	// ppc64le: PPC_FEATURE2_ARCH_3_1 (dcbstps, phwsync), PPC_FEATURE_HAS_VSX
};
PMEM2_TEST_SEAM const cpu_features &cpu() noexcept;

// What was chosen at load (after the PMEM_* environment variables).
struct selection {
	const char *kernel;	// "avx512f", "avx", "sse2", "neon", "generic", "libc"
	const char *nt_kernel;	// "movdir64b" or same as kernel
	// "clwb", "clflushopt", "clflush"; "dc cvadp", "dc cvap", "dc cvac";
	// "cbo.clean"; "msync" where the CPU cannot write back a line
	// (can_write_back_lines()).
	const char *flush;
	std::size_t movnt_threshold;
	bool wc_workaround;
};
PMEM2_TEST_SEAM const selection &selected() noexcept;

// Options that normally come from the environment; tests re-run the dispatch
// with explicit values to force a kernel.
struct dispatch_options {
	bool no_clwb = false, no_clflushopt = false, no_movnt = false;
	bool avx = true, avx512f = true, movdir64b = false;
	long long movnt_threshold = 256;
	int wc_workaround = -1;	// -1 vendor default, 0 off, 1 on
	bool no_generic_memcpy = false;
	// The architecture's family of this name (kernel_set.hpp), when the CPU
	// has its features, instead of the best one; ignored otherwise. Set by
	// tests only (no environment variable), to force each family in turn.
	const char *family = nullptr;
	// Tests only (no environment variable): dispatch as for a CPU that
	// cannot write back a line (riscv64 without Zicbom), on any CPU.
	bool no_line_write_back = false;
};
PMEM2_TEST_SEAM dispatch_options options_from_env() noexcept;
// Re-select every table (not thread-safe against concurrent memory ops;
// for tests and for library init). Unavailable features are ignored.
// Runs once by itself at load (or at the first ops() call, whichever is
// first) with options_from_env(). Tests force a kernel family by name
// (family), or by the PMEM_* options: on x86-64 avx512f=false -> AVX,
// avx=avx512f=false -> SSE2, movdir64b=true -> MOVDIR64B streaming; on
// every architecture no_movnt -> "generic", plus no_generic_memcpy ->
// "libc"; no_clwb/no_clflushopt rule out the best and second flush slots.
PMEM2_TEST_SEAM void redispatch(const dispatch_options &opt) noexcept;

// The flags the per-granularity functions understand (PMEM2_F_MEM_*).
inline constexpr unsigned f_nodrain = 1u << 0;
inline constexpr unsigned f_nontemporal = 1u << 1;
inline constexpr unsigned f_temporal = 1u << 2;
inline constexpr unsigned f_wc = 1u << 3;
inline constexpr unsigned f_wb = 1u << 4;
inline constexpr unsigned f_noflush = 1u << 5;
inline constexpr unsigned f_valid_flags = 0x3F;

// Whether the selected dispatch can write a cache line back from user
// space. Where it cannot (riscv64 when the kernel reports no Zicbom: there
// is no such instruction to run), nothing promises CACHE_LINE: ops(cache_line)
// is the PAGE table (msync), flush_lines() page-syncs, selected().flush is
// "msync", and the map layer offers PAGE where it would offer CACHE_LINE.
PMEM2_TEST_SEAM bool can_write_back_lines() noexcept;

// Persistence observation for tests: when a recorder is installed (and
// redispatch() is called afterwards) every cache-line flush, non-temporal
// store range, fence and page sync is reported to it in program order of the
// calling thread. Production builds pay nothing: recording kernels are only
// selected while a recorder is installed.
struct recorder {
	virtual void on_flush(const void *line) noexcept = 0;	// one 64-byte line
	virtual void on_nt_store(const void *dest, std::size_t len) noexcept = 0;
	virtual void on_fence() noexcept = 0;
	virtual void on_page_sync(const void *ptr, std::size_t len) noexcept = 0;
	// Name of the kernel a recording entry point ran, e.g. "memmove_nt_avx512f",
	// "memset_t_sse2", "memmove_generic", "memset_libc"; reported once per call
	// before its stores, so tests can prove which kernel and store kind ran.
	virtual void on_kernel(const char *name) noexcept { (void)name; }
	// A device wrote [dest, dest+len) (or flushed it) with readback to
	// memory and completed: durable as a fenced non-temporal range is.
	virtual void on_device_write(const void *dest, std::size_t len) noexcept
	{
		(void)dest;
		(void)len;
	}
	virtual ~recorder() = default;
};
PMEM2_TEST_SEAM void set_recorder(recorder *r) noexcept;
PMEM2_TEST_SEAM recorder *current_recorder() noexcept;

// Plain primitives for other components (movers, deep flush).
// The selected instruction, no fence (a page sync where lines cannot be
// written back).
void flush_lines(const void *ptr, std::size_t len) noexcept;
// The drain of flush_lines' instruction: SFENCE, DSB ISH, phwsync or
// hwsync, FENCE OW,OW.
void fence() noexcept;

} // namespace pmem2::memops
