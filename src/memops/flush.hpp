// Flush and fence instructions as template policies, so every kernel is
// written once and instantiated per flush instruction (and per recording
// mode). Internal to src/memops.
#pragma once

#include "memops/flush_arch.hpp"
#include "memops/memops.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace pmem2::memops::detail {

inline constexpr std::size_t line_size = 64;
static_assert(arch_flush_block % line_size == 0 && (arch_flush_block & (arch_flush_block - 1)) == 0,
	"a flush block is a power-of-two number of 64-byte lines");

// Index order of every [flush kind] array in the kernel sets.
enum class flush_kind : int { clwb = 0, clflushopt = 1, clflush = 2, none = 3 };
inline constexpr int n_flush_kinds = 4;

// The installed recorder; read with a relaxed load only by recording
// variants (production variants never touch it).
extern std::atomic<recorder *> g_recorder __attribute__((visibility("hidden")));

inline recorder *active_recorder() noexcept
{
	return g_recorder.load(std::memory_order_relaxed);
}

// Tag: each ISA file passes its own type, so no out-of-line copy of these
// functions compiled with one ISA's flags can be picked by the linker for
// another (baseline files use the default).
template <flush_kind K, bool Rec, class Tag = void>
struct flush_policy {
	static constexpr flush_kind kind = K;
	static constexpr bool recording = Rec;
	static constexpr bool flushes = K != flush_kind::none;
	// CLFLUSH is ordered with older stores, and the "no flush" variants have
	// no later drain of their own in the BYTE and PAGE paths, so streaming
	// stores must be fenced inside the kernel for them (DIFFERENCES.md S9.5). With
	// CLWB/CLFLUSHOPT the caller's drain SFENCE orders both the flushes and
	// the streaming stores, so the kernel leaves it to the drain.
	static constexpr bool fence_after_nt =
		K == flush_kind::clflush || K == flush_kind::none;

	// Write back the flush block containing p (arch_flush_step(): the
	// 64-byte line, POWER's 128-byte block, or a larger riscv64 cache
	// block). The recorder hears of every 64-byte line of the block: the
	// instruction wrote back all of them. The "memory" clobber keeps the compiler from sinking earlier
	// stores below the flush: the flush must see the data it is meant to
	// write back.
	static inline void line(const void *p) noexcept
	{
		if constexpr (Rec && K != flush_kind::none) {
			if (recorder *r = active_recorder()) {
				const std::size_t step = arch_flush_step();
				const std::uintptr_t b = reinterpret_cast<std::uintptr_t>(p) &
					~std::uintptr_t(step - 1);
				for (std::size_t o = 0; o < step; o += line_size)
					r->on_flush(reinterpret_cast<const void *>(b + o));
			}
		}
		arch_flush_line<static_cast<int>(K)>(p);
	}

	// Every block intersecting [p, p+n); an unaligned zero-length range still
	// covers the line p is in (DIFFERENCES.md S8.2, DIFFERENCES.md A43 kept for compatibility).
	// Steps by arch_flush_step(), so each block is written back once.
	static inline void range(const void *p, std::size_t n) noexcept
	{
		if constexpr (K != flush_kind::none) {
			const std::size_t step = arch_flush_step();
			auto a = reinterpret_cast<std::uintptr_t>(p);
			const std::uintptr_t end = a + n;
			for (a &= ~std::uintptr_t(step - 1); a < end; a += step)
				line(reinterpret_cast<const void *>(a));
		} else {
			(void)p;
			(void)n;
		}
	}

	// Report a streaming-store range (recording variants only).
	static inline void nt(const void *p, std::size_t n) noexcept
	{
		if constexpr (Rec) {
			if (recorder *r = active_recorder())
				r->on_nt_store(p, n);
		} else {
			(void)p;
			(void)n;
		}
	}

	// The drain (SFENCE on x86-64): orders every earlier flush and
	// streaming store before any later store, which is what makes them
	// durable in program order; the one that completes this policy's
	// flushes (arch_drain_slot).
	static inline void sfence() noexcept
	{
		if constexpr (Rec) {
			if (recorder *r = active_recorder())
				r->on_fence();
		}
		arch_drain<arch_drain_slot(static_cast<int>(K))>();
	}

	static inline void kernel(const char *name) noexcept
	{
		if constexpr (Rec) {
			if (recorder *r = active_recorder())
				r->on_kernel(name);
		} else {
			(void)name;
		}
	}
};

} // namespace pmem2::memops::detail
